"""Shared fixtures: run the same tests on CPU or CUDA (``pytest --device cuda``)."""
import os

import pytest
import torch

os.environ.setdefault('MPLBACKEND', 'Agg')

try:
    from hypothesis import HealthCheck, settings
    settings.register_profile('graphseg', deadline=None, max_examples=60,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'graphseg'))
except ImportError:  # pragma: no cover
    pass


def pytest_addoption(parser):
    parser.addoption('--device', action='store', default='cpu',
                     help="device for the device fixture: 'cpu' (default) or 'cuda'")


@pytest.fixture
def device(request) -> torch.device:
    name = request.config.getoption('--device')
    if name.startswith('cuda') and not torch.cuda.is_available():
        pytest.skip('CUDA requested but not available')
    return torch.device(name)


@pytest.fixture(params=[torch.float32, torch.float64], ids=['float32', 'float64'])
def dtype(request) -> torch.dtype:
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
