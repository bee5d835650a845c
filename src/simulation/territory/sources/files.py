"""Territory source ``files``: ``zones.csv`` and ``places.csv`` read with exact file, line and column errors.

Every error raises :class:`~simulation.core.errors.InputFileError` naming the file, the line (header = line 1)
and the column, and saying what was expected. Unknown columns are rejected (a misspelt optional column would
otherwise be silently ignored) with the list of allowed ones. Formats: docs/ODD.md section 6 and the README.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import OPERATORS, ORIGINS, ZONE_KINDS, TerritoryConfig
from simulation.core.errors import InputFileError, os_error
from simulation.core.timetable import TimetableError, format_timetable, is_subset, parse_timetable
from simulation.territory.sources import register
from simulation.territory.tables import (
    ACTIVITY_CAPACITY,
    LABELS,
    NETWORK_ID,
    PLACES_OPTIONAL,
    PLACES_REQUIRED,
    ZONES_OPTIONAL,
    ZONES_REQUIRED,
    Territory,
    parse_providers,
    places_frame,
    zones_frame,
)


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
    if p.is_dir():
        raise InputFileError(
            str(path), f"is a folder; expected a CSV file with columns {', '.join(required)}"
        )
    if not p.is_file():
        raise InputFileError(
            str(path), f"file not found; expected a CSV file with columns {', '.join(required)}"
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        reason = os_error(exc).args[0].rsplit(": ", 1)[-1]
        raise InputFileError(str(path), f"cannot read the file: {reason}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        raise InputFileError(
            str(path),
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at column {col} cannot be read (a Latin-1 or "
            "Windows-1252 file? save it as UTF-8)",
            line,
        ) from None
    if "\x00" in text:
        raise InputFileError(str(path), "holds NUL bytes; expected a text file (CSV, UTF-8)")
    if not text.strip():
        raise InputFileError(
            str(path), f"empty file; expected a header line with columns {', '.join(required)}", 1
        )
    # newline="": the csv module splits the records itself, so a quoted cell may hold a line break
    reader = csv.reader(io.StringIO(text, newline=""))
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
                if len(header) == 1 and header[0] not in allowed:
                    for sep in (";", "\t", "|"):
                        if sep in header[0]:
                            name = {";": "';'", "\t": "tab", "|": "'|'"}[sep]
                            raise InputFileError(
                                str(path),
                                f"the header looks {name}-separated ({header[0][:60]!r}); use commas",
                                line,
                            )
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


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters of the line, read leniently) of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", errors="replace")) + 1


MAX_POPULATION = 10**9  # adults in one zone (France has 53 million); above, a typo or another unit
MAX_EXTENT_KM = 3000.0  # a territory wider than this has coordinates in metres, or in degrees... not in km


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

    def integer(self, col: str, what: str = "a whole number >= 0", hi: float = 1e15) -> int:
        v = self.values.get(col, "")
        try:
            x = float(v)
        except ValueError:
            raise self.error(col, f"got {v!r}, expected {what}") from None
        if not math.isfinite(x) or x < 0 or x > hi or x != int(x):
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
def read_zones_csv(path: str | Path) -> pd.DataFrame:
    """Read a ``zones.csv`` (docs/ODD.md 6): ``zone_id, x_km, y_km, population, kind`` and optional
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
                "population": r.integer(
                    "population", f"a whole number of adults >= 0 and <= {MAX_POPULATION:,}", MAX_POPULATION
                ),
                "kind": r.choice("kind", ZONE_KINDS),
                "jobs": r.number("jobs", required=False),
                "car_share": r.number("car_share", 0.0, 1.0, required=False),
                "area_km2": r.number("area_km2", required=False),
            }
        )
    _check_plausible(path, rows, records)
    return zones_frame(records)


def _check_plausible(
    path: str | Path, rows: list[tuple[int, dict[str, str]]], records: list[dict[str, Any]]
) -> None:
    """Refuse a zones file that reads but cannot be meant: coordinates not in km, no adult at all."""
    for col in ("x_km", "y_km"):
        values = [rec[col] for rec in records]
        extent = max(values) - min(values)
        if extent > MAX_EXTENT_KM:
            line = rows[max(range(len(values)), key=lambda i: abs(values[i] - min(values)))][0]
            raise InputFileError(
                str(path),
                f"the zones span {extent:,.0f} km; coordinates look like metres (expected km in a projected plane, "
                "e.g. Lambert-93 divided by 1000)",
                line,
                col,
            )
    if all(rec["population"] == 0 for rec in records):
        raise InputFileError(
            str(path), "every zone has population 0; expected the adults living in each zone", 2, "population"
        )


def read_places_csv(path: str | Path, zones: pd.DataFrame, provider_ids: Iterable[str]) -> pd.DataFrame:
    """Read a ``places.csv`` (docs/ODD.md 6, docs/INTERFACES.md).

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
    return places_frame(records)


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


@register("files")
def _from_config(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """``territory=files``: the two paths of the configuration."""
    return load_files(str(tcfg.zones), str(tcfg.places), provider_ids)
