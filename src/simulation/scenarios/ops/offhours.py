"""``open_offhours``: the sharing clause (docs/ODD.md 7.9) adds activities to public buildings in their closed slots.

Keys: ``select`` (required), ``activities`` ({activity: {timetable, capacity}}, required). The slots added are
``timetable & ~opening``; they go to ``offhours`` and to ``opening_<activity>``; the activity's capacity column
becomes at least ``capacity`` (a place has one capacity per activity). Places whose operator is not ``public`` are
skipped and logged (a selector by origin may catch an association-run library); a non-public place listed
explicitly by ``place_id`` is an error. The scenario must set ``policy.sharing_clause: true`` (in any ``set``
entry): off-hours slots exist only under that clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import ACTIVITIES
from simulation.core.errors import ConfigError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import fail, integer, mapping, required, timetable
from simulation.scenarios.selectors import CAPACITY_COLUMN, Selector, count_by_origin, select_places, selector


@dataclass(frozen=True)
class OffhoursActivity:
    """One activity that a sharing clause adds: in which slots (closed ones only) and with what capacity."""

    timetable: int
    capacity: int


@register
@dataclass(frozen=True)
class OpenOffhours(Operation):
    """Add activities to selected public buildings in their closed slots (sharing clause)."""

    op = "open_offhours"
    keys = ("op", "select", "activities")

    select: Selector
    activities: dict[str, OffhoursActivity]
    key: str = "scenario.interventions[?]"

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> OpenOffhours:
        """Check an ``open_offhours`` entry (module docstring)."""
        d = entry
        sel = selector(required(d, "select", key), f"{key}.select")
        akey = f"{key}.activities"
        acts = mapping(
            required(d, "activities", key),
            akey,
            ACTIVITIES,
            what="a mapping {activity: {timetable, capacity}}",
        )
        if not acts:
            raise fail(akey, acts, "at least one activity (" + ", ".join(ACTIVITIES) + ")")
        out: dict[str, OffhoursActivity] = {}
        for act, spec in acts.items():
            s = mapping(
                spec, f"{akey}.{act}", ("timetable", "capacity"), what="a mapping {timetable, capacity}"
            )
            tt = timetable(required(s, "timetable", f"{akey}.{act}"), f"{akey}.{act}.timetable")
            cap = integer(required(s, "capacity", f"{akey}.{act}"), f"{akey}.{act}.capacity", lo=1)
            out[act] = OffhoursActivity(tt, cap)
        return cls(sel, out, key)

    def apply(self, state: ScenarioState) -> str:
        """Open the selected public buildings in their closed slots; require the sharing clause at the end."""
        state.checks.append(self._check_clause)
        places = state.places
        skey = f"{self.key}.select"
        idx = select_places(self.select, state.zones, places, skey)
        public = places.loc[idx, "operator"] == "public"
        if self.select.place_id is not None:
            listed = places.loc[idx][~public & places.loc[idx, "place_id"].isin(self.select.place_id)]
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
            return f"open_offhours: the selector matched no public place (nothing changed{tail})"
        parts = []
        added_any = pd.Series(False, index=idx)
        for act, spec in self.activities.items():
            added = spec.timetable & ~places.loc[idx, "opening"]  # closed slots only
            has = added != 0
            added_any |= has
            col = CAPACITY_COLUMN[act]
            places.loc[idx, "offhours"] = places.loc[idx, "offhours"] | added
            places.loc[idx, f"opening_{act}"] = places.loc[idx, f"opening_{act}"] | added
            # Capacity is one number per place and activity: the larger of the existing and the clause's.
            places.loc[idx[has.to_numpy()], col] = np.maximum(
                places.loc[idx[has.to_numpy()], col], spec.capacity
            )
            n_slots = int(added.map(lambda m: int(m).bit_count()).sum())
            parts.append(f"{act} {int(has.sum())} places, {n_slots} slots ({spec.capacity} {col})")
        n = int(added_any.sum())
        by = count_by_origin(places.loc[added_any[added_any].index, "origin"]) if n else "none"
        return f"open_offhours: {n} public places ({by}) open in closed slots: {'; '.join(parts)}{tail}"

    def _check_clause(self, state: ScenarioState) -> None:
        if not state.cfg.policy.sharing_clause:
            raise ConfigError(
                self.key,
                "open_offhours opens public buildings under the sharing clause: add "
                "'{op: set, values: {policy.sharing_clause: true}}' to the scenario",
            )
