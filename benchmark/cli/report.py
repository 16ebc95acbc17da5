"""``igbench curves`` and ``igbench report``: pictures of finished runs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("curves")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output PNG (one PATH only; default: PATH/curves.png).",
)
def curves_cmd(paths, out):
    """Plot a run's curves as a PNG, from the records it wrote (nothing is trained again).

    A training run (`igbench train`, a table cell): the GAN losses, D's accuracy and update rate,
    the neural renderer's L2 and DOM terms (IG-GAN) and FID over the evaluated checkpoints. A
    `bench recover` folder: IoU, cavity and fill over iterations per start and seed, with the
    floors.

    \b
    Examples:
      igbench curves out/tables/demo/runs/chair-500-iggan
      igbench curves runs/recover/bathtub --out docs/images/recover-bathtub.png
    """
    from benchmark.plots import PlotError, curves

    if out is not None and len(paths) > 1:
        raise click.UsageError("--out takes one PATH")
    for path in paths:
        try:
            click.echo(f"wrote {curves(path, out)}")
        except (PlotError, OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None


@click.command("report")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: PATH/report; replaced if it exists).",
)
@click.option("-n", "count", type=click.IntRange(1, 64), default=16, show_default=True,
              help="Samples per grid when the report samples a run itself.")  # fmt: skip
def report_cmd(path, out, count):
    """Write a self-contained HTML page of a table folder, a training run or a `bench recover`
    folder: tables, sample renders at both thresholds, normal maps, turntables, curves.

    Nothing is loaded from the network when the page is viewed: open OUT/index.html.

    \b
    Examples:
      igbench report out/tables/demo
      igbench report runs/recover/bathtub --out /tmp/bathtub-report
    """
    from benchmark.report import ReportError, write_report

    try:
        index = write_report(path, out, n=count)
    except (ReportError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {index}")
