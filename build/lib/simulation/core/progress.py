"""A progress bar for long runs, shown only when someone is watching."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int, enabled: bool | None = None, desc: str = "") -> tqdm:
    """A tqdm bar over ``total`` steps (the model calls ``update(1)`` per simulated day).

    Args:
        total: number of steps.
        enabled: True shows the bar, False hides it, None shows it only when stderr is a terminal.
        desc: the label before the bar.

    Returns:
        A tqdm object; when disabled, ``update`` and ``close`` do nothing. Use it as a context manager or call
        ``close()`` at the end.
    """
    if enabled is None:
        try:
            enabled = sys.stderr.isatty()
        except (AttributeError, ValueError):  # replaced or closed stream
            enabled = False
    return tqdm(
        total=total,
        desc=desc,
        disable=not enabled,
        file=sys.stderr,
        unit="day",
        leave=False,
        dynamic_ncols=True,
    )
