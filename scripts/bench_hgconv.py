"""HG-Conv vs the dense stack of 3x3 Conv-BN-ReLU layers it replaces (Hamaguchi et al., CVPR 2021).

The paper's Cityscapes setting: a 1x512x90x90 feature map (713 / 8), L = 3, ratio 1/64. The input is
the stride-8 (layer2, 512 channels) feature map of graphseg's ResNet-50 (random initialisation, eval
mode) on skimage photos resized to 8 x size, so the clustering sees spatially structured features.
Every ratio is measured side by side in this run (interleaved medians, graphseg.analysis.timing).

    python scripts/bench_hgconv.py [--quick] [--device cuda]

Targets: graph-conv MACs <= 0.1x the dense stack; wall time of the whole HGConv module
(clustering included) <= 1.0x the dense stack on CPU.
"""
from __future__ import annotations

import argparse
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

from graphseg.data import load_image
from graphseg.analysis.timing import (compare_times, format_table, machine_summary, peak_memory,
                                      quiet_stderr, record)
from graphseg.ops.macs import conv_stack_macs
from graphseg.analysis.macs import dense_flop_macs, format_macs
from graphseg.models import resnet50
from graphseg.nn import CONVS, HGConv

STAGES = ('clustering', 'adjacency', 'pooling', 'graph_conv', 'unpooling')
IMAGES = ('astronaut', 'coffee', 'chelsea', 'rocket')


@torch.no_grad()
def features(names, size: int, channels: int, device: torch.device) -> List[torch.Tensor]:
    """Stride-8 ResNet-50 features (1, C, size, size) of skimage photos (C = 512, or a 1x1
    projection)."""
    torch.manual_seed(0)
    net = resnet50().eval().to(device)
    proj = None if channels == 512 else nn.Conv2d(512, channels, 1).to(device)
    out = []
    for name in names:
        img = F.interpolate(load_image(name)[None, :3].to(device), size=(8 * size, 8 * size),
                            mode='bilinear', align_corners=False)
        x = net.maxpool(net.relu(net.bn1(net.conv1(img))))
        x = net.layer2(net.layer1(x))  # (1, 512, size, size), stride 8
        x = x if proj is None else proj(x)
        # unit scale: the clustering's exp(-||.||^2) sees the paper's regime
        out.append(x / x.std())
    return out


def dense_stack(channels: int, layers: int, device: torch.device):
    convs = [nn.Conv2d(channels, channels, 3, padding=1, bias=False) for _ in range(layers)]
    norms = [nn.BatchNorm2d(channels) for _ in range(layers)]
    stack = nn.Sequential(*[m for c, n in zip(convs, norms) for m in (c, n, nn.ReLU())]).to(device)
    return stack, convs, norms


def bench_macs(hg: HGConv, xs, dense_macs: int) -> Dict[str, float]:
    print('\n## MACs per image (mean over the images; HG-Conv counts depend on each image\'s '
          'group graph)')
    per_image = [m for x in xs for m in hg.count_macs(x)]
    mean = {k: sum(m[k] for m in per_image) / len(per_image) for k in STAGES}
    total = sum(mean.values())
    rows = [[k, format_macs(v), f'{v / dense_macs:.4f}x'] for k, v in mean.items()]
    rows += [['HG-Conv total', format_macs(total), f'{total / dense_macs:.4f}x'],
             ['dense 3x3 stack', format_macs(dense_macs), '1x']]
    print(format_table(rows, ['part', 'MACs', 'vs dense stack']))
    record('hgconv_macs', 'mean per image', graph_conv_ratio=mean['graph_conv'] / dense_macs,
           total_ratio=total / dense_macs, dense_macs=dense_macs)
    lo = min(m['graph_conv'] for m in per_image) / dense_macs
    hi = max(m['graph_conv'] for m in per_image) / dense_macs
    print(f'graph-conv MACs / dense: mean {mean["graph_conv"] / dense_macs:.4f}x (range '
          f'{lo:.4f}-{hi:.4f} over {len(per_image)} images; target <= 0.1x)')
    return mean


