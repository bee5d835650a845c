"""Where a run may write: never where its inputs are, never over a finished result unless asked.

Checked before anything is written (:class:`OutputGuard`, a Hydra callback of ``configs/config.yaml``, runs
before Hydra creates the run folder or the sweep folder; :func:`simulation.cli.run_job` checks again when it is
called from Python):

* the output folder must not hold an input of the run (``territory.zones``, ``territory.places``) nor lie inside
  or around the code tree's ``configs/``, ``data/`` or ``experiments/`` folders (the built-in territories,
  scenarios and experiment files): the outputs (``zones.csv``, ``places.csv``...) would overwrite them;
* it must be a folder (not a file), and writable (checked by writing a temporary file, so that a run does not
  fail at its end after hours of simulation);
* a folder holding a finished run (``summary.json``) is run again only with ``output.overwrite=true``; the old
  result is then moved aside first (:func:`simulation.observe.outputs.set_aside`), so that a run killed midway
  leaves a folder that looks unfinished, not the old results under the new configuration;
* one run at a time writes into a folder: a run takes the folder's lock file (``.lieux.lock``, holding its host
  and process id, :func:`lock_folder`) and refuses a folder locked by a process still running; a lock left by a
  killed process of this host is taken over.

Experiments check their results folder the same way; the experiment's own rules (same configuration to
resume, :mod:`simulation.experiments.fingerprint`) are checked by its callback.
"""

from __future__ import annotations

import atexit
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from simulation import resources
from simulation.core import failures
from simulation.core.atomic import TMP_SUFFIX, _alive, _host, temp_prefix
from simulation.core.config import SimConfig, to_config
from simulation.core.errors import Abort, UserError, os_error
from simulation.observe.outputs import is_finished, set_aside


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(Path(path).expanduser()))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def protected_folders() -> list[Path]:
    """The code tree's folders that no output may go into or around: configs/, data/, experiments/."""
    return [_real(p) for p in (resources.configs_dir(), resources.data_dir(""), resources.experiments_dir())]


def input_files(territory: Any) -> list[tuple[str, Path]]:
    """The user's input files of a run, with the key that names each: ``territory.zones``, ``territory.places``.

    Args:
        territory: the territory configuration (a :class:`~simulation.core.config.TerritoryConfig` or a node).
    """
    out = []
    for key in ("zones", "places"):
        value = getattr(territory, key, None)
        if value:
            out.append((f"territory.{key}", _real(str(value))))
    return out


def check_output_folder(folder: Path | str, territory: Any = None, key: str = "output.dir") -> None:
    """Refuse an output folder that holds an input, lies in the code tree, is a file or cannot be written.

    Args:
        folder: the run folder, or the root of a sweep or experiment.
        territory: the territory configuration (its input files), if any.
        key: the key that chose the folder (named in the message).

    Raises:
        UserError: one line naming the folder and what to do.
    """
    real = _real(folder)
    shown = str(folder)
    for code in protected_folders():
        if _inside(real, code) or _inside(code, real):
            where = "is inside" if _inside(real, code) else "holds"
            raise UserError(
                f"{key}={shown} {where} the code tree's {code.name}/ folder (the built-in configuration and "
                "data): outputs would overwrite or mix with it; choose an output folder elsewhere"
            )
    for name, path in input_files(territory):
        if _inside(path, real):
            raise UserError(
                f"{key}={shown} holds the input file {path} ({name}): the outputs (zones.csv, places.csv...) "
                "would overwrite or mix with it; choose another output folder"
            )
    existing = real
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        what = "is a file" if existing == real else f"is under {existing}, which is a file"
        raise UserError(f"{key}={shown} {what}; expected a folder")
    check_writable(existing, shown, key)


