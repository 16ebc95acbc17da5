"""The neural path's geometry and the baselines' projections (shapenet_render.projection)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial import Delaunay

from shapenet_render import conventions
from shapenet_render.conventions import VIEW_HALF_EXTENT
from shapenet_render.projection import (
    absorption_only_images,
    absorption_only_projection,
    camera_axes_torch,
    data_side_images,
    from_network,
    gaussian_blur,
    platonicgan_alpha,
    ray_step_in_voxels,
    resize_images,
    to_network,
    unit_to_network,
    unit_to_uint8,
    view_transform,
    visual_hull_generator_images,
    visual_hull_images,
    visual_hull_projection,
)


def _corner_block(n: int) -> torch.Tensor:
    """(1, 1, n, n, n) with a block in the +X, +Y, -Z corner (asymmetric on every axis)."""
    v = torch.zeros(1, 1, n, n, n)
    q = n // 4
    v[0, 0, n - 2 * q : n - q, n - 2 * q : n - q, q : 2 * q] = 1.0
    return v


def _centroid(cam: torch.Tensor) -> np.ndarray:
    """Occupancy-weighted mean (d, h, w) index of a (1, 1, M, M, M) camera volume."""
    w = cam[0, 0].double()
    idx = torch.meshgrid(*[torch.arange(s, dtype=torch.float64) for s in w.shape], indexing="ij")
    return np.array([float((w * i).sum() / w.sum()) for i in idx])


def _block_centre_world(n: int) -> np.ndarray:
    q = n // 4
    lo = np.array([n - 2 * q, n - 2 * q, q], dtype=np.float64)
    return (lo + q / 2.0) / n - 0.5  # centre of the block's voxels, world units


@pytest.mark.parametrize("view", [(0.0, 0.0), (90.0, 0.0), (30.0, 40.0), (200.0, -25.0)])
def test_camera_axes_match_conventions(view):
    axes = camera_axes_torch(torch.tensor([view[0]]), torch.tensor([view[1]]))[0]
    np.testing.assert_allclose(axes.numpy(), conventions.camera_axes(*view), atol=1e-6)


def test_front_view_puts_the_corner_block_left_top_near():
    # Azimuth 0: camera on -Z looking along +Z, right = world -X, up = +Y; the block sits at
    # +X (-> image left), +Y (-> top) and -Z (-> near the camera, small D index).
    n = 16
    cam = view_transform(_corner_block(n), torch.tensor([0.0]), torch.tensor([0.0]))
    m = cam.shape[2]
    assert cam.shape == (1, 1, 2 * n, 2 * n, 2 * n)
    d, h, w = _centroid(cam)
    assert w < m / 2 and h < m / 2 and d < m / 2
    # Exactly where the camera convention projects it (centroid in pixel-centre units).
    row, col = conventions.project_points(_block_centre_world(n)[None], 0.0, 0.0, m)[0]
    assert abs(h + 0.5 - row) < 0.3 and abs(w + 0.5 - col) < 0.3
    depth = (VIEW_HALF_EXTENT + _block_centre_world(n)[2]) / (2 * VIEW_HALF_EXTENT) * m
    assert abs(d + 0.5 - depth) < 0.3


def test_azimuth_90_moves_the_block_as_the_camera_says():
    # Azimuth 90: camera on -X looking along +X, right = world +Z: the block (+X, +Y, -Z) is far,
    # top and left.
    n = 16
    cam = view_transform(_corner_block(n), torch.tensor([90.0]), torch.tensor([0.0]))
    m = cam.shape[2]
    d, h, w = _centroid(cam)
    assert d > m / 2 and h < m / 2 and w < m / 2
    for az, el in [(90.0, 0.0), (30.0, 40.0), (250.0, -20.0)]:
        cam = view_transform(_corner_block(n), torch.tensor([az]), torch.tensor([el]))
        d, h, w = _centroid(cam)
        row, col = conventions.project_points(_block_centre_world(n)[None], az, el, m)[0]
        assert abs(h + 0.5 - row) < 0.3 and abs(w + 0.5 - col) < 0.3, (az, el)


def test_batch_of_views_matches_single_views():
    v = _corner_block(16)
    az, el = torch.tensor([10.0, 100.0, 250.0]), torch.tensor([-20.0, 15.0, 50.0])
    batched = view_transform(v.expand(3, -1, -1, -1, -1), az, el)
    for i in range(3):
        single = view_transform(v, az[i : i + 1], el[i : i + 1])
        torch.testing.assert_close(batched[i : i + 1], single)


def test_view_transform_preserves_world_volume():
    n = 16
    v = torch.zeros(1, 1, n, n, n)
    v[0, 0, 3:11, 5:14, 2:9] = 1.0  # 8 x 9 x 7 voxels
    world_volume = float(v.sum()) / n**3
    for az, el in [(0.0, 0.0), (37.0, 23.0), (135.0, -30.0), (300.0, 60.0)]:
        cam = view_transform(v, torch.tensor([az]), torch.tensor([el]))
        voxel = (2 * VIEW_HALF_EXTENT / cam.shape[2]) ** 3
        assert float(cam.sum()) * voxel == pytest.approx(world_volume, rel=0.03), (az, el)


def test_out_res_and_gradient_flow():
    v = torch.rand(2, 1, 8, 8, 8, requires_grad=True)
    cam = view_transform(v, torch.tensor([20.0, 80.0]), torch.tensor([10.0, -10.0]), out_res=12)
    assert cam.shape == (2, 1, 12, 12, 12)
    cam.sum().backward()
    assert v.grad is not None and float(v.grad.abs().sum()) > 0


def test_visual_hull_silhouette_matches_projected_box():
    # A convex box's silhouette is the convex hull of its projected corners.
    n, az, el = 32, 30.0, 35.0
    v = torch.zeros(1, 1, n, n, n)
    lo, hi = np.array([4, 10, 8]), np.array([20, 26, 28])
    v[0, 0, lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = 1.0
    img = visual_hull_images(v, torch.tensor([az]), torch.tensor([el]), resolution=2 * n)[0, 0]
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    rc = conventions.project_points(corners / n - 0.5, az, el, 2 * n)
    centres = np.stack(np.meshgrid(np.arange(2 * n), np.arange(2 * n), indexing="ij"), -1) + 0.5
    truth = Delaunay(rc).find_simplex(centres.reshape(-1, 2)).reshape(2 * n, 2 * n) >= 0
    ours = img.numpy() > 0.5
    iou = (truth & ours).sum() / (truth | ours).sum()
    assert iou >= 0.9


def test_visual_hull_single_voxel_saturates_in_every_view():
    n = 16
    v = torch.zeros(1, 1, n, n, n)
    v[0, 0, 3, 11, 6] = 1.0
    g = torch.Generator().manual_seed(0)
    b = 48
    az, el = torch.rand(b, generator=g) * 360, torch.rand(b, generator=g) * 120 - 60
    cam = view_transform(v.expand(b, -1, -1, -1, -1), az, el)
    img = visual_hull_projection(cam, blur_sigma=0.0, voxel_res=n)
    assert float(img.flatten(1).max(1).values.min()) >= 0.95
    # The step is in original voxels: one voxel crossed head-on adds ~1.
    assert ray_step_in_voxels(2 * n, n) == pytest.approx(math.sqrt(3) / 2)


def _slab(n: int, thickness: int) -> torch.Tensor:
    """A square slab in the XY plane, ``thickness`` voxels along Z, centred."""
    v = torch.zeros(1, 1, n, n, n)
    z0 = n // 2 - thickness // 2
    v[0, 0, 4 : n - 4, 5 : n - 3, z0 : z0 + thickness] = 1.0
    return v


def test_visual_hull_is_a_silhouette_not_a_thickness_image():
    n = 16
    az, el = torch.tensor([0.0]), torch.tensor([0.0])  # looking along Z, through the slab
    thin = visual_hull_images(_slab(n, 1), az, el, resolution=2 * n)
    thick = visual_hull_images(_slab(n, 8), az, el, resolution=2 * n)
    assert float((thin - thick).abs().max()) < 0.05
    assert float((thin - thick).abs().mean()) < 0.005
    assert float(thin.max()) > 0.99 and float(thin.min()) >= 0.0


def test_visual_hull_generator_side_is_one_minus_exp_of_the_occupancy_sum():
    """Generator side (PrGAN's tau = 1): 1 - exp(-S), S = occupancy summed along the ray in voxels
    of the generator's grid, unblurred; the data side saturates (tau = 10) and is blurred."""
    n = 16
    az, el = torch.tensor([0.0]), torch.tensor([0.0])  # looking along -Z: rays cross the slab
    for thickness, occ in [(1, 1.0), (2, 1.0), (4, 1.0), (4, 0.25), (8, 0.5)]:
        v = _slab(n, thickness) * occ
        img = visual_hull_generator_images(v, az, el, resolution=2 * n)[0, 0]
        # Pixel (n, n) looks through the slab's interior: S = thickness * occupancy voxels.
        s = thickness * occ
        assert float(img[n, n]) == pytest.approx(1 - math.exp(-s), abs=0.02), (thickness, occ)
        cam = view_transform(v, az, el)
        direct = -torch.expm1(-cam.sum(dim=2) * ray_step_in_voxels(2 * n, n))
        torch.testing.assert_close(img, direct[0, 0])
    # One full voxel reads 0.63 on the generator side, ~1 on the data side: G must stack about
    # three voxels of occupancy on a ray to look as white as the data.
    thin = _slab(n, 1)
    g_side = visual_hull_generator_images(thin, az, el, resolution=2 * n)[0, 0, n, n]
    d_side = visual_hull_images(thin, az, el, resolution=2 * n)[0, 0, n, n]
    assert float(g_side) == pytest.approx(0.632, abs=0.02) and float(d_side) > 0.99
    three = visual_hull_generator_images(_slab(n, 3), az, el, resolution=2 * n)[0, 0, n, n]
    assert float(three) >= 0.95
    # Data side vs generator side of a sub-0.5 fog: the data side calls it solid, G's side not.
    fog = _slab(n, 4) * 0.1
    assert float(visual_hull_images(fog, az, el, resolution=2 * n)[0, 0, n, n]) > 0.95
    assert float(visual_hull_generator_images(fog, az, el, resolution=2 * n)[0, 0, n, n]) < 0.4


def test_data_side_images_dispatch():
    v = torch.rand(2, 1, 8, 8, 8)
    az, el = torch.tensor([0.0, 45.0]), torch.tensor([20.0, -10.0])
    torch.testing.assert_close(
        data_side_images("visual-hull", v, az, el, 16), visual_hull_images(v, az, el, 16)
    )
    torch.testing.assert_close(
        data_side_images("absorption-only", v, az, el, 16), absorption_only_images(v, az, el, 16)
    )
    with pytest.raises(ValueError, match="opengl"):
        data_side_images("opengl", v, az, el, 16)


def test_absorption_only_encodes_thickness():
    n = 16
    az, el = torch.tensor([0.0]), torch.tensor([0.0])
    images = [absorption_only_images(_slab(n, t), az, el, resolution=2 * n) for t in (1, 2, 4)]
    centre = [float(im[0, 0, n, n]) for im in images]
    assert 0.0 < centre[0] < centre[1] < centre[2] < 1.0
    for a, b in zip(images[:-1], images[1:], strict=True):
        assert bool((b >= a - 1e-6).all())  # monotone everywhere


def test_absorption_factor_follows_platonicgan_per_world_length():
    # Transmittance per world length is PlatonicGAN's at any sample spacing: (1 - 20/64) per
    # 1/64 of the object cube, i.e. sqrt(3) * 64 / M such steps per sample.
    for m in (32, 64, 128):
        expected = 1.0 - (1.0 - 20.0 / 64) ** (math.sqrt(3) * 64 / m)
        assert platonicgan_alpha(m) == pytest.approx(expected)
        assert 0.0 < platonicgan_alpha(m) < 1.0
    # One voxel of a 64-grid, crossed head-on, absorbs about PlatonicGAN's 20 / 64.
    n = 64
    v = torch.zeros(1, 1, n, n, n)
    v[0, 0, 20:44, 20:44, 32] = 1.0
    cam = view_transform(v, torch.tensor([0.0]), torch.tensor([0.0]))
    img = absorption_only_projection(cam)
    assert float(img[0, 0, 64, 64]) == pytest.approx(20.0 / 64, abs=0.04)
    full = absorption_only_projection(torch.ones(1, 1, 8, 8, 8), alpha=1.0)
    assert torch.isfinite(full).all() and float(full.min()) == pytest.approx(1.0)


def test_projections_are_differentiable_and_in_range():
    v = torch.rand(2, 1, 8, 8, 8, requires_grad=True)
    az, el = torch.tensor([0.0, 45.0]), torch.tensor([20.0, -10.0])
    vh = visual_hull_images(v, az, el, resolution=8)
    ao = absorption_only_images(v, az, el, resolution=32)
    assert vh.shape == (2, 1, 8, 8) and ao.shape == (2, 1, 32, 32)
    for im in (vh.detach(), ao.detach()):
        assert float(im.min()) >= 0.0 and float(im.max()) <= 1.0
    (vh.sum() + ao.sum()).backward()
    assert float(v.grad.abs().sum()) > 0


def test_blur_and_resize():
    img = torch.zeros(1, 1, 16, 16)
    img[0, 0, 8, 8] = 1.0
    blurred = gaussian_blur(img, 1.0)
    assert float(blurred.sum()) == pytest.approx(1.0, abs=1e-5)
    assert float(blurred[0, 0, 8, 8]) < 0.2 and torch.equal(gaussian_blur(img, 0.0), img)
    x = torch.rand(2, 1, 16, 16)
    assert float(resize_images(x, 8).mean()) == pytest.approx(float(x.mean()), abs=1e-6)
    assert resize_images(x, 32).shape == (2, 1, 32, 32) and resize_images(x, 16) is x


def test_image_conversions():
    values = np.arange(256, dtype=np.uint8).reshape(1, 1, 16, 16)
    net = to_network(values)
    assert net.dtype == torch.float32
    assert float(net.min()) == -1.0 and float(net.max()) == 1.0
    np.testing.assert_array_equal(from_network(net), values)
    unit = torch.tensor([0.0, 0.5, 1.0, 1.7, -0.2])
    np.testing.assert_array_equal(unit_to_uint8(unit), np.array([0, 128, 255, 255, 0], np.uint8))
    torch.testing.assert_close(unit_to_network(unit[:3]), torch.tensor([-1.0, 0.0, 1.0]))
    with pytest.raises(TypeError):
        to_network(np.zeros(3, np.float32))


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        view_transform(torch.zeros(1, 1, 8, 8, 4), torch.tensor([0.0]), torch.tensor([0.0]))
    with pytest.raises(ValueError):
        view_transform(torch.zeros(2, 1, 8, 8, 8), torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError):
        view_transform(torch.zeros(1, 1, 8, 8, 8), torch.tensor([0.0]), torch.tensor([90.0]))
    with pytest.raises(ValueError):
        visual_hull_projection(torch.zeros(1, 2, 8, 8, 8))


def test_rotated_grid_equals_affine_grid():
    """The separable sampling grid of view_transform is affine_grid's (align_corners=False)."""
    from shapenet_render.projection import _rotated_grid

    gen = torch.Generator().manual_seed(0)
    theta = torch.randn(3, 3, 3, generator=gen)
    affine = torch.cat([theta, torch.zeros(3, 3, 1)], dim=2)
    for m in (4, 7, 16):
        expected = torch.nn.functional.affine_grid(affine, [3, 1, m, m, m], align_corners=False)
        got = _rotated_grid(theta, m)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
