"""Morris elementary-effects screening (SALib): the design, the per-job overrides and the analysis.

An experiment with ``method: morris`` names parameter ranges ``{dotted.key: [low, high]}``, a number of
trajectories ``r`` and of grid levels ``p`` (:class:`~simulation.core.config.ExperimentConfig`). The design is
SALib's Morris sample with a fixed seed, so a given experiment always has the same ``r x (D + 1)`` sample
points (``D`` parameters); job ``sample=i`` of the sweep runs point ``i`` (:func:`sample_overrides`), and
:func:`analyze` turns one KPI value per point into the screening table ``parameter, kpi, mu_star,
mu_star_conf, sigma, mu`` (``screening.csv``, docs/INTERFACES.md).

Units: SALib divides each output difference by the step expressed as a share of the range, so ``mu_star``
(mean absolute elementary effect), ``mu`` and ``sigma`` are in units of the KPI *per full range of the
parameter*: ``mu_star = 1000`` on ``person_km_total`` means that moving the parameter from its low to its high
bound changes person-km by about 1,000 on average over the other parameters' values. ``mu_star`` ranks
importance; a ``sigma`` comparable to ``mu_star`` means a nonlinear effect or interactions with the other
parameters (Morris 1991; Campolongo et al. 2007).

Integer keys (e.g. ``policy.remote_days_per_week``) are screened on a continuous range and rounded to the
nearest integer in each job; choose ranges whose width is a multiple of ``levels - 1`` (e.g. ``[1, 4]`` with 4
levels) so that every grid level is an integer and no step is lost to rounding.

All functions are pure and deterministic for a given experiment configuration. The figure (mu* against sigma)
is :func:`simulation.viz.figures.screening_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from simulation.core.config import ExperimentConfig, SimConfig
from simulation.core.errors import ConfigError, UserError

SAMPLER_SEED = 20_240_611  # seed of SALib's Morris sampler: one design per experiment configuration
ANALYZER_SEED = 0  # seed of the bootstrap behind mu_star_conf
NUM_RESAMPLES = 1_000  # bootstrap resamples for mu_star_conf
CONF_LEVEL = 0.95  # level of the mu_star confidence interval
COLUMNS = ["parameter", "kpi", "mu_star", "mu_star_conf", "sigma", "mu"]


class ScreeningError(UserError):
    """The runs of a Morris experiment cannot be analysed (missing sample points, missing KPI columns)."""


# --------------------------------------------------------------------------------------------------
# Parameters and design
# --------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _schema() -> Any:
    return OmegaConf.structured(SimConfig)


def parameter_type(key: str) -> type:
    """The Python type (``int`` or ``float``) of a numeric key of :class:`~simulation.core.config.SimConfig`.

    Args:
        key: a dotted key, e.g. ``behaviour.work.asc_third`` or ``travel.car_kmh.rural``.

    Raises:
        ConfigError: the key does not exist, or its value is not a number (booleans, texts, sections).
    """
    sentinel = object()
    try:
        value = OmegaConf.select(_schema(), key, default=sentinel, throw_on_missing=False)
    except Exception:  # a malformed key (omegaconf's grammar error)
        value = sentinel
    if value is sentinel:
        raise ConfigError(f"experiment.parameters.{key}", f"'{key}' is not a key of the configuration")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"experiment.parameters.{key}",
            f"'{key}' is not a numeric parameter (its default is {value!r}); Morris screens numbers only",
        )
    return int if isinstance(value, int) else float


def _parameters(exp: ExperimentConfig) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...]]:
    params = exp.parameters
    if OmegaConf.is_config(params):
        params = OmegaConf.to_container(params, resolve=True)  # type: ignore[assignment]
    params = dict(params)
    if len(params) < 2:
        raise ConfigError(
            "experiment.parameters",
            f"got {len(params)} parameter(s), expected at least 2 ranges {{dotted.key: [low, high]}}",
        )
    names: list[str] = []
    bounds: list[tuple[float, float]] = []
    for key, rng in params.items():
        key = str(key)
        parameter_type(key)
        values = list(rng) if isinstance(rng, list | tuple) else None
        ok = (
            values is not None
            and len(values) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            and all(math.isfinite(v) for v in values)
            and values[0] < values[1]
        )
        if not ok:
            raise ConfigError(
                f"experiment.parameters.{key}", f"got {rng!r}, expected a range [low, high] with low < high"
            )
        names.append(key)
        bounds.append((float(values[0]), float(values[1])))  # type: ignore[index]
    if exp.trajectories < 2:
        raise ConfigError("experiment.trajectories", f"got {exp.trajectories!r}, expected an integer >= 2")
    if exp.levels < 2 or exp.levels % 2:
        raise ConfigError("experiment.levels", f"got {exp.levels!r}, expected an even integer >= 2")
    return tuple(names), tuple(bounds)


def problem(exp: ExperimentConfig) -> dict[str, Any]:
    """SALib's problem definition of a Morris experiment.

    Args:
        exp: the experiment section (``parameters`` in file order).

    Returns:
        ``{"num_vars": D, "names": [dotted keys], "bounds": [[low, high], ...]}``.

    Raises:
        ConfigError: fewer than 2 parameters, a key that is not a numeric key of the configuration, a range that
            is not ``[low, high]`` with ``low < high``, or bad ``trajectories`` / ``levels``.
    """
    names, bounds = _parameters(exp)
    return {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}


@lru_cache(maxsize=16)
def _design(
    names: tuple[str, ...], bounds: tuple[tuple[float, float], ...], trajectories: int, levels: int
) -> np.ndarray:
    from SALib.sample import morris as morris_sample

    prob = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    x = morris_sample.sample(prob, N=trajectories, num_levels=levels, seed=SAMPLER_SEED)
    x = np.asarray(x, dtype=float)
    x.setflags(write=False)
    return x


def design(exp: ExperimentConfig) -> np.ndarray:
    """The Morris design: one row per sample point, one column per parameter (in ``problem(exp)`` order).

    ``trajectories`` trajectories of ``D + 1`` points each, on a grid of ``levels`` levels between the bounds;
    SALib's sampler with a fixed seed (:data:`SAMPLER_SEED`), so the design depends only on ``exp``.

    Args:
        exp: the experiment section.

    Returns:
        A read-only float array of shape ``[trajectories * (D + 1), D]`` (unrounded values).
    """
    names, bounds = _parameters(exp)
    return _design(names, bounds, int(exp.trajectories), int(exp.levels))


def n_samples(exp: ExperimentConfig) -> int:
    """The number of sample points (runs per seed replicate): ``trajectories x (parameters + 1)``."""
    names, _ = _parameters(exp)
    return int(exp.trajectories) * (len(names) + 1)


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def sample_overrides(exp: ExperimentConfig, index: int) -> dict[str, float | int]:
    """The parameter values of sample point ``index``, as dotted-key overrides of the configuration.

    Integer keys of the configuration are rounded to the nearest integer (halves up); floats are rounded to
    12 significant digits so that the values written in the run's config.yaml read cleanly.

    Args:
        exp: the experiment section.
        index: the sample point, ``0 <= index < n_samples(exp)``.

    Returns:
        ``{dotted.key: value}`` for every screened parameter, ready for ``to_config(cfg, **overrides)``.

    Raises:
        ConfigError: an index out of range, or a bad parameter (see :func:`problem`).
    """
    x = design(exp)
    names, _ = _parameters(exp)
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < len(x):
        raise ConfigError(
            "experiment.sample", f"got {index!r}, expected a sample point from 0 to {len(x) - 1}"
        )
    out: dict[str, float | int] = {}
    for key, value in zip(names, x[int(index)], strict=True):
        if parameter_type(key) is int:
            out[key] = _round_half_up(float(value))
        else:
            out[key] = float(f"{float(value):.12g}")
    return out


# --------------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------------
def _ranges(indices: Sequence[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"``."""
    parts: list[str] = []
    idx = sorted(indices)
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        parts.append(str(idx[i]) if i == j else f"{idx[i]}-{idx[j]}")
        i = j + 1
    return ", ".join(parts)


