"""The report of an experiment: figures (PNG) and ``report.md``, rebuilt from a results folder alone.

A results folder (docs/INTERFACES.md, "Experiments") holds ``runs/<job dir>/`` (finished runs),
``experiment.yaml``, ``runs.csv``, ``comparison.csv`` and, for a Morris screening, ``screening.csv``.
:func:`build_report` reads those files (nothing else: no configuration, no rerun) and writes

- ``figures/map.png``: the territory, zones shaded by population, places sized by occupancy and coloured by
  profile, one panel per scenario (one representative run each);
- ``figures/occupancy_heatmap.png``: occupancy of the busiest places by the 21 slots of the week, per scenario;
- ``figures/travel_cost.png``: person-km and CO2 saved, and the network cost difference, against the baseline
  with their 95 % confidence intervals (from ``comparison.csv``);
- ``figures/mutualisation.png``: cost per contact of each provider, baseline against each scenario;
- ``figures/screening.png``: Morris mu* against sigma per KPI (when ``screening.csv`` exists);
- ``report.md``: the question, the setup, a summary table, the figures with captions and a plain-language
  reading of the differences that are significant (the 95 % CI excludes 0) and of those that are not.

``lieux-report <results folder>`` (:func:`main`) does the same from the command line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import yaml
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from simulation.core.errors import InputFileError, UserError
from simulation.observe.console import kpi_unit
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import SUMMARY

PROG = "lieux-report"
EXIT_USAGE = 2
CONFIDENCE = 0.95

FIGURES_DIR = "figures"
REPORT_FILE = "report.md"

# KPIs read in sentences and shown in the summary table when the experiment does not list its own.
MAIN_KPIS: tuple[str, ...] = (
    "unmet_need_rate",
    "person_km_total",
    "co2_t",
    "network_cost_eur",
    "cost_per_contact_eur",
    "occupancy_rate",
    "access_share_20min",
)

# Plain words for the KPIs (the others are read from their names).
KPI_LABELS: dict[str, str] = {
    "occupancy_rate": "occupancy rate",
    "occupancy_rate_work": "desk occupancy",
    "occupancy_rate_mediation": "counter occupancy",
    "occupancy_rate_workshop": "workshop occupancy",
    "utilisation_rate": "utilisation rate",
    "contacts": "human contacts",
    "needs_human": "needs requiring a human contact",
    "unmet_need_rate": "unmet need rate",
    "mean_delay_days": "mean delay to a solution",
    "needs_per_trip": "needs solved per trip",
    "person_km_total": "person-km travelled",
    "person_km_work": "person-km of work trips",
    "person_km_service": "person-km of service trips",
    "person_km_workshop": "person-km of workshop trips",
    "travel_hours_total": "travel time",
    "co2_t": "CO2 emissions",
    "network_cost_eur": "network cost",
    "public_cost_eur": "public cost",
    "provider_cost_eur": "providers' cost",
    "cost_per_contact_eur": "cost per contact",
    "revenue_eur": "revenue",
    "subsidy_eur": "subsidies",
    "places_open_end": "places open at the end",
    "places_closed": "places closed",
    "multifunctional_places": "multifunctional places",
    "mixed_encounters": "mixed encounters",
    "access_share_20min": "share of adults within 20 min of a contact",
}

PROFILES: tuple[str, ...] = ("mediation", "work", "workshop", "multifunctional", "inert")
PROFILE_COLOURS: dict[str, str] = {
    "mediation": "#d62728",
    "work": "#1f77b4",
    "workshop": "#2ca02c",
    "multifunctional": "#9467bd",
    "inert": "#8c8c8c",
}
PROFILE_TEXT: dict[str, str] = {
    "mediation": "mediation (counters)",
    "work": "work (desks)",
    "workshop": "workshop (seats)",
    "multifunctional": "multifunctional (2+ activities)",
    "inert": "inert (no activity served)",
}
DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PARTS: tuple[str, ...] = ("AM", "PM", "EV")
HEATMAP_MAX_PLACES = 40
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
        scenarios: the scenarios, the baseline first.
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

    @property
    def others(self) -> list[str]:
        """The scenarios compared to the baseline."""
        return [s for s in self.scenarios if s != self.baseline]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputFileError(str(path), f"unreadable CSV ({_one_line(str(exc))})") from None


def _read_experiment(folder: Path) -> dict[str, Any]:
    path = folder / "experiment.yaml"
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(str(path), f"unreadable YAML ({_one_line(str(exc))})") from None
    if not isinstance(raw, dict):
        return {}
    flat = {k: v for k, v in raw.items() if k != "experiment"}
    section = raw.get("experiment")
    if isinstance(section, dict):
        flat.update(section)
    return flat


def _resolve_run_dir(folder: Path, run_dir: Any) -> Path | None:
    if not isinstance(run_dir, str) or not run_dir:
        return None
    candidate = Path(run_dir)
    for path in (candidate, folder / candidate, folder / "runs" / candidate):
        if (path / SUMMARY).is_file():
            return path
    return None


def _scan_runs(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """Rows of the finished runs under ``runs/`` (from their summary.json) and the unfinished job folders."""
    rows: list[dict[str, Any]] = []
    incomplete: list[str] = []
    root = folder / "runs"
    if not root.is_dir():
        return pd.DataFrame(), incomplete
    for job in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        summary = job / SUMMARY
        if not summary.is_file():
            incomplete.append(job.name)
            continue
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            incomplete.append(job.name)
            continue
        rows.append({"run_dir": f"runs/{job.name}", **data})
    return pd.DataFrame(rows), incomplete


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
    scanned, incomplete = _scan_runs(folder)
    runs_csv = folder / "runs.csv"
    runs = _read_csv(runs_csv) if runs_csv.is_file() else scanned
    if not runs.empty:
        if "scenario" not in runs:
            raise InputFileError(str(runs_csv), "no 'scenario' column; expected the columns of runs.csv", 1)
        runs["scenario"] = runs["scenario"].astype(str)
        run_dirs = runs["run_dir"] if "run_dir" in runs else pd.Series([None] * len(runs))
        runs["path"] = [_resolve_run_dir(folder, d) for d in run_dirs]
    comparison: pd.DataFrame | None = None
    comparison_path = folder / "comparison.csv"
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
    screening_path = folder / "screening.csv"
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
    recomputed = False
    if comparison is None and not runs.empty and screening is None and baseline in set(runs["scenario"]):
        kpis = [k for k in KPI_NAMES if k in runs.columns]
        pairing = str(experiment.get("pairing") or "paired")
        comparison = compare_runs(runs, baseline, kpis, pairing)
        recomputed = not comparison.empty
        if comparison.empty:
            comparison = None
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
    )


# --------------------------------------------------------------------------------------------------------
# Statistics (used when comparison.csv is absent, and for the variance reduction of pairing)
# --------------------------------------------------------------------------------------------------------


def paired_half_width(diffs: Sequence[float], confidence: float = CONFIDENCE) -> float:
    """Half-width of the t-interval of the mean of paired differences.

    Args:
        diffs: the per-seed differences.
        confidence: the confidence level.

    Returns:
        t_{n-1} x sd / sqrt(n); NaN with fewer than two differences.
    """
    d = np.asarray([x for x in diffs if x is not None and np.isfinite(x)], dtype=float)
    if d.size < 2:
        return math.nan
    return float(stats.t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size))


def welch_half_width(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> float:
    """Half-width of Welch's interval for the difference of two independent means.

    Args:
        a: the scenario's values.
        b: the baseline's values.
        confidence: the confidence level.

    Returns:
        t_nu x sqrt(s_a^2/n_a + s_b^2/n_b) with the Welch-Satterthwaite degrees of freedom nu; NaN with fewer
        than two values on a side; 0 when both variances are 0.
    """
    x = np.asarray([v for v in a if v is not None and np.isfinite(v)], dtype=float)
    y = np.asarray([v for v in b if v is not None and np.isfinite(v)], dtype=float)
    if x.size < 2 or y.size < 2:
        return math.nan
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se2 = va + vb
    if se2 == 0:
        return 0.0
    dof = se2**2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    return float(stats.t.ppf(0.5 + confidence / 2, dof) * math.sqrt(se2))


def compare_runs(
    runs: pd.DataFrame, baseline: str, kpis: Iterable[str], pairing: str = "paired"
) -> pd.DataFrame:
    """The rows of ``comparison.csv`` computed from ``runs.csv`` (docs/INTERFACES.md, "Experiments").

    Paired: the t-interval of the per-seed differences over the seeds both scenarios ran. Independent:
    Welch's interval.

    Args:
        runs: one row per run with ``scenario``, ``seed`` and the KPI columns.
        baseline: the reference scenario.
        kpis: the KPIs to compare.
        pairing: ``paired`` or ``independent``.

    Returns:
        One row per (scenario, kpi) for every scenario but the baseline, with the contract's columns.
    """
    rows: list[dict[str, Any]] = []
    base = runs[runs["scenario"] == baseline]
    scenarios = [s for s in dict.fromkeys(runs["scenario"]) if s != baseline]
    for scenario in scenarios:
        sc = runs[runs["scenario"] == scenario]
        for kpi in kpis:
            if kpi not in runs.columns:
                continue
            a = pd.to_numeric(sc[kpi], errors="coerce")
            b = pd.to_numeric(base[kpi], errors="coerce")
            if pairing == "paired":
                left = pd.Series(a.to_numpy(), index=sc["seed"].to_numpy()).groupby(level=0).mean()
                right = pd.Series(b.to_numpy(), index=base["seed"].to_numpy()).groupby(level=0).mean()
                common = left.index.intersection(right.index)
                d = (left[common] - right[common]).dropna()
                n = int(d.size)
                diff_mean = float(d.mean()) if n else math.nan
                diff_sd = float(d.std(ddof=1)) if n > 1 else math.nan
                half = paired_half_width(d.to_numpy())
                mean, base_mean = float(left[common].mean()), float(right[common].mean())
            else:
                a, b = a.dropna(), b.dropna()
                n = int(min(a.size, b.size))
                mean, base_mean = float(a.mean()), float(b.mean())
                diff_mean = mean - base_mean
                diff_sd = math.nan
                half = welch_half_width(a.to_numpy(), b.to_numpy())
            low, high = diff_mean - half, diff_mean + half
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "n": n,
                    "mean": mean,
                    "baseline_mean": base_mean,
                    "diff_mean": diff_mean,
                    "diff_sd": diff_sd,
                    "ci_low": low,
                    "ci_high": high,
                    "half_width": half,
                    "significant": bool(np.isfinite(half) and (low > 0 or high < 0)),
                    "pairing": pairing,
                }
            )
    return pd.DataFrame(rows)


def _own_variance_reduction(runs: pd.DataFrame, baseline: str, kpi: str) -> dict[str, float]:
    out: dict[str, float] = {}
    if kpi not in runs or "seed" not in runs:
        return out
    base = runs[runs["scenario"] == baseline].groupby("seed")[kpi].mean()
    for scenario in dict.fromkeys(runs["scenario"]):
        if scenario == baseline:
            continue
        sc = runs[runs["scenario"] == scenario].groupby("seed")[kpi].mean()
        common = sc.index.intersection(base.index)
        if len(common) < 2:
            continue
        paired = paired_half_width((sc[common] - base[common]).to_numpy())
        welch = welch_half_width(sc[common].to_numpy(), base[common].to_numpy())
        if np.isfinite(paired) and np.isfinite(welch) and paired > 0:
            out[str(scenario)] = welch / paired
    return out


def variance_reduction(results: Results, kpi: str = "person_km_total") -> dict[str, float]:
    """The variance reduction given by pairing: Welch half-width over paired half-width, per scenario.

    Uses ``simulation.experiments.variance_reduction(runs, kpi)`` when the runner provides it, else computes
    the ratio here from the runs (the Welch interval treats the same runs as if their seeds were independent).

    Args:
        results: the results folder.
        kpi: the KPI (the issue measures it on ``person_km_total``).

    Returns:
        {scenario: ratio} (key ``all`` when the runner returns one number); empty for an independent design or
        when fewer than two seeds are common.
    """
    if results.runs.empty or str(results.experiment.get("pairing") or "paired") != "paired":
        return {}
    recorded = results.experiment.get("variance_reduction")
    if isinstance(recorded, dict) and recorded.get("kpi", kpi) == kpi:
        parsed = _parse_ratio(recorded.get("ratio_independent_over_paired"))
        if parsed:
            return parsed
    try:
        from simulation.experiments import variance_reduction as runner_vr  # type: ignore[attr-defined]
    except ImportError:
        runner_vr = None
    if runner_vr is not None:
        try:
            runs = results.runs.drop(columns=["path"])
            if "overrides" in runs:  # an all-empty column reads back from CSV as float NaN
                runs["overrides"] = (
                    runs["overrides"].astype(object).where(runs["overrides"].notna(), "").astype(str)
                )
            value = runner_vr(runs, kpi, baseline=results.baseline)
            parsed = _parse_ratio(value)
            if parsed:
                return parsed
        except Exception:  # noqa: BLE001 - the runner's helper is optional; fall back to ours
            pass
    return _own_variance_reduction(results.runs, results.baseline, kpi)


def _parse_ratio(value: Any) -> dict[str, float]:
    """Read the runner's variance reduction: a number, a mapping, a Series or a DataFrame."""
    if isinstance(value, int | float | np.floating | np.integer):
        return {"all": float(value)} if np.isfinite(value) else {}
    if isinstance(value, pd.DataFrame):
        cols = [c for c in value.columns if "ratio" in str(c) or "reduction" in str(c)]
        if "scenario" in value and cols:
            return {str(s): float(r) for s, r in zip(value["scenario"], value[cols[0]], strict=False)}
        return {}
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(v, int | float | np.floating) and np.isfinite(v):
                out[str(k)] = float(v)
        return out
    return {}


