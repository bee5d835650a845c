"""The fingerprint of an experiment's configuration: what must not change between its runs.

An experiment's results folder records its resolved configuration (``experiment.yaml``: ``configuration``, every
key flattened to a dotted name, and ``fingerprint``, a SHA-256 of it) when it starts. Everything counts but what
differs from job to job or from machine to machine (:data:`EXCLUDED`: the replicate, the Morris sample point, the
scenario, the seed, the grid point, the folders, the progress display, the memory limit; the launcher is not in the
configuration). Resuming the folder, or aggregating it, with another configuration would mix runs made under
both: :func:`check_same` refuses it and names the keys that differ.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
    return {k: v for k, v in sorted(flat.items()) if not _excluded(k, per_job)}


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
