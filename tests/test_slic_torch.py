"""The torch SLIC and the Lab conversion against skimage."""
import numpy as np
import pytest
import torch
from skimage import color
from skimage.segmentation import slic

from graphseg.data import load_image
from graphseg.graphs import slic_torch
from graphseg.graphs.slic import enforce_label_connectivity
from graphseg.ops.color import rgb_to_lab


def test_rgb_to_lab_matches_skimage(dtype):
    img = load_image('coffee')[:, ::4, ::4].to(dtype)
    ref = color.rgb2lab(img.permute(1, 2, 0).double().numpy())
    got = rgb_to_lab(img).permute(1, 2, 0).double().numpy()
    # skimage rounds the CIE constants (7.787, 0.008856); graphseg uses the exact 6/29 form
    np.testing.assert_allclose(got, ref, atol=2e-3)
    with pytest.raises(ValueError, match=r'image must have shape \(\*, 3, H, W\)'):
        rgb_to_lab(img[:2])


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
    """Number of connected pieces of every segment id of a (H, W) map (scipy, 4-connected by default)."""
    from scipy import ndimage
    return [ndimage.label(lab == s, structure=structure)[1] for s in np.unique(lab)]


def _ari(a, b):
    """Adjusted Rand index of two label maps (Hubert & Arabie), from the contingency table."""
    a, b = np.unique(a.ravel(), return_inverse=True)[1], np.unique(b.ravel(), return_inverse=True)[1]
    table = np.bincount(a * (b.max() + 1) + b).astype(float)
    pairs = lambda n: (n * (n - 1) / 2).sum()  # noqa: E731
    sum_ij = pairs(table)
    sum_a, sum_b = pairs(np.bincount(a).astype(float)), pairs(np.bincount(b).astype(float))
    expected = sum_a * sum_b / pairs(np.array([a.size], dtype=float))
    return (sum_ij - expected) / ((sum_a + sum_b) / 2 - expected)


def test_slic_torch_segments_are_connected():
    imgs = torch.stack([load_image('astronaut')[:, :192, :256], load_image('coffee')[:, :192, :256]])
    labels, n = slic_torch(imgs, 150)
    raw, _ = slic_torch(imgs, 150, enforce_connectivity=False)
    eight = np.ones((3, 3), dtype=int)
    for b in range(2):
        lab = labels[b].numpy()
        assert torch.equal(labels[b].unique(), torch.arange(int(n[b])))
        assert all(k == 1 for k in _pieces(lab, eight)), 'a segment is not one 8-connected component'
        assert all(k == 1 for k in _pieces(lab)), 'a segment is not one 4-connected component'
        assert any(k > 1 for k in _pieces(raw[b].numpy(), eight))  # the check can fail: raw SLIC has islands
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
        assert (sizes[1:] >= 6).all() and int(m[b]) < int(n[b])  # only the first segment may stay small
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
