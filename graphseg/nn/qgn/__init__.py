"""QGN (Chitta, Alvarez, Hebert, WACV 2020): the quadtree decoder and its losses."""
from .decoder import QGNDecoder, QGNOutput, TransBasicBlock, qgn_inference
from .loss import QGNLoss, level_loss

__all__ = ['QGNDecoder', 'QGNOutput', 'TransBasicBlock', 'qgn_inference', 'QGNLoss', 'level_loss']
