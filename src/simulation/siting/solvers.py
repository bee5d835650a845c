"""The three siting problems: p-median, maximal coverage (MCLP) and set covering (LSCP), solved exactly.

Common conventions:

- ``cost[i, j]`` is the travel cost from demand point ``i`` to candidate site ``j``, in any unit (minutes or
  km); ``np.inf`` marks a pair that cannot be travelled. ``radius`` is in the same unit.
- ``weights[i] >= 0`` is the demand at point ``i`` (residents, needs per year...). Objectives are
  demand-weighted: the p-median objective is in weight x cost units (e.g. resident-minutes), the coverage
  objective in weight units.
- ``forced`` is a boolean mask (or a list of indices) of candidates that must be open: existing sites.
- ``demand_names`` / ``candidate_names`` only make error messages readable.
- ``time_limit_s`` (wall seconds) and ``mip_rel_gap`` (relative) stop the search early; the result then says
  how far from proven it is (``bound``, ``gap``, ``optimal``).

Every solve is deterministic: the same input gives the same sites (ties go to the lowest indices in the
heuristics, and HiGHS is run with fixed options).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_array, csc_array

from simulation.siting._highs import solve_milp
from simulation.siting.errors import (
    Problem,
    SitingError,
    check_p,
    check_radius,
    name_list,
    validate,
)
from simulation.siting.pmedian import solve_p_median

__all__ = ["SitingResult", "max_coverage", "p_median", "set_cover"]


@dataclass(frozen=True)
class SitingResult:
    """The solution of a siting problem.

    Attributes:
        problem: ``p_median``, ``max_coverage`` or ``set_cover``.
        objective: p-median: demand-weighted cost (weight x cost unit, e.g. resident-minutes); max_coverage:
            covered weight; set_cover: number of sites.
        chosen: sorted indices of the open candidates (forced ones included).
        assignment: for each demand point, the candidate serving it (its nearest open site; under capacities,
            the open site serving the largest share of it), -1 if no open site can reach it.
        assignment_cost: the cost from each demand point to its assigned site (``inf`` if none), cost unit.
        bound: best proven bound on the objective (lower for p-median and set_cover, upper for coverage).
        gap: relative gap ``|objective - bound| / |objective|`` (0 when proven optimal).
        optimal: whether the objective is proven optimal (gap below 1e-9).
        status: ``optimal``, ``gap_limit`` (stopped at ``mip_rel_gap``) or ``time_limit``.
        seconds: wall time of the solve, s.
        radius: the coverage radius (cost unit) for coverage problems, else ``None``.
        covered_weight: weight within ``radius`` of an open site (coverage problems), else ``None``.
        covered_share: ``covered_weight`` / total weight (0 to 1), else ``None``.
        uncoverable: demand points of positive weight that no candidate reaches within ``radius``
            (max_coverage; empty otherwise).
        assignment_share: share of each demand point's demand served by its assigned site (1 without
            capacities).
        load: ``(n_candidates,)`` demand served by each candidate (0 if closed), in weight units (in
            ``demand`` units under capacities, where it is at most the capacity).
        stats: formulation sizes and solver counters (rows, cuts, rounds...), for benchmarks.
    """

    problem: str
    objective: float
    chosen: np.ndarray
    assignment: np.ndarray
    assignment_cost: np.ndarray
    bound: float
    gap: float
    optimal: bool
    status: str
    seconds: float
    radius: float | None = None
    covered_weight: float | None = None
    covered_share: float | None = None
    uncoverable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    assignment_share: np.ndarray | None = None
    load: np.ndarray | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        """Number of open sites."""
        return len(self.chosen)

    def summary(self) -> dict[str, Any]:
        """The scalar fields, as one row of a results table."""
        return {
            "problem": self.problem,
            "n_sites": self.n_sites,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "optimal": self.optimal,
            "status": self.status,
            "radius": self.radius,
            "covered_weight": self.covered_weight,
            "covered_share": self.covered_share,
            "seconds": self.seconds,
        }


# ----------------------------------------------------------------------------------------------------------
# helpers


def _relative_gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else float("inf")


def _nearest(cost: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = cost.shape[0]
    if len(chosen) == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    sub = cost[:, chosen]
    k = np.argmin(sub, axis=1)
    d = sub[np.arange(n), k]
    return np.where(np.isfinite(d), chosen[k], -1).astype(np.int64), d


def _load(assignment: np.ndarray, weights: np.ndarray, m: int) -> np.ndarray:
    ok = assignment >= 0
    return np.bincount(assignment[ok], weights=weights[ok], minlength=m).astype(float)


def _coverage(weights: np.ndarray, dist: np.ndarray, radius: float) -> tuple[float, float]:
    total = float(weights.sum())
    covered = float(weights[dist <= radius].sum())
    return covered, (covered / total if total > 0 else 1.0)


def _deadline_left(t0: float, limit: float | None) -> float | None:
    return None if limit is None else max(0.0, limit - (time.perf_counter() - t0))


def _check_gap(mip_rel_gap) -> float:
    try:
        g = float(mip_rel_gap)
    except (TypeError, ValueError):
        raise SitingError(f"mip_rel_gap = {mip_rel_gap!r}: expected a number in [0, 1)") from None
    if not (0.0 <= g < 1.0):
        raise SitingError(f"mip_rel_gap = {mip_rel_gap!r}: expected a number in [0, 1)")
    return g


def _check_time(time_limit_s) -> float | None:
    if time_limit_s is None:
        return None
    try:
        t = float(time_limit_s)
    except (TypeError, ValueError):
        raise SitingError(f"time_limit_s = {time_limit_s!r}: expected a number of seconds > 0") from None
    if not t > 0:
        raise SitingError(f"time_limit_s = {time_limit_s!r}: expected a number of seconds > 0")
    return t


def _check_reachable(pb: Problem) -> None:
    lost = np.flatnonzero((pb.weights > 0) & ~np.isfinite(pb.cost).any(axis=1))
    if len(lost):
        who = name_list("demand points", lost, pb.demand_names, lambda i: f"weight {pb.weights[i]:g}")
        raise SitingError(f"{who} cannot reach any candidate (every cost is inf)")


def _unique_patterns(cover: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge demand points covered by the same set of candidates (summing their weights)."""
    packed = np.packbits(cover, axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    merged = np.zeros(len(first))
    np.add.at(merged, inverse.ravel(), weights)
    return cover[first], merged


# ----------------------------------------------------------------------------------------------------------
# p-median


def p_median(
    cost,
    weights,
    p: int,
    *,
    forced=None,
    capacity=None,
    demand=None,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    demand_names: Sequence[str] | None = None,
    candidate_names: Sequence[str] | None = None,
) -> SitingResult:
    """Open ``p`` sites minimising the demand-weighted travel cost ``sum_i weights[i] * cost[i, site(i)]``.

    Without capacities each demand point goes to its nearest open site, and the problem is solved by a Benders
    decomposition of the radius formulation (:mod:`simulation.siting.pmedian`), which proves the optimum of all
    40 OR-Library instances (``benchmarks/bench_siting.py``). With ``capacity``, the classical
    assignment formulation is used, demand may be **split** between sites (no single-sourcing constraint), and
    ``assignment`` gives the site serving the largest share; it suits a few hundred demand points x candidates.

    Args:
        cost: ``(n_demand, n_candidates)`` travel costs >= 0 (minutes or km), ``np.inf`` where unreachable.
        weights: ``(n_demand,)`` demand weights >= 0 (e.g. residents). Points of zero weight need no site.
        p: number of sites to open (forced ones included), ``1 <= p <= n_candidates``.
        forced: mask or indices of candidates that must be open (existing sites).
        capacity: optional ``(n_candidates,)`` capacities >= 0 (``np.inf`` for none), in demand units.
        demand: ``(n_demand,)`` demand that uses capacity (default: ``weights``); only with ``capacity``.
        time_limit_s: wall-time limit in seconds (``None``: until proven optimal).
        mip_rel_gap: stop when the relative gap is at most this (0: prove optimality).
        demand_names, candidate_names: names used in error messages.

    Returns:
        A :class:`SitingResult`; ``objective`` is in weight x cost unit.

    Raises:
        SitingError: bad input (shapes, negative or NaN values, ``p`` out of range or below the forced sites,
            a demand point of positive weight that reaches no candidate), or no choice of ``p`` sites reaches
            (or, with capacities, can serve) every demand point of positive weight.
    """
    t0 = time.perf_counter()
    pb = validate(cost, weights, forced, demand_names, candidate_names)
    p = check_p(p, pb)
    gap_tol = _check_gap(mip_rel_gap)
    limit = _check_time(time_limit_s)
    if demand is not None and capacity is None:
        raise SitingError("demand is given without capacity; expected both (capacitated p-median) or neither")
    _check_reachable(pb)
    if capacity is not None:
        return _capacitated_p_median(pb, p, capacity, demand, limit, gap_tol, t0)
    out = solve_p_median(pb.cost, pb.weights, p, pb.forced, time_limit_s=limit, mip_rel_gap=gap_tol)
    if out.status == "infeasible" or not np.isfinite(out.objective) and out.status != "time_limit":
        raise SitingError(
            f"no choice of p = {p} sites reaches every demand point of positive weight (costs are inf between "
            "parts of the territory); expected a larger p or finite costs"
        )
    assignment, dist = _nearest(pb.cost, out.chosen)
    gap = _relative_gap(out.objective, out.bound)
    return SitingResult(
        problem="p_median",
        objective=out.objective,
        chosen=out.chosen,
        assignment=assignment,
        assignment_cost=dist,
        bound=out.bound,
        gap=gap,
        optimal=gap == 0.0,
        status=out.status if gap > 0 or out.status != "gap_limit" else "optimal",
        seconds=time.perf_counter() - t0,
        assignment_share=np.where(assignment >= 0, 1.0, 0.0),
        load=_load(assignment, pb.weights, pb.n_candidates),
        stats=dict(out.stats, formulation="benders_radius"),
    )


def _vector(values, n: int, what: str, per: str, allow_inf: bool) -> np.ndarray:
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SitingError(f"{what}: expected numbers, got {exc}") from None
    if arr.shape != (n,):
        raise SitingError(f"{what} has shape {arr.shape}; expected ({n},), one per {per}")
    bad = np.isnan(arr) | (arr < 0) | (~np.isfinite(arr) if not allow_inf else np.isneginf(arr))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SitingError(f"{what} of {per} {k} is {arr[k]:g}; expected a number >= 0")
    return arr


def _capacitated_p_median(
    pb: Problem, p: int, capacity, demand, limit: float | None, gap_tol: float, t0: float
) -> SitingResult:
    n, m = pb.cost.shape
    cap = _vector(capacity, m, "capacity", "candidate", allow_inf=True)
    dem = pb.weights if demand is None else _vector(demand, n, "demand", "demand point", allow_inf=False)
    total = float(dem[pb.weights > 0].sum())
    others = np.sort(cap[~pb.forced])[::-1][: p - int(pb.forced.sum())]
    best_cap = float(cap[pb.forced].sum() + others.sum())
    if best_cap < total:
        raise SitingError(
            f"capacity: the {p} largest capacities (forced sites included) sum to {best_cap:g}, less than the "
            f"total demand {total:g}; expected more capacity or a larger p"
        )
    served = np.flatnonzero(pb.weights > 0)
    sub = pb.cost[served]
    ii, jj = np.nonzero(np.isfinite(sub))
    k = len(ii)
    # Columns: y (m) then x (k pairs). Rows: sum_j x_ij = 1 (one per served point), x_ij <= y_j (k),
    # sum_i dem_i x_ij <= cap_j y_j (m), sum y = p.
    ns = len(served)
    x_col = m + np.arange(k)
    rows = [
        ii,
        ns + np.arange(k),
        ns + np.arange(k),
        ns + k + jj,
        ns + k + np.arange(m),
        np.full(m, ns + k + m),
    ]
    cols = [x_col, x_col, jj, x_col, np.arange(m), np.arange(m)]
    big = np.where(np.isfinite(cap), cap, total + 1.0)
    vals = [np.ones(k), np.ones(k), -np.ones(k), dem[served][ii], -big, np.ones(m)]
    a = coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(ns + k + m + 1, m + k)
    )
    row_lo = np.concatenate([np.ones(ns), np.full(k, -np.inf), np.full(m, -np.inf), [p]])
    row_hi = np.concatenate([np.ones(ns), np.zeros(k), np.zeros(m), [p]])
    c = np.concatenate([np.zeros(m), pb.weights[served][ii] * sub[ii, jj]])
    col_lo = np.concatenate([pb.forced.astype(float), np.zeros(k)])
    col_hi = np.ones(m + k)
    integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(k, dtype=bool)])
    out = solve_milp(
        c, csc_array(a), row_lo, row_hi, col_lo, col_hi, integer, time_limit_s=limit, mip_rel_gap=gap_tol
    )
    if out.status == "infeasible":
        raise SitingError(
            f"no choice of p = {p} sites can serve every demand point of positive weight within the capacities "
            "(some points reach too few sites with room); expected more capacity, a larger p or finite costs"
        )
    if out.x is None:
        return _unsolved("p_median", n, out.status, out.bound, time.perf_counter() - t0)
    chosen = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
    flows = np.zeros((n, m))
    flows[served[ii], jj] = out.x[m:]
    assignment = np.where(flows.max(axis=1) > 1e-9, np.argmax(flows, axis=1), -1).astype(np.int64)
    share = np.where(assignment >= 0, flows.max(axis=1), 0.0)
    dist = np.where(assignment >= 0, pb.cost[np.arange(n), np.maximum(assignment, 0)], np.inf)
    gap = _relative_gap(out.objective, out.bound)
    return SitingResult(
        problem="p_median",
        objective=out.objective,
        chosen=chosen,
        assignment=assignment,
        assignment_cost=dist,
        bound=min(out.bound, out.objective),
        gap=gap,
        optimal=gap == 0.0,
        status="optimal" if gap == 0.0 else (out.status if out.status != "optimal" else "gap_limit"),
        seconds=time.perf_counter() - t0,
        assignment_share=share,
        load=flows.T @ dem,
        stats={
            "formulation": "capacitated_assignment",
            "rows": a.shape[0],
            "columns": a.shape[1],
            "nonzeros": a.nnz,
        },
    )


