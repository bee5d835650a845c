"""Calibration of the size guard: the estimated memory of a run (simulation.sim.sizing) against its peak RSS.

Each case runs in a child process (the model only, no output written) that prints the territory's sizes, the
estimate and its own peak resident memory (``ru_maxrss``). Usage:

    .venv/bin/python benchmarks/bench_memory.py [--quick]

``--quick`` skips the cases above 2 GB. The table is the one quoted in simulation/sim/sizing.py's docstring.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys
import yaml
from simulation.core.config import to_config
from simulation.sim import model, sizing
from simulation.territory import load_territory
from simulation.core.randomness import Streams

over = {k: yaml.safe_load(v) for k, v in (a.split("=", 1) for a in sys.argv[1:])}
cfg = to_config(**over)
terr = load_territory(cfg.territory, [p.id for p in cfg.providers], Streams(cfg.seed).generator("territory"))
est = sizing.estimate(cfg, sizing.Sizes.of(terr.zones, terr.places))
res = model.run(cfg, progress=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"zones": len(terr.zones), "places": len(terr.places), "agents": res.summary["n_residents"],
                  "estimate_gb": est.total / 1e9, "peak_gb": peak / 1e9, "largest": est.largest()}))
"""

SHORT = ["weeks=2", "warmup_weeks=0", "output.progress=false"]
CASES: list[tuple[str, list[str], bool]] = [
    ("synthetic, cell 4 km", ["territory.kind=synthetic", *SHORT], False),
    ("synthetic, cell 2 km", ["territory.kind=synthetic", "territory.synthetic.cell_km=2", *SHORT], False),
    ("synthetic, cell 1 km", ["territory.kind=synthetic", "territory.synthetic.cell_km=1", *SHORT], False),
    (
        "synthetic, cell 0.8 km",
        ["territory.kind=synthetic", "territory.synthetic.cell_km=0.8", *SHORT],
        False,
    ),
    ("synthetic, cell 0.5 km", ["territory.kind=synthetic", "territory.synthetic.cell_km=0.5", *SHORT], True),
    ("Nièvre, 52 weeks", ["weeks=52", "warmup_weeks=4", "output.progress=false"], False),
    ("Nièvre, 10 % of the adults", ["population.sample_rate=0.1", *SHORT], False),
    ("Rhône (69)", ["territory.kind=france", "territory.departements=[69]", *SHORT], True),
    (
        "synthetic, 2 million adults",
        ["territory.kind=synthetic", "territory.synthetic.adults=2000000", *SHORT],
        True,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the cases above 2 GB")
    args = parser.parse_args()
    print(
        f"{'case':32} {'zones':>7} {'places':>7} {'adults':>9} {'estimate GB':>12} {'peak GB':>8} {'ratio':>6}"
    )
    for name, overrides, large in CASES:
        if large and args.quick:
            continue
        proc = subprocess.run([sys.executable, "-c", CHILD, *overrides], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name:32} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{name:32} {r['zones']:>7,} {r['places']:>7,} {r['agents']:>9,} {r['estimate_gb']:>12.2f} "
            f"{r['peak_gb']:>8.2f} {r['estimate_gb'] / r['peak_gb']:>6.2f}"
        )


if __name__ == "__main__":
    main()
