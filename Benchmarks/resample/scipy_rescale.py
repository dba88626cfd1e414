#!/usr/bin/env python3
"""Reference for `vibeseg convert IN --spacing S S S --order 3 -o OUT`: TPTBox's NII.rescale
semantics with nibabel + scipy (new shape rint(shape*old/new), voxel (0,0,0) kept,
scipy.ndimage.affine_transform(order=3, mode='nearest') on the stored float32 array).
Usage: scipy_rescale.py IN OUT SPACING"""
import sys
import numpy as np
import nibabel as nib
from scipy import ndimage

img = nib.load(sys.argv[1])
new = float(sys.argv[3])
zooms = np.array(img.header.get_zooms()[:3], dtype=float)
data = np.asanyarray(img.dataobj)
shape = np.rint(np.array(data.shape) * zooms / new).astype(int)
scale = np.array([new, new, new]) / zooms
out = ndimage.affine_transform(data, np.diag(scale), output_shape=tuple(shape), order=3, mode="nearest")
aff = img.affine.copy()
aff[:3, :3] = aff[:3, :3] / zooms * new
nib.save(nib.Nifti1Image(out.astype(data.dtype), aff), sys.argv[2])
