"""The model registry."""
import pytest
from torch import nn

from graphseg.models import create_model, list_models, register_model


def test_registry():
    @register_model
    def _tiny_test_model(width: int = 3) -> nn.Module:
        return nn.Linear(width, width)
    assert '_tiny_test_model' in list_models('_tiny*')
    assert create_model('_tiny_test_model', width=5).in_features == 5
    with pytest.raises(ValueError, match='model must be one of'):
        create_model('no_such_model')
