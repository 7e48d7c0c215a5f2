r"""Deformable convolution, DCNv1 / DCNv2 (Dai et al., ICCV 2017; Zhu et al., CVPR 2019), in pure
PyTorch.

A :math:`k_h \times k_w` convolution reads its input at the fixed taps
:math:`p_0 + p_k` of each output position; a deformable one reads at
:math:`p_0 + p_k + \Delta p_k` with learned fractional offsets, by bilinear
interpolation, optionally scaled by a modulation mask :math:`m_k` (DCNv2):

.. math::
    y(p_0) = \sum_{k=1}^{K} w_k \cdot m_k \cdot x(p_0 + p_k + \Delta p_k), \qquad
    x(p) = \sum_t G(t, p)\, x(t).

This is the sampling RepGraph does (Yu et al., ECCV 2020, Eq. 7-8), so the
layer is built on :func:`graphseg.ops.bilinear.bilinear_taps`: the 4 integer
neighbours of every sampled point and their weights :math:`G` (zero outside the
image, torchvision's convention), gathered and weighted in one fused
``F.embedding_bag`` per image (no :math:`4\times` intermediate), then a single
matmul with the kernel. ``torchvision.ops.deform_conv2d`` cannot be installed
next to this torch; :class:`DeformConv2d` keeps its signature, offset layout
and results (checked against a per-output-pixel loop and, with zero offsets,
against ``F.conv2d``).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import (check_finite, check_floating, check_int, check_ndim, check_param_dtype,
                     check_same_device)
from ..ops.amp import autocast_enabled, full_precision, upcast
from ..ops.bilinear import bilinear_taps

_Pair = Union[int, Tuple[int, int]]


def _pair(v: _Pair, name: str, minimum: int) -> Tuple[int, int]:
    t = (v, v) if isinstance(v, int) and not isinstance(v, bool) else tuple(v)
    if len(t) != 2 or any(isinstance(a, bool) or not isinstance(a, int) or a < minimum for a in t):
        raise ValueError(f"{name} must be an int or a pair of ints >= {minimum}, got {v!r}")
    return t


def deform_sample(x: Tensor, offset: Tensor, kernel_size: Tuple[int, int],
                  stride: Tuple[int, int] = (1, 1), padding: Tuple[int, int] = (0, 0),
                  dilation: Tuple[int, int] = (1, 1), mask: Optional[Tensor] = None) -> Tensor:
    r"""The deformed im2col: every input channel at every kernel tap of every output position.

    Tap :math:`k = i k_w + j` of output :math:`(o_y, o_x)` reads ``x`` at
    :math:`(o_y s_y - p_y + i d_y + \Delta y,\; o_x s_x - p_x + j d_x + \Delta x)`
    (bilinear, zero outside), times ``mask`` when given. ``offset`` channel
    :math:`2(g K + k)` is :math:`\Delta y` and :math:`2(g K + k) + 1` is
    :math:`\Delta x` of tap :math:`k` for the input channels of offset group
    :math:`g` (torchvision's layout).

    Shapes:
        - **input:** x :math:`(B, C, H, W)`, offset :math:`(B, 2 G K, H_o, W_o)`,
          mask :math:`(B, G K, H_o, W_o)`
        - **output:** :math:`(B, H_o W_o, C, K)`
    """
    B, C, H, W = x.shape
    kh, kw = kernel_size
    K = kh * kw
    Ho, Wo = offset.shape[-2:]
    G = offset.size(1) // (2 * K)
    Cg = C // G
    dev, dt = x.device, x.dtype
    oy = torch.arange(Ho, device=dev, dtype=dt) * stride[0] - padding[0]
    ox = torch.arange(Wo, device=dev, dtype=dt) * stride[1] - padding[1]
    # (K,) row-major taps
    ty = torch.arange(kh, device=dev, dtype=dt).repeat_interleave(kw) * dilation[0]
    tx = torch.arange(kw, device=dev, dtype=dt).repeat(kh) * dilation[1]
    base_y = ty.view(K, 1, 1) + oy.view(1, Ho, 1)  # (K, Ho, 1)
    base_x = tx.view(K, 1, 1) + ox.view(1, 1, Wo)  # (K, 1, Wo)
    delta = offset.reshape(B, G, K, 2, Ho, Wo)
    # (B, G, K, Ho, Wo, 2)
    pos = torch.stack([base_y + delta[:, :, :, 0], base_x + delta[:, :, :, 1]], dim=-1)
    # (B, G, Ho, Wo, K, 2): rows of one output position together
    pos = pos.permute(0, 1, 3, 4, 2, 5)
    index, weight, _ = bilinear_taps(pos, H, W)  # (B, G, Ho, Wo, K, 4) Eq. 8 taps, zero outside
    check_finite(offset, 'offset')  # a NaN offset would read pixel 0 with weight NaN
    if mask is not None:
        # DCNv2 m_k
        weight = weight * mask.reshape(B, G, K, Ho, Wo).permute(0, 1, 3, 4, 2).unsqueeze(-1)
    # table row (b, g, pixel) holds the Cg channels of offset group g of image b at that pixel
    table = x.reshape(B, G, Cg, H * W).permute(0, 1, 3, 2).reshape(B * G * H * W, Cg)
    index = index + (torch.arange(B * G, device=dev) * (H * W)).view(B, G, 1, 1, 1, 1)
    sampled = F.embedding_bag(index.reshape(-1, 4), table, per_sample_weights=weight.reshape(-1, 4),
                              mode='sum')  # (B G Ho Wo K, Cg)
    sampled = sampled.view(B, G, Ho * Wo, K, Cg).permute(0, 2, 1, 4, 3)  # (B, L, G, Cg, K)
    return sampled.reshape(B, Ho * Wo, C, K)


def deform_conv2d(x: Tensor, offset: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                  stride: _Pair = 1, padding: _Pair = 0, dilation: _Pair = 1,
                  mask: Optional[Tensor] = None) -> Tensor:
    r"""Deformable 2-D convolution with the arguments of ``torchvision.ops.deform_conv2d``.

    Args:
        x (Tensor): input :math:`(B, C_{in}, H, W)`.
        offset (Tensor): :math:`(B, 2 G k_h k_w, H_o, W_o)`, ``(dy, dx)`` per
            tap, row-major taps, :math:`G` offset groups (dividing :math:`C_{in}`).
        weight (Tensor): kernel :math:`(C_{out}, C_{in} / \text{groups}, k_h, k_w)`.
        bias (Tensor, optional): :math:`(C_{out},)`.
        stride, padding, dilation (int or pair): as ``F.conv2d``.
        mask (Tensor, optional): modulation :math:`(B, G k_h k_w, H_o, W_o)` (DCNv2).

    With ``offset = 0`` and no mask this is ``F.conv2d(x, weight, bias, stride,
    padding, dilation, groups)``.

    Shapes:
        - **output:** :math:`(B, C_{out}, H_o, W_o)`,
          :math:`H_o = \lfloor (H + 2p - d(k - 1) - 1) / s \rfloor + 1`
    """
    check_ndim(x, 'x', 4, '(B, C_in, H, W)')
    check_floating(x, 'x')
    check_ndim(weight, 'weight', 4, '(C_out, C_in / groups, kh, kw)')
    check_ndim(offset, 'offset', 4, '(B, 2 * offset_groups * kh * kw, H_out, W_out)')
    check_floating(offset, 'offset')
    stride, padding, dilation = (
        _pair(stride, 'stride', 1),
        _pair(padding, 'padding', 0),
        _pair(dilation, 'dilation', 1),
    )
    mixed = autocast_enabled(x)  # autocast casts on purpose
    for name, t in (('offset', offset), ('weight', weight), ('bias', bias), ('mask', mask)):
        if t is not None:
            check_same_device('x', x, name, t)
            if t.dtype != x.dtype and not mixed:
                raise TypeError(f"{name} must have the dtype of x ({x.dtype}), got {t.dtype}")
    B, C, H, W = x.shape
    C_out, Cg_in, kh, kw = weight.shape
    K = kh * kw
    if bias is not None and tuple(bias.shape) != (C_out,):
        raise ValueError(f"bias must have shape (C_out,) = ({C_out},), got {tuple(bias.shape)}")
    if Cg_in == 0 or C % Cg_in:
        raise ValueError(f"x must have a multiple of weight.size(1) = {Cg_in} channels, got {C}")
    groups = C // Cg_in
    if C_out % groups:
        raise ValueError(f"weight.size(0) = {C_out} must be divisible by groups = {groups}")
    Ho = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(f"x of size ({H}, {W}) is too small for kernel ({kh}, {kw}) with padding "
                         f"{padding} and dilation {dilation}")
    if (
        offset.size(0) != B
        or offset.size(1) == 0
        or offset.size(1) % (2 * K)
        or tuple(offset.shape[2:]) != (Ho, Wo)
    ):
        raise ValueError("offset must have shape (B, 2 * offset_groups * kh * kw, H_out, W_out) "
                         f"= ({B}, 2 * G * {K}, {Ho}, {Wo}), got {tuple(offset.shape)}")
    G = offset.size(1) // (2 * K)
    if C % G:
        raise ValueError(f"x channels ({C}) must be divisible by offset_groups = {G} (from "
                         f"offset's {offset.size(1)} channels)")
    if mask is not None:
        check_floating(mask, 'mask')
        if tuple(mask.shape) != (B, G * K, Ho, Wo):
            raise ValueError(f"mask must have shape (B, offset_groups * kh * kw, H_out, W_out) = "
                             f"{(B, G * K, Ho, Wo)}, got {tuple(mask.shape)}")
    # under autocast the sampling positions, bilinear weights and gathered sums stay float32
    with full_precision(x):
        cols = deform_sample(upcast(x), upcast(offset), (kh, kw), stride, padding, dilation,
                             upcast(mask))  # (B, L, C, K)
    # channel-major columns, as weight.flatten(1)
    cols = cols.reshape(B, Ho * Wo, groups, Cg_in * K)
    w = weight.reshape(groups, C_out // groups, Cg_in * K)
    out = torch.einsum('blgc,goc->bglo', cols, w)  # (B, groups, L, C_out / groups)
    out = out.permute(0, 1, 3, 2).reshape(B, C_out, Ho, Wo)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


class DeformConv2d(nn.Module):
    r"""Deformable convolution (`Dai et al., ICCV 2017 <https://arxiv.org/abs/1703.06211>`_;
    with ``mask``, DCNv2, `Zhu et al., CVPR 2019 <https://arxiv.org/abs/1811.11168>`_),
    torchvision's ``DeformConv2d``.

    .. math::
        y(p_0) = \sum_k w_k\, m_k\, x(p_0 + p_k + \Delta p_k)

    Same constructor, parameters (``weight`` :math:`(C_{out}, C_{in}/g, k_h, k_w)`,
    ``bias``) and ``forward(input, offset, mask=None)`` as
    ``torchvision.ops.DeformConv2d``; see :func:`deform_conv2d`.

    Args:
        in_channels (int), out_channels (int), kernel_size (int or pair).
        stride, padding, dilation (int or pair): as ``nn.Conv2d``. (default: ``1, 0, 1``)
        groups (int): convolution groups. (default: ``1``)
        bias (bool): learnable bias. (default: ``True``)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, offset :math:`(B, 2 G k_h k_w, H_o, W_o)`,
          mask :math:`(B, G k_h k_w, H_o, W_o)` (optional)
        - **output:** :math:`(B, C_{out}, H_o, W_o)`
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Pair, stride: _Pair = 1,
                 padding: _Pair = 0, dilation: _Pair = 1, groups: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels),
                        ('groups', groups)):
            check_int(v, name, 1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must "
                             f"be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, 'kernel_size', 1)
        self.stride = _pair(stride, 'stride', 1)
        self.padding = _pair(padding, 'padding', 0)
        self.dilation = _pair(dilation, 'dilation', 1)
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels // groups, *self.kernel_size)
        )
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Conv2d``'s initialisation (as torchvision's)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor, offset: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        if input.dim() == 4 and input.size(1) != self.in_channels:
            raise ValueError(f"input must have in_channels = {self.in_channels} channels, got "
                             f"shape {tuple(input.shape)}")
        check_param_dtype(input, 'input', self.weight)
        return deform_conv2d(input, offset, self.weight, self.bias, self.stride, self.padding,
                             self.dilation, mask)

    def extra_repr(self) -> str:
        s = (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
             f'stride={self.stride}')
        if self.padding != (0, 0):
            s += f', padding={self.padding}'
        if self.dilation != (1, 1):
            s += f', dilation={self.dilation}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        return s + ('' if self.bias is not None else ', bias=False')


