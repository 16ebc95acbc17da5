"""The off-the-shelf camera and the neural view transform see the same geometry.

The neural silhouette of a binary grid is the set of pixels whose ray (the D axis of the camera-frame
volume) meets trilinear occupancy >= 0.25 -- the value on a voxel's edge, since the silhouette of an
oblique view is drawn by edges. Over a set of views, its IoU with the OpenGL mask must be >= 0.95.
What remains is at grazing edges, where the 2N ray samples step over a sliver of a voxel.
"""

from __future__ import annotations

import pytest
import torch

from benchmark.experiments.bench_render import blob, chair_like
from shapenet_render.projection import view_transform
from shapenet_render.renderer import Renderer, RenderSettings

pytestmark = pytest.mark.gl

VIEWS = [(0.0, 0.0), (30.0, 20.0), (135.0, 45.0), (250.0, -25.0), (-60.0, 60.0), (200.0, 10.0)]


def _neural_silhouette(grid, azimuth, elevation):
    vol = torch.from_numpy(grid).float()[None, None]
    cam = view_transform(vol, torch.tensor([azimuth]), torch.tensor([elevation]))
    assert cam.shape[-1] == 2 * grid.shape[0]  # N^3 embedded into (2N)^3, as in the paper
    return (cam[0, 0].amax(dim=0) >= 0.25).numpy()


@pytest.mark.parametrize("voxel_res", [32, 64])  # cpu and paper preset sizes
@pytest.mark.parametrize("shape", ["chair", "blob"])
def test_transformed_volume_silhouette_matches_opengl_mask(voxel_res, shape):
    grid = chair_like(voxel_res) if shape == "chair" else blob(voxel_res)
    renderer = Renderer(RenderSettings(resolution=2 * voxel_res))
    inter = union = 0
    for az, el in VIEWS:
        gl_mask = renderer.render_voxels(grid, az, el, outputs=("mask",)).mask
        neural = _neural_silhouette(grid, az, el)
        inter += (gl_mask & neural).sum()
        union += (gl_mask | neural).sum()
        # Per view, the two never disagree by more than a thin rim.
        assert (gl_mask & neural).sum() / (gl_mask | neural).sum() > 0.9, (az, el)
    assert inter / union >= 0.95


def test_a_wrong_convention_would_be_caught():
    # Mirroring the azimuth (a sign error in either path) must break the agreement.
    grid = chair_like(32)
    renderer = Renderer(RenderSettings(resolution=64))
    gl_mask = renderer.render_voxels(grid, 30.0, 20.0, outputs=("mask",)).mask
    wrong = _neural_silhouette(grid, -30.0, 20.0)
    assert (gl_mask & wrong).sum() / (gl_mask | wrong).sum() < 0.85
