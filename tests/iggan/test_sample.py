"""Sampling a run (iggan.sample): meshes by marching cubes and render grids."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import trimesh
from PIL import Image

from iggan.config import SMOKE
from iggan.sample import sample, volume_to_mesh
from iggan.training import train


def test_volume_to_mesh_is_in_world_units_and_closed():
    n = 16
    vol = np.zeros((n, n, n), np.float32)
    vol[4:12, 0:8, 2:6] = 1.0  # x in [-0.25, 0.25], y in [-0.5, 0], z in [-0.375, -0.125]
    mesh = volume_to_mesh(vol, 0.5)
    assert mesh.is_watertight and mesh.volume > 0  # outward faces
    lo, hi = mesh.bounds
    np.testing.assert_allclose(lo, [-0.25, -0.5, -0.375], atol=1.0 / n)
    np.testing.assert_allclose(hi, [0.25, 0.0, -0.125], atol=1.0 / n)
    assert volume_to_mesh(np.zeros((n, n, n)), 0.5) is None
    with pytest.raises(ValueError):
        volume_to_mesh(np.zeros((4, 4)), 0.5)


@pytest.mark.gl
def test_sample_writes_meshes_and_grids(box_data, tmp_path):
    cfg = dataclasses.replace(
        SMOKE,
        data=str(box_data),
        render_workers=0,
        device="cpu",
        iterations=1,
        sample_every=0,
        g_out_bias=2.0,  # dense volumes: every sample has a surface
    )
    train(cfg, tmp_path / "run", progress=False)
    result = sample(tmp_path / "run", n=3, out=tmp_path / "s", formats=("obj", "ply"))
    assert result.iteration == 1 and not result.empty
    assert sorted(p.name for p in result.meshes) == [
        f"sample_{i:03d}.{f}" for i in range(3) for f in ("obj", "ply")
    ]
    mesh = trimesh.load(tmp_path / "s" / "sample_000.obj", force="mesh")
    assert len(mesh.faces) > 0 and np.all(np.abs(mesh.bounds) <= 0.5 + 1e-6)
    vols = np.load(tmp_path / "s" / "volumes.npy")
    assert vols.shape == (3, 16, 16, 16) and vols.dtype == np.float16
    for name in ("renders.png", "neural.png", "normals.png"):
        assert (tmp_path / "s" / name).is_file()
    # normal maps: colour images whose surfaces face several ways (several colours)
    normals = np.asarray(Image.open(tmp_path / "s" / "normals.png"))
    assert normals.ndim == 3 and normals.shape[2] == 3
    assert len(np.unique(normals.reshape(-1, 3), axis=0)) >= 3
    sample(tmp_path / "run", n=3, out=tmp_path / "s2")
    np.testing.assert_array_equal(np.load(tmp_path / "s2" / "volumes.npy"), vols)  # seeded
