r"""Export a model for deployment: ONNX, TorchScript or a ``torch.export`` program, checked against
eager.

:func:`export_model` writes the *export form* of a model (:func:`export_form`): BatchNorm folded
(:func:`~graphseg.models.fold_batchnorm`), the logits ``(B, K, H, W)`` as the only output, and the
model's data-dependent parts replaced by their static equivalents where one exists:

* **RGNet** (:class:`~graphseg.nn.RepGraph`): the dense path gathers the 4 bilinear taps of every
  representative node with ``F.embedding_bag``; the export form samples the same nodes with
  ``F.grid_sample(align_corners=True, padding_mode='zeros')`` (:class:`RepGraphGridSample`), the
  same bilinear kernel (RepGraph Eq. 8) with the same zero padding, which ONNX has as
  ``GridSample``.
* **QGN's dense decoder** (``sparse=False``) decodes every cell (``scheme='all'``).

Then it checks the written file against eager on ``example`` (and, with dynamic sizes, on a second
input of another size) and returns an :class:`ExportResult` with the largest difference and the
arg-max agreement; a difference above ``tolerance`` (relative to the largest logit) raises.

What does not export, and why (:func:`export_support` says it for a model):

* **HG-Conv** (``hg_*``: HG-ResNet, HG-ResUNet, the HG FCNs) -- its graph depends on the data:
  the number of candidate groups per tile of the clustering is ``int(count.max())``, the centres
  are sampled per image from seeded generators, and the group adjacency is a ``torch.unique`` over
  the pixel pairs, whose output length is data-dependent. ``torch.export`` stops at the first of
  these guards (``bool(torch.isfinite(importance).all())`` in ``HGClustering.cluster``) and
  ``torch.export.draft_export`` at ``torch.unique``'s unbacked size in ``group_adjacency``
  (``PendingUnbackedSymbolNotFound``); ONNX (built on ``torch.export``) fails the same way, and a
  TorchScript trace would freeze one image's graph into the program and be wrong for the next.
* **QGN's sparse decoder** (the default, ``sparse=True``) -- the active sites of each level are the
  children of the cells predicted composite, so every level's size is data-dependent
  (``nonzero``), and its kernel maps are built with ``searchsorted`` / index grids on those sites.
  Its dense twin (``sparse=False``, the released ``QGN_dense``) exports.

Dynamic sizes (``dynamic=True``, the default): batch, height and width are dynamic dimensions of
the ONNX graph and of the exported program (height and width multiples of the model's
``input_divisor``), checked on a second input of another batch size and size. Except:

* **HyperSeg** exports with a dynamic batch at the example's height and width
  (:func:`size_specialized`): each decoder level is cut into the patch grid of the signal
  :math:`\phi` (stride 32), so a patch is :math:`p = H / (H / 32)` pixels of the level's map, a
  ratio of two symbolic sizes that ``torch.export`` cannot prove constant; it specialises the
  sizes (``Guard failed: ... // 16 ... == 4``). Export at the deployment resolution.
* **TorchScript** (``torch.jit.trace``, deprecated upstream) records the sizes as traced tensors:
  RGNet's and HyperSeg's shape checks refuse them, so it covers the dense models and QGN's dense
  decoder.
"""
from __future__ import annotations

import copy
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_floating, check_ndim, check_number, check_tensor
from ..graphs.representative import sample_positions
from ..nn.hgconv import HGClustering
from ..nn.qgn import QGNDecoder
from ..nn.repgraph import RepGraph
from .hyperseg import HyperSeg
from .inference import fold_batchnorm
from .qgn import QGN
from .registry import model_logits

#: the export formats
FORMATS = ('onnx', 'torchscript', 'exported-program')
#: the file suffix of each format
SUFFIXES = {'onnx': '.onnx', 'torchscript': '.pt', 'exported-program': '.pt2'}
#: default parity tolerance: largest |exported - eager| over the largest |eager| logit
TOLERANCE = 1e-4
#: beyond the tolerance, an export still passes when its error against float64 eager is at most
#: this many times float32 eager's own error (float32 is then what is off, not the export)
FLOAT64_SLACK = 2.


