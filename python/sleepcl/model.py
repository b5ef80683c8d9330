"""Models and datasets through the library's own readers and writers.

A model is a list of float32 weight matrices in the ``nn.Linear`` layout (``w[l]`` of shape
[n_{l+1}, n_l]: rows are the layer's units, columns its inputs) with the metadata of sleepcl's
safetensors files. Files are read and written by libsleepcl (scl_model_load, scl_model_save),
so a file Python writes is the file the program writes, and the checks are the same.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from . import _lib
from ._errors import SleepclError, check_msg, msg_buffer


@dataclasses.dataclass
class Model:
    """Weights and the metadata sleepcl's safetensors files carry.

    ``output`` is the output activation ("softmax", "sigmoid" or "relu"); ``act_scale`` the
    test-time multiplier of hidden activations (1 - dropout for non-inverted dropout, else 1),
    which the sleep's activation maxima use.
    """

    weights: list[np.ndarray]
    profile: str = ""
    seed: int = 0
    config_hash: str = ""
    output: str = "softmax"
    act_scale: float = 1.0

    @property
    def sizes(self) -> list[int]:
        """Units per layer, input first."""
        return [int(self.weights[0].shape[1])] + [int(w.shape[0]) for w in self.weights]


def as_model(weights: Model | Sequence[np.ndarray]) -> Model:
    """A Model of a Model or of a plain list of weight matrices (default metadata)."""
    if isinstance(weights, Model):
        return weights
    return Model(list(weights))


def check_weights(weights: Sequence[np.ndarray], writable: bool) -> list[np.ndarray]:
    """The matrices as the C struct needs them: 2-D float32, C-contiguous, chaining layer to
    layer, 1 to SCL_MAX_LAYERS of them. ``writable``: the library writes into them (in place),
    so nothing is converted; otherwise they are converted as needed."""
    if not 1 <= len(weights) <= _lib.MAX_LAYERS:
        raise SleepclError(
            _lib.ERR_ARG,
            f"a model has 1 to {_lib.MAX_LAYERS} weight matrices, not {len(weights)}",
        )
    out = []
    for i, w in enumerate(weights):
        if writable:
            ok = (
                isinstance(w, np.ndarray)
                and w.dtype == np.float32
                and w.ndim == 2
                and w.flags.c_contiguous
                and w.flags.writeable
            )
            if not ok:
                raise SleepclError(
                    _lib.ERR_ARG,
                    f"w{i + 1}: an in-place sleep needs writable C-contiguous 2-D float32 "
                    "NumPy arrays (sleepcl.sleep copies instead)",
                )
        else:
            w = np.ascontiguousarray(w, dtype=np.float32)
            if w.ndim != 2:
                raise SleepclError(
                    _lib.ERR_ARG,
                    f"w{i + 1}: a weight matrix is 2-D, not {w.ndim}-D",
                )
        if i and w.shape[1] != out[-1].shape[0]:
            raise SleepclError(
                _lib.ERR_ARG,
                f"w{i + 1} has {w.shape[1]} inputs, w{i} has {out[-1].shape[0]} outputs "
                "(the nn.Linear layout: [out, in])",
            )
        out.append(w)
    return out


def c_model(model: Model, weights: list[np.ndarray]) -> _lib.CModel:
    """A struct scl_model whose weights point into ``weights`` (no copy): the library reads and
    writes the arrays themselves. The caller keeps the arrays alive while the struct is used,
    and never hands the struct to scl_model_destroy."""
    m = _lib.CModel()
    m.n_layers = len(weights)
    m.sizes[0] = weights[0].shape[1]
    for l, w in enumerate(weights):
        m.sizes[l + 1] = w.shape[0]
        m.w[l] = w.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    _set_metadata(m, model)
    return m


def _set_metadata(m: _lib.CModel, model: Model) -> None:
    m.profile = model.profile.encode()[:31]
    m.seed = model.seed
    m.config_hash = model.config_hash.encode()[:19]
    try:
        m.output = _lib.OUTPUT_NAMES.index(model.output)
    except ValueError:
        raise SleepclError(
            _lib.ERR_ARG,
            f"output '{model.output}' is not one of {', '.join(_lib.OUTPUT_NAMES)}",
        ) from None
    m.act_scale = model.act_scale


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read a sleepcl safetensors file (scl_model_load: shapes, offsets, finite values and
    metadata checked). SleepclError with the library's message naming the file."""
    ptr = ctypes.POINTER(_lib.CModel)()
    msg = msg_buffer()
    check_msg(_lib.lib.scl_model_load(os.fsencode(path), ctypes.byref(ptr), msg, len(msg)), msg)
    try:
        m = ptr.contents
        weights = []
        for l in range(m.n_layers):
            shape = (m.sizes[l + 1], m.sizes[l])
            weights.append(np.ctypeslib.as_array(m.w[l], shape=shape).copy())
        return Model(
            weights=weights,
            profile=m.profile.decode(),
            seed=m.seed,
            config_hash=m.config_hash.decode(),
            output=_lib.OUTPUT_NAMES[m.output],
            act_scale=m.act_scale,
        )
    finally:
        _lib.lib.scl_model_destroy(ptr)


