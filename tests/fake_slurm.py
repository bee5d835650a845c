"""A stand-in for SLURM's commands on one machine, to run the SLURM launcher (hydra/launcher=slurm) end to end.

There is no SLURM on a workstation, yet the launcher's path (Hydra's SlurmLauncher -> Submitit's SlurmExecutor ->
an sbatch script with a job array -> ``srun python -m submitit.core._submit`` on each task -> ``sacct`` polled
until the array ends -> the pickled results read back) is what a cluster run goes through. This module installs
four small commands in a folder put first on ``PATH``:

- ``sbatch SCRIPT``: keeps a copy of the script (``<state>/<id>.sbatch``), answers ``Submitted batch job <id>``
  and starts a detached runner that executes the script's tasks (``--array=0-N%P``: N + 1 tasks, at most P at
  once) with the variables SLURM sets (``SLURM_JOB_ID``, ``SLURM_ARRAY_JOB_ID``, ``SLURM_ARRAY_TASK_ID``, ...);
  each task waits for its pickle, which Submitit moves into place only after sbatch has answered;
- ``srun [--unbuffered] --output F [--error G] CMD``: runs CMD with its output appended to F and G (``%A``,
  ``%a``, ``%j``, ``%t`` expanded);
- ``sacct -o JobID,State,NodeList --parsable2 -j ID``: the tasks' states (PENDING, RUNNING, COMPLETED, FAILED);
- ``scancel``: recorded, nothing else.

The state (job counter, scripts, task states, the runner's log) lives in ``$FAKE_SLURM_STATE`` (default: the
folder of the commands). What it does not check: the scheduler itself (queues, partitions, accounts, limits,
the time limit), the compute nodes' environment (``setup`` lines, modules) and a shared file system; those need
a real cluster.

Usage (a test does the same): ``python tests/fake_slurm.py <folder>``, then ``PATH=<folder>:$PATH lieux ...
hydra/launcher=slurm``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = ("sbatch", "srun", "sacct", "scancel")
NODE = "localhost"
PICKLE_WAIT_S = 120.0  # how long a task waits for Submitit to move its pickle into place


def install(folder: Path) -> Path:
    """Write the four commands into ``folder`` (created); returns it. Each calls this file with this Python."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    me, python = shlex.quote(str(Path(__file__).resolve())), shlex.quote(sys.executable)
    for name in COMMANDS:
        path = folder / name
        path.write_text(
            "#!/bin/sh\n"
            f': "${{FAKE_SLURM_STATE:={folder.resolve()}}}"\n'  # the default state: this folder
            "export FAKE_SLURM_STATE\n"
            f'exec {python} {me} --as {name} "$@"\n',
            encoding="utf-8",
        )
        path.chmod(0o755)
    return folder


