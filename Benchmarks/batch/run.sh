#!/usr/bin/env bash
# Throughput of `vibeseg batch --task predict` (model loaded once, reading/writing overlapped with
# compute) against a shell loop of single `vibeseg predict` calls, on the same cases and model,
# same settings (one fold, no mirroring, 2 network threads), release build. Prints cases/hour.
#
#   MODEL=tiny  (default) the committed test model Tests/Fixtures/models/plain_1ch, 20 crops of
#               its MR fixture (117 x 91 x 20 at 3 mm) of 96 x 80 x 20
#   MODEL=large a TotalVibe-sized random-weight model made by Benchmarks/predict/make_model.py
#               (73 labels, 3d_fullres; needs the torch + nnunetv2 venv VENV) and 20 crops of its
#               320 x 260 x 96 input of 160 x 130 x 48
#   CASES=20 RUNS=1 SCRATCH=.build (the build folder)  WORK=/tmp/vibeseg-bench-batch
# Both ways must give byte-identical label maps; the script checks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/work/venv}
WORK=${WORK:-/tmp/vibeseg-bench-batch}
SCRATCH=${SCRATCH:-.build}
CASES=${CASES:-20}
RUNS=${RUNS:-1}
MODEL=${MODEL:-tiny}
mkdir -p "$WORK"
swift build -c release --scratch-path "$SCRATCH" --product vibeseg >/dev/null
BIN="$SCRATCH/release/vibeseg"
if [ "$MODEL" = large ]; then
  PREDICT_WORK=${PREDICT_WORK:-/tmp/vibeseg-bench-predict}
  [ -f "$PREDICT_WORK/model/nnUNetTrainer__nnUNetPlans__3d_fullres/fold_0/checkpoint_final.pth" ] || \
    "$VENV/bin/python" Benchmarks/predict/make_model.py "$PREDICT_WORK" | tail -1
  FOLDER="$PREDICT_WORK/model/nnUNetTrainer__nnUNetPlans__3d_fullres"
  SOURCE="$PREDICT_WORK/input_0000.nii.gz"; CROP="160 130 48"
else
  FOLDER="Tests/Fixtures/models/plain_1ch/nnUNetTrainer__nnUNetPlans__3d_fullres"
  SOURCE="Tests/Fixtures/predictions/plain_fold0_nomirror/case_0000.nii.gz"; CROP="96 80 20"
fi
IN="$WORK/in-$MODEL-$CASES"
[ -d "$IN" ] || "$VENV/bin/python" Benchmarks/batch/make_cases.py "$SOURCE" "$IN" "$CASES" $CROP
SETTINGS=(--folds 0 --no-tta --threads 2)
for run in $(seq "$RUNS"); do
  rm -rf "$WORK/loop" "$WORK/batch"; mkdir -p "$WORK/loop"
  start=$(date +%s.%N)
  for f in "$IN"/*.nii.gz; do
    "$BIN" predict -m "$FOLDER" -i "$f" -o "$WORK/loop/$(basename "$f")" "${SETTINGS[@]}" --overwrite
  done
  loop=$(python3 -c "print($(date +%s.%N) - $start)")
  start=$(date +%s.%N)
  "$BIN" batch "$IN" -o "$WORK/batch" --model "$FOLDER" "${SETTINGS[@]}" >/dev/null 2>"$WORK/batch.log"
  batch=$(python3 -c "print($(date +%s.%N) - $start)")
  for f in "$WORK"/loop/*.nii.gz; do cmp -s "$f" "$WORK/batch/$(basename "$f")" || { echo "DIFFERENT: $f"; exit 1; }; done
  python3 -c "
c, l, b = $CASES, $loop, $batch
print('run $run ($MODEL model, %d cases): loop %.2f s = %.0f cases/h; batch %.2f s = %.0f cases/h; speed-up %.2fx; outputs identical' % (c, l, c * 3600 / l, b, c * 3600 / b, l / b))"
done
