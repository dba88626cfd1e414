#!/usr/bin/env python3
"""Writes a ResEnc-L-sized nnU-Net checkpoint (3d_fullres of nnUNetResEncUNetLPlans: 6 stages,
features 32..320, blocks 1-3-4-6-6-6; ~102 M parameters) in the exact nnUNetTrainer.save_checkpoint
layout, including SGD momentum buffers in optimizer_state (as checkpoint_final.pth has).
Also writes OUT_weights.pth: the same dict with network_weights only (no optimizer state), so
torch.load reads the same bytes TorchCheckpoint does.
usage: make_checkpoint.py OUT.pth"""
import sys
import numpy as np
import torch
from torch import nn
from dynamic_network_architectures.architectures.unet import ResidualEncoderUNet

torch.manual_seed(0)
net = ResidualEncoderUNet(
    input_channels=1, n_stages=6, features_per_stage=[32, 64, 128, 256, 320, 320], conv_op=nn.Conv3d,
    kernel_sizes=[[3, 3, 3]] * 6, strides=[[1, 1, 1]] + [[2, 2, 2]] * 5, n_blocks_per_stage=[1, 3, 4, 6, 6, 6],
    num_classes=105, n_conv_per_stage_decoder=[1, 1, 1, 1, 1], conv_bias=True, norm_op=nn.InstanceNorm3d,
    norm_op_kwargs={"eps": 1e-5, "affine": True}, nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True},
    deep_supervision=True)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.99, nesterov=True)
for p in net.parameters():  # one step's worth of momentum buffers, without a 3-D forward pass
    p.grad = torch.randn_like(p) * 1e-3
opt.step()
params = sum(p.numel() for p in net.parameters())
torch.save({
    "network_weights": net.state_dict(), "optimizer_state": opt.state_dict(), "grad_scaler_state": None,
    "logging": {"mean_fg_dice": [np.float64(0.5)] * 1000, "ema_fg_dice": [np.float64(0.5)] * 1000},
    "_best_ema": np.float64(0.9), "current_epoch": 1000,
    "init_args": {"plans": {}, "configuration": "3d_fullres", "fold": 0, "dataset_json": {}, "device": torch.device("cpu")},
    "trainer_name": "nnUNetTrainer", "inference_allowed_mirroring_axes": (0, 1, 2),
}, sys.argv[1])
torch.save({"network_weights": net.state_dict(), "trainer_name": "nnUNetTrainer",
            "inference_allowed_mirroring_axes": (0, 1, 2)}, sys.argv[1].replace(".pth", "_weights.pth"))
print(f"parameters={params} weight_bytes={params * 4}")
