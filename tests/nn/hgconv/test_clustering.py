"""HG-Conv clustering: importance map, centre sampling, differentiable SLIC (Algorithm 1) vs dense
references."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck

from graphseg.graphs import group_adjacency
from graphseg.nn import (DifferentiableSLIC, SoftClustering, differentiable_slic, importance_map,
                         nearest_centres, sample_centres)


# ----------------------------------------------------------------------------- references

def importance_loop(x):
    """Mean L2 distance to the in-image 8 neighbours, one pixel at a time."""
    B, C, H, W = x.shape
    out = torch.zeros(B, H, W, dtype=x.dtype)
    for b in range(B):
        for y in range(H):
            for x_ in range(W):
                ds = [torch.linalg.vector_norm(x[b, :, y, x_] - x[b, :, y + dy, x_ + dx])
                      for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                      if (dy, dx) != (0, 0) and 0 <= y + dy < H and 0 <= x_ + dx < W]
                out[b, y, x_] = torch.stack(ds).mean() if ds else 0.
    return out


def dense_slic(x, centres, iters, k, min_weight):
    """Algorithm 1 with a dense (N, M) S, the k-nearest restriction as a mask, brute-force
    neighbours."""
    B, C, H, W = x.shape
    M = centres.size(1)
    X = x.flatten(2).transpose(1, 2)  # (B, N, C)
    yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    P = torch.stack([yy.reshape(-1), xx.reshape(-1)], -1).double()
    out = []
    for b in range(B):
        cp = P[centres[b]]
        d = torch.cdist(P, cp).pow(2).round() + torch.arange(M) / (2 * M)  # distance, then lower id
        idx = d.topk(k, largest=False).indices
        mask = torch.zeros(H * W, M, dtype=torch.bool).scatter_(1, idx, True)
        S = torch.zeros(H * W, M, dtype=x.dtype).scatter_(1, idx[:, :1], 1.)  # nearest centre
        for _ in range(iters):
            S_bar = S / S.sum(0, keepdim=True).clamp_min(1e-7)  # column-normalise
            Xc = S_bar.t() @ X[b]  # centre update
            D = torch.cdist(X[b], Xc).pow(2).masked_fill(~mask, float('inf'))
            E = torch.exp(-D)
            # filter S < min_weight; a row whose every entry is below it keeps its nearest centre
            E[(E < min_weight) & (D > D.min(1, keepdim=True).values)] = 0
            S = E / E.sum(1, keepdim=True)  # row-normalise
        out.append(S)
    return torch.stack(out)


# ----------------------------------------------------------------------------- importance map

def test_importance_map_matches_loop(device, dtype):
    x = torch.randn(2, 3, 5, 6, device=device, dtype=dtype)
    out = importance_map(x)
    assert out.shape == (2, 5, 6)
    torch.testing.assert_close(out.cpu(), importance_loop(x.cpu()))


def test_importance_map_is_high_on_edges():
    x = torch.zeros(1, 2, 8, 8)
    x[:, :, :, 4:] = 1.  # a vertical edge between columns 3 and 4
    imp = importance_map(x)[0]
    assert float(imp[:, [0, 1, 6, 7]].abs().max()) == 0.
    assert float(imp[:, [3, 4]].min()) > 0.


# ----------------------------------------------------------------------------- sampling

@pytest.mark.parametrize('method', ['random', 'importance', 'topk_random'])
@pytest.mark.parametrize('m', [1, 7, 30])
def test_sampling_never_repeats_and_respects_counts(method, m, device):
    imp = torch.rand(3, 6, 5, device=device)
    imp[0] = 0  # an all-zero map still yields distinct pixels
    c = sample_centres(imp, m, method)
    assert c.shape == (3, m) and c.dtype == torch.long and c.device.type == device.type
    for row in c:
        assert row.unique().numel() == m
    assert int(c.min()) >= 0 and int(c.max()) < 30
    assert torch.equal(c, c.sort(1).values)


def test_topk_random_keeps_the_most_important_candidates():
    """With k m >= HW every pixel is a candidate: the round(beta m) most important pixels are all
    kept."""
    imp = torch.rand(2, 10, 10)
    m, beta = 20, 0.75
    c = sample_centres(imp, m, 'topk_random', oversample=5, beta=beta)
    top = imp.view(2, -1).topk(int(round(beta * m)), dim=1).indices
    for b in range(2):
        assert set(top[b].tolist()) <= set(c[b].tolist())


def test_topk_random_mix_of_important_and_uniform():
    """beta = 0.5: half the centres in the important region (1 % of the pixels), half spread
    uniformly."""
    H = W = 40
    imp = torch.zeros(1, H, W)
    imp[0, :4, :4] = 1.  # 16 important pixels
    m = 16
    hits = []
    for seed in range(10):
        c = sample_centres(imp, m, 'topk_random', beta=0.5, oversample=100,
                           generator=torch.Generator().manual_seed(seed))
        hits.append(int(((c // W < 4) & (c % W < 4)).sum()))
    assert all(h >= 8 for h in hits)  # the 8 important picks, never more than a few uniform extras
    assert sum(hits) / len(hits) < 10


def test_importance_sampling_follows_the_map():
    imp = torch.ones(1, 20, 20)
    imp[0, :, :10] = 20.  # left half 20x as likely
    left = []
    for seed in range(5):
        c = sample_centres(imp, 20, 'importance', generator=torch.Generator().manual_seed(seed))
        left.append(float((c % 20 < 10).float().mean()))
    assert sum(left) / 5 > 0.8
    uni = [
        float(
            (
                sample_centres(imp, 20, 'random', generator=torch.Generator().manual_seed(s)) % 20
                < 10
            )
            .float()
            .mean()
        )
        for s in range(5)
    ]
    assert sum(uni) / 5 < 0.75


def test_sampling_generator_is_reproducible():
    imp = torch.rand(2, 9, 9)
    a = sample_centres(imp, 10, generator=torch.Generator().manual_seed(3))
    b = sample_centres(imp, 10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_sampling_errors():
    imp = torch.rand(1, 4, 4)
    with pytest.raises(ValueError,
                       match=r'num_centres = 17 groups need at least as many pixels, but the map '
                                         r'has only 4x4 = 16 pixels \(fewer pixels than groups\)'):
        sample_centres(imp, 17)
    with pytest.raises(ValueError, match='num_centres must be an int >= 1, got 0'):
        sample_centres(imp, 0)
    with pytest.raises(ValueError,
                       match=r"method must be one of \('random', 'importance', 'topk_random'\), "
                                         r"got 'grid'"):
        sample_centres(imp, 4, 'grid')
    with pytest.raises(ValueError, match=r'beta must be a number in \[0, 1\], got 1.5'):
        sample_centres(imp, 4, beta=1.5)
    with pytest.raises(ValueError, match='oversample must be >= 1, got 0.5'):
        sample_centres(imp, 4, oversample=0.5)
    with pytest.raises(ValueError, match='importance must be >= 0'):
        sample_centres(-imp, 4)
    with pytest.raises(ValueError, match=r'importance must be \(B, H, W\)'):
        sample_centres(imp[0], 4)
    with pytest.raises(ValueError, match='importance must be finite'):
        sample_centres(imp * float('nan'), 4)


# ----------------------------------------------------------------------------- nearest centres

def test_nearest_centres_brute_force(device):
    H, W, M, k = 7, 9, 8, 4
    centres = torch.stack([torch.randperm(H * W)[:M].sort().values for _ in range(2)]).to(device)
    idx = nearest_centres(centres, H, W, k)
    assert idx.shape == (2, H, W, k)
    for b in range(2):
        for p in range(H * W):
            y, x = divmod(p, W)
            d = [((y - int(c) // W) ** 2 + (x - int(c) % W) ** 2, j) for j,
                 c in enumerate(centres[b])]
            assert idx[b, y, x].tolist() == [j for _, j in sorted(d)[:k]]


def nearest_reference(centres, H, W, k):
    """Every pixel against every centre: key ``d2 * M + id`` (the pre-pruning implementation)."""
    B, M = centres.shape
    cy, cx = (centres // W).view(B, 1, M), (centres % W).view(B, 1, M)
    p = torch.arange(H * W, device=centres.device)
    py, px = (p // W).view(1, -1, 1), (p % W).view(1, -1, 1)
    key = ((py - cy) ** 2 + (px - cx) ** 2) * M + torch.arange(M, device=centres.device)
    return key.topk(k, dim=2, largest=False, sorted=True).indices.view(B, H, W, k)


def clustered_centres(B, H, W, M, gen):
    """Distinct centres drawn like importance sampling: dense near a few random blobs."""
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    out = []
    for _ in range(B):
        imp = torch.zeros(H, W)
        for _ in range(3):
            y, x = torch.rand(2, generator=gen) * torch.tensor([H, W])
            imp += torch.exp(-((ys - y) ** 2 + (xs - x) ** 2) / (0.01 * H * W + 1))
        gumbel = -torch.log(-torch.log(torch.rand(H * W, generator=gen).clamp(1e-20, 1 - 1e-7)))
        out.append((imp.flatten().clamp_min(1e-12).log() + gumbel).topk(M).indices.sort().values)
    return torch.stack(out)


@pytest.mark.parametrize('B, H, W, M, k, layout', [
    (1, 1, 1, 1, 1, 'uniform'),  # one pixel
    (2, 10, 12, 20, 9, 'uniform'),  # small N M: the direct path
    (1, 1, 300, 120, 5, 'uniform'),  # 1 x N, pruned path
    (2, 300, 1, 120, 120, 'uniform'),  # N x 1, k = M
    (2, 45, 77, 100, 1, 'uniform'),  # k = 1, not a multiple of any block side
    (3, 61, 38, 150, 9, 'clustered'),  # B > 1, importance-like
    (1, 80, 80, 50, 50, 'clustered'),  # k = M on the pruned path
    (2, 100, 90, 900, 9, 'uniform'),  # dense centres, small blocks
    (1, 129, 131, 40, 9, 'uniform'),  # sparse centres, large blocks, several quadtree levels
    (1, 64, 64, 4096, 9, 'uniform'),  # every pixel a centre
])
def test_nearest_centres_pruned_equals_brute_force(device, B, H, W, M, k, layout):
    gen = torch.Generator().manual_seed(H * 1000 + W + M)
    if layout == 'uniform':
        centres = torch.stack([torch.randperm(H * W, generator=gen)[:M].sort().values
                               for _ in range(B)])
    else:
        centres = clustered_centres(B, H, W, M, gen)
    centres = centres.to(device)
    assert torch.equal(nearest_centres(centres, H, W, k), nearest_reference(centres, H, W, k))


@pytest.mark.parametrize('H, W, step, k', [(96, 96, 8, 9), (96, 96, 12, 4), (70, 50, 10, 25)])
def test_nearest_centres_ties(device, H, W, step, k):
    """A lattice of centres: many pixels are equidistant from several, ids break the ties."""
    ys, xs = torch.meshgrid(torch.arange(step // 2, H, step), torch.arange(step // 2, W, step),
                            indexing='ij')
    lattice = (ys * W + xs).flatten()
    # unsorted ids too: tie-break by position in the list, not by pixel id
    centres = torch.stack([lattice, lattice.flip(0)]).to(device)
    idx = nearest_centres(centres, H, W, k)
    assert torch.equal(idx, nearest_reference(centres, H, W, k))
    c = centres[0][idx[0]]  # (H, W, k) pixel ids of the chosen centres
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    d2 = (ys.to(device)[..., None] - c // W) ** 2 + (xs.to(device)[..., None] - c % W) ** 2
    assert bool((d2[..., 1:] >= d2[..., :-1]).all())
    tied = int((d2[..., 0] == d2[..., 1]).sum())
    assert tied > 0  # the layout does exercise the tie-break


def test_nearest_centres_random_shapes(device):
    """Random map sizes, centre counts and k (any block side, any remainder)."""
    gen = torch.Generator().manual_seed(11)
    for _ in range(40):
        H, W = (int(v) for v in torch.randint(1, 70, (2,), generator=gen))
        M = int(torch.randint(1, H * W + 1, (1,), generator=gen))
        k = int(torch.randint(1, min(M, 16) + 1, (1,), generator=gen))
        centres = torch.stack([torch.randperm(H * W, generator=gen)[:M] for _ in range(2)])
        centres = centres.to(device)
        assert torch.equal(nearest_centres(centres, H, W, k), nearest_reference(centres, H, W, k))


def test_nearest_centres_int32_ids(device):
    centres = torch.randperm(200 * 200, generator=torch.Generator().manual_seed(3))[:400]
    centres = centres.sort().values.view(1, -1).to(device)
    idx = nearest_centres(centres.int(), 200, 200, 9)
    assert idx.dtype == torch.int64
    assert torch.equal(idx, nearest_reference(centres, 200, 200, 9))


# ----------------------------------------------------------------------------- differentiable SLIC

@settings(max_examples=25)
@given(B=st.integers(1, 2), H=st.integers(2, 9), W=st.integers(2, 9), M=st.integers(1, 12),
       k=st.integers(1, 9), iters=st.integers(0, 3), tile=st.sampled_from([None, 1, 2, 3, 5]),
       scale=st.sampled_from([0.3, 1., 3.]), seed=st.integers(0, 2 ** 16))
def test_slic_matches_dense_algorithm_1(B, H, W, M, k, iters, tile, scale, seed):
    M = min(M, H * W)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, 3, H, W, generator=g, dtype=torch.float64) * scale
    centres = torch.stack([torch.randperm(H * W, generator=g)[:M].sort().values for _ in range(B)])
    S = differentiable_slic(x, centres, iters=iters, num_nearest=k, tile=tile)
    ref = dense_slic(x, centres, iters, min(k, M), 1e-3)
    torch.testing.assert_close(S.dense(), ref)
    torch.testing.assert_close(S.weight.sum(-1), torch.ones(B, H, W, dtype=torch.float64))


def test_slic_float32_close_to_float64(device):
    x = torch.randn(2, 8, 16, 12, device=device, dtype=torch.float64)
    c = sample_centres(importance_map(x), 6)
    a = differentiable_slic(x, c)
    b = differentiable_slic(x.float(), c)
    torch.testing.assert_close(b.dense().double(), a.dense(), atol=1e-4, rtol=1e-4)


def test_products_with_S_match_dense(device, dtype):
    B, C, H, W, M = 2, 5, 11, 13, 9
    x = torch.randn(B, C, H, W, device=device, dtype=dtype)
    c = sample_centres(importance_map(x), M)
    S = differentiable_slic(x * 0.3, c, num_nearest=5)
    Sd = S.dense()  # (B, N, M)
    X = x.flatten(2).transpose(1, 2)
    pooled = (Sd / Sd.sum(1, keepdim=True).clamp_min(1e-7)).transpose(1, 2) @ X  # Eq. 5
    torch.testing.assert_close(S.pool(x), pooled.reshape(B * M, C))
    z = torch.randn(B * M, 3, device=device, dtype=dtype)
    unpooled = (Sd / Sd.sum(2, keepdim=True)) @ z.view(B, M, 3)  # Eq. 6
    torch.testing.assert_close(S.unpool(z), unpooled.transpose(1, 2).reshape(B, 3, H, W))
    torch.testing.assert_close(S.sizes(), Sd.sum(1).reshape(-1))
    yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    pos = torch.stack([xx.reshape(-1), yy.reshape(-1)], -1).to(device=device, dtype=dtype)
    cent = (Sd / Sd.sum(1, keepdim=True).clamp_min(1e-7)).transpose(1, 2) @ pos
    torch.testing.assert_close(S.centroids(), cent.reshape(B * M, 2))
    torch.testing.assert_close(S.labels(), Sd.argmax(-1).view(B, H, W))


def test_compact_assignment_gives_the_same_adjacency():
    x = torch.randn(1, 4, 12, 12) * 0.4
    S = differentiable_slic(x, sample_centres(importance_map(x), 9))
    assert S.assignment.index.size(-1) <= S.index.size(-1)
    full = group_adjacency((S.index, S.weight), 12, 12, num_groups=9)
    compact = group_adjacency(S.assignment, 12, 12, num_groups=9)
    for a, b in zip(full, compact):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('tile', [1, 3, 16])
def test_hard_assignment_pool_is_group_mean(tile):
    labels = torch.randint(0, 5, (2, 7, 6))
    S = SoftClustering.from_assignment(labels, 7, 6, num_groups=5, tile=tile)
    x = torch.randn(2, 3, 7, 6)
    pooled = S.pool(x).view(2, 5, 3)
    for b in range(2):
        for g in range(5):
            m = labels[b] == g
            want = x[b][:, m].mean(1) if m.any() else torch.zeros(3)
            torch.testing.assert_close(pooled[b, g], want)
    torch.testing.assert_close(S.unpool(S.pool(x)), torch.stack(
        [pooled[b][labels[b]].permute(2, 0, 1) for b in range(2)]))


def test_slic_gradcheck():
    """Gradients reach the features through every round of Algorithm 1 (no filtered entries: small
    scale)."""
    x = (torch.randn(1, 2, 4, 5, dtype=torch.float64) * 0.5).requires_grad_(True)
    c = torch.tensor([[0, 7, 13, 19]])

    def f(x):
        S = differentiable_slic(x, c, iters=2, num_nearest=3, tile=2)
        return S.weight, S.pool(x)
    assert gradcheck(f, (x,))


def test_module_and_repr():
    m = DifferentiableSLIC(iters=2, num_nearest=4)
    assert repr(m) == 'DifferentiableSLIC(iters=2, num_nearest=4, min_weight=0.001)'
    x = torch.randn(2, 3, 8, 8)
    S = m(x, sample_centres(importance_map(x), 4))
    assert isinstance(S, SoftClustering) and S.index.shape == (2, 8, 8, 4)
    assert 'groups=4' in repr(S)


def test_slic_errors():
    x = torch.randn(1, 3, 4, 4)
    c = torch.tensor([[0, 5]])
    with pytest.raises(ValueError,
                       match=r'17 groups need at least as many pixels, but x has only 4x4 = 16 '
                                         r'pixels \(fewer pixels than groups\)'):
        differentiable_slic(x, torch.arange(17).view(1, 17))
    with pytest.raises(ValueError, match=r'centres must be pixel ids in \[0, 15\], got \[0, 16\]'):
        differentiable_slic(x, torch.tensor([[0, 16]]))
    with pytest.raises(ValueError,
                       match=r'centres must have shape \(B, M\) with B = 1, got \(2, 2\)'):
        differentiable_slic(x, c.expand(2, 2))
    with pytest.raises(ValueError, match=r'x must be \(B, C, H, W\)'):
        differentiable_slic(x[0], c)
    with pytest.raises(ValueError, match='iters must be an int >= 0, got -1'):
        differentiable_slic(x, c, iters=-1)
    with pytest.raises(ValueError, match='num_nearest must be an int >= 1, got 0'):
        differentiable_slic(x, c, num_nearest=0)
    with pytest.raises(ValueError, match=r'min_weight must be a number in \[0, 1\), got 2'):
        differentiable_slic(x, c, min_weight=2)
    with pytest.raises(ValueError, match='x must be finite'):
        differentiable_slic(x * float('inf'), c)
    with pytest.raises(ValueError, match='every pixel needs a positive total assignment weight'):
        SoftClustering.from_assignment(
            (torch.zeros(4, 4, 1, dtype=torch.long), torch.zeros(4, 4, 1)), 4, 4
        )
    S = SoftClustering.from_assignment(torch.zeros(4, 4, dtype=torch.long), 4, 4)
    with pytest.raises(ValueError,
                       match=r'x must have shape \(B, C, H, W\) with \(B, H, W\) = \(1, 4, 4\)'):
        S.pool(torch.randn(1, 2, 4, 5))
    with pytest.raises(ValueError, match=r'z must have B \* M = 1 rows, got shape \(2, 3\)'):
        S.unpool(torch.randn(2, 3))
