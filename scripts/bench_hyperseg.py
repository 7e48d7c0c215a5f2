"""Benchmarks of HyperSeg: dynamic patch-wise convolution and the whole model.

1. ``dpw_conv2d`` (each implementation) vs a static ``F.conv2d`` of the same shape and
   vs the per-patch loop, 16x16 patches, batch 1 and 8 (target: auto <= 1.5x static).
2. HyperSeg-M forward images/s at 512x256: BatchNorm fused vs unfused, and the
   "w/o DPWConv" variant (the paper: 38 vs 45.5 FPS on a GPU).

Every number is a median of interleaved repeats measured side by side in this run
(graphseg.analysis.timing.compare_times).

Two properties of small shared CPU machines distort such ratios, and have switches:

* ``--threads 1``: with 2 OpenMP threads on 2 busy cores, every parallel region can wait a
  scheduler quantum (~4 ms) for its second thread; ops made of several regions suffer most.
* ``--no-mmap``: glibc serves allocations >= 32 MiB (batch 8 here) with fresh mmaps whose page
  faults (~3 us each on a VM) then dominate; the script re-runs itself with
  ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4000000000`` so heap memory is reused, as a caching
  allocator would (CUDA's always does).

    python scripts/bench_hyperseg.py [--quick] [--device cuda] [--threads N] [--no-mmap]
"""
from __future__ import annotations

import argparse
import os
import sys

import torch
import torch.nn.functional as F

from graphseg.analysis.timing import compare_times, format_table, machine_summary, record
from graphseg.models import hyperseg_m
from graphseg.nn import fuse_bn
from graphseg.ops import dpw_conv2d
from graphseg.ops.dpw_conv import _auto_impl


