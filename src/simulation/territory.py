"""The territory: zones and places, read from files, built for the Nièvre, or generated synthetically.

The tables follow docs/INTERFACES.md exactly (columns and dtypes of :class:`Territory`). Three sources:

- ``files``: :func:`load_files` reads ``zones.csv`` and ``places.csv`` (formats of MODEL.md 6). Every error
  raises :class:`~simulation.errors.InputFileError` naming the file, the line (header = line 1) and the
  column, and saying what was expected. Unknown columns are rejected (a misspelt optional column would
  otherwise be silently ignored) with the list of allowed ones.
- ``nievre``: :func:`load_nievre` reads the committed ``data/nievre/`` files, built by
  ``scripts/build_nievre.py`` from INSEE populations and the 2020 France Services sites (see
  ``data/nievre/SOURCES.md``).
- ``synthetic``: :func:`synthetic_territory` builds a grid of cells around a main town and secondary towns
  (Clark density gradient), then places the places by :func:`generate_places`.

Place rules (:func:`generate_places`, used by the Nièvre build and the synthetic territory). All thresholds
are in adults (the ``population`` column) and are the fields of :class:`PlaceRules`:

1. *Centre*: the most populous zone of kind ``centre`` (if there is none, the most populous zone).
2. *Provider offices*: in the centre, one office per provider except the postal one (``la_poste``), 2-3
   counters, ``Mon-Fri AM PM``, public, the provider present in every mediation slot. Urban zones with at
   least ``secondary_office_adults`` (4,000) adults and at least ``secondary_office_min_km`` (15 km) from
   the centre get offices of caf, cpam, france_travail and dgfip (1-2 counters): the sub-prefecture-sized
   towns; suburbs of the centre are served by its offices.
3. *Post office*: every zone with at least ``post_office_adults`` (800) adults; ``providers = la_poste``;
   2 counters and ``Mon-Fri AM PM; Sat AM`` in centre/urban zones, else 1 counter and ``Mon-Fri AM; Sat AM``.
   None when ``post_offices`` is False (the caller places the real ones, as :mod:`simulation.france` does).
4. *Town hall*: every zone; public, 1 counter (no provider: scenarios may convert it), ``Mon-Fri AM`` in
   rural/periurban zones, ``Mon-Fri AM PM`` in centre/urban zones.
5. *Library*: zones with at least ``library_adults`` (2,500) adults; public, ``Tue-Sat PM; Wed AM; Sat AM``,
   no capacity of its own (the sharing clause may open it to other activities).
6. *Primary school*: zones with at least ``school_adults`` (400) adults; public, ``Mon Tue Thu Fri AM PM;
   Wed AM``, no capacity (a building the sharing clause can open after hours).
7. *Coworking*: 2 in the centre (20 desks each, close to the 22-desk average of rural spaces, MODEL.md 1) and
   1 in each urban zone with at least ``coworking_adults`` (5,000) adults (12 desks); private,
   ``Mon-Fri AM PM``, prices blank (the policy defaults).
8. *Fab lab*: one in the centre; association, 12 workshop seats, ``Wed PM EV; Thu EV; Sat AM PM``.
9. *Community centre*: one in the centre and in each urban zone; association, 8 workshop seats,
   ``Tue Thu EV; Sat PM``.
10. *France Services*: the given real sites (``fs_sites``) with their own hours, or, when none are given (the
    synthetic territory), one in each urban zone that is not the centre, ``Mon-Fri AM PM``. 2 counters,
    about 100 m2, public, ``providers = france_services`` (the network of generalist mediators), label
    ``france_services``.

Floor areas: ``PlaceRules.area_m2`` per origin and zone kind (orders of magnitude of such buildings), times a
uniform factor in [0.85, 1.15] drawn from ``rng``, rounded to 5 m2; provider offices add ``m2_per_counter``
per counter. Place ids are ``<prefix>_<zone_id>`` (``po_58194``, ``th_58194``, ``off_caf_58194``,
``cw_58194_1``, ``fs_<site id>``); they do not depend on the random draws.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import OPERATORS, ORIGINS, ZONE_KINDS, SyntheticConfig, TerritoryConfig
from simulation.errors import ConfigError, InputFileError
from simulation.timetable import TimetableError, format_timetable, is_subset, parse_timetable

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

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "nievre"


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


# --------------------------------------------------------------------------------------------------
# Reading CSV files with exact line numbers
# --------------------------------------------------------------------------------------------------
def _read_rows(
    path: str | Path, required: list[str], optional: list[str]
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: stripped text}), after checking the header.

    The csv module (not pandas) is used so that line numbers are those of the file, blank lines included.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(
            str(path), f"file not found; expected a CSV file with columns {', '.join(required)}"
        )
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise InputFileError(
            str(path), f"empty file; expected a header line with columns {', '.join(required)}", 1
        )
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    allowed = required + optional
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # blank line
            if header is None:
                header = [f.strip() for f in fields]
                seen: set[str] = set()
                for col in header:
                    if col not in allowed:
                        raise InputFileError(
                            str(path), f"unknown column; allowed columns are {', '.join(allowed)}", line, col
                        )
                    if col in seen:
                        raise InputFileError(str(path), "column given twice in the header", line, col)
                    seen.add(col)
                for col in required:
                    if col not in seen:
                        raise InputFileError(
                            str(path),
                            f"missing required column; required columns are {', '.join(required)}",
                            line,
                            col,
                        )
                continue
            if len(fields) != len(header):
                raise InputFileError(
                    str(path), f"expected {len(header)} fields as in the header, got {len(fields)}", line
                )
            rows.append((line, {c: f.strip() for c, f in zip(header, fields, strict=True)}))
    except csv.Error as exc:
        raise InputFileError(str(path), f"malformed CSV: {exc}", reader.line_num) from None
    if not rows:
        raise InputFileError(str(path), "no data rows after the header; expected one row per item", 2)
    return rows


class _Row:
    """Typed access to the fields of one row, raising InputFileError with file, line and column."""

    def __init__(self, path: str | Path, line: int, values: dict[str, str]) -> None:
        self.path = str(path)
        self.line = line
        self.values = values

    def error(self, column: str | None, message: str) -> InputFileError:
        return InputFileError(self.path, message, self.line, column)

    def text(self, col: str, required: bool = True) -> str:
        v = self.values.get(col, "")
        if required and not v:
            raise self.error(col, "empty value; expected a non-empty text")
        return v

    def number(
        self, col: str, lo: float | None = 0.0, hi: float | None = None, required: bool = True
    ) -> float:
        v = self.values.get(col, "")
        rng = (
            "a number"
            + (f" >= {lo:g}" if lo is not None else "")
            + (f" and <= {hi:g}" if hi is not None else "")
        )
        if not v:
            if required:
                raise self.error(col, f"empty value; expected {rng}")
            return math.nan
        try:
            x = float(v)
        except ValueError:
            raise self.error(col, f"got {v!r}, expected {rng}") from None
        if not math.isfinite(x) or (lo is not None and x < lo) or (hi is not None and x > hi):
            raise self.error(col, f"got {v!r}, expected {rng}")
        return x

    def integer(self, col: str, what: str = "a whole number >= 0") -> int:
        v = self.values.get(col, "")
        try:
            x = float(v)
        except ValueError:
            raise self.error(col, f"got {v!r}, expected {what}") from None
        if not math.isfinite(x) or x < 0 or x != int(x):
            raise self.error(col, f"got {v!r}, expected {what}")
        return int(x)

    def choice(self, col: str, choices: Sequence[str]) -> str:
        v = self.values.get(col, "")
        if v not in choices:
            raise self.error(col, f"got {v!r}, expected one of {', '.join(choices)}")
        return v

    def timetable(self, col: str) -> int:
        v = self.values.get(col, "")
        try:
            return parse_timetable(v)
        except TimetableError as exc:
            raise self.error(col, f"malformed timetable {v!r}: {exc}") from None


def _check_unique(rows: list[tuple[int, dict[str, str]]], path: str | Path, col: str) -> None:
    first: dict[str, int] = {}
    for line, values in rows:
        v = values[col]
        if v in first:
            raise InputFileError(
                str(path), f"duplicate id {v!r} (first on line {first[v]}); ids must be unique", line, col
            )
        first[v] = line


# --------------------------------------------------------------------------------------------------
# zones.csv
# --------------------------------------------------------------------------------------------------
def _zones_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The zones table with the columns and dtypes of docs/INTERFACES.md."""
    df = pd.DataFrame.from_records(records, columns=ZONE_COLUMNS)
    for c in ("zone_id", "name", "kind"):
        df[c] = df[c].astype(str)
    for c in ("x_km", "y_km", "jobs", "car_share", "area_km2"):
        df[c] = df[c].astype(float)
    df["population"] = df["population"].astype(np.int64)
    return df.reset_index(drop=True)


