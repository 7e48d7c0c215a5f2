"""Datasets and transforms built from data that ships in packages (no downloads)."""
from .images import SKIMAGE_GRAY, SKIMAGE_PHOTOS, load_image

__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY']
from .mnist_seg import IGNORE_INDEX, NUM_CLASSES, MNISTSegmentation, mnist_digits

__all__ += ['MNISTSegmentation', 'mnist_digits', 'NUM_CLASSES', 'IGNORE_INDEX']
