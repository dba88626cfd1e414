#!/usr/bin/env python3
"""Per-layer comparison: the engine's per-step timings (engine-bench profile JSON) against
torch.nn.functional.conv3d on the same geometries, NCDHW and channels_last_3d, same threads.

usage: torch_layers.py <profile.json> [repeats]
Transposed convolutions are compared with F.conv_transpose3d (kernel = stride = 2), what PyTorch
runs for nnU-Net's ConvTranspose3d. GFLOP/s are nominal (2·Cin·Cout·k³·output voxels).
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def bench(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main():
    profile = json.load(open(sys.argv[1]))
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(profile["threads"])
    print(f"torch={torch.__version__} threads={torch.get_num_threads()} onednn={profile['onednn']}")
    print(f"{'layer':36s} {'geometry':40s} {'GFLOP':>7s} {'ours':>7s} {'NCDHW':>7s} {'cl_3d':>7s}  (GFLOP/s)")
    seen = {}
    with torch.inference_mode():
        for step in profile["steps"]:
            if step["flops"] == 0:
                continue
            g = step["geometry"]
            cin, cout, k, s, spatial = g[0], g[1], g[2:5], g[5:8], g[8:11]
            ours = step["flops"] / step["seconds"] / 1e9
            transposed = step["kind"].startswith("transposed")
            key = (tuple(g), transposed)
            if key not in seen:
                x = torch.randn([1, cin, *spatial])
                if transposed:
                    out = cout // 8
                    w = torch.randn([cin, out, 2, 2, 2]) * 0.05
                    b = torch.randn([out])
                    run = lambda x=x, w=w, b=b: F.conv_transpose3d(x, w, b, stride=2)
                else:
                    w = torch.randn([cout, cin, *k]) * 0.05
                    b = torch.randn([cout])
                    run = lambda x=x, w=w, b=b: F.conv3d(x, w, b, stride=s, padding=[i // 2 for i in k])
                t_plain = bench(run, repeats)
                x_cl = x.contiguous(memory_format=torch.channels_last_3d)
                if transposed:
                    w_cl = w.contiguous(memory_format=torch.channels_last_3d)
                    run_cl = lambda: F.conv_transpose3d(x_cl, w_cl, b, stride=2)
                else:
                    w_cl = w.contiguous(memory_format=torch.channels_last_3d)
                    run_cl = lambda: F.conv3d(x_cl, w_cl, b, stride=s, padding=[i // 2 for i in k])
                t_cl = bench(run_cl, repeats)
                seen[key] = (step["flops"] / t_plain / 1e9, step["flops"] / t_cl / 1e9)
            tp, tc = seen[key]
            desc = f"{cin}->{cout if not transposed else str(cout // 8) + ' T'} k{''.join(map(str, k)) if not transposed else '222'} s{''.join(map(str, s))} {'x'.join(map(str, spatial))}"
            print(f"{step['label']:36s} {desc:40s} {step['flops'] / 1e9:7.2f} {ours:7.1f} {tp:7.1f} {tc:7.1f}")


if __name__ == "__main__":
    main()