def _unsolved(problem: str, n: int, status: str, bound: float, seconds: float) -> SitingResult:
    return SitingResult(
        problem=problem,
        objective=float("nan"),
        chosen=np.zeros(0, dtype=np.int64),
        assignment=np.full(n, -1, dtype=np.int64),
        assignment_cost=np.full(n, np.inf),
        bound=bound,
        gap=float("inf"),
        optimal=False,
        status=status,
        seconds=seconds,
    )


# ----------------------------------------------------------------------------------------------------------
# maximal coverage


def _greedy_cover_max(cover: np.ndarray, w: np.ndarray, p: int, forced: np.ndarray) -> np.ndarray:
    is_open = forced.copy()
    covered = cover[:, is_open].any(axis=1) if is_open.any() else np.zeros(cover.shape[0], dtype=bool)
    while is_open.sum() < p:
        gain = (w * ~covered) @ cover
        gain = np.where(is_open, -1.0, gain)
        j = int(np.argmax(gain))
        is_open[j] = True
        covered |= cover[:, j]
    return is_open


def max_coverage(
    cost,
    weights,
    p: int,
    radius: float,
    *,
    forced=None,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    demand_names: Sequence[str] | None = None,
    candidate_names: Sequence[str] | None = None,
) -> SitingResult:
    """Open ``p`` sites covering the most demand within ``radius`` (MCLP, Church and ReVelle 1974).

    A demand point is covered when an open site is within ``radius`` (``cost <= radius``, same unit as the
    costs). Demand points that no candidate covers are left out of the model and listed in
    ``uncoverable``; their weight still counts in ``covered_share``'s denominator.

    Args:
        cost: ``(n_demand, n_candidates)`` travel costs >= 0, ``np.inf`` where unreachable.
        weights: ``(n_demand,)`` demand weights >= 0.
        p: number of sites to open (forced ones included).
        radius: coverage radius, in the cost unit.
        forced, time_limit_s, mip_rel_gap, demand_names, candidate_names: as in :func:`p_median`.

    Returns:
        A :class:`SitingResult` whose ``objective`` is the covered weight (also ``covered_weight``).

    Raises:
        SitingError: bad input, or a radius that no candidate meets for any demand point of positive weight.
    """
    t0 = time.perf_counter()
    pb = validate(cost, weights, forced, demand_names, candidate_names)
    p = check_p(p, pb)
    radius = check_radius(radius)
    gap_tol = _check_gap(mip_rel_gap)
    limit = _check_time(time_limit_s)
    cover = pb.cost <= radius
    positive = pb.weights > 0
    coverable = cover.any(axis=1)
    uncoverable = np.flatnonzero(positive & ~coverable).astype(np.int64)
    if positive.any() and not (positive & coverable).any():
        nearest = float(np.min(pb.cost[positive]))
        raise SitingError(
            f"radius = {radius:g}: no candidate is within it of any demand point of positive weight "
            f"(the nearest pair is at {nearest:g}); expected a radius >= {nearest:g}"
        )
    keep = positive & coverable & ~cover[:, pb.forced].any(axis=1)  # points the forced sites cover are won
    m = pb.n_candidates
    pat, w = _unique_patterns(cover[keep], pb.weights[keep])
    start = _greedy_cover_max(pat, w, p, pb.forced)
    k = len(w)
    # Columns: y (m) then x (k patterns, covered share). Rows: x_k - sum_{j covers k} y_j <= 0, sum y = p.
    pk, pj = np.nonzero(pat)
    a = coo_array(
        (
            np.concatenate([np.ones(k), -np.ones(len(pk)), np.ones(m)]),
            (
                np.concatenate([np.arange(k), pk, np.full(m, k)]),
                np.concatenate([m + np.arange(k), pj, np.arange(m)]),
            ),
        ),
        shape=(k + 1, m + k),
    )
    x0 = np.concatenate([start.astype(float), pat[:, start].any(axis=1).astype(float)])
    out = solve_milp(
        np.concatenate([np.zeros(m), w]),
        csc_array(a),
        np.concatenate([np.full(k, -np.inf), [p]]),
        np.concatenate([np.zeros(k), [p]]),
        np.concatenate([pb.forced.astype(float), np.zeros(k)]),
        np.ones(m + k),
        np.concatenate([np.ones(m, dtype=bool), np.zeros(k, dtype=bool)]),
        maximize=True,
        time_limit_s=limit,
        mip_rel_gap=gap_tol,
        start=x0,
    )
    x = out.x if out.x is not None else x0
    chosen = np.flatnonzero(x[:m] > 0.5).astype(np.int64)
    assignment, dist = _nearest(pb.cost, chosen)
    covered, share = _coverage(pb.weights, dist, radius)
    base = float(pb.weights[positive & cover[:, pb.forced].any(axis=1)].sum()) if pb.forced.any() else 0.0
    bound = max(covered, base + out.bound) if np.isfinite(out.bound) else float("inf")
    gap = _relative_gap(covered, bound) if covered > 0 or bound > 0 else 0.0
    return _coverage_result(
        pb,
        "max_coverage",
        covered,
        chosen,
        assignment,
        dist,
        covered,
        share,
        bound,
        gap,
        out.status,
        t0,
        radius,
        uncoverable=uncoverable,
        stats={
            "formulation": "mclp_patterns",
            "patterns": k,
            "rows": k + 1,
            "columns": m + k,
            "nonzeros": a.nnz,
        },
    )


