#!/usr/bin/env bash
# Stitching four NAKO-sized uint16 stations (Benchmarks/stitch/make_input.py) end to end (read,
# grid, resample, ramps, blend, float64 write): vibeseg stitch vs TPTBox 1.1.0 stitching().
# PYTHON must have TPTBox 1.1.0 (default /work/venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/vibeseg-bench-stitch}
PYTHON=${PYTHON:-/work/venv/bin/python}
mkdir -p "$WORK"
swift build -c release --product vibeseg >/dev/null
[ -f "$WORK/st3.nii.gz" ] || "$PYTHON" Benchmarks/stitch/make_input.py "$WORK"
ST=("$WORK"/st0.nii.gz "$WORK"/st1.nii.gz "$WORK"/st2.nii.gz "$WORK"/st3.nii.gz)
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1 >/dev/null | grep "wall_s"
}
for run in $(seq "$RUNS"); do
  measure "tptbox" "$PYTHON" Benchmarks/stitch/tptbox_stitch.py "$WORK/out_tptbox.nii.gz" "${ST[@]}"
  measure "vibeseg" .build/release/vibeseg stitch "${ST[@]}" -o "$WORK/out_vs.nii.gz" --overwrite
done
"$PYTHON" -c "
import numpy as np, nibabel as nib
a = nib.load('$WORK/out_tptbox.nii.gz'); b = nib.load('$WORK/out_vs.nii.gz')
x = np.asanyarray(a.dataobj).astype(np.float64); y = np.asanyarray(b.dataobj).astype(np.float64)
print('shapes', x.shape, y.shape, 'max |diff|', np.abs(x - y).max(), 'affine max |diff|', np.abs(a.affine - b.affine).max())"
