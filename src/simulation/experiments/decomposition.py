"""Where a strategy's kilometres come from: its change in person-km by kind of trip, with the days or trips.

A change of ``person_km_total`` alone does not say whether a strategy replaced office days, days at home or
errands, or added activity (docs/ODD.md 7.2b, README "What the strategies do"). The runs already hold the
person-km and the count of each kind (:data:`simulation.observe.metrics.TRAVEL_DECOMPOSITION`): this module
compares them with the baseline the way the comparison table does (:func:`simulation.experiments.stats.
compare_runs`: paired by seed or Welch), and lays the result out as one row per scenario (and grid point) and
kind. The kinds' person-km add up to ``person_km_total``; home days and maker sessions carry no trip of their own
(the errands of a home day are the ``errands`` row, a session's trips the ``workshop`` row).

The report's table, ``decomposition.csv`` and the one-line reading of each strategy
(:func:`simulation.viz.reading.travel_sentence`) all read this table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from simulation.experiments.stats import CONFIDENCE, compare_runs, grid_columns


class Kind(NamedTuple):
    """One kind of travel: its person-km column (None for home days) and its count column with the unit."""

    name: str
    km: str | None
    count: str | None
    unit: str


KINDS: tuple[Kind, ...] = (
    Kind("office", "person_km_office", "office_days", "days"),
    Kind("third_place", "person_km_third_place", "third_place_days", "days"),
    Kind("home", None, "home_days", "days"),
    Kind("errands", "person_km_errands", "errand_trips", "trips"),
    Kind("service", "person_km_service", "service_trips", "trips"),
    Kind("workshop", "person_km_workshop", "workshop_trips", "trips"),
    Kind("sessions", None, "maker_sessions", "sessions"),
    Kind("total", "person_km_total", None, ""),
)
"""The kinds, in the order a reader follows a worker's week: the days of work, then the other trips. Maker
sessions, like home days, carry no trip of their own: they say whether the workshop trips changed because makers
hold more sessions (more activity) or travel further for the same ones."""

FIELDS = ("diff", "ci_low", "ci_high", "baseline")
COLUMNS: tuple[str, ...] = (
    "kind",
    *(f"person_km_{f}" for f in FIELDS),
    *(f"count_{f}" for f in FIELDS),
    "count_unit",
    "n",
)


def columns_needed() -> list[str]:
    """The runs.csv columns the decomposition reads."""
    return [c for k in KINDS for c in (k.km, k.count) if c is not None]


def decomposition_table(
    runs: pd.DataFrame,
    baseline: str,
    pairing: str = "paired",
    scenarios: Sequence[str] = (),
    grid: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Each scenario's change against the baseline, by kind of travel: person-km and days or trips.

    Args:
        runs: ``runs.csv`` (one row per run, with ``scenario``, ``seed`` and the columns of :data:`KINDS`).
        baseline: the reference scenario.
        pairing: ``paired`` or ``independent`` (as the comparison).
        scenarios: the order of the scenarios.
        grid: the swept keys (each grid point against the baseline at the same point).
        confidence: level of the intervals.

    Returns:
        One row per scenario (and grid point) and kind: ``scenario``, the grid's columns, then :data:`COLUMNS`
        (``person_km_*`` NaN for home days and maker sessions, ``count_*`` NaN for the total); empty when the
        runs lack the columns (runs made before the decomposition existed).
    """
    keys = grid_columns(runs, grid)
    if any(c not in runs.columns for c in columns_needed()) or runs.empty:
        return pd.DataFrame(columns=["scenario", *keys, *COLUMNS])
    cmp = compare_runs(runs, baseline, columns_needed(), pairing, scenarios, confidence, grid)
    if cmp.empty:
        return pd.DataFrame(columns=["scenario", *keys, *COLUMNS])
    index = ["scenario", *keys]
    rows = []
    for group, frame in cmp.groupby(index, sort=False, dropna=False):
        by_kpi = frame.set_index("kpi")
        head = dict(zip(index, group if isinstance(group, tuple) else (group,), strict=True))
        for kind in KINDS:
            row: dict[str, object] = {**head, "kind": kind.name, "count_unit": kind.unit}
            for prefix, column in (("person_km", kind.km), ("count", kind.count)):
                found = column is not None and column in by_kpi.index
                src = by_kpi.loc[column] if found else None
                row[f"{prefix}_diff"] = float(src["diff_mean"]) if src is not None else np.nan
                row[f"{prefix}_ci_low"] = float(src["ci_low"]) if src is not None else np.nan
                row[f"{prefix}_ci_high"] = float(src["ci_high"]) if src is not None else np.nan
                row[f"{prefix}_baseline"] = float(src["baseline_mean"]) if src is not None else np.nan
                if src is not None:
                    row["n"] = int(src["n"])
            rows.append(row)
    return pd.DataFrame(rows, columns=[*index, *COLUMNS])


def scenario_kinds(table: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """One scenario's rows of :func:`decomposition_table`, one per kind; on a grid, the mean over its points.

    The mean of the points' differences (and of the baseline's levels) is what a sentence about the whole sweep
    can say; an average of intervals is not an interval, so the bounds are dropped (NaN) when there are several
    points.

    Args:
        table: :func:`decomposition_table`.
        scenario: the scenario (its plain name).

    Returns:
        :data:`COLUMNS`, one row per kind in the order of :data:`KINDS`; empty when the scenario has no rows.
    """
    mine = table[table["scenario"] == scenario]
    if mine.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    if len(mine) == len(mine["kind"].unique()):  # one grid point (or no grid)
        return mine[list(COLUMNS)].reset_index(drop=True)
    values = [f"{p}_{f}" for p in ("person_km", "count") for f in ("diff", "baseline")]
    out = mine.groupby("kind", sort=False).agg(
        {**dict.fromkeys(values, "mean"), "count_unit": "first", "n": "sum"}
    )
    for bound in (f"{p}_{f}" for p in ("person_km", "count") for f in ("ci_low", "ci_high")):
        out[bound] = np.nan
    return out.reset_index()[list(COLUMNS)]
