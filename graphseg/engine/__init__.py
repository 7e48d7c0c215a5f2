"""Training: typed run configs, the training loop, losses, optimiser and schedule, checkpoints, run
folders.

One concern per module: :mod:`.config` (schema-validated run configs), :mod:`.train` (the loop in
named steps), :mod:`.losses`, :mod:`.optim` (optimiser, poly schedule, deterministic mode),
:mod:`.checkpoint`, :mod:`.run_folder` (validated output folders and ``run.json``) and
:mod:`.runner` (from a run config to a trained and evaluated model in a run folder: what
``graphseg train`` / ``eval`` / ``demo`` run). Evaluation and metrics are
:mod:`graphseg.evaluation`; MAC counts and timing :mod:`graphseg.analysis`.
"""
from .checkpoint import load_checkpoint, save_checkpoint
from .config import (ConfigError, DataConfig, EvalConfig, ModelConfig, RunConfig, TrainConfig,
                     format_config, load_config, load_run_config, resolve_config, shipped_configs)
from .losses import segmentation_criterion, segmentation_loss
from .train import train

__all__ = ['TrainConfig', 'ModelConfig', 'DataConfig', 'EvalConfig', 'RunConfig', 'ConfigError',
           'load_config', 'load_run_config', 'train', 'segmentation_loss', 'segmentation_criterion',
           'save_checkpoint', 'load_checkpoint', 'shipped_configs', 'resolve_config',
           'format_config']
