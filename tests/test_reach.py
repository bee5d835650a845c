"""The reach path of service planning (docs/ODD.md 7.2): on large territories the consideration set is sought
among the reach_set nearest points of contact from home (and from the work zone on a day away)."""

from __future__ import annotations

import math

import numpy as np
from tests.conftest import synthetic_cfg

from simulation.model import run
from simulation.sim.services import PlanTables, reach_columns


def _tables(to_place: np.ndarray) -> PlanTables:
    return PlanTables(version=0, to_place=to_place, zone_to_place=to_place, place_to_zone=to_place)


def test_nearest_lists_the_n_nearest_in_order_with_ties_by_column() -> None:
    to_place = np.array([[5.0, 1.0, 3.0, 1.0, 9.0], [0.0, 4.0, 4.0, 2.0, 1.0]])
    near = _tables(to_place).nearest(3)
    np.testing.assert_array_equal(near, [[1, 3, 2], [0, 4, 3]])
    np.testing.assert_array_equal(_tables(to_place).nearest(10), np.argsort(to_place, axis=1, kind="stable"))


def test_reach_columns_unites_home_and_work_lists_once() -> None:
    to_place = np.array([[0.0, 1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0, 0.0]])
    tab = _tables(to_place)
    home_only = reach_columns(tab, np.array([0, 1]), np.array([-1, -1]), 2)
    np.testing.assert_array_equal(home_only, [[0, 1], [4, 3]])
    both = reach_columns(tab, np.array([0, 0]), np.array([1, -1]), 3)
    assert both.shape == (2, 6)
    for row, expected in zip(both, [{0, 1, 2, 3, 4}, {0, 1, 2}], strict=True):
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
        synthetic_cfg({**base, "behaviour": {"service": {"full_search_places": 0, "reach_set": 32}}})
    ).summary
    n = full["needs_human"] * 0.25  # simulated needs behind the rates
    p = full["unmet_need_rate"]
    se = math.sqrt(2 * p * (1 - p) / n)
    assert abs(reach["unmet_need_rate"] - p) < 3 * se
    q = full["contacts"] / full["needs_human"]
    assert abs(reach["contacts"] / reach["needs_human"] - q) < 3 * math.sqrt(2 * q * (1 - q) / n)
    assert reach["needs_human"] == full["needs_human"]  # the needs stream does not depend on the search
