"""Shared fixtures: the program beside the library, and a small synthetic dataset, model and
config like tests/cli/test_commands.cpp's (IDX files written here), so that the package can be
compared with ``sleepcl sleep`` on the same files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sleepcl

REPO = Path(__file__).resolve().parent.parent.parent


def cli_path() -> str | None:
    """$SCL_CLI (ctest sets it), else the program beside the loaded library, else on PATH."""
    env = os.environ.get("SCL_CLI")
    if env:
        return env
    if sleepcl.LIBRARY_PATH and (sleepcl.LIBRARY_PATH.parent / "sleepcl").is_file():
        return str(sleepcl.LIBRARY_PATH.parent / "sleepcl")
    return shutil.which("sleepcl")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the program; the test fails with its output when it fails."""
    exe = cli_path()
    if exe is None:
        pytest.skip("the sleepcl program was not found (set SCL_CLI)")
    proc = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"sleepcl {' '.join(args)}: {proc.stderr}"
    return proc


def _be32(v: int) -> bytes:
    return int(v).to_bytes(4, "big")


def write_split(prefix: Path, n: int, seed: int) -> None:
    """PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte with n 28x28 images: class c
    lights a 6x6 block at a class-dependent place, plus noise (tests/cli/cli_harness.h)."""
    s = seed
    pixels = bytearray()
    labels = bytearray()
    for i in range(n):
        c = i % 10
        for p in range(784):
            r, q = divmod(p, 28)
            on = 2 + 2 * c <= r < 8 + 2 * c and 3 + c <= q < 9 + c
            s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
            pixels.append(min(255, (200 if on else 0) + (s >> 27)))
        labels.append(c)
    Path(f"{prefix}-images-idx3-ubyte").write_bytes(
        _be32(0x803) + _be32(n) + _be32(28) + _be32(28) + bytes(pixels)
    )
    Path(f"{prefix}-labels-idx1-ubyte").write_bytes(_be32(0x801) + _be32(n) + bytes(labels))


class Setup:
    """A data directory, a config and a model trained by the program on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir()
        write_split(self.data / "train", 300, 1)
        write_split(self.data / "t10k", 100, 2)
        self.config = root / "c.ini"
        self.config.write_text(
            f"[data]\ndir = {self.data}\nfraction = 0.5\n"
            "[model]\nsizes = 784,40,30,10\n"
            "[train]\nepochs = 1\nbatch = 32\n"
            "[sleep]\nsteps = 40\nbeta = 2,2,2\nalpha = 4\n"
        )
        self.model = root / "m.safetensors"
        run_cli("train", "-c", str(self.config), "-o", str(self.model))

    def path(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="session")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """One trained model for the whole session (training is the slow part)."""
    return Setup(tmp_path_factory.mktemp("sleepcl"))


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def random_weights(rng: np.random.Generator, sizes: list[int]) -> list[np.ndarray]:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) float32 matrices in the nn.Linear layout."""
    return [
        (rng.uniform(-1, 1, (sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])).astype(np.float32)
        for i in range(len(sizes) - 1)
    ]
