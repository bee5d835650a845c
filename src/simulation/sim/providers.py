"""Service providers and the local authority (Mesa agents).

A provider owns one category of needs (bit ``k`` of the category masks). It runs its own offices (places whose
``permanences`` list it over their whole mediation timetable) and may hold permanences in other places; every
13 weeks it reviews them (MODEL.md 4.7). The authority holds the subsidy rule and the sharing clause (MODEL.md 4.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.core.config import ProviderConfig
from simulation.sim.network import MEDIATION, SLOT_BITS

if TYPE_CHECKING:
    from simulation.sim.model import SharedPlacesModel


class ProviderAgent(mesa.Agent):
    """A service organisation (CAF, CPAM, La Poste...).

    Args:
        model: the model.
        k: the provider's index (its category bit).
        spec: its configuration.
    """

    def __init__(self, model: SharedPlacesModel, k: int, spec: ProviderConfig) -> None:
        super().__init__(model)
        self.k = k
        self.spec = spec
        self.slots_added = 0
        self.slots_dropped = 0

    def own_offices(self) -> np.ndarray:
        """Rows of the places that are this provider's dedicated offices."""
        net = self.model.network
        return np.flatnonzero(net.owner == self.k)

    def permanence_rows(self) -> np.ndarray:
        """Rows of places where the provider holds a permanence outside its own offices."""
        net = self.model.network
        return np.flatnonzero((net.perm[self.k] != 0) & (net.owner != self.k))

    def review(
        self, contacts_ps: np.ndarray, occurrences_s: np.ndarray, rejections_p: np.ndarray
    ) -> list[str]:
        """Quarterly review of permanences (MODEL.md 4.7).

        Args:
            contacts_ps: this provider's contacts per place and slot of the week over the quarter, [P, 21].
            occurrences_s: how many times each slot of the week occurred in the quarter, [21].
            rejections_p: visits for this provider's needs turned away per place over the quarter, [P].

        Returns:
            Log lines of the changes.
        """
        net = self.model.network
        econ = self.model.cfg.economics
        log: list[str] = []
        s_rate = net.sample_rate
        for row in self.permanence_rows():
            mask = int(net.perm[self.k, row])
            slots = np.flatnonzero((mask & SLOT_BITS) != 0)
            avg = contacts_ps[row, slots] / s_rate / np.maximum(occurrences_s[slots], 1)
            drop = slots[(avg < econ.min_contacts) & (occurrences_s[slots] > 0)]
            if drop.size:  # dropping every slot means the provider leaves the place
                for s in drop:
                    mask &= ~(1 << int(s))
                net.perm[self.k, row] = mask
                self.slots_dropped += int(drop.size)
                log.append(f"{self.spec.id} drops {drop.size} permanence slot(s) at {net.place_id[row]}")
        budget = self.spec.extra_slots_budget - self.slots_added
        if budget > 0:
            offices = set(self.own_offices().tolist())
            crowded = np.flatnonzero(rejections_p / s_rate > econ.max_rejections)
            for row in crowded[np.argsort(-rejections_p[crowded], kind="stable")]:
                if budget <= 0 or row in offices:
                    continue
                # the place's counters are staffed in these slots (whether or not they serve this provider yet)
                med = ((int(net.act_mask[row, MEDIATION]) & SLOT_BITS) != 0) & (
                    net.capacity_f[row, MEDIATION] > 0
                )
                covered = (net.cover[row] >> self.k) & 1
                free = np.flatnonzero(med & ((int(net.perm[self.k, row]) & SLOT_BITS) == 0) & (covered == 0))
                if free.size == 0:
                    continue
                net.perm[self.k, row] |= 1 << int(free[0])
                self.slots_added += 1
                budget -= 1
                log.append(f"{self.spec.id} adds a permanence slot at {net.place_id[row]}")
        return log


class Authority(mesa.Agent):
    """The local public actor: subsidy rule and sharing clause (MODEL.md 4.8)."""

    def __init__(self, model: SharedPlacesModel) -> None:
        super().__init__(model)
        pol = model.cfg.policy
        self.subsidy_rule = pol.subsidy_rule
        self.per_site_eur_year = pol.per_site_eur_year
        self.deficit_cap_eur_year = pol.deficit_cap_eur_year
        self.sharing_clause = pol.sharing_clause
        self.paid_eur = 0.0
