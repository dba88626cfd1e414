#!/usr/bin/env python3
"""Checks the SNOMED CT table of DICOM-SEG output (Sources/VibeSegKit/TotalVibe/TotalVibeSegmentCode.swift)
against pydicom's snapshot of DICOM PS3.16 (pydicom.sr._concepts_dict, _cid_dict):

  - each category code is in CID 7150 (Segmentation Property Categories);
  - each modifier is in CID 244 (Laterality);
  - each type code found in PS3.16 has the table's meaning (case-insensitive) or is listed with
    its PS3.16 meaning; codes not in PS3.16 are listed (they cannot be checked offline).

    /work/venv/bin/python scripts/check_snomed_codes.py      (exit 1 on a category/modifier error)
"""
import os
import re
import sys

import pydicom
from pydicom.sr._cid_dict import cid_concepts
from pydicom.sr._concepts_dict import concepts

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TABLE = os.path.join(ROOT, "Sources", "VibeSegKit", "TotalVibe", "TotalVibeSegmentCode.swift")
NAMED = {".anatomicalStructure": "91723000", ".tissue": "85756007", ".left": "7771000", ".right": "24028007"}


def main():
    text = open(TABLE).read()
    rows = re.findall(r'"(\w+)": \.init\(\s*(\.\w+),\s*CodedConcept\("(\d+)", "SCT", "([^"]+)"\),\s*(\.\w+|nil)\)', text)
    by_code = {}
    for _, entries in concepts["SCT"].items():
        for code, (meaning, cids) in entries.items():
            by_code.setdefault(code, []).append((meaning, cids))
    def in_cid(code, cid):
        return any(cid in cids for _, cids in by_code.get(code, []))
    errors, notes = [], []
    for name, category, type_code, meaning, modifier in rows:
        if not in_cid(NAMED[category], 7150):
            errors.append(f"{name}: category {NAMED[category]} not in CID 7150")
        if modifier != "nil" and not in_cid(NAMED[modifier], 244):
            errors.append(f"{name}: modifier {NAMED[modifier]} not in CID 244")
        hits = by_code.get(type_code)
        if not hits:
            notes.append(f"{name}: {type_code} '{meaning}' not in PS3.16 (unchecked offline)")
        elif not any(m.lower() == meaning.lower() for m, _ in hits):
            notes.append(f"{name}: {type_code} '{meaning}': PS3.16 meaning {[m for m, _ in hits]}")
    print(f"pydicom {pydicom.__version__}: {len(rows)} labels checked")
    for line in notes:
        print("note:", line)
    for line in errors:
        print("ERROR:", line)
    return 1 if errors or len(rows) != 71 else 0


if __name__ == "__main__":
    sys.exit(main())
