"""The README's demo numbers are those of a real demo run: the block between ``<!-- demo:begin -->``
and ``<!-- demo:end -->`` is exactly what ``graphseg demo --readme`` prints from
``tests/data/demo_run.json``, the ``run.json`` of the README's own demo command (copied from the
run, never edited by hand).

To refresh after a change that moves the numbers: run the README's demo command on a quiet machine,
copy its ``run.json`` to ``tests/data/demo_run.json`` and paste what
``graphseg demo --readme graphseg_out/demo`` prints into the README.
"""
import json
import os
import re

import pytest

from graphseg.commands import demo as demo_command
from graphseg.experiments.demo import README_BEGIN, README_END, readme_block
from tests.helpers import ROOT

RUN_JSON = os.path.join(ROOT, 'tests', 'data', 'demo_run.json')


def _readme() -> str:
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def _record() -> dict:
    with open(RUN_JSON, encoding='utf-8') as f:
        return json.load(f)


def readme_block_in_readme():
    """The README's block from its begin to its end marker (both included, with the newline after
    the end marker), or ``None`` when the README has neither marker."""
    text = _readme()
    begins, ends = text.count(README_BEGIN), text.count(README_END)
    if begins == ends == 0:
        return None
    assert begins == ends == 1, (f'README.md must hold one {README_BEGIN} and one {README_END}, '
                                 f'holds {begins} and {ends}')
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    assert start < end, f'{README_END} comes before {README_BEGIN} in README.md'
    return text[start:end] + '\n'


def _skip_without_block():
    block = readme_block_in_readme()
    if block is None:
        pytest.skip(f'README.md has no demo block yet (neither {README_BEGIN} nor {README_END}); '
                    'paste what `graphseg demo --readme RUN_DIR` prints')
    return block


def test_committed_run_is_a_full_run_of_the_readme_command():
    """Once the README quotes it, demo_run.json is a completed run of plain ``graphseg demo``:
    the default models and sizes, not ``--quick``, so the README quotes the demo a newcomer
    runs."""
    _skip_without_block()
    record = _record()
    assert record['command'] == 'demo' and record['status'] == 'completed'
    assert not record['failures']
    options = record['options']
    assert not options['quick'] and options['model'] == 'fcn_small,hg_fcn_small'
    for key, default in demo_command.DEFAULTS.items():
        assert options[key] == default, key
    assert set(record['results']) == {'fcn_small', 'hg_fcn_small'}
    assert record['wall_seconds'] >= record['seconds'] > 0
    # the README's step 1 runs the same command (only --out differs)
    command = re.search(r'&& graphseg (demo[^\n]*)', _readme())
    assert command is not None, "README.md's step 1 must run `graphseg demo`"
    words = command.group(1).split()
    assert [w for w in words if w.startswith('--') and w != '--out'] == [], words


def test_readme_demo_block_is_what_the_demo_run_printed():
    block = _skip_without_block()
    expected = readme_block(_record())
    assert block == expected, ('README.md\'s demo block differs from what '
                               '`graphseg demo --readme tests/data/demo_run.json` prints:\n'
                               f'{expected}')


def test_readme_command_prints_the_block(capsys):
    """``graphseg demo --readme FILE`` prints the block, and trains nothing (once the README quotes
    the committed run: until then demo_run.json may be of an older format, which ``--readme``
    refuses; tests/commands/test_demo.py runs ``--readme`` on a fresh run)."""
    from graphseg.cli import main
    _skip_without_block()
    assert main(['demo', '--readme', RUN_JSON]) == 0
    assert capsys.readouterr().out == readme_block(_record())
