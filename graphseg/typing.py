"""Type aliases (PyG's names) and the optional compiled extensions, detected once at import.

Aliases, as in ``torch_geometric.typing``:

* ``Adj`` -- an edge index :math:`(2, E)` or a sparse adjacency (``torch_sparse.SparseTensor`` or a
  ``torch.sparse`` tensor, PyG's transposed ``adj_t``);
* ``OptTensor`` -- ``Optional[Tensor]``; ``PairTensor`` -- ``Tuple[Tensor, Tensor]``;
* ``Device`` -- what graphseg accepts wherever a device is asked for: ``'cpu'``, ``'cuda:0'`` or a
  ``torch.device``.

graphseg runs on plain PyTorch. The PyG extension packages are optional
backends (PyG's ``WITH_*`` pattern); each flag says whether one imports *and* works here:

* ``WITH_TORCH_SCATTER`` -- ``torch_scatter`` (alternative scatter backend).
* ``WITH_TORCH_SPARSE`` -- ``torch_sparse`` (``SparseTensor`` SpMM backend of
  the typed-edge kernel).
* ``WITH_TORCH_SPLINE_CONV`` -- ``torch_spline_conv`` (B-spline basis kernels).
* ``WITH_PYG_LIB`` -- ``pyg_lib``.
* ``WITH_PYG_SPLINE`` -- ``torch_geometric.nn.SplineConv`` runs: PyG 2.8 takes
  its kernels from ``pyg_lib.ops.spline_basis`` only and raises otherwise.
"""
from __future__ import annotations

import importlib
import warnings
from typing import Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.typing import SparseTensor

Adj = Union[Tensor, SparseTensor]
OptTensor = Optional[Tensor]
PairTensor = Tuple[Tensor, Tensor]
Device = Union[str, torch.device]


def _try_import(name: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            importlib.import_module(name)
        return True
    except (ImportError, OSError, RuntimeError):  # missing, or built for another torch
        return False


WITH_TORCH_SCATTER: bool = _try_import('torch_scatter')
WITH_TORCH_SPARSE: bool = _try_import('torch_sparse')
WITH_TORCH_SPLINE_CONV: bool = _try_import('torch_spline_conv')
WITH_PYG_LIB: bool = _try_import('pyg_lib')


def _pyg_spline_works() -> bool:
    if not WITH_PYG_LIB:
        return False
    return hasattr(importlib.import_module('pyg_lib').ops, 'spline_basis')


WITH_PYG_SPLINE: bool = _pyg_spline_works()

#: the backend flags (what ``graphseg info`` prints)
FLAGS = ('WITH_TORCH_SCATTER', 'WITH_TORCH_SPARSE', 'WITH_TORCH_SPLINE_CONV', 'WITH_PYG_LIB',
         'WITH_PYG_SPLINE')

__all__ = ['Adj', 'OptTensor', 'PairTensor', 'Device', 'SparseTensor', *FLAGS, 'FLAGS']
