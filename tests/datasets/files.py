"""Tiny image and label files in every mode Pillow writes, for the tests of the readers
(tests/datasets/test_decode.py, test_folder_layout.py, the reader tests)."""
import os

import numpy as np
from PIL import Image


def save(path, arr, mode=None, palette=None, **kw):
    """Write ``arr`` as an image file of ``mode`` (``'L'``, ``'P'``, ``'1'``, ``'I;16'``, ``'RGB'``,
    ``'RGBA'``, ``'LA'``, ``'I'``, ``'F'``); returns the path as a str."""
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.asarray(arr)
    if mode == 'P':
        im = Image.fromarray(arr.astype(np.uint8), 'L').convert('P')
        im.putpalette(palette or [v for i in range(256) for v in (i, 255 - i, (7 * i) % 256)])
        im.putdata(arr.astype(np.uint8).ravel().tolist())
    elif mode == '1':
        im = Image.fromarray(arr.astype(bool))
    elif mode == 'I;16':
        im = Image.fromarray(arr.astype(np.uint16))
    elif mode == 'I':
        im = Image.fromarray(arr.astype(np.int32), 'I')
    elif mode == 'F':
        im = Image.fromarray(arr.astype(np.float32), 'F')
    else:
        im = Image.fromarray(arr.astype(np.uint8), mode)
    im.save(path, **kw)
    return path


def rgb_image(path, h=4, w=6, seed=0):
    """A random 8-bit RGB image file."""
    rng = np.random.default_rng(seed)
    return save(path, rng.integers(0, 256, (h, w, 3)), 'RGB')


def colour_label(h, w, colours):
    """An ``(h, w, 3)`` label painted column by column with ``colours``."""
    arr = np.zeros((h, w, 3), np.uint8)
    for j in range(w):
        arr[:, j] = colours[j % len(colours)]
    return arr


def truncate(path, keep=0.5):
    """Cut a file to a fraction of its bytes."""
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path, 'wb') as f:
        f.write(raw[:max(1, int(len(raw) * keep))])
    return path
