"""A fast p-median heuristic: greedy construction then best-improvement interchange (Teitz and Bart 1968).

Its solution is the exact solver's first incumbent: it gives the upper bound that fixes candidates by reduced
costs and warm-starts HiGHS. Everything is a vectorised numpy pass over the ``(demand, candidate)`` matrix, and
ties are broken by the lowest index, so the result is deterministic.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array

__all__ = ["assignment_cost", "greedy_interchange"]


def _penalised(cost: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    # An unreachable pair costs more than any solution that reaches everyone, so the heuristic first seeks
    # to reach every demand point, then to minimise the cost.
    finite = np.isfinite(cost)
    top = float(cost[finite].max()) if finite.any() else 1.0
    big = (top + 1.0) * (float(weights.sum()) + 1.0)
    return np.where(finite, cost, big), big


def assignment_cost(cost: np.ndarray, weights: np.ndarray, chosen: np.ndarray) -> float:
    """Demand-weighted cost of serving every demand point from its nearest chosen site (inf if one is unreached).

    Demand points of zero weight do not count, even when unreached.
    """
    if len(chosen) == 0:
        return float("inf")
    nearest = cost[:, chosen].min(axis=1)
    served = weights > 0
    if not np.all(np.isfinite(nearest[served])):
        return float("inf")
    return float(weights[served] @ nearest[served])


def greedy_interchange(
    cost: np.ndarray, weights: np.ndarray, p: int, forced: np.ndarray | None = None, max_rounds: int = 10_000
) -> np.ndarray:
    """p sites by greedy addition then best-improvement swaps, until no swap lowers the weighted cost.

    Args:
        cost: ``(n, m)`` costs, ``np.inf`` where unreachable.
        weights: ``(n,)`` weights >= 0.
        p: number of sites, ``forced.sum() <= p <= m``.
        forced: ``(m,)`` bool mask of sites that stay open (never swapped out).
        max_rounds: a safety cap on the number of swaps.

    Returns:
        The sorted indices of the ``p`` chosen candidates.
    """
    n, m = cost.shape
    forced = np.zeros(m, dtype=bool) if forced is None else forced
    dist, big = _penalised(cost, weights)
    w = weights
    chosen = list(np.flatnonzero(forced))
    current = dist[:, chosen].min(axis=1) if chosen else np.full(n, big * 2.0)
    is_open = forced.copy()
    while len(chosen) < p:
        gain = w @ np.maximum(0.0, current[:, None] - dist)
        gain[is_open] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        is_open[j] = True
        current = np.minimum(current, dist[:, j])
    sites = np.array(chosen, dtype=np.int64)
    swappable = ~forced[sites]
    if p == m or not swappable.any():
        return np.sort(sites)
    rows = np.arange(n)
    for _ in range(max_rounds):
        d_open = dist[:, sites]
        if p > 1:
            two = np.argpartition(d_open, 1, axis=1)[:, :2]
            pair = d_open[rows[:, None], two]
            first = np.where(pair[:, 0] <= pair[:, 1], two[:, 0], two[:, 1])
            d1 = d_open[rows, first]
            d2 = pair.max(axis=1)
        else:
            first = np.zeros(n, dtype=np.int64)
            d1 = d_open[:, 0]
            d2 = np.full(n, big * 2.0)
        # Change of cost when candidate j opens and open site r closes:
        #   gain_in[j] (every point may move to j) + loss[r, j] (points of r go to j or to their second site).
        gain_in = w @ np.minimum(0.0, dist - d1[:, None])
        moved = w[:, None] * (np.minimum(dist, d2[:, None]) - np.minimum(dist, d1[:, None]))
        owner = csr_array((np.ones(n), (first, rows)), shape=(p, n))
        loss = owner @ moved
        delta = gain_in[None, :] + loss
        delta[:, is_open] = np.inf
        delta[~swappable, :] = np.inf
        r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        # A relative tolerance keeps rounding noise from cycling between equal-cost solutions.
        if not delta[r, j] < -1e-9 * max(1.0, float(w @ d1)):
            break
        is_open[sites[r]] = False
        is_open[j] = True
        sites[r] = j
    return np.sort(sites)
