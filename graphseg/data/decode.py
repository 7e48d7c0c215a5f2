"""Image and label files decoded by their mode, or refused in one line that names the file.

A label file is data, not a picture: converting it the way a photo is converted silently changes
it (a colour label turned into grey levels reads Cityscapes' truck as sidewalk and CamVid's void as
sky; a 0/1 mask thresholded at 128 is all background; a 16-bit photo clipped to 8 bits is white).
So every file is decoded by what its mode says it holds:

* **images** (:func:`decode_image`, :func:`read_image`): 8-bit modes are divided by 255, 16-bit
  grey (``'I;16'``, a 16-bit PNG) by 65535, 1-bit images give ``{0, 1}``; palette, CMYK and YCbCr
  images are converted to RGB by Pillow; alpha is dropped. Images without a fixed range (32-bit
  integers, floats outside ``[0, 1]``) are refused.
* **label ids** (:func:`read_label`): single-channel images (``'L'``, ``'I;16'``, ``'I'``, ``'1'``)
  give their values, palette images (``'P'``) their indices; with an alpha channel only when it is
  fully opaque. Colour images (``'RGB'``, ``'RGBA'``) are decoded through the dataset's colour
  table when it has one (``colors``), and refused otherwise.
* **binary masks** (:func:`read_mask`): 1-bit images, values 0/1 and 0/255 give 0/1; grey levels
  that sit near black and white (anti-aliased or re-compressed edges, which DUTS' and DeepGlobe's
  released masks have; DeepGlobe's own instructions binarise them at 128) are thresholded; a colour
  image only when its channels are equal (DeepGlobe stores masks as RGB). Anything else -- a class
  map, a mask whose foreground is 128 -- is refused with the values found.

Every reader refuses, naming the file: a missing file or broken link, a folder, a file Pillow cannot
identify, a truncated or corrupt file, and a decompression bomb (Pillow's
``DecompressionBombWarning`` is treated as an error, not only its ``DecompressionBombError``).
"""
from __future__ import annotations

import contextlib
import os
import struct
import warnings
import zlib
from typing import Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from PIL import Image, ImageFile, UnidentifiedImageError
from torch import Tensor

from ..check import check_int

PathLike = Union[str, os.PathLike]
RGB = Tuple[int, int, int]

#: modes with an alpha channel, and the mode of their colour part
_ALPHA = {'LA': 'L', 'La': 'L', 'PA': 'P', 'RGBA': 'RGB', 'RGBa': 'RGB'}
#: decoding errors of Pillow's plugins for truncated or corrupt files
_CORRUPT = (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error, IndexError,
            KeyError, TypeError)


def _first_line(e: BaseException, limit: int = 160) -> str:
    text = (str(e).strip().splitlines() or [''])[0]
    return f'{type(e).__name__}: {text[:limit]}' if text else type(e).__name__


