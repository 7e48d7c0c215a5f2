"""Conversions of direction-typed graphs: networkx export and a dense view for notebooks."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..ops.typed import check_typed_edges
from .directions import DIRECTIONS, NUM_DIRECTIONS


def to_networkx(data: Data, *, node_attrs: tuple = ('x', 'pos', 'num_pixels')):
    """Export a direction-typed graph to networkx, keeping direction and weight on every edge.

    Each edge ``j -> i`` becomes a networkx edge ``(j, i)`` with attributes
    ``direction`` (type id ``k``), ``offset`` (``DIRECTIONS[k]`` as ``(dy, dx)``)
    and ``weight`` (``edge_weight``, 1 when the graph has none). The result is a
    :class:`networkx.DiGraph`, or a :class:`networkx.MultiDiGraph` when some
    ordered pair carries several directions (``max_direction=False``).

    Args:
        data (Data): with ``edge_index`` :math:`(2, E)` and ``edge_type`` :math:`(E,)`;
            optional ``edge_weight`` :math:`(E,)`.
        node_attrs (tuple): node attributes copied when present (as lists).
    """
    import networkx as nx

    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric Data, got {type(data).__name__}")
    if getattr(data, 'edge_index', None) is None or getattr(data, 'edge_type', None) is None:
        raise ValueError("data must have edge_index and edge_type (a direction-typed graph)")
    ei, et = data.edge_index.cpu(), data.edge_type.cpu()
    ew = data.edge_weight.cpu() if getattr(data, 'edge_weight', None) is not None else None
    check_typed_edges(ei, et, NUM_DIRECTIONS, ew, data.num_nodes, data.num_nodes)
    pairs = ei[0] * max(data.num_nodes, 1) + ei[1]
    multi = pairs.unique().numel() < pairs.numel()
    g = nx.MultiDiGraph() if multi else nx.DiGraph()
    for v in range(data.num_nodes):
        attrs = {}
        for key in node_attrs:
            value = getattr(data, key, None) if key in data else None
            if isinstance(value, Tensor) and value.size(0) == data.num_nodes:
                attrs[key] = value[v].tolist()
        g.add_node(v, **attrs)
    weights = ew.tolist() if ew is not None else [1.0] * et.numel()
    for s, d, k, w in zip(ei[0].tolist(), ei[1].tolist(), et.tolist(), weights):
        g.add_edge(s, d, direction=k, offset=DIRECTIONS[k], weight=w)
    return g


def to_dense_adjacency(edge_index: Tensor, edge_type: Tensor, edge_weight: Optional[Tensor] = None,
                       num_nodes: Optional[int] = None, num_types: int = NUM_DIRECTIONS) -> Tensor:
    r"""Dense stack :math:`\hat A \in \mathbb{R}^{T \times N \times N}` with ``A[k, i, j]`` = weight of edge ``j -> i`` of type ``k``.

    For looking at small graphs (notebooks, tests); graphseg's layers never
    build it. Parallel edges of one type add up.

    Shapes:
        - **input:** edge_index :math:`(2, E)`, edge_type :math:`(E,)`, edge_weight :math:`(E,)`
        - **output:** :math:`(T, N, N)`
    """
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    check_typed_edges(edge_index, edge_type, num_types, edge_weight, num_nodes, num_nodes)
    w = edge_weight if edge_weight is not None else torch.ones(edge_type.numel(), device=edge_type.device)
    out = w.new_zeros(num_types, num_nodes, num_nodes)
    out.index_put_((edge_type.long(), edge_index[1].long(), edge_index[0].long()), w, accumulate=True)
    return out


__all__ = ['to_networkx', 'to_dense_adjacency']
