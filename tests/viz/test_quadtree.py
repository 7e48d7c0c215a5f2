"""Quadtree figures draw a bounded number of cells."""
import matplotlib
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.viz import plot_quadtree_graph, quadtree_draw_level  # noqa: E402
from tests.viz.readable import assert_readable_text, outside  # noqa: E402


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
    hidden = int((data.level < level).sum())
    assert f'{hidden:,} cells smaller than {2 ** level} px not drawn' in ax.get_title()
    plt.close('all')


def test_quadtree_figure_says_what_its_marks_are_with_the_graphs_counts():
    from graphseg.data import load_image
    from graphseg.graphs import slic_quadtree
    from graphseg.graphs.quadtree import CHILD_EDGE_TYPE
    image = load_image('coins')[:, :100, :120]  # padded to 128 x 128: a strip of padding
    data = slic_quadtree(image, 60, num_levels=6)
    ax = plot_quadtree_graph(data, image, max_cells=300)
    title = ax.get_title()
    assert title.startswith('quadtree: square cells split in four until each lies inside one '
                            'superpixel')
    assert f'{data.num_nodes:,} cells (nodes), {int(data.leaf.sum()):,} of them not split' in title
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    child = int((data.edge_type >= CHILD_EDGE_TYPE).sum())
    same = data.edge_index.size(1) - child
    assert any(label.startswith('node: a cell') for label in labels)
    assert any('parent -> child edge' in label and f'{child:,} in all' in label
               for label in labels)
    assert any(f'{same:,} same-level neighbour edges ({data.edge_index.size(1):,} edges in all)'
               in label for label in labels)
    assert any(label.startswith('light strip: padding') for label in labels)
    assert any(label.startswith('tint: side of the unsplit cell') for label in labels)
    assert outside(ax, legend)
    assert_readable_text(ax.figure)
    plt.close('all')


def test_quadtree_of_labels_says_so():
    from graphseg.graphs import Quadtree, quadtree_graph
    labels = torch.zeros(32, 32, dtype=torch.long)
    labels[5:20, 3:9] = 1
    data = quadtree_graph(Quadtree.from_labels(labels, 4, 2), torch.rand(3, 32, 32))
    ax = plot_quadtree_graph(data)
    assert ax.get_title().startswith('quadtree: square cells split in four until each holds one '
                                     'label')
    plt.close('all')
