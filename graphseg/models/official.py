r"""Load the authors' released checkpoints into graphseg's HyperSeg and QGN (:func:`load_official`).

The released code names its modules differently from graphseg and stores some weights in other
layouts. Each model family converts its own keys beside its model (timm's ``checkpoint_filter_fn``
pattern): :func:`graphseg.models.hyperseg.convert_official` (with
:func:`graphseg.models.backbones.efficientnet.lukemelas_key` for the backbone) and
:func:`graphseg.models.qgn.convert_official`. This module reads the files and checks that every
tensor finds its place. The conversions are pinned by ``tests/models/test_hyperseg_official.py`` and
``tests/models/test_qgn_official.py``: state dicts written by the released code (random weights)
load and reproduce the released code's outputs to 1e-5.
"""
from __future__ import annotations

import os
import pickle
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..nn.qgn import QGNDecoder
from . import hyperseg, qgn

StateDict = Dict[str, Tensor]
Checkpoint = Union[str, os.PathLike, Mapping[str, Any]]

#: model classes -> their converter
#: ``(model, state, arch, encoder) -> (converted, unknown, optional)``
CONVERTERS: Tuple[Tuple[tuple, Callable], ...] = (
    ((hyperseg.HyperSeg,), hyperseg.convert_official),
    ((qgn.QGN, QGNDecoder), qgn.convert_official),
)


def _read(checkpoint: Checkpoint, name: str) -> Tuple[StateDict, str]:
    """The state dict of a checkpoint, and its ``'arch'`` string (the released HyperSeg checkpoints
    keep one)."""
    if isinstance(checkpoint, (str, os.PathLike)):
        path = os.fspath(checkpoint)  # a missing file: FileNotFoundError naming it
        try:
            checkpoint = torch.load(path, map_location='cpu', weights_only=True)
        except (pickle.UnpicklingError, EOFError, RuntimeError) as e:
            first = (str(e).strip().splitlines() or [''])[0]
            raise ValueError(f"{name} {path!r} is not a readable torch checkpoint "
                             f"({type(e).__name__}: {first})") from e
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f"{name} must be a path or a state dict, got {type(checkpoint).__name__}")
    arch = checkpoint.get('arch', '') if isinstance(checkpoint.get('arch', ''), str) else ''
    if 'state_dict' in checkpoint and isinstance(checkpoint['state_dict'], Mapping):
        checkpoint = checkpoint['state_dict']
    sd = {}
    for k, v in checkpoint.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"{name} must map names to tensors, got {type(v).__name__} at {k!r}")
        sd[k[7:] if k.startswith('module.') else k] = v
    return sd, arch


def _first(keys: List[str], count: int = 8) -> str:
    return f"{keys[:count]}" + (f" ... ({len(keys)} in all)" if len(keys) > count else '')


def _always_optional(key: str) -> bool:
    """Model entries no release provides: BatchNorm counters (SparseConvNet keeps none), a loss
    module's."""
    return key.endswith('num_batches_tracked') or key.startswith('criterion.')


def _check_converted(model: nn.Module, converted: StateDict, unknown: List[str],
                     optional: Callable[[str], bool]) -> None:
    """Every checkpoint tensor has a place of the right shape, every model entry is provided."""
    own = model.state_dict()
    if unknown:
        raise KeyError(f"checkpoint keys with no place in {type(model).__name__}: "
                       f"{_first(unknown)}")
    extra = sorted(k for k in converted if k not in own)
    if extra:
        raise KeyError("converted keys missing from the model (a different template?): "
                       f"{extra[:8]}")
    bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}" for k,
           v in converted.items() if v.shape != own[k].shape]
    if bad:
        raise ValueError("checkpoint tensors do not fit the model (a different template or "
                         "num_classes?): "
                         + '; '.join(bad[:6]))
    missing = sorted(
        k for k in own if k not in converted and not _always_optional(k) and not optional(k)
    )
    if missing:
        raise KeyError(f"model entries the checkpoint does not provide: {_first(missing)}")


def load_official(model: nn.Module, checkpoint: Optional[Checkpoint], *,
                  encoder: Optional[Checkpoint] = None) -> nn.Module:
    r"""Load a checkpoint of the authors' released code into ``model`` (converted in place; returns
    ``model``).

    Args:
        model: a :class:`~graphseg.models.HyperSeg` built with the released checkpoint's template
            (e.g. :func:`~graphseg.models.hyperseg_m`), a :class:`~graphseg.models.QGN` or a
            :class:`~graphseg.nn.qgn.QGNDecoder`.
        checkpoint: a path or a state dict (``{'state_dict': ...}`` and ``module.`` prefixes
            are accepted). For QGN, the decoder's state dict (keys ``orig_resnet.*`` of the released
            ``QGN`` module, or those of its ``ResNetTransposeSparse`` without the prefix).
        encoder: QGN only, the encoder's state dict (MIT CSAIL ResNet keys), optional; with
            ``checkpoint=None`` only the encoder is loaded.

    Every tensor of the checkpoint must find its place with the right shape and every
    parameter and buffer of ``model`` must be set (except ``num_batches_tracked``,
    which SparseConvNet does not keep); otherwise a ``KeyError`` / ``ValueError``
    names the offending keys.
    """
    if checkpoint is None and not (isinstance(model, qgn.QGN) and encoder is not None):
        raise ValueError("checkpoint may be None only to load a QGN encoder alone (encoder=...)")
    state, arch = (None, '') if checkpoint is None else _read(checkpoint, 'checkpoint')
    convert = next((fn for classes, fn in CONVERTERS if isinstance(model, classes)), None)
    if convert is None:
        raise TypeError("model must be a HyperSeg, QGN or QGNDecoder model, got "
                        f"{type(model).__name__}")
    encoder_state = None if encoder is None else _read(encoder, 'encoder')[0]
    converted, unknown, optional = convert(model, state, arch, encoder_state)
    _check_converted(model, converted, unknown, optional)
    own = model.state_dict()
    with torch.no_grad():
        for k, v in converted.items():
            own[k].copy_(v)
    return model


__all__ = ['load_official', 'CONVERTERS']
