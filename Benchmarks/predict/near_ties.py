#!/usr/bin/env python3
"""Where vibeseg predict and nnU-Net disagree, are the classes near-ties? (issue 20's 0-2 voxels)

Runs nnU-Net 2.8.1's predict_from_files with save_probabilities=True and `vibeseg predict
--save-probabilities` on the same model, case and fold (no TTA unless TTA=1), then reports, at the
voxels whose labels differ, nnU-Net's own top-2 probability margin (p1 - p2) and the two tools'
probability difference, next to the same quantities over all voxels.

Usage: near_ties.py WORK VIBESEG [TTA(0|1)]   (WORK as made by Benchmarks/predict/run.sh:
WORK/model/nnUNetTrainer__nnUNetPlans__3d_fullres, WORK/in/case_0000.nii.gz)"""
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
import torch
from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

if __name__ == "__main__":
    work, vibeseg = sys.argv[1], sys.argv[2]
    tta = len(sys.argv) > 3 and sys.argv[3] == "1"
    model = os.path.join(work, "model", "nnUNetTrainer__nnUNetPlans__3d_fullres")
    image = os.path.join(work, "in", "case_0000.nii.gz")
    out = os.path.join(work, "ties")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    p = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=tta, perform_everything_on_device=False,
                        device=torch.device("cpu"), verbose=False, allow_tqdm=False)
    p.initialize_from_trained_model_folder(model, use_folds=(0,), checkpoint_name="checkpoint_final.pth")
    p.predict_from_files([[image]], [os.path.join(out, "nnunet")], save_probabilities=True, overwrite=True,
                         num_processes_preprocessing=1, num_processes_segmentation_export=1)
    subprocess.run([vibeseg, "predict", "-m", model, "-i", image, "-o", os.path.join(out, "vibeseg.nii.gz"), "--folds", "0",
                    "--tta" if tta else "--no-tta", "--threads", "2", "--overwrite",
                    "--save-probabilities", os.path.join(out, "vibeseg_probs.nii.gz")], check=True)
    ours = np.asanyarray(nib.load(os.path.join(out, "vibeseg.nii.gz")).dataobj)
    theirs = np.asanyarray(nib.load(os.path.join(out, "nnunet.nii.gz")).dataobj)
    # nnU-Net's npz holds (classes, z, y, x) in SimpleITK order; the NIfTI arrays are (x, y, z).
    pt = np.load(os.path.join(out, "nnunet.npz"))["probabilities"].transpose(0, 3, 2, 1)
    pv = np.asanyarray(nib.load(os.path.join(out, "vibeseg_probs.nii.gz")).dataobj)
    pv = np.moveaxis(pv, -1, 0) if pv.shape[-1] == pt.shape[0] else pv
    assert pt.shape == pv.shape, (pt.shape, pv.shape)
    assert (pt.argmax(0) == theirs).mean() > 0.9999, "nnU-Net's probabilities and labels are not in the same layout"
    differ = ours != theirs
    top2 = np.sort(pt, axis=0)[-2:]
    margin = top2[1] - top2[0]
    delta = np.abs(pt - pv).max(axis=0)
    print(f"nnunetv2 {__import__('nnunetv2').__version__ if hasattr(__import__('nnunetv2'), '__version__') else '2.8.1'}, torch {torch.__version__}, TTA {tta}")
    print(f"voxels {ours.size}, labels differ at {int(differ.sum())}")
    print(f"all voxels: nnU-Net top-2 margin median {np.median(margin):.3g}, 1st percentile {np.percentile(margin, 1):.3g}; "
          f"max |p_nnunet - p_vibeseg| median {np.median(delta):.3g}, max {delta.max():.3g}")
    if differ.any():
        m, d = margin[differ], delta[differ]
        print(f"differing voxels: nnU-Net top-2 margin max {m.max():.3g}, median {np.median(m):.3g}; "
              f"max |p_nnunet - p_vibeseg| there {d.max():.3g}")
        print(f"fraction of all voxels with a margin below the largest differing one: {(margin <= m.max()).mean():.3g}")
