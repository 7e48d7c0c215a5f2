"""Optional compiled extensions, detected once at import (PyG's ``WITH_*`` pattern).

graphseg runs on plain PyTorch. The PyG extension packages are optional
backends; each flag says whether one imports *and* works here:

* ``WITH_TORCH_SCATTER`` -- ``torch_scatter`` (alternative scatter backend).
* ``WITH_TORCH_SPARSE`` -- ``torch_sparse`` (``SparseTensor`` SpMM backend of
  the typed-edge kernel).
* ``WITH_TORCH_SPLINE_CONV`` -- ``torch_spline_conv`` (B-spline basis kernels).
* ``WITH_PYG_LIB`` -- ``pyg_lib``.
* ``WITH_PYG_SPLINE`` -- ``torch_geometric.nn.SplineConv`` runs: PyG 2.8 takes
  its kernels from ``pyg_lib.ops.spline_basis`` only and raises otherwise.
"""
from __future__ import annotations

import warnings


def _try_import(name: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            __import__(name)
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
    import pyg_lib
    return hasattr(pyg_lib.ops, 'spline_basis')


WITH_PYG_SPLINE: bool = _pyg_spline_works()

__all__ = [
    'WITH_TORCH_SCATTER',
    'WITH_TORCH_SPARSE',
    'WITH_TORCH_SPLINE_CONV',
    'WITH_PYG_LIB',
    'WITH_PYG_SPLINE',
]
