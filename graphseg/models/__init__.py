"""Backbones and full networks, created by name through a small registry."""
from .registry import create_model, list_models, register_model

__all__ = ['register_model', 'list_models', 'create_model']