def read_zones_csv(path: str | Path) -> pd.DataFrame:
    """Read a ``zones.csv`` (MODEL.md 6): ``zone_id, x_km, y_km, population, kind`` and optional
    ``jobs, car_share, name, area_km2``.

    ``population`` is the number of adults. Blank optional values become NaN (``name``: the zone id).

    Raises:
        InputFileError: naming the file, the line and the column, and what was expected.
    """
    rows = _read_rows(path, ZONES_REQUIRED, ZONES_OPTIONAL)
    _check_unique(rows, path, "zone_id")
    records = []
    for line, values in rows:
        r = _Row(path, line, values)
        zid = r.text("zone_id")
        records.append(
            {
                "zone_id": zid,
                "name": r.text("name", required=False) or zid,
                "x_km": r.number("x_km", lo=None),
                "y_km": r.number("y_km", lo=None),
                "population": r.integer("population", "a whole number of adults >= 0"),
                "kind": r.choice("kind", ZONE_KINDS),
                "jobs": r.number("jobs", required=False),
                "car_share": r.number("car_share", 0.0, 1.0, required=False),
                "area_km2": r.number("area_km2", required=False),
            }
        )
    return _zones_frame(records)


# --------------------------------------------------------------------------------------------------
# places.csv
# --------------------------------------------------------------------------------------------------
_ENTRY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?$", re.DOTALL)


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
        m = _ENTRY.match(entry)
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


