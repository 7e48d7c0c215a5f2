"""graphseg's SplineConv: pure-torch B-spline basis vs scipy, parity with torch_spline_conv and PyG,
gradcheck."""
import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline
from torch.autograd import gradcheck

from graphseg.nn import SplineConv, available_spline_backends, spline_basis, spline_weighting
from graphseg.nn.spline_conv import default_spline_backend
from graphseg.typing import WITH_PYG_SPLINE, WITH_TORCH_SPLINE_CONV

needs_tsc = pytest.mark.skipif(not WITH_TORCH_SPLINE_CONV,
                               reason='torch_spline_conv is not installed here')
needs_pyg = pytest.mark.skipif(not WITH_PYG_SPLINE,
                               reason="PyG's SplineConv needs pyg-lib's spline kernels, "
                                                           "which do not import here")


def dense_basis_scipy(pseudo, kernel_size, degree):
    """(E, prod K) tensor-product open B-spline basis from scipy's cardinal B-spline on knots
    0..degree+1."""
    card = BSpline.basis_element(np.arange(degree + 2), extrapolate=False)
    E, D = pseudo.shape
    per_dim = []
    for d in range(D):
        K = kernel_size[d]
        v = pseudo[:, d].numpy() * (K - degree)  # open spline
        i = np.arange(K)
        # basis_i(v) = M(v - i + degree)
        vals = np.nan_to_num(card(v[:, None] - i[None, :] + degree))
        per_dim.append(torch.from_numpy(vals))
    out = per_dim[0]
    for d in range(1, D):  # dimension 0 varies fastest in the flat kernel index
        out = (per_dim[d].unsqueeze(2) * out.unsqueeze(1)).reshape(E, -1)
    return out


def to_dense(basis, weight_index, K):
    return torch.zeros(basis.size(0), K, dtype=basis.dtype).scatter_add_(1, weight_index, basis)


@pytest.mark.parametrize('degree', [1, 2, 3])
@pytest.mark.parametrize('kernel_size', [[5], [4, 6], [4, 5, 4]])
def test_open_basis_matches_scipy(degree, kernel_size):
    pseudo = torch.rand(40, len(kernel_size), dtype=torch.float64)
    basis, wi = spline_basis(pseudo, torch.tensor(kernel_size),
                             torch.ones(len(kernel_size), dtype=torch.uint8), degree)
    assert basis.shape == wi.shape == (40, (degree + 1) ** len(kernel_size))
    K = int(np.prod(kernel_size))
    torch.testing.assert_close(to_dense(basis, wi, K),
                               dense_basis_scipy(pseudo, kernel_size, degree))
    # partition of unity
    torch.testing.assert_close(basis.sum(1), torch.ones(40, dtype=torch.float64))


@needs_tsc
@pytest.mark.parametrize('degree', [1, 2, 3])
@pytest.mark.parametrize('kernel_size,is_open',
                         [([3, 3], [1, 1]), ([5, 4], [1, 0]), ([6], [0]), ([4, 4, 5], [0, 1, 1])])
def test_basis_parity_torch_spline_conv(degree, kernel_size, is_open):
    import torch_spline_conv

    pseudo = torch.rand(60, len(kernel_size), dtype=torch.float64)
    pseudo[0] = 1.  # the right end of an open spline
    pseudo[1] = 0.
    ks, op = torch.tensor(kernel_size), torch.tensor(is_open, dtype=torch.uint8)
    b, w = spline_basis(pseudo, ks, op, degree)
    b_ref, w_ref = torch_spline_conv.spline_basis(pseudo, ks, op, degree)
    torch.testing.assert_close(b, b_ref)
    K = int(np.prod(kernel_size))
    # same (index, value) pairs
    torch.testing.assert_close(to_dense(b, w, K), to_dense(b_ref, w_ref, K))
    x = torch.randn(60, 5, dtype=torch.float64)
    weight = torch.randn(K, 5, 3, dtype=torch.float64)
    torch.testing.assert_close(spline_weighting(x, weight, b, w),
                               torch_spline_conv.spline_weighting(x, weight, b_ref, w_ref))


def layer_loop(layer, x, edge_index, pseudo):
    """x_i W_root + mean_j x_j sum_k B_k(u_ji) W_k + b, one edge at a time, basis from scipy."""
    B = dense_basis_scipy(pseudo.double(), layer.kernel_size.tolist(), layer.degree).to(x.dtype)
    out = torch.zeros(x.size(0), layer.out_channels, dtype=x.dtype)
    count = torch.zeros(x.size(0), dtype=x.dtype)
    for e in range(edge_index.size(1)):
        j, i = edge_index[:, e].tolist()
        out[i] += x[j] @ torch.einsum('k,kio->io', B[e], layer.weight)
        count[i] += 1
    return out / count.clamp_min(1).unsqueeze(1) + layer.lin(x) + layer.bias


