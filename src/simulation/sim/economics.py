"""Costs, cost allocation, viability and subsidies of shared places (docs/ODD.md 7.6-4.8).

Every function here is pure: plain numbers and numpy arrays in, numbers and arrays out, no model state and no
randomness. The model calls them at the end of each 4-week accounting period; the parameter names follow
:class:`~simulation.core.config.EconomicsConfig` and :class:`~simulation.core.config.PolicyConfig`.

Cost allocation (docs/ODD.md 7.6). A place's cost over a period is a fixed cost (rent, overhead) plus a cost
per open slot (staff, energy). Its funders are the providers and uses present; the coalition S of funders
needs the place open in the union of its members' slots, so ``cost(S) = fixed + sum of slot costs over the
union of S's slots`` (and ``cost(empty) = 0``). The Shapley value of this game has a closed form
(:func:`union_game_shapley`): the fixed cost is shared equally among all funders, each slot's cost equally
among the funders present in that slot. This is the airport game of Littlechild and Owen (1973), generalised
from nested to arbitrary slot sets. :func:`shapley_value` computes the exact Shapley value of any small game
by enumeration, to check the closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping

import numpy as np

from simulation.core.config import ALLOCATION_RULES, SUBSIDY_RULES

MAX_SHAPLEY_PLAYERS = 20
"""Largest game :func:`shapley_value` enumerates (2**20 coalitions)."""

WEEKS_PER_YEAR = 52.0


# --------------------------------------------------------------------------------------------------
# Shapley value
# --------------------------------------------------------------------------------------------------
def shapley_value(players: Iterable[Hashable], cost: Callable[[frozenset], float]) -> dict[Hashable, float]:
    """Exact Shapley value of a cost game, by enumeration of all coalitions.

    ``phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (cost(S + {i}) - cost(S))``. The cost
    function is called once per coalition (``2**n`` calls), including ``cost(frozenset())``, which is taken as
    given (efficiency then reads ``sum(phi) = cost(N) - cost(empty)``).

    Args:
        players: the distinct players (any hashable).
        cost: the characteristic function, called with a frozenset of players.

    Returns:
        The Shapley value of each player, in the order of ``players``.

    Raises:
        ValueError: if there are more than :data:`MAX_SHAPLEY_PLAYERS` players or a player is repeated.
    """
    order = list(players)
    n = len(order)
    if n > MAX_SHAPLEY_PLAYERS:
        raise ValueError(
            f"shapley_value enumerates 2**n coalitions and accepts at most {MAX_SHAPLEY_PLAYERS} players, "
            f"got {n}; "
            "use a closed form (e.g. union_game_shapley) or sampling for larger games"
        )
    if len(set(order)) != n:
        raise ValueError(f"shapley_value: players must be distinct, got {order!r}")
    if n == 0:
        return {}
    masks = np.arange(1 << n, dtype=np.int64)
    values = np.empty(1 << n, dtype=float)
    for mask in range(1 << n):
        values[mask] = float(cost(frozenset(order[i] for i in range(n) if mask >> i & 1)))
    size = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        size += (masks >> i) & 1
    # weight of a coalition of size s not containing i: s! (n-s-1)! / n! = 1 / (n * C(n-1, s))
    weight = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])
    result: dict[Hashable, float] = {}
    for i, player in enumerate(order):
        without = masks[((masks >> i) & 1) == 0]
        marginal = values[without | (1 << i)] - values[without]
        result[player] = float(np.sum(weight[size[without]] * marginal))
    return result


def union_game_shapley(
    slots: Mapping[Hashable, Iterable[Hashable]],
    slot_cost: float | Mapping[Hashable, float],
    fixed_cost: float,
) -> dict[Hashable, float]:
    """Closed-form Shapley value of the union (generalised airport) cost game (docs/ODD.md 7.6).

    The game is ``cost(S) = fixed_cost + sum of slot_cost over the union of the slots of S``,
    ``cost(empty) = 0``. Its Shapley value gives each player ``fixed_cost / n`` plus, for each of its
    slots, the slot's cost divided by the number of players using that slot. A player with no slots still
    pays its share of the fixed cost.

    Args:
        slots: for each player, the slots it uses (duplicates are ignored).
        slot_cost: the cost of one slot (same for all), or a mapping slot -> cost that covers every used slot.
        fixed_cost: the cost of having the place at all.

    Returns:
        The Shapley value of each player, in the order of ``slots``; empty if there are no players.

    Raises:
        ValueError: if ``slot_cost`` is a mapping that lacks a used slot.
    """
    n = len(slots)
    if n == 0:
        return {}
    sets = {player: set(used) for player, used in slots.items()}
    users: dict[Hashable, int] = {}
    for used in sets.values():
        for slot in used:
            users[slot] = users.get(slot, 0) + 1

    if isinstance(slot_cost, Mapping):
        missing = [slot for slot in users if slot not in slot_cost]
        if missing:
            raise ValueError(f"union_game_shapley: slot_cost has no cost for used slot(s) {missing!r}")
        per_user = {slot: float(slot_cost[slot]) / count for slot, count in users.items()}
    else:
        per_user = {slot: float(slot_cost) / count for slot, count in users.items()}
    base = float(fixed_cost) / n
    return {player: base + sum(per_user[slot] for slot in used) for player, used in sets.items()}


# --------------------------------------------------------------------------------------------------
# Vectorised allocation for one place and one period
# --------------------------------------------------------------------------------------------------
def allocate(
    rule: str,
    fixed_cost: float,
    slot_cost: np.ndarray,
    uses: np.ndarray,
    contacts: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Allocate one place's cost over a period among its funders (docs/ODD.md 7.6).

    The allocated cost is the fixed cost plus the cost of the slots used by at least one player. The cost
    of slots used by nobody (e.g. opening hours without any funder) is the operator's ``remainder``; with no
    players everything is remainder. Always ``shares.sum() + remainder == fixed_cost + slot_cost.sum()``.

    Rules:
        - ``equal``: the allocated cost split equally among the players.
        - ``slots``: in proportion to the number of slots each player uses (equal split if nobody uses
          a slot).
        - ``contacts``: in proportion to the contacts each player served; ``slots`` if all contacts are zero.
        - ``shapley``: the Shapley value of the union game (:func:`union_game_shapley`): the fixed cost
          equally, each slot's cost equally among the players present in it.

    Args:
        rule: one of ``equal``, ``slots``, ``contacts``, ``shapley`` (``EconomicsConfig.allocation``).
        fixed_cost: the place's fixed cost over the period, EUR.
        slot_cost: shape ``[S]``, the cost of each slot over the period, EUR.
        uses: bool, shape ``[n_players, S]``: the player is present in that slot.
        contacts: shape ``[n_players]``, contacts or users served by each player over the period (>= 0).

    Returns:
        ``(shares, remainder)``: shares of shape ``[n_players]`` (EUR) and the operator's remainder (EUR).

    Raises:
        ValueError: on an unknown rule, inconsistent shapes or negative contacts.
    """
    if rule not in ALLOCATION_RULES:
        raise ValueError(f"unknown allocation rule {rule!r}; allowed: {', '.join(ALLOCATION_RULES)}")
    slot_cost = np.asarray(slot_cost, dtype=float)
    uses = np.asarray(uses, dtype=bool)
    contacts = np.asarray(contacts, dtype=float)
    if slot_cost.ndim != 1:
        raise ValueError(f"allocate: slot_cost must be 1-D [S], got shape {slot_cost.shape}")
    n_slots = slot_cost.shape[0]
    if uses.ndim == 1 and uses.size == 0:
        uses = uses.reshape(0, n_slots)
    if uses.ndim != 2 or uses.shape[1] != n_slots:
        raise ValueError(f"allocate: uses must have shape [n_players, {n_slots}], got {uses.shape}")
    n = uses.shape[0]
    if contacts.shape != (n,):
        raise ValueError(f"allocate: contacts must have shape [{n}], got {contacts.shape}")
    if np.any(contacts < 0):
        raise ValueError("allocate: contacts must be >= 0")

    total = float(fixed_cost) + float(slot_cost.sum())
    if n == 0:
        return np.zeros(0), total
    used = uses.any(axis=0)
    allocated = float(fixed_cost) + float(slot_cost[used].sum())
    remainder = float(slot_cost[~used].sum())

    if rule == "shapley":
        count = uses.sum(axis=0)
        per_user = np.divide(slot_cost, count, out=np.zeros(n_slots), where=count > 0)
        shares = float(fixed_cost) / n + uses.astype(float) @ per_user
        return shares, remainder

    weights = np.ones(n)
    if rule == "contacts" and contacts.sum() > 0:
        weights = contacts
    elif rule in ("slots", "contacts"):
        n_used = uses.sum(axis=1).astype(float)
        if n_used.sum() > 0:
            weights = n_used
    shares = allocated * weights / weights.sum()
    return shares, remainder


