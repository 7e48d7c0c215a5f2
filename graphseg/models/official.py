r"""Load the authors' released checkpoints into graphseg's HyperSeg and QGN (:func:`load_official`).

The released code names its modules differently from graphseg, and stores
some weights in other layouts; this module converts the keys and layouts and
checks that every tensor finds its place. The conversions are pinned by
``tests/test_hyperseg_official.py`` and ``tests/test_qgn_official.py``: state
dicts written by the released code (random weights) load and reproduce the
released code's outputs to 1e-5.

**HyperSeg** (YuvalNirkin/hyperseg; ``checkpoint['state_dict']``, ``module.``
prefixes removed):

* backbone (lukemelas' EfficientNet-PyTorch): ``_conv_stem``, ``_bn0``,
  ``_blocks.{j}.{_expand_conv, _bn0, _depthwise_conv, _bn1, _se_reduce,
  _se_expand, _project_conv, _bn2}``, ``_conv_head``, ``_bn1`` ->
  torchvision-style ``features.{stage}.{block}.block.{i}...``; the feature
  reductions ``_feat_fc_{i}`` -> ``reduce.{4 - i}``;
* context head (the released ``weight_mapper``): ``in_conv`` -> ``reduce``,
  ``down_blocks.{j}`` / ``down_{j}`` -> ``down.{j}``, ``up_blocks.{j}`` /
  ``flat_{j}`` -> ``up.{j}``;
* weight mappers: ``decoder.level_{i}...signal2weights`` (v1.0),
  ``decoder.weight_blocks.{j}.signal2weights`` (v1.0 unify; the last one is
  the shared mapper), ``weight_mapper.out_conv.conv_{i}`` (v0.1) ->
  ``decoder.{i}.weight_mapper`` / ``shared_weight_mapper``;
* decoder BatchNorms -> ``decoder.{i}.bn{1,2,3}``; the cached positional
  encodings ``decoder.coord{H}_{W}`` are dropped (computed on the fly here).

**QGN** (kashyap7x/QGN; the decoder and encoder are saved separately,
``decoder_epoch_N.pth`` and ``encoder_epoch_N.pth``):

* decoder ``orig_resnet.``: ``out6_conv`` -> ``head_top``;
  ``out{5,4,3,2}_conv`` -> ``heads.{0..3}``; ``skip{4..0}`` -> ``skips.{0..4}``;
  ``deconv{1..4}`` -> ``stages.{0..3}``; ``final_conv``, ``final_deconv``;
  inside the blocks ``upsample`` -> ``shortcut`` and ``conv2.1`` (the dense
  transposed convolution wrapped by SparseToDense / DenseToSparse) -> ``conv2``;
* SparseConvNet layouts: a ``SubmanifoldConvolution`` weight
  :math:`(k^2, 1, C_{in}, C_{out})` (offset :math:`(d_y, d_x)` at index
  :math:`(d_y + 1) k + d_x + 1`) -> ``nn.Conv2d``'s :math:`(C_{out}, C_{in}, k, k)`;
  a ``NetworkInNetwork`` weight :math:`(C_{in}, C_{out})` -> ``nn.Linear``'s
  :math:`(C_{out}, C_{in})`; SparseConvNet BatchNorms have no
  ``num_batches_tracked`` (kept at the model's value);
* the class coding of the heads: the released channel 0 is *composite* and class
  :math:`c` is channel :math:`c + 1`; graphseg's class :math:`c` is channel :math:`c`
  and composite the last (the output channels of every head are rotated);
* encoder (MIT CSAIL's scene-parsing ResNet): same names as
  :func:`~graphseg.models.resnet50_deepstem`; the synchronized BatchNorm's
  extra buffers (``_tmp_running_mean``, ``_tmp_running_var``, ``_running_iter``)
  are dropped.
"""
from __future__ import annotations

import os
import pickle
import re
import warnings
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
from .backbones.efficientnet import EfficientNet

StateDict = Dict[str, Tensor]
Checkpoint = Union[str, os.PathLike, Mapping[str, Any]]


def _read(checkpoint: Checkpoint, name: str) -> Tuple[StateDict, str]:
    """The state dict of a checkpoint, and its ``'arch'`` string (the released HyperSeg checkpoints keep one)."""
    if isinstance(checkpoint, (str, os.PathLike)):
        path = os.fspath(checkpoint)  # a missing file: FileNotFoundError naming it
        try:
            checkpoint = torch.load(path, map_location='cpu', weights_only=True)
        except (pickle.UnpicklingError, EOFError, RuntimeError) as e:
            first = (str(e).strip().splitlines() or [''])[0]
            raise ValueError(f"{name} {path!r} is not a readable torch checkpoint ({type(e).__name__}: "
                             f"{first})") from e
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


