"""Benchmarks of the foundation: group adjacency, superpixel graphs, torch SLIC, scatter backends.

Every number is a ratio of variants measured side by side in this run
(interleaved, median of repeats); see graphseg.analysis.timing.

    python scripts/bench_graphs.py [--quick] [--device cuda]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from graphseg.data import load_image
from graphseg.analysis.timing import (compare_times, format_table, machine_summary, peak_memory,
                                      record)
from graphseg.graphs import (DIRECTIONS, grid_graph, group_adjacency, kernel_to_direction_weights,
                             slic_torch, superpixel_graph, to_dense_adjacency)
from graphseg.ops import available_backends, scatter, typed_matmul_scatter


def voronoi_labels(size: int, groups: int, seed: int = 0) -> torch.Tensor:
    """A (size, size) map of `groups` Voronoi cells (superpixel-like regions)."""
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(groups, 2, generator=g) * size
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing='ij')
    d = (ys.reshape(-1, 1) - pts[:, 0]) ** 2 + (xs.reshape(-1, 1) - pts[:, 1]) ** 2
    return d.argmin(1).view(size, size)


def dense_reference(labels: torch.Tensor, G: int) -> torch.Tensor:
    """Eq. 4 + Eq. 7 + max-direction with dense matrices: S one-hot (Npix, G), 9 shifted copies."""
    H, W = labels.shape
    S = F.one_hot(labels, G).float()  # (H, W, G)
    Sp = F.pad(S.permute(2, 0, 1), (1, 1, 1, 1)).permute(1, 2, 0)  # zero outside the image
    # (9, H, W, G)
    shifted = torch.stack([Sp[1 + dy:1 + dy + H, 1 + dx:1 + dx + W] for dy, dx in DIRECTIONS])
    A = torch.einsum('hwi,khwj->kij', S, shifted)  # A^d_ij = sum_p S_pi S_(p+d)j
    eye = torch.eye(G, dtype=torch.bool)
    A[:, eye] = 0
    A = (A - A.flip(0)).clamp_min(0)  # Eq. 7
    # ties: lowest type for i < j, mirrored
    lower = torch.triu(torch.ones(G, G, dtype=torch.bool), diagonal=1)
    best = torch.where(lower, A.argmax(0), 8 - A.flip(0).argmax(0)).unsqueeze(0)
    A = torch.zeros_like(A).scatter_(0, best, A.gather(0, best))  # max-direction
    A[4] = torch.eye(G)
    return A


def bench_group_adjacency(repeat: int) -> None:
    print('\n## group_adjacency vs dense einsum reference (hard assignment, Eq. 4 + 7 + '
          'max-direction)')
    rows = []
    for size, G in [(64, 64), (128, 256), (256, 1024)]:
        labels = voronoi_labels(size, G)
        ours = to_dense_adjacency(*group_adjacency(labels, size, size, num_groups=G), num_nodes=G)
        assert torch.equal(ours, dense_reference(labels, G)), 'outputs differ'
        fns = {'graphseg': lambda: group_adjacency(labels, size, size, num_groups=G),
               'dense': lambda: dense_reference(labels, G)}
        t = compare_times(fns, repeat=repeat)
        m_ours = peak_memory(fns['graphseg'])
        m_dense = peak_memory(fns['dense'])
        record('group_adjacency', f'{size}x{size}, {G} groups', ours_s=t['graphseg'],
               dense_s=t['dense'], speedup=t['dense'] / t['graphseg'], mem_ratio=m_dense / m_ours,
               bytes_per_pixel=m_ours / size ** 2)
        rows.append([f'{size}x{size}', G, f'{t["graphseg"] * 1e3:.2f}', f'{t["dense"] * 1e3:.1f}',
                     f'{t["dense"] / t["graphseg"]:.1f}x', f'{m_ours / 2**20:.2f}',
                     f'{m_dense / 2**20:.1f}', f'{m_dense / m_ours:.0f}x',
                     f'{m_ours / size**2:.0f}'])
    print(format_table(rows, ['pixels', 'groups', 'ours ms', 'dense ms', 'speed-up', 'ours MiB',
                              'dense MiB', 'mem ratio', 'ours B/pixel']))
    print('(target at 128x128 / 256 groups: >= 5x faster; O(Npix) memory = constant bytes per '
          'pixel)')


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two label maps (Hubert & Arabie), from the contingency table."""
    a, b = np.unique(a.ravel(), return_inverse=True)[1], np.unique(b.ravel(),
                                                                   return_inverse=True)[1]
    pairs = lambda n: float((n * (n - 1) / 2).sum())  # noqa: E731
    sum_ij = pairs(np.bincount(a * (b.max() + 1) + b).astype(float))
    sum_a, sum_b = pairs(np.bincount(a).astype(float)), pairs(np.bincount(b).astype(float))
    expected = sum_a * sum_b / pairs(np.array([a.size], dtype=float))
    return (sum_ij - expected) / ((sum_a + sum_b) / 2 - expected)


