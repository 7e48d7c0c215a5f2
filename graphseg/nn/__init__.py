"""Layers. The shared graph layers live at this level (:class:`DirectionalConv`,
:class:`SplineConv`, :class:`DeformConv2d`, the sparse convolutions); each method has its own
subpackage: :mod:`.hgconv`, :mod:`.repgraph`, :mod:`.hyperseg`, :mod:`.qgn`. Every public name is
re-exported here (``graphseg.nn.HGConv``)."""
# shared graph layers
from .deform_conv import DeformConv2d, DeformConv2dPack, deform_conv2d
from .directional_conv import DirectionalConv
from .graph_convs import CONVS, GRAPH_CONVS, GraphConvSpec, cartesian_pseudo, make_graph_conv
from .sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU,
                     SparseUpsample, SubmanifoldConv2d, sparse_gather, sparse_upsample)
from .spline_conv import SplineConv, available_spline_backends, spline_basis, spline_weighting

# HG-Conv (Hamaguchi et al., CVPR 2021)
from .hgconv import (ActiveFocus, DifferentiableSLIC, HGConv, SoftClustering, active_focus,
                     differentiable_slic, importance_map, nearest_centres, object_attention,
                     sample_centres, uncertainty_attention)
# RepGraph (Yu et al., ECCV 2020) and its non-local baseline
from .repgraph import NonLocal2d, RepGraph, RepGraphConv, representative_attention
# HyperSeg (Nirkin et al., CVPR 2021)
from .hyperseg import (ContextHead, DPWConv2d, HyperConv, MetaBlock, WeightMapper, divide_channels,
                       fuse_bn, positional_encoding)
# QGN (Chitta et al., WACV 2020)
from .qgn import (QGNDecoder, QGNLoss, QGNOutput, TransBasicBlock, TransBottleneck, level_loss,
                  qgn_inference)

__all__ = [
    'DirectionalConv', 'DeformConv2d', 'DeformConv2dPack', 'deform_conv2d',
    'SplineConv', 'spline_basis', 'spline_weighting', 'available_spline_backends',
    'SubmanifoldConv2d', 'SparseBatchNorm', 'SparseReLU', 'SparseLinear', 'SparseUpsample',
    'SparseConvTranspose2d', 'sparse_upsample', 'sparse_gather', 'HGConv', 'DifferentiableSLIC',
    'SoftClustering', 'differentiable_slic', 'importance_map', 'sample_centres', 'nearest_centres',
    'active_focus', 'object_attention', 'uncertainty_attention', 'ActiveFocus', 'make_graph_conv',
    'cartesian_pseudo', 'CONVS', 'GRAPH_CONVS', 'GraphConvSpec', 'RepGraph', 'RepGraphConv',
    'representative_attention', 'NonLocal2d', 'ContextHead', 'DPWConv2d', 'HyperConv', 'MetaBlock',
    'WeightMapper', 'divide_channels', 'fuse_bn', 'positional_encoding', 'QGNDecoder', 'QGNOutput',
    'TransBasicBlock', 'TransBottleneck', 'qgn_inference', 'QGNLoss', 'level_loss',
]
