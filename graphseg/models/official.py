r"""Load the authors' released checkpoints into graphseg's HyperSeg and QGN (:func:`load_official`).

The released code names its modules differently from graphseg and stores some weights in other
layouts. Each model family converts its own keys beside its model (timm's ``checkpoint_filter_fn``
pattern): :func:`graphseg.models.hyperseg.convert_official` (with
:func:`graphseg.models.backbones.efficientnet.lukemelas_key` for the backbone) and
:func:`graphseg.models.qgn.convert_official`. This module reads the files and checks that every
tensor finds its place. The conversions are pinned by ``tests/models/test_hyperseg_official.py`` and
``tests/models/test_qgn_official.py``: state dicts written by the released code (random weights)
load and reproduce the released code's outputs to 1e-5.

Two releases cannot be told apart by their keys, so a *file* that does not say which it is (given
by path) is refused unless ``variant`` names it: HyperSeg-M and the CamVid models read their signal
per variant (the released ``hyperseg_v1_0`` code reads every mapper's slice from channel 0; a bare
state dict has no ``'arch'`` entry to say so), and QGN's skip and no-skip decoders store the same
keys. Named weights (:mod:`graphseg.models.pretrained`) carry their variant.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..check import check_choice
from ..fileio import load_torch
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

#: the ``variant`` values of :func:`load_official`: HyperSeg, the signal slicing the checkpoint was
#: trained with (``'released'``: every slice from channel 0, as the released M / CamVid code);
#: QGN, the released decoder (``'skip'``: ``QGN_resnet34`` / ``QGN_resnet50``, ``skips='all'``;
#: ``'noskip'``: ``QGN_*_noskip``, ``skips='top'``)
VARIANTS = {'HyperSeg': hyperseg.SIGNAL_SLICES, 'QGN': ('skip', 'noskip')}


def _read(checkpoint: Checkpoint, name: str) -> Tuple[StateDict, str]:
    """The state dict of a checkpoint, and its ``'arch'`` string (the released HyperSeg checkpoints
    keep one)."""
    if isinstance(checkpoint, (str, os.PathLike)):
        # no code runs; a missing or unreadable file is one line naming it
        checkpoint = load_torch(checkpoint, name)
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


def _check_variant(model: nn.Module, variant: Optional[str], arch: str,
                   path: Optional[str]) -> None:
    """Refuse a checkpoint whose variant the model cannot know: ``variant`` must fit how ``model``
    was built, and a file given by ``path`` that does not say which release it is needs one."""
    if isinstance(model, hyperseg.HyperSeg):
        mode = model.signal_slices_mode
        differs = model.config.released_slices == 'from_zero'  # M and CamVid: the slices differ
        if variant is not None:
            check_choice(variant, 'variant', VARIANTS['HyperSeg'])
            if differs and variant != mode:
                raise ValueError(f"variant={variant!r} is a checkpoint trained with "
                                 f"signal_slices={variant!r}, but the model was built with "
                                 f"signal_slices={mode!r}; build it with "
                                 f"signal_slices={variant!r}")
        elif path is not None and differs and mode == 'cumulative' and not arch:
            raise ValueError(f"checkpoint {path!r} has no 'arch' entry, so it does not say which "
                             "signal slicing it was trained with, and this HyperSeg template reads "
                             "its signal differently per variant: pass variant='released' (the "
                             "authors' checkpoints; or load them by name, e.g. create_model("
                             "'hyperseg_m', weights='cityscapes') / 'camvid') with a model built "
                             "with signal_slices='released', or variant='cumulative'")
        return
    decoder = model.decoder if isinstance(model, qgn.QGN) else model
    if not isinstance(decoder, QGNDecoder):
        return
    mode = 'skip' if decoder.skip_mode == 'all' else 'noskip'
    if variant is not None:
        check_choice(variant, 'variant', VARIANTS['QGN'])
        if variant != mode:
            need = 'all' if variant == 'skip' else 'top'
            raise ValueError(f"variant={variant!r} needs a QGN decoder with skips={need!r}, the "
                             f"model has skips={decoder.skip_mode!r}")
    elif path is not None:
        raise ValueError(f"checkpoint {path!r}: QGN's skip and no-skip decoders store the same "
                         "keys, so the file does not say which it is; pass variant='skip' (the "
                         "released QGN_resnet34/50, skips='all') or variant='noskip' "
                         f"(QGN_*_noskip, skips='top'); this model is {mode!r}")


def _skipped_keys(convert: Callable, model: nn.Module, state: Optional[StateDict],
                  encoder: Optional[StateDict]) -> List[str]:
    """The checkpoint keys the converter drops on purpose (cached positional encodings,
    synchronized-BatchNorm bookkeeping, the skip layers a no-skip decoder does not build): one
    key at a time, since every conversion maps one key to at most one."""
    skipped = [k for k, v in (state or {}).items()
               if convert(model, {k: v}, '', None)[:2] == ({}, [])]
    return skipped + [k for k, v in (encoder or {}).items()
                      if convert(model, None, '', {k: v})[0] == {}]


def read_official(model: nn.Module, checkpoint: Optional[Checkpoint], *,
                  encoder: Optional[Checkpoint] = None,
                  variant: Optional[str] = None) -> Tuple[StateDict, List[str], List[str]]:
    r"""What :func:`load_official` loads, without loading it: the checkpoint converted to
    ``model``'s keys and checked (every tensor placed with its shape, every model entry provided),
    the checkpoint keys used and the keys dropped on purpose (encoder keys with an ``encoder.``
    prefix). Arguments as :func:`load_official`."""
    if checkpoint is None and not (isinstance(model, qgn.QGN) and encoder is not None):
        raise ValueError("checkpoint may be None only to load a QGN encoder alone (encoder=...)")
    state, arch = (None, '') if checkpoint is None else _read(checkpoint, 'checkpoint')
    convert = next((fn for classes, fn in CONVERTERS if isinstance(model, classes)), None)
    if convert is None:
        raise TypeError("model must be a HyperSeg, QGN or QGNDecoder model, got "
                        f"{type(model).__name__}")
    path = os.fspath(checkpoint) if isinstance(checkpoint, (str, os.PathLike)) else None
    _check_variant(model, variant, arch, path if state else None)
    encoder_state = None if encoder is None else _read(encoder, 'encoder')[0]
    converted, unknown, optional = convert(model, state, arch, encoder_state)
    _check_converted(model, converted, unknown, optional)
    skipped = _skipped_keys(convert, model, state, encoder_state)
    gone = set(skipped)
    used = [k for k in (state or {}) if k not in gone]
    used += ['encoder.' + k for k in (encoder_state or {}) if k not in gone]
    return converted, used, skipped


def load_official(model: nn.Module, checkpoint: Optional[Checkpoint], *,
                  encoder: Optional[Checkpoint] = None, variant: Optional[str] = None) -> nn.Module:
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
        variant (str, optional): which release the checkpoint is, where its keys do not say
            (:data:`VARIANTS`): HyperSeg ``'released'`` / ``'cumulative'`` (the signal slicing it
            was trained with; must be the model's ``signal_slices`` for M / CamVid), QGN
            ``'skip'`` / ``'noskip'`` (must fit the decoder's ``skips``). A file given by path
            that needs one and has none is refused, naming the choices; a state dict passed in
            memory is taken as the caller built the model. (default: ``None``)

    Every tensor of the checkpoint must find its place with the right shape and every
    parameter and buffer of ``model`` must be set (except ``num_batches_tracked``,
    which SparseConvNet does not keep); otherwise a ``KeyError`` / ``ValueError``
    names the offending keys. Files are read with ``weights_only=True``
    (:func:`graphseg.fileio.load_torch`).
    """
    converted = read_official(model, checkpoint, encoder=encoder, variant=variant)[0]
    own = model.state_dict()
    with torch.no_grad():
        for k, v in converted.items():
            own[k].copy_(v)
    return model


__all__ = ['load_official', 'read_official', 'CONVERTERS', 'VARIANTS']