def fragmentation(seg: np.ndarray):
    """(segments in several 8-connected pieces, share of pixels outside their segment's largest
    piece)."""
    from scipy import ndimage
    split = outside = 0
    for s in np.unique(seg):
        cc, k = ndimage.label(seg == s, structure=np.ones((3, 3)))
        if k > 1:
            sizes = np.bincount(cc.ravel())[1:]
            split, outside = split + 1, outside + sizes.sum() - sizes.max()
    return split, outside / seg.size


def bench_superpixel_vs_toslic(repeat: int) -> None:
    from skimage.segmentation import slic
    from torch_geometric.transforms import ToSLIC
    print('\n## superpixel_graph (x, pos AND direction-typed edges) vs PyG ToSLIC (x, pos only)')
    img = load_image('astronaut')
    toslic = ToSLIC(n_segments=1000)
    ref, ours = toslic(img), superpixel_graph(img, 1000)
    assert torch.equal(ref.x, ours.x) and torch.equal(ref.pos, ours.pos), 'x/pos differ from ToSLIC'
    ours_torch = superpixel_graph(img, 1000, method='torch')
    fns = {'ToSLIC': lambda: toslic(img), 'skimage': lambda: superpixel_graph(img, 1000),
           'torch': lambda: superpixel_graph(img, 1000, method='torch'),
           'torch, no connectivity': lambda: superpixel_graph(img, 1000, method='torch',
                                                              enforce_connectivity=False)}
    t = compare_times(fns, repeat=repeat)
    rows = []
    for m, d in (('skimage', ours), ('torch', ours_torch)):
        record('superpixel_vs_toslic', f"method='{m}'", toslic_s=t['ToSLIC'], ours_s=t[m],
               throughput_ratio=t['ToSLIC'] / t[m], nodes=d.num_nodes, edges=d.edge_index.size(1))
        rows.append([f'graphseg method={m!r}', f'{t["ToSLIC"] * 1e3:.1f}', f'{t[m] * 1e3:.1f}',
                     f'{t["ToSLIC"] / t[m]:.2f}x', d.num_nodes, d.edge_index.size(1)])
    raw = t['torch, no connectivity']
    rows.append(
        [
            "method='torch', enforce_connectivity=False",
            f'{t["ToSLIC"] * 1e3:.1f}',
            f'{raw * 1e3:.1f}',
            f'{t["ToSLIC"] / raw:.2f}x',
            '',
            '',
        ]
    )
    print(
        format_table(
            rows, ['variant', 'ToSLIC ms', 'graphseg ms', 'throughput ratio', 'nodes', 'edges']
        )
    )
    print("(astronaut 512x512, n_segments=1000; target: method='torch' >= 1.5x. 'skimage' runs "
          "the same SLIC as\n"
          " ToSLIC and gives identical x/pos; 'torch' is the batched torch SLIC with "
          "connectivity enforcement)")

    print('\n## torch SLIC vs skimage SLIC: connectivity and agreement (adjusted Rand index, ARI)')
    rows = []
    for name in ('astronaut', 'coffee', 'chelsea'):
        im = load_image(name)[:3]
        arr = im.permute(1, 2, 0).double().numpy()
        for n in (400, 1000):
            sk = slic(arr, n, start_label=0)
            sk_raw = slic(arr, n, start_label=0, enforce_connectivity=False)
            ours_seg = slic_torch(im, n)[0][0].numpy()
            raw = slic_torch(im, n, enforce_connectivity=False)[0][0].numpy()
            self_ari = [
                adjusted_rand_index(sk, slic(arr, n, compactness=c, start_label=0))
                for c in (9.0, 11.0)
            ]
            ari = adjusted_rand_index(sk, ours_seg)
            (s_raw, o_raw), (s_conn, o_conn) = fragmentation(raw), fragmentation(ours_seg)
            s_sk, o_sk = fragmentation(sk_raw)
            record('slic_agreement', f'{name}, n={n}', ari_torch_vs_skimage=ari,
                   ari_skimage_m9=self_ari[0], ari_skimage_m11=self_ari[1],
                   segments_torch=int(ours_seg.max()) + 1, segments_skimage=int(sk.max()) + 1,
                   split_segments=s_conn, split_segments_raw=s_raw, pixels_outside_raw=o_raw)
            rows.append([name, n, f'{ari:.3f}', f'{self_ari[0]:.3f} / {self_ari[1]:.3f}',
                         f'{int(ours_seg.max()) + 1} / {int(sk.max()) + 1}',
                         f'{s_conn} ({o_conn:.1%})', f'{s_raw} ({o_raw:.1%})',
                         f'{s_sk} ({o_sk:.1%})'])
    print(format_table(rows, ['image', 'n', 'ARI torch vs skimage', 'ARI skimage m=10 vs 9 / 11',
                              'segments torch / skimage',
                              'split segments (pixels outside main piece)',
                              'same, torch without connectivity',
                              'same, skimage without connectivity']))
    print('(target: ARI torch vs skimage about as high as skimage vs itself at compactness +-10 '
          '%; 0 split segments)')


