"""The territory's tables: :class:`Territory`, the columns and dtypes of zones and places (docs/INTERFACES.md),
the ``providers`` column's syntax, and writing the tables back as ``zones.csv`` / ``places.csv``."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.timetable import TimetableError, format_timetable, is_subset, parse_timetable

NETWORK_ID = "france_services"  # the partner network in the providers column (docs/INTERFACES.md)
POSTAL_PROVIDER = "la_poste"  # the provider of post offices; it keeps no separate office in the centre
LABELS = ("", "france_services")

ZONE_COLUMNS = ["zone_id", "name", "x_km", "y_km", "population", "kind", "jobs", "car_share", "area_km2"]
ZONES_REQUIRED = ["zone_id", "x_km", "y_km", "population", "kind"]
ZONES_OPTIONAL = ["jobs", "car_share", "name", "area_km2"]

PLACES_REQUIRED = [
    "place_id",
    "zone_id",
    "name",
    "origin",
    "operator",
    "area_m2",
    "desks",
    "counters",
    "workshop_seats",
    "opening",
]
PLACES_OPTIONAL = [
    "opening_work",
    "opening_mediation",
    "opening_workshop",
    "providers",
    "price_day_eur",
    "price_month_eur",
    "label",
]
# The places table in memory (docs/INTERFACES.md): the file's columns, with `providers` parsed into `network`
# and `permanences`, and the sharing clause's `offhours` slots.
PLACE_COLUMNS = [
    *PLACES_REQUIRED,
    "opening_work",
    "opening_mediation",
    "opening_workshop",
    "offhours",
    "network",
    "permanences",
    "price_day_eur",
    "price_month_eur",
    "label",
]
# Which capacity column goes with which activity timetable.
ACTIVITY_CAPACITY = {
    "opening_work": "desks",
    "opening_mediation": "counters",
    "opening_workshop": "workshop_seats",
}


@dataclass(frozen=True)
class Territory:
    """Zones and places of a run (columns and dtypes in docs/INTERFACES.md).

    Attributes:
        name: ``synthetic``, ``nievre`` or the name given to :func:`load_files`.
        zones: one row per zone.
        places: one row per place.
        notes: what the loader had to report (e.g. opening hours it could not read).
    """

    name: str
    zones: pd.DataFrame
    places: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def zones_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The zones table with the columns and dtypes of docs/INTERFACES.md."""
    df = pd.DataFrame.from_records(records, columns=ZONE_COLUMNS)
    for c in ("zone_id", "name", "kind"):
        df[c] = df[c].astype(str)
    for c in ("x_km", "y_km", "jobs", "car_share", "area_km2"):
        df[c] = df[c].astype(float)
    df["population"] = df["population"].astype(np.int64)
    return df.reset_index(drop=True)


PROVIDER_ENTRY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?$", re.DOTALL)


def parse_providers(text: str, provider_ids: Iterable[str], mediation: int) -> tuple[bool, dict[str, int]]:
    """Parse the ``providers`` column (docs/INTERFACES.md): entries separated by ``+``.

    An entry is a provider id (present in every ``opening_mediation`` slot), ``id(<timetable>)`` (a
    permanence in those slots only) or ``france_services`` (the partner network).

    Args:
        text: e.g. ``"france_services + cpam(Tue AM) + dgfip(Thu PM)"``; blank means no provider.
        provider_ids: the known provider ids.
        mediation: the place's ``opening_mediation`` mask.

    Returns:
        ``(network, permanences)``.

    Raises:
        ValueError: with what was expected (the caller adds file, line and column).
    """
    known = list(provider_ids)
    network = False
    perms: dict[str, int] = {}
    if not text.strip():
        return network, perms
    if mediation == 0:
        raise ValueError(
            "providers are listed but the place has no mediation slot; give counters > 0 and an opening "
            "(or opening_mediation), or leave providers blank"
        )
    for raw in text.split("+"):
        entry = raw.strip()
        m = PROVIDER_ENTRY.match(entry)
        if not m:
            raise ValueError(
                f"malformed entry {entry!r}; expected a provider id, id(<timetable>) or {NETWORK_ID}, "
                f"separated by '+'"
            )
        pid, tt = m.group(1), m.group(2)
        if pid == NETWORK_ID:
            if tt is not None:
                raise ValueError(
                    f"{NETWORK_ID} takes no timetable: its mediators work in every opening_mediation slot"
                )
            if network:
                raise ValueError(f"{NETWORK_ID} listed twice")
            network = True
            continue
        if pid not in known:
            raise ValueError(
                f"unknown provider id {pid!r}; known ids are {', '.join(known)} and {NETWORK_ID}"
            )
        if pid in perms:
            raise ValueError(f"provider {pid!r} listed twice; give one entry with all its slots")
        if tt is None:
            mask = mediation
        else:
            try:
                mask = parse_timetable(tt)
            except TimetableError as exc:
                raise ValueError(f"malformed timetable of {pid!r}: {exc}") from None
            if mask == 0:
                raise ValueError(f"the timetable of {pid!r} is empty; remove the entry or give slots")
            if not is_subset(mask, mediation):
                raise ValueError(
                    f"the permanence of {pid!r} ({format_timetable(mask)}) is not within "
                    f"opening_mediation ({format_timetable(mediation)}); "
                    f"slots outside it: {format_timetable(mask & ~mediation)}"
                )
        perms[pid] = mask
    return network, perms


