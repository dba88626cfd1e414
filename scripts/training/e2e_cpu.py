"""End-to-end CPU check of `vibeseg export-nnunet` with the real nnU-Net v2 (issue 21).

    /work/venv/bin/python scripts/training/e2e_cpu.py [--vibeseg .build/release/vibeseg] [--work DIR]

Steps (each must succeed; the script exits non-zero otherwise):
 1. 3 synthetic subjects x 3 contrasts (water, inphase, outphase; 40 x 36 x 24 voxels at
    6 x 5.625 x 5.625 mm, the coarse axis first so that nnU-Net transposes; small so that planning and one epoch fit a few CPU minutes), one label map per
    subject shared by its contrasts, with TotalVibeSegmentator ids (1 spleen, 2 kidney_right,
    5 liver) and the ignore label 73 on two slices; plus one deformed-looking copy `_d1`
    (a shifted image) of subject 0's water case, listed through a CSV manifest.
 2. `vibeseg export-nnunet manifest.csv --id 901 --name VibeE2E --folds 3`.
 3. The export's own `train.sh 0`: `nnUNetv2_plan_and_preprocess -d 901 -pl nnUNetPlannerResEncL
    -overwrite_plans_name nnUNetPlannerResEncL -c 3d_fullres --verify_dataset_integrity`, the copy of
    splits_final.json into $nnUNet_preprocessed/Dataset901_VibeE2E/, then `nnUNetv2_train`, which
    here is a stand-in on PATH that only records its arguments (a real one would train 1000
    epochs); they must be `901 3d_fullres 0 -tr nnUNetTrainerNoMirroring -p nnUNetPlannerResEncL`.
 4. Training fold 0 with the unmodified `nnUNetTrainerNoMirroring` through nnU-Net's own
    `get_trainer_from_args` (what `nnUNetv2_train` calls), with `num_epochs = 1`,
    `num_iterations_per_epoch = 2`, `num_val_iterations_per_epoch = 1` set on the trainer object
    before training. This keeps the trainer's class name (so the result folder and the
    checkpoint's `trainer_name` are exactly those of a real run) without installing a trainer
    subclass into the nnunetv2 package. The training log must say "Using splits from existing
    split file".
 5. `vibeseg check-trained` on the result folder.
 6. `nnUNetv2_predict` and `vibeseg predict` on a held-out 4th subject's 3 contrasts; voxel
    agreement per case must be >= 99.9 %, and neither may predict the ignore label.

nnU-Net needs the nnUNet_raw/_preprocessed/_results variables; the script sets them under --work.
The `if __name__ == "__main__"` guard is required: nnU-Net's validation export uses a spawn pool.
"""
import argparse
import csv
import importlib.metadata as metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

DATASET_ID = 901
DATASET = "Dataset901_VibeE2E"
RESULT = "nnUNetTrainerNoMirroring__nnUNetPlannerResEncL__3d_fullres"
SHAPE = (40, 36, 24)
# The coarse axis is i (6 mm), not k: reversed to SimpleITK's z y x it is last, so nnU-Net's planner
# sets transpose_forward = [2, 0, 1], which exercises the axis-order logic of check-trained and predict.
AFFINE = np.diag([6.0, 5.625, 5.625, 1.0])
CONTRASTS = ["water", "inphase", "outphase"]


def log(*parts):
    print(*parts, flush=True)


def run(cmd, env, tail=15):
    """Runs `cmd`, prints the command, its run time and the last `tail` lines of its output."""
    log("$ " + " ".join(cmd))
    start = time.time()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = proc.stdout.rstrip().splitlines()
    for line in lines[-tail:]:
        log("    " + line)
    log(f"    -> exit {proc.returncode} in {time.time() - start:.1f} s")
    if proc.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}")
    return proc.stdout


def phantom(subject, rng):
    """A label map (uint8) with three blobs and the ignore label on the first two k-slices."""
    i, j, k = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    shift = subject - 1
    lab = np.zeros(SHAPE, np.uint8)
    lab[((i - 20 - shift) ** 2 + (j - 18) ** 2 + ((k - 12) * 1.5) ** 2) < 100] = 5  # liver
    lab[((i - 10) ** 2 + (j - 18 + shift) ** 2 + ((k - 12) * 1.5) ** 2) < 30] = 1  # spleen
    lab[(i > 28) & (j > 10) & (j < 26) & (k > 6) & (k < 18)] = 2  # kidney_right
    lab[:, :, :2] = 73  # ignore: slices nobody corrected
    return lab


def image(lab, contrast_index, rng):
    base = 100 + 200 * (lab == 5) + 120 * (lab == 1) * (contrast_index + 1) + 60 * (lab == 2)
    return (base + rng.normal(0, 10, SHAPE)).astype(np.float32)


