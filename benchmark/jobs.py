"""Library functions run a few at a time, each in its own process with its output in a log file.

The tables train their cells this way (``--jobs N``) and ``bench recover --jobs N`` its seeds: a
:class:`Job` names a module-level function and its arguments, and :func:`run_jobs` runs each in a
fresh interpreter (``multiprocessing``'s ``spawn``: nothing of the parent's GL contexts, threads or
torch state is inherited), ``slots`` at a time. Everything the function prints, C libraries
included, goes to the job's log. A job that raises prints its traceback there and exits 1; a failed
job is reported after the others have finished, so that their work is kept.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class JobError(RuntimeError):
    """One or more jobs failed; the message names them and their logs."""


@dataclass
class Job:
    """``target(*args)`` run by :func:`run_jobs`, its output appended to ``log``."""

    name: str
    target: Callable[..., Any]
    """A module-level function (it is pickled by name into the job's process)."""
    args: tuple = ()
    log: Path = Path("job.log")
    threads: int | None = 1
    """torch's intra-op threads in the job's process (None: torch's default)."""
    proc: Any = field(default=None, repr=False)
    started: float = 0.0


def prepare_job_process(threads: int | None) -> None:
    """What every job's process does first (here and in :mod:`benchmark.cluster`): log lines to
    its output, GL's chatter off, torch's intra-op threads (None: torch's default)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
    logging.getLogger("OpenGL").setLevel(logging.WARNING)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _run_logged(log: str, threads: int | None, target: Callable[..., Any], args: tuple) -> None:
    """The job process's body: output to the log, then ``target(*args)``; exit 1 on an error."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    prepare_job_process(threads)
    try:
        target(*args)
    except BaseException as exc:  # noqa: BLE001 - every failure ends the job with its reason
        traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"error: {first}\n")  # the last line: what run_jobs reports
        sys.stderr.flush()
        os._exit(1)


def run_jobs(jobs: list[Job], slots: int, echo: Callable[[str], None] = print) -> None:
    """Run the jobs, ``slots`` at a time, in the order given; raise :class:`JobError` naming the
    failed ones once every job has ended."""
    ctx = multiprocessing.get_context("spawn")
    pending, running, failed = list(jobs), [], []
    while pending or running:
        while pending and len(running) < slots:
            job = pending.pop(0)
            job.log.parent.mkdir(parents=True, exist_ok=True)
            job.proc = ctx.Process(
                target=_run_logged,
                args=(str(job.log), job.threads, job.target, job.args),
                name=job.name,
            )
            job.proc.start()
            job.started = time.monotonic()
            echo(f"started {job.name} (log: {job.log})")
            running.append(job)
        time.sleep(0.5)
        for job in list(running):
            if job.proc.is_alive():
                continue
            job.proc.join()
            code = job.proc.exitcode
            running.remove(job)
            minutes = (time.monotonic() - job.started) / 60
            if code == 0:
                echo(f"finished {job.name} in {minutes:.1f} min")
            else:
                failed.append(job)
                lines = (
                    job.log.read_text(errors="replace").strip().splitlines()
                    if job.log.is_file()
                    else []
                )
                echo(
                    f"FAILED {job.name} (exit {code}) after {minutes:.1f} min: {(lines or [''])[-1]}"
                )
    if failed:
        raise JobError(
            f"{len(failed)} job(s) failed: " + ", ".join(f"{j.name} (log: {j.log})" for j in failed)
        )
