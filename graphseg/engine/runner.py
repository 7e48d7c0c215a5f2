"""From a :class:`~graphseg.engine.config.RunConfig` to a trained / evaluated model in a run folder.

Used by ``graphseg train``, ``graphseg eval`` and ``graphseg demo``; split in two so
the commands validate everything (:func:`prepare`: config, data folders, model) before
a run folder is created, then run (:func:`fit`, :func:`run_evaluation`).
"""
from __future__ import annotations

import inspect
import os
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Union

import torch
from torch import nn
from torch.utils.data import Dataset

from .. import distributed as comm
from ..data import SegmentationFolder, build_dataset, build_transforms, check_labels, dataset_info
from ..evaluation.evaluate import evaluate
from ..models import create_model, model_entrypoint
from ..models.pretrained import fetch_weights, official_name
from ..fileio import atomic_torch_save
from .checkpoint import check_finite_weights, load_checkpoint, non_finite_tensors, state_dict_from
from .config import RunConfig
from .train import TrainingDiverged, train


@dataclass
class Prepared:
    """What a run needs, built and validated: datasets, transforms, model, device, dataset facts."""
    config: RunConfig
    model: nn.Module
    train_set: Optional[Dataset]
    val_set: Optional[Dataset]
    train_transform: Optional[Callable]
    val_transform: Optional[Callable]
    device: torch.device
    num_classes: int
    ignore_index: int
    task: str
    in_channels: int
    #: ``config`` as adapted to this machine by :func:`fit_to_machine` (what is run; ``config``
    #: stays what is recorded and checkpointed)
    machine_config: Optional[RunConfig] = None

    @property
    def run_config(self) -> RunConfig:
        return self.machine_config or self.config

    def data_options(self) -> Dict[str, Any]:
        sets = {'train': self.train_set, 'val': self.val_set}
        return {'dataset': self.config.data.dataset, 'root': self.config.data.root,
                'sizes': {k: len(v) for k, v in sets.items() if v is not None},
                'num_classes': self.num_classes, 'ignore_index': self.ignore_index,
                'task': self.task, 'in_channels': self.in_channels,
                'train_transform': repr(self.train_transform),
                'val_transform': repr(self.val_transform)}


def build_model(name: str, num_classes: int, in_channels: int = 3, **kwargs: Any) -> nn.Module:
    """``create_model(name, num_classes=..., **kwargs)``, passing ``in_channels`` only when it is
    not 3 (RGB is every model's default) and the factory takes it."""
    kwargs = dict(kwargs)
    kwargs.setdefault('num_classes', num_classes)
    if in_channels != 3 and 'in_channels' not in kwargs:
        params = inspect.signature(model_entrypoint(name)).parameters
        if 'in_channels' in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
            kwargs['in_channels'] = in_channels
    try:
        return create_model(name, **kwargs)
    except TypeError as e:
        raise ValueError(f"model {name!r} cannot be built with {kwargs}: {e}") from None


def check_state_fits(model: nn.Module, state: Dict[str, Any], what: str) -> None:
    """Raise ``ValueError`` naming ``what`` unless ``state`` has exactly ``model``'s keys and shapes
    (nothing is loaded)."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(
        k
        for k in set(own) & set(state)
        if tuple(own[k].shape) != tuple(getattr(state[k], 'shape', ()))
    )
    if missing or unexpected or shapes:
        parts = [
            f"{len(missing)} missing key(s) (e.g. {missing[0]!r})" if missing else '',
            f"{len(unexpected)} unexpected key(s) (e.g. {unexpected[0]!r})" if unexpected else '',
            f"{len(shapes)} shape mismatch(es) (e.g. {shapes[0]!r})" if shapes else '',
        ]
        raise ValueError(f"{what} does not fit model {type(model).__name__}: "
                         f"{', '.join(p for p in parts if p)}; "
                         f"was it written with another model config?")


def load_weights(model: nn.Module, path: str, *, allow_unsafe: bool = False) -> None:
    """Load a ``state_dict`` file or a graphseg checkpoint into ``model`` (strict): the checksum
    beside it checked, no code run, non-finite weights refused."""
    state = state_dict_from(load_checkpoint(path, allow_unsafe=allow_unsafe))
    check_finite_weights(state, f"weights file {path!r}")
    check_state_fits(model, state, f"weights file {path!r}")
    model.load_state_dict(state)


#: run-config keys a resumed run may change (they do not change what is trained); everything else
#: must equal the checkpoint's, so that a resumed run is the same run
RESUMABLE_KEYS = ('train.steps', 'train.log_every', 'train.checkpoint_every', 'train.eval_every',
                  'train.num_workers', 'train.device', 'device', 'data.root', 'model.weights',
                  'eval.batch_size', 'eval.scales', 'eval.flip', 'eval.size_divisor', 'eval.task',
                  'eval.apls')


def _flatten(d: Dict[str, Any], prefix: str = '') -> Dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict) and k != 'kwargs' and k != 'val_kwargs':
            out.update(_flatten(v, key + '.'))
        else:
            out[key] = v
    return out


def check_resume(state: Dict[str, Any], config: RunConfig, what: str) -> List[str]:
    """Check that resuming ``state`` with ``config`` continues the same run; returns the resumable
    keys that changed (e.g. ``train.steps``, to record). ``ValueError`` naming the key for any other
    change, for fewer steps than the checkpoint has, and for another optimiser's state."""
    step = int(state.get('step', 0))
    if config.train.steps < step:
        raise ValueError(f"{what} is at step {step}; train.steps = {config.train.steps} would end "
                         f"the run before it: set train.steps >= {step}")
    saved = state.get('run_config')
    if saved is None:  # checkpoints of older graphseg versions hold the train section only
        saved = {'train': state.get('config', {})}
    old, new = _flatten(saved), _flatten(config.to_dict())
    changed = []
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        if (list(a) if isinstance(a, tuple) else a) == (list(b) if isinstance(b, tuple) else b):
            continue
        if key in RESUMABLE_KEYS:
            changed.append(key)
            continue
        raise ValueError(f"{what} was trained with {key} = {_short(a)}, the config says "
                         f"{_short(b)}; a resumed run continues the same run (only "
                         f"{', '.join(RESUMABLE_KEYS[:5])}, ... "
                         f"may change): keep the value or start a new run in another --out")
    return changed


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'



