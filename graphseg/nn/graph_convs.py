r"""The graph convolutions graphseg runs on its typed image graphs, by name, in one table.

HG-Conv swaps its direction-aware convolution for PyG's GCN, GMM and EdgeConv and for
SplineConv (paper Table 3); the GNN baselines (:mod:`graphseg.experiments.gnn_baselines`)
compare the same layers on MNIST superpixels. Both build and call the layers through
:data:`GRAPH_CONVS`, so a layer is added in one place:

* ``build(in_channels, out_channels, bias, **kwargs)`` returns the layer;
* ``call(layer, x, edge_index, edge_type, edge_weight, pseudo)`` runs it, each layer
  reading what it understands: the direction types and weights (``'directional'``),
  the weights (``'gcn'``; ``None`` = unweighted), pseudo-coordinates in :math:`[0, 1]^2`
  (``'gmm'``, ``'spline'``; see :func:`cartesian_pseudo`) or only the edges.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional

import torch
from torch import Tensor, nn
from torch_geometric.nn import EdgeConv, GATConv, GCNConv, GMMConv

from ..check import check_choice, check_floating, check_index, check_ndim
from ..directions import NUM_DIRECTIONS
from ..ops.scatter import scatter
from ..ops.typed import check_typed_edges
from .directional_conv import DirectionalConv
from .spline_conv import SplineConv


def cartesian_pseudo(pos: Tensor, edge_index: Tensor, batch: Optional[Tensor] = None,
                     num_graphs: Optional[int] = None) -> Tensor:
    r"""Cartesian pseudo-coordinates in :math:`[0, 1]^2`:
    :math:`(p_j - p_i) / (2 \max|p_j - p_i|) + 0.5`.

    PyG's ``Cartesian(norm=True)`` for the edge ``j -> i``, applied to each graph
    of a batch on its own: the maximum runs over the edges of the graph the edge
    belongs to (``batch`` of its target node), so one image's coordinates never
    depend on the other images of the batch. It is not differentiated; a graph
    with only self-loops gets ``0.5``.

    Args:
        pos (Tensor): node positions.
        edge_index (LongTensor): ``[source; target]`` of each edge.
        batch (LongTensor, optional): graph of each node (PyG's ``batch``
            vector); default one graph.
        num_graphs (int, optional): number of graphs (default ``batch.max() + 1``).

    Shapes:
        - **input:** pos :math:`(N, 2)`, edge_index :math:`(2, E)`, batch :math:`(N,)`
        - **output:** :math:`(E, 2)`
    """
    check_ndim(pos, 'pos', 2, '(N, D)')
    check_floating(pos, 'pos')
    check_typed_edges(edge_index,
                      torch.zeros_like(edge_index[0]) if edge_index.dim() == 2 else edge_index, 1,
                      num_src=pos.size(0), num_dst=pos.size(0))
    if batch is not None:
        check_index(batch, 'batch')
        if batch.shape != (pos.size(0),):
            raise ValueError(f"batch must have shape (N,) = ({pos.size(0)},), got "
                             f"{tuple(batch.shape)}")
    cart = pos.index_select(0, edge_index[0]) - pos.index_select(0, edge_index[1])
    if not cart.numel():
        return cart + 0.5
    size = cart.detach().abs().amax(1)  # (E,)
    if batch is None:
        scale = size.amax().expand(cart.size(0))
    else:
        graph = batch.index_select(0, edge_index[1])  # (E,) graph of each edge
        num_graphs = int(batch.max()) + 1 if num_graphs is None else num_graphs
        scale = scatter(size, graph, 0, num_graphs, reduce='max').index_select(0, graph)
    return cart / (2 * scale.clamp_min(1e-12)).unsqueeze(-1) + 0.5


@dataclass(frozen=True)
class GraphConvSpec:
    """How one graph convolution is built and called (see the module docstring)."""
    build: Callable[..., nn.Module]
    call: Callable[..., Tensor]
    pseudo: bool = False  # reads pseudo-coordinates
    # for ops.macs.graph_conv_macs
    macs_kwargs: Callable[[nn.Module], Dict[str, int]] = lambda layer: {}


def _directional(in_channels: int, out_channels: int, bias: bool = True, **kwargs) -> nn.Module:
    return DirectionalConv(in_channels, out_channels, bias=bias, **kwargs)


def _gcn(in_channels: int, out_channels: int, bias: bool = True, **kwargs) -> nn.Module:
    return GCNConv(in_channels, out_channels, bias=bias, **kwargs)


def _gat(in_channels: int, out_channels: int, bias: bool = True, heads: int = 4,
         **kwargs) -> nn.Module:
    if out_channels % heads:
        raise ValueError(f"out_channels ({out_channels}) must be divisible by heads ({heads}) "
                         "for 'gat'")
    return GATConv(in_channels, out_channels // heads, heads=heads, bias=bias, **kwargs)


def _gmm(in_channels: int, out_channels: int, bias: bool = True, kernel_size: int = NUM_DIRECTIONS,
         **kwargs) -> nn.Module:
    return GMMConv(in_channels, out_channels, dim=2, kernel_size=kernel_size, bias=bias, **kwargs)


def _spline(in_channels: int, out_channels: int, bias: bool = True, kernel_size: int = 3,
            **kwargs) -> nn.Module:
    return SplineConv(in_channels, out_channels, dim=2, kernel_size=kernel_size, bias=bias,
                      **kwargs)


def _edgeconv(in_channels: int, out_channels: int, bias: bool = True, aggr: str = 'max',
              **kwargs) -> nn.Module:
    return EdgeConv(nn.Linear(2 * in_channels, out_channels, bias=bias), aggr=aggr, **kwargs)


def _typed_call(conv, x, edge_index, edge_type, edge_weight, pseudo):
    return conv(x, edge_index, edge_type, edge_weight)


def _weighted_call(conv, x, edge_index, edge_type, edge_weight, pseudo):
    return conv(x, edge_index, edge_weight)


def _pseudo_call(conv, x, edge_index, edge_type, edge_weight, pseudo):
    return conv(x, edge_index, pseudo)


def _plain_call(conv, x, edge_index, edge_type, edge_weight, pseudo):
    return conv(x, edge_index)


#: name -> how to build and call the layer
GRAPH_CONVS: Dict[str, GraphConvSpec] = {
    'directional': GraphConvSpec(_directional, _typed_call),
    'gcn': GraphConvSpec(_gcn, _weighted_call),
    'gat': GraphConvSpec(_gat, _plain_call),
    'gmm': GraphConvSpec(
        _gmm,
        _pseudo_call,
        pseudo=True,
        macs_kwargs=lambda layer: {'kernel_size': int(layer.kernel_size)},
    ),
    'spline': GraphConvSpec(
        _spline,
        _pseudo_call,
        pseudo=True,
        macs_kwargs=lambda layer: {
            'kernel_size': int(layer.K),
            'spline_products': int((layer.degree + 1) ** layer.dim),
        },
    ),
    'edgeconv': GraphConvSpec(_edgeconv, _plain_call),
}

#: The graph convolutions HG-Conv can run on its group graph (paper Table 3).
CONVS = ('directional', 'gcn', 'gmm', 'spline', 'edgeconv')


def make_graph_conv(name: str, in_channels: int, out_channels: int, bias: bool = True,
                    **kwargs) -> nn.Module:
    """One graph convolution of HG-Conv by name (see :data:`CONVS`); ``kwargs`` go to the layer."""
    check_choice(name, 'conv', CONVS)
    return GRAPH_CONVS[name].build(in_channels, out_channels, bias, **kwargs)


__all__ = ['GraphConvSpec', 'GRAPH_CONVS', 'CONVS', 'make_graph_conv', 'cartesian_pseudo']
