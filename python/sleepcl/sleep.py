"""Sleep a model in-process: the library's whole pipeline (scl_sleep_model) on NumPy arrays.

The weights go to the device once and come back once: the C model struct points into the
arrays themselves, so :func:`sleep_` changes them in place with no other copy, and
:func:`sleep` copies them first to leave its input untouched.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
from collections.abc import Sequence
from typing import Union

import numpy as np

from . import _lib
from ._errors import SleepclError, check_ctx, check_msg, msg_buffer
from .context import Context, context
from .model import CData, Model, as_model, c_model, check_weights
from .params import Overrides, ParamsLike, SleepParams, resolve


@dataclasses.dataclass
class InputStats:
    """The two statistics of a model's training inputs that a sleep needs: the per-pixel
    ``mean`` (the input spike rates) and, per layer, the largest activation ``act_max`` (the
    layer scale factors). Saved by ``sleepcl sleep`` as OUT.sleep_input.json."""

    mean: np.ndarray  # float32 [n_inputs]
    act_max: np.ndarray  # float32 [n_layers]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> InputStats:
        """Read a sleep_input.json (scl_input_stats_load)."""
        c = _lib.CInputStats()
        msg = msg_buffer()
        st = _lib.lib.scl_input_stats_load(os.fsencode(path), None, ctypes.byref(c), msg, len(msg))
        check_msg(st, msg)
        return cls._take(c)

    @classmethod
    def _take(cls, c: _lib.CInputStats) -> InputStats:
        """Copy a library-filled struct out and free it."""
        try:
            mean = np.ctypeslib.as_array(c.mean, shape=(c.n_inputs,)).copy()
            return cls(mean, np.array(c.act_max[: c.n_layers], dtype=np.float32))
        finally:
            _lib.lib.scl_input_stats_free(ctypes.byref(c))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write as sleep_input.json (scl_input_stats_save), for ``sleepcl sleep --mean-input``."""
        c, _keep = self._c()
        msg = msg_buffer()
        st = _lib.lib.scl_input_stats_save(ctypes.byref(c), os.fsencode(path), msg, len(msg))
        check_msg(st, msg)

    def _c(self) -> tuple[_lib.CInputStats, np.ndarray]:
        """The struct pointing into the mean (returned too, to keep it alive)."""
        mean = np.ascontiguousarray(self.mean, dtype=np.float32).reshape(-1)
        act_max = np.asarray(self.act_max, dtype=np.float32).reshape(-1)
        if not 1 <= act_max.size <= _lib.MAX_LAYERS:
            raise SleepclError(
                _lib.ERR_ARG,
                f"act_max has {act_max.size} values, a model 1 to {_lib.MAX_LAYERS} layers",
            )
        c = _lib.CInputStats()
        c.n_inputs = mean.size
        c.mean = mean.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        c.n_layers = act_max.size
        for i, v in enumerate(act_max):
            c.act_max[i] = v
        return c, mean


@dataclasses.dataclass
class SleepStats:
    """What a sleep reports (struct scl_sleep_stats), with the parameters and input statistics
    it ran with."""

    steps: int
    spikes: np.ndarray  # int32 [steps, n_layers + 1]: spikes per step, input layer first
    rate: np.ndarray  # float64 [n_layers + 1]: mean spikes per unit per step
    hist: np.ndarray  # int64 [n_layers, 21]: weight changes by decade (sleepcl.h)
    raster: np.ndarray | None  # uint8 [steps, units] when asked for (record_raster)
    params: SleepParams
    input_stats: InputStats

    @classmethod
    def _take(cls, c: _lib.CSleepStats, params: _lib.CSleepParams, inp: InputStats) -> SleepStats:
        """Copy a library-filled struct out and free its arrays."""
        try:
            layers = c.n_layers
            spikes = np.ctypeslib.as_array(c.spikes, shape=(c.steps, layers + 1)).copy()
            raster = None
            if c.raster:
                raster = np.ctypeslib.as_array(c.raster, shape=(c.steps, c.raster_units)).copy()
            hist = np.array([list(c.hist[l]) for l in range(layers)], dtype=np.int64)
            rate = np.array(c.rate[: layers + 1], dtype=np.float64)
            return cls(c.steps, spikes, rate, hist, raster, SleepParams.from_c(params), inp)
        finally:
            _lib.lib.scl_sleep_stats_free(ctypes.byref(c))


