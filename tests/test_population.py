"""The columnar population (docs/ODD.md 5): counts per zone, attribute shares, the gravity model of jobs.

Tolerances are sampling errors: a share drawn for n agents is within 4.5 standard deviations
(sqrt(p (1 - p) / n)) of its probability (a false alarm about once in 150,000 runs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.core.config import to_config
from simulation.sim.population import build_population, job_zone_choice, scaled_counts, zone_jobs

Z = 4.5


def _zones(pop: list[int], jobs: list[float] | None = None) -> pd.DataFrame:
    n = len(pop)
    return pd.DataFrame(
        {
            "zone_id": [f"z{i}" for i in range(n)],
            "population": pop,
            "jobs": jobs if jobs is not None else [np.nan] * n,
            "kind": ["rural"] * n,
        }
    )


def test_scaled_counts_round_each_zone() -> None:
    np.testing.assert_array_equal(scaled_counts(np.array([10, 15, 0, 3]), 0.1), [1, 2, 0, 0])
    np.testing.assert_array_equal(scaled_counts(np.array([7, 8]), 1.0), [7, 8])


def test_jobs_fill_what_the_known_figures_leave() -> None:
    z = _zones([100, 300, 600], [200.0, np.nan, np.nan])
    jobs = zone_jobs(z, exponent=1.0)
    assert jobs[0] == 200.0
    # the 800 jobs left (1,000 adults - 200) split in proportion to population^1
    assert jobs[1:] == pytest.approx([800 * 300 / 900, 800 * 600 / 900])
    assert zone_jobs(_zones([100, 300]), 1.1).sum() == pytest.approx(400)


def test_job_zones_follow_the_gravity_probabilities() -> None:
    rng = np.random.default_rng(1)
    jobs = np.array([1000.0, 500.0, 2000.0])
    km = np.array([[1.0, 10.0, 20.0], [10.0, 1.0, 15.0], [20.0, 15.0, 1.0]])
    beta, n = 0.1, 60_000
    home = np.repeat([0, 1, 2], n // 3)
    got = job_zone_choice(home, jobs, km, beta, rng)
    for i in range(3):
        w = jobs * np.exp(-beta * km[i])
        p = w / w.sum()
        share = np.bincount(got[home == i], minlength=3) / (n // 3)
        assert np.all(np.abs(share - p) <= Z * np.sqrt(p * (1 - p) / (n // 3))), (i, share, p)


def test_attributes_are_drawn_with_their_shares_and_scenarios_share_people() -> None:
    cfg = to_config(**{"population.sample_rate": 1.0})
    zones = _zones([20_000, 30_000])
    car_share = np.array([0.5, 0.9])
    km = np.array([[2.0, 10.0], [10.0, 2.0]])
    pop = build_population(cfg, zones, car_share, km, np.random.default_rng(7))
    assert pop.n_residents == 50_000
    pc = cfg.population
    for mask, p, n in (
        (pop.car[pop.zone == 0], 0.5, 20_000),
        (pop.car[pop.zone == 1], 0.9, 30_000),
        (pop.digital, pc.digital_autonomy, 50_000),
        (np.isin(np.arange(50_000), pop.worker_person), pc.employment_rate, 50_000),
        (np.isin(np.arange(50_000), pop.maker_person), pc.maker_share, 50_000),
        (pop.teleworkable, pc.teleworkable_share, pop.n_workers),
    ):
        assert abs(mask.mean() - p) <= Z * np.sqrt(p * (1 - p) / n), (p, mask.mean())
    again = build_population(cfg, zones, car_share, km, np.random.default_rng(7))
    for name in ("zone", "car", "digital", "worker_person", "job_zone", "teleworkable", "maker_person"):
        np.testing.assert_array_equal(getattr(pop, name), getattr(again, name))
