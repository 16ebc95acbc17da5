"""benchmark.jobs: library functions in processes of their own, a few at a time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benchmark.jobs import Job, JobError, run_jobs


def _write_after(path: str, seconds: float) -> None:
    time.sleep(seconds)
    print("writing", path)
    Path(path).write_text(str(os.getpid()))


def _fail() -> None:
    print("working")
    raise ValueError("the data file is broken\nsecond line")


def test_a_failed_job_is_named_after_the_others_finish(tmp_path):
    done = tmp_path / "done.txt"
    jobs = [
        Job("bad", _fail, (), tmp_path / "logs" / "bad.log"),
        Job("ok", _write_after, (str(done), 1.0), tmp_path / "logs" / "ok.log"),
    ]
    lines: list[str] = []
    with pytest.raises(JobError, match=r"1 job\(s\) failed: bad \(log: .*bad.log\)"):
        run_jobs(jobs, 2, lines.append)
    assert done.exists()  # the other job finished and kept its work
    assert int(done.read_text()) != os.getpid()  # in a process of its own
    failed = [ln for ln in lines if ln.startswith("FAILED bad (exit 1)")]
    assert failed and failed[0].endswith("error: the data file is broken")
    log = (tmp_path / "logs" / "bad.log").read_text()
    assert "working" in log and "Traceback" in log  # the function's output and its traceback
    assert "writing" in (tmp_path / "logs" / "ok.log").read_text()


def test_slots_bound_the_jobs_running_at_once(tmp_path):
    marks = [tmp_path / f"{i}.txt" for i in range(3)]
    jobs = [
        Job(f"j{i}", _write_after, (str(m), 0.5), tmp_path / f"{i}.log")
        for i, m in enumerate(marks)
    ]
    lines: list[str] = []
    run_jobs(jobs, 1, lines.append)
    starts = [ln for ln in lines if ln.startswith(("started", "finished"))]
    # one slot: each job finishes before the next starts
    assert [ln.split()[0] for ln in starts] == ["started", "finished"] * 3
