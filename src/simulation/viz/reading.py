"""The reading of a comparison for decision-makers: shares of the baseline, materiality, what the interventions did,
which kind of travel carries a change, and the one-paragraph answer.

Pure functions of tables (comparison.csv rows, the rows of
:func:`simulation.experiments.decomposition.decomposition_table`, the lines of notes.txt): the report
(:mod:`simulation.viz.report_md`), the table ``lieux`` prints after an experiment and the dashboard call the same
ones.

Vocabulary. A difference is *significant* when its 95 % interval excludes 0 (the seeds can tell its sign); it is
*material* when its size reaches the threshold of practical relevance of its KPI (``experiment.material``: a
share of the baseline's level, :data:`simulation.core.config.DEFAULT_MATERIAL`). A difference can be significant
and too small to matter (pairing makes tiny differences significant), or large and not significant (too few seeds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import DEFAULT_MATERIAL, MATERIAL_FALLBACK
from simulation.experiments.stats import is_significant
from simulation.observe.console import kpi_unit
from simulation.viz.text import is_share, kpi_label, number, scenario_title

MINUS = "\u2212"  # a real minus sign: "−2.64 M" reads as a negative number, "-2.64" as a dash


def _bold(scenario: str) -> str:
    """A scenario named as a reader says it, in bold (``**telecentre agreement**``)."""
    return f"**{scenario_title(scenario)}**"


# The words for each kind of simulation.experiments.decomposition.KINDS: its kilometres ("" when it has none of
# its own) and its count.
KIND_WORDS: dict[str, tuple[str, str]] = {
    "office": ("commutes to the office", "office days"),
    "third_place": ("trips to third places", "third-place days"),
    "home": ("", "days worked at home"),
    "errands": ("errands", "errand trips"),
    "service": ("residents' service trips", "service trips"),
    "workshop": ("makers' workshop trips", "workshop trips"),
    "sessions": ("", "maker sessions"),
}
KIND_SHARE_SHOWN = 0.1  # a kind is named when its change is at least this share of the largest kind's change
KINDS_SHOWN = 3  # at most this many kinds per sentence

TERRITORY_NAMES = {"nievre": "the Nièvre (58)", "synthetic": "a synthetic territory"}


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------
def signed(text: str, value: float) -> str:
    """``text`` (an absolute amount) with the sign of ``value``: ``+`` or a real minus, nothing for 0."""
    if not np.isfinite(value) or value == 0:
        return text
    return ("+" if value > 0 else MINUS) + text


def compact(value: float, sign: bool = False) -> str:
    """A large amount in 3 significant digits with k or M: ``2.64 M``, ``558 k``, ``12.1 k``, ``947``.

    Args:
        value: the amount.
        sign: prefix ``+`` or a minus sign (otherwise negative amounts still get their minus sign).
    """
    if value is None or not np.isfinite(value):
        return "n/a"
    a = abs(value)
    if a >= 10:
        a = float(f"{a:.3g}")  # 3 significant digits first, so that 999,999 reads 1.00 M, not 1000 k
    if a >= 1e9:
        text = f"{a / 1e6:,.0f} M"
    elif a >= 1e3:
        scaled, suffix = (a / 1e6, "M") if a >= 1e6 else (a / 1e3, "k")
        # 3 significant digits, trailing zeros kept ("1.90 M": the precision is the same for every number)
        text = f"{scaled:.{max(0, 2 - int(math.floor(math.log10(scaled))))}f} {suffix}"
    elif a >= 10:
        text = f"{a:.0f}"  # counts and small amounts: units are enough
    else:
        text = number(a)
    if sign or value < 0:
        return signed(text, value)
    return text


def amount(kpi: str, value: float, sign: bool = True) -> str:
    """A difference of a KPI with its unit: shares in points (``−3.1 points``), others compact (``+300 k EUR``)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if is_share(kpi):
        text = number(abs(100 * value), 2)
        return (signed(text, value) if sign else text) + " points"
    unit = kpi_unit(kpi)
    text = compact(value, sign=sign)
    return f"{text} {unit}".strip()


