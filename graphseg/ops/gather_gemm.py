r"""Gather-GEMM-scatter submanifold convolution on a neighbour table (forward and backward).

A submanifold convolution with a 3x3 kernel (Graham et al., CVPR 2018) sums,
for every active site :math:`i`, the products :math:`\mathbf{x}_j \mathbf{W}_k`
over its active neighbours :math:`j` = ``table[i, k]`` (the neighbour table of
:func:`~graphseg.ops.neighbor_table`, offset :math:`k` of
:data:`~graphseg.graphs.DIRECTIONS`). :func:`~graphseg.ops.typed_matmul_scatter`
computes it as one matmul with all 9 weights and a gather + scatter of the
:math:`E` messages: :math:`9 N C C'` multiply-adds whatever the active set. Two
plans here multiply only what is needed and avoid the per-element scatter:

* ``'im2col'`` (dense neighbourhoods): the rows of the 9 neighbours of a chunk of
  sites are gathered side by side (a zero row for inactive ones) and multiplied
  by the ``(9 C, C')`` weight in one GEMM per chunk -- no scatter at all; the
  chunk stays cache-sized on the CPU. :math:`9 N C C'` multiply-adds, but in the
  most efficient GEMM shape.
* ``'pairs'`` (sparse neighbourhoods, spconv's scheme): the centre offset is one
  GEMM; the other pairs ``(j -> i, k)`` are grouped by offset, their source rows
  gathered, multiplied per offset (:math:`E C C'` multiply-adds in all) and added
  into their targets with ``index_add_``, in cache-sized runs of offset groups
  that reuse two buffers.

:func:`conv_plan` picks the plan by the fill :math:`E / 9N` of the table
(:data:`IM2COL_FILL`). The backward pass needs no extra index: the kernel map of
a submanifold convolution is symmetric (site :math:`j` is at offset :math:`k`
of :math:`i` iff :math:`i` is at the opposite offset :math:`8 - k` of
:math:`j`), so :math:`\partial L / \partial \mathbf{x}` is the same plan run on
:math:`\partial L / \partial \mathbf{out}` with the weights
:math:`\mathbf{W}_{8-k}^\top`, and :math:`\partial L / \partial \mathbf{W}_k`
is a GEMM of the same gathered rows. Autograd keeps only ``x``, the weights and
the plan (no per-edge tensor).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..check import (check_choice, check_floating, check_index, check_int, check_ndim,
                     check_same_device)
from ..directions import CENTER, NUM_DIRECTIONS
from .amp import autocast_enabled, is_low_precision

PLANS = ('auto', 'im2col', 'pairs')
#: ``'auto'`` takes ``'im2col'`` when at least this fraction of the 9 N (site, offset) pairs is
#: active. Measured with ``scripts/bench_sparse.py``-style boundary bands on a 256x512 grid (CPU, C
#: = 64 / 128, 1 and 2 threads, forward and forward+backward): at 30 % active (fill 0.89) im2col is
#: 1.1-1.3x faster than pairs, at 20 % (fill 0.82) they are even (0.9-1.1x), at 10 % (fill 0.58)
#: pairs is 1.3-2x faster.
IM2COL_FILL: float = 0.75
#: Bytes of gathered im2col rows per chunk and CPU thread (cache blocking of gather + GEMM).
IM2COL_CHUNK_BYTES: int = 4 << 20
#: Bytes of gathered source rows per run of offset groups of the ``'pairs'`` plan (CPU cache
#: blocking).
PAIRS_RUN_BYTES: int = 4 << 20


@dataclass(frozen=True)
class ConvPlan:
    r"""How a submanifold convolution visits the (site, offset) pairs of one neighbour table.

    Attributes:
        kind: ``'im2col'`` or ``'pairs'``.
        num_sites: :math:`N`.
        num_pairs: :math:`E`, the active (site, offset) pairs, centre included.
        cols: ``'im2col'``: the neighbour table with inactive entries set to :math:`N`
            (the zero row appended to the input), :math:`(N, 9)`.
        src, dst: ``'pairs'``: source and target site of every non-centre pair,
            grouped by offset, :math:`(E - N,)` each.
        sizes: ``'pairs'``: pairs per offset ``k`` (0 for the centre), 9 ints.
    """

    kind: str
    num_sites: int
    num_pairs: int
    cols: Optional[Tensor] = None
    src: Optional[Tensor] = None
    dst: Optional[Tensor] = None
    sizes: Tuple[int, ...] = ()

    def __post_init__(self) -> None:  # a hand-built plan; conv_plan builds valid ones
        check_choice(self.kind, 'kind', PLANS[1:])
        check_int(self.num_sites, 'num_sites', 0)
        check_int(self.num_pairs, 'num_pairs', 0)
        if (self.cols if self.kind == 'im2col' else self.src) is None:
            raise ValueError(
                f"a {self.kind!r} plan needs "
                + ("cols" if self.kind == 'im2col' else "src, dst, sizes")
                + "; build plans with conv_plan(table)"
            )

    @property
    def fill(self) -> float:
        """:math:`E / 9N`, the active fraction of all (site, offset) pairs."""
        return self.num_pairs / max(1, NUM_DIRECTIONS * self.num_sites)


def conv_plan(table: Tensor, kind: str = 'auto') -> ConvPlan:
    r"""The plan of a 3x3 submanifold convolution over a neighbour table.

    Args:
        table (LongTensor): ``table[i, k]`` = the active site at offset
            ``DIRECTIONS[k]`` of site ``i``, ``-1`` if none
            (:func:`~graphseg.ops.neighbor_table`); ``table[i, 4] = i``.
        kind (str): ``'auto'``, ``'im2col'`` or ``'pairs'`` (see the module doc).

    Shapes:
        - **input:** :math:`(N, 9)`
    """
    if kind not in PLANS:
        raise ValueError(f"kind must be one of {PLANS}, got {kind!r}")
    check_ndim(table, 'table', 2, '(N, 9)')
    check_index(table, 'table')
    if table.size(1) != NUM_DIRECTIONS:
        raise ValueError(f"table must have shape (N, 9), got {tuple(table.shape)}")
    N = table.size(0)
    if N:
        lo, hi = torch.stack(torch.aminmax(table)).tolist()  # one pass, one sync
        if not -1 <= lo <= hi < N:
            raise ValueError(f"table values must be site ids in [0, {N - 1}] or -1 (no "
                             f"neighbour), got [{lo}, {hi}]")
    active = table >= 0
    E = int(active.sum())
    if kind == 'auto':
        kind = 'im2col' if E >= IM2COL_FILL * NUM_DIRECTIONS * N else 'pairs'
    if kind == 'im2col':
        return ConvPlan('im2col', N, E, cols=torch.where(active, table, N).contiguous())
    active[:, CENTER] = False
    k, dst = active.t().nonzero(as_tuple=True)  # grouped by offset, targets ascending within each
    src = table[dst, k]
    sizes = torch.bincount(k, minlength=NUM_DIRECTIONS).tolist()
    return ConvPlan('pairs', N, E, src=src, dst=dst, sizes=tuple(sizes))


def _im2col_chunk(C: int, x: Tensor) -> int:
    if x.device.type != 'cpu':
        return 1 << 62  # one chunk: the GPU wants one large GEMM
    return max(
        16, IM2COL_CHUNK_BYTES * torch.get_num_threads() // (NUM_DIRECTIONS * C * x.element_size())
    )


def _pair_runs(x: Tensor, C: int, sizes: Tuple[int, ...]):
    """Runs of consecutive offset groups of a ``'pairs'`` plan whose gathered rows fit
    :data:`PAIRS_RUN_BYTES` (one group per run if it is larger; one run on a GPU):
    ``(start, end, groups)`` with ``groups`` the ``(offset k, start, end)`` of each non-empty group
    in the run."""
    budget = 1 << 62 if x.device.type != 'cpu' else max(1,
                                                        PAIRS_RUN_BYTES // (C * x.element_size()))
    runs, groups, run_start, start = [], [], 0, 0
    for k, n in enumerate(sizes):
        if not n:
            continue
        if groups and start + n - run_start > budget:
            runs.append((run_start, start, groups))
            groups, run_start = [], start
        groups.append((k, start, start + n))
        start += n
    if groups:
        runs.append((run_start, start, groups))
    return runs


def _apply(x: Tensor, weight: Tensor, plan: ConvPlan) -> Tensor:
    """:math:`\\mathbf{out}_i = \\sum_k \\mathbf{x}_{table[i, k]} \\mathbf{W}_k` (no autograd)."""
    N, C = x.shape
    C_out = weight.size(2)
    if plan.kind == 'im2col':
        xpad = torch.cat([x, x.new_zeros(1, C)])  # (N + 1, C): row N is the inactive neighbour
        w = weight.reshape(NUM_DIRECTIONS * C, C_out)  # (9 C, C')
        out = x.new_empty(N, C_out)
        step = _im2col_chunk(C, x)
        for s in range(0, N, step):
            rows = xpad.index_select(0, plan.cols[s:s + step].reshape(-1))  # (n * 9, C)
            torch.mm(rows.view(-1, NUM_DIRECTIONS * C), w, out=out[s:s + step])
        return out
    out = x @ weight[CENTER]  # (N, C')
    low = is_low_precision(x)
    if low and plan.src.numel():  # bf16 / fp16: the 9 offsets' products accumulate in float32
        out = out.float()
    if plan.src.numel():
        # per run of offset groups: gather the source rows, one GEMM per offset, one index_add_ into
        # the targets, in two cache-sized buffers that every run reuses (buffers of all E - N pairs
        # at once leave the gathered rows out of cache by the time of the GEMM, and take fresh pages
        # on every call)
        runs = _pair_runs(x, max(C, C_out), plan.sizes)
        n_max = max(e - s for s, e, _ in runs)
        rows_buf, msg_buf = x.new_empty(n_max, C), x.new_empty(n_max, C_out)
        for s, e, groups in runs:
            rows = torch.index_select(x, 0, plan.src[s:e], out=rows_buf[:e - s])  # (n, C)
            msg = msg_buf[:e - s]  # (n, C')
            for k, a, b in groups:
                torch.mm(rows[a - s:b - s], weight[k], out=msg[a - s:b - s])
            out.index_add_(0, plan.dst[s:e], msg.float() if low else msg)
    return out.to(x.dtype)


def _weight_grad(x: Tensor, grad_out: Tensor, plan: ConvPlan) -> Tensor:
    r"""Weight gradient per offset,
    :math:`\sum_i \mathbf{x}_{table[i, k]}^\top \partial L / \partial \mathbf{y}_i`."""
    N, C = x.shape
    C_out = grad_out.size(1)
    if plan.kind == 'im2col':
        xpad = torch.cat([x, x.new_zeros(1, C)])
        grad = x.new_zeros(NUM_DIRECTIONS * C, C_out)
        step = _im2col_chunk(C, x)
        for s in range(0, N, step):
            rows = xpad.index_select(0, plan.cols[s:s + step].reshape(-1)).view(-1,
                                                                                NUM_DIRECTIONS * C)
            grad.addmm_(rows.t(), grad_out[s:s + step])
        return grad.view(NUM_DIRECTIONS, C, C_out)
    grad = x.new_zeros(NUM_DIRECTIONS, C, C_out)
    torch.mm(x.t(), grad_out, out=grad[CENTER])
    if plan.src.numel():
        runs = _pair_runs(x, max(C, C_out), plan.sizes)
        n_max = max(e - s for s, e, _ in runs)
        rows_buf, g_buf = x.new_empty(n_max, C), x.new_empty(n_max, C_out)
        for s, e, groups in runs:
            rows = torch.index_select(x, 0, plan.src[s:e], out=rows_buf[:e - s])  # (n, C)
            g = torch.index_select(grad_out, 0, plan.dst[s:e], out=g_buf[:e - s])  # (n, C')
            for k, a, b in groups:
                torch.mm(rows[a - s:b - s].t(), g[a - s:b - s], out=grad[k])
    return grad


class _GatherGemmConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, plan: ConvPlan) -> Tensor:
        # weight as given (a view of the parameter): no copy kept alive
        ctx.save_for_backward(x, weight)
        ctx.plan = plan
        return _apply(x, weight.contiguous(), plan)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        x, weight = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:  # symmetric kernel map: offset k of i is offset 8 - k of j
            grad_x = _apply(grad_out, weight.flip(0).transpose(1, 2).contiguous(), ctx.plan)
        if ctx.needs_input_grad[1]:
            grad_w = _weight_grad(x, grad_out, ctx.plan)
        return grad_x, grad_w, None


def gather_gemm_conv(x: Tensor, weight: Tensor, plan: ConvPlan) -> Tensor:
    r"""Submanifold 3x3 convolution
    :math:`\mathbf{out}_i = \sum_k \mathbf{x}_{table[i, k]} \mathbf{W}_k` by ``plan``.

    Differentiable in ``x`` and ``weight`` (first order).

    Args:
        x (Tensor): features of the active sites.
        weight (Tensor): one ``C x C'`` matrix per offset of
            :data:`~graphseg.graphs.DIRECTIONS`
            (:func:`~graphseg.graphs.kernel_to_direction_weights` of a conv kernel).
        plan (ConvPlan): from :func:`conv_plan` of the sites' neighbour table.

    Shapes:
        - **input:** x :math:`(N, C)`, weight :math:`(9, C, C')`
        - **output:** :math:`(N, C')`
    """
    check_ndim(x, 'x', 2, '(N, C)')
    check_floating(x, 'x')
    check_ndim(weight, 'weight', 3, '(9, C, C_out)')
    if not isinstance(plan, ConvPlan):
        raise TypeError(f"plan must be a ConvPlan (conv_plan(table)), got {type(plan).__name__}")
    check_same_device('x', x, 'weight', weight)
    check_same_device('x', x, 'plan', plan.cols if plan.kind == 'im2col' else plan.src)
    if weight.size(0) != NUM_DIRECTIONS or weight.size(1) != x.size(1):
        raise ValueError(f"weight must have shape (9, C, C_out) with C = x.size(1) = {x.size(1)}, "
                         f"got {tuple(weight.shape)}")
    if x.size(0) != plan.num_sites:
        raise ValueError(f"x must have one row per site of the plan ({plan.num_sites}), got "
                         f"{x.size(0)}")
    autocast = autocast_enabled(x)
    dtype = torch.get_autocast_dtype(x.device.type) if autocast else x.dtype
    if autocast and {x.dtype, weight.dtype} <= {torch.float32, dtype}:
        # autocast: the GEMMs in its dtype, as autocast runs a float32 matmul (the function runs
        # torch.mm with out=, which autocast does not cast; x @ W would be cast, and mixing the
        # two fails), the offsets summed in float32
        x, weight = x.to(dtype), weight.to(dtype)
    elif weight.dtype != x.dtype:
        raise TypeError(f"weight must have the dtype of x ({x.dtype}), got {weight.dtype}")
    return _GatherGemmConv.apply(x.contiguous(), weight, plan)


__all__ = ['ConvPlan', 'conv_plan', 'gather_gemm_conv', 'PLANS', 'IM2COL_FILL']
