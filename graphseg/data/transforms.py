r"""Joint image/label transforms for segmentation training, deterministic under a seed.

Every transform is a callable ``t(image, target, generator=None) -> (image, target)``
on ``image`` float :math:`(C, H, W)` in ``[0, 1]`` and ``target`` long :math:`(H, W)`;
random draws come from ``generator`` (a :class:`torch.Generator`; the global RNG
when ``None``). The training loop gives each sample its own generator seeded from
``(seed, epoch, index)``, so an augmented sample is the same whatever the number of
workers or processes and after a resume.

The papers' pipeline (PSPNet, RGNet, HG-ResNet, HyperSeg) is::

    Compose([RandomScale((0.5, 2.0)), RandomCrop((769, 769)), RandomHorizontalFlip(),
             PhotometricJitter(0.2), Normalize.imagenet()])
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..check import (MAX_IMAGE_CHANNELS, check_callable, check_floating, check_index, check_ndim,
                     check_number)

Pair = Tuple[Tensor, Tensor]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _uniform(lo: float, hi: float, generator: Optional[torch.Generator]) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=generator))


def _check_pair(image: Tensor, target: Tensor) -> None:
    check_ndim(image, 'image', 3, '(C, H, W)')
    check_floating(image, 'image')
    if image.size(0) > MAX_IMAGE_CHANNELS and image.size(-1) <= MAX_IMAGE_CHANNELS:
        raise ValueError("image looks channels-last: transforms take (C, H, W), got shape "
                         f"{tuple(image.shape)}; pass image.permute(2, 0, 1)")
    check_ndim(target, 'target', 2, '(H, W)')
    check_index(target, 'target')
    if image.shape[-2:] != target.shape:
        raise ValueError(f"target must have the image size {tuple(image.shape[-2:])}, got "
                         f"{tuple(target.shape)}")


class Compose:
    """Apply transforms in order, passing the same generator to each."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, (list, tuple)):
            raise TypeError("transforms must be a list of callables, got "
                            f"{type(transforms).__name__}")
        for i, t in enumerate(transforms):
            check_callable(t, f'transforms[{i}]')
        self.transforms: List[Callable] = list(transforms)

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        _check_pair(image, target)
        for t in self.transforms:
            image, target = t(image, target, generator)
        return image, target

    def __repr__(self) -> str:
        return f'Compose({", ".join(map(repr, self.transforms))})'


class RandomScale:
    """Resize by a factor drawn uniformly from ``scale_range`` (image bilinear, target nearest)."""

    def __init__(self, scale_range: Tuple[float, float] = (0.5, 2.0)) -> None:
        if not isinstance(scale_range, (list, tuple)) or len(scale_range) != 2:
            raise ValueError(f"scale_range must be a pair (lo, hi), got {scale_range!r}")
        lo, hi = (check_number(v, 'scale_range') for v in scale_range)
        if not 0 < lo <= hi:
            raise ValueError(f"scale_range must satisfy 0 < lo <= hi, got {scale_range}")
        self.scale_range = (float(lo), float(hi))

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        s = _uniform(*self.scale_range, generator)
        H, W = target.shape
        size = (max(1, round(H * s)), max(1, round(W * s)))
        if size == (H, W):
            return image, target
        image = F.interpolate(image[None], size=size, mode='bilinear', align_corners=False)[0]
        target = F.interpolate(target[None, None].float(), size=size, mode='nearest')[0, 0].long()
        return image, target

    def __repr__(self) -> str:
        return f'RandomScale({self.scale_range})'


class RandomCrop:
    """Crop ``size = (h, w)`` at a random position; smaller inputs are first padded at the
    bottom/right with ``fill`` (image) and ``ignore_index`` (target), so padding never counts in the
    loss."""

    def __init__(self, size: Tuple[int, int], ignore_index: int = 255, fill: float = 0.0) -> None:
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in size)):
            raise ValueError(f"size must be (h, w) with positive int sizes, got {size!r}")
        self.size, self.ignore_index, self.fill = (int(size[0]), int(size[1])), ignore_index, fill

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        h, w = self.size
        H, W = target.shape
        if H < h or W < w:
            ph, pw = max(h - H, 0), max(w - W, 0)
            image = F.pad(image, (0, pw, 0, ph), value=self.fill)
            target = F.pad(target, (0, pw, 0, ph), value=self.ignore_index)
            H, W = target.shape
        y = int(torch.randint(H - h + 1, (), generator=generator))
        x = int(torch.randint(W - w + 1, (), generator=generator))
        return image[:, y:y + h, x:x + w], target[y:y + h, x:x + w]

    def __repr__(self) -> str:
        return f'RandomCrop({self.size}, ignore_index={self.ignore_index})'


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        if check_number(p, 'p', 0.) > 1:
            raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
        self.p = p

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        if float(torch.rand((), generator=generator)) < self.p:
            return image.flip(-1), target.flip(-1)
        return image, target

    def __repr__(self) -> str:
        return f'RandomHorizontalFlip(p={self.p})'


