"""The report of an experiment: it reads a results folder, draws the figures, saves them and writes ``report.md``.

A results folder (docs/INTERFACES.md, "Experiments") holds ``runs/<job dir>/`` (finished runs),
``experiment.yaml``, ``runs.csv``, ``comparison.csv`` and, for a Morris screening, ``screening.csv``.
:func:`build_report` reads those files (nothing else: no configuration, no rerun), draws the figures with
:mod:`simulation.viz.figures` and writes

- ``figures/map.png``, ``figures/occupancy_heatmap.png`` (one representative run per scenario),
  ``figures/travel_cost.png``, ``figures/mutualisation.png`` and, when ``screening.csv`` exists,
  ``figures/screening.png``;
- ``report.md``: the question, the setup, a summary table, the figures with captions and a plain-language
  reading of the differences that are significant (the 95 % CI excludes 0) and of those that are not.

When ``comparison.csv`` is absent it is recomputed from the runs with :mod:`simulation.experiments.stats` (the
same statistics as the experiment's). ``lieux-report <results folder>`` (:func:`main`) does the same from the
command line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from simulation.core.atomic import write_atomic, write_text_atomic
from simulation.core.config import DEFAULT_MATERIAL
from simulation.core.errors import InputFileError, UserError
from simulation.experiments.decomposition import decomposition_table, scenario_kinds
from simulation.experiments.folders import (
    COMPARISON_CSV,
    RESPONSE_CSV,
    RUNS,
    RUNS_CSV,
    SCREENING_CSV,
    collect_runs,
    read_experiment_file,
    unfinished_jobs,
)
from simulation.experiments.stats import (
    COMPARISON_COLUMNS,
    compare_runs,
    is_identical,
    is_significant,
    label,
    levels_by_point,
    point_text,
    response_table,
    variance_reduction,
)
from simulation.observe.console import kpi_unit
from simulation.observe.metrics import KPI_NAMES, MAIN_KPIS
from simulation.observe.outputs import CONFIG, NOTES, SUMMARY
from simulation.observe.plausibility import warning_lines
from simulation.viz.figures import (
    HEATMAP_MAX_PLACES,
    SWEEP_MAX_KPIS,
    RunTables,
    heatmap_figure,
    map_figure,
    mutualisation_figure,
    provider_costs,
    screening_figure,
    sweep_figure,
    travel_cost_figure,
)
from simulation.viz.reading import (
    MINUS,
    answer_paragraph,
    compact,
    difference_text,
    intervention_counts,
    interventions_text,
    level,
    main_kind,
    material_cell,
    material_threshold,
    percent,
    territory_text,
    travel_sentence,
    verdict,
)
from simulation.viz.text import (
    ci_decimals,
    fixed,
    format_amount,
    format_level,
    is_share,
    kpi_label,
    number,
    one_line,
    scenario_title,
)

PROG = "lieux-report"
EXIT_USAGE = 2
FIGURES_DIR = "figures"
REPORT_FILE = "report.md"
FIGURE_DPI = 110
SUMMARY_MAX_KPIS = 7  # columns of the summary table (the reading covers every KPI of the experiment)


# --------------------------------------------------------------------------------------------------------
# Reading a results folder
# --------------------------------------------------------------------------------------------------------


@dataclass
class Results:
    """What a results folder holds, read once.

    Attributes:
        folder: the results folder.
        experiment: the experiment section of ``experiment.yaml`` (flattened: the ``experiment`` mapping merged
            over the top-level keys), empty when the file is absent.
        runs: one row per complete run (``runs.csv``, or the ``summary.json`` of ``runs/*/`` when it is absent)
            with an added ``path`` column (the run folder, or None when it cannot be found).
        comparison: ``comparison.csv`` (or recomputed from the runs), None when there is nothing to compare.
        comparison_recomputed: True when ``comparison.csv`` was absent and was computed here from the runs.
        screening: ``screening.csv``, None when absent.
        incomplete: job folders of ``runs/`` without ``summary.json`` (unfinished or killed jobs).
        baseline: the reference scenario.
        scenarios: the scenarios, the baseline first; on a grid, each compared scenario at each grid point
            (``coworking_network [remote_days_per_week=1]``), as ``comparison`` names them.
        grid: the swept keys (columns of runs.csv and comparison.csv), empty without a grid.
        run_scenarios: the scenarios as the runs name them (plain names), the baseline first.
        response: ``response.csv`` (each KPI against each swept parameter), recomputed from the runs when absent;
            None without a grid.
    """

    folder: Path
    experiment: dict[str, Any]
    runs: pd.DataFrame
    comparison: pd.DataFrame | None
    comparison_recomputed: bool
    screening: pd.DataFrame | None
    incomplete: list[str]
    baseline: str
    scenarios: list[str]
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    grid: list[str] = field(default_factory=list)
    run_scenarios: list[str] = field(default_factory=list)
    response: pd.DataFrame | None = None

    @property
    def pairing(self) -> str:
        """``paired`` or ``independent``: experiment.yaml's, else comparison.csv's, else ``paired``."""
        recorded = self.experiment.get("pairing")
        if not recorded and self.comparison is not None and "pairing" in self.comparison:
            values = self.comparison["pairing"].dropna()
            recorded = values.iloc[0] if not values.empty else None
        return str(recorded or "paired")

    @property
    def others(self) -> list[str]:
        """The scenarios compared to the baseline."""
        return [s for s in self.scenarios if s != self.baseline]

    @cached_property
    def decomposition(self) -> pd.DataFrame:
        """Each scenario's change of travel by kind against the baseline, per grid point (what
        ``decomposition.csv`` holds: :func:`~simulation.experiments.decomposition.decomposition_table`, computed
        once from the runs)."""
        return decomposition_table(self.runs, self.baseline, self.pairing, self.run_scenarios, self.grid)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file of the results folder; one clear line when it cannot be read."""
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputFileError(str(path), f"unreadable CSV ({one_line(str(exc))})") from None


def _read_experiment(folder: Path) -> dict[str, Any]:
    """experiment.yaml flattened: the ``experiment`` mapping merged over the top-level keys."""
    raw = read_experiment_file(folder)
    flat = {k: v for k, v in raw.items() if k != "experiment"}
    section = raw.get("experiment")
    if isinstance(section, dict):
        flat.update(section)
    return flat


def _resolve_run_dir(folder: Path, run_dir: Any) -> Path | None:
    """The folder of a finished run named by runs.csv's ``run_dir`` (relative to the results folder or not)."""
    if not isinstance(run_dir, str) or not run_dir:
        return None
    candidate = Path(run_dir)
    for path in (candidate, folder / candidate, folder / RUNS / candidate):
        if (path / SUMMARY).is_file():
            return path
    return None


def load_results(folder: Path | str) -> Results:
    """Read a results folder.

    Args:
        folder: a folder written by ``lieux experiment=<name>`` (or built by hand with the same files).

    Returns:
        The :class:`Results`.

    Raises:
        UserError: the folder does not exist or holds none of runs.csv, comparison.csv, screening.csv or a
            finished run under runs/.
        InputFileError: one of its files is unreadable or lacks a required column.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(
            f"{folder}: no such folder; expected a results folder written by lieux experiment=<name>"
        )
    experiment = _read_experiment(folder)
    incomplete = unfinished_jobs(folder)
    runs_csv = folder / RUNS_CSV
    runs = _read_csv(runs_csv) if runs_csv.is_file() else collect_runs(folder)
    if not runs.empty:
        if "scenario" not in runs:
            raise InputFileError(str(runs_csv), "no 'scenario' column; expected the columns of runs.csv", 1)
        runs["scenario"] = runs["scenario"].astype(str)
        run_dirs = runs["run_dir"] if "run_dir" in runs else pd.Series([None] * len(runs))
        runs["path"] = [_resolve_run_dir(folder, d) for d in run_dirs]
    comparison: pd.DataFrame | None = None
    comparison_path = folder / COMPARISON_CSV
    if comparison_path.is_file():
        comparison = _read_csv(comparison_path)
        need = {"scenario", "kpi", "diff_mean", "ci_low", "ci_high"}
        missing = sorted(need - set(comparison.columns))
        if missing:
            raise InputFileError(
                str(comparison_path),
                f"missing column(s) {', '.join(missing)}; expected the contract columns",
                1,
            )
        comparison["scenario"] = comparison["scenario"].astype(str)
    screening_path = folder / SCREENING_CSV
    screening = _read_csv(screening_path) if screening_path.is_file() else None
    if screening is not None:
        missing = sorted({"parameter", "kpi", "mu_star", "sigma"} - set(screening.columns))
        if missing:
            raise InputFileError(str(screening_path), f"missing column(s) {', '.join(missing)}", 1)
    if runs.empty and comparison is None and screening is None:
        raise UserError(
            f"{folder}: no runs.csv, comparison.csv, screening.csv or finished run in runs/; "
            "expected a results folder written by lieux experiment=<name>"
        )
    baseline = str(experiment.get("baseline") or "baseline")
    order: list[str] = [str(s) for s in experiment.get("scenarios") or []]
    grid = [str(k) for k in (experiment.get("grid") or {}) if str(k) in runs.columns]
    if comparison is not None:  # an older runs.csv: the swept keys are the comparison's extra columns
        grid = grid or [c for c in comparison.columns if c not in COMPARISON_COLUMNS]
    recomputed = False
    pairing = str(experiment.get("pairing") or "paired")
    if comparison is None and not runs.empty and screening is None and baseline in set(runs["scenario"]):
        kpis = [k for k in KPI_NAMES if k in runs.columns]
        comparison = compare_runs(runs, baseline, kpis, pairing, scenarios=order, grid=grid)
        recomputed = not comparison.empty
        if comparison.empty:
            comparison = None
    response: pd.DataFrame | None = None
    if grid and not runs.empty:
        response_path = folder / RESPONSE_CSV
        if response_path.is_file():
            response = _read_csv(response_path)
        else:
            with_base = baseline if comparison is not None else None
            kpis = [k for k in KPI_NAMES if k in runs.columns]
            response = response_table(runs, grid, kpis, with_base, pairing, order)
    run_order = list(dict.fromkeys([*order, *(runs["scenario"] if not runs.empty else [])]))
    run_order = [s for s in run_order if runs.empty or s in set(runs["scenario"])]
    if baseline in run_order:
        run_order = [baseline, *[s for s in run_order if s != baseline]]
    arms: list[str] = []
    if comparison is not None and grid and set(grid) <= set(comparison.columns):
        # the per-scenario sections read one arm per (scenario, grid point), named with its point
        arms = [label(str(r["scenario"]), {k: r[k] for k in grid}) for _, r in comparison.iterrows()]
        comparison = comparison.assign(scenario=arms)
    seen = list(runs["scenario"]) if not runs.empty else []
    if comparison is not None:
        seen += list(comparison["scenario"])
    present = set(seen) | ({baseline} if not runs.empty and baseline in set(runs["scenario"]) else set())
    if comparison is not None:
        present.add(baseline)
    for s in seen:
        if s not in order:
            order.append(s)
    order = [s for s in order if s in present]
    if baseline in order:
        order.remove(baseline)
        order.insert(0, baseline)
    if arms:  # on a grid the compared arms replace the plain names (which have no row of their own)
        order = [baseline, *dict.fromkeys(arms)]
    summaries: dict[str, dict[str, Any]] = {}
    if not runs.empty:
        for row in runs.to_dict("records"):
            scenario = str(row["scenario"])
            if scenario in summaries:
                continue
            summaries[scenario] = row
            if (
                row.get("path") is not None
            ):  # runs.csv may lack territory, weeks...: complete from summary.json
                try:
                    data = json.loads((Path(row["path"]) / SUMMARY).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = {}
                summaries[scenario] = {**data, **{k: v for k, v in row.items() if pd.notna(v)}}
    return Results(
        folder=folder,
        experiment=experiment,
        runs=runs,
        comparison=comparison,
        comparison_recomputed=recomputed,
        screening=screening,
        incomplete=incomplete,
        baseline=baseline,
        scenarios=order,
        summaries=summaries,
        grid=grid,
        run_scenarios=run_order,
        response=response,
    )


# --------------------------------------------------------------------------------------------------------
# Reading the comparison
# --------------------------------------------------------------------------------------------------------


def _row(results: Results, scenario: str, kpi: str) -> pd.Series | None:
    """The row of comparison.csv for (scenario, kpi), None when absent."""
    comp = results.comparison
    if comp is None:
        return None
    hit = comp[(comp["scenario"] == scenario) & (comp["kpi"] == kpi)]
    return None if hit.empty else hit.iloc[0]


def sentence(row: pd.Series | dict[str, Any]) -> str:
    """The plain-language reading of one row of comparison.csv.

    Significant (the 95 % CI excludes 0): "mediation_hubs lowers the unmet need rate by 3.4 points (95 % CI
    3.1 to 3.7) against the baseline." Otherwise: "The change in CO2 emissions under coworking_network (+1.2 t
    CO2, 95 % CI -3.0 to 5.4) is not distinguishable from zero with 3 seeds."

    Args:
        row: a row with ``scenario, kpi, diff_mean, ci_low, ci_high`` and optionally ``n``, ``baseline_mean``.

    Returns:
        One sentence.
    """
    scenario, kpi = str(row["scenario"]), str(row["kpi"])
    d, low, high = float(row["diff_mean"]), float(row["ci_low"]), float(row["ci_high"])
    n = row.get("n")
    n_text = (
        f"{int(n)} seed{'s' if int(n) != 1 else ''}" if n is not None and np.isfinite(n) else "these seeds"
    )
    label = kpi_label(kpi)
    base = row.get("baseline_mean")
    base_text = (
        f" (baseline {format_level(kpi, float(base))})"
        if base is not None and np.isfinite(float(base))
        else ""
    )
    sig = is_significant(row)
    dec = _row_decimals(row)
    if sig is None:
        return (
            f"The change in {label} under {scenario} ({format_amount(kpi, d, signed=True)}) has no confidence "
            f"interval with {n_text}."
        )
    if sig:
        verb = "raises" if d > 0 else "lowers"
        lo, hi = (low, high) if d > 0 else (-high, -low)
        return (
            f"{scenario} {verb} the {label} by {format_amount(kpi, abs(d), decimals=dec)} (95 % CI "
            f"{_ci_number(kpi, lo, dec)} to {_ci_number(kpi, hi, dec)}) against the baseline{base_text}: "
            "significant."
        )
    if is_identical(row):
        return f"The {label} under {scenario} is the same as in the baseline for every seed ({n_text})."
    return (
        f"The change in {label} under {scenario} ({format_amount(kpi, d, signed=True, decimals=dec)}, 95 % CI "
        f"{_ci_number(kpi, low, dec)} to {_ci_number(kpi, high, dec)}) is not distinguishable from zero with "
        f"{n_text}."
    )


def _ci_number(kpi: str, value: float, decimals: int | None = None) -> str:
    return fixed(100 * value if is_share(kpi) else value, decimals)


def _row_decimals(row: pd.Series | dict[str, Any]) -> int | None:
    """Decimals for a row's numbers, from its half-width in the unit shown."""
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    factor = 100.0 if is_share(str(row["kpi"])) else 1.0
    decimals = ci_decimals(factor * (high - low) / 2)
    top = factor * max(abs(v) for v in (low, high, float(row.get("diff_mean", 0.0)))) if decimals else 0.0
    if decimals is not None and np.isfinite(top) and top > 0:  # never more than 3 significant digits
        decimals = min(decimals, max(0, 2 - int(math.floor(math.log10(top)))))
    return decimals


def _cell(row: pd.Series | None, kpi: str) -> str:
    if row is None:
        return ""
    d = float(row["diff_mean"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if is_identical(row):
        return "0 (every seed)"
    dec = _row_decimals(row)
    text = _ci_number(kpi, d, dec)
    if np.isfinite(d) and d > 0:
        text = "+" + text
    sig = is_significant(row)
    if sig:
        text = f"**{text}**"
    if np.isfinite(low) and np.isfinite(high):
        text += f" [{_ci_number(kpi, low, dec)}, {_ci_number(kpi, high, dec)}]"
    return text


def _column_title(kpi: str) -> str:
    unit = "points" if is_share(kpi) else kpi_unit(kpi)
    return f"{kpi_label(kpi)} ({unit})" if unit else kpi_label(kpi)


# --------------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------------


def _representatives(results: Results) -> dict[str, Path]:
    """One run folder per scenario: replicate 0 (else the smallest seed, else the first row)."""
    runs = results.runs
    out: dict[str, Path] = {}
    if runs.empty or "path" not in runs:
        return out
    keyed = runs[runs["path"].notna()].copy()
    sort_cols = [c for c in ("replicate", "seed", "sample") if c in keyed]
    if sort_cols:
        keyed = keyed.sort_values(sort_cols, kind="stable", na_position="last")
    for scenario in results.run_scenarios or results.scenarios:
        rows = keyed[keyed["scenario"] == scenario]
        if not rows.empty:
            out[scenario] = Path(rows.iloc[0]["path"])
    return out


def _seed_text(path: Path, results: Results) -> str:
    runs = results.runs
    hit = runs[runs["path"].astype(str) == str(path)] if "path" in runs else runs.iloc[0:0]
    if not hit.empty and "seed" in hit and pd.notna(hit.iloc[0]["seed"]):
        return f"seed {int(hit.iloc[0]['seed'])}"
    return path.name


def _read_table(path: Path, name: str) -> pd.DataFrame | None:
    """A table of a run folder (``slots`` is Parquet, the others CSV), None when absent or unreadable."""
    file = path / (f"{name}.parquet" if name == "slots" else f"{name}.csv")
    if not file.is_file():
        return None
    try:
        return pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except (OSError, ValueError):
        return None


def _save(fig: Figure, folder: Path, name: str) -> Path:
    """Save a figure as ``folder/figures/<name>``."""
    out = folder / FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    # atomic: a reader (or a killed rebuild) never sees half a picture; the format is given, the temporary
    # file's suffix is not .png
    write_atomic(
        path, lambda tmp: fig.savefig(tmp, dpi=FIGURE_DPI, format=Path(name).suffix.lstrip(".") or "png")
    )
    return path


def _run_tables(results: Results) -> list[RunTables]:
    """The tables of one representative run per scenario (:func:`_representatives`) for the map and heatmap."""
    out = []
    for scenario, path in _representatives(results).items():
        out.append(
            RunTables(
                label=f"{scenario} ({_seed_text(path, results)})",
                zones=_read_table(path, "zones"),
                places=_read_table(path, "places"),
                slots=_read_table(path, "slots"),
            )
        )
    return out


def _provider_tables(results: Results) -> list[tuple[str, pd.DataFrame | None]]:
    """``(scenario, providers.csv)`` of every run whose folder is found."""
    if results.runs.empty or "path" not in results.runs:
        return []
    return [
        (str(run.scenario), _read_table(Path(run.path), "providers"))
        for run in results.runs.itertuples(index=False)
        if run.path is not None
    ]


CAPTIONS: dict[str, str] = {
    "travel_cost.png": (
        "Change in travel (person-km, CO2) and in network cost per scenario against the baseline (to the right: "
        "more travel, more cost; to the left: less), mean paired difference with its 95 % confidence interval. "
        "Filled bars: significant (the interval excludes 0); hollow bars: not distinguishable from zero. Which "
        "kind of trip carries each change: section Scenarios."
    ),
    "map.png": (
        "The territory in each scenario (one representative run: the first seed). Grey circles: zones, darker "
        "for more adults. Coloured markers: places, by profile (red mediation, blue work, green workshop, purple "
        "multifunctional; grey crosses: places serving nothing), the area proportional to their occupancy rate "
        "over the counted weeks; the places of a zone are spread around its centre; the busiest place of each of "
        "the five busiest zones is named."
    ),
    "occupancy_heatmap.png": (
        "Occupancy (users / capacity, all activities, mean over the counted weeks) of the busiest active places "
        f"(at most {HEATMAP_MAX_PLACES} per panel, busiest on top, by name) by slot of the week; grey cells: closed. "
        "One representative run per scenario."
    ),
    "mutualisation.png": (
        "Mutualisation: each provider's cost (its shares of the places' costs plus its permanence staff) per "
        "contact, mean over the seeds, the baseline (dark grey) against each scenario; 'all providers' is the "
        "total over the total contacts."
    ),
    "screening.png": (
        "Morris screening: for each KPI, each parameter's mean absolute elementary effect mu* (horizontal, with "
        "its 95 % bootstrap interval) against their spread sigma; to the right: influential; above the dashed "
        "line: non-linear or interacting."
    ),
}


def sweep_figure_name(key: str) -> str:
    """The file of the sweep figure of a swept key: ``sweep_<last part of the key>.png``."""
    return f"sweep_{key.rsplit('.', 1)[-1]}.png"


def figure_caption(name: str) -> str:
    """The caption of a figure file (:data:`CAPTIONS`, or the sweep figure's)."""
    if name.startswith("sweep_"):
        return (
            "A figure per swept parameter: each main KPI against it (top: the level of each scenario; bottom, "
            "with a baseline: each scenario minus the baseline at the same grid points). Each point is the mean "
            "over the seeds, averaged over the other swept parameters; the band is its 95 % confidence interval."
        )
    return CAPTIONS[name]


def draw_figures(results: Results) -> dict[str, Figure]:
    """The figures of a results folder, by file name (those with nothing to draw left out), in report order.

    Args:
        results: the folder, read by :func:`load_results`.

    Returns:
        ``{file name: Figure}`` among :data:`CAPTIONS`' names.
    """
    figures: dict[str, Figure | None] = {}
    if results.response is not None:  # a sweep: the KPIs against each parameter replace the bars per arm
        for key in results.grid:
            figures[sweep_figure_name(key)] = sweep_figure(
                results.response,
                key,
                _report_kpis(results)[:SWEEP_MAX_KPIS] or None,
                results.run_scenarios,
                results.baseline if results.comparison is not None else None,
            )
    elif results.comparison is not None:
        figures["travel_cost.png"] = travel_cost_figure(
            results.comparison, results.others, results.baseline, _weeks(results), results.pairing
        )
    panels = _run_tables(results)
    territory = territory_of(results)
    figures["map.png"] = map_figure(panels, territory[0].upper() + territory[1:])
    figures["occupancy_heatmap.png"] = heatmap_figure(panels)
    del panels  # the slots of every panel: free them before reading the providers of every run
    figures["mutualisation.png"] = mutualisation_figure(
        provider_costs(_provider_tables(results)),
        results.run_scenarios or results.scenarios,
        results.baseline,
        runs_are="run" if results.grid else "seed",  # a grid: 12 runs are 2 seeds x 6 points
    )
    figures["screening.png"] = screening_figure(results.screening)
    return {name: fig for name, fig in figures.items() if fig is not None}


# --------------------------------------------------------------------------------------------------------
# report.md
# --------------------------------------------------------------------------------------------------------


def _weeks(results: Results) -> int | None:
    for summary in results.summaries.values():
        w = summary.get("weeks")
        if w is not None and pd.notna(w):
            return int(w)
    w = results.experiment.get("weeks")
    return int(w) if isinstance(w, int) else None


def _report_kpis(results: Results) -> list[str]:
    """The KPIs the report reads: the experiment's, else :data:`~simulation.observe.metrics.MAIN_KPIS`, else 7."""
    comp = results.comparison if results.comparison is not None else results.response
    present = list(dict.fromkeys(comp["kpi"].astype(str))) if comp is not None else []
    chosen = [str(k) for k in results.experiment.get("kpis") or [] if str(k) in present]
    if not chosen:
        chosen = [k for k in MAIN_KPIS if k in present] or present[:7]
    return chosen


def _setup_lines(results: Results) -> list[str]:
    ex, runs = results.experiment, results.runs
    first = results.summaries.get(results.baseline) or next(iter(results.summaries.values()), {})
    lines = []
    territory = first.get("territory") or ex.get("territory")
    if isinstance(territory, dict):
        territory = territory.get("kind")
    if territory:
        territory = territory_of(results)
        extra = []
        if first.get("n_residents") is not None and pd.notna(first.get("n_residents")):
            extra.append(f"{int(first['n_residents']):,} adults")
        if first.get("n_places") is not None and pd.notna(first.get("n_places")):
            extra.append(f"{int(first['n_places'])} places in the baseline")
        sample = first.get("sample_rate")
        if sample is not None and pd.notna(sample) and float(sample) < 1:
            extra.append(f"{float(sample):.0%} of the adults simulated")
        text = territory[0].upper() + territory[1:]
        lines.append(f"- **Territory**: {text}" + (f" ({', '.join(extra)})" if extra else "") + ".")
    if results.grid and results.comparison is None:
        scen = ", ".join(f"`{s}`" for s in results.run_scenarios)
        lines.append(f"- **Scenarios**: {scen}, swept without a baseline (its response, no comparison).")
    else:
        names = results.run_scenarios[1:] if results.grid else results.others
        scen = ", ".join(f"`{s}`" for s in names)
        lines.append(f"- **Scenarios**: `{results.baseline}` (the reference) against {scen or 'none'}.")
    if results.grid:
        lines.append(
            "- **Swept**: " + " × ".join(f"`{k}` ({_values_text(results, k)})" for k in results.grid) + "."
        )
    if not runs.empty and "seed" in runs and results.grid:
        lines.append(_seed_grid_line(results))
    elif not runs.empty and "seed" in runs:
        seeds = sorted({int(s) for s in runs["seed"].dropna()})
        per = runs.groupby("scenario").size()
        lines.append(
            f"- **Seeds**: {', '.join(map(str, seeds))} ({int(per.min())} to {int(per.max())} per scenario)."
            if per.min() != per.max()
            else f"- **Seeds**: {', '.join(map(str, seeds))} ({int(per.max())} per scenario)."
        )
    weeks = _weeks(results)
    if weeks:
        warm = first.get("warmup_weeks")
        warm_text = (
            f" after {int(warm)} warm-up week{'s' if int(warm) != 1 else ''}"
            if warm is not None and pd.notna(warm)
            else ""
        )
        lines.append(
            f"- **Weeks**: {weeks} counted{warm_text}; counts, km, CO2 and money are totals over them."
        )
    if results.pairing == "paired":
        lines.append(
            "- **Pairing**: paired by seed (common random numbers: for a given seed every scenario faces the "
            "same residents and needs); each difference is the mean of the per-seed differences, with its "
            "t-interval."
        )
    else:
        lines.append("- **Pairing**: independent (each scenario its own seeds); Welch intervals.")
    if ex.get("method") == "morris" or results.screening is not None:
        lines.append(
            f"- **Method**: Morris elementary effects ({ex.get('trajectories', '?')} trajectories, "
            f"{ex.get('levels', '?')} levels) over {len(ex.get('parameters') or {}) or 'the'} parameters."
        )
    expected = _expected_jobs(results)
    n_runs = len(runs)
    status = ex.get("status") if isinstance(ex.get("status"), dict) else {}
    names = [str(m) for m in status.get("missing") or []] or results.incomplete
    missing = max(expected - n_runs, len(names)) if expected else len(names)
    runs_text = f"- **Runs**: {n_runs} complete"
    if expected:
        runs_text += f" of {expected} expected"
    runs_text += f"; {missing} missing"
    if names and missing:
        runs_text += f" ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"
    runs_text += "."
    if missing:
        runs_text += " The differences use the complete runs only."
    lines.append(runs_text)
    command = ex.get("command") or ex.get("command_line")
    if command:
        if isinstance(command, list):
            command = " ".join(map(str, command))
        lines.append(f"- **Command**: `{one_line(str(command))}`")
    if results.comparison_recomputed:
        lines.append("- comparison.csv was absent: the differences were computed here from runs.csv.")
    return lines


def _values_text(results: Results, key: str) -> str:
    values = sorted(pd.unique(results.runs[key].dropna()))
    return ", ".join(point_text({key: v}).split("=", 1)[1] for v in values)


def _seed_grid_line(results: Results) -> str:
    """``Seeds: 0, 1 (2 seeds × 6 grid points = 12 runs per scenario)``."""
    runs = results.runs
    seeds = sorted({int(s) for s in runs["seed"].dropna()})
    points = runs[results.grid].drop_duplicates()
    per = runs.groupby("scenario").size()
    per_text = f"{int(per.max())}" if per.min() == per.max() else f"{int(per.min())} to {int(per.max())}"
    # replicates, not seeds, when each scenario has its own seeds (pairing independent)
    n_seeds = int(runs["replicate"].nunique()) if "replicate" in runs else len(seeds)
    return (
        f"- **Seeds**: {', '.join(map(str, seeds))} ({n_seeds} seed{'s' if n_seeds != 1 else ''} × "
        f"{len(points)} grid points = {per_text} runs per scenario)."
    )


def _sweep_lines(results: Results, kpis: list[str]) -> list[str]:
    """The sweep: per grid point, the baseline's level and each scenario's difference (or each one's level)."""
    runs, keys = results.runs, results.grid
    if runs.empty or not keys:
        return []
    kpis = kpis[:3]
    levels = levels_by_point(runs, keys, kpis)
    comp = results.comparison
    lines = []
    if comp is not None:
        others = results.run_scenarios[1:]
        lines.append(
            f"Per grid point: the level of `{results.baseline}` (mean over the seeds) and each scenario's "
            "difference against it at the same point (its share of the baseline's level), [95 % CI], **bold** "
            "when significant and material, n.s. when not significant."
        )
        head = [_short_key(k) for k in keys]
        head += [f"{results.baseline}: {kpi_label(k)}" for k in kpis]
        head += [f"{s}: {kpi_label(k)} difference" for s in others for k in kpis]
    else:
        others = []
        lines.append("Per grid point: each scenario's level, mean over the seeds [95 % CI].")
        head = [_short_key(k) for k in keys]
        head += [f"{s}: {kpi_label(k)}" for s in results.run_scenarios for k in kpis]
    lines += [
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(keys) + "---:|" * (len(head) - len(keys)),
    ]
    for point, part in levels.groupby(keys, sort=True):
        point = point if isinstance(point, tuple) else (point,)
        cells = [point_text({k: v}).split("=", 1)[1] for k, v in zip(keys, point, strict=True)]
        shown = [results.baseline] if comp is not None else results.run_scenarios
        for s in shown:
            for k in kpis:
                hit = part[(part["scenario"] == s) & (part["kpi"] == k)]
                cells.append(_level_cell(hit.iloc[0], k, interval=comp is None) if not hit.empty else "")
        for s in others:
            arm = label(s, dict(zip(keys, point, strict=True)))
            cells += [material_cell(_row(results, arm, k), k, material_of(results)) for k in kpis]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _level_cell(row: pd.Series, kpi: str, interval: bool) -> str:
    """A level at a grid point, with its 95 % interval over the seeds when asked (a sweep without baseline)."""
    text = format_level(kpi, float(row["mean"]))
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if interval and np.isfinite(low) and np.isfinite(high):
        factor = 100.0 if is_share(kpi) else 1.0
        text += f" [{number(factor * low)}, {number(factor * high)}]"
    return text


def _short_key(key: str) -> str:
    return f"`{key.rsplit('.', 1)[-1]}`"


def _expected_jobs(results: Results) -> int | None:
    ex = results.experiment
    status = ex.get("status") if isinstance(ex.get("status"), dict) else {}
    for key in ("jobs_expected", "n_jobs", "expected_jobs"):
        value = status.get(key, ex.get(key))
        if isinstance(value, int) and value > 0:
            return value
    seeds, scenarios = ex.get("seeds"), ex.get("scenarios")
    if (
        isinstance(seeds, int)
        and isinstance(scenarios, list)
        and scenarios
        and ex.get("method", "compare") == "compare"
    ):
        n = seeds * len(scenarios)
        for values in (ex.get("grid") or {}).values():
            if isinstance(values, list) and values:
                n *= len(values)
        return n
    return None


def _summary_table(results: Results, kpis: list[str]) -> list[str]:
    head = "| scenario | " + " | ".join(_column_title(k) for k in kpis) + " |"
    rule = "|---|" + "---:|" * len(kpis)
    lines = [head, rule]
    base_cells = []
    for k in kpis:
        row = next((r for r in (_row(results, s, k) for s in results.others) if r is not None), None)
        base = row.get("baseline_mean") if row is not None else None
        base_cells.append(f"level {level(k, float(base))}" if base is not None and pd.notna(base) else "")
    if results.grid:  # the baseline's level differs from point to point: the Sweep section gives it
        base_cells = ["level per grid point: see Sweep", *["" for _ in kpis[1:]]]
    lines.append(f"| {results.baseline} (reference) | " + " | ".join(base_cells) + " |")
    material = material_of(results)
    for scenario in results.others:
        cells = [material_cell(_row(results, scenario, k), k, material) for k in kpis]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return lines


def km_per_euro(results: Results) -> list[dict[str, Any]]:
    """The km-per-euro answer per scenario: person-km saved per extra euro of network cost.

    Args:
        results: the results folder.

    Returns:
        One dict per scenario with ``scenario, km_saved, extra_cost, km_sig, cost_sig, ratio`` (person-km per
        EUR, NaN unless both differences are significant, the saving positive and the extra cost positive) and
        ``verdict`` (a sentence).
    """
    out = []
    why = {} if results.grid else {s: main_kind(d) for s, d in decompositions(results).items()}
    for scenario in results.others:
        km, cost = _row(results, scenario, "person_km_total"), _row(results, scenario, "network_cost_eur")
        if km is None or cost is None:
            continue
        saved, extra = -float(km["diff_mean"]), float(cost["diff_mean"])
        km_sig, cost_sig = is_significant(km), is_significant(cost)
        ratio = math.nan
        if km_sig and cost_sig and saved > 0 and extra > 0:
            ratio = saved / extra
            verdict = (
                f"{scenario} saves {number(ratio)} person-km per extra euro of network cost "
                f"({compact(saved)} person-km for {compact(extra)} EUR)."
            )
        elif km_sig and cost_sig and saved > 0 and extra < 0:
            verdict = (
                f"{scenario} saves {compact(saved)} person-km and {compact(-extra)} EUR of network cost: "
                "it wins on both counts (no trade-off to price)."
            )
        elif km_sig and saved > 0 and not cost_sig:
            verdict = (
                f"{scenario} saves {compact(saved)} person-km at a network cost not distinguishable from "
                "the baseline's: the ratio is not estimable."
            )
        elif km_sig and saved < 0:
            carried = f" ({why[scenario]})" if why.get(scenario) else ""
            verdict = f"{scenario} adds {compact(-saved)} person-km of travel{carried}: it saves none."
        else:
            verdict = (
                f"{scenario}: its change in travel ({compact(-saved, sign=True)} person-km) is not "
                "distinguishable from zero, so no km-per-euro figure is given."
            )
        out.append(
            {
                "scenario": scenario,
                "km_saved": saved,
                "extra_cost": extra,
                "km_sig": km_sig,
                "cost_sig": cost_sig,
                "ratio": ratio,
                "verdict": verdict,
            }
        )
    return out


def _reading_lines(results: Results, kpis: list[str]) -> list[str]:
    lines: list[str] = []
    comp = results.comparison
    if comp is None:
        return lines
    for scenario in results.others:
        rows = comp[comp["scenario"] == scenario]
        if rows.empty:
            continue
        lines.append(f"**{scenario_title(scenario)}**")
        lines.append("")
        for kpi in kpis:
            row = _row(results, scenario, kpi)
            if row is not None:
                lines.append(f"- {sentence(row)}")
        others = rows[~rows["kpi"].isin(kpis)]
        sig_other = [r for _, r in others.iterrows() if is_significant(r)]
        if len(others):
            if sig_other:
                parts = [
                    f"{kpi_label(str(r['kpi']))} {'up' if float(r['diff_mean']) > 0 else 'down'} "
                    f"{format_amount(str(r['kpi']), abs(float(r['diff_mean'])))}"
                    for r in sig_other
                ]
                lines.append(
                    f"- Of the {len(others)} other KPIs compared, {len(sig_other)} differ significantly: "
                    + "; ".join(parts)
                    + "."
                )
            else:
                lines.append(f"- None of the {len(others)} other KPIs compared differs significantly.")
        lines.append("")
    return lines


def _km_lines(results: Results) -> list[str]:
    rows = km_per_euro(results)
    if not rows:
        return []
    lines = [
        "| scenario | change in travel (person-km) | change in network cost (EUR) | person-km saved per extra EUR |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        km = compact(-r["km_saved"], sign=True) + ("" if r["km_sig"] else " n.s.")
        cost = compact(r["extra_cost"], sign=True) + ("" if r["cost_sig"] else " n.s.")
        ratio = number(r["ratio"]) if np.isfinite(r["ratio"]) else "-"
        lines.append(f"| {r['scenario']} | {km} | {cost} | {ratio} |")
    lines.append("")
    if any(not (r["km_sig"] and r["cost_sig"]) for r in rows):
        lines.append("(n.s.: not significant, the 95 % CI includes 0.)")
        lines.append("")
    lines += [f"- {r['verdict']}" for r in rows]
    priced = [r for r in rows if np.isfinite(r["ratio"])]
    dominant = [
        r for r in rows if r["km_sig"] and r["cost_sig"] and r["km_saved"] > 0 and r["extra_cost"] < 0
    ]
    lines.append("")
    if dominant:
        names = ", ".join(r["scenario"] for r in dominant)
        lines.append(f"{names} save{'s' if len(dominant) == 1 else ''} kilometres and money at once.")
    if priced:
        best = max(priced, key=lambda r: r["ratio"])
        lines.append(
            f"Of the strategies whose saving and extra cost are both significant, {best['scenario']} saves the "
            f"most kilometres per euro: {number(best['ratio'])} person-km per extra euro."
        )
    elif not dominant:
        saving = [r["scenario"] for r in rows if r["km_sig"] and r["km_saved"] > 0]
        if saving:
            lines.append(
                f"{', '.join(saving)} save{'s' if len(saving) == 1 else ''} kilometres significantly, but the "
                "extra network cost is not distinguishable from zero: the kilometres per euro cannot be priced "
                "with these seeds."
            )
            return lines
        lines.append(
            "No strategy has both a significant travel saving and a significant extra cost: the kilometres "
            "per euro cannot be priced here."
        )
    return lines


def _variance_lines(results: Results) -> list[str]:
    ratios = _variance_ratios(results)
    if not ratios:
        if results.pairing != "paired":
            return [
                "The runs are independent (each scenario its own seeds): the gain of pairing is not "
                "measured here."
            ]
        return []
    lines = [
        "Ratio of the 95 % half-widths of the `person_km_total` difference, independent (Welch, treating the "
        "same runs as if their seeds were unrelated) over paired (common random numbers): how many times "
        "narrower pairing makes the interval (the same precision without pairing would need about the square "
        "of this ratio times as many seeds).",
        "",
        "| scenario | half-width ratio (independent / paired) |",
        "|---|---:|",
    ]
    lines += [f"| {s} | {number(r)} |" for s, r in ratios.items()]
    finite = [r for r in ratios.values() if np.isfinite(r)]
    if finite:
        lines.append("")
        lines.append(
            f"Median over the scenarios: pairing narrows the interval {number(float(np.median(finite)))} "
            "times."
        )
    return lines


def _variance_ratios(results: Results, kpi: str = "person_km_total") -> dict[str, float]:
    """The variance reduction by pairing per scenario: Welch half-width over paired half-width.

    The ratios recorded in experiment.yaml by the aggregation, else computed from the runs with
    :func:`simulation.experiments.stats.variance_reduction`; empty for an independent design. Scenarios with
    fewer than two common seeds (no ratio) are left out.
    """
    if results.runs.empty or results.pairing != "paired":
        return {}
    recorded = results.experiment.get("variance_reduction")
    if isinstance(recorded, dict) and recorded.get("kpi", kpi) == kpi:
        ratios = recorded.get("ratio_independent_over_paired")
        parsed = {
            str(s): float(r)
            for s, r in (ratios.items() if isinstance(ratios, dict) else [])
            if isinstance(r, int | float) and np.isfinite(r)
        }
        if parsed:
            return parsed
    table = variance_reduction(results.runs, kpi, baseline=results.baseline)
    return {
        str(s): float(r) for s, r in zip(table["scenario"], table["ratio"], strict=True) if np.isfinite(r)
    }


def _screening_lines(results: Results) -> list[str]:
    scr = results.screening
    if scr is None or scr.empty:
        return []
    lines: list[str] = []
    for kpi in dict.fromkeys(scr["kpi"].astype(str)):
        part = scr[scr["kpi"].astype(str) == kpi].sort_values("mu_star", ascending=False)
        lines.append(f"**{kpi_label(kpi)}** (`{kpi}`)")
        lines.append("")
        lines.append("| parameter | mu* | mu* 95 % conf. | sigma | sigma / mu* | mu |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for r in part.itertuples(index=False):
            mu_star, sigma = float(r.mu_star), float(r.sigma)
            ratio = sigma / mu_star if mu_star > 0 else math.nan
            conf = float(getattr(r, "mu_star_conf", math.nan))
            mu = float(getattr(r, "mu", math.nan))
            lines.append(
                f"| `{r.parameter}` | {number(mu_star)} | {number(conf)} | {number(sigma)} | "
                f"{number(ratio)} | {number(mu)} |"
            )
        top = float(part["mu_star"].max()) if not part.empty else 0.0
        important = [
            str(p) for p, m in zip(part["parameter"], part["mu_star"], strict=True) if m >= 0.1 * top
        ]
        negligible = [
            str(p) for p, m in zip(part["parameter"], part["mu_star"], strict=True) if m < 0.1 * top
        ]
        lines.append("")
        if top > 0:
            text = f"For the {kpi_label(kpi)}, the parameters that matter are {', '.join(important)}"
            text += (
                f"; {', '.join(negligible)} have a mu* under a tenth of the largest and can be fixed."
                if negligible
                else "."
            )
            interacting = [
                str(r.parameter)
                for r in part.itertuples(index=False)
                if float(r.mu_star) > 0 and float(r.sigma) > float(r.mu_star)
            ]
            if interacting:
                text += (
                    f" Sigma exceeds mu* for {', '.join(interacting)}: non-linear effects or interactions."
                )
            lines.append(text)
        lines.append("")
    return lines


# --------------------------------------------------------------------------------------------------------
# For decision-makers: the answer, the scenarios as a reader knows them
# --------------------------------------------------------------------------------------------------------


def material_of(results: Results) -> dict[str, float]:
    """The thresholds of practical relevance: experiment.yaml's ``material`` over the defaults."""
    given = results.experiment.get("material")
    out = dict(DEFAULT_MATERIAL)
    if isinstance(given, dict):
        out.update({str(k): float(v) for k, v in given.items() if isinstance(v, int | float)})
    return out


def _run_config(path: Path | None) -> dict[str, Any]:
    """A run's resolved configuration (config.yaml), empty when absent or unreadable."""
    if path is None or not (Path(path) / CONFIG).is_file():
        return {}
    try:
        data = yaml.safe_load((Path(path) / CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def territory_of(results: Results) -> str:
    """The territory in words (:func:`simulation.viz.reading.territory_text`)."""
    first = results.summaries.get(results.baseline) or next(iter(results.summaries.values()), {})
    reps = _representatives(results)
    config = _run_config(next(iter(reps.values()), None))
    if not first and not config:
        territory = results.experiment.get("territory")
        return territory_text({"territory": territory if isinstance(territory, str) else ""})
    return territory_text(first, config)


def descriptions(results: Results) -> dict[str, str]:
    """Each scenario's ``description`` (its YAML file's, as the run's config.yaml recorded it)."""
    out = {}
    for scenario, path in _representatives(results).items():
        text = (_run_config(path).get("scenario") or {}).get("description")
        if isinstance(text, str) and text.strip():
            out[scenario] = one_line(text)
    return out


def interventions_of(results: Results, scenario: str) -> str:
    """What a scenario's interventions did, over its runs (their ``notes.txt``)."""
    runs = results.runs
    if runs.empty or "path" not in runs:
        return ""
    per_run = []
    for path in runs.loc[(runs["scenario"] == scenario) & runs["path"].notna(), "path"]:
        notes = Path(path) / NOTES
        lines = notes.read_text(encoding="utf-8").splitlines() if notes.is_file() else []
        per_run.append(intervention_counts(lines, scenario))
    return interventions_text(per_run)


def decompositions(results: Results) -> dict[str, pd.DataFrame]:
    """Per compared scenario (plain names), its change of travel by kind against the baseline
    (:func:`~simulation.experiments.decomposition.scenario_kinds` of :attr:`Results.decomposition`)."""
    runs = results.runs
    if runs.empty or results.comparison is None or results.baseline not in set(runs["scenario"]):
        return {}
    table = results.decomposition
    return {s: scenario_kinds(table, s) for s in results.run_scenarios if s != results.baseline}


def travel_readings(results: Results) -> dict[str, str]:
    """Per compared scenario (plain names), the one sentence that says which kinds of travel carry its change
    and why (:func:`~simulation.viz.reading.travel_sentence`): the report's "Travel" line, the dashboard's
    reading. On a grid, of the mean over the grid points (:func:`travel_heading` says so)."""
    said = {s: travel_sentence(dec) for s, dec in decompositions(results).items() if not dec.empty}
    return {s: text for s, text in said.items() if text}


def travel_heading(results: Results, subject: str = "Travel") -> str:
    """What the sentences of :func:`travel_readings` are about: ``subject``, on a grid followed by ``(mean over
    the grid points)``."""
    return subject + (" (mean over the grid points)" if results.grid else "")


def _seeds_of(results: Results) -> int | None:
    comp = results.comparison
    if comp is None or "n" not in comp or comp["n"].dropna().empty:
        return None
    return int(comp["n"].dropna().min())


def _answer_lines(results: Results) -> list[str]:
    """The question and its one-paragraph answer (a comparison), or the question alone."""
    lines = [f"*{_question(results)}*", ""]
    comp = results.comparison
    if comp is None:
        return lines
    travel = {} if results.grid else {s: main_kind(d) for s, d in decompositions(results).items()}
    text = answer_paragraph(
        comp,
        results.others,
        material_of(results),
        travel,
        territory_of(results),
        _seeds_of(results),
        noun="strategy-and-grid-point arms" if results.grid else "strategies",
        weeks=_weeks(results),
    )
    if text:
        lines += [text, ""]
        if results.grid:
            lines += [
                "Each strategy is read at each grid point (the section Sweep gives the baseline's level there).",
                "",
            ]
    return lines


def _scenario_lines(results: Results, kpis: list[str]) -> list[str]:
    """Each scenario as a reader knows it: description, what its interventions did, what moved travel, and
    its material changes."""
    desc = descriptions(results)
    travel = travel_readings(results)
    material = material_of(results)
    lines: list[str] = []
    for scenario in results.run_scenarios or results.scenarios:
        lines.append(
            f"**{scenario_title(scenario)}** (`{scenario}`)"
            + (", the reference" if scenario == results.baseline else "")
        )
        lines.append("")
        if scenario in desc:
            lines.append(f"- {desc[scenario]}")
        if scenario == results.baseline:
            lines.append("")
            continue
        did = interventions_of(results, scenario)
        if did:
            lines.append(f"- What it did: {did}.")
        if scenario in travel:
            lines.append(f"- {travel_heading(results)}: {travel[scenario]}")
        if results.comparison is not None and not results.grid:
            lines += _change_lines(results, scenario, kpis, material)
        lines.append("")
    return lines


def _change_lines(results: Results, scenario: str, kpis: list[str], material: dict[str, float]) -> list[str]:
    """The material changes of a scenario, then the count of the small and the indistinguishable ones."""
    comp = results.comparison
    assert comp is not None
    rows = comp[comp["scenario"] == scenario].to_dict("records")
    order = {k: i for i, k in enumerate(kpis)}
    rows.sort(key=lambda r: order.get(str(r["kpi"]), len(order)))
    judged = [(r, verdict(r, material)) for r in rows if str(r["kpi"]) != "person_km_total"]
    big = [r for r, v in judged if v == "material"]
    small = [kpi_label(str(r["kpi"])) for r, v in judged if v == "small"]
    unclear = [kpi_label(str(r["kpi"])) for r, v in judged if v == "n.s."]
    out = []
    if big:
        out.append(
            "- Material changes: "
            + "; ".join(f"{kpi_label(str(r['kpi']))} {difference_text(r, interval=False)}" for r in big)
            + "."
        )
    rest = []
    if small:
        rest.append(f"significant but below the threshold of practical relevance: {', '.join(small)}")
    if unclear:
        rest.append(f"not distinguishable from zero: {', '.join(unclear)}")
    if rest:
        out.append("- Other KPIs: " + "; ".join(rest) + ".")
    return out


def _material_note(results: Results, kpis: list[str]) -> str:
    material = material_of(results)
    parts = [f"{kpi_label(k)} {percent(material_threshold(k, material)).lstrip('+')}" for k in kpis]
    return (
        "Thresholds of practical relevance, as a share of the baseline's level (`experiment.material`): "
        + ", ".join(parts)
        + "."
    )


def _question(results: Results) -> str:
    q = results.experiment.get("question")
    if isinstance(q, str) and q.strip():
        return one_line(q)
    if results.screening is not None and results.comparison is None:
        return "Which behavioural and economic parameters move the KPIs most, and which can be left at their defaults?"
    return (
        f"Which strategy saves the most kilometres per euro against `{results.baseline}` on this territory, "
        "what does it change for access, occupancy and costs, and how sure are we?"
    )


_KIND_LABELS = {
    "office": "office days",
    "third_place": "third-place days",
    "home": "home days",
    "errands": "errands from home",
    "service": "service visits",
    "workshop": "workshop trips",
    "sessions": "maker sessions",
    "total": "total",
}


def _signed(value: float) -> str:
    """A compact signed number (``+1.23 M``, ``-45.6 k``, ``+812``); ``—`` when there is none."""
    if value is None or not np.isfinite(value):
        return "—"
    text = number(abs(value))
    return ("-" if value < 0 else "+" if value > 0 else "") + text


def _diff_cell(diff: float, low: float, high: float) -> str:
    if not np.isfinite(diff):
        return "—"
    if low == high == diff:  # the same difference at every seed: no interval to show
        return f"{_signed(diff) if diff else '0'} (every seed)"
    text = _signed(diff)
    if np.isfinite(low) and np.isfinite(high):
        text += f" [{_signed(low)}, {_signed(high)}]"
        if low > 0 or high < 0:
            text = "**" + text.replace(" [", "** [", 1)
    return text


def _decomposition_lines(results: Results) -> list[str]:
    """Each strategy's change in person-km by kind of trip, with the days or trips of each kind (the issue's
    "where the kilometres come from"); nothing on a grid (decomposition.csv has it per point) or for runs made
    before the decomposition existed."""
    if results.comparison is None or results.grid or results.runs.empty:
        return []
    table = results.decomposition
    if table.empty:
        return []
    lines = [
        "Scenario minus baseline over the counted weeks, 95 % interval in brackets (**bold**: it excludes 0). "
        "The kinds' person-km add up to the total; a home day has no trip of its own (its errands are a row). "
        "Read the days with the kilometres: a strategy that replaces office days saves travel, one that "
        "replaces home days or adds trips (sessions, visits) adds some.",
        "",
    ]
    for scenario, frame in table.groupby("scenario", sort=False):
        lines += [
            f"**{scenario_title(str(scenario))}**",
            "",
            "| kind | person-km | baseline person-km | days or trips | baseline |",
            "|---|---|---|---|---|",
        ]
        for r in frame.itertuples():
            count = _diff_cell(r.count_diff, r.count_ci_low, r.count_ci_high)
            unit = f" {r.count_unit}" if count not in ("—", "0 (every seed)") and r.count_unit else ""
            lines.append(
                f"| {_KIND_LABELS.get(r.kind, r.kind)} | "
                f"{_diff_cell(r.person_km_diff, r.person_km_ci_low, r.person_km_ci_high)} | "
                f"{number(r.person_km_baseline) if np.isfinite(r.person_km_baseline) else '—'} | "
                f"{count}{unit} | "
                f"{number(r.count_baseline) if np.isfinite(r.count_baseline) else '—'} |"
            )
        lines.append("")
    return lines


def _plausibility_lines(results: Results) -> list[str]:
    """Per scenario, its KPIs (mean over its runs) outside their plausible bands (docs/ODD.md, "Plausibility
    bands"), with the likely cause; one sentence when every scenario is inside every band."""
    runs = results.runs
    if runs is None or runs.empty:
        return []
    out = []
    for scenario, group in runs.groupby("scenario", sort=False):
        means = group.select_dtypes("number").mean(numeric_only=True).to_dict()
        out += [f"- `{scenario}`: {line}" for line in warning_lines(means)]
    if not out:
        return ["Every scenario's KPIs (means over seeds) are inside their plausible bands (docs/ODD.md)."]
    head = (
        'KPIs outside the bands the field patterns allow (docs/ODD.md, "Plausibility bands"; means over '
        "seeds): read the scenario's differences with care, the model is likely mis-set on this territory."
    )
    return [head, "", *out]


def build_report(folder: Path | str) -> Path:
    """Write ``figures/*.png`` and ``report.md`` into a results folder, from its files alone.

    Args:
        folder: the results folder (docs/INTERFACES.md, "Experiments").

    Returns:
        The path of ``report.md``.

    Raises:
        UserError: the folder is not a results folder (see :func:`load_results`).
    """
    results = load_results(folder)
    figures = [
        (_save(fig, results.folder, name), figure_caption(name))
        for name, fig in draw_figures(results).items()
    ]

    name = results.experiment.get("name") or results.folder.name
    lines = [
        f"# Report: {name}",
        "",
        f"Results folder `{results.folder}`; rebuild with `{PROG} <folder>`.",
        "",
    ]
    lines += ["## Answer", "", *_answer_lines(results)]
    kpis = _report_kpis(results)
    scenario_lines = _scenario_lines(results, kpis) if results.run_scenarios else []
    if scenario_lines:
        lines += ["## Scenarios", "", *scenario_lines]
    if results.comparison is not None and kpis:
        shown = kpis[:SUMMARY_MAX_KPIS]
        rest = (
            f" The other KPIs ({', '.join(kpi_label(k) for k in kpis[SUMMARY_MAX_KPIS:])}) are read under "
            "Scenarios and in comparison.csv."
            if len(kpis) > SUMMARY_MAX_KPIS
            else ""
        )
        lines += [
            "## Summary",
            "",
            f"Mean difference against `{results.baseline}` (scenario minus baseline; + is more, {MINUS} is less), "
            "its share of the baseline's level in parentheses and its 95 % confidence interval in brackets. "
            "**Bold**: significant (the interval excludes 0) and material (at least the threshold of practical "
            "relevance); plain: significant but smaller; n.s.: not distinguishable from zero with these seeds. "
            "Shares (rates) in percentage points; totals over the counted weeks; k thousand, M million. The "
            "reference row gives the baseline's level." + rest,
            "",
            *_summary_table(results, shown),
            "",
            _material_note(results, shown),
            "",
        ]
    decomposition = _decomposition_lines(results)
    if decomposition:
        lines += ["## Where the kilometres come from", "", *decomposition]
    sweep = _sweep_lines(results, kpis)
    if sweep:
        lines += ["## Sweep", "", *sweep]
    if figures:
        lines += ["## Figures", ""]
        for i, (path, caption) in enumerate(figures, start=1):
            rel = path.relative_to(results.folder).as_posix()
            lines += [f"![Figure {i}]({rel})", "", f"*Figure {i} ([{rel}]({rel})). {caption}*", ""]
    km = _km_lines(results)
    if km:
        lines += ["## Kilometres saved per euro", "", *km, ""]
    lines += ["## Setup", "", *_setup_lines(results), ""]
    variance = _variance_lines(results)
    if variance:
        lines += ["## Variance reduction by pairing", "", *variance, ""]
    screening = _screening_lines(results)
    if screening:
        lines += ["## Screening (Morris)", "", *screening]
    plausible = _plausibility_lines(results)
    if plausible:
        lines += ["## Plausibility", "", *plausible, ""]
    lines += [
        "## Files",
        "",
        "`runs.csv` (one row per complete run), `comparison.csv` (per scenario and KPI: means, paired "
        "difference, 95 % CI), `decomposition.csv` (person-km and days or trips by kind), `screening.csv` "
        "(Morris), `runs/<job>/` (each run's tables), `figures/`.",
        "",
    ]
    report = results.folder / REPORT_FILE
    write_text_atomic(report, "\n".join(lines))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lieux-report <results folder>``: rebuild the figures and report.md from the files.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 2 when the folder is not a results folder (one line on stderr).
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="Rebuild the figures and report.md of an experiment's results folder."
    )
    parser.add_argument("folder", type=Path, help="results folder (results/<experiment>/<timestamp>/)")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.folder)
    except UserError as exc:
        print(f"{PROG}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError, KeyError) as exc:
        print(
            f"{PROG}: error: {args.folder}: cannot build the report ({one_line(str(exc))})", file=sys.stderr
        )
        return EXIT_USAGE
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