def level(kpi: str, value: float) -> str:
    """A level of a KPI with its unit: shares in %, others compact (``620 M person-km``)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if is_share(kpi):
        return f"{number(100 * value, 3)} %"
    return f"{compact(value)} {kpi_unit(kpi)}".strip()


def share_of_baseline(diff: float, base: float) -> float:
    """The difference as a share of the baseline's level (NaN when the level is 0 or unknown)."""
    if base is None or diff is None or not np.isfinite(base) or not np.isfinite(diff) or base == 0:
        return math.nan
    return float(diff) / abs(float(base))


def percent(share: float) -> str:
    """A signed share in %, with the decimals its size needs: ``−0.06 %``, ``+0.43 %``, ``−15 %``."""
    if share is None or not np.isfinite(share):
        return "n/a"
    p = 100 * share
    a = abs(p)
    if a == 0:
        return "0 %"
    if a < 0.01:
        return f"{'+' if p > 0 else MINUS}<0.01 %"
    text = f"{a:.0f}" if a >= 10 else f"{a:.1f}" if a >= 1 else f"{a:.2f}"
    return signed(text, p) + " %"


def material_threshold(kpi: str, material: Mapping[str, float] | None = None) -> float:
    """The threshold of practical relevance of a KPI, as a share of the baseline's level.

    Args:
        kpi: the KPI.
        material: ``experiment.material`` (default :data:`~simulation.core.config.DEFAULT_MATERIAL`).
    """
    table = DEFAULT_MATERIAL if material is None else material
    return float(table.get(kpi, DEFAULT_MATERIAL.get(kpi, MATERIAL_FALLBACK)))


def is_material(
    kpi: str, diff: float, base: float, material: Mapping[str, float] | None = None
) -> bool | None:
    """Whether a difference reaches its KPI's threshold of practical relevance.

    ``|diff| >= threshold x |base|``; when the baseline's level is 0, any non-zero difference is material.

    Returns:
        True or False; None when the difference or the baseline's level is unknown.
    """
    if diff is None or base is None or not np.isfinite(diff) or not np.isfinite(base):
        return None
    if diff == 0:
        return False
    if base == 0:
        return True
    return bool(abs(diff) >= material_threshold(kpi, material) * abs(base))


def verdict(row: Mapping[str, Any], material: Mapping[str, float] | None = None) -> str:
    """``material`` (significant and material), ``small`` (significant, under the threshold), ``n.s.`` (not
    significant), ``same`` (identical in every seed) or ``n/a`` (no interval)."""
    d = float(row["diff_mean"])
    if d == 0 and float(row.get("ci_low", 0)) == 0 and float(row.get("ci_high", 0)) == 0:
        return "same"
    sig = is_significant(row)
    if sig is None:
        return "n/a"
    if not sig:
        return "n.s."
    base = float(row.get("baseline_mean", math.nan))
    return "material" if is_material(str(row["kpi"]), d, base, material) is not False else "small"


def material_cell(row: Mapping[str, Any] | None, kpi: str, material: Mapping[str, float] | None) -> str:
    """A cell of a comparison table (the report's summary, the table ``lieux`` prints after an experiment): the
    difference, its share of the baseline and its interval; **bold** when significant and material, ``n.s.`` when
    not significant.

    e.g. ``**−2.64 M** (−0.43 %) [−2.68 M, −2.61 M]``, ``−558 k (−0.09 %) [−567 k, −549 k]``,
    ``+472 (+0.01 %) [−1.44 k, +2.39 k] n.s.``.
    """
    if row is None:
        return ""
    v = verdict(row, material)
    if v == "same":
        return "0 (every seed)"
    d = float(row["diff_mean"])
    text = bare(kpi, d)
    if v == "material":
        text = f"**{text}**"
    share = share_of_baseline(d, float(row.get("baseline_mean", math.nan)))
    if np.isfinite(share):
        text += f" ({percent(share)})"
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if np.isfinite(low) and np.isfinite(high):
        text += f" [{bare(kpi, low)}, {bare(kpi, high)}]"
    if v == "n.s.":
        text += " n.s."
    return text


