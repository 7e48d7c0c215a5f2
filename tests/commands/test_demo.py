"""graphseg demo: the quick tour, a failing model isolated."""
import json

import pytest
import torch

from graphseg.cli import main
from graphseg.models import register_model


@pytest.fixture
def broken_model():
    """A registered segmentation model whose forward raises; unregistered again afterwards (so tests
    that enumerate list_models(task='segmentation') never see it)."""
    from graphseg.models import registry

    class Broken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            raise RuntimeError('this model is broken on purpose')

    def _broken_demo_model(num_classes: int = 11, in_channels: int = 3):
        return Broken()
    register_model(_broken_demo_model)
    yield '_broken_demo_model'
    registry._MODELS.pop('_broken_demo_model')
    registry._INFO.pop('_broken_demo_model')


def test_demo_isolates_a_failing_model(tmp_path, broken_model):
    out = tmp_path / 'demo'
    res = main(
        [
            'demo',
            '--model',
            '_broken_demo_model,fcn_small',
            '--steps',
            '2',
            '--train-samples',
            '8',
            '--val-samples',
            '4',
            '--batch-size',
            '4',
            '--quick',
            '--out',
            str(out),
            '--no-progress',
        ]
    )
    assert res == 1
    record = json.loads((out / 'run.json').read_text())
    assert record['failures'][0]['model'] == '_broken_demo_model'
    assert 'broken on purpose' in record['failures'][0]['error']
    assert 'fcn_small' in record['results'] and (out / 'fcn_small' / 'model.pt').exists()
    assert 'broken on purpose' in (out / 'report.md').read_text()


def test_demo_quick_tour(tmp_path):
    """What CI runs: graph figures, dense vs HG-Conv trained on digit scenes, comparison table,
    report."""
    out = tmp_path / 'demo'
    assert main(['demo', '--quick', '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert set(record['results']) == {'fcn_small',
                                      'hg_fcn_small'} and record['status'] == 'completed'
    for r in record['results'].values():
        assert 0 <= r['metrics']['miou'] <= 1 and r['macs'] > 0 and r['params'] > 0
        assert r['train_images_per_s'] > 0 and r['infer_images_per_s'] > 0
    # HG-Conv's head runs on ~1/4 as many nodes as the dense head has pixels: fewer MACs, clustering
    # included
    assert record['results']['hg_fcn_small']['macs'] < record['results']['fcn_small']['macs']
    report = (out / 'report.md').read_text()
    for f in ('figures/graph_grid.png', 'figures/graph_superpixel.png',
              'figures/graph_quadtree.png', 'figures/predictions.png'):
        assert f in report and (out / f).stat().st_size > 1000
    assert 'val mIoU' in report and 'MACs/image' in report
