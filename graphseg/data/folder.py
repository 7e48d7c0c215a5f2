"""The common part of the dataset readers: a list of (image file, label file) pairs read with
Pillow.

Each reader (:mod:`graphseg.data.cityscapes`, ...) finds its pairs in the dataset's
official on-disk layout and says how a label file's values become train ids
(:meth:`SegmentationFolder.encode_target`). Samples are ``(image, target)``:
``image`` float :math:`(3, H, W)` in ``[0, 1]``, ``target`` long :math:`(H, W)` with
train ids in ``[0, num_classes)`` or ``ignore_index`` (255).
"""
from __future__ import annotations

import os
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset
from PIL import Image
from tqdm import tqdm


def require_dir(path: str, what: str) -> str:
    """``path`` if it is a folder, else ``FileNotFoundError`` naming it and what was expected
    there."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what}: expected the folder {path!r}, which does not exist")
    return path


def require_file(path: str, what: str) -> str:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: expected the file {path!r}, which does not exist")
    return path


def read_lines(path: str, what: str) -> List[str]:
    """Non-empty stripped lines of a split list."""
    with open(require_file(path, what)) as f:
        return [line.strip() for line in f if line.strip()]


def read_image(path: str) -> Tensor:
    """An RGB image file as float ``(3, H, W)`` in ``[0, 1]`` (grayscale is repeated, alpha
    dropped)."""
    with Image.open(path) as im:
        arr = np.asarray(im.convert('RGB'))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255.)


def read_label(path: str) -> np.ndarray:
    """A label PNG as an integer array ``(H, W)``: palette PNGs give their indices (VOC), gray PNGs
    their values."""
    with Image.open(path) as im:
        if im.mode not in ('P', 'L', 'I', 'I;16', '1'):
            im = im.convert('L')
        return np.asarray(im).astype(np.int64)


class SegmentationFolder(Dataset):
    r"""Pairs of image and label files on disk.

    Args:
        pairs: ``(image path, label path)``; label ``None`` for unlabelled splits (target all
            ignore).
        transform (callable, optional): ``transform(image, target) -> (image, target)``
            (:mod:`graphseg.data.transforms`).

    Shapes:
        - **image:** :math:`(3, H, W)` float in ``[0, 1]``
        - **target:** :math:`(H, W)` long, train ids or ``ignore_index``
    """

    num_classes: int = 0
    ignore_index: int = 255
    classes: Tuple[str, ...] = ()
    task: str = 'semantic'

    def __init__(self, pairs: Sequence[Tuple[str, Optional[str]]],
                 transform: Optional[Callable] = None, root: str = '', split: str = '') -> None:
        pairs = pairs if isinstance(pairs, (str, bytes)) else list(pairs)
        if isinstance(pairs,
                      (str, bytes)) or not all(isinstance(p,
                                                          (tuple,
                                                           list)) and len(p) == 2 for p in pairs):
            raise TypeError("pairs must be a sequence of (image path, label path or None), got "
                            f"{pairs!r:.80}")
        if not pairs:
            raise FileNotFoundError(f"{type(self).__name__}: no images found for split {split!r} "
                                    f"under {root!r}")
        self.pairs = list(pairs)
        self.transform, self.root, self.split = transform, root, split

    def __len__(self) -> int:
        return len(self.pairs)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        """Label-file values -> train ids / ``ignore_index`` (identity by default)."""
        return label

    def load_target(self, path: Optional[str], size: Tuple[int, int]) -> Tensor:
        if path is None:
            return torch.full(size, self.ignore_index, dtype=torch.long)
        return torch.from_numpy(
            np.ascontiguousarray(self.encode_target(read_label(path)), dtype=np.int64)
        )

    def __getitem__(self, index: int) -> Tuple[Tensor, Tensor]:
        if not 0 <= index < len(self.pairs):
            raise IndexError(f"index must be in [0, {len(self.pairs) - 1}], got {index}")
        image_path, label_path = self.pairs[index]
        image = read_image(image_path)
        target = self.load_target(label_path, tuple(image.shape[-2:]))
        if target.shape != image.shape[-2:]:
            raise ValueError(f"label {label_path!r} has size {tuple(target.shape)}, its image "
                             f"{image_path!r} {tuple(image.shape[-2:])}")
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image, target

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(root={self.root!r}, split={self.split!r}, {len(self)} images)'
        )


def pair_by_stem(image_dir: str, label_dir: str, image_suffix: str, label_suffix: str,
                 what: str, require_labels: bool = True) -> List[Tuple[str, Optional[str]]]:
    """Pair ``image_dir/<stem><image_suffix>`` with ``label_dir/<stem><label_suffix>`` (sorted,
    recursive)."""
    require_dir(image_dir, what)
    if require_labels:
        require_dir(label_dir, what)
    images = []
    for dirpath, _, files in os.walk(image_dir):
        images += [os.path.join(dirpath, f) for f in files if f.endswith(image_suffix)]
    pairs = []
    for path in tqdm(sorted(images), desc=f'scan {what}', unit='file', leave=False,
                     disable=len(images) < 2000):
        rel = os.path.relpath(path, image_dir)[:-len(image_suffix)]
        label = os.path.join(label_dir, rel + label_suffix)
        if not os.path.isfile(label):
            if require_labels:
                raise FileNotFoundError(f"{what}: no label file {label!r} for image {path!r}")
            label = None
        pairs.append((path, label))
    return pairs


__all__ = ['SegmentationFolder', 'read_image', 'read_label', 'read_lines', 'require_dir',
           'require_file', 'pair_by_stem']