def per_patch_loop(x, weight, groups):
    """The slow reference: one F.conv2d per image and patch on the zero-padded image."""
    B, _, H, W = x.shape
    _, C_out, _, K, _, N_h, N_w = weight.shape
    p_h, p_w, a = H // N_h, W // N_w, K // 2
    xp = F.pad(x, (a, a, a, a))
    out = x.new_empty(B, C_out, H, W)
    for n in range(B):
        for i in range(N_h):
            for j in range(N_w):
                out[n:n + 1, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = F.conv2d(
                    xp[n:n + 1, :, i * p_h:(i + 1) * p_h + 2 * a, j * p_w:(j + 1) * p_w + 2 * a],
                    weight[n, ..., i, j], groups=groups)
    return out


def bench_dpw(batches, repeat: int, device: torch.device) -> None:
    print('\n## dpw_conv2d vs static F.conv2d (same shape) and vs the per-patch loop')
    print('(x: B x 32 x 128 x 256, 8 x 16 grid of 16 x 16 patches; times in ms, ratio = time / '
          'static NCHW)')
    C, H, W, N_h, N_w = 32, 128, 256, 8, 16
    cases = [('1x1', 1, 1), ('3x3 depthwise', 3, C), ('3x3 grouped (G=4)', 3, 4)]
    rows = []
    for name, K, G in cases:
        for B in batches:
            x = torch.randn(B, C, H, W, device=device)
            # patch-major storage, as WeightMapper emits it (each patch's kernel contiguous)
            w = torch.randn(B, N_h, N_w, C, C // G, K, K, device=device).permute(0, 3, 4, 5, 6, 1,
                                                                                 2)
            w_static = torch.randn(C, C // G, K, K, device=device)
            x_cl = x.contiguous(memory_format=torch.channels_last)
            ref = per_patch_loop(x, w, G)
            fns = {'static': lambda: F.conv2d(x, w_static, padding=K // 2, groups=G),
                   'static_cl': lambda: F.conv2d(x_cl, w_static, padding=K // 2, groups=G)}
            for impl in ('bmm', 'grouped_conv', 'taps'):
                out = dpw_conv2d(x, w, groups=G, impl=impl)
                assert torch.allclose(out, ref, atol=1e-3,
                                      rtol=1e-3), f'{impl} differs from the per-patch loop'
                fns[impl] = (lambda impl=impl: dpw_conv2d(x, w, groups=G, impl=impl))
            fns['loop'] = lambda: per_patch_loop(x, w, G)
            fns['copy'] = lambda: x.clone()  # the floor of any layout change: one pass over x
            t = compare_times(fns, repeat=repeat, device=device)
            auto = _auto_impl(K, K, N_h * N_w, C // G, C // G)
            best_static = min(t['static'], t['static_cl'])
            record('dpw_vs_static', f'{name}, batch {B}', static_s=t['static'],
                   static_cl_s=t['static_cl'], auto=auto, auto_s=t[auto],
                   ratio_vs_best_static=t[auto] / best_static,
                   ratio_vs_static_nchw=t[auto] / t['static'], loop_speedup=t['loop'] / t[auto],
                   copy_s=t['copy'], copy_vs_best_static=t['copy'] / best_static)
            rows.append(
                [
                    name,
                    B,
                    f'{t["static"] * 1e3:.2f}',
                    f'{t["static_cl"] * 1e3:.2f}',
                    *[
                        f'{t[i] * 1e3:.2f} ({t[i] / t["static"]:.2f}x)'
                        for i in ('bmm', 'grouped_conv', 'taps')
                    ],
                    auto,
                    f'{t[auto] / t["static"]:.2f}x',
                    f'{t[auto] / best_static:.2f}x',
                    f'{t["loop"] / t[auto]:.0f}x',
                    f'{t["copy"] / best_static:.2f}x',
                ]
            )
    print(
        format_table(
            rows,
            [
                'case',
                'B',
                'static',
                'static CL',
                'bmm',
                'grouped_conv',
                'taps',
                'auto picks',
                'auto/static',
                'auto/best static',
                'loop/auto',
                'copy of x/best static',
            ],
        )
    )
    print('(targets, auto / the faster of static NCHW and static channels_last (CL): 3x3 '
          'depthwise <= 1.3x and\n'
          ' 1x1 <= 1.2x at batch 1, <= 1.0x at batch 8. "copy of x": one x.clone(), the cost of '
          'the smallest\n'
          ' layout change; a patch-wise kernel in torch ops needs a regrouping of x and of the '
          'output (bmm,\n'
          ' grouped_conv) or 9 multiply-add passes (taps), so auto >= 1 + 2 copies of x, where '
          'the static conv\n reads x once in one fused kernel)')


def bench_model(size, repeat: int, device: torch.device) -> None:
    H, W = size
    print(f'\n## HyperSeg-M (EfficientNet-B1) forward, batch 1, {W}x{H} input, eval mode, no grad')
    torch.manual_seed(0)
    dyn = hyperseg_m(num_classes=19).to(device).eval()
    static = hyperseg_m(num_classes=19, dynamic=False).to(device).eval()
    models = {'HyperSeg-M': dyn, 'HyperSeg-M fused BN': fuse_bn(dyn),
              'w/o DPWConv': static, 'w/o DPWConv fused BN': fuse_bn(static)}
    x = torch.randn(1, 3, H, W, device=device)
    with torch.no_grad():
        assert torch.allclose(models['HyperSeg-M fused BN'](x)['out'], dyn(x)['out'], atol=1e-3,
                              rtol=1e-3)
        t = compare_times({k: (lambda m=m: m(x)) for k, m in models.items()}, repeat=repeat,
                          device=device)
    base = t['HyperSeg-M']
    for k, v in t.items():
        record('hyperseg_m_fps', k, size=f'{W}x{H}', seconds=v, images_per_s=1 / v)
    rows = [[k, f'{v * 1e3:.1f}', f'{1 / v:.1f}', f'{base / v:.2f}x'] for k, v in t.items()]
    print(format_table(rows, ['model', 'ms / image', 'images / s', 'speed vs unfused']))
    n_dyn = sum(p.numel() for p in dyn.parameters())
    n_sta = sum(p.numel() for p in static.parameters())
    print(f'(parameters: {n_dyn / 1e6:.2f} M dynamic, {n_sta / 1e6:.2f} M w/o DPWConv; '
          'the paper on a GPU: 38 FPS with DPWConv vs 45.5 FPS without)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='fewer repeats, batch 1 only')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (CPU)')
    parser.add_argument('--no-mmap', action='store_true',
                        help='re-run with glibc mmap disabled (see above)')
    args = parser.parse_args()
    if args.no_mmap and os.environ.get('MALLOC_MMAP_MAX_') != '0':
        env = dict(os.environ, MALLOC_MMAP_MAX_='0', MALLOC_TRIM_THRESHOLD_='4000000000')
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    malloc = 'glibc mmap off' if os.environ.get('MALLOC_MMAP_MAX_') == '0' else 'default malloc'
    print(machine_summary(), '| device', device, '|', malloc)
    bench_dpw([1] if args.quick else [1, 8], 5 if args.quick else 15, device)
    bench_model((256, 512), 3 if args.quick else 10, device)


if __name__ == '__main__':
    main()
