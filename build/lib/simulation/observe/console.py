"""Plain-text reports of a run (the KPI table printed at the end of ``lieux``)."""

from __future__ import annotations

import math
from typing import Any

from simulation.observe.metrics import KPI_NAMES

# Keys of summary.json shown above the KPIs, with their labels.
HEADER_KEYS: tuple[tuple[str, str], ...] = (
    ("scenario", "scenario"),
    ("seed", "seed"),
    ("weeks", "weeks counted"),
    ("n_residents", "residents"),
    ("n_workers", "workers"),
    ("n_makers", "makers"),
    ("runtime_s", "runtime (s)"),
)


def kpi_unit(name: str) -> str:
    """The unit of a KPI, derived from its name (shares are shown in %).

    Args:
        name: a KPI name of :data:`simulation.observe.metrics.KPI_NAMES`, or a ``snake_case`` name with a unit suffix.

    Returns:
        The unit label, or an empty string for counts and ratios.
    """
    if name.endswith(("_rate", "_share")) or "_rate_" in name or "_share_" in name:
        return "%"
    if name.endswith("_eur"):
        return "EUR"
    if name.startswith("person_km"):
        return "person-km"
    if name.endswith("_km"):
        return "km"
    if name.endswith("_t"):
        return "t CO2" if name.startswith("co2") else "t"
    if name.endswith("_days"):
        return "days"
    if "_hours" in name:
        return "h"
    if name.endswith("_s"):
        return "s"
    return ""


def format_value(value: Any, unit: str = "") -> str:
    """Format a KPI value for reading: percentages for shares, thousands separators, n/a for missing.

    Args:
        value: the value (number, None, NaN or anything printable).
        unit: the unit from :func:`kpi_unit` (``%`` multiplies by 100).

    Returns:
        The formatted value.
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        if hasattr(value, "item"):  # numpy scalar
            return format_value(value.item(), unit)
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a" if math.isnan(value) else str(value)
    if unit == "%":
        return f"{100.0 * value:.1f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if magnitude >= 0.01 or value == 0 else f"{value:.2g}"


def kpi_table(summary: dict[str, Any]) -> str:
    """An aligned plain-text table of a run's KPIs.

    The run's identity (scenario, seed, weeks, agent counts, runtime) comes first, then every KPI of
    :data:`~simulation.observe.metrics.KPI_NAMES` in order (``n/a`` when absent or undefined), then any other numeric
    key of the summary.

    Args:
        summary: the content of ``summary.json``.

    Returns:
        The table, lines joined by newlines (no trailing newline).
    """
    rows: list[tuple[str, str, str]] = []
    for key, label in HEADER_KEYS:
        if key in summary:
            rows.append((label, format_value(summary[key], "s" if key == "runtime_s" else ""), ""))
    n_header = len(rows)
    shown = {key for key, _ in HEADER_KEYS}
    names = list(KPI_NAMES) + [k for k in summary if k not in KPI_NAMES and k not in shown]
    for name in names:
        value = summary.get(name)
        if name not in KPI_NAMES and not isinstance(value, int | float):
            continue
        unit = kpi_unit(name)
        rows.append((name, format_value(value, unit), unit))

    w_name = max([len("KPI")] + [len(r[0]) for r in rows])
    w_value = max([len("value")] + [len(r[1]) for r in rows])
    w_unit = max([len("unit")] + [len(r[2]) for r in rows])
    rule = "-" * (w_name + w_value + w_unit + 4)
    lines = []
    for label, value, _ in rows[:n_header]:
        lines.append(f"{label:<{w_name}}  {value:>{w_value}}")
    if n_header:
        lines.append(rule)
    lines.append(f"{'KPI':<{w_name}}  {'value':>{w_value}}  {'unit':<{w_unit}}".rstrip())
    lines.append(rule)
    for label, value, unit in rows[n_header:]:
        lines.append(f"{label:<{w_name}}  {value:>{w_value}}  {unit:<{w_unit}}".rstrip())
    return "\n".join(lines)
