"""representative_attention: chunking and recompute, gradients through the bilinear sampling
weights."""
import pytest
import torch
from torch.autograd import gradcheck

from graphseg.graphs import bilinear_neighbors
from graphseg.nn import representative_attention


@pytest.mark.parametrize('M', [1, 2])
def test_chunking_and_recompute_do_not_change_values_or_gradients(M):
    A, S, C, R = 7, 5, 3, 30
    q = torch.randn(A, M, C, dtype=torch.float64, requires_grad=True)
    k = torch.randn(R, C, dtype=torch.float64, requires_grad=True)
    v = torch.randn(R, C, dtype=torch.float64, requires_grad=True)
    index = torch.randint(0, R, (A, S, 4))
    weight = torch.rand(A, S, 4, dtype=torch.float64, requires_grad=True)
    results = []
    for chunk_size, recompute in [(None, False), (1, True), (3, True), (3, False), (100, True)]:
        out = representative_attention(q, k, v, index, weight, chunk_size=chunk_size,
                                       recompute=recompute)
        grads = torch.autograd.grad(out.sin().sum(), (q, k, v, weight))
        results.append((out, grads))
    for out, grads in results[1:]:
        torch.testing.assert_close(out, results[0][0])
        for a, b in zip(grads, results[0][1]):
            torch.testing.assert_close(a, b)
    with torch.no_grad():  # the inference formulation (batched matmuls) gives the same values
        torch.testing.assert_close(representative_attention(q, k, v, index, weight), results[0][0])
        torch.testing.assert_close(representative_attention(q, k, k, index, weight),
                                   representative_attention(q, k, k.clone(), index, weight))


def test_gradcheck_offsets():
    """Gradient w.r.t. the sampled offsets through the bilinear weights (and the sampled keys)."""
    H, W, S, C = 3, 3, 2, 2
    q = torch.randn(H * W, 1, C, dtype=torch.float64, requires_grad=True)
    k = torch.randn(H * W, C, dtype=torch.float64, requires_grad=True)
    v = torch.randn(H * W, C, dtype=torch.float64, requires_grad=True)
    offsets = (torch.randn(1, 2 * S, H, W, dtype=torch.float64) * 1.5).requires_grad_(True)
    from graphseg.graphs import sample_positions

    def f(q, k, v, offsets):
        index, weight = bilinear_neighbors(sample_positions(offsets)[0], H, W)
        return representative_attention(q, k, v, index, weight, chunk_size=4)
    assert gradcheck(f, (q, k, v, offsets), fast_mode=True)
    assert gradcheck(lambda o: f(q, k, v, o), (offsets,))  # full Jacobian w.r.t. the offsets
