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
  igbench shapes preview --category bathtubs -n 16      # look at procedural bathtubs
  igbench bench render                                  # renderer throughput, naive vs ours
  igbench demo                                          # the main job on the embedded default
"""


class _Group(click.Group):
    """A click group that turns the library's expected errors into one clear line and exit 1."""

    def invoke(self, ctx):
        from shapenet_render.categories import UnknownCategoryError
        from shapenet_render.pool import RenderError
        from shapenet_render.sources.base import ShapeLoadError

        try:
            return super().invoke(ctx)
        except (gl.GLUnavailableError, RenderError, UnknownCategoryError, ShapeLoadError) as exc:
            raise click.ClickException(str(exc).splitlines()[0] if exc.args else repr(exc)) from exc


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
    help="procedural | cubes | shapenet:PATH | meshdir:PATH",
)
def shapes_list(source: str) -> None:
    """List a source's categories and model counts.

    \b
    Example:
      igbench shapes list --source procedural
    """
    src = _source(source)
    for cat in src.list_categories():
        click.echo(f"{cat:<14}{len(src.list_models(cat)):>7}")


@shapes.command("preview")
@click.option(
    "--source",
    default="procedural",
    show_default=True,
    help="procedural | cubes | shapenet:PATH | meshdir:PATH",
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
    grid, skipped = preview_shapes(
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
    save_png(grid, out)
    click.echo(f"wrote {out} ({count} models of {cat} from {source}; {skipped} skipped)")


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

    click.echo(bench_voxelize(n_faces=faces, resolution=voxel_res, repeats=repeats).format())


# -- demo -------------------------------------------------------------------------------------------
@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/demo"),
    show_default=True,
)
@click.option("-n", "count", type=click.IntRange(1, 100), default=16, show_default=True)
def demo(out, count):
    """The main job on the embedded default shape source.

    Until training lands this renders preview grids of the paper's categories (chairs, couches,
    bathtubs) and the renderer pre-training categories (tables, cubes).

    \b
    Example:
      igbench demo --out out/demo
    """
    from shapenet_render.preview import preview_shapes, save_png

    for spec, cat in [
        ("procedural", "chair"),
        ("procedural", "sofa"),
        ("procedural", "bathtub"),
        ("procedural", "table"),
        ("cubes", "cubes"),
    ]:
        grid, _ = preview_shapes(_source(spec), cat, n=count)
        path = out / f"preview_{cat}.png"
        save_png(grid, path)
        click.echo(f"wrote {path}")


def _source(spec: str):
    from shapenet_render.sources.registry import get_source

    try:
        return get_source(spec)
    except (ValueError, FileNotFoundError) as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
