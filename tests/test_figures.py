"""simulation.viz.figures: every figure is drawn from small in-memory tables, returned as a Figure, and nothing
touches the disk; the tables behind the figures are checked against hand computations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.viz.figures import (
    RunTables,
    heatmap_figure,
    map_figure,
    mutualisation_figure,
    occupancy_grid,
    place_profiles,
    provider_costs,
    screening_figure,
    travel_cost_figure,
)

ZONES = pd.DataFrame(
    {
        "zone_id": ["z1", "z2", "z3"],
        "name": ["A", "B", "C"],
        "x_km": [0.0, 4.0, 8.0],
        "y_km": [0.0, 3.0, 0.0],
        "population": [1200, 300, 50],
    }
)
PLACES = pd.DataFrame(
    {
        "place_id": ["p1", "p2", "p3"],
        "zone_id": ["z1", "z1", "z2"],
        "name": ["Post office, A", "Town hall, A", "Library, B"],
        "users": [30.0, 10.0, 0.0],
        "active": [True, True, False],
        "activities": [2, 1, 0],
        "desks": [10, 0, 0],
        "counters": [2, 1, 0],
        "workshop_seats": [0, 0, 0],
        "occupancy_rate": [0.5, 0.2, 0.0],
    }
)
# p1: work and mediation on Mon AM (2 weeks); p2: mediation on Tue PM
SLOTS = pd.DataFrame(
    {
        "place_id": ["p1", "p1", "p1", "p1", "p2"],
        "week": [0, 0, 1, 1, 0],
        "day": ["Mon", "Mon", "Mon", "Mon", "Tue"],
        "slot": ["AM", "AM", "AM", "AM", "PM"],
        "activity": ["work", "mediation", "work", "mediation", "mediation"],
        "capacity": [10, 4, 10, 4, 5],
        "users": [5, 2, 3, 4, 1],
        "rejected": [0, 0, 0, 0, 0],
    }
)
COMPARISON = pd.DataFrame(
    {
        "scenario": ["hubs"] * 3 + ["mesh"] * 3,
        "kpi": ["person_km_total", "co2_t", "network_cost_eur"] * 2,
        "n": [3] * 6,
        "diff_mean": [-5000.0, -1.0, 2000.0, 800.0, 0.1, -500.0],
        "ci_low": [-6000.0, -1.5, 1000.0, -400.0, -0.2, -900.0],
        "ci_high": [-4000.0, -0.5, 3000.0, 2000.0, 0.4, -100.0],
    }
)
PROVIDERS = pd.DataFrame({"provider_id": ["cpam", "dgfip"], "cost_eur": [1000.0, 300.0], "contacts": [50, 0]})
SCREENING = pd.DataFrame(
    {
        "parameter": ["behaviour.work.habit", "policy.price_day_eur"] * 2,
        "kpi": ["person_km_total"] * 2 + ["unmet_need_rate"] * 2,
        "mu_star": [500.0, 20.0, 0.01, 0.002],
        "mu_star_conf": [50.0, 5.0, 0.001, 0.001],
        "sigma": [300.0, 10.0, 0.02, 0.001],
        "mu": [-500.0, 5.0, 0.01, 0.0],
    }
)
RUNS = [
    RunTables("baseline (seed 0)", ZONES, PLACES, SLOTS),
    RunTables("hubs (seed 0)", ZONES, PLACES, SLOTS),
]


def visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


@pytest.fixture
def no_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder with saving forbidden: a figure function that writes a file fails."""

    def refuse(*args, **kwargs):
        raise AssertionError("a figure function saved a file")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Figure, "savefig", refuse)
    return tmp_path


