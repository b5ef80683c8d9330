"""OpenCL devices: a context per device, opened once per process and reused by every call."""

from __future__ import annotations

import ctypes
import logging
import threading

from . import _lib
from ._errors import SleepclError, check_ctx

_log = logging.getLogger("sleepcl")

_LEVELS = {
    0: logging.DEBUG,
    1: logging.INFO,
    2: logging.WARNING,
    3: logging.ERROR,
}


@_lib.LOG_FN
def _log_line(level: int, sub: bytes, msg: bytes, user: int | None) -> None:
    """The library's log lines go to the "sleepcl" logger ("sleepcl: sleep: layer 3 ...")."""
    _log.log(_LEVELS.get(level, logging.ERROR), "%s: %s", sub.decode(), msg.decode())


_lib.lib.scl_set_log_callback(_log_line, None)


class Context:
    """An OpenCL device opened by libsleepcl (scl_ctx_create): context, queue, kernel program.

    ``device`` is a global index (as ``sleepcl devices`` lists them) or a substring of
    "platform device" names; None takes ``$SCL_DEVICE``, else the first device. Opening builds
    (or loads from the cache) the kernel program, which takes a while: the module-level
    functions reuse one context per device (:func:`context`).
    """

    def __init__(self, device: str | int | None = None) -> None:
        params = _lib.lib.scl_ctx_default_params()
        # The strings the context was opened with stay alive as long as it does.
        self._device = None if device is None or device == "" else str(device).encode()
        if self._device is not None:
            params.device = self._device
        params.quiet = 0  # the chosen device goes to the logger at INFO
        handle = ctypes.c_void_p()
        st = _lib.lib.scl_ctx_create(ctypes.byref(params), ctypes.byref(handle))
        if st != 0:
            try:
                check_ctx(st, handle)
            finally:
                _lib.lib.scl_ctx_destroy(handle)
        self._handle: ctypes.c_void_p | None = handle
        self.lock = threading.Lock()  # one call at a time on a context's queue

    @property
    def handle(self) -> ctypes.c_void_p:
        """The scl_ctx pointer; SleepclError once closed."""
        if self._handle is None:
            raise SleepclError(_lib.ERR_ARG, "the context is closed")
        return self._handle

    @property
    def description(self) -> str:
        """"platform / device (type, driver X, OpenCL C Y)"."""
        return _lib.lib.scl_ctx_device_desc(self.handle).decode()

    @property
    def is_cpu(self) -> bool:
        """True for a CPU device (PoCL)."""
        return bool(_lib.lib.scl_ctx_is_cpu(self.handle))

    def close(self) -> None:
        """Release the device (scl_ctx_destroy). Idempotent."""
        if self._handle is not None:
            _lib.lib.scl_ctx_destroy(self._handle)
            self._handle = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def __repr__(self) -> str:
        state = self.description if self._handle is not None else "closed"
        return f"<sleepcl.Context {state}>"


_contexts: dict[str | None, Context] = {}
_contexts_lock = threading.Lock()


def context(device: str | int | Context | None = None) -> Context:
    """The shared context of ``device`` (see :class:`Context`), opened on first use."""
    if isinstance(device, Context):
        return device
    key = None if device is None or device == "" else str(device)
    with _contexts_lock:
        ctx = _contexts.get(key)
        if ctx is None or ctx._handle is None:
            ctx = _contexts[key] = Context(key)
        return ctx
