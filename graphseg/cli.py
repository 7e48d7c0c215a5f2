"""The ``graphseg`` command (also ``python -m graphseg``).

Subcommands:

* ``graphseg graph IMAGE [IMAGE ...] --kind superpixel --n-segments N --out DIR``:
  build one graph per image (a file, or a bundled ``skimage.data`` name such as
  ``astronaut``) and write ``DIR/<name>.pt`` (the PyG ``Data``) and
  ``DIR/<name>.png`` (the figure), with a progress bar.
* ``graphseg info``: versions, optional backends and their ``WITH_*`` flags.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

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


def _build_superpixel(image, args):
    from .graphs import superpixel_graph
    return superpixel_graph(image, args.n_segments, args.compactness, method=args.method)


def _plot_superpixel(data, image, path):
    import matplotlib.pyplot as plt

    from .viz import plot_superpixel_graph
    fig, ax = plt.subplots(figsize=(8, 8))
    plot_superpixel_graph(data, image, ax=ax)
    fig.savefig(path, dpi=100, bbox_inches='tight')
    plt.close(fig)


register_graph_kind('superpixel', _build_superpixel, _plot_superpixel,
                    'SLIC superpixels with direction-typed, noise-canceled edges')

from .graphs.quadtree import slic_quadtree  # noqa: E402
from .viz_quadtree import save_quadtree_figure  # noqa: E402

register_graph_kind('quadtree',
                    lambda image, args: slic_quadtree(image, args.n_segments, args.compactness, method=args.method),
                    save_quadtree_figure,
                    'the quadtree of the SLIC label map (QGN): cells as nodes, parent->child and same-level '
                    'direction-typed edges')


def _cmd_graph(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use('Agg')
    from tqdm import tqdm

    from .data import load_image

    if args.n_segments < 1:
        raise SystemExit(f"graphseg graph: --n-segments must be >= 1, got {args.n_segments}")
    kind = GRAPH_KINDS[args.kind]
    os.makedirs(args.out, exist_ok=True)
    for source in tqdm(args.images, desc=f'{args.kind} graphs', unit='image'):
        image = load_image(source)
        data = kind.build(image, args)
        name = os.path.splitext(os.path.basename(str(source)))[0]
        torch.save(data, os.path.join(args.out, f'{name}.pt'))
        if not args.no_plot:
            kind.plot(data, image, os.path.join(args.out, f'{name}.png'))
        tqdm.write(f'{name}: {data}')
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import torch_geometric

    from . import __version__, typing
    from .ops import available_backends, get_backend
    print(f'graphseg {__version__}  torch {torch.__version__}  torch_geometric {torch_geometric.__version__}')
    print(f'cuda available: {torch.cuda.is_available()}')
    print(f'backends: {", ".join(available_backends())} (default: {get_backend()})')
    for flag in typing.__all__:
        print(f'  {flag} = {getattr(typing, flag)}')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='graphseg', description='Adaptive semantic segmentation as graph learning.')
    sub = parser.add_subparsers(dest='command', required=True)

    g = sub.add_parser('graph', help='turn images into PyG graphs (.pt) and figures (.png)')
    g.add_argument('images', nargs='+', help='image files or bundled skimage.data names (e.g. astronaut)')
    g.add_argument('--kind', default='superpixel', choices=sorted(GRAPH_KINDS),
                   help='; '.join(f'{k}: {v.help}' for k, v in sorted(GRAPH_KINDS.items())))
    g.add_argument('--n-segments', type=int, default=400, help='approximate number of superpixels')
    g.add_argument('--compactness', type=float, default=10., help='SLIC compactness')
    g.add_argument('--method', default='skimage', choices=['skimage', 'torch'], help='SLIC implementation')
    g.add_argument('--out', default='graphseg_out', help='output directory')
    g.add_argument('--no-plot', action='store_true', help='skip the PNG figures')
    g.set_defaults(func=_cmd_graph)

    i = sub.add_parser('info', help='versions and optional backends')
    i.set_defaults(func=_cmd_info)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
