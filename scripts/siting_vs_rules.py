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

and writes the table as ``siting_vs_rules.csv`` in the folder (columns ``pair, kpi, rule_mean, optimised_mean,
diff_mean, ci_low, ci_high, n, significant``). Markdown (``--markdown``) for the README and docs/siting.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

from simulation.experiments.stats import compare_runs

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


def table(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The paired comparison optimised - rule of every KPI, and the static objectives, per pair."""
    runs = pd.read_csv(folder / "runs.csv")
    exp = yaml.safe_load((folder / "experiment.yaml").read_text(encoding="utf-8"))["experiment"]
    kpis = [k for k in exp.get("kpis") or [] if k in runs.columns]
    out, static = [], {}
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
    return (pd.concat(out, ignore_index=True) if out else pd.DataFrame()), static


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
        lines.append(f"### {pair} (n = {int(rows['n'].max())} seeds, paired)" if markdown else f"== {pair}")
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
    args = ap.parse_args(argv)
    if not (args.folder / "runs.csv").is_file():
        print(
            f"siting_vs_rules.py: error: {args.folder}: no runs.csv (not a finished experiment folder)",
            file=sys.stderr,
        )
        return 2
    df, static = table(args.folder)
    if df.empty:
        print(
            f"siting_vs_rules.py: error: {args.folder}: no optimised scenario next to its twin",
            file=sys.stderr,
        )
        return 2
    df.to_csv(args.folder / "siting_vs_rules.csv", index=False)
    print(render(df, static, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
