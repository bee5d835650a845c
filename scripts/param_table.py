"""The parameter table of docs/ODD.md, generated from the configuration schema so that the docs cannot drift.

Every field of the configuration dataclasses carries its meaning, unit, source and allowed values in its metadata
(``simulation.core.config.param``); :mod:`simulation.core.params` builds the Markdown table (key, meaning, unit,
default, allowed, source), with the default providers expanded as rows ``providers[i].field``.

Usage::

    python scripts/param_table.py                    # print the table
    python scripts/param_table.py --check docs/ODD.md  # exit 1 if the table in ODD.md is stale
    python scripts/param_table.py --write docs/ODD.md  # rewrite the table in ODD.md

The table lives in ODD.md between the lines ``<!-- params:start -->`` and ``<!-- params:end -->``.
The ``scenario`` node is left out: a scenario is a config group of its own (``configs/scenario/``).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from simulation.core.params import markdown_table as table

START = "<!-- params:start -->"
END = "<!-- params:end -->"


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