def _places_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
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


def read_places_csv(path: str | Path, zones: pd.DataFrame, provider_ids: Iterable[str]) -> pd.DataFrame:
    """Read a ``places.csv`` (MODEL.md 6, docs/INTERFACES.md).

    Required: ``place_id, zone_id, name, origin, operator, area_m2, desks, counters, workshop_seats,
    opening``; optional: ``opening_work, opening_mediation, opening_workshop, providers, price_day_eur,
    price_month_eur, label``. A blank activity timetable defaults to ``opening`` when the place has capacity
    of that activity, else closed; a given one must lie within ``opening`` and needs capacity of that
    activity. ``offhours`` is 0 (scenarios set it).

    Args:
        path: the file.
        zones: the zones table (its ``zone_id`` column is used to check the places' zones).
        provider_ids: the known provider ids (for the ``providers`` column).

    Raises:
        InputFileError: naming the file, the line and the column, and what was expected.
    """
    # A set has no order: sort it so that error messages are stable.
    known = sorted(provider_ids) if isinstance(provider_ids, set | frozenset) else list(provider_ids)
    zone_ids = set(zones["zone_id"].astype(str))
    rows = _read_rows(path, PLACES_REQUIRED, PLACES_OPTIONAL)
    _check_unique(rows, path, "place_id")
    records = []
    for line, values in rows:
        r = _Row(path, line, values)
        pid = r.text("place_id")
        zid = r.text("zone_id")
        if zid not in zone_ids:
            sample = ", ".join(sorted(zone_ids)[:5])
            raise r.error(
                "zone_id", f"unknown zone {zid!r}; expected a zone_id of the zones file (e.g. {sample})"
            )
        rec: dict[str, Any] = {
            "place_id": pid,
            "zone_id": zid,
            "name": r.text("name", required=False) or pid,
            "origin": r.choice("origin", ORIGINS),
            "operator": r.choice("operator", OPERATORS),
            "area_m2": r.number("area_m2"),
            "desks": r.integer("desks", "a whole number of desks >= 0"),
            "counters": r.integer("counters", "a whole number of counters >= 0"),
            "workshop_seats": r.integer("workshop_seats", "a whole number of seats >= 0"),
            "opening": r.timetable("opening"),
            "offhours": 0,
        }
        for col, cap in ACTIVITY_CAPACITY.items():
            if r.values.get(col, ""):
                mask = r.timetable(col)
                if not is_subset(mask, rec["opening"]):
                    raise r.error(
                        col,
                        f"{format_timetable(mask)} is not within opening "
                        f"({format_timetable(rec['opening'])}); "
                        f"slots outside it: {format_timetable(mask & ~rec['opening'])}",
                    )
                if mask and rec[cap] == 0:
                    raise r.error(col, f"{col} is set but {cap} is 0; give {cap} > 0 or leave {col} blank")
            else:
                mask = rec["opening"] if rec[cap] > 0 else 0
            rec[col] = mask
        try:
            rec["network"], rec["permanences"] = parse_providers(
                r.values.get("providers", ""), known, rec["opening_mediation"]
            )
        except ValueError as exc:
            raise r.error("providers", str(exc)) from None
        rec["price_day_eur"] = r.number("price_day_eur", required=False)
        rec["price_month_eur"] = r.number("price_month_eur", required=False)
        label = r.values.get("label", "")
        if label not in LABELS:
            raise r.error("label", f"got {label!r}, expected blank or {NETWORK_ID}")
        rec["label"] = label
        records.append(rec)
    return _places_frame(records)


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


