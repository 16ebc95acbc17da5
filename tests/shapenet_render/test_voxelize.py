"""Voxelization: volumes of closed meshes, robustness to broken meshes, grid conventions."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy import ndimage

from shapenet_render.conventions import voxel_centers
from shapenet_render.voxelize import voxel_iou, voxelize


def _volume(grid: np.ndarray) -> float:
    return grid.sum() / grid.size  # count * (1 / N)^3


def _centres(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = voxel_centers(n)
    return np.meshgrid(c, c, c, indexing="ij")


def _rotated_box() -> trimesh.Trimesh:
    box = trimesh.creation.box(extents=[0.6, 0.35, 0.25])
    box.apply_transform(trimesh.transformations.euler_matrix(0.3, 0.5, 0.2))
    return box


def _boolean_shape() -> trimesh.Trimesh:
    """A box with a cylindrical hole through it and a sphere bulging from one side (manifold3d)."""
    box = trimesh.creation.box(extents=[0.8, 0.5, 0.5])
    hole = trimesh.creation.cylinder(radius=0.15, height=1.0, sections=64)
    bump = trimesh.creation.icosphere(subdivisions=3, radius=0.2)
    bump.apply_translation([0.25, 0.25, 0.0])
    shape = trimesh.boolean.difference([box, hole], engine="manifold")
    return trimesh.boolean.union([shape, bump], engine="manifold")


CLOSED_MESHES = {
    "rotated_box": _rotated_box,
    "sphere": lambda: trimesh.creation.icosphere(subdivisions=4, radius=0.45),
    "torus": lambda: trimesh.creation.torus(0.3, 0.12, major_sections=64, minor_sections=32),
    "boolean": _boolean_shape,
}


@pytest.mark.parametrize("name", sorted(CLOSED_MESHES))
@pytest.mark.parametrize("n", [32, 64])
def test_closed_mesh_volume_within_5_percent(name, n):
    mesh = CLOSED_MESHES[name]()
    assert mesh.is_watertight
    grid = voxelize(mesh, n)
    assert grid.shape == (n, n, n) and grid.dtype == bool
    assert _volume(grid) == pytest.approx(mesh.volume, rel=0.05)


@pytest.mark.parametrize("n", [32, 64])
def test_axis_aligned_box_is_exactly_the_voxels_whose_centre_is_inside(n):
    extents = np.array([0.9, 0.55, 0.3])  # faces between voxel centres, some on voxel faces at 64
    grid = voxelize(trimesh.creation.box(extents=extents), n)
    x, y, z = _centres(n)
    truth = (abs(x) < extents[0] / 2) & (abs(y) < extents[1] / 2) & (abs(z) < extents[2] / 2)
    assert np.array_equal(grid, truth)


def test_sphere_matches_analytic_occupancy_at_all_resolutions():
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.4)
    for n in (32, 64, 128):
        x, y, z = _centres(n)
        # The icosphere is inscribed in the analytic sphere; compare with centres inside it.
        truth = x**2 + y**2 + z**2 < 0.4**2
        assert voxel_iou(voxelize(mesh, n), truth) > 0.95


def test_holes_smaller_than_a_voxel_do_not_empty_the_inside():
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.45)  # edges ~0.6 voxel at 32^3
    rng = np.random.default_rng(0)
    keep = rng.random(len(sphere.faces)) > 0.03  # remove 3 % of the faces
    holey = trimesh.Trimesh(sphere.vertices, sphere.faces[keep], process=False)
    assert not holey.is_watertight
    full, broken = voxelize(sphere, 32), voxelize(holey, 32)
    assert voxel_iou(full, broken) > 0.95
    assert broken[16, 16, 16]  # the centre is still filled


def test_overlapping_parts_without_union_fill_like_the_union():
    a = trimesh.creation.box(extents=[0.6, 0.3, 0.3])
    b = trimesh.creation.box(extents=[0.3, 0.7, 0.4])
    b.apply_translation([0.15, 0.1, 0.05])
    overlapping = trimesh.util.concatenate([a, b])  # internal faces, no boolean
    union = trimesh.boolean.union([a, b], engine="manifold")
    grid = voxelize(overlapping, 64)
    assert voxel_iou(grid, voxelize(union, 64)) > 0.98
    assert _volume(grid) == pytest.approx(union.volume, rel=0.05)
    # The volume inside both boxes is solid, not a void bounded by internal faces.
    i = int((0.15 + 0.5) * 64)
    assert grid[i, 32, 33]


def test_flipped_normals_change_nothing():
    mesh = CLOSED_MESHES["boolean"]()
    inverted = mesh.copy()
    inverted.invert()
    half = mesh.copy()
    faces = half.faces.copy()
    faces[::2] = faces[::2, ::-1]  # every other face flipped: inconsistent winding
    half.faces = faces
    reference = voxelize(mesh, 64)
    assert not half.is_winding_consistent
    assert np.array_equal(voxelize(inverted, 64), reference)
    assert np.array_equal(voxelize(half, 64), reference)


def test_internal_faces_change_nothing():
    box = trimesh.creation.box(extents=[0.8, 0.4, 0.4])
    wall = trimesh.creation.box(extents=[0.001, 0.4, 0.4])  # a sheet-like part inside the box
    assert np.array_equal(voxelize(trimesh.util.concatenate([box, wall]), 64), voxelize(box, 64))


def test_open_sheet_gives_one_voxel_thick_layer():
    n = 64
    z = 0.1
    sheet = trimesh.Trimesh(
        vertices=[[-0.4, -0.3, z], [0.4, -0.3, z], [0.4, 0.3, z], [-0.4, 0.3, z]],
        faces=[[0, 1, 2], [0, 2, 3]],
    )
    grid = voxelize(sheet, n)
    layers = np.flatnonzero(grid.any(axis=(0, 1)))
    assert layers.tolist() == [int((z + 0.5) * n)]
    layer = grid[:, :, layers[0]]
    # Every voxel the sheet touches: x in [-0.4, 0.4] -> 6.4..57.6 -> voxels 6..57; y -> 12..51.
    expected = np.zeros((n, n), dtype=bool)
    expected[6:58, 12:52] = True
    assert np.array_equal(layer, expected)


def test_thin_closed_plate_and_rod_survive():
    n = 32
    plate = trimesh.creation.box(extents=[0.8, 0.3 / n, 0.6])  # 0.3 voxel thick...
    plate.apply_translation([0.0, 0.2 / n, 0.0])  # ...inside voxel layer 16, missing its centres
    grid = voxelize(plate, n)
    assert grid.any(axis=(0, 2)).sum() == 1  # exactly one layer...
    assert grid.sum() >= int(0.8 * n) * int(0.6 * n)  # ...and all of it

    rod = trimesh.creation.cylinder(radius=0.2 / n, height=0.8, sections=16)
    rod.apply_transform(trimesh.transformations.rotation_matrix(0.6, [1.0, 0.3, 0.0]))
    grid = voxelize(rod, n)
    _, parts = ndimage.label(grid, structure=np.ones((3, 3, 3)))
    assert parts == 1  # a thin slanted rod stays connected


def test_open_concavity_stays_empty():
    """A tub (box minus a box open at the top) keeps its cavity; a closed box would be filled."""
    outer = trimesh.creation.box(extents=[0.8, 0.4, 0.5])
    cavity = trimesh.creation.box(extents=[0.6, 0.4, 0.3])
    cavity.apply_translation([0.0, 0.1, 0.0])
    tub = trimesh.boolean.difference([outer, cavity], engine="manifold")
    grid = voxelize(tub, 64)
    assert not grid[32, 40, 32]  # inside the cavity
    assert grid[32, 22, 32]  # in the floor (y from -0.2 to -0.1: voxels 20..25)
    assert _volume(grid) == pytest.approx(tub.volume, rel=0.05)


def test_index_order_and_voxel_centres():
    n = 32
    box = trimesh.creation.box(extents=[0.125, 0.125, 0.125])  # 4 voxels wide
    box.apply_translation([0.25, 0.125, -0.25])  # +X, +Y, -Z
    grid = voxelize(box, n)
    ijk = np.argwhere(grid)
    # x in [0.1875, 0.3125] -> voxels 22..25; y in [0.0625, 0.1875] -> 18..21; z -> 6..9.
    assert ijk.min(axis=0).tolist() == [22, 18, 6]
    assert ijk.max(axis=0).tolist() == [25, 21, 9]
    assert len(ijk) == 4**3
    centres = voxel_centers(n)[ijk]
    np.testing.assert_allclose(centres.mean(axis=0), [0.25, 0.125, -0.25], atol=1e-12)


def test_surface_only_and_conservative_modes():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.4)
    surface = voxelize(sphere, 32, fill=False)
    solid = voxelize(sphere, 32)
    fat = voxelize(sphere, 32, conservative=True)
    assert not surface[16, 16, 16] and solid[16, 16, 16]
    assert (solid <= fat).all() and fat.sum() > solid.sum()
    assert (surface <= fat).all()


def test_mesh_outside_the_unit_cube_is_refused():
    with pytest.raises(ValueError, match="unit cube"):
        voxelize(trimesh.creation.box(extents=[1.2, 0.5, 0.5]), 32)
    with pytest.raises(ValueError, match="resolution"):
        voxelize(trimesh.creation.box(extents=[0.5, 0.5, 0.5]), 0)


def test_voxel_iou():
    a = np.zeros((4, 4, 4), dtype=bool)
    b = a.copy()
    assert voxel_iou(a, b) == 1.0
    a[0, 0, :2] = True
    b[0, 0, 1:3] = True
    assert voxel_iou(a, b) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        voxel_iou(a, np.zeros((2, 2, 2), dtype=bool))
