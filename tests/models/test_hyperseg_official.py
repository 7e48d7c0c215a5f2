"""HyperSeg against the authors' released code (YuvalNirkin/hyperseg @ aedc580): parameter counts of
the five released configurations and released-layout checkpoints that reproduce the released
outputs.

The fixtures in ``tests/data/hyperseg_official_*.pt`` were written once by the released code (run
outside this repository): ``HyperGen`` of ``hyperseg_v1_0`` (the Cityscapes-M / CamVid code),
``hyperseg_v1_0_unify`` (Cityscapes-S) and ``hyperseg_v0_1`` (VOC-L), each with a reduced-width
EfficientNet (the released lukemelas module with ``width_coefficient`` 0.05 / 0.0375 and
``depth_coefficient`` 0.1 overrides, its static image size 240 / 300 kept, dropout and drop-connect
0) and reduced decoder widths, random weights (seed 0), randomised BatchNorm statistics (seed 1) and
one fixed input (float16-exact). Each holds the released ``state_dict`` (keys and layouts as
released), the input, the eval-mode output and, for v1.0, the train-mode output. The full-size
models were compared the same way outside the repository (max |diff| <= 3.1e-6 on outputs of
magnitude ~3, all five configurations).
"""
import os
from functools import partial

import pytest
import torch
from torch import nn

from graphseg.models import (EfficientNet, HyperSeg, HyperSegConfig, create_model, hyperseg_m,
                             hyperseg_s, load_official)
from tests.helpers import DATA

# measured with the released code, pretrained=False, the num_classes of each dataset
RELEASED_PARAMETERS = {
    'hyperseg_s': 10_041_398,         # Cityscapes-S, EfficientNet-B1, 19 classes
    'hyperseg_m': 10_311_214,         # Cityscapes-M
    'hyperseg_l': 39_680_458,         # Pascal VOC-L, EfficientNet-B3, 21 classes
    'hyperseg_camvid_s': 9_949_064,   # CamVid-S, 12 classes
    'hyperseg_camvid_l': 9_969_104,   # CamVid-L
}


@pytest.mark.parametrize('name', sorted(RELEASED_PARAMETERS))
def test_released_parameter_counts(name):
    model = create_model(name)
    assert sum(p.numel() for p in model.parameters()) == RELEASED_PARAMETERS[name]
    assert not hasattr(model.backbone,
                       'classifier') or not list(model.backbone.classifier.parameters())


def test_released_signal_split_and_slices():
    m = hyperseg_m(signal_slices='released')
    shares = [b - a for a, b in m.signal_slices]
    assert shares == [416, 224, 128, 192, 320]  # the released split of 1,280 channels
    # released v1.0: every slice starts at channel 0
    assert [a for a, _ in m.signal_slices] == [0] * 5
    cum = hyperseg_m()
    assert [b - a for a, b in cum.signal_slices] == shares and cum.signal_slices[-1][1] == 1280
    s = hyperseg_s()  # the unify code: cumulative slices, levels 3 and 4 share one mapper
    assert s.signal_slices == [(0, 576), (576, 704), (704, 768), (768, 1280), (768, 1280)]
    assert s.shared_weight_mapper.weight.shape == (3680, 32, 1, 1)
    assert hyperseg_s(signal_slices='released').signal_slices == s.signal_slices


def _tiny_backbone(width: float, image_size: int) -> EfficientNet:
    net = EfficientNet(width, 0.1, image_size=image_size, tf_padding=True, num_classes=0,
                       dropout=0., stochastic_depth_prob=0.,
                       norm_layer=partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01))
    # The released EfficientNet-PyTorch never adds the residual in the first block of a stage (its
    # stride is stored as a list there, so `stride == 1` is False). At the released widths those
    # blocks change the width and have no residual anyway; the fixtures' widths give some of them in
    # == out.
    for stage in net.features[1:-1]:
        stage[0].use_res_connect = False
    return net


