"""Transform-safe editing of direction-typed graphs (``edge_type`` stays aligned with
``edge_index``).

PyG's generic transforms know nothing of ``edge_type``: ``T.AddSelfLoops``
appends edges to ``edge_index`` and ``edge_weight`` only, leaving ``edge_type``
shorter than ``edge_index`` (graphseg's layers then stop with an error naming the
mismatch). :class:`AddTypedSelfLoops` is the typed counterpart; :class:`TypedEdges` recomputes the
typed edges of a superpixel graph with other clean-up settings.
``T.ToSparseTensor`` is safe on graphs with at most one edge per ordered pair
(the default ``max_direction=True``): it keeps ``edge_type`` in the order of the
stored entries, which :class:`~graphseg.nn.DirectionalConv` reads as
``conv(x, data.adj_t, data.edge_type)``; with several directions per pair it
merges parallel edges, and the layer reports the count mismatch.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch_geometric.data import Data
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from ..check import check_int
from ..directions import CENTER
from ..ops.typed import check_typed_edges
from .group_adjacency import group_adjacency


@functional_transform('add_typed_self_loops')
class AddTypedSelfLoops(BaseTransform):
    r"""Give every node the self direction: an edge ``i -> i`` of type ``CENTER = 4`` (functional
    name ``add_typed_self_loops``).

    Nodes that already have a type-4 self-loop keep it (as PyG's
    ``add_remaining_self_loops``), so the transform is idempotent; the new
    edges get ``edge_type = 4`` and ``edge_weight = fill_value`` (when the graph
    has weights). Edges are then sorted by (target, source, type), the order of
    :func:`~graphseg.graphs.group_adjacency`.

    Args:
        attr (str): name of the edge weight attribute. (default: ``'edge_weight'``)
        fill_value (float): weight of the new self-loops. (default: ``1.0``)
        self_type (int): the type of a self-loop. (default: ``CENTER = 4``)
    """

    def __init__(self, attr: str = 'edge_weight', fill_value: float = 1.,
                 self_type: int = CENTER) -> None:
        if isinstance(fill_value, bool) or not isinstance(fill_value,
                                                          (int, float)) or not fill_value >= 0:
            raise ValueError(f"fill_value must be a number >= 0, got {fill_value!r}")
        check_int(self_type, 'self_type', 0)
        self.attr, self.fill_value, self.self_type = attr, float(fill_value), self_type

    def forward(self, data: Data) -> Data:
        if not isinstance(data, Data):
            raise TypeError(f"data must be a torch_geometric Data, got {type(data).__name__}")
        if getattr(data, 'edge_index', None) is None or getattr(data, 'edge_type', None) is None:
            raise ValueError("data must have edge_index and edge_type (a direction-typed graph)")
        ei, et = data.edge_index, data.edge_type
        ew: Optional[torch.Tensor] = data[self.attr] if self.attr in data else None
        N = data.num_nodes
        check_typed_edges(ei, et, max(int(et.max()) + 1 if et.numel() else 1, self.self_type + 1),
                          ew, N, N)
        E = ei.size(1)
        others = [
            k
            for k in data.keys()
            if k not in ('edge_index', 'edge_type', self.attr)
            and data.is_edge_attr(k)
            and torch.is_tensor(data[k])
            and data[k].dim()
            and data[k].size(0) == E
        ]
        if others:
            raise ValueError("AddTypedSelfLoops cannot invent values of the edge attribute(s) "
                             f"{others} for the "
                             f"new self-loops; drop them first (del data[{others[0]!r}])")
        has = torch.zeros(N, dtype=torch.bool, device=ei.device)
        loop = (ei[0] == ei[1]) & (et == self.self_type)
        has[ei[1][loop]] = True
        new = (~has).nonzero().view(-1)
        ei = torch.cat([ei, new.to(ei.dtype).expand(2, -1)], dim=1)
        et = torch.cat([et, torch.full_like(new, self.self_type, dtype=et.dtype)])
        T = int(et.max()) + 1 if et.numel() else 1
        order = torch.argsort((ei[1].long() * max(N, 1) + ei[0].long()) * T + et.long(),
                              stable=True)
        data.edge_index, data.edge_type = ei[:, order], et[order]
        if ew is not None:
            data[self.attr] = torch.cat([ew, ew.new_full((new.numel(),), self.fill_value)])[order]
        return data

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(attr={self.attr!r}, fill_value={self.fill_value})'


class TypedEdges(BaseTransform):
    r"""Recompute the direction-typed edges of a superpixel graph from its ``seg`` map.

    Re-runs :func:`~graphseg.graphs.group_adjacency` with other clean-up
    settings (e.g. ``noise_cancel=False, max_direction=False`` for the raw
    :math:`S^\top A^\delta S`) without re-running SLIC; ``pos``, ``x`` and the
    other attributes are kept.

    Args:
        noise_cancel (bool): Eq. 7. (default: ``True``)
        max_direction (bool): one direction per ordered pair. (default: ``True``)
    """

    def __init__(self, noise_cancel: bool = True, max_direction: bool = True) -> None:
        self.noise_cancel, self.max_direction = noise_cancel, max_direction

    def forward(self, data: Data) -> Data:
        if getattr(data, 'seg', None) is None:
            raise ValueError("TypedEdges needs data.seg, the pixel-to-node map (build the "
                             "dataset with keep_seg=True)")
        seg = data.seg[0]
        H, W = seg.shape
        ei, et, ew = group_adjacency(seg, H, W, num_groups=data.num_nodes,
                                     noise_cancel=self.noise_cancel,
                                     max_direction=self.max_direction)
        data.edge_index, data.edge_type = ei, et
        data.edge_weight = ew.to(data.pos.dtype)
        return data

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(noise_cancel={self.noise_cancel}, '
                f'max_direction={self.max_direction})')


__all__ = ['AddTypedSelfLoops', 'TypedEdges']
