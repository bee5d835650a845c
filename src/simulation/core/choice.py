"""Choice and capacity: pure, vectorised functions (arrays in, arrays out).

Utilities are matrices [n_deciders, n_alternatives] with ``-inf`` for unavailable alternatives. The noise is
passed in (see :mod:`simulation.core.randomness`), so these functions hold no random state.

Two-level nested logit (McFadden 1978) with one nest and alternatives alone at the root: an alternative in the
nest has utility ``V_j + mu (log S + g_j)``, one alone ``V_j + g_j``, where the ``g`` are independent standard
Gumbel draws and ``S`` a positive stable draw of index ``mu`` per decider (Laplace transform ``exp(-t^mu)``):
the maximum over the nest is then ``IV + Gumbel`` with ``IV = mu ln sum exp(V_j / mu)`` (Cardell 1997), so the
argmax draws the nested-logit probabilities exactly (ActivitySim's "exact leaf error terms"). With ``mu = 1``,
``log S = 0`` and the draw is the multinomial logit's, the same numbers.
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


def nested_logit_probabilities(utilities: np.ndarray, in_nest: np.ndarray, mu: float) -> np.ndarray:
    """Probabilities of a two-level nested logit: one nest (``in_nest``) with scale ``mu``, the others alone.

    ``P(j) = P(nest) exp(V_j / mu) / sum_nest exp(V / mu)`` for ``j`` in the nest, with
    ``P(nest) = exp(IV) / (exp(IV) + sum_alone exp(V))`` and ``IV = mu ln sum_nest exp(V / mu)``; an alternative
    alone has ``exp(V_j) / (exp(IV) + sum_alone exp(V))``. ``mu = 1`` gives the multinomial logit.

    Args:
        utilities: [n, k], ``-inf`` where unavailable.
        in_nest: [k] or [n, k] booleans, the alternatives of the nest.
        mu: the nest's scale, in (0, 1].
    """
    u = np.asarray(utilities, dtype=float)
    nest = np.broadcast_to(np.asarray(in_nest, dtype=bool), u.shape)
    inner = logit_probabilities(np.where(nest, u / mu, -np.inf))
    with np.errstate(divide="ignore"):
        m = np.max(np.where(nest, u / mu, -np.inf), axis=1, keepdims=True)
        m_ok = np.where(np.isfinite(m), m, 0.0)
        iv = mu * (m_ok + np.log(np.exp(np.where(nest, u / mu, -np.inf) - m_ok).sum(axis=1, keepdims=True)))
    iv = np.where(np.isfinite(m), iv, -np.inf)
    top = logit_probabilities(np.column_stack([iv[:, 0], np.where(nest, -np.inf, u)]))
    return np.where(nest, top[:, :1] * inner, top[:, 1:])


def log_positive_stable(u_angle: np.ndarray, u_exp: np.ndarray, alpha: float) -> np.ndarray:
    """``log S`` for ``S`` positive stable of index ``alpha`` (Laplace transform ``exp(-t^alpha)``), from two
    uniforms in (0, 1) (Kanter 1975; the form ActivitySim uses). 0 when ``alpha = 1``.

    ``S = sin(a U) / sin(U)^(1/a) x (sin((1 - a) U) / W)^((1 - a) / a)``, ``U = pi u_angle``, ``W = -ln u_exp``.
    """
    if alpha >= 1.0:
        return np.zeros(np.shape(u_angle))
    eps = np.finfo(float).eps
    u = eps + (np.pi - 2.0 * eps) * np.asarray(u_angle, dtype=float)
    w = -np.log(np.clip(u_exp, eps, 1.0 - eps))
    a = float(alpha)
    return (
        np.log(np.sin(a * u))
        - np.log(np.sin(u)) / a
        + ((1.0 - a) / a) * (np.log(np.sin((1.0 - a) * u)) - np.log(w))
    )


def nested_noise(leaf_gumbel: np.ndarray, log_s: np.ndarray, in_nest: np.ndarray, mu: float) -> np.ndarray:
    """The noise of a two-level nested logit draw (module docstring): ``mu (log S + g)`` in the nest, ``g`` alone.

    Args:
        leaf_gumbel: [n, k] standard Gumbel draws, one per decider and alternative.
        log_s: [n] the deciders' ``log S`` (:func:`log_positive_stable` with index ``mu``).
        in_nest: [k] or [n, k] booleans.
        mu: the nest's scale, in (0, 1].
    """
    nest = np.broadcast_to(np.asarray(in_nest, dtype=bool), leaf_gumbel.shape)
    return np.where(nest, mu * (log_s[:, None] + leaf_gumbel), leaf_gumbel)


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


def nearest_columns(minutes: np.ndarray, n: int) -> np.ndarray:
    """Per row, the indices of the ``n`` smallest values (all when fewer), smallest first, ties by index."""
    k = min(n, minutes.shape[1])
    if k == 0:
        return np.zeros((minutes.shape[0], 0), dtype=np.int64)
    if k < minutes.shape[1]:
        part = np.argpartition(minutes, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(k), (minutes.shape[0], k))
    order = np.lexsort((part, np.take_along_axis(minutes, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)
