"""PASCAL VOC 2012 segmentation (with the SBD augmented train list) and PASCAL-Context (59 classes).

Official layouts::

    VOC 2012:
    root/VOCdevkit/VOC2012/JPEGImages/<id>.jpg
    root/VOCdevkit/VOC2012/SegmentationClass/<id>.png     palette PNG: 0..20, 255 = border/void
    root/VOCdevkit/VOC2012/ImageSets/Segmentation/{train,val,trainval}.txt
    SBD (Hariharan et al., 2011):
    root/benchmark_RELEASE/dataset/{img/<id>.jpg, cls/<id>.mat, train.txt, val.txt}

    PASCAL-Context (Mottaghi et al., CVPR 2014):
    root/VOCdevkit/VOC2010/JPEGImages/<id>.jpg
    root/VOCdevkit/VOC2010/ImageSets/Main/{train,val}.txt   4,998 / 5,105 images
    root/trainval/<id>.mat                                   ``LabelMap``: the 459 full classes
    root/labels.txt, root/59_labels.txt                      ``<id>: <name>`` lines

VOC ``split='train_aug'`` is the augmented list of DeepLab and the papers after it:
(SBD train U SBD val U VOC train) minus VOC val (10,582 images with the full release); a
label comes from VOC's ``SegmentationClass`` when it has one, else from SBD's
``cls/<id>.mat`` (``GTcls.Segmentation``).
PASCAL-Context keeps the 59 most frequent classes (``59_labels.txt``, in that order ->
train ids 0..58); background and every other class are ignored (255), the 59-class
protocol of the papers.

Ids of a split list are found whatever their Unicode normalisation or letter case; an id without
its files is refused. ``SegmentationClass`` PNGs are palette images (their indices are the ids; a
colour image is refused), holding 0..20 and 255; ``.mat`` files must hold their variable as a 2-D
integer array of defined values. Anything else is refused, naming the file.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from scipy.io import loadmat

from ..check import check_choice
from .decode import check_label_values
from .folder import SegmentationFolder
from .layout import FolderIndex, read_lines, require_dir, require_file

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
               'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')


def _load_mat(path: str, key: str) -> np.ndarray:
    """The label map of a MATLAB file (SBD's ``GTcls.Segmentation`` or Context's ``LabelMap``) as
    a 2-D int64 array; a file that is not such a ``.mat`` is refused by name."""
    try:
        mat = loadmat(path)
    except Exception as e:  # noqa: BLE001 - scipy raises many types for a broken file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"label {path!r} is not a readable MATLAB file ({type(e).__name__}: "
                         f"{first[:120]})") from None
    try:
        if key == 'GTcls':  # SBD: struct GTcls with field Segmentation
            arr = np.asarray(mat['GTcls']['Segmentation'][0, 0])
        else:
            arr = np.asarray(mat[key])
    except (KeyError, ValueError, IndexError, TypeError):
        field = 'GTcls.Segmentation' if key == 'GTcls' else key
        raise ValueError(f"label {path!r} has no variable {field!r} (it holds "
                         f"{sorted(k for k in mat if not k.startswith('__'))[:5]})") from None
    if arr.ndim != 2 or arr.dtype.kind not in 'iub':
        raise ValueError(f"label {path!r}: {key} must be a 2-D integer label map, got shape "
                         f"{arr.shape} of dtype {arr.dtype}")
    return arr.astype(np.int64)


class VOCSegmentation(SegmentationFolder):
    """PASCAL VOC 2012, 21 classes (background included), 255 = void.

    Args:
        root (str): the folder holding ``VOCdevkit/`` (and ``benchmark_RELEASE/`` for
            ``'train_aug'``).
        split (str): ``'train'``, ``'val'``, ``'trainval'`` or ``'train_aug'``.
        transform (callable, optional): joint transform.
    """

    num_classes = 21
    classes = VOC_CLASSES
    task = 'semantic'
    label_values = tuple(range(21)) + (255,)
    label_hint = ('VOC labels are the palette PNGs of SegmentationClass (indices 0..20, 255 = '
                  'void), not the colour PNGs of SegmentationClassAug-style visualisations')

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val', 'trainval', 'train_aug'))
        voc = require_dir(os.path.join(root, 'VOCdevkit', 'VOC2012'), 'VOCSegmentation')
        lists = os.path.join(voc, 'ImageSets', 'Segmentation')
        if split != 'train_aug':
            ids = read_lines(os.path.join(lists, f'{split}.txt'), f'VOCSegmentation {split} list')
            sbd = None
        else:
            sbd = require_dir(os.path.join(root, 'benchmark_RELEASE', 'dataset'),
                              'VOCSegmentation train_aug (SBD)')
            val = set(read_lines(os.path.join(lists, 'val.txt'), 'VOCSegmentation val list'))
            union: List[str] = []
            for path in (os.path.join(sbd, 'train.txt'), os.path.join(sbd, 'val.txt'),
                         os.path.join(lists, 'train.txt')):
                union += read_lines(path, 'VOCSegmentation train_aug list')
            ids = sorted(set(union) - val)
        what = f'VOCSegmentation {split}'
        files = FolderIndex(what)
        jpeg, seg = os.path.join(voc, 'JPEGImages'), os.path.join(voc, 'SegmentationClass')
        pairs: List[Tuple[str, Optional[str]]] = []
        for i in ids:
            image, label = files.find(jpeg, f'{i}.jpg'), files.find(seg, f'{i}.png')
            if sbd is not None:
                image = image or files.find(os.path.join(sbd, 'img'), f'{i}.jpg')
                label = label or files.find(os.path.join(sbd, 'cls'), f'{i}.mat')
            pairs.append((require_file(image or os.path.join(jpeg, f'{i}.jpg'), what),
                          require_file(label or os.path.join(seg, f'{i}.png'), what)))
        super().__init__(pairs, transform, root, split)

    def decode_label(self, path: str) -> np.ndarray:
        if path.lower().endswith('.mat'):
            return check_label_values(_load_mat(path, 'GTcls'), self.label_values, path)
        return super().decode_label(path)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return np.where(label < self.num_classes, label, self.ignore_index)


def _read_names(path: str, what: str) -> Dict[int, str]:
    """``<id>: <name>`` lines (a bare ``<name>`` line takes the next id)."""
    out: Dict[int, str] = {}
    for n, line in enumerate(read_lines(path, what, ids=False), 1):
        key, sep, name = line.partition(':')
        if sep and key.strip().isdigit():
            out[int(key)] = name.strip()
        else:
            out[n] = line.strip()
    return out


class PascalContext(SegmentationFolder):
    """PASCAL-Context, 59 classes (the 59-class protocol: every other label is ignored).

    Args:
        root (str): the folder holding ``VOCdevkit/VOC2010/``, ``trainval/``, ``labels.txt``,
            ``59_labels.txt``.
        split (str): ``'train'`` or ``'val'``.
        transform (callable, optional): joint transform.
    """

    num_classes = 59
    task = 'semantic'

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val'))
        voc = require_dir(os.path.join(root, 'VOCdevkit', 'VOC2010'), 'PascalContext')
        ids = read_lines(os.path.join(voc, 'ImageSets', 'Main', f'{split}.txt'),
                         f'PascalContext {split} list')
        full = _read_names(os.path.join(root, 'labels.txt'),
                           'PascalContext labels.txt (459 classes)')
        kept = _read_names(os.path.join(root, '59_labels.txt'), 'PascalContext 59_labels.txt')
        names = [kept[k] for k in sorted(kept)]
        if len(names) != 59:
            raise ValueError(f"PascalContext: 59_labels.txt must list 59 classes, got {len(names)}")
        self.classes = tuple(names)
        index = {name: i for i, name in enumerate(names)}
        self.lut = np.full(max(full) + 1, self.ignore_index, dtype=np.int64)
        for k, name in full.items():
            if name in index:
                self.lut[k] = index[name]
        self.label_values = (0,) + tuple(sorted(full))
        files = FolderIndex(f'PascalContext {split}')
        pairs = [(files.require(os.path.join(voc, 'JPEGImages'), f'{i}.jpg'),
                  files.require(os.path.join(root, 'trainval'), f'{i}.mat')) for i in ids]
        super().__init__(pairs, transform, root, split)

    def decode_label(self, path: str) -> np.ndarray:
        return check_label_values(_load_mat(path, 'LabelMap'), self.label_values, path,
                                  hint='; PASCAL-Context LabelMap values are 0 and the ids of '
                                       'labels.txt')

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return self.lut[label]  # decode_label has checked the values against labels.txt


__all__ = ['VOCSegmentation', 'PascalContext', 'VOC_CLASSES']
