"""``igbench render`` (datasets, shards, photo folders) and ``igbench info``."""

from __future__ import annotations

from pathlib import Path

import click

from benchmark.cli.common import (
    PRESET,
    Group,
    cluster_from_options,
    cluster_options,
    progress_bar,
    spp_option,
)

# -- render ---------------------------------------------------------------------------------------


@click.group(cls=Group, invoke_without_command=True)
@click.option(
    "--category", help="chairs, couches, bathtubs, tables, cubes, ... (name, alias or synset)."
)
@click.option(
    "--mode",
    type=click.Choice(["500", "one-per-model", "unlimited", "lvp"]),
    default="one-per-model",
    show_default=True,
)
@click.option(
    "--source",
    default=None,
    help="procedural (default) | cubes | shapenet:PATH | meshdir:PATH. A mesh folder's files are "
    "read in the frame its frame.json declares (default: +y up, front -z; docs/conventions.md).",
)
@click.option(
    "--renderer",
    type=click.Choice(["opengl", "mitsuba", "visual-hull", "absorption-only"]),
    default="opengl",
    show_default=True,
    help="opengl and mitsuba (Mitsuba 3's path tracer: pip install igbench[mitsuba]) are the "
    "off-the-shelf renderers; visual-hull and absorption-only the baselines' projections.",
)
@spp_option
@click.option(
    "--preset",
    type=PRESET,
    default="paper",
    show_default=True,
    help="paper 128^2/64^3, cpu 64^2/32^3, smoke 32^2/16^3 (24 models).",
)
@click.option(
    "--resolution",
    type=click.IntRange(8, 1024),
    default=None,
    help="Image side (overrides the preset).",
)
@click.option(
    "--voxel-res",
    type=click.IntRange(4, 256),
    default=None,
    help="Voxel grid side (overrides the preset).",
)
@click.option(
    "--max-models",
    type=click.IntRange(1),
    default=None,
    help="Only the first N models of the plan.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: one per core).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output .h5 (default: data/<source>/<category>-<mode>-<renderer>-r<res>-v<vox>-s<seed>.h5).",
)
@click.option(
    "--shard",
    default=None,
    help="Render only part i of n (i/n, e.g. 0/4); join with `igbench render merge`.",
)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Continue a compatible interrupted run.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output (and any partial run).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the resolved dataset spec and output path, render nothing.",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 4096),
    default=None,
    help="With --executor: render as this many shard jobs, then merge them into --out "
    "(job logs in OUT.jobs/).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="With --executor local: shard jobs at once.",
)
@cluster_options
@click.pass_context
def render(
    ctx,
    category,
    mode,
    source,
    renderer,
    spp,
    preset,
    resolution,
    voxel_res,
    max_models,
    workers,
    seed,
    out,
    shard,
    resume,
    overwrite,
    dry_run,
    shards,
    jobs,
    **cluster_kw,
):
    """Render one of the paper's datasets (section 4.2) into an HDF5 file.

    Modes: 500 (500 models, one view each), one-per-model (every model once; bathtubs from 4
    views), unlimited (voxels stored; training draws a fresh view of every model each epoch), lvp
    (chairs; like unlimited, fresh views each epoch, but azimuth within 60 deg of the front and
    elevation 15-60, as the paper's Table 1 lists it under Unlimited; generated samples are still
    evaluated over 360 deg, footnote 2). Fresh views keep the dataset's renderer: a visual-hull or
    absorption-only file's training images are that projection in every mode. Killed runs resume
    when rerun; the output appears only when done.

    \b
    Examples:
      igbench render --category chairs --mode lvp
      igbench render --category bathtubs --mode one-per-model --preset cpu
      igbench render --category chairs --mode 500 --renderer visual-hull
      igbench render --category bathtubs --preset cpu --renderer mitsuba --spp 64
      igbench render --category tables --mode one-per-model --shard 0/8   # on 8 machines, then:
      igbench render merge data/procedural/table-*.shard*of8.h5 --out tables.h5
      igbench render --category tables --executor slurm --shards 8   # 8 Slurm jobs, then merged
    """
    if ctx.invoked_subcommand is not None:
        return
    from shapenet_render.dataset import make_spec, parse_shard, render_dataset

    if not category:
        raise click.UsageError("--category is required (e.g. --category chairs)")
    spec = make_spec(
        category,
        mode,
        preset,
        source=source,
        renderer=renderer,
        spp=spp,
        resolution=resolution,
        voxel_res=voxel_res,
        max_models=max_models,
        seed=seed,
    )
    target = Path(out or spec.default_path())
    cluster = cluster_from_options(Path(str(target) + ".jobs"), slots=jobs, **cluster_kw)
    if shards is not None and cluster is None:
        raise click.UsageError("--shards needs --executor (without it, render --shard i/n)")
    if cluster is not None and shard is not None:
        raise click.UsageError("--executor renders every shard: use --shards N, not --shard")
    click.echo(f"dataset: {spec.to_json()}")
    click.echo(f"output:  {target}")
    if dry_run:
        return
    if not resume and Path(str(target) + ".parts").exists() and not overwrite:
        raise click.ClickException(
            f"{target}.parts holds an interrupted run; drop --no-resume to continue it or pass --overwrite"
        )

    from shapenet_render.sources.registry import get_source

    try:  # a bad source is one line, before any progress bar starts
        shapes = get_source(spec.source)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    if cluster is not None:
        from benchmark.cluster_work import render_sharded

        if overwrite and target.exists():
            target.unlink()
        summary = render_sharded(spec, target, shards or 1, cluster, workers, click.echo)
        click.echo(
            summary.format()
            if summary
            else "rerun this command once the shard jobs have finished: it merges them"
        )
        return
    bar = progress_bar("rendering", unit="img")
    views = spec.n_views  # the bar counts images (models x views), so its rate is images/s
    try:  # the bar ends its line before anything else is printed, an error included
        summary = render_dataset(
            spec,
            out=target,
            source=shapes,
            workers=workers,
            overwrite=overwrite,
            shard=parse_shard(shard),
            progress=lambda done, total: bar.update_to(done * views, total * views),
        )
    finally:
        bar.close()
    click.echo(summary.format())
    for model_id, why in summary.skipped_ids[:20]:
        click.echo(f"  skipped {model_id}: {why}", err=True)