def make_cases(work):
    import nibabel as nib

    rng = np.random.default_rng(1)
    cases = os.path.join(work, "cases")
    test = os.path.join(work, "test_images")
    os.makedirs(cases)
    os.makedirs(test)
    rows = []
    for s in range(4):
        lab = phantom(s, rng)
        subject = f"sub{s:03d}"
        if s < 3:
            nib.save(nib.Nifti1Image(lab, AFFINE), f"{cases}/{subject}_label.nii.gz")
        for c, contrast in enumerate(CONTRASTS):
            img = image(lab, c, rng)
            if s == 3:  # held out: the prediction inputs
                nib.save(nib.Nifti1Image(img, AFFINE), f"{test}/{subject}_{contrast}_0000.nii.gz")
                continue
            nib.save(nib.Nifti1Image(img, AFFINE), f"{cases}/{subject}_{contrast}.nii.gz")
            rows.append([subject, "ses1", contrast, f"cases/{subject}_{contrast}.nii.gz", f"cases/{subject}_label.nii.gz", ""])
    # a stand-in for a `vibeseg augment` copy: subject 0 water and its labels rolled by 2 voxels
    lab0 = np.asarray(nib.load(f"{cases}/sub000_label.nii.gz").dataobj)
    img0 = np.asarray(nib.load(f"{cases}/sub000_water.nii.gz").dataobj)
    nib.save(nib.Nifti1Image(np.roll(img0, 2, axis=0), AFFINE), f"{cases}/sub000_water_d1.nii.gz")
    nib.save(nib.Nifti1Image(np.roll(lab0, 2, axis=0), AFFINE), f"{cases}/sub000_label_d1.nii.gz")
    rows.append(["sub000", "ses1", "water", "cases/sub000_water_d1.nii.gz", "cases/sub000_label_d1.nii.gz", "1"])
    with open(os.path.join(work, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["subject", "session", "contrast", "image", "label", "copy"])
        w.writerows(rows)
    return test


def train(env):
    """Fold 0 of nnUNetTrainerNoMirroring for 1 epoch of 2 iterations, on the CPU (step 4)."""
    os.environ.update(env)
    # augmentation in the main process (nnU-Net's SingleThreadedAugmenter): no worker processes on a
    # small CPU. Only here: the planner passes this number to torch.set_num_threads, which refuses 0.
    os.environ["nnUNet_n_proc_DA"] = "0"
    import torch
    from nnunetv2.run.run_training import get_trainer_from_args, maybe_load_checkpoint

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    trainer = get_trainer_from_args(
        str(DATASET_ID), "3d_fullres", 0, "nnUNetTrainerNoMirroring", "nnUNetPlannerResEncL", device=torch.device("cpu"))
    trainer.num_epochs = 1
    trainer.num_iterations_per_epoch = 2
    trainer.num_val_iterations_per_epoch = 1
    maybe_load_checkpoint(trainer, False, False, None)
    start = time.time()
    trainer.run_training()
    trainer.perform_actual_validation(False)
    log(f"    training + validation: {time.time() - start:.1f} s, output {trainer.output_folder}")
    logs = [f for f in os.listdir(trainer.output_folder) if f.startswith("training_log")]
    text = "".join(open(os.path.join(trainer.output_folder, f)).read() for f in logs)
    used = [line.strip() for line in text.splitlines() if "Using splits from existing split file" in line]
    if not used:
        sys.exit("FAILED: the training log does not say 'Using splits from existing split file'")
    log("    " + used[0])
    split_line = [line.strip() for line in text.splitlines() if "training cases" in line or "validation cases" in line]
    for line in split_line[:2]:
        log("    " + line)
    ck = torch.load(os.path.join(trainer.output_folder, "checkpoint_final.pth"), map_location="cpu", weights_only=False)
    log(f"    checkpoint: trainer_name {ck['trainer_name']}, inference_allowed_mirroring_axes {ck['inference_allowed_mirroring_axes']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vibeseg", default=None, help="the vibeseg binary (default .build/release, else .build/debug)")
    parser.add_argument("--work", default="/tmp/vibeseg-e2e-cpu", help="scratch folder (emptied first)")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    vibeseg = args.vibeseg or next(
        (p for p in (f"{repo}/.build/release/vibeseg", f"{repo}/.build/debug/vibeseg") if os.path.exists(p)), None)
    if not vibeseg:
        sys.exit("no vibeseg binary: swift build first, or pass --vibeseg")
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ)
    for name in ("raw", "preprocessed", "results"):
        env[f"nnUNet_{name}"] = os.path.join(work, f"nnUNet_{name}")
        os.makedirs(env[f"nnUNet_{name}"])
    py_bin = os.path.dirname(sys.executable)

    commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    vs = subprocess.run([vibeseg, "--version"], capture_output=True, text=True).stdout.strip()
    log(f"date {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {platform.platform()}; {os.cpu_count()} CPUs")
    log(f"vibeseg {vs} (commit {commit}, {os.path.relpath(vibeseg, repo)}); python {platform.python_version()}; "
        + ", ".join(f"{p} {metadata.version(p)}" for p in ["nnunetv2", "torch", "numpy", "nibabel", "SimpleITK", "dynamic-network-architectures"]))
    t0 = time.time()

    log("\n1. synthetic cases: 3 subjects x 3 contrasts + 1 copy (sub000 water d1), held-out sub003 for prediction")
    test = make_cases(work)

    log("\n2. export")
    run([vibeseg, "export-nnunet", f"{work}/manifest.csv", "--id", str(DATASET_ID), "--name", "VibeE2E",
         "-o", env["nnUNet_raw"], "--folds", "3"], env)
    raw = os.path.join(env["nnUNet_raw"], DATASET)
    splits = json.load(open(f"{raw}/splits_final.json"))
    for f, s in enumerate(splits):
        log(f"    fold {f}: val {s['val']} / train {len(s['train'])} cases")
    ds = json.load(open(f"{raw}/dataset.json"))
    log(f"    dataset.json: {len(ds['labels'])} labels, ignore {ds['labels']['ignore']}, numTraining {ds['numTraining']}, "
        f"orientation {ds['orientation']}, spacing {ds['spacing']}")

    log("\n3. train.sh 0 (plan and preprocess, copy splits; nnUNetv2_train only recorded)")
    shim = os.path.join(work, "shim")
    os.makedirs(shim)
    record = os.path.join(work, "nnUNetv2_train.args")
    with open(os.path.join(shim, "nnUNetv2_train"), "w") as f:
        f.write(f'#!/bin/sh\necho "$@" > "{record}"\n')
    os.chmod(os.path.join(shim, "nnUNetv2_train"), 0o755)
    sh_env = dict(env, PATH=f"{shim}:{py_bin}:{env.get('PATH', '')}")
    run(["sh", f"{raw}/train.sh", "0"], sh_env, tail=4)
    recorded = open(record).read().strip()
    log(f"    nnUNetv2_train {recorded}")
    if recorded != f"{DATASET_ID} 3d_fullres 0 -tr nnUNetTrainerNoMirroring -p nnUNetPlannerResEncL":
        sys.exit("FAILED: train.sh calls nnUNetv2_train with other arguments")
    if open(os.path.join(env["nnUNet_preprocessed"], DATASET, "splits_final.json")).read() != open(f"{raw}/splits_final.json").read():
        sys.exit("FAILED: train.sh did not copy splits_final.json")
    plans = json.load(open(os.path.join(env["nnUNet_preprocessed"], DATASET, "nnUNetPlannerResEncL.json")))
    cfg = plans["configurations"]["3d_fullres"]
    log(f"    plans: spacing {cfg['spacing']}, transpose_forward {plans['transpose_forward']}, patch {cfg['patch_size']}, batch {cfg['batch_size']}")

    log("\n4. train fold 0 (nnUNetTrainerNoMirroring, 1 epoch x 2 iterations, CPU)")
    train(env)
    result = os.path.join(env["nnUNet_results"], DATASET, RESULT)

    log("\n5. vibeseg check-trained")
    run([vibeseg, "check-trained", result, "--dataset", raw, "-f", "0"], env)

    log("\n6. predict the held-out subject with nnU-Net and with vibeseg")
    ref, ours = f"{work}/pred_nnunet", f"{work}/pred_vibeseg"
    run([f"{py_bin}/nnUNetv2_predict", "-i", test, "-o", ref, "-d", str(DATASET_ID), "-c", "3d_fullres",
         "-tr", "nnUNetTrainerNoMirroring", "-p", "nnUNetPlannerResEncL", "-f", "0", "-device", "cpu",
         "-npp", "1", "-nps", "1"], env, tail=4)
    run([vibeseg, "predict", "-m", result, "-f", "0", "-i", test, "-o", ours], env, tail=4)
    import nibabel as nib

    worst = 1.0
    for name in sorted(f for f in os.listdir(test) if f.endswith("_0000.nii.gz")):
        case = name[: -len("_0000.nii.gz")] + ".nii.gz"
        a = np.asarray(nib.load(f"{ref}/{case}").dataobj)
        b = np.asarray(nib.load(f"{ours}/{case}").dataobj)
        agree = float(np.mean(a == b))
        worst = min(worst, agree)
        la, lb = set(np.unique(a).tolist()), set(np.unique(b).tolist())
        log(f"    {case}: agreement {100 * agree:.4f} % ({int(np.sum(a != b))} of {a.size} voxels differ); "
            f"{len(la)} distinct labels from nnU-Net, {len(lb)} from vibeseg, {'same' if la == lb else 'different'} sets, max {max(la | lb)}")
        if 73 in np.unique(a) or 73 in np.unique(b):
            sys.exit("FAILED: a prediction contains the ignore label")
    if worst < 0.999:
        sys.exit(f"FAILED: agreement {100 * worst:.4f} % < 99.9 %")
    log(f"\nPASSED: worst agreement {100 * worst:.4f} % (>= 99.9 %); total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
