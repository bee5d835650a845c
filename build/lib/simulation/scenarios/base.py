"""The contract of an intervention: a typed, frozen operation that parses its YAML entry and applies itself.

Each operation is a module of :mod:`simulation.scenarios.ops` holding one class registered with
:func:`register` under its ``op`` name. :func:`simulation.scenarios.parse_interventions` looks the ``op`` up in
:data:`OPS`, checks the entry's keys against the class's ``keys``, and calls ``parse``; ``apply_scenario`` calls
``apply`` on each in order. Adding an operation is one new module in ``ops/`` (and its import in
``ops/__init__.py``); nothing else changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from simulation.core.config import SimConfig


@dataclass
class ScenarioState:
    """What the interventions read and change, one after the other.

    Attributes:
        zones: the territory's zones (interventions do not change them).
        places: the places table, replaced or edited by each intervention.
        cfg: the configuration, replaced by ``set``.
        provider_ids: the providers of the run (permanences must name one of them).
        checks: checks to run once every intervention is applied (e.g. the sharing clause is on); each raises
            :class:`~simulation.core.errors.ConfigError` naming the intervention's key.
        context: what else an operation may need, by name (e.g. travel times for siting).
    """

    zones: pd.DataFrame
    places: pd.DataFrame
    cfg: SimConfig
    provider_ids: Sequence[str]
    checks: list[Callable[[ScenarioState], None]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


class Operation(ABC):
    """An intervention. Subclasses are frozen dataclasses with a ``key`` field (where the entry was written)."""

    op: ClassVar[str]  # the ``op`` value in YAML
    keys: ClassVar[tuple[str, ...]]  # the keys its entry may hold (``op`` included)
    key: str

    @classmethod
    @abstractmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> Operation:
        """Check a YAML entry (its keys already checked against ``keys``) and build the operation.

        Raises:
            ConfigError: naming the key path under ``key`` and what was expected.
        """

    @abstractmethod
    def apply(self, state: ScenarioState) -> str:
        """Apply the operation to ``state``; return one log line saying what changed."""


OPS: dict[str, type[Operation]] = {}


def register(cls: type[Operation]) -> type[Operation]:
    """Class decorator: register an operation under its ``op`` name."""
    OPS[cls.op] = cls
    return cls
