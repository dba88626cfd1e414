#!/usr/bin/env bash
# vibeseg predict vs nnUNetv2_predict (CPU) on a TotalVibe-sized random-weight model and a
# 320 x 260 x 96 input, same fold, same step size, both without test-time mirroring (set TTA=1
# to mirror in both), 2 threads each. Needs the torch + nnunetv2 venv (VENV, default /work/venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/work/venv}
WORK=${WORK:-/tmp/vibeseg-bench-predict}
mkdir -p "$WORK"
swift build -c release --product vibeseg >/dev/null
# (PLANNER=resencl SLICES=300: model 100's ResEnc-L architecture on a whole-body phantom; see make_model.py)
ls "$WORK"/model/nnUNetTrainer__*__3d_fullres/fold_0/checkpoint_final.pth >/dev/null 2>&1 || \
  "$VENV/bin/python" Benchmarks/predict/make_model.py "$WORK" | tail -1
MODEL=$(ls -d "$WORK"/model/nnUNetTrainer__*__3d_fullres | head -1)
export nnUNet_raw="$WORK/nnUNet_raw" nnUNet_preprocessed="$WORK/nnUNet_preprocessed" nnUNet_results="$WORK/nnUNet_results"
export OMP_NUM_THREADS=2
VSTTA="--no-tta"; [ "${TTA:-0}" = 1 ] && VSTTA="--tta"
mkdir -p "$WORK/in" "$WORK/out_nnunet"
cp "$WORK/input_0000.nii.gz" "$WORK/in/case_0000.nii.gz"
/usr/bin/time -f "vibeseg wall_s=%e max_rss_kb=%M" .build/release/vibeseg predict -m "$MODEL" -i "$WORK/in/case_0000.nii.gz" \
  -o "$WORK/vibeseg.nii.gz" --folds 0 $VSTTA --threads 2 --overwrite
# nnUNetv2_predict's own code path (predict_from_files), called through its Python API so the
# model folder needs no nnUNet_results/DatasetXXX layout:
/usr/bin/time -f "nnUNetPredictor wall_s=%e max_rss_kb=%M" "$VENV/bin/python" Benchmarks/predict/nnunet_predict.py \
  "$MODEL" "$WORK/in/case_0000.nii.gz" "$WORK/out_nnunet/case" "${TTA:-0}"
"$VENV/bin/python" -c "
import numpy as np, nibabel as nib
a = np.asanyarray(nib.load('$WORK/vibeseg.nii.gz').dataobj); b = np.asanyarray(nib.load('$WORK/out_nnunet/case.nii.gz').dataobj)
print('label agreement', (a == b).mean(), 'labels present', len(np.unique(b)))"
