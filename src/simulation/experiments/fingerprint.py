"""The fingerprint of an experiment's configuration: what must not change between its runs.

An experiment's results folder records its resolved configuration (``experiment.yaml``: ``configuration``, every
key flattened to a dotted name, and ``fingerprint``, a SHA-256 of it) when it starts. Everything counts but what
differs from job to job or from machine to machine (:data:`EXCLUDED`: the replicate, the Morris sample point, the
scenario, the seed, the grid point, the folders, the progress display, the memory limit; the launcher is not in the
configuration). The scenario varies by job, so the fingerprint holds instead the content of every scenario file the
experiment runs (``scenario_file.<name>.<key>``): a scenario edited between a run and its resume is a change too.
Resuming the folder, or aggregating it, with another configuration would mix runs made under both: the resume
check refuses it and names the keys that differ.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from simulation import resources
from simulation.core.config import SimConfig, as_dict

# Dotted keys (and prefixes) left out of the fingerprint: they vary by job or by machine, not by experiment.
EXCLUDED: tuple[str, ...] = (
    "experiment.replicate",
    "experiment.sample",
    "scenario",
    "seed",
    "resume",
    "output.dir",
    "output.progress",
    "output.overwrite",
    "output.job_lines",
    "run",
)
SHOWN = 6  # differing keys named in a refusal


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{dotted.key: value}``; lists of mappings as ``key[i].sub``, other lists kept whole."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}{k}."))
        if not data and prefix:
            out[prefix[:-1]] = {}
        return out
    if isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, v in enumerate(data):
            out.update(flatten(v, f"{prefix[:-1]}[{i}]."))
        return out
    out[prefix[:-1]] = data
    return out


def _excluded(key: str, extra: tuple[str, ...]) -> bool:
    return any(key == e or key.startswith(e + ".") or key.startswith(e + "[") for e in EXCLUDED + extra)


def configuration(cfg: SimConfig) -> dict[str, Any]:
    """The flattened configuration of an experiment, without :data:`EXCLUDED` and the keys its jobs set (the
    grid's and the Morris parameters')."""
    per_job = tuple(str(k) for k in cfg.experiment.grid)
    if cfg.experiment.method == "morris":
        per_job += tuple(str(k) for k in cfg.experiment.parameters)
    flat = flatten(json.loads(json.dumps(as_dict(cfg), default=str)))
    flat.update(scenario_files(list(cfg.experiment.scenarios) or [cfg.scenario.name]))
    return {k: v for k, v in sorted(flat.items()) if not _excluded(k, per_job)}


def scenario_files(names: list[str], folder: Path | None = None) -> dict[str, Any]:
    """The content of each named scenario file, flattened under ``scenario_file.<name>.``.

    A file that is missing or unreadable is recorded as such (its run fails with its own message); the
    experiment's jobs read the same files, so an edit between a run and its resume shows here.

    Args:
        names: scenario names (files ``<folder>/<name>.yaml``).
        folder: the scenario folder (default: the package's ``configs/scenario``).
    """
    folder = folder if folder is not None else resources.configs_dir() / "scenario"
    out: dict[str, Any] = {}
    for name in names:
        path = folder / f"{name}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            out[f"scenario_file.{name}"] = f"unreadable: {type(exc).__name__}"
            continue
        data = json.loads(json.dumps(data, default=str))
        out.update(flatten(data if isinstance(data, dict) else {"value": data}, f"scenario_file.{name}."))
    return out


def fingerprint(config: dict[str, Any]) -> str:
    """The SHA-256 of a flattened configuration (its keys sorted)."""
    text = json.dumps(config, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, old value, new value)`` for every key that differs (missing on one side: None), sorted."""
    keys = sorted(set(old) | set(new))
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def describe_differences(diff: list[tuple[str, Any, Any]]) -> str:
    """``weeks (2 -> 4), territory.kind (synthetic -> nievre)`` for the first :data:`SHOWN` differences."""
    parts = [f"{k} ({_short(a)} -> {_short(b)})" for k, a, b in diff[:SHOWN]]
    more = f" and {len(diff) - SHOWN} more" if len(diff) > SHOWN else ""
    return ", ".join(parts) + more


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
