"""Layers: directional graph convolution, HG-Conv, RepGraph, HyperSeg, sparse/QGN, baselines."""

__all__: list = []

# HG-Conv (issue 3)
from .active_focus import ActiveFocus, active_focus, object_attention, uncertainty_attention
from .clustering import (DifferentiableSLIC, SoftClustering, differentiable_slic, importance_map,
                         nearest_centres, sample_centres)
from .directional_conv import DirectionalConv
from .hgconv import CONVS, HGConv, cartesian_pseudo, make_graph_conv
from .spline_conv import SplineConv, available_spline_backends, spline_basis, spline_weighting

__all__ += ['DirectionalConv', 'HGConv', 'DifferentiableSLIC', 'SoftClustering', 'differentiable_slic',
            'importance_map', 'sample_centres', 'nearest_centres', 'active_focus', 'object_attention',
            'uncertainty_attention', 'ActiveFocus', 'SplineConv', 'spline_basis', 'spline_weighting',
            'available_spline_backends', 'make_graph_conv', 'cartesian_pseudo', 'CONVS']

# HyperSeg (issue 5)
from .hyperseg import (ContextHead, DPWConv2d, HyperConv, MetaBlock, WeightMapper, divide_channels, fuse_bn,
                       positional_encoding)

__all__ += ['ContextHead', 'DPWConv2d', 'HyperConv', 'MetaBlock', 'WeightMapper', 'divide_channels', 'fuse_bn',
            'positional_encoding']

# Sparse convolution and QGN (issue 6)
from .sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU, SparseUpsample,
                     SubmanifoldConv2d, sparse_gather, sparse_upsample)
from .qgn import QGNDecoder, QGNOutput, TransBasicBlock, qgn_inference
from .qgn_loss import QGNLoss, level_loss

__all__ += ['SubmanifoldConv2d', 'SparseBatchNorm', 'SparseReLU', 'SparseLinear', 'SparseUpsample',
            'SparseConvTranspose2d', 'sparse_upsample', 'sparse_gather',
            'QGNDecoder', 'QGNOutput', 'TransBasicBlock', 'qgn_inference', 'QGNLoss', 'level_loss']

# RepGraph and its non-local baseline (issue 4)
from .nonlocal_block import NonLocal2d
from .repgraph import RepGraph
from .repgraph_conv import RepGraphConv
from .repgraph_dense import representative_attention

__all__ += ['RepGraph', 'RepGraphConv', 'representative_attention', 'NonLocal2d']
