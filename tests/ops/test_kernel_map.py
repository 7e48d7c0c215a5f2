"""Kernel maps of sparse sites: neighbour tables against a naive lookup, the typed edge list."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphseg.graphs import DIRECTIONS
from graphseg.ops import neighbor_table, submanifold_kernel_map


def naive_table(coords, H, W):
    sites = {tuple(c): i for i, c in enumerate(coords.tolist())}
    return torch.tensor([[sites.get((b, y + dy, x + dx), -1) for dy, dx in DIRECTIONS]
                         for b, y, x in coords.tolist()], dtype=torch.long).view(-1, 9)


@given(B=st.integers(1, 2), H=st.integers(1, 7), W=st.integers(1, 7), p=st.floats(0, 1),
       seed=st.integers(0, 2 ** 16))
@settings(max_examples=40)
def test_neighbor_table_methods_match_naive(B, H, W, p, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(B, H, W, generator=g) < p
    coords = mask.nonzero()[torch.randperm(int(mask.sum()), generator=g)]  # any site order
    ref = naive_table(coords, H, W)
    for method in ('grid', 'searchsorted'):
        assert torch.equal(neighbor_table(coords, (H, W), B, method=method), ref), method


def test_kernel_map_is_typed_edge_list(device):
    coords = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0]], device=device)
    ei, et = submanifold_kernel_map(coords, (2, 2), 2)
    got = set(zip(ei[0].tolist(), ei[1].tolist(), et.tolist()))
    # edge j -> i of type k: site j lies at DIRECTIONS[k] from site i (same image)
    assert got == {(0, 0, 4), (1, 1, 4), (2, 2, 4), (3, 3, 4), (1, 0, 5), (0, 1, 3), (2, 1, 7),
                   (1, 2, 1), (2, 0, 8), (0, 2, 0)}
    ei1, et1 = submanifold_kernel_map(coords, (2, 2), 2, kernel_size=1)
    assert ei1.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]] and et1.tolist() == [0, 0, 0, 0]


def test_auto_method_falls_back_to_searchsorted_on_huge_grids():
    coords = torch.tensor([[0, 50_000, 70_000], [0, 50_001, 70_001], [1, 0, 0]])
    # a dense index grid would need 2e10 cells
    table = neighbor_table(coords, (100_000, 100_000), 2)
    assert table[0].tolist() == [-1, -1, -1, -1, 0, -1, -1, -1, 1] and table[2].tolist()[4] == 2


def test_kernel_map_errors():
    with pytest.raises(ValueError, match='coords must not contain duplicate sites'):
        neighbor_table(torch.tensor([[0, 1, 1], [0, 1, 1]]), (3, 3), 1, method='grid')
    with pytest.raises(ValueError, match='coords must not contain duplicate sites'):
        neighbor_table(torch.tensor([[0, 1, 1], [0, 1, 1]]), (3, 3), 1, method='searchsorted')
    with pytest.raises(ValueError, match='method must be one of'):
        neighbor_table(torch.zeros(1, 3, dtype=torch.long), (3, 3), 1, method='hash')
    with pytest.raises(ValueError, match='kernel_size must be 1 or 3, got 5'):
        submanifold_kernel_map(torch.zeros(1, 3, dtype=torch.long), (3, 3), 1, kernel_size=5)
