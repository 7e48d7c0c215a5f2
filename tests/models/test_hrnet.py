"""HRNetV2 against the official code, and HG-HRNetV2 against HRNetV2.

``tests/data/hrnet_official.pt`` and ``hrnet_official_arch.json`` were written once by the official
``lib/models/seg_hrnet.py`` (HRNet/HRNet-Semantic-Segmentation, HRNet-OCR branch @ 0bbb288, run
outside this repository on CPU with torch 2.13: ``np.int`` aliased to ``int``, its SyncBatchNorm
running as a plain BatchNorm without a process group) for the released Cityscapes configurations
``seg_hrnet_w48_train_512x1024...`` (ALIGN_CORNERS False) and, from the master branch,
``seg_hrnet_w18_small_v{1,2}_512x1024...`` (no ALIGN_CORNERS, so the code's default True), 19
classes, in float64. Stored: the state_dict keys and shapes in order, the parameter counts, the
weights' per-tensor sums under the key recipe of ``tests/models/recipe.py``, one random input
(2, 3, 64, 96) and the stride-4 logits of the official forward in eval and in train mode.
"""
import functools
import json
import os

import pytest
import torch
import torch.nn.functional as F

from graphseg.analysis import count_macs
from graphseg.models import (HGHRNetV2, HGStage, HRNetV2, create_model, hg_hrnetv2_w18_small_v2,
                             hrnetv2_w18_small_v2)
from graphseg.models.hrnet import HGHighResolutionModule, HRNETV2_W18_SMALL_V1
from tests.helpers import DATA
from tests.models.recipe import recipe_state

NAMES = {'w48': 'hrnetv2_w48', 'w18_small_v1': 'hrnetv2_w18_small_v1',
         'w18_small_v2': 'hrnetv2_w18_small_v2'}


@pytest.fixture(scope='module')
def official():
    with open(os.path.join(DATA, 'hrnet_official_arch.json')) as f:
        arch = json.load(f)
    return arch, torch.load(os.path.join(DATA, 'hrnet_official.pt'), weights_only=True)


@pytest.mark.parametrize('which', sorted(NAMES))
def test_keys_shapes_and_parameter_counts_are_the_official_ones(which, official):
    arch = official[0][which]
    model = create_model(NAMES[which], num_classes=19)
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == arch['keys']
    assert sum(p.numel() for p in model.parameters()) == arch['num_params']
    assert arch['num_params'] == {'w48': 65_859_379, 'w18_small_v1': 1_540_819,
                                  'w18_small_v2': 3_939_579}[which]


@pytest.mark.parametrize('which', sorted(NAMES))
def test_outputs_on_shared_weights_are_the_official_ones(which, official):
    arch, data = official
    ref = data['models'][which]
    model = create_model(NAMES[which], num_classes=19,
                         align_corners=arch[which]['align_corners']).double()
    state = recipe_state(model)
    assert {k: float(v.sum()) for k, v in state.items()} == pytest.approx(ref['weight_sums'],
                                                                          rel=1e-12, abs=1e-12)
    model.load_state_dict(state)
    x = data['input']
    for mode in ('eval', 'train'):
        model.train(mode == 'train')
        with torch.no_grad():
            low = model.logits(x)
            out = model(x)['out']
        want = ref[mode]
        scale = float(want.abs().max())  # the recipe's eval-mode statistics let W48 grow to 1e9
        torch.testing.assert_close(low, want, rtol=1e-10, atol=1e-12 * scale)
        # 'out' is the official logits upsampled as the official evaluation does
        up = F.interpolate(want, size=x.shape[-2:], mode='bilinear',
                           align_corners=arch[which]['align_corners'])
        torch.testing.assert_close(out, up, rtol=1e-10, atol=1e-12 * scale)


def test_imagenet_checkpoints_fill_the_backbone():
    """``tests/data/hrnet_imagenet_keys.json``: the state_dict keys and shapes of the official
    ImageNet HRNets (HRNet/HRNet-Image-Classification @ f760c98, ``lib/models/cls_hrnet.py`` with
    ``cls_hrnet_{w48,w18_small_v1,w18_small_v2}_...yaml``, written by that code), the checkpoints
    the official segmentation code's ``init_weights`` loads key by key: they fill every HRNetV2
    tensor but the head, and what they add is the classification head only."""
    with open(os.path.join(DATA, 'hrnet_imagenet_keys.json')) as f:
        imagenet = {name: {k: tuple(s) for k, s in keys} for name, keys in json.load(f).items()}
    for which, name in NAMES.items():
        own = {k: tuple(v.shape) for k, v in create_model(name).state_dict().items()}
        body = {k: s for k, s in own.items() if not k.startswith('last_layer.')}
        assert {k: imagenet[which][k] for k in body} == body
        extra = {k.split('.')[0] for k in imagenet[which] if k not in own}
        assert extra == {'incre_modules', 'downsamp_modules', 'final_layer', 'classifier'}