@render.command("merge")
@click.argument(
    "shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def render_merge(shards, out):
    """Join shard files (from --shard i/n) into the file an unsharded run writes.

    \b
    Example:
      igbench render merge data/procedural/chair-one-per-model-*.shard*of4.h5 --out chairs.h5
    """
    from shapenet_render.dataset_tools import merge_shards

    click.echo(merge_shards(list(shards), out).format())


@render.command("images")
@click.option(
    "--from",
    "folder",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of photos (png/jpg/...).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--resolution", type=click.IntRange(8, 1024), default=128, show_default=True)
@click.option(
    "--elevation",
    nargs=2,
    type=float,
    default=(15.0, 60.0),
    show_default=True,
    help="View elevation range the 3D model assumes.",
)
@click.option("--overwrite", is_flag=True)
def render_images(folder, out, resolution, elevation, overwrite):
    """Build a dataset from a folder of photos (the paper's Chanterelle setting).

    Centre crop, resize, gray, additive unification of the mean intensity; a masked background
    (alpha = 0, or black) is kept as is.

    \b
    Example:
      igbench render images --from ./chanterelles --out data/chanterelle.h5
    """
    from shapenet_render.dataset import DatasetError
    from shapenet_render.natural import photo_dataset

    if out.exists() and not overwrite:
        raise DatasetError(f"{out} already exists; pass --overwrite to replace it")
    path, n = photo_dataset(folder, out, resolution=resolution, elevation=tuple(elevation))
    click.echo(f"wrote {path}: {n} images of {resolution}x{resolution}")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def info(path):
    """Summarise a dataset file: source, mode, renderer, sizes, views, settings.

    \b
    Example:
      igbench info data/procedural/chair-lvp-opengl-r128-v64-s0.h5
    """
    from shapenet_render.dataset_tools import info as dataset_info

    click.echo(dataset_info(path))