def format_providers(network: bool, permanences: dict[str, int], mediation: int) -> str:
    """Inverse of :func:`parse_providers`: ``france_services + caf + cpam(Tue AM)``."""
    items = [NETWORK_ID] if network else []
    for pid, mask in permanences.items():
        items.append(pid if mask == mediation else f"{pid}({format_timetable(mask)})")
    return " + ".join(items)


def places_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The places table with the columns and dtypes of docs/INTERFACES.md."""
    df = pd.DataFrame.from_records(records, columns=PLACE_COLUMNS)
    for c in ("place_id", "zone_id", "name", "origin", "operator", "label"):
        df[c] = df[c].astype(str)
    for c in ("area_m2", "price_day_eur", "price_month_eur"):
        df[c] = df[c].astype(float)
    for c in ("desks", "counters", "workshop_seats", "opening", "opening_work", "opening_mediation"):
        df[c] = df[c].astype(np.int64)
    for c in ("opening_workshop", "offhours"):
        df[c] = df[c].astype(np.int64)
    df["network"] = df["network"].astype(bool)
    df["permanences"] = df["permanences"].astype(object)
    return df.reset_index(drop=True)


def _fmt_number(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return ""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


def places_to_csv_frame(places: pd.DataFrame) -> pd.DataFrame:
    """The places table in the human ``places.csv`` format (timetables as text; defaults left blank)."""
    out = pd.DataFrame(
        {c: places[c].astype(str) for c in ("place_id", "zone_id", "name", "origin", "operator")}
    )
    out["area_m2"] = [_fmt_number(float(x)) for x in places["area_m2"]]
    for c in ("desks", "counters", "workshop_seats"):
        out[c] = places[c].astype(np.int64).astype(str)
    out["opening"] = [format_timetable(int(m)) for m in places["opening"]]
    for col, cap in ACTIVITY_CAPACITY.items():
        default = np.where(places[cap] > 0, places["opening"], 0)
        out[col] = [
            "" if int(m) == int(d) else format_timetable(int(m))
            for m, d in zip(places[col], default, strict=True)
        ]
    out["providers"] = [
        format_providers(bool(n), dict(p), int(m))
        for n, p, m in zip(places["network"], places["permanences"], places["opening_mediation"], strict=True)
    ]
    for c in ("price_day_eur", "price_month_eur"):
        out[c] = [_fmt_number(float(x)) for x in places[c]]
    out["label"] = places["label"].astype(str)
    return out


def write_places_csv(places: pd.DataFrame, path: str | Path) -> None:
    """Write the places table as a ``places.csv`` that :func:`read_places_csv` reads back identically."""
    places_to_csv_frame(places).to_csv(path, index=False, lineterminator="\n")


def write_zones_csv(zones: pd.DataFrame, path: str | Path, digits: int = 3) -> None:
    """Write the zones table as a ``zones.csv`` (all-NaN optional columns are left out)."""
    out = zones.copy()
    for c in ("x_km", "y_km"):
        out[c] = out[c].round(digits)
    keep = [c for c in ZONE_COLUMNS if c in ZONES_REQUIRED or c == "name" or out[c].notna().any()]
    out[keep].to_csv(path, index=False, lineterminator="\n")
