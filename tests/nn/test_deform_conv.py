"""DeformConv2d (DCNv1/v2): a per-output-pixel loop, F.conv2d at zero offsets, gradcheck, the Pack,
errors."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.nn import DeformConv2d, DeformConv2dPack, deform_conv2d


def bilinear(img, y, x):
    """torchvision's bilinear_interpolate for one channel: zero outside, corners outside the image
    add 0."""
    H, W = img.shape
    if y <= -1 or y >= H or x <= -1 or x >= W:
        return img.new_zeros(())
    y0, x0 = math.floor(y), math.floor(x)
    out = img.new_zeros(())
    for yy in (y0, y0 + 1):
        for xx in (x0, x0 + 1):
            if 0 <= yy < H and 0 <= xx < W:
                out = out + (1 - abs(y - yy)) * (1 - abs(x - xx)) * img[yy, xx]
    return out


def loop_reference(x, offset, weight, bias, stride, padding, dilation, mask=None):
    """The DCN definition, one output pixel, one tap at a time (offset layout: (dy, dx) per tap,
    row-major)."""
    B, C, H, W = x.shape
    Co, Cg, kh, kw = weight.shape
    groups = C // Cg
    Ho, Wo = offset.shape[-2:]
    K = kh * kw
    G = offset.size(1) // (2 * K)
    out = torch.zeros(B, Co, Ho, Wo, dtype=x.dtype)
    for b in range(B):
        for oy in range(Ho):
            for ox in range(Wo):
                for c in range(C):
                    g = c // (C // G)
                    for i in range(kh):
                        for j in range(kw):
                            k = i * kw + j
                            dy = float(offset[b, 2 * (g * K + k), oy, ox])
                            dx = float(offset[b, 2 * (g * K + k) + 1, oy, ox])
                            y = oy * stride[0] - padding[0] + i * dilation[0] + dy
                            xx = ox * stride[1] - padding[1] + j * dilation[1] + dx
                            v = bilinear(x[b, c], y, xx)
                            if mask is not None:
                                v = v * mask[b, g * K + k, oy, ox]
                            grp = c // Cg
                            for o in range(grp * (Co // groups), (grp + 1) * (Co // groups)):
                                out[b, o, oy, ox] += weight[o, c % Cg, i, j] * v
    return out + (bias.view(1, -1, 1, 1) if bias is not None else 0)


@pytest.mark.parametrize('C,Co,groups,G,k,stride,padding,dilation,modulated', [
    (4, 2, 1, 1, (3, 3), (1, 1), (1, 1), (1, 1), False),
    (4, 4, 2, 2, (3, 2), (2, 1), (1, 0), (1, 2), True),
    (2, 3, 1, 2, (2, 2), (1, 2), (2, 1), (2, 1), False),
])
def test_matches_per_output_pixel_loop(C, Co, groups, G, k, stride, padding, dilation, modulated):
    torch.manual_seed(1)
    x = torch.randn(2, C, 5, 6, dtype=torch.float64)
    weight = torch.randn(Co, C // groups, *k, dtype=torch.float64)
    bias = torch.randn(Co, dtype=torch.float64)
    Ho = (5 + 2 * padding[0] - dilation[0] * (k[0] - 1) - 1) // stride[0] + 1
    Wo = (6 + 2 * padding[1] - dilation[1] * (k[1] - 1) - 1) // stride[1] + 1
    K = k[0] * k[1]
    # many samples leave the image
    offset = 2.5 * torch.randn(2, 2 * G * K, Ho, Wo, dtype=torch.float64)
    # integer offsets too
    offset[0, :4, 0, 0] = torch.tensor([1., -1., 0., 2.], dtype=torch.float64)
    mask = torch.rand(2, G * K, Ho, Wo, dtype=torch.float64) if modulated else None
    out = deform_conv2d(x, offset, weight, bias, stride, padding, dilation, mask)
    ref = loop_reference(x, offset, weight, bias, stride, padding, dilation, mask)
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-10)
    layer = DeformConv2d(C, Co, k, stride, padding, dilation, groups).double()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    torch.testing.assert_close(layer(x, offset, mask), ref, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize('kernel,stride,padding,dilation,groups', [
    (3, 1, 1, 1, 1), (3, 2, 1, 1, 2), (3, 1, 2, 2, 1), (3, 1, 4, 4, 4),
    ((1, 3), (2, 1), (0, 1), 1, 1), (1, 1, 0, 1, 1)])
def test_zero_offsets_equal_conv2d(kernel, stride, padding, dilation, groups, device):
    conv = nn.Conv2d(8, 12, kernel, stride, padding, dilation, groups).to(device)
    dcn = DeformConv2dPack.from_conv2d(conv)
    x = torch.randn(2, 8, 13, 11, device=device)
    torch.testing.assert_close(dcn(x), conv(x), atol=1e-5, rtol=1e-5)
    ref = conv(x)
    offset = torch.zeros(2, 2 * conv.weight[0, 0].numel(), *ref.shape[-2:], device=device)
    torch.testing.assert_close(
        deform_conv2d(x, offset, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation),
        ref,
        atol=1e-5,
        rtol=1e-5,
    )


def test_integer_offsets_shift_the_taps():
    """A uniform integer offset (dy, dx) equals the convolution of the shifted image (inside the
    image)."""
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    x = torch.randn(1, 3, 10, 10)
    offset = torch.zeros(1, 18, 10, 10)
    offset[:, 0::2], offset[:, 1::2] = 2., -1.
    out = deform_conv2d(x, offset, conv.weight, padding=1)
    shifted = torch.zeros_like(x)
    shifted[..., :-2, 1:] = x[..., 2:, :-1]  # shifted(y, x) = x(y + 2, x - 1)
    torch.testing.assert_close(out[..., 1:-3, 2:-1], conv(shifted)[..., 1:-3, 2:-1], atol=1e-5,
                               rtol=1e-5)


def test_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(1, 4, 4, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    # fractional offsets away from integers (the bilinear kernel has kinks there), two offset groups
    off = (
        (torch.randint(-2, 3, (1, 36, 4, 5)) + 0.2 + 0.6 * torch.rand(1, 36, 4, 5))
        .double()
        .requires_grad_(True)
    )
    mask = torch.rand(1, 18, 4, 5, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda *a: deform_conv2d(a[0], a[1], a[2], a[3], 1, 1, 1, a[4]),
                     (x, off, w, b, mask))
    assert gradcheck(lambda a, o: deform_conv2d(a, o, w, None, (2, 1), (1, 2), (1, 2)),
                     (x, off[:, :18, :2, :].detach().requires_grad_(True)))


def test_pack_learns_offsets_and_modulation():
    layer = DeformConv2dPack(4, 6, 3, padding=1, modulated=True)
    assert 'conv_offset.weight' in layer.state_dict() and layer.weight.shape == (6, 4, 3, 3)
    assert layer.conv_offset.out_channels == 27
    x = torch.randn(2, 4, 7, 7)
    conv_out = F.conv2d(x, layer.weight, layer.bias, padding=1)
    bias_part = layer.bias.view(1, -1, 1, 1)
    # mask sigmoid(0) = 0.5
    torch.testing.assert_close(layer(x), 0.5 * (conv_out - bias_part) + bias_part)
    layer(x).square().sum().backward()
    assert layer.conv_offset.weight.grad.abs().sum() > 0
    assert repr(layer).splitlines()[1].strip() == ('4, 6, kernel_size=(3, 3), stride=(1, 1), '
                                                   'padding=(1, 1), modulated=True')


def test_errors():
    layer = DeformConv2d(4, 4, 3, padding=1)
    x = torch.randn(1, 4, 6, 6)
    with pytest.raises(ValueError,
                       match=r'offset must have shape \(B, 2 \* offset_groups \* kh \* kw, '
                             r'H_out, W_out\)'):
        layer(x, torch.zeros(1, 17, 6, 6))
    with pytest.raises(ValueError, match='offset must have shape'):
        layer(x, torch.zeros(1, 18, 5, 6))
    with pytest.raises(ValueError, match='input must have in_channels = 4 channels'):
        layer(torch.randn(1, 3, 6, 6), torch.zeros(1, 18, 6, 6))
    with pytest.raises(ValueError, match=r'divisible by offset_groups = 3'):
        layer(x, torch.zeros(1, 54, 6, 6))
    with pytest.raises(ValueError, match=r'mask must have shape'):
        layer(x, torch.zeros(1, 18, 6, 6), torch.ones(1, 18, 6, 6))
    with pytest.raises(TypeError, match='offset must have a floating-point dtype'):
        layer(x, torch.zeros(1, 18, 6, 6, dtype=torch.long))
    with pytest.raises(ValueError, match='too small'):
        DeformConv2d(4, 4, 3)(torch.randn(1, 4, 2, 2), torch.zeros(1, 18, 1, 1))
    with pytest.raises(ValueError, match='must be divisible by groups'):
        DeformConv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match='kernel_size must be an int or a pair'):
        DeformConv2d(4, 4, 0)
