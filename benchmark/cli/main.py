"""The ``igbench`` root command: global options, and every command group added from its module.

Each module of :mod:`benchmark.cli` defines its commands with ``@click.command`` /
``@click.group`` and nothing else attaches commands; this is the one place that assembles them.
Commands are thin: they validate, build a config and call the library. Every command prints one
clear line and exits non-zero on bad input (:class:`benchmark.cli.common.Group`).
"""

from __future__ import annotations

import sys

import click

from benchmark.cli import bench, evaluate, render, report, shapes, tables, train
from benchmark.cli.common import Group
from shapenet_render import gl

EXAMPLES = """
\b
Examples:
  igbench render --category chairs --mode lvp           # a dataset of the paper
  igbench info data/procedural/chair-lvp-opengl-r128-v64-s0.h5
  igbench train iggan --data data/procedural/chair-lvp-opengl-r128-v64-s0.h5
  igbench sample runs/iggan-chair -n 16 --out samples/
  igbench shapes preview --category bathtubs -n 16      # look at procedural bathtubs
  igbench bench render                                  # renderer throughput, naive vs ours
  igbench demo                                          # the main job on the embedded default
  igbench table1 --preset paper --executor slurm --slurm-partition gpu   # the table as Slurm jobs
"""


@click.group(cls=Group, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--gl",
    "gl_backend",
    type=click.Choice(gl.BACKENDS),
    default=None,
    help="Headless OpenGL backend (default: $IGBENCH_GL or egl).",
)
@click.version_option(package_name="igbench")
def main(gl_backend: str | None) -> None:
    """igbench: learn 3D shape generators from 2D images rendered by an off-the-shelf renderer.

    Reproduces IG-GAN (Lunz et al. 2020): datasets, the off-the-shelf renderer, models, FID tables.
    """
    if gl_backend:
        gl.select_backend(gl_backend)


COMMANDS: tuple[click.Command, ...] = (
    shapes.shapes,
    render.render,
    render.info,
    train.train,
    train.pretrain_renderer,
    train.sample_cmd,
    evaluate.classifier,
    evaluate.fid_cmd,
    evaluate.eval_cmd,
    *tables.table_commands(),
    tables.demo,
    tables.status,
    report.curves_cmd,
    report.report_cmd,
    bench.bench,
)
for _command in COMMANDS:
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