@contextlib.contextmanager
def open_image(path: PathLike, what: str = 'image') -> Iterator[Image.Image]:
    """``Image.open(path)``, fully decoded, with one-line errors that name ``what`` and the file.

    Raises ``FileNotFoundError`` (missing file or broken symbolic link), ``IsADirectoryError``,
    ``PermissionError`` and ``ValueError`` (not an image, truncated or corrupt, decompression bomb).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path, got {type(path).__name__}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path!r} is a folder, expected an image file")
    if not os.path.exists(path):
        link = ' (a broken symbolic link)' if os.path.islink(path) else ''
        raise FileNotFoundError(f"{what} {path!r} does not exist{link}")
    if not os.path.isfile(path):
        raise ValueError(f"{what} {path!r} is not a regular file (a FIFO, socket or device)")
    im = None
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never padded
            im = Image.open(path)
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ValueError(
            f"{what} {path!r} is refused as a possible decompression bomb ({_first_line(e)}); "
            "raise PIL.Image.MAX_IMAGE_PIXELS if you trust the file") from None
    except UnidentifiedImageError:
        raise ValueError(f"{what} {path!r} is not a readable image (Pillow cannot identify "
                         "its format)") from None
    except PermissionError:
        raise PermissionError(f"{what} {path!r} cannot be read: permission denied") from None
    except _CORRUPT as e:
        if im is not None:
            im.close()
        raise ValueError(f"{what} {path!r} is truncated or corrupt ({_first_line(e)})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    try:
        yield im
    finally:
        im.close()


def _without_alpha(im: Image.Image, path: str, what: str, require_opaque: bool) -> Image.Image:
    """The colour part of an image with alpha; ``require_opaque``: refuse transparent pixels (a
    label pixel that is transparent has no defined value)."""
    if im.mode not in _ALPHA:
        return im
    if require_opaque:
        alpha = np.asarray(im.getchannel(im.getbands()[-1]))
        if alpha.min() < 255:
            raise ValueError(
                f"{what} {path!r} has transparent pixels ({int((alpha < 255).sum())} with alpha < "
                f"255); label files must be opaque")
    if im.mode in ('PA',):
        return Image.fromarray(np.asarray(im)[..., 0], 'L')  # the palette indices
    return im.convert(_ALPHA[im.mode])


def _image_array(im: Image.Image, path: str, what: str) -> np.ndarray:
    """``(H, W, C)`` float32 in ``[0, 1]``, ``C`` = 1 (grey) or 3 (colour)."""
    mode = im.mode
    if mode == '1':
        return np.asarray(im, dtype=np.float32)[..., None]
    if mode in ('L', 'LA', 'La'):
        grey = im if mode == 'L' else im.getchannel('L')
        return np.asarray(grey, dtype=np.float32)[..., None] / 255.
    if mode.startswith('I;16') or (mode == 'I' and im.format == 'PNG'):
        # a 16-bit image: scaled by its range, as graphseg.check.as_image does for uint16
        arr = np.asarray(im).astype(np.float32)
        return arr[..., None] / 65535.
    if mode in ('I', 'F'):
        arr = np.asarray(im).astype(np.float32)
        if mode == 'I' or not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            raise ValueError(
                f"{what} {path!r} is a {'32-bit integer' if mode == 'I' else 'floating-point'} "
                f"image with values in [{lo:g}, {hi:g}]: it has no fixed range to scale to [0, 1] "
                "(expected 8- or 16-bit, or floats in [0, 1])")
        return arr[..., None]
    return np.asarray(im.convert('RGB'), dtype=np.float32) / 255.


def decode_image(path: PathLike, what: str = 'image') -> np.ndarray:
    """An image file as float32 ``(H, W, C)`` in ``[0, 1]``: ``C`` = 1 for grey (8-bit, 16-bit,
    1-bit) images, 3 for colour ones; alpha dropped; scaled by the range of the file's mode."""
    with open_image(path, what) as im:
        return _image_array(im, os.fspath(path), what)


def read_image(path: PathLike) -> Tensor:
    """An image file as float ``(3, H, W)`` in ``[0, 1]`` (grey is repeated, alpha dropped, 16-bit
    images scaled by 65535; see :func:`decode_image`)."""
    arr = decode_image(path, 'image')
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


# ----------------------------------------------------------------------------- labels

