"""Library failures as Python exceptions carrying the library's one-line message."""

from __future__ import annotations

import ctypes

from . import _lib


class SleepclError(Exception):
    """A libsleepcl call failed.

    ``str(err)`` is the library's one-line message ("sleep.beta has 2 values, the model has 3
    layers", "m.safetensors: cannot read: No such file or directory"); ``status`` names the
    scl_status ("SCL_ERR_CONFIG") and ``code`` is its value.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = _lib.status_name(code)
        self.message = message


def _text(raw: bytes | None) -> str:
    return raw.decode(errors="replace") if raw else ""


def status_text(st: int) -> str:
    """The library's fixed description of a status ("bad configuration")."""
    return _text(_lib.lib.scl_status_str(st))


def check_ctx(st: int, ctx: ctypes.c_void_p | None) -> None:
    """Raise for a failed call on a context: its last error, else the status's text."""
    if st != 0:
        detail = _text(_lib.lib.scl_ctx_last_error(ctx)) if ctx else ""
        raise SleepclError(st, detail or status_text(st))


def check_msg(st: int, msg: ctypes.Array[ctypes.c_char]) -> None:
    """Raise for a failed call that wrote its message into the caller's buffer."""
    if st != 0:
        raise SleepclError(st, _text(msg.value) or status_text(st))


def msg_buffer() -> ctypes.Array[ctypes.c_char]:
    """A buffer for a one-line message (the library's are under 512 bytes)."""
    return ctypes.create_string_buffer(1024)
