#!/usr/bin/env bash
# Throughput of `vibeseg batch --task segment` (TotalVibeSegmentator cascade loaded once, reading
# and writing overlapped with compute) against a shell loop of single `vibeseg segment` calls, on
# the same cases and models, release build. Models: the committed tiny cascade
# (Tests/Fixtures/segment/roi -> main, shaped like 278 -> 100); cases: CASES copies of the two
# committed inputs (91 x 20 x 117 int16 ASR and 20 x 117 x 91 float32 ILP, real MR voxels).
#   CASES=20 SCRATCH=.build WORK=/tmp/vibeseg-bench-batch-segment JOBS=1 (batch --jobs; the loop
#   always runs one `segment` after another with --threads 2)
# Prints wall seconds and cases/hour for both; checks that the label maps are identical.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-/tmp/vibeseg-bench-batch-segment}
SCRATCH=${SCRATCH:-.build}
CASES=${CASES:-20}
swift build -c release --scratch-path "$SCRATCH" --product vibeseg >/dev/null
BIN="$SCRATCH/release/vibeseg"
MAIN=Tests/Fixtures/segment/main
ROI=Tests/Fixtures/segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres
rm -rf "$WORK" && mkdir -p "$WORK/in" "$WORK/loop" "$WORK/weights/Dataset978_roi"
cp -r "$ROI" "$WORK/weights/Dataset978_roi/"
for n in $(seq 1 "$CASES"); do
  src=$([ $((n % 2)) = 0 ] && echo case_asr || echo case_ilp_scaled)
  cp "Tests/Fixtures/segment/$src/image.nii.gz" "$WORK/in/case$(printf %03d "$n").nii.gz"
done
export VIBESEG_HOME="$WORK/home" TOTALVIBE_WEIGHTS_PATH="$WORK/weights"
start=$(date +%s.%N)
for f in "$WORK"/in/*.nii.gz; do
  "$BIN" segment "$f" -o "$WORK/loop/$(basename "$f")" --model "$MAIN" --threads 2 --offline --overwrite
done
loop=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
"$BIN" batch "$WORK/in" -o "$WORK/batch" --task segment --model "$MAIN" --threads 2 --jobs "${JOBS:-1}" >/dev/null 2>&1
batch=$(echo "$(date +%s.%N) - $start" | bc)
for f in "$WORK"/in/*.nii.gz; do
  name=$(basename "$f")
  "$BIN" info --json "$WORK/loop/$name" >/dev/null
  cmp -s <(gzip -dc "$WORK/loop/$name") <(gzip -dc "$WORK/batch/$name") || { echo "label maps differ: $name" >&2; exit 1; }
done
printf 'loop  %.2f s  %.0f cases/h\nbatch %.2f s  %.0f cases/h\nspeed-up %.2fx\n' \
  "$loop" "$(echo "$CASES * 3600 / $loop" | bc -l)" "$batch" "$(echo "$CASES * 3600 / $batch" | bc -l)" \
  "$(echo "$loop / $batch" | bc -l)"