FIXTURES = {
    'v1_0': lambda: HyperSeg(
        HyperSegConfig(
            (8, 8, 4, 4, 4),
            (0.25, 0.25, 0.25, 0.25, 1.0),
            (1, 1, 1, 3, 3),
            (8, 4, 4, 4, 2),
            released_slices='from_zero',
            context_dropout=0.0,
        ),
        2,
        _tiny_backbone(0.05, 240),
        signal_slices='released',
    ),
    'v1_0_unify': lambda: HyperSeg(
        HyperSegConfig(
            (8, 8, 4, 4, 4),
            (0.4, 0.25, 0.2, 0.166, 1.0),
            (1, 1, 1, 3, 3),
            (8, 4, 4, 4, 2),
            shared_mapper_from=3,
            context_dropout=0.0,
        ),
        2,
        _tiny_backbone(0.05, 240),
    ),
    'v0_1': lambda: HyperSeg(
        HyperSegConfig(
            (None,) * 6,
            (0.25,) * 5,
            (1, 1, 3, 3, 3, 3),
            (8,) * 6,
            context_levels=3,
            context_half_width=False,
            halo='image',
            signal_rule='legacy',
            context_dropout=0.0,
        ),
        2,
        _tiny_backbone(0.0375, 300),
    ),
}


@pytest.mark.parametrize('tag', sorted(FIXTURES))
def test_released_checkpoint_reproduces_released_output(tag, device):
    data = torch.load(os.path.join(DATA, f'hyperseg_official_{tag}.pt'), weights_only=True)
    model = FIXTURES[tag]().eval()
    load_official(model, data['state_dict'])
    model.to(device)
    x = data['input'].float().to(device)
    with torch.no_grad():
        out = model(x)['out'].cpu()
    torch.testing.assert_close(out, data['output_eval'], atol=1e-5, rtol=0)
    # batch statistics, incl. BN1 over the halo'd patches of the v1.0 block
    if 'output_train' in data:
        with torch.no_grad():
            out = model.train()(x)['out'].cpu()
        # the released code's own float32 output differs from its float64 output by 7.6e-5 here
        torch.testing.assert_close(out, data['output_train'], atol=3e-4, rtol=0)


def test_cumulative_slices_change_the_released_m_model():
    data = torch.load(os.path.join(DATA, 'hyperseg_official_v1_0.pt'), weights_only=True)
    model = FIXTURES['v1_0']()
    cumulative = HyperSeg(model.config, 2, _tiny_backbone(0.05, 240))
    for m in (model, cumulative):
        load_official(m.eval(), data['state_dict'])  # the same weights fit both
    # as the released checkpoints record it
    arch = 'hyperseg.models.hyperseg_v1_0.hyperseg_efficientnet(...)'
    with pytest.warns(UserWarning, match="build the model with signal_slices='released'"):
        load_official(cumulative, {'state_dict': data['state_dict'], 'arch': arch})
    with torch.no_grad():
        a, b = model(data['input'].float())['out'], cumulative(data['input'].float())['out']
    assert (a - b).abs().max() > 1e-3


def test_load_official_accepts_wrapped_checkpoints_and_rejects_mismatches():
    data = torch.load(os.path.join(DATA, 'hyperseg_official_v1_0_unify.pt'), weights_only=True)
    wrapped = {'state_dict': {'module.' + k: v for k, v in data['state_dict'].items()}, 'arch': 'x'}
    model = FIXTURES['v1_0_unify']().eval()
    load_official(model, wrapped)
    with torch.no_grad():
        torch.testing.assert_close(model(data['input'].float())['out'], data['output_eval'],
                                   atol=1e-5, rtol=0)
    with pytest.raises(KeyError,
                       match="checkpoint keys with no place in HyperSeg: \\['bogus.weight'\\]"):
        load_official(FIXTURES['v1_0_unify'](),
                      {**data['state_dict'], 'bogus.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='checkpoint tensors do not fit the model'):
        load_official(HyperSeg(FIXTURES['v1_0_unify']().config, 3, _tiny_backbone(0.05, 240)),
                      data['state_dict'])
    with pytest.raises(KeyError, match='model entries the checkpoint does not provide'):
        load_official(FIXTURES['v1_0_unify'](), {k: v for k, v in data['state_dict'].items()
                                                 if 'weight_blocks.3' not in k})
    with pytest.raises(TypeError, match='model must be a HyperSeg, QGN or QGNDecoder model'):
        load_official(nn.Linear(2, 2), data['state_dict'])
