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
import io
import math
import os
import statistics
import time
from dataclasses import dataclass, field, fields
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch import Tensor, nn
from torch_geometric.loader import DataLoader
from torch_geometric.nn import global_max_pool, global_mean_pool
from tqdm import tqdm

from ..analysis.macs import count_macs
from ..check import check_choice
from ..data import NUM_CLASSES, MNISTSegmentation
from ..data.graph_datasets import MNISTSuperpixels
from ..engine.config import TrainConfig
from ..engine.train import TrainingDiverged, train
from ..evaluation.evaluate import evaluate
from ..fileio import atomic_write_text
from ..graphs.transforms import TypedEdges
from ..models import create_model, list_models
from ..nn.graph_convs import CONVS, GRAPH_CONVS

# ----------------------------------------------------------------------------- layers

#: Published full-dataset (60k / 10k, 75 superpixels) accuracies, for reference only: other graphs,
#: architectures and 12x more training digits than the bundled 5k.
REFERENCES: Dict[str, str] = {
    'gmm_polar': 'MoNet 91.11 % (Monti et al., CVPR 2017)',
    'spline': 'SplineCNN 95.22 % (Fey et al., CVPR 2018)',
}


@dataclass(frozen=True)
class LayerSpec:
    """One row of the benchmark: a graph convolution of :data:`~graphseg.nn.graph_convs.GRAPH_CONVS`
    with its arguments, the pseudo-coordinates it reads and the edge clean-up of its graphs."""
    label: str
    conv: str  # a key of GRAPH_CONVS
    kwargs: Dict[str, object] = field(default_factory=dict)
    # 'cartesian' | 'polar': the batch attribute given as pseudo-coordinates
    pseudo: Optional[str] = None
    weighted: bool = True  # the layer sees the edge weights (if it reads any)
    width_step: int = 1  # hidden widths must be multiples of this (GAT heads)
    noise_cancel: bool = True
    max_direction: bool = True

    def build(self, hidden: int) -> nn.Module:
        """The layer, hidden -> hidden."""
        return GRAPH_CONVS[self.conv].build(hidden, hidden, True, **self.kwargs)

    def call(self, conv: nn.Module, x: Tensor, batch) -> Tensor:
        """The layer on a PyG ``Batch`` from :func:`prepare_graphs`."""
        pseudo = getattr(batch, self.pseudo) if self.pseudo else None
        return GRAPH_CONVS[self.conv].call(conv, x, batch.edge_index, batch.edge_type,
                                           batch.edge_weight if self.weighted else None, pseudo)


GAT_HEADS = 4
GMM = {'kernel_size': 25}
SPLINE = {'kernel_size': 5, 'degree': 1}