def load_files(
    zones_path: str | Path, places_path: str | Path, provider_ids: Iterable[str], name: str = "files"
) -> Territory:
    """Read a territory from ``zones.csv`` and ``places.csv``.

    Raises:
        InputFileError: on any error in either file.
    """
    zones = read_zones_csv(zones_path)
    places = read_places_csv(places_path, zones, provider_ids)
    return Territory(name=name, zones=zones, places=places, notes=[])


# --------------------------------------------------------------------------------------------------
# Place rules
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaceRules:
    """Thresholds and sizes of :func:`generate_places` (documented in the module docstring)."""

    centre_office_counters: tuple[int, int] = (2, 3)  # counters of a provider office in the centre, min..max
    secondary_office_providers: tuple[str, ...] = ("caf", "cpam", "france_travail", "dgfip")
    secondary_office_adults: int = 4000  # adults of an urban zone that hosts secondary provider offices
    secondary_office_min_km: float = 15.0  # and its minimum distance from the centre, km
    secondary_office_counters: tuple[int, int] = (1, 2)
    post_office_adults: int = 800
    post_offices: bool = True  # rule 3; False when the caller places the real ones (simulation.france)
    library_adults: int = 2500
    school_adults: int = 400
    coworking_centre: int = 2  # coworking spaces in the centre
    coworking_centre_desks: int = 20
    coworking_adults: int = 5000  # adults of an urban zone that hosts a coworking space
    coworking_desks: int = 12
    fab_lab_seats: int = 12
    community_centre_seats: int = 8
    fs_counters: int = 2
    m2_per_counter: float = 15.0  # added to a provider office per counter, m2
    area_m2: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            # origin: {zone kind: floor area, m2}; orders of magnitude of such buildings
            "provider_office": {"centre": 150.0, "urban": 80.0, "periurban": 80.0, "rural": 80.0},
            "post_office": {"centre": 150.0, "urban": 120.0, "periurban": 60.0, "rural": 50.0},
            "town_hall": {"centre": 1500.0, "urban": 500.0, "periurban": 200.0, "rural": 120.0},
            "library": {"centre": 1200.0, "urban": 400.0, "periurban": 200.0, "rural": 150.0},
            "school": {"centre": 1500.0, "urban": 1200.0, "periurban": 700.0, "rural": 400.0},
            "coworking": {"centre": 250.0, "urban": 150.0, "periurban": 150.0, "rural": 150.0},
            "fab_lab": {"centre": 250.0, "urban": 200.0, "periurban": 200.0, "rural": 200.0},
            "community_centre": {"centre": 400.0, "urban": 300.0, "periurban": 200.0, "rural": 200.0},
            "france_services": {"centre": 100.0, "urban": 100.0, "periurban": 100.0, "rural": 100.0},
        }
    )


def _centre_index(zones: pd.DataFrame) -> int:
    """Row of the centre: the most populous ``centre`` zone, else the most populous zone."""
    pop = zones["population"].to_numpy()
    centre = (zones["kind"] == "centre").to_numpy()
    cand = np.flatnonzero(centre) if centre.any() else np.arange(len(zones))
    return int(cand[np.argmax(pop[cand])])  # argmax keeps the first on ties: deterministic


