"""Conversions of direction-typed graphs: networkx export (PyG field names) and a dense view for
notebooks."""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import to_networkx as pyg_to_networkx

from ..ops.typed import check_typed_edges
from ..directions import NUM_DIRECTIONS


def to_networkx(data: Data, *, node_attrs: Sequence[str] = ('x', 'pos', 'num_pixels'),
                edge_attrs: Sequence[str] = ('edge_type', 'edge_weight', 'edge_attr'),
                graph_attrs: Sequence[str] = ('seg',)):
    """Export a direction-typed graph to networkx under PyG's field names, so it round-trips.

    Each edge ``j -> i`` becomes the networkx edge ``(j, i)`` carrying
    ``edge_type`` (the direction ``k``; its offset is ``DIRECTIONS[k]``) and,
    when the graph has them, ``edge_weight`` and ``edge_attr``; nodes carry
    ``x``, ``pos`` and ``num_pixels`` when present; ``seg`` (the pixel -> node
    map) becomes the graph attribute ``G.graph['seg']``. These are the names
    :func:`torch_geometric.utils.from_networkx` reads back, so
    ``from_networkx(to_networkx(data))`` returns a :class:`~torch_geometric.data.Data`
    with the same ``edge_index``, ``edge_type``, ``edge_weight``, ``x``,
    ``pos``, ``num_pixels`` and ``seg``, up to three things networkx does not keep:

    * the edge order: networkx lists edges by source node, graphseg sorts them
      by target (sort both by ``(source, target, type)`` to compare);
    * the dtypes: values travel as Python numbers, so floating attributes come
      back as ``torch.get_default_dtype()`` (float64 ones lose precision) and
      integer ones as ``torch.long``;
    * the class: a plain ``Data`` (wrap it as ``SuperpixelData(**d.to_dict())``
      for ``seg`` to batch again).

    Every other attribute is dropped. networkx algorithms read the weight under
    its name: ``nx.shortest_path(G, weight='edge_weight')``. The result is a
    :class:`networkx.DiGraph`, or a :class:`networkx.MultiDiGraph` when some
    ordered pair carries several directions (``max_direction=False``).

    Args:
        data (Data): with ``edge_index`` :math:`(2, E)` and ``edge_type`` :math:`(E,)`;
            optional ``edge_weight`` :math:`(E,)`.
        node_attrs (sequence of str): node attributes copied when present.
        edge_attrs (sequence of str): edge attributes copied when present.
        graph_attrs (sequence of str): graph attributes copied when present.
    """

    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric Data, got {type(data).__name__}")
    if getattr(data, 'edge_index', None) is None or getattr(data, 'edge_type', None) is None:
        raise ValueError("data must have edge_index and edge_type (a direction-typed graph)")
    ei, et = data.edge_index.cpu(), data.edge_type.cpu()
    ew = data.edge_weight.cpu() if getattr(data, 'edge_weight', None) is not None else None
    check_typed_edges(ei, et, NUM_DIRECTIONS, ew, data.num_nodes, data.num_nodes)
    pairs = ei[0] * max(data.num_nodes, 1) + ei[1]
    multi = pairs.unique().numel() < pairs.numel()

    def present(keys: Sequence[str], size: Optional[int]) -> List[str]:
        out = []
        for key in keys:
            value = data[key] if key in data else None
            if isinstance(value,
                          Tensor) and (size is None or (value.dim() and value.size(0) == size)):
                out.append(key)
        return out
    return pyg_to_networkx(data, node_attrs=present(node_attrs, data.num_nodes),
                           edge_attrs=present(edge_attrs, et.numel()),
                           graph_attrs=present(graph_attrs, None), to_multi=multi)


def to_dense_adjacency(edge_index: Tensor, edge_type: Tensor, edge_weight: Optional[Tensor] = None,
                       num_nodes: Optional[int] = None, num_types: int = NUM_DIRECTIONS) -> Tensor:
    r"""Dense stack :math:`\hat A \in \mathbb{R}^{T \times N \times N}` with ``A[k, i, j]`` = weight
    of edge ``j -> i`` of type ``k``.

    For looking at small graphs (notebooks, tests); graphseg's layers never
    build it. Parallel edges of one type add up.

    Shapes:
        - **input:** edge_index :math:`(2, E)`, edge_type :math:`(E,)`, edge_weight :math:`(E,)`
        - **output:** :math:`(T, N, N)`
    """
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    check_typed_edges(edge_index, edge_type, num_types, edge_weight, num_nodes, num_nodes)
    w = edge_weight if edge_weight is not None else torch.ones(edge_type.numel(),
                                                               device=edge_type.device)
    out = w.new_zeros(num_types, num_nodes, num_nodes)
    out.index_put_((edge_type.long(), edge_index[1].long(), edge_index[0].long()), w,
                   accumulate=True)
    return out


__all__ = ['to_networkx', 'to_dense_adjacency']
