#!/usr/bin/env python3
"""One deformed copy the authors' way: TPTBox 1.1.0 ``deformed_nii`` (per-image normalisation, reflect pad 10)
with elasticdeform 0.5.1 ``deform_grid`` on the displacements of a vibeseg sidecar (``--dump-params``), read
and written with nibabel (gzip level 1, its default). Prints the time of ``deformed_nii`` alone.
Usage: tptbox_augment.py IMAGE LABEL SIDECAR.json OUTFOLDER"""
import json
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "fixtures"))
from make_augment_fixtures import tptbox_deform  # noqa: E402
from TPTBox import NII  # noqa: E402

image, label, sidecar, out = sys.argv[1:5]
params = json.loads(Path(sidecar).read_text())
niis = {"water": NII(nib.load(image), seg=False), "seg": NII(nib.load(label), seg=True)}
start = time.perf_counter()
result, _ = tptbox_deform(niis, np.array(params["displacement"]), params["sigma"])
print(f"deformed_nii_s={time.perf_counter() - start:.2f}", file=sys.stderr)
for stem, nii in result.items():
    nib.save(nib.Nifti1Image(np.asarray(nii.get_array()), nii.affine), str(Path(out) / f"{stem}_d1.nii.gz"))
