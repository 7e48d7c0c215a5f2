"""Images that ship with installed packages (no download): ``skimage.data`` photos, or a file."""
from __future__ import annotations

import os
from typing import Tuple, Union

import numpy as np
import torch
from torch import Tensor
from skimage.io import imread
import skimage.data

from ..check import as_image
from .decode import decode_image

#: ``skimage.data`` colour photos bundled with scikit-image (no network needed).
SKIMAGE_PHOTOS: Tuple[str, ...] = ('astronaut', 'chelsea', 'coffee', 'rocket',
                                   'immunohistochemistry', 'retina', 'hubble_deep_field',
                                   'colorwheel')
#: ``skimage.data`` grayscale photos (returned with one channel).
SKIMAGE_GRAY: Tuple[str, ...] = ('camera', 'coins', 'moon', 'page', 'text', 'horse', 'grass',
                                 'gravel', 'brick', 'clock', 'checkerboard')


def load_image(source: Union[str, os.PathLike]) -> Tensor:
    """Load an image as a float tensor ``(C, H, W)`` in ``[0, 1]``.

    ``source`` is an image file or the name of a bundled ``skimage.data`` image such as
    ``'astronaut'`` (see :data:`SKIMAGE_PHOTOS`, :data:`SKIMAGE_GRAY`). Files are decoded by their
    mode (:func:`~graphseg.data.decode.decode_image`): grey images (8-bit, 16-bit scaled by 65535,
    1-bit) get one channel, colour ones (RGB, palette, CMYK, ...) three; alpha is dropped. Files
    Pillow cannot identify are read with ``skimage.io.imread`` (imageio, tifffile). A truncated or
    corrupt file, a decompression bomb or an image without a fixed range (32-bit integers) is
    refused in one line naming the file.
    """
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or a name, got {type(source).__name__}")
    if os.path.isdir(source):
        raise ValueError(f"source {os.fspath(source)!r} is a folder, not an image file")
    if os.path.isfile(source):
        try:
            arr = decode_image(source, 'source')
        except ValueError as e:
            if 'Pillow cannot identify' not in str(e):
                raise
            arr = _imread(os.fspath(source))
        return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if os.path.exists(source) or os.path.islink(source):
        decode_image(source, 'source')  # a FIFO or a broken link: refused by name
    if isinstance(source, str) and source in SKIMAGE_PHOTOS + SKIMAGE_GRAY:
        arr = np.asarray(getattr(skimage.data, source)())
        if arr.ndim == 2:
            arr = arr[..., None]
        # graphseg.check.as_image: uint8 / 255, uint16 / 65535, bool -> {0, 1}
        return as_image(arr[..., :3], f'image {source!r}', batched=False).to(
            torch.float32).contiguous()
    raise FileNotFoundError(f"source must be an image file or a bundled skimage.data name "
                            f"{SKIMAGE_PHOTOS + SKIMAGE_GRAY}, got {source!r}")


def _imread(path: str) -> np.ndarray:
    """An image file Pillow cannot identify, through ``skimage.io.imread``, as float32
    ``(H, W, C)`` in ``[0, 1]`` (``as_image`` scales uint8 / uint16 / bool, refuses the rest)."""
    try:
        arr = np.asarray(imread(path))
    except Exception as e:  # imageio / tifffile raise many types for "not an image"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"source {path!r} is not a readable image ({first[:160]})") from None
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"source {path!r} must hold an (H, W) or (H, W, C) image with C <= 4, "
                         f"got shape {arr.shape}")
    arr = arr[..., :1] if arr.shape[-1] == 2 else arr[..., :3]  # alpha dropped
    return as_image(arr, f'image from {path!r}', batched=False).to(
        torch.float32).permute(1, 2, 0).numpy()


__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY']
