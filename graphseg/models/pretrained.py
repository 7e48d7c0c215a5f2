r"""Pretrained and released weights by name: a catalogue, downloads through ``torch.hub`` checked
against the published hashes, and a strict mapping of every checkpoint key into graphseg's models.

::

    model = create_model('hg_resnet50', num_classes=19, backbone_weights='imagenet')
    model = create_model('hyperseg_m', weights='cityscapes')      # the released HyperSeg-M
    load_backbone_weights(model, 'resnet50_imagenet')             # -> LoadReport
    path = download_weights('resnet50_imagenet')                  # pre-fetch (graphseg weights)

**The catalogue** (:data:`WEIGHTS`) holds two kinds of entries. *Backbone* weights (ImageNet)
initialise the backbone of every model built on that network: which entry fits a model is decided
by the backbone module itself (its type, widths and depths; :func:`find_backbone`), so
``backbone_weights='imagenet'`` picks torchvision's ResNet-50 for ``hg_resnet50`` and the MIT CSAIL
deep-stem ResNet-50 for ``qgn_resnet34`` (whose encoder it is). *Model* weights are the authors'
released checkpoints, each with the exact variant it was trained as (factory arguments and the
:func:`~graphseg.models.load_official` variant), so loading by name builds that variant and never
another; asking for another variant is refused.

Sources read for the URLs (every entry names its own):
torchvision's ``models/resnet.py`` weight enums (``IMAGENET1K_V1``: the file names carry the first 8
hex digits of the SHA-256, which ``torch.hub`` checks);
HyperSeg's ``hyperseg/models/backbones/efficientnet_utils.py`` (``url_map``, lukemelas'
EfficientNet-PyTorch release) and its README's model table (YuvalNirkin/hyperseg);
QGN's ``models/resnet.py`` (``model_urls``, kashyap7x/QGN); HRNet-Image-Classification's README
(the ImageNet HRNets that HRNet-Semantic-Segmentation's ``init_weights`` loads). No hash is
published for the last three: there ``sha256`` is ``None`` and nothing is checked but that the file
loads.

**Files.** :func:`download_weights` puts a file in ``torch.hub``'s cache
(``$TORCH_HOME/hub/checkpoints``, or ``cache=``), under the file name of its source, with a
progress bar and the hash checked where one is published; a file already there (a pre-filled cache)
is used as it is, after the same check. Without a network it fails in one line naming the URL and
the exact path to put the file at; a hash mismatch or a truncated file is one line too, and the bad
file is not left in the cache. Files are read with ``weights_only=True``
(:func:`graphseg.fileio.load_torch`).

**Key mapping** is strict: every checkpoint tensor is placed (shape checked) or deliberately
skipped (the entry's ``skip`` patterns, e.g. the ImageNet classifier ``fc.*``), and every model
tensor that no checkpoint tensor fills is reported as new (heads, DCN offsets, HG-Conv's 1x1
merges). The :class:`LoadReport` is returned and printed. BatchNorm's ``num_batches_tracked``
counters, which some releases do not store, are left as they are and not reported.
"""
from __future__ import annotations

import fnmatch
import functools
import http.client
import os
import re
import socket
import sys
import urllib.error
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import torch
from torch import Tensor, nn

from ..check import did_you_mean
from ..fileio import CorruptFileError, load_torch, sha256_file
from .backbones.efficientnet import EfficientNet, lukemelas_key
from .backbones.resnet import ResNet
from .hrnet import HRNetV2
from .official import read_official
from .registry import create_model as _registry_create
from .registry import list_models

KINDS = ('backbone', 'model')
#: ``model.weights: official:NAME`` / ``graphseg eval --weights official:NAME``
OFFICIAL = 'official:'


class WeightsUnavailableError(OSError):
    """Weights that are neither in the cache nor downloadable here (offline, or no direct URL)."""


