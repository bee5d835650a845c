"""The allocator tuning (simulation.core.allocator): set once on Linux glibc, a no-op elsewhere."""

from __future__ import annotations

import sys

import pytest

from simulation.core import allocator


def test_keep_freed_memory_is_set_on_linux_and_idempotent() -> None:
    first = allocator.keep_freed_memory()
    assert allocator.keep_freed_memory() is first
    if sys.platform.startswith("linux") and "glibc" in " ".join(__import__("platform").libc_ver()):
        assert first is True


def test_keep_freed_memory_does_nothing_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_done", False)
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.keep_freed_memory() is False
