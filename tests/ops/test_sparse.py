"""SparseMap and the functional submanifold_conv2d against dense convolutions of the zero-filled
(masked) map."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from graphseg.ops import SparseMap, child_coords, submanifold_conv2d
from tests.helpers import random_sparse


def test_sparse_map_round_trip_and_errors(device):
    x, mask, sp = random_sparse(2, 3, 5, 6, 0.5, device)
    assert sp.num_sites == int(mask.sum()) and sp.num_channels == 3 and sp.batch_size == 2
    torch.testing.assert_close(sp.to_dense(), x * mask.unsqueeze(1))
    torch.testing.assert_close(sp.gather(x), sp.feats)
    full = SparseMap.from_dense(x)
    assert full.density == 1. and torch.equal(full.to_dense(), x)
    assert repr(SparseMap(sp.coords[:0], sp.feats[:0], (5, 6), 2)) == \
        'SparseMap(sites=0, channels=3, spatial_shape=(5, 6), batch_size=2, density=0)'
    with pytest.raises(ValueError,
                       match=r'coords\[:, 1\] \(y\) must lie in \[0, 4\], got \[5, 5\]'):
        SparseMap(torch.tensor([[0, 5, 0]], device=device), torch.zeros(1, 3, device=device),
                  (5, 6))
    with pytest.raises(ValueError, match=r'coords must have shape \(N, 3\)'):
        SparseMap(torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 3), (5, 6))
    with pytest.raises(ValueError,
                       match=r'feats must have shape \(N, C\) with N = coords.size\(0\) = 2'):
        SparseMap(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 3), (5, 6))
    with pytest.raises(TypeError, match='coords must have dtype torch.long'):
        SparseMap(torch.zeros(2, 3), torch.zeros(2, 3), (5, 6))
    with pytest.raises(ValueError, match=r'spatial_shape must be a pair \(H, W\)'):
        SparseMap(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3), 5)
    with pytest.raises(ValueError,
                       match=r'mask must be a bool tensor of shape \(B, H, W\) = \(2, 5, 6\)'):
        SparseMap.from_dense(x, mask[0])
    with pytest.raises(ValueError,
                       match=r'dense must have shape \(B, C, H, W\) with \(B, H, W\) = \(2, 5, '
                             r'6\)'):
        sp.gather(x[:, :, :4])
    with pytest.raises(ValueError, match='both SparseMaps must have the same active sites'):
        sp + full
    with pytest.raises(TypeError, match='can only add a SparseMap'):
        sp + x


def test_child_coords():
    c = torch.tensor([[1, 2, 3]])
    assert child_coords(c).tolist() == [[1, 4, 6], [1, 4, 7], [1, 5, 6], [1, 5, 7]]


# --------------------------------------------------------------------------- SubmanifoldConv2d
@pytest.mark.parametrize('method', ['grid', 'searchsorted'])
def test_submanifold_all_active_equals_conv2d(device, dtype, method):
    x = torch.randn(2, 5, 7, 9, dtype=dtype, device=device, requires_grad=True)
    w = torch.randn(4, 5, 3, 3, dtype=dtype, device=device, requires_grad=True)
    b = torch.randn(4, dtype=dtype, device=device, requires_grad=True)
    sp = SparseMap.from_dense(x)
    out = submanifold_conv2d(sp, w, b, method=method)
    ref = F.conv2d(x, w, b, padding=1)
    tol = dict(atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.to_dense(), ref, **tol)
    g = torch.randn_like(ref)
    grads = torch.autograd.grad(out.to_dense(), (x, w, b), g)
    refs = torch.autograd.grad(ref, (x, w, b), g)
    for a, r in zip(grads, refs):
        torch.testing.assert_close(a, r, **tol)


def test_submanifold_gradcheck():
    _, _, sp = random_sparse(1, 2, 3, 4, 0.6, 'cpu', torch.float64)
    w = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    feats = sp.feats.detach().requires_grad_(True)
    assert gradcheck(lambda f, w: submanifold_conv2d(sp.replace(f), w).feats, (feats, w))
