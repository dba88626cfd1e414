#!/usr/bin/env bash
# Builds and runs the TorchCheckpoint fuzz targets (reliability.md 4.3).
#
#   Fuzz/run.sh [unpickler|zip|both] [SECONDS]      default: both, 600 s each (run in parallel)
#   OPT=-Onone Fuzz/run.sh ...                      fuzz the debug build (default -O)
#
# The module sources are compiled straight into each fuzzer with -sanitize=fuzzer,address and
# -parse-as-library (SwiftPM executable targets do not work for this, see reliability.md 4.3).
# Seeds: the committed fixtures. Work dirs and crashers go to .build-fuzz/ (git-ignored); copy a
# crasher to Tests/Fixtures/checkpoint/crashers/ to keep it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
seconds=${2:-600}
opt=${OPT:--O}
work=.build-fuzz
mkdir -p "$work"
export SWIFT_BACKTRACE=enable=no  # else Swift's crash handler trips ASan and hides the real trap

# Compile from a snapshot, so editing the sources during a long run cannot break the build.
snapshot="$work/src-$$"
mkdir -p "$snapshot"
cp Sources/TorchCheckpoint/*.swift Fuzz/*.swift "$snapshot/"
rm "$snapshot"/*+URL.swift
sources=$(ls "$snapshot"/*.swift | grep -v 'Fuzz.swift$')
fixtures=Tests/Fixtures/checkpoint

build() {  # name harness
  swiftc -sanitize=fuzzer,address -parse-as-library $opt -g -package-name VibeSeg -module-name "Fuzz_$1" \
    -I Sources/CZlib $sources "$snapshot/$2" -o "$work/fuzz-$1" 2> "$work/build-$1.log" \
    || { grep -v "Cannot export local symbol" "$work/build-$1.log"; exit 1; }
}

seed() {  # name files...
  local corpus="$work/corpus-$1"
  mkdir -p "$corpus"
  shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$corpus/" || true; done
}

run() {  # name
  mkdir -p "$work/crashers-$1"
  "$work/fuzz-$1" "$work/corpus-$1" -dict=Fuzz/pickle.dict -max_total_time="$seconds" -timeout=10 \
    -malloc_limit_mb=512 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$work/crashers-$1/" > "$work/run-$1.log" 2>&1 || true
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|cov: ' "$work/run-$1.log" | tail -4
  echo "$1: crashers: $(ls "$work/crashers-$1" | wc -l)"
}

case $which in
  unpickler|both)
    build unpickler UnpicklerFuzz.swift
    seed unpickler $fixtures/valid/*.data.pkl $fixtures/crafted/*.pkl $fixtures/crashers/* ;;
esac
case $which in
  zip|both)
    build zip ZipFuzz.swift
    seed zip $fixtures/valid/dtypes*.pth $fixtures/crafted/*.pth $fixtures/crashers/* ;;
esac
case $which in
  unpickler) run unpickler ;;
  zip) run zip ;;
  both) run unpickler & run zip & wait ;;
esac
