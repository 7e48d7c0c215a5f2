"""``graphseg weights list|download``, and named weights through ``graphseg train`` / ``graphseg
eval`` without internet: the local HTTP server of ``tests/models/test_pretrained.py`` serves small
state dicts with the real key names and shapes; "offline" is a ``socket.create_connection`` that
fails as on a machine without a network, so the real URLs are the ones named."""
from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
import socket

import numpy as np
import pytest
import torch
from PIL import Image

from graphseg.cli import main
from graphseg.engine.config import load_run_config, shipped_configs
from graphseg.models import create_model, load_official, model_logits, pretrained
from graphseg.models.pretrained import WEIGHTS
from tests.models import test_pretrained

#: the local server's fixtures (``serve(name)`` serves a file of the real keys and points the
#: catalogue entry at it; ``TORCH_HOME`` is an empty folder)
weights_server, serve = test_pretrained.weights_server, test_pretrained.serve

#: the shipped HG-Conv Table 12 config (model.backbone_weights: imagenet), shrunk to a CPU step
SMALL = ['data.crop_size=[32,32]', 'train.steps=1', 'train.batch_size=2', 'train.num_workers=0',
         'train.log_every=1', 'model.sync_bn=false', 'eval.scales=[1.0]', 'eval.flip=false',
         'device=cpu']


def cityscapes_folder(root, size=(32, 48)):
    """The official layout with 2 train and 1 val random images (19 train classes)."""
    rng = np.random.default_rng(0)
    for split, n in (('train', 2), ('val', 1)):
        for k in range(n):
            stem = f'ulm_{k:06d}_000019'
            for top in ('leftImg8bit', 'gtFine'):
                os.makedirs(root / top / split / 'ulm', exist_ok=True)
            Image.fromarray((rng.random((*size, 3)) * 255).astype(np.uint8)).save(
                root / 'leftImg8bit' / split / 'ulm' / f'{stem}_leftImg8bit.png')
            Image.fromarray(rng.choice([0, 7, 8, 11, 26], size=size).astype(np.uint8)).save(
                root / 'gtFine' / split / 'ulm' / f'{stem}_gtFine_labelIds.png')
    return root


@pytest.fixture
def offline(monkeypatch):
    """No network: every connection fails as it does without a route (DNS included)."""
    def unreachable(*args, **kwargs):
        raise OSError(101, 'Network is unreachable')
    monkeypatch.setattr(socket, 'create_connection', unreachable)


def _cache(tmp_path):
    return tmp_path / 'torch' / 'hub' / 'checkpoints'


# ------------------------------------------------------------------------- weights list/download

def test_weights_list_shows_the_catalogue_and_what_is_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    assert main(['weights', 'list']) == 0
    out = capsys.readouterr().out
    for name in pretrained.list_weights():
        assert name in out, name
    assert 'https://download.pytorch.org/models/resnet50-0676ba61.pth' in out
    assert '0676ba61' in out and 'none published' in out and 'by hand: https://1drv.ms/' in out
    assert 'hyperseg_m (its released variant)' in out
    assert str(_cache(tmp_path)) not in out  # nothing cached
    assert main(['weights', 'list', '--kind', 'model']) == 0
    out = capsys.readouterr().out
    assert 'hyperseg_m_cityscapes' in out and 'resnet50_imagenet' not in out
    # a pre-filled cache shows its paths
    path = WEIGHTS['hyperseg_s_camvid'].path()
    os.makedirs(os.path.dirname(path))
    open(path, 'wb').close()
    assert main(['weights', 'list', '--kind', 'model']) == 0
    assert path in capsys.readouterr().out


def test_weights_download_fills_the_cache_from_the_server(serve, tmp_path, capsys):
    state = serve('resnet18_imagenet')
    assert main(['weights', 'download', 'resnet18_imagenet', '--no-progress']) == 0
    path = str(_cache(tmp_path) / 'resnet18-f37072fd.pth')
    assert capsys.readouterr().out.strip() == path
    loaded = torch.load(path, weights_only=True)
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
    other = tmp_path / 'usb'
    assert main(['weights', 'download', 'official:resnet18_imagenet', '--cache', str(other),
                 '--no-progress']) == 0
    assert os.listdir(other) == ['resnet18-f37072fd.pth']


