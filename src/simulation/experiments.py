"""Experiments: scenarios x seed replicates (x a parameter grid, or a Morris design) as one Hydra multirun.

An experiment is a file ``experiments/<name>.yaml`` holding an ``experiment:`` section
(:class:`~simulation.core.config.ExperimentConfig`), ``seeds`` and any model key (``weeks``, ``population...``).
:func:`register_experiments` stores each file in Hydra's ConfigStore as option ``<name>`` of the group
``experiment`` (package ``_global_``), with the Hydra settings that turn the command ``lieux experiment=<name>``
into a multirun:

* ``hydra.mode: MULTIRUN`` and ``hydra.sweeper.params``: ``experiment.replicate=range(0,<seeds>)``, ``scenario``
  over ``experiment.scenarios``, one dimension per ``experiment.grid`` key, and ``experiment.sample=range(0,n)``
  for ``method: morris`` (``n`` from :func:`simulation.screening.n_samples`). The values are interpolations
  resolved from the composed configuration, so ``seeds=N`` or ``experiment.scenarios=[...]`` on the command line
  change the sweep.
* ``hydra.sweep.dir``: the ``resume`` folder, else ``output.dir``, else ``results/<name>/<timestamp>``;
  ``hydra.sweep.subdir``: ``runs/<scenario>_r<replicate>[_<key>=<value>...][_s<sample>]``, a name that does
  not depend on the job number, so that a resumed sweep finds its finished jobs again.
* ``hydra.callbacks``: :class:`ExperimentCallback`, whose ``on_multirun_end`` aggregates in the driver process
  whatever the launcher (basic, joblib, Ray, Submitit).

The launcher is never chosen here: it belongs to the primary config or the command line
(``hydra/launcher=joblib hydra.launcher.n_jobs=2``).

Seeds (common random numbers). With ``pairing: paired`` the job of replicate ``r`` runs with ``seed = r`` for
every scenario, so each scenario faces the same residents, needs and draws, and differences are taken seed by
seed. With ``pairing: independent`` it runs with ``seed = r + 1000 x i`` where ``i`` is the scenario's index in
``experiment.scenarios`` (:data:`INDEPENDENT_SEED_STRIDE`): no two scenarios share a seed (for fewer than 1000
replicates), and differences are compared with Welch's interval. The ``seed`` key itself is ignored by
experiments.

Aggregation (:func:`aggregate`) reads every finished run under ``runs/`` (unfinished ones are ignored and
counted), writes ``runs.csv``, ``comparison.csv`` (method compare) or ``screening.csv`` (method morris), records
the job counts in ``experiment.yaml`` and builds the report (:func:`simulation.reporting.build_report`).
The file formats are those of docs/INTERFACES.md ("Experiments").
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from scipy import stats

from simulation.core.config import ExperimentConfig, SimConfig, to_config
from simulation.core.errors import ConfigError, UserError
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import CONFIG, SUMMARY, is_finished, jsonable

# The repository's experiments/ folder (the package is installed editable from a clone).
EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "experiments"
RUNS = "runs"  # sub-folder of a results folder holding one folder per job
EXPERIMENT_FILE = "experiment.yaml"
RUNS_CSV = "runs.csv"
COMPARISON_CSV = "comparison.csv"
SCREENING_CSV = "screening.csv"
CONFIDENCE = 0.95  # level of the confidence intervals of comparison.csv
INDEPENDENT_SEED_STRIDE = 1000  # pairing independent: seed = replicate + stride x (index of the scenario)
RUN_COLUMNS: tuple[str, ...] = ("run_dir", "scenario", "seed", "replicate", "sample", "overrides")
COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "n",
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
# KPIs of the printed comparison table, when the experiment compares them (the question: km per euro).
MAIN_KPIS: tuple[str, ...] = (
    "person_km_total",
    "co2_t",
    "network_cost_eur",
    "public_cost_eur",
    "unmet_need_rate",
)
SCREENING_TOP = 5  # parameters printed per KPI after a Morris screening
# Summary keys that runs.csv takes from the job (not repeated from summary.json).
_SUMMARY_SKIP = {"scenario", "seed"}


class ExperimentAbort(BaseException):
    """Stops a sweep before any job runs (bad experiment set-up).

    Hydra turns exceptions raised in callbacks into warnings; this one derives from BaseException so that it
    reaches :func:`simulation.cli.main`, which prints its message and exits 2.
    """


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
    report: Path | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """``n of m jobs complete, k missing``."""
        return f"{self.complete} of {self.expected} jobs complete, {len(self.missing)} missing"


# State of the last sweep of this process (read by simulation.cli.main for the exit status and messages).
last_status: SweepStatus | None = None
current_folder: Path | None = None
current_name: str = ""


# --------------------------------------------------------------------------------------------------
# Experiment files and their registration in Hydra's ConfigStore
# --------------------------------------------------------------------------------------------------
def available_experiments(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """The experiment names (file stems of ``folder/*.yaml``), sorted."""
    return sorted(p.stem for p in Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []


def load_experiment_file(path: Path) -> dict[str, Any]:
    """Read an experiment file; ``experiment.name`` defaults to the file's stem.

    Raises:
        UserError: the file is not a YAML mapping.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiment", {}), dict):
        raise UserError(f"{path}: expected a mapping with an 'experiment:' section")
    if "hydra" in data:
        raise UserError(
            f"{path}: an experiment file cannot set 'hydra' (choose the launcher on the command line)"
        )
    data.setdefault("experiment", {})
    data["experiment"].setdefault("name", path.stem)
    return data


def experiment_node(data: dict[str, Any]) -> dict[str, Any]:
    """The ConfigStore node of an experiment: the file's content plus the Hydra settings of its multirun.

    Args:
        data: the experiment file's content (:func:`load_experiment_file`).
    """
    grid = data.get("experiment", {}).get("grid", {}) or {}
    params: dict[str, str] = {
        "experiment.replicate": "range(0,${seeds})",
        "scenario": "${lieux_sweep_scenarios:}",
    }
    for key in grid:
        params[key] = "${lieux_sweep_grid:'" + str(key) + "'}"
    params["experiment.sample"] = "${lieux_sweep_samples:}"
    hydra_part = {
        "mode": "MULTIRUN",
        "sweep": {
            "dir": "${or_default:${resume},${or_default:${output.dir},"
            "'results/${experiment.name}/${now:%Y-%m-%d_%H-%M-%S_%f}'}}",
            "subdir": RUNS + "/${lieux_job_dir:}",
        },
        "sweeper": {"params": params},
        "callbacks": {"lieux_experiment": {"_target_": "simulation.experiments.ExperimentCallback"}},
    }
    node = dict(data)
    node.setdefault("output", {})
    node["output"] = {"progress": False, **(node["output"] or {})}  # one line per job instead of bars
    node["hydra"] = hydra_part
    return node


def register_experiments(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """Store every ``folder/*.yaml`` in Hydra's ConfigStore as group ``experiment``, package ``_global_``.

    Returns:
        The names registered.
    """
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    names = available_experiments(folder)
    for name in names:
        node = experiment_node(load_experiment_file(Path(folder) / f"{name}.yaml"))
        cs.store(group="experiment", name=name, node=node, package="_global_")
    return names


# --------------------------------------------------------------------------------------------------
# Sweep dimensions and job folders (OmegaConf resolvers used by the nodes above)
# --------------------------------------------------------------------------------------------------
def _override_value(value: Any) -> str:
    """A value in Hydra's override syntax (strings with special characters quoted)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return text if re.fullmatch(r"[\w.\-/]+", text) else "'" + text.replace("'", "\\'") + "'"


def _sweep_scenarios(*, _root_: DictConfig) -> str:
    scenarios = list(OmegaConf.select(_root_, "experiment.scenarios") or [])
    if not scenarios:
        return str(OmegaConf.select(_root_, "hydra.runtime.choices.scenario") or _root_.scenario.name)
    return ",".join(str(s) for s in scenarios)


def _sweep_grid(key: str, *, _root_: DictConfig) -> str:
    values = OmegaConf.select(_root_, "experiment.grid")[key]
    if not OmegaConf.is_list(values) and not isinstance(values, list | tuple):
        values = [values]
    return ",".join(_override_value(v) for v in values)


def _sweep_samples(*, _root_: DictConfig) -> str:
    if OmegaConf.select(_root_, "experiment.method") != "morris":
        return "-1"
    return f"range(0,{n_morris_samples(_experiment_from(_root_))})"


def _job_dir(*, _root_: DictConfig) -> str:
    exp = _root_.experiment
    grid = {str(k): OmegaConf.select(_root_, str(k)) for k in (exp.grid or {})}
    return job_dirname(str(_root_.scenario.name), int(exp.replicate), int(exp.sample), grid)


def register_resolvers() -> None:
    """Register the resolvers of the experiment nodes (idempotent)."""
    for name, fn in (
        ("lieux_sweep_scenarios", _sweep_scenarios),
        ("lieux_sweep_grid", _sweep_grid),
        ("lieux_sweep_samples", _sweep_samples),
        ("lieux_job_dir", _job_dir),
    ):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)


register_resolvers()


def _experiment_from(node: DictConfig) -> ExperimentConfig:
    data = OmegaConf.to_container(node.experiment, resolve=True)
    merged = OmegaConf.merge(OmegaConf.structured(ExperimentConfig), data)
    obj = OmegaConf.to_object(merged)
    assert isinstance(obj, ExperimentConfig)
    return obj


def _slug(value: Any) -> str:
    return re.sub(r"[^\w.\-=]+", "-", str(value)).strip("-") or "_"


def job_dirname(scenario: str, replicate: int, sample: int = -1, grid: dict[str, Any] | None = None) -> str:
    """The stable folder name of a job: ``<scenario>_r<replicate>[_<key>=<value>...][_s<sample>]``.

    Grid keys are shortened to their last part (``policy.remote_days_per_week=3`` -> ``remote_days_per_week=3``).

    Args:
        scenario: the scenario's name.
        replicate: the seed replicate (0-based).
        sample: the Morris sample point (-1: none).
        grid: the grid values of the job, ``{dotted.key: value}``.
    """
    parts = [_slug(scenario), f"r{replicate:03d}"]
    for key, value in (grid or {}).items():
        parts.append(_slug(f"{str(key).rsplit('.', 1)[-1]}={value}"))
    if sample >= 0:
        parts.append(f"s{sample:04d}")
    return "_".join(parts)


def n_morris_samples(exp: ExperimentConfig) -> int:
    """The number of Morris sample points (:func:`simulation.screening.n_samples`)."""
    return int(_screening().n_samples(exp))


def _screening() -> Any:
    try:
        from simulation import screening
    except ImportError as exc:  # pragma: no cover - the module ships with the package
        raise UserError(
            f"method morris needs simulation.screening, which cannot be imported ({exc})"
        ) from None
    return screening


def scenario_list(cfg: SimConfig) -> list[str]:
    """The experiment's scenarios (its ``scenarios``, or the configured scenario alone)."""
    return list(cfg.experiment.scenarios) or [cfg.scenario.name]


def expected_jobs(cfg: SimConfig) -> list[str]:
    """The folder names (under ``runs/``) of every job of the experiment, in sweep order."""
    exp = cfg.experiment
    grid_keys = list(exp.grid)
    grid_values = [list(v) if isinstance(v, list | tuple) else [v] for v in exp.grid.values()]
    samples = range(n_morris_samples(exp)) if exp.method == "morris" else [-1]
    names = []
    for replicate, scenario, *point, sample in product(
        range(cfg.seeds), scenario_list(cfg), *grid_values, samples
    ):
        names.append(job_dirname(scenario, replicate, sample, dict(zip(grid_keys, point, strict=True))))
    return names


def check_setup(cfg: SimConfig) -> None:
    """Check what only makes sense for a whole experiment (the schema checks the rest).

    Raises:
        ConfigError: no scenario other than the baseline, baseline not compared, unknown KPI, Morris without
            parameters or with several scenarios.
    """
    exp = cfg.experiment
    scenarios = scenario_list(cfg)
    if len(set(scenarios)) != len(scenarios):
        raise ConfigError("experiment.scenarios", f"got {scenarios}, expected distinct scenario names")
    unknown = [k for k in exp.kpis if k not in KPI_NAMES]
    if unknown:
        raise ConfigError("experiment.kpis", f"got {unknown}, expected KPIs among {', '.join(KPI_NAMES)}")
    for key, values in exp.grid.items():
        if not isinstance(values, list | tuple) or not values:
            raise ConfigError(
                f"experiment.grid.{key}", f"got {values!r}, expected a non-empty list of values"
            )
    if exp.method == "compare":
        if exp.baseline not in scenarios:
            raise ConfigError("experiment.baseline", f"got {exp.baseline!r}, expected one of {scenarios}")
        if len(scenarios) < 2:
            raise ConfigError("experiment.scenarios", f"got {scenarios}, expected the baseline and another")
    else:
        if not exp.parameters:
            raise ConfigError(
                "experiment.parameters", "got none, expected {dotted.key: [low, high]} (morris)"
            )
        if len(scenarios) != 1:
            raise ConfigError("experiment.scenarios", f"got {scenarios}, expected one scenario (morris)")


# --------------------------------------------------------------------------------------------------
# One job
# --------------------------------------------------------------------------------------------------
def effective_seed(exp: ExperimentConfig, scenario: str, replicate: int) -> int:
    """The seed a job runs with (see the module docstring: common random numbers).

    Args:
        exp: the experiment section.
        scenario: the job's scenario.
        replicate: the job's replicate (0-based).

    Returns:
        ``replicate`` when paired; ``replicate + 1000 x (index of the scenario)`` when independent.
    """
    if exp.pairing == "paired":
        return int(replicate)
    scenarios = list(exp.scenarios) or [scenario]
    if scenario not in scenarios:
        raise ConfigError("experiment.scenarios", f"scenario {scenario!r} is not one of {scenarios}")
    return int(replicate) + INDEPENDENT_SEED_STRIDE * scenarios.index(scenario)


def job_config(cfg: SimConfig) -> SimConfig:
    """The configuration a job runs: its effective seed and, for Morris, its sample point (re-validated)."""
    exp = cfg.experiment
    overrides: dict[str, Any] = {"seed": effective_seed(exp, cfg.scenario.name, exp.replicate)}
    if exp.method == "morris":
        if exp.sample < 0:
            raise ConfigError("experiment.sample", f"got {exp.sample}, expected a Morris sample index >= 0")
        overrides.update(_screening().sample_overrides(exp, exp.sample))
    return to_config(cfg, **overrides)


def run_experiment_job(
    cfg: SimConfig, folder: Path | str, scenario_choice: str | None = None
) -> dict[str, Any]:
    """Run one job of an experiment into ``folder``, unless the folder already holds a finished run.

    Args:
        cfg: the job's validated configuration (with ``experiment.replicate`` / ``experiment.sample`` set).
        folder: the job's folder (``<results>/runs/<job dir>``).
        scenario_choice: the scenario option Hydra composed (checked against ``scenario.name``).

    Returns:
        The job's summary (read back from ``summary.json`` when skipped).
    """
    from simulation import model
    from simulation.observe.outputs import summary_dict, write_run

    folder = Path(folder)
    label = f"{folder.parent.name}/{folder.name}"
    if is_finished(folder):
        print(f"{label}: complete, skipped", flush=True)
        return json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    if scenario_choice is not None and scenario_choice != cfg.scenario.name:
        raise ConfigError(
            "scenario.name",
            f"the scenario file {scenario_choice}.yaml is named {cfg.scenario.name!r}; experiments identify "
            "scenarios by name, so it must be named after its file",
        )
    job_cfg = job_config(cfg)
    start = time.perf_counter()
    result = model.run(job_cfg, progress=job_cfg.output.progress)
    result.summary.setdefault("runtime_s", round(time.perf_counter() - start, 3))
    write_run(result, job_cfg, folder)
    summary = summary_dict(result, job_cfg)
    print(
        f"{label}: done (seed {job_cfg.seed}, {time.perf_counter() - start:.1f} s, "
        f"person_km_total {summary.get('person_km_total', float('nan')):,.0f})",
        flush=True,
    )
    return summary


# --------------------------------------------------------------------------------------------------
# Reading the runs
# --------------------------------------------------------------------------------------------------
def _select(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def override_keys(exp: ExperimentConfig) -> list[str]:
    """The keys a job sets besides scenario and seed: the grid's, and the Morris parameters'."""
    keys = list(exp.grid)
    if exp.method == "morris":
        keys += [k for k in exp.parameters if k not in keys]
    return keys


def collect_runs(folder: Path | str, exp: ExperimentConfig | None = None) -> pd.DataFrame:
    """One row per finished run under ``folder/runs/`` (unfinished and hidden temporary folders are skipped).

    Args:
        folder: the results folder.
        exp: the experiment (for the ``overrides`` column; default: the one in each run's config).

    Returns:
        Columns :data:`RUN_COLUMNS`, then :data:`~simulation.observe.metrics.KPI_NAMES`, then the other summary numbers.
        ``run_dir`` is relative to ``folder``; ``overrides`` is ``key=value`` separated by spaces.
    """
    folder = Path(folder)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rows: list[dict[str, Any]] = []
    runs_dir = folder / RUNS
    for run in sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []:
        if run.name.startswith(".") or not run.is_dir() or not is_finished(run):
            continue
        summary = json.loads((run / SUMMARY).read_text(encoding="utf-8"))
        config_path = run / CONFIG
        config = (
            yaml.load(config_path.read_text(encoding="utf-8"), Loader=loader) if config_path.is_file() else {}
        )
        run_exp = config.get("experiment", {}) if isinstance(config, dict) else {}
        keys = override_keys(exp) if exp is not None else _keys_from(run_exp)
        row: dict[str, Any] = {
            "run_dir": f"{RUNS}/{run.name}",
            "scenario": summary.get("scenario", _select(config, "scenario.name")),
            "seed": summary.get("seed", config.get("seed")),
            "replicate": run_exp.get("replicate", 0),
            "sample": run_exp.get("sample", -1),
            "overrides": " ".join(f"{k}={_override_value(_select(config, k))}" for k in keys),
        }
        for k in KPI_NAMES:
            row[k] = summary.get(k)
        for k, v in summary.items():
            if k not in row and k not in _SUMMARY_SKIP and (isinstance(v, int | float) or v is None):
                row[k] = v
        rows.append(row)
    columns = list(RUN_COLUMNS) + list(KPI_NAMES)
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=columns)
    for k in KPI_NAMES:
        df[k] = pd.to_numeric(df[k], errors="coerce")
    extra = [c for c in df.columns if c not in columns]
    return df[columns + extra].reset_index(drop=True)


def _keys_from(run_exp: dict[str, Any]) -> list[str]:
    keys = list((run_exp.get("grid") or {}).keys())
    if run_exp.get("method") == "morris":
        keys += [k for k in (run_exp.get("parameters") or {}) if k not in keys]
    return keys


# --------------------------------------------------------------------------------------------------
# Confidence intervals and comparisons (pure functions)
# --------------------------------------------------------------------------------------------------
def paired_interval(diffs: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean, standard deviation and t-interval half-width of paired differences.

    ``half = t(1 - alpha/2, n - 1) x sd / sqrt(n)`` with ``sd`` the sample standard deviation (ddof 1); NaN when
    fewer than 2 differences.

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


def _groups(runs: pd.DataFrame) -> list[str]:
    """The grid points present (the ``overrides`` strings; one empty group without a grid)."""
    if "overrides" not in runs.columns:
        return [""]
    return sorted(runs["overrides"].fillna("").astype(str).unique().tolist()) or [""]


def _label(scenario: str, group: str) -> str:
    return f"{scenario} [{group}]" if group else scenario


def compare(runs: pd.DataFrame, exp: ExperimentConfig, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The comparison table: every scenario but the baseline, every KPI, against the baseline.

    Paired (``exp.pairing == "paired"``): runs are matched on ``seed``; ``mean`` and ``baseline_mean`` are over
    the matched seeds, ``diff_*`` the t-interval of the per-seed differences, ``n`` the number of pairs.
    Independent: ``mean`` and ``baseline_mean`` over all runs of each, Welch's interval, ``n`` the scenario's
    runs. Runs whose KPI is missing (NaN) are left out of that KPI. With a grid, each grid point is compared
    with the baseline at the same point and the scenario is labelled ``<scenario> [<key=value ...>]``.

    Args:
        runs: ``runs.csv`` (:func:`collect_runs`).
        exp: the experiment (``baseline``, ``kpis``, ``pairing``, ``scenarios`` for the order).
        confidence: level of the intervals.

    Returns:
        Columns :data:`COMPARISON_COLUMNS`; ``significant`` is True when the interval excludes 0.
    """
    kpis = list(exp.kpis) or list(KPI_NAMES)
    order = [s for s in exp.scenarios if s != exp.baseline]
    present = [s for s in pd.unique(runs["scenario"]) if s != exp.baseline and s not in order]
    rows: list[dict[str, Any]] = []
    overrides = runs["overrides"].fillna("").astype(str) if "overrides" in runs.columns else None
    for group in _groups(runs):
        in_group = runs if overrides is None else runs[overrides == group]
        base = in_group[in_group["scenario"] == exp.baseline]
        for scenario in order + present:
            other = in_group[in_group["scenario"] == scenario]
            if other.empty:
                continue
            for kpi in kpis:
                rows.append(
                    _compare_one(other, base, kpi, exp.pairing, confidence)
                    | {"scenario": _label(scenario, group)}
                )
    df = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    return df.astype({"n": int, "significant": bool}) if not df.empty else df


_RTOL = 1e-9  # differences smaller than this share of the values are rounding noise (e.g. sums of costs)


def _denoise(diffs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differences with rounding noise set to 0, so that two identical results are not 'significant'."""
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(np.abs(diffs) <= _RTOL * scale, 0.0, diffs)


def _compare_one(
    other: pd.DataFrame, base: pd.DataFrame, kpi: str, pairing: str, confidence: float
) -> dict[str, Any]:
    x = other[["seed", kpi]].dropna()
    y = base[["seed", kpi]].dropna()
    if pairing == "paired":
        merged = x.merge(y, on="seed", suffixes=("", "_base"))
        a, b = merged[kpi].to_numpy(dtype=float), merged[f"{kpi}_base"].to_numpy(dtype=float)
        mean, sd, half = paired_interval(_denoise(a - b, a, b), confidence)
        n = len(merged)
        m, bm = (
            (float(merged[kpi].mean()), float(merged[f"{kpi}_base"].mean())) if n else (math.nan, math.nan)
        )
    else:
        mean, sd, half, _ = welch_interval(x[kpi], y[kpi], confidence)
        if len(x) and len(y) and abs(mean) <= _RTOL * max(abs(x[kpi]).max(), abs(y[kpi]).max()):
            mean = 0.0  # equal means up to rounding
        n = len(x)
        m = float(x[kpi].mean()) if len(x) else math.nan
        bm = float(y[kpi].mean()) if len(y) else math.nan
    lo, hi = mean - half, mean + half
    significant = bool(np.isfinite(half) and (lo > 0 or hi < 0))
    return {
        "kpi": kpi,
        "n": n,
        "mean": m,
        "baseline_mean": bm,
        "diff_mean": mean,
        "diff_sd": sd,
        "ci_low": lo,
        "ci_high": hi,
        "half_width": half,
        "significant": significant,
        "pairing": pairing,
    }


def variance_reduction(
    runs: pd.DataFrame,
    kpi: str = "person_km_total",
    baseline: str = "baseline",
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """How much pairing narrows the interval of a difference, estimated from the same paired runs.

    For each scenario: the paired half-width (t-interval of the per-seed differences) and the half-width
    Welch's interval would have with each arm's own variance and no pairing; ``ratio`` = independent over
    paired (> 1: pairing helps; ``ratio**2`` is roughly how many times more seeds independent runs would need
    for the same precision).

    Args:
        runs: ``runs.csv`` of a paired experiment (matched on ``seed``).
        kpi: the KPI whose difference is considered.
        baseline: the reference scenario.
        confidence: level of the intervals.

    Returns:
        One row per scenario: ``scenario, kpi, n, half_width_paired, half_width_independent, ratio``.
    """
    rows = []
    overrides = runs["overrides"].fillna("").astype(str) if "overrides" in runs.columns else None
    for group in _groups(runs):
        in_group = runs if overrides is None else runs[overrides == group]
        base = in_group[in_group["scenario"] == baseline][["seed", kpi]].dropna()
        for scenario in pd.unique(in_group["scenario"]):
            if scenario == baseline:
                continue
            other = in_group[in_group["scenario"] == scenario][["seed", kpi]].dropna()
            merged = other.merge(base, on="seed", suffixes=("", "_base"))
            a, b = merged[kpi].to_numpy(dtype=float), merged[f"{kpi}_base"].to_numpy(dtype=float)
            _, _, paired = paired_interval(_denoise(a - b, a, b), confidence)
            _, _, indep, _ = welch_interval(merged[kpi], merged[f"{kpi}_base"], confidence)
            ratio = indep / paired if paired and np.isfinite(paired) and paired > 0 else math.nan
            rows.append(
                {
                    "scenario": _label(str(scenario), group),
                    "kpi": kpi,
                    "n": len(merged),
                    "half_width_paired": paired,
                    "half_width_independent": indep,
                    "ratio": ratio,
                }
            )
    columns = ["scenario", "kpi", "n", "half_width_paired", "half_width_independent", "ratio"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
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


def main_kpis(exp: ExperimentConfig, limit: int = 4) -> list[str]:
    """The KPIs of the printed table: those of :data:`MAIN_KPIS` the experiment compares, else its first."""
    kpis = list(exp.kpis) or list(KPI_NAMES)
    chosen = [k for k in MAIN_KPIS if k in kpis][:limit]
    return chosen or kpis[:limit]


def comparison_table(comparison: pd.DataFrame, kpis: Sequence[str], baseline: str = "baseline") -> str:
    """Plain-text table: one row per scenario, per KPI the mean difference to the baseline and its interval.

    A ``*`` marks an interval that excludes 0. With ``person_km_total`` and ``network_cost_eur``, a last column
    gives the person-km saved per extra euro of network cost (``dominant`` when it saves km and costs less).
    """
    if comparison.empty:
        return "(no comparison: no scenario has runs next to the baseline)"
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
            if (s, k) not in table.index:
                row.append("")
                continue
            r = table.loc[(s, k)]
            star = "*" if bool(r["significant"]) else ""
            row.append(f"{_fmt(r['diff_mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]{star}")
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
    lines.append(f"differences against {baseline}; * the 95 % interval excludes 0")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------------
def _write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False)
    tmp.replace(path)


def _update_experiment_file(folder: Path, updates: dict[str, Any]) -> None:
    path = folder / EXPERIMENT_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data = data if isinstance(data, dict) else {}
    data.update(jsonable(updates))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    tmp.replace(path)


def write_experiment_file(folder: Path | str, cfg: SimConfig, command: str, overrides: Sequence[str]) -> Path:
    """Write (or, on resume, extend) ``experiment.yaml``: the resolved experiment, its set-up and the command.

    Args:
        folder: the results folder.
        cfg: the experiment's validated configuration.
        command: the command line.
        overrides: the command line's overrides (recorded; a resume warns when they differ).
    """
    from simulation.core.config import as_dict

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EXPERIMENT_FILE
    old = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    invocations = list(old.get("invocations", [])) if isinstance(old, dict) else []
    invocations.append({"started": datetime.now().isoformat(timespec="seconds"), "command": command})
    data = as_dict(cfg)
    record = {
        "experiment": {k: v for k, v in data["experiment"].items() if k not in ("replicate", "sample")},
        "seeds": cfg.seeds,
        "territory": cfg.territory.kind,
        "weeks": cfg.weeks,
        "warmup_weeks": cfg.warmup_weeks,
        "sample_rate": cfg.population.sample_rate,
        "command": old.get("command", command) if isinstance(old, dict) else command,
        "overrides": list(old.get("overrides", overrides)) if isinstance(old, dict) else list(overrides),
        "invocations": invocations,
    }
    if isinstance(old, dict):
        old.update(jsonable(record))
        record = old
    _update_experiment_file(folder, record)
    return path


def aggregate(folder: Path | str, cfg: SimConfig, report: bool = True, out: Any = None) -> SweepStatus:
    """Aggregate a results folder: runs.csv, comparison.csv or screening.csv, the job counts, the report.

    Only finished runs are read; the expected jobs without a finished run are counted as missing (printed,
    and written to ``experiment.yaml`` as ``status``). Hidden temporary folders left in ``runs/`` by killed
    jobs are removed.

    Args:
        folder: the results folder.
        cfg: the experiment's configuration (what was asked: scenarios, seeds, grid, method).
        report: build the report with :func:`simulation.reporting.build_report`.
        out: where to print (default: stdout).

    Returns:
        The :class:`SweepStatus`.
    """
    out = out or sys.stdout
    folder = Path(folder)
    exp = cfg.experiment
    for tmp in (folder / RUNS).glob(".*.tmp") if (folder / RUNS).is_dir() else []:
        shutil.rmtree(tmp, ignore_errors=True)
    expected = expected_jobs(cfg)
    missing = [name for name in expected if not is_finished(folder / RUNS / name)]
    runs = collect_runs(folder, exp)
    status = SweepStatus(
        folder=folder, expected=len(expected), complete=len(expected) - len(missing), missing=missing
    )
    status.runs = runs
    _write_csv(runs, folder / RUNS_CSV)
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
    if exp.method == "compare":
        status.comparison = compare(runs, exp)
        _write_csv(status.comparison, folder / COMPARISON_CSV)
        if exp.pairing == "paired" and not runs.empty:
            vr = variance_reduction(runs, baseline=exp.baseline)
            updates["variance_reduction"] = {
                "kpi": "person_km_total",
                "ratio_independent_over_paired": {r.scenario: r.ratio for r in vr.itertuples()},
            }
    else:
        status.screening = _screen(runs, exp, status)
        if status.screening is not None:
            _write_csv(status.screening, folder / SCREENING_CSV)
    _update_experiment_file(folder, updates)
    if report:
        status.report = _build_report(folder, status)
    _print_status(status, exp, out)
    return status


def _screen(runs: pd.DataFrame, exp: ExperimentConfig, status: SweepStatus) -> pd.DataFrame | None:
    screening = _screening()
    kpis = list(exp.kpis) or list(KPI_NAMES)
    try:
        return screening.analyze(runs, exp, kpis)
    except UserError as exc:
        status.messages.append(f"screening: {exc}")
        return None


def _build_report(folder: Path, status: SweepStatus) -> Path | None:
    try:
        from simulation import reporting
    except ImportError as exc:
        status.messages.append(f"report: simulation.reporting is not available ({exc})")
        return None
    try:
        return Path(reporting.build_report(folder))
    except UserError as exc:
        status.messages.append(f"report: {exc}")
        return None


def _print_status(status: SweepStatus, exp: ExperimentConfig, out: Any) -> None:
    print("", file=out)
    if status.comparison is not None:
        print(comparison_table(status.comparison, main_kpis(exp), exp.baseline), file=out)
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
        f"{status.line}"
        + (f" (resume: lieux experiment={exp.name} resume={status.folder})" if status.missing else ""),
        file=out,
    )
    print(f"results: {status.folder}", file=out)
    if status.report is not None:
        print(f"report: {status.report}", file=out)
    out.flush()


# --------------------------------------------------------------------------------------------------
# The Hydra callback
# --------------------------------------------------------------------------------------------------
def sim_config_of(config: DictConfig) -> SimConfig:
    """The validated SimConfig of a composed Hydra config (its ``hydra`` node left out)."""
    keys = [k for k in config.keys() if k != "hydra"]
    data = OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)
    assert isinstance(data, dict)
    return to_config(data)  # type: ignore[arg-type]


class ExperimentCallback(Callback):
    """Hydra callback of experiments: checks and records the set-up, then aggregates after the sweep.

    Both hooks run in the driver process, whatever the launcher. Errors of the user's input stop the sweep
    before any job (:class:`ExperimentAbort`).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Validate the experiment, check the resume folder, write ``experiment.yaml``."""
        global current_folder, current_name, last_status
        last_status = None
        try:
            cfg = sim_config_of(config)
            check_setup(cfg)
            _add_grid_params(config, cfg)
            folder = Path(str(config.hydra.sweep.dir))
            if cfg.resume:
                _check_resume(folder, cfg, list(config.hydra.overrides.task))
            task = [str(o) for o in config.hydra.overrides.task]
            hydra_ov = [str(o) for o in config.hydra.overrides.hydra if not str(o).startswith("hydra.mode=")]
            command = " ".join(["lieux", *task, *hydra_ov])
            write_experiment_file(folder, cfg, command, [o for o in task if not o.startswith("resume=")])
            current_folder, current_name = folder, cfg.experiment.name
            n = len(expected_jobs(cfg))
            done = sum(is_finished(folder / RUNS / j) for j in expected_jobs(cfg)) if cfg.resume else 0
            print(
                f"experiment {cfg.experiment.name}: {n} jobs ({done} already complete) in {folder}",
                flush=True,
            )
        except UserError as exc:
            raise ExperimentAbort(str(exc)) from None

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the results folder (:func:`aggregate`)."""
        global last_status
        try:
            cfg = sim_config_of(config)
            last_status = aggregate(Path(str(config.hydra.sweep.dir)), cfg)
        except UserError as exc:
            raise ExperimentAbort(str(exc)) from None


def _add_grid_params(config: DictConfig, cfg: SimConfig) -> None:
    """Sweep the grid keys given on the command line too (the file's are in the node already).

    The sweeper is instantiated from this same config after ``on_multirun_start``, so it sees them.
    """
    params = config.hydra.sweeper.params
    missing = [key for key in cfg.experiment.grid if key not in params]
    if missing:
        with read_write(config), open_dict(config):
            for key in missing:
                params[key] = ",".join(_override_value(v) for v in cfg.experiment.grid[key])


def _check_resume(folder: Path, cfg: SimConfig, task_overrides: list[str]) -> None:
    if not folder.is_dir():
        raise UserError(f"resume folder not found: {folder}")
    path = folder / EXPERIMENT_FILE
    if not path.is_file():
        raise UserError(
            f"resume folder {folder} has no {EXPERIMENT_FILE}: it is not the results folder of an experiment"
        )
    old = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    old_name = _select(old, "experiment.name")
    if old_name != cfg.experiment.name:
        raise UserError(f"resume folder {folder} holds experiment {old_name!r}, not {cfg.experiment.name!r}")
    now = sorted(o for o in task_overrides if not str(o).startswith("resume="))
    before = sorted(old.get("overrides", []))
    if now != before:
        print(
            f"warning: resuming with other overrides than the first run ({' '.join(before) or 'none'}); jobs "
            "already complete keep their results",
            file=sys.stderr,
            flush=True,
        )
