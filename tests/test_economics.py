"""Tests of simulation.sim.economics: Shapley values, allocation rules, costs, viability, subsidies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.sim.economics import (
    MAX_SHAPLEY_PLAYERS,
    allocate,
    allocate_places,
    closure_decision,
    cost_recovery,
    fixed_cost_eur,
    mutualisation,
    shapley_value,
    slot_cost_eur,
    subsidies,
    union_game_shapley,
)


def union_cost(slots: dict, slot_cost, fixed: float):
    """The union game cost(S) = fixed + sum of slot costs over the union of S's slots, cost(empty) = 0."""

    def cost(coalition: frozenset) -> float:
        if not coalition:
            return 0.0
        union = set().union(*(set(slots[p]) for p in coalition))
        if isinstance(slot_cost, dict):
            return fixed + sum(slot_cost[s] for s in union)
        return fixed + slot_cost * len(union)

    return cost


AIRPORT = {"A": {1}, "B": {1, 2}, "C": {1, 2, 3}}


# --------------------------------------------------------------------------------------------------
# shapley_value
# --------------------------------------------------------------------------------------------------
def test_shapley_value_glove_like_game_by_hand():
    # cost = 10 for any non-empty coalition containing "a", else 4 per member (hand-computed below).
    def cost(s: frozenset) -> float:
        return 10.0 if "a" in s else 4.0 * len(s)

    phi = shapley_value(["a", "b"], cost)
    # orders (a,b): a pays 10, b 0; (b,a): b pays 4, a 6 -> a = 8, b = 2
    assert phi == pytest.approx({"a": 8.0, "b": 2.0}, abs=1e-12)


def test_shapley_value_uses_cost_of_empty_coalition():
    phi = shapley_value(["x"], lambda s: 5.0 if s else 2.0)
    assert phi["x"] == pytest.approx(3.0)


def test_shapley_value_additive_game_gives_own_cost():
    own = {"p": 1.5, "q": 2.0, "r": 7.0, "s": 0.0}
    phi = shapley_value(own, lambda s: sum(own[i] for i in s))
    assert phi == pytest.approx(own, abs=1e-12)


def test_shapley_value_no_players_and_too_many():
    assert shapley_value([], lambda s: 1.0) == {}
    with pytest.raises(ValueError, match=f"at most {MAX_SHAPLEY_PLAYERS} players"):
        shapley_value(range(MAX_SHAPLEY_PLAYERS + 1), lambda s: 0.0)


def test_shapley_value_rejects_duplicates():
    with pytest.raises(ValueError, match="distinct"):
        shapley_value(["a", "a"], lambda s: 0.0)


# --------------------------------------------------------------------------------------------------
# union_game_shapley
# --------------------------------------------------------------------------------------------------
def test_airport_game_by_hand():
    phi = union_game_shapley(AIRPORT, 10.0, 90.0)
    # fixed 90 / 3 = 30 each; slot 1: 10/3 each; slot 2: 5 to B and C; slot 3: 10 to C
    assert phi["A"] == pytest.approx(30 + 10 / 3, abs=1e-12)
    assert phi["B"] == pytest.approx(30 + 10 / 3 + 5, abs=1e-12)
    assert phi["C"] == pytest.approx(30 + 10 / 3 + 5 + 10, abs=1e-12)
    assert sum(phi.values()) == pytest.approx(120.0, abs=1e-12)


def test_airport_game_matches_enumeration():
    expected = shapley_value(AIRPORT, union_cost(AIRPORT, 10.0, 90.0))
    assert union_game_shapley(AIRPORT, 10.0, 90.0) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("slots", "slot_cost", "fixed"),
    [
        ({"a": [0, 1, 2], "b": [], "c": [2, 5]}, {0: 3.0, 1: 7.5, 2: 11.0, 5: 2.0}, 40.0),
        ({"caf": ["Tue AM"], "cpam": ["Tue AM", "Thu PM"], "fs": []}, 180.0, 0.0),
        ({"solo": [3, 4]}, {3: 1.0, 4: 2.0}, 8.0),
        ({1: [0], 2: [0], 3: [0], 4: [0]}, 12.0, 4.0),
    ],
)
def test_union_game_shapley_hand_games_match_enumeration(slots, slot_cost, fixed):
    expected = shapley_value(slots, union_cost(slots, slot_cost, fixed))
    assert union_game_shapley(slots, slot_cost, fixed) == pytest.approx(expected, abs=1e-9)


