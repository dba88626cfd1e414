#!/usr/bin/env python3
"""Writes the benchmark input: a 320 x 260 x 300 float32 .nii.gz shaped like a body scan
(an ellipsoid of smooth intensity with noise, zero outside), 1.5 mm LPS-like affine.
Usage: make_input.py OUT.nii.gz"""
import sys
import numpy as np
import nibabel as nib

shape = (320, 260, 300)
rng = np.random.default_rng(0)
i, j, k = np.meshgrid(*[np.linspace(-1, 1, n, dtype=np.float32) for n in shape], indexing="ij")
inside = (i / 0.9) ** 2 + (j / 0.8) ** 2 + (k / 0.98) ** 2 < 1
signal = (400 + 300 * np.sin(3 * i) * np.cos(2 * j) + 100 * k).astype(np.float32)
noise = rng.normal(0, 15, shape).astype(np.float32)
data = np.where(inside, signal + noise, 0).astype(np.float32)
affine = np.diag([-1.5, -1.5, 1.5, 1.0])
affine[:3, 3] = [240, 195, -225]
nib.save(nib.Nifti1Image(data, affine), sys.argv[1])
