"""Fit the behavioural constants to the field patterns (docs/ODD.md 9): a reproducible, documented procedure.

Each constant is tied to the pattern it moves most, and found by a scan of its bracket (the first interval
where ``pattern(constant) - target`` changes sign; some responses are not monotonic: desk occupancy falls when
demand rushes the desks early in the week) followed by Brent's root finding (:func:`scipy.optimize.brentq`) in
that interval, the others held; the constants are fitted in turn, and the round is repeated (coordinate
descent) until no constant moves by more than its tolerance. Every evaluation is one run of the baseline with
the same seed (common random numbers), so the objective is a deterministic, piecewise-constant function of the
constant: Brent's method converges to the step nearest the target. The pairs:

============================================  ==============================================  ==========
constant                                      pattern                                         target
============================================  ==============================================  ==========
``population.agreement_share``                employees teleworking at least occasionally     0.26
``behaviour.work.asc_home``                   remote days per teleworker-week                 1.5
``behaviour.work.asc_third``                  desk occupancy of the coworking spaces          0.80
``behaviour.work.b_time`` (``b_cost`` tied:   a third-place day against the office day        -0.74
value of time 12 EUR/h)
``behaviour.work.mu``                         telecentre users' weekday person-km             -0.19
``behaviour.work.errands_per_week``           the rebound of home days                        0.31
============================================  ==============================================  ==========

The errands do not change any choice, so their rate is solved in closed form (the rebound is proportional to
it). A pattern that no value of its constant within the bracket reaches is reported, and the constant is set to
the end of the bracket nearest the target.

Usage::

    python -m simulation.calibration.fit                 # the Nièvre baseline, 26 weeks, seeds 0 and 1
    python -m simulation.calibration.fit --weeks 13 --rounds 1 territory=synthetic
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import optimize

from simulation.calibration.patterns import BY_KEY
from simulation.calibration.validate import parse_overrides, run_one
from simulation.core.config import SimConfig, to_config
from simulation.core.errors import UserError

VALUE_OF_TIME_EUR_MIN = 12.0 / 60.0  # b_cost = b_time / value of time: 12 EUR/h (docs/ODD.md 7.1)


@dataclass(frozen=True)
class Knob:
    """A constant to fit: its key, the pattern it moves, the bracket searched and the tolerance on the constant."""

    key: str
    pattern: str
    low: float
    high: float
    xtol: float


KNOBS: tuple[Knob, ...] = (
    Knob("population.agreement_share", "occasional", 0.3, 1.0, 0.005),
    Knob("behaviour.work.asc_home", "remote_days", -4.0, 2.0, 0.02),
    Knob("behaviour.work.asc_third", "desk_occupancy", -9.0, 1.0, 0.05),
    Knob("behaviour.work.third_taste_sd", "users_weekday_km", 0.0, 4.0, 0.05),
    Knob("behaviour.work.b_time", "third_day_km", -0.06, -0.01, 0.001),
)
SCAN = 6  # points of the scan of a bracket (ends included)
MU_CHECK = (0.25, 0.5, 1.0)
ERRANDS = "behaviour.work.errands_per_week"


def with_value(values: dict[str, Any], key: str, x: float) -> dict[str, Any]:
    """The overrides with ``key`` set (``b_time`` carries ``b_cost`` with it: the value of time is held)."""
    out = {**values, key: x}
    if key == "behaviour.work.b_time":
        out["behaviour.work.b_cost"] = x / VALUE_OF_TIME_EUR_MIN
    return out


class Evaluator:
    """Runs the baseline for a set of constants (one run per seed, the patterns averaged) and caches the values."""

    def __init__(
        self, base: dict[str, Any], overrides: dict[str, Any], log: Callable[[str], None], seeds: int = 2
    ) -> None:
        self.base, self.overrides, self.log, self.seeds = base, overrides, log, seeds
        self.cache: dict[tuple, dict[str, float]] = {}

    def config(self, values: dict[str, Any]) -> SimConfig:
        """The run's configuration: the base, the command's overrides, then the constants being fitted."""
        return to_config(self.base or None, **{**self.overrides, **values})

    def __call__(self, values: dict[str, Any]) -> dict[str, float]:
        key = tuple(sorted((k, round(float(v), 10)) for k, v in values.items()))
        if key not in self.cache:
            t0 = time.perf_counter()
            seed0 = int(self.overrides.get("seed", 0))
            runs = [run_one(self.config({**values, "seed": seed0 + i})) for i in range(self.seeds)]
            self.cache[key] = {k: float(np.nanmean([r.get(k, math.nan) for r in runs])) for k in runs[0]}
            self.log(
                "  "
                + ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.4g}" for k, v in values.items())
                + f" ({time.perf_counter() - t0:.1f} s)"
            )
        return self.cache[key]


def fit_one(ev: Evaluator, values: dict[str, Any], knob: Knob) -> tuple[float, float, bool]:
    """Fit one constant, the others held: (value, pattern value there, whether the target was bracketed)."""
    target = BY_KEY[knob.pattern].target
    assert target is not None

    def gap(x: float) -> float:
        # a pattern with nothing to measure (no third-place day, every coworking space closed) counts as 0
        v = ev(with_value(values, knob.key, x)).get(knob.pattern, math.nan)
        return (v if math.isfinite(v) else 0.0) - target

    # Scan the bracket, refine every sign change with Brent's method, and keep the evaluated value nearest the
    # target: the responses are step functions with some noise, so the root Brent returns may sit on a step.
    tried: dict[float, float] = {}

    def g(x: float) -> float:
        tried[x] = gap(x)
        return tried[x]

    xs = [knob.low + (knob.high - knob.low) * i / (SCAN - 1) for i in range(SCAN)]
    gs = [g(x) for x in xs]
    bracketed = False
    for a, b, ga, gb in zip(xs, xs[1:], gs, gs[1:], strict=False):
        if ga != 0 and gb != 0 and (ga < 0) != (gb < 0):
            bracketed = True
            optimize.brentq(g, a, b, xtol=knob.xtol, maxiter=40)
    best = min(tried, key=lambda x: abs(tried[x]))
    return best, tried[best] + target, bracketed or tried[best] == 0


def fit(ev: Evaluator, start: dict[str, Any], rounds: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Coordinate descent over :data:`KNOBS`, then the errands in closed form (module docstring)."""
    values = dict(start)
    for r in range(rounds):
        moved = False
        for knob in KNOBS:
            log(f"round {r + 1}: {knob.key} <- {knob.pattern}")
            x, got, ok = fit_one(ev, values, knob)
            old = values.get(knob.key)
            moved |= old is None or abs(x - float(old)) > knob.xtol
            values = with_value(values, knob.key, x)
            note = "" if ok else " (target not reached in the bracket: the nearest scanned value kept)"
            log(
                f"  {knob.key} = {x:.4g}: {knob.pattern} = {got:.4g} (target {BY_KEY[knob.pattern].target}){note}"
            )
        if not moved:
            break
    # errands: the rebound is proportional to their rate and changes no choice
    probe = ev({**values, ERRANDS: 1.0})
    rebound = probe.get("rebound", math.nan)
    target = BY_KEY["rebound"].target
    assert target is not None
    if math.isfinite(rebound) and rebound > 0:
        values[ERRANDS] = target / rebound
        log(f"{ERRANDS} = {values[ERRANDS]:.4g} (rebound {rebound:.4g} per errand a week)")
    return values


