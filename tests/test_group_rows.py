"""services.group_rows: the same groups, in the same order, as np.unique(axis=0) (property-based)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.sim.services import group_rows


@st.composite
def int_columns(draw: st.DrawFn) -> list[np.ndarray]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, 5))
    highs = draw(st.lists(st.sampled_from([1, 3, 200, 70_000, 2**31 - 1, 2**40]), min_size=k, max_size=k))
    return [
        np.array(draw(st.lists(st.integers(-1, h), min_size=n, max_size=n)), dtype=np.int64) for h in highs
    ]


@settings(max_examples=200, deadline=None)
@given(int_columns())
def test_group_rows_matches_unique_rows(cols: list[np.ndarray]) -> None:
    *groups, inv = group_rows(*cols)
    ukeys, uinv = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
    for j, g in enumerate(groups):
        np.testing.assert_array_equal(g, ukeys[:, j])
    np.testing.assert_array_equal(inv, uinv.reshape(-1))
