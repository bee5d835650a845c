"""``close``: remove the selected places before the run. Key: ``select`` (required)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulation.core.errors import ConfigError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import required
from simulation.scenarios.selectors import Selector, count_by_origin, select_places, selector


@register
@dataclass(frozen=True)
class Close(Operation):
    """Remove the selected places before the run."""

    op = "close"
    keys = ("op", "select")

    select: Selector
    key: str = "scenario.interventions[?]"

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> Close:
        """Check a ``close`` entry."""
        return cls(selector(required(entry, "select", key), f"{key}.select"), key)

    def apply(self, state: ScenarioState) -> str:
        """Drop the selected places from the table."""
        idx = select_places(self.select, state.zones, state.places, f"{self.key}.select")
        if idx.empty:
            return "close: the selector matched no place (nothing closed)"
        if len(idx) == len(state.places):
            # The model needs at least one place, but a later add_places or site may open some: what counts is
            # the scenario's end state, checked once every intervention is applied.
            key, n = f"{self.key}.select", len(idx)

            def some_place_left(end: ScenarioState) -> None:
                if end.places.empty:
                    raise ConfigError(
                        key,
                        f"selects every place of the territory ({n}) and no later intervention opens one; "
                        "expected at least one place to remain",
                    )

            state.checks.append(some_place_left)
        msg = f"close: {len(idx)} places removed ({count_by_origin(state.places.loc[idx, 'origin'])})"
        state.places = state.places.drop(index=idx).reset_index(drop=True)
        return msg
