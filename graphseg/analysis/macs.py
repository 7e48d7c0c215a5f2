r"""MACs of whole models (:func:`count_macs`), of what ``torch.utils.flop_counter`` sees, and their
display.

:func:`count_macs` is graphseg's one whole-model counter: every module contributes what
it computes, graph layers by the closed-form counts of :mod:`graphseg.ops.macs`
(message passing, clustering and adjacency included), other modules by the dense
ops ``FlopCounterMode`` sees.
"""
from __future__ import annotations

import inspect
from typing import Callable, Dict, Optional

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from ..check import check_callable, check_int
from ..nn.deform_conv import DeformConv2d
from ..nn.directional_conv import DirectionalConv
from ..nn.repgraph import NonLocal2d, RepGraph
from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
from ..ops.macs import repgraph_mac_breakdown, typed_graph_conv_macs


def dense_flop_macs(fn: Callable[[], object]) -> int:
    """MACs of the dense ops (matmul / conv / bmm ...) that ``torch.utils.flop_counter`` sees in
    ``fn()``."""
    check_callable(fn, 'fn')
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() // 2


def format_macs(macs: float) -> str:
    """Human-readable count: ``601.3 G``."""
    if isinstance(macs, bool) or not isinstance(macs, (int, float)):
        raise TypeError(f"macs must be a number, got {type(macs).__name__}")
    for unit, scale in (('T', 1e12), ('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(macs) >= scale:
            return f'{macs / scale:.1f} {unit}'
    return f'{macs:.0f}'


def summarize(breakdown: Dict[str, int]) -> str:
    """One line per part and the total, for a cost breakdown ``{part: macs}``."""
    if not isinstance(breakdown, dict):
        raise TypeError(f"breakdown must be a dict name -> MACs, got {type(breakdown).__name__}")
    total = sum(breakdown.values())
    lines = [f'{k:>24}: {format_macs(v):>10}  ({100 * v / max(total, 1):5.1f} %)' for k,
             v in breakdown.items()]
    return '\n'.join(lines + [f'{"total":>24}: {format_macs(total):>10}'])


def _module_rule(module, args, output) -> Optional[int]:
    """MACs of a module whose own computation is known (``None``: a container, or nothing
    counted)."""
    # typed kernel over the kernel map of the active sites
    if isinstance(module, SubmanifoldConv2d):
        sites = args[0]
        if module.kernel_size == 1:
            return sites.num_sites * module.in_channels * module.out_channels
        edges = sites.kernel_map(3)[0].size(1)
        return typed_graph_conv_macs(sites.num_sites, edges, module.in_channels,
                                     module.out_channels, 9)
    if isinstance(module, SparseConvTranspose2d):  # each active site feeds its 4 children
        return args[0].num_sites * module.in_channels * module.out_channels * 4
    if hasattr(output, 'feats'):  # SparseMap outputs: per-site layers
        output = output.feats
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        x = args[0]
        return x.numel() * (module.out_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    if isinstance(module, DirectionalConv):
        x, edge_index = args[0], args[1]
        return typed_graph_conv_macs(x.size(0), edge_index.size(1), module.in_channels,
                                     module.out_channels, module.num_directions)
    # the kernel's products + 4 bilinear taps per sampled value
    if isinstance(module, DeformConv2d):
        kh, kw = module.kernel_size
        taps = output.numel() // module.out_channels * kh * kw  # B H_o W_o K sampling points
        return (
            output.numel() * (module.in_channels // module.groups) * kh * kw
            + 4 * taps * module.in_channels
        )
    # the two N x N products; theta, phi, g, W_z are its own Conv2d children
    if isinstance(module, NonLocal2d):
        B, _, H, W = args[0].shape
        return 2 * B * (H * W) ** 2 * module.inter_channels
    return None


def _reports_itself(module) -> bool:
    """Modules whose cost :func:`count_macs` takes from :func:`_opaque_macs` (their children are not
    visited)."""
    return isinstance(module, RepGraph) or callable(getattr(module, 'count_macs', None))


def _opaque_macs(module, args, kwargs) -> Dict[str, int]:
    """Parts and MACs (summed over the batch) of a module that reports its own cost."""
    if isinstance(module, RepGraph):
        B, C, H, W = args[0].shape
        parts = repgraph_mac_breakdown(H, W, C, module.inter_channels, module.num_samples,
                                       module.variant, module.grid, module.groups,
                                       include_output=True)
        return {k: B * v for k, v in parts.items()}
    accepted = inspect.signature(module.count_macs).parameters
    per_image = module.count_macs(*args, **{k: v for k, v in kwargs.items() if k in accepted})
    per_image = per_image if isinstance(per_image, list) else [per_image]
    parts: Dict[str, int] = {}
    for d in per_image:
        for k, v in d.items():
            parts[k] = parts.get(k, 0) + int(v)
    return parts


class _MacCounter:
    """The forward hooks of :func:`count_macs`: which module ran inside which, what each
    computes."""

    def __init__(self, model: nn.Module, depth: int) -> None:
        self.model, self.depth = model, depth
        self.names = {id(m): n for n, m in model.named_modules()}
        self.totals: Dict[str, int] = {}
        self.parts: Dict[str, Dict[str, int]] = {}
        self.stack: list = []  # the modules running, innermost last
        # the self-reporting module running, if any (its children are not visited)
        self.inside: list = []
        self.callees: Dict[int, list] = {}  # module -> the modules it called directly
        # modules without a rule: their dense ops from FlopCounterMode
        self.functional: Dict[int, nn.Module] = {}
        # (module, args, kwargs) of the self-reporting modules, counted after the pass
        self.reports: list = []
        self.handles = [
            h
            for m in model.modules()
            for h in (
                m.register_forward_pre_hook(self.pre, with_kwargs=True),
                m.register_forward_hook(self.post, with_kwargs=True),
            )
        ]

    def key(self, module: nn.Module) -> str:
        return '.'.join(self.names.get(id(module), '').split('.')[:self.depth])

    def add(self, k: str, macs: int) -> None:
        self.totals[k] = self.totals.get(k, 0) + int(macs)

    def pre(self, module, args, kwargs) -> None:
        if self.inside:
            return
        if self.stack:
            self.callees.setdefault(id(self.stack[-1]), []).append(module)
        self.stack.append(module)
        if _reports_itself(module):
            self.inside.append(module)

    def post(self, module, args, kwargs, output) -> None:
        if self.inside and self.inside[-1] is not module:
            return
        self.stack.pop()
        if self.inside:
            self.inside.pop()
            self.reports.append((module, args, kwargs))
            return
        macs = _module_rule(module, args, output)
        if macs is None:
            self.functional[id(module)] = module
        else:
            self.add(self.key(module), macs)

    def remove_hooks(self) -> None:
        for h in self.handles:
            h.remove()

    def run(self, x: Tensor) -> None:
        """One hooked forward pass, then the self-reporting modules' own counts (unhooked,
        uncounted)."""
        with FlopCounterMode(display=False) as flop_counter:
            self.model(x)
        self.remove_hooks()
        for module, args, kwargs in self.reports:
            found = _opaque_macs(module, args, kwargs)
            self.add(self.key(module), sum(found.values()))
            name = self.names.get(id(module), '')
            self.parts[name] = {p: self.parts.get(name, {}).get(p, 0) + v for p, v in found.items()}
        self.add_functional(flop_counter.get_flop_counts())

    def add_functional(self, flops: Dict[str, Dict]) -> None:
        """A module without a rule computes what FlopCounterMode saw while it ran minus what its
        direct callees saw (functional matmuls / convs / bmm in its own forward, e.g. HyperSeg's
        patch-wise convolutions)."""
        root = type(self.model).__name__

        def seen(module) -> int:
            name = self.names.get(id(module), '')
            return sum(flops.get(f'{root}.{name}' if name else root, {}).values()) // 2

        for i, module in self.functional.items():
            own = seen(module) - sum(
                seen(c) for c in {id(c): c for c in self.callees.get(i, [])}.values()
            )
            if own > 0:
                self.add(self.key(module), own)

    def result(self, batch_size: int) -> Dict[str, object]:
        B = batch_size
        return {'total': sum(self.totals.values()) // B,
                'params': sum(p.numel() for p in self.model.parameters()),
                'modules': {k: v // B for k, v in self.totals.items() if v},
                'parts': {k: {p: v // B for p, v in d.items()} for k, d in self.parts.items()}}


def count_macs(model, x, *, depth: int = 1) -> Dict[str, object]:
    r"""MACs of one forward pass of ``model`` on the batch ``x``, per image, broken down by module;
    parameters.

    Every module contributes what it computes, by the conventions of this file
    (1 MAC = multiply + add; bias, normalisation, activation, pooling and
    interpolation not counted):

    * ``Conv2d`` / ``ConvTranspose2d`` / ``Linear``: :math:`H_o W_o C_{out} C_{in} k^2 / g`, ...;
    * :class:`~graphseg.nn.DirectionalConv`: :func:`typed_graph_conv_macs` (message passing
      included);
    * :class:`~graphseg.nn.DeformConv2d`: the kernel products plus 4 bilinear taps per sampled value
      (its offset conv is counted as the ``Conv2d`` it is);
    * :class:`~graphseg.nn.NonLocal2d`: the two :math:`N \times N` products :math:`2 N^2 C'` (its
      1x1 convs as ``Conv2d``); :class:`~graphseg.nn.RepGraph`: :func:`repgraph_mac_breakdown`
      (sampling, attention, offsets);
    * QGN's sparse layers: :class:`~graphseg.nn.SubmanifoldConv2d` as the typed kernel over the
      kernel map of the active sites, :class:`~graphseg.nn.SparseConvTranspose2d` and
      :class:`~graphseg.nn.SparseLinear` per active site;
    * any module with a ``count_macs(x, ...)`` method (:class:`~graphseg.nn.HGConv`,
      :class:`~graphseg.models.HGStage`) reports itself, from the group graph each image gets:
      clustering, adjacency, pooling, graph convolutions, unpooling;
    * any other module: the dense ops of its own forward (functional matmuls, convolutions, ``bmm``)
      as ``torch.utils.flop_counter.FlopCounterMode`` sees them, e.g. HyperSeg's patch-wise
      convolutions.

    On dense-only models the total is ``FlopCounterMode``'s; that counter alone sees none of the
    gathers, scatters, clustering and adjacency of the graph layers. The model runs once in eval
    mode (HG models then sample their centres per image, as at test time), without gradients; its
    mode is restored.

    Args:
        model (nn.Module): the model.
        x (Tensor): an input batch :math:`(B, \dots)`.
        depth (int): module path levels of the breakdown (``1``: ``'backbone'``, ``'head'``; ``2``
            adds ``'backbone.layer4'``). (default: ``1``)

    Returns:
        a dict: ``'total'`` MACs per image, ``'params'`` the parameter count, ``'modules'``
        ``{path: MACs per image}`` and ``'parts'`` ``{path: {part: MACs per image}}`` (for the
        self-reporting modules; MACs of the root module's own ops, if any, are under ``''``).
    """

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    check_int(depth, 'depth', 1)
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.size(0) < 1:
        raise ValueError(f"x must be a batch tensor (B, ...) with B >= 1, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    counter = _MacCounter(model, depth)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            counter.run(x)
    finally:
        counter.remove_hooks()
        model.train(was_training)
    return counter.result(x.size(0))


__all__ = ['count_macs', 'dense_flop_macs', 'format_macs', 'summarize']
