"""Cityscapes (Cordts et al., CVPR 2016), fine annotations, 19 train ids.

Official layout (``leftImg8bit_trainvaltest.zip`` + ``gtFine_trainvaltest.zip``)::

    root/leftImg8bit/{train,val,test}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    root/gtFine/{train,val,test}/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png

Label ids become train ids through the table of ``cityscapesscripts.helpers.labels``
(the dataset authors' own, not re-typed here): 19 classes, every other id (and
trainId 255 / -1) becomes ignore (255). A label file must be the 8-bit ``*_gtFine_labelIds.png``
of the release: a colour image (such as ``*_color.png``, a visualisation in which several ids share
a colour) and values that are not label ids (> 33) are refused, naming the file.
"""
from __future__ import annotations

import os
from typing import Callable, Optional, Tuple

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder
from .layout import pair_by_stem


def cityscapes_labels():
    """The ``cityscapesscripts`` label table (a list of ``Label(name, id, trainId, ...)``)."""
    try:
        # optional dependency (the `data` extra)
        from cityscapesscripts.helpers.labels import labels
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Cityscapes needs cityscapesscripts (pip install 'graphseg[data]')"
        ) from e
    return labels


def id_to_train_id_lut() -> np.ndarray:
    """A 256-entry lookup table: label id -> train id (255 for ignored ids)."""
    lut = np.full(256, 255, dtype=np.int64)
    for label in cityscapes_labels():
        if 0 <= label.id < 256 and 0 <= label.trainId < 255:
            lut[label.id] = label.trainId
    return lut


def label_ids() -> Tuple[int, ...]:
    """The label ids a ``*_gtFine_labelIds.png`` may hold (0..33)."""
    return tuple(sorted({lb.id for lb in cityscapes_labels() if 0 <= lb.id < 256}))


def train_id_names() -> Tuple[str, ...]:
    names = {lb.trainId: lb.name for lb in cityscapes_labels() if 0 <= lb.trainId < 255}
    return tuple(names[i] for i in range(len(names)))


class Cityscapes(SegmentationFolder):
    """Cityscapes fine annotations (``gtFine_labelIds``) mapped to the 19 train ids.

    Args:
        root (str): the folder holding ``leftImg8bit/`` and ``gtFine/``.
        split (str): ``'train'`` (2,975), ``'val'`` (500) or ``'test'`` (1,525, no labels: target
            all ignore).
        transform (callable, optional): joint transform (:mod:`graphseg.data.transforms`).
    """

    num_classes = 19
    task = 'semantic'
    label_hint = ('Cityscapes labels are the 8-bit *_gtFine_labelIds.png files of the release '
                  '(the *_color.png files are a visualisation, not label ids)')

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val', 'test'))
        pairs = pair_by_stem(os.path.join(root, 'leftImg8bit', split),
                             os.path.join(root, 'gtFine', split), '_leftImg8bit.png',
                             '_gtFine_labelIds.png', f'Cityscapes {split}',
                             require_labels=split != 'test')
        super().__init__(pairs, transform, root, split)
        self.lut = id_to_train_id_lut()
        self.classes = train_id_names()
        self.label_values = label_ids()

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return self.lut[label]  # decode_label has checked the values against label_ids()


__all__ = ['Cityscapes', 'id_to_train_id_lut', 'train_id_names', 'cityscapes_labels', 'label_ids']
