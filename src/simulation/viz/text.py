"""Words and numbers for the reader: plain names of the KPIs and their amounts with units and sensible digits.

Shared by the figures (:mod:`simulation.viz.figures`) and the report (:mod:`simulation.viz.report_md`), and
meant for any other view of the results (a dashboard). Shares (rates) are shown in % as levels and in
percentage points as differences; the other KPIs in their unit (:func:`simulation.observe.console.kpi_unit`).
"""

from __future__ import annotations

import math

import numpy as np

from simulation.observe.console import kpi_unit

# Plain words for the KPIs (the others are read from their names).
KPI_LABELS: dict[str, str] = {
    "occupancy_rate": "occupancy rate",
    "occupancy_rate_work": "desk occupancy",
    "occupancy_rate_mediation": "counter occupancy",
    "occupancy_rate_workshop": "workshop occupancy",
    "utilisation_rate": "utilisation rate",
    "contacts": "human contacts",
    "needs_human": "needs requiring a human contact",
    "unmet_need_rate": "unmet need rate",
    "mean_delay_days": "mean delay to a solution",
    "needs_per_trip": "needs solved per trip",
    "person_km_total": "person-km travelled",
    "person_km_work": "person-km of work trips",
    "person_km_service": "person-km of service trips",
    "person_km_workshop": "person-km of workshop trips",
    "travel_hours_total": "travel time",
    "co2_t": "CO2 emissions",
    "network_cost_eur": "network cost",
    "public_cost_eur": "public cost",
    "provider_cost_eur": "providers' cost",
    "cost_per_contact_eur": "cost per contact",
    "revenue_eur": "revenue",
    "subsidy_eur": "subsidies",
    "places_open_end": "places open at the end",
    "places_closed": "places closed",
    "multifunctional_places": "multifunctional places",
    "mixed_encounters": "mixed encounters",
    "access_share_20min": "share of adults within 20 min of a contact",
}


def kpi_label(kpi: str) -> str:
    """Plain words for a KPI."""
    return KPI_LABELS.get(kpi, kpi.replace("_", " "))


def is_share(kpi: str) -> bool:
    """Whether a KPI is a share (a rate in [0, 1], shown in % or percentage points)."""
    return kpi_unit(kpi) == "%"


def number(value: float, digits: int = 3) -> str:
    """A number with about ``digits`` significant digits and thousands separators; minus sign as '-'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    if magnitude == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude))))
    return f"{value:,.{min(decimals, 6)}f}"


def ci_decimals(half_width: float) -> int | None:
    """Decimals to show a difference with, from the half-width of its interval (in the unit shown).

    One significant digit of the half-width, two when it starts with 1 or 2 (0.3 -> 1 decimal, 0.15 -> 2,
    4.2 -> 0); None when the half-width is 0 or undefined (then numbers keep 3 significant digits).

    Args:
        half_width: the half-width, in the unit the numbers are shown in (points for shares).

    Returns:
        The number of decimals (0 to 6), or None.
    """
    if half_width is None or not np.isfinite(half_width) or half_width <= 0:
        return None
    exponent = int(math.floor(math.log10(half_width)))
    leading = half_width / 10**exponent
    decimals = -exponent + (1 if leading < 2.95 else 0)
    return int(min(6, max(0, decimals)))


def fixed(value: float, decimals: int | None) -> str:
    """A number with fixed decimals and thousands separators (3 significant digits when ``decimals`` is None;
    never ``-0.0``)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if decimals is None:
        return number(value)
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.0"
    return text


def format_amount(kpi: str, value: float, signed: bool = False, decimals: int | None = None) -> str:
    """A KPI amount with its unit: shares in points (of percentage), others in their unit.

    Args:
        kpi: the KPI name.
        value: the amount (a difference or a level).
        signed: prefix positive values with ``+``.
        decimals: fixed decimals (see :func:`ci_decimals`); default: 3 significant digits.

    Returns:
        e.g. ``3.4 points``, ``-12,300 person-km``, ``+1.2 t CO2``.
    """
    if value is None or not np.isfinite(value):
        return "n/a"
    unit = kpi_unit(kpi)
    text = fixed(100 * value if unit == "%" else value, decimals)
    if signed and value > 0:
        text = "+" + text
    if unit == "%":
        return f"{text} points"
    return f"{text} {unit}" if unit else text


def format_level(kpi: str, value: float) -> str:
    """A KPI level (not a difference): shares in %, others in their unit."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if is_share(kpi):
        return f"{number(100 * value)} %"
    unit = kpi_unit(kpi)
    return f"{number(value)} {unit}".strip()


def one_line(text: str) -> str:
    """The text on one line (runs of white space, newlines included, become one space)."""
    return " ".join(text.split())


def scenario_title(name: str) -> str:
    """A scenario as a reader says it: its id with spaces (``telecentre agreement``); a grid point's suffix
    (`` [key=value]``) kept as it is.

    Args:
        name: a scenario id, or a comparison label ``<id> [<grid point>]``.
    """
    head, sep, tail = name.partition(" [")
    return head.replace("_", " ") + sep + tail
