"""Scatter reductions and segment softmax with selectable backends.

Two backends compute the same thing:

* ``'torch'`` (default): native ``scatter_add`` / ``scatter_reduce``. On the
  2-core CPU this project is developed on it is as fast as ``torch_scatter``
  for ``sum`` and 2.5-3.5x faster for ``max`` (``scripts/bench_graphs.py``).
* ``'torch_scatter'``: the PyG extension package, when it imports
  (:data:`graphseg.typing.WITH_TORCH_SCATTER`).

Choose per call (``backend=...``), or globally with :func:`set_backend` /
the :func:`use_backend` context manager.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import torch
from torch import Tensor

from ..check import check_choice, check_index, check_same_device, check_tensor
from ..typing import WITH_TORCH_SCATTER, WITH_TORCH_SPARSE
from .amp import is_low_precision

REDUCTIONS = ('sum', 'mean', 'max', 'min')
BACKENDS = ('torch', 'torch_scatter', 'torch_sparse')

_backend = 'torch'


def available_backends() -> tuple:
    """The backends that import on this machine (``'torch'`` always does)."""
    out = ['torch']
    if WITH_TORCH_SCATTER:
        out.append('torch_scatter')
    if WITH_TORCH_SPARSE:
        out.append('torch_sparse')
    return tuple(out)


def set_backend(name: str) -> None:
    """Select the default backend of :func:`scatter` and the typed-edge kernel."""
    check_choice(name, 'backend', BACKENDS)
    if name not in available_backends():
        raise ImportError(f"backend {name!r} is not installed here; available: "
                          f"{available_backends()}")
    global _backend
    _backend = name


def get_backend() -> str:
    """The current default backend name."""
    return _backend


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Context manager that temporarily switches the default backend."""
    old = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(old)


def resolve_backend(backend: Optional[str]) -> str:
    """Validate ``backend`` (``None`` means the global default) and return its name."""
    if backend is None:
        return _backend
    check_choice(backend, 'backend', BACKENDS)
    if backend not in available_backends():
        raise ImportError(f"backend {backend!r} is not installed here; available: "
                          f"{available_backends()}")
    return backend


def _broadcast(index: Tensor, src: Tensor, dim: int) -> Tensor:
    shape = [1] * src.dim()
    shape[dim] = -1
    return index.view(shape).expand_as(src)


def scatter(src: Tensor, index: Tensor, dim: int = 0, dim_size: Optional[int] = None,
            reduce: str = 'sum', *, backend: Optional[str] = None) -> Tensor:
    r"""Reduce all values of ``src`` that share an ``index`` along ``dim``.

    .. math::
        \mathrm{out}_{\ldots, i, \ldots} =
        \bigoplus_{j:\ \mathrm{index}_j = i} \mathrm{src}_{\ldots, j, \ldots}

    with :math:`\bigoplus` one of ``sum``, ``mean``, ``max``, ``min``. Output
    rows that receive nothing are 0 (the ``torch_scatter`` / PyG convention).

    Args:
        src (Tensor): values to reduce.
        index (LongTensor): 1-D, one target per entry of ``src`` along ``dim``.
        dim (int): the dimension to reduce along. (default: ``0``)
        dim_size (int, optional): size of ``out`` along ``dim``;
            default ``index.max() + 1``.
        reduce (str): ``'sum'``, ``'mean'``, ``'max'`` or ``'min'``.
        backend (str, optional): ``'torch'`` or ``'torch_scatter'``; default
            the global backend (:func:`set_backend`).

    Mixed precision: bfloat16 / float16 sums and means accumulate in float32 and are returned in
    ``src``'s dtype (``'torch'`` backend).

    Shapes:
        - **input:** src :math:`(*, N, *)`, index :math:`(N,)`
        - **output:** :math:`(*, \text{dim\_size}, *)`
    """
    check_tensor(src, 'src')
    check_index(index, 'index')
    check_same_device('src', src, 'index', index)
    check_choice(reduce, 'reduce', REDUCTIONS)
    if src.dim() == 0:
        raise ValueError("src must have at least one dimension, got a 0-D tensor")
    if not -src.dim() <= dim < src.dim():
        raise ValueError(f"dim must be in [{-src.dim()}, {src.dim() - 1}] for src of shape "
                         f"{tuple(src.shape)}, got {dim}")
    dim = dim % src.dim()
    if index.dim() != 1 or index.numel() != src.size(dim):
        raise ValueError(f"index must be 1-D with src.size({dim}) = {src.size(dim)} entries, "
                         f"got shape {tuple(index.shape)}")
    if dim_size is None:
        dim_size = int(index.max()) + 1 if index.numel() > 0 else 0
    elif dim_size < 0:
        raise ValueError(f"dim_size must be >= 0, got {dim_size}")
    index = index.long()
    backend = resolve_backend(backend)

    if backend == 'torch_scatter':
        import torch_scatter  # optional backend (WITH_TORCH_SCATTER)
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= dim_size):
            _index_range_error(index, dim_size)  # torch_scatter would write out of bounds
        return torch_scatter.scatter(src, index, dim, dim_size=dim_size, reduce=reduce)
    try:
        if reduce in ('sum', 'mean') and is_low_precision(src):
            # bf16 / fp16 sums accumulate in float32 (8 or 11 bits of mantissa lose the small terms
            # of a long sum), returned in src's dtype
            return _scatter_torch(src.float(), index, dim, dim_size, reduce).to(src.dtype)
        return _scatter_torch(src, index, dim, dim_size, reduce)
    # no check on the hot path: name the argument once torch complains
    except (RuntimeError, IndexError) as e:
        if index.device.type != 'meta' and index.numel() and (int(index.min()) < 0
                                                                or int(index.max()) >= dim_size):
            _index_range_error(index, dim_size, e)
        raise


