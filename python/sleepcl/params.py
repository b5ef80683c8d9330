"""Sleep parameter sets: by name ("mnist2024"), from any config file, or as values.

Config files are read by the program's one parser (host/app/config.c, through libsleepcl-app's
``scl_cfg_sleep_params_from_file``): includes, bounds and messages are exactly those of
``sleepcl sleep -c FILE``. Nothing here parses a config file.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Union

from . import _lib
from ._errors import SleepclError, check_msg, msg_buffer

#: A set of overrides: "section.key=value" strings, or a mapping of keys ("sleep.steps", or
#: just "steps" for a [sleep] key) to values (lists are written with commas).
Overrides = Union[Sequence[str], Mapping[str, object], None]


@dataclasses.dataclass
class SleepParams:
    """struct scl_sleep_params as Python values (docs/METHOD.md sections 2 to 5).

    Floats hold the library's float32 values exactly, so a set read from a file, turned into
    this and back is the same set bit for bit. ``alpha`` is empty unless the set gives one
    alpha per layer (``alpha_vector``); ``beta`` has one threshold per layer.
    """

    steps: int
    dt: float
    max_rate: float
    gain: float
    alpha_scale: float
    alpha: list[float]
    beta: list[float]
    decay: float
    inc: float
    dec: float
    norm: str = "ref"
    modulation: str = "ref"
    input: str = "mean"
    seed: int = 1

    @classmethod
    def from_c(cls, p: _lib.CSleepParams) -> SleepParams:
        """The values of a C struct."""
        return cls(
            steps=p.steps,
            dt=p.dt,
            max_rate=p.max_rate,
            gain=p.gain,
            alpha_scale=p.alpha_scale,
            alpha=list(p.alpha[: p.n_alpha]),
            beta=list(p.beta[: p.n_beta]),
            decay=p.decay,
            inc=p.inc,
            dec=p.dec,
            norm=_lib.NORM_NAMES[p.norm],
            modulation=_lib.MODULATION_NAMES[p.modulation],
            input=_lib.INPUT_NAMES[p.input],
            seed=p.seed,
        )

    def to_c(self) -> _lib.CSleepParams:
        """The C struct (checked by the library when a model sleeps: scl_sleep_validate)."""
        if len(self.alpha) > _lib.MAX_LAYERS or len(self.beta) > _lib.MAX_LAYERS:
            raise SleepclError(
                _lib.ERR_CONFIG,
                f"sleep: at most {_lib.MAX_LAYERS} alpha and beta values",
            )
        p = _lib.CSleepParams()
        p.steps = self.steps
        p.dt, p.max_rate, p.gain = self.dt, self.max_rate, self.gain
        p.alpha_scale = self.alpha_scale
        p.n_alpha = len(self.alpha)
        p.n_beta = len(self.beta)
        for i, v in enumerate(self.alpha):
            p.alpha[i] = v
        for i, v in enumerate(self.beta):
            p.beta[i] = v
        p.decay, p.inc, p.dec = self.decay, self.inc, self.dec
        p.norm = _enum(_lib.NORM_NAMES, self.norm, "sleep.norm")
        p.modulation = _enum(_lib.MODULATION_NAMES, self.modulation, "sleep.modulation")
        p.input = _enum(_lib.INPUT_NAMES, self.input, "sleep.input")
        p.seed = self.seed
        return p

    def replace(self, **changes: object) -> SleepParams:
        """A copy with some fields changed (``p.replace(steps=100, seed=3)``)."""
        return dataclasses.replace(self, **changes)


def _enum(names: Sequence[str], value: str, key: str) -> int:
    try:
        return names.index(value)
    except ValueError:
        raise SleepclError(
            _lib.ERR_CONFIG,
            f"{key}: '{value}' is not one of {', '.join(names)}",
        ) from None


def default_params() -> SleepParams:
    """The library's default set (scl_sleep_default_params): the 2024 MNIST set, seed 1."""
    return SleepParams.from_c(_lib.lib.scl_sleep_default_params())


def available_sets() -> list[str]:
    """The names of the shipped parameter sets (configs/sleep/*.ini)."""
    names: set[str] = set()
    for root in _lib.share_dirs():
        names.update(p.stem for p in (root / "configs/sleep").glob("*.ini"))
    return sorted(names)


