"""graphseg graph: .pt and .png outputs, name collisions, failure isolation."""
import json
import os

import pytest
import torch
from PIL import Image

from graphseg.cli import main


def test_cli_graph_writes_pt_and_png(tmp_path):
    assert main(['graph', 'coins', '--n-segments', '40', '--out', str(tmp_path)]) == 0
    data = torch.load(tmp_path / 'coins.pt', weights_only=False)
    assert data.num_nodes > 10 and data.x.shape[1] == 1
    assert (tmp_path / 'coins.png').stat().st_size > 1000


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # imageio probing the non-image file
def test_graph_name_collisions_and_failure_isolation(tmp_path):
    for d, color in (('a', 30), ('b', 200)):
        os.makedirs(tmp_path / d)
        Image.new('RGB', (40, 32), (color, 90, 10)).save(tmp_path / d / 'x.png')
    (tmp_path / 'bad.png').write_text('not an image')
    out = tmp_path / 'out'
    res = main(
        [
            'graph',
            str(tmp_path / 'a' / 'x.png'),
            str(tmp_path / 'bad.png'),
            str(tmp_path / 'b' / 'x.png'),
            '--kind',
            'grid',
            '--n-segments',
            '20',
            '--out',
            str(out),
            '--no-plot',
        ]
    )
    assert res == 1  # one image failed; the others were processed and saved
    record = json.loads((out / 'run.json').read_text())
    assert [o['files'] for o in record['outputs']] == [['x.pt'], ['x-2.pt']]
    assert record['failures'][0]['input'].endswith('bad.png') and record['status'] == 'failed'
    a, b = (torch.load(out / f, weights_only=False) for f in ('x.pt', 'x-2.pt'))
    assert not torch.equal(a.x, b.x)  # two distinct results, nothing overwritten
