"""Run configuration: dataclasses validated against their own type hints, read from YAML
(``yaml.safe_load``).

A run config (a YAML file, or the name of a config shipped in ``graphseg/configs/``: ``graphseg
configs`` lists them) has four sections and one top-level key::

    model:  {name: hg_resnet18, kwargs: {ratio: 0.015625}, weights: null, sync_bn: false}
    data:   {dataset: cityscapes, root: data/cityscapes, crop_size: [769, 769], ...}
    train:  {steps: 40000, batch_size: 8, optimizer: sgd, lr: 0.01, ...}
    eval:   {scales: [1.0], flip: false, ...}
    device: auto        # the one device key: auto (CUDA when available), cpu, cuda, cuda:N

Every key is checked: an unknown key, a value of the wrong type or outside its
choices raises :class:`ConfigError` naming the dotted key and the file, e.g.
``configs/x.yaml: train.optimizer must be one of ('sgd', 'adamw', 'adam'), got 'sgdd'``.
``key=value`` overrides (the command line) use the same dotted keys, values parsed as YAML scalars.
No code runs while reading a config. ``graphseg config show NAME|PATH`` prints a config with every
key, its default and its meaning (:func:`config_docs`).
"""
from __future__ import annotations

import dataclasses
import importlib.resources
import os
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import yaml

from ..check import check_device, did_you_mean
from ..data import DATASETS
from ..models import list_models


class ConfigError(ValueError):
    """A config key or value is invalid (the message names the key and the file)."""


def _choices(*values: str, default: Any = None, **kw):
    return field(default=default, metadata={'choices': values}, **kw)



