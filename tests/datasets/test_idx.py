"""MNIST IDX files: read_idx, load_mnist_idx and MNISTSuperpixels built from them."""
import gzip
import os

import numpy as np
import pytest
import torch

from graphseg.data import MNISTSuperpixels, load_mnist_idx, mnist_digits, read_idx


def _write_idx(path, array, gz):
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(
        int(s).to_bytes(4, 'big') for s in array.shape
    )
    opener = gzip.open if gz else open
    with opener(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_files(tmp_path):
    images, labels = mnist_digits()
    pick = torch.tensor([0, 600, 1200, 4999])
    imgs = (images[pick] * 255).round().numpy().astype(np.uint8)
    idx = tmp_path / 'idx'
    idx.mkdir()
    _write_idx(idx / 'train-images-idx3-ubyte.gz', imgs, gz=True)
    _write_idx(idx / 'train-labels-idx1-ubyte', labels[pick].numpy(), gz=False)
    assert np.array_equal(read_idx(str(idx / 'train-images-idx3-ubyte.gz')), imgs)
    x, y = load_mnist_idx(str(idx), 'train')
    assert x.shape == (4, 28, 28) and torch.equal(y, labels[pick])
    ds = MNISTSuperpixels(str(tmp_path / 'root'), 'train', idx_dir=str(idx), progress=False)
    assert len(ds) == 4 and torch.equal(torch.cat([d.y for d in ds]), labels[pick])
    assert os.path.exists(tmp_path / 'root' / 'processed' / 'idx_train.pt')
    with pytest.raises(FileNotFoundError,
                       match="must hold the official MNIST file 't10k-images-idx3-ubyte'"):
        load_mnist_idx(str(idx), 'test')
    (idx / 'bad').write_bytes(b'\x01\x02\x03\x04')
    with pytest.raises(ValueError, match='is not an unsigned-byte IDX file'):
        read_idx(str(idx / 'bad'))