def generate_places(
    zones: pd.DataFrame,
    provider_ids: Sequence[str],
    fs_sites: pd.DataFrame | None,
    rng: np.random.Generator,
    rules: PlaceRules | None = None,
) -> pd.DataFrame:
    """Place the places of a territory by the documented rules (module docstring).

    Args:
        zones: the zones table.
        provider_ids: the providers of the run; offices are made only for these.
        fs_sites: real France Services sites, columns ``site_id, zone_id, name, opening`` (int mask), or
            None to put one in each urban zone that is not the centre.
        rng: random stream for counters within their ranges and floor areas.
        rules: thresholds and sizes (defaults: :class:`PlaceRules`).

    Returns:
        The places table (docs/INTERFACES.md).
    """
    rules = rules or PlaceRules()
    providers = list(provider_ids)
    records: list[dict[str, Any]] = []

    def area(origin: str, kind: str, extra: float = 0.0) -> float:
        base = rules.area_m2[origin][kind] + extra
        return float(5 * round(base * rng.uniform(0.85, 1.15) / 5))

    def add(
        pid: str, zone: pd.Series, name: str, origin: str, operator: str, opening: str, **kw: Any
    ) -> None:
        mask = parse_timetable(opening)
        desks, counters, seats = kw.get("desks", 0), kw.get("counters", 0), kw.get("workshop_seats", 0)
        med = mask if counters > 0 else 0
        perms = {p: med for p in kw.get("providers", [])}
        records.append(
            {
                "place_id": pid,
                "zone_id": zone.zone_id,
                "name": name,
                "origin": origin,
                "operator": operator,
                "area_m2": kw.get("area_m2") or area(origin, zone.kind, kw.get("extra_m2", 0.0)),
                "desks": desks,
                "counters": counters,
                "workshop_seats": seats,
                "opening": mask,
                "opening_work": mask if desks > 0 else 0,
                "opening_mediation": med,
                "opening_workshop": mask if seats > 0 else 0,
                "offhours": 0,
                "network": kw.get("network", False),
                "permanences": perms,
                "price_day_eur": math.nan,
                "price_month_eur": math.nan,
                "label": kw.get("label", ""),
            }
        )

    ci = _centre_index(zones)
    centre = zones.iloc[ci]
    dist_centre = np.hypot(zones["x_km"] - centre.x_km, zones["y_km"] - centre.y_km).to_numpy()
    town = {"centre", "urban"}

    def counters_in(lo_hi: tuple[int, int]) -> int:
        return int(rng.integers(lo_hi[0], lo_hi[1] + 1))

    for i, z in enumerate(zones.itertuples(index=False)):
        zs = pd.Series(z._asdict())
        zid, adults, kind, zname = z.zone_id, int(z.population), z.kind, z.name
        # 2. provider offices
        if i == ci:
            office_providers = [p for p in providers if p != POSTAL_PROVIDER]
            lo_hi = rules.centre_office_counters
        elif (
            kind == "urban"
            and adults >= rules.secondary_office_adults
            and dist_centre[i] >= rules.secondary_office_min_km
        ):
            office_providers = [p for p in rules.secondary_office_providers if p in providers]
            lo_hi = rules.secondary_office_counters
        else:
            office_providers = []
        for p in office_providers:
            c = counters_in(lo_hi)
            add(f"off_{p}_{zid}", zs, f"{p} office, {zname}", "provider_office", "public", "Mon-Fri AM PM",
                counters=c, providers=[p], extra_m2=rules.m2_per_counter * c)  # fmt: skip
        # 3. post office (not when the caller places the real ones: rules.post_offices False)
        if adults >= rules.post_office_adults and not rules.post_offices:
            area("post_office", kind)  # its area's draw all the same: the other places' draws do not change
        elif adults >= rules.post_office_adults:
            big = kind in town
            add(f"po_{zid}", zs, f"Post office, {zname}", "post_office", "public",
                "Mon-Fri AM PM; Sat AM" if big else "Mon-Fri AM; Sat AM", counters=2 if big else 1,
                providers=[POSTAL_PROVIDER] if POSTAL_PROVIDER in providers else [])  # fmt: skip
        # 4. town hall
        add(f"th_{zid}", zs, f"Town hall, {zname}", "town_hall", "public",
            "Mon-Fri AM PM" if kind in town else "Mon-Fri AM", counters=1)  # fmt: skip
        # 5. library, 6. school
        if adults >= rules.library_adults:
            add(f"lib_{zid}", zs, f"Library, {zname}", "library", "public", "Tue-Sat PM; Wed AM; Sat AM")
        if adults >= rules.school_adults:
            add(
                f"sch_{zid}",
                zs,
                f"Primary school, {zname}",
                "school",
                "public",
                "Mon Tue Thu Fri AM PM; Wed AM",
            )
        # 7. coworking
        if i == ci:
            for k in range(1, rules.coworking_centre + 1):
                add(f"cw_{zid}_{k}", zs, f"Coworking {k}, {zname}", "coworking", "private", "Mon-Fri AM PM",
                    desks=rules.coworking_centre_desks)  # fmt: skip
        elif kind == "urban" and adults >= rules.coworking_adults:
            add(f"cw_{zid}_1", zs, f"Coworking, {zname}", "coworking", "private", "Mon-Fri AM PM",
                desks=rules.coworking_desks)  # fmt: skip
        # 8. fab lab, 9. community centre
        if i == ci:
            add(f"fab_{zid}", zs, f"Fab lab, {zname}", "fab_lab", "association",
                "Wed PM EV; Thu EV; Sat AM PM", workshop_seats=rules.fab_lab_seats)  # fmt: skip
        if i == ci or kind == "urban":
            add(f"cc_{zid}", zs, f"Community centre, {zname}", "community_centre", "association",
                "Tue Thu EV; Sat PM", workshop_seats=rules.community_centre_seats)  # fmt: skip

    # 10. France Services
    by_id = zones.set_index("zone_id", drop=False)
    if fs_sites is None:
        sites = [
            (str(z.zone_id), str(z.zone_id), f"France Services, {z.name}", parse_timetable("Mon-Fri AM PM"))
            for i, z in enumerate(zones.itertuples(index=False))
            if z.kind == "urban" and i != ci
        ]
    else:
        sites = [
            (str(s.site_id), str(s.zone_id), str(s.name), int(s.opening))
            for s in fs_sites.itertuples(index=False)
        ]
    for site_id, zid, name, opening in sites:
        if zid not in by_id.index:
            raise ValueError(
                f"France Services site {site_id} ({name}) is in zone {zid!r}, which is not a zone"
            )
        add(f"fs_{site_id}", by_id.loc[zid], name, "france_services", "public", format_timetable(opening),
            counters=rules.fs_counters, network=True, label=NETWORK_ID)  # fmt: skip
    return _places_frame(records)


