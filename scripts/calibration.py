"""How close the baseline comes to the patterns of docs/ODD.md 1 (the calibration table of docs/ODD.md).

Runs the default baseline (the Nièvre, seed 0, the default weeks) and prints a Markdown table
``pattern | target | source | model value``. Every model value is computed from what a run produces (its
summary and its places and zones tables), except two that no output holds, which are observed during the run:
the share of employees with at least one remote day in a 4-week period, and the person-km of a day at a third
place against the same worker's day at the office.

Usage::

    python scripts/calibration.py                          # the default baseline
    python scripts/calibration.py --seeds 5                # seeds 0..4: mean, and the range across seeds
    python scripts/calibration.py --weeks 26 territory.kind=synthetic population.sample_rate=0.5
    python scripts/calibration.py --seeds 3 --write docs/ODD.md   # also paste the output into ODD.md

Overrides are ``key=value`` as on the ``lieux`` command line (values read as YAML scalars) and go to
:func:`simulation.core.config.to_config`; ``territory=<kind>`` is accepted for ``territory.kind=<kind>`` and
``scenario=<name>`` loads ``configs/scenario/<name>.yaml``. With ``--write ODD_MD`` the output (command
included) replaces the block between ``<!-- calibration:start -->`` and ``<!-- calibration:end -->``.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from simulation.core.config import SimConfig, to_config  # noqa: E402
from simulation.sim.model import Observer, SharedPlacesModel, run  # noqa: E402
from simulation.sim.work import HOME  # noqa: E402

START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
FAR_MINUTES = (
    20.0  # "far from a point of contact": more than this by car, min (docs/ODD.md 7.11, access_share_20min)
)


# --------------------------------------------------------------------------------------------------
# An observed run
# --------------------------------------------------------------------------------------------------
class WorkObserver(Observer):
    """Two measures no output holds, observed after each counted day (a model observer).

    - Occasional telework: for each counted 4-week period, the share of workers who worked remotely (home or
      a third place) at least one day in the period.
    - Third-place day vs office day: for every counted day a worker spends at a third place, the round-trip
      km to that place and the round-trip km of the same worker's commute to the office.
    """

    def __init__(self) -> None:
        self._any_remote: np.ndarray | None = None
        self.occasional_shares: list[float] = []
        self.km_third = 0.0
        self.km_office_same = 0.0

    def on_day(self, model: SharedPlacesModel) -> None:
        """Read the day's work places (``model.workers.today_place``) once the warm-up is over."""
        workers = model.workers
        if self._any_remote is None:
            self._any_remote = np.zeros(workers.today_place.shape[0], dtype=bool)
        day = model.day - 1  # the day just simulated
        if day < model.warmup_days:
            return
        if day % 7 < 5:
            place = workers.today_place
            self._any_remote |= place >= HOME  # home or a third place
            third = np.flatnonzero(place >= 0)
            if third.size:
                self.km_third += float((2 * model.world.zp.km[workers.zone[third], place[third]]).sum())
                self.km_office_same += float((2 * workers.commute_km[third]).sum())

    def on_period(self, model: SharedPlacesModel, row: dict[str, Any] | None) -> None:
        """At the end of each counted period, the share of workers with a remote day in it."""
        if row is None or self._any_remote is None:
            return
        if self._any_remote.size:
            self.occasional_shares.append(float(self._any_remote.mean()))
        self._any_remote[:] = False


@dataclass
class Measure:
    """The model values of one run."""

    values: dict[str, float] = field(default_factory=dict)
    runtime_s: float = 0.0


def run_one(cfg: SimConfig) -> Measure:
    obs = WorkObserver()
    result = run(cfg, progress=False, observers=[obs])
    return Measure(measure(result.summary, result.tables, obs, cfg.weeks), result.summary["runtime_s"])


