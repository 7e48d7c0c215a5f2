r"""Active focus: steer HG-Conv's centre sampling with attention (Hamaguchi et al., CVPR 2021, Eq.
11-13).

The sampling map is the normalised importance plus a weighted attention map
from a coarse prediction :math:`P` (probabilities over :math:`K` classes):

.. math::
    C_{focus} = \frac{C_{imp}}{\max C_{imp}} + \alpha\, C_{attn}, \qquad \alpha = 10 \quad (11)

with object-aware attention on class :math:`k`, :math:`C_{attn} = P_k` (12),
or uncertainty-aware attention, the normalised entropy
:math:`C_{attn} = -\frac{1}{\log K} \sum_c P_c \log P_c` (13).
More centres are sampled where :math:`C_{focus}` is high, so groups become
smaller (finer) in the attended region.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_choice, check_finite, check_floating, check_ndim, check_positive

ATTENTION = ('object', 'uncertainty')


def _check_probs(probs: Tensor) -> None:
    check_ndim(probs, 'probs', 4, '(B, K, h, w)')
    check_floating(probs, 'probs')
    check_finite(probs, 'probs')
    if bool((probs < 0).any()):
        raise ValueError("probs must be probabilities (>= 0), e.g. logits.softmax(1)")


def _resize(attn: Tensor, size: Optional[Sequence[int]]) -> Tensor:
    """(B, h, w) -> (B, H, W) by bilinear interpolation (the prediction is coarse)."""
    if size is None or tuple(attn.shape[-2:]) == tuple(size):
        return attn
    return F.interpolate(attn.unsqueeze(1), size=tuple(size), mode='bilinear',
                         align_corners=False).squeeze(1)


def object_attention(probs: Tensor, class_index: Union[int, Sequence[int]],
                     size: Optional[Sequence[int]] = None) -> Tensor:
    r"""Object-aware attention :math:`C_{attn} = P_k` (Eq. 12); several classes are summed.

    Args:
        probs (Tensor): class probabilities of a coarse prediction.
        class_index (int or list of int): the attended class(es) :math:`k`.
        size (tuple, optional): ``(H, W)`` to resize to (bilinear).

    Shapes:
        - **input:** :math:`(B, K, h, w)`
        - **output:** :math:`(B, H, W)`
    """
    _check_probs(probs)
    K = probs.size(1)
    classes = [class_index] if isinstance(class_index, int) else list(class_index)
    if not classes or any(
        isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < K for c in classes
    ):
        raise ValueError(f"class_index must be class ids in [0, {K - 1}], got {class_index!r}")
    return _resize(probs[:, classes].sum(1), size)


def uncertainty_attention(probs: Tensor, size: Optional[Sequence[int]] = None) -> Tensor:
    r"""Uncertainty-aware attention: the entropy of :math:`P` divided by :math:`\log K` (Eq. 13), in
    [0, 1].

    Args:
        probs (Tensor): class probabilities of a coarse prediction (:math:`K \geq 2`).
        size (tuple, optional): ``(H, W)`` to resize to (bilinear).

    Shapes:
        - **input:** :math:`(B, K, h, w)`
        - **output:** :math:`(B, H, W)`
    """
    _check_probs(probs)
    K = probs.size(1)
    if K < 2:
        raise ValueError(f"probs must have K >= 2 classes for an entropy, got K = {K}")
    entropy = -(probs * torch.log(probs.clamp_min(1e-12))).sum(1)
    return _resize(entropy / math.log(K), size)


def active_focus(importance: Tensor, attention: Optional[Tensor] = None,
                 alpha: float = 10.) -> Tensor:
    r""":math:`C_{focus} = C_{imp} / \max C_{imp} + \alpha C_{attn}` (Eq. 11), per image.

    Args:
        importance (Tensor): :math:`C_{imp}` (e.g. :func:`~graphseg.nn.importance_map`).
        attention (Tensor, optional): :math:`C_{attn}`; without it the result is
            the normalised importance.
        alpha (float): :math:`\alpha`. (default: ``10``)

    Shapes:
        - **input:** importance :math:`(B, H, W)`, attention :math:`(B, H, W)` or
          :math:`(B, 1, H, W)`
        - **output:** :math:`(B, H, W)`
    """
    check_ndim(importance, 'importance', 3, '(B, H, W)')
    check_floating(importance, 'importance')
    peak = importance.flatten(1).amax(1).clamp_min(torch.finfo(importance.dtype).tiny).view(-1, 1,
                                                                                            1)
    focus = importance / peak
    if attention is None:
        return focus
    check_positive(alpha, 'alpha', strict=False)
    attention = check_attention(attention, importance.shape)
    return focus + alpha * attention.to(focus.dtype)


def check_attention(attention: Tensor, shape: Sequence[int]) -> Tensor:
    """Validate an attention map against ``(B, H, W)``; accept ``(B, 1, H, W)``; return
    ``(B, H, W)``."""
    check_floating(attention, 'attention')
    B, H, W = shape
    if attention.dim() == 4 and attention.size(1) == 1:
        attention = attention.squeeze(1)
    if tuple(attention.shape) != (B, H, W):
        raise ValueError(f"attention must have shape (B, H, W) or (B, 1, H, W) with (B, H, W) = "
                         f"({B}, {H}, {W}), got {tuple(attention.shape)}")
    check_finite(attention, 'attention')
    if bool((attention < 0).any()):
        raise ValueError("attention must be >= 0")
    return attention


class ActiveFocus(nn.Module):
    r"""Attention from a coarse prediction for HG-Conv's centre sampling (Eq. 12 or 13).

    Args:
        mode (str): ``'object'`` (Eq. 12) or ``'uncertainty'`` (Eq. 13).
            (default: ``'uncertainty'``)
        class_index (int or list of int, optional): attended class(es), for ``'object'``.

    Shapes:
        - **input:** probs :math:`(B, K, h, w)`, size ``(H, W)``
        - **output:** :math:`C_{attn}` :math:`(B, H, W)`, to pass as
          ``HGConv(..)(x, attention=...)``
    """

    def __init__(self, mode: str = 'uncertainty',
                 class_index: Union[int, Sequence[int], None] = None) -> None:
        super().__init__()
        check_choice(mode, 'mode', ATTENTION)
        if mode == 'object' and class_index is None:
            raise ValueError("mode='object' needs class_index (the attended class)")
        self.mode, self.class_index = mode, class_index

    def forward(self, probs: Tensor, size: Optional[Sequence[int]] = None) -> Tensor:
        if self.mode == 'object':
            return object_attention(probs, self.class_index, size)
        return uncertainty_attention(probs, size)

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}' + (
            f', class_index={self.class_index}' if self.mode == 'object' else ''
        )


__all__ = ['active_focus', 'object_attention', 'uncertainty_attention', 'check_attention',
           'ActiveFocus', 'ATTENTION']
