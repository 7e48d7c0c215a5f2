"""What "readable at the saved size" means in the tests of the figures: every piece of text at
least 8 points, and legends outside the image axes."""
from matplotlib.text import Text

#: the smallest font size (points) a saved figure may use
MIN_POINTS = 8.


def visible_texts(fig):
    """Every non-empty, visible text of ``fig`` (titles, labels, tick labels, legends, insets)."""
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_readable_text(fig, minimum: float = MIN_POINTS) -> None:
    """Every visible text of ``fig`` is at least ``minimum`` points."""
    small = [(t.get_text(), t.get_fontsize()) for t in visible_texts(fig)
             if t.get_fontsize() < minimum]
    assert not small, f'text smaller than {minimum} pt: {small[:5]}'


def outside(inner_ax, other) -> bool:
    """``other`` (an axis or a legend) lies entirely outside ``inner_ax`` (in display
    coordinates)."""
    fig = inner_ax.figure
    fig.canvas.draw()
    a = inner_ax.get_window_extent()
    b = other.get_window_extent()
    return b.x0 >= a.x1 or b.x1 <= a.x0 or b.y0 >= a.y1 or b.y1 <= a.y0