# --------------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------------


def kpi_label(kpi: str) -> str:
    """Plain words for a KPI."""
    return KPI_LABELS.get(kpi, kpi.replace("_", " "))


def _is_share(kpi: str) -> bool:
    return kpi_unit(kpi) == "%"


def _number(value: float, digits: int = 3) -> str:
    """A number with about ``digits`` significant digits and thousands separators; minus sign as '-'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    if magnitude == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude))))
    return f"{value:,.{min(decimals, 6)}f}"


def ci_decimals(half_width: float) -> int | None:
    """Decimals to show a difference with, from the half-width of its interval (in the unit shown).

    One significant digit of the half-width, two when it starts with 1 or 2 (0.3 -> 1 decimal, 0.15 -> 2,
    4.2 -> 0); None when the half-width is 0 or undefined (then numbers keep 3 significant digits).

    Args:
        half_width: the half-width, in the unit the numbers are shown in (points for shares).

    Returns:
        The number of decimals (0 to 6), or None.
    """
    if half_width is None or not np.isfinite(half_width) or half_width <= 0:
        return None
    exponent = int(math.floor(math.log10(half_width)))
    leading = half_width / 10**exponent
    decimals = -exponent + (1 if leading < 2.95 else 0)
    return int(min(6, max(0, decimals)))


def _fixed(value: float, decimals: int | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if decimals is None:
        return _number(value)
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.0"
    return text


def format_amount(kpi: str, value: float, signed: bool = False, decimals: int | None = None) -> str:
    """A KPI amount with its unit: shares in points (of percentage), others in their unit.

    Args:
        kpi: the KPI name.
        value: the amount (a difference or a level).
        signed: prefix positive values with ``+``.
        decimals: fixed decimals (see :func:`ci_decimals`); default: 3 significant digits.

    Returns:
        e.g. ``3.4 points``, ``-12,300 person-km``, ``+1.2 t CO2``.
    """
    if value is None or not np.isfinite(value):
        return "n/a"
    unit = kpi_unit(kpi)
    text = _fixed(100 * value if unit == "%" else value, decimals)
    if signed and value > 0:
        text = "+" + text
    if unit == "%":
        return f"{text} points"
    return f"{text} {unit}" if unit else text


def format_level(kpi: str, value: float) -> str:
    """A KPI level (not a difference): shares in %, others in their unit."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if _is_share(kpi):
        return f"{_number(100 * value)} %"
    unit = kpi_unit(kpi)
    return f"{_number(value)} {unit}".strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_significant(row: pd.Series | dict[str, Any]) -> bool | None:
    """Whether the CI excludes 0 (None when the CI is undefined); the CI decides, the column is a fallback."""
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if _identical(row):
        return False
    if np.isfinite(low) and np.isfinite(high):
        return bool(low > 0 or high < 0)
    flag = row.get("significant")
    if isinstance(flag, str):
        return {"true": True, "false": False}.get(flag.strip().lower())
    if isinstance(flag, bool | np.bool_):
        return bool(flag)
    return None