#: What a sleep takes as its inputs' statistics: InputStats, the path of a sleep_input.json,
#: or the training inputs themselves ([n, dim] or [n, rows, cols], values in [0, 1]).
DataLike = Union[InputStats, str, os.PathLike, np.ndarray]
DeviceLike = Union[str, int, Context, None]


def input_stats(
    weights: Model | Sequence[np.ndarray],
    inputs: np.ndarray,
    *,
    device: DeviceLike = None,
    gemm: str = "auto",
) -> InputStats:
    """The sleep statistics of ``inputs`` for this model (scl_input_stats_compute): the mean on
    the host, the activation maxima on the device, in test mode."""
    model = as_model(weights)
    ws = check_weights(model.weights, writable=False)
    return _compute_stats(context(device), model, ws, inputs, gemm)


def _compute_stats(
    ctx: Context, model: Model, ws: list[np.ndarray], inputs: np.ndarray, gemm: str
) -> InputStats:
    data = CData(inputs)
    m = c_model(model, ws)
    c = _lib.CInputStats()
    try:
        engine = _lib.GEMM_NAMES.index(gemm)
    except ValueError:
        raise SleepclError(
            _lib.ERR_ARG,
            f"gemm '{gemm}' is not one of {', '.join(_lib.GEMM_NAMES)}",
        ) from None
    with ctx.lock:
        st = _lib.lib.scl_input_stats_compute(
            ctx.handle, ctypes.byref(m), ctypes.byref(data.struct), engine, ctypes.byref(c)
        )
        check_ctx(st, ctx.handle)
    return InputStats._take(c)


def _stats_of(
    ctx: Context, model: Model, ws: list[np.ndarray], data: DataLike, gemm: str
) -> InputStats:
    if isinstance(data, InputStats):
        return data
    if isinstance(data, (str, os.PathLike)):
        return InputStats.load(data)
    arr = np.asarray(data)
    if arr.ndim == 1:
        raise SleepclError(
            _lib.ERR_ARG,
            "a mean alone is not enough: a sleep also needs each layer's largest activation; "
            "pass InputStats(mean, act_max), a sleep_input.json, or the training inputs",
        )
    return _compute_stats(ctx, model, ws, arr, gemm)


def sleep_(
    weights: Model | Sequence[np.ndarray],
    data: DataLike,
    params: ParamsLike = "mnist2024",
    *,
    seed: int | None = None,
    overrides: Overrides = None,
    device: DeviceLike = None,
    gemm: str | None = None,
    record_raster: bool = False,
) -> SleepStats:
    """Sleep a model in place: its float32 arrays receive the slept weights (no other copy).

    ``weights``: a :class:`Model` or a list of writable C-contiguous float32 arrays in the
    ``nn.Linear`` layout. ``data``: see :data:`DataLike`. ``params``: a :class:`SleepParams`,
    a shipped set's name ("mnist2024") or a config file, whose device.device and train.gemm
    are used unless ``device`` / ``gemm`` are given, as ``sleepcl sleep -c FILE`` does;
    ``overrides`` as ``--set``; ``seed`` replaces the set's seed. The same model, data, set and
    seed give the weights ``sleepcl sleep`` gives, bit for bit. On error (SleepclError with the
    library's message) the weights are unchanged.
    """
    model = as_model(weights)
    ws = check_weights(model.weights, writable=True)
    p, cfg_device, cfg_gemm = resolve(params, overrides, seed)
    ctx = context(device if device is not None else cfg_device)
    inp = _stats_of(ctx, model, ws, data, gemm or cfg_gemm)
    c_in, _keep = inp._c()
    m = c_model(model, ws)
    stats = _lib.CSleepStats()
    stats.record_raster = int(record_raster)
    with ctx.lock:
        st = _lib.lib.scl_sleep_model(
            ctx.handle, ctypes.byref(m), ctypes.byref(p), ctypes.byref(c_in), ctypes.byref(stats)
        )
        if st != 0:
            _lib.lib.scl_sleep_stats_free(ctypes.byref(stats))
        check_ctx(st, ctx.handle)
    return SleepStats._take(stats, p, inp)


