"""dpw_conv2d (HyperSeg Eq. 8) against a per-patch loop of F.conv2d and against F.conv2d itself."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from graphseg.ops import dpw_conv2d
from graphseg.ops import dpw_conv as dpw_module

IMPLS = ['auto', 'bmm', 'grouped_conv', 'taps']
# (name, C_in, C_out, groups, K)
CASES = [('1x1', 4, 6, 1, 1), ('3x3 depthwise', 4, 4, 4, 3), ('3x3 grouped', 4, 6, 2, 3),
         ('3x3 full', 3, 5, 1, 3), ('1x1 grouped', 4, 6, 2, 1)]


def per_patch_loop(x, weight, groups, padding_mode):
    """The definition: pad the whole image once, then convolve every patch with its halo
    separately."""
    B, _, H, W = x.shape
    _, C_out, _, K_h, K_w, N_h, N_w = weight.shape
    p_h, p_w = H // N_h, W // N_w
    a, b = K_h // 2, K_w // 2
    mode = 'constant' if padding_mode == 'zeros' else padding_mode
    xp = F.pad(x, (b, b, a, a), mode=mode)
    out = x.new_zeros(B, C_out, H, W)
    for n in range(B):
        for i in range(N_h):
            for j in range(N_w):
                crop = xp[n:n + 1, :, i * p_h:(i + 1) * p_h + 2 * a, j * p_w:(j + 1) * p_w + 2 * b]
                out[n:n + 1, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = F.conv2d(
                    crop, weight[n, ..., i, j], groups=groups)
    return out


def _inputs(case, grid, device, dtype, B=2, H=8, W=12):
    _, C_in, C_out, G, K = case
    x = torch.randn(B, C_in, H, W, device=device, dtype=dtype)
    w = torch.randn(B, C_out, C_in // G, K, K, *grid, device=device, dtype=dtype)
    return x, w, G


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('padding_mode', ['zeros', 'reflect'])
@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_matches_per_patch_loop(case, padding_mode, impl, device, dtype):
    x, w, G = _inputs(case, (2, 3), device, dtype)
    out = dpw_conv2d(x, w, groups=G, padding_mode=padding_mode, impl=impl)
    assert out.shape == (x.size(0), w.size(1), x.size(2), x.size(3))
    ref = per_patch_loop(x, w, G, padding_mode)
    torch.testing.assert_close(out, ref)
    bias = torch.randn(w.size(1), device=device, dtype=dtype)
    torch.testing.assert_close(
        dpw_conv2d(x, w, bias, groups=G, padding_mode=padding_mode, impl=impl),
        ref + bias.view(1, -1, 1, 1),
    )


@pytest.mark.parametrize('padding_mode', ['zeros', 'reflect'])
def test_taps_cache_blocking(padding_mode, monkeypatch):
    """The depthwise 'taps' path processes (image, channel) planes in chunks on the CPU."""
    monkeypatch.setattr(dpw_module, '_TAPS_CHUNK_BYTES', 2 * 8 * 12 * 4)  # two planes per chunk
    x, w, G = _inputs(('dw', 5, 5, 5, 3), (2, 3), 'cpu', torch.float64)  # 10 planes -> 5 chunks
    bias = torch.randn(5, dtype=torch.float64)
    out = dpw_conv2d(x, w, bias, groups=G, padding_mode=padding_mode, impl='taps')
    torch.testing.assert_close(out, per_patch_loop(x, w, G, padding_mode) + bias.view(1, -1, 1, 1))
    x, w, G = _inputs(('dw', 3, 3, 3, 3), (1, 2), 'cpu', torch.float64, B=1, H=2, W=4)
    monkeypatch.setattr(dpw_module, '_TAPS_CHUNK_BYTES', 1)  # one plane per chunk
    assert gradcheck(lambda a,
                     b: dpw_conv2d(a, b, groups=G, padding_mode=padding_mode, impl='taps'),
                     (x.requires_grad_(True), w.requires_grad_(True)))


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('padding_mode', ['zeros', 'reflect'])
@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_single_patch_equals_conv2d(case, padding_mode, impl, device, dtype):
    """N_h = N_w = 1: one kernel per image, i.e. F.conv2d image by image."""
    x, w, G = _inputs(case, (1, 1), device, dtype)
    out = dpw_conv2d(x, w, groups=G, padding_mode=padding_mode, impl=impl)
    K = w.size(3)
    ref = torch.cat(
        [
            F.conv2d(x[n : n + 1], w[n, ..., 0, 0], padding=K // 2, groups=G)
            if padding_mode == 'zeros'
            else nn_reflect_conv(x[n : n + 1], w[n, ..., 0, 0], G)
            for n in range(x.size(0))
        ]
    )
    torch.testing.assert_close(out, ref)


def nn_reflect_conv(x, w, groups):
    conv = torch.nn.Conv2d(x.size(1), w.size(0), w.size(-1), padding=w.size(-1) // 2, groups=groups,
                           bias=False, padding_mode='reflect').to(x)
    with torch.no_grad():
        conv.weight.copy_(w)
        return conv(x)


@pytest.mark.parametrize('impl', IMPLS)
def test_shared_kernel_equals_conv2d_halo_is_real(impl, device):
    """The same kernel in every patch must give F.conv2d exactly: the halo holds real neighbour
    pixels."""
    x = torch.randn(1, 4, 16, 16, device=device)
    k = torch.randn(4, 1, 3, 3, device=device)
    w = k[None, ..., None, None].expand(1, 4, 1, 3, 3, 4, 4).contiguous()
    torch.testing.assert_close(dpw_conv2d(x, w, groups=4, impl=impl),
                               F.conv2d(x, k, padding=1, groups=4), atol=1e-5, rtol=1e-5)


def test_bias_and_replicate(device):
    x, w, G = _inputs(CASES[2], (2, 2), device, torch.float64)
    bias = torch.randn(w.size(1), device=device, dtype=torch.float64)
    out = dpw_conv2d(x, w, bias, groups=G, padding_mode='replicate')
    torch.testing.assert_close(out, per_patch_loop(x, w, G, 'replicate') + bias.view(1, -1, 1, 1))


GRAD_CASES = [('1x1', 4, 2, 1, 1), ('3x3 depthwise', 3, 3, 3, 3), ('3x3 grouped', 4, 2, 2, 3),
              ('3x3 full', 2, 2, 1, 3)]


@pytest.mark.parametrize('impl,case',
                         [('bmm', GRAD_CASES[0]), ('bmm', GRAD_CASES[2]),
                          ('grouped_conv', GRAD_CASES[2]),
                                       ('taps', GRAD_CASES[1]), ('taps', GRAD_CASES[3])],
                                       ids=lambda v: str(v))
def test_gradcheck(impl, case):
    x, w, G = _inputs(case, (1, 2), 'cpu', torch.float64, B=1, H=2, W=4)  # two 2x2 patches
    x.requires_grad_(True)
    w.requires_grad_(True)
    bias = torch.randn(w.size(1), dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b,
                     c: dpw_conv2d(a, b, c, groups=G, padding_mode='reflect', impl=impl),
                     (x, w, bias))


def test_errors():
    x = torch.randn(2, 4, 8, 12)
    w = torch.randn(2, 6, 4, 3, 3, 2, 3)
    with pytest.raises(ValueError,
                       match=r'x height H = 8 must be divisible by the weight grid size 3 '
                             r'\(weight dim'):
        dpw_conv2d(x, torch.randn(2, 6, 4, 3, 3, 3, 3))
    with pytest.raises(ValueError,
                       match=r'x width W = 12 must be divisible by the weight grid size 5'):
        dpw_conv2d(x, torch.randn(2, 6, 4, 3, 3, 2, 5))
    with pytest.raises(ValueError, match=r'x must be \(B, C_in, H, W\)'):
        dpw_conv2d(x[0], w)
    with pytest.raises(ValueError,
                       match=r'weight must be \(B, C_out, C_in / groups, K_h, K_w, N_h, N_w\)'):
        dpw_conv2d(x, w[0])
    with pytest.raises(ValueError,
                       match=r'one kernel set per image: weight.size\(0\) = B = 2, got 1'):
        dpw_conv2d(x, w[:1])
    with pytest.raises(ValueError, match=r'C_in / groups = 2, got \(2, 6, 4, 3, 3, 2, 3\)'):
        dpw_conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match='groups = 3 must divide C_in = 4 and C_out = 6'):
        dpw_conv2d(x, w, groups=3)
    with pytest.raises(ValueError, match='kernel size must be odd, got 2x2'):
        dpw_conv2d(x, torch.randn(2, 6, 4, 2, 2, 2, 3))
    with pytest.raises(ValueError,
                       match=r'padding must be \(K - 1\) / 2 = \(1, 1\) for a 3x3 kernel'):
        dpw_conv2d(x, w, padding=0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        dpw_conv2d(x, w, padding_mode='circular')
    with pytest.raises(ValueError, match="impl must be one of"):
        dpw_conv2d(x, w, impl='fft')
    with pytest.raises(TypeError, match='weight must have the dtype of x'):
        dpw_conv2d(x, w.double())
    with pytest.raises(ValueError, match=r'bias must have shape \(C_out,\) = \(6,\)'):
        dpw_conv2d(x, w, torch.randn(4))
    with pytest.raises(ValueError, match="padding_mode='reflect' needs x larger than the padding"):
        dpw_conv2d(torch.randn(1, 4, 1, 3), torch.randn(1, 6, 4, 3, 3, 1, 1),
                   padding_mode='reflect')
    with pytest.raises(TypeError, match='x must have a floating-point dtype'):
        dpw_conv2d(x.long(), w)
    assert dpw_conv2d(x, w, padding=1).shape == (2, 6, 8, 12)