# ----------------------------------------------------------------------------- export forms

class RepGraphGridSample(nn.Module):
    r"""A :class:`~graphseg.nn.RepGraph` block computed with ``F.grid_sample`` (its export form).

    The representative nodes of query :math:`i` are sampled at :math:`p_n = p_i + b_n + \Delta p_n`
    (Eq. 6-8) by ``F.grid_sample(value, grid, 'bilinear', padding_mode='zeros',
    align_corners=True)`` with :math:`grid = (2 p_x / (W - 1) - 1, 2 p_y / (H - 1) - 1)`: the
    bilinear kernel :math:`G` of Eq. 8 with zero padding, as the dense path's taps
    (:func:`~graphseg.graphs.bilinear_neighbors`). The logits :math:`x_\theta(i)^\top s_\phi(n)`
    are a product summed over the channels, the softmax runs over the :math:`S` samples. Shares
    the block's parameters; equal to ``block.forward`` to float rounding.

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, C, H, W)` (``fusion='sum'``) or :math:`(B, 2C, H, W)`
    """

    def __init__(self, block: RepGraph) -> None:
        super().__init__()
        if not isinstance(block, RepGraph):
            raise TypeError(f"block must be a RepGraph, got {type(block).__name__}")
        if block.grid != 1:
            raise ValueError(f"the grid_sample form supports grid = 1 (one anchor per pixel), got "
                             f"grid = {block.grid}")
        self.block = block

    def _sample(self, table: Tensor, positions: Tensor, H: int, W: int) -> Tensor:
        """table (L, C, H, W), positions (L, HW, S, 2) as (y, x) -> (L, C, HW, S)."""
        y, x = positions.unbind(-1)
        grid = torch.stack([x * (2 / max(W - 1, 1)) - 1, y * (2 / max(H - 1, 1)) - 1], dim=-1)
        return F.grid_sample(table, grid, mode='bilinear', padding_mode='zeros',
                             align_corners=True)

    def attend(self, h: Tensor) -> Tensor:
        """The attention output :math:`\\tilde y` (Eq. 6) of the layer input ``h``."""
        blk = self.block
        B, _, H, W = h.shape
        G, C = blk.groups, blk.inter_channels
        Cg = C // G
        positions = sample_positions(blk.offsets(h), grid=1, groups=G,
                                     dilation=blk.layer.dilation)  # (B G, HW, S, 2)
        if blk.layer.embed:
            maps = (blk.layer.theta, blk.layer.phi, blk.layer.g)
            weight = torch.cat([m.weight for m in maps])[..., None, None]  # (3C', C_h, 1, 1)
            bias = torch.cat([m.bias for m in maps]) if maps[0].bias is not None else None
            query, key, value = F.conv2d(h, weight, bias).chunk(3, dim=1)
        else:  # Bottleneck: the reduced map is x_theta = x_phi = x_g
            query = key = value = h
        q = query.reshape(B * G, Cg, H * W, 1)
        s_phi = self._sample(key.reshape(B * G, Cg, H, W), positions, H, W)  # (B G, Cg, HW, S)
        s_g = s_phi if value is key else self._sample(value.reshape(B * G, Cg, H, W), positions,
                                                      H, W)
        attn = (q * s_phi).sum(1, keepdim=True).softmax(dim=-1)  # (B G, 1, HW, S) Eq. 6
        return (attn * s_g).sum(-1).reshape(B, C, H, W)

    def forward(self, x: Tensor) -> Tensor:
        blk = self.block
        h = blk.reduce(x) if blk.reduce is not None else x
        z = blk.norm(blk.W_y(self.attend(h)))  # Eq. 9
        return x + z if blk.fusion == 'sum' else torch.cat([x, z], dim=1)


