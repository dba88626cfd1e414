// nnU-Net v2 model folders and prediction.