# ------------------------------------------------------------------------------------------ HyperSeg
_EFFNET_BLOCK = re.compile(r'_blocks\.(\d+)\.(\w+)\.(\w+)$')


def _efficientnet_key(key: str, net: EfficientNet) -> str:
    """A lukemelas EfficientNet key (without the ``backbone.`` prefix) -> graphseg's torchvision-style key."""
    last = len(net.features) - 1
    head = key.split('.', 1)
    if head[0] == '_conv_stem':
        return f'features.0.0.{head[1]}'
    if head[0] == '_bn0':
        return f'features.0.1.{head[1]}'
    if head[0] == '_conv_head':
        return f'features.{last}.0.{head[1]}'
    if head[0] == '_bn1':
        return f'features.{last}.1.{head[1]}'
    m = _EFFNET_BLOCK.match(key)
    if m is None:
        raise KeyError(key)
    j, part, leaf = int(m.group(1)), m.group(2), m.group(3)
    for s in range(1, last):  # the global block index j -> (stage, block within the stage)
        if j < len(net.features[s]):
            break
        j -= len(net.features[s])
    else:
        raise KeyError(key)
    e = 1 if len(net.features[s][j].block) == 4 else 0  # an expansion conv comes first
    sub = {'_expand_conv': '0.0', '_bn0': '0.1', '_depthwise_conv': f'{e}.0', '_bn1': f'{e}.1',
           '_se_reduce': f'{e + 1}.fc1', '_se_expand': f'{e + 1}.fc2', '_project_conv': f'{e + 2}.0',
           '_bn2': f'{e + 2}.1'}.get(part)
    if sub is None:
        raise KeyError(key)
    return f'features.{s}.{j}.block.{sub}.{leaf}'


def _hyperseg_key(key: str, model: nn.Module) -> Optional[str]:
    """A released HyperSeg key -> graphseg key; ``None`` = derived data graphseg does not store."""
    n_levels = len(model.decoder)
    if key.startswith('decoder.coord'):
        return None  # cached positional encodings
    if key.startswith('backbone._feat_fc_'):
        i, rest = re.match(r'backbone\._feat_fc_(\d+)\.(.+)$', key).groups()
        return f'reduce.{len(model.reduce) - 1 - int(i)}.{rest}'
    if key.startswith('backbone.'):
        if not isinstance(model.backbone, EfficientNet):
            raise KeyError(key)
        return 'backbone.' + _efficientnet_key(key[len('backbone.'):], model.backbone)
    for pat, rep in ((r'weight_mapper\.in_conv\.(.+)$', r'context_head.reduce.\1'),
                     (r'weight_mapper\.down_blocks\.(\d+)\.(.+)$', r'context_head.down.\1.\2'),
                     (r'weight_mapper\.up_blocks\.(\d+)\.(.+)$', r'context_head.up.\1.\2'),
                     (r'weight_mapper\.down_(\d+)\.(.+)$', r'context_head.down.\1.\2'),
                     (r'weight_mapper\.flat_(\d+)\.(.+)$', r'context_head.up.\1.\2'),
                     (r'weight_mapper\.out_conv\.conv_(\d+)\.weight$', r'decoder.\1.weight_mapper.weight'),
                     # v1.0: a 1x1 level is MetaSequential(MetaSequential(conv, BN, ReLU)), else the fused block
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.0\.signal2weights\.weight$',
                      r'decoder.\1.weight_mapper.weight'),
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.1\.(.+)$', r'decoder.\1.bn1.\2'),
                     (r'decoder\.level_(\d+)\.0\.signal2weights\.weight$', r'decoder.\1.weight_mapper.weight'),
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.(bn[123])\.(.+)$', r'decoder.\1.\2.\3'),
                     # v0.1: the inverted residual is conv = MetaSequential(pw, dw, pw-linear), each (conv, BN, act)
                     (r'decoder\.level_(\d+)\.0\.conv\.0\.1\.(.+)$', r'decoder.\1.bn1.\2'),
                     (r'decoder\.level_(\d+)\.0\.conv\.1\.1\.(.+)$', r'decoder.\1.bn2.\2'),
                     (r'decoder\.level_(\d+)\.0\.conv\.2\.1\.(.+)$', r'decoder.\1.bn3.\2')):
        if re.match(pat, key):
            return re.sub(pat, rep, key)
    m = re.match(r'decoder\.weight_blocks\.(\d+)\.signal2weights\.weight$', key)
    if m:  # v1.0 unify: one mapper per level before the shared one
        j = int(m.group(1))
        if j < model.shared_from:
            return f'decoder.{j}.weight_mapper.weight'
        if j == model.shared_from and model.shared_from < n_levels:
            return 'shared_weight_mapper.weight'
    raise KeyError(key)


