"""The Hydra launcher configs of configs/hydra/launcher/ (joblib_local, ray_local, slurm).

A tiny standalone Hydra app, written to ``tmp_path`` with the repository's ``configs/`` on its search path, runs
a two-job multirun in a subprocess; each job writes its pid and the launcher that ran it. The basic and joblib
launchers always run (CI); the Ray launcher test starts a local Ray cluster and is opt-in
(``pytest --run-ray`` or ``LIEUX_RUN_RAY=1``, see tests/conftest.py); the SLURM config is only composed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

APP = """
import json
import os
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
