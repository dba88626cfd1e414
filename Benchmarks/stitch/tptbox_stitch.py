#!/usr/bin/env python3
"""TPTBox 1.1.0 `stitching()` (N4 off, histogram matching off: its defaults) on the given stations.

  python3 Benchmarks/stitch/tptbox_stitch.py OUT.nii.gz ST0.nii.gz ST1.nii.gz ...
"""
import sys

from TPTBox.stitching.stitching_tools import stitching

stitching(sys.argv[2:], sys.argv[1], verbose=False)
