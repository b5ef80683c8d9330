#!/usr/bin/env python3
"""Train a bias-free 784-1200-1200-10 ReLU net in PyTorch on 3% of MNIST, sleep it in-process
with sleepcl, and print the test accuracy before and after (python/README.md).

Training follows the ``paper2024`` profile of docs/METHOD.md section 1 (softmax output, binary
cross-entropy against one-hot targets, plain SGD at 0.06, batch 64, 5 epochs, inverted dropout
0.25, U(+-1/sqrt(fan_in)) weights: PyTorch's default for Linear), on the class-balanced subset
``sleepcl train --fraction 0.03 --seed 1`` draws. The sleep uses the published 2024 MNIST set.

    python3 examples/mnist_torch.py [--fraction 0.03] [--seed 1] [--trials 5] [--device pocl]

MNIST is read from $SCL_DATA_DIR/mnist (tools/setup.sh fetches it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

# The package of this repository when it is not installed (python/sleepcl beside examples/).
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sleepcl  # noqa: E402
import sleepcl.torch  # noqa: E402


def make_net() -> nn.Sequential:
    """784-1200-1200-10, bias-free, ReLU, dropout 0.25 after each hidden layer."""
    return nn.Sequential(
        nn.Linear(784, 1200, bias=False), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(1200, 1200, bias=False), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(1200, 10, bias=False),
    )


def train(
    net: nn.Sequential, x: torch.Tensor, y: torch.Tensor, seed: int, epochs: int = 5
) -> None:
    """The paper2024 profile: softmax + BCE on one-hot targets, SGD lr 0.06, batch 64."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(net.parameters(), lr=0.06)
    target = nn.functional.one_hot(y.long(), 10).float()
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            out = torch.softmax(net(x[idx]), dim=1)
            nn.functional.binary_cross_entropy(out, target[idx]).backward()
            opt.step()


@torch.no_grad()
def accuracy(net: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    return (net(x).argmax(dim=1) == y.long()).float().mean().item()


def run(fraction: float = 0.03, seed: int = 1, device: str | None = None,
        epochs: int = 5) -> dict[str, object]:
    """Train, sleep, evaluate; the trained and slept nets and both accuracies."""
    mnist = os.path.join(sleepcl.data_dir(), "mnist")
    x_train, y_train = sleepcl.load_dataset(mnist, "train")  # float32 [n, 784] in [0, 1]
    x_test, y_test = sleepcl.load_dataset(mnist, "test")
    subset = sleepcl.balanced_indices(y_train, fraction, seed)  # the program's subset
    x, y = torch.from_numpy(x_train[subset]), torch.from_numpy(y_train[subset])
    xt, yt = torch.from_numpy(x_test), torch.from_numpy(y_test)

    torch.manual_seed(seed)
    net = make_net()
    train(net, x, y, seed, epochs)
    trained = [m.weight.detach().clone() for m in net if isinstance(m, nn.Linear)]
    before = accuracy(net, xt, yt)

    t0 = time.perf_counter()
    stats = sleepcl.torch.sleep_(net, x, config="mnist2024", seed=seed, device=device)
    seconds = time.perf_counter() - t0
    after = accuracy(net, xt, yt)
    return {"net": net, "trained": trained, "before": before, "after": after,
            "stats": stats, "seconds": seconds, "n_train": len(subset)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fraction", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=1, help="first seed; trial i uses seed + i")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--device", default=None, help="OpenCL device: index or name substring")
    args = ap.parse_args()
    before, after = [], []
    for i in range(args.trials):
        seed = args.seed + i
        r = run(args.fraction, seed, args.device)
        before.append(r["before"])
        after.append(r["after"])
        rates = " ".join(f"{v:.4f}" for v in r["stats"].rate)
        print(f"seed {seed}: {r['n_train']} training images, test accuracy {r['before']:.4f} "
              f"-> {r['after']:.4f} after sleep ({100 * (r['after'] - r['before']):+.1f} points; "
              f"{r['stats'].steps} steps in {r['seconds']:.2f} s, spike rates {rates})")
    gain = 100 * (np.mean(after) - np.mean(before))
    print(f"mean over {args.trials} trials: {np.mean(before):.4f} -> {np.mean(after):.4f} "
          f"({gain:+.1f} points)")


if __name__ == "__main__":
    main()
