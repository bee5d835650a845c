"""Build the Nièvre (58) territory files from the public reference data.

Writes ``data/nievre/zones.csv``, ``places.csv``, ``SOURCES.md`` and ``build_report.txt`` from
``communes.csv`` (INSEE census via rcarlier/datas.fun) and ``france_services_2020.csv`` (ANCT via
anct-carto/France-services). The rules are in :data:`RULES` (copied into SOURCES.md) and in the docstring of
:mod:`simulation.territory` (the places). The output is reproducible: the only random draws (counters within
their ranges, floor areas) use the fixed seed :data:`SEED`.

Usage::

    python scripts/build_nievre.py [--source ../shared/data/france] [--out data/nievre]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.config import _default_providers
from simulation.core.timetable import DAYS, PARTS, format_timetable, parse_fs_hours, week_from_days
from simulation.territory import generate_places, load_files, write_places_csv, write_zones_csv

REPO = Path(__file__).resolve().parents[1]
DEP = "58"
SEED = 58  # seed of the place draws; fixed so that the committed files are reproducible
ADULT_SHARE = 0.82  # adults / inhabitants; INSEE RP2021 Nièvre: about 18 % of inhabitants are under 18
URBAN_INHABITANTS = 4000  # a commune with at least this many inhabitants is urban
PERIURBAN_KM = 15.0  # a smaller commune within this distance of an urban commune or the centre is periurban
CAR_SHARE = {
    "centre": 0.75,
    "urban": 0.85,
    "periurban": 0.92,
    "rural": 0.93,
}  # INSEE RP, households with a car
EARTH_KM = 6371.0088  # mean Earth radius (IUGG), km
EXPECTED_COMMUNES = 309
EXPECTED_INHABITANTS = 202_417  # RP2021 total of the 309 communes (INSEE: 202 k)
EXPECTED_FS = 19
FS_DAYS = ("h_mon", "h_tue", "h_wed", "h_thu", "h_fri", "h_sat")  # the file has no Sunday: Sundays are closed

RULES = f"""\
- Communes: rows of `communes.csv` with `insee_dep == {DEP}` and `commune_type == COM` (communes déléguées and
  municipal arrondissements would count people twice), deduplicated on `insee_com` (large towns have one row
  per postal code). Checked: {EXPECTED_COMMUNES} communes, {EXPECTED_INHABITANTS:,} inhabitants (± 1 %).
- One zone per commune: `zone_id` = INSEE code, `name` = commune name, `area_km2` = `superficie_km2`.
- Position: equirectangular projection around the departement's mean latitude phi0:
  `x_km = R (lng - lng_min) cos(phi0) pi/180`, `y_km = R (lat - lat_min) pi/180`, R = {EARTH_KM} km (origin at
  the south-west corner of the bounding box). Over the ~110 km of the departement the error on distances is
  below 0.5 %, far under the detour factor's uncertainty.
- `population` = adults = round(population_2021 x {ADULT_SHARE}) (INSEE RP2021 age structure of the Nièvre:
  about 18 % of inhabitants are under 18).
- `kind`: `centre` = the most populous commune (Nevers); `urban` = at least {URBAN_INHABITANTS:,} inhabitants;
  `periurban` = fewer, but within {PERIURBAN_KM:g} km (straight line) of an urban commune or the centre;
  `rural` = the rest.
- `car_share` by kind: {", ".join(f"{k} {v}" for k, v in CAR_SHARE.items())} (INSEE RP, share of households
  with at least one car, orders of magnitude for a mid-size town, small towns and rural communes).
- `jobs` is left out: the file has no jobs at the place of work; the model places jobs in proportion to
  population^jobs_exponent (docs/ODD.md 5).
- France Services: the {EXPECTED_FS} sites of the 2020 file whose `insee_com` starts with {DEP}, each in the
  zone of its commune (`insee_com`); place id `fs_<id of the file>`; opening from `h_mon` .. `h_sat` read by
  `simulation.core.timetable.parse_fs_hours` (AM when a half-day starts before 13:00, PM when it overlaps
  13:00-18:00, EV when it ends after 18:00; Sunday closed, the file has no Sunday column). Every cell that
  cannot be fully read is listed in `build_report.txt` with the site and the text, and what could be read is
  kept. The mobile site (category `FS itinerante`) is placed in its home commune.
