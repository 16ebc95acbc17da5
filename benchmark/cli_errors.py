"""The one mechanism that turns the library's expected errors into one clear CLI line.

Every command group (``benchmark/cli.py``, ``cli_train.py``, ``cli_eval.py``) uses these, so a new
error class is added in one place. The tuple is built lazily (``except library_errors()`` evaluates
it only when an exception arrives), so a command never imports torch just to handle errors.
"""

from __future__ import annotations

import click


def one_line(exc: BaseException) -> click.ClickException:
    """A ClickException (exit 1) carrying the first line of the error's message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return click.ClickException(text)


def library_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input or an unusable environment, not a bug (no traceback for them)."""
    from benchmark.classifier import ClassifierError
    from benchmark.evaluate import EvalError
    from benchmark.fid import FidError
    from benchmark.recover import RecoverError
    from benchmark.tables import TableError
    from iggan.checkpoint import CheckpointError
    from iggan.config import ConfigError
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
        TrainingError,
        UnknownCategoryError,
        DatasetError,
        GLUnavailableError,
        RenderError,
        ShapeLoadError,
        FileNotFoundError,
    )
