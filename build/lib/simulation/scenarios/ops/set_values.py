"""``set``: configuration values. Key: ``values``: {dotted key: value} (or nested mappings) under ``policy.``,
``economics.`` or ``behaviour.``; the resulting configuration is re-validated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import OmegaConf

from simulation.core.config import SimConfig, validate
from simulation.core.errors import ConfigError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.parsing import fail, flatten, mapping, required

SET_PREFIXES = ("policy.", "economics.", "behaviour.")


@register
@dataclass(frozen=True)
class Set(Operation):
    """Policy values applied to the configuration: {dotted key: value}."""

    op = "set"
    keys = ("op", "values")

    values: dict[str, Any]
    key: str = "scenario.interventions[?]"

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> Set:
        """Check a ``set`` entry: every key exists under the allowed prefixes and its value has the right type."""
        vkey = f"{key}.values"
        raw = mapping(required(entry, "values", key), vkey, what="a mapping {dotted.key: value}")
        values = flatten(raw, vkey)
        if not values:
            raise fail(vkey, raw, "at least one key")
        probe = OmegaConf.structured(SimConfig)
        for k, v in values.items():
            if not k.startswith(SET_PREFIXES):
                raise ConfigError(
                    f"{vkey}.{k}", "a scenario may only set keys under " + ", ".join(SET_PREFIXES)
                )
            # Check the key exists and the value has the right type on the schema (unknown keys raise there).
            try:
                OmegaConf.update(probe, k, v, merge=True)
            except Exception as exc:  # omegaconf's errors: report the first line with our key path
                raise ConfigError(f"{vkey}.{k}", str(exc).splitlines()[0]) from None
        return cls(values, key)

    def apply(self, state: ScenarioState) -> str:
        """Set the values on a copy of the configuration and re-validate it."""
        cfg = state.cfg
        merged = OmegaConf.structured(cfg)
        vkey = f"{self.key}.values"
        for k, v in self.values.items():
            try:
                OmegaConf.update(merged, k, v, merge=True)
            except Exception as exc:  # already checked at parse time; kept for configs built by hand
                raise ConfigError(f"{vkey}.{k}", str(exc).splitlines()[0]) from None
        new = OmegaConf.to_object(merged)
        assert isinstance(new, SimConfig)
        try:
            validate(new)
        except ConfigError as exc:
            raise ConfigError(f"{vkey}.{exc.key}", str(exc).split(": ", 1)[-1]) from None
        changes = ", ".join(
            f"{k} = {v!r} (was {OmegaConf.select(OmegaConf.structured(cfg), k)!r})"
            for k, v in self.values.items()
        )
        state.cfg = new
        return f"set: {changes}"
