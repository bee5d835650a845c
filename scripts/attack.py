"""Replay the attack of issue 8 ("Nothing lost, nothing mixed") and print case -> expected -> got.

Each case is one thing a hostile but realistic user does (an output folder holding the inputs, NaN in the
configuration, a scenario file with a tab, a run killed midway...), run the way the user runs it: the ``lieux``
command in a subprocess, on small runs (territory=synthetic, weeks=2, warmup_weeks=1, a small sample), in a
scratch folder. The promise checked is the README's ("What the tool promises"): bad input is one line on stderr
with status 2 (1 for a failure of the machine), never a traceback; no input file and no finished result is
ever overwritten or mixed with another configuration's.

Usage::

    python scripts/attack.py                 # every case (about 6 minutes on 2 busy cores)
    python scripts/attack.py --only 4 5.1    # the cases of item 4 and case 5.1
    python scripts/attack.py --list          # the cases, without running them
    python scripts/attack.py --keep -v       # keep the scratch folder; print the whole stderr of failures

The exit status is 0 when every case run is handled, 1 otherwise. The cases are numbered by the item of the
issue's "Why" list they replay (W: the "What to build" list). Some need root to set up (a read-only folder is
only read-only to a process without root's capabilities, a full disk is a small tmpfs): as root, ``lieux`` then
runs without the capabilities that bypass file permissions (``setpriv --bounding-set=-dac_override,...``) or on
a mounted tmpfs; without root it runs as is, and the full disk is simulated by a write failing with ``ENOSPC``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulation import resources
from simulation.core.atomic import _host

REPO = Path(__file__).resolve().parents[1]
LIEUX = [sys.executable, "-m", "simulation.cli"]
SMALL = ["territory=synthetic", "weeks=2", "warmup_weeks=1", "population.sample_rate=0.05"]
EXPERIMENT = [
    "experiment=compare_strategies",
    "seeds=2",
    "territory=synthetic",
    "territory.synthetic.adults=8000",
    "weeks=2",
    "warmup_weeks=1",
    "experiment.scenarios=[baseline,wider_mesh]",
]
TIMEOUT = 600


# --------------------------------------------------------------------------------------------------
# Running lieux
# --------------------------------------------------------------------------------------------------
@dataclass
class Result:
    """What a command did: its status, its outputs and its duration."""

    status: int
    out: str
    err: str
    seconds: float

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("lieux: error:")]

    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.err + self.out


def _default_sigint() -> None:
    """In the child, before Python starts: SIGINT back to its default action (see :meth:`Ctx.popen`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Ctx:
    """The scratch folder and the shared results the cases build once (a finished run, an experiment...)."""

    root: Path
    verbose: bool = False
    cache: dict[str, Path] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
        env["MPLCONFIGDIR"] = str(self.root / ".mpl")
        env["HOME"] = str(self.root / ".home")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def lieux(
        self, *args: str, restricted: bool = False, python: str | None = None, timeout: int = TIMEOUT
    ) -> Result:
        """Run ``lieux ARGS`` (or ``python -c CODE ARGS``) in the scratch folder; ``restricted``: subject to file
        permissions even as root (:func:`restriction`)."""
        cmd = [sys.executable, "-c", python, *args] if python is not None else [*LIEUX, *args]
        if restricted:
            cmd = [*restriction(), *cmd]
        start = time.perf_counter()
        try:
            p = subprocess.run(
                cmd, cwd=self.root, env=self.env(), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            return Result(
                -1, str(exc.stdout or ""), f"timed out after {timeout} s", time.perf_counter() - start
            )
        return Result(p.returncode, p.stdout, p.stderr, time.perf_counter() - start)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*LIEUX, *args],
            cwd=self.root,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Ctrl-C as at a terminal: a suite started in the background by a non-interactive shell (`make test &`)
            # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt (cases 3.1, 3.4 exited 0)
            preexec_fn=_default_sigint,
        )

    def path(self, name: str) -> Path:
        return self.root / name

    # shared set-ups ---------------------------------------------------------------------------------------
    def finished_run(self, name: str = "run") -> Path:
        """A finished small synthetic run (built once per name)."""
        if name not in self.cache:
            folder = self.path(name)
            r = self.lieux(*SMALL, f"output.dir={folder}")
            if r.status != 0:
                raise RuntimeError(f"set-up run failed: {r.err[-500:]}")
            self.cache[name] = folder
        return self.cache[name]

    def experiment(self) -> Path:
        """A finished small experiment (compare_strategies, 2 scenarios x 2 seeds, synthetic 8000 adults)."""
        if "exp" not in self.cache:
            folder = self.path("exp")
            r = self.lieux(*EXPERIMENT, f"output.dir={folder}")
            if r.status != 0:
                raise RuntimeError(f"set-up experiment failed: {r.err[-500:]}")
            self.cache["exp"] = folder
        return self.cache["exp"]

    def experiment_copy(self, name: str) -> Path:
        copy = self.path(name)
        shutil.copytree(self.experiment(), copy)
        return copy

    def inputs(self, name: str) -> tuple[Path, Path]:
        """A copy of the Nièvre's zones.csv and places.csv in ``<scratch>/<name>/``."""
        folder = self.path(name)
        folder.mkdir(parents=True, exist_ok=True)
        for f in ("zones.csv", "places.csv"):
            shutil.copy(resources.data_dir("nievre") / f, folder / f)
        return folder / "zones.csv", folder / "places.csv"

    def scenario(self, name: str, text: str) -> list[str]:
        """Write a scenario file ``<scratch>/conf/scenario/<name>.yaml``; the overrides that run it."""
        folder = self.path("conf") / "scenario"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        return [f"hydra.searchpath=[file://{self.path('conf')}]", f"scenario={name}"]


