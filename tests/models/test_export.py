"""Export: ONNX (onnxruntime parity), torch.export programs and TorchScript traces of the models
that export, the grid_sample form of RepGraph, and the reasons of the models that do not."""
import importlib.util
import os

import pytest
import torch
from torch import nn

from graphseg.models import create_model
from graphseg.models.export import (RepGraphGridSample, export_form, export_model, export_support,
                                    load_exported)
from graphseg.nn import RepGraph
from tests.models.test_inference import randomize, relative_error
from tests.models.tiny_models import NUM_CLASSES, SIZE, TINY_MODELS, hyperseg, qgn_dense


def dcn_fcn() -> nn.Module:
    """The small FCN whose head is a deformable 3x3 Conv-BN-ReLU (the ``*_dcn`` models' layer)."""
    from graphseg.models.baselines import DenseFCN, _small_encoder
    from graphseg.nn import DeformConv2dPack
    head = nn.Sequential(DeformConv2dPack(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                         nn.ReLU())
    return DenseFCN(_small_encoder(3, 16), 16, NUM_CLASSES, 16, head=head)


def hyperseg_image_halo() -> nn.Module:
    """The tiny HyperSeg with HyperSeg-L's meta blocks (``halo='image'``: the patch-wise
    depthwise taps over the whole map)."""
    import dataclasses
    model = hyperseg()
    config = dataclasses.replace(model.config, halo='image')
    return type(model)(config, NUM_CLASSES, model.backbone)


def hrnet_small() -> nn.Module:
    return create_model('hrnetv2_w18_small_v1', num_classes=NUM_CLASSES)


def orientation_one_stack() -> nn.Module:
    """The Orientation network (road + orientation bins) with one stack of one block."""
    return create_model('orientation', num_stacks=1, hg_num_blocks=1)

#: the ONNX cases need onnxruntime and onnxscript (the test extra installs both)
ONNX = all(importlib.util.find_spec(m) for m in ('onnxruntime', 'onnxscript'))

#: family -> (builder, input divisor, formats)
EXPORTS = {
    'fcn': (TINY_MODELS['fcn'], 1, ('onnx', 'exported-program', 'torchscript')),
    'repgraph': (TINY_MODELS['repgraph'], 1, ('onnx', 'exported-program')),
    'hyperseg': (TINY_MODELS['hyperseg'], 32, ('onnx', 'exported-program')),
    'qgn_dense': (qgn_dense, 32, ('onnx', 'exported-program', 'torchscript')),
    'dcn': (dcn_fcn, 1, ('onnx', 'exported-program')),
    'hyperseg_image_halo': (hyperseg_image_halo, 32, ('onnx',)),
    'hrnetv2': (hrnet_small, 1, ('onnx',)),
    'orientation': (orientation_one_stack, 2, ('onnx',)),
}
CASES = [(family, fmt) for family, (_, _, formats) in EXPORTS.items() for fmt in formats]


@pytest.mark.parametrize('variant,groups', [('bottleneck', 1), ('simple', 1), ('bottleneck', 2),
                                            ('simple', 4)])
def test_repgraph_grid_sample_equals_the_dense_path(variant, groups):
    """grid_sample(align_corners=True, zeros) samples the bilinear kernel of Eq. 8 with the dense
    path's zero padding: equal outputs, also for samples far outside the map."""
    torch.manual_seed(0)
    block = RepGraph(16, 8, 9, variant=variant, groups=groups).eval()
    with torch.no_grad():
        block.layer.offset.weight.normal_(0, 0.5)
        block.layer.offset.bias.normal_(0, 2.)  # many samples outside the 11 x 13 map
        block.norm.weight.fill_(1.)
    x = torch.randn(2, 16, 11, 13)
    with torch.no_grad():
        ref = block(x)
        out = RepGraphGridSample(block)(x)
    assert (ref - x).abs().max() > 0.1  # the block is not the identity
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_export_support_names_the_reasons():
    assert 'HG-Conv' in export_support(create_model('hg_fcn_small', num_classes=3))
    assert 'sparse decoder' in export_support(TINY_MODELS['qgn']())
    assert export_support(TINY_MODELS['fcn']()) is None
    assert export_support(qgn_dense()) is None
    with pytest.raises(ValueError, match="does not export: HG-Conv's group graph"):
        export_form(create_model('hg_resnet18', num_classes=3))


def test_export_form_keeps_the_model():
    model = randomize(create_model('rgnet_resnet18', num_classes=3)).eval()
    form = export_form(model)
    assert isinstance(form.model.context, RepGraphGridSample)
    assert isinstance(model.context, RepGraph)  # a copy: the model is unchanged
    x = torch.rand(2, 3, 40, 48)
    with torch.no_grad():
        assert relative_error(form(x), model(x)['out']) <= 1e-4


@pytest.mark.parametrize('family,fmt', CASES, ids=[f'{f}-{m}' for f, m in CASES])
def test_export_matches_eager(family, fmt, tmp_path):
    """The written file equals eager within 1e-4 of the largest logit on the example and on a batch
    of another size (dynamic batch, height, width), and on a third input run here through
    load_exported; arg-max agreement 1 up to ties."""
    if fmt == 'onnx' and not ONNX:
        pytest.skip('onnxruntime / onnxscript not installed (pip install -e ".[test]")')
    build, divisor, _ = EXPORTS[family]
    torch.manual_seed(0)
    model = randomize(build()).eval()
    x = torch.rand(1, 3, SIZE, SIZE)
    path = str(tmp_path / f'{family}.{fmt}')
    result = export_model(model, x, path, fmt, input_divisor=divisor)
    assert os.path.isfile(path) and result.dynamic
    assert result.dynamic_size == (not family.startswith('hyperseg'))  # HyperSeg: example's size
    assert result.max_rel_diff <= 1e-4 and result.argmax_agreement >= 0.999
    run = load_exported(path, fmt)
    grow = max(divisor, 8) if result.dynamic_size else 0
    y = torch.rand(3, 3, SIZE + 2 * grow, SIZE + grow)
    with torch.no_grad():
        ref = model(y, **({'scheme': 'all'} if family == 'qgn_dense' else {}))['out']
        out = run(y)
    assert out.shape == ref.shape
    assert relative_error(out, ref) <= 1e-4


def test_torchscript_refuses_what_it_cannot_trace(tmp_path):
    with pytest.raises(ValueError, match=r"format 'torchscript' \(torch.jit.trace\) cannot trace"):
        export_model(TINY_MODELS['hyperseg']().eval(), torch.rand(1, 3, SIZE, SIZE),
                     str(tmp_path / 'h.pt'), 'torchscript', input_divisor=32)


class _Cancellation(nn.Module):
    """Logits = (conv_a(x) - conv_b(x)) * 1e6 with nearly equal kernels: float32 rounding of the
    two convolutions is of the size of their true difference, so float32 eager is itself far
    from float64 (catastrophic cancellation)."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 3, padding=1)
        with torch.no_grad():
            self.a.weight.copy_(torch.randn(4, 3, 3, 3, generator=g))
            self.b.weight.copy_(self.a.weight * (1 + 1e-7))
            self.b.bias.copy_(self.a.bias)

    def forward(self, x):
        return {'out': (self.a(x) - self.b(x)) * 1e6}


def _exported_as(monkeypatch, fn):
    """load_exported returns ``fn`` (the written file is unused): the check's arbitration alone."""
    import graphseg.models.export as export
    monkeypatch.setattr(export, 'load_exported', lambda path, fmt: fn)


def test_export_check_refuses_a_wrong_export(monkeypatch, tmp_path):
    """An export off by 1e-3 of the largest logit on a well-conditioned model is refused, with its
    error against float64 eager and eager float32's own."""
    model = randomize(TINY_MODELS['fcn']()).eval()
    form = export_form(model)
    _exported_as(monkeypatch, lambda x: form(x) * (1 + 1e-3))
    with pytest.raises(RuntimeError, match=r'above tolerance 0.0001, and from float64 eager by '
                                           r'.* \(float32 eager: '):
        export_model(model, torch.rand(1, 3, SIZE, SIZE), str(tmp_path / 'f.pt2'),
                     'exported-program')


def test_export_check_lets_float64_arbitrate_an_ill_conditioned_model(monkeypatch, tmp_path):
    """Where float32 eager is itself off (cancellation), an export exact in float64 passes and the
    result says why; one off by more than FLOAT64_SLACK x eager's error is still refused."""
    from graphseg.models.export import FLOAT64_SLACK
    model = _Cancellation().eval()
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        err32 = relative_error(model(x)['out'].double(), model.double()(x.double())['out'])
    model.float()
    assert err32 > 1e-2  # the model is ill-conditioned in float32
    form64 = export_form(model).double()
    _exported_as(monkeypatch, lambda x: form64(x.double()))
    result = export_model(model, x, str(tmp_path / 'c.pt2'), 'exported-program')
    assert result.max_rel_diff > 1e-4
    assert result.float64_export_error < 1e-6 < 1e-2 < result.float64_eager_error
    _exported_as(monkeypatch, lambda x: form64(x.double()) * (1 + 3 * FLOAT64_SLACK * err32))
    with pytest.raises(RuntimeError, match='from float64 eager by'):
        export_model(model, x, str(tmp_path / 'c.pt2'), 'exported-program')


def test_dynamic_check_uses_the_example_images():
    """The second input of the dynamic check is the example's own images (and mirror images) at
    another batch size and size, not noise."""
    from graphseg.models.export import _second_input
    x = torch.rand(2, 3, 32, 64)
    same = _second_input(x, 32, sizes=False)
    assert same.shape == (3, 3, 32, 64)
    torch.testing.assert_close(same[:2], x)
    torch.testing.assert_close(same[2], x[0].flip(-1))
    grown = _second_input(x[:1], 32, sizes=True)
    assert grown.shape == (2, 3, 64, 128)
    assert (grown[0] - grown[1].flip(-1)).abs().max() < 1e-5
