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


# ----------------------------------------------------------------------------- processed files

class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: a stand-in for any code-running payload."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def _small(root, **kw):
    return MNISTSuperpixels(str(root), 'test', limit=2, n_segments=20, progress=False, **kw)


def test_processed_file_is_plain_data_written_atomically(tmp_path):
    ds = _small(tmp_path)
    path = ds.processed_paths[0]
    data, slices, name, params = torch.load(path, weights_only=True)  # loads without the unpickler
    assert name == 'SuperpixelData' and params['format'] == 2 and params['pre_transform'] is None
    assert os.path.isfile(path + '.sha256')  # graphseg.fileio.atomic_torch_save
    assert sorted(os.listdir(os.path.dirname(path))) == ['test_first2.pt', 'test_first2.pt.sha256']
    assert torch.equal(_small(tmp_path)[1].x, ds[1].x)
    one = MNISTSuperpixels(str(tmp_path), 'test', limit=1, n_segments=20, progress=False)
    again = MNISTSuperpixels(str(tmp_path), 'test', limit=1, n_segments=20, progress=False)
    assert len(again) == 1 and torch.equal(again[0].x, one[0].x)  # PyG stores slices=None


def test_processed_payload_is_refused_and_never_run(tmp_path):
    path = _small(tmp_path).processed_paths[0]
    marker = tmp_path / 'PWNED'
    os.remove(path + '.sha256')
    torch.save((_Payload(str(marker)), {}, 'SuperpixelData', {}), path)
    with pytest.raises(ValueError, match=r"MNISTSuperpixels processed file '.*test_first2.pt' "
                                         r"holds Python objects.* only the unsafe unpickler can "
                                         r"read .*; pass force_reload=True to rebuild it$"):
        _small(tmp_path)
    assert not marker.exists()
    # PyG reads processed/pre_transform.pt with weights_only=False: graphseg never does
    for name in ('pre_transform.pt', 'pre_filter.pt'):
        torch.save(_Payload(str(marker)), os.path.join(os.path.dirname(path), name))
    assert len(_small(tmp_path, force_reload=True)) == 2
    assert len(_small(tmp_path)) == 2 and not marker.exists()


def test_processed_file_corrupted_or_foreign(tmp_path):
    path = _small(tmp_path).processed_paths[0]
    with open(path, 'r+b') as f:  # one flipped byte
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ValueError, match=r"processed file '.*test_first2.pt' is corrupted: its "
                                         r"SHA-256 differs .*; pass force_reload=True"):
        _small(tmp_path)
    os.remove(path + '.sha256')
    torch.save({'x': torch.zeros(2)}, path)
    with pytest.raises(ValueError, match=r"test_first2.pt was not written by graphseg's "
                                         r"MNISTSuperpixels \(format 2\); pass force_reload=True"):
        _small(tmp_path)
    torch.save((torch.zeros(1), {}, 'Data', {}), path)
    with pytest.raises(ValueError, match=r"was not written by graphseg's MNISTSuperpixels"):
        _small(tmp_path)
    assert len(_small(tmp_path, force_reload=True)) == 2


def test_pre_transform_is_a_recorded_parameter(tmp_path):
    _small(tmp_path)
    with pytest.raises(ValueError, match=r"built with other parameters \(pre_transform: stored "
                                         r"None, requested 'TypedEdges"):
        _small(tmp_path, pre_transform=TypedEdges())


def test_image_folder_layout(tmp_path):
    from tests.datasets.files import save
    folder = tmp_path / 'images'
    ramp = (np.arange(28 * 28).reshape(28, 28) * 80).astype(np.uint16)
    save(folder / 'a' / '0.png', ramp, 'I;16')  # 16-bit: scaled by 65535, not clipped
    save(folder / 'b' / '0.png', ramp // 256, 'L')
    ds = ImageFolderSuperpixels(str(tmp_path / 'r'), str(folder), n_segments=10, compactness=0.5,
                                progress=False)
    assert float(ds[0].x.max()) < 1 and float(ds[0].x.max()) == pytest.approx(
        float(ds[1].x.max()), abs=0.01)
    os.symlink(folder / 'b', folder / 'b' / 'loop')
    with pytest.raises(ValueError, match=r"image_dir class 'b': the folder '.*b/loop' is the "
                                         r"folder '.*b' again \(a symbolic link\)"):
        ImageFolderSuperpixels(str(tmp_path / 'r2'), str(folder), progress=False)
    os.remove(folder / 'b' / 'loop')
    os.symlink(folder / 'a', folder / 'b' / 'also_a')  # class a's image again, as class b
    with pytest.raises(ValueError, match=r"image_dir: '.*b/also_a/0.png' and '.*a/0.png' are the "
                                         r"same file \(a link\)"):
        ImageFolderSuperpixels(str(tmp_path / 'r2'), str(folder), progress=False)
    os.remove(folder / 'b' / 'also_a')
    os.makedirs(folder / 'c')
    (folder / 'c' / 'readme.txt').write_text('no images here')
    with pytest.raises(ValueError, match=r"the class folder 'c' holds no images"):
        ImageFolderSuperpixels(str(tmp_path / 'r3'), str(folder), progress=False)
    os.remove(folder / 'c' / 'readme.txt')
    (folder / 'c' / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r"the image file '.*c/empty.png' is empty"):
        ImageFolderSuperpixels(str(tmp_path / 'r4'), str(folder), progress=False)
