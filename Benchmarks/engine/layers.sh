#!/usr/bin/env bash
# Per-layer GFLOP/s, engine vs torch conv3d (NCDHW, channels_last_3d), interleaved layer by layer
# with a short FMA-peak probe before each, same thread count. Layers: the layer types of
# conv-backend.md (A-K) at the TotalVibe patch 128 x 96 x 128.
#   Benchmarks/engine/layers.sh [rounds=1]
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-/work/venv/bin/python}
THREADS=${THREADS:-2}
ROUNDS=${1:-1}
export OMP_NUM_THREADS=$THREADS
swift build -c release >/dev/null
BENCH=.build/release/engine-bench
LAYERS=(
  "A_32-32_k333_full 32 32 333 111 128 96 128"
  "B_32-64_k333_s2 32 64 333 222 128 96 128"
  "C_64-64_k333 64 64 333 111 64 48 64"
  "D_128-128_k333 128 128 333 111 32 24 32"
  "E_256-256_k333 256 256 333 111 16 12 16"
  "F_320-320_k333 320 320 333 111 8 6 8"
  "G_320-320_k333_tiny 320 320 333 111 4 3 4"
  "H_32-32_k133 32 32 133 111 128 96 128"
  "J_1-32_k333_input 1 32 333 111 128 96 128"
  "I_transp_64-32_k2s2 64 32 222 222 64 48 64 T"
  "K_head_32-51_k111 32 51 111 111 128 96 128"
)
for round in $(seq "$ROUNDS"); do
  for entry in "${LAYERS[@]}"; do
    set -- $entry
    name=$1; shift
    extra=${8:-N}
    echo "$name $($BENCH peakshort) | $($BENCH conv "${@:1:7}" "$extra" "$THREADS" 5) | $("$PYTHON" torch_conv.py "${@:1:7}" "$extra" "$THREADS" 5)"
  done
done