def measure(
    summary: dict[str, Any], tables: dict[str, pd.DataFrame], model: WorkObserver, weeks: int
) -> dict:
    """The model value of every pattern (NaN when the territory has nothing to measure it on)."""
    per_year = 52.0 / weeks
    places, zones = tables["places"], tables["zones"]
    kind = places["zone_id"].map(zones.set_index("zone_id")["kind"])
    fs = places["label"] == "france_services"
    v: dict[str, float] = {}
    v["fs_sites"] = float(fs.sum())
    v["fs_requests_year"] = places.loc[fs, "contacts"].sum() / fs.sum() * per_year if fs.any() else math.nan
    for k in ("rural", "periurban"):
        sel = fs & (kind == k)
        v[f"fs_cost_{k}"] = places.loc[sel, "cost_eur"].mean() * per_year if sel.any() else math.nan
        v[f"fs_n_{k}"] = float(sel.sum())
    v["occupancy_work"] = summary["occupancy_rate_work"]
    cw = places["origin"] == "coworking"
    v["coworking_desks"] = places.loc[cw, "desks"].mean() if cw.any() else math.nan
    v["remote_days"] = summary["remote_days_per_teleworker_week"]
    v["third_share"] = summary["third_place_share_of_remote_days"]
    v["occasional"] = float(np.mean(model.occasional_shares)) if model.occasional_shares else math.nan
    v["unmet"] = summary["unmet_need_rate"]
    far = zones["minutes_to_contact_car"] > FAR_MINUTES
    for name, sel in (("unmet_far", far), ("unmet_near", ~far)):
        z = zones[sel & zones["unmet_need_rate"].notna()]
        v[name] = float(np.average(z["unmet_need_rate"], weights=z["population"])) if len(z) else math.nan
    v["far_pop_share"] = float(zones.loc[far, "population"].sum() / max(zones["population"].sum(), 1))
    v["km_change"] = model.km_third / model.km_office_same - 1.0 if model.km_office_same > 0 else math.nan
    v["third_days_year"] = summary["third_place_share_of_remote_days"]
    return v


