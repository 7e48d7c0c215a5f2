"""Low-level kernels: scatter reductions, segment softmax, the typed-edge gather-matmul-scatter."""
from .scatter import (BACKENDS, REDUCTIONS, available_backends, get_backend, scatter,
                      segment_softmax, set_backend, use_backend)
from .typed import check_typed_edges, typed_degree, typed_matmul_scatter

__all__ = [
    'scatter', 'segment_softmax', 'typed_matmul_scatter', 'typed_degree', 'check_typed_edges',
    'set_backend', 'get_backend', 'use_backend', 'available_backends', 'BACKENDS', 'REDUCTIONS',
]
from .dpw_conv import dpw_conv2d

__all__ += ['dpw_conv2d']


from .gather_gemm import ConvPlan, conv_plan, gather_gemm_conv
from .kernel_map import neighbor_table, submanifold_kernel_map
from .sparse import SparseMap, child_coords, submanifold_conv2d

__all__ += ['SparseMap', 'child_coords', 'submanifold_conv2d', 'neighbor_table', 'submanifold_kernel_map',
            'ConvPlan', 'conv_plan', 'gather_gemm_conv']
