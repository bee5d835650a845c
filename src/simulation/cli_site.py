"""``lieux-site``: where an exact location model would open places, printed and mapped, without simulating.

Usage::

    lieux-site scenario=mediation_hubs_optimised                 # the first ``op: site`` of a scenario (Nièvre)
    lieux-site scenario=coworking_network_optimised territory=synthetic
    lieux-site --objective p_median --p 5 --weights contact_needs --keep-existing mediation \\
        --candidates '{origin: [post_office, town_hall], one_per_zone: true, prefer: [post_office]}'
    lieux-site --objective lscp --radius 20                      # fewest zone centres within 20 min of all adults
    lieux-site --objective mclp --p 3 --radius 15 --weights unmet_needs --weights-from results/runs/<run>/zones.csv

The overrides are those of ``lieux`` (Hydra composes configs/ with them: ``territory=synthetic``,
``population.digital_autonomy=0.7``...). Without ``--objective`` the question is the scenario's first ``site``
operation: the interventions before it are applied, then it is solved (its follow-up is not applied). With
``--objective`` the question is the options' (``--candidates`` a selector in YAML as in ``op: site``, default
``{zone_centres: true}``: every zone centre), asked after all the scenario's interventions (default: the
baseline). The keys mean what they mean in ``op: site`` (:mod:`simulation.scenarios.ops.site`).

Prints the open sites (name, commune, new or existing, demand served, zones served, demand-weighted mean and
maximum one-way minutes) and the objective with its bound and gap; when the scenario's ``p`` is
``{same_as: <twin>}``, also the rule-based twin's choice scored on the same objective. Writes ``sites.csv``,
``zones.csv`` (each zone's site and minutes) and ``sites.png`` (the map, :mod:`simulation.viz.site_map`) in
``--out`` (default ``results/siting/<territory>_<objective>_<time>/``). Bad input: one line on stderr, exit
status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.core.config import ACTIVITIES, SimConfig
from simulation.core.errors import ConfigError, UserError
from simulation.core.randomness import Streams
from simulation.scenarios import initial_state, parse_interventions
from simulation.scenarios.ops.site import (
    OBJECTIVES,
    WEIGHTS,
    Site,
    SiteSolution,
    SiteSpec,
    existing_sites,
    solve_site,
    twin_score,
)
from simulation.sim.travel import travel_matrices
from simulation.territory import load_territory

PROG = "lieux-site"
EXIT_USAGE = 2
OPTS = "options"  # the key prefix of the options' errors, rewritten as --option
OPTION_OF = {
    "objective": "--objective",
    "p": "--p",
    "radius_minutes": "--radius",
    "candidates": "--candidates",
    "weights": "--weights",
    "weights_from": "--weights-from",
}


@dataclass(frozen=True)
class Twin:
    """The rule-based twin's choice (``p: {same_as: name}``).

    Attributes:
        name: the twin scenario.
        zone_ids: the zones of the places it converts or adds.
        line: its score on the optimiser's objective, in words.
    """

    name: str
    zone_ids: tuple[str, ...]
    line: str


def parser() -> argparse.ArgumentParser:
    """The command-line options (module docstring)."""
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    ap.add_argument("--objective", help="one of " + ", ".join(OBJECTIVES) + " (default: the scenario's site)")
    ap.add_argument("--p", help="new sites to open (p_median, mclp)")
    ap.add_argument("--radius", help="coverage radius, one-way minutes (mclp, lscp)")
    ap.add_argument(
        "--candidates", help="a selector in YAML, e.g. '{origin: [post_office]}' (default: zone centres)"
    )
    ap.add_argument("--weights", help="one of " + ", ".join(WEIGHTS) + " (default adults)")
    ap.add_argument("--weights-from", help="a baseline run's zones.csv to read the weights from")
    ap.add_argument(
        "--keep-existing", help="keep the places running this activity open: " + ", ".join(ACTIVITIES)
    )
    ap.add_argument(
        "--out", type=Path, help="output folder (default results/siting/<territory>_<objective>_<time>)"
    )
    ap.add_argument(
        "--no-files", action="store_true", help="print only: write neither the tables nor the map"
    )
    ap.add_argument(
        "overrides", nargs="*", help="key=value overrides, as for lieux (territory=synthetic ...)"
    )
    return ap


def compose(overrides: list[str]) -> SimConfig:
    """The validated configuration of ``lieux <overrides>`` (Hydra's composition of configs/, as the CLI).

    Raises:
        UserError: an override Hydra or the schema rejects, with the message ``lieux`` prints for it.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from simulation import cli
    from simulation.core.config import to_config

    bad = [
        o for o in overrides if o.split("=", 1)[0].lstrip("+~") in ("experiment", "seeds", "resume", "hydra")
    ]
    if bad:
        raise UserError(f"{bad[0]!r}: lieux-site solves one territory, it runs no experiment")
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(cli.CONFIG_DIR)):
            composed = hydra_compose(config_name="config", overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise UserError(cli.hydra_error_message(exc)) from None
    return to_config(cli._plain(composed))


def _options_entry(args: argparse.Namespace) -> dict[str, Any]:
    """The options as an ``op: site`` entry (values read as YAML, as Hydra reads overrides)."""
    entry: dict[str, Any] = {"objective": args.objective}
    for name, value in (("p", args.p), ("radius_minutes", args.radius), ("weights", args.weights)):
        if value is not None:
            entry[name] = yaml.safe_load(value) if value.strip() else value
    if args.weights_from is not None:
        entry["weights_from"] = args.weights_from
    text = args.candidates if args.candidates is not None else "{zone_centres: true}"
    try:
        entry["candidates"] = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(
            f"--candidates: cannot read {text!r} as YAML ({first}); expected e.g. '{{origin: [post_office]}}'"
        ) from None
    return entry


def _option_error(exc: ConfigError) -> str:
    """A ConfigError on the options, worded with the option's name (``--p: got 0, ...``)."""
    rest = exc.key[len(OPTS) + 1 :]
    name, _, sub = rest.partition(".")
    message = str(exc).split("': ", 1)[1] if "': " in str(exc) else str(exc)
    return f"{OPTION_OF.get(name, name)}{' ' + sub if sub else ''}: {message}"


def solve(args: argparse.Namespace) -> tuple[SiteSolution, SimConfig, Twin | None]:
    """Pose and solve the question of the command line (module docstring).

    Returns:
        The solution, the configuration, and the rule-based twin (None when ``p`` is a number).

    Raises:
        UserError: bad options, overrides, territory or scenario.
    """
    option_given = [
        o
        for o in ("p", "radius", "candidates", "weights", "weights_from", "keep_existing")
        if getattr(args, o) is not None
    ]
    if args.objective is None and option_given:
        raise UserError(
            f"--{option_given[0].replace('_', '-')} needs --objective (or drop it to solve the scenario's site)"
        )
    cfg = compose(list(args.overrides))
    provider_ids = [p.id for p in cfg.providers]
    ops = parse_interventions(cfg.scenario, provider_ids)
    if args.objective is None:
        sites = [i for i, op in enumerate(ops) if isinstance(op, Site)]
        if not sites:
            raise UserError(
                f"the scenario {cfg.scenario.name!r} has no 'op: site'; give --objective (and --p, --radius, "
                "--candidates, --weights) or a scenario that sites, e.g. scenario=mediation_hubs_optimised"
            )
        before, site = ops[: sites[0]], ops[sites[0]]
        assert isinstance(site, Site)
        spec = site.spec
        existing = site.existing
    else:
        before = ops
        spec = SiteSpec.parse(_options_entry(args), OPTS, provider_ids)
        if args.keep_existing is not None:
            if args.keep_existing not in ACTIVITIES:
                raise UserError(
                    f"--keep-existing: got {args.keep_existing!r}, expected one of {', '.join(ACTIVITIES)}"
                )
            spec = dataclasses.replace(spec, keep_existing=True)
            activity = args.keep_existing

            def existing(places: pd.DataFrame) -> pd.Series:
                return existing_sites(places, activity, "france_services")
        else:

            def existing(places: pd.DataFrame) -> pd.Series:
                return pd.Series(False, index=places.index)

    territory = load_territory(cfg.territory, provider_ids, Streams(cfg.seed).generator("territory"))
    zones = territory.zones.reset_index(drop=True)
    zz = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
    state = initial_state(territory, cfg, provider_ids, {"zones": zones, "zz": zz})
    for op in before:
        op.apply(state)
    twin_sites = spec.same_as.sites(state) if spec.same_as is not None else None
    sol = solve_site(
        spec.sized(state, twin_sites), zones, state.places, state.cfg, zz, existing(state.places)
    )
    twin = (
        Twin(
            spec.same_as.name,
            tuple(twin_sites["zone_id"].astype(str)),
            twin_score(sol, spec.same_as.name, twin_sites),
        )
        if spec.same_as is not None and twin_sites is not None
        else None
    )
    return sol, cfg, twin


def site_table(sol: SiteSolution) -> pd.DataFrame:
    """The open sites with their commune's name, new ones first, each group by demand served."""
    sites = sol.sites()
    names = pd.Series(sol.assignment()["name"].to_numpy(), index=sol.zones["zone_id"].astype(str))
    sites.insert(2, "commune", names.loc[sites["zone_id"].astype(str)].to_numpy())
    return sites.sort_values(
        ["existing", "demand_served"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def report(sol: SiteSolution, cfg: SimConfig, twin: Twin | None) -> str:
    """The printed answer: the summary lines, then the table of sites."""
    s = sol.summary()
    table = site_table(sol)
    shown = table.assign(
        existing=np.where(table["existing"], "existing", "new"),
        demand_served=table["demand_served"].map(lambda v: f"{v:,.0f}"),
        mean_travel_min=table["mean_travel_min"].map(lambda v: f"{v:.1f}"),
        max_travel_min=table["max_travel_min"].map(lambda v: f"{v:.1f}"),
    )[["name", "commune", "existing", "demand_served", "zones_served", "mean_travel_min", "max_travel_min"]]
    shown.columns = [
        "site",
        "commune",
        "",
        f"demand served ({s['weights_unit']})",
        "zones",
        "mean min",
        "max min",
    ]
    lines = [
        f"territory {cfg.territory.kind}, scenario {cfg.scenario.name}: {len(sol.zones)} zones, "
        f"{s['candidates']} candidate sites, {s['existing_sites']} existing kept open",
        sol.describe(),
        f"bound {s['bound']:.6g}, gap {s['gap']:.2%}, solved in {s['solve_s']:.2f} s",
    ]
    if twin is not None:
        lines.append(twin.line)
    return "\n".join(lines) + "\n\n" + shown.to_string(index=False)


def write_files(sol: SiteSolution, cfg: SimConfig, out: Path, twin: Twin | None = None) -> list[Path]:
    """``sites.csv``, ``zones.csv`` and ``sites.png`` in ``out`` (each written to a temporary name, then renamed)."""
    from simulation.viz.site_map import site_map_figure

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in (("sites.csv", site_table(sol)), ("zones.csv", sol.assignment())):
        tmp = out / f".{name}.tmp"
        df.to_csv(tmp, index=False)
        os.replace(tmp, out / name)
        paths.append(out / name)
    s = sol.summary()
    radius = f" within {s['radius_min']:g} min" if s["radius_min"] is not None else ""
    what = {"p_median": "p-median", "mclp": "maximal coverage", "lscp": "set covering"}[sol.spec.objective]
    title = (
        f"{cfg.territory.kind}: {s['new_sites']} new sites ({what}{radius}, weights "
        f"{sol.spec.weights.kind}), {s['existing_sites']} existing; mean {s['mean_travel_min']:.1f} min one-way"
    )
    fig = site_map_figure(
        sol.assignment(),
        sol.sites(),
        title,
        sol.spec.weights.unit,
        twin_zones=twin.zone_ids if twin is not None else (),
        twin_label=f"site of the rule-based {twin.name}" if twin is not None else "",
    )
    tmp = out / ".sites.png.tmp.png"
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, out / "sites.png")
    paths.append(out / "sites.png")
    return paths


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``lieux-site`` (module docstring)."""
    args = parser().parse_args(argv)
    try:
        sol, cfg, twin = solve(args)
    except ConfigError as exc:
        message = _option_error(exc) if exc.key.startswith(OPTS + ".") or exc.key == OPTS else str(exc)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"{PROG}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    print(report(sol, cfg, twin))
    if not args.no_files:
        stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")
        out = args.out or Path("results") / "siting" / f"{cfg.territory.kind}_{sol.spec.objective}_{stamp}"
        for path in write_files(sol, cfg, out, twin):
            print(f"{path.name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