def config_path(config: str | os.PathLike[str]) -> Path:
    """The file of a config: a shipped set's name ("mnist2024": configs/sleep/mnist2024.ini,
    found beside the library or in the repository) or a path, as given."""
    text = os.fspath(config)
    looks_like_name = "/" not in text and not text.endswith(".ini")
    if looks_like_name and not Path(text).exists():
        for root in _lib.share_dirs():
            path = root / "configs/sleep" / f"{text}.ini"
            if path.is_file():
                return path
        raise SleepclError(
            _lib.ERR_CONFIG,
            f"no sleep parameter set named '{text}' (shipped: "
            f"{', '.join(available_sets()) or 'none found'}; or give a config file's path)",
        )
    return Path(text)


def _override_list(overrides: Overrides) -> list[str]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        out = []
        for key, value in overrides.items():
            key = key if "." in key else f"sleep.{key}"
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                value = ",".join(str(v) for v in value)
            out.append(f"{key}={value}")
        return out
    if isinstance(overrides, str):
        return [overrides]
    return [str(s) for s in overrides]


class _Config:
    """One config file and its overrides, read through the program's parser."""

    def __init__(self, config: str | os.PathLike[str] | None, overrides: Overrides) -> None:
        self.path = None if config is None else config_path(config)
        self._path_b = None if self.path is None else os.fsencode(self.path)
        sets = [s.encode() for s in _override_list(overrides)]
        self._sets = (ctypes.c_char_p * max(1, len(sets)))(*sets)
        self._n = len(sets)

    def sleep_params(self) -> _lib.CSleepParams:
        p = _lib.CSleepParams()
        msg = msg_buffer()
        st = _lib.app.scl_cfg_sleep_params_from_file(
            self._path_b, self._sets, self._n, ctypes.byref(p), ctypes.sizeof(p), msg, len(msg)
        )
        check_msg(st, msg)
        return p

    def get(self, key: str) -> str:
        buf = ctypes.create_string_buffer(4096)
        msg = msg_buffer()
        st = _lib.app.scl_cfg_file_get(
            self._path_b, self._sets, self._n, key.encode(), buf, len(buf), msg, len(msg)
        )
        check_msg(st, msg)
        return buf.value.decode()


#: What a sleep takes as its parameters: a SleepParams, a shipped set's name or a config path.
ParamsLike = Union[SleepParams, str, os.PathLike, None]


def sleep_params(
    config: str | os.PathLike[str] | None = "mnist2024",
    overrides: Overrides = None,
    seed: int | None = None,
) -> SleepParams:
    """The sleep set ``sleepcl sleep -c CONFIG --set ...`` would use.

    ``config`` is a shipped set's name ("mnist2024", "fmnist2024", "mnist_searched", ...), the
    path of any config file (its [sleep] section, includes followed; the seed is its run.seed),
    or None for the library's defaults. ``overrides`` are applied on top, as ``--set`` options;
    ``seed`` replaces the seed. Errors: SleepclError with the parser's message
    ("FILE:LINE: [sleep] beta: ...").
    """
    params = SleepParams.from_c(_Config(config, overrides).sleep_params())
    return params if seed is None else params.replace(seed=seed)


def resolve(
    params: ParamsLike, overrides: Overrides, seed: int | None
) -> tuple[_lib.CSleepParams, str | None, str]:
    """The C parameters of a sleep, and the device and GEMM engine a config file names
    (device.device, train.gemm), as ``sleepcl sleep -c FILE`` would take them."""
    device: str | None = None
    gemm = "auto"
    if isinstance(params, SleepParams):
        if overrides:
            raise SleepclError(
                _lib.ERR_ARG,
                "overrides apply to a config or set name, not to SleepParams",
            )
        p = params.to_c()
    else:
        cfg = _Config(params, overrides)
        p = cfg.sleep_params()
        if cfg.path is not None:
            device = cfg.get("device.device") or None
            gemm = cfg.get("train.gemm")
    if seed is not None:
        p.seed = seed
    return p, device, gemm
