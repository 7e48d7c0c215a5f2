"""The demo tour's defaults."""
import os

from graphseg.engine import load_run_config
from tests.helpers import ROOT


def test_demo_defaults_equal_configs_digits():
    from graphseg.experiments.demo import DIGITS
    assert load_run_config(DIGITS) == load_run_config(os.path.join(ROOT, 'graphseg', 'configs', 'digits.yaml'))
