r"""Images as PyG graphs: pixel grids, group adjacency (HG-Conv's :math:`S^\top A^\delta S`), SLIC
superpixels, representative-node graphs (RepGraph), quadtrees (QGN), networkx export and typed-edge
transforms. The direction convention lives in :mod:`graphseg.directions` and is re-exported here."""
from .convert import to_dense_adjacency, to_networkx
from .data import PixelMapData
from ..directions import (CENTER, DIRECTIONS, NUM_DIRECTIONS, direction_index, direction_tensor,
                          direction_weights_to_kernel, kernel_to_direction_weights, opposite)
from .grid import grid_graph, pixel_positions
from .group_adjacency import Assignment, SoftAssignment, group_adjacency
from .quadtree import (CHILD_EDGE_TYPE, NUM_QUADTREE_EDGE_TYPES, Quadtree, QuadtreeData,
                       from_official_labels, pad_to_multiple, quadtree_graph, slic_quadtree,
                       t_pyramid, to_official_labels)
from .representative import (anchor_positions, bilinear_neighbors, lattice_node_map, pixel_anchor,
                             representative_graph, sample_positions, sampling_pattern)
from .slic import slic_torch
from .superpixel import SuperpixelData, ToDirectionalSLIC, superpixel_graph
from .transforms import AddTypedSelfLoops, TypedEdges

__all__ = [
    # conventions and the pixel lattice
    'DIRECTIONS', 'NUM_DIRECTIONS', 'CENTER', 'opposite', 'direction_index', 'direction_tensor',
    'kernel_to_direction_weights', 'direction_weights_to_kernel', 'grid_graph', 'pixel_positions',
    # HG-Conv group graphs and SLIC superpixels
    'group_adjacency', 'SoftAssignment', 'Assignment', 'slic_torch', 'superpixel_graph',
    'ToDirectionalSLIC', 'SuperpixelData', 'PixelMapData', 'to_networkx', 'to_dense_adjacency',
    'AddTypedSelfLoops', 'TypedEdges',
    # RepGraph representative-node graphs
    'representative_graph', 'sampling_pattern', 'anchor_positions', 'pixel_anchor',
    'sample_positions', 'bilinear_neighbors', 'lattice_node_map',
    # quadtrees
    't_pyramid', 'pad_to_multiple', 'to_official_labels', 'from_official_labels', 'Quadtree',
    'QuadtreeData', 'quadtree_graph', 'slic_quadtree', 'NUM_QUADTREE_EDGE_TYPES', 'CHILD_EDGE_TYPE',
]
