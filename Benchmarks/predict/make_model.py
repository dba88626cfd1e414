#!/usr/bin/env python3
"""A TotalVibe-sized nnU-Net model folder with random weights and a benchmark input.

nnU-Net's default planner (ExperimentPlanner) on a synthetic 73-label dataset of 320 x 260 x 96
images at 1.40625 x 1.40625 x 3 mm (NAKO VIBE), then the 3d_fullres network built by nnunetv2
with random weights and saved in nnUNetTrainer's checkpoint format (fold 0).
Usage: make_model.py WORK_DIR   (writes WORK_DIR/model/..., WORK_DIR/input_0000.nii.gz)
BASE_FEATURES=n (default 32, the planner's own): the planner's UNet_base_num_features, so that the
features are min(320, n * 2^stage), e.g. 6 -> 6, 12, 24, ... (issue 20: widths that are not
multiples of 8, planned by the real planner).
PLANNER=resencl: nnU-Net's nnUNetPlannerResEncL instead (model 100's architecture, ResidualEncoderUNet;
the model folder is then nnUNetTrainer__nnUNetResEncUNetLPlans__3d_fullres). SLICES=n (default 96):
the phantom's slice count (300 for a NAKO whole body)."""
import os, sys, json, shutil
import numpy as np

work = os.path.abspath(sys.argv[1])
for v in ["nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"]:
    os.environ[v] = os.path.join(work, v)
    os.makedirs(os.environ[v], exist_ok=True)

import torch
import nibabel as nib
from batchgenerators.utilities.file_and_folder_operations import load_json, save_json
from nnunetv2.experiment_planning.plan_and_preprocess_api import extract_fingerprints, plan_experiments
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager
from nnunetv2.utilities.get_network_from_plans import get_network_from_plans


def body(shape, seed):
    rng = np.random.default_rng(seed)
    i, j, k = np.meshgrid(*[np.linspace(-1, 1, n, dtype=np.float32) for n in shape], indexing="ij")
    inside = (i / 0.9) ** 2 + (j / 0.8) ** 2 < 1
    img = np.where(inside, 300 + 200 * np.sin(4 * i) * np.cos(3 * j) + 50 * k + rng.normal(0, 10, shape), 0)
    lab = np.zeros(shape, np.uint8)
    for n in range(1, 73):
        c = rng.uniform(-0.6, 0.6, 3)
        lab[((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 < 0.01) & inside] = n
    return img.astype(np.float32), lab


def main():
    shape = (320, 260, int(os.environ.get("SLICES", "96")))
    affine = np.diag([1.40625, 1.40625, 3.0, 1.0])
    raw = os.path.join(os.environ["nnUNet_raw"], "Dataset950_Body")
    os.makedirs(os.path.join(raw, "imagesTr"), exist_ok=True)
    os.makedirs(os.path.join(raw, "labelsTr"), exist_ok=True)
    for n in range(2):
        img, lab = body(shape, n)
        nib.save(nib.Nifti1Image(img, affine), os.path.join(raw, "imagesTr", f"case{n}_0000.nii.gz"))
        nib.save(nib.Nifti1Image(lab, affine), os.path.join(raw, "labelsTr", f"case{n}.nii.gz"))
        if n == 0:
            nib.save(nib.Nifti1Image(img, affine), os.path.join(work, "input_0000.nii.gz"))
    labels = {"background": 0, **{f"structure_{n}": n for n in range(1, 73)}}
    save_json({"channel_names": {"0": "MRI"}, "labels": labels, "numTraining": 2, "file_ending": ".nii.gz"},
              os.path.join(raw, "dataset.json"), sort_keys=False)
    extract_fingerprints([950], check_dataset_integrity=False)
    base = int(os.environ.get("BASE_FEATURES", "32"))
    resencl = os.environ.get("PLANNER", "") == "resencl"
    plans_name = "nnUNetResEncUNetLPlans" if resencl else "nnUNetPlans"
    if resencl:
        from nnunetv2.experiment_planning.experiment_planners.residual_unets.residual_encoder_unet_planners import (
            nnUNetPlannerResEncL)
        nnUNetPlannerResEncL(950).plan_experiment()
    elif base == 32:
        plan_experiments([950])
    else:
        from nnunetv2.experiment_planning.experiment_planners.default_experiment_planner import ExperimentPlanner
        planner = ExperimentPlanner(950)
        planner.UNet_base_num_features = base
        planner.plan_experiment()
    pre = os.path.join(os.environ["nnUNet_preprocessed"], "Dataset950_Body")
    plans = load_json(os.path.join(pre, f"{plans_name}.json"))
    dataset = load_json(os.path.join(raw, "dataset.json"))
    folder = os.path.join(work, "model", f"nnUNetTrainer__{plans_name}__3d_fullres")
    os.makedirs(os.path.join(folder, "fold_0"), exist_ok=True)
    save_json(plans, os.path.join(folder, "plans.json"), sort_keys=False)
    save_json(dataset, os.path.join(folder, "dataset.json"), sort_keys=False)
    pm = PlansManager(plans)
    cm = pm.get_configuration("3d_fullres")
    lm = pm.get_label_manager(dataset)
    torch.manual_seed(0)
    net = get_network_from_plans(cm.network_arch_class_name, cm.network_arch_init_kwargs,
                                 cm.network_arch_init_kwargs_req_import, 1, lm.num_segmentation_heads,
                                 allow_init=True, deep_supervision=False)
    torch.save({"network_weights": net.state_dict(), "optimizer_state": None, "grad_scaler_state": None,
                "logging": {}, "_best_ema": None, "current_epoch": 1000,
                "init_args": {"plans": plans, "configuration": "3d_fullres", "fold": 0, "dataset_json": dataset,
                              "device": torch.device("cpu")},
                "trainer_name": "nnUNetTrainer", "inference_allowed_mirroring_axes": (0, 1, 2)},
               os.path.join(folder, "fold_0", "checkpoint_final.pth"))
    print(json.dumps({"patch_size": cm.patch_size, "spacing": cm.spacing,
                      "features": cm.network_arch_init_kwargs["features_per_stage"],
                      "parameters": sum(p.numel() for p in net.parameters())}, default=str))


if __name__ == "__main__":
    main()