def save_model(model: Model | Sequence[np.ndarray], path: str | os.PathLike[str]) -> None:
    """Write a sleepcl safetensors file (scl_model_save: written atomically, the metadata in
    the header). A plain list of matrices gets the default metadata."""
    model = as_model(model)
    weights = check_weights(model.weights, writable=False)
    # The struct points into the arrays: no copy (the library only reads them here).
    m = c_model(model, weights)
    msg = msg_buffer()
    check_msg(_lib.lib.scl_model_save(ctypes.byref(m), os.fsencode(path), msg, len(msg)), msg)


def data_dir() -> str:
    """The dataset directory: $SCL_DATA_DIR, else ~/.cache/sleepcl/data (tools/setup.sh)."""
    buf = ctypes.create_string_buffer(4096)
    _lib.lib.scl_env_data_dir(buf, len(buf))
    return buf.value.decode()


def load_dataset(
    directory: str | os.PathLike[str], split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Split "train" or "test" of a directory of IDX files (MNIST's layout, raw or .gz), read by
    the library's IDX reader: pixels as float32 [n, rows*cols] in [0, 1], labels as uint8 [n]."""
    ptr = ctypes.POINTER(_lib.CDataset)()
    msg = msg_buffer()
    st = _lib.lib.scl_dataset_load_dir(
        os.fsencode(directory), split.encode(), ctypes.byref(ptr), msg, len(msg)
    )
    check_msg(st, msg)
    try:
        ds = ptr.contents
        x = np.ctypeslib.as_array(ds.x, shape=(ds.n, ds.dim)).copy()
        y = np.ctypeslib.as_array(ds.y, shape=(ds.n,)).copy()
        return x, y
    finally:
        _lib.lib.scl_dataset_destroy(ptr)


class CData:
    """A struct scl_dataset pointing into NumPy arrays (no copy), kept alive with them."""

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None) -> None:
        x = np.asarray(x)
        if x.ndim == 3:  # [n, rows, cols] images
            rows, cols = x.shape[1], x.shape[2]
            x = x.reshape(x.shape[0], rows * cols)
        elif x.ndim == 2:
            rows, cols = 1, x.shape[1]
        else:
            raise SleepclError(
                _lib.ERR_ARG,
                f"data: inputs are [n, dim] or [n, rows, cols], not {x.shape}",
            )
        self.x = np.ascontiguousarray(x, dtype=np.float32)
        n = self.x.shape[0]
        self.y = (
            np.zeros(n, dtype=np.uint8) if y is None else np.ascontiguousarray(y, dtype=np.uint8)
        )
        if self.y.shape != (n,):
            raise SleepclError(
                _lib.ERR_ARG,
                f"data: {n} inputs but labels of shape {self.y.shape}",
            )
        ds = _lib.CDataset()
        ds.n, ds.dim, ds.rows, ds.cols = n, self.x.shape[1], rows, cols
        ds.x = self.x.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        ds.y = self.y.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
        ds.n_classes = int(self.y.max()) + 1 if n else 0
        self.struct = ds


def balanced_indices(
    labels: np.ndarray, fraction: float, seed: int, classes: Sequence[int] = ()
) -> np.ndarray:
    """The indices (ascending) of the class-balanced subset the program draws for
    ``data.fraction`` and a run's seed (scl_dataset_balanced_indices), so that Python trains on
    the very samples ``sleepcl train --fraction F --seed S`` does."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    data = CData(np.zeros((labels.shape[0], 1), dtype=np.float32), labels)
    out = np.empty(labels.shape[0], dtype=np.int32)
    n_out = ctypes.c_int32()
    cls = np.ascontiguousarray(classes, dtype=np.int32)
    st = _lib.lib.scl_dataset_balanced_indices(
        ctypes.byref(data.struct),
        fraction,
        cls.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
        len(cls),
        seed,
        out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
        ctypes.byref(n_out),
    )
    if st != 0:
        raise SleepclError(st, f"cannot draw a {fraction} subset (classes out of range?)")
    return out[: n_out.value].copy()