@dataclass
class TrainConfig:
    """Optimisation (:func:`graphseg.engine.train`).

    Args:
        steps (int): optimisation steps. (default: ``300``)
        batch_size (int): images per step over all processes (divided among DDP ranks).
            (default: ``16``)
        optimizer (str): ``'sgd'`` (momentum, Nesterov off), ``'adamw'`` or ``'adam'``.
            (default: ``'adamw'``)
        lr (float): base learning rate, decayed by ``(1 - step / steps) ** poly_power``.
            (default: ``2e-3``)
        momentum (float): SGD momentum. (default: ``0.9``)
        betas (list): Adam/AdamW betas. (default: ``[0.9, 0.999]``)
        weight_decay (float): L2 weight decay (decoupled for AdamW). (default: ``1e-4``)
        poly_power (float): exponent of the poly schedule (0.9 in PSPNet, RGNet, HG-ResNet).
            (default: ``0.9``)
        warmup_steps (int): linear warm-up steps before the poly decay. (default: ``0``)
        aux_weight (float): weight of the auxiliary head's loss (``'aux'`` output).
            (default: ``0.4``)
        loss (str): ``'ce'`` cross-entropy, ``'ohem'`` online hard example mining (PSPNet/OCNet
            style: pixels whose true-class probability is below ``ohem_thresh``, at least
            ``ohem_min_kept``), ``'bootstrap'`` bootstrapped CE (the ``bootstrap_ratio`` hardest
            pixels of each image). Models with ``compute_loss`` (QGN's level loss) use their own.
            (default: ``'ce'``)
        ohem_thresh (float): OHEM keeps pixels whose true-class probability is below this.
            (default: ``0.7``)
        ohem_min_kept (int): OHEM keeps at least this many pixels per process and step.
            (default: ``100000``)
        bootstrap_ratio (float): the fraction of hardest pixels bootstrapped CE keeps.
            (default: ``0.25``)
        amp (bool): mixed precision (float16 autocast + GradScaler) on CUDA; ignored on CPU.
            (default: ``False``)
        grad_clip (float, optional): clip the global gradient norm. (default: ``None``)
        seed (int): seeds the model initialisation, the data order and every augmentation.
            (default: ``0``)
        deterministic (bool): ``torch.use_deterministic_algorithms`` and no cuDNN benchmarking.
            (default: ``False``)
        num_workers (int): DataLoader workers per process. (default: ``0``)
        log_every (int): steps between log entries. (default: ``50``)
        checkpoint_every (int): steps between checkpoints (0: only at the end). (default: ``0``)
        eval_every (int): steps between validation passes (0: only at the end). (default: ``0``)
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:N'``: for :func:`graphseg.engine.train`
            called from Python. A run config has one device key, the top-level ``device``
            (``train.device`` is refused there). (default: ``'cpu'``)
    """
    steps: int = 300
    batch_size: int = 16
    optimizer: str = _choices('sgd', 'adamw', 'adam', default='adamw')
    lr: float = 2e-3
    momentum: float = 0.9
    betas: List[float] = field(default_factory=lambda: [0.9, 0.999])
    weight_decay: float = 1e-4
    poly_power: float = 0.9
    warmup_steps: int = 0
    aux_weight: float = 0.4
    loss: str = _choices('ce', 'ohem', 'bootstrap', default='ce')
    ohem_thresh: float = 0.7
    ohem_min_kept: int = 100000
    bootstrap_ratio: float = 0.25
    amp: bool = False
    grad_clip: Optional[float] = None
    seed: int = 0
    deterministic: bool = False
    num_workers: int = 0
    log_every: int = 50
    checkpoint_every: int = 0
    eval_every: int = 0
    device: str = 'cpu'

    def __post_init__(self) -> None:
        _check_fields(self)  # types and choices; the ranges follow
        for name in ('steps', 'batch_size', 'log_every'):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        for name in ('warmup_steps', 'num_workers', 'checkpoint_every', 'eval_every',
                     'ohem_min_kept'):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be an integer >= 0, got {getattr(self, name)!r}")
        # `not <=` also rejects NaN
        for name in ('aux_weight', 'weight_decay', 'momentum', 'poly_power'):
            if not 0 <= getattr(self, name) < float('inf'):
                raise ConfigError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        if not self.lr > 0 or self.lr == float('inf'):
            raise ConfigError(f"lr must be a finite number > 0, got {self.lr}")
        if not 0 < self.bootstrap_ratio <= 1:
            raise ConfigError(f"bootstrap_ratio must be in (0, 1], got {self.bootstrap_ratio}")
        if not 0 < self.ohem_thresh <= 1:
            raise ConfigError(f"ohem_thresh must be in (0, 1], got {self.ohem_thresh}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ConfigError(f"betas must have 2 values in [0, 1), got {self.betas}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ConfigError(f"grad_clip must be > 0 or null, got {self.grad_clip}")
        if self.warmup_steps >= self.steps:
            raise ConfigError(f"warmup_steps must be < steps = {self.steps}, got "
                              f"{self.warmup_steps}")
        try:
            check_device(self.device, 'device')
        except ValueError as e:
            raise ConfigError(str(e)) from None


@dataclass
class ModelConfig:
    """The network.

    Args:
        name (str): a registered segmentation model (``graphseg info --models`` lists them).
            (default: ``'fcn_small'``)
        kwargs (dict): the model factory's arguments, e.g. ``{ratio: 0.015625}``.
            (default: ``{}``)
        weights (str, optional): a ``state_dict`` file (or a graphseg checkpoint) loaded before
            training / evaluating, or ``official:NAME``, an authors' released checkpoint by name
            (``graphseg weights list``; it builds its own variant of ``name``). (default: ``None``)
        backbone_weights (str, optional): ImageNet weights for the backbone, loaded before
            training unless ``weights`` are given: ``imagenet`` (the entry of the model's
            backbone network), a catalogue name (``graphseg weights list``) or a file.
            (default: ``None``)
        sync_bn (bool): synchronised BatchNorm across processes under DDP. (default: ``False``)
    """
    name: str = 'fcn_small'
    kwargs: Dict[str, Any] = field(default_factory=dict)
    weights: Optional[str] = None
    backbone_weights: Optional[str] = None
    sync_bn: bool = False

    def __post_init__(self) -> None:  # the name is checked against the registry by load_run_config
        _check_fields(self)


@dataclass
class DataConfig:
    """Dataset and augmentation. Training augmentation runs in the papers' order: random scale,
    random crop (padding image 0 / target ignore), horizontal flip, photometric jitter, then
    normalisation; evaluation applies ``normalize`` only.

    Args:
        dataset (str): a key of :data:`graphseg.data.DATASETS`. (default: ``'digits'``)
        root (str, optional): the dataset's folder (not used by ``digits``). (default: ``None``)
        train_split (str): the training split. (default: ``'train'``)
        val_split (str): the split evaluated during and after training. (default: ``'val'``)
        kwargs (dict): the dataset reader's arguments. (default: ``{}``)
        val_kwargs (dict): reader arguments for the validation split only, over ``kwargs``.
            (default: ``{}``)
        crop_size (list, optional): random crop ``[h, w]`` for training. (default: ``None``)
        scale_range (list): random rescale factor range ``[lo, hi]``. (default: ``[1.0, 1.0]``)
        flip (bool): random horizontal flip. (default: ``False``)
        jitter (float): brightness, contrast and saturation jitter strength (0 = off).
            (default: ``0.0``)
        normalize (str): ``'imagenet'`` mean/std or ``'none'``. (default: ``'none'``)
    """
    dataset: str = 'digits'
    root: Optional[str] = None
    train_split: str = 'train'
    val_split: str = 'val'
    kwargs: Dict[str, Any] = field(default_factory=dict)
    val_kwargs: Dict[str, Any] = field(default_factory=dict)
    crop_size: Optional[List[int]] = None
    scale_range: List[float] = field(default_factory=lambda: [1.0, 1.0])
    flip: bool = False
    jitter: float = 0.0
    normalize: str = _choices('none', 'imagenet', default='none')

    def __post_init__(self) -> None:
        _check_fields(self)
        if self.crop_size is not None and (len(self.crop_size) != 2 or min(self.crop_size) < 1):
            raise ConfigError("crop_size must be [h, w] with positive sizes or null, got "
                              f"{self.crop_size}")
        if len(self.scale_range) != 2 or not 0 < self.scale_range[0] <= self.scale_range[1]:
            raise ConfigError("scale_range must be [lo, hi] with 0 < lo <= hi, got "
                              f"{self.scale_range}")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"jitter must be in [0, 1), got {self.jitter}")


