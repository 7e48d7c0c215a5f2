r"""A small sparse feature-map type: active sites of a batch of 2-D maps.

:class:`SparseMap` holds integer coordinates ``coords`` :math:`(N, 3)` =
``(b, y, x)``, features ``feats`` :math:`(N, C)`, the ``spatial_shape``
``(H, W)`` and ``batch_size`` -- the layout of SparseConvNet / spconv /
MinkowskiEngine tensors, in plain PyTorch. Kernel maps
(:mod:`graphseg.ops.kernel_map`) are cached on the map and shared by every map
derived from it with :meth:`SparseMap.replace` (same sites, new features), so
a stack of submanifold convolutions builds its kernel map once.

The functional submanifold convolution :func:`submanifold_conv2d` is the
typed-edge kernel :func:`~graphseg.ops.typed_matmul_scatter` on that kernel map
(QGN, Chitta et al., WACV 2020; submanifold sparse convolution, Graham et al.,
CVPR 2018):

.. math::
    \mathbf{out}_p =
    \sum_{\delta:\ p + \delta \text{ active}} \mathbf{W}_\delta\, \mathbf{in}_{p + \delta}
    \qquad \text{for every active } p .
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ..check import check_floating, check_index, check_ndim, check_tensor
from ..directions import kernel_to_direction_weights
from .amp import autocast_enabled
from .gather_gemm import PLANS, ConvPlan, conv_plan, gather_gemm_conv
from .kernel_map import check_coords, neighbor_table, submanifold_kernel_map
from .typed import typed_matmul_scatter


def _spatial_shape(spatial_shape: Sequence[int]) -> Tuple[int, int]:
    try:
        H, W = (int(s) for s in spatial_shape)
    except (TypeError, ValueError):
        raise ValueError(f"spatial_shape must be a pair (H, W), got {spatial_shape!r}") from None
    if H < 1 or W < 1:
        raise ValueError(f"spatial_shape must be positive, got {(H, W)}")
    return H, W


class SparseMap:
    r"""Features at the active sites of a batch of 2-D maps.

    Args:
        coords (LongTensor): active sites as ``(b, y, x)``, no duplicates.
        feats (Tensor): one feature row per site.
        spatial_shape (tuple of int): the full grid ``(H, W)``.
        batch_size (int, optional): :math:`B` (default ``coords[:, 0].max() + 1``,
            or 1 for an empty map).
        check (bool): validate the coordinates (one pass over them). (default: ``True``)

    Shapes:
        - **coords:** :math:`(N, 3)`; **feats:** :math:`(N, C)`
    """

    __slots__ = ('coords', 'feats', 'spatial_shape', 'batch_size', '_cache')

    def __init__(self, coords: Tensor, feats: Tensor, spatial_shape: Sequence[int],
                 batch_size: Optional[int] = None, *, check: bool = True,
                 _cache: Optional[Dict] = None) -> None:
        self.spatial_shape = _spatial_shape(spatial_shape)
        check_ndim(feats, 'feats', 2, '(N, C)')
        if batch_size is None:
            batch_size = int(coords[:, 0].max()) + 1 if coords.numel() else 1
        self.batch_size = int(batch_size)
        if check:
            check_coords(coords, self.spatial_shape, self.batch_size)
            if feats.size(0) != coords.size(0):
                raise ValueError("feats must have shape (N, C) with N = coords.size(0) = "
                                 f"{coords.size(0)}, got {tuple(feats.shape)}")
            if feats.device != coords.device:
                raise ValueError("feats and coords must be on the same device, got "
                                 f"{feats.device} and {coords.device}")
        self.coords, self.feats = coords, feats
        self._cache = {} if _cache is None else _cache

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_dense(cls, x: Tensor, mask: Optional[Tensor] = None) -> 'SparseMap':
        r"""The sites of ``x`` where ``mask`` is true (all sites when ``mask`` is ``None``),
        row-major.

        Shapes:
            - **input:** x :math:`(B, C, H, W)`, mask :math:`(B, H, W)` bool
        """
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        B, C, H, W = x.shape
        if mask is None:
            mask = torch.ones(B, H, W, dtype=torch.bool, device=x.device)
        check_tensor(mask, 'mask')
        if mask.dtype != torch.bool or tuple(mask.shape) != (B, H, W):
            raise ValueError(f"mask must be a bool tensor of shape (B, H, W) = {(B, H, W)}, "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        coords = mask.nonzero().contiguous()  # (N, 3) row-major
        feats = x.permute(0, 2, 3, 1)[mask]  # (N, C)
        return cls(coords, feats, (H, W), B, check=False)

    def replace(self, feats: Tensor) -> 'SparseMap':
        """The same sites with new features (the kernel-map cache is shared)."""
        check_ndim(feats, 'feats', 2, '(N, C)')
        if feats.size(0) != self.num_sites:
            raise ValueError(f"feats must have shape (N, C) with N = {self.num_sites} sites, "
                             f"got {tuple(feats.shape)}")
        return SparseMap(self.coords, feats, self.spatial_shape, self.batch_size, check=False,
                         _cache=self._cache)

    def select(self, mask: Tensor) -> 'SparseMap':
        """The sub-map of the sites where ``mask`` :math:`(N,)` is true (new kernel maps)."""
        check_tensor(mask, 'mask')
        if mask.dtype != torch.bool or tuple(mask.shape) != (self.num_sites,):
            raise ValueError(f"mask must be a bool tensor of shape (N,) = ({self.num_sites},), "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        return SparseMap(self.coords[mask], self.feats[mask], self.spatial_shape, self.batch_size,
                         check=False)

    # ----------------------------------------------------------------- reading
    def to_dense(self) -> Tensor:
        r"""Scatter into a zero map :math:`(B, C, H, W)` (differentiable)."""
        H, W = self.spatial_shape
        b, y, x = self.coords.long().unbind(1)
        out = self.feats.new_zeros(self.batch_size * H * W, self.num_channels)
        out = out.index_put((b * H * W + y * W + x,), self.feats)  # (B*H*W, C)
        return out.view(self.batch_size, H, W, -1).permute(0, 3, 1, 2)

    def gather(self, dense: Tensor) -> Tensor:
        r"""Read a dense map at the active sites: ``dense[b, :, y, x]`` (skip connections).

        Shapes:
            - **input:** dense :math:`(B, C', H, W)`
            - **output:** :math:`(N, C')`
        """
        check_ndim(dense, 'dense', 4, '(B, C, H, W)')
        want = (self.batch_size, self.spatial_shape[0], self.spatial_shape[1])
        if (dense.size(0), dense.size(2), dense.size(3)) != want:
            raise ValueError(f"dense must have shape (B, C, H, W) with (B, H, W) = {want}, "
                             f"got {tuple(dense.shape)}")
        b, y, x = self.coords.long().unbind(1)
        return dense.permute(0, 2, 3, 1)[b, y, x]

    def kernel_map(self, kernel_size: int = 3, method: str = 'auto') -> Tuple[Tensor, Tensor]:
        """The cached submanifold kernel map ``(edge_index, edge_type)`` (see
        :mod:`~graphseg.ops.kernel_map`)."""
        key = (kernel_size, method)
        if key not in self._cache:
            self._cache[key] = submanifold_kernel_map(self.coords, self.spatial_shape,
                                                      self.batch_size, kernel_size, method=method)
        return self._cache[key]

    def neighbor_table(self, method: str = 'auto') -> Tensor:
        """The cached 3x3 neighbour table :math:`(N, 9)` (:func:`~graphseg.ops.neighbor_table`)."""
        key = ('table', method)
        if key not in self._cache:
            self._cache[key] = neighbor_table(self.coords, self.spatial_shape, self.batch_size,
                                              method=method)
        return self._cache[key]

    def conv_plan(self, kind: str = 'auto', method: str = 'auto') -> ConvPlan:
        """The cached plan of a 3x3 submanifold convolution on these sites
        (:func:`~graphseg.ops.conv_plan`)."""
        key = ('plan', kind, method)
        if key not in self._cache:
            self._cache[key] = conv_plan(self.neighbor_table(method), kind)
        return self._cache[key]

    def children(self) -> Tensor:
        """The cached coordinates :math:`(4N, 3)` of the four children of every site
        (:func:`child_coords`)."""
        if 'children' not in self._cache:
            self._cache['children'] = child_coords(self.coords)
        return self._cache['children']

    # ----------------------------------------------------------------- arithmetic
    def _same_sites(self, other: 'SparseMap') -> None:
        if not isinstance(other, SparseMap):
            raise TypeError(f"can only add a SparseMap to a SparseMap, got {type(other).__name__}")
        same = other.coords is self.coords or (
            other.coords.shape == self.coords.shape and torch.equal(other.coords, self.coords))
        if not same or other.spatial_shape != self.spatial_shape:
            raise ValueError("both SparseMaps must have the same active sites, got "
                             f"{self.num_sites} sites "
                             f"on {self.spatial_shape} and {other.num_sites} sites on "
                             f"{other.spatial_shape}")

    def __add__(self, other: 'SparseMap') -> 'SparseMap':
        self._same_sites(other)
        return self.replace(self.feats + other.feats)

    # ----------------------------------------------------------------- info
    @property
    def num_sites(self) -> int:
        return self.coords.size(0)

    @property
    def num_channels(self) -> int:
        return self.feats.size(1)

    @property
    def device(self) -> torch.device:
        return self.feats.device

    @property
    def dtype(self) -> torch.dtype:
        return self.feats.dtype

    @property
    def density(self) -> float:
        """Active fraction of the ``B * H * W`` sites."""
        return self.num_sites / (self.batch_size * self.spatial_shape[0] * self.spatial_shape[1])

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sites={self.num_sites}, channels={self.num_channels}, '
                f'spatial_shape={self.spatial_shape}, batch_size={self.batch_size}, '
                f'density={self.density:.3g})')


def child_coords(coords: Tensor) -> Tensor:
    r"""The four children ``(b, 2y + i, 2x + j)`` of each site, parent-major, ``(i, j)`` row-major.

    Shapes:
        - **input:** :math:`(N, 3)`
        - **output:** :math:`(4N, 3)`
    """
    check_index(coords, 'coords')
    if coords.dim() != 2 or coords.size(1) != 3:
        raise ValueError(f"coords must have shape (N, 3) as (b, y, x), got {tuple(coords.shape)}")
    quad = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]], dtype=coords.dtype,
                        device=coords.device)
    parent = coords * torch.tensor([1, 2, 2], dtype=coords.dtype, device=coords.device)
    return (parent.unsqueeze(1) + quad).reshape(-1, 3)  # (N, 4, 3) -> (4N, 3)


def submanifold_conv2d(input: SparseMap, weight: Tensor, bias: Optional[Tensor] = None, *,
                       method: str = 'auto', plan: str = 'auto',
                       backend: Optional[str] = None) -> SparseMap:
    r"""Submanifold sparse convolution
    :math:`\mathbf{out}_p = \sum_\delta \mathbf{W}_\delta \mathbf{in}_{p+\delta}`.

    The output is defined at the input's active sites only and reads only
    active neighbours: it equals ``F.conv2d(dense, weight, padding=1)`` of the
    zero-filled dense map, read at the active sites. Computed as one
    :func:`~graphseg.ops.typed_matmul_scatter` over the kernel map (edge type =
    kernel offset, no degree normalisation).

    Args:
        input (SparseMap): the sparse map.
        weight (Tensor): a ``nn.Conv2d`` kernel, 3x3 or 1x1.
        bias (Tensor, optional): :math:`(C_{out},)`.
        method (str): kernel-map construction (``'auto'``, ``'grid'``, ``'searchsorted'``).
        plan (str): ``'auto'``, ``'im2col'``, ``'pairs'`` (:func:`~graphseg.ops.conv_plan`) or
            ``'typed'`` (the typed-edge kernel); all give the same result. (default: ``'auto'``)
        backend (str, optional): backend of the typed-edge kernel (``plan='typed'``).

    Under ``torch.autocast`` the GEMMs run in the autocast dtype and the sums over the 9 offsets
    accumulate in float32.

    Shapes:
        - **input:** feats :math:`(N, C_{in})`, weight :math:`(C_{out}, C_{in}, k, k)`
        - **output:** feats :math:`(N, C_{out})`
    """
    if not isinstance(input, SparseMap):
        raise TypeError(f"input must be a SparseMap, got {type(input).__name__}")
    check_ndim(weight, 'weight', 4, '(C_out, C_in, k, k)')
    check_floating(input.feats, 'input.feats')
    if weight.dtype != input.feats.dtype and not autocast_enabled(input.feats):
        raise TypeError(f"weight must have the dtype of input.feats ({input.feats.dtype}), got "
                        f"{weight.dtype}")
    k = weight.size(-1)
    if weight.size(-2) != k or k not in (1, 3):
        raise ValueError("weight must be a 3x3 or 1x1 kernel (C_out, C_in, k, k), got "
                         f"{tuple(weight.shape)}")
    if weight.size(1) != input.num_channels:
        raise ValueError(f"weight must have C_in = input channels = {input.num_channels}, "
                         f"got {tuple(weight.shape)}")
    if plan not in PLANS + ('typed',):
        raise ValueError(f"plan must be one of {PLANS + ('typed',)}, got {plan!r}")
    if k == 1:
        out = input.feats @ weight[:, :, 0, 0].t()
    elif plan != 'typed':
        out = gather_gemm_conv(input.feats, kernel_to_direction_weights(weight),
                               input.conv_plan(plan, method))
    else:
        edge_index, edge_type = input.kernel_map(3, method)
        out = typed_matmul_scatter(input.feats, kernel_to_direction_weights(weight), edge_index,
                                   edge_type, dim_size=input.num_sites, backend=backend)
    if bias is not None:
        out = out + bias
    return input.replace(out)


__all__ = ['SparseMap', 'child_coords', 'submanifold_conv2d']
