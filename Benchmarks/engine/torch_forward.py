#!/usr/bin/env python3
"""PyTorch eval-mode forward of the benchmark networks (same architectures as engine-bench).

usage: torch_forward.py <totalvibe|resencl|oddwidth> [runs] [threads]
Builds the network with nnU-Net's get_network_from_plans (deep_supervision=False, eval,
torch.inference_mode, torch.set_num_threads(threads)), one untimed warm-up forward, then `runs`
timed forwards in the layout nnU-Net's predictor uses (contiguous NCDHW float32).
"""
import sys
import time

import torch
from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

WIDE = [32, 64, 128, 256, 320, 320]
# name: (class, depth key, encoder depth, decoder convs, patch, features, classes)
NETWORKS = {
    "totalvibe": ("dynamic_network_architectures.architectures.unet.PlainConvUNet", "n_conv_per_stage",
                  [2] * 6, [2] * 5, [128, 96, 128], WIDE, 51),
    "resencl": ("dynamic_network_architectures.architectures.unet.ResidualEncoderUNet", "n_blocks_per_stage",
                [1, 3, 4, 6, 6, 6], [1] * 5, [160, 128, 192], WIDE, 51),
    # issue 20: widths that are not multiples of 8 (engine-bench oddwidth)
    "oddwidth": ("dynamic_network_architectures.architectures.unet.PlainConvUNet", "n_conv_per_stage",
                 [2] * 4, [2] * 3, [64, 128, 128], [6, 12, 16, 20], 8),
}


def build(name):
    cls, depth_key, depth, decoder, patch, features, classes = NETWORKS[name]
    n = len(features)
    kw = {"n_stages": n, "features_per_stage": features,
          "conv_op": "torch.nn.modules.conv.Conv3d", "kernel_sizes": [[3, 3, 3]] * n,
          "strides": [[1, 1, 1]] + [[2, 2, 2]] * (n - 1), depth_key: depth, "n_conv_per_stage_decoder": decoder,
          "conv_bias": True, "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d",
          "norm_op_kwargs": {"eps": 1e-05, "affine": True}, "dropout_op": None, "dropout_op_kwargs": None,
          "nonlin": "torch.nn.LeakyReLU", "nonlin_kwargs": {"inplace": True}}
    net = get_network_from_plans(cls, kw, ["conv_op", "norm_op", "dropout_op", "nonlin"], 1, classes,
                                 deep_supervision=False)
    return net.eval(), patch


def main():
    name = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    net, patch = build(name)
    params = sum(p.numel() for p in net.parameters())
    x = torch.rand([1, 1, *patch]) * 2 - 1
    print(f"torch={torch.__version__} threads={torch.get_num_threads()} params={params / 1e6:.1f}M")
    with torch.inference_mode():
        t0 = time.perf_counter()
        y = net(x)
        print(f"first_forward_s={time.perf_counter() - t0:.3f}")
        times = []
        for r in range(runs):
            t0 = time.perf_counter()
            y = net(x)
            times.append(time.perf_counter() - t0)
            print(f"run {r} forward_s={times[-1]:.3f}")
    print(f"median_forward_s={sorted(times)[len(times) // 2]:.3f} shape={list(y.shape)}")


if __name__ == "__main__":
    main()
