"""The off-the-shelf renderer: determinism, conventions, lighting, outputs and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from shapenet_render import conventions
from shapenet_render.renderer import Renderer, RenderSettings
from shapenet_render.voxmesh import voxels_to_faces, voxels_to_mesh

pytestmark = pytest.mark.gl


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return rows.mean(), cols.mean()


def _marker_only(grid):
    g = np.zeros_like(grid)
    g[24:30, 24:30, 2:8] = True
    return g


def test_same_input_gives_identical_pixels(renderer64, asym_grid):
    a = renderer64.render_voxels(asym_grid, 33.0, 21.0).image
    renderer64.render_voxels(np.ones((8, 8, 8), bool), 100.0, -10.0)  # something else in between
    b = renderer64.render_voxels(asym_grid, 33.0, 21.0).image
    assert a.dtype == np.uint8 and a.shape == (64, 64)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "azimuth, elevation, side, top",
    [
        (0.0, 0.0, "left", True),  # camera on -Z looks at the front: world +X is image left
        (180.0, 0.0, "right", True),  # from behind: +X is image right
        (90.0, 0.0, "center", True),  # camera on -X: the marker's x is depth, z=-0.4 is image left
    ],
)
def test_asymmetric_marker_lands_where_conventions_say(
    renderer64, asym_grid, azimuth, elevation, side, top
):
    marker = _marker_only(asym_grid)
    res = renderer64.render_voxels(marker, azimuth, elevation, outputs=("mask",))
    r, c = _centroid(res.mask)
    # Compare with the analytic projection of the marker's centre.
    centre = (np.array([27.0, 27.0, 5.0]) / 32.0) - 0.5
    ((pr, pc),) = conventions.project_points(centre[None], azimuth, elevation, 64)
    assert abs(r - pr) < 1.0 and abs(c - pc) < 1.0
    assert (r < 32) == top
    if side == "left":
        assert c < 32
    elif side == "right":
        assert c > 32
    if azimuth == 90.0:
        assert c < 32  # z = -0.4 lies to the camera's left when it looks along +X


def test_depth_is_distance_along_the_view_axis(renderer64):
    g = np.zeros((32, 32, 32), bool)
    g[:, :, 0:4] = True  # a slab at z in [-0.5, -0.375]: the near side for azimuth 0
    res = renderer64.render_voxels(g, 0.0, 0.0, outputs=("depth", "mask"))
    d = res.depth[res.mask]
    expected = conventions.CAMERA_DISTANCE - 0.5
    assert np.allclose(np.median(d), expected, atol=0.01)
    assert (res.depth[~res.mask] == 0).all()
    assert (d > 0).all()


def test_faces_towards_the_lights_are_brighter(renderer64):
    # Lights sit 45 deg below the camera: from a camera at elevation 30, the cube's top face gets
    # only ambient light while the faces turned towards the camera (and the lights) are bright.
    g = np.zeros((32, 32, 32), bool)
    g[8:24, 8:24, 8:24] = True
    for shading in ("lambert", "pyrender"):
        r = (
            renderer64
            if shading == "lambert"
            else Renderer(RenderSettings(resolution=64, shading=shading))
        )
        res = r.render_voxels(g, 45.0, 30.0, outputs=("normals", "mask"))
        n = res.normals.astype(float) / 255 * 2 - 1  # camera-frame normals
        img = res.image.astype(float)
        # Camera-frame light directions: (+-0.5, -0.707, 0.5); the top face's camera normal has
        # positive y; the sides have negative y components.
        top = res.mask & (n[..., 1] > 0.5)
        sides = res.mask & (n[..., 1] < 0.0)
        assert top.sum() > 50 and sides.sum() > 50
        assert img[sides].mean() > img[top].mean() + 40, shading


def test_shade_is_lambertian():
    s = RenderSettings()
    lights = s.light_directions(0.0, 0.0)
    assert np.allclose(np.linalg.norm(lights, axis=1), 1.0)
    # Lights are 45 deg below and 45 deg to either side of the camera (camera on -Z at azimuth 0).
    assert np.allclose(lights[:, 1], -np.sqrt(0.5))
    assert np.allclose(sorted(lights[:, 0]), [-0.5, 0.5])
    assert np.allclose(lights[:, 2], -0.5)
    facing_light = s.shade(lights[:1], 0.0, 0.0)[0]
    away = s.shade(-lights[:1], 0.0, 0.0)[0]
    assert away == pytest.approx(s.ambient)
    assert facing_light > away


def test_normal_map_encodes_camera_frame_normals(renderer64):
    g = np.zeros((32, 32, 32), bool)
    g[8:24, 8:24, 8:24] = True
    res = renderer64.render_voxels(g, 0.0, 0.0, outputs=("normals", "mask"))
    n = res.normals[res.mask].astype(float) / 255 * 2 - 1
    # Seen head-on, the visible face points at the camera: +z in camera coordinates.
    assert np.allclose(np.median(n, axis=0), [0, 0, 1], atol=0.02)


def test_mesh_and_voxel_paths_agree(renderer64, asym_grid):
    a = renderer64.render_voxels(asym_grid, 20.0, 35.0, outputs=("mask",)).mask
    b = renderer64.render_mesh(voxels_to_mesh(asym_grid), 20.0, 35.0, outputs=("mask",)).mask
    assert (a != b).sum() <= 2


def test_face_merging_keeps_the_surface(asym_grid):
    merged, plain = voxels_to_faces(asym_grid), voxels_to_faces(asym_grid, merge=False)
    assert len(merged.faces) < len(plain.faces) / 4
    mm = trimesh.Trimesh(merged.vertices.astype(float), merged.faces, process=False)
    pm = trimesh.Trimesh(plain.vertices.astype(float), plain.faces, process=False)
    assert mm.area == pytest.approx(pm.area)
    assert mm.volume == pytest.approx(asym_grid.mean())
    assert voxels_to_mesh(asym_grid).is_watertight


def test_empty_grid_gives_blank_image(renderer64):
    res = renderer64.render_voxels(
        np.zeros((16, 16, 16), bool), 10.0, 20.0, outputs=("mask", "depth")
    )
    assert (res.image == 0).all() and not res.mask.any() and (res.depth == 0).all()


@pytest.mark.parametrize(
    "grid, message",
    [
        (np.zeros((4, 4), bool), "cubic"),
        (np.zeros((4, 4, 5), bool), "cubic"),
        (np.zeros((4, 4, 4), np.float32), "dtype"),
        (np.full((4, 4, 4), 2, np.int64), "0 and 1"),
    ],
)
def test_bad_grids_are_rejected_clearly(renderer64, grid, message):
    with pytest.raises(ValueError, match=message):
        renderer64.render_voxels(grid, 0.0, 0.0)


def test_bad_meshes_are_rejected_clearly(renderer64):
    box = trimesh.creation.box()
    nan = box.copy()
    nan.vertices[0] = [np.nan, 0, 0]
    with pytest.raises(ValueError, match="non-finite"):
        renderer64.render_mesh(nan, 0.0, 0.0)
    with pytest.raises(ValueError, match="no faces"):
        renderer64.render_mesh(
            trimesh.Trimesh(vertices=np.zeros((3, 3)), faces=np.zeros((0, 3), int)), 0, 0
        )
    with pytest.raises(ValueError, match="invalid view"):
        renderer64.render_mesh(box, 0.0, 90.0)
    with pytest.raises(ValueError, match="unknown render outputs"):
        renderer64.render_mesh(box, 0.0, 0.0, outputs=("colour",))
