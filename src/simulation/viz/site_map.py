"""The map of a siting answer (``lieux-site``): zones, the site serving each, the demand each site serves.

Like the report's map (:func:`simulation.viz.figures.map_figure`): zones are grey circles at their centres,
shaded by their demand weight (log scale); a thin line joins each zone of positive demand to the site serving it;
new sites are red stars and existing (forced) sites black squares, both sized by the demand they serve, and the
new sites are named. A table in, a :class:`~matplotlib.figure.Figure` out (no pyplot, nothing written).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.viz.figures import _nearest_spacing

NEW_COLOUR = "#d62728"
EXISTING_COLOUR = "#222222"
TWIN_COLOUR = "#ff7f0e"
MAX_LABELS = 30  # new sites named on the map (the largest by demand served)


def _site_size(served: np.ndarray, largest: float) -> np.ndarray:
    """Marker area (points^2): proportional to the demand served, with a floor."""
    return 30.0 + 400.0 * np.asarray(served, float) / max(largest, 1e-12)


def site_map_figure(
    assignment: pd.DataFrame,
    sites: pd.DataFrame,
    title: str,
    weight_label: str = "demand",
    twin_zones: Sequence[str] = (),
    twin_label: str = "rule-based choice",
) -> Figure:
    """Map of a siting answer.

    Args:
        assignment: one row per zone: ``zone_id, x_km, y_km, weight, site_id`` ("" when no open site reaches
            it), as :meth:`simulation.scenarios.ops.site.SiteSolution.assignment` gives.
        sites: one row per open site: ``site_id, name, zone_id, existing, demand_served``
            (:meth:`~simulation.scenarios.ops.site.SiteSolution.sites`).
        title: the figure's title.
        weight_label: what the weights are, with their unit (colour bar and legend).
        twin_zones: zones of another choice to compare with (e.g. the rule-based twin's), drawn as open circles.
        twin_label: that choice's name in the legend.

    Returns:
        The figure.
    """
    x = assignment["x_km"].to_numpy(float)
    y = assignment["y_km"].to_numpy(float)
    w = assignment["weight"].to_numpy(float)
    spacing = _nearest_spacing(x, y)
    xlim = (x.min() - spacing, x.max() + spacing)
    ylim = (y.min() - spacing, y.max() + spacing)
    aspect = (ylim[1] - ylim[0]) / max(xlim[1] - xlim[0], 1e-9)
    panel_in = 7.0
    fig = Figure(figsize=(panel_in + 1.6, panel_in * aspect + 1.6), layout="constrained")
    ax = fig.subplots()
    points_per_km = panel_in * 0.8 * 72 / max(xlim[1] - xlim[0], 1e-9)
    zone_size = max(4.0, (0.9 * spacing * points_per_km) ** 2)
    pos = w[w > 0]
    norm = mcolors.LogNorm(
        vmin=max(float(pos.min()) if pos.size else 1.0, 1e-9), vmax=max(float(w.max()), 2e-9) * 1.0001
    )
    zones = ax.scatter(
        x, y, s=zone_size, c=np.clip(w, norm.vmin, None), cmap="Greys", norm=norm, linewidths=0, zorder=1
    )
    zone_xy = assignment.set_index(assignment["zone_id"].astype(str))[["x_km", "y_km"]]
    site_zone = sites.set_index("site_id")["zone_id"].astype(str)
    served = assignment[(assignment["site_id"] != "") & (w > 0)]
    ends = zone_xy.loc[site_zone.loc[served["site_id"]].to_numpy()].to_numpy(float)
    segments = np.stack([served[["x_km", "y_km"]].to_numpy(float), ends], axis=1)
    ax.add_collection(LineCollection(list(segments), colors="#1f77b4", linewidths=0.5, alpha=0.45, zorder=2))
    sxy = zone_xy.loc[sites["zone_id"].astype(str)].to_numpy(float)
    demand = sites["demand_served"].to_numpy(float)
    size = _site_size(demand, float(demand.max()) if demand.size else 1.0)
    old = sites["existing"].to_numpy(bool)
    ax.scatter(sxy[old, 0], sxy[old, 1], s=size[old], marker="s", c=EXISTING_COLOUR, alpha=0.8, zorder=3)
    ax.scatter(
        sxy[~old, 0],
        sxy[~old, 1],
        s=size[~old] * 1.6,
        marker="*",
        c=NEW_COLOUR,
        edgecolors="black",
        linewidths=0.5,
        zorder=4,
    )
    twin = [str(z) for z in twin_zones if str(z) in zone_xy.index]
    if twin:
        txy = zone_xy.loc[twin].to_numpy(float)
        ax.scatter(
            txy[:, 0],
            txy[:, 1],
            s=260,
            marker="o",
            facecolors="none",
            edgecolors=TWIN_COLOUR,
            linewidths=1.6,
            zorder=4,
        )
    new = sites[~old].assign(_x=sxy[~old, 0], _y=sxy[~old, 1]).sort_values("demand_served", ascending=False)
    for _, s in new.head(MAX_LABELS).iterrows():
        ax.annotate(
            str(s["name"]),
            (s["_x"], s["_y"]),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=8,
            zorder=5,
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    bar = fig.colorbar(zones, ax=ax, shrink=0.6, pad=0.01)
    bar.set_label(f"{weight_label} of the zone (log scale)")
    handles = [
        Line2D([], [], marker="*", linestyle="", markersize=13, markerfacecolor=NEW_COLOUR,
               markeredgecolor="black", label="new site (size: demand served)"),
        Line2D([], [], marker="s", linestyle="", markersize=8, color=EXISTING_COLOUR,
               label="existing site kept open"),
        Line2D([], [], color="#1f77b4", alpha=0.6, label="zone -> the site serving it"),
    ]  # fmt: skip
    if twin:
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=11, markerfacecolor="none",
                              markeredgecolor=TWIN_COLOUR, markeredgewidth=1.6, label=twin_label))  # fmt: skip
    fig.legend(
        handles=handles, loc="outside lower center", ncol=min(len(handles), 2), fontsize=9, frameon=False
    )
    fig.suptitle(title, fontsize=12)
    return fig
