"""MetaBlock: equal to the static block with the same weights, the patch halo against a per-patch
reference, structure and errors."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.nn import MetaBlock
from tests.helpers import _randomize_bn


@pytest.mark.parametrize('halo', ['image', 'patch'])
@pytest.mark.parametrize('pointwise_only', [False, True])
def test_meta_block_equals_static_block_with_the_same_weights(pointwise_only, halo, device):
    """With one weight set for every patch the dynamic block is the static block with those
    weights."""
    dyn = MetaBlock(6, 6, 8, expand_ratio=2, pointwise_only=pointwise_only, weight_groups=2,
                    halo=halo).to(device)
    sta = MetaBlock(6, 6, expand_ratio=2, pointwise_only=pointwise_only, dynamic=False).to(device)
    _randomize_bn(dyn)
    sta.load_state_dict(
        {k: v for k, v in dyn.state_dict().items() if not k.startswith('weight_mapper')},
        strict=False,
    )
    # the same signal in every patch
    phi = torch.randn(1, 8, 1, 1, device=device).expand(2, 8, 2, 3)
    theta = dyn.weight_mapper(phi[:, :, :1, :1])[..., 0, 0]  # (B, |theta|)
    with torch.no_grad():
        for conv, w in zip([sta.pw1] + ([] if pointwise_only else [sta.dw, sta.pw2]),
                           theta[0].split([c.num_params for c, _ in dyn._conv_bn()])):
            conv.weight.copy_(w.view_as(conv.weight))
    x = torch.randn(2, 6, 8, 12, device=device)
    # train: BN1 over the halo'd patches differs from BN over the image
    for mode in ('eval', 'train'):
        if mode == 'train' and halo == 'patch' and not pointwise_only:
            continue
        dyn.train(mode == 'train'), sta.train(mode == 'train')
        torch.testing.assert_close(dyn(x, phi), sta(x), atol=1e-5, rtol=1e-5)
    assert dyn.num_params == MetaBlock.count_params(6, 6, 2, pointwise_only=pointwise_only)


def _patch_halo_reference(block, x, theta):
    """The released v1.0 block written out patch by patch with F.conv2d (eval mode)."""
    def bn(t, m):
        return F.batch_norm(t, m.running_mean, m.running_var, m.weight, m.bias, False, 0., m.eps)
    B, C, H, W = x.shape
    N_h, N_w = theta.shape[-2:]
    p_h, p_w, hid = H // N_h, W // N_w, block.hidden_channels
    w1, w2, w3 = theta.split([c.num_params for c, _ in block._conv_bn()], dim=1)
    mode = 'constant' if block.padding_mode == 'zeros' else block.padding_mode
    xp = F.pad(x, (1, 1, 1, 1), mode=mode)
    inside = F.pad(torch.ones(1, 1, H, W, dtype=x.dtype, device=x.device), (1, 1, 1, 1))
    out = torch.empty(B, hid, H, W, dtype=x.dtype, device=x.device)
    for b in range(B):
        for i in range(N_h):
            for j in range(N_w):
                win = xp[b:b + 1, :, i * p_h:(i + 1) * p_h + 2, j * p_w:(j + 1) * p_w + 2]
                h = F.relu6(bn(F.conv2d(win, w1[b, :, i, j].view(hid, C, 1, 1)), block.bn1))
                if block.padding_mode == 'zeros':
                    h = h * inside[:, :, i * p_h:(i + 1) * p_h + 2, j * p_w:(j + 1) * p_w + 2]
                out[b, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = F.conv2d(
                    h, w2[b, :, i, j].view(hid, 1, 3, 3), groups=hid)[0]
    out = F.relu6(bn(out, block.bn2))
    w3 = w3.view(B, block.out_channels, hid, N_h, N_w)
    y = torch.empty(B, block.out_channels, H, W, dtype=x.dtype, device=x.device)
    for i in range(N_h):
        for j in range(N_w):
            blk = out[:, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w]
            y[:, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = torch.einsum('bchw,boc->bohw',
                                                                                 blk, w3[..., i, j])
    return bn(y, block.bn3) + (x if block.use_residual else 0)


@pytest.mark.parametrize('padding_mode', ['reflect', 'zeros', 'replicate'])
def test_patch_halo_matches_per_patch_reference(padding_mode, device):
    block = MetaBlock(5, 5, 8, halo='patch', weight_groups=2,
                      padding_mode=padding_mode).double().to(device).eval()
    _randomize_bn(block)
    x = torch.randn(2, 5, 8, 12, dtype=torch.float64, device=device)
    phi = torch.randn(2, 8, 2, 3, dtype=torch.float64, device=device)
    ref = _patch_halo_reference(block, x, block.weight_mapper(phi))
    torch.testing.assert_close(block(x, phi), ref)
    image = MetaBlock(5, 5, 8, halo='image', weight_groups=2,
                      padding_mode=padding_mode).double().to(device).eval()
    image.load_state_dict(block.state_dict())
    diff = (image(x, phi) - block(x, phi)).abs().amax((0, 1))  # (H, W)
    # within one pixel of an interior patch border
    border = torch.zeros(8, 12, dtype=torch.bool, device=device)
    border[[3, 4], :] = True
    border[:, [3, 4, 7, 8]] = True
    assert diff[~border].max() < 1e-12 and diff[border].max() > 1e-3


def test_patch_halo_gradcheck():
    block = MetaBlock(2, 3, 4, halo='patch', weight_groups=2, padding_mode='zeros').double().eval()
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    phi = torch.randn(1, 4, 2, 2, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: block(a, b), (x, phi))


def test_meta_block_structure():
    b = MetaBlock(4, 4, 16, expand_ratio=2, weight_groups=4)
    assert b.use_residual and b.hidden_channels == 8
    assert b.num_params == 4 * 8 + 8 * 9 + 8 * 4 == b.weight_mapper.num_params
    assert isinstance(b.act1, nn.ReLU6) and isinstance(b.act2, nn.ReLU6) and not hasattr(b, 'act3')
    assert repr(b).startswith("MetaBlock(\n  4, 4, hidden=8, halo='image', dynamic=True\n")
    pw = MetaBlock(4, 6, 16, pointwise_only=True, act_layer=nn.ReLU)
    assert not pw.use_residual and not hasattr(pw,
                                               'dw') and pw.num_params == 24 and isinstance(pw.act1,
                                                                                            nn.ReLU)
    assert MetaBlock(4, 6, dynamic=False).weight_mapper is None
    with pytest.raises(ValueError,
                       match='signal_channels is required when dynamic=True and own_mapper=True'):
        MetaBlock(4, 4)
    with pytest.raises(ValueError, match='signal is required by a dynamic MetaBlock'):
        b(torch.randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match="halo must be one of"):
        MetaBlock(4, 4, 16, halo='own')
    ext = MetaBlock(4, 4, own_mapper=False)  # weights from a shared mapper
    assert ext.weight_mapper is None
    with pytest.raises(ValueError,
                       match='theta is required by a MetaBlock without its own weight mapper'):
        ext(torch.randn(1, 4, 4, 4), torch.randn(1, 16, 1, 1))
    with pytest.raises(ValueError, match=r'theta must have shape \(B, 136, N_h, N_w\)'):
        ext(torch.randn(1, 4, 4, 4), theta=torch.randn(1, 13, 1, 1))
    theta = b.weight_mapper(torch.randn(1, 16, 2, 2))
    torch.testing.assert_close(ext.eval()(torch.ones(1, 4, 4, 4), theta=theta).shape, (1, 4, 4, 4))
