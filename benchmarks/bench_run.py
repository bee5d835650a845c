"""Benchmark of the default run: the whole Nièvre population, 4 warm-up + 52 weeks, through the `lieux` command.

Measures the wall time of the command (Hydra start-up, territory, simulation, writing outputs), the model's own
``runtime_s`` from summary.json, and the peak resident memory of the child process. Usage:

    .venv/bin/python benchmarks/bench_run.py [--repeat N] [key=value ...]

Extra ``key=value`` arguments are passed to ``lieux`` (e.g. ``scenario=mediation_hubs``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(overrides: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "simulation.cli", f"output.dir={out}", *overrides]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"lieux failed ({proc.returncode}):\n{proc.stderr}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        summary = json.loads((out / "summary.json").read_text())
        return {
            "wall_s": wall,
            "model_runtime_s": summary["runtime_s"],
            "peak_rss_mb": max(peak_kb, before) / 1024.0,
            "n_residents": summary["n_residents"],
            "n_workers": summary["n_workers"],
            "n_places": summary.get("n_places", float("nan")),
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="number of runs (the best and the mean are shown)"
    )
    args, overrides = parser.parse_known_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: lieux {' '.join(overrides) or '(defaults: territory=nievre scenario=baseline seed=0)'}")
    results = [run_once(overrides) for _ in range(args.repeat)]
    for i, r in enumerate(results):
        print(
            f"run {i + 1}: wall {r['wall_s']:.1f} s, model {r['model_runtime_s']:.1f} s, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['n_residents']:,} residents, {r['n_workers']:,} workers, "
            f"{r['n_places']} places"
        )
    walls = [r["wall_s"] for r in results]
    print(
        f"wall time: best {min(walls):.1f} s, mean {sum(walls) / len(walls):.1f} s over {len(walls)} run(s)"
    )


if __name__ == "__main__":
    main()
