"""Plausibility, said out loud: a run's KPIs against the bands the field patterns allow (issue 9).

A baseline that leaves 75 % of the needs unmet with counters 95 % full is not a finding about the territory but a
sign that the model is mis-set there (too few counters for a dense city's population, needs per adult calibrated on
a rural département...). :func:`check` compares a run's summary with :data:`BANDS` (documented in docs/ODD.md,
"Plausibility bands", from the patterns of the specification's section 1) and returns one :class:`Finding` per KPI
outside its band, with the likely cause; :func:`warning_lines` formats them, one line each. ``lieux`` prints them
on stderr after the KPI table (``lieux: warning: ...``), the run's ``notes.txt`` keeps them, and an experiment's
``report.md`` repeats them per scenario.

Pure functions of the summary (a mapping of KPI names to numbers): nothing here runs or reads the model. A KPI
missing from the summary, NaN, or whose run has nothing to measure (no desk place: no desk occupancy) is not
checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Band:
    """The plausible range of one KPI and what a value outside it most likely means.

    Attributes:
        kpi: the summary key (a KPI of ``summary.json``, or a derived one: ``closed_share``).
        lo, hi: the plausible range, inclusive (``-inf`` / ``inf`` for one-sided bands).
        pattern: the field pattern the band comes from (short, for the warning line).
        cause_low: the likely cause of a value below ``lo``.
        cause_high: the likely cause of a value above ``hi``.
        percent: show the values as percentages (shares).
    """

    kpi: str
    lo: float
    hi: float
    pattern: str
    cause_low: str
    cause_high: str
    percent: bool = True

    def __post_init__(self) -> None:
        if not self.lo <= self.hi:
            raise ValueError(f"band of {self.kpi}: lo {self.lo} > hi {self.hi}")


# docs/ODD.md, "Plausibility bands": the sources and reasoning of each range.
BANDS: tuple[Band, ...] = (
    Band(
        "unmet_need_rate",
        0.02,
        0.40,
        "non-recours: a sizeable minority of human-contact needs go unmet (DREES: about 1/3 for the RSA)",
        "counters and hours far beyond the demand, or too few needs per adult",
        "too few counters or opening hours for the population (or needs per adult calibrated on a rural area)",
    ),
    Band(
        "occupancy_rate_mediation",
        0.15,
        0.90,
        "a France Services handles about 3,170 requests a year with 2-2.5 agents, half its counters' capacity",
        "too many counters or hours for the demand (costs without contacts)",
        "too few counters for the population: queues turn needs away",
    ),
    Band(
        "occupancy_rate_work",
        0.40,
        0.95,
        "coworking operators find 70-90 % desk occupancy healthy and below 70 % loss-making",
        "too many desks for the teleworkers within reach (spaces should be closing)",
        "too few desks for the teleworkers within reach (or third places too attractive)",
    ),
    Band(
        "third_place_share_of_remote_days",
        0.005,
        0.25,
        "7 % of remote workers work mainly, 12 % sometimes in a coworking (Buffer 2020); fewer where they are rare",
        "third places out of reach or too dear for teleworkers",
        "third places too attractive against home (asc_third, prices, allowance)",
    ),
    Band(
        "remote_days_per_teleworker_week",
        0.8,
        2.5,
        "about 1.5 remote days a week among teleworkable employees (DARES 2023)",
        "remote-day allowance too small or home too unattractive",
        "remote-day allowance too generous",
        percent=False,
    ),
    Band(
        "access_share_20min",
        0.60,
        1.0,
        "France Services aim at every resident within 30 minutes; most needs are within 20 minutes of a counter",
        "points of contact too sparse: few places covering the providers within 20 minutes",
        "impossible (a share)",
    ),
    Band(
        "cost_per_contact_eur",
        10.0,
        150.0,
        "a France Services costs 94-200 k EUR a year for about 3,170 requests: about 30-60 EUR a contact",
        "counters overloaded (costs spread over more contacts than staff can serve)",
        "counters under-used or costly: too many counters or hours for the demand",
        percent=False,
    ),
    Band(
        "closed_share",
        0.0,
        0.10,
        "operators close loss-making places, but a baseline network is mostly viable",
        "impossible (a share)",
        "operators' costs far above their revenues (prices, demand or subsidies wrong for this territory)",
    ),
)


@dataclass(frozen=True)
class Finding:
    """A KPI outside its band.

    Attributes:
        band: the band.
        value: the run's value.
        side: ``"below"`` or ``"above"``.
    """

    band: Band
    value: float
    side: str

    @property
    def cause(self) -> str:
        """The likely cause."""
        return self.band.cause_low if self.side == "below" else self.band.cause_high


def derived(summary: Mapping[str, Any]) -> dict[str, float]:
    """The summary's numbers plus the derived KPIs the bands read (``closed_share`` = places closed / places)."""
    out = {k: float(v) for k, v in summary.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    n, closed = out.get("n_places"), out.get("places_closed")
    if n and closed is not None:
        out["closed_share"] = closed / n
    return out


def check(summary: Mapping[str, Any], bands: Sequence[Band] = BANDS) -> list[Finding]:
    """The KPIs of ``summary`` outside their bands, in the order of ``bands``.

    Args:
        summary: KPI name -> value (``summary.json``, or a row of ``runs.csv``).
        bands: the bands (default :data:`BANDS`).

    Returns:
        One finding per KPI outside its band; KPIs missing or not finite are skipped.
    """
    values = derived(summary)
    out = []
    for band in bands:
        v = values.get(band.kpi)
        if v is None or not math.isfinite(v):
            continue
        if v < band.lo:
            out.append(Finding(band, v, "below"))
        elif v > band.hi:
            out.append(Finding(band, v, "above"))
    return out


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.1f} %"
    return f"{value:,.2f}"


def _fmt_band(band: Band) -> str:
    lo = _fmt(band.lo, band.percent)
    return f"at least {lo}" if math.isinf(band.hi) else f"{lo} to {_fmt(band.hi, band.percent)}"


def warning_line(finding: Finding) -> str:
    """One line: the KPI, its value, the band, the pattern and the likely cause."""
    b = finding.band
    return (
        f"{b.kpi} = {_fmt(finding.value, b.percent)} is {finding.side} its plausible band ({_fmt_band(b)}; "
        f"{b.pattern}): likely {finding.cause}"
    )


def warning_lines(summary: Mapping[str, Any], bands: Sequence[Band] = BANDS) -> list[str]:
    """:func:`warning_line` of every finding of :func:`check`."""
    return [warning_line(f) for f in check(summary, bands)]


__all__ = ["BANDS", "Band", "Finding", "check", "derived", "warning_line", "warning_lines"]
