"""The Mitsuba 3 path tracer as an off-the-shelf renderer: the OpenGL path's cameras and mesh,
deterministic for a seed, and one clear line when it cannot load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shapenet_render.mitsuba_renderer import MitsubaUnavailableError

ROOT = Path(__file__).resolve().parents[2]
VIEWS = [(30.0, 20.0), (200.0, 45.0), (-100.0, 10.0)]


@pytest.fixture(scope="module")
def mitsuba():
    from shapenet_render.mitsuba_renderer import MitsubaRenderer, MitsubaSettings

    try:
        return MitsubaRenderer(MitsubaSettings(resolution=64, spp=16))
    except MitsubaUnavailableError as exc:  # `make setup` installs both; a bare pip install may not
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def shapes():
    from shapenet_render.sources.registry import get_source
    from shapenet_render.voxelize import voxelize

    src = get_source("procedural")
    return [
        voxelize(src.load(c, m), 32) for c in ("chair", "bathtub") for m in ("000000", "000001")
    ]


@pytest.mark.gl
def test_silhouettes_match_the_opengl_path(mitsuba, shapes):
    from shapenet_render.renderer import Renderer, RenderSettings

    gl = Renderer(RenderSettings(resolution=64))
    ious = []
    for grid in shapes:
        for az, el in VIEWS:
            a = mitsuba.render_voxels(grid, az, el, seed=0)
            b = gl.render_voxels(grid, az, el, outputs=("image", "mask")).mask
            assert a.image.shape == (64, 64) and a.image.dtype == np.uint8
            ious.append((a.mask & b).sum() / (a.mask | b).sum())
    # 16 samples per pixel: edge pixels' coverage is noisy, the shapes are the same
    assert np.mean(ious) >= 0.95 and min(ious) >= 0.9, ious


def test_a_seed_gives_the_same_image_and_another_seed_other_noise(mitsuba, shapes):
    a = mitsuba.render_voxels(shapes[0], 30.0, 20.0, seed=3).image
    assert np.array_equal(a, mitsuba.render_voxels(shapes[0], 30.0, 20.0, seed=3).image)
    b = mitsuba.render_voxels(shapes[0], 30.0, 20.0, seed=4).image
    assert not np.array_equal(a, b) and abs(float(a.mean()) - float(b.mean())) < 2.0


def test_shadows_darken_what_the_opengl_path_lights_evenly(mitsuba):
    """A slab over a post (a table): from a view below the slab's level, the post's faces under
    the slab get no sun in the path tracer, so the post is darker than the slab's lit side; the
    OpenGL path shades each face by its normal alone and gives the post's front the slab's front
    shade."""
    grid = np.zeros((32, 32, 32), bool)
    grid[4:28, 20:23, 4:28] = True  # slab (y is up)
    grid[14:18, 2:20, 14:18] = True  # post under it
    img = mitsuba.render_voxels(grid, 0.0, 5.0, seed=0)
    from shapenet_render.conventions import project_points, voxel_centers

    c = voxel_centers(32)
    slab = project_points(np.array([[0.0, c[21], c[4]]]), 0.0, 5.0, 64)[0].astype(int)
    post = project_points(np.array([[0.0, c[12], c[14]]]), 0.0, 5.0, 64)[0].astype(int)
    lit = float(img.image[slab[0], slab[1]])
    shaded = float(img.image[post[0], post[1]])
    assert img.mask[post[0], post[1]] and shaded < 0.75 * lit, (shaded, lit)


def test_empty_grid_is_background(mitsuba):
    out = mitsuba.render_voxels(np.zeros((8, 8, 8), bool), 0.0, 10.0)
    assert not out.image.any() and not out.mask.any()


def test_a_missing_llvm_is_one_line_naming_the_fix():
    code = (
        "from shapenet_render.mitsuba_renderer import load_mitsuba\n"
        "try:\n    load_mitsuba()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    env = dict(os.environ, DRJIT_LIBLLVM_PATH="/nonexistent/libLLVM.so", PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    line = res.stdout.strip()
    assert line.startswith("MitsubaUnavailableError mitsuba renderer: DRJIT_LIBLLVM_PATH=")
    assert "libllvm19" in line and "\n" not in line


def test_depth_and_normals_are_opengl_outputs(mitsuba, shapes):
    with pytest.raises(ValueError, match="image and mask only, not normals"):
        mitsuba.render_voxels(shapes[0], 30.0, 20.0, outputs=("image", "normals"))


def test_a_pool_of_mitsuba_workers_renders_what_one_renderer_does(mitsuba, shapes):
    from shapenet_render.mitsuba_renderer import MitsubaSettings
    from shapenet_render.pool import RenderItem, open_render_pool

    items = [RenderItem.voxels(g, az, el) for g in shapes for az, el in VIEWS[:2]]
    pool = open_render_pool(MitsubaSettings(resolution=64, spp=16), workers=2, voxel_res=32)
    try:
        pooled = [r.image for r in pool.render(items)]
    finally:
        pool.close()
    # each image's sampler seed comes from its grid and view, not from the worker or the order
    alone = [mitsuba.render_voxels(it.grid(), it.azimuth, it.elevation).image for it in items]
    assert all(np.array_equal(a, b) for a, b in zip(pooled, alone, strict=True))


def test_a_mitsuba_dataset_is_the_opengl_datasets_shapes_path_traced(mitsuba, tmp_path):
    from shapenet_render.dataset import ImageDataset, make_spec, render_dataset
    from shapenet_render.mitsuba_renderer import MitsubaSettings
    from shapenet_render.renderer import RenderSettings

    spec = make_spec("chair", "one-per-model", "smoke", renderer="mitsuba", max_models=8)
    one = render_dataset(spec, tmp_path / "one.h5", workers=1).path
    two = render_dataset(spec, tmp_path / "two.h5", workers=2).path
    a, b = ImageDataset(one), ImageDataset(two)

    def images(ds):
        return np.stack([ds.image(i) for i in range(len(ds))])

    assert np.array_equal(images(a), images(b))  # any worker count, the same file
    settings = a.render_settings()
    assert isinstance(settings, MitsubaSettings) and settings.resolution == spec.resolution
    assert a.opengl_settings() == RenderSettings(resolution=spec.resolution)
    gl_spec = make_spec("chair", "one-per-model", "smoke", max_models=8)
    gl = ImageDataset(render_dataset(gl_spec, tmp_path / "gl.h5", workers=1).path)
    assert np.array_equal(gl.voxels(3), a.voxels(3))  # the same models at the same views
    assert [gl.view(i) for i in range(len(gl))] == [a.view(i) for i in range(len(a))]
    mi_mask, gl_mask = images(a) > 0, images(gl) > 0
    assert (mi_mask & gl_mask).sum() / (mi_mask | gl_mask).sum() >= 0.9
    assert not np.array_equal(images(a), images(gl))


def test_samples_per_pixel_are_a_dataset_setting_that_lowers_the_noise(mitsuba, tmp_path):
    from shapenet_render.dataset import ImageDataset, make_spec, render_dataset
    from shapenet_render.mitsuba_renderer import MitsubaRenderer, MitsubaSettings

    def dataset(spp):
        spec = make_spec(
            "chair", "one-per-model", "smoke", renderer="mitsuba", spp=spp, max_models=4
        )
        assert spec.default_path().name.endswith(f"-s0-m4-spp{spp}.h5")  # apart from the default
        return ImageDataset(render_dataset(spec, tmp_path / f"spp{spp}.h5", workers=1).path)

    few, many = dataset(4), dataset(64)
    assert few.render_settings().spp == 4 and many.render_settings().spp == 64
    reference = MitsubaRenderer(MitsubaSettings(resolution=few.resolution, spp=256))
    err = {4: [], 64: []}
    assert len(few) == few.n_models  # one view per model: image i shows model i
    for i in range(len(few)):
        truth = reference.render_voxels(few.voxels(i), *few.view(i)).image
        for spp, ds in ((4, few), (64, many)):
            err[spp].append(np.abs(ds.image(i).astype(float) - truth).mean())
    assert np.mean(err[64]) < 0.5 * np.mean(err[4])  # noise ~ 1/sqrt(spp): 4x less expected
    # A spec without spp stores no spp key: files made before the setting keep their spec.
    assert "spp" not in make_spec("chair", "500", "smoke", renderer="mitsuba").to_json()


def test_spp_without_mitsuba_is_refused_in_one_line():
    res = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", "render", "--category", "chairs", "--spp", "4"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode != 0
    assert res.stderr.strip().splitlines() == [
        "Error: spp 4: samples per pixel need renderer mitsuba (not opengl) and >= 1"
    ]
