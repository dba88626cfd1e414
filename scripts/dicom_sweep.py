#!/usr/bin/env python3
"""Runs `vibeseg dicom index FILE --json` and `vibeseg info FILE` on every file pydicom ships in
its test data (issue 19: no crash, every file indexed or refused with a reason), and writes one line
per file: name, index exit code and verdict or first error, info exit code and first line. A crash is
any exit code outside 0/64/65/66/74 or a signal; the script exits 1 if there is one.

Usage: python3 scripts/dicom_sweep.py [VIBESEG=.build/debug/vibeseg] > Tests/Fixtures/dicom/pydicom_sweep.txt"""
import json
import os
import subprocess
import sys

import pydicom

vibeseg = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/vibeseg"
folder = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
names = sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n)))
allowed = {0, 64, 65, 66, 74}
crashes = 0
print(f"# pydicom {pydicom.__version__} test_files: {len(names)} files; vibeseg = {vibeseg}")
print("# file | dicom index: exit, verdict or error | info: exit, first line")
for name in names:
    path = os.path.join(folder, name)
    index = subprocess.run([vibeseg, "dicom", "index", path, "--json"], capture_output=True, text=True, timeout=60)
    if index.returncode == 0 or index.stdout.strip().startswith("{"):
        try:
            report = json.loads(index.stdout)
            errors = [p["message"] for p in report["problems"] if p["severity"] == "error"]
            what = report["verdict"] + (f": {errors[0][:200]}" if errors else "")
            if report["counts"]["skipped"]:
                what += f" (skipped: {[s['reason'][:80] for s in report['skipped']][0]})"
        except Exception as e:  # noqa: BLE001
            what = f"unparsable JSON: {e}"
    else:
        what = index.stderr.strip().splitlines()[-1][:160] if index.stderr.strip() else "(no message)"
    info = subprocess.run([vibeseg, "info", path], capture_output=True, text=True, timeout=60)
    first = (info.stdout.strip().splitlines() or info.stderr.strip().splitlines() or ["(no output)"])[0]
    first = first.replace(folder + "/", "").replace(folder, "test_files")[:160]
    what = what.replace(folder + "/", "").replace(folder, "test_files")
    crash = index.returncode not in allowed or info.returncode not in allowed
    crashes += crash
    print(f"{name} | {index.returncode} {what} | {info.returncode} {first}"
          + (" | CRASH" if crash else ""))
print(f"# {crashes} crash(es)")
sys.exit(1 if crashes else 0)
