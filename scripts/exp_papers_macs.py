"""Parameters and MACs of the networks added for the papers' tables, against the papers' columns.

Each pair is counted with graphseg.analysis.count_macs (per image; HG-Conv's clustering, adjacency,
pooling and message passing included; auxiliary heads not, as at inference) on the same input: a
photo (skimage's astronaut) resized to the size of the paper's column, 19 classes. HG-Conv's cost
depends a little on the image (the edges of the group graph); the paper averages over the
validation images.

* HG-Conv Table 1 (Cityscapes, 1024x2048): HRNetV2-W48 696 vs HG-HRNetV2-W48 632 "GFLOPs". The
  number is the HRNet code's ``modelsummary``: multiply-adds of the convolution and linear layers
  divided by 1024**3 (printed as "GFLOPs"), so it is compared here with count_macs / 2**30, and as
  the ratio HG / dense (0.908 in the paper); 'ratio to paper' is graphseg's count / the paper's.
* HG-Conv Table 2 (Cityscapes, ResNet101-Dilation 52.07 M, 512.8 G): "+ HG-conv" +6.29 M / -78.1 G,
  "+ DCN + HG-conv" +7.25 M / -69.1 G. The input size of that table is not given; the differences
  are reported at 769x769 (the PSPNet-family Cityscapes crop, where the dense model costs about
  the paper's 512.8 G) with the relative change beside the paper's (-15.2 % and -13.5 %), and
  graphseg's differences / the paper's ('ratio to paper (params, macs)').
* RepGraph Table 1 (c, d) (ADE20K, 520x520 crops): the RepGraph layers inside ResNet-50, against
  the dilated ResNet-50 baseline (the paper gives no MACs for these rows).
* QGN Table 4: parameters of the PSPNet-module decoders and the ResNet-101 encoder (the released
  code's; QGN's MACs depend on the predicted quadtree and are not tabulated by the paper).
* HG-Conv Table 10 / 12 (DeepGlobe, 256x256 crops): the orientation network and its HG versions
  (the paper gives no MACs for them).

    python scripts/exp_papers_macs.py [--quick] [--only table1,table2,...] [--json out.json]

``--quick`` divides every side by 4 (a smoke run; the ratios then differ from the papers').
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F

from graphseg.analysis.macs import count_macs
from graphseg.data import load_image
from graphseg.models import create_model

GIB = 2 ** 30


def photo(h: int, w: int) -> torch.Tensor:
    img = load_image('astronaut')[None]  # (1, 3, 512, 512) in [0, 1]
    return F.interpolate(img, size=(h, w), mode='bilinear', align_corners=False)


def measure(name: str, size: Tuple[int, int], **kwargs) -> Dict[str, float]:
    model = create_model(name, num_classes=kwargs.pop('num_classes', 19), **kwargs).eval()
    t = time.perf_counter()
    with torch.no_grad():
        r = count_macs(model, photo(*size))
    return {'model': name, 'size': f'{size[0]}x{size[1]}', 'params': r['params'],
            'macs': r['total'], 'seconds': round(time.perf_counter() - t, 1)}


def table1(scale: int) -> List[Dict[str, object]]:
    size = (1024 // scale, 2048 // scale)
    dense, hg = measure('hrnetv2_w48', size), measure('hg_hrnetv2_w48', size)
    paper = {'hrnetv2_w48': 696, 'hg_hrnetv2_w48': 632}
    rows = []
    for r in (dense, hg):
        rows.append({**r, 'macs/2^30': r['macs'] / GIB,
                     'paper GFLOPs (MACs/2^30)': paper[r['model']],
                     'ratio to paper': r['macs'] / GIB / paper[r['model']]})
    rows.append({'model': 'HG / dense', 'macs': hg['macs'] / dense['macs'], 'paper': 632 / 696,
                 'params': hg['params'] - dense['params']})
    return rows


def table2(scale: int) -> List[Dict[str, object]]:
    size = (769 // scale, 769 // scale)
    base = measure('resnet101_dilated', size)
    rows = [{**base, 'paper': '52.07 M, 512.8 G'}]
    for name, paper_p, paper_m in (('hg_resnet101', 6.29e6, -78.1), ('resnet101_dcn', 1.20e6, 11.3),
                                   ('hg_resnet101_dcn', 7.25e6, -69.1)):
        r = measure(name, size)
        rows.append({**r, 'params - dense': r['params'] - base['params'], 'paper params': paper_p,
                     'macs - dense (G)': (r['macs'] - base['macs']) / 1e9,
                     'paper macs - dense (G)': paper_m,
                     'ratio to paper (params, macs)': ((r['params'] - base['params']) / paper_p,
                                                       (r['macs'] - base['macs']) / 1e9 / paper_m),
                     'relative': (r['macs'] - base['macs']) / base['macs'],
                     'paper relative': paper_m / 512.8})
    return rows


def repgraph(scale: int) -> List[Dict[str, object]]:
    size = (520 // scale, 520 // scale)
    base = measure('resnet50_dilated', size, num_classes=150)
    rows = [base]
    for name in ('rgnet_resnet50', 'rgnet_resnet50_res2', 'rgnet_resnet50_res3',
                 'rgnet_resnet50_res4', 'rgnet_resnet50_res5', 'rgnet_resnet50_3layer',
                 'rgnet_resnet50_5layer'):
        r = measure(name, size, num_classes=150)
        rows.append({**r, 'params - baseline': r['params'] - base['params'],
                     'macs / baseline': r['macs'] / base['macs']})
    return rows


def qgn() -> List[Dict[str, object]]:
    rows = []
    for name, encoder in (('qgn_resnet34_psp', 'resnet50_deepstem'),
                          ('qgn_resnet34_psp', 'resnet101_deepstem'),
                          ('qgn_resnet50_psp', 'resnet50_deepstem'),
                          ('qgn_resnet50_psp', 'resnet101_deepstem')):
        m = create_model(name, num_classes=150, encoder=encoder)
        count = {part: sum(p.numel() for p in getattr(m, part).parameters())
                 for part in ('encoder', 'context', 'decoder')}
        rows.append({'model': f'{name}(encoder={encoder!r})', **count,
                     'params': sum(count.values())})
    return rows


def orientation(scale: int) -> List[Dict[str, object]]:
    side = 256 // scale  # Table 12's crops (Orientation+ runs its stacks at this resolution)
    base = measure('orientation', (side, side), num_classes=2)
    rows = [base]
    for name in ('orientation_plus', 'hg_orientation', 'hg_orientation_plus_attn'):
        r = measure(name, (side, side), num_classes=2)
        rows.append({**r, 'macs / orientation': r['macs'] / base['macs']})
    return rows


TABLES = {'table1': table1, 'table2': table2, 'repgraph': repgraph, 'qgn': qgn,
          'orientation': orientation}


def _fmt(v: object) -> str:
    if isinstance(v, tuple):
        return '(' + ', '.join(_fmt(x) for x in v) + ')'
    if isinstance(v, float):
        return f'{v:.4g}'
    if isinstance(v, int) and abs(v) >= 10 ** 6:
        return f'{v / 1e9:.2f} G' if abs(v) >= 10 ** 9 else f'{v / 1e6:.3f} M'
    return str(v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='every side / 4 (smoke run)')
    parser.add_argument('--only', default=','.join(TABLES),
                        help=f'comma-separated tables (default: all of {",".join(TABLES)})')
    parser.add_argument('--json', default=None, help='write the rows to this file')
    args = parser.parse_args()
    scale = 4 if args.quick else 1
    torch.manual_seed(0)
    out = {}
    for key in args.only.split(','):
        fn = TABLES[key]
        rows = fn() if key == 'qgn' else fn(scale)
        out[key] = rows
        print(f'\n== {key}')
        for r in rows:
            print('  ' + ', '.join(f'{k}: {_fmt(v)}' for k, v in r.items()), flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
