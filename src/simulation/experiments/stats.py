"""The statistics of experiments (the only copy): intervals of differences, the comparison table, pairing's gain.

Every scenario is compared with the baseline KPI by KPI; ``comparison.csv`` has one row per (scenario, kpi)
(:data:`COMPARISON_COLUMNS`). Runs whose KPI is missing (NaN) are left out of that KPI. With a grid, each grid
point (the swept keys' columns of ``runs.csv``) is compared with the baseline at the same point, and
``comparison.csv`` has a column per swept key; :func:`response_table` gives each KPI against each swept
parameter (``response.csv``, the sweep figures).

Paired (``pairing: paired``, common random numbers: replicate ``r`` runs with seed ``r`` in every scenario).
Runs are matched on ``seed``; only the seeds both the scenario and the baseline ran count. With
``d_i = x_i - y_i`` the per-seed differences:

* ``n = n_baseline`` = the number of pairs; ``mean``, ``baseline_mean`` = the means over those pairs;
* ``diff_mean = mean(d)``, ``diff_sd = sd(d)`` (ddof 1);
* ``half_width = t(1 - alpha/2, n - 1) x diff_sd / sqrt(n)`` (Student's t-interval of the mean difference).

Independent (``pairing: independent``: no seed shared). The arms may have different sizes (a missing job):

* ``n`` = the scenario's runs ``n_x``, ``n_baseline`` = the baseline's runs ``n_y``; ``mean``,
  ``baseline_mean`` = the mean of each arm over all its runs;
* ``diff_mean = mean(x) - mean(y)``, ``diff_sd = sqrt(s_x^2 + s_y^2)``;
* ``half_width = t(1 - alpha/2, nu) x sqrt(s_x^2/n_x + s_y^2/n_y)`` with the Welch-Satterthwaite degrees of
  freedom ``nu = se^4 / ((s_x^2/n_x)^2/(n_x - 1) + (s_y^2/n_y)^2/(n_y - 1))`` (Welch's interval).

Why these definitions. ``diff_sd`` means the same thing under both pairings: the standard deviation of the
difference between one run of the scenario and one run of the baseline (paired: of one per-seed difference;
independent: the two runs are independent, so the variances add). It is therefore defined whatever the arm
sizes, and comparing it across pairings shows the variance that pairing removes. ``n`` alone cannot describe two
arms of different sizes (``min(n_x, n_y)`` would hide runs that do enter the interval), so the baseline's arm
size is its own column, ``n_baseline``; with both sizes and both means the Welch interval can be checked by hand.

``significant`` is True when the interval excludes 0. Differences at rounding noise (below ``1e-9`` of the values,
e.g. sums of costs in another order) are set to 0 first, so that a scenario identical to the baseline is never
"significant". Intervals need 2 values per arm (paired: 2 pairs); otherwise ``diff_sd``, the interval and
``half_width`` are NaN.

All functions are pure (tables in, tables out).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation.observe.metrics import KPI_NAMES

if TYPE_CHECKING:
    from simulation.core.config import ExperimentConfig

CONFIDENCE = 0.95  # level of the confidence intervals of comparison.csv
COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "n",
    "n_baseline",
    "mean",
    "baseline_mean",
    "diff_mean",
    "diff_sd",
    "ci_low",
    "ci_high",
    "half_width",
    "significant",
    "pairing",
)
VARIANCE_REDUCTION_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "n",
    "half_width_paired",
    "half_width_independent",
    "ratio",
)
RESPONSE_COLUMNS: tuple[str, ...] = (
    "parameter",
    "value",
    "scenario",
    "kpi",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
)
RTOL = 1e-9  # differences smaller than this share of the values are rounding noise (e.g. sums of costs)


# --------------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------------
def paired_interval(diffs: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean, standard deviation and t-interval half-width of paired differences.

    ``half = t(1 - alpha/2, n - 1) x sd / sqrt(n)`` with ``sd`` the sample standard deviation (ddof 1); NaN when
    fewer than 2 differences.

    Args:
        diffs: the per-seed differences.
        confidence: the confidence level.

    Returns:
        ``(mean, sd, half_width)``.
    """
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
    return mean, sd, half


