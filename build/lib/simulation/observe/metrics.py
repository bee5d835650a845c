"""Observation (docs/ODD.md 7.11): the KPI names and definitions, the run summary and the output tables.

Everything here reads a :class:`RunView` (the recorder, the end state of the places, the population, the
zones): never the model itself, so the same functions serve a run, a test or a dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.core.config import SimConfig
from simulation.core.timetable import DAYS, PARTS
from simulation.sim import economics
from simulation.sim.network import MEDIATION, WORK, WORKSHOP, Network
from simulation.sim.population import Population
from simulation.sim.recorder import Recorder
from simulation.sim.travel import TravelMatrices

if TYPE_CHECKING:
    from simulation.sim.providers import ProviderAgent

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
# The columns of periods.csv (one row per counted 4-week period), in order.
PERIOD_COLUMNS: tuple[str, ...] = (
    "period",
    "week_start",
    "weeks",
    "occupancy_rate",
    "occupancy_rate_work",
    "occupancy_rate_mediation",
    "occupancy_rate_workshop",
    "contacts",
    "needs_human",
    "unmet_needs",
    "person_km_work",
    "person_km_service",
    "person_km_workshop",
    "co2_t",
    "network_cost_eur",
    "revenue_eur",
    "subsidy_eur",
    "places_open",
)


@dataclass(frozen=True)
class RunView:
    """What the metrics read at the end of a run (built by the model's ``view()``).

    Attributes:
        cfg: the run's configuration (after the scenario).
        territory: the territory's name.
        zones: the zones table.
        network: the places at the end of the run.
        pop: the population.
        zp: travel from zones to places.
        recorder: every record of the run.
        providers: the provider agents (their reviews' counts and offices).
        closed_period: per place, the period it closed (None: open).
        periods: the per-period KPIs (Mesa's DataCollector), one row per counted period.
        runtime_s: the run's wall time.
    """

    cfg: SimConfig
    territory: str
    zones: pd.DataFrame
    network: Network
    pop: Population
    zp: TravelMatrices
    recorder: Recorder
    providers: list[ProviderAgent]
    closed_period: list[int | None]
    periods: pd.DataFrame
    runtime_s: float = 0.0

    @property
    def sample_rate(self) -> float:
        """Share of the adults simulated."""
        return self.cfg.population.sample_rate

    @property
    def rates_day(self) -> np.ndarray:
        """Needs per adult and day, per category."""
        return np.array([p.needs_per_adult_year for p in self.cfg.providers]) / 365.0

    @property
    def online_share(self) -> np.ndarray:
        """Share of needs an autonomous adult solves online, per category."""
        return np.array([p.online_share for p in self.cfg.providers])


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        return float(v)
    return v


def access_minutes(network: Network, zp: TravelMatrices) -> np.ndarray:
    """Minutes from each zone to the nearest open point of human contact, [2 (no car, car), Z]."""
    med = network.mediation_places
    if med.size == 0:
        return np.full((2, zp.km.shape[0]), np.inf)
    return zp.minutes[:, :, med].min(axis=2)


def category_access_minutes(network: Network, zp: TravelMatrices, n_categories: int) -> np.ndarray:
    """Minutes from each zone to the nearest open place covering each category, [K, 2 (no car, car), Z]."""
    out = np.full((n_categories, 2, zp.km.shape[0]), np.inf)
    covers = np.bitwise_or.reduce(network.cover, axis=1)
    for k in range(n_categories):
        rows = np.flatnonzero((covers >> k) & 1)
        if rows.size:
            out[k] = zp.minutes[:, :, rows].min(axis=2)
    return out


def period_row(
    rec: Recorder,
    *,
    period: int,
    week_start: int,
    weeks: float,
    cost: float,
    revenue: float,
    subsidy: float,
    places_open: int,
    sample_rate: float,
) -> dict[str, Any]:
    """The KPIs of one counted period (the columns :data:`PERIOD_COLUMNS`), from the period's records.

    Occupancy is users / capacity over the period's open slots; counts and km are the counters' increase over
    the period, for the whole population; money is the period's accounts, EUR.
    """
    d, s = rec.period_delta(), sample_rate
    users = rec.period.users
    cap_total = rec.period.cap.sum(axis=0)
    row = {
        "period": period,
        "week_start": week_start,
        "weeks": weeks,
        "occupancy_rate": users.sum() / max(cap_total.sum(), 1e-12),
        "occupancy_rate_work": users[:, WORK].sum() / cap_total[WORK] if cap_total[WORK] else np.nan,
        "occupancy_rate_mediation": users[:, MEDIATION].sum() / cap_total[MEDIATION]
        if cap_total[MEDIATION]
        else np.nan,
        "occupancy_rate_workshop": users[:, WORKSHOP].sum() / cap_total[WORKSHOP]
        if cap_total[WORKSHOP]
        else np.nan,
        "contacts": d["contacts"] / s,
        "needs_human": d["needs_human"] / s,
        "unmet_needs": d["unmet"] / s,
        "person_km_work": d["km_work"] / s,
        "person_km_service": d["km_service"] / s,
        "person_km_workshop": d["km_workshop"] / s,
        "co2_t": d["co2_kg"] / s / 1000.0,
        "network_cost_eur": cost,
        "revenue_eur": revenue,
        "subsidy_eur": subsidy,
        "places_open": places_open,
    }
    assert tuple(row) == PERIOD_COLUMNS
    return row


def summary(view: RunView) -> dict[str, Any]:
    """The run's ``summary.json``: identity, every KPI of :data:`KPI_NAMES` (definitions in the README's KPI
    table and docs/ODD.md 7.11), extra indicators and the run time.

    Extensive KPIs (counts, km, hours, CO2) are totals over the counted weeks for the whole population (the
    simulated sample divided by the sample rate); money is summed over the counted periods, EUR.
    """
    rec = view.recorder
    t, s, net, m = rec.tot, view.sample_rate, view.network, rec.money
    rows = rec.slots()
    act, cap, users = rows[:, 2], rows[:, 3], rows[:, 4]

    def occ(mask: np.ndarray) -> float:
        return float(users[mask].sum() / cap[mask].sum()) if cap[mask].sum() > 0 else float("nan")

    counted_weeks = view.cfg.weeks
    pop, n_zones = view.pop, len(view.zones)
    full_cap = (net.capacity_f * net.active[:, None]).sum() * 21 * counted_weeks
    pop_zone = np.bincount(pop.zone, minlength=n_zones)
    car_zone = np.bincount(pop.zone, weights=pop.car, minlength=n_zones)
    # access: for each category of need, the adults within 20 min of a place that covers it, weighted by the
    # category's rate of human-contact needs (a post office is no access to the CAF)
    cat = category_access_minutes(net, view.zp, len(view.cfg.providers))  # [K, 2, Z]
    share_k = ((cat[:, 1] <= 20) * car_zone + (cat[:, 0] <= 20) * (pop_zone - car_zone)).sum(axis=1)
    human_rate = view.rates_day * (1 - pop.digital.mean() * view.online_share)
    within = float((share_k * human_rate).sum() / max(human_rate.sum(), 1e-12))
    resolved = t.solved + t.unmet
    km_total = t.km_work + t.km_service + t.km_workshop
    contacts = t.contacts / s
    kpi = {
        "occupancy_rate": occ(np.ones(len(rows), bool)),
        "occupancy_rate_work": occ(act == WORK),
        "occupancy_rate_mediation": occ(act == MEDIATION),
        "occupancy_rate_workshop": occ(act == WORKSHOP),
        "utilisation_rate": float(users.sum() / full_cap) if full_cap else float("nan"),
        "contacts": contacts,
        "needs_human": t.needs_human / s,
        "unmet_need_rate": t.unmet / resolved if resolved else float("nan"),
        "mean_delay_days": t.delay_days / t.solved if t.solved else float("nan"),
        "needs_per_trip": t.solved / t.visits if t.visits else float("nan"),
        "person_km_total": km_total / s,
        "person_km_work": t.km_work / s,
        "person_km_service": t.km_service / s,
        "person_km_workshop": t.km_workshop / s,
        "travel_hours_total": (t.hours_work + t.hours_service + t.hours_workshop) / s,
        "co2_t": t.co2_kg / s / 1000.0,
        "network_cost_eur": m.network_cost,
        "public_cost_eur": m.public_cost,
        "provider_cost_eur": m.provider_cost,
        "cost_per_contact_eur": (m.provider_cost + m.subsidy) / contacts if contacts else float("nan"),
        "revenue_eur": m.revenue,
        "subsidy_eur": m.subsidy,
        "places_open_end": int(net.active.sum()),
        "places_closed": int(rec.places_closed),
        "multifunctional_places": int(((net.activities_open() >= 2) & net.active).sum()),
        "mixed_encounters": t.pairs,
        "access_share_20min": float(within / max(pop_zone.sum(), 1)),
    }
    assert tuple(kpi) == KPI_NAMES
    extra = {
        "remote_days_per_teleworker_week": t.remote_days / max(t.teleworkable_days, 1) * 5,
        "third_place_share_of_remote_days": t.third_days / t.remote_days if t.remote_days else float("nan"),
        "needs_online": t.needs_online / s,
        "gave_up_share": t.gave_up / resolved if resolved else float("nan"),
        "maker_sessions": t.sessions / s,
    }
    head = {
        "scenario": view.cfg.scenario.name,
        "seed": view.cfg.seed,
        "weeks": view.cfg.weeks,
        "warmup_weeks": view.cfg.warmup_weeks,
        "territory": view.territory,
        "sample_rate": s,
        "n_residents": pop.n_residents,
        "n_workers": pop.n_workers,
        "n_makers": pop.n_makers,
        "n_places": int(net.n),
    }
    return {
        **head,
        **{k: _plain(v) for k, v in kpi.items()},
        **{k: _plain(v) for k, v in extra.items()},
        "runtime_s": round(view.runtime_s, 3),
    }


def tables(view: RunView) -> dict[str, pd.DataFrame]:
    """The output tables (columns in the README's "Outputs"): ``slots``, ``places``, ``providers``, ``zones``,
    ``periods``."""
    net, s, rec = view.network, view.sample_rate, view.recorder
    rows = rec.slots()
    abs_slot = rows[:, 1].astype(np.int64) - 3 * 7 * view.cfg.warmup_weeks
    scale = (lambda x: x) if s == 1 else (lambda x: x / s)
    slots = pd.DataFrame(
        {
            "place_id": pd.Categorical(net.place_id[rows[:, 0].astype(np.int64)]),
            "week": (abs_slot // 21).astype(np.int32),
            "day": pd.Categorical.from_codes((abs_slot // 3 % 7).astype(np.int8), list(DAYS)),
            "slot": pd.Categorical.from_codes((abs_slot % 3).astype(np.int8), list(PARTS)),
            "activity": pd.Categorical.from_codes(
                rows[:, 2].astype(np.int8), ["work", "mediation", "workshop"]
            ),
            "capacity": scale(rows[:, 3]),
            "users": scale(rows[:, 4]),
            "rejected": scale(rows[:, 5]),
        }
    )
    pa = rec.place_acc
    t = net.table
    slot_users = slots.groupby("place_id", observed=True)[["users", "capacity"]].sum()
    occ = (slot_users["users"] / slot_users["capacity"]).reindex(net.place_id)
    places = pd.DataFrame(
        {
            "place_id": net.place_id,
            "zone_id": t.zone_id.astype(str).to_numpy(),
            "name": t.name.astype(str).to_numpy(),
            "origin": net.origin,
            "operator": net.operator,
            "label": t.label.astype(str).to_numpy() if "label" in t else "",
            "active": net.active,
            "open_end": net.is_open,
            "closed_period": view.closed_period,
            "activities": net.activities_open(),
            "desks": net.units[:, WORK],
            "counters": net.units[:, MEDIATION],
            "workshop_seats": net.units[:, WORKSHOP],
            "occupancy_rate": occ.to_numpy(),
            "users": pa.users,
            "contacts": pa.contacts,
            "encounter_pairs": rec.place_enc.pairs,
            "mixed_group_slots": rec.place_enc.mixed_slots,
            "max_groups_together": rec.place_enc.max_groups.astype(np.int64),
            "cost_eur": pa.cost,
            "revenue_users_eur": pa.revenue_users,
            "provider_payments_eur": pa.provider_pay,
            "subsidy_eur": pa.subsidy,
            "operator_balance_eur": pa.balance,
            "cost_recovery": np.divide(
                pa.revenue_users + pa.provider_pay + pa.subsidy,
                pa.cost,
                out=np.full(net.n, np.nan),
                where=pa.cost > 0,
            ),
        }
    )
    pr = rec.prov_acc
    cost = pr.payments + pr.permanence
    providers = pd.DataFrame(
        {
            "provider_id": [p.id for p in view.cfg.providers],
            "name": [p.name for p in view.cfg.providers],
            "delegates": [p.delegates for p in view.cfg.providers],
            "contacts": pr.contacts,
            "payments_eur": pr.payments,
            "permanence_staff_eur": pr.permanence,
            "cost_eur": cost,
            "cost_per_contact_eur": economics.mutualisation(cost, pr.contacts),
            "rejections": pr.rejections,
            "own_offices": [int(p.own_offices().size) for p in view.providers],
            "permanence_places_end": [int(p.permanence_rows().size) for p in view.providers],
            "slots_added": [p.slots_added for p in view.providers],
            "slots_dropped": [p.slots_dropped for p in view.providers],
        }
    )
    access = access_minutes(net, view.zp)
    pz = rec.per_zone
    zt = view.zones
    zones = pd.DataFrame(
        {
            "zone_id": zt["zone_id"].astype(str).to_numpy(),
            "name": zt["name"].astype(str).to_numpy() if "name" in zt else "",
            "kind": zt["kind"].to_numpy(),
            "population": zt["population"].to_numpy(),
            "x_km": zt["x_km"].to_numpy(),
            "y_km": zt["y_km"].to_numpy(),
            "needs_human": pz.needs_human / s,
            "unmet_needs": pz.unmet / s,
            "unmet_need_rate": np.divide(
                pz.unmet,
                pz.unmet + pz.solved,
                out=np.full(len(zt), np.nan),
                where=(pz.unmet + pz.solved) > 0,
            ),
            "person_km_service": pz.km_service / s,
            "minutes_to_contact_car": access[1],
            "minutes_to_contact_no_car": access[0],
        }
    )
    return {
        "slots": slots,
        "places": places,
        "providers": providers,
        "zones": zones,
        "periods": view.periods,
    }