def files_args(zones: Path, places: Path) -> list[str]:
    return [
        "territory=files",
        f"territory.zones={zones}",
        f"territory.places={places}",
        "weeks=2",
        "warmup_weeks=1",
        "population.sample_rate=0.05",
    ]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def restriction() -> list[str]:
    """The command prefix that makes file permissions apply: as root, drop the capabilities that bypass them."""
    if not is_root():
        return []
    if not shutil.which("setpriv"):
        raise RuntimeError("skipped: root without setpriv (permissions do not apply to root)")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


# --------------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------------
Verdict = tuple[bool, str]


def _shown(r: Result) -> str:
    lines = r.error_lines()
    if lines:
        text = lines[-1].removeprefix("lieux: error: ")
    else:
        rest = [line for line in r.err.splitlines() if line.strip()]
        text = rest[-1] if rest else "(nothing on stderr)"
    return f"{r.status}: {text}"


def refused(r: Result, *needles: str, status: int = 2) -> Verdict:
    """One ``lieux: error:`` line holding every needle (case-insensitive), ``status``, no traceback."""
    lines = r.error_lines()
    ok = (
        r.status == status
        and not r.traceback()
        and len(lines) == 1
        and all(n.lower() in lines[0].lower() for n in needles)
    )
    return ok, ("traceback; " if r.traceback() else "") + _shown(r)


def succeeded(r: Result, *checks: tuple[bool, str]) -> Verdict:
    failed = [what for ok, what in checks if not ok]
    ok = r.status == 0 and not r.traceback() and not failed
    got = "0" if r.status == 0 else _shown(r)
    return ok, got + ("; " + "; ".join(failed) if failed else "")


def all_of(*verdicts: Verdict) -> Verdict:
    return all(ok for ok, _ in verdicts), " | ".join(got for _, got in verdicts)


def check(ok: bool, what: str) -> Verdict:
    return ok, ("ok: " if ok else "NOT: ") + what


# --------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One attack: its number (item of issue 8), what is done, what is promised, and the code that does it."""

    id: str
    what: str
    expected: str
    run: Callable[[Ctx], Verdict]


CASES: list[Case] = []


def case(id: str, what: str, expected: str) -> Callable[[Callable[[Ctx], Verdict]], Callable[[Ctx], Verdict]]:
    def register(fn: Callable[[Ctx], Verdict]) -> Callable[[Ctx], Verdict]:
        CASES.append(Case(id, what, expected, fn))
        return fn

    return register


# 1. The user's input files are overwritten ---------------------------------------------------------------
@case("1.1", "output.dir = the folder of the input CSVs", "2, names the input; zones.csv unchanged")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("mydata")
    before = zones.read_bytes()
    r = ctx.lieux(*files_args(zones, places), f"output.dir={zones.parent}")
    return all_of(
        refused(r, "holds the input file"), check(zones.read_bytes() == before, "zones.csv unchanged")
    )


@case("1.2", "output.dir = a parent of the inputs' folder", "2, names the input")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("parent/mydata")
    return refused(ctx.lieux(*files_args(zones, places), f"output.dir={zones.parent.parent}"), "input file")


