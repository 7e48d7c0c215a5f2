"""The torch SLIC against skimage."""
import numpy as np
import pytest
import torch
from skimage.segmentation import slic

from graphseg.data import load_image
from graphseg.graphs import slic_torch
from graphseg.graphs.slic import _blocks, _seed_grid, enforce_label_connectivity


def _voronoi_image(seed=0, size=96, regions=12):
    """Piecewise-constant colour image with known regions (the ground truth)."""
    g = np.random.default_rng(seed)
    pts = g.uniform(0, size, (regions, 2))
    yy, xx = np.mgrid[:size, :size]
    gt = np.argmin((yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2, -1)
    colours = g.uniform(0, 1, (regions, 3))
    return torch.from_numpy(colours[gt]).permute(2, 0, 1).float(), gt


def _asa(seg, gt):
    """Achievable segmentation accuracy: share of pixels in their superpixel's majority region."""
    total = 0
    for s in np.unique(seg):
        total += np.bincount(gt[seg == s]).max()
    return total / gt.size


def test_slic_torch_follows_region_boundaries():
    img, gt = _voronoi_image()
    labels, n = slic_torch(img, 64, compactness=10.)
    ours = _asa(labels[0].numpy(), gt)
    ref = _asa(slic(img.permute(1, 2, 0).double().numpy(), 64, compactness=10., start_label=0), gt)
    assert ours >= 0.98 and ours >= ref - 0.02, (ours, ref)


def test_slic_torch_ids_and_batch():
    img = load_image('astronaut')[:, :128, :160]
    labels, n = slic_torch(torch.stack([img, img.flip(-1)]), 80)
    assert labels.shape == (2, 128, 160) and n.shape == (2,)
    for b in range(2):  # consecutive ids, none empty
        assert torch.equal(labels[b].unique(), torch.arange(int(n[b])))
    single, n0 = slic_torch(img, 80)
    assert torch.equal(single[0], labels[0]) and int(n0[0]) == int(n[0])
    assert 40 <= int(n[0]) <= 120


def _pieces(lab, structure=None):
    """Number of connected pieces of every segment id of a (H, W) map (scipy, 4-connected by
    default)."""
    from scipy import ndimage
    return [ndimage.label(lab == s, structure=structure)[1] for s in np.unique(lab)]


def _ari(a, b):
    """Adjusted Rand index of two label maps (Hubert & Arabie), from the contingency table."""
    a, b = np.unique(a.ravel(), return_inverse=True)[1], np.unique(b.ravel(),
                                                                   return_inverse=True)[1]
    table = np.bincount(a * (b.max() + 1) + b).astype(float)
    pairs = lambda n: (n * (n - 1) / 2).sum()  # noqa: E731
    sum_ij = pairs(table)
    sum_a, sum_b = pairs(np.bincount(a).astype(float)), pairs(np.bincount(b).astype(float))
    expected = sum_a * sum_b / pairs(np.array([a.size], dtype=float))
    return (sum_ij - expected) / ((sum_a + sum_b) / 2 - expected)


def test_slic_torch_segments_are_connected():
    imgs = torch.stack(
        [load_image('astronaut')[:, :192, :256], load_image('coffee')[:, :192, :256]]
    )
    labels, n = slic_torch(imgs, 150)
    raw, _ = slic_torch(imgs, 150, enforce_connectivity=False)
    eight = np.ones((3, 3), dtype=int)
    for b in range(2):
        lab = labels[b].numpy()
        assert torch.equal(labels[b].unique(), torch.arange(int(n[b])))
        assert all(k == 1 for k in _pieces(lab, eight)), (
            'a segment is not one 8-connected component'
        )
        assert all(k == 1 for k in _pieces(lab)), 'a segment is not one 4-connected component'
        # the check can fail: raw SLIC has islands
        assert any(k > 1 for k in _pieces(raw[b].numpy(), eight))
        single, n1 = slic_torch(imgs[b], 150)  # batching does not change an image's segmentation
        assert torch.equal(single[0], labels[b]) and int(n1[0]) == int(n[b])


def test_enforce_label_connectivity_against_scipy():
    from scipy import ndimage
    g = np.random.default_rng(0)
    lab = torch.from_numpy(g.integers(0, 4, (2, 23, 31)))
    out, n = enforce_label_connectivity(lab)  # min_size 0: exactly the 4-connected pieces
    for b in range(2):
        ref = np.zeros((23, 31), dtype=int)
        for v in np.unique(lab[b]):
            cc, k = ndimage.label(lab[b].numpy() == v)
            ref[cc > 0] = cc[cc > 0] + ref.max()
        assert _ari(ref, out[b].numpy()) == 1.0 and int(n[b]) == ref.max()
        first = [np.flatnonzero(out[b].numpy().ravel() == s)[0] for s in range(int(n[b]))]
        assert first == sorted(first)  # ids in raster order of the first pixel, as skimage
    merged, m = enforce_label_connectivity(lab, min_size=6)
    for b in range(2):
        sizes = np.bincount(merged[b].numpy().ravel())
        assert all(k == 1 for k in _pieces(merged[b].numpy()))
        # only the first segment may stay small
        assert (sizes[1:] >= 6).all() and int(m[b]) < int(n[b])
        # merging only unites pieces: every new segment is a union of old ones
        pairs = set(zip(out[b].numpy().ravel().tolist(), merged[b].numpy().ravel().tolist()))
        assert len({o for o, _ in pairs}) == len(pairs)


def test_slic_torch_agrees_with_skimage_as_skimage_with_itself():
    """ARI(ours, skimage) vs ARI(skimage at m, skimage at m +- 10 %), mean over images and sizes."""
    ours, self_ = [], []
    for name in ('astronaut', 'coffee', 'chelsea', 'rocket'):
        img = load_image(name)[:3, ::2, ::2]
        arr = img.permute(1, 2, 0).double().numpy()
        for n in (100, 300):
            ref = slic(arr, n, compactness=10., start_label=0)
            ours.append(_ari(ref, slic_torch(img, n, compactness=10.)[0][0].numpy()))
            self_ += [_ari(ref, slic(arr, n, compactness=m, start_label=0)) for m in (9., 11.)]
    assert np.mean(ours) >= np.mean(self_) - 0.02, (np.mean(ours), np.mean(self_))


def _seed_axes(H, W, n):
    (sy, ty), (sx, tx) = _seed_grid(H, W, n)
    return (sy, ty, len(range(sy, H, ty))), (sx, tx, len(range(sx, W, tx)))


@pytest.mark.parametrize('size, n',
                         [(512, 1000), (300, 400), (97, 30), (64, 16), (40, 3), (10, 200)])
def test_blocks_tile_the_axis(size, n):
    """Half-cell blocks cover every row once, in order, none longer than the extent, and each
    block's own (nearest) seed is among its 4 candidates: the first assignment by position alone is
    the own seed."""
    (start, step, cells), _ = _seed_axes(size, size, n)
    first, length, cand, own, extent = _blocks(size, cells, start, step)
    assert first[0] == 0 and all(f + n_ == g for f, n_, g in zip(first, length, first[1:] + [size]))
    assert all(1 <= n_ <= extent for n_ in length) and extent == step - step // 2
    seeds = np.array([start + step * r for r in range(cells)])
    for f, n_, c, o in zip(first, length, cand, own):
        assert o in (1, 2)
        for y in range(f, f + n_):
            dist = np.abs(seeds - y)
            # nearest seed, ties to the lower one
            assert c + o == int(np.flatnonzero(dist == dist.min())[0])


def _reference_slic(img, n, m, iters):
    """SLIC in float64 numpy, pixel by pixel D^2 over the same 4 x 4 candidates, exact means, ties
    to the lowest centre id; no colour conversion (convert2lab=False). Returns centre ids (H, W)."""
    C, H, W = img.shape
    (sy, ty, gh), (sx, tx, gw) = _seed_axes(H, W, n)
    S = float(max(ty, tx))
    lo, hi = img.min(), img.max()
    yy, xx = np.mgrid[:H, :W]
    # positions in pixels, so that equidistant seeds tie exactly; D^2 divides by S^2 below
    f = np.concatenate([(img - lo) / (hi - lo) / m, yy[None], xx[None]]).reshape(C + 2, -1).T
    ids = np.arange(gh * gw)
    centres = np.zeros((gh * gw, C + 2))
    centres[:, C], centres[:, C + 1] = sy + ty * (ids // gw), sx + tx * (ids % gw)
    scale = np.array([1.] * C + [1 / S ** 2] * 2)

    def per_axis(size, start, step, cells):
        first, length, cand, _, _ = _blocks(size, cells, start, step)
        return np.repeat(cand, length)  # first candidate seed of every row / column

    cy = per_axis(H, sy, ty, gh)[yy.ravel()] + np.arange(4)[:, None]  # (4, HW)
    cx = per_axis(W, sx, tx, gw)[xx.ravel()] + np.arange(4)[:, None]
    rows, cols = np.repeat(cy, 4, 0), np.tile(cx, (4, 1))  # (16, HW) in slot order
    ok = (rows >= 0) & (rows < gh) & (cols >= 0) & (cols < gw)
    cand = np.clip(rows, 0, gh - 1) * gw + np.clip(cols, 0, gw - 1)
    for it in range(iters):
        d2 = ((f[None] - centres[cand]) ** 2 * scale).sum(-1)
        d2[~ok] = np.inf
        label = cand[d2.argmin(0), np.arange(H * W)]  # argmin: the first of equal minima
        if it < iters - 1:
            count = np.bincount(label, minlength=gh * gw)
            sums = np.stack([np.bincount(label, f[:, d], minlength=gh * gw) for d in range(C + 2)],
                            1)
            centres = np.where(count[:, None] > 0, sums / np.maximum(count, 1)[:, None], centres)
    return label.reshape(H, W)


@pytest.mark.parametrize('iters', [1, 2, 5])
def test_slic_torch_matches_a_float64_reference(iters):
    """The whole assignment machinery (blocks, integer min over the candidates, incremental float64
    centre sums) against a direct float64 implementation: identical in float64, nearly so in
    float32."""
    g = np.random.default_rng(0)
    imgs = [torch.from_numpy(g.uniform(0, 1, (3, 41, 53))),
            load_image('coffee')[:, 100:160, 200:290].double()]
    for img in imgs:
        for n, m in ((12, 10.), (40, 20.)):
            ref = np.unique(_reference_slic(img.numpy(), n, m, iters),
                            return_inverse=True)[1].reshape(img.shape[1:])
            got = slic_torch(img, n, m, iters, convert2lab=False,
                             enforce_connectivity=False)[0][0].numpy()
            assert np.array_equal(got, ref)
            got32 = slic_torch(img.float(), n, m, iters, convert2lab=False,
                               enforce_connectivity=False)[0][0]
            assert (got32.numpy() == ref).mean() > 0.995
    batch = torch.stack([imgs[0], imgs[0].flip(-1)])  # batched: each image as on its own
    out = slic_torch(batch, 12, 10., iters, convert2lab=False, enforce_connectivity=False)[0]
    for b in range(2):
        single = slic_torch(batch[b], 12, 10., iters, convert2lab=False,
                            enforce_connectivity=False)[0][0]
        assert torch.equal(out[b], single)


def test_slic_torch_device(device):
    img = load_image('coffee')[:, :64, :64].to(device)
    labels, n = slic_torch(img, 16)
    assert labels.device.type == device.type and int(n[0]) > 4


def test_slic_torch_errors():
    img = torch.rand(3, 16, 16)
    with pytest.raises(ValueError, match='n_segments must be an int >= 1'):
        slic_torch(img, 0)
    with pytest.raises(ValueError, match=r'image must have a channel axis, got a 2-D tensor'):
        slic_torch(img[0], 4)
    with pytest.raises(ValueError, match=r'image must be \(C, H, W\) or \(B, C, H, W\)'):
        slic_torch(img[None, None], 4)
    with pytest.raises(ValueError, match='convert2lab=True needs an RGB image'):
        slic_torch(torch.rand(2, 16, 16), 4, convert2lab=True)
    with pytest.raises(TypeError, match='image must be floating, uint8 or bool, got torch.int64'):
        slic_torch(img.long(), 4)
