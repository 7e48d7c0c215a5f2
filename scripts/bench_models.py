"""Every registered segmentation model at 512x512: parameters, MACs (stage-4 share), images/s, peak
memory.

MACs come from graphseg.analysis.macs.count_macs (per image; message passing, clustering, adjacency
and sampling included, the auxiliary heads not, as at inference). Each HG / RepGraph model is timed
interleaved with its dense counterpart in one compare_times call (medians), so the speed ratios are
measured side by side; inference = eval mode, no_grad, batch 1 (big models: few repeats).

    python scripts/bench_models.py [--models hg_resnet18,resnet18_dilated] [--size 512] [--repeat 3]
    # HG-Conv Table 8: ResNet-101-DCN vs HG at 1024x2048
    python scripts/bench_models.py --table8
    # inductor vs eager
    python scripts/bench_models.py --compile --models resnet18_dilated,rgnet_resnet18

Targets: HG-ResNet-{18,50} stage-4 MACs <= 0.1x the dense stage 4 at ratio 1/64; HG-ResNet-18
images/s >= resnet18_dilated on CPU at 512x512; whole-model MACs beside Table 8 (1,550 vs 1,826
GFLOPs).
"""
from __future__ import annotations

import argparse
import json
from typing import Dict, List, Optional

import torch

from graphseg.analysis.timing import compare_times, format_table, machine_summary, peak_memory
from graphseg.analysis.macs import count_macs
from graphseg.models import create_model, list_models

#: the model each one is compared with (speed measured side by side)
COUNTERPART = {f'hg_resnet{d}': f'resnet{d}_dilated' for d in (18, 34, 50, 101)}
COUNTERPART.update({'hg_resnet50_dcn': 'resnet50_dcn', 'hg_resnet101_dcn': 'resnet101_dcn',
                    'hg_resunet18': 'resunet18', 'hg_resunet50': 'resunet50',
                    'hg_resunet18_attn': 'resunet18', 'hg_fcn_small': 'fcn_small',
                    'hg_fcn_resnet18': 'fcn_resnet18'})
COUNTERPART.update({f'rgnet_resnet{d}': f'nonlocal_resnet{d}' for d in (18, 50, 101)})
#: models with 11 input-independent classes by default would not matter: every model gets 19 classes
NUM_CLASSES = 19
STAGE4 = 'backbone.layer4'


def stage4_macs(macs: dict) -> Optional[int]:
    """MACs of ``backbone.layer4`` (for HG models: the HG stage, clustering to unpooling)."""
    return macs['modules'].get(STAGE4)


def fusion_macs(macs: dict) -> int:
    """MACs of the 1x1 convs HG models add around their HG blocks (HG output concatenated with its
    input)."""
    return sum(v for k,
               v in macs['modules'].items() if k.split('.')[0] in ('fuse', 'fuse_encoder',
                                                                   'fuse_decoder'))


def measure(names: List[str], size: int, repeat: int, device: torch.device) -> Dict[str, dict]:
    results: Dict[str, dict] = {}
    x = torch.rand(1, 3, size, size, device=device)
    pending = list(names)
    while pending:
        name = pending.pop(0)
        group = [name]
        partner = COUNTERPART.get(name) or next(
            (k for k, v in COUNTERPART.items() if v == name and k in pending), None
        )
        if partner and partner in pending:
            pending.remove(partner)
            group.append(partner)
        models = {}
        for n in group:
            torch.manual_seed(0)
            models[n] = create_model(n, num_classes=NUM_CLASSES).to(device).eval()

        def infer(m):
            with torch.no_grad():
                m(x)
        big = any(sum(p.numel() for p in m.parameters()) > 40e6 for m in models.values())
        times = compare_times({n: (lambda m=m: infer(m)) for n, m in models.items()},
                              repeat=max(1, repeat - 1) if big else repeat, warmup=1, device=device)
        for n, m in models.items():
            macs = count_macs(m, x, depth=2)
            results[n] = {'params': macs['params'], 'macs': macs['total'],
                          'stage4': stage4_macs(macs), 'fusion': fusion_macs(macs),
                          'parts': macs['parts'], 'seconds': times[n],
                          'peak': peak_memory(lambda: infer(m), device),
                          'timed_with': [k for k in group if k != n]}
            print(f'{n}: {json.dumps({k: v for k, v in results[n].items() if k != "parts"})}',
                  flush=True)
        del models
    return results