def check_writable(existing: Path, shown: str, key: str = "output.dir") -> None:
    """Write and delete a temporary file in ``existing`` (the folder, or its nearest existing parent).

    Raises:
        UserError: permission denied, read-only file system.
        MachineError: the disk is full.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=temp_prefix("probe"), suffix=TMP_SUFFIX, dir=existing)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise os_error(exc, str(existing), f"cannot write the output folder ({key}={shown})") from None


def check_rerun(folder: Path | str, overwrite: bool) -> None:
    """Refuse a folder holding a finished run, or move its result aside when ``overwrite`` is set.

    Raises:
        UserError: the folder holds a finished run and ``overwrite`` is False.
    """
    folder = Path(folder)
    if not is_finished(folder):
        return
    if not overwrite:
        raise UserError(
            f"{folder} holds a finished run (summary.json); choose another output.dir, or add "
            "output.overwrite=true to replace it"
        )
    set_aside(folder)


LOCK = ".lieux.lock"
_held: set[Path] = set()  # the folders this process has locked


def _owner() -> str:
    return f"{_host()}-{os.getpid()}"


def lock_folder(folder: Path | str) -> Path:
    """Take the lock of a run folder (creating the folder): one run at a time writes into it.

    The lock is the file ``<folder>/.lieux.lock`` holding ``<host>-<pid>``, created exclusively; it is released by
    :func:`unlock_folder` (and at the exit of the process). Taking a lock this process holds does nothing; a lock
    of a process of this host that is gone (``kill -9``) is taken over.

    Raises:
        UserError: another run, still running (or on another host), holds the lock.
    """
    folder = _real(folder)
    if folder in _held:
        return folder / LOCK
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = path.read_text(encoding="utf-8").strip()
            except OSError:  # released meanwhile
                continue
            m = re.fullmatch(r"(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)", owner)
            if m is None or (m["host"] == _host() and not _alive(int(m["pid"]))):
                path.unlink(missing_ok=True)  # left by a killed run (or garbled): take it over
                continue
            raise UserError(
                f"{folder} is being written by another run (process {m['pid']} on {m['host']}, {path}); wait for "
                f"it to end or choose another output.dir (delete {LOCK} if no run is writing there)"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_owner() + "\n")
        if not _held:
            atexit.register(_release_all)
        _held.add(folder)
        return path
    raise UserError(
        f"{folder}: cannot take the lock {path} (it keeps changing); is another run starting there?"
    )


def unlock_folder(folder: Path | str) -> None:
    """Release the lock :func:`lock_folder` took (only if this process holds it)."""
    folder = _real(folder)
    if folder not in _held:
        return
    _held.discard(folder)
    path = folder / LOCK
    try:
        if path.read_text(encoding="utf-8").strip() == _owner():
            path.unlink()
    except OSError:
        pass


def _release_all() -> None:
    for folder in list(_held):
        unlock_folder(folder)


def check_run(folder: Path | str, cfg: SimConfig) -> None:
    """All the checks of a plain run's folder (:func:`check_output_folder`, a finished run refused without
    ``output.overwrite``), then its lock (:func:`lock_folder`), then the old result set aside
    (:func:`check_rerun`)."""
    check_output_folder(folder, cfg.territory)
    if is_finished(folder) and not cfg.output.overwrite:
        check_rerun(folder, False)  # refuses
    lock_folder(folder)
    check_rerun(folder, cfg.output.overwrite)


def finished_jobs(root: Path | str) -> list[str]:
    """The sub-folders of a sweep folder that hold a finished run."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and is_finished(p))


def _sim_config(config: DictConfig) -> SimConfig:
    keys = [k for k in config.keys() if k != "hydra"]
    data = OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)
    return to_config(data)  # type: ignore[arg-type]


class OutputGuard(Callback):
    """Hydra callback: the checks of this module before Hydra creates the run or sweep folder.

    Errors are raised as :class:`~simulation.core.errors.Abort` (Hydra would turn an ``Exception`` into a
    warning); :func:`simulation.cli.main` prints the line and exits 2 (1 for a full disk).
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A plain run: validate the configuration, check its folder, set aside a replaced result."""
        with failures.raised_as(Abort):
            cfg = _sim_config(config)
            check_run(Path(str(config.hydra.run.dir)), cfg)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A sweep or an experiment: check its root folder; a plain sweep also refuses finished jobs."""
        with failures.raised_as(Abort):
            root = Path(str(config.hydra.sweep.dir))
            territory = OmegaConf.select(config, "territory")
            check_output_folder(
                root, territory, "resume" if OmegaConf.select(config, "resume") else "output.dir"
            )
            if not OmegaConf.select(config, "experiment.name") and not OmegaConf.select(
                config, "output.overwrite"
            ):
                done = finished_jobs(root)
                if done:
                    raise UserError(
                        f"{root} holds finished runs ({', '.join(done[:5])}{'...' if len(done) > 5 else ''}); "
                        "choose another output.dir, or add output.overwrite=true to replace them"
                    )
