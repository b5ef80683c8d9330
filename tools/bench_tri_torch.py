#!/usr/bin/env python3
"""PyTorch baseline of `sleepcl bench tripartite`: the tripartite sleep's VAE step written
independently in PyTorch on the CPU, with the same shapes and losses as host/vae/vae.c (784
inputs, encoder 400-400 ReLU, latent 100 Gaussian, mirrored decoder with sigmoid output, softmax
classifier on the last encoder layer, Adam lr 1e-3, batch 128; L_G = (pixel-summed BCE + KL) /
784). Two phases of ITERS steps each: task 1 (classes 0/1, no replay) and task 2 (classes 2/3,
128 current + 128 replayed rows: z ~ N(0, I) decoded by a frozen copy, soft targets from the
copy's encoder and classifier at temperature 2, T^2-scaled distillation over the 4 classes seen).
Prints "nrem_ms=<ms per step> rem_ms=<ms per step> threads=<n>".

Usage: bench_tri_torch.py MNIST_DIR ITERS   (run with OMP_WAIT_POLICY=PASSIVE)
"""
import copy
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def idx(path, offset):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


class Vae(torch.nn.Module):
    def __init__(self, d=784, h=(400, 400), z=100, classes=10):
        super().__init__()
        sizes = (d,) + h
        self.enc = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.head = torch.nn.Linear(h[-1], 2 * z)
        self.cls = torch.nn.Linear(h[-1], classes)
        back = (z,) + h[::-1]
        self.dec = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(back, back[1:]))
        self.out = torch.nn.Linear(h[0], d)
        self.z = z

    def encode(self, x):
        for layer in self.enc:
            x = F.relu(layer(x))
        return x

    def decode(self, z):
        for layer in self.dec:
            z = F.relu(layer(z))
        return self.out(z)


def step(net, opt, x, y, seen, replay, teacher, prev, n_task):
    rows_x, rows_q = x, None
    if replay:
        with torch.no_grad():
            xr = torch.sigmoid(teacher.decode(torch.randn(x.shape[0], net.z)))
            q = F.softmax(teacher.cls(teacher.encode(xr))[:, :prev] / 2.0, dim=1)
            rows_q = F.pad(q, (0, seen - prev))
        rows_x = torch.cat([xr, x])
    h = net.encode(rows_x)
    hd = net.head(h)
    mu, lv = hd[:, :net.z], hd[:, net.z:]
    zz = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
    o = net.decode(zz)
    lg = (F.binary_cross_entropy_with_logits(o, rows_x, reduction="none").sum(1) -
          0.5 * (1 + lv - mu * mu - lv.exp()).sum(1)) / rows_x.shape[1]
    logits = net.cls(h)[:, :seen]
    b = x.shape[0]
    if replay:
        lc_cur = F.cross_entropy(logits[b:], y)
        lc_rep = -(rows_q * F.log_softmax(logits[:b] / 2.0, dim=1)).sum(1).mean() * 4.0
        w = 1.0 / n_task
        loss = w * (lc_cur + lg[b:].mean()) + (1 - w) * (lc_rep + lg[:b].mean())
    else:
        loss = F.cross_entropy(logits, y) + lg.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def phase(net, x, y, classes, seen, iters, replay, teacher, prev, n_task):
    keep = (y == classes[0]) | (y == classes[1])
    xs, ys = x[keep], y[keep]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    step(net, opt, xs[:128], ys[:128], seen, replay, teacher, prev, n_task)  # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        b = torch.randint(0, xs.shape[0], (128,), generator=g)
        step(net, opt, xs[b], ys[b], seen, replay, teacher, prev, n_task)
    return (time.perf_counter() - t0) / iters * 1e3


def main():
    d, iters = sys.argv[1], int(sys.argv[2])
    x = torch.from_numpy(idx(d + "/train-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(d + "/train-labels-idx1-ubyte", 8).astype(np.int64))
    torch.manual_seed(1)
    net = Vae()
    nrem = phase(net, x, y, (0, 1), 2, iters, False, None, 0, 1)
    teacher = copy.deepcopy(net)
    rem = phase(net, x, y, (2, 3), 4, iters, True, teacher, 2, 2)
    print(f"nrem_ms={nrem:.3f} rem_ms={rem:.3f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
