"""sleepcl's safetensors files through the library: round trips with metadata, and files the
program reads and writes."""

from __future__ import annotations

import json
import struct

import numpy as np

import sleepcl
from conftest import Setup, random_weights, run_cli


def test_round_trip_with_metadata(rng: np.random.Generator, tmp_path) -> None:
    ws = random_weights(rng, [20, 7, 5])
    model = sleepcl.Model(ws, profile="ref2022", seed=42, config_hash="0123456789abcdef",
                          output="relu", act_scale=0.75)
    path = tmp_path / "m.safetensors"
    sleepcl.save_model(model, path)
    back = sleepcl.load_model(path)
    assert back.sizes == [20, 7, 5]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(back.weights, ws))
    assert (back.profile, back.seed, back.config_hash, back.output, back.act_scale) == (
        "ref2022", 42, "0123456789abcdef", "relu", 0.75)
    # A plain safetensors file: the nn.Linear layout, readable without sleepcl.
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["w1"]["shape"] == [7, 20] and header["w1"]["dtype"] == "F32"
    start, end = header["w2"]["data_offsets"]
    w2 = np.frombuffer(raw[8 + n + start:8 + n + end], dtype="<f4").reshape(5, 7)
    assert np.array_equal(w2, ws[1])


def test_plain_list_gets_default_metadata(rng: np.random.Generator, tmp_path) -> None:
    path = tmp_path / "p.safetensors"
    sleepcl.save_model(random_weights(rng, [4, 3]), path)
    back = sleepcl.load_model(path)
    assert back.output == "softmax" and back.act_scale == 1.0 and back.sizes == [4, 3]


def test_program_reads_python_files_and_back(setup: Setup, tmp_path) -> None:
    model = sleepcl.load_model(setup.model)
    assert model.sizes == [784, 40, 30, 10] and model.profile == "paper2024"
    copy = tmp_path / "copy.safetensors"
    sleepcl.save_model(model, copy)
    assert copy.read_bytes() == setup.model.read_bytes()
    out = run_cli("eval", "-c", str(setup.config), "-m", str(setup.model), "-m", str(copy))
    assert f"-> {copy}: +0.0000" in out.stdout, out.stdout


def test_input_stats_round_trip(tmp_path) -> None:
    stats = sleepcl.InputStats(np.linspace(0, 1, 12, dtype=np.float32),
                               np.array([1.5, 2.25], np.float32))
    path = tmp_path / "in.json"
    stats.save(path)
    back = sleepcl.InputStats.load(path)
    assert back.mean.tobytes() == stats.mean.tobytes()
    assert back.act_max.tobytes() == stats.act_max.tobytes()