def test_union_game_shapley_random_games_match_enumeration():
    rng = np.random.default_rng(20240611)
    for _ in range(50):
        n = int(rng.integers(1, 9))
        n_slots = int(rng.integers(1, 22))
        costs = {s: float(rng.uniform(0, 200)) for s in range(n_slots)}
        slots = {f"p{i}": set(np.flatnonzero(rng.random(n_slots) < 0.4).tolist()) for i in range(n)}
        fixed = float(rng.uniform(0, 1000))
        closed = union_game_shapley(slots, costs, fixed)
        cost = union_cost(slots, costs, fixed)
        enum = shapley_value(slots, cost)
        assert closed.keys() == enum.keys()
        for p in slots:
            assert closed[p] == pytest.approx(enum[p], abs=1e-9)
        assert sum(closed.values()) == pytest.approx(cost(frozenset(slots)), abs=1e-9)


def test_union_game_shapley_efficiency():
    slots = {"a": {0, 1}, "b": {1, 2, 3}, "c": set(), "d": {3}}
    costs = {0: 5.0, 1: 10.0, 2: 20.0, 3: 40.0}
    phi = union_game_shapley(slots, costs, 100.0)
    assert sum(phi.values()) == pytest.approx(100.0 + 75.0, abs=1e-12)


def test_union_game_shapley_symmetry():
    slots = {"a": {0, 1}, "b": {1, 0}, "c": {2}}
    phi = union_game_shapley(slots, {0: 3.0, 1: 4.0, 2: 9.0}, 30.0)
    assert phi["a"] == pytest.approx(phi["b"], abs=1e-12)
    assert phi["a"] == pytest.approx(10.0 + 3.5, abs=1e-12)


def test_union_game_shapley_null_slots_and_player_without_slots():
    slots = {"a": {0}, "b": {0, 9}, "c": set()}
    # slot 9 costs nothing: adding it changes nobody's share
    with_null = union_game_shapley(slots, {0: 6.0, 9: 0.0}, 30.0)
    without = union_game_shapley({"a": {0}, "b": {0}, "c": set()}, {0: 6.0}, 30.0)
    assert with_null == pytest.approx(without, abs=1e-12)
    # a player with no slots pays exactly its share of the fixed cost
    assert with_null["c"] == pytest.approx(10.0, abs=1e-12)
    assert with_null["a"] == pytest.approx(13.0, abs=1e-12)


def test_union_game_shapley_empty_and_missing_cost():
    assert union_game_shapley({}, 10.0, 50.0) == {}
    with pytest.raises(ValueError, match="no cost"):
        union_game_shapley({"a": {1, 2}}, {1: 3.0}, 0.0)


# --------------------------------------------------------------------------------------------------
# allocate
# --------------------------------------------------------------------------------------------------
# P0 uses slot 0, P1 slots 0, 1, 2; slot 3 (cost 40) is used by nobody -> remainder 40.
FIXED = 60.0
SLOT_COST = np.array([10.0, 20.0, 30.0, 40.0])
USES = np.array([[True, False, False, False], [True, True, True, False]])
CONTACTS = np.array([30.0, 10.0])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("equal", [60.0, 60.0]),  # (60 + 10 + 20 + 30) / 2
        ("slots", [30.0, 90.0]),  # 1 slot against 3
        ("contacts", [90.0, 30.0]),  # 30 contacts against 10
        ("shapley", [35.0, 85.0]),  # 30 + 10/2 ; 30 + 10/2 + 20 + 30
    ],
)
def test_allocate_hand_example(rule, expected):
    shares, remainder = allocate(rule, FIXED, SLOT_COST, USES, CONTACTS)
    np.testing.assert_allclose(shares, expected, rtol=0, atol=1e-12)
    assert remainder == pytest.approx(40.0, abs=1e-12)


def test_allocate_no_players_everything_is_remainder():
    shares, remainder = allocate("shapley", FIXED, SLOT_COST, np.zeros((0, 4), dtype=bool), np.zeros(0))
    assert shares.shape == (0,)
    assert remainder == pytest.approx(160.0)


@pytest.mark.parametrize("rule", ["equal", "slots", "contacts", "shapley"])
def test_allocate_invariant_on_random_inputs(rule):
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(0, 7))
        n_slots = 21
        slot_cost = rng.uniform(0, 300, n_slots) * (rng.random(n_slots) < 0.7)
        uses = rng.random((n, n_slots)) < rng.uniform(0, 0.5)
        contacts = rng.integers(0, 50, n) * (rng.random(n) < 0.8)
        fixed = float(rng.uniform(0, 5000))
        shares, remainder = allocate(rule, fixed, slot_cost, uses, contacts)
        assert shares.shape == (n,)
        assert np.all(shares >= -1e-12)
        assert shares.sum() + remainder == pytest.approx(fixed + slot_cost.sum(), rel=1e-12, abs=1e-9)
        unused_cost = slot_cost[~uses.any(axis=0)].sum() if n else slot_cost.sum() + fixed
        assert remainder == pytest.approx(unused_cost, abs=1e-9)


