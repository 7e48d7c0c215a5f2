"""Datasets and transforms built from data that ships in packages (no downloads)."""
from .images import SKIMAGE_GRAY, SKIMAGE_PHOTOS, load_image
from .mnist_seg import IGNORE_INDEX, NUM_CLASSES, MNISTSegmentation, mnist_digits
from .superpixel_datasets import (ImageFolderSuperpixels, MNISTSuperpixels, SegmentationSuperpixels,
                                  SuperpixelGraphDataset, TypedEdges, load_mnist_idx, majority_labels, read_idx)

__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY',
           'MNISTSegmentation', 'mnist_digits', 'NUM_CLASSES', 'IGNORE_INDEX',
           'MNISTSuperpixels', 'ImageFolderSuperpixels', 'SegmentationSuperpixels', 'SuperpixelGraphDataset',
           'TypedEdges', 'majority_labels', 'read_idx', 'load_mnist_idx']
