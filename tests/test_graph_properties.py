"""Hypothesis properties of the graph constructors: mirror symmetry of the typed edges, noise canceling,
max-direction, in-degrees accounted for pixel by pixel, and pixel -> node maps that cover every pixel once."""
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch

from graphseg.graphs import (CHILD_EDGE_TYPE, DIRECTIONS, Quadtree, grid_graph, group_adjacency, quadtree_graph,
                             superpixel_graph, to_dense_adjacency)

NON_SELF = [k for k in range(9) if k != 4]


def label_map(seed, B, H, W, G, blocky):
    """Random labels; ``blocky`` maps have larger regions (fewer, longer borders: ties in max-direction)."""
    g = torch.Generator().manual_seed(seed)
    if not blocky:
        return torch.randint(0, G, (B, H, W), generator=g)
    coarse = torch.randint(0, G, (B, -(-H // 3), -(-W // 3)), generator=g)
    return coarse.repeat_interleave(3, 1).repeat_interleave(3, 2)[:, :H, :W].contiguous()


def soft_map(seed, B, H, W, G, k):
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, G, (B, H, W, k), generator=g)
    weight = torch.rand(B, H, W, k, generator=g, dtype=torch.float64)
    weight[torch.rand(B, H, W, k, generator=g) < 0.3] = 0
    return index, weight


def dense(assignment, H, W, n, **flags):
    return to_dense_adjacency(*group_adjacency(assignment, H, W, **flags), num_nodes=n)  # (9, n, n)


def pair_counts(S):
    """Raw Eq. 4 from a dense S (B, H, W, G), one shifted copy per direction: (9, B G, B G)."""
    B, H, W, G = S.shape
    A = torch.zeros(9, B * G, B * G, dtype=torch.float64)
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k == 4:
            continue
        p = S[:, max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]  # pixels p with p + delta inside
        q = S[:, max(0, dy):H - max(0, -dy), max(0, dx):W - max(0, -dx)]
        for b in range(B):
            A[k, b * G:(b + 1) * G, b * G:(b + 1) * G] = torch.einsum('hwi,hwj->ij', p[b].double(), q[b].double())
    eye = torch.eye(B * G, dtype=torch.bool)
    A[:, eye] = 0
    return A


graph_args = dict(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 9), W=st.integers(1, 9),
                  G=st.integers(1, 6), blocky=st.booleans(), noise_cancel=st.booleans(), max_direction=st.booleans())


@given(**graph_args)
@settings(max_examples=40)
def test_typed_edges_are_mirror_symmetric(seed, B, H, W, G, blocky, noise_cancel, max_direction):
    """Â^δ = (Â^δ̄)ᵀ: before canceling by Eq. 4, after canceling (Eq. 7 commutes with the mirror) and after
    max-direction (each pair of groups decided once): the edge j -> i of type k comes with i -> j of type 8 - k."""
    labels = label_map(seed, B, H, W, G, blocky)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel, max_direction=max_direction)
    for k in range(9):
        assert torch.equal(A[k], A[8 - k].t()), k


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 6), W=st.integers(1, 6),
       G=st.integers(1, 5), k=st.integers(1, 3), noise_cancel=st.booleans(), max_direction=st.booleans())
@settings(max_examples=30)
def test_soft_typed_edges_are_mirror_symmetric(seed, B, H, W, G, k, noise_cancel, max_direction):
    A = dense(soft_map(seed, B, H, W, G, k), H, W, B * G, num_groups=G, noise_cancel=noise_cancel,
              max_direction=max_direction)
    for d in range(9):
        assert torch.equal(A[d], A[8 - d].t()), d


@given(**graph_args)
@settings(max_examples=40)
def test_canceling_and_max_direction_leave_one_direction_per_pair(seed, B, H, W, G, blocky, noise_cancel,
                                                                  max_direction):
    labels = label_map(seed, B, H, W, G, blocky)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel, max_direction=max_direction)
    raw = dense(labels, H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    typed = A[NON_SELF]  # (8, n, n)
    if noise_cancel:  # Eq. 7: A^d_ij A^dbar_ij = 0, and what is left is the difference
        for k in NON_SELF:
            assert float((A[k] * A[8 - k]).abs().max()) == 0
        if not max_direction:
            torch.testing.assert_close(A[NON_SELF], (raw[NON_SELF] - raw[NON_SELF].flip(0)).clamp_min(0))
    if max_direction:  # at most one direction per ordered pair, hence (mirrored) per unordered pair
        assert int((typed > 0).sum(0).max()) <= 1
        kept = typed.sum(0)  # the kept weight is the strongest one of the pair (after canceling)
        ref = (raw[NON_SELF] - raw[NON_SELF].flip(0)).clamp_min(0) if noise_cancel else raw[NON_SELF]
        torch.testing.assert_close(kept, ref.amax(0))
    else:
        assert torch.equal(typed > 0, (raw[NON_SELF] > 0) if not noise_cancel else typed > 0)
    torch.testing.assert_close(A[4], torch.eye(B * G))  # the self direction is the identity, once per node


@given(**graph_args)
@settings(max_examples=30)
def test_in_degree_accounts_for_every_border_pixel_pair(seed, B, H, W, G, blocky, noise_cancel, max_direction):
    """Raw in-degree of group i over all directions = the pixel pairs (p in i, p + delta in another group);
    canceling and max-direction only take weight away, direction by direction."""
    labels = label_map(seed, B, H, W, G, blocky)
    S = torch.nn.functional.one_hot(labels, G)
    counts = pair_counts(S)
    raw = dense(labels, H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    torch.testing.assert_close(raw[NON_SELF], counts[NON_SELF].to(raw.dtype))
    per_node = torch.zeros(B * G)
    for b in range(B):
        for y in range(H):
            for x in range(W):
                i = b * G + int(labels[b, y, x])
                for dy, dx in (d for d in DIRECTIONS if d != (0, 0)):
                    qy, qx = y + dy, x + dx
                    if 0 <= qy < H and 0 <= qx < W and labels[b, qy, qx] != labels[b, y, x]:
                        per_node[i] += 1
    torch.testing.assert_close(raw[NON_SELF].sum((0, 2)), per_node)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel, max_direction=max_direction)
    assert bool((A[NON_SELF] <= raw[NON_SELF]).all())


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 6), W=st.integers(1, 6),
       G=st.integers(1, 5), k=st.integers(1, 3))