def welch_interval(
    x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float, float]:
    """Difference of means ``mean(x) - mean(y)`` of two independent samples with Welch's t-interval.

    ``se = sqrt(sx^2/nx + sy^2/ny)``, Welch-Satterthwaite degrees of freedom
    ``df = se^4 / ((sx^2/nx)^2/(nx-1) + (sy^2/ny)^2/(ny-1))``, ``half = t(1 - alpha/2, df) x se``. When both
    variances are 0, ``half`` is 0. NaN when either sample has fewer than 2 values.

    Args:
        x: the scenario's values.
        y: the baseline's values.
        confidence: the confidence level.

    Returns:
        ``(diff, sd, half_width, df)`` where ``sd = sqrt(sx^2 + sy^2)`` (the standard deviation of the
        difference of one run of each).
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    nx, ny = len(a), len(b)
    diff = float(a.mean() - b.mean()) if nx and ny else math.nan
    if nx < 2 or ny < 2:
        return diff, math.nan, math.nan, math.nan
    vx, vy = float(a.var(ddof=1)), float(b.var(ddof=1))
    sd = math.sqrt(vx + vy)
    se2 = vx / nx + vy / ny
    if se2 == 0:
        return diff, sd, 0.0, float(nx + ny - 2)
    df = se2**2 / ((vx / nx) ** 2 / (nx - 1) + (vy / ny) ** 2 / (ny - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df) * math.sqrt(se2))
    return diff, sd, half, float(df)


def _denoise(diffs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differences with rounding noise set to 0, so that two identical results are not 'significant'."""
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(np.abs(diffs) <= RTOL * scale, 0.0, diffs)


# --------------------------------------------------------------------------------------------------
# The comparison table
# --------------------------------------------------------------------------------------------------
def groups(runs: pd.DataFrame) -> list[str]:
    """The grid points present (the ``overrides`` strings of ``runs.csv``; one empty group without a grid)."""
    if "overrides" not in runs.columns:
        return [""]
    return sorted(_overrides(runs).unique().tolist()) or [""]


def _overrides(runs: pd.DataFrame) -> pd.Series:
    # an all-empty column reads back from CSV as float NaN
    return runs["overrides"].astype(object).where(runs["overrides"].notna(), "").astype(str)


