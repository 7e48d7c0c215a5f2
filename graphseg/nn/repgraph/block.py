r"""RepGraph on feature maps: the simple and Bottleneck blocks, Grid and Group variants, two
paths."""
from __future__ import annotations

from typing import Optional, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_choice, check_floating, check_ndim, check_param_dtype
from ...graphs.representative import (bilinear_neighbors, pixel_anchor, representative_graph,
                                      sample_positions)
from ...ops.amp import autocast_enabled, full_precision, upcast
from .conv import RepGraphConv
from .attention import representative_attention

VARIANTS = ('bottleneck', 'simple')
FUSIONS = ('sum', 'concat')
PATHS = ('dense', 'graph')


class RepGraph(nn.Module):
    r"""Representative graph block of Yu et al., *Representative Graph Neural Network*, ECCV 2020
    (https://arxiv.org/abs/2008.05202), on :math:`B \times C \times H \times W` feature maps.

    Instead of the non-local block's :math:`N \times N` affinity, each position
    :math:`i` attends to :math:`S` representative nodes sampled at learned
    fractional positions :math:`p_i + b_n + \Delta p_n` (Eq. 6-8):

    1. offsets :math:`\Delta p` by a 1x1 conv to :math:`2 S G` channels,
       zero-initialised, so sampling starts at the base pattern
       :func:`~graphseg.graphs.sampling_pattern` -- for :math:`S = 9` the
       query's 3x3 neighbourhood;
    2. keys and values are projected first (:math:`x_\phi, x_g`, 1x1 convs) and
       then sampled bilinearly, :math:`s(n) = \sum_t G(t, p_n)\, x(t)` (Eq. 7-8;
       linear maps commute with interpolation, and projecting :math:`N` pixels is
       cheaper than :math:`N S` samples);
    3. :math:`\tilde y_i = \sum_n \operatorname{softmax}_n(x_\theta(i)^\top s_\phi(n))\, s_g(n)`
       (Eq. 6);
    4. :math:`z = W_y \tilde y + x` (Eq. 9, ``fusion='sum'``) or
       :math:`[x, W_y \tilde y]` (``fusion='concat'``, :math:`2C` channels).

    Variants:

    * ``'simple'``: :math:`\theta, \phi, g: C \to C'` and
      :math:`W_y: C' \to C` (1x1 conv + ``norm_layer``).
    * ``'bottleneck'``: ``reduce`` (1x1 conv :math:`C \to C'` + norm + act),
      attention on the reduced map, which serves as :math:`x_\theta = x_\phi = x_g`
      (no further projections), and :math:`W_y` as the expand conv
      :math:`C' \to C` + norm, with no activation after it. About
      :math:`2 N C C'` MACs in all (:func:`graphseg.ops.macs.repgraph_macs`).

    In both, the scale of the last norm is zero-initialised, so the block is the
    identity at initialisation and can be inserted into a pretrained network
    without changing it. (The conv before it keeps its random init: zeroing both
    would leave both with zero gradient forever. With ``norm_layer=None`` the
    conv itself is zeroed.)

    Section 3.3 variants: ``grid = g`` (Grid RepGraph) -- the :math:`g \times g`
    pixels of a cell share one anchor (the cell centre) and its samples; the
    offsets are regressed from the average-pooled cell features. ``groups = G``
    (Group RepGraph) -- the :math:`C'` channels split into :math:`G` groups, each
    with its own offsets, samples and attention; outputs are concatenated.

    Two execution paths share the parameters: ``path='dense'`` (default; fused
    gather, :func:`~graphseg.nn.representative_attention`)
    and ``path='graph'`` (message passing, :class:`~graphseg.nn.RepGraphConv`,
    over :func:`~graphseg.graphs.representative_graph`); they agree to 1e-5.

    Args:
        in_channels (int): :math:`C`.
        inter_channels (int): :math:`C'`.
        num_samples (int): representative nodes per position :math:`S`. (default: ``9``)
        variant (str): ``'bottleneck'`` or ``'simple'``. (default: ``'bottleneck'``)
        fusion (str): ``'sum'`` or ``'concat'``. (default: ``'sum'``)
        grid (int): cell size :math:`g` of Grid RepGraph. (default: ``1``)
        groups (int): channel groups :math:`G` of Group RepGraph. (default: ``1``)
        dilation (float): spacing of the base sampling pattern. (default: ``1``)
        path (str): ``'dense'`` or ``'graph'``. (default: ``'dense'``)
        norm_layer (type, optional): normalisation class. (default: ``nn.BatchNorm2d``)
        act_layer (type): activation class of the bottleneck's reduce. (default: ``nn.ReLU``)
        chunk_size (int, optional): anchors per chunk of the dense path.

    Shapes:
        - **input:** :math:`(B, C, H, W)` with :math:`H, W` divisible by ``grid``
        - **output:** :math:`(B, C, H, W)`, or :math:`(B, 2C, H, W)` for ``fusion='concat'``
    """

    def __init__(self, in_channels: int, inter_channels: int, num_samples: int = 9,
                 variant: str = 'bottleneck', fusion: str = 'sum', grid: int = 1, groups: int = 1,
                 *, dilation: float = 1, path: str = 'dense',
                 norm_layer: Optional[Type[nn.Module]] = nn.BatchNorm2d,
                 act_layer: Type[nn.Module] = nn.ReLU, chunk_size: Optional[int] = None,
                 device: Optional[torch.device] = None,
                 dtype: Optional[torch.dtype] = None) -> None:
        super().__init__()
        check_choice(variant, 'variant', VARIANTS)
        check_choice(fusion, 'fusion', FUSIONS)
        check_choice(path, 'path', PATHS)
        if isinstance(grid, bool) or not isinstance(grid, int) or grid < 1:
            raise ValueError(f"grid must be a positive int, got {grid!r}")
        kw = dict(device=device, dtype=dtype)
        self.in_channels, self.inter_channels, self.variant = in_channels, inter_channels, variant
        self.fusion = fusion
        self.grid, self.path, self.chunk_size = grid, path, chunk_size
        if variant == 'bottleneck':
            self.layer = RepGraphConv(inter_channels, inter_channels, num_samples, groups=groups,
                                      dilation=dilation, embed=False, **kw)
            self.reduce = nn.Sequential(
                nn.Conv2d(in_channels, inter_channels, 1, bias=norm_layer is None, **kw),
                norm_layer(inter_channels, **kw) if norm_layer is not None else nn.Identity(),
                act_layer())
        else:
            self.layer = RepGraphConv(in_channels, inter_channels, num_samples, groups=groups,
                                      dilation=dilation, embed=True, **kw)
            self.reduce = None
        # the expand conv
        self.W_y = nn.Conv2d(inter_channels, in_channels, 1, bias=norm_layer is None, **kw)
        self.norm = norm_layer(in_channels, **kw) if norm_layer is not None else nn.Identity()
        self.out_channels = in_channels * (2 if fusion == 'concat' else 1)
        self.reset_parameters()

    @property
    def num_samples(self) -> int:
        return self.layer.num_samples

    @property
    def groups(self) -> int:
        return self.layer.groups

    def reset_parameters(self) -> None:
        self.layer.reset_parameters()
        for m in [self.W_y, self.norm] + (list(self.reduce) if self.reduce is not None else []):
            if hasattr(m, 'reset_parameters'):
                m.reset_parameters()
        if isinstance(self.norm, nn.Identity):
            nn.init.zeros_(self.W_y.weight)
            nn.init.zeros_(self.W_y.bias)
        else:
            nn.init.zeros_(self.norm.weight)  # identity block at init

    def offsets(self, h: Tensor) -> Tensor:
        r"""Offsets :math:`\Delta p` ``(dy, dx)`` from the (cell-pooled) layer input,
        :math:`(B, 2SG, H/g, W/g)`."""
        if self.grid > 1:
            h = F.avg_pool2d(h, self.grid)  # Grid RepGraph: one anchor per g x g cell
        weight = self.layer.offset.weight
        return F.conv2d(h, weight.view(*weight.shape, 1, 1), self.layer.offset.bias)

    def sample_positions(self, h: Tensor) -> Tensor:
        r"""Absolute sample positions ``(y, x)`` of every anchor and group,
        :math:`(BG, HW/g^2, S, 2)`."""
        return sample_positions(self.offsets(h), grid=self.grid, groups=self.groups,
                                dilation=self.layer.dilation)

    def attend(self, h: Tensor, positions: Optional[Tensor] = None) -> Tensor:
        r"""The RepGraph attention :math:`\tilde y` (Eq. 6) of the layer input ``h``.

        ``h`` is ``x`` for ``'simple'`` and the reduced map for ``'bottleneck'``.
        ``positions`` :math:`(BG, HW/g^2, S, 2)` ``(y, x)``, if given, replace
        the learned ones (:meth:`sample_positions`), e.g. for a fixed sampling.

        Shapes:
            - **input:** :math:`(B, C_h, H, W)`
            - **output:** :math:`(B, C', H, W)`
        """
        if autocast_enabled(h):  # sampling positions, bilinear weights, attention in float32
            with full_precision(h):
                return self.attend(upcast(h), upcast(positions))
        B, _, H, W = h.shape
        G, S, g = self.groups, self.num_samples, self.grid
        Cg = self.inter_channels // G
        if positions is None:
            positions = self.sample_positions(h)
        Qa = (H // g) * (W // g)
        if positions.shape != (B * G, Qa, S, 2):
            raise ValueError(f"positions must have shape (B * groups, H * W / grid**2, S, 2) = "
                             f"{(B * G, Qa, S, 2)}, got {tuple(positions.shape)}")

        def rows(t: Tensor) -> Tensor:  # (B, H, W, C') -> (B*G*H*W, C'/G), image b*G + gamma
            # contiguous: for a channels-first input the reshape alone can be a transposed view, and
            # gathering rows from it reads one cache line per value
            return t.reshape(B, H, W, G, Cg).permute(0, 3, 1, 2, 4).reshape(B * G * H * W,
                                                                            Cg).contiguous()

        # theta, phi, g (the RepGraphConv's linear maps) as one 1x1 convolution
        if self.layer.embed:
            maps = (self.layer.theta, self.layer.phi, self.layer.g)
            weight = torch.cat([m.weight for m in maps])  # (3C', C_h)
            bias = torch.cat([m.bias for m in maps]) if maps[0].bias is not None else None
            qkv = F.conv2d(h, weight[..., None, None], bias)  # (B, 3C', H, W)
            query, key, value = (rows(t.permute(0, 2, 3, 1)) for t in qkv.chunk(3, dim=1))
        else:
            # Bottleneck: reduced map = x_theta = x_phi = x_g
            query = key = value = rows(h.permute(0, 2, 3, 1))

        L = B * G
        if self.path == 'dense':
            index, weight = bilinear_neighbors(positions, H, W)  # (L, Qa, S, 4)
            if L > 1:
                # rows of image l
                index = index + (torch.arange(L, device=h.device) * (H * W)).view(L, 1, 1, 1)
            # (B, G, Ha, Wa, g, g, Cg)
            q = query.view(B, G, H // g, g, W // g, g, Cg).permute(0, 1, 2, 4, 3, 5, 6)
            out = representative_attention(q.reshape(L * Qa, g * g, Cg), key, value,
                                           index.view(L * Qa, S, 4), weight.view(L * Qa, S, 4),
                                           chunk_size=self.chunk_size)
            # (B, G, Cg, Ha, g, Wa, g)
            out = out.view(B, G, H // g, W // g, g, g, Cg).permute(0, 1, 6, 2, 4, 3, 5)
        else:
            # (L, HW, S, 2) each pixel's samples
            pixel_pos = positions[:, pixel_anchor(H, W, g, device=h.device)]
            graph = representative_graph(
                pixel_pos.reshape(L * H * W, S, 2),
                H,
                W,
                batch=torch.arange(L, device=h.device).repeat_interleave(H * W),
            )
            out = self.layer.attend(query, key, value, graph.edge_index, graph.edge_weight,
                                    graph.edge_attr, S)
            out = out.view(B, G, H, W, Cg).permute(0, 1, 4, 2, 3)  # (B, G, Cg, H, W)
        return out.reshape(B, self.inter_channels, H, W)

    def forward(self, x: Tensor) -> Tensor:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got "
                             f"{x.size(1)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))
        if x.size(2) % self.grid or x.size(3) % self.grid:
            raise ValueError(f"x height and width must be divisible by grid = {self.grid}, "
                             f"got ({x.size(2)}, {x.size(3)})")
        h = self.reduce(x) if self.reduce is not None else x
        z = self.norm(self.W_y(self.attend(h)))  # Eq. 9: W_y y~
        return x + z if self.fusion == 'sum' else torch.cat([x, z], dim=1)

    def __repr__(self) -> str:
        extra = ''.join(f', {k}={v}' for k,
                        v in (('grid', self.grid), ('groups', self.groups)) if v != 1)
        return (f"{self.__class__.__name__}({self.in_channels}, {self.inter_channels}, "
                f"num_samples={self.num_samples}, variant={self.variant!r}, "
                f"fusion={self.fusion!r}{extra}, path={self.path!r})")


__all__ = ['RepGraph']
