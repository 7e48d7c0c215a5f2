r"""The dynamic patch-wise convolution as a layer (HyperSeg, Eq. 8)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ...check import check_ndim
from ...ops.dpw_conv import PADDING_MODES, dpw_conv2d


class DPWConv2d(nn.Module):
    r"""Dynamic patch-wise convolution :math:`Y_{ij} = X_{ij} * \theta_{ij}` (Eq. 8).

    Holds the kernel shape; the kernels themselves arrive with every call,
    flattened as a weight mapper emits them (:class:`WeightMapper`), one vector
    of :attr:`num_params` weights per patch, in ``nn.Conv2d`` weight order
    :math:`(C_{out}, C_{in}/G, K, K)`. See :func:`graphseg.ops.dpw_conv2d`.

    Args:
        in_channels (int): :math:`C_{in}`.
        out_channels (int): :math:`C_{out}`.
        kernel_size (int): odd :math:`K`. (default: ``3``)
        groups (int): as in ``nn.Conv2d``. (default: ``1``)
        padding_mode (str): ``'zeros'``, ``'reflect'`` or ``'replicate'`` at the image
            border. (default: ``'reflect'``)
        bias (bool): add a static bias per output channel (:func:`fuse_bn` adds one
            when it folds a following BatchNorm). (default: ``False``)

    Shapes:
        - **input:** x :math:`(B, C_{in}, H, W)`, weight :math:`(B, \text{num\_params}, N_h, N_w)`
        - **output:** :math:`(B, C_{out}, H, W)`
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, groups: int = 1,
                 padding_mode: str = 'reflect', bias: bool = False) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups = {groups} must divide in_channels = {in_channels} and "
                             f"out_channels = {out_channels}")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = kernel_size
        self.groups, self.padding_mode = groups, padding_mode
        self.weight_shape = (out_channels, in_channels // groups, kernel_size, kernel_size)
        self.num_params = math.prod(self.weight_shape)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, weight: Tensor) -> Tensor:
        check_ndim(weight, 'weight', 4, '(B, num_params, N_h, N_w)')
        check_ndim(x, 'x', 4, '(B, C_in, H, W)')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got shape "
                             f"{tuple(x.shape)}")
        if weight.size(1) != self.num_params:
            raise ValueError(f"weight must have num_params = {self.num_params} channels, got "
                             f"{weight.size(1)}")
        B, _, N_h, N_w = weight.shape
        # (B, C_out, C_in/G, K, K, N_h, N_w)
        theta = weight.reshape(B, *self.weight_shape, N_h, N_w)
        return dpw_conv2d(x, theta, self.bias, groups=self.groups, padding_mode=self.padding_mode)

    def extra_repr(self) -> str:
        s = f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        s += f', padding_mode={self.padding_mode!r}'
        return s + (', bias=True' if self.bias is not None else '')


__all__ = ['DPWConv2d']