# --------------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------------
def _fmt(key: str, x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if key in (
        "occupancy_work",
        "third_share",
        "occasional",
        "unmet",
        "unmet_far",
        "unmet_near",
        "km_change",
        "far_pop_share",
    ):
        return f"{100 * x:+.0f} %" if key == "km_change" else f"{100 * x:.1f} %"
    if key.startswith("fs_cost"):
        return f"{x / 1000:.0f} k EUR"
    if key in ("remote_days",):
        return f"{x:.2f}"
    return f"{x:,.0f}"


def _value(key: str, runs: list[Measure], spread: bool = True) -> str:
    """Mean over the seeds, and the range across seeds when there are several (``spread``)."""
    xs = np.array([r.values[key] for r in runs], dtype=float)
    text = _fmt(key, float(np.nanmean(xs)) if np.isfinite(xs).any() else math.nan)
    if spread and len(runs) > 1 and np.isfinite(xs).all():
        text += f" (seeds: {_fmt(key, xs.min())} to {_fmt(key, xs.max())})"
    return text


def table(runs: list[Measure]) -> str:
    v = runs[0].values
    rows = [
        (
            "France Services: requests per site per year",
            "≈ 3,170",
            "Cour des comptes 2024 (9 M requests, 2,840 sites, 2023)",
            f"{_value('fs_requests_year', runs)} ({v['fs_sites']:.0f} sites; contacts per labelled site)",
        ),
        (
            "France Services: annual cost of a rural site",
            "≈ 94 k EUR (2.2 agents)",
            "Senate report r21-778 (2022)",
            f"{_value('fs_cost_rural', runs)} (mean of {v['fs_n_rural']:.0f} rural sites; places.csv cost_eur)",
        ),
        (
            "France Services: annual cost of a peri-urban site",
            "≈ 101 k EUR (2.5 agents)",
            "Senate report r21-778 (2022)",
            f"{_value('fs_cost_periurban', runs)} (mean of {v['fs_n_periurban']:.0f} peri-urban sites)",
        ),
        (
            "Coworking desk occupancy",
            "70-90 % healthy, < 70 % loss-making",
            "coworking operators (docs/ODD.md 1)",
            f"{_value('occupancy_work', runs)} (occupancy_rate_work; {v['coworking_desks']:.0f} desks per "
            "coworking space, rural average 22)",
        ),
        (
            "Remote days per teleworkable worker per week",
            "≈ 1.5",
            "docs/ODD.md 1 (DARES 2023 order of magnitude)",
            _value("remote_days", runs) + " (remote_days_per_teleworker_week)",
        ),
        (
            "Third places' share of remote days",
            "small (mostly at home)",
            "docs/ODD.md 1",
            _value("third_share", runs) + " (third_place_share_of_remote_days)",
        ),
        (
            "Employees teleworking at least occasionally",
            "26 %",
            "DARES 2023",
            _value("occasional", runs)
            + " (workers with >= 1 remote day in a 4-week period, mean over periods)",
        ),
        (
            "Non-recours: unmet human-contact needs",
            "a sizeable minority where the nearest contact is far",
            "docs/ODD.md 1",
            f"{_value('unmet', runs)} overall; {_value('unmet_far', runs)} in zones > 20 min by car "
            f"from a point of contact ({_value('far_pop_share', runs, spread=False)} of adults) vs "
            f"{_value('unmet_near', runs)} elsewhere (population-weighted)",
        ),
        (
            "Person-km of a day at a telecentre vs at the office",
            "≈ -3/4 (commute person-km)",
            "Balepur, Varma and Mokhtarian 1998",
            _value("km_change", runs)
            + " (round trip to the third place vs the same worker's round trip to the "
            "office, over all third-place days)",
        ),
    ]
    lines = ["| pattern | target | source | model value |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def parse_overrides(items: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``key=value`` strings -> (dotted overrides, a partial config for groups such as ``scenario``)."""
    overrides: dict[str, Any] = {}
    base: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"calibration: cannot read the override {item!r}; expected key=value")
        value = yaml.safe_load(text) if text else ""
        if key == "territory":
            overrides["territory.kind"] = value
        elif key == "scenario":
            path = ROOT / "configs" / "scenario" / f"{value}.yaml"
            if not path.is_file():
                raise SystemExit(f"calibration: unknown scenario {value!r} (no {path})")
            base["scenario"] = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            overrides[key] = value
    return overrides, base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=None, help="weeks counted (default: the config's, 52)")
    parser.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 (default 1: seed 0 only)")
    parser.add_argument("--write", metavar="ODD_MD", type=Path, help="also write the output into this file")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, as for lieux")
    args = parser.parse_args(argv)
    overrides, base = parse_overrides(args.overrides)
    if args.weeks is not None:
        overrides["weeks"] = args.weeks
    runs: list[Measure] = []
    cfg = None
    for seed in range(args.seeds):
        cfg = to_config(base or None, **{**overrides, "seed": seed})
        runs.append(run_one(cfg))
    assert cfg is not None
    command = "python scripts/calibration.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    lines = [
        f"Command: `{command.strip()}`  ",
        f"Territory {cfg.territory.kind}, scenario {cfg.scenario.name}, {cfg.weeks} weeks after "
        f"{cfg.warmup_weeks} warm-up weeks, sample rate {cfg.population.sample_rate:g}, "
        f"seeds 0..{args.seeds - 1}; {sum(r.runtime_s for r in runs):.1f} s of simulation.",
        "",
        table(runs),
    ]
    output = "\n".join(lines) + "\n"
    sys.stdout.write(output)
    if args.write is not None:
        text = args.write.read_text(encoding="utf-8")
        start, end = text.find(START), text.find(END)
        if start < 0 or end < start:
            raise SystemExit(f"{args.write}: markers {START} ... {END} not found (in this order)")
        args.write.write_text(
            text[: start + len(START)] + "\n\n" + output + "\n" + text[end:], encoding="utf-8"
        )
        print(f"{args.write}: calibration table rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
