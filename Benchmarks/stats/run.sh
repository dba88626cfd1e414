#!/usr/bin/env bash
# Benchmark of `vibeseg stats` and `vibeseg evaluate` (issue 7) on a 72-label 320 x 260 x 300 pair.
# Usage: bash Benchmarks/stats/run.sh   (RUNS=3, WORK=/tmp/vibeseg-stats-bench by default)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${WORK:-/tmp/vibeseg-stats-bench}"
RUNS="${RUNS:-3}"
[ -f "$WORK/ref.nii.gz" ] || python3 "$ROOT/Benchmarks/stats/make_input.py" "$WORK"
swift build -c release --package-path "$ROOT" --scratch-path "${SCRATCH:-$ROOT/.build-stats-release}" --product vibeseg >/dev/null
BIN="${SCRATCH:-$ROOT/.build-stats-release}/release/vibeseg"
for r in $(seq "$RUNS"); do
  /usr/bin/time -f "stats     wall %e s  peak %M KB" "$BIN" stats "$WORK/ref.nii.gz" --image "mr=$WORK/image.nii.gz" -o "$WORK/stats.csv" --overwrite
  /usr/bin/time -f "evaluate  wall %e s  peak %M KB" "$BIN" evaluate --pred "$WORK/pred.nii.gz" --ref "$WORK/ref.nii.gz" -o "$WORK/eval" --overwrite
done