def test_weights_download_errors_are_one_line(serve, tmp_path, offline):
    with pytest.raises(SystemExit, match=r"graphseg weights: error: weights must be a catalogue "
                                         r"name \(graphseg weights list\), got 'resnet19_imagenet' "
                                         r"\(did you mean 'resnet18_imagenet'\?\); one of \["):
        main(['weights', 'download', 'resnet18_imagenet', 'resnet19_imagenet'])
    assert not _cache(tmp_path).exists()  # every name checked before anything is fetched
    with pytest.raises(SystemExit) as e:
        main(['weights', 'download', 'resnet50_imagenet', '--no-progress'])
    message = str(e.value.code)
    assert '\n' not in message
    assert message.startswith("graphseg weights: error: weights 'resnet50_imagenet': cannot "
                              "download https://download.pytorch.org/models/resnet50-0676ba61.pth")
    assert message.endswith(f"put it at {_cache(tmp_path) / 'resnet50-0676ba61.pth'}")


# --------------------------------------------------------------- train from ImageNet backbones

def test_train_on_an_empty_cache_offline_fails_in_one_line(tmp_path, monkeypatch, offline):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    with pytest.raises(SystemExit) as e:  # before any data are read: the root does not exist
        main(['train', '--config', 'hg_resnet18_cityscapes', *SMALL, 'data.root=/nonexistent',
              '--out', str(tmp_path / 'run'), '--no-progress'])
    message = str(e.value.code)
    url = 'https://download.pytorch.org/models/resnet18-f37072fd.pth'
    assert '\n' not in message and message.startswith(
        f"graphseg train: error: weights 'resnet18_imagenet': cannot download {url} (")
    assert message.endswith(f"put it at {_cache(tmp_path) / 'resnet18-f37072fd.pth'}")
    assert not _cache(tmp_path).exists() or os.listdir(_cache(tmp_path)) == []


def _pretrained_configs():
    """The shipped configs that start from ImageNet weights (every paper row but scratch ones)."""
    return [n for n in sorted(shipped_configs()) if load_run_config(n).model.backbone_weights]


