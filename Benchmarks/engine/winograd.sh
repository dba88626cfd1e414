#!/usr/bin/env bash
# Issue 20: per-layer time of the engine's stride-1 3x3x3 convolutions, oneDNN direct vs the
# engine's Winograd F(2x2x2, 3x3x3) vs torch conv3d (channels_last_3d and NCDHW, torch_conv.py),
# interleaved layer by layer (direct, Winograd, torch, then the next layer) with a short FMA-peak
# probe before each layer and at the end, same thread count. Layers: the 3x3x3 stride-1
# convolutions of each encoder stage of the TotalVibe-sized PlainConvUNet (features
# 32..320, patch 128 x 96 x 128), as in layers.sh. GFLOP/s are nominal (2·Cin·Cout·27·voxels)
# for every column, so their ratio is the speed ratio.
#   Benchmarks/engine/winograd.sh [rounds=1]
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-/work/venv/bin/python}
THREADS=${THREADS:-2}
ROUNDS=${1:-1}
REPEATS=${REPEATS:-5}
export OMP_NUM_THREADS=$THREADS
BENCH=${BENCH:-.build/release/engine-bench}
[ -x "$BENCH" ] || swift build -c release >/dev/null
LAYERS=(
  "S0_32-32 32 32 333 111 128 96 128"
  "S1_64-64 64 64 333 111 64 48 64"
  "S2_128-128 128 128 333 111 32 24 32"
  "S3_256-256 256 256 333 111 16 12 16"
  "S4_320-320 320 320 333 111 8 6 8"
  "S5_320-320 320 320 333 111 4 3 4"
)
echo "date=$(date -u +%FT%TZ) threads=$THREADS repeats=$REPEATS cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for round in $(seq "$ROUNDS"); do
  for entry in "${LAYERS[@]}"; do
    set -- $entry
    name=$1; shift
    direct=$($BENCH conv "$@" N "$THREADS" "$REPEATS" direct)
    winograd=$($BENCH conv "$@" N "$THREADS" "$REPEATS" winograd)
    torch=$("$PYTHON" torch_conv.py "$@" N "$THREADS" "$REPEATS")
    echo "$name $($BENCH peakshort) | direct $direct | winograd $winograd | $torch"
  done
done
echo "end $($BENCH peakshort)"
