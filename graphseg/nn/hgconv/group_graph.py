r"""The group graph of HG-Conv (Hamaguchi et al., CVPR 2021, Sec. 3.1-3.2): importance map,
(focused) centre sampling, differentiable SLIC and :math:`\hat A^\delta = S^\top A^\delta S` (Eq. 4,
7, 11).

:class:`HGClustering` builds it; :class:`~graphseg.nn.HGConv` runs graph convolutions on it and the
HG networks (:class:`~graphseg.models.HGResNet`) whole residual stages.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Union

import torch
from torch import Tensor, nn
from torch.profiler import record_function

from ...check import check_choice, check_finite
from ...graphs.group_adjacency import Assignment, group_adjacency
from ...ops.amp import autocast_enabled, full_precision, is_low_precision, upcast
from .active_focus import active_focus, check_attention
from .clustering import (SAMPLING, DifferentiableSLIC, SoftClustering, importance_map,
                         sample_centres, sample_centres_per_image)


class GroupGraph(NamedTuple):
    r"""The group graph of a batch: the soft assignment :math:`S` and :math:`\hat A^\delta` (Eq. 4,
    7).

    ``edge_index`` / ``edge_type`` / ``edge_weight`` as returned by
    :func:`~graphseg.graphs.group_adjacency` on the :math:`B M` nodes (group ``g``
    of image ``b`` is node ``b * M + g``).
    """
    S: SoftClustering
    edge_index: Tensor
    edge_type: Tensor
    edge_weight: Tensor


class HGClustering(nn.Module):
    r"""The graph-building half of HG-Conv: importance map, (focused) centre sampling,
    differentiable SLIC and the group adjacency (Sec. 3.1-3.2, Eq. 4, 7, 11).

    :class:`HGConv` runs its graph convolutions on the result; the HG networks
    (:class:`~graphseg.models.HGResNet`) run whole residual stages on it.

    **Sampling.** In training mode the centres are drawn from ``torch``'s global
    generator (a fresh grid every step, as in the paper). In eval mode each image
    draws from its own generator seeded with :attr:`eval_seed`
    (:func:`~graphseg.nn.hgconv.clustering.sample_centres_per_image`), so outputs
    are deterministic and an image gives the same result alone or inside a
    batch. Setting :attr:`generator` overrides both (one stream for the batch).

    Args:
        ratio (float): groups per pixel, in :math:`(0, 1]`. (default: ``1/64``)
        iters (int): differentiable-SLIC rounds. (default: ``3``)
        sampling (str): ``'random'``, ``'importance'`` or ``'topk_random'``.
            (default: ``'topk_random'``)
        num_groups (int, optional): fixed :math:`M` instead of ``ratio``.
        num_nearest, min_weight, alpha, oversample, beta, noise_cancel, max_direction, tile: as
            :class:`HGConv`.
        per_length (bool): max-direction per unit of offset length (see
            :func:`~graphseg.graphs.group_adjacency`; not in the paper). (default: ``False``)
    """

    def __init__(self, ratio: float = 1 / 64, iters: int = 3, sampling: str = 'topk_random', *,
                 num_groups: Optional[int] = None, num_nearest: int = 9, min_weight: float = 1e-3,
                 alpha: float = 10., oversample: float = 7., beta: float = 0.75,
                 noise_cancel: bool = True, max_direction: bool = True, tile: Optional[int] = None,
                 per_length: bool = False) -> None:
        super().__init__()
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f"ratio must be a number in (0, 1], got {ratio!r}")
        if num_groups is not None and (
            isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 1
        ):
            raise ValueError(f"num_groups must be an int >= 1, got {num_groups!r}")
        check_choice(sampling, 'sampling', SAMPLING)
        self.ratio, self.fixed_num_groups, self.sampling = ratio, num_groups, sampling
        self.alpha, self.oversample, self.beta = alpha, oversample, beta
        self.noise_cancel, self.max_direction = noise_cancel, max_direction
        self.per_length = per_length
        self.clustering = DifferentiableSLIC(iters, num_nearest, min_weight, tile)
        self.generator: Optional[torch.Generator] = None
        self.eval_seed = 0

    def num_groups_for(self, height: int, width: int) -> int:
        """Groups per image :math:`M` for an ``height x width`` map."""
        M = self.fixed_num_groups or max(1, int(round(height * width * self.ratio)))
        if M > height * width:
            raise ValueError(f"num_groups = {M} groups need at least as many pixels, but the map "
                             "has only "
                             f"{height}x{width} = {height * width} pixels (fewer pixels than "
                             "groups)")
        return M

    def sample(self, focus: Tensor, num_groups: int) -> Tensor:
        """Centre pixels :math:`(B, M)` from the sampling map (see the class docstring for the
        random source)."""
        if self.generator is None and not self.training:
            return sample_centres_per_image(focus, num_groups, self.sampling, seed=self.eval_seed,
                                            oversample=self.oversample, beta=self.beta)
        return sample_centres(focus, num_groups, self.sampling, oversample=self.oversample,
                              beta=self.beta, generator=self.generator)

    def cluster(self, x: Tensor, attention: Optional[Tensor] = None) -> SoftClustering:
        """Importance map, (focused) centre sampling and differentiable SLIC on ``x`` (in float32
        under ``torch.autocast``: the SLIC distances :math:`\\lVert x \\rVert^2 - 2 x^\\top c +
        \\lVert c \\rVert^2` cancel, and bf16 keeps 8 bits)."""
        if autocast_enabled(x):
            with full_precision(x):
                return self.cluster(upcast(x), upcast(attention))
        B, _, H, W = x.shape
        M = self.num_groups_for(H, W)
        with torch.no_grad():
            importance = importance_map(x.detach())  # (B, H, W): NaN / inf wherever x has one
            # checking x itself would cost C times more
            if not bool(torch.isfinite(importance).all()):
                check_finite(x, 'x')
            focus = active_focus(importance, attention, self.alpha)  # Eq. 11
            centres = self.sample(focus, M)
        return self.clustering(x, centres)

    def _assignment(self, x: Tensor, attention: Optional[Tensor],
                    assignment: Union[Assignment, SoftClustering, None]) -> SoftClustering:
        B, _, H, W = x.shape
        if assignment is None:
            if attention is not None:
                attention = check_attention(attention, (B, H, W))
            return self.cluster(x, attention)
        if attention is not None:
            raise ValueError("attention steers the centre sampling; it cannot be combined with a "
                             "given assignment")
        if isinstance(assignment, SoftClustering):
            if (assignment.batch_size, assignment.height, assignment.width) != (B, H, W):
                raise ValueError(f"assignment must cover (B, H, W) = ({B}, {H}, {W}), got "
                                 f"({assignment.batch_size}, {assignment.height}, "
                                 f"{assignment.width})")
            return assignment
        S = SoftClustering.from_assignment(assignment, H, W, num_groups=self.fixed_num_groups)
        if S.batch_size != B:
            if S.batch_size != 1:
                raise ValueError(f"assignment must hold 1 or B = {B} maps, got {S.batch_size}")
            S = SoftClustering(S.index.expand(B, -1, -1, -1), S.weight.expand(B, -1, -1, -1),
                               S.num_groups)
        return S

    def group_graph(self, x: Tensor, attention: Optional[Tensor] = None,
                    assignment: Union[Assignment, SoftClustering, None] = None) -> GroupGraph:
        r"""Cluster ``x`` (or take ``assignment``) and build :math:`\hat A^\delta` (Eq. 4 + Eq. 7 +
        max-direction).

        Shapes:
            - **input:** x :math:`(B, C, H, W)`, attention :math:`(B, H, W)` (optional)
            - **output:** :class:`GroupGraph` on :math:`B M` nodes
        """
        H, W = x.shape[-2:]
        with record_function('hgconv.clustering'):
            S = self._assignment(x, attention, assignment)
        with record_function('hgconv.adjacency'):
            edge_index, edge_type, edge_weight = group_adjacency(
                S.assignment, H, W, num_groups=S.num_groups, noise_cancel=self.noise_cancel,
                max_direction=self.max_direction, per_length=self.per_length)
        # pixel-pair counts: float32 for a bf16 / fp16 (autocast) map
        return GroupGraph(S, edge_index, edge_type,
                          edge_weight.to(torch.float32 if is_low_precision(x) else x.dtype))

    def group_edges_per_image(self, graph: GroupGraph) -> List[int]:
        """Edges of each image's group graph (self-loops included)."""
        return torch.bincount(graph.edge_index[1] // graph.S.num_groups,
                              minlength=graph.S.batch_size).tolist()

    def adjacency_macs(self, S: SoftClustering) -> int:
        """MACs per image of :func:`~graphseg.graphs.group_adjacency`: the :math:`k^2` products
        :math:`S_{pi} S_{qj}` of each neighbouring pixel pair in the 4 forward directions."""
        H, W, k = S.height, S.width, S.assignment.index.size(-1)
        return ((H - 1) * W + H * (W - 1) + 2 * (H - 1) * (W - 1)) * k * k

    def clustering_extra_repr(self) -> str:
        groups = (
            f'num_groups={self.fixed_num_groups}'
            if self.fixed_num_groups
            else f'ratio={self.ratio:.4g}'
        )
        return f'{groups}, sampling={self.sampling!r}'


__all__ = ['GroupGraph', 'HGClustering']
