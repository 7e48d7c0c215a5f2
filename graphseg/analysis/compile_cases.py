"""The layers ``torch.compile`` is checked on (``tests/test_compile.py``) and timed on
(``scripts/bench_compile.py``).

Each :class:`CompileCase` builds a layer and its inputs at a small (test) or a
benchmark size and says whether it compiles with ``fullgraph=True``. Where it
does not, ``reason`` names the data-dependent step that breaks the graph; such
layers still run under ``torch.compile`` with graph breaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..graphs import grid_graph, slic_torch
from ..nn import (DirectionalConv, HGConv, NonLocal2d, RepGraph, SparseBatchNorm,
                  SparseConvTranspose2d, SparseLinear, SparseReLU, SplineConv, SubmanifoldConv2d)
from ..ops import SparseMap, dpw_conv2d


@dataclass
class CompileCase:
    """A layer for ``torch.compile``: ``build(size, device)`` returns ``(fn, args)``; ``fn(*args)``
    returns a tensor."""

    name: str
    build: Callable[[str, torch.device], Tuple[Callable, tuple]]
    fullgraph: bool = True
    reason: Optional[str] = None
    train: bool = True  # also compile the backward pass


def _out(y) -> Tensor:
    """The tensor of a layer output (SparseMap features, a model's ``'out'``)."""
    if isinstance(y, dict):
        return y['out']
    return y.feats if hasattr(y, 'feats') else y


def _directional(size: str, device: torch.device):
    n, c = (6, 4) if size == 'small' else (90, 128)
    g = grid_graph(n, n).to(device)
    layer = DirectionalConv(c, c).to(device)
    return layer, (torch.randn(n * n, c, device=device), g.edge_index, g.edge_type)


def _submanifold(size: str, device: torch.device):
    c, h, w, p = (3, 7, 9, 0.5) if size == 'small' else (64, 256, 512, 0.1)
    g = torch.Generator().manual_seed(0)
    mask = (torch.rand(1, h, w, generator=g) < p).to(device)
    sp = SparseMap.from_dense(torch.randn(1, c, h, w, device=device), mask)
    sp.conv_plan()  # kernel maps are built outside the compiled region (data-dependent sizes)
    layer = SubmanifoldConv2d(c, c).to(device)
    return (lambda f: layer(sp.replace(f))), (sp.feats,)


def _sparse_block(size: str, device: torch.device):
    c, n = (4, 20) if size == 'small' else (64, 20000)
    coords = torch.stack(
        [torch.zeros(n, dtype=torch.long), torch.arange(n) // 200, torch.arange(n) % 200], 1
    )
    block = nn.Sequential(SparseLinear(c, c), SparseBatchNorm(c), SparseReLU()).to(device)
    up = SparseConvTranspose2d(c, c).to(device)

    def fn(f):
        sp = SparseMap(coords.to(device), f, (n // 200 + 1, 200), 1, check=False)
        return up(block(sp))
    return fn, (torch.randn(n, c, device=device),)


def _repgraph(size: str, device: torch.device):
    c, c_, h, w = (8, 4, 6, 5) if size == 'small' else (512, 128, 128, 64)
    layer = RepGraph(c, c_).to(device)
    return layer, (torch.randn(1, c, h, w, device=device),)


def _nonlocal(size: str, device: torch.device):
    c, h, w = (8, 6, 5) if size == 'small' else (512, 64, 32)
    return NonLocal2d(c).to(device), (torch.randn(1, c, h, w, device=device),)


def _dpw(size: str, device: torch.device):
    c, h, w, n_h, n_w = (4, 8, 12, 2, 3) if size == 'small' else (32, 128, 256, 8, 16)
    x = torch.randn(1, c, h, w, device=device)
    weight = torch.randn(1, c, 1, 3, 3, n_h, n_w, device=device)
    return (lambda x, w: dpw_conv2d(x, w, groups=c)), (x, weight)


def _spline(size: str, device: torch.device):
    n, c = (6, 4) if size == 'small' else (90, 64)
    g = grid_graph(n, n).to(device)
    pos = g.pos.float()
    pseudo = ((pos[g.edge_index[0]] - pos[g.edge_index[1]]) / 2 + 0.5).clamp(0, 1)
    layer = SplineConv(c, c, dim=2, kernel_size=3, backend='torch').to(device)
    return layer, (torch.randn(n * n, c, device=device), g.edge_index, pseudo)


def _hgconv(size: str, device: torch.device):
    c, n = (8, 12) if size == 'small' else (256, 45)
    return HGConv(c, c).to(device).eval(), (torch.randn(1, c, n, n, device=device),)


def _slic(size: str, device: torch.device):
    n = 32 if size == 'small' else 256
    return (lambda img: slic_torch(img, 16 if size == 'small' else 400)[0]), (
        torch.rand(1, 3, n, n, device=device),
    )


def compile_cases() -> List[CompileCase]:
    """Every layer checked, in the order of the README's layer list."""
    return [
        CompileCase('DirectionalConv', _directional),
        CompileCase('SubmanifoldConv2d', _submanifold),
        CompileCase('SparseLinear+BN+ReLU+ConvTranspose', _sparse_block),
        CompileCase('RepGraph (dense path)', _repgraph),
        CompileCase('NonLocal2d', _nonlocal),
        CompileCase('dpw_conv2d (3x3 depthwise)', _dpw),
        CompileCase('SplineConv (torch backend)', _spline),
        CompileCase('HGConv (eval)', _hgconv, fullgraph=False, train=False,
                    reason='the clustering samples centres and builds the group graph with '
                           'data-dependent sizes (nonzero / unique)'),
        CompileCase('slic_torch', _slic, fullgraph=False, train=False,
                    reason='k-means stops when the labels stop changing, and connectivity '
                           'enforcement runs union-find to a fixed point (data-dependent loops)'),
    ]


__all__ = ['CompileCase', 'compile_cases']
