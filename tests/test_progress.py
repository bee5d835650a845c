"""The progress of an experiment: one line ``N of M jobs done, ~T left``, Hydra's per-job lines quiet."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.core.progress import JobsProgress, duration_text, jobs_line
from simulation.experiments.sweep import JobWatch


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (44.6, "45 s"), (200, "3 min 20 s"), (3900, "1 h 05 min"), (-3, "0 s")]
)
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_jobs_line() -> None:
    assert jobs_line(0, 12) == "0 of 12 jobs done"
    assert jobs_line(3, 12, 80) == "3 of 12 jobs done, ~1 min 20 s left"
    assert jobs_line(12, 12, 0, 242) == "12 of 12 jobs done in 4 min 02 s"


def test_live_line_is_rewritten_in_place_with_the_observed_rate() -> None:
    clock, out = Clock(), io.StringIO()
    progress = JobsProgress(10, done=2, stream=out, live=True, clock=clock)
    clock.now += 30
    progress.update(4)  # 2 jobs in 30 s since the start; the 2 found done do not count in the rate
    assert out.getvalue().split("\r")[-1] == "4 of 10 jobs done, ~1 min 30 s left\x1b[K"
    progress.update(4)  # same text: nothing written
    assert out.getvalue().count("\r") == 2
    clock.now += 30
    progress.update(10)
    progress.close()
    progress.close()  # idempotent
    assert out.getvalue().endswith("\r10 of 10 jobs done in 1 min 00 s\x1b[K\n")
    assert out.getvalue().count("\n") == 1  # one line on the terminal


def test_a_log_gets_a_new_line_per_change_at_most_every_interval() -> None:
    clock, out = Clock(), io.StringIO()
    progress = JobsProgress(4, stream=out, live=False, min_interval=10, clock=clock)
    assert out.getvalue() == ""  # nothing before a job is done
    clock.now += 5
    progress.update(1)
    clock.now += 1
    progress.update(2)  # 1 s after the last line: not written
    clock.now += 1
    progress.update(4)  # the last one always
    progress.close()
    assert out.getvalue().splitlines() == [
        "1 of 4 jobs done",
        "4 of 4 jobs done in 7 s",
    ]  # a rate needs 2 jobs


def test_a_resumed_sweep_with_every_job_done_ends_at_once() -> None:
    clock, out = Clock(), io.StringIO()
    progress = JobsProgress(4, done=4, stream=out, live=True, clock=clock)
    progress.update(4)
    progress.close()
    assert out.getvalue().endswith("4 of 4 jobs done in 0 s\x1b[K\n")


def test_job_watch_counts_summaries_in_the_folder(tmp_path: Path) -> None:
    names = ["baseline_r000", "baseline_r001", "x_r000"]
    out = io.StringIO()
    watch = JobWatch(tmp_path, names, JobsProgress(3, stream=out, live=False, min_interval=0), interval=60)
    for name in names[:2]:
        (tmp_path / "runs" / name).mkdir(parents=True)
    (tmp_path / "runs" / "baseline_r000" / "summary.json").write_text(json.dumps({}))
    (tmp_path / "runs" / "other_r000").mkdir()  # not a job of this sweep
    (tmp_path / "runs" / "other_r000" / "summary.json").write_text("{}")
    assert watch.count() == 1
    watch.start()
    watch.stop()  # counts once more and ends the line
    assert out.getvalue().splitlines()[-1].startswith("1 of 3 jobs done")


def test_tiny_experiment_prints_one_progress_line_and_no_job_lines(tmp_path: Path) -> None:
    args = [
        "experiment=compare_strategies",
        "territory=synthetic",
        "weeks=2",
        "warmup_weeks=0",
        "seeds=2",
        "experiment.scenarios=[baseline,coworking_network]",
        "hydra/launcher=joblib_local",  # jobs in worker processes: counted from their folders
        f"output.dir={tmp_path / 'exp'}",
    ]
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    both = done.stdout + done.stderr
    assert "[HYDRA]" not in both and "#0 :" not in both
    assert ": done (seed" not in both
    progress = [line for line in done.stderr.splitlines() if " jobs done" in line]
    assert progress and progress[-1].startswith("4 of 4 jobs done in ")
    assert len(progress) <= 4  # a log gets at most a line per change (at most one per 10 s, and the last)
    assert "4 of 4 jobs complete, 0 missing" in done.stdout