# ------------------------------------------------------------------------------------------ QGN
_QGN_KEYS = ((r'out6_conv\.(.+)$', lambda m: f'head_top.{m.group(1)}'),
             (r'out([2-5])_conv\.(.+)$', lambda m: f'heads.{5 - int(m.group(1))}.{m.group(2)}'),
             (r'skip([0-4])\.(.+)$', lambda m: f'skips.{4 - int(m.group(1))}.{m.group(2)}'),
             (r'deconv([1-4])\.(.+)$', lambda m: f'stages.{int(m.group(1)) - 1}.{m.group(2)}'),
             (r'final_deconv\.(?:1\.)?(weight|bias)$', lambda m: f'final_deconv.{m.group(1)}'),
             (r'(final_conv\..+)$', lambda m: m.group(1)))
# inside the sparse blocks: the dense transposed convolutions are wrapped as (SparseToDense, ConvTranspose2d,
# DenseToSparse[, BN]); the dense decoder's blocks hold them directly
_QGN_SPARSE_PARTS = ((r'\.conv2\.1\.weight$', '.conv2.weight'),
                     (r'\.upsample\.1\.weight$', '.shortcut.0.weight'),  # upsampling shortcut
                     (r'\.upsample\.3\.', '.shortcut.1.'),
                     (r'\.upsample\.0\.', '.shortcut.0.'),  # (NetworkInNetwork, BN) shortcut
                     (r'\.upsample\.1\.', '.shortcut.1.'))
_QGN_DENSE_PARTS = ((r'\.upsample\.', '.shortcut.'),)
_SYNC_BN_BOOKKEEPING = ('_tmp_running_mean', '_tmp_running_var', '_running_iter')


def _qgn_decoder_key(key: str, value: Tensor, decoder: nn.Module) -> Optional[Tuple[str, Tensor]]:
    """A released QGN decoder key (``orig_resnet.`` stripped) -> (decoder key, value in graphseg's layout);
    ``None`` for the skip layers a ``skips='top'`` decoder does not build (the released noskip builds and ignores
    them) and for synchronized-BatchNorm bookkeeping."""
    if key.endswith(_SYNC_BN_BOOKKEEPING):
        return None  # the dense decoder's synchronized BatchNorm bookkeeping
    for pat, rep in _QGN_KEYS:
        m = re.match(pat, key)
        if m:
            new = rep(m)
            break
    else:
        raise KeyError(key)
    for pat, rep in (_QGN_SPARSE_PARTS if decoder.sparse else _QGN_DENSE_PARTS):
        new = re.sub(pat, rep, new)
    skip = re.match(r'skips\.(\d+)\.', new)
    if skip and int(skip.group(1)) >= len(decoder.skips):
        return None
    path, leaf = new.rsplit('.', 1)
    try:
        module = decoder.get_submodule(path)
    except AttributeError:
        raise KeyError(key) from None
    if leaf == 'weight' and isinstance(module, SubmanifoldConv2d) and value.dim() == 4 and value.size(1) == 1:
        k = module.kernel_size  # SparseConvNet (k*k, 1, C_in, C_out), offset (dy, dx) at (dy + 1) k + dx + 1
        value = value[:, 0].permute(2, 1, 0).reshape(module.out_channels, module.in_channels, k, k)
    elif leaf == 'weight' and isinstance(module, nn.Linear):
        # SparseConvNet NetworkInNetwork (C_in, C_out), or the dense 1x1 head on the top level
        value = value[:, :, 0, 0] if value.dim() == 4 else value.t()
    if re.match(r'(head_top|heads\.\d+|final_deconv)\.(weight|bias)$', new):
        # released class coding: channel 0 composite, class c at c + 1; graphseg: class c at c, composite last
        dim = 1 if isinstance(module, (nn.ConvTranspose2d, SparseConvTranspose2d)) and leaf == 'weight' else 0
        value = value.roll(-1, dims=dim)
    return new, value


def _qgn_encoder_key(key: str) -> Optional[str]:
    if key.endswith(_SYNC_BN_BOOKKEEPING):
        return None  # synchronized BatchNorm bookkeeping
    return 'encoder.' + key


