"""Which directions survive max-direction on group graphs? (issue 10: why HG-Conv may lose accuracy)

HG-Conv keeps one direction per ordered group pair (max-direction). Across a boundary with unit normal n
the pixel-pair counts grow like n . delta, so a diagonal offset collects more pairs than a straight one
across any boundary that is not exactly axis-aligned, and wins. If the 4 straight directions then get
almost no edges, their weight matrices W_delta (the 3x3 kernel's edge-centre taps) are starved. This
script measures the share of the non-self edges (and of their weight) per direction on

* SLIC superpixel graphs of skimage photos (graphseg.graphs.superpixel_graph),
* HG-Conv's own group graphs: HG-ResNet-18's clustering of the stage-3 map of digit scenes
  (random-initialised network, eval mode), at the ratios of the accuracy experiment,

with raw counts (the paper) and with group_adjacency(per_length=True) (counts per unit offset length).

    python scripts/exp_direction_histogram.py [--size 128] [--images 16]
"""
from __future__ import annotations

import argparse

import torch

from graphseg.data import MNISTSegmentation, load_image
from graphseg.engine.benchmark import format_table, machine_summary
from graphseg.graphs import DIRECTIONS, group_adjacency, superpixel_graph
from graphseg.graphs.directions import CENTER
from graphseg.models import create_model

NAMES = {0: 'up-left', 1: 'up', 2: 'up-right', 3: 'left', 5: 'right', 6: 'down-left', 7: 'down', 8: 'down-right'}
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
    return [name, int(count.sum()), per_dir, f'{100 * c[STRAIGHT].sum():.1f}', f'{100 * c[DIAGONAL].sum():.1f}',
            f'{100 * w[STRAIGHT].sum():.1f}']


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


@torch.no_grad()
def hg_rows(size: int, n: int, ratio: float, per_length: bool):
    torch.manual_seed(0)
    model = create_model('hg_resnet18', num_classes=11, ratio=ratio, per_length=per_length).eval()
    ds = MNISTSegmentation('val', num_samples=n, size=size, rgb=True)
    x = torch.stack([ds[i][0] for i in range(n)])
    b = model.backbone
    x3 = b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))))  # the HG stage's input
    graph = model.stage4.group_graph(x3)
    return histogram(graph.edge_type, graph.edge_weight)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, default=128, help='digit-scene side (the accuracy experiment: 128)')
    p.add_argument('--images', type=int, default=16)
    args = p.parse_args()
    print(machine_summary())
    headers = ['graph', 'edges', '% of edges per direction (' + ' '.join(NAMES.values()) + ')', 'straight %',
               'diagonal %', 'straight weight %']
    rows = []
    photos = ('astronaut', 'coffee', 'chelsea', 'rocket')
    for per_length in (False, True):
        tag = ' per_length' if per_length else ''
        rows.append(row(f'SLIC 400 px groups{tag}', *superpixel_rows(photos, per_length)))
        for ratio in (1 / 4, 1 / 16, 1 / 64):
            rows.append(row(f'HG-ResNet-18 1/{round(1 / ratio)}{tag}', *hg_rows(args.size, args.images, ratio,
                                                                             per_length)))
    print(f'non-self edges after noise canceling and max-direction; SLIC on {", ".join(photos)}; HG on '
          f'{args.images} digit scenes of {args.size} px (stage-3 map {args.size // 8}x{args.size // 8})')
    print(format_table(rows, headers))


if __name__ == '__main__':
    main()
