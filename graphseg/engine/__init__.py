"""Training, evaluation, metrics, cost accounting and benchmark helpers."""
from .config import TrainConfig, load_config
from .evaluate import evaluate, predict
from .metrics import SegmentationMetrics, confusion_matrix, iou_from_confusion
from .train import model_logits, segmentation_loss, train

__all__ = ['TrainConfig', 'load_config', 'train', 'segmentation_loss', 'model_logits', 'evaluate', 'predict',
           'SegmentationMetrics', 'confusion_matrix', 'iou_from_confusion']
