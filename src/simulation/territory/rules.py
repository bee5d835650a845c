"""Place rules: where the places of a territory are when no file lists them (synthetic and national builds).

Used by the synthetic territory and the Nièvre build. All thresholds are in adults (the ``population``
column) and are the fields of :class:`PlaceRules`:

1. *Centre*: the most populous zone of kind ``centre`` (if there is none, the most populous zone); the
   arrondissements of Paris, Lyon and Marseille count together as their city (:func:`centre_index`).
2. *Provider offices*: in the centre, one office per provider except the postal one (``la_poste``), 2-3
   counters, ``Mon-Fri AM PM``, public, the provider present in every mediation slot. Urban zones with at
   least ``secondary_office_adults`` (4,000) adults and at least ``secondary_office_min_km`` (15 km) from
   the centre get offices of caf, cpam, france_travail and dgfip (1-2 counters): the sub-prefecture-sized
   towns; suburbs of the centre are served by its offices.
3. *Post office*: every zone with at least ``post_office_adults`` (800) adults; ``providers = la_poste``;
   2 counters and ``Mon-Fri AM PM; Sat AM`` in centre/urban zones, else 1 counter and ``Mon-Fri AM; Sat AM``.
   None when ``post_offices`` is False (the caller places the real ones, as the ``france`` source does).
4. *Town hall*: every zone; public, 1 counter (no provider: scenarios may convert it), ``Mon-Fri AM`` in
   rural/periurban zones, ``Mon-Fri AM PM`` in centre/urban zones.
5. *Library*: zones with at least ``library_adults`` (2,500) adults; public, ``Tue-Sat PM; Wed AM; Sat AM``,
   no capacity of its own (the sharing clause may open it to other activities).
6. *Primary school*: zones with at least ``school_adults`` (400) adults; public, ``Mon Tue Thu Fri AM PM;
   Wed AM``, no capacity (a building the sharing clause can open after hours).
7. *Coworking*: 2 in the centre (20 desks each, close to the 22-desk average of rural spaces, docs/ODD.md 1) and
   1 in each urban zone with at least ``coworking_adults`` (5,000) adults (12 desks); private,
   ``Mon-Fri AM PM``, prices blank (the policy defaults).
8. *Fab lab*: one in the centre; association, 12 workshop seats, ``Wed PM EV; Thu EV; Sat AM PM``.
9. *Community centre*: one in the centre and in each urban zone; association, 8 workshop seats,
   ``Tue Thu EV; Sat PM``.
10. *France Services*: the given real sites (``fs_sites``) with their own hours, or, when none are given (the
    synthetic territory), one in each urban zone that is not the centre, ``Mon-Fri AM PM``.
    ``fs_counters[zone kind]`` counters (4 in a centre zone, 2 elsewhere: ``territory.fs_counters``),
    about 100 m2, public, ``providers = france_services`` (the network of generalist mediators), label
    ``france_services``.

Floor areas: ``PlaceRules.area_m2`` per origin and zone kind (orders of magnitude of such buildings), times a
uniform factor in [0.85, 1.15] drawn from ``rng``, rounded to 5 m2; provider offices add ``m2_per_counter``
per counter. Place ids are ``<prefix>_<zone_id>`` (``po_58194``, ``th_58194``, ``off_caf_58194``,
``cw_58194_1``, ``fs_<site id>``); they do not depend on the random draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.timetable import format_timetable, parse_timetable
from simulation.territory.tables import NETWORK_ID, POSTAL_PROVIDER, places_frame


@dataclass(frozen=True)
class PlaceRules:
    """Thresholds and sizes of :func:`generate_places` (documented in the module docstring)."""

    centre_office_counters: tuple[int, int] = (2, 3)  # counters of a provider office in the centre, min..max
    secondary_office_providers: tuple[str, ...] = ("caf", "cpam", "france_travail", "dgfip")
    secondary_office_adults: int = 4000  # adults of an urban zone that hosts secondary provider offices
    secondary_office_min_km: float = 15.0  # and its minimum distance from the centre, km
    secondary_office_counters: tuple[int, int] = (1, 2)
    post_office_adults: int = 800
    post_offices: bool = True  # rule 3; False when the caller places the real ones (territory source france)
    library_adults: int = 2500
    school_adults: int = 400
    coworking_centre: int = 2  # coworking spaces in the centre
    coworking_centre_desks: int = 20
    coworking_adults: int = 5000  # adults of an urban zone that hosts a coworking space
    coworking_desks: int = 12
    fab_lab_seats: int = 12
    community_centre_seats: int = 8
    # counters of a France Services site by its zone's kind (territory.fs_counters; Senate r21-778: 2.2 agents in
    # a rural site, 2.5 peri-urban, 4.5 in a priority urban district)
    fs_counters: dict[str, int] = field(
        default_factory=lambda: {"centre": 4, "urban": 2, "periurban": 2, "rural": 2}
    )
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


# The municipal arrondissements of Paris, Lyon and Marseille (INSEE codes, first..last) and their city's code:
# each is a zone of its own, but the city, not one arrondissement, is the main town of its area.
CITY_ARRONDISSEMENTS: dict[str, tuple[int, int]] = {
    "75056": (75101, 75120),  # Paris
    "69123": (69381, 69389),  # Lyon
    "13055": (13201, 13216),  # Marseille
}


def city_of(zone_ids: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """The city code of each zone id that is an arrondissement of Paris, Lyon or Marseille, else the id itself.

    Args:
        zone_ids: zone ids (INSEE codes for French territories; any text elsewhere).

    Returns:
        An array of texts: ``"69123"`` for ``"69381"``..``"69389"``, ``"75056"`` for ``"75101"``..``"75120"``,
        ``"13055"`` for ``"13201"``..``"13216"``; every other id unchanged.
    """
    ids = np.asarray([str(z) for z in zone_ids], dtype=object)
    out = ids.copy()
    num = np.array([int(z) if z.isdigit() and len(z) == 5 else -1 for z in ids], dtype=np.int64)
    for city, (lo, hi) in CITY_ARRONDISSEMENTS.items():
        out[(num >= lo) & (num <= hi)] = city
    return out.astype(str)


def centre_index(zones: pd.DataFrame) -> int:
    """Row of the centre: the most populous ``centre`` zone, else the most populous zone; a city's arrondissements
    count together.

    Zones are grouped by :func:`city_of` (the arrondissements of Paris, Lyon or Marseille form their city, every
    other zone is a group of its own); the centre is the most populous zone of the group with the most adults in
    its candidate zones (those of kind ``centre``, or every zone when there is none). In the Rhône, Lyon
    (9 arrondissements, 428,000 adults) beats Villeurbanne (123,000), so the centre is Lyon 3e, its most populous
    arrondissement, not Villeurbanne, which is larger than any single arrondissement. Without arrondissements
    every group is one zone and the rule is the plain one (Nevers). Ties keep the first row: deterministic.
    """
    pop = zones["population"].to_numpy(dtype=float)
    centre = (zones["kind"] == "centre").to_numpy()
    cand = np.flatnonzero(centre) if centre.any() else np.arange(len(zones))
    if not len(cand):
        raise ValueError("centre_index: no zones")
    group = city_of(zones["zone_id"].to_numpy()[cand])
    _, inverse = np.unique(group, return_inverse=True)
    group_pop = np.bincount(inverse, weights=pop[cand])[inverse]
    best = cand[group_pop == group_pop.max()]
    return int(best[np.argmax(pop[best])])  # argmax keeps the first on ties: deterministic


def place_record(
    pid: str,
    zone_id: str,
    name: str,
    origin: str,
    operator: str,
    opening: str,
    area_m2: float,
    desks: int = 0,
    counters: int = 0,
    seats: int = 0,
    providers: Sequence[str] = (),
    network: bool = False,
    label: str = "",
) -> dict[str, Any]:
    """One row of the places table (docs/INTERFACES.md) for a place built by rules: each activity with capacity
    runs in every opening slot, the providers hold their permanences at the counters' hours, no price set.

    Args:
        pid, zone_id, name, origin, operator: the place's identity.
        opening: its opening hours (timetable text, e.g. ``Mon-Fri AM PM``).
        area_m2: floor area, m2.
        desks, counters, seats: capacities of work, mediation and workshop.
        providers: the providers holding a permanence there.
        network, label: the France Services network and label.
    """
    mask = parse_timetable(opening)
    med = mask if counters > 0 else 0
    return {
        "place_id": pid,
        "zone_id": zone_id,
        "name": name,
        "origin": origin,
        "operator": operator,
        "area_m2": area_m2,
        "desks": desks,
        "counters": counters,
        "workshop_seats": seats,
        "opening": mask,
        "opening_work": mask if desks > 0 else 0,
        "opening_mediation": med,
        "opening_workshop": mask if seats > 0 else 0,
        "offhours": 0,
        "network": network,
        "permanences": {p: med for p in providers},
        "price_day_eur": math.nan,
        "price_month_eur": math.nan,
        "label": label,
    }


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
        records.append(
            place_record(
                pid,
                zone.zone_id,
                name,
                origin,
                operator,
                opening,
                kw.get("area_m2") or area(origin, zone.kind, kw.get("extra_m2", 0.0)),
                desks=kw.get("desks", 0),
                counters=kw.get("counters", 0),
                seats=kw.get("workshop_seats", 0),
                providers=kw.get("providers", ()),
                network=kw.get("network", False),
                label=kw.get("label", ""),
            )
        )

    ci = centre_index(zones)
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
            counters=int(rules.fs_counters[by_id.loc[zid].kind]), network=True, label=NETWORK_ID)  # fmt: skip
    return places_frame(records)
