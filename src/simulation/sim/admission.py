"""The capacity lottery of the whole population when only a sample of it is simulated (issue 9).

With ``population.sample_rate`` s < 1 each simulated adult stands for 1/s adults, and a place's capacity in a
slot is c·s simulated users. Admitting up to c·s of the D sampled candidates (the plain lottery) gets the
*expectation* of the capacity right but not the *fluctuations* of the demand: D/s varies 1/s times more than
the whole population's demand does, and the admitted count min(D, c·s) is concave in D, so a small sample admits
fewer people than the population would (a place gets 0 candidates one day and 3 for 1.2 places the next). At
s = 0.1 on the Nièvre this alone lost 7 points of solved needs and 25 points of desk occupancy; and a slot of
capacity 0.6 simulated users that draws 0 with nobody in it counted as full, so operators added capacity the
population would not have needed (README, "Results that do not depend on the sample rate").

:func:`slot_admission` runs the lottery of the whole population instead. The unsampled adults' demand at a place
in the slot, U, is imputed from the sampled demand of the same slot of the week in the previous weeks
(:class:`DemandMemory`, a running mean of D/s over the last ``HORIZON`` weeks): U ~ Poisson((1 - s) x mean).
The population's demand is then D + U: when it exceeds the capacity c (in persons), everyone's chance to get in
is c / (D + U), so the lottery admits D x c / (D + U) of the sampled candidates (stochastically rounded: its
expectation is exact), and the population's users in the slot are min(D + U, c): what the operators' "full slot"
test reads (never the KPIs, which count the sample). If demand is Poisson (many adults, each coming with a
small probability) and the mean is right, D given D + U is a binomial thinning of the population's demand, so the
sample's admissions are, in distribution, those of the whole population thinned: E[admitted] = s x
E[min(D + U, c)].

At s = 1 there is nothing to impute: :func:`slot_admission` returns the plain lottery's capacity, and the runs
are those of the plain lottery, draw for draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from simulation.core.randomness import uniform
from simulation.sim.network import Network

HORIZON = 8  # weeks of the running mean of each slot's demand (a place's demand drifts as people learn)
SLOTS_PER_WEEK = 21


@dataclass
class DemandMemory:
    """Per place, slot of the week and activity: the running mean of the sampled demand / s (persons).

    Attributes:
        mean: [P, 21, 3] demand per slot in whole-population persons (0 until seen).
        seen: [P, 21, 3] how many times the slot was observed (capped at ``HORIZON``).
    """

    mean: np.ndarray
    seen: np.ndarray

    @classmethod
    def of(cls, n_places: int) -> DemandMemory:
        """Nothing seen yet."""
        return cls(np.zeros((n_places, SLOTS_PER_WEEK, 3)), np.zeros((n_places, SLOTS_PER_WEEK, 3), np.int64))


@dataclass(frozen=True)
class SlotAdmission:
    """The lottery of one activity's slot.

    Attributes:
        admit: [P] int, sampled candidates the lottery admits at each place (:func:`simulation.core.choice.admit`).
        capacity: [P], the capacity in simulated users (what occupancy divides by): c x s (at s = 1 the integer
            capacity of the plain lottery).
        population: [P] float, the whole population's users in the slot, persons (min(D + U, c); None at s = 1,
            where the sample is the population).
    """

    admit: np.ndarray
    capacity: np.ndarray
    population: np.ndarray | None


def slot_admission(
    net: Network,
    memory: DemandMemory,
    key_capacity: np.uint64,
    key_imputation: np.uint64,
    abs_slot: int,
    activity: int,
    demand: np.ndarray,
) -> SlotAdmission:
    """The capacities of a slot's lottery (module docstring), and the slot's demand remembered.

    Args:
        net: the places (``capacity_f``, ``slot_open``, ``sample_rate``).
        memory: the demand memory, updated in place at the places where the activity is open in the slot.
        key_capacity: the key of the capacity rounding draws (as :meth:`Network.slot_capacity`).
        key_imputation: the key of the imputation draws (unused at s = 1).
        abs_slot: absolute slot (3 x day + part).
        activity: WORK, MEDIATION or WORKSHOP.
        demand: [P] sampled candidates at each place.

    Returns:
        The slot's :class:`SlotAdmission`.
    """
    s = net.sample_rate
    if s >= 1.0:
        cap = net.slot_capacity(key_capacity, abs_slot, activity)
        return SlotAdmission(cap, cap, None)
    week_slot = abs_slot % SLOTS_PER_WEEK
    # the places open in the slot, and those with candidates (desks open only in the afternoon: the day's lottery
    # runs at AM for the day)
    rows = np.flatnonzero(net.slot_open[:, week_slot, activity] | (demand > 0))
    admit = net.slot_capacity(key_capacity, abs_slot, activity)
    population = np.zeros(net.n)
    capacity = net.capacity_f[:, activity].copy()
    if rows.size == 0:
        return SlotAdmission(admit, capacity, population)
    d = demand[rows].astype(float)
    x = d / s
    mean, seen = memory.mean[rows, week_slot, activity], memory.seen[rows, week_slot, activity]
    # the unsampled demand comes from the slot's past (the current sample would correlate U with D)
    prior = np.where(seen > 0, mean, x)
    hashes = net.place_hash[rows]
    u_imp = uniform(key_imputation, abs_slot * 6 + 2 * activity, hashes)
    u_round = uniform(key_imputation, abs_slot * 6 + 2 * activity + 1, hashes)
    unsampled = poisson.ppf(u_imp, (1.0 - s) * prior)
    # the capacity in persons, rounded as the plain lottery rounds it (units are whole desks, counters, seats)
    c_f = net.capacity_f[rows, activity] / s
    base = np.floor(c_f + 1e-9)
    u_cap = uniform(key_capacity, abs_slot * 3 + activity, hashes)
    c = base + (u_cap < c_f - base)
    total = d + unsampled
    share = np.where(total > c, c / np.maximum(total, 1.0), 1.0)  # everyone's chance to get in
    want = d * share
    admit[rows] = np.floor(want + 1e-9).astype(np.int64) + (u_round < want - np.floor(want + 1e-9))
    population[rows] = np.minimum(total, c)
    # remember the slot's demand: a running mean over the last HORIZON observations
    seen_new = np.minimum(seen + 1, HORIZON)
    memory.mean[rows, week_slot, activity] = mean + (x - mean) / seen_new
    memory.seen[rows, week_slot, activity] = seen_new
    return SlotAdmission(admit, capacity, population)
