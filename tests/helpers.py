"""Helpers shared by test files of several modules: the repository paths, and small builders
(fake dataset folders, random sparse maps, QGN decoder inputs, RepGraph references)."""
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from graphseg.ops import SparseMap


#: the repository root and the binary fixtures pinned from the authors' released code
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, 'tests', 'data')


# ---------------------------------------------------------------- dataset readers (tests/datasets)
# tiny image / label files in each dataset's official layout
def _img(path, h=6, w=8, ext_mode='RGB'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = (np.random.default_rng(len(path)).random((h, w, 3)) * 255).astype(np.uint8)
    Image.fromarray(arr, ext_mode).save(path)


def _label(path, arr, mode='L'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    im = Image.fromarray(np.asarray(arr, dtype=np.uint8), 'L')
    if mode == 'P':
        im = im.convert('P')
        im.putpalette(list(np.random.default_rng(0).integers(0, 255, 768, dtype=np.uint8)))
        im.putdata(np.asarray(arr, dtype=np.uint8).flatten().tolist())
    im.save(path)


def _check_sample(ds, i, expected):
    image, target = ds[i]
    assert image.dtype == torch.float32 and image.shape == (3,) + expected.shape
    assert 0 <= float(image.min()) and float(image.max()) <= 1
    assert target.dtype == torch.long and torch.equal(target,
                                                      torch.as_tensor(expected, dtype=torch.long))


# -------------------------------------------------------------- HyperSeg layers (tests/nn/hyperseg)
def _randomize_bn(module, generator=None):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5, generator=generator)
                m.running_var.uniform_(0.5, 2., generator=generator)
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.uniform_(-0.5, 0.5, generator=generator)


# -------------------------------------------------- QGN decoder inputs (tests/nn/qgn, tests/models)
K = 3
ENC = (6, 8, 12, 16, 24)  # encoder maps at strides 2, 4, 8, 16, 32
SMALL = dict(widths=(16, 8, 8, 8, 8), blocks=(2, 1, 1, 2), final_blocks=1)


def features(B, H, W, device, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, c, H >> (i + 1), W >> (i + 1), generator=g, dtype=dtype).to(device)
            for i, c in enumerate(ENC)]


def blob_labels(B, H, W, device, seed=0):
    """Smooth random regions (a few boundaries), as a real label map."""
    g = torch.Generator().manual_seed(seed)
    lab = F.interpolate(torch.rand(B, K, 3, 4, generator=g), size=(H, W), mode='bilinear').argmax(1)
    lab[:, :4, :4] = 255
    return lab.to(device)


# ---------------------------------------------------------- RepGraph references (tests/nn/repgraph)
def reference_attention(q, k, v, positions):
    """Eq. 6 with grid_sample as the sampler. q (C, H, W) queries, k/v (C, H, W), positions (HW, S,
    2) (y, x)."""
    C, H, W = k.shape
    grid = torch.stack([2 * positions[..., 1] / (W - 1) - 1, 2 * positions[..., 0] / (H - 1) - 1],
                       dim=-1)[None]
    # (C, HW, S)
    s_phi = F.grid_sample(k[None], grid, mode='bilinear', padding_mode='zeros',
                          align_corners=True)[0]
    s_g = F.grid_sample(v[None], grid, mode='bilinear', padding_mode='zeros', align_corners=True)[0]
    attn = torch.einsum('cp,cps->ps', q.flatten(1), s_phi).softmax(dim=-1)
    return torch.einsum('ps,cps->cp', attn, s_g).view(C, H, W)


def randomize(m, offset_std=0.5):
    """Non-trivial parameters: random offsets regressor and a non-zero output norm."""
    with torch.no_grad():
        m.layer.offset.weight.normal_(0, offset_std)
        m.layer.offset.bias.normal_(0, 1.0)
        if isinstance(m.norm, nn.BatchNorm2d):
            m.norm.weight.normal_()
    return m


# ---------------------------------------------------------------- sparse maps (tests/ops, tests/nn)
def random_sparse(B, C, H, W, p, device, dtype=torch.float32, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, H, W, generator=g, dtype=dtype).to(device)
    mask = (torch.rand(B, H, W, generator=g) < p).to(device)
    sp = SparseMap.from_dense(x, mask)
    if requires_grad:
        sp = sp.replace(sp.feats.detach().requires_grad_(True))
    return x, mask, sp


def read(dense, mask):
    """A dense (B, C, H, W) map at the active sites, in SparseMap.from_dense order."""
    return dense.permute(0, 2, 3, 1)[mask]