def _index_range_error(index: Tensor, dim_size: int, cause: Optional[BaseException] = None) -> None:
    raise ValueError(f"index values must lie in [0, {dim_size - 1}] (dim_size = {dim_size}), got "
                     f"[{int(index.min())}, {int(index.max())}]") from cause


def _scatter_torch(src: Tensor, index: Tensor, dim: int, dim_size: int, reduce: str) -> Tensor:
    size = list(src.shape)
    size[dim] = dim_size
    if reduce in ('sum', 'mean'):
        # scatter_add with a broadcast index: the sums of index_add at the same speed, but autograd
        # keeps only the index for backward (index_add also keeps `src`, e.g. all edge messages)
        out = src.new_zeros(size).scatter_add(dim, _broadcast(index, src, dim), src)
        if reduce == 'mean':
            count = torch.bincount(index, minlength=dim_size).clamp_(min=1)
            shape = [1] * src.dim()
            shape[dim] = -1
            out = out / count.view(shape).to(src.dtype)
        return out
    amode = 'amax' if reduce == 'max' else 'amin'
    return src.new_zeros(size).scatter_reduce(dim, _broadcast(index, src, dim), src, amode,
                                              include_self=False)


def segment_softmax(src: Tensor, index: Tensor, num_segments: Optional[int] = None,
                    dim: int = 0) -> Tensor:
    r"""Softmax over the entries of ``src`` that share an ``index`` (one softmax per segment).

    .. math::
        \mathrm{out}_j = \frac{\exp(\mathrm{src}_j - m_{i})}{\sum_{k:\ \mathrm{index}_k = i}
        \exp(\mathrm{src}_k - m_i)}, \qquad i = \mathrm{index}_j,\ m_i = \max_k \mathrm{src}_k

    The per-segment maximum is subtracted for numerical stability (it cancels
    exactly, so it is treated as a constant for autograd).

    Args:
        src (Tensor): scores, e.g. attention logits per edge.
        index (LongTensor): 1-D segment id of each entry along ``dim``
            (e.g. the target node of each edge).
        num_segments (int, optional): number of segments; default ``index.max() + 1``.
        dim (int): the dimension the segments run along. (default: ``0``)

    Shapes:
        - **input:** src :math:`(*, E, *)`, index :math:`(E,)`
        - **output:** same shape as ``src``; entries of one segment sum to 1.
    """
    check_tensor(src, 'src')
    if not src.is_floating_point():
        raise TypeError(f"src must have a floating-point dtype, got {src.dtype}")
    check_index(index, 'index')
    dim = dim % max(src.dim(), 1)
    if num_segments is None:
        num_segments = int(index.max()) + 1 if index.numel() > 0 else 0
    src_max = scatter(src.detach(), index, dim, num_segments, reduce='max')
    out = (src - src_max.index_select(dim, index.long())).exp()
    out_sum = scatter(out, index, dim, num_segments, reduce='sum')
    return out / out_sum.index_select(dim, index.long()).clamp_min(torch.finfo(src.dtype).tiny)


__all__ = ['scatter', 'segment_softmax', 'set_backend', 'get_backend', 'use_backend',
           'available_backends', 'resolve_backend', 'REDUCTIONS', 'BACKENDS']
