"""The sweep of an experiment: experiment files, their Hydra multirun, job folders, seeds, one job, the callback.

An experiment is a file ``experiments/<name>.yaml`` holding an ``experiment:`` section
(:class:`~simulation.core.config.ExperimentConfig`), ``seeds`` and any model key (``weeks``, ``population...``).
:func:`register_experiments` stores each file in Hydra's ConfigStore as option ``<name>`` of the group
``experiment`` (package ``_global_``), with the Hydra settings that turn the command ``lieux experiment=<name>``
into a multirun:

* ``hydra.mode: MULTIRUN`` and ``hydra.sweeper.params``: ``experiment.replicate=range(0,<seeds>)``, ``scenario``
  over ``experiment.scenarios``, one dimension per ``experiment.grid`` key, and ``experiment.sample=range(0,n)``
  for ``method: morris`` (``n`` from :func:`simulation.experiments.screening.n_samples`). The values are
  interpolations resolved from the composed configuration, so ``seeds=N`` or ``experiment.scenarios=[...]`` on
  the command line change the sweep.
* ``hydra.sweep.dir``: the ``resume`` folder, else ``output.dir``, else ``results/<name>/<timestamp>``;
  ``hydra.sweep.subdir``: ``runs/<scenario>_r<replicate>[_<key>=<value>...][_s<sample>]``
  (:func:`simulation.experiments.folders.job_dirname`), a name that does not depend on the job number, so that a
  resumed sweep finds its finished jobs again.
* ``hydra.callbacks``: :class:`ExperimentCallback`, whose ``on_multirun_end`` aggregates in the driver process
  whatever the launcher (basic, joblib, Ray, Submitit).

The launcher is never chosen here: it belongs to the primary config or the command line
(``hydra/launcher=joblib hydra.launcher.n_jobs=2``).

Progress: the callback starts a :class:`JobWatch` in the driver, which counts the jobs' ``summary.json`` and shows
``N of M jobs done, ~T left`` on one line (:class:`~simulation.core.progress.JobsProgress`); the launchers' per-job
log lines and the jobs' own lines are quiet unless ``output.job_lines=true``.

Seeds (common random numbers). With ``pairing: paired`` the job of replicate ``r`` runs with ``seed = r`` for
every scenario, so each scenario faces the same residents, needs and draws, and differences are taken seed by
seed. With ``pairing: independent`` it runs with ``seed = r + 1000 x i`` where ``i`` is the scenario's index in
``experiment.scenarios`` (:data:`INDEPENDENT_SEED_STRIDE`): no two scenarios share a seed (for fewer than 1000
replicates), and differences are compared with Welch's interval. The ``seed`` key itself is ignored by
experiments.

This is the only module of :mod:`simulation.experiments` that runs the model (:func:`run_experiment_job`, which
imports it when a job runs). Aggregation is :func:`simulation.experiments.aggregation.aggregate`.
"""

from __future__ import annotations

import logging
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from simulation import resources
from simulation.core import failures
from simulation.core.config import ExperimentConfig, SimConfig, to_config
from simulation.core.errors import Abort, ConfigError, InputFileError, UserError
from simulation.core.progress import JobsProgress
from simulation.experiments import fingerprint, screening
from simulation.experiments.aggregation import SweepStatus, aggregate
from simulation.experiments.folders import (
    EXPERIMENT_FILE,
    RUNS,
    expected_jobs,
    job_dirname,
    n_morris_samples,
    override_value,
    read_experiment_file,
    read_summary,
    scenario_list,
    select,
    update_experiment_file,
)
from simulation.observe import guard
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import SUMMARY, is_finished

# The repository's experiments/ folder (the package is installed editable from a clone:
# src/simulation/experiments/sweep.py).
EXPERIMENTS_DIR = resources.experiments_dir()
INDEPENDENT_SEED_STRIDE = 1000  # pairing independent: seed = replicate + stride x (index of the scenario)


class ExperimentAbort(Abort):
    """Stops a sweep before any job runs (bad experiment set-up), or its aggregation (a full disk...).

    Hydra turns exceptions raised in callbacks into warnings; this one derives from BaseException
    (:class:`~simulation.core.errors.Abort`) so that it reaches :func:`simulation.cli.main`, which prints its
    message and exits with its status (2: bad input, 1: a failure of the machine).
    """


