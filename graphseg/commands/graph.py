"""``graphseg graph IMAGE... --kind K``: images -> PyG graphs (``.pt``) and figures (``.png``) in a run folder.

Kinds are a plain registry (:func:`register_graph_kind`): ``grid`` (the pixel lattice a 3x3
convolution runs on, drawn on cells), ``superpixel`` (SLIC superpixels with direction-typed,
noise-canceled edges: the group graph of HG-Conv) and ``quadtree`` (QGN's quadtree cells).
Every input is checked before the run folder is created; two inputs with the same file
name get distinct outputs (``x``, ``x-2``); a failure on one image is reported and the
others are still processed (exit status 1 if any failed). ``run.json`` lists inputs,
outputs, failures and the options.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Callable, Dict

import torch


@dataclass(frozen=True)
class GraphKind:
    """How ``graphseg graph --kind NAME`` builds and draws a graph."""
    build: Callable[[torch.Tensor, argparse.Namespace], object]
    plot: Callable[[object, torch.Tensor, str], None]
    help: str


GRAPH_KINDS: Dict[str, GraphKind] = {}


def register_graph_kind(name: str, build, plot, help: str) -> None:
    """Add a ``--kind`` choice to ``graphseg graph`` (a plain dict registry)."""
    GRAPH_KINDS[name] = GraphKind(build, plot, help)


def build_superpixel(image, args):
    from ..graphs import superpixel_graph
    return superpixel_graph(image, args.n_segments, args.compactness, method=args.method)


def build_quadtree(image, args):
    from ..graphs import slic_quadtree
    return slic_quadtree(image, args.n_segments, args.compactness, method=args.method)


def build_grid(image, args):
    """The lattice of square cells (about ``n_segments`` of them): each cell a node, typed edges to its 8
    neighbours, as :func:`~graphseg.graphs.grid_graph` on a downsampled image (a 3x3 conv's graph)."""
    from ..graphs.superpixel import _graph_from_labels
    C, H, W = image.shape
    cell = max(1, int(round((H * W / max(args.n_segments, 1)) ** 0.5)))
    ys = torch.arange(H) // cell
    xs = torch.arange(W) // cell
    cols = int(xs[-1]) + 1
    seg = ys[:, None] * cols + xs[None, :]
    return _graph_from_labels(image, seg, int(seg.max()) + 1, noise_cancel=True, max_direction=True)


def _figure_saver(plot_name: str) -> Callable[[object, torch.Tensor, str], None]:
    """A ``plot`` for :class:`GraphKind`: draw with ``graphseg.viz.<plot_name>`` and save a PNG."""
    def save(data, image, path):
        import matplotlib.pyplot as plt

        from .. import viz
        fig, ax = plt.subplots(figsize=(8, 8))
        getattr(viz, plot_name)(data, image, ax=ax)
        fig.savefig(path, dpi=100, bbox_inches='tight')
        plt.close(fig)
    return save


register_graph_kind('grid', build_grid, _figure_saver('plot_superpixel_graph'),
                    'the pixel lattice on square cells (the graph of a 3x3 convolution)')
register_graph_kind('superpixel', build_superpixel, _figure_saver('plot_superpixel_graph'),
                    'SLIC superpixels with direction-typed, noise-canceled edges')
register_graph_kind('quadtree', build_quadtree, _figure_saver('plot_quadtree_graph'),
                    'the quadtree of the SLIC label map (QGN): cells as nodes, parent->child and same-level '
                    'direction-typed edges')


def add_parser(sub, name: str) -> None:
    from ..cli import HelpFormatter, describe, add_run_options
    g = sub.add_parser(name, help='turn images into PyG graphs (.pt) and figures (.png)', formatter_class=HelpFormatter,
                       description=describe(__doc__))
    g.add_argument('images', nargs='+', help='image files or bundled skimage.data names (e.g. astronaut)')
    g.add_argument('--kind', default='superpixel', choices=sorted(GRAPH_KINDS),
                   help='; '.join(f'{k}: {v.help}' for k, v in sorted(GRAPH_KINDS.items())))
    g.add_argument('--n-segments', type=int, default=400, help='approximate number of nodes (superpixels, cells)')
    g.add_argument('--compactness', type=float, default=10., help='SLIC compactness')
    g.add_argument('--method', default='skimage', choices=['skimage', 'torch'], help='SLIC implementation')
    g.add_argument('--no-plot', action='store_true', help='skip the PNG figures')
    add_run_options(g, 'graphseg_out')
    g.set_defaults(run=run)


def check_sources(sources) -> None:
    from ..data import SKIMAGE_GRAY, SKIMAGE_PHOTOS
    for s in sources:
        if not (os.path.isfile(s) or s in SKIMAGE_PHOTOS + SKIMAGE_GRAY):
            raise FileNotFoundError(f"image {s!r} is neither an image file nor a bundled skimage.data name "
                                    f"{SKIMAGE_PHOTOS + SKIMAGE_GRAY}")


def make_graphs(sources, kind: str, args: argparse.Namespace, out: str, progress: bool = True) -> Dict:
    """Build, save and draw one graph per source into ``out``; returns ``{'outputs', 'failures'}``."""
    from tqdm import tqdm

    from ..data import load_image
    from ..engine.runs import unique_names
    spec = GRAPH_KINDS[kind]
    outputs, failures = [], []
    names = unique_names(sources)
    for source, name in tqdm(list(zip(sources, names)), desc=f'{kind} graphs', unit='image', disable=not progress):
        try:
            image = load_image(source)
            data = spec.build(image, args)
            files = [os.path.join(out, f'{name}.pt')]
            torch.save(data, files[0])
            if not args.no_plot:
                files.append(os.path.join(out, f'{name}.png'))
                spec.plot(data, image, files[1])
            outputs.append({'input': source, 'kind': kind, 'files': [os.path.basename(f) for f in files],
                            'graph': str(data)})
            tqdm.write(f'{source} -> {name}: {data}')
        except Exception as e:  # noqa: BLE001 - isolate one image's failure, report it, go on
            failures.append({'input': source, 'error': f'{type(e).__name__}: {e}'})
            tqdm.write(f'FAILED {source}: {type(e).__name__}: {e}')
    return {'outputs': outputs, 'failures': failures}


def run(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use('Agg')

    from ..engine.runs import check_run_dir, create_run_dir, finish_record, run_record, write_json
    if args.n_segments < 1:
        raise ValueError(f"--n-segments must be >= 1, got {args.n_segments}")
    if not 0 < args.compactness < float('inf'):
        raise ValueError(f"--compactness must be > 0, got {args.compactness}")
    check_sources(args.images)
    out = create_run_dir(check_run_dir(args.out, args.overwrite))
    record = run_record('graph', options={k: v for k, v in vars(args).items() if k != 'run'})
    result = make_graphs(args.images, args.kind, args, out)
    record.update(result)
    write_json(os.path.join(out, 'run.json'), finish_record(record, 'failed' if result['failures'] else 'completed'))
    n_bad = len(result['failures'])
    print(f'wrote {len(result["outputs"])} graph(s) to {out}' + (f'; {n_bad} failed (see run.json)' if n_bad else ''))
    return 1 if n_bad else 0
