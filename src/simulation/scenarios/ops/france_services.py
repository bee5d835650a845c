"""``france_services``: the territory's France Services become those of another year's list (issue 9).

Key: ``year`` (required, 2020 or 2024: a list of the national extract ``data/france``). The territory's zones
must be French communes (``territory=france`` or ``territory=nievre``, or files whose zone ids are INSEE codes).

The places of origin ``france_services`` whose id is ``fs_<site id>`` are matched with the year's sites of the
territory's zones by site id (the ANCT keeps a site's id from one list to the next):

* a site in both keeps its building (floor area, counters, permanences) and takes the year's zone, name, hours
  (``opening`` and ``opening_mediation``; the other activities' and the permanences' slots are cut to the new
  opening) and label (a branch has none);
* a place not in the year's list is closed (removed before the run, as ``close``);
* a site only in the year's list is added with its real hours, as the territory build places it
  (:func:`simulation.territory.sources.france.fs_places`: the counters ``territory.fs_counters`` gives its zone's
  kind, the partner network, the mean floor area of its zone's kind, no random draw).

Every other place is untouched, and the run's random streams do not depend on the places' table, so a paired
comparison (``experiments/france_services_2020_2024.yaml``) isolates the network of the year. The log line
counts what was kept, closed and added, names the sites, and says how many opening-hours cells could not be
fully read (each one is listed on the following lines, as the territory's own notes do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.errors import ConfigError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import fail, required
from simulation.territory.sources.france import french_zone_share, fs_places

# Below this share of zones known to the national extract, the territory is not a French selection.
MIN_FRENCH_SHARE = 0.5
YEARS = (2020, 2024)


@register
@dataclass(frozen=True)
class FranceServices(Operation):
    """Replace the territory's France Services by those of ``year`` (module docstring)."""

    op = "france_services"
    keys = ("op", "year")

    year: int
    key: str = "scenario.interventions[?]"

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> FranceServices:
        """Check a ``france_services`` entry: ``year`` is one of the committed lists."""
        y = required(entry, "year", key)
        if isinstance(y, bool) or not isinstance(y, int | str) or str(y).strip() not in map(str, YEARS):
            raise fail(f"{key}.year", y, "one of " + ", ".join(map(str, YEARS)) + " (the committed lists)")
        return cls(int(str(y).strip()), key)

    def apply(self, state: ScenarioState) -> str:
        """Close, keep (with the year's hours) and add France Services (module docstring)."""
        share = french_zone_share(state.zones)
        if share < MIN_FRENCH_SHARE:
            raise ConfigError(
                f"{self.key}.op",
                f"france_services needs a French territory (territory=france or territory=nievre): only "
                f"{share:.0%} of the zone ids are INSEE commune codes of data/france",
            )
        new, notes = fs_places(self.year, state.zones, fs_counters=state.cfg.territory.fs_counters)
        places = state.places
        is_fs = (places["origin"] == "france_services").to_numpy() & places["place_id"].str.startswith("fs_")
        new_ids = set(new["place_id"])
        old_ids = set(places.loc[is_fs, "place_id"])
        close = is_fs & ~places["place_id"].isin(new_ids).to_numpy()
        if close.all():
            raise ConfigError(f"{self.key}.year", "closing the France Services would leave no place")
        kept = places.loc[~close].reset_index(drop=True)
        _update_kept(kept, new.set_index("place_id"))
        added = new[~new["place_id"].isin(old_ids)]
        state.places = pd.concat([kept, added], ignore_index=True) if len(added) else kept
        closed_ids = sorted(places.loc[close, "place_id"])
        added_ids = list(added["place_id"])
        unread = [n for n in notes if not n.startswith("note:")]
        head = (
            f"france_services: the {self.year} list, {len(new)} sites in the territory: "
            f"{len(old_ids & new_ids)} kept with the year's hours, {len(closed_ids)} closed "
            f"({', '.join(closed_ids) or 'none'}), {len(added_ids)} added ({', '.join(added_ids) or 'none'}); "
            f"{len(unread)} opening-hours notes"
        )
        return "\n".join([head, *(f"  {n}" for n in unread)])


def _update_kept(places: pd.DataFrame, year: pd.DataFrame) -> None:
    """Give the kept France Services the year's name, label and hours, in place (module docstring)."""
    rows = np.flatnonzero(places["place_id"].isin(year.index).to_numpy())
    for r in rows:
        site = year.loc[places.at[r, "place_id"]]
        opening = int(site["opening"])
        places.at[r, "zone_id"] = site["zone_id"]  # 16 sites of 2020 moved to another commune by 2024
        places.at[r, "name"] = site["name"]
        places.at[r, "label"] = site["label"]
        places.at[r, "opening"] = opening
        places.at[r, "opening_mediation"] = opening
        for col in ("opening_work", "opening_workshop"):
            places.at[r, col] = int(places.at[r, col]) & opening
        places.at[r, "permanences"] = {p: m & opening for p, m in places.at[r, "permanences"].items()}
