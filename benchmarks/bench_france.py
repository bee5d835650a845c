"""Benchmark of ``territory.sources.france.load_france``: load times, memory, densities of places.

Measures, in one process:
- the first load (reading the extract and computing the kinds of every commune of France, then cached);
- the Nièvre, Paris, the Rhône and Île-de-France (8 departements at once);
- every departement one at a time (all 101; Mayotte is refused: no population in the source), or ``--deps``;
- the peak resident memory of the process;
and prints the places and counters per 10,000 adults by zone kind (``places_per_10k_adults``) for the named
selections and for all departements together. Usage:

    .venv/bin/python benchmarks/bench_france.py [--year 2020|2024] [--deps 58 69 ...] [--no-densities]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time

import pandas as pd

from simulation.core.errors import UserError
from simulation.territory import Territory
from simulation.territory.sources.france import DATA_DIR, _national, load_france, places_per_10k_adults

IDF = [75, 77, 78, 91, 92, 93, 94, 95]


def timed(**kw: object) -> tuple[Territory, float]:
    t0 = time.perf_counter()
    t = load_france(**kw)
    return t, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--deps", nargs="*", help="departements to load one at a time (default: all)")
    ap.add_argument("--no-densities", action="store_true")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    named = {}
    t, s = timed(departements=[58], france_services_year=args.year)
    print(f"first load (extract + kinds of France, then cached) + Nièvre: {s:.2f} s")
    for label, deps in (
        ("Nièvre (58)", [58]),
        ("Paris (75)", [75]),
        ("Rhône (69)", [69]),
        ("Île-de-France", IDF),
    ):
        t, s = timed(departements=deps, france_services_year=args.year)
        named[label] = t
        print(
            f"{label}: {s:.2f} s; {len(t.zones):,} zones, {int(t.zones['population'].sum()):,} adults, "
            f"{len(t.places):,} places, {len(t.notes)} notes"
        )
    deps = args.deps or list(_national(str(DATA_DIR)).deps)
    times, zones, places, refused = {}, [], [], []
    for d in deps:
        try:
            t, s = timed(departements=[d], france_services_year=args.year)
        except UserError as exc:
            refused.append(f"{d}: {exc}")
            continue
        times[d] = s
        zones.append(t.zones)
        places.append(t.places)
    tot = sum(times.values())
    slow = sorted(times.items(), key=lambda kv: -kv[1])[:5]
    print(
        f"{len(times)} departements one at a time: total {tot:.1f} s, "
        f"median {statistics.median(times.values()):.2f} s, "
        "slowest " + ", ".join(f"{d} {s:.2f} s" for d, s in slow)
    )
    for r in refused:
        print(f"refused: {r}")
    all_t = Territory("all", pd.concat(zones, ignore_index=True), pd.concat(places, ignore_index=True))
    print(
        f"all loaded: {len(all_t.zones):,} zones, {int(all_t.zones['population'].sum()):,} adults, "
        f"{len(all_t.places):,} places"
    )
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.no_densities:
        return
    named[f"all {len(times)} departements"] = all_t
    for label, t in named.items():
        print(f"\nplaces and counters per 10,000 adults by zone kind: {label} (France Services {args.year})")
        print(places_per_10k_adults(t).to_string(index=False))


if __name__ == "__main__":
    main()
