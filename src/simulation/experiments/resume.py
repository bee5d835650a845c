"""Resuming an experiment from what its results folder recorded.

``lieux resume=<folder>`` alone runs the experiment again with the overrides of its first command (recorded in
``experiment.yaml``: ``overrides`` and ``hydra_overrides``); overrides given with it come after the recorded
ones and replace those of the same key (another launcher, ``hydra/launcher=...``, replaces the recorded launcher
and its settings; a launcher setting alone replaces only that setting). :func:`resume_argv` rewrites the
command line before Hydra reads it; :func:`resume_hint` is the command printed after an interruption, from the
same record.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from simulation.core.errors import UserError
from simulation.experiments.folders import EXPERIMENT_FILE, read_experiment_file

_FLAGS_WITH_VALUE = {"-cn", "--config-name", "-cp", "--config-path", "-cd", "--config-dir", "--info", "-i"}


def override_key(override: str) -> str | None:
    """The key an override sets (``weeks=4`` -> ``weeks``, ``++a.b=1`` -> ``a.b``), None for a flag."""
    if override.startswith("-") or "=" not in override:
        return None
    return override.split("=", 1)[0].lstrip("~+")


def resume_folder(argv: list[str]) -> str | None:
    """The ``resume=<folder>`` of a command line (the last one), None when there is none."""
    found = None
    for arg in argv:
        if override_key(arg) == "resume":
            found = arg.split("=", 1)[1]
    return found or None


def _launcher(key: str) -> bool:
    return key.startswith(("hydra/launcher", "hydra.launcher"))


def resume_argv(argv: list[str]) -> list[str]:
    """The command line to run: the folder's recorded overrides, then ``argv`` (its keys win).

    Args:
        argv: the arguments of ``lieux`` (without the program name).

    Returns:
        ``argv`` itself when it has no ``resume=``; otherwise the recorded overrides first.

    Raises:
        UserError: the folder does not exist or is not the results folder of an experiment.
    """
    folder = resume_folder(argv)
    if folder is None:
        return list(argv)
    path = Path(folder)
    if not path.is_dir():
        raise UserError(f"resume={folder}: folder not found; expected the results folder of an experiment")
    if not (path / EXPERIMENT_FILE).is_file():
        raise UserError(
            f"resume={folder}: the folder has no {EXPERIMENT_FILE}; it is not the results folder of an "
            "experiment (nothing to resume)"
        )
    record = read_experiment_file(path)
    given = {k for k in (override_key(a) for a in argv) if k is not None}
    # another launcher replaces the recorded one and its settings; a setting alone (hydra.launcher.n_jobs=4)
    # replaces only that setting of the recorded launcher
    launcher_given = "hydra/launcher" in given
    recorded = [str(o) for o in record.get("overrides", []) or []]
    name = (record.get("experiment") or {}).get("name")
    if name and not any(override_key(o) == "experiment" for o in recorded):
        recorded.insert(0, f"experiment={name}")  # folders recorded before the overrides kept it
    replay = [o for o in recorded if override_key(o) not in given]
    for o in [str(o) for o in record.get("hydra_overrides", []) or []]:
        key = override_key(o)
        if key is not None and key not in given and not (launcher_given and _launcher(key)):
            replay.append(o)
    return replay + list(argv)


def resume_hint(folder: Path | str) -> str:
    """The command that finishes an interrupted experiment: the recorded one with ``resume=<folder>``.

    Falls back to ``lieux resume=<folder>`` (which replays the record) when the folder recorded nothing.
    """
    record = read_experiment_file(folder) if Path(folder, EXPERIMENT_FILE).is_file() else {}
    words = [str(o) for o in record.get("overrides", []) or []] + [
        str(o) for o in record.get("hydra_overrides", []) or []
    ]
    words = [w for w in words if override_key(w) != "resume"]
    short = f"lieux resume={shlex.quote(str(folder))}"
    if not words:
        return short
    full = " ".join(["lieux", *(shlex.quote(w) for w in words), f"resume={shlex.quote(str(folder))}"])
    return f"{full} (or, the same: {short})"