def test_allocate_shapley_equals_union_game_shapley():
    rng = np.random.default_rng(11)
    for _ in range(30):
        n = int(rng.integers(1, 8))
        slot_cost = rng.uniform(0, 100, 21)
        uses = rng.random((n, 21)) < 0.3
        fixed = float(rng.uniform(0, 800))
        shares, _ = allocate("shapley", fixed, slot_cost, uses, np.zeros(n))
        used = uses.any(axis=0)
        slots = {i: np.flatnonzero(uses[i]).tolist() for i in range(n)}
        costs = {s: float(slot_cost[s]) for s in np.flatnonzero(used)}
        closed = union_game_shapley(slots, costs, fixed)
        np.testing.assert_allclose(shares, [closed[i] for i in range(n)], rtol=0, atol=1e-9)


def test_allocate_contacts_falls_back_to_slots():
    by_contacts, r1 = allocate("contacts", FIXED, SLOT_COST, USES, np.zeros(2))
    by_slots, r2 = allocate("slots", FIXED, SLOT_COST, USES, CONTACTS)
    np.testing.assert_allclose(by_contacts, [30.0, 90.0], atol=1e-12)
    np.testing.assert_allclose(by_contacts, by_slots, atol=1e-12)
    assert r1 == r2


def test_allocate_slots_with_no_used_slot_splits_fixed_cost_equally():
    shares, remainder = allocate(
        "slots", 30.0, np.array([5.0, 7.0]), np.zeros((3, 2), dtype=bool), np.zeros(3)
    )
    np.testing.assert_allclose(shares, [10.0, 10.0, 10.0], atol=1e-12)
    assert remainder == pytest.approx(12.0)


def test_allocate_unknown_rule_names_allowed_ones():
    with pytest.raises(ValueError, match="equal, slots, contacts, shapley"):
        allocate("proportional", FIXED, SLOT_COST, USES, CONTACTS)


def test_allocate_rejects_bad_shapes_and_negative_contacts():
    with pytest.raises(ValueError, match="uses"):
        allocate("equal", FIXED, SLOT_COST, USES[:, :3], CONTACTS)
    with pytest.raises(ValueError, match="contacts"):
        allocate("equal", FIXED, SLOT_COST, USES, np.array([1.0]))
    with pytest.raises(ValueError, match=">= 0"):
        allocate("contacts", FIXED, SLOT_COST, USES, np.array([1.0, -1.0]))


# --------------------------------------------------------------------------------------------------
# Cost functions
# --------------------------------------------------------------------------------------------------
def test_fixed_cost_eur_hand_numbers():
    # 100 m2 x 120 EUR/m2/yr = 12,000 + 4,000 overhead = 16,000 EUR/yr; over 4 weeks: 16,000 x 4 / 52
    out = fixed_cost_eur(np.array([100.0, 0.0]), np.array([120.0, 60.0]), 4_000.0, 4)
    np.testing.assert_allclose(out, [16_000 * 4 / 52, 4_000 * 4 / 52], rtol=1e-12)
    assert fixed_cost_eur(52.0, 10.0, 0.0, 52) == pytest.approx(520.0)


def test_slot_cost_eur_hand_numbers_and_broadcast():
    # 2 mediators x 4 h x 26 EUR/h = 208; 100 m2 x 4 h x 0.012 = 4.8
    assert slot_cost_eur(100.0, 4.0, 2.0, 26.0, 0.012) == pytest.approx(212.8)
    table = slot_cost_eur(
        np.array([100.0, 50.0])[:, None], np.array([4.0, 4.0, 3.0])[None, :], 1.0, 24.0, 0.01
    )
    assert table.shape == (2, 3)
    np.testing.assert_allclose(table[1], [96 + 2, 96 + 2, 72 + 1.5], rtol=1e-12)


