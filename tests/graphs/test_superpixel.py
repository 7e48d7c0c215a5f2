"""superpixel_graph / ToDirectionalSLIC against PyG's ToSLIC and group_adjacency; batching of
seg; the pixel -> node map covers every pixel once (Hypothesis)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch
from torch_geometric.transforms import ToSLIC

from graphseg.data import load_image
from graphseg.graphs import SuperpixelData, ToDirectionalSLIC, group_adjacency, superpixel_graph


@pytest.fixture(scope='module')
def astronaut():
    return load_image('astronaut')


def test_x_pos_equal_pyg_toslic(astronaut):
    ref = ToSLIC(n_segments=300, compactness=10)(astronaut)
    data = superpixel_graph(astronaut, 300, 10)
    assert data.num_nodes == ref.x.size(0)
    torch.testing.assert_close(data.x, ref.x)
    torch.testing.assert_close(data.pos, ref.pos)


def test_edges_are_group_adjacency_of_seg(astronaut):
    data = superpixel_graph(astronaut, 200)
    H, W = astronaut.shape[1:]
    ei, et, ew = group_adjacency(data.seg[0], H, W, num_groups=data.num_nodes)
    assert torch.equal(data.edge_index, ei) and torch.equal(data.edge_type, et)
    torch.testing.assert_close(data.edge_weight, ew)
    assert int(data.num_pixels.sum()) == H * W
    assert torch.equal(data.num_pixels, torch.bincount(data.seg.view(-1), minlength=data.num_nodes))
    # every typed edge joins superpixels whose pixels really touch in that direction
    nb = (data.edge_type != 4)
    assert bool((data.edge_index[0][nb] != data.edge_index[1][nb]).all())


def test_numpy_and_uint8_inputs(astronaut):
    arr = (astronaut.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    a = superpixel_graph(arr, 100)
    b = superpixel_graph(torch.from_numpy(arr).permute(2, 0, 1), 100)
    assert torch.equal(a.seg, b.seg)
    assert float(a.x.max()) <= 1.0  # uint8 is scaled to [0, 1]


def test_seg_survives_batching(astronaut):
    small = astronaut[:, :96, :128]
    graphs = [superpixel_graph(small, 40), superpixel_graph(small.flip(-1), 25)]
    batch = Batch.from_data_list(graphs)
    assert batch.seg.shape == (2, 96, 128)
    assert torch.equal(batch.seg[0], graphs[0].seg[0])
    assert torch.equal(batch.seg[1], graphs[1].seg[0] + graphs[0].num_nodes)
    # un-pooling node colours through the batched map gives back each graph's own picture
    torch.testing.assert_close(batch.x[batch.seg[1]], graphs[1].x[graphs[1].seg[0]])
    # edge_index is offset by PyG as usual
    assert (
        int(batch.edge_index[:, batch.batch[batch.edge_index[1]] == 1].min()) >= graphs[0].num_nodes
    )


def test_batched_input_returns_batch(astronaut):
    imgs = torch.stack([astronaut[:, :64, :64], astronaut[:, 64:128, :64]])
    out = superpixel_graph(imgs, 20, method='torch')
    assert isinstance(out, Batch) and out.num_graphs == 2 and out.seg.shape == (2, 64, 64)
    assert isinstance(out.get_example(0), SuperpixelData)


def test_torch_method_graph(astronaut):
    data = superpixel_graph(astronaut[:, :128, :128], 64, method='torch')
    assert data.x.shape == (data.num_nodes, 3) and data.pos.shape == (data.num_nodes, 2)
    assert int(data.num_pixels.min()) >= 1
    # x is the mean colour of each node's pixels
    flat = astronaut[:, :128, :128].reshape(3, -1).t()
    i = int(data.num_pixels.argmax())
    torch.testing.assert_close(data.x[i], flat[data.seg.view(-1) == i].mean(0))


def test_transform(astronaut):
    t = ToDirectionalSLIC(n_segments=50, add_img=True)
    data = t(astronaut[:, :100, :100])
    assert data.img.shape == (1, 3, 100, 100)
    assert repr(t) == "ToDirectionalSLIC(n_segments=50, compactness=10.0, method='skimage')"


def test_grayscale_with_channel_axis():
    cam = load_image('camera')[:, :80, :80]
    data = superpixel_graph(cam, 30)
    assert data.x.shape[1] == 1


def test_errors(astronaut):
    with pytest.raises(ValueError, match='image must have a channel axis'):
        superpixel_graph(astronaut[0], 10)
    with pytest.raises(ValueError, match='image must have a channel axis'):
        superpixel_graph(np.zeros((8, 8)), 10)
    with pytest.raises(ValueError, match='n_segments must be an int >= 1, got 0'):
        superpixel_graph(astronaut, 0)
    with pytest.raises(ValueError, match='method must be one of'):
        superpixel_graph(astronaut, 10, method='felzenszwalb')
    bad = astronaut.clone()
    bad[0, 0, 0] = float('nan')
    with pytest.raises(ValueError, match='image must be finite'):
        superpixel_graph(bad, 10)
    with pytest.raises(TypeError, match='image must be a torch.Tensor'):
        superpixel_graph([[1, 2]], 10)
    with pytest.raises(ValueError, match='compactness must be > 0'):
        superpixel_graph(astronaut, 10, 0.)


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(2, 14),
       W=st.integers(2, 14), n=st.integers(1, 12), method=st.sampled_from(['skimage', 'torch']))
@settings(max_examples=15)
def test_superpixel_map_covers_every_pixel_once(seed, B, H, W, n, method):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(B, 3, H, W, generator=g)
    batch = superpixel_graph(img, n, method=method)
    assert isinstance(batch, Batch) and batch.seg.shape == (B, H, W)
    for b in range(B):
        lo, hi = int(batch.ptr[b]), int(batch.ptr[b + 1])
        seg = batch.seg[b]
        # each pixel maps to one node of its own image
        assert int(seg.min()) >= lo and int(seg.max()) < hi
        counts = torch.bincount(seg.flatten() - lo, minlength=hi - lo)
        assert torch.equal(counts, batch.num_pixels[lo:hi]) and int(counts.sum()) == H * W
        mean = torch.zeros(hi - lo, 3).index_add_(0, seg.flatten() - lo, img[b].flatten(1).t())
        torch.testing.assert_close(batch.x[lo:hi], mean / counts.clamp_min(1).unsqueeze(1))
