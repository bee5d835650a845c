"""The ``lieux`` command: a thin Hydra app around :func:`run_job`.

Usage::

    lieux                                        # the default configuration (configs/config.yaml)
    lieux scenario=mediation_hubs seed=3         # overrides
    lieux -m scenario=baseline,mediation_hubs seed=0,1   # a sweep (one job per combination)
    lieux output.dir=path/to/run                 # choose the run folder (the sweep root with -m)
    lieux experiment=compare_strategies seeds=5  # an experiment: a multirun, then its aggregation
    lieux experiment=compare_strategies resume=results/compare_strategies/<timestamp>   # finish it
    python -m simulation.cli ...                 # the same

Bad input exits with status 2 and one line on stderr, without a traceback:

* errors of the user's input raised by the simulator (:class:`~simulation.core.errors.UserError`: validation of
  the configuration, territory files, scenarios) are caught in the job, reported, and the run folder that
  Hydra prepared is removed (a sweep goes on with its other jobs and exits 2 at the end);
* errors Hydra finds while composing the configuration (an unknown key, a value of the wrong type, an
  unknown scenario or territory, an unparsable override) are raised out of Hydra by setting
  ``HYDRA_FULL_ERROR=1`` for this process, then caught in :func:`main` and rewritten as one line.

Set ``HYDRA_FULL_ERROR=1`` yourself to get the full tracebacks instead.

Experiments (``experiments/<name>.yaml``, :mod:`simulation.experiments`) are registered in Hydra's ConfigStore
as the group ``experiment`` when this module is imported; each job of an experiment runs through
:func:`simulation.experiments.run_experiment_job` (it skips a job whose folder holds a finished run), and the
experiment's Hydra callback aggregates the results folder after the sweep. The exit status of an experiment
is 0 when every job is complete, 2 on bad input, 1 when jobs are missing at the end (resume them).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import hydra
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from simulation import experiments, resources
from simulation.core import failures, params
from simulation.core.config import SimConfig, register_configs, to_config
from simulation.core.errors import Abort, ConfigError, UserError
from simulation.experiments.resume import resume_argv, resume_hint
from simulation.observe import guard
from simulation.observe.console import kpi_table
from simulation.observe.outputs import SUMMARY, restore_previous, summary_dict, write_run
from simulation.observe.plausibility import warning_lines
from simulation.scenarios import check_scenario_file
from simulation.sim import model

PROG = "lieux"
# The configuration: the repository's configs/ folder, a package resource (simulation.resources).
CONFIG_DIR = resources.configs_dir()
CONFIG_PATH = "pkg://simulation.resources.configs"
EXIT_USAGE = 2

log = logging.getLogger(__name__)

register_configs()
# Experiment files: registered now (so that compose() and the launchers' workers see them); a broken file is
# reported by main().
_experiments_error: UserError | None = None
try:
    experiments.register_experiments()
except UserError as _exc:  # pragma: no cover - reported by main()
    _experiments_error = _exc


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None or value == "" else value


# Used by configs/config.yaml so that hydra.run.dir / hydra.sweep.dir follow output.dir when it is set.
if not OmegaConf.has_resolver("or_default"):
    OmegaConf.register_new_resolver("or_default", _or_default)
# Used by configs/hydra/help/lieux.yaml: the main keys' meaning, unit and range, read from the schema's metadata.
if not OmegaConf.has_resolver("lieux_help_keys"):
    OmegaConf.register_new_resolver("lieux_help_keys", params.help_keys)

# Messages and exit statuses of the jobs that failed (a sweep runs its other jobs; main() then exits 2 when
# one had bad input, else 1).
_failures: list[tuple[str, int]] = []
# Whether the user asked for full tracebacks (HYDRA_FULL_ERROR=1 set before main() sets it for itself).
_full_error = False


def quiet_mesa() -> None:
    """Keep Mesa's per-step INFO logging out of the console unless a level was chosen explicitly."""
    for name in ("MESA", "mesa"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def output_folder(cfg: SimConfig) -> Path:
    """The folder of this run.

    ``output.dir`` when set (with ``-m``, it is the sweep root and each job writes to its own sub-folder),
    otherwise Hydra's output folder (``results/runs/<timestamp>`` or ``results/sweeps/<timestamp>/<job>``);
    outside Hydra, a new ``results/runs/<timestamp>`` under the current directory.

    Args:
        cfg: the validated configuration.
    """
    hc = HydraConfig.get() if HydraConfig.initialized() else None
    if cfg.experiment.name and hc is not None and hc.mode == RunMode.MULTIRUN:
        return Path(hc.runtime.output_dir)  # <results folder>/runs/<stable job name>
    if cfg.output.dir:
        if hc is not None and hc.mode == RunMode.MULTIRUN:
            return Path(cfg.output.dir) / str(hc.sweep.subdir)
        return Path(cfg.output.dir)
    if hc is not None:
        return Path(hc.runtime.output_dir)
    return Path("results") / "runs" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")


def _plain(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """Plain containers, so that to_config's merge over the schema rejects keys added with ``+key=value``."""
    if not isinstance(cfg, DictConfig):
        return cfg
    try:
        data = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:
        raise ConfigError(str(getattr(exc, "full_key", None) or "?"), str(exc).splitlines()[0]) from None
    assert isinstance(data, dict)
    return data  # type: ignore[return-value]


def run_job(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """Validate the configuration, run one simulation, write its folder and print its KPI table.

    Args:
        cfg: the composed configuration (Hydra's, or a DictConfig or dict following the schema).

    Returns:
        The summary, as written to ``summary.json``.

    Raises:
        UserError: the configuration or an input file is wrong (nothing is written then).
    """
    quiet_mesa()
    sim_cfg = to_config(_plain(cfg))
    folder = output_folder(sim_cfg)
    hc = HydraConfig.get() if HydraConfig.initialized() else None
    choice = hc.runtime.choices.get("scenario") if hc is not None else None
    check_scenario_file(choice, sim_cfg.scenario)  # an empty file would run as the baseline
    if sim_cfg.experiment.name:
        return experiments.run_experiment_job(sim_cfg, folder, scenario_choice=choice)
    guard.check_run(folder, sim_cfg)  # never where the inputs are; a finished run only with output.overwrite
    try:
        start = time.perf_counter()
        result = model.run(sim_cfg, progress=sim_cfg.output.progress)
        result.summary.setdefault("runtime_s", round(time.perf_counter() - start, 3))
        folder = write_run(result, sim_cfg, folder)
    finally:
        if not HydraConfig.initialized():  # under Hydra, released after the job (_hydra_app) or at exit
            guard.unlock_folder(folder)
    summary = summary_dict(result, sim_cfg)
    print(kpi_table(summary))
    for line in warning_lines(summary):  # the KPIs outside their plausible bands, with the likely cause
        print(f"{PROG}: warning: {line}", file=sys.stderr, flush=True)
    print(f"outputs: {folder}")
    return summary


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _remove_unfinished_hydra_folder() -> None:
    """After a failed job, remove what Hydra put in the job's folder (``.hydra/``, the log), if unfinished.

    Only Hydra's own files are deleted, then the folder if it is left empty: a user's folder is never emptied.
    """
    if not HydraConfig.initialized():
        return
    hc = HydraConfig.get()
    folder = Path(hc.runtime.output_dir)
    if (folder / SUMMARY).exists():
        return
    if hc.output_subdir:
        shutil.rmtree(folder / str(hc.output_subdir), ignore_errors=True)
    log_file = folder / f"{hc.job.name}.log"
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == log_file.absolute():
            handler.close()
    log_file.unlink(missing_ok=True)
    restore_previous(folder)  # a result set aside for output.overwrite=true comes back
    guard.unlock_folder(folder)
    try:
        folder.rmdir()
    except OSError:
        pass


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="config")
def _hydra_app(cfg: DictConfig) -> dict[str, Any] | None:
    try:
        return run_job(cfg)
    except Exception as exc:
        described = failures.describe(exc)  # bad input (2) or a failure of the machine (1); else a bug
        if _full_error or described is None:
            raise
        message, status = described
        hc = HydraConfig.get()
        if hc.mode == RunMode.MULTIRUN:
            message = f"job {hc.job.num} ({' '.join(hc.overrides.task)}): {message}"
        _failures.append((message, status))
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
        _remove_unfinished_hydra_folder()
        return None
    finally:
        guard.unlock_folder(HydraConfig.get().runtime.output_dir)


def _available(group: str) -> list[str]:
    if group == "experiment":
        return experiments.available_experiments()
    folder = CONFIG_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def hydra_error_message(exc: BaseException) -> str:
    """One line saying what is wrong with the command line, from an error of Hydra's composition.

    Args:
        exc: a :class:`hydra.errors.HydraException` or an OmegaConf error raised while composing.
    """
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and "/" in exc.missing_cfg_file:
        group, name = exc.missing_cfg_file.rsplit("/", 1)
        options = _available(group) if group == "experiment" else list(exc.options or []) or _available(group)
        return f"unknown {group} '{name}' ({group}={name}); expected one of: {', '.join(options)}"
    if isinstance(exc, OverrideParseException):
        return f"cannot parse the override '{exc.override}': {_one_line(exc.message)}"
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else None
    if cause is None and isinstance(exc, OmegaConfBaseException):
        cause = exc
    first = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
    if cause is not None:
        key = getattr(cause, "full_key", None)
        reason = str(cause).splitlines()[0].strip()
        if isinstance(cause, ConfigKeyError | ConfigAttributeError):
            node = getattr(cause, "object_type", None)
            keys = [f.name for f in fields(node)] if node is not None and is_dataclass(node) else []
            reason = "no such key" + (f"; expected one of: {', '.join(keys)}" if keys else "")
            return f"config key '{key}': {reason}" if key else f"{first}: {reason}"
        if key:
            return (
                f"config key '{key}': {reason} ({first})"
                if cause is not exc
                else f"config key '{key}': {reason}"
            )
        return f"{first}: {reason}" if cause is not exc else reason
    return _one_line(str(exc))


def _fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``lieux`` console script.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``); Hydra reads them from ``sys.argv``.
    """
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    global _full_error
    _full_error = user_full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    saved_full_error = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let Hydra's composition errors reach us instead of exit(1)
    try:
        _main(user_full_error)
    finally:
        # Put the caller's value back: a test (or script) calling main() in-process must not hand
        # HYDRA_FULL_ERROR=1 to the subprocesses it starts later, which would then print tracebacks.
        if saved_full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved_full_error


def _main(user_full_error: bool) -> None:
    _failures.clear()
    experiments.state.reset()
    try:
        if _experiments_error is not None:
            raise _experiments_error
        if not (CONFIG_DIR / "config.yaml").is_file():
            raise UserError(
                f"configuration folder not found: {CONFIG_DIR / 'config.yaml'}; the installation is "
                "incomplete (reinstall lieux-partages: pip install -e . in a clone, or pip install <wheel>)"
            )
        sys.argv = [sys.argv[0], *resume_argv(sys.argv[1:])]  # resume=<folder>: its recorded overrides first
        try:
            _hydra_app()
        finally:  # an interrupted or failed sweep: end its progress line before any message
            experiments.state.stop_progress()
    except (HydraException, OmegaConfBaseException) as exc:
        if user_full_error:
            raise
        if isinstance(exc.__cause__, yaml.YAMLError):  # a configuration file Hydra could not read
            _fail(failures.yaml_message(exc.__cause__))
        _fail(hydra_error_message(exc))
    except (Exception, Abort) as exc:  # bad input (status 2) or a failure of the machine (status 1)
        described = failures.describe(exc)
        if user_full_error or described is None:
            raise
        _fail(*described)
    except KeyboardInterrupt:
        folder = experiments.state.current_folder
        if folder is not None:
            print(f"{PROG}: interrupted; finish with: {resume_hint(folder)}", file=sys.stderr)
        else:
            print(
                f"{PROG}: interrupted (the run folder has no summary.json: it is unfinished)", file=sys.stderr
            )
        sys.exit(130)
    if _failures:
        sys.exit(EXIT_USAGE if any(status == EXIT_USAGE for _, status in _failures) else 1)
    status = experiments.state.last_status
    if status is not None and status.missing:
        print(f"{PROG}: {status.line}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
