#!/usr/bin/env python3
"""Independent read-back of a VibeSeg DICOM-SEG (issue 19): pydicom + highdicom for the SEG and
its source series, nibabel for the NIfTI label map written in the same run.

    /work/venv/bin/python scripts/check_dicom_seg.py SEG.seg.dcm SOURCE_DIR LABELS.nii.gz [--dciodvfy] [--dcmqi]

SOURCE_DIR may hold other series too (a visit): only the SEG's referenced series is compared.

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
  4. With --dciodvfy: dicom3tools' dciodvfy prints no line starting with Error or Warning (a
     "needed to build DICOMDIR" warning, caused by an empty Type 2 attribute copied from a source
     that lacks it, is printed but not failed).
  5. With --dcmqi: dcmqi's segimage2itkimage (pip dcmqi, ITK) converts the SEG to a merged label
     image; every one of its voxels, placed in the world by its own affine, must hold the label
     of the map's voxel there, and when the map is on the series' grid every labelled voxel of the
     map must be covered: the same labels in world space by a third, ITK-based reader. For a map
     on another grid (stitched stations: one SEG per station) the map is sampled at the nearest
     voxel, as the writer does, and 1 (highdicom) reports the pixels off its grid.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

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


def dcmqi_check(seg_path, data, affine, inverse):
    tool = shutil.which("segimage2itkimage") or os.path.join(os.path.dirname(sys.executable), "segimage2itkimage")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([tool, "--inputDICOM", seg_path, "--outputDirectory", tmp, "--mergeSegments",
                              "--outputType", "nifti"], capture_output=True, text=True)
        if run.returncode != 0:
            return [f"dcmqi segimage2itkimage failed ({run.returncode}): {run.stderr.strip()[-300:]}"]
        meta = json.load(open(os.path.join(tmp, "meta.json")))
        value_of = {}
        for group in meta["segmentAttributes"]:
            for s in group:
                m = re.match(r"label (\d+) ", s.get("SegmentDescription", ""))
                value_of[int(s["labelID"])] = int(m.group(1)) if m else int(s["labelID"])
        merged = [f for f in os.listdir(tmp) if f.endswith(".nii.gz")]
        if len(merged) != 1:
            return [f"dcmqi wrote {merged}, expected one merged image"]
        other = nib.load(os.path.join(tmp, merged[0]))
        got = np.asarray(other.dataobj).astype(np.int64)
        lut = np.zeros(max(list(value_of) + [int(got.max())]) + 1, np.int64)
        for k, v in value_of.items():
            lut[k] = v
        got = lut[got]
        idx = np.stack(np.meshgrid(*[np.arange(n) for n in got.shape], indexing="ij"), -1).reshape(-1, 3)
        ras = idx @ other.affine[:3, :3].T + other.affine[:3, 3]
        vox = ras @ inverse[:3, :3].T + inverse[:3, 3]
        rounded = np.rint(vox)
        off = int(np.sum(np.any(np.abs(vox - rounded) >= 1e-3, axis=-1)))
        r = rounded.astype(int)
        inside = np.all((r >= 0) & (r < np.array(data.shape)), axis=-1)
        want = np.zeros(len(r), np.int64)
        want[inside] = data[r[inside][:, 0], r[inside][:, 1], r[inside][:, 2]]
        diff = int(np.sum(want != got.reshape(-1)))
        covered = np.zeros(data.shape, bool)
        covered[r[inside][:, 0], r[inside][:, 1], r[inside][:, 2]] = True
        uncovered = int(np.sum((data != 0) & ~covered))
        print(f"dcmqi {os.path.basename(tool)}: {got.size} voxels in world space, {diff} differ from the label map, "
              f"{off} off its grid, {uncovered} labelled map voxels not covered")
        # Off the map's grid (a stitched map, one SEG per station) the comparison is by nearest
        # voxel, as the writer samples, and a station's SEG covers only its station.
        failed = diff or (off == 0 and uncovered)
        return [f"dcmqi world-space read-back: {diff} differ, {off} off grid, {uncovered} uncovered"] if failed else []


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 64
    seg_path, folder, nifti_path = argv[1:4]
    failures = []
    seg = hd.seg.segread(seg_path)
    raw = pydicom.dcmread(seg_path)
    # The SEG's own source series among whatever the folder holds (a visit has many).
    series_uids = {str(item.SeriesInstanceUID) for item in raw.ReferencedSeriesSequence}
    sources = {uid: ds for uid, ds in source_instances(folder).items() if str(ds.SeriesInstanceUID) in series_uids}
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
        # A DICOMDIR-only warning reflects an empty Type 2 attribute copied from the source (e.g. a
        # source without StudyID): reported, not failed.
        problems = [l for l in lines if l.startswith("Error") or
                    (l.startswith("Warning") and "needed to build DICOMDIR" not in l)]
        print(f"dciodvfy: exit {run.returncode}, {len(problems)} error/warning lines; output: {' | '.join(lines)}")
        if run.returncode != 0 or problems:
            failures.append("dciodvfy: " + "; ".join(problems or [f"exit {run.returncode}"]))

    if "--dcmqi" in argv:
        failures += dcmqi_check(seg_path, data, image.affine, inverse)

    for f in failures:
        print("FAIL:", f)
    print("OK" if not failures else f"{len(failures)} failure(s)")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
