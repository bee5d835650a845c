"""A thin layer over HiGHS (``highspy``): a silent solver instance and a one-call MILP.

``highspy`` is used directly rather than through ``scipy.optimize.milp`` because the p-median solver needs what
``milp`` does not offer: adding rows to a solved LP and re-solving from its basis (cut loops), reduced costs,
a warm-start solution, and a callback that sees every integer solution found.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import csc_array

INF = highspy.kHighsInf
_banner_done = False


def new_highs(time_limit_s: float | None = None, mip_rel_gap: float = 0.0) -> highspy.Highs:
    """A HiGHS instance with its output off (its one-off start banner is sent to /dev/null)."""
    global _banner_done
    if not _banner_done:
        # HiGHS prints a banner on stdout, from C, the first time an instance is made in a process: it would
        # corrupt a command's table output, so the file descriptor is pointed at /dev/null for that call.
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_done = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit_s is not None:
        h.setOptionValue("time_limit", max(float(time_limit_s), 1e-3))
    return h


@dataclass(frozen=True)
class MilpOutcome:
    """What :func:`solve_milp` found.

    Attributes:
        x: the best solution (``None`` if none was found).
        objective: its objective value (``nan`` if none).
        bound: the best dual bound (a lower bound when minimising, an upper bound when maximising).
        status: ``optimal``, ``time_limit``, ``infeasible`` or HiGHS's own status text.
        seconds: wall time of the solve.
    """

    x: np.ndarray | None
    objective: float
    bound: float
    status: str
    seconds: float


def solve_milp(
    c: np.ndarray,
    a: csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool = False,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    start: np.ndarray | None = None,
) -> MilpOutcome:
    """Solve ``min (or max) c x`` s.t. ``row_lower <= A x <= row_upper``, bounds, integrality, with HiGHS.

    Args:
        c: objective coefficients.
        a: the constraint matrix (any scipy sparse format; converted to CSC).
        row_lower, row_upper, col_lower, col_upper: bounds (``np.inf`` allowed).
        integer: bool mask of the integer columns.
        maximize: maximise instead of minimise.
        time_limit_s: wall-time limit of HiGHS, seconds.
        mip_rel_gap: HiGHS's relative gap tolerance (0 = prove optimality).
        start: an optional feasible solution to start from.
    """
    t0 = time.perf_counter()
    a = csc_array(a)
    n_col = a.shape[1]
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(col_lower), col_lower, -INF)
    lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, INF)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -INF)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, INF)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
    ]
    if maximize:
        lp.sense_ = highspy.ObjSense.kMaximize
    h = new_highs(time_limit_s, mip_rel_gap)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in start]
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    info = h.getInfo()
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value) if found else None
    objective = float(info.objective_function_value) if found else float("nan")
    bound = float(info.mip_dual_bound) if integer.any() else objective
    return MilpOutcome(x, objective, bound, status_text(h), time.perf_counter() - t0)


def status_text(h: highspy.Highs) -> str:
    """A short status word for the model status of a solved HiGHS instance (``optimal``, ``time_limit``...)."""
    name = h.getModelStatus().name.removeprefix("k")  # e.g. kTimeLimit
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")
