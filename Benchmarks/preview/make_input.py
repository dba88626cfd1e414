"""A NAKO-like whole-body case for the preview benchmark: 320 x 260 x 300 voxels at
1.40625 x 1.40625 x 3 mm (RAS), an int16 image (body ellipse with noise) and a uint8 label map with
72 ellipsoid "structures" inside it. Deterministic (seed 0). Needs numpy and nibabel.

usage: python3 make_input.py IMAGE.nii.gz LABELS.nii.gz
"""
import sys

import nibabel as nib
import numpy as np

shape = (320, 260, 300)
spacing = (1.40625, 1.40625, 3.0)
rng = np.random.default_rng(0)
i, j, k = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape), indexing="ij", sparse=True)
body = ((i - 160) / 140) ** 2 + ((j - 130) / 100) ** 2 <= 1.0
image = np.where(body, 400 + 200 * np.sin(k / 20.0), 0).astype(np.float32)
image += rng.normal(0, 30, size=shape).astype(np.float32)
labels = np.zeros(shape, dtype=np.uint8)
for label in range(1, 73):
    c = rng.uniform([60, 60, 20], [260, 200, 280])
    r = rng.uniform([8, 8, 4], [30, 25, 20])
    inside = ((i - c[0]) / r[0]) ** 2 + ((j - c[1]) / r[1]) ** 2 + ((k - c[2]) / r[2]) ** 2 <= 1.0
    labels[inside & body] = label
    image[inside & body] += 50 * (label % 5)
affine = np.diag([*spacing, 1.0])
nib.save(nib.Nifti1Image(np.clip(image, -32768, 32767).astype(np.int16), affine), sys.argv[1])
nib.save(nib.Nifti1Image(labels, affine), sys.argv[2])
