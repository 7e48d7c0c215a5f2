"""HG-Conv (Hamaguchi et al., CVPR 2021): differentiable clustering, active focus, the group graph
and the module. The swap-in graph convolutions of Table 3 are in :mod:`graphseg.nn.graph_convs`."""
from ..graph_convs import CONVS, cartesian_pseudo, make_graph_conv
from .active_focus import (ActiveFocus, active_focus, check_attention, object_attention,
                           uncertainty_attention)
from .clustering import (SAMPLING, DifferentiableSLIC, SoftClustering, differentiable_slic,
                         importance_map, nearest_centres, sample_centres, sample_centres_per_image)
from .group_graph import GroupGraph, HGClustering
from .hgconv import HGConv

__all__ = ['HGConv', 'HGClustering', 'GroupGraph', 'CONVS', 'make_graph_conv', 'cartesian_pseudo',
           'DifferentiableSLIC', 'SoftClustering', 'sample_centres_per_image',
           'differentiable_slic', 'importance_map', 'nearest_centres', 'sample_centres', 'SAMPLING',
           'ActiveFocus', 'active_focus', 'object_attention', 'uncertainty_attention',
           'check_attention']
