"""Figures of an experiment: tables in, a matplotlib :class:`~matplotlib.figure.Figure` out.

Every function takes DataFrames (the files of a results folder or of a run folder, already read) and returns a
Figure, or None when its tables hold nothing to draw. None of them reads or writes a file and none uses pyplot's
global state (figures are built with ``Figure()``), so they are safe to call from several threads, e.g. by a web
dashboard. :mod:`simulation.viz.report_md` reads a results folder, calls them and saves the PNGs.

- :func:`map_figure`: the territory, zones shaded by population, places sized by occupancy and coloured by
  profile, one panel per run;
- :func:`heatmap_figure`: occupancy of the busiest places by the 21 slots of the week, one panel per run;
- :func:`travel_cost_figure`: the change in person-km, CO2 and network cost against the baseline
  with their 95 % confidence intervals (comparison.csv);
- :func:`mutualisation_figure`: cost per contact of each provider, baseline against each scenario
  (:func:`provider_costs` of the runs' providers.csv);
- :func:`screening_figure`: Morris mu* against sigma per KPI (screening.csv);
- :func:`sweep_figure`: each main KPI against one swept parameter, a line with its 95 % band per scenario
  (response.csv).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.core.timetable import DAYS, N_PARTS, N_SLOTS, PARTS
from simulation.experiments.stats import is_significant
from simulation.observe.console import kpi_unit
from simulation.viz.text import is_share, kpi_label

PROFILES: tuple[str, ...] = ("mediation", "work", "workshop", "multifunctional", "inert")
PROFILE_COLOURS: dict[str, str] = {
    "mediation": "#d62728",
    "work": "#1f77b4",
    "workshop": "#2ca02c",
    "multifunctional": "#9467bd",
    "inert": "#8c8c8c",
}
PROFILE_TEXT: dict[str, str] = {
    "mediation": "mediation (counters)",
    "work": "work (desks)",
    "workshop": "workshop (seats)",
    "multifunctional": "multifunctional (2+ activities)",
    "inert": "inert (no activity served)",
}
HEATMAP_MAX_PLACES = 40  # rows of a heatmap panel (the busiest places)
MAP_NAMED_PLACES = 5  # places named on each map panel (the busiest, by users)


@dataclass(frozen=True)
class RunTables:
    """The tables of one run that the map and the heatmap draw (None when the run folder lacks one).

    Attributes:
        label: the panel's title, e.g. ``baseline (seed 0)``.
        zones: zones.csv.
        places: places.csv.
        slots: slots.parquet.
    """

    label: str
    zones: pd.DataFrame | None = None
    places: pd.DataFrame | None = None
    slots: pd.DataFrame | None = None


# --------------------------------------------------------------------------------------------------------
# Tables behind the figures
# --------------------------------------------------------------------------------------------------------


def place_names(places: pd.DataFrame) -> dict[str, str]:
    """``{place_id: name}`` from places.csv (the id where the name is blank; a name shared by several places
    gets its id in brackets, so that two rows never read the same)."""
    ids = places["place_id"].astype(str)
    if "name" not in places:
        return dict(zip(ids, ids, strict=True))
    names = places["name"].astype(object).where(places["name"].notna(), "").astype(str).str.strip()
    names = names.where(names != "", ids)
    shared = names.duplicated(keep=False)
    names = names.where(~shared, names + " [" + ids + "]")
    return dict(zip(ids, names, strict=True))


def place_profiles(places: pd.DataFrame, slots: pd.DataFrame | None) -> pd.Series:
    """The profile of each place: mediation, work, workshop, multifunctional or inert.

    A place is inert when it serves no activity at the end (``active`` false). Otherwise its activities are
    those with capacity in ``slots.parquet`` (else those with desks, counters or workshop seats): two or more
    make it multifunctional.

    Args:
        places: places.csv of a run.
        slots: slots.parquet of the same run, or None.

    Returns:
        The profile per row of ``places`` (same index).
    """
    served: dict[str, set[str]] = {}
    if slots is not None and not slots.empty:
        open_rows = slots[slots["capacity"] > 0]
        for pid, acts in open_rows.groupby("place_id", observed=True)["activity"]:
            served[str(pid)] = {str(a) for a in acts.unique()}
    columns = {"work": "desks", "mediation": "counters", "workshop": "workshop_seats"}
    profiles = []
    for row in places.itertuples(index=False):
        active = str(getattr(row, "active", True)).strip().lower() in ("true", "1", "1.0")
        if not active:
            profiles.append("inert")
            continue
        acts = served.get(str(row.place_id))
        if not acts:
            acts = {a for a, c in columns.items() if float(getattr(row, c, 0) or 0) > 0}
        n_declared = int(getattr(row, "activities", 0) or 0)
        if len(acts) >= 2 or (n_declared >= 2 and len(acts) != 1):
            profiles.append("multifunctional")
        elif len(acts) == 1:
            profiles.append(next(iter(acts)))
        else:
            profiles.append("inert")
    return pd.Series(profiles, index=places.index)


def occupancy_grid(slots: pd.DataFrame) -> pd.DataFrame:
    """Occupancy per place and slot of the week: users / capacity summed over weeks and activities.

    Args:
        slots: slots.parquet of a run.

    Returns:
        A frame indexed by place_id with 21 columns (slot index ``day * 3 + part``, Mon AM .. Sun EV); NaN where
        the place never opened in that slot.
    """
    day = slots["day"].astype(str).map({d: i for i, d in enumerate(DAYS)})
    part = slots["slot"].astype(str).map({p: i for i, p in enumerate(PARTS)})
    frame = pd.DataFrame(
        {
            "place_id": slots["place_id"].astype(str).to_numpy(),
            "s": (day * N_PARTS + part).to_numpy(),
            "users": slots["users"].to_numpy(float),
            "capacity": slots["capacity"].to_numpy(float),
        }
    )
    agg = frame.groupby(["place_id", "s"])[["users", "capacity"]].sum()
    ratio = (agg["users"] / agg["capacity"].where(agg["capacity"] > 0)).unstack("s")
    return ratio.reindex(columns=range(N_SLOTS))


def provider_costs(runs: Iterable[tuple[str, pd.DataFrame | None]]) -> pd.DataFrame:
    """Cost per contact per provider and scenario, the mean over the runs (seeds) of each scenario.

    An extra provider ``all providers`` is the total cost over the total contacts of each run.

    Args:
        runs: ``(scenario, providers.csv of one run)`` for every run (None or empty tables are skipped).

    Returns:
        Columns ``scenario, provider, mean, sd, n`` (EUR per contact).
    """
    rows: list[dict[str, Any]] = []
    for scenario, prov in runs:
        if prov is None or prov.empty:
            continue
        cost = pd.to_numeric(prov["cost_eur"], errors="coerce")
        contacts = pd.to_numeric(prov["contacts"], errors="coerce")
        per = np.where(contacts > 0, cost / contacts.where(contacts > 0), np.nan)
        for pid, value in zip(prov["provider_id"].astype(str), per, strict=True):
            rows.append({"scenario": scenario, "provider": pid, "value": value})
        total = float(contacts.sum())
        rows.append(
            {
                "scenario": scenario,
                "provider": "all providers",
                "value": float(cost.sum()) / total if total > 0 else np.nan,
            }
        )
    if not rows:
        return pd.DataFrame(columns=["scenario", "provider", "mean", "sd", "n"])
    frame = pd.DataFrame(rows)
    agg = frame.groupby(["scenario", "provider"], sort=False)["value"].agg(["mean", "std", "count"])
    return agg.rename(columns={"std": "sd", "count": "n"}).reset_index()


# --------------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------------


def map_figure(runs: Sequence[RunTables], territory: str = "the territory") -> Figure | None:
    """Map of the territory, one panel per run (e.g. one representative run per scenario).

    Zones are grey circles shaded by their adult population (log scale); places sit around their zone's
    centre, coloured by profile (:func:`place_profiles`) and sized by their occupancy rate over the counted
    weeks. The first panel's zones set the extent and the colour scale.

    Args:
        runs: the panels; each needs ``zones`` (``zone_id, x_km, y_km, population``) and ``places``
            (``place_id, zone_id, occupancy_rate``, ``active`` and the capacities); ``slots`` refines profiles.
        territory: the territory's name, in the title.

    Returns:
        The figure, or None when no run has both zones and places.
    """
    panels = [
        (run.label, run.zones, run.places, place_profiles(run.places, run.slots))
        for run in runs
        if run.zones is not None and run.places is not None
    ]
    if not panels:
        return None
    zones0 = panels[0][1]
    x_all, y_all = zones0["x_km"].to_numpy(float), zones0["y_km"].to_numpy(float)
    spacing = _nearest_spacing(x_all, y_all)
    pad = spacing
    xlim = (x_all.min() - pad, x_all.max() + pad)
    ylim = (y_all.min() - pad, y_all.max() + pad)
    rows, cols = _grid(len(panels))
    panel_in = 5.0
    aspect = (ylim[1] - ylim[0]) / max(xlim[1] - xlim[0], 1e-9)
    fig = Figure(figsize=(cols * panel_in + 1.2, rows * panel_in * aspect + 2.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    pop = zones0["population"].to_numpy(float)
    norm = mcolors.LogNorm(
        vmin=max(1.0, np.nanmin(pop[pop > 0]) if (pop > 0).any() else 1.0), vmax=max(2.0, np.nanmax(pop))
    )
    # marker area so that neighbouring zone circles nearly touch: km -> points
    points_per_km = panel_in * 0.8 * 72 / max(xlim[1] - xlim[0], 1e-9)
    zone_size = max(4.0, (0.9 * spacing * points_per_km) ** 2)
    greys = matplotlib.colormaps["Greys"]
    zone_cmap = mcolors.LinearSegmentedColormap.from_list("zones", [greys(0.06), greys(0.6)])
    mappable = None
    for ax, (title, zones, places, profiles) in zip(axes.flat, panels, strict=False):
        zpop = zones["population"].to_numpy(float)
        mappable = ax.scatter(
            zones["x_km"],
            zones["y_km"],
            s=zone_size,
            c=np.clip(zpop, norm.vmin, None),
            cmap=zone_cmap,
            norm=norm,
            marker="o",
            linewidths=0,
            zorder=1,
        )
        xy = zones.set_index(zones["zone_id"].astype(str))[["x_km", "y_km"]]
        p = places.assign(profile=profiles.to_numpy(), zone_id=places["zone_id"].astype(str))
        p = p[p["zone_id"].isin(xy.index)]
        # spread the places of a zone on a small circle around its centre
        rank = p.groupby("zone_id").cumcount().to_numpy()
        count = p.groupby("zone_id")["zone_id"].transform("size").to_numpy()
        # a ring for a few places, a sunflower spiral for many
        golden = np.pi * (3 - math.sqrt(5))
        ring = count <= 6
        angle = np.where(ring, 2 * np.pi * rank / np.maximum(count, 1), rank * golden)
        radius = np.where(
            ring,
            np.where(count > 1, 0.28 * spacing, 0.0),
            0.5 * spacing * np.sqrt((rank + 0.5) / np.maximum(count, 1)),
        )
        px = xy.loc[p["zone_id"], "x_km"].to_numpy() + radius * np.cos(angle)
        py = xy.loc[p["zone_id"], "y_km"].to_numpy() + radius * np.sin(angle)
        occ = pd.to_numeric(p["occupancy_rate"], errors="coerce").fillna(0).clip(0, 1.5).to_numpy()
        inert = (p["profile"] == "inert").to_numpy()
        ax.scatter(
            px[inert],
            py[inert],
            s=6,
            marker="x",
            c=PROFILE_COLOURS["inert"],
            linewidths=0.6,
            alpha=0.7,
            zorder=2,
        )
        for profile in PROFILES[:-1]:
            m = (p["profile"] == profile).to_numpy()
            if m.any():
                ax.scatter(
                    px[m],
                    py[m],
                    s=_occupancy_size(occ[m]),
                    c=PROFILE_COLOURS[profile],
                    edgecolors="black",
                    linewidths=0.5,
                    alpha=0.85,
                    zorder=3,
                )
        # the busiest places by name (one per zone: the places of a zone sit too close to name two), labels
        # alternately above and below so that neighbouring towns' names do not overlap
        if "users" in p:
            users = pd.to_numeric(p["users"], errors="coerce").fillna(0).to_numpy()
            names = place_names(places)
            zone_ids = p["zone_id"].to_numpy()
            seen: set[str] = set()
            chosen = []
            for i in np.argsort(-users, kind="stable"):
                if inert[i] or users[i] <= 0 or zone_ids[i] in seen:
                    continue
                seen.add(zone_ids[i])
                chosen.append(i)
                if len(chosen) == MAP_NAMED_PLACES:
                    break
            for k, i in enumerate(chosen):
                ax.annotate(
                    names.get(str(p["place_id"].iloc[i]), ""),
                    (px[i], py[i]),
                    xytext=(6, 6 if k % 2 == 0 else -10),
                    textcoords="offset points",
                    fontsize=6,
                    zorder=4,
                    arrowprops={"arrowstyle": "-", "linewidth": 0.4, "color": "black"},
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "linewidth": 0},
                )
        n_active = int((~inert).sum())
        ax.set_title(f"{title}: {n_active} active places", fontsize=11)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=axes, shrink=0.6, pad=0.01)
        bar.set_label("adults living in the zone (log scale)")
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=8,
            markerfacecolor=PROFILE_COLOURS[p],
            markeredgecolor="black",
            label=PROFILE_TEXT[p],
        )
        for p in PROFILES[:-1]
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="x",
            linestyle="",
            markersize=6,
            color=PROFILE_COLOURS["inert"],
            label=PROFILE_TEXT["inert"],
        )
    )
    for occ_level in (0.25, 0.5, 1.0):
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=math.sqrt(_occupancy_size(np.array([occ_level]))[0]),
                markerfacecolor="white",
                markeredgecolor="black",
                label=f"occupancy {occ_level:.0%}",
            )
        )
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9, frameon=False)
    fig.suptitle(
        f"{territory}: zones shaded by population; places coloured by profile, sized by occupancy "
        "(counted weeks)",
        fontsize=13,
    )
    return fig


def heatmap_figure(runs: Sequence[RunTables], max_places: int = HEATMAP_MAX_PLACES) -> Figure | None:
    """Occupancy heatmap: the busiest active places by the 21 slots of the week, one panel per run.

    Args:
        runs: the panels; each needs ``slots`` (slots.parquet: ``place_id, day, slot, users, capacity``);
            ``places`` (places.csv) keeps the active places only and colours their names by profile.
        max_places: the most places per panel (the busiest, by users over the counted weeks).

    Returns:
        The figure, or None when no run has slots.
    """
    panels: list[tuple[str, pd.DataFrame, int, dict[str, str], dict[str, str]]] = []
    for run in runs:
        slots, places = run.slots, run.places
        if slots is None or slots.empty:
            continue
        profile_of: dict[str, str] = {}
        names: dict[str, str] = {}
        if places is not None:
            profile_of = dict(zip(places["place_id"].astype(str), place_profiles(places, slots), strict=True))
            names = place_names(places)
        grid = occupancy_grid(slots)
        users = slots.assign(place_id=slots["place_id"].astype(str)).groupby("place_id")["users"].sum()
        if places is not None and "active" in places:
            active_ids = set(
                places.loc[places["active"].astype(str).str.lower() == "true", "place_id"].astype(str)
            )
            grid = grid[grid.index.isin(active_ids)]
        n_active = len(grid)
        order = users.reindex(grid.index).fillna(0).sort_values(ascending=False, kind="stable").index
        grid = grid.loc[order[:max_places]]
        panels.append((run.label, grid, n_active, profile_of, names))
    if not panels:
        return None
    rows, cols = _grid(len(panels))
    max_rows = max(len(p[1]) for p in panels)
    panel_h = 1.6 + 0.16 * max(max_rows, 5)
    fig = Figure(figsize=(cols * 5.6 + 1.0, rows * panel_h + 1.2), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="#e6e6e6")
    image = None
    over = False
    for ax, (title, grid, n_active, profile_of, name_of) in zip(axes.flat, panels, strict=False):
        values = grid.to_numpy(float)
        over = over or bool(np.nanmax(values, initial=0) > 1.0)
        image = ax.imshow(
            np.ma.masked_invalid(values), aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest"
        )
        ax.set_xticks(range(N_SLOTS))
        ax.set_xticklabels(
            [f"{d} {p}" if p == "AM" else p for d in DAYS for p in PARTS], rotation=90, fontsize=7
        )
        ax.set_yticks(range(len(grid)))
        ax.set_yticklabels([name_of.get(str(pid), str(pid)) for pid in grid.index], fontsize=6)
        for label, pid in zip(ax.get_yticklabels(), grid.index, strict=True):
            label.set_color(PROFILE_COLOURS.get(profile_of.get(str(pid), ""), "black"))
        for boundary in range(N_PARTS, N_SLOTS, N_PARTS):  # a line between days
            ax.axvline(boundary - 0.5, color="white", linewidth=1.5)
        shown = (
            f"the {len(grid)} busiest of {n_active} active places"
            if n_active > len(grid)
            else (f"all {n_active} active places")
        )
        ax.set_title(f"{title}: {shown}", fontsize=10)
        ax.set_xlabel("slot of the week (AM, PM, EV of each day)")
        ax.set_ylabel("place (busiest first)")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.5, pad=0.01, extend="max" if over else "neither")
        bar.set_label("occupancy (users / capacity, all activities, mean over weeks)")
    handles = [Patch(color=PROFILE_COLOURS[p], label=PROFILE_TEXT[p]) for p in PROFILES[:-1]]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=4,
        fontsize=9,
        frameon=False,
        title="colour of the place's name: its profile",
        title_fontsize=9,
    )
    fig.suptitle("Occupancy by slot of the week (grey: closed)", fontsize=13)
    return fig


def travel_cost_figure(
    comparison: pd.DataFrame,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    weeks: int | None = None,
    pairing: str = "paired",
) -> Figure | None:
    """Change in travel (person-km, CO2) and in network cost per scenario against the baseline, 95 % CIs.

    Each bar is the difference scenario minus baseline, so more travel is drawn as more travel (to the right)
    and less travel to the left; filled bars are significant (the CI excludes 0,
    :func:`simulation.experiments.stats.is_significant`), hollow bars are not.

    Args:
        comparison: the table of comparison.csv (``scenario, kpi, diff_mean, ci_low, ci_high``, optionally
            ``n``).
        scenarios: the scenarios to show, in order (default: those of ``comparison``).
        baseline: the reference scenario (in the title).
        weeks: the counted weeks (in the title), None when unknown.
        pairing: ``paired`` or ``independent`` (in the title).

    Returns:
        The figure, or None when the table has none of ``person_km_total``, ``co2_t``, ``network_cost_eur``.
    """
    period = f"over {weeks} counted weeks" if weeks else "over the counted weeks"
    specs = [
        (
            "person_km_total",
            1.0,
            1e-3,
            "#1f77b4",
            "thousand person-km (\u2190 less travel | more travel \u2192)",
            "Change in travel (person-km)",
        ),
        (
            "co2_t",
            1.0,
            1.0,
            "#2ca02c",
            "tonnes of CO2 (\u2190 less | more \u2192)",
            "Change in CO2 emissions",
        ),
        (
            "network_cost_eur",
            1.0,
            1e-3,
            "#d62728",
            "thousand EUR (\u2190 cheaper | dearer \u2192)",
            "Change in network cost",
        ),
    ]
    specs = [s for s in specs if (comparison["kpi"] == s[0]).any()]
    if not specs:
        return None
    present = list(dict.fromkeys(comparison["scenario"].astype(str)))
    scenarios = [s for s in scenarios if s in present] if scenarios is not None else present
    rows = {(str(r["scenario"]), str(r["kpi"])): r for _, r in comparison.iterrows()}
    fig = Figure(figsize=(5.0 * len(specs), 1.6 + 0.55 * len(scenarios)), layout="constrained")
    axes = fig.subplots(1, len(specs), squeeze=False)[0]
    n_values: set[int] = set()
    for ax, (kpi, sign, scale, colour, xlabel, title) in zip(axes, specs, strict=True):
        vals, lows, highs, sig = [], [], [], []
        for scenario in scenarios:
            row = rows.get((scenario, kpi))
            if row is None:
                vals.append(np.nan)
                lows.append(np.nan)
                highs.append(np.nan)
                sig.append(None)
                continue
            if "n" in row and pd.notna(row["n"]):
                n_values.add(int(row["n"]))
            a, b = sign * float(row["ci_low"]) * scale, sign * float(row["ci_high"]) * scale
            vals.append(sign * float(row["diff_mean"]) * scale)
            lows.append(min(a, b))
            highs.append(max(a, b))
            sig.append(is_significant(row))
        _bar_panel(ax, scenarios, np.array(vals), np.array(lows), np.array(highs), sig, colour, xlabel, title)
    legend = [
        Patch(facecolor="grey", edgecolor="grey", label="significant (95 % CI excludes 0)"),
        Patch(facecolor="white", edgecolor="grey", label="not distinguishable from 0"),
        Line2D([], [], color="black", marker="|", markersize=10, label="95 % confidence interval"),
    ]
    fig.legend(handles=legend, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    n_text = f"{'/'.join(str(n) for n in sorted(n_values))} seeds" if n_values else "the seeds"
    fig.suptitle(
        f"Against {baseline}, {period}: change in travel and in network cost (right: more, left: less)\n"
        f"mean {pairing} difference over {n_text}, 95 % confidence intervals",
        fontsize=12,
    )
    return fig


def mutualisation_figure(
    costs: pd.DataFrame,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    runs_are: str = "seed",
) -> Figure | None:
    """Cost per contact per provider, the baseline against each scenario (grouped bars, mean over seeds).

    Args:
        costs: the table of :func:`provider_costs` (``scenario, provider, mean, sd, n``).
        scenarios: the scenarios to show, in order (default: those of ``costs``).
        baseline: the reference scenario (drawn in dark grey).
        runs_are: what the runs averaged per scenario are, in the title (``seed``; ``run`` on a grid, where a
            scenario's runs span seeds and grid points).

    Returns:
        The figure, or None when ``costs`` is empty.
    """
    if costs.empty:
        return None
    present = list(dict.fromkeys(costs["scenario"].astype(str)))
    scenarios = [s for s in scenarios if s in present] if scenarios is not None else present
    providers = list(dict.fromkeys(costs["provider"]))
    table = costs.pivot(index="provider", columns="scenario", values="mean").reindex(
        index=providers, columns=scenarios
    )
    sd = costs.pivot(index="provider", columns="scenario", values="sd").reindex(
        index=providers, columns=scenarios
    )
    n_max = int(costs["n"].max())
    n_bars = len(providers) * max(1, len(scenarios))
    fig = Figure(figsize=(max(9.0, min(15.0, 0.22 * n_bars + 3)), 6.0), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(scenarios))
    x = np.arange(len(providers))
    palette = matplotlib.colormaps["tab10"]
    for i, scenario in enumerate(scenarios):
        colour = "#4d4d4d" if scenario == baseline else palette(i % 10)
        err = sd[scenario].to_numpy(float) if n_max > 1 else None
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            table[scenario].to_numpy(float),
            width,
            yerr=err,
            color=colour,
            label=scenario + (" (reference)" if scenario == baseline else ""),
            error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "black"},
        )
    ax.set_xticks(x)
    ax.set_xticklabels(providers, rotation=0)
    ax.set_xlabel("provider (all providers: total providers' cost / total contacts)")
    ax.set_ylabel("cost per contact (EUR per need solved)")
    finite = table.to_numpy(float)[np.isfinite(table.to_numpy(float))]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 25:
        ax.set_yscale("log")
        ax.set_ylabel("cost per contact (EUR per need solved, log scale)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9, ncol=min(3, len(scenarios)), loc="upper right")
    seeds = f"mean over {n_max} {runs_are}{'s' if n_max != 1 else ''}" + (
        ", bars: ± 1 sd" if n_max > 1 else ""
    )
    ax.set_title(f"Mutualisation: what each provider pays per contact ({seeds})", fontsize=12)
    return fig


def screening_figure(screening: pd.DataFrame | None) -> Figure | None:
    """Morris screening: mu* against sigma per KPI, each point a parameter (labelled).

    The horizontal bars are the 95 % bootstrap intervals of mu*; points above the dashed line ``sigma = mu*``
    act non-linearly or interact with the other parameters.

    Args:
        screening: the table of screening.csv (``parameter, kpi, mu_star, sigma``, optionally ``mu_star_conf``).

    Returns:
        The figure, or None when the table is empty.
    """
    scr = screening
    if scr is None or scr.empty:
        return None
    kpis = list(dict.fromkeys(scr["kpi"].astype(str)))
    rows, cols = _grid(len(kpis))
    fig = Figure(figsize=(cols * 5.2, rows * 4.6 + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        part = scr[scr["kpi"].astype(str) == kpi]
        mu = part["mu_star"].to_numpy(float)
        sigma = part["sigma"].to_numpy(float)
        conf = part["mu_star_conf"].to_numpy(float) if "mu_star_conf" in part else None
        ax.errorbar(mu, sigma, xerr=conf, fmt="o", color="#1f77b4", ecolor="#9ecae1", capsize=2, markersize=5)
        top = float(np.nanmax(np.concatenate([mu, sigma]))) if mu.size else 1.0
        top = top if np.isfinite(top) and top > 0 else 1.0
        ax.plot(
            [0, top * 1.1],
            [0, top * 1.1],
            linestyle="--",
            color="grey",
            linewidth=0.8,
            label="sigma = mu* (strong non-linearity / interactions above)",
        )
        for xm, ys, name in zip(mu, sigma, part["parameter"].astype(str), strict=True):
            if np.isfinite(xm) and np.isfinite(ys):
                ax.annotate(
                    _short_param(name), (xm, ys), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
        unit = kpi_unit(kpi)
        unit_text = f" ({'share' if unit == '%' else unit})" if unit else ""
        ax.set_xlabel(f"mu* = mean |elementary effect|{unit_text}")
        ax.set_ylabel(f"sigma = sd of elementary effects{unit_text}")
        ax.set_title(kpi_label(kpi), fontsize=11)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Morris screening: parameters to the right matter; above the dashed line they interact", fontsize=12
    )
    return fig


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(max_cols, max(1, n))
    return math.ceil(n / cols), cols


def _nearest_spacing(x: np.ndarray, y: np.ndarray) -> float:
    """Median distance to the nearest other zone (km)."""
    if x.size < 2:
        return 1.0
    pts = np.column_stack([x, y])
    if pts.shape[0] > 3000:
        pts = pts[:: pts.shape[0] // 3000 + 1]
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    nearest = nearest[np.isfinite(nearest) & (nearest > 0)]
    return float(np.median(nearest)) if nearest.size else 1.0


def _occupancy_size(occ: np.ndarray) -> np.ndarray:
    """Marker area (points^2) for an occupancy rate: area proportional to occupancy, a floor for empty places."""
    return 12.0 + 160.0 * np.asarray(occ, dtype=float)


def _bar_panel(
    ax: Any,
    labels: list[str],
    values: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    sig: list[bool | None],
    colour: str,
    xlabel: str,
    title: str,
) -> None:
    y = np.arange(len(labels))
    face = [colour if s else "white" for s in sig]
    ax.barh(y, values, color=face, edgecolor=colour, hatch=None, linewidth=1.5, height=0.6)
    err = np.vstack([values - low, high - values])
    err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
    ax.errorbar(values, y, xerr=err, fmt="none", ecolor="black", capsize=4, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)


def _widen_flat(ax: Any) -> None:
    """A flat line (a KPI the parameter does not move) gets a readable axis, not its rounding noise magnified."""
    low, high = ax.get_ylim()
    middle = (low + high) / 2
    if high - low <= 1e-9 * max(1.0, abs(middle)):
        half = max(abs(middle) * 0.05, 1.0)
        ax.set_ylim(middle - half, middle + half)


def _short_param(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else name


SWEEP_MAX_KPIS = 4  # KPI columns of a sweep figure
SCENARIO_COLOURS = ("#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def sweep_figure(
    response: pd.DataFrame,
    parameter: str,
    kpis: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
    baseline: str | None = None,
) -> Figure | None:
    """Each main KPI against one swept parameter: one line per scenario with its 95 % interval band.

    The top row is each scenario's level; with a baseline, the bottom row is each other scenario's difference
    against it at the same points (zero line dashed). Every point is the mean over the seeds of the runs at that
    value, averaged over the other swept parameters (:func:`simulation.experiments.stats.response_table`).

    Args:
        response: the table of response.csv (``parameter, value, scenario, kpi, n, mean, ci_low, ci_high,
            diff_mean, diff_ci_low, diff_ci_high``).
        parameter: the swept key to draw (``policy.remote_days_per_week``).
        kpis: the KPI columns, in order (default: those of the table; at most :data:`SWEEP_MAX_KPIS`).
        scenarios: the scenarios, in order (default: those of the table).
        baseline: the reference scenario (drawn first, in dark grey), None for a sweep without one.

    Returns:
        The figure, or None when the table has no row for the parameter.
    """
    part = response[response["parameter"].astype(str) == parameter]
    if part.empty:
        return None
    present = list(dict.fromkeys(part["kpi"].astype(str)))
    kpis = [k for k in (kpis or present) if k in present][:SWEEP_MAX_KPIS]
    names = list(dict.fromkeys(part["scenario"].astype(str)))
    scenarios = [s for s in (scenarios or names) if s in names]
    if baseline in scenarios:
        scenarios = [baseline, *[s for s in scenarios if s != baseline]]
    diffs = baseline is not None and part["diff_mean"].notna().any()
    values = list(dict.fromkeys(part["value"]))
    numeric = all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)
    position = {v: (float(v) if numeric else i) for i, v in enumerate(values)}
    n_rows = 2 if diffs else 1
    fig = Figure(figsize=(3.9 * len(kpis) + 0.6, 3.2 * n_rows + 1.2), layout="constrained")
    axes = fig.subplots(n_rows, len(kpis), squeeze=False)
    colour = {s: SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)] for i, s in enumerate(scenarios)}
    for j, kpi in enumerate(kpis):
        rows = part[part["kpi"].astype(str) == kpi]
        share = is_share(kpi)  # rates drawn in % (levels) and percentage points (differences)
        factor = 100.0 if share else 1.0
        for r, (prefix, what) in enumerate([("", "level"), ("diff_", "difference")][:n_rows]):
            ax = axes[r][j]
            for scenario in scenarios:
                if what == "difference" and scenario == baseline:
                    continue
                line = rows[rows["scenario"].astype(str) == scenario]
                line = line.assign(_x=[position[v] for v in line["value"]]).sort_values("_x")
                x = line["_x"].to_numpy(float)
                mean = factor * line[f"{prefix}mean"].to_numpy(float)
                low = factor * line[f"{prefix}ci_low"].to_numpy(float)
                high = factor * line[f"{prefix}ci_high"].to_numpy(float)
                ax.plot(x, mean, marker="o", color=colour[scenario], label=scenario, linewidth=1.6)
                if np.isfinite(low).any():
                    ax.fill_between(x, low, high, color=colour[scenario], alpha=0.18, linewidth=0)
            if what == "difference":
                ax.axhline(0, color="black", linewidth=0.8, linestyle="--")
            ax.set_title(
                kpi_label(kpi) if what == "level" else f"{kpi_label(kpi)}: minus {baseline}", fontsize=10
            )
            unit = ("%" if what == "level" else "points") if share else kpi_unit(kpi)
            ax.set_ylabel(unit or what)
            ax.set_xlabel(_short_param(parameter))
            if not numeric:
                ax.set_xticks(range(len(values)), [str(v) for v in values])
            else:
                ax.set_xticks(sorted(position.values()))
            ax.grid(alpha=0.3)
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 5), useOffset=False)
            _widen_flat(ax)
    handles = [Line2D([], [], color=colour[s], marker="o", label=s) for s in scenarios]
    handles.append(Patch(facecolor="grey", alpha=0.3, label="95 % confidence interval (over the seeds)"))
    fig.legend(
        handles=handles, loc="outside lower center", ncol=min(4, len(handles)), fontsize=9, frameon=False
    )
    fig.suptitle(
        f"The main KPIs against {parameter} (mean over the seeds and the other swept parameters)", fontsize=12
    )
    return fig
