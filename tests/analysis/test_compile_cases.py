"""torch.compile: every layer of graphseg.analysis.compile_cases compiles with fullgraph=True where
it says so.

The 'aot_eager' backend traces with dynamo and AOTAutograd (forward and backward graphs) without
generating C++, so the check stays fast; scripts/bench_compile.py times the inductor backend.
"""
import pytest
import torch
import torch._dynamo
from torch import nn

from graphseg.analysis.compile_cases import _out, compile_cases

CASES = compile_cases()


def _grads(fn, args, y):
    leaves = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    if isinstance(fn, nn.Module):
        leaves += [p for p in fn.parameters() if p.requires_grad]
    return torch.autograd.grad(y.square().sum(), leaves, allow_unused=True)


@pytest.mark.parametrize('case', [c for c in CASES if c.fullgraph], ids=lambda c: c.name)
def test_compiles_fullgraph_and_matches_eager(case, device):
    torch._dynamo.reset()
    torch.manual_seed(0)
    fn, args = case.build('small', device)
    if isinstance(fn, nn.Module):
        fn.train(case.train)
    args = tuple(
        a.clone().requires_grad_(case.train)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in args
    )
    compiled = torch.compile(fn, fullgraph=True, backend='aot_eager')
    y_ref = _out(fn(*args))
    # before BatchNorm's running stats move again
    g_ref = _grads(fn, args, y_ref) if case.train else ()
    y = _out(compiled(*args))
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    if case.train:
        for g, r in zip(_grads(fn, args, y), g_ref):
            if r is not None:
                torch.testing.assert_close(g, r, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('case', [c for c in CASES if not c.fullgraph], ids=lambda c: c.name)
def test_data_dependent_layers_compile_with_graph_breaks(case, device):
    assert case.reason  # the catalogue says why fullgraph is impossible
    torch._dynamo.reset()
    torch.manual_seed(0)
    fn, args = case.build('small', device)
    with pytest.raises(Exception):
        torch.compile(fn, fullgraph=True, backend='aot_eager')(*args)
    torch._dynamo.reset()
    torch.manual_seed(0)
    y = _out(torch.compile(fn, backend='aot_eager')(*args))
    torch.manual_seed(0)
    torch.testing.assert_close(y, _out(fn(*args)))
