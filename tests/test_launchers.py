"""The Hydra launcher configs of configs/hydra/launcher/ (joblib_local, ray_local, slurm, slurm_local).

A tiny standalone Hydra app, written to ``tmp_path`` with the repository's ``configs/`` on its search path, runs
a two-job multirun in a subprocess; each job writes its pid and the launcher that ran it. The basic and joblib
launchers always run (CI). The cluster launchers need ``pip install -e '.[cluster]'`` and are opt-in (see
tests/conftest.py): the Ray tests start a local Ray cluster (``pytest --run-ray`` or ``LIEUX_RUN_RAY=1``); the
Submitit tests run the SLURM launcher's code path with Submitit's local executor, ``hydra/launcher=slurm_local``
(``--run-submitit`` or ``LIEUX_RUN_SUBMITIT=1``); ``--run-cluster`` or ``LIEUX_RUN_CLUSTER=1`` runs both. Each
cluster launcher also runs a two-job experiment (France Services 2020 and 2024 in the Territoire de Belfort, one
seed, 1 + 2 weeks at rate 0.05) whose outputs must equal, number for number, those of the same experiment run by
the joblib launcher: the seeds, not the launcher, decide the draws. There is no SLURM here: the SLURM launcher
(``hydra/launcher=slurm``, Submitit's SlurmExecutor) runs the same experiment against stand-ins for ``sbatch``,
``srun`` and ``sacct`` (tests/fake_slurm.py), which checks the job array it submits and the results it reads
back, not the scheduler nor the compute nodes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

APP = """
import json
import os
import re
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig


@hydra.main(version_base=None, config_path=".", config_name="app")
def main(cfg: DictConfig) -> int:
    hc = HydraConfig.get()
    record = {"x": cfg.x, "pid": os.getpid(), "launcher": hc.launcher._target_, "num": hc.job.num}
    (Path(cfg.out_dir) / f"job_{cfg.x}.json").write_text(json.dumps(record))
    return cfg.x


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(str(os.getpid()))
    sys.argv.pop(1)
    main()
"""


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture
def app(tmp_path: Path):
    """Factory: ``app(*overrides, timeout=...)`` runs the tiny app; returns (process, main pid, job records)."""
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "app.yaml").write_text(
        textwrap.dedent(
            f"""\
            x: 0
            out_dir: {tmp_path / "out"}
            hydra:
              searchpath:
                - file://{CONFIGS}
              sweep:
                dir: {tmp_path / "sweep"}
              job:
                chdir: false
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir()

    def run(*overrides: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, int, list[dict]]:
        pid_file = tmp_path / "main.pid"
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HYDRA_FULL_ERROR": "1"}
        proc = subprocess.run(
            [sys.executable, str(tmp_path / "app.py"), str(pid_file), *overrides],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        main_pid = int(pid_file.read_text()) if pid_file.exists() else -1
        records = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("job_*.json"))]
        return proc, main_pid, records

    return run


def check_two_jobs(proc: subprocess.CompletedProcess, records: list[dict], launcher: str) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(r["x"] for r in records) == [1, 2]
    assert sorted(r["num"] for r in records) == [0, 1]
    assert all(r["launcher"].endswith(launcher) for r in records), records


def test_basic_launcher_runs_two_jobs(app) -> None:
    proc, main_pid, records = app("-m", "x=1,2")
    check_two_jobs(proc, records, "BasicLauncher")
    assert {r["pid"] for r in records} == {main_pid}  # in the main process, one after the other


@pytest.mark.skipif(
    not has_module("hydra_plugins.hydra_joblib_launcher"), reason="hydra-joblib-launcher missing"
)
def test_joblib_local_runs_two_jobs_in_worker_processes(app) -> None:
    proc, main_pid, records = app("-m", "x=1,2", "hydra/launcher=joblib_local")
    check_two_jobs(proc, records, "JoblibLauncher")
    assert "n_jobs=2,backend=loky" in proc.stdout + proc.stderr
    assert main_pid not in {r["pid"] for r in records}


