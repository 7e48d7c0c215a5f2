"""The small cached inputs of the bad-input table (tests/test_bad_input.py): images, graphs,
models, a temporary folder of broken files, the graphseg command run in-process. The rows
modules (tests/<package>/bad_input.py) import them by name."""
from __future__ import annotations

import contextlib
import functools
import io

import numpy as np
import torch

from graphseg import graphs, models, ops
from graphseg import data as gdata
from graphseg import nn as gnn
from graphseg.cli import main

NAN = float('nan')
OTHER = 'meta'  # a device no test tensor lives on (CUDA rows would need a second GPU)


# ----------------------------------------------------------------------------- cached fixtures

def _seeded(fn):
    @functools.lru_cache(maxsize=None)
    def wrapper(*args):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return fn(*args)
    return wrapper


@_seeded
def img(H=20, W=24):
    """A (3, H, W) float image in [0, 1] (a crop of astronaut, so SLIC finds structure)."""
    return gdata.load_image('astronaut')[:, 100:100 + 2 * H:2, 200:200 + 2 * W:2].contiguous()


@_seeded
def sp():
    return graphs.superpixel_graph(img(), 12)


@_seeded
def grid():
    return graphs.grid_graph(4, 5)


@_seeded
def labels(B=None):
    return torch.randint(0, 5, (8, 8) if B is None else (B, 8, 8))


@_seeded
def typed():
    """(x (10, 4), edge_index, edge_type, edge_weight) of a group graph."""
    ei, et, ew = graphs.group_adjacency(torch.randint(0, 10, (12, 12)), 12, 12, num_groups=10)
    return torch.randn(10, 4), ei, et, ew


@_seeded
def smap():
    x = torch.randn(2, 4, 8, 8)
    return ops.SparseMap.from_dense(x, torch.rand(2, 8, 8) < 0.4)


@_seeded
def hg():
    return gnn.HGConv(4, 4, num_layers=1, num_groups=6).eval()


@_seeded
def fcn():
    return models.create_model('fcn_small', num_classes=3).eval()


@_seeded
def tree():
    return graphs.Quadtree.from_labels(torch.randint(0, 3, (8, 8)), 3, 3)


@_seeded
def pyramid():
    return graphs.t_pyramid(torch.randint(0, 3, (8, 8)), 3, 3)


@_seeded
def qgn_decoder():
    """A two-level QGN decoder on encoder maps at strides 2 and 4 (the layout of the released
    decoder, shortened)."""
    return gnn.QGNDecoder((8, 16), num_classes=3, widths=(16, 8), blocks=(1,),
                          final_blocks=1).eval()


