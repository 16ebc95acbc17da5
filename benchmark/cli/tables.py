"""``igbench table1|table2|table3`` and ``igbench demo``: thin commands over
:mod:`benchmark.tables`.

Registered in :mod:`benchmark.cli` with::

    from benchmark.cli.tables import demo, table_commands
    for command in table_commands():
        main.add_command(command)
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from benchmark.cli.common import CLUSTER_KEYS, cluster_from_options, cluster_options
from benchmark.cli.common import library_errors as _library_errors
from benchmark.cli.common import one_line as _one_line

_EXAMPLES = {
    "table1": """
    \b
    Examples:
      igbench table1 --preset demo                      # what `make demo` runs (< 30 min, 2 cores)
      igbench table1 --preset cpu --categories chairs --datasets 500,one-per-model
      igbench table1 --preset paper --plan > jobs.txt   # one command per line, for a job array
      igbench table1 --preset paper --cell chair/500/iggan
      igbench table1 --preset paper --collect           # the table from the finished cells
      igbench table1 --preset paper --executor slurm --slurm-partition gpu --gpus-per-job 1
      igbench table1 --preset cpu --executor local --jobs 2   # the same jobs, as processes here
      igbench status out/tables/paper                   # jobs and cells, and their state
    """,
    "table2": """
    \b
    Examples:
      igbench table2 --preset cpu
      igbench table2 --preset cpu --categories chairs --plan
      igbench table2 --preset paper --executor slurm --slurm-partition gpu --no-wait
    """,
    "table3": """
    \b
    Examples:
      igbench table3 --preset cpu
      igbench table3 --preset paper --plan
      igbench table3 --preset paper --executor slurm --slurm-param account=vision
    """,
}

_HELP = {
    "table1": "The paper's Table 1: FID of 2D-DCGAN, Visual Hull, Absorption Only and IG-GAN on the "
    "500 / one-per-model / unlimited / LVP datasets of tubs, couches and chairs.",
    "table2": "The paper's Table 2: IG-GAN without DOM, renderer retrained or fixed, D fed OpenGL "
    "or neural renders (one-per-model chairs/couches).",
    "table3": "The paper's Table 3: IG-GAN with the renderer pre-trained on chairs, tables or random "
    "cubes, retrained with DOM or fixed (one-per-model chairs).",
}

_COMMON_DOC = """

    Renders what is missing, trains what is missing, evaluates, and writes TABLE.md, .csv and .tex
    into --outdir with the paper's numbers in a second block. Every step resumes: a rerun after a
    kill reuses every finished dataset part, checkpoint and evaluation. --plan prints the shared
    inputs and one independent command per cell; --collect builds the table from finished cells.
    --executor slurm (or local) runs the same steps as scheduler jobs: the shared inputs first, then
    one job per cell, then the table here (docs/reproduction.md, "On a Slurm cluster").
