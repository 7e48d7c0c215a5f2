r"""MACs of whole models (:func:`count_macs`), of what ``torch.utils.flop_counter`` sees, and their display.

:func:`count_macs` is graphseg's one whole-model counter: every module contributes what
it computes, graph layers by the closed-form counts of :mod:`graphseg.ops.macs`
(message passing, clustering and adjacency included), other modules by the dense
ops ``FlopCounterMode`` sees.
"""
from __future__ import annotations

import inspect
from typing import Callable, Dict, Optional

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..check import check_callable
from ..nn.deform_conv import DeformConv2d
from ..nn.directional_conv import DirectionalConv
from ..nn.repgraph import NonLocal2d, RepGraph
from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
from ..ops.macs import repgraph_mac_breakdown, typed_graph_conv_macs


def dense_flop_macs(fn: Callable[[], object]) -> int:
    """MACs of the dense ops (matmul / conv / bmm ...) that ``torch.utils.flop_counter`` sees in ``fn()``."""
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
    lines = [f'{k:>24}: {format_macs(v):>10}  ({100 * v / max(total, 1):5.1f} %)' for k, v in breakdown.items()]
    return '\n'.join(lines + [f'{"total":>24}: {format_macs(total):>10}'])


def _module_rule(module, args, output) -> Optional[int]:
    """MACs of a module whose own computation is known (``None``: a container, or nothing counted)."""
    if isinstance(module, SubmanifoldConv2d):  # typed kernel over the kernel map of the active sites
        sites = args[0]
        if module.kernel_size == 1:
            return sites.num_sites * module.in_channels * module.out_channels
        edges = sites.kernel_map(3)[0].size(1)
        return typed_graph_conv_macs(sites.num_sites, edges, module.in_channels, module.out_channels, 9)
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
        return typed_graph_conv_macs(x.size(0), edge_index.size(1), module.in_channels, module.out_channels,
                                     module.num_directions)
    if isinstance(module, DeformConv2d):  # the kernel's products + 4 bilinear taps per sampled value
        kh, kw = module.kernel_size
        taps = output.numel() // module.out_channels * kh * kw  # B H_o W_o K sampling points
        return output.numel() * (module.in_channels // module.groups) * kh * kw + 4 * taps * module.in_channels
    if isinstance(module, NonLocal2d):  # the two N x N products; theta, phi, g, W_z are its own Conv2d children
        B, _, H, W = args[0].shape
        return 2 * B * (H * W) ** 2 * module.inter_channels
    return None


def _reports_itself(module) -> bool:
    """Modules whose cost :func:`count_macs` takes from :func:`_opaque_macs` (their children are not visited)."""
    return isinstance(module, RepGraph) or callable(getattr(module, 'count_macs', None))


def _opaque_macs(module, args, kwargs) -> Dict[str, int]:
    """Parts and MACs (summed over the batch) of a module that reports its own cost."""
    if isinstance(module, RepGraph):
        B, C, H, W = args[0].shape
        parts = repgraph_mac_breakdown(H, W, C, module.inter_channels, module.num_samples, module.variant,
                                       module.grid, module.groups, include_output=True)
        return {k: B * v for k, v in parts.items()}
    accepted = inspect.signature(module.count_macs).parameters
    per_image = module.count_macs(*args, **{k: v for k, v in kwargs.items() if k in accepted})
    per_image = per_image if isinstance(per_image, list) else [per_image]
    parts: Dict[str, int] = {}
    for d in per_image:
        for k, v in d.items():
            parts[k] = parts.get(k, 0) + int(v)
    return parts


def count_macs(model, x, *, depth: int = 1) -> Dict[str, object]:
    r"""MACs of one forward pass of ``model`` on the batch ``x``, per image, broken down by module; parameters.

    Every module contributes what it computes, by the conventions of this file
    (1 MAC = multiply + add; bias, normalisation, activation, pooling and
    interpolation not counted):

    * ``Conv2d`` / ``ConvTranspose2d`` / ``Linear``: :math:`H_o W_o C_{out} C_{in} k^2 / g`, ...;
    * :class:`~graphseg.nn.DirectionalConv`: :func:`typed_graph_conv_macs` (message passing included);
    * :class:`~graphseg.nn.DeformConv2d`: the kernel products plus 4 bilinear taps per sampled value
      (its offset conv is counted as the ``Conv2d`` it is);
    * :class:`~graphseg.nn.NonLocal2d`: the two :math:`N \times N` products :math:`2 N^2 C'` (its 1x1 convs as
      ``Conv2d``); :class:`~graphseg.nn.RepGraph`: :func:`repgraph_mac_breakdown` (sampling, attention, offsets);
    * QGN's sparse layers: :class:`~graphseg.nn.SubmanifoldConv2d` as the typed kernel over the kernel map of
      the active sites, :class:`~graphseg.nn.SparseConvTranspose2d` and :class:`~graphseg.nn.SparseLinear` per
      active site;
    * any module with a ``count_macs(x, ...)`` method (:class:`~graphseg.nn.HGConv`,
      :class:`~graphseg.models.HGStage`) reports itself, from the group graph each image gets:
      clustering, adjacency, pooling, graph convolutions, unpooling;
    * any other module: the dense ops of its own forward (functional matmuls, convolutions, ``bmm``) as
      ``torch.utils.flop_counter.FlopCounterMode`` sees them, e.g. HyperSeg's patch-wise convolutions.

    On dense-only models the total is ``FlopCounterMode``'s; that counter alone sees none of the gathers,
    scatters, clustering and adjacency of the graph layers. The model runs once in eval mode (HG models then
    sample their centres per image, as at test time), without gradients; its mode is restored.

    Args:
        model (nn.Module): the model.
        x (Tensor): an input batch :math:`(B, \dots)`.
        depth (int): module path levels of the breakdown (``1``: ``'backbone'``, ``'head'``; ``2`` adds
            ``'backbone.layer4'``). (default: ``1``)

    Returns:
        ``{'total': MACs per image, 'params': parameter count, 'modules': {path: MACs per image},
        'parts': {path: {part: MACs per image}}}`` (``parts`` for the self-reporting modules; MACs of
        the root module's own ops, if any, are under ``''``).
    """

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an int >= 1, got {depth!r}")
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.size(0) < 1:
        raise ValueError(f"x must be a batch tensor (B, ...) with B >= 1, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    names = {id(m): n for n, m in model.named_modules()}
    totals: Dict[str, int] = {}
    parts: Dict[str, Dict[str, int]] = {}
    stack: list = []  # the modules running, innermost last
    inside: list = []  # the self-reporting module running, if any (its children are not visited)
    callees: Dict[int, list] = {}  # module -> the modules it called directly
    functional: Dict[int, object] = {}  # modules without a rule: their own dense ops come from FlopCounterMode
    reports: list = []  # (module, args, kwargs) of the self-reporting modules, counted after the pass
    handles = []

    def key(module) -> str:
        return '.'.join(names.get(id(module), '').split('.')[:depth])

    def add(k: str, macs: int) -> None:
        totals[k] = totals.get(k, 0) + int(macs)

    def pre(module, args, kwargs):
        if inside:
            return
        if stack:
            callees.setdefault(id(stack[-1]), []).append(module)
        stack.append(module)
        if _reports_itself(module):
            inside.append(module)

    def post(module, args, kwargs, output):
        if inside and inside[-1] is not module:
            return
        stack.pop()
        if inside:
            inside.pop()
            reports.append((module, args, kwargs))
            return
        macs = _module_rule(module, args, output)
        if macs is None:
            functional[id(module)] = module
        else:
            add(key(module), macs)

    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(m.register_forward_hook(post, with_kwargs=True))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            with FlopCounterMode(display=False) as counter:
                model(x)
            for h in handles:
                h.remove()
            for module, args, kwargs in reports:  # after the pass, unhooked and uncounted
                found = _opaque_macs(module, args, kwargs)
                add(key(module), sum(found.values()))
                name = names.get(id(module), '')
                parts[name] = {p: parts.get(name, {}).get(p, 0) + v for p, v in found.items()}
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    # a module without a rule computes what FlopCounterMode saw while it ran minus what its direct callees saw
    # (functional matmuls / convs / bmm in its own forward, e.g. HyperSeg's patch-wise convolutions)
    flops = counter.get_flop_counts()
    root = type(model).__name__

    def seen(module) -> int:
        name = names.get(id(module), '')
        return sum(flops.get(f'{root}.{name}' if name else root, {}).values()) // 2

    for i, module in functional.items():
        own = seen(module) - sum(seen(c) for c in {id(c): c for c in callees.get(i, [])}.values())
        if own > 0:
            add(key(module), own)
    B = x.size(0)
    modules = {k: v // B for k, v in totals.items() if v}
    return {'total': sum(totals.values()) // B, 'params': sum(p.numel() for p in model.parameters()),
            'modules': modules, 'parts': {k: {p: v // B for p, v in d.items()} for k, d in parts.items()}}


__all__ = ['count_macs', 'dense_flop_macs', 'format_macs', 'summarize']
