"""Service providers and the local authority (Mesa agents).

A provider owns one category of needs (bit ``k`` of the category masks). It runs its own offices (places whose
``permanences`` list it over their whole mediation timetable) and may hold permanences in other places; every
13 weeks it reviews them (docs/ODD.md 7.8). The authority holds the subsidy rule and pays the subsidies
(docs/ODD.md 7.9). The agents hold a reference to the :class:`~simulation.sim.network.Network` and receive what
else they decide from as arguments: they never read the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from simulation.core.config import EconomicsConfig, PolicyConfig, ProviderConfig
from simulation.sim import economics
from simulation.sim.network import MEDIATION, SLOT_BITS, Network


class ProviderAgent(mesa.Agent):
    """A service organisation (CAF, CPAM, La Poste...).

    Args:
        model: the model (Mesa's registry).
        network: the places.
        k: the provider's index (its category bit).
        spec: its configuration.
    """

    def __init__(self, model: mesa.Model, network: Network, k: int, spec: ProviderConfig) -> None:
        super().__init__(model)
        self.network = network
        self.k = k
        self.spec = spec
        self.slots_added = 0
        self.slots_dropped = 0

    def own_offices(self) -> np.ndarray:
        """Rows of the places that are this provider's dedicated offices."""
        return np.flatnonzero(self.network.owner == self.k)

    def permanence_rows(self) -> np.ndarray:
        """Rows of places where the provider holds a permanence outside its own offices."""
        net = self.network
        return np.flatnonzero((net.perm[self.k] != 0) & (net.owner != self.k))

    def review(
        self,
        contacts_ps: np.ndarray,
        occurrences_s: np.ndarray,
        rejections_p: np.ndarray,
        econ: EconomicsConfig,
    ) -> list[str]:
        """Quarterly review of permanences (docs/ODD.md 7.8).

        Args:
            contacts_ps: this provider's contacts per place and slot of the week over the quarter, [P, 21].
            occurrences_s: how many times each slot of the week occurred in the quarter, [21].
            rejections_p: visits for this provider's needs turned away per place over the quarter, [P].
            econ: the economics parameters (min_contacts, max_rejections).

        Returns:
            Log lines of the changes.
        """
        net = self.network
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


@dataclass
class Subsidies:
    """What the authority pays over one period, per place, EUR.

    Attributes:
        total: every subsidy and grant paid to the place (``subsidy_eur``).
        relief: the part of the per-site subsidy that pays the providers' shares on their behalf.
        to_operator: what reaches the operator's balance (per-site subsidy beyond the relief, grants, deficit
            cover).
    """

    total: np.ndarray
    relief: np.ndarray
    to_operator: np.ndarray


class Authority(mesa.Agent):
    """The local public actor (docs/ODD.md 7.9): its subsidy rule, the operating grants of association places,
    and what it has paid.

    Args:
        model: the model (Mesa's registry).
        policy: the policy levers (subsidy rule and amounts, grants, sharing clause).
    """

    def __init__(self, model: mesa.Model, policy: PolicyConfig) -> None:
        super().__init__(model)
        self.policy = policy
        self.sharing_clause = policy.sharing_clause
        self.paid_eur = 0.0  # every subsidy and grant paid, warm-up included, EUR

    def per_site(self, labelled: np.ndarray, weeks: float) -> np.ndarray:
        """The per-site subsidy of labelled mediation sites over ``weeks`` (0 unless the rule is per_site)."""
        pol = self.policy
        rule = "per_site" if pol.subsidy_rule == "per_site" else "none"
        return economics.subsidies(
            rule,
            labelled,
            np.zeros(labelled.shape[0]),
            pol.per_site_eur_year,
            pol.deficit_cap_eur_year,
            weeks,
        )

    def grants(self, operator: np.ndarray, active: np.ndarray, weeks: float) -> np.ndarray:
        """The municipality's operating grant to association places (not paid on the providers' behalf)."""
        return (operator == "association") * active * self.policy.association_grant_eur_year * weeks / 52.0

    def deficit_cover(self, labelled: np.ndarray, deficit: np.ndarray, weeks: float) -> np.ndarray:
        """With the ``deficit`` rule, the deficits covered up to the cap (0 under the other rules)."""
        pol = self.policy
        if pol.subsidy_rule != "deficit":
            return np.zeros(deficit.shape[0])
        return economics.subsidies(
            "deficit", labelled, deficit, pol.per_site_eur_year, pol.deficit_cap_eur_year, weeks
        )

    def record(self, paid: np.ndarray) -> None:
        """Add a period's payments to what the authority has paid."""
        self.paid_eur += float(paid.sum())