@dataclass
class EvalConfig:
    """Evaluation.

    Args:
        batch_size (int): images per evaluation batch. (default: ``1``)
        scales (list): multi-scale testing: softmax averaged over these scales at the input size.
            (default: ``[1.0]``)
        flip (bool): also average the horizontally flipped input. (default: ``False``)
        size_divisor (int): pad inputs to a multiple of this and crop the output (32 for QGN and
            HyperSeg). (default: ``1``)
        task (str, optional): ``'semantic'`` (mIoU, pixel acc.), ``'saliency'`` (max-F, MAE,
            S-measure) or ``'road'`` (road IoU, APLS); ``null``: the dataset's. (default:
            ``None``)
        apls (bool): also compute APLS for ``'road'`` (slower). (default: ``True``)
    """
    batch_size: int = 1
    scales: List[float] = field(default_factory=lambda: [1.0])
    flip: bool = False
    size_divisor: int = 1
    task: Optional[str] = _choices('semantic', 'saliency', 'road', None, default=None)
    apls: bool = True

    def __post_init__(self) -> None:
        _check_fields(self)
        if self.batch_size < 1 or self.size_divisor < 1:
            raise ConfigError(f"batch_size and size_divisor must be >= 1, got {self.batch_size}, "
                              f"{self.size_divisor}")
        if not self.scales or not all(0 < s < float('inf') for s in self.scales):
            raise ConfigError("scales must be a non-empty list of positive numbers, got "
                              f"{self.scales}")


@dataclass
class RunConfig:
    """A whole run.

    Args:
        model (ModelConfig): the network.
        data (DataConfig): dataset and augmentation.
        train (TrainConfig): optimisation.
        eval (EvalConfig): evaluation.
        device (str): ``'auto'`` (CUDA when available), ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            (default: ``'auto'``)
    """
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    device: str = 'auto'

    def __post_init__(self) -> None:
        _check_fields(self)
        if self.device != 'auto' and not (
            self.device in ('cpu', 'cuda') or self.device.startswith('cuda:')
        ):
            raise ConfigError("device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got "
                              f"{self.device!r}")

    def to_dict(self) -> Dict[str, Any]:
        """The config as the nested dict a YAML file holds (without ``train.device``: a run's
        device is the top-level ``device``)."""
        out = dataclasses.asdict(self)
        out['train'].pop('device', None)
        return out


# ---------------------------------------------------------------------------------------------
# validation
def _type_name(tp) -> str:
    return getattr(tp, '__name__', str(tp).replace('typing.', ''))