def table(results: Dict[str, dict]) -> str:
    rows = []
    for n in sorted(results,
                    key=lambda n: (COUNTERPART.get(n, n),
                                   n != COUNTERPART.get(n, n) and n in COUNTERPART)):
        r = results[n]
        ref = results.get(COUNTERPART.get(n, ''))
        s4 = r['stage4']
        share = f'{s4 / 1e9:.2f} ({100 * s4 / r["macs"]:.0f} %)' if s4 is not None else '-'
        vs_macs = vs_s4 = vs_speed = ''
        if ref is not None:
            vs_macs = f'{r["macs"] / ref["macs"]:.3f}x'
            if s4 is not None and ref['stage4']:
                vs_s4 = f'{s4 / ref["stage4"]:.3f}x'
            if n in ref['timed_with'] or COUNTERPART.get(n) in r['timed_with']:
                vs_speed = f'{ref["seconds"] / r["seconds"]:.2f}x'
        fusion = f'{r["fusion"] / 1e9:.2f}' if r['fusion'] else ''
        rows.append(
            [
                n,
                f'{r["params"] / 1e6:.1f}',
                f'{r["macs"] / 1e9:.1f}',
                share,
                vs_s4,
                fusion,
                vs_macs,
                f'{1 / r["seconds"]:.2f}',
                vs_speed,
                f'{r["peak"] / 2**20:.0f}',
                COUNTERPART.get(n, ''),
            ]
        )
    return format_table(rows,
                        ['model', 'params M', 'GMACs', 'stage-4 GMACs (share)', 'stage 4 vs ref',
                               'HG 1x1 fusion GMACs', 'MACs vs ref', 'img/s', 'speed vs ref',
                               'peak MiB', 'ref'])


def table8(device: torch.device) -> None:
    """HG-Conv Table 8: whole-model MACs of ResNet-101-DCN and HG-ResNet-101-DCN at Cityscapes'
    1024x2048."""
    x = torch.rand(1, 3, 1024, 2048, device=device)
    rows = []
    macs = {}
    for n in ('resnet101_dcn', 'hg_resnet101_dcn'):
        torch.manual_seed(0)
        macs[n] = count_macs(create_model(n, num_classes=NUM_CLASSES).to(device), x, depth=2)
    for n, paper in (('resnet101_dcn', 1826), ('hg_resnet101_dcn', 1550)):
        m = macs[n]
        rows.append(
            [
                n,
                f'{m["total"] / 1e9:.0f}',
                f'{stage4_macs(m) / 1e9:.1f}',
                f'{fusion_macs(m) / 1e9:.0f}',
                str(paper),
            ]
        )
    ratio = macs['hg_resnet101_dcn']['total'] / macs['resnet101_dcn']['total']
    print('\n## HG-Conv Table 8 (Cityscapes 1024x2048, 19 classes; MACs per image, aux head '
          'excluded)')
    print(
        format_table(
            rows,
            ['model', 'GMACs (graphseg)', 'stage-4 GMACs', '1x1 fusion GMACs', 'paper "GFLOPs"'],
        )
    )
    print(f'HG / dense: {ratio:.3f} here, {1550 / 1826:.3f} in the paper')


def compiled(names: List[str], size: int, repeat: int, device: torch.device) -> None:
    """torch.compile (inductor) vs eager inference, side by side, and the largest output
    difference."""
    x = torch.rand(1, 3, size, size, device=device)
    rows = []
    for n in names:
        torch.manual_seed(0)
        model = create_model(n, num_classes=NUM_CLASSES).to(device).eval()
        fast = torch.compile(model, fullgraph=True)
        with torch.no_grad():
            diff = float((fast(x)['out'] - model(x)['out']).abs().max())

            def run(m):
                return lambda: m(x)
            t = compare_times({'eager': run(model), 'compiled': run(fast)}, repeat=repeat, warmup=1,
                              device=device)
        rows.append(
            [
                n,
                f'{1 / t["eager"]:.2f}',
                f'{1 / t["compiled"]:.2f}',
                f'{t["eager"] / t["compiled"]:.2f}x',
                f'{diff:.1e}',
            ]
        )
    print(f'\n## torch.compile(fullgraph=True, inductor) vs eager, {size}x{size}, batch 1, '
          'inference')
    print(format_table(rows, ['model', 'eager img/s', 'compiled img/s', 'speed-up', 'max |diff|']))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', default='',
                   help='comma-separated names (default: every segmentation model)')
    p.add_argument('--size', type=int, default=512)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--threads', type=int, default=0,
                   help='torch threads (default: torch\'s choice)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--json', default='', help='also write the results to this file')
    p.add_argument('--from-json', default='',
                   help='only print the table of these comma-separated result files '
                                                   '(several partial runs)')
    p.add_argument('--table8', action='store_true', help='only the Table 8 comparison at 1024x2048')
    p.add_argument('--compile', action='store_true',
                   help='only torch.compile vs eager for the --models '
                                                           '(dense and RepGraph models)')
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.from_json:
        results: Dict[str, dict] = {}
        for path in args.from_json.split(','):
            with open(path) as f:
                results.update(json.load(f))
        print(table(results))
        return
    print(machine_summary())
    if args.table8:
        table8(device)
        return
    names = [n for n in args.models.split(',') if n] or list_models(task='segmentation')
    if args.compile:
        compiled(names, args.size, args.repeat, device)
        return
    unknown = sorted(set(names) - set(list_models(task='segmentation')))
    if unknown:
        raise SystemExit(f'unknown segmentation models {unknown}')
    results = measure(names, args.size, args.repeat, device)
    print(f'\n## {args.size}x{args.size}, batch 1, {NUM_CLASSES} classes, {device.type}; MACs per '
          'image; '
          f'"vs ref" = against the counterpart in the last column (speed measured side by side)')
    print(table(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
