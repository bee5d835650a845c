"""``lieux --help``: the config groups, the main keys with meaning and unit from the schema, examples that compose."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from simulation import cli, experiments
from simulation.core.config import field_meta
from simulation.core.params import help_lines
from simulation.experiments.folders import update_experiment_file
from simulation.experiments.resume import resume_argv

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def help_text() -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("HYDRA_FULL_ERROR", None)
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _key_lines(text: str) -> dict[str, str]:
    """The main keys of the help and their text (continuation lines joined)."""
    section = text.split("== Main keys", 1)[1].split("== Examples", 1)[0]
    keys: dict[str, str] = {}
    last = None
    for line in section.splitlines()[1:]:
        match = re.match(r"  (\S+)\s+(.*)", line)
        if match and not line.startswith("   "):
            last = match.group(1)
            keys[last] = match.group(2)
        elif last and line.strip():
            keys[last] += " " + line.strip()
    return keys


def _examples(text: str) -> list[list[str]]:
    section = text.split("== Examples ==", 1)[1]
    return [shlex.split(line.strip())[1:] for line in section.splitlines() if line.startswith("  lieux ")]


def test_help_is_short_and_names_the_groups(help_text: str) -> None:
    assert len(help_text.splitlines()) <= 100
    assert "powered by Hydra" not in help_text  # not Hydra's generic dump
    for group, option in (("experiment", "compare_strategies"), ("scenario", "mediation_hubs")):
        assert re.search(rf"^{group}: .*\b{option}\b", help_text, re.M), group
    assert re.search(r"^territory: .*nievre.*synthetic", help_text, re.M)


def test_main_keys_carry_meaning_unit_and_range_from_the_schema(help_text: str) -> None:
    keys = _key_lines(help_text)
    assert len(keys) >= 12
    expected_units = {
        "weeks": "weeks",
        "population.teleworkable_share": "share",
        "policy.remote_days_per_week": "days",
        "policy.price_day_eur": "EUR",
        "run.max_memory_gb": "GB",
    }
    for key, unit in expected_units.items():
        assert f"[{unit};" in keys[key], (key, keys[key])
    assert "integer from 0 to 5" in keys["policy.remote_days_per_week"]
    for key, text in keys.items():  # one source: the field's metadata
        assert " ".join(field_meta(key)["meaning"].split()) in text, key


def test_help_lines_refuse_a_key_not_in_the_schema() -> None:
    with pytest.raises(KeyError, match="no.such_key"):
        help_lines(["no.such_key"])


def test_every_example_composes_and_validates(help_text: str, tmp_path: Path) -> None:
    examples = _examples(help_text)
    assert len(examples) >= 5
    assert any(any(a.startswith("++experiment.grid=") for a in ex) for ex in examples)
    assert any(any(a.startswith("resume=") for a in ex) for ex in examples)
    # the resume example needs a results folder: one that recorded the experiment's first command
    folder = tmp_path / "results" / "compare_strategies" / "2026-01-01"
    folder.mkdir(parents=True)
    update_experiment_file(folder, {"experiment": {"name": "compare_strategies"}, "overrides": ["seeds=2"]})
    for argv in examples:
        argv = [a.replace("results/compare_strategies/<timestamp>", str(folder)) for a in argv]
        overrides = resume_argv(argv)  # what main() does before Hydra reads the command line
        with initialize_config_dir(version_base="1.3", config_dir=str(cli.CONFIG_DIR)):
            cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
        sim = experiments.sim_config_of(cfg)  # validated: every value in its range
        if sim.experiment.name:
            experiments.check_setup(sim)