- The other places: the rules of `simulation.territory.generate_places` (its module docstring), with the
  default providers of `simulation.core.config` and `numpy.random.default_rng({SEED})`.
"""


def project(lat: np.ndarray, lng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection around the mean latitude, origin at the south-west corner, km."""
    phi0 = math.radians(float(np.mean(lat)))
    x = EARTH_KM * np.radians(lng - lng.min()) * math.cos(phi0)
    y = EARTH_KM * np.radians(lat - lat.min())
    return x, y


def build_zones(communes_csv: Path) -> tuple[pd.DataFrame, int]:
    """The zones table of the departement (see RULES) and its number of inhabitants."""
    c = pd.read_csv(communes_csv, dtype={"insee_com": str, "insee_dep": str})
    c = c[(c["insee_dep"] == DEP) & (c["commune_type"] == "COM")].drop_duplicates("insee_com")
    total = int(c["population_2021"].sum())
    assert len(c) == EXPECTED_COMMUNES, f"expected {EXPECTED_COMMUNES} communes, got {len(c)}"
    assert abs(total - EXPECTED_INHABITANTS) <= 0.01 * EXPECTED_INHABITANTS, f"unexpected total {total}"
    c = c.sort_values("insee_com").reset_index(drop=True)
    x, y = project(c["lat"].to_numpy(float), c["lng"].to_numpy(float))
    inhabitants = c["population_2021"].to_numpy(int)
    kind = np.full(len(c), "rural", dtype=object)
    town = inhabitants >= URBAN_INHABITANTS
    centre = int(np.argmax(inhabitants))
    town[centre] = True
    d = np.hypot(x[:, None] - x[town][None, :], y[:, None] - y[town][None, :]).min(axis=1)
    kind[d <= PERIURBAN_KM] = "periurban"
    kind[town] = "urban"
    kind[centre] = "centre"
    zones = pd.DataFrame(
        {
            "zone_id": c["insee_com"].astype(str),
            "name": c["commune"].astype(str),
            "x_km": x,
            "y_km": y,
            "population": np.round(inhabitants * ADULT_SHARE).astype(np.int64),
            "kind": kind.astype(str),
            "jobs": np.nan,
            "car_share": [CAR_SHARE[k] for k in kind],
            "area_km2": c["superficie_km2"].astype(float),
        }
    )
    return zones, total


