"""The parameter table: every key of the schema with its meaning, unit, default, allowed values and source.

Read from the fields' metadata (:func:`simulation.core.config.param`), so that ``docs/ODD.md``'s table
(``scripts/param_table.py``), ``lieux --help`` and the validation all say the same thing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from simulation.core import config as cfgmod

SKIP = {"scenario"}  # config nodes documented elsewhere (the scenario group)


@dataclass(frozen=True)
class Row:
    """One parameter: dotted key, meaning, unit, default (as written in an override), allowed values, source."""

    key: str
    meaning: str
    unit: str
    default: str
    allowed: str
    source: str


def fmt_value(value: Any) -> str:
    """A default as one would write it in a Hydra override or YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    return str(value)


def allowed(meta: dict[str, Any]) -> str:
    """The allowed values of a field, short (``0-1``, ``> 0``, ``integer >= 1``, a list of choices)."""
    if meta.get("choices"):
        return " \\| ".join(meta["choices"])
    lo, hi, integer = meta.get("lo"), meta.get("hi"), meta.get("integer")
    if lo is None and hi is None:
        return "integer" if integer else ""
    text = cfgmod.expected_text(meta).removeprefix("a number ").removeprefix("an integer ")
    return ("integer " if integer else "") + text


def rows() -> list[Row]:
    """Every parameter, in the order of the schema (providers expanded as ``providers[i].field``)."""
    out: list[Row] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            key = f"{prefix}{f.name}"
            if key in SKIP:
                continue
            value = getattr(obj, f.name)
            if is_dataclass(value):
                walk(value, key + ".")
            elif isinstance(value, list) and value and is_dataclass(value[0]):
                for i, item in enumerate(value):
                    walk(item, f"{key}[{i}].")
            else:
                m = dict(f.metadata)
                source = m.get("source", "")
                if prefix.startswith("providers[") and source in ("", "see providers list"):
                    source = "default providers, see note"
                out.append(
                    Row(key, m.get("meaning", ""), m.get("unit", ""), fmt_value(value), allowed(m), source)
                )

    walk(cfgmod.SimConfig(), "")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\\\\|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """The Markdown table of docs/ODD.md, followed by the note on the providers' defaults."""
    lines = ["| key | meaning | unit | default | allowed | source |", "|---|---|---|---|---|---|"]
    for r in rows():
        lines.append(
            f"| `{r.key}` | {_cell(r.meaning)} | {_cell(r.unit)} | `{_cell(r.default)}` | {r.allowed} | "
            f"{_cell(r.source)} |"
        )
    lines.append("")
    lines.append(
        "Note on the default providers (`providers[i]`, from `_default_providers()` in "
        f"`src/simulation/core/config.py`): {cfgmod.DEFAULT_PROVIDERS_NOTE}"
    )
    return "\n".join(lines) + "\n"


HELP_WIDTH = 110  # columns of ``lieux --help`` (wrapped lines are indented under the meaning)
HELP_KEY_WIDTH = 33  # the key column
TYPE_UNITS = {"integer", "choice", "text"}  # units that only restate the type: the allowed values say it


def _help_allowed(meta: dict[str, Any]) -> str:
    """The allowed values in plain text (no Markdown escaping): ``0-1``-style ranges or ``a | b``."""
    if meta.get("choices"):
        return " | ".join(meta["choices"])
    return allowed(meta)


def help_lines(keys: Sequence[str], width: int = HELP_WIDTH) -> list[str]:
    """The keys of ``lieux --help``: per key its meaning, unit, allowed values and default, from the metadata.

    Args:
        keys: dotted keys of the schema (``policy.remote_days_per_week``), in the order to show.
        width: the line width; a long meaning wraps under itself.

    Returns:
        One or more lines per key: ``  <key>  <meaning> [<unit>; <allowed>; default <default>]``.

    Raises:
        KeyError: a key is not in the schema (the help names only real keys).
    """
    by_key = {r.key: r for r in rows()}
    out: list[str] = []
    for key in keys:
        row = by_key.get(key)
        if row is None:
            raise KeyError(f"lieux --help names {key!r}, which is not a key of the configuration schema")
        meta = cfgmod.field_meta(key)
        unit = "" if row.unit in TYPE_UNITS else row.unit
        values = _help_allowed(meta)
        values = "" if values == row.meaning else values  # a choice whose meaning lists its options
        details = [part for part in (unit, values, f"default {row.default}") if part]
        text = f"{row.meaning} [{'; '.join(details)}]"
        out += textwrap.wrap(
            text,
            width=width,
            initial_indent=f"  {key:<{HELP_KEY_WIDTH}} ",
            subsequent_indent=" " * (HELP_KEY_WIDTH + 3),
            break_on_hyphens=False,
        )
    return out


def help_keys(*keys: str) -> str:
    """:func:`help_lines` as one text: the OmegaConf resolver ``lieux_help_keys`` of ``configs/hydra/help``."""
    return "\n".join(help_lines(keys))
