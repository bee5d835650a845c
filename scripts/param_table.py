"""The parameter table of docs/ODD.md, generated from src/simulation/config.py so that the docs cannot drift.

Every field of the configuration dataclasses carries a trailing comment ``# meaning, unit; source``. This
script reads those comments with :mod:`ast` and :mod:`tokenize` (the comment may sit on any line of the
field's statement, e.g. inside a default wrapped by the formatter or after a multi-line ``field(...)``),
walks :class:`simulation.core.config.SimConfig` from the root to build dotted keys (``behaviour.work.b_time``),
takes the defaults from the dataclass instances (``SimConfig()``), expands the default providers of
``_default_providers()`` as rows ``providers[i].field``, and prints a Markdown table (key, meaning, unit,
default, source).

Usage::

    python scripts/param_table.py                    # print the table
    python scripts/param_table.py --check docs/ODD.md  # exit 1 if the table in ODD.md is stale
    python scripts/param_table.py --write docs/ODD.md  # rewrite the table in ODD.md

The table lives in ODD.md between the lines ``<!-- params:start -->`` and ``<!-- params:end -->``.
The ``scenario`` node is left out: a scenario is a config group of its own (``configs/scenario/``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import sys
import tokenize
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PY = ROOT / "src" / "simulation" / "core" / "config.py"
START = "<!-- params:start -->"
END = "<!-- params:end -->"
SKIP = {"scenario"}  # config nodes documented elsewhere (the scenario group)
UNIT_WORDS = 2  # the text after the last comma is a unit only when it has at most this many words

sys.path.insert(0, str(ROOT / "src"))

from simulation.core import config as cfgmod  # noqa: E402


# --------------------------------------------------------------------------------------------------
# Reading the comments of config.py
# --------------------------------------------------------------------------------------------------
def line_comments(source: str) -> dict[int, str]:
    """Line number -> text of the comment on that line (without ``#``), for every comment of the source."""
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def field_comments(source: str) -> dict[str, dict[str, str]]:
    """Class name -> field name -> trailing comment, for every class of the module.

    The comment of a field is every comment on the lines of its statement, joined: a formatter may move it
    inside a wrapped default (``x: float = (\\n 0.5  # meaning, unit; source\\n)``) or after a multi-line
    ``field(...)``.
    """
    comments = line_comments(source)
    tree = ast.parse(source)
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        per: dict[str, str] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                end = stmt.end_lineno or stmt.lineno
                found = [comments[n] for n in range(stmt.lineno, end + 1) if n in comments]
                per[stmt.target.id] = " ".join(found)
        out[node.name] = per
    return out


def function_comment(source: str, name: str) -> str:
    """The comment lines at the start of the body of the module-level function ``name``, joined."""
    comments = line_comments(source)
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = node.body[0].lineno
            lines = [comments[n] for n in range(node.lineno + 1, first) if n in comments]
            return " ".join(lines)
    return ""


def _top_level(text: str, sep: str) -> list[int]:
    """Positions of ``sep`` in ``text`` outside parentheses."""
    depth, out = 0, []
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == sep and depth == 0:
            out.append(i)
    return out


def split_comment(text: str) -> tuple[str, str, str]:
    """``meaning, unit; source`` -> (meaning, unit, source); missing parts are empty.

    Separators inside parentheses do not count. The text after the last comma is taken as the unit only when
    it looks like one (at most two words before any parenthesis, e.g. ``kg CO2/km``, ``1/EUR (value of time
    12 EUR/h)``); otherwise the whole left part is the meaning.
    """
    semis = _top_level(text, ";")
    left, source = (text[: semis[0]], text[semis[0] + 1 :]) if semis else (text, "")
    left, source = left.strip(), source.strip()
    commas = _top_level(left, ",")
    if commas:
        head, tail = left[: commas[-1]].strip(), left[commas[-1] + 1 :].strip()
        core = tail.split("(")[0].strip()
        if head and core and len(core.split()) <= UNIT_WORDS and not core.startswith("e.g."):
            return head, tail, source
    return left, "", source


# --------------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------------
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


def rows() -> list[tuple[str, str, str, str, str]]:
    """(key, meaning, unit, default, source) for every parameter, in the order of the schema."""
    source = CONFIG_PY.read_text(encoding="utf-8")
    comments = field_comments(source)
    out: list[tuple[str, str, str, str, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        cls = type(obj).__name__
        for f in fields(obj):
            key = f"{prefix}{f.name}"
            if key in SKIP:
                continue
            value = getattr(obj, f.name)
            if is_dataclass(value):
                walk(value, key + ".")
            elif key == "providers":
                continue  # expanded below
            else:
                meaning, unit, src = split_comment(comments.get(cls, {}).get(f.name, ""))
                out.append((key, meaning, unit, fmt_value(value), src))

    walk(cfgmod.SimConfig(), "")
    provider_comments = comments.get("ProviderConfig", {})
    for i, prov in enumerate(cfgmod._default_providers()):
        for f in fields(prov):
            meaning, unit, src = split_comment(provider_comments.get(f.name, ""))
            out.append(
                (
                    f"providers[{i}].{f.name}",
                    meaning,
                    unit,
                    fmt_value(getattr(prov, f.name)),
                    src or "default providers, see note",
                )
            )
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The Markdown table, followed by the note on the providers' defaults."""
    lines = ["| key | meaning | unit | default | source |", "|---|---|---|---|---|"]
    for key, meaning, unit, default, src in rows():
        lines.append(f"| `{key}` | {_cell(meaning)} | {_cell(unit)} | `{_cell(default)}` | {_cell(src)} |")
    note = function_comment(CONFIG_PY.read_text(encoding="utf-8"), "_default_providers")
    lines.append("")
    lines.append(
        "Note on the default providers (`providers[i]`, from `_default_providers()` in "
        f"`src/simulation/config.py`): {note}"
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# The block in ODD.md
# --------------------------------------------------------------------------------------------------
def split_doc(text: str, path: Path) -> tuple[str, str, str]:
    """(before the block, the block's content, after the block); raises SystemExit if markers are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start:
        raise SystemExit(f"{path}: markers {START} ... {END} not found (in this order)")
    head = text[: start + len(START)]
    return head, text[start + len(START) : end], text[end:]


def block(content: str) -> str:
    return "\n\n" + content + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--check", metavar="ODD_MD", type=Path, help="exit 1 if the table in this file is stale"
    )
    group.add_argument("--write", metavar="ODD_MD", type=Path, help="rewrite the table in this file")
    args = parser.parse_args(argv)
    generated = table()
    if args.check is None and args.write is None:
        sys.stdout.write(generated)
        return 0
    path: Path = args.check or args.write
    text = path.read_text(encoding="utf-8")
    head, current, tail = split_doc(text, path)
    wanted = block(generated)
    if args.write is not None:
        if current != wanted:
            path.write_text(head + wanted + tail, encoding="utf-8")
            print(f"{path}: parameter table rewritten")
        else:
            print(f"{path}: parameter table already up to date")
        return 0
    if current == wanted:
        print(f"{path}: parameter table up to date")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(),
        wanted.splitlines(),
        f"{path} (in the file)",
        "generated from config.py",
        lineterm="",
    )
    sys.stdout.write("\n".join(diff) + "\n")
    print(
        f"{path}: the parameter table is stale; run: python scripts/param_table.py --write {path}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