def _identical(row: pd.Series | dict[str, Any]) -> bool:
    """Whether the scenario equals the baseline in every seed (a difference and interval at rounding noise)."""
    d = float(row.get("diff_mean", math.nan))
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    base = row.get("baseline_mean")
    scale = max(1.0, abs(float(base))) if base is not None and pd.notna(base) else 1.0
    values = np.array([d, low, high])
    return bool(np.isfinite(values).all() and np.abs(values).max() <= 1e-9 * scale)


def _row(results: Results, scenario: str, kpi: str) -> pd.Series | None:
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
    sig = _is_significant(row)
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
    if _identical(row):
        return f"The {label} under {scenario} is the same as in the baseline for every seed ({n_text})."
    return (
        f"The change in {label} under {scenario} ({format_amount(kpi, d, signed=True, decimals=dec)}, 95 % CI "
        f"{_ci_number(kpi, low, dec)} to {_ci_number(kpi, high, dec)}) is not distinguishable from zero with "
        f"{n_text}."
    )


def _ci_number(kpi: str, value: float, decimals: int | None = None) -> str:
    return _fixed(100 * value if _is_share(kpi) else value, decimals)


def _row_decimals(row: pd.Series | dict[str, Any]) -> int | None:
    """Decimals for a row's numbers, from its half-width in the unit shown."""
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    factor = 100.0 if _is_share(str(row["kpi"])) else 1.0
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
    if _identical(row):
        return "0 (every seed)"
    dec = _row_decimals(row)
    text = _ci_number(kpi, d, dec)
    if np.isfinite(d) and d > 0:
        text = "+" + text
    sig = _is_significant(row)
    if sig:
        text = f"**{text}**"
    if np.isfinite(low) and np.isfinite(high):
        text += f" [{_ci_number(kpi, low, dec)}, {_ci_number(kpi, high, dec)}]"
    return text


def _column_title(kpi: str) -> str:
    unit = "points" if _is_share(kpi) else kpi_unit(kpi)
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
    for scenario in results.scenarios:
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


