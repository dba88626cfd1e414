#!/usr/bin/env bash
# Cubic B-spline rescale of a 320x260x300 float32 .nii.gz from 1.5 mm to 2.0 mm, end to end
# (read, resample, write): vibeseg convert vs nibabel + scipy (TPTBox's recipe).
# Uses the input made by Benchmarks/nifti-io/make_input.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/vibeseg-bench-nifti}
mkdir -p "$WORK"
swift build -c release --product vibeseg >/dev/null
[ -f "$WORK/in.nii.gz" ] || python3 Benchmarks/nifti-io/make_input.py "$WORK/in.nii.gz"
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1 >/dev/null | grep "wall_s"
}
for run in $(seq "$RUNS"); do
  measure "scipy $(python3 -c 'import scipy; print(scipy.__version__)')" python3 Benchmarks/resample/scipy_rescale.py "$WORK/in.nii.gz" "$WORK/rs_scipy.nii.gz" 2.0
  measure "vibeseg" .build/release/vibeseg convert "$WORK/in.nii.gz" --spacing 2 2 2 --order 3 -o "$WORK/rs_vs.nii.gz" --overwrite
done
python3 -c "
import numpy as np, nibabel as nib
a = nib.load('$WORK/rs_scipy.nii.gz'); b = nib.load('$WORK/rs_vs.nii.gz')
x = np.asanyarray(a.dataobj).astype(np.float64); y = np.asanyarray(b.dataobj).astype(np.float64)
print('shapes', x.shape, y.shape, 'max |diff|', np.abs(x - y).max(), 'affine max |diff|', np.abs(a.affine - b.affine).max())"
