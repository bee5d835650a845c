"""Random channels: one stable stream per purpose, derived from the run's seed (docs/ODD.md 6.4).

Two kinds of randomness:

* **Sequential streams** (:class:`numpy.random.Generator`) for things drawn once or in a fixed order that does
  not depend on the scenario: the territory, the population, the arrival of needs and of makers' sessions.
  Each purpose gets its own ``SeedSequence`` child, so adding draws to one purpose never shifts another.
* **Counter-based draws** (:func:`uniform`, :func:`gumbel`) for choices and the capacity lottery: the random
  number is a hash of (stream key, time, agent, alternative id). The noise an agent gets for a place therefore
  does not depend on which other places exist, so adding a place in a scenario does not reshuffle anybody
  else's draws (common random numbers across scenarios, in the spirit of ActivitySim's random channels).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

# appended, never reordered: a purpose's index is part of its key
PURPOSES = (
    "territory", "population", "needs", "sessions", "work", "service", "workshop", "lottery", "consideration",
)  # fmt: skip

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def stable_hash(text: str) -> np.uint64:
    """A 64-bit hash of a string that is the same on every machine and Python run (unlike ``hash``)."""
    return np.uint64(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little"))


def hash_ids(ids: list[str] | np.ndarray) -> np.ndarray:
    """Stable uint64 ids of alternatives (e.g. place ids), for counter-based draws."""
    return np.array([stable_hash(str(i)) for i in ids], dtype=np.uint64)


@dataclass(frozen=True)
class Streams:
    """The random channels of one run.

    Args:
        seed: the run's seed (any integer >= 0).
    """

    seed: int

    def generator(self, purpose: str) -> np.random.Generator:
        """A fresh generator for a sequential purpose; the same purpose and seed give the same numbers."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown random purpose {purpose!r}; expected one of {PURPOSES}")
        return np.random.default_rng(np.random.SeedSequence([self.seed, PURPOSES.index(purpose)]))

    def key(self, purpose: str) -> np.uint64:
        """The 64-bit key of a counter-based channel."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown random purpose {purpose!r}; expected one of {PURPOSES}")
        state = np.random.SeedSequence([self.seed, PURPOSES.index(purpose)]).generate_state(1, np.uint64)
        return np.uint64(state[0])


_BLOCK = 1 << 15  # elements per block of the final mix: the block's temporaries stay in the CPU's cache
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def _hash_rows(key: np.uint64, time: int, agents: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = _mix_blocks(
            np.array([np.uint64(key) ^ (np.uint64(time) * _GOLDEN + np.uint64(0x632BE59BD9B4E019))])
        )
        x = agents.astype(np.uint64) * _GOLDEN
        x += np.uint64(1)
        x ^= h
        return _mix_blocks(x)


def _mix_blocks(x: np.ndarray, block: int = _BLOCK) -> np.ndarray:
    """The SplitMix64 finaliser (wrapping uint64 arithmetic) of a fresh uint64 array, in place and block by block
    (the operations are elementwise, so any block gives the same numbers). Over whole arrays of millions, each of
    the mix's steps wrote and read its temporaries in memory; a block's stay in cache, several times faster."""
    flat = x.reshape(-1)
    tmp = np.empty(min(block, flat.size), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(0, flat.size, block):
            xs = flat[i : i + block]
            ts = tmp[: xs.size]
            np.right_shift(xs, np.uint64(30), out=ts)
            xs ^= ts
            xs *= _M1
            np.right_shift(xs, np.uint64(27), out=ts)
            xs ^= ts
            xs *= _M2
            np.right_shift(xs, np.uint64(31), out=ts)
            xs ^= ts
    return x


def _to_unit(h: np.ndarray, block: int = _BLOCK) -> np.ndarray:
    """Uniforms from 64-bit hashes (their top 53 bits, centred): ``((h >> 11) + 0.5) 2**-53``, block by block;
    ``h`` (fresh) is overwritten. In (0, 1], 1 only for the top 2**11 of the 2**64 hashes (a chance of 1e-16 per
    draw; the Gumbel noise is then +inf, a sure pick, never NaN)."""
    out = np.empty(h.shape, dtype=np.float64)
    flat, o = h.reshape(-1), out.reshape(-1)
    for i in range(0, flat.size, block):
        xs, os_ = flat[i : i + block], o[i : i + block]
        xs >>= np.uint64(11)
        os_[:] = xs
        os_ += 0.5
        os_ *= _UNIT
    return out


def uniform(key: np.uint64, time: int, agents: np.ndarray, alts: np.ndarray | None = None) -> np.ndarray:
    """Counter-based uniforms in (0, 1).

    Args:
        key: the channel key (:meth:`Streams.key`).
        time: an integer clock (e.g. absolute slot or day).
        agents: agent ids, shape [n].
        alts: alternative ids (uint64), shape [n, k] or [k]; None for one draw per agent.

    Returns:
        Shape [n] without ``alts``, else [n, k].
    """
    h = _hash_rows(key, time, np.asarray(agents))
    if alts is not None:
        a = np.asarray(alts, dtype=np.uint64)
        h = _mix_blocks(h[:, None] ^ (a if a.ndim == 2 else a[None, :]))
    return _to_unit(h)


def gumbel(key: np.uint64, time: int, agents: np.ndarray, alts: np.ndarray) -> np.ndarray:
    """Standard Gumbel noise for a multinomial logit, a function of (key, time, agent, alternative)."""
    return to_gumbel(uniform(key, time, agents, alts))


def uniform_pairs(
    key: np.uint64,
    time: int,
    agents: np.ndarray,
    rows: np.ndarray,
    alts: np.ndarray,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`uniform` on (agent, alternative) pairs: ``uniform(key, time, agents[rows], alts[:, None])[:, 0]``.

    The agent's part of the hash is computed once per agent, not once per pair (the work choice has several
    pairs per worker). Same numbers.

    Args:
        key, time: as :func:`uniform`.
        agents: agent ids, shape [n].
        rows: per pair, its agent's index into ``agents``, shape [p].
        alts: per pair, the alternative's id (uint64), shape [p].
        counts: when ``rows`` is ascending, the pairs of each agent (then a sequential repeat replaces the
            gather).
    """
    h = _hash_rows(key, time, np.asarray(agents))
    h = h[rows] if counts is None else np.repeat(h, counts)
    h ^= np.asarray(alts, dtype=np.uint64)
    return _to_unit(_mix_blocks(h))


def to_gumbel(u: np.ndarray) -> np.ndarray:
    """``-log(-log(u))``, in place (``u`` is a fresh array)."""
    np.log(u, out=u)
    np.negative(u, out=u)
    np.log(u, out=u)
    return np.negative(u, out=u)
