"""QGN (Chitta, Alvarez, Hebert, WACV 2020): the quadtree decoder, its blocks, outputs and
losses."""
from .blocks import TransBasicBlock, TransBottleneck
from .decoder import QGNDecoder
from .loss import QGNLoss, level_loss
from .output import QGNOutput, qgn_inference

__all__ = ['QGNDecoder', 'QGNOutput', 'TransBasicBlock', 'TransBottleneck', 'qgn_inference',
           'QGNLoss', 'level_loss']
