r"""The weight mapping network :math:`w_i` of a meta block (HyperSeg, Section 3.1, Eq. 3).

:math:`\theta^{m_i} = w_i(\phi_i)`: a grouped 1x1 convolution turns the meta
block's own slice :math:`\phi_i` of the context signal into all the weights
:math:`\theta^{m_i}` that block consumes, one weight vector per patch (per
pixel of :math:`\phi`). Grouping (:math:`g_{w_i}` groups) keeps the mapper
small; each group of signal channels produces a contiguous run of weights.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_floating, check_ndim, check_param_dtype


class WeightMapper(nn.Module):
    r"""Grouped 1x1 convolution :math:`\phi_i \mapsto \theta^{m_i}` (Eq. 3).

    The convolution has :math:`\lceil |\theta| / g \rceil \cdot g` output rows
    (a multiple of the groups); the first :math:`|\theta|` are the weights.
    Every group must produce at least one of them, so that every signal channel
    reaches the decoder (checked at construction).

    Args:
        in_channels (int): width of the block's signal slice :math:`\phi_i`.
        num_params (int): :math:`|\theta^{m_i}|`, the weights generated per patch.
        groups (int): :math:`g_{w_i}`; must divide ``in_channels``. (default: ``1``)
        bias (bool): learn a bias per generated weight. (default: ``False``)

    Shapes:
        - **input:** signal :math:`(B, C_\phi, N_h, N_w)` (a map) or :math:`(P, C_\phi)` (patch
          nodes)
        - **output:** :math:`(B, |\theta|, N_h, N_w)` or :math:`(P, |\theta|)`
    """

    def __init__(self, in_channels: int, num_params: int, groups: int = 1,
                 bias: bool = False) -> None:
        super().__init__()
        for name, v in (('in_channels', in_channels), ('num_params', num_params),
                        ('groups', groups)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups:
            raise ValueError(f"in_channels = {in_channels} must be divisible by groups = {groups}")
        rows = math.ceil(num_params / groups)
        if (groups - 1) * rows >= num_params:
            raise ValueError(f"num_params = {num_params} is too small for groups = {groups}: the "
                             "last group "
                             f"would generate no weight (need num_params > (groups - 1) * "
                             f"ceil(num_params / groups) = {(groups - 1) * rows})")
        self.in_channels, self.num_params, self.groups = in_channels, num_params, groups
        self.weight = nn.Parameter(torch.empty(rows * groups, in_channels // groups, 1, 1))
        self.bias = nn.Parameter(torch.empty(rows * groups)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # nn.Conv2d's default
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight.size(1))
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, signal: Tensor) -> Tensor:
        check_ndim(signal, 'signal', (2, 4), '(B, C, N_h, N_w) or (P, C)')
        check_floating(signal, 'signal')
        if signal.size(1) != self.in_channels:
            raise ValueError(f"signal must have {self.in_channels} channels, got {signal.size(1)}")
        check_param_dtype(signal, 'signal', self.weight)
        nodes = signal.dim() == 2
        # channels-last: each patch's weights come out contiguous, the layout dpw_conv2d gathers per
        # patch
        s = signal[:, :, None,
                   None] if nodes else signal.contiguous(memory_format=torch.channels_last)
        # Eq. 3
        theta = F.conv2d(s, self.weight, self.bias, groups=self.groups)[:, :self.num_params]
        return theta[:, :, 0, 0] if nodes else theta

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.num_params}, groups={self.groups}'
                + (', bias=True' if self.bias is not None else ''))


__all__ = ['WeightMapper']
