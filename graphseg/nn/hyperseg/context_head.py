r"""The context head :math:`h` of HyperSeg (Nirkin et al., CVPR 2021, Section 3.1, Fig. 2c).

A small nested U-Net on the last backbone map :math:`F_n` that produces the
signal :math:`\phi = h(F_n)` (Eq. 2), the input of every weight mapper. It
mixes each position with its surroundings and, through a global average at
the bottom, with the whole image. Two designs, the two the authors released:

``half_width=True`` (the released ``hyperseg_v1_0`` code: HyperSeg-S, -M and the CamVid models)::

    F_n ─ 1x1 (C -> C/2) ─ F' ─────────────────────────────── cat ─> phi (C channels)
                           └ 2x2/2 ─ F'' ─ cat ─ 1x1 ─ up ───┘
                                     └ GAP ┘

``half_width=False`` (the released ``hyperseg_v0_1`` code: HyperSeg-L)::

    F_n ───────────────────────────── cat ─ 1x1 + BN ─> phi (C channels)
     └ 2x2/2 ─ F' ─ cat ─ 1x1 ─ up ───┘
                └ GAP ─ up ┘

Each down step is a 2x2 stride-2 convolution that keeps the channels, each
merge a concatenation ``(skip, from below)``, a 1x1 convolution to the level's
width and (except the last merge of the full-width design) BatchNorm and ReLU;
"up" is nearest upsampling to the skip's size; GAP replaces the bottom map by
its global average.
"""
from __future__ import annotations

from typing import List, Optional, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_floating, check_ndim, check_param_dtype


def _conv_bn(cin: int, cout: int, k: int, stride: int, norm_layer: Type[nn.Module],
             act_layer: Optional[Type[nn.Module]] = None) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride=stride, bias=False), norm_layer(cout)]
    if act_layer is not None:
        layers.append(act_layer())
    return nn.Sequential(*layers)


class ContextHead(nn.Module):
    r"""Nested U-Net context head :math:`\phi = h(F_n)` (Eq. 2); see the module docstring for the
    two designs.

    Args:
        in_channels (int): :math:`C`, channels of the last backbone map (even when ``half_width``).
        levels (int): resolution levels; ``levels - 1`` down steps. (default: ``2``)
        half_width (bool): the released v1.0 design (an input 1x1 halves the channels,
            :math:`\phi` = the concatenation of the top skip and the decoded context);
            ``False`` = the released v0.1 design (full width, :math:`\phi` = the last merge,
            without ReLU). (default: ``True``)
        norm_layer: normalisation class. (default: :class:`torch.nn.BatchNorm2d`)
        act_layer: activation class. (default: :class:`torch.nn.ReLU`)

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, C, H, W)`
    """

    def __init__(self, in_channels: int, levels: int = 2, half_width: bool = True,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                 act_layer: Type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int, got {levels!r}")
        if half_width and in_channels % 2:
            raise ValueError("in_channels must be even when half_width=True (the input 1x1 "
                             f"halves it), got {in_channels}")
        self.in_channels = self.out_channels = in_channels
        self.levels, self.half_width = levels, half_width
        c = in_channels // 2 if half_width else in_channels  # width of every level
        self.reduce = _conv_bn(in_channels, c, 1, 1, norm_layer, act_layer) if half_width else None
        self.down = nn.ModuleList(
            [_conv_bn(c, c, 2, 2, norm_layer, act_layer) for _ in range(levels - 1)]
        )
        # merge k joins level k's skip with what comes from level k + 1
        self.up = nn.ModuleList(
            [
                _conv_bn(
                    2 * c, c, 1, 1, norm_layer, None if (k == 0 and not half_width) else act_layer
                )
                for k in range(levels - 1)
            ]
        )

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
        feats: List[Tensor] = [x if self.reduce is None else self.reduce(x)]
        if self.levels == 1 and not self.half_width:
            return x
        for down in self.down:
            feats.append(down(feats[-1]))
        y = F.adaptive_avg_pool2d(feats[-1], 1).expand_as(feats[-1])  # global context at the bottom
        if self.half_width:
            for k in range(self.levels - 2, -1, -1):
                y = self.up[k](torch.cat([feats[k + 1], y], dim=1))
                y = F.interpolate(y, size=feats[k].shape[-2:], mode='nearest')
            return torch.cat([feats[0], y], dim=1)
        for k in range(self.levels - 2, -1, -1):
            y = F.interpolate(y, size=feats[k].shape[-2:], mode='nearest')
            y = self.up[k](torch.cat([feats[k], y], dim=1))
        return y

    def extra_repr(self) -> str:
        return f'{self.in_channels}, levels={self.levels}, half_width={self.half_width}'


__all__ = ['ContextHead']
