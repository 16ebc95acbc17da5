"""Tiny dataset files for training tests: random boxes at 16^3 / 32^2, rendered in-process.

Made with the dataset writer directly (not a shape source), so the training tests depend only on
the renderer and the file format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shapenet_render.dataset import DatasetSpec, _write_h5, views_for
from shapenet_render.pool import load_triton_before_gl

# These fixtures render in the test process; torch.optim must find triton loaded before that.
load_triton_before_gl()


def random_box_grids(n_models: int, voxel_res: int, seed: int = 0) -> np.ndarray:
    """(n, N, N, N) bool: one or two random boxes each."""
    rng = np.random.default_rng(seed)
    n = voxel_res
    grids = np.zeros((n_models, n, n, n), bool)
    for g in grids:
        for _ in range(int(rng.integers(1, 3))):
            lo = rng.integers(0, n // 2, size=3)
            hi = lo + rng.integers(n // 4, n // 2, size=3)
            g[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return grids


def make_box_dataset(
    path: Path,
    mode: str = "one-per-model",
    n_models: int = 6,
    resolution: int = 32,
    voxel_res: int = 16,
    renderer: str = "opengl",
) -> Path:
    """Write a valid dataset file of random boxes (one view per model) and return its path.

    The images are the renderer's own: OpenGL renders, or a baseline's data-side projection
    (``visual-hull``, ``absorption-only``). Mode ``lvp`` is defined for chairs, so its file says
    category ``chair`` (the shapes are still boxes).
    """
    from shapenet_render.projection import project_views
    from shapenet_render.renderer import Renderer, RenderSettings

    spec = DatasetSpec(
        category="chair" if mode == "lvp" else "cubes",
        mode=mode,
        source="cubes",
        renderer=renderer,
        resolution=resolution,
        voxel_res=voxel_res,
        max_models=n_models,
    )
    grids = random_box_grids(n_models, voxel_res)
    views = [views_for(spec, i) for i in range(n_models)]
    if renderer == "opengl":
        r = Renderer(RenderSettings(resolution=resolution))
        images = np.stack(
            [
                r.render_voxels(g, float(a), float(e)).image
                for g, v in zip(grids, views, strict=True)
                for a, e in v
            ]
        )
    else:
        images = project_views(renderer, resolution, list(grids), views)
    part = {
        "model_ids": [f"box{i}" for i in range(n_models)],
        "positions": np.arange(n_models, dtype=np.int64),
        "voxels": np.stack([np.packbits(g) for g in grids]),
        "images": images,
        "views": np.concatenate(views).astype(np.float32),
        "image_model": np.repeat(np.arange(n_models), spec.n_views).astype(np.int32),
        "skipped": [],
    }
    _write_h5(Path(path), spec, [part])
    return Path(path)


@pytest.fixture(scope="session")
def box_data(tmp_path_factory) -> Path:
    """A one-per-model dataset of 6 box models at 16^3 / 32^2."""
    return make_box_dataset(tmp_path_factory.mktemp("data") / "boxes.h5")


@pytest.fixture(scope="session")
def box_data_unlimited(tmp_path_factory) -> Path:
    """The same boxes as an ``unlimited`` dataset (real images rendered as fresh views)."""
    return make_box_dataset(
        tmp_path_factory.mktemp("data") / "boxes-unlimited.h5", mode="unlimited"
    )


@pytest.fixture(scope="session")
def make_boxes():
    """:func:`make_box_dataset`, for tests that need other modes or renderers."""
    return make_box_dataset