# ------------------------------------------------------------------------------------------ entry point
def load_official(model: nn.Module, checkpoint: Optional[Checkpoint], *,
                  encoder: Optional[Checkpoint] = None) -> nn.Module:
    r"""Load a checkpoint of the authors' released code into ``model`` (converted in place; returns ``model``).

    Args:
        model: a :class:`~graphseg.models.HyperSeg` built with the released checkpoint's template
            (e.g. :func:`~graphseg.models.hyperseg_m`), a :class:`~graphseg.models.QGN` or a
            :class:`~graphseg.nn.qgn.QGNDecoder`.
        checkpoint: a path or a state dict (``{'state_dict': ...}`` and ``module.`` prefixes
            are accepted). For QGN, the decoder's state dict (keys ``orig_resnet.*`` of the released ``QGN``
            module, or those of its ``ResNetTransposeSparse`` without the prefix).
        encoder: QGN only, the encoder's state dict (MIT CSAIL ResNet keys), optional; with
            ``checkpoint=None`` only the encoder is loaded.

    Every tensor of the checkpoint must find its place with the right shape and every
    parameter and buffer of ``model`` must be set (except ``num_batches_tracked``,
    which SparseConvNet does not keep); otherwise a ``KeyError`` / ``ValueError``
    names the offending keys.
    """
    from ..nn.qgn import QGNDecoder
    from .hyperseg import HyperSeg
    from .qgn import QGN
    if checkpoint is None and not (isinstance(model, QGN) and encoder is not None):
        raise ValueError("checkpoint may be None only to load a QGN encoder alone (encoder=...)")
    sd, arch = ({}, '') if checkpoint is None else _read(checkpoint, 'checkpoint')
    own = model.state_dict()
    new: StateDict = {}
    unknown = []
    if isinstance(model, HyperSeg):
        if encoder is not None:
            raise ValueError("encoder is for QGN checkpoints; a HyperSeg checkpoint holds the whole model")
        if 'hyperseg_v1_0.' in arch and model.signal_slices_mode == 'cumulative' \
                and model.config.released_slices == 'from_zero':
            warnings.warn("this checkpoint was trained by the released hyperseg_v1_0 code, whose weight mappers all "
                          "read the signal from channel 0; build the model with signal_slices='released' to "
                          "reproduce its outputs", stacklevel=2)
        for k, v in sd.items():
            try:
                nk = _hyperseg_key(k, model)
            except KeyError:
                unknown.append(k)
                continue
            if nk is not None:
                new[nk] = v
    elif isinstance(model, (QGN, QGNDecoder)):
        decoder, prefix = (model.decoder, 'decoder.') if isinstance(model, QGN) else (model, '')
        if any(k.startswith(('decoder.', 'encoder.')) for k in sd):  # a SegmentationModule state
            enc = {k[8:]: v for k, v in sd.items() if k.startswith('encoder.')}
            sd = {k[8:]: v for k, v in sd.items() if k.startswith('decoder.')}
            if encoder is None and enc:
                encoder = enc
        for k, v in sd.items():  # the released QGN module's keys, or its orig_resnet's (ResNetTransposeSparse)
            try:
                conv = _qgn_decoder_key(k[len('orig_resnet.'):] if k.startswith('orig_resnet.') else k, v, decoder)
            except KeyError:
                unknown.append(k)
                continue
            if conv is not None:
                new[prefix + conv[0]] = conv[1]
        if encoder is not None and not isinstance(model, QGN):
            raise ValueError("encoder needs a QGN model (a QGNDecoder holds no encoder)")
        if encoder is not None:
            for k, v in _read(encoder, 'encoder')[0].items():
                nk = _qgn_encoder_key(k)
                if nk is not None:
                    new[nk] = v
    else:
        raise TypeError(f"model must be a HyperSeg, QGN or QGNDecoder model, got {type(model).__name__}")
    if unknown:
        raise KeyError(f"checkpoint keys with no place in {type(model).__name__}: {unknown[:8]}"
                       + (f" ... ({len(unknown)} in all)" if len(unknown) > 8 else ''))
    extra = sorted(k for k in new if k not in own)
    if extra:
        raise KeyError(f"converted keys missing from the model (a different template?): {extra[:8]}")
    bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}" for k, v in new.items()
           if v.shape != own[k].shape]
    if bad:
        raise ValueError("checkpoint tensors do not fit the model (a different template or num_classes?): "
                         + '; '.join(bad[:6]))
    skip_encoder = isinstance(model, QGN) and encoder is None
    skip_decoder = isinstance(model, QGN) and checkpoint is None
    missing = sorted(k for k in own if k not in new and not k.endswith('num_batches_tracked')
                     and not k.startswith('criterion.')
                     and not (skip_encoder and k.startswith('encoder.'))
                     and not (skip_decoder and k.startswith('decoder.')))
    if missing:
        raise KeyError(f"model entries the checkpoint does not provide: {missing[:8]}"
                       + (f" ... ({len(missing)} in all)" if len(missing) > 8 else ''))
    with torch.no_grad():
        for k, v in new.items():
            own[k].copy_(v)
    return model


__all__ = ['load_official']