@case("1.3", "sweep (-m) whose root is the inputs' folder", "2, names the input")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("mydata_sweep")
    r = ctx.lieux("-m", *files_args(zones, places), "seed=0,1", f"output.dir={zones.parent}")
    return refused(r, "input file")


@case("1.4", "output.dir inside the code tree's configs/", "2, names configs/")
def _(ctx: Ctx) -> Verdict:
    target = resources.configs_dir() / "scenario" / "out"
    r = ctx.lieux(*SMALL, f"output.dir={target}")
    return all_of(refused(r, "configs/"), check(not target.exists(), "nothing created"))


@case("1.5", "output.dir = the code tree's data/ folder", "2, names data/")
def _(ctx: Ctx) -> Verdict:
    return refused(ctx.lieux(*SMALL, f"output.dir={resources.data_dir('')}"), "data/")


@case("1.6", "output.dir = a symbolic link to the inputs' folder", "2, names the input")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("linked")
    link = ctx.path("link_to_inputs")
    link.symlink_to(zones.parent, target_is_directory=True)
    return refused(ctx.lieux(*files_args(zones, places), f"output.dir={link}"), "input file")


# 2. An experiment silently reuses runs made with another configuration -----------------------------------
@case("2.1", "experiment again into its folder with weeks=4 (no resume)", "2, folder already holds one")
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment()
    before = (exp / "runs.csv").read_bytes()
    args = [a for a in EXPERIMENT if not a.startswith(("weeks=", "territory.synthetic.adults="))]
    r = ctx.lieux(*args, "weeks=4", f"output.dir={exp}")
    return all_of(
        refused(r, "already holds"), check((exp / "runs.csv").read_bytes() == before, "runs.csv kept")
    )


@case("2.2", "resume=<experiment> with weeks=4", "2, names the key weeks")
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment()
    return refused(ctx.lieux(f"resume={exp}", "weeks=4"), "another configuration", "weeks")


@case("2.3", "a foreign finished run in runs/, then resume", "0, 4 of 4; the foreign run named, not read")
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment_copy("exp_foreign")
    shutil.copytree(ctx.finished_run(), exp / "runs" / "stranger_r009")
    r = ctx.lieux(f"resume={exp}")
    runs = pd.read_csv(exp / "runs.csv")
    return succeeded(
        r,
        check("4 of 4" in r.err + r.out, "4 of 4 complete"),
        check(len(runs) == 4 and "stranger_r009" not in set(runs["run_dir"].astype(str)), "runs.csv: 4 rows"),
        check("stranger_r009" in r.err + r.out, "the foreign run named"),
    )


# 3. The resume hint drops the original overrides -------------------------------------------------------
@case("3.1", "Ctrl-C during an experiment: the printed hint", "130; hint holds the original overrides")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.path("exp_int")
    p = ctx.popen(*EXPERIMENT, f"output.dir={folder}")
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and p.poll() is None and not list(folder.glob("runs/*/summary.json")):
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=TIMEOUT)
    hint = next((line for line in err.splitlines() if "interrupted" in line), "")
    ctx.cache["hint"] = folder
    ok = p.returncode == 130 and all(
        w in hint for w in ("territory=synthetic", "weeks=2", f"resume={folder}")
    )
    return ok, f"{p.returncode}: {hint[:300] or err[-200:]}"


@case("3.2", "follow it: lieux resume=<folder> alone", "0, 4 of 4, every run of the same set-up")
def _(ctx: Ctx) -> Verdict:
    if "hint" not in ctx.cache:
        _find("3.1").run(ctx)
    folder = ctx.cache["hint"]
    r = ctx.lieux(f"resume={folder}")
    runs = pd.read_csv(folder / "runs.csv") if (folder / "runs.csv").is_file() else pd.DataFrame()
    same = len(runs) == 4 and runs["n_residents"].nunique() == 1 and set(runs["weeks"]) == {2}
    return succeeded(
        r,
        check("4 of 4" in r.err + r.out, "4 of 4"),
        check(same, "runs.csv: one set-up"),
        check(not (folder / ".lieux.lock").exists(), "the folder's lock released"),
    )


@case("3.3", "resume=<folder> with one override that changes the runs", "2, names the key")
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment()
    return refused(ctx.lieux(f"resume={exp}", "population.sample_rate=0.5"), "population.sample_rate")


