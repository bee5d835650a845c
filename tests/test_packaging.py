"""The package works when installed from a wheel, away from the repository (issue 6: configs, experiments and
data are package resources).

The wheel is built offline (``pip wheel --no-build-isolation``, setuptools from the test extra), unpacked with
``pip install --target`` into a temporary folder that comes first on ``PYTHONPATH``, and ``lieux`` runs from an
empty folder: the configuration, the experiment files and the Nièvre data must come from the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("lieux_partages-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return target


def test_wheel_carries_the_code_configs_experiments_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for py in (ROOT / "src" / "simulation").rglob("*.py"):
        if "resources" in py.relative_to(ROOT / "src").parts[1:2]:
            continue
        assert str(py.relative_to(ROOT / "src")) in names, py
    for folder, pattern in (("configs", "**/*.yaml"), ("experiments", "*.yaml"), ("data/nievre", "*.csv")):
        files = list((ROOT / folder).glob(pattern))
        assert files, folder
        for f in files:
            assert f"simulation/resources/{f.relative_to(ROOT)}" in names, f
    for f in (ROOT / "data" / "france").glob("*.parquet"):
        assert f"simulation/resources/{f.relative_to(ROOT)}" in names, f


def _lieux(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_installed_package_is_the_wheel_not_the_clone(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    code = "import simulation.resources as r, simulation; print(simulation.__file__); print(r.configs_dir())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.splitlines():
        assert line.startswith(str(installed)), line


def test_lieux_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    proc = _lieux(installed, tmp_path, "weeks=2", "warmup_weeks=1", "population.sample_rate=0.05")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "person_km_total" in proc.stdout
    (run,) = (tmp_path / "results" / "runs").iterdir()
    assert (run / "summary.json").is_file() and (run / "places.csv").is_file()


def test_an_experiment_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    proc = _lieux(
        installed,
        tmp_path,
        "experiment=compare_strategies",
        "seeds=1",
        "weeks=2",
        "warmup_weeks=1",
        "population.sample_rate=0.05",
        "experiment.scenarios=[baseline,wider_mesh]",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (folder,) = (tmp_path / "results" / "compare_strategies").iterdir()
    assert (folder / "comparison.csv").is_file() and (folder / "report.md").is_file()