def place_profiles(places: pd.DataFrame, slots: pd.DataFrame | None) -> pd.Series:
    """The profile of each place: mediation, work, workshop, multifunctional or inert.

    A place is inert when it serves no activity at the end (``active`` false). Otherwise its activities are
    those with capacity in ``slots.parquet`` (else those with desks, counters or workshop seats): two or more
    make it multifunctional.

    Args:
        places: places.csv of a run.
        slots: slots.parquet of the same run, or None.

    Returns:
        The profile per row of ``places`` (same index).
    """
    served: dict[str, set[str]] = {}
    if slots is not None and not slots.empty:
        open_rows = slots[slots["capacity"] > 0]
        for pid, acts in open_rows.groupby("place_id", observed=True)["activity"]:
            served[str(pid)] = {str(a) for a in acts.unique()}
    columns = {"work": "desks", "mediation": "counters", "workshop": "workshop_seats"}
    profiles = []
    for row in places.itertuples(index=False):
        active = str(getattr(row, "active", True)).strip().lower() in ("true", "1", "1.0")
        if not active:
            profiles.append("inert")
            continue
        acts = served.get(str(row.place_id))
        if not acts:
            acts = {a for a, c in columns.items() if float(getattr(row, c, 0) or 0) > 0}
        n_declared = int(getattr(row, "activities", 0) or 0)
        if len(acts) >= 2 or (n_declared >= 2 and len(acts) != 1):
            profiles.append("multifunctional")
        elif len(acts) == 1:
            profiles.append(next(iter(acts)))
        else:
            profiles.append("inert")
    return pd.Series(profiles, index=places.index)


def _read_table(path: Path, name: str) -> pd.DataFrame | None:
    file = path / (f"{name}.parquet" if name == "slots" else f"{name}.csv")
    if not file.is_file():
        return None
    try:
        return pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except (OSError, ValueError):
        return None


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(max_cols, max(1, n))
    return math.ceil(n / cols), cols


def _nearest_spacing(x: np.ndarray, y: np.ndarray) -> float:
    """Median distance to the nearest other zone (km)."""
    if x.size < 2:
        return 1.0
    pts = np.column_stack([x, y])
    if pts.shape[0] > 3000:
        pts = pts[:: pts.shape[0] // 3000 + 1]
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    nearest = nearest[np.isfinite(nearest) & (nearest > 0)]
    return float(np.median(nearest)) if nearest.size else 1.0


def map_figure(folder: Path | str, results: Results | None = None) -> Path | None:
    """Map of the territory, one panel per scenario (its representative run).

    Zones are grey circles shaded by their adult population (log scale); places sit around their zone's
    centre, coloured by profile and sized by their occupancy rate over the counted weeks.

    Args:
        folder: the results folder.
        results: the folder already read (default: read it).

    Returns:
        ``figures/map.png``, or None when no run folder has places.csv and zones.csv.
    """
    results = results or load_results(folder)
    panels: list[tuple[str, Path, pd.DataFrame, pd.DataFrame, pd.Series]] = []
    for scenario, path in _representatives(results).items():
        zones, places = _read_table(path, "zones"), _read_table(path, "places")
        if zones is None or places is None:
            continue
        profiles = place_profiles(places, _read_table(path, "slots"))
        panels.append((scenario, path, zones, places, profiles))
    if not panels:
        return None
    zones0 = panels[0][2]
    x_all, y_all = zones0["x_km"].to_numpy(float), zones0["y_km"].to_numpy(float)
    spacing = _nearest_spacing(x_all, y_all)
    pad = spacing
    xlim = (x_all.min() - pad, x_all.max() + pad)
    ylim = (y_all.min() - pad, y_all.max() + pad)
    rows, cols = _grid(len(panels))
    panel_in = 5.0
    aspect = (ylim[1] - ylim[0]) / max(xlim[1] - xlim[0], 1e-9)
    fig = Figure(figsize=(cols * panel_in + 1.2, rows * panel_in * aspect + 2.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    pop = zones0["population"].to_numpy(float)
    norm = mcolors.LogNorm(
        vmin=max(1.0, np.nanmin(pop[pop > 0]) if (pop > 0).any() else 1.0), vmax=max(2.0, np.nanmax(pop))
    )
    # marker area so that neighbouring zone circles nearly touch: km -> points
    points_per_km = panel_in * 0.8 * 72 / max(xlim[1] - xlim[0], 1e-9)
    zone_size = max(4.0, (0.9 * spacing * points_per_km) ** 2)
    greys = matplotlib.colormaps["Greys"]
    zone_cmap = mcolors.LinearSegmentedColormap.from_list("zones", [greys(0.06), greys(0.6)])
    territory = str(results.summaries.get(panels[0][0], {}).get("territory", "") or "the territory")
    mappable = None
    for ax, (scenario, path, zones, places, profiles) in zip(axes.flat, panels, strict=False):
        zpop = zones["population"].to_numpy(float)
        mappable = ax.scatter(
            zones["x_km"],
            zones["y_km"],
            s=zone_size,
            c=np.clip(zpop, norm.vmin, None),
            cmap=zone_cmap,
            norm=norm,
            marker="o",
            linewidths=0,
            zorder=1,
        )
        xy = zones.set_index(zones["zone_id"].astype(str))[["x_km", "y_km"]]
        p = places.assign(profile=profiles.to_numpy(), zone_id=places["zone_id"].astype(str))
        p = p[p["zone_id"].isin(xy.index)]
        # spread the places of a zone on a small circle around its centre
        rank = p.groupby("zone_id").cumcount().to_numpy()
        count = p.groupby("zone_id")["zone_id"].transform("size").to_numpy()
        # a ring for a few places, a sunflower spiral for many
        golden = np.pi * (3 - math.sqrt(5))
        ring = count <= 6
        angle = np.where(ring, 2 * np.pi * rank / np.maximum(count, 1), rank * golden)
        radius = np.where(
            ring,
            np.where(count > 1, 0.28 * spacing, 0.0),
            0.5 * spacing * np.sqrt((rank + 0.5) / np.maximum(count, 1)),
        )
        px = xy.loc[p["zone_id"], "x_km"].to_numpy() + radius * np.cos(angle)
        py = xy.loc[p["zone_id"], "y_km"].to_numpy() + radius * np.sin(angle)
        occ = pd.to_numeric(p["occupancy_rate"], errors="coerce").fillna(0).clip(0, 1.5).to_numpy()
        inert = (p["profile"] == "inert").to_numpy()
        ax.scatter(
            px[inert],
            py[inert],
            s=6,
            marker="x",
            c=PROFILE_COLOURS["inert"],
            linewidths=0.6,
            alpha=0.7,
            zorder=2,
        )
        for profile in PROFILES[:-1]:
            m = (p["profile"] == profile).to_numpy()
            if m.any():
                ax.scatter(
                    px[m],
                    py[m],
                    s=_occupancy_size(occ[m]),
                    c=PROFILE_COLOURS[profile],
                    edgecolors="black",
                    linewidths=0.5,
                    alpha=0.85,
                    zorder=3,
                )
        n_active = int((~inert).sum())
        ax.set_title(f"{scenario} ({_seed_text(path, results)}): {n_active} active places", fontsize=11)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=axes, shrink=0.6, pad=0.01)
        bar.set_label("adults living in the zone (log scale)")
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=8,
            markerfacecolor=PROFILE_COLOURS[p],
            markeredgecolor="black",
            label=PROFILE_TEXT[p],
        )
        for p in PROFILES[:-1]
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="x",
            linestyle="",
            markersize=6,
            color=PROFILE_COLOURS["inert"],
            label=PROFILE_TEXT["inert"],
        )
    )
    for occ_level in (0.25, 0.5, 1.0):
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=math.sqrt(_occupancy_size(np.array([occ_level]))[0]),
                markerfacecolor="white",
                markeredgecolor="black",
                label=f"occupancy {occ_level:.0%}",
            )
        )
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9, frameon=False)
    fig.suptitle(
        f"{territory}: zones shaded by population; places coloured by profile, sized by occupancy "
        "(counted weeks)",
        fontsize=13,
    )
    return _save(fig, results.folder, "map.png")


