"""HG-ResNet: identity groups == the dense stage 4, torchvision keys, from_resnet, the graph
layers, errors; per-image sampling in eval, global in training."""
import copy

import pytest
import torch
from torch import nn

from graphseg.models import (HGResNet, HGStage, create_model, hg_resnet18, load_pretrained,
                             resnet18, resnet18_dilated, resnet50)
from graphseg.models.hgresnet import DirectionalConv3x3, NodeLinear, graph_block
from graphseg.nn import DeformConv2dPack, HGConv


def undilated(layer: nn.Sequential) -> nn.Sequential:
    """A copy of a dense stage run without stride or dilation (3x3 convs with padding 1)."""
    layer = copy.deepcopy(layer)
    for m in layer.modules():
        if isinstance(m, nn.Conv2d):
            m.stride = (1, 1)
            if m.kernel_size == (3, 3):
                m.dilation, m.padding = (1, 1), (1, 1)
    return layer


def randomise_norms(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, std=0.2)
            m.running_mean.normal_(std=0.1)
            m.running_var.uniform_(0.5, 1.5)


# ResNet-50 in float64: after 3 bottlenecks of 2048 channels float32 summation order alone differs
# by ~1e-5
@pytest.mark.parametrize('factory,shape,dtype', [(resnet18, (2, 256, 3, 5), torch.float32),
                                                 (resnet50, (2, 1024, 2, 3), torch.float64)])
def test_identity_groups_equal_the_dense_stage4(factory, shape, dtype, device):
    """Sec. 3 / 4.4: every pixel its own group -> the HG stage 4 is the dense stage 4 without
    stride/dilation."""
    dense = factory(replace_stride_with_dilation=(False, True, True)).to(device, dtype)
    randomise_norms(dense.layer4)
    hg = HGStage.from_layer(dense.layer4).to(device)
    ref = undilated(dense.layer4)
    B, C, H, W = shape
    identity = torch.arange(H * W, device=device).view(1, H, W).expand(B, H, W)
    x = torch.randn(*shape, device=device, dtype=dtype)
    for train in (True, False):
        hg.train(train)
        ref.train(train)
        xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        out, want = hg(xa, assignment=identity), ref(xb)
        torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
        w = torch.linspace(-1, 1, out.numel(), device=device, dtype=dtype).view_as(out)
        (out * w).sum().backward()
        (want * w).sum().backward()
        torch.testing.assert_close(xa.grad, xb.grad, atol=1e-5, rtol=1e-5)
        hg_grads = {k: p.grad for k, p in hg.named_parameters()}
        # the 9 direction matrices' gradient is the kernel's, re-laid out
        for k, p in ref.named_parameters():
            g = hg_grads[k]
            g = g.permute(2, 1, 0).reshape(p.shape) if g.dim() == 3 else g.view(p.shape)
            torch.testing.assert_close(g, p.grad, atol=1e-4, rtol=1e-4)
        hg.zero_grad()
        ref.zero_grad()
    # running stats moved alike
    for (k, a), b in zip(hg.state_dict().items(), ref.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5, msg=k)


def test_stage4_state_dict_is_the_dense_one():
    dense = resnet18(replace_stride_with_dilation=(False, True, True))
    model = hg_resnet18(num_classes=5)
    want = {k: tuple(v.shape) for k, v in dense.state_dict().items() if not k.startswith('fc.')}
    got = {k: tuple(v.shape) for k, v in model.backbone.state_dict().items()}
    assert got == want  # torchvision's keys and shapes, stage 4 included
    assert model.backbone.state_dict()['layer4.0.conv1.weight'].shape == (512, 256, 3, 3)
    assert sum(p.numel() for p in model.backbone.layer4.parameters()) == \
        sum(p.numel() for p in dense.layer4.parameters())


def test_torchvision_checkpoint_loads_strictly(tmp_path):
    """A checkpoint with torchvision's keys (fc included) loads into the backbone of dense and HG
    models."""
    src = resnet18()
    randomise_norms(src)
    torch.save(src.state_dict(), tmp_path / 'resnet18.pth')
    for model in (resnet18_dilated(num_classes=3), hg_resnet18(num_classes=3)):
        load_pretrained(model.backbone, tmp_path / 'resnet18.pth')
        got = model.backbone.state_dict()
        for k, v in src.state_dict().items():
            if not k.startswith('fc.'):
                torch.testing.assert_close(got[k], v, msg=k)
    dcn = create_model('hg_resnet50_dcn', num_classes=3)
    assert isinstance(dcn.backbone.layer3[0].conv2, DeformConv2dPack)
    keys = set(dcn.backbone.state_dict())
    assert {k for k in resnet50().state_dict() if not k.startswith('fc.')} <= keys
    assert keys - set(resnet50().state_dict()) == {
        f'layer3.{i}.conv2.conv_offset.{p}' for i in range(6) for p in ('weight', 'bias')
    }