def bench_time(hg: HGConv, stack: nn.Module, x: torch.Tensor, repeat: int,
               device: torch.device) -> None:
    print('\n## wall time, whole module (clustering included) vs the dense stack')
    rows = []
    for mode in ('inference', 'training'):
        train = mode == 'training'
        hg.train(train)
        stack.train(train)

        def run(m):
            if train:
                m(x).square().mean().backward()
            else:
                with torch.no_grad():
                    m(x)
        fns = {'dense': lambda: run(stack), 'hgconv': lambda: run(hg)}
        t = compare_times(fns, repeat=repeat, device=device)
        mem = {k: peak_memory(f, device) for k, f in fns.items()}
        record('hgconv_vs_dense', mode, dense_s=t['dense'], hgconv_s=t['hgconv'],
               ratio=t['hgconv'] / t['dense'], mem_ratio=mem['hgconv'] / max(mem['dense'], 1))
        rows.append(
            [
                mode,
                f'{t["dense"] * 1e3:.0f}',
                f'{t["hgconv"] * 1e3:.0f}',
                f'{t["hgconv"] / t["dense"]:.3f}x',
                f'{mem["dense"] / 2**20:.0f}',
                f'{mem["hgconv"] / 2**20:.0f}',
                f'{mem["hgconv"] / max(mem["dense"], 1):.2f}x',
            ]
        )
    print(
        format_table(
            rows,
            [
                'mode',
                'dense ms',
                'HG-Conv ms',
                'time ratio',
                'dense MiB',
                'HG-Conv MiB',
                'mem ratio',
            ],
        )
    )
    print('(inference: eval mode, no_grad; training: train mode, forward + backward; target: '
          'time ratio <= 1.0x)')


def bench_breakdown(hg: HGConv, x: torch.Tensor, repeat: int, device: torch.device) -> None:
    import statistics

    from torch.profiler import ProfilerActivity, profile
    print('\n## where HG-Conv\'s time goes (torch.profiler record_function ranges, inference, '
          f'median of {repeat} profiled runs)')
    hg.eval()
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == 'cuda' else [])
    attr = 'device_time_total' if device.type == 'cuda' else 'cpu_time_total'
    runs: Dict[str, List[float]] = {s: [] for s in STAGES}
    ops: Dict[str, List[float]] = {}
    with torch.no_grad():
        hg(x)
        # one profile per run: the median discards runs hit by scheduling stalls
        for _ in range(repeat):
            with quiet_stderr(), profile(activities=acts) as prof:
                hg(x)
            for e in prof.key_averages():
                if e.key.startswith('hgconv.'):
                    runs[e.key[len('hgconv.'):]].append(getattr(e, attr) / 1e3)
                else:
                    ops.setdefault(e.key, []).append(e.self_cpu_time_total / 1e3)
    times = {s: statistics.median(v) for s, v in runs.items() if v}
    total = sum(times.values())
    rows = [[s, f'{v:.1f}', f'{100 * v / total:.1f} %'] for s, v in times.items()]
    rows.append(['total', f'{total:.1f}', '100 %'])
    print(format_table(rows, ['stage', 'ms', 'share']))
    top = sorted(ops.items(), key=lambda kv: -statistics.median(kv[1]))[:6]
    print('top ops (median self CPU ms per forward):',
          ', '.join(f'{k} {statistics.median(v):.1f}' for k, v in top))


