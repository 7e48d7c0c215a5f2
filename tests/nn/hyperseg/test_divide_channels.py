"""divide_channels (HyperSeg Appendix A, the released rule): properties and released values."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphseg.nn import divide_channels


@given(unit=st.sampled_from([1, 4, 8, 16, 32]), extra=st.integers(0, 60),
       weights=st.lists(st.integers(1, 10_000), min_size=1, max_size=8))
def test_divide_channels_properties(unit, extra, weights):
    total = (len(weights) + extra) * unit
    shares = divide_channels(total, unit, weights)
    assert len(shares) == len(weights)
    assert all(s % unit == 0 and s >= unit for s in shares)
    for w in set(weights):  # equal weights, equal shares
        assert len({s for s, v in zip(shares, weights) if v == w}) == 1
    # every unit is given out, except what a group of equal weights cannot split evenly among its
    # members
    assert 0 <= total - sum(shares) < unit * len(weights)
    if len(set(weights)) == len(weights):
        assert sum(shares) == total


def test_divide_channels_examples():
    """Values of the released ``divide_feature`` / ``divide_feature_legacy`` (YuvalNirkin/hyperseg);
    graphseg's rule was also compared with them on 20,000 random cases each outside the repository:
    all equal."""
    # M
    assert divide_channels(1280, 32, [5248, 3008, 704, 2352, 4216]) == [416, 224, 128, 192, 320]
    # S (shared last mapper)
    assert divide_channels(1280, 32, [4160, 992, 208, 3676]) == [576, 128, 64, 512]
    assert divide_channels(64, 8, [1, 1, 2]) == [16, 16, 32]
    assert divide_channels(48, 8, [5, 5, 1, 1]) == [16, 16, 8, 8]
    assert divide_channels(40, 8, [3, 1]) == [24, 16]
    assert divide_channels(96, 8, [10, 20, 20, 5]) == [16, 32, 32, 16]
    assert divide_channels(96, 8, [10, 20, 20, 5], rule='legacy') == [16, 32, 32, 16]
    assert divide_channels(64, 8, [1, 1, 2], rule='legacy') == [16, 16, 32]
    with pytest.raises(ValueError, match='total = 30 must be divisible by unit = 8'):
        divide_channels(30, 8, [1, 2])
    with pytest.raises(ValueError, match=r'holds 2 unit\(s\) of 8, fewer than the 3 shares'):
        divide_channels(16, 8, [1, 2, 3])
    with pytest.raises(ValueError, match='leaves a share without channels'):
        divide_channels(16, 8, [1, 2, 300], rule='legacy')
    with pytest.raises(ValueError, match='weights must be finite and > 0'):
        divide_channels(16, 8, [1, 0])
    with pytest.raises(ValueError, match='weights must not be empty'):
        divide_channels(16, 8, [])
    with pytest.raises(ValueError, match='unit must be a positive int'):
        divide_channels(16, 0, [1])
    with pytest.raises(ValueError, match="rule must be one of"):
        divide_channels(16, 8, [1], rule='largest')
