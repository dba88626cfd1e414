#!/usr/bin/env bash
# vibeseg augment vs TPTBox deformed_nii + elasticdeform deform_grid: one copy of a 320x260x300 float32
# image + uint8 label map with the same displacements (drawn once by vibeseg, --dump-params), read,
# deformed and written by each tool; RUNS times each, alternating. Needs the reference venv (TPTBox 1.1.0,
# elasticdeform 0.5.1 built from source) as $PYTHON (default /work/venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/work/venv/bin/python}
WORK=${WORK:-/tmp/vibeseg-bench-augment}
mkdir -p "$WORK"
swift build -c release --product vibeseg >/dev/null
[ -f "$WORK/water.nii.gz" ] || "$PYTHON" Benchmarks/augment/make_input.py "$WORK"
rm -rf "$WORK/params" && mkdir "$WORK/params"
.build/release/vibeseg augment --image "$WORK/water.nii.gz" --label "$WORK/seg.nii.gz" --case-id bench --seed 1 \
  --copies 1 --dump-params --threads "$THREADS" -o "$WORK/params" >/dev/null 2>&1
"$PYTHON" -c "import json; s = json.load(open('$WORK/params/bench_d1.json')); print('field: P =', s['points'], 'sigma =', s['sigma'])"
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1 >/dev/null | grep -E "wall_s|deformed_nii_s"
}
for run in $(seq "$RUNS"); do
  rm -rf "$WORK/ours" "$WORK/theirs" && mkdir "$WORK/ours" "$WORK/theirs"
  measure "TPTBox+elasticdeform" "$PYTHON" Benchmarks/augment/tptbox_augment.py "$WORK/water.nii.gz" "$WORK/seg.nii.gz" \
    "$WORK/params/bench_d1.json" "$WORK/theirs"
  measure "vibeseg threads=$THREADS" .build/release/vibeseg augment --image "$WORK/water.nii.gz" --label "$WORK/seg.nii.gz" \
    --replay-params "$WORK/params/bench_d1.json" --threads "$THREADS" -o "$WORK/ours"
done
"$PYTHON" -c "
import numpy as np, nibabel as nib
for s in ('water', 'seg'):
    a = np.asanyarray(nib.load('$WORK/ours/' + s + '_d1.nii.gz').dataobj).astype(np.float64)
    b = np.asanyarray(nib.load('$WORK/theirs/' + s + '_d1.nii.gz').dataobj).astype(np.float64)
    print(s, 'max |diff|', np.abs(a - b).max(), 'differing voxels', int((a != b).sum()))"