#: scalar type -> (accepts the value, what the message says is expected, conversion)
_SCALARS = {
    bool: (lambda v: isinstance(v, bool), 'true or false', None),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), 'an integer', None),
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), 'a number', float),
    str: (lambda v: isinstance(v, str), 'a string', None),
}


def _coerce(value: Any, tp, key: str) -> Any:
    """``value`` checked against the type hint ``tp`` (int, float, bool, str, Optional, List, Dict,
    dataclass)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Union:
        if value is None and type(None) in args:
            return None
        return _coerce(value, next(a for a in args if a is not type(None)), key)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if origin in (list, List, Sequence):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {_short(value)}")
        return [_coerce(v, args[0], f'{key}[{i}]') for i, v in enumerate(value)]
    if origin in (dict, Dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping, got {_short(value)}")
        return dict(value)
    if tp is Any:
        return value
    if tp not in _SCALARS:  # pragma: no cover - a config field of another type
        raise TypeError(f"unsupported config type {_type_name(tp)} for {key}")
    accepts, expected, convert = _SCALARS[tp]
    if not accepts(value):
        raise ConfigError(f"{key} must be {expected}, got {_short(value)}")
    if tp is int and not -2 ** 63 <= value < 2 ** 63:  # YAML ints are unbounded, tensors are not
        raise ConfigError(f"{key} must be an integer that fits in 64 bits, got {_short(value)}")
    return convert(value) if convert else value


def _check_fields(obj: Any) -> None:
    """Every field of a config dataclass against its type hint and choices, as :func:`_build` checks
    a YAML mapping, so that a config built in Python (``TrainConfig(lr='fast')``) fails the same
    way."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value, tp = getattr(obj, f.name), hints[f.name]
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, tp):
                raise ConfigError(f"{f.name} must be a {tp.__name__} (a mapping in a config file), "
                                  f"got {type(value).__name__}")
            continue
        value = _coerce(value, tp, f.name)
        choices = f.metadata.get('choices')
        if choices is not None and value not in choices:
            raise ConfigError(f"{f.name} must be one of "
                              f"{tuple(c for c in choices if c is not None)}"
                              f"{' or null' if None in choices else ''}, got {_short(value)}")
        setattr(obj, f.name, value)


