"""The results folder of an experiment: its layout, its job folders and the one scanner of its run folders.

``results/<name>/<timestamp>/`` (docs/INTERFACES.md, "Experiments") holds ``runs/<job dir>/`` (one run each,
finished when its ``summary.json`` exists), ``experiment.yaml``, ``runs.csv``, ``comparison.csv`` or
``screening.csv``, ``figures/`` and ``report.md``. This module names those files, names the job folders
(:func:`job_dirname`, :func:`expected_jobs`), reads the run folders (:func:`collect_runs`,
:func:`unfinished_jobs`: the only code that walks ``runs/``) and reads or updates ``experiment.yaml``.

It imports neither the model nor the figures, so that the sweep, the aggregation and the report can all use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simulation.core.atomic import write_atomic, write_text_atomic
from simulation.core.config import ExperimentConfig, SimConfig
from simulation.core.errors import InputFileError
from simulation.experiments import screening
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import CONFIG, SUMMARY, is_finished, jsonable

RUNS = "runs"  # sub-folder of a results folder holding one folder per job
EXPERIMENT_FILE = "experiment.yaml"
RUNS_CSV = "runs.csv"
COMPARISON_CSV = "comparison.csv"
SCREENING_CSV = "screening.csv"
DECOMPOSITION_CSV = "decomposition.csv"  # person-km and days or trips by kind (experiments.decomposition)
RESPONSE_CSV = "response.csv"  # a sweep: each KPI against each swept parameter (stats.response_table)
RUN_COLUMNS: tuple[str, ...] = ("run_dir", "scenario", "seed", "replicate", "sample", "overrides")
# Summary keys that runs.csv takes from the job (not repeated from summary.json).
_SUMMARY_SKIP = {"scenario", "seed"}


# --------------------------------------------------------------------------------------------------
# Job folders
# --------------------------------------------------------------------------------------------------
def override_value(value: Any) -> str:
    """A value in Hydra's override syntax (strings with special characters quoted).

    Args:
        value: a configuration value (bool, number, text, or a list of them).
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if _is_list(
        value
    ):  # a list value (e.g. territory.departements=[58]): Hydra's list syntax, one element each
        return "[" + ",".join(override_value(v) for v in value) + "]"
    text = str(value)
    return text if re.fullmatch(r"[\w.\-/]+", text) else "'" + text.replace("'", "\\'") + "'"


def _is_list(value: Any) -> bool:
    """A list value (list, tuple or an OmegaConf ListConfig), not a string."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def point_value(value: Any) -> Any:
    """A grid value as a table cell: scalars unchanged, a list as its elements joined by ``+``.

    A grid may sweep a list key (``territory.departements: [[58], [18]]``, one job per departement); its values
    are shown, named in folders and grouped on as ``58`` or ``18+58`` (hashable, one column, readable).
    """
    return "+".join(str(v) for v in value) if _is_list(value) else value


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
        parts.append(_slug(f"{str(key).rsplit('.', 1)[-1]}={point_value(value)}"))
    if sample >= 0:
        parts.append(f"s{sample:04d}")
    return "_".join(parts)


def n_morris_samples(exp: ExperimentConfig) -> int:
    """The number of Morris sample points (:func:`simulation.experiments.screening.n_samples`)."""
    return int(screening.n_samples(exp))


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


def override_keys(exp: ExperimentConfig) -> list[str]:
    """The keys a job sets besides scenario and seed: the grid's, and the Morris parameters'."""
    keys = list(exp.grid)
    if exp.method == "morris":
        keys += [k for k in exp.parameters if k not in keys]
    return keys


def _keys_from(run_exp: dict[str, Any]) -> list[str]:
    """:func:`override_keys` from the experiment section of a run's config.yaml."""
    keys = list((run_exp.get("grid") or {}).keys())
    if run_exp.get("method") == "morris":
        keys += [k for k in (run_exp.get("parameters") or {}) if k not in keys]
    return keys


