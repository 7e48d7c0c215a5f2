"""Sparse layers (SubmanifoldConv2d, SparseBatchNorm, SparseReLU, SparseLinear,
SparseConvTranspose2d, upsampling and gathering) against dense layers on the zero-filled (masked)
map."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.nn import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU,
                         SparseUpsample, SubmanifoldConv2d, sparse_gather, sparse_upsample)
from graphseg.ops import SparseMap, child_coords
from tests.helpers import random_sparse, read


@pytest.mark.parametrize('p', [0.1, 0.5, 0.9])
def test_submanifold_equals_masked_dense_conv(device, dtype, p):
    x, mask, sp = random_sparse(2, 6, 11, 8, p, device, dtype, requires_grad=True)
    conv = SubmanifoldConv2d(6, 3, bias=True).to(device, dtype)
    out = conv(sp)
    assert torch.equal(out.coords, sp.coords)
    xd = (x * mask.unsqueeze(1)).requires_grad_(True)
    ref = read(F.conv2d(xd, conv.weight, conv.bias, padding=1), mask)
    torch.testing.assert_close(out.feats, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out.feats, (sp.feats, conv.weight), g)
    rx, rw = torch.autograd.grad(ref, (xd, conv.weight), g)
    torch.testing.assert_close(gx, read(rx, mask), atol=1e-5, rtol=1e-5)  # gradient at active sites
    torch.testing.assert_close(gw, rw, atol=1e-5, rtol=1e-5)


def test_submanifold_1x1_empty_and_kernel_map_cache(device):
    x, mask, sp = random_sparse(1, 4, 6, 6, 0.5, device)
    conv1 = SubmanifoldConv2d(4, 2, kernel_size=1).to(device)
    torch.testing.assert_close(conv1(sp).feats,
                               read(F.conv2d(x * mask.unsqueeze(1), conv1.weight), mask))
    conv = SubmanifoldConv2d(4, 4).to(device)
    y = conv(conv(sp))
    # one neighbour table and one plan for the stack
    assert len(sp._cache) == 2 and y._cache is sp._cache
    empty = SparseMap(sp.coords[:0], sp.feats[:0], (6, 6), 1)
    assert conv(empty).feats.shape == (0, 4)
    assert repr(conv) == 'SubmanifoldConv2d(4, 4, kernel_size=3, bias=False)'
    with pytest.raises(ValueError, match='kernel_size must be 1 or 3, got 5'):
        SubmanifoldConv2d(4, 4, kernel_size=5)
    with pytest.raises(ValueError, match=r'input must have 4 channels for SubmanifoldConv2d\(4, 4'):
        conv(sp.replace(sp.feats[:, :3]))
    with pytest.raises(TypeError, match='SubmanifoldConv2d expects a SparseMap, got Tensor'):
        conv(x)


# --------------------------------------------- BatchNorm, ReLU, Linear, transposed conv, upsampling
def test_batchnorm_relu_linear(device, dtype):
    x = torch.randn(2, 4, 5, 6, device=device, dtype=dtype)
    sp = SparseMap.from_dense(x)
    bn, ref = SparseBatchNorm(4).to(device, dtype), nn.BatchNorm2d(4).to(device, dtype)
    for train in (True, False):
        bn.train(train), ref.train(train)
        torch.testing.assert_close(bn(sp).to_dense(), ref(x))  # all sites active == BatchNorm2d
    torch.testing.assert_close(bn.running_var, ref.running_var)
    assert set(bn.state_dict()) == set(ref.state_dict())
    bn.train()
    _, mask, part = random_sparse(2, 4, 5, 6, 0.5, device, dtype)
    f = part.feats
    # statistics of active sites only
    norm = (f - f.mean(0)) / torch.sqrt(f.var(0, unbiased=False) + bn.eps)
    torch.testing.assert_close(bn(part).feats, norm)
    one = part.select(torch.arange(part.num_sites, device=device) == 0)
    # one site: x - mean = 0
    torch.testing.assert_close(bn(one).feats.detach(), bn.bias.detach().view(1, 4))
    assert (
        bn(part.select(torch.zeros(part.num_sites, dtype=torch.bool, device=device))).num_sites == 0
    )
    torch.testing.assert_close(SparseReLU()(part).feats, F.relu(f))
    lin = SparseLinear(4, 3).to(device, dtype)
    torch.testing.assert_close(lin(part).feats, f @ lin.weight.t() + lin.bias)


@pytest.mark.parametrize('bias', [False, True])
def test_conv_transpose_equals_dense(device, dtype, bias):
    x, mask, sp = random_sparse(2, 5, 4, 3, 0.5, device, dtype, requires_grad=True)
    up = SparseConvTranspose2d(5, 3, bias=bias).to(device, dtype)
    out = up(sp)
    assert out.spatial_shape == (8, 6) and out.num_sites == 4 * sp.num_sites
    assert torch.equal(out.coords, child_coords(sp.coords))
    xd = (x * mask.unsqueeze(1)).requires_grad_(True)
    dense = F.conv_transpose2d(xd, up.weight, up.bias, stride=2)
    b, yy, xx = out.coords.unbind(1)
    ref = dense.permute(0, 2, 3, 1)[b, yy, xx]
    torch.testing.assert_close(out.feats, ref)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out.feats, (sp.feats, up.weight), g)
    rx, rw = torch.autograd.grad(ref, (xd, up.weight), g)
    torch.testing.assert_close(gx, read(rx, mask))
    torch.testing.assert_close(gw, rw)
    assert set(up.state_dict()) == set(nn.ConvTranspose2d(5, 3, 2, 2, bias=bias).state_dict())
    assert repr(up) == f'SparseConvTranspose2d(5, 3, kernel_size=2, stride=2, bias={bias})'


def test_conv_transpose_gradcheck():
    _, _, sp = random_sparse(1, 2, 3, 3, 0.6, 'cpu', torch.float64)
    up = SparseConvTranspose2d(2, 2, bias=True).double()
    feats = sp.feats.detach().requires_grad_(True)
    w = up.weight.detach().requires_grad_(True)
    b = up.bias.detach().requires_grad_(True)

    def f(feats, w, b):
        return torch.func.functional_call(up, {'weight': w, 'bias': b}, (sp.replace(feats),)).feats
    assert gradcheck(f, (feats, w, b))


def test_upsample_and_gather(device):
    x, mask, sp = random_sparse(2, 3, 4, 5, 0.5, device)
    out = SparseUpsample()(sp)
    ref = F.interpolate(x * mask.unsqueeze(1), scale_factor=2, mode='nearest')
    b, yy, xx = out.coords.unbind(1)
    torch.testing.assert_close(out.feats, ref.permute(0, 2, 3, 1)[b, yy, xx])
    keep = torch.arange(sp.num_sites, device=device) % 2 == 0
    part = sparse_upsample(sp, keep)
    assert torch.equal(part.coords, child_coords(sp.coords[keep]))
    skip = torch.randn(2, 7, 8, 10, device=device)
    g = sparse_gather(skip, out)
    assert torch.equal(g.feats, skip.permute(0, 2, 3, 1)[b, yy, xx]) and g.coords is out.coords
