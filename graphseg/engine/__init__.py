"""Training, evaluation, metrics, checkpoints, multi-process training, run folders, cost accounting and
benchmark helpers: one concern per module (``config``, ``train``, ``losses``, ``checkpoint``, ``distributed``,
``evaluate``, ``metrics`` / ``sod_metrics`` / ``road_metrics``, ``runs``, ``experiment``, ``flops``, ``benchmark``)."""
from .checkpoint import load_checkpoint, save_checkpoint
from .config import (ConfigError, DataConfig, EvalConfig, ModelConfig, RunConfig, TrainConfig, load_config,
                     load_run_config)
from .evaluate import evaluate, predict, predict_probs
from .losses import segmentation_criterion
from .metrics import SegmentationMetrics, confusion_matrix, iou_from_confusion
from .road_metrics import RoadMetrics, apls, mask_to_graph
from .sod_metrics import SaliencyMetrics
from .train import model_logits, segmentation_loss, train

__all__ = ['TrainConfig', 'ModelConfig', 'DataConfig', 'EvalConfig', 'RunConfig', 'ConfigError', 'load_config',
           'load_run_config', 'train', 'segmentation_loss', 'segmentation_criterion', 'model_logits', 'evaluate',
           'predict', 'predict_probs', 'SegmentationMetrics', 'SaliencyMetrics', 'RoadMetrics', 'apls',
           'mask_to_graph', 'confusion_matrix', 'iou_from_confusion', 'save_checkpoint', 'load_checkpoint']
