"""``igbench shapes``: list and preview the shapes a source holds."""

from __future__ import annotations

from pathlib import Path

import click

from benchmark.cli.common import Group, source_from_spec


# -- shapes -----------------------------------------------------------------------------------------
@click.group(cls=Group)
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
    src = source_from_spec(source)
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

    src = source_from_spec(source)
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
