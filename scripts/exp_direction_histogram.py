"""Which directions survive max-direction on group graphs? (why HG-Conv may lose accuracy)

HG-Conv keeps one direction per ordered group pair (max-direction). Across a boundary with unit
normal n the pixel-pair counts grow like n . delta, so a diagonal offset collects more pairs than a
straight one across any boundary that is not exactly axis-aligned, and wins. If the 4 straight
directions then get almost no edges, their weight matrices W_delta (the 3x3 kernel's edge-centre
taps) are starved. This script measures the share of the non-self edges (and of their weight) per
direction on

* SLIC superpixel graphs of skimage photos (graphseg.graphs.superpixel_graph),
* HG-Conv's own group graphs: HG-ResNet-18's clustering of the stage-3 map of digit scenes
  (random-initialised network, eval mode), at the ratios of the accuracy experiment,

with raw counts (the paper) and with group_adjacency(per_length=True) (counts per unit offset
length).

    python scripts/exp_direction_histogram.py [--size 96] [--images 16] [--trained DIR]
"""
from __future__ import annotations

import argparse
import glob
import os
from typing import Dict

import torch

from graphseg.data import MNISTSegmentation, load_image
from graphseg.analysis.timing import format_table, machine_summary
from graphseg.graphs import DIRECTIONS, group_adjacency, superpixel_graph
from graphseg.directions import CENTER
from graphseg.models import create_model

NAMES = {0: 'up-left', 1: 'up', 2: 'up-right', 3: 'left', 5: 'right', 6: 'down-left', 7: 'down',
         8: 'down-right'}
STRAIGHT = [k for k, (dy, dx) in enumerate(DIRECTIONS) if abs(dy) + abs(dx) == 1]
DIAGONAL = [k for k, (dy, dx) in enumerate(DIRECTIONS) if abs(dy) + abs(dx) == 2]


def histogram(edge_type: torch.Tensor, edge_weight: torch.Tensor):
    keep = edge_type != CENTER
    t, w = edge_type[keep], edge_weight[keep].double()
    count = torch.bincount(t, minlength=9).double()
    weight = torch.zeros(9, dtype=torch.double).index_add_(0, t, w)
    return count, weight


def row(name: str, count: torch.Tensor, weight: torch.Tensor):
    c, w = count / count.sum(), weight / weight.sum()
    per_dir = ' '.join(f'{100 * c[k]:.1f}' for k in NAMES)
    return [name, int(count.sum()), per_dir, f'{100 * c[STRAIGHT].sum():.1f}',
            f'{100 * c[DIAGONAL].sum():.1f}', f'{100 * w[STRAIGHT].sum():.1f}']


def superpixel_rows(images, per_length: bool):
    count, weight = torch.zeros(9, dtype=torch.double), torch.zeros(9, dtype=torch.double)
    for name in images:
        data = superpixel_graph(load_image(name), n_segments=400)
        H, W = data.seg.shape[-2:]
        ei, et, ew = group_adjacency(data.seg.view(H, W).long(), H, W, per_length=per_length)
        c, w = histogram(et, ew)
        count += c
        weight += w
    return count, weight


def stage3_map(model, x: torch.Tensor) -> torch.Tensor:
    """The stage-3 map HG-ResNet clusters (the HG stage's input)."""
    b = model.backbone
    return b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))))


@torch.no_grad()
def hg_rows(size: int, n: int, ratio: float, per_length: bool):
    torch.manual_seed(0)
    model = create_model('hg_resnet18', num_classes=11, ratio=ratio, per_length=per_length).eval()
    ds = MNISTSegmentation('val', num_samples=n, size=size, rgb=True)
    x = torch.stack([ds[i][0] for i in range(n)])
    graph = model.stage4.group_graph(stage3_map(model, x))
    return histogram(graph.edge_type, graph.edge_weight)


