r"""The inference fast path of every model: folded BatchNorm, channels-last, mixed precision,
``torch.compile``, in one call.

:func:`optimize_for_inference` returns an :class:`InferenceModel` that computes what
``model.eval()`` computes (to float rounding in float32, tested for every registered
segmentation model) with fewer operations:

* **Folded BatchNorm** (:func:`fold_batchnorm`) wherever it is exact: in eval mode a
  BatchNorm is the per-channel affine map :math:`y \mapsto s \odot y + t` with
  :math:`s = \gamma / \sqrt{\sigma^2 + \epsilon}`, :math:`t = \beta - s \mu`, so after any
  layer that is linear in its weight with the output channels along one weight axis
  (a convolution, a transposed convolution, a linear map, HG-Conv's
  :class:`~graphseg.nn.DirectionalConv` on the group nodes, a deformable convolution, the
  sparse QGN layers) it folds into that weight (scaled along the output axis) and a bias
  :math:`s \odot b + t`. HyperSeg's dynamic patch-wise convolutions fold into their weight
  mappers as before (:func:`graphseg.nn.fuse_bn`, HyperSeg App. E).
* **channels-last** memory format for the model and its input where it measures faster:
  ``channels_last='auto'`` times both layouts side by side on ``example`` and keeps the
  faster (oneDNN's depthwise kernels make HyperSeg 1.2-1.3x faster in channels-last; the
  ResNets gain nothing). Models with HG-Conv stay contiguous under ``'auto'`` (deliberate
  deviation from timing them): the clustering makes discrete choices on the features, and the
  other summation order of channels-last convolutions can flip a near-tie (seen on
  ``hg_orientation_plus_attn`` with random BatchNorm statistics: 3 % of the largest logit),
  while HG-ResNet gains nothing from the layout. ``channels_last=True`` still converts them.
* **Mixed precision**: ``dtype=torch.bfloat16`` or ``torch.float16`` runs the model under
  ``torch.autocast`` on the input's device. The kernels whose accumulations need it (scatter
  sums, the typed-edge and gather-GEMM kernels, bilinear sampling positions, HG-Conv's
  clustering, SLIC) keep them in float32 under autocast; the logits come back as float32.
* **HG-ResNet's fusion on the nodes** (:class:`ProjectedHGResNet`): the 1x1 convolution that
  fuses the stage-3 map with the unpooled stage-4 output, :math:`W [X_3; \tilde S Z]`, is split
  into :math:`W_3 X_3 + \tilde S (Z W_4^\top)`: unpooling (Eq. 10) is linear and acts on each
  channel alike, so the :math:`C_4 \times C_4` half of the convolution runs on the :math:`M`
  group nodes instead of the :math:`HW` pixels (at 512x512, 17.2 of HG-ResNet-101's 182 GMACs
  and 1.07 of HG-ResNet-18's 25.8).
* **torch.compile** (``compile=True``, a mode name, or a dict of ``torch.compile`` options).
  HG-Conv's clustering and QGN's sparse decoder have data-dependent sizes and run with graph
  breaks.
* **CPU memory kept for the next call** (:func:`keep_cpu_memory`, ``keep_cpu_memory=True``;
  process-wide, so opt-in): glibc's malloc hands every freed block above its mmap threshold back
  to the OS, and the next forward pass page-faults the same activations in again. Keeping them
  made HyperSeg-M at 1024x512 about 2x faster on the 2-core CPU, the authors' code as much.

The result is for inference only: its ``train()`` raises, and it runs without autograd.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_floating, check_ndim, check_tensor
from ..nn.deform_conv import DeformConv2d
from ..nn.directional_conv import DirectionalConv
from ..nn.hgconv import HGClustering, HGConv
from ..nn.hyperseg.fuse import fuse_bn
from ..nn.qgn.blocks import TransBasicBlock, TransBottleneck
from ..nn.repgraph import NonLocal2d, RepGraph
from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
from .backbones.resnet import BasicBlock, Bottleneck, ResNet
from ..directions import NUM_DIRECTIONS
from ..nn.directional_conv import directional_edge_weight
from .baselines import ConvBNReLU
from .hgresnet import GraphBasicBlock, GraphBottleneck, HGResNet, NodeLinear

#: the values of ``channels_last``
CHANNELS_LAST = ('auto', True, False)
#: the autocast dtypes of ``dtype`` (``None``: float32)
MIXED_DTYPES = (torch.bfloat16, torch.float16)
#: ``channels_last='auto'`` keeps channels-last only when it is at least this much faster
LAYOUT_MARGIN = 0.97
#: timed runs per layout of ``channels_last='auto'`` (after one warm-up run each)
LAYOUT_REPEAT = 5

_Pairs = Union[Sequence[Tuple[str, str]], Callable[[nn.Module], Sequence[Tuple[str, str]]]]

#: (layer, BatchNorm) attribute pairs inside modules whose ``forward`` feeds the layer's output
#: only to the BatchNorm; ``nn.Sequential`` runs need no entry
BN_PAIRS: Dict[type, _Pairs] = {
    ResNet: (('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')),
    BasicBlock: (('conv1', 'bn1'), ('conv2', 'bn2')),
    Bottleneck: (('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')),
    GraphBasicBlock: (('conv1', 'bn1'), ('conv2', 'bn2')),
    GraphBottleneck: (('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')),
    TransBasicBlock: (('conv1', 'bn1'), ('conv2', 'bn2')),
    TransBottleneck: (('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')),
    HGConv: lambda m: [(f'convs.{i}', f'norms.{i}') for i in range(len(m.convs))],
    NonLocal2d: (('W_z', 'norm'),),
    RepGraph: (('W_y', 'norm'),),
}


# ----------------------------------------------------------------------------- BatchNorm folding

def _output_axis(layer: nn.Module) -> Optional[int]:
    """The weight axis of the output channels of a layer linear in its weight, ``None`` if the
    layer is not one whose BatchNorm folds."""
    if isinstance(layer, nn.ConvTranspose2d):
        return 1 if layer.groups == 1 else None
    if isinstance(layer, SparseConvTranspose2d):  # (C_in, C_out, 2, 2)
        return 1
    if isinstance(layer, DirectionalConv):  # (T, C_in, C_out)
        return 2
    if isinstance(layer, (nn.Conv2d, nn.Linear, NodeLinear, SubmanifoldConv2d, DeformConv2d)):
        return 0
    return None


def _foldable_norm(bn: nn.Module) -> bool:
    return (isinstance(bn, nn.modules.batchnorm._BatchNorm) and bn.track_running_stats
            and bn.running_mean is not None and bn.running_var is not None)


@torch.no_grad()
def fold_bn_into_(layer: nn.Module, bn: nn.Module) -> bool:
    r"""Fold the eval-mode BatchNorm ``bn`` that follows ``layer`` into ``layer``'s weight and bias
    in place: :math:`W \leftarrow s \odot W` along the output axis, :math:`b \leftarrow s \odot b +
    t`. The affine map is computed in float64. Returns ``False`` (and changes nothing) when the
    pair does not fold: an unknown layer type, a BatchNorm without running statistics, or channel
    counts that differ."""
    if not isinstance(layer, nn.Module):
        raise TypeError(f"layer must be an nn.Module, got {type(layer).__name__}")
    if not isinstance(bn, nn.Module):
        raise TypeError(f"bn must be an nn.Module, got {type(bn).__name__}")
    axis = _output_axis(layer)
    if axis is None or not _foldable_norm(bn):
        return False
    w = layer.weight
    if w.size(axis) != bn.num_features:
        return False
    s = torch.rsqrt(bn.running_var.double() + bn.eps)
    if bn.weight is not None:
        s = s * bn.weight.double()
    t = -s * bn.running_mean.double()
    if bn.bias is not None:
        t = t + bn.bias.double()
    shape = [1] * w.dim()
    shape[axis] = -1
    w.mul_(s.view(shape).to(w.dtype))  # in place: keeps the weight's strides (sparse layers)
    bias = t if layer.bias is None else s * layer.bias.double() + t
    if layer.bias is None:
        layer.bias = nn.Parameter(bias.to(dtype=w.dtype, device=w.device))
    else:
        layer.bias.copy_(bias)
    return True


def _pairs_of(module: nn.Module) -> List[Tuple[str, str]]:
    pairs: List[Tuple[str, str]] = []
    if isinstance(module, nn.Sequential):
        names = list(module._modules)
        pairs += list(zip(names[:-1], names[1:]))
    for cls in type(module).__mro__:
        if cls in BN_PAIRS:
            entry = BN_PAIRS[cls]
            pairs += list(entry(module) if callable(entry) else entry)
            break
    return pairs


def _child(module: nn.Module, path: str) -> Optional[nn.Module]:
    try:
        return module.get_submodule(path)
    except AttributeError:
        return None


def _replace(module: nn.Module, path: str, new: nn.Module) -> None:
    parent, _, name = path.rpartition('.')
    setattr(module.get_submodule(parent) if parent else module, name, new)


def count_batchnorms(model: nn.Module) -> int:
    """The BatchNorm modules (any ``_BatchNorm``: 1-D, 2-D, sparse, synchronised) in ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def fold_batchnorm(model: nn.Module, inplace: bool = False) -> nn.Module:
    r"""Fold every BatchNorm that follows a layer linear in its weight, for inference.

    First :func:`graphseg.nn.fuse_bn` (``Conv2d, BatchNorm2d`` runs of ``nn.Sequential``, the
    registered ResNet pairs, HyperSeg's dynamic convolutions into their weight mappers), then the
    other layers of :func:`fold_bn_into_` in ``nn.Sequential`` runs and in the pairs of
    :data:`BN_PAIRS` (HG-ResNet's node blocks, HG-Conv's graph convolutions, deformable stage 3,
    RepGraph's and the non-local block's output convolutions, QGN's dense and sparse blocks).
    Each folded BatchNorm becomes ``nn.Identity``; the others stay (e.g. one after a ReLU).

    Args:
        model (nn.Module): any graphseg model.
        inplace (bool): modify ``model`` instead of a deep copy. (default: ``False``)

    Returns:
        nn.Module: the folded model in eval mode; in float32 its output equals
        ``model.eval()``'s to float rounding.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(inplace, bool):
        raise TypeError(f"inplace must be a bool, got {type(inplace).__name__}")
    model = fuse_bn(model, inplace=inplace)  # a deep copy unless inplace; eval mode
    for module in list(model.modules()):
        for layer_name, bn_name in _pairs_of(module):
            layer, bn = _child(module, layer_name), _child(module, bn_name)
            if layer is not None and bn is not None and fold_bn_into_(layer, bn):
                _replace(module, bn_name, nn.Identity())
    return model


# ----------------------------------------------------------------------------- HG-ResNet

class ProjectedHGResNet(HGResNet):
    r"""An :class:`~graphseg.models.HGResNet` whose fusion of the stage-3 map :math:`X_3` with the
    HG stage's output runs its unpooled half on the group nodes (the fast path's form of
    HG-ResNet; same parameters, same output to float rounding).

    .. math::
        \mathrm{fuse}([X_3;\ \tilde S Z]) = \mathrm{ReLU}\big(\mathrm{BN}(W_3 X_3 +
        \tilde S\,(Z W_4^\top) + b)\big)

    with :math:`W = [W_3 | W_4]` the 1x1 fusion kernel and :math:`Z` the node features after the
    stage's blocks (Eq. 8-10): the unpooling :math:`\tilde S` is linear and the same for every
    channel, so it commutes with :math:`W_4`. :func:`optimize_for_inference` converts an HGResNet
    in place (``model.__class__``), as this class only overrides :meth:`encode`.
    """

    def encode(self, x: Tensor):
        b, stage = self.backbone, self.backbone.layer4
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x3 = b.layer3(b.layer2(b.layer1(x)))
        stage._check_input(x3)
        S, edge_index, edge_type, edge_weight = stage.group_graph(x3)
        edge_weight = directional_edge_weight(edge_index, edge_type, S.batch_size * S.num_groups,
                                              NUM_DIRECTIONS, edge_weight)  # Eq. 3
        z = S.pool(x3)  # Eq. 8: (B M, C3)
        for block in stage.blocks():
            z = block(z, edge_index, edge_type, edge_weight)
        conv, norm, act = self.fuse
        C3 = x3.size(1)
        w = conv.weight.flatten(1)  # (C4, C3 + C4)
        y = F.conv2d(x3, conv.weight[:, :C3], conv.bias)  # W_3 X_3 + b
        # S~ (Z W_4^T): Eq. 10 after the projection, added in the map's memory format
        y = y + S.unpool(F.linear(z, w[:, C3:])).contiguous(memory_format=_format_of(y))
        return x3, act(norm(y))


def _format_of(t: Tensor) -> torch.memory_format:
    if t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(
            memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def project_hg_fusion_(model: nn.Module) -> int:
    """Turn every :class:`~graphseg.models.HGResNet` inside ``model`` (or ``model`` itself) into a
    :class:`ProjectedHGResNet` in place; returns how many. Only the models whose fusion is
    HGResNet's 1x1 Conv-BN-ReLU and whose class is HGResNet itself (not a subclass with its own
    ``encode``) are converted."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    n = 0
    for m in model.modules():
        conv = m.fuse[0] if type(m) is HGResNet and isinstance(m.fuse, ConvBNReLU) else None
        if conv is not None and conv.kernel_size == (1, 1) and conv.groups == 1:
            m.__class__ = ProjectedHGResNet
            n += 1
    return n


