"""Inference time against image size: where an adaptive model (HG-Conv) becomes faster than its
dense twin, or that it does not within the sizes measured (``graphseg demo``'s
``figures/inference_scaling.png``).

HG-Conv runs its convolutions on fewer nodes than the dense map has pixels, but pays for the
clustering and the group graph first; on tiny feature maps that overhead dominates, on large ones
the saved MACs can pay for it. The figure shows the measured times and, beside them, each model's
time and MAC ratio to the reference model, size by size.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator

from ..check import check_int


def _check_series(sizes: Sequence[int], series: Dict[str, Sequence[float]], name: str) -> None:
    if not isinstance(series, dict) or not series:
        raise ValueError(f"{name} must be a non-empty dict model -> one value per size, got "
                         f"{series!r}")
    for model, values in series.items():
        if len(values) != len(sizes):
            raise ValueError(f"{name}[{model!r}] must have one value per size ({len(sizes)}), got "
                             f"{len(values)}")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"{name}[{model!r}] must hold finite numbers > 0, got {list(values)}")


def _check_sizes(sizes: Sequence[int]) -> None:
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise ValueError(f"sizes must be a non-empty list of image sides in pixels, got {sizes!r}")
    for s in sizes:
        check_int(s, 'sizes[i]', 1)
    if list(sizes) != sorted(set(sizes)):
        raise ValueError(f"sizes must be strictly increasing, got {list(sizes)}")


def crossover_size(sizes: Sequence[int], ratios: Sequence[float]) -> Optional[int]:
    """The smallest measured size from which a model stays faster than its reference: the first
    ``sizes[i]`` with ``ratios[j] < 1`` for every ``j >= i`` (``ratios``: model time / reference
    time). ``None`` when it is not faster at the largest size measured.

    Shapes:
        - **input:** ``sizes`` :math:`(S,)` increasing, ``ratios`` :math:`(S,)`
        - **output:** one of ``sizes`` or ``None``
    """
    _check_sizes(sizes)
    _check_series(sizes, {'model': ratios}, 'ratios')
    found = None
    for s, r in zip(reversed(sizes), reversed(ratios)):
        if r >= 1:
            break
        found = s
    return found


def _side(s: int) -> str:
    return f'{s}²'


def _span(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    return f'{lo:.2f}×' if f'{lo:.2f}' == f'{hi:.2f}' else f'{lo:.2f}–{hi:.2f}×'


def scaling_summary(sizes: Sequence[int], seconds: Dict[str, Sequence[float]],
                    macs: Dict[str, Sequence[float]], reference: Optional[str] = None) -> Dict:
    """Per model (all but ``reference``, default the first): its time and MAC ratios to the
    reference at each size, the crossover (:func:`crossover_size`) and one sentence saying it
    (a crossover at the smallest size is said as "faster at every size measured": it lies at or
    below that size).

    Shapes:
        - **input:** ``sizes`` :math:`(S,)`; ``seconds[m]``, ``macs[m]`` :math:`(S,)` per model
        - **output:** ``{model: {'time_ratio': (S,), 'mac_ratio': (S,), 'crossover', 'text'}}``
    """
    _check_sizes(sizes)
    _check_series(sizes, seconds, 'seconds')
    _check_series(sizes, macs, 'macs')
    if set(macs) != set(seconds):
        raise ValueError(f"macs must have the models of seconds {sorted(seconds)}, got "
                         f"{sorted(macs)}")
    reference = next(iter(seconds)) if reference is None else reference
    if reference not in seconds:
        raise ValueError(f"reference must be one of {list(seconds)}, got {reference!r}")
    out = {}
    for m in seconds:
        if m == reference:
            continue
        t = [a / b for a, b in zip(seconds[m], seconds[reference])]
        c = [a / b for a, b in zip(macs[m], macs[reference])]
        cross = crossover_size(sizes, t)
        if cross is None:
            text = (f'{m} is not faster than {reference} at any size measured (up to '
                    f'{_side(sizes[-1])}): it takes {_span(t)} the time for {_span(c)} the MACs')
        elif cross == sizes[0] and len(sizes) > 1:  # the crossover lies below the sizes measured
            text = (f'{m} is faster than {reference} at every size measured ({_side(sizes[0])} '
                    f'to {_side(sizes[-1])}): it takes {_span(t)} the time for {_span(c)} the '
                    'MACs')
        else:
            text = (f'{m} is faster than {reference} from {_side(cross)} on (measured up to '
                    f'{_side(sizes[-1])}): it takes {_span(t)} the time for {_span(c)} the MACs')
        out[m] = {'time_ratio': t, 'mac_ratio': c, 'crossover': cross, 'text': text}
    return out


def _draw_pair(ax_t, ax_r, sizes: Sequence[int], seconds: Dict[str, Sequence[float]],
               summary: Dict, reference: str, batch: int, label: str = '') -> None:
    """One comparison on two axes: the measured times (``ax_t``) and the ratios (``ax_r``)."""
    head = f'{label}\n' if label else ''
    colors = plt.get_cmap('tab10')
    for i, (m, t) in enumerate(seconds.items()):
        ax_t.plot(sizes, [1e3 * v / batch for v in t], 'o-', color=colors(i), label=m)
    ax_t.set_xscale('log', base=2)
    ax_t.set_yscale('log')
    ax_t.set_xticks(list(sizes), [_side(s) for s in sizes])
    ax_t.minorticks_off()
    # plain numbers at 1-2-5 steps: a log axis spanning less than a decade would show one label
    ax_t.yaxis.set_major_locator(LogLocator(subs=(1., 2., 5.)))
    ax_t.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v:g}'))
    ax_t.set_xlabel('image size (px)')
    ax_t.set_ylabel('inference time per image (ms, log scale)')
    ax_t.set_title(f'{head}measured time (median of interleaved runs)', fontsize=10)
    ax_t.grid(alpha=0.3)
    ax_t.legend(loc='upper center', bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9,
                frameon=False)

    for i, (m, s) in enumerate(summary.items(), 1):
        ax_r.plot(sizes, s['time_ratio'], 'o-', color=colors(i), label=f'{m}: time ratio')
        ax_r.plot(sizes, s['mac_ratio'], 's--', color=colors(i), alpha=0.7,
                  label=f'{m}: MAC ratio')
        if s['crossover'] is not None:
            every = s['crossover'] == sizes[0] and len(sizes) > 1
            if not every:  # a line at the axis' left end would mark nothing
                ax_r.axvline(s['crossover'], color=colors(i), linestyle=':', linewidth=1.2)
            ax_r.annotate('faster at every size measured' if every
                          else f"faster from {_side(s['crossover'])}", (s['crossover'], 1),
                          xytext=(4, 6), textcoords='offset points', fontsize=9, color=colors(i))
        else:
            ax_r.annotate(f'not faster up to {_side(sizes[-1])}', (0.02, 0.96),
                          xycoords='axes fraction', va='top', fontsize=9, color=colors(i))
    values = [v for s in summary.values() for v in s['time_ratio'] + s['mac_ratio']]
    lo, hi = min(values + [1.]) / 1.5, max(values + [1.]) * 1.5
    ax_r.axhspan(lo, 1, color='#d9f0d3', zorder=0, label=f'faster / cheaper than {reference}')
    ax_r.axhline(1, color='black', linewidth=0.8)
    ax_r.set_ylim(lo, hi)
    ax_r.set_xscale('log', base=2)
    ax_r.set_yscale('log')
    ax_r.set_xticks(list(sizes), [_side(s) for s in sizes])
    ax_r.minorticks_off()
    ticks = [v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo <= v <= hi]
    ax_r.set_yticks(ticks, [f'{v:g}×' for v in ticks])
    ax_r.set_xlabel('image size (px)')
    ax_r.set_ylabel(f'ratio to {reference} (log scale)')
    ax_r.set_title(f'{head}time and MACs relative to {reference}', fontsize=10)
    ax_r.grid(alpha=0.3)
    ax_r.legend(loc='upper center', bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9,
                frameon=False)


def plot_inference_scaling(sizes: Sequence[int], seconds: Dict[str, Sequence[float]],
                           macs: Dict[str, Sequence[float]], reference: Optional[str] = None, *,
                           batch: int = 1):
    """Inference time per image against the image side, and each model's time and MAC ratio to
    ``reference`` (default: the first model), with the crossover marked or its absence stated.

    Args:
        sizes (sequence of int): image sides in pixels (square images), increasing.
        seconds (dict): model -> seconds per forward pass of a batch of ``batch`` images, per size.
        macs (dict): model -> MACs per image (:func:`graphseg.analysis.count_macs`), per size.
        reference (str, optional): the model the others are compared with (the dense one).
        batch (int): images per timed forward pass. (default: ``1``)

    Shapes:
        - **input:** ``sizes`` :math:`(S,)`; ``seconds[m]``, ``macs[m]`` :math:`(S,)` per model

    Returns:
        The matplotlib figure (two panels; the legends below them).
    """
    check_int(batch, 'batch', 1)
    summary = scaling_summary(sizes, seconds, macs, reference)
    reference = next(iter(seconds)) if reference is None else reference
    fig, (ax_t, ax_r) = plt.subplots(1, 2, figsize=(10, 4.6))
    _draw_pair(ax_t, ax_r, sizes, seconds, summary, reference, batch)
    text = '\n'.join(s['text'] for s in summary.values())
    fig.suptitle(text or f'{reference} only: nothing to compare', fontsize=10)
    fig.tight_layout()
    return fig


def plot_scaling_pairs(pairs: Sequence[Dict]):
    """:func:`plot_inference_scaling` for several comparisons in one figure, one row each (e.g. a
    trained dense / HG-Conv pair and an untrained pair of wider networks, timed only).

    Args:
        pairs (sequence of dict): per row ``{'sizes', 'seconds', 'macs', 'reference', 'batch',
            'label'}``: the arguments of :func:`plot_inference_scaling` and the row's title
            (``reference`` and ``batch`` optional, ``label`` optional).

    Shapes:
        - **input:** per pair ``sizes`` :math:`(S,)`; ``seconds[m]``, ``macs[m]`` :math:`(S,)`

    Returns:
        The matplotlib figure (two panels per row; the legends below them, each row's conclusion
        in the figure title).
    """
    if not isinstance(pairs, (list, tuple)) or not pairs:
        raise ValueError(f"pairs must be a non-empty list of dicts with 'sizes', 'seconds' and "
                         f"'macs', got {pairs!r}")
    for i, p in enumerate(pairs):
        if not isinstance(p, dict) or not {'sizes', 'seconds', 'macs'} <= set(p):
            raise ValueError(f"pairs[{i}] must be a dict with 'sizes', 'seconds' and 'macs', got "
                             f"{sorted(p) if isinstance(p, dict) else type(p).__name__}")
        check_int(p.get('batch', 1), f'pairs[{i}].batch', 1)
    summaries = [scaling_summary(p['sizes'], p['seconds'], p['macs'], p.get('reference'))
                 for p in pairs]
    fig, axes = plt.subplots(len(pairs), 2, figsize=(10, 5.2 * len(pairs)), squeeze=False)
    lines = []
    for (ax_t, ax_r), p, summary in zip(axes, pairs, summaries):
        reference = p.get('reference') or next(iter(p['seconds']))
        label = p.get('label', '')
        _draw_pair(ax_t, ax_r, p['sizes'], p['seconds'], summary, reference, p.get('batch', 1),
                   label)
        texts = [s['text'] for s in summary.values()] or [f'{reference} only: nothing to compare']
        lines += [f"{label.split(':')[0]}: {t}" if label else t for t in texts]
    fig.suptitle('\n'.join(lines), fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ['crossover_size', 'scaling_summary', 'plot_inference_scaling', 'plot_scaling_pairs']
