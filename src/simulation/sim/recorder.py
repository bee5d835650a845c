"""What a run records: the counted totals, per zone and per place, the slot rows and the period rows.

The behaviour modules (:mod:`~simulation.sim.work`, :mod:`~simulation.sim.services`,
:mod:`~simulation.sim.makers`) and the accounts (:mod:`~simulation.sim.accounts`) write here; the metrics
(:mod:`simulation.observe.metrics`) read only this and the end state of the network, never the model.

Two kinds of records:

* **counted** records (:class:`Counters`, :class:`ZoneCounters`, encounters, slot rows, accounts' totals): only
  during the counted weeks (``counting``); in simulated units (divide by the sample rate for the population);
* **working** accumulators (:class:`PeriodUsage`, :class:`QuarterUsage`): every day, warm-up included, because
  operators and providers decide from them; reset at the end of each period or quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np


@dataclass
class Counters:
    """Counted totals over the counted weeks, in simulated units (numbers of agents' events, km, hours, kg)."""

    needs_human: float = 0.0  # needs that required a human contact
    needs_online: float = 0.0  # needs solved online
    solved: float = 0.0  # needs solved at a counter
    unmet: float = 0.0  # needs given up or past their deadline
    gave_up: float = 0.0  # needs given up (non-recours)
    delay_days: float = 0.0  # sum over solved needs of (day solved - day arrived)
    visits: float = 0.0  # admitted visits that solved at least one need
    trips: float = 0.0  # visits made (admitted or not)
    contacts: float = 0.0  # needs solved at a counter (one contact per need)
    km_work: float = 0.0  # person-km of commutes (office and third places), round trips
    km_office: float = 0.0  # of which to the office
    km_third: float = 0.0  # of which to third places
    km_errands: float = 0.0  # person-km of errands made from home on home days (docs/ODD.md 7.2b)
    km_service: float = 0.0  # person-km of trips to points of contact (a chained visit counts its detour)
    km_workshop: float = 0.0  # person-km of makers' trips
    hours_work: float = 0.0
    hours_errands: float = 0.0
    hours_service: float = 0.0
    hours_workshop: float = 0.0
    co2_kg: float = 0.0
    pairs: float = 0.0  # pairs of co-present users of different groups (whole-population units already)
    sessions: float = 0.0  # makers' sessions held
    sessions_lost: float = 0.0  # sessions that found no place or no seat
    remote_days: float = 0.0  # worker-days at home or at a third place
    third_days: float = 0.0  # worker-days at a third place
    office_days: float = 0.0  # worker-days at the office
    home_days: float = 0.0  # worker-days at home
    teleworkable_days: float = 0.0  # weekday x teleworkable workers
    teleworker_days: float = 0.0  # weekday x workers whose employer allows remote days
    errand_trips: float = 0.0  # errands made as separate round trips (expected number)
    chained_visits: float = 0.0  # visits to a point of contact chained with the day's commute
    workshop_trips: float = 0.0  # makers' trips to a workshop (admitted or not)

    def as_dict(self) -> dict[str, float]:
        """The counters by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class ZoneCounters:
    """Counted totals per home zone, simulated units."""

    needs_human: np.ndarray
    unmet: np.ndarray
    solved: np.ndarray
    km_service: np.ndarray

    @classmethod
    def zeros(cls, n_zones: int) -> ZoneCounters:
        """All zero for ``n_zones`` zones."""
        return cls(*(np.zeros(n_zones) for _ in fields(cls)))


@dataclass
class PlaceEncounters:
    """Per place, over the counted weeks: pairs of users of different groups, slots with two or more groups,
    most groups at once (docs/ODD.md 7.5)."""

    pairs: np.ndarray
    mixed_slots: np.ndarray
    max_groups: np.ndarray


@dataclass
class PeriodUsage:
    """Per place, this accounting period (warm-up included): what operators and the accounts decide from."""

    users: np.ndarray  # [P, 3] users per activity (summed over open slots)
    contacts_kp: np.ndarray  # [K, P] contacts per provider and place
    sessions: np.ndarray  # [P] makers' sessions
    workdays: np.ndarray  # [P] worker-days at desks
    rev_pass: np.ndarray  # [P] day passes paid, EUR (simulated sample)
    full: np.ndarray  # [P, 3] open slots over the occupancy threshold
    open: np.ndarray  # [P, 3] open slots
    cap: np.ndarray  # [P, 3] capacity summed over open slots

    @classmethod
    def zeros(cls, n_places: int, n_providers: int) -> PeriodUsage:
        """All zero."""
        p, k = n_places, n_providers
        return cls(
            np.zeros((p, 3)),
            np.zeros((k, p)),
            np.zeros(p),
            np.zeros(p),
            np.zeros(p),
            np.zeros((p, 3)),
            np.zeros((p, 3)),
            np.zeros((p, 3)),
        )

    def reset(self) -> None:
        """Zero every accumulator in place (a new period)."""
        for f in fields(self):
            getattr(self, f.name)[...] = 0


@dataclass
class QuarterUsage:
    """Per provider, this quarter: what the providers' review decides from (docs/ODD.md 7.8)."""

    contacts: np.ndarray  # [K, P, 21] contacts per place and slot of the week
    rejections: np.ndarray  # [K, P] visits for the provider's needs turned away
    occurrences: np.ndarray  # [21] how many times each slot of the week occurred

    def reset(self) -> None:
        """Zero every accumulator in place (a new quarter)."""
        for f in fields(self):
            getattr(self, f.name)[...] = 0


@dataclass
class PlaceAccounts:
    """Per place, summed over the counted periods, EUR (``users`` and ``contacts`` in whole-population units)."""

    cost: np.ndarray
    revenue_users: np.ndarray
    provider_pay: np.ndarray
    subsidy: np.ndarray
    balance: np.ndarray
    users: np.ndarray
    contacts: np.ndarray


@dataclass
class ProviderAccounts:
    """Per provider, summed over the counted periods (EUR; contacts and rejections in whole-population units)."""

    payments: np.ndarray
    permanence: np.ndarray
    contacts: np.ndarray
    rejections: np.ndarray


@dataclass
class Money:
    """Totals over the counted periods, EUR."""

    network_cost: float = 0.0
    public_cost: float = 0.0
    provider_cost: float = 0.0
    revenue: float = 0.0
    subsidy: float = 0.0


@dataclass
class Recorder:
    """Every record of a run (module docstring).

    Args:
        n_zones, n_places, n_providers: sizes of the run.
    """

    n_zones: int
    n_places: int
    n_providers: int
    counting: bool = False  # set by the model each day: inside the counted weeks
    tot: Counters = field(default_factory=Counters)
    slot_rows: list[np.ndarray] = field(
        default_factory=list
    )  # [place, abs_slot, activity, cap, users, rejected]
    period_rows: list[dict[str, Any]] = field(default_factory=list)
    places_closed: int = 0
    money: Money = field(default_factory=Money)

    def __post_init__(self) -> None:
        z, p, k = self.n_zones, self.n_places, self.n_providers
        self.per_zone = ZoneCounters.zeros(z)
        self.place_enc = PlaceEncounters(np.zeros(p), np.zeros(p), np.zeros(p))
        self.period = PeriodUsage.zeros(p, k)
        self.quarter = QuarterUsage(np.zeros((k, p, 21)), np.zeros((k, p)), np.zeros(21))
        self.place_acc = PlaceAccounts(*(np.zeros(p) for _ in fields(PlaceAccounts)))
        self.prov_acc = ProviderAccounts(*(np.zeros(k) for _ in fields(ProviderAccounts)))
        self.period_start_tot = self.tot.as_dict()

    def record_slot(
        self,
        activity: int,
        abs_slot: int,
        open_rows: np.ndarray,
        users: np.ndarray,
        rejected: np.ndarray,
        capacity: np.ndarray,
        full_share: float,
        population: np.ndarray | None = None,
        sample_rate: float = 1.0,
    ) -> None:
        """Record one activity's slot at the places where it is open.

        Args:
            activity: WORK, MEDIATION or WORKSHOP.
            abs_slot: absolute slot (3 x day + part).
            open_rows: rows of the places where the activity is open in this slot.
            users, rejected, capacity: per place (all places), simulated users.
            full_share: occupancy at or above which a slot counts as full (economics.expand_occupancy).
            population: per place, the whole population's users imputed by the lottery at a sample rate below 1
                (persons, :mod:`simulation.sim.admission`): the "full" test reads them, not the sample's.
            sample_rate: the population's sample rate (capacity / sample_rate is the capacity in persons).
        """
        if open_rows.size == 0:
            return
        cap = capacity[open_rows]
        u = users[open_rows]
        pu = self.period
        pu.cap[open_rows, activity] += cap
        pu.users[open_rows, activity] += u
        pu.open[open_rows, activity] += 1
        if population is None:
            pu.full[open_rows, activity] += u >= full_share * cap
        else:  # the whole population's slot is full, not the sample's (a 0.6-user slot is "full" with 1 user)
            pu.full[open_rows, activity] += population[open_rows] >= full_share * cap / sample_rate - 1e-9
        if not self.counting:
            return
        self.slot_rows.append(
            np.column_stack(
                [
                    open_rows,
                    np.full(open_rows.size, abs_slot),
                    np.full(open_rows.size, activity),
                    cap,
                    u,
                    rejected[open_rows],
                ]
            )
        )

    def encounters(self, users: np.ndarray, sample_rate: float) -> None:
        """Pairs of co-present users from different groups, per place, in one slot (docs/ODD.md 7.5).

        Args:
            users: [P, 3] users per place and group (worker, resident, maker), simulated units.
            sample_rate: the population's sample rate (pairs are counted for the whole population).
        """
        if not self.counting:
            return
        u = users / sample_rate
        pairs = u[:, 0] * u[:, 1] + u[:, 0] * u[:, 2] + u[:, 1] * u[:, 2]
        groups = (users > 0).sum(axis=1)
        self.tot.pairs += pairs.sum()
        enc = self.place_enc
        enc.pairs += pairs
        enc.mixed_slots += groups >= 2
        enc.max_groups = np.maximum(enc.max_groups, groups)

    def slots(self) -> np.ndarray:
        """The slot rows as one array [n, 6] (place, abs_slot, activity, capacity, users, rejected)."""
        return np.concatenate(self.slot_rows) if self.slot_rows else np.zeros((0, 6))

    def period_delta(self) -> dict[str, float]:
        """The counters' increase since the last period row (:meth:`close_period_row`)."""
        now = self.tot.as_dict()
        return {k: now[k] - self.period_start_tot[k] for k in now}

    def close_period_row(self, row: dict[str, Any]) -> None:
        """Keep a counted period's row and start the next period's counter deltas."""
        self.period_rows.append(row)
        self.period_start_tot = self.tot.as_dict()