class DeformConv2dPack(DeformConv2d):
    r""":class:`DeformConv2d` that predicts its own offsets (and DCNv2 mask) with a conv of the same
    geometry.

    ``conv_offset`` (mmcv's name) is a :math:`k_h \times k_w` convolution with the
    layer's stride, padding and dilation to :math:`2 G k_h k_w` offsets (plus
    :math:`G k_h k_w` mask logits, through a sigmoid, with ``modulated=True``),
    zero-initialised: the layer starts as the plain convolution (the mask at
    0.5, as in DCNv2). ``weight`` / ``bias`` keep ``nn.Conv2d``'s names and
    shapes, so a pretrained convolution's weights load into it.

    Args:
        (as :class:`DeformConv2d`), plus
        offset_groups (int): :math:`G`. (default: ``1``)
        modulated (bool): DCNv2 modulation mask. (default: ``False``)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Pair, stride: _Pair = 1,
                 padding: _Pair = 0, dilation: _Pair = 1, groups: int = 1, bias: bool = True, *,
                 offset_groups: int = 1, modulated: bool = False) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias)
        if isinstance(offset_groups, bool) or not isinstance(offset_groups,
                                                             int) or offset_groups < 1 \
                or in_channels % offset_groups:
            raise ValueError("offset_groups must be an int >= 1 dividing in_channels = "
                             f"{in_channels}, got {offset_groups!r}")
        self.offset_groups, self.modulated = offset_groups, modulated
        K = self.kernel_size[0] * self.kernel_size[1]
        self.conv_offset = nn.Conv2d(in_channels, offset_groups * K * (3 if modulated else 2),
                                     self.kernel_size, self.stride, self.padding, self.dilation)
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    @classmethod
    def from_conv2d(cls, conv: nn.Conv2d, **kwargs) -> 'DeformConv2dPack':
        """A :class:`DeformConv2dPack` holding a copy of ``conv``'s weights (unmodulated: the same
        output at init)."""
        if not isinstance(conv, nn.Conv2d):
            raise TypeError(f"conv must be an nn.Conv2d, got {type(conv).__name__}")
        if conv.padding_mode != 'zeros' or isinstance(conv.padding, str):
            raise ValueError(f"conv must have numeric zero padding, got padding={conv.padding!r}, "
                             f"padding_mode={conv.padding_mode!r}")
        layer = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    conv.padding, conv.dilation, conv.groups, conv.bias is not None,
                    **kwargs).to(conv.weight.device,
                                                                     conv.weight.dtype)
        with torch.no_grad():
            layer.weight.copy_(conv.weight)
            if conv.bias is not None:
                layer.bias.copy_(conv.bias)
        return layer

    def forward(self, input: Tensor) -> Tensor:  # type: ignore[override]
        check_ndim(input, 'input', 4, '(B, C_in, H, W)')
        if input.size(1) != self.in_channels:
            raise ValueError(f"input must have in_channels = {self.in_channels} channels, got "
                             f"shape {tuple(input.shape)}")
        check_param_dtype(input, 'input', self.weight)
        out = self.conv_offset(input)
        if not self.modulated:
            return super().forward(input, out)
        n = 2 * self.offset_groups * self.kernel_size[0] * self.kernel_size[1]
        return super().forward(input, out[:, :n], out[:, n:].sigmoid())

    def extra_repr(self) -> str:
        extra = f', offset_groups={self.offset_groups}' if self.offset_groups != 1 else ''
        return super().extra_repr() + extra + (', modulated=True' if self.modulated else '')


__all__ = ['DeformConv2d', 'DeformConv2dPack', 'deform_conv2d', 'deform_sample']
