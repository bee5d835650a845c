"""Aggregation of an experiment's results folder: runs.csv, comparison.csv or screening.csv, the job counts.

:func:`aggregate` runs in the driver process after the sweep (the Hydra callback of
:mod:`simulation.experiments.sweep`), or again on a resumed folder. It reads every finished run under ``runs/``
(:func:`simulation.experiments.folders.collect_runs`; unfinished ones are ignored and counted), writes
``runs.csv``, then ``comparison.csv`` (method compare, :mod:`simulation.experiments.stats`) or
``screening.csv`` (method morris, :mod:`simulation.experiments.screening`), records the job counts (and, when
paired, the variance reduction) in ``experiment.yaml``, builds the report
(:func:`simulation.viz.report_md.build_report`) and prints the comparison table and the status line.
The file formats are those of docs/INTERFACES.md ("Experiments").
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import ExperimentConfig, SimConfig
from simulation.core.errors import UserError
from simulation.experiments import screening
from simulation.experiments.decomposition import decomposition_table
from simulation.experiments.folders import (
    COMPARISON_CSV,
    DECOMPOSITION_CSV,
    RESPONSE_CSV,
    RUNS,
    RUNS_CSV,
    SCREENING_CSV,
    collect_runs,
    expected_jobs,
    finished_job_names,
    read_summary,
    update_experiment_file,
    write_csv,
)
from simulation.experiments.stats import (
    COMPARISON_COLUMNS,
    compare,
    label,
    response_table,
    variance_reduction,
)
from simulation.observe.metrics import KPI_NAMES, MAIN_KPIS

SCREENING_TOP = 5  # parameters printed per KPI after a Morris screening
PRINTED_KPIS = 4  # KPI columns of the printed comparison table


@dataclass
class SweepStatus:
    """What :func:`aggregate` found and wrote."""

    folder: Path
    expected: int
    complete: int
    missing: list[str] = field(default_factory=list)
    runs: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    screening: pd.DataFrame | None = None
    response: pd.DataFrame | None = None
    report: Path | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """``n of m jobs complete, k missing``."""
        return f"{self.complete} of {self.expected} jobs complete, {len(self.missing)} missing"


# --------------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    """A signed, compact number for the terminal table (``+1.23M``, ``-45.6k``, ``+0.034``)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:+.2f}M"
    if a >= 1e4:
        return f"{x / 1e3:+.1f}k"
    if a >= 100:
        return f"{x:+.0f}"
    if a >= 1:
        return f"{x:+.2f}"
    return f"{x:+.3f}"


def main_kpis(exp: ExperimentConfig, limit: int = PRINTED_KPIS) -> list[str]:
    """The KPIs of the printed table: the first of :data:`~simulation.observe.metrics.MAIN_KPIS` the experiment
    compares, else its first KPIs.

    Args:
        exp: the experiment.
        limit: the number of KPI columns.
    """
    kpis = list(exp.kpis) or list(KPI_NAMES)
    chosen = [k for k in MAIN_KPIS if k in kpis][:limit]
    return chosen or kpis[:limit]