@case("3.4", "Ctrl-C during a plain run", "130; the folder has no summary.json")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.path("interrupted")
    # A year at full sample (about 10 s on a fast machine): the signal must land in the day loop, not after
    # the run has ended, when the interpreter's shutdown has already given SIGINT back its default action.
    p = ctx.popen(*SMALL, "population.sample_rate=1", "weeks=52", f"output.dir={folder}")
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and p.poll() is None and not (folder / ".hydra").exists():
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=TIMEOUT)
    line = next((x for x in err.splitlines() if "interrupted" in x), err[-200:])
    ok = p.returncode == 130 and not (folder / "summary.json").exists() and "Traceback" not in err
    return ok, f"{p.returncode}: {line}"


# 4. NaN and infinity pass validation -------------------------------------------------------------------
for _id, _override, _key in [
    ("4.1", "behaviour.work.asc_office=nan", "behaviour.work.asc_office"),
    ("4.2", "travel.detour=inf", "travel.detour"),
    ("4.3", "economics.overhead_eur_year=inf", "economics.overhead_eur_year"),
    ("4.4", "travel.car_kmh.rural=-inf", "travel.car_kmh"),
    ("4.5", "run.max_memory_gb=nan", "run.max_memory_gb"),
]:

    @case(_id, _override, f"2, names {_key}")
    def _(ctx: Ctx, o: str = _override, k: str = _key) -> Verdict:
        return refused(ctx.lieux(*SMALL, o, f"output.dir={ctx.path('nan')}"), k)


for _id, _value in [("4.6", ".nan"), ("4.7", ".inf"), ("4.8", "-.inf")]:

    @case(_id, f"a scenario's set to {_value}", "2, names the key in the scenario")
    def _(ctx: Ctx, v: str = _value) -> Verdict:
        name = "set_" + re.sub(r"\W", "", v)
        text = f"name: {name}\ninterventions:\n  - op: set\n    values:\n      economics.overhead_eur_year: {v}\n"
        r = ctx.lieux(*SMALL, *ctx.scenario(name, text), f"output.dir={ctx.path(name)}")
        return refused(r, "scenario.interventions[0].values.economics.overhead_eur_year", "finite")


# 5. Tracebacks instead of one line and status 2 ------------------------------------------------------
for _id, _name, _text, _needles in [
    (
        "5.1",
        "syntax",
        "name: syntax\ninterventions: [\n  - op: close\n",
        ("line", "column", "not valid YAML"),
    ),
    ("5.2", "tabs", "name: tabs\ninterventions:\n\t- op: close\n", ("line 3", "tabs")),
    ("5.3", "dup", "name: dup\nname: again\ninterventions: []\n", ("line 2", "duplicate")),
    (
        "5.4",
        "pytag",
        "name: pytag\ninterventions: !!python/object/apply:os.getcwd []\n",
        ("line 2", "!!python"),
    ),
]:

    @case(_id, f"scenario YAML: {_name}", "2, file, line and column")
    def _(ctx: Ctx, name: str = _name, text: str = _text, needles: tuple[str, ...] = _needles) -> Verdict:
        r = ctx.lieux(*SMALL, *ctx.scenario(name, text), f"output.dir={ctx.path(name)}")
        return refused(r, f"{name}.yaml", *needles)


@case("5.5", "a close that selects every place", "2, names the select")
def _(ctx: Ctx) -> Verdict:
    args = ctx.scenario("close_all", "name: close_all\ninterventions:\n  - op: close\n    select: {}\n")
    r = ctx.lieux(*SMALL, *args, f"output.dir={ctx.path('close_all')}")
    return refused(r, "scenario.interventions[0]")


@case("5.6", "output.dir = an existing file", "2, 'is a file'")
def _(ctx: Ctx) -> Verdict:
    f = ctx.path("a_file.txt")
    f.write_text("mine\n")
    r = ctx.lieux(*SMALL, f"output.dir={f}")
    return all_of(refused(r, "is a file"), check(f.read_text() == "mine\n", "the file kept"))


@case("5.7", "an unreadable input file (mode 000)", "2, names the file")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("unreadable")
    zones.chmod(0o000)
    r = ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_unreadable')}", restricted=True)
    return refused(r, str(zones))


@case("5.8", "an input path that is a folder", "2, names the path")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("folder_input")
    return refused(ctx.lieux(*files_args(zones.parent, places), f"output.dir={ctx.path('out_fi')}"), "folder")


@case("5.9", "a full disk while the outputs are written", "1, one line; nothing looks finished")
def _(ctx: Ctx) -> Verdict:
    return _full_disk(ctx)


