#!/usr/bin/env bash
# vibeseg dicom index over ~10,000 UK Biobank-like DICOM files (6 visits x 24 series x 70 slices
# of 224 x 168), whole tree at once: wall time and peak RSS, RUNS times. Needs pydicom (VENV).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/work/venv}
WORK=${WORK:-/tmp/vibeseg-bench-dicom}
RUNS=${RUNS:-3}
swift build -c release --product vibeseg >/dev/null
[ -d "$WORK/visits/visit5" ] || "$VENV/bin/python" Benchmarks/dicom/make_visits.py "$WORK/visits"
echo "files: $(find "$WORK/visits" -type f | wc -l), bytes: $(du -sb "$WORK/visits" | cut -f1)"
for run in $(seq "$RUNS"); do
  sync; cat "$WORK"/visits/*/* > /dev/null  # warm page cache: measure parsing, not the disk
  /usr/bin/time -f "dicom index run=$run wall_s=%e max_rss_kb=%M" .build/release/vibeseg dicom index "$WORK/visits" --json > "$WORK/index.json" || true
done
"$VENV/bin/python" -c "
import json; d = json.load(open('$WORK/index.json')); print('verdict', d['verdict'], 'groups', d['counts']['groups'], 'images', d['counts']['images'])"
