"""User-facing errors.

Every mistake a user can make (a wrong key, a bad value, a malformed file) raises a subclass of
:class:`UserError`. The CLI turns it into one line on stderr and exit status 2, without a traceback. A failure of
the machine (a full disk, an I/O error, no memory left) raises :class:`MachineError`: one line too, exit status
1. :func:`os_error` sorts an ``OSError`` into one or the other; :class:`Abort` carries either through Hydra's
callbacks.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """An error caused by the user's input, reported without a traceback."""


def _printable(text: str) -> str:
    """``text`` on one line: control characters (a newline in a key...) shown escaped."""
    return text if text.isprintable() else repr(text)[1:-1]


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


class ConfigError(UserError):
    """A configuration key has a wrong value or does not exist."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"config key '{_printable(str(key))}': {_one_line(message)}")


class InputFileError(UserError):
    """A data file is missing or malformed.

    Args:
        path: the file.
        message: what was expected.
        line: 1-based line number in the file (the header is line 1), if known.
        column: the column name, if known.
    """

    def __init__(self, path: str, message: str, line: int | None = None, column: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        where = _printable(self.path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{_printable(str(column))}'"
        super().__init__(f"{where}: {_one_line(message)}")


class MachineError(Exception):
    """A failure of the machine, not of the input (a full disk, an I/O error, no memory left).

    Reported like a :class:`UserError` (one line, no traceback) but with exit status 1: the same command may
    succeed later or elsewhere.
    """


class Abort(BaseException):
    """A :class:`UserError` or :class:`MachineError` raised where Hydra would swallow an ``Exception``.

    Hydra turns exceptions raised in its callbacks into warnings; this derives from ``BaseException`` so that it
    reaches :func:`simulation.cli.main`, which prints ``message`` and exits with ``status``.

    Args:
        message: the one-line message.
        status: the exit status (2: bad input, 1: a failure of the machine).
    """

    def __init__(self, message: str, status: int = 2) -> None:
        self.status = status
        super().__init__(message)


# errno values that say the machine failed (not the input): retrying later or elsewhere may succeed
MACHINE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EIO", "ENOMEM", "EFBIG", "EMFILE", "ENFILE", "ESTALE")
    if hasattr(errno, name)
)
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "is a folder, expected a file",
    errno.ENOTDIR: "a part of the path is a file, expected a folder",
    errno.EEXIST: "already exists",
}


def os_error(exc: OSError, path: str | None = None, doing: str = "") -> UserError | MachineError:
    """One-line error for an ``OSError``: a :class:`MachineError` when the machine failed (disk full, I/O),
    else a :class:`UserError` (permission, missing file, a file where a folder is expected).

    Args:
        exc: the error.
        path: the file or folder concerned (default: the error's own file name).
        doing: what was being done, e.g. ``"writing the run folder"``.
    """
    where = path or exc.filename or ""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    text = f"{where}: " if where else ""
    text += f"{doing}: {reason}" if doing else reason
    if exc.errno in MACHINE_ERRNOS:
        return MachineError(text)
    return UserError(text)


def exit_status(exc: BaseException) -> int:
    """The exit status of an error reported in one line: 1 for a failure of the machine, else 2."""
    if isinstance(exc, Abort):
        return exc.status
    if isinstance(exc, MachineError | MemoryError):
        return 1
    if isinstance(exc, OSError):
        return 1 if exc.errno in MACHINE_ERRNOS else 2
    return 2
