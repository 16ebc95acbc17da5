"""The project's geometric conventions, in one place (see docs/conventions.md).

World frame
    Right-handed, +Y up, object front towards -Z (ShapeNet v2's frame). Every shape source converts
    its meshes into this frame.
Unit cube
    Shapes are normalised into [-0.5, 0.5]^3: bounding-box centre at the origin, longest side 1.
Voxel grids
    A grid of resolution N covers exactly the unit cube. Arrays are indexed ``grid[i, j, k]`` with
    ``i`` along +X, ``j`` along +Y, ``k`` along +Z; voxel (i, j, k) has its centre at
    ``((i + 0.5) / N - 0.5, (j + 0.5) / N - 0.5, (k + 0.5) / N - 0.5)``.
Views
    ``(azimuth, elevation)`` in degrees. Azimuth rotates the camera about +Y (right-hand rule, seen
    from above: counter-clockwise); azimuth 0 puts the camera on the -Z axis, looking at the object's
    front. Elevation is the angle of the camera above the XZ plane.
Camera
    Orthographic, pointing at the origin. The image frame spans ``[-VIEW_HALF_EXTENT,
    VIEW_HALF_EXTENT]`` in both camera axes, which contains the unit cube under every rotation, so the
    off-the-shelf renderer and the neural view transform share geometry exactly.
Images
    ``(H, W)`` arrays, row 0 at the top (camera +up), column 0 at the left (camera -right). Stored as
    uint8; networks see float in [-1, 1].
Camera-frame volumes (the neural path)
    ``(B, C, D, H, W)`` tensors covering the camera-frame cube ``[-VIEW_HALF_EXTENT,
    VIEW_HALF_EXTENT]^3``: D runs from the camera (near) to the far side, H and W run like the image
    rows and columns. Projecting along D gives an image in the same layout as the OpenGL image.
"""

from __future__ import annotations

import math

import numpy as np

#: Half-width of the orthographic image frame in world units: the unit cube's circumradius.
VIEW_HALF_EXTENT: float = math.sqrt(3.0) / 2.0
#: Distance of the camera from the origin (any value > VIEW_HALF_EXTENT works for an orthographic
#: camera; near/far planes are set from it).
CAMERA_DISTANCE: float = 2.0
#: Near and far clipping planes of the orthographic camera.
Z_NEAR: float = CAMERA_DISTANCE - VIEW_HALF_EXTENT - 0.05
Z_FAR: float = CAMERA_DISTANCE + VIEW_HALF_EXTENT + 0.05


def voxel_centers(n: int) -> np.ndarray:
    """Centres of the voxels of an ``n``-grid along one axis: ``(n,)`` float64 in (-0.5, 0.5)."""
    return (np.arange(n, dtype=np.float64) + 0.5) / n - 0.5


def camera_axes(azimuth: float, elevation: float) -> np.ndarray:
    """Camera axes in world coordinates for a view.

    Returns ``(3, 3)`` float64 whose columns are the camera's right, up and back (from the object
    towards the camera) unit vectors. The camera looks along ``-back``.
    """
    az, el = math.radians(azimuth), math.radians(elevation)
    back = np.array([-math.sin(az) * math.cos(el), math.sin(el), -math.cos(az) * math.cos(el)])
    right = np.cross([0.0, 1.0, 0.0], back)
    norm = np.linalg.norm(right)
    if norm < 1e-9:
        raise ValueError(f"elevation {elevation} looks straight along the up axis; use |el| < 90")
    right /= norm
    up = np.cross(back, right)
    return np.stack([right, up, back], axis=1)


def camera_pose(azimuth: float, elevation: float) -> np.ndarray:
    """Camera-to-world ``(4, 4)`` float64 pose (OpenGL convention: the camera looks along its -Z)."""
    axes = camera_axes(azimuth, elevation)
    pose = np.eye(4)
    pose[:3, :3] = axes
    pose[:3, 3] = axes[:, 2] * CAMERA_DISTANCE
    return pose


def world_to_camera(azimuth: float, elevation: float) -> np.ndarray:
    """Rotation ``(3, 3)`` float64 taking world vectors into camera (right, up, back) coordinates."""
    return camera_axes(azimuth, elevation).T


def project_points(
    points: np.ndarray, azimuth: float, elevation: float, resolution: int
) -> np.ndarray:
    """Pixel coordinates ``(n, 2)`` float64 as (row, col) of world points ``(n, 3)`` in a view.

    Pixel (r, c) covers ``[r, r + 1) x [c, c + 1)``; pixel centres sit at half-integers.
    """
    cam = np.asarray(points, dtype=np.float64) @ world_to_camera(azimuth, elevation).T
    scale = resolution / (2.0 * VIEW_HALF_EXTENT)
    col = (cam[:, 0] + VIEW_HALF_EXTENT) * scale
    row = (VIEW_HALF_EXTENT - cam[:, 1]) * scale
    return np.stack([row, col], axis=1)
