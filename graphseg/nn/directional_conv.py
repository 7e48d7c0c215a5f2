r"""Direction-aware graph convolution (HG-Conv, Hamaguchi et al., CVPR 2021, Eq. 2-3 and Eq. 9).

A 3x3 convolution is a sum over the 9 directions :math:`\delta` of graph
convolutions with one weight matrix each, :math:`Z = \sum_\delta A^\delta X W_\delta`
(Eq. 2), where :math:`A^\delta_{ij} = 1` iff pixel ``j`` sits at offset
:math:`\delta` from pixel ``i``. On a group graph the adjacency
:math:`\hat A^\delta` holds pixel-pair counts, so each direction is normalised
by its degree (Eq. 3):

.. math::
    Z = \sum_\delta (D^\delta)^{-1} A^\delta X W_\delta, \qquad
    D^\delta_{ii} = \max\big(\textstyle\sum_j A^\delta_{ij},\ 10^{-7}\big).

The layer runs on graphseg's typed-edge kernel
(:func:`graphseg.ops.typed_matmul_scatter`): the normalisation is folded into
the per-edge weights :math:`w_{j \to i} / D^{\tau}_{ii}` and the sum over
directions is one matmul ``x @ [W_0 | ... | W_8]``, one gather and one
scatter-add, never a Python loop over directions.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing

from ..check import check_floating, check_ndim
from ..graphs.directions import NUM_DIRECTIONS, kernel_to_direction_weights
from ..ops.typed import check_typed_edges, typed_degree, typed_matmul_scatter

#: Lower bound of the per-direction degree :math:`D^\delta_{ii}` (Eq. 3).
DEGREE_EPS = 1e-7


def directional_edge_weight(edge_index: Tensor, edge_type: Tensor, num_nodes: int,
                            num_directions: int = NUM_DIRECTIONS,
                            edge_weight: Optional[Tensor] = None, dtype: Optional[torch.dtype] = None) -> Tensor:
    r"""Per-edge weights of :math:`(D^\delta)^{-1} A^\delta` (Eq. 3): :math:`w_{j \to i} / D^{\tau(j \to i)}_{ii}`.

    Args:
        edge_index (LongTensor): ``[source; target]`` of each edge.
        edge_type (LongTensor): direction of each edge.
        num_nodes (int): number of nodes :math:`N`.
        num_directions (int): number of edge types :math:`T`. (default: ``9``)
        edge_weight (Tensor, optional): :math:`A^\delta_{ij}` of each edge (default 1).
        dtype (torch.dtype, optional): dtype when ``edge_weight`` is ``None``.

    Shapes:
        - **input:** edge_index :math:`(2, E)`, edge_type :math:`(E,)`, edge_weight :math:`(E,)`
        - **output:** :math:`(E,)`
    """
    dst = edge_index[1]
    if edge_weight is None:
        edge_weight = torch.ones(dst.numel(), device=dst.device, dtype=dtype or torch.get_default_dtype())
    deg = typed_degree(dst, edge_type, num_nodes, num_directions, edge_weight)  # (N, T)
    deg = deg.clamp_min(DEGREE_EPS).view(-1)
    return edge_weight / deg.index_select(0, dst.long() * num_directions + edge_type.long())


class DirectionalConv(MessagePassing):
    r"""The direction-aware graph convolution of HG-Conv (`Hamaguchi et al., CVPR 2021
    <https://arxiv.org/abs/2104.11176>`_, Eq. 2-3).

    .. math::
        \mathbf{Z} = \sum_{\delta} (D^\delta)^{-1} A^\delta \mathbf{X} \mathbf{W}_\delta + \mathbf{b},
        \qquad D^\delta_{ii} = \max\Big(\sum_j A^\delta_{ij},\ 10^{-7}\Big)

    where an edge ``j -> i`` of type :math:`\delta` with weight ``w`` is
    :math:`A^\delta_{ij} = w` (see :mod:`graphseg.graphs.directions`). On
    :func:`~graphseg.graphs.grid_graph` it equals ``F.conv2d(x, w, b,
    padding=1)`` (:meth:`from_conv2d` copies a 3x3 convolution); on the group
    graph of :func:`~graphseg.graphs.group_adjacency` it is HG-Conv's graph
    convolution (Eq. 9 without the activation).

    Like PyG's ``FastRGCNConv`` the type weights are gathered per edge without a
    loop over types; here the matmul comes first (``x @ W`` for all 9
    directions, :math:`N C \cdot 9 C'` MACs), then one gather and one scatter-add
    of :math:`E C'` values (:func:`graphseg.ops.typed_matmul_scatter`, whose
    backends apply). ``torch.compile(fullgraph=True)`` traces it without graph
    breaks.

    Args:
        in_channels (int): :math:`C`.
        out_channels (int): :math:`C'`.
        num_directions (int): number of edge types. (default: ``9``)
        normalize (bool): divide each direction by its degree (Eq. 3); without
            it the layer computes Eq. 2. (default: ``True``)
        bias (bool): add a learnable bias. (default: ``True``)
        **kwargs: passed to :class:`torch_geometric.nn.MessagePassing`.

    Shapes:
        - **input:** node features :math:`(|V|, C)`, edge indices :math:`(2, |E|)`,
          edge types :math:`(|E|,)`, edge weights :math:`(|E|,)` (optional)
        - **output:** node features :math:`(|V|, C')`
    """

    def __init__(self, in_channels: int, out_channels: int, num_directions: int = NUM_DIRECTIONS,
                 normalize: bool = True, bias: bool = True, **kwargs) -> None:
        kwargs.setdefault('aggr', 'add')
        super().__init__(node_dim=0, **kwargs)
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels),
                        ('num_directions', num_directions)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_directions = num_directions
        self.normalize = normalize
        self.weight = nn.Parameter(torch.empty(num_directions, in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Conv2d``'s initialisation, with fan-in :math:`C \\cdot T` (the 3x3 kernel's)."""
        super().reset_parameters()
        bound = 1. / math.sqrt(self.in_channels * self.num_directions)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    @classmethod
    def from_conv2d(cls, conv: nn.Conv2d, normalize: bool = True) -> 'DirectionalConv':
        """A :class:`DirectionalConv` holding a copy of a 3x3, stride-1, padding-1 ``nn.Conv2d``."""
        if not isinstance(conv, nn.Conv2d):
            raise TypeError(f"conv must be an nn.Conv2d, got {type(conv).__name__}")
        want = dict(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1,
                    padding_mode='zeros')
        for key, value in want.items():
            if getattr(conv, key) != value:
                raise ValueError(f"conv must have {key}={value!r} to be a direction-typed graph "
                                 f"convolution, got {getattr(conv, key)!r}")
        layer = cls(conv.in_channels, conv.out_channels, NUM_DIRECTIONS, normalize=normalize,
                    bias=conv.bias is not None)
        layer.to(device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            layer.weight.copy_(kernel_to_direction_weights(conv.weight))
            if conv.bias is not None:
                layer.bias.copy_(conv.bias)
        return layer

    def forward(self, x: Tensor, edge_index: Tensor, edge_type: Tensor,
                edge_weight: Optional[Tensor] = None) -> Tensor:
        check_ndim(x, 'x', 2, '(N, C)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} features, got shape "
                             f"{tuple(x.shape)}")
        N = x.size(0)
        check_typed_edges(edge_index, edge_type, self.num_directions, edge_weight, num_src=N, num_dst=N)
        if self.normalize:  # Eq. 3: (D^d)^-1 A^d folded into the edge weights
            edge_weight = directional_edge_weight(edge_index, edge_type, N, self.num_directions,
                                                  edge_weight, dtype=x.dtype)
        out = typed_matmul_scatter(x, self.weight, edge_index, edge_type, edge_weight, dim_size=N)
        if self.bias is not None:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        extra = '' if self.normalize else ', normalize=False'
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'directions={self.num_directions}{extra})')


__all__ = ['DirectionalConv', 'directional_edge_weight', 'DEGREE_EPS']
