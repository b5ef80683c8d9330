"""The in-process sleep against the program: same model, data, set and seed give the same
weights bit for bit; the batched sleep against single sleeps; in place against a copy."""

from __future__ import annotations

import numpy as np
import pytest

import sleepcl
from conftest import Setup, random_weights, run_cli


@pytest.fixture(scope="module")
def slept_by_program(setup: Setup) -> tuple[sleepcl.Model, str]:
    """`sleepcl sleep` of the trained model, statistics from the configured training subset."""
    out = setup.path("s1.safetensors")
    run_cli("sleep", "-c", str(setup.config), "-m", str(setup.model), "-o", str(out))
    return sleepcl.load_model(out), str(out)


def train_subset(setup: Setup) -> np.ndarray:
    """The training inputs `sleepcl sleep` draws: fraction 0.5 of the split for run.seed 1."""
    x, y = sleepcl.load_dataset(setup.data, "train")
    return x[sleepcl.balanced_indices(y, 0.5, seed=1)]


def assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        assert wa.shape == wb.shape
        assert wa.tobytes() == wb.tobytes()  # bit for bit, not approximately


def test_sleep_on_data_matches_program(setup: Setup, slept_by_program, tmp_path) -> None:
    expected, out = slept_by_program
    model = sleepcl.load_model(setup.model)
    weights, stats = sleepcl.sleep(model, train_subset(setup), setup.config)
    assert_same(weights, expected.weights)
    assert any(not np.array_equal(a, b) for a, b in zip(weights, model.weights))
    # The statistics are those the program saved beside its output.
    saved = sleepcl.InputStats.load(out + ".sleep_input.json")
    assert stats.input_stats.mean.tobytes() == saved.mean.tobytes()
    assert stats.input_stats.act_max.tobytes() == saved.act_max.tobytes()
    # The spike counts are the program's too.
    rows = np.loadtxt(out + ".spikes.csv", delimiter=",", skiprows=1, dtype=np.int64)
    assert np.array_equal(rows[:, 1:], stats.spikes)
    # Saved with the loaded model's metadata, the file is the program's byte for byte.
    mine = tmp_path / "mine.safetensors"
    sleepcl.save_model(sleepcl.Model(weights, model.profile, model.seed, model.config_hash,
                                     model.output, model.act_scale), mine)
    assert mine.read_bytes() == open(out, "rb").read()


def test_sleep_from_saved_statistic_matches_program(setup: Setup, slept_by_program) -> None:
    expected, out = slept_by_program
    weights, _ = sleepcl.sleep(sleepcl.load_model(setup.model), out + ".sleep_input.json",
                               setup.config)
    assert_same(weights, expected.weights)


def test_seed_and_overrides_match_program(setup: Setup) -> None:
    out = setup.path("s3.safetensors")
    run_cli("sleep", "-c", str(setup.config), "-m", str(setup.model), "-o", str(out),
            "--seed", "9", "--set", "sleep.steps=25", "--mean-input",
            str(setup.path("s1.safetensors.sleep_input.json")))
    weights, stats = sleepcl.sleep(sleepcl.load_model(setup.model),
                                   setup.path("s1.safetensors.sleep_input.json"), setup.config,
                                   seed=9, overrides=["sleep.steps=25"])
    assert stats.steps == 25 and stats.params.seed == 9
    assert_same(weights, sleepcl.load_model(out).weights)


def test_in_place_equals_copy(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    params = sleepcl.sleep_params("mnist2024", {"steps": 30, "beta": [2, 2, 2], "alpha": 4})
    copy, _ = sleepcl.sleep(ws, x, params)
    before = [w.copy() for w in ws]
    addresses = [w.ctypes.data for w in ws]
    stats = sleepcl.sleep_(ws, x, params)
    assert [w.ctypes.data for w in ws] == addresses  # written where they were
    assert_same(ws, copy)
    assert any(not np.array_equal(a, b) for a, b in zip(ws, before))
    assert stats.spikes.shape == (30, 4) and stats.hist.shape == (3, 21)


def test_batch_matches_single_sleeps(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    base = sleepcl.sleep_params("mnist2024", {"steps": 30, "beta": [2, 2, 2], "alpha": 4})
    sets = [base, base.replace(seed=2, inc=base.inc * 2), base.replace(beta=[3.0, 2.0, 2.0])]
    batch = sleepcl.sleep_batch(ws, x, sets)
    assert len(batch) == 3
    for p, (weights, stats) in zip(sets, batch):
        single, single_stats = sleepcl.sleep(ws, x, p)
        assert_same(weights, single)
        assert np.array_equal(stats.spikes, single_stats.spikes)
    assert not np.array_equal(batch[0][0][0], batch[1][0][0])
    seeded = sleepcl.sleep_batch(ws, x, [base, base], seeds=[5, 6])
    assert [s.params.seed for _, s in seeded] == [5, 6]


def test_raster_and_named_set(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (32, 784)).astype(np.float32)
    stats = sleepcl.input_stats(ws, x)
    assert stats.mean.shape == (784,) and stats.act_max.shape == (3,)
    assert np.allclose(stats.mean, x.mean(axis=0), atol=1e-6)
    _, s = sleepcl.sleep(ws, stats, "mnist2024", overrides={"steps": 5}, record_raster=True)
    assert s.raster is not None and s.raster.shape == (5, 784 + 40 + 30 + 10)
    assert np.array_equal(s.raster[:, :784].sum(axis=1), s.spikes[:, 0])
