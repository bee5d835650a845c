"""Scenarios: the baseline plus declarative interventions (MODEL.md section 7).

A scenario's ``interventions`` is a list of YAML mappings, each with an ``op`` key.
:func:`parse_interventions` turns them into typed dataclasses, checking every key, type, timetable, activity,
provider, origin and zone kind; it raises :class:`~simulation.errors.ConfigError` naming the key path
(``scenario.interventions[2].select.origin``) and what was expected. :func:`apply_scenario` applies them in
order to copies of the territory and configuration.

The operations (a timetable is a human string such as ``Mon-Fri AM PM; Sat AM``, or an int mask):

``convert``
    Turn the selected places into shared mediation points. Keys: ``select`` (a selector, required),
    ``label`` (default ``france_services``), ``network`` (generalist mediators of the partner network,
    default true), ``counters`` (at least this many, default 2), ``opening_mediation`` (default
    ``Mon-Fri AM PM``), ``permanences`` ({provider id: timetable}, each within ``opening_mediation``).
    Mediation slots and permanences are *added* to the existing ones (a converted post office keeps its
    La Poste counter hours) and the building's ``opening`` is extended to include them.
``open_offhours``
    Sharing clause (MODEL.md 4.8): add activities to selected public buildings in their closed slots only.
    Keys: ``select`` (required), ``activities`` ({activity: {timetable, capacity}}, required). The slots
    added are ``timetable & ~opening``; they go to ``offhours`` and to ``opening_<activity>``; the activity's
    capacity column becomes at least ``capacity`` (a place has one capacity per activity). Places whose
    operator is not ``public`` are skipped and logged (a selector by origin may catch an association-run
    library); a non-public place listed explicitly by ``place_id`` is an error. The scenario must set
    ``policy.sharing_clause: true`` (in any ``set`` entry): off-hours slots exist only under that clause.
``add_places``
    New places, one in each zone the ``at`` zone selector picks. Keys: ``at`` (required), ``origin``
    (default ``new``), ``name`` (prefix; the zone's name is appended), ``operator`` (default ``public``),
    ``area_m2`` (default: the floor area the capacities need, ``economics.m2_per_*``, plus 25 %
    circulation), ``desks``, ``counters``, ``workshop_seats`` (default 0, at least one > 0), ``opening``
    (default: the union of the activity timetables), ``opening_work`` / ``opening_mediation`` /
    ``opening_workshop`` (default: ``opening`` when the place has that capacity, else empty; each within
    ``opening``), ``network`` (default false), ``permanences``, ``label`` (default ""), ``price_day_eur``,
    ``price_month_eur`` (default: the policy's). Ids are ``new_<zone_id>_<n>``.
``close``
    Remove the selected places before the run. Key: ``select`` (required).
``set``
    Policy values. Key: ``values``: {dotted key: value} (or nested mappings) under ``policy.``,
    ``economics.`` or ``behaviour.``; the resulting configuration is re-validated.

Selectors (``select``) pick places; every criterion given must hold: ``origin``, ``operator``, ``label``,
``place_id``, ``zone`` (zone ids), ``zone_kind`` (lists; a single string is accepted),
``min_zone_population``, ``max_zone_population`` (adults), ``exclude_zones_with_label`` (skip zones that
have a place with that label, e.g. ``france_services``), ``exclude_zones_with_origin``,
``exclude_zones_with_activity`` (skip zones that have a place with that capacity, e.g. ``work``),
``one_per_zone`` (keep one place per zone, the first of ``prefer``, an origin order), ``limit`` (keep at
most this many, largest zones first). The zone selector ``at`` takes the zone criteria and ``limit``
(zones). A selector that matches nothing is logged, not an error (scenarios must run on any territory); an
unknown ``place_id`` or ``zone`` listed explicitly is an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, ListConfig, OmegaConf

from simulation.config import ACTIVITIES, OPERATORS, ORIGINS, ZONE_KINDS, ScenarioConfig, SimConfig, validate
from simulation.errors import ConfigError
from simulation.timetable import FULL_WEEK, TimetableError, format_timetable, parse_timetable

if TYPE_CHECKING:
    from simulation.territory import Territory

CAPACITY_COLUMN = {"work": "desks", "mediation": "counters", "workshop": "workshop_seats"}
SET_PREFIXES = ("policy.", "economics.", "behaviour.")
# Floor area of a new place = the area its capacities need x this (corridors, toilets, storage).
CIRCULATION = 1.25


# --------------------------------------------------------------------------------------------------
# Typed interventions
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneSelector:
    """Picks zones. Every criterion that is given must hold; an empty selector picks every zone.

    Attributes:
        zone_kind: zone kinds (config.ZONE_KINDS) to keep.
        zone: zone ids to keep (each must exist).
        min_zone_population: keep zones with at least this many adults.
        max_zone_population: keep zones with at most this many adults.
        exclude_zones_with_label: skip zones that have a place with this label.
        exclude_zones_with_origin: skip zones that have a place of one of these origins.
        exclude_zones_with_activity: skip zones that have a place with capacity for this activity.
        limit: keep at most this many (zones for ``at``, places for ``select``), largest zones first.
    """

    zone_kind: tuple[str, ...] | None = None
    zone: tuple[str, ...] | None = None
    min_zone_population: int | None = None
    max_zone_population: int | None = None
    exclude_zones_with_label: str | None = None
    exclude_zones_with_origin: tuple[str, ...] | None = None
    exclude_zones_with_activity: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Selector(ZoneSelector):
    """Picks places: the zone criteria of :class:`ZoneSelector` plus place criteria.

    Attributes:
        origin: place origins (config.ORIGINS) to keep.
        operator: operator kinds (config.OPERATORS) to keep.
        label: labels to keep ("" is the unlabelled places).
        place_id: place ids to keep (each must exist).
        one_per_zone: keep one place per zone, the first by ``prefer`` (then the most counters, then the id).
        prefer: origin order used by ``one_per_zone``; origins not listed come last.
    """

    origin: tuple[str, ...] | None = None
    operator: tuple[str, ...] | None = None
    label: tuple[str, ...] | None = None
    place_id: tuple[str, ...] | None = None
    one_per_zone: bool = False
    prefer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Convert:
    """Turn the selected places into shared mediation points (see the module docstring)."""

    select: Selector
    label: str = "france_services"
    network: bool = True
    counters: int = 2
    opening_mediation: int = 0b011_011_011_011_011  # Mon-Fri AM PM
    permanences: dict[str, int] = field(default_factory=dict)
    key: str = "scenario.interventions[?]"  # where it was written, for error messages


@dataclass(frozen=True)
class OffhoursActivity:
    """One activity that a sharing clause adds: in which slots (closed ones only) and with what capacity."""

    timetable: int
    capacity: int


@dataclass(frozen=True)
class OpenOffhours:
    """Add activities to selected public buildings in their closed slots (sharing clause)."""

    select: Selector
    activities: dict[str, OffhoursActivity]
    key: str = "scenario.interventions[?]"


@dataclass(frozen=True)
class AddPlaces:
    """New places, one per zone picked by ``at`` (see the module docstring)."""

    at: ZoneSelector
    origin: str = "new"
    name: str = "New shared place"
    operator: str = "public"
    area_m2: float | None = None
    desks: int = 0
    counters: int = 0
    workshop_seats: int = 0
    opening: int = 0
    opening_work: int = 0
    opening_mediation: int = 0
    opening_workshop: int = 0
    network: bool = False
    permanences: dict[str, int] = field(default_factory=dict)
    label: str = ""
    price_day_eur: float | None = None
    price_month_eur: float | None = None
    key: str = "scenario.interventions[?]"


@dataclass(frozen=True)
class Close:
    """Remove the selected places before the run."""

    select: Selector
    key: str = "scenario.interventions[?]"


@dataclass(frozen=True)
class Set:
    """Policy values applied to the configuration: {dotted key: value}."""

    values: dict[str, Any]
    key: str = "scenario.interventions[?]"


Intervention = Convert | OpenOffhours | AddPlaces | Close | Set


# --------------------------------------------------------------------------------------------------
# Parsing and validation of the YAML entries
# --------------------------------------------------------------------------------------------------
_ZONE_KEYS = tuple(f.name for f in dataclasses.fields(ZoneSelector))
_SELECTOR_KEYS = tuple(f.name for f in dataclasses.fields(Selector))
_OP_KEYS: dict[str, tuple[str, ...]] = {
    "convert": ("op", "select", "label", "network", "counters", "opening_mediation", "permanences"),
    "open_offhours": ("op", "select", "activities"),
    "add_places": tuple(
        "op at origin name operator area_m2 desks counters workshop_seats opening opening_work"
        " opening_mediation opening_workshop network permanences label price_day_eur price_month_eur".split()
    ),
    "close": ("op", "select"),
    "set": ("op", "values"),
}


def _plain(value: Any) -> Any:
    """OmegaConf containers (what Hydra gives) to plain dicts and lists."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _fail(key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(key, f"got {value!r}, expected {expected}")


