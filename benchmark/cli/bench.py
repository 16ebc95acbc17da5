"""``igbench bench``: each benchmark times our way against the naive way in one run; ``bench recover``
asks whether a method recovers one shape."""

from __future__ import annotations

from pathlib import Path

import click

from benchmark.cli.common import PRESET, Group, spp_option


# -- bench ------------------------------------------------------------------------------------------
@click.group(cls=Group)
def bench() -> None:
    """Performance benchmarks: our way against the naive way, in one run, as a ratio."""


def _renderer_option(help_text: str):
    """``--renderer opengl|mitsuba``: the off-the-shelf renderer a benchmark runs."""
    return click.option(
        "--renderer",
        type=click.Choice(["opengl", "mitsuba"]),
        default="opengl",
        show_default=True,
        help=help_text,
    )


@bench.command("render")
@click.option(
    "--images", type=click.IntRange(10), default=200, show_default=True, help="Images per shape."
)
@click.option("--resolution", type=click.IntRange(16, 1024), default=128, show_default=True)
@click.option("--voxel-res", type=click.IntRange(8, 256), default=64, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Pool size (default: one per core).",
)
@_renderer_option(
    "mitsuba: a new Mitsuba scene per image vs one scene vs the pool (one scene per worker)."
)
@spp_option
def bench_render_cmd(images, resolution, voxel_res, workers, renderer, spp):
    """Naive renders (a new scene and renderer per image) vs one persistent renderer vs the
    renderer pool, for OpenGL (pyrender) or Mitsuba's path tracer.

    \b
    Examples:
      igbench bench render --images 200
      igbench bench render --renderer mitsuba --images 50 --resolution 64 --voxel-res 32
      igbench bench render --renderer mitsuba --images 20
    """
    from benchmark.experiments.bench_render import bench_render, bench_render_mitsuba

    if spp is not None and renderer != "mitsuba":
        raise click.UsageError("--spp is a setting of --renderer mitsuba")
    if renderer == "mitsuba":
        from shapenet_render.mitsuba_renderer import MitsubaUnavailableError

        try:
            result = bench_render_mitsuba(images, resolution, voxel_res, workers, spp)
        except MitsubaUnavailableError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        result = bench_render(images, resolution, voxel_res, workers)
    click.echo(result.format())


@bench.command("dataset")
@click.option("--category", default="chair", show_default=True)
@click.option(
    "-n",
    "n_models",
    type=click.IntRange(10),
    default=300,
    show_default=True,
    help="Models rendered our way.",
)
@click.option(
    "--naive-models",
    type=click.IntRange(5),
    default=60,
    show_default=True,
    help="Models rendered the naive way (it is slow).",
)
@click.option("--preset", type=PRESET, default="paper", show_default=True)
@click.option("--workers", type=click.IntRange(1, 256), default=None)
def bench_dataset_cmd(category, n_models, naive_models, preset, workers):
    """`render --mode one-per-model` vs a naive single-process loop (models/s and ratio).

    \b
    Example:
      igbench bench dataset --category chair -n 300
    """
    from benchmark.experiments.bench_dataset import bench_dataset
    from shapenet_render.categories import resolve_category

    click.echo(
        bench_dataset(resolve_category(category), n_models, naive_models, preset, workers).format()
    )


@bench.command("train")
@click.option(
    "--presets", default="cpu,paper", show_default=True, help="Comma-separated presets to measure."
)
@click.option("--batch", type=click.IntRange(1), default=8, show_default=True)
@click.option(
    "--iterations",
    type=click.IntRange(3),
    default=12,
    show_default=True,
    help="Loop iterations for cpu (paper uses 4: it is slow on a CPU).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Replace a training-config field of every measured preset (repeatable), "
    "e.g. --set torch_threads=2.",
)
@click.option(
    "--repeats",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Training runs of each loop (serial and ours alternate, so load changes hit both).",
)
@_renderer_option("The off-the-shelf renderer R_d of the loop.")
def bench_train_cmd(presets, batch, iterations, overrides, repeats, renderer):
    """Seconds per iteration split into G, view transform, R, D and rendering; render-wait share;
    the serial iteration against ours (the R step on two threads, overlap_r; the same losses) in
    one run, and their ratio.

    \b
    Examples:
      igbench bench train --presets cpu,paper --batch 8
      igbench bench train --presets cpu --iterations 30 --repeats 3
      igbench bench train --presets cpu --set torch_threads=2
      igbench bench train --presets cpu --renderer mitsuba
    """
    from benchmark.experiments.bench_train import bench_train
    from benchmark.experiments.recover import parse_train_overrides
    from benchmark.experiments.recover_report import RecoverError
    from iggan.config import ConfigError

    try:
        pairs = parse_train_overrides(overrides)
    except RecoverError as exc:
        raise click.UsageError(str(exc)) from None
    for name in presets.split(","):
        its = iterations if name != "paper" else min(iterations, 4)
        try:
            result = bench_train(
                name.strip(), batch, its, pairs, repeats=repeats, renderer=renderer
            )
        except ConfigError as exc:
            raise click.UsageError(f"--set: {exc}") from None
        click.echo(result.format())