def prepare(config: RunConfig, *, train: bool = True, weights: Optional[str] = None,
            allow_unsafe: bool = False) -> Prepared:
    """Resolve the device (joining a ``torchrun`` process group), build the datasets (``train`` and
    ``val`` splits, or ``val`` only), transforms and the model (seeded with ``train.seed``), load
    ``weights``/``model.weights`` (``allow_unsafe``: also files that need the unsafe unpickler;
    ``official:NAME``: a released checkpoint by name, which builds its own variant) or else
    ``model.backbone_weights``. A training split in which no pixel read has a valid label is
    refused first, naming it (:func:`~graphseg.data.check_labels`)."""
    device, _ = comm.init_distributed(config.device)
    mc = config.model
    released = official_name(weights) or official_name(mc.weights)
    backbone = None if weights or mc.weights else mc.backbone_weights  # whole weights overwrite it
    # named weights are fetched before the data are read: a machine without them (offline, empty
    # cache) stops at once, naming the URL and the cache path, not after a scan of the dataset
    fetch_weights(mc.name, mc.kwargs, weights=released, backbone_weights=backbone)
    dc = config.data
    train_set = build_dataset(dc.dataset, dc.root, dc.train_split, **dc.kwargs) if train else None
    val_set = build_dataset(dc.dataset, dc.root, dc.val_split, **{**dc.kwargs, **dc.val_kwargs})
    if train_set is not None:
        # a split whose labels all lie outside the label table trains at loss 0 and "completes":
        # refused here, naming the dataset (up to 256 label files; 16 samples of generated data)
        check_labels(train_set, 256 if isinstance(train_set, SegmentationFolder) else 16)
    info = dataset_info(val_set)
    tkw = dict(crop_size=dc.crop_size, scale_range=dc.scale_range, flip=dc.flip, jitter=dc.jitter,
               normalize=dc.normalize, ignore_index=info['ignore_index'])
    train_tf = build_transforms(True, **tkw)
    val_tf = build_transforms(False, **tkw)
    in_channels = int(val_set[0][0].shape[0])
    torch.manual_seed(config.train.seed)
    model = build_model(mc.name, info['num_classes'], in_channels, weights=released,
                        backbone_weights=backbone, **mc.kwargs)
    for path in (mc.weights, weights):
        if path and not official_name(path):
            load_weights(model, path, allow_unsafe=allow_unsafe)
    return Prepared(config, model, train_set, val_set, train_tf, val_tf, device,
                    info['num_classes'], info['ignore_index'], config.eval.task or info['task'],
                    in_channels)


