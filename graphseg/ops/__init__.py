"""Kernels, the same code on CPU and CUDA: scatter reductions and segment softmax (:mod:`.scatter`,
with the optional compiled backends), the typed-edge gather-matmul-scatter (:mod:`.typed`),
MinkowskiEngine-style sparse maps and submanifold convolution by gather-GEMM (:mod:`.sparse`,
:mod:`.kernel_map`, :mod:`.gather_gemm`), HyperSeg's patch-wise convolution (:mod:`.dpw_conv`),
bilinear taps (:mod:`.bilinear`), colour conversion (:mod:`.color`) and the closed-form MAC counts
of these primitives (:mod:`.macs`)."""
from .dpw_conv import dpw_conv2d
from .gather_gemm import ConvPlan, conv_plan, gather_gemm_conv
from .kernel_map import neighbor_table, submanifold_kernel_map
from .scatter import (BACKENDS, REDUCTIONS, available_backends, get_backend, scatter,
                      segment_softmax, set_backend, use_backend)
from .sparse import SparseMap, child_coords, submanifold_conv2d
from .typed import check_typed_edges, typed_degree, typed_matmul_scatter

__all__ = [
    'scatter', 'segment_softmax', 'typed_matmul_scatter', 'typed_degree', 'check_typed_edges',
    'set_backend', 'get_backend', 'use_backend', 'available_backends', 'BACKENDS', 'REDUCTIONS',
    'dpw_conv2d',
    'SparseMap', 'child_coords', 'submanifold_conv2d', 'neighbor_table', 'submanifold_kernel_map',
    'ConvPlan', 'conv_plan', 'gather_gemm_conv',
]
