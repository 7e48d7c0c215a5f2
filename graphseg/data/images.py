"""Images that ship with installed packages (no download): ``skimage.data`` photos, or a file."""
from __future__ import annotations

import os
from typing import Tuple, Union

import numpy as np
import torch
from torch import Tensor

#: ``skimage.data`` colour photos bundled with scikit-image (no network needed).
SKIMAGE_PHOTOS: Tuple[str, ...] = ('astronaut', 'chelsea', 'coffee', 'rocket', 'immunohistochemistry',
                                   'retina', 'hubble_deep_field', 'colorwheel')
#: ``skimage.data`` grayscale photos (returned with one channel).
SKIMAGE_GRAY: Tuple[str, ...] = ('camera', 'coins', 'moon', 'page', 'text', 'horse', 'grass', 'gravel',
                                 'brick', 'clock', 'checkerboard')


def load_image(source: Union[str, os.PathLike]) -> Tensor:
    """Load an image as a float tensor ``(C, H, W)`` in ``[0, 1]``.

    ``source`` is a file path (anything ``skimage.io.imread`` reads) or the name
    of a bundled ``skimage.data`` image such as ``'astronaut'`` (see
    :data:`SKIMAGE_PHOTOS`, :data:`SKIMAGE_GRAY`). An alpha channel is dropped;
    grayscale images get one channel.
    """
    if isinstance(source, (str, os.PathLike)) and os.path.isfile(source):
        from skimage.io import imread
        arr = imread(os.fspath(source))
    elif isinstance(source, str) and source in SKIMAGE_PHOTOS + SKIMAGE_GRAY:
        import skimage.data
        arr = getattr(skimage.data, source)()
    else:
        raise FileNotFoundError(f"source must be an image file or a bundled skimage.data name "
                                f"{SKIMAGE_PHOTOS + SKIMAGE_GRAY}, got {source!r}")
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"image from {source!r} must be (H, W) or (H, W, C), got shape {arr.shape}")
    if arr.shape[-1] == 4:
        arr = arr[..., :3]
    if arr.dtype == np.uint8:
        t = torch.from_numpy(np.ascontiguousarray(arr)).float() / 255.
    elif arr.dtype == np.uint16:
        t = torch.from_numpy(arr.astype(np.float32)) / 65535.
    elif arr.dtype == bool:
        t = torch.from_numpy(arr.astype(np.float32))
    else:
        t = torch.from_numpy(arr.astype(np.float32))
    return t.permute(2, 0, 1).contiguous()


__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY']
