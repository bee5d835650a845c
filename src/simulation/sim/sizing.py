"""How much memory a run needs, estimated before anything large is allocated, and the size guard.

:func:`estimate` is a pure function of the configuration and the territory's sizes (:class:`Sizes`) that returns
bytes, term by term (:class:`Estimate`). The terms and their coefficients, measured as peak resident memory
(least squares over 16 territories from 10 to 6,400 zones, 10 to 30,000 places, 500 to 2 million simulated
adults, fitted within 10 %, then rounded up so that the estimate errs on the safe side; the per-adult cost grows
with the places in the consideration sets, from 220 bytes with 10 places to 530 on the Rhône, hence 600).
``benchmarks/bench_memory.py`` compares the estimate with the measured peak (estimate / peak from 1.18 to 1.49 on
synthetic grids of 100 to 6,400 zones, the Nièvre and the Rhône):

=================  ==================  =========  ================================================================
term               size                bytes      what it is
=================  ==================  =========  ================================================================
base               1                   250 MB     Python, numpy, pandas, Mesa, Hydra loaded; the output writers
zones²             zones x zones       110        zone-to-zone travel (km, minutes, modes, CO2, money: 9 arrays of
                                                  8 bytes) and the temporaries that build them; job gravity
zones x places     zones x places      100        zone-to-place travel (the same 9 arrays) and its temporaries
agents             simulated adults    600        residents', workers' and makers' columns, their consideration sets
slot records       open slot-activity  200        one record per place, counted slot and activity open there
                   x counted weeks                (``slots`` table and its DataFrame)
places             places              4,000      the Mesa agents (place and operator) and their tables
=================  ==================  =========  ================================================================

:func:`check` compares the estimate with ``run.max_memory_gb`` (default: 80 % of the memory available when
the run starts) and refuses a run that does not fit with one line giving the estimate, its largest term and the
largest setting that fits; it also refuses a run that would simulate nobody. The model calls it once, after the
territory is loaded and before the travel matrices are allocated.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.core.config import SimConfig
from simulation.core.errors import ConfigError, UserError

GB = 1e9
BASE_BYTES = 250e6
ZONE_PAIR_BYTES = 110.0
ZONE_PLACE_BYTES = 100.0
AGENT_BYTES = 600.0
SLOT_RECORD_BYTES = 200.0
PLACE_BYTES = 4000.0
DEFAULT_SHARE = 0.8  # of the available memory, when run.max_memory_gb is null
_ACTIVITY_MASKS = ("opening_work", "opening_mediation", "opening_workshop")


@dataclass(frozen=True)
class Sizes:
    """The sizes of a run that drive its memory.

    Attributes:
        zones: zones of the territory.
        places: places (before the scenario; its additions are few).
        adults: adults of the territory (the sum of the zones' populations).
        open_slots: open (slot, activity) pairs per week, summed over the places.
    """

    zones: int
    places: int
    adults: float
    open_slots: int

    @classmethod
    def of(cls, zones: pd.DataFrame, places: pd.DataFrame) -> Sizes:
        """The sizes of a territory's tables (populations summed as floats: no overflow)."""
        slots = 0
        for col in _ACTIVITY_MASKS:
            if col in places and len(places):
                slots += int(np.bitwise_count(places[col].to_numpy(np.int64)).sum())
        return cls(
            zones=len(zones),
            places=len(places),
            adults=float(zones["population"].to_numpy(float).sum()) if len(zones) else 0.0,
            open_slots=slots,
        )


@dataclass(frozen=True)
class Estimate:
    """An estimate of a run's peak memory, in bytes, term by term (module docstring)."""

    base: float
    zone_pairs: float
    zone_places: float
    agents: float
    slot_records: float
    places: float

    @property
    def total(self) -> float:
        """The sum of the terms, bytes."""
        return self.base + self.zone_pairs + self.zone_places + self.agents + self.slot_records + self.places

    def largest(self) -> str:
        """The name of the largest term but the base."""
        terms = {k: v for k, v in self.__dict__.items() if k != "base"}
        return max(terms, key=lambda k: terms[k])


def simulated_adults(cfg: SimConfig, sizes: Sizes) -> float:
    """About how many adults the run simulates (population x sample rate)."""
    return sizes.adults * cfg.population.sample_rate


def estimate(cfg: SimConfig, sizes: Sizes) -> Estimate:
    """The peak memory of a run, term by term (module docstring), in bytes.

    Args:
        cfg: the run's configuration (sample rate, counted weeks).
        sizes: the territory's sizes.
    """
    z, p = float(sizes.zones), float(sizes.places)
    return Estimate(
        base=BASE_BYTES,
        zone_pairs=ZONE_PAIR_BYTES * z * z,
        zone_places=ZONE_PLACE_BYTES * z * p,
        agents=AGENT_BYTES * simulated_adults(cfg, sizes),
        slot_records=SLOT_RECORD_BYTES * float(sizes.open_slots) * cfg.weeks,
        places=PLACE_BYTES * p,
    )


def available_bytes() -> float | None:
    """The memory available to a new process now (``MemAvailable`` of /proc/meminfo), None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def limit_bytes(cfg: SimConfig) -> tuple[float | None, str]:
    """The memory limit of a run and how it was set (``run.max_memory_gb`` or 80 % of the available memory)."""
    if cfg.run.max_memory_gb is not None:
        return cfg.run.max_memory_gb * GB, f"run.max_memory_gb={cfg.run.max_memory_gb:g}"
    avail = available_bytes()
    if avail is None:
        return None, "unknown available memory"
    return (
        DEFAULT_SHARE * avail,
        f"80 % of the {avail / GB:.1f} GB available; set run.max_memory_gb to change it",
    )


def _largest_setting(cfg: SimConfig, sizes: Sizes, est: Estimate, limit: float) -> str:
    """The largest value of the setting behind the largest term that fits in ``limit``."""
    term = est.largest()
    if term in ("zone_pairs", "zone_places"):
        return _largest_zones(cfg, sizes, est, limit)
    room = limit - (est.total - getattr(est, term))  # bytes left for that term
    if room <= 0:
        return f"none (the rest of the run alone needs {(est.total - getattr(est, term)) / GB:.1f} GB)"
    if term == "agents":
        rate = room / (AGENT_BYTES * max(sizes.adults, 1.0))
        return f"population.sample_rate <= {_floor(rate)}"
    if term == "slot_records":
        weeks = int(room // (SLOT_RECORD_BYTES * max(sizes.open_slots, 1)))
        return f"weeks <= {weeks}"
    return f"at most {int(room // PLACE_BYTES):,} places"


def _largest_zones(cfg: SimConfig, sizes: Sizes, est: Estimate, limit: float) -> str:
    """The largest number of zones that fits (the synthetic grid's cell size): solve a z² + b z = room.

    On a synthetic grid the places, and so the slot records, grow with the zones (``r`` places per zone);
    otherwise the places are fixed and only the two zone terms change.
    """
    if cfg.territory.kind == "synthetic":
        r = sizes.places / max(sizes.zones, 1)
        slots_per_place = sizes.open_slots / max(sizes.places, 1)
        a = ZONE_PAIR_BYTES + ZONE_PLACE_BYTES * r
        b = r * (PLACE_BYTES + SLOT_RECORD_BYTES * slots_per_place * cfg.weeks)
        room = limit - est.base - est.agents
    else:
        a, b = ZONE_PAIR_BYTES, ZONE_PLACE_BYTES * sizes.places
        room = limit - (est.total - est.zone_pairs - est.zone_places)
    if room <= 0:
        return "none (the rest of the run alone exceeds the limit)"
    zones = int((-b + math.sqrt(b * b + 4 * a * room)) / (2 * a))
    if cfg.territory.kind == "synthetic" and zones > 0:
        cell = cfg.territory.synthetic.size_km / math.sqrt(zones)
        return f"territory.synthetic.cell_km >= {_ceil(cell)} (about {zones:,} zones)"
    return f"at most about {zones:,} zones"


def _floor(x: float) -> str:
    digits = max(0, 1 - math.floor(math.log10(x))) if x > 0 else 0
    return f"{math.floor(x * 10**digits) / 10**digits:g}"


def _ceil(x: float) -> str:
    digits = max(0, 1 - math.floor(math.log10(x))) if x > 0 else 0
    return f"{math.ceil(x * 10**digits) / 10**digits:g}"


_TERM_TEXT = {
    "zone_pairs": "zone-to-zone travel ({zones:,} zones squared)",
    "zone_places": "zone-to-place travel ({zones:,} zones x {places:,} places)",
    "agents": "{agents:,.0f} simulated adults",
    "slot_records": "slot records ({open_slots:,} open slots a week x {weeks} weeks)",
    "places": "{places:,} places",
}


def check(cfg: SimConfig, zones: pd.DataFrame, places: pd.DataFrame) -> Estimate:
    """Refuse a run that would simulate nobody or that does not fit in memory (module docstring).

    Args:
        cfg: the run's configuration.
        zones: the territory's zones.
        places: the territory's places.

    Returns:
        The estimate.

    Raises:
        UserError: every zone has population 0.
        ConfigError: ``population.sample_rate`` simulates nobody.
        UserError: the estimate exceeds the limit (the message gives the estimate, its largest term and the
            largest setting that fits).
    """
    sizes = Sizes.of(zones, places)
    if sizes.adults <= 0:
        raise UserError(
            "the territory has no adults: every zone's population is 0; expected adults to simulate"
        )
    counts = np.rint(zones["population"].to_numpy(float) * cfg.population.sample_rate)
    if not np.any(counts >= 1):
        rate = cfg.population.sample_rate
        raise ConfigError(
            "population.sample_rate",
            f"got {rate:g}: none of the {sizes.adults:,.0f} adults would be simulated; "
            f"expected at least {_ceil(0.5 / float(zones['population'].max()))}",
        )
    est = estimate(cfg, sizes)
    limit, how = limit_bytes(cfg)
    if limit is not None and est.total > limit:
        term = est.largest()
        what = _TERM_TEXT[term].format(
            zones=sizes.zones,
            places=sizes.places,
            agents=simulated_adults(cfg, sizes),
            open_slots=sizes.open_slots,
            weeks=cfg.weeks,
        )
        raise UserError(
            f"the run needs about {est.total / GB:.1f} GB of memory ({getattr(est, term) / GB:.1f} GB for {what}), "
            f"more than the limit of {limit / GB:.1f} GB ({how}); the largest setting that fits: "
            f"{_largest_setting(cfg, sizes, est, limit)}"
        )
    return est
