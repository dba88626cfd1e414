// CPU inference for nnU-Net networks.