# --------------------------------------------------------------------------------------------------
# Viability, subsidies, mutualisation
# --------------------------------------------------------------------------------------------------
def test_cost_recovery_window_and_zero_cost():
    revenues = np.array(
        [[100.0, 10.0, 20.0, 30.0], [5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1, 1, 1, 1.0]]
    )
    costs = np.array([[1.0, 20.0, 20.0, 20.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1, 1, 1, 1.0]])
    rec = cost_recovery(revenues, costs, 3)
    assert rec[0] == pytest.approx(60.0 / 60.0)
    assert rec[1] == 1.0  # zero cost and zero revenue over the window
    assert rec[2] == 1.0
    assert rec[3] == pytest.approx(1.0)
    assert cost_recovery(revenues, costs, 4)[0] == pytest.approx(160.0 / 61.0)
    assert math.isinf(cost_recovery(np.array([[3.0]]), np.array([[0.0]]), 3)[0])
    # a window longer than the history uses everything available
    assert cost_recovery(revenues[:, :2], costs[:, :2], 3)[0] == pytest.approx(110.0 / 21.0)


def test_cost_recovery_errors():
    with pytest.raises(ValueError, match="shape"):
        cost_recovery(np.zeros((2, 3)), np.zeros((2, 2)), 3)
    with pytest.raises(ValueError, match="window"):
        cost_recovery(np.zeros((2, 3)), np.zeros((2, 3)), 0)


def test_closure_decision_streaks():
    streak = np.array([0, 2, 2, 5, 1, 2])
    recovery = np.array([0.5, 0.5, 0.5, 0.7, np.nan, 0.6])
    closable = np.array([True, True, False, True, True, True])
    new, close = closure_decision(streak, recovery, 0.6, 3, closable)
    np.testing.assert_array_equal(new, [1, 3, 3, 0, 0, 0])  # 0.6 is not below 0.6; NaN resets
    np.testing.assert_array_equal(close, [False, True, False, False, False, False])


def test_closure_decision_three_periods_in_a_row():
    streak = np.zeros(2, dtype=int)
    closable = np.array([True, True])
    closes = []
    for rec in ([0.1, 0.1], [0.1, 0.9], [0.1, 0.1], [0.9, 0.1]):
        streak, close = closure_decision(streak, np.array(rec), 0.6, 3, closable)
        closes.append(close.tolist())
    assert closes == [[False, False], [False, False], [True, False], [False, False]]
    np.testing.assert_array_equal(streak, [0, 2])


def test_subsidies_per_rule():
    labelled = np.array([True, False, True])
    deficit = np.array([-100.0, 2_000.0, 10_000.0])
    np.testing.assert_array_equal(subsidies("none", labelled, deficit, 30_000, 50_000, 4), [0, 0, 0])
    np.testing.assert_allclose(
        subsidies("per_site", labelled, deficit, 30_000, 50_000, 4), [30_000 * 4 / 52, 0.0, 30_000 * 4 / 52]
    )
    cap = 50_000 * 4 / 52  # about 3,846
    np.testing.assert_allclose(
        subsidies("deficit", labelled, deficit, 30_000, 50_000, 4), [0.0, 2_000.0, cap]
    )
    with pytest.raises(ValueError, match="none, per_site, deficit"):
        subsidies("lump", labelled, deficit, 30_000, 50_000, 4)


def test_mutualisation_cost_per_contact():
    out = mutualisation(np.array([100.0, 50.0, 0.0]), np.array([4, 0, 10]))
    assert out[0] == pytest.approx(25.0)
    assert np.isnan(out[1])
    assert out[2] == 0.0


def test_allocate_places_splits_each_place_among_its_own_players():
    # place 0: provider 0 in slots {0,1}, provider 1 in slot {1}; place 1: only the work activity; place 2 inactive
    slot_cost = np.array([[10.0, 20.0, 5.0], [7.0, 7.0, 0.0], [1.0, 1.0, 1.0]])
    fixed = np.array([30.0, 14.0, 100.0])
    prov = np.zeros((2, 3, 3), bool)
    prov[0, 0, [0, 1]] = True
    prov[1, 0, 1] = True
    acts = np.zeros((2, 3, 3), bool)
    acts[0, 1, [0, 1]] = True
    shares, op = allocate_places(
        "shapley",
        fixed,
        slot_cost,
        prov,
        acts,
        np.ones((2, 3)),
        np.ones((2, 3)),
        np.array([True, True, False]),
    )
    # place 0: fixed 15 each; slot 0 (10) to provider 0; slot 1 (20) split; slot 2 (5) unused -> operator
    assert shares[:, 0] == pytest.approx([15 + 10 + 10, 15 + 10])
    assert op[0] == pytest.approx(5.0)
    # place 1: the work activity carries everything, which is the operator's part
    assert shares[:, 1] == pytest.approx([0.0, 0.0])
    assert op[1] == pytest.approx(14 + 7 + 7)
    # the inactive place is not allocated at all
    assert shares[:, 2] == pytest.approx([0.0, 0.0]) and op[2] == 0.0
