#!/usr/bin/env bash
# Issue 20: the odd-width network (features 6, 12, 16, 20; engine-bench oddwidth) with and
# without the engine's channel padding (ENGINE_PADS_INPUT_CHANNELS=0 is the engine before issue
# 20: oneDNN's ref:any for the convolutions over 6 blocked channels) and PyTorch's eval forward,
# interleaved A B C A B C ... on the same threads, with the FMA peak probe before each round.
# Compare ratios within a round (the host is shared and noisy).
#
#   Benchmarks/engine/oddwidth.sh [rounds=2] [runs per process=3]
# (the unpadded engine takes ~80 s per forward, so it runs one timed forward after its warm-up;
# SKIP_UNPADDED=1 leaves it out: padded engine vs PyTorch only)
#   PYTHON=/work/venv/bin/python (torch + nnunetv2), THREADS=2
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-2}
RUNS=${2:-3}
PYTHON=${PYTHON:-/work/venv/bin/python}
THREADS=${THREADS:-2}
export OMP_NUM_THREADS=$THREADS
BENCH=${BENCH:-.build/release/engine-bench}
[ -n "${SKIP_BUILD:-}" ] || swift build -c release >/dev/null
for round in $(seq "$ROUNDS"); do
  echo "== round $round, $THREADS threads"
  $BENCH peak | tail -1
  ENGINE_PADS_INPUT_CHANNELS=1 $BENCH forward oddwidth "$RUNS" "$THREADS" | grep -E "median|pads" | tr '\n' ' ' | sed 's/^/padded | /'; echo
  [ -n "${SKIP_UNPADDED:-}" ] || ENGINE_PADS_INPUT_CHANNELS=0 $BENCH forward oddwidth 1 "$THREADS" | grep -E "median|pads" | tr '\n' ' ' | sed 's/^/unpadded | /'; echo
  "$PYTHON" torch_forward.py oddwidth "$RUNS" "$THREADS" | grep median | sed 's/^/torch | /'
done
$BENCH peak | tail -1
