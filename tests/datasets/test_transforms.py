"""The joint image / label transforms."""
import pytest
import torch

from graphseg.data import (Compose, Normalize, PhotometricJitter, RandomCrop, RandomHorizontalFlip,
                           RandomScale, build_transforms)


def _pair(h=20, w=30):
    g = torch.Generator().manual_seed(1)
    return torch.rand(3, h, w, generator=g), torch.randint(0, 5, (h, w), generator=g)


def test_transforms_deterministic_under_a_seed():
    t = build_transforms(True, crop_size=(16, 16), scale_range=(0.5, 2.0), flip=True, jitter=0.3,
                         normalize='imagenet')
    image, target = _pair()
    a = t(image, target, torch.Generator().manual_seed(7))
    b = t(image, target, torch.Generator().manual_seed(7))
    c = t(image, target, torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert a[0].shape == (3, 16, 16) and a[1].shape == (16, 16)
    assert 'RandomScale' in repr(t) and build_transforms(False) is None


def test_crop_pads_with_ignore_and_scale_keeps_labels():
    image, target = _pair(10, 12)
    im, tg = RandomCrop((16, 20), ignore_index=255)(image, target, torch.Generator().manual_seed(0))
    assert im.shape == (3, 16, 20) and torch.equal(tg[:10, :12], target)
    assert bool((tg[10:] == 255).all()) and bool((im[:, 10:] == 0).all())
    im, tg = RandomScale((2.0, 2.0))(image, target)
    assert tg.shape == (20, 24) and set(tg.unique().tolist()) <= set(target.unique().tolist())
    assert torch.equal(tg[::2, ::2], target)  # nearest: no new label values, no blending


def test_flip_jitter_normalize():
    image, target = _pair()
    im, tg = RandomHorizontalFlip(p=1.0)(image, target)
    assert torch.equal(im, image.flip(-1)) and torch.equal(tg, target.flip(-1))
    im, tg = PhotometricJitter(0.4)(image, target, torch.Generator().manual_seed(0))
    assert (
        torch.equal(tg, target)
        and 0 <= float(im.min())
        and float(im.max()) <= 1
        and not torch.equal(im, image)
    )
    im, _ = Normalize.imagenet()(torch.full((3, 1, 1), 0.485), target[:1, :1])
    assert abs(float(im[0])) < 1e-6
    with pytest.raises(ValueError, match='target must have the image size'):
        Compose([])(image, target[:5])
    with pytest.raises(ValueError, match=r'size must be \(h, w\)'):
        RandomCrop((0, 4))
