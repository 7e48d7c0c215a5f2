r"""The transposed ResNet blocks of the QGN decoder (Chitta, Alvarez, Hebert, WACV 2020), sparse or
dense.

The official decoder (``resnet34_transpose_sparse`` / ``resnet50_transpose_sparse``)
stacks transposed basic blocks (its "ResNet-34" decoder) or transposed
bottleneck blocks (its "ResNet-50" decoder). Both exist here on a
:class:`~graphseg.ops.SparseMap` (submanifold convolutions, per-site 1x1 maps
and 2x2 stride-2 transposed convolutions onto the children of the active
sites) and, with ``sparse=False``, as dense layers on ``(B, C, H, W)``
tensors -- the official dense decoder (``resnet34_transpose``), whose
upsampling convolution is a 3x3 transposed convolution with padding 1 and
output padding 1 (``up_kernel=3``; ``up_kernel=2`` is the sparse decoder's
2x2 one, computed densely).
"""
from __future__ import annotations

from typing import Callable, Optional, Union

from torch import Tensor, nn

from ...check import check_choice, check_int, check_param_dtype
from ...ops.sparse import SparseMap
from ..sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU,
                      SubmanifoldConv2d)

Feature = Union[SparseMap, Tensor]
NormFactory = Callable[[int], nn.Module]


def conv3x3(cin: int, cout: int, sparse: bool) -> nn.Module:
    return SubmanifoldConv2d(cin, cout, 3) if sparse else nn.Conv2d(cin, cout, 3, padding=1,
                                                                    bias=False)


def conv1x1(cin: int, cout: int, sparse: bool, bias: bool = False) -> nn.Module:
    return SparseLinear(cin, cout, bias=bias) if sparse else nn.Conv2d(cin, cout, 1, bias=bias)


def up_conv(cin: int, cout: int, sparse: bool, bias: bool = False,
            kernel_size: int = 2) -> nn.Module:
    """2x upsampling: a 2x2 stride-2 transposed convolution (sparse: onto the children of the active
    sites), or densely the official 3x3 one with padding 1 and output padding 1."""
    if sparse:
        if kernel_size != 2:
            raise ValueError("the sparse decoder upsamples with 2x2 transposed convolutions, "
                             f"got {kernel_size}")
        return SparseConvTranspose2d(cin, cout, bias=bias)
    if kernel_size == 3:
        return nn.ConvTranspose2d(cin, cout, 3, 2, padding=1, output_padding=1, bias=bias)
    return nn.ConvTranspose2d(cin, cout, 2, 2, bias=bias)


def norm_factory(sparse: bool, eps: float, momentum: float) -> NormFactory:
    """BatchNorm over the active sites (sparse) or ``nn.BatchNorm2d`` with these ``eps`` /
    ``momentum``."""
    cls = SparseBatchNorm if sparse else nn.BatchNorm2d
    return lambda c: cls(c, eps=eps, momentum=momentum)


def relu(sparse: bool) -> nn.Module:
    return SparseReLU() if sparse else nn.ReLU()


class _TransBlock(nn.Module):
    inplanes: int
    planes: int
    upsample: bool
    sparse: bool

    @staticmethod
    def check_sizes(inplanes: int, planes: int, up_kernel: int) -> None:
        check_int(inplanes, 'inplanes', 1)
        check_int(planes, 'planes', 1)
        check_choice(up_kernel, 'up_kernel', (2, 3))

    def check_input(self, x: Feature) -> None:
        """Name a feature of the wrong width or dtype (a SparseMap or a ``(B, C, H, W)`` tensor)."""
        channels = (
            x.num_channels
            if isinstance(x, SparseMap)
            else x.size(1)
            if isinstance(x, Tensor)
            else None
        )
        if channels != self.inplanes:
            raise ValueError(f"x must have {self.inplanes} channels (a SparseMap or a (B, C, H, "
                             "W) tensor), got "
                             f"{channels if channels is not None else type(x).__name__}")
        check_param_dtype(x.feats if isinstance(x, SparseMap) else x, 'x',
                          next(self.parameters(), None))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.inplanes}, {self.planes}, '
                f'upsample={self.upsample}, sparse={self.sparse})')


