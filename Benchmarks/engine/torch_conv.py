#!/usr/bin/env python3
"""One layer in PyTorch, NCDHW and channels_last_3d: torch_conv.py cin cout k s D H W [T] [threads] [repeats]
(same arguments as `engine-bench conv`). T: ConvTranspose3d(kernel = stride = s)."""
import sys
import time

import torch
import torch.nn.functional as F

a = sys.argv[1:]
cin, cout = int(a[0]), int(a[1])
k, s = [int(c) for c in a[2]], [int(c) for c in a[3]]
spatial = [int(a[4]), int(a[5]), int(a[6])]
transposed = len(a) > 7 and a[7] == "T"
threads = int(a[8]) if len(a) > 8 else 2
repeats = int(a[9]) if len(a) > 9 else 5
torch.set_num_threads(threads)
x = torch.randn([1, cin, *spatial])
if transposed:
    w, b = torch.randn([cin, cout, *s]) * 0.05, torch.randn([cout])
    op = lambda x, w: F.conv_transpose3d(x, w, b, stride=s)
    flops = 2.0 * cin * cout * (spatial[0] * spatial[1] * spatial[2]) * s[0] * s[1] * s[2]
else:
    w, b = torch.randn([cout, cin, *k]) * 0.05, torch.randn([cout])
    op = lambda x, w: F.conv3d(x, w, b, stride=s, padding=[i // 2 for i in k])
    out = [(n - 1) // st + 1 for n, st in zip(spatial, s)]
    flops = 2.0 * cin * cout * k[0] * k[1] * k[2] * out[0] * out[1] * out[2]
line = []
with torch.inference_mode():
    for name, xx, ww in [("NCDHW", x, w), ("channels_last_3d", x.contiguous(memory_format=torch.channels_last_3d),
                                            w.contiguous(memory_format=torch.channels_last_3d))]:
        op(xx, ww)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            op(xx, ww)
            times.append(time.perf_counter() - t0)
        t = sorted(times)[len(times) // 2]
        line.append(f"{name} seconds={t:.5f} gflops={flops / t / 1e9:.1f}")
print("torch " + " | ".join(line))
