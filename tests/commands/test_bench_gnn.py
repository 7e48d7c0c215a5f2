"""graphseg bench-gnn: the quick graph and segmentation runs, errors."""
import csv

import pytest

from graphseg.cli import main


def test_cli_bench_gnn_quick_graph_and_segmentation(tmp_path):
    out = tmp_path / 'bench'
    assert main(['bench-gnn', '--quick', '--layers', 'directional,spline', '--out', str(out)]) == 0
    rows = list(csv.DictReader(open(out / 'graph_runs.csv')))
    assert [r['layer'] for r in rows] == ['directional', 'spline']
    assert all(0 <= float(r['test_acc']) <= 1 and float(r['s_per_epoch']) > 0 for r in rows)
    md = (out / 'graph_summary.md').read_text()
    assert 'DirectionalConv' in md and 'SplineCNN 95.22 %' in md and '| --- |' in md
    assert main(['bench-gnn', '--task', 'segmentation', '--quick', '--convs', 'directional,gcn',
                 '--out', str(out)]) == 0
    seg = list(csv.DictReader(open(out / 'seg_runs.csv')))
    assert [r['conv'] for r in seg] == ['directional',
                                        'gcn'] and all(int(r['macs']) > 0 for r in seg)
    assert 'gcn' in (out / 'seg_summary.md').read_text()


def test_cli_bench_gnn_errors(tmp_path):
    out = tmp_path / 'new'
    with pytest.raises(SystemExit,
                       match="graphseg bench-gnn: error: --layers must be comma-separated names "
                             "from"):
        main(['bench-gnn', '--layers', 'gcn,nope', '--out', str(out)])
    with pytest.raises(SystemExit, match="--seeds must be comma-separated integers, got 'a'"):
        main(['bench-gnn', '--seeds', 'a', '--out', str(out)])
    with pytest.raises(SystemExit, match="--model must be a registered HG-Conv segmentation model"):
        main(
            [
                'bench-gnn',
                '--task',
                'segmentation',
                '--quick',
                '--model',
                'fcn_small',
                '--out',
                str(out),
            ]
        )
    with pytest.raises(SystemExit, match="holds no graph runs to summarise"):
        main(['bench-gnn', '--summary-only', '--out', str(out)])
    assert not out.exists()  # nothing is created for invalid arguments
    (tmp_path / 'file').write_text('x')
    with pytest.raises(SystemExit, match="is a file, expected a folder"):
        main(['bench-gnn', '--quick', '--out', str(tmp_path / 'file')])
