"""Library failures arrive as SleepclError carrying the library's one-line message."""

from __future__ import annotations

import numpy as np
import pytest

import sleepcl
from conftest import random_weights


def test_bad_config_key_names_the_key() -> None:
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.sleep_params("mnist2024", ["sleep.no_such_key=1"])
    assert err.value.status == "SCL_ERR_CONFIG"
    assert "no_such_key" in str(err.value)


def test_bad_config_file_names_file_and_line(tmp_path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[sleep]\nsteps = 10\ndt = -1\n")
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.sleep_params(bad)
    assert err.value.status == "SCL_ERR_CONFIG"
    assert f"{bad}:3" in str(err.value), str(err.value)


def test_missing_config_and_unknown_set() -> None:
    with pytest.raises(sleepcl.SleepclError, match="cannot open"):
        sleepcl.sleep_params("/nonexistent/x.ini")
    with pytest.raises(sleepcl.SleepclError, match="mnist2024"):  # the message lists the sets
        sleepcl.sleep_params("no_such_set")


def test_set_that_does_not_fit_the_model(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    x = rng.uniform(0, 1, (16, 784)).astype(np.float32)
    before = [w.copy() for w in ws]
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.sleep_(ws, x, "mnist2024", overrides={"beta": [2, 2]})
    assert err.value.status == "SCL_ERR_CONFIG"
    assert str(err.value) == "sleep.beta has 2 values, the model has 3 layers"
    assert all(np.array_equal(a, b) for a, b in zip(ws, before))  # unchanged on error


def test_data_that_does_not_fit_the_model(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.sleep(ws, np.zeros((4, 100), np.float32), "mnist2024")
    assert err.value.status == "SCL_ERR_ARG"
    assert "784 inputs" in str(err.value)
    with pytest.raises(sleepcl.SleepclError, match="act_max"):
        sleepcl.sleep(ws, np.zeros(784, np.float32), "mnist2024")  # a mean alone


def test_non_finite_weight(rng: np.random.Generator) -> None:
    ws = random_weights(rng, [784, 40, 30, 10])
    ws[1][3, 4] = np.nan
    x = rng.uniform(0, 1, (16, 784)).astype(np.float32)
    stats = sleepcl.InputStats(x.mean(axis=0), np.ones(3, np.float32))
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.sleep(ws, stats, "mnist2024")
    assert err.value.status == "SCL_ERR_NUMERIC"


def test_unknown_device() -> None:
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.Context("no such device anywhere")
    assert err.value.status == "SCL_ERR_NODEVICE"
    assert "no such device anywhere" in str(err.value)


def test_missing_and_malformed_files(tmp_path) -> None:
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.load_model(tmp_path / "none.safetensors")
    assert err.value.status == "SCL_ERR_IO" and "none.safetensors" in str(err.value)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(sleepcl.SleepclError) as err:
        sleepcl.load_model(junk)
    assert err.value.status == "SCL_ERR_DATA"
    with pytest.raises(sleepcl.SleepclError, match="sleep-input"):
        sleepcl.InputStats.load(junk)


def test_in_place_needs_float32_arrays(rng: np.random.Generator) -> None:
    ws = [w.astype(np.float64) for w in random_weights(rng, [784, 40, 30, 10])]
    with pytest.raises(sleepcl.SleepclError, match="float32"):
        sleepcl.sleep_(ws, np.zeros((4, 784), np.float32), "mnist2024")
    with pytest.raises(sleepcl.SleepclError, match="nn.Linear"):
        sleepcl.sleep([np.zeros((40, 784)), np.zeros((10, 41))], np.zeros((4, 784)), "mnist2024")
