"""Layers: directional graph convolution, HG-Conv, RepGraph, HyperSeg, sparse/QGN, baselines."""

__all__: list = []

from .sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU, SparseUpsample,
                     SubmanifoldConv2d, sparse_gather, sparse_upsample)
from .qgn import QGNDecoder, QGNOutput, TransBasicBlock, qgn_inference
from .qgn_loss import QGNLoss, level_loss

__all__ += ['SubmanifoldConv2d', 'SparseBatchNorm', 'SparseReLU', 'SparseLinear', 'SparseUpsample',
            'SparseConvTranspose2d', 'sparse_upsample', 'sparse_gather',
            'QGNDecoder', 'QGNOutput', 'TransBasicBlock', 'qgn_inference', 'QGNLoss', 'level_loss']
