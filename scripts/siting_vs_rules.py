"""Optimised against rule-based siting (issue 11): does the optimised static objective survive simulation?

Usage::

    lieux experiment=siting_vs_rules seeds=5
    python scripts/siting_vs_rules.py results/siting_vs_rules/<timestamp>

Reads the results folder of the experiment ``siting_vs_rules``: ``runs.csv`` (the KPIs of every run) and the
``notes.txt`` of each optimised run (its ``site`` line: the static objective of the optimised choice and of the
rule-based twin's choice scored on the same terms). Prints, for each pair (optimised, rule-based twin):

- the static objective: the optimiser's value, the twin's, and the relative difference (what the optimiser
  promises before anybody moves);
- every KPI of the experiment: the rule's mean, the optimised mean, and optimised - rule paired by seed (common
  random numbers) with its 95 % t-interval; ``*`` when the interval excludes 0.

- where a difference comes from: the person-km and days or trips of each kind of travel (office, third place,
  errands, service, workshop: ``TRAVEL_DECOMPOSITION`` of summary.json), and the contacts and users of the places
  grouped as sited by both choices, by the rule only, by the optimiser only, and the other places;

and writes the tables as ``siting_vs_rules.csv`` and ``siting_vs_rules_decomposition.csv`` in the folder
(columns ``pair, kpi, rule_mean, optimised_mean, diff_mean, ci_low, ci_high, n, significant``). Markdown
(``--markdown``) for the README and docs/siting.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simulation.experiments.stats import compare_one, compare_runs
from simulation.observe.metrics import TRAVEL_DECOMPOSITION

PAIRS = (("mediation_hubs_optimised", "mediation_hubs"), ("coworking_network_optimised", "coworking_network"))
SITE_LINE = re.compile(
    r"site: (?P<objective>\w+), (?P<new>\d+) new sites.*?objective (?P<value>[0-9.e+]+) .*?mean (?P<mean>[0-9.]+) min"
    r".*?the rule-based (?P<twin>\w+) on the same terms: objective (?P<twin_value>[0-9.e+]+) \((?P<rel>[+\-0-9.]+)%\), "
    r"mean (?P<twin_mean>[0-9.]+) min"
)


def static_objectives(folder: Path, scenario: str) -> pd.DataFrame:
    """The site line of each run of ``scenario``: objective and mean minutes, optimised and twin, per seed."""
    rows = []
    for notes in sorted((folder / "runs").glob(f"{scenario}_r*/notes.txt")):
        m = SITE_LINE.search(notes.read_text(encoding="utf-8"))
        if m:
            rows.append(
                {
                    "run": notes.parent.name,
                    "new_sites": int(m["new"]),
                    "objective": float(m["value"]),
                    "mean_min": float(m["mean"]),
                    "twin_objective": float(m["twin_value"]),
                    "twin_mean_min": float(m["twin_mean"]),
                    "twin_excess_pct": float(m["rel"]),
                }
            )
    return pd.DataFrame(rows)


def table(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """The paired comparison optimised - rule of every KPI, the static objectives, and the decomposition."""
    runs = pd.read_csv(folder / "runs.csv")
    exp = yaml.safe_load((folder / "experiment.yaml").read_text(encoding="utf-8"))["experiment"]
    kpis = [k for k in exp.get("kpis") or [] if k in runs.columns]
    out, static, parts = [], {}, []
    for opt, rule in PAIRS:
        pair = runs[runs["scenario"].isin([opt, rule])]
        if pair.empty:
            continue
        cmp = compare_runs(pair, rule, kpis, pairing="paired", scenarios=[opt])
        cmp = cmp.rename(columns={"mean": "optimised_mean", "baseline_mean": "rule_mean"})
        cmp.insert(0, "pair", f"{opt} - {rule}")
        out.append(
            cmp[
                [
                    "pair",
                    "kpi",
                    "rule_mean",
                    "optimised_mean",
                    "diff_mean",
                    "ci_low",
                    "ci_high",
                    "n",
                    "significant",
                ]
            ]
        )
        static[opt] = static_objectives(folder, opt)
        if exp.get("baseline") in set(runs["scenario"]):
            parts.append(decomposition(folder, runs, opt, rule, exp["baseline"]))
    both = (pd.concat(out, ignore_index=True) if out else pd.DataFrame()), static
    return both[0], both[1], (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame())


def _run_dirs(folder: Path, runs: pd.DataFrame, scenario: str) -> dict[int, Path]:
    rows = runs[runs["scenario"] == scenario]
    return {int(r.seed): folder / str(r.run_dir) for r in rows.itertuples()}


def _sites(run: Path, base: Path) -> set[str]:
    """The places a run's scenario added (new ids) or converted (a new label) against the baseline of its seed.

    Capacities are not compared: operators and providers change them during a run.
    """
    cols = ["place_id", "label"]
    a = pd.read_csv(run / "places.csv", usecols=cols, dtype=str).fillna({"label": ""})
    b = pd.read_csv(base / "places.csv", usecols=cols, dtype=str).fillna({"label": ""})
    m = a.merge(b, on="place_id", how="left", suffixes=("", "_b"), indicator=True)
    changed = (m["_merge"] == "left_only") | (m["label"] != m["label_b"])
    return set(m.loc[changed, "place_id"])


def decomposition(folder: Path, runs: pd.DataFrame, opt: str, rule: str, baseline: str) -> pd.DataFrame:
    """Optimised - rule, paired by seed: travel by kind, and contacts and users by group of places."""
    o, r, b = (_run_dirs(folder, runs, s) for s in (opt, rule, baseline))
    seeds = sorted(set(o) & set(r) & set(b))
    values: dict[str, dict[str, dict[int, float]]] = {opt: {}, rule: {}}
    for seed in seeds:
        so, sr = _sites(o[seed], b[seed]), _sites(r[seed], b[seed])
        for scen, run in ((opt, o[seed]), (rule, r[seed])):
            summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
            for km, count in TRAVEL_DECOMPOSITION:
                for k in (km, count):
                    values[scen].setdefault(k, {})[seed] = float(summary.get(k, np.nan))
            p = pd.read_csv(
                run / "places.csv", usecols=["place_id", "contacts", "users"], dtype={"place_id": str}
            )
            group = np.select(
                [p["place_id"].isin(so & sr), p["place_id"].isin(sr - so), p["place_id"].isin(so - sr)],
                ["sited by both", "sited by the rule only", "sited by the optimiser only"],
                "other places",
            )
            for col in ("contacts", "users"):
                for g, v in p.groupby(group)[col].sum().items():
                    values[scen].setdefault(f"{col}: {g}", {})[seed] = float(v)
    rows = []
    keys = list(values[opt]) + [k for k in values[rule] if k not in values[opt]]
    for k in keys:
        # a group of places absent from a run (e.g. no site by the rule only) counts 0 there
        x = pd.Series(values[opt].get(k, {}), dtype=float).reindex(seeds).fillna(0.0)
        y = pd.Series(values[rule].get(k, {}), dtype=float).reindex(seeds).fillna(0.0)
        c = compare_one(x, y, "paired")
        rows.append(
            {
                "pair": f"{opt} - {rule}",
                "kpi": k,
                "rule_mean": c["baseline_mean"],
                "optimised_mean": c["mean"],
                **{f: c[f] for f in ("diff_mean", "ci_low", "ci_high", "n", "significant")},
            }
        )
    return pd.DataFrame(rows)


def _num(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    a = abs(x)
    if a >= 1e5:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def render(df: pd.DataFrame, static: dict[str, pd.DataFrame], markdown: bool) -> str:
    """The tables as text (or Markdown)."""
    lines = []
    for pair, rows in df.groupby("pair", sort=False):
        opt = pair.split(" - ")[0]
        s = static.get(opt, pd.DataFrame())
        lines.append(f"### {pair} (n = {int(rows['n'].max())} seeds, paired)\n" if markdown else f"== {pair}")
        if not s.empty:
            r = s.iloc[0]
            lines.append(
                f"Static objective (p-median, before simulation): optimised {r['objective']:.4g}, mean "
                f"{r['mean_min']:.1f} min one-way; the rule-based choice {r['twin_objective']:.4g} "
                f"({r['twin_excess_pct']:+.1f} %), mean {r['twin_mean_min']:.1f} min; "
                f"{int(r['new_sites'])} new sites each."
            )
        lines.append("")
        head = ["KPI", "rule", "optimised", "optimised - rule [95 % CI]"]
        body = [
            [
                f"`{r.kpi}`" if markdown else r.kpi,
                _num(r.rule_mean),
                _num(r.optimised_mean),
                f"{_num(r.diff_mean)} [{_num(r.ci_low)}, {_num(r.ci_high)}]{' *' if r.significant else ''}",
            ]
            for r in rows.itertuples()
        ]
        if markdown:
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|---|---:|---:|---:|")
            lines += ["| " + " | ".join(b) + " |" for b in body]
        else:
            widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
            lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
        lines.append("")
    lines.append("* the 95 % paired interval excludes 0")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="the results folder of lieux experiment=siting_vs_rules")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument(
        "--variant",
        type=Path,
        action="append",
        default=[],
        help="a sweep folder (<job>/summary.json) of an optimised scenario run with other settings, e.g. "
        "lieux -m scenario=mediation_hubs_optimised seed=0,1,2,3,4 scenario.interventions.0.keep_existing=network "
        "output.dir=<folder>: compared with the rule-based twin of the experiment, paired by seed",
    )
    args = ap.parse_args(argv)
    if not (args.folder / "runs.csv").is_file():
        print(
            f"siting_vs_rules.py: error: {args.folder}: no runs.csv (not a finished experiment folder)",
            file=sys.stderr,
        )
        return 2
    df, static, parts = table(args.folder)
    if df.empty:
        print(
            f"siting_vs_rules.py: error: {args.folder}: no optimised scenario next to its twin",
            file=sys.stderr,
        )
        return 2
    df.to_csv(args.folder / "siting_vs_rules.csv", index=False)
    print(render(df, static, args.markdown))
    if not parts.empty:
        parts.to_csv(args.folder / "siting_vs_rules_decomposition.csv", index=False)
        print(
            "\nWhere the differences come from (person-km and days or trips by kind of travel; contacts and users"
        )
        print("of the places by who sited them):\n")
        print(render(parts, {}, args.markdown))
    for folder in args.variant:
        v = variant(args.folder, folder)
        print(f"\nVariant {folder} against the rule-based twin:\n")
        print(render(v, {}, args.markdown))
    return 0


def variant(experiment: Path, folder: Path) -> pd.DataFrame:
    """A sweep of an optimised scenario (other settings) against the experiment's rule-based twin, by seed."""
    runs = pd.read_csv(experiment / "runs.csv")
    exp = yaml.safe_load((experiment / "experiment.yaml").read_text(encoding="utf-8"))["experiment"]
    summaries = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(folder.glob("*/summary.json"))]
    if not summaries:
        raise SystemExit(f"siting_vs_rules.py: error: {folder}: no <job>/summary.json")
    scenario = summaries[0]["scenario"]
    rule = dict(PAIRS).get(scenario)
    if rule is None:
        raise SystemExit(
            f"siting_vs_rules.py: error: {folder}: scenario {scenario!r} is not an optimised twin"
        )
    v = pd.DataFrame(summaries).assign(scenario=f"{scenario} ({folder.name})")
    both = pd.concat([runs[runs["scenario"] == rule], v], ignore_index=True)
    kpis = [k for k in exp.get("kpis") or [] if k in v.columns]
    cmp = compare_runs(both, rule, kpis, pairing="paired")
    cmp = cmp.rename(columns={"mean": "optimised_mean", "baseline_mean": "rule_mean"})
    cmp.insert(0, "pair", f"{scenario} ({folder.name}) - {rule}")
    return cmp[
        ["pair", "kpi", "rule_mean", "optimised_mean", "diff_mean", "ci_low", "ci_high", "n", "significant"]
    ]


if __name__ == "__main__":
    sys.exit(main())
