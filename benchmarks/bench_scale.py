"""Scale benchmark (issue 9): wall time and peak memory against the number of adults, one process per territory.

Each territory runs as its own ``lieux`` process (a full year by default: 4 warm-up + 52 weeks, the baseline,
seed 0), so its peak resident memory is its own (``os.wait4`` returns the child's resource usage, not the
maximum over every child so far). Writes ``results/bench_scale/scale.csv`` (territory, adults, zones, places,
sample rate, wall seconds, the model's own ``runtime_s``, peak RSS in GB, the machine's 1-minute load average
when the run started: on a shared machine other processes slow it) and ``scale.png`` (adults against
seconds and against GB). Usage:

    .venv/bin/python benchmarks/bench_scale.py                         # the Nièvre and the Rhône (with Lyon)
    .venv/bin/python benchmarks/bench_scale.py --large                 # and Île-de-France (8 departements)
    .venv/bin/python benchmarks/bench_scale.py --only rhone weeks=4    # one territory, extra lieux keys

Extra ``key=value`` arguments go to every ``lieux`` command (e.g. ``population.sample_rate=0.25``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TERRITORIES = {  # name: the lieux keys selecting it
    "nievre": ["territory=france", "territory.departements=[58]"],
    "rhone": ["territory=france", "territory.departements=[69]"],
}
LARGE = {"ile_de_france": ["territory=france", "territory.departements=[75,77,78,91,92,93,94,95]"]}


def run_one(name: str, keys: list[str], extra: list[str]) -> dict[str, object]:
    """One territory in its own ``lieux`` process: wall time, the model's runtime and the child's peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "simulation.cli", f"output.dir={out}", *keys, *extra]
        load = os.getloadavg()[0]  # the machine's load when it starts: a shared machine slows the run
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        # communicate() reaped the child: its own peak is in RUSAGE_CHILDREN only as a maximum over children,
        # so each territory is measured in a fresh interpreter (see main)
        if proc.returncode != 0:
            sys.exit(f"lieux failed on {name} ({proc.returncode}):\n{stderr[-3000:]}")
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        zones = len(pd.read_csv(out / "zones.csv")) if (out / "zones.csv").is_file() else None
    return {
        "territory": name,
        "adults": int(summary["n_residents"]),
        "zones": zones,
        "places": summary.get("n_places"),
        "sample_rate": summary.get("sample_rate"),
        "weeks": int(summary["weeks"]) + int(summary.get("warmup_weeks", 0)),
        "wall_s": round(wall, 1),
        "model_runtime_s": round(float(summary["runtime_s"]), 1),
        "load_1min": round(load, 1),
    }


def measure(name: str, keys: list[str], extra: list[str]) -> dict[str, object]:
    """:func:`run_one` in a fresh Python process, whose ``RUSAGE_CHILDREN`` peak is this territory's alone."""
    code = (
        "import json, resource, sys; sys.path.insert(0, sys.argv[1]); import bench_scale as b; "
        "row = b.run_one(sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])); "
        "row['peak_rss_gb'] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2); "
        "print(json.dumps(row))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), name, json.dumps(keys), json.dumps(extra)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:] or proc.stdout[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plot(table: pd.DataFrame, path: Path) -> None:
    """Adults against wall seconds and against peak GB, one point per territory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, col, label in ((axes[0], "wall_s", "wall time (s)"), (axes[1], "peak_rss_gb", "peak RSS (GB)")):
        ax.plot(table["adults"] / 1e6, table[col], "o-")
        for r in table.itertuples():
            ax.annotate(str(r.territory), (r.adults / 1e6, getattr(r, col)), fontsize=8)
        ax.set_xlabel("adults (millions)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
    fig.suptitle("lieux, one process per territory, baseline, seed 0")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--large", action="store_true", help="add Île-de-France (≈9.7 M adults, minutes, ~10+ GB)"
    )
    ap.add_argument("--only", nargs="*", help="territories to run (names of TERRITORIES or LARGE)")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench_scale")
    args, extra = ap.parse_known_args()
    chosen = {**TERRITORIES, **(LARGE if args.large else {})}
    if args.only:
        everything = {**TERRITORIES, **LARGE}
        unknown = [n for n in args.only if n not in everything]
        if unknown:
            sys.exit(f"bench_scale: error: unknown territories {unknown}, expected among {list(everything)}")
        chosen = {n: everything[n] for n in args.only}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    for name, keys in chosen.items():
        row = measure(name, keys, extra)
        print(
            f"{name}: {row['adults']:,} adults, {row['zones']} zones, {row['places']} places, "
            f"{row['weeks']} weeks: wall {row['wall_s']} s (model {row['model_runtime_s']} s), "
            f"peak RSS {row['peak_rss_gb']} GB",
            flush=True,
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "scale.csv"
    if path.exists():  # the territories measured now replace their rows; the others' rows are kept
        old = pd.read_csv(path)
        kept = old[~old["territory"].isin(table["territory"])]
        table = pd.concat([kept, table], ignore_index=True).sort_values("adults", ignore_index=True)
    table.to_csv(path, index=False)
    plot(table, args.out / "scale.png")
    print(f"wrote {args.out / 'scale.csv'} and {args.out / 'scale.png'}")
    print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
