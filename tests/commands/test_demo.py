"""graphseg demo: the quick tour, a failing model isolated, the progress bars naming the models,
``--readme`` (the README's numbers against the committed run are checked by
tests/test_readme_demo.py)."""
import json

import pytest
import torch

from graphseg.analysis import format_macs
from graphseg.cli import main
from graphseg.experiments.demo import README_BEGIN, README_END, readme_block
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
    res = main(['demo', '--model', '_broken_demo_model,fcn_small', '--steps', '2',
                '--train-samples', '8', '--val-samples', '4', '--batch-size', '4', '--quick',
                '--out', str(out), '--no-progress'])
    assert res == 1
    record = json.loads((out / 'run.json').read_text())
    assert record['failures'][0]['model'] == '_broken_demo_model'
    assert 'broken on purpose' in record['failures'][0]['error']
    assert 'fcn_small' in record['results'] and (out / 'fcn_small' / 'model.pt').exists()
    assert 'broken on purpose' in (out / 'report.md').read_text()


def test_demo_quick_tour(tmp_path, capsys):
    """What CI runs: graph figures, dense vs HG-Conv trained on digit scenes, comparison table,
    report; each progress bar names the registered model it trains."""
    out = tmp_path / 'demo'
    assert main(['demo', '--quick', '--out', str(out)]) == 0
    bars = capsys.readouterr().err
    assert 'train fcn_small:' in bars and 'train hg_fcn_small:' in bars
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
              'figures/graph_quadtree.png', 'figures/predictions.png',
              'figures/inference_scaling.png'):
        assert f in report and (out / f).stat().st_size > 1000
    assert 'val mIoU' in report and 'MACs/image' in report
    # inference time against image size, recorded for two pairs: the trained demo models and the
    # papers' networks untrained (no timing asserted: the machine is shared)
    trained, paper = record['scaling']['pairs']
    assert trained['trained'] and not paper['trained'] and 'untrained' in paper['label']
    assert trained['sizes'] == [64, 128] and trained['reference'] == 'fcn_small'
    assert paper['sizes'] == [64, 128] and paper['reference'] == 'resnet18_dilated'
    for pair, names in ((trained, ('fcn_small', 'hg_fcn_small')),
                        (paper, ('resnet18_dilated', 'hg_resnet18'))):
        for name in names:
            assert len(pair['seconds'][name]) == 2 and min(pair['seconds'][name]) > 0
        assert pair['macs'][names[0]][1] == 4 * pair['macs'][names[0]][0]  # 4x the pixels
        assert pair['ratios'][names[1]]['text'] in report
    assert trained['macs']['fcn_small'][0] == record['results']['fcn_small']['macs']
    # the wide networks: HG-Conv saves more than half of the dilated ResNet-18's MACs
    assert max(paper['ratios']['hg_resnet18']['mac_ratio']) < 0.5
    ratio = trained['ratios']['hg_fcn_small']
    assert 'crossover' in ratio and "papers' networks (untrained, timed only)" in report
    assert record['wall_seconds'] >= record['seconds'] > 0
    # the README block of this run quotes its numbers as the demo printed them
    block = readme_block(record)
    assert block.startswith(README_BEGIN) and block.rstrip().endswith(README_END)
    assert '`graphseg demo --quick`' in block and ratio['text'] in block
    # timed through the inference fast path (the default; --no-fast for eager)
    assert trained['fast'] and paper['fast'] and 'through the inference fast path' in block
    assert paper['ratios']['hg_resnet18']['text'] in block
    for name, r in record['results'].items():
        row = (f"| `{name}` | {r['metrics']['miou']:.3f} | {r['metrics']['pixel_acc']:.3f} | "
               f"{format_macs(r['macs'])} | {r['params']:,} |")
        assert row in block
    assert f"Wall time: {record['wall_seconds']:.0f} s" in block
    run_json = out / 'run.json'
    assert main(['demo', '--readme', str(out)]) == 0
    assert main(['demo', '--readme', str(run_json)]) == 0


@pytest.mark.parametrize('content, message', [
    (None, r'--readme must be a demo run folder \(with run.json\) or its run.json'),
    ('{"command": "train", "status": "completed"}',
     r"record must be the run.json of a graphseg demo run \(command 'demo'\), got 'train'"),
    ('{"command": "demo", "status": "failed", "failures": []}',
     r"record must be a completed demo run \(status 'completed'\), got status 'failed'"),
    ('{"command": "demo", "status": "completed"}', r"record must have the keys \['options'"),
    ('{"command": "demo", "status": "completed", "options": {}, "results": {}, '
     '"wall_seconds": 1, "machine": {}, "scaling": {"sizes": [64], "ratios": {}}}',
     r"record\['scaling'\] must list the timed \(dense, HG-Conv\) pairs under 'pairs'"),
    ('{not json', r'--readme: .*run.json is not a readable run.json'),
])
def test_demo_readme_errors(tmp_path, content, message):
    if content is not None:
        (tmp_path / 'run.json').write_text(content)
    with pytest.raises(SystemExit, match=r'graphseg demo: error: ' + message):
        main(['demo', '--readme', str(tmp_path)])
