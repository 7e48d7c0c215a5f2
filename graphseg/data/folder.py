"""The common part of the dataset readers: a list of (image file, label file) pairs read with
Pillow.

Each reader (:mod:`graphseg.data.cityscapes`, ...) finds its pairs in the dataset's
official on-disk layout and says how a label file's values become train ids
(:meth:`SegmentationFolder.encode_target`). Samples are ``(image, target)``:
``image`` float :math:`(3, H, W)` in ``[0, 1]``, ``target`` long :math:`(H, W)` with
train ids in ``[0, num_classes)`` or ``ignore_index`` (255).
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .decode import RGB, check_label_values, read_image, read_label, read_mask
from .layout import pair_by_stem, read_lines, require_dir, require_file


class SegmentationFolder(Dataset):
    r"""Pairs of image and label files on disk.

    Label files are decoded by their mode (:func:`~graphseg.data.decode.read_label`): ids from
    single-channel or palette images, colours only through :attr:`label_colors` (the readers
    whose dataset defines a colour table), binary masks through
    :func:`~graphseg.data.decode.read_mask` (``label_kind = 'mask'``). Values outside
    :attr:`label_values` (the values the dataset defines) are refused, naming the file.

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
    #: ``'ids'`` (label files of class ids) or ``'mask'`` (binary masks, :func:`read_mask`)
    label_kind: str = 'ids'
    #: the values a label file may hold (``None``: any); other values are refused by file
    label_values: Optional[Sequence[int]] = None
    #: ``(r, g, b) -> label value`` for datasets that define colour labels (``None``: refused)
    label_colors: Optional[Dict[RGB, int]] = None
    #: names of colours (e.g. the dataset's classes outside ``label_colors``) for refusals
    color_names: Optional[Dict[RGB, str]] = None
    #: masks: foreground where the 8-bit value is ``>= mask_threshold``
    mask_threshold: int = 128
    #: what the label files of the layout are, ending refusals (``'; expected ...'``)
    label_hint: str = ''

    def __init__(self, pairs: Sequence[Tuple[str, Optional[str]]],
                 transform: Optional[Callable] = None, root: str = '', split: str = '') -> None:
        pairs = pairs if isinstance(pairs, (str, bytes)) else list(pairs)
        if isinstance(pairs, (str, bytes)) or not all(
                isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            raise TypeError("pairs must be a sequence of (image path, label path or None), got "
                            f"{pairs!r:.80}")
        if not pairs:
            raise FileNotFoundError(f"{type(self).__name__}: no images found for split {split!r} "
                                    f"under {root!r}")
        self.pairs = list(pairs)
        self.transform, self.root, self.split = transform, root, split

    def __len__(self) -> int:
        return len(self.pairs)

    def label_file(self, index: int) -> Optional[str]:
        """The label file of sample ``index`` (``None`` when unlabelled), what
        :func:`~graphseg.data.check_labels` reads; override it if ``pairs`` hold more than
        ``(image, label)``."""
        return self.pairs[index][1]

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        """Label-file values -> train ids / ``ignore_index`` (identity by default)."""
        return label

    def decode_label(self, path: str) -> np.ndarray:
        """A label file's values ``(H, W)``, decoded by mode and checked against
        :attr:`label_values` (before :meth:`encode_target`)."""
        hint = f'; {self.label_hint}' if self.label_hint else ''
        if self.label_kind == 'mask':
            return read_mask(path, self.mask_threshold)
        label = read_label(path, self.label_colors, color_names=self.color_names, hint=hint)
        if self.label_values is not None:
            check_label_values(label, self.label_values, path, hint=hint)
        return label

    def load_target(self, path: Optional[str], size: Tuple[int, int]) -> Tensor:
        if path is None:
            return torch.full(size, self.ignore_index, dtype=torch.long)
        return torch.from_numpy(
            np.ascontiguousarray(self.encode_target(self.decode_label(path)), dtype=np.int64)
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


__all__ = ['SegmentationFolder', 'read_image', 'read_label', 'read_mask', 'read_lines',
           'require_dir', 'require_file', 'pair_by_stem']
