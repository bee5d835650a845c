"""Territory source ``nievre``: the Nièvre (58), the default territory.

An alias of ``territory=france territory.departements=[58] territory.france_services=2020``: its 309 communes,
the 19 France Services of 2020 with their real hours, the real La Poste points and the other places by rule,
from the committed national extract (``data/france/``, see its ``SOURCES.md``). The behavioural defaults are
calibrated on it (docs/ODD.md 9).

The same territory is committed as ``zones.csv`` and ``places.csv`` in ``data/nievre/`` (written by
``scripts/build_nievre.py``), an example of the ``territory=files`` format that reads back to these zones and
places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from simulation.core.config import TerritoryConfig
from simulation.territory.sources import register
from simulation.territory.sources.france import load_france
from simulation.territory.tables import Territory

DEPARTEMENT = "58"
FRANCE_SERVICES_YEAR = 2020


def load_nievre(
    provider_ids: Sequence[str],
    car_share: Mapping[str, float] | None = None,
    fs_counters: Mapping[str, float] | None = None,
) -> Territory:
    """The Nièvre: ``load_france(departements=[58], france_services_year=2020)``, named ``nievre``.

    Args:
        provider_ids: the run's providers (offices and permanences are made for these only).
        car_share: car ownership by zone kind (default: ``territory.car_share``'s defaults).
        fs_counters: counters of a France Services site by zone kind (default: ``territory.fs_counters``'s).
    """
    return load_france(
        departements=[DEPARTEMENT],
        france_services_year=FRANCE_SERVICES_YEAR,
        provider_ids=provider_ids,
        car_share=car_share,
        name="nievre",
        fs_counters=fs_counters,
    )


@register("nievre")
def _from_config(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """``territory=nievre``: the alias of the national build for departement 58 with the 2020 list."""
    return load_nievre(provider_ids, car_share=tcfg.car_share, fs_counters=tcfg.fs_counters)