@dataclass
class SweepState:
    """The state of the last sweep of this process, read by :func:`simulation.cli.main` (exit status, messages).

    Attributes:
        last_status: what the last aggregation found (None before it ends).
        current_folder: the results folder of the sweep under way (for the resume hint after Ctrl-C).
        current_name: the experiment's name.
        watch: the progress line of the sweep under way.
        quieted: the launchers' loggers made quiet, with their former levels.
    """

    last_status: SweepStatus | None = None
    current_folder: Path | None = None
    current_name: str = ""
    watch: JobWatch | None = None
    quieted: dict[str, int] = dc_field(default_factory=dict)

    def reset(self) -> None:
        """Forget the last sweep (a new command starts)."""
        self.stop_progress()
        self.last_status = self.current_folder = None
        self.current_name = ""

    def stop_progress(self) -> None:
        """End the progress line and give the launchers' loggers their levels back (idempotent)."""
        if self.watch is not None:
            self.watch.stop()
            self.watch = None
        for name, level in self.quieted.items():
            logging.getLogger(name).setLevel(level)
        self.quieted.clear()


# The loggers of Hydra's launchers: they log one INFO line per job ("[HYDRA] #N : overrides"), which the
# progress line replaces unless output.job_lines=true. A parent logger's level covers its modules.
LAUNCHER_LOGGERS = (
    "hydra._internal.core_plugins.basic_launcher",
    "hydra_plugins.hydra_joblib_launcher",
    "hydra_plugins.hydra_ray_launcher",
    "hydra_plugins.hydra_submitit_launcher",
)
WATCH_INTERVAL_S = 0.5  # how often the driver counts the finished jobs


