"""T-pyramid (QGN Eq. 2-3), Quadtree (Eq. 1) and quadtree_graph against naive per-cell loops; the
quadtree graph is lossless and accounts for every in-degree (Hypothesis)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch

from graphseg.graphs import (CHILD_EDGE_TYPE, DIRECTIONS, NUM_QUADTREE_EDGE_TYPES, Quadtree,
                             QuadtreeData, pad_to_multiple, quadtree_graph, t_pyramid)


def naive_pyramid(labels, num_levels, k):
    """Per-cell loop: a cell of level l is its block's common value, or k if the block is mixed."""
    H, W = labels.shape
    out = [labels.clone()]
    for level in range(1, num_levels):
        s = 2 ** level
        cells = torch.empty(H // s, W // s, dtype=torch.long)
        for y in range(H // s):
            for x in range(W // s):
                block = labels[y * s:(y + 1) * s, x * s:(x + 1) * s]
                cells[y, x] = block[0, 0] if bool((block == block[0, 0]).all()) else k
        out.append(cells)
    return out


def random_labels(g, B, H, W, k, ignore_frac=0.1, blocky=True):
    """Labels with large uniform regions (so the tree has depth) plus ignore pixels."""
    if blocky:
        coarse = torch.randint(0, k, (B, -(-H // 4), -(-W // 4)), generator=g)
        lab = coarse.repeat_interleave(4, 1).repeat_interleave(4, 2)[:, :H, :W].clone()
        flip = torch.rand(B, H, W, generator=g) < 0.1
        lab[flip] = torch.randint(0, k, (int(flip.sum()),), generator=g)
    else:
        lab = torch.randint(0, k, (B, H, W), generator=g)
    lab[torch.rand(B, H, W, generator=g) < ignore_frac] = 255
    return lab


@given(L=st.integers(1, 4), hm=st.integers(1, 3), wm=st.integers(1, 3), k=st.integers(1, 4),
       B=st.integers(1, 2), blocky=st.booleans(), seed=st.integers(0, 2 ** 16))
@settings(max_examples=40)
def test_t_pyramid_matches_naive(L, hm, wm, k, B, blocky, seed):
    g = torch.Generator().manual_seed(seed)
    H, W = hm * 2 ** (L - 1), wm * 2 ** (L - 1)
    labels = random_labels(g, B, H, W, k, blocky=blocky)
    pyr = t_pyramid(labels, L, k)
    assert len(pyr) == L
    for b in range(B):
        for got, ref in zip(pyr, naive_pyramid(labels[b], L, k)):
            assert torch.equal(got[b], ref)
    single = t_pyramid(labels[0], L, k)  # unbatched input -> unbatched levels
    assert all(torch.equal(s, p[0]) for s, p in zip(single, pyr))


@given(L=st.integers(1, 5), hm=st.integers(1, 3), wm=st.integers(1, 3), k=st.integers(1, 4),
       B=st.integers(1, 3), seed=st.integers(0, 2 ** 16))
@settings(max_examples=40)
def test_quadtree_round_trip_is_lossless(L, hm, wm, k, B, seed):
    g = torch.Generator().manual_seed(seed)
    H, W = hm * 2 ** (L - 1), wm * 2 ** (L - 1)
    labels = random_labels(g, B, H, W, k)
    tree = Quadtree.from_labels(labels, L, k)
    assert torch.equal(tree.to_dense(), labels)
    for got, ref in zip(tree.to_pyramid(), t_pyramid(labels, L, k)):
        assert torch.equal(got, ref)
    # every leaf is a uniform block whose parent is composite, and the leaves tile the image once
    cover = torch.zeros(B, H, W, dtype=torch.long)
    for (b, level, y, x), v in zip(*tree.leaves()):
        s = 2 ** int(level)
        block = labels[b, y * s:(y + 1) * s, x * s:(x + 1) * s]
        assert bool((block == v).all())
        if level < L - 1:
            pb = labels[b, (y // 2) * 2 * s:(y // 2 + 1) * 2 * s,
                        (x // 2) * 2 * s:(x // 2 + 1) * 2 * s]
            assert not bool((pb == pb[0, 0]).all())
        cover[b, y * s:(y + 1) * s, x * s:(x + 1) * s] += 1
    assert bool((cover == 1).all())
    assert abs(sum(tree.stats()['pixel_share']) - 1) < 1e-9


def example():
    lab = torch.zeros(8, 8, dtype=torch.long)
    lab[:4, :4] = 1
    lab[5, 6] = 2
    lab[7, 7] = 255
    return lab


def test_quadtree_tables_and_stats(device):
    tree = Quadtree.from_labels(example().to(device), 4, 3)
    assert tree.keys.device.type == device.type
    s = tree.stats()
    assert s['leaves'] == [8, 2, 3, 0] and s['composites'] == [0, 2, 1, 1]
    assert s['pixel_share'] == [8 / 64, 2 * 4 / 64, 3 * 16 / 64, 0.]
    assert s['nodes'] == 17 and s['memory_ratio'] == 17 / 64
    keys, values = tree.leaves(2)
    assert keys[:, 1].tolist() == [2, 2, 2] and values.tolist() == [1, 0, 0]
    assert tree.composites(3).tolist() == [[0, 3, 0, 0]]
    assert tree.keys[0].tolist() == [0, 3, 0, 0]  # top first
    assert repr(tree) == 'Quadtree(shape=(8, 8), num_levels=4, num_classes=3, nodes=17, leaves=13)'
    uniform = Quadtree.from_labels(torch.full((4, 4), 2, device=device), 3, 3)
    assert uniform.num_nodes == 1 and uniform.stats()['pixel_share'] == [0., 0., 1.]


def test_pad_to_multiple():
    lab = torch.randint(0, 3, (2, 5, 7))
    out = pad_to_multiple(lab, 4, value=255)
    assert out.shape == (2, 8, 8) and torch.equal(out[:, :5, :7], lab)
    assert bool((out[:, 5:] == 255).all()) and bool((out[:, :, 7:] == 255).all())
    img = torch.rand(3, 8, 12)
    assert pad_to_multiple(img, 4) is img
    assert t_pyramid(out, 3, 3)[2].shape == (2, 2, 2)


def test_errors():
    lab = torch.zeros(6, 8, dtype=torch.long)
    with pytest.raises(ValueError,
                       match=r'divisible by 2 \*\* \(num_levels - 1\) = 4, got \(H, W\) = \(6, '
                             r'8\); '
                                         r'pad with pad_to_multiple\(labels, 4, '
                                         r'value=ignore_index\)'):
        t_pyramid(lab, 3, 2)
    with pytest.raises(ValueError,
                       match=r'values must lie in \[0, num_classes - 1\] = \[0, 1\] or be '
                                         r'ignore_index = 255, got 7'):
        t_pyramid(lab + 7, 2, 2)
    with pytest.raises(ValueError, match='got -1'):
        t_pyramid(lab - 1, 2, 2)
    with pytest.raises(ValueError,
                       match='ignore_index must differ from the composite id num_classes = 2'):
        t_pyramid(lab, 2, 2, ignore_index=2)
    with pytest.raises(TypeError, match='labels must have dtype torch.long'):
        t_pyramid(lab.float(), 2, 2)
    with pytest.raises(ValueError, match=r'labels must be \(H, W\) or \(B, H, W\)'):
        t_pyramid(lab.view(1, 1, 6, 8), 2, 2)
    with pytest.raises(ValueError, match='num_levels must be an int >= 1, got 0'):
        t_pyramid(lab, 0, 2)
    with pytest.raises(ValueError, match='num_classes must be an int'):
        t_pyramid(lab, 2, 2.0)
    with pytest.raises(ValueError, match='multiple must be an int >= 1'):
        pad_to_multiple(lab, 0)
    tree = Quadtree.from_labels(torch.zeros(4, 4, dtype=torch.long), 2, 2)
    with pytest.raises(ValueError, match=r'level must be an int in \[0, 1\], got 2'):
        tree.leaves(2)
    with pytest.raises(ValueError, match=r'pyramid\[1\] must have shape'):
        Quadtree([torch.zeros(4, 4, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long)], 2)
    with pytest.raises(TypeError, match='tree must be a Quadtree'):
        quadtree_graph(torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r'image must have shape \(C, H, W\) or \(B, C, H, W\)'):
        quadtree_graph(tree, torch.rand(3, 5, 4))


def naive_graph_edges(tree, b=0):
    """All (src, dst, type) by brute force over pairs of cells of the image's tree."""
    sel = (tree.keys[:, 0] == b).nonzero().view(-1).tolist()
    cells = {i: tuple(tree.keys[j, 1:].tolist()) for i, j in enumerate(sel)}
    edges = set()
    for i, (li, yi, xi) in cells.items():
        for j, (lj, yj, xj) in cells.items():
            if li == lj and i != j and (yj - yi, xj - xi) in DIRECTIONS:
                edges.add((j, i, DIRECTIONS.index((yj - yi, xj - xi))))
            if lj == li + 1 and (yj, xj) == (yi // 2, xi // 2):
                edges.add((j, i, CHILD_EDGE_TYPE + 2 * (yi % 2) + xi % 2))
    return edges


def test_quadtree_graph_matches_naive(device):
    g = torch.Generator().manual_seed(3)
    labels = random_labels(g, 1, 16, 16, 3)[0].to(device)
    image = torch.rand(3, 16, 16, generator=g).to(device)
    tree = Quadtree.from_labels(labels, 4, 3)
    data = quadtree_graph(tree, image)
    assert isinstance(data, QuadtreeData) and data.num_nodes == tree.num_nodes
    got = {tuple(e) for e in torch.cat([data.edge_index, data.edge_type.view(1, -1)]).t().tolist()}
    assert got == naive_graph_edges(tree)
    assert int(data.edge_type.max()) < NUM_QUADTREE_EDGE_TYPES
    key = data.edge_index[1] * NUM_QUADTREE_EDGE_TYPES + data.edge_type
    assert bool((key[1:] >= key[:-1]).all())  # sorted by (target, type)
    # the pixel -> leaf map reproduces the labels
    assert torch.equal(data.value[data.seg[0]], labels)
    assert bool(data.leaf[data.seg[0]].all())
    for i, (_, level, y, x) in enumerate(tree.keys.tolist()):
        s = 2 ** level
        assert data.cell_size[i] == s and data.level[i] == level
        assert data.pos[i].tolist() == [x * s + (s - 1) / 2, y * s + (s - 1) / 2]
        ref = image[:, y * s:(y + 1) * s, x * s:(x + 1) * s].mean((1, 2))
        torch.testing.assert_close(data.x[i], ref)
    loops = quadtree_graph(tree, self_loops=True)
    assert int((loops.edge_type == 4).sum()) == tree.num_nodes and 'x' not in loops


def test_quadtree_graph_batches():
    g = torch.Generator().manual_seed(5)
    labels = random_labels(g, 3, 8, 8, 2)
    image = torch.rand(3, 3, 8, 8, generator=g)
    batch = quadtree_graph(Quadtree.from_labels(labels, 3, 2), image)
    ref = Batch.from_data_list([quadtree_graph(Quadtree.from_labels(labels[b], 3, 2), image[b])
                                for b in range(3)])
    assert isinstance(batch, Batch) and batch.num_graphs == 3
    for key in ('edge_index', 'edge_type', 'pos', 'level', 'value', 'seg', 'x', 'batch'):
        assert torch.equal(batch[key], ref[key]), key
    assert batch.seg.shape == (3, 8, 8) and torch.equal(batch.value[batch.seg], labels)


def test_slic_quadtree_cli_and_figures(tmp_path):
    import matplotlib.pyplot as plt

    from graphseg.cli import main
    from graphseg.data import load_image
    from graphseg.graphs import slic_quadtree
    from graphseg.viz import plot_active_sites, plot_quadtree_graph, plot_t_pyramid

    image = load_image('coins')[:, :100, :120]
    data = slic_quadtree(image, 12, num_levels=4)
    assert data.seg.shape == (1, 104, 120)  # padded to a multiple of 2 ** 3
    # superpixel ids inside the image
    assert int(data.value[data.seg[0]][:100].max()) < data.num_superpixels
    # padding is ignore
    assert bool((data.value[data.seg[0]][100:] == data.num_superpixels + 1).all())
    assert (
        main(['graph', 'coins', '--kind', 'quadtree', '--n-segments', '20', '--out', str(tmp_path)])
        == 0
    )
    assert (tmp_path / 'coins.pt').exists() and (tmp_path / 'coins.png').exists()

    labels = example()
    axes = plot_t_pyramid(t_pyramid(labels, 4, 3), 3)
    assert len(axes) == 4 and axes[3].get_title().startswith('$T_3$')
    ax = plot_quadtree_graph(quadtree_graph(Quadtree.from_labels(labels, 4, 3)), min_level=1)
    title = ax.get_title().split('\n')
    assert title[0] == 'quadtree: square cells split in four until each holds one label'
    assert title[1] == '17 cells (nodes), 13 of them not split further'
    assert title[2].startswith('8 cells smaller than 2 px not drawn')
    with pytest.raises(ValueError, match='pyramid must hold unbatched'):
        plot_t_pyramid(t_pyramid(labels[None], 2, 3), 3)
    from graphseg.nn import QGNDecoder
    dec = QGNDecoder((4, 4, 4, 4, 4), 2, widths=(4, 4, 4, 4, 4), blocks=(1, 1, 1, 1),
                     final_blocks=1)
    feats = [torch.randn(1, 4, 32 >> i, 32 >> i) for i in range(5)]
    axes = plot_active_sites(dec(feats, 'all'), label='all')
    assert axes[0].get_title() == 'all: $A_5$ 4 (100%)'
    plt.close('all')


def label_map(seed, B, H, W, G, blocky):
    """Random labels; ``blocky`` maps have larger regions (fewer, longer borders: ties in
    max-direction)."""
    g = torch.Generator().manual_seed(seed)
    if not blocky:
        return torch.randint(0, G, (B, H, W), generator=g)
    coarse = torch.randint(0, G, (B, -(-H // 3), -(-W // 3)), generator=g)
    return coarse.repeat_interleave(3, 1).repeat_interleave(3, 2)[:, :H, :W].contiguous()


@given(seed=st.integers(0, 2 ** 16), L=st.integers(1, 4), hm=st.integers(1, 3),
       wm=st.integers(1, 3), K=st.integers(1, 4), blocky=st.booleans())
@settings(max_examples=25)
def test_quadtree_graph_is_lossless_and_every_in_degree_accounted_for(seed, L, hm, wm, K, blocky):
    H, W = hm * 2 ** (L - 1), wm * 2 ** (L - 1)
    labels = label_map(seed, 1, H, W, K, blocky)[0]
    # some ignore pixels
    labels[torch.rand(H, W, generator=torch.Generator().manual_seed(seed)) < 0.1] = 255
    d = quadtree_graph(Quadtree.from_labels(labels, L, K), self_loops=True)
    seg = d.seg[0]
    # pixel -> leaf map: every pixel once, on a leaf whose cell contains it, and the graph restores
    # the labels
    assert bool(d.leaf[seg].all()) and torch.equal(d.value[seg], labels)
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    size = d.cell_size[seg]
    cy, cx = d.pos[seg, 1], d.pos[seg, 0]  # cell centres (x, y) in pixels
    assert bool(((ys - cy).abs() <= (size - 1) / 2).all()) and bool(
        ((xs - cx).abs() <= (size - 1) / 2).all()
    )
    assert int((d.cell_size[d.leaf] ** 2).sum()) == H * W  # the leaves tile the image exactly once
    # in-degree: one parent edge per non-top node (from the cell one level up that contains it) ...
    src, dst = d.edge_index
    child = d.edge_type >= CHILD_EDGE_TYPE
    parents = torch.bincount(dst[child], minlength=d.num_nodes)
    assert torch.equal(parents, (d.level < L - 1).long())
    assert torch.equal(d.level[src[child]], d.level[dst[child]] + 1)
    # ... plus one same-level edge per existing cell at each DIRECTIONS offset (self loop included)
    cell = {(int(lv), int(y), int(x)): i for i, (lv, y, x) in enumerate(zip(
        d.level, ((d.pos[:, 1] + 0.5) / d.cell_size - 0.5).round().long(),
        ((d.pos[:, 0] + 0.5) / d.cell_size - 0.5).round().long()))}
    want = torch.zeros(d.num_nodes, dtype=torch.long)
    for (lv, y, x), i in cell.items():
        want[i] = sum((lv, y + dy, x + dx) in cell for dy, dx in DIRECTIONS)
    assert torch.equal(torch.bincount(dst[~child], minlength=d.num_nodes), want)
    off = torch.tensor(DIRECTIONS)[d.edge_type[~child]]
    step = d.cell_size[dst[~child]].unsqueeze(1)
    got = torch.stack(
        [
            d.pos[src[~child], 1] - d.pos[dst[~child], 1],
            d.pos[src[~child], 0] - d.pos[dst[~child], 0],
        ],
        1,
    )
    torch.testing.assert_close(got, (off * step).to(got.dtype))
