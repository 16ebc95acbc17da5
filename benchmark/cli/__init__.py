"""The ``igbench`` command line, one module per command group (see :mod:`benchmark.cli.main`)."""

from benchmark.cli.main import main

__all__ = ["main"]
