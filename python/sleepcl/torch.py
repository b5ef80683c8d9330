"""PyTorch models: sleep an ``nn.Sequential`` of bias-free ``Linear`` and ``ReLU`` layers in place.

::

    import sleepcl.torch
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 1200, bias=False), nn.ReLU(),
                        nn.Linear(1200, 1200, bias=False), nn.ReLU(),
                        nn.Linear(1200, 10, bias=False))
    ...  # train
    stats = sleepcl.torch.sleep_(net, train_loader, config="mnist2024")

CPU float32 weights are slept where they are (the library writes into the tensors' memory);
weights on a GPU or of another dtype go through one host copy each way. Needs ``torch``
(Debian: python3-torch); importing :mod:`sleepcl` alone does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Union

import numpy as np
import torch
from torch import nn

from . import _lib
from ._errors import SleepclError
from .model import Model
from .params import Overrides, ParamsLike
from .sleep import DeviceLike, InputStats, SleepStats
from .sleep import sleep_ as _sleep_numpy

#: Layers that do nothing to the converted net (Dropout is the identity in test mode).
_PASS = (nn.Dropout, nn.Flatten, nn.Identity)
#: Output activations, by the names of the library's scl_output.
_OUTPUTS = {
    nn.Softmax: "softmax",
    nn.LogSoftmax: "softmax",
    nn.Sigmoid: "sigmoid",
    nn.ReLU: "relu",
}

#: What a sleep takes as data: a DataLoader (or any iterable of (inputs, labels) batches or of
#: input batches), a tensor or array of inputs, an InputStats or a sleep_input.json path.
TorchData = Union[Iterable, torch.Tensor, np.ndarray, InputStats, str, os.PathLike]


def _flat(modules: Iterable[nn.Module]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for m in modules:
        out += _flat(m.children()) if isinstance(m, nn.Sequential) else [m]
    return out


def linear_layers(model: nn.Module) -> tuple[list[nn.Linear], str]:
    """The Linear layers of a sleepable net and its output activation's name.

    The net is an ``nn.Sequential`` (nesting allowed) of bias-free Linear layers, a ReLU after
    every hidden one, optionally Flatten, Dropout, Identity, and one output activation
    (Softmax, LogSoftmax, Sigmoid, ReLU or none) last. Anything else: SleepclError naming it.
    """
    if not isinstance(model, nn.Sequential):
        raise SleepclError(
            _lib.ERR_ARG,
            f"sleepcl sleeps an nn.Sequential, not {type(model).__name__}",
        )
    layers: list[nn.Linear] = []
    output = "softmax"
    pending_relu = False  # a hidden Linear waits for its ReLU
    ended = False  # an output activation was seen: nothing but pass-through layers after it
    for mod in _flat([model]):
        if isinstance(mod, _PASS):
            continue
        if isinstance(mod, nn.Linear) and not ended:
            if pending_relu:
                raise SleepclError(
                    _lib.ERR_ARG,
                    f"layer {len(layers)}: a hidden Linear needs a ReLU after it",
                )
            if mod.bias is not None:
                raise SleepclError(
                    _lib.ERR_ARG,
                    f"layer {len(layers) + 1}: sleepcl sleeps bias-free nets "
                    "(nn.Linear(..., bias=False))",
                )
            layers.append(mod)
            pending_relu = True
            output = "softmax"  # logits: the output activation is the loss's business
        elif isinstance(mod, nn.ReLU) and pending_relu:
            pending_relu = False
            output = "relu"
        elif type(mod) in _OUTPUTS and layers and not ended and (pending_relu or output == "relu"):
            output = _OUTPUTS[type(mod)]
            pending_relu = False
            ended = True
        else:
            raise SleepclError(
                _lib.ERR_ARG,
                f"cannot sleep a net with a {type(mod).__name__} layer there "
                "(bias-free Linear and ReLU, then at most one output activation)",
            )
    if not 1 <= len(layers) <= _lib.MAX_LAYERS:
        raise SleepclError(
            _lib.ERR_ARG,
            f"a sleepable net has 1 to {_lib.MAX_LAYERS} Linear layers, not {len(layers)}",
        )
    return layers, output


def _inputs(data: TorchData) -> np.ndarray | InputStats | str | os.PathLike:
    """The training inputs as a float32 [n, dim] array (or the statistics as given)."""
    if isinstance(data, (InputStats, str, os.PathLike, np.ndarray)):
        return data
    if isinstance(data, torch.Tensor):
        return data.detach().to("cpu", torch.float32).reshape(data.shape[0], -1).numpy()
    batches = []
    for batch in data:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        batches.append(x.detach().to("cpu", torch.float32).reshape(x.shape[0], -1))
    if not batches:
        raise SleepclError(_lib.ERR_ARG, "the data loader gave no batch")
    return torch.cat(batches).numpy()


def sleep_(
    model: nn.Sequential,
    data: TorchData,
    config: ParamsLike = "mnist2024",
    *,
    seed: int | None = None,
    overrides: Overrides = None,
    device: DeviceLike = None,
    act_scale: float = 1.0,
) -> SleepStats:
    """Sleep a PyTorch net in place (its Linear weights change; nothing else does).

    ``data``: the training data (a DataLoader of (inputs, labels) batches, or inputs) with
    values in [0, 1] as the net sees them, from which the sleep's input statistics are taken;
    or those statistics themselves. ``config``, ``seed``, ``overrides``, ``device``: as
    :func:`sleepcl.sleep_`. ``act_scale``: test-time multiplier of hidden activations (1 for
    PyTorch's inverted dropout). Returns the sleep's statistics; SleepclError on failure, with
    the weights unchanged.
    """
    layers, output = linear_layers(model)
    with torch.no_grad():
        arrays: list[np.ndarray] = []
        copies: list[bool] = []
        for lin in layers:
            w = lin.weight.data
            in_place = w.device.type == "cpu" and w.dtype == torch.float32 and w.is_contiguous()
            # A CPU float32 tensor shares its memory with the array: slept where it is.
            arrays.append(
                w.numpy() if in_place else w.to("cpu", torch.float32).contiguous().numpy()
            )
            copies.append(not in_place)
        stats = _sleep_numpy(
            Model(arrays, output=output, act_scale=act_scale),
            _inputs(data),
            config,
            seed=seed,
            overrides=overrides,
            device=device,
        )
        for lin, arr, copied in zip(layers, arrays, copies):
            if copied:
                lin.weight.data.copy_(torch.from_numpy(arr))
    return stats
