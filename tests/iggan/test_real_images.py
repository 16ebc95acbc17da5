"""Real images in every dataset mode come from the method's own data-side image formation.

For IG-GAN (OpenGL), Visual Hull (smoothed hard silhouettes) and Absorption-Only (its projection of
the binary voxels), in modes 500, one-per-model, unlimited and lvp: the real batch that reaches the
D step equals that image formation applied to the stored voxels at the batch's views. The expected
images are computed here, one image at a time, independently of the loop's code path.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import torch

from iggan.config import SMOKE
from iggan.registry import method_class
from iggan.training import RealImages, train
from shapenet_render import projection
from shapenet_render.dataset import ImageDataset, views_for

pytestmark = pytest.mark.gl

MODES = ("500", "one-per-model", "unlimited", "lvp")
METHOD_RENDERER = {
    "iggan": "opengl",
    "visual-hull": "visual-hull",
    "absorption-only": "absorption-only",
}


@pytest.fixture(scope="module")
def renderer32():
    from shapenet_render.renderer import Renderer, RenderSettings

    return Renderer(RenderSettings(resolution=32))


@pytest.fixture(scope="module")
def data(tmp_path_factory, make_boxes):
    root = tmp_path_factory.mktemp("modes")
    return {
        (r, m): make_boxes(root / f"{r}-{m}.h5", mode=m, n_models=5, renderer=r)
        for r in METHOD_RENDERER.values()
        for m in MODES
    }


def _formation(renderer: str, grid: np.ndarray, az: float, el: float, gl) -> np.ndarray:
    """(32, 32) uint8: one image of a binary grid by a dataset renderer."""
    if renderer == "opengl":
        return gl.render_voxels(grid, az, el).image
    vol = torch.from_numpy(grid).float()[None, None]
    fn = {
        "visual-hull": projection.visual_hull_images,
        "absorption-only": projection.absorption_only_images,
    }[renderer]
    img = fn(vol, torch.tensor([az]), torch.tensor([el]), 32)
    return projection.unit_to_uint8(img)[0, 0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", list(METHOD_RENDERER))
def test_real_batch_is_the_methods_data_side_formation(
    data, renderer32, tmp_path, monkeypatch, method, mode
):
    renderer = METHOD_RENDERER[method]
    path = data[(renderer, mode)]
    seen: list[torch.Tensor] = []
    cls = method_class(method)
    d_step = cls.d_step

    def spy(self, batch, fake, rendered):
        seen.append(batch.real.detach().clone())
        return d_step(self, batch, fake, rendered)

    monkeypatch.setattr(cls, "d_step", spy)
    # 3 iterations of 2 over 5 models: the third batch crosses into epoch 1.
    cfg = dataclasses.replace(
        SMOKE,
        method=method,
        data=str(path),
        device="cpu",
        render_workers=0,
        iterations=3,
        batch_size=2,
        sample_every=0,
    )
    train(cfg, tmp_path / "run", progress=False)
    assert len(seen) == 3

    ds = ImageDataset(path)
    real = RealImages(ds, cfg.batch_size, cfg.seed)
    fresh = mode in ("unlimited", "lvp")
    for it, got in enumerate(seen):
        for (epoch, unit), img in zip(real.units(it), got, strict=True):
            if fresh:
                model, k = divmod(unit, ds.spec.n_views)
                pos = int(ds._h5()["model_position"][model])
                az, el = views_for(ds.spec, pos, epoch)[k]
            else:
                model = int(ds._h5()["model_index"][unit])
                az, el = ds.view(unit)
                # The stored image itself is this formation of the stored voxels.
                np.testing.assert_array_equal(
                    ds.image(unit), _formation(renderer, ds.voxels(model), az, el, renderer32)
                )
            expected = _formation(renderer, ds.voxels(model), float(az), float(el), renderer32)
            np.testing.assert_array_equal(projection.from_network(img)[0], expected)
    if fresh:
        assert {e for it in range(3) for e, _ in real.units(it)} == {0, 1}


def test_lvp_views_stay_in_range_and_change_between_epochs(data):
    ds = ImageDataset(data[("opengl", "lvp")])
    assert ds.spec.azimuth_range == (-60.0, 60.0) and ds.spec.elevation_range == (15.0, 60.0)
    per_epoch = np.stack(
        [np.concatenate([ds.fresh_views(m, e) for m in range(5)]) for e in range(6)]
    )
    az, el = per_epoch[..., 0], per_epoch[..., 1]
    assert az.min() >= -60.0 and az.max() <= 60.0
    assert el.min() >= 15.0 and el.max() <= 60.0
    # Epoch 0 is what the file stores; every later epoch draws new views of every model.
    stored = np.array([ds.view(i) for i in range(len(ds))])
    np.testing.assert_allclose(per_epoch[0], stored, atol=1e-4)
    for e in range(1, 6):
        assert np.all(np.abs(per_epoch[e] - per_epoch[e - 1]).max(axis=1) > 1e-3)
    real = RealImages(ds, batch_size=5, seed=0)
    assert real.fresh and real.pooled


def test_info_and_render_help_say_how_each_mode_trains(data):
    from click.testing import CliRunner

    from benchmark.cli import main
    from shapenet_render.dataset_tools import info

    lvp = info(data[("visual-hull", "lvp")])
    assert "fresh views every epoch within the limited viewpoints" in lvp
    assert "evaluated over 360 deg" in lvp and "own image formation" in lvp
    assert "fresh views every epoch" in info(data[("opengl", "unlimited")])
    text = info(data[("opengl", "500")])
    assert "the stored images, reshuffled every epoch" in text
    # The file's HDF5 datasets with their shapes and dtypes (5 models of 16^3, 32^2 images).
    assert re.search(r"^\s+images\s+\(5, 32, 32\)\s+uint8$", text, re.M), text
    assert re.search(r"^\s+voxels\s+\(5, 512\)\s+uint8$", text, re.M), text
    assert re.search(r"^\s+azimuth\s+\(5,\)\s+float32$", text, re.M), text
    help_text = " ".join(CliRunner().invoke(main, ["render", "--help"]).output.split())
    assert "like unlimited, fresh views each epoch" in help_text
    assert "evaluated over 360 deg" in help_text
