#!/usr/bin/env python3
"""Four NAKO-sized VIBE stations for the stitching benchmark: uint16, 320 x 260 x 80 voxels at
1.40625 x 1.40625 x 3 mm (flipped x/y as NAKO's LPS-like headers), consecutive stations overlapping
by 6 slices, a smooth body-like phantom times a per-station gain. Integer shifts between stations,
as the NAKO table positions give, so both tools copy instead of interpolating (1.1.0's shortcut).

  python3 Benchmarks/stitch/make_input.py OUT_DIR
"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
shape = (320, 260, 80)
sp = (1.40625, 1.40625, 3.0)
i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
for k in range(4):
    z0 = k * (shape[2] - 6) * sp[2]
    a = np.diag([-sp[0], -sp[1], sp[2], 1.0])
    a[:3, 3] = [225.0, 182.0, z0]
    x = 225.0 - sp[0] * i
    y = 182.0 - sp[1] * j
    body = np.exp(-((x / 170.0) ** 2 + (y / 110.0) ** 2) ** 2)
    z = z0 + sp[2] * np.arange(shape[2])
    vol = 900.0 * body[..., None] * (1.0 + 0.3 * np.sin(z / 40.0))[None, None, :] * (1.0 + 0.1 * k)
    nib.save(nib.Nifti1Image(np.round(vol).astype(np.uint16), a), str(out / f"st{k}.nii.gz"))
print("wrote", [str(out / f"st{k}.nii.gz") for k in range(4)])
