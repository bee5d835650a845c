"""Parsing helpers of scenario entries: each checks one value and raises ConfigError naming its key path."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from simulation.core.errors import ConfigError
from simulation.core.timetable import FULL_WEEK, TimetableError, format_timetable, parse_timetable


def plain(value: Any) -> Any:
    """OmegaConf containers (what Hydra gives) to plain dicts and lists."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def fail(key: str, value: Any, expected: str) -> ConfigError:
    """A ConfigError: ``got <value>, expected <what>`` at ``key``."""
    return ConfigError(key, f"got {value!r}, expected {expected}")


def mapping(value: Any, key: str, allowed: Sequence[str] | None = None, what: str = "a mapping") -> dict:
    """The value as a dict with string keys (among ``allowed`` when given)."""
    if not isinstance(value, Mapping):
        raise fail(key, value, what)
    for k in value:
        if not isinstance(k, str):
            raise fail(key, k, "string keys")
        if allowed is not None and k not in allowed:
            raise ConfigError(f"{key}.{k}", f"unknown key; allowed keys: {', '.join(allowed)}")
    return dict(value)


def string(value: Any, key: str, choices: Sequence[str] | None = None) -> str:
    """A string (among ``choices`` when given)."""
    if not isinstance(value, str):
        raise fail(key, value, "a string" if choices is None else "one of " + ", ".join(choices))
    if choices is not None and value not in choices:
        raise fail(key, value, "one of " + ", ".join(choices))
    return value


def str_list(value: Any, key: str, choices: Sequence[str] | None = None) -> tuple[str, ...]:
    """A non-empty list of strings (a single string is a list of one), each among ``choices`` when given."""
    # A single string is accepted for a one-element list: `origin: post_office` reads naturally in YAML.
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise fail(key, value, "a string or a non-empty list of strings")
    for i, item in enumerate(items):
        string(item, f"{key}[{i}]", choices)
    return tuple(items)


def integer(value: Any, key: str, lo: int = 0) -> int:
    """An integer >= ``lo`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise fail(key, value, f"an integer >= {lo}")
    return value


def _finite(value: Any) -> bool:
    """A real number (not a bool) that a float holds finitely (np.isfinite refuses ints beyond 64 bits)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def number(value: Any, key: str, lo: float = 0.0) -> float:
    """A finite number >= ``lo``, as a float."""
    if not _finite(value) or value < lo:
        raise fail(key, value, f"a number >= {lo}")
    return float(value)


def fraction(value: Any, key: str, open_low: bool = False) -> float:
    """A number in [0, 1] (in (0, 1] when ``open_low``), as a float."""
    expected = "a number in (0, 1]" if open_low else "a number in [0, 1]"
    if not _finite(value):
        raise fail(key, value, expected)
    if not (0 < value <= 1 if open_low else 0 <= value <= 1):
        raise fail(key, value, expected)
    return float(value)


def boolean(value: Any, key: str) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise fail(key, value, "true or false")
    return value


def timetable(value: Any, key: str) -> int:
    """A timetable string (``Mon-Fri AM PM; Sat AM``) or an int mask of the 21 slots."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= FULL_WEEK:
            raise fail(key, value, f"a timetable such as 'Mon-Fri AM PM' or a mask from 0 to {FULL_WEEK}")
        return value
    if not isinstance(value, str):
        raise fail(key, value, "a timetable such as 'Mon-Fri AM PM; Sat AM'")
    try:
        return int(parse_timetable(value))
    except TimetableError as exc:
        raise ConfigError(key, f"malformed timetable {value!r}: {exc}") from None


def fmt(mask: int) -> str:
    """A timetable mask as text (``no slot`` when empty)."""
    return format_timetable(int(mask)) or "no slot"


def permanences(
    value: Any, key: str, provider_ids: Sequence[str] | None, within: int | None
) -> dict[str, int]:
    """``{provider id: timetable}``: known providers, each timetable within ``within`` when given."""
    perms = mapping(value, key, what="a mapping {provider id: timetable}")
    out: dict[str, int] = {}
    for pid, tt in perms.items():
        if pid == "france_services":
            raise ConfigError(f"{key}.{pid}", "the partner network is not a provider: use 'network: true'")
        if provider_ids is not None and pid not in provider_ids:
            raise ConfigError(f"{key}.{pid}", "unknown provider; expected one of " + ", ".join(provider_ids))
        mask = timetable(tt, f"{key}.{pid}")
        if within is not None and mask & ~within:
            raise ConfigError(
                f"{key}.{pid}",
                f"the permanence {fmt(mask)!r} has slots outside opening_mediation {fmt(within)!r}",
            )
        out[pid] = mask
    return out


def required(d: dict, name: str, key: str) -> Any:
    """The entry's value of ``name``; missing or null is an error naming ``key.name``."""
    if name not in d or d[name] is None:
        raise ConfigError(f"{key}.{name}", "missing; this operation requires it")
    return d[name]


def flatten(d: Mapping, key: str, prefix: str = "") -> dict[str, Any]:
    """``{policy: {price_day_eur: 10}}`` and ``{policy.price_day_eur: 10}`` both give the dotted form."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if not isinstance(k, str):
            raise fail(key, k, "string keys")
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
