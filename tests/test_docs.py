"""The documentation follows the code: the parameter table of docs/ODD.md is the one generated from
src/simulation/config.py, and the README names every KPI and every output file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[1]


def test_odd_parameter_table_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "param_table.py"), "--check", str(ROOT / "docs" / "ODD.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, (
        "docs/ODD.md's parameter table differs from src/simulation/config.py; run "
        "`python scripts/param_table.py --write docs/ODD.md`\n" + proc.stdout + proc.stderr
    )


def test_param_table_check_detects_a_stale_table(tmp_path: Path) -> None:
    stale = tmp_path / "ODD.md"
    stale.write_text("# ODD\n<!-- params:start -->\n| key |\n<!-- params:end -->\n", encoding="utf-8")
    script = str(ROOT / "scripts" / "param_table.py")
    check = subprocess.run([sys.executable, script, "--check", str(stale)], capture_output=True, text=True)
    assert check.returncode == 1
    subprocess.run([sys.executable, script, "--write", str(stale)], check=True, capture_output=True)
    again = subprocess.run([sys.executable, script, "--check", str(stale)], capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "`behaviour.work.b_time`" in stale.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", KPI_NAMES)
def test_readme_documents_every_kpi(name: str) -> None:
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_readme_documents_every_output_file(name: str) -> None:
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")