def qgn_features(B=1, H=16, W=16):
    return [torch.randn(B, 8, H // 2, W // 2), torch.randn(B, 16, H // 4, W // 4)]


@_seeded
def qgn():
    return models.qgn_resnet34(num_classes=3, encoder='resnet18').eval()


@_seeded
def hyperseg():
    return models.hyperseg_s(num_classes=3).eval()


@_seeded
def dataset():
    return gdata.MNISTSegmentation('val', 4, size=48)


@_seeded
def mnist_model():
    return models.create_model('fcn_small', in_channels=1, num_classes=gdata.NUM_CLASSES)


def cli(*argv):
    """Run ``graphseg *argv``; a non-zero exit (raised or returned) re-raises as SystemExit carrying
    its message and what was printed (a per-input failure of ``graphseg graph`` is reported on
    stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stderr(out), contextlib.redirect_stdout(out):
        try:
            code = main(list(argv))
        except SystemExit as e:
            code = e.code
    if code in (0, None):
        return 0
    raise SystemExit(f'{code if not isinstance(code, int) else ""} {out.getvalue()}')


_fresh = iter(range(10 ** 6))


def fresh():
    """A run folder that does not exist yet (a bad-argument row must fail before creating it)."""
    return f'{files()}/out_{next(_fresh)}'


@functools.lru_cache(maxsize=None)
def files(tmp=None):
    """A folder with a text file named .png, an empty .png, a directory named .png and a plain
    file."""
    import tempfile
    root = tempfile.mkdtemp(prefix='graphseg_bad_input_')
    with open(f'{root}/text.png', 'w') as f:
        f.write('not an image\n')
    open(f'{root}/empty.png', 'wb').close()
    import os
    os.mkdir(f'{root}/folder.png')
    with open(f'{root}/plain_file', 'w') as f:
        f.write('x')
    with open(f'{root}/config.yaml', 'w') as f:
        f.write('- a list\n- not a mapping\n')
    with open(f'{root}/broken.yaml', 'w') as f:
        f.write('steps: [1, 2\n')
    torch.save({'weight': torch.zeros(2)}, f'{root}/weights.pt')
    with open(f'{root}/garbage.pt', 'w') as f:
        f.write('not a checkpoint')
    with open(f'{root}/run.yaml', 'w') as f:  # a valid run config
        f.write('model: {name: fcn_small}\ntrain: {steps: 1, batch_size: 2}\n'
                'data: {kwargs: {num_samples: 4, size: 48}, val_kwargs: {num_samples: 2}}\n')
    with open(f'{root}/camvid.yaml', 'w') as f:
        f.write('model: {name: fcn_small}\ndata: {dataset: camvid, root: /nonexistent/camvid}\n')
    with open(f'{root}/not_idx', 'wb') as f:
        f.write(b'hello world')
    with open(f'{root}/truncated_idx', 'wb') as f:
        f.write(bytes([0, 0, 8, 3, 0, 0, 0, 1]))  # announces 3 dimensions, holds one
    return root


@functools.lru_cache(maxsize=None)
def layouts():
    """Tiny fake dataset folders: CamVid with an image but no label, a VOC tree without split lists,
    an empty folder, a class folder without class sub-folders."""
    import os
    import tempfile

    from PIL import Image
    root = tempfile.mkdtemp(prefix='graphseg_bad_layouts_')
    for d in ('camvid/train', 'camvid/trainannot', 'voc/VOCdevkit/VOC2012/ImageSets/Segmentation',
              'empty', 'classes', 'idx'):
        os.makedirs(f'{root}/{d}')
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(f'{root}/camvid/train/a.png')
    return root


def _figure():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure()
    plt.close(fig)
    return fig


def _another_fcn_small():
    return None


_another_fcn_small.__name__ = 'fcn_small'

E, S = ValueError, TypeError


def _close(a, b):
    torch.testing.assert_close(a, b)
    return True


@functools.lru_cache(maxsize=None)
def workflow():
    """Files for the run-folder rows: configs a careless YAML reader would misread, weights a
    careless loader would trust, and a finished one-step run (``run/``) to resume."""
    import argparse
    import os

    from graphseg.fileio import atomic_torch_save
    root = files()
    base = 'model: {name: fcn_small}\ntrain: {steps: 1, batch_size: 2}\n' \
           'data: {kwargs: {num_samples: 4, size: 48}, val_kwargs: {num_samples: 2}}\n'
    texts = {
        'duplicate.yaml': base + 'train: {steps: 5}\n',
        'yes.yaml': base.replace('steps: 1,', 'steps: 1, amp: yes,'),
        'octal.yaml': base.replace('steps: 1,', 'steps: 010,'),
        'huge.yaml': base.replace('steps: 1,', 'steps: ' + '9' * 200 + ','),
        'bomb.yaml': 'a: &a [x, x, x, x, x, x, x, x, x, x]\n' + ''.join(
            f'{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n'
            for p, c in zip('abcdefg', 'bcdefgh')),
        'more_steps.yaml': base.replace('steps: 1,', 'steps: 3,'),
        'other_lr.yaml': base.replace('steps: 1,', 'steps: 3, lr: 0.5,'),
    }
    for name, text in texts.items():
        with open(f'{root}/{name}', 'w', encoding='utf-8') as f:
            f.write(text)
    with open(f'{root}/utf16.yaml', 'w', encoding='utf-16') as f:
        f.write(base)
    torch.save({'model': argparse.Namespace(lr=1)}, f'{root}/unsafe.pt')
    state = mnist_model().state_dict()
    nan = {k: v.clone() for k, v in state.items()}
    next(v for v in nan.values() if v.is_floating_point()).fill_(float('nan'))
    torch.save(nan, f'{root}/nan_weights.pt')
    atomic_torch_save(state, f'{root}/tampered.pt')
    with open(f'{root}/tampered.pt', 'r+b') as f:  # one byte flipped after the checksum was taken
        f.seek(os.path.getsize(f'{root}/tampered.pt') // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    cli('train', '--config', f'{root}/run.yaml', '--out', f'{root}/run')
    return root


def while_locked(folder, *argv):
    """``graphseg *argv`` while another command holds the run folder ``folder``."""
    from graphseg.fileio import locked_run_folder
    with locked_run_folder(folder, 'train'):
        return cli(*argv)