@bench.command("sources")
@click.option(
    "--categories",
    default="chair,sofa,bathtub,table",
    show_default=True,
    help="Comma-separated, or 'all'.",
)
@click.option("-n", "n_models", type=click.IntRange(2), default=200, show_default=True)
@click.option("--voxel-res", type=click.IntRange(8, 128), default=32, show_default=True)
def bench_sources_cmd(categories, n_models, voxel_res):
    """Variety (mean pairwise voxel IoU) and generation time of the procedural source.

    \b
    Example:
      igbench bench sources --categories all -n 200
    """
    from benchmark.experiments.bench_sources import bench_sources, format_table
    from shapenet_render.categories import CATEGORY_NAMES, resolve_category

    cats = (
        list(CATEGORY_NAMES)
        if categories == "all"
        else [resolve_category(c) for c in categories.split(",")]
    )
    click.echo(format_table(bench_sources(cats, n_models=n_models, resolution=voxel_res)))


@bench.command("voxelize")
@click.option("--faces", type=click.IntRange(100), default=50_000, show_default=True)
@click.option("--voxel-res", type=click.IntRange(8, 256), default=64, show_default=True)
@click.option("--repeats", type=click.IntRange(1), default=5, show_default=True)
def bench_voxelize_cmd(faces, voxel_res, repeats):
    """Our voxelizer vs trimesh's voxelized(pitch).fill() on the same mesh.

    \b
    Example:
      igbench bench voxelize --faces 50000 --voxel-res 64
    """
    from benchmark.experiments.bench_voxelize import bench_voxelize

    click.echo(
        "\n".join(bench_voxelize(n_faces=faces, resolution=voxel_res, repeats=repeats).format())
    )


@bench.command("metrics3d")
@click.option("--samples", type=click.IntRange(2), default=500, show_default=True)
@click.option("--references", type=click.IntRange(2), default=500, show_default=True)
@click.option("--voxel-res", type=click.IntRange(8, 128), default=32, show_default=True)
@click.option(
    "--naive-pairs",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Pairs the naive loop times (its time is scaled to all pairs).",
)
def bench_metrics3d_cmd(samples, references, voxel_res, naive_pairs):
    """The 3D metrics' batched Chamfer and 1 - IoU matrices vs a naive loop over pairs.

    \b
    Example:
      igbench bench metrics3d --samples 500 --references 500 --voxel-res 32
    """
    from benchmark.experiments.bench_metrics3d import bench_metrics3d

    result = bench_metrics3d(samples, references, voxel_res, naive_pairs)
    click.echo("\n".join(result.format()))


