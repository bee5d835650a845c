"""The fixed context of a run's daily decisions: configuration, zones, population, places, travel, random keys.

Built once by the model (:class:`~simulation.sim.model.SharedPlacesModel`) and passed to the behaviour modules
(:mod:`~simulation.sim.work`, :mod:`~simulation.sim.services`, :mod:`~simulation.sim.makers`), which are
functions over arrays: they read the world, change their own state and write to the recorder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.core.config import SimConfig
from simulation.core.parallel import resolve_threads
from simulation.core.randomness import Streams, stable_hash
from simulation.sim.admission import DemandMemory
from simulation.sim.network import Network
from simulation.sim.population import Population
from simulation.sim.travel import TravelMatrices


@dataclass(frozen=True)
class Keys:
    """Keys of the counter-based random channels and the ids of the non-place alternatives (docs/ODD.md 6.4)."""

    work: np.uint64
    service: np.uint64
    consideration: np.uint64  # a resident's lasting order among places at equal time (tie_break: draw)
    workshop: np.uint64
    lottery: np.uint64
    capacity: np.uint64  # capacity rounding draws (derived from the lottery's key)
    imputation: np.uint64  # the unsampled demand of the lottery at sample_rate < 1 (sim.admission)
    office: np.uint64  # alternative ids: the office, home, giving up a need, no session
    home: np.uint64
    give_up: np.uint64
    no_session: np.uint64

    @classmethod
    def of(cls, streams: Streams) -> Keys:
        """The keys of a run's streams."""
        lottery = streams.key("lottery")
        return cls(
            work=streams.key("work"),
            service=streams.key("service"),
            consideration=streams.key("consideration"),
            workshop=streams.key("workshop"),
            lottery=lottery,
            capacity=lottery ^ np.uint64(0x5BD1E9955BD1E995),
            imputation=lottery ^ np.uint64(0x9E3779B97F4A7C15),
            office=stable_hash("__office__"),
            home=stable_hash("__home__"),
            give_up=stable_hash("__give_up__"),
            no_session=stable_hash("__no_session__"),
        )


@dataclass(frozen=True)
class World:
    """What every daily decision reads (the network's arrays change when operators and providers decide).

    Attributes:
        cfg: the run's configuration (after the scenario).
        zones: the territory's zones.
        pop: the population (columnar).
        network: the places as arrays.
        zz: travel between zones (commutes), one way.
        zp: travel from each zone to each place, one way.
        keys: the counter-based random channels.
        demand: the running mean of each place's demand per slot of the week, which the capacity lottery reads
            at ``sample_rate`` < 1 (:mod:`simulation.sim.admission`); created empty.
        threads: the threads of the largest daily choices (``run.threads`` resolved; :mod:`simulation.core.parallel`).
    """

    cfg: SimConfig
    zones: pd.DataFrame
    pop: Population
    network: Network
    zz: TravelMatrices
    zp: TravelMatrices
    keys: Keys
    demand: DemandMemory = field(init=False)
    threads: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "demand", DemandMemory.of(self.network.n))
        object.__setattr__(self, "threads", resolve_threads(self.cfg.run.threads))

    @property
    def sample_rate(self) -> float:
        """Share of the adults simulated."""
        return self.cfg.population.sample_rate
