"""The ``igbench`` command line: thin commands that validate, build a config and call the library.

Every command prints one clear line and exits non-zero on bad input (see ``_Group.invoke``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

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
"""


class _Group(click.Group):
    """A click group that turns the library's expected errors into one clear line and exit 1."""

    def invoke(self, ctx):
        from benchmark.cli_errors import library_errors, one_line

        try:
            return super().invoke(ctx)
        except library_errors() as exc:
            raise one_line(exc) from exc


@click.group(cls=_Group, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
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


# -- shapes -----------------------------------------------------------------------------------------
@main.group(cls=_Group)
def shapes() -> None:
    """Look at shape sources: list categories, preview models."""


@shapes.command("list")
@click.option(
    "--source",
    default="procedural",
    show_default=True,
    help="procedural | cubes | shapenet:PATH | meshdir:PATH. A mesh folder's files are read in "
    "the frame its frame.json declares (default: +y up, front -z).",
)
def shapes_list(source: str) -> None:
    """List a source's categories and model counts.

    \b
    Example:
      igbench shapes list --source procedural
    """
    src = _source(source)
    categories = src.list_categories()
    if not categories:
        raise click.ClickException(f"{source}: no categories (expected one folder per category)")
    if hasattr(src, "frame_of"):  # a mesh folder: say which frame its files are read in
        where = src.frame_file or "undeclared: the world frame; see docs/conventions.md"
        click.echo(f"frame: {src.frame.describe()} ({where})")
    for cat in categories:
        line = f"{cat:<14}{len(src.list_models(cat)):>7}"
        if hasattr(src, "frame_of"):
            frame, path = src.frame_of(cat)
            if path is not None and path != src.frame_file:
                line += f"   frame: {frame.describe()} ({path})"
        click.echo(line)


@shapes.command("preview")
@click.option(
    "--source",
    default="procedural",
    show_default=True,
    help="procedural | cubes | shapenet:PATH | meshdir:PATH. A mesh folder's files are read in "
    "the frame its frame.json declares (default: +y up, front -z).",
)
@click.option("--category", required=True, help="Category name, alias or ShapeNet synset id.")
@click.option("-n", "count", type=click.IntRange(1, 400), default=16, show_default=True)
@click.option(
    "--start", type=click.IntRange(0), default=0, show_default=True, help="First model index."
)
@click.option("--resolution", type=click.IntRange(16, 1024), default=128, show_default=True)
@click.option("--voxel-res", type=click.IntRange(8, 256), default=64, show_default=True)
@click.option("--azimuth", type=float, default=30.0, show_default=True)
@click.option("--elevation", type=click.FloatRange(-89, 89), default=25.0, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PNG path (default: out/preview_<category>.png).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Render processes (default: one per core).",
)
def shapes_preview(
    source, category, count, start, resolution, voxel_res, azimuth, elevation, out, workers
):
    """Render a PNG grid of a category's models, voxelized as the datasets see them.

    \b
    Examples:
      igbench shapes preview --category bathtubs -n 16
      igbench shapes preview --source meshdir:./my_meshes --category mugs --voxel-res 32
    """
    from shapenet_render.categories import resolve_category
    from shapenet_render.preview import preview_shapes, save_png

    src = _source(source)
    cat = category if source.startswith("meshdir:") else resolve_category(category)
    preview = preview_shapes(
        src,
        cat,
        n=count,
        resolution=resolution,
        voxel_res=voxel_res,
        azimuth=azimuth,
        elevation=elevation,
        start=start,
        workers=workers,
    )
    out = out or Path("out") / f"preview_{cat}.png"
    save_png(preview.grid, out)
    shown, skipped = len(preview.model_ids), len(preview.skipped)
    click.echo(f"wrote {out} ({shown} models of {cat} from {source}; {skipped} skipped)")
    for model_id, why in preview.skipped:
        click.echo(f"  skipped {model_id}: {why}", err=True)


# -- render ---------------------------------------------------------------------------------------
PRESET = click.Choice(["paper", "cpu", "smoke"])


@main.group(cls=_Group, invoke_without_command=True)
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
    type=click.Choice(["opengl", "visual-hull", "absorption-only"]),
    default="opengl",
    show_default=True,
)
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
@click.pass_context
def render(
    ctx,
    category,
    mode,
    source,
    renderer,
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
      igbench render --category tables --mode one-per-model --shard 0/8   # on 8 machines, then:
      igbench render merge data/procedural/table-*.shard*of8.h5 --out tables.h5
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
        resolution=resolution,
        voxel_res=voxel_res,
        max_models=max_models,
        seed=seed,
    )
    target = out or spec.default_path()
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
    bar = _progress_bar("rendering", unit="img")
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
    from shapenet_render.dataset import merge_shards

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


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def info(path):
    """Summarise a dataset file: source, mode, renderer, sizes, views, settings.

    \b
    Example:
      igbench info data/procedural/chair-lvp-opengl-r128-v64-s0.h5
    """
    from shapenet_render.dataset import info as dataset_info

    click.echo(dataset_info(path))


