#!/usr/bin/env bash
# System (Debian) packages VibeSeg builds against. Run as root (or with sudo).
#   zlib1g-dev    — streaming gzip inflate with CRC32/ISIZE verification (reading .nii.gz)
#   libdeflate-dev — fast whole-buffer gzip compression (writing .nii.gz, multi-threaded members)
#   libpng-dev    — PNG encoding of QC previews
#   libdnnl-dev   — oneDNN 2.6: the 3-D convolutions of the inference engine (blocked nCdhw8c layout)
#   libsqlite3-dev — SQLite for GRDB: the crash-safe manifest of cohort runs (`vibeseg batch`)
#   libcurl4      — Foundation's URLSession on Linux downloads models through libcurl
#   dcm2niix      — compressed DICOM (JPEG, JPEG 2000, RLE) is converted by it, run contained (DCM2NIIX)
set -euo pipefail
packages=(zlib1g-dev libdeflate-dev libdnnl-dev libpng-dev libsqlite3-dev libcurl4 dcm2niix)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
