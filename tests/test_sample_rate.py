"""Results that do not depend on the sample rate (issue 9): the capacity lottery of the whole population.

A run at ``population.sample_rate`` 0.1 must give the main service KPIs of a run at rate 1 within the spread
between seeds at rate 1 (synthetic territory, 40,000 adults, 13 weeks, 5 seeds each). Before
:mod:`simulation.sim.admission`, the plain lottery of the sample (min(D, c s) with a sample's 1/s-times noisier
demand) gave 0.290 unmet needs at rate 0.1 against 0.181 +- 0.011 at rate 1 on this territory; now 0.191. The
contacts still fall short by 2.6 % (12,882 against 13,225 +- 82: operators' expansions, README "Results that do
not depend on the sample rate"), and desk occupancy is not tested (its spread between seeds is 0.08 here); the
README's table has the Nièvre's figures.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from simulation.core.config import to_config
from simulation.core.randomness import Streams
from simulation.sim.admission import DemandMemory, slot_admission
from simulation.sim.model import SharedPlacesModel, run
from simulation.sim.network import MEDIATION

SEEDS = range(5)
KPIS = ("unmet_need_rate", "occupancy_rate_mediation", "network_cost_eur")


def _kpis(rate: float) -> np.ndarray:
    out = []
    for seed in SEEDS:
        cfg = to_config(
            {
                "seed": seed,
                "weeks": 13,
                "warmup_weeks": 2,
                "territory": {"kind": "synthetic"},
                "population": {"sample_rate": rate},
                "output": {"progress": False},
            }
        )
        s = run(cfg, progress=False).summary
        out.append([s[k] for k in KPIS])
    return np.array(out)


@pytest.fixture(scope="module")
def by_rate() -> dict[float, np.ndarray]:
    return {rate: _kpis(rate) for rate in (1.0, 0.1)}


@pytest.mark.parametrize("kpi", KPIS)
def test_low_rate_within_the_seed_spread_of_rate_1(by_rate, kpi):
    i = KPIS.index(kpi)
    full, low = by_rate[1.0][:, i], by_rate[0.1][:, i]
    spread = full.std(ddof=1)  # between seeds at rate 1: what a user cannot tell apart anyway
    # 3 standard deviations of one seed: two runs of the same model differ by more 0.3 % of the time
    assert abs(low.mean() - full.mean()) <= 3 * spread, (kpi, full, low)


def test_rate_1_is_the_plain_lottery():
    """At rate 1 the admission is the plain lottery's capacity, draw for draw (the golden outputs hold)."""
    cfg = to_config({"territory": {"kind": "synthetic"}, "output": {"progress": False}, "weeks": 1})
    model = SharedPlacesModel(cfg)
    net, keys = model.network, model.world.keys
    demand = np.arange(net.n) % 7
    lot = slot_admission(net, DemandMemory.of(net.n), keys.capacity, keys.imputation, 5, MEDIATION, demand)
    np.testing.assert_array_equal(lot.admit, net.slot_capacity(keys.capacity, 5, MEDIATION))
    assert lot.population is None


def test_admitted_share_is_the_whole_population_lottery():
    """At rate s, with a demand of mean m persons per slot and capacity c, the sample's expected admissions are
    s E[min(Poisson(m), c)]: the lottery of the population, thinned (module docstring of sim.admission)."""
    s = 0.1
    cfg = to_config(
        {"territory": {"kind": "synthetic"}, "output": {"progress": False}, "population": {"sample_rate": s}}
    )
    model = SharedPlacesModel(cfg)
    net = model.network
    streams = Streams(7)
    key_c, key_i = streams.key("lottery"), streams.key("needs")
    row = int(np.flatnonzero(net.slot_open[:, 0, MEDIATION])[0])
    c = net.capacity_f[row, MEDIATION] / s  # persons
    m = 1.5 * c  # a crowded place
    memory = DemandMemory.of(net.n)
    memory.mean[row, 0, MEDIATION], memory.seen[row, 0, MEDIATION] = m, 1
    rng = np.random.default_rng(0)
    n = 4000
    admitted = np.empty(n)
    for t in range(n):
        demand = np.zeros(net.n, np.int64)
        demand[row] = rng.poisson(s * m)
        memory.mean[row, 0, MEDIATION], memory.seen[row, 0, MEDIATION] = m, 1  # a known mean
        admitted[t] = slot_admission(net, memory, key_c, key_i, 21 * t, MEDIATION, demand).admit[row]
    k = np.arange(int(5 * m) + 50)
    expected = s * (np.minimum(k, c) * poisson.pmf(k, m)).sum()
    se = admitted.std(ddof=1) / np.sqrt(n)
    assert abs(admitted.mean() - expected) <= 4 * se, (admitted.mean(), expected, se)
