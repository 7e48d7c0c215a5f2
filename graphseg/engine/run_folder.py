"""Run folders: validated before they are created, never silently overwritten, described by
``run.json``.

Every ``graphseg`` command writes into one run folder (``--out``). :func:`check_run_dir`
runs before anything is created: an existing, non-empty folder is refused unless
``overwrite`` (or ``resume``) is given. :func:`run_record` collects what makes a run
reproducible (command line, resolved config, models, data options, versions, git commit);
:func:`write_json` writes atomically. :func:`unique_names` gives distinct output names to
inputs that share a file name (``a/x.png``, ``b/x.png`` -> ``x``, ``x-2``).
"""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy
import torch
import torch_geometric

from .. import __version__
from ..fileio import LOCK_NAME, TEMP_SUFFIX, atomic_write_text


def check_run_dir(path: str, overwrite: bool = False, resume: bool = False) -> str:
    """Validate an output folder *without creating it*; returns its absolute path.

    Raises ``FileExistsError`` if ``path`` is a non-empty folder (and neither ``overwrite`` nor
    ``resume``), ``NotADirectoryError`` if it is a file, ``PermissionError`` if its nearest existing
    parent is not writable.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"--out {path!r} is a file, expected a folder")
    if os.path.isdir(path) and _results(path) and not (overwrite or resume):
        raise FileExistsError(f"--out {path!r} already holds results; pass --overwrite to replace "
                              f"them or choose another --out")
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):  # e.g. --out some_file/run
        raise NotADirectoryError(f"--out {path!r} cannot be created: {parent!r} is a file, not a "
                                 "folder")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"--out {path!r}: cannot write into {parent!r}")
    return path


def _results(path: str) -> List[str]:
    """What a folder holds besides graphseg's own housekeeping (its lock file, the temporary files
    of a killed write)."""
    return [e for e in os.listdir(path)
            if e != LOCK_NAME and not (e.startswith('.') and e.endswith(TEMP_SUFFIX))]


def create_run_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def write_json(path: str, obj: Any, *, root: Optional[str] = None) -> None:
    """``json.dump`` through :func:`graphseg.fileio.atomic_write` (complete or absent, never a
    truncated file; confined to ``root``); non-JSON values become strings, NaN / inf become
    ``null``."""
    text = json.dumps(_finite(obj), indent=2, default=_jsonable, allow_nan=False) + '\n'
    atomic_write_text(path, text, root=root)


def _finite(o: Any) -> Any:
    """``obj`` with float NaN / inf replaced by ``None`` (strict JSON)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


#: the files graphseg writes into a run folder (``--overwrite`` removes these, and only these,
#: first)
OUTPUTS = ('config.yaml', 'run.json', 'model.pt', 'model.pt.sha256', 'checkpoint.pt',
           'checkpoint.pt.sha256', 'report.md')


def remove_evaluations(folder: str) -> List[str]:
    """Remove the evaluations ``graphseg eval`` wrote inside a run folder (``eval/<tag>/`` folders
    whose ``run.json`` records an ``eval`` command; nothing else), since they evaluated weights an
    ``--overwrite`` replaces; returns the removed tags."""
    import shutil
    root = os.path.join(folder, 'eval')
    if os.path.islink(root) or not os.path.isdir(root):
        return []
    removed = []
    for tag in sorted(os.listdir(root)):
        path = os.path.join(root, tag)
        try:
            with open(os.path.join(path, 'run.json'), encoding='utf-8') as f:
                ours = json.load(f).get('command') == 'eval'
        except (OSError, ValueError, AttributeError):
            ours = False
        if ours and not os.path.islink(path):
            shutil.rmtree(path)
            removed.append(tag)
    if not os.listdir(root):
        os.rmdir(root)
    return removed


def remove_outputs(folder: str, names: Sequence[str] = OUTPUTS) -> List[str]:
    """Remove the files ``names`` of a previous run from ``folder`` (links themselves, never their
    targets), so that a failed ``--overwrite`` never leaves old weights beside a new config; returns
    what was removed."""
    removed = []
    for name in names:
        path = os.path.join(folder, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
            removed.append(name)
    return removed


def _jsonable(o: Any) -> Any:
    if hasattr(o, 'tolist'):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def unique_names(sources: Sequence[str]) -> List[str]:
    """Output stems for ``sources``: the file name without extension, ``-2``, ``-3``, ... on
    collisions."""
    used, out = set(), []
    for s in sources:
        stem = os.path.splitext(os.path.basename(os.fspath(s).rstrip('/\\')))[0] or 'input'
        name, k = stem, 1
        while name in used:
            k += 1
            name = f'{stem}-{k}'
        used.add(name)
        out.append(name)
    return out


def git_commit() -> Optional[Dict[str, Any]]:
    """The commit of the graphseg source checkout (and whether it has uncommitted changes), if it is
    a git work tree and git exists; else ``None``."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        sha = subprocess.run(['git', '-C', here, 'rev-parse', 'HEAD'], capture_output=True,
                             text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(['git', '-C', here, 'status', '--porcelain', '--untracked-files=no'],
                               capture_output=True, text=True, timeout=10)
        return {'commit': sha.stdout.strip(), 'dirty': bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> Dict[str, Optional[str]]:

    return {'graphseg': __version__, 'python': platform.python_version(),
            'torch': torch.__version__, 'torch_geometric': torch_geometric.__version__,
            'numpy': numpy.__version__, 'cuda': torch.version.cuda,
            'cudnn': str(torch.backends.cudnn.version()) if torch.cuda.is_available() else None,
            'platform': platform.platform(),
            'device_name': torch.cuda.get_device_name() if torch.cuda.is_available() else None}


def run_record(command: str, argv: Optional[Sequence[str]] = None, **fields: Any) -> Dict[str, Any]:
    """The ``run.json`` skeleton: command, command line, working folder, start time, versions, git
    commit."""
    return {'command': command, 'argv': list(argv if argv is not None else sys.argv),
            'cwd': os.getcwd(), 'started': time.strftime('%Y-%m-%dT%H:%M:%S%z'),
            'status': 'running', 'versions': versions(), 'git': git_commit(), **fields}


def finish_record(record: Dict[str, Any], status: str = 'completed') -> Dict[str, Any]:
    record['status'] = status
    record['finished'] = time.strftime('%Y-%m-%dT%H:%M:%S%z')
    return record


__all__ = ['remove_outputs', 'remove_evaluations', 'OUTPUTS', 'check_run_dir', 'create_run_dir',
           'write_json', 'unique_names', 'git_commit', 'versions', 'run_record', 'finish_record']
