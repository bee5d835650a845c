"""Threads for the largest daily choices (simulation.core.parallel): spans cover the deciders once, in order, and
a run's results do not depend on the number of threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import synthetic_cfg

from simulation.core import parallel
from simulation.core.randomness import uniform, uniform_pairs
from simulation.model import run


@given(n=st.integers(0, 10_000), threads=st.integers(1, 8), min_rows=st.integers(1, 5_000))
def test_spans_cut_the_rows_once_in_order_into_near_equal_parts(n: int, threads: int, min_rows: int) -> None:
    parts = parallel.spans(n, threads, min_rows)
    assert 1 <= len(parts) <= threads
    assert parts[0].start == 0 and parts[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))
    sizes = [p.stop - p.start for p in parts]
    assert max(sizes) - min(sizes) <= 1
    if len(parts) > 1:
        assert min(sizes) >= min_rows


def test_map_spans_keeps_order_and_raises_a_spans_error() -> None:
    out = parallel.map_spans(lambda sl: np.arange(sl.start, sl.stop), 10, threads=3, min_rows=2)
    assert len(out) == 3
    np.testing.assert_array_equal(np.concatenate(out), np.arange(10))

    def fail(sl: slice) -> None:
        if sl.start > 0:
            raise ValueError("second span")

    with pytest.raises(ValueError, match="second span"):
        parallel.map_spans(fail, 10, threads=2, min_rows=1)


def test_resolve_threads() -> None:
    assert parallel.resolve_threads(3) == 3
    assert 1 <= parallel.resolve_threads(None) <= 4


def test_a_run_is_the_same_with_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The work choice and service planning cut into 3 spans (every decider set is split here) give the run of
    one thread, to the last digit: each decider's choice reads its own rows and draws keyed on its id."""
    calls: list[int] = []
    real = parallel.spans

    def spying(n: int, threads: int, min_rows: int | None = None) -> list[slice]:
        parts = real(n, threads, 1)
        calls.append(len(parts))
        return parts

    one = run(synthetic_cfg(**{"run.threads": 1}))
    monkeypatch.setattr(parallel, "spans", spying)
    three = run(synthetic_cfg(**{"run.threads": 3}))
    assert max(calls) == 3  # the spans were used
    drop = {"runtime_s"}
    assert {k: v for k, v in one.summary.items() if k not in drop} == {
        k: v for k, v in three.summary.items() if k not in drop
    }
    for name, table in one.tables.items():
        if isinstance(table, pd.DataFrame):
            pd.testing.assert_frame_equal(
                table.drop(columns=["runtime_s"], errors="ignore"),
                three.tables[name].drop(columns=["runtime_s"], errors="ignore"),
            )


@given(
    agents=st.lists(st.integers(0, 2**40), min_size=1, max_size=20),
    data=st.data(),
    time=st.integers(0, 10_000),
)
def test_uniform_pairs_are_the_dense_draws(agents: list[int], data: st.DataObject, time: int) -> None:
    """The work choice's per-pair draws (agent hash once per agent) equal uniform() on the pairs, bit for bit."""
    ids = np.array(agents, dtype=np.int64)
    rows = np.array(data.draw(st.lists(st.integers(0, len(agents) - 1), max_size=40)), dtype=np.int64)
    alts = np.array(
        data.draw(st.lists(st.integers(0, 2**64 - 1), min_size=rows.size, max_size=rows.size)),
        dtype=np.uint64,
    )
    key = np.uint64(data.draw(st.integers(0, 2**64 - 1)))
    dense = uniform(key, time, ids[rows], alts[:, None])[:, 0] if rows.size else np.zeros(0)
    np.testing.assert_array_equal(uniform_pairs(key, time, ids, rows, alts), dense)
    rows.sort()  # ascending rows may pass their counts instead
    dense = uniform(key, time, ids[rows], alts[:, None])[:, 0] if rows.size else np.zeros(0)
    counts = np.bincount(rows, minlength=ids.size)
    np.testing.assert_array_equal(uniform_pairs(key, time, ids, rows, alts, counts), dense)


@pytest.mark.parametrize("full_search_places", [2000, 0], ids=["every_place", "reach_lists"])
def test_planning_in_blocks_of_one_group_gives_the_same_run(
    monkeypatch: pytest.MonkeyPatch, full_search_places: int
) -> None:
    """The planning searches groups in cache-sized blocks (services.PLAN_BLOCK_CELLS); a block of one group each
    gives the run of the default blocks, on the full search and on the reach lists, to the last digit."""
    from simulation.sim import services

    cfg = synthetic_cfg(**{"run.threads": 1, "behaviour.service.full_search_places": full_search_places})
    blocks = run(cfg)
    monkeypatch.setattr(services, "PLAN_BLOCK_CELLS", 1)
    ones = run(cfg)
    drop = {"runtime_s"}
    assert {k: v for k, v in blocks.summary.items() if k not in drop} == {
        k: v for k, v in ones.summary.items() if k not in drop
    }
    pd.testing.assert_frame_equal(blocks.tables["places"], ones.tables["places"])
