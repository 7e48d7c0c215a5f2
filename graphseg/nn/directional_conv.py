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

The layer runs graphseg's typed-edge kernel (:func:`graphseg.ops.typed_matmul_scatter`)
through PyG's :meth:`~torch_geometric.nn.MessagePassing.propagate`: the
normalisation is folded into the per-edge weights :math:`w_{j \to i} / D^{\tau}_{ii}`,
``x @ [W_0 | ... | W_8]`` is one matmul before propagating, the message of an
edge is one gathered row of it, and the aggregation one scatter-add (or, fused,
:meth:`DirectionalConv.message_and_aggregate` on a sparse adjacency); never a
Python loop over directions.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import is_sparse

from ..check import check_floating, check_int, check_ndim, check_param_dtype, check_same_device
from ..directions import NUM_DIRECTIONS, kernel_to_direction_weights
from ..ops.scatter import resolve_backend, scatter
from ..ops.typed import check_typed_edges, typed_degree
from ..typing import Adj, OptTensor, SparseTensor

#: Lower bound of the per-direction degree :math:`D^\delta_{ii}` (Eq. 3).
DEGREE_EPS = 1e-7


def directional_edge_weight(edge_index: Tensor, edge_type: Tensor, num_nodes: int,
                            num_directions: int = NUM_DIRECTIONS,
                            edge_weight: Optional[Tensor] = None,
                            dtype: Optional[torch.dtype] = None) -> Tensor:
    r"""Per-edge weights of :math:`(D^\delta)^{-1} A^\delta` (Eq. 3):
    :math:`w_{j \to i} / D^{\tau(j \to i)}_{ii}`.

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
        edge_weight = torch.ones(dst.numel(), device=dst.device,
                                 dtype=dtype or torch.get_default_dtype())
    deg = typed_degree(dst, edge_type, num_nodes, num_directions, edge_weight)  # (N, T)
    deg = deg.clamp_min(DEGREE_EPS).view(-1)
    return edge_weight / deg.index_select(0, dst.long() * num_directions + edge_type.long())


def sparse_entries(adj_t: Adj, name: str = 'edge_index'
                   ) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """``(row, col, value)`` of a sparse adjacency in its storage order (the order
    ``T.ToSparseTensor`` leaves ``edge_type`` in): a ``torch_sparse.SparseTensor`` or a
    ``torch.sparse`` COO / CSR tensor. ``value`` is ``None`` for a ``SparseTensor`` without
    values."""
    if isinstance(adj_t, SparseTensor):
        row, col, value = adj_t.coo()
        return row, col, value
    if adj_t.layout == torch.sparse_coo:
        if adj_t.sparse_dim() != 2 or adj_t.dense_dim() != 0:
            raise ValueError(f"{name} must be a 2-D sparse adjacency with one scalar per entry, "
                             f"got a sparse tensor of shape {tuple(adj_t.shape)} with dense_dim "
                             f"{adj_t.dense_dim()}")
        idx = adj_t.indices() if adj_t.is_coalesced() else adj_t._indices()
        val = adj_t.values() if adj_t.is_coalesced() else adj_t._values()
        return idx[0], idx[1], val
    if adj_t.layout == torch.sparse_csr:
        if adj_t.dim() != 2 or adj_t.values().dim() != 1:
            raise ValueError(f"{name} must be a 2-D sparse adjacency with one scalar per entry, "
                             f"got a CSR tensor of shape {tuple(adj_t.shape)}")
        crow, col = adj_t.crow_indices(), adj_t.col_indices()
        row = torch.repeat_interleave(torch.arange(adj_t.size(0), device=col.device), crow.diff())
        return row, col, adj_t.values()
    raise ValueError(f"{name} must be an edge index (2, E), a torch_sparse.SparseTensor or a "
                     "torch.sparse "
                     f"COO / CSR tensor, got a sparse tensor with layout {adj_t.layout}")


def _sparse_edges(
    adj_t: Adj, edge_type: OptTensor, edge_weight: OptTensor, N: int
) -> Tuple[Tensor, OptTensor]:
    """The edge index ``(2, E)`` of a sparse adjacency (storage order) and its edge weights, once
    the adjacency, its values and ``edge_type`` are checked against each other."""
    if (adj_t.size(0), adj_t.size(1)) != (N, N):
        raise ValueError(f"edge_index (a sparse adjacency) must have shape (N, N) = ({N}, {N}), "
                         f"got {(adj_t.size(0), adj_t.size(1))}")
    row, col, value = sparse_entries(adj_t)
    if value is not None:
        if edge_weight is not None:
            raise ValueError("edge_weight must be None when edge_index is a sparse adjacency with "
                             "values: its values are the edge weights")
        if not value.is_floating_point():
            raise TypeError("the values of the sparse adjacency edge_index are edge weights and "
                            f"must be floating, got {value.dtype}; pass the direction types as "
                            "edge_type")
        edge_weight = value
    if edge_type is None:
        raise ValueError("edge_type is required: a sparse adjacency carries no direction types; "
                         "pass one type per stored entry, in storage order (T.ToSparseTensor keeps "
                         "data.edge_type in that order)")
    check_ndim(edge_type, 'edge_type', 1, '(E,)')
    if edge_type.numel() != row.numel():
        raise ValueError(f"edge_type must hold one type per stored entry of the sparse adjacency "
                         f"edge_index ({row.numel()}), got {edge_type.numel()}; a sparse "
                         "adjacency keeps "
                         "one entry per (target, source) pair, so pass a graph with several "
                         f"directions per pair (max_direction=False) as an edge index (2, E)")
    return torch.stack([col, row]), edge_weight


class DirectionalConv(MessagePassing):
    r"""The direction-aware graph convolution of HG-Conv (`Hamaguchi et al., CVPR 2021
    <https://arxiv.org/abs/2104.11176>`_, Eq. 2-3).

    .. math::
        \mathbf{Z} = \sum_{\delta} (D^\delta)^{-1} A^\delta \mathbf{X} \mathbf{W}_\delta
        + \mathbf{b}, \qquad D^\delta_{ii} = \max\Big(\sum_j A^\delta_{ij},\ 10^{-7}\Big)

    where an edge ``j -> i`` of type :math:`\delta` with weight ``w`` is
    :math:`A^\delta_{ij} = w` (see :mod:`graphseg.directions`). On
    :func:`~graphseg.graphs.grid_graph` it equals ``F.conv2d(x, w, b,
    padding=1)`` (:meth:`from_conv2d` copies a 3x3 convolution); on the group
    graph of :func:`~graphseg.graphs.group_adjacency` it is HG-Conv's graph
    convolution (Eq. 9 without the activation).

    Like PyG's ``FastRGCNConv`` the type weights are gathered per edge without a
    loop over types; here the matmul comes first (``h = x @ W`` for all 9
    directions, :math:`N C \cdot 9 C'` MACs), then :meth:`propagate`: the
    message of ``j -> i`` is row ``(j, tau)`` of ``h`` times the normalised
    weight (one gather of :math:`E C'` values) and the aggregation a scatter-add,
    the typed-edge kernel of :func:`graphseg.ops.typed_matmul_scatter` (whose
    ``'torch'`` / ``'torch_scatter'`` backends apply). PyG's hooks and
    explainers see the messages. A sparse adjacency (``adj_t``, PyG's
    transposed convention, as ``T.ToSparseTensor`` makes it) runs the fused
    :meth:`message_and_aggregate` (a ``SparseTensor`` SpMM with the
    ``'torch_sparse'`` backend). ``torch.compile(fullgraph=True)`` traces the
    edge-index path without graph breaks.

    Args:
        in_channels (int): :math:`C`.
        out_channels (int): :math:`C'`.
        num_directions (int): number of edge types. (default: ``9``)
        normalize (bool): divide each direction by its degree (Eq. 3); without
            it the layer computes Eq. 2. (default: ``True``)
        bias (bool): add a learnable bias. (default: ``True``)
        **kwargs: passed to :class:`torch_geometric.nn.MessagePassing`
            (the aggregation is the sum of Eq. 2; ``aggr`` cannot change it).

    Shapes:
        - **input:** node features :math:`(|V|, C)`; edge indices :math:`(2, |E|)`
          or a sparse adjacency :math:`(|V|, |V|)` (row = target) whose values are
          the edge weights; edge types :math:`(|E|,)` (for a sparse adjacency in
          the order of its stored entries); edge weights :math:`(|E|,)`
          (optional, non-negative)
        - **output:** node features :math:`(|V|, C')`
    """

    def __init__(self, in_channels: int, out_channels: int, num_directions: int = NUM_DIRECTIONS,
                 normalize: bool = True, bias: bool = True, **kwargs) -> None:
        aggr = kwargs.pop('aggr', 'add')
        if aggr not in ('add', 'sum'):
            raise ValueError("aggr must be 'add' (DirectionalConv sums over neighbours and "
                             f"directions, Eq. 2), got {aggr!r}")
        if kwargs.get('decomposed_layers', 1) != 1:
            raise ValueError("decomposed_layers must be 1 (the messages gather rows of x @ W, "
                             f"there is no x_j to split), got {kwargs['decomposed_layers']!r}")
        if kwargs.get('flow', 'source_to_target') != 'source_to_target':
            raise ValueError("flow must be 'source_to_target' (edges point from neighbour to "
                             f"centre), got {kwargs['flow']!r}")
        super().__init__(aggr='add', node_dim=0, **kwargs)
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels),
                        ('num_directions', num_directions)):
            check_int(v, name, 1)
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

    def forward(self, x: Tensor, edge_index: Adj, edge_type: OptTensor = None,
                edge_weight: Optional[Tensor] = None) -> Tensor:
        self._check_x(x)
        N = x.size(0)
        adj_t = None
        if is_sparse(edge_index):  # adj_t: row = target i, col = source j, value = A_ij
            adj_t = edge_index
            edge_index, edge_weight = _sparse_edges(adj_t, edge_type, edge_weight, N)
        elif edge_type is None:
            raise ValueError("edge_type is required: DirectionalConv needs the direction of "
                             "every edge")
        self._check_edges(x, edge_index, edge_type, edge_weight)
        if self.normalize:  # Eq. 3: (D^d)^-1 A^d folded into the edge weights
            edge_weight = directional_edge_weight(edge_index, edge_type, N, self.num_directions,
                                                  edge_weight, dtype=x.dtype)
        T, C_out = self.num_directions, self.out_channels
        # [N*T, C']
        h = (x @ self.weight.permute(1, 0, 2).reshape(self.in_channels, T * C_out)).view(N * T,
                                                                                         C_out)
        if adj_t is not None and not self.explain:
            out = self.propagate(adj_t, h=h, edge_type=edge_type, edge_weight=edge_weight)
        else:
            out = self.propagate(edge_index, h=h, edge_type=edge_type, edge_weight=edge_weight,
                                 size=(N, N))
        if self.bias is not None:
            out = out + self.bias
        return out

    def _check_x(self, x: Tensor) -> None:
        check_ndim(x, 'x', 2, '(N, C)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} features, got shape "
                             f"{tuple(x.shape)}")
        check_param_dtype(x, 'x', self.weight)
        check_same_device('x', x, 'the layer weight', self.weight)

    def _check_edges(self, x: Tensor, edge_index: Tensor, edge_type: Tensor,
                     edge_weight: OptTensor) -> None:
        N = x.size(0)
        check_typed_edges(edge_index, edge_type, self.num_directions, edge_weight, num_src=N,
                          num_dst=N)
        check_same_device('x', x, 'edge_index', edge_index)
        if edge_weight is not None:
            check_same_device('x', x, 'edge_weight', edge_weight)
            if (
                edge_weight.numel()
                and not torch.compiler.is_compiling()
                and bool((edge_weight < 0).any())
            ):
                raise ValueError("edge_weight must be >= 0 (pixel-pair counts; the degree "
                                 "normalisation of "
                                 f"Eq. 3 needs them), got min {float(edge_weight.min()):g}")

    def message(self, h: Tensor, edge_index_j: Tensor, edge_type: Tensor,
                edge_weight: Optional[Tensor]) -> Tensor:
        """Message of ``j -> i``: :math:`w_{j \\to i} \\mathbf{x}_j \\mathbf{W}_{\\tau}`, row
        ``(j, tau)`` of ``h``."""
        # [E, C']
        msg = h.index_select(0, edge_index_j.long() * self.num_directions + edge_type.long())
        return msg if edge_weight is None else msg * edge_weight.unsqueeze(-1)

    def aggregate(self, inputs: Tensor, index: Tensor, ptr: Optional[Tensor] = None,
                  dim_size: Optional[int] = None) -> Tensor:
        """Sum of the messages per target (Eq. 2), by graphseg's scatter (``'torch'`` /
        ``'torch_scatter'``)."""
        # None: the global backend
        backend = None if resolve_backend(None) != 'torch_sparse' else 'torch'
        return scatter(inputs, index, 0, dim_size, reduce='sum', backend=backend)

    def message_and_aggregate(self, adj_t: Union[Tensor, SparseTensor], h: Tensor,
                              edge_type: Tensor, edge_weight: Optional[Tensor]) -> Tensor:
        """The fused typed-edge kernel on a sparse adjacency: :math:`[A^0 | \\dots | A^8]` times
        ``h``."""
        row, col, _ = sparse_entries(adj_t)
        T = self.num_directions
        N = adj_t.size(0)
        typed_col = col.long() * T + edge_type.long()  # column (j, tau) of the typed adjacency
        if resolve_backend(None) == 'torch_sparse':
            typed = SparseTensor(row=row.long(), col=typed_col, value=edge_weight,
                                 sparse_sizes=(N, h.size(0)))
            return typed.matmul(h)
        msg = h.index_select(0, typed_col)  # [E, C']
        if edge_weight is not None:
            msg = msg * edge_weight.unsqueeze(-1)
        return self.aggregate(msg, row.long(), dim_size=N)

    def __repr__(self) -> str:
        extra = '' if self.normalize else ', normalize=False'
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'directions={self.num_directions}{extra})')


__all__ = ['DirectionalConv', 'directional_edge_weight', 'sparse_entries', 'DEGREE_EPS']
