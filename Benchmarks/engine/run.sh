#!/usr/bin/env bash
# InferenceEngine benchmarks (BENCHMARKS.md): per-layer GFLOP/s vs torch conv3d, full forward
# pass time and peak RSS vs PyTorch eval forward, and the fp32 FMA peak around each measurement.
# The host is noisy (conv-backend.md section 0): measurements are interleaved and each is
# bracketed by a peak measurement; compare numbers only within one round.
#
#   Benchmarks/engine/run.sh [network=totalvibe] [rounds=2]
#   PYTHON=/work/venv/bin/python (torch + nnunetv2)
set -euo pipefail
cd "$(dirname "$0")"
NETWORK=${1:-totalvibe}
ROUNDS=${2:-2}
PYTHON=${PYTHON:-/work/venv/bin/python}
THREADS=${THREADS:-2}
export OMP_NUM_THREADS=$THREADS
swift build -c release >/dev/null
BENCH=.build/release/engine-bench
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label wall_s=%e max_rss_kb=%M" "$@" 2>&1 | sed "s/^/$label | /"
}
$BENCH peak
for round in $(seq "$ROUNDS"); do
  echo "== round $round: full forward, $NETWORK, $THREADS threads"
  measure vibeseg $BENCH forward "$NETWORK" 3 "$THREADS"
  $BENCH peak | tail -1
  measure torch "$PYTHON" torch_forward.py "$NETWORK" 2 "$THREADS"
  $BENCH peak | tail -1
done
echo "== per-layer GFLOP/s ($NETWORK layers)"
$BENCH profile "$NETWORK" "/tmp/engine-profile-$NETWORK.json" 3 "$THREADS"
$BENCH peak | tail -1
"$PYTHON" torch_layers.py "/tmp/engine-profile-$NETWORK.json" 3
$BENCH peak | tail -1
echo "== determinism: 1 thread vs $THREADS threads (bits_fnv must match)"
$BENCH forward "$NETWORK" 1 1 | grep bits_fnv
$BENCH forward "$NETWORK" 1 "$THREADS" | grep bits_fnv
