"""HyperSeg (Nirkin, Wolf, Hassner, CVPR 2021): weight mapper, dynamic patch-wise convolution,
meta blocks, context head, BatchNorm fusion, and the graph form :class:`HyperConv`."""
from .context_head import ContextHead
from .divide_channels import divide_channels
from .dpw_conv import DPWConv2d
from .fuse import fuse_bn, fuse_conv_bn_, fuse_dpw_bn_, register_bn_pairs
from .hyper_conv import HyperConv, grid_patch_index, segment_matmul
from .meta_block import MetaBlock
from .positional_encoding import positional_encoding
from .weight_mapper import WeightMapper

__all__ = ['ContextHead', 'divide_channels', 'DPWConv2d', 'fuse_bn', 'fuse_conv_bn_',
           'fuse_dpw_bn_', 'register_bn_pairs', 'HyperConv', 'grid_patch_index', 'segment_matmul',
           'MetaBlock', 'positional_encoding', 'WeightMapper']
