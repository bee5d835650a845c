"""Writing and reading a run folder (docs/ODD.md 7.11).

A finished run folder holds::

    summary.json    the KPIs of metrics.KPI_NAMES plus scenario, seed, weeks, n_residents, n_workers,
                    n_makers, runtime_s (NaN written as null); written LAST, it marks the run as finished
    slots.parquet   one row per place, week, day, slot and activity (if output.slots)
    places.csv, providers.csv, zones.csv, periods.csv
    config.yaml     the resolved configuration
    notes.txt       what the run had to report (only when there is something), the KPIs outside their
                    plausible bands (lines ``plausibility: ...``)

Atomic writing: every file is first written into a hidden temporary folder on the same file system
(:mod:`simulation.core.atomic`: ``.<name>.<host>-<pid>.<random>.tmp``). If the run folder does not exist yet,
the temporary folder is made beside it and renamed into place in one step. If it already exists (Hydra creates
the run folder and writes ``.hydra/`` and its log there before the job starts), the temporary folder is made
inside it (so a writable folder under a read-only parent works), an old ``summary.json`` is removed first, then
each file is moved in with ``os.replace`` (atomic per file), ``summary.json`` last. Either way an interrupted run
never leaves a folder with a ``summary.json`` next to incomplete or stale tables; :func:`is_finished` tests for
the marker. Temporaries left by a killed writer are removed by the next write into the same place.
A finished result that is run again (``output.overwrite=true``) is first moved aside (:func:`set_aside`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.core.atomic import clean_stale, temp_folder
from simulation.core.config import SimConfig, as_dict
from simulation.core.errors import InputFileError
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.plausibility import warning_lines


@dataclass
class RunResult:
    """What one run produces (:func:`simulation.model.run`).

    Attributes:
        summary: the KPIs of metrics.KPI_NAMES plus scenario, seed, weeks, n_residents, n_workers, n_makers, runtime_s.
        tables: ``slots``, ``places``, ``providers``, ``zones``, ``periods`` as tidy DataFrames.
        notes: what the run had to report (unreadable opening hours, scenario log, closures...).
    """

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


SUMMARY = "summary.json"
CONFIG = "config.yaml"
NOTES = "notes.txt"
TABLES: tuple[str, ...] = ("slots", "places", "providers", "zones", "periods")
# The order of the first keys of summary.json; the KPIs follow in KPI_NAMES order, then anything else.
SUMMARY_HEAD: tuple[str, ...] = (
    "scenario",
    "seed",
    "weeks",
    "n_residents",
    "n_workers",
    "n_makers",
    "runtime_s",
)


def _table_file(name: str) -> str:
    return f"{name}.parquet" if name == "slots" else f"{name}.csv"


# Every file write_run may create; stale ones from an earlier run in the same folder are removed.
OUTPUT_FILES: tuple[str, ...] = (SUMMARY, CONFIG, NOTES) + tuple(_table_file(t) for t in TABLES)
# Hydra's files in a run folder (its resolved configuration and the log), moved aside with a replaced result
HYDRA_FILES: tuple[str, ...] = (".hydra", "lieux.log")
PREVIOUS = ".previous"  # where set_aside moves a replaced result until the new one is complete


def jsonable(value: Any) -> Any:
    """Plain JSON data from numpy/pandas values; NaN and infinities become None (null).

    Args:
        value: a scalar, a mapping, a sequence or an array.

    Returns:
        Nested dicts, lists, str, int, float, bool and None only.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return str(value)


def summary_dict(result: RunResult, cfg: SimConfig) -> dict[str, Any]:
    """The content of summary.json: the run's summary in a fixed key order, completed from the config.

    Args:
        result: the run's result.
        cfg: the configuration of the run (fills ``scenario``, ``seed`` and ``weeks`` if the model did not).

    Returns:
        A JSON-ready dict.
    """
    raw = dict(result.summary)
    raw.setdefault("scenario", cfg.scenario.name)
    raw.setdefault("seed", cfg.seed)
    raw.setdefault("weeks", cfg.weeks)
    order = [k for k in SUMMARY_HEAD if k in raw] + [k for k in KPI_NAMES if k in raw]
    order += [k for k in raw if k not in order]
    return {k: jsonable(raw[k]) for k in order}


def _write_files(result: RunResult, cfg: SimConfig, folder: Path) -> list[str]:
    """Write every output into ``folder``; return the file names, summary.json last."""
    names: list[str] = []
    for name, table in result.tables.items():
        if not name.isidentifier():
            raise ValueError(f"table name {name!r} is not a plain identifier")
        if name == "slots" and not cfg.output.slots:
            continue
        file = _table_file(name)
        if file.endswith(".parquet"):
            table.to_parquet(folder / file, index=False)
        else:
            table.to_csv(folder / file, index=False)
        names.append(file)
    with open(folder / CONFIG, "w", encoding="utf-8") as fh:
        yaml.safe_dump(as_dict(cfg), fh, sort_keys=False, allow_unicode=True)
    names.append(CONFIG)
    # the KPIs outside their plausible bands (observe.plausibility), after what the run itself had to report
    notes = [*result.notes, *(f"plausibility: {line}" for line in warning_lines(result.summary))]
    if notes:
        (folder / NOTES).write_text("\n".join(str(n) for n in notes) + "\n", encoding="utf-8")
        names.append(NOTES)
    text = json.dumps(summary_dict(result, cfg), indent=2, allow_nan=False, ensure_ascii=False)
    (folder / SUMMARY).write_text(text + "\n", encoding="utf-8")
    names.append(SUMMARY)
    return names


