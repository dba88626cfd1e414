#!/usr/bin/env python3
"""Independent read-back of a VibeSeg DICOM-SEG (issue 19): pydicom + highdicom for the SEG and
its source series, nibabel for the NIfTI label map written in the same run.

    /work/venv/bin/python scripts/check_dicom_seg.py SEG.seg.dcm SOURCE_SERIES_DIR LABELS.nii.gz [--dciodvfy]

Checks, printing one line per finding and a summary; exit status 1 when any check fails:
  1. highdicom reads the SEG (hd.seg.segread) and, for every source instance of the folder,
     `get_pixels_by_source_instance(..., combine_segments=True, relabel=False)` (which needs
     SpatialLocationsPreserved) gives, after mapping segment numbers to label values, exactly the
     label map's values at that instance's pixels. The label map is sampled here with numpy:
     pixel (row i, column j) of a slice with IPP p, IOP (r, c), PixelSpacing (dr, dc) is the LPS
     point p + j*dc*r + i*dr*c, in RAS (-x, -y, z), voxel inv(A) @ RAS, which must be within 1e-3
     of integers (the map is on the series' own grid).
  2. The SEG's frames reference only instances of the source series, and every instance is in
     its Common Instance Reference.
  3. Segment numbers are 1..n; kidney_left and kidney_right (when listed) have the same category
     and type codes and differ by the laterality modifier only (Left 7771000 / Right 24028007).
  4. With --dciodvfy: dicom3tools' dciodvfy prints no line starting with Error or Warning.
"""
import glob
import os
import re
import subprocess
import sys

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom


def source_instances(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if "ImagePositionPatient" in ds:
            out[ds.SOPInstanceUID] = ds
    return out


def expected_labels(ds, data, inverse):
    rows, cols = int(ds.Rows), int(ds.Columns)
    iop = np.array(ds.ImageOrientationPatient, float)
    r, c = iop[:3], iop[3:]
    dr, dc = (float(v) for v in ds.PixelSpacing)
    p = np.array(ds.ImagePositionPatient, float)
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    lps = p + j[..., None] * dc * r + i[..., None] * dr * c
    ras = lps * np.array([-1.0, -1.0, 1.0])
    vox = ras @ inverse[:3, :3].T + inverse[:3, 3]
    rounded = np.rint(vox)
    off_grid = int(np.sum(np.any(np.abs(vox - rounded) >= 1e-3, axis=-1)))
    idx = rounded.astype(int)
    inside = np.all((idx >= 0) & (idx < np.array(data.shape)), axis=-1)
    labels = np.zeros((rows, cols), data.dtype)
    labels[inside] = data[idx[inside][:, 0], idx[inside][:, 1], idx[inside][:, 2]]
    return labels, off_grid, int(np.sum(~inside))


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 64
    seg_path, folder, nifti_path = argv[1:4]
    failures = []
    seg = hd.seg.segread(seg_path)
    raw = pydicom.dcmread(seg_path)
    sources = source_instances(folder)
    image = nib.load(nifti_path)
    data = np.asarray(image.dataobj).astype(np.int64)
    inverse = np.linalg.inv(image.affine)

    numbers = [int(s.SegmentNumber) for s in raw.SegmentSequence]
    if numbers != list(range(1, len(numbers) + 1)):
        failures.append(f"segment numbers are not 1..n: {numbers}")
    value_of = {}
    for s in raw.SegmentSequence:
        m = re.match(r"label (\d+) ", str(s.get("SegmentDescription", "")))
        value_of[int(s.SegmentNumber)] = int(m.group(1)) if m else int(s.SegmentNumber)
    lut = np.zeros(max(numbers) + 1, np.int64)
    for number, value in value_of.items():
        lut[number] = value

    by_label = {str(s.SegmentLabel): s for s in raw.SegmentSequence}
    if "kidney_left" in by_label and "kidney_right" in by_label:
        left, right = by_label["kidney_left"], by_label["kidney_right"]
        def codes(s):
            t = s.SegmentedPropertyTypeCodeSequence[0]
            mod = t.get("SegmentedPropertyTypeModifierCodeSequence")
            return (s.SegmentedPropertyCategoryCodeSequence[0].CodeValue, t.CodeValue,
                    mod[0].CodeValue if mod else None)
        (cl, tl, ml), (cr, tr, mr) = codes(left), codes(right)
        if not (cl == cr and tl == tr and ml == "7771000" and mr == "24028007"):
            failures.append(f"laterality: kidney_left {codes(left)} vs kidney_right {codes(right)}")
        else:
            print(f"laterality: kidney_left/right share category {cl} and type {tl}; modifiers {ml} (Left) / {mr} (Right)")

    referenced = {uid for series in raw.ReferencedSeriesSequence for uid in
                  (item.ReferencedSOPInstanceUID for item in series.ReferencedInstanceSequence)}
    if referenced != set(sources):
        failures.append(f"Common Instance Reference lists {len(referenced)} instances, the folder has {len(sources)}")
    framed = {fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
              for fg in raw.PerFrameFunctionalGroupsSequence}
    if not framed <= set(sources):
        failures.append(f"{len(framed - set(sources))} frames reference instances outside the source folder")

    total = differing = off_grid = outside = labelled = 0
    for uid, ds in sorted(sources.items(), key=lambda kv: float(np.dot(
            np.array(kv[1].ImagePositionPatient, float),
            np.cross(np.array(kv[1].ImageOrientationPatient[:3], float), np.array(kv[1].ImageOrientationPatient[3:], float))))):
        want, off, out = expected_labels(ds, data, inverse)
        off_grid += off
        outside += out
        if uid in framed:
            got = seg.get_pixels_by_source_instance(
                source_sop_instance_uids=[uid], combine_segments=True, relabel=False)[0]
            got = lut[got.astype(np.int64)]
        else:
            got = np.zeros_like(want)  # no frame for this instance: every segment empty there
        diff = int(np.sum(got != want))
        total += want.size
        labelled += int(np.sum(want != 0))
        differing += diff
        if diff:
            failures.append(f"instance {uid}: {diff} of {want.size} pixels differ")
    print(f"highdicom read-back: {len(sources)} source instances, {total} pixels ({labelled} labelled), "
          f"{differing} differ from the label map; {off_grid} pixels off the map's grid, {outside} outside it; "
          f"{len(raw.PerFrameFunctionalGroupsSequence)} frames, {len(numbers)} segments")

    if "--dciodvfy" in argv:
        run = subprocess.run(["dciodvfy", seg_path], capture_output=True, text=True)
        lines = (run.stdout + run.stderr).splitlines()
        problems = [l for l in lines if l.startswith("Error") or l.startswith("Warning")]
        print(f"dciodvfy: exit {run.returncode}, {len(problems)} error/warning lines; output: {' | '.join(lines)}")
        if run.returncode != 0 or problems:
            failures.append("dciodvfy: " + "; ".join(problems or [f"exit {run.returncode}"]))

    for f in failures:
        print("FAIL:", f)
    print("OK" if not failures else f"{len(failures)} failure(s)")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
