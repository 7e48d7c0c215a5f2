"""ADE20K, the SceneParsing challenge release (Zhou et al., CVPR 2017): 150 classes.

Official layout (``ADEChallengeData2016.zip``)::

    root/ADEChallengeData2016/images/{training,validation}/ADE_*.jpg
    root/ADEChallengeData2016/annotations/{training,validation}/ADE_*.png
                                            (0 = other, 1..150 = classes)

Annotation value ``k`` becomes train id ``k - 1``; 0 ("other objects") becomes ignore (255), as in
the benchmark's evaluation. ``root`` may also be the ``ADEChallengeData2016`` folder itself.
Annotations are 8-bit grey images; colour images and values above 150 are refused by file.
"""
from __future__ import annotations

import os
from typing import Callable, Optional

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder
from .layout import pair_by_stem


class ADE20K(SegmentationFolder):
    """ADE20K SceneParsing, 150 classes (20,210 training / 2,000 validation images).

    Args:
        root (str): the folder holding ``ADEChallengeData2016/`` (or that folder).
        split (str): ``'train'`` (``training``) or ``'val'`` (``validation``).
        transform (callable, optional): joint transform.
    """

    num_classes = 150
    task = 'semantic'
    label_values = tuple(range(151))
    label_hint = 'ADE20K annotations hold 0 (other) and the classes 1..150 in an 8-bit grey image'

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val'))
        base = os.path.join(root, 'ADEChallengeData2016')
        if not os.path.isdir(base):
            base = root
        sub = {'train': 'training', 'val': 'validation'}[split]
        pairs = pair_by_stem(os.path.join(base, 'images', sub),
                             os.path.join(base, 'annotations', sub), '.jpg', '.png',
                             f'ADE20K {split}')
        super().__init__(pairs, transform, root, split)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return np.where((label >= 1) & (label <= 150), label - 1, self.ignore_index)


__all__ = ['ADE20K']