@case(
    "5.10", "a corrupt summary.json in an experiment, then resume", "2, names the file; the other jobs kept"
)
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment_copy("exp_corrupt")
    (exp / "runs" / "baseline_r001" / "summary.json").write_text('{"contacts": 12, "pers')
    r = ctx.lieux(f"resume={exp}")
    others = [p for p in exp.glob("runs/*/summary.json") if p.parent.name != "baseline_r001"]
    return all_of(
        refused(r, "baseline_r001/summary.json", "unreadable"),
        check(len(others) == 3 and "3 of 4" in r.err + r.out, "3 of 4 complete"),
    )


@case("5.11", "a zone of population 10^20", "2, file, line, column")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("huge")
    df = pd.read_csv(zones, dtype=str, keep_default_na=False)
    df.loc[0, "population"] = "100000000000000000000"
    df.to_csv(zones, index=False)
    return refused(
        ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_huge')}"), "line 2", "population"
    )


# 6. A writable output folder under a read-only parent -------------------------------------------------
@case("6.1", "a writable output folder under a read-only parent", "0, the run written")
def _(ctx: Ctx) -> Verdict:
    parent = ctx.path("ro_parent")
    out = parent / "out"
    out.mkdir(parents=True)
    parent.chmod(0o555)
    try:
        r = ctx.lieux(*SMALL, f"output.dir={out}", restricted=True)
    finally:
        parent.chmod(0o755)
    return succeeded(r, check((out / "summary.json").is_file(), "summary.json written"))


@case("6.2", "a read-only output folder", "2 before simulating (< 30 s)")
def _(ctx: Ctx) -> Verdict:
    out = ctx.path("ro_out")
    out.mkdir()
    out.chmod(0o555)
    try:
        r = ctx.lieux(*SMALL, "population.sample_rate=0.5", f"output.dir={out}", restricted=True)
    finally:
        out.chmod(0o755)
    return all_of(refused(r, "cannot write"), check(r.seconds < 30, f"{r.seconds:.0f} s"))


# 7. No size guard ------------------------------------------------------------------------------------------
@case("7.1", "territory.synthetic.cell_km=0.001", "2 at once, with the limit")
def _(ctx: Ctx) -> Verdict:
    r = ctx.lieux(
        "territory=synthetic", "territory.synthetic.cell_km=0.001", f"output.dir={ctx.path('huge_grid')}"
    )
    return all_of(refused(r, "cell_km"), check(r.seconds < 60, f"{r.seconds:.0f} s"))


@case("7.2", "a run over run.max_memory_gb", "2, the estimate and the largest setting that fits")
def _(ctx: Ctx) -> Verdict:
    r = ctx.lieux(
        *SMALL, "population.sample_rate=1", "run.max_memory_gb=0.05", f"output.dir={ctx.path('mem')}"
    )
    return refused(r, "GB", "run.max_memory_gb")


@case("7.3", "weeks=1000000", "2 at once: the slot records do not fit")
def _(ctx: Ctx) -> Verdict:
    r = ctx.lieux(*SMALL, "weeks=1000000", f"output.dir={ctx.path('long')}")
    return all_of(refused(r, "GB", "weeks"), check(r.seconds < 60, f"{r.seconds:.0f} s"))


# 8. Keys silently ignored -----------------------------------------------------------------------------------
@case("8.1", "territory.zones=<path> without territory=files", "2, names territory.zones")
def _(ctx: Ctx) -> Verdict:
    zones, _ = ctx.inputs("stray")
    return refused(
        ctx.lieux("weeks=2", f"territory.zones={zones}", f"output.dir={ctx.path('stray_out')}"),
        "territory.zones",
    )


@case("8.2", "resume=<a plain run's folder>", "2, not an experiment")
def _(ctx: Ctx) -> Verdict:
    return refused(ctx.lieux(*SMALL, f"resume={ctx.finished_run()}"), "experiment")


@case("8.3", "resume=<folder> that does not exist", "2, folder not found")
def _(ctx: Ctx) -> Verdict:
    return refused(ctx.lieux(f"resume={ctx.path('nowhere')}"), "not found")


@case("8.4", "an empty scenario file", "2, names the file")
def _(ctx: Ctx) -> Verdict:
    r = ctx.lieux(*SMALL, *ctx.scenario("empty", ""), f"output.dir={ctx.path('empty_out')}")
    return refused(r, "empty")


# 9. Re-running into a finished folder ---------------------------------------------------------------------
@case("9.1", "run again into a finished folder", "2; the old result kept")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.finished_run("rerun")
    before = (folder / "summary.json").read_bytes()
    r = ctx.lieux(*SMALL, "seed=5", f"output.dir={folder}")
    return all_of(
        refused(r, "output.overwrite=true"), check((folder / "summary.json").read_bytes() == before, "kept")
    )