def test_from_resnet_converts_a_dense_model(device):
    dense = resnet18_dilated(num_classes=4).to(device)
    randomise_norms(dense)
    hg = HGResNet.from_resnet(dense, ratio=1 / 4)
    assert isinstance(hg.backbone.layer4, HGStage) and hg.stage4.ratio == 0.25
    for name in ('head', 'classifier', 'aux_head'):
        for (k, a), b in zip(getattr(hg, name).state_dict().items(),
                             getattr(dense, name).state_dict().values()):
            torch.testing.assert_close(a, b, msg=k)
    for (k, a), b in zip(hg.backbone.state_dict().items(), dense.backbone.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    assert isinstance(dense.backbone.layer4, nn.Sequential)  # the dense model is left alone
    x = torch.randn(2, 3, 64, 64, device=device)
    # identity groups on the stage-3 map: stage 4 equals the dense one run without dilation
    hg.eval()
    dense.eval()
    x3 = hg.encode(x)[0]
    identity = torch.arange(64, device=device).view(1, 8, 8).expand(2, 8, 8)
    torch.testing.assert_close(hg.stage4(x3, assignment=identity),
                               undilated(dense.backbone.layer4)(x3), atol=1e-4, rtol=1e-4)
    bare = HGResNet.from_resnet(resnet18(replace_stride_with_dilation=(False, True, True)),
                                num_classes=7)
    assert bare.classifier[1].out_channels == 7
    with pytest.raises(TypeError, match='dense is already an HGResNet'):
        HGResNet.from_resnet(hg)
    with pytest.raises(ValueError, match=r'backbone must have output stride 8'):
        HGResNet.from_resnet(resnet18(), num_classes=3)


def test_graph_layers_keep_conv_layouts():
    conv = nn.Conv2d(4, 6, 3, padding=1, bias=False)
    g = DirectionalConv3x3.from_conv2d(conv)
    assert g.weight.shape == (9, 4, 6) and g.state_dict()['weight'].shape == (6, 4, 3, 3)
    torch.testing.assert_close(g.state_dict()['weight'], conv.weight.detach())
    h = DirectionalConv3x3(4, 6, bias=False)
    h.load_state_dict(conv.state_dict())  # the kernel layout loads
    torch.testing.assert_close(h.weight, g.weight)
    h.load_state_dict({'weight': g.weight.detach() * 2})  # and the direction layout too
    torch.testing.assert_close(h.weight, 2 * g.weight)
    lin = NodeLinear(4, 3)
    assert lin.state_dict()['weight'].shape == (3, 4, 1, 1)
    z = torch.randn(5, 4)
    torch.testing.assert_close(lin(z),
                               nn.functional.conv2d(z[:, :, None, None], lin.weight).flatten(1))
    with pytest.raises(TypeError, match='block must be a ResNet BasicBlock or Bottleneck'):
        graph_block(nn.Conv2d(2, 2, 1))
    with pytest.raises(ValueError, match='num_directions must be 9'):
        DirectionalConv3x3(2, 2, num_directions=5)


def test_stage_shares_a_graph_and_counts_its_macs():
    stage = HGStage.from_layer(resnet18(replace_stride_with_dilation=(False, True, True)).layer4,
                               ratio=1 / 8).eval()
    x = torch.randn(2, 256, 8, 12)
    out, graph = stage(x, return_graph=True)
    assert out.shape == (2, 512, 8, 12) and graph.S.num_groups == 12
    torch.testing.assert_close(stage(x, graph=graph), out)
    macs = stage.count_macs(x)
    assert len(macs) == 2 and set(macs[0]) == {'clustering', 'adjacency', 'pooling', 'blocks',
                                               'unpooling'}
    edges = stage.group_edges_per_image(graph)
    # BasicBlocks: 4 DirectionalConvs (N C 9 C' + E C' each) and one node-wise downsample (N C C')
    M = 12
    want = [
        M * 256 * 9 * 512 + e * 512 + 3 * (M * 512 * 9 * 512 + e * 512) + M * 256 * 512
        for e in edges
    ]
    assert [m['blocks'] for m in macs] == want
    assert stage.count_macs(x, graph=graph)[0]['clustering'] == 0
    with pytest.raises(ValueError, match=r'graph must cover \(B, H, W\) = \(1, 8, 12\)'):
        stage(x[:1], graph=graph)
    with pytest.raises(ValueError, match='cannot be combined with attention'):
        stage(x, torch.rand(2, 8, 12), graph=graph)
    with pytest.raises(ValueError, match='x must have in_channels = 256 channels'):
        stage(torch.randn(2, 3, 8, 12))
    with pytest.raises(ValueError, match=r'ratio must be a number in \(0, 1\], got 0'):
        hg_resnet18(ratio=0)
    with pytest.raises(ValueError, match=r'ratio must be a number in \(0, 1\], got 1.5'):
        create_model('hg_resunet18', ratio=1.5)


def test_hg_models_sample_per_image_in_eval_and_globally_in_training():
    model = create_model('hg_resnet18', num_classes=3, ratio=1 / 4)
    stage = model.stage4
    x = torch.randn(2, 256, 8, 8)
    stage.eval()
    a = stage.cluster(x).centres
    torch.testing.assert_close(stage.cluster(x[1:]).centres, a[1:])  # per image, seeded
    stage.eval_seed = 1
    assert not torch.equal(stage.cluster(x).centres, a)
    stage.train()
    torch.manual_seed(0)
    c0 = stage.cluster(x).centres
    torch.manual_seed(0)
    torch.testing.assert_close(stage.cluster(x).centres, c0)  # the global stream in training
    assert isinstance(stage, HGStage) and isinstance(create_model('hg_fcn_small').head, HGConv)
