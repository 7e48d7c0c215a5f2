"""Checkpoints and weights files: written atomically with a checksum beside them, read without
running code, refused when corrupted or non-finite; and the random-number-generator states a
bit-exact resume needs.

A checkpoint holds only what ``torch.load(weights_only=True)`` reads: tensors, numbers, strings and
containers of them (NumPy's generator state is stored as a tensor). :func:`save_checkpoint` writes
through :func:`graphseg.fileio.atomic_torch_save` (temporary file, ``fsync``, rename; then
``NAME.sha256``): a kill or a full disk leaves the previous checkpoint intact, never a truncated
one. :func:`load_checkpoint` checks the checksum and refuses files that need the unsafe unpickler.
"""
from __future__ import annotations

import os
import random
from typing import Any, Dict, List, Optional, Union

import numpy as np
import torch
from torch import Tensor

from ..fileio import atomic_torch_save, load_torch

PathLike = Union[str, os.PathLike]


def save_checkpoint(state: Dict[str, Any], path: PathLike, *,
                    root: Optional[PathLike] = None) -> str:
    """``torch.save(state)`` to ``path`` atomically, with ``path.sha256`` beside it; returns the
    digest.

    ``root``: the run folder the file must stay inside.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict (e.g. {{'model': model.state_dict(), ...}}), "
                        f"got {type(state).__name__}")
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
    return atomic_torch_save(state, path, root=root)


def load_checkpoint(path: PathLike, map_location: Union[str, torch.device] = 'cpu', *,
                    allow_unsafe: bool = False) -> Dict[str, Any]:
    """A checkpoint or weights file: checksum checked, no code run (``weights_only=True``).

    ``allow_unsafe=True`` reads a file that needs the unsafe unpickler (e.g. a checkpoint of an
    older graphseg, whose NumPy generator state is a pickled array): only for files you made
    yourself.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file path, got {type(path).__name__}")
    return load_torch(path, 'checkpoint', map_location=map_location, allow_unsafe=allow_unsafe)


def rng_state() -> Dict[str, Any]:
    """The states of Python's, NumPy's, torch's CPU and (when present) CUDA generators, in types
    that ``torch.load(weights_only=True)`` reads."""
    kind, key, pos, has_gauss, cached = np.random.get_state()
    state = {'python': random.getstate(),
             'numpy': {'kind': str(kind), 'key': torch.from_numpy(np.asarray(key, dtype=np.int64)),
                       'pos': int(pos), 'has_gauss': int(has_gauss),
                       'cached_gaussian': float(cached)},
             'torch': torch.get_rng_state()}
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured (also the tuple form of older checkpoints)."""
    random.setstate(state['python'])
    numpy_state = state['numpy']
    if isinstance(numpy_state, dict):
        numpy_state = (numpy_state['kind'], numpy_state['key'].numpy().astype(np.uint32),
                       numpy_state['pos'], numpy_state['has_gauss'], numpy_state['cached_gaussian'])
    np.random.set_state(numpy_state)
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


def non_finite_tensors(state: Dict[str, Any], limit: int = 5) -> List[str]:
    """The names of the floating-point tensors of ``state`` (a state_dict) holding NaN or inf (at
    most ``limit``)."""
    bad = []
    for name, value in state.items():
        if isinstance(value, Tensor) and value.is_floating_point() and value.numel() \
                and not bool(torch.isfinite(value).all()):
            bad.append(name)
            if len(bad) >= limit:
                break
    return bad


def check_finite_weights(state: Dict[str, Any], what: str) -> None:
    """``ValueError`` naming ``what`` and the first tensors when a state_dict holds NaN or inf."""
    bad = non_finite_tensors(state)
    if bad:
        raise ValueError(f"{what} holds non-finite weights (NaN or inf) in {', '.join(bad)}; "
                         f"they cannot give meaningful results")


__all__ = ['save_checkpoint', 'load_checkpoint', 'rng_state', 'set_rng_state', 'state_dict_from',
           'non_finite_tensors', 'check_finite_weights']
