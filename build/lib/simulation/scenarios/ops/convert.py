"""``convert``: turn the selected places into shared mediation points.

Keys: ``select`` (a selector, required), ``label`` (default ``france_services``), ``network`` (generalist
mediators of the partner network, default true), ``counters`` (at least this many, default 2),
``opening_mediation`` (default ``Mon-Fri AM PM``), ``permanences`` ({provider id: timetable}, each within
``opening_mediation``). Mediation slots and permanences are *added* to the existing ones (a converted post office
keeps its La Poste counter hours) and the building's ``opening`` is extended to include them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import boolean, fail, fmt, integer, permanences, required, string, timetable
from simulation.scenarios.selectors import Selector, count_by_origin, select_places, selector


@register
@dataclass(frozen=True)
class Convert(Operation):
    """Turn the selected places into shared mediation points (see the module docstring)."""

    op = "convert"
    keys = ("op", "select", "label", "network", "counters", "opening_mediation", "permanences")

    select: Selector
    label: str = "france_services"
    network: bool = True
    counters: int = 2
    opening_mediation: int = 0b011_011_011_011_011  # Mon-Fri AM PM
    permanences: dict[str, int] = field(default_factory=dict)
    key: str = "scenario.interventions[?]"  # where it was written, for error messages

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> Convert:
        """Check a ``convert`` entry (module docstring)."""
        d = entry
        kw: dict[str, Any] = {"select": selector(required(d, "select", key), f"{key}.select"), "key": key}
        if "label" in d:
            kw["label"] = string(d["label"], f"{key}.label")
        if "network" in d:
            kw["network"] = boolean(d["network"], f"{key}.network")
        if "counters" in d:
            kw["counters"] = integer(d["counters"], f"{key}.counters", lo=1)
        if "opening_mediation" in d:
            kw["opening_mediation"] = timetable(d["opening_mediation"], f"{key}.opening_mediation")
            if kw["opening_mediation"] == 0:
                raise fail(f"{key}.opening_mediation", d["opening_mediation"], "at least one slot")
        within = kw.get("opening_mediation", Convert.opening_mediation)
        if "permanences" in d:
            kw["permanences"] = permanences(d["permanences"], f"{key}.permanences", provider_ids, within)
        return cls(**kw)

    def apply(self, state: ScenarioState) -> str:
        """Add the mediation slots, counters, mediators and permanences to the selected places."""
        places = state.places
        idx = select_places(self.select, state.zones, places, f"{self.key}.select")
        if idx.empty:
            return "convert: the selector matched no place (nothing changed)"
        places.loc[idx, "opening_mediation"] = places.loc[idx, "opening_mediation"] | self.opening_mediation
        # The building opens for its mediation slots; slots it had under the sharing clause are now ordinary.
        places.loc[idx, "opening"] = places.loc[idx, "opening"] | places.loc[idx, "opening_mediation"]
        places.loc[idx, "offhours"] = places.loc[idx, "offhours"] & ~places.loc[idx, "opening"]
        places.loc[idx, "counters"] = np.maximum(places.loc[idx, "counters"], self.counters)
        places.loc[idx, "network"] = places.loc[idx, "network"] | self.network
        places.loc[idx, "label"] = self.label
        if self.permanences:
            places.loc[idx, "permanences"] = places.loc[idx, "permanences"].map(
                lambda d: {**d, **{k: d.get(k, 0) | m for k, m in self.permanences.items()}}
            )
        perms = ", ".join(f"{k} {fmt(m)}" for k, m in self.permanences.items())
        return (
            f"convert: {len(idx)} places ({count_by_origin(places.loc[idx, 'origin'])})"
            f" -> shared mediation points (label {self.label or 'none'},"
            f" {'network mediators, ' if self.network else ''}>= {self.counters} counters,"
            f" {fmt(self.opening_mediation)}{'; permanences ' + perms if perms else ''})"
        )
