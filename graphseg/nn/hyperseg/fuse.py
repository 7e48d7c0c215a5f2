r"""Fold BatchNorm into the preceding convolution for inference (HyperSeg, Appendix E).

In eval mode a BatchNorm is the affine map :math:`y \mapsto s \odot y + t` with
:math:`s = \gamma / \sqrt{\sigma^2 + \epsilon}` and :math:`t = \beta - s\,\mu`.

* After a **static** convolution it folds into the convolution's weight and
  bias (``torch.nn.utils.fusion.fuse_conv_bn_weights``).
* After a **dynamic** patch-wise convolution the weights do not exist until
  run time, but they are linear in the weight mapper's parameters: scaling the
  mapper rows that generate output channel :math:`c` (and their bias) by
  :math:`s_c` scales the generated kernels, and :math:`t` becomes a static
  bias of the dynamic convolution.

:func:`fuse_bn` walks a model and applies both: ``nn.Sequential`` runs of
``Conv2d, BatchNorm2d``, modules that know their own pairs (a ``fuse_bn_``
method, e.g. :class:`MetaBlock`), and the attribute pairs registered with
:func:`register_bn_pairs` (ResNet's ``conv1``/``bn1``, ...). Each folded
BatchNorm is replaced by ``nn.Identity``.
"""
from __future__ import annotations

import copy
from typing import Dict, Sequence, Tuple, Type

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .dpw_conv import DPWConv2d
from .weight_mapper import WeightMapper

_BN_PAIRS: Dict[Type[nn.Module], Tuple[Tuple[str, str], ...]] = {}


def register_bn_pairs(cls: Type[nn.Module], pairs: Sequence[Tuple[str, str]]) -> None:
    """Tell :func:`fuse_bn` that in modules of type ``cls`` attribute ``bn`` follows conv
    ``conv``."""
    _BN_PAIRS[cls] = tuple((str(c), str(b)) for c, b in pairs)


def _bn_affine(bn: nn.BatchNorm2d) -> Tuple[Tensor, Tensor]:
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fuse_bn needs BatchNorm running statistics (track_running_stats=True)")
    s = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        s = s * bn.weight
    t = -s * bn.running_mean
    if bn.bias is not None:
        t = t + bn.bias
    return s, t


@torch.no_grad()
def fuse_conv_bn_(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` into the static ``conv`` in place (``conv`` gains a bias)."""
    w, b = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps,
                                bn.weight, bn.bias)
    conv.weight, conv.bias = w, b


@torch.no_grad()
def fuse_dpw_bn_(mapper: WeightMapper, offset: int, conv: DPWConv2d, bn: nn.BatchNorm2d) -> None:
    r"""Fold ``bn`` (after the dynamic ``conv``) into the weight mapper rows
    ``offset : offset + conv.num_params``.

    The rows generating output channel :math:`c` are scaled by :math:`s_c`
    (weights and bias), and the shift :math:`t` (plus :math:`s \odot` any
    existing bias) becomes ``conv.bias``.
    """
    s, t = _bn_affine(bn)
    per_out = conv.num_params // conv.out_channels  # weights generated per output channel
    scale = s.repeat_interleave(per_out).to(mapper.weight.dtype)  # (num_params,)
    rows = slice(offset, offset + conv.num_params)
    mapper.weight[rows] *= scale.view(-1, 1, 1, 1)
    if mapper.bias is not None:
        mapper.bias[rows] *= scale
    bias = t if conv.bias is None else s * conv.bias + t
    conv.bias = nn.Parameter(bias.to(mapper.weight.dtype))


def _fuse_sequential_(seq: nn.Sequential) -> None:
    names = list(seq._modules)
    for a, b in zip(names[:-1], names[1:]):
        conv, bn = seq._modules[a], seq._modules[b]
        if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
            fuse_conv_bn_(conv, bn)
            seq._modules[b] = nn.Identity()


def fuse_bn(model: nn.Module, inplace: bool = False) -> nn.Module:
    r"""Fold every BatchNorm that follows a (static or dynamic patch-wise) convolution.

    The result computes the same function as ``model.eval()`` (up to float
    rounding) with fewer operations; it is meant for inference only.

    Args:
        model (nn.Module): e.g. :class:`graphseg.models.HyperSeg`.
        inplace (bool): modify ``model`` instead of a deep copy. (default: ``False``)

    Returns:
        nn.Module: the fused model, in eval mode.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    for module in list(model.modules()):
        if hasattr(module, 'fuse_bn_'):
            module.fuse_bn_()
        elif isinstance(module, nn.Sequential):
            _fuse_sequential_(module)
        for conv_name, bn_name in _BN_PAIRS.get(type(module), ()):
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                fuse_conv_bn_(conv, bn)
                setattr(module, bn_name, nn.Identity())
    return model


__all__ = ['fuse_bn', 'fuse_conv_bn_', 'fuse_dpw_bn_', 'register_bn_pairs']
