"""Atomic files and folders: a reader never sees half a file, a killed writer leaves nothing that looks finished.

A file is written to a hidden temporary sibling, then renamed over its target (``os.replace``: atomic on one file
system). A folder of outputs is written into a hidden temporary folder first (:func:`temp_folder`).

Temporary names carry the host and the process id of their writer (``.<name>.<host>-<pid>.<random>.tmp``), so
that :func:`clean_stale` can remove those left by a killed process (``kill -9``, a lost node) on the next write,
without touching those of a process still running (on this host; a temporary of another host sharing the file
system is left alone).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TMP_SUFFIX = ".tmp"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname() or "host")


def _tag() -> str:
    """``<host>-<pid>``: who writes a temporary file or folder."""
    return f"{_host()}-{os.getpid()}"


def temp_prefix(name: str) -> str:
    """The prefix of this process's temporary siblings of ``name`` (``.<name>.<host>-<pid>.``)."""
    return f".{name}.{_tag()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)\.[^./]+\.tmp$")
# the temporary folders of earlier versions (tempfile.mkdtemp: 8 random characters, no writer's tag)
_LEGACY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


def is_stale(entry: Path, name: str | None = None) -> bool:
    """Whether ``entry`` is a temporary file or folder left by a dead writer (of ``name``, if given).

    A temporary of this host whose process is gone is stale; so is one of the older, untagged form.
    """
    m = _TEMP.match(entry.name)
    if m is not None:
        if name is not None and m["name"] != name:
            return False
        return m["host"] == _host() and not _alive(int(m["pid"]))
    m = _LEGACY.match(entry.name)
    return m is not None and (name is None or m["name"] == name)


def clean_stale(folder: Path | str, name: str | None = None) -> list[Path]:
    """Remove the stale temporaries (:func:`is_stale`) directly in ``folder``; return what was removed.

    Args:
        folder: where to look (a missing folder has none).
        name: only the temporaries of this target name (default: all).
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX) and is_stale(entry, name):
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink(missing_ok=True)
            except OSError:  # a read-only parent, another user's file: left, it harms nothing
                continue
            removed.append(entry)
    return removed


def temp_folder(target: Path | str, inside: bool = False) -> Path:
    """Create a hidden temporary folder for the outputs of ``target`` and return it.

    Args:
        target: the folder being written.
        inside: create it inside ``target`` (which must exist) rather than beside it; used when ``target``
            exists, so that a writable folder under a read-only parent can be written.
    """
    target = Path(target)
    where = target if inside else target.parent
    return Path(tempfile.mkdtemp(prefix=temp_prefix(target.name), suffix=TMP_SUFFIX, dir=where))


def write_atomic(path: Path | str, write: Callable[[Path], Any]) -> Path:
    """Write ``path`` atomically: ``write(tmp)`` writes a hidden temporary sibling, renamed over ``path``.

    Args:
        path: the target file.
        write: writes the file it is given (e.g. ``lambda p: df.to_csv(p, index=False)``).

    Returns:
        ``path``.
    """
    path = Path(path)
    clean_stale(path.parent, path.name)
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write a UTF-8 text file atomically (:func:`write_atomic`)."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
