"""Readers of the IDX format, the file format of the official MNIST distribution."""
from __future__ import annotations

import gzip
import os
import os.path as osp
from typing import Tuple

import numpy as np
import torch
from torch import Tensor

from ..check import check_choice

_IDX_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
              'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (the format of the official MNIST files; ``.gz`` is decompressed)."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {raw[:4].hex()!r}, "
                         "expected 000008xx)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path} is a truncated IDX file: its header announces {ndim} dimensions "
                         f"({4 + 4 * ndim} header bytes), the file has {len(raw)} bytes")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path} holds {data.size} bytes of data, expected {int(np.prod(dims))} "
                         f"for shape {dims}")
    return data.reshape(dims)


def _find_idx(folder: str, stem: str) -> str:
    for name in (stem, stem + '.gz', stem.replace('-idx', '.idx'),
                 stem.replace('-idx', '.idx') + '.gz'):
        if osp.isfile(osp.join(folder, name)):
            return osp.join(folder, name)
    raise FileNotFoundError(f"idx_dir {folder!r} must hold the official MNIST file {stem!r} (or "
                            f"{stem}.gz); it has {sorted(os.listdir(folder))[:10]}")


def load_mnist_idx(folder: str, split: str) -> Tuple[Tensor, Tensor]:
    """Images ``(N, 28, 28)`` in ``[0, 1]`` and labels ``(N,)`` from the official MNIST IDX files in
    ``folder``."""
    check_choice(split, 'split', ('train', 'test'))
    if not osp.isdir(folder):
        raise FileNotFoundError("idx_dir must be a folder with the MNIST IDX files, got "
                                f"{folder!r}")
    images = read_idx(_find_idx(folder, _IDX_FILES[split][0]))
    labels = read_idx(_find_idx(folder, _IDX_FILES[split][1]))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST IDX files of {split!r} must hold images (N, 28, 28) and labels "
                         f"(N,), got {images.shape} and {labels.shape}")
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(
        labels.astype(np.int64)
    )


__all__ = ['read_idx', 'load_mnist_idx']
