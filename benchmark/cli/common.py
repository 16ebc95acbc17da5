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


def one_line(exc: BaseException) -> click.ClickException:
    """A ClickException (exit 1) carrying the first line of the error's message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return click.ClickException(text)


def library_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input or an unusable environment, not a bug (no traceback for them)."""
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
