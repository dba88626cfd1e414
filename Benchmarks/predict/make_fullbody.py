#!/usr/bin/env python3
"""A 320 x 260 x 300 body-shaped float32 image at 1.40625 x 1.40625 x 3 mm (NAKO whole body).
Usage: make_fullbody.py OUT.nii.gz"""
import sys
import numpy as np
import nibabel as nib

shape = (320, 260, 300)
rng = np.random.default_rng(1)
i, j, k = np.meshgrid(*[np.linspace(-1, 1, n, dtype=np.float32) for n in shape], indexing="ij")
inside = (i / 0.9) ** 2 + (j / 0.8) ** 2 < 1
img = np.where(inside, 300 + 200 * np.sin(4 * i) * np.cos(3 * j) + 50 * k + rng.normal(0, 10, shape), 0)
nib.save(nib.Nifti1Image(img.astype(np.float32), np.diag([1.40625, 1.40625, 3.0, 1.0])), sys.argv[1])
