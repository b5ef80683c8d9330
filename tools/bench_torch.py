#!/usr/bin/env python3
"""PyTorch baseline of `sleepcl bench train`: one training epoch of the same network on the
same data with the same settings (784-1200-1200-10 without biases, ReLU, inverted dropout 0.25,
softmax + mean-reduced BCE, plain SGD lr 0.06, batch 64, shuffled), and a test-set evaluation,
on the CPU. Prints "epoch_s=<seconds> eval_s=<seconds> threads=<n>".

Usage: bench_torch.py MNIST_DIR   (run with OMP_WAIT_POLICY=PASSIVE, as the bench tool does)
"""
import sys
import time

import numpy as np
import torch


def idx(path, offset):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    d = sys.argv[1]
    x = torch.from_numpy(idx(d + "/train-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(d + "/train-labels-idx1-ubyte", 8).astype(np.int64))
    xt = torch.from_numpy(idx(d + "/t10k-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / 255)
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 1200, bias=False), torch.nn.ReLU(), torch.nn.Dropout(0.25),
        torch.nn.Linear(1200, 1200, bias=False), torch.nn.ReLU(), torch.nn.Dropout(0.25),
        torch.nn.Linear(1200, 10, bias=False), torch.nn.Softmax(dim=1))
    opt = torch.optim.SGD(net.parameters(), lr=0.06)
    loss_fn = torch.nn.BCELoss()
    onehot = torch.nn.functional.one_hot(y, 10).float()
    net.train()
    t0 = time.perf_counter()
    perm = torch.randperm(x.shape[0])
    for i in range(0, x.shape[0], 64):
        b = perm[i:i + 64]
        opt.zero_grad()
        loss = loss_fn(net(x[b]), onehot[b])
        loss.backward()
        opt.step()
    epoch = time.perf_counter() - t0
    net.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, xt.shape[0], 1000):
            net(xt[i:i + 1000]).argmax(1)
    ev = time.perf_counter() - t0
    print(f"epoch_s={epoch:.3f} eval_s={ev:.3f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
