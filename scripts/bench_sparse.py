"""Benchmarks of QGN's sparse path: submanifold sparse convolution, the T-pyramid and the QGN
decoder's memory.

Every ratio compares variants measured side by side in this run (interleaved
medians, graphseg.analysis.timing). spconv is an optional peer: its rows
appear only when `import spconv.pytorch` works (run this script with a throwaway
venv's python that has it; it is never a graphseg dependency).

    python scripts/bench_sparse.py [--quick] [--device cuda]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from graphseg.analysis.timing import (compare_times, format_table, machine_summary, peak_memory,
                                      record)
from graphseg.graphs import Quadtree, t_pyramid
from graphseg.nn import QGNDecoder
from graphseg.graphs import kernel_to_direction_weights
from graphseg.ops import SparseMap, scatter, submanifold_conv2d

MiB = 2 ** 20


def blob_labels(B: int, H: int, W: int, k: int, cells: int = 8, seed: int = 0) -> torch.Tensor:
    """Smooth random regions of k classes (a stand-in for a Cityscapes-like label map)."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.rand(B, k, max(1, H // (H // cells)), max(1, W // (H // cells)), generator=g)
    return F.interpolate(logits, size=(H, W), mode='bilinear', align_corners=False).argmax(1)


def boundary_band(H: int, W: int, fraction: float, seed: int = 0) -> torch.Tensor:
    """The `fraction` of sites closest to a class boundary: QGN's active sites are such bands."""
    lab = blob_labels(1, H, W, 8, seed=seed)[0].numpy()
    edge = np.zeros((H, W), dtype=bool)
    edge[1:] |= lab[1:] != lab[:-1]
    edge[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    dist = ndimage.distance_transform_edt(~edge) + np.random.default_rng(seed).random((H, W)) * 1e-3
    return torch.from_numpy(dist <= np.quantile(dist, fraction))[None]  # (1, H, W)


def saved_bytes(fn, *existing) -> int:
    """Bytes autograd keeps for backward during `fn()` (unique storages of the saved tensors, the
    activation memory proper), not counting the storages of `existing` tensors (inputs, weights)."""
    skip = {t.untyped_storage().data_ptr() for t in existing}
    kept = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in skip:
            kept[st.data_ptr()] = st.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(kept.values())


def legacy_submanifold(sp: SparseMap, weight: torch.Tensor) -> torch.Tensor:
    """The submanifold conv as graphseg computed it before the gather-GEMM plans, for before ->
    after ratios: the typed-edge kernel with index_select + scatter_add (one (N, C) @ (C, 9 C')
    matmul, then a gather and a scatter of the E messages)."""
    edge_index, edge_type = sp.kernel_map()
    w = kernel_to_direction_weights(weight)  # (9, C, C')
    C, C_out = w.size(1), w.size(2)
    h = (sp.feats @ w.permute(1, 0, 2).reshape(C, 9 * C_out)).view(-1, C_out)  # (N * 9, C')
    msg = h.index_select(0, edge_index[0] * 9 + edge_type)  # (E, C')
    return scatter(msg, edge_index[1], 0, sp.num_sites, reduce='sum')


def spconv_module():
    try:
        import spconv.pytorch as spconv
        return spconv
    except Exception:  # ImportError, or a broken build
        return None


def bench_submanifold(repeat: int, device: torch.device, fractions, channels) -> None:
    print('\n## SubmanifoldConv2d fwd+bwd vs dense F.conv2d fwd+bwd on the full grid (256x512, '
          'boundary bands)')
    H, W = 256, 512
    rows = []
    for C in channels:
        w = torch.randn(C, C, 3, 3, device=device) * 0.05
        for frac in fractions:
            mask = boundary_band(H, W, frac).to(device)
            x = torch.randn(1, C, H, W, device=device)
            sp = SparseMap.from_dense(x, mask)
            feats = sp.feats.clone().requires_grad_(True)
            sp = sp.replace(feats)
            xd = x.clone().requires_grad_(True)
            wd, ws = w.clone().requires_grad_(True), w.clone().requires_grad_(True)
            out = submanifold_conv2d(sp, ws)
            ref = F.conv2d(x * mask, w, padding=1).permute(0, 2, 3, 1)[mask]
            assert torch.allclose(out.feats, ref, atol=1e-4,
                                  rtol=1e-4), 'sparse != masked dense conv'
            edges = sp.kernel_map()[0].size(1)

            def dense():
                F.conv2d(xd, wd, padding=1).sum().backward()

            def sparse():
                submanifold_conv2d(sp, ws).feats.sum().backward()

            def typed():  # the typed-edge kernel the gather-GEMM plans replaced
                legacy_submanifold(sp, ws).sum().backward()

            def kmap():
                sp2 = SparseMap(sp.coords, sp.feats, (H, W), 1, check=False)
                sp2.conv_plan()

            sp.conv_plan()
            t = compare_times({'dense': dense, 'sparse': sparse, 'typed': typed, 'kmap': kmap},
                              repeat=repeat, device=device)
            s_dense = saved_bytes(lambda: F.conv2d(xd, wd, padding=1), xd, wd)
            s_sparse = saved_bytes(lambda: submanifold_conv2d(sp, ws), feats, ws, *sp.kernel_map())
            m_dense, m_sparse = peak_memory(dense, device), peak_memory(sparse, device)
            n = sp.num_sites
            plan = sp.conv_plan().kind
            record('sparse_fwd_bwd_vs_dense', f'C={C}, {frac:.0%} active', channels=C, active=frac,
                   plan=plan, dense_s=t['dense'], sparse_s=t['sparse'], typed_s=t['typed'],
                   ratio=t['sparse'] / t['dense'], ratio_before=t['typed'] / t['dense'],
                   sparse_peak_bytes=m_sparse, dense_peak_bytes=m_dense)
            rows.append(
                [
                    C,
                    f'{n / (H * W):.0%}',
                    n,
                    f'{edges / n:.1f}',
                    plan,
                    f'{t["dense"] * 1e3:.1f}',
                    f'{t["sparse"] * 1e3:.1f}',
                    f'{t["sparse"] / t["dense"]:.3f}x',
                    f'{t["typed"] / t["dense"]:.3f}x',
                    f'{t["kmap"] * 1e3:.2f}',
                    f'{s_dense / MiB:.2f} / {m_dense / MiB:.1f}',
                    f'{s_sparse / MiB:.2f} / {m_sparse / MiB:.1f}',
                    f'{s_sparse / n:.0f} / {m_sparse / n:.0f}',
                ]
            )
    print(
        format_table(
            rows,
            [
                'C',
                'active',
                'sites',
                'nbrs/site',
                'plan',
                'dense ms',
                'sparse ms',
                'time ratio',
                'typed-edge kernel',
                'plan ms',
                'dense MiB saved / peak',
                'sparse MiB saved / peak',
                'sparse B/site saved / peak',
            ],
        )
    )
    print('(targets: time ratio <= 0.2x at 10 % and <= 0.6x at 30 % active; typed-edge kernel = '
          'the\n typed-edge kernel with index_select + scatter_add, in the same run;\n'
          ' saved = what autograd keeps for backward besides the input and weight (the activation '
          'memory);\n'
          ' peak = fwd+bwd peak allocation incl. transients; sparse ms reuses the cached kernel '
          'map, as\n'
          ' every conv after the first one of a level does; plan ms = building table + plan once)')


def bench_spconv(repeat: int, fractions, channels) -> None:
    spconv = spconv_module()
    print('\n## SubmanifoldConv2d forward vs spconv SubMConv2d forward (CPU, 256x512)')
    if spconv is None:
        print('spconv is not importable in this environment: no peer rows (see the docstring)')
        return
    H, W = 256, 512
    rows = []
    for C in channels:
        w = torch.randn(C, C, 3, 3) * 0.05
        peer = spconv.SubMConv2d(C, C, 3, bias=False, indice_key='subm')
        with torch.no_grad():
            peer.weight.copy_(w.permute(0, 2, 3, 1))  # spconv 2.x layout (C_out, kH, kW, C_in)
        for frac in fractions:
            mask = boundary_band(H, W, frac)
            x = torch.randn(1, C, H, W)
            sp = SparseMap.from_dense(x, mask)
            coords32 = sp.coords.int().contiguous()  # spconv misreads non-contiguous indices
            with torch.no_grad():  # both against the dense conv of the masked map
                ref = F.conv2d(x * mask, w, padding=1).permute(0, 2, 3, 1)[mask]
                ours = submanifold_conv2d(sp, w).feats
                theirs = peer(spconv.SparseConvTensor(sp.feats, coords32, [H, W], 1))
                b, y, xx = theirs.indices.long().unbind(1)
                dense = torch.zeros(H, W, C)
                dense[y, xx] = theirs.features
                err_ours = float((ours - ref).abs().max())
                err_theirs = (dense[mask[0]] - ref).abs().amax(1)
                wrong = int((err_theirs > 1e-3).sum())
                diff = f'{err_ours:.0e} / {float(err_theirs.max()):.0e} ({wrong})'

            def ours_cold():  # kernel map built inside, as spconv builds its indice pairs
                with torch.no_grad():
                    submanifold_conv2d(SparseMap(sp.coords, sp.feats, (H, W), 1, check=False), w)

            def spconv_cold():
                with torch.no_grad():
                    peer(spconv.SparseConvTensor(sp.feats, coords32, [H, W], 1))

            sp.kernel_map()
            sp.conv_plan()
            warm_input = spconv.SparseConvTensor(sp.feats, coords32, [H, W], 1)
            with torch.no_grad():
                peer(warm_input)  # fills warm_input's indice cache

            def ours_warm():
                with torch.no_grad():
                    submanifold_conv2d(sp, w)

            def typed_warm():  # the typed-edge kernel the gather-GEMM plans replaced
                with torch.no_grad():
                    legacy_submanifold(sp, w)

            def spconv_warm():
                with torch.no_grad():
                    peer(warm_input)

            t = compare_times({'ours': ours_cold, 'spconv': spconv_cold, 'ours warm': ours_warm,
                               'spconv warm': spconv_warm, 'typed warm': typed_warm}, repeat=repeat)
            record('sparse_fwd_vs_spconv', f'C={C}, {frac:.0%} active', channels=C, active=frac,
                   threads=torch.get_num_threads(), ours_s=t['ours'], spconv_s=t['spconv'],
                   ratio=t['ours'] / t['spconv'], ours_warm_s=t['ours warm'],
                   spconv_warm_s=t['spconv warm'], warm_ratio=t['ours warm'] / t['spconv warm'],
                   before_warm_ratio=t['typed warm'] / t['spconv warm'])
            rows.append([C, f'{frac:.0%}', f'{t["ours"] * 1e3:.1f}', f'{t["spconv"] * 1e3:.1f}',
                         f'{t["ours"] / t["spconv"]:.2f}x', f'{t["ours warm"] * 1e3:.1f}',
                         f'{t["spconv warm"] * 1e3:.1f}',
                         f'{t["ours warm"] / t["spconv warm"]:.2f}x',
                         f'{t["typed warm"] / t["spconv warm"]:.2f}x', diff])
    print(format_table(rows, ['C', 'active', 'ours ms', 'spconv ms', 'ours / spconv', 'ours warm '
                                                                                      'ms',
                              'spconv warm ms', 'warm ratio', 'typed-edge kernel, warm ratio',
                              'max err ours / spconv (sites > 1e-3)']))
    print('(target: <= 1.0x spconv forward time. Cold: both build their kernel map / indice '
          'pairs;\n'
          ' warm: both reuse them. Both multiply only existing (site, offset) pairs, E C C\' MACs '
          '(our im2col\n'
          " plan, for dense neighbourhoods, 9 N C C'); typed-edge kernel = the typed-edge kernel "
          "with index_select\n"
          " + scatter_add. spconv's CPU build has no backward; with 2 threads its output is wrong "
          "at some sites.\n"
          ' max err: against F.conv2d of the zero-filled map, read at the active sites)')


def bench_t_pyramid(repeat: int) -> None:
    print('\n## t_pyramid of a 1024x2048 label map, 6 levels (CPU)')
    labels = blob_labels(1, 1024, 2048, 19, cells=16)[0]
    labels[:40] = 255  # an ignore band, as Cityscapes' ego vehicle
    t = compare_times({'t_pyramid': lambda: t_pyramid(labels, 6, 19),
                       'Quadtree': lambda: Quadtree.from_labels(labels, 6, 19)}, repeat=repeat)
    s = Quadtree.from_labels(labels, 6, 19).stats()
    record('t_pyramid', '1024x2048, 6 levels', t_pyramid_s=t['t_pyramid'], quadtree_s=t['Quadtree'])
    print(format_table([[f'{t["t_pyramid"] * 1e3:.1f}', f'{t["Quadtree"] * 1e3:.1f}',
                         ' '.join(f'{p:.3f}' for p in s['pixel_share']),
                         f'{s["memory_ratio"]:.4f}']],
                       ['t_pyramid ms', 'Quadtree (incl.) ms', 'pixel share, levels 0..5',
                        'nodes / pixels']))
    print('(target: t_pyramid <= 35 ms)')


def bench_decoder(repeat: int, device: torch.device, size) -> None:
    H, W = size
    k = 19
    print(f'\n## QGN decoder fwd+bwd, widths (512, 256, 128, 64, 64), blocks (6, 4, 3, 3, +3), '
          f'ResNet-18 encoder maps (stem, layer1..4), {H}x{W}, k = {k}')
    enc = (64, 64, 128, 256, 512)
    torch.manual_seed(0)
    feats = [torch.randn(1, c, H >> (i + 1), W >> (i + 1), device=device) for i,
             c in enumerate(enc)]
    labels = blob_labels(1, H, W, k, cells=8).to(device)
    pyr = t_pyramid(labels, 6, k)
    sparse = QGNDecoder(enc, k).to(device)
    # the sparse decoder, computed densely
    dense = QGNDecoder(enc, k, sparse=False, dense_up_kernel=2).to(device)

    def run(dec, scheme):
        def fn():
            out = dec(feats, scheme, pyr if scheme == 'gt' else None)
            sum(
                q.feats.sum() if isinstance(q, SparseMap) else q.sum() for q in out.logits.values()
            ).backward()

        return fn

    fns = {'dense decoder': run(dense, 'all'), "sparse, 'all'": run(sparse, 'all'),
           "sparse, 'gt'": run(sparse, 'gt')}
    t = compare_times(fns, repeat=repeat, device=device)
    mem = {name: peak_memory(fn, device) for name, fn in fns.items()}
    keep = []
    act, saved = {}, {}
    params = [p for dec in (sparse, dense) for p in dec.parameters()]
    for name, (dec, scheme) in {'dense decoder': (dense, 'all'), "sparse, 'all'": (sparse, 'all'),
                                "sparse, 'gt'": (sparse, 'gt')}.items():
        act[name] = peak_memory(
            lambda: keep.append(dec(feats, scheme, pyr if scheme == 'gt' else None)), device
        )
        keep.clear()
        saved[name] = saved_bytes(lambda: dec(feats, scheme, pyr if scheme == 'gt' else None),
                                  *feats, *params)
    out = sparse(feats, 'gt', pyr)
    active = (
        f'{out.logits[0].num_sites / (H * W):.1%} / {out.logits[1].num_sites / (H * W // 4):.1%}'
    )
    rows = []
    for name in fns:
        record('qgn_decoder', name, size=f'{H}x{W}', time_s=t[name],
               time_ratio=t[name] / t['dense decoder'],
               saved_ratio=saved[name] / saved['dense decoder'],
               peak_ratio=mem[name] / mem['dense decoder'])
        rows.append([name, f'{t[name] * 1e3:.0f}', f'{t[name] / t["dense decoder"]:.2f}x',
                     f'{saved[name] / MiB:.1f}', f'{saved[name] / saved["dense decoder"]:.2f}x',
                     f'{act[name] / MiB:.1f}', f'{act[name] / act["dense decoder"]:.2f}x',
                     f'{mem[name] / MiB:.1f}', f'{mem[name] / mem["dense decoder"]:.2f}x',
                     active if name.endswith("'gt'") else '100% / 100%'])
    print(
        format_table(
            rows,
            [
                'decoder',
                'ms',
                'time vs dense',
                'saved MiB',
                'vs dense',
                'fwd peak MiB',
                'vs dense',
                'fwd+bwd peak MiB',
                'vs dense',
                'active at levels 0 / 1',
            ],
        )
    )
    print('(saved = tensors autograd keeps for backward; fwd peak = peak of the forward pass with '
          'the graph\n kept (saved + transients); encoder maps and parameters excluded everywhere)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quick', action='store_true', help='fewer repeats and sizes')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    repeat = 3 if args.quick else 7
    fractions = (0.03, 0.10) if args.quick else (0.03, 0.10, 0.30)
    channels = (64,) if args.quick else (64, 128)
    torch.manual_seed(0)
    print(f'# bench_sparse  ({machine_summary()})')
    t0 = time.perf_counter()
    bench_submanifold(repeat, device, fractions, channels)
    if device.type == 'cpu':
        bench_spconv(repeat, fractions, channels)
    bench_t_pyramid(repeat if not args.quick else 5)
    bench_decoder(max(3, repeat // 2), device, (128, 256) if args.quick else (256, 512))
    print(f'\n(total {time.perf_counter() - t0:.0f} s)')


if __name__ == '__main__':
    main()