# ----------------------------------------------------------------------------- the wrapper

class InferenceModel(nn.Module):
    r"""What :func:`optimize_for_inference` returns: the prepared model, called in the chosen
    memory format and precision, without autograd.

    ``forward(x, *args, **kwargs)`` converts ``x`` to channels-last when chosen, runs the model
    (compiled when asked) under ``torch.autocast(dtype)`` when ``dtype`` is set, and returns its
    output with every floating tensor of the output dict as a contiguous float32 tensor (the
    logits of every model: ``{'out': (B, K, H, W), ...}``); other values (QGN's ``'levels'``) are
    passed through.

    Attributes:
        model (nn.Module): the folded, converted model.
        channels_last (bool): the input and the model run channels-last.
        dtype (torch.dtype, optional): the autocast dtype.
        summary (dict): what was applied: ``keep_cpu_memory`` (:func:`keep_cpu_memory` applied),
            ``folded_bn`` / ``remaining_bn`` (BatchNorm modules),
            ``channels_last``, ``dtype``, ``compiled``, and with ``channels_last='auto'`` the
            fastest seconds of both layouts on the example (``layout_seconds``).
    """

    def __init__(self, model: nn.Module, channels_last: bool = False,
                 dtype: Optional[torch.dtype] = None, compiled: Optional[Callable] = None,
                 summary: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        self.model = model
        self.channels_last, self.dtype = bool(channels_last), dtype
        # not a submodule: torch.compile's wrapper holds the same parameters
        self.__dict__['_run'] = compiled if compiled is not None else model
        self.summary = dict(summary or {})
        super().train(False)

    def train(self, mode: bool = True) -> 'InferenceModel':
        if mode:
            raise RuntimeError("an optimize_for_inference model is for inference only (its "
                               "BatchNorms are folded); train the original model")
        return super().train(False)

    def forward(self, x: Tensor, *args, **kwargs):
        check_tensor(x, 'x')
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), _autocast(x.device.type, self.dtype):
            out = self._run(x, *args, **kwargs)
        return _as_float32(out)

    def extra_repr(self) -> str:
        dtype = str(self.dtype).replace('torch.', '') if self.dtype is not None else 'float32'
        return (f'channels_last={self.channels_last}, dtype={dtype}, '
                f'compiled={self.summary.get("compiled", False)}')


