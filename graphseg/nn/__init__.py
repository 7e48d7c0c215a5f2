"""Layers: directional graph convolution, HG-Conv, RepGraph, HyperSeg, sparse/QGN, baselines."""

__all__: list = []
from .hyperseg import (ContextHead, DPWConv2d, HyperConv, MetaBlock, WeightMapper, divide_channels, fuse_bn,
                       positional_encoding)

__all__ += ['ContextHead', 'DPWConv2d', 'HyperConv', 'MetaBlock', 'WeightMapper', 'divide_channels', 'fuse_bn',
            'positional_encoding']
