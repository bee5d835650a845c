"""Exact uncapacitated p-median: Benders decomposition of the radius formulation, on HiGHS.

The formulation: the radius formulation of Elloumi (2010, "A compact formulation of the p-median problem",
Discrete Applied Mathematics), in its Benders form after Duran-Mateluna, Ales and Elloumi (2023, "An efficient
Benders decomposition for the p-median problem", European Journal of Operational Research). For demand
point i, sort its distinct costs ``D_i^1 < D_i^2 < ...``. Binary ``y_j`` opens candidate j; ``theta_i`` is
i's cost to its nearest open site:

    min  sum_i w_i theta_i
    s.t. sum_j y_j = p,   y_j = 1 for forced sites,
         theta_i >= D_i^k - sum_{j: d_ij < D_i^k} (D_i^k - d_ij) y_j      for every i and level k,   (cuts)
         sum_{j: d_ij < inf} y_j >= 1 for every i that some candidate cannot reach.

A cut says "i pays at least D_i^k, less what each open site closer than that saves". With every cut, the LP
relaxation equals that of the radius (and of the classical) formulation, with ``m + n`` variables instead of
``n m``; the cuts are generated as needed:

1. *Upper bound*: greedy + interchange (:mod:`.heuristics`).
2. *LP phase*: Kelley's cutting planes on the LP relaxation. For a fractional ``y``, the most violated cut of
   demand i is the one at the level where the cumulated ``y`` of its nearest candidates reaches 1; HiGHS
   re-solves from the previous basis after each round.
3. *Reduction*: a candidate whose LP reduced cost exceeds ``upper bound - LP bound`` cannot be in a solution
   at least as good as the incumbent: it is fixed closed (or open, symmetrically).
   Then, for each demand point, cuts at the cost of each site of the LP's support that is no farther than
   its site in the incumbent: the master's integer solutions mostly open such sites, so it values them right
   from the first round.
4. *MIP phase*: the master (y binary, with every cut so far) is solved by HiGHS, warm-started with the
   incumbent; every integer solution HiGHS meets is checked and the cuts it violates are added; repeat until
   the master's solution violates no cut (it is then optimal) or its bound reaches the incumbent.

Every bound is valid at every step, so a time limit still returns the incumbent, the best bound and the gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from simulation.siting._highs import INF, new_highs, status_text
from simulation.siting.heuristics import assignment_cost, greedy_interchange

__all__ = ["PMedianOutcome", "solve_p_median"]

# Relative violation below which a cut is considered satisfied.
_CUT_TOL = 1e-7
# Safety cap on LP cut rounds (each adds at most one cut per demand point).
_MAX_LP_ROUNDS = 500
_SUPPORT_CUTS = True
# HiGHS options of the master MIP. The interchange heuristic's incumbent is almost always optimal already, so
# HiGHS's primal heuristics only spend root time; presolve rebuilds the master at each round for little gain
# on this small, dense model. Measured on this 2-core machine: pmed31 47 s -> 10 s, pmed36 167 s -> 77 s.
_MIP_OPTIONS: dict[str, float | str] = {"mip_heuristic_effort": 0.0, "presolve": "off"}


@dataclass
class PMedianOutcome:
    """Result of :func:`solve_p_median` (internal; :func:`simulation.siting.p_median` wraps it)."""

    chosen: np.ndarray
    objective: float
    bound: float
    status: str
    stats: dict[str, float] = field(default_factory=dict)


class _Cuts:
    """The demand points' sorted costs and the bookkeeping of the cuts added to a HiGHS model."""

    def __init__(self, cost: np.ndarray, h: highspy.Highs, n_y: int) -> None:
        self.cost = cost
        self.order = np.argsort(cost, axis=1, kind="stable")
        self.sorted = np.take_along_axis(cost, self.order, axis=1)
        self.finite = np.isfinite(self.sorted)
        self.h = h
        self.n_y = n_y
        self.seen: set[tuple[int, float]] = set()
        self.count = 0
        self.nonzeros = 0

    def critical(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each demand point, the level D where its nearest candidates' cumulated y reaches 1, and the
        value of the cut at that level (= the LP cost of serving it under ``y``)."""
        ys = np.where(self.finite, y[self.order], 0.0)
        cum = np.cumsum(ys, axis=1)
        reached = cum >= 1.0 - 1e-9
        last = self.finite.sum(axis=1) - 1
        pos = np.where(reached.any(axis=1), np.argmax(reached, axis=1), last)
        level = self.sorted[np.arange(len(pos)), pos]
        closer = self.sorted < level[:, None]
        saving = np.where(closer, level[:, None] - np.where(closer, self.sorted, 0.0), 0.0) * ys
        return level, level - saving.sum(axis=1)

    def add_violated(self, y: np.ndarray, theta: np.ndarray) -> int:
        """Add the most violated cut of every demand point whose ``theta`` is below its cost under ``y``."""
        level, value = self.critical(y)
        violated = np.flatnonzero(value - theta > _CUT_TOL * np.maximum(1.0, np.abs(value)))
        return self.add(violated, level[violated])

    def add(self, points: np.ndarray, levels: np.ndarray) -> int:
        """Add the cut of demand point ``points[k]`` at cost level ``levels[k]``, for every k not added yet."""
        starts, index, coef, lower = [], [], [], []
        k = 0
        for i, level in zip(points.tolist(), levels.tolist(), strict=True):
            if (i, level) in self.seen:
                continue
            self.seen.add((i, level))
            closer = np.flatnonzero(self.sorted[i] < level)
            starts.append(k)
            index.append(self.order[i, closer])
            index.append([self.n_y + i])
            coef.append(level - self.sorted[i, closer])
            coef.append([1.0])
            lower.append(level)
            k += len(closer) + 1
        if not starts:
            return 0
        self.h.addRows(
            len(starts),
            np.array(lower),
            np.full(len(starts), INF),
            k,
            np.array(starts, dtype=np.int32),
            np.concatenate(index).astype(np.int32),
            np.concatenate(coef).astype(float),
        )
        self.count += len(starts)
        self.nonzeros += k
        return len(starts)


def solve_p_median(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    forced: np.ndarray,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
) -> PMedianOutcome:
    """Exact p-median by Benders decomposition of the radius formulation (module docstring).

    Args:
        cost: ``(n, m)`` costs >= 0, ``np.inf`` where unreachable; every demand point of positive weight
            reaches at least one candidate (the caller checks).
        weights: ``(n,)`` weights >= 0.
        p: number of sites, ``forced.sum() <= p <= m``.
        forced: ``(m,)`` bool mask of sites that must be open.
        time_limit_s: wall-time limit, seconds (``None``: none).
        mip_rel_gap: stop when ``(upper - lower) / upper`` is at most this.

    Returns:
        The best sites found, their weighted cost, the best lower bound, a status (``optimal``,
        ``gap_limit``, ``time_limit``, ``infeasible``) and statistics (formulation size, rounds, seconds).
    """
    t0 = time.perf_counter()
    deadline = None if time_limit_s is None else t0 + float(time_limit_s)
    m = cost.shape[1]
    served = weights > 0
    cost, w = cost[served], weights[served]
    n = cost.shape[0]
    stats: dict[str, float] = {"candidates": m, "demand_points": n}

    if n == 0:
        # Nobody to serve: the forced sites, then the lowest-indexed others.
        others = np.flatnonzero(~forced)[: p - int(forced.sum())]
        return PMedianOutcome(
            np.sort(np.concatenate([np.flatnonzero(forced), others])), 0.0, 0.0, "optimal", stats
        )
    if p == m or p == int(forced.sum()):
        chosen = np.arange(m) if p == m else np.flatnonzero(forced)
        obj = assignment_cost(cost, w, chosen)
        return PMedianOutcome(chosen, obj, obj, "optimal" if np.isfinite(obj) else "infeasible", stats)
    start = greedy_interchange(cost, w, p, forced)
    best_sites, upper = start, assignment_cost(cost, w, start)

    def remaining() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    def tol(value: float) -> float:
        return max(1e-9, 1e-9 * abs(value), mip_rel_gap * abs(value))

    def closed(upper: float, lower: float) -> bool:
        return bool(np.isfinite(upper) and np.isfinite(lower) and upper - lower <= tol(upper))

    # --- master LP: y (m columns) then theta (n columns)
    h = new_highs()
    lower_y = forced.astype(float)
    h.addVars(
        m + n, np.concatenate([lower_y, cost.min(axis=1)]), np.concatenate([np.ones(m), np.full(n, INF)])
    )
    h.changeColsCost(n, np.arange(m, m + n, dtype=np.int32), w.astype(float))
    h.addRow(p, p, m, np.arange(m, dtype=np.int32), np.ones(m))
    for i in np.flatnonzero(~np.all(np.isfinite(cost), axis=1)):
        reach = np.flatnonzero(np.isfinite(cost[i])).astype(np.int32)
        h.addRow(1.0, INF, len(reach), reach, np.ones(len(reach)))
    cuts = _Cuts(cost, h, m)
    y0 = np.zeros(m)
    y0[start] = 1.0
    cuts.add_violated(y0, np.full(n, -np.inf))

    rounds = 0
    lower = -np.inf
    lp_status = "optimal"
    while rounds < _MAX_LP_ROUNDS:
        left = remaining()
        if left is not None:
            if left <= 0:
                lp_status = "time_limit"
                break
            h.setOptionValue("time_limit", left)
        h.run()
        rounds += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            lp_status = status_text(h)
            break
        x = np.array(h.getSolution().col_value)
        if cuts.add_violated(x[:m], x[m:]) == 0:
            lower = h.getInfo().objective_function_value
            break
    stats.update(lp_rounds=rounds, lp_bound=lower, lp_seconds=time.perf_counter() - t0)
    if lp_status == "infeasible":
        return PMedianOutcome(best_sites, upper, np.inf, "infeasible", stats)
    if not np.isfinite(lower) or closed(upper, lower):
        status = (
            ("optimal" if upper - lower <= max(1e-9, 1e-9 * abs(upper)) else "gap_limit")
            if np.isfinite(lower)
            else lp_status
        )
        return _finish(best_sites, upper, lower, status, stats, cuts, t0)

    # --- reduction by reduced costs: a site that cannot be in any solution costing <= upper is fixed
    if np.isfinite(upper):
        reduced = np.array(h.getSolution().col_dual)[:m]
        slack = upper - lower + tol(upper)
        close = (reduced > slack) & ~forced
        open_ = (-reduced > slack) & ~forced
        stats.update(fixed_closed=int(close.sum()), fixed_open=int(open_.sum()))
        h.changeColsBounds(
            m,
            np.arange(m, dtype=np.int32),
            np.where(open_ | forced, 1.0, 0.0),
            np.where(close, 0.0, 1.0),
        )

    # --- cuts the master will need: for each demand point, one at the cost of each site of the LP's support
    # that is no farther than its site in the incumbent (integer solutions mostly open sites of the support)
    if _SUPPORT_CUTS and np.isfinite(upper):
        x = np.array(h.getSolution().col_value)
        support = x[:m] > 1e-6
        incumbent = cost[:, best_sites].min(axis=1)
        near = support[None, :] & (cost <= incumbent[:, None]) & (cost > cost.min(axis=1)[:, None])
        ii, jj = np.nonzero(near)
        pairs = np.unique(np.stack([ii, cost[ii, jj]], axis=1), axis=0)
        cuts.add(pairs[:, 0].astype(np.int64), pairs[:, 1])
        stats.update(support_cuts=len(pairs))

    # --- MIP phase
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * m))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    for key, value in _MIP_OPTIONS.items():
        h.setOptionValue(key, value)
    found: list[np.ndarray] = []

    def on_solution(event) -> None:
        found.append(np.array(event.data_out.mip_solution, dtype=float, copy=True)[: m + n])

    h.cbMipSolution.subscribe(on_solution)
    mip_rounds = 0
    status = "time_limit"
    while True:
        left = remaining()
        if left is not None:
            if left <= 0:
                break
            h.setOptionValue("time_limit", left)
        if np.isfinite(upper):
            warm = np.zeros(m + n)
            warm[best_sites] = 1.0
            warm[m:] = cost[:, best_sites].min(axis=1)
            sol = highspy.HighsSolution()
            sol.col_value = list(warm)
            sol.value_valid = True
            h.setSolution(sol)
        found.clear()
        h.run()
        mip_rounds += 1
        model_status = h.getModelStatus()
        info = h.getInfo()
        if model_status == highspy.HighsModelStatus.kInfeasible:
            status = "infeasible"
            break
        if info.primal_solution_status == 2:
            found.append(np.array(h.getSolution().col_value))
        # Every integer point met yields cuts; the master's own optimum last.
        added = 0
        for x in found:
            sites = np.flatnonzero(x[:m] > 0.5)
            value = assignment_cost(cost, w, sites)
            if value < upper:
                upper, best_sites = value, sites
            added += cuts.add_violated(np.round(x[:m]), x[m:])
        if model_status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kObjectiveBound):
            lower = max(lower, float(info.mip_dual_bound))
        if closed(upper, lower):
            status = "optimal" if upper - lower <= max(1e-9, 1e-9 * abs(upper)) else "gap_limit"
            break
        if model_status == highspy.HighsModelStatus.kTimeLimit:
            lower = max(lower, float(info.mip_dual_bound))
            break
        if model_status != highspy.HighsModelStatus.kOptimal:
            status = status_text(h)
            break
        if added == 0:
            # The master's optimum violates no cut: its value is its true cost, so it is optimal.
            x = np.array(h.getSolution().col_value)
            sites = np.flatnonzero(x[:m] > 0.5)
            upper, best_sites = assignment_cost(cost, w, sites), sites
            lower = max(lower, float(info.mip_dual_bound))
            status = "optimal"
            break
    stats.update(mip_rounds=mip_rounds)
    return _finish(best_sites, upper, min(lower, upper), status, stats, cuts, t0)


def _finish(sites, upper, lower, status, stats, cuts: _Cuts, t0: float) -> PMedianOutcome:
    stats.update(cuts=cuts.count, cut_nonzeros=cuts.nonzeros, seconds=time.perf_counter() - t0)
    return PMedianOutcome(
        np.sort(np.asarray(sites, dtype=np.int64)), float(upper), float(lower), status, stats
    )