@dataclass(frozen=True)
class Weights:
    """One entry of the catalogue.

    Attributes:
        name: the catalogue name (``'resnet50_imagenet'``, ``'hyperseg_m_cityscapes'``).
        kind: ``'backbone'`` (ImageNet weights of a backbone network) or ``'model'`` (a whole
            released model).
        arch: the registered model whose keys the file holds: the backbone network
            (``'resnet50'``), or the released model's factory (``'hyperseg_m'``).
        network: the class of the network the keys map into (a key of :data:`MAPPINGS`):
            ``'ResNet'``, ``'EfficientNet'``, ``'HRNetV2'``, or ``'HyperSeg'`` for released models.
        tag: the short name ``backbone_weights=`` / ``weights=`` select it by (``'imagenet'``,
            ``'cityscapes'``).
        url: where it is downloaded from; ``None`` where the authors publish a share page only.
        file_name: its name in the cache (its source's own name, so that caches are shared).
        sha256: the published SHA-256 prefix, checked before use; ``None`` where none is published.
        source: the code or README that publishes the URL.
        page: where to download the file by hand (the share page) when ``url`` is ``None``.
        used_by: backbones: the registered models (shell patterns) built on this network.
        kwargs: models: the exact variant the checkpoint was trained as (factory arguments).
        variant: models: the :func:`~graphseg.models.load_official` ``variant``.
        skip: checkpoint keys (shell patterns) that have no place in graphseg's models.
    """
    name: str
    kind: str
    arch: str
    network: str
    tag: str
    url: Optional[str]
    file_name: str
    sha256: Optional[str]
    source: str
    page: Optional[str] = None
    used_by: Tuple[str, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    variant: Optional[str] = None
    skip: Tuple[str, ...] = ()

    def path(self, cache: Optional[str] = None) -> str:
        """Where the file lives: ``cache`` (default ``torch.hub.get_dir()/checkpoints``)."""
        return os.path.join(cache_dir() if cache is None else os.fspath(cache), self.file_name)


def cache_dir() -> str:
    """``torch.hub``'s checkpoint folder, ``$TORCH_HOME/hub/checkpoints`` (read at each call)."""
    return os.path.join(torch.hub.get_dir(), 'checkpoints')


# ---------------------------------------------------------------------------------------------
# the catalogue

_TORCHVISION = 'https://github.com/pytorch/vision/blob/main/torchvision/models/resnet.py'
_HYPERSEG = 'https://github.com/YuvalNirkin/hyperseg'
_LUKEMELAS = 'https://github.com/lukemelas/EfficientNet-PyTorch/releases/download/1.0/'
_QGN = 'https://github.com/kashyap7x/QGN/blob/master/models/resnet.py'
_HRNET_CLS = 'https://github.com/HRNet/HRNet-Image-Classification'
#: synchronized-BatchNorm bookkeeping that files written by the MIT CSAIL / QGN code may carry
_SYNC_BN = ('*._tmp_running_mean', '*._tmp_running_var', '*._running_iter')
#: the heads of the ImageNet HRNet (``cls_hrnet.py``), which the segmentation network has not
_HRNET_HEAD = ('incre_modules.*', 'downsamp_modules.*', 'final_layer.*', 'classifier.*')


def _torchvision(depth: int, digest: str, used_by: Tuple[str, ...]) -> Weights:
    return Weights(f'resnet{depth}_imagenet', 'backbone', f'resnet{depth}', 'ResNet', 'imagenet',
                   f'https://download.pytorch.org/models/resnet{depth}-{digest}.pth',
                   f'resnet{depth}-{digest}.pth', digest,
                   f'{_TORCHVISION} (ResNet{depth}_Weights.IMAGENET1K_V1)', used_by=used_by,
                   skip=('fc.*',))


def _lukemelas(b: str, digits: str, used_by: Tuple[str, ...]) -> Weights:
    # the 8 hex digits of these names are not checked by the loader that publishes them
    # (model_zoo.load_url without check_hash), so no hash is claimed here
    return Weights(f'efficientnet_{b}_imagenet', 'backbone', f'efficientnet_{b}', 'EfficientNet',
                   'imagenet',
                   f'{_LUKEMELAS}efficientnet-{b}-{digits}.pth', f'efficientnet-{b}-{digits}.pth',
                   None, f'{_HYPERSEG}/blob/main/hyperseg/models/backbones/efficientnet_utils.py '
                   '(url_map)', used_by=used_by, skip=('_fc.*',))


def _csail(depth: int, used_by: Tuple[str, ...]) -> Weights:
    return Weights(f'resnet{depth}_deepstem_imagenet', 'backbone', f'resnet{depth}_deepstem',
                   'ResNet', 'imagenet',
                   f'http://sceneparsing.csail.mit.edu/model/pretrained_resnet/'
                   f'resnet{depth}-imagenet.pth', f'resnet{depth}-imagenet.pth', None,
                   f'{_QGN} (model_urls)', used_by=used_by, skip=('fc.*',) + _SYNC_BN)


def _hrnet(name: str, arch: str, tag: str, url: Optional[str], file_name: str, page: Optional[str],
           used_by: Tuple[str, ...]) -> Weights:
    return Weights(name, 'backbone', arch, 'HRNetV2', tag, url, file_name, None,
                   f'{_HRNET_CLS} (README; HRNet-Semantic-Segmentation loads it as '
                   f'MODEL.PRETRAINED)', page=page, used_by=used_by, skip=_HRNET_HEAD)


def _hyperseg(name: str, arch: str, tag: str, file: str, kwargs: Dict[str, Any],
              variant: Optional[str] = None) -> Weights:
    return Weights(name, 'model', arch, 'HyperSeg', tag,
                   f'{_HYPERSEG}/releases/download/v1.0/{file}', file,
                   None, f'{_HYPERSEG} (README, Models)', kwargs=kwargs, variant=variant)


_R18 = ('resnet18_dilated', 'hg_resnet18', 'rgnet_resnet18', 'nonlocal_resnet18', 'resunet18',
        'hg_resunet18', 'hg_resunet18_attn', 'fcn_resnet18', 'hg_fcn_resnet18')
_R50 = ('resnet50_dilated', 'resnet50_dcn', 'hg_resnet50', 'hg_resnet50_dcn', 'rgnet_resnet50',
        'rgnet_resnet50_*', 'nonlocal_resnet50', 'resunet50', 'hg_resunet50')
_R101 = ('resnet101_dilated', 'resnet101_dcn', 'hg_resnet101', 'hg_resnet101_dcn',
         'rgnet_resnet101', 'nonlocal_resnet101')
_B1 = ('hyperseg_s', 'hyperseg_m', 'hyperseg_camvid_s', 'hyperseg_camvid_l')
_QGNS = ('qgn_resnet34', 'qgn_resnet50', 'qgn_resnet34_psp', 'qgn_resnet50_psp')
_ONEDRIVE = 'https://1drv.ms/u/s!Aus8VCZ_C_33'

_ENTRIES = [
    _torchvision(18, 'f37072fd', _R18),
    _torchvision(34, 'b627a593', ('resnet34_dilated', 'hg_resnet34')),
    _torchvision(50, '0676ba61', _R50),
    _torchvision(101, '63fe2227', _R101),
    _lukemelas('b0', '355c32eb', ()),
    _lukemelas('b1', 'f1951068', _B1),
    _lukemelas('b3', '5fb5a3c3', ('hyperseg_l',)),
    _csail(50, _QGNS),
    _csail(101, ()),
    # HRNet-W48-C (20.7 % top-1 error), published on OneDrive only: fetched by hand
    _hrnet('hrnetv2_w48_imagenet', 'hrnetv2_w48', 'imagenet', None,
           'hrnetv2_w48_imagenet_pretrained.pth', f'{_ONEDRIVE}dKvqI6pBZlifgJk',
           ('hrnetv2_w48', 'hg_hrnetv2_w48')),
    # the PaddleClas-distilled W48-C of the same release (the segmentation code's "Paddle" rows)
    _hrnet('hrnetv2_w48_imagenet_ssld', 'hrnetv2_w48', 'imagenet_ssld',
           f'{_HRNET_CLS}/releases/download/PretrainedWeights/HRNet_W48_C_ssld_pretrained.pth',
           'HRNet_W48_C_ssld_pretrained.pth', None, ('hrnetv2_w48', 'hg_hrnetv2_w48')),
    _hrnet('hrnetv2_w18_small_v1_imagenet', 'hrnetv2_w18_small_v1', 'imagenet', None,
           'hrnet_w18_small_model_v1.pth', f'{_ONEDRIVE}gRv2PI1vjJyn2g7G?e=i8Rdzx',
           ('hrnetv2_w18_small_v1',)),
    _hrnet('hrnetv2_w18_small_v2_imagenet', 'hrnetv2_w18_small_v2', 'imagenet', None,
           'hrnet_w18_small_model_v2.pth', f'{_ONEDRIVE}gRmfdPR79WBS61Qn?e=HVZUi8',
           ('hrnetv2_w18_small_v2', 'hg_hrnetv2_w18_small_v2')),
    # the released HyperSeg models (README "Models"; CamVid HyperSeg-L has no download)
    _hyperseg('hyperseg_m_cityscapes', 'hyperseg_m', 'cityscapes',
              'cityscapes_efficientnet_b1_hyperseg-m.pth',
              {'num_classes': 19, 'backbone': 'efficientnet_b1', 'signal_slices': 'released'},
              'released'),
    _hyperseg('hyperseg_s_cityscapes', 'hyperseg_s', 'cityscapes',
              'cityscapes_efficientnet_b1_hyperseg-s.pth',
              {'num_classes': 19, 'backbone': 'efficientnet_b1'}),
    _hyperseg('hyperseg_s_camvid', 'hyperseg_camvid_s', 'camvid',
              'camvid_efficientnet_b1_hyperseg-s.pth',
              {'num_classes': 12, 'backbone': 'efficientnet_b1', 'signal_slices': 'released'},
              'released'),
    _hyperseg('hyperseg_l_voc', 'hyperseg_l', 'voc', 'vocsbd_efficientnet_b3_hyperseg-l.pth',
              {'num_classes': 21, 'backbone': 'efficientnet_b3'}),
]
#: name -> :class:`Weights`. The QGN release (kashyap7x/QGN) lists no trained checkpoints, so it
#: has no model entries; its ImageNet encoders are here.
WEIGHTS: Dict[str, Weights] = {w.name: w for w in _ENTRIES}


def list_weights(pattern: str = '*', kind: Optional[str] = None) -> List[str]:
    """Catalogue names matching a shell-style ``pattern`` (and ``kind``, one of :data:`KINDS`)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    return sorted(n for n, w in WEIGHTS.items()
                  if fnmatch.fnmatch(n, pattern) and kind in (None, w.kind))


def get_weights(name: str) -> Weights:
    """The catalogue entry ``name`` (``'official:NAME'`` is accepted)."""
    if not isinstance(name, str):
        raise TypeError(f"weights name must be a str, got {type(name).__name__}")
    key = name[len(OFFICIAL):] if name.startswith(OFFICIAL) else name
    if key not in WEIGHTS:
        # the suggestion before the list: a one-line CLI error is cut at 500 characters
        raise ValueError(f"weights must be a catalogue name (graphseg weights list), got {name!r}"
                         f"{did_you_mean(key, WEIGHTS)}; one of {list_weights()}")
    return WEIGHTS[key]


def official_name(value: Optional[str]) -> Optional[str]:
    """``NAME`` for ``'official:NAME'``, else ``None`` (a file path, or nothing)."""
    if isinstance(value, str) and value.startswith(OFFICIAL):
        return get_weights(value).name
    return None


# ---------------------------------------------------------------------------------------------
# files

#: (path, size, mtime) of the files whose hash was checked in this process
_CHECKED: set = set()


def _check_hash(entry: Weights, path: str) -> None:
    """The published SHA-256 prefix of a cached file; a mismatch removes it (one line)."""
    if entry.sha256 is None:
        return
    st = os.stat(path)
    stamp = (path, st.st_size, st.st_mtime_ns)
    if stamp in _CHECKED:
        return
    digest = sha256_file(path)
    if not digest.startswith(entry.sha256):
        os.remove(path)
        raise CorruptFileError(f"weights {entry.name!r}: {path!r} has SHA-256 {digest[:16]}..., "
                               f"not the published {entry.sha256}... of {entry.url}; removed it "
                               "from the cache, download it again")
    _CHECKED.add(stamp)


def download_weights(name: str, cache: Optional[str] = None, *, progress: bool = True) -> str:
    """The path of ``name``'s file in the cache (``cache``, default :func:`cache_dir`), downloaded
    first if it is not there (``torch.hub.download_url_to_file``: a temporary file renamed once
    complete, the published hash checked). A file already in the cache is used after the same hash
    check. Offline, or for an entry without a direct URL, ``WeightsUnavailableError`` (an
    ``OSError``) names the URL (or page) and the path to put the file at; a hash mismatch or an
    unreadable (truncated) download is ``CorruptFileError`` and nothing is left in the cache."""
    entry = get_weights(name)
    path = entry.path(cache)
    if os.path.isfile(path):
        _check_hash(entry, path)
        return path
    if entry.url is None:
        raise WeightsUnavailableError(
            f"weights {entry.name!r} have no direct download URL: download the file by hand from "
            f"{entry.page} and put it at {path}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        torch.hub.download_url_to_file(entry.url, path, hash_prefix=entry.sha256,
                                       progress=progress)
    except (urllib.error.URLError, http.client.HTTPException, socket.timeout,
            ConnectionError) as e:
        reason = getattr(e, 'reason', None) or f'{type(e).__name__}: {e}'
        raise WeightsUnavailableError(
            f"weights {entry.name!r}: cannot download {entry.url} ({reason}); on a machine "
            f"without internet, fetch the file elsewhere (graphseg weights download "
            f"{entry.name}) and put it at {path}") from None
    except RuntimeError as e:
        if 'invalid hash value' not in str(e):
            raise
        got = re.search(r'got "([0-9a-f]+)"', str(e))
        raise CorruptFileError(
            f"weights {entry.name!r}: the file downloaded from {entry.url} has SHA-256 "
            f"{got.group(1)[:16] if got else '?'}..., not the published {entry.sha256}...; "
            f"nothing was written to {path}") from None
    _read_file(entry, path)  # a truncated download is found now, not on the offline machine
    return path


def _read_file(entry: Optional[Weights], path: str) -> Any:
    """``load_torch`` of a weights file; an unreadable file in the cache is removed."""
    what = f"weights {entry.name!r}" if entry is not None else 'weights file'
    try:
        return load_torch(path, what)
    except ValueError as e:
        if entry is None or not os.path.isfile(path):  # a file of the user's is left alone
            raise
        os.remove(path)
        raise CorruptFileError(f"{e} (truncated?); removed it from the cache, download it again"
                               ) from None


def _state_dict(obj: Any, what: str) -> Dict[str, Tensor]:
    """The tensors of a loaded checkpoint (``{'state_dict': ...}`` and ``module.`` accepted)."""
    if isinstance(obj, Mapping) and isinstance(obj.get('state_dict'), Mapping):
        obj = obj['state_dict']
    if not isinstance(obj, Mapping):
        raise TypeError(f"{what} must hold a state dict, got {type(obj).__name__}")
    out = {}
    for k, v in obj.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"{what} must map names to tensors, got {type(v).__name__} at {k!r}")
        out[k[7:] if k.startswith('module.') else k] = v
    return out


# ---------------------------------------------------------------------------------------------
# which backbone, which entry

#: backbone network class -> (checkpoint key -> key in that network)
MAPPINGS: Dict[type, Callable[[str, nn.Module], str]] = {
    ResNet: lambda key, net: key,  # torchvision's and MIT CSAIL's names are graphseg's
    EfficientNet: lukemelas_key,  # lukemelas' EfficientNet-PyTorch names
    HRNetV2: lambda key, net: key,  # the official HRNet names
}


def _signature(net: nn.Module) -> tuple:
    """What makes two backbones take the same weights: the network, its widths and depths."""
    if isinstance(net, ResNet):
        depths = tuple(len(getattr(net, f'layer{i}')) for i in range(1, 5))
        return ('ResNet', tuple(net.feature_channels), depths, net.deep_stem)
    if isinstance(net, EfficientNet):
        depths = tuple(len(stage) for stage in net.features[1:-1])
        return ('EfficientNet', tuple(net.feature_channels), depths, net.head_channels)
    return ('HRNetV2', net.config)


def _describe(sig: tuple) -> str:
    if sig[0] == 'HRNetV2':
        return 'HRNetV2 of another width'
    stem = ', deep stem' if sig[0] == 'ResNet' and sig[3] else ''
    return f"{sig[0]} with widths {sig[1]} and blocks {sig[2]}{stem}"


@functools.lru_cache(maxsize=None)
def _arch_signature(arch: str) -> tuple:
    with torch.device('meta'):  # the structure only: no memory, no initialisation
        return _signature(_registry_create(arch))


def find_backbone(model: nn.Module) -> Tuple[str, nn.Module]:
    """The first backbone network inside ``model`` that catalogue weights fit (a ResNet, an
    EfficientNet or an HRNetV2) and its key prefix in ``model.state_dict()``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    for name, module in model.named_modules():
        if isinstance(module, tuple(MAPPINGS)):
            return (name + '.' if name else ''), module
    raise ValueError(f"model {type(model).__name__} has no backbone that catalogue weights fit "
                     "(a ResNet, EfficientNet or HRNetV2)")


def _is_path(value: str) -> bool:
    return os.sep in value or value.endswith(('.pth', '.pt', '.tar')) or os.path.exists(value)


def _fits(entry: Weights, sig: tuple) -> bool:
    return entry.kind == 'backbone' and entry.network == sig[0] and _arch_signature(
        entry.arch) == sig


def _backbone_entry(net: nn.Module, weights: str) -> Optional[Weights]:
    """The backbone entry ``weights`` names (a tag or a catalogue name) for ``net``, or ``None``
    when ``weights`` is a file (then the first entry of ``net``'s network gives the mapping)."""
    sig = _signature(net)
    if weights in WEIGHTS:
        entry = WEIGHTS[weights]
        if entry.kind != 'backbone':
            raise ValueError(f"backbone_weights {weights!r} are a whole released model; pass it "
                             f"as weights= (create_model) or model.weights: official:{weights}")
        if not _fits(entry, sig):
            fits = [w.name for w in WEIGHTS.values() if _fits(w, sig)]
            raise ValueError(f"backbone_weights {weights!r} are {entry.arch}'s, but this backbone "
                             f"is a {_describe(sig)}; its entries: {fits}")
        return entry
    # signatures are computed lazily (building an HRNet's structure takes a second)
    tagged = next((w for w in WEIGHTS.values() if w.tag == weights and _fits(w, sig)), None)
    if tagged is not None:
        return tagged
    fits = [w for w in WEIGHTS.values() if _fits(w, sig)]
    if _is_path(weights):
        if not fits:
            raise ValueError(f"backbone_weights {weights!r}: no catalogue entry maps keys into a "
                             f"{_describe(sig)}")
        return None
    raise ValueError(f"backbone_weights must be one of {sorted({w.tag for w in fits})} (the tags "
                     f"of this backbone, a {_describe(sig)}), a catalogue name "
                     f"{[w.name for w in fits]} or a file, got {weights!r}"
                     f"{did_you_mean(weights, [w.tag for w in fits])}")


def _model_entry(name: str, weights: str) -> Optional[Weights]:
    """The released entry ``weights`` names for the registered model ``name`` (a tag, a catalogue
    name or ``official:NAME``), or ``None`` when ``weights`` is a file."""
    own = [w for w in WEIGHTS.values() if w.kind == 'model' and w.arch == name]
    if weights.startswith(OFFICIAL) or weights in WEIGHTS:
        entry = get_weights(weights)
        if entry.kind != 'model':
            raise ValueError(f"weights {weights!r} are backbone weights; pass them as "
                             f"backbone_weights= (model.backbone_weights)")
        if entry.arch != name:
            raise ValueError(f"weights {weights!r} are the released {entry.arch}, not {name}: "
                             f"build {entry.arch} (model.name: {entry.arch})")
        return entry
    tagged = [w for w in own if w.tag == weights]
    if tagged:
        return tagged[0]
    if _is_path(weights):
        return None
    elsewhere = [w.name for w in WEIGHTS.values() if w.kind == 'model' and w.tag == weights]
    hint = f"; {weights!r} weights exist for: {elsewhere}" if elsewhere else ''
    raise ValueError(f"weights must be one of {[w.tag for w in own]} (the released checkpoints of "
                     f"{name}), a catalogue name or a file, got {weights!r}{hint}")


# ---------------------------------------------------------------------------------------------
# loading

@dataclass
class LoadReport:
    """What loading weights did: the checkpoint keys used and skipped, the model keys left new.

    Attributes:
        weights: the catalogue name or the file.
        model: the model's class name.
        used: checkpoint keys whose tensors were loaded.
        skipped: checkpoint keys deliberately not loaded (classifiers, cached buffers).
        new: model keys no checkpoint tensor filled (heads, offsets, merges), BatchNorm counters
            excepted.
    """
    weights: str
    model: str
    used: List[str]
    skipped: List[str]
    new: List[str]

    def __str__(self) -> str:
        return (f"weights {self.weights} -> {self.model}: {len(self.used)} tensors used, "
                f"{len(self.skipped)} skipped{_groups(self.skipped)}, {len(self.new)} "
                f"new{_groups(self.new)}")


#: parameter and buffer names, dropped from the patterns of :func:`_groups`
_LEAVES = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def _groups(keys: List[str], limit: int = 3) -> str:
    """A short summary of ``keys``: their patterns (numbers as ``*``), or their top modules."""
    if not keys:
        return ''
    pats = set()
    for k in keys:
        head, _, leaf = k.rpartition('.')
        pats.add(re.sub(r'\d+', '*', head + '.*' if head and leaf in _LEAVES else k))
    if len(pats) > limit:
        pats = {k.split('.')[0] + '.*' for k in keys}
    shown = sorted(pats)[:limit]
    return f" ({', '.join(shown)}{', ...' if len(pats) > limit else ''})"


def _counter(key: str) -> bool:
    return key.endswith('num_batches_tracked')


def _report(weights: str, model: nn.Module, used: List[str], skipped: List[str], filled,
            verbose: bool) -> LoadReport:
    new = [k for k in model.state_dict() if k not in filled and not _counter(k)]
    report = LoadReport(weights, type(model).__name__, used, skipped, new)
    if verbose:
        print(report, file=sys.stderr)
    return report


def load_backbone_weights(model: nn.Module, weights: str = 'imagenet', *,
                          cache: Optional[str] = None, progress: bool = True,
                          verbose: bool = True) -> LoadReport:
    """Load ImageNet weights into ``model``'s backbone (:func:`find_backbone`), strictly.

    Args:
        model (nn.Module): any model with a ResNet, EfficientNet or HRNetV2 inside.
        weights (str): a tag (``'imagenet'``: the entry of the backbone's network), a catalogue
            name (``'resnet50_imagenet'``) or a file in that entry's format. (default:
            ``'imagenet'``)
        cache (str, optional): the folder of the files (default :func:`cache_dir`).
        progress (bool): a download progress bar. (default: ``True``)
        verbose (bool): print the report. (default: ``True``)

    Every checkpoint tensor must find its place with its shape or match the entry's ``skip``
    patterns (``ValueError`` naming the keys otherwise); the model tensors left untouched are
    reported as new.
    """
    if not isinstance(weights, str):
        raise TypeError(f"backbone_weights must be a str, got {type(weights).__name__}")
    prefix, net = find_backbone(model)
    entry = _backbone_entry(net, weights)
    if entry is None:  # a file: mapped as the first entry of its network
        entry = next(w for w in WEIGHTS.values() if _fits(w, _signature(net)))
        state, label = _state_dict(_read_file(None, weights), f"backbone_weights {weights!r}"), \
            weights
    else:
        path = download_weights(entry.name, cache, progress=progress)
        state, label = _state_dict(_read_file(entry, path), f"weights {entry.name!r}"), entry.name
    key_of = next(fn for cls, fn in MAPPINGS.items() if isinstance(net, cls))
    own = model.state_dict()
    mapped, used, skipped, homeless = {}, [], [], []
    for k, v in state.items():
        if any(fnmatch.fnmatchcase(k, p) for p in entry.skip):
            skipped.append(k)
            continue
        try:
            target = prefix + key_of(k, net)
        except KeyError:
            target = None
        if target not in own:
            homeless.append(k)
            continue
        if tuple(v.shape) != tuple(own[target].shape):
            raise ValueError(f"backbone_weights {label}: {k} {tuple(v.shape)} does not fit "
                             f"{target} {tuple(own[target].shape)} (another network, or "
                             f"in_channels != 3?)")
        mapped[target] = v
        used.append(k)
    if homeless:
        raise ValueError(f"backbone_weights {label}: {len(homeless)} checkpoint tensors have no "
                         f"place in the {type(net).__name__} at {prefix or 'the top'!r} of "
                         f"{type(model).__name__}: {homeless[:5]}")
    with torch.no_grad():
        for k, v in mapped.items():
            own[k].copy_(v)
    return _report(label, model, used, skipped, mapped, verbose)


def load_released_weights(model: nn.Module, weights: str, *, variant: Optional[str] = None,
                          cache: Optional[str] = None, progress: bool = True,
                          verbose: bool = True) -> LoadReport:
    """Load the authors' released checkpoint ``weights`` (a catalogue name, ``official:NAME``, or
    a file) into ``model`` through :func:`~graphseg.models.load_official`; a named entry brings its
    ``variant``, a file needs one where its keys do not say (``variant``, as ``load_official``)."""
    if not isinstance(weights, str):
        raise TypeError(f"weights must be a str, got {type(weights).__name__}")
    entry = get_weights(weights) if weights.startswith(OFFICIAL) or weights in WEIGHTS else None
    if entry is None:
        checkpoint, label = weights, weights
    else:
        if entry.kind != 'model':
            raise ValueError(f"weights {weights!r} are backbone weights: use "
                             "load_backbone_weights")
        if variant not in (None, entry.variant):
            raise ValueError(f"variant={variant!r}: weights {entry.name!r} are the variant "
                             f"{entry.variant!r}")
        variant, label = entry.variant, entry.name
        checkpoint = _read_file(entry, download_weights(entry.name, cache, progress=progress))
    converted, used, skipped = read_official(model, checkpoint, variant=variant)
    own = model.state_dict()
    with torch.no_grad():
        for k, v in converted.items():
            own[k].copy_(v)
    return _report(label, model, used, skipped, converted, verbose)


def _variant(entry: Weights, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The entry's variant, with ``kwargs`` that agree with it; any other argument is refused."""
    for k, v in kwargs.items():
        if entry.kwargs.get(k, object()) != v:
            raise ValueError(f"weights {entry.name!r} are {entry.arch}({_args(entry.kwargs)}), "
                             f"the released variant; {k}={v!r} would build another one, which "
                             "they were not trained as")
    return dict(entry.kwargs)


def _args(kwargs: Mapping[str, Any]) -> str:
    return ', '.join(f'{k}={v!r}' for k, v in kwargs.items())


def create_model(name: str, *, weights: Optional[str] = None,
                 backbone_weights: Optional[str] = None, **kwargs: Any) -> nn.Module:
    """Build a registered model (:func:`graphseg.models.registry.create_model`), optionally with
    weights by name.

    Args:
        name (str): a registered model.
        weights (str, optional): a released checkpoint of this model: its tag
            (``'cityscapes'``), its catalogue name (``'hyperseg_m_cityscapes'``, also as
            ``'official:...'``) or a file. A named checkpoint builds its own variant (e.g.
            ``signal_slices='released'`` for HyperSeg-M); arguments that contradict it are
            refused. (default: ``None``)
        backbone_weights (str, optional): ImageNet weights for the backbone
            (:func:`load_backbone_weights`): ``'imagenet'``, a catalogue name or a file.
            (default: ``None``)
        **kwargs: the factory's arguments.
    """
    if weights is None and backbone_weights is None:
        return _registry_create(name, **kwargs)
    if weights is not None and backbone_weights is not None:
        raise ValueError("pass weights= or backbone_weights=, not both: released weights set every "
                         "tensor of the model")
    entry = None
    if weights is not None:
        if not isinstance(weights, str):
            raise TypeError(f"weights must be a str, got {type(weights).__name__}")
        if name not in list_models():
            _registry_create(name)  # the registry's error: the list of models
        entry = _model_entry(name, weights)
        if entry is not None:
            kwargs = _variant(entry, kwargs)
    model = _registry_create(name, **kwargs)
    if backbone_weights is not None:
        load_backbone_weights(model, backbone_weights)
    else:
        load_released_weights(model, entry.name if entry is not None else weights)
    return model


def fetch_weights(name: str, kwargs: Optional[Mapping[str, Any]] = None, *,
                  weights: Optional[str] = None, backbone_weights: Optional[str] = None,
                  cache: Optional[str] = None, progress: bool = True) -> List[str]:
    """Make sure the named weights that ``create_model(name, weights=..., backbone_weights=...,
    **kwargs)`` will load are in the cache (downloading them), without building the model's
    tensors; returns their paths. ``kwargs`` that would build another variant than a named
    checkpoint's are refused here already. A run calls it before reading its data, so a machine
    without the files fails at once, naming the URL and the cache path."""
    paths = []
    if weights is not None:
        entry = _model_entry(name, weights)
        if entry is not None:
            _variant(entry, dict(kwargs or {}))  # another variant is refused before any download
            paths.append(download_weights(entry.name, cache, progress=progress))
    if backbone_weights is not None:
        with torch.device('meta'):  # the structure only, to find the backbone's entry
            model = _registry_create(name, **dict(kwargs or {}))
        entry = _backbone_entry(find_backbone(model)[1], backbone_weights)
        if entry is not None:
            paths.append(download_weights(entry.name, cache, progress=progress))
    return paths


__all__ = ['Weights', 'WEIGHTS', 'KINDS', 'OFFICIAL', 'MAPPINGS', 'LoadReport',
           'WeightsUnavailableError', 'list_weights', 'get_weights', 'official_name', 'cache_dir',
           'download_weights', 'find_backbone', 'load_backbone_weights', 'load_released_weights',
           'create_model', 'fetch_weights']
