"""Images as PyG graphs: direction conventions, pixel grids, group adjacency, superpixels."""
from .directions import (CENTER, DIRECTIONS, NUM_DIRECTIONS, direction_index, direction_tensor,
                         direction_weights_to_kernel, kernel_to_direction_weights, opposite)
from .grid import grid_graph, pixel_positions
from .group_adjacency import Assignment, SoftAssignment, group_adjacency
from .data import PixelMapData
from .slic import slic_torch
from .superpixel import SuperpixelData, ToDirectionalSLIC, superpixel_graph
from .convert import to_dense_adjacency, to_networkx

__all__ = [
    'DIRECTIONS', 'NUM_DIRECTIONS', 'CENTER', 'opposite', 'direction_index', 'direction_tensor',
    'kernel_to_direction_weights', 'direction_weights_to_kernel',
    'grid_graph', 'pixel_positions', 'group_adjacency', 'SoftAssignment', 'Assignment',
    'slic_torch', 'superpixel_graph', 'ToDirectionalSLIC', 'SuperpixelData', 'PixelMapData',
    'to_networkx', 'to_dense_adjacency',
]

from .quadtree import (CHILD_EDGE_TYPE, NUM_QUADTREE_EDGE_TYPES, Quadtree, QuadtreeData, pad_to_multiple,
                       quadtree_graph, slic_quadtree, t_pyramid)

__all__ += ['t_pyramid', 'pad_to_multiple', 'Quadtree', 'QuadtreeData', 'quadtree_graph', 'slic_quadtree',
            'NUM_QUADTREE_EDGE_TYPES', 'CHILD_EDGE_TYPE']