def comparison_table(
    comparison: pd.DataFrame,
    kpis: Sequence[str],
    baseline: str = "baseline",
    material: Mapping[str, float] | None = None,
) -> str:
    """Plain-text table: one row per scenario, per KPI the mean difference to the baseline, its share of the
    baseline's level and its interval, marked as the report marks them.

    A cell is the report's (:func:`simulation.viz.reading.material_cell`): ``**`` around a difference that is
    significant and material (at least its KPI's threshold of practical relevance, ``experiment.material``),
    ``n.s.`` after one whose interval includes 0. With ``person_km_total`` and ``network_cost_eur``, a last column
    gives the person-km saved per extra euro of network cost (``dominant`` when it saves km and costs less).

    Args:
        comparison: the table of comparison.csv.
        kpis: the KPI columns to show.
        baseline: the reference scenario (named under the table).
        material: ``experiment.material`` (None: the defaults).
    """
    from simulation.viz.reading import material_cell  # viz only to print (tests/test_package_layout.py)

    if comparison.empty:
        return "(no comparison: no scenario has runs next to the baseline)"
    keys = [c for c in comparison.columns if c not in COMPARISON_COLUMNS]  # the swept keys
    if keys:  # one row per scenario and grid point, named as in the report
        comparison = comparison.assign(
            scenario=[label(str(r["scenario"]), {k: r[k] for k in keys}) for _, r in comparison.iterrows()]
        )
    table = comparison.set_index(["scenario", "kpi"])
    scenarios = list(pd.unique(comparison["scenario"]))
    per_euro = {"person_km_total", "network_cost_eur"} <= set(comparison["kpi"])
    cells = [
        ["scenario", "n", *[f"{k} (diff [95% CI])" for k in kpis]] + (["km saved/EUR"] if per_euro else [])
    ]
    for s in scenarios:
        row = [s]
        n = int(table.loc[(s, kpis[0]), "n"]) if (s, kpis[0]) in table.index else 0
        row.append(str(n))
        for k in kpis:
            found = (s, k) in table.index
            row.append(
                material_cell({**table.loc[(s, k)].to_dict(), "kpi": k} if found else None, k, material)
            )
        if per_euro:
            km = float(table.loc[(s, "person_km_total"), "diff_mean"])
            eur = float(table.loc[(s, "network_cost_eur"), "diff_mean"])
            if km < 0 and eur <= 0:
                row.append("dominant")
            elif km < 0 and eur > 0:
                row.append(f"{-km / eur:.2f}")
            else:
                row.append("none")
        cells.append(row)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"differences against {baseline} (share of its level) [95 % CI]; shares in points")
    lines.append(
        "**material**: significant and at least the KPI's threshold of practical relevance (experiment.material); "
        "n.s.: the interval includes 0"
    )
    return "\n".join(lines)


def response_text(response: pd.DataFrame, kpis: Sequence[str]) -> str:
    """Plain-text response of a sweep: per swept parameter and value, each scenario's mean KPI [95 % CI]."""
    part = response[response["kpi"].isin(kpis)]
    cells = [["parameter", "value", "scenario", *kpis]]
    for (param, value, scenario), rows in part.groupby(["parameter", "value", "scenario"], sort=False):
        by_kpi = rows.set_index("kpi")
        row = [str(param).rsplit(".", 1)[-1], str(value), str(scenario)]
        for k in kpis:
            if k not in by_kpi.index:
                row.append("")
                continue
            r = by_kpi.loc[k]
            row.append(f"{_level(r['mean'])} [{_level(r['ci_low'])}, {_level(r['ci_high'])}]")
        cells.append(row)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in cells
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("mean over the seeds (and the other swept parameters) [95 % CI]; all in response.csv")
    return "\n".join(lines)


def _level(x: float) -> str:
    return _fmt(x).lstrip("+") if x is not None and np.isfinite(x) and x >= 0 else _fmt(x)


def print_status(status: SweepStatus, exp: ExperimentConfig, out: Any = None) -> None:
    """Print what :func:`aggregate` found: the comparison table or the screening's top parameters, the
    messages, the job counts and where the results and the report are.

    Args:
        status: the aggregation's status.
        exp: the experiment.
        out: where to print (default: stdout).
    """
    out = out or sys.stdout
    print("", file=out)
    if status.comparison is not None:
        print(comparison_table(status.comparison, main_kpis(exp), exp.baseline, exp.material), file=out)
    elif status.response is not None and not status.response.empty:
        print(response_text(status.response, main_kpis(exp)), file=out)
    if status.screening is not None:
        ranked = status.screening.sort_values("mu_star", ascending=False, kind="stable")
        top = ranked.groupby("kpi", sort=False).head(SCREENING_TOP)
        top = top.set_index("kpi").loc[pd.unique(status.screening["kpi"])].reset_index()
        print(
            f"Morris screening: the {SCREENING_TOP} parameters of largest mu* per KPI (all in screening.csv)",
            file=out,
        )
        print(top.to_string(index=False, float_format=lambda v: f"{v:.4g}"), file=out)
    for message in status.messages:
        print(message, file=out)
    print(
        f"{status.line}" + (f" (resume: lieux resume={status.folder})" if status.missing else ""),
        file=out,
    )
    print(f"results: {status.folder}", file=out)
    if status.report is not None:
        print(f"report: {status.report}", file=out)
    out.flush()


