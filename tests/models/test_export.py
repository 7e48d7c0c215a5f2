"""Export: ONNX (onnxruntime parity), torch.export programs and TorchScript traces of the models
that export, the grid_sample form of RepGraph, and the reasons of the models that do not."""
import importlib.util
import os

import pytest
import torch

from graphseg.models import create_model
from graphseg.models.export import (RepGraphGridSample, export_form, export_model, export_support,
                                    load_exported)
from graphseg.nn import RepGraph
from tests.models.test_inference import randomize, relative_error
from tests.models.tiny_models import SIZE, TINY_MODELS, qgn_dense

#: the ONNX cases need onnxruntime and onnxscript (the test extra installs both)
ONNX = all(importlib.util.find_spec(m) for m in ('onnxruntime', 'onnxscript'))

#: family -> (builder, input divisor, formats)
EXPORTS = {
    'fcn': (TINY_MODELS['fcn'], 1, ('onnx', 'exported-program', 'torchscript')),
    'repgraph': (TINY_MODELS['repgraph'], 1, ('onnx', 'exported-program')),
    'hyperseg': (TINY_MODELS['hyperseg'], 32, ('onnx', 'exported-program')),
    'qgn_dense': (qgn_dense, 32, ('onnx', 'exported-program', 'torchscript')),
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
    assert result.dynamic_size == (family != 'hyperseg')  # HyperSeg: the example's size
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