def write_run(result: RunResult, cfg: SimConfig, folder: Path | str) -> Path:
    """Write a run's outputs into ``folder`` atomically (see the module docstring).

    Args:
        result: what :func:`simulation.sim.model.run` returned.
        cfg: the validated configuration of the run.
        folder: the run folder; created if needed, may already exist (Hydra's run folder).

    Returns:
        The run folder.

    Raises:
        InputFileError: ``folder`` is a file.
        OSError: the folder cannot be written (permission, a full disk): :func:`simulation.core.failures.describe`
            reports it in one line.
    """
    folder = Path(folder).absolute()
    if folder.exists() and not folder.is_dir():
        raise InputFileError(str(folder), "the output folder is a file; expected a folder (output.dir)")
    exists = folder.is_dir()
    if not exists:
        folder.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(folder.parent, folder.name)  # temporary folders of a killed earlier write, beside the folder
    if exists:
        clean_stale(folder)  # and inside it
    # beside the folder when it is new (renamed into place in one step), inside it when it exists (so that a
    # writable folder under a read-only parent can be written)
    tmp = temp_folder(folder, inside=exists)
    try:
        names = _write_files(result, cfg, tmp)
        if not exists:
            try:
                os.rename(tmp, folder)  # one atomic step: the folder appears complete
                return folder
            except OSError:  # created meanwhile by someone else: move the files in one by one
                folder.mkdir(parents=True, exist_ok=True)
        (folder / SUMMARY).unlink(missing_ok=True)  # the folder no longer looks finished
        for stale in OUTPUT_FILES:
            if stale not in names:
                (folder / stale).unlink(missing_ok=True)
        for name in names:  # summary.json is last
            os.replace(tmp / name, folder / name)
        shutil.rmtree(folder / PREVIOUS, ignore_errors=True)  # the result this one replaced
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def set_aside(folder: Path | str) -> Path | None:
    """Move a finished run's result out of the way before the folder is run again (``output.overwrite=true``).

    Its files (and Hydra's ``.hydra/`` and log) go to ``<folder>/.previous/``, so that a run killed midway leaves
    a folder that looks unfinished, with the old result still at hand; :func:`write_run` deletes it once the new
    result is complete.

    Returns:
        The folder holding the old result, or None when ``folder`` held no finished run.
    """
    folder = Path(folder)
    if not is_finished(folder):
        return None
    aside = folder / PREVIOUS
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    os.replace(folder / SUMMARY, aside / SUMMARY)  # first: the folder no longer looks finished
    for entry in list(folder.iterdir()):
        if entry.name in OUTPUT_FILES or entry.name in HYDRA_FILES:
            os.replace(entry, aside / entry.name)
    return aside


def restore_previous(folder: Path | str) -> bool:
    """Put back a result moved aside by :func:`set_aside` when the run that was to replace it failed.

    Returns:
        Whether a result was restored (only into a folder that holds no finished run).
    """
    folder = Path(folder)
    aside = folder / PREVIOUS
    if not aside.is_dir() or is_finished(folder):
        return False
    for entry in sorted(aside.iterdir(), key=lambda p: p.name == SUMMARY):  # summary.json last
        target = folder / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(entry, target)
    aside.rmdir()
    return True


def is_finished(folder: Path | str) -> bool:
    """Whether ``folder`` holds a finished run (its ``summary.json`` marker)."""
    return (Path(folder) / SUMMARY).is_file()


def read_run(folder: Path | str) -> dict[str, Any]:
    """Load a finished run folder.

    Args:
        folder: a folder written by :func:`write_run`.

    Returns:
        A dict with ``folder`` (Path), ``summary`` (dict), ``tables`` (name -> DataFrame, for the tables
        present), ``config`` (dict, the resolved configuration) and ``notes`` (list of str).

    Raises:
        InputFileError: the folder has no summary.json (not a run, or an unfinished one) or it is unreadable.
    """
    folder = Path(folder)
    summary_path = folder / SUMMARY
    if not summary_path.is_file():
        raise InputFileError(str(summary_path), "missing; expected a finished run folder written by lieux")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(str(summary_path), f"unreadable JSON ({exc})") from None
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        path = folder / _table_file(name)
        if path.is_file():
            tables[name] = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    config_path = folder / CONFIG
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    notes_path = folder / NOTES
    notes = notes_path.read_text(encoding="utf-8").splitlines() if notes_path.is_file() else []
    return {"folder": folder, "summary": summary, "tables": tables, "config": config, "notes": notes}
