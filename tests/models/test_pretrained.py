"""Weights by name (graphseg.models.pretrained), without internet: a local HTTP server on 127.0.0.1
serves small state dicts with the real key names and shapes of every catalogue entry.

The key tables: ``tests/data/pretrained_keys.json.gz`` was recorded once by running the code that
defines each file: lukemelas' EfficientNet-PyTorch (``efficientnet-pytorch`` 0.7.1 from PyPI,
``EfficientNet.from_name('efficientnet-b0/b1/b3')``: the keys of ``url_map``'s files), QGN's
``models/resnet.py`` (kashyap7x/QGN @ ee5399a, ``resnet50()`` / ``resnet101()``, SparseConvNet and
its synchronized BatchNorm stubbed: the MIT CSAIL ImageNet files it loads) and the HyperSeg release
(YuvalNirkin/hyperseg @ aedc580, the ``model`` partials of ``configs/train/*.py`` with their
``num_classes``, and the ``'arch'`` string its ``train.py`` stores); the ImageNet HRNets' tables are
``tests/data/hrnet_imagenet_keys.json`` (written by HRNet-Image-Classification's ``cls_hrnet.py``);
torchvision's ResNets have graphseg's ResNet keys by construction. Tensors are small random storages
expanded to the real shapes (a file of a few hundred kB holds a ResNet-101).
"""
from __future__ import annotations

import dataclasses
import fnmatch
import functools
import gzip
import hashlib
import http.server
import json
import os
import socket
import threading

import pytest
import torch

from graphseg.engine.config import load_run_config
from graphseg.engine.runner import prepare
from graphseg.fileio import CorruptFileError
from graphseg.models import create_model, list_models, load_official, pretrained
from graphseg.models.pretrained import (WEIGHTS, WeightsUnavailableError, download_weights,
                                        find_backbone, load_backbone_weights,
                                        load_released_weights)
from graphseg.nn import QGNDecoder
from tests.helpers import DATA

with gzip.open(os.path.join(DATA, 'pretrained_keys.json.gz'), 'rt') as _f:
    TABLES = json.load(_f)
with open(os.path.join(DATA, 'hrnet_imagenet_keys.json')) as _f:
    HRNET = json.load(_f)


def key_table(name):
    """``[(key, shape)]`` of the catalogue file ``name``, in the file's order."""
    entry = WEIGHTS[name]
    if name in TABLES:
        return [(k, tuple(s)) for k, s in TABLES[name]['keys']]
    if entry.network == 'HRNetV2':
        return [(k, tuple(s)) for k, s in HRNET[entry.arch[len('hrnetv2_'):]]]
    with torch.device('meta'):  # torchvision's keys: graphseg's ResNet names them the same
        net = create_model(entry.arch)
    return [(k, tuple(v.shape)) for k, v in net.state_dict().items()]


def make_state(name, seed=0):
    """Random tensors of the real shapes: a small storage along the last axis, expanded; BatchNorm
    variances positive, counters integers."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for k, shape in key_table(name):
        if k.endswith('num_batches_tracked'):
            state[k] = torch.tensor(100)
            continue
        base = torch.randn(shape[-1] if shape else 1, generator=g) * 0.05
        if k.endswith('running_var'):
            base = base.abs() + 0.5
        state[k] = base.expand(shape) if shape else base[0].clone()
    return state


def checkpoint_of(name, state):
    """The file's layout: released HyperSeg checkpoints keep the state dict beside their arch."""
    if WEIGHTS[name].kind == 'model':
        return {'state_dict': state, 'arch': TABLES[name]['arch']}
    return state


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files of the served folder; ``/truncated/NAME`` announces NAME's length and sends half."""

    def do_GET(self):
        if self.path.startswith('/truncated/'):
            with open(os.path.join(self.directory, self.path[len('/truncated/'):]), 'rb') as f:
                data = f.read()
            self.send_response(200)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def weights_server(tmp_path_factory):
    """``(base URL, served folder)`` of an HTTP server on 127.0.0.1 (a thread, stopped after the
    module)."""
    root = tmp_path_factory.mktemp('served')
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}', root
    server.shutdown()
    server.server_close()
    thread.join(5)