def _copy(model: Model) -> Model:
    ws = [np.array(w, dtype=np.float32, order="C", copy=True) for w in model.weights]
    return dataclasses.replace(model, weights=ws)


def sleep(
    weights: Model | Sequence[np.ndarray],
    data: DataLike,
    params: ParamsLike = "mnist2024",
    **kwargs: object,
) -> tuple[list[np.ndarray], SleepStats]:
    """Sleep a copy of a model: ``(slept weights, stats)``; the input is left as it was.

    Arguments as :func:`sleep_`. Example::

        w2, stats = sleepcl.sleep([w1, w2, w3], x_train, "mnist2024", seed=1)
    """
    model = _copy(as_model(weights))
    stats = sleep_(model, data, params, **kwargs)  # type: ignore[arg-type]
    return model.weights, stats


def sleep_batch(
    weights: Model | Sequence[np.ndarray],
    data: DataLike,
    params: Sequence[ParamsLike],
    *,
    seeds: Sequence[int] | None = None,
    device: DeviceLike = None,
    gemm: str | None = None,
) -> list[tuple[list[np.ndarray], SleepStats]]:
    """Sleep one model under many parameter sets at once (scl_sleep_run_batch: one pass on the
    device, a work-group per set), each on its own copy: a ``(weights, stats)`` per set, each
    bit for bit what :func:`sleep` gives with that set. ``seeds`` (one per set) replace the
    sets' seeds. The device and GEMM engine are the first config's unless given.
    """
    if not params:
        return []
    if seeds is not None and len(seeds) != len(params):
        raise SleepclError(_lib.ERR_ARG, f"{len(seeds)} seeds for {len(params)} parameter sets")
    base = as_model(weights)
    ws0 = check_weights(base.weights, writable=False)
    resolved = [
        resolve(ps, None, None if seeds is None else seeds[i]) for i, ps in enumerate(params)
    ]
    ctx = context(device if device is not None else resolved[0][1])
    inp = _stats_of(ctx, base, ws0, data, gemm or resolved[0][2])
    c_in, mean = inp._c()
    act_max = (ctypes.c_float * _lib.MAX_LAYERS)(*c_in.act_max)
    models = [_copy(dataclasses.replace(base, weights=ws0)) for _ in params]
    structs = [c_model(mdl, mdl.weights) for mdl in models]
    stats = (_lib.CSleepStats * len(params))()
    jobs = (_lib.CSleepJob * len(params))()
    for i, (p, _dev, _gemm) in enumerate(resolved):
        job = jobs[i]
        job.model = ctypes.pointer(structs[i])
        job.params = p
        job.mean_input = mean.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        # The factors as scl_sleep_model computes them, from this set's norm.
        st = _lib.lib.scl_sleep_factors(ctypes.byref(structs[i]), act_max, p.norm, job.factors)
        if st != 0:
            raise SleepclError(
                st,
                "sleep: a layer has no positive weight or activation (or a non-finite one), "
                "so it has no scale factor",
            )
        job.stats = ctypes.pointer(stats[i])
    with ctx.lock:
        st = _lib.lib.scl_sleep_run_batch(ctx.handle, jobs, len(params))
        if st != 0:
            for s in stats:
                _lib.lib.scl_sleep_stats_free(ctypes.byref(s))
        check_ctx(st, ctx.handle)
    out = []
    for i, (p, _dev, _gemm) in enumerate(resolved):
        _lib.lib.scl_sleep_check_rates(ctypes.byref(stats[i]))  # as scl_sleep_model does
        out.append((models[i].weights, SleepStats._take(stats[i], p, inp)))
    return out
