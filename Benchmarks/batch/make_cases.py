#!/usr/bin/env python3
"""20 (or N) benchmark cases for `vibeseg batch`: crops, flips and intensity changes of one image.

Usage: make_cases.py SOURCE.nii.gz OUT_DIR N CROP_X CROP_Y CROP_Z
Writes OUT_DIR/bNNN.nii.gz (float32, the source's affine shifted to the crop)."""
import os, sys
import numpy as np
import nibabel as nib

source, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
crop = [int(v) for v in sys.argv[4:7]]
img = nib.load(source)
data = np.asanyarray(img.dataobj).astype(np.float32)
crop = [min(c, s) for c, s in zip(crop, data.shape)]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
for k in range(n):
    start = [int(rng.integers(0, s - c + 1)) for s, c in zip(data.shape, crop)]
    block = data[start[0]:start[0] + crop[0], start[1]:start[1] + crop[1], start[2]:start[2] + crop[2]]
    if k % 2:
        block = block[::-1]
    block = np.ascontiguousarray(block * (1 + 0.02 * (k % 10)) + (k % 5))
    affine = img.affine.copy()
    affine[:3, 3] = img.affine[:3, :3] @ np.array(start, float) + img.affine[:3, 3]
    nib.save(nib.Nifti1Image(block, affine), os.path.join(out, "b%03d.nii.gz" % k))
print("%d cases of %s in %s" % (n, "x".join(map(str, crop)), out))
