"""The neural path's image formation: view transform and the baselines' differentiable projections.

Shared by IG-GAN (the view transform in front of the neural renderer), the Visual Hull and
Absorption-Only baselines (their whole image formation), and the dataset writer (which renders the
baselines' datasets with exactly this code). Depends only on torch, numpy and
:mod:`shapenet_render.conventions`.

Frames and layouts (see :mod:`shapenet_render.conventions`)
    World volumes ``(B, 1, N, N, N)`` float, tensor dims 2, 3, 4 = world x, y, z; the grid covers
    the unit cube ``[-0.5, 0.5]^3``.
    Camera-frame volumes ``(B, 1, M, M, M)`` float = ``(B, C, D, H, W)``: D from the camera (near)
    to the far side, H like image rows (row 0 = camera +up), W like image columns (col 0 = camera
    -right); the cube ``[-VIEW_HALF_EXTENT, VIEW_HALF_EXTENT]^3`` in camera coordinates.
    Images ``(B, 1, H, W)`` float in [0, 1] (bright object on a black background, like the OpenGL
    images), uint8 when stored, float in [-1, 1] when a network sees them.

Parameters of the two baseline projections (documented with their sources)
    Visual hull (Gadelha et al. 2017, PrGAN, github.com/matheusgadelha/PrGAN) pairs two
    projections on purpose, and so do we:

    * the **data side** (its dataset, :func:`visual_hull_images`) is the smoothed hard silhouette
      of the binary voxels, PrGAN ``src/create_dataset.py``: ``project(..., 10)``, i.e.
      ``1 - exp(-tau * S)`` with ``tau = 10`` and ``S = sum_D occupancy * step``, ``step`` the
      ray-sample spacing measured in voxels of the *original* N-grid,
      ``step = (2 * VIEW_HALF_EXTENT / M) * N`` (= 0.866 for M = 2N). So S is the length of occupied
      ray in original voxels. Trilinear resampling spreads an isolated voxel over ~2 voxels, and in
      oblique views the pixel centres can miss its centre, so over all views the brightest ray
      through an isolated voxel has S >= 0.34 (measured over 300 random views); ``tau = 10`` makes
      even that ray reach ``1 - exp(-3.4) = 0.967 >= 0.95``: a silhouette, not a thickness image.
      Then a Gaussian blur with ``sigma = 1`` pixel of the M-grid (0.87 original voxels for M = 2N,
      so the same in voxel units in every preset) smooths the silhouette's edge.
    * the **generator side** (what G's volume is projected with during training,
      :func:`visual_hull_generator_images`) is ``1 - exp(-S)``, ``tau = 1`` per voxel of the
      generator's grid, PrGAN ``src/PrGAN.py``: ``self.tau = 1``, ``ops.project(..., self.tau)``,
      with no blur. To look as white as the data (>= 0.95 inside the silhouette) G must put about
      3 voxels of full occupancy (or more of partial occupancy) on every ray inside the silhouette:
      the projection rewards solid volumes, where the data side alone would accept sub-0.5 fog that
      an evaluation threshold of 0.5 empties.
    Absorption-only (Henzler et al. 2019, PlatonicGAN, ``scripts/renderer/absorption_only.py`` and
    ``scripts/configs/*.yaml`` in github.com/henzler/platonicgan): ``1 - prod(1 - a * occupancy)``
    with per-sample factor ``a = absorption_factor / cube_len``, ``absorption_factor = 20`` (both
    published configs) and ``cube_len = 64`` samples across the object cube (side 1): one
    occupied 64-voxel transmits ``1 - 20/64 = 0.6875``. We keep that transmittance per world
    length, whatever our sample spacing ``delta = 2 * VIEW_HALF_EXTENT / M`` (world units):
    ``a = 1 - (1 - 20/64) ** (64 * delta)`` (0.277 at M = 128, 0.477 at M = 64, 0.727 at M = 32).
    Scaling ``a`` linearly with delta instead would exceed 1 (and saturate) for M < 35.

Resizing
    Projections come out at the camera volume's resolution M. :func:`resize_images` brings them to
    the image resolution: ``area`` averaging when shrinking (each output pixel is the mean coverage
    of the pixels it spans: anti-aliased), ``bilinear`` (align_corners=False) when enlarging.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .conventions import VIEW_HALF_EXTENT

#: Visual hull data-side saturation per original voxel of occupied ray length (PrGAN
#: ``create_dataset.py``: ``project(..., 10)``; see the module docstring).
VISUAL_HULL_TAU: float = 10.0
#: Visual hull generator-side saturation per voxel of the generator's grid (PrGAN ``PrGAN.py``:
#: ``self.tau = 1``), unblurred.
VISUAL_HULL_GENERATOR_TAU: float = 1.0
#: Visual hull blur, Gaussian sigma in pixels of the projection (M-grid).
VISUAL_HULL_BLUR_SIGMA: float = 1.0
#: PlatonicGAN's absorption factor (henzler/platonicgan configs: renderer.absorption_factor).
PLATONICGAN_ABSORPTION_FACTOR: float = 20.0
#: Samples per ray across the object cube that PlatonicGAN's factor is divided by (its cube_len).
PLATONICGAN_CUBE_LEN: int = 64
#: Floor for (1 - a * occupancy) before the log, as in PlatonicGAN: keeps log finite and gradients
#: bounded where a sample absorbs everything.
_ABSORPTION_CLAMP: float = 1e-5


# --------------------------------------------------------------------------------------------------
# View transform
# --------------------------------------------------------------------------------------------------


def camera_axes_torch(azimuth: torch.Tensor, elevation: torch.Tensor) -> torch.Tensor:
    """Batched :func:`conventions.camera_axes` in torch.

    azimuth, elevation : (B,) float tensors, degrees.
    Returns (B, 3, 3) of the same dtype/device whose columns are camera right, up, back in world
    coordinates.
    """
    az = torch.deg2rad(azimuth)
    el = torch.deg2rad(elevation)
    if bool((el.abs() >= math.pi / 2 - 1e-6).any()):
        raise ValueError(
            "elevation must satisfy |el| < 90 degrees (the up axis is undefined there)"
        )
    zero = torch.zeros_like(az)
    back = torch.stack(
        [-torch.sin(az) * torch.cos(el), torch.sin(el), -torch.cos(az) * torch.cos(el)], 1
    )
    # right = normalize(cross(+Y, back)) = normalize((back_z, 0, -back_x)) = (-cos az, 0, sin az).
    right = torch.stack([-torch.cos(az), zero, torch.sin(az)], 1)
    up = torch.linalg.cross(back, right, dim=1)
    return torch.stack([right, up, back], dim=2)


def _as_batch(values, batch: int, like: torch.Tensor) -> torch.Tensor:
    """Angles given as a number, sequence, array or tensor -> (B,) tensor on ``like``'s device."""
    t = torch.as_tensor(
        np.asarray(values, dtype=np.float64) if not torch.is_tensor(values) else values
    )
    t = t.to(device=like.device, dtype=torch.float64).reshape(-1)
    if t.numel() == 1:
        t = t.expand(batch)
    if t.numel() != batch:
        raise ValueError(f"expected {batch} angles, got {t.numel()}")
    return t


