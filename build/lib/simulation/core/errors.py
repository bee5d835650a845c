"""User-facing errors.

Every mistake a user can make (a wrong key, a bad value, a malformed file) raises a subclass of
:class:`UserError`. The CLI turns it into one line on stderr and exit status 2, without a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input, reported without a traceback."""


class ConfigError(UserError):
    """A configuration key has a wrong value or does not exist."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"config key '{key}': {message}")


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
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {message}")
