#!/usr/bin/env bash
# Load time and peak RSS for a ~100 M parameter nnU-Net checkpoint: TorchCheckpoint vs
# torch.load(weights_only=False), alternating, RUNS times each. Files stay in the page cache
# (both tools read warm). Whole-process wall time and peak RSS from GNU time.
#   RUNS=3 PY=/work/venv/bin/python bash Benchmarks/checkpoint/run.sh
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-3}
PY=${PY:-/work/venv/bin/python}
WORK=${WORK:-/tmp/vibeseg-bench-checkpoint}
mkdir -p "$WORK"
swift build -c release --scratch-path "$WORK/.build" | grep -E "error|Compiling|Build complete" || true
[ -x "$WORK/.build/release/CheckpointBench" ]
[ -f "$WORK/resenc_l_weights.pth" ] || "$PY" make_checkpoint.py "$WORK/resenc_l.pth"
ls -l "$WORK"/resenc_l*.pth
cat "$WORK"/resenc_l*.pth > /dev/null  # warm the page cache
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1
}
for file in resenc_l.pth resenc_l_weights.pth; do
  echo "== $file"
  for run in $(seq "$RUNS"); do
    measure "torch.load" "$PY" torch_load.py "$WORK/$file"
    measure "TorchCheckpoint" "$WORK/.build/release/CheckpointBench" "$WORK/$file"
  done
done
