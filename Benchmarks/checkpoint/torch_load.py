#!/usr/bin/env python3
"""What nnU-Net does: torch.load(weights_only=False) of the whole checkpoint (network weights and
optimizer state), timed in-process (the import of torch is excluded from load_s)."""
import sys, time
import torch
start = time.perf_counter()
ckpt = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
seconds = time.perf_counter() - start
w = ckpt["network_weights"]
params = sum(t.numel() for k, t in w.items() if not (".all_modules." in k or k.startswith("decoder.encoder.")))
print(f"keys={len(w)} parameters={params} load_s={seconds:.3f} torch={torch.__version__}")
