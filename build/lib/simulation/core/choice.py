"""Choice and capacity: pure, vectorised functions (arrays in, arrays out).

Utilities are matrices [n_deciders, n_alternatives] with ``-inf`` for unavailable alternatives. The noise is
passed in (see :mod:`simulation.core.randomness`), so these functions hold no random state.
"""

from __future__ import annotations

import numpy as np


def logit_probabilities(utilities: np.ndarray) -> np.ndarray:
    """Multinomial logit probabilities per row; ``-inf`` utilities get probability 0."""
    u = np.asarray(utilities, dtype=float)
    m = np.max(u, axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(u - m)
    s = e.sum(axis=1, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def choose(utilities: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Index of the alternative with the highest utility + Gumbel noise (a logit draw) per row.

    Rows where every alternative is unavailable return -1.
    """
    total = np.where(np.isfinite(utilities), utilities + noise, -np.inf)
    idx = np.argmax(total, axis=1)
    ok = np.isfinite(total[np.arange(total.shape[0]), idx]) if total.shape[0] else np.zeros(0, bool)
    return np.where(ok, idx, -1)


def admit(place: np.ndarray, priority: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Capacity lottery: at each place, admit the users with the lowest priority draws up to its capacity.

    The priority is a random draw independent of the place's id, so the admitted set is a uniformly random
    subset of size min(demand, capacity) at each place (docs/ODD.md 3, step 2.4).

    Args:
        place: place index of each candidate user, shape [n].
        priority: random draw of each user, shape [n].
        capacity: capacity of every place, shape [n_places].

    Returns:
        Boolean mask of admitted users, shape [n].
    """
    n = place.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((priority, place))
    sorted_place = place[order]
    # rank of each user within its place after sorting by priority
    starts = np.flatnonzero(np.r_[True, sorted_place[1:] != sorted_place[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.arange(n) - group_start
    admitted = np.empty(n, dtype=bool)
    admitted[order] = rank < capacity[sorted_place]
    return admitted


def first_true(mask: np.ndarray, axis: int = -1) -> np.ndarray:
    """Index of the first True along ``axis``; -1 where there is none."""
    idx = np.argmax(mask, axis=axis)
    has = np.take_along_axis(mask, np.expand_dims(idx, axis), axis=axis).squeeze(axis)
    return np.where(has, idx, -1)


def popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of non-negative integers (category bit masks)."""
    x = np.asarray(x, dtype=np.uint32)
    return np.bitwise_count(x).astype(np.int64)
