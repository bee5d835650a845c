"""Speed of the vectorised model against the per-agent Mesa reference (benchmarks/reference/), in one run.

Both simulate the same configuration (the docking configuration, :func:`benchmarks.reference.docking_config`: no
makers, no closures, providers' reviews inert) on the same synthetic territory and seed. The measure is simulated
adult-days per second of the day loop (``adults x days / seconds``, the territory, population and agents built
before the clock starts), and the same over the whole call (build included). The main model is timed ``--repeat``
times (best kept: it runs in about a second); the reference once, its stages called by ``AgentSet.do`` (no
stage depends on the order of its agents), or by Mesa's random activation ``shuffle_do`` with ``--shuffle``.
Prints a table and writes ``results/bench_reference.csv``. Usage:

    .venv/bin/python benchmarks/bench_reference.py [--adults 80000] [--weeks 8] [--warmup-weeks 1] [--repeat 3]
                                                   [--shuffle]

The issue's goal: the vectorised model at least 40 times faster than the reference.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.reference import ReferenceModel, docking_config  # noqa: E402

from simulation.core.randomness import Streams  # noqa: E402
from simulation.sim.model import SharedPlacesModel  # noqa: E402
from simulation.territory import load_territory  # noqa: E402

GOAL = 40.0


def timed(build: object) -> tuple[float, float, int]:
    """Build a model (``build()``), then run its days; returns (build seconds, loop seconds, adults)."""
    t0 = time.perf_counter()
    model = build()  # type: ignore[operator]
    t1 = time.perf_counter()
    for _ in range(model.total_days):
        model.step()
    t2 = time.perf_counter()
    adults = len(model.people) if isinstance(model, ReferenceModel) else model.world.pop.n_residents
    return t1 - t0, t2 - t1, adults


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--adults", type=int, default=80_000, help="adults of the synthetic territory")
    parser.add_argument("--weeks", type=int, default=8, help="counted weeks")
    parser.add_argument("--warmup-weeks", type=int, default=1, help="warm-up weeks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the main model (the best is kept)")
    parser.add_argument("--shuffle", action="store_true", help="the reference activates agents by shuffle_do")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench_reference.csv")
    args = parser.parse_args()

    cfg = docking_config(
        **{
            "territory": {"kind": "synthetic", "synthetic": {"adults": args.adults}},
            "weeks": args.weeks,
            "warmup_weeks": args.warmup_weeks,
            "seed": args.seed,
        }
    )
    territory = load_territory(
        cfg.territory, [p.id for p in cfg.providers], Streams(cfg.seed).generator("territory")
    )
    days = 7 * (args.weeks + args.warmup_weeks)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"territory: synthetic, {args.adults:,} adults, {len(territory.places)} places; {days} days, seed {args.seed}"
    )

    main_runs = [timed(lambda: SharedPlacesModel(cfg, territory)) for _ in range(args.repeat)]
    best = min(main_runs, key=lambda r: r[1])
    ref = timed(lambda: ReferenceModel(cfg, territory, args.shuffle))
    rows = []
    ref_name = "reference_shuffle_do" if args.shuffle else "reference"
    for name, (build_s, loop_s, adults) in (("vectorised", best), (ref_name, ref)):
        rows.append(
            {
                "implementation": name,
                "adults": adults,
                "days": days,
                "build_s": round(build_s, 3),
                "loop_s": round(loop_s, 3),
                "adult_days_per_s": round(adults * days / loop_s),
                "adult_days_per_s_with_build": round(adults * days / (build_s + loop_s)),
            }
        )
    ratio = rows[0]["adult_days_per_s"] / rows[1]["adult_days_per_s"]
    ratio_all = rows[0]["adult_days_per_s_with_build"] / rows[1]["adult_days_per_s_with_build"]
    for row in rows:
        row["speed_ratio"] = round(ratio, 1)
        row["speed_ratio_with_build"] = round(ratio_all, 1)

    head = f"{'implementation':20s} {'adults':>8s} {'days':>5s} {'build s':>8s} {'loop s':>8s} {'adult-days/s':>13s}"
    print(head)
    for r in rows:
        print(
            f"{r['implementation']:20s} {r['adults']:>8,} {r['days']:>5} {r['build_s']:>8.2f} {r['loop_s']:>8.2f} "
            f"{r['adult_days_per_s']:>13,}"
        )
    verdict = "meets" if ratio >= GOAL else "misses"
    print(
        f"ratio (day loop): {ratio:.0f}x; with the build: {ratio_all:.0f}x ({verdict} the goal of {GOAL:.0f}x)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
