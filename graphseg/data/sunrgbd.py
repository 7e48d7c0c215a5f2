"""SUN RGB-D (Song, Lichtenberg, Xiao, CVPR 2015) in the 13- and 37-class sets of QGN Table 3:
5,285 training and 5,050 test images.

Layout of the release the QGN code downloads (``download_SUNRGBD.sh``: the Stanford CVGL
``sun_rgbd.tgz``, listed by the released ``data/SUNRGBD_{train,test}{13,37}.txt``)::

    root/SUNRGBD/image/{train,test}/img-NNNNNN.jpg               RGB image n (6 digits)
    root/SUNRGBD/label37/{train,test}/NNNNNNNN.png                classes 1..37, 0 = unlabelled
    root/SUNRGBD/label13/{train,test}/img13labels-NNNNNN.png      classes 1..13, 0 = unlabelled
    root/SUNRGBD/depth/{train,test}/NNNNNNNN.png                  (depth; not read)

Image ``n`` is paired with the label file of the same number ``n``. Label value ``k`` becomes train
id ``k - 1`` and 0 becomes ignore (255), as the released ``dataset.py`` (``segm - 1``, -1 ignored).
QGN Table 3 reports the 5,050 test images as its "validation" sets, so ``split='val'`` reads
``test``. ``root`` may also be the ``SUNRGBD`` folder itself.

Refused, naming the file: an image without its label file and a label file without its image
(missing partners), files in the image or label folders that do not follow the layout's names
(e.g. colour renderings such as ``img13labels-000001_color.png``), colour label images (the class
ids are single-channel PNGs; SUN RGB-D's colour renderings are pictures, not labels) and values
above the set's number of classes (a 37-class map read as the 13-class set).
"""
from __future__ import annotations

import os
import re
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder
from .layout import IMAGE_EXTENSIONS, require_dir, scan_files

#: the 37 classes (SUN RGB-D toolbox ``seg37list``), label values 1..37
SUNRGBD37_CLASSES = ('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window',
                     'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain',
                     'dresser', 'pillow', 'mirror', 'floor_mat', 'clothes', 'ceiling', 'books',
                     'fridge', 'tv', 'paper', 'towel', 'shower_curtain', 'box', 'whiteboard',
                     'person', 'night_stand', 'toilet', 'sink', 'lamp', 'bathtub', 'bag')
#: the 13 classes (NYUv2's 13-class set of Couprie et al., as Handa et al.'s ``class13Names``),
#: label values 1..13
SUNRGBD13_CLASSES = ('bed', 'books', 'ceiling', 'chair', 'floor', 'furniture', 'objects',
                     'picture', 'sofa', 'table', 'tv', 'wall', 'window')

#: the class sets: number of classes -> (label folder, file name of label ``n``)
LABEL_SETS: Dict[int, Tuple[str, str]] = {13: ('label13', 'img13labels-{:06d}.png'),
                                          37: ('label37', '{:08d}.png')}
#: file name of image ``n``
IMAGE_NAME = 'img-{:06d}.jpg'


def _pattern(name: str) -> str:
    """``'img-{:06d}.jpg'`` -> the regex of those names with the number as group 1."""
    head, rest = name.split('{', 1)
    width, tail = rest.split('}', 1)
    return re.escape(head) + rf'(\d{{{int(width[2:-1])}}})' + re.escape(tail)


def _by_number(folder: str, name: str, what: str) -> Dict[int, str]:
    """``{number: path}`` of the files of ``folder`` named as ``name`` (a format with the number);
    any other image file is refused by name."""
    pattern = _pattern(name)
    files = scan_files(folder, '', what, other_suffixes=None)
    out: Dict[int, str] = {}
    for path in sorted(files.values()):
        base = os.path.basename(path)
        if not base.lower().endswith(IMAGE_EXTENSIONS):
            continue  # e.g. a README or a list next to the files
        m = re.fullmatch(pattern, base, re.IGNORECASE)  # letter case as in layout.scan_files
        if m is None or os.path.dirname(path) != folder:
            raise ValueError(f"{what}: the file {path!r} does not follow the layout's names "
                             f"({name.format(1)!r}, ... in {folder!r})")
        out[int(m.group(1))] = path
    return out


class SUNRGBD(SegmentationFolder):
    """SUN RGB-D segmentation, the 37- or 13-class set (QGN Table 3).

    Args:
        root (str): the folder holding ``SUNRGBD/`` (or that folder).
        split (str): ``'train'`` (5,285 images), ``'test'`` (5,050) or ``'val'`` (= ``'test'``, the
            set QGN Table 3 reports).
        transform (callable, optional): joint transform.
        num_classes (int): ``37`` or ``13``. (default: ``37``)
    """

    task = 'semantic'

    def __init__(self, root: str, split: str = 'train', transform: Optional[Callable] = None,
                 num_classes: int = 37) -> None:
        check_choice(split, 'split', ('train', 'test', 'val'))
        check_choice(num_classes, 'num_classes', tuple(LABEL_SETS))
        self.num_classes = num_classes
        self.classes = SUNRGBD37_CLASSES if num_classes == 37 else SUNRGBD13_CLASSES
        self.label_values = tuple(range(num_classes + 1))
        folder, label_name = LABEL_SETS[num_classes]
        self.label_hint = (f"SUN RGB-D {folder} files hold 0 (unlabelled) and the classes "
                           f"1..{num_classes} in a single-channel PNG")
        base = os.path.join(root, 'SUNRGBD')
        if not os.path.isdir(base):
            base = root
        sub = 'test' if split == 'val' else split
        what = f'SUN RGB-D {num_classes} {sub}'
        images = _by_number(require_dir(os.path.join(base, 'image', sub), what), IMAGE_NAME, what)
        label_dir = require_dir(os.path.join(base, folder, sub), what)
        labels = _by_number(label_dir, label_name, what)
        super().__init__(_pairs(images, labels, os.path.join(label_dir, label_name), what),
                         transform, root, split)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return np.where((label >= 1) & (label <= self.num_classes), label - 1, self.ignore_index)


def _pairs(images: Dict[int, str], labels: Dict[int, str], label_path: str,
           what: str) -> List[Tuple[str, Optional[str]]]:
    """Image ``n`` with label ``n``; a missing partner on either side is refused by name."""
    orphans = sorted(labels[n] for n in labels if n not in images)
    if orphans:
        more = f' (and {len(orphans) - 1} more)' if len(orphans) > 1 else ''
        raise FileNotFoundError(f"{what}: no image {IMAGE_NAME!r} for the label file "
                                f"{orphans[0]!r}{more}")
    missing = sorted(n for n in images if n not in labels)
    if missing:
        more = f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''
        raise FileNotFoundError(f"{what}: no label file {label_path.format(missing[0])!r} for "
                                f"image {images[missing[0]]!r}{more}")
    return [(images[n], labels[n]) for n in sorted(images)]


__all__ = ['SUNRGBD', 'SUNRGBD13_CLASSES', 'SUNRGBD37_CLASSES', 'LABEL_SETS', 'IMAGE_NAME']