def analyze(runs: pd.DataFrame, exp: ExperimentConfig, kpis: Sequence[str]) -> pd.DataFrame:
    """The Morris screening table: elementary-effects statistics of every parameter on every KPI.

    Seed replicates of a sample point (several rows with the same ``sample``) are averaged first.

    Args:
        runs: one row per complete run, with a ``sample`` column (the sample point index) and the KPI columns
            (``runs.csv``).
        exp: the experiment section the runs were made with.
        kpis: the KPI columns to analyse.

    Returns:
        One row per (parameter, kpi), parameters in ``problem(exp)`` order within each KPI, columns
        ``parameter, kpi, mu_star, mu_star_conf, sigma, mu`` (:data:`COLUMNS`); ``mu_star_conf`` is the
        half-width of the bootstrap 95 % interval of ``mu_star``.

    Raises:
        ScreeningError: the ``sample`` column or a KPI column is missing, a KPI is not numeric, some sample
            points have no run (the message lists them) or a run's sample index is outside the design.
    """
    from SALib.analyze import morris as morris_analyze

    prob = problem(exp)
    x = design(exp)
    n = len(x)
    if "sample" not in runs.columns:
        raise ScreeningError("the runs have no 'sample' column: they are not the runs of a Morris experiment")
    missing_cols = [k for k in kpis if k not in runs.columns]
    if missing_cols:
        raise ScreeningError(f"the runs have no column for the KPI(s) {', '.join(missing_cols)}")
    if not kpis:
        raise ScreeningError("no KPI to analyse")
    samples = pd.to_numeric(runs["sample"], errors="coerce")
    outside = sorted({int(s) for s in samples.dropna() if not 0 <= s < n})
    if samples.isna().any() or outside:
        bad = ", ".join(str(s) for s in outside) or "a missing value"
        raise ScreeningError(f"sample indices outside the design of {n} points (0-{n - 1}): {bad}")
    present = set(samples.astype(int))
    missing = [i for i in range(n) if i not in present]
    if missing:
        raise ScreeningError(
            f"Morris analysis needs all {n} sample points; {len(missing)} have no complete run: "
            f"samples {_ranges(missing)} (complete them with resume=<results folder>)"
        )
    try:
        values = runs[list(kpis)].apply(pd.to_numeric, errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise ScreeningError(f"a KPI column is not numeric: {exc}") from None
    means = values.groupby(samples.astype(int).to_numpy()).mean().sort_index()

    rows: list[dict[str, Any]] = []
    for kpi in kpis:
        y = means[kpi].to_numpy(dtype=float)
        si = morris_analyze.analyze(
            prob,
            np.array(x, dtype=float),
            y,
            num_resamples=NUM_RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=int(exp.levels),
            seed=ANALYZER_SEED,
        )
        for j, name in enumerate(prob["names"]):
            rows.append(
                {
                    "parameter": name,
                    "kpi": kpi,
                    "mu_star": float(si["mu_star"][j]),
                    "mu_star_conf": float(si["mu_star_conf"][j]),
                    "sigma": float(si["sigma"][j]),
                    "mu": float(si["mu"][j]),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
