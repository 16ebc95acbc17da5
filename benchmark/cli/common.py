"""What every command module of :mod:`benchmark.cli` shares: the one mechanism that turns the
library's expected errors into one clear CLI line (:class:`Group`, :func:`library_errors`), the
preset choice, the progress bar and the shape-source option.

A new error class is added to :func:`library_errors` only. The tuple is built lazily (``except
library_errors()`` evaluates it only when an exception arrives), so a command never imports torch
just to handle errors.
"""

from __future__ import annotations

import click

from shapenet_render.presets import PRESETS


def spp_option(f):
    """``--spp N``: Mitsuba's samples per pixel (None = the renderer's default, 16)."""
    return click.option(
        "--spp",
        type=click.IntRange(1, 65536),
        default=None,
        help="With --renderer mitsuba: samples per pixel (default 16; noise falls as 1/sqrt(spp)).",
    )(f)


def one_line(exc: BaseException) -> click.ClickException:
    """A ClickException (exit 1) carrying the first line of the error's message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return click.ClickException(text)


def library_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input or an unusable environment, not a bug (no traceback for them)."""
    from benchmark.cluster import ClusterError
    from benchmark.experiments.recover_report import RecoverError
    from benchmark.metrics.classifier import ClassifierError
    from benchmark.metrics.evaluate import EvalError
    from benchmark.metrics.fid import FidError
    from benchmark.paper_tables import TableError
    from iggan.checkpoint import CheckpointError
    from iggan.config import ConfigError
    from iggan.registry import UnknownMethodError
    from iggan.training import TrainingError
    from shapenet_render.categories import UnknownCategoryError
    from shapenet_render.dataset import DatasetError
    from shapenet_render.gl import GLUnavailableError
    from shapenet_render.pool import RenderError
    from shapenet_render.sources.base import ShapeLoadError

    return (
        ClusterError,
        ClassifierError,
        EvalError,
        FidError,
        RecoverError,
        TableError,
        CheckpointError,
        ConfigError,
        UnknownMethodError,
        TrainingError,
        UnknownCategoryError,
        DatasetError,
        GLUnavailableError,
        RenderError,
        ShapeLoadError,
        FileNotFoundError,
    )


class Group(click.Group):
    """A click group that turns the library's expected errors into one clear line and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except library_errors() as exc:
            raise one_line(exc) from exc


#: The size presets every command offers (``paper``, ``cpu``, ``smoke``).
PRESET = click.Choice(list(PRESETS))


def progress_bar(desc: str, unit: str):
    """A tqdm bar with ``update_to(done, total)`` for the library's progress callbacks."""
    from tqdm import tqdm

    class _Bar(tqdm):
        def update_to(self, done: int, total: int) -> None:
            self.total = total
            self.update(done - self.n)

    return _Bar(desc=desc, unit=unit, dynamic_ncols=True, mininterval=0.5)


def source_from_spec(spec: str):
    """The shape source named by a ``--source`` value, or a usage error naming the option."""
    from shapenet_render.sources.registry import get_source

    try:
        return get_source(spec)
    except (ValueError, FileNotFoundError) as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc


#: Options of the commands that can run their work as scheduler jobs (:mod:`benchmark.cluster`).
CLUSTER_OPTIONS = (
    click.option(
        "--executor",
        type=click.Choice(["local", "slurm"]),
        default=None,
        help="Run the work as jobs: `slurm` through submitit, `local` as the same jobs in "
        "processes here (default: no jobs). Logs and the ledger go to OUTDIR/jobs/; a rerun "
        "submits only unfinished work and waits for jobs still running.",
    ),
    click.option("--slurm-partition", default=None, help="Slurm partition of every job."),
    click.option(
        "--gpus-per-job",
        type=click.IntRange(0, 64),
        default=0,
        show_default=True,
        help="GPUs of each training job; > 1 trains it on all of them, one process per GPU "
        "(torch.distributed; the batch size is per process).",
    ),
    click.option("--cpus-per-job", type=click.IntRange(1, 1024), default=None, help="Slurm."),
    click.option("--mem-gb", type=click.FloatRange(0.1), default=None, help="Slurm."),
    click.option(
        "--timeout-min",
        type=click.IntRange(1),
        default=24 * 60,
        show_default=True,
        help="A job's time limit; a job that reaches it is requeued and resumes (3 times at most).",
    ),
    click.option(
        "--slurm-param",
        "slurm_params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Another #SBATCH option, e.g. account=vision, qos=high, constraint=a100 (repeatable).",
    ),
    click.option(
        "--job-setup",
        multiple=True,
        metavar="LINE",
        help="A shell line every job runs first, e.g. 'source .venv/bin/activate' (repeatable).",
    ),
    click.option(
        "--wait/--no-wait",
        default=True,
        show_default=True,
        help="--no-wait (slurm): queue every job, with dependencies, and return; "
        "`igbench status OUTDIR` follows them and a rerun collects.",
    ),
)


def cluster_options(func):
    """Add :data:`CLUSTER_OPTIONS` to a command."""
    for opt in reversed(CLUSTER_OPTIONS):
        func = opt(func)
    return func


def cluster_from_options(folder, slots: int = 1, **kw):
    """:class:`benchmark.cluster.ClusterOptions` from the options' values (None without
    ``--executor``); ``folder`` is the submitit folder."""
    from pathlib import Path

    from benchmark.cluster import ClusterOptions, parse_slurm_params

    executor = kw.pop("executor")
    if executor is None:
        source = click.get_current_context().get_parameter_source
        for name in kw:  # a job option without --executor: nothing would use it
            if source(name) is not click.core.ParameterSource.DEFAULT:
                flag = next(p for p in CLUSTER_PARAMS if p.name == name).opts[0]
                raise click.UsageError(f"{flag} needs --executor local or --executor slurm")
        return None
    opts = ClusterOptions(
        executor=executor,
        folder=Path(folder),
        partition=kw["slurm_partition"],
        gpus_per_job=kw["gpus_per_job"],
        cpus_per_job=kw["cpus_per_job"],
        mem_gb=kw["mem_gb"],
        timeout_min=kw["timeout_min"],
        slurm_params=parse_slurm_params(kw["slurm_params"]),
        setup=tuple(kw["job_setup"]),
        slots=slots,
        wait=kw["wait"],
    )
    opts.validate()
    return opts


#: The parameters :func:`cluster_options` adds to a command, and their keyword names.
CLUSTER_PARAMS = cluster_options(lambda **kw: None).__click_params__
CLUSTER_KEYS = tuple(p.name for p in CLUSTER_PARAMS)