def select(data: Any, key: str) -> Any:
    """The value at a dotted key of nested mappings, None when absent.

    Args:
        data: nested dicts (a config.yaml or experiment.yaml read as plain data).
        key: e.g. ``experiment.name``.
    """
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# --------------------------------------------------------------------------------------------------
# Reading the run folders (the only scanner of runs/)
# --------------------------------------------------------------------------------------------------
def _job_folders(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every job folder under ``folder/runs/`` in name order, with whether it holds a finished run.

    Hidden folders (the temporary folders of jobs being written or killed) are not job folders.
    """
    runs_dir = Path(folder) / RUNS
    if not runs_dir.is_dir():
        return
    for run in sorted(runs_dir.iterdir()):
        if run.is_dir() and not run.name.startswith("."):
            yield run, is_finished(run)


def finished_job_names(folder: Path | str) -> list[str]:
    """The names of the job folders under ``folder/runs/`` that hold a finished run."""
    return [run.name for run, finished in _job_folders(Path(folder)) if finished]


def unfinished_jobs(folder: Path | str) -> list[str]:
    """The names of the job folders under ``folder/runs/`` without a finished run (unfinished or killed jobs).

    Args:
        folder: the results folder.
    """
    return [run.name for run, finished in _job_folders(Path(folder)) if not finished]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(str(path), f"unreadable JSON ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise InputFileError(str(path), "expected a JSON object (the summary of a run)")
    return data


def read_summary(run: Path | str) -> dict[str, Any] | None:
    """The summary of a finished run folder, None when it is missing or not a readable JSON object."""
    try:
        return _read_json(Path(run) / SUMMARY)
    except InputFileError:
        return None


def collect_runs(
    folder: Path | str, exp: ExperimentConfig | None = None, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per finished run under ``folder/runs/`` (unfinished and hidden temporary folders are skipped).

    Args:
        folder: the results folder.
        exp: the experiment (for the ``overrides`` column; default: the one in each run's config).
        names: read only these job folders (the experiment's expected jobs); default: every one.

    Returns:
        The table of ``runs.csv``: columns :data:`RUN_COLUMNS`, then one column per swept key (the grid's and
        the Morris parameters', named by the dotted key: ``policy.remote_days_per_week``), then
        :data:`~simulation.observe.metrics.KPI_NAMES`, then the other numbers of the summaries. ``run_dir`` is
        relative to ``folder``; ``overrides`` is the same keys as ``key=value`` separated by spaces.

    Raises:
        InputFileError: a run's summary.json is not readable JSON.
    """
    folder = Path(folder)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rows: list[dict[str, Any]] = []
    swept: dict[str, None] = {}  # the swept keys met, in order (a dict as an ordered set)
    wanted = None if names is None else set(names)
    for run, finished in _job_folders(folder):
        if not finished or (wanted is not None and run.name not in wanted):
            continue
        summary = _read_json(run / SUMMARY)
        config_path = run / CONFIG
        config = (
            yaml.load(config_path.read_text(encoding="utf-8"), Loader=loader) if config_path.is_file() else {}
        )
        config = config if isinstance(config, dict) else {}
        run_exp = config.get("experiment", {}) or {}
        keys = override_keys(exp) if exp is not None else _keys_from(run_exp)
        row: dict[str, Any] = {
            "run_dir": f"{RUNS}/{run.name}",
            "scenario": summary.get("scenario", select(config, "scenario.name")),
            "seed": summary.get("seed", config.get("seed")),
            "replicate": run_exp.get("replicate", 0),
            "sample": run_exp.get("sample", -1),
            "overrides": " ".join(f"{k}={override_value(select(config, k))}" for k in keys),
        }
        for k in keys:  # each swept key its own column (named by its dotted key), the value as run
            row[k] = point_value(select(config, k))
            swept.setdefault(k, None)
        for k in KPI_NAMES:
            row[k] = summary.get(k)
        for k, v in summary.items():
            if k not in row and k not in _SUMMARY_SKIP and (isinstance(v, int | float) or v is None):
                row[k] = v
        rows.append(row)
    columns = list(RUN_COLUMNS) + [k for k in swept if k not in KPI_NAMES] + list(KPI_NAMES)
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=list(RUN_COLUMNS) + (override_keys(exp) if exp else []) + list(KPI_NAMES))
    for k in KPI_NAMES:
        df[k] = pd.to_numeric(df[k], errors="coerce")
    extra = [c for c in df.columns if c not in columns]
    return df[columns + extra].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# experiment.yaml and the tables
# --------------------------------------------------------------------------------------------------
def read_experiment_file(folder: Path | str) -> dict[str, Any]:
    """The content of ``folder/experiment.yaml`` (empty when absent or not a mapping).

    Raises:
        InputFileError: the file is not valid YAML.
    """
    path = Path(folder) / EXPERIMENT_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(str(path), f"unreadable YAML ({' '.join(str(exc).split())})") from None
    return data if isinstance(data, dict) else {}


def update_experiment_file(folder: Path | str, updates: dict[str, Any]) -> Path:
    """Merge ``updates`` into ``folder/experiment.yaml`` (top-level keys replaced), written atomically.

    Args:
        folder: the results folder.
        updates: top-level keys and their new values (numpy numbers and NaN are written as plain YAML).

    Returns:
        The file's path.
    """
    path = Path(folder) / EXPERIMENT_FILE
    data = read_experiment_file(folder)
    data.update(jsonable(updates))
    return write_text_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table atomically (a temporary file renamed), so that a reader never sees half a file."""
    write_atomic(path, lambda tmp: df.to_csv(tmp, index=False))