@bench.command("recover")
@click.option(
    "--method",
    type=click.Choice(["iggan", "visual-hull", "absorption-only"]),
    default="iggan",
    show_default=True,
)
@click.option(
    "--shape",
    default="procedural:bathtub:3",
    show_default=True,
    help="SOURCE:CATEGORY:INDEX, the INDEX-th model of the category (aliases: bathtubs, couch).",
)
@click.option("--preset", type=PRESET, default="cpu", show_default=True)
@click.option(
    "--minutes",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Training wall-clock cap per start (default: none with --iterations, else 30).",
)
@click.option(
    "--start",
    type=click.Choice(["empty", "full", "both"]),
    default="empty",
    show_default=True,
    help="G's output biased towards empty (g_out_bias -3) or full (+3); both: one after the other.",
)
@click.option(
    "--eval-every",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Iterations between evaluations (each chunk resumes the last checkpoint).",
)
@click.option(
    "--iterations",
    "--max-iterations",
    "max_iterations",
    type=click.IntRange(1),
    default=None,
    help="Iterations per start: the budget that compares across machines.",
)
@click.option(
    "--views",
    type=click.IntRange(1),
    default=512,
    show_default=True,
    help="Random views of the shape in the dataset.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--seeds",
    default=None,
    metavar="LIST",
    help="Comma-separated seeds, e.g. 0,1,2: one run per seed in OUTDIR/seed-<s>, then the "
    "mean, sd and worst seed of each score (replaces --seed).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="With --seeds: runs at once, as separate processes (logs in OUTDIR/logs/). On 2 cores "
    "the cpu preset's one-thread runs go two at a time.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Replace a training-config field of the preset (repeatable), e.g. --set lr_r=5e-5; "
    "recorded with the results. `igbench train iggan --help` lists the fields.",
)
@click.option(
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: runs/recover-<method>-<shape>-<preset>).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the runs in --outdir (after a kill, or with a larger --max-iterations or "
    "--minutes) from their newest checkpoints; the settings must be the run's own.",
)
@_renderer_option("IG-GAN's off-the-shelf renderer: of the shape's views and as R_d in the loop.")
@spp_option
@click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
def bench_recover_cmd(
    method,
    shape,
    preset,
    minutes,
    start,
    eval_every,
    max_iterations,
    views,
    seed,
    seeds,
    jobs,
    settings,
    outdir,
    resume,
    renderer,
    spp,
    dry_run,
):
    """Train a method on random views of ONE known shape; voxel IoU and cavity over time.

    IoU is maximised over rotations about the vertical axis; cavity is the fraction of the voxels
    inside the shape's convex hull but empty in it that the samples leave empty; the floors are the
    IoUs of the filled bounding box and convex hull. Records go to OUTDIR/recover.jsonl.

    \b
    Examples:
      igbench bench recover --method iggan --shape procedural:bathtubs:3 --iterations 1500
      igbench bench recover --iterations 1500 --seeds 0,1,2 --jobs 2   # mean, sd, worst seed
      igbench bench recover --method visual-hull --shape procedural:couch:3 --start both
      igbench bench recover --preset smoke --max-iterations 4 --eval-every 2 --views 16
      igbench bench recover --renderer mitsuba --iterations 1500 --seeds 0,1,2 --jobs 3
      igbench bench recover --renderer mitsuba --spp 64 --iterations 1500   # less noise
      igbench bench recover --minutes 10 --set d_gate_accuracy=0.9 --outdir runs/try-gate
      igbench bench recover --minutes 30 --set d_gate_accuracy=0.9 --outdir runs/try-gate \
          --resume                                        # continue it to 30 minutes
    """
    from benchmark.cli.common import library_errors
    from benchmark.experiments.recover import (
        RecoverConfig,
        parse_train_overrides,
        print_records,
        read_records,
        recover,
        recover_seeds,
    )
    from benchmark.experiments.recover_report import format_summary

    errors = library_errors()
    if minutes is None and max_iterations is None:
        minutes = 30.0
    try:
        seed_list = [int(x) for x in seeds.split(",") if x.strip()] if seeds else None
    except ValueError:
        raise click.ClickException(
            f"--seeds {seeds!r}: expected comma-separated integers"
        ) from None
    if seed_list is not None and (not seed_list or len(set(seed_list)) != len(seed_list)):
        raise click.ClickException(f"--seeds {seeds!r}: expected distinct integers, e.g. 0,1,2")
    try:
        config = RecoverConfig(
            method=method,
            shape=shape,
            preset=preset,
            minutes=minutes,
            starts=("empty", "full") if start == "both" else (start,),
            eval_every=eval_every,
            max_iterations=max_iterations,
            views=views,
            seed=seed,
            renderer=renderer,
            spp=spp,
            outdir=str(outdir) if outdir else "",
            train_overrides=parse_train_overrides(settings),
        )
    except errors as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    click.echo(f"config: {config.to_json()}")
    click.echo(f"output: {config.out_path}")
    if seed_list is not None:
        click.echo(
            "seeds: " + ", ".join(f"{s} -> {config.out_path / f'seed-{s}'}" for s in seed_list)
        )
    if dry_run:
        return
    if seed_list is not None:
        outs = recover_seeds(config, seed_list, jobs=jobs, resume=resume, echo=click.echo)
        records = [r for out in outs for r in read_records(out)]
        click.echo("")
        click.echo(format_summary(records))
        click.echo("records: " + ", ".join(str(out / "recover.jsonl") for out in outs))
        return
    try:
        result = recover(config, on_record=print_records(click.echo), resume=resume)
    except errors as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    click.echo("")
    click.echo(format_summary(result.records))
    click.echo(f"records: {result.outdir / 'recover.jsonl'}")
    if result.interrupted:
        raise click.ClickException("interrupted; the records so far are written")


@bench.command("recover-summary")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--pool",
    is_flag=True,
    help="One block per method, shape and preset whatever the runs' --set fields (listed in "
    "the header): for runs that are one experiment under two labels, e.g. a --set that a later "
    "preset made its default.",
)
def bench_recover_summary_cmd(paths, pool):
    """Print the last evaluation of each start from finished `bench recover` runs, side by side.

    PATHS are output folders of `igbench bench recover` (or their recover.jsonl files); nothing is
    trained or scored again: the table is built from the records.

    \b
    Examples:
      igbench bench recover-summary runs/recover/*-bathtub
      igbench bench recover-summary --pool runs/cal/vh-nogate-s0 runs/rec/vh-s1 runs/rec/vh-s2
    """
    from benchmark.experiments.recover import read_records
    from benchmark.experiments.recover_report import RecoverError, format_summary

    records = []
    for path in paths:
        try:
            records += read_records(path)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{path}: no readable recover records ({exc})") from exc
    if not records:
        raise click.ClickException("no records in " + ", ".join(map(str, paths)))
    try:
        click.echo(format_summary(records, pool=pool))
    except RecoverError as exc:
        raise click.ClickException(str(exc)) from None