@pytest.mark.parametrize('config', _pretrained_configs())
def test_every_pretrained_paper_config_names_its_file_offline(config, tmp_path, monkeypatch,
                                                              offline):
    """Each paper row resolves its backbone to the catalogue entry made for that model (its
    ``used_by``, or the encoder its kwargs name) and, offline on an empty cache, stops in one line
    with the URL (or the share page of a file fetched by hand) and the exact cache path."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    mc = load_run_config(config).model
    with pytest.raises(SystemExit) as e:
        main(['train', '--config', config, 'data.root=/nonexistent', '--out',
              str(tmp_path / 'run'), '--no-progress'])
    message = str(e.value.code)
    found = re.match(r"graphseg train: error: weights '(\w+)'"
                     r"(: cannot download| have no direct download URL)", message)
    assert found and '\n' not in message, message
    entry = WEIGHTS[found.group(1)]
    assert entry.kind == 'backbone'
    assert (any(fnmatch.fnmatch(mc.name, p) for p in entry.used_by)
            or entry.arch in mc.kwargs.values()), (config, mc.name, entry.name)
    assert (entry.url or entry.page) in message
    assert message.endswith(f"put it at {_cache(tmp_path) / entry.file_name}")
    assert not (tmp_path / 'run').exists()


def test_train_starts_from_the_served_backbone_in_a_filled_cache(serve, tmp_path, monkeypatch,
                                                                   capsys):
    state = serve('resnet18_imagenet', seed=5)
    assert main(['weights', 'download', 'resnet18_imagenet', '--no-progress']) == 0
    loaded = {}
    real = pretrained.load_backbone_weights

    def spy(model, weights='imagenet', **kwargs):
        report = real(model, weights, **kwargs)
        loaded.update({k: v.clone() for k, v in model.backbone.state_dict().items()})
        loaded['report'] = report
        return report

    monkeypatch.setattr(pretrained, 'load_backbone_weights', spy)
    root = cityscapes_folder(tmp_path / 'cs')
    run = tmp_path / 'run'
    monkeypatch.setitem(WEIGHTS, 'resnet18_imagenet', dataclasses.replace(  # the cache only
        WEIGHTS['resnet18_imagenet'], url='http://127.0.0.1:9/resnet18-f37072fd.pth'))
    assert main(['train', '--config', 'hg_resnet18_cityscapes', *SMALL, f'data.root={root}',
                 'train.lr=1e-30', '--out', str(run), '--no-progress']) == 0
    report = loaded.pop('report')
    assert report.weights == 'resnet18_imagenet' and report.skipped == ['fc.weight', 'fc.bias']
    assert sorted(report.used) == sorted(k for k in state if not k.startswith('fc.'))
    assert 'weights resnet18_imagenet -> HGResNet: 120 tensors used, 2 skipped' in \
        capsys.readouterr().err
    for k in report.used:  # the loaded backbone tensors are the served ones
        assert torch.equal(loaded[k], state[k]), k
    # lr=1e-30, below float32's resolution at these weights: the trained parameters are still
    # the served ones (BatchNorm statistics moved)
    trained = torch.load(run / 'model.pt', weights_only=True)
    params = {n for n, _ in create_model('resnet18').named_parameters()} - {'fc.weight', 'fc.bias'}
    for k in params:
        assert torch.equal(trained['backbone.' + k], state[k]), k
    assert json.loads((run / 'run.json').read_text())['status'] == 'completed'


# ------------------------------------------------------------------ eval --weights official:NAME

def test_eval_official_weights_from_a_filled_cache_equal_load_official(serve, tmp_path,
                                                                       monkeypatch):
    serve('hyperseg_m_cityscapes')
    assert main(['weights', 'download', 'hyperseg_m_cityscapes', '--no-progress']) == 0
    path = WEIGHTS['hyperseg_m_cityscapes'].path()
    monkeypatch.setitem(WEIGHTS, 'hyperseg_m_cityscapes', dataclasses.replace(
        WEIGHTS['hyperseg_m_cityscapes'], url='http://127.0.0.1:9/gone.pth'))  # the cache only
    models = []
    real = pretrained.load_released_weights

    def spy(model, weights, **kwargs):
        models.append(model)
        return real(model, weights, **kwargs)

    monkeypatch.setattr(pretrained, 'load_released_weights', spy)
    root = cityscapes_folder(tmp_path / 'cs', size=(128, 256))
    out = tmp_path / 'ev'
    # the paper row's own config (HyperSeg Table 1, Cityscapes, HyperSeg-M: scale 0.5, padded to 32)
    assert main(['eval', '--config', 'hyperseg_t1_cityscapes_hyperseg_m', '--weights',
                 'official:hyperseg_m_cityscapes', f'data.root={root}', 'device=cpu', '--out',
                 str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['status'] == 'completed'
    assert record['weights'] == 'official:hyperseg_m_cityscapes'
    (model,) = models
    assert model.signal_slices_mode == 'released'  # the variant the checkpoint was trained as
    ref = create_model('hyperseg_m', num_classes=19, signal_slices='released').eval()
    load_official(ref, path, variant='released')
    wrong = create_model('hyperseg_m', num_classes=19).eval()  # the default (cumulative) slicing
    with pytest.warns(UserWarning, match=r"build the model with signal_slices='released'"):
        load_official(wrong, path, variant='cumulative')
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        got, want, other = (model_logits(m.eval()(x)) for m in (model, ref, wrong))
    assert torch.equal(got, want)
    assert not torch.allclose(got, other)  # the test would see the other variant