@main.command("curves")
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


@main.command("report")
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


def _progress_bar(desc: str, unit: str):
    from tqdm import tqdm

    class _Bar(tqdm):
        def update_to(self, done: int, total: int) -> None:
            self.total = total
            self.update(done - self.n)

    return _Bar(desc=desc, unit=unit, dynamic_ncols=True, mininterval=0.5)


# -- bench ------------------------------------------------------------------------------------------
@main.group(cls=_Group)
def bench() -> None:
    """Performance benchmarks: our way against the naive way, in one run, as a ratio."""


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
def bench_render_cmd(images, resolution, voxel_res, workers):
    """Naive pyrender vs one persistent renderer vs the renderer pool.

    \b
    Example:
      igbench bench render --images 200
    """
    from benchmark.bench_render import bench_render

    click.echo(bench_render(images, resolution, voxel_res, workers).format())


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
    from benchmark.bench_dataset import bench_dataset
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
def bench_train_cmd(presets, batch, iterations, overrides, repeats):
    """Seconds per iteration split into G, view transform, R, D and rendering; render-wait share;
    the serial iteration against ours (the R step on two threads, overlap_r; the same losses) in
    one run, and their ratio.

    \b
    Examples:
      igbench bench train --presets cpu,paper --batch 8
      igbench bench train --presets cpu --iterations 30 --repeats 3
      igbench bench train --presets cpu --set torch_threads=2
    """
    from benchmark.bench_train import bench_train
    from benchmark.recover import RecoverError, parse_train_overrides
    from iggan.config import ConfigError

    try:
        pairs = parse_train_overrides(overrides)
    except RecoverError as exc:
        raise click.UsageError(str(exc)) from None
    for name in presets.split(","):
        its = iterations if name != "paper" else min(iterations, 4)
        try:
            result = bench_train(name.strip(), batch, its, pairs, repeats=repeats)
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
    from benchmark.bench_sources import bench_sources, format_table
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
    from benchmark.bench_voxelize import bench_voxelize

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
    from benchmark.bench_metrics3d import bench_metrics3d

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
      igbench bench recover --minutes 10 --set d_gate_accuracy=0.9 --outdir runs/try-gate
      igbench bench recover --minutes 30 --set d_gate_accuracy=0.9 --outdir runs/try-gate \
          --resume                                        # continue it to 30 minutes
    """
    from benchmark.cli_errors import library_errors
    from benchmark.recover import (
        RecoverConfig,
        format_header,
        format_row,
        format_summary,
        parse_train_overrides,
        read_records,
        recover,
    )

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
        outs = _recover_seeds(config, seed_list, jobs, settings, resume)
        records = [r for out in outs for r in read_records(out)]
        click.echo("")
        click.echo(format_summary(records))
        click.echo("records: " + ", ".join(str(out / "recover.jsonl") for out in outs))
        return
    shown: set[str] = set()

    def show(record):
        if record["start"] not in shown:
            shown.add(record["start"])
            click.echo(format_header(record))
        click.echo(format_row(record))

    try:
        result = recover(config, on_record=show, resume=resume)
    except errors as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    click.echo("")
    click.echo(format_summary(result.records))
    click.echo(f"records: {result.outdir / 'recover.jsonl'}")
    if result.interrupted:
        raise click.ClickException("interrupted; the records so far are written")


def _recover_seeds(config, seeds: list[int], jobs: int, settings, resume: bool) -> list[Path]:
    """Run one ``bench recover`` per seed into ``<outdir>/seed-<s>``: here one after the other, or
    ``jobs`` at a time as processes of this same command (logs in ``<outdir>/logs/``). Returns the
    seed folders. A failed seed is reported after the others have finished."""
    import dataclasses

    from benchmark.cli_errors import library_errors
    from benchmark.recover import format_header, format_row, recover
    from benchmark.tables import Job, TableError, run_jobs

    base = config.out_path
    outs = [base / f"seed-{s}" for s in seeds]
    if jobs == 1:
        for s, out in zip(seeds, outs, strict=True):
            click.echo(f"seed {s}: {out}")
            shown: set[str] = set()

            def show(record, shown=shown):
                if record["start"] not in shown:
                    shown.add(record["start"])
                    click.echo(format_header(record))
                click.echo(format_row(record))

            try:
                result = recover(
                    dataclasses.replace(config, seed=s, outdir=str(out)),
                    on_record=show,
                    resume=resume,
                )
            except library_errors() as exc:
                raise click.ClickException(f"seed {s}: {str(exc).splitlines()[0]}") from exc
            if result.interrupted:
                raise click.ClickException(f"seed {s}: interrupted; the records so far are written")
        return outs
    argv = [sys.executable, "-m", "benchmark.cli", "bench", "recover"]
    argv += ["--method", config.method, "--shape", config.shape, "--preset", config.preset]
    argv += ["--eval-every", str(config.eval_every), "--views", str(config.views)]
    argv += ["--start", "both" if len(config.starts) == 2 else config.starts[0]]
    if config.minutes is not None:
        argv += ["--minutes", repr(config.minutes)]
    if config.max_iterations is not None:
        argv += ["--iterations", str(config.max_iterations)]
    for text in settings:
        argv += ["--set", text]
    if resume:
        argv.append("--resume")
    work = [
        Job(
            f"seed {s}",
            [*argv, "--seed", str(s), "--outdir", str(out)],
            base / "logs" / f"seed-{s}.log",
        )
        for s, out in zip(seeds, outs, strict=True)
    ]
    try:
        run_jobs(work, jobs, click.echo)
    except TableError as exc:
        raise click.ClickException(str(exc)) from exc
    return outs


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
    from benchmark.recover import RecoverError, format_summary, read_records

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


def _register_commands() -> None:
    """Commands defined in their own modules (training, evaluation)."""
    from benchmark.cli_eval import classifier, eval_cmd, fid_cmd
    from benchmark.cli_tables import demo, table_commands
    from benchmark.cli_train import make_train_command, pretrain_renderer, sample_cmd, train
    from iggan.config import UNUSED_FIELDS

    main.add_command(classifier)
    main.add_command(fid_cmd)
    main.add_command(eval_cmd)
    main.add_command(train)
    main.add_command(pretrain_renderer)
    main.add_command(sample_cmd)
    main.add_command(demo)
    for command in table_commands():
        main.add_command(command)
    for method, text in [
        (
            "visual-hull",
            "Train the Visual Hull baseline (Gadelha et al. 2017) on a visual-hull dataset.",
        ),
        (
            "absorption-only",
            "Train the Absorption-Only baseline (Henzler et al. 2019) on an absorption-only dataset.",
        ),
        ("dcgan", "Train the 2D-DCGAN baseline (images only) on an OpenGL dataset."),
    ]:
        if method not in train.commands:
            train.add_command(make_train_command(method, text, skip=UNUSED_FIELDS[method]))


def _source(spec: str):
    from shapenet_render.sources.registry import get_source

    try:
        return get_source(spec)
    except (ValueError, FileNotFoundError) as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