@settings(max_examples=25)
def test_soft_in_degree_is_the_dense_product(seed, B, H, W, G, k):
    index, weight = soft_map(seed, B, H, W, G, k)
    S = torch.zeros(B, H, W, G, dtype=torch.float64).scatter_add_(-1, index, weight)
    raw = dense((index, weight), H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    ref = pair_counts(S)
    ref[ref < 1e-7] = 0  # the default min_weight
    torch.testing.assert_close(raw[NON_SELF], ref[NON_SELF])


@given(H=st.integers(1, 7), W=st.integers(1, 7), self_loops=st.booleans())
@settings(max_examples=25)
def test_grid_in_degree_is_the_in_image_neighbourhood(H, W, self_loops):
    g = grid_graph(H, W, self_loops=self_loops)
    deg = torch.bincount(g.edge_index[1], minlength=H * W).view(H, W)
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    rows = 1 + (ys > 0).long() + (ys < H - 1).long()
    cols = 1 + (xs > 0).long() + (xs < W - 1).long()
    assert torch.equal(deg, rows * cols - (0 if self_loops else 1))
    src, dst = g.edge_index
    off = torch.tensor(DIRECTIONS)[g.edge_type]  # j = i + DIRECTIONS[k]
    assert torch.equal(src // W - dst // W, off[:, 0]) and torch.equal(src % W - dst % W, off[:, 1])


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(2, 14), W=st.integers(2, 14),
       n=st.integers(1, 12), method=st.sampled_from(['skimage', 'torch']))
@settings(max_examples=15)
def test_superpixel_map_covers_every_pixel_once(seed, B, H, W, n, method):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(B, 3, H, W, generator=g)
    batch = superpixel_graph(img, n, method=method)
    assert isinstance(batch, Batch) and batch.seg.shape == (B, H, W)
    for b in range(B):
        lo, hi = int(batch.ptr[b]), int(batch.ptr[b + 1])
        seg = batch.seg[b]
        assert int(seg.min()) >= lo and int(seg.max()) < hi  # each pixel maps to one node of its own image
        counts = torch.bincount(seg.flatten() - lo, minlength=hi - lo)
        assert torch.equal(counts, batch.num_pixels[lo:hi]) and int(counts.sum()) == H * W
        mean = torch.zeros(hi - lo, 3).index_add_(0, seg.flatten() - lo, img[b].flatten(1).t())
        torch.testing.assert_close(batch.x[lo:hi], mean / counts.clamp_min(1).unsqueeze(1))


@given(seed=st.integers(0, 2 ** 16), L=st.integers(1, 4), hm=st.integers(1, 3), wm=st.integers(1, 3),
       K=st.integers(1, 4), blocky=st.booleans())
@settings(max_examples=25)
def test_quadtree_graph_is_lossless_and_every_in_degree_accounted_for(seed, L, hm, wm, K, blocky):
    H, W = hm * 2 ** (L - 1), wm * 2 ** (L - 1)
    labels = label_map(seed, 1, H, W, K, blocky)[0]
    labels[torch.rand(H, W, generator=torch.Generator().manual_seed(seed)) < 0.1] = 255  # some ignore pixels
    d = quadtree_graph(Quadtree.from_labels(labels, L, K), self_loops=True)
    seg = d.seg[0]
    # pixel -> leaf map: every pixel once, on a leaf whose cell contains it, and the graph restores the labels
    assert bool(d.leaf[seg].all()) and torch.equal(d.value[seg], labels)
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    size = d.cell_size[seg]
    cy, cx = d.pos[seg, 1], d.pos[seg, 0]  # cell centres (x, y) in pixels
    assert bool(((ys - cy).abs() <= (size - 1) / 2).all()) and bool(((xs - cx).abs() <= (size - 1) / 2).all())
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
    got = torch.stack([d.pos[src[~child], 1] - d.pos[dst[~child], 1], d.pos[src[~child], 0] - d.pos[dst[~child], 0]], 1)
    torch.testing.assert_close(got, (off * step).to(got.dtype))
