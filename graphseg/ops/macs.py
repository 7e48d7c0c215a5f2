r"""Closed-form multiply-accumulate (MAC) counts of the primitives graphseg's layers are built from.

``torch.utils.flop_counter`` sees dense matmuls and convolutions but not the
gathers and scatters of message passing, and the cost of HG-Conv or QGN
depends on the graph of each input. Layers therefore report their cost from
these closed-form counts (1 MAC = one multiply + one add; FLOPs ~ 2 x MACs).
Conventions follow the papers' tables: bias additions, normalisation and
activations are not counted unless stated. Whole models are counted by
:func:`graphseg.analysis.count_macs`.
"""
from __future__ import annotations

from typing import Dict, Sequence

from ..check import check_choice, check_int


def _counts(minimum: int, **values: int) -> None:
    """Every count an int >= ``minimum`` (sizes and channels >= 1, numbers of rows / edges >= 0)."""
    for name, v in values.items():
        check_int(v, name, minimum)



def conv2d_macs(in_channels: int, out_channels: int, kernel_size: int | Sequence[int], out_h: int,
                out_w: int, groups: int = 1) -> int:
    """MACs of a 2-D convolution producing an ``out_h x out_w`` map:
    ``H W C_out (C_in / g) k_h k_w``."""
    _counts(1, in_channels=in_channels, out_channels=out_channels, groups=groups)
    _counts(0, out_h=out_h, out_w=out_w)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    _counts(1, kernel_size=kh, kernel_width=kw)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                         f"divisible by groups ({groups})")
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


# --- HG-Conv (Hamaguchi et al., CVPR 2021) --------------------------------------------------------

def conv_stack_macs(in_channels: int, out_channels: int, height: int, width: int,
                    num_layers: int = 3) -> int:
    """MACs of ``num_layers`` 3x3 stride-1 convolutions (the dense stack HG-Conv replaces), per
    image."""
    _counts(1, in_channels=in_channels, out_channels=out_channels, height=height, width=width,
            num_layers=num_layers)
    return (conv2d_macs(in_channels, out_channels, 3, height, width)
            + (num_layers - 1) * conv2d_macs(out_channels, out_channels, 3, height, width))


def graph_conv_macs(conv: str, num_nodes: int, num_edges: int, in_channels: int, out_channels: int,
                    *, kernel_size: int = 9, spline_products: int = 4) -> int:
    r"""MACs of one graph convolution of HG-Conv's swap-ins, as implemented.

    * ``'directional'``: :func:`typed_graph_conv_macs` with 9 types.
    * ``'gcn'`` (PyG ``GCNConv``): :math:`N C C' + E C'`.
    * ``'gmm'`` (PyG ``GMMConv``, shared Gaussians): :math:`N C K C' + E K (2 + C') + N C C'`
      (root).
    * ``'spline'`` (graphseg ``SplineConv``, typed-kernel backend):
      :math:`N C K C' + E S C' + N C C'`.
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
    raise ValueError("conv must be one of ('directional', 'gcn', 'gmm', 'spline', 'edgeconv'), "
                     f"got {conv!r}")


def hg_clustering_macs(num_pixels: int, channels: int, num_groups: int, block_entries: int,
                       iters: int) -> int:
    r"""MACs per image of HG-Conv's clustering, as implemented: importance map (4 neighbour offsets,
    :math:`4 N_{pix} C`), squared norms (:math:`N_{pix} C`), nearest-centre search
    (:math:`2 N_{pix} M`) and, per round, a centre update and the pixel-centre distances over the
    tile blocks of :math:`S` (:math:`2 \cdot \text{block\_entries} \cdot C`)."""
    _counts(1, num_pixels=num_pixels, channels=channels, num_groups=num_groups)
    _counts(0, block_entries=block_entries, iters=iters)
    if num_groups > num_pixels:
        raise ValueError(f"num_groups = {num_groups} must be <= num_pixels = {num_pixels}")
    return (
        5 * num_pixels * channels
        + 2 * num_pixels * num_groups
        + iters * 2 * block_entries * channels
    )


def hgconv_macs(num_pixels: int, in_channels: int, out_channels: int, num_layers: int,
                num_groups: int, num_edges: int, block_entries: int, iters: int, *,
                adjacency_pairs: int = 0, conv: str = 'directional',
                **conv_kwargs) -> Dict[str, int]:
    r"""MACs of one HG-Conv forward pass on one image, by stage, as implemented in
    :mod:`graphseg.nn`.

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
    _counts(1, num_pixels=num_pixels, in_channels=in_channels, out_channels=out_channels,
            num_layers=num_layers, num_groups=num_groups)
    _counts(0, num_edges=num_edges, block_entries=block_entries, iters=iters,
            adjacency_pairs=adjacency_pairs)
    if num_groups > num_pixels:
        raise ValueError(f"num_groups = {num_groups} must be <= num_pixels = {num_pixels}")
    clustering = hg_clustering_macs(num_pixels, in_channels, num_groups, block_entries, iters)
    graph = sum(
        graph_conv_macs(
            conv,
            num_groups,
            num_edges,
            in_channels if i == 0 else out_channels,
            out_channels,
            **conv_kwargs,
        )
        for i in range(num_layers)
    )
    return {'clustering': clustering, 'adjacency': adjacency_pairs,
            'pooling': block_entries * in_channels, 'graph_conv': graph,
            'unpooling': block_entries * out_channels}


# --- RepGraph (Yu et al., ECCV 2020) and its non-local baseline -----------------------------------


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


def repgraph_mac_breakdown(height: int, width: int, in_channels: int, inter_channels: int,
                           num_samples: int = 9, variant: str = 'bottleneck', grid: int = 1,
                           groups: int = 1, *, include_output: bool = False) -> Dict[str, int]:
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
        raise ValueError(f"height and width must be divisible by grid = {grid}, got ({height}, "
                         f"{width})")
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


def repgraph_macs(height: int, width: int, in_channels: int, inter_channels: int,
                  num_samples: int = 9, variant: str = 'bottleneck', grid: int = 1, groups: int = 1,
                  *, include_output: bool = False) -> int:
    """Total of :func:`repgraph_mac_breakdown` (35.0 G for the Bottleneck RepGraph at 256x128, 2048
    -> 256)."""
    return sum(
        repgraph_mac_breakdown(
            height,
            width,
            in_channels,
            inter_channels,
            num_samples,
            variant,
            grid,
            groups,
            include_output=include_output,
        ).values()
    )


__all__ = ['conv2d_macs', 'linear_macs', 'matmul_macs', 'typed_graph_conv_macs',
           'message_passing_macs', 'conv_stack_macs', 'graph_conv_macs', 'hgconv_macs',
           'hg_clustering_macs', 'nonlocal_macs', 'repgraph_macs', 'repgraph_mac_breakdown']
