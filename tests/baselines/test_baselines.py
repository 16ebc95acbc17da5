"""Baselines: they train in the shared loop, and their training-time image formation reproduces
the dataset images they are trained on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from iggan.config import preset as get_preset
from iggan.methods import build_method
from iggan.registry import METHOD_NAMES, UnknownMethodError, method_class
from iggan.rundir import read_log
from iggan.training import train
from shapenet_render import projection
from shapenet_render.dataset import ImageDataset, make_spec, render_dataset

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline-data")
    return {
        r: render_dataset(
            make_spec("cubes", "one-per-model", "smoke", renderer=r, max_models=8),
            out=root / f"{r}.h5",
            workers=1,
        ).path
        for r in ("opengl", "visual-hull", "absorption-only")
    }


def test_the_registry_names_every_method_and_its_data():
    assert set(METHOD_NAMES) == {"visual-hull", "absorption-only", "dcgan", "iggan"}
    assert method_class("visual-hull").dataset_renderer == "visual-hull"
    assert method_class("dcgan").dataset_renderer == "opengl"
    assert method_class("iggan").dataset_renderer == "opengl"


def test_an_unknown_method_is_one_clear_error():
    with pytest.raises(UnknownMethodError, match="unknown method 'vh'; choose one of iggan"):
        method_class("vh")


def test_absorption_only_trains_through_its_dataset_formation(datasets):
    ds = ImageDataset(datasets["absorption-only"])
    config = get_preset("smoke", method="absorption-only", data=str(ds.path), device="cpu")
    m = build_method(config, torch.device("cpu"))
    for i in range(3):
        vol = torch.from_numpy(ds.voxels(int(i))).float()[None, None]
        az, el = ds.view(i)
        img = m.project(vol, torch.tensor([az]), torch.tensor([el]))
        np.testing.assert_array_equal(projection.from_network(img)[0, 0], ds.image(i))


def test_visual_hull_generator_side_is_prgans_tau_1_projection(datasets):
    """PrGAN: data = smoothed hard silhouettes (tau = 10, blur), generator = 1 - exp(-sum x) with
    tau = 1 per voxel and no blur. The dataset holds the first; G is seen through the second."""
    ds = ImageDataset(datasets["visual-hull"])
    config = get_preset("smoke", method="visual-hull", data=str(ds.path), device="cpu")
    m = build_method(config, torch.device("cpu"))
    for i in range(3):
        vol = torch.from_numpy(ds.voxels(int(i))).float()[None, None]
        az, el = torch.tensor([ds.view(i)[0]]), torch.tensor([ds.view(i)[1]])
        data_side = projection.visual_hull_images(vol, az, el, config.image_res)
        np.testing.assert_array_equal(projection.unit_to_uint8(data_side)[0, 0], ds.image(i))
        g_side = (m.project(vol, az, el) + 1) / 2
        expected = projection.visual_hull_generator_images(vol, az, el, config.image_res)
        torch.testing.assert_close(g_side, expected)
        assert float((g_side - data_side).abs().max()) > 0.2  # the two sides differ


@pytest.mark.parametrize(
    "method, data",
    [("visual-hull", "visual-hull"), ("absorption-only", "absorption-only"), ("dcgan", "opengl")],
)
def test_volumes_only_samples(datasets, method, data):
    """Evaluation asks for volumes only: the 3D baselines leave their projections out, the
    2D-DCGAN (no volumes) still returns its images."""
    config = get_preset("smoke", method=method, data=str(datasets[data]), device="cpu")
    m = build_method(config, torch.device("cpu"))
    z = torch.randn(2, config.z_dim)
    az, el = torch.tensor([0.0, 90.0]), torch.tensor([20.0, 30.0])
    full = m.sample(z, az, el)
    out = m.sample(z, az, el, volumes_only=True)
    if method == "dcgan":
        assert set(out) == {"images"} and torch.equal(out["images"], full["images"])
    else:
        assert set(out) == {"volumes"} and torch.equal(out["volumes"], full["volumes"])


@pytest.mark.parametrize(
    "method, data",
    [("visual-hull", "visual-hull"), ("absorption-only", "absorption-only"), ("dcgan", "opengl")],
)
def test_smoke_training_of_each_baseline(datasets, tmp_path, method, data):
    config = get_preset("smoke", method=method, data=str(datasets[data]), device="cpu")
    train(config, tmp_path / method, progress=False)
    log = read_log(tmp_path / method)
    assert len(log) == config.iterations  # smoke logs every iteration
    assert all(np.isfinite(r["loss_g"]) and np.isfinite(r["loss_d"]) for r in log)
    assert list((tmp_path / method).rglob("*.pt"))  # a checkpoint to resume and sample from


def test_baseline_refuses_the_wrong_dataset(datasets, tmp_path):
    config = get_preset("smoke", method="visual-hull", data=str(datasets["opengl"]), device="cpu")
    with pytest.raises(Exception, match="visual-hull"):
        train(config, tmp_path / "wrong", progress=False)


def test_gradients_reach_the_generator_through_the_projection(datasets):
    config = get_preset(
        "smoke", method="visual-hull", data=str(datasets["visual-hull"]), device="cpu"
    )
    m = build_method(config, torch.device("cpu"))
    z = torch.randn(2, config.z_dim)
    vol = m.G(z)
    img = m.project(vol, torch.tensor([10.0, 200.0]), torch.tensor([20.0, 40.0]))
    img.sum().backward()
    assert all(p.grad is not None for p in m.G.parameters() if p.requires_grad)
