"""The population: residents, workers and makers, stored column-wise (one numpy array per attribute).

Every adult is a resident; employed residents are also workers; some residents are makers. Attributes are drawn
from the ``population`` stream only, so every scenario run with the same seed has the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.core.config import SimConfig


@dataclass
class Population:
    """Columnar agents. Residents are rows 0..n-1; workers and makers index into them.

    Attributes:
        zone: home zone index of each resident.
        car: car owner.
        digital: digitally autonomous (can solve a need online).
        worker_person: resident row of each worker.
        job_zone: job zone index of each worker.
        teleworkable: the worker's job can be done remotely.
        maker_person: resident row of each maker.
    """

    zone: np.ndarray
    car: np.ndarray
    digital: np.ndarray
    worker_person: np.ndarray
    job_zone: np.ndarray
    teleworkable: np.ndarray
    maker_person: np.ndarray

    @property
    def n_residents(self) -> int:
        """Number of residents (adults simulated)."""
        return int(self.zone.shape[0])

    @property
    def n_workers(self) -> int:
        """Number of workers (employed residents)."""
        return int(self.worker_person.shape[0])

    @property
    def n_makers(self) -> int:
        """Number of makers."""
        return int(self.maker_person.shape[0])


def scaled_counts(population: np.ndarray, sample_rate: float) -> np.ndarray:
    """Adults simulated per zone: population x sample_rate, rounded (never below 0)."""
    return np.maximum(np.rint(population.astype(float) * sample_rate), 0).astype(np.int64)


def zone_jobs(zones: pd.DataFrame, exponent: float) -> np.ndarray:
    """Jobs per zone: the zones.csv figure where given, else proportional to population^exponent.

    Zones without a figure share the jobs not accounted for by the others, so the total equals the adults'
    total when no zone has a figure (only the spatial distribution matters for the gravity model).
    """
    pop = zones["population"].to_numpy(float)
    jobs = zones["jobs"].to_numpy(float) if "jobs" in zones else np.full(len(zones), np.nan)
    known = np.isfinite(jobs)
    out = jobs.copy()
    if (~known).any():
        w = pop[~known] ** exponent
        rest = max(pop.sum() - np.nansum(jobs[known]), 0.0) if known.any() else pop.sum()
        out[~known] = w / max(w.sum(), 1e-12) * rest
    return np.maximum(out, 0.0)


def job_zone_choice(
    home: np.ndarray, jobs: np.ndarray, km: np.ndarray, beta: float, rng: np.random.Generator
) -> np.ndarray:
    """Gravity model: P(job in j | home i) ∝ jobs_j exp(-beta d_ij); one inverse-CDF draw per worker.

    Args:
        home: home zone of each worker.
        jobs: jobs per zone.
        km: zone-to-zone road km [n_zones, n_zones].
        beta: distance decay, 1/km.
        rng: the population stream.
    """
    w = jobs[None, :] * np.exp(-beta * km)
    w = np.where(
        w.sum(axis=1, keepdims=True) > 0, w, np.eye(len(jobs))
    )  # no jobs anywhere: work at home zone
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(home.shape[0])
    # row-wise searchsorted on the flattened, offset cdf
    n = len(jobs)
    flat = (cdf + np.arange(n)[:, None]).ravel()
    pos = np.searchsorted(flat, u + home, side="right")
    return np.minimum(pos - home * n, n - 1).astype(np.int64)


def build_population(
    cfg: SimConfig, zones: pd.DataFrame, car_share: np.ndarray, zone_km: np.ndarray, rng: np.random.Generator
) -> Population:
    """Draw every adult of the territory (scaled by ``population.sample_rate``).

    Args:
        cfg: the run's configuration.
        zones: the territory's zones.
        car_share: car ownership per zone.
        zone_km: zone-to-zone road km.
        rng: the population stream.
    """
    pc = cfg.population
    counts = scaled_counts(zones["population"].to_numpy(), pc.sample_rate)
    zone = np.repeat(np.arange(len(zones)), counts)
    n = zone.shape[0]
    car = rng.random(n) < car_share[zone]
    digital = rng.random(n) < pc.digital_autonomy
    employed = rng.random(n) < pc.employment_rate
    tele_draw = rng.random(n) < pc.teleworkable_share
    maker = rng.random(n) < pc.maker_share
    worker_person = np.flatnonzero(employed)
    jobs = zone_jobs(zones, pc.jobs_exponent)
    job_zone = job_zone_choice(zone[worker_person], jobs, zone_km, pc.gravity_beta_per_km, rng)
    return Population(
        zone=zone,
        car=car,
        digital=digital,
        worker_person=worker_person,
        job_zone=job_zone,
        teleworkable=tele_draw[worker_person],
        maker_person=np.flatnonzero(maker),
    )