@pytest.mark.skipif(
    not has_module("hydra_plugins.hydra_submitit_launcher"), reason="hydra-submitit-launcher missing"
)
def test_slurm_config_composes(app) -> None:
    proc, _, records = app(
        "hydra/launcher=slurm", "hydra.launcher.partition=cpu", "--cfg", "hydra", "-p", "hydra.launcher"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SlurmLauncher" in proc.stdout
    assert "partition: cpu" in proc.stdout and "cpus_per_task: 1" in proc.stdout
    assert "array_parallelism:" in proc.stdout and "timeout_min:" in proc.stdout
    assert records == []  # nothing ran


@pytest.mark.skipif(not has_module("hydra_plugins.hydra_ray_launcher"), reason="hydra-ray-launcher missing")
def test_ray_local_config_composes(app) -> None:
    proc, _, _ = app("hydra/launcher=ray_local", "--cfg", "hydra", "-p", "hydra.launcher")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RayLauncher" in proc.stdout and "address: null" in proc.stdout and "num_cpus: 1" in proc.stdout


@pytest.mark.ray
def test_ray_local_runs_two_jobs_on_a_local_ray(app) -> None:
    if not has_module("ray") or not has_module("hydra_plugins.hydra_ray_launcher"):
        pytest.skip("ray or hydra-ray-launcher is not installed: pip install -e '.[cluster]'")
    proc, main_pid, records = app(
        "-m", "x=1,2", "hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=2", timeout=300
    )
    check_two_jobs(proc, records, "RayLauncher")
    assert main_pid not in {r["pid"] for r in records}  # Ray worker processes


@pytest.mark.skipif(
    not has_module("hydra_plugins.hydra_submitit_launcher"), reason="hydra-submitit-launcher missing"
)
def test_slurm_local_config_composes_with_the_slurm_settings(app) -> None:
    proc, _, records = app("hydra/launcher=slurm_local", "--cfg", "hydra", "-p", "hydra.launcher")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "submitit_launcher.LocalLauncher" in proc.stdout
    assert (
        "timeout_min: 30" in proc.stdout and "cpus_per_task: 1" in proc.stdout and "mem_gb: 4" in proc.stdout
    )
    assert records == []


# skip marks rather than skips in the body: a skipped test then never sets up the joblib reference run
needs_submitit = pytest.mark.skipif(
    not has_module("submitit") or not has_module("hydra_plugins.hydra_submitit_launcher"),
    reason="submitit or hydra-submitit-launcher is not installed: pip install -e '.[cluster]'",
)
needs_ray = pytest.mark.skipif(
    not has_module("ray") or not has_module("hydra_plugins.hydra_ray_launcher"),
    reason="ray or hydra-ray-launcher is not installed: pip install -e '.[cluster]'",
)


@pytest.mark.submitit
@needs_submitit
def test_slurm_local_runs_two_jobs_through_submitit(app, tmp_path: Path) -> None:
    proc, main_pid, records = app("-m", "x=1,2", "hydra/launcher=slurm_local", timeout=300)
    check_two_jobs(proc, records, "LocalLauncher")
    assert main_pid not in {r["pid"] for r in records}  # submitit's job processes
    # each job has its submitit folder (pickled call, result, logs), as on a cluster
    results = sorted((tmp_path / "sweep" / ".submitit").glob("*/*_result.pkl"))
    assert len(results) == 2, sorted(p.name for p in (tmp_path / "sweep" / ".submitit").rglob("*"))


# --------------------------------------------------------------------------------------------------
# A two-job experiment through each cluster launcher, against the joblib launcher
# --------------------------------------------------------------------------------------------------
EXPERIMENT = [
    "experiment=france_by_departement",
    "++experiment.grid={territory.departements:[[90]]}",
    "seeds=1",
    "weeks=2",
    "warmup_weeks=1",
    "population.sample_rate=0.05",
]
# files of a run folder that name the folder or the time it took rather than the model's results
NOT_RESULTS = {"config.yaml", "lieux.log"}


def run_experiment(folder: Path, *launcher: str, timeout: float = 300) -> Path:
    """``lieux`` on :data:`EXPERIMENT` into ``folder`` with the given launcher overrides; returns the folder."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *EXPERIMENT, f"output.dir={folder}", *launcher],
        cwd=folder.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def assert_same_results(a: Path, b: Path) -> None:
    """The two results folders hold the same runs with the same numbers (only the run times may differ)."""
    ra, rb = (pd.read_csv(f / "runs.csv").sort_values("run_dir").reset_index(drop=True) for f in (a, b))
    assert len(ra) == 2
    pd.testing.assert_frame_equal(
        ra.drop(columns="runtime_s"), rb.drop(columns="runtime_s"), check_exact=True
    )
    assert (a / "comparison.csv").read_bytes() == (b / "comparison.csv").read_bytes()
    for run in ra["run_dir"]:
        files = sorted(p.name for p in (a / run).iterdir() if p.is_file() and p.name not in NOT_RESULTS)
        assert files == sorted(
            p.name for p in (b / run).iterdir() if p.is_file() and p.name not in NOT_RESULTS
        )
        for name in files:
            fa, fb = a / run / name, b / run / name
            if name == "summary.json":
                sa, sb = (json.loads(f.read_text()) for f in (fa, fb))
                sa.pop("runtime_s", None), sb.pop("runtime_s", None)
                assert sa == sb, f"{run}/{name}"
            else:
                assert fa.read_bytes() == fb.read_bytes(), f"{run}/{name}"


@pytest.fixture(scope="module")
def joblib_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-job experiment run by the joblib launcher (once for the module's cluster tests)."""
    if not has_module("hydra_plugins.hydra_joblib_launcher"):
        pytest.skip("hydra-joblib-launcher missing")
    folder = tmp_path_factory.mktemp("joblib") / "results"
    return run_experiment(folder, "hydra/launcher=joblib_local")


@pytest.mark.submitit
@needs_submitit
def test_an_experiment_through_slurm_local_equals_the_joblib_run(
    joblib_results: Path, tmp_path: Path
) -> None:
    folder = run_experiment(tmp_path / "results", "hydra/launcher=slurm_local")
    assert len(list((folder / ".submitit").glob("*/*_result.pkl"))) == 2  # two submitit jobs
    assert_same_results(joblib_results, folder)


@pytest.mark.ray
@needs_ray
def test_an_experiment_through_ray_local_equals_the_joblib_run(joblib_results: Path, tmp_path: Path) -> None:
    folder = run_experiment(
        tmp_path / "results", "hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=2"
    )
    assert_same_results(joblib_results, folder)


@pytest.mark.submitit
@needs_submitit
def test_an_experiment_through_slurm_with_stand_in_commands_equals_the_joblib_run(
    joblib_results: Path, tmp_path: Path
) -> None:
    """hydra/launcher=slurm end to end, with tests/fake_slurm.py's sbatch, srun and sacct first on PATH."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import fake_slurm
    finally:
        sys.path.pop(0)
    bin_dir = fake_slurm.install(tmp_path / "slurm")
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    folder = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"} | {"PATH": path}
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *EXPERIMENT, f"output.dir={folder}"]
        + ["hydra/launcher=slurm", "hydra.launcher.partition=cpu"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # one job array of two tasks, with slurm.yaml's resources
    scripts = list(bin_dir.glob("*.sbatch"))
    assert len(scripts) == 1
    flags = set(re.findall(r"^#SBATCH (\S+)", scripts[0].read_text(), re.M))
    expected = {
        "--array=0-1%2",
        "--partition=cpu",
        "--cpus-per-task=1",
        "--mem=4GB",
        "--time=30",
        "--nodes=1",
    }
    assert expected <= flags, flags
    assert sorted(p.read_text() for p in bin_dir.glob("*.state")) == ["COMPLETED", "COMPLETED"]
    assert len(list((folder / ".submitit").glob("*_*/*_result.pkl"))) == 2
    assert_same_results(joblib_results, folder)
