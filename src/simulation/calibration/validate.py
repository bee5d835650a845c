"""``lieux-validate``: how close the baseline comes to every field pattern, with intervals (docs/ODD.md 9).

Runs the configuration (by default the baseline on the Nièvre, a year after the warm-up) with seeds
``0..seeds-1``, measures every pattern of :data:`~simulation.calibration.patterns.PATTERNS` in each run, and
prints, per pattern, the model's mean with its 95 % interval across seeds (Student's t), the target, the
tolerance, the source and PASS (the mean is inside the tolerance band) or MISS. It writes the same table as
``validation.csv`` and a figure ``validation.png`` (each pattern's interval against its band) in the output folder.

Usage::

    lieux-validate                               # 5 seeds, the Nièvre baseline
    lieux-validate --seeds 3 --weeks 26 population.sample_rate=0.5
    lieux-validate --out results/validation/mine scenario=telecentre_agreement
    lieux-validate --write docs/ODD.md           # also paste the table into ODD.md (between its markers)
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from simulation import resources
from simulation.calibration.patterns import BY_KEY, PATTERNS, PatternObserver, measure
from simulation.core.config import SimConfig, to_config
from simulation.core.errors import UserError

PROG = "lieux-validate"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
CONFIDENCE = 0.95


def run_one(cfg: SimConfig) -> dict[str, float]:
    """The pattern values of one run."""
    from simulation.model import run

    obs = PatternObserver()
    result = run(cfg, progress=False, observers=[obs])
    values = measure(result.summary, result.tables, obs)
    values["runtime_s"] = float(result.summary["runtime_s"])
    return values


def interval(xs: np.ndarray) -> tuple[float, float, float]:
    """Mean and the 95 % t-interval across seeds ((nan, nan) half-width with one seed)."""
    xs = xs[np.isfinite(xs)]
    if xs.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(xs.mean())
    if xs.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, xs.size - 1) * xs.std(ddof=1) / math.sqrt(xs.size))
    return mean, mean - half, mean + half


def table(runs: list[dict[str, float]]) -> pd.DataFrame:
    """One row per pattern: model mean, interval, target, band, tolerance, source, verdict."""
    rows = []
    for p in PATTERNS:
        xs = np.array([r.get(p.key, math.nan) for r in runs], dtype=float)
        mean, lo, hi = interval(xs)
        if p.target is None:
            verdict = "reported"
        elif not math.isfinite(mean):
            verdict = "MISS"
        else:
            verdict = "PASS" if p.low <= mean <= p.high else "MISS"  # type: ignore[operator]
        rows.append(
            {
                "pattern": p.key,
                "description": p.name,
                "model_mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "target": p.target,
                "band_low": p.low,
                "band_high": p.high,
                "tolerance": p.tolerance,
                "source": p.source,
                "verdict": verdict,
                "seeds": int(np.isfinite(xs).sum()),
            }
        )
    return pd.DataFrame(rows)


def _fmt(key: str, x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    unit = BY_KEY[key].unit
    if unit == "share":
        return (
            f"{100 * x:+.1f} %"
            if BY_KEY[key].target is not None and BY_KEY[key].target < 0
            else f"{100 * x:.1f} %"
        )
    if unit == "eur":
        return f"{x / 1000:.0f} k EUR"
    if unit == "ratio":
        return f"{x:.2f}"
    return f"{x:,.0f}"


def markdown(df: pd.DataFrame) -> str:
    """The table as Markdown (what ODD.md section 9 shows)."""
    lines = [
        "| pattern | model (95 % interval) | target | tolerance | source | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in df.itertuples():
        p = BY_KEY[r.pattern]
        model = _fmt(p.key, r.model_mean)
        if math.isfinite(r.ci_low):
            model += f" ({_fmt(p.key, r.ci_low)} to {_fmt(p.key, r.ci_high)})"
        target = _fmt(p.key, p.target) if p.target is not None else p.beside
        lines.append(f"| {p.name} | {model} | {target} | {p.tolerance} | {p.source} | {r.verdict} |")
    return "\n".join(lines)


def figure(df: pd.DataFrame) -> Any:
    """Each pattern's interval against its band, on a scale where the band is [-1, 1]."""
    from matplotlib.figure import Figure

    have = df[df["target"].notna()].reset_index(drop=True)
    fig = Figure(figsize=(8, 0.5 * len(have) + 1.2), constrained_layout=True)
    ax = fig.add_subplot()
    for i, r in have.iterrows():
        mid, half = (r.band_high + r.band_low) / 2, (r.band_high - r.band_low) / 2

        def norm(x: float, mid: float = mid, half: float = half) -> float:
            return (x - mid) / half

        colour = "tab:green" if r.verdict == "PASS" else "tab:red"
        lo = norm(r.ci_low) if math.isfinite(r.ci_low) else norm(r.model_mean)
        hi = norm(r.ci_high) if math.isfinite(r.ci_high) else norm(r.model_mean)
        ax.plot([lo, hi], [i, i], color=colour, lw=3)
        ax.plot([norm(r.model_mean)], [i], "o", color=colour)
        ax.plot([norm(r.target)], [i], "|", color="black", ms=12)
    ax.axvspan(-1, 1, color="0.9", zorder=0)
    ax.set_yticks(range(len(have)), [BY_KEY[k].name for k in have["pattern"]], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("model value, in units of the tolerance band (grey: the band; |: the target)")
    ax.set_title("Calibration: the Nièvre baseline against the field patterns")
    return fig


def parse_overrides(items: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``key=value`` strings -> (dotted overrides, a partial config for ``scenario=<name>``).

    Raises:
        UserError: a malformed override or an unknown scenario.
    """
    overrides: dict[str, Any] = {}
    base: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UserError(f"cannot read the override {item!r}; expected key=value")
        value = yaml.safe_load(text) if text else ""
        if key == "territory":
            overrides["territory.kind"] = value
        elif key == "scenario":
            path = resources.configs_dir() / "scenario" / f"{value}.yaml"
            if not path.is_file():
                raise UserError(f"unknown scenario {value!r} (no {path.name} in the scenario group)")
            base["scenario"] = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            overrides[key] = value
    return overrides, base


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``lieux-validate`` (module docstring)."""
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    ap.add_argument("--weeks", type=int, default=None, help="weeks counted (default: the config's, 52)")
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default results/validation/<time>)"
    )
    ap.add_argument("--write", type=Path, metavar="ODD_MD", help="also paste the table into this file")
    ap.add_argument("overrides", nargs="*", help="key=value overrides, as for lieux")
    args = ap.parse_args(argv)
    try:
        if args.seeds < 1:
            raise UserError(f"--seeds: got {args.seeds}, expected an integer >= 1")
        overrides, base = parse_overrides(args.overrides)
        if args.weeks is not None:
            overrides["weeks"] = args.weeks
        cfgs = [to_config(base or None, **{**overrides, "seed": seed}) for seed in range(args.seeds)]
    except UserError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    runs = []
    for cfg in cfgs:
        runs.append(run_one(cfg))
        print(f"seed {cfg.seed}: {runs[-1]['runtime_s']:.1f} s", file=sys.stderr, flush=True)
    df = table(runs)
    cfg = cfgs[0]
    command = " ".join([PROG, *(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))])
    head = [
        f"Command: `{command}`  ",
        f"Territory {cfg.territory.kind}, scenario {cfg.scenario.name}, {cfg.weeks} weeks after "
        f"{cfg.warmup_weeks} warm-up weeks, sample rate {cfg.population.sample_rate:g}, seeds 0..{args.seeds - 1}; "
        f"{time.perf_counter() - t0:.0f} s.",
        "",
    ]
    text = "\n".join(head) + markdown(df) + "\n"
    print(text)
    out = args.out or Path("results") / "validation" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".validation.csv.tmp"
    df.to_csv(tmp, index=False)
    os.replace(tmp, out / "validation.csv")
    figure(df).savefig(out / ".validation.png.tmp.png", dpi=110)
    os.replace(out / ".validation.png.tmp.png", out / "validation.png")
    print(f"table: {out / 'validation.csv'}\nfigure: {out / 'validation.png'}")
    if args.write is not None:
        doc = args.write.read_text(encoding="utf-8")
        a, b = doc.find(START), doc.find(END)
        if a < 0 or b < a:
            print(f"{PROG}: error: {args.write}: markers {START} ... {END} not found", file=sys.stderr)
            return 2
        args.write.write_text(doc[: a + len(START)] + "\n\n" + text + "\n" + doc[b:], encoding="utf-8")
        print(f"{args.write}: calibration table rewritten")
    misses = df[df["verdict"] == "MISS"]
    return 0 if misses.empty else 1


if __name__ == "__main__":
    sys.exit(main())
