"""Bad input gets a clear error, odd input a sensible result: one table row per case, every public
entry point.

The rows live beside the tests of their package, in ``tests/<package>/bad_input.py``:
``tests/ops/``, ``tests/graphs/``, ``tests/nn/``, ``tests/models/``, ``tests/datasets/``
(graphseg.data), ``tests/engine/``, ``tests/evaluation/``, ``tests/analysis/``, ``tests/viz/`` and
``tests/commands/`` (the graphseg command). Each defines ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``;
this module concatenates them and runs the three tests.

How to add a row (other issues add rows for their new functions):

* an input that must fail goes into ``ERRORS`` as ``(id, call, exception type, message fragment)``,
  e.g. ``('ops.scatter: index float', lambda: scatter(src, idx.float()), TypeError,
  r'index must have dtype')``. The fragment is a regex searched in ``str(exception)``; it must name
  the argument (or the CLI option) and say what was expected, e.g.
  ``r'x must have in_channels = 3'``. ``id`` is ``'<module>.<name>: <case>'`` and unique across all
  packages;
* an odd input that must work goes into ``ACCEPTED`` as ``(id, call, check)``; ``check(result)``
  asserts the result is the sensible one (e.g. an int image scaled by its range, float64 kept end
  to end).

Calls are lambdas over the small cached fixtures of ``tests/bad_input_fixtures.py``, so the table
stays fast. Keep rows in the rows module of their package, in the section of their module; a public
callable that needs no row goes into that module's ``NO_ROW`` with the reason.
``test_table_covers_every_public_callable`` fails when a public function has no row.
"""
from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from tests import bad_input_bottom as bottom_rows
from tests.analysis import bad_input as analysis_rows
from tests.commands import bad_input as commands_rows
from tests.datasets import bad_input as datasets_rows
from tests.engine import bad_input as engine_rows
from tests.evaluation import bad_input as evaluation_rows
from tests.graphs import bad_input as graphs_rows
from tests.models import bad_input as models_rows
from tests.nn import bad_input as nn_rows
from tests.ops import bad_input as ops_rows
from tests.viz import bad_input as viz_rows

#: The rows modules, one per package, in the order of the table.
ROWS = (bottom_rows, ops_rows, graphs_rows, nn_rows, models_rows, datasets_rows, engine_rows,
        evaluation_rows, analysis_rows, viz_rows, commands_rows)

ERRORS = [row for rows in ROWS for row in rows.ERRORS]
ACCEPTED = [row for rows in ROWS for row in rows.ACCEPTED]


# ----------------------------------------------------------------------------- the tests

def _ids(rows):
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), 'row ids must be unique'
    return ids


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', ERRORS, ids=_ids(ERRORS))
def test_bad_input_is_rejected_by_name(case):
    _, call, exc, fragment = case
    with pytest.raises(exc, match=fragment):
        call()


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', ACCEPTED, ids=_ids(ACCEPTED))
def test_odd_input_gives_a_sensible_result(case):
    _, call, check = case
    assert check(call())


def _public_callables():
    import importlib
    import inspect
    names = set()
    for mod in ('graphseg.fileio', 'graphseg.ops', 'graphseg.ops.macs', 'graphseg.graphs',
                'graphseg.nn', 'graphseg.models', 'graphseg.data', 'graphseg.evaluation',
                'graphseg.engine', 'graphseg.analysis', 'graphseg.viz'):
        m = importlib.import_module(mod)
        short = mod.replace('graphseg.', '')
        for n in m.__all__:
            obj = getattr(m, n)
            if callable(obj) and not isinstance(obj, type(torch.float32)):
                if inspect.isclass(obj) and issubclass(obj, Data):
                    continue  # Data containers (SuperpixelData, ...): nothing to validate
                names.add(f'{short}.{n}')
    return names


#: Public callables without a bad-input row, and why (each package's NO_ROW, merged).
NO_ROW = {}
for _rows in ROWS:
    assert not set(_rows.NO_ROW) & set(NO_ROW), 'NO_ROW names must be unique'
    NO_ROW.update(_rows.NO_ROW)


def test_table_covers_every_public_callable():
    covered = set()
    for row in ERRORS + ACCEPTED:
        parts = row[0].split(':')[0].split('.')
        # 'ops.SparseMap.from_dense' covers both
        covered |= {'.'.join(parts[:i]) for i in range(1, len(parts) + 1)}
    missing = sorted(n for n in _public_callables() if n not in covered and n not in NO_ROW)
    assert not missing, f'public callables without a bad-input row: {missing}'
