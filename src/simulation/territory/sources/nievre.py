"""Territory source ``nievre``: the Nièvre (58), from the committed ``data/nievre/`` files.

The files are built by ``scripts/build_nievre.py`` from INSEE populations and the 2020 France Services sites
(see ``data/nievre/SOURCES.md``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import resources
from simulation.core.config import TerritoryConfig
from simulation.core.errors import InputFileError
from simulation.territory.sources import register
from simulation.territory.sources.files import read_places_csv, read_zones_csv
from simulation.territory.tables import NETWORK_ID, PROVIDER_ENTRY, Territory

DATA_DIR = resources.data_dir("nievre")


def load_nievre(provider_ids: Sequence[str], data_dir: str | Path | None = None) -> Territory:
    """The Nièvre (58): 309 communes and their places, from the committed ``data/nievre/`` files.

    The files name the default providers of config.py; when the run's providers differ, permanences of
    providers the run does not have are dropped (with their offices if nothing else remains) and noted.
    Lines of ``build_report.txt`` starting with ``unreadable:`` (opening hours the build could not read) are
    copied to the notes.

    Raises:
        InputFileError: if the files are missing (run ``scripts/build_nievre.py``) or malformed.
    """
    d = Path(data_dir) if data_dir is not None else DATA_DIR
    zpath, ppath = d / "zones.csv", d / "places.csv"
    for p in (zpath, ppath):
        if not p.is_file():
            raise InputFileError(
                str(p),
                "the built-in Nièvre data is missing; run 'python scripts/build_nievre.py' from the "
                "repository (or use territory=files with your own zones.csv and places.csv)",
            )
    zones = read_zones_csv(zpath)
    # Read with every id the file names, so that a run with fewer providers can still use the territory.
    file_ids = _provider_ids_in_file(ppath)
    places = read_places_csv(ppath, zones, list(dict.fromkeys([*provider_ids, *file_ids])))
    notes = [f"Nièvre built by scripts/build_nievre.py; see {d / 'build_report.txt'}"]
    places = _restrict_providers(places, set(provider_ids), notes)
    report = d / "build_report.txt"
    if report.is_file():
        notes += [
            ln.strip()
            for ln in report.read_text(encoding="utf-8").splitlines()
            if ln.startswith("unreadable:")
        ]
    return Territory(name="nievre", zones=zones, places=places, notes=notes)


def _provider_ids_in_file(path: Path) -> list[str]:
    ids: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            for entry in (row.get("providers") or "").split("+"):
                m = PROVIDER_ENTRY.match(entry.strip())
                if m and m.group(1) != NETWORK_ID:
                    ids.append(m.group(1))
    return list(dict.fromkeys(ids))


def _restrict_providers(places: pd.DataFrame, keep: set[str], notes: list[str]) -> pd.DataFrame:
    dropped = sorted({p for perms in places["permanences"] for p in perms if p not in keep})
    if not dropped:
        return places
    places = places.copy()
    places["permanences"] = [{p: m for p, m in perms.items() if p in keep} for perms in places["permanences"]]
    orphan = (places["origin"] == "provider_office") & (places["permanences"].map(len) == 0)
    notes.append(
        f"providers not in this run dropped from the places: {', '.join(dropped)}; "
        f"{int(orphan.sum())} of their own offices removed"
    )
    return places.loc[~orphan].reset_index(drop=True)


@register("nievre")
def _from_config(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """``territory=nievre``: the built-in files."""
    return load_nievre(provider_ids)
