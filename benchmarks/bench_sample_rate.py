"""The main KPIs against ``population.sample_rate`` (issue 9; README, "Results that do not depend on the sample rate").

Runs the default configuration (the Nièvre baseline, a year) at each rate and seed, one run at a time, and prints
one JSON line per run, then the mean and standard deviation between seeds per rate::

    python benchmarks/bench_sample_rate.py --rates 1,0.5,0.25,0.1,0.05 --seeds 0,1,2
    python benchmarks/bench_sample_rate.py --rates 1,0.1 --seeds 0 weeks=13     # any key=value of the model
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np
import yaml

from simulation.core.config import to_config
from simulation.sim.model import run

KPIS = (
    "occupancy_rate_work",
    "occupancy_rate_mediation",
    "unmet_need_rate",
    "contacts",
    "network_cost_eur",
    "provider_cost_eur",
    "public_cost_eur",
    "places_closed",
    "person_km_total",
    "access_share_20min",
)


def main() -> None:
    """Parse the arguments, run, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="1,0.5,0.25,0.1,0.05")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("overrides", nargs="*", help="key=value (YAML values) for every run")
    args = ap.parse_args()
    over = {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in args.overrides)}
    by_rate: dict[float, list[dict[str, float]]] = defaultdict(list)
    for rate in (float(r) for r in args.rates.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            cfg = to_config({"seed": seed, "population": {"sample_rate": rate}}, **over)
            t0 = time.perf_counter()
            summary = run(cfg, progress=False).summary
            row = {"rate": rate, "seed": seed, "seconds": round(time.perf_counter() - t0, 1)}
            row |= {k: summary[k] for k in KPIS}
            by_rate[rate].append(row)
            print(json.dumps(row), flush=True)
    for rate, rows in by_rate.items():
        cells = []
        for k in KPIS:
            v = np.array([r[k] for r in rows], float)
            sd = v.std(ddof=1) if v.size > 1 else float("nan")
            cells.append(f"{k} {v.mean():.4g} +- {sd:.2g}")
        print(f"rate {rate:g} ({len(rows)} seeds): " + "; ".join(cells))


if __name__ == "__main__":
    main()
