#!/usr/bin/env bash
# Independent validation of VibeSeg's DICOM-SEG output on the committed orientation fixtures
# (issue 19): for each of the 8 series of Tests/Fixtures/dicom_seg/orientations and the oblique
# Tests/Fixtures/dicom/volume/series, and the UK-Biobank-like Tests/Fixtures/dicom/ukbb.zip
# (series 4), run
# `vibeseg segment SERIES -o OUT.nii.gz --output-type both` with the committed fixture model, then
# scripts/check_dicom_seg.py (pydicom + highdicom read-back per source instance vs nibabel's view
# of the NIfTI, laterality, references), dcmqi's segimage2itkimage in world space, and dciodvfy. Writes the log to
# Tests/Fixtures/dicom_seg/check_dicom_seg.log with the tool versions.
#
#   bash scripts/check_dicom_seg_fixtures.sh [PYTHON]   (default /work/venv/bin/python; needs
#   pydicom, highdicom, nibabel, dcmqi; dciodvfy from Debian's dicom3tools; a built .build/debug/vibeseg)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-/work/venv/bin/python}"
VIBESEG=.build/debug/vibeseg
MODEL=Tests/Fixtures/segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres
ROI=Tests/Fixtures/segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres
LOG=Tests/Fixtures/dicom_seg/check_dicom_seg.log
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export VIBESEG_HOME="$WORK/home"
status=0
{
  echo "# scripts/check_dicom_seg_fixtures.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# $("$PYTHON" -c 'import sys, pydicom, highdicom, nibabel, numpy; import importlib.metadata as m; print("python", sys.version.split()[0], "pydicom", pydicom.__version__, "highdicom", highdicom.__version__, "dcmqi", m.version("dcmqi"), "nibabel", nibabel.__version__, "numpy", numpy.__version__)')"
  echo "# dciodvfy: dicom3tools $(dpkg-query -W -f='${Version}' dicom3tools 2>/dev/null || echo unknown); vibeseg $($VIBESEG --version)"
  # The 8 orientations, and the oblique series with non-square pixels of Tests/Fixtures/dicom/volume.
  for series in Tests/Fixtures/dicom_seg/orientations/*/ Tests/Fixtures/dicom/volume/series/; do
    name=$(basename "$series")
    [ "$name" = series ] && name=oblique
    echo "== $name"
    "$VIBESEG" segment "$series" -o "$WORK/$name.nii.gz" --output-type both --model "$MODEL" --roi-model "$ROI" --offline -q
    "$PYTHON" scripts/check_dicom_seg.py "$WORK/$name.seg.dcm" "$series" "$WORK/$name.nii.gz" --dciodvfy --dcmqi || status=1
  done
  # A UK-Biobank-like visit zip, station series 4 chosen; compared against the unzipped copy.
  echo "== ukbb.zip --series 4"
  "$VIBESEG" segment Tests/Fixtures/dicom/ukbb.zip --series 4 -o "$WORK/ukbb.nii.gz" --output-type both --model "$MODEL" \
    --roi-model "$ROI" --offline -q
  "$PYTHON" scripts/check_dicom_seg.py "$WORK/ukbb.seg.dcm" Tests/Fixtures/dicom/ukbb "$WORK/ukbb.nii.gz" --dciodvfy --dcmqi || status=1
  # Its water stations stitched (--contrast water): one SEG per station series, each on its own
  # grid, labels from the stitched map by nearest voxel.
  echo "== ukbb.zip --contrast water (stitched; one SEG per station)"
  "$VIBESEG" segment Tests/Fixtures/dicom/ukbb.zip --contrast water -o "$WORK/stitched.nii.gz" --output-type both \
    --model "$MODEL" --roi-model "$ROI" --offline -q 2>/dev/null
  for seg in "$WORK"/stitched_series-*.seg.dcm; do
    echo "-- $(basename "$seg")"
    "$PYTHON" scripts/check_dicom_seg.py "$seg" Tests/Fixtures/dicom/ukbb "$WORK/stitched.nii.gz" --dciodvfy --dcmqi || status=1
  done
  echo "== overall: $([ $status -eq 0 ] && echo OK || echo FAILED)"
} 2>&1 | tee "$LOG"
exit $status
