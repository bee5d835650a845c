"""Tests of the siting solvers (simulation.siting): published optima, brute force, forced sites, capacities,
errors, and the OR-Library reader.

The solvers are exact, so every comparison is exact up to floating-point rounding of sums of a few numbers
(tolerance 1e-6 relative), not a statistical tolerance.
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from simulation.core.errors import InputFileError, UserError
from simulation.siting import SitingError, SitingResult, max_coverage, p_median, set_cover
from simulation.siting.orlib import instance_path, read_pmed, read_pmed_optima

# ---------------------------------------------------------------------------------------------------------
# OR-Library


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5", "pmed7"])
def test_orlib_instances_reach_their_published_optimum(name: str) -> None:
    inst = read_pmed(instance_path(name))
    res = p_median(inst.cost, np.ones(inst.n), inst.p)
    assert res.objective == read_pmed_optima()[name]
    assert res.optimal and res.gap == 0.0 and res.status == "optimal"
    assert res.n_sites == inst.p
    # The objective is the cost of the returned sites, every vertex served by its nearest one.
    assert res.objective == inst.cost[:, res.chosen].min(axis=1).sum()
    assert np.array_equal(res.assignment_cost, inst.cost[np.arange(inst.n), res.assignment])


def test_orlib_optima_file_lists_all_forty() -> None:
    optima = read_pmed_optima()
    assert len(optima) == 40
    assert optima["pmed1"] == 5819 and optima["pmed40"] == 5128


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_reader_keeps_the_last_listed_cost_of_a_duplicated_edge(tmp_path: Path) -> None:
    # Edge 1-2 is listed first with cost 1, then (reversed) with cost 7: the last one counts, so the direct
    # edge costs 7 and is shorter than the detour 1-3-2 (20 + 4). Under a "smallest cost" rule d(1,2) = 1.
    f = _write(tmp_path / "tiny.txt", " 3 4 1 \n 1 2 1 \n 2 3 4 \n 1 3 20 \n 2 1 7 \n")
    inst = read_pmed(f)
    assert (inst.n, inst.p, inst.n_edges_listed, len(inst.edges)) == (3, 1, 4, 3)
    expected = np.array([[0, 7, 11], [7, 0, 4], [11, 4, 0]], dtype=float)
    assert np.array_equal(inst.cost, expected)


def test_reader_reads_gzip_files(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt.gz"
    with gzip.open(f, "wt") as fh:
        fh.write("3 2 1\n1 2 5\n2 3 6\n")
    inst = read_pmed(f)
    assert inst.cost[0, 2] == 11
    assert inst.name == "tiny"


def test_reader_reports_disconnected_vertices_as_infinite(tmp_path: Path) -> None:
    inst = read_pmed(_write(tmp_path / "t.txt", "3 1 1\n1 2 5\n"))
    assert np.isinf(inst.cost[0, 2]) and inst.cost[0, 1] == 5


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"line 1: empty"),
        ("3 2\n1 2 5\n", r"line 1: expected 3 integers \(n_vertices n_edges p\)"),
        ("3 2 5\n1 2 5\n2 3 1\n", r"line 1: header '3 2 5': expected .*1 <= p <= n"),
        ("3 2 1\n1 2 5\n2 x 1\n", r"line 3: expected integers \(i j cost\), got '2 x 1'"),
        ("3 2 1\n1 2 5\n2 4 1\n", r"line 3: vertex out of range 1..3"),
        ("3 2 1\n1 2 -5\n2 3 1\n", r"line 2: negative cost -5"),
        ("3 3 1\n1 2 5\n2 3 1\n", r"line 3: the header announces 3 edges, the file has 2"),
        ("3 1 1\n1 2 5\n2 3 1\n", r"line 3: extra line after the 1 edges"),
    ],
)
def test_reader_errors_name_the_line(tmp_path: Path, text: str, pattern: str) -> None:
    f = _write(tmp_path / "bad.txt", text)
    with pytest.raises(InputFileError, match=pattern) as info:
        read_pmed(f)
    assert "\n" not in str(info.value)


def test_reader_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="missing"):
        instance_path("pmed99", tmp_path)
    with pytest.raises(InputFileError, match="missing"):
        read_pmed(tmp_path / "nope.txt")


def test_optima_reader_error_names_the_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "opt.txt", "Data file   Optimal solution value\npmed1 5819\npmed2 four\n")
    with pytest.raises(InputFileError, match=r"line 3: expected a number, got 'four'"):
        read_pmed_optima(f)


# ---------------------------------------------------------------------------------------------------------
# brute force on tiny problems


def _subsets(m: int, p: int, forced: np.ndarray):
    for combo in itertools.combinations(range(m), p):
        s = np.array(combo, dtype=np.int64)
        if forced[s].sum() == forced.sum():
            yield s


def _pmedian_brute(cost, w, p, forced) -> float:
    best = np.inf
    for s in _subsets(cost.shape[1], p, forced):
        d = cost[:, s].min(axis=1)
        pos = w > 0
        if np.all(np.isfinite(d[pos])):
            best = min(best, float(w[pos] @ d[pos]))
    return best


def _mclp_brute(cost, w, p, radius, forced) -> float:
    return max(float(w[(cost[:, s] <= radius).any(axis=1)].sum()) for s in _subsets(cost.shape[1], p, forced))


def _lscp_brute(cost, w, radius, forced) -> tuple[int, float]:
    """Fewest sites covering every positive-weight point, and the least weighted cost among those covers."""
    m = cost.shape[1]
    must = w > 0
    for k in range(int(forced.sum()), m + 1):
        costs = []
        for s in _subsets(m, k, forced):
            near = cost[must][:, s].min(axis=1) if k else np.full(int(must.sum()), np.inf)
            if np.all(near <= radius):
                costs.append(float(w[must] @ near) if must.any() else 0.0)
        if costs:
            return k, min(costs)
    raise AssertionError("unreachable: the caller checks coverability")


@st.composite
def _problems(draw, allow_inf: bool = True):
    n = draw(st.integers(1, 7))
    m = draw(st.integers(1, 6))
    values = st.integers(0, 20).map(float)
    if allow_inf:
        values = st.one_of(values, values, values, st.just(np.inf))
    cost = np.array(draw(st.lists(values, min_size=n * m, max_size=n * m))).reshape(n, m)
    w = np.array(draw(st.lists(st.integers(0, 5).map(float), min_size=n, max_size=n)))
    p = draw(st.integers(1, m))
    forced_idx = draw(st.lists(st.integers(0, m - 1), max_size=p, unique=True))
    forced = np.zeros(m, dtype=bool)
    forced[forced_idx] = True
    return cost, w, p, forced


_BRUTE = settings(
    max_examples=80, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@_BRUTE
@given(_problems())
def test_p_median_equals_brute_force(problem) -> None:
    cost, w, p, forced = problem
    best = _pmedian_brute(cost, w, p, forced)
    if not np.isfinite(best):
        with pytest.raises(
            SitingError, match=r"cannot reach any candidate|no choice of p = \d+ sites reaches"
        ):
            p_median(cost, w, p, forced=forced)
        return
    res = p_median(cost, w, p, forced=forced)
    assert res.optimal and _close(res.objective, best) and _close(res.bound, best)
    assert res.n_sites == p and np.all(forced[forced] == np.isin(np.flatnonzero(forced), res.chosen))
    assert np.all(np.diff(res.chosen) > 0)
    pos = w > 0
    assert _close(float(w[pos] @ res.assignment_cost[pos]), res.objective)
    assert _close(float(res.load.sum()), float(w[res.assignment >= 0].sum()))


@_BRUTE
@given(_problems(), st.integers(0, 20).map(float))
def test_max_coverage_equals_brute_force(problem, radius: float) -> None:
    cost, w, p, forced = problem
    if w.sum() > 0 and not ((cost <= radius).any(axis=1) & (w > 0)).any():
        with pytest.raises(SitingError, match=r"radius = .*: no candidate is within it of any demand point"):
            max_coverage(cost, w, p, radius, forced=forced)
        return
    res = max_coverage(cost, w, p, radius, forced=forced)
    best = _mclp_brute(cost, w, p, radius, forced)
    assert res.optimal and _close(res.objective, best) and _close(res.covered_weight, best)
    assert res.n_sites == p and forced[res.chosen].sum() == forced.sum()
    assert _close(res.covered_share, best / w.sum() if w.sum() > 0 else 1.0)
    unc = (w > 0) & ~(cost <= radius).any(axis=1)
    assert np.array_equal(res.uncoverable, np.flatnonzero(unc))


@_BRUTE
@given(_problems(), st.integers(0, 20).map(float))
def test_set_cover_equals_brute_force(problem, radius: float) -> None:
    cost, w, _, forced = problem
    if ((w > 0) & ~(cost <= radius).any(axis=1)).any():
        with pytest.raises(SitingError, match=r"infeasible covering: no candidate is within radius"):
            set_cover(cost, radius, weights=w, forced=forced)
        return
    res = set_cover(cost, radius, weights=w, forced=forced)
    k, least_cost = _lscp_brute(cost, w, radius, forced)
    assert res.optimal and res.objective == k and res.n_sites == k
    assert forced[res.chosen].sum() == forced.sum()
    must = w > 0
    assert np.all(res.assignment_cost[must] <= radius)
    assert _close(res.stats["weighted_cost"], least_cost)


def _transport_cost(cost, w, dem, cap, sites) -> float:
    """Least cost of serving every positive-weight point from ``sites`` within capacities, splits allowed."""
    pos = np.flatnonzero(w > 0)
    if len(pos) == 0:
        return 0.0
    c = cost[np.ix_(pos, sites)]
    ok = np.isfinite(c)
    if not ok.any(axis=1).all():
        return np.inf
    k, s = c.shape
    obj = np.where(ok, w[pos, None] * np.where(ok, c, 0), 0).ravel()
    a_eq = np.kron(np.eye(k), np.ones(s))
    a_ub = np.zeros((s, k * s))
    for i in range(k):
        a_ub[:, i * s : (i + 1) * s] = np.eye(s) * dem[pos[i]]
    bounds = [(0, 1 if okv else 0) for okv in ok.ravel()]
    r = linprog(obj, A_ub=a_ub, b_ub=cap[sites], A_eq=a_eq, b_eq=np.ones(k), bounds=bounds, method="highs")
    return float(r.fun) if r.status == 0 else np.inf


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_problems(allow_inf=False), st.lists(st.integers(1, 12).map(float), min_size=6, max_size=6))
def test_capacitated_p_median_equals_brute_force(problem, caps) -> None:
    cost, w, p, forced = problem
    m = cost.shape[1]
    cap = np.array(caps[:m])
    best = min((_transport_cost(cost, w, w, cap, s) for s in _subsets(m, p, forced)), default=np.inf)
    if not np.isfinite(best):
        with pytest.raises(SitingError, match=r"capacit"):
            p_median(cost, w, p, forced=forced, capacity=cap)
        return
    res = p_median(cost, w, p, forced=forced, capacity=cap)
    assert res.optimal and _close(res.objective, best)
    assert np.all(res.load <= cap + 1e-6)  # capacities respected
    assert _close(float(res.load.sum()), float(w.sum()))
    assert np.all(res.load[np.setdiff1d(np.arange(m), res.chosen)] <= 1e-9)  # closed sites serve nobody
    assert forced[res.chosen].sum() == forced.sum()


# ---------------------------------------------------------------------------------------------------------
# behaviour on hand-made problems


def _line(n: int = 6) -> np.ndarray:
    """Demand points and candidates at positions 0..n-1 on a line, cost = distance."""
    x = np.arange(n, dtype=float)
    return np.abs(x[:, None] - x[None, :])


def test_forced_sites_are_open_even_when_poor() -> None:
    cost = _line(6)
    forced = np.zeros(6, dtype=bool)
    forced[0] = True
    for res in (
        p_median(cost, np.ones(6), 2, forced=forced),
        max_coverage(cost, np.ones(6), 2, 1.0, forced=forced),
        set_cover(cost, 1.0, forced=forced),
    ):
        assert 0 in res.chosen
    free = p_median(cost, np.ones(6), 2)
    assert 0 not in free.chosen and p_median(cost, np.ones(6), 2, forced=[0]).objective > free.objective


def test_capacity_moves_demand_to_a_second_site() -> None:
    # Points 0..5 on a line, weight 1, a candidate at each; with capacity 2 per site and p = 3, no site may
    # serve more than 2 points, which costs at least as much as the uncapacitated optimum.
    cost = _line(6)
    res = p_median(cost, np.ones(6), 3, capacity=np.full(6, 2.0))
    assert np.all(res.load <= 2.0 + 1e-9) and res.load.sum() == pytest.approx(6.0)
    assert res.objective >= p_median(cost, np.ones(6), 3).objective


def test_same_input_gives_same_sites() -> None:
    rng = np.random.default_rng(3)
    cost = rng.integers(0, 10, size=(40, 15)).astype(float)  # many ties
    w = rng.integers(0, 4, size=40).astype(float)
    a, b = p_median(cost, w, 4), p_median(cost, w, 4)
    assert np.array_equal(a.chosen, b.chosen) and a.objective == b.objective
    c, d = max_coverage(cost, w, 3, 2.0), max_coverage(cost, w, 3, 2.0)
    assert np.array_equal(c.chosen, d.chosen)


def test_result_is_frozen_and_summarised() -> None:
    res = p_median(_line(5), np.ones(5), 1)
    assert isinstance(res, SitingResult)
    with pytest.raises(AttributeError):
        res.objective = 0.0  # type: ignore[misc]
    assert res.chosen.tolist() == [2] and res.objective == 6.0
    assert res.summary()["n_sites"] == 1


def test_zero_weight_points_need_no_site() -> None:
    cost = np.array([[0.0, np.inf], [np.inf, 0.0]])
    res = p_median(cost, [1.0, 0.0], 1)
    assert res.chosen.tolist() == [0] and res.assignment.tolist() == [0, -1]
    assert set_cover(cost, 0.0, weights=[1.0, 0.0]).chosen.tolist() == [0]


# ---------------------------------------------------------------------------------------------------------
# errors: one line, SitingError (a UserError), expected wording

_C = _line(4)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: p_median(_C, np.ones(4), 5), r"^p = 5 is larger than the number of candidate sites \(4\)$"),
        (lambda: p_median(np.zeros((3, 0)), np.ones(3), 1), r"^no candidate site"),
        (
            lambda: p_median(_C, np.ones(4), 1, forced=[0, 1]),
            r"p = 1 is smaller than the number of sites forced open \(2\)",
        ),
        (lambda: p_median(_C, np.ones(4), 0), r"p = 0: expected a number of sites >= 1"),
        (lambda: p_median(_C, np.ones(4), 1.5), r"p = 1.5: expected a whole number"),
        (lambda: p_median(_C, np.ones(3), 1), r"weights has shape \(3,\); expected \(4,\)"),
        (
            lambda: p_median(_C, [1, -1, 1, 1], 1),
            r"weight of demand point 1 is -1; expected a finite weight >= 0",
        ),
        (lambda: p_median(_C, [1, np.nan, 1, 1], 1), r"weight of demand point 1 is nan"),
        (
            lambda: p_median(np.where(np.eye(4) > 0, np.nan, _C), np.ones(4), 1),
            r"cost from demand point 0 to candidate 0 is nan; expected a cost >= 0",
        ),
        (lambda: p_median(-_C - 1, np.ones(4), 1), r"cost from demand point 0 to candidate 0 is -1"),
        (lambda: p_median(np.ones(4), np.ones(4), 1), r"cost: expected a 2-d matrix"),
        (lambda: p_median(_C, np.ones(4), 1, forced=np.ones(3, bool)), r"forced has shape \(3,\)"),
        (lambda: p_median(_C, np.ones(4), 1, forced=[7]), r"forced: candidate index 7 out of range 0..3"),
        (
            lambda: p_median(
                np.array([[0.0, 1.0], [np.inf, np.inf]]), [1.0, 3.0], 1, demand_names=["Nevers", "Clamecy"]
            ),
            r"demand point 'Clamecy' \(weight 3\) cannot reach any candidate",
        ),
        (
            lambda: p_median(np.array([[0.0, np.inf], [np.inf, 0.0]]), np.ones(2), 1),
            r"no choice of p = 1 sites reaches every demand point of positive weight",
        ),
        (
            lambda: p_median(_C, np.ones(4), 2, capacity=np.ones(4)),
            r"capacity: the 2 largest capacities .* sum to 2, less than the total demand 4",
        ),
        (lambda: p_median(_C, np.ones(4), 2, demand=np.ones(4)), r"demand is given without capacity"),
        (
            lambda: p_median(_C, np.ones(4), 1, time_limit_s=0),
            r"time_limit_s = 0: expected a number of seconds > 0",
        ),
        (
            lambda: p_median(_C, np.ones(4), 1, mip_rel_gap=2),
            r"mip_rel_gap = 2: expected a number in \[0, 1\)",
        ),
        (
            lambda: max_coverage(_C, np.ones(4), 5, 1.0),
            r"p = 5 is larger than the number of candidate sites \(4\)",
        ),
        (lambda: max_coverage(_C, np.ones(4), 1, -1.0), r"radius = -1.0: expected a finite number >= 0"),
        (
            lambda: max_coverage(_C + 10, np.ones(4), 1, 5.0),
            r"radius = 5: no candidate is within it of any demand point of positive weight \(the nearest pair is "
            r"at 10\)",
        ),
        (
            lambda: set_cover(
                np.array([[1.0, 2.0], [30.0, 40.0], [5.0, 1.0]]),
                10.0,
                weights=[1, 12, 1],
                demand_names=["a", "b", "c"],
            ),
            r"infeasible covering: no candidate is within radius 10 of demand point 'b' \(weight 12, nearest "
            r"candidate at 30\)",
        ),
        (
            lambda: set_cover(np.full((8, 2), 50.0), 10.0),
            r"demand points 0 \(weight 1, .*\), 1 .*, 4 \(weight 1, nearest candidate at 50\) and 3 others$",
        ),
        (
            lambda: p_median(_C, np.ones(4), 1, demand_names=["a"]),
            r"demand_names has 1 names for 4 demand points",
        ),
    ],
)
def test_errors_are_one_clear_line(call, pattern: str) -> None:
    with pytest.raises(SitingError, match=pattern) as info:
        call()
    assert isinstance(info.value, UserError)
    assert "\n" not in str(info.value)