@case("9.2", "overwrite=true, killed (-9) midway", "the folder looks unfinished (no summary.json)")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.finished_run("rerun_kill")
    # a run long enough (a year at full sample) that the kill lands while it runs on any machine
    p = ctx.popen(
        *SMALL, "population.sample_rate=1", "weeks=52", "output.overwrite=true", f"output.dir={folder}"
    )
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and p.poll() is None and (folder / "summary.json").exists():
        time.sleep(0.02)
    time.sleep(0.5)
    killed = p.poll() is None
    p.kill()
    p.communicate()
    return check(
        killed and not (folder / "summary.json").exists(), "killed midway; no summary.json at the top"
    )


@case("9.3", "then overwrite=true again", "0, the new result; the old one gone")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.path("rerun_kill")
    if not folder.exists():
        _find("9.2").run(ctx)
    r = ctx.lieux(*SMALL, "output.overwrite=true", f"output.dir={folder}")
    return succeeded(
        r,
        check((folder / "summary.json").is_file(), "summary.json"),
        check(not any(folder.glob(".previous*")), "nothing set aside left"),
    )


@case("9.4", "a sweep (-m) again into a folder of finished jobs", "2; the jobs kept")
def _(ctx: Ctx) -> Verdict:
    root = ctx.path("sweep")
    first = ctx.lieux("-m", *SMALL, "seed=0,1", f"output.dir={root}")
    if first.status != 0:
        return False, "set-up sweep failed: " + _shown(first)
    before = sorted(p.read_bytes() for p in root.glob("*/summary.json"))
    r = ctx.lieux("-m", *SMALL, "seed=2,3", f"output.dir={root}")
    after = sorted(p.read_bytes() for p in root.glob("*/summary.json"))
    return all_of(refused(r, "finished runs"), check(before == after and len(after) == 2, "jobs kept"))


@case("9.5", "a second run into a folder a running run writes", "2, another run is writing there")
def _(ctx: Ctx) -> Verdict:
    folder = ctx.path("busy")
    p = ctx.popen("territory=synthetic", "warmup_weeks=1", "weeks=150", f"output.dir={folder}")
    try:
        deadline = time.time() + TIMEOUT
        while time.time() < deadline and p.poll() is None and not (folder / ".lieux.lock").exists():
            time.sleep(0.05)
        r = ctx.lieux(*SMALL, "seed=4", f"output.dir={folder}")
        first_running = p.poll() is None
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=TIMEOUT)
    return all_of(refused(r, "another run"), check(first_running, "while the first was running"))


@case(
    "9.6",
    "resume an experiment while it still runs (its folder's lock held)",
    "2, another run is writing there",
)
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment_copy("exp_running")
    # the lock of a live process of this host (pid 1 is always alive): the experiment's driver, still running
    (exp / ".lieux.lock").write_text(f"{_host()}-1\n")
    r = ctx.lieux(f"resume={exp}")
    return all_of(refused(r, "another run"), check((exp / ".lieux.lock").is_file(), "the lock left alone"))


# 10. Lesser ---------------------------------------------------------------------------------------------------
@case("10.1", "hidden temporaries left by a kill -9", "cleaned by the next run; a live one kept")
def _(ctx: Ctx) -> Verdict:
    parent = ctx.path("stale")
    folder = parent / "run"
    folder.mkdir(parents=True)
    pid = dead_pid()
    stale = [
        parent / f".run.{_host()}-{pid}.abcd1234.tmp",  # a temporary run folder of a killed writer
        folder / f".summary.json.{_host()}-{pid}.x1y2z3.tmp",  # a temporary file inside the folder
        parent / ".run.k3j4h5g6.tmp",  # the older form, without the writer's tag
    ]
    for s in stale:
        (s.mkdir() if s.name.endswith("1234.tmp") or s.name.endswith("h5g6.tmp") else s.write_text("{}"))
    live = parent / f".run.{_host()}-{os.getpid()}.live0000.tmp"
    live.mkdir()
    r = ctx.lieux(*SMALL, f"output.dir={folder}")
    left = [s.name for s in stale if s.exists()]
    return succeeded(r, check(not left, f"stale removed {left or ''}"), check(live.exists(), "live one kept"))


