r"""Layers on :class:`~graphseg.ops.sparse.SparseMap`: the building blocks of the QGN decoder.

Submanifold sparse convolution (Graham et al., CVPR 2018) as used by Quadtree
Generating Networks (Chitta, Alvarez, Hebert, WACV 2020), written with
gather / matmul / scatter in plain PyTorch (CPU and CUDA, forward and backward)
instead of SparseConvNet / spconv / MinkowskiEngine:

* :class:`SubmanifoldConv2d` -- 3x3 convolution at the active sites, by
  gather-GEMM over the cached kernel map (:func:`~graphseg.ops.gather_gemm_conv`;
  the shared typed-edge kernel :func:`~graphseg.ops.typed_matmul_scatter` with
  ``plan='typed'``);
* :class:`SparseBatchNorm`, :class:`SparseReLU`, :class:`SparseLinear` --
  per-site layers (statistics over active sites only);
* :class:`SparseUpsample` (nearest, 2x) and :class:`SparseConvTranspose2d`
  (learned 2x2, stride 2, as the official QGN code) -- from the active sites of
  one quadtree level to their children one level down;
* :func:`sparse_upsample` and :meth:`SparseMap.gather` (skip connections from
  dense encoder maps), :meth:`SparseMap.to_dense`.

Every layer's weights have the shape of its dense counterpart (``nn.Conv2d``,
``nn.BatchNorm2d``, ``nn.ConvTranspose2d``), so weights move between the sparse
and the dense form unchanged.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_floating, check_param_dtype, check_tensor
from ..ops.sparse import SparseMap, submanifold_conv2d


def _check_input(input: object, module: nn.Module, channels: Optional[int] = None) -> SparseMap:
    if not isinstance(input, SparseMap):
        raise TypeError(f"{module.__class__.__name__} expects a SparseMap, got "
                        f"{type(input).__name__}")
    if channels is not None and input.num_channels != channels:
        raise ValueError(f"input must have {channels} channels for {module!r}, got "
                         f"{input.num_channels}")
    check_param_dtype(input.feats, 'input.feats', next(module.parameters(), None))
    return input


class SubmanifoldConv2d(nn.Module):
    r"""Submanifold sparse 2-D convolution (Graham et al., CVPR 2018; QGN Sec. 3.3).

    .. math::
        \mathbf{out}_p = \mathbf{b} + \sum_{\delta \in \Delta:\ p + \delta \text{ active}}
        \mathbf{W}_\delta\, \mathbf{in}_{p + \delta} \qquad \text{for every active site } p

    with :math:`\Delta` the 9 offsets of :data:`~graphseg.graphs.DIRECTIONS`.
    Output sites = input sites, so the active set does not dilate. Computed by
    gather-GEMM over the cached kernel map, per offset or im2col as the map's
    density suggests (:func:`~graphseg.ops.conv_plan`); the backward pass runs
    the same plan on the gradient. With every site active it equals
    ``nn.Conv2d(in, out, 3, padding=1)`` with the same ``weight``; for any
    active set it equals that convolution of the zero-filled map read at the
    active sites.

    Args:
        in_channels (int): :math:`C_{in}`.
        out_channels (int): :math:`C_{out}`.
        kernel_size (int): 3, or 1 (a per-site linear map). (default: ``3``)
        bias (bool): add a learnable bias. (default: ``False``)

    Shapes:
        - **input:** SparseMap with feats :math:`(N, C_{in})`
        - **output:** SparseMap on the same sites with feats :math:`(N, C_{out})`
        - **weight:** :math:`(C_{out}, C_{in}, k, k)` as ``nn.Conv2d`` (stored channels-last)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if kernel_size not in (1, 3):
            raise ValueError(f"kernel_size must be 1 or 3, got {kernel_size}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = kernel_size
        factory = {'device': device, 'dtype': dtype}
        # nn.Conv2d's shape (C_out, C_in, k, k), stored as (C_in, k, k, C_out): the typed kernel's
        # (C_in, 9 * C_out) matrix is then a view of the parameter, not a copy that autograd would
        # keep
        storage = torch.empty(in_channels, kernel_size, kernel_size, out_channels, **factory)
        self.weight = nn.Parameter(storage.permute(3, 0, 1, 2))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Conv2d``'s initialisation."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_channels * self.kernel_size ** 2)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: SparseMap) -> SparseMap:
        _check_input(input, self, self.in_channels)
        return submanifold_conv2d(input, self.weight, self.bias)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'kernel_size={self.kernel_size}, bias={self.bias is not None})')


class SparseLinear(nn.Linear):
    r"""A per-site linear map (a 1x1 convolution at the active sites; SparseConvNet's
    ``NetworkInNetwork``).

    Shapes:
        - **input:** SparseMap with feats :math:`(N, C_{in})`
        - **output:** SparseMap on the same sites with feats :math:`(N, C_{out})`
    """

    def forward(self, input: SparseMap) -> SparseMap:
        _check_input(input, self, self.in_features)
        return input.replace(F.linear(input.feats, self.weight, self.bias))


class SparseBatchNorm(nn.BatchNorm1d):
    r"""Batch normalisation over the active sites (statistics of the :math:`N` active rows only).

    The parameters and buffers are those of ``nn.BatchNorm2d(num_features)``.
    With every site active it equals ``nn.BatchNorm2d``. Maps with fewer than
    two active sites (possible when a quadtree level has almost no composite
    cells) are normalised with their own statistics in training mode without
    updating the running estimates.

    Shapes:
        - **input:** SparseMap with feats :math:`(N, C)`
        - **output:** SparseMap with feats :math:`(N, C)`
    """

    def forward(self, input: SparseMap) -> SparseMap:  # type: ignore[override]
        _check_input(input, self, self.num_features)
        x = input.feats
        if self.training and x.size(0) < 2:
            if x.size(0) == 0:
                return input.replace(x)
            y = torch.zeros_like(x)  # (x - mean) / sqrt(var + eps) with one sample: 0
            if self.affine:
                y = y * self.weight + self.bias
            return input.replace(y)
        return input.replace(super().forward(x))


