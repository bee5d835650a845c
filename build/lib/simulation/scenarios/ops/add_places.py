"""``add_places``: new places, one in each zone that the ``at`` zone selector picks.

Keys: ``at`` (required), ``origin`` (default ``new``), ``name`` (prefix; the zone's name is appended),
``operator`` (default ``public``), ``area_m2`` (default: the floor area the capacities need, ``economics.m2_per_*``,
plus 25 % circulation), ``desks``, ``counters``, ``workshop_seats`` (default 0, at least one > 0), ``opening``
(default: the union of the activity timetables), ``opening_work`` / ``opening_mediation`` / ``opening_workshop``
(default: ``opening`` when the place has that capacity, else empty; each within ``opening``), ``network``
(default false), ``permanences``, ``label`` (default ""), ``price_day_eur``, ``price_month_eur`` (default: the
policy's). Ids are ``new_<zone_id>_<n>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import ACTIVITIES, OPERATORS, ORIGINS, ZONE_KINDS
from simulation.core.errors import ConfigError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import (
    boolean,
    fail,
    fmt,
    integer,
    number,
    permanences,
    required,
    string,
    timetable,
)
from simulation.scenarios.selectors import CAPACITY_COLUMN, ZoneSelector, select_zones, zone_selector

# Floor area of a new place = the area its capacities need x this (corridors, toilets, storage).
CIRCULATION = 1.25


@register
@dataclass(frozen=True)
class AddPlaces(Operation):
    """New places, one per zone picked by ``at`` (see the module docstring)."""

    op = "add_places"
    keys = tuple(
        "op at origin name operator area_m2 desks counters workshop_seats opening opening_work"
        " opening_mediation opening_workshop network permanences label price_day_eur price_month_eur".split()
    )

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

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> AddPlaces:
        """Check an ``add_places`` entry (module docstring)."""
        d = entry
        kw: dict[str, Any] = {"at": zone_selector(required(d, "at", key), f"{key}.at"), "key": key}
        if "origin" in d:
            kw["origin"] = string(d["origin"], f"{key}.origin", ORIGINS)
        if "operator" in d:
            kw["operator"] = string(d["operator"], f"{key}.operator", OPERATORS)
        for k in ("name", "label"):
            if k in d:
                kw[k] = string(d[k], f"{key}.{k}")
        for k in ("area_m2", "price_day_eur", "price_month_eur"):
            if d.get(k) is not None:
                kw[k] = number(d[k], f"{key}.{k}")
        if kw.get("area_m2") == 0.0:
            raise fail(f"{key}.area_m2", d["area_m2"], "a number > 0")
        caps = {a: integer(d.get(c, 0), f"{key}.{c}") for a, c in CAPACITY_COLUMN.items()}
        if not any(caps.values()):
            raise ConfigError(key, "a new place needs some capacity: desks, counters or workshop_seats > 0")
        kw.update({CAPACITY_COLUMN[a]: n for a, n in caps.items()})
        given = {
            a: timetable(d[f"opening_{a}"], f"{key}.opening_{a}") for a in ACTIVITIES if f"opening_{a}" in d
        }
        for a, mask in given.items():
            if mask and not caps[a]:
                raise ConfigError(
                    f"{key}.opening_{a}", f"the place has no {CAPACITY_COLUMN[a]}: give them or drop it"
                )
        if "opening" in d:
            opening = timetable(d["opening"], f"{key}.opening")
            for a, mask in given.items():
                if mask & ~opening:
                    raise ConfigError(
                        f"{key}.opening_{a}", f"{fmt(mask)!r} has slots outside opening {fmt(opening)!r}"
                    )
        elif given:
            opening = int(np.bitwise_or.reduce(list(given.values())))
        else:
            raise ConfigError(f"{key}.opening", "missing; give opening or the activity timetables")
        if opening == 0:
            raise fail(f"{key}.opening", d.get("opening"), "at least one slot")
        kw["opening"] = opening
        for a in ACTIVITIES:
            kw[f"opening_{a}"] = given.get(a, opening if caps[a] else 0)
        if "network" in d:
            kw["network"] = boolean(d["network"], f"{key}.network")
        if "permanences" in d:
            kw["permanences"] = permanences(
                d["permanences"], f"{key}.permanences", provider_ids, kw["opening_mediation"]
            )
        if (kw.get("network") or kw.get("permanences")) and not caps["mediation"]:
            raise ConfigError(f"{key}.counters", "mediators or permanences need counters > 0")
        return cls(**kw)

    def apply(self, state: ScenarioState) -> str:
        """Append one new place per selected zone."""
        places = state.places
        at = select_zones(self.at, state.zones, places, f"{self.key}.at")
        if at.empty:
            return "add_places: the zone selector matched no zone (nothing added)"
        e = state.cfg.economics
        area = self.area_m2
        if area is None:
            area = CIRCULATION * (
                self.desks * e.m2_per_desk
                + self.counters * e.m2_per_counter
                + self.workshop_seats * e.m2_per_workshop_seat
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
                "name": [f"{self.name} {zn}".strip() for zn in at["name"]],
                "origin": self.origin,
                "operator": self.operator,
                "area_m2": float(area),
                "desks": self.desks,
                "counters": self.counters,
                "workshop_seats": self.workshop_seats,
                "opening": self.opening,
                "opening_work": self.opening_work,
                "opening_mediation": self.opening_mediation,
                "opening_workshop": self.opening_workshop,
                "offhours": 0,
                "network": self.network,
                "permanences": [dict(self.permanences) for _ in ids],
                "price_day_eur": nan if self.price_day_eur is None else self.price_day_eur,
                "price_month_eur": nan if self.price_month_eur is None else self.price_month_eur,
                "label": self.label,
            }
        )
        dtypes = {c: t for c, t in places.dtypes.items() if c in new.columns}
        state.places = pd.concat([places, new.astype(dtypes)], ignore_index=True)
        kinds = at["kind"].value_counts()
        by = ", ".join(f"{k} {kinds[k]}" for k in ZONE_KINDS if k in kinds)
        caps = ", ".join(f"{getattr(self, c)} {c}" for c in CAPACITY_COLUMN.values() if getattr(self, c))
        what = f"{caps}, {self.operator}, {area:.0f} m2"
        return f"add_places: {len(new)} places added (origin {self.origin}; {by}) with {what}"
