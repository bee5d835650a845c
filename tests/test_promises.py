"""The promises of the README ("What the tool promises"), one test per case of issue 8's attack.

The cases live in ``scripts/attack.py`` (which prints them as a table, ``python scripts/attack.py``); each is a
test here: the ``lieux`` command in a subprocess on a small synthetic run, in a scratch folder shared by the
module (the finished run and the experiment some cases start from are made once). Case W.5 (the fuzz tests) is
tests/test_fuzz.py itself and is not repeated.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "attack.py"
_spec = importlib.util.spec_from_file_location("lieux_attack", SCRIPT)
assert _spec is not None and _spec.loader is not None
attack = importlib.util.module_from_spec(_spec)
sys.modules["lieux_attack"] = attack
_spec.loader.exec_module(attack)

# the cases that run an experiment or a long run (about 30-60 s each on 2 busy cores)
SLOW = {"2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "5.10", "9.5", "9.6", "10.5", "W.2"}
CASES = [
    pytest.param(c, id=f"{c.id} {c.what}", marks=[pytest.mark.slow] if c.id in SLOW else [])
    for c in attack.CASES
    if c.id != "W.5"
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):
    return attack.Ctx(tmp_path_factory.mktemp("attack"))


@pytest.mark.parametrize("case", CASES)
def test_promise(case, ctx) -> None:
    ok, got = case.run(ctx)
    assert ok, f"{case.id} {case.what}: expected {case.expected}; got {got}"


# --------------------------------------------------------------------------------------------------
# Units behind the promises
# --------------------------------------------------------------------------------------------------
def test_resume_replays_the_recorded_overrides_and_launcher(tmp_path) -> None:
    import yaml

    from simulation.experiments.resume import resume_argv

    (tmp_path / "experiment.yaml").write_text(
        yaml.safe_dump(
            {
                "experiment": {"name": "compare_strategies"},
                "overrides": ["experiment=compare_strategies", "weeks=2", "seeds=3"],
                "hydra_overrides": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
            }
        )
    )
    folder = f"resume={tmp_path}"
    assert resume_argv([folder]) == [
        "experiment=compare_strategies",
        "weeks=2",
        "seeds=3",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        folder,
    ]
    # a setting alone replaces that setting of the recorded launcher; another launcher replaces it whole
    assert resume_argv([folder, "hydra.launcher.n_jobs=4"])[-3:] == [
        "hydra/launcher=joblib",
        folder,
        "hydra.launcher.n_jobs=4",
    ]
    assert not any("joblib" in a or "n_jobs=2" in a for a in resume_argv([folder, "hydra/launcher=basic"]))
    assert resume_argv(["weeks=4", folder])[:3] == [
        "experiment=compare_strategies",
        "seeds=3",
        "hydra/launcher=joblib",
    ]
    assert resume_argv(["weeks=2"]) == ["weeks=2"]  # no resume=: unchanged


def test_a_folder_is_locked_by_one_live_process(tmp_path) -> None:
    import os
    import subprocess

    from simulation.core.atomic import _host
    from simulation.core.errors import UserError
    from simulation.observe import guard

    folder = tmp_path / "run"
    lock = guard.lock_folder(folder)
    assert lock.read_text().strip() == f"{_host()}-{os.getpid()}"
    assert guard.lock_folder(folder) == lock  # taken again by its holder: nothing changes
    guard.unlock_folder(folder)
    assert not lock.exists()

    live = subprocess.Popen(["sleep", "30"])
    try:
        lock.write_text(f"{_host()}-{live.pid}\n")
        with pytest.raises(UserError, match="being written by another run"):
            guard.lock_folder(folder)
    finally:
        live.kill()
        live.wait()
    guard.lock_folder(folder)  # the holder is gone: taken over
    assert lock.read_text().strip() == f"{_host()}-{os.getpid()}"
    guard.unlock_folder(folder)
    lock.write_text("otherhost-1\n")  # another host's lock: it may be running there
    with pytest.raises(UserError, match="otherhost"):
        guard.lock_folder(folder)


def test_an_edited_scenario_file_changes_the_fingerprint(tmp_path) -> None:
    from simulation.experiments import fingerprint

    path = tmp_path / "hubs.yaml"
    path.write_text("name: hubs\ninterventions:\n  - op: add_places\n    desks: 10\n")
    before = fingerprint.scenario_files(["hubs", "absent"], tmp_path)
    path.write_text("name: hubs\ninterventions:\n  - op: add_places\n    desks: 12\n")
    after = fingerprint.scenario_files(["hubs", "absent"], tmp_path)
    diff = fingerprint.differences(before, after)
    assert [(k, a, b) for k, a, b in diff] == [("scenario_file.hubs.interventions[0].desks", 10, 12)]
    assert before["scenario_file.absent"].startswith("unreadable")


def test_the_fingerprint_holds_every_scenario_of_the_experiment_and_old_records_still_resume(
    tmp_path,
) -> None:
    import yaml

    from simulation.core.config import to_config
    from simulation.core.errors import UserError
    from simulation.experiments import fingerprint, sweep

    cfg = to_config({"experiment": {"name": "x", "scenarios": ["baseline", "coworking_network"]}})
    config = fingerprint.configuration(cfg)
    assert {k.split(".")[1] for k in config if k.startswith("scenario_file.")} == {
        "baseline",
        "coworking_network",
    }
    # a folder recorded before the scenario files were fingerprinted resumes on the rest of the configuration
    old = {k: v for k, v in config.items() if not k.startswith("scenario_file.")}
    (tmp_path / "experiment.yaml").write_text(
        yaml.safe_dump({"experiment": {"name": "x"}, "configuration": old})
    )
    sweep._check_resume(tmp_path, cfg, [])
    # a folder recorded with them refuses another scenario content, naming the key
    config["scenario_file.coworking_network.interventions[0].desks"] = 99
    (tmp_path / "experiment.yaml").write_text(
        yaml.safe_dump({"experiment": {"name": "x"}, "configuration": config})
    )
    with pytest.raises(UserError, match=r"scenario_file\.coworking_network\.interventions\[0\]\.desks"):
        sweep._check_resume(tmp_path, cfg, [])
