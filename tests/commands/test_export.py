"""graphseg export: a state_dict in, a checked file and run.json out; models that do not export are
refused before anything is written."""
import json
import os

import pytest
import torch

from graphseg.cli import main
from graphseg.models import create_model
from graphseg.models.export import load_exported


@pytest.mark.parametrize('fmt,suffix', [('exported-program', '.pt2'), ('torchscript', '.pt')])
def test_export_writes_a_checked_file_and_run_json(fmt, suffix, tmp_path, capsys):
    torch.manual_seed(0)
    model = create_model('fcn_small', num_classes=5, width=16).eval()
    weights = tmp_path / 'model.pt'
    torch.save(model.state_dict(), weights)
    out = tmp_path / 'export'
    assert main(['export', '--model', 'fcn_small', '--weights', str(weights), '--format', fmt,
                 '--size', '32', '48', '--model-kwargs', 'num_classes=5', 'width=16',
                 '--out', str(out)]) == 0
    assert sorted(os.listdir(out)) == sorted(['model' + suffix, 'run.json'])
    record = json.loads((out / 'run.json').read_text())
    assert record['command'] == 'export' and record['status'] == 'completed'
    assert record['model_kwargs'] == {'num_classes': 5, 'width': 16} and record['dynamic']
    assert record['max_rel_diff'] <= 1e-4 and record['argmax_agreement'] >= 0.999
    # within tolerance: float64 was not needed
    assert record['float64_export_error'] is None and record['float64_eager_error'] is None
    assert 'arg-max agreement' in capsys.readouterr().out
    # the file is the model: another size, another batch
    x = torch.rand(2, 3, 40, 56)
    with torch.no_grad():
        torch.testing.assert_close(load_exported(str(out / ('model' + suffix)), fmt)(x),
                                   model(x)['out'], rtol=1e-4, atol=1e-5)
    with pytest.raises(SystemExit, match='already holds results; pass --overwrite'):
        main(['export', '--model', 'fcn_small', '--weights', str(weights), '--format', fmt,
              '--size', '32', '48', '--model-kwargs', 'num_classes=5', 'width=16',
              '--out', str(out)])


def test_export_refuses_hgconv_before_writing(tmp_path):
    weights = tmp_path / 'model.pt'
    torch.save(create_model('hg_fcn_small', num_classes=3).state_dict(), weights)
    out = tmp_path / 'export'
    with pytest.raises(SystemExit, match="does not export: HG-Conv's group graph depends on the "
                                         "data"):
        main(['export', '--model', 'hg_fcn_small', '--weights', str(weights), '--size', '32',
              '32', '--model-kwargs', 'num_classes=3', '--out', str(out)])
    assert not out.exists()
