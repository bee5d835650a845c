"""Write the Nièvre (58) territory as ``zones.csv`` and ``places.csv``: the example of the ``territory=files`` format.

``territory=nievre`` is built from the committed national extract (``data/france/``; see
``simulation.territory.sources.nievre``). This script writes that same territory as the two CSV files a user
would give with ``territory=files`` (``data/nievre/zones.csv``, ``places.csv``), with ``SOURCES.md`` and
``build_report.txt``, and reads them back through the files reader. The files are an example and a copy, not a
second source: ``tests/test_territory.py`` checks that they are what this script writes now.

Usage::

    python scripts/build_nievre.py [--out data/nievre]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.core.config import _default_providers
from simulation.core.timetable import format_timetable
from simulation.territory import load_files, write_places_csv, write_zones_csv
from simulation.territory.sources.nievre import load_nievre

REPO = Path(__file__).resolve().parents[1]


def build(out: Path) -> list[str]:
    """Write the files into ``out``; return the build report's lines."""
    provider_ids = [p.id for p in _default_providers()]
    terr = load_nievre(provider_ids)
    out.mkdir(parents=True, exist_ok=True)
    write_zones_csv(terr.zones, out / "zones.csv")
    write_places_csv(terr.places, out / "places.csv")
    # Read back through the files reader: the committed files must load without errors.
    back = load_files(out / "zones.csv", out / "places.csv", provider_ids, name="nievre")
    z, p = back.zones, back.places
    lines = [
        "Nièvre (58) written as files by scripts/build_nievre.py from territory=nievre (data/france, 2020 list)",
        "",
        f"zones: {len(z)}; adults: {int(z['population'].sum()):,}",
        "zones by kind: " + ", ".join(f"{k} {n}" for k, n in z["kind"].value_counts().items()),
        "adults by kind: "
        + ", ".join(f"{k} {n:,}" for k, n in z.groupby("kind")["population"].sum().items()),
        "",
        f"places: {len(p)}",
        "places by origin: " + ", ".join(f"{k} {n}" for k, n in p["origin"].value_counts().items()),
        f"desks {int(p['desks'].sum())}, counters {int(p['counters'].sum())}, "
        f"workshop seats {int(p['workshop_seats'].sum())}",
        "",
        "France Services opening (parsed from the 2020 list's h_mon .. h_sat; Sunday closed):",
    ]
    fsp = p[p["label"] == "france_services"]
    lines += [
        f"  {r.place_id} {r.name} [{r.zone_id}]: {format_timetable(int(r.opening))}" for r in fsp.itertuples()
    ]
    lines += ["", "notes of the territory (opening-hours cells not fully read, mobile sites...):"]
    lines += [f"  {n}" for n in terr.notes]
    (out / "build_report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "SOURCES.md").write_text(SOURCES_MD, encoding="utf-8")
    return lines


SOURCES_MD = """# Nièvre (58) as files

`zones.csv` and `places.csv` are the default territory (`territory=nievre`) written in the `territory=files`
format (README, "Input files"): an example to copy for your own territory, and the same zones and places as
`territory=nievre` (coordinates rounded to the metre). `build_report.txt` has the counts and the notes.

Built from the committed national extract `data/france/` (sources, licences, rules and traps in
`data/france/SOURCES.md`: INSEE 2021 populations, the ANCT France Services list of 2020, the La Poste points of
contact of 2020; Licence Ouverte 2.0) by

    python scripts/build_nievre.py [--out data/nievre]

The build is deterministic.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "data" / "nievre")
    args = ap.parse_args(argv)
    print("\n".join(build(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
