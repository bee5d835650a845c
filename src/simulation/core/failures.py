"""One line and an exit status for every failure the command reports without a traceback.

:func:`describe` is the one place that decides how an exception raised while running ``lieux`` is reported:

* :class:`~simulation.core.errors.UserError` (bad input): its message, status 2;
* :class:`~simulation.core.errors.MachineError`, ``MemoryError``, an ``OSError`` whose errno says the machine
  failed (disk full, I/O error): one line, status 1;
* any other ``OSError`` (permission denied, a file where a folder is expected...): one line naming the path,
  status 2;
* a YAML error (a scenario or experiment file with a syntax error, a tab, a duplicate key, a ``!!python`` tag):
  the file, line and column, status 2;
* :class:`~simulation.core.errors.Abort` (raised through Hydra's callbacks): its message and status.

Anything else is a bug of the simulator and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from simulation.core.errors import Abort, MachineError, UserError, exit_status, os_error


def one_line(text: str) -> str:
    """The text on one line (its non-blank lines joined by spaces)."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def yaml_message(exc: yaml.YAMLError) -> str:
    """``<file>, line L, column C: not valid YAML: <problem>`` from a PyYAML error.

    The file is the real path (configuration files are reached through the package's symbolic links).
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if mark is None:
        return f"not valid YAML: {one_line(problem)}"
    name = str(mark.name)
    if name and not name.startswith("<"):
        try:
            name = str(Path(name).resolve())
        except OSError:  # pragma: no cover - an unreadable path is still worth naming as given
            pass
    hint = ""
    if "\t" in problem or "'\\t'" in problem:
        hint = " (YAML indents with spaces, not tabs)"
    elif "constructor for the tag" in problem:
        hint = " (tags such as !!python are not allowed)"
    return (
        f"{name}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {one_line(problem)}{hint}"
    )


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit status of a failure reported without a traceback (module docstring).

    Args:
        exc: the exception.

    Returns:
        ``(message, status)``, or None when the exception is not one of those (a bug: keep the traceback).
    """
    if isinstance(exc, UserError | MachineError | Abort):
        return one_line(str(exc)), exit_status(exc)
    if isinstance(exc, MemoryError):
        return "out of memory (lower population.sample_rate or run.max_memory_gb, or use a larger machine)", 1
    if isinstance(exc, yaml.YAMLError):
        return yaml_message(exc), 2
    if isinstance(exc, OSError):
        err = os_error(exc)
        return one_line(str(err)), exit_status(err)
    return None


@contextmanager
def raised_as(kind: type[Abort] = Abort) -> Iterator[None]:
    """Re-raise a failure reported in one line (:func:`describe`) as ``kind``; a bug keeps its traceback.

    Hydra turns an ``Exception`` raised in one of its callbacks into a warning and goes on: the callbacks wrap
    their work in this so that bad input or a failing machine stops the command with its line and status.

    Args:
        kind: the :class:`~simulation.core.errors.Abort` to raise (a subclass names where it was raised).
    """
    try:
        yield
    except Exception as exc:
        described = describe(exc)
        if described is None:
            raise
        raise kind(*described) from None