def _occupancy_size(occ: np.ndarray) -> np.ndarray:
    """Marker area (points^2) for an occupancy rate: area proportional to occupancy, a floor for empty places."""
    return 12.0 + 160.0 * np.asarray(occ, dtype=float)


def occupancy_grid(slots: pd.DataFrame) -> pd.DataFrame:
    """Occupancy per place and slot of the week: users / capacity summed over weeks and activities.

    Args:
        slots: slots.parquet of a run.

    Returns:
        A frame indexed by place_id with 21 columns (slot index ``day * 3 + part``, Mon AM .. Sun EV); NaN where
        the place never opened in that slot.
    """
    day = slots["day"].astype(str).map({d: i for i, d in enumerate(DAYS)})
    part = slots["slot"].astype(str).map({p: i for i, p in enumerate(PARTS)})
    frame = pd.DataFrame(
        {
            "place_id": slots["place_id"].astype(str).to_numpy(),
            "s": (day * 3 + part).to_numpy(),
            "users": slots["users"].to_numpy(float),
            "capacity": slots["capacity"].to_numpy(float),
        }
    )
    agg = frame.groupby(["place_id", "s"])[["users", "capacity"]].sum()
    ratio = (agg["users"] / agg["capacity"].where(agg["capacity"] > 0)).unstack("s")
    return ratio.reindex(columns=range(21))


def heatmap_figure(folder: Path | str, results: Results | None = None) -> Path | None:
    """Occupancy heatmap: the busiest active places by the 21 slots of the week, one panel per scenario.

    Args:
        folder: the results folder.
        results: the folder already read (default: read it).

    Returns:
        ``figures/occupancy_heatmap.png``, or None when no run has slots.parquet.
    """
    results = results or load_results(folder)
    panels: list[tuple[str, Path, pd.DataFrame, int, dict[str, str]]] = []
    for scenario, path in _representatives(results).items():
        slots = _read_table(path, "slots")
        if slots is None or slots.empty:
            continue
        places = _read_table(path, "places")
        profile_of: dict[str, str] = {}
        if places is not None:
            profile_of = dict(zip(places["place_id"].astype(str), place_profiles(places, slots), strict=True))
        grid = occupancy_grid(slots)
        users = slots.assign(place_id=slots["place_id"].astype(str)).groupby("place_id")["users"].sum()
        if places is not None and "active" in places:
            active_ids = set(
                places.loc[places["active"].astype(str).str.lower() == "true", "place_id"].astype(str)
            )
            grid = grid[grid.index.isin(active_ids)]
        n_active = len(grid)
        order = users.reindex(grid.index).fillna(0).sort_values(ascending=False, kind="stable").index
        grid = grid.loc[order[:HEATMAP_MAX_PLACES]]
        panels.append((scenario, path, grid, n_active, profile_of))
    if not panels:
        return None
    rows, cols = _grid(len(panels))
    max_rows = max(len(p[2]) for p in panels)
    panel_h = 1.6 + 0.16 * max(max_rows, 5)
    fig = Figure(figsize=(cols * 5.6 + 1.0, rows * panel_h + 1.2), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="#e6e6e6")
    image = None
    over = False
    for ax, (scenario, path, grid, n_active, profile_of) in zip(axes.flat, panels, strict=False):
        values = grid.to_numpy(float)
        over = over or bool(np.nanmax(values, initial=0) > 1.0)
        image = ax.imshow(
            np.ma.masked_invalid(values), aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest"
        )
        ax.set_xticks(range(21))
        ax.set_xticklabels(
            [f"{d} {p}" if p == "AM" else p for d in DAYS for p in PARTS], rotation=90, fontsize=7
        )
        ax.set_yticks(range(len(grid)))
        ax.set_yticklabels(list(grid.index), fontsize=6)
        for label in ax.get_yticklabels():
            label.set_color(PROFILE_COLOURS.get(profile_of.get(label.get_text(), ""), "black"))
        for boundary in range(3, 21, 3):
            ax.axvline(boundary - 0.5, color="white", linewidth=1.5)
        shown = (
            f"the {len(grid)} busiest of {n_active} active places"
            if n_active > len(grid)
            else (f"all {n_active} active places")
        )
        ax.set_title(f"{scenario} ({_seed_text(path, results)}): {shown}", fontsize=10)
        ax.set_xlabel("slot of the week (AM, PM, EV of each day)")
        ax.set_ylabel("place (busiest first)")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.5, pad=0.01, extend="max" if over else "neither")
        bar.set_label("occupancy (users / capacity, all activities, mean over weeks)")
    handles = [Patch(color=PROFILE_COLOURS[p], label=PROFILE_TEXT[p]) for p in PROFILES[:-1]]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=4,
        fontsize=9,
        frameon=False,
        title="colour of the place's name: its profile",
        title_fontsize=9,
    )
    fig.suptitle("Occupancy by slot of the week (grey: closed)", fontsize=13)
    return _save(fig, results.folder, "occupancy_heatmap.png")


def _bar_panel(
    ax: Any,
    labels: list[str],
    values: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    sig: list[bool | None],
    colour: str,
    xlabel: str,
    title: str,
) -> None:
    y = np.arange(len(labels))
    face = [colour if s else "white" for s in sig]
    ax.barh(y, values, color=face, edgecolor=colour, hatch=None, linewidth=1.5, height=0.6)
    err = np.vstack([values - low, high - values])
    err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
    ax.errorbar(values, y, xerr=err, fmt="none", ecolor="black", capsize=4, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)


