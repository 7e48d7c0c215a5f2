"""The documentation site: every public name is in the API reference, and the pages build.

The reference is generated from each public module's ``__all__`` at build time
(``docs/_ext/graphseg_apigen.py``). These tests build the whole site once with Sphinx's ``dummy``
builder (read and resolve everything, write nothing), from a copy of ``docs/`` so that the work tree
is left alone, and compare the Python domain's objects (what ``objects.inv`` lists) with the
``__all__`` of every public module, read now: a name added to a package and missing from the
reference fails here. CI also builds the HTML with ``-W`` and runs the examples
(``.ci/run``); this file needs the ``docs`` extra (``pip install -e ".[docs]"``) and is skipped
without it, except under CI, where a missing Sphinx is a failure.
"""
from __future__ import annotations

import importlib
import io
import os
import pkgutil
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings('ignore::PendingDeprecationWarning',
                                        'ignore::DeprecationWarning')  # Sphinx's own API moves

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / 'docs'

try:
    import sphinx  # noqa: F401
    import myst_nb  # noqa: F401
except ImportError:   # the docs extra is not installed
    if os.environ.get('CI'):
        raise
    pytest.skip('needs the docs extra: pip install -e ".[docs]"', allow_module_level=True)

sys.path.insert(0, str(DOCS / '_ext'))
import graphseg_apigen as apigen  # noqa: E402

#: The modules the reference must cover whatever discovery finds (the names come from __all__).
REQUIRED = ('graphseg.check', 'graphseg.typing', 'graphseg.directions', 'graphseg.distributed',
            'graphseg.ops', 'graphseg.ops.macs', 'graphseg.graphs', 'graphseg.nn',
            'graphseg.nn.hgconv', 'graphseg.nn.repgraph', 'graphseg.nn.hyperseg', 'graphseg.nn.qgn',
            'graphseg.models', 'graphseg.data', 'graphseg.viz', 'graphseg.analysis',
            'graphseg.evaluation', 'graphseg.engine', 'graphseg.experiments.gnn_baselines',
            'graphseg.experiments.demo')


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """Sphinx's Python-domain objects and the build's warnings."""
    from sphinx.application import Sphinx
    site = tmp_path_factory.mktemp('site')
    src = site / 'docs'
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns('_build', 'api', '*.ipynb',
                                                             'jupyter_execute'))
    (site / 'notebooks').symlink_to(ROOT / 'notebooks')   # conf.py copies them into tutorials/
    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(site / 'out'), str(site / 'doctrees'), 'dummy',
                 status=None, warning=warnings, freshenv=True)
    app.build()
    return dict(app.env.get_domain('py').objects), warnings.getvalue()


def missing_names(objects, modules) -> list[str]:
    """``module.name`` of every ``__all__`` entry that the reference does not describe.

    A name counts when it is a Python object of the build, either described there or an alias
    whose target (same page and anchor) is described.
    """
    described = {(o.docname, o.node_id) for o in objects.values() if not o.aliased}
    missing = []
    for modname in modules:
        for name in importlib.import_module(modname).__all__:
            entry = objects.get(f'{modname}.{name}')
            if entry is None or (entry.docname, entry.node_id) not in described:
                missing.append(f'{modname}.{name}')
    return missing


def test_every_public_name_is_in_the_reference(built):
    objects, _ = built
    modules = apigen.public_modules()
    assert missing_names(objects, modules) == []
    assert sum(len(importlib.import_module(m).__all__) for m in modules) > 400


def test_each_public_module_has_a_page(built):
    objects, _ = built
    for modname in apigen.public_modules():
        assert objects[modname].objtype == 'module'
        assert objects[modname].docname == f'api/{modname}'


def test_the_site_builds_without_warnings(built):
    _, warnings = built
    assert warnings == ''


def test_a_missing_name_is_reported(built):
    objects, _ = built
    without = {k: v for k, v in objects.items() if k != 'graphseg.nn.HGConv'}
    assert missing_names(without, ['graphseg.nn']) == ['graphseg.nn.HGConv']
    # an alias whose description is gone does not count either
    without = {k: v for k, v in objects.items() if k != 'graphseg.nn.hgconv.HGConv'}
    assert 'graphseg.nn.HGConv' in missing_names(without, ['graphseg.nn'])


def test_discovery_covers_the_required_modules_and_every_package():
    found = apigen.public_modules()
    assert set(REQUIRED) <= set(found)
    import graphseg
    # a package (folder) of the library that discovery skips (no __all__) fails here
    for info in pkgutil.walk_packages(graphseg.__path__, prefix='graphseg.'):
        top = info.name.split('.')[1]
        if not info.ispkg or top in apigen.EXCLUDED_TOP_LEVEL or info.name.endswith('experiments'):
            continue
        assert info.name in found, f'{info.name} is a package without an __all__ or a page'


def test_each_object_is_described_once_under_the_module_closest_to_its_definition():
    entries = apigen.collect(apigen.public_modules())
    by_name = {f'{e.module}.{e.name}': e for e in entries}
    assert by_name['graphseg.nn.HGConv'].canonical == 'graphseg.nn.hgconv.HGConv'
    assert by_name['graphseg.graphs.DIRECTIONS'].canonical == 'graphseg.directions.DIRECTIONS'
    assert by_name['graphseg.models.resnet18'].canonical == 'graphseg.models.backbones.resnet18'
    for e in entries:   # the canonical name holds the same object
        assert by_name[e.canonical].obj is e.obj
