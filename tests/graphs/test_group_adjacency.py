"""group_adjacency (HG-Conv Eq. 4, Eq. 7, Appendix B) against a naive per-pixel loop over dense
S, and its Hypothesis properties: mirror symmetry of the typed edges, noise canceling,
max-direction, in-degrees accounted for pixel by pixel."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck

from graphseg.graphs import (DIRECTIONS, SoftAssignment, grid_graph, group_adjacency,
                             to_dense_adjacency)


def naive(S, noise_cancel, max_direction, min_weight=1e-7):
    """Dense reference. S: (B, H, W, G) soft or one-hot. Returns {(i, k, j): w} over B*G nodes."""
    B, H, W, G = S.shape
    n = B * G
    A = torch.zeros(9, n, n, dtype=torch.float64)
    for b in range(B):
        for y in range(H):
            for x in range(W):
                for k, (dy, dx) in enumerate(DIRECTIONS):
                    qy, qx = y + dy, x + dx
                    if k == 4 or not (0 <= qy < H and 0 <= qx < W):
                        continue
                    A[k, b * G:(b + 1) * G, b * G:(b + 1) * G] += torch.outer(S[b, y, x],
                                                                              S[b, qy, qx]).double()
    eye = torch.eye(n, dtype=torch.bool)
    A[:, eye] = 0  # zero diagonal in every non-self direction
    A[A < min_weight] = 0
    if noise_cancel:
        A = (A - A.flip(0)).clamp(min=0)  # A[8 - k] is the opposite direction
        A[A < min_weight] = 0
    if max_direction:  # ties: lowest direction index for i < j, its mirror 8 - k for i > j
        lower = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)  # i < j
        best = torch.where(lower, A.argmax(0), 8 - A.flip(0).argmax(0))
        keep = torch.zeros_like(A, dtype=torch.bool).scatter_(0, best.unsqueeze(0), True)
        A = torch.where(keep, A, torch.zeros_like(A))
    A[4] = torch.eye(n, dtype=torch.float64)
    out = {}
    for k, i, j in A.nonzero().tolist():
        out[(i, k, j)] = float(A[k, i, j])
    return out


def as_dict(ei, et, ew):
    return {(int(i), int(k), int(j)): float(w) for j, i, k, w in zip(ei[0], ei[1], et, ew)}


def assert_same(got, ref):
    assert set(got) == set(ref)
    for key in ref:
        assert abs(got[key] - ref[key]) < 1e-6 * max(1., abs(ref[key])), key


@given(B=st.integers(1, 2), H=st.integers(1, 6), W=st.integers(1, 6), G=st.integers(1, 5),
       noise_cancel=st.booleans(), max_direction=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_hard_matches_naive(B, H, W, G, noise_cancel, max_direction, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, G, (B, H, W), generator=g)
    S = torch.nn.functional.one_hot(labels, G)
    ei, et, ew = group_adjacency(labels, H, W, num_groups=G, noise_cancel=noise_cancel,
                                 max_direction=max_direction)
    assert_same(as_dict(ei, et, ew), naive(S, noise_cancel, max_direction))


@given(B=st.integers(1, 2), H=st.integers(1, 5), W=st.integers(1, 5), G=st.integers(1, 5),
       k=st.integers(1, 3), noise_cancel=st.booleans(), max_direction=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_soft_matches_naive(B, H, W, G, k, noise_cancel, max_direction, seed):
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, G, (B, H, W, k), generator=g)
    weight = torch.rand(B, H, W, k, generator=g, dtype=torch.float64)
    weight[torch.rand(B, H, W, k, generator=g) < 0.2] = 0  # padding entries
    S = torch.zeros(B, H, W, G, dtype=torch.float64).scatter_add_(-1, index, weight)
    ei, et, ew = group_adjacency(SoftAssignment(index, weight), H, W, num_groups=G,
                                 noise_cancel=noise_cancel, max_direction=max_direction)
    assert ew.dtype == torch.float64
    assert_same(as_dict(ei, et, ew), naive(S, noise_cancel, max_direction))


@pytest.mark.parametrize('H,W', [(1, 1), (3, 5), (6, 4)])
def test_identity_assignment_is_grid(H, W, device):
    g = grid_graph(H, W, device=device)
    ei, et, ew = group_adjacency(torch.arange(H * W, device=device).view(H, W), H, W)
    assert torch.equal(ei, g.edge_index) and torch.equal(et, g.edge_type)
    assert torch.equal(ew, torch.ones_like(ew))


def test_one_hot_soft_equals_hard(device):
    labels = torch.randint(0, 6, (2, 9, 7), device=device)
    hard = group_adjacency(labels, 9, 7)
    soft = group_adjacency((labels.unsqueeze(-1), torch.ones(2, 9, 7, 1, device=device)), 9, 7)
    for a, b in zip(hard, soft):
        torch.testing.assert_close(a, b)


def test_transpose_before_canceling_and_exclusive_after():
    labels = torch.randint(0, 8, (12, 12))
    raw = to_dense_adjacency(
        *group_adjacency(labels, 12, 12, noise_cancel=False, max_direction=False)
    )
    for k in range(9):
        torch.testing.assert_close(raw[k], raw[8 - k].t())  # A^d = (A^dbar)^T
    canc = to_dense_adjacency(
        *group_adjacency(labels, 12, 12, noise_cancel=True, max_direction=False)
    )
    for k in range(9):
        if k != 4:
            assert float((canc[k] * canc[8 - k]).abs().max()) == 0.  # A^d_ij * A^dbar_ij = 0
            assert float(canc[k].diagonal().abs().max()) == 0.
    torch.testing.assert_close(canc[4], torch.eye(canc.size(1)))
    maxd = to_dense_adjacency(*group_adjacency(labels, 12, 12))
    # <= 1 direction per pair
    assert int((maxd[[k for k in range(9) if k != 4]] > 0).sum(0).max()) <= 1


def test_batched_equals_per_image_offsets():
    labels = torch.randint(0, 5, (3, 6, 8))
    ei, et, ew = group_adjacency(labels, 6, 8, num_groups=5)
    parts = []
    for b in range(3):
        e, t, w = group_adjacency(labels[b], 6, 8, num_groups=5)
        parts.append((e + 5 * b, t, w))
    torch.testing.assert_close(ei, torch.cat([p[0] for p in parts], 1))
    torch.testing.assert_close(et, torch.cat([p[1] for p in parts]))
    torch.testing.assert_close(ew, torch.cat([p[2] for p in parts]))


def test_empty_groups_get_identity_only():
    labels = torch.zeros(4, 4, dtype=torch.long)
    ei, et, ew = group_adjacency(labels, 4, 4, num_groups=3)
    assert et.tolist() == [4, 4, 4] and ei.tolist() == [[0, 1, 2], [0, 1, 2]]


@pytest.mark.parametrize('noise_cancel,max_direction',
                         [(False, False), (True, False), (True, True)])
def test_soft_weights_gradcheck(noise_cancel, max_direction):
    index = torch.randint(0, 4, (4, 4, 2))
    weight = (torch.rand(4, 4, 2, dtype=torch.float64) + 0.1).requires_grad_(True)

    def f(w):
        return group_adjacency((index, w), 4, 4, num_groups=4, noise_cancel=noise_cancel,
                               max_direction=max_direction)[2]
    assert gradcheck(f, (weight,))


def test_min_weight_drops_small_soft_entries():
    index = torch.tensor([[[0, 1]], [[1, 0]]])  # (H=2, W=1, k=2)
    weight = torch.tensor([[[1.0, 1e-5]], [[1.0, 1e-5]]])
    ei, et, ew = group_adjacency((index, weight), 2, 1, min_weight=1e-3, noise_cancel=False)
    assert float(ew[et != 4].min()) >= 1e-3


def test_errors():
    lab = torch.zeros(4, 4, dtype=torch.long)
    with pytest.raises(ValueError, match=r'assignment must have shape \(H, W\) or \(B, H, W\) with '
                                         r'\(H, W\) = \(4, 5\), got \(4, 4\)'):
        group_adjacency(lab, 4, 5)
    with pytest.raises(ValueError, match='assignment must have shape'):
        group_adjacency(torch.zeros(16, dtype=torch.long), 4, 4)
    with pytest.raises(TypeError, match='hard assignment must be a long tensor'):
        group_adjacency(lab.float(), 4, 4)
    with pytest.raises(ValueError, match='group ids must be >= 0'):
        group_adjacency(lab - 1, 4, 4)
    with pytest.raises(ValueError, match='num_groups must exceed the largest group id 3'):
        group_adjacency(lab + 3, 4, 4, num_groups=2)
    with pytest.raises(ValueError, match='assignment.weight must be finite'):
        group_adjacency((lab.unsqueeze(-1), torch.full((4, 4, 1), float('nan'))), 4, 4)
    with pytest.raises(ValueError, match='same shape'):
        group_adjacency((lab.unsqueeze(-1), torch.ones(4, 4, 2)), 4, 4)
    with pytest.raises(ValueError, match='min_weight must be a finite number >= 0'):
        group_adjacency(lab, 4, 4, min_weight=-1)
    with pytest.raises(ValueError, match='height must be an int >= 1'):
        group_adjacency(lab, 0, 4)
    with pytest.raises(ValueError, match='assignment.weight must be >= 0'):
        group_adjacency((lab.unsqueeze(-1), -torch.ones(4, 4, 1)), 4, 4)


def test_per_length_max_direction_picks_the_direction_closest_to_the_boundary_normal():
    H = W = 12
    y, x = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    labels = (x >= 4 + y // 3).long()  # group 1 right of a boundary 18 degrees off vertical
    ei, et, ew = group_adjacency(labels, H, W, max_direction=False)
    raw = {int(t): float(w) for a, b, t, w in zip(ei[0], ei[1], et, ew) if (a, b) == (1, 0)}
    # group 1 seen from group 0: up, up-right, right, down-right
    assert raw == {1: 3., 2: 14., 5: 12., 8: 8.}
    ei, et, ew = group_adjacency(labels, H, W)
    assert [(int(t), float(w)) for a, b, t,
            w in zip(ei[0], ei[1], et, ew) if (a, b) == (1, 0)] == [(2, 14.)]
    ei, et, ew = group_adjacency(labels, H, W, per_length=True)  # 12 / 1 > 14 / sqrt(2): right
    assert [(int(t), float(w)) for a, b, t,
            w in zip(ei[0], ei[1], et, ew) if (a, b) == (1, 0)] == [(5, 12.)]
    assert [(int(t), float(w)) for a, b, t,
            w in zip(ei[0], ei[1], et, ew) if (a, b) == (0, 1)] == [(3, 12.)]
    # a 45-degree staircase: the diagonal is the normal either way
    diagonal = (y + x > 4).long()[:6, :6]
    for per_length in (False, True):
        ei, et, _ = group_adjacency(diagonal, 6, 6, per_length=per_length)
        assert sorted(int(t) for a, b, t in zip(ei[0], ei[1], et) if a != b) == [0, 8]
def test_max_direction_is_mirror_symmetric_on_ties():
    """The issue's minimal case: a staircase border where directions 2 and 5 (and 6 and 3) tie at 20
    pairs. Each pair of groups is decided once: 1 -> 0 keeps type 2, so 0 -> 1 keeps its mirror 8 -
    2 = 6."""
    seg = torch.zeros(20, 20, dtype=torch.long)
    for y in range(20):
        seg[y, 10 + (y % 2):] = 1
    raw = to_dense_adjacency(*group_adjacency(seg, 20, 20, max_direction=False))
    assert raw[2, 0, 1] == raw[5, 0, 1] == 20 and raw[6, 1, 0] == raw[3, 1, 0] == 20  # the ties
    ei, et, ew = group_adjacency(seg, 20, 20)
    assert ei.tolist() == [[0, 1, 0, 1], [0, 0, 1, 1]] and et.tolist() == [4, 2, 6, 4]
    assert ew.tolist() == [1., 20., 20., 1.]


NON_SELF = [k for k in range(9) if k != 4]


def label_map(seed, B, H, W, G, blocky):
    """Random labels; ``blocky`` maps have larger regions (fewer, longer borders: ties in
    max-direction)."""
    g = torch.Generator().manual_seed(seed)
    if not blocky:
        return torch.randint(0, G, (B, H, W), generator=g)
    coarse = torch.randint(0, G, (B, -(-H // 3), -(-W // 3)), generator=g)
    return coarse.repeat_interleave(3, 1).repeat_interleave(3, 2)[:, :H, :W].contiguous()


def soft_map(seed, B, H, W, G, k):
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, G, (B, H, W, k), generator=g)
    weight = torch.rand(B, H, W, k, generator=g, dtype=torch.float64)
    weight[torch.rand(B, H, W, k, generator=g) < 0.3] = 0
    return index, weight


def dense(assignment, H, W, n, **flags):
    return to_dense_adjacency(*group_adjacency(assignment, H, W, **flags), num_nodes=n)  # (9, n, n)


def pair_counts(S):
    """Raw Eq. 4 from a dense S (B, H, W, G), one shifted copy per direction: (9, B G, B G)."""
    B, H, W, G = S.shape
    A = torch.zeros(9, B * G, B * G, dtype=torch.float64)
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k == 4:
            continue
        # pixels p with p + delta inside
        p = S[:, max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
        q = S[:, max(0, dy):H - max(0, -dy), max(0, dx):W - max(0, -dx)]
        for b in range(B):
            A[k, b * G:(b + 1) * G, b * G:(b + 1) * G] = torch.einsum('hwi,hwj->ij', p[b].double(),
                                                                      q[b].double())
    eye = torch.eye(B * G, dtype=torch.bool)
    A[:, eye] = 0
    return A


graph_args = dict(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 9),
                  W=st.integers(1, 9), G=st.integers(1, 6), blocky=st.booleans(),
                  noise_cancel=st.booleans(), max_direction=st.booleans())


@given(**graph_args)
@settings(max_examples=40)
def test_typed_edges_are_mirror_symmetric(seed, B, H, W, G, blocky, noise_cancel, max_direction):
    """Â^δ = (Â^δ̄)ᵀ: before canceling by Eq. 4, after canceling (Eq. 7 commutes with the mirror)
    and after max-direction (each pair of groups decided once): the edge j -> i of type k comes with
    i -> j of type 8 - k."""
    labels = label_map(seed, B, H, W, G, blocky)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel,
              max_direction=max_direction)
    for k in range(9):
        assert torch.equal(A[k], A[8 - k].t()), k


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 6), W=st.integers(1, 6),
       G=st.integers(1, 5), k=st.integers(1, 3), noise_cancel=st.booleans(),
       max_direction=st.booleans())
@settings(max_examples=30)
def test_soft_typed_edges_are_mirror_symmetric(seed, B, H, W, G, k, noise_cancel, max_direction):
    A = dense(soft_map(seed, B, H, W, G, k), H, W, B * G, num_groups=G, noise_cancel=noise_cancel,
              max_direction=max_direction)
    for d in range(9):
        assert torch.equal(A[d], A[8 - d].t()), d


@given(**graph_args)
@settings(max_examples=40)
def test_canceling_and_max_direction_leave_one_direction_per_pair(seed, B, H, W, G, blocky,
                                                                  noise_cancel, max_direction):
    labels = label_map(seed, B, H, W, G, blocky)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel,
              max_direction=max_direction)
    raw = dense(labels, H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    typed = A[NON_SELF]  # (8, n, n)
    if noise_cancel:  # Eq. 7: A^d_ij A^dbar_ij = 0, and what is left is the difference
        for k in NON_SELF:
            assert float((A[k] * A[8 - k]).abs().max()) == 0
        if not max_direction:
            torch.testing.assert_close(A[NON_SELF],
                                       (raw[NON_SELF] - raw[NON_SELF].flip(0)).clamp_min(0))
    if max_direction:  # at most one direction per ordered pair, hence (mirrored) per unordered pair
        assert int((typed > 0).sum(0).max()) <= 1
        kept = typed.sum(0)  # the kept weight is the strongest one of the pair (after canceling)
        ref = (
            (raw[NON_SELF] - raw[NON_SELF].flip(0)).clamp_min(0) if noise_cancel else raw[NON_SELF]
        )
        torch.testing.assert_close(kept, ref.amax(0))
    else:
        assert torch.equal(typed > 0, (raw[NON_SELF] > 0) if not noise_cancel else typed > 0)
    # the self direction is the identity, once per node
    torch.testing.assert_close(A[4], torch.eye(B * G))


@given(**graph_args)
@settings(max_examples=30)
def test_in_degree_accounts_for_every_border_pixel_pair(seed, B, H, W, G, blocky, noise_cancel,
                                                        max_direction):
    """Raw in-degree of group i over all directions = the pixel pairs (p in i, p + delta in another
    group); canceling and max-direction only take weight away, direction by direction."""
    labels = label_map(seed, B, H, W, G, blocky)
    S = torch.nn.functional.one_hot(labels, G)
    counts = pair_counts(S)
    raw = dense(labels, H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    torch.testing.assert_close(raw[NON_SELF], counts[NON_SELF].to(raw.dtype))
    per_node = torch.zeros(B * G)
    for b in range(B):
        for y in range(H):
            for x in range(W):
                i = b * G + int(labels[b, y, x])
                for dy, dx in (d for d in DIRECTIONS if d != (0, 0)):
                    qy, qx = y + dy, x + dx
                    if 0 <= qy < H and 0 <= qx < W and labels[b, qy, qx] != labels[b, y, x]:
                        per_node[i] += 1
    torch.testing.assert_close(raw[NON_SELF].sum((0, 2)), per_node)
    A = dense(labels, H, W, B * G, num_groups=G, noise_cancel=noise_cancel,
              max_direction=max_direction)
    assert bool((A[NON_SELF] <= raw[NON_SELF]).all())


@given(seed=st.integers(0, 2 ** 16), B=st.integers(1, 2), H=st.integers(1, 6), W=st.integers(1, 6),
       G=st.integers(1, 5), k=st.integers(1, 3))
@settings(max_examples=25)
def test_soft_in_degree_is_the_dense_product(seed, B, H, W, G, k):
    index, weight = soft_map(seed, B, H, W, G, k)
    S = torch.zeros(B, H, W, G, dtype=torch.float64).scatter_add_(-1, index, weight)
    raw = dense((index, weight), H, W, B * G, num_groups=G, noise_cancel=False, max_direction=False)
    ref = pair_counts(S)
    ref[ref < 1e-7] = 0  # the default min_weight
    torch.testing.assert_close(raw[NON_SELF], ref[NON_SELF])
