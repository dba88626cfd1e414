#!/usr/bin/env python3
"""Synthetic UK Biobank-like DICOM for the index benchmark: N_VISITS folders, each 24 series
(6 stations x in/opp/F/W) of SLICES slices of 224 x 168 uint16 (the UK Biobank Dixon matrix),
written with the fixture generator's Series class (scripts/fixtures/make_dicom_fixtures.py).
Usage: make_visits.py OUT_DIR [N_VISITS=6] [SLICES=70]   (6 x 24 x 70 = 10,080 files)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "fixtures"))
import make_dicom_fixtures as fx  # noqa: E402

fx.COLUMNS = 224


def main():
    out = sys.argv[1]
    visits = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    slices = int(sys.argv[3]) if len(sys.argv) > 3 else 70
    for v in range(visits):
        fx.CURRENT[0] = f"bench{v}"
        study = fx.uid("study", v)
        z_top, number = 0.0, 1
        for station in range(6):
            for contrast in ["in", "opp", "F", "W"]:
                series = fx.dixon_series(study, number, "Dixon_BH_17s", contrast, z_top, slices, 3.0, rows=168,
                                         series_time=f"1{station}{number:02d}00.000")
                series.write(os.path.join(out, f"visit{v}"), name="{sop}.dcm")
                number += 1
            z_top -= (slices - 4) * 3.0
    print(f"{visits * 24 * slices} files under {out}")


if __name__ == "__main__":
    main()
