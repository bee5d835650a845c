"""France in one command (issue 9): the national table and map of ``experiment=france_by_departement``.

Usage::

    lieux experiment=france_by_departement hydra/launcher=joblib_local
    python scripts/france_national.py results/france_by_departement/<timestamp> [--kpi access_share_20min]

Reads the results folder of an experiment whose grid sweeps ``territory.departements`` (one departement or group
per grid point) and compares a scenario with a baseline paired by seed:

- ``comparison.csv`` (written by the experiment's aggregation): per departement and KPI, the baseline's mean and
  the paired difference with its 95 % t-interval;
- ``runs.csv``: every run's KPIs, from which the national total is taken seed by seed. The departements are run
  with the same seeds, so for seed r the national difference is the sum over departements of (scenario -
  baseline) at seed r; its interval is Student's over the seeds (the departements' runs are independent, their
  noise adds). Counts (contacts, person-km, hours) add up; the shares of needs (``access_share_20min``,
  ``unmet_need_rate``) are weighted by each run's ``needs_human``; the other KPIs (occupancies) have no national
  total here (their denominators, the places' capacities, are not in runs.csv).

Writes in the folder ``national.csv`` (one row per departement and KPI, then the rows of departement ``France``)
with the France Services sites of 2020 and 2024 in each departement (from the committed extract, ``data/france``),
and ``figures/national_<kpi>.png``: every commune of metropolitan France as a point at its position, coloured by
its departement's paired difference in ``--kpi`` (the extract has positions, not boundaries: no choropleth).
``--markdown`` prints the national rows as a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments.stats import compare_one
from simulation.territory.sources.france import DATA_DIR, read_extract

KEY = "territory.departements"  # the swept key; runs.csv and comparison.csv name a column after it
ADDITIVE = (
    "contacts",
    "person_km_total",
    "person_km_service",
    "person_km_work",
    "travel_hours_total",
    "co2_t",
)
SHARES_OF_NEEDS = ("access_share_20min", "unmet_need_rate")  # weighted by needs_human
COLUMNS = [
    "departement",
    "sites_baseline",
    "sites_scenario",
    "kpi",
    "baseline_mean",
    "mean",
    "diff_mean",
    "ci_low",
    "ci_high",
    "n",
    "significant",
]


def _code(value: object) -> str:
    """A departement code as the extract writes it ("58", "2A", "971"; runs.csv may have read 1 for "01")."""
    text = str(value).strip()
    return "+".join(p.zfill(2) if p.isdigit() else p.upper() for p in text.split("+"))


def _year(scenario: str) -> int | None:
    digits = "".join(c for c in scenario if c.isdigit())[-4:]
    return int(digits) if len(digits) == 4 else None


def sites_by_departement(fs: pd.DataFrame, year: int | None) -> pd.Series:
    """France Services sites of ``year`` per departement (the first digits of each site's commune)."""
    if year is None:
        return pd.Series(dtype=float)
    sites = fs[fs["year"] == year]
    com = sites["insee_com"].astype(str)
    dep = np.where(com.str.startswith("97"), com.str[:3], com.str[:2])
    return pd.Series(dep).value_counts()


def departement_rows(comparison: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The comparison's rows of ``scenario``, one per departement and KPI, with ``departement`` as a code."""
    rows = comparison[comparison["scenario"] == scenario].copy()
    rows["departement"] = rows[KEY].map(_code)
    return rows.drop(columns=[KEY])


def national_rows(runs: pd.DataFrame, baseline: str, scenario: str, kpis: list[str]) -> pd.DataFrame:
    """The national total of each KPI, per arm and seed, then scenario - baseline paired by seed.

    Args:
        runs: runs.csv: ``scenario``, ``seed``, the grid column, the KPIs and ``needs_human``.
        baseline: the baseline scenario.
        scenario: the scenario compared with it.
        kpis: the KPIs (those neither additive nor shares of needs get no row).

    Returns:
        Rows of :data:`COLUMNS` (without the sites) for departement ``France``.
    """
    points = runs[KEY].nunique()
    rows = []
    for kpi in kpis:
        if kpi not in runs.columns or (kpi not in ADDITIVE and kpi not in SHARES_OF_NEEDS):
            continue
        per_arm = {}
        for arm in (baseline, scenario):
            part = runs[runs["scenario"] == arm]
            # a seed counts only when every departement has its run (a partial sum is not France)
            complete = part.groupby("seed")[KEY].nunique() == points
            part = part[part["seed"].isin(complete[complete].index)]
            if kpi in ADDITIVE:
                per_arm[arm] = part.groupby("seed")[kpi].sum()
            else:
                weighted = (part[kpi] * part["needs_human"]).groupby(part["seed"]).sum()
                per_arm[arm] = weighted / part.groupby("seed")["needs_human"].sum()
        row = compare_one(per_arm[scenario], per_arm[baseline], "paired")
        rows.append({"departement": "France", "kpi": kpi, **row})
    return pd.DataFrame(rows)


def national_table(folder: Path, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """``national.csv`` of a results folder (module docstring)."""
    comparison = pd.read_csv(folder / "comparison.csv", dtype={KEY: str})
    runs = pd.read_csv(folder / "runs.csv", dtype={KEY: str})
    experiment = _experiment(folder)
    baseline = str(experiment.get("baseline"))
    scenarios = [s for s in experiment.get("scenarios", []) if s != baseline]
    if len(scenarios) != 1 or KEY not in comparison.columns:
        raise SystemExit(f"{folder}: expected one scenario against the baseline, swept over {KEY}")
    scenario = scenarios[0]
    kpis = list(dict.fromkeys(comparison["kpi"]))
    deps = departement_rows(comparison, scenario)
    nat = national_rows(runs, baseline, scenario, kpis)
    fs = read_extract(str(data_dir))["france_services"]
    base_sites, scen_sites = (sites_by_departement(fs, _year(s)) for s in (baseline, scenario))

    def sites(codes: str, table: pd.Series) -> float:
        return float(sum(table.get(c, 0) for c in codes.split("+"))) if len(table) else np.nan

    deps["sites_baseline"] = [sites(c, base_sites) for c in deps["departement"]]
    deps["sites_scenario"] = [sites(c, scen_sites) for c in deps["departement"]]
    all_codes = "+".join(deps["departement"].unique())
    nat["sites_baseline"] = sites(all_codes, base_sites)
    nat["sites_scenario"] = sites(all_codes, scen_sites)
    table = pd.concat([deps, nat], ignore_index=True)
    return table[COLUMNS]


def _experiment(folder: Path) -> dict:
    import yaml

    data = yaml.safe_load((folder / "experiment.yaml").read_text(encoding="utf-8")) or {}
    return data.get("experiment", data)


def national_map(table: pd.DataFrame, kpi: str, path: Path, data_dir: Path = DATA_DIR) -> Path:
    """Every commune of metropolitan France at its position, coloured by its departement's difference in ``kpi``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    communes = read_extract(str(data_dir))["communes"]
    rows = table[(table["kpi"] == kpi) & (table["departement"] != "France")]
    change = {}
    for code, diff in zip(rows["departement"], rows["diff_mean"], strict=True):
        for c in code.split("+"):  # a group of departements: each of its communes takes the group's change
            change[c] = diff
    c = communes[
        ~communes["insee_dep"].str.startswith("97")
    ].copy()  # metropolitan France (the overseas: table)
    c["change"] = c["insee_dep"].map(change)
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    missing = c["change"].isna()
    ax.scatter(c.loc[missing, "lon"], c.loc[missing, "lat"], s=0.3, color="0.85", linewidths=0)
    shown = c[~missing]
    if not shown.empty:
        lo, hi = float(shown["change"].min()), float(shown["change"].max())
        bound = max(abs(lo), abs(hi)) or 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
        points = ax.scatter(
            shown["lon"], shown["lat"], c=shown["change"], s=1.5, cmap="RdBu_r", norm=norm, linewidths=0
        )
        fig.colorbar(points, ax=ax, shrink=0.7, label=f"{kpi}: scenario - baseline (paired mean)")
    ax.set_aspect(1 / np.cos(np.radians(46.5)))  # equirectangular at France's mean latitude
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{kpi}: change by departement ({len(rows)} departements or groups; grey: not run)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def markdown(table: pd.DataFrame) -> str:
    """The national rows as a Markdown table."""
    nat = table[table["departement"] == "France"]
    lines = ["| KPI | baseline | scenario - baseline [95 % CI] |", "|---|---:|---:|"]
    for r in nat.itertuples():
        ci = f"[{r.ci_low:+,.4g}, {r.ci_high:+,.4g}]" if np.isfinite(r.ci_low) else "(one seed: no interval)"
        lines.append(f"| `{r.kpi}` | {r.baseline_mean:,.4g} | {r.diff_mean:+,.4g} {ci} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="the results folder of experiment=france_by_departement")
    ap.add_argument("--kpi", action="append", help="KPI of a map (repeatable; default access_share_20min)")
    ap.add_argument("--markdown", action="store_true", help="print the national rows as Markdown")
    args = ap.parse_args(argv)
    if not (args.folder / "comparison.csv").is_file():
        print(f"france_national: error: no comparison.csv in {args.folder}", file=sys.stderr)
        return 2
    table = national_table(args.folder)
    table.to_csv(args.folder / "national.csv", index=False)
    print(f"wrote {args.folder / 'national.csv'}")
    for kpi in args.kpi or ["access_share_20min"]:
        print(f"wrote {national_map(table, kpi, args.folder / 'figures' / f'national_{kpi}.png')}")
    if args.markdown:
        print(markdown(table))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(table[table["departement"] == "France"].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
