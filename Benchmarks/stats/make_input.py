#!/usr/bin/env python3
"""Inputs for Benchmarks/stats/run.sh: a 72-label 320 x 260 x 300 label-map pair and an image.

A body-shaped ellipsoid cylinder on a NAKO-like grid (1.40625 x 1.40625 x 3 mm): subcutaneous fat
shell (65), muscle ring (66), inner fat (67) inside, and labels 1..72 (except 65-67) as ellipsoids
of varied sizes spread through the body. The prediction is the reference with every label shifted
by one voxel along a label-dependent axis, and some labels dilated: realistic, imperfect overlap.
Also writes an int16 image (smooth ramp plus noise) for the intensity statistics.

Run: python3 Benchmarks/stats/make_input.py OUTDIR
"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
shape = (320, 260, 300)
sp = (1.40625, 1.40625, 3.0)
affine = np.diag(sp + (1.0,)); affine[:3, 3] = [-225, -180, -450]
rng = np.random.default_rng(0)
i, j, k = np.ogrid[:shape[0], :shape[1], :shape[2]]
x = (i - 160) * sp[0]; y = (j - 130) * sp[1]
body = (x / 200) ** 2 + (y / 150) ** 2
ref = np.zeros(shape, np.uint8)
ref[np.broadcast_to(body <= 1.0, shape)] = 65
ref[np.broadcast_to(body <= 0.85, shape)] = 66
ref[np.broadcast_to(body <= 0.6, shape)] = 67
labels = [l for l in range(1, 73) if l not in (65, 66, 67)]
for n, lab in enumerate(labels):
    cx, cy = rng.uniform(-110, 110), rng.uniform(-80, 80)
    cz = rng.uniform(60, 840)
    r = rng.uniform(8, 45, 3); r[2] *= rng.uniform(1, 4)
    lo = [max(0, int((c - rr) / s) + o) for c, rr, s, o in zip((cx, cy, cz), r, sp, (160, 130, 0))]
    hi = [min(shape[a], int((c + rr) / s) + o + 2) for a, (c, rr, s, o) in enumerate(zip((cx, cy, cz), r, sp, (160, 130, 0)))]
    ii, jj, kk = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    m = (((ii - 160) * sp[0] - cx) / r[0]) ** 2 + (((jj - 130) * sp[1] - cy) / r[1]) ** 2 + ((kk * sp[2] - cz) / r[2]) ** 2 <= 1
    ref[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]][m] = lab
pred = ref.copy()
for lab in labels[::2]:
    pred = np.where((pred == lab), 0, pred)
    pred[np.roll(ref == lab, 1, axis=lab % 3)] = lab
for lab in labels[1::7]:
    m = ndimage.binary_dilation(ref == lab)
    pred[m & (pred != 0) & (pred != lab) & (pred >= 65)] = lab
img = (np.broadcast_to(k, shape) * 0.5 + ref.astype(np.float32) * 3 + rng.normal(0, 20, shape)).astype(np.int16)
for name, data in (("ref", ref), ("pred", pred), ("image", img)):
    nib.save(nib.Nifti1Image(data, affine), out / f"{name}.nii.gz")
print("labels in ref:", len(np.unique(ref)) - 1, "in pred:", len(np.unique(pred)) - 1)
