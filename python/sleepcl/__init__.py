"""sleepcl: Sleep Replay Consolidation in-process, over the shared library libsleepcl.

Sleep a fully connected bias-free ReLU network given as NumPy float32 matrices in the
``nn.Linear`` layout ([out, in] per layer)::

    import sleepcl
    slept, stats = sleepcl.sleep(weights, x_train, "mnist2024", seed=1)

Parameter sets by name ("mnist2024", any configs/sleep/*.ini) or from any config file, read by
the program's own parser; many sets at once with :func:`sleep_batch`; sleepcl's safetensors
files with :func:`load_model` and :func:`save_model`; PyTorch models with
:func:`sleepcl.torch.sleep_`. Library failures raise :class:`SleepclError` with the library's
one-line message. The library is found through ``$SCL_LIBRARY_PATH``, a build tree beside this
package (``python/../build``) or the system's library path (python/README.md).
"""

from __future__ import annotations

from ._errors import SleepclError
from ._lib import LIBRARY_PATH, VERSION
from .context import Context, context
from .model import Model, balanced_indices, data_dir, load_dataset, load_model, save_model
from .params import SleepParams, available_sets, config_path, default_params, sleep_params
from .sleep import InputStats, SleepStats, input_stats, sleep, sleep_, sleep_batch

__version__ = "0.1.0"

#: The version of the loaded libsleepcl (scl_version), e.g. "0.1.0".
library_version = VERSION

__all__ = [
    "Context",
    "InputStats",
    "LIBRARY_PATH",
    "Model",
    "SleepParams",
    "SleepStats",
    "SleepclError",
    "available_sets",
    "balanced_indices",
    "config_path",
    "context",
    "data_dir",
    "default_params",
    "input_stats",
    "library_version",
    "load_dataset",
    "load_model",
    "save_model",
    "sleep",
    "sleep_",
    "sleep_batch",
    "sleep_params",
]
