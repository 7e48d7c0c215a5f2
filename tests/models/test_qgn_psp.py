"""QGN with a PSPNet module (QGN Table 4) and the ResNet-101 encoder, against the released code.

``tests/data/qgn_ppm_official.pt`` and ``qgn_ppm_official_arch.json`` were written once by the
released ``models/models.py`` and ``models/resnet.py`` (kashyap7x/QGN @ ee5399a, run outside this
repository on CPU with torch 2.13; ``sparseconvnet`` and ``torchvision`` stubbed, as only the
sparse decoder classes and the image transforms use them; ``F.upsample`` as torch 1.x's alias of
``F.interpolate``): the keys, shapes and parameter counts of ``PPMBilinear(num_class=2048,
context_mode=True)`` (the ``context`` of the released ``QGN_*_ppm``) and of the released
``resnet101`` encoder (``models.Resnet(resnet.resnet101())``); in float64 with the weights of the
key recipe (``tests/models/recipe.py``), ``PPMBilinear(num_class=24, fc_dim=16, context_mode=True)``
on a random (2, 16, 7, 10) map in eval and train mode, and the encoder's stride-32 map of a random
(1, 3, 64, 64) image in train mode.
"""
import json
import os

import pytest
import torch

from graphseg.models import (PyramidPooling, create_model, load_official, qgn_resnet34_psp,
                             resnet101_deepstem)
from graphseg.models.qgn import convert_official
from tests.helpers import DATA
from tests.models.recipe import recipe_state


@pytest.fixture(scope='module')
def released():
    with open(os.path.join(DATA, 'qgn_ppm_official_arch.json')) as f:
        arch = json.load(f)
    return arch, torch.load(os.path.join(DATA, 'qgn_ppm_official.pt'), weights_only=True)


#: the released synchronized BatchNorm's extra buffers (dropped by the converter)
BOOKKEEPING = ('_tmp_running_mean', '_tmp_running_var', '_running_iter')


def _keys(module):
    return [[k, list(v.shape)] for k, v in module.state_dict().items()]


def _released_keys(keys):
    return [[k, s] for k, s in keys if not k.endswith(BOOKKEEPING)]


def test_pyramid_pooling_is_the_released_context_module(released):
    arch, data = released
    assert _keys(PyramidPooling()) == _released_keys(arch['ppm_context']['keys'])
    assert sum(p.numel() for p in PyramidPooling().parameters()) == 8_392_704
    assert arch['ppm_context']['num_params'] == 8_392_704
    ppm = PyramidPooling(16, 24).double()
    state = recipe_state(ppm)
    sums = {k: v for k, v in data['weight_sums'].items() if not k.endswith(BOOKKEEPING)}
    assert {k: float(v.sum()) for k, v in state.items()} == pytest.approx(sums, rel=1e-12,
                                                                          abs=1e-12)
    ppm.load_state_dict(state)
    for mode in ('eval', 'train'):
        with torch.no_grad():
            out = ppm.train(mode == 'train')(data['input'])
        torch.testing.assert_close(out, data[mode], rtol=1e-12, atol=1e-12)


def test_resnet101_deepstem_is_the_released_encoder(released):
    arch, data = released
    enc = resnet101_deepstem()
    del enc.fc
    assert _keys(enc) == _released_keys(arch['resnet101_encoder']['keys'])
    assert sum(p.numel() for p in enc.parameters()) == arch['resnet101_encoder'][
        'num_params'] == 42_623_936
    enc = enc.double()
    enc.load_state_dict(recipe_state(enc))
    with torch.no_grad():
        out = enc.train().forward_pyramid(data['encoder_input'])[-1]
    torch.testing.assert_close(out, data['encoder_train'], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('name,decoder', [('qgn_resnet34_psp', 34_111_736),
                                          ('qgn_resnet50_psp', 47_064_696)])
def test_released_ppm_decoder_parameter_counts(name, decoder):
    """The released ``QGN_resnet{34,50}_ppm`` decoder = the sparse decoder (measured with the
    released code, tests/models/test_qgn_official.py) + the context module."""
    model = create_model(name, num_classes=19)
    assert sum(p.numel() for p in model.decoder.parameters()) == decoder
    assert sum(p.numel() for p in model.context.parameters()) == 8_392_704
    assert create_model(name[:-4], num_classes=19).context is None


def test_context_runs_between_encoder_and_decoder():
    model = qgn_resnet34_psp(num_classes=3, encoder='resnet18').eval()
    # the released decoder's weights_init (BatchNorm shift 1e-4), as the rest of the decoder
    assert all(float(m.bias.max()) == float(m.bias.min()) == pytest.approx(1e-4)
               for m in model.context.modules() if isinstance(m, torch.nn.BatchNorm2d))
    seen = []
    model.decoder.register_forward_pre_hook(lambda m, args: seen.append(args[0][-1]))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        out = model(x)['out']
        want = model.context(model.encoder.forward_pyramid(x)[-1])
    assert out.shape == (1, 3, 64, 64)
    torch.testing.assert_close(seen[0], want)


def test_released_context_keys_load_into_the_psp_model_only():
    model = qgn_resnet34_psp(num_classes=3, encoder='resnet18')
    ctx = {'context.' + k: torch.randn_like(v) if v.is_floating_point() else v
           for k, v in PyramidPooling(512, 512).state_dict().items()}
    released = {**ctx, 'context.ppm.0.2._running_iter': torch.ones(1)}  # synchronized-BN's
    converted, unknown, _ = convert_official(model, released)
    assert not unknown and sorted(converted) == sorted(ctx)
    _, unknown, _ = convert_official(create_model('qgn_resnet34', num_classes=3,
                                                  encoder='resnet18'), ctx)
    assert sorted(unknown) == sorted(ctx)
    # an encoder-only load leaves the context (a decoder part) for the decoder checkpoint
    enc = {k: v for k, v in model.encoder.state_dict().items() if not k.startswith('fc.')}
    load_official(model, None, encoder=enc)


def test_bad_input():
    with pytest.raises(ValueError, match=r"context must be one of \('psp',\), got 'aspp'"):
        create_model('qgn_resnet34', encoder='resnet18', context='aspp')
    with pytest.raises(ValueError, match=r'pool_scales must be an int >= 1, got 0'):
        PyramidPooling(8, 8, pool_scales=(1, 0))
