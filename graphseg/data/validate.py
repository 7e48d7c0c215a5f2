"""A split checked before training: its labels are decoded, and a split in which no pixel has a
valid label is refused.

A dataset whose label files decode to nothing but ``ignore_index`` (labels outside the label table,
the wrong files of a layout, an unlabelled split) trains at loss 0 and "completes". The readers
refuse what they can see in one file (a colour label, an undefined value, a mask that is not
binary); :func:`check_labels` sees the split: call it on the training split before training.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import Dataset

from ..check import check_int
from .folder import SegmentationFolder


def _pick(n: int, max_files: Optional[int]) -> List[int]:
    """Up to ``max_files`` indices in ``range(n)``, evenly spaced, first and last included."""
    if max_files is None or n <= max_files:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, max_files)})


def _name(dataset: Dataset) -> str:
    split = getattr(dataset, 'split', None)
    root = getattr(dataset, 'root', None)
    where = ''.join(f', {k}={v!r}' for k, v in (('root', root), ('split', split)) if v)
    return f'{type(dataset).__name__}({where[2:]})'


def _targets(dataset: Dataset, picked: List[int]):
    """``(name of the sample, target (H, W) long)`` of the picked samples; a reader's label files
    are decoded without reading the images."""
    if isinstance(dataset, SegmentationFolder):
        for i in picked:
            path = dataset.label_file(i)
            yield path, dataset.load_target(path, (0, 0))
    else:
        for i in picked:
            sample = dataset[i]
            if not isinstance(sample, (tuple, list)) or len(sample) != 2:
                raise TypeError(f"dataset[{i}] must be an (image, target) pair, got "
                                f"{type(sample).__name__}")
            yield f'dataset[{i}]', torch.as_tensor(sample[1])


def check_labels(dataset: Dataset, max_files: Optional[int] = 256) -> Dict[str, Any]:
    """Decode the labels of a split and refuse it when no pixel has a valid label.

    Reads up to ``max_files`` label files, evenly spaced over the split (all of them with
    ``None``), through the reader's own decoding, so a colour label, an undefined value or a mask
    that is not binary is refused here, before training, naming the file. Raises ``ValueError``
    when the split has no label files, when a target holds values outside
    ``[0, num_classes) U {ignore_index}``, or when no pixel read has a valid class.

    Returns ``{'files': files read, 'of': samples in the split, 'pixels': pixels read,
    'valid_pixels': labelled pixels, 'class_pixels': pixels per class (list of num_classes),
    'without_valid': files or samples with no labelled pixel (up to 10), 'num_without_valid':
    their count}``.
    """
    if not isinstance(dataset, Dataset) or not hasattr(dataset, 'num_classes'):
        raise TypeError("dataset must be a graphseg reader with num_classes (see DATASETS), got "
                        f"{type(dataset).__name__}")
    if max_files is not None:
        check_int(max_files, 'max_files', 1)
    k = int(dataset.num_classes)
    ignore = int(getattr(dataset, 'ignore_index', 255))
    name = _name(dataset)
    n = len(dataset)
    indices = list(range(n))
    if isinstance(dataset, SegmentationFolder):
        indices = [i for i in range(n) if dataset.label_file(i) is not None]
        if not indices:
            raise ValueError(f"{name} has no label files (an unlabelled split); it cannot be "
                             "trained on")
    if not indices:
        raise ValueError(f"{name} is empty; it cannot be trained on")
    picked = [indices[j] for j in _pick(len(indices), max_files)]
    counts = torch.zeros(k, dtype=torch.long)
    pixels, without = 0, []
    for where, target in _targets(dataset, picked):
        target = target.long().reshape(-1)
        valid = target != ignore
        bad = target[valid & ((target < 0) | (target >= k))]
        if bad.numel():
            raise ValueError(f"{name}: the target of {where!r} holds values outside [0, {k - 1}] "
                             f"and ignore_index={ignore}: {sorted(set(bad.tolist()))[:5]}")
        counts += torch.bincount(target[valid], minlength=k)
        pixels += target.numel()
        if not bool(valid.any()):
            without.append(where)
    total = int(counts.sum())
    if total == 0:
        of = f'all {len(picked)}' if len(picked) == len(indices) else (
            f'{len(picked)} (evenly spaced) of the {len(indices)}')
        hint = getattr(dataset, 'label_hint', '')
        raise ValueError(
            f"{name}: no pixel of {of} label files has a valid label (a class in [0, {k - 1}]); "
            f"every pixel is ignore_index={ignore}, so training would learn nothing"
            + (f"; {hint}" if hint else ''))
    return {'files': len(picked), 'of': n, 'pixels': pixels, 'valid_pixels': total,
            'class_pixels': counts.tolist(), 'without_valid': without[:10],
            'num_without_valid': len(without)}


__all__ = ['check_labels']