class PhotometricJitter:
    """Random brightness, contrast and saturation factors in ``[1 - strength, 1 + strength]`` (in
    that order, as torchvision's ``ColorJitter`` without hue), on RGB in ``[0, 1]``, clamped; the
    target is unchanged."""

    def __init__(self, strength: float = 0.2) -> None:
        if not 0 <= check_number(strength, 'strength') < 1:
            raise ValueError(f"strength must be in [0, 1), got {strength}")
        self.strength = strength

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        s = self.strength
        b, c, sat = (_uniform(1 - s, 1 + s, generator) for _ in range(3))
        image = (image * b).clamp(0, 1)
        gray = _gray(image)
        image = ((image - gray.mean()) * c + gray.mean()).clamp(0, 1)
        if image.size(0) == 3:
            image = ((image - _gray(image)) * sat + _gray(image)).clamp(0, 1)
        return image, target

    def __repr__(self) -> str:
        return f'PhotometricJitter({self.strength})'


def _gray(image: Tensor) -> Tensor:
    if image.size(0) != 3:
        return image
    # ITU-R 601, as torchvision
    return (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2]).unsqueeze(0)


class Normalize:
    """``(image - mean) / std`` per channel (deterministic)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        for name, values in (('mean', mean), ('std', std)):
            if not isinstance(values, (list, tuple)) or not values:
                raise ValueError(f"{name} must be a non-empty sequence of numbers, got {values!r}")
            for v in values:
                check_number(v, name)
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"mean and std must have the same length and std > 0, got {mean}, "
                             f"{std}")
        self.mean, self.std = tuple(mean), tuple(std)

    @classmethod
    def imagenet(cls) -> 'Normalize':
        return cls(IMAGENET_MEAN, IMAGENET_STD)

    def __call__(self, image: Tensor, target: Tensor,
                 generator: Optional[torch.Generator] = None) -> Pair:
        if image.size(0) != len(self.mean):
            raise ValueError(f"image must have {len(self.mean)} channels to normalise, got "
                             f"{image.size(0)}")
        mean = torch.tensor(self.mean, dtype=image.dtype).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=image.dtype).view(-1, 1, 1)
        return (image - mean) / std, target

    def __repr__(self) -> str:
        return f'Normalize(mean={self.mean}, std={self.std})'


def build_transforms(train: bool, *, crop_size: Optional[Sequence[int]] = None,
                     scale_range: Sequence[float] = (1.0, 1.0), flip: bool = False,
                     jitter: float = 0.0, normalize: str = 'none',
                     ignore_index: int = 255) -> Optional[Compose]:
    """The training (or evaluation: normalisation only) pipeline of a
    :class:`~graphseg.engine.DataConfig`."""
    ts: List[Callable] = []
    if train:
        if tuple(scale_range) != (1.0, 1.0):
            ts.append(RandomScale(tuple(scale_range)))
        if crop_size is not None:
            ts.append(RandomCrop(tuple(crop_size), ignore_index))
        if flip:
            ts.append(RandomHorizontalFlip())
        if jitter > 0:
            ts.append(PhotometricJitter(jitter))
    if normalize == 'imagenet':
        ts.append(Normalize.imagenet())
    elif normalize != 'none':
        raise ValueError(f"normalize must be one of ('none', 'imagenet'), got {normalize!r}")
    return Compose(ts) if ts else None


__all__ = ['Compose', 'RandomScale', 'RandomCrop', 'RandomHorizontalFlip', 'PhotometricJitter',
           'Normalize', 'build_transforms', 'IMAGENET_MEAN', 'IMAGENET_STD']