class LogitsModel(nn.Module):
    """``model(x, **forward_kwargs)['out']``: the logits as the only output (what the export
    formats need)."""

    def __init__(self, model: nn.Module, forward_kwargs: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        if forward_kwargs is not None and not isinstance(forward_kwargs, dict):
            raise TypeError(f"forward_kwargs must be a dict, got {type(forward_kwargs).__name__}")
        self.model = model
        self.forward_kwargs = dict(forward_kwargs or {})

    def forward(self, x: Tensor) -> Tensor:
        return model_logits(self.model(x, **self.forward_kwargs))


def export_support(model: nn.Module) -> Optional[str]:
    """``None`` if ``model`` exports, else why not (see the module docstring)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if any(isinstance(m, HGClustering) for m in model.modules()):
        return ("HG-Conv's group graph depends on the data (candidate groups per tile "
                "int(count.max()), per-image centre sampling, torch.unique over pixel pairs in "
                "group_adjacency): torch.export cannot trace it with dynamic or static sizes")
    if any(isinstance(m, QGNDecoder) and m.sparse for m in model.modules()):
        return ("QGN's sparse decoder decodes the children of the cells predicted composite, so "
                "every level's active sites depend on the data (nonzero); export its dense twin "
                "(sparse=False)")
    return None


def size_specialized(model: nn.Module) -> Optional[str]:
    """``None`` if ``model`` exports with dynamic height and width, else why its export holds for
    the example's size only (a dynamic batch still works)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if any(isinstance(m, HyperSeg) for m in model.modules()):
        return ("HyperSeg cuts each level into the patch grid of phi (stride 32): the patch side "
                "H / (H / 32) is a ratio of symbolic sizes that torch.export specialises")
    return None


def export_form(model: nn.Module) -> LogitsModel:
    """The exportable twin of ``model`` (a deep copy, eval mode): BatchNorm folded, RepGraph blocks
    as :class:`RepGraphGridSample`, QGN's dense decoder with ``scheme='all'``, the logits as the
    only output. Raises ``ValueError`` naming the reason for a model that does not export
    (:func:`export_support`)."""
    reason = export_support(model)
    if reason is not None:
        raise ValueError(f"model {type(model).__name__} does not export: {reason}")
    form = fold_batchnorm(model)
    for name, module in list(form.named_modules()):
        if isinstance(module, RepGraph):
            if not name:  # the model is one block
                form = RepGraphGridSample(module)
                break
            parent, _, attr = name.rpartition('.')
            setattr(form.get_submodule(parent) if parent else form, attr,
                    RepGraphGridSample(module))
    kwargs = {'scheme': 'all'} if isinstance(model, QGN) else {}
    return LogitsModel(form, kwargs).eval()


# ----------------------------------------------------------------------------- export

@dataclass
class ExportResult:
    """What :func:`export_model` wrote and how it compares with eager.

    Attributes:
        path: the written file.
        format: ``'onnx'``, ``'torchscript'`` or ``'exported-program'``.
        max_abs_diff: largest |exported - eager| logit over the checked inputs.
        max_rel_diff: the same over the largest |eager| logit.
        argmax_agreement: share of pixels whose arg-max class agrees.
        seconds: time to export (without the check).
        dynamic: the batch is a dynamic dimension.
        dynamic_size: height and width are dynamic dimensions too (not for HyperSeg,
            :func:`size_specialized`).
        float64_export_error, float64_eager_error: where the difference exceeded the tolerance,
            the relative errors of the export and of float32 eager against float64 eager (else
            ``None``).
    """
    path: str
    format: str
    max_abs_diff: float
    max_rel_diff: float
    argmax_agreement: float
    seconds: float
    dynamic: bool
    dynamic_size: bool
    float64_export_error: Optional[float] = None
    float64_eager_error: Optional[float] = None


def _dynamic_shapes(divisor: int, sizes: bool) -> Dict[str, Dict[int, Any]]:
    Dim = torch.export.Dim
    dims: Dict[int, Any] = {0: Dim('batch', min=1, max=1 << 10)}
    if sizes:
        h = Dim('h', min=1, max=1 << 12)
        w = Dim('w', min=1, max=1 << 12)
        dims.update({2: h * divisor if divisor > 1 else Dim.AUTO,
                     3: w * divisor if divisor > 1 else Dim.AUTO})
    return {'x': dims}


def _export(form: nn.Module, example: Tensor, path: str, fmt: str, dynamic: bool,
            dynamic_size: bool, divisor: int) -> None:
    shapes = _dynamic_shapes(divisor, dynamic_size) if dynamic else None
    if dynamic and example.size(0) == 1:  # a size-1 dimension would be specialised to 1
        example = example.expand(2, -1, -1, -1)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if fmt == 'torchscript':
            try:
                traced = torch.jit.trace(form, (example,), check_trace=False)
            except (ValueError, TypeError) as e:  # a shape check that sees a traced size
                raise ValueError(f"format 'torchscript' (torch.jit.trace) cannot trace "
                                 f"{type(form.model).__name__}: {e}; use 'exported-program' or "
                                 "'onnx'") from e
            torch.jit.save(traced, path)
            return
        # ONNX from the exported program itself: a dynamic export that fails raises here instead
        # of the ONNX exporter falling back to a static graph
        program = torch.export.export(form, (example,), dynamic_shapes=shapes)
        if fmt == 'exported-program':
            torch.export.save(program, path)
        else:
            torch.onnx.export(program, (example,), path, dynamo=True, input_names=['x'],
                              output_names=['logits'], verbose=False)


def load_exported(path: str, format: str):
    """A callable ``x -> logits`` for a file :func:`export_model` wrote: an onnxruntime session
    (CPU), a TorchScript module or an exported program's module."""
    check_choice(format, 'format', FORMATS)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path {path!r} does not exist")
    if format == 'onnx':
        import onnxruntime as ort  # optional dependency (the test extra installs it)
        session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
        name = session.get_inputs()[0].name

        def run(x: Tensor) -> Tensor:
            return torch.from_numpy(session.run(None, {name: x.detach().cpu().numpy()})[0])
        return run
    if format == 'torchscript':
        return torch.jit.load(path, map_location='cpu')
    return torch.export.load(path).module()


def _differences(out: Tensor, ref: Tensor) -> Tuple[float, float]:
    diff = float((out.double() - ref.double()).abs().max())
    return diff, diff / max(float(ref.abs().max()), 1e-12)


def _float64_errors(form: nn.Module, x: Tensor, out: Tensor, ref: Tensor) -> Tuple[float, float]:
    """Relative errors of the export and of float32 eager, both against float64 eager."""
    form64 = copy.deepcopy(form).double()
    with torch.no_grad():
        ref64 = form64(x.double())
    return _differences(out, ref64)[1], _differences(ref, ref64)[1]


def _compare(run, form: nn.Module, inputs, tolerance: float) -> Dict[str, float]:
    """The largest differences of ``run`` against eager over ``inputs``, the arg-max agreement,
    and, where the difference exceeds ``tolerance``, the float64 errors of both."""
    worst = {'abs': 0., 'rel': 0., 'export_error': 0., 'eager_error': 0.}
    agree, total = 0, 0
    for x in inputs:
        with torch.no_grad():
            ref = form(x)
            out = run(x).to(ref.dtype)
        if out.shape != ref.shape:
            raise RuntimeError(f"the exported model returned shape {tuple(out.shape)} for input "
                               f"{tuple(x.shape)}, eager {tuple(ref.shape)}")
        diff, rel = _differences(out, ref)
        worst['abs'], worst['rel'] = max(worst['abs'], diff), max(worst['rel'], rel)
        if rel > tolerance:  # which of the two is off? float64 says
            export_error, eager_error = _float64_errors(form, x, out, ref)
            worst['export_error'] = max(worst['export_error'], export_error)
            worst['eager_error'] = max(worst['eager_error'], eager_error)
        agree += int((out.argmax(1) == ref.argmax(1)).sum())
        total += ref[:, 0].numel()
    worst['agreement'] = agree / max(total, 1)
    return worst


def _second_input(example: Tensor, divisor: int, sizes: bool) -> Tensor:
    """Another batch size (and size) for the check of dynamic dimensions, made of the example's
    own images and their mirror images (resized): an input of the example's distribution. (Noise
    is no test input for a trained model: its float32 logits can be as far from float64 as from
    any export.)"""
    B, C, H, W = example.shape
    images = torch.cat([example, example.flip(-1)])[:B + 1]
    if not sizes:
        return images.contiguous()
    step = max(divisor, 8)
    return F.interpolate(images, size=(H + step, W + 2 * step), mode='bilinear',
                         align_corners=False)


def export_model(model: nn.Module, example: Tensor, path: str, format: str = 'onnx', *,
                 dynamic: bool = True, check: bool = True, tolerance: float = TOLERANCE,
                 input_divisor: int = 1) -> ExportResult:
    """Export ``model`` (its :func:`export_form`) to ``path`` in ``format`` and check it against
    eager.

    Args:
        model (nn.Module): a segmentation model (CPU, float32); it is not changed.
        example (Tensor): an input batch :math:`(B, C, H, W)`.
        path (str): the file to write (its folder must exist).
        format (str): ``'onnx'`` (opset of ``torch.onnx``'s exporter, ``GridSample`` for RGNet),
            ``'torchscript'`` (``torch.jit.trace``) or ``'exported-program'``
            (``torch.export``, saved with ``torch.export.save``). (default: ``'onnx'``)
        dynamic (bool): dynamic batch, height and width (multiples of ``input_divisor``; the batch
            only for the models of :func:`size_specialized`). (default: ``True``)
        check (bool): run the written file (onnxruntime for ONNX) on ``example`` and, if
            ``dynamic``, on a larger batch of another size made of the example's images and their
            mirror images, and raise ``RuntimeError`` when the largest difference exceeds
            ``tolerance`` times the largest eager logit, unless float64 eager shows float32 eager
            to be as far off on that input (the export's error against float64 at most
            :data:`FLOAT64_SLACK` times eager float32's; the result reports both). (default:
            ``True``)
        tolerance (float): relative tolerance of the check. (default: ``1e-4``)
        input_divisor (int): the sizes the model accepts are multiples of this (HyperSeg, QGN:
            32; :func:`~graphseg.models.model_info` has it). (default: ``1``)

    Returns:
        ExportResult: the path, the measured differences and agreement, the export time.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    check_tensor(example, 'example')
    check_ndim(example, 'example', 4, '(B, C, H, W)')
    check_floating(example, 'example')
    check_choice(format, 'format', FORMATS)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path's folder {folder!r} does not exist")
    check_number(tolerance, 'tolerance', 0., strict=True)
    if isinstance(input_divisor, bool) or not isinstance(input_divisor, int) or input_divisor < 1:
        raise ValueError(f"input_divisor must be an int >= 1, got {input_divisor!r}")
    form = export_form(model)
    dynamic_size = bool(dynamic) and size_specialized(model) is None
    example = example.detach().cpu().float()
    t0 = time.perf_counter()
    _export(form, example, path, format, dynamic, dynamic_size, input_divisor)
    seconds = time.perf_counter() - t0
    found = {'abs': 0., 'rel': 0., 'agreement': 1., 'export_error': 0., 'eager_error': 0.}
    if check:
        inputs = [example] + ([_second_input(example, input_divisor, dynamic_size)]
                              if dynamic else [])
        found = _compare(load_exported(path, format), form, inputs, tolerance)
        # beyond tolerance, the export passes only if it is as close to float64 as eager float32
        # is (within FLOAT64_SLACK): then float32 itself is what cannot be trusted on the input
        ill_conditioned = (found['export_error'] <= FLOAT64_SLACK * found['eager_error'])
        if found['rel'] > tolerance and not ill_conditioned:
            raise RuntimeError(
                f"the {format} export differs from eager by {found['abs']:.3g} "
                f"({found['rel']:.3g} of the largest logit), above tolerance {tolerance:g}, and "
                f"from float64 eager by {found['export_error']:.3g} (float32 eager: "
                f"{found['eager_error']:.3g}); arg-max agreement {found['agreement']:.4f}")
    return ExportResult(path, format, found['abs'], found['rel'], found['agreement'], seconds,
                        bool(dynamic), dynamic_size, found['export_error'] or None,
                        found['eager_error'] or None)


__all__ = ['export_model', 'export_form', 'export_support', 'size_specialized', 'load_exported',
           'ExportResult', 'FLOAT64_SLACK',
           'RepGraphGridSample', 'LogitsModel', 'FORMATS', 'SUFFIXES', 'TOLERANCE']