class JobWatch:
    """Counts the finished jobs of a sweep from its folder and shows them on a :class:`JobsProgress` line.

    Jobs may run in other processes (joblib, Ray) or machines (Submitit) whose callbacks never reach the driver,
    but every finished job leaves its ``summary.json`` (written last, atomically) in its folder under ``runs/``,
    so a thread of the driver counts those, whatever the launcher.

    Args:
        folder: the results folder.
        names: the job folders of the sweep (:func:`~simulation.experiments.folders.expected_jobs`).
        progress: the line to update.
        interval: seconds between two counts.
    """

    def __init__(
        self, folder: Path, names: Sequence[str], progress: JobsProgress, interval: float = WATCH_INTERVAL_S
    ) -> None:
        self.folders = [Path(folder) / RUNS / n for n in names]
        self.progress, self.interval = progress, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lieux-progress", daemon=True)

    def count(self) -> int:
        """The finished jobs now."""
        return sum(is_finished(f) for f in self.folders)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.progress.update(self.count())

    def start(self) -> JobWatch:
        """Start counting in a daemon thread (it never keeps the process alive)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Count once more, end the line and stop the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.progress.update(self.count())
        self.progress.close()


state = SweepState()


# --------------------------------------------------------------------------------------------------
# Experiment files and their registration in Hydra's ConfigStore
# --------------------------------------------------------------------------------------------------
def available_experiments(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """The experiment names (file stems of ``folder/*.yaml``), sorted."""
    return sorted(p.stem for p in Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []


def load_experiment_file(path: Path) -> dict[str, Any]:
    """Read an experiment file; ``experiment.name`` defaults to the file's stem.

    Raises:
        UserError: the file is not a YAML mapping.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiment", {}), dict):
        raise UserError(f"{path}: expected a mapping with an 'experiment:' section")
    if "hydra" in data:
        raise UserError(
            f"{path}: an experiment file cannot set 'hydra' (choose the launcher on the command line)"
        )
    data.setdefault("experiment", {})
    data["experiment"].setdefault("name", path.stem)
    return data


def experiment_node(data: dict[str, Any]) -> dict[str, Any]:
    """The ConfigStore node of an experiment: the file's content plus the Hydra settings of its multirun.

    Args:
        data: the experiment file's content (:func:`load_experiment_file`).
    """
    grid = data.get("experiment", {}).get("grid", {}) or {}
    params: dict[str, str] = {
        "experiment.replicate": "range(0,${seeds})",
        "scenario": "${lieux_sweep_scenarios:}",
    }
    for key in grid:
        params[key] = "${lieux_sweep_grid:'" + str(key) + "'}"
    params["experiment.sample"] = "${lieux_sweep_samples:}"
    hydra_part = {
        "mode": "MULTIRUN",
        "sweep": {
            "dir": "${or_default:${resume},${or_default:${output.dir},"
            "'results/${experiment.name}/${now:%Y-%m-%d_%H-%M-%S_%f}'}}",
            "subdir": RUNS + "/${lieux_job_dir:}",
        },
        "sweeper": {"params": params},
        "callbacks": {"lieux_experiment": {"_target_": "simulation.experiments.sweep.ExperimentCallback"}},
    }
    node = dict(data)
    node.setdefault("output", {})
    node["output"] = {"progress": False, **(node["output"] or {})}  # one line per job instead of bars
    node["hydra"] = hydra_part
    return node


def register_experiments(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """Store every ``folder/*.yaml`` in Hydra's ConfigStore as group ``experiment``, package ``_global_``.

    Returns:
        The names registered.
    """
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    names = available_experiments(folder)
    for name in names:
        node = experiment_node(load_experiment_file(Path(folder) / f"{name}.yaml"))
        cs.store(group="experiment", name=name, node=node, package="_global_")
    return names


# --------------------------------------------------------------------------------------------------
# Sweep dimensions and job folders (OmegaConf resolvers used by the nodes above)
# --------------------------------------------------------------------------------------------------
def _sweep_scenarios(*, _root_: DictConfig) -> str:
    scenarios = list(OmegaConf.select(_root_, "experiment.scenarios") or [])
    if not scenarios:
        return str(OmegaConf.select(_root_, "hydra.runtime.choices.scenario") or _root_.scenario.name)
    return ",".join(str(s) for s in scenarios)


def _sweep_grid(key: str, *, _root_: DictConfig) -> str:
    values = OmegaConf.select(_root_, "experiment.grid")[key]
    if not OmegaConf.is_list(values) and not isinstance(values, list | tuple):
        values = [values]
    return ",".join(override_value(v) for v in values)


def _sweep_samples(*, _root_: DictConfig) -> str:
    if OmegaConf.select(_root_, "experiment.method") != "morris":
        return "-1"
    return f"range(0,{n_morris_samples(_experiment_from(_root_))})"


def _job_dir(*, _root_: DictConfig) -> str:
    exp = _root_.experiment
    grid = {str(k): OmegaConf.select(_root_, str(k)) for k in (exp.grid or {})}
    return job_dirname(str(_root_.scenario.name), int(exp.replicate), int(exp.sample), grid)


def register_resolvers() -> None:
    """Register the resolvers of the experiment nodes (idempotent)."""
    for name, fn in (
        ("lieux_sweep_scenarios", _sweep_scenarios),
        ("lieux_sweep_grid", _sweep_grid),
        ("lieux_sweep_samples", _sweep_samples),
        ("lieux_job_dir", _job_dir),
    ):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)


register_resolvers()


def _experiment_from(node: DictConfig) -> ExperimentConfig:
    data = OmegaConf.to_container(node.experiment, resolve=True)
    merged = OmegaConf.merge(OmegaConf.structured(ExperimentConfig), data)
    obj = OmegaConf.to_object(merged)
    assert isinstance(obj, ExperimentConfig)
    return obj


def check_setup(cfg: SimConfig) -> None:
    """Check what only makes sense for a whole experiment (the schema checks the rest).

    Raises:
        ConfigError: no scenario other than the baseline (without a grid), baseline not compared, unknown KPI,
            a grid value the key does not allow, Morris without parameters or with several scenarios.
    """
    exp = cfg.experiment
    scenarios = scenario_list(cfg)
    if len(set(scenarios)) != len(scenarios):
        raise ConfigError("experiment.scenarios", f"got {scenarios}, expected distinct scenario names")
    unknown = [k for k in exp.kpis if k not in KPI_NAMES]
    if unknown:
        raise ConfigError("experiment.kpis", f"got {unknown}, expected KPIs among {', '.join(KPI_NAMES)}")
    check_grid(cfg)
    if exp.method == "compare":
        if exp.grid and len(scenarios) == 1:
            return  # a plain parameter sweep of one scenario: reported as a response, no comparison
        if len(scenarios) < 2:
            raise ConfigError(
                "experiment.scenarios",
                f"got {scenarios}, expected the baseline and another (or one scenario with an experiment.grid)",
            )
        if exp.baseline not in scenarios:
            raise ConfigError("experiment.baseline", f"got {exp.baseline!r}, expected one of {scenarios}")
    else:
        if not exp.parameters:
            raise ConfigError(
                "experiment.parameters", "got none, expected {dotted.key: [low, high]} (morris)"
            )
        if len(scenarios) != 1:
            raise ConfigError("experiment.scenarios", f"got {scenarios}, expected one scenario (morris)")


def check_grid(cfg: SimConfig) -> None:
    """Validate every value of ``experiment.grid`` as its key, before any job runs.

    Each value goes through the schema's validation (:func:`~simulation.core.config.to_config`) as the job would
    run it, so a wrong value stops the sweep at once, naming the key and its allowed range, instead of failing
    job by job (and a resume could only fail again).

    Raises:
        ConfigError: a key is not a configuration key, its values are not a non-empty list, or a value is
            outside what the key allows.
    """
    for key, values in cfg.experiment.grid.items():
        if not isinstance(values, list | tuple) or not values:
            raise ConfigError(
                f"experiment.grid.{key}", f"got {values!r}, expected a non-empty list of values"
            )
        for value in values:
            try:
                to_config(cfg, **{str(key): value})
            except ConfigError as exc:  # the key's own message, said to come from the grid
                reason = str(exc).split(": ", 1)[-1]
                raise ConfigError(exc.key, f"{reason} (in experiment.grid)") from None


# --------------------------------------------------------------------------------------------------
# One job
# --------------------------------------------------------------------------------------------------
def effective_seed(exp: ExperimentConfig, scenario: str, replicate: int) -> int:
    """The seed a job runs with (see the module docstring: common random numbers).

    Args:
        exp: the experiment section.
        scenario: the job's scenario.
        replicate: the job's replicate (0-based).

    Returns:
        ``replicate`` when paired; ``replicate + 1000 x (index of the scenario)`` when independent.
    """
    if exp.pairing == "paired":
        return int(replicate)
    scenarios = list(exp.scenarios) or [scenario]
    if scenario not in scenarios:
        raise ConfigError("experiment.scenarios", f"scenario {scenario!r} is not one of {scenarios}")
    return int(replicate) + INDEPENDENT_SEED_STRIDE * scenarios.index(scenario)


def job_config(cfg: SimConfig) -> SimConfig:
    """The configuration a job runs: its effective seed and, for Morris, its sample point (re-validated)."""
    exp = cfg.experiment
    overrides: dict[str, Any] = {"seed": effective_seed(exp, cfg.scenario.name, exp.replicate)}
    if exp.method == "morris":
        if exp.sample < 0:
            raise ConfigError("experiment.sample", f"got {exp.sample}, expected a Morris sample index >= 0")
        overrides.update(screening.sample_overrides(exp, exp.sample))
    return to_config(cfg, **overrides)


def run_experiment_job(
    cfg: SimConfig, folder: Path | str, scenario_choice: str | None = None
) -> dict[str, Any]:
    """Run one job of an experiment into ``folder``, unless the folder already holds a finished run.

    Args:
        cfg: the job's validated configuration (with ``experiment.replicate`` / ``experiment.sample`` set).
        folder: the job's folder (``<results>/runs/<job dir>``).
        scenario_choice: the scenario option Hydra composed (checked against ``scenario.name``).

    Returns:
        The job's summary (read back from ``summary.json`` when skipped).
    """
    from simulation import model
    from simulation.observe.outputs import summary_dict, write_run

    folder = Path(folder)
    label = f"{folder.parent.name}/{folder.name}"
    if is_finished(folder):
        summary = read_summary(folder)
        if summary is None:
            raise InputFileError(
                str(folder / SUMMARY),
                f"unreadable (not the JSON object lieux writes); delete the folder {folder} to run this job again",
            )
        if cfg.output.job_lines:
            print(f"{label}: complete, skipped", flush=True)
        return summary
    if scenario_choice is not None and scenario_choice != cfg.scenario.name:
        raise ConfigError(
            "scenario.name",
            f"the scenario file {scenario_choice}.yaml is named {cfg.scenario.name!r}; experiments identify "
            "scenarios by name, so it must be named after its file",
        )
    job_cfg = job_config(cfg)
    start = time.perf_counter()
    result = model.run(job_cfg, progress=job_cfg.output.progress)
    result.summary.setdefault("runtime_s", round(time.perf_counter() - start, 3))
    write_run(result, job_cfg, folder)
    summary = summary_dict(result, job_cfg)
    if job_cfg.output.job_lines:  # otherwise the driver's progress line counts it (JobWatch)
        print(
            f"{label}: done (seed {job_cfg.seed}, {time.perf_counter() - start:.1f} s, "
            f"person_km_total {summary.get('person_km_total', float('nan')):,.0f})",
            flush=True,
        )
    return summary


# --------------------------------------------------------------------------------------------------
# The Hydra callback and the record of the set-up
# --------------------------------------------------------------------------------------------------
def write_experiment_file(
    folder: Path | str,
    cfg: SimConfig,
    command: str,
    overrides: Sequence[str],
    hydra_overrides: Sequence[str] = (),
) -> Path:
    """Write (or, on resume, extend) ``experiment.yaml``: the resolved experiment, its set-up and the command.

    Args:
        folder: the results folder.
        cfg: the experiment's validated configuration.
        command: the command line.
        overrides: the command line's overrides (recorded; ``lieux resume=<folder>`` replays them).
        hydra_overrides: the command line's Hydra overrides (the launcher; replayed too).
    """
    from simulation.core.config import as_dict

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    old = read_experiment_file(folder)  # on resume: keep the first command and overrides, add an invocation
    invocations = list(old.get("invocations", []))
    invocations.append({"started": datetime.now().isoformat(timespec="seconds"), "command": command})
    data = as_dict(cfg)
    record = {
        "experiment": {k: v for k, v in data["experiment"].items() if k not in ("replicate", "sample")},
        "seeds": cfg.seeds,
        "territory": cfg.territory.kind,
        "weeks": cfg.weeks,
        "warmup_weeks": cfg.warmup_weeks,
        "sample_rate": cfg.population.sample_rate,
        "command": old.get("command", command),
        "overrides": list(old.get("overrides", overrides)),
        "hydra_overrides": list(old.get("hydra_overrides", hydra_overrides)),
        "invocations": invocations,
    }
    if "configuration" not in old:  # the first run's, which a resume must match (experiments.fingerprint)
        config = fingerprint.configuration(cfg)
        record["fingerprint"] = fingerprint.fingerprint(config)
        record["configuration"] = config
    return update_experiment_file(folder, record)


def sim_config_of(config: DictConfig) -> SimConfig:
    """The validated SimConfig of a composed Hydra config (its ``hydra`` node left out)."""
    keys = [k for k in config.keys() if k != "hydra"]
    data = OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)
    assert isinstance(data, dict)
    return to_config(data)  # type: ignore[arg-type]


class ExperimentCallback(Callback):
    """Hydra callback of experiments: checks and records the set-up, then aggregates after the sweep.

    Both hooks run in the driver process, whatever the launcher. Errors of the user's input stop the sweep
    before any job (:class:`ExperimentAbort`).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Validate the experiment, check the resume folder, write ``experiment.yaml``."""
        state.last_status = None
        with failures.raised_as(ExperimentAbort):
            cfg = sim_config_of(config)
            check_setup(cfg)
            _add_grid_params(config, cfg)
            folder = Path(str(config.hydra.sweep.dir))
            if cfg.resume:
                _check_resume(folder, cfg, list(config.hydra.overrides.task))
            else:
                _check_new_folder(folder, cfg)
            # one experiment at a time in a folder: a resume started while the first still runs would run the
            # same jobs twice (released after the aggregation, or at exit; a killed driver's lock is taken over)
            guard.lock_folder(folder)
            task = [str(o) for o in config.hydra.overrides.task]
            hydra_ov = [str(o) for o in config.hydra.overrides.hydra if not str(o).startswith("hydra.mode=")]
            command = " ".join(["lieux", *(shlex.quote(w) for w in [*task, *hydra_ov])])
            task = [o for o in task if not o.startswith("resume=")]
            write_experiment_file(folder, cfg, command, task, hydra_ov)
            state.current_folder, state.current_name = folder, cfg.experiment.name
            names = expected_jobs(cfg)
            done = sum(is_finished(folder / RUNS / j) for j in names) if cfg.resume else 0
            print(
                f"experiment {cfg.experiment.name}: {len(names)} jobs ({done} already complete) in {folder}",
                flush=True,
            )
            if not cfg.output.job_lines:
                _quiet_launchers()
                state.watch = JobWatch(folder, names, JobsProgress(len(names), done)).start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """End the progress line, then aggregate the results folder (:func:`aggregate`)."""
        state.stop_progress()
        try:
            with failures.raised_as(ExperimentAbort):
                cfg = sim_config_of(config)
                state.last_status = aggregate(Path(str(config.hydra.sweep.dir)), cfg)
        finally:
            guard.unlock_folder(Path(str(config.hydra.sweep.dir)))


def _quiet_launchers() -> None:
    """Raise the launchers' loggers to WARNING for this sweep (:meth:`SweepState.stop_progress` restores them).

    Done in the driver before the launcher starts: the per-job lines are logged there, whatever the launcher.
    """
    for name in LAUNCHER_LOGGERS:
        logger = logging.getLogger(name)
        state.quieted.setdefault(name, logger.level)
        logger.setLevel(logging.WARNING)


def _add_grid_params(config: DictConfig, cfg: SimConfig) -> None:
    """Sweep the grid keys given on the command line too (the file's are in the node already).

    The sweeper is instantiated from this same config after ``on_multirun_start``, so it sees them.
    """
    params = config.hydra.sweeper.params
    missing = [key for key in cfg.experiment.grid if key not in params]
    if missing:
        with read_write(config), open_dict(config):
            for key in missing:
                params[key] = ",".join(override_value(v) for v in cfg.experiment.grid[key])


def _check_new_folder(folder: Path, cfg: SimConfig) -> None:
    """A new experiment: its folder must be new or empty; ``output.overwrite=true`` moves an old one aside.

    Raises:
        UserError: the folder holds an experiment (or anything else) and ``output.overwrite`` is not set.
    """
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    record = read_experiment_file(folder) if (folder / EXPERIMENT_FILE).is_file() else None
    if cfg.output.overwrite:
        aside = folder.with_name(f"{folder.name}.replaced-{datetime.now():%Y-%m-%d_%H-%M-%S_%f}")
        folder.rename(aside)
        print(f"output.overwrite: the old content of {folder} was moved to {aside}", flush=True)
        return
    if record is not None:
        what = f"the experiment {select(record, 'experiment.name')!r}"
        status = record.get("status") or {}
        if status:
            what += (
                f" ({status.get('jobs_complete', '?')} of {status.get('jobs_expected', '?')} jobs complete)"
            )
        raise UserError(
            f"{folder} already holds {what}; resume it with: lieux resume={folder}; or choose another "
            "output.dir, or add output.overwrite=true to replace it (the old folder is moved aside)"
        )
    raise UserError(
        f"{folder} is not empty and is not the results folder of an experiment; choose another output.dir, or "
        "add output.overwrite=true to move its content aside"
    )


def _check_resume(folder: Path, cfg: SimConfig, task_overrides: list[str]) -> None:
    """Check that ``folder`` holds the same experiment; warn when the overrides differ from the first run's."""
    if not folder.is_dir():
        raise UserError(f"resume folder not found: {folder}")
    path = folder / EXPERIMENT_FILE
    if not path.is_file():
        raise UserError(
            f"resume folder {folder} has no {EXPERIMENT_FILE}: it is not the results folder of an experiment"
        )
    old = read_experiment_file(folder)
    old_name = select(old, "experiment.name")
    if old_name != cfg.experiment.name:
        raise UserError(f"resume folder {folder} holds experiment {old_name!r}, not {cfg.experiment.name!r}")
    if isinstance(old.get("configuration"), dict):  # recorded since the fingerprint exists: it must match
        now = fingerprint.configuration(cfg)
        if not any(k.startswith("scenario_file.") for k in old["configuration"]):
            # recorded before the scenario files were part of the fingerprint: compare the rest
            now = {k: v for k, v in now.items() if not k.startswith("scenario_file.")}
        diff = fingerprint.differences(old["configuration"], now)
        if diff:
            raise UserError(
                f"resume folder {folder} was run with another configuration: "
                f"{fingerprint.describe_differences(diff)}; resuming would mix runs of both. Resume with the "
                f"same overrides (lieux resume={folder} alone replays them), or start a new folder"
            )
        return
    now = sorted(o for o in task_overrides if not str(o).startswith("resume="))
    before = sorted(old.get("overrides", []))
    if now != before:
        print(
            f"warning: resuming with other overrides than the first run ({' '.join(before) or 'none'}); jobs "
            "already complete keep their results",
            file=sys.stderr,
            flush=True,
        )