def _build(cls, values: Any, prefix: str = ''):
    if not isinstance(values, dict):
        raise ConfigError(f"{prefix or 'the config'} must be a mapping, got {_short(values)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        where = f"{prefix}." if prefix else ''
        raise ConfigError(f"unknown key {where}{unknown[0]!s}; known "
                          f"keys{' of ' + prefix if prefix else ''}: {sorted(fields)}")
    kwargs = {}
    for name, value in values.items():
        key = f'{prefix}.{name}' if prefix else name
        value = _coerce(value, hints[name], key)
        choices = fields[name].metadata.get('choices')
        if choices is not None and value not in choices:
            raise ConfigError(f"{key} must be one of {tuple(c for c in choices if c is not None)}"
                              f"{' or null' if None in choices else ''}, got {_short(value)}")
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{prefix + '.' if prefix else ''}{e}") from None


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (a pathological value must not flood a
    message)."""
    text = repr(value)
    return text if len(text) <= limit else f'{text[:limit]}... ({len(text)} characters)'


#: YAML 1.2 core schema: ints are decimal, 0o octal or 0x hex (no YAML 1.1 ``010`` = 8, ``1:30`` =
#: 90), booleans only true / false (``yes`` / ``on`` stay strings and are refused where a bool is
#: expected)
_YAML12 = {
    'tag:yaml.org,2002:bool': re.compile(r'^(?:true|True|TRUE|false|False|FALSE)$'),
    'tag:yaml.org,2002:int': re.compile(r'^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$'),
    'tag:yaml.org,2002:float': re.compile(
        r'^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)'
        r'|\.(?:nan|NaN|NAN))$'),
}
#: the most YAML nodes a config may expand to (an alias bomb of a few hundred bytes expands to
#: millions)
MAX_NODES = 100_000


def _at(node) -> str:
    return f'line {node.start_mark.line + 1}, column {node.start_mark.column + 1}'


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the YAML 1.2 core schema for scalars and no duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConfigError(f"duplicate key {_short(key)} at line "
                                  f"{key_node.start_mark.line + 1} "
                                  f"(first at line {seen[key] + 1}): YAML keeps only the last one")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        value = self.construct_scalar(node)
        if value.startswith('0o'):
            return int(value[2:], 8)
        return int(value, 16) if value.startswith('0x') else int(value, 10)


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML12]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _tag, _regexp in _YAML12.items():
    StrictLoader.add_implicit_resolver(_tag, _regexp, list('-+0123456789.tTfFnNiI'))
StrictLoader.add_constructor('tag:yaml.org,2002:int', StrictLoader.construct_yaml_int)


def _count_nodes(node, memo: Dict[int, int]) -> int:
    """Nodes of a composed YAML document with every alias expanded (a shared node counts each
    time)."""
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_count_nodes(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(_count_nodes(k, memo) + _count_nodes(v, memo) for k, v in node.value)
    else:
        total = 1
    memo[id(node)] = min(total, MAX_NODES + 1)
    return memo[id(node)]


def parse_yaml(text: str, where: str = 'config') -> Any:
    """A YAML document read strictly: YAML 1.2 scalars, no duplicate keys, at most :data:`MAX_NODES`
    nodes once aliases are expanded; errors are one-line :class:`ConfigError` naming ``where``."""
    try:
        loader = StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _count_nodes(node, {}) > MAX_NODES:
                raise ConfigError(f"{where}: expands to more than {MAX_NODES} values through YAML "
                                  f"aliases (&anchor / *alias); write the values out")
            return loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}" if not str(e).startswith(where) else str(e)) from None
    except yaml.YAMLError as e:
        first = ' '.join(str(e).split())
        raise ConfigError(f"{where}: not valid YAML: {first[:200]}") from None


def parse_overrides(items: Sequence[str]) -> Dict[str, Any]:
    """``['train.lr=0.01', 'data.crop_size=[64, 64]']`` -> a nested dict (values parsed as YAML)."""
    out: Dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition('=')
        if not sep or not key or any(not p for p in key.split('.')):
            raise ConfigError(f"override must look like section.key=value, got {_short(item)}")
        try:
            value = parse_yaml(raw, f'override {_short(item)}') if raw.strip() else None
        except ConfigError as e:
            raise ConfigError(f"override {_short(item)}: the value is not valid YAML "
                              f"({str(e).rsplit(': ', 1)[-1][:80]})") from None
        node = out
        parts = key.split('.')
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {_short(item)} conflicts with another override of "
                                  f"{p!r}")
        node[parts[-1]] = value
    return out


def _merge(base: Dict[str, Any], extra: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ('kwargs',
                                                                              'val_kwargs'):
            out[k] = _merge(out[k], v)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def read_yaml(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """The mapping in a YAML config file, read strictly (:func:`parse_yaml`): UTF-8 only, errors
    that name the file."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise IsADirectoryError(f"config file {name!r} is a folder, expected a YAML file")
    if not os.path.exists(name):
        raise FileNotFoundError(f"config file {name!r} does not exist")
    if not os.path.isfile(name):
        raise ConfigError(f"config file {name!r} is not a regular file")
    with open(name, 'rb') as f:
        raw = f.read()
    if raw.startswith((b'\xff\xfe', b'\xfe\xff', b'\x00\x00\xfe\xff', b'\xff\xfe\x00\x00')) \
            or (len(raw) > 1 and b'\x00' in raw[:4]):
        raise ConfigError(f"{name}: is UTF-16 or UTF-32; config files must be UTF-8")
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{name}: is not UTF-8 (byte {e.start}); config files must be UTF-8"
        ) from None
    values = parse_yaml(text, name)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: must hold a mapping, got {type(values).__name__}")
    return values


_ARG = re.compile(r'^ {8}(\w+) \(([^)]*)\): ?(.*)$')


def _arg_docs(cls) -> Dict[str, str]:
    """Field -> its one-paragraph doc from the ``Args:`` section of ``cls``'s docstring (the
    ``(default: ...)`` left out: the default is read from the field)."""
    docs: Dict[str, List[str]] = {}
    current = None
    lines = (cls.__doc__ or '').split('\n')
    start = next((i for i, line in enumerate(lines) if line.strip() == 'Args:'), len(lines))
    for line in lines[start + 1:]:
        match = _ARG.match(line)
        if match:
            current = match.group(1)
            docs[current] = [match.group(3)]
        elif current and line.startswith(' ' * 12):
            docs[current].append(line.strip())
        elif line.strip():
            break
    out = {}
    for name, parts in docs.items():
        text = re.sub(r'\s*\(default:.*\)\s*$', '', ' '.join(parts)).strip()
        out[name] = re.sub(r':\w+:`~?([^`]+)`', r'\1', text).replace('``', '')
    return out


