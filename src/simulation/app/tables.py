"""What the views show, as plain DataFrames and HTML: no Solara here, so tests check them without a browser.

Numbers are formatted by the functions the command line and the report use (:mod:`simulation.observe.console` for a
run's KPIs, :mod:`simulation.viz.report_md` for an experiment's comparison), so the page shows what ``lieux`` prints.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.errors import UserError
from simulation.core.timetable import DAYS, PARTS
from simulation.experiments.stats import is_significant
from simulation.observe import console as report
from simulation.observe.metrics import KPI_NAMES
from simulation.viz import report_md as reporting
from simulation.viz.figures import occupancy_grid
from simulation.viz.text import format_level, scenario_title

CLOSED = "closed"
TRAVEL_HEADING = "Where the change in travel comes from"


# --------------------------------------------------------------------------------------------------
# Run: the KPI table
# --------------------------------------------------------------------------------------------------
def run_identity(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The run's identity rows of the CLI's table (scenario, seed, weeks, agents, runtime): ``item, value``."""
    rows = [
        (label, report.format_value(summary[key], "s" if key == "runtime_s" else ""))
        for key, label in report.HEADER_KEYS
        if key in summary
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def kpi_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The KPI rows of the table ``lieux`` prints: ``kpi, value, unit``, values formatted as the CLI does.

    Every KPI of :data:`~simulation.metrics.KPI_NAMES` in order (``n/a`` when absent or undefined), then the
    other numeric keys of the summary, as :func:`simulation.observe.console.kpi_table` lists them. Shares are in %.

    Args:
        summary: a run's summary (``RunResult.summary`` or ``summary.json``).
    """
    shown = {key for key, _ in report.HEADER_KEYS}
    names = list(KPI_NAMES) + [k for k in summary if k not in KPI_NAMES and k not in shown]
    rows = []
    for name in names:
        value = summary.get(name)
        if name not in KPI_NAMES and (isinstance(value, bool) or not isinstance(value, int | float)):
            continue
        unit = report.kpi_unit(name)
        rows.append((name, report.format_value(value, unit), unit))
    return pd.DataFrame(rows, columns=["kpi", "value", "unit"])


def html_table(frame: pd.DataFrame, table_id: str, numeric: Iterable[str] = ()) -> str:
    """An HTML table of a frame's text, every cell tagged with its column (``data-col``) for tests and styling.

    Args:
        frame: the rows to show (cells are converted with ``str``; NaN shows as an empty cell).
        table_id: the ``id`` of the table element.
        numeric: columns aligned right.
    """
    right = set(numeric)
    esc = html.escape

    def cell(tag: str, col: str, text: str) -> str:
        style = ' style="text-align:right"' if col in right else ""
        return f'<{tag} data-col="{esc(col)}"{style}>{esc(text)}</{tag}>'

    head = "".join(cell("th", str(c), str(c)) for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = [
            cell("td", str(c), "" if (isinstance(v, float) and math.isnan(v)) else str(v))
            for c, v in zip(frame.columns, row, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table id="{esc(table_id)}" class="lieux-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


TABLE_CSS = """
.lieux-table { border-collapse: collapse; font-size: 14px; margin: 4px 0 12px 0; }
.lieux-table th, .lieux-table td { border-bottom: 1px solid #ddd; padding: 3px 10px; }
.lieux-table th { text-align: left; background: #f5f5f5; }
.lieux-week td { text-align: center; min-width: 9em; }
"""


# --------------------------------------------------------------------------------------------------
# Compare: an experiment's comparison
# --------------------------------------------------------------------------------------------------
def comparison_frame(folder: Path | str, kpi: str | None = None) -> pd.DataFrame:
    """The comparison of an experiment folder as the report words it: one row per scenario and KPI.

    Reads the folder with :func:`simulation.viz.report_md.load_results` (what ``lieux-report`` reads; the
    comparison is recomputed from ``runs.csv`` when ``comparison.csv`` is absent).

    Args:
        folder: a results folder of ``lieux experiment=<name>``.
        kpi: keep this KPI only (None: all).

    Returns:
        Columns ``scenario, kpi, unit, n, baseline, difference, 95 % CI, significant``; differences and
        intervals in the KPI's unit (points for shares), with as many decimals as the interval warrants.

    Raises:
        UserError: the folder is not a results folder, or holds nothing to compare.
    """
    results = reporting.load_results(folder)
    comp = results.comparison
    if comp is None or comp.empty:
        raise UserError(f"{folder}: no comparison (comparison.csv, or runs with a baseline)")
    if kpi:
        comp = comp[comp["kpi"] == kpi]
    rows = []
    for row in comp.to_dict("records"):
        name = str(row["kpi"])
        dec = reporting._row_decimals(row)
        diff = float(row["diff_mean"])
        low, high = float(row["ci_low"]), float(row["ci_high"])
        diff_text = reporting._ci_number(name, diff, dec)
        if np.isfinite(diff) and diff > 0:
            diff_text = "+" + diff_text
        ci = (
            f"[{reporting._ci_number(name, low, dec)}, {reporting._ci_number(name, high, dec)}]"
            if np.isfinite(low) and np.isfinite(high)
            else "n/a"
        )
        sig = is_significant(row)
        base = row.get("baseline_mean")
        n = row.get("n")
        rows.append(
            {
                "scenario": str(row["scenario"]),
                "kpi": name,
                "unit": "points" if report.kpi_unit(name) == "%" else report.kpi_unit(name),
                "n": "" if n is None or not np.isfinite(n) else str(int(n)),
                "baseline": format_level(name, float(base)) if base is not None else "n/a",
                "difference": diff_text,
                "95 % CI": ci,
                "significant": {True: "yes", False: "no", None: "n/a"}[sig],
            }
        )
    return pd.DataFrame(
        rows, columns=["scenario", "kpi", "unit", "n", "baseline", "difference", "95 % CI", "significant"]
    )


def comparison_kpis(folder: Path | str) -> list[str]:
    """The KPIs compared in an experiment folder, in the order of :data:`KPI_NAMES` (others after)."""
    comp = reporting.load_results(folder).comparison
    if comp is None:
        return []
    present = list(dict.fromkeys(comp["kpi"].astype(str)))
    return [k for k in KPI_NAMES if k in present] + [k for k in present if k not in KPI_NAMES]


def travel_reading_html(folder: Path | str) -> str:
    """The report's reading of each strategy's change in travel, as HTML: one paragraph per strategy, the
    sentence of :func:`simulation.viz.report_md.travel_readings` (which kinds of trips carry the change, and why).

    Args:
        folder: a results folder of ``lieux experiment=<name>``.

    Returns:
        ``<div id="travel-reading">`` with a heading and a ``<p data-scenario=...>`` per strategy; empty when the
        runs hold no decomposition of travel (made before it existed) or nothing is compared.
    """
    results = reporting.load_results(folder)
    said = reporting.travel_readings(results)
    if not said:
        return ""
    esc = html.escape
    paragraphs = "".join(
        f'<p data-scenario="{esc(s)}"><b>{esc(scenario_title(s))}</b>: {esc(text)}</p>'
        for s, text in said.items()
    )
    heading = esc(reporting.travel_heading(results, TRAVEL_HEADING))
    return f'<div id="travel-reading"><h4>{heading}</h4>{paragraphs}</div>'


# --------------------------------------------------------------------------------------------------
# Place: one place of a run
# --------------------------------------------------------------------------------------------------
def place_options(places: pd.DataFrame) -> dict[str, str]:
    """Label shown -> place_id for every place of a run's places table, busiest first.

    Args:
        places: ``RunResult.tables["places"]``.
    """
    order = places.sort_values(["users", "place_id"], ascending=[False, True], kind="stable")
    out: dict[str, str] = {}
    for pid, name, origin in zip(order["place_id"], order["name"], order["origin"], strict=True):
        label = f"{pid} - {name} ({origin})" if str(name) and str(name) != str(pid) else f"{pid} ({origin})"
        out[label] = str(pid)
    return out


def place_row(places: pd.DataFrame, place_id: str) -> pd.DataFrame:
    """One place's row of the places table, transposed: ``column, value`` (numbers as the CLI formats them).

    Raises:
        KeyError: no such place.
    """
    hit = places[places["place_id"].astype(str) == str(place_id)]
    if hit.empty:
        raise KeyError(place_id)
    row = hit.iloc[0]
    rows = []
    for col in places.columns:
        value = row[col]
        if col == "occupancy_rate" or col == "cost_recovery":
            text = "n/a" if pd.isna(value) else f"{100.0 * float(value):.1f} %"
        elif isinstance(value, float | np.floating) and pd.isna(value):
            text = ""
        else:
            text = report.format_value(value)
        rows.append((col, text))
    return pd.DataFrame(rows, columns=["column", "value"])


def week_grid(slots: pd.DataFrame, place_id: str) -> pd.DataFrame:
    """A place's week as a 7 x 3 grid (days x AM, PM, EV): occupancy over the counted weeks and what runs there.

    A cell reads ``"62 % work, mediation"`` (users / capacity summed over the counted weeks and the activities
    open in that slot, then the activities), or ``closed`` when no activity of the place opened in that slot.

    Args:
        slots: ``RunResult.tables["slots"]`` (or ``slots.parquet``).
        place_id: the place.
    """
    mine = slots[slots["place_id"].astype(str) == str(place_id)]
    grid = pd.DataFrame(CLOSED, index=list(DAYS), columns=list(PARTS))
    grid.index.name = "day"
    if mine.empty:
        return grid
    occ = occupancy_grid(mine)
    ratios = occ.iloc[0].to_numpy(float) if len(occ) else np.full(21, np.nan)
    acts = mine.groupby([mine["day"].astype(str), mine["slot"].astype(str)], observed=True)["activity"]
    activities = {key: sorted(set(map(str, v))) for key, v in acts}
    for d, day in enumerate(DAYS):
        for p, part in enumerate(PARTS):
            names = activities.get((day, part))
            if not names:
                continue
            r = ratios[3 * d + p]
            share = "n/a" if not np.isfinite(r) else f"{100.0 * r:.0f} %"
            grid.loc[day, part] = f"{share} {', '.join(names)}"
    return grid
