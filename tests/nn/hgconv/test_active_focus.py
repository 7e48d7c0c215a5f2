"""Active focus (HG-Conv Eq. 11-13): the formulas, and centres moving toward the attended region."""
import math

import pytest
import torch

from graphseg.nn import (ActiveFocus, HGConv, active_focus, importance_map, object_attention,
                         sample_centres, uncertainty_attention)


def test_active_focus_formula(device):
    imp = torch.rand(2, 5, 6, device=device) * 3
    attn = torch.rand(2, 5, 6, device=device)
    out = active_focus(imp, attn, alpha=10.)
    want = torch.stack([imp[b] / imp[b].max() + 10 * attn[b] for b in range(2)])  # Eq. 11 per image
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(active_focus(imp, attn.unsqueeze(1), alpha=2.),
                               imp / imp.amax((1, 2), True) + 2 * attn)
    torch.testing.assert_close(active_focus(imp), imp / imp.amax((1, 2), True))


def test_object_and_uncertainty_attention(device):
    probs = torch.rand(2, 4, 3, 5, device=device).softmax(1)
    torch.testing.assert_close(object_attention(probs, 2), probs[:, 2])  # Eq. 12
    torch.testing.assert_close(object_attention(probs, [1, 3]), probs[:, 1] + probs[:, 3])
    ent = torch.zeros(2, 3, 5, device=device)
    for c in range(4):
        ent -= probs[:, c] * torch.log(probs[:, c])
    torch.testing.assert_close(uncertainty_attention(probs), ent / math.log(4))  # Eq. 13
    uniform = torch.full((1, 3, 2, 2), 1 / 3, device=device)
    certain = torch.zeros(1, 3, 2, 2, device=device)
    certain[:, 0] = 1
    torch.testing.assert_close(uncertainty_attention(uniform), torch.ones(1, 2, 2, device=device))
    torch.testing.assert_close(uncertainty_attention(certain), torch.zeros(1, 2, 2, device=device))
    up = uncertainty_attention(probs, size=(6, 10))
    assert up.shape == (2, 6, 10)
    m = ActiveFocus('object', class_index=1)
    assert repr(m) == "ActiveFocus(mode='object', class_index=1)"
    torch.testing.assert_close(m(probs), probs[:, 1])
    torch.testing.assert_close(ActiveFocus()(probs), uncertainty_attention(probs))


@pytest.mark.parametrize('method', ['importance', 'topk_random'])
def test_attention_moves_centres_into_the_attended_region(method):
    """The fraction of centres inside the attended box grows, averaged over seeds (paper Fig.
    11)."""
    H = W = 32
    mask = torch.zeros(1, H, W)
    mask[:, 4:14, 18:30] = 1.  # attended box, ~12 % of the pixels
    fracs = {False: [], True: []}
    for seed in range(8):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(1, 8, H, W, generator=g)
        imp = importance_map(x)
        for use in (False, True):
            focus = active_focus(imp, mask if use else None)
            c = sample_centres(focus, 32, method,
                               generator=torch.Generator().manual_seed(100 + seed))
            fracs[use].append(float(mask.view(-1)[c[0]].mean()))
    without, with_ = sum(fracs[False]) / 8, sum(fracs[True]) / 8
    assert with_ > without + 0.3, (without, with_)
    assert with_ > 0.5


def test_hgconv_attention_gives_smaller_groups_in_the_attended_region():
    H = W = 24
    hg = HGConv(4, 4, num_layers=1, num_groups=24, sampling='importance')
    x = torch.randn(1, 4, H, W)
    mask = torch.zeros(1, H, W)
    mask[:, :8, :8] = 1.
    inside = {False: [], True: []}
    for seed in range(5):
        for use in (False, True):
            hg.generator = torch.Generator().manual_seed(seed)
            S = hg.cluster(x, mask if use else None)
            inside[use].append(float(mask.view(-1)[S.centres[0]].sum()))
    assert sum(inside[True]) > sum(inside[False]) + 5 * 4


def test_errors():
    imp = torch.rand(2, 5, 6)
    with pytest.raises(ValueError,
                       match=r'attention must have shape \(B, H, W\) or \(B, 1, H, W\) with '
                                         r'\(B, H, W\) = \(2, 5, 6\), got \(2, 5, 5\)'):
        active_focus(imp, torch.rand(2, 5, 5))
    with pytest.raises(ValueError, match='attention must be >= 0'):
        active_focus(imp, -torch.rand(2, 5, 6))
    with pytest.raises(ValueError, match='alpha must be >= 0'):
        active_focus(imp, torch.rand(2, 5, 6), alpha=-1.)
    probs = torch.rand(1, 3, 4, 4).softmax(1)
    with pytest.raises(ValueError, match=r'class_index must be class ids in \[0, 2\], got 3'):
        object_attention(probs, 3)
    with pytest.raises(ValueError, match='probs must be probabilities'):
        uncertainty_attention(-probs)
    with pytest.raises(ValueError, match='probs must have K >= 2 classes'):
        uncertainty_attention(probs[:, :1])
    with pytest.raises(ValueError, match=r'probs must be \(B, K, h, w\)'):
        uncertainty_attention(probs[0])
    with pytest.raises(ValueError, match="mode='object' needs class_index"):
        ActiveFocus('object')
    with pytest.raises(ValueError, match=r"mode must be one of \('object', 'uncertainty'\)"):
        ActiveFocus('edges')
