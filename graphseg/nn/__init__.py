"""Layers: directional graph convolution, HG-Conv, RepGraph, HyperSeg, sparse/QGN, baselines."""

__all__: list = []