def bench_swap_ins(xs, channels: int, repeat: int, device: torch.device, dense_macs: int) -> None:
    print('\n## graph-conv swap-ins (paper Table 3): inference time and MACs, same clustering '
          'settings')
    x = xs[0]
    fns, macs = {}, {}
    for conv in CONVS:
        torch.manual_seed(0)
        kwargs = {'backend': 'torch'} if conv == 'spline' else {}
        hg = HGConv(channels, channels, conv=conv, conv_kwargs=kwargs).to(device).eval()
        torch.manual_seed(0)
        macs[conv] = hg.count_macs(x)[0]['graph_conv']
        fns[conv] = (lambda hg=hg: hg(x))
    with torch.no_grad():
        t = compare_times(fns, repeat=max(2, repeat // 2), device=device)
    rows = [[c, f'{t[c] * 1e3:.0f}', f'{t[c] / t["directional"]:.2f}x', format_macs(macs[c]),
             f'{macs[c] / dense_macs:.4f}x'] for c in CONVS]
    print(format_table(rows, ['conv', 'module ms', 'vs directional', 'graph-conv MACs', 'vs dense '
                                                                                        'stack']))
    print("(spline: graphseg SplineConv, 'torch' backend; torch_spline_conv's CPU kernel is a "
          "per-edge loop)")


def bench_spline_backends(hg: HGConv, x: torch.Tensor, repeat: int, device: torch.device) -> None:
    from graphseg.nn import SplineConv, available_spline_backends
    from graphseg.nn.spline_conv import default_spline_backend
    from graphseg.nn.hgconv import cartesian_pseudo
    print('\n## SplineConv kernel backends on an HG-Conv group graph (one layer, 128 channels)')
    with torch.no_grad():
        _, g = hg.eval()(x, return_graph=True)
    z = torch.randn(g.num_nodes, 128, device=device)
    pseudo = cartesian_pseudo(g.pos, g.edge_index)
    layers = {
        b: SplineConv(128, 128, dim=2, kernel_size=3, backend=b).to(device)
        for b in available_spline_backends()
    }
    for layer in layers.values():
        layer.load_state_dict(layers['torch'].state_dict())
    with torch.no_grad():
        ref = layers['torch'](z, g.edge_index, pseudo)
        for b, layer in layers.items():
            torch.testing.assert_close(layer(z, g.edge_index, pseudo), ref, atol=1e-4, rtol=1e-4)
        t = compare_times({b: (lambda m=m: m(z, g.edge_index, pseudo)) for b, m in layers.items()},
                          repeat=max(2, repeat // 2), device=device)
    rows = [[b, f'{v * 1e3:.2f}', f'{v / t["torch"]:.1f}x'] for b, v in t.items()]
    print(format_table(rows, ['backend', 'ms', 'time vs torch']))
    print(f'({g.num_nodes} nodes, {g.num_edges} edges; same outputs; default backend on '
          f'{device.type}: {default_spline_backend(device)!r})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='256 channels, 45x45, fewer repeats and images')
    parser.add_argument('--device', default='cpu', help="'cpu' (default) or 'cuda'")
    parser.add_argument('--size', type=int, default=None, help='feature map side (default 90)')
    parser.add_argument('--channels', type=int, default=None, help='channels (default 512)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s); 1 avoids OpenMP stalls on '
                             'an overloaded machine')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device available')
    size = args.size or (45 if args.quick else 90)
    channels = args.channels or (256 if args.quick else 512)
    repeat = 3 if args.quick else 7
    L = 3
    print(f'# bench_hgconv  ({machine_summary()}; device {device})')
    print(f'input 1x{channels}x{size}x{size}, L = {L}, ratio 1/64 -> {round(size * size / 64)} '
          f'groups, sampling topk_random, 3 SLIC rounds, 9 nearest centres')

    xs = features(IMAGES[:2] if args.quick else IMAGES, size, channels, device)
    torch.manual_seed(0)
    stack, convs, norms = dense_stack(channels, L, device)
    hg = HGConv.from_dense(convs, norms, ratio=1 / 64)
    dense_macs = conv_stack_macs(channels, channels, size, size, L)
    assert dense_flop_macs(lambda: stack(xs[0])) == dense_macs, (
        'closed-form MACs differ from the flop counter'
    )

    bench_macs(hg, xs, dense_macs)
    bench_time(hg, stack, xs[0], repeat, device)
    bench_breakdown(hg, xs[0], repeat, device)
    bench_swap_ins(xs, channels, repeat, device, dense_macs)
    bench_spline_backends(hg, xs[0], repeat, device)


if __name__ == '__main__':
    main()
