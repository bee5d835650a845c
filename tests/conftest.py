"""Shared fixtures of the model tests: tiny territories written as CSV files, and small configurations.

Opt-in tests (tests/test_launchers.py; they need ``pip install -e '.[cluster]'``): those marked ``ray`` start a
local Ray cluster, those marked ``submitit`` run jobs through Submitit (the SLURM launcher's code path: its local
executor, or its SLURM executor against the stand-in commands of tests/fake_slurm.py). They are skipped unless
opted in: ``pytest --run-ray`` or ``LIEUX_RUN_RAY=1`` for ``ray``, ``pytest --run-submitit`` or
``LIEUX_RUN_SUBMITIT=1`` for ``submitit``, ``pytest --run-cluster`` or ``LIEUX_RUN_CLUSTER=1`` for both.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulation.core.config import SimConfig, to_config
from simulation.territory import (
    PLACES_OPTIONAL,
    PLACES_REQUIRED,
    ZONES_OPTIONAL,
    ZONES_REQUIRED,
    Territory,
    load_files,
)

RUN_RAY_ENV = "LIEUX_RUN_RAY"
RUN_CLUSTER_ENV = "LIEUX_RUN_CLUSTER"
# opt-in marker -> (command-line option, environment variable, what its tests do)
OPT_IN = {
    "ray": ("--run-ray", RUN_RAY_ENV, "starts a local Ray cluster"),
    "submitit": (
        "--run-submitit",
        "LIEUX_RUN_SUBMITIT",
        "runs jobs through Submitit (its local executor, or SLURM's with stand-in commands)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for marker, (option, env, what) in OPT_IN.items():
        parser.addoption(
            option,
            action="store_true",
            default=False,
            help=f"run the tests marked '{marker}' (each {what}); or set {env}=1",
        )
    parser.addoption(
        "--run-cluster",
        action="store_true",
        default=False,
        help=f"run every opt-in launcher test ({', '.join(OPT_IN)}); or set {RUN_CLUSTER_ENV}=1",
    )


def pytest_configure(config: pytest.Config) -> None:
    for marker, (option, env, what) in OPT_IN.items():
        config.addinivalue_line(
            "markers",
            f"{marker}: {what} (opt-in: pytest {option} or --run-cluster, or {env}=1 or {RUN_CLUSTER_ENV}=1)",
        )


def _env_set(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    every = config.getoption("--run-cluster") or _env_set(RUN_CLUSTER_ENV)
    for marker, (option, env, what) in OPT_IN.items():
        if every or config.getoption(option) or _env_set(env):
            continue
        skip = pytest.mark.skip(reason=f"{what}: opt in with {option} or {env}=1 (both: --run-cluster)")
        for item in items:
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)


# the columns of zones.csv and places.csv, in the order the readers list them
ZONE_FIELDS = ZONES_REQUIRED + ZONES_OPTIONAL
PLACE_FIELDS = PLACES_REQUIRED + PLACES_OPTIONAL
ZONE_DEFAULTS = {"kind": "rural", "population": 0, "x_km": 0.0, "y_km": 0.0}
PLACE_DEFAULTS = {
    "name": "",
    "origin": "new",
    "operator": "public",
    "area_m2": 100,
    "desks": 0,
    "counters": 0,
    "workshop_seats": 0,
    "opening": "Mon-Fri AM PM",
}


def _write_csv(
    path: Path, rows: Sequence[dict[str, Any]], allowed: list[str], defaults: dict[str, Any]
) -> None:
    rows = [{**defaults, **r} for r in rows]
    cols = [c for c in allowed if any(c in r for r in rows)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: "" if r.get(c) is None else r.get(c, "") for c in cols})


@pytest.fixture
def tiny_territory(tmp_path: Path) -> Callable[..., Territory]:
    """Factory: ``tiny_territory(zones, places, provider_ids=None, name="tiny")`` -> Territory.

    ``zones`` and ``places`` are lists of dicts with the columns of zones.csv / places.csv (docs/ODD.md 6);
    missing required columns take harmless defaults (``ZONE_DEFAULTS``, ``PLACE_DEFAULTS``). The files are
    written to a fresh sub-folder of ``tmp_path`` and read back with
    :func:`simulation.territory.load_files`, so the territory goes through the same reader as a user's files.
    """
    counter = {"n": 0}

    def make(
        zones: Sequence[dict[str, Any]],
        places: Sequence[dict[str, Any]],
        provider_ids: Sequence[str] | None = None,
        name: str = "tiny",
    ) -> Territory:
        counter["n"] += 1
        folder = tmp_path / f"territory_{counter['n']}"
        folder.mkdir()
        _write_csv(folder / "zones.csv", zones, ZONE_FIELDS, ZONE_DEFAULTS)
        _write_csv(folder / "places.csv", places, PLACE_FIELDS, PLACE_DEFAULTS)
        ids = list(provider_ids) if provider_ids is not None else [p.id for p in to_config().providers]
        return load_files(folder / "zones.csv", folder / "places.csv", ids, name=name)

    return make


def providers(
    *ids: str, rate: float = 0.0, online: float = 0.0, delegates: bool = True
) -> list[dict[str, Any]]:
    """Provider entries for ``cfg['providers']`` (same rate, online share and delegation for all)."""
    return [
        {
            "id": i,
            "name": i.upper(),
            "needs_per_adult_year": rate,
            "online_share": online,
            "delegates": delegates,
        }
        for i in ids
    ]


def small_cfg(base: dict[str, Any] | None = None, **dotted: Any) -> SimConfig:
    """A validated config: ``base`` (a nested partial dict) merged over the defaults, then dotted overrides.

    Defaults here are those of a short test run (2 weeks, no warm-up, no progress bar); the territory kind
    is ``files`` with placeholder paths, since the tests pass their territory to the model directly.
    """
    merged: dict[str, Any] = {
        "weeks": 2,
        "warmup_weeks": 0,
        "territory": {"kind": "files", "zones": "unused", "places": "unused"},
        "output": {"progress": False},
    }
    _deep_update(merged, base or {})
    return to_config(merged, **dotted)


def synthetic_cfg(base: dict[str, Any] | None = None, **dotted: Any) -> SimConfig:
    """A short run on the synthetic territory (40,000 adults simulated at 10 %: about 4,000 agents)."""
    merged: dict[str, Any] = {
        "weeks": 4,
        "warmup_weeks": 1,
        "territory": {"kind": "synthetic"},
        "population": {"sample_rate": 0.1},
        "output": {"progress": False},
    }
    _deep_update(merged, base or {})
    return to_config(merged, **dotted)


def _deep_update(target: dict[str, Any], source: dict[str, Any]) -> None:
    for k, v in source.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _deep_update(target[k], v)
        else:
            target[k] = v


@pytest.fixture
def cfg_factory() -> Callable[..., SimConfig]:
    """The :func:`small_cfg` helper as a fixture."""
    return small_cfg
