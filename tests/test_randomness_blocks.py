"""The counter-based draws computed block by block (simulation.core.randomness) are the whole-array formulas'
numbers, bit for bit, whatever the block size and wherever the blocks cut."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simulation.core import randomness as rnd

words = st.lists(st.integers(0, 2**64 - 1), max_size=50)


def _splitmix_finaliser(x: np.ndarray) -> np.ndarray:
    """The whole-array formula the blocks replaced."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@given(values=words, block=st.integers(1, 17))
def test_mix_blocks_is_the_mix(values: list[int], block: int) -> None:
    x = np.array(values, dtype=np.uint64)
    np.testing.assert_array_equal(rnd._mix_blocks(x.copy(), block), _splitmix_finaliser(x))


@given(values=words, block=st.integers(1, 17), width=st.integers(1, 3))
def test_to_unit_is_the_centred_top_53_bits(values: list[int], block: int, width: int) -> None:
    x = np.array(values * width, dtype=np.uint64).reshape(width, -1)
    expected = ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)
    got = rnd._to_unit(x.copy(), block)
    assert got.shape == x.shape
    np.testing.assert_array_equal(got, expected)
    # in (0, 1], 1 only for the top 2**11 of the 2**64 hashes (2**53 - 0.5 rounds to even): a chance of 1e-16
    assert ((got > 0) & (got <= 1)).all()


def test_uniform_matches_recorded_draws() -> None:
    """Draws recorded before the block-wise computation (key 7, time 5): a change of formula would change every
    run's results."""
    agents = np.array([0, 1, 2, 10**9])
    got = rnd.uniform(np.uint64(7), 5, agents, np.array([3, 2**63], dtype=np.uint64))
    np.testing.assert_array_equal(got, RECORDED)


RECORDED = np.array(  # printed by the whole-array formula of commit 13ab36b
    [
        [0.027645728338498043, 0.6442333863553706],
        [0.9435024268021777, 0.05902711626869178],
        [0.19297806144770052, 0.8445968410042402],
        [0.3642358145083184, 0.6266637137520255],
    ]
)
