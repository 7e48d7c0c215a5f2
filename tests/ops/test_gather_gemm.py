"""Gather-GEMM convolution plans (im2col, pairs, typed) against the masked dense convolution;
plan choice and errors."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from graphseg.ops import SparseMap, conv_plan, gather_gemm_conv, submanifold_conv2d
from tests.helpers import random_sparse, read


@pytest.mark.parametrize('plan', ['im2col', 'pairs', 'typed'])
@pytest.mark.parametrize('p', [0.1, 0.6, 1.0])
@pytest.mark.parametrize('run_rows', [None, 6])
def test_submanifold_plans_equal_masked_dense_conv(device, plan, p, run_rows, monkeypatch):
    import graphseg.ops.gather_gemm as gg
    monkeypatch.setattr(gg, 'IM2COL_CHUNK_BYTES', 9 * 5 * 4 * 7)  # 7 sites per chunk: many chunks
    # 'pairs': runs of at most 6 gathered rows (CPU): small offset groups share a run, large ones
    # not
    if run_rows:
        monkeypatch.setattr(gg, 'PAIRS_RUN_BYTES', run_rows * 5 * 4)
    x, mask, sp = random_sparse(2, 5, 9, 11, p, device, requires_grad=True)
    w = torch.randn(3, 5, 3, 3, device=device, requires_grad=True)
    out = submanifold_conv2d(sp, w, plan=plan).feats
    xd = x.clone().requires_grad_(True)
    ref = read(F.conv2d(xd * mask.unsqueeze(1), w, padding=1), mask)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out, (sp.feats, w), g)
    rx, rw = torch.autograd.grad(ref, (xd, w), g)
    torch.testing.assert_close(gx, read(rx, mask), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(gw, rw, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('plan', ['im2col', 'pairs'])
def test_gather_gemm_gradcheck_and_plan_choice(plan):
    _, _, sp = random_sparse(2, 3, 4, 5, 0.5, 'cpu', torch.float64)
    w = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    feats = sp.feats.detach().requires_grad_(True)
    assert gradcheck(lambda f, w: submanifold_conv2d(sp.replace(f), w, plan=plan).feats, (feats, w))
    # 'auto' picks im2col for dense neighbourhoods, pairs for sparse ones
    assert SparseMap.from_dense(torch.randn(1, 2, 8, 8)).conv_plan().kind == 'im2col'
    thin = torch.zeros(1, 8, 8, dtype=torch.bool)
    thin[0, 3] = True  # a line: 3 of 9 neighbours active
    assert SparseMap.from_dense(torch.randn(1, 2, 8, 8), thin).conv_plan().kind == 'pairs'


def test_gather_gemm_errors():
    _, _, sp = random_sparse(1, 3, 4, 5, 0.5, 'cpu')
    plan = sp.conv_plan()
    with pytest.raises(ValueError,
                       match=r'weight must have shape \(9, C, C_out\) with C = x.size\(1\) = 3'):
        gather_gemm_conv(sp.feats, torch.randn(9, 4, 2), plan)
    with pytest.raises(ValueError, match='x must have one row per site of the plan'):
        gather_gemm_conv(sp.feats[1:], torch.randn(9, 3, 2), plan)
    with pytest.raises(ValueError, match="kind must be one of"):
        conv_plan(sp.neighbor_table(), 'hash')
    with pytest.raises(ValueError, match="plan must be one of"):
        submanifold_conv2d(sp, torch.randn(2, 3, 3, 3), plan='dense')
