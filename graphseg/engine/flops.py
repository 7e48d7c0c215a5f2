r"""Multiply-accumulate (MAC) counts of the primitives graphseg's layers are built from.

``torch.utils.flop_counter`` sees dense matmuls and convolutions but not the
gathers and scatters of message passing, and the cost of HG-Conv or QGN
depends on the graph of each input. Layers therefore report their cost from
these closed-form counts (1 MAC = one multiply + one add; FLOPs ~ 2 x MACs).
Conventions follow the papers' tables: bias additions, normalisation and
activations are not counted unless stated.
"""
from __future__ import annotations

import inspect
from typing import Callable, Dict, Optional, Sequence

from ..check import check_callable, check_choice, check_int


def _counts(minimum: int, **values: int) -> None:
    """Every count an int >= ``minimum`` (sizes and channels >= 1, numbers of rows / edges >= 0)."""
    for name, v in values.items():
        check_int(v, name, minimum)



def conv2d_macs(in_channels: int, out_channels: int, kernel_size: int | Sequence[int], out_h: int,
                out_w: int, groups: int = 1) -> int:
    """MACs of a 2-D convolution producing an ``out_h x out_w`` map: ``H W C_out (C_in / g) k_h k_w``."""
    _counts(1, in_channels=in_channels, out_channels=out_channels, groups=groups)
    _counts(0, out_h=out_h, out_w=out_w)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    _counts(1, kernel_size=kh, kernel_width=kw)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by "
                         f"groups ({groups})")
    return out_h * out_w * out_channels * (in_channels // groups) * kh * kw


def linear_macs(num_rows: int, in_features: int, out_features: int) -> int:
    """MACs of ``(num_rows, in) @ (in, out)``."""
    _counts(0, num_rows=num_rows)
    _counts(1, in_features=in_features, out_features=out_features)
    return num_rows * in_features * out_features


def matmul_macs(m: int, k: int, n: int, batch: int = 1) -> int:
    """MACs of ``batch`` products ``(m, k) @ (k, n)``."""
    _counts(0, m=m, k=k, n=n, batch=batch)
    return batch * m * k * n


def typed_graph_conv_macs(num_nodes: int, num_edges: int, in_channels: int, out_channels: int,
                          num_types: int, weighted: bool = True) -> int:
    r"""MACs of :func:`graphseg.ops.typed_matmul_scatter` as implemented.

    The dense part ``x @ W`` for all types, :math:`N C T C'`, plus the message
    passing, :math:`E C'` (one multiply by the edge weight and one add into the
    target per output channel; without weights only the adds, counted the same).
    """
    _counts(0, num_nodes=num_nodes, num_edges=num_edges)
    _counts(1, in_channels=in_channels, out_channels=out_channels, num_types=num_types)
    del weighted  # the scatter-add costs one accumulation per edge and channel either way
    return num_nodes * in_channels * num_types * out_channels + num_edges * out_channels


def message_passing_macs(num_edges: int, channels: int) -> int:
    """MACs of a weighted gather + scatter-add of ``channels`` features over ``num_edges`` edges."""
    _counts(0, num_edges=num_edges)
    _counts(1, channels=channels)
    return num_edges * channels


def dense_flop_macs(fn: Callable[[], object]) -> int:
    """MACs of the dense ops (matmul / conv / bmm ...) that ``torch.utils.flop_counter`` sees in ``fn()``."""
    check_callable(fn, 'fn')
    from torch.utils.flop_counter import FlopCounterMode
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


__all__ = ['conv2d_macs', 'linear_macs', 'matmul_macs', 'typed_graph_conv_macs', 'message_passing_macs',
           'dense_flop_macs', 'format_macs', 'summarize']


# ----------------------------------------------------------------------------- HG-Conv (issue 3)

def conv_stack_macs(in_channels: int, out_channels: int, height: int, width: int, num_layers: int = 3) -> int:
    """MACs of ``num_layers`` 3x3 stride-1 convolutions (the dense stack HG-Conv replaces), per image."""
    _counts(1, in_channels=in_channels, out_channels=out_channels, height=height, width=width,
            num_layers=num_layers)
    return (conv2d_macs(in_channels, out_channels, 3, height, width)
            + (num_layers - 1) * conv2d_macs(out_channels, out_channels, 3, height, width))


def graph_conv_macs(conv: str, num_nodes: int, num_edges: int, in_channels: int, out_channels: int, *,
                    kernel_size: int = 9, spline_products: int = 4) -> int:
    r"""MACs of one graph convolution of HG-Conv's swap-ins, as implemented.

    * ``'directional'``: :func:`typed_graph_conv_macs` with 9 types.
    * ``'gcn'`` (PyG ``GCNConv``): :math:`N C C' + E C'`.
    * ``'gmm'`` (PyG ``GMMConv``, shared Gaussians): :math:`N C K C' + E K (2 + C') + N C C'` (root).
    * ``'spline'`` (graphseg ``SplineConv``, typed-kernel backend): :math:`N C K C' + E S C' + N C C'`.
    * ``'edgeconv'`` (PyG ``EdgeConv`` with a linear :math:`h_\Theta`): :math:`E \cdot 2C \cdot C'`.
    """
    check_choice(conv, 'conv', ('directional', 'gcn', 'gmm', 'spline', 'edgeconv'))
    _counts(0, num_nodes=num_nodes, num_edges=num_edges)
    _counts(1, in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
            spline_products=spline_products)
    N, E, C, Co = num_nodes, num_edges, in_channels, out_channels
    if conv == 'directional':
        return typed_graph_conv_macs(N, E, C, Co, 9)
    if conv == 'gcn':
        return N * C * Co + E * Co
    if conv == 'gmm':
        return N * C * kernel_size * Co + E * kernel_size * (2 + Co) + N * C * Co
    if conv == 'spline':
        return N * C * kernel_size * Co + E * spline_products * Co + N * C * Co
    if conv == 'edgeconv':
        return E * 2 * C * Co
    raise ValueError(f"conv must be one of ('directional', 'gcn', 'gmm', 'spline', 'edgeconv'), got {conv!r}")


def hg_clustering_macs(num_pixels: int, channels: int, num_groups: int, block_entries: int, iters: int) -> int:
    r"""MACs per image of HG-Conv's clustering, as implemented: importance map (4 neighbour offsets,
    :math:`4 N_{pix} C`), squared norms (:math:`N_{pix} C`), nearest-centre search (:math:`2 N_{pix} M`) and,
    per round, a centre update and the pixel-centre distances over the tile blocks of :math:`S`
    (:math:`2 \cdot \text{block\_entries} \cdot C`)."""
    _counts(1, num_pixels=num_pixels, channels=channels, num_groups=num_groups)
    _counts(0, block_entries=block_entries, iters=iters)
    if num_groups > num_pixels:
        raise ValueError(f"num_groups = {num_groups} must be <= num_pixels = {num_pixels}")
    return 5 * num_pixels * channels + 2 * num_pixels * num_groups + iters * 2 * block_entries * channels


def hgconv_macs(num_pixels: int, in_channels: int, out_channels: int, num_layers: int, num_groups: int,
                num_edges: int, block_entries: int, iters: int, *, adjacency_pairs: int = 0,
                conv: str = 'directional', **conv_kwargs) -> Dict[str, int]:
    r"""MACs of one HG-Conv forward pass on one image, by stage, as implemented in :mod:`graphseg.nn`.

    * clustering: importance map (4 neighbour offsets, :math:`4 N_{pix} C`), squared
      norms (:math:`N_{pix} C`), nearest-centre search (:math:`2 N_{pix} M`), and per
      round a centre update and the pixel-centre distances over the tile blocks of
      :math:`S` (:math:`2 \cdot \text{block\_entries} \cdot C`);
    * adjacency: the products :math:`S_{pi} S_{qj}` formed for neighbouring pixel pairs
      (``adjacency_pairs``; :func:`~graphseg.graphs.group_adjacency` forms :math:`k^2` per pair);
    * pooling / unpooling: one tile-block product each (:math:`\text{block\_entries} \cdot C`);
    * graph convolution: :func:`graph_conv_macs` for each of the ``num_layers`` layers,
      message passing included (what ``torch.utils.flop_counter`` does not see).

    Normalisation, activations and the sampling are not counted (the convention of
    :func:`conv2d_macs`).
    """
    _counts(1, num_pixels=num_pixels, in_channels=in_channels, out_channels=out_channels, num_layers=num_layers,
            num_groups=num_groups)
    _counts(0, num_edges=num_edges, block_entries=block_entries, iters=iters, adjacency_pairs=adjacency_pairs)
    if num_groups > num_pixels:
        raise ValueError(f"num_groups = {num_groups} must be <= num_pixels = {num_pixels}")
    clustering = hg_clustering_macs(num_pixels, in_channels, num_groups, block_entries, iters)
    graph = sum(graph_conv_macs(conv, num_groups, num_edges, in_channels if i == 0 else out_channels,
                                out_channels, **conv_kwargs) for i in range(num_layers))
    return {'clustering': clustering, 'adjacency': adjacency_pairs, 'pooling': block_entries * in_channels,
            'graph_conv': graph, 'unpooling': block_entries * out_channels}


__all__ += ['conv_stack_macs', 'graph_conv_macs', 'hgconv_macs', 'hg_clustering_macs']

# --- RepGraph (Yu et al., ECCV 2020) and its non-local baseline ------------------------------------------------


def nonlocal_macs(height: int, width: int, in_channels: int, inter_channels: int, *,
                  include_output: bool = False) -> int:
    r"""MACs of :class:`graphseg.nn.NonLocal2d` (embedded Gaussian) on an ``height x width`` map.

    With :math:`N = HW`, :math:`C` = ``in_channels``, :math:`C'` = ``inter_channels``:
    :math:`3 N C C'` for :math:`\theta, \phi, g` plus :math:`2 N^2 C'` for the
    affinity :math:`\theta^\top \phi` and for :math:`f g`. This is the
    convention of RepGraph's Table 2, which leaves out the output projection
    :math:`W_z` (:math:`N C' C`; ``include_output=True`` adds it): at
    :math:`256 \times 128`, :math:`C = 2048`, :math:`C' = 256`:
    :math:`51.5 + 549.8 = 601.3` G (618.5 G with :math:`W_z`).
    """
    _counts(1, height=height, width=width, in_channels=in_channels, inter_channels=inter_channels)
    n = height * width
    macs = 3 * linear_macs(n, in_channels, inter_channels) + 2 * matmul_macs(n, inter_channels, n)
    return macs + (linear_macs(n, inter_channels, in_channels) if include_output else 0)


def repgraph_mac_breakdown(height: int, width: int, in_channels: int, inter_channels: int, num_samples: int = 9,
                           variant: str = 'bottleneck', grid: int = 1, groups: int = 1, *,
                           include_output: bool = False) -> Dict[str, int]:
    r"""MACs of :class:`graphseg.nn.RepGraph` as implemented (dense path), part by part.

    :math:`N = HW` positions, :math:`A = N / g^2` anchors, :math:`S` samples,
    :math:`G` groups, :math:`C, C'` = ``in_channels``, ``inter_channels``:

    ============== ========================= ==========================================
    part           MACs                      what
    ============== ========================= ==========================================
    reduce         :math:`N C C'`            bottleneck: 1x1 conv :math:`C \to C'`
    theta/phi/g    :math:`3 N C C'`          simple: the three embeddings
    offsets        :math:`A C_h \, 2SG`      1x1 conv on the (pooled) layer input,
                                             :math:`C_h = C'` (bottleneck) or :math:`C`
    sampling       :math:`4 A S C'` (x2)     4 bilinear taps per sample and channel;
                                             keys and values twice in 'simple', once
                                             in 'bottleneck' (one map serves both)
    attention      :math:`2 N S C'`          logits :math:`x_\theta^\top s_\phi` and
                                             :math:`\sum_n a_n s_g(n)`
    expand / W_y   :math:`N C' C`            bottleneck: always; simple: only with
                                             ``include_output`` (like :math:`W_z`)
    ============== ========================= ==========================================

    Norms, activations, softmax and the bilinear weights themselves
    (:math:`O(AS)`) are not counted. At the paper's Table 2 size
    (:math:`256 \times 128`, :math:`C = 2048`, :math:`C' = 256`, :math:`S = 9`)
    the Bottleneck RepGraph costs :math:`2 N C C' = 34.4` G for its two 1x1
    convs -- which is where the paper's ~35 G comes from -- plus 0.6 G for
    offsets, sampling and attention: 35.0 G in all, against 601.3 G for the
    non-local block (:func:`nonlocal_macs`).
    """
    _counts(1, height=height, width=width, in_channels=in_channels, inter_channels=inter_channels,
            num_samples=num_samples, grid=grid, groups=groups)
    if variant not in ('bottleneck', 'simple'):
        raise ValueError(f"variant must be one of ('bottleneck', 'simple'), got {variant!r}")
    if height % grid or width % grid:
        raise ValueError(f"height and width must be divisible by grid = {grid}, got ({height}, {width})")
    n, c, c_ = height * width, in_channels, inter_channels
    a = n // (grid * grid)
    out: Dict[str, int] = {}
    if variant == 'bottleneck':
        out['reduce'] = linear_macs(n, c, c_)
        out['offsets'] = linear_macs(a, c_, 2 * num_samples * groups)
        out['sampling'] = 4 * a * num_samples * c_
    else:
        out['theta/phi/g'] = 3 * linear_macs(n, c, c_)
        out['offsets'] = linear_macs(a, c, 2 * num_samples * groups)
        out['sampling'] = 2 * 4 * a * num_samples * c_
    out['attention'] = 2 * n * num_samples * c_
    if variant == 'bottleneck' or include_output:
        out['expand' if variant == 'bottleneck' else 'W_y'] = linear_macs(n, c_, c)
    return out


def repgraph_macs(height: int, width: int, in_channels: int, inter_channels: int, num_samples: int = 9,
                  variant: str = 'bottleneck', grid: int = 1, groups: int = 1, *,
                  include_output: bool = False) -> int:
    """Total of :func:`repgraph_mac_breakdown` (35.0 G for the Bottleneck RepGraph at 256x128, 2048 -> 256)."""
    return sum(repgraph_mac_breakdown(height, width, in_channels, inter_channels, num_samples, variant, grid,
                                      groups, include_output=include_output).values())


__all__ += ['nonlocal_macs', 'repgraph_macs', 'repgraph_mac_breakdown']

# --- whole models: count_macs(model, x) (issue 10) --------------------------------------------------------------


def _module_rule(module, args, output) -> Optional[int]:
    """MACs of a module whose own computation is known (``None``: a container, or nothing counted)."""
    from torch import nn

    from ..nn.deform_conv import DeformConv2d
    from ..nn.directional_conv import DirectionalConv
    from ..nn.repgraph import NonLocal2d
    from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
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
    from ..nn.repgraph import RepGraph
    return isinstance(module, RepGraph) or callable(getattr(module, 'count_macs', None))


def _opaque_macs(module, args, kwargs) -> Dict[str, int]:
    """Parts and MACs (summed over the batch) of a module that reports its own cost."""
    from ..nn.repgraph import RepGraph
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
    import torch
    from torch.utils.flop_counter import FlopCounterMode

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


__all__ += ['count_macs']
