"""graphseg: adaptive semantic segmentation as graph learning (PyTorch + PyTorch Geometric).

Subpackages: :mod:`graphseg.ops` (scatter core, typed-edge kernel),
:mod:`graphseg.graphs` (images as PyG graphs), :mod:`graphseg.nn` (layers),
:mod:`graphseg.models`, :mod:`graphseg.data`, :mod:`graphseg.engine`,
:mod:`graphseg.viz`.
"""
__version__ = '0.1.0'

from . import graphs, ops  # noqa: E402

__all__ = ['graphs', 'ops', '__version__']
