"""Backbones and full networks."""

__all__: list = []
