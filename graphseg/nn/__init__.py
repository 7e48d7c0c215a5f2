"""Layers: directional graph convolution, HG-Conv, RepGraph, HyperSeg, sparse/QGN, baselines."""

__all__: list = []

from .nonlocal_block import NonLocal2d
from .repgraph import RepGraph
from .repgraph_conv import RepGraphConv
from .repgraph_dense import representative_attention

__all__ += ['RepGraph', 'RepGraphConv', 'representative_attention', 'NonLocal2d']
