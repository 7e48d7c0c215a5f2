"""RepGraph (Yu et al., ECCV 2020) and its non-local baseline (Wang et al., CVPR 2018)."""
from .block import RepGraph
from .conv import RepGraphConv
from .attention import representative_attention
from .nonlocal_block import NonLocal2d

__all__ = ['RepGraph', 'RepGraphConv', 'representative_attention', 'NonLocal2d']
