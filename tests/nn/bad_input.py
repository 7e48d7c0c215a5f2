"""Bad-input rows of graphseg.nn: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import math

import torch
from torch import nn

from graphseg import nn as gnn
from tests.bad_input_fixtures import (NAN, OTHER, E, S, _close, grid, hg, labels, pyramid,
                                      qgn_decoder, qgn_features, smap, typed)

ERRORS = [
    # ------------------------------------------------------------- graphseg.nn: shared graph layers
    (
        'nn.DirectionalConv: in_channels 0',
        lambda: gnn.DirectionalConv(0, 2),
        E,
        r'in_channels must be an int >= 1',
    ),
    (
        'nn.DirectionalConv: aggr mean',
        lambda: gnn.DirectionalConv(2, 2, aggr='mean'),
        E,
        r"aggr must be 'add'",
    ),
    (
        'nn.DirectionalConv: decomposed_layers',
        lambda: gnn.DirectionalConv(2, 2, decomposed_layers=2),
        E,
        r'decomposed_layers must be 1',
    ),
    (
        'nn.DirectionalConv: flow',
        lambda: gnn.DirectionalConv(2, 2, flow='target_to_source'),
        E,
        r"flow must be 'source_to_target'",
    ),
    (
        'nn.DirectionalConv: x channels',
        lambda: gnn.DirectionalConv(3, 2)(*typed()[:3]),
        E,
        r'x must have in_channels = 3 features, got shape \(10, 4\)',
    ),
    (
        'nn.DirectionalConv: x int',
        lambda: gnn.DirectionalConv(4, 2)(typed()[0].long(), *typed()[1:3]),
        S,
        r'x must have a floating-point dtype',
    ),
    (
        'nn.DirectionalConv: x float64',
        lambda: gnn.DirectionalConv(4, 2)(typed()[0].double(), *typed()[1:3]),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.DirectionalConv: x on another device',
        lambda: gnn.DirectionalConv(4, 2)(typed()[0].to(OTHER), *typed()[1:3]),
        E,
        r'x and the layer weight must be on the same device',
    ),
    (
        'nn.DirectionalConv: no edge_type',
        lambda: gnn.DirectionalConv(4, 2)(typed()[0], typed()[1]),
        E,
        r'edge_type is required',
    ),
    (
        'nn.DirectionalConv: negative weights',
        lambda: gnn.DirectionalConv(4, 2)(*typed()[:3], -typed()[3]),
        E,
        r'edge_weight must be >= 0',
    ),
    (
        'nn.DirectionalConv: edge_weight scalar',
        lambda: gnn.DirectionalConv(4, 2)(*typed()[:3], -1),
        S,
        r'edge_weight must be a torch.Tensor, got int',
    ),
    (
        'nn.DirectionalConv: edge_type shorter',
        lambda: gnn.DirectionalConv(4, 2)(*typed()[:2], typed()[2][1:]),
        E,
        r'edge_type must have shape \(E,\) = .*T.AddSelfLoops',
    ),
    (
        'nn.DirectionalConv: sparse without types',
        lambda: gnn.DirectionalConv(4, 2)(
            typed()[0], torch.sparse_coo_tensor(typed()[1].flip(0), typed()[3], (10, 10))
        ),
        E,
        r'edge_type is required: a sparse adjacency carries no direction types',
    ),
    (
        'nn.DirectionalConv: sparse with int values',
        lambda: gnn.DirectionalConv(4, 2)(
            typed()[0],
            torch.sparse_coo_tensor(typed()[1].flip(0), typed()[2], (10, 10)),
            typed()[2],
        ),
        S,
        r'the values of the sparse adjacency edge_index are edge weights and must be floating',
    ),
    (
        'nn.DirectionalConv: from_conv2d 5x5',
        lambda: gnn.DirectionalConv.from_conv2d(nn.Conv2d(2, 2, 5, padding=2)),
        E,
        r'conv must have kernel_size=\(3, 3\)',
    ),
    (
        'nn.SplineConv: dim 0',
        lambda: gnn.SplineConv(2, 2, 0, 3),
        E,
        r'dim must be an int >= 1, got 0',
    ),
    (
        'nn.SplineConv: kernel_size 0',
        lambda: gnn.SplineConv(2, 2, 2, 0),
        E,
        r'kernel_size must be >= degree \+ 1 = 2 in every dimension, got \[0, 0\]',
    ),
    (
        'nn.SplineConv: degree 4',
        lambda: gnn.SplineConv(2, 2, 2, 3, degree=4),
        E,
        r'degree must be 1, 2 or 3, got 4',
    ),
    (
        'nn.SplineConv: aggr',
        lambda: gnn.SplineConv(2, 2, 2, 3, aggr='prod'),
        E,
        r"aggr must be one of",
    ),
    (
        'nn.SplineConv: pseudo shape',
        lambda: gnn.SplineConv(4, 2, 2, 3)(
            typed()[0], typed()[1], torch.rand(typed()[1].size(1), 3)
        ),
        E,
        r'pseudo must have shape \(E, dim\)',
    ),
    (
        'nn.SplineConv: pseudo outside [0, 1]',
        lambda: gnn.SplineConv(4, 2, 2, 3)(
            typed()[0], typed()[1], torch.rand(typed()[1].size(1), 2) + 1
        ),
        E,
        r'pseudo must lie in \[0, 1\]',
    ),
    (
        'nn.SplineConv: x float64',
        lambda: gnn.SplineConv(4, 2, 2, 3)(
            typed()[0].double(), typed()[1], torch.rand(typed()[1].size(1), 2).double()
        ),
        S,
        r"x must have the layer's dtype torch.float32",
    ),
    (
        'nn.spline_basis: degree 4',
        lambda: gnn.spline_basis(
            torch.rand(5, 2), torch.tensor([3, 3]), torch.tensor([1, 1], dtype=torch.uint8), 4
        ),
        E,
        r'degree must be 1, 2 or 3',
    ),
    (
        'nn.spline_basis: kernel_size length',
        lambda: gnn.spline_basis(
            torch.rand(5, 2), torch.tensor([3]), torch.tensor([1, 1], dtype=torch.uint8)
        ),
        E,
        r'kernel_size and is_open_spline must have D = 2 entries',
    ),
    (
        'nn.spline_weighting: weight shape',
        lambda: gnn.spline_weighting(
            torch.rand(5, 2),
            torch.rand(9, 3, 4),
            torch.rand(5, 4),
            torch.zeros(5, 4, dtype=torch.long),
        ),
        E,
        r'weight must have shape \(T, C, C_out\) with C = x.size\(1\) = 2',
    ),
    (
        'nn.SubmanifoldConv2d: kernel_size 5',
        lambda: gnn.SubmanifoldConv2d(4, 4, 5),
        E,
        r'kernel_size must be 1 or 3',
    ),
    (
        'nn.SubmanifoldConv2d: dense input',
        lambda: gnn.SubmanifoldConv2d(4, 4)(torch.randn(1, 4, 8, 8)),
        S,
        r'SubmanifoldConv2d expects a SparseMap, got Tensor',
    ),
    (
        'nn.SubmanifoldConv2d: channels',
        lambda: gnn.SubmanifoldConv2d(3, 4)(smap()),
        E,
        r'input must have 3 channels',
    ),
    (
        'nn.SubmanifoldConv2d: float64 input',
        lambda: gnn.SubmanifoldConv2d(4, 4)(smap().replace(smap().feats.double())),
        S,
        r"input.feats must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.SparseBatchNorm: channels',
        lambda: gnn.SparseBatchNorm(3)(smap()),
        E,
        r'input must have 3 channels',
    ),
    (
        'nn.SparseReLU: dense input',
        lambda: gnn.SparseReLU()(torch.randn(3)),
        S,
        r'SparseReLU expects a SparseMap',
    ),
    (
        'nn.SparseLinear: channels',
        lambda: gnn.SparseLinear(3, 2)(smap()),
        E,
        r'input must have 3 channels',
    ),
    (
        'nn.SparseUpsample: mask shape',
        lambda: gnn.SparseUpsample()(smap(), torch.ones(3, dtype=torch.bool)),
        E,
        r'mask must be a bool tensor of shape \(N,\) = ',
    ),
    (
        'nn.sparse_upsample: dense input',
        lambda: gnn.sparse_upsample(torch.randn(1, 4, 8, 8)),
        S,
        r'input must be a SparseMap',
    ),
    (
        'nn.SparseConvTranspose2d: channels',
        lambda: gnn.SparseConvTranspose2d(3, 2)(smap()),
        E,
        r'input must have 3 channels',
    ),
    (
        'nn.sparse_gather: dense shape',
        lambda: gnn.sparse_gather(torch.randn(2, 3, 4, 4), smap()),
        E,
        r'dense must have shape \(B, C, H, W\) with \(B, H, W\) = \(2, 8, 8\)',
    ),
    # ---------------------------------------------------------------- graphseg.nn: HG-Conv
    (
        'nn.HGConv: ratio 0',
        lambda: gnn.HGConv(4, 4, ratio=0),
        E,
        r'ratio must be a number in \(0, 1\], got 0',
    ),
    ('nn.HGConv: conv', lambda: gnn.HGConv(4, 4, conv='gat'), E, r"conv must be one of"),
    (
        'nn.HGConv: sampling',
        lambda: gnn.HGConv(4, 4, sampling='grid'),
        E,
        r"sampling must be one of",
    ),
    (
        'nn.HGConv: num_layers 0',
        lambda: gnn.HGConv(4, 4, num_layers=0),
        E,
        r'num_layers must be an int >= 1, got 0',
    ),
    (
        'nn.HGConv: NaN in x',
        lambda: hg()(torch.randn(1, 4, 6, 6).index_fill_(2, torch.tensor([1]), NAN)),
        E,
        r'x must be finite, got 24 NaN/inf value\(s\)',
    ),
    (
        'nn.HGConv: inf in x',
        lambda: hg()(torch.randn(1, 4, 6, 6).index_fill_(3, torch.tensor([0]), math.inf)),
        E,
        r'x must be finite, got 24 NaN/inf value\(s\)',
    ),
    (
        'nn.HGConv: x float64',
        lambda: hg()(torch.randn(1, 4, 6, 6, dtype=torch.float64)),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.HGConv: x int',
        lambda: hg()(torch.ones(1, 4, 6, 6, dtype=torch.long)),
        S,
        r'x must have a floating-point dtype',
    ),
    ('nn.HGConv: x 3-D', lambda: hg()(torch.randn(4, 6, 6)), E, r'x must be \(B, C, H, W\)'),
    (
        'nn.HGConv: channels',
        lambda: hg()(torch.randn(1, 3, 6, 6)),
        E,
        r'x must have in_channels = 4 channels',
    ),
    (
        'nn.HGConv: fewer pixels than groups',
        lambda: hg()(torch.randn(1, 4, 2, 2)),
        E,
        r'num_groups = 6 groups need at least as many pixels',
    ),
    ('nn.HGConv: empty map', lambda: hg()(torch.randn(1, 4, 0, 6)), E, r'x must be non-empty'),
    (
        'nn.HGConv: attention negative',
        lambda: hg()(torch.randn(1, 4, 6, 6), -torch.ones(1, 6, 6)),
        E,
        r'attention must be >= 0',
    ),
    (
        'nn.HGConv: attention shape',
        lambda: hg()(torch.randn(1, 4, 6, 6), torch.ones(1, 5, 6)),
        E,
        r'attention must have shape \(B, H, W\) or \(B, 1, H, W\)',
    ),
    (
        'nn.HGConv: assignment out of range',
        lambda: hg()(torch.randn(1, 4, 6, 6), assignment=torch.full((6, 6), 7)),
        E,
        r'num_groups must exceed the largest group id 7, got 6',
    ),
    (
        'nn.HGConv: assignment float',
        lambda: hg()(torch.randn(1, 4, 6, 6), assignment=torch.zeros(6, 6)),
        S,
        r'a hard assignment must be a long tensor',
    ),
    (
        'nn.differentiable_slic: centres float',
        lambda: gnn.differentiable_slic(torch.randn(1, 4, 6, 6), torch.zeros(1, 3)),
        S,
        r'centres must have dtype torch.long',
    ),
    (
        'nn.differentiable_slic: centres out of range',
        lambda: gnn.differentiable_slic(torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 36]])),
        E,
        r'centres must be pixel ids in \[0, 35\]',
    ),
    (
        'nn.differentiable_slic: iters negative',
        lambda: gnn.differentiable_slic(
            torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]]), iters=-1
        ),
        E,
        r'iters must be an int >= 0',
    ),
    (
        'nn.differentiable_slic: min_weight 1',
        lambda: gnn.differentiable_slic(
            torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]]), min_weight=1.0
        ),
        E,
        r'min_weight must be a number in',
    ),
    (
        'nn.differentiable_slic: NaN',
        lambda: gnn.differentiable_slic(torch.full((1, 4, 6, 6), NAN), torch.tensor([[0, 5, 30]])),
        E,
        r'x must be finite',
    ),
    (
        'nn.DifferentiableSLIC: num_nearest 0',
        lambda: gnn.DifferentiableSLIC(num_nearest=0)(
            torch.randn(1, 4, 6, 6), torch.tensor([[0, 5, 30]])
        ),
        E,
        r'num_nearest must be an int >= 1',
    ),
    (
        'nn.SoftClustering: shapes differ',
        lambda: gnn.SoftClustering(
            torch.zeros(1, 4, 4, 2, dtype=torch.long), torch.ones(1, 4, 4, 3), 3
        ),
        E,
        r'index and weight must have the same shape \(B, H, W, k\)',
    ),
    (
        'nn.SoftClustering: index out of range',
        lambda: gnn.SoftClustering(torch.full((1, 4, 4, 1), 5), torch.ones(1, 4, 4, 1), 3),
        E,
        r'index values must lie in \[0, 2\]',
    ),
    (
        'nn.SoftClustering.from_assignment: all-zero pixel',
        lambda: gnn.SoftClustering.from_assignment(
            (torch.zeros(4, 4, 1, dtype=torch.long), torch.zeros(4, 4, 1)), 4, 4
        ),
        E,
        r'every pixel needs a positive total assignment weight',
    ),
    (
        'nn.SoftClustering.pool: x shape',
        lambda: gnn.SoftClustering.from_assignment(labels(), 8, 8).pool(torch.randn(1, 2, 8, 7)),
        E,
        r'x must have shape \(B, C, H, W\) with \(B, H, W\) = \(1, 8, 8\)',
    ),
    (
        'nn.SoftClustering.unpool: rows',
        lambda: gnn.SoftClustering.from_assignment(labels(), 8, 8).unpool(torch.randn(3, 2)),
        E,
        r'z must have B \* M = 5 rows',
    ),
    (
        'nn.importance_map: 3-D',
        lambda: gnn.importance_map(torch.randn(4, 6, 6)),
        E,
        r'x must be \(B, C, H, W\)',
    ),
    (
        'nn.importance_map: int',
        lambda: gnn.importance_map(torch.ones(1, 4, 6, 6, dtype=torch.long)),
        S,
        r'x must have a floating-point dtype',
    ),
    (
        'nn.sample_centres: too many',
        lambda: gnn.sample_centres(torch.rand(1, 4, 4), 17),
        E,
        r'num_centres = 17 groups need at least as many pixels',
    ),
    (
        'nn.sample_centres: 0',
        lambda: gnn.sample_centres(torch.rand(1, 4, 4), 0),
        E,
        r'num_centres must be an int >= 1',
    ),
    (
        'nn.sample_centres: method',
        lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, 'grid'),
        E,
        r'method must be one of',
    ),
    (
        'nn.sample_centres: oversample 0.5',
        lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, oversample=0.5),
        E,
        r'oversample must be >= 1',
    ),
    (
        'nn.sample_centres: beta 2',
        lambda: gnn.sample_centres(torch.rand(1, 4, 4), 3, beta=2),
        E,
        r'beta must be a number in \[0, 1\]',
    ),
    (
        'nn.sample_centres: negative importance',
        lambda: gnn.sample_centres(-torch.rand(1, 4, 4), 3),
        E,
        r'importance must be >= 0',
    ),
    (
        'nn.sample_centres: NaN importance',
        lambda: gnn.sample_centres(torch.full((1, 4, 4), NAN), 3),
        E,
        r'importance must be finite',
    ),
    (
        'nn.nearest_centres: k too large',
        lambda: gnn.nearest_centres(torch.tensor([[0, 5]]), 4, 4, 3),
        E,
        r'k must be an int in \[1, 2\], got 3',
    ),
    (
        'nn.nearest_centres: centres out of range',
        lambda: gnn.nearest_centres(torch.tensor([[0, 16]]), 4, 4, 1),
        E,
        r'centres must be pixel ids in \[0, 15\]',
    ),
    (
        'nn.active_focus: attention shape',
        lambda: gnn.active_focus(torch.rand(1, 4, 4), torch.rand(1, 4, 5)),
        E,
        r'attention must have shape \(B, H, W\) or \(B, 1, H, W\)',
    ),
    (
        'nn.active_focus: alpha negative',
        lambda: gnn.active_focus(torch.rand(1, 4, 4), torch.rand(1, 4, 4), -1.0),
        E,
        r'alpha must be >= 0',
    ),
    (
        'nn.object_attention: class_index out of range',
        lambda: gnn.object_attention(torch.rand(1, 3, 4, 4).softmax(1), 5),
        E,
        r'class_index must be class ids in \[0, 2\], got 5',
    ),
    (
        'nn.object_attention: logits, not probabilities',
        lambda: gnn.object_attention(-torch.rand(1, 3, 4, 4), 0),
        E,
        r'probs must be probabilities \(>= 0\)',
    ),
    (
        'nn.uncertainty_attention: K=1',
        lambda: gnn.uncertainty_attention(torch.rand(1, 1, 4, 4)),
        E,
        r'probs must have K >= 2 classes',
    ),
    ('nn.ActiveFocus: mode', lambda: gnn.ActiveFocus('saliency'), E, r"mode must be one of"),
    (
        'nn.ActiveFocus: object without class',
        lambda: gnn.ActiveFocus('object'),
        E,
        r"mode='object' needs class_index",
    ),
    (
        'nn.make_graph_conv: name',
        lambda: gnn.make_graph_conv('gat', 2, 2),
        E,
        r"conv must be one of",
    ),
    (
        'nn.cartesian_pseudo: pos 1-D',
        lambda: gnn.cartesian_pseudo(torch.rand(5), grid().edge_index),
        E,
        r'pos must be \(N, D\)',
    ),
    (
        'nn.cartesian_pseudo: batch length',
        lambda: gnn.cartesian_pseudo(
            torch.rand(20, 2), grid().edge_index, torch.zeros(5, dtype=torch.long)
        ),
        E,
        r'batch must have shape \(N,\) = \(20,\)',
    ),
    # ---------------------------------------------------------------- graphseg.nn: RepGraph
    (
        'nn.RepGraph: variant',
        lambda: gnn.RepGraph(8, 4, variant='huge'),
        E,
        r'variant must be one of',
    ),
    ('nn.RepGraph: grid 0', lambda: gnn.RepGraph(8, 4, grid=0), E, r'grid must be a positive int'),
    (
        'nn.RepGraph: x channels',
        lambda: gnn.RepGraph(8, 4)(torch.randn(1, 6, 4, 4)),
        E,
        r'x must have in_channels = 8 channels',
    ),
    (
        'nn.RepGraph: x float64',
        lambda: gnn.RepGraph(8, 4)(torch.randn(1, 8, 4, 4).double()),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.RepGraph: grid does not divide',
        lambda: gnn.RepGraph(8, 4, grid=2)(torch.randn(1, 8, 5, 4)),
        E,
        r'x height and width must be divisible by grid = 2',
    ),
    (
        'nn.RepGraphConv: groups',
        lambda: gnn.RepGraphConv(8, 6, groups=4),
        E,
        r'inter_channels \(6\) must be divisible by groups \(4\)',
    ),
    (
        'nn.RepGraphConv: pos off the lattice',
        lambda: gnn.RepGraphConv(4, 4)(torch.randn(3, 4), torch.rand(3, 2)),
        E,
        r'pos must hold integer lattice coordinates',
    ),
    (
        'nn.representative_attention: index shape',
        lambda: gnn.representative_attention(
            torch.randn(5, 1, 4),
            torch.randn(8, 4),
            torch.randn(8, 4),
            torch.zeros(5, 9, 4, dtype=torch.long),
            torch.ones(5, 9, 3),
        ),
        E,
        r'index and weight must have shape \(A, S, 4\) with A = query.size\(0\) = 5',
    ),
    (
        'nn.representative_attention: index out of range',
        lambda: gnn.representative_attention(
            torch.randn(5, 1, 4),
            torch.randn(8, 4),
            torch.randn(8, 4),
            torch.full((5, 9, 4), 8),
            torch.ones(5, 9, 4),
        ),
        E,
        r'index values must lie in \[0, 7\] \(rows of key / value\), got \[8, 8\]',
    ),
    (
        'nn.NonLocal2d: reduction',
        lambda: gnn.NonLocal2d(6, 4),
        E,
        r'in_channels \(6\) must be divisible by reduction \(4\)',
    ),
    (
        'nn.NonLocal2d: mode',
        lambda: gnn.NonLocal2d(8, 2, 'gaussian_blur'),
        E,
        r'mode must be one of',
    ),
    (
        'nn.NonLocal2d: x float64',
        lambda: gnn.NonLocal2d(8, 2)(torch.randn(1, 8, 3, 3).double()),
        S,
        r"x must have the layer's dtype torch.float32",
    ),
    # ---------------------------------------------------------------- graphseg.nn: HyperSeg
    (
        'nn.ContextHead: levels 0',
        lambda: gnn.ContextHead(8, levels=0),
        E,
        r'levels must be a positive int',
    ),
    (
        'nn.ContextHead: x too small',
        lambda: gnn.ContextHead(8, levels=3)(torch.randn(1, 8, 2, 2)),
        E,
        r'x must be at least',
    ),
    (
        'nn.ContextHead: x float64',
        lambda: gnn.ContextHead(8)(torch.randn(1, 8, 4, 4).double()),
        S,
        r"x must have the layer's dtype torch.float32",
    ),
    ('nn.DPWConv2d: even kernel', lambda: gnn.DPWConv2d(4, 4, 2), E, r'kernel_size must be odd'),
    (
        'nn.DPWConv2d: weight channels',
        lambda: gnn.DPWConv2d(4, 4)(torch.randn(1, 4, 8, 8), torch.randn(1, 3, 2, 2)),
        E,
        r'weight must have num_params = ',
    ),
    (
        'nn.HyperConv: patch out of range',
        lambda: gnn.HyperConv(2, 2, 4)(
            torch.randn(20, 2),
            grid().edge_index,
            grid().edge_type,
            torch.full((20,), 3),
            torch.randn(2, 4),
        ),
        E,
        r'patch values must lie in \[0, 1\]',
    ),
    (
        'nn.MetaBlock: dynamic without signal_channels',
        lambda: gnn.MetaBlock(4, 4),
        E,
        r'signal_channels is required when dynamic=True',
    ),
    (
        'nn.MetaBlock: forward without signal',
        lambda: gnn.MetaBlock(4, 4, 6)(torch.randn(1, 4, 8, 8)),
        E,
        r'signal is required by a dynamic MetaBlock',
    ),
    (
        'nn.MetaBlock: x float64',
        lambda: gnn.MetaBlock(4, 4, dynamic=False)(torch.randn(1, 4, 8, 8).double()),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.WeightMapper: groups',
        lambda: gnn.WeightMapper(6, 20, groups=4),
        E,
        r'in_channels = 6 must be divisible by groups = 4',
    ),
    (
        'nn.WeightMapper: signal channels',
        lambda: gnn.WeightMapper(6, 20)(torch.randn(1, 4, 2, 2)),
        E,
        r'signal must have 6 channels',
    ),
    (
        'nn.divide_channels: weights empty',
        lambda: gnn.divide_channels(8, 2, []),
        E,
        r'weights must not be empty',
    ),
    (
        'nn.divide_channels: not divisible',
        lambda: gnn.divide_channels(9, 2, [1, 1]),
        E,
        r'total = 9 must be divisible by unit = 2',
    ),
    (
        'nn.divide_channels: negative weight',
        lambda: gnn.divide_channels(8, 2, [1, -1]),
        E,
        r'weights must be finite and > 0',
    ),
    (
        'nn.fuse_bn: not a module',
        lambda: gnn.fuse_bn('model'),
        S,
        r'model must be an nn.Module, got str',
    ),
    (
        'nn.positional_encoding: height 0',
        lambda: gnn.positional_encoding(0, 4),
        E,
        r'height must be a positive int, got 0',
    ),
    # ---------------------------------------------------------------- graphseg.nn: QGN
    (
        'nn.QGNDecoder: no encoder maps',
        lambda: gnn.QGNDecoder((), 3),
        E,
        r'encoder_channels must have len\(widths\) = 5 values \(encoder maps at strides 2 \.\.\. '
        r'32\), got 0',
    ),
    (
        'nn.QGNDecoder: widths',
        lambda: gnn.QGNDecoder((8, 16), 3, widths=(16, 8, 8)),
        E,
        r'encoder_channels must have len\(widths\) = 3 values \(encoder maps at strides 2 \.\.\. '
        r'8\), got 2',
    ),
    (
        'nn.QGNDecoder: blocks',
        lambda: gnn.QGNDecoder((8, 16), 3, widths=(16, 8), blocks=(0,)),
        E,
        r'blocks must have len\(widths\) - 1 = 1 ints >= 1, got \(0,\)',
    ),
    (
        'nn.QGNDecoder: num_classes 0',
        lambda: gnn.QGNDecoder((8, 16), 0, (16, 8), (1,)),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'nn.QGNDecoder: num_classes str',
        lambda: gnn.QGNDecoder((8, 16), '3', (16, 8), (1,)),
        E,
        r"num_classes must be an int >= 1, got '3'",
    ),
    (
        'nn.QGNDecoder: encoder channels 0',
        lambda: gnn.QGNDecoder((0, 16), 3, (16, 8), (1,)),
        E,
        r'encoder_channels must hold channel counts \(ints >= 1\), got \(0, 16\)',
    ),
    (
        'nn.QGNDecoder: final_blocks negative',
        lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), final_blocks=-1),
        E,
        r'final_blocks must be an int >= 0, got -1',
    ),
    (
        'nn.QGNDecoder: block',
        lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), block='wide'),
        E,
        r"block must be one of \('basic', 'bottleneck'\), got 'wide'",
    ),
    (
        'nn.QGNDecoder: skips',
        lambda: gnn.QGNDecoder((8, 16), 3, (16, 8), (1,), skips='none'),
        E,
        r"skips must be one of \('all', 'top'\), got 'none'",
    ),
    (
        'nn.QGNDecoder: features count',
        lambda: qgn_decoder()(qgn_features()[:1]),
        E,
        r'features must be a list of 2 encoder maps \(strides 2 \.\.\. 4\), got 1 maps',
    ),
    (
        'nn.QGNDecoder: features shape',
        lambda: qgn_decoder()([qgn_features()[0], torch.randn(1, 16, 3, 3)]),
        E,
        r'features\[1\] must have shape \(1, 16, 4, 4\) \(stride 4\), got \(1, 16, 3, 3\)',
    ),
    (
        'nn.QGNDecoder: scheme',
        lambda: qgn_decoder()(qgn_features(), scheme='oracle'),
        E,
        r'scheme must be one of',
    ),
    (
        'nn.QGNDecoder: gt without pyramid',
        lambda: qgn_decoder()(qgn_features(), scheme='gt'),
        E,
        r"scheme='gt' needs the T-pyramid",
    ),
    (
        'nn.QGNDecoder: min_level',
        lambda: qgn_decoder()(qgn_features(), min_level=9),
        E,
        r'min_level must be an int in \[0, 2\], got 9',
    ),
    (
        'nn.QGNDecoder: float64 features',
        lambda: qgn_decoder()([f.double() for f in qgn_features()]),
        S,
        r"features\[0\] must have the layer's dtype torch.float32",
    ),
    (
        'nn.qgn_inference: empty',
        lambda: gnn.qgn_inference({}, 3),
        E,
        r'logits must hold at least one level',
    ),
    (
        'nn.QGNLoss: weighting',
        lambda: gnn.QGNLoss(weighting='focal'),
        E,
        r'weighting must be one of',
    ),
    (
        'nn.QGNLoss: delta 1',
        lambda: gnn.QGNLoss(delta=1.0),
        E,
        r'delta must lie in \[0, 1\), got 1.0',
    ),
    (
        'nn.QGNLoss: pyramid length',
        lambda: gnn.QGNLoss(3)({0: torch.randn(1, 4, 8, 8)}, pyramid()[:2]),
        E,
        r'pyramid must be a list of 3 T-pyramid levels',
    ),
    (
        'nn.QGNLoss: output type',
        lambda: gnn.QGNLoss(3)(torch.randn(1, 4, 8, 8), pyramid()),
        S,
        r'output must be a QGNOutput or a non-empty dict',
    ),
    (
        'nn.level_loss: target float',
        lambda: gnn.level_loss(torch.randn(1, 4, 8, 8), torch.zeros(1, 8, 8)),
        S,
        r'target must have dtype torch.long',
    ),
    (
        'nn.TransBasicBlock: x float64',
        lambda: gnn.TransBasicBlock(4, 4, sparse=False)(torch.randn(1, 4, 8, 8).double()),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.TransBasicBlock: channels',
        lambda: gnn.TransBasicBlock(8, 8, sparse=False)(torch.randn(1, 4, 4, 4)),
        E,
        r'x must have 8 channels',
    ),
    (
        'nn.TransBasicBlock: up_kernel 4',
        lambda: gnn.TransBasicBlock(8, 8, True, sparse=False, up_kernel=4),
        E,
        r'up_kernel must be one of \(2, 3\), got 4',
    ),
    (
        'nn.TransBottleneck: inplanes 0',
        lambda: gnn.TransBottleneck(0, 4),
        E,
        r'inplanes must be an int >= 1, got 0',
    ),
    (
        'nn.TransBottleneck: inplanes not divisible',
        lambda: gnn.TransBottleneck(6, 4),
        E,
        r'inplanes must be divisible by 4 \(the inner width is inplanes // 4\), got 6',
    ),
    (
        'nn.TransBottleneck: channels',
        lambda: gnn.TransBottleneck(16, 4, sparse=False)(torch.randn(1, 8, 4, 4)),
        E,
        r'x must have 16 channels \(a SparseMap or a \(B, C, H, W\) tensor\), got 8',
    ),
    (
        'nn.TransBottleneck: x float64',
        lambda: gnn.TransBottleneck(16, 4, sparse=False)(torch.randn(1, 16, 4, 4).double()),
        S,
        r"x must have the layer's dtype torch.float32, got torch.float64",
    ),
    # ---------------------------------------------------------- graphseg.nn: deformable convolution
    (
        'nn.DeformConv2d: in_channels 0',
        lambda: gnn.DeformConv2d(0, 4, 3),
        E,
        r'in_channels must be an int >= 1, got 0',
    ),
    (
        'nn.DeformConv2d: kernel_size 0',
        lambda: gnn.DeformConv2d(4, 4, 0),
        E,
        r'kernel_size must be an int or a pair of ints >= 1, got 0',
    ),
    (
        'nn.DeformConv2d: padding negative',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=-1),
        E,
        r'padding must be an int or a pair of ints >= 0, got -1',
    ),
    (
        'nn.DeformConv2d: groups',
        lambda: gnn.DeformConv2d(4, 4, 3, groups=3),
        E,
        r'in_channels \(4\) and out_channels \(4\) must be divisible by groups \(3\)',
    ),
    (
        'nn.DeformConv2d: input channels',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
            torch.randn(1, 3, 6, 6), torch.zeros(1, 18, 6, 6)
        ),
        E,
        r'input must have in_channels = 4 channels',
    ),
    (
        'nn.DeformConv2d: offset channels',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
            torch.randn(1, 4, 6, 6), torch.zeros(1, 17, 6, 6)
        ),
        E,
        r'offset must have shape \(B, 2 \* offset_groups \* kh \* kw, H_out, W_out\) = \(1, 2 \* G '
        r'\* 9, 6, 6\)',
    ),
    (
        'nn.DeformConv2d: input float64',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
            torch.randn(1, 4, 6, 6).double(), torch.zeros(1, 18, 6, 6).double()
        ),
        S,
        r"input must have the layer's dtype torch.float32, got torch.float64",
    ),
    (
        'nn.DeformConv2d: NaN offset',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
            torch.randn(1, 4, 6, 6), torch.full((1, 18, 6, 6), NAN)
        ),
        E,
        r'offset must be finite, got 648 NaN/inf',
    ),
    (
        'nn.DeformConv2d: mask shape',
        lambda: gnn.DeformConv2d(4, 4, 3, padding=1)(
            torch.randn(1, 4, 6, 6), torch.zeros(1, 18, 6, 6), torch.ones(1, 8, 6, 6)
        ),
        E,
        r'mask must have shape \(B, offset_groups \* kh \* kw, H_out, W_out\) = \(1, 9, 6, 6\), '
        r'got \(1, 8, 6, 6\)',
    ),
    (
        'nn.DeformConv2dPack: offset_groups',
        lambda: gnn.DeformConv2dPack(4, 4, 3, offset_groups=3),
        E,
        r'offset_groups must be an int >= 1 dividing in_channels = 4, got 3',
    ),
    (
        'nn.DeformConv2dPack: input channels',
        lambda: gnn.DeformConv2dPack(4, 4, 3, padding=1)(torch.randn(1, 3, 6, 6)),
        E,
        r'input must have in_channels = 4 channels, got shape \(1, 3, 6, 6\)',
    ),
    (
        'nn.DeformConv2dPack: input 3-D',
        lambda: gnn.DeformConv2dPack(4, 4, 3, padding=1)(torch.randn(4, 6, 6)),
        E,
        r'input must be \(B, C_in, H, W\)',
    ),
    (
        'nn.DeformConv2dPack.from_conv2d: not a conv',
        lambda: gnn.DeformConv2dPack.from_conv2d(nn.Linear(2, 2)),
        S,
        r'conv must be an nn.Conv2d, got Linear',
    ),
    (
        'nn.DeformConv2dPack.from_conv2d: reflect padding',
        lambda: gnn.DeformConv2dPack.from_conv2d(
            nn.Conv2d(2, 2, 3, padding=1, padding_mode='reflect')
        ),
        E,
        r"conv must have numeric zero padding, got padding=\(1, 1\), padding_mode='reflect'",
    ),
    (
        'nn.deform_conv2d: x int',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 6, 6, dtype=torch.long),
            torch.zeros(1, 18, 4, 4),
            torch.randn(4, 4, 3, 3),
        ),
        S,
        r'x must have a floating-point dtype',
    ),
    (
        'nn.deform_conv2d: weight float64',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4), torch.randn(4, 4, 3, 3).double()
        ),
        S,
        r'weight must have the dtype of x \(torch.float32\), got torch.float64',
    ),
    (
        'nn.deform_conv2d: bias shape',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 6, 6),
            torch.zeros(1, 18, 4, 4),
            torch.randn(4, 4, 3, 3),
            torch.randn(3),
        ),
        E,
        r'bias must have shape \(C_out,\) = \(4,\), got \(3,\)',
    ),
    (
        'nn.deform_conv2d: offset on another device',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4, device=OTHER), torch.randn(4, 4, 3, 3)
        ),
        E,
        r'x and offset must be on the same device',
    ),
    (
        'nn.deform_conv2d: x too small',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 2, 2), torch.zeros(1, 18, 1, 1), torch.randn(4, 4, 3, 3)
        ),
        E,
        r'x of size \(2, 2\) is too small for kernel \(3, 3\)',
    ),
    (
        'nn.deform_conv2d: stride 0',
        lambda: gnn.deform_conv2d(
            torch.ones(1, 4, 6, 6), torch.zeros(1, 18, 4, 4), torch.randn(4, 4, 3, 3), stride=0
        ),
        E,
        r'stride must be an int or a pair of ints >= 1, got 0',
    ),
]


ACCEPTED = [
    ('nn.DirectionalConv: float64 end to end', lambda: gnn.DirectionalConv(4, 2).double()(
        typed()[0].double(), *typed()[1:3], typed()[3].double()),
     lambda out: out.dtype == torch.float64),
    ('nn.DirectionalConv: NaN propagates to the receiving nodes only',
     lambda: gnn.DirectionalConv(4, 2)(
        typed()[0].clone().index_fill_(0, torch.tensor([9]), NAN), *typed()[1:4]),
     lambda out: bool(out.isnan().any()) and out.isnan().any(1).tolist() == [
         bool(((typed()[1][0] == 9) & (typed()[1][1] == i)).any()) for i in range(10)]),
    ('nn.HGConv: float64 end to end',
     lambda: gnn.HGConv(4, 4, num_layers=1, num_groups=6).double().eval()(
        torch.randn(2, 4, 6, 6, dtype=torch.float64)), lambda out: out.dtype == torch.float64),
    ('nn.HGConv: one pixel, one group', lambda: gnn.HGConv(4, 4, num_layers=1, num_groups=1).eval()(
        torch.randn(1, 4, 1, 1)),
     lambda out: out.shape == (1, 4, 1, 1) and bool(out.isfinite().all())),
    ('nn.HGConv: x requires grad', lambda: hg()(torch.randn(1, 4, 6, 6, requires_grad=True)),
     lambda out: out.requires_grad),
    ('nn.RepGraph: float64 end to end',
     lambda: gnn.RepGraph(8, 4).double()(torch.randn(1, 8, 4, 4).double()),
     lambda out: out.dtype == torch.float64),
    ('nn.SplineConv: float64 end to end', lambda: gnn.SplineConv(4, 2, 2, 3).double()(
        typed()[0].double(), typed()[1], torch.rand(typed()[1].size(1), 2, dtype=torch.float64)),
     lambda out: out.dtype == torch.float64),
    ('nn.SubmanifoldConv2d: float64 end to end', lambda: gnn.SubmanifoldConv2d(4, 3).double()(
        smap().replace(smap().feats.double())), lambda out: out.feats.dtype == torch.float64),
    ('nn.NonLocal2d: float64 end to end',
     lambda: gnn.NonLocal2d(8, 2).double()(torch.randn(1, 8, 3, 3).double()),
     lambda out: out.dtype == torch.float64),
    ('nn.QGNDecoder: float64 end to end', lambda: gnn.QGNDecoder(
        (8, 16), num_classes=3, widths=(16, 8), blocks=(1,), final_blocks=1).double().eval()(
        [f.double() for f in qgn_features()]),
     lambda out: out.dense_logits().dtype == torch.float64),
    ('nn.deform_conv2d: float64 end to end, zero offset is F.conv2d', lambda: gnn.deform_conv2d(
        torch.ones(1, 4, 6, 6, dtype=torch.float64), torch.zeros(1, 18, 4, 4, dtype=torch.float64),
        torch.ones(2, 4, 3, 3, dtype=torch.float64)),
     lambda out: out.dtype == torch.float64 and _close(out,
                                                       torch.full((1, 2, 4, 4), 36.,
                                                                  dtype=torch.float64))),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'nn.available_spline_backends': 'takes no argument',
    'nn.QGNOutput': 'a dataclass built by QGNDecoder; its methods are covered through '
                    'plot_active_sites rows',
    'nn.GraphConvSpec': 'a dataclass of the GRAPH_CONVS table',
}
