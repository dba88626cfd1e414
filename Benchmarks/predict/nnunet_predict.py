#!/usr/bin/env python3
"""nnUNetv2_predict's code path (nnUNetPredictor.predict_from_files) on one case, CPU, 2 threads.
Usage: nnunet_predict.py MODEL_FOLDER INPUT_0000.nii.gz OUTPUT_STEM TTA(0|1)"""
import sys
import torch
from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

if __name__ == "__main__":
    torch.set_num_threads(2)
    model, image, out, tta = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    p = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=tta, perform_everything_on_device=False,
                        device=torch.device("cpu"), verbose=False, allow_tqdm=False)
    p.initialize_from_trained_model_folder(model, use_folds=(0,), checkpoint_name="checkpoint_final.pth")
    p.predict_from_files([[image]], [out], save_probabilities=False, overwrite=True,
                         num_processes_preprocessing=1, num_processes_segmentation_export=1)
