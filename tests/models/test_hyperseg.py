"""HyperSeg models: templates, every signal channel used, BatchNorm fusion, ablation flags."""
import pytest
import torch
from torch import nn

from graphseg.models import (HYPERSEG_M, HyperSeg, HyperSegConfig, create_model, hyperseg_m,
                             list_models, resnet18)
from graphseg.nn import ContextHead, MetaBlock, fuse_bn


@pytest.mark.parametrize('name,backbone,size', [('hyperseg_s', 'efficientnet_b1', (64, 96)),
                                                ('hyperseg_m', 'resnet18', (64, 64)),
                                                ('hyperseg_camvid_s', 'efficientnet_b0', (64, 64)),
                                                ('hyperseg_camvid_l', 'resnet18', (128, 96)),
                                                ('hyperseg_l', 'efficientnet_b0', (128, 128))])
def test_templates_output_logits_at_input_resolution(name, backbone, size):
    assert name in list_models('hyperseg_*', task='segmentation')
    m = create_model(name, num_classes=7, backbone=backbone)
    y = m(torch.randn(2, 3, *size))['out']
    assert y.shape == (2, 7, *size)
    # the mappers' slices tile phi: disjoint, contiguous, complete
    slices = sorted(set(m.signal_slices))
    assert slices[0][0] == 0 and slices[-1][1] <= m.context_head.out_channels
    assert all(slices[i][1] == slices[i + 1][0] for i in range(len(slices) - 1))
    for (a, b), block in zip(m.signal_slices, m.decoder):
        if block.weight_mapper is not None:
            assert (b - a) == block.weight_mapper.in_channels and (
                b - a
            ) % block.weight_mapper.groups == 0


def test_template_structure_m():
    m = hyperseg_m(num_classes=19)
    assert len(m.decoder) == 5 and not m.image_level  # the full-resolution level is omitted
    # patches 1, 2, 4 | 8, 16
    assert [b.pointwise_only for b in m.decoder] == [True, True, True, False, False]
    assert [type(b.act1) for b in m.decoder] == [nn.ReLU] * 3 + [nn.ReLU6] * 2
    assert [b.halo for b in m.decoder] == ['patch'] * 5
    assert [b.out_channels for b in m.decoder] == [64, 32, 16, 16, 19]
    # level inputs: 2 positional channels + reduced F_i (80, 28, 10, 6, 16) + previous output
    assert [b.in_channels for b in m.decoder] == [82, 94, 44, 24, 34]
    assert [b.weight_mapper.groups for b in m.decoder] == [32, 16, 8, 16, 4]
    assert (
        m.context_head.levels == 2
        and m.context_head.in_channels == 1280
        and m.context_head.half_width
    )
    # EfficientNet-PyTorch's BN
    assert m.reduce[0][1].eps == 1e-3 and m.backbone.features[0][1].eps == 1e-3
    L = create_model('hyperseg_l', num_classes=3)
    assert len(L.decoder) == 6 and L.level_strides[-1] == 1 and L.context_head.levels == 3
    assert not L.context_head.half_width and [b.halo for b in L.decoder] == ['image'] * 6
    assert L.backbone.head_channels == 1536 and L.decoder[-1].in_channels == 2 + 3 + 6


def _phi_gradient(m):
    store = {}

    def keep(module, inputs, output):
        output.retain_grad()
        store['phi'] = output

    m.context_head.register_forward_hook(keep)
    m(torch.randn(2, 3, 64, 64))['out'].logsumexp(1).mean().backward()
    return store['phi'].grad.abs().sum((0, 2, 3))


@pytest.mark.parametrize('name', ['hyperseg_s', 'hyperseg_m'])
def test_every_signal_channel_and_context_parameter_gets_gradient(name):
    """The released v1.0 code reads every block's slice from channel 0; here every channel of phi is
    used."""
    torch.manual_seed(0)
    m = create_model(name, num_classes=5, backbone='resnet18')
    per_channel = _phi_gradient(m)
    assert per_channel.numel() == 512 and (per_channel > 0).all()
    for pname, p in m.context_head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
    mappers = [b.weight_mapper for b in m.decoder if b.weight_mapper is not None]
    mappers += [m.shared_weight_mapper] if m.shared_weight_mapper is not None else []
    # (a 1x1 level's channel can be dead after its ReLU on a tiny input: most, not all)
    for mapper in mappers:
        assert (
            mapper.weight.grad.abs().sum((1, 2, 3))[: mapper.num_params] > 0
        ).float().mean() > 0.5
    torch.manual_seed(0)
    released = hyperseg_m(num_classes=5, backbone='resnet18', signal_slices='released')
    per_channel = _phi_gradient(released)
    # channels past the widest slice are never read
    widest = max(b - a for a, b in released.signal_slices)
    assert (per_channel[:widest] > 0).all() and (per_channel[widest:] == 0).all()


