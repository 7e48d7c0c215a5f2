"""The torch SLIC and the Lab conversion against skimage."""
import numpy as np
import pytest
import torch
from skimage import color
from skimage.segmentation import slic

from graphseg.data import load_image
from graphseg.graphs import slic_torch
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
