"""The siting module's user error and the checks of its inputs.

Every check raises :class:`SitingError` (a :class:`~simulation.errors.UserError`, so the command line turns it
into one line and exit status 2) with a message that names the offending value, and the demand point or
candidate by its name when names are given, else by its 0-based index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulation.core.errors import UserError

__all__ = ["SitingError"]

# At most this many offenders are named in a message; the count of the others follows.
_MAX_NAMED = 5


class SitingError(UserError):
    """A siting problem that cannot be posed or solved as given (bad input, or an infeasible covering)."""


def _label(kind: str, index: int, names: Sequence[str] | None) -> str:
    return f"{kind} {names[index]!r}" if names is not None else f"{kind} {index}"


def name_list(kind: str, indices: Sequence[int] | np.ndarray, names: Sequence[str] | None, extra=None) -> str:
    """``demand points 3 (weight 12), 7 (weight 4) and 2 others``: a short list of offenders for a message.

    Args:
        kind: the plural noun (``demand points``, ``candidates``).
        indices: the offenders' 0-based indices.
        names: optional names (indexed like the offenders' axis).
        extra: optional function ``index -> str`` appended in parentheses after each offender.
    """
    indices = [int(k) for k in indices]
    shown = []
    for k in indices[:_MAX_NAMED]:
        item = repr(names[k]) if names is not None else str(k)
        if extra is not None:
            item += f" ({extra(k)})"
        shown.append(item)
    singular = kind[:-1] if kind.endswith("s") and len(indices) == 1 else kind
    text = f"{singular} " + ", ".join(shown)
    if len(indices) > _MAX_NAMED:
        text += f" and {len(indices) - _MAX_NAMED} others"
    return text


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Problem:
    """Validated inputs shared by the three solvers.

    Attributes:
        cost: ``(n_demand, n_candidates)`` float array, ``np.inf`` where unreachable.
        weights: ``(n_demand,)`` float array >= 0.
        forced: ``(n_candidates,)`` bool array.
        demand_names, candidate_names: optional names for messages.
    """

    cost: np.ndarray
    weights: np.ndarray
    forced: np.ndarray
    demand_names: Sequence[str] | None
    candidate_names: Sequence[str] | None

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return self.cost.shape[0]

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return self.cost.shape[1]


def validate(
    cost,
    weights,
    forced,
    demand_names: Sequence[str] | None,
    candidate_names: Sequence[str] | None,
) -> Problem:
    """Check the inputs common to every solver and return them as arrays.

    Raises:
        SitingError: a shape mismatch, no demand point, no candidate, a NaN or negative cost, a NaN,
            infinite or negative weight, a ``forced`` that is not a boolean mask (or index list) of the
            candidates, names of the wrong length.
    """
    try:
        cost = np.array(cost, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SitingError(
            f"cost: expected a numeric matrix (demand points x candidates), got {exc}"
        ) from None
    if cost.ndim != 2:
        raise SitingError(
            f"cost: expected a 2-d matrix (demand points x candidates), got {cost.ndim} dimensions"
        )
    n, m = cost.shape
    if m == 0:
        raise SitingError("no candidate site: the cost matrix has 0 columns; expected at least one candidate")
    if n == 0:
        raise SitingError("no demand point: the cost matrix has 0 rows; expected at least one demand point")
    if demand_names is not None and len(demand_names) != n:
        raise SitingError(f"demand_names has {len(demand_names)} names for {n} demand points")
    if candidate_names is not None and len(candidate_names) != m:
        raise SitingError(f"candidate_names has {len(candidate_names)} names for {m} candidates")
    bad = np.isnan(cost) | (cost < 0)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise SitingError(
            f"cost from {_label('demand point', i, demand_names)} to {_label('candidate', j, candidate_names)} "
            f"is {_fmt(cost[i, j])}; expected a cost >= 0 (np.inf where unreachable), {int(bad.sum())} such entries"
        )
    if weights is None:
        weights = np.ones(n)
    else:
        try:
            weights = np.array(weights, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SitingError(f"weights: expected numbers, got {exc}") from None
        if weights.shape != (n,):
            raise SitingError(
                f"weights has shape {weights.shape}; expected ({n},), one weight per demand point"
            )
        bad_w = ~np.isfinite(weights) | (weights < 0)
        if bad_w.any():
            i = int(np.flatnonzero(bad_w)[0])
            raise SitingError(
                f"weight of {_label('demand point', i, demand_names)} is {_fmt(weights[i])}; "
                f"expected a finite weight >= 0 ({int(bad_w.sum())} such weights)"
            )
    forced = _forced_mask(forced, m)
    return Problem(cost, weights, forced, demand_names, candidate_names)


def _forced_mask(forced, m: int) -> np.ndarray:
    if forced is None:
        return np.zeros(m, dtype=bool)
    arr = np.asarray(forced)
    if arr.dtype == bool:
        if arr.shape != (m,):
            raise SitingError(f"forced has shape {arr.shape}; expected a boolean mask of shape ({m},)")
        return arr.copy()
    if arr.size == 0:
        return np.zeros(m, dtype=bool)
    if not np.issubdtype(arr.dtype, np.integer) or arr.ndim != 1:
        raise SitingError("forced: expected a boolean mask of the candidates or a list of candidate indices")
    if arr.min() < 0 or arr.max() >= m:
        bad = int(arr.max() if arr.max() >= m else arr.min())
        raise SitingError(f"forced: candidate index {bad} out of range 0..{m - 1}")
    mask = np.zeros(m, dtype=bool)
    mask[arr] = True
    return mask


def check_p(p, problem: Problem, usable: int | None = None) -> int:
    """Check the number of sites ``p`` against the candidates and the forced sites.

    Args:
        p: the number of sites to open.
        problem: the validated problem.
        usable: number of candidates that may be opened (default: all).

    Raises:
        SitingError: ``p`` is not an integer >= 1, is larger than the candidates, or smaller than the number of
            forced sites.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        if isinstance(p, float) and p.is_integer():
            p = int(p)
        else:
            raise SitingError(f"p = {p!r}: expected a whole number of sites >= 1")
    p = int(p)
    m = problem.n_candidates if usable is None else usable
    if p < 1:
        raise SitingError(f"p = {p}: expected a number of sites >= 1")
    if p > m:
        raise SitingError(f"p = {p} is larger than the number of candidate sites ({m})")
    n_forced = int(problem.forced.sum())
    if p < n_forced:
        raise SitingError(f"p = {p} is smaller than the number of sites forced open ({n_forced})")
    return p


def check_radius(radius) -> float:
    """Check a coverage radius (same unit as the costs).

    Raises:
        SitingError: the radius is not a finite number >= 0.
    """
    try:
        r = float(radius)
    except (TypeError, ValueError):
        raise SitingError(f"radius = {radius!r}: expected a number >= 0 (same unit as the costs)") from None
    if not np.isfinite(r) or r < 0:
        raise SitingError(f"radius = {radius!r}: expected a finite number >= 0 (same unit as the costs)")
    return r