def _autocast(device_type: str, dtype: Optional[torch.dtype]):
    """``torch.autocast`` to ``dtype``, or nothing for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type, dtype=dtype)


def _as_float32(out):
    if isinstance(out, Tensor):
        return out.float().contiguous() if out.is_floating_point() else out
    if isinstance(out, dict):
        return {k: _as_float32(v) for k, v in out.items()}
    return out


# ----------------------------------------------------------------------------- CPU memory

#: glibc ``mallopt`` parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
#: what :func:`keep_cpu_memory` sets: glibc's largest mmap threshold on 64-bit systems
#: (``4 * 1024 * 1024 * sizeof(long)``), a 2 GiB trim threshold, 64 MiB of top padding
KEEP_CPU_MEMORY = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: (1 << 31) - 1,
                   _M_TOP_PAD: 64 << 20}
#: glibc's initial values, which ``keep_cpu_memory(False)`` restores (the threshold then stays
#: fixed instead of adapting)
GLIBC_DEFAULTS = {_M_MMAP_THRESHOLD: 128 << 10, _M_TRIM_THRESHOLD: 128 << 10, _M_TOP_PAD: 0}


def _glibc() -> Optional[ctypes.CDLL]:
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - no C library to open (e.g. some Windows builds)
        return None
    return libc if hasattr(libc, 'mallopt') and hasattr(libc, 'gnu_get_libc_version') else None


def keep_cpu_memory(enable: bool = True) -> bool:
    r"""Keep freed CPU memory in this process for the next forward pass (glibc's malloc).

    glibc serves every allocation above its mmap threshold (128 KiB, adapting up to 32 MiB) with a
    fresh ``mmap`` and returns it to the OS on ``free``; PyTorch's CPU allocator does not cache.
    A segmentation network's activations are megabytes each, so every forward pass maps them
    anew, and the kernel zero-fills each 4 KiB page on first touch: on the 2-core CPU HyperSeg-M
    at 1024x512 spent about half its time in those page faults (``fill_`` / ``copy_`` / ``clamp``
    on fresh buffers). ``keep_cpu_memory()`` raises the threshold to 32 MiB (glibc's largest),
    the trim threshold to 2 GiB and the top padding to 64 MiB, so that freed activations stay in
    the heap and are reused: what jemalloc / tcmalloc (``LD_PRELOAD``) or
    ``MALLOC_MMAP_THRESHOLD_`` give, from inside the process.

    Deviation from a pure model transform, deliberately opt-in: the setting is **process-wide**
    (every allocation of the process, any library) and the process's resident memory stays at its
    peak instead of shrinking between calls. ``keep_cpu_memory(False)`` restores glibc's initial
    values (the threshold no longer adapts). Blocks above 32 MiB are still mapped per call.

    Args:
        enable (bool): keep (``True``) or return to glibc's defaults (``False``).
            (default: ``True``)

    Returns:
        bool: ``True`` if applied; ``False`` where malloc is not glibc's (macOS, Windows, musl)
        and nothing was changed.
    """
    if not isinstance(enable, bool):
        raise TypeError(f"enable must be a bool, got {type(enable).__name__}")
    libc = _glibc()
    if libc is None:
        return False
    values = KEEP_CPU_MEMORY if enable else GLIBC_DEFAULTS
    return all(libc.mallopt(ctypes.c_int(k), ctypes.c_int(v)) == 1 for k, v in values.items())


_keep_cpu_memory = keep_cpu_memory  # the option of optimize_for_inference shadows the name


# ----------------------------------------------------------------------------- the one call

def _check_example(example: Optional[Tensor]) -> None:
    if example is None:
        return
    check_tensor(example, 'example')
    check_ndim(example, 'example', 4, '(B, C, H, W)')
    check_floating(example, 'example')


def _check_options(channels_last, fold_bn: bool, dtype, compile) -> None:
    if not isinstance(channels_last, (bool, str)):
        raise ValueError(f"channels_last must be one of {CHANNELS_LAST}, got {channels_last!r}")
    check_choice(channels_last, 'channels_last', CHANNELS_LAST)
    if not isinstance(fold_bn, bool):
        raise TypeError(f"fold_bn must be a bool, got {type(fold_bn).__name__}")
    if dtype is not None and dtype not in MIXED_DTYPES:
        raise ValueError(f"dtype must be None (float32) or one of {MIXED_DTYPES} (autocast), got "
                         f"{dtype!r}")
    if not isinstance(compile, (bool, str, dict)):
        raise TypeError("compile must be a bool, a torch.compile mode name or a dict of "
                        f"torch.compile options, got {type(compile).__name__}")


def _layout_seconds(fns: Dict[str, Callable[[], object]], repeat: int = LAYOUT_REPEAT
                    ) -> Dict[str, float]:
    """Fastest wall time of each callable over ``repeat`` runs, interleaved round-robin after one
    warm-up run each (the scheme of :func:`graphseg.analysis.compare_times`, which lives above this
    package). The minimum, not the median: the choice is about which layout is faster in itself,
    and on a shared machine a neighbour's burst only ever adds time (with 3 runs and medians,
    HyperSeg-M at 1 thread was seen to keep the slower layout)."""
    for fn in fns.values():
        fn()
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: min(v) for k, v in times.items()}


def _choose_layout(model: nn.Module, example: Tensor, dtype: Optional[torch.dtype],
                   kwargs: Dict[str, Any]) -> Tuple[nn.Module, bool, Dict[str, float]]:
    """Time ``model`` in both memory formats on ``example`` and keep the faster (channels-last
    only when it is at least ``1 / LAYOUT_MARGIN`` times as fast)."""
    cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    x_cl = example.contiguous(memory_format=torch.channels_last)

    def run(m: nn.Module, x: Tensor) -> Callable[[], object]:
        def call():
            with torch.no_grad(), _autocast(x.device.type, dtype):
                return m(x, **kwargs)
        return call

    t = _layout_seconds({'contiguous': run(model, example), 'channels_last': run(cl, x_cl)})
    if t['channels_last'] < LAYOUT_MARGIN * t['contiguous']:
        return cl, True, t
    return model, False, t


def optimize_for_inference(model: nn.Module, example: Optional[Tensor] = None, *,
                           channels_last: Union[str, bool] = 'auto', fold_bn: bool = True,
                           dtype: Optional[torch.dtype] = None,
                           compile: Union[bool, str, Dict[str, Any]] = False,
                           inplace: bool = False,
                           forward_kwargs: Optional[Dict[str, Any]] = None,
                           keep_cpu_memory: bool = False) -> InferenceModel:
    r"""Prepare any graphseg model for fast inference in one call.

    Applies, in order: :func:`fold_batchnorm` (``fold_bn``), the memory format
    (``channels_last``), ``torch.compile`` (``compile``); ``dtype`` selects autocast at call time.
    In float32 the returned model's eval output equals ``model.eval()``'s within 1e-4 relative
    (``tests/models/test_inference.py`` checks every registered segmentation model); under
    bf16 / fp16 autocast the argmax agrees with float32 on at least 99 % of the pixels of trained
    models.

    ``graphseg eval`` calls it on the prepared model with the first validation image as
    ``example``.

    Args:
        model (nn.Module): a model (e.g. from :func:`~graphseg.models.create_model`), on the device
            it will run on; left unchanged unless ``inplace``.
        example (Tensor, optional): an input batch :math:`(B, C, H, W)` of the size it will see;
            needed for ``channels_last='auto'``, which times both layouts on it (the fastest of
            five interleaved runs each, after a warm-up).
        channels_last (str or bool): ``'auto'`` (the faster layout on ``example``), ``True`` or
            ``False``. (default: ``'auto'``)
        fold_bn (bool): fold BatchNorm where it is exact. (default: ``True``)
        dtype (torch.dtype, optional): ``torch.bfloat16`` or ``torch.float16`` to run under
            ``torch.autocast`` on the input's device (bf16 is the CPU choice; fp16 and bf16 on
            CUDA); ``None`` = float32. (default: ``None``)
        compile (bool, str or dict): ``torch.compile`` the model: ``True`` (default options), a
            mode name (``'max-autotune'`` ...) or a dict of ``torch.compile`` keyword arguments.
            (default: ``False``)
        inplace (bool): fold and convert ``model`` itself instead of a deep copy. (default:
            ``False``)
        forward_kwargs (dict, optional): keyword arguments of the model's ``forward`` for the
            timing runs of ``channels_last='auto'`` (e.g. ``{'scheme': 'all'}`` for QGN's dense
            decoder); calls of the result take them as the model does.
        keep_cpu_memory (bool): call :func:`keep_cpu_memory` first (process-wide: freed CPU
            memory stays in the process for the next call; glibc only). (default: ``False``)

    Returns:
        InferenceModel: call it like the model; ``.summary`` says what was applied.

    Shapes:
        - **input:** as the model, e.g. :math:`(B, 3, H, W)`
        - **output:** the model's output dict with float32 logits ``'out'`` :math:`(B, K, H, W)`
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if isinstance(model, InferenceModel):
        raise TypeError("model is already an InferenceModel; pass the original model")
    _check_example(example)
    _check_options(channels_last, fold_bn, dtype, compile)
    if forward_kwargs is not None and not isinstance(forward_kwargs, dict):
        raise TypeError(f"forward_kwargs must be a dict, got {type(forward_kwargs).__name__}")
    if channels_last == 'auto' and example is None:
        raise ValueError("example is needed for channels_last='auto' (it times both memory "
                         "formats on it); pass an input batch or channels_last=True / False")
    if not isinstance(keep_cpu_memory, bool):
        raise TypeError(f"keep_cpu_memory must be a bool, got {type(keep_cpu_memory).__name__}")
    kept = _keep_cpu_memory(True) if keep_cpu_memory else False
    before = count_batchnorms(model)
    if fold_bn:
        model = fold_batchnorm(model, inplace=inplace)
    elif not inplace:
        model = copy.deepcopy(model)
    model.eval()
    summary: Dict[str, Any] = {'keep_cpu_memory': kept,
                               'folded_bn': before - count_batchnorms(model),
                               'remaining_bn': count_batchnorms(model),
                               'projected_hg_fusion': project_hg_fusion_(model)}
    if channels_last == 'auto' and any(isinstance(m, HGClustering) for m in model.modules()):
        # HG-Conv's clustering makes discrete choices (centres, assignments) on the features: the
        # other summation order of channels-last convolutions can flip a near-tie and change the
        # output beyond float tolerance, for no gain (HG-ResNet: 1.00x)
        channels_last = False
        summary['layout_reason'] = 'HG-Conv clustering: contiguous'
    elif channels_last == 'auto':
        model, channels_last, seconds = _choose_layout(model, example, dtype,
                                                       dict(forward_kwargs or {}))
        summary['layout_seconds'] = seconds
    elif channels_last:
        model = model.to(memory_format=torch.channels_last)
    compiled = None
    if compile is not False:
        options = ({} if compile is True else {'mode': compile} if isinstance(compile, str)
                   else dict(compile))
        compiled = torch.compile(model, **options)
    summary.update(channels_last=bool(channels_last), dtype=dtype, compiled=compiled is not None)
    return InferenceModel(model, bool(channels_last), dtype, compiled, summary)


__all__ = ['optimize_for_inference', 'keep_cpu_memory', 'KEEP_CPU_MEMORY', 'GLIBC_DEFAULTS',
           'fold_batchnorm', 'fold_bn_into_', 'count_batchnorms',
           'InferenceModel', 'ProjectedHGResNet', 'project_hg_fusion_', 'BN_PAIRS',
           'CHANNELS_LAST', 'MIXED_DTYPES']