def config_docs(cls: type = None, prefix: str = '') -> Dict[str, tuple]:
    """Dotted key -> ``(default, doc)`` for every key of a run config (``cls``: a config dataclass,
    by default :class:`RunConfig`), read from the dataclasses' fields and ``Args:`` docstrings:
    what ``graphseg config show`` prints beside each value."""
    cls = RunConfig if cls is None else cls
    hints = typing.get_type_hints(cls)
    docs = _arg_docs(cls)
    out: Dict[str, tuple] = {}
    for f in dataclasses.fields(cls):
        key = f'{prefix}{f.name}'
        if dataclasses.is_dataclass(hints[f.name]):
            out.update(config_docs(hints[f.name], key + '.'))
            continue
        if cls is TrainConfig and f.name == 'device':
            continue  # the run's device is the top-level key
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[key] = (default, docs.get(f.name, ''))
    return out


def _flow(value: Any) -> str:
    """``value`` as one line of YAML (flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10 ** 6, sort_keys=False)
    return text.strip().removesuffix('...').strip()


def format_config(config: 'RunConfig', width: int = 100) -> str:
    """``config`` as YAML with every key, each preceded by a comment with its meaning and default
    (:func:`config_docs`), wrapped to ``width``; the text loads back as the same config. What
    ``graphseg config show`` prints."""
    import textwrap
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a RunConfig, got {type(config).__name__}")
    values = config.to_dict()
    out, section = [], None
    for key, (default, doc) in config_docs().items():
        head, _, name = key.rpartition('.')
        if head != section and head:
            out.append(f'{head}:')
        section = head
        indent = '  ' if head else ''
        value = values[head][name] if head else values[name]
        text = f'{doc} [default: {_flow(default)}]'.strip()
        out += textwrap.wrap(text, width, initial_indent=f'{indent}# ',
                             subsequent_indent=f'{indent}#   ', break_on_hyphens=False)
        out.append(f'{indent}{name}: {_flow(value)}')
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------------------------
# the configs shipped with graphseg (package data: graphseg/configs/*.yaml)
def _shipped_dir():
    return importlib.resources.files('graphseg').joinpath('configs')


def shipped_configs() -> Dict[str, str]:
    """Name -> one-line summary of every config shipped with graphseg (``graphseg/configs/*.yaml``,
    installed with the package): the summary is the file's first comment line, up to its first
    colon."""
    out = {}
    for entry in sorted(_shipped_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith('.yaml'):
            first = entry.read_text(encoding='utf-8').split('\n', 1)[0]
            summary = first.lstrip('#').strip().split(': ', 1)[0]
            out[entry.name[:-len('.yaml')]] = summary.rstrip(':')
    return out


#: configs shipped before the paper-table configs -> the paper config of the same network and
#: dataset (named in the error, so that an old command finds its replacement)
_RENAMED_CONFIGS = {
    'hg_resnet101_cityscapes': 'hgconv_t12_cityscapes_hg_resnet101',
    'hg_resunet18_attn_deepglobe': 'hgconv_t12_deepglobe_hg_resunet18_attn',
    'hg_resunet18_attn_duts': 'hgconv_t12_duts_hg_resunet50_attn_object',
    'hyperseg_m_cityscapes': 'hyperseg_t1_cityscapes_hyperseg_m',
    'qgn_resnet50_cityscapes': 'qgn_t1_cityscapes_qgn_resnet34_g1',
    'rgnet_resnet101_cityscapes': 'repgraph_t5_cityscapes_rgnet_resnet101',
}


def resolve_config(source: Union[str, os.PathLike]) -> str:
    """The file a ``--config`` value names: an existing path, else the shipped config of that name
    (``digits`` or ``digits.yaml``). ``FileNotFoundError`` naming the value (and the closest shipped
    name, or the replacement of a config shipped before the paper configs) for neither."""
    name = os.fspath(source)
    if os.path.exists(name):
        return name
    stem = os.path.basename(name)
    stem = stem[:-len('.yaml')] if stem.endswith('.yaml') else stem
    shipped = shipped_configs()
    if stem in shipped and os.path.dirname(name) in ('', 'configs'):
        return os.fspath(_shipped_dir().joinpath(f'{stem}.yaml'))
    if stem in _RENAMED_CONFIGS and os.path.dirname(name) in ('', 'configs'):
        raise FileNotFoundError(f"config {name!r} was replaced by the papers' table configs: pass "
                                f"--config {_RENAMED_CONFIGS[stem]} (graphseg configs lists them)")
    if os.sep in name or name.endswith(('.yaml', '.yml')):
        hint = f" (graphseg ships a config named {stem!r}: pass --config {stem})" \
            if stem in shipped else ''
        raise FileNotFoundError(f"config file {name!r} does not exist{hint}")
    raise FileNotFoundError(f"config {name!r} is neither a file nor a shipped config"
                            f"{did_you_mean(name, shipped)}; graphseg configs lists them")


def load_run_config(source: Union[str, os.PathLike, Dict[str, Any], None] = None,
                    overrides: Union[Sequence[str], Dict[str, Any], None] = None, *,
                    check_names: bool = True) -> RunConfig:
    """A validated :class:`RunConfig` from a YAML file (a path or a shipped config's name, see
    :func:`resolve_config`; or a dict) plus overrides (``key=value``
    strings or a nested dict). With ``check_names``, ``model.name`` must be a registered
    segmentation model and ``data.dataset`` a known dataset. Errors are :class:`ConfigError` naming
    the key and the file."""
    if isinstance(source, (str, os.PathLike)):
        source = resolve_config(source)
    where = os.fspath(source) if isinstance(source, (str, os.PathLike)) else 'config'
    if isinstance(source, (str, os.PathLike)):
        values = read_yaml(source)
    elif isinstance(source, dict):
        values = dict(source)
    elif source is None:
        values = {}
    else:
        raise TypeError(f"source must be a path, a dict or None, got {type(source).__name__}")
    if isinstance(overrides, str):
        raise TypeError("overrides must be a list of 'section.key=value' strings or a dict, got "
                        f"the string {overrides!r}; pass [{overrides!r}]")
    if overrides:
        extra = parse_overrides(overrides) if not isinstance(overrides, dict) else overrides
        values = _merge(values, extra)
        where += ' (with overrides)'
    try:
        if isinstance(values.get('train'), dict) and 'device' in values['train']:
            raise ConfigError("train.device is not a run-config key: a run has one device key, "
                              "the top-level device (auto, cpu, cuda, cuda:N); move it there")
        config = _build(RunConfig, values)
        if check_names:
            _check_names(config)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    return config


def _check_names(config: RunConfig) -> None:
    known = list_models(task='segmentation')
    if config.model.name not in known:
        raise ConfigError(f"model.name must be a registered segmentation model {known}, got "
                          f"{config.model.name!r}")
    if config.data.dataset not in DATASETS:
        raise ConfigError(f"data.dataset must be one of {sorted(DATASETS)}, got "
                          f"{config.data.dataset!r}")


def load_config(source: Union[str, os.PathLike, Dict[str, Any], None] = None,
                **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a flat YAML file or dict (the ``train:`` section of a run config
    is also accepted), with keyword overrides; unknown keys raise."""
    if not (source is None or isinstance(source, (str, os.PathLike, dict))):
        raise TypeError(f"source must be a path, a dict or None, got {type(source).__name__}")
    values = read_yaml(source) if isinstance(source, (str, os.PathLike)) else dict(source or {})
    if 'train' in values and isinstance(values['train'], dict):
        values = dict(values['train'])
    values.update({k: v for k, v in overrides.items() if v is not None})
    where = os.fspath(source) if isinstance(source, (str, os.PathLike)) else 'config'
    try:
        return _build(TrainConfig, values)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


__all__ = ['TrainConfig', 'ModelConfig', 'DataConfig', 'EvalConfig', 'RunConfig', 'ConfigError',
           'load_config', 'load_run_config', 'parse_overrides', 'read_yaml', 'parse_yaml',
           'StrictLoader', 'shipped_configs', 'resolve_config', 'config_docs', 'format_config']
