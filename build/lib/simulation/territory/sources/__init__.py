"""Territory sources, registered by kind (``territory.kind``): each builds a :class:`Territory` from its config.

A source is a function ``(territory config, provider ids, territory random stream) -> Territory`` registered
with :func:`register`; :func:`load_territory` dispatches on ``territory.kind``. Adding a source is one module
in this package with one registered function, plus its kind in ``simulation.core.config.TERRITORY_KINDS`` (a
test checks that the two lists agree).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

import numpy as np

from simulation.core.config import TerritoryConfig
from simulation.core.errors import ConfigError
from simulation.territory.tables import Territory

Source = Callable[[TerritoryConfig, Sequence[str], np.random.Generator], Territory]
SOURCES: dict[str, Source] = {}
# The modules that register the built-in sources (imported on first use, so that importing the package is cheap)
BUILT_IN = ("files", "synthetic", "nievre", "france")


def register(kind: str) -> Callable[[Source], Source]:
    """Decorator: register a territory source under ``kind``."""

    def deco(fn: Source) -> Source:
        SOURCES[kind] = fn
        return fn

    return deco


def sources() -> dict[str, Source]:
    """Every registered source, the built-in ones included."""
    for name in BUILT_IN:
        importlib.import_module(f"{__name__}.{name}")
    return SOURCES


def load_territory(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """The territory the configuration names (``tcfg.kind``).

    Args:
        tcfg: the territory configuration.
        provider_ids: the run's provider ids.
        rng: the territory's random stream (used by the sources that draw, e.g. the synthetic territory).

    Raises:
        ConfigError: unknown kind, or a source's own configuration error.
    """
    known = sources()
    if tcfg.kind not in known:
        raise ConfigError("territory.kind", f"got {tcfg.kind!r}, expected one of {', '.join(known)}")
    if tcfg.kind == "files" and (not tcfg.zones or not tcfg.places):
        raise ConfigError("territory.zones" if not tcfg.zones else "territory.places", "a path is required")
    return known[tcfg.kind](tcfg, provider_ids, rng)
