#!/usr/bin/env python3
"""The Python binding's cost: one sleep of a 784-1200-1200-10 net at the 2024 MNIST set from
Python (sleepcl.sleep_, in place) against the same sleep through the C API
(scl_sleep_timing, tests/install/sleep_timing.c, linked to the same libsleepcl.so), in one run.

Both sleep the same model file with the same input statistics and seed; each repetition sleeps
a fresh copy (copied outside the timed call); the device is opened once per side, untimed. The
two sides take turns, ROUNDS rounds of REPS sleeps each, because these machines are shared and
noisy; the medians and their ratio are printed, and the median of sleepcl.sleep (which copies
the weights first, to leave its input as it was) too. A third figure takes the noise of two
processes out: scl_sleep_model called straight through ctypes with prepared structs, turn by
turn with sleepcl.sleep_ in the same process.

    SCL_LIBRARY_PATH=build python3 python/tools/bench_sleep.py [--rounds 5] [--reps 3] \
        [--model TRAINED.safetensors]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import sleepcl  # noqa: E402


def training_inputs() -> tuple[np.ndarray, str]:
    """3% of MNIST (the subset `sleepcl train` draws for seed 1), or a synthetic stand-in."""
    mnist = os.path.join(sleepcl.data_dir(), "mnist")
    try:
        x, y = sleepcl.load_dataset(mnist, "train")
        return x[sleepcl.balanced_indices(y, 0.03, 1)], "3% of MNIST"
    except sleepcl.SleepclError:
        rng = np.random.default_rng(1)
        return rng.uniform(0, 1, (1800, 784)).astype(np.float32) ** 4, "synthetic inputs"


def c_times(exe: str, model: Path, stats: Path, reps: int) -> list[float]:
    out = subprocess.run([exe, str(model), str(stats), "1", str(reps)], check=True,
                         capture_output=True, text=True).stdout
    return [float(v) for v in out.split()]


def py_times(model: sleepcl.Model, inp: sleepcl.InputStats, reps: int, copy: bool) -> list[float]:
    times = []
    for _ in range(reps):
        if copy:
            t0 = time.perf_counter()
            sleepcl.sleep(model, inp, "mnist2024", seed=1)
        else:
            fresh = sleepcl.Model([w.copy() for w in model.weights])
            t0 = time.perf_counter()
            sleepcl.sleep_(fresh, inp, "mnist2024", seed=1)
        times.append(time.perf_counter() - t0)
    return times


def raw_c_time(model: sleepcl.Model, inp: sleepcl.InputStats, ctx: sleepcl.Context) -> float:
    """scl_sleep_model called straight through ctypes with every struct built beforehand: the
    library's own time in this process, the floor the binding adds its overhead to."""
    from sleepcl import _lib, model as _model, params as _params

    fresh = [w.copy() for w in model.weights]
    m = _model.c_model(sleepcl.Model(fresh), fresh)
    p, _, _ = _params.resolve("mnist2024", None, 1)
    c_in, _keep = inp._c()
    t0 = time.perf_counter()
    st = _lib.lib.scl_sleep_model(ctx.handle, ctypes.byref(m), ctypes.byref(p),
                                  ctypes.byref(c_in), None)
    t = time.perf_counter() - t0
    assert st == 0
    return t


def overhead(model: sleepcl.Model, inp: sleepcl.InputStats, params: object,
             reps: int) -> tuple[float, float]:
    """Median seconds sleepcl.sleep_ spends outside the library's scl_sleep_model call, and the
    median of that call, measured inside the same calls: the binding's own cost, free of the
    noise that separates two timings on a shared machine."""
    from sleepcl import _lib

    inner: list[float] = []
    real = _lib.lib.scl_sleep_model

    def timed(*a: object) -> int:
        t0 = time.perf_counter()
        st = real(*a)
        inner.append(time.perf_counter() - t0)
        return st

    outer = []
    _lib.lib.scl_sleep_model = timed
    try:
        for _ in range(reps):
            fresh = sleepcl.Model([w.copy() for w in model.weights])
            t0 = time.perf_counter()
            sleepcl.sleep_(fresh, inp, params, seed=1)
            outer.append(time.perf_counter() - t0)
    finally:
        _lib.lib.scl_sleep_model = real
    return (statistics.median(o - i for o, i in zip(outer, inner)), statistics.median(inner))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--model", default=None,
                    help="a trained model to sleep (default: a fresh 784-1200-1200-10, which "
                    "fires less and sleeps faster than a trained one)")
    ap.add_argument("--timing-exe", default=None,
                    help="scl_sleep_timing (default: beside the loaded libsleepcl)")
    args = ap.parse_args()
    assert sleepcl.LIBRARY_PATH is not None
    exe = args.timing_exe or str(sleepcl.LIBRARY_PATH.parent / "scl_sleep_timing")
    with tempfile.TemporaryDirectory() as tmp:
        model_path, stats_path = Path(tmp) / "m.safetensors", Path(tmp) / "in.json"
        if args.model:
            model_path = Path(args.model)
        else:
            subprocess.run([exe, "--make", str(model_path), "784", "1200", "1200", "10"],
                           check=True)
        model = sleepcl.load_model(model_path)
        x, what = training_inputs()
        inp = sleepcl.input_stats(model, x)
        inp.save(stats_path)
        ctx = sleepcl.context()
        print(f"device: {ctx.description}; statistics from {what}; library {sleepcl.LIBRARY_PATH}")
        py_times(model, inp, 1, copy=False)  # warm-up: kernels built or loaded, pages touched
        c, py, py_copy, raw = [], [], [], []
        for _ in range(args.rounds):
            c += c_times(exe, model_path, stats_path, args.reps)
            for _ in range(args.reps):  # turn by turn, one sleep each
                py += py_times(model, inp, 1, copy=False)
                raw.append(raw_c_time(model, inp, ctx))
            py_copy += py_times(model, inp, 1, copy=True)
        by_name = overhead(model, inp, "mnist2024", 3 * args.reps)
        by_value = overhead(model, inp, sleepcl.sleep_params("mnist2024"), 3 * args.reps)
    mc, mp, mpc, mr = (statistics.median(v) for v in (c, py, py_copy, raw))
    print(f"C API (scl_sleep_model):       median {mc:.4f} s over {len(c)} sleeps "
          f"(min {min(c):.4f})")
    print(f"Python sleepcl.sleep_:         median {mp:.4f} s over {len(py)} sleeps "
          f"(min {min(py):.4f})")
    print(f"Python sleepcl.sleep (copies): median {mpc:.4f} s over {len(py_copy)} sleeps")
    print(f"C call from this process:      median {mr:.4f} s over {len(raw)} sleeps "
          f"(min {min(raw):.4f}), taking turns with sleepcl.sleep_")
    print(f"ratio Python / C program: {mp / mc:.3f} (medians), {min(py) / min(c):.3f} (minima); "
          f"with the copy {mpc / mc:.3f}")
    print(f"ratio Python / C call, same process, turn by turn: {mp / mr:.3f} (medians), "
          f"{min(py) / min(raw):.3f} (minima)")
    for what, (out, inside) in (("a set's name", by_name), ("SleepParams", by_value)):
        print(f"binding's own time per sleep_ with {what}: {1e3 * out:.3f} ms outside the C "
              f"call ({100 * out / inside:.2f}% of the call's {inside:.4f} s)")


if __name__ == "__main__":
    main()
