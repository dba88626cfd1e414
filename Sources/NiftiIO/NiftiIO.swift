// NIfTI reading and writing.
