"""Benchmark of the exact p-median solver on Beasley's 40 OR-Library instances (pmed1-pmed40).

Solves each instance with :func:`simulation.siting.p_median` (every vertex is a demand point of weight 1 and a
candidate; costs are shortest-path distances, duplicate edges resolved by the last-listed rule), compares the
objective with the published optimum, and writes one CSV row per instance. Usage:

    .venv/bin/python benchmarks/bench_siting.py [--instances pmed1,pmed36] [--time-limit 300]
        [--out results/benchmarks/siting.csv] [--spopt]

Columns: ``instance, n, p, objective, published_optimum, gap, proven_optimal, matches_published, seconds``
(solve time, s, without reading the file and the shortest paths, which are ``read_s``), then the
formulation's size and the solver's counters (``lp_rounds``, ``cuts``, ``cut_nonzeros``, ``fixed_closed``,
``mip_rounds``). ``--spopt`` also solves each instance with PySAL spopt's ``PMedian`` (if it is installed:
``pip install -e '.[spopt]'``), adding ``spopt_objective`` and ``spopt_s``. Prints a Markdown table and the
total time; exits with status 1 if an instance misses its published optimum.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from simulation.siting import p_median
from simulation.siting.orlib import instance_path, read_pmed, read_pmed_optima

ALL = [f"pmed{k}" for k in range(1, 41)]
COLUMNS = [
    "instance",
    "n",
    "p",
    "objective",
    "published_optimum",
    "gap",
    "proven_optimal",
    "matches_published",
    "seconds",
    "read_s",
    "edges_listed",
    "edges_kept",
    "lp_rounds",
    "lp_bound",
    "cuts",
    "cut_nonzeros",
    "fixed_closed",
    "mip_rounds",
    "status",
]


def _spopt(cost: np.ndarray, p: int, time_limit: float) -> tuple[float, float]:
    """PySAL spopt's PMedian on the same matrix (its default formulation, HiGHS through PuLP)."""
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit))
    return float(model.problem.objective.value()), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", default=",".join(ALL), help="comma-separated names (default: all 40)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="per instance, seconds (default 300)")
    parser.add_argument("--out", default="results/benchmarks/siting.csv", help="CSV file to write")
    parser.add_argument(
        "--data-dir", default=None, help="folder of the pmed files (default: data/orlib-pmed)"
    )
    parser.add_argument("--spopt", action="store_true", help="also solve with spopt's PMedian, if installed")
    args = parser.parse_args(argv)

    names = [s.strip() for s in args.instances.split(",") if s.strip()]
    optima = read_pmed_optima(None if args.data_dir is None else Path(args.data_dir) / "pmedopt.txt")
    if args.spopt:
        try:
            import spopt  # noqa: F401
        except ImportError:
            print("spopt is not installed (pip install -e '.[spopt]'); running without it", file=sys.stderr)
            args.spopt = False
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    t_all = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        inst = read_pmed(instance_path(name, args.data_dir))
        read_s = time.perf_counter() - t0
        res = p_median(inst.cost, np.ones(inst.n), inst.p, time_limit_s=args.time_limit)
        published = optima.get(name, float("nan"))
        st = res.stats
        row = {
            "instance": name,
            "n": inst.n,
            "p": inst.p,
            "objective": res.objective,
            "published_optimum": published,
            "gap": res.gap,
            "proven_optimal": res.optimal,
            "matches_published": bool(abs(res.objective - published) < 1e-6),
            "seconds": round(res.seconds, 3),
            "read_s": round(read_s, 3),
            "edges_listed": inst.n_edges_listed,
            "edges_kept": len(inst.edges),
            "lp_rounds": st.get("lp_rounds", 0),
            "lp_bound": st.get("lp_bound", float("nan")),
            "cuts": st.get("cuts", 0),
            "cut_nonzeros": st.get("cut_nonzeros", 0),
            "fixed_closed": st.get("fixed_closed", 0),
            "mip_rounds": st.get("mip_rounds", 0),
            "status": res.status,
        }
        if args.spopt:
            row["spopt_objective"], row["spopt_s"] = _spopt(inst.cost, inst.p, args.time_limit)
        rows.append(row)
        print(
            f"{name}: n={inst.n} p={inst.p} objective={res.objective:g} published={published:g} "
            f"gap={res.gap:.2%} optimal={res.optimal} {res.seconds:.1f} s",
            flush=True,
        )
    total = time.perf_counter() - t_all

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = COLUMNS + (["spopt_objective", "spopt_s"] if args.spopt else [])
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    head = "| instance | n | p | objective | published | gap | proven optimal | seconds |"
    rule = "|---|---:|---:|---:|---:|---:|---|---:|"
    if args.spopt:
        head += " spopt objective | spopt s |"
        rule += "---:|---:|"
    print()
    print(head)
    print(rule)
    for r in rows:
        line = (
            f"| {r['instance']} | {r['n']} | {r['p']} | {r['objective']:g} | {r['published_optimum']:g} | "
            f"{r['gap']:.2%} | {'yes' if r['proven_optimal'] else 'no'} | {r['seconds']:.1f} |"
        )
        if args.spopt:
            line += f" {r['spopt_objective']:g} | {r['spopt_s']:.1f} |"
        print(line)
    solve_total = sum(r["seconds"] for r in rows)
    proven = sum(r["proven_optimal"] for r in rows)
    matched = sum(r["matches_published"] for r in rows)
    print()
    print(
        f"{len(rows)} instances: {proven} proven optimal, {matched} equal to the published optimum; "
        f"solve time {solve_total:.1f} s, total with reading {total:.1f} s; written to {out}"
    )
    return 0 if matched == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