def _mapping(value: Any, key: str, allowed: Sequence[str] | None = None, what: str = "a mapping") -> dict:
    if not isinstance(value, Mapping):
        raise _fail(key, value, what)
    for k in value:
        if not isinstance(k, str):
            raise _fail(key, k, "string keys")
        if allowed is not None and k not in allowed:
            raise ConfigError(f"{key}.{k}", f"unknown key; allowed keys: {', '.join(allowed)}")
    return dict(value)


def _str(value: Any, key: str, choices: Sequence[str] | None = None) -> str:
    if not isinstance(value, str):
        raise _fail(key, value, "a string")
    if choices is not None and value not in choices:
        raise _fail(key, value, "one of " + ", ".join(choices))
    return value


def _str_list(value: Any, key: str, choices: Sequence[str] | None = None) -> tuple[str, ...]:
    # A single string is accepted for a one-element list: `origin: post_office` reads naturally in YAML.
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise _fail(key, value, "a string or a non-empty list of strings")
    for i, item in enumerate(items):
        _str(item, f"{key}[{i}]", choices)
    return tuple(items)


def _int(value: Any, key: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise _fail(key, value, f"an integer >= {lo}")
    return value


def _float(value: Any, key: str, lo: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value < lo:
        raise _fail(key, value, f"a number >= {lo}")
    return float(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, value, "true or false")
    return value


def _timetable(value: Any, key: str) -> int:
    """A timetable string (``Mon-Fri AM PM; Sat AM``) or an int mask of the 21 slots."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= FULL_WEEK:
            raise _fail(key, value, f"a timetable such as 'Mon-Fri AM PM' or a mask from 0 to {FULL_WEEK}")
        return value
    if not isinstance(value, str):
        raise _fail(key, value, "a timetable such as 'Mon-Fri AM PM; Sat AM'")
    try:
        return int(parse_timetable(value))
    except TimetableError as exc:
        raise ConfigError(key, f"malformed timetable {value!r}: {exc}") from None


def _fmt(mask: int) -> str:
    return format_timetable(int(mask)) or "no slot"


def _permanences(
    value: Any, key: str, provider_ids: Sequence[str] | None, within: int | None
) -> dict[str, int]:
    perms = _mapping(value, key, what="a mapping {provider id: timetable}")
    out: dict[str, int] = {}
    for pid, tt in perms.items():
        if pid == "france_services":
            raise ConfigError(f"{key}.{pid}", "the partner network is not a provider: use 'network: true'")
        if provider_ids is not None and pid not in provider_ids:
            raise ConfigError(f"{key}.{pid}", "unknown provider; expected one of " + ", ".join(provider_ids))
        mask = _timetable(tt, f"{key}.{pid}")
        if within is not None and mask & ~within:
            raise ConfigError(
                f"{key}.{pid}",
                f"the permanence {_fmt(mask)!r} has slots outside opening_mediation {_fmt(within)!r}",
            )
        out[pid] = mask
    return out


def _zone_criteria(d: dict, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "zone_kind" in d:
        out["zone_kind"] = _str_list(d["zone_kind"], f"{key}.zone_kind", ZONE_KINDS)
    if "zone" in d:
        out["zone"] = tuple(str(z) for z in _str_list(d["zone"], f"{key}.zone"))
    for k in ("min_zone_population", "max_zone_population", "limit"):
        if d.get(k) is not None:
            out[k] = _int(d[k], f"{key}.{k}", lo=1 if k == "limit" else 0)
    if d.get("exclude_zones_with_label") is not None:
        out["exclude_zones_with_label"] = _str(
            d["exclude_zones_with_label"], f"{key}.exclude_zones_with_label"
        )
    if "exclude_zones_with_origin" in d:
        out["exclude_zones_with_origin"] = _str_list(
            d["exclude_zones_with_origin"], f"{key}.exclude_zones_with_origin", ORIGINS
        )
    if d.get("exclude_zones_with_activity") is not None:
        out["exclude_zones_with_activity"] = _str(
            d["exclude_zones_with_activity"], f"{key}.exclude_zones_with_activity", ACTIVITIES
        )
    lo, hi = out.get("min_zone_population"), out.get("max_zone_population")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{key}.max_zone_population", f"got {hi}, expected >= min_zone_population ({lo})")
    return out


def _zone_selector(value: Any, key: str) -> ZoneSelector:
    d = _mapping(value, key, _ZONE_KEYS, what="a zone selector mapping (" + ", ".join(_ZONE_KEYS) + ")")
    return ZoneSelector(**_zone_criteria(d, key))


def _selector(value: Any, key: str) -> Selector:
    d = _mapping(value, key, _SELECTOR_KEYS, what="a selector mapping (" + ", ".join(_SELECTOR_KEYS) + ")")
    out = _zone_criteria(d, key)
    for k, choices in (("origin", ORIGINS), ("operator", OPERATORS)):
        if k in d:
            out[k] = _str_list(d[k], f"{key}.{k}", choices)
    if "label" in d:
        # An empty label is legitimate here (the unlabelled places), so a lone "" is accepted.
        out["label"] = ("",) if d["label"] == "" else _str_list(d["label"], f"{key}.label")
    if "place_id" in d:
        out["place_id"] = tuple(str(p) for p in _str_list(d["place_id"], f"{key}.place_id"))
    if "one_per_zone" in d:
        out["one_per_zone"] = _bool(d["one_per_zone"], f"{key}.one_per_zone")
    if "prefer" in d:
        out["prefer"] = _str_list(d["prefer"], f"{key}.prefer", ORIGINS)
    criteria = set(out) - {"one_per_zone", "prefer", "limit"}
    if not criteria:
        # An empty selector would pick every place of the territory: almost surely a mistake in a scenario.
        raise _fail(key, value, "at least one criterion (" + ", ".join(_SELECTOR_KEYS) + ")")
    return Selector(**out)


def _required(d: dict, name: str, key: str) -> Any:
    if name not in d or d[name] is None:
        raise ConfigError(f"{key}.{name}", "missing; this operation requires it")
    return d[name]


def _parse_convert(d: dict, key: str, provider_ids: Sequence[str] | None) -> Convert:
    kw: dict[str, Any] = {"select": _selector(_required(d, "select", key), f"{key}.select"), "key": key}
    if "label" in d:
        kw["label"] = _str(d["label"], f"{key}.label")
    if "network" in d:
        kw["network"] = _bool(d["network"], f"{key}.network")
    if "counters" in d:
        kw["counters"] = _int(d["counters"], f"{key}.counters", lo=1)
    if "opening_mediation" in d:
        kw["opening_mediation"] = _timetable(d["opening_mediation"], f"{key}.opening_mediation")
        if kw["opening_mediation"] == 0:
            raise _fail(f"{key}.opening_mediation", d["opening_mediation"], "at least one slot")
    within = kw.get("opening_mediation", Convert.opening_mediation)
    if "permanences" in d:
        kw["permanences"] = _permanences(d["permanences"], f"{key}.permanences", provider_ids, within)
    return Convert(**kw)


def _parse_offhours(d: dict, key: str) -> OpenOffhours:
    sel = _selector(_required(d, "select", key), f"{key}.select")
    akey = f"{key}.activities"
    acts = _mapping(
        _required(d, "activities", key), akey, ACTIVITIES, what="a mapping {activity: {timetable, capacity}}"
    )
    if not acts:
        raise _fail(akey, acts, "at least one activity (" + ", ".join(ACTIVITIES) + ")")
    out: dict[str, OffhoursActivity] = {}
    for act, spec in acts.items():
        s = _mapping(spec, f"{akey}.{act}", ("timetable", "capacity"), what="a mapping {timetable, capacity}")
        tt = _timetable(_required(s, "timetable", f"{akey}.{act}"), f"{akey}.{act}.timetable")
        cap = _int(_required(s, "capacity", f"{akey}.{act}"), f"{akey}.{act}.capacity", lo=1)
        out[act] = OffhoursActivity(tt, cap)
    return OpenOffhours(sel, out, key)


def _parse_add(d: dict, key: str, provider_ids: Sequence[str] | None) -> AddPlaces:
    kw: dict[str, Any] = {"at": _zone_selector(_required(d, "at", key), f"{key}.at"), "key": key}
    if "origin" in d:
        kw["origin"] = _str(d["origin"], f"{key}.origin", ORIGINS)
    if "operator" in d:
        kw["operator"] = _str(d["operator"], f"{key}.operator", OPERATORS)
    for k in ("name", "label"):
        if k in d:
            kw[k] = _str(d[k], f"{key}.{k}")
    for k in ("area_m2", "price_day_eur", "price_month_eur"):
        if d.get(k) is not None:
            kw[k] = _float(d[k], f"{key}.{k}")
    if kw.get("area_m2") == 0.0:
        raise _fail(f"{key}.area_m2", d["area_m2"], "a number > 0")
    caps = {a: _int(d.get(c, 0), f"{key}.{c}") for a, c in CAPACITY_COLUMN.items()}
    if not any(caps.values()):
        raise ConfigError(key, "a new place needs some capacity: desks, counters or workshop_seats > 0")
    kw.update({CAPACITY_COLUMN[a]: n for a, n in caps.items()})
    given = {
        a: _timetable(d[f"opening_{a}"], f"{key}.opening_{a}") for a in ACTIVITIES if f"opening_{a}" in d
    }
    for a, mask in given.items():
        if mask and not caps[a]:
            raise ConfigError(
                f"{key}.opening_{a}", f"the place has no {CAPACITY_COLUMN[a]}: give them or drop it"
            )
    if "opening" in d:
        opening = _timetable(d["opening"], f"{key}.opening")
        for a, mask in given.items():
            if mask & ~opening:
                raise ConfigError(
                    f"{key}.opening_{a}", f"{_fmt(mask)!r} has slots outside opening {_fmt(opening)!r}"
                )
    elif given:
        opening = int(np.bitwise_or.reduce(list(given.values())))
    else:
        raise ConfigError(f"{key}.opening", "missing; give opening or the activity timetables")
    if opening == 0:
        raise _fail(f"{key}.opening", d.get("opening"), "at least one slot")
    kw["opening"] = opening
    for a in ACTIVITIES:
        kw[f"opening_{a}"] = given.get(a, opening if caps[a] else 0)
    if "network" in d:
        kw["network"] = _bool(d["network"], f"{key}.network")
    if "permanences" in d:
        kw["permanences"] = _permanences(
            d["permanences"], f"{key}.permanences", provider_ids, kw["opening_mediation"]
        )
    if (kw.get("network") or kw.get("permanences")) and not caps["mediation"]:
        raise ConfigError(f"{key}.counters", "mediators or permanences need counters > 0")
    return AddPlaces(**kw)


def _flatten(d: Mapping, key: str, prefix: str = "") -> dict[str, Any]:
    """``{policy: {price_day_eur: 10}}`` and ``{policy.price_day_eur: 10}`` both give the dotted form."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if not isinstance(k, str):
            raise _fail(key, k, "string keys")
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, key, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _parse_set(d: dict, key: str) -> Set:
    vkey = f"{key}.values"
    raw = _mapping(_required(d, "values", key), vkey, what="a mapping {dotted.key: value}")
    values = _flatten(raw, vkey)
    if not values:
        raise _fail(vkey, raw, "at least one key")
    probe = OmegaConf.structured(SimConfig)
    for k, v in values.items():
        if not k.startswith(SET_PREFIXES):
            raise ConfigError(f"{vkey}.{k}", "a scenario may only set keys under " + ", ".join(SET_PREFIXES))
        # Check the key exists and the value has the right type on the schema (unknown keys raise there).
        try:
            OmegaConf.update(probe, k, v, merge=True)
        except Exception as exc:  # omegaconf's errors: report the first line with our key path
            raise ConfigError(f"{vkey}.{k}", str(exc).splitlines()[0]) from None
    return Set(values, key)


def parse_interventions(
    scenario: ScenarioConfig, provider_ids: Sequence[str] | None = None
) -> list[Intervention]:
    """Validate the scenario's YAML entries and turn them into typed interventions.

    Args:
        scenario: the scenario configuration (its ``interventions`` are mappings with an ``op`` key).
        provider_ids: the known providers; when given, permanences naming another id are errors.

    Returns:
        One dataclass per entry, in order.

    Raises:
        ConfigError: naming the key path (``scenario.interventions[2].select.origin``) and what was expected.
    """
    entries = _plain(scenario.interventions)
    if entries is None:
        return []
    if not isinstance(entries, list | tuple):
        raise _fail("scenario.interventions", entries, "a list of operations")
    out: list[Intervention] = []
    for i, raw in enumerate(entries):
        key = f"scenario.interventions[{i}]"
        entry = _mapping(_plain(raw), key, what="a mapping with an 'op' key (" + ", ".join(_OP_KEYS) + ")")
        op = entry.get("op")
        if op not in _OP_KEYS:
            raise _fail(f"{key}.op", op, "one of " + ", ".join(_OP_KEYS))
        _mapping(entry, key, _OP_KEYS[op])
        if op == "convert":
            out.append(_parse_convert(entry, key, provider_ids))
        elif op == "open_offhours":
            out.append(_parse_offhours(entry, key))
        elif op == "add_places":
            out.append(_parse_add(entry, key, provider_ids))
        elif op == "close":
            out.append(Close(_selector(_required(entry, "select", key), f"{key}.select"), key))
        else:
            out.append(_parse_set(entry, key))
    return out


# --------------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------------
def _zone_mask(sel: ZoneSelector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.Series:
    """Boolean Series over ``zones`` rows: the zones that pass the zone criteria."""
    ok = pd.Series(True, index=zones.index)
    if sel.zone is not None:
        unknown = sorted(set(sel.zone) - set(zones["zone_id"]))
        if unknown:
            raise ConfigError(f"{key}.zone", f"unknown zone id(s) {', '.join(unknown)} in this territory")
        ok &= zones["zone_id"].isin(sel.zone)
    if sel.zone_kind is not None:
        ok &= zones["kind"].isin(sel.zone_kind)
    if sel.min_zone_population is not None:
        ok &= zones["population"] >= sel.min_zone_population
    if sel.max_zone_population is not None:
        ok &= zones["population"] <= sel.max_zone_population
    # Exclusions look at the places as they stand after the previous interventions (order matters).
    if sel.exclude_zones_with_label is not None:
        ok &= ~zones["zone_id"].isin(places.loc[places["label"] == sel.exclude_zones_with_label, "zone_id"])
    if sel.exclude_zones_with_origin is not None:
        ok &= ~zones["zone_id"].isin(
            places.loc[places["origin"].isin(sel.exclude_zones_with_origin), "zone_id"]
        )
    if sel.exclude_zones_with_activity is not None:
        col = CAPACITY_COLUMN[sel.exclude_zones_with_activity]
        ok &= ~zones["zone_id"].isin(places.loc[places[col] > 0, "zone_id"])
    return ok


def select_zones(sel: ZoneSelector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.DataFrame:
    """The zones picked by ``sel``, largest population first (ties by zone id), at most ``limit``."""
    out = zones[_zone_mask(sel, zones, places, key)].sort_values(
        ["population", "zone_id"], ascending=[False, True], kind="stable"
    )
    return out if sel.limit is None else out.head(sel.limit)


def select_places(sel: Selector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.Index:
    """Index labels of the places picked by ``sel``, largest zones first (ties by place id)."""
    if sel.place_id is not None:
        unknown = sorted(set(sel.place_id) - set(places["place_id"]))
        if unknown:
            raise ConfigError(
                f"{key}.place_id", f"unknown place id(s) {', '.join(unknown)} in this territory"
            )
    zok = zones.loc[_zone_mask(sel, zones, places, key), ["zone_id", "population"]]
    p = places[["place_id", "zone_id", "origin", "counters"]].join(
        places["zone_id"].map(zok.set_index("zone_id")["population"]).rename("zone_pop")
    )
    ok = p["zone_pop"].notna()
    for col in ("origin", "operator", "label", "place_id"):
        wanted = getattr(sel, col)
        if wanted is not None:
            ok &= places[col].isin(wanted)
    p = p[ok]
    if sel.one_per_zone and len(p):
        rank = p["origin"].map({o: i for i, o in enumerate(sel.prefer)}).fillna(len(sel.prefer))
        p = (
            p.assign(_rank=rank)
            .sort_values(["zone_id", "_rank", "counters", "place_id"], ascending=[True, True, False, True])
            .drop_duplicates("zone_id")
        )
    p = p.sort_values(["zone_pop", "zone_id", "place_id"], ascending=[False, True, True], kind="stable")
    if sel.limit is not None:
        p = p.head(sel.limit)
    return p.index


def _count_by_origin(origins: pd.Series) -> str:
    counts = origins.value_counts()
    return ", ".join(f"{o} {n}" for o, n in sorted(counts.items(), key=lambda t: (-t[1], t[0])))


# --------------------------------------------------------------------------------------------------
# Application
# --------------------------------------------------------------------------------------------------
def _apply_convert(iv: Convert, zones: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    idx = select_places(iv.select, zones, places, f"{iv.key}.select")
    if idx.empty:
        return places, "convert: the selector matched no place (nothing changed)"
    places.loc[idx, "opening_mediation"] = places.loc[idx, "opening_mediation"] | iv.opening_mediation
    # The building opens for its mediation slots; slots it had under the sharing clause are now ordinary ones.
    places.loc[idx, "opening"] = places.loc[idx, "opening"] | places.loc[idx, "opening_mediation"]
    places.loc[idx, "offhours"] = places.loc[idx, "offhours"] & ~places.loc[idx, "opening"]
    places.loc[idx, "counters"] = np.maximum(places.loc[idx, "counters"], iv.counters)
    places.loc[idx, "network"] = places.loc[idx, "network"] | iv.network
    places.loc[idx, "label"] = iv.label
    if iv.permanences:
        places.loc[idx, "permanences"] = places.loc[idx, "permanences"].map(
            lambda d: {**d, **{k: d.get(k, 0) | m for k, m in iv.permanences.items()}}
        )
    perms = ", ".join(f"{k} {_fmt(m)}" for k, m in iv.permanences.items())
    msg = (
        f"convert: {len(idx)} places ({_count_by_origin(places.loc[idx, 'origin'])})"
        f" -> shared mediation points (label {iv.label or 'none'},"
        f" {'network mediators, ' if iv.network else ''}>= {iv.counters} counters,"
        f" {_fmt(iv.opening_mediation)}{'; permanences ' + perms if perms else ''})"
    )
    return places, msg


def _apply_offhours(iv: OpenOffhours, zones: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    skey = f"{iv.key}.select"
    idx = select_places(iv.select, zones, places, skey)
    public = places.loc[idx, "operator"] == "public"
    if iv.select.place_id is not None:
        listed = places.loc[idx][~public & places.loc[idx, "place_id"].isin(iv.select.place_id)]
        if len(listed):
            raise ConfigError(
                f"{skey}.place_id",
                f"the sharing clause applies to public buildings only; {', '.join(listed['place_id'])} "
                f"{'is' if len(listed) == 1 else 'are'} not public",
            )
    skipped = int((~public).sum())
    idx = idx[public.to_numpy()]
    tail = f"; {skipped} non-public places skipped" if skipped else ""
    if idx.empty:
        return places, f"open_offhours: the selector matched no public place (nothing changed{tail})"
    parts = []
    added_any = pd.Series(False, index=idx)
    for act, spec in iv.activities.items():
        added = spec.timetable & ~places.loc[idx, "opening"]  # closed slots only
        has = added != 0
        added_any |= has
        col = CAPACITY_COLUMN[act]
        places.loc[idx, "offhours"] = places.loc[idx, "offhours"] | added
        places.loc[idx, f"opening_{act}"] = places.loc[idx, f"opening_{act}"] | added
        # Capacity is one number per place and activity: the larger of the existing and the clause's.
        places.loc[idx[has.to_numpy()], col] = np.maximum(places.loc[idx[has.to_numpy()], col], spec.capacity)
        n_slots = int(added.map(lambda m: int(m).bit_count()).sum())
        parts.append(f"{act} {int(has.sum())} places, {n_slots} slots ({spec.capacity} {col})")
    n = int(added_any.sum())
    by = _count_by_origin(places.loc[added_any[added_any].index, "origin"]) if n else "none"
    return places, f"open_offhours: {n} public places ({by}) open in closed slots: {'; '.join(parts)}{tail}"


def _apply_add(
    iv: AddPlaces, zones: pd.DataFrame, places: pd.DataFrame, cfg: SimConfig
) -> tuple[pd.DataFrame, str]:
    at = select_zones(iv.at, zones, places, f"{iv.key}.at")
    if at.empty:
        return places, "add_places: the zone selector matched no zone (nothing added)"
    e = cfg.economics
    area = iv.area_m2
    if area is None:
        area = CIRCULATION * (
            iv.desks * e.m2_per_desk
            + iv.counters * e.m2_per_counter
            + iv.workshop_seats * e.m2_per_workshop_seat
        )
    taken = set(places["place_id"])
    ids = []
    for z in at["zone_id"]:
        n = 1
        while f"new_{z}_{n}" in taken:
            n += 1
        taken.add(f"new_{z}_{n}")
        ids.append(f"new_{z}_{n}")
    nan = float("nan")
    new = pd.DataFrame(
        {
            "place_id": ids,
            "zone_id": at["zone_id"].to_numpy(),
            "name": [f"{iv.name} {zn}".strip() for zn in at["name"]],
            "origin": iv.origin,
            "operator": iv.operator,
            "area_m2": float(area),
            "desks": iv.desks,
            "counters": iv.counters,
            "workshop_seats": iv.workshop_seats,
            "opening": iv.opening,
            "opening_work": iv.opening_work,
            "opening_mediation": iv.opening_mediation,
            "opening_workshop": iv.opening_workshop,
            "offhours": 0,
            "network": iv.network,
            "permanences": [dict(iv.permanences) for _ in ids],
            "price_day_eur": nan if iv.price_day_eur is None else iv.price_day_eur,
            "price_month_eur": nan if iv.price_month_eur is None else iv.price_month_eur,
            "label": iv.label,
        }
    )
    dtypes = {c: t for c, t in places.dtypes.items() if c in new.columns}
    out = pd.concat([places, new.astype(dtypes)], ignore_index=True)
    kinds = at["kind"].value_counts()
    by = ", ".join(f"{k} {kinds[k]}" for k in ZONE_KINDS if k in kinds)
    caps = ", ".join(f"{getattr(iv, c)} {c}" for c in CAPACITY_COLUMN.values() if getattr(iv, c))
    what = f"{caps}, {iv.operator}, {area:.0f} m2"
    return out, f"add_places: {len(new)} places added (origin {iv.origin}; {by}) with {what}"


def _apply_close(iv: Close, zones: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    idx = select_places(iv.select, zones, places, f"{iv.key}.select")
    if idx.empty:
        return places, "close: the selector matched no place (nothing closed)"
    msg = f"close: {len(idx)} places removed ({_count_by_origin(places.loc[idx, 'origin'])})"
    return places.drop(index=idx).reset_index(drop=True), msg


def _apply_set(iv: Set, cfg: SimConfig) -> tuple[SimConfig, str]:
    merged = OmegaConf.structured(cfg)
    vkey = f"{iv.key}.values"
    for k, v in iv.values.items():
        try:
            OmegaConf.update(merged, k, v, merge=True)
        except Exception as exc:  # already checked at parse time; kept for configs built by hand
            raise ConfigError(f"{vkey}.{k}", str(exc).splitlines()[0]) from None
    new = OmegaConf.to_object(merged)
    assert isinstance(new, SimConfig)
    try:
        validate(new)
    except ConfigError as exc:
        raise ConfigError(f"{vkey}.{exc.key}", str(exc).split(": ", 1)[-1]) from None
    changes = ", ".join(
        f"{k} = {v!r} (was {OmegaConf.select(OmegaConf.structured(cfg), k)!r})" for k, v in iv.values.items()
    )
    return new, f"set: {changes}"


def apply_scenario(
    territory: Territory, cfg: SimConfig, provider_ids: Sequence[str]
) -> tuple[Territory, SimConfig, list[str]]:
    """Apply ``cfg.scenario``'s interventions, in order, to copies of the territory and configuration.

    Args:
        territory: the baseline territory (not modified).
        cfg: the validated configuration (not modified); ``cfg.scenario`` holds the interventions.
        provider_ids: the providers' ids (permanences must name one of them).

    Returns:
        The new territory (places updated, same zones), the new configuration (after ``set``) and a log, one
        line per intervention, saying what changed (or that a selector matched nothing).

    Raises:
        ConfigError: a malformed intervention, an unknown place or zone id listed explicitly, a ``set`` whose
            result does not validate, or ``open_offhours`` without ``policy.sharing_clause: true``.
    """
    interventions = parse_interventions(cfg.scenario, provider_ids)
    zones = territory.zones
    places = territory.places.copy(deep=True)
    # A deep copy of a DataFrame does not copy the Python objects in its cells: copy the permanence dicts so
    # that editing them never reaches the caller's territory.
    places["permanences"] = places["permanences"].map(lambda d: dict(d) if isinstance(d, Mapping) else {})
    new_cfg = OmegaConf.to_object(OmegaConf.structured(cfg))  # a deep copy
    assert isinstance(new_cfg, SimConfig)
    log: list[str] = []
    offhours_at: str | None = None
    for iv in interventions:
        if isinstance(iv, Convert):
            places, line = _apply_convert(iv, zones, places)
        elif isinstance(iv, OpenOffhours):
            places, line = _apply_offhours(iv, zones, places)
            offhours_at = offhours_at or iv.key
        elif isinstance(iv, AddPlaces):
            places, line = _apply_add(iv, zones, places, new_cfg)
        elif isinstance(iv, Close):
            places, line = _apply_close(iv, zones, places)
        else:
            new_cfg, line = _apply_set(iv, new_cfg)
        log.append(line)
    if offhours_at is not None and not new_cfg.policy.sharing_clause:
        raise ConfigError(
            offhours_at,
            "open_offhours opens public buildings under the sharing clause: add "
            "'{op: set, values: {policy.sharing_clause: true}}' to the scenario",
        )
    new_territory = dataclasses.replace(
        territory, zones=zones.copy(deep=True), places=places, notes=list(territory.notes)
    )
    return new_territory, new_cfg, log