"""


def _setup_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("OpenGL").setLevel(logging.WARNING)


def _context(
    table, preset_name, outdir, source, classifier, device, workers, iterations, progress, jobs=1,
    selection=None,
):  # fmt: skip
    from benchmark.tables import TableContext, table_preset

    preset = table_preset(preset_name)
    return TableContext(
        table=table,
        preset=preset,
        outdir=Path(outdir or Path("out/tables") / preset.name),
        source=source,
        classifier=classifier,
        device=device,
        workers=workers,
        iterations=iterations,
        progress=progress,
        echo=click.echo,
        jobs=jobs,
        selection=dict(selection or {}),
    )


def run_table_command(
    ctx, cells, cell_id=None, plan=False, collect_only=False, show=True, stage="all", cluster=None
) -> list[Path]:
    """The body shared by the table commands and ``igbench demo``. With ``cluster``
    (:class:`benchmark.cluster.ClusterOptions`) the cells are made as scheduler jobs first."""
    from tqdm import tqdm

    from benchmark import table_output, tables

    if plan:
        click.echo("# 1. shared inputs (independent of each other; run before the cells)")
        for cmd in ctx.shared_commands(cells):
            click.echo(cmd)
        click.echo("# 2. cells (independent; each resumes if rerun)")
        for cell in dict((c.key, c) for c in cells).values():
            click.echo(ctx.cell_command(cell))
        click.echo(f"# 3. the table: igbench {ctx.table} {ctx.common_flags()} --collect")
        return []
    if cell_id is not None:
        cell = tables.find_cell(cells, cell_id)
        classifier = None if stage == "train" else tables.ensure_classifier(ctx)
        result = tables.run_cell(ctx, cell, classifier, stage)
        click.echo(result.line())
        return []
    if cluster is not None and not collect_only:
        from benchmark.table_jobs import run_on_cluster

        if not run_on_cluster(ctx, cells, cluster):
            click.echo(
                f"rerun this command (or add --collect) once they have finished; "
                f"`igbench status {ctx.outdir}` shows where they are"
            )
            return []
    if collect_only:
        results = table_output.collect(ctx, cells)
    else:
        bar = tqdm(total=len(cells), desc=ctx.table, unit="cell", disable=not ctx.progress)

        made = [0]  # a disabled bar does not count

        def on_cell(res):
            made[0] += 1
            tqdm.write(f"[{made[0]}/{len(cells)}] {res.line()}")
            bar.update()

        with bar:
            tables.run_table(ctx, cells, on_cell=on_cell)
        results = table_output.collect(ctx, cells)
    paths = table_output.write_tables(ctx, results)
    if show:
        click.echo(paths[0].read_text())
    for p in paths:
        click.echo(f"wrote {p}")
    return paths


def _make_table_command(table: str) -> click.Command:
    options = [
        click.option(
            "--preset",
            "preset_name",
            type=click.Choice(["paper", "cpu", "demo", "smoke"]),
            default="cpu",
            show_default=True,
            help="Sizes of datasets, runs, classifier and evaluation (demo: one category, the 500 "
            "dataset, short runs).",
        ),
        click.option(
            "--outdir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Where datasets, runs and tables go (default: out/tables/<preset>; the three "
            "tables share runs there).",
        ),
        click.option(
            "--source",
            default="procedural",
            show_default=True,
            help="Shape source: procedural | shapenet:PATH | meshdir:PATH.",
        ),
        click.option(
            "--classifier",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Classifier checkpoint for FID (default: out/classifier/<preset>/classifier.pt; "
            "if missing, the shipped cpu classifier is installed for procedural shapes, else "
            "one is trained).",
        ),
        click.option(
            "--iterations",
            type=click.IntRange(1),
            default=None,
            help="Train every run for this many iterations instead of the preset's.",
        ),
        click.option(
            "--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N."
        ),
        click.option(
            "--workers", type=click.IntRange(1, 256), default=None, help="Render processes."
        ),
        click.option("--plan", is_flag=True, help="Print every step as an independent command."),
        click.option("--collect", "collect_only", is_flag=True, help="Only build the table."),
        click.option(
            "--export",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Also copy each trained cell's records, curves and sample grids (no checkpoints) "
            "to EXPORT/runs/<cell>/; `--outdir EXPORT --collect` rebuilds the table from them.",
        ),
        click.option("--cell", "cell_id", default=None, help="Make one cell (an id from --plan)."),
        click.option(
            "--stage",
            type=click.Choice(["all", "train", "eval"]),
            default="all",
            hidden=True,
            help="With --cell: only train (no classifier needed) or only evaluate.",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(1, 256),
            default=1,
            show_default=True,
            help="Runs trained at once in separate processes (the classifier's training too, when "
            "missing). The cpu presets train on one thread: use --jobs 2 on 2 cores. With "
            "--executor local: jobs running at once.",
        ),
        click.option(
            "--seeds",
            default=None,
            help="Comma-separated training seeds, one run per cell and seed (default: 0); the "
            "table shows each place's mean over seeds and lists every seed's cell.",
        ),
        click.option("--progress/--no-progress", default=True, show_default=True),
    ]
    if table == "table1":
        options += [
            click.option(
                "--categories",
                default=None,
                help="Comma-separated: tubs,couches,chairs (default: all three; demo: chairs).",
            ),
            click.option(
                "--datasets",
                default=None,
                help="Comma-separated: 500,one-per-model,unlimited,lvp (default: all; demo: 500).",
            ),
            click.option(
                "--methods",
                default=None,
                help="Comma-separated: dcgan,visual-hull,absorption-only,iggan (default: all).",
            ),
        ]
    elif table == "table2":
        options.append(click.option("--categories", default=None, help="Default: chairs,couches."))

    def command(preset_name, outdir, source, classifier, iterations, device, workers, plan,
                collect_only, export, cell_id, stage, jobs, progress, **selection):  # fmt: skip
        from benchmark.tables import table_cells

        cluster_kw = {k: selection.pop(k) for k in CLUSTER_KEYS}
        try:
            ctx = _context(
                table,
                preset_name,
                outdir,
                source,
                classifier,
                device,
                workers,
                iterations,
                progress,
                jobs,
                selection,
            )
            cells = table_cells(table, ctx.preset, **selection)
            cluster = cluster_from_options(ctx.outdir / "jobs", slots=jobs, **cluster_kw)
            if cluster is not None and (plan or cell_id is not None):
                raise click.UsageError("--executor runs the whole table: drop --plan / --cell")
            if not plan:
                _setup_logging()
            paths = run_table_command(
                ctx, cells, cell_id, plan, collect_only, stage=stage, cluster=cluster
            )
            if export is not None and not plan and cell_id is None and paths:
                from benchmark.table_output import collect, export_results, sample_cells

                sample_cells(collect(ctx, cells), n=16)
                runs = export_results(ctx, cells, export)
                for p in paths:
                    (export / p.name).write_bytes(p.read_bytes())
                click.echo(f"exported {len(runs)} cell(s) and the table to {export}")
        except _library_errors() as exc:
            raise _one_line(exc) from exc

    command.__doc__ = _HELP[table] + _COMMON_DOC + _EXAMPLES[table]
    command = cluster_options(command)
    for opt in reversed(options):
        command = opt(command)
    return click.command(table)(command)


def table_commands() -> list[click.Command]:
    return [_make_table_command(t) for t in ("table1", "table2", "table3")]


#: What `igbench demo` prints last: where to look and what its numbers can and cannot say.
DEMO_READING = """\
What to look at: the report (open its index.html): the tables, then per method OpenGL renders of
{count} samples at 0.5 and at its own threshold, their normal maps from one view, turntables and
training curves; the same grids are the renders.png files above.
What the numbers say: FID (and KID) of {n} samples against the same number of real chairs, in the
features of our classifier on our procedural shapes, after short runs (IG-GAN {iggan} iterations):
a smoke test of the whole pipeline and a rough ordering. They cannot say which method is better:
one seed of a short run is a sample of one (IG-GAN's demo FID was 46.5 and 87.1 in two runs on
two machines, docs/reproduction.md runs 3 and 4), and they are not comparable with the paper's
(other shapes, another classifier). The `cpu` Table 1 (`igbench table1 --preset cpu`) is the
comparison."""


@click.command("demo")
@click.option(
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/tables/demo"),
    show_default=True,
)
@click.option(
    "-n", "count", type=click.IntRange(1, 64), default=16, show_default=True,
    help="Samples in each grid.",
)  # fmt: skip
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=2,
    show_default=True,
    help="Runs (and the classifier's training) at once; each uses one thread.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def demo(outdir, count, jobs, progress):
    """The main job on the embedded default shape source: `igbench table1 --preset demo`.

    Renders 500 procedural chairs (OpenGL, visual-hull and absorption-only), installs the shipped
    cpu classifier if none is there, trains 2D-DCGAN, Visual Hull, Absorption Only and IG-GAN,
    evaluates FID at the common threshold 0.5 and at each method's own (chosen without real
    images), writes table1.md/.csv/.tex, and writes meshes and render grids of each 3D method's
    samples at both thresholds.
    Under 30 minutes on 2 CPU cores; a rerun reuses everything already made.

    \b
    Example:
      igbench demo
      igbench table1 --preset demo --collect   # the table again, from the finished cells
    """
    from benchmark import table_output, tables
    from benchmark.plots import curves
    from benchmark.tables import table_cells

    try:
        ctx = _context(
            "table1", "demo", outdir, "procedural", None, "auto", None, None, progress, jobs
        )
        cells = table_cells("table1", ctx.preset)
        _setup_logging()
        tables.install_shipped_classifier(ctx)
        if not ctx.classifier_path().is_file():
            click.echo(
                f"no classifier at {ctx.classifier_path()}: training the cpu classifier first, "
                "beside the runs. This is once per machine, and on 2 cores it takes longer than "
                "the rest of the demo (docs/reproduction.md)."
            )
        paths = run_table_command(ctx, cells)
        click.echo("")
        click.echo(f"table: {paths[0]}")
        drawn = table_output.sample_cells(table_output.collect(ctx, cells), n=count)
        for res, result, at_own in drawn:
            run, row = res.run_dir, res.cell.row
            what = f"{len(result.meshes)} meshes, " if result.meshes else ""
            click.echo(
                f"{row}: {what}grids at threshold 0.5 in {result.out} "
                f"(training grids: {run / 'samples'}; curves: {curves(run)})"
            )
            if at_own is not None:  # a 3D method: its samples at its own threshold too
                own = res.threshold_own
                click.echo(f"{'':{len(row)}}  and at its own threshold {own:g} in {at_own.out}")
        from benchmark.report import write_report

        click.echo(f"report: {write_report(ctx.outdir, n=count)}")
        click.echo("")
        click.echo(
            DEMO_READING.format(
                count=count,
                n=ctx.preset.n_eval or "the preset's",
                iggan=tables.DEMO_ITERATIONS["iggan"],
            )
        )
    except _library_errors() as exc:
        raise _one_line(exc) from exc


@click.command("status")
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def status(outdir):
    """The jobs of a table's output folder (from --executor) and every cell's state.

    \b
    Example:
      igbench status out/tables/paper
    """
    from benchmark.table_jobs import status_lines

    try:
        for line in status_lines(outdir):
            click.echo(line)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