def _cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def fit_to_machine(p: Prepared) -> List[str]:
    """Adapt ``p.config`` to the machine it runs on, one line for each setting that asks for more
    than the machine has, saying what is done instead: ``model.sync_bn`` in a single process
    (off), ``train.amp`` off CUDA (off), ``train.num_workers`` beyond this process's cores (that
    many), ``train.ohem_min_kept`` beyond a batch's pixels (kept: OHEM is then plain
    cross-entropy). ``p.machine_config`` receives the adapted config (``p.config``, recorded and
    checkpointed, is left as written, so that a resume elsewhere compares like with like)."""
    config, notes = p.config, []
    world = comm.get_world_size()
    if config.model.sync_bn and world == 1:
        notes.append("model.sync_bn: true, but this is a single process: BatchNorm stays "
                     "per-process (sync_bn needs torchrun with several processes)")
        config = replace(config, model=replace(config.model, sync_bn=False))
    tc = config.train
    if tc.amp and p.device.type != 'cuda':
        notes.append(f"train.amp: true, but the device is {p.device}: training in float32 "
                     f"(mixed precision here is CUDA-only)")
        tc = replace(tc, amp=False)
    local = int(os.environ.get('LOCAL_WORLD_SIZE', world))
    cores = max(1, _cores() // max(local, 1))
    if tc.num_workers > cores:
        notes.append(f"train.num_workers = {tc.num_workers}, but this process has {cores} CPU "
                     f"core(s): using {cores} (the data and its order are the same)")
        tc = replace(tc, num_workers=cores)
    if tc.loss == 'ohem' and p.train_set is not None and len(p.train_set):
        if config.data.crop_size is not None:
            h, w = config.data.crop_size
        else:
            h, w = p.train_set[0][1].shape[-2:]
        pixels = max(tc.batch_size // world, 1) * int(h) * int(w)
        if tc.ohem_min_kept >= pixels:
            notes.append(f"train.ohem_min_kept = {tc.ohem_min_kept} is at least the {pixels} "
                         f"pixels of a process's batch ({max(tc.batch_size // world, 1)} x "
                         f"{h}x{w}): OHEM keeps every labelled pixel, i.e. plain cross-entropy; "
                         f"lower it for hard-example mining")
    p.machine_config = replace(config, train=tc)
    return notes


def run_evaluation(p: Prepared, progress: bool = True) -> Dict[str, Any]:
    """Metrics of ``p.model`` on the validation split with the ``eval`` settings, and images/s."""
    ec = p.config.eval
    t0 = time.perf_counter()
    metrics = evaluate(p.model, p.val_set, p.num_classes, ignore_index=p.ignore_index,
                       batch_size=ec.batch_size, device=str(p.device), scales=ec.scales,
                       flip=ec.flip, size_divisor=ec.size_divisor, task=p.task, apls=ec.apls,
                       progress=progress, transform=p.val_transform)
    metrics['eval_images_per_s'] = len(p.val_set) / max(time.perf_counter() - t0, 1e-9)
    return metrics


def fit(p: Prepared, run_dir: Optional[str], *, resume: Union[str, Dict[str, Any], None] = None,
        progress: bool = True,
        on_log: Optional[Callable[[Dict[str, Any]], None]] = None) -> Dict[str, Any]:
    """Train with ``p.config.train`` (checkpoints in ``run_dir/checkpoint.pt``), then evaluate;
    returns ``{'train_log', 'metrics', 'params', 'train_images_per_s'}`` and writes
    ``run_dir/model.pt``. ``resume``: a checkpoint path or an already loaded checkpoint."""
    cfg = replace(p.run_config.train, device=str(p.device))
    ckpt = os.path.join(run_dir, 'checkpoint.pt') if run_dir else None
    validate = (lambda m: run_evaluation(p, progress=False)) if cfg.eval_every else None
    state = resume
    if isinstance(resume, (str, os.PathLike)):
        state = load_checkpoint(resume, map_location=p.device)
    if state is not None:
        check_state_fits(p.model, state_dict_from(state), 'the checkpoint to resume')
    steps_run = cfg.steps - (int(state['step']) if state else 0)
    t0 = time.perf_counter()
    log = train(p.model, p.train_set, cfg, ignore_index=p.ignore_index, transform=p.train_transform,
                progress=progress, checkpoint_path=ckpt, resume=state,
                sync_bn=p.run_config.model.sync_bn, validate=validate, on_log=on_log,
                checkpoint_extra={'run_config': p.config.to_dict()}, root=run_dir,
                name=p.config.model.name)
    seconds = time.perf_counter() - t0
    if run_dir and comm.is_main_process():
        weights = p.model.state_dict()
        bad = non_finite_tensors(weights)
        if bad:  # never written: the checkpoint of the last good step stays the result
            raise TrainingDiverged("training ended with non-finite weights "
                                   f"({', '.join(bad[:3])}); "
                                   f"model.pt is not written; lower train.lr")
        atomic_torch_save(weights, os.path.join(run_dir, 'model.pt'), root=run_dir)
    metrics = run_evaluation(p, progress)
    return {
        'train_log': log,
        'metrics': metrics,
        'params': sum(t.numel() for t in p.model.parameters()),
        'train_seconds': seconds,
        'train_images_per_s': steps_run * cfg.batch_size / seconds
        if steps_run > 0 and seconds > 0
        else None,
    }


def latest_checkpoint(run_dir: str) -> Optional[str]:
    path = os.path.join(run_dir, 'checkpoint.pt')
    return path if os.path.isfile(path) else None


def model_summary(p: Prepared) -> List[Dict[str, Any]]:
    return [
        {
            'name': p.config.model.name,
            'kwargs': p.config.model.kwargs,
            'class': type(p.model).__name__,
            'params': sum(t.numel() for t in p.model.parameters()),
            'weights': p.config.model.weights,
        }
    ]


__all__ = ['Prepared', 'prepare', 'fit', 'run_evaluation', 'build_model', 'load_weights',
           'check_state_fits', 'check_resume', 'fit_to_machine', 'RESUMABLE_KEYS',
           'latest_checkpoint', 'model_summary']
