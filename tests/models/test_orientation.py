"""The road orientation network against the authors' code, Orientation+ and the HG versions.

``tests/data/orientation_official.pt`` and ``orientation_official_arch.json`` were written once by
the authors' ``model/stack_module.py`` (anilbatra2185/road_connectivity @ 01e4166, run outside this
repository on CPU with torch 2.13): the ``state_dict`` keys and shapes and the parameter count of
``StackHourglassNetMTL()`` (2 road and 37 orientation classes), and, for
``StackHourglassNetMTL(task1_classes=2, task2_classes=5)`` in float64 with the weights of the key
recipe (``tests/models/recipe.py``; per-tensor sums stored), one random input (2, 3, 32, 48) and
the two output lists of its forward in eval and in train mode.
"""
import json
import os

import pytest
import torch

from graphseg.analysis import count_macs
from graphseg.models import (HGHourglass, StackHourglassMTL, create_model, hg_orientation,
                             hg_orientation_plus_attn, orientation, orientation_plus)
from graphseg.models.hgresnet import HGStage
from graphseg.models.roads import HourglassMTL
from graphseg.nn import object_attention
from tests.helpers import DATA
from tests.models.recipe import recipe_state


@pytest.fixture(scope='module')
def official():
    with open(os.path.join(DATA, 'orientation_official_arch.json')) as f:
        arch = json.load(f)
    return arch, torch.load(os.path.join(DATA, 'orientation_official.pt'), weights_only=True)


def test_keys_shapes_and_parameter_count_are_the_authors(official):
    model = orientation()
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == official[0]['keys']
    assert sum(p.numel() for p in model.parameters()) == official[0]['num_params'] == 29_002_012


def test_outputs_on_shared_weights_are_the_authors(official):
    data = official[1]
    model = orientation(orientation_classes=data['task2_classes']).double()
    state = recipe_state(model)
    assert {k: float(v.sum()) for k, v in state.items()} == pytest.approx(data['weight_sums'],
                                                                          rel=1e-12, abs=1e-12)
    model.load_state_dict(state)
    for mode in ('eval', 'train'):
        model.train(mode == 'train')
        with torch.no_grad():
            seg, angle = model.released_outputs(data['input'])
        ref = data[mode]
        assert len(seg) == len(ref['seg']) == 4 and len(angle) == len(ref['orientation']) == 4
        for mine, theirs in zip(seg + angle, ref['seg'] + ref['orientation']):
            # the recipe's eval statistics let the logits grow to 1e7
            scale = float(theirs.abs().max())
            torch.testing.assert_close(mine, theirs, rtol=1e-10, atol=1e-12 * scale)


def test_plus_keeps_the_parameters_and_runs_at_the_input_resolution():
    dense, plus = orientation(), orientation_plus()
    assert {k: v.shape for k, v in dense.state_dict().items()} == {
        k: v.shape for k, v in plus.state_dict().items()}
    assert plus.conv1.stride == (1, 1) and isinstance(plus.maxpool, torch.nn.Identity)
    plus.load_state_dict(dense.state_dict())
    out = plus.eval()(torch.rand(1, 3, 24, 40))
    assert out['out'].shape == (1, 2, 24, 40) and out['orientation'].shape == (1, 37, 24, 40)
    assert all(s.shape[-2:] == (24, 40) for s in out['stacks'])
    # the original network's stacks are at stride 4, its decoder score at stride 2
    ref = orientation().eval()(torch.rand(1, 3, 24, 40))
    assert [s.shape[-2:] for s in ref['stacks']] == [(6, 10), (6, 10), (12, 20)]


def test_hg_versions_keep_the_dense_keys_outside_the_hourglasses():
    dense, hg = orientation(), hg_orientation()
    outside = {k: v.shape for k, v in dense.state_dict().items() if not k.startswith('hg.')}
    assert {k: v.shape for k, v in hg.state_dict().items() if not k.startswith('hg.')} == outside
    assert all(isinstance(h, HGHourglass) for h in hg.hg)
    assert all(isinstance(h, HourglassMTL) for h in dense.hg)
    for h in hg.hg:  # Table 12: ratios 1/4, 1/16, 1/64, k = 4, 16, 64, one clustering iteration
        stages = [b[p] for b in h.branches for p in ('encoder', 'decoder1', 'decoder2')]
        assert all(isinstance(s, HGStage) for s in stages)
        assert [b['encoder'].ratio for b in h.branches] == [1 / 4, 1 / 16, 1 / 64]
        assert [b['encoder'].oversample for b in h.branches] == [4, 16, 64]
        assert {s.clustering.iters for s in stages} == {1}
    one = hg_orientation(ratios=(1 / 16,))
    assert [len(h.branches) for h in one.hg] == [1, 1]


def test_active_focus_follows_the_first_stack_road_prediction():
    model = hg_orientation_plus_attn().eval()
    x = torch.rand(2, 3, 32, 32)
    seen = []
    model.hg[1].branches[0]['encoder'].register_forward_pre_hook(
        lambda m, args: seen.append(args[1]))
    with torch.no_grad():
        out = model(x)
    assert len(out['attention']) == 1 and out['attention'][0].shape == (2, 32, 32)
    want = object_attention(out['stacks'][0].softmax(1), 1)
    torch.testing.assert_close(out['attention'][0], want)
    torch.testing.assert_close(seen[0], want)  # the second stack's sampling got it
    assert 'attention' not in hg_orientation().eval()(x)


def test_hg_branch_costs_follow_their_ratios():
    """count_macs sees every branch (clustering, adjacency, pooling, the units on the groups): the
    units' cost falls about 4x from one branch to the next (1/4, 1/16, 1/64 of the pixels), and the
    three branches together cost about what the hourglass's three pooled levels cost, as their
    pixel ratios are the levels' (so HG-Orientation is not cheaper than Orientation)."""
    x = torch.rand(1, 3, 96, 96)
    d = count_macs(orientation().eval(), x)
    h = count_macs(hg_orientation().eval(), x)
    for stack in (0, 1):
        blocks = [h['parts'][f'hg.{stack}.branches.{b}.encoder']['blocks'] for b in range(3)]
        assert 3.5 < blocks[0] / blocks[1] < 4.5 and 3.5 < blocks[1] / blocks[2] < 4.5
        assert h['parts'][f'hg.{stack}.branches.0.encoder']['clustering'] > 0
        assert h['parts'][f'hg.{stack}.branches.0.decoder1']['clustering'] == 0  # shared graph
    assert 0.7 < h['modules']['hg'] / d['modules']['hg'] < 1.1


def test_bad_input():
    model = orientation()
    with pytest.raises(ValueError, match=r'x must have even height and width'):
        model(torch.rand(1, 3, 33, 32))
    with pytest.raises(ValueError, match=r'attention steers HG-Conv.s sampling: it needs hg=True'):
        StackHourglassMTL(attention='object')
    with pytest.raises(ValueError, match=r'ratios must be a non-empty sequence of numbers in '
                                         r'\(0, 1\], got \(0.5, 2\)'):
        create_model('hg_orientation', ratios=(0.5, 2))
    with pytest.raises(ValueError, match=r"attention must be one of \('object', 'uncertainty'\)"):
        hg_orientation_plus_attn(attention='edges')
    with pytest.raises(TypeError, match=r"'oversample' is a clustering option; it needs hg=True"):
        orientation(oversample=(2,))