def main(argv: list[str] | None = None) -> int:
    """Entry point (module docstring)."""
    ap = argparse.ArgumentParser(
        prog="python -m simulation.calibration.fit", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--weeks", type=int, default=26, help="weeks counted per evaluation (default 26)")
    ap.add_argument("--seed", type=int, default=0, help="the first seed of every evaluation (default 0)")
    ap.add_argument(
        "--seeds", type=int, default=2, help="seeds per evaluation, patterns averaged (default 2)"
    )
    ap.add_argument("--rounds", type=int, default=3, help="rounds of coordinate descent at most (default 3)")
    ap.add_argument("--out", type=Path, default=Path("results") / "calibration" / "fit.yaml")
    ap.add_argument("overrides", nargs="*", help="key=value overrides, as for lieux")
    args = ap.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        overrides, base = parse_overrides(args.overrides)
        overrides.update({"weeks": args.weeks, "seed": args.seed, "output.progress": False})
        ev = Evaluator(base, overrides, log, seeds=args.seeds)
        default = ev.config({})
        start = {k.key: _get(default, k.key) for k in KNOBS}
        start = with_value(start, "behaviour.work.b_time", start["behaviour.work.b_time"])
    except UserError as exc:
        print(f"fit: error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    values = fit(ev, start, args.rounds, log)
    final = ev(values)
    mu_check = {}
    for mu in MU_CHECK:
        v = ev({**values, "behaviour.work.mu": mu})
        mu_check[mu] = {k: float(v.get(k, math.nan)) for k in BY_KEY}
    result = {
        "fitted": {k: float(v) for k, v in values.items()},
        "patterns": {k: float(final.get(k, math.nan)) for k in BY_KEY},
        "patterns_by_mu": mu_check,
        "runs": len(ev.cache),
        "seconds": round(time.perf_counter() - t0, 1),
        "command": " ".join(
            ["python -m simulation.calibration.fit", *(argv if argv is not None else sys.argv[1:])]
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(result, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(yaml.safe_dump(result, sort_keys=False, allow_unicode=True))
    return 0


def _get(cfg: SimConfig, key: str) -> float:
    node: Any = cfg
    for part in key.split("."):
        node = getattr(node, part)
    return float(node)


if __name__ == "__main__":
    sys.exit(main())