def difference_text(row: Mapping[str, Any], interval: bool = True) -> str:
    """One difference for a sentence: ``−2.64 M person-km (−0.43 %; 95 % CI −2.68 M to −2.61 M)``."""
    kpi = str(row["kpi"])
    d, base = float(row["diff_mean"]), float(row.get("baseline_mean", math.nan))
    parts = []
    share = share_of_baseline(d, base)
    if np.isfinite(share):
        parts.append(percent(share))
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if interval and np.isfinite(low) and np.isfinite(high) and low != high:
        parts.append(f"95 % CI {bare(kpi, low)} to {bare(kpi, high)}")
    return amount(kpi, d) + (f" ({'; '.join(parts)})" if parts else "")


def short_difference(row: Mapping[str, Any]) -> str:
    """A difference inside parentheses: ``−144 k person-km, −0.09 %`` (no interval, no nested brackets)."""
    kpi = str(row["kpi"])
    d = float(row["diff_mean"])
    share = share_of_baseline(d, float(row.get("baseline_mean", math.nan)))
    return amount(kpi, d) + (f", {percent(share)}" if np.isfinite(share) else "")


def bare(kpi: str, value: float) -> str:
    """A signed difference without its unit (``−2.68 M``, ``−3.4``): the bounds of an interval."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if is_share(kpi):
        return signed(number(abs(100 * value), 2), value)
    return compact(value, sign=True)


# --------------------------------------------------------------------------------------------------
# What the interventions did (notes.txt)
# --------------------------------------------------------------------------------------------------
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^convert: (\d+) places", "converted"),
    (r"^add_places: (\d+) places added", "added"),
    (r"^close: (\d+) places removed", "closed"),
    (r"^open_offhours: (\d+) public places", "opened out of hours"),
    (r"^site: \S+, (\d+) new sites", "sited"),
    (r"^france_services: .*?, (\d+) closed", "closed"),
    (r"^france_services: .*?\), (\d+) added", "added"),
)
ACTION_ORDER = ("converted", "added", "sited", "opened out of hours", "closed")


def intervention_counts(lines: Iterable[str], scenario: str) -> dict[str, Any]:
    """What a scenario's interventions did in one run, from its ``notes.txt`` lines.

    Args:
        lines: the lines of notes.txt (``scenario <name>: <op>: ...``, one per intervention, among others).
        scenario: the scenario's name.

    Returns:
        ``{action: places}`` for the actions of :data:`ACTION_ORDER` found, plus ``"empty"``: the number of
        interventions whose selector matched nothing and ``"set"``: the ``set`` lines' changes.
    """
    head = f"scenario {scenario}: "
    out: dict[str, Any] = {}
    sets: list[str] = []
    for line in lines:
        if not line.startswith(head):
            continue
        text = line[len(head) :].strip()
        if "matched no" in text:
            out["empty"] = out.get("empty", 0) + 1
            continue
        if text.startswith("set: "):
            sets.append(text[len("set: ") :])
            continue
        for pattern, action in _PATTERNS:
            hit = re.search(pattern, text)
            if hit:
                out[action] = out.get(action, 0) + int(hit.group(1))
    if sets:
        out["set"] = sets
    return out


def interventions_text(per_run: Sequence[Mapping[str, Any]]) -> str:
    """What the interventions did, over the runs of a scenario: ``9 to 10 places converted, 6 added``.

    Args:
        per_run: :func:`intervention_counts` of each run (the counts may differ from seed to seed on a
            territory drawn at random).

    Returns:
        A clause without a final period, empty when the runs report nothing.
    """
    if not per_run:
        return ""
    parts = []
    for action in ACTION_ORDER:
        counts = [int(r.get(action, 0)) for r in per_run]
        if not any(counts):
            continue
        lo, hi = min(counts), max(counts)
        n = f"{lo}" if lo == hi else f"{lo} to {hi}"
        parts.append(f"{n} place{'s' if hi != 1 else ''} {action}")
    empty = max(int(r.get("empty", 0)) for r in per_run)
    if empty:
        parts.append(
            f"{empty} intervention{'s' if empty != 1 else ''} changed nothing (its selector matched no place or zone)"
        )
    sets = next((r["set"] for r in per_run if r.get("set")), [])
    parts += [f"set {s}" for s in sets]
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------------
# Which kind of travel carries a change (simulation.experiments.decomposition)
# --------------------------------------------------------------------------------------------------
def _kinds(decomposition: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The rows of a scenario's decomposition by kind, with their words and the ratio of the counts.

    Args:
        decomposition: one scenario's rows of :func:`simulation.experiments.decomposition.decomposition_table`
            (:func:`~simulation.experiments.decomposition.scenario_kinds`).
    """
    out = {}
    for r in decomposition.to_dict("records"):
        km_words, count_words = KIND_WORDS.get(str(r["kind"]), ("", ""))
        base, d = float(r["count_baseline"]), float(r["count_diff"])
        ratio = (base + d) / base if np.isfinite(base) and base > 0 else math.nan
        out[str(r["kind"])] = {**r, "km_label": km_words, "count_label": count_words, "count_ratio": ratio}
    return out