def _state() -> Path:
    folder = Path(os.environ["FAKE_SLURM_STATE"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _next_id(state: Path) -> int:
    counter = state / "last_job_id"
    job_id = int(counter.read_text()) + 1 if counter.exists() else 4200
    counter.write_text(str(job_id))
    return job_id


def _set_state(state: Path, task: str, value: str) -> None:
    tmp = state / f".{task}.tmp"
    tmp.write_text(value)
    tmp.replace(state / f"{task}.state")


def sbatch(args: list[str]) -> int:
    script = Path(args[-1])
    text = script.read_text()
    state = _state()
    job_id = _next_id(state)
    (state / f"{job_id}.sbatch").write_text(text)
    array = re.search(r"^#SBATCH --array=(\d+)-(\d+)(?:%(\d+))?", text, re.M)
    first, last, at_once = (int(array[1]), int(array[2]), int(array[3] or 1_000)) if array else (0, 0, 1)
    tasks = [f"{job_id}_{i}" if array else str(job_id) for i in range(first, last + 1)]
    for task in tasks:
        _set_state(state, task, "PENDING")
    runner = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--as",
        "run",
        str(state),
        str(job_id),
        str(at_once),
    ]
    runner += tasks
    subprocess.Popen(
        runner,
        start_new_session=True,  # detached, like a scheduler: sbatch answers at once
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(state / f"{job_id}.runner.log", "a"),  # noqa: SIM115 (the child owns it)
    )
    print(f"Submitted batch job {job_id}")
    return 0


def _submitted_pickle(text: str, task: str) -> Path | None:
    """The pickle Submitit moves into place for ``task`` (the folder is the last word of the command line)."""
    match = re.search(r"submitit\.core\._submit\s+(\S+)", text)
    if match is None:
        return None
    folder = shlex.split(match[1])[0].replace("%j", task)
    return Path(folder) / f"{task}_submitted.pkl"


def run(args: list[str]) -> int:
    state, job_id, at_once, tasks = Path(args[0]), args[1], int(args[2]), args[3:]
    text = (state / f"{job_id}.sbatch").read_text()
    running: list[tuple[str, subprocess.Popen]] = []

    def reap(limit: int) -> None:
        while len(running) > limit:
            for item in list(running):
                code = item[1].poll()
                if code is not None:
                    _set_state(state, item[0], "COMPLETED" if code == 0 else "FAILED")
                    running.remove(item)
            time.sleep(0.1)

    for task in tasks:
        reap(at_once - 1)
        pickle = _submitted_pickle(text, task)
        deadline = time.monotonic() + PICKLE_WAIT_S
        while pickle is not None and not pickle.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        index = task.split("_")[1] if "_" in task else ""
        env = {
            **os.environ,
            "SLURM_JOB_ID": str(int(job_id) * 1000 + int(index)) if index else task,  # a task's own id
            "SLURM_ARRAY_JOB_ID": job_id if index else "",
            "SLURM_ARRAY_TASK_ID": index,
            "SLURM_NTASKS": "1",
            "SLURM_JOB_NUM_NODES": "1",
            "SLURM_NODEID": "0",
            "SLURM_PROCID": "0",
            "SLURM_LOCALID": "0",
            "SLURM_JOB_NODELIST": NODE,
            "FAKE_SLURM_TASK": task,
        }
        if not index:
            for key in ("SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"):
                env.pop(key)
        _set_state(state, task, "RUNNING")
        running.append((task, subprocess.Popen(["bash", str(state / f"{job_id}.sbatch")], env=env)))
    reap(0)
    return 0


def _expand(pattern: str) -> str:
    task = os.environ.get("FAKE_SLURM_TASK", os.environ.get("SLURM_JOB_ID", "0"))
    array_id, _, index = task.partition("_")
    return pattern.replace("%A", array_id).replace("%a", index).replace("%j", task).replace("%t", "0")


def srun(args: list[str]) -> int:
    out = err = None
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("--output", "-o"):
            out = _expand(args.pop(0))
        elif flag in ("--error", "-e"):
            err = _expand(args.pop(0))
    stdout = open(out, "a") if out else None  # noqa: SIM115
    stderr = open(err, "a") if err else stdout  # noqa: SIM115
    return subprocess.call(args, stdout=stdout, stderr=stderr)


def sacct(args: list[str]) -> int:
    state = _state()
    ids = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-j"]
    print("JobID|State|NodeList")
    for job_id in ids:
        for path in sorted(state.glob(f"{job_id}*.state")):
            task = path.name.removesuffix(".state")
            if task == job_id or task.startswith(f"{job_id}_"):
                print(f"{task}|{path.read_text().strip()}|{NODE}")
    return 0


def scancel(args: list[str]) -> int:
    with (_state() / "scancel.log").open("a") as fh:
        fh.write(" ".join(args) + "\n")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--as"]:
        name, args = argv[1], argv[2:]
        return {"sbatch": sbatch, "srun": srun, "sacct": sacct, "scancel": scancel, "run": run}[name](args)
    if len(argv) != 1:
        print(__doc__)
        return 2
    print(install(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