class TransBasicBlock(_TransBlock):
    r"""Transposed ResNet basic block (the official ``TransBasicBlockSparse`` /
    ``TransBasicBlock``).

    ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with ``conv1`` a 3x3
    convolution at width ``inplanes``; ``conv2`` is a 3x3 convolution to
    ``planes``, or with ``upsample=True`` a transposed convolution (the output
    lives on the children of the input sites). The shortcut is the identity, a
    1x1 convolution + BN when the width changes, or a 2x2 transposed
    convolution + BN when upsampling.

    Args:
        inplanes (int): input width.
        planes (int): output width.
        upsample (bool): 2x upsampling. (default: ``False``)
        sparse (bool): sparse layers on :class:`SparseMap` or dense layers on
            ``(B, C, H, W)`` tensors. (default: ``True``)
        up_kernel (int): kernel of the upsampling ``conv2`` (dense only: 3 = the official
            dense decoder, 2 = the sparse decoder's). (default: ``2``)
        norm (callable, optional): ``channels -> BatchNorm module``. (default: BatchNorm, PyTorch's
            settings)

    Shapes:
        - **input:** SparseMap :math:`(N, C_{in})` on :math:`(H, W)` or a tensor
          :math:`(B, C_{in}, H, W)`
        - **output:** :math:`(N, C_{out})`, or :math:`(4N, C_{out})` on :math:`(2H, 2W)` when
          upsampling
    """
    expansion = 1

    def __init__(self, inplanes: int, planes: int, upsample: bool = False, sparse: bool = True,
                 up_kernel: int = 2, norm: Optional[NormFactory] = None) -> None:
        super().__init__()
        self.check_sizes(inplanes, planes, up_kernel)
        norm = norm or norm_factory(sparse, 1e-5, 0.1)
        self.inplanes, self.planes, self.upsample, self.sparse = inplanes, planes, upsample, sparse
        self.conv1 = conv3x3(inplanes, inplanes, sparse)
        self.bn1 = norm(inplanes)
        self.relu = relu(sparse)
        self.conv2 = up_conv(inplanes, planes, sparse, kernel_size=up_kernel) if upsample \
            else conv3x3(inplanes, planes, sparse)
        self.bn2 = norm(planes)
        self.shortcut = _shortcut(inplanes, planes, upsample, sparse, norm)

    def forward(self, x: Feature) -> Feature:
        self.check_input(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + identity)


class TransBottleneck(_TransBlock):
    r"""Transposed ResNet bottleneck block (the official ``TransBottleneckSparse`` /
    ``TransBottleneck``).

    ``relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))`` with
    ``conv1`` a 1x1 map to the inner width ``inplanes // 4``, ``conv2`` a 3x3
    convolution at the inner width (a transposed convolution when upsampling),
    ``conv3`` a 1x1 map to ``planes``; shortcut as :class:`TransBasicBlock`.

    Args:
        inplanes (int): input width (4 x the inner width).
        planes (int): output width.
        upsample, sparse, up_kernel, norm: as :class:`TransBasicBlock`.

    Shapes:
        as :class:`TransBasicBlock`.
    """
    expansion = 4

    def __init__(self, inplanes: int, planes: int, upsample: bool = False, sparse: bool = True,
                 up_kernel: int = 2, norm: Optional[NormFactory] = None) -> None:
        super().__init__()
        self.check_sizes(inplanes, planes, up_kernel)
        if inplanes % self.expansion:
            raise ValueError(f"inplanes must be divisible by {self.expansion} (the inner width is "
                             f"inplanes // 4), got {inplanes}")
        norm = norm or norm_factory(sparse, 1e-5, 0.1)
        inner = inplanes // self.expansion
        self.inplanes, self.planes, self.upsample, self.sparse = inplanes, planes, upsample, sparse
        self.conv1 = conv1x1(inplanes, inner, sparse)
        self.bn1 = norm(inner)
        self.relu = relu(sparse)
        self.conv2 = up_conv(inner, inner, sparse,
                             kernel_size=up_kernel) if upsample else conv3x3(inner, inner, sparse)
        self.bn2 = norm(inner)
        self.conv3 = conv1x1(inner, planes, sparse)
        self.bn3 = norm(planes)
        self.shortcut = _shortcut(inplanes, planes, upsample, sparse, norm)

    def forward(self, x: Feature) -> Feature:
        self.check_input(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + identity)


def _shortcut(inplanes: int, planes: int, upsample: bool, sparse: bool,
              norm: NormFactory) -> Optional[nn.Module]:
    if upsample:
        return nn.Sequential(up_conv(inplanes, planes, sparse), norm(planes))
    if inplanes != planes:
        return nn.Sequential(conv1x1(inplanes, planes, sparse), norm(planes))
    return None


BLOCKS = {'basic': TransBasicBlock, 'bottleneck': TransBottleneck}

__all__ = ['TransBasicBlock', 'TransBottleneck', 'BLOCKS', 'conv3x3', 'conv1x1', 'up_conv',
           'norm_factory', 'relu']
