"""Quadtree figures draw a bounded number of cells."""
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.viz import plot_quadtree_graph, quadtree_draw_level  # noqa: E402


def test_quadtree_figure_draws_a_bounded_number_of_cells():
    from graphseg.data import load_image
    from graphseg.graphs import slic_quadtree
    data = slic_quadtree(load_image('coins')[:, :128, :128], 60, num_levels=6)
    level = quadtree_draw_level(data.level, max_cells=200)
    assert int((data.level >= level).sum()) <= 200 and (
        level == 0 or int((data.level >= level - 1).sum()) > 200
    )
    ax = plot_quadtree_graph(data, max_cells=200)
    rects = sum(len(c.get_segments()) for c in ax.collections[:2])
    assert rects == int((data.level >= level).sum()) and rects <= 200
    assert f'levels < {level} aggregated' in ax.get_title()
    plt.close('all')
