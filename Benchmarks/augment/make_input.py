#!/usr/bin/env python3
"""Inputs for the augment benchmark: a 320 x 260 x 300 float32 body-like image and a uint8 label map
(ids 0, 1, 2, 5) on the same 1.40625 x 1.40625 x 3 mm grid. Usage: make_input.py FOLDER."""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

folder = Path(sys.argv[1])
shape = (320, 260, 300)
rng = np.random.default_rng(0)
i, j, k = np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij", sparse=True)
image = (900 * np.exp(-(((i - 160) / 110) ** 2 + ((j - 130) / 90) ** 2)) * (1 + 0.25 * np.sin(k / 13)) + 15).astype(np.float32)
image += rng.normal(scale=4, size=shape).astype(np.float32)
seg = np.zeros(shape, np.uint8)
seg[(((i - 160) / 100) ** 2 + ((j - 130) / 80) ** 2 + ((k - 150) / 130) ** 2) < 1] = 1
seg[(((i - 120) / 40) ** 2 + ((j - 140) / 30) ** 2 + ((k - 120) / 50) ** 2) < 1] = 2
seg[(i > 200) & (j < 90) & (np.abs(k - 150) < 40)] = 5
affine = np.diag([1.40625, 1.40625, 3.0, 1.0])
nib.save(nib.Nifti1Image(image, affine), str(folder / "water.nii.gz"))
nib.save(nib.Nifti1Image(seg, affine), str(folder / "seg.nii.gz"))