def build_fs_sites(fs_csv: Path, zones: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The France Services sites of the departement with their parsed opening, and report lines."""
    f = pd.read_csv(fs_csv, dtype=str, keep_default_na=False)
    f = f[f["insee_com"].str.startswith(DEP)].sort_values("id", key=lambda s: s.astype(int))
    assert len(f) == EXPECTED_FS, f"expected {EXPECTED_FS} France Services sites in {DEP}, got {len(f)}"
    zone_ids = set(zones["zone_id"])
    rows, report = [], []
    for s in f.itertuples(index=False):
        assert s.insee_com in zone_ids, (
            f"France Services {s.id} {s.name}: commune {s.insee_com} is not a zone"
        )
        days = []
        for d, col in enumerate(FS_DAYS):
            text = getattr(s, col)
            bits, ok = parse_fs_hours(text)
            days.append(bits)
            if not ok:
                read = " ".join(p for i, p in enumerate(PARTS) if bits >> i & 1) or "nothing"
                report.append(
                    f"unreadable: fs_{s.id} ({s.name}, {s.commune}) {DAYS[d]}: {text!r}; kept: {read}"
                )
        mask = week_from_days(days)
        rows.append(
            {"site_id": s.id, "zone_id": s.insee_com, "name": f"France Services {s.name}", "opening": mask}
        )
        if s.category != "FS":
            report.append(
                f"note: fs_{s.id} ({s.name}) is category {s.category!r}; placed in its commune {s.commune}"
            )
    return pd.DataFrame(rows), report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "france")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "nievre")
    args = ap.parse_args(argv)
    communes_csv, fs_csv = args.source / "communes.csv", args.source / "france_services_2020.csv"
    for p in (communes_csv, fs_csv):
        if not p.is_file():
            print(
                f"{p}: not found; give the folder of communes.csv and france_services_2020.csv with --source"
            )
            return 2
    zones, inhabitants = build_zones(communes_csv)
    fs_sites, fs_report = build_fs_sites(fs_csv, zones)
    provider_ids = [p.id for p in _default_providers()]
    places = generate_places(zones, provider_ids, fs_sites, np.random.default_rng(SEED))

    args.out.mkdir(parents=True, exist_ok=True)
    write_zones_csv(zones, args.out / "zones.csv")
    write_places_csv(places, args.out / "places.csv")
    # Read back through the loader: the committed files must load without errors.
    terr = load_files(args.out / "zones.csv", args.out / "places.csv", provider_ids, name="nievre")

    z, p = terr.zones, terr.places
    lines = [
        f"Nièvre build (scripts/build_nievre.py, seed {SEED})",
        f"source: {os.path.relpath(args.source, REPO)}",
        "",
        f"zones: {len(z)}; inhabitants (population_2021): {inhabitants:,}; "
        f"adults: {int(z['population'].sum()):,}",
        "zones by kind: " + ", ".join(f"{k} {n}" for k, n in z["kind"].value_counts().items()),
        "adults by kind: "
        + ", ".join(f"{k} {n:,}" for k, n in z.groupby("kind")["population"].sum().items()),
        "urban and centre communes: "
        + ", ".join(
            f"{r.name} ({r.population:,} adults)" for r in z[z["kind"].isin(["centre", "urban"])].itertuples()
        ),
        "",
        f"places: {len(p)}",
        "places by origin: " + ", ".join(f"{k} {n}" for k, n in p["origin"].value_counts().items()),
        f"desks {int(p['desks'].sum())}, counters {int(p['counters'].sum())}, "
        f"workshop seats {int(p['workshop_seats'].sum())}",
        "",
        "France Services opening (parsed from h_mon .. h_sat; Sunday closed):",
    ]
    fsp = p[p["label"] == "france_services"]
    lines += [
        f"  {r.place_id} {r.name} [{r.zone_id}]: {format_timetable(int(r.opening))}" for r in fsp.itertuples()
    ]
    lines += ["", f"cells not fully read: {sum(ln.startswith('unreadable:') for ln in fs_report)}"]
    lines += fs_report or ["(none: every cell of the 19 sites was read)"]
    (args.out / "build_report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out / "SOURCES.md").write_text(sources_md(), encoding="utf-8")
    print("\n".join(lines))
    return 0


def sources_md() -> str:
    return f"""# Nièvre (58): sources and build rules

Files: `zones.csv` (one zone per commune), `places.csv` (places, formats of docs/ODD.md 6 and
docs/INTERFACES.md), `build_report.txt` (counts and every opening-hours cell that could not be fully read).

## Sources
- INSEE, recensement de la population 2021 (populations légales) and commune areas and positions, as
  compiled in the public repository rcarlier/datas.fun (`France/communes.csv`).
- ANCT, France Services sites labelled January-September 2020 with their opening hours, as published in the
  repository anct-carto/France-services (`data/france_services.geojson`), converted to CSV.

Licence of both sources: Licence Ouverte / Open Licence 2.0 (Etalab). The derived files here are under the
same licence; mention "INSEE, ANCT" when reusing them.

## Build
From the repository root, with the reference data in `../shared/data/france` (or give `--source`):

    python scripts/build_nievre.py [--source ../shared/data/france] [--out data/nievre]

The build is deterministic (fixed seed {SEED}); it reads its outputs back through
`simulation.territory.load_files`.

## Rules
{RULES}"""


if __name__ == "__main__":
    sys.exit(main())