# ----------------------------------------------------------------------------------------------------------
# set covering


def _greedy_set_cover(cover: np.ndarray, forced: np.ndarray) -> np.ndarray:
    is_open = forced.copy()
    covered = cover[:, is_open].any(axis=1) if is_open.any() else np.zeros(cover.shape[0], dtype=bool)
    while not covered.all():
        gain = (~covered).astype(float) @ cover
        gain = np.where(is_open, -1.0, gain)
        j = int(np.argmax(gain))
        is_open[j] = True
        covered |= cover[:, j]
    return is_open


def set_cover(
    cost,
    radius: float,
    *,
    weights=None,
    forced=None,
    minimise_cost: bool = True,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    demand_names: Sequence[str] | None = None,
    candidate_names: Sequence[str] | None = None,
) -> SitingResult:
    """Open the fewest sites such that every demand point is within ``radius`` of one (LSCP, Toregas 1971).

    Demand points of zero weight need not be covered (without ``weights``, every point must be). With
    ``minimise_cost`` (default), a second stage picks, among the covers with that fewest number of sites, one
    of least demand-weighted cost (a p-median restricted to pairs within ``radius``), so that the answer does
    not depend on how the solver breaks ties.

    Args:
        cost: ``(n_demand, n_candidates)`` travel costs >= 0, ``np.inf`` where unreachable.
        radius: coverage radius, in the cost unit.
        weights: optional ``(n_demand,)`` weights >= 0 (default: all 1).
        forced, time_limit_s, mip_rel_gap, demand_names, candidate_names: as in :func:`p_median`.
        minimise_cost: run the second stage.

    Returns:
        A :class:`SitingResult` whose ``objective`` is the number of sites; ``stats["weighted_cost"]`` is the
        demand-weighted cost of the answer.

    Raises:
        SitingError: bad input, or infeasible covering: demand points (named, with their weight and nearest
            candidate's cost) that no candidate reaches within ``radius``.
    """
    t0 = time.perf_counter()
    pb = validate(cost, weights, forced, demand_names, candidate_names)
    radius = check_radius(radius)
    gap_tol = _check_gap(mip_rel_gap)
    limit = _check_time(time_limit_s)
    cover = pb.cost <= radius
    must = pb.weights > 0
    lost = np.flatnonzero(must & ~cover.any(axis=1))
    if len(lost):
        nearest = pb.cost.min(axis=1)
        who = name_list(
            "demand points",
            lost,
            pb.demand_names,
            lambda i: f"weight {pb.weights[i]:g}, nearest candidate at {nearest[i]:g}",
        )
        raise SitingError(f"infeasible covering: no candidate is within radius {radius:g} of {who}")
    m = pb.n_candidates
    todo = must & ~(cover[:, pb.forced].any(axis=1) if pb.forced.any() else np.zeros(pb.n_demand, dtype=bool))
    pat, _ = _unique_patterns(cover[todo], pb.weights[todo])
    start = _greedy_set_cover(pat, pb.forced)
    k = len(pat)
    pk, pj = np.nonzero(pat)
    a = coo_array((np.ones(len(pk)), (pk, pj)), shape=(k, m))
    out = solve_milp(
        np.ones(m),
        csc_array(a),
        np.ones(k),
        np.full(k, np.inf),
        pb.forced.astype(float),
        np.ones(m),
        np.ones(m, dtype=bool),
        time_limit_s=limit,
        mip_rel_gap=gap_tol,
        start=start.astype(float),
    )
    x = out.x if out.x is not None else start.astype(float)
    chosen = np.flatnonzero(x > 0.5).astype(np.int64)
    n_sites = len(chosen)
    bound = float(np.ceil(out.bound - 1e-6)) if np.isfinite(out.bound) else 0.0
    gap = _relative_gap(float(n_sites), bound)
    stats: dict[str, Any] = {
        "formulation": "lscp_patterns",
        "patterns": k,
        "rows": k,
        "columns": m,
        "nonzeros": a.nnz,
    }
    if minimise_cost and gap == 0.0 and must.any():
        # Second stage: the cheapest cover with n_sites sites; pairs beyond the radius are cut off.
        within = np.where(cover, pb.cost, np.inf)
        stage = solve_p_median(
            within,
            np.where(must, pb.weights, 0.0),
            n_sites,
            pb.forced,
            time_limit_s=_deadline_left(t0, limit),
            mip_rel_gap=0.0,
        )
        if np.isfinite(stage.objective):
            chosen = stage.chosen
        stats.update(
            second_stage_status=stage.status, second_stage_gap=_relative_gap(stage.objective, stage.bound)
        )
    assignment, dist = _nearest(pb.cost, chosen)
    covered, share = _coverage(pb.weights, dist, radius)
    stats["weighted_cost"] = float(pb.weights[must] @ dist[must]) if must.any() else 0.0
    return _coverage_result(
        pb,
        "set_cover",
        float(n_sites),
        chosen,
        assignment,
        dist,
        covered,
        share,
        bound,
        gap,
        out.status,
        t0,
        radius,
        stats=stats,
    )


def _coverage_result(
    pb: Problem,
    problem: str,
    objective: float,
    chosen: np.ndarray,
    assignment: np.ndarray,
    dist: np.ndarray,
    covered: float,
    share: float,
    bound: float,
    gap: float,
    solver_status: str,
    t0: float,
    radius: float,
    **extra: Any,
) -> SitingResult:
    """The result of a coverage problem (MCLP, LSCP): each demand point served by its nearest open site."""
    return SitingResult(
        problem=problem,
        objective=objective,
        chosen=chosen,
        assignment=assignment,
        assignment_cost=dist,
        bound=bound,
        gap=gap,
        optimal=gap == 0.0,
        status="optimal" if gap == 0.0 else (solver_status if solver_status != "optimal" else "gap_limit"),
        seconds=time.perf_counter() - t0,
        radius=radius,
        covered_weight=covered,
        covered_share=share,
        assignment_share=np.where(assignment >= 0, 1.0, 0.0),
        load=_load(assignment, pb.weights, pb.n_candidates),
        **extra,
    )
