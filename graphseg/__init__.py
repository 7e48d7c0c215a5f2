"""graphseg: adaptive semantic segmentation as graph learning (PyTorch + PyTorch Geometric).

Folders, each one job, imports running downward (``tests/test_layout.py`` checks the order):

* :mod:`graphseg.check`, :mod:`graphseg.typing`, :mod:`graphseg.directions`,
  :mod:`graphseg.distributed`: input contracts, type aliases and backend flags, the direction
  convention, multi-process primitives;
* :mod:`graphseg.ops`: kernels (scatter, typed-edge, sparse maps, patch-wise conv, bilinear taps,
  MAC formulas);
* :mod:`graphseg.graphs`: images as PyG graphs (grid, superpixel, representative, quadtree) and
  transforms;
* :mod:`graphseg.nn`: layers, one subpackage per method (``hgconv``, ``repgraph``, ``hyperseg``,
  ``qgn``);
* :mod:`graphseg.models`: backbones and the papers' networks, by name
  (:func:`graphseg.models.create_model`);
* :mod:`graphseg.data`: dataset readers and joint transforms;
* :mod:`graphseg.viz`: figures;
* :mod:`graphseg.analysis`: MAC counts, timing, the ``torch.compile`` catalogue;
* :mod:`graphseg.evaluation`: ``evaluate`` and the metrics;
* :mod:`graphseg.engine`: configs, the training loop, losses, checkpoints, run folders;
* :mod:`graphseg.experiments`: the GNN baselines and the demo tour;
* :mod:`graphseg.commands` and :mod:`graphseg.cli`: the ``graphseg`` command.

Subpackages load on first use (``import graphseg`` alone imports nothing heavy), and so does
``graphseg.optimize_for_inference`` (:func:`graphseg.models.optimize_for_inference`) and
``graphseg.keep_cpu_memory`` (:func:`graphseg.models.keep_cpu_memory`).
"""
import importlib

__version__ = '0.1.0'

_SUBPACKAGES = ('analysis', 'check', 'commands', 'data', 'directions', 'distributed', 'engine',
                'evaluation', 'experiments', 'graphs', 'models', 'nn', 'ops', 'typing', 'viz')


#: names of the root package that load their subpackage on first use: name -> subpackage
_LAZY = {'optimize_for_inference': 'models', 'keep_cpu_memory': 'models'}


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f'{__name__}.{name}')
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBPACKAGES) + list(_LAZY))


__all__ = ['__version__']
