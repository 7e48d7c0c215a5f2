"""``graphseg eval``: its default folder lies in the run it evaluates and never collides."""
import json

from graphseg.cli import main

SMALL = ['train.steps=1', 'train.batch_size=2', 'data.kwargs.num_samples=4',
         'data.val_kwargs.num_samples=2', 'data.kwargs.size=48']


def test_eval_writes_inside_the_run_and_repeats_print_the_stored_result(tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.chdir(tmp_path)
    run = tmp_path / 'runs' / 'd'
    assert main(['train', '--config', 'digits', *SMALL, '--out', str(run), '--no-progress']) == 0
    argv = ['eval', '--config', str(run / 'config.yaml'), '--weights', str(run / 'model.pt'),
            '--no-progress']
    capsys.readouterr()
    assert main(argv) == 0
    first = sorted((run / 'eval').iterdir())
    assert len(first) == 1 and first[0].name.startswith('val-') and len(first[0].name) == 12
    record = json.loads((first[0] / 'run.json').read_text())
    assert record['command'] == 'eval' and record['status'] == 'completed'
    capsys.readouterr()
    assert main(argv) == 0  # the same evaluation again: its stored metrics, nothing rewritten
    assert 'already evaluated with these weights and settings' in capsys.readouterr().out
    assert main(argv + ['eval.flip=true', 'eval.scales=[0.5,1]']) == 0  # other settings: another
    names = sorted(p.name for p in (run / 'eval').iterdir())
    assert len(names) == 2 and names[1].startswith('val-ms2-flip-'), names
    # retraining with --overwrite removes the evaluations of the replaced weights
    assert main(['train', '--config', 'digits', *SMALL, '--out', str(run), '--overwrite',
                 '--no-progress']) == 0
    assert not (run / 'eval').exists()


def test_eval_of_weights_outside_a_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = tmp_path / 'r'
    assert main(['train', '--config', 'digits', *SMALL, '--out', str(run), '--no-progress']) == 0
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'weights.pt').write_bytes((run / 'model.pt').read_bytes())
    assert main(['eval', '--config', 'digits', *SMALL, '--weights', 'mine/weights.pt',
                 '--no-progress']) == 0
    (out,) = (tmp_path / 'runs' / 'eval' / 'weights').iterdir()
    assert (out / 'run.json').is_file()
