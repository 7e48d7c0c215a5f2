"""The graphseg command as a user meets it: --version, help for every option, one-line errors,
the python -m graphseg entry point."""
import argparse
import os
import subprocess
import sys

import pytest

from graphseg.cli import build_parser, main
from tests.helpers import ROOT


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'graphseg', *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_version_and_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(['--version'])
    assert e.value.code == 0 and capsys.readouterr().out.startswith('graphseg 0.')
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) >= {'graph', 'train', 'eval', 'demo', 'info'}
    for verb, p in sub.choices.items():
        text = p.format_help()
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f'{verb} {action.dest} has no help text'
            if action.option_strings and not any(
                action.default is v for v in (None, False, argparse.SUPPRESS)
            ):
                assert f'(default: {action.default})' in ' '.join(text.split()), (
                    f'{verb} {action.dest}'
                )


def test_user_errors_are_one_line_without_traceback(tmp_path):
    cfg = tmp_path / 'c.yaml'
    cfg.write_text('train: {optimizer: sgdd}\n')
    cases = [
        (['graph', str(tmp_path / 'missing.png'), '--out', str(tmp_path / 'g')], "image '"),
        (
            ['train', '--config', str(tmp_path / 'nope.yaml'), '--out', str(tmp_path / 't')],
            'does not exist',
        ),
        (
            ['train', '--config', str(cfg), '--out', str(tmp_path / 't')],
            "train.optimizer must be one of",
        ),
        (
            [
                'eval',
                '--config',
                str(cfg),
                '--weights',
                str(tmp_path / 'w.pt'),
                '--out',
                str(tmp_path / 'e'),
            ],
            'train.optimizer',
        ),
        (
            ['demo', '--model', 'nope', '--out', str(tmp_path / 'd')],
            '--model must name registered segmentation',
        ),
        (
            ['graph', 'astronaut', '--n-segments', '0', '--out', str(tmp_path / 'g')],
            '--n-segments must be >= 1',
        ),
    ]
    for k, (argv, fragment) in enumerate(cases):
        if k < 2:  # as a process: exit status 1, one line on stderr, no traceback
            res = _cli(*argv)
            code, lines = res.returncode, res.stderr.strip().splitlines()
        else:  # in-process: the same SystemExit message
            with pytest.raises(SystemExit) as e:
                main(argv)
            code, lines = 1, str(e.value.code).splitlines()
        assert code == 1 and len(lines) == 1, (argv, lines)
        assert lines[0].startswith(f'graphseg {argv[0]}: error: ') and fragment in lines[0], lines[
            0
        ]
    assert not any((tmp_path / d).exists() for d in 'gted')  # no run folder for invalid arguments


def test_cli_module_entry_point_and_errors(tmp_path):
    out = subprocess.run([sys.executable, '-m', 'graphseg', 'info'], capture_output=True, text=True)
    assert out.returncode == 0 and 'backends: torch' in out.stdout
    bad = subprocess.run([sys.executable, '-m', 'graphseg', 'graph', 'astronaut', '--kind', 'nope'],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice: 'nope'" in bad.stderr
    with pytest.raises(SystemExit,
                       match=r"graphseg graph: error: image '.*missing.png' is neither an image "
                             r"file"):
        main(['graph', str(tmp_path / 'missing.png'), '--out', str(tmp_path / 'out')])
    assert not (tmp_path / 'out').exists()  # nothing is created for invalid arguments


def test_each_verb_module_has_the_help_line_of_the_table():
    """``graphseg --help`` shows cli.COMMANDS' help lines without importing the verbs: each must
    be the text the verb's own parser carries."""
    from graphseg.cli import COMMANDS
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = {a.dest: a.help for a in sub._choices_actions}
    assert {verb: text for verb, (_, text) in COMMANDS.items()} == own


def test_version_and_help_import_no_verb_and_no_torch():
    """``graphseg --version`` and ``--help`` build only the parser skeleton: no verb module, no
    torch (they must start well under a second; measured in the closing note, not here)."""
    code = ('import sys\nfrom graphseg.cli import main\nfor argv in (["--version"], ["--help"]):\n'
            '    try:\n        main(argv)\n    except SystemExit:\n        pass\n'
            'loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith('
            '"graphseg.commands.") and m != "graphseg.commands._common")\n'
            'print("LOADED", loaded)\n')
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert 'LOADED []' in res.stdout, res.stdout[-500:]


def test_a_named_verb_builds_only_its_parser(capsys):
    with pytest.raises(SystemExit) as e:
        main(['configs', '--help'])
    assert e.value.code == 0 and 'shipped with graphseg' in capsys.readouterr().out