def test_layer_matches_per_edge_loop():
    layer = SplineConv(4, 3, dim=2, kernel_size=[3, 4], backend='torch').double()
    torch.nn.init.normal_(layer.bias)
    x = torch.randn(10, 4, dtype=torch.float64)
    ei = torch.randint(0, 10, (2, 35))
    pseudo = torch.rand(35, 2, dtype=torch.float64)
    torch.testing.assert_close(layer(x, ei, pseudo), layer_loop(layer, x, ei, pseudo))


@needs_tsc
@pytest.mark.parametrize('aggr', ['mean', 'add', 'max'])
@pytest.mark.parametrize('degree', [1, 2])
def test_layer_parity_torch_vs_torch_spline_conv(aggr, degree, device):
    a = SplineConv(6, 4, dim=2, kernel_size=4, degree=degree, aggr=aggr, backend='torch').to(device)
    b = SplineConv(6, 4, dim=2, kernel_size=4, degree=degree, aggr=aggr,
                   backend='torch_spline_conv').to(device)
    b.load_state_dict(a.state_dict())
    x = torch.randn(15, 6, device=device, requires_grad=True)
    ei = torch.randint(0, 15, (2, 50), device=device)
    pseudo = torch.rand(50, 2, device=device)
    out_a, out_b = a(x, ei, pseudo), b(x, ei, pseudo)
    torch.testing.assert_close(out_a, out_b)
    ga = torch.autograd.grad(out_a.square().sum(), (x, a.weight))
    gb = torch.autograd.grad(out_b.square().sum(), (x, b.weight))
    for u, v in zip(ga, gb):
        torch.testing.assert_close(u, v)


@needs_pyg
def test_layer_parity_with_pyg():
    from torch_geometric.nn import SplineConv as PyGSplineConv

    ref = PyGSplineConv(6, 4, dim=2, kernel_size=3)
    ours = SplineConv(6, 4, dim=2, kernel_size=3, backend='torch')
    ours.load_state_dict(ref.state_dict())
    x, ei, pseudo = torch.randn(12, 6), torch.randint(0, 12, (2, 40)), torch.rand(40, 2)
    torch.testing.assert_close(ours(x, ei, pseudo), ref(x, ei, pseudo))


def test_gradcheck_pure_torch():
    layer = SplineConv(3, 2, dim=2, kernel_size=3, backend='torch').double()
    ei = torch.randint(0, 6, (2, 14))
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    # kernel_size 3, degree 1: the knots are at u = 0, 0.5, 1; keep 0.05 away from them
    pseudo = torch.rand(14, 2, dtype=torch.float64) * 0.4 + 0.05 + 0.5 * (torch.rand(14, 2) > 0.5)
    pseudo.requires_grad_(True)
    weight = layer.weight.detach().clone().requires_grad_(True)

    def f(x, weight, pseudo):
        return torch.func.functional_call(layer, {'weight': weight}, (x, ei, pseudo))
    assert gradcheck(f, (x, weight, pseudo))


def test_default_backend_and_repr():
    assert 'torch' in available_spline_backends()
    assert default_spline_backend(torch.device('cpu')) == ('pyg' if WITH_PYG_SPLINE else 'torch')
    layer = SplineConv(8, 4, dim=2, kernel_size=3)
    assert repr(layer) == 'SplineConv(8, 4, dim=2, kernel_size=[3, 3], degree=1, backend=None)'
    assert set(layer.state_dict()) == {'weight', 'lin.weight', 'bias', 'kernel_size',
                                       'is_open_spline'}


def test_errors():
    layer = SplineConv(3, 2, dim=2, kernel_size=3)
    x, ei = torch.randn(5, 3), torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r'pseudo must lie in \[0, 1\]'):
        layer(x, ei, torch.full((2, 2), 1.5))
    with pytest.raises(ValueError,
                       match=r'pseudo must have shape \(E, dim\) = \(2, 2\), got \(2, 3\)'):
        layer(x, ei, torch.rand(2, 3))
    with pytest.raises(ValueError,
                       match=r'edge_index must hold node ids in \[0, 4\], got \[0, 7\]'):
        layer(x, torch.tensor([[0, 7], [1, 2]]), torch.rand(2, 2))
    with pytest.raises(ValueError, match='degree must be 1, 2 or 3, got 4'):
        SplineConv(3, 2, dim=2, kernel_size=5, degree=4)
    with pytest.raises(ValueError, match=r'kernel_size must be >= degree \+ 1 = 3'):
        SplineConv(3, 2, dim=2, kernel_size=2, degree=2)
    with pytest.raises(ValueError,
                       match=r"backend must be one of \('pyg', 'torch_spline_conv', 'torch'\)"):
        SplineConv(3, 2, dim=2, kernel_size=3, backend='cuda')
    if not WITH_PYG_SPLINE:
        with pytest.raises(ImportError, match="SplineConv backend 'pyg' does not work here"):
            SplineConv(3, 2, dim=2, kernel_size=3, backend='pyg')
    with pytest.raises(ValueError, match=r"aggr must be one of \('mean', 'add', 'max'\)"):
        SplineConv(3, 2, dim=2, kernel_size=3, aggr='min')
