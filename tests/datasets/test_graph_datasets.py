"""Graph datasets built from images: MNISTSuperpixels, ImageFolderSuperpixels,
SegmentationSuperpixels."""
import os

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from graphseg.data import (ImageFolderSuperpixels, MNISTSegmentation, MNISTSuperpixels,
                           SegmentationSuperpixels, majority_labels, mnist_digits)
from graphseg.data.mnist_seg import mnist_5k_split
from graphseg.graphs import TypedEdges, group_adjacency


@pytest.fixture(scope='module')
def mnist_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('mnist_sp'))


@pytest.fixture(scope='module')
def mnist20(mnist_root):
    return MNISTSuperpixels(mnist_root, 'train', limit=20, progress=False)


def test_mnist_superpixels_graphs(mnist20):
    assert len(mnist20) == 20 and mnist20.num_classes == 10
    # the split is interleaved by class: any prefix is balanced
    assert torch.equal(torch.cat([d.y for d in mnist20]), torch.arange(10).repeat(2))
    images, labels = mnist_digits()
    index = mnist_5k_split('train')
    for i in (0, 7, 13):
        d = mnist20[i]
        img = images[index[i]]
        assert int(labels[index[i]]) == int(d.y)
        assert d.x.shape == (d.num_nodes, 1) and d.pos.shape == (d.num_nodes, 2)
        assert 50 <= d.num_nodes <= 90  # about 75 superpixels
        assert d.seg.shape == (1, 28, 28) and int(d.seg.max()) == d.num_nodes - 1
        # x = mean intensity and pos = mean (x, y) of each superpixel, from a per-node loop
        ys, xs = torch.meshgrid(torch.arange(28.), torch.arange(28.), indexing='ij')
        for node in range(0, d.num_nodes, 9):
            m = d.seg[0] == node
            assert float(d.x[node, 0]) == pytest.approx(float(img[m].mean()), abs=1e-6)
            assert d.pos[node].tolist() == pytest.approx([float(xs[m].mean()), float(ys[m].mean())],
                                                         abs=1e-5)
        ei, et, ew = group_adjacency(d.seg[0], 28, 28, num_groups=d.num_nodes)
        assert torch.equal(d.edge_index, ei) and torch.equal(d.edge_type,
                                                             et) and torch.allclose(d.edge_weight,
                                                                                    ew)


def test_mnist_superpixels_cached_and_params_checked(mnist20, mnist_root):
    path = os.path.join(mnist_root, 'processed', 'train_first20.pt')
    mtime = os.path.getmtime(path)
    again = MNISTSuperpixels(mnist_root, 'train', limit=20, progress=False)
    assert os.path.getmtime(path) == mtime and torch.equal(again[3].x, mnist20[3].x)
    with pytest.raises(ValueError,
                       match=r'built with other parameters \(n_segments: stored 75, requested '
                             r'50\)'):
        MNISTSuperpixels(mnist_root, 'train', limit=20, n_segments=50, progress=False)
    with pytest.raises(ValueError,
                       match='compactness: stored 0.25, requested 0.5.*force_reload=True'):
        MNISTSuperpixels(mnist_root, 'train', limit=20, compactness=0.5, progress=False)
    with pytest.raises(ValueError, match="split must be one of"):
        MNISTSuperpixels(mnist_root, 'val')
    with pytest.raises(ValueError, match='limit must be an int >= 1'):
        MNISTSuperpixels(mnist_root, limit=0)


def test_mnist_superpixels_batch_and_typed_edges(mnist20):
    batch = next(iter(DataLoader(mnist20, batch_size=4)))
    assert batch.num_graphs == 4 and batch.seg.shape == (4, 28, 28)
    # seg offsets survive batching
    assert torch.equal(batch.x[batch.seg[2]], mnist20[2].x[mnist20[2].seg[0]])
    d = mnist20[5]
    same = TypedEdges()(d.clone())
    assert torch.equal(same.edge_index, d.edge_index) and torch.equal(same.edge_type, d.edge_type)
    raw = TypedEdges(noise_cancel=False, max_direction=False)(d.clone())
    ei, et, _ = group_adjacency(d.seg[0], 28, 28, num_groups=d.num_nodes, noise_cancel=False,
                                max_direction=False)
    assert torch.equal(raw.edge_index, ei) and torch.equal(raw.edge_type, et)
    assert raw.edge_index.size(1) > d.edge_index.size(1)
    with pytest.raises(ValueError, match='TypedEdges needs data.seg'):
        TypedEdges()(d.__class__(x=d.x, pos=d.pos))


def test_image_folder_superpixels(tmp_path):
    from skimage.io import imsave
    images, labels = mnist_digits()
    folder = tmp_path / 'images'
    for c, name in enumerate(['three', 'seven']):
        (folder / name).mkdir(parents=True)
        for k, i in enumerate(
            torch.nonzero(labels == (3 if c == 0 else 7)).squeeze(1)[:3].tolist()
        ):
            rgb = np.repeat((images[i].numpy() * 255).astype(np.uint8)[..., None], 3, -1)
            imsave(str(folder / name / f'{k}.png'), rgb, check_contrast=False)
    (folder / 'seven' / 'notes.txt').write_text('not an image')
    ds = ImageFolderSuperpixels(str(tmp_path / 'root'), str(folder), n_segments=30, progress=False)
    assert ds.classes == ['seven', 'three'] and ds.num_classes == 2 and len(ds) == 6
    assert torch.cat([d.y for d in ds]).tolist() == [0, 0, 0, 1, 1, 1]
    assert ds[0].x.shape[1] == 3 and ds[0].seg.shape == (1, 28, 28)
    with pytest.raises(ValueError, match='must hold one sub-folder per class, found none'):
        ImageFolderSuperpixels(str(tmp_path / 'r2'), str(folder / 'three'))


def test_majority_labels():
    seg = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 2]])
    lab = torch.tensor([[3, 3, 1, 2], [5, 255, 2, 255]])
    out = majority_labels(seg, lab, 4, num_classes=6)
    # node 0: votes 3, 3, 5 -> 3; node 1: 1, 2, 2 -> 2; node 2: only ignore -> 255; node 3: no pixel
    # -> 255
    assert out.tolist() == [3, 2, 255, 255]
    # tie: smaller
    assert majority_labels(torch.tensor([[0, 0]]), torch.tensor([[4, 1]]), 1, 6).tolist() == [1]
    with pytest.raises(ValueError, match=r'label must hold classes in \[0, 5\]'):
        majority_labels(seg, torch.full_like(lab, 7), 4, 6)


def test_segmentation_superpixels_node_labels(tmp_path):
    source = MNISTSegmentation('val', num_samples=3, rgb=True)
    ds = SegmentationSuperpixels(str(tmp_path), source, n_segments=60, progress=False)
    assert len(ds) == 3 and ds.num_classes == 11
    for i in range(3):
        d = ds[i]
        image, label = source[i]
        assert torch.equal(d.pixel_y[0], label)
        for node in range(d.num_nodes):  # majority vote from a per-node loop over pixels
            votes = label[(d.seg[0] == node) & (label != 255)]
            want = 255 if votes.numel() == 0 else int(torch.bincount(votes, minlength=11).argmax())
            assert int(d.y[node]) == want
    assert set(torch.cat([d.y for d in ds]).tolist()) - {255} >= {0}
    with pytest.raises(ValueError, match='dataset must hold at least one'):
        SegmentationSuperpixels(str(tmp_path / 'e'), [])