def test_hg_hrnetv2_keeps_the_hrnet_keys():
    """HRNetV2 weights load into HG-HRNetV2: the new keys are the 1x1 fusions of the last block
    and the auxiliary head only."""
    dense = hrnetv2_w18_small_v2(num_classes=5)
    hg = hg_hrnetv2_w18_small_v2(num_classes=5, aux=True)
    missing, unexpected = hg.load_state_dict(dense.state_dict(), strict=False)
    assert not unexpected
    assert missing and all(k.startswith(('stage4.1.hg_fuse.', 'aux_head.')) for k in missing)
    for k, v in dense.state_dict().items():
        torch.testing.assert_close(hg.state_dict()[k], v)
    assert isinstance(hg.stage4[-1], HGHighResolutionModule)
    assert all(not isinstance(m, HGHighResolutionModule) for m in hg.stage4[:-1])
    assert [s.ratio for s in hg.hg_stages()] == [1 / 64] * 4
    assert [s.clustering.iters for s in hg.hg_stages()] == [1] * 4  # Table 12: 1 iteration


def test_hg_block_with_every_pixel_a_group_is_the_dense_block_with_the_fusion():
    """Every pixel its own group (the identity assignment): each branch of the HG block is the dense
    units (the group graph is the pixel lattice) followed by the 1x1 fusion of [X_i, units(X_i)],
    then the dense multi-resolution fusion."""
    torch.manual_seed(0)
    dense = HRNetV2(HRNETV2_W18_SMALL_V1, num_classes=3).double()
    for m in dense.modules():  # non-trivial weights and statistics
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight)
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_var.uniform_(0.5, 1.5)
            m.running_mean.uniform_(-0.2, 0.2)
    dense.eval()
    hg = HGHRNetV2(HRNETV2_W18_SMALL_V1, num_classes=3).double().eval()
    hg.load_state_dict(dense.state_dict(), strict=False)
    block = hg.stage4[-1]
    x = torch.rand(2, 3, 64, 96, dtype=torch.float64)
    with torch.no_grad():
        xs = dense.stage4[:-1](dense.forward_stage4_input(x))
        for t, stage in zip(xs, block.branches):
            H, W = t.shape[-2:]
            stage.forward = functools.partial(HGStage.forward, stage,
                                              assignment=torch.arange(H * W).view(H, W))
        want = block.fuse([f(torch.cat([t, b(t)], 1)) for t, b, f in
                           zip(xs, dense.stage4[-1].branches, block.hg_fuse)])
        got = block(xs)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_aux_head_on_the_hg_block_input():
    model = hg_hrnetv2_w18_small_v2(num_classes=4, aux=True).train()
    out = model(torch.rand(2, 3, 64, 64))
    assert out['out'].shape == out['aux'].shape == (2, 4, 64, 64)
    assert 'aux' not in model.eval()(torch.rand(1, 3, 64, 64))
    assert 'aux' not in hg_hrnetv2_w18_small_v2(num_classes=4).train()(torch.rand(2, 3, 64, 64))


def test_the_hg_block_costs_less_than_the_dense_one():
    """count_macs sees the HG branches (clustering, adjacency, pooling, the units on the groups):
    at 256x256 the last stage-4 block of W18-Small-v2 costs a fraction of its dense counterpart."""
    dense, hg = hrnetv2_w18_small_v2(num_classes=19).eval(), hg_hrnetv2_w18_small_v2(
        num_classes=19).eval()
    x = torch.rand(1, 3, 256, 256)
    d, h = count_macs(dense, x, depth=2), count_macs(hg, x, depth=2)
    assert h['modules']['stage4.1'] < 0.5 * d['modules']['stage4.1']
    assert h['total'] < d['total']
    assert sorted(h['parts']) == [f'stage4.1.branches.{i}' for i in range(4)]
    assert all(p['clustering'] > 0 and p['blocks'] > 0 for p in h['parts'].values())


def test_bad_input():
    model = hrnetv2_w18_small_v2(num_classes=3)
    with pytest.raises(ValueError, match=r'x must be at least 32x32 pixels'):
        model(torch.rand(1, 3, 16, 64))
    with pytest.raises(ValueError, match=r'x must have 3 channels'):
        model(torch.rand(1, 4, 64, 64))
    with pytest.raises(TypeError, match=r'config must be an HRNetConfig'):
        HRNetV2({'stage1': 1})
