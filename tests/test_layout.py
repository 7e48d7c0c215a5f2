"""The package's structure: each folder one job, every import running downward, no import cycle.

The order below is the one docs/layout.md draws. A module may import from its own
level or from a lower one; function-local imports count as imports (a lazy import upward is still an
upward dependency), and so does ``from . import name`` of a sibling module.
"""
import ast
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'graphseg'

#: the folders (and root modules) of graphseg, lowest first
ORDER = [
    ('__init__', 'check', 'typing', 'directions', 'distributed', 'fileio'),
    ('ops',),
    ('graphs',),
    ('nn',),
    ('models',),
    ('data',),
    ('viz',),
    ('analysis',),
    ('evaluation',),
    ('engine',),
    ('experiments',),
    ('commands',),
    ('cli', '__main__'),
]
LEVEL = {name: level for level, names in enumerate(ORDER) for name in names}


def _modules():
    """``{dotted module name: path}`` of every file of the package."""
    out = {}
    for path in PACKAGE.rglob('*.py'):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
        if parts[-1] == '__init__' and len(parts) > 1:
            parts = parts[:-1]
        out['.'.join(parts)] = path
    return out


MODULES = _modules()


def _room(module: str) -> str:
    """The folder (or root module) a module belongs to: ``graphseg.nn.hgconv.hgconv`` -> ``nn``."""
    parts = module.split('.')
    return '__init__' if len(parts) == 1 else parts[1]


def _imports(module: str, path: Path):
    """Every graphseg module ``module`` imports, at file level or inside functions, with the
    line."""
    is_package = path.name == '__init__.py'
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'graphseg':
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split('.') if is_package else module.split('.')[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target.split('.')[0] != 'graphseg':
                continue
            for alias in node.names:  # `from pkg import submodule` depends on the submodule
                sub = f'{target}.{alias.name}'
                yield (sub if sub in MODULES else target), node.lineno


def test_every_import_runs_downward():
    upward = []
    for module, path in MODULES.items():
        for target, line in _imports(module, path):
            if LEVEL[_room(target)] > LEVEL[_room(module)]:
                upward.append(f'{path.relative_to(PACKAGE.parent)}:{line} imports {target}')
    assert not upward, 'imports that run upward:\n' + '\n'.join(upward)


def test_every_folder_is_in_the_order():
    assert {_room(m) for m in MODULES} <= set(LEVEL)


def test_no_import_cycle():
    graph = defaultdict(set)
    for module, path in MODULES.items():
        for target, _ in _imports(module, path):
            if target != module and target in MODULES:
                graph[module].add(target)
    # a package's __init__ is where its own submodules are imported from: an edge submodule -> own
    # package (e.g. `from . import hyperseg` resolved to the package) is the package importing
    # itself, not a cycle
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 'done'

    for node in sorted(MODULES):
        if node not in state:
            visit(node)
    assert not cycles, 'import cycles:\n' + '\n'.join(' -> '.join(c) for c in cycles)


@pytest.mark.parametrize('module, absent', [
    ('graphseg.models', ('graphseg.engine', 'graphseg.evaluation', 'networkx', 'matplotlib')),
    ('graphseg.nn', ('graphseg.models', 'graphseg.engine', 'networkx', 'matplotlib')),
    ('graphseg', ('torch', 'graphseg.ops')),
])
def test_light_imports(module, absent):
    """Importing the model zoo does not load the training engine, the road metric (networkx) or
    matplotlib."""
    code = (f'import sys, {module}\nprint(",".join(m for m in {absent!r} if m in sys.modules))')
    env = dict(os.environ,
               PYTHONPATH=str(PACKAGE.parent) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '', f'import {module} loaded {out.stdout.strip()}'


def _ruff(*args):
    """``ruff`` (a test dependency, pinned in pyproject.toml) on the repository."""
    return subprocess.run([sys.executable, '-m', 'ruff', *args], capture_output=True, text=True,
                          cwd=PACKAGE.parent, timeout=300)


def test_lint_is_clean():
    """``ruff check`` with the project's rules (pyproject.toml): pyflakes, pycodestyle, lines <= 100
    characters, McCabe complexity <= 15 everywhere."""
    out = _ruff('check', 'graphseg', 'tests', 'scripts')
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


@pytest.mark.parametrize('path', ['graphseg/engine/train.py', 'graphseg/models/official.py'])
def test_the_loop_and_the_checkpoint_loader_stay_simple(path):
    """The training loop and ``load_official`` read as a table of contents: complexity <= 10."""
    out = _ruff('check', '--select', 'C901', '--config', 'lint.mccabe.max-complexity = 10', path)
    assert out.returncode == 0, out.stdout[-4000:]