def _in_groups(runs: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    if "overrides" not in runs.columns:
        yield "", runs
        return
    overrides = _overrides(runs)
    for group in groups(runs):
        yield group, runs[overrides == group]


def point_text(point: Mapping[str, Any] | str) -> str:
    """A grid point in a few words: ``remote_days_per_week=1, teleworkable_share=0.35``.

    Keys are shortened to their last part (as the job folders are named).

    Args:
        point: ``{dotted.key: value}``, or the ``overrides`` text of runs.csv (``key=value`` separated by spaces).
    """
    if isinstance(point, str):
        pairs = [part.split("=", 1) for part in point.split() if "=" in part]
    else:
        pairs = [[str(k), v] for k, v in point.items()]
    return ", ".join(f"{str(k).rsplit('.', 1)[-1]}={_value_text(v)}" for k, v in pairs)


def _value_text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def label(scenario: str, group: Mapping[str, Any] | str) -> str:
    """A scenario at a grid point, for people: ``<scenario>``, or ``<scenario> [<key>=<value>, ...]``."""
    text = point_text(group) if group else ""
    return f"{scenario} [{text}]" if text else scenario


def grid_columns(runs: pd.DataFrame, keys: Sequence[str] | None) -> list[str]:
    """The grid keys that are columns of ``runs`` (runs.csv names a column after each swept key)."""
    return [k for k in keys or [] if k in runs.columns]


def _points(runs: pd.DataFrame, keys: Sequence[str]) -> Iterable[tuple[dict[str, Any], pd.DataFrame]]:
    """The runs of each grid point, ``({key: value}, runs)``, in sorted order of the values."""
    if not keys:
        yield {}, runs
        return
    for values, part in runs.groupby(list(keys), sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        yield dict(zip(keys, (v.item() if hasattr(v, "item") else v for v in values), strict=True)), part


def _per_seed(frame: pd.DataFrame, kpi: str) -> pd.Series:
    """The KPI per seed (a seed run twice in an arm counts once, at its mean), missing values left out."""
    values = pd.to_numeric(frame[kpi], errors="coerce")
    table = pd.DataFrame({"seed": frame["seed"].to_numpy(), "v": values.to_numpy(dtype=float)}).dropna()
    return table.groupby("seed")["v"].mean()


def compare_one(
    x: Sequence[float] | pd.Series,
    y: Sequence[float] | pd.Series,
    pairing: str,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """One row of the comparison: a scenario's values against the baseline's (see the module docstring).

    Args:
        x: the scenario's values: a Series indexed by seed when paired; any sequence when independent.
        y: the baseline's values, the same way.
        pairing: ``paired`` (matched on the Series' index, the seed) or ``independent``.
        confidence: level of the interval.

    Returns:
        ``n, n_baseline, mean, baseline_mean, diff_mean, diff_sd, ci_low, ci_high, half_width, significant,
        pairing``.
    """
    if pairing == "paired":
        xs, ys = pd.Series(x, dtype=float).dropna(), pd.Series(y, dtype=float).dropna()
        common = xs.index.intersection(ys.index)
        a, b = xs[common].to_numpy(dtype=float), ys[common].to_numpy(dtype=float)
        mean, sd, half = paired_interval(_denoise(a - b, a, b), confidence)
        n = n_base = len(common)
    else:
        a = np.asarray(x, dtype=float)
        b = np.asarray(y, dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        mean, sd, half, _ = welch_interval(a, b, confidence)
        if len(a) and len(b) and abs(mean) <= RTOL * max(np.abs(a).max(), np.abs(b).max()):
            mean = 0.0  # equal means up to rounding
        n, n_base = len(a), len(b)
    lo, hi = mean - half, mean + half
    return {
        "n": n,
        "n_baseline": n_base,
        "mean": float(a.mean()) if len(a) else math.nan,
        "baseline_mean": float(b.mean()) if len(b) else math.nan,
        "diff_mean": mean,
        "diff_sd": sd,
        "ci_low": lo,
        "ci_high": hi,
        "half_width": half,
        "significant": bool(np.isfinite(half) and (lo > 0 or hi < 0)),
        "pairing": pairing,
    }


def compare_runs(
    runs: pd.DataFrame,
    baseline: str,
    kpis: Iterable[str],
    pairing: str = "paired",
    scenarios: Sequence[str] = (),
    confidence: float = CONFIDENCE,
    grid: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The comparison table of ``runs.csv``: every scenario but the baseline, every KPI, against the baseline.

    Args:
        runs: one row per run with ``scenario``, ``seed``, the KPI columns and optionally ``overrides``.
        baseline: the reference scenario.
        kpis: the KPIs to compare (those without a column in ``runs`` are skipped).
        pairing: ``paired`` or ``independent`` (module docstring).
        scenarios: the order of the scenarios (those of ``runs`` not listed follow in order of appearance).
        confidence: level of the intervals.
        grid: the swept keys: with their columns in ``runs``, each grid point is compared with the baseline at
            the same point and the table has a column per key after ``scenario`` (the scenario's plain name);
            without them (an older runs.csv), points are told apart by ``overrides`` and named in ``scenario``.

    Returns:
        Columns :data:`COMPARISON_COLUMNS` (with the grid's columns after ``scenario``); ``significant`` is True
        when the interval excludes 0.
    """
    kpis = [k for k in kpis if k in runs.columns]
    keys = grid_columns(runs, grid)
    order = [s for s in scenarios if s != baseline]
    order += [s for s in pd.unique(runs["scenario"]) if s != baseline and s not in order]
    columns = ["scenario", *keys, *COMPARISON_COLUMNS[1:]]
    groups_: Iterable[tuple[Any, pd.DataFrame]] = _points(runs, keys) if keys else _in_groups(runs)
    rows: list[dict[str, Any]] = []
    for group, in_group in groups_:
        base = in_group[in_group["scenario"] == baseline]
        for scenario in order:
            other = in_group[in_group["scenario"] == scenario]
            if other.empty:
                continue
            for kpi in kpis:
                if pairing == "paired":
                    x, y = _per_seed(other, kpi), _per_seed(base, kpi)
                else:
                    x, y = (
                        pd.to_numeric(other[kpi], errors="coerce"),
                        pd.to_numeric(base[kpi], errors="coerce"),
                    )
                row = compare_one(x, y, pairing, confidence)
                name = (
                    {"scenario": str(scenario), **group}
                    if keys
                    else {"scenario": label(str(scenario), group)}
                )
                rows.append({**name, "kpi": kpi, **row})
    df = pd.DataFrame(rows, columns=columns)
    return df.astype({"n": int, "n_baseline": int, "significant": bool}) if not df.empty else df


def compare(runs: pd.DataFrame, exp: ExperimentConfig, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The comparison table of an experiment (:func:`compare_runs` with its baseline, KPIs, pairing, order).

    Args:
        runs: ``runs.csv``.
        exp: the experiment (``baseline``, ``kpis`` (empty: every KPI), ``pairing``, ``scenarios``).
        confidence: level of the intervals.

    Returns:
        Columns :data:`COMPARISON_COLUMNS`.
    """
    kpis = list(exp.kpis) or list(KPI_NAMES)
    return compare_runs(
        runs, exp.baseline, kpis, exp.pairing, list(exp.scenarios), confidence, list(exp.grid)
    )


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and t-interval of independent values (one per seed): ``(mean, low, high)``, NaN bounds under 2."""
    mean, _, half = paired_interval(values, confidence)  # the same t-interval, of the values themselves
    return mean, mean - half, mean + half


def levels_by_point(
    runs: pd.DataFrame, grid: Sequence[str], kpis: Iterable[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Each scenario's level at each grid point: the mean over its seeds there, with the t-interval.

    Args:
        runs: runs.csv (a column per swept key).
        grid: the swept keys.
        kpis: the KPIs.
        confidence: level of the intervals.

    Returns:
        Columns ``scenario``, the keys, ``kpi, n, mean, ci_low, ci_high``.
    """
    keys = grid_columns(runs, grid)
    kpis = [k for k in kpis if k in runs.columns]
    rows = []
    for point, at_point in _points(runs, keys):
        for scenario, part in at_point.groupby("scenario", sort=False):
            for kpi in kpis:
                values = _per_seed(part, kpi).to_numpy(dtype=float)
                mean, low, high = _interval(values, confidence)
                rows.append(
                    {
                        "scenario": scenario,
                        **point,
                        "kpi": kpi,
                        "n": len(values),
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    return pd.DataFrame(rows, columns=["scenario", *keys, "kpi", "n", "mean", "ci_low", "ci_high"])


def response_table(
    runs: pd.DataFrame,
    grid: Sequence[str],
    kpis: Iterable[str],
    baseline: str | None = None,
    pairing: str = "paired",
    scenarios: Sequence[str] = (),
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """The response of each KPI to each swept parameter, per scenario: the table the sweep figures draw.

    For a parameter ``p`` at value ``v``, each seed's runs with ``p = v`` are averaged over the other swept
    parameters (the main effect of ``p`` over the grid's design), then the mean over the seeds with its
    t-interval (one value per seed: seeds are independent). With a baseline, ``diff_*`` is the scenario minus
    the baseline at the same points: paired by seed (``pairing: paired``) or Welch's interval of the per-seed
    values (independent); NaN for the baseline itself or without one.

    Args:
        runs: runs.csv (with a column per swept key, ``scenario``, ``seed`` and the KPIs).
        grid: the swept keys (those without a column are skipped).
        kpis: the KPIs (those without a column are skipped).
        baseline: the reference scenario, None for a sweep without one (a response only).
        pairing: ``paired`` or ``independent``.
        scenarios: the order of the scenarios.
        confidence: level of the intervals.

    Returns:
        Columns :data:`RESPONSE_COLUMNS`, one row per (parameter, value, scenario, kpi).
    """
    keys = grid_columns(runs, grid)
    kpis = [k for k in kpis if k in runs.columns]
    order = [s for s in scenarios if s in set(runs["scenario"])]
    order += [s for s in pd.unique(runs["scenario"]) if s not in order]
    rows: list[dict[str, Any]] = []
    for key in keys:
        for value, at_value in runs.groupby(key, sort=True):
            value = value.item() if hasattr(value, "item") else value
            per_seed = {
                kpi: {s: _per_seed(at_value[at_value["scenario"] == s], kpi) for s in order} for kpi in kpis
            }
            for scenario in order:
                for kpi in kpis:
                    x = per_seed[kpi][scenario]
                    mean, low, high = _interval(x.to_numpy(dtype=float), confidence)
                    row = {
                        "parameter": key,
                        "value": value,
                        "scenario": scenario,
                        "kpi": kpi,
                        "n": len(x),
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "diff_mean": math.nan,
                        "diff_ci_low": math.nan,
                        "diff_ci_high": math.nan,
                    }
                    if baseline is not None and scenario != baseline and baseline in per_seed[kpi]:
                        y = per_seed[kpi][baseline]
                        diff = compare_one(
                            x if pairing == "paired" else x.to_numpy(),
                            y if pairing == "paired" else y.to_numpy(),
                            pairing,
                            confidence,
                        )
                        row.update(
                            diff_mean=diff["diff_mean"],
                            diff_ci_low=diff["ci_low"],
                            diff_ci_high=diff["ci_high"],
                        )
                    rows.append(row)
    table = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    table["value"] = pd.Series([r["value"] for r in rows], dtype=object)  # 1 stays 1 beside 0.35
    return table


# --------------------------------------------------------------------------------------------------
# Reading a row of comparison.csv
# --------------------------------------------------------------------------------------------------
def is_identical(row: Mapping[str, Any] | pd.Series) -> bool:
    """Whether a comparison row says the scenario equals the baseline in every seed (all at rounding noise).

    Args:
        row: a row of comparison.csv (``diff_mean, ci_low, ci_high``, optionally ``baseline_mean``).
    """
    d = float(row.get("diff_mean", math.nan))
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    base = row.get("baseline_mean")
    scale = max(1.0, abs(float(base))) if base is not None and pd.notna(base) else 1.0
    values = np.array([d, low, high])
    return bool(np.isfinite(values).all() and np.abs(values).max() <= RTOL * scale)


def is_significant(row: Mapping[str, Any] | pd.Series) -> bool | None:
    """Whether a comparison row's interval excludes 0; None when the interval is undefined.

    The interval decides (a file edited by hand may disagree with its ``significant`` column, which is read only
    when the interval is missing); a difference at rounding noise is never significant.

    Args:
        row: a row of comparison.csv.
    """
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if is_identical(row):
        return False
    if np.isfinite(low) and np.isfinite(high):
        return bool(low > 0 or high < 0)
    flag = row.get("significant")
    if isinstance(flag, str):
        return {"true": True, "false": False}.get(flag.strip().lower())
    if isinstance(flag, bool | np.bool_):
        return bool(flag)
    return None


# --------------------------------------------------------------------------------------------------
# Variance reduction by pairing
# --------------------------------------------------------------------------------------------------
def variance_reduction(
    runs: pd.DataFrame,
    kpi: str = "person_km_total",
    baseline: str = "baseline",
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """How much pairing narrows the interval of a difference, estimated from the same paired runs.

    For each scenario: the paired half-width (t-interval of the per-seed differences) and the half-width
    Welch's interval would have with each arm's own variance and no pairing, over the same seeds; ``ratio`` =
    independent over paired (> 1: pairing helps; ``ratio**2`` is roughly how many times more seeds independent
    runs would need for the same precision). NaN when fewer than 2 seeds are common or the paired half-width is 0.

    Args:
        runs: ``runs.csv`` of a paired experiment (matched on ``seed``).
        kpi: the KPI whose difference is considered.
        baseline: the reference scenario.
        confidence: level of the intervals.

    Returns:
        One row per scenario (and grid point): columns :data:`VARIANCE_REDUCTION_COLUMNS`.
    """
    rows = []
    if kpi in runs.columns and "seed" in runs.columns:
        for group, in_group in _in_groups(runs):
            base = _per_seed(in_group[in_group["scenario"] == baseline], kpi)
            for scenario in pd.unique(in_group["scenario"]):
                if scenario == baseline:
                    continue
                other = _per_seed(in_group[in_group["scenario"] == scenario], kpi)
                common = other.index.intersection(base.index)
                a, b = other[common].to_numpy(dtype=float), base[common].to_numpy(dtype=float)
                _, _, paired = paired_interval(_denoise(a - b, a, b), confidence)
                _, _, indep, _ = welch_interval(a, b, confidence)
                ratio = indep / paired if np.isfinite(paired) and paired > 0 else math.nan
                rows.append(
                    {
                        "scenario": label(str(scenario), group),
                        "kpi": kpi,
                        "n": len(common),
                        "half_width_paired": paired,
                        "half_width_independent": indep,
                        "ratio": ratio,
                    }
                )
    return pd.DataFrame(rows, columns=list(VARIANCE_REDUCTION_COLUMNS))
