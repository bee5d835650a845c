"""Siting: where to open shared places. Exact p-median, maximal coverage and set covering on HiGHS.

Public API:

- :func:`p_median` — open ``p`` sites minimising demand-weighted travel cost (optionally capacitated).
- :func:`max_coverage` — open ``p`` sites covering the most demand within a radius (MCLP).
- :func:`set_cover` — the fewest sites covering all demand within a radius (LSCP).
- :class:`SitingResult` — what they return; :class:`SitingError` — what they raise on bad input.
- :mod:`simulation.siting.orlib` — Beasley's OR-Library p-median instances, for validation.

All three take a cost matrix ``cost[demand point, candidate]`` (minutes or km, ``np.inf`` = unreachable), are
pure (arrays in, a frozen result out) and deterministic.
"""

from simulation.siting.errors import SitingError
from simulation.siting.solvers import SitingResult, max_coverage, p_median, set_cover

__all__ = ["SitingError", "SitingResult", "max_coverage", "p_median", "set_cover"]
