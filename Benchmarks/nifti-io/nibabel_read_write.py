#!/usr/bin/env python3
"""nibabel's read + write of a .nii.gz, the reference for `vibeseg convert IN -o OUT`.
Reads every voxel (np.asanyarray(img.dataobj), i.e. without scaling to float64) and writes a
new .nii.gz with nibabel's default gzip level (1). Usage: nibabel_read_write.py IN OUT"""
import sys
import numpy as np
import nibabel as nib

img = nib.load(sys.argv[1])
data = np.asanyarray(img.dataobj)
nib.save(nib.Nifti1Image(data, img.affine, img.header), sys.argv[2])
