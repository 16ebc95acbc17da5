"""Work as jobs on a scheduler: Slurm through ``submitit``, or submitit's local executor, which runs
the same jobs as processes on this machine (and is how the path is tested).

A :class:`Task` names a module-level function and its arguments; :func:`run_waves` submits waves of
tasks, each wave after the previous one has succeeded (on Slurm by ``--dependency=afterok`` so that
the whole graph is queued at once; locally by waiting), shows each job as it ends and raises
:class:`ClusterError` naming the failed ones once nothing more can run. The work itself resumes
(datasets, trainings and evaluations continue from what is on disk), so a rerun after a kill or a
failure submits only what is not finished, and the caller decides that by leaving finished work out
of the waves.

Every submission is recorded in the ledger ``<folder>/jobs.jsonl`` (task name, job id, executor,
host). A rerun finds the jobs of an earlier driver that are still queued or running and waits for
them instead of submitting their work a second time; ``igbench status`` lists them. Each job's
output is in ``<folder>/<job id>/`` (submitit's pickles and logs).

A task with ``gpus > 1`` runs as that many processes of one job (one per GPU, ``--ntasks-per-node``
on Slurm); each exports ``torch.distributed``'s variables (RANK, WORLD_SIZE, MASTER_ADDR, ...) and the
training joins them as under ``torchrun`` (:mod:`iggan.distributed`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXECUTORS = ("local", "slurm")

#: Slurm job states in which a job may still run (sacct's names).
SLURM_ACTIVE = {
    "PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING", "RESIZING", "SUSPENDED",
    "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT",
}  # fmt: skip


class ClusterError(RuntimeError):
    """Jobs failed, or the scheduler cannot be used; the message says which and where to look."""


@dataclass(frozen=True)
class ClusterOptions:
    """Where and how jobs run."""

    executor: str = "local"
    """``local`` (processes on this machine) or ``slurm``."""
    folder: Path = Path("jobs")
    """The submitit folder: the ledger and one folder of pickles and logs per job."""
    partition: str | None = None
    gpus_per_job: int = 0
    """GPUs of a training job; more than one trains it on all of them (one process each)."""
    cpus_per_job: int | None = None
    mem_gb: float | None = None
    timeout_min: int = 24 * 60
    """A job's time limit; a job that reaches it is requeued (its work resumes) up to 3 times."""
    slurm_params: tuple[tuple[str, str], ...] = ()
    """More ``#SBATCH`` options (``account``, ``qos``, ``constraint``, ...)."""
    setup: tuple[str, ...] = ()
    """Shell lines a job runs first (``module load ...``, ``source .venv/bin/activate``)."""
    slots: int = 1
    """Local executor: jobs running at once (Slurm's scheduler decides there)."""
    wait: bool = True
    """False: submit every wave and return (Slurm only: its dependencies order the waves)."""
    poll_s: float = 2.0
    """Seconds between looks at the jobs (Slurm: at least 30, one sacct call for all)."""

    def validate(self) -> None:
        if self.executor not in EXECUTORS:
            raise ClusterError(
                f"--executor {self.executor!r}: choose one of {', '.join(EXECUTORS)}"
            )
        if not self.wait and self.executor == "local":
            raise ClusterError(
                "--no-wait needs --executor slurm: local jobs are ordered by this process, "
                "which must stay to start the next wave"
            )
        if self.gpus_per_job < 0 or self.slots < 1 or self.timeout_min < 1:
            raise ClusterError("--gpus-per-job >= 0, --jobs >= 1 and --timeout-min >= 1 are needed")


