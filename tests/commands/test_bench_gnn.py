"""graphseg bench-gnn: the quick graph and segmentation runs, errors."""
import csv

import pytest

from graphseg.cli import main


def test_cli_bench_gnn_quick_graph_and_segmentation(tmp_path, capsys):
    out = tmp_path / 'bench'
    assert main(['bench-gnn', '--quick', '--layers', 'directional,spline', '--out', str(out)]) == 0
    rows = list(csv.DictReader(open(out / 'graph_runs.csv')))
    assert [r['layer'] for r in rows] == ['directional', 'spline']
    assert all(0 <= float(r['test_acc']) <= 1 and float(r['s_per_epoch']) > 0 for r in rows)
    md = (out / 'graph_summary.md').read_text()
    assert 'DirectionalConv' in md and '| --- |' in md
    # a smoke run says so, and has nothing to set beside the published accuracies
    printed = capsys.readouterr().out
    for text in (printed, md):
        assert 'SMOKE RUN (--quick)' in text and 'not a benchmark' in text
        assert 'published' not in text and 'SplineCNN 95.22 %' not in text
    assert main(['bench-gnn', '--task', 'segmentation', '--quick', '--convs', 'directional,gcn',
                 '--out', str(out)]) == 0
    seg = list(csv.DictReader(open(out / 'seg_runs.csv')))
    assert [r['conv'] for r in seg] == ['directional',
                                        'gcn'] and all(int(r['macs']) > 0 for r in seg)
    seg_md = (out / 'seg_summary.md').read_text()
    assert 'gcn' in seg_md and 'SMOKE RUN (--quick)' in seg_md


def test_graph_summary_of_a_full_run_keeps_the_published_column(tmp_path):
    from graphseg.experiments.gnn_baselines import (GRAPH_HEADERS, GraphBenchConfig,
                                                    graph_benchmark)
    config = GraphBenchConfig()
    row = {'layer': 'spline', 'seed': 0, 'test_acc': 0.5, 'train_acc': 0.6, 'params': 100,
           'hidden': 8, 's_per_epoch': 1.0, 'config': config.key(), 'train_graphs': 10,
           'test_graphs': 5}
    with open(tmp_path / 'graph_runs.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    full = graph_benchmark(['spline'], [0], config, str(tmp_path), str(tmp_path), train=False)
    assert full.headers == GRAPH_HEADERS and full.table[0][-1].startswith('SplineCNN 95.22 %')
    assert 'SMOKE' not in full.what
    smoke = graph_benchmark(['spline'], [0], config, str(tmp_path), str(tmp_path), train=False,
                            smoke=True)
    assert smoke.headers == GRAPH_HEADERS[:-1] and smoke.table == [r[:-1] for r in full.table]
    assert smoke.what.startswith('SMOKE RUN (--quick)')


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