# --------------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------------
def aggregate(folder: Path | str, cfg: SimConfig, report: bool = True, out: Any = None) -> SweepStatus:
    """Aggregate a results folder: runs.csv, comparison.csv or screening.csv, the job counts, the report.

    Only finished runs are read; the expected jobs without a finished run are counted as missing (printed,
    and written to ``experiment.yaml`` as ``status``). Hidden temporary folders left in ``runs/`` by killed
    jobs are removed.

    Args:
        folder: the results folder.
        cfg: the experiment's configuration (what was asked: scenarios, seeds, grid, method).
        report: build the report with :func:`simulation.viz.report_md.build_report`.
        out: where to print (default: stdout).

    Returns:
        The :class:`SweepStatus`.
    """
    folder = Path(folder)
    exp = cfg.experiment
    for tmp in (folder / RUNS).glob(".*.tmp") if (folder / RUNS).is_dir() else []:
        shutil.rmtree(tmp, ignore_errors=True)
    expected = expected_jobs(cfg)
    # a job is complete when its summary reads; a corrupt one counts as missing (its job says why)
    missing = [name for name in expected if read_summary(folder / RUNS / name) is None]
    runs = collect_runs(folder, exp, names=[n for n in expected if n not in missing])
    status = SweepStatus(
        folder=folder, expected=len(expected), complete=len(expected) - len(missing), missing=missing
    )
    others = sorted(set(finished_job_names(folder)) - set(expected))
    if others:  # e.g. jobs of a larger grid run earlier in this folder: never mixed in
        shown = ", ".join(others[:5]) + ("..." if len(others) > 5 else "")
        status.messages.append(
            f"{len(others)} finished runs in {RUNS}/ are not jobs of this experiment, not read: {shown}"
        )
    status.runs = runs
    write_csv(runs, folder / RUNS_CSV)
    updates: dict[str, Any] = {
        "status": {
            "jobs_expected": status.expected,
            "jobs_complete": status.complete,
            "jobs_missing": len(missing),
            "missing": missing,
            "runs_read": len(runs),
            "aggregated": datetime.now().isoformat(timespec="seconds"),
        }
    }
    if exp.method == "compare" and exp.grid:
        status.response = response_table(
            runs,
            list(exp.grid),
            list(exp.kpis) or list(KPI_NAMES),
            _baseline_of(exp),
            exp.pairing,
            list(exp.scenarios),
        )
        write_csv(status.response, folder / RESPONSE_CSV)
    if exp.method == "compare" and _baseline_of(exp) is None:
        status.messages.append(
            f"a sweep of {', '.join(exp.scenarios) or 'one scenario'} without the baseline: its response to the "
            f"swept parameters is in {RESPONSE_CSV} (no comparison)"
        )
    elif exp.method == "compare":
        status.comparison = compare(runs, exp)
        write_csv(status.comparison, folder / COMPARISON_CSV)
        decomposition = decomposition_table(
            runs, exp.baseline, exp.pairing, list(exp.scenarios), list(exp.grid)
        )
        if not decomposition.empty:
            write_csv(decomposition, folder / DECOMPOSITION_CSV)
        if exp.pairing == "paired" and not runs.empty:
            vr = variance_reduction(runs, baseline=exp.baseline)
            updates["variance_reduction"] = {
                "kpi": "person_km_total",
                "ratio_independent_over_paired": {r.scenario: r.ratio for r in vr.itertuples()},
            }
    else:
        status.screening = _screen(runs, exp, status)
        if status.screening is not None:
            write_csv(status.screening, folder / SCREENING_CSV)
    update_experiment_file(folder, updates)
    if report:
        status.report = _build_report(folder, status)
    print_status(status, exp, out)
    return status


def _baseline_of(exp: ExperimentConfig) -> str | None:
    """The baseline when the experiment compares scenarios with it; None for a sweep of one scenario."""
    scenarios = list(exp.scenarios)
    return exp.baseline if len(scenarios) >= 2 and exp.baseline in scenarios else None


def _screen(runs: pd.DataFrame, exp: ExperimentConfig, status: SweepStatus) -> pd.DataFrame | None:
    kpis = list(exp.kpis) or list(KPI_NAMES)
    try:
        return screening.analyze(runs, exp, kpis)
    except UserError as exc:
        status.messages.append(f"screening: {exc}")
        return None


def _build_report(folder: Path, status: SweepStatus) -> Path | None:
    # imported here: the report draws with matplotlib, which the jobs and the sweep set-up do not need
    from simulation.viz.report_md import build_report

    try:
        return Path(build_report(folder))
    except UserError as exc:
        status.messages.append(f"report: {exc}")
        return None
