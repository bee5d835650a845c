"""The reach path of service planning (docs/ODD.md 7.2): on large territories the consideration set is sought
among the reach_set nearest points of contact from home (and from the work zone on a day away)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import synthetic_cfg

from simulation.core.choice import nearest_columns
from simulation.model import run
from simulation.sim.services import PlanTables, reach_columns


def _tables(to_place: np.ndarray, cover_any: np.ndarray) -> PlanTables:
    return PlanTables(
        version=0, to_place=to_place, zone_to_place=to_place, place_to_zone=to_place, cover_any=cover_any
    )


def test_nearest_columns_in_order_with_ties_by_index() -> None:
    minutes = np.array([[5.0, 1.0, 3.0, 1.0, 9.0], [0.0, 4.0, 4.0, 2.0, 1.0]])
    np.testing.assert_array_equal(nearest_columns(minutes, 3), [[1, 3, 2], [0, 4, 3]])
    np.testing.assert_array_equal(nearest_columns(minutes, 10), np.argsort(minutes, axis=1, kind="stable"))


def test_nearest_lists_are_per_category() -> None:
    to_place = np.array([[0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0]])
    cover_any = np.array([0b01, 0b10, 0b11, 0b01])  # category 0 at columns 0, 2, 3; category 1 at 1, 2
    near = _tables(to_place, cover_any).nearest(2)
    np.testing.assert_array_equal(near[0], [[0, 2], [3, 2]])
    np.testing.assert_array_equal(near[1], [[1, 2], [2, 1]])
    np.testing.assert_array_equal(_tables(to_place, cover_any).nearest(3)[1], [[1, 2, -1], [2, 1, -1]])


def test_reach_columns_unite_pending_categories_home_and_work_once() -> None:
    to_place = np.array([[0.0, 1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0, 0.0]])
    cover_any = np.array([1, 1, 2, 1, 2])  # category 0: columns 0, 1, 3; category 1: columns 2, 4
    tab = _tables(to_place, cover_any)
    home_only = reach_columns(tab, np.array([0b01, 0b10]), np.array([0, 1]), np.array([-1, -1]), 2)
    assert [set(r[r >= 0].tolist()) for r in home_only] == [{0, 1}, {4, 2}]
    both = reach_columns(tab, np.array([0b11, 0b01]), np.array([0, 0]), np.array([1, -1]), 2)
    for row, expected in zip(both, [{0, 1, 2, 3, 4}, {0, 1}], strict=True):
        kept = row[row >= 0]
        assert len(set(kept.tolist())) == kept.size  # no place twice
        assert set(kept.tolist()) == expected


def test_reach_path_agrees_with_the_full_search_within_sampling_error() -> None:
    """The same run searched both ways (common random numbers): the unmet-need rate and the contacts agree
    within three binomial standard errors of the difference of two independent rates (a loose bound: the runs
    share their needs, so their difference is much smaller)."""
    base = {"weeks": 8, "population": {"sample_rate": 0.25}}
    full = run(synthetic_cfg(base)).summary
    reach = run(
        synthetic_cfg({**base, "behaviour": {"service": {"full_search_places": 0, "reach_set": 16}}})
    ).summary
    n = full["needs_human"] * 0.25  # simulated needs behind the rates
    p = full["unmet_need_rate"]
    se = math.sqrt(2 * p * (1 - p) / n)
    assert abs(reach["unmet_need_rate"] - p) < 3 * se
    q = full["contacts"] / full["needs_human"]
    assert abs(reach["contacts"] / reach["needs_human"] - q) < 3 * math.sqrt(2 * q * (1 - q) / n)
    assert reach["needs_human"] == full["needs_human"]  # the needs stream does not depend on the search


def test_makers_reach_path_is_the_full_choice_when_it_lists_every_workshop() -> None:
    """A logit over the same workshops with noise keyed on each workshop's id: listing them nearest first changes
    nothing; a list shorter than the workshops leaves out the far ones, so sessions travel fewer km."""
    base = {"weeks": 6, "population": {"sample_rate": 0.25}}
    full = run(synthetic_cfg(base)).summary
    every = run(
        synthetic_cfg({**base, "behaviour": {"maker": {"full_search_places": 0, "reach_set": 64}}})
    ).summary
    short = run(
        synthetic_cfg({**base, "behaviour": {"maker": {"full_search_places": 0, "reach_set": 2}}})
    ).summary
    for kpi in ("maker_sessions", "person_km_workshop", "occupancy_rate_workshop", "unmet_need_rate"):
        assert every[kpi] == full[kpi], kpi
    assert short["person_km_workshop"] < full["person_km_workshop"]
    assert short["unmet_need_rate"] == full["unmet_need_rate"]  # residents' visits do not depend on it


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 4),
    n_places=st.integers(1, 12),
    n=st.integers(1, 5),
    data=st.data(),
)
def test_reach_columns_are_each_rows_distinct_listed_places_ascending(n_rows, n_places, n, data) -> None:
    """Property: a group's columns are the distinct places of its lists (pending categories, from home and from
    work), ascending, then -1 pads, as wide as the fullest group (at least one column)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    to_place = rng.integers(0, 4, (2 * n_rows, n_places)).astype(float)  # ties on purpose
    cover_any = rng.integers(0, 8, n_places)
    tab = _tables(to_place, cover_any)
    g = data.draw(st.integers(1, 6))
    bits = rng.integers(0, 8, g)
    home = rng.integers(0, 2 * n_rows, g)
    work = np.where(rng.random(g) < 0.5, rng.integers(0, 2 * n_rows, g), -1)
    out = reach_columns(tab, bits, home, work, n)
    near = tab.nearest(n)
    expected = []
    for i in range(g):
        listed = set()
        for k in range(near.shape[0]):
            if (bits[i] >> k) & 1:
                listed |= set(near[k, home[i]].tolist())
                if work[i] >= 0:
                    listed |= set(near[k, work[i]].tolist())
        expected.append(sorted(listed - {-1}))
    assert out.shape == (g, max(1, max(len(e) for e in expected)))
    for row, e in zip(out, expected, strict=True):
        assert row.tolist() == e + [-1] * (out.shape[1] - len(e))


def test_plan_tables_are_c_contiguous() -> None:
    """The planning reads its tables by flat index (np.take), which copies a non-contiguous table whole at every
    call: once per block of groups (Île-de-France's 1 + 2 weeks took 90 s instead of 51 s)."""
    from simulation.sim.model import SharedPlacesModel
    from simulation.sim.services import plan_tables

    model = SharedPlacesModel(synthetic_cfg(weeks=1))
    model.step()
    tab = plan_tables(model.world, model.residents)
    for name in ("to_place", "zone_to_place", "place_to_zone"):
        assert getattr(tab, name).flags["C_CONTIGUOUS"], name
