"""work.pick_sparse: the pick over (decider, place) pairs equals choose() over the dense matrix (property-based)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core.choice import choose
from simulation.sim.work import HOME, OFFICE, own_pairs, pick_sparse


@st.composite
def decisions(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    u_oh = rng.normal(size=(n, 2))
    u_oh[:, 1] = np.where(rng.random(n) < 0.3, -np.inf, u_oh[:, 1])  # home unavailable (no allowance left)
    available = rng.random((n, k)) < draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    u3 = np.where(available, rng.normal(size=(n, k)), -np.inf)
    noise = rng.gumbel(size=(n, 2 + k))
    if draw(st.booleans()):  # exact ties: the first column must win, as in choose()
        noise[:, 2:] = 0.0
        u3 = np.where(available, 0.5, -np.inf)
    return u_oh, u3, noise


@settings(max_examples=120, deadline=None)
@given(decisions())
def test_pick_sparse_equals_choose_on_the_dense_matrix(case: tuple[np.ndarray, ...]) -> None:
    u_oh, u3, noise = case
    n, k = u3.shape
    places = np.arange(n * k).reshape(n, k) + 100  # a distinct place row per cell
    rows, col = np.nonzero(np.isfinite(u3))
    got = pick_sparse(u_oh, noise[:, :2], rows, u3[rows, col] + noise[:, 2:][rows, col], places[rows, col])
    pick = choose(np.column_stack([u_oh, u3]), noise)
    expected = np.where(
        pick == 0, OFFICE, np.where(pick == 1, HOME, places[np.arange(n), np.maximum(pick - 2, 0)])
    )
    np.testing.assert_array_equal(got, expected)
    # the same with the per-decider counts the work choice passes
    counts = np.bincount(rows, minlength=n)
    total = u3[rows, col] + noise[:, 2:][rows, col]
    np.testing.assert_array_equal(
        pick_sparse(u_oh, noise[:, :2], rows, total, places[rows, col], counts), expected
    )


@given(st.data())
def test_own_pairs_are_the_pairs_at_their_deciders_target(data: st.DataObject) -> None:
    """own_pairs() reads only the deciders with a target, and finds what the per-pair comparison finds."""
    counts = np.array(data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=12)), dtype=np.int64)
    n_pairs = int(counts.sum())
    place = np.array(
        data.draw(st.lists(st.integers(0, 6), min_size=n_pairs, max_size=n_pairs)), dtype=np.int64
    )
    target = np.array(
        data.draw(st.lists(st.integers(-1, 6), min_size=counts.size, max_size=counts.size)), dtype=np.int64
    )
    expected = np.flatnonzero(np.repeat(target, counts) == place)
    np.testing.assert_array_equal(own_pairs(target, counts, place), expected)