def _rgb_keys(rgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 -> one int per colour ``r << 16 | g << 8 | b``."""
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _check_colors(colors: object) -> Dict[RGB, int]:
    if not isinstance(colors, Mapping) or not colors:
        raise TypeError(f"colors must be a non-empty mapping (r, g, b) -> class id, got "
                        f"{type(colors).__name__}")
    out = {}
    for rgb, v in colors.items():
        if (not isinstance(rgb, tuple) or len(rgb) != 3
                or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)):
            raise ValueError(f"colors keys must be (r, g, b) tuples of ints in [0, 255], got "
                             f"{rgb!r}")
        out[rgb] = check_int(v, f'colors[{rgb}]', 0)
    return out


def decode_colors(rgb: np.ndarray, colors: Mapping[RGB, int], path: str = '<array>',
                  what: str = 'label', names: Optional[Mapping[RGB, str]] = None,
                  hint: str = '') -> np.ndarray:
    """Colour label ``(H, W, 3)`` -> class ids through the table ``colors``; a colour not in the
    table is refused, named (with ``names[colour]`` when given)."""
    table = _check_colors(colors)
    keys = np.array(sorted(_rgb_keys(np.array(list(table), np.int64))), dtype=np.int64)
    ids = np.array([table[(int(k) >> 16, (int(k) >> 8) & 255, int(k) & 255)] for k in keys],
                   dtype=np.int64)
    flat = _rgb_keys(rgb)
    pos = np.clip(np.searchsorted(keys, flat), 0, len(keys) - 1)
    known = keys[pos] == flat
    if not known.all():
        bad, counts = np.unique(flat[~known], return_counts=True)
        order = np.argsort(-counts)[:4]
        shown = []
        for k, n in zip(bad[order], counts[order]):
            c = (int(k) >> 16, (int(k) >> 8) & 255, int(k) & 255)
            label = f' {names[c]}' if names and c in names else ''
            shown.append(f'{c}{label} x{n}')
        raise ValueError(
            f"{what} {path!r} holds {len(bad)} colour(s) outside the dataset's colour table of "
            f"{len(table)} colours ({', '.join(shown)}){hint}")
    return ids[pos]


def read_label(path: PathLike, colors: Optional[Mapping[RGB, int]] = None, *,
               what: str = 'label', color_names: Optional[Mapping[RGB, str]] = None,
               hint: str = '') -> np.ndarray:
    """A label file as an integer array ``(H, W)``, decoded by its mode.

    Single-channel images (8/16/32-bit grey, 1-bit) give their values, palette images their
    indices (VOC); with alpha only when every pixel is opaque. A colour image is decoded through
    ``colors`` (``(r, g, b) -> id``) when given, and refused otherwise: grey levels of colours are
    not class ids. ``hint`` ends the refusal (e.g. which files hold the ids).
    """
    path_s = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    with open_image(path, what) as im:
        base = _ALPHA.get(im.mode, im.mode)
        im = _without_alpha(im, path_s, what, require_opaque=True)
        if base in ('1', 'L', 'P', 'I') or base.startswith('I;16'):
            return np.asarray(im).astype(np.int64)
        if base in ('RGB', 'RGBX') and colors is not None:
            return decode_colors(np.asarray(im.convert('RGB')), colors, path_s, what,
                                 color_names, hint)
        if base in ('RGB', 'RGBX', 'CMYK', 'YCbCr', 'LAB', 'HSV'):
            raise ValueError(
                f"{what} {path_s!r} is a colour ({base}) image, not a label file of class ids "
                "(a single-channel grey or palette image); this dataset defines no colour table, "
                f"and grey levels of colours are not class ids{hint}")
        raise ValueError(f"{what} {path_s!r} has the image mode {im.mode!r}; label files are "
                         f"single-channel (grey or palette) images of class ids{hint}")


def _mask_values(grey: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.bincount(grey.ravel()))


def read_mask(path: PathLike, threshold: int = 128, *, what: str = 'mask') -> np.ndarray:
    """A binary mask file as an int64 array ``(H, W)`` of 0 (background) and 1 (foreground).

    Accepted: 1-bit images; values 0/1; values 0/255 (0/65535 for 16 bits); grey levels of which
    at least 90 % lie within 1/8 of the range from black or white, with some near-white pixels
    (anti-aliased or re-compressed masks), foreground where the value on the 8-bit scale is
    ``>= threshold``; palette images with indices 0/1 or 0/255; colour images whose three channels
    are equal. Refused (naming the file and the values found): other value sets, e.g. a class map
    or a mask whose foreground is 128.
    """
    check_int(threshold, 'threshold', 1, 255)
    path_s = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    with open_image(path, what) as im:
        mode = _ALPHA.get(im.mode, im.mode)
        im = _without_alpha(im, path_s, what, require_opaque=True)
        if mode == '1':
            return np.asarray(im).astype(np.int64)
        if mode in ('RGB', 'RGBX', 'CMYK', 'YCbCr'):
            rgb = np.asarray(im.convert('RGB'))
            if not ((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()):
                raise ValueError(f"{what} {path_s!r} is a colour image with differing channels, "
                                 "not a binary mask (expected grey levels, 0/1 or 0/255)")
            grey, full = rgb[..., 0], 255
        elif mode in ('L', 'P'):
            grey, full = np.asarray(im), 255
        elif mode == 'I' or mode.startswith('I;16'):
            grey, full = np.asarray(im).astype(np.int64), 65535
            if grey.min() < 0 or grey.max() > full:
                raise ValueError(f"{what} {path_s!r} holds values in [{grey.min()}, "
                                 f"{grey.max()}], outside a 16-bit mask's [0, 65535]")
        else:
            raise ValueError(f"{what} {path_s!r} has the image mode {im.mode!r}, not a binary "
                             "mask (expected 1-bit, grey or palette)")
        return _binarise(grey, full, threshold, mode == 'P', path_s, what)


def _binarise(grey: np.ndarray, full: int, threshold: int, palette: bool, path: str,
              what: str) -> np.ndarray:
    values = _mask_values(grey)
    if values.size and values.max() <= 1:
        return grey.astype(np.int64)  # a 0/1 mask
    if np.isin(values, (0, full)).all():
        return (grey == full).astype(np.int64)  # a 0/255 mask
    band = full // 8
    near = float(((grey <= band) | (grey >= full - band)).mean())
    white = bool((grey >= full - band).any())
    if not palette and near >= 0.9 and white:
        # anti-aliased / re-compressed edges: the threshold of the dataset's own evaluation
        return (grey.astype(np.int64) * 255 >= threshold * full).astype(np.int64)
    shown = ', '.join(str(int(v)) for v in values[:8]) + (', ...' if values.size > 8 else '')
    kind = 'palette indices' if palette else 'values'
    raise ValueError(
        f"{what} {path!r} is not a binary mask: expected 0/1, 0/{full}, a 1-bit image or grey "
        f"levels near black and white, got {kind} [{shown}] ({100 * (1 - near):.0f} % of pixels "
        "in between)")


def values_present(label: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array (by counting when the range is small)."""
    if label.size == 0:
        return np.zeros(0, np.int64)
    lo, hi = int(label.min()), int(label.max())
    if lo >= 0 and hi < (1 << 20):
        return np.flatnonzero(np.bincount(label.ravel()))
    return np.unique(label)


def check_label_values(label: np.ndarray, allowed: Sequence[int], path: str,
                       what: str = 'label', hint: str = '') -> np.ndarray:
    """``label`` unchanged if all its values are in ``allowed``, else ``ValueError`` naming the
    file and the values that the dataset does not define."""
    present = values_present(label)
    bad = present[~np.isin(present, np.asarray(allowed, dtype=np.int64))]
    if bad.size:
        shown = ', '.join(str(int(v)) for v in bad[:8]) + (', ...' if bad.size > 8 else '')
        raise ValueError(f"{what} {path!r} holds values the dataset does not define ({shown}); "
                         f"expected {_ranges(allowed)}{hint}")
    return label


def _ranges(values: Sequence[int]) -> str:
    """``[0, 1, 2, 5, 255]`` -> ``'0-2, 5, 255'``."""
    vals = sorted(set(int(v) for v in values))
    out, start = [], vals[0]
    for a, b in zip(vals, vals[1:] + [None]):
        if b != a + 1:
            out.append(f'{start}' if start == a else f'{start}-{a}')
            start = b
    return ', '.join(out)


__all__ = ['open_image', 'decode_image', 'read_image', 'read_label', 'read_mask',
           'decode_colors', 'check_label_values', 'values_present']
