"""Scenarios: the baseline plus declarative interventions (docs/ODD.md 7.12).

A scenario's ``interventions`` is a list of YAML mappings, each with an ``op`` key naming a registered
operation (:mod:`simulation.scenarios.ops`, one module each: ``convert``, ``open_offhours``, ``add_places``,
``close``, ``set``, ``site``, ``france_services``). :func:`parse_interventions` turns them into typed, frozen
operations, checking every key, type, timetable, activity, provider, origin and zone kind; it raises
:class:`~simulation.core.errors.ConfigError` naming the key path (``scenario.interventions[2].select.origin``) and
what was expected. :func:`apply_scenario` applies them in order to copies of the territory and configuration. Each
operation's module documents its keys; selectors are in :mod:`simulation.scenarios.selectors`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from simulation.core.config import ScenarioConfig, SimConfig
from simulation.core.errors import ConfigError
from simulation.scenarios.base import OPS, Operation, ScenarioState, register
from simulation.scenarios.ops.add_places import AddPlaces
from simulation.scenarios.ops.close import Close
from simulation.scenarios.ops.convert import Convert
from simulation.scenarios.ops.france_services import FranceServices
from simulation.scenarios.ops.offhours import OffhoursActivity, OpenOffhours
from simulation.scenarios.ops.set_values import Set
from simulation.scenarios.ops.site import Site, SiteSolution, SiteSpec, solve_site
from simulation.scenarios.parsing import fail, mapping, plain
from simulation.scenarios.selectors import Selector, ZoneSelector, select_places, select_zones

if TYPE_CHECKING:
    from simulation.territory import Territory

Intervention = Operation

__all__ = [
    "OPS",
    "AddPlaces",
    "Close",
    "Convert",
    "FranceServices",
    "Intervention",
    "OffhoursActivity",
    "OpenOffhours",
    "Operation",
    "ScenarioState",
    "Selector",
    "Set",
    "Site",
    "SiteSolution",
    "SiteSpec",
    "ZoneSelector",
    "apply_scenario",
    "check_scenario_file",
    "initial_state",
    "parse_interventions",
    "register",
    "select_places",
    "select_zones",
    "solve_site",
]


def check_scenario_file(choice: str | None, scenario: ScenarioConfig) -> None:
    """Refuse a scenario file that names no scenario (an empty file would run as the baseline, so labelled).

    Args:
        choice: the scenario file Hydra composed (``scenario=<choice>``), None outside Hydra.
        scenario: the composed scenario.

    Raises:
        ConfigError: the file ``<choice>.yaml`` left the default name ``baseline``.
    """
    if choice is None or choice == scenario.name or scenario.name != ScenarioConfig.name:
        return
    what = "is empty" if not scenario.interventions and not scenario.description else "gives no name"
    raise ConfigError(
        "scenario.name",
        f"the scenario file {choice}.yaml {what}; expected 'name: {choice}', a description and its interventions "
        "(it would run as the baseline, labelled 'baseline')",
    )


def parse_interventions(
    scenario: ScenarioConfig, provider_ids: Sequence[str] | None = None
) -> list[Operation]:
    """Validate the scenario's YAML entries and turn them into typed interventions.

    Args:
        scenario: the scenario configuration (its ``interventions`` are mappings with an ``op`` key).
        provider_ids: the known providers; when given, permanences naming another id are errors.

    Returns:
        One operation per entry, in order.

    Raises:
        ConfigError: naming the key path (``scenario.interventions[2].select.origin``) and what was expected.
    """
    entries = plain(scenario.interventions)
    if entries is None:
        return []
    if not isinstance(entries, list | tuple):
        raise fail("scenario.interventions", entries, "a list of operations")
    out: list[Operation] = []
    for i, raw in enumerate(entries):
        key = f"scenario.interventions[{i}]"
        entry = mapping(plain(raw), key, what="a mapping with an 'op' key (" + ", ".join(sorted(OPS)) + ")")
        op = entry.get("op")
        if op not in OPS:
            raise fail(f"{key}.op", op, "one of " + ", ".join(sorted(OPS)))
        cls = OPS[op]
        mapping(entry, key, cls.keys)
        out.append(cls.parse(entry, key, provider_ids))
    return out


def initial_state(
    territory: Territory,
    cfg: SimConfig,
    provider_ids: Sequence[str],
    context: dict[str, Any] | None = None,
) -> ScenarioState:
    """What the interventions start from: copies of the territory's places and of the configuration.

    Args:
        territory: the baseline territory (not modified).
        cfg: the configuration (not modified).
        provider_ids: the providers' ids.
        context: what else operations may read (``zones``, ``zz``: zone-to-zone travel, for siting).
    """
    places = territory.places.copy(deep=True)
    # A deep copy of a DataFrame does not copy the Python objects in its cells: copy the permanence dicts so
    # that editing them never reaches the caller's territory.
    places["permanences"] = places["permanences"].map(lambda d: dict(d) if isinstance(d, Mapping) else {})
    new_cfg = OmegaConf.to_object(OmegaConf.structured(cfg))  # a deep copy
    assert isinstance(new_cfg, SimConfig)
    return ScenarioState(territory.zones, places, new_cfg, tuple(provider_ids), context=dict(context or {}))


def apply_scenario(
    territory: Territory,
    cfg: SimConfig,
    provider_ids: Sequence[str],
    context: dict[str, Any] | None = None,
) -> tuple[Territory, SimConfig, list[str]]:
    """Apply ``cfg.scenario``'s interventions, in order, to copies of the territory and configuration.

    Args:
        territory: the baseline territory (not modified).
        cfg: the validated configuration (not modified); ``cfg.scenario`` holds the interventions.
        provider_ids: the providers' ids (permanences must name one of them).
        context: what else operations may read (``zones`` and ``zz``: the zones and their zone-to-zone travel
            (:class:`~simulation.sim.travel.TravelMatrices`), which ``site`` uses; computed when missing).

    Returns:
        The new territory (places updated, same zones), the new configuration (after ``set``) and a log, one
        line per intervention, saying what changed (or that a selector matched nothing).

    Raises:
        ConfigError: a malformed intervention, an unknown place or zone id listed explicitly, a ``set`` whose
            result does not validate, or ``open_offhours`` without ``policy.sharing_clause: true``.
    """
    interventions = parse_interventions(cfg.scenario, provider_ids)
    state = initial_state(territory, cfg, provider_ids, context)
    zones = state.zones
    log = [iv.apply(state) for iv in interventions]
    for check in state.checks:
        check(state)
    new_territory = dataclasses.replace(
        territory, zones=zones.copy(deep=True), places=state.places, notes=list(territory.notes)
    )
    return new_territory, state.cfg, log
