"""Checkpoints written atomically, and the random-number-generator states a bit-exact resume needs.

:func:`save_checkpoint` writes to a temporary file in the target folder and renames it
(``os.replace``, atomic on POSIX and Windows): a crash while saving leaves the previous
checkpoint intact, never a truncated one.
"""
from __future__ import annotations

import os
import pickle
import random
import tempfile
from typing import Any, Dict, Union

import numpy as np
import torch


def save_checkpoint(state: Dict[str, Any], path: Union[str, os.PathLike]) -> None:
    """``torch.save(state)`` to ``path`` through a temporary file + rename."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict (e.g. {{'model': model.state_dict(), ...}}), got "
                        f"{type(state).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    parent = folder
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(f"path {path!r} cannot be written: {parent!r} is a file, not a "
                                 "folder")
    if os.path.isdir(path):
        raise IsADirectoryError(f"path {path!r} is a folder, expected a checkpoint file name")
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(path: Union[str, os.PathLike],
                    map_location: Union[str, torch.device] = 'cpu') -> Dict[str, Any]:
    """A checkpoint written by :func:`save_checkpoint` (``FileNotFoundError`` naming the path if
    missing)."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"checkpoint {os.fspath(path)!r} is a folder, expected a "
                                "checkpoint file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint {os.fspath(path)!r} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except (pickle.UnpicklingError, EOFError, RuntimeError) as e:
        raise ValueError(f"checkpoint {os.fspath(path)!r} is not a readable torch checkpoint "
                         f"({type(e).__name__}: {e})") from e


def rng_state() -> Dict[str, Any]:
    """The states of Python's, NumPy's, torch's CPU and (when present) CUDA generators."""
    state = {'python': random.getstate(), 'numpy': np.random.get_state(),
             'torch': torch.get_rng_state()}
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def state_dict_from(obj: Any) -> Dict[str, Any]:
    """A model ``state_dict`` from a weights file's content: a plain state_dict or a graphseg
    checkpoint."""
    if isinstance(obj, dict) and 'model' in obj and isinstance(obj['model'], dict):
        return obj['model']
    if isinstance(obj, dict):
        return obj
    raise TypeError("weights must hold a state_dict or a graphseg checkpoint, got "
                    f"{type(obj).__name__}")


__all__ = ['save_checkpoint', 'load_checkpoint', 'rng_state', 'set_rng_state', 'state_dict_from']
