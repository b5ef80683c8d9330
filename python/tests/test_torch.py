"""sleepcl.torch: an nn.Sequential slept in place gives what the NumPy sleep gives, bit for bit;
nets it cannot sleep are refused by name; and the worked example (python/examples) trained at
3% of MNIST sleeps to the weights, hence the accuracy, the program gives the same net. Skipped
when PyTorch is absent (tools/setup.sh --torch installs python3-torch); the MNIST test also
when MNIST is absent (tools/setup.sh fetches it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import sleepcl  # noqa: E402
import sleepcl.torch  # noqa: E402
from conftest import REPO, cli_path, random_weights, run_cli  # noqa: E402


def small_net(ws: list[np.ndarray], dtype: torch.dtype = torch.float32) -> nn.Sequential:
    net = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 40, bias=False), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(40, 30, bias=False), nn.ReLU(),
        nn.Linear(30, 10, bias=False), nn.Softmax(dim=1),
    ).to(dtype)
    with torch.no_grad():
        for lin, w in zip([m for m in net if isinstance(m, nn.Linear)], ws):
            lin.weight.copy_(torch.from_numpy(w))
    return net


PARAMS = {"steps": 30, "beta": [2, 2, 2], "alpha": 4}


def test_sleep_in_place_matches_numpy(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    expected, _ = sleepcl.sleep(ws, x, "mnist2024", overrides=PARAMS)
    net = small_net(ws)
    lin = [m for m in net if isinstance(m, nn.Linear)]
    ptrs = [m.weight.data_ptr() for m in lin]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x.reshape(64, 28, 28)),
                                       torch.zeros(64, dtype=torch.long)), batch_size=10)
    stats = sleepcl.torch.sleep_(net, loader, "mnist2024", overrides=PARAMS)
    assert [m.weight.data_ptr() for m in lin] == ptrs  # slept where they were
    for m, w in zip(lin, expected):
        assert m.weight.detach().numpy().tobytes() == w.tobytes()
    assert stats.steps == 30


def test_other_dtype_goes_through_a_copy(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (32, 784)).astype(np.float32)
    expected, _ = sleepcl.sleep(ws, x, "mnist2024", overrides=PARAMS)
    net = small_net(ws, torch.float64)
    sleepcl.torch.sleep_(net, torch.from_numpy(x), "mnist2024", overrides=PARAMS)
    for m, w in zip([m for m in net if isinstance(m, nn.Linear)], expected):
        assert m.weight.dtype == torch.float64
        assert np.array_equal(m.weight.detach().numpy().astype(np.float32), w)


def test_unsleepable_nets_are_refused() -> None:
    x = torch.zeros(4, 784)
    with pytest.raises(sleepcl.SleepclError, match="bias-free"):
        sleepcl.torch.sleep_(nn.Sequential(nn.Linear(784, 10)), x)
    with pytest.raises(sleepcl.SleepclError, match="Conv2d"):
        sleepcl.torch.sleep_(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(784, 10, bias=False)), x)
    with pytest.raises(sleepcl.SleepclError, match="needs a ReLU"):
        sleepcl.torch.sleep_(nn.Sequential(nn.Linear(784, 10, bias=False),
                                           nn.Linear(10, 10, bias=False)), x)
    with pytest.raises(sleepcl.SleepclError, match="nn.Sequential"):
        sleepcl.torch.sleep_(nn.Linear(784, 10, bias=False), x)


def _mnist() -> str:
    d = os.path.join(sleepcl.data_dir(), "mnist")
    if not os.path.exists(os.path.join(d, "train-labels-idx1-ubyte")):
        pytest.skip(f"MNIST not in {d} (tools/setup.sh fetches it)")
    return d


def test_example_sleeps_as_the_program_does(tmp_path: Path) -> None:
    """The worked example at 3% of MNIST: the net PyTorch trained, saved and slept by
    `sleepcl sleep -c configs/mnist.ini`, is the net slept in-process, bit for bit, and the
    program's test accuracy after sleep is the example's."""
    _mnist()
    if cli_path() is None:
        pytest.skip("the sleepcl program was not found")
    sys.path.insert(0, str(REPO / "python/examples"))
    import mnist_torch

    r = mnist_torch.run(fraction=0.03, seed=1)
    trained = tmp_path / "torch.safetensors"
    sleepcl.save_model([w.numpy() for w in r["trained"]], trained)
    slept = tmp_path / "slept.safetensors"
    run_cli("sleep", "-c", str(REPO / "configs/mnist.ini"), "-m", str(trained), "-o", str(slept),
            "--seed", "1")
    program = sleepcl.load_model(slept).weights
    mine = [m.weight.detach().numpy() for m in r["net"] if isinstance(m, nn.Linear)]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(mine, program))
    out = run_cli("eval", "-c", str(REPO / "configs/mnist.ini"), "-m", str(trained),
                  "-m", str(slept)).stdout
    accs = [float(line.split("accuracy ")[1].split()[0]) for line in out.splitlines()
            if "accuracy" in line and " on " in line]
    assert len(accs) == 2, out
    # The same weights; the products may round differently at a near-tie (a sample or two).
    assert abs(accs[0] - r["before"]) <= 2e-4 and abs(accs[1] - r["after"]) <= 2e-4, out
