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

#: ``skimage.data`` colour photos bundled with scikit-image (no network needed).
SKIMAGE_PHOTOS: Tuple[str, ...] = ('astronaut', 'chelsea', 'coffee', 'rocket',
                                   'immunohistochemistry', 'retina', 'hubble_deep_field',
                                   'colorwheel')
#: ``skimage.data`` grayscale photos (returned with one channel).
SKIMAGE_GRAY: Tuple[str, ...] = ('camera', 'coins', 'moon', 'page', 'text', 'horse', 'grass',
                                 'gravel', 'brick', 'clock', 'checkerboard')


def load_image(source: Union[str, os.PathLike]) -> Tensor:
    """Load an image as a float tensor ``(C, H, W)`` in ``[0, 1]``.

    ``source`` is a file path (anything ``skimage.io.imread`` reads) or the name
    of a bundled ``skimage.data`` image such as ``'astronaut'`` (see
    :data:`SKIMAGE_PHOTOS`, :data:`SKIMAGE_GRAY`). An alpha channel is dropped;
    grayscale images get one channel.
    """
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or a name, got {type(source).__name__}")
    if os.path.isdir(source):
        raise ValueError(f"source {os.fspath(source)!r} is a folder, not an image file")
    if os.path.isfile(source):
        try:
            arr = imread(os.fspath(source))
        except Exception as e:  # imageio / PIL raise many types for "not an image"
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(
                f"source {os.fspath(source)!r} is not a readable image ({first})"
            ) from e
    elif isinstance(source, str) and source in SKIMAGE_PHOTOS + SKIMAGE_GRAY:
        arr = getattr(skimage.data, source)()
    else:
        raise FileNotFoundError(f"source must be an image file or a bundled skimage.data name "
                                f"{SKIMAGE_PHOTOS + SKIMAGE_GRAY}, got {source!r}")
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"image from {source!r} must be (H, W) or (H, W, C), got shape "
                         f"{arr.shape}")
    if arr.shape[-1] == 4:
        arr = arr[..., :3]
    # graphseg.check.as_image: uint8 / 255, uint16 / 65535, bool -> {0, 1}, other integer dtypes
    # rejected
    return as_image(arr, f'image from {source!r}', batched=False).to(torch.float32).contiguous()


__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY']
