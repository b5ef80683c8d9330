"""The shared libraries, loaded with ctypes, and the C structs they take, mirrored field for field.

libsleepcl (include/sleepcl/sleepcl.h) does the work; libsleepcl-app (sleepcl_app.h) reads config
files with the program's own parser. Both are found, in order:

1. ``$SCL_LIBRARY_PATH``: a directory holding ``libsleepcl.so`` (a build or install tree), or
   the path of ``libsleepcl.so`` itself;
2. a build tree beside the package: ``python/../build`` (the README's build directory);
3. the system's library path (``apt install ./sleepcl_*.deb``, ``ldconfig``), by soname.

The struct mirrors must match the header: tests/test_layout.py compiles a C file that prints
every mirrored field's offset and compares; ``scl_cfg_sleep_params_from_file`` also refuses a
``struct scl_sleep_params`` of the wrong size at run time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_void_p,
)
from pathlib import Path
from typing import Iterator

#: The release this package was written for: a library of another major.minor is refused,
#: since its structs may differ (the soname carries major.minor below 1.0).
ABI_VERSION = (0, 1)

MAX_LAYERS = 8  # SCL_MAX_LAYERS
SLEEP_HIST_BINS = 21  # SCL_SLEEP_HIST_BINS

#: scl_status values, in the header's order.
STATUS_NAMES = (
    "SCL_OK",
    "SCL_ERR_NOMEM",
    "SCL_ERR_OPENCL",
    "SCL_ERR_NODEVICE",
    "SCL_ERR_CONFIG",
    "SCL_ERR_IO",
    "SCL_ERR_DATA",
    "SCL_ERR_NUMERIC",
    "SCL_ERR_ARG",
)

ERR_CONFIG = STATUS_NAMES.index("SCL_ERR_CONFIG")
ERR_ARG = STATUS_NAMES.index("SCL_ERR_ARG")

#: Names of the library's enums, as the config files spell them.
OUTPUT_NAMES = ("softmax", "sigmoid", "relu")  # scl_output
NORM_NAMES = ("ref", "diehl")  # scl_sleep_norm
MODULATION_NAMES = ("ref", "const")  # scl_sleep_mod
INPUT_NAMES = ("mean", "window")  # scl_sleep_input
GEMM_NAMES = ("auto", "clblast", "native")  # scl_gemm_engine


class CtxParams(Structure):
    """struct scl_ctx_params."""

    _fields_ = [
        ("device", c_char_p),
        ("kernel_dir", c_char_p),
        ("cache_dir", c_char_p),
        ("quiet", c_int),
        ("profile", c_int),
    ]


class CModel(Structure):
    """struct scl_model: weights are pointers, so they can point into NumPy arrays."""

    _fields_ = [
        ("n_layers", c_int32),
        ("sizes", c_int32 * (MAX_LAYERS + 1)),
        ("w", POINTER(c_float) * MAX_LAYERS),
        ("profile", c_char * 32),
        ("seed", c_uint32),
        ("config_hash", c_char * 20),
        ("output", c_int32),
        ("act_scale", c_float),
    ]


class CDataset(Structure):
    """struct scl_dataset."""

    _fields_ = [
        ("n", c_int32),
        ("dim", c_int32),
        ("rows", c_int32),
        ("cols", c_int32),
        ("x", POINTER(c_float)),
        ("y", POINTER(c_uint8)),
        ("n_classes", c_int32),
    ]


class CSleepParams(Structure):
    """struct scl_sleep_params."""

    _fields_ = [
        ("steps", c_int32),
        ("dt", c_float),
        ("max_rate", c_float),
        ("gain", c_float),
        ("alpha_scale", c_float),
        ("n_alpha", c_int32),
        ("alpha", c_float * MAX_LAYERS),
        ("n_beta", c_int32),
        ("beta", c_float * MAX_LAYERS),
        ("decay", c_float),
        ("inc", c_float),
        ("dec", c_float),
        ("norm", c_int),
        ("modulation", c_int),
        ("input", c_int),
        ("seed", c_uint32),
    ]


class CSleepStats(Structure):
    """struct scl_sleep_stats (arrays owned by the library: scl_sleep_stats_free)."""

    _fields_ = [
        ("record_raster", c_int),
        ("steps", c_int32),
        ("n_layers", c_int32),
        ("spikes", POINTER(c_int32)),
        ("rate", c_double * (MAX_LAYERS + 1)),
        ("hist", (c_int64 * SLEEP_HIST_BINS) * MAX_LAYERS),
        ("raster_units", c_int64),
        ("raster", POINTER(c_uint8)),
        ("unit_spikes", POINTER(c_int32)),
    ]


class CInputStats(Structure):
    """struct scl_input_stats (mean owned by the library when it filled it)."""

    _fields_ = [
        ("n_inputs", c_int32),
        ("mean", POINTER(c_float)),
        ("n_layers", c_int32),
        ("act_max", c_float * MAX_LAYERS),
    ]


class CSleepJob(Structure):
    """struct scl_sleep_job: one run of scl_sleep_run_batch."""

    _fields_ = [
        ("model", POINTER(CModel)),
        ("params", CSleepParams),
        ("mean_input", POINTER(c_float)),
        ("factors", c_float * MAX_LAYERS),
        ("stats", POINTER(CSleepStats)),
    ]


#: The mirrored structs and the header's names for them (tests/test_layout.py).
STRUCTS = {
    "struct scl_ctx_params": CtxParams,
    "scl_model": CModel,
    "scl_dataset": CDataset,
    "struct scl_sleep_params": CSleepParams,
    "struct scl_sleep_stats": CSleepStats,
    "struct scl_input_stats": CInputStats,
    "struct scl_sleep_job": CSleepJob,
}

LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_char_p, c_void_p)

_ctx = c_void_p
_status = c_int
_msg = (c_char_p, c_size_t)

# name: (restype, argtypes). Only what the package calls.
_PROTOTYPES: dict[str, tuple[object, tuple[object, ...]]] = {
    "scl_version": (c_char_p, ()),
    "scl_status_str": (c_char_p, (c_int,)),
    "scl_set_log_callback": (None, (LOG_FN, c_void_p)),
    "scl_set_log_level": (None, (c_int,)),
    "scl_env_data_dir": (None, (c_char_p, c_size_t)),
    "scl_ctx_default_params": (CtxParams, ()),
    "scl_ctx_create": (_status, (POINTER(CtxParams), POINTER(_ctx))),
    "scl_ctx_destroy": (None, (_ctx,)),
    "scl_ctx_last_error": (c_char_p, (_ctx,)),
    "scl_ctx_device_desc": (c_char_p, (_ctx,)),
    "scl_ctx_is_cpu": (c_int, (_ctx,)),
    "scl_model_create": (_status, (c_int32, POINTER(c_int32), POINTER(POINTER(CModel)))),
    "scl_model_destroy": (None, (POINTER(CModel),)),
    "scl_model_save": (_status, (POINTER(CModel), c_char_p, *_msg)),
    "scl_model_load": (_status, (c_char_p, POINTER(POINTER(CModel)), *_msg)),
    "scl_dataset_load_dir": (
        _status,
        (c_char_p, c_char_p, POINTER(POINTER(CDataset)), *_msg),
    ),
    "scl_dataset_destroy": (None, (POINTER(CDataset),)),
    "scl_dataset_balanced_indices": (
        _status,
        (
            POINTER(CDataset),
            c_double,
            POINTER(c_int32),
            c_int32,
            c_uint32,
            POINTER(c_int32),
            POINTER(c_int32),
        ),
    ),
    "scl_sleep_default_params": (CSleepParams, ()),
    "scl_sleep_validate": (
        _status,
        (POINTER(CSleepParams), POINTER(CModel), *_msg),
    ),
    "scl_sleep_factors": (
        _status,
        (POINTER(CModel), POINTER(c_float), c_int, POINTER(c_float)),
    ),
    "scl_sleep_stats_free": (None, (POINTER(CSleepStats),)),
    "scl_sleep_check_rates": (c_int, (POINTER(CSleepStats),)),
    "scl_sleep_run_batch": (_status, (_ctx, POINTER(CSleepJob), c_int32)),
    "scl_input_stats_compute": (
        _status,
        (_ctx, POINTER(CModel), POINTER(CDataset), c_int, POINTER(CInputStats)),
    ),
    "scl_input_stats_save": (_status, (POINTER(CInputStats), c_char_p, *_msg)),
    "scl_input_stats_load": (
        _status,
        (c_char_p, POINTER(CModel), POINTER(CInputStats), *_msg),
    ),
    "scl_input_stats_free": (None, (POINTER(CInputStats),)),
    "scl_sleep_model": (
        _status,
        (_ctx, POINTER(CModel), POINTER(CSleepParams), POINTER(CInputStats), POINTER(CSleepStats)),
    ),
}

_APP_PROTOTYPES: dict[str, tuple[object, tuple[object, ...]]] = {
    "scl_cfg_sleep_params_from_file": (
        _status,
        (c_char_p, POINTER(c_char_p), c_int, POINTER(CSleepParams), c_size_t, *_msg),
    ),
    "scl_cfg_file_get": (
        _status,
        (c_char_p, POINTER(c_char_p), c_int, c_char_p, c_char_p, c_size_t, *_msg),
    ),
}


def _candidates(name: str) -> Iterator[str]:
    """Where to look for lib``name``.so, in order (see the module's docstring)."""
    env = os.environ.get("SCL_LIBRARY_PATH")
    if env:
        p = Path(env)
        yield str(p.parent / f"lib{name}.so" if p.is_file() else p / f"lib{name}.so")
    build = Path(__file__).resolve().parent.parent.parent / "build" / f"lib{name}.so"
    if build.exists():
        yield str(build)
    major, minor = ABI_VERSION
    soname = f"lib{name}.so.{major}.{minor}" if major == 0 else f"lib{name}.so.{major}"
    yield soname
    found = ctypes.util.find_library(name)  # runs ldconfig: only when the soname failed
    if found and found != soname:
        yield found


def _load(name: str) -> tuple[ctypes.CDLL, str]:
    """The first lib``name`` that loads, and the path or soname it was loaded by."""
    tried = []
    for cand in _candidates(name):
        try:
            return ctypes.CDLL(cand), cand
        except OSError as err:
            tried.append(f"{cand} ({err})")
    raise ImportError(
        f"sleepcl: cannot load lib{name}.so; tried: "
        + "; ".join(tried)
        + ". Build the project (cmake --build build), install it (apt install "
        "./sleepcl_*.deb) or point SCL_LIBRARY_PATH at the directory that holds it."
    )


def _bind(lib: ctypes.CDLL, protos: dict[str, tuple[object, tuple[object, ...]]]) -> None:
    for fname, (restype, argtypes) in protos.items():
        fn = getattr(lib, fname)
        fn.restype = restype
        fn.argtypes = list(argtypes)


class _DlInfo(Structure):
    _fields_ = [
        ("dli_fname", c_char_p),
        ("dli_fbase", c_void_p),
        ("dli_sname", c_char_p),
        ("dli_saddr", c_void_p),
    ]


def _loaded_path(fn: object) -> Path | None:
    """The file a loaded library was mapped from (dladdr of one of its functions)."""
    try:
        libc = ctypes.CDLL(None)
        info = _DlInfo()
        addr = ctypes.cast(fn, c_void_p)
        if libc.dladdr(addr, ctypes.byref(info)) and info.dli_fname:
            return Path(os.fsdecode(info.dli_fname)).resolve()
    except (OSError, AttributeError):
        pass
    return None


lib, _lib_spec = _load("sleepcl")
_bind(lib, _PROTOTYPES)
_version = lib.scl_version().decode()
if tuple(int(v) for v in _version.split(".")[:2]) != ABI_VERSION:
    raise ImportError(
        f"sleepcl: {_lib_spec} is version {_version}; this package needs "
        f"{ABI_VERSION[0]}.{ABI_VERSION[1]}.x"
    )
# The app library beside the one just loaded, so the two are always of one build.
LIBRARY_PATH = _loaded_path(lib.scl_version)
_app_spec = (
    str(LIBRARY_PATH.parent / "libsleepcl-app.so")
    if LIBRARY_PATH and (LIBRARY_PATH.parent / "libsleepcl-app.so").exists()
    else None
)
if _app_spec:
    app = ctypes.CDLL(_app_spec)
else:
    app, _app_spec = _load("sleepcl-app")
_bind(app, _APP_PROTOTYPES)
VERSION = _version


def status_name(st: int) -> str:
    """"SCL_ERR_CONFIG" for the value of SCL_ERR_CONFIG."""
    return STATUS_NAMES[st] if 0 <= st < len(STATUS_NAMES) else f"status {st}"


def share_dirs() -> list[Path]:
    """Where the shipped configs may be: share/sleepcl beside the library (build tree: BUILD/
    share/sleepcl; install: PREFIX/share/sleepcl from PREFIX/lib or PREFIX/lib/<multiarch>), then
    the repository this package sits in."""
    out: list[Path] = []
    if LIBRARY_PATH:
        d = LIBRARY_PATH.parent
        out += [d / "share/sleepcl", d.parent / "share/sleepcl", d.parent.parent / "share/sleepcl"]
    out.append(Path(__file__).resolve().parent.parent.parent)  # the repository: ./configs
    return [p for p in out if (p / "configs").is_dir()]
