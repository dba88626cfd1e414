// Reader for PyTorch .pth checkpoints (zip + restricted unpickler).