# --------------------------------------------------------------------------------------------------
# Synthetic territory
# --------------------------------------------------------------------------------------------------
MIN_TOWN_SPACING_KM = 8.0  # secondary towns are at least this far from the main town and from each other
PERIURBAN_CELLS = 1.5  # a cell whose centre is within this many cell sides of a town centre is periurban


def synthetic_territory(
    cfg: SyntheticConfig, provider_ids: Sequence[str], rng: np.random.Generator
) -> Territory:
    """A square grid of ``cell_km`` cells over ``size_km``: a main town, secondary towns, rural background.

    - the main town is the cell at the centre of the square; ``n_secondary_towns`` town cells are drawn at
      random among the cells at least 8 km from the main town and from each other;
    - density of a cell at distances r_t from the towns (Clark 1951, b = ``clark_gradient_per_km``, relative
      to the main town's peak): ``exp(-b r_main) + secondary_weight * sum_i exp(-b r_i) + rural_floor``;
    - ``adults`` are drawn multinomially over the cells with these weights (the total is exact);
    - kinds: main town cell ``centre``, secondary town cells ``urban``, cells within 1.5 cell sides of a town
      centre ``periurban``, others ``rural``; ``car_share``: ``car_share_town`` in centre and urban cells,
      ``car_share_rural`` elsewhere; ``jobs`` NaN (the model places them); ``area_km2`` the cell area;
    - places by :func:`generate_places` (France Services in each secondary town).

    Raises:
        ConfigError: if the secondary towns do not fit at 8 km from each other in the square.
    """
    n = max(1, int(round(cfg.size_km / cfg.cell_km)))
    cell = cfg.size_km / n  # the grid covers the square exactly
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # ii: row (y), jj: column (x)
    x = ((jj + 0.5) * cell).ravel()
    y = ((ii + 0.5) * cell).ravel()
    main = (n // 2) * n + n // 2
    towns = [main]
    # Candidate cells in a random order; accept greedily those far enough from every town already chosen.
    for c in rng.permutation(n * n):
        if len(towns) == cfg.n_secondary_towns + 1:
            break
        if all(math.hypot(x[c] - x[t], y[c] - y[t]) >= MIN_TOWN_SPACING_KM for t in towns):
            towns.append(int(c))
    if len(towns) < cfg.n_secondary_towns + 1:
        raise ConfigError(
            "territory.synthetic.n_secondary_towns",
            f"only {len(towns) - 1} secondary towns fit at >= {MIN_TOWN_SPACING_KM:g} km from each other "
            f"in a {cfg.size_km:g} km square; lower n_secondary_towns or enlarge size_km",
        )
    dist = np.hypot(x[:, None] - x[towns][None, :], y[:, None] - y[towns][None, :])  # cells x towns
    weight = np.r_[1.0, np.full(len(towns) - 1, cfg.secondary_weight)]
    density = np.exp(-cfg.clark_gradient_per_km * dist) @ weight + cfg.rural_floor
    adults = rng.multinomial(cfg.adults, density / density.sum())
    kind = np.where(dist.min(axis=1) <= PERIURBAN_CELLS * cell, "periurban", "rural").astype(object)
    kind[towns[1:]] = "urban"
    kind[main] = "centre"
    car = np.where(np.isin(kind, ["centre", "urban"]), cfg.car_share_town, cfg.car_share_rural)
    ids = [f"r{r:02d}c{c:02d}" for r, c in zip(ii.ravel(), jj.ravel(), strict=True)]
    zones = _zones_frame(
        [
            {
                "zone_id": ids[k],
                "name": ids[k],
                "x_km": x[k],
                "y_km": y[k],
                "population": int(adults[k]),
                "kind": str(kind[k]),
                "jobs": math.nan,
                "car_share": float(car[k]),
                "area_km2": cell * cell,
            }
            for k in range(n * n)
        ]
    )
    places = generate_places(zones, provider_ids, None, rng)
    notes = [
        f"synthetic grid of {n} x {n} cells of {cell:g} km; towns in cells {', '.join(ids[t] for t in towns)}"
    ]
    return Territory(name="synthetic", zones=zones, places=places, notes=notes)


# --------------------------------------------------------------------------------------------------
# Nièvre and dispatch
# --------------------------------------------------------------------------------------------------
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
                m = _ENTRY.match(entry.strip())
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


def load_territory(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """The territory the configuration names (``tcfg.kind``: synthetic, nievre or files).

    Args:
        tcfg: the territory configuration.
        provider_ids: the run's provider ids.
        rng: the territory's random stream (used by the synthetic territory only).
    """
    loaders: dict[str, Callable[[], Territory]] = {
        "synthetic": lambda: synthetic_territory(tcfg.synthetic, provider_ids, rng),
        "nievre": lambda: load_nievre(provider_ids),
        "files": lambda: load_files(str(tcfg.zones), str(tcfg.places), provider_ids),
    }
    if tcfg.kind not in loaders:
        raise ConfigError("territory.kind", f"got {tcfg.kind!r}, expected one of {', '.join(loaders)}")
    if tcfg.kind == "files" and (not tcfg.zones or not tcfg.places):
        raise ConfigError("territory.zones" if not tcfg.zones else "territory.places", "a path is required")
    return loaders[tcfg.kind]()


__all__ = [
    "LABELS",
    "NETWORK_ID",
    "PLACE_COLUMNS",
    "ZONE_COLUMNS",
    "PlaceRules",
    "Territory",
    "format_providers",
    "generate_places",
    "load_files",
    "load_nievre",
    "load_territory",
    "parse_providers",
    "places_to_csv_frame",
    "read_places_csv",
    "read_zones_csv",
    "synthetic_territory",
    "write_places_csv",
    "write_zones_csv",
]
