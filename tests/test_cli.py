"""The ``lieux`` command, the run folder and the KPI table.

In-process tests use a fake model (fast, independent of the simulation); the command itself is run in a
subprocess (``python -m simulation.cli``), with a fake model where only the CLI is under test, and with the
real model on a tiny synthetic territory.
"""

from __future__ import annotations

import errno
import functools
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

import simulation.sim.model
from simulation import cli
from simulation.core.config import to_config
from simulation.core.errors import InputFileError
from simulation.core.progress import progress_bar
from simulation.observe.console import kpi_table, kpi_unit
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import read_run, write_run
from simulation.sim.model import RunResult

TABLE_FILES = ("slots.parquet", "places.csv", "providers.csv", "zones.csv", "periods.csv")
TINY = ["territory=synthetic", "territory.synthetic.adults=2000", "weeks=2", "warmup_weeks=0"]


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def fake_result(cfg, progress=None) -> RunResult:
    """A RunResult with every output, shaped like the model's, without simulating anything."""
    summary = {name: 0.25 for name in KPI_NAMES}
    summary["unmet_need_rate"] = math.nan  # must be written as null
    summary["contacts"] = 1234
    summary.update(scenario=cfg.scenario.name, seed=cfg.seed, weeks=cfg.weeks)
    summary.update(n_residents=100, n_workers=45, n_makers=3)
    slots = pd.DataFrame(
        {
            "place_id": ["p1"],
            "week": [0],
            "day": [0],
            "slot": ["AM"],
            "activity": ["work"],
            "capacity": [4],
            "users": [2],
            "rejected": [0],
        }
    )
    small = pd.DataFrame({"id": ["a", "b"], "value": [1.0, 2.0]})
    tables = {"slots": slots, "places": small, "providers": small, "zones": small, "periods": small}
    return RunResult(summary=summary, tables=tables, notes=["a note"])


def composed(*overrides: str):
    with initialize_config_dir(version_base="1.3", config_dir=str(cli.CONFIG_DIR)):
        return compose(config_name="config", overrides=list(overrides))


