"""Bad input gets a clear error, odd input a sensible result: one table row per case, every public entry point.

How to add a row (other issues add rows for their new functions):

* an input that must fail goes into ``ERRORS`` as ``(id, call, exception type, message fragment)``:
  ``('ops.scatter: index float', lambda: scatter(src, idx.float()), TypeError, r'index must have dtype')``.
  The fragment is a regex searched in ``str(exception)``; it must name the argument (or the CLI option) and
  say what was expected, e.g. ``r'x must have in_channels = 3'``. ``id`` is ``'<module>.<name>: <case>'``
  and unique;
* an odd input that must work goes into ``ACCEPTED`` as ``(id, call, check)``; ``check(result)`` asserts
  the result is the sensible one (e.g. an int image scaled by its range, float64 kept end to end).

Calls are lambdas over the small cached fixtures below, so the table stays fast. Keep rows in the section of
their module. ``test_table_covers_every_public_callable`` fails when a public function has no row.
"""
from __future__ import annotations

import contextlib
import functools
import io
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch_geometric.data import Data

import graphseg.ops.macs as ops_macs
import graphseg.viz as viz
from graphseg import analysis, evaluation
from graphseg import data as gdata
from graphseg import engine, graphs, models, ops
from graphseg import nn as gnn
from graphseg.cli import main
from graphseg.ops.color import rgb_to_lab

NAN = float('nan')
OTHER = 'meta'  # a device no test tensor lives on (CUDA rows would need a second GPU)


# ----------------------------------------------------------------------------- cached fixtures

def _seeded(fn):
    @functools.lru_cache(maxsize=None)
    def wrapper(*args):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return fn(*args)
    return wrapper


@_seeded
def img(H=20, W=24):
    """A (3, H, W) float image in [0, 1] (a crop of astronaut, so SLIC finds structure)."""
    return gdata.load_image('astronaut')[:, 100:100 + 2 * H:2, 200:200 + 2 * W:2].contiguous()


@_seeded
def sp():
    return graphs.superpixel_graph(img(), 12)


@_seeded
def grid():
    return graphs.grid_graph(4, 5)


@_seeded
def labels(B=None):
    return torch.randint(0, 5, (8, 8) if B is None else (B, 8, 8))


@_seeded
def typed():
    """(x (10, 4), edge_index, edge_type, edge_weight) of a group graph."""
    ei, et, ew = graphs.group_adjacency(torch.randint(0, 10, (12, 12)), 12, 12, num_groups=10)
    return torch.randn(10, 4), ei, et, ew


@_seeded
def smap():
    x = torch.randn(2, 4, 8, 8)
    return ops.SparseMap.from_dense(x, torch.rand(2, 8, 8) < 0.4)


@_seeded
def hg():
    return gnn.HGConv(4, 4, num_layers=1, num_groups=6).eval()


@_seeded
def fcn():
    return models.create_model('fcn_small', num_classes=3).eval()


@_seeded
def tree():
    return graphs.Quadtree.from_labels(torch.randint(0, 3, (8, 8)), 3, 3)


@_seeded
def pyramid():
    return graphs.t_pyramid(torch.randint(0, 3, (8, 8)), 3, 3)


@_seeded
def qgn_decoder():
    """A two-level QGN decoder on encoder maps at strides 2 and 4 (the layout of the released decoder, shortened)."""
    return gnn.QGNDecoder((8, 16), num_classes=3, widths=(16, 8), blocks=(1,), final_blocks=1).eval()


