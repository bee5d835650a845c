"""The accounts of every place at the end of an accounting period (docs/ODD.md 7.6, 4.6, 4.8).

:func:`close_period` computes, from the period's usage, every place's cost (fixed and per open slot), its users'
revenues, the allocation of its cost among its funders (the pure rules of :mod:`simulation.sim.economics`),
the providers' permanence staff, the authority's subsidies and grants, and each place's balance; then the
viability rule (cost recovery over the last periods) says which private and association places close.
:class:`Accounts` keeps the history that rule needs. Operators apply the decisions
(:class:`~simulation.sim.network.OperatorAgent`); the model records the counted periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.core.config import SimConfig
from simulation.sim import economics
from simulation.sim.network import WORK, WORKSHOP, Network
from simulation.sim.providers import Authority
from simulation.sim.recorder import PeriodUsage


@dataclass
class Accounts:
    """What the viability rule remembers across periods."""

    n_places: int
    rev_hist: list[np.ndarray] = field(default_factory=list)  # revenues + subsidies per period, EUR
    cost_hist: list[np.ndarray] = field(default_factory=list)  # costs per period, EUR

    def __post_init__(self) -> None:
        self.below_streak = np.zeros(self.n_places, dtype=np.int64)  # periods in a row below the threshold


@dataclass
class PeriodResult:
    """One period's accounts, per place (EUR over the period) and per provider.

    Attributes:
        total_cost: every place's cost (fixed + open slots).
        perm_cost: per provider, its own staff's cost of permanences outside its offices.
        rev_users: users' payments (day passes, subscriptions, workshop fees), whole population.
        pay_prov: [K, P] what each provider pays each place after the authority's relief.
        subsidy: subsidies and grants paid to each place.
        balance: each operator's balance after every payment.
        revenue: users' payments plus providers' payments.
        public_deficit: the deficits of public places (public cost).
        close: the places the viability rule closes.
        full_share: [P, 3] share of each activity's open slots that were full (NaN where it does not run).
    """

    total_cost: np.ndarray
    perm_cost: np.ndarray
    rev_users: np.ndarray
    pay_prov: np.ndarray
    subsidy: np.ndarray
    balance: np.ndarray
    revenue: np.ndarray
    public_deficit: np.ndarray
    close: np.ndarray
    full_share: np.ndarray


def slot_costs(network: Network, cfg: SimConfig, weeks: float) -> np.ndarray:
    """Cost of each slot of the week at each place over the period, EUR [P, 21].

    Staff (hosts at desks, mediators per counter, animators at workshops) and energy in every slot where the
    place runs an activity; the sharing clause's off-hours slots add their marginal opening cost.
    """
    net, e = network, cfg.economics
    hours = np.tile([e.slot_hours["AM"], e.slot_hours["PM"], e.slot_hours["EV"]], 7)[None, :]
    so = net.slot_open
    staff = (
        so[:, :, WORK] * e.hosts_per_work_slot * e.host_eur_hour
        + (net.cover != 0) * net.units[:, 1][:, None] * e.mediator_eur_hour
        + so[:, :, WORKSHOP] * e.animators_per_workshop_slot * e.animator_eur_hour
    )
    any_open = so[:, :, WORK] | so[:, :, WORKSHOP] | (net.cover != 0)
    cost = economics.slot_cost_eur(net.area[:, None], hours, 1.0, staff, e.energy_eur_m2_hour) * any_open
    offh = (net.offhours[:, None] & (1 << np.arange(21))[None, :]) != 0
    cost = cost + offh * any_open * e.marginal_open_eur_slot
    return cost * weeks


def close_period(
    network: Network,
    zone_kind: np.ndarray,
    cfg: SimConfig,
    authority: Authority,
    accounts: Accounts,
    usage: PeriodUsage,
    subscribed: np.ndarray,
    weeks: float,
) -> PeriodResult:
    """The accounts of one period and the viability decisions (module docstring).

    Args:
        network: the places (their state during the period).
        zone_kind: the kind of each zone (rents depend on it).
        cfg: the run's configuration.
        authority: pays the subsidies and grants.
        accounts: the viability history (appended to, streaks updated).
        usage: the period's usage of every place.
        subscribed: each worker's subscribed place (-1: none), for the subscriptions' revenue.
        weeks: the period's length, weeks.
    """
    net, e, pol = network, cfg.economics, cfg.policy
    n_prov = len(cfg.providers)
    s = cfg.population.sample_rate
    kinds = zone_kind[net.zone]
    rent = np.array([e.rent_eur_m2_year[k] for k in kinds])
    # a place whose activities all run in off-hours slots pays no fixed cost (the sharing clause's marginal cost)
    own_slots = (net.act_mask & (net.opening & ~net.offhours)[:, None]).any(axis=1) | (net.cover != 0).any(1)
    fixed = economics.fixed_cost_eur(net.area, rent, e.overhead_eur_year, weeks) * (net.active & own_slots)
    slot_cost = slot_costs(net, cfg, weeks) * net.active[:, None]
    # users' revenues: day passes, subscriptions, workshop fees (simulated sample -> whole population)
    subs = np.bincount(subscribed[subscribed >= 0], minlength=net.n) * net.price_month * weeks / (52 / 12)
    rev_users = (usage.rev_pass + subs + usage.sessions * pol.workshop_fee_eur) / s
    # the cost game of each place: providers present + the work and workshop uses
    shares_prov, op_part = economics.allocate_places(
        e.allocation,
        fixed,
        slot_cost,
        provider_uses=((net.cover[None, :, :] >> np.arange(n_prov)[:, None, None]) & 1).astype(bool),
        activity_uses=net.slot_open[:, :, [WORK, WORKSHOP]].transpose(2, 0, 1),
        provider_contacts=usage.contacts_kp,
        activity_users=np.stack([usage.workdays, usage.sessions]),
        active=net.active,
    )
    perm_cost = np.zeros(n_prov)
    for k in range(n_prov):
        perm_rows = (net.perm[k] != 0) & (net.owner != k) & net.active
        slots = np.bitwise_count(net.perm[k])
        perm_cost[k] = (slots * perm_rows).sum() * cfg.providers[k].permanence_eur_slot * weeks
    total_cost = fixed + slot_cost.sum(axis=1)
    # subsidies: per labelled site (paid on the providers' behalf first), or deficits up to a cap
    prov_total = shares_prov.sum(axis=0)
    labelled = net.labelled & net.active
    sub = authority.per_site(labelled, weeks)
    grant = authority.grants(net.operator, net.active, weeks)
    relief = np.minimum(sub, prov_total)
    frac = np.divide(relief, prov_total, out=np.zeros(net.n), where=prov_total > 0)
    pay_prov = shares_prov * (1 - frac)[None, :]
    balance = rev_users + (sub - relief) + grant - op_part
    sub = sub + grant
    if pol.subsidy_rule == "deficit":
        extra = authority.deficit_cover(labelled, -balance * net.active, weeks)
        sub = sub + extra
        balance = balance + extra
    authority.record(sub)
    revenue = rev_users + pay_prov.sum(axis=0)
    accounts.rev_hist.append(revenue + sub)
    accounts.cost_hist.append(total_cost)
    public_deficit = np.where((net.operator == "public") & net.active, np.maximum(-balance, 0.0), 0.0)
    # operators' viability: cost recovery over the last periods
    rec = economics.cost_recovery(
        np.array(accounts.rev_hist).T, np.array(accounts.cost_hist).T, e.recovery_window_periods
    )
    rec = np.where(net.active, rec, np.nan)
    closable = np.isin(net.operator, ("private", "association")) & net.active
    accounts.below_streak, close = economics.closure_decision(
        accounts.below_streak, rec, e.closure_threshold, e.closure_periods, closable
    )
    full_share = np.divide(usage.full, usage.open, out=np.full_like(usage.full, np.nan), where=usage.open > 0)
    return PeriodResult(
        total_cost=total_cost,
        perm_cost=perm_cost,
        rev_users=rev_users,
        pay_prov=pay_prov,
        subsidy=sub,
        balance=balance,
        revenue=revenue,
        public_deficit=public_deficit,
        close=close,
        full_share=full_share,
    )