LAYERS: Dict[str, LayerSpec] = {
    'gcn': LayerSpec('GCN', 'gcn', weighted=False),
    'gat': LayerSpec(f'GAT ({GAT_HEADS} heads)', 'gat', {'heads': GAT_HEADS}, width_step=GAT_HEADS),
    'gmm_polar': LayerSpec('GMMConv (MoNet), K=25, polar', 'gmm', GMM, pseudo='polar'),
    'gmm_cartesian': LayerSpec('GMMConv, K=25, Cartesian', 'gmm', GMM, pseudo='cartesian'),
    'spline': LayerSpec('SplineConv, 5x5, degree 1, Cartesian', 'spline', SPLINE,
                        pseudo='cartesian'),
    'edgeconv': LayerSpec('EdgeConv (max)', 'edgeconv'),
    'directional': LayerSpec('DirectionalConv', 'directional'),
    'directional_nc': LayerSpec('DirectionalConv, no max-direction', 'directional',
                                max_direction=False),
    'directional_raw': LayerSpec('DirectionalConv, no noise canceling / max-direction',
                                 'directional', noise_cancel=False, max_direction=False),
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

    def __init__(self, layer: str, in_channels: int, hidden: int, num_classes: int,
                 num_layers: int = 4, head_hidden: Optional[int] = None) -> None:
        super().__init__()
        check_choice(layer, 'layer', tuple(LAYERS))
        head_hidden = head_hidden or hidden
        self.layer, self.spec = layer, LAYERS[layer]
        self.lin_in = nn.Linear(in_channels, hidden)
        self.convs = nn.ModuleList(self.spec.build(hidden) for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(num_layers))
        self.head = nn.Sequential(nn.Linear(2 * hidden, head_hidden), nn.ReLU(),
                                  nn.Linear(head_hidden, num_classes))

    def forward(self, batch) -> Tensor:
        x = self.lin_in(batch.x)  # (N, h)
        for conv, norm in zip(self.convs, self.norms):
            x = x + F.relu(norm(self.spec.call(conv, x, batch)))
        # (B, 2h)
        pooled = torch.cat([global_mean_pool(x, batch.batch), global_max_pool(x, batch.batch)], 1)
        return self.head(pooled)


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _head_params(hidden: int, head_hidden: int, num_classes: int) -> int:
    return (2 * hidden + 1) * head_hidden + (head_hidden + 1) * num_classes


def budget_widths(layer: str, budget: int, in_channels: int, num_classes: int,
                  num_layers: int = 4) -> tuple:
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


def hidden_for_budget(layer: str, budget: int, in_channels: int, num_classes: int,
                      num_layers: int = 4) -> int:
    """The convolution width of :func:`budget_widths`."""
    return budget_widths(layer, budget, in_channels, num_classes, num_layers)[0]


# ----------------------------------------------------------------------------- data

def node_features(data, image_size: float = 28.) -> Tensor:
    """``[intensity | x / image_size | y / image_size]``: the same input for every layer."""
    return torch.cat([data.x, data.pos / image_size], 1)


def prepare_graphs(dataset, noise_cancel: bool = True, max_direction: bool = True) -> List:
    """The benchmark's graphs: node features, Cartesian and polar pseudo-coordinates (PyG's own
    ``Cartesian(norm=True)`` / ``Polar(norm=True)``), edges re-typed if the clean-up settings
    differ."""

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
    """Settings of one graph-classification table; rows with equal settings are summarised
    together."""
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


def train_graph_classifier(layer: str, train_graphs: Sequence, test_graphs: Sequence,
                           config: GraphBenchConfig, seed: int, *, device: str = 'cpu',
                           progress: bool = True, return_model: bool = False):
    """Train one :class:`GraphClassifier` (Adam, cosine decay) and return its test accuracy and
    costs (and the trained model with ``return_model=True``)."""

    in_channels, num_classes = train_graphs[0].x.size(1), 10
    hidden, head = budget_widths(layer, config.budget, in_channels, num_classes, config.num_layers)
    torch.manual_seed(seed)
    model = GraphClassifier(layer, in_channels, hidden, num_classes, config.num_layers,
                            head).to(device)
    g = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(list(train_graphs), batch_size=config.batch_size, shuffle=True,
                              generator=g)
    test_loader = DataLoader(list(test_graphs), batch_size=256)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs * len(train_loader))
    epoch_times, losses = [], []
    bar = tqdm(range(config.epochs), disable=not progress, desc=f'{layer} seed {seed}',
               unit='epoch', leave=False)
    for _ in bar:
        model.train()
        t0, total = time.perf_counter(), 0.
        for b in train_loader:
            b = b.to(device)
            loss = F.cross_entropy(model(b), b.y)
            if not torch.isfinite(loss):
                raise TrainingDiverged(f"{layer}: the loss became {float(loss)}; lower --lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * b.num_graphs
        epoch_times.append(time.perf_counter() - t0)
        losses.append(total / len(train_graphs))
        bar.set_postfix(loss=f'{losses[-1]:.3f}')
    row = {'layer': layer, 'seed': seed, 'hidden': hidden, 'head_hidden': head,
           'params': num_parameters(model),
           'train_acc': _accuracy(model, DataLoader(list(train_graphs), batch_size=256), device),
           'test_acc': _accuracy(model, test_loader, device), 'final_loss': losses[-1],
           's_per_epoch': statistics.median(epoch_times)}
    return (row, model) if return_model else row


def run_graph_benchmark(layers: Sequence[str], seeds: Sequence[int], config: GraphBenchConfig,
                        root: str, out: str, *, device: str = 'cpu', progress: bool = True,
                        log: Callable[[str], None] = print) -> List[Dict[str, object]]:
    """Train every (layer, seed) and append the rows to ``out/graph_runs.csv``; returns the new
    rows."""
    for layer in layers:
        check_choice(layer, 'layer', tuple(LAYERS))
    kwargs = dict(idx_dir=config.idx_dir, n_segments=config.n_segments,
                  compactness=config.compactness, progress=progress)
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
            row = train_graph_classifier(layer, *cache[edges], config, seed, device=device,
                                         progress=progress)
            row.update(config=config.key(), train_graphs=len(train_set), test_graphs=len(test_set))
            rows.append(row)
            _append_csv(os.path.join(out, 'graph_runs.csv'), row)
            log(f"{layer:>16} seed {seed}: test acc {100 * row['test_acc']:.2f} %, "
                f"{row['params']} params (h={row['hidden']}), {row['s_per_epoch']:.2f} s/epoch")
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


def run_swapin_benchmark(convs: Sequence[str], seeds: Sequence[int], config: SegBenchConfig,
                         out: str, *, device: str = 'cpu', progress: bool = True,
                         log: Callable[[str], None] = print) -> List[Dict[str, object]]:
    """Train ``config.model`` with each graph convolution and seed; append rows to
    ``out/seg_runs.csv``."""

    if config.model not in list_models('hg_*', task='segmentation'):
        raise ValueError("model must be a registered HG-Conv segmentation model "
                         f"{list_models('hg_*')}, got {config.model!r}")
    for conv in convs:
        check_choice(conv, 'conv', CONVS)
    train_set = MNISTSegmentation('train', config.train_samples, size=config.size)
    val_set = MNISTSegmentation('val', config.val_samples, size=config.size)
    rows = []
    for conv in convs:
        for seed in seeds:
            torch.manual_seed(seed)
            model = create_model(config.model, in_channels=1, num_classes=NUM_CLASSES, conv=conv)
            tc = TrainConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                             seed=seed, device=device, log_every=max(1, config.steps // 4))
            t0 = time.perf_counter()
            log_ = train(model, train_set, tc, progress=progress, name=f'{config.model} {conv}')
            seconds = time.perf_counter() - t0
            metrics = evaluate(model, val_set, NUM_CLASSES, device=device)
            model.eval()
            torch.manual_seed(seed)
            macs = count_macs(model, val_set[0][0][None].to(device))['total']
            row = {'model': config.model, 'conv': conv, 'seed': seed,
                   'params': num_parameters(model), 'miou': float(metrics['miou']),
                   'pixel_acc': float(metrics['pixel_acc']), 'final_loss': log_[-1]['loss'],
                   'macs': macs, 's_per_step': seconds / config.steps, 'config': config.key()}
            rows.append(row)
            _append_csv(os.path.join(out, 'seg_runs.csv'), row)
            log(f"{config.model} conv={conv:>11} seed {seed}: mIoU {row['miou']:.3f}, "
                f"{macs / 1e6:.1f} M MACs, "
                f"{row['params']} params, {row['s_per_step'] * 1e3:.0f} ms/step")
    return rows


# ----------------------------------------------------------------------------- tables

def _append_csv(path: str, row: Dict[str, object]) -> None:
    """Add a row to a runs CSV: the whole file is rewritten atomically (never a half-written
    row)."""
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    buf = io.StringIO()
    if os.path.exists(path):
        with open(path, newline='') as f:
            buf.write(f.read())
    w = csv.DictWriter(buf, fieldnames=list(row))
    if not buf.tell():
        w.writeheader()
    w.writerow(row)
    atomic_write_text(path, buf.getvalue())


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


def summarize_graph_runs(rows: Sequence[Dict[str, object]],
                         order: Sequence[str] = tuple(LAYERS)) -> List[List[str]]:
    """Table rows
    ``[layer, test acc mean +- std, seeds, params, hidden, s/epoch, train acc, reference]``."""
    table = []
    for layer in [k for k in order if any(r['layer'] == k for r in rows)]:
        rs = [r for r in rows if r['layer'] == layer]
        acc = _mean_std([100 * float(r['test_acc']) for r in rs])
        tr = statistics.fmean(100 * float(r['train_acc']) for r in rs)
        table.append(
            [
                LAYERS[layer].label,
                f'{acc[0]:.2f} ± {acc[1]:.2f}',
                str(len(rs)),
                str(rs[0]['params']),
                str(rs[0]['hidden']),
                f"{statistics.median(float(r['s_per_epoch']) for r in rs):.2f}",
                f'{tr:.1f}',
                REFERENCES.get(layer, ''),
            ]
        )
    return table


GRAPH_HEADERS = ['layer', 'test acc % (mean ± std)', 'seeds', 'params', 'width', 's/epoch',
                 'train acc %', 'published, full 70k MNIST']


def summarize_seg_runs(rows: Sequence[Dict[str, object]]) -> List[List[str]]:
    """Table rows ``[conv, mIoU mean +- std, min-max, seeds, params, MACs, ms/step]``."""
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


SEG_HEADERS = ['conv', 'val mIoU (mean ± std)', 'min–max', 'seeds', 'params', 'MACs / image',
               'ms/step']


def markdown_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    lines = ['| ' + ' | '.join(headers) + ' |', '| ' + ' | '.join('---' for _ in headers) + ' |']
    return '\n'.join(lines + ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows])


def params_spread(rows: Sequence[Dict[str, object]]) -> float:
    """Largest relative difference of a layer's parameter count from the mean over layers."""
    counts = {r['layer']: int(r['params']) for r in rows}
    mean = statistics.fmean(counts.values())
    return max(abs(c - mean) / mean for c in counts.values()) if counts else math.nan



@dataclass
class Summary:
    """A benchmark table: its rows (one per layer / conv), headers, description and the runs behind
    it."""
    table: List[List[str]]
    headers: List[str]
    stem: str  # file name of the summary (``graph_summary`` / ``seg_summary``)
    what: str
    note: str
    rows: List[Dict[str, str]]


#: the start of a smoke run's description (``bench-gnn --quick``): its numbers measure nothing
SMOKE = 'SMOKE RUN (--quick): checks that every layer trains end to end; not a benchmark, ' \
        'its accuracies mean nothing'


def graph_benchmark(layers: Sequence[str], seeds: Sequence[int], config: GraphBenchConfig,
                    root: str, out: str, *, device: str = 'cpu', train: bool = True,
                    smoke: bool = False) -> Summary:
    """Train every (layer, seed) into ``out/graph_runs.csv`` (unless ``train=False``) and summarise
    all the rows of ``config``. ``smoke``: a smoke run (``--quick``), said so in the description,
    without the column of published accuracies (nothing to compare with)."""
    if train:
        os.makedirs(out, exist_ok=True)
        run_graph_benchmark(layers, seeds, config, root, out, device=device)
    rows = read_runs(os.path.join(out, 'graph_runs.csv'), config.key())
    n_train = rows[0]['train_graphs'] if rows else '?'
    n_test = rows[0]['test_graphs'] if rows else '?'
    what = (f'MNIST superpixels ({n_train} train / {n_test} test digits), {config.epochs} epochs, '
            f'~{config.budget} parameters, {config.num_layers} layers')
    spread = params_spread(rows) if rows else math.nan
    table, headers = summarize_graph_runs(rows), list(GRAPH_HEADERS)
    if smoke:
        table, headers = [r[:-1] for r in table], headers[:-1]  # no published column
        what = f'{SMOKE}. {what}'
    return Summary(table, headers, 'graph_summary', what,
                   f'parameter counts within {100 * spread:.1f} % of their mean', rows)


def swapin_benchmark(convs: Sequence[str], seeds: Sequence[int], config: SegBenchConfig, out: str,
                     *, device: str = 'cpu', train: bool = True, smoke: bool = False) -> Summary:
    """Train every (conv, seed) into ``out/seg_runs.csv`` (unless ``train=False``) and summarise all
    the rows of ``config``. ``smoke``: a smoke run (``--quick``), said so in the description."""
    if train:
        os.makedirs(out, exist_ok=True)
        run_swapin_benchmark(convs, seeds, config, out, device=device)
    rows = read_runs(os.path.join(out, 'seg_runs.csv'), config.key())
    what = (f'HG-Conv Table 3 swap-ins: {config.model} on MNIST-digit canvases '
            f'({config.size}x{config.size}, '
            f'{config.train_samples} train / {config.val_samples} val), {config.steps} steps')
    if smoke:
        what = f'{SMOKE}. {what}'
    return Summary(summarize_seg_runs(rows), SEG_HEADERS, 'seg_summary', what,
                   'MACs per image include message passing, clustering and (un)pooling', rows)


def write_summary(out: str, summary: Summary) -> None:
    """``out/<stem>.md`` (the markdown table) and ``out/<stem>.csv``."""
    md = f'{summary.what}; {summary.note}.\n\n{markdown_table(summary.table, summary.headers)}\n'
    atomic_write_text(os.path.join(out, f'{summary.stem}.md'), md, root=out)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(summary.headers)
    w.writerows(summary.table)
    atomic_write_text(os.path.join(out, f'{summary.stem}.csv'), buf.getvalue(), root=out)


__all__ = ['LayerSpec', 'LAYERS', 'DEFAULT_LAYERS', 'REFERENCES', 'GraphClassifier',
           'hidden_for_budget', 'budget_widths', 'num_parameters', 'prepare_graphs',
           'node_features', 'GraphBenchConfig', 'SegBenchConfig', 'train_graph_classifier',
           'run_graph_benchmark', 'run_swapin_benchmark', 'read_runs', 'summarize_graph_runs',
           'summarize_seg_runs', 'markdown_table', 'GRAPH_HEADERS', 'SEG_HEADERS', 'params_spread',
           'Summary', 'graph_benchmark', 'swapin_benchmark', 'write_summary', 'SMOKE']