def qgn_features(B=1, H=16, W=16):
    return [torch.randn(B, 8, H // 2, W // 2), torch.randn(B, 16, H // 4, W // 4)]


@_seeded
def qgn():
    return models.qgn_resnet34(num_classes=3, encoder='resnet18').eval()


@_seeded
def hyperseg():
    return models.hyperseg_s(num_classes=3).eval()


@_seeded
def dataset():
    return gdata.MNISTSegmentation('val', 4, size=48)


@_seeded
def mnist_model():
    return models.create_model('fcn_small', in_channels=1, num_classes=gdata.NUM_CLASSES)


def cli(*argv):
    """Run ``graphseg *argv``; a non-zero exit (raised or returned) re-raises as SystemExit carrying its message
    and what was printed (a per-input failure of ``graphseg graph`` is reported on stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stderr(out), contextlib.redirect_stdout(out):
        try:
            code = main(list(argv))
        except SystemExit as e:
            code = e.code
    if code in (0, None):
        return 0
    raise SystemExit(f'{code if not isinstance(code, int) else ""} {out.getvalue()}')


_fresh = iter(range(10 ** 6))


def fresh():
    """A run folder that does not exist yet (a bad-argument row must fail before creating it)."""
    return f'{files()}/out_{next(_fresh)}'


@functools.lru_cache(maxsize=None)
def files(tmp=None):
    """A folder with a text file named .png, an empty .png, a directory named .png and a plain file."""
    import tempfile
    root = tempfile.mkdtemp(prefix='graphseg_bad_input_')
    with open(f'{root}/text.png', 'w') as f:
        f.write('not an image\n')
    open(f'{root}/empty.png', 'wb').close()
    import os
    os.mkdir(f'{root}/folder.png')
    with open(f'{root}/plain_file', 'w') as f:
        f.write('x')
    with open(f'{root}/config.yaml', 'w') as f:
        f.write('- a list\n- not a mapping\n')
    with open(f'{root}/broken.yaml', 'w') as f:
        f.write('steps: [1, 2\n')
    torch.save({'weight': torch.zeros(2)}, f'{root}/weights.pt')
    with open(f'{root}/garbage.pt', 'w') as f:
        f.write('not a checkpoint')
    with open(f'{root}/run.yaml', 'w') as f:  # a valid run config
        f.write('model: {name: fcn_small}\ntrain: {steps: 1, batch_size: 2}\n'
                'data: {kwargs: {num_samples: 4, size: 48}, val_kwargs: {num_samples: 2}}\n')
    with open(f'{root}/camvid.yaml', 'w') as f:
        f.write('model: {name: fcn_small}\ndata: {dataset: camvid, root: /nonexistent/camvid}\n')
    with open(f'{root}/not_idx', 'wb') as f:
        f.write(b'hello world')
    with open(f'{root}/truncated_idx', 'wb') as f:
        f.write(bytes([0, 0, 8, 3, 0, 0, 0, 1]))  # announces 3 dimensions, holds one
    return root


@functools.lru_cache(maxsize=None)
def layouts():
    """Tiny fake dataset folders: CamVid with an image but no label, a VOC tree without split lists, an empty
    folder, a class folder without class sub-folders."""
    import os
    import tempfile

    from PIL import Image
    root = tempfile.mkdtemp(prefix='graphseg_bad_layouts_')
    for d in ('camvid/train', 'camvid/trainannot', 'voc/VOCdevkit/VOC2012/ImageSets/Segmentation', 'empty',
              'classes', 'idx'):
        os.makedirs(f'{root}/{d}')
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(f'{root}/camvid/train/a.png')
    return root


def _figure():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure()
    plt.close(fig)
    return fig


def _another_fcn_small():
    return None


_another_fcn_small.__name__ = 'fcn_small'


# ----------------------------------------------------------------------------- the table of errors

E, S = ValueError, TypeError

ERRORS = [
    # ---------------------------------------------------------------- graphseg.ops
    ('ops.scatter: src not a tensor', lambda: ops.scatter([1., 2.], torch.tensor([0, 1])), S,
     r'src must be a torch.Tensor, got list'),
    ('ops.scatter: index float', lambda: ops.scatter(torch.ones(3), torch.tensor([0., 1., 1.])), S,
     r'index must have dtype torch.long'),
    ('ops.scatter: index length', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1])), E,
     r'index must be 1-D with src.size\(0\) = 3 entries'),
    ('ops.scatter: index out of range', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 5]), 0, 3), E,
     r'index values must lie in \[0, 2\] \(dim_size = 3\), got \[0, 5\]'),
    ('ops.scatter: negative index', lambda: ops.scatter(torch.ones(3), torch.tensor([0, -1, 1])), E,
     r'index values must lie in \[0, 1\]'),
    ('ops.scatter: reduce unknown', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 1]), reduce='prod'), E,
     r"reduce must be one of \('sum', 'mean', 'max', 'min'\), got 'prod'"),
    ('ops.scatter: dim out of range', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 1]), dim=2), E,
     r'dim must be in \[-1, 0\]'),
    ('ops.scatter: negative dim_size', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 1]), 0, -2), E,
     r'dim_size must be >= 0, got -2'),
    ('ops.scatter: backend unknown', lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 1]), backend='cuda'),
     E, r"backend must be one of \('torch', 'torch_scatter', 'torch_sparse'\), got 'cuda'"),
    ('ops.scatter: 0-D src', lambda: ops.scatter(torch.tensor(1.), torch.tensor([0])), E,
     r'src must have at least one dimension'),
    ('ops.scatter: index on another device',
     lambda: ops.scatter(torch.ones(3), torch.tensor([0, 1, 1], device=OTHER)), E,
     r'src and index must be on the same device'),
    ('ops.segment_softmax: src int', lambda: ops.segment_softmax(torch.ones(3, dtype=torch.long),
                                                                   torch.tensor([0, 1, 1])), S,
     r'src must have a floating-point dtype'),
    ('ops.segment_softmax: index float', lambda: ops.segment_softmax(torch.ones(3), torch.ones(3)), S,
     r'index must have dtype torch.long'),
    ('ops.segment_softmax: num_segments too small',
     lambda: ops.segment_softmax(torch.ones(3), torch.tensor([0, 1, 4]), 2), E, r'index values must lie in \[0, 1\]'),
    ('ops.typed_matmul_scatter: x int', lambda: ops.typed_matmul_scatter(typed()[0].long(), torch.randn(9, 4, 2),
                                                                         *typed()[1:3]), S,
     r'x must have a floating-point dtype'),
    ('ops.typed_matmul_scatter: x 1-D', lambda: ops.typed_matmul_scatter(torch.randn(10), torch.randn(9, 4, 2),
                                                                         *typed()[1:3]), E, r'x must be \(N, C\)'),
    ('ops.typed_matmul_scatter: weight C', lambda: ops.typed_matmul_scatter(typed()[0], torch.randn(9, 3, 2),
                                                                            *typed()[1:3]), E,
     r'weight must have shape \(T, C, C_out\) with C = x.size\(1\) = 4'),
    ('ops.typed_matmul_scatter: weight float64', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2, dtype=torch.float64), *typed()[1:3]), S,
     r'weight must have the dtype of x \(torch.float32\), got torch.float64'),
    ('ops.typed_matmul_scatter: weight on another device', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2, device=OTHER), *typed()[1:3]), E, r'x and weight must be on the same device'),
    ('ops.typed_matmul_scatter: edge_index on another device', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1].to(OTHER), typed()[2]), E,
     r'x and edge_index must be on the same device'),
    ('ops.typed_matmul_scatter: edge_weight on another device', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), *typed()[1:3], typed()[3].to(OTHER)), E,
     r'x and edge_weight must be on the same device'),
    ('ops.typed_matmul_scatter: edge_index float', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1].float(), typed()[2]), S, r'edge_index must have dtype torch.long'),
    ('ops.typed_matmul_scatter: edge_index (E, 2)', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1].t().contiguous(), typed()[2]), E,
     r'edge_index must have shape \(2, E\)'),
    ('ops.typed_matmul_scatter: edge_type too large', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2] + 1), E, r'edge_type values must lie in \[0, 8\]'),
    ('ops.typed_matmul_scatter: edge_type negative', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2] - 5), E, r'edge_type values must lie in \[0, 8\]'),
    ('ops.typed_matmul_scatter: source out of range', lambda: ops.typed_matmul_scatter(
        typed()[0][:5], torch.randn(9, 4, 2), typed()[1], typed()[2]), E,
     r'edge_index\[0\] \(source nodes\) must lie in \[0, 4\]'),
    ('ops.typed_matmul_scatter: dim_size too small', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2], dim_size=3), E,
     r'edge_index\[1\] \(target nodes\) must lie in \[0, 2\]'),
    ('ops.typed_matmul_scatter: edge_weight length', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2], typed()[3][:-1]), E,
     r'edge_weight must have shape \(E,\)'),
    ('ops.typed_matmul_scatter: edge_weight int', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2], typed()[3].long()), S,
     r'edge_weight must have a floating-point dtype'),
    ('ops.typed_matmul_scatter: edge_type shorter (T.AddSelfLoops)', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), typed()[1], typed()[2][:-2]), E,
     r'edge_type must have shape \(E,\) = .*one type per edge of edge_index'),
    ('ops.typed_matmul_scatter: backend unknown', lambda: ops.typed_matmul_scatter(
        typed()[0], torch.randn(9, 4, 2), *typed()[1:3], backend='cuda'), E, r'backend must be one of'),
    ('ops.typed_degree: dst float', lambda: ops.typed_degree(typed()[1][1].float(), typed()[2], 10, 9), S,
     r'dst must have dtype torch.long'),
    ('ops.typed_degree: edge_type out of range', lambda: ops.typed_degree(typed()[1][1], typed()[2] + 1, 10, 9), E,
     r'edge_type values must lie in \[0, 8\]'),
    ('ops.typed_degree: dst out of range', lambda: ops.typed_degree(typed()[1][1], typed()[2], 5, 9), E,
     r'dst values must lie in \[0, 4\]'),
    ('ops.typed_degree: lengths differ', lambda: ops.typed_degree(typed()[1][1], typed()[2][:-1], 10, 9), E,
     r'edge_type must have shape \(E,\) = '),
    ('ops.typed_degree: num_types 0', lambda: ops.typed_degree(typed()[1][1], typed()[2], 10, 0), E,
     r'num_types must be an int >= 1, got 0'),
    ('ops.check_typed_edges: edge_index 1-D', lambda: ops.check_typed_edges(torch.arange(4), torch.arange(4), 9), E,
     r'edge_index must have shape \(2, E\)'),
    ('ops.set_backend: unknown', lambda: ops.set_backend('nope'), E, r'backend must be one of'),
    ('ops.use_backend: unknown', lambda: ops.use_backend('nope').__enter__(), E, r'backend must be one of'),
    ('ops.dpw_conv2d: x 3-D', lambda: ops.dpw_conv2d(torch.randn(4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1)), E,
     r'x must be \(B, C_in, H, W\)'),
    ('ops.dpw_conv2d: weight 4-D', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(4, 4, 3, 3)), E,
     r'weight must be \(B, C_out, C_in / groups, K_h, K_w, N_h, N_w\)'),
    ('ops.dpw_conv2d: weight float64', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8),
                                                              torch.randn(1, 4, 4, 3, 3, 1, 1).double()), S,
     r'weight must have the dtype of x'),
    ('ops.dpw_conv2d: even kernel', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 2, 2, 1, 1)),
     E, r'kernel size must be odd'),
    ('ops.dpw_conv2d: grid does not divide', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8),
                                                                    torch.randn(1, 4, 4, 3, 3, 3, 3)), E,
     r'x height H = 8 must be divisible by the weight grid size 3'),
    ('ops.dpw_conv2d: groups 0', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1),
                                                        groups=0), E, r'groups must be a positive int'),
    ('ops.dpw_conv2d: bias shape', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1),
                                                          torch.randn(5)), E, r'bias must have shape \(C_out,\)'),
    ('ops.dpw_conv2d: padding_mode', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1),
                                                            padding_mode='wrap'), E, r'padding_mode must be one of'),
    ('ops.dpw_conv2d: impl', lambda: ops.dpw_conv2d(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1),
                                                    impl='fft'), E, r'impl must be one of'),
    ('ops.dpw_conv2d: batch mismatch', lambda: ops.dpw_conv2d(torch.randn(2, 4, 8, 8),
                                                              torch.randn(3, 4, 4, 3, 3, 1, 1)), E,
     r'weight must have one kernel set per image'),
    ('ops.dpw_conv2d: weight on another device', lambda: ops.dpw_conv2d(
        torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 3, 3, 1, 1, device=OTHER)), E,
     r'x and weight must be on the same device'),
    ('ops.SparseMap: coords float', lambda: ops.SparseMap(torch.zeros(3, 3), torch.randn(3, 2), (4, 4)), S,
     r'coords must have dtype torch.long'),
    ('ops.SparseMap: coords (N, 2)', lambda: ops.SparseMap(torch.zeros(3, 2, dtype=torch.long), torch.randn(3, 2),
                                                           (4, 4)), E, r'coords must have shape \(N, 3\)'),
    ('ops.SparseMap: coords out of range', lambda: ops.SparseMap(torch.tensor([[0, 5, 0]]), torch.randn(1, 2), (4, 4)),
     E, r'coords\[:, 1\] \(y\) must lie in \[0, 3\]'),
    ('ops.SparseMap: feats rows', lambda: ops.SparseMap(torch.zeros(3, 3, dtype=torch.long), torch.randn(2, 2),
                                                        (4, 4)), E, r'feats must have shape \(N, C\) with N = '),
    ('ops.SparseMap: spatial_shape negative', lambda: ops.SparseMap(torch.zeros(1, 3, dtype=torch.long),
                                                                    torch.randn(1, 2), (-4, 4)), E,
     r'spatial_shape must be positive'),
    ('ops.SparseMap: duplicate sites', lambda: ops.submanifold_conv2d(ops.SparseMap(
        torch.zeros(2, 3, dtype=torch.long), torch.randn(2, 2), (4, 4)), torch.randn(2, 2, 3, 3)), E,
     r'coords must not contain duplicate sites'),
    ('ops.SparseMap.from_dense: x 3-D', lambda: ops.SparseMap.from_dense(torch.randn(4, 8, 8)), E,
     r'x must be \(B, C, H, W\)'),
    ('ops.SparseMap.from_dense: mask shape', lambda: ops.SparseMap.from_dense(torch.randn(1, 4, 8, 8),
                                                                              torch.ones(8, 8, dtype=torch.bool)), E,
     r'mask must be a bool tensor of shape \(B, H, W\)'),
    ('ops.child_coords: coords float', lambda: ops.child_coords(torch.zeros(2, 3)), S, r'coords must have dtype'),
    ('ops.child_coords: coords (N, 2)', lambda: ops.child_coords(torch.zeros(2, 2, dtype=torch.long)), E,
     r'coords must have shape \(N, 3\)'),
    ('ops.submanifold_conv2d: input not a SparseMap', lambda: ops.submanifold_conv2d(torch.randn(1, 4, 8, 8),
                                                                                     torch.randn(2, 4, 3, 3)), S,
     r'input must be a SparseMap'),
    ('ops.submanifold_conv2d: 5x5 kernel', lambda: ops.submanifold_conv2d(smap(), torch.randn(2, 4, 5, 5)), E,
     r'weight must be a 3x3 or 1x1 kernel'),
    ('ops.submanifold_conv2d: C_in', lambda: ops.submanifold_conv2d(smap(), torch.randn(2, 3, 3, 3)), E,
     r'weight must have C_in = input channels = 4'),
    ('ops.submanifold_conv2d: weight float64', lambda: ops.submanifold_conv2d(smap(), torch.randn(2, 4, 3, 3).double()),
     S, r'weight must have the dtype of input.feats'),
    ('ops.neighbor_table: method', lambda: ops.neighbor_table(smap().coords, (8, 8), 2, method='hash'), E,
     r'method must be one of'),
    ('ops.neighbor_table: coords out of range', lambda: ops.neighbor_table(smap().coords, (4, 4), 2), E,
     r'coords\[:, 1\] \(y\) must lie in \[0, 3\]'),
    ('ops.submanifold_kernel_map: kernel_size 5', lambda: ops.submanifold_kernel_map(smap().coords, (8, 8), 2, 5), E,
     r'kernel_size must be 1 or 3, got 5'),
    ('ops.color.rgb_to_lab: 2 channels', lambda: rgb_to_lab(torch.rand(2, 4, 4)), E,
     r'image must have shape \(\*, 3, H, W\)'),
    ('ops.color.rgb_to_lab: channels-last', lambda: rgb_to_lab(torch.rand(8, 8, 3)), E,
     r'image must have shape \(\*, 3, H, W\)'),
    ('ops.color.rgb_to_lab: int', lambda: rgb_to_lab(torch.ones(3, 4, 4, dtype=torch.long)), S,
     r'image must have a floating-point dtype'),
    ('ops.conv_plan: kind', lambda: ops.conv_plan(torch.full((4, 9), -1), 'fast'), E,
     r"kind must be one of \('auto', 'im2col', 'pairs'\), got 'fast'"),
    ('ops.conv_plan: table (N, 8)', lambda: ops.conv_plan(torch.full((4, 8), -1)), E,
     r'table must have shape \(N, 9\), got \(4, 8\)'),
    ('ops.conv_plan: table float', lambda: ops.conv_plan(torch.zeros(4, 9)), S, r'table must have dtype torch.long'),
    ('ops.conv_plan: site out of range', lambda: ops.conv_plan(torch.full((4, 9), 7)), E,
     r'table values must be site ids in \[0, 3\] or -1 \(no neighbour\), got \[7, 7\]'),
    ('ops.conv_plan: negative id', lambda: ops.conv_plan(torch.full((4, 9), -5)), E,
     r'table values must be site ids in \[0, 3\] or -1 \(no neighbour\), got \[-5, -5\]'),
    ('ops.ConvPlan: kind', lambda: ops.ConvPlan('auto', 4, 4), E,
     r"kind must be one of \('im2col', 'pairs'\), got 'auto'"),
    ('ops.ConvPlan: num_sites negative', lambda: ops.ConvPlan('pairs', -1, 4), E, r'num_sites must be an int >= 0'),
    ('ops.ConvPlan: pairs without src', lambda: ops.ConvPlan('pairs', 4, 4), E,
     r"a 'pairs' plan needs src, dst, sizes; build plans with conv_plan\(table\)"),
    ('ops.gather_gemm_conv: x 3-D', lambda: ops.gather_gemm_conv(torch.randn(1, 4, 4), torch.randn(9, 4, 2),
                                                                 ops.conv_plan(torch.full((4, 9), -1))), E,
     r'x must be \(N, C\)'),
    ('ops.gather_gemm_conv: weight C', lambda: ops.gather_gemm_conv(torch.randn(4, 4), torch.randn(9, 3, 2),
                                                                    ops.conv_plan(torch.full((4, 9), -1))), E,
     r'weight must have shape \(9, C, C_out\) with C = x.size\(1\) = 4, got \(9, 3, 2\)'),
    ('ops.gather_gemm_conv: rows', lambda: ops.gather_gemm_conv(torch.randn(5, 4), torch.randn(9, 4, 2),
                                                                ops.conv_plan(torch.full((4, 9), -1))), E,
     r'x must have one row per site of the plan \(4\), got 5'),
    ('ops.gather_gemm_conv: weight float64', lambda: ops.gather_gemm_conv(
        torch.randn(4, 4), torch.randn(9, 4, 2).double(), ops.conv_plan(torch.full((4, 9), -1))), S,
     r'weight must have the dtype of x \(torch.float32\), got torch.float64'),
    ('ops.gather_gemm_conv: plan not a ConvPlan', lambda: ops.gather_gemm_conv(torch.randn(4, 4),
                                                                               torch.randn(9, 4, 2), 'im2col'), S,
     r'plan must be a ConvPlan \(conv_plan\(table\)\), got str'),
    ('ops.gather_gemm_conv: weight on another device', lambda: ops.gather_gemm_conv(
        torch.randn(4, 4), torch.randn(9, 4, 2, device=OTHER), ops.conv_plan(torch.full((4, 9), -1))), E,
     r'x and weight must be on the same device'),

    # ---------------------------------------------------------------- graphseg.graphs
    ('graphs.opposite: 9', lambda: graphs.opposite(9), E, r'direction index k must be an int in \[0, 8\], got 9'),
    ('graphs.opposite: float', lambda: graphs.opposite(1.5), E, r'direction index k must be an int in \[0, 8\]'),
    ('graphs.direction_index: (2, 0)', lambda: graphs.direction_index(2, 0), E,
     r'\(dy, dx\) must each be in \{-1, 0, 1\}, got \(2, 0\)'),
    ('graphs.direction_tensor: device', lambda: graphs.direction_tensor('gpu0'), E,
     r"device must be a torch device such as 'cpu' or 'cuda', got 'gpu0'"),
    ('graphs.grid_graph: device', lambda: graphs.grid_graph(2, 2, device='gpu0'), E,
     r"device must be a torch device such as 'cpu' or 'cuda', got 'gpu0'"),
    ('graphs.kernel_to_direction_weights: 5x5', lambda: graphs.kernel_to_direction_weights(torch.randn(2, 2, 5, 5)),
     E, r'weight must be a 3x3 kernel'),
    ('graphs.kernel_to_direction_weights: 3-D', lambda: graphs.kernel_to_direction_weights(torch.randn(2, 3, 3)), E,
     r'weight must be \(C_out, C_in, 3, 3\)'),
    ('graphs.direction_weights_to_kernel: 8 types', lambda: graphs.direction_weights_to_kernel(torch.randn(8, 2, 2)),
     E, r'weight must have 9 directions in dim 0'),
    ('graphs.grid_graph: height 0', lambda: graphs.grid_graph(0, 4), E, r'height must be >= 1, got 0'),
    ('graphs.grid_graph: width float', lambda: graphs.grid_graph(4, 2.5), S, r'width must be an int, got float'),
    ('graphs.pixel_positions: negative', lambda: graphs.pixel_positions(-1, 3), E, r'height must be >= 1, got -1'),
    ('graphs.pixel_positions: dtype', lambda: graphs.pixel_positions(2, 3, dtype=torch.bool), S,
     r'dtype must be a floating or integer dtype'),
    ('graphs.group_adjacency: size mismatch', lambda: graphs.group_adjacency(labels(), 8, 9), E,
     r'assignment must have shape \(H, W\) or \(B, H, W\) with \(H, W\) = \(8, 9\), got \(8, 8\)'),
    ('graphs.group_adjacency: float labels', lambda: graphs.group_adjacency(labels().float(), 8, 8), S,
     r'a hard assignment must be a long tensor of group ids'),
    ('graphs.group_adjacency: negative ids', lambda: graphs.group_adjacency(labels() - 1, 8, 8), E,
     r'assignment group ids must be >= 0, got -1'),
    ('graphs.group_adjacency: num_groups too small', lambda: graphs.group_adjacency(labels(), 8, 8, num_groups=3), E,
     r'num_groups must exceed the largest group id 4, got 3'),
    ('graphs.group_adjacency: num_groups float', lambda: graphs.group_adjacency(labels(), 8, 8, num_groups=6.5), S,
     r'num_groups must be an int, got float'),
    ('graphs.group_adjacency: min_weight NaN', lambda: graphs.group_adjacency(labels(), 8, 8, min_weight=NAN), E,
     r'min_weight must be a finite number >= 0, got nan'),
    ('graphs.group_adjacency: min_weight negative', lambda: graphs.group_adjacency(labels(), 8, 8, min_weight=-1), E,
     r'min_weight must be a finite number >= 0'),
    ('graphs.group_adjacency: soft weight NaN', lambda: graphs.group_adjacency(
        (labels()[..., None], torch.full((8, 8, 1), NAN)), 8, 8), E, r'assignment.weight must be finite'),
    ('graphs.group_adjacency: soft weight negative', lambda: graphs.group_adjacency(
        (labels()[..., None], -torch.ones(8, 8, 1)), 8, 8), E, r'assignment.weight must be >= 0'),
    ('graphs.group_adjacency: soft index float', lambda: graphs.group_adjacency(
        (labels()[..., None].float(), torch.ones(8, 8, 1)), 8, 8), S, r'assignment.index must have dtype torch.long'),
    ('graphs.group_adjacency: soft shapes differ', lambda: graphs.group_adjacency(
        (labels()[..., None], torch.ones(8, 8, 2)), 8, 8), E, r'assignment.index and assignment.weight must have the '
                                                              r'same shape'),
    ('graphs.group_adjacency: soft triple', lambda: graphs.group_adjacency((labels(), labels(), labels()), 8, 8), E,
     r'a soft assignment must be a pair \(index, weight\), got 3 items'),
    ('graphs.group_adjacency: soft weight on another device', lambda: graphs.group_adjacency(
        (labels()[..., None], torch.ones(8, 8, 1, device=OTHER)), 8, 8), E,
     r'assignment.index and assignment.weight must be on the same device'),
    ('graphs.group_adjacency: height 0', lambda: graphs.group_adjacency(labels(), 0, 8), E, r'height must be >= 1'),
    ('graphs.slic_torch: channels-last', lambda: graphs.slic_torch(img().permute(1, 2, 0), 8), E,
     r'image looks channels-last: tensors are \(C, H, W\) or \(B, C, H, W\), got shape \(20, 24, 3\)'),
    ('graphs.slic_torch: int32', lambda: graphs.slic_torch((img() * 255).int(), 8), S,
     r'image must be floating, uint8 or bool, got torch.int32'),
    ('graphs.slic_torch: NaN', lambda: graphs.slic_torch(img().clone().index_fill_(1, torch.tensor([3]), NAN), 8), E,
     r'image must be finite, got 72 NaN/inf'),
    ('graphs.slic_torch: n_segments 0', lambda: graphs.slic_torch(img(), 0), E, r'n_segments must be an int >= 1'),
    ('graphs.slic_torch: compactness 0', lambda: graphs.slic_torch(img(), 8, 0.), E, r'compactness must be > 0, got 0'),
    ('graphs.slic_torch: max_num_iter float', lambda: graphs.slic_torch(img(), 8, max_num_iter=2.5), E,
     r'max_num_iter must be an int >= 0, got 2.5'),
    ('graphs.slic_torch: convert2lab gray', lambda: graphs.slic_torch(img()[:1], 8, convert2lab=True), E,
     r'convert2lab=True needs an RGB image with 3 channels, got C = 1'),
    ('graphs.slic_torch: empty', lambda: graphs.slic_torch(torch.rand(3, 0, 5), 8), E,
     r'image must be non-empty, got shape \(3, 0, 5\)'),
    ('graphs.superpixel_graph: channels-last tensor', lambda: graphs.superpixel_graph(img().permute(1, 2, 0), 8), E,
     r'image looks channels-last: tensors are \(C, H, W\) or \(B, C, H, W\), got shape \(20, 24, 3\)'),
    ('graphs.superpixel_graph: channels-last batch', lambda: graphs.superpixel_graph(img().permute(1, 2, 0)[None], 8),
     E, r'image looks channels-last.*image.permute\(0, 3, 1, 2\) for a batch'),
    ('graphs.superpixel_graph: channels-first numpy', lambda: graphs.superpixel_graph(img().numpy(), 8), E,
     r'image looks channels-first: numpy images are \(H, W, C\), got shape \(3, 20, 24\)'),
    ('graphs.superpixel_graph: int32 tensor', lambda: graphs.superpixel_graph((img() * 255).int(), 8), S,
     r'image must be floating, uint8 or bool, got torch.int32: other integer dtypes have no fixed value range'),
    ('graphs.superpixel_graph: int64 numpy', lambda: graphs.superpixel_graph(
        (img().permute(1, 2, 0).numpy() * 255).astype(np.int64), 8), S, r'image must be float, uint8, uint16 or bool'),
    ('graphs.superpixel_graph: complex', lambda: graphs.superpixel_graph(img().to(torch.complex64), 8), S,
     r'image must be floating, uint8 or bool, got torch.complex64'),
    ('graphs.superpixel_graph: 2-D', lambda: graphs.superpixel_graph(img()[0], 8), E,
     r'image must have a channel axis, got a 2-D tensor of shape \(20, 24\); for grayscale use image\[None\]'),
    ('graphs.superpixel_graph: 2-D numpy', lambda: graphs.superpixel_graph(img()[0].numpy(), 8), E,
     r'image must have a channel axis, got a 2-D array'),
    ('graphs.superpixel_graph: 5-D', lambda: graphs.superpixel_graph(img()[None, None], 8), E,
     r'image must be \(C, H, W\) or \(B, C, H, W\), got shape \(1, 1, 3, 20, 24\)'),
    ('graphs.superpixel_graph: list', lambda: graphs.superpixel_graph([img(), img()], 8), S,
     r'image must be a torch.Tensor \(C, H, W\) or a numpy array \(H, W, C\), got list'),
    ('graphs.superpixel_graph: NaN', lambda: graphs.superpixel_graph(img().clone().fill_(NAN), 8), E,
     r'image must be finite'),
    ('graphs.superpixel_graph: inf', lambda: graphs.superpixel_graph(img().clone().fill_(math.inf), 8), E,
     r'image must be finite'),
    ('graphs.superpixel_graph: empty', lambda: graphs.superpixel_graph(torch.rand(3, 5, 0), 8), E,
     r'image must be non-empty'),
    ('graphs.superpixel_graph: n_segments 0', lambda: graphs.superpixel_graph(img(), 0), E,
     r'n_segments must be an int >= 1, got 0'),
    ('graphs.superpixel_graph: n_segments float', lambda: graphs.superpixel_graph(img(), 8.5), E,
     r'n_segments must be an int >= 1, got 8.5'),
    ('graphs.superpixel_graph: compactness negative', lambda: graphs.superpixel_graph(img(), 8, -1.), E,
     r'compactness must be > 0, got -1'),
    ('graphs.superpixel_graph: method', lambda: graphs.superpixel_graph(img(), 8, method='quickshift'), E,
     r"method must be one of \('skimage', 'torch'\), got 'quickshift'"),
    ('graphs.superpixel_graph: unknown slic option', lambda: graphs.superpixel_graph(img(), 8, sigmaa=1), S,
     r"unexpected keyword argument 'sigmaa'"),
    ('graphs.ToDirectionalSLIC: method', lambda: graphs.ToDirectionalSLIC(method='nope'), E,
     r"method must be one of \('skimage', 'torch'\)"),
    ('graphs.ToDirectionalSLIC: n_segments 0', lambda: graphs.ToDirectionalSLIC(0), E,
     r'n_segments must be an int >= 1, got 0'),
    ('graphs.ToDirectionalSLIC: channels-last', lambda: graphs.ToDirectionalSLIC(8)(img().permute(1, 2, 0)), E,
     r'image looks channels-last'),
    ('graphs.to_networkx: not Data', lambda: graphs.to_networkx({'edge_index': grid().edge_index}), S,
     r'data must be a torch_geometric Data, got dict'),
    ('graphs.to_networkx: no edge_type', lambda: graphs.to_networkx(Data(edge_index=grid().edge_index,
                                                                          num_nodes=20)), E,
     r'data must have edge_index and edge_type'),
    ('graphs.to_networkx: edge_type out of range', lambda: graphs.to_networkx(
        Data(edge_index=grid().edge_index, edge_type=grid().edge_type + 9, num_nodes=20)), E,
     r'edge_type values must lie in \[0, 8\]'),
    ('graphs.to_dense_adjacency: num_nodes too small', lambda: graphs.to_dense_adjacency(
        grid().edge_index, grid().edge_type, num_nodes=4), E, r'edge_index\[0\] \(source nodes\) must lie in \[0, 3\]'),
    ('graphs.to_dense_adjacency: num_types', lambda: graphs.to_dense_adjacency(
        grid().edge_index, grid().edge_type, num_types=4), E, r'edge_type values must lie in \[0, 3\]'),
    ('graphs.AddTypedSelfLoops: fill_value negative', lambda: graphs.AddTypedSelfLoops(fill_value=-1.), E,
     r'fill_value must be a number >= 0, got -1'),
    ('graphs.AddTypedSelfLoops: self_type', lambda: graphs.AddTypedSelfLoops(self_type=-1), E,
     r'self_type must be an int >= 0, got -1'),
    ('graphs.AddTypedSelfLoops: no edge_type', lambda: graphs.AddTypedSelfLoops()(
        Data(edge_index=grid().edge_index, num_nodes=20)), E, r'data must have edge_index and edge_type'),
    ('graphs.representative_graph: offsets int', lambda: graphs.representative_graph(
        torch.zeros(1, 18, 4, 4, dtype=torch.long), 4, 4), S, r'pos_or_offsets must have a floating-point dtype'),
    ('graphs.representative_graph: offsets size', lambda: graphs.representative_graph(torch.zeros(1, 18, 4, 5), 4, 4),
     E, r'offsets must have spatial size \(H / grid, W / grid\)'),
    ('graphs.representative_graph: positions NaN', lambda: graphs.representative_graph(
        torch.full((3, 9, 2), NAN), 4, 4), E, r'positions must be finite'),
    ('graphs.representative_graph: bad shape', lambda: graphs.representative_graph(torch.zeros(3, 9), 4, 4), E,
     r'pos_or_offsets must be offsets \(B, 2 \* S \* groups, H / grid, W / grid\) or'),
    ('graphs.sampling_pattern: 0 samples', lambda: graphs.sampling_pattern(0), E, r'num_samples must be >= 1, got 0'),
    ('graphs.sampling_pattern: dilation 0', lambda: graphs.sampling_pattern(9, 0), E, r'dilation must be > 0'),
    ('graphs.anchor_positions: grid does not divide', lambda: graphs.anchor_positions(5, 4, 2), E,
     r'height and width must be divisible by grid = 2'),
    ('graphs.pixel_anchor: grid 0', lambda: graphs.pixel_anchor(4, 4, 0), E, r'grid must be >= 1, got 0'),
    ('graphs.sample_positions: channels', lambda: graphs.sample_positions(torch.zeros(1, 5, 4, 4)), E,
     r'offsets must have 2 \* num_samples \* groups channels'),
    ('graphs.bilinear_neighbors: shape', lambda: graphs.bilinear_neighbors(torch.zeros(4, 3), 4, 4), E,
     r'positions must have shape \(\*, 2\)'),
    ('graphs.bilinear_neighbors: NaN', lambda: graphs.bilinear_neighbors(torch.full((4, 2), NAN), 4, 4), E,
     r'positions must be finite'),
    ('graphs.lattice_node_map: fractional pos', lambda: graphs.lattice_node_map(torch.rand(4, 2)), E,
     r'pos must hold integer lattice coordinates'),
    ('graphs.lattice_node_map: duplicate pos', lambda: graphs.lattice_node_map(torch.zeros(2, 2)), E,
     r'pos must be unique within each graph'),
    ('graphs.t_pyramid: float labels', lambda: graphs.t_pyramid(torch.zeros(8, 8), 3, 3), S,
     r'labels must have dtype torch.long'),
    ('graphs.t_pyramid: num_levels 0', lambda: graphs.t_pyramid(torch.zeros(8, 8, dtype=torch.long), 0, 3), E,
     r'num_levels must be >= 1, got 0'),
    ('graphs.t_pyramid: labels out of range', lambda: graphs.t_pyramid(torch.full((8, 8), 7), 3, 3), E,
     r'labels values must lie in \[0, num_classes - 1\] = \[0, 2\] or be ignore_index = 255, got 7'),
    ('graphs.t_pyramid: not divisible', lambda: graphs.t_pyramid(torch.zeros(6, 8, dtype=torch.long), 3, 3), E,
     r'labels height and width must be divisible by 2 \*\* \(num_levels - 1\) = 4'),
    ('graphs.t_pyramid: ignore_index == num_classes', lambda: graphs.t_pyramid(
        torch.zeros(8, 8, dtype=torch.long), 3, 3, ignore_index=3), E, r'ignore_index must differ from the composite'),
    ('graphs.pad_to_multiple: multiple 0', lambda: graphs.pad_to_multiple(torch.zeros(5, 5), 0), E,
     r'multiple must be >= 1, got 0'),
    ('graphs.pad_to_multiple: 1-D', lambda: graphs.pad_to_multiple(torch.zeros(5), 4), E,
     r'x must have at least 2 dimensions'),
    ('graphs.Quadtree: not a list', lambda: graphs.Quadtree(torch.zeros(8, 8, dtype=torch.long), 3), S,
     r'pyramid must be a non-empty list of LongTensors'),
    ('graphs.Quadtree: level shape', lambda: graphs.Quadtree([torch.zeros(8, 8, dtype=torch.long),
                                                              torch.zeros(3, 3, dtype=torch.long)], 3), E,
     r'pyramid\[1\] must have shape \(B, H / 2\^l, W / 2\^l\) = \(1, 4, 4\)'),
    ('graphs.Quadtree.from_labels: num_classes 0', lambda: graphs.Quadtree.from_labels(
        torch.zeros(8, 8, dtype=torch.long), 3, 0), E, r'num_classes must be >= 1, got 0'),
    ('graphs.Quadtree.leaves: level', lambda: tree().leaves(5), E, r'level must be an int in \[0, 2\], got 5'),
    ('graphs.quadtree_graph: not a tree', lambda: graphs.quadtree_graph(pyramid()), S,
     r'tree must be a Quadtree, got list'),
    ('graphs.quadtree_graph: image size', lambda: graphs.quadtree_graph(tree(), torch.rand(3, 8, 9)), E,
     r'image must have shape \(C, H, W\) or \(B, C, H, W\) with \(B, H, W\) = \(1, 8, 8\)'),
    ('graphs.quadtree_graph: image int', lambda: graphs.quadtree_graph(tree(), torch.ones(3, 8, 8, dtype=torch.int32)),
     S, r'image must be floating, uint8 or bool, got torch.int32'),
    ('graphs.quadtree_graph: image channels-last', lambda: graphs.quadtree_graph(
        graphs.Quadtree.from_labels(torch.zeros(8, 8, dtype=torch.long), 3, 3), torch.rand(8, 8, 3)), E,
     r'image looks channels-last'),
    ('graphs.slic_quadtree: num_levels too deep', lambda: graphs.slic_quadtree(img(), 8, num_levels=12), E,
     r'num_levels = 12 would pad the 20x24 image to 2048x2048: the top cells \(2048 pixels\) must not exceed '
     r'the image; use num_levels <= 5'),
    ('graphs.slic_quadtree: channels-last', lambda: graphs.slic_quadtree(img().permute(1, 2, 0), 8), E,
     r'image looks channels-last'),
    ('graphs.slic_quadtree: batch', lambda: graphs.slic_quadtree(img()[None], 8), E,
     r'image must be \(C, H, W\), got shape \(1, 3, 20, 24\)'),
    ('graphs.slic_quadtree: num_levels 0', lambda: graphs.slic_quadtree(img(), 8, num_levels=0), E,
     r'num_levels must be >= 1, got 0'),
    ('graphs.to_official_labels: num_classes 0', lambda: graphs.to_official_labels(pyramid(), 0), E,
     r'num_classes must be >= 1, got 0'),
    ('graphs.to_official_labels: not a list', lambda: graphs.to_official_labels(pyramid()[0], 3), E,
     r'pyramid must be a non-empty list of label maps, got Tensor'),
    ('graphs.to_official_labels: float level', lambda: graphs.to_official_labels([p.float() for p in pyramid()], 3),
     S, r'pyramid\[2\] must have dtype torch.long'),
    ('graphs.to_official_labels: num_classes of another pyramid', lambda: graphs.to_official_labels(pyramid(), 2), E,
     r'pyramid\[2\] values must lie in \[0, num_classes\] = \[0, 2\] \(classes and the composite id\) or be '
     r'ignore_index = 255, got 3'),
    ('graphs.from_official_labels: num_classes 0', lambda: graphs.from_official_labels(
        graphs.to_official_labels(pyramid(), 3), 0), E, r'num_classes must be >= 1, got 0'),
    ('graphs.from_official_labels: out of range', lambda: graphs.from_official_labels([torch.full((1, 8, 8), 9)], 3), E,
     r'levels\[0\] must hold values in \[-1, 3\] \(released coding\), got \[9, 9\]'),
    ('graphs.from_official_labels: float level', lambda: graphs.from_official_labels([torch.zeros(1, 8, 8)], 3), S,
     r'levels\[0\] must have dtype torch.long'),
    ('graphs.from_official_labels: sizes', lambda: graphs.from_official_labels(
        [torch.zeros(1, 8, 8, dtype=torch.long), torch.zeros(1, 3, 3, dtype=torch.long)], 3), E,
     r'levels\[0\] must have twice the size of levels\[1\], got \(1, 8, 8\) and \(1, 3, 3\)'),
]

ERRORS += [
    # ---------------------------------------------------------------- graphseg.nn: shared graph layers
    ('nn.DirectionalConv: in_channels 0', lambda: gnn.DirectionalConv(0, 2), E, r'in_channels must be an int >= 1'),
    ('nn.DirectionalConv: aggr mean', lambda: gnn.DirectionalConv(2, 2, aggr='mean'), E, r"aggr must be 'add'"),
    ('nn.DirectionalConv: decomposed_layers', lambda: gnn.DirectionalConv(2, 2, decomposed_layers=2), E,
     r'decomposed_layers must be 1'),
    ('nn.DirectionalConv: flow', lambda: gnn.DirectionalConv(2, 2, flow='target_to_source'), E,
     r"flow must be 'source_to_target'"),
    ('nn.DirectionalConv: x channels', lambda: gnn.DirectionalConv(3, 2)(*typed()[:3]), E,
     r'x must have in_channels = 3 features, got shape \(10, 4\)'),
    ('nn.DirectionalConv: x int', lambda: gnn.DirectionalConv(4, 2)(typed()[0].long(), *typed()[1:3]), S,
     r'x must have a floating-point dtype'),
    ('nn.DirectionalConv: x float64', lambda: gnn.DirectionalConv(4, 2)(typed()[0].double(), *typed()[1:3]), S,
     r"x must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.DirectionalConv: x on another device', lambda: gnn.DirectionalConv(4, 2)(typed()[0].to(OTHER),
                                                                                  *typed()[1:3]), E,
     r'x and the layer weight must be on the same device'),
    ('nn.DirectionalConv: no edge_type', lambda: gnn.DirectionalConv(4, 2)(typed()[0], typed()[1]), E,
     r'edge_type is required'),
    ('nn.DirectionalConv: negative weights', lambda: gnn.DirectionalConv(4, 2)(*typed()[:3], -typed()[3]), E,
     r'edge_weight must be >= 0'),
    ('nn.DirectionalConv: edge_weight scalar', lambda: gnn.DirectionalConv(4, 2)(*typed()[:3], -1), S,
     r'edge_weight must be a torch.Tensor, got int'),
    ('nn.DirectionalConv: edge_type shorter', lambda: gnn.DirectionalConv(4, 2)(*typed()[:2], typed()[2][1:]), E,
     r'edge_type must have shape \(E,\) = .*T.AddSelfLoops'),
    ('nn.DirectionalConv: sparse without types', lambda: gnn.DirectionalConv(4, 2)(
        typed()[0], torch.sparse_coo_tensor(typed()[1].flip(0), typed()[3], (10, 10))), E,
     r'edge_type is required: a sparse adjacency carries no direction types'),
    ('nn.DirectionalConv: sparse with int values', lambda: gnn.DirectionalConv(4, 2)(
        typed()[0], torch.sparse_coo_tensor(typed()[1].flip(0), typed()[2], (10, 10)), typed()[2]), S,
     r'the values of the sparse adjacency edge_index are edge weights and must be floating'),
    ('nn.DirectionalConv: from_conv2d 5x5', lambda: gnn.DirectionalConv.from_conv2d(nn.Conv2d(2, 2, 5, padding=2)),
     E, r'conv must have kernel_size=\(3, 3\)'),
    ('nn.SplineConv: dim 0', lambda: gnn.SplineConv(2, 2, 0, 3), E, r'dim must be an int >= 1, got 0'),
    ('nn.SplineConv: kernel_size 0', lambda: gnn.SplineConv(2, 2, 2, 0), E,
     r'kernel_size must be >= degree \+ 1 = 2 in every dimension, got \[0, 0\]'),
    ('nn.SplineConv: degree 4', lambda: gnn.SplineConv(2, 2, 2, 3, degree=4), E, r'degree must be 1, 2 or 3, got 4'),
    ('nn.SplineConv: aggr', lambda: gnn.SplineConv(2, 2, 2, 3, aggr='prod'), E, r"aggr must be one of"),
    ('nn.SplineConv: pseudo shape', lambda: gnn.SplineConv(4, 2, 2, 3)(typed()[0], typed()[1],
                                                                        torch.rand(typed()[1].size(1), 3)), E,
     r'pseudo must have shape \(E, dim\)'),
    ('nn.SplineConv: pseudo outside [0, 1]', lambda: gnn.SplineConv(4, 2, 2, 3)(
        typed()[0], typed()[1], torch.rand(typed()[1].size(1), 2) + 1),
     E, r'pseudo must lie in \[0, 1\]'),
    ('nn.SplineConv: x float64', lambda: gnn.SplineConv(4, 2, 2, 3)(typed()[0].double(), typed()[1],
                                                                      torch.rand(typed()[1].size(1), 2).double()), S,
     r"x must have the layer's dtype torch.float32"),
    ('nn.spline_basis: degree 4', lambda: gnn.spline_basis(torch.rand(5, 2), torch.tensor([3, 3]),
                                                           torch.tensor([1, 1], dtype=torch.uint8), 4), E,
     r'degree must be 1, 2 or 3'),
    ('nn.spline_basis: kernel_size length', lambda: gnn.spline_basis(torch.rand(5, 2), torch.tensor([3]),
                                                                     torch.tensor([1, 1], dtype=torch.uint8)), E,
     r'kernel_size and is_open_spline must have D = 2 entries'),
    ('nn.spline_weighting: weight shape', lambda: gnn.spline_weighting(torch.rand(5, 2), torch.rand(9, 3, 4),
                                                                       torch.rand(5, 4), torch.zeros(5, 4,
                                                                                                     dtype=torch.long)),
     E, r'weight must have shape \(T, C, C_out\) with C = x.size\(1\) = 2'),
    ('nn.SubmanifoldConv2d: kernel_size 5', lambda: gnn.SubmanifoldConv2d(4, 4, 5), E, r'kernel_size must be 1 or 3'),
    ('nn.SubmanifoldConv2d: dense input', lambda: gnn.SubmanifoldConv2d(4, 4)(torch.randn(1, 4, 8, 8)), S,
     r'SubmanifoldConv2d expects a SparseMap, got Tensor'),
    ('nn.SubmanifoldConv2d: channels', lambda: gnn.SubmanifoldConv2d(3, 4)(smap()), E, r'input must have 3 channels'),
    ('nn.SubmanifoldConv2d: float64 input', lambda: gnn.SubmanifoldConv2d(4, 4)(smap().replace(smap().feats.double())),
     S, r"input.feats must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.SparseBatchNorm: channels', lambda: gnn.SparseBatchNorm(3)(smap()), E, r'input must have 3 channels'),
    ('nn.SparseReLU: dense input', lambda: gnn.SparseReLU()(torch.randn(3)), S, r'SparseReLU expects a SparseMap'),
    ('nn.SparseLinear: channels', lambda: gnn.SparseLinear(3, 2)(smap()), E, r'input must have 3 channels'),
    ('nn.SparseUpsample: mask shape', lambda: gnn.SparseUpsample()(smap(), torch.ones(3, dtype=torch.bool)), E,
     r'mask must be a bool tensor of shape \(N,\) = '),
    ('nn.sparse_upsample: dense input', lambda: gnn.sparse_upsample(torch.randn(1, 4, 8, 8)), S,
     r'input must be a SparseMap'),
    ('nn.SparseConvTranspose2d: channels', lambda: gnn.SparseConvTranspose2d(3, 2)(smap()), E,
     r'input must have 3 channels'),
    ('nn.sparse_gather: dense shape', lambda: gnn.sparse_gather(torch.randn(2, 3, 4, 4), smap()), E,
     r'dense must have shape \(B, C, H, W\) with \(B, H, W\) = \(2, 8, 8\)'),

    # ---------------------------------------------------------------- graphseg.nn: HG-Conv
    ('nn.HGConv: ratio 0', lambda: gnn.HGConv(4, 4, ratio=0), E, r'ratio must be a number in \(0, 1\], got 0'),
    ('nn.HGConv: conv', lambda: gnn.HGConv(4, 4, conv='gat'), E, r"conv must be one of"),
    ('nn.HGConv: sampling', lambda: gnn.HGConv(4, 4, sampling='grid'), E, r"sampling must be one of"),
    ('nn.HGConv: num_layers 0', lambda: gnn.HGConv(4, 4, num_layers=0), E, r'num_layers must be an int >= 1, got 0'),
    ('nn.HGConv: NaN in x', lambda: hg()(torch.randn(1, 4, 6, 6).index_fill_(2, torch.tensor([1]), NAN)), E,
     r'x must be finite, got 24 NaN/inf value\(s\)'),
    ('nn.HGConv: inf in x', lambda: hg()(torch.randn(1, 4, 6, 6).index_fill_(3, torch.tensor([0]), math.inf)), E,
     r'x must be finite, got 24 NaN/inf value\(s\)'),
    ('nn.HGConv: x float64', lambda: hg()(torch.randn(1, 4, 6, 6, dtype=torch.float64)), S,
     r"x must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.HGConv: x int', lambda: hg()(torch.ones(1, 4, 6, 6, dtype=torch.long)), S,
     r'x must have a floating-point dtype'),
    ('nn.HGConv: x 3-D', lambda: hg()(torch.randn(4, 6, 6)), E, r'x must be \(B, C, H, W\)'),
    ('nn.HGConv: channels', lambda: hg()(torch.randn(1, 3, 6, 6)), E, r'x must have in_channels = 4 channels'),
    ('nn.HGConv: fewer pixels than groups', lambda: hg()(torch.randn(1, 4, 2, 2)), E,
     r'num_groups = 6 groups need at least as many pixels'),
    ('nn.HGConv: empty map', lambda: hg()(torch.randn(1, 4, 0, 6)), E, r'x must be non-empty'),
    ('nn.HGConv: attention negative', lambda: hg()(torch.randn(1, 4, 6, 6), -torch.ones(1, 6, 6)), E,
     r'attention must be >= 0'),
    ('nn.HGConv: attention shape', lambda: hg()(torch.randn(1, 4, 6, 6), torch.ones(1, 5, 6)), E,
     r'attention must have shape \(B, H, W\) or \(B, 1, H, W\)'),
    ('nn.HGConv: assignment out of range', lambda: hg()(torch.randn(1, 4, 6, 6),
                                                        assignment=torch.full((6, 6), 7)), E,
     r'num_groups must exceed the largest group id 7, got 6'),
    ('nn.HGConv: assignment float', lambda: hg()(torch.randn(1, 4, 6, 6), assignment=torch.zeros(6, 6)), S,
     r'a hard assignment must be a long tensor'),
    ('nn.differentiable_slic: centres float', lambda: gnn.differentiable_slic(torch.randn(1, 4, 6, 6),
                                                                              torch.zeros(1, 3)), S,
     r'centres must have dtype torch.long'),
    ('nn.differentiable_slic: centres out of range', lambda: gnn.differentiable_slic(
        torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 36]])), E, r'centres must be pixel ids in \[0, 35\]'),
    ('nn.differentiable_slic: iters negative', lambda: gnn.differentiable_slic(
        torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]]), iters=-1), E, r'iters must be an int >= 0'),
    ('nn.differentiable_slic: min_weight 1', lambda: gnn.differentiable_slic(
        torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]]), min_weight=1.), E, r'min_weight must be a number in'),
    ('nn.differentiable_slic: NaN', lambda: gnn.differentiable_slic(
        torch.full((1, 4, 6, 6), NAN), torch.tensor([[0, 5, 30]])), E, r'x must be finite'),
    ('nn.DifferentiableSLIC: num_nearest 0', lambda: gnn.DifferentiableSLIC(num_nearest=0)(
        torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]])), E, r'num_nearest must be an int >= 1'),
    ('nn.SoftClustering: shapes differ', lambda: gnn.SoftClustering(torch.zeros(1, 4, 4, 2, dtype=torch.long),
                                                                     torch.ones(1, 4, 4, 3), 3), E,
     r'index and weight must have the same shape \(B, H, W, k\)'),
    ('nn.SoftClustering: index out of range', lambda: gnn.SoftClustering(torch.full((1, 4, 4, 1), 5),
                                                                         torch.ones(1, 4, 4, 1), 3), E,
     r'index values must lie in \[0, 2\]'),
    ('nn.SoftClustering.from_assignment: all-zero pixel', lambda: gnn.SoftClustering.from_assignment(
        (torch.zeros(4, 4, 1, dtype=torch.long), torch.zeros(4, 4, 1)), 4, 4), E,
     r'every pixel needs a positive total assignment weight'),
    ('nn.SoftClustering.pool: x shape', lambda: gnn.SoftClustering.from_assignment(labels(), 8, 8).pool(
        torch.randn(1, 2, 8, 7)), E, r'x must have shape \(B, C, H, W\) with \(B, H, W\) = \(1, 8, 8\)'),
    ('nn.SoftClustering.unpool: rows', lambda: gnn.SoftClustering.from_assignment(labels(), 8, 8).unpool(
        torch.randn(3, 2)), E, r'z must have B \* M = 5 rows'),
    ('nn.importance_map: 3-D', lambda: gnn.importance_map(torch.randn(4, 6, 6)), E, r'x must be \(B, C, H, W\)'),
    ('nn.importance_map: int', lambda: gnn.importance_map(torch.ones(1, 4, 6, 6, dtype=torch.long)), S,
     r'x must have a floating-point dtype'),
    ('nn.sample_centres: too many', lambda: gnn.sample_centres(torch.rand(1, 4, 4), 17), E,
     r'num_centres = 17 groups need at least as many pixels'),
    ('nn.sample_centres: 0', lambda: gnn.sample_centres(torch.rand(1, 4, 4), 0), E, r'num_centres must be an int >= 1'),
    ('nn.sample_centres: method', lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, 'grid'), E,
     r'method must be one of'),
    ('nn.sample_centres: oversample 0.5', lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, oversample=0.5), E,
     r'oversample must be >= 1'),
    ('nn.sample_centres: beta 2', lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, beta=2), E,
     r'beta must be a number in \[0, 1\]'),
    ('nn.sample_centres: negative importance', lambda: gnn.sample_centres(-torch.rand(1, 4, 4), 3), E,
     r'importance must be >= 0'),
    ('nn.sample_centres: NaN importance', lambda: gnn.sample_centres(torch.full((1, 4, 4), NAN), 3), E,
     r'importance must be finite'),
    ('nn.nearest_centres: k too large', lambda: gnn.nearest_centres(torch.tensor([[0, 5]]), 4, 4, 3), E,
     r'k must be an int in \[1, 2\], got 3'),
    ('nn.nearest_centres: centres out of range', lambda: gnn.nearest_centres(torch.tensor([[0, 16]]), 4, 4, 1), E,
     r'centres must be pixel ids in \[0, 15\]'),
    ('nn.active_focus: attention shape', lambda: gnn.active_focus(torch.rand(1, 4, 4), torch.rand(1, 4, 5)), E,
     r'attention must have shape \(B, H, W\) or \(B, 1, H, W\)'),
    ('nn.active_focus: alpha negative', lambda: gnn.active_focus(torch.rand(1, 4, 4), torch.rand(1, 4, 4), -1.), E,
     r'alpha must be >= 0'),
    ('nn.object_attention: class_index out of range', lambda: gnn.object_attention(
        torch.rand(1, 3, 4, 4).softmax(1), 5), E, r'class_index must be class ids in \[0, 2\], got 5'),
    ('nn.object_attention: logits, not probabilities', lambda: gnn.object_attention(-torch.rand(1, 3, 4, 4), 0), E,
     r'probs must be probabilities \(>= 0\)'),
    ('nn.uncertainty_attention: K=1', lambda: gnn.uncertainty_attention(torch.rand(1, 1, 4, 4)), E,
     r'probs must have K >= 2 classes'),
    ('nn.ActiveFocus: mode', lambda: gnn.ActiveFocus('saliency'), E, r"mode must be one of"),
    ('nn.ActiveFocus: object without class', lambda: gnn.ActiveFocus('object'), E, r"mode='object' needs class_index"),
    ('nn.make_graph_conv: name', lambda: gnn.make_graph_conv('gat', 2, 2), E, r"conv must be one of"),
    ('nn.cartesian_pseudo: pos 1-D', lambda: gnn.cartesian_pseudo(torch.rand(5), grid().edge_index), E,
     r'pos must be \(N, D\)'),
    ('nn.cartesian_pseudo: batch length', lambda: gnn.cartesian_pseudo(torch.rand(20, 2), grid().edge_index,
                                                                       torch.zeros(5, dtype=torch.long)), E,
     r'batch must have shape \(N,\) = \(20,\)'),

    # ---------------------------------------------------------------- graphseg.nn: RepGraph
    ('nn.RepGraph: variant', lambda: gnn.RepGraph(8, 4, variant='huge'), E, r'variant must be one of'),
    ('nn.RepGraph: grid 0', lambda: gnn.RepGraph(8, 4, grid=0), E, r'grid must be a positive int'),
    ('nn.RepGraph: x channels', lambda: gnn.RepGraph(8, 4)(torch.randn(1, 6, 4, 4)), E,
     r'x must have in_channels = 8 channels'),
    ('nn.RepGraph: x float64', lambda: gnn.RepGraph(8, 4)(torch.randn(1, 8, 4, 4).double()), S,
     r"x must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.RepGraph: grid does not divide', lambda: gnn.RepGraph(8, 4, grid=2)(torch.randn(1, 8, 5, 4)), E,
     r'x height and width must be divisible by grid = 2'),
    ('nn.RepGraphConv: groups', lambda: gnn.RepGraphConv(8, 6, groups=4), E,
     r'inter_channels \(6\) must be divisible by groups \(4\)'),
    ('nn.RepGraphConv: pos off the lattice', lambda: gnn.RepGraphConv(4, 4)(torch.randn(3, 4), torch.rand(3, 2)), E,
     r'pos must hold integer lattice coordinates'),
    ('nn.representative_attention: index shape', lambda: gnn.representative_attention(
        torch.randn(5, 1, 4), torch.randn(8, 4), torch.randn(8, 4), torch.zeros(5, 9, 4, dtype=torch.long),
        torch.ones(5, 9, 3)), E, r'index and weight must have shape \(A, S, 4\) with A = query.size\(0\) = 5'),
    ('nn.representative_attention: index out of range', lambda: gnn.representative_attention(
        torch.randn(5, 1, 4), torch.randn(8, 4), torch.randn(8, 4), torch.full((5, 9, 4), 8),
        torch.ones(5, 9, 4)), E, r'index values must lie in \[0, 7\] \(rows of key / value\), got \[8, 8\]'),
    ('nn.NonLocal2d: reduction', lambda: gnn.NonLocal2d(6, 4), E,
     r'in_channels \(6\) must be divisible by reduction \(4\)'),
    ('nn.NonLocal2d: mode', lambda: gnn.NonLocal2d(8, 2, 'gaussian_blur'), E, r'mode must be one of'),
    ('nn.NonLocal2d: x float64', lambda: gnn.NonLocal2d(8, 2)(torch.randn(1, 8, 3, 3).double()), S,
     r"x must have the layer's dtype torch.float32"),

    # ---------------------------------------------------------------- graphseg.nn: HyperSeg
    ('nn.ContextHead: levels 0', lambda: gnn.ContextHead(8, levels=0), E, r'levels must be a positive int'),
    ('nn.ContextHead: x too small', lambda: gnn.ContextHead(8, levels=3)(torch.randn(1, 8, 2, 2)), E,
     r'x must be at least'),
    ('nn.ContextHead: x float64', lambda: gnn.ContextHead(8)(torch.randn(1, 8, 4, 4).double()), S,
     r"x must have the layer's dtype torch.float32"),
    ('nn.DPWConv2d: even kernel', lambda: gnn.DPWConv2d(4, 4, 2), E, r'kernel_size must be odd'),
    ('nn.DPWConv2d: weight channels', lambda: gnn.DPWConv2d(4, 4)(torch.randn(1, 4, 8, 8), torch.randn(1, 3, 2, 2)), E,
     r'weight must have num_params = '),
    ('nn.HyperConv: patch out of range', lambda: gnn.HyperConv(2, 2, 4)(
        torch.randn(20, 2), grid().edge_index, grid().edge_type, torch.full((20,), 3), torch.randn(2, 4)), E,
     r'patch values must lie in \[0, 1\]'),
    ('nn.MetaBlock: dynamic without signal_channels', lambda: gnn.MetaBlock(4, 4), E,
     r'signal_channels is required when dynamic=True'),
    ('nn.MetaBlock: forward without signal', lambda: gnn.MetaBlock(4, 4, 6)(torch.randn(1, 4, 8, 8)), E,
     r'signal is required by a dynamic MetaBlock'),
    ('nn.MetaBlock: x float64', lambda: gnn.MetaBlock(4, 4, dynamic=False)(torch.randn(1, 4, 8, 8).double()), S,
     r"x must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.WeightMapper: groups', lambda: gnn.WeightMapper(6, 20, groups=4), E,
     r'in_channels = 6 must be divisible by groups = 4'),
    ('nn.WeightMapper: signal channels', lambda: gnn.WeightMapper(6, 20)(torch.randn(1, 4, 2, 2)), E,
     r'signal must have 6 channels'),
    ('nn.divide_channels: weights empty', lambda: gnn.divide_channels(8, 2, []), E, r'weights must not be empty'),
    ('nn.divide_channels: not divisible', lambda: gnn.divide_channels(9, 2, [1, 1]), E,
     r'total = 9 must be divisible by unit = 2'),
    ('nn.divide_channels: negative weight', lambda: gnn.divide_channels(8, 2, [1, -1]), E,
     r'weights must be finite and > 0'),
    ('nn.fuse_bn: not a module', lambda: gnn.fuse_bn('model'), S, r'model must be an nn.Module, got str'),
    ('nn.positional_encoding: height 0', lambda: gnn.positional_encoding(0, 4), E,
     r'height must be a positive int, got 0'),

    # ---------------------------------------------------------------- graphseg.nn: QGN
    ('nn.QGNDecoder: no encoder maps', lambda: gnn.QGNDecoder((), 3), E,
     r'encoder_channels must have len\(widths\) = 5 values \(encoder maps at strides 2 \.\.\. 32\), got 0'),
    ('nn.QGNDecoder: widths', lambda: gnn.QGNDecoder((8, 16), 3, widths=(16, 8, 8)), E,
     r'encoder_channels must have len\(widths\) = 3 values \(encoder maps at strides 2 \.\.\. 8\), got 2'),
    ('nn.QGNDecoder: blocks', lambda: gnn.QGNDecoder((8, 16), 3, widths=(16, 8), blocks=(0,)), E,
     r'blocks must have len\(widths\) - 1 = 1 ints >= 1, got \(0,\)'),
    ('nn.QGNDecoder: num_classes 0', lambda: gnn.QGNDecoder((8, 16), 0, (16, 8), (1,)), E,
     r'num_classes must be an int >= 1, got 0'),
    ('nn.QGNDecoder: num_classes str', lambda: gnn.QGNDecoder((8, 16), '3', (16, 8), (1,)), E,
     r"num_classes must be an int >= 1, got '3'"),
    ('nn.QGNDecoder: encoder channels 0', lambda: gnn.QGNDecoder((0, 16), 3, (16, 8), (1,)), E,
     r'encoder_channels must hold channel counts \(ints >= 1\), got \(0, 16\)'),
    ('nn.QGNDecoder: final_blocks negative', lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), final_blocks=-1), E,
     r'final_blocks must be an int >= 0, got -1'),
    ('nn.QGNDecoder: block', lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), block='wide'), E,
     r"block must be one of \('basic', 'bottleneck'\), got 'wide'"),
    ('nn.QGNDecoder: skips', lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), skips='none'), E,
     r"skips must be one of \('all', 'top'\), got 'none'"),
    ('nn.QGNDecoder: features count', lambda: qgn_decoder()(qgn_features()[:1]), E,
     r'features must be a list of 2 encoder maps \(strides 2 \.\.\. 4\), got 1 maps'),
    ('nn.QGNDecoder: features shape', lambda: qgn_decoder()([qgn_features()[0], torch.randn(1, 16, 3, 3)]), E,
     r'features\[1\] must have shape \(1, 16, 4, 4\) \(stride 4\), got \(1, 16, 3, 3\)'),
    ('nn.QGNDecoder: scheme', lambda: qgn_decoder()(qgn_features(), scheme='oracle'), E, r'scheme must be one of'),
    ('nn.QGNDecoder: gt without pyramid', lambda: qgn_decoder()(qgn_features(), scheme='gt'), E,
     r"scheme='gt' needs the T-pyramid"),
    ('nn.QGNDecoder: min_level', lambda: qgn_decoder()(qgn_features(), min_level=9), E,
     r'min_level must be an int in \[0, 2\], got 9'),
    ('nn.QGNDecoder: float64 features', lambda: qgn_decoder()([f.double() for f in qgn_features()]), S,
     r"features\[0\] must have the layer's dtype torch.float32"),
    ('nn.qgn_inference: empty', lambda: gnn.qgn_inference({}, 3), E, r'logits must hold at least one level'),
    ('nn.QGNLoss: weighting', lambda: gnn.QGNLoss(weighting='focal'), E, r'weighting must be one of'),
    ('nn.QGNLoss: delta 1', lambda: gnn.QGNLoss(delta=1.), E, r'delta must lie in \[0, 1\), got 1.0'),
    ('nn.QGNLoss: pyramid length', lambda: gnn.QGNLoss(3)({0: torch.randn(1, 4, 8, 8)}, pyramid()[:2]), E,
     r'pyramid must be a list of 3 T-pyramid levels'),
    ('nn.QGNLoss: output type', lambda: gnn.QGNLoss(3)(torch.randn(1, 4, 8, 8), pyramid()), S,
     r'output must be a QGNOutput or a non-empty dict'),
    ('nn.level_loss: target float', lambda: gnn.level_loss(torch.randn(1, 4, 8, 8), torch.zeros(1, 8, 8)), S,
     r'target must have dtype torch.long'),
    ('nn.TransBasicBlock: x float64', lambda: gnn.TransBasicBlock(4, 4, sparse=False)(
        torch.randn(1, 4, 8, 8).double()), S, r"x must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.TransBasicBlock: channels', lambda: gnn.TransBasicBlock(8, 8, sparse=False)(torch.randn(1, 4, 4, 4)), E,
     r'x must have 8 channels'),
    ('nn.TransBasicBlock: up_kernel 4', lambda: gnn.TransBasicBlock(8, 8, True, sparse=False, up_kernel=4), E,
     r'up_kernel must be one of \(2, 3\), got 4'),
    ('nn.TransBottleneck: inplanes 0', lambda: gnn.TransBottleneck(0, 4), E, r'inplanes must be an int >= 1, got 0'),
    ('nn.TransBottleneck: inplanes not divisible', lambda: gnn.TransBottleneck(6, 4), E,
     r'inplanes must be divisible by 4 \(the inner width is inplanes // 4\), got 6'),
    ('nn.TransBottleneck: channels', lambda: gnn.TransBottleneck(16, 4, sparse=False)(torch.randn(1, 8, 4, 4)), E,
     r'x must have 16 channels \(a SparseMap or a \(B, C, H, W\) tensor\), got 8'),
    ('nn.TransBottleneck: x float64', lambda: gnn.TransBottleneck(16, 4, sparse=False)(
        torch.randn(1, 16, 4, 4).double()), S, r"x must have the layer's dtype torch.float32, got torch.float64"),

    # ---------------------------------------------------------------- graphseg.nn: deformable convolution
    ('nn.DeformConv2d: in_channels 0', lambda: gnn.DeformConv2d(0, 4, 3), E, r'in_channels must be an int >= 1, got 0'),
    ('nn.DeformConv2d: kernel_size 0', lambda: gnn.DeformConv2d(4, 4, 0), E,
     r'kernel_size must be an int or a pair of ints >= 1, got 0'),
    ('nn.DeformConv2d: padding negative', lambda: gnn.DeformConv2d(4, 4, 3, padding=-1), E,
     r'padding must be an int or a pair of ints >= 0, got -1'),
    ('nn.DeformConv2d: groups', lambda: gnn.DeformConv2d(4, 4, 3, groups=3), E,
     r'in_channels \(4\) and out_channels \(4\) must be divisible by groups \(3\)'),
    ('nn.DeformConv2d: input channels', lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
        torch.randn(1, 3, 6, 6), torch.zeros(1, 18, 6, 6)), E, r'input must have in_channels = 4 channels'),
    ('nn.DeformConv2d: offset channels', lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
        torch.randn(1, 4, 6, 6), torch.zeros(1, 17, 6, 6)), E,
     r'offset must have shape \(B, 2 \* offset_groups \* kh \* kw, H_out, W_out\) = \(1, 2 \* G \* 9, 6, 6\)'),
    ('nn.DeformConv2d: input float64', lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
        torch.randn(1, 4, 6, 6).double(), torch.zeros(1, 18, 6, 6).double()), S,
     r"input must have the layer's dtype torch.float32, got torch.float64"),
    ('nn.DeformConv2d: NaN offset', lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
        torch.randn(1, 4, 6, 6), torch.full((1, 18, 6, 6), NAN)), E, r'offset must be finite, got 648 NaN/inf'),
    ('nn.DeformConv2d: mask shape', lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
        torch.randn(1, 4, 6, 6), torch.zeros(1, 18, 6, 6), torch.ones(1, 8, 6, 6)), E,
     r'mask must have shape \(B, offset_groups \* kh \* kw, H_out, W_out\) = \(1, 9, 6, 6\), got \(1, 8, 6, 6\)'),
    ('nn.DeformConv2dPack: offset_groups', lambda: gnn.DeformConv2dPack(4, 4, 3, offset_groups=3), E,
     r'offset_groups must be an int >= 1 dividing in_channels = 4, got 3'),
    ('nn.DeformConv2dPack: input channels', lambda: gnn.DeformConv2dPack(4, 4, 3, padding=1)(torch.randn(1, 3, 6, 6)),
     E, r'input must have in_channels = 4 channels, got shape \(1, 3, 6, 6\)'),
    ('nn.DeformConv2dPack: input 3-D', lambda: gnn.DeformConv2dPack(4, 4, 3, padding=1)(torch.randn(4, 6, 6)), E,
     r'input must be \(B, C_in, H, W\)'),
    ('nn.DeformConv2dPack.from_conv2d: not a conv', lambda: gnn.DeformConv2dPack.from_conv2d(nn.Linear(2, 2)), S,
     r'conv must be an nn.Conv2d, got Linear'),
    ('nn.DeformConv2dPack.from_conv2d: reflect padding', lambda: gnn.DeformConv2dPack.from_conv2d(
        nn.Conv2d(2, 2, 3, padding=1, padding_mode='reflect')), E,
     r"conv must have numeric zero padding, got padding=\(1, 1\), padding_mode='reflect'"),
    ('nn.deform_conv2d: x int', lambda: gnn.deform_conv2d(torch.ones(1, 4, 6, 6, dtype=torch.long),
                                                          torch.zeros(1, 18, 4, 4), torch.randn(4, 4, 3, 3)), S,
     r'x must have a floating-point dtype'),
    ('nn.deform_conv2d: weight float64', lambda: gnn.deform_conv2d(torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4),
                                                                   torch.randn(4, 4, 3, 3).double()), S,
     r'weight must have the dtype of x \(torch.float32\), got torch.float64'),
    ('nn.deform_conv2d: bias shape', lambda: gnn.deform_conv2d(torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4),
                                                               torch.randn(4, 4, 3, 3), torch.randn(3)), E,
     r'bias must have shape \(C_out,\) = \(4,\), got \(3,\)'),
    ('nn.deform_conv2d: offset on another device', lambda: gnn.deform_conv2d(
        torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4, device=OTHER), torch.randn(4, 4, 3, 3)), E,
     r'x and offset must be on the same device'),
    ('nn.deform_conv2d: x too small', lambda: gnn.deform_conv2d(torch.ones(1, 4, 2, 2), torch.zeros(1, 18, 1, 1),
                                                                torch.randn(4, 4, 3, 3)), E,
     r'x of size \(2, 2\) is too small for kernel \(3, 3\)'),
    ('nn.deform_conv2d: stride 0', lambda: gnn.deform_conv2d(torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4),
                                                             torch.randn(4, 4, 3, 3), stride=0), E,
     r'stride must be an int or a pair of ints >= 1, got 0'),
]

ERRORS += [
    # ---------------------------------------------------------------- graphseg.models
    ('models.create_model: unknown name', lambda: models.create_model('fcn_tiny'), E,
     r"model must be one of \[.*'fcn_small'.*\], got 'fcn_tiny'"),
    ('models.create_model: unknown kwarg', lambda: models.create_model('fcn_small', num_clases=3), S,
     r"fcn_small got an unexpected argument 'num_clases'; it takes \(in_channels, num_classes, width, num_layers\)"),
    ('models.create_model: num_classes 0', lambda: models.create_model('fcn_small', num_classes=0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('models.create_model: in_channels 0', lambda: models.create_model('fcn_small', in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.create_model: width float', lambda: models.create_model('fcn_small', width=2.5), E,
     r'width must be an int >= 1, got 2.5'),
    ('models.create_model: hg ratio', lambda: models.create_model('hg_fcn_small', ratio=2), E,
     r'ratio must be a number in \(0, 1\]'),
    ('models.create_model: hg conv', lambda: models.create_model('hg_fcn_small', conv='gat'), E,
     r'conv must be one of'),
    ('models.create_model: hyperseg num_classes', lambda: models.create_model('hyperseg_s', num_classes=-1), E,
     r'num_classes must be an int >= 1, got -1'),
    ('models.create_model: qgn backbone', lambda: models.create_model('qgn_resnet34', backbone='vgg'), S,
     r"QGN takes encoder=, not backbone=; got backbone='vgg'"),
    ('models.QGN: encoder unknown', lambda: models.QGN(3, 'efficientnet_b0'), E,
     r"encoder must be a ResNet with feature strides \(4, 8, 16, 32\), got 'efficientnet_b0'"),
    ('models.QGN: block', lambda: models.QGN(3, 'resnet18', block='wide'), E,
     r"block must be one of \('basic', 'bottleneck'\), got 'wide'"),
    ('models.DenseFCN: x channels', lambda: fcn()(torch.randn(1, 1, 16, 16)), E, r'x must have 3 channels'),
    ('models.DenseFCN: x float64', lambda: fcn()(torch.randn(1, 3, 16, 16).double()), S,
     r"x must have the model's dtype torch.float32, got torch.float64"),
    ('models.DenseFCN: x 3-D', lambda: fcn()(torch.randn(3, 16, 16)), E, r'x must be \(B, C, H, W\)'),
    ('models.DenseFCN: x uint8', lambda: fcn()(torch.ones(1, 3, 16, 16, dtype=torch.uint8)), S,
     r'x must have a floating-point dtype'),
    ('models.DenseFCN: num_layers 0', lambda: models.DenseFCN(nn.Identity(), 4, 3, num_layers=0), E,
     r'num_layers must be >= 1'),
    ('models.register_model: task', lambda: models.register_model(task='detection'), E, r'task must be one of'),
    ('models.register_model: duplicate', lambda: models.register_model(_another_fcn_small), E,
     r"model name 'fcn_small' is already registered"),
    ('models.list_models: task', lambda: models.list_models(task='detection'), E, r'task must be one of'),
    ('models.ResNet: layers', lambda: models.ResNet(models.BasicBlock, [2, 2]), E,
     r'layers must have 4 entries'),
    ('models.resnet18: x channels', lambda: models.resnet18()(torch.randn(1, 1, 32, 32)), E,
     r'x must have 3 channels'),
    ('models.BasicBlock: stride 0', lambda: models.BasicBlock(4, 4, stride=0), E, r'stride must be an int >= 1'),
    ('models.Bottleneck: planes 0', lambda: models.Bottleneck(4, 0), E, r'planes must be an int >= 1'),
    ('models.load_pretrained: missing file', lambda: models.load_pretrained(models.resnet18(), '/nonexistent/r18.pth'),
     FileNotFoundError, r"No such file or directory: '/nonexistent/r18.pth'"),
    ('models.load_pretrained: garbage file', lambda: models.load_pretrained(models.resnet18(),
                                                                            f'{files()}/garbage.pt'), E,
     r'path .*garbage.pt is not a readable torch checkpoint'),
    ('models.load_pretrained: wrong keys', lambda: models.load_pretrained(models.resnet18(),
                                                                          f'{files()}/weights.pt'), RuntimeError,
     r'Missing key\(s\) in state_dict'),
    ('models.EfficientNet: width_mult 0', lambda: models.EfficientNet(0., 1.), E,
     r'width_mult must be a finite number > 0, got 0.0'),
    ('models.efficientnet_b0: x float64', lambda: models.efficientnet_b0().eval()(torch.randn(1, 3, 32, 32).double()),
     S, r"x must have the model's dtype torch.float32"),
    ('models.HyperSeg: input not divisible', lambda: hyperseg()(torch.randn(1, 3, 60, 60)), E,
     r'x height and width must be divisible by the backbone stride 32, got 60x60'),
    ('models.HyperSeg: config type', lambda: models.HyperSeg({'level_channels': (8,)}), S,
     r'config must be a HyperSegConfig \(e.g. HYPERSEG_S\), got dict'),
    ('models.hyperseg_s: backbone unknown', lambda: models.hyperseg_s(backbone='vgg16'), E,
     r"backbone must be one of"),
    ('models.qgn_resnet34: num_classes 0', lambda: models.qgn_resnet34(num_classes=0, encoder='resnet18'), E,
     r'num_classes must be an int >= 1, got 0'),
    ('models.qgn_resnet50: backbone (the name before the released ones)', lambda: models.qgn_resnet50(
        backbone='resnet18'), S, r"QGN takes encoder=, not backbone=.*qgn_resnet34\(encoder='resnet18'\)"),
    ('models.HyperSegConfig: lengths', lambda: models.HyperSeg(
        models.HyperSegConfig((8,) * 4, (1.,) * 5, (1,) * 4, (1,) * 4)), E,
     r'config.level_channels must have one entry per backbone map \(5\), or one more for the image level, got 4'),
    ('models.HyperSegConfig: expand_ratio 0', lambda: models.HyperSegConfig((8,), (1.,), (1,), (1,), expand_ratio=0),
     E, r'expand_ratio must be a finite number > 0, got 0'),
    ('models.HyperSegConfig: context_levels 0', lambda: models.HyperSegConfig((8,), (1.,), (1,), (1,),
                                                                              context_levels=0), E,
     r'context_levels must be an int >= 1, got 0'),
    ('models.hyperseg_camvid_s: num_classes 0', lambda: models.hyperseg_camvid_s(num_classes=0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('models.hyperseg_camvid_l: backbone unknown', lambda: models.hyperseg_camvid_l(backbone='vgg'), E,
     r"backbone must be one of \[.*'efficientnet_b1'.*\] or an nn.Module, got 'vgg'"),
    ('models.QGN: x not divisible', lambda: qgn()(torch.randn(1, 3, 60, 60)), E,
     r'image height and width must be divisible by 32, got \(60, 60\)'),
    ('models.QGN.compute_loss: labels float', lambda: qgn().compute_loss(
        torch.randn(1, 3, 64, 64), torch.zeros(1, 64, 64)), S, r'labels must have dtype torch.long'),
    ('models.load_official: not a released family', lambda: models.load_official(nn.Linear(2, 2), {}), S,
     r'model must be a HyperSeg, QGN or QGNDecoder model, got Linear'),
    ('models.load_official: missing file', lambda: models.load_official(qgn_decoder(), '/nonexistent/qgn.pth'),
     FileNotFoundError, r"No such file or directory: '/nonexistent/qgn.pth'"),
    ('models.load_official: garbage file', lambda: models.load_official(qgn_decoder(), f'{files()}/garbage.pt'), E,
     r"checkpoint '.*garbage.pt' is not a readable torch checkpoint \(UnpicklingError"),
    ('models.load_official: not tensors', lambda: models.load_official(qgn_decoder(), {'a': 1}), S,
     r"checkpoint must map names to tensors, got int at 'a'"),
    ('models.load_official: foreign keys', lambda: models.load_official(qgn_decoder(), {'a': torch.zeros(1)}),
     KeyError, r"checkpoint keys with no place in QGNDecoder: \['a'\]"),
    ('models.load_official: checkpoint None', lambda: models.load_official(qgn_decoder(), None), E,
     r'checkpoint may be None only to load a QGN encoder alone'),
    ('models.efficientnet_b3: num_classes -1', lambda: models.efficientnet_b3(num_classes=-1), E,
     r'num_classes must be an int >= 0, got -1'),
    ('models.resnet50_deepstem: in_channels 0', lambda: models.resnet50_deepstem(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),

    # dilated / DCN ResNets, HG-ResNet, ResUNet / HG-ResUNet, RGNet and the non-local baseline (Issue 10)
    ('models.resnet18_dilated: num_classes 0', lambda: models.resnet18_dilated(num_classes=0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('models.resnet18_dilated: x smaller than the output stride', lambda: models.resnet18_dilated(
        num_classes=3).eval()(torch.randn(1, 3, 4, 4)), E,
     r'x must be at least 8x8 pixels \(the output stride\), got \(4, 4\)'),
    ('models.resnet34_dilated: in_channels 0', lambda: models.resnet34_dilated(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.resnet50_dilated: unknown argument', lambda: models.resnet50_dilated(num_clases=3), S,
     r"unexpected keyword argument 'num_clases'"),
    ('models.resnet101_dilated: in_channels 0', lambda: models.resnet101_dilated(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.resnet50_dcn: in_channels -1', lambda: models.resnet50_dcn(in_channels=-1), E,
     r'in_channels must be an int >= 1, got -1'),
    ('models.resnet101_dcn: in_channels 0', lambda: models.resnet101_dcn(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.DilatedResNet: not a ResNet', lambda: models.DilatedResNet(nn.Identity(), 3), S,
     r'backbone must be a graphseg ResNet, got Identity'),
    ('models.DilatedResNet: output stride 32', lambda: models.DilatedResNet(models.resnet18(), 3), E,
     r'backbone must have output stride 8 .*got \[4, 8, 16, 32\]'),
    ('models.FCNHead: in_channels 0', lambda: models.FCNHead(0, 4, 3), E, r'in_channels must be an int >= 1, got 0'),
    ('models.FCNHead: num_classes 0', lambda: models.FCNHead(4, 4, 0), E, r'num_classes must be an int >= 1, got 0'),
    ('models.hg_resnet18: ratio 0', lambda: models.hg_resnet18(ratio=0), E,
     r'ratio must be a number in \(0, 1\], got 0'),
    ('models.hg_resnet34: in_channels 0', lambda: models.hg_resnet34(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.hg_resnet50: in_channels 0', lambda: models.hg_resnet50(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.hg_resnet101: in_channels 0', lambda: models.hg_resnet101(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.hg_resnet50_dcn: in_channels 0', lambda: models.hg_resnet50_dcn(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.hg_resnet101_dcn: in_channels 0', lambda: models.hg_resnet101_dcn(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.HGResNet: not a ResNet', lambda: models.HGResNet(nn.Identity(), 3), S,
     r'backbone must be a graphseg ResNet, got Identity'),
    ('models.HGResNet.from_resnet: not a model', lambda: models.HGResNet.from_resnet('resnet18'), S,
     r'dense must be a DilatedResNet or a ResNet, got str'),
    ('models.HGStage: no blocks', lambda: models.HGStage([]), E, r'blocks must hold at least one residual block'),
    ('models.HGStage: dense blocks', lambda: models.HGStage([models.BasicBlock(4, 4)]), S,
     r'blocks\[0\] must be a GraphBasicBlock or GraphBottleneck \(HGStage.from_layer converts a dense ResNet stage\), '
     r'got BasicBlock'),
    ('models.HGStage: x channels', lambda: models.HGStage([models.GraphBasicBlock(4, 4)], ratio=0.25)(
        torch.randn(1, 3, 4, 4)), E, r'x must have in_channels = 4 channels'),
    ('models.GraphBasicBlock: inplanes 0', lambda: models.GraphBasicBlock(0, 4), E,
     r'inplanes must be an int >= 1, got 0'),
    ('models.GraphBasicBlock: node features', lambda: models.GraphBasicBlock(4, 4)(
        torch.randn(10, 3), *typed()[1:3], typed()[3]), E,
     r'x must have in_channels = 4 features, got shape \(10, 3\)'),
    ('models.GraphBottleneck: planes 0', lambda: models.GraphBottleneck(4, 0), E, r'planes must be an int >= 1, got 0'),
    ('models.resunet18: decoder_channels', lambda: models.resunet18(decoder_channels=(8, 8)), E,
     r'decoder_channels must have 4 entries \(strides 16, 8, 4, 2\), got \(8, 8\)'),
    ('models.resunet50: in_channels 0', lambda: models.resunet50(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.ResUNet: dilated backbone', lambda: models.ResUNet(models.resnet18(
        replace_stride_with_dilation=(False, True, True))), E,
     r'backbone must have output stride 32 \(no dilation\): feature strides \[4, 8, 16, 32\], got \[4, 8, 8, 8\]'),
    ('models.ResUNet: x smaller than the output stride', lambda: models.resunet18().eval()(torch.randn(1, 3, 20, 20)),
     E, r'x must be at least 32x32 pixels \(the output stride\), got \(20, 20\)'),
    ('models.HGResUNet: attention', lambda: models.HGResUNet(models.resnet18(), attention='saliency'), E,
     r"attention must be one of \('uncertainty', 'object'\), got 'saliency'"),
    ('models.hg_resunet18: ratio 0', lambda: models.hg_resunet18(ratio=0), E, r'ratio must be a number in \(0, 1\]'),
    ('models.hg_resunet50: in_channels 0', lambda: models.hg_resunet50(in_channels=0), E,
     r'in_channels must be an int >= 1, got 0'),
    ('models.hg_resunet18_attn: focus_class out of range', lambda: models.hg_resunet18_attn(
        attention='object', focus_class=5), E, r'focus_class must be an int in \[0, 1\], got 5'),
    ('models.hg_resunet18_attn: alpha negative', lambda: models.hg_resunet18_attn(alpha=-1), E,
     r'alpha must be a finite number >= 0, got -1'),
    ('models.rgnet_resnet18: num_samples 0', lambda: models.rgnet_resnet18(num_samples=0), E,
     r'num_samples must be an int >= 1, got 0'),
    ('models.rgnet_resnet50: inter_channels 0', lambda: models.rgnet_resnet50(inter_channels=0), E,
     r'inter_channels must be an int >= 1, got 0'),
    ('models.rgnet_resnet101: num_samples 0', lambda: models.rgnet_resnet101(num_samples=0), E,
     r'num_samples must be an int >= 1, got 0'),
    ('models.nonlocal_resnet18: inter_channels 100', lambda: models.nonlocal_resnet18(inter_channels=100), E,
     r'inter_channels must divide the 512 head channels, got 100'),
    ('models.nonlocal_resnet50: inter_channels 0', lambda: models.nonlocal_resnet50(inter_channels=0), E,
     r'inter_channels must be an int >= 1, got 0'),
    ('models.nonlocal_resnet101: inter_channels 0', lambda: models.nonlocal_resnet101(inter_channels=0), E,
     r'inter_channels must be an int >= 1, got 0'),

    # ---------------------------------------------------------------- graphseg.data
    ('data.load_image: missing file', lambda: gdata.load_image('/nonexistent/cat.png'), FileNotFoundError,
     r"source must be an image file or a bundled skimage.data name .*, got '/nonexistent/cat.png'"),
    ('data.load_image: unknown name', lambda: gdata.load_image('astronautt'), FileNotFoundError,
     r"source must be an image file or a bundled skimage.data name .*got 'astronautt'"),
    ('data.load_image: text file named .png', lambda: gdata.load_image(f'{files()}/text.png'), E,
     r"source '.*text.png' is not a readable image"),
    ('data.load_image: empty file', lambda: gdata.load_image(f'{files()}/empty.png'), E,
     r"source '.*empty.png' is not a readable image"),
    ('data.load_image: a folder', lambda: gdata.load_image(f'{files()}/folder.png'), E,
     r"source '.*folder.png' is a folder, not an image file"),
    ('data.load_image: not a path', lambda: gdata.load_image(3), S, r'source must be a path or a name, got int'),
    ('data.MNISTSegmentation: split', lambda: gdata.MNISTSegmentation('test2'), E, r"split must be one of"),
    ('data.MNISTSegmentation: num_samples 0', lambda: gdata.MNISTSegmentation('val', 0), E,
     r'num_samples must be an int >= 1, got 0'),
    ('data.MNISTSegmentation: size too small', lambda: gdata.MNISTSegmentation('val', 2, size=16), E,
     r'size must be an int in \[32, 1024\], got 16'),
    ('data.MNISTSegmentation: max_digits 0', lambda: gdata.MNISTSegmentation('val', 2, max_digits=0), E,
     r'max_digits must be an int >= 1'),
    ('data.MNISTSegmentation: scale', lambda: gdata.MNISTSegmentation('val', 2, scale=(2., 1.)), E,
     r'scale must be \(min, max\) with 0 < min <= max'),
    ('data.MNISTSegmentation: ink', lambda: gdata.MNISTSegmentation('val', 2, ink=2.), E,
     r'need 0 <= background < ink <= 1, got background=0.1, ink=2.0'),
    ('data.MNISTSegmentation: index', lambda: dataset()[10], IndexError, r'index must be in \[0, 3\], got 10'),

    # dataset readers: missing folders and wrong layouts (tiny fake trees from layouts())
    ('data.CamVid: missing root', lambda: gdata.CamVid('/nonexistent/camvid'), FileNotFoundError,
     r"CamVid train: expected the folder '/nonexistent/camvid/train', which does not exist"),
    ('data.CamVid: image without label', lambda: gdata.CamVid(f'{layouts()}/camvid'), FileNotFoundError,
     r"CamVid train: no label file '.*camvid/trainannot/a.png' for image '.*camvid/train/a.png'"),
    ('data.CamVid: split', lambda: gdata.CamVid(f'{layouts()}/camvid', 'tets'), E,
     r"split must be one of \('train', 'val', 'test', 'trainval'\), got 'tets'"),
    ('data.ADE20K: empty folder', lambda: gdata.ADE20K(f'{layouts()}/empty'), FileNotFoundError,
     r"ADE20K train: expected the folder '.*empty/images/training', which does not exist"),
    ('data.ADE20K: split', lambda: gdata.ADE20K(f'{layouts()}/empty', 'test'), E,
     r"split must be one of \('train', 'val'\), got 'test'"),
    ('data.Cityscapes: empty folder', lambda: gdata.Cityscapes(f'{layouts()}/empty'), FileNotFoundError,
     r"Cityscapes train: expected the folder '.*empty/leftImg8bit/train', which does not exist"),
    ('data.Cityscapes: split', lambda: gdata.Cityscapes(f'{layouts()}/empty', 'trainval'), E,
     r"split must be one of \('train', 'val', 'test'\), got 'trainval'"),
    ('data.VOCSegmentation: empty folder', lambda: gdata.VOCSegmentation(f'{layouts()}/empty'), FileNotFoundError,
     r"VOCSegmentation: expected the folder '.*empty/VOCdevkit/VOC2012', which does not exist"),
    ('data.VOCSegmentation: no split list', lambda: gdata.VOCSegmentation(f'{layouts()}/voc'), FileNotFoundError,
     r"VOCSegmentation train list: expected the file '.*ImageSets/Segmentation/train.txt', which does not exist"),
    ('data.VOCSegmentation: train_aug without SBD', lambda: gdata.VOCSegmentation(f'{layouts()}/voc', 'train_aug'),
     FileNotFoundError, r"VOCSegmentation train_aug \(SBD\): expected the folder '.*benchmark_RELEASE/dataset'"),
    ('data.PascalContext: empty folder', lambda: gdata.PascalContext(f'{layouts()}/empty'), FileNotFoundError,
     r"PascalContext: expected the folder '.*empty/VOCdevkit/VOC2010', which does not exist"),
    ('data.DeepGlobeRoads: empty folder', lambda: gdata.DeepGlobeRoads(f'{layouts()}/empty'), FileNotFoundError,
     r"DeepGlobe roads train: expected the folder '.*empty/train', which does not exist"),
    ('data.DeepGlobeRoads: split', lambda: gdata.DeepGlobeRoads(f'{layouts()}/empty', 'val'), E,
     r"split must be one of \('train', 'valid', 'test'\), got 'val'"),
    ('data.SaliencyFolder: no known layout', lambda: gdata.SaliencyFolder(f'{layouts()}/empty'), FileNotFoundError,
     r"SaliencyFolder: no image folder found for split 'train'; tried .*DUTS-TR/DUTS-TR-Image"),
    ('data.SaliencyFolder: image_dir alone', lambda: gdata.SaliencyFolder(f'{layouts()}/empty', image_dir='x'), E,
     r"image_dir and mask_dir must be given together, got 'x', None"),
    ('data.SegmentationFolder: no pairs', lambda: gdata.SegmentationFolder([]), FileNotFoundError,
     r"SegmentationFolder: no images found"),
    ('data.SegmentationFolder: a string for pairs', lambda: gdata.SegmentationFolder('abc'), S,
     r"pairs must be a sequence of \(image path, label path or None\), got 'abc'"),
    ('data.SegmentationFolder: missing image file', lambda: gdata.SegmentationFolder([('/nonexistent/a.png', None)])[0],
     FileNotFoundError, r"No such file or directory: '/nonexistent/a.png'"),
    ('data.SegmentationFolder: text file named .png', lambda: gdata.SegmentationFolder(
        [(f'{files()}/text.png', None)])[0], OSError, r"cannot identify image file '.*text.png'"),
    ('data.SegmentationFolder: index', lambda: gdata.SegmentationFolder([('/nonexistent/a.png', None)])[5],
     IndexError, r'index must be in \[0, 0\], got 5'),
    ('data.build_dataset: unknown name', lambda: gdata.build_dataset('kitti', None, 'train'), E,
     r"dataset must be one of \[.*'camvid'.*\], got 'kitti'"),
    ('data.build_dataset: no root', lambda: gdata.build_dataset('camvid', None, 'train'), E,
     r"dataset 'camvid' needs data.root \(the dataset folder\), got None"),
    ('data.build_dataset: unknown argument', lambda: gdata.build_dataset('digits', None, 'val', num_sample=3), E,
     r"dataset 'digits' takes no argument 'num_sample'; it takes \['num_samples'"),
    ('data.dataset_info: not a reader', lambda: gdata.dataset_info([1, 2]), S,
     r'dataset must be a graphseg reader with num_classes \(see DATASETS\), got list'),

    # joint transforms
    ('data.Compose: not a list', lambda: gdata.Compose(3), S, r'transforms must be a list of callables, got int'),
    ('data.Compose: not callable', lambda: gdata.Compose([3]), S, r'transforms\[0\] must be callable, got int'),
    ('data.Compose: image channels-last', lambda: gdata.Compose([])(torch.rand(8, 8, 3), labels()), E,
     r'image looks channels-last: transforms take \(C, H, W\), got shape \(8, 8, 3\)'),
    ('data.Compose: target float', lambda: gdata.Compose([])(torch.rand(3, 8, 8), labels().float()), S,
     r'target must have dtype torch.long'),
    ('data.Compose: sizes differ', lambda: gdata.Compose([])(torch.rand(3, 8, 8), labels()[:4]), E,
     r'target must have the image size \(8, 8\), got \(4, 8\)'),
    ('data.Normalize: std 0', lambda: gdata.Normalize((0.,), (0.,)), E,
     r'mean and std must have the same length and std > 0'),
    ('data.Normalize: mean NaN', lambda: gdata.Normalize((NAN,), (1.,)), E, r'mean must be a finite number, got nan'),
    ('data.Normalize: channels', lambda: gdata.Normalize((0.,), (1.,))(torch.rand(3, 8, 8), labels()), E,
     r'image must have 1 channels to normalise, got 3'),
    ('data.RandomCrop: size 0', lambda: gdata.RandomCrop((0, 4)), E,
     r'size must be \(h, w\) with positive int sizes, got \(0, 4\)'),
    ('data.RandomCrop: size int', lambda: gdata.RandomCrop(4), E,
     r'size must be \(h, w\) with positive int sizes, got 4'),
    ('data.RandomCrop: size float', lambda: gdata.RandomCrop((2.5, 4)), E,
     r'size must be \(h, w\) with positive int sizes, got \(2.5, 4\)'),
    ('data.RandomScale: lo > hi', lambda: gdata.RandomScale((2., 1.)), E,
     r'scale_range must satisfy 0 < lo <= hi, got \(2.0, 1.0\)'),
    ('data.RandomScale: scalar', lambda: gdata.RandomScale(2.), E, r'scale_range must be a pair \(lo, hi\), got 2.0'),
    ('data.RandomScale: NaN', lambda: gdata.RandomScale((NAN, 2.)), E, r'scale_range must be a finite number, got nan'),
    ('data.RandomHorizontalFlip: p 2', lambda: gdata.RandomHorizontalFlip(2), E,
     r'p must be a probability in \[0, 1\], got 2'),
    ('data.RandomHorizontalFlip: p NaN', lambda: gdata.RandomHorizontalFlip(NAN), E,
     r'p must be a finite number >= 0, got nan'),
    ('data.PhotometricJitter: strength 1', lambda: gdata.PhotometricJitter(1.), E,
     r'strength must be in \[0, 1\), got 1.0'),
    ('data.PhotometricJitter: strength str', lambda: gdata.PhotometricJitter('a'), E,
     r"strength must be a finite number, got 'a'"),
    ('data.build_transforms: normalize', lambda: gdata.build_transforms(True, normalize='coco'), E,
     r"normalize must be one of \('none', 'imagenet'\), got 'coco'"),
    ('data.build_transforms: crop_size 0', lambda: gdata.build_transforms(True, crop_size=(0, 3)), E,
     r'size must be \(h, w\) with positive int sizes, got \(0, 3\)'),

    # graph datasets from superpixel graphs (Issue 13)
    ('data.read_idx: missing file', lambda: gdata.read_idx('/nonexistent/train-images-idx3-ubyte'),
     FileNotFoundError, r"No such file or directory: '/nonexistent/train-images-idx3-ubyte'"),
    ('data.read_idx: not an IDX file', lambda: gdata.read_idx(f'{files()}/not_idx'), E,
     r"not_idx is not an unsigned-byte IDX file \(magic '68656c6c', expected 000008xx\)"),
    ('data.read_idx: truncated header', lambda: gdata.read_idx(f'{files()}/truncated_idx'), E,
     r'truncated_idx is a truncated IDX file: its header announces 3 dimensions \(16 header bytes\), the file has 8'),
    ('data.load_mnist_idx: missing folder', lambda: gdata.load_mnist_idx('/nonexistent', 'train'), FileNotFoundError,
     r"idx_dir must be a folder with the MNIST IDX files, got '/nonexistent'"),
    ('data.load_mnist_idx: folder without the files', lambda: gdata.load_mnist_idx(f'{layouts()}/idx', 'train'),
     FileNotFoundError, r"idx_dir '.*idx' must hold the official MNIST file 'train-images-idx3-ubyte'"),
    ('data.load_mnist_idx: split', lambda: gdata.load_mnist_idx(f'{layouts()}/idx', 'val'), E,
     r"split must be one of \('train', 'test'\), got 'val'"),
    ('data.majority_labels: seg float', lambda: gdata.majority_labels(torch.zeros(4, 4), labels()[:4, :4], 1, 5), S,
     r'seg must have dtype torch.long'),
    ('data.majority_labels: seg beyond num_nodes', lambda: gdata.majority_labels(
        torch.full((4, 4), 3), labels()[:4, :4], 1, 5), E,
     r'seg values must be node ids in \[0, num_nodes - 1\] = \[0, 0\], got \[3, 3\]'),
    ('data.majority_labels: label out of range', lambda: gdata.majority_labels(
        torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 7), 1, 3), E,
     r'label must hold classes in \[0, 2\] or ignore_index=255, got values \[7\]'),
    ('data.majority_labels: shapes differ', lambda: gdata.majority_labels(
        torch.zeros(4, 4, dtype=torch.long), torch.zeros(4, 5, dtype=torch.long), 1, 3), E,
     r'seg and label must have the same shape, got \(4, 4\) and \(4, 5\)'),
    ('data.majority_labels: num_classes 0', lambda: gdata.majority_labels(
        torch.zeros(4, 4, dtype=torch.long), torch.zeros(4, 4, dtype=torch.long), 1, 0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('data.SuperpixelGraphDataset: n_segments 0', lambda: gdata.SuperpixelGraphDataset(
        f'{layouts()}/sp', 'train', 0, 1.), E, r'n_segments must be an int >= 1, got 0'),
    ('data.MNISTSuperpixels: split', lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', 'val'), E,
     r"split must be one of \('train', 'test'\), got 'val'"),
    ('data.MNISTSuperpixels: limit 0', lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', limit=0), E,
     r'limit must be an int >= 1 or None, got 0'),
    ('data.MNISTSuperpixels: compactness negative', lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp',
                                                                                   compactness=-1), E,
     r'compactness must be > 0, got -1'),
    ('data.MNISTSuperpixels: missing idx_dir', lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp',
                                                                              idx_dir='/nonexistent'),
     FileNotFoundError, r"idx_dir must be a folder with the MNIST IDX files, got '/nonexistent'"),
    ('data.ImageFolderSuperpixels: missing image_dir', lambda: gdata.ImageFolderSuperpixels(
        f'{layouts()}/ifs', '/nonexistent'), FileNotFoundError,
     r"image_dir must be a folder with one sub-folder per class, got '/nonexistent'"),
    ('data.ImageFolderSuperpixels: no class folders', lambda: gdata.ImageFolderSuperpixels(
        f'{layouts()}/ifs', f'{layouts()}/classes'), E,
     r"image_dir '.*classes' must hold one sub-folder per class, found none"),
    ('data.SegmentationSuperpixels: empty dataset', lambda: gdata.SegmentationSuperpixels(f'{layouts()}/ssp', []), E,
     r'dataset must hold at least one \(image, label\) pair, got an empty dataset'),
    ('data.SegmentationSuperpixels: num_classes 0', lambda: gdata.SegmentationSuperpixels(
        f'{layouts()}/ssp', [(torch.rand(3, 8, 8), labels())], 0), E,
     r'num_classes must be an int >= 1 \(or dataset.num_classes\), got 0'),
    ('data.SegmentationSuperpixels: image channels-last', lambda: gdata.SegmentationSuperpixels(
        f'{layouts()}/ssp_hwc', [(torch.rand(8, 8, 3), labels())], 5, n_segments=4, progress=False), E,
     r'image looks channels-last'),
    ('graphs.TypedEdges: no seg', lambda: graphs.TypedEdges()(Data(x=torch.zeros(2, 3))), E,
     r'TypedEdges needs data.seg, the pixel-to-node map'),

    # ---------------------------------------------------------------- graphseg.engine
    ('engine.TrainConfig: steps 0', lambda: engine.TrainConfig(steps=0), engine.ConfigError,
     r'steps must be an integer >= 1, got 0'),
    ('engine.TrainConfig: steps float', lambda: engine.TrainConfig(steps=2.5), E, r'steps must be an integer, got 2.5'),
    ('engine.TrainConfig: batch_size 0', lambda: engine.TrainConfig(batch_size=0), E,
     r'batch_size must be an integer >= 1, got 0'),
    ('engine.TrainConfig: lr str', lambda: engine.TrainConfig(lr='fast'), E, r"lr must be a number, got 'fast'"),
    ('engine.TrainConfig: lr NaN', lambda: engine.TrainConfig(lr=NAN), E, r'lr must be a finite number > 0, got nan'),
    ('engine.TrainConfig: weight_decay negative', lambda: engine.TrainConfig(weight_decay=-1), E,
     r'weight_decay must be a finite number >= 0, got -1'),
    ('engine.TrainConfig: momentum NaN', lambda: engine.TrainConfig(momentum=NAN), E,
     r'momentum must be a finite number >= 0, got nan'),
    ('engine.TrainConfig: betas', lambda: engine.TrainConfig(betas=[0.9, 2.]), E,
     r'betas must have 2 values in \[0, 1\), got \[0.9, 2.0\]'),
    ('engine.TrainConfig: optimizer', lambda: engine.TrainConfig(optimizer='sgdd'), E,
     r"optimizer must be one of \('sgd', 'adamw', 'adam'\), got 'sgdd'"),
    ('engine.TrainConfig: loss', lambda: engine.TrainConfig(loss='dice'), E,
     r"loss must be one of \('ce', 'ohem', 'bootstrap'\), got 'dice'"),
    ('engine.TrainConfig: grad_clip str', lambda: engine.TrainConfig(grad_clip='a'), E,
     r"grad_clip must be a number, got 'a'"),
    ('engine.TrainConfig: warmup_steps >= steps', lambda: engine.TrainConfig(steps=5, warmup_steps=5), E,
     r'warmup_steps must be < steps = 5, got 5'),
    ('engine.TrainConfig: num_workers negative', lambda: engine.TrainConfig(num_workers=-1), E,
     r'num_workers must be an integer >= 0, got -1'),
    ('engine.TrainConfig: device', lambda: engine.TrainConfig(device='gpu'), E,
     r"device must be a torch device such as 'cpu' or 'cuda', got 'gpu'"),
    ('engine.DataConfig: crop_size 0', lambda: engine.DataConfig(crop_size=[0, 4]), E,
     r'crop_size must be \[h, w\] with positive sizes or null, got \[0, 4\]'),
    ('engine.DataConfig: crop_size float', lambda: engine.DataConfig(crop_size=[2.5, 4]), E,
     r'crop_size\[0\] must be an integer, got 2.5'),
    ('engine.DataConfig: scale_range', lambda: engine.DataConfig(scale_range=[2., 1.]), E,
     r'scale_range must be \[lo, hi\] with 0 < lo <= hi, got \[2.0, 1.0\]'),
    ('engine.DataConfig: jitter str', lambda: engine.DataConfig(jitter='a'), E, r"jitter must be a number, got 'a'"),
    ('engine.DataConfig: normalize', lambda: engine.DataConfig(normalize='coco'), E,
     r"normalize must be one of \('none', 'imagenet'\), got 'coco'"),
    ('engine.EvalConfig: batch_size str', lambda: engine.EvalConfig(batch_size='a'), E,
     r"batch_size must be an integer, got 'a'"),
    ('engine.EvalConfig: scales NaN', lambda: engine.EvalConfig(scales=[NAN]), E,
     r'scales must be a non-empty list of positive numbers, got \[nan\]'),
    ('engine.EvalConfig: task', lambda: engine.EvalConfig(task='depth'), E,
     r"task must be one of \('semantic', 'saliency', 'road'\) or null, got 'depth'"),
    ('engine.ModelConfig: kwargs not a mapping', lambda: engine.ModelConfig(kwargs=[1]), E,
     r'kwargs must be a mapping, got \[1\]'),
    ('engine.ModelConfig: unknown name (checked by load_run_config)', lambda: engine.load_run_config(
        {'model': {'name': 'unet'}}), E, r"config: model.name must be a registered segmentation model .*got 'unet'"),
    ('engine.RunConfig: section type', lambda: engine.RunConfig(model='fcn_small'), E,
     r'model must be a ModelConfig \(a mapping in a config file\), got str'),
    ('engine.RunConfig: device', lambda: engine.RunConfig(device='gpu'), E,
     r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ('engine.load_run_config: missing file', lambda: engine.load_run_config('/nonexistent/run.yaml'),
     FileNotFoundError, r"config file '/nonexistent/run.yaml' does not exist"),
    ('engine.load_run_config: source type', lambda: engine.load_run_config(3), S,
     r'source must be a path, a dict or None, got int'),
    ('engine.load_run_config: unknown section', lambda: engine.load_run_config({'trian': {}}), E,
     r"config: unknown key trian; known keys: \['data', 'device', 'eval', 'model', 'train'\]"),
    ('engine.load_run_config: dataset', lambda: engine.load_run_config({'data': {'dataset': 'kitti'}}), E,
     r"config: data.dataset must be one of \[.*\], got 'kitti'"),
    ('engine.load_run_config: override without =', lambda: engine.load_run_config(None, ['train.steps']), E,
     r"override must look like section.key=value, got 'train.steps'"),
    ('engine.load_run_config: override value', lambda: engine.load_run_config(None, ['train.steps=abc']), E,
     r"config \(with overrides\): train.steps must be an integer, got 'abc'"),
    ('engine.load_run_config: overrides a string', lambda: engine.load_run_config(None, 'train.steps=3'), S,
     r"overrides must be a list of 'section.key=value' strings or a dict, got the string 'train.steps=3'"),
    ('engine.load_config: missing file', lambda: engine.load_config('/nonexistent/config.yaml'), FileNotFoundError,
     r"config file '/nonexistent/config.yaml' does not exist"),
    ('engine.load_config: not a mapping', lambda: engine.load_config(f'{files()}/config.yaml'), E,
     r'.*config.yaml: must hold a mapping, got list'),
    ('engine.load_config: broken YAML', lambda: engine.load_config(f'{files()}/broken.yaml'), E,
     r'.*broken.yaml: not valid YAML'),
    ('engine.load_config: unknown key', lambda: engine.load_config({'step': 3}), E,
     r"config: unknown key step; known keys: \['amp'"),
    ('engine.load_config: source type', lambda: engine.load_config(3), S, r'source must be a path, a dict or None'),
    ('engine.save_checkpoint: folder is a file', lambda: engine.save_checkpoint({}, f'{files()}/plain_file/ck.pt'),
     NotADirectoryError, r"path '.*plain_file/ck.pt' cannot be written: '.*plain_file' is a file, not a folder"),
    ('engine.save_checkpoint: path is a folder', lambda: engine.save_checkpoint({}, f'{files()}/folder.png'),
     IsADirectoryError, r"path '.*folder.png' is a folder, expected a checkpoint file name"),
    ('engine.save_checkpoint: state not a dict', lambda: engine.save_checkpoint([1], f'{files()}/ck.pt'), S,
     r'state must be a dict .*, got list'),
    ('engine.load_checkpoint: missing file', lambda: engine.load_checkpoint('/nonexistent/ck.pt'), FileNotFoundError,
     r"checkpoint '/nonexistent/ck.pt' does not exist"),
    ('engine.load_checkpoint: garbage file', lambda: engine.load_checkpoint(f'{files()}/garbage.pt'), E,
     r"checkpoint '.*garbage.pt' is not a readable torch checkpoint \(UnpicklingError"),
    ('engine.load_checkpoint: a folder', lambda: engine.load_checkpoint(files()), IsADirectoryError,
     r"checkpoint '.*' is a folder, expected a checkpoint file"),
    ('engine.train: model not a module', lambda: engine.train('fcn', dataset()), S, r'model must be an nn.Module'),
    ('engine.train: dataset smaller than a batch', lambda: engine.train(
        mnist_model(), dataset(), engine.TrainConfig(steps=1, batch_size=8), progress=False), E,
     r'dataset has 4 samples, fewer than batch_size=8'),
    ('engine.train: config type', lambda: engine.train(mnist_model(), dataset(), {'steps': 1}), S,
     r'config must be a TrainConfig'),
    ('engine.train: cuda missing', lambda: engine.train(mnist_model(), dataset(), engine.TrainConfig(
        steps=1, batch_size=2, device='cuda:7'), progress=False), E, r"config.device = 'cuda:7' is not available"),
    ('engine.segmentation_loss: labels float', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.zeros(2, 16, 16)), S, r'labels must have dtype torch.long'),
    ('engine.segmentation_loss: labels shape', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.zeros(2, 1, 16, 16, dtype=torch.long)), E,
     r'labels must be \(B, H, W\)'),
    ('engine.segmentation_loss: label out of range', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.full((2, 16, 16), 7)), E,
     r'labels must lie in \[0, 2\] or be ignore_index = 255, got 7'),
    ('engine.segmentation_criterion: kind', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'dice'), E,
     r"loss must be one of \('ce', 'ohem', 'bootstrap'\)"),
    ('engine.segmentation_criterion: logits 3-D', lambda: engine.segmentation_criterion(
        torch.randn(3, 4, 4), labels(1)[:, :4, :4]), E, r'logits must be \(B, K, h, w\), got shape \(3, 4, 4\)'),
    ('engine.segmentation_criterion: logits int', lambda: engine.segmentation_criterion(
        torch.ones(1, 3, 4, 4, dtype=torch.long), labels(1)[:, :4, :4]), S, r'logits must have a floating-point dtype'),
    ('engine.segmentation_criterion: target float', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4)), S, r'target must have dtype torch.long'),
    ('engine.segmentation_criterion: batch', lambda: engine.segmentation_criterion(
        torch.randn(2, 3, 4, 4), labels(1)[:, :4, :4]), E,
     r'target must have one map per image: B = 2, got \(1, 4, 4\)'),
    ('engine.segmentation_criterion: ohem_thresh 2', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'ohem', ohem_thresh=2), E,
     r'ohem_thresh must be in \(0, 1\], got 2'),
    ('engine.segmentation_criterion: bootstrap_ratio 0', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'bootstrap', bootstrap_ratio=0), E,
     r'bootstrap_ratio must be in \(0, 1\], got 0'),
    ('models.model_logits: list', lambda: models.model_logits([torch.zeros(1)]), S,
     r"a segmentation model must return \{'out': logits, ...\} or a logits tensor, got list"),
    ('models.model_logits: dict without out', lambda: models.model_logits({'logits': torch.zeros(1)}), S,
     r"a segmentation model must return a dict with key 'out'"),
    ('evaluation.evaluate: num_classes 0', lambda: evaluation.evaluate(mnist_model(), dataset(), 0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('evaluation.evaluate: batch_size 0', lambda: evaluation.evaluate(mnist_model(), dataset(), 11, batch_size=0), E,
     r'batch_size must be an int >= 1, got 0'),
    ('evaluation.predict: images 3-D', lambda: evaluation.predict(fcn(), torch.randn(3, 16, 16)), E,
     r'images must be \(B, C, H, W\)'),
    ('evaluation.predict: scale 0', lambda: evaluation.predict(fcn(), torch.randn(1, 3, 16, 16), scales=(0,)), E,
     r'scales must be a non-empty sequence of finite factors > 0, got \(0,\)'),
    ('evaluation.predict_probs: no scales', lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16), scales=()), E,
     r'scales must be a non-empty sequence of finite factors > 0, got \(\)'),
    ('evaluation.predict_probs: scale NaN', lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16), scales=(NAN,)),
     E, r'scales must be a non-empty sequence of finite factors > 0, got \(nan,\)'),
    ('evaluation.predict_probs: size_divisor 0', lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16),
                                                                        size_divisor=0), E,
     r'size_divisor must be an int >= 1, got 0'),
    ('evaluation.predict_probs: images 3-D', lambda: evaluation.predict_probs(fcn(), torch.randn(3, 16, 16)), E,
     r'images must be \(B, C, H, W\)'),
    ('evaluation.mask_to_graph: 3-D', lambda: evaluation.mask_to_graph(torch.zeros(2, 4, 4)), E,
     r'mask must be \(H, W\), got shape \(2, 4, 4\)'),
    ('evaluation.mask_to_graph: probabilities', lambda: evaluation.mask_to_graph(torch.full((8, 8), 0.3)), E,
     r'mask must be binary \(bool or 0 / 1\), got values in \[0.3.*\]; threshold probabilities first'),
    ('evaluation.mask_to_graph: NaN', lambda: evaluation.mask_to_graph(torch.full((8, 8), NAN)), E,
     r'mask must be binary \(bool or 0 / 1\), got values in \[nan, nan\]'),
    ('evaluation.mask_to_graph: node_spacing 0', lambda: evaluation.mask_to_graph(torch.ones(8, 8), 0), E,
     r'node_spacing must be a finite number > 0, got 0'),
    ('evaluation.apls: not a graph', lambda: evaluation.apls(torch.zeros(3), evaluation.mask_to_graph(torch.ones(8, 8))), S,
     r'gt must be a networkx Graph \(see mask_to_graph\), got Tensor'),
    ('evaluation.apls: nodes without pos', lambda: evaluation.apls(__import__('networkx').path_graph(3),
                                                           evaluation.mask_to_graph(torch.ones(8, 8))), E,
     r'gt nodes must carry pos = \(x, y\) \(see mask_to_graph\); node 0 has none'),
    ('evaluation.apls: buffer negative', lambda: evaluation.apls(evaluation.mask_to_graph(torch.ones(8, 8)),
                                                         evaluation.mask_to_graph(torch.ones(8, 8)), -1), E,
     r'buffer must be a finite number > 0, got -1'),
    ('evaluation.RoadMetrics: buffer negative', lambda: evaluation.RoadMetrics(buffer=-1), E,
     r'buffer must be a finite number > 0, got -1'),
    ('evaluation.RoadMetrics: node_spacing 0', lambda: evaluation.RoadMetrics(node_spacing=0), E,
     r'node_spacing must be a finite number > 0, got 0'),
    ('evaluation.RoadMetrics.update: shapes', lambda: evaluation.RoadMetrics().update(
        torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 5, dtype=torch.long)), E,
     r'pred must have the shape of target \(1, 4, 5\), got \(1, 4, 4\)'),
    ('evaluation.RoadMetrics.update: three-class logits', lambda: evaluation.RoadMetrics().update(
        torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long)), E,
     r'logits pred must have shape \(B, 2, H, W\), got \(1, 3, 4, 4\)'),
    ('evaluation.RoadMetrics.update: labels out of range', lambda: evaluation.RoadMetrics().update(
        torch.full((1, 4, 4), 2), torch.zeros(1, 4, 4, dtype=torch.long)), E, r'pred labels must be in \[0, 1\]'),
    ('evaluation.SaliencyMetrics: beta2 negative', lambda: evaluation.SaliencyMetrics(beta2=-1), E,
     r'beta2 must be a finite number > 0, got -1'),
    ('evaluation.SaliencyMetrics: alpha 2', lambda: evaluation.SaliencyMetrics(alpha=2), E,
     r'alpha must be in \[0, 1\], got 2'),
    ('evaluation.SaliencyMetrics.update: pred int', lambda: evaluation.SaliencyMetrics().update(
        torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 4)), S, r'pred must have a floating-point dtype'),
    ('evaluation.SaliencyMetrics.update: logits, not probabilities', lambda: evaluation.SaliencyMetrics().update(
        torch.full((1, 4, 4), 3.), torch.zeros(1, 4, 4)), E,
     r'pred must be saliency probabilities in \[0, 1\], got values in \[3, 3\]; apply a sigmoid / softmax first'),
    ('evaluation.SaliencyMetrics.update: NaN', lambda: evaluation.SaliencyMetrics().update(
        torch.full((1, 4, 4), NAN), torch.zeros(1, 4, 4)), E, r'pred must be finite, got 16 NaN/inf'),
    ('evaluation.SaliencyMetrics.update: shapes', lambda: evaluation.SaliencyMetrics().update(
        torch.rand(1, 4, 4), torch.zeros(1, 4, 5)), E, r'gt must have the shape of pred \(1, 4, 4\), got \(1, 4, 5\)'),
    ('evaluation.SegmentationMetrics: num_classes 0', lambda: evaluation.SegmentationMetrics(0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('evaluation.SegmentationMetrics: num_classes float', lambda: evaluation.SegmentationMetrics(2.5), E,
     r'num_classes must be an int >= 1, got 2.5'),
    ('evaluation.confusion_matrix: shapes', lambda: evaluation.confusion_matrix(torch.zeros(2, 4, 4, dtype=torch.long),
                                                                        torch.zeros(2, 4, 5, dtype=torch.long), 3), E,
     r'pred must have the shape of target \(2, 4, 5\)'),
    ('evaluation.confusion_matrix: target float', lambda: evaluation.confusion_matrix(torch.zeros(4, 4, dtype=torch.long),
                                                                              torch.zeros(4, 4), 3), S,
     r'target must have dtype torch.long'),
    ('evaluation.confusion_matrix: target out of range', lambda: evaluation.confusion_matrix(
        torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 3), 3), E, r'target labels must be in \[0, 2\]'),
    ('evaluation.confusion_matrix: pred out of range', lambda: evaluation.confusion_matrix(
        torch.full((4, 4), -1), torch.zeros(4, 4, dtype=torch.long), 3), E, r'pred labels must be in \[0, 2\]'),
    ('evaluation.confusion_matrix: logits K', lambda: evaluation.confusion_matrix(torch.randn(1, 4, 4, 4),
                                                                          torch.zeros(1, 4, 4, dtype=torch.long), 3), E,
     r'logits pred must have shape \(B, K=3, \*spatial\)'),
    ('evaluation.iou_from_confusion: not square', lambda: evaluation.iou_from_confusion(torch.zeros(3, 4)), E,
     r'cm must be a square \(K, K\) matrix'),
    ('ops.macs.conv2d_macs: negative', lambda: ops_macs.conv2d_macs(-1, 4, 3, 8, 8), E,
     r'in_channels must be an int >= 1, got -1'),
    ('ops.macs.conv2d_macs: groups', lambda: ops_macs.conv2d_macs(6, 4, 3, 8, 8, groups=4), E,
     r'in_channels \(6\) and out_channels \(4\) must be divisible by groups \(4\)'),
    ('ops.macs.linear_macs: negative', lambda: ops_macs.linear_macs(-5, 4, 4), E, r'num_rows must be an int >= 0'),
    ('ops.macs.matmul_macs: float', lambda: ops_macs.matmul_macs(2.5, 4, 4), E, r'm must be an int >= 0, got 2.5'),
    ('ops.macs.typed_graph_conv_macs: negative', lambda: ops_macs.typed_graph_conv_macs(10, -1, 4, 4, 9), E,
     r'num_edges must be an int >= 0'),
    ('ops.macs.message_passing_macs: negative', lambda: ops_macs.message_passing_macs(-1, 4), E,
     r'num_edges must be an int >= 0'),
    ('analysis.dense_flop_macs: not callable', lambda: analysis.dense_flop_macs(3), S, r'fn must be callable'),
    ('analysis.format_macs: str', lambda: analysis.format_macs('1G'), S, r'macs must be a number'),
    ('analysis.summarize: not a dict', lambda: analysis.summarize([1, 2]), S, r'breakdown must be a dict'),
    ('ops.macs.conv_stack_macs: num_layers 0', lambda: ops_macs.conv_stack_macs(4, 4, 8, 8, 0), E,
     r'num_layers must be an int >= 1'),
    ('ops.macs.graph_conv_macs: conv', lambda: ops_macs.graph_conv_macs('gat', 4, 4, 2, 2), E, r'conv must be one of'),
    ('ops.macs.hgconv_macs: num_groups > pixels', lambda: ops_macs.hgconv_macs(10, 4, 4, 3, 20, 5, 10, 3), E,
     r'num_groups = 20 must be <= num_pixels = 10'),
    ('ops.macs.nonlocal_macs: height 0', lambda: ops_macs.nonlocal_macs(0, 4, 8, 2), E, r'height must be an int >= 1'),
    ('ops.macs.repgraph_macs: variant', lambda: ops_macs.repgraph_macs(8, 8, 8, 4, variant='huge'), E,
     r'variant must be one of'),
    ('ops.macs.repgraph_mac_breakdown: grid', lambda: ops_macs.repgraph_mac_breakdown(8, 8, 8, 4, grid=3), E,
     r'height and width must be divisible by grid = 3'),
    ('analysis.count_macs: model not a module', lambda: analysis.count_macs('fcn_small', torch.randn(1, 3, 16, 16)),
     S, r'model must be an nn.Module, got str'),
    ('analysis.count_macs: x not a batch', lambda: analysis.count_macs(fcn(), [1]), E,
     r'x must be a batch tensor \(B, \.\.\.\) with B >= 1, got list'),
    ('analysis.count_macs: depth 0', lambda: analysis.count_macs(fcn(), torch.randn(1, 3, 16, 16), depth=0), E,
     r'depth must be an int >= 1, got 0'),
    ('analysis.count_macs: x channels', lambda: analysis.count_macs(fcn(), torch.randn(1, 1, 16, 16)), E,
     r'x must have 3 channels'),
    ('ops.macs.hg_clustering_macs: negative', lambda: ops_macs.hg_clustering_macs(-1, 4, 2, 9, 3), E,
     r'num_pixels must be an int >= 1, got -1'),
    ('ops.macs.hg_clustering_macs: more groups than pixels', lambda: ops_macs.hg_clustering_macs(4, 4, 9, 9, 3), E,
     r'num_groups = 9 must be <= num_pixels = 4'),
    ('ops.macs.hg_clustering_macs: iters float', lambda: ops_macs.hg_clustering_macs(16, 4, 2, 9, 1.5), E,
     r'iters must be an int >= 0, got 1.5'),
    ('analysis.record: empty benchmark', lambda: analysis.record('', 'case', speedup=1.), E,
     r"benchmark must be a non-empty string, got ''"),
    ('analysis.record: no values', lambda: analysis.record('b', 'case'), E,
     r"record\('b', 'case'\) needs at least one value"),
    ('analysis.record: value not JSON', lambda: analysis.record('b', 'case', x=object()), S,
     r'values must be numbers or strings \(they go to JSON\), got x=object'),
    ('analysis.compare_times: empty', lambda: analysis.compare_times({}), E, r'fns must be a non-empty dict'),
    ('analysis.compare_times: repeat 0', lambda: analysis.compare_times({'a': lambda: 1}, repeat=0), E,
     r'repeat must be an int >= 1, got 0'),
    ('analysis.compare_times: not callable', lambda: analysis.compare_times({'a': 1}), S,
     r"fns\['a'\] must be callable, got int"),
    ('analysis.peak_memory: not callable', lambda: analysis.peak_memory(1), S, r'fn must be callable'),
    ('analysis.format_table: row length', lambda: analysis.format_table([[1, 2, 3]], ['a', 'b']), E,
     r'rows must have 2 entries \(one per header\), row 0 has 3'),

    # ---------------------------------------------------------------- graphseg.viz
    ('viz.plot_superpixel_graph: not Data', lambda: viz.plot_superpixel_graph({'x': 1}), E,
     r'data must be a torch_geometric Data with pos \(N, 2\)'),
    ('viz.plot_superpixel_graph: image channels-last', lambda: viz.plot_superpixel_graph(sp(), img().permute(1, 2, 0)),
     E, r'image looks channels-last'),
    ('viz.plot_superpixel_graph: image size', lambda: viz.plot_superpixel_graph(sp(), img(10, 12)), E,
     r'image must be \(20, 24\) to match data.seg, got \(10, 12\)'),
    ('viz.plot_noise_canceling: no seg', lambda: viz.plot_noise_canceling(Data(pos=torch.zeros(2, 2))), E,
     r'data must carry seg'),
    ('viz.plot_noise_canceling: crop', lambda: viz.plot_noise_canceling(sp(), img(), crop=(0, 5)), E,
     r'crop must be \(x0, x1, y0, y1\)'),
    ('viz.direction_colors: argument', lambda: viz.direction_colors(3), S, r'positional argument'),
    ('viz.draw_direction_legend: not an Axes', lambda: viz.draw_direction_legend(None), S,
     r'ax must be a matplotlib Axes, got NoneType'),
    ('viz.label_to_rgb: float level', lambda: viz.label_to_rgb(torch.zeros(4, 4), 3), S,
     r'level must have dtype torch.long'),
    ('viz.label_to_rgb: out of range', lambda: viz.label_to_rgb(torch.full((4, 4), 9), 3), E,
     r'level values must lie in \[0, 3\] \(classes and the composite id\) or be ignore_index = 255, got 9'),
    ('viz.plot_t_pyramid: empty', lambda: viz.plot_t_pyramid([], 3), E, r'pyramid must be a non-empty list'),
    ('viz.plot_quadtree_graph: not a quadtree', lambda: viz.plot_quadtree_graph(sp()), E,
     r'data must be a quadtree graph \(QuadtreeData with level, cell_size, leaf, seg, pos'),
    ('viz.plot_active_sites: not an output', lambda: viz.plot_active_sites(torch.zeros(3)), S,
     r'output must be a QGNOutput'),
    ('viz.plot_predictions: lengths', lambda: viz.plot_predictions(torch.rand(2, 3, 8, 8),
                                                                   torch.zeros(2, 8, 8, dtype=torch.long),
                                                                   [torch.zeros(2, 8, 8, dtype=torch.long)],
                                                                   ['a', 'b']), E,
     r'preds and titles must have the same length, got 1 and 2'),
    ('viz.plot_predictions: images channels-last', lambda: viz.plot_predictions(
        torch.rand(2, 8, 8, 3), torch.zeros(2, 8, 8, dtype=torch.long), [torch.zeros(2, 8, 8, dtype=torch.long)],
        ['a']), E, r'images looks channels-last'),

    ('viz.plot_direction_legend: ax', lambda: viz.plot_direction_legend(ax=3), S,
     r'ax must be a matplotlib Axes, got int'),
    ('viz.plot_direction_legend: fontsize', lambda: viz.plot_direction_legend(fontsize=-1), E,
     r'fontsize must be a finite number > 0, got -1'),
    ('viz.raster_order: pos 1-D', lambda: viz.raster_order(torch.rand(5)), E, r'pos must be \(N, 2\)'),
    ('viz.raster_order: pos NaN', lambda: viz.raster_order(torch.full((5, 2), NAN)), E, r'pos must be finite'),
    ('viz.raster_order: rows 0', lambda: viz.raster_order(torch.rand(5, 2), 0), E, r'rows must be an int >= 1, got 0'),
    ('viz.raster_order: list', lambda: viz.raster_order([[0, 1]]), S, r'pos must be a torch.Tensor, got list'),
    ('viz.plot_direction_adjacency: not Data', lambda: viz.plot_direction_adjacency({'edge_index': 1}), S,
     r'data must be a torch_geometric Data, got dict'),
    ('viz.plot_direction_adjacency: no edge_type', lambda: viz.plot_direction_adjacency(
        Data(edge_index=grid().edge_index, num_nodes=20)), E,
     r'data must have edge_index and edge_type \(direction ids\), or pass them'),
    ('viz.plot_direction_adjacency: edge_type out of range', lambda: viz.plot_direction_adjacency(
        grid(), edge_type=grid().edge_type + 9), E, r'edge_type values must lie in \[0, 8\]'),
    ('viz.plot_direction_adjacency: order with repeats', lambda: viz.plot_direction_adjacency(
        grid(), order=torch.zeros(20, dtype=torch.long)), E,
     r'order must hold all N = 20 nodes once each \(a permutation of the node ids\), got 20 ids with repeats'),
    ('viz.plot_direction_adjacency: max_nodes 0', lambda: viz.plot_direction_adjacency(grid(), max_nodes=0), E,
     r'max_nodes must be an int >= 1, got 0'),
    ('viz.plot_direction_adjacency: axes', lambda: viz.plot_direction_adjacency(grid(), axes=[1, 2]), E,
     r'axes must be a 3x3 array of matplotlib axes, got 2 entries'),
    ('viz.quadtree_draw_level: float', lambda: viz.quadtree_draw_level(torch.rand(5)), S,
     r'level must have dtype torch.long'),
    ('viz.quadtree_draw_level: negative', lambda: viz.quadtree_draw_level(torch.full((5,), -1)), E,
     r'level must hold quadtree levels >= 0 \(QuadtreeData.level\), got -1'),
    ('viz.quadtree_draw_level: max_cells 0', lambda: viz.quadtree_draw_level(torch.zeros(5, dtype=torch.long), 0), E,
     r'max_cells must be an int >= 1, got 0'),
    ('viz.add_class_legend: not a figure', lambda: viz.add_class_legend(None, 3), S,
     r'fig must be a matplotlib Figure, got NoneType'),
    ('viz.add_class_legend: num_classes 0', lambda: viz.add_class_legend(_figure(), 0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('viz.add_class_legend: names', lambda: viz.add_class_legend(_figure(), 3, ['a']), E,
     r'class_names must have num_classes = 3 entries, got 1'),
    ('viz.add_class_legend: ncol 0', lambda: viz.add_class_legend(_figure(), 3, ncol=0), E,
     r'ncol must be an int >= 1, got 0'),

    # ---------------------------------------------------------------- the graphseg command (graphseg/cli.py COMMANDS)
    ('cli: no verb', lambda: cli(), SystemExit, r'graphseg: error: the following arguments are required: COMMAND'),
    ('cli: unknown verb', lambda: cli('trian'), SystemExit,
     r"argument COMMAND: invalid choice: 'trian' \(choose from 'graph', 'train', 'eval', 'demo', 'bench-gnn', "
     r"'info'\)"),
    ('cli graph: missing file', lambda: cli('graph', '/nonexistent/cat.png', '--out', fresh()), SystemExit,
     r"graphseg graph: error: image '/nonexistent/cat.png' is neither an image file nor a bundled skimage.data name"),
    ('cli graph: a folder', lambda: cli('graph', f'{files()}/folder.png', '--out', fresh()), SystemExit,
     r"graphseg graph: error: image '.*folder.png' is neither an image file"),
    ('cli graph: text file named .png (reported, the other images go on)', lambda: cli(
        'graph', f'{files()}/text.png', '--no-plot', '--out', fresh()), SystemExit,
     r"FAILED .*text.png: ValueError: source '.*text.png' is not a readable image"),
    ('cli graph: out under a file', lambda: cli('graph', 'coins', '--out', f'{files()}/plain_file/out'), SystemExit,
     r"graphseg graph: error: --out '.*plain_file/out' cannot be created: '.*plain_file' is a file, not a folder"),
    ('cli graph: out is a file', lambda: cli('graph', 'coins', '--out', f'{files()}/plain_file'), SystemExit,
     r"graphseg graph: error: --out '.*plain_file' is a file, expected a folder"),
    ('cli graph: out holds results', lambda: cli('graph', 'coins', '--out', files()), SystemExit,
     r"graphseg graph: error: --out '.*' already holds results; pass --overwrite"),
    ('cli graph: n-segments 0', lambda: cli('graph', 'coins', '--n-segments', '0', '--out', fresh()), SystemExit,
     r'graphseg graph: error: --n-segments must be >= 1, got 0'),
    ('cli graph: n-segments text', lambda: cli('graph', 'coins', '--n-segments', 'many'), SystemExit,
     r"argument --n-segments: invalid int value: 'many'"),
    ('cli graph: compactness negative', lambda: cli('graph', 'coins', '--compactness', '-1', '--out', fresh()),
     SystemExit, r'graphseg graph: error: --compactness must be > 0, got -1.0'),
    ('cli graph: compactness NaN', lambda: cli('graph', 'coins', '--compactness', 'nan', '--out', fresh()),
     SystemExit, r'graphseg graph: error: --compactness must be > 0, got nan'),
    ('cli graph: kind', lambda: cli('graph', 'coins', '--kind', 'voronoi'), SystemExit,
     r"argument --kind: invalid choice: 'voronoi'"),
    ('cli graph: method', lambda: cli('graph', 'coins', '--method', 'watershed'), SystemExit,
     r"argument --method: invalid choice: 'watershed'"),
    ('cli graph: no image', lambda: cli('graph'), SystemExit, r'the following arguments are required: images'),
    ('cli train: no config', lambda: cli('train'), SystemExit, r'the following arguments are required: --config'),
    ('cli train: missing config', lambda: cli('train', '--config', '/nonexistent/run.yaml', '--out', fresh()),
     SystemExit, r"graphseg train: error: config file '/nonexistent/run.yaml' does not exist"),
    ('cli train: broken YAML', lambda: cli('train', '--config', f'{files()}/broken.yaml', '--out', fresh()),
     SystemExit, r'graphseg train: error: .*broken.yaml: not valid YAML'),
    ('cli train: override without =', lambda: cli('train', '--config', f'{files()}/run.yaml', 'train.steps',
                                                  '--out', fresh()), SystemExit,
     r"graphseg train: error: override must look like section.key=value, got 'train.steps'"),
    ('cli train: override value', lambda: cli('train', '--config', f'{files()}/run.yaml', 'train.steps=0',
                                              '--out', fresh()), SystemExit,
     r'graphseg train: error: .*run.yaml \(with overrides\): train.steps must be an integer >= 1, got 0'),
    ('cli train: unknown key', lambda: cli('train', '--config', f'{files()}/run.yaml', 'train.stepz=3',
                                           '--out', fresh()), SystemExit,
     r'graphseg train: error: .*run.yaml \(with overrides\): unknown key train.stepz'),
    ('cli train: missing dataset folder', lambda: cli('train', '--config', f'{files()}/camvid.yaml', '--out', fresh()),
     SystemExit, r"graphseg train: error: CamVid train: expected the folder '/nonexistent/camvid/train'"),
    ('cli train: resume from a missing checkpoint', lambda: cli('train', '--config', f'{files()}/run.yaml',
                                                                '--resume', '/nonexistent/ck.pt', '--out', fresh()),
     SystemExit, r"graphseg train: error: --resume: checkpoint '/nonexistent/ck.pt' does not exist"),
    ('cli train: resume without a checkpoint in the run folder', lambda: cli(
        'train', '--config', f'{files()}/run.yaml', '--resume', '--out', fresh()), SystemExit,
     r"graphseg train: error: --resume: no checkpoint '.*checkpoint.pt' in the run folder"),
    ('cli train: out under a file', lambda: cli('train', '--config', f'{files()}/run.yaml',
                                                '--out', f'{files()}/plain_file/run'), SystemExit,
     r"graphseg train: error: --out '.*plain_file/run' cannot be created: '.*plain_file' is a file"),
    ('cli train: device unavailable', lambda: cli('train', '--config', f'{files()}/run.yaml', 'device=cuda:7',
                                                  '--out', fresh()), SystemExit,
     r"graphseg train: error: device 'cuda:7' requested but CUDA is not available"),
    ('cli eval: no weights', lambda: cli('eval', '--config', f'{files()}/run.yaml'), SystemExit,
     r'the following arguments are required: --weights'),
    ('cli eval: missing weights', lambda: cli('eval', '--config', f'{files()}/run.yaml', '--weights',
                                              '/nonexistent/model.pt', '--out', fresh()), SystemExit,
     r"graphseg eval: error: --weights '/nonexistent/model.pt' does not exist"),
    ('cli eval: garbage weights', lambda: cli('eval', '--config', f'{files()}/run.yaml', '--weights',
                                              f'{files()}/garbage.pt', '--out', fresh()), SystemExit,
     r"graphseg eval: error: checkpoint '.*garbage.pt' is not a readable torch checkpoint"),
    ('cli eval: weights of another model', lambda: cli('eval', '--config', f'{files()}/run.yaml', '--weights',
                                                       f'{files()}/weights.pt', '--out', fresh()), SystemExit,
     r"graphseg eval: error: weights file '.*weights.pt' does not fit model DenseFCN"),
    ('cli eval: out is a file', lambda: cli('eval', '--config', f'{files()}/run.yaml', '--weights',
                                            f'{files()}/weights.pt', '--out', f'{files()}/plain_file'), SystemExit,
     r"graphseg eval: error: --out '.*plain_file' is a file, expected a folder"),
    ('cli demo: unknown model', lambda: cli('demo', '--model', 'unet', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --model must name registered segmentation models'),
    ('cli demo: backbone as model', lambda: cli('demo', '--model', 'resnet18', '--out', fresh()), SystemExit,
     r"graphseg demo: error: --model must name registered segmentation models .*got 'resnet18'"),
    ('cli demo: steps 0', lambda: cli('demo', '--steps', '0', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --steps must be >= 1, got 0'),
    ('cli demo: batch-size 0', lambda: cli('demo', '--batch-size', '0', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --batch-size must be >= 1, got 0'),
    ('cli demo: lr negative', lambda: cli('demo', '--lr', '-1', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --lr must be a finite number > 0, got -1.0'),
    ('cli demo: lr NaN', lambda: cli('demo', '--lr', 'nan', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --lr must be a finite number > 0, got nan'),
    ('cli demo: size too small', lambda: cli('demo', '--size', '8', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --size must be in \[32, 1024\] \(the digit canvases\), got 8'),
    ('cli demo: train-samples 0', lambda: cli('demo', '--train-samples', '0', '--out', fresh()), SystemExit,
     r'graphseg demo: error: --train-samples must be >= 1, got 0'),
    ('cli demo: fewer samples than a batch', lambda: cli('demo', '--train-samples', '4', '--batch-size', '8',
                                                         '--out', fresh()), SystemExit,
     r'graphseg demo: error: --train-samples must be >= --batch-size = 8, got 4'),
    ('cli demo: device', lambda: cli('demo', '--device', 'gpu', '--out', fresh()), SystemExit,
     r"graphseg demo: error: --device must be a torch device such as 'cpu' or 'cuda', got 'gpu'"),
    ('cli demo: device unavailable', lambda: cli('demo', '--device', 'cuda:7', '--out', fresh()), SystemExit,
     r"graphseg demo: error: --device = 'cuda:7' is not available here"),
    ('cli demo: missing photo', lambda: cli('demo', '--photo', '/nonexistent/p.png', '--out', fresh()), SystemExit,
     r"graphseg demo: error: image '/nonexistent/p.png' is neither an image file"),
    ('cli demo: out under a file', lambda: cli('demo', '--steps', '1', '--out', f'{files()}/plain_file/demo'),
     SystemExit, r"graphseg demo: error: --out '.*plain_file/demo' cannot be created"),
    ('cli bench-gnn: task', lambda: cli('bench-gnn', '--task', 'nodes'), SystemExit,
     r"argument --task: invalid choice: 'nodes'"),
    ('cli bench-gnn: layers', lambda: cli('bench-gnn', '--layers', 'gin', '--out', fresh()), SystemExit,
     r"graphseg bench-gnn: error: --layers must be comma-separated names from \['gcn'.*\], got 'gin'"),
    ('cli bench-gnn: convs', lambda: cli('bench-gnn', '--task', 'segmentation', '--convs', 'gin', '--out', fresh()),
     SystemExit, r"graphseg bench-gnn: error: --convs must be comma-separated names from .*got 'gin'"),
    ('cli bench-gnn: dense model', lambda: cli('bench-gnn', '--task', 'segmentation', '--model', 'fcn_small',
                                               '--out', fresh()), SystemExit,
     r"graphseg bench-gnn: error: --model must be a registered HG-Conv segmentation model .*got 'fcn_small'"),
    ('cli bench-gnn: seeds', lambda: cli('bench-gnn', '--seeds', 'a,b', '--out', fresh()), SystemExit,
     r"graphseg bench-gnn: error: --seeds must be comma-separated integers, got 'a,b'"),
    ('cli bench-gnn: epochs 0', lambda: cli('bench-gnn', '--epochs', '0', '--out', fresh()), SystemExit,
     r'graphseg bench-gnn: error: --epochs must be >= 1, got 0'),
    ('cli bench-gnn: lr negative', lambda: cli('bench-gnn', '--lr', '-1', '--out', fresh()), SystemExit,
     r'graphseg bench-gnn: error: --lr must be a finite number > 0, got -1.0'),
    ('cli bench-gnn: batch-size 0', lambda: cli('bench-gnn', '--batch-size', '0', '--out', fresh()), SystemExit,
     r'graphseg bench-gnn: error: --batch-size must be >= 1, got 0'),
    ('cli bench-gnn: train-limit 0', lambda: cli('bench-gnn', '--train-limit', '0', '--out', fresh()), SystemExit,
     r'graphseg bench-gnn: error: --train-limit must be >= 1, got 0'),
    ('cli bench-gnn: threads 0', lambda: cli('bench-gnn', '--threads', '0', '--out', fresh()), SystemExit,
     r'graphseg bench-gnn: error: --threads must be >= 1, got 0'),
    ('cli bench-gnn: device', lambda: cli('bench-gnn', '--device', 'gpu', '--out', fresh()), SystemExit,
     r"graphseg bench-gnn: error: --device must be a torch device such as 'cpu' or 'cuda', got 'gpu'"),
    ('cli bench-gnn: missing idx-dir', lambda: cli('bench-gnn', '--idx-dir', '/nonexistent', '--out', fresh()),
     SystemExit, r"graphseg bench-gnn: error: --idx-dir '/nonexistent' must be a folder with the MNIST IDX files"),
    ('cli bench-gnn: out is a file', lambda: cli('bench-gnn', '--out', f'{files()}/plain_file'), SystemExit,
     r"graphseg bench-gnn: error: --out '.*plain_file' is a file, expected a folder"),
    ('cli bench-gnn: summary of an empty folder', lambda: cli('bench-gnn', '--summary-only', '--out', fresh()),
     SystemExit, r"graphseg bench-gnn: error: --out '.*' holds no graph runs to summarise"),
    # ---------------------------------------------------------------- new in the layout
    ('analysis.add_benchmark_arguments: not a parser', lambda: analysis.add_benchmark_arguments(None), S,
     r'parser must be an argparse.ArgumentParser, got NoneType'),
    ('analysis.setup_benchmark: threads 0', lambda: analysis.setup_benchmark(
        __import__('argparse').Namespace(threads=0, device='cpu'), 'x'), E, r'--threads must be an int >= 1, got 0'),
    ('data.mnist_5k_split: split', lambda: gdata.mnist_5k_split('val'), E,
     r"split must be one of \('train', 'test'\), got 'val'"),
    ('viz.register_graph_kind: name', lambda: viz.register_graph_kind('', print, print), E,
     r'name must be a non-empty string'),
    ('viz.register_graph_kind: build', lambda: viz.register_graph_kind('x', None, print), S,
     r'build must be callable, got NoneType'),
    ('cli info: extra argument', lambda: cli('info', '--verbose'), SystemExit, r'unrecognized arguments: --verbose'),
]


# ----------------------------------------------------------------------------- sensible results for odd input

def _close(a, b):
    torch.testing.assert_close(a, b)
    return True


ACCEPTED = [
    ('ops.scatter: empty', lambda: ops.scatter(torch.empty(0, 3), torch.empty(0, dtype=torch.long), 0, 2),
     lambda out: out.shape == (2, 3) and not out.any()),
    ('ops.typed_matmul_scatter: float64 end to end', lambda: ops.typed_matmul_scatter(
        typed()[0].double(), torch.randn(9, 4, 2, dtype=torch.float64), *typed()[1:3], typed()[3].double()),
     lambda out: out.dtype == torch.float64),
    ('ops.typed_matmul_scatter: no edges', lambda: ops.typed_matmul_scatter(
        torch.randn(3, 4), torch.randn(9, 4, 2), torch.empty(2, 0, dtype=torch.long), torch.empty(0, dtype=torch.long)),
     lambda out: out.shape == (3, 2) and not out.any()),
    ('ops.typed_matmul_scatter: x requires grad', lambda: ops.typed_matmul_scatter(
        typed()[0].clone().requires_grad_(), torch.randn(9, 4, 2), *typed()[1:3]), lambda out: out.requires_grad),
    ('graphs.grid_graph: one pixel', lambda: graphs.grid_graph(1, 1),
     lambda g: g.edge_index.tolist() == [[0], [0]] and g.edge_type.tolist() == [4]),
    ('graphs.group_adjacency: one pixel', lambda: graphs.group_adjacency(torch.zeros(1, 1, dtype=torch.long), 1, 1),
     lambda r: r[0].tolist() == [[0], [0]] and r[1].tolist() == [4]),
    ('graphs.superpixel_graph: uint8 scaled by 255', lambda: graphs.superpixel_graph((img() * 255).byte(), 8),
     lambda d: float(d.x.max()) <= 1 and d.x.dtype == torch.float32),
    ('graphs.superpixel_graph: uint8 numpy (H, W, C)', lambda: graphs.superpixel_graph(
        (img().permute(1, 2, 0).numpy() * 255).astype(np.uint8), 8), lambda d: float(d.x.max()) <= 1),
    ('graphs.superpixel_graph: uint16 numpy scaled by 65535', lambda: graphs.superpixel_graph(
        (img().permute(1, 2, 0).numpy() * 65535).astype(np.uint16), 8),
     lambda d: _close(d.x, graphs.superpixel_graph(img(), 8).x)),
    ('graphs.superpixel_graph: bool image is {0, 1}', lambda: graphs.superpixel_graph(img() > 0.5, 8),
     lambda d: _close(d.x, graphs.superpixel_graph((img() > 0.5).float(), 8).x)),
    ('graphs.superpixel_graph: float64 end to end', lambda: graphs.superpixel_graph(img().double(), 8),
     lambda d: d.x.dtype == d.pos.dtype == d.edge_weight.dtype == torch.float64),
    ('graphs.superpixel_graph: float64 torch SLIC', lambda: graphs.superpixel_graph(img().double(), 8, method='torch'),
     lambda d: d.x.dtype == d.pos.dtype == d.edge_weight.dtype == torch.float64),
    ('graphs.superpixel_graph: requires grad', lambda: graphs.superpixel_graph(img().clone().requires_grad_(), 8),
     lambda d: d.x.requires_grad and d.x.grad_fn is not None),
    ('graphs.superpixel_graph: requires grad, torch SLIC', lambda: graphs.superpixel_graph(
        img().clone().requires_grad_(), 8, method='torch'), lambda d: d.x.requires_grad),
    ('graphs.superpixel_graph: one pixel', lambda: graphs.superpixel_graph(torch.rand(3, 1, 1), 4),
     lambda d: d.num_nodes == 1 and d.edge_type.tolist() == [4]),
    ('graphs.superpixel_graph: 5 channels', lambda: graphs.superpixel_graph(torch.rand(5, 12, 12), 4),
     lambda d: d.x.shape[1] == 5),
    ('graphs.superpixel_graph: more segments than pixels', lambda: graphs.superpixel_graph(torch.rand(3, 4, 4), 50),
     lambda d: d.num_nodes <= 16),
    ('graphs.slic_torch: one pixel', lambda: graphs.slic_torch(torch.rand(3, 1, 1), 4),
     lambda r: r[0].shape == (1, 1, 1) and r[1].tolist() == [1]),
    ('graphs.slic_torch: uint8', lambda: graphs.slic_torch((img() * 255).byte(), 8),
     lambda r: torch.equal(r[0], graphs.slic_torch((img() * 255).byte().float() / 255, 8)[0])),
    ('graphs.slic_torch: requires grad', lambda: graphs.slic_torch(img().clone().requires_grad_(), 8),
     lambda r: torch.equal(r[0], graphs.slic_torch(img(), 8)[0])),
    ('graphs.slic_quadtree: float64 end to end', lambda: graphs.slic_quadtree(img().double(), 8, num_levels=3),
     lambda d: d.x.dtype == d.pos.dtype == torch.float64),
    ('graphs.slic_quadtree: deepest allowed level', lambda: graphs.slic_quadtree(img(), 8, num_levels=5),
     lambda d: d.seg.shape == (1, 32, 32)),
    ('nn.DirectionalConv: float64 end to end', lambda: gnn.DirectionalConv(4, 2).double()(
        typed()[0].double(), *typed()[1:3], typed()[3].double()), lambda out: out.dtype == torch.float64),
    ('nn.DirectionalConv: NaN propagates to the receiving nodes only', lambda: gnn.DirectionalConv(4, 2)(
        typed()[0].clone().index_fill_(0, torch.tensor([9]), NAN), *typed()[1:4]),
     lambda out: bool(out.isnan().any()) and out.isnan().any(1).tolist() == [
         bool(((typed()[1][0] == 9) & (typed()[1][1] == i)).any()) for i in range(10)]),
    ('nn.HGConv: float64 end to end', lambda: gnn.HGConv(4, 4, num_layers=1, num_groups=6).double().eval()(
        torch.randn(2, 4, 6, 6, dtype=torch.float64)), lambda out: out.dtype == torch.float64),
    ('nn.HGConv: one pixel, one group', lambda: gnn.HGConv(4, 4, num_layers=1, num_groups=1).eval()(
        torch.randn(1, 4, 1, 1)), lambda out: out.shape == (1, 4, 1, 1) and bool(out.isfinite().all())),
    ('nn.HGConv: x requires grad', lambda: hg()(torch.randn(1, 4, 6, 6, requires_grad=True)),
     lambda out: out.requires_grad),
    ('nn.RepGraph: float64 end to end', lambda: gnn.RepGraph(8, 4).double()(torch.randn(1, 8, 4, 4).double()),
     lambda out: out.dtype == torch.float64),
    ('nn.SplineConv: float64 end to end', lambda: gnn.SplineConv(4, 2, 2, 3).double()(
        typed()[0].double(), typed()[1], torch.rand(typed()[1].size(1), 2, dtype=torch.float64)),
     lambda out: out.dtype == torch.float64),
    ('nn.SubmanifoldConv2d: float64 end to end', lambda: gnn.SubmanifoldConv2d(4, 3).double()(
        smap().replace(smap().feats.double())), lambda out: out.feats.dtype == torch.float64),
    ('nn.NonLocal2d: float64 end to end', lambda: gnn.NonLocal2d(8, 2).double()(torch.randn(1, 8, 3, 3).double()),
     lambda out: out.dtype == torch.float64),
    ('nn.QGNDecoder: float64 end to end', lambda: gnn.QGNDecoder(
        (8, 16), num_classes=3, widths=(16, 8), blocks=(1,), final_blocks=1).double().eval()(
        [f.double() for f in qgn_features()]),
     lambda out: out.dense_logits().dtype == torch.float64),
    ('nn.deform_conv2d: float64 end to end, zero offset is F.conv2d', lambda: gnn.deform_conv2d(
        torch.ones(1, 4, 6, 6, dtype=torch.float64), torch.zeros(1, 18, 4, 4, dtype=torch.float64),
        torch.ones(2, 4, 3, 3, dtype=torch.float64)),
     lambda out: out.dtype == torch.float64 and _close(out, torch.full((1, 2, 4, 4), 36., dtype=torch.float64))),
    ('models.EfficientNet: num_classes 0 is no classifier', lambda: models.EfficientNet(
        0.25, 0.25, num_classes=0).eval()(torch.randn(1, 3, 32, 32)), lambda out: out.dim() == 2),
    ('data.RandomCrop: a smaller input is padded with ignore', lambda: gdata.RandomCrop((10, 10))(
        torch.rand(3, 8, 8), labels()), lambda r: r[1].shape == (10, 10) and int((r[1] == 255).sum()) == 36),
    ('evaluation.RoadMetrics.update: two-class logits are arg-maxed', lambda: _road(torch.tensor(
        [[[[0., 1.], [1., 0.]], [[1., 0.], [0., 1.]]]])), lambda m: m.confusion.cm.tolist() == [[2, 0], [0, 2]]),
    ('evaluation.mask_to_graph: bool mask', lambda: evaluation.mask_to_graph(torch.ones(8, 8, dtype=torch.bool)),
     lambda g: g.number_of_nodes() >= 1),
    ('engine.load_run_config: overrides', lambda: engine.load_run_config(None, ['train.lr=0.05']),
     lambda c: c.train.lr == 0.05),
    ('viz.raster_order: no nodes', lambda: viz.raster_order(torch.zeros(0, 2)), lambda o: o.numel() == 0),
    ('models.fcn_small: float64 end to end', lambda: models.create_model('fcn_small', num_classes=3).double().eval()(
        torch.randn(1, 3, 16, 16, dtype=torch.float64)), lambda out: out['out'].dtype == torch.float64),
    ('models.hg_fcn_small: float64 end to end', lambda: models.create_model(
        'hg_fcn_small', num_classes=3).double().eval()(torch.randn(1, 3, 16, 16, dtype=torch.float64)),
     lambda out: out['out'].dtype == torch.float64),
    ('data.load_image: grayscale gets one channel', lambda: gdata.load_image('camera'),
     lambda t: t.shape[0] == 1 and t.dtype == torch.float32 and float(t.max()) <= 1),
    ('evaluation.confusion_matrix: all ignored', lambda: evaluation.confusion_matrix(
        torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 255), 3), lambda cm: int(cm.sum()) == 0),
]


# ----------------------------------------------------------------------------- the tests

def _road(logits):
    m = evaluation.RoadMetrics(apls=False)
    m.update(logits, torch.tensor([[[1, 0], [0, 1]]]))
    return m


def _ids(rows):
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), 'row ids must be unique'
    return ids


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', ERRORS, ids=_ids(ERRORS))
def test_bad_input_is_rejected_by_name(case):
    _, call, exc, fragment = case
    with pytest.raises(exc, match=fragment):
        call()


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', ACCEPTED, ids=_ids(ACCEPTED))
def test_odd_input_gives_a_sensible_result(case):
    _, call, check = case
    assert check(call())


def _public_callables():
    import importlib
    import inspect
    names = set()
    for mod in ('graphseg.ops', 'graphseg.ops.macs', 'graphseg.graphs', 'graphseg.nn', 'graphseg.models',
                'graphseg.data', 'graphseg.evaluation', 'graphseg.engine', 'graphseg.analysis', 'graphseg.viz'):
        m = importlib.import_module(mod)
        short = mod.replace('graphseg.', '')
        for n in m.__all__:
            obj = getattr(m, n)
            if callable(obj) and not isinstance(obj, type(torch.float32)):
                if inspect.isclass(obj) and issubclass(obj, Data):
                    continue  # Data containers (SuperpixelData, ...): nothing to validate
                names.add(f'{short}.{n}')
    return names


#: Public callables without a bad-input row, and why.
NO_ROW = {
    'ops.get_backend': 'takes no argument',
    'ops.available_backends': 'takes no argument',
    'graphs.SoftAssignment': 'a NamedTuple; validated where it is used (group_adjacency rows)',
    'graphs.Assignment': 'a typing alias',
    'nn.available_spline_backends': 'takes no argument',
    'nn.QGNOutput': 'a dataclass built by QGNDecoder; its methods are covered through plot_active_sites rows',
    'data.mnist_digits': 'takes no argument',
    'analysis.machine_summary': 'takes no argument',
    'analysis.quiet_stderr': 'a context manager without arguments',
    'models.ConvBNReLU': 'an nn.Sequential of torch layers (torch validates)',
    'models.ResNetPyramid': 'wraps a ResNet built by the rows above',
    'models.resnet34': 'same factory as resnet18', 'models.resnet50': 'same factory as resnet18',
    'models.resnet101': 'same factory as resnet18', 'models.efficientnet_b1': 'same factory as efficientnet_b0',
    'models.fcn_resnet18': 'create_model rows', 'models.hg_fcn_resnet18': 'create_model rows',
    'models.hyperseg_m': 'same factory as hyperseg_s', 'models.hyperseg_l': 'same factory as hyperseg_s',
    'engine.ConfigError': 'an exception class',
    'analysis.take_records': 'takes no argument',
    'analysis.machine_info': 'takes no argument',
    'viz.direction_linestyles': 'takes no argument',
    'analysis.compile_cases': 'takes no argument',
    'analysis.CompileCase': 'a dataclass of the catalogue, built by compile_cases',
    'evaluation.Metric': 'a typing.Protocol',
    'evaluation.Task': 'a dataclass of the TASKS table',
    'nn.GraphConvSpec': 'a dataclass of the GRAPH_CONVS table',
    'viz.GraphKind': 'a dataclass of the GRAPH_KINDS table, built by register_graph_kind',
}


def test_table_covers_every_public_callable():
    covered = set()
    for row in ERRORS + ACCEPTED:
        parts = row[0].split(':')[0].split('.')
        covered |= {'.'.join(parts[:i]) for i in range(1, len(parts) + 1)}  # 'ops.SparseMap.from_dense' covers both
    missing = sorted(n for n in _public_callables() if n not in covered and n not in NO_ROW)
    assert not missing, f'public callables without a bad-input row: {missing}'
