"""Inference time against image size: the crossover, the ratios and the figure."""
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from graphseg.viz import crossover_size, plot_inference_scaling, scaling_summary  # noqa: E402
from tests.viz.readable import assert_readable_text  # noqa: E402

SIZES = [64, 128, 256, 512]


@pytest.mark.parametrize('ratios, expected', [
    ([2.0, 1.5, 0.8, 0.5], 256),  # faster from 256 on
    ([0.5, 2.0, 0.8, 0.9], 256),  # faster at 64, but not at 128: the crossover is 256
    ([0.5, 0.6, 0.7, 0.9], 64),  # faster everywhere
    ([2.0, 1.5, 1.2, 1.0], None),  # as fast is not faster
    ([0.5, 0.6, 0.7, 1.1], None),  # slower at the largest size: no crossover
])
def test_crossover_size(ratios, expected):
    assert crossover_size(SIZES, ratios) == expected


def test_scaling_summary_ratios_and_text():
    seconds = {'dense': [1.0, 4.0, 16.0, 64.0], 'hg': [8.0, 16.0, 16.0, 32.0]}
    macs = {'dense': [10, 40, 160, 640], 'hg': [5, 20, 80, 320]}
    s = scaling_summary(SIZES, seconds, macs)
    assert list(s) == ['hg']  # the reference (the first model) is not compared with itself
    assert s['hg']['time_ratio'] == [8.0, 4.0, 1.0, 0.5]
    assert s['hg']['mac_ratio'] == [0.5] * 4
    assert s['hg']['crossover'] == 512
    assert s['hg']['text'].startswith('hg is faster than dense from 512² on')
    assert '0.50–8.00× the time for 0.50× the MACs' in s['hg']['text']
    slow = scaling_summary(SIZES, {'dense': [1.0] * 4, 'hg': [3.0] * 4}, macs)
    assert slow['hg']['crossover'] is None
    assert 'not faster than dense at any size measured (up to 512²)' in slow['hg']['text']
    assert list(scaling_summary(SIZES, seconds, macs, reference='hg')) == ['dense']
    # faster at the smallest size measured already: the crossover lies at or below it
    fast = scaling_summary(SIZES, {'dense': [2.0] * 4, 'hg': [1.0] * 4}, macs)
    assert fast['hg']['crossover'] == 64
    assert fast['hg']['text'].startswith('hg is faster than dense at every size measured (64² to '
                                         '512²): it takes 0.50× the time')


def test_plot_inference_scaling_states_the_crossover_or_its_absence():
    macs = {'dense': [10, 40, 160, 640], 'hg': [5, 20, 80, 320]}
    fig = plot_inference_scaling(SIZES, {'dense': [1, 4, 16, 64], 'hg': [8, 16, 16, 32]}, macs)
    assert 'hg is faster than dense from 512² on' in fig._suptitle.get_text()
    ax_t, ax_r = fig.axes
    assert [tuple(line.get_ydata()) for line in ax_t.get_lines()] == [(1e3, 4e3, 16e3, 64e3),
                                                                    (8e3, 16e3, 16e3, 32e3)]
    ratios = [tuple(line.get_ydata()) for line in ax_r.get_lines()[:2]]
    assert ratios == [(8.0, 4.0, 1.0, 0.5), (0.5,) * 4]  # time ratio, MAC ratio
    assert_readable_text(fig)
    fig.canvas.draw()  # the time axis is labelled in plain numbers, several per decade
    labels = [t.get_text() for t in ax_t.get_yticklabels() if t.get_text()]
    assert {'1000', '2000', '5000', '10000'} <= set(labels)
    plt.close(fig)
    fig = plot_inference_scaling(SIZES, {'dense': [1] * 4, 'hg': [3] * 4}, macs, batch=2)
    assert 'not faster than dense at any size measured' in fig._suptitle.get_text()
    assert fig.axes[0].get_lines()[0].get_ydata()[0] == 500.  # ms per image: 1 s for 2 images
    plt.close(fig)


def test_plot_scaling_pairs_one_row_per_pair_each_with_its_conclusion():
    from graphseg.viz import plot_scaling_pairs
    from tests.viz.readable import outside
    macs = {'dense': [10, 40, 160, 640], 'hg': [5, 20, 80, 320]}
    trained = {'sizes': SIZES, 'seconds': {'dense': [1] * 4, 'hg': [3] * 4}, 'macs': macs,
               'label': 'demo models (trained)'}
    wide = {'sizes': SIZES[1:], 'seconds': {'rn': [4, 16, 64], 'hg_rn': [8, 8, 16]},
            'macs': {'rn': [40, 160, 640], 'hg_rn': [20, 80, 320]}, 'reference': 'rn',
            'batch': 2, 'label': 'untrained, timed only'}
    fig = plot_scaling_pairs([trained, wide])
    title = fig._suptitle.get_text().split('\n')
    assert title[0].startswith('demo models (trained): hg is not faster than dense at any size')
    assert title[1].startswith('untrained, timed only: hg_rn is faster than rn from 256² on')
    assert len(fig.axes) == 4
    (t0, r0, t1, r1) = fig.axes
    assert 'demo models (trained)' in t0.get_title() and 'untrained' in r1.get_title()
    # ms per image: seconds per batch of 2 images
    assert [tuple(line.get_ydata()) for line in t1.get_lines()] == [(2e3, 8e3, 32e3),
                                                                   (4e3, 4e3, 8e3)]
    assert tuple(r1.get_lines()[0].get_ydata()) == (2.0, 0.5, 0.25)  # hg_rn's time ratio
    assert_readable_text(fig)
    for ax in fig.axes:
        assert outside(ax, ax.get_legend())
    plt.close(fig)