class SparseReLU(nn.Module):
    """ReLU at the active sites.

    Shapes:
        - **input / output:** SparseMap with feats :math:`(N, C)`
    """

    def forward(self, input: SparseMap) -> SparseMap:
        _check_input(input, self)
        return input.replace(F.relu(input.feats))


def sparse_upsample(input: SparseMap, mask: Optional[Tensor] = None) -> SparseMap:
    r"""Nearest 2x upsampling of active sites: each (selected) site becomes its four children.

    Child ``(b, 2y + i, 2x + j)`` copies the features of parent ``(b, y, x)``;
    children are ordered parent-major, ``(i, j)`` row-major. This is how the
    active sites of one quadtree level become those of the next (QGN Sec. 3.3):
    pass ``mask`` to keep the children of some parents only (e.g. the composite
    cells).

    Shapes:
        - **input:** SparseMap with :math:`N` sites on :math:`(H, W)`, mask :math:`(N,)` bool
        - **output:** SparseMap with :math:`4 N'` sites on :math:`(2H, 2W)`
    """
    if not isinstance(input, SparseMap):
        raise TypeError(f"input must be a SparseMap, got {type(input).__name__}")
    if mask is not None:
        input = input.select(mask)
    H, W = input.spatial_shape
    feats = input.feats.repeat_interleave(4, dim=0)  # (4N, C)
    return SparseMap(input.children(), feats, (2 * H, 2 * W), input.batch_size, check=False)


class SparseUpsample(nn.Module):
    """Module form of :func:`sparse_upsample` (nearest, scale factor 2)."""

    def forward(self, input: SparseMap, mask: Optional[Tensor] = None) -> SparseMap:
        return sparse_upsample(input, mask)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale_factor=2)'


class SparseConvTranspose2d(nn.Module):
    r"""Learned 2x upsampling of active sites: a 2x2 transposed convolution with stride 2.

    .. math::
        \mathbf{out}_{(b,\, 2y + i,\, 2x + j)} =
        \mathbf{b} + \mathbf{W}_{ij}^\top \mathbf{in}_{(b, y, x)}

    for every active ``(b, y, x)`` and ``i, j`` in ``{0, 1}`` -- the upsampling
    of the official QGN decoder, without its dense round trip. The kernel does
    not overlap, so each child has exactly one parent: one matmul and a reshape.
    Equals ``nn.ConvTranspose2d(in, out, 2, stride=2)`` of the zero-filled map,
    read at the children of the active sites.

    Args:
        in_channels (int): :math:`C_{in}`.
        out_channels (int): :math:`C_{out}`.
        bias (bool): add a learnable bias. (default: ``False``)

    Shapes:
        - **input:** SparseMap with feats :math:`(N, C_{in})` on :math:`(H, W)`
        - **output:** SparseMap with feats :math:`(4N, C_{out})` on :math:`(2H, 2W)`,
          children ordered as :func:`sparse_upsample`
        - **weight:** :math:`(C_{in}, C_{out}, 2, 2)` as ``nn.ConvTranspose2d`` (stored
          channels-last)
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        factory = {'device': device, 'dtype': dtype}
        # nn.ConvTranspose2d's shape (C_in, C_out, 2, 2), stored as (C_in, 2, 2, C_out) so that the
        # (C_in, 4 * C_out) matrix of the forward pass is a view
        self.weight = nn.Parameter(
            torch.empty(in_channels, 2, 2, out_channels, **factory).permute(0, 3, 1, 2)
        )
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.ConvTranspose2d``'s initialisation."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.out_channels * 4)  # torch uses fan_in of the weight's dim 1
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: SparseMap, mask: Optional[Tensor] = None) -> SparseMap:
        _check_input(input, self, self.in_channels)
        if mask is not None:
            input = input.select(mask)
        N = input.num_sites
        # (C_in, [i, j, C_out])
        w = self.weight.permute(0, 2, 3, 1).reshape(self.in_channels, 4 * self.out_channels)
        out = (input.feats @ w).view(4 * N, self.out_channels)  # (N, 4, C_out) -> (4N, C_out)
        if self.bias is not None:
            out = out + self.bias
        H, W = input.spatial_shape
        return SparseMap(input.children(), out, (2 * H, 2 * W), input.batch_size, check=False)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'kernel_size=2, stride=2, bias={self.bias is not None})')


def sparse_gather(dense: Tensor, input: SparseMap) -> SparseMap:
    r"""A skip connection: the dense map ``dense`` read at the active sites of ``input``.

    Shapes:
        - **input:** dense :math:`(B, C', H, W)`, input on :math:`(H, W)`
        - **output:** SparseMap on the sites of ``input`` with feats :math:`(N, C')`
    """
    check_tensor(dense, 'dense')
    check_floating(dense, 'dense')
    return input.replace(input.gather(dense))


__all__ = ['SubmanifoldConv2d', 'SparseLinear', 'SparseBatchNorm', 'SparseReLU', 'SparseUpsample',
           'SparseConvTranspose2d', 'sparse_upsample', 'sparse_gather']