def travel_cost_figure(folder: Path | str, results: Results | None = None) -> Path | None:
    """Travel saved (person-km, CO2) and network cost difference per scenario against the baseline, 95 % CIs.

    Saved amounts are the negative of the paired differences (positive = less than the baseline); filled bars
    are significant (the CI excludes 0), hollow bars are not.

    Args:
        folder: the results folder.
        results: the folder already read (default: read it).

    Returns:
        ``figures/travel_cost.png``, or None when comparison.csv has none of the three KPIs.
    """
    results = results or load_results(folder)
    if results.comparison is None:
        return None
    weeks = _weeks(results)
    period = f"over {weeks} counted weeks" if weeks else "over the counted weeks"
    specs = [
        ("person_km_total", -1.0, 1e-3, "#1f77b4", "thousand person-km saved", "Travel saved (person-km)"),
        ("co2_t", -1.0, 1.0, "#2ca02c", "tonnes of CO2 saved", "CO2 saved"),
        ("network_cost_eur", 1.0, 1e-3, "#d62728", "extra network cost (thousand EUR)", "Network cost"),
    ]
    specs = [s for s in specs if (results.comparison["kpi"] == s[0]).any()]
    if not specs:
        return None
    scenarios = [s for s in results.others if (results.comparison["scenario"] == s).any()]
    fig = Figure(figsize=(5.0 * len(specs), 1.6 + 0.55 * len(scenarios)), layout="constrained")
    axes = fig.subplots(1, len(specs), squeeze=False)[0]
    n_values: set[int] = set()
    for ax, (kpi, sign, scale, colour, xlabel, title) in zip(axes, specs, strict=True):
        vals, lows, highs, sig = [], [], [], []
        for scenario in scenarios:
            row = _row(results, scenario, kpi)
            if row is None:
                vals.append(np.nan)
                lows.append(np.nan)
                highs.append(np.nan)
                sig.append(None)
                continue
            if "n" in row and pd.notna(row["n"]):
                n_values.add(int(row["n"]))
            a, b = sign * float(row["ci_low"]) * scale, sign * float(row["ci_high"]) * scale
            vals.append(sign * float(row["diff_mean"]) * scale)
            lows.append(min(a, b))
            highs.append(max(a, b))
            sig.append(_is_significant(row))
        _bar_panel(ax, scenarios, np.array(vals), np.array(lows), np.array(highs), sig, colour, xlabel, title)
    legend = [
        Patch(facecolor="grey", edgecolor="grey", label="significant (95 % CI excludes 0)"),
        Patch(facecolor="white", edgecolor="grey", label="not distinguishable from 0"),
        Line2D([], [], color="black", marker="|", markersize=10, label="95 % confidence interval"),
    ]
    fig.legend(handles=legend, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    n_text = f"{'/'.join(str(n) for n in sorted(n_values))} seeds" if n_values else "the seeds"
    pairing = str(_first(results.comparison, "pairing") or results.experiment.get("pairing") or "paired")
    fig.suptitle(
        f"Against {results.baseline}, {period}: travel saved (positive = less travel) and extra network cost\n"
        f"mean {pairing} difference over {n_text}, 95 % confidence intervals",
        fontsize=12,
    )
    return _save(fig, results.folder, "travel_cost.png")


def _first(frame: pd.DataFrame, column: str) -> Any:
    if column not in frame or frame.empty:
        return None
    values = frame[column].dropna()
    return values.iloc[0] if not values.empty else None


def provider_costs(results: Results) -> pd.DataFrame:
    """Cost per contact per provider and scenario, the mean over the runs (seeds) of each scenario.

    An extra provider ``all providers`` is the total cost over the total contacts of each run.

    Args:
        results: the results folder.

    Returns:
        Columns ``scenario, provider, mean, sd, n`` (EUR per contact).
    """
    rows: list[dict[str, Any]] = []
    if results.runs.empty or "path" not in results.runs:
        return pd.DataFrame(columns=["scenario", "provider", "mean", "sd", "n"])
    for run in results.runs.itertuples(index=False):
        if run.path is None:
            continue
        prov = _read_table(Path(run.path), "providers")
        if prov is None or prov.empty:
            continue
        cost = pd.to_numeric(prov["cost_eur"], errors="coerce")
        contacts = pd.to_numeric(prov["contacts"], errors="coerce")
        per = np.where(contacts > 0, cost / contacts.where(contacts > 0), np.nan)
        for pid, value in zip(prov["provider_id"].astype(str), per, strict=True):
            rows.append({"scenario": run.scenario, "provider": pid, "value": value})
        total = float(contacts.sum())
        rows.append(
            {
                "scenario": run.scenario,
                "provider": "all providers",
                "value": float(cost.sum()) / total if total > 0 else np.nan,
            }
        )
    if not rows:
        return pd.DataFrame(columns=["scenario", "provider", "mean", "sd", "n"])
    frame = pd.DataFrame(rows)
    agg = frame.groupby(["scenario", "provider"], sort=False)["value"].agg(["mean", "std", "count"])
    return agg.rename(columns={"std": "sd", "count": "n"}).reset_index()


def mutualisation_figure(folder: Path | str, results: Results | None = None) -> Path | None:
    """Cost per contact per provider, the baseline against each scenario (grouped bars, mean over seeds).

    Args:
        folder: the results folder.
        results: the folder already read (default: read it).

    Returns:
        ``figures/mutualisation.png``, or None when no run has providers.csv.
    """
    results = results or load_results(folder)
    costs = provider_costs(results)
    if costs.empty:
        return None
    scenarios = [s for s in results.scenarios if (costs["scenario"] == s).any()]
    providers = list(dict.fromkeys(costs["provider"]))
    table = costs.pivot(index="provider", columns="scenario", values="mean").reindex(
        index=providers, columns=scenarios
    )
    sd = costs.pivot(index="provider", columns="scenario", values="sd").reindex(
        index=providers, columns=scenarios
    )
    n_max = int(costs["n"].max())
    n_bars = len(providers) * max(1, len(scenarios))
    fig = Figure(figsize=(max(9.0, min(15.0, 0.22 * n_bars + 3)), 6.0), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(scenarios))
    x = np.arange(len(providers))
    palette = matplotlib.colormaps["tab10"]
    for i, scenario in enumerate(scenarios):
        colour = "#4d4d4d" if scenario == results.baseline else palette(i % 10)
        err = sd[scenario].to_numpy(float) if n_max > 1 else None
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            table[scenario].to_numpy(float),
            width,
            yerr=err,
            color=colour,
            label=scenario + (" (reference)" if scenario == results.baseline else ""),
            error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "black"},
        )
    ax.set_xticks(x)
    ax.set_xticklabels(providers, rotation=0)
    ax.set_xlabel("provider (all providers: total providers' cost / total contacts)")
    ax.set_ylabel("cost per contact (EUR per need solved)")
    finite = table.to_numpy(float)[np.isfinite(table.to_numpy(float))]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 25:
        ax.set_yscale("log")
        ax.set_ylabel("cost per contact (EUR per need solved, log scale)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9, ncol=min(3, len(scenarios)), loc="upper right")
    seeds = f"mean over {n_max} seed{'s' if n_max != 1 else ''}" + (", bars: ± 1 sd" if n_max > 1 else "")
    ax.set_title(f"Mutualisation: what each provider pays per contact ({seeds})", fontsize=12)
    return _save(fig, results.folder, "mutualisation.png")


def screening_figure(folder: Path | str, results: Results | None = None) -> Path | None:
    """Morris screening: mu* against sigma per KPI, each point a parameter (labelled).

    Args:
        folder: the results folder.
        results: the folder already read (default: read it).

    Returns:
        ``figures/screening.png``, or None when there is no screening.csv.
    """
    results = results or load_results(folder)
    scr = results.screening
    if scr is None or scr.empty:
        return None
    kpis = list(dict.fromkeys(scr["kpi"].astype(str)))
    rows, cols = _grid(len(kpis))
    fig = Figure(figsize=(cols * 5.2, rows * 4.6 + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        part = scr[scr["kpi"].astype(str) == kpi]
        mu = part["mu_star"].to_numpy(float)
        sigma = part["sigma"].to_numpy(float)
        conf = part["mu_star_conf"].to_numpy(float) if "mu_star_conf" in part else None
        ax.errorbar(mu, sigma, xerr=conf, fmt="o", color="#1f77b4", ecolor="#9ecae1", capsize=2, markersize=5)
        top = float(np.nanmax(np.concatenate([mu, sigma]))) if mu.size else 1.0
        top = top if np.isfinite(top) and top > 0 else 1.0
        ax.plot(
            [0, top * 1.1],
            [0, top * 1.1],
            linestyle="--",
            color="grey",
            linewidth=0.8,
            label="sigma = mu* (strong non-linearity / interactions above)",
        )
        for xm, ys, name in zip(mu, sigma, part["parameter"].astype(str), strict=True):
            if np.isfinite(xm) and np.isfinite(ys):
                ax.annotate(
                    _short_param(name), (xm, ys), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
        unit = kpi_unit(kpi)
        unit_text = f" ({'share' if unit == '%' else unit})" if unit else ""
        ax.set_xlabel(f"mu* = mean |elementary effect|{unit_text}")
        ax.set_ylabel(f"sigma = sd of elementary effects{unit_text}")
        ax.set_title(kpi_label(kpi), fontsize=11)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Morris screening: parameters to the right matter; above the dashed line they interact", fontsize=12
    )
    return _save(fig, results.folder, "screening.png")


def _short_param(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else name


def _save(fig: Figure, folder: Path, name: str) -> Path:
    out = folder / FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=110)
    return path


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
    comp = results.comparison
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
        extra = []
        if first.get("n_residents") is not None and pd.notna(first.get("n_residents")):
            extra.append(f"{int(first['n_residents']):,} adults")
        if first.get("n_places") is not None and pd.notna(first.get("n_places")):
            extra.append(f"{int(first['n_places'])} places in the baseline")
        sample = first.get("sample_rate")
        if sample is not None and pd.notna(sample) and float(sample) < 1:
            extra.append(f"{float(sample):.0%} of the adults simulated")
        lines.append(f"- **Territory**: {territory}" + (f" ({', '.join(extra)})" if extra else "") + ".")
    scen = ", ".join(f"`{s}`" for s in results.others)
    lines.append(f"- **Scenarios**: `{results.baseline}` (the reference) against {scen or 'none'}.")
    if not runs.empty and "seed" in runs:
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
    pairing = str(
        ex.get("pairing")
        or (_first(results.comparison, "pairing") if results.comparison is not None else None)
        or "paired"
    )
    if pairing == "paired":
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
        lines.append(f"- **Command**: `{_one_line(str(command))}`")
    if results.comparison_recomputed:
        lines.append("- comparison.csv was absent: the differences were computed here from runs.csv.")
    return lines


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
        base_cells.append(
            f"level {format_level(k, float(base))}" if base is not None and pd.notna(base) else ""
        )
    lines.append(f"| {results.baseline} (reference) | " + " | ".join(base_cells) + " |")
    for scenario in results.others:
        cells = [_cell(_row(results, scenario, k), k) for k in kpis]
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
    for scenario in results.others:
        km, cost = _row(results, scenario, "person_km_total"), _row(results, scenario, "network_cost_eur")
        if km is None or cost is None:
            continue
        saved, extra = -float(km["diff_mean"]), float(cost["diff_mean"])
        km_sig, cost_sig = _is_significant(km), _is_significant(cost)
        ratio = math.nan
        if km_sig and cost_sig and saved > 0 and extra > 0:
            ratio = saved / extra
            verdict = (
                f"{scenario} saves {_number(ratio)} person-km per extra euro of network cost "
                f"({_number(saved)} person-km for {_number(extra)} EUR)."
            )
        elif km_sig and cost_sig and saved > 0 and extra < 0:
            verdict = (
                f"{scenario} saves {_number(saved)} person-km and {_number(-extra)} EUR of network cost: "
                "it wins on both counts (no trade-off to price)."
            )
        elif km_sig and saved > 0 and not cost_sig:
            verdict = (
                f"{scenario} saves {_number(saved)} person-km at a network cost not distinguishable from "
                "the baseline's: the ratio is not estimable."
            )
        elif km_sig and saved < 0:
            verdict = f"{scenario} adds {_number(-saved)} person-km of travel: it saves none."
        else:
            verdict = (
                f"{scenario}: its travel saving ({_number(saved)} person-km) is not distinguishable from "
                "zero, so no km-per-euro figure is given."
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
        lines.append(f"**{scenario}**")
        lines.append("")
        for kpi in kpis:
            row = _row(results, scenario, kpi)
            if row is not None:
                lines.append(f"- {sentence(row)}")
        others = rows[~rows["kpi"].isin(kpis)]
        sig_other = [r for _, r in others.iterrows() if _is_significant(r)]
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
        "| scenario | person-km saved | extra network cost (EUR) | person-km per extra EUR |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        km = _number(r["km_saved"]) + ("" if r["km_sig"] else " (n.s.)")
        cost = _number(r["extra_cost"]) + ("" if r["cost_sig"] else " (n.s.)")
        ratio = _number(r["ratio"]) if np.isfinite(r["ratio"]) else "-"
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
        lines.append(
            f"**Answer**: {names} save{'s' if len(dominant) == 1 else ''} kilometres and money at once."
        )
    if priced:
        best = max(priced, key=lambda r: r["ratio"])
        lines.append(
            f"**Answer**: of the strategies whose saving and extra cost are both significant, {best['scenario']} "
            f"saves the most kilometres per euro: {_number(best['ratio'])} person-km per extra euro."
        )
    elif not dominant:
        saving = [r["scenario"] for r in rows if r["km_sig"] and r["km_saved"] > 0]
        if saving:
            lines.append(
                f"**Answer**: {', '.join(saving)} save{'s' if len(saving) == 1 else ''} kilometres significantly, "
                "but the extra network cost is not distinguishable from zero: the kilometres per euro cannot be "
                "priced with these seeds."
            )
            return lines
        lines.append(
            "**Answer**: no strategy has both a significant travel saving and a significant extra cost; "
            "more seeds (or weeks) would be needed to price the kilometres saved."
        )
    return lines


def _variance_lines(results: Results) -> list[str]:
    ratios = variance_reduction(results)
    if not ratios:
        pairing = str(results.experiment.get("pairing") or "paired")
        if pairing != "paired":
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
    lines += [f"| {s} | {_number(r)} |" for s, r in ratios.items()]
    finite = [r for r in ratios.values() if np.isfinite(r)]
    if finite:
        lines.append("")
        lines.append(
            f"Median over the scenarios: pairing narrows the interval {_number(float(np.median(finite)))} "
            "times."
        )
    return lines


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
                f"| `{r.parameter}` | {_number(mu_star)} | {_number(conf)} | {_number(sigma)} | "
                f"{_number(ratio)} | {_number(mu)} |"
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


def _question(results: Results) -> str:
    q = results.experiment.get("question")
    if isinstance(q, str) and q.strip():
        return _one_line(q)
    if results.screening is not None and results.comparison is None:
        return "Which behavioural and economic parameters move the KPIs most, and which can be left at their defaults?"
    return (
        f"Which strategy saves the most kilometres per euro against `{results.baseline}` on this territory, "
        "what does it change for access, occupancy and costs, and how sure are we?"
    )


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
    builders: list[tuple[Callable[..., Path | None], str]] = [
        (
            travel_cost_figure,
            "Travel saved (person-km, CO2; positive = less than the baseline) and extra network cost per "
            "scenario, mean paired difference against the baseline with its 95 % confidence interval. Filled bars: "
            "significant (the interval excludes 0); hollow bars: not distinguishable from zero.",
        ),
        (
            map_figure,
            "The territory in each scenario (one representative run: the first seed). Grey circles: zones, darker "
            "for more adults. Coloured markers: places, by profile (red mediation, blue work, green workshop, purple "
            "multifunctional; grey crosses: places serving nothing), the area proportional to their occupancy rate "
            "over the counted weeks; the places of a zone are spread around its centre.",
        ),
        (
            heatmap_figure,
            "Occupancy (users / capacity, all activities, mean over the counted weeks) of the busiest active places "
            f"(at most {HEATMAP_MAX_PLACES} per panel, busiest on top) by slot of the week; grey cells: closed. "
            "One representative run per scenario.",
        ),
        (
            mutualisation_figure,
            "Mutualisation: each provider's cost (its shares of the places' costs plus its permanence staff) per "
            "contact, mean over the seeds, the baseline (dark grey) against each scenario; 'all providers' is the "
            "total over the total contacts.",
        ),
        (
            screening_figure,
            "Morris screening: for each KPI, each parameter's mean absolute elementary effect mu* (horizontal, with "
            "its 95 % bootstrap interval) against their spread sigma; to the right: influential; above the dashed "
            "line: non-linear or interacting.",
        ),
    ]
    figures: list[tuple[Path, str]] = []
    for builder, caption in builders:
        path = builder(results.folder, results)
        if path is not None:
            figures.append((path, caption))

    name = results.experiment.get("name") or results.folder.name
    lines = [
        f"# Report: {name}",
        "",
        f"Results folder `{results.folder}`; rebuild with `{PROG} <folder>`.",
        "",
    ]
    lines += ["## Question", "", _question(results), ""]
    lines += ["## Setup", "", *_setup_lines(results), ""]
    kpis = _report_kpis(results)
    if results.comparison is not None and kpis:
        shown = kpis[:SUMMARY_MAX_KPIS]
        rest = (
            f" The other KPIs ({', '.join(kpis[SUMMARY_MAX_KPIS:])}) are read below and in comparison.csv."
            if len(kpis) > SUMMARY_MAX_KPIS
            else ""
        )
        lines += [
            "## Summary",
            "",
            f"Mean difference against `{results.baseline}` (scenario minus baseline) and its 95 % confidence "
            "interval in brackets; **bold**: significant (the interval excludes 0). Shares (rates) in "
            "percentage points; totals over the counted weeks. The reference row gives the baseline's level."
            + rest,
            "",
            *_summary_table(results, shown),
            "",
        ]
    if figures:
        lines += ["## Figures", ""]
        for i, (path, caption) in enumerate(figures, start=1):
            rel = path.relative_to(results.folder).as_posix()
            lines += [f"![Figure {i}]({rel})", "", f"*Figure {i} ([{rel}]({rel})). {caption}*", ""]
    reading = _reading_lines(results, kpis)
    if reading:
        lines += [
            "## Reading",
            "",
            "A difference is called significant when its 95 % confidence interval excludes zero; otherwise "
            "it is not distinguishable from zero with the seeds run (it may exist, but is smaller than the "
            "noise between seeds).",
            "",
            *reading,
        ]
    km = _km_lines(results)
    if km:
        lines += ["## Kilometres saved per euro", "", *km, ""]
    variance = _variance_lines(results)
    if variance:
        lines += ["## Variance reduction by pairing", "", *variance, ""]
    screening = _screening_lines(results)
    if screening:
        lines += ["## Screening (Morris)", "", *screening]
    lines += [
        "## Files",
        "",
        "`runs.csv` (one row per complete run), `comparison.csv` (per scenario and KPI: means, paired "
        "difference, 95 % CI), `screening.csv` (Morris), `runs/<job>/` (each run's tables), `figures/`.",
        "",
    ]
    report = results.folder / REPORT_FILE
    report.write_text("\n".join(lines), encoding="utf-8")
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
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError, KeyError) as exc:
        print(
            f"{PROG}: error: {args.folder}: cannot build the report ({_one_line(str(exc))})", file=sys.stderr
        )
        return EXIT_USAGE
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