def _randomize_bn(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.3, 0.3, generator=g)
                m.running_var.uniform_(0.5, 2., generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.3, 0.3, generator=g)


@pytest.mark.parametrize('name,backbone,dynamic', [('hyperseg_s', 'efficientnet_b1', True),
                                                   ('hyperseg_s', 'resnet18', True),
                                                   ('hyperseg_s', 'resnet18', False),
                                                   ('hyperseg_camvid_l', 'resnet18', True)])
def test_fuse_bn_equals_unfused_model(name, backbone, dynamic):
    torch.manual_seed(0)
    m = create_model(name, num_classes=4, backbone=backbone, dynamic=dynamic).double().eval()
    _randomize_bn(m)
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    fused = fuse_bn(m)
    assert not any(isinstance(mod, nn.BatchNorm2d) for mod in fused.modules())
    with torch.no_grad():
        ref, out = m(x)['out'], fused(x)['out']
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_zeros_padding_and_released_padding_agree_inside():
    torch.manual_seed(0)
    m = hyperseg_m(num_classes=3, backbone='resnet18').eval()
    z = hyperseg_m(num_classes=3, backbone='resnet18', padding_mode='zeros').eval()
    z.load_state_dict(m.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = m(x)['out'], z(x)['out']
    # 'zeros' runs (the released block fails)
    assert torch.isfinite(b).all() and (a - b).abs().max() > 0


def test_ablation_flags():
    x = torch.randn(1, 3, 64, 128)
    seen = []
    m = hyperseg_m(num_classes=3, backbone='resnet18', grid_size=(1, 1)).eval()
    m.decoder[-1].weight_mapper.register_forward_hook(lambda mod, i, o: seen.append(o.shape))
    assert m(x)['out'].shape == (1, 3, 64, 128)
    assert seen == [(1, m.decoder[-1].num_params, 1, 1)]  # one weight set per image
    no_pe = hyperseg_m(num_classes=3, backbone='resnet18', positional_encoding=False)
    assert (
        no_pe.decoder[0].in_channels
        == hyperseg_m(num_classes=3, backbone='resnet18').decoder[0].in_channels - 2
    )
    static = hyperseg_m(num_classes=3, backbone='resnet18', dynamic=False)
    assert static.context_head is None and all(b.weight_mapper is None for b in static.decoder)
    assert all(isinstance(b.pw1, nn.Conv2d) for b in static.decoder)
    assert static(x)['out'].shape == (1, 3, 64, 128)


def test_custom_backbone_and_config_errors():
    with pytest.raises(ValueError, match=r'divisible by the backbone stride 32, got 64x80'):
        hyperseg_m(backbone='resnet18')(torch.randn(1, 3, 64, 80))
    with pytest.raises(ValueError, match=r'grid_size \(3, 1\) must divide the stride-32 map 2x2'):
        hyperseg_m(backbone='resnet18', grid_size=(3, 1))(torch.randn(1, 3, 64, 64))
    bad = HyperSegConfig(level_channels=(8,) * 4, feature_scales=(1.,) * 5, kernel_sizes=(1,) * 4,
                         weight_groups=(1,) * 4)
    with pytest.raises(ValueError,
                       match=r'config.level_channels must have one entry per backbone map \(5\)'):
        HyperSeg(bad, backbone='resnet18')
    bad = HyperSegConfig(level_channels=(8,) * 5, feature_scales=(1.,) * 5, kernel_sizes=(1,) * 4,
                         weight_groups=(1,) * 5)
    with pytest.raises(ValueError,
                       match=r'config.kernel_sizes must have one entry per decoder level \(5\), '
                             r'got 4'):
        HyperSeg(bad, backbone='resnet18')
    with pytest.raises(ValueError, match="signal_slices must be one of"):
        hyperseg_m(backbone='resnet18', signal_slices='zero')
    with pytest.raises(TypeError, match='backbone must provide forward_features'):
        HyperSeg(HYPERSEG_M, backbone=nn.Conv2d(3, 3, 1))
    m = HyperSeg(HYPERSEG_M, 2, backbone=resnet18())  # a module works as well as a name
    assert isinstance(m.context_head, ContextHead) and isinstance(m.decoder[0], MetaBlock)
