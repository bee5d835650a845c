"""Places and their operators.

The hot path reads places as arrays (:class:`Network`): capacities, weekly timetables per activity and, for each
slot of the week, the bit mask of need categories a place covers. Places and operators are also Mesa agents
(:class:`PlaceAgent`, :class:`OperatorAgent`): few and rich, they keep their accounts and decide at the end of each
4-week period (docs/ODD.md 7.7), writing their decisions back into the arrays. The agents hold a reference to
the :class:`Network` they belong to and receive what else they decide from as arguments: they never read the
model.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from simulation.core.config import ACTIVITIES, EconomicsConfig, SimConfig
from simulation.core.randomness import hash_ids, uniform
from simulation.core.timetable import N_SLOTS, masks_to_matrix

WORK, MEDIATION, WORKSHOP = 0, 1, 2  # activity columns (config.ACTIVITIES order)
OWN_USE_ORIGINS = ("school", "library", "town_hall")
OFFICE_ORIGINS = ("provider_office", "post_office")
SLOT_BITS = (1 << np.arange(N_SLOTS)).astype(np.int64)


class Network:
    """The places of a run as arrays, the state the daily loop reads.

    Args:
        places: the territory's places table (docs/INTERFACES.md), after the scenario's interventions.
        zone_index: zone_id -> zone row.
        cfg: the run's configuration.
    """

    def __init__(self, places: pd.DataFrame, zone_index: dict[str, int], cfg: SimConfig) -> None:
        self.table = places.reset_index(drop=True)
        t = self.table
        n = len(t)
        self.n = n
        self.place_id = t["place_id"].astype(str).to_numpy()
        self.place_hash = hash_ids(self.place_id)  # alternative ids of the counter-based draws
        self.zone = np.array([zone_index[z] for z in t["zone_id"].astype(str)], dtype=np.int64)
        self.origin = t["origin"].astype(str).to_numpy()
        self.operator = t["operator"].astype(str).to_numpy()
        self.area = t["area_m2"].to_numpy(float)
        self.labelled = (
            (t["label"].astype(str) == "france_services").to_numpy() if "label" in t else np.zeros(n, bool)
        )
        self.network = t["network"].astype(bool).to_numpy() if "network" in t else np.zeros(n, bool)
        self.opening = t["opening"].to_numpy(np.int64, copy=True)
        self.offhours = (
            t["offhours"].to_numpy(np.int64, copy=True) if "offhours" in t else np.zeros(n, np.int64)
        )
        # base capacities in physical units (desks, counters, seats)
        self.units = np.stack(
            [t["desks"].to_numpy(float), t["counters"].to_numpy(float), t["workshop_seats"].to_numpy(float)],
            axis=1,
        )
        self.act_mask = np.stack(
            [
                t["opening_work"].to_numpy(np.int64),
                t["opening_mediation"].to_numpy(np.int64),
                t["opening_workshop"].to_numpy(np.int64),
            ],
            axis=1,
        )
        pol = cfg.policy
        self.price_day = np.where(
            np.isfinite(t["price_day_eur"].to_numpy(float)),
            t["price_day_eur"].to_numpy(float),
            pol.price_day_eur,
        )
        self.price_month = np.where(
            np.isfinite(t["price_month_eur"].to_numpy(float)),
            t["price_month_eur"].to_numpy(float),
            pol.price_month_eur,
        )
        self.provider_ids = [p.id for p in cfg.providers]
        k = len(self.provider_ids)
        self.perm = np.zeros((k, n), dtype=np.int64)
        for row, perms in enumerate(t["permanences"] if "permanences" in t else [{}] * n):
            for pid, m in (perms or {}).items():
                self.perm[self.provider_ids.index(pid), row] = int(m)
        # the provider that owns each office (provider offices, post offices): the one present the most slots
        office = np.isin(self.origin, OFFICE_ORIGINS) & (self.perm != 0).any(axis=0)
        presence = np.bitwise_count(self.perm.astype(np.uint64)) if k else np.zeros((0, n))
        self.owner = np.where(office, np.argmax(presence, axis=0) if k else -1, -1).astype(np.int64)
        self.delegating_bits = int(sum(1 << i for i, p in enumerate(cfg.providers) if p.delegates))
        self.is_open = np.ones(n, dtype=bool)
        self.sample_rate = cfg.population.sample_rate
        self.contacts_per_counter = cfg.behaviour.service.contacts_per_counter_slot
        self.refresh()

    # ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute the derived per-slot arrays after any change of timetables, capacities or closures."""
        open_ = self.is_open[:, None]
        self.slot_open = np.stack(
            [masks_to_matrix(self.act_mask[:, a]) & open_ for a in range(3)], axis=2
        )  # [P,21,3]
        med = self.slot_open[:, :, MEDIATION]
        cover = np.where(self.network[:, None] & med, self.delegating_bits, 0).astype(np.int64)
        for k in range(self.perm.shape[0]):
            cover |= np.where(masks_to_matrix(self.perm[k]) & med, 1 << k, 0)
        self.cover = cover  # [P,21] bit mask of categories covered
        # a counter runs only when it serves some category (a town hall's counter with no provider is inert)
        self.slot_open[:, :, MEDIATION] &= cover != 0
        units = self.units.copy()
        units[:, MEDIATION] *= self.contacts_per_counter
        # [P,3] users per slot in the simulated sample; fractional when sample_rate < 1: each slot then draws
        # floor or ceil with the right expectation (slot_capacity), so no rounding bias
        self.capacity_f = np.maximum(units, 0.0) * self.sample_rate
        self.slot_open &= (self.capacity_f > 0)[:, None, :]
        self.active = self.is_open & (
            self.slot_open[:, :, WORK].any(1)
            | self.slot_open[:, :, WORKSHOP].any(1)
            | (self.cover != 0).any(1)
        )
        self.mediation_places = np.flatnonzero((self.cover != 0).any(axis=1))
        self.desk_places = np.flatnonzero(self.slot_open[:, :, WORK].any(axis=1))
        self.workshop_places = np.flatnonzero(self.slot_open[:, :, WORKSHOP].any(axis=1))
        self.version = getattr(self, "version", 0) + 1

    def activities_open(self) -> np.ndarray:
        """Number of activities each place runs in some slot (2 or more = multifunctional)."""
        act = self.slot_open.any(axis=1).copy()
        act[:, MEDIATION] = (self.cover != 0).any(axis=1)
        # a public building's own use (teaching, lending, the town hall's counter) is an activity of its own
        own_use = (
            np.isin(self.origin, OWN_USE_ORIGINS) & ((self.opening & ~self.offhours) != 0) & self.is_open
        )
        return act.sum(axis=1) + own_use

    def max_units(self, row: int, m2_per_unit: float) -> int:
        """Capacity that the floor area allows for one activity."""
        return int(self.area[row] // m2_per_unit)

    def slot_capacity(self, key: np.uint64, abs_slot: int, activity: int) -> np.ndarray:
        """Capacity of every place in this slot, in simulated users.

        With sample_rate < 1 the scaled capacity is fractional; each slot draws its floor or ceiling with the
        probability that keeps the expectation exact (a counter-based draw on ``key``: the same in every
        scenario).
        """
        cf = self.capacity_f[:, activity]
        base = np.floor(cf + 1e-9)
        frac = cf - base
        if not (frac > 1e-9).any():
            return base.astype(np.int64)
        u = uniform(key, abs_slot * 3 + activity, self.place_hash)
        return (base + (u < frac)).astype(np.int64)


class PlaceAgent(mesa.Agent):
    """A place: its identity and row in the :class:`Network` (the arrays hold its state)."""

    def __init__(self, model: mesa.Model, network: Network, row: int) -> None:
        super().__init__(model)
        self.network = network
        self.row = row
        self.place_id = str(network.place_id[row])
        self.origin = str(network.origin[row])
        self.operator_kind = str(network.operator[row])
        self.closed_period: int | None = None

    @property
    def is_open(self) -> bool:
        """Not closed by its operator."""
        return bool(self.network.is_open[self.row])


class OperatorAgent(mesa.Agent):
    """The operator of one place: reviews viability and capacity every period (docs/ODD.md 7.7)."""

    def __init__(self, model: mesa.Model, place: PlaceAgent) -> None:
        super().__init__(model)
        self.place = place
        self.closable = place.operator_kind in ("private", "association")

    def review(self, period: int, close: bool, full_share: np.ndarray, econ: EconomicsConfig) -> str | None:
        """Apply this period's decision.

        Args:
            period: the accounting period that ends.
            close: the viability rule says the place closes (private or association, recovery too low).
            full_share: per activity, the share of the place's open slots that were over the occupancy
                threshold this period (NaN where the activity does not run).
            econ: the economics parameters (floor area per unit of capacity).

        Returns:
            A line for the run's log when something changed.
        """
        net = self.place.network
        row = self.place.row
        if close and self.closable:
            self.place.closed_period = period
            net.is_open[row] = False
            return f"period {period}: {self.place.place_id} closes (cost recovery too low)"
        m2 = (econ.m2_per_desk, econ.m2_per_counter, econ.m2_per_workshop_seat)
        for a in (WORK, MEDIATION, WORKSHOP):
            if not (np.isfinite(full_share[a]) and full_share[a] > 0.5):
                continue
            limit = net.max_units(row, m2[a])
            current = net.units[row, a]
            if current < limit:
                net.units[row, a] = min(limit, current + max(1.0, np.ceil(0.1 * current)))
                pid, new = self.place.place_id, net.units[row, a]
                return f"period {period}: {pid} adds {ACTIVITIES[a]} capacity ({current:g} -> {new:g})"
            extra = _next_slot(int(net.act_mask[row, a]))
            if extra is not None:
                net.act_mask[row, a] |= 1 << extra
                net.opening[row] |= 1 << extra
                return f"period {period}: {self.place.place_id} opens {ACTIVITIES[a]} one more slot"
        return None


def _next_slot(activity_mask: int) -> int | None:
    """The first weekday AM or PM slot where the activity does not run yet (the operator extends its hours)."""
    for s in range(15):  # Mon..Fri
        if s % 3 != 2 and not (activity_mask >> s) & 1:
            return s
    return None
