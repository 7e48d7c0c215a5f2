"""Bad-input rows of graphseg.engine: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch

from graphseg import engine
from tests.bad_input_fixtures import NAN, E, S, dataset, fcn, files, labels, mnist_model

ERRORS = [
    # ---------------------------------------------------------------- graphseg.engine
    ('engine.TrainConfig: steps 0', lambda: engine.TrainConfig(steps=0), engine.ConfigError,
     r'steps must be an integer >= 1, got 0'),
    ('engine.TrainConfig: steps float', lambda: engine.TrainConfig(steps=2.5), E,
     r'steps must be an integer, got 2.5'),
    ('engine.TrainConfig: batch_size 0', lambda: engine.TrainConfig(batch_size=0), E,
     r'batch_size must be an integer >= 1, got 0'),
    ('engine.TrainConfig: lr str', lambda: engine.TrainConfig(lr='fast'), E,
     r"lr must be a number, got 'fast'"),
    ('engine.TrainConfig: lr NaN', lambda: engine.TrainConfig(lr=NAN), E,
     r'lr must be a finite number > 0, got nan'),
    ('engine.TrainConfig: weight_decay negative', lambda: engine.TrainConfig(weight_decay=-1), E,
     r'weight_decay must be a finite number >= 0, got -1'),
    ('engine.TrainConfig: momentum NaN', lambda: engine.TrainConfig(momentum=NAN), E,
     r'momentum must be a finite number >= 0, got nan'),
    ('engine.TrainConfig: betas', lambda: engine.TrainConfig(betas=[0.9, 2.]), E,
     r'betas must have 2 values in \[0, 1\), got \[0.9, 2.0\]'),
    ('engine.TrainConfig: optimizer', lambda: engine.TrainConfig(optimizer='sgdd'), E,
     r"optimizer must be one of \('sgd', 'adamw', 'adam'\), got 'sgdd'"),
    ('engine.TrainConfig: loss', lambda: engine.TrainConfig(loss='dice'), E,
     r"loss must be one of \('ce', 'ohem', 'bootstrap'\), got 'dice'"),
    ('engine.TrainConfig: grad_clip str', lambda: engine.TrainConfig(grad_clip='a'), E,
     r"grad_clip must be a number, got 'a'"),
    ('engine.TrainConfig: warmup_steps >= steps',
     lambda: engine.TrainConfig(steps=5, warmup_steps=5), E,
     r'warmup_steps must be < steps = 5, got 5'),
    ('engine.TrainConfig: num_workers negative', lambda: engine.TrainConfig(num_workers=-1), E,
     r'num_workers must be an integer >= 0, got -1'),
    ('engine.TrainConfig: device', lambda: engine.TrainConfig(device='gpu'), E,
     r"device must be a torch device such as 'cpu' or 'cuda', got 'gpu'"),
    ('engine.DataConfig: crop_size 0', lambda: engine.DataConfig(crop_size=[0, 4]), E,
     r'crop_size must be \[h, w\] with positive sizes or null, got \[0, 4\]'),
    ('engine.DataConfig: crop_size float', lambda: engine.DataConfig(crop_size=[2.5, 4]), E,
     r'crop_size\[0\] must be an integer, got 2.5'),
    ('engine.DataConfig: scale_range', lambda: engine.DataConfig(scale_range=[2., 1.]), E,
     r'scale_range must be \[lo, hi\] with 0 < lo <= hi, got \[2.0, 1.0\]'),
    ('engine.DataConfig: jitter str', lambda: engine.DataConfig(jitter='a'), E,
     r"jitter must be a number, got 'a'"),
    ('engine.DataConfig: normalize', lambda: engine.DataConfig(normalize='coco'), E,
     r"normalize must be one of \('none', 'imagenet'\), got 'coco'"),
    ('engine.EvalConfig: batch_size str', lambda: engine.EvalConfig(batch_size='a'), E,
     r"batch_size must be an integer, got 'a'"),
    ('engine.EvalConfig: scales NaN', lambda: engine.EvalConfig(scales=[NAN]), E,
     r'scales must be a non-empty list of positive numbers, got \[nan\]'),
    ('engine.EvalConfig: task', lambda: engine.EvalConfig(task='depth'), E,
     r"task must be one of \('semantic', 'saliency', 'road'\) or null, got 'depth'"),
    ('engine.ModelConfig: kwargs not a mapping', lambda: engine.ModelConfig(kwargs=[1]), E,
     r'kwargs must be a mapping, got \[1\]'),
    ('engine.ModelConfig: unknown name (checked by load_run_config)',
     lambda: engine.load_run_config(
        {'model': {'name': 'unet'}}), E,
     r"config: model.name must be a registered segmentation model .*got 'unet'"),
    ('engine.RunConfig: section type', lambda: engine.RunConfig(model='fcn_small'), E,
     r'model must be a ModelConfig \(a mapping in a config file\), got str'),
    ('engine.RunConfig: device', lambda: engine.RunConfig(device='gpu'), E,
     r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ('engine.load_run_config: missing file',
     lambda: engine.load_run_config('/nonexistent/run.yaml'),
     FileNotFoundError, r"config file '/nonexistent/run.yaml' does not exist"),
    ('engine.load_run_config: source type', lambda: engine.load_run_config(3), S,
     r'source must be a path, a dict or None, got int'),
    ('engine.load_run_config: unknown section', lambda: engine.load_run_config({'trian': {}}), E,
     r"config: unknown key trian; known keys: \['data', 'device', 'eval', 'model', 'train'\]"),
    ('engine.load_run_config: dataset',
     lambda: engine.load_run_config({'data': {'dataset': 'kitti'}}), E,
     r"config: data.dataset must be one of \[.*\], got 'kitti'"),
    ('engine.load_run_config: override without =',
     lambda: engine.load_run_config(None, ['train.steps']), E,
     r"override must look like section.key=value, got 'train.steps'"),
    ('engine.load_run_config: override value',
     lambda: engine.load_run_config(None, ['train.steps=abc']), E,
     r"config \(with overrides\): train.steps must be an integer, got 'abc'"),
    ('engine.load_run_config: overrides a string',
     lambda: engine.load_run_config(None, 'train.steps=3'), S,
     r"overrides must be a list of 'section.key=value' strings or a dict, got the string "
     r"'train.steps=3'"),
    ('engine.load_config: missing file', lambda: engine.load_config('/nonexistent/config.yaml'),
     FileNotFoundError,
     r"config file '/nonexistent/config.yaml' does not exist"),
    ('engine.load_config: not a mapping', lambda: engine.load_config(f'{files()}/config.yaml'), E,
     r'.*config.yaml: must hold a mapping, got list'),
    ('engine.load_config: broken YAML', lambda: engine.load_config(f'{files()}/broken.yaml'), E,
     r'.*broken.yaml: not valid YAML'),
    ('engine.load_config: unknown key', lambda: engine.load_config({'step': 3}), E,
     r"config: unknown key step; known keys: \['amp'"),
    ('engine.load_config: source type', lambda: engine.load_config(3), S,
     r'source must be a path, a dict or None'),
    ('engine.save_checkpoint: folder is a file',
     lambda: engine.save_checkpoint({}, f'{files()}/plain_file/ck.pt'),
     NotADirectoryError,
     r"path '.*plain_file/ck.pt' cannot be written: '.*plain_file' is a file, not a folder"),
    ('engine.save_checkpoint: path is a folder',
     lambda: engine.save_checkpoint({}, f'{files()}/folder.png'),
     IsADirectoryError, r"path '.*folder.png' is a folder, expected a checkpoint file name"),
    ('engine.save_checkpoint: state not a dict',
     lambda: engine.save_checkpoint([1], f'{files()}/ck.pt'), S,
     r'state must be a dict .*, got list'),
    ('engine.load_checkpoint: missing file', lambda: engine.load_checkpoint('/nonexistent/ck.pt'),
     FileNotFoundError,
     r"checkpoint '/nonexistent/ck.pt' does not exist"),
    ('engine.load_checkpoint: garbage file',
     lambda: engine.load_checkpoint(f'{files()}/garbage.pt'), E,
     r"checkpoint '.*garbage.pt' is not a readable torch checkpoint \(UnpicklingError"),
    ('engine.load_checkpoint: a folder', lambda: engine.load_checkpoint(files()), IsADirectoryError,
     r"checkpoint '.*' is a folder, expected a file"),
    ('engine.train: model not a module', lambda: engine.train('fcn', dataset()), S,
     r'model must be an nn.Module'),
    ('engine.train: dataset smaller than a batch', lambda: engine.train(
        mnist_model(), dataset(), engine.TrainConfig(steps=1, batch_size=8), progress=False), E,
     r'dataset has 4 samples, fewer than batch_size=8'),
    ('engine.train: config type', lambda: engine.train(mnist_model(), dataset(), {'steps': 1}), S,
     r'config must be a TrainConfig'),
    ('engine.train: cuda missing',
     lambda: engine.train(mnist_model(), dataset(), engine.TrainConfig(
        steps=1, batch_size=2, device='cuda:7'), progress=False), E,
     r"config.device = 'cuda:7' is not available"),
    ('engine.segmentation_loss: labels float', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.zeros(2, 16, 16)), S,
     r'labels must have dtype torch.long'),
    ('engine.segmentation_loss: labels shape', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.zeros(2, 1, 16, 16, dtype=torch.long)), E,
     r'labels must be \(B, H, W\)'),
    ('engine.segmentation_loss: label out of range', lambda: engine.segmentation_loss(
        fcn(), torch.randn(2, 3, 16, 16), torch.full((2, 16, 16), 7)), E,
     r'labels must lie in \[0, 2\] or be ignore_index = 255, got 7'),
    ('engine.segmentation_criterion: kind', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'dice'), E,
     r"loss must be one of \('ce', 'ohem', 'bootstrap'\)"),
    ('engine.segmentation_criterion: logits 3-D', lambda: engine.segmentation_criterion(
        torch.randn(3, 4, 4), labels(1)[:, :4, :4]), E,
     r'logits must be \(B, K, h, w\), got shape \(3, 4, 4\)'),
    ('engine.segmentation_criterion: logits int', lambda: engine.segmentation_criterion(
        torch.ones(1, 3, 4, 4, dtype=torch.long), labels(1)[:, :4, :4]), S,
     r'logits must have a floating-point dtype'),
    ('engine.segmentation_criterion: target float', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4)), S, r'target must have dtype torch.long'),
    ('engine.segmentation_criterion: batch', lambda: engine.segmentation_criterion(
        torch.randn(2, 3, 4, 4), labels(1)[:, :4, :4]), E,
     r'target must have one map per image: B = 2, got \(1, 4, 4\)'),
    ('engine.segmentation_criterion: ohem_thresh 2', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'ohem', ohem_thresh=2), E,
     r'ohem_thresh must be in \(0, 1\], got 2'),
    ('engine.segmentation_criterion: bootstrap_ratio 0', lambda: engine.segmentation_criterion(
        torch.randn(1, 3, 4, 4), labels(1)[:, :4, :4], 'bootstrap', bootstrap_ratio=0), E,
     r'bootstrap_ratio must be in \(0, 1\], got 0'),
    ('engine.resolve_config: unknown name', lambda: engine.resolve_config('voc'),
     FileNotFoundError, r"config 'voc' is neither a file nor a shipped config; graphseg "
                        r"configs lists them"),
    ('engine.resolve_config: misspelt name',
     lambda: engine.resolve_config('hg_resnet18_citiscapes'), FileNotFoundError,
     r"config 'hg_resnet18_citiscapes' is neither a file nor a shipped config "
                        r"\(did you mean 'hg_resnet18_cityscapes'\?\)"),
    ('engine.resolve_config: a config replaced by the paper configs',
     lambda: engine.resolve_config('hg_resnet101_cityscapes'), FileNotFoundError,
     r"config 'hg_resnet101_cityscapes' was replaced by the papers' table configs: pass "
     r"--config hgconv_t12_cityscapes_hg_resnet101 \(graphseg configs lists them\)"),
    ('engine.resolve_config: missing path', lambda: engine.resolve_config('/nonexistent/a.yaml'),
     FileNotFoundError, r"config file '/nonexistent/a.yaml' does not exist$"),
    ('engine.resolve_config: not a path', lambda: engine.resolve_config(3), S,
     r"expected str, bytes or os.PathLike object, not int"),
    ('engine.format_config: a dict', lambda: engine.format_config({'train': {}}), S,
     r"config must be a RunConfig, got dict"),
    ('engine.load_run_config: train.device', lambda: engine.load_run_config(
        {'train': {'device': 'cuda'}}), E,
     r"config: train.device is not a run-config key: a run has one device key, the top-level "
     r"device \(auto, cpu, cuda, cuda:N\); move it there"),
]


ACCEPTED = [
    ('engine.load_run_config: overrides', lambda: engine.load_run_config(None, ['train.lr=0.05']),
     lambda c: c.train.lr == 0.05),
    ('engine.load_run_config: 010 is ten (YAML 1.2, not octal)',
     lambda: engine.load_run_config(None, ['train.steps=010']), lambda c: c.train.steps == 10),
    ('engine.load_run_config: 0o10 is eight',
     lambda: engine.load_run_config(None, ['train.steps=0o10']), lambda c: c.train.steps == 8),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'engine.ConfigError': 'an exception class',
    'engine.shipped_configs': 'takes no arguments',
}