@case("10.2", "zones.csv with coordinates in metres", "2, names x_km/y_km")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("metres")
    df = pd.read_csv(zones)
    df["x_km"] *= 1000
    df["y_km"] *= 1000
    df.to_csv(zones, index=False)
    return refused(ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_m')}"), "metres")


@case("10.3", "zones.csv with every population 0", "2, names population")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("zero")
    df = pd.read_csv(zones)
    df["population"] = 0
    df.to_csv(zones, index=False)
    return refused(ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_0')}"), "population")


@case("10.4", "population.sample_rate=1e-9 (0 agents)", "2, names population.sample_rate")
def _(ctx: Ctx) -> Verdict:
    r = ctx.lieux(
        "territory=synthetic",
        "weeks=2",
        "warmup_weeks=1",
        "population.sample_rate=1e-9",
        f"output.dir={ctx.path('nobody')}",
    )
    return refused(r, "population.sample_rate")


@case("10.5", "report.md and figures rebuilt", "written atomically (temporary, then renamed)")
def _(ctx: Ctx) -> Verdict:
    exp = ctx.experiment_copy("exp_report")
    code = textwrap.dedent(
        """
        import json, os, sys
        seen = []
        replace = os.replace
        def recorded(src, dst, *a, **k):
            seen.append((os.path.basename(str(src)), os.path.relpath(str(dst), sys.argv[1])))
            return replace(src, dst, *a, **k)
        os.replace = recorded
        from simulation.viz.report_md import build_report
        build_report(sys.argv[1])
        print(json.dumps(seen))
        """
    )
    r = ctx.lieux(str(exp), python=code)
    if r.status != 0:
        return False, _shown(r)
    seen = json.loads(r.out.strip().splitlines()[-1])
    targets = {dst for _, dst in seen}
    figures = {p.relative_to(exp).as_posix() for p in exp.glob("figures/*") if p.is_file()}
    leftovers = [p.name for p in exp.rglob("*.tmp")]
    return all_of(
        check("report.md" in targets, "report.md renamed into place"),
        check(
            bool(figures) and figures <= targets,
            f"{len(figures & targets)} of {len(figures)} figures renamed",
        ),
        check(all(src.startswith(".") for src, _ in seen), "from hidden temporaries"),
        check(not leftovers, "no temporary left"),
    )


@case("10.6", "zones.csv separated by ';'", "2, says ';'-separated")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("semicolon")
    pd.read_csv(zones).to_csv(zones, index=False, sep=";")
    return refused(ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_sc')}"), "';'-separated")


@case("10.7", "places.csv in Latin-1", "2, names the line and column")
def _(ctx: Ctx) -> Verdict:
    zones, places = ctx.inputs("latin1")
    df = pd.read_csv(places, dtype=str, keep_default_na=False)
    df.loc[2, "name"] = "Mairie de Sémelay"  # at least one accent on line 4
    df.to_csv(places, index=False, encoding="latin-1", errors="replace")
    r = ctx.lieux(*files_args(zones, places), f"output.dir={ctx.path('out_l1')}")
    return refused(r, "line", "column", "UTF-8")


# What to build ---------------------------------------------------------------------------------------------
@case("W.1", "a key that does not exist", "2, the key and the allowed ones")
def _(ctx: Ctx) -> Verdict:
    return refused(ctx.lieux(*SMALL, "travel.detuor=1.2", f"output.dir={ctx.path('typo')}"), "detuor")


@case("W.2", "an experiment into a read-only folder", "2 before any job")
def _(ctx: Ctx) -> Verdict:
    out = ctx.path("ro_exp")
    out.mkdir()
    out.chmod(0o555)
    try:
        r = ctx.lieux(*EXPERIMENT, f"output.dir={out}", restricted=True)
    finally:
        out.chmod(0o755)
    return all_of(refused(r, "cannot write"), check(not (out / "runs").exists(), "no job run"))


@case("W.4", "the same run twice (same seed)", "identical outputs (runtime aside)")
def _(ctx: Ctx) -> Verdict:
    a, b = ctx.path("det_a"), ctx.path("det_b")
    ra = ctx.lieux(*SMALL, "seed=3", f"output.dir={a}")
    rb = ctx.lieux(*SMALL, "seed=3", f"output.dir={b}")
    if ra.status or rb.status:
        return False, _shown(ra if ra.status else rb)
    sa, sb = (json.loads((f / "summary.json").read_text()) for f in (a, b))
    sa.pop("runtime_s", None), sb.pop("runtime_s", None)
    same = [
        f
        for f in ("slots.parquet", "places.csv", "zones.csv", "periods.csv", "providers.csv")
        if (a / f).read_bytes() == (b / f).read_bytes()
    ]
    return all_of(
        check(sa == sb, "summary.json equal"), check(len(same) == 5, f"{len(same)} of 5 tables identical")
    )


@case("W.5", "the fuzz tests (Hypothesis)", "pass, under 60 s")
def _(ctx: Ctx) -> Verdict:
    start = time.perf_counter()
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(REPO / "tests" / "test_fuzz.py"),
        ],
        cwd=REPO,
        env=ctx.env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    seconds = time.perf_counter() - start
    last = (p.stdout.strip().splitlines() or ["(no output)"])[-1]
    return p.returncode == 0 and seconds < 60, f"{p.returncode}: {last} ({seconds:.0f} s wall)"


@case("W.3", "README: 'What the tool promises'", "a section naming the tests")
def _(ctx: Ctx) -> Verdict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## What the tool promises\n(.*?)(?=^## )", text, re.S | re.M)
    body = m.group(1) if m else ""
    named = [t for t in ("test_fuzz", "attack.py", "output.overwrite", "resume") if t in body]
    return check(len(named) == 4, f"section {'found' if m else 'missing'}; names {named}")


# --------------------------------------------------------------------------------------------------
# The full disk
# --------------------------------------------------------------------------------------------------
_ENOSPC_CODE = textwrap.dedent(
    """
    import errno, sys
    import pandas as pd
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    pd.DataFrame.to_csv = full
    from simulation.cli import main
    main(sys.argv[1:])
    """
)


def _full_disk(ctx: Ctx) -> Verdict:
    """A small tmpfs filled but for a few kilobytes (root), else a write failing with ENOSPC (simulated)."""
    mnt = ctx.path("full")
    mnt.mkdir()
    mounted = False
    if is_root() and shutil.which("mount"):
        mounted = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True
            ).returncode
            == 0
        )
    try:
        out = mnt / "run"
        if mounted:
            free = shutil.disk_usage(mnt).free
            with open(mnt / "filler", "wb") as f:
                f.write(b"\0" * max(0, free - 64 * 1024))  # room for Hydra's files, not for the outputs
            r = ctx.lieux(*SMALL, f"output.dir={out}")
        else:
            r = ctx.lieux(*SMALL, f"output.dir={out}", python=_ENOSPC_CODE)
        how = "tmpfs" if mounted else "simulated ENOSPC"
        ok, got = refused(r, "space", status=1)
        return all_of((ok, f"[{how}] {got}"), check(not (out / "summary.json").exists(), "no summary.json"))
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], capture_output=True)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------
def _find(case_id: str) -> Case:
    return next(c for c in CASES if c.id == case_id)