def run_cli(args: list[str], cwd: Path, fake: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulation.cli ARGS`` (or the same with a fake model) in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    if fake:
        script = cwd / "fake_lieux.py"
        script.write_text(
            textwrap.dedent(
                """
                import sys
                sys.path.insert(0, {tests!r})
                import simulation.sim.model
                from test_cli import fake_result
                simulation.sim.model.run = fake_result
                from simulation.cli import main
                main()
                """
            ).format(tests=str(Path(__file__).parent))
        )
        cmd = [sys.executable, str(script), *args]
    else:
        cmd = [sys.executable, "-m", "simulation.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def summaries(root: Path) -> list[Path]:
    return sorted(root.rglob("summary.json"))


@functools.cache
def model_missing() -> bool:
    """True while simulation.sim.model.run is still the NotImplementedError stub."""
    try:
        simulation.sim.model.run(to_config(composed(*TINY, "weeks=1")), progress=False)
    except NotImplementedError:
        return True
    return False


def needs_model() -> None:
    if model_missing():
        pytest.skip("simulation.sim.model.run is not implemented yet (raises NotImplementedError)")


# --------------------------------------------------------------------------------------------------
# run_job in-process, with a fake model
# --------------------------------------------------------------------------------------------------
def test_run_job_writes_every_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(simulation.sim.model, "run", fake_result)
    out = tmp_path / "run"
    summary = cli.run_job(composed("territory=synthetic", "seed=7", f"output.dir={out}"))

    for name in (*TABLE_FILES, "summary.json", "config.yaml", "notes.txt"):
        assert (out / name).is_file(), name
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == summary
    for key in (*KPI_NAMES, "scenario", "seed", "weeks", "n_residents", "n_workers", "n_makers", "runtime_s"):
        assert key in on_disk, key
    assert on_disk["seed"] == 7 and on_disk["scenario"] == "baseline"
    assert on_disk["unmet_need_rate"] is None  # NaN -> null
    assert "NaN" not in (out / "summary.json").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left

    run = read_run(out)
    assert run["config"]["seed"] == 7 and run["config"]["territory"]["kind"] == "synthetic"
    assert set(run["tables"]) == {"slots", "places", "providers", "zones", "periods"}
    # the run's own notes, then its KPIs outside their plausible bands (observe.plausibility)
    assert run["notes"][0] == "a note"
    assert all(n.startswith("plausibility: ") for n in run["notes"][1:])

    printed = capsys.readouterr().out
    assert "occupancy_rate" in printed and "access_share_20min" in printed and str(out) in printed


def test_run_job_rejects_bad_values_before_running(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(simulation.sim.model, "run", lambda *a, **k: calls.append(1))
    with pytest.raises(Exception, match="population.sample_rate"):
        cli.run_job(composed("population.sample_rate=2", f"output.dir={tmp_path / 'run'}"))
    assert not calls and not (tmp_path / "run").exists()


def test_slots_are_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(simulation.sim.model, "run", fake_result)
    cli.run_job(composed("output.slots=false", f"output.dir={tmp_path}"))
    assert not (tmp_path / "slots.parquet").exists()
    assert (tmp_path / "places.csv").exists()


# --------------------------------------------------------------------------------------------------
# Atomic writing
# --------------------------------------------------------------------------------------------------
def test_interrupted_write_leaves_nothing_that_looks_finished(tmp_path, monkeypatch):
    cfg = to_config(composed())
    result = fake_result(cfg)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_run(result, cfg, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []  # neither the run folder nor a temporary one


def test_rewriting_an_existing_folder_keeps_hydra_files_and_drops_stale_ones(tmp_path):
    cfg = to_config(composed("output.slots=false"))
    folder = tmp_path / "run"
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text("x: 1\n")
    (folder / "slots.parquet").write_text("stale")
    (folder / "summary.json").write_text("{}")
    write_run(fake_result(cfg), cfg, folder)
    assert (folder / ".hydra" / "config.yaml").read_text() == "x: 1\n"
    assert not (folder / "slots.parquet").exists()
    assert json.loads((folder / "summary.json").read_text())["n_residents"] == 100
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_read_run_refuses_an_unfinished_folder(tmp_path):
    (tmp_path / "places.csv").write_text("id\n")
    with pytest.raises(InputFileError, match="summary.json"):
        read_run(tmp_path)


# --------------------------------------------------------------------------------------------------
# KPI table and progress bar
# --------------------------------------------------------------------------------------------------
def test_kpi_table_formats_units_and_missing_values():
    summary = {name: 1.5 for name in KPI_NAMES} | {"occupancy_rate": 0.4567, "unmet_need_rate": None}
    summary |= {"scenario": "baseline", "seed": 0, "network_cost_eur": 1234567.8}
    lines = kpi_table(summary).splitlines()
    row = {line.split()[0]: line for line in lines if line.split()}
    assert row["occupancy_rate"].split()[1:] == ["45.7", "%"]
    assert row["network_cost_eur"].split()[1:] == ["1,234,568", "EUR"]
    assert row["unmet_need_rate"].split()[1] == "n/a"
    assert row["co2_t"].endswith("t CO2")
    assert all(name in row for name in KPI_NAMES)
    kpi_lines = [line for line in lines if line.split() and line.split()[0] in KPI_NAMES]
    assert len({line.index(line.split()[1]) + len(line.split()[1]) for line in kpi_lines}) == 1  # aligned
    assert (kpi_unit("person_km_total"), kpi_unit("access_share_20min"), kpi_unit("contacts")) == (
        "person-km",
        "%",
        "",
    )


def test_progress_bar_is_off_when_disabled_or_not_a_terminal(monkeypatch, capsys):
    with progress_bar(10, False, "days") as bar:
        bar.update(1)
        assert bar.disable
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert progress_bar(10, None, "days").disable
    assert not progress_bar(10, True, "days").disable


# --------------------------------------------------------------------------------------------------
# The command in a subprocess
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["foo=1"], ["'foo'", "no such key"]),
        (["behaviour.work.hab=1"], ["behaviour.work.hab", "habit"]),
        (["population.sample_rate=2"], ["population.sample_rate", "<= 1"]),
        (["seed=abc"], ["seed", "Integer"]),
        (["scenario=nope"], ["scenario", "nope", "baseline"]),
        (["territory=files"], ["territory.zones", "zones.csv"]),
        (["weeks"], ["weeks"]),
    ],
    ids=[
        "unknown-key",
        "unknown-nested-key",
        "out-of-range",
        "wrong-type",
        "unknown-scenario",
        "files-no-path",
        "no-equal",
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, expected):
    proc = run_cli([*args, f"output.dir={tmp_path / 'out'}"], cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lieux: error: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in proc.stderr
    assert summaries(tmp_path) == []
    assert not (tmp_path / "out").exists()  # Hydra's files in the prepared folder are removed too
    assert not (tmp_path / "results").exists()


def test_unknown_scenario_lists_every_scenario_file(tmp_path):
    proc = run_cli(["scenario=nope"], cwd=tmp_path)
    for path in (cli.CONFIG_DIR / "scenario").glob("*.yaml"):
        assert path.stem in proc.stderr


def test_bad_value_leaves_no_run_folder_in_default_location(tmp_path):
    proc = run_cli(["weeks=0"], cwd=tmp_path, fake=True)
    assert proc.returncode == 2 and "weeks" in proc.stderr
    assert not any((tmp_path / "results" / "runs").glob("*"))


def test_default_folders_are_distinct_per_run(tmp_path):
    for _ in range(2):
        proc = run_cli([], cwd=tmp_path, fake=True)
        assert proc.returncode == 0, proc.stderr
    runs = sorted((tmp_path / "results" / "runs").iterdir())
    assert len(runs) == 2
    for run in runs:
        assert (run / "summary.json").is_file() and (run / ".hydra" / "config.yaml").is_file()
        assert len(run.name.split("_")[-1]) == 6  # microseconds in the name


def test_sweep_writes_one_folder_per_job(tmp_path):
    proc = run_cli(
        ["-m", "seed=0,1", "scenario=baseline", f"output.dir={tmp_path / 'sweep'}"], cwd=tmp_path, fake=True
    )
    assert proc.returncode == 0, proc.stderr
    seeds = {
        json.loads((tmp_path / "sweep" / job / "summary.json").read_text())["seed"] for job in ("0", "1")
    }
    assert seeds == {0, 1}
    assert proc.stdout.count("access_share_20min") == 2  # each job prints its table


def test_sweep_with_a_bad_job_exits_2(tmp_path):
    proc = run_cli(
        ["-m", "population.sample_rate=0.5,2", f"output.dir={tmp_path / 'sweep'}"], cwd=tmp_path, fake=True
    )
    assert proc.returncode == 2
    assert "population.sample_rate" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "sweep" / "0" / "summary.json").is_file()
    assert not (tmp_path / "sweep" / "1").exists()


# --------------------------------------------------------------------------------------------------
# With the real model
# --------------------------------------------------------------------------------------------------
def test_tiny_real_run(tmp_path):
    needs_model()
    out = tmp_path / "run"
    proc = run_cli([*TINY, f"output.dir={out}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    for key in KPI_NAMES:
        assert key in summary, key
    assert summary["n_residents"] > 0 and summary["n_workers"] > 0 and summary["n_makers"] >= 0
    for name in (*TABLE_FILES, "config.yaml"):
        assert (out / name).is_file(), name
    for name in KPI_NAMES:
        assert name in proc.stdout, name
    assert "MESA" not in proc.stdout and "MESA" not in proc.stderr  # Mesa's step logging is silenced


def test_missing_territory_file_exits_2(tmp_path):
    needs_model()
    missing = tmp_path / "nowhere" / "zones.csv"
    places = tmp_path / "places.csv"
    places.write_text("id\n")
    args = [
        "territory=files",
        f"territory.zones={missing}",
        f"territory.places={places}",
        f"output.dir={tmp_path / 'out'}",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "zones.csv" in lines[0] and "Traceback" not in proc.stderr
    assert summaries(tmp_path) == []


@pytest.mark.parametrize("before", [None, "0"])
def test_main_in_process_gives_back_the_callers_hydra_full_error(monkeypatch, capsys, before):
    # main() sets HYDRA_FULL_ERROR=1 for Hydra; left set, it reached the subprocesses a test suite starts
    # afterwards, and their bad-input errors became tracebacks with status 1 (CI, 2026-12-01).
    if before is None:
        monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    else:
        monkeypatch.setenv("HYDRA_FULL_ERROR", before)
    with pytest.raises(SystemExit) as info:
        cli.main(["territory=synthetic", "behaviour.work.mu=1.5"])
    assert info.value.code == cli.EXIT_USAGE
    assert "behaviour.work.mu" in capsys.readouterr().err
    assert os.environ.get("HYDRA_FULL_ERROR") == before


@pytest.mark.parametrize(
    "raised, message, status",
    [
        (InputFileError("zones.csv", "line 3: population\nis negative"), "line 3: population is negative", 2),
        (OSError(errno.ENOSPC, "No space left on device", "/out/x"), "no space left on the device", 1),
    ],
)
def test_the_callbacks_raise_a_reported_failure_as_their_abort(raised, message, status) -> None:
    """The guard's and the experiment's Hydra callbacks share failures.raised_as: one line and its status, in
    the Abort subclass each asks for (Hydra would turn an Exception into a warning)."""
    from simulation.core.errors import Abort
    from simulation.core.failures import raised_as
    from simulation.experiments.sweep import ExperimentAbort

    for kind in (Abort, ExperimentAbort):
        with pytest.raises(kind) as caught, raised_as(kind):
            raise raised
        assert type(caught.value) is kind and caught.value.status == status
        assert message in str(caught.value) and "\n" not in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_bug_in_a_callback_keeps_its_traceback() -> None:
    from simulation.core.failures import raised_as

    with pytest.raises(ZeroDivisionError), raised_as():
        _ = 1 / 0
