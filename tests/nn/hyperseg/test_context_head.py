"""ContextHead against the released v1.0 / v0.1 heads written out."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.nn import ContextHead
from tests.helpers import _randomize_bn


def _cba(seq, t, act=True):
    conv, bn = seq[0], seq[1]
    t = F.conv2d(t, conv.weight, stride=conv.stride)
    t = F.batch_norm(t, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0., bn.eps)
    return F.relu(t) if act else t


def _up2(t):
    return t.repeat_interleave(2, 2).repeat_interleave(2, 3)


def test_context_head_half_width_matches_reference(device):
    """The released v1.0 head written out for levels = 2 (eval mode)."""
    head = ContextHead(16, levels=2).to(device).eval()
    _randomize_bn(head)
    assert repr(head).startswith('ContextHead(\n  16, levels=2, half_width=True\n')
    x = torch.randn(2, 16, 4, 6, device=device)
    f0 = _cba(head.reduce, x)  # 1x1, 16 -> 8
    f1 = _cba(head.down[0], f0)  # 2x2 stride 2, width kept
    g = f1.mean((2, 3), keepdim=True).expand_as(f1)  # global average at the bottom
    ref = torch.cat([f0, _up2(_cba(head.up[0], torch.cat([f1, g], 1)))], 1)
    torch.testing.assert_close(head(x), ref)
    assert head.down[0][0].out_channels == 8 and head.down[0][0].kernel_size == (2, 2)
    assert head(torch.randn(1, 16, 5, 7, device=device)).shape == (1, 16, 5, 7)  # odd sizes
    assert sum(p.numel() for n, p in ContextHead(1280).named_parameters() if n.endswith('weight')
               # the released 3.28 M head
               and p.dim() == 4) == 1280 * 640 + 640 * 640 * 4 + 1280 * 640


def test_context_head_full_width_matches_reference(device):
    """The released v0.1 head written out for levels = 3 (eval mode): no ReLU after the last
    merge."""
    head = ContextHead(8, levels=3, half_width=False).to(device).eval()
    _randomize_bn(head)
    x = torch.randn(2, 8, 4, 8, device=device)
    f1 = _cba(head.down[0], x)
    f2 = _cba(head.down[1], f1)
    g = f2.mean((2, 3), keepdim=True).expand_as(f2)
    y1 = _cba(head.up[1], torch.cat([f1, _up2(g)], 1))
    ref = _cba(head.up[0], torch.cat([x, _up2(y1)], 1), act=False)
    torch.testing.assert_close(head(x), ref)
    assert len(head.up[0]) == 2 and len(head.up[1]) == 3 and head.reduce is None
    one = ContextHead(8, levels=1, half_width=False)
    torch.testing.assert_close(one(x), x)  # a single level: phi = F_n


def test_context_head_errors():
    with pytest.raises(ValueError, match='in_channels must be even when half_width=True'):
        ContextHead(7)
    with pytest.raises(ValueError, match='x must be at least 4x4 for 3 levels, got 2x8'):
        ContextHead(16, levels=3)(torch.randn(1, 16, 2, 8))
    with pytest.raises(ValueError, match='x must have 16 channels, got 8'):
        ContextHead(16)(torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match='levels must be a positive int'):
        ContextHead(16, levels=0)
