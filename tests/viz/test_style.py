"""The direction palette (distinct for colour-blind viewers) and legend."""
import itertools

import matplotlib
import numpy as np

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.graphs import DIRECTIONS  # noqa: E402
from graphseg.viz import (DIRECTION_NAMES, direction_colors, direction_linestyles,  # noqa: E402
                          plot_direction_legend)


#: Machado, Oliveira, Fernandes (2009) dichromacy simulation matrices, severity 1, on linear RGB.
_CVD = {'deuteranopia': [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]],
        'protanopia': [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]],
        'tritanopia': [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                       [0.004733, 0.691367, 0.303900]],
        'normal': np.eye(3)}


def _min_delta_e(rgb, matrix):
    """Smallest CIELAB distance between two colours as a viewer with the given dichromacy sees
    them."""
    from skimage.color import rgb2lab
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    sim = np.clip(lin @ np.asarray(matrix).T, 0, 1)
    srgb = np.where(sim <= 0.0031308, 12.92 * sim, 1.055 * sim ** (1 / 2.4) - 0.055)
    lab = rgb2lab(srgb[None])[0]
    return min(np.linalg.norm(lab[i] - lab[j]) for i,
               j in itertools.combinations(range(len(rgb)), 2))


def test_direction_palette_distinct_for_colour_blind_viewers():
    c = direction_colors()[:, :3]
    assert c.shape == (9, 3)
    # the old hue wheel: Delta E 0.3 between two directions for deuteranopes
    for name, matrix in _CVD.items():
        assert _min_delta_e(c, matrix) > 12, name
    styles = direction_linestyles()
    for k, (dy, dx) in enumerate(DIRECTIONS):  # colour is never the only cue: diagonals dashed
        assert (styles[k] == 'solid') == (dy == 0 or dx == 0)
    assert DIRECTION_NAMES[1] == 'N' and DIRECTIONS[1] == (-1, 0)


def test_direction_legend_is_labelled():
    ax = plot_direction_legend()
    texts = [t.get_text() for t in ax.texts]
    assert '1 N' in texts and '8 SE' in texts and '4 self' in texts
    plt.close('all')
