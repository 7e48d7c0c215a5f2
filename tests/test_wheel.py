"""graphseg as a user installs it: a wheel built from this tree, installed in a fresh virtual
environment (torch and the other dependencies from this interpreter's site-packages), run from an
empty folder. Shipped configs must be in the wheel and found by name."""
import glob
import os
import subprocess
import sys
import venv

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A venv holding the wheel of this tree (``--system-site-packages`` for torch & co.)."""
    tmp = tmp_path_factory.mktemp('wheel')
    build = subprocess.run([sys.executable, '-m', 'pip', 'wheel', ROOT, '--no-deps',
                            '--no-build-isolation', '-q', '-w', str(tmp / 'dist')],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = glob.glob(str(tmp / 'dist' / 'graphseg-*.whl'))
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(tmp / 'venv')
    python = str(tmp / 'venv' / 'bin' / 'python')
    install = subprocess.run([sys.executable, '-m', 'pip', '--python', python, 'install',
                              '--no-deps', '-q', wheel], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp / 'empty'
    work.mkdir()
    return python, work


def _run(installed, *argv):
    python, work = installed
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    script = os.path.join(os.path.dirname(python), 'graphseg')
    return subprocess.run([script, *argv], capture_output=True, text=True, cwd=work, env=env,
                          timeout=900)


def test_the_wheel_is_what_runs(installed):
    python, work = installed
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    where = subprocess.run([python, '-c', 'import graphseg; print(graphseg.__file__)'],
                           capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert where.returncode == 0 and where.stdout.startswith(
        os.path.dirname(os.path.dirname(python))), where.stdout + where.stderr


def test_configs_from_an_installed_wheel(installed):
    listed = _run(installed, 'configs')
    assert listed.returncode == 0 and 'hg_resnet18_cityscapes' in listed.stdout, listed.stderr
    shown = _run(installed, 'config', 'show', 'hg_resnet18_cityscapes')
    assert shown.returncode == 0 and 'name: hg_resnet18' in shown.stdout, shown.stderr
    trained = _run(installed, 'train', '--config', 'digits', 'train.steps=5', '--no-progress')
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert os.path.isfile(installed[1] / 'runs' / 'digits' / 'model.pt')