def _with_km(by: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The kinds with kilometres of their own and a known change (not home days, sessions or the total)."""
    return [r for r in by.values() if r["km_label"] and np.isfinite(float(r["person_km_diff"]))]


def _count_text(row: Mapping[str, Any]) -> str:
    """``sessions ×5.2`` when the count changed several-fold, else ``+12.1 k office days``."""
    ratio, d = float(row["count_ratio"]), float(row["count_diff"])
    if not np.isfinite(d) or d == 0:
        return ""
    if np.isfinite(ratio) and ratio >= 2:
        return f"{row['count_label']} ×{number(ratio, 2)}"
    return f"{compact(d, sign=True)} {row['count_label']}"


def travel_sentence(decomposition: pd.DataFrame) -> str:
    """Which kinds of travel carry a change of person-km, and why when the pattern is a known one.

    e.g. ``+1.90 M person-km: makers' workshop trips +2.14 M (workshop trips ×5.2), commutes to the office
    −0.21 M. Makers hold more sessions (×5.2): ...``

    Args:
        decomposition: one scenario's rows of :func:`simulation.experiments.decomposition.decomposition_table`
            (:func:`~simulation.experiments.decomposition.scenario_kinds`); the ``total`` row is the change of
            ``person_km_total``.

    Returns:
        The sentence, empty without a decomposition.
    """
    by = _kinds(decomposition)
    total = float(by["total"]["person_km_diff"]) if "total" in by else math.nan
    if not np.isfinite(total):
        return ""
    kinds = _with_km(by)
    if not kinds:
        return ""
    top = max(abs(float(r["person_km_diff"])) for r in kinds)
    if top == 0:
        return "unchanged (no kind of trip changes in any seed)."
    shown = sorted(
        (r for r in kinds if abs(float(r["person_km_diff"])) >= KIND_SHARE_SHOWN * top),
        key=lambda r: -abs(float(r["person_km_diff"])),
    )[:KINDS_SHOWN]
    parts = []
    for r in shown:
        count = _count_text(r)
        parts.append(
            f"{r['km_label']} {compact(r['person_km_diff'], sign=True)}" + (f" ({count})" if count else "")
        )
    text = f"{compact(total, sign=True)} person-km: " + ", ".join(parts)
    text += "; they about cancel out." if abs(total) < KIND_SHARE_SHOWN * top else "."
    why = _why(by)
    return text + (" " + why if why else "")


def _why(by: Mapping[str, Mapping[str, Any]]) -> str:
    """The explanation of a known pattern (README, "What the strategies do on the Nièvre"), from the counts.

    Args:
        by: the kinds of a scenario's decomposition (:func:`_kinds`).
    """

    def d(kind: str, col: str = "person_km_diff") -> float:
        return float(by[kind][col]) if kind in by else 0.0

    out = []
    sessions = by.get("sessions")
    if d("workshop") > 0 and sessions is not None and float(sessions["count_diff"]) > 0:
        base, ratio = float(sessions["count_baseline"]), float(sessions["count_ratio"])
        per_before = d("workshop", "person_km_baseline") / base if base > 0 else math.nan
        new_sessions = base + float(sessions["count_diff"])
        per_after = (d("workshop", "person_km_baseline") + d("workshop")) / new_sessions
        km_text = (
            f"; the km per session fall from {number(per_before)} to {number(per_after)}"
            if np.isfinite(per_before) and per_after < per_before
            else ""
        )
        ratio_text = f" (×{number(ratio, 2)})" if np.isfinite(ratio) else ""
        out.append(
            f"Makers hold more sessions{ratio_text}: seats nearer to them serve makers who stayed home in the "
            f"baseline{km_text}. It is more activity, not longer trips for the same activity."
        )
    third = d("third_place", "count_diff")
    office, home = d("office", "count_diff"), d("home", "count_diff")
    if third > 0 and home < 0 and abs(home) > abs(office):
        out.append(
            f"Most new third-place days ({compact(third, sign=True)}) replace days at home "
            f"({compact(home, sign=True)}), not at the office ({compact(office, sign=True)}): a day at a third "
            "place uses the remote-day allowance."
        )
    elif third > 0 and office < 0 and abs(office) >= abs(home):
        out.append(
            f"Third-place days ({compact(third, sign=True)}) replace office days ({compact(office, sign=True)}): "
            "days worked nearer home."
        )
    service_trips = d("service", "count_diff")
    if "service" in by and service_trips > 0:
        base_n, base_km = d("service", "count_baseline"), d("service", "person_km_baseline")
        if base_n > 0 and service_trips >= 0.01 * base_n:  # 1 % more trips at least: not noise
            before, after = base_km / base_n, (base_km + d("service")) / (base_n + service_trips)
            if after < 0.98 * before:
                out.append(
                    f"Residents make {compact(service_trips)} more service trips, each shorter "
                    f"({number(before)} to {number(after)} km)."
                )
    return " ".join(out)


# --------------------------------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------------------------------
ACCESS_KPIS = ("unmet_need_rate", "access_share_20min")  # named in the answer when significant and material
COST_KPIS = ("public_cost_eur", "network_cost_eur")  # the cost of a strategy, the public's first


def _rows(comparison: pd.DataFrame, kpi: str) -> dict[str, dict[str, Any]]:
    part = comparison[comparison["kpi"] == kpi]
    return {str(r["scenario"]): r for r in part.to_dict("records")}


def main_kind(decomposition: pd.DataFrame) -> str:
    """The kind of trip whose kilometres change most: ``makers' workshop trips +2.14 M, maker sessions ×5.2``.

    Args:
        decomposition: one scenario's rows of :func:`simulation.experiments.decomposition.decomposition_table`.
    """
    by = _kinds(decomposition)
    kinds = _with_km(by)
    if not kinds:
        return ""
    r = max(kinds, key=lambda r: abs(float(r["person_km_diff"])))
    if float(r["person_km_diff"]) == 0:
        return ""
    count = _count_text(r)
    if r["kind"] == "workshop" and "sessions" in by:
        # the sessions, not the trips, say why: more activity (makers who stayed home), not longer trips
        count = _count_text(by["sessions"]) or count
    # a comma, not brackets: this clause is itself said inside brackets
    return f"{r['km_label']} {compact(r['person_km_diff'], sign=True)}" + (f", {count}" if count else "")


def _cost_clause(row: Mapping[str, Any] | None, material: Mapping[str, float] | None) -> str:
    if row is None:
        return ""
    what = kpi_label(str(row["kpi"]))
    v = verdict(row, material)
    if v == "same":
        return f"at no change in {what}"
    if v == "n.s.":
        return f"at a {what} not distinguishable from the baseline's ({difference_text(row)})"
    return f"at a {what} of {difference_text(row)}"


def answer_paragraph(
    comparison: pd.DataFrame,
    scenarios: Sequence[str],
    material: Mapping[str, float] | None = None,
    travel: Mapping[str, str] | None = None,
    territory: str = "",
    seeds: int | None = None,
    noun: str = "strategies",
    weeks: int | None = None,
) -> str:
    """The answer to "which strategy saves the most travel, at what cost", with the numbers that support it.

    Args:
        comparison: comparison.csv (``scenario, kpi, diff_mean, ci_low, ci_high, baseline_mean``...).
        scenarios: the compared scenarios, in order.
        material: ``experiment.material``.
        travel: per scenario, the kind of trip that carries its change (:func:`main_kind`).
        territory: the territory, in words (``the Nièvre (58)``).
        seeds: the number of paired seeds.
        noun: what the compared arms are (``strategies``; on a grid, each strategy at each grid point).
        weeks: the counted weeks (the differences are totals over them).

    Returns:
        One paragraph (Markdown, the strategies in bold), empty when ``person_km_total`` is not compared.
    """
    km = _rows(comparison, "person_km_total")
    if not km:
        return ""
    travel = travel or {}
    cost_kpi = next((k for k in COST_KPIS if (comparison["kpi"] == k).any()), None)
    cost = _rows(comparison, cost_kpi) if cost_kpi else {}
    names = [s for s in scenarios if s in km]
    saving = sorted(
        (s for s in names if is_significant(km[s]) and float(km[s]["diff_mean"]) < 0),
        key=lambda s: float(km[s]["diff_mean"]),
    )
    adding = sorted(
        (s for s in names if is_significant(km[s]) and float(km[s]["diff_mean"]) > 0),
        key=lambda s: -float(km[s]["diff_mean"]),
    )
    same = [s for s in names if verdict(km[s], material) == "same"]
    unclear = [s for s in names if s not in saving and s not in adding and s not in same]
    where = (f" on {territory}" if territory else "") + (
        f" over {weeks} counted week{'s' if weeks != 1 else ''}" if weeks else ""
    )
    seeds_text = f" with {seeds} seeds" if seeds else ""
    threshold = material_threshold("person_km_total", material)
    out = []
    first = next(iter(km.values()))
    base_text = level("person_km_total", float(first.get("baseline_mean", math.nan)))
    levels = {round(float(r.get("baseline_mean", math.nan)), 6) for r in km.values()}
    travels = f" (the baseline travels {base_text})" if len(levels) == 1 else ""  # one level, not a grid
    if saving:
        best = saving[0]
        r = km[best]
        small = (
            f", below the {percent(threshold).lstrip('+')} judged material"
            if verdict(r, material) == "small"
            else ""
        )
        cost_text = _cost_clause(cost.get(best), material)
        out.append(
            (
                f"Of the {len(names)} {noun} compared with the baseline{where}, {_bold(best)} saves the most travel: "
                if len(names) > 1
                else f"Compared with the baseline{where}, {_bold(best)} saves travel: "
            )
            + f"{difference_text(r)}"
            + (f" of the baseline's {base_text}" if travels else "")
            + f"{small}"
            + (f", {cost_text}" if cost_text else "")
            + "."
        )
        network = _rows(comparison, "network_cost_eur").get(best)
        if (
            cost_kpi != "network_cost_eur"
            and network is not None
            and verdict(network, material) == "material"
        ):
            out[-1] = out[-1][:-1] + f" and a network cost of {difference_text(network)}."
        kmeur = _per_euro(r, network if network is not None else cost.get(best))
        if kmeur:
            out.append(kmeur)
        if len(saving) > 1:
            others = []
            for s in saving[1:]:
                paid = (
                    f"; {kpi_label(cost_kpi)} {amount(cost_kpi, float(cost[s]['diff_mean']))}"
                    if cost_kpi and s in cost
                    else ""
                )
                others.append(f"{_bold(s)} ({short_difference(km[s])}{paid})")
            out.append("Also saving travel: " + ", ".join(others) + ".")
    elif len(names) == 1:
        out.append(
            f"The strategy compared with the baseline{where} does not save travel significantly{seeds_text}"
            f"{travels}."
        )
    else:
        out.append(
            f"None of the {len(names)} {noun} compared with the baseline{where} saves travel significantly"
            f"{seeds_text}{travels}."
        )

    def paid(s: str) -> str:  # a material cost, said beside the strategy
        r = cost.get(s)
        if cost_kpi is None or r is None or verdict(r, material) != "material":
            return ""
        return f"{kpi_label(cost_kpi)} {amount(cost_kpi, float(r['diff_mean']))}"

    if adding:
        parts = []
        for s in adding:
            extra = [e for e in (travel.get(s, ""), paid(s)) if e]
            parts.append(f"{_bold(s)} ({'; '.join([short_difference(km[s]), *extra])})")
        verb = "adds" if len(adding) == 1 else "add"
        out.append(f"{_join(parts)} {verb} travel.")
    if unclear:
        what = "change in travel of" if len(unclear) == 1 else "changes in travel of"
        verb = "is" if len(unclear) == 1 else "are"
        out.append(
            f"The {what} {_join([_bold(s) + (f' ({paid(s)})' if paid(s) else '') for s in unclear])} {verb} "
            f"not distinguishable from zero{seeds_text}."
        )
    if same:
        verb = "leaves" if len(same) == 1 else "leave"
        out.append(f"{_join([_bold(s) for s in same])} {verb} travel unchanged in every seed.")
    access: dict[str, list[str]] = {}
    for kpi in ACCESS_KPIS:
        for s, r in _rows(comparison, kpi).items():
            if s in names and verdict(r, material) == "material":
                better = (float(r["diff_mean"]) < 0) == (kpi == "unmet_need_rate")
                access.setdefault(s, []).append(
                    f"{'better' if better else 'worse'} {kpi_label(kpi)} ({short_difference(r)})"
                )
    if access:
        said = [
            f"{_bold(s)}: {_join(parts)}"
            for s, parts in sorted(access.items(), key=lambda i: names.index(i[0]))
        ]
        out.append("For access to services: " + "; ".join(said) + ".")
    return " ".join(out)


def _per_euro(km: Mapping[str, Any], cost: Mapping[str, Any] | None) -> str:
    if cost is None or not is_significant(km) or not is_significant(cost):
        return ""
    saved, extra = -float(km["diff_mean"]), float(cost["diff_mean"])
    if saved > 0 and extra > 0:
        return f"That is {number(saved / extra)} person-km saved per extra euro of {kpi_label(str(cost['kpi']))}."
    if saved > 0 and extra < 0:
        return "It saves money as well: no trade-off to price."
    return ""


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def territory_text(summary: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> str:
    """The territory in words: ``the Nièvre (58)``, ``a synthetic territory``, the zones' folder of
    ``territory=files``, the departements or communes of ``territory=france``.

    Args:
        summary: a run's summary (``territory``).
        config: the run's resolved configuration (``territory.zones``, ``territory.departements``...).
    """
    name = str(summary.get("territory") or "")
    t = (config or {}).get("territory") or {}
    if name in TERRITORY_NAMES:
        return TERRITORY_NAMES[name]
    if name.startswith("files") or t.get("kind") == "files":
        zones = t.get("zones")
        if zones:
            folder = Path(str(zones)).resolve().parent.name
            return f"the territory of {folder}/" if folder else "the territory of the input files"
        return "the territory of the input files"
    if t.get("kind") == "france":
        deps, communes = t.get("departements") or [], t.get("communes") or []
        if deps:
            return "departement" + ("s " if len(deps) > 1 else " ") + ", ".join(map(str, deps))
        if communes:
            return f"{len(communes)} communes ({', '.join(map(str, communes[:3]))}{'...' if len(communes) > 3 else ''})"
    return name or "the territory"