# --------------------------------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------------------------------
def allocate_places(
    rule: str,
    fixed_cost: np.ndarray,
    slot_cost: np.ndarray,
    provider_uses: np.ndarray,
    activity_uses: np.ndarray,
    provider_contacts: np.ndarray,
    activity_users: np.ndarray,
    active: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Allocate each place's cost among its funders, for every place of a period (docs/ODD.md 7.6).

    The players of a place's cost game are the providers present in some slot (through a permanence, their own
    office, or the partner network they delegate to) and the activities it runs (work, workshop); each player
    uses the slots where it is present. Every place is one :func:`allocate` call.

    Args:
        rule: ``equal``, ``slots``, ``contacts`` or ``shapley``.
        fixed_cost: fixed cost of each place over the period, EUR, shape [P].
        slot_cost: cost of each slot of the week over the period, EUR, shape [P, S].
        provider_uses: provider k is present at place p in slot s, bool [K, P, S].
        activity_uses: activity a runs at place p in slot s, bool [A, P, S].
        provider_contacts: contacts of provider k's needs at place p, [K, P].
        activity_users: users of activity a at place p (worker-days, sessions), [A, P].
        active: places in the network (inactive ones are skipped), bool [P].

    Returns:
        (the providers' shares [K, P], the operator's part [P]: the activities' shares plus the remainder).
    """
    k, n = provider_contacts.shape
    shares_prov = np.zeros((k, n))
    op_part = np.zeros(n)
    for p in np.flatnonzero(active):
        players = np.flatnonzero(provider_uses[:, p].any(axis=1))
        acts = np.flatnonzero(activity_uses[:, p].any(axis=1))
        uses = np.concatenate([provider_uses[players, p], activity_uses[acts, p]])
        if uses.shape[0] == 0:
            op_part[p] = fixed_cost[p] + slot_cost[p].sum()
            continue
        contacts = np.concatenate([provider_contacts[players, p], activity_users[acts, p]]).astype(float)
        shares, remainder = allocate(rule, fixed_cost[p], slot_cost[p], uses, contacts)
        shares_prov[players, p] = shares[: players.size]
        op_part[p] = shares[players.size :].sum() + remainder
    return shares_prov, op_part


def fixed_cost_eur(
    area_m2: np.ndarray | float,
    rent_eur_m2_year: np.ndarray | float,
    overhead_eur_year: np.ndarray | float,
    weeks: float,
) -> np.ndarray:
    """Fixed cost of places over ``weeks`` weeks: ``(area x rent + overhead) x weeks / 52``.

    Args:
        area_m2: floor area of each place, m2.
        rent_eur_m2_year: rent of each place (by its zone kind), EUR/m2/year.
        overhead_eur_year: overhead per place (insurance, IT, supplies), EUR/year.
        weeks: length of the period, weeks (4 for an accounting period).

    Returns:
        The fixed cost, EUR, broadcast over the inputs.
    """
    area = np.asarray(area_m2, dtype=float)
    rent = np.asarray(rent_eur_m2_year, dtype=float)
    overhead = np.asarray(overhead_eur_year, dtype=float)
    return (area * rent + overhead) * (float(weeks) / WEEKS_PER_YEAR)


def slot_cost_eur(
    area_m2: np.ndarray | float,
    hours: np.ndarray | float,
    staff_persons: np.ndarray | float,
    wage_eur_hour: np.ndarray | float,
    energy_eur_m2_hour: np.ndarray | float,
) -> np.ndarray:
    """Cost of opening slots: ``staff x hours x wage + area x hours x energy``.

    Broadcasts, e.g. ``area_m2[:, None]`` against ``hours[None, :]`` gives a ``[n_places, 21]`` table.

    Args:
        area_m2: floor area, m2.
        hours: length of the slot, h (``EconomicsConfig.slot_hours``).
        staff_persons: staff present (hosts, mediators, animators), persons.
        wage_eur_hour: loaded wage, EUR/h.
        energy_eur_m2_hour: heating and lighting, EUR/m2/h.

    Returns:
        The cost of one opening of each slot, EUR.
    """
    area = np.asarray(area_m2, dtype=float)
    h = np.asarray(hours, dtype=float)
    staff = np.asarray(staff_persons, dtype=float)
    wage = np.asarray(wage_eur_hour, dtype=float)
    energy = np.asarray(energy_eur_m2_hour, dtype=float)
    return staff * h * wage + area * h * energy


# --------------------------------------------------------------------------------------------------
# Viability, subsidies, mutualisation
# --------------------------------------------------------------------------------------------------
def cost_recovery(revenues: np.ndarray, costs: np.ndarray, window: int) -> np.ndarray:
    """Cost recovery of each place over the last ``window`` periods (docs/ODD.md 7.7).

    ``recovery = sum of revenues / sum of costs`` over the last ``window`` periods (all periods if fewer).
    A place with zero cost over the window has recovery ``1.0`` if it also has zero revenue (break-even) and
    ``inf`` if its revenue is positive: in both cases it is never below a closure threshold <= 1.

    Args:
        revenues: shape ``[n_places, n_periods]``, revenues per period (subsidies included), EUR.
        costs: same shape, costs per period, EUR.
        window: number of most recent periods (``EconomicsConfig.recovery_window_periods``), >= 1.

    Returns:
        Shape ``[n_places]``.

    Raises:
        ValueError: if the shapes differ, are not 2-D, or ``window < 1``.
    """
    revenues = np.asarray(revenues, dtype=float)
    costs = np.asarray(costs, dtype=float)
    if revenues.shape != costs.shape or revenues.ndim != 2:
        raise ValueError(
            f"cost_recovery: revenues and costs must both have shape [n_places, n_periods], "
            f"got {revenues.shape} and {costs.shape}"
        )
    if window < 1:
        raise ValueError(f"cost_recovery: window must be >= 1, got {window}")
    rev = revenues[:, -window:].sum(axis=1)
    cost = costs[:, -window:].sum(axis=1)
    out = np.where(rev > 0, np.inf, 1.0)
    np.divide(rev, cost, out=out, where=cost != 0)
    return out


def closure_decision(
    below_streak: np.ndarray,
    recovery: np.ndarray,
    threshold: float,
    periods: int,
    closable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Update the streaks of periods below the recovery threshold and decide closures (docs/ODD.md 7.7).

    A place's streak grows by one when its recovery is below ``threshold`` and falls back to 0 otherwise (a
    NaN recovery counts as not below). Streaks are kept for every place (for reports), but only ``closable``
    places (private and association operators) close, once their streak reaches ``periods``.

    Args:
        below_streak: int, shape ``[n_places]``, consecutive periods below the threshold so far.
        recovery: shape ``[n_places]``, this period's cost recovery (after subsidies).
        threshold: ``EconomicsConfig.closure_threshold``.
        periods: ``EconomicsConfig.closure_periods``.
        closable: bool, shape ``[n_places]``.

    Returns:
        ``(new_streak, close_mask)``.
    """
    streak = np.asarray(below_streak, dtype=np.int64)
    below = np.asarray(recovery, dtype=float) < threshold
    new_streak = np.where(below, streak + 1, 0)
    close = np.asarray(closable, dtype=bool) & (new_streak >= periods)
    return new_streak, close


def subsidies(
    rule: str,
    labelled: np.ndarray,
    deficit: np.ndarray,
    per_site_eur_year: float,
    deficit_cap_eur_year: float,
    weeks: int,
) -> np.ndarray:
    """Subsidy paid by the authority to each place over a period of ``weeks`` weeks (docs/ODD.md 7.9).

    Rules:
        - ``none``: nothing.
        - ``per_site``: ``per_site_eur_year x weeks / 52`` to each labelled mediation site, 0 elsewhere.
        - ``deficit``: ``min(max(deficit, 0), deficit_cap_eur_year x weeks / 52)`` to every place.

    Args:
        rule: ``PolicyConfig.subsidy_rule``.
        labelled: bool, shape ``[n_places]``, labelled mediation sites (France Services).
        deficit: shape ``[n_places]``, cost minus revenue before subsidy over the period, EUR.
        per_site_eur_year: ``PolicyConfig.per_site_eur_year``.
        deficit_cap_eur_year: ``PolicyConfig.deficit_cap_eur_year``.
        weeks: length of the period, weeks.

    Returns:
        Shape ``[n_places]``, EUR.

    Raises:
        ValueError: on an unknown rule.
    """
    if rule not in SUBSIDY_RULES:
        raise ValueError(f"unknown subsidy rule {rule!r}; allowed: {', '.join(SUBSIDY_RULES)}")
    labelled = np.asarray(labelled, dtype=bool)
    deficit = np.asarray(deficit, dtype=float)
    scale = float(weeks) / WEEKS_PER_YEAR
    shape = np.broadcast_shapes(labelled.shape, deficit.shape)
    if rule == "none":
        return np.zeros(shape)
    if rule == "per_site":
        return np.broadcast_to(np.where(labelled, float(per_site_eur_year) * scale, 0.0), shape).copy()
    capped = np.minimum(np.maximum(deficit, 0.0), float(deficit_cap_eur_year) * scale)
    return np.broadcast_to(capped, shape).copy()


def mutualisation(cost_eur: np.ndarray, contacts: np.ndarray) -> np.ndarray:
    """Cost per contact (docs/ODD.md 7.6, mutualisation), NaN where there are no contacts.

    Args:
        cost_eur: cost borne (e.g. by each provider), EUR.
        contacts: contacts served, same shape (or broadcastable).

    Returns:
        ``cost_eur / contacts``, NaN where ``contacts <= 0``.
    """
    cost = np.asarray(cost_eur, dtype=float)
    n = np.asarray(contacts, dtype=float)
    shape = np.broadcast_shapes(cost.shape, n.shape)
    out = np.full(shape, np.nan)
    np.divide(cost, n, out=out, where=n > 0)
    return out
