"""Bad-input rows of graphseg.models: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch
from torch import nn

from graphseg import models
from tests.bad_input_fixtures import (E, S, _another_fcn_small, fcn, files, hyperseg, qgn,
                                      qgn_decoder, typed)

ERRORS = [
    # ---------------------------------------------------------------- graphseg.models
    (
        'models.model_info: unknown name',
        lambda: models.model_info('fcn_tiny'),
        E,
        r"model must be one of \[.*\], got 'fcn_tiny'",
    ),
    (
        'models.model_entrypoint: unknown name',
        lambda: models.model_entrypoint('fcn_tiny'),
        E,
        r"model must be one of \[.*\], got 'fcn_tiny'",
    ),
    (
        'models.register_model: input_divisor 0',
        lambda: models.register_model(input_divisor=0),
        E,
        r'input_divisor must be an int >= 1, got 0',
    ),
    (
        'models.create_model: unknown name',
        lambda: models.create_model('fcn_tiny'),
        E,
        r"model must be one of \[.*'fcn_small'.*\], got 'fcn_tiny'",
    ),
    (
        'models.create_model: unknown kwarg',
        lambda: models.create_model('fcn_small', num_clases=3),
        S,
        r"fcn_small got an unexpected argument 'num_clases'; it takes \(in_channels, num_classes, "
        r"width, num_layers\)",
    ),
    (
        'models.create_model: num_classes 0',
        lambda: models.create_model('fcn_small', num_classes=0),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'models.create_model: in_channels 0',
        lambda: models.create_model('fcn_small', in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.create_model: width float',
        lambda: models.create_model('fcn_small', width=2.5),
        E,
        r'width must be an int >= 1, got 2.5',
    ),
    (
        'models.create_model: hg ratio',
        lambda: models.create_model('hg_fcn_small', ratio=2),
        E,
        r'ratio must be a number in \(0, 1\]',
    ),
    (
        'models.create_model: hg conv',
        lambda: models.create_model('hg_fcn_small', conv='gat'),
        E,
        r'conv must be one of',
    ),
    (
        'models.create_model: hyperseg num_classes',
        lambda: models.create_model('hyperseg_s', num_classes=-1),
        E,
        r'num_classes must be an int >= 1, got -1',
    ),
    (
        'models.create_model: qgn backbone',
        lambda: models.create_model('qgn_resnet34', backbone='vgg'),
        S,
        r"QGN takes encoder=, not backbone=; got backbone='vgg'",
    ),
    (
        'models.QGN: encoder unknown',
        lambda: models.QGN(3, 'efficientnet_b0'),
        E,
        r"encoder must be a ResNet with feature strides \(4, 8, 16, 32\), got 'efficientnet_b0'",
    ),
    (
        'models.QGN: block',
        lambda: models.QGN(3, 'resnet18', block='wide'),
        E,
        r"block must be one of \('basic', 'bottleneck'\), got 'wide'",
    ),
    (
        'models.DenseFCN: x channels',
        lambda: fcn()(torch.randn(1, 1, 16, 16)),
        E,
        r'x must have 3 channels',
    ),
    (
        'models.DenseFCN: x float64',
        lambda: fcn()(torch.randn(1, 3, 16, 16).double()),
        S,
        r"x must have the model's dtype torch.float32, got torch.float64",
    ),
    (
        'models.DenseFCN: x 3-D',
        lambda: fcn()(torch.randn(3, 16, 16)),
        E,
        r'x must be \(B, C, H, W\)',
    ),
    (
        'models.DenseFCN: x uint8',
        lambda: fcn()(torch.ones(1, 3, 16, 16, dtype=torch.uint8)),
        S,
        r'x must have a floating-point dtype',
    ),
    (
        'models.DenseFCN: num_layers 0',
        lambda: models.DenseFCN(nn.Identity(), 4, 3, num_layers=0),
        E,
        r'num_layers must be >= 1',
    ),
    (
        'models.register_model: task',
        lambda: models.register_model(task='detection'),
        E,
        r'task must be one of',
    ),
    (
        'models.register_model: duplicate',
        lambda: models.register_model(_another_fcn_small),
        E,
        r"model name 'fcn_small' is already registered",
    ),
    (
        'models.list_models: task',
        lambda: models.list_models(task='detection'),
        E,
        r'task must be one of',
    ),
    (
        'models.ResNet: layers',
        lambda: models.ResNet(models.BasicBlock, [2, 2]),
        E,
        r'layers must have 4 entries',
    ),
    (
        'models.resnet18: x channels',
        lambda: models.resnet18()(torch.randn(1, 1, 32, 32)),
        E,
        r'x must have 3 channels',
    ),
    (
        'models.BasicBlock: stride 0',
        lambda: models.BasicBlock(4, 4, stride=0),
        E,
        r'stride must be an int >= 1',
    ),
    (
        'models.Bottleneck: planes 0',
        lambda: models.Bottleneck(4, 0),
        E,
        r'planes must be an int >= 1',
    ),
    (
        'models.load_pretrained: missing file',
        lambda: models.load_pretrained(models.resnet18(), '/nonexistent/r18.pth'),
        FileNotFoundError,
        r"No such file or directory: '/nonexistent/r18.pth'",
    ),
    (
        'models.load_pretrained: garbage file',
        lambda: models.load_pretrained(models.resnet18(), f'{files()}/garbage.pt'),
        E,
        r'path .*garbage.pt is not a readable torch checkpoint',
    ),
    (
        'models.load_pretrained: wrong keys',
        lambda: models.load_pretrained(models.resnet18(), f'{files()}/weights.pt'),
        RuntimeError,
        r'Missing key\(s\) in state_dict',
    ),
    (
        'models.EfficientNet: width_mult 0',
        lambda: models.EfficientNet(0.0, 1.0),
        E,
        r'width_mult must be a finite number > 0, got 0.0',
    ),
    (
        'models.efficientnet_b0: x float64',
        lambda: models.efficientnet_b0().eval()(torch.randn(1, 3, 32, 32).double()),
        S,
        r"x must have the model's dtype torch.float32",
    ),
    (
        'models.HyperSeg: input not divisible',
        lambda: hyperseg()(torch.randn(1, 3, 60, 60)),
        E,
        r'x height and width must be divisible by the backbone stride 32, got 60x60',
    ),
    (
        'models.HyperSeg: config type',
        lambda: models.HyperSeg({'level_channels': (8,)}),
        S,
        r'config must be a HyperSegConfig \(e.g. HYPERSEG_S\), got dict',
    ),
    (
        'models.hyperseg_s: backbone unknown',
        lambda: models.hyperseg_s(backbone='vgg16'),
        E,
        r"backbone must be one of",
    ),
    (
        'models.qgn_resnet34: num_classes 0',
        lambda: models.qgn_resnet34(num_classes=0, encoder='resnet18'),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'models.qgn_resnet50: backbone (the name before the released ones)',
        lambda: models.qgn_resnet50(backbone='resnet18'),
        S,
        r"QGN takes encoder=, not backbone=.*qgn_resnet34\(encoder='resnet18'\)",
    ),
    (
        'models.HyperSegConfig: lengths',
        lambda: models.HyperSeg(models.HyperSegConfig((8,) * 4, (1.0,) * 5, (1,) * 4, (1,) * 4)),
        E,
        r'config.level_channels must have one entry per backbone map \(5\), or one more for the '
        r'image level, got 4',
    ),
    (
        'models.HyperSegConfig: expand_ratio 0',
        lambda: models.HyperSegConfig((8,), (1.0,), (1,), (1,), expand_ratio=0),
        E,
        r'expand_ratio must be a finite number > 0, got 0',
    ),
    (
        'models.HyperSegConfig: context_levels 0',
        lambda: models.HyperSegConfig((8,), (1.0,), (1,), (1,), context_levels=0),
        E,
        r'context_levels must be an int >= 1, got 0',
    ),
    (
        'models.hyperseg_camvid_s: num_classes 0',
        lambda: models.hyperseg_camvid_s(num_classes=0),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'models.hyperseg_camvid_l: backbone unknown',
        lambda: models.hyperseg_camvid_l(backbone='vgg'),
        E,
        r"backbone must be one of \[.*'efficientnet_b1'.*\] or an nn.Module, got 'vgg'",
    ),
    (
        'models.QGN: x not divisible',
        lambda: qgn()(torch.randn(1, 3, 60, 60)),
        E,
        r'image height and width must be divisible by 32, got \(60, 60\)',
    ),
    (
        'models.QGN.compute_loss: labels float',
        lambda: qgn().compute_loss(torch.randn(1, 3, 64, 64), torch.zeros(1, 64, 64)),
        S,
        r'labels must have dtype torch.long',
    ),
    (
        'models.load_official: not a released family',
        lambda: models.load_official(nn.Linear(2, 2), {}),
        S,
        r'model must be a HyperSeg, QGN or QGNDecoder model, got Linear',
    ),
    (
        'models.load_official: missing file',
        lambda: models.load_official(qgn_decoder(), '/nonexistent/qgn.pth'),
        FileNotFoundError,
        r"No such file or directory: '/nonexistent/qgn.pth'",
    ),
    (
        'models.load_official: garbage file',
        lambda: models.load_official(qgn_decoder(), f'{files()}/garbage.pt'),
        E,
        r"checkpoint '.*garbage.pt' is not a readable torch checkpoint \(UnpicklingError",
    ),
    (
        'models.load_official: not tensors',
        lambda: models.load_official(qgn_decoder(), {'a': 1}),
        S,
        r"checkpoint must map names to tensors, got int at 'a'",
    ),
    (
        'models.load_official: foreign keys',
        lambda: models.load_official(qgn_decoder(), {'a': torch.zeros(1)}),
        KeyError,
        r"checkpoint keys with no place in QGNDecoder: \['a'\]",
    ),
    (
        'models.load_official: checkpoint None',
        lambda: models.load_official(qgn_decoder(), None),
        E,
        r'checkpoint may be None only to load a QGN encoder alone',
    ),
    (
        'models.efficientnet_b3: num_classes -1',
        lambda: models.efficientnet_b3(num_classes=-1),
        E,
        r'num_classes must be an int >= 0, got -1',
    ),
    (
        'models.resnet50_deepstem: in_channels 0',
        lambda: models.resnet50_deepstem(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    # dilated / DCN ResNets, HG-ResNet, ResUNet / HG-ResUNet, RGNet and the non-local baseline
    # (Issue 10)
    (
        'models.resnet18_dilated: num_classes 0',
        lambda: models.resnet18_dilated(num_classes=0),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'models.resnet18_dilated: x smaller than the output stride',
        lambda: models.resnet18_dilated(num_classes=3).eval()(torch.randn(1, 3, 4, 4)),
        E,
        r'x must be at least 8x8 pixels \(the output stride\), got \(4, 4\)',
    ),
    (
        'models.resnet34_dilated: in_channels 0',
        lambda: models.resnet34_dilated(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.resnet50_dilated: unknown argument',
        lambda: models.resnet50_dilated(num_clases=3),
        S,
        r"unexpected keyword argument 'num_clases'",
    ),
    (
        'models.resnet101_dilated: in_channels 0',
        lambda: models.resnet101_dilated(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.resnet50_dcn: in_channels -1',
        lambda: models.resnet50_dcn(in_channels=-1),
        E,
        r'in_channels must be an int >= 1, got -1',
    ),
    (
        'models.resnet101_dcn: in_channels 0',
        lambda: models.resnet101_dcn(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.DilatedResNet: not a ResNet',
        lambda: models.DilatedResNet(nn.Identity(), 3),
        S,
        r'backbone must be a graphseg ResNet, got Identity',
    ),
    (
        'models.DilatedResNet: output stride 32',
        lambda: models.DilatedResNet(models.resnet18(), 3),
        E,
        r'backbone must have output stride 8 .*got \[4, 8, 16, 32\]',
    ),
    (
        'models.FCNHead: in_channels 0',
        lambda: models.FCNHead(0, 4, 3),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.FCNHead: num_classes 0',
        lambda: models.FCNHead(4, 4, 0),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'models.hg_resnet18: ratio 0',
        lambda: models.hg_resnet18(ratio=0),
        E,
        r'ratio must be a number in \(0, 1\], got 0',
    ),
    (
        'models.hg_resnet34: in_channels 0',
        lambda: models.hg_resnet34(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.hg_resnet50: in_channels 0',
        lambda: models.hg_resnet50(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.hg_resnet101: in_channels 0',
        lambda: models.hg_resnet101(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.hg_resnet50_dcn: in_channels 0',
        lambda: models.hg_resnet50_dcn(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.hg_resnet101_dcn: in_channels 0',
        lambda: models.hg_resnet101_dcn(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.HGResNet: not a ResNet',
        lambda: models.HGResNet(nn.Identity(), 3),
        S,
        r'backbone must be a graphseg ResNet, got Identity',
    ),
    (
        'models.HGResNet.from_resnet: not a model',
        lambda: models.HGResNet.from_resnet('resnet18'),
        S,
        r'dense must be a DilatedResNet or a ResNet, got str',
    ),
    (
        'models.HGStage: no blocks',
        lambda: models.HGStage([]),
        E,
        r'blocks must hold at least one residual block',
    ),
    (
        'models.HGStage: dense blocks',
        lambda: models.HGStage([models.BasicBlock(4, 4)]),
        S,
        r'blocks\[0\] must be a GraphBasicBlock or GraphBottleneck \(HGStage.from_layer converts a '
        r'dense ResNet stage\), got BasicBlock',
    ),
    (
        'models.HGStage: x channels',
        lambda: models.HGStage([models.GraphBasicBlock(4, 4)], ratio=0.25)(torch.randn(1, 3, 4, 4)),
        E,
        r'x must have in_channels = 4 channels',
    ),
    (
        'models.GraphBasicBlock: inplanes 0',
        lambda: models.GraphBasicBlock(0, 4),
        E,
        r'inplanes must be an int >= 1, got 0',
    ),
    (
        'models.GraphBasicBlock: node features',
        lambda: models.GraphBasicBlock(4, 4)(torch.randn(10, 3), *typed()[1:3], typed()[3]),
        E,
        r'x must have in_channels = 4 features, got shape \(10, 3\)',
    ),
    (
        'models.GraphBottleneck: planes 0',
        lambda: models.GraphBottleneck(4, 0),
        E,
        r'planes must be an int >= 1, got 0',
    ),
    (
        'models.resunet18: decoder_channels',
        lambda: models.resunet18(decoder_channels=(8, 8)),
        E,
        r'decoder_channels must have 4 entries \(strides 16, 8, 4, 2\), got \(8, 8\)',
    ),
    (
        'models.resunet50: in_channels 0',
        lambda: models.resunet50(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.ResUNet: dilated backbone',
        lambda: models.ResUNet(models.resnet18(replace_stride_with_dilation=(False, True, True))),
        E,
        r'backbone must have output stride 32 \(no dilation\): feature strides \[4, 8, 16, 32\], '
        r'got \[4, 8, 8, 8\]',
    ),
    (
        'models.ResUNet: x smaller than the output stride',
        lambda: models.resunet18().eval()(torch.randn(1, 3, 20, 20)),
        E,
        r'x must be at least 32x32 pixels \(the output stride\), got \(20, 20\)',
    ),
    (
        'models.HGResUNet: attention',
        lambda: models.HGResUNet(models.resnet18(), attention='saliency'),
        E,
        r"attention must be one of \('uncertainty', 'object'\), got 'saliency'",
    ),
    (
        'models.hg_resunet18: ratio 0',
        lambda: models.hg_resunet18(ratio=0),
        E,
        r'ratio must be a number in \(0, 1\]',
    ),
    (
        'models.hg_resunet50: in_channels 0',
        lambda: models.hg_resunet50(in_channels=0),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'models.hg_resunet18_attn: focus_class out of range',
        lambda: models.hg_resunet18_attn(attention='object', focus_class=5),
        E,
        r'focus_class must be an int in \[0, 1\], got 5',
    ),
    (
        'models.hg_resunet18_attn: alpha negative',
        lambda: models.hg_resunet18_attn(alpha=-1),
        E,
        r'alpha must be a finite number >= 0, got -1',
    ),
    (
        'models.rgnet_resnet18: num_samples 0',
        lambda: models.rgnet_resnet18(num_samples=0),
        E,
        r'num_samples must be an int >= 1, got 0',
    ),
    (
        'models.rgnet_resnet50: inter_channels 0',
        lambda: models.rgnet_resnet50(inter_channels=0),
        E,
        r'inter_channels must be an int >= 1, got 0',
    ),
    (
        'models.rgnet_resnet101: num_samples 0',
        lambda: models.rgnet_resnet101(num_samples=0),
        E,
        r'num_samples must be an int >= 1, got 0',
    ),
    (
        'models.nonlocal_resnet18: inter_channels 100',
        lambda: models.nonlocal_resnet18(inter_channels=100),
        E,
        r'inter_channels must divide the 512 head channels, got 100',
    ),
    (
        'models.nonlocal_resnet50: inter_channels 0',
        lambda: models.nonlocal_resnet50(inter_channels=0),
        E,
        r'inter_channels must be an int >= 1, got 0',
    ),
    (
        'models.nonlocal_resnet101: inter_channels 0',
        lambda: models.nonlocal_resnet101(inter_channels=0),
        E,
        r'inter_channels must be an int >= 1, got 0',
    ),
    (
        'models.model_logits: list',
        lambda: models.model_logits([torch.zeros(1)]),
        S,
        r"a segmentation model must return \{'out': logits, ...\} or a logits tensor, got list",
    ),
    (
        'models.model_logits: dict without out',
        lambda: models.model_logits({'logits': torch.zeros(1)}),
        S,
        r"a segmentation model must return a dict with key 'out'",
    ),
]


ACCEPTED = [
    ('models.EfficientNet: num_classes 0 is no classifier', lambda: models.EfficientNet(
        0.25, 0.25, num_classes=0).eval()(torch.randn(1, 3, 32, 32)), lambda out: out.dim() == 2),
    ('models.fcn_small: float64 end to end',
     lambda: models.create_model('fcn_small', num_classes=3).double().eval()(
        torch.randn(1, 3, 16, 16, dtype=torch.float64)),
     lambda out: out['out'].dtype == torch.float64),
    ('models.hg_fcn_small: float64 end to end', lambda: models.create_model(
        'hg_fcn_small',
        num_classes=3).double().eval()(torch.randn(1, 3, 16, 16, dtype=torch.float64)),
     lambda out: out['out'].dtype == torch.float64),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'models.ModelInfo': 'a frozen dataclass filled by register_model',
    'models.ConvBNReLU': 'an nn.Sequential of torch layers (torch validates)',
    'models.ResNetPyramid': 'wraps a ResNet built by the rows above',
    'models.resnet34': 'same factory as resnet18',
    'models.resnet50': 'same factory as resnet18',
    'models.resnet101': 'same factory as resnet18',
    'models.efficientnet_b1': 'same factory as efficientnet_b0',
    'models.fcn_resnet18': 'create_model rows',
    'models.hg_fcn_resnet18': 'create_model rows',
    'models.hyperseg_m': 'same factory as hyperseg_s',
    'models.hyperseg_l': 'same factory as hyperseg_s',
}