def test_every_figure_function_returns_a_figure_without_touching_the_disk(no_disk: Path) -> None:
    from matplotlib import pyplot

    open_before = pyplot.get_fignums()
    costs = provider_costs([("baseline", PROVIDERS), ("hubs", PROVIDERS)])
    drawn = {
        "map": map_figure(RUNS, "Tiny"),
        "heatmap": heatmap_figure(RUNS),
        "travel_cost": travel_cost_figure(COMPARISON, ["hubs", "mesh"], "baseline", weeks=4),
        "mutualisation": mutualisation_figure(costs, ["baseline", "hubs"], "baseline"),
        "screening": screening_figure(SCREENING),
    }
    for name, fig in drawn.items():
        assert isinstance(fig, Figure), name
        fig.canvas.draw()  # renders in memory (Agg) without error
    assert not list(no_disk.iterdir())
    # Figure() objects, not pyplot's global figures (thread-safe, never left open by a dashboard)
    assert pyplot.get_fignums() == open_before
    # one panel per run, per KPI, per KPI of the screening
    assert [ax.get_title() for ax in visible_axes(drawn["map"])] == [
        "baseline (seed 0): 2 active places",
        "hubs (seed 0): 2 active places",
    ]
    assert len(visible_axes(drawn["heatmap"])) == 2
    # places by name, not by id, on the heatmap rows and on the map
    rows = {t.get_text() for t in visible_axes(drawn["heatmap"])[0].get_yticklabels()}
    assert rows == {"Post office, A", "Town hall, A"}
    named = {t.get_text() for t in visible_axes(drawn["map"])[0].texts}
    assert named == {"Post office, A"}  # the busiest active place of each zone with users (p1, p2 share z1)
    assert len(visible_axes(drawn["travel_cost"])) == 3
    assert len(visible_axes(drawn["screening"])) == 2
    assert "Tiny" in drawn["map"].get_suptitle() and "4 counted weeks" in drawn["travel_cost"].get_suptitle()


def test_figure_functions_return_none_when_there_is_nothing_to_draw(no_disk: Path) -> None:
    assert map_figure([RunTables("empty")]) is None
    assert heatmap_figure([RunTables("no slots", ZONES, PLACES, None)]) is None
    assert travel_cost_figure(COMPARISON.assign(kpi="contacts")) is None
    assert mutualisation_figure(provider_costs([("baseline", None)])) is None
    assert screening_figure(SCREENING.iloc[0:0]) is None


def test_travel_cost_bars_are_the_changes_in_thousands(no_disk: Path) -> None:
    fig = travel_cost_figure(COMPARISON, ["hubs", "mesh"])
    km, co2, cost = visible_axes(fig)
    # the difference itself (more travel to the right, less to the left); person-km and EUR in thousands
    assert [bar.get_width() for bar in km.patches] == pytest.approx([-5.0, 0.8])
    assert [bar.get_width() for bar in co2.patches] == pytest.approx([-1.0, 0.1])
    assert "less travel" in km.get_xlabel() and "more travel" in km.get_xlabel()
    assert [bar.get_width() for bar in cost.patches] == pytest.approx([2.0, -0.5])
    # filled when the interval excludes 0: hubs (all three), mesh (only the network cost)
    filled = [[bar.get_facecolor()[:3] != (1.0, 1.0, 1.0) for bar in ax.patches] for ax in (km, co2, cost)]
    assert filled == [[True, False], [True, False], [True, True]]


def test_occupancy_grid_by_hand() -> None:
    grid = occupancy_grid(SLOTS)
    assert list(grid.columns) == list(range(21))
    # p1 Mon AM (slot 0): users (5 + 2 + 3 + 4) / capacity (10 + 4 + 10 + 4) = 14 / 28
    assert grid.loc["p1", 0] == pytest.approx(0.5)
    # p2 Tue PM (slot 1 * 3 + 1 = 4): 1 / 5
    assert grid.loc["p2", 4] == pytest.approx(0.2)
    assert grid.loc["p1"].notna().sum() == 1 and math.isnan(grid.loc["p2", 0])


def test_place_profiles_from_slots_and_capacities() -> None:
    assert list(place_profiles(PLACES, SLOTS)) == ["multifunctional", "mediation", "inert"]
    # without slots the capacities decide: p1 has desks and counters, p2 counters only
    assert list(place_profiles(PLACES, None)) == ["multifunctional", "mediation", "inert"]


def test_provider_costs_by_hand() -> None:
    other = PROVIDERS.assign(cost_eur=[2000.0, 300.0])
    costs = provider_costs([("baseline", PROVIDERS), ("baseline", other)]).set_index("provider")
    # cpam: 1000 / 50 = 20 and 2000 / 50 = 40 -> mean 30, sd sqrt(200); dgfip: no contact, no cost per contact
    assert costs.loc["cpam", "mean"] == pytest.approx(30.0) and costs.loc["cpam", "n"] == 2
    assert costs.loc["cpam", "sd"] == pytest.approx(math.sqrt(200.0))
    assert np.isnan(costs.loc["dgfip", "mean"])
    # all providers: (1000 + 300) / 50 = 26 and (2000 + 300) / 50 = 46 -> mean 36
    assert costs.loc["all providers", "mean"] == pytest.approx(36.0)