def unused_port_url(path='w.pth'):
    """A URL nothing listens at (the port of a socket just closed): connection refused."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/{path}'


@pytest.fixture
def serve(weights_server, monkeypatch, tmp_path):
    """``serve(name, seed=0, truncated=False, published=None)``: serve a random file of entry
    ``name`` and point the catalogue at it (with its real hash where the entry publishes one, or
    ``published``); returns the served state dict. ``TORCH_HOME`` is an empty folder."""
    base, root = weights_server
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))

    def serve(name, seed=0, truncated=False, published=None):
        entry = WEIGHTS[name]
        state = make_state(name, seed)
        file = f'{name}-{seed}.pth'
        torch.save(checkpoint_of(name, state), root / file)
        with open(root / file, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        sha = published or (digest[:8] if entry.sha256 else None)
        url = f'{base}/{"truncated/" if truncated else ""}{file}'
        monkeypatch.setitem(WEIGHTS, name, dataclasses.replace(entry, url=url, sha256=sha))
        return state

    return serve


def _cache_files(tmp_path):
    folder = tmp_path / 'torch' / 'hub' / 'checkpoints'
    return sorted(os.listdir(folder)) if folder.is_dir() else []


# ----------------------------------------------------------------------------- the catalogue

def test_catalogue_entries_name_their_source_file_hash_and_models():
    assert len(pretrained.list_weights(kind='backbone')) == 13
    assert pretrained.list_weights(kind='model') == ['hyperseg_l_voc', 'hyperseg_m_cityscapes',
                                                     'hyperseg_s_camvid', 'hyperseg_s_cityscapes']
    registered = list_models()
    for name, w in WEIGHTS.items():
        assert w.kind in pretrained.KINDS and w.arch in registered, name
        assert w.source.startswith('https://github.com/'), name
        if w.url is None:  # published as a share page only
            assert w.page.startswith('https://1drv.ms/'), name
        else:
            assert w.url.rsplit('/', 1)[1] == w.file_name, name
        if w.sha256 is not None:  # torchvision: the file name carries the SHA-256 prefix
            assert len(w.sha256) == 8 and f'-{w.sha256}.pth' in w.file_name, name
        for pattern in w.used_by:
            assert list_models(pattern), (name, pattern)
        if w.kind == 'model':  # the exact variant, and the classes of the release
            assert w.kwargs['num_classes'] == {'cityscapes': 19, 'camvid': 12, 'voc': 21}[w.tag]
    assert [w.name for w in WEIGHTS.values() if w.sha256] == [
        'resnet18_imagenet', 'resnet34_imagenet', 'resnet50_imagenet', 'resnet101_imagenet']
    assert WEIGHTS['resnet50_imagenet'].url == (
        'https://download.pytorch.org/models/resnet50-0676ba61.pth')


@pytest.mark.parametrize('name', pretrained.list_weights(kind='backbone'))
def test_every_model_an_entry_names_has_that_backbone(name):
    """``used_by`` is checked against the models themselves: each one's backbone has the entry's
    network, widths and depths (built on the meta device: the structure only)."""
    entry = WEIGHTS[name]
    for pattern in entry.used_by or (entry.arch,):
        for model_name in list_models(pattern):
            with torch.device('meta'):
                model = create_model(model_name)
            net = find_backbone(model)[1]
            assert pretrained._fits(entry, pretrained._signature(net)), (name, model_name)


# ------------------------------------------------- key mapping: every tensor used, skipped or new

#: entry -> (the model it is loaded into, its kwargs, used, skipped, new model tensors, the new
#: tensors' top modules)
BACKBONES = {
    'resnet18_imagenet': ('hg_resnet18', {}, 120, 2, 19, {'aux_head', 'classifier', 'fuse',
                                                          'head'}),
    'resnet34_imagenet': ('resnet34_dilated', {}, 216, 2, 14, {'aux_head', 'classifier', 'head'}),
    # the deformable convolutions' offset branches are new (resnet50_dcn: layers 3-4)
    'resnet50_imagenet': ('hg_resnet50_dcn', {}, 318, 2, 31, {'aux_head', 'backbone', 'classifier',
                                                              'fuse', 'head'}),
    'resnet101_imagenet': ('resnet101_dilated', {}, 624, 2, 14, {'aux_head', 'classifier',
                                                                 'head'}),
    'efficientnet_b0_imagenet': ('hyperseg_s', {'backbone': 'efficientnet_b0'}, 358, 2, 75,
                                 {'context_head', 'decoder', 'reduce', 'shared_weight_mapper'}),
    'efficientnet_b1_imagenet': ('hyperseg_m', {}, 506, 2, 76, {'context_head', 'decoder',
                                                                'reduce'}),
    'efficientnet_b3_imagenet': ('hyperseg_l', {}, 572, 2, 107, {'context_head', 'decoder',
                                                                 'reduce'}),
    'resnet50_deepstem_imagenet': ('qgn_resnet34', {}, 330, 2, 249, {'criterion', 'decoder'}),
    # the bare network (as QGN's encoder it maps as the ResNet-50 above): the classifier is new
    'resnet101_deepstem_imagenet': ('resnet101_deepstem', {}, 636, 2, 2, {'fc'}),
    # HG-HRNetV2: the head and the 1x1 merges of the HG block are new
    'hrnetv2_w48_imagenet': ('hg_hrnetv2_w48', {}, 1830, 126, 28, {'last_layer', 'stage4'}),
    'hrnetv2_w48_imagenet_ssld': ('hrnetv2_w48', {}, 1830, 126, 8, {'last_layer'}),
    'hrnetv2_w18_small_v1_imagenet': ('hrnetv2_w18_small_v1', {}, 426, 126, 8, {'last_layer'}),
    'hrnetv2_w18_small_v2_imagenet': ('hg_hrnetv2_w18_small_v2', {}, 864, 126, 28,
                                      {'last_layer', 'stage4'}),
}


def test_the_table_covers_every_backbone_entry():
    assert sorted(BACKBONES) == pretrained.list_weights(kind='backbone')


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_backbone_weights_map_strictly(name, serve, capsys):
    model_name, kwargs, n_used, n_skipped, n_new, new_tops = BACKBONES[name]
    entry = WEIGHTS[name]
    if entry.url is None:  # a file fetched by hand: the pre-filled cache (serve set TORCH_HOME)
        state = make_state(name)
        os.makedirs(os.path.dirname(entry.path()), exist_ok=True)
        torch.save(state, entry.path())
    else:
        state = serve(name)
    model = create_model(model_name, **kwargs)
    report = load_backbone_weights(model, name)
    assert name in capsys.readouterr().err  # printed
    assert (len(report.used), len(report.skipped), len(report.new)) == (n_used, n_skipped, n_new)
    assert sorted(report.used + report.skipped) == sorted(state)
    assert all(any(fnmatch.fnmatchcase(k, p) for p in entry.skip)
               for k in report.skipped)
    assert {k.split('.')[0] for k in report.new} == new_tops
    if name == 'resnet50_imagenet':  # DCN offsets are new, every other backbone tensor is set
        assert {k for k in report.new if k.startswith('backbone.')} == {
            k for k in model.state_dict() if 'conv_offset' in k}
    if name.startswith('hrnetv2_w48_imagenet') and model_name.startswith('hg_'):
        assert {k for k in report.new if k.startswith('stage4')} == {
            k for k in model.state_dict() if '.hg_fuse.' in k and 'num_batches' not in k}
    # the loaded backbone tensors are the served ones
    prefix, net = find_backbone(model)
    own = model.state_dict()
    key = pretrained.MAPPINGS[next(c for c in pretrained.MAPPINGS if isinstance(net, c))]
    for k in report.used:
        assert torch.equal(own[prefix + key(k, net)], state[k]), k


def test_a_local_file_loads_with_its_network_mapping_and_no_network(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setitem(WEIGHTS, 'efficientnet_b1_imagenet', dataclasses.replace(
        WEIGHTS['efficientnet_b1_imagenet'], url=unused_port_url()))
    state = make_state('efficientnet_b1_imagenet', seed=3)
    path = tmp_path / 'my-b1.pth'
    torch.save(state, path)
    model = create_model('hyperseg_m', backbone_weights=str(path))
    assert torch.equal(model.backbone.features[0][0].weight, state['_conv_stem.weight'])
    assert _cache_files(tmp_path) == []
    with pytest.raises(ValueError, match=r"backbone_weights 'resnet50_imagenet' are resnet50's, "
                                         r"but this backbone is a ResNet with widths \(64, 128"):
        load_backbone_weights(create_model('hg_resnet18'), 'resnet50_imagenet')
    with pytest.raises(ValueError, match=r"model StackHourglassMTL has no backbone"):
        load_backbone_weights(create_model('orientation'))


def test_a_checkpoint_tensor_without_a_place_is_refused(serve, tmp_path):
    state = serve('resnet18_imagenet')
    served = WEIGHTS['resnet18_imagenet']
    extra = {**state, 'layer5.0.conv1.weight': torch.zeros(1)}
    path = tmp_path / 'extra.pth'
    torch.save(extra, path)
    with pytest.raises(ValueError, match=r"1 checkpoint tensors have no place in the ResNet at "
                                         r"'backbone.' of HGResNet: \['layer5.0.conv1.weight'\]"):
        load_backbone_weights(create_model('hg_resnet18'), str(path))
    assert served.url.startswith('http://127.0.0.1')


# ------------------------------------------------------------------ released models, by name

RELEASED = {  # entry -> (used, skipped: the cached positional encodings of the release)
    'hyperseg_m_cityscapes': (598, 10), 'hyperseg_s_cityscapes': (597, 10),
    'hyperseg_s_camvid': (604, 10), 'hyperseg_l_voc': (702, 0),
}


@pytest.mark.parametrize('name', sorted(RELEASED))
def test_released_weights_by_name_build_their_variant(name, serve, tmp_path):
    serve(name)
    entry = WEIGHTS[name]
    model = create_model(entry.arch, weights=entry.tag).eval()
    for k, v in entry.kwargs.items():
        if k == 'signal_slices':
            assert model.signal_slices_mode == v
    # the same file through load_official, with the variant by hand
    ref = create_model(entry.arch, **entry.kwargs).eval()
    load_official(ref, entry.path(), variant=entry.variant)
    for (k, a), b in zip(model.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), k
    report = load_released_weights(create_model(entry.arch, **entry.kwargs), name, verbose=False)
    assert (len(report.used), len(report.skipped), len(report.new)) == (*RELEASED[name], 0)
    assert all(k.startswith('decoder.coord') for k in report.skipped)


def test_named_weights_refuse_another_variant():
    with pytest.raises(ValueError, match=r"weights 'hyperseg_m_cityscapes' are hyperseg_m\("
                                         r"num_classes=19, backbone='efficientnet_b1', "
                                         r"signal_slices='released'\), the released variant; "
                                         r"signal_slices='cumulative' would build another one"):
        create_model('hyperseg_m', weights='cityscapes', signal_slices='cumulative')
    with pytest.raises(ValueError, match=r"grid_size=\(1, 1\) would build another one"):
        create_model('hyperseg_m', weights='cityscapes', grid_size=(1, 1))
    with pytest.raises(ValueError, match=r"weights must be one of \['cityscapes'\] \(the released "
                                         r"checkpoints of hyperseg_s\), a catalogue name or a "
                                         r"file, got 'camvid'; 'camvid' weights exist for: "
                                         r"\['hyperseg_s_camvid'\]"):
        create_model('hyperseg_s', weights='camvid')
    with pytest.raises(ValueError, match=r"weights 'official:hyperseg_m_cityscapes' are the "
                                         r"released hyperseg_m, not hyperseg_s"):
        create_model('hyperseg_s', weights='official:hyperseg_m_cityscapes')
    with pytest.raises(ValueError, match=r'pass weights= or backbone_weights=, not both'):
        create_model('hyperseg_m', weights='cityscapes', backbone_weights='imagenet')


# ------------------------------------------------------------------ an ambiguous file is refused

def test_a_bare_hyperseg_m_file_is_refused_without_its_variant(tmp_path):
    state = make_state('hyperseg_m_cityscapes')
    bare = tmp_path / 'm.pth'
    torch.save(state, bare)  # no 'arch' entry: which slicing?
    with pytest.raises(ValueError, match=(
            r"checkpoint '.*m.pth' has no 'arch' entry, so it does not say which signal slicing "
            r"it was trained with, .* pass variant='released' \(the authors' checkpoints; or load "
            r"them by name, e.g. create_model\('hyperseg_m', weights='cityscapes'\) / 'camvid'\) "
            r"with a model built with signal_slices='released', or variant='cumulative'")):
        load_official(create_model('hyperseg_m'), bare)
    with pytest.raises(ValueError, match=r"variant='released' is a checkpoint trained with "
                                         r"signal_slices='released', but the model was built with "
                                         r"signal_slices='cumulative'"):
        load_official(create_model('hyperseg_m'), bare, variant='released')
    load_official(create_model('hyperseg_m'), bare, variant='cumulative')
    load_official(create_model('hyperseg_m', signal_slices='released'), bare)  # built as released
    load_official(create_model('hyperseg_m'), state)  # in memory: as the caller built the model
    with pytest.raises(ValueError, match=r"variant must be one of \('cumulative', 'released'\)"):
        load_official(create_model('hyperseg_m'), bare, variant='skip')
    # the same refusal through create_model(weights=PATH)
    with pytest.raises(ValueError, match=r"has no 'arch' entry"):
        create_model('hyperseg_m', weights=str(bare))
    # a camvid file too (CamVid S / L read from channel 0 as well)
    camvid = tmp_path / 'camvid.pth'
    torch.save(make_state('hyperseg_s_camvid'), camvid)
    with pytest.raises(ValueError, match=r"has no 'arch' entry"):
        load_official(create_model('hyperseg_camvid_s'), camvid)
    # S and L read the same either way: nothing to refuse
    s = tmp_path / 's.pth'
    torch.save(make_state('hyperseg_s_cityscapes'), s)
    load_official(create_model('hyperseg_s'), s)


def test_a_qgn_decoder_file_is_refused_without_skip_or_noskip(tmp_path):
    data = torch.load(os.path.join(DATA, 'qgn_official_basic.pt'), weights_only=True)
    path = tmp_path / 'decoder_epoch_20.pth'
    torch.save(data['state_dict'], path)

    def decoder(skips):
        return QGNDecoder((4, 8, 16, 32, 64), data['num_classes'], (16, 8, 8, 4, 4),
                          (2, 2, 2, 2), 3, skips=skips)

    for skips, mode in (('all', 'skip'), ('top', 'noskip')):
        with pytest.raises(ValueError, match=(
                r"checkpoint '.*decoder_epoch_20.pth': QGN's skip and no-skip decoders store the "
                r"same keys, so the file does not say which it is; pass variant='skip' \(the "
                r"released QGN_resnet34/50, skips='all'\) or variant='noskip' \(QGN_\*_noskip, "
                rf"skips='top'\); this model is '{mode}'")):
            load_official(decoder(skips), path)
        load_official(decoder(skips), path, variant=mode)
    with pytest.raises(ValueError, match=r"variant='skip' needs a QGN decoder with skips='all', "
                                         r"the model has skips='top'"):
        load_official(decoder('top'), path, variant='skip')
    report = load_released_weights(decoder('top'), str(path), variant='noskip', verbose=False)
    assert len(report.skipped) == 20  # the released noskip builds skip layers it never uses
    assert {k.split('.')[0] for k in report.skipped} == {'skip0', 'skip1', 'skip2', 'skip3'}


# ------------------------------------------------------------------------------ the files

def test_downloads_go_to_the_torch_hub_cache_with_a_progress_bar(serve, tmp_path, capfd):
    serve('resnet18_imagenet')
    path = download_weights('resnet18_imagenet')
    assert path == str(tmp_path / 'torch' / 'hub' / 'checkpoints' / 'resnet18-f37072fd.pth')
    assert '100%' in capfd.readouterr().err  # torch.hub's bar
    other = tmp_path / 'elsewhere'
    assert download_weights('resnet18_imagenet', str(other), progress=False) == str(
        other / 'resnet18-f37072fd.pth')


def test_offline_fails_in_one_line_naming_the_url_and_the_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    url = unused_port_url('resnet50-0676ba61.pth')
    monkeypatch.setitem(WEIGHTS, 'resnet50_imagenet',
                        dataclasses.replace(WEIGHTS['resnet50_imagenet'], url=url))
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints' / 'resnet50-0676ba61.pth'
    with pytest.raises(WeightsUnavailableError) as e:
        create_model('hg_resnet50', backbone_weights='imagenet')
    message = str(e.value)
    assert '\n' not in message and url in message and str(cache) in message
    assert message.startswith(f"weights 'resnet50_imagenet': cannot download {url} (")
    assert _cache_files(tmp_path) == []
    with pytest.raises(WeightsUnavailableError, match=(
            r"weights 'hrnetv2_w48_imagenet' have no direct download URL: download the file by "
            r"hand from https://1drv.ms/\S+ and put it at .*hrnetv2_w48_imagenet_pretrained.pth")):
        download_weights('hrnetv2_w48_imagenet')


def test_a_hash_mismatch_is_one_line_and_leaves_no_file(serve, tmp_path):
    serve('resnet18_imagenet', published='f37072fd')  # the published hash, another file
    with pytest.raises(CorruptFileError) as e:
        download_weights('resnet18_imagenet', progress=False)
    assert '\n' not in str(e.value)
    assert "the file downloaded from http://127.0.0.1" in str(e.value)
    assert "not the published f37072fd...; nothing was written to" in str(e.value)
    assert _cache_files(tmp_path) == []  # no file, no .partial
    # a pre-filled cache file with the wrong hash is removed too
    cached = WEIGHTS['resnet18_imagenet'].path()
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    torch.save(make_state('resnet18_imagenet'), cached)
    with pytest.raises(CorruptFileError, match=r"not the published f37072fd\.\.\. of http\S+; "
                                               r"removed it from the cache, download it again"):
        create_model('hg_resnet18', backbone_weights='imagenet')
    assert _cache_files(tmp_path) == []


def test_a_truncated_file_is_one_line_and_leaves_no_file(serve, tmp_path):
    serve('resnet50_deepstem_imagenet', truncated=True)  # no published hash: found by loading
    with pytest.raises(CorruptFileError) as e:
        download_weights('resnet50_deepstem_imagenet', progress=False)
    assert '\n' not in str(e.value)
    assert "weights 'resnet50_deepstem_imagenet'" in str(e.value)
    assert "is not a readable torch checkpoint" in str(e.value)
    assert str(e.value).endswith("(truncated?); removed it from the cache, download it again")
    assert _cache_files(tmp_path) == []
    # a truncated file put into the cache by hand: refused and removed when used
    good = tmp_path / 'good.pth'
    torch.save(make_state('resnet50_deepstem_imagenet'), good)
    cached = WEIGHTS['resnet50_deepstem_imagenet'].path()
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    with open(good, 'rb') as f, open(cached, 'wb') as g:
        g.write(f.read()[:1000])
    with pytest.raises(CorruptFileError, match=r"removed it from the cache"):
        create_model('qgn_resnet34', backbone_weights='imagenet')
    assert _cache_files(tmp_path) == []


def test_a_filled_cache_needs_no_network(serve, tmp_path, monkeypatch):
    state = serve('resnet18_imagenet')
    download_weights('resnet18_imagenet', progress=False)
    monkeypatch.setitem(WEIGHTS, 'resnet18_imagenet', dataclasses.replace(
        WEIGHTS['resnet18_imagenet'], url=unused_port_url()))
    model = create_model('resnet18_dilated', backbone_weights='imagenet')
    assert torch.equal(model.backbone.layer4[1].bn2.running_var, state['layer4.1.bn2.running_var'])


def test_official_names_never_load_another_variant(serve, tmp_path):
    """``official:NAME`` (``model.weights``, ``graphseg eval --weights``) builds the checkpoint's
    own variant through every path, and anything that would build or load another is refused
    before a tensor is read."""
    state = serve('hyperseg_m_cityscapes')
    model = create_model('hyperseg_m', weights='official:hyperseg_m_cityscapes')
    assert model.signal_slices_mode == 'released'
    assert torch.equal(model.backbone.features[0][0].weight,
                       state['backbone._conv_stem.weight'])
    with pytest.raises(ValueError, match=r"variant='cumulative': weights 'hyperseg_m_cityscapes' "
                                         r"are the variant 'released'"):
        load_released_weights(create_model('hyperseg_m'), 'official:hyperseg_m_cityscapes',
                              variant='cumulative')
    with pytest.raises(ValueError, match=r"weights 'official:resnet50_imagenet' are backbone "
                                         r"weights; pass them as backbone_weights="):
        create_model('hg_resnet50', weights='official:resnet50_imagenet')
    with pytest.raises(ValueError, match=r"backbone_weights 'hyperseg_m_cityscapes' are a whole "
                                         r"released model"):
        create_model('hyperseg_m', backbone_weights='hyperseg_m_cityscapes')
    # a run config: the variant and the classes come from the checkpoint, and a config that says
    # otherwise stops before its data are read (data.root does not exist)
    base = {'model': {'name': 'hyperseg_m', 'weights': 'official:hyperseg_m_cityscapes'},
            'data': {'dataset': 'cityscapes', 'root': str(tmp_path / 'none')}, 'device': 'cpu'}
    with pytest.raises(ValueError, match=r"signal_slices='cumulative' would build another one"):
        prepare(load_run_config({**base, 'model': {**base['model'], 'kwargs': {
            'signal_slices': 'cumulative'}}}), train=False)
    with pytest.raises(ValueError, match=r"are the released hyperseg_m, not hyperseg_s"):
        prepare(load_run_config({**base, 'model': {**base['model'], 'name': 'hyperseg_s'}}),
                train=False)
    with pytest.raises(FileNotFoundError):  # accepted: it went on to read the (missing) data
        prepare(load_run_config(base), train=False)
