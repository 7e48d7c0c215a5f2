"""CamVid (Brostow et al., 2009) with the 11 classes of the SegNet split (367 / 101 / 233 images).

Layout of the SegNet tutorial release that HyperSeg and most papers use::

    root/{train,val,test}/<name>.png          RGB frames (480 x 360)
    root/{train,val,test}annot/<name>.png     class ids 0..10, 11 = void (-> ignore 255)
"""
from __future__ import annotations

import os
from typing import Callable, Optional

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder, pair_by_stem

CAMVID_CLASSES = ('sky', 'building', 'pole', 'road', 'sidewalk', 'tree', 'sign', 'fence', 'car',
                  'pedestrian', 'bicyclist')


class CamVid(SegmentationFolder):
    """CamVid, 11 classes; void (11) and anything larger is ignored.

    Args:
        root (str): the folder holding ``train/``, ``trainannot/``, ``val/``, ...
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'trainval'``.
        transform (callable, optional): joint transform.
    """

    num_classes = 11
    classes = CAMVID_CLASSES
    task = 'semantic'

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val', 'test', 'trainval'))
        pairs = []
        for s in (('train', 'val') if split == 'trainval' else (split,)):
            pairs += pair_by_stem(os.path.join(root, s), os.path.join(root, s + 'annot'), '.png',
                                  '.png', f'CamVid {s}')
        super().__init__(pairs, transform, root, split)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return np.where(label < self.num_classes, label, self.ignore_index)


__all__ = ['CamVid', 'CAMVID_CLASSES']
