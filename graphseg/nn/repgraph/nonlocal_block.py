r"""The non-local block (Wang et al., CVPR 2018), the all-pairs baseline RepGraph is measured
against."""
from __future__ import annotations

from typing import Optional, Type

import torch
from torch import Tensor, nn

from ...check import check_choice, check_floating, check_ndim, check_param_dtype

MODES = ('embedded_gaussian', 'dot_product')


class NonLocal2d(nn.Module):
    r"""Non-local block of Wang et al., *Non-local Neural Networks*, CVPR 2018
    (https://arxiv.org/abs/1711.07971), written out plainly as the reference for RepGraph.

    .. math::
        y_i = \sum_{j=1}^{N} f(x_i, x_j)\, g(x_j), \qquad z_i = W_z y_i + x_i,

    with :math:`\theta, \phi, g` 1x1 convolutions :math:`C \to C' = C / r` and

    * ``'embedded_gaussian'``: :math:`f = \operatorname{softmax}_j(\theta(x_i)^\top \phi(x_j))`,
      i.e. :math:`y = \operatorname{softmax}(\theta^\top \phi)\, g`;
    * ``'dot_product'``: :math:`f = \theta(x_i)^\top \phi(x_j) / N`.

    The affinity is a dense :math:`N \times N` matrix (:math:`N = HW`): the
    :math:`O(N^2)` cost RepGraph removes. :math:`W_z` is a 1x1 convolution
    followed by ``norm_layer`` whose scale is zero-initialised, so the block
    starts as the identity (if ``norm_layer`` is ``None`` the convolution
    itself is zero-initialised).

    Args:
        in_channels (int): :math:`C`.
        reduction (int): :math:`r`, :math:`C' = C / r`. (default: ``8``)
        mode (str): ``'embedded_gaussian'`` or ``'dot_product'``. (default: ``'embedded_gaussian'``)
        norm_layer (type, optional): normalisation after :math:`W_z`. (default: ``nn.BatchNorm2d``)

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, C, H, W)`
    """

    def __init__(self, in_channels: int, reduction: int = 8, mode: str = 'embedded_gaussian', *,
                 norm_layer: Optional[Type[nn.Module]] = nn.BatchNorm2d,
                 device: Optional[torch.device] = None,
                 dtype: Optional[torch.dtype] = None) -> None:
        super().__init__()
        check_choice(mode, 'mode', MODES)
        for v, name in ((in_channels, 'in_channels'), (reduction, 'reduction')):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % reduction:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by reduction "
                             f"({reduction})")
        self.in_channels, self.reduction, self.mode = in_channels, reduction, mode
        self.inter_channels = C_ = in_channels // reduction
        kw = dict(device=device, dtype=dtype)
        self.theta = nn.Conv2d(in_channels, C_, 1, **kw)
        self.phi = nn.Conv2d(in_channels, C_, 1, **kw)
        self.g = nn.Conv2d(in_channels, C_, 1, **kw)
        self.W_z = nn.Conv2d(C_, in_channels, 1, bias=norm_layer is None, **kw)
        self.norm = norm_layer(in_channels, **kw) if norm_layer is not None else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in (self.theta, self.phi, self.g, self.W_z, self.norm):
            if hasattr(m, 'reset_parameters'):
                m.reset_parameters()
        if isinstance(self.norm, nn.Identity):
            nn.init.zeros_(self.W_z.weight)
            nn.init.zeros_(self.W_z.bias)
        else:
            nn.init.zeros_(self.norm.weight)  # W_z's output starts at zero: z = x

    def attention(self, x: Tensor) -> Tensor:
        r""":math:`y = f(\theta, \phi)\, g` before :math:`W_z`, :math:`(B, C', H, W)`."""
        B, _, H, W = x.shape
        theta = self.theta(x).flatten(2).transpose(1, 2)  # (B, N, C')
        phi = self.phi(x).flatten(2)  # (B, C', N)
        g = self.g(x).flatten(2).transpose(1, 2)  # (B, N, C')
        f = torch.bmm(theta, phi)  # (B, N, N) all pairs
        f = f.softmax(dim=-1) if self.mode == 'embedded_gaussian' else f / f.size(-1)
        y = torch.bmm(f, g)  # (B, N, C')
        return y.transpose(1, 2).reshape(B, self.inter_channels, H, W)

    def forward(self, x: Tensor) -> Tensor:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got "
                             f"{x.size(1)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))
        return x + self.norm(self.W_z(self.attention(x)))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, reduction={self.reduction}, '
                f'mode={self.mode!r})')


__all__ = ['NonLocal2d']