def parse_slurm_params(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` strings (``--slurm-param account=vision``) as pairs."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ClusterError(f"--slurm-param {item!r}: expected KEY=VALUE (e.g. account=vision)")
        out.append((key.strip().replace("-", "_"), value.strip()))
    return tuple(out)


@dataclass
class Task:
    """``target(*args)`` as one job."""

    name: str
    target: Callable[..., Any]
    """A module-level function (pickled by reference into the job)."""
    args: tuple = ()
    gpus: int = 0
    """GPUs (and processes) of this job; 0: a CPU job."""
    threads: int | None = 1
    """torch's intra-op threads in the job (None: torch's default)."""


# --------------------------------------------------------------------------------------------------
# Inside the job
# --------------------------------------------------------------------------------------------------


class JobMain:
    """What a job runs: logging to the job's log, torch threads, ``torch.distributed``'s variables
    for a multi-process job, then the task. On a timeout or preemption submitit calls
    :meth:`checkpoint` and requeues the same call; the work resumes from its files."""

    def __call__(self, threads: int | None, target: Callable[..., Any], args: tuple) -> Any:
        import submitit

        from benchmark.jobs import prepare_job_process

        prepare_job_process(threads)
        env = submitit.JobEnvironment()
        if env.num_tasks > 1:
            # Every process sees the job's GPUs; iggan.distributed picks cuda:LOCAL_RANK.
            submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
        return target(*args)

    def checkpoint(self, *args: Any, **kwargs: Any):
        import submitit

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


# --------------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------------


@dataclass
class JobRecord:
    name: str
    job_id: str
    executor: str
    host: str
    submitted: float

    def paths(self, folder: Path):
        from submitit.core.utils import JobPaths

        return JobPaths(folder / "%j", job_id=self.job_id)

    def state(self, folder: Path, slurm_state: str | None = None) -> str:
        """``RUNNING``/``PENDING``/... while it may run, ``COMPLETED`` or ``FAILED`` when ended
        with or without a result, ``UNKNOWN`` where this machine cannot tell. ``slurm_state``:
        sacct's answer when the caller asked for many jobs at once (:func:`slurm_states`)."""
        paths = self.paths(folder)
        if self.executor == "local":
            if self.host == socket.gethostname() and _pid_alive(int(self.job_id)):
                return "RUNNING"
        else:
            if slurm_state is None:
                slurm_state = slurm_states([self.job_id]).get(self.job_id, "UNKNOWN")
            if slurm_state in SLURM_ACTIVE or slurm_state == "UNKNOWN":
                return slurm_state
        if paths.result_pickle.exists():
            return "COMPLETED" if _outcome(paths)[0] else "FAILED"
        return "FAILED"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child of this process that nobody reaped yet is not running
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
    except ChildProcessError:
        pass
    try:  # nor is a zombie nobody reaps (a container's init may not)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def slurm_states(job_ids: Sequence[str]) -> dict[str, str]:
    """Slurm's state of each job (one ``sacct`` call; ``UNKNOWN`` where it has no answer)."""
    import subprocess

    if not job_ids:
        return {}
    from submitit.slurm.slurm import SlurmInfoWatcher

    cmd = ["sacct", "-o", "JobID,State,NodeList", "--parsable2"]
    for job_id in job_ids:
        cmd += ["-j", str(job_id)]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return dict.fromkeys(job_ids, "UNKNOWN")
    info = SlurmInfoWatcher().read_info(out)
    return {j: (info.get(j, {}).get("State") or "UNKNOWN").split(" ")[0] for j in job_ids}


def _outcome(paths) -> tuple[bool, str]:
    """(succeeded, the error's last line) from a job's result pickle."""
    import pickle

    try:
        with paths.result_pickle.open("rb") as f:
            status, value = pickle.load(f)
    except Exception as exc:  # noqa: BLE001 - an unreadable result is a failure to report
        return False, f"unreadable result ({exc})"
    if status == "success":
        return True, ""
    lines = str(value).strip().splitlines()
    return False, (lines or [""])[-1]


class Ledger:
    """``<folder>/jobs.jsonl``: one line per submission; a task's newest line is its job."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "jobs.jsonl"

    def records(self) -> dict[str, JobRecord]:
        out: dict[str, JobRecord] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                if line.strip():
                    rec = JobRecord(**json.loads(line))
                    out[rec.name] = rec
        return out

    def add(self, name: str, job_id: str, executor: str) -> JobRecord:
        rec = JobRecord(name, str(job_id), executor, socket.gethostname(), time.time())
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(rec.__dict__) + "\n")
        return rec


# --------------------------------------------------------------------------------------------------
# Submitting and waiting
# --------------------------------------------------------------------------------------------------


def _executor(opts: ClusterOptions, task: Task, dependency: Sequence[str] = ()):
    import submitit

    folder = str(Path(opts.folder) / "%j")
    procs = max(1, task.gpus)
    if opts.executor == "local":
        ex = submitit.LocalExecutor(folder=folder)
        ex.update_parameters(
            timeout_min=opts.timeout_min,
            tasks_per_node=procs,
            gpus_per_node=task.gpus,
            setup=list(opts.setup),
        )
        return ex
    try:
        ex = submitit.SlurmExecutor(folder=folder)
    except RuntimeError as exc:  # no srun: not on a Slurm cluster
        raise ClusterError(f"--executor slurm: {exc}") from exc
    params: dict[str, Any] = dict(
        job_name=f"igbench-{task.name}",
        time=opts.timeout_min,
        nodes=1,
        ntasks_per_node=procs,
        setup=list(opts.setup),
        signal_delay_s=120,
    )
    if task.gpus:
        params["gpus_per_node"] = task.gpus
    if opts.partition:
        params["partition"] = opts.partition
    if opts.cpus_per_job:
        params["cpus_per_task"] = max(1, opts.cpus_per_job // procs)
    if opts.mem_gb:
        params["mem"] = f"{opts.mem_gb:g}GB"
    if dependency:
        params["dependency"] = "afterok:" + ":".join(dependency)
    extra = dict(opts.slurm_params)
    known = set(_sbatch_fields())
    params.update({k: v for k, v in extra.items() if k in known})
    unknown = {k: v for k, v in extra.items() if k not in known}
    if unknown:
        params["additional_parameters"] = unknown
    ex.update_parameters(**params)
    return ex


def _sbatch_fields() -> list[str]:
    import inspect

    from submitit.slurm import slurm

    return list(inspect.signature(slurm._make_sbatch_string).parameters)


@dataclass
class _Running:
    task: Task
    record: JobRecord
    job: Any = None
    """The submitit job when this process submitted it (None: an earlier driver's job)."""
    started: float = field(default_factory=time.monotonic)


def _ended(run: _Running, opts: ClusterOptions, slurm_state: str | None = None) -> bool:
    if run.job is not None and opts.executor == "local":
        return run.job.done()
    return run.record.state(opts.folder, slurm_state) not in SLURM_ACTIVE | {"RUNNING", "UNKNOWN"}


def _submit(task: Task, opts: ClusterOptions, ledger: Ledger, deps: Sequence[str] = ()):
    job = _executor(opts, task, deps).submit(JobMain(), task.threads, task.target, task.args)
    return _Running(task, ledger.add(task.name, job.job_id, opts.executor), job)


def _attach(task: Task, opts: ClusterOptions, ledger: Ledger) -> _Running | None:
    """An earlier driver's job for this task that may still run, if any."""
    rec = ledger.records().get(task.name)
    if rec is None or rec.executor != opts.executor:
        return None
    state = rec.state(opts.folder)
    if state in SLURM_ACTIVE or state == "RUNNING":
        return _Running(task, rec)
    return None


def run_waves(
    waves: Sequence[Sequence[Task]], opts: ClusterOptions, echo: Callable[[str], None] = print
) -> bool:
    """Run the waves' tasks as jobs, each wave after the previous one succeeded. Returns True when
    every job has ended (False: ``wait=False``, submitted only). Raises :class:`ClusterError`
    naming the failed jobs and their logs."""
    opts.validate()
    ledger = Ledger(opts.folder)
    waves = [list(w) for w in waves if w]
    if opts.executor == "slurm":
        running, deps = [], []
        for wave in waves:
            ids = []
            for task in wave:
                run = _attach(task, opts, ledger) or _submit(task, opts, ledger, deps)
                verb = "submitted" if run.job is not None else "waiting for"
                echo(f"{verb} {task.name} (job {run.record.job_id})")
                ids.append(run.record.job_id)
                running.append(run)
            deps = ids
        if not opts.wait:
            echo(
                f"{len(running)} job(s) queued; `igbench status {opts.folder.parent}` follows them"
            )
            return False
        _watch(running, [], opts, echo)
        return True
    for wave in waves:
        _watch([], list(wave), opts, echo, ledger)
    return True


def _watch(
    running: list[_Running],
    pending: list[Task],
    opts: ClusterOptions,
    echo: Callable[[str], None],
    ledger: Ledger | None = None,
) -> None:
    """Wait for ``running`` and start ``pending`` (local: ``opts.slots`` at once); raise once all
    have ended if any failed."""
    failed: list[_Running] = []
    while running or pending:
        while pending and len(running) < opts.slots:
            task = pending.pop(0)
            assert ledger is not None
            run = _attach(task, opts, ledger)
            if run is None:
                run = _submit(task, opts, ledger)
                echo(f"started {task.name} (job {run.record.job_id}, log: {_log(run, opts)})")
            else:
                echo(f"waiting for {task.name} (job {run.record.job_id}, started earlier)")
            running.append(run)
        time.sleep(opts.poll_s if opts.executor == "local" else max(opts.poll_s, 30.0))
        states = {}
        if opts.executor == "slurm":
            states = slurm_states([r.record.job_id for r in running])
        for run in list(running):
            if not _ended(run, opts, states.get(run.record.job_id)):
                continue
            running.remove(run)
            minutes = (time.monotonic() - run.started) / 60
            paths = run.record.paths(opts.folder)
            ok, why = _outcome(paths) if paths.result_pickle.exists() else (False, "")
            if ok:
                echo(f"finished {run.task.name} in {minutes:.1f} min")
            else:
                failed.append(run)
                why = why or _last_line(paths.stderr) or "ended without a result (killed?)"
                echo(f"FAILED {run.task.name} (job {run.record.job_id}): {why}")
    if failed:
        raise ClusterError(
            f"{len(failed)} job(s) failed: "
            + ", ".join(f"{r.task.name} (log: {_log(r, opts)})" for r in failed)
            + "; rerun the same command to retry them (finished work is kept)"
        )


def _log(run: _Running, opts: ClusterOptions) -> Path:
    return run.record.paths(opts.folder).stderr


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


def job_states(folder: Path) -> list[tuple[JobRecord, str]]:
    """Every task's newest job in the ledger with its state, in submission order."""
    recs = sorted(Ledger(folder).records().values(), key=lambda r: r.submitted)
    slurm = slurm_states([r.job_id for r in recs if r.executor == "slurm"])
    return [(rec, rec.state(Path(folder), slurm.get(rec.job_id))) for rec in recs]