def view_transform(
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    out_res: int | None = None,
) -> torch.Tensor:
    """Resample a world-frame volume into the camera frame of a view (rigid rotation, trilinear).

    volume : (B, C, N, N, N) float, world layout (dims 2, 3, 4 = x, y, z), covering the unit cube.
    azimuth, elevation : (B,) degrees (a scalar is broadcast). Not differentiated.
    out_res : M, the camera-volume resolution; default 2N (the paper's 64^3 -> 128^3).
    Returns (B, C, M, M, M) float, camera layout (D near->far, H = image rows, W = image columns)
    covering ``[-VIEW_HALF_EXTENT, VIEW_HALF_EXTENT]^3``; zero outside the unit cube.
    Differentiable with respect to ``volume``.
    """
    if volume.dim() != 5 or not (volume.shape[2] == volume.shape[3] == volume.shape[4]):
        raise ValueError(f"volume must be (B, C, N, N, N), got {tuple(volume.shape)}")
    b, n = volume.shape[0], volume.shape[2]
    m = 2 * n if out_res is None else int(out_res)
    axes = camera_axes_torch(_as_batch(azimuth, b, volume), _as_batch(elevation, b, volume))
    # The sampling grid (affine_grid's, computed by _rotated_grid) gives, per output voxel,
    # normalised coordinates (x_n, y_n, z_n) over (W, H, D) at voxel centres (align_corners=False).
    # With e = VIEW_HALF_EXTENT the camera coordinates are right = e * x_n, up = -e * y_n (row 0 is
    # the top), back = -e * z_n (d = 0 is nearest the camera, which sits on +back).
    flip = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64, device=volume.device))
    world_from_norm = axes @ (VIEW_HALF_EXTENT * flip)
    # grid_sample's normalised input coordinates (align_corners=False) are 2 * world (voxel centres
    # at (i + 0.5) / N - 0.5), listed in the input's (W, H, D) order = world (z, y, x).
    perm = torch.tensor(
        [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
        dtype=torch.float64,
        device=volume.device,
    )
    theta = (2.0 * perm @ world_from_norm).to(volume.dtype)  # (B, 3, 3), no translation
    grid = _rotated_grid(theta, m)
    return F.grid_sample(volume, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _rotated_grid(theta: torch.Tensor, m: int) -> torch.Tensor:
    """``F.affine_grid(theta, [B, C, m, m, m], align_corners=False)`` for a linear ``theta``
    (B, 3, 3): grid[b, d, h, w] = theta[b] @ (x_w, y_h, z_d), voxel-centre coordinates
    ``(2i + 1) / m - 1``.

    The coordinates are separable (x depends on w only, y on h, z on d), so the grid is the sum
    of three broadcast outer products. affine_grid builds a (B, m^3, 4) base and multiplies it by
    theta with a batched matmul of inner size 4, which on CPU cost ~10x more than the trilinear
    sampling it feeds (~0.3 s of a 1.7 s ``cpu`` iteration on 2 cores, torch profiler).
    """
    b = theta.shape[0]
    coords = (torch.arange(m, dtype=theta.dtype, device=theta.device) * 2 + 1) / m - 1
    cx, cy, cz = (theta[:, :, k].reshape(b, 1, 1, 1, 3) for k in range(3))
    return (
        coords.view(1, 1, 1, m, 1) * cx
        + coords.view(1, 1, m, 1, 1) * cy
        + coords.view(1, m, 1, 1, 1) * cz
    )


# --------------------------------------------------------------------------------------------------
# Projections (camera volume -> image in [0, 1])
# --------------------------------------------------------------------------------------------------


def _check_cam_volume(cam_volume: torch.Tensor) -> None:
    if cam_volume.dim() != 5 or cam_volume.shape[1] != 1:
        raise ValueError(f"camera volume must be (B, 1, D, H, W), got {tuple(cam_volume.shape)}")


def ray_step_in_voxels(depth_samples: int, voxel_res: int) -> float:
    """Spacing of ``depth_samples`` ray samples across the camera cube, in voxels of an N-grid."""
    return 2.0 * VIEW_HALF_EXTENT / depth_samples * voxel_res


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur, zero padding (the background is black).

    images : (B, C, H, W) float. sigma : pixels; <= 0 returns the input unchanged.
    The kernel has radius ceil(3 sigma) and sums to 1. Differentiable.
    """
    if sigma <= 0:
        return images
    radius = max(1, int(math.ceil(3.0 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    c = images.shape[1]
    kx = k.view(1, 1, 1, -1).expand(c, 1, 1, -1)
    ky = k.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    out = F.conv2d(images, kx, padding=(0, radius), groups=c)
    return F.conv2d(out, ky, padding=(radius, 0), groups=c)


def visual_hull_projection(
    cam_volume: torch.Tensor,
    tau: float = VISUAL_HULL_TAU,
    blur_sigma: float = VISUAL_HULL_BLUR_SIGMA,
    voxel_res: int | None = None,
) -> torch.Tensor:
    """Smoothed silhouette (Gadelha et al. 2017): ``blur(1 - exp(-tau * sum_D occ * step))``.

    cam_volume : (B, 1, M, M, M) camera-frame occupancy in [0, 1].
    tau : saturation per original voxel of occupied ray length (module docstring: 10 -> the
        brightest ray through one isolated occupied voxel reaches >= 0.95 before the blur, in any
        view).
    blur_sigma : Gaussian sigma in pixels of the M-grid; 0 disables the blur.
    voxel_res : N of the world grid the volume came from, which sets ``step`` (voxels per ray
        sample); default M / 2 (the view transform's default embedding).
    Returns (B, 1, M, M) float in [0, 1], image layout. Differentiable.
    """
    _check_cam_volume(cam_volume)
    m = cam_volume.shape[2]
    n = m // 2 if voxel_res is None else voxel_res
    depth = cam_volume.sum(dim=2) * ray_step_in_voxels(m, n)  # occupied ray length, in voxels
    silhouette = -torch.expm1(-tau * depth)
    return gaussian_blur(silhouette, blur_sigma).clamp(0.0, 1.0)


def platonicgan_alpha(depth_samples: int) -> float:
    """PlatonicGAN's absorption as a per-sample factor for ``depth_samples`` samples per ray.

    PlatonicGAN absorbs ``20 / 64`` per occupied voxel of its 64^3 object cube (henzler/platonicgan
    ``renderer.absorption_factor = 20``, ``data.cube_len = 64``); we keep the transmittance per
    world length: ``1 - (1 - 20/64) ** (64 * sample_spacing)``, with the sample spacing
    ``2 * VIEW_HALF_EXTENT / depth_samples`` in world units (object cube side = 1).
    """
    per_voxel = PLATONICGAN_ABSORPTION_FACTOR / PLATONICGAN_CUBE_LEN
    spacing = 2.0 * VIEW_HALF_EXTENT / depth_samples
    return 1.0 - (1.0 - per_voxel) ** (PLATONICGAN_CUBE_LEN * spacing)


def absorption_only_projection(
    cam_volume: torch.Tensor, alpha: float | None = None
) -> torch.Tensor:
    """Absorption-only image (Henzler et al. 2019): ``1 - prod_D (1 - alpha * occ)``.

    cam_volume : (B, 1, M, M, M) camera-frame occupancy in [0, 1].
    alpha : per-sample absorption factor; default :func:`platonicgan_alpha` (M).
    Returns (B, 1, M, M) float in [0, 1] (the fraction of light absorbed; it grows with thickness).
    Computed in log space: ``exp(sum log(clamp(1 - alpha * occ, 1e-5, 1)))``. Differentiable.
    """
    _check_cam_volume(cam_volume)
    a = platonicgan_alpha(cam_volume.shape[2]) if alpha is None else alpha
    transmit = (1.0 - a * cam_volume).clamp(_ABSORPTION_CLAMP, 1.0)
    return -torch.expm1(torch.log(transmit).sum(dim=2))


def resize_images(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """(B, C, H, W) float -> (B, C, resolution, resolution); area when shrinking, bilinear else."""
    if images.shape[-1] == resolution and images.shape[-2] == resolution:
        return images
    if images.shape[-1] > resolution:
        return F.interpolate(images, size=(resolution, resolution), mode="area")
    return F.interpolate(
        images, size=(resolution, resolution), mode="bilinear", align_corners=False
    )


def visual_hull_images(
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    resolution: int,
    tau: float = VISUAL_HULL_TAU,
    blur_sigma: float = VISUAL_HULL_BLUR_SIGMA,
) -> torch.Tensor:
    """World volume (B, 1, N, N, N) -> visual hull **data-side** images (B, 1, res, res) in [0, 1].

    The smoothed hard silhouette (view transform to 2N, ``tau = 10`` projection, blur, resize) that
    renders the baseline's dataset and its real images in every mode (PrGAN ``create_dataset.py``).
    """
    cam = view_transform(volume, azimuth, elevation)
    img = visual_hull_projection(cam, tau=tau, blur_sigma=blur_sigma, voxel_res=volume.shape[2])
    return resize_images(img, resolution)


def visual_hull_generator_images(
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    resolution: int,
) -> torch.Tensor:
    """World volume (B, 1, N, N, N) -> visual hull **generator-side** images (B, 1, res, res).

    ``1 - exp(-S)``, S the occupied ray length in voxels of the generator's N-grid (``tau = 1``,
    no blur; PrGAN ``PrGAN.py``): what the Visual Hull generator's volumes look like to D.
    Differentiable.
    """
    cam = view_transform(volume, azimuth, elevation)
    img = visual_hull_projection(
        cam, tau=VISUAL_HULL_GENERATOR_TAU, blur_sigma=0.0, voxel_res=volume.shape[2]
    )
    return resize_images(img, resolution)


def absorption_only_images(
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    resolution: int,
    alpha: float | None = None,
) -> torch.Tensor:
    """World volume (B, 1, N, N, N) -> absorption-only images (B, 1, res, res) in [0, 1].

    The whole Absorption-Only image formation (view transform to 2N, projection, resize).
    """
    cam = view_transform(volume, azimuth, elevation)
    return resize_images(absorption_only_projection(cam, alpha=alpha), resolution)


#: Data-side image formation of each projection renderer (datasets and real images).
DATA_SIDE = {"visual-hull": visual_hull_images, "absorption-only": absorption_only_images}


def data_side_images(
    renderer: str,
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    resolution: int,
) -> torch.Tensor:
    """The data-side image formation of a projection ``renderer`` (``visual-hull`` or
    ``absorption-only``): world volume (B, 1, N, N, N) -> (B, 1, res, res) float in [0, 1]."""
    try:
        fn = DATA_SIDE[renderer]
    except KeyError:
        raise ValueError(
            f"{renderer!r} is not a projection renderer; choose one of {', '.join(DATA_SIDE)}"
        ) from None
    return fn(volume, azimuth, elevation, resolution)


# --------------------------------------------------------------------------------------------------
# Image value conversions (one place)
# --------------------------------------------------------------------------------------------------


def unit_to_uint8(images: torch.Tensor) -> np.ndarray:
    """Float images in [0, 1] (any shape, e.g. (B, 1, H, W)) -> uint8 numpy, same shape.

    0 -> 0 (black background, like the OpenGL images), 1 -> 255, rounded to nearest.
    """
    return (images.detach().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8).cpu().numpy()


def to_network(images_uint8) -> torch.Tensor:
    """uint8 images (numpy or tensor, any shape) -> float32 tensor in [-1, 1]; 0 -> -1, 255 -> 1."""
    t = torch.as_tensor(images_uint8)
    if t.dtype != torch.uint8:
        raise TypeError(f"to_network expects uint8 images, got {t.dtype}")
    return t.to(torch.float32) / 127.5 - 1.0


def from_network(images: torch.Tensor) -> np.ndarray:
    """Float images in [-1, 1] (any shape) -> uint8 numpy, clamped, rounded; inverts to_network."""
    return unit_to_uint8((images.detach().float() + 1.0) * 0.5)


def unit_to_network(images: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] -> [-1, 1], without quantisation (differentiable; for training)."""
    return images * 2.0 - 1.0


def project_views(renderer: str, resolution: int, grids, views, chunk: int = 16) -> np.ndarray:
    """Images ``(sum of views, H, W)`` uint8 of binary grids by a baseline's data-side projection.

    renderer : ``visual-hull`` or ``absorption-only``
        (:func:`data_side_images`).
    grids : sequence of (N, N, N) bool arrays; views : per grid, an ``(n, 2)`` array of
    (azimuth, elevation) degrees. The same code renders a baseline's dataset and, in the
    ``unlimited`` and ``lvp`` modes, the fresh real images of its training: in every mode a
    method's real images come from its own data-side image formation.
    """
    vols, az, el = [], [], []
    for g, vs in zip(grids, views, strict=True):
        for a, e in vs:
            vols.append(torch.from_numpy(np.asarray(g)))
            az.append(a)
            el.append(e)
    if not vols:
        return np.zeros((0, resolution, resolution), np.uint8)
    out = []
    with torch.no_grad():
        for start in range(0, len(vols), chunk):
            vol = torch.stack(vols[start : start + chunk]).float().unsqueeze(1)
            a = torch.tensor(az[start : start + chunk], dtype=torch.float32)
            e = torch.tensor(el[start : start + chunk], dtype=torch.float32)
            img = data_side_images(renderer, vol, a, e, resolution)
            out.append(unit_to_uint8(img)[:, 0])
    return np.concatenate(out)
