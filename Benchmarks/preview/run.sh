#!/usr/bin/env bash
# Preview speed: `vibeseg preview` of a 320 x 260 x 300 int16 image with a 72-label uint8 map
# (.nii.gz both, NAKO spacing), all three views, 5 slices each, release build. End to end: reading
# and inflating both files, label validation and census, percentile window, drawing, PNG encoding,
# atomic write. Needs python3 with numpy + nibabel to make the input once.
#
# usage: Benchmarks/preview/run.sh        (RUNS=5 SCRATCH=.build WORK=/tmp/vibeseg-bench-preview REALTIME=0)
# Wall time depends on what else the machine runs; user+sys CPU seconds much less. On a shared
# machine (other sessions compiling), `nice` does not help (the kernel shares CPU between session
# groups first); REALTIME=1 (root) runs the command under SCHED_FIFO (`chrt -f 10`), which
# approximates an idle machine. Say which when quoting numbers.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
SCRATCH=${SCRATCH:-.build}
WORK=${WORK:-/tmp/vibeseg-bench-preview}
mkdir -p "$WORK"
swift build -c release --scratch-path "$SCRATCH" --product vibeseg >/dev/null
[ -f "$WORK/labels.nii.gz" ] || python3 Benchmarks/preview/make_input.py "$WORK/image.nii.gz" "$WORK/labels.nii.gz"
ls -l "$WORK"/image.nii.gz "$WORK"/labels.nii.gz
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
for run in $(seq "$RUNS"); do
  PREFIX=()
  [ "${REALTIME:-0}" = 1 ] && PREFIX=(chrt -f 10)
  "${PREFIX[@]}" /usr/bin/time -f "vibeseg preview wall_s=%e user_s=%U sys_s=%S max_rss_kb=%M" \
    "$SCRATCH/release/vibeseg" preview "$WORK/labels.nii.gz" --image "$WORK/image.nii.gz" -o "$WORK/preview.png" --overwrite
done
ls -l "$WORK/preview.png"
