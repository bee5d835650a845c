"""Observation (MODEL.md section 9): the KPI names, the run summary and the output tables of a model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation import economics
from simulation.places import MEDIATION, WORK, WORKSHOP

if TYPE_CHECKING:
    from simulation.model import SharedPlacesModel

# The KPIs of summary.json, in the order they are printed. Units: rates are shares in [0, 1]; counts are per
# run (all counted weeks); person_km in km; travel in hours; co2 in tonnes; money in EUR over the counted weeks.
KPI_NAMES: tuple[str, ...] = (
    "occupancy_rate",
    "occupancy_rate_work",
    "occupancy_rate_mediation",
    "occupancy_rate_workshop",
    "utilisation_rate",
    "contacts",
    "needs_human",
    "unmet_need_rate",
    "mean_delay_days",
    "needs_per_trip",
    "person_km_total",
    "person_km_work",
    "person_km_service",
    "person_km_workshop",
    "travel_hours_total",
    "co2_t",
    "network_cost_eur",
    "public_cost_eur",
    "provider_cost_eur",
    "cost_per_contact_eur",
    "revenue_eur",
    "subsidy_eur",
    "places_open_end",
    "places_closed",
    "multifunctional_places",
    "mixed_encounters",
    "access_share_20min",
)
# The headline KPIs of a comparison, most important first (the question is kilometres per euro): the printed
# comparison table shows the first 4 an experiment compares; report.md reads all of them when the experiment
# does not list its own KPIs.
MAIN_KPIS: tuple[str, ...] = (
    "person_km_total",
    "co2_t",
    "network_cost_eur",
    "public_cost_eur",
    "unmet_need_rate",
    "cost_per_contact_eur",
    "occupancy_rate",
    "access_share_20min",
)


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        return float(v)
    return v


def access_minutes(model: SharedPlacesModel) -> np.ndarray:
    """Minutes from each zone to the nearest open point of human contact, [2 (no car, car), Z]."""
    med = model.network.mediation_places
    if med.size == 0:
        return np.full((2, len(model.zones)), np.inf)
    return model.zp.minutes[:, :, med].min(axis=2)


def category_access_minutes(model: SharedPlacesModel) -> np.ndarray:
    """Minutes from each zone to the nearest open place covering each category, [K, 2 (no car, car), Z]."""
    out = np.full((model.k, 2, len(model.zones)), np.inf)
    covers = np.bitwise_or.reduce(model.network.cover, axis=1)
    for k in range(model.k):
        rows = np.flatnonzero((covers >> k) & 1)
        if rows.size:
            out[k] = model.zp.minutes[:, :, rows].min(axis=2)
    return out


def summary(model: SharedPlacesModel, runtime_s: float) -> dict[str, Any]:
    t, s, net, m = model.tot, model.s, model.network, model.money
    rows = np.concatenate(model.slot_rows) if model.slot_rows else np.zeros((0, 6))
    act, cap, users = rows[:, 2], rows[:, 3], rows[:, 4]

    def occ(mask: np.ndarray) -> float:
        return float(users[mask].sum() / cap[mask].sum()) if cap[mask].sum() > 0 else float("nan")

    counted_weeks = model.cfg.weeks
    full_cap = (net.capacity_f * net.active[:, None]).sum() * 21 * counted_weeks
    pop_zone = np.bincount(model.pop.zone, minlength=len(model.zones))
    car_zone = np.bincount(model.pop.zone, weights=model.pop.car, minlength=len(model.zones))
    # access: for each category of need, the adults within 20 min of a place that covers it, weighted by the
    # category's rate of human-contact needs (a post office is no access to the CAF)
    cat = category_access_minutes(model)  # [K, 2, Z]
    share_k = ((cat[:, 1] <= 20) * car_zone + (cat[:, 0] <= 20) * (pop_zone - car_zone)).sum(axis=1)
    human_rate = model.rates_day * (1 - model.pop.digital.mean() * model.online_share)
    within = float((share_k * human_rate).sum() / max(human_rate.sum(), 1e-12))
    resolved = t["solved"] + t["unmet"]
    km_total = t["km_work"] + t["km_service"] + t["km_workshop"]
    contacts = t["contacts"] / s
    kpi = {
        "occupancy_rate": occ(np.ones(len(rows), bool)),
        "occupancy_rate_work": occ(act == WORK),
        "occupancy_rate_mediation": occ(act == MEDIATION),
        "occupancy_rate_workshop": occ(act == WORKSHOP),
        "utilisation_rate": float(users.sum() / full_cap) if full_cap else float("nan"),
        "contacts": contacts,
        "needs_human": t["needs_human"] / s,
        "unmet_need_rate": t["unmet"] / resolved if resolved else float("nan"),
        "mean_delay_days": t["delay_days"] / t["solved"] if t["solved"] else float("nan"),
        "needs_per_trip": t["solved"] / t["visits"] if t["visits"] else float("nan"),
        "person_km_total": km_total / s,
        "person_km_work": t["km_work"] / s,
        "person_km_service": t["km_service"] / s,
        "person_km_workshop": t["km_workshop"] / s,
        "travel_hours_total": (t["hours_work"] + t["hours_service"] + t["hours_workshop"]) / s,
        "co2_t": t["co2_kg"] / s / 1000.0,
        "network_cost_eur": m["network_cost"],
        "public_cost_eur": m["public_cost"],
        "provider_cost_eur": m["provider_cost"],
        "cost_per_contact_eur": (m["provider_cost"] + m["subsidy"]) / contacts if contacts else float("nan"),
        "revenue_eur": m["revenue"],
        "subsidy_eur": m["subsidy"],
        "places_open_end": int(net.active.sum()),
        "places_closed": int(model.places_closed),
        "multifunctional_places": int(((net.activities_open() >= 2) & net.active).sum()),
        "mixed_encounters": t["pairs"],
        "access_share_20min": float(within / max(pop_zone.sum(), 1)),
    }
    assert tuple(kpi) == KPI_NAMES
    extra = {
        "remote_days_per_teleworker_week": t["remote_days"] / max(t["teleworkable_days"], 1) * 5,
        "third_place_share_of_remote_days": t["third_days"] / t["remote_days"]
        if t["remote_days"]
        else float("nan"),
        "needs_online": t["needs_online"] / s,
        "gave_up_share": t["gave_up"] / resolved if resolved else float("nan"),
        "maker_sessions": t["sessions"] / s,
    }
    head = {
        "scenario": model.cfg.scenario.name,
        "seed": model.cfg.seed,
        "weeks": model.cfg.weeks,
        "warmup_weeks": model.cfg.warmup_weeks,
        "territory": model.territory.name,
        "sample_rate": s,
        "n_residents": model.pop.n_residents,
        "n_workers": model.pop.n_workers,
        "n_makers": model.pop.n_makers,
        "n_places": int(net.n),
    }
    return {
        **head,
        **{k: _plain(v) for k, v in kpi.items()},
        **{k: _plain(v) for k, v in extra.items()},
        "runtime_s": round(runtime_s, 3),
    }


def tables(model: SharedPlacesModel) -> dict[str, pd.DataFrame]:
    net, s = model.network, model.s
    rows = np.concatenate(model.slot_rows) if model.slot_rows else np.zeros((0, 6), dtype=np.int64)
    abs_slot = rows[:, 1].astype(np.int64) - 3 * model.warmup_days
    scale = (lambda x: x) if s == 1 else (lambda x: x / s)
    slots = pd.DataFrame(
        {
            "place_id": pd.Categorical(net.place_id[rows[:, 0].astype(np.int64)]),
            "week": (abs_slot // 21).astype(np.int32),
            "day": pd.Categorical.from_codes(
                (abs_slot // 3 % 7).astype(np.int8), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            ),
            "slot": pd.Categorical.from_codes((abs_slot % 3).astype(np.int8), ["AM", "PM", "EV"]),
            "activity": pd.Categorical.from_codes(
                rows[:, 2].astype(np.int8), ["work", "mediation", "workshop"]
            ),
            "capacity": scale(rows[:, 3]),
            "users": scale(rows[:, 4]),
            "rejected": scale(rows[:, 5]),
        }
    )
    pa = model.place_acc
    t = net.table
    slot_users = slots.groupby("place_id", observed=True)[["users", "capacity"]].sum()
    occ = (slot_users["users"] / slot_users["capacity"]).reindex(net.place_id)
    places = pd.DataFrame(
        {
            "place_id": net.place_id,
            "zone_id": t["zone_id"].astype(str).to_numpy(),
            "name": t["name"].astype(str).to_numpy(),
            "origin": net.origin,
            "operator": net.operator,
            "label": t["label"].astype(str).to_numpy() if "label" in t else "",
            "active": net.active,
            "open_end": net.is_open,
            "closed_period": [p.closed_period for p in model.places],
            "activities": net.activities_open(),
            "desks": net.units[:, WORK],
            "counters": net.units[:, MEDIATION],
            "workshop_seats": net.units[:, WORKSHOP],
            "occupancy_rate": occ.to_numpy(),
            "users": pa["users"],
            "contacts": pa["contacts"],
            "encounter_pairs": model.place_enc["pairs"],
            "mixed_group_slots": model.place_enc["mixed_slots"],
            "max_groups_together": model.place_enc["max_groups"].astype(np.int64),
            "cost_eur": pa["cost"],
            "revenue_users_eur": pa["revenue_users"],
            "provider_payments_eur": pa["provider_pay"],
            "subsidy_eur": pa["subsidy"],
            "operator_balance_eur": pa["balance"],
            "cost_recovery": np.divide(
                pa["revenue_users"] + pa["provider_pay"] + pa["subsidy"],
                pa["cost"],
                out=np.full(net.n, np.nan),
                where=pa["cost"] > 0,
            ),
        }
    )
    pr = model.prov_acc
    cost = pr["payments"] + pr["permanence"]
    providers = pd.DataFrame(
        {
            "provider_id": [p.id for p in model.cfg.providers],
            "name": [p.name for p in model.cfg.providers],
            "delegates": [p.delegates for p in model.cfg.providers],
            "contacts": pr["contacts"],
            "payments_eur": pr["payments"],
            "permanence_staff_eur": pr["permanence"],
            "cost_eur": cost,
            "cost_per_contact_eur": economics.mutualisation(cost, pr["contacts"]),
            "rejections": pr["rejections"],
            "own_offices": [int(p.own_offices().size) for p in model.providers],
            "permanence_places_end": [int(p.permanence_rows().size) for p in model.providers],
            "slots_added": [p.slots_added for p in model.providers],
            "slots_dropped": [p.slots_dropped for p in model.providers],
        }
    )
    access = access_minutes(model)
    pz = model.per_zone
    zones = pd.DataFrame(
        {
            "zone_id": model.zones["zone_id"].astype(str).to_numpy(),
            "name": model.zones["name"].astype(str).to_numpy() if "name" in model.zones else "",
            "kind": model.zones["kind"].to_numpy(),
            "population": model.zones["population"].to_numpy(),
            "x_km": model.zones["x_km"].to_numpy(),
            "y_km": model.zones["y_km"].to_numpy(),
            "needs_human": pz["needs_human"] / s,
            "unmet_needs": pz["unmet"] / s,
            "unmet_need_rate": np.divide(
                pz["unmet"],
                pz["unmet"] + pz["solved"],
                out=np.full(len(model.zones), np.nan),
                where=(pz["unmet"] + pz["solved"]) > 0,
            ),
            "person_km_service": pz["km_service"] / s,
            "minutes_to_contact_car": access[1],
            "minutes_to_contact_no_car": access[0],
        }
    )
    return {
        "slots": slots,
        "places": places,
        "providers": providers,
        "zones": zones,
        "periods": pd.DataFrame(model.period_rows),
    }
