"""Prediction grids with a class legend."""
import matplotlib
import pytest
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.viz import plot_predictions  # noqa: E402


def test_prediction_grid_has_class_legend():
    labels = torch.randint(0, 11, (2, 8, 8))
    labels[0, 0, 0] = 255
    fig = plot_predictions(torch.rand(2, 1, 8, 8), labels, [labels], ['model'])
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names[:2] == ['background',
                         'digit 0'] and names[-1] == 'ignore (255)' and len(names) == 12
    with pytest.raises(ValueError, match='class_names must have num_classes = 3 entries, got 2'):
        plot_predictions(torch.rand(1, 1, 4, 4), labels[:1, :4, :4] % 3, [], [], num_classes=3,
                         class_names=['a', 'b'])
    plt.close('all')