def _selected(only: list[str]) -> list[Case]:
    if not only:
        return CASES
    return [c for c in CASES if any(c.id == o or c.id.startswith(o + ".") for o in only)]


def run_case(c: Case, ctx: Ctx) -> Verdict:
    try:
        return c.run(ctx)
    except Exception as exc:  # the attack itself broke: counted as not handled
        return False, f"attack failed: {type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="case ids or item numbers (e.g. 4 5.1 W)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the full verdict of each case")
    args = parser.parse_args(argv)
    cases = _selected(args.only)
    if args.list:
        for c in cases:
            print(f"{c.id:5} {c.what} -> {c.expected}")
        return 0
    root = Path(tempfile.mkdtemp(prefix="lieux-attack-"))
    ctx = Ctx(root, args.verbose)
    width = 118 if not args.verbose else 10_000
    print(f"{'case':5} | {'what':52} | {'expected':44} | {'ok':3} | got")
    print("-" * 160)
    handled = 0
    start = time.perf_counter()
    try:
        for c in cases:
            ok, got = run_case(c, ctx)
            handled += ok
            got = " ".join(got.split())
            print(
                f"{c.id:5} | {c.what[:52]:52} | {c.expected[:44]:44} | {'yes' if ok else 'NO':3} | {got[:width]}",
                flush=True,
            )
    finally:
        if args.keep:
            print(f"scratch folder kept: {root}")
        else:
            for p in root.rglob("*"):  # modes set by the cases
                if p.is_dir() and not p.is_symlink():
                    p.chmod(0o755)
            shutil.rmtree(root, ignore_errors=True)
    print("-" * 160)
    print(f"{handled} of {len(cases)} handled ({time.perf_counter() - start:.0f} s)")
    return 0 if handled == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
