"""``graphseg graph IMAGE... --kind K``: images -> PyG graphs (``.pt``) and figures (``.png``) in a
run folder.

Kinds (:data:`graphseg.viz.GRAPH_KINDS`): ``grid`` (the pixel lattice a 3x3
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
from typing import Dict

from ._common import HelpFormatter, add_run_options, check_sources, describe

#: the ``--kind`` choices (built and drawn by :data:`graphseg.viz.GRAPH_KINDS`)
KINDS = {
    'grid': 'the pixel lattice on square cells (the graph of a 3x3 convolution)',
    'superpixel': 'SLIC superpixels with direction-typed, noise-canceled edges',
    'quadtree': 'the quadtree of the SLIC label map (QGN): cells as nodes, parent->child and '
                'same-level direction-typed edges',
}


def add_parser(sub, name: str) -> None:
    g = sub.add_parser(name, help='turn images into PyG graphs (.pt) and figures (.png)',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    g.add_argument('images', nargs='+',
                   help='image files or bundled skimage.data names (e.g. astronaut)')
    g.add_argument('--kind', default='superpixel', choices=sorted(KINDS),
                   help='; '.join(f'{k}: {v}' for k, v in sorted(KINDS.items())))
    g.add_argument('--n-segments', type=int, default=400,
                   help='approximate number of nodes (superpixels, cells)')
    g.add_argument('--compactness', type=float, default=10., help='SLIC compactness')
    g.add_argument('--method', default='skimage', choices=['skimage', 'torch'],
                   help='SLIC implementation')
    g.add_argument('--no-plot', action='store_true', help='skip the PNG figures')
    add_run_options(g, 'graphseg_out')
    g.set_defaults(run=run)


def make_graphs(sources, kind: str, args: argparse.Namespace, out: str,
                progress: bool = True) -> Dict:
    """Build, save and draw one graph per source into ``out``; returns
    ``{'outputs', 'failures'}``."""
    # lazy: keeps `graphseg --help` fast
    from tqdm import tqdm

    from ..data import load_image
    from ..engine.run_folder import unique_names
    from ..fileio import atomic_torch_save
    from ..viz import GRAPH_KINDS

    spec = GRAPH_KINDS[kind]
    outputs, failures = [], []
    names = unique_names(sources)
    for source, name in tqdm(list(zip(sources, names)), desc=f'{kind} graphs', unit='image',
                             disable=not progress):
        try:
            image = load_image(source)
            data = spec.build(image, args.n_segments, args.compactness, args.method)
            files = [os.path.join(out, f'{name}.pt')]
            atomic_torch_save(data, files[0], root=out, checksum=False)
            if not args.no_plot:
                files.append(os.path.join(out, f'{name}.png'))
                spec.plot(data, image, files[1])
            outputs.append(
                {
                    'input': source,
                    'kind': kind,
                    'files': [os.path.basename(f) for f in files],
                    'graph': str(data),
                }
            )
            tqdm.write(f'{source} -> {name}: {data}')
        except Exception as e:  # noqa: BLE001 - isolate one image's failure, report it, go on
            failures.append({'input': source, 'error': f'{type(e).__name__}: {e}'})
            tqdm.write(f'FAILED {source}: {type(e).__name__}: {e}')
    return {'outputs': outputs, 'failures': failures}


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    import matplotlib
    matplotlib.use('Agg')

    from ..engine.run_folder import check_run_dir, finish_record, run_record, write_json
    from ..fileio import locked_run_folder

    if args.n_segments < 1:
        raise ValueError(f"--n-segments must be >= 1, got {args.n_segments}")
    if not 0 < args.compactness < float('inf'):
        raise ValueError(f"--compactness must be > 0, got {args.compactness}")
    check_sources(args.images)
    out = check_run_dir(args.out, args.overwrite)
    with locked_run_folder(out, 'graphseg graph'):  # creates the folder
        record = run_record('graph', options={k: v for k, v in vars(args).items() if k != 'run'})
        result = make_graphs(args.images, args.kind, args, out)
        record.update(result)
        status = 'failed' if result['failures'] else 'completed'
        write_json(os.path.join(out, 'run.json'), finish_record(record, status), root=out)
    n_bad = len(result['failures'])
    print(f'wrote {len(result["outputs"])} graph(s) to {out}'
          + (f'; {n_bad} failed (see run.json)' if n_bad else ''))
    return 1 if n_bad else 0