def tap_norms(weights) -> Dict[str, float]:
    """Mean Frobenius norm of the 3x3 taps of stage 4 (dense kernels or HG direction matrices):
    centre, straight, diagonal, over all 3x3 convs of ``backbone.layer4``."""
    sums = {'centre': [], 'straight': [], 'diagonal': []}
    for k, w in weights.items():
        if (
            k.startswith('backbone.layer4.')
            and k.endswith('weight')
            and w.dim() == 4
            and w.shape[-2:] == (3, 3)
        ):
            taps = w.flatten(2).permute(2, 0, 1)  # (9, C_out, C_in): the direction matrices
            norms = taps.flatten(1).norm(dim=1)
            sums['centre'].append(float(norms[CENTER]))
            sums['straight'].append(float(norms[STRAIGHT].mean()))
            sums['diagonal'].append(float(norms[DIAGONAL].mean()))
    return {k: sum(v) / max(1, len(v)) for k, v in sums.items()}


@torch.no_grad()
def trained_rows(directory: str, size: int, n: int):
    """Histograms on the group graphs of trained HG-ResNet-18s (digit scenes) and their stage-4 tap
    norms."""
    rows, norms = [], []
    init = tap_norms(create_model('resnet18_dilated', num_classes=11).state_dict())
    norms.append(
        [
            '(initialisation)',
            f'{init["centre"]:.2f}',
            f'{init["straight"]:.2f}',
            f'{init["diagonal"]:.2f}',
        ]
    )
    ds = MNISTSegmentation('val', num_samples=n, size=size, rgb=True)
    x = torch.stack([ds[i][0] for i in range(n)])
    for path in sorted(glob.glob(os.path.join(directory, '*.pt'))):
        name = os.path.basename(path)
        if name.startswith('digit_scenes') or not (
            name.startswith('hg_resnet18') or name.startswith('resnet18')
        ):
            continue
        state = torch.load(path)
        t = tap_norms(state)
        norms.append([name, f'{t["centre"]:.2f}', f'{t["straight"]:.2f}', f'{t["diagonal"]:.2f}'])
        if name.startswith('hg_resnet18'):
            ratio = 1 / int(name.split('@1-')[1].split('_')[0])
            model = create_model('hg_resnet18', num_classes=11, ratio=ratio,
                                 per_length='per_length' in name).eval()
            model.load_state_dict(state)
            graph = model.stage4.group_graph(stage3_map(model, x))
            rows.append(row(f'trained {name}', *histogram(graph.edge_type, graph.edge_weight)))
    return rows, norms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, default=96,
                   help='digit-scene side (the accuracy experiment: 96)')
    p.add_argument('--images', type=int, default=16)
    p.add_argument('--trained', default='',
                   help='directory of trained weights (exp_accuracy_hgresnet.py): '
                                                 'histograms on their group graphs and stage-4 '
                                                 'tap norms')
    args = p.parse_args()
    print(machine_summary())
    headers = ['graph', 'edges', '% of edges per direction (' + ' '.join(NAMES.values()) + ')',
               'straight %', 'diagonal %', 'straight weight %']
    rows = []
    photos = ('astronaut', 'coffee', 'chelsea', 'rocket')
    for per_length in (False, True):
        tag = ' per_length' if per_length else ''
        rows.append(row(f'SLIC 400 px groups{tag}', *superpixel_rows(photos, per_length)))
        for ratio in (1 / 4, 1 / 16, 1 / 64):
            rows.append(
                row(
                    f'HG-ResNet-18 1/{round(1 / ratio)}{tag}',
                    *hg_rows(args.size, args.images, ratio, per_length),
                )
            )
    print(f'non-self edges after noise canceling and max-direction; SLIC on {", ".join(photos)}; '
          f'HG on {args.images} digit scenes of {args.size} px (stage-3 map '
          f'{args.size // 8}x{args.size // 8})')
    print(format_table(rows, headers))
    if args.trained:
        rows, norms = trained_rows(args.trained, args.size, args.images)
        print('\n## trained models (their own clustering of the val scenes)')
        print(format_table(rows, headers))
        print('\n## mean Frobenius norm of the stage-4 3x3 taps / direction matrices (C_out x '
              'C_in each)')
        print(format_table(norms, ['weights', 'centre', 'straight (mean of 4)', 'diagonal '
                                                                                '(mean of 4)']))


if __name__ == '__main__':
    main()
