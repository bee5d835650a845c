"""The dependency direction of simulation.experiments and simulation.viz (issue 6).

- experiments imports viz only inside ``aggregation`` (to build the report when an aggregation ends);
- viz imports from experiments only ``stats`` and ``folders`` (the statistics and the run-folder scanner);
- only ``experiments.sweep`` imports the model, inside the function that runs a job;
- importing the experiments (what every job of a sweep does) loads neither the model nor matplotlib.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "simulation"


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import of a file; ``from simulation import x`` -> simulation.x.

    Imports under ``if TYPE_CHECKING:`` are left out: they exist for type hints only, never at run time.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, id(node) in top))
            out += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return out


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).glob("*.py"))


@pytest.mark.parametrize("path", modules("experiments"), ids=lambda p: p.name)
def test_experiments_import_viz_only_to_build_the_report(path: Path) -> None:
    for name, top_level in imports(path):
        if name.startswith("simulation.viz"):
            assert path.name == "aggregation.py" and not top_level, f"{path.name} imports {name}"
        if name.startswith("simulation.sim.model"):
            assert path.name == "sweep.py" and not top_level, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules("viz"), ids=lambda p: p.name)
def test_viz_imports_only_the_statistics_and_the_scanner_of_experiments(path: Path) -> None:
    # decomposition is the comparison's statistics laid out by kind of trip (it imports only stats)
    allowed = (
        "simulation.experiments.stats",
        "simulation.experiments.folders",
        "simulation.experiments.decomposition",
    )
    for name, _ in imports(path):
        if name.startswith("simulation.experiments"):
            assert name.startswith(allowed), f"{path.name} imports {name}"
        assert not name.startswith("simulation.sim.model"), f"{path.name} imports {name}"


def test_importing_the_packages_loads_neither_the_model_nor_pyplot() -> None:
    code = (
        "import sys\n"
        "import simulation.experiments\n"
        "assert 'matplotlib' not in sys.modules, 'simulation.experiments imports matplotlib'\n"
        "import simulation.viz.report_md\n"
        "bad = [m for m in ('simulation.sim.model', 'matplotlib.pyplot') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


# Front ends may drive the model: the command line, the experiments' job runner, the dashboard and the
# calibration commands (lieux-validate and the fit); the public path simulation/model.py re-exports it for users'
# scripts. Nothing else imports it back.
MODEL_IMPORTERS = {"cli.py", "model.py", "experiments/sweep.py", "app/jobs.py", "calibration/validate.py"}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SRC.rglob("*.py") if "resources" not in p.parts),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_no_module_imports_the_model_back_but_the_front_ends(path: Path) -> None:
    rel = str(path.relative_to(SRC))
    if rel in MODEL_IMPORTERS or rel.startswith("sim/model"):
        return
    for name, _ in imports(path):
        assert not name.startswith(("simulation.sim.model", "simulation.model")), f"{rel} imports {name}"


def test_every_public_module_class_and_function_has_a_docstring() -> None:
    missing = []
    for path in sorted(p for p in SRC.rglob("*.py") if "resources" not in p.parts):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(SRC)
        if not ast.get_docstring(tree):
            missing.append(f"{rel}: module")
        todo = [(tree, "")]
        while todo:
            node, prefix = todo.pop()
            for n in node.body:
                if isinstance(
                    n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                ) and not n.name.startswith("_"):
                    if not ast.get_docstring(n):
                        missing.append(f"{rel}:{n.lineno} {prefix}{n.name}")
                    if isinstance(n, ast.ClassDef):
                        todo.append((n, f"{prefix}{n.name}."))
    assert not missing, "public names without a docstring:\n" + "\n".join(missing)
