#!/usr/bin/env bash
# NIfTI read + write benchmark: vibeseg convert vs nibabel on a 320x260x300 float32 .nii.gz.
# Needs python3 with numpy + nibabel (pip install nibabel). Prints wall time and peak RSS of
# each run (GNU time), RUNS times each, alternating.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/vibeseg-bench-nifti}
mkdir -p "$WORK"
swift build -c release --product vibeseg >/dev/null
[ -f "$WORK/in.nii.gz" ] || python3 Benchmarks/nifti-io/make_input.py "$WORK/in.nii.gz"
ls -l "$WORK/in.nii.gz"
echo "raw voxel bytes: $((320 * 260 * 300 * 4))"
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1 >/dev/null | grep "wall_s"
}
for run in $(seq "$RUNS"); do
  rm -f "$WORK/out_nib.nii.gz" "$WORK/out_vs.nii.gz"
  measure "nibabel $(python3 -c 'import nibabel; print(nibabel.__version__)')" python3 Benchmarks/nifti-io/nibabel_read_write.py "$WORK/in.nii.gz" "$WORK/out_nib.nii.gz"
  measure "vibeseg" .build/release/vibeseg convert "$WORK/in.nii.gz" -o "$WORK/out_vs.nii.gz" --overwrite
done
ls -l "$WORK"/out_*.nii.gz
# Both outputs hold the same voxels:
python3 -c "
import sys, numpy as np, nibabel as nib
a = np.asanyarray(nib.load('$WORK/out_nib.nii.gz').dataobj); b = np.asanyarray(nib.load('$WORK/out_vs.nii.gz').dataobj)
print('outputs identical:', a.dtype == b.dtype and np.array_equal(a, b))"