def bench_torch_slic(repeat: int, device: torch.device) -> None:
    from skimage.segmentation import slic
    print('\n## torch SLIC vs skimage SLIC (astronaut 512x512, n_segments=1000)')
    img = load_image('astronaut')
    arr = img.permute(1, 2, 0).double().numpy()
    rows = []
    for B in (1, 4):
        batch = img.unsqueeze(0).repeat(B, 1, 1, 1).to(device)
        fns = {'skimage': lambda: [slic(arr, n_segments=1000, start_label=0) for _ in range(B)],
               'torch': lambda: slic_torch(batch, 1000)}
        t = compare_times(fns, repeat=max(3, repeat // 2), device=device)
        record('slic_torch_vs_skimage', f'batch {B}', skimage_s=t['skimage'], torch_s=t['torch'],
               speedup=t['skimage'] / t['torch'])
        rows.append([B, str(device), f'{t["skimage"] * 1e3:.0f}', f'{t["torch"] * 1e3:.0f}',
                     f'{t["skimage"] / t["torch"]:.2f}x'])
    print(format_table(rows, ['batch', 'torch device', 'skimage ms', 'torch ms', 'torch speed-up']))


def bench_backends(repeat: int) -> None:
    print('\n## scatter / typed-edge kernel backends (CPU)')
    src = torch.randn(500_000, 32)
    index = torch.randint(0, 20_000, (500_000,))
    rows = []
    for reduce in ('sum', 'max'):
        fns = {b: (lambda b=b: scatter(src, index, 0, 20_000, reduce, backend=b))
               for b in available_backends() if b != 'torch_sparse'}
        t = compare_times(fns, repeat=repeat)
        rows += [[f'scatter {reduce}', b, f'{v * 1e3:.2f}', f'{t["torch"] / v:.2f}x'] for b,
                 v in t.items()]
    g = grid_graph(90, 90)
    x = torch.randn(90 * 90, 128)
    w = kernel_to_direction_weights(torch.randn(128, 128, 3, 3))
    fns = {b: (lambda b=b: typed_matmul_scatter(x, w, g.edge_index, g.edge_type, backend=b))
           for b in available_backends()}

    def gather_scatter():  # the earlier 'torch' backend: index_select + scatter_add of E messages
        h = (x @ w.permute(1, 0, 2).reshape(128, 9 * 128)).view(-1, 128)
        return scatter(h.index_select(0, g.edge_index[0] * 9 + g.edge_type), g.edge_index[1], 0,
                       90 * 90)
    fns['torch, gather + scatter (earlier)'] = gather_scatter
    fns['F.conv2d'] = lambda: F.conv2d(x.t().reshape(1, 128, 90, 90), torch.randn(128, 128, 3, 3),
                                       padding=1)
    t = compare_times(fns, repeat=repeat)
    rows += [['typed 90x90 C=128', b, f'{v * 1e3:.2f}', f'{t["torch"] / v:.2f}x'] for b,
             v in t.items()]
    for r in rows:
        record('backends', f'{r[0]}, {r[1]}', time_s=float(r[2]) / 1e3,
               speed_vs_torch=float(r[3][:-1]))
    print(format_table(rows, ['op', 'backend', 'ms', 'speed vs torch']))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quick', action='store_true', help='fewer repeats')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else 9
    np.random.seed(0)
    torch.manual_seed(0)
    print(f'# bench_graphs  ({machine_summary()})')
    bench_group_adjacency(repeat)
    bench_superpixel_vs_toslic(repeat)
    bench_torch_slic(repeat, torch.device(args.device))
    bench_backends(repeat)


if __name__ == '__main__':
    main()
