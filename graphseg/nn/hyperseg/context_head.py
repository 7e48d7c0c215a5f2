r"""The context head :math:`h` of HyperSeg (Nirkin et al., CVPR 2021, Section 3.1, Fig. 2c).

A small nested U-Net on the last backbone map :math:`F_n` that produces the
signal :math:`\phi = h(F_n)` (Eq. 2), the input of every weight mapper. It
mixes each position with its surroundings and, through a global average pool
at the bottom, with the whole image::

    F_n ──────────────────────────────────────── cat ─ 1x1 ─> phi
     └ 2x2/2 ─ F' ───────────────── cat ─ 1x1 ─ up ┘
                └ 2x2/2 ─ F'' ─ cat ─ 1x1 ─ up ┘
                          └ GAP ┘

Every down step is a 2x2 stride-2 convolution that halves the channels; every
up step is a nearest upsampling, a concatenation with the skip and a 1x1
convolution (each convolution followed by BatchNorm and ReLU).
"""
from __future__ import annotations

from typing import List, Optional, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_floating, check_ndim, check_param_dtype


def _conv_bn_act(cin: int, cout: int, k: int, stride: int, norm_layer: Type[nn.Module],
                 act_layer: Type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, bias=False), norm_layer(cout), act_layer())


class ContextHead(nn.Module):
    r"""Nested U-Net context head :math:`\phi = h(F_n)` (Eq. 2).

    Args:
        in_channels (int): :math:`C_n`, channels of the last backbone map; must be
            divisible by :math:`2^{\text{levels} - 1}`.
        out_channels (int, optional): channels of :math:`\phi`. (default: ``in_channels``)
        levels (int): resolution levels; ``levels - 1`` down steps. (default: ``2``)
        norm_layer: normalisation class. (default: :class:`torch.nn.BatchNorm2d`)
        act_layer: activation class. (default: :class:`torch.nn.ReLU`)

    Shapes:
        - **input:** :math:`(B, C_n, H, W)` with :math:`H, W \ge 2^{\text{levels} - 1}`
        - **output:** :math:`(B, C_\phi, H, W)`
    """

    def __init__(self, in_channels: int, out_channels: Optional[int] = None, levels: int = 2,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d, act_layer: Type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int, got {levels!r}")
        if in_channels % 2 ** (levels - 1):
            raise ValueError(f"in_channels = {in_channels} must be divisible by 2^(levels - 1) = "
                             f"{2 ** (levels - 1)} (each down step halves the channels)")
        self.in_channels = in_channels
        self.out_channels = out_channels or in_channels
        self.levels = levels
        ch = [in_channels // 2 ** k for k in range(levels)]  # channels per level
        self.down = nn.ModuleList([_conv_bn_act(ch[k - 1], ch[k], 2, 2, norm_layer, act_layer)
                                   for k in range(1, levels)])
        up = []
        for k in range(levels):
            below = ch[k] if k == levels - 1 else ch[k + 1]  # the pooled context, or the level below
            up.append(_conv_bn_act(ch[k] + below, self.out_channels if k == 0 else ch[k], 1, 1,
                                   norm_layer, act_layer))
        self.up = nn.ModuleList(up)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have {self.in_channels} channels, got {x.size(1)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))
        need = 2 ** (self.levels - 1)
        if x.size(2) < need or x.size(3) < need:
            raise ValueError(f"x must be at least {need}x{need} for {self.levels} levels, got "
                             f"{x.size(2)}x{x.size(3)}")
        feats: List[Tensor] = [x]
        for down in self.down:
            feats.append(down(feats[-1]))
        y = F.adaptive_avg_pool2d(feats[-1], 1).expand_as(feats[-1])  # global context at the bottom
        for k in range(self.levels - 1, -1, -1):
            y = self.up[k](torch.cat([feats[k], y], dim=1))
            if k > 0:
                y = F.interpolate(y, size=feats[k - 1].shape[-2:], mode='nearest')
        return y

    def extra_repr(self) -> str:
        return f'{self.in_channels}, {self.out_channels}, levels={self.levels}'


__all__ = ['ContextHead']
