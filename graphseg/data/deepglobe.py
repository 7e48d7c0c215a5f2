"""DeepGlobe Road Extraction (Demir et al., CVPR-W 2018): binary road masks on 1024 x 1024 satellite
tiles.

Official layout (the challenge's ``road`` archive)::

    root/{train,valid,test}/<id>_sat.jpg     RGB tile
    root/train/<id>_mask.png                  road = white (>= 128), background = black

Only ``train`` has masks in the release; papers (HG-Conv Sec. 4.3 among them) split it
themselves, so ``ids_file`` (one ``<id>`` per line) selects a subset of a folder.
Unlabelled tiles (``valid``/``test``) get an all-ignore target.
"""
from __future__ import annotations

import os
from typing import Callable, Optional

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder, pair_by_stem, read_lines


class DeepGlobeRoads(SegmentationFolder):
    """DeepGlobe roads: class 1 = road, 0 = background.

    Args:
        root (str): the folder holding ``train/`` (and ``valid/``, ``test/``).
        split (str): the sub-folder, ``'train'``, ``'valid'`` or ``'test'``.
        transform (callable, optional): joint transform.
        ids_file (str, optional): keep only the tile ids listed in this file.
    """

    num_classes = 2
    classes = ('background', 'road')
    task = 'road'

    def __init__(self, root: str, split: str = 'train', transform: Optional[Callable] = None,
                 ids_file: Optional[str] = None) -> None:
        check_choice(split, 'split', ('train', 'valid', 'test'))
        folder = os.path.join(root, split)
        pairs = pair_by_stem(folder, folder, '_sat.jpg', '_mask.png', f'DeepGlobe roads {split}',
                             require_labels=split == 'train')
        if ids_file is not None:
            keep = set(read_lines(ids_file, 'DeepGlobe ids_file'))
            pairs = [p for p in pairs if os.path.basename(p[0])[:-len('_sat.jpg')] in keep]
        super().__init__(pairs, transform, root, split)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return (label >= 128).astype(np.int64)


__all__ = ['DeepGlobeRoads']
