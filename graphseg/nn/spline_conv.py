r"""SplineConv (Fey et al., *SplineCNN*, CVPR 2018) with three interchangeable kernel backends.

PyG 2.8's :class:`torch_geometric.nn.SplineConv` takes its B-spline kernels from
``pyg_lib`` and raises ``ImportError`` without it, which cannot be installed
everywhere. graphseg's :class:`SplineConv` has the same parameters and
``state_dict`` keys and picks its kernels from

* ``'pyg'`` -- ``pyg_lib.ops`` (what PyG's layer uses), when
  :data:`graphseg.typing.WITH_PYG_SPLINE`;
* ``'torch_spline_conv'`` -- the ``torch_spline_conv`` extension, when
  :data:`graphseg.typing.WITH_TORCH_SPLINE_CONV`;
* ``'torch'`` -- plain PyTorch: :func:`spline_basis` (open and closed B-spline
  bases of degree 1-3) and, for ``'add'`` / ``'mean'`` aggregation, graphseg's
  typed-edge kernel: the :math:`(d+1)^D` basis products of an edge are typed
  edges whose type is the kernel weight index and whose weight is the basis
  value, so the layer is one matmul ``x @ W`` for all :math:`K` kernel weights,
  one gather and one scatter-add (:func:`graphseg.ops.typed_matmul_scatter`).

The default (``backend=None``) is the first that works, in that order, except that
``torch_spline_conv`` is used for CUDA inputs only: its CPU ``spline_weighting``
is a plain loop over edges and channels, tens of times slower than the ``'torch'``
path on HG-Conv's group graphs on a 2-core CPU (``scripts/bench_hgconv.py``).
An explicit ``backend`` is always honoured.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing

from ..check import (check_choice, check_floating, check_index, check_int, check_ndim,
                     check_param_dtype)
from ..ops.scatter import scatter
from ..ops.typed import typed_matmul_scatter
from ..typing import WITH_PYG_SPLINE, WITH_TORCH_SPLINE_CONV

SPLINE_BACKENDS = ('pyg', 'torch_spline_conv', 'torch')


def available_spline_backends() -> Tuple[str, ...]:
    """The SplineConv kernel backends that work here, preferred first."""
    out = []
    if WITH_PYG_SPLINE:
        out.append('pyg')
    if WITH_TORCH_SPLINE_CONV:
        out.append('torch_spline_conv')
    out.append('torch')
    return tuple(out)


def _check_backend(backend: Optional[str]) -> Optional[str]:
    if backend is None:
        return None
    check_choice(backend, 'backend', SPLINE_BACKENDS)
    if backend not in available_spline_backends():
        raise ImportError(f"SplineConv backend {backend!r} does not work here; available: "
                          f"{available_spline_backends()}")
    return backend


def default_spline_backend(device: torch.device) -> str:
    """``'pyg'`` if it works, else ``'torch_spline_conv'`` for CUDA tensors if installed, else
    ``'torch'``."""
    avail = available_spline_backends()
    if 'pyg' in avail:
        return 'pyg'
    if 'torch_spline_conv' in avail and torch.device(device).type == 'cuda':
        return 'torch_spline_conv'
    return 'torch'


def _kernels(backend: str):
    """``(spline_basis, spline_weighting)`` of a backend."""
    if backend == 'pyg':
        # optional backends (WITH_PYG_SPLINE, WITH_TORCH_SPLINE_CONV)
        from pyg_lib.ops import spline_basis as basis, spline_weighting as weighting
        return basis, weighting
    if backend == 'torch_spline_conv':
        import torch_spline_conv
        return torch_spline_conv.spline_basis, torch_spline_conv.spline_weighting
    return spline_basis, spline_weighting


def _bspline(t: Tensor, degree: int) -> Tensor:
    r"""The :math:`d + 1` uniform B-spline blending functions at local parameter ``t`` in [0, 1):
    (..., d + 1)."""
    if degree == 1:
        return torch.stack([1 - t, t], dim=-1)
    if degree == 2:
        return torch.stack([0.5 * (1 - t) ** 2, -t * t + t + 0.5, 0.5 * t * t], dim=-1)
    t2, t3 = t * t, t * t * t
    return torch.stack(
        [(1 - t) ** 3 / 6, (3 * t3 - 6 * t2 + 4) / 6, (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6],
        dim=-1,
    )


def spline_basis(pseudo: Tensor, kernel_size: Tensor, is_open_spline: Tensor,
                 degree: int = 1) -> Tuple[Tensor, Tensor]:
    r"""Tensor-product B-spline basis of each pseudo-coordinate, in plain PyTorch.

    In dimension :math:`d` with :math:`K_d` knots, :math:`v_d = u_d (K_d - \text{degree}
    \cdot \text{open}_d)` for :math:`u \in [0, 1]^D`; the
    :math:`S = (\text{degree} + 1)^D` non-zero products are, for
    :math:`m \in \{0..\text{degree}\}^D`,

    .. math::
        b_m = \prod_d B_{m_d}(v_d - \lfloor v_d \rfloor), \qquad
        \mathrm{wi}_m = \sum_d \big((\lfloor v_d \rfloor + m_d) \bmod K_d\big) \prod_{d' < d} K_{d'}

    (dimension 0 varies fastest; ``m`` enumerates with :math:`m_0` fastest),
    the layout of ``torch_spline_conv`` and ``pyg_lib``. Differentiable in ``pseudo``.

    Args:
        pseudo (Tensor): pseudo-coordinates in :math:`[0, 1]`.
        kernel_size (LongTensor): :math:`K_d` per dimension.
        is_open_spline (Tensor): 1 for an open, 0 for a closed (periodic) spline per dimension.
        degree (int): 1, 2 or 3. (default: ``1``)

    Shapes:
        - **input:** pseudo :math:`(E, D)`, kernel_size :math:`(D,)`, is_open_spline :math:`(D,)`
        - **output:** basis :math:`(E, S)`, weight_index :math:`(E, S)`
    """
    check_ndim(pseudo, 'pseudo', 2, '(E, D)')
    check_floating(pseudo, 'pseudo')
    if degree not in (1, 2, 3):
        raise ValueError(f"degree must be 1, 2 or 3, got {degree!r}")
    E, D = pseudo.shape
    if kernel_size.numel() != D or is_open_spline.numel() != D:
        raise ValueError(f"kernel_size and is_open_spline must have D = {D} entries, got "
                         f"{kernel_size.numel()} and {is_open_spline.numel()}")
    dev = pseudo.device
    ks = kernel_size.to(dev).long()
    v = pseudo * (ks - degree * is_open_spline.to(dev).long()).to(pseudo.dtype)  # (E, D)
    lower = v.detach().floor()
    frac = v - lower  # (E, D) local parameter in [0, 1)
    S = (degree + 1) ** D
    s = torch.arange(S, device=dev).view(S, 1)
    m = (s // ((degree + 1) ** torch.arange(D, device=dev))) % (degree + 1)  # (S, D), m_0 fastest
    blend = _bspline(frac, degree)  # (E, D, degree + 1)
    basis = blend.gather(2, m.t().unsqueeze(0).expand(E, D, S)).prod(1)  # (E, S)
    stride = torch.cumprod(torch.cat([ks.new_ones(1), ks[:-1]]), 0)  # (D,) prod_{d' < d} K_d'
    knot = (lower.long().unsqueeze(1) + m.unsqueeze(0)) % ks  # (E, S, D)
    weight_index = (knot * stride).sum(-1)
    return basis, weight_index


def spline_weighting(x: Tensor, weight: Tensor, basis: Tensor, weight_index: Tensor) -> Tensor:
    r"""Per-edge kernel :math:`\mathbf{x}_e \sum_s b_{e,s} \mathbf{W}_{\mathrm{wi}_{e,s}}`, in plain
    PyTorch.

    One matmul of ``x`` with all :math:`K` kernel weights, then a gather of the
    :math:`S` used rows (the typed-edge kernel on an edge-to-itself graph).

    Shapes:
        - **input:** x :math:`(E, C)`, weight :math:`(K, C, C')`, basis / weight_index
          :math:`(E, S)`
        - **output:** :math:`(E, C')`
    """
    E, S = basis.shape
    rows = torch.arange(E, device=x.device).repeat_interleave(S)
    return typed_matmul_scatter(x, weight, torch.stack([rows, rows]), weight_index.reshape(-1),
                                basis.reshape(-1), dim_size=E)


class SplineConv(MessagePassing):
    r"""The spline-based convolution of `SplineCNN <https://arxiv.org/abs/1711.08920>`_, with
    backends.

    .. math::
        \mathbf{x}'_i = \mathbf{x}_i \mathbf{W}_{root} + \operatorname*{aggr}_{j \to i}
        \mathbf{x}_j \sum_{m} b_m(\mathbf{u}_{j \to i})
        \mathbf{W}_{\mathrm{wi}_m(\mathbf{u}_{j \to i})}
        + \mathbf{b}

    with the tensor-product B-spline basis of :func:`spline_basis` over
    pseudo-coordinates :math:`\mathbf u \in [0, 1]^D` (e.g. PyG's
    ``Cartesian`` transform). Same arguments, parameters and ``state_dict``
    keys as :class:`torch_geometric.nn.SplineConv`.

    Args:
        in_channels (int): :math:`C`.
        out_channels (int): :math:`C'`.
        dim (int): pseudo-coordinate dimensionality :math:`D`.
        kernel_size (int or list of int): knots per dimension.
        is_open_spline (bool or list of bool): open (``True``) or closed spline per dimension.
            (default: ``True``)
        degree (int): B-spline degree, 1-3. (default: ``1``)
        aggr (str): ``'mean'``, ``'add'`` or ``'max'``. (default: ``'mean'``)
        root_weight (bool): add :math:`\mathbf x_i \mathbf W_{root}`. (default: ``True``)
        bias (bool): add a learnable bias. (default: ``True``)
        backend (str, optional): ``'pyg'``, ``'torch_spline_conv'`` or ``'torch'``;
            default per input device (:func:`default_spline_backend`).

    Shapes:
        - **input:** node features :math:`(|V|, C)`, edge indices :math:`(2, |E|)`,
          pseudo-coordinates :math:`(|E|, D)`
        - **output:** node features :math:`(|V|, C')`
    """

    def __init__(self, in_channels: int, out_channels: int, dim: int,
                 kernel_size: Union[int, Sequence[int]],
                 is_open_spline: Union[bool, Sequence[bool]] = True, degree: int = 1,
                 aggr: str = 'mean', root_weight: bool = True, bias: bool = True,
                 backend: Optional[str] = None) -> None:
        check_choice(aggr, 'aggr', ('mean', 'add', 'max'))
        super().__init__(aggr=aggr, node_dim=0)
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels), ('dim', dim)):
            check_int(v, name, 1)
        if degree not in (1, 2, 3):
            raise ValueError(f"degree must be 1, 2 or 3, got {degree!r}")
        self.backend = _check_backend(backend)
        self.in_channels, self.out_channels, self.dim = in_channels, out_channels, dim
        self.degree = degree
        self.root_weight = root_weight
        ks: List[int] = [kernel_size] * dim if isinstance(kernel_size, int) else list(kernel_size)
        opn: List[bool] = [is_open_spline] * dim if isinstance(is_open_spline,
                                                               bool) else list(is_open_spline)
        if len(ks) != dim or len(opn) != dim:
            raise ValueError(f"kernel_size and is_open_spline need dim = {dim} entries, got {ks} "
                             f"and {opn}")
        if any(k < degree + 1 for k in ks):
            raise ValueError(f"kernel_size must be >= degree + 1 = {degree + 1} in every "
                             f"dimension, got {ks}")
        self.register_buffer('kernel_size', torch.tensor(ks, dtype=torch.long))
        self.register_buffer('is_open_spline', torch.tensor(opn, dtype=torch.uint8))
        self.K = int(math.prod(ks))
        self.weight = nn.Parameter(torch.empty(self.K, in_channels, out_channels))
        self.lin = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyG's initialisation: uniform with bound :math:`1/\\sqrt{K C}` (root:
        :math:`1/\\sqrt{C}`), zero bias."""
        super().reset_parameters()
        bound = 1. / math.sqrt(self.K * self.in_channels)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.lin is not None:
            nn.init.uniform_(self.lin.weight, -1. / math.sqrt(self.in_channels),
                             1. / math.sqrt(self.in_channels))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, edge_index: Tensor, pseudo: Tensor) -> Tensor:
        check_ndim(x, 'x', 2, '(N, C)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} features, got shape "
                             f"{tuple(x.shape)}")
        check_param_dtype(x, 'x', self.weight)
        N = x.size(0)
        check_ndim(pseudo, 'pseudo', 2, '(E, D)')
        check_floating(pseudo, 'pseudo')
        check_index(edge_index, 'edge_index')
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape (2, E), got {tuple(edge_index.shape)}")
        E = edge_index.size(1)
        if pseudo.size(0) != E or pseudo.size(1) != self.dim:
            raise ValueError(f"pseudo must have shape (E, dim) = ({E}, {self.dim}), got "
                             f"{tuple(pseudo.shape)}")
        # value checks read the tensors: not while tracing
        if E > 0 and not torch.compiler.is_compiling():
            if int(edge_index.min()) < 0 or int(edge_index.max()) >= N:
                raise ValueError(f"edge_index must hold node ids in [0, {N - 1}], got "
                                 f"[{int(edge_index.min())}, {int(edge_index.max())}]")
            if bool(((pseudo < 0) | (pseudo > 1)).any()):
                raise ValueError("pseudo must lie in [0, 1] (e.g. PyG's Cartesian(norm=True)), got "
                                 f"[{float(pseudo.min()):.3g}, {float(pseudo.max()):.3g}]")

        backend = self.backend or default_spline_backend(x.device)
        if backend == 'torch' and self.aggr in ('add', 'mean'):
            # (E, S)
            basis, wi = spline_basis(pseudo, self.kernel_size, self.is_open_spline, self.degree)
            S = basis.size(1)
            out = typed_matmul_scatter(x, self.weight, edge_index.repeat_interleave(S, dim=1),
                                       wi.reshape(-1), basis.reshape(-1), dim_size=N)
            if self.aggr == 'mean':
                count = scatter(torch.ones_like(edge_index[1], dtype=x.dtype), edge_index[1], 0, N)
                out = out / count.clamp_min(1).unsqueeze(-1)
        else:
            out = self.propagate(edge_index, x=x, pseudo=pseudo, backend=backend, size=(N, N))
        if self.lin is not None:
            out = out + self.lin(x)
        if self.bias is not None:
            out = out + self.bias
        return out

    def message(self, x_j: Tensor, pseudo: Tensor, backend: str) -> Tensor:
        basis_fn, weighting_fn = _kernels(backend)
        basis, wi = basis_fn(pseudo, self.kernel_size, self.is_open_spline, self.degree)
        return weighting_fn(x_j, self.weight, basis, wi)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'dim={self.dim}, kernel_size={self.kernel_size.tolist()}, degree={self.degree}, '
                f'backend={self.backend!r})')


__all__ = ['SplineConv', 'spline_basis', 'spline_weighting', 'available_spline_backends',
           'default_spline_backend', 'SPLINE_BACKENDS']
