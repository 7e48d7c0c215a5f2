"""Images as PyG graphs: direction conventions, pixel grids, group adjacency, superpixels."""
from .directions import (CENTER, DIRECTIONS, NUM_DIRECTIONS, direction_index, direction_tensor,
                         direction_weights_to_kernel, kernel_to_direction_weights, opposite)
from .grid import grid_graph, pixel_positions
from .group_adjacency import Assignment, SoftAssignment, group_adjacency
from .slic import slic_torch
from .superpixel import SuperpixelData, ToDirectionalSLIC, superpixel_graph
from .convert import to_dense_adjacency, to_networkx

__all__ = [
    'DIRECTIONS', 'NUM_DIRECTIONS', 'CENTER', 'opposite', 'direction_index', 'direction_tensor',
    'kernel_to_direction_weights', 'direction_weights_to_kernel',
    'grid_graph', 'pixel_positions', 'group_adjacency', 'SoftAssignment', 'Assignment',
    'slic_torch', 'superpixel_graph', 'ToDirectionalSLIC', 'SuperpixelData',
    'to_networkx', 'to_dense_adjacency',
]
from .representative import (anchor_positions, bilinear_neighbors, lattice_node_map, pixel_anchor,
                             representative_graph, sample_positions, sampling_pattern)

__all__ += ['representative_graph', 'sampling_pattern', 'anchor_positions', 'pixel_anchor', 'sample_positions',
            'bilinear_neighbors', 'lattice_node_map']
