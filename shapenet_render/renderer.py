"""The off-the-shelf, non-differentiable renderer of the paper: pyrender on headless OpenGL.

Scene (paper, section 4.2): an orthographic camera pointing at the object centre from a given
(azimuth, elevation) (see :mod:`shapenet_render.conventions`); two directional ("beam") lights that
illuminate the object from 45 deg below the camera and 45 deg to its left and right; a constant
background; a white, matte material. Output: a grayscale uint8 image and, on request, depth, mask
and a camera-space normal map.

A :class:`Renderer` keeps one scene and one GL context alive and swaps only the mesh node per image,
which is what makes rendering fast (a new scene and context per image costs ~100 ms here).

Shading. With ``shading="lambert"`` (default) each face's Lambertian radiance under the two
directional lights (plus a little ambient) is computed on the CPU -- one value per flat face, exact
for directional lights -- and OpenGL rasterises the coloured faces (visibility, 4x MSAA edges) with
pyrender's unlit ``FLAT`` program. ``shading="pyrender"`` instead places two pyrender
``DirectionalLight`` nodes and uses pyrender's own metallic-roughness shader. Both are the same
scene; the first is ~3.5x faster on Mesa's software rasteriser, whose cost is dominated by
pyrender's lit shader (measured: 70 vs 19 renders/s for a 29k-triangle shape at 128^2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import trimesh
from scipy import ndimage

from . import conventions, gl
from .voxmesh import FaceMesh, check_grid, voxels_to_faces

SHADINGS = ("lambert", "pyrender")


@dataclass(frozen=True)
class RenderSettings:
    """Everything that fixes how a shape becomes an image (stored in every dataset's attributes)."""

    resolution: int = 128
    """Image side in pixels (paper: 128)."""
    light_below_deg: float = 45.0
    """Lights sit this far below the camera direction (paper: 45)."""
    light_side_deg: float = 45.0
    """Lights sit this far to the camera's left and right (paper: 45)."""
    light_intensity: float = 0.7
    """Radiance contributed by one light on a white surface facing it head-on, in [0, 1] of full
    scale (a surface facing the camera receives 0.5 of it from each light)."""
    ambient: float = 0.1
    """Ambient term, in [0, 1] of full scale. Not in the paper's text; a little keeps surfaces that
    face away from both lights (which sit below the camera) distinguishable from the background."""
    background: int = 0
    """Background gray level, uint8."""
    shading: str = "lambert"
    """``"lambert"``: per-face Lambertian shading computed exactly on the CPU, rasterised by
    OpenGL unlit (fast). ``"pyrender"``: pyrender's own lights and PBR shader (slow on CPU)."""

    def __post_init__(self):
        if self.shading not in SHADINGS:
            raise ValueError(f"unknown shading {self.shading!r}; choose one of {SHADINGS}")
        if not 8 <= self.resolution <= 4096:
            raise ValueError(f"resolution must be in [8, 4096], got {self.resolution}")

    def to_dict(self) -> dict:
        return asdict(self)

    def shade(self, normals: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
        """Lambertian gray level in [0, 1] of world-space unit normals ``(n, 3)`` -> ``(n,)``."""
        cos = normals @ self.light_directions(azimuth, elevation).T  # (n, 2)
        value = self.ambient + self.light_intensity * np.clip(cos, 0.0, None).sum(axis=1)
        return np.clip(value, 0.0, 1.0)

    def light_directions(self, azimuth: float, elevation: float) -> np.ndarray:
        """World-space unit vectors from the object towards each light, ``(2, 3)`` float64."""
        axes = conventions.camera_axes(azimuth, elevation)
        below = math.radians(self.light_below_deg)
        out = []
        for side in (-1.0, 1.0):  # left, right
            yaw = side * math.radians(self.light_side_deg)
            cam = np.array(
                [math.sin(yaw) * math.cos(below), -math.sin(below), math.cos(yaw) * math.cos(below)]
            )
            out.append(axes @ cam)
        return np.stack(out)


@dataclass
class RenderResult:
    """One rendered view.

    image : (H, W) uint8 grayscale
    depth : (H, W) float32 distance from the camera plane along the view axis; 0 outside the
        mask, or None
    mask : (H, W) bool, pixels at least half covered by the object (from the 4x MSAA coverage),
        or None
    normals : (H, W, 3) uint8 camera-frame normals mapped as (n + 1) / 2 * 255 (x right, y up,
        z towards the camera), background = 0, or None
    """

    image: np.ndarray
    depth: np.ndarray | None = None
    mask: np.ndarray | None = None
    normals: np.ndarray | None = None


OUTPUTS = ("image", "depth", "mask", "normals")


def _look_along(direction: np.ndarray) -> np.ndarray:
    """A pose whose -Z axis points along ``-direction`` (a light shining towards the origin)."""
    back = direction / np.linalg.norm(direction)
    helper = np.array([0.0, 1.0, 0.0]) if abs(back[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    right = np.cross(helper, back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, up, back], axis=1)
    pose[:3, 3] = back * conventions.CAMERA_DISTANCE
    return pose


def check_mesh(mesh: trimesh.Trimesh, name: str = "mesh") -> None:
    """Raise ``ValueError`` with a clear message for meshes that cannot be rendered."""
    if not isinstance(mesh, trimesh.Trimesh):
        raise ValueError(f"{name}: expected a trimesh.Trimesh, got {type(mesh).__name__}")
    if len(mesh.faces) == 0:
        raise ValueError(f"{name}: mesh has no faces")
    if not np.isfinite(np.asarray(mesh.vertices)).all():
        raise ValueError(f"{name}: mesh has non-finite (NaN or infinite) vertices")


class Renderer:
    """A persistent pyrender scene + GL context for one image size. One per process is enough.

    >>> r = Renderer(RenderSettings(resolution=64))
    >>> r.render_voxels(grid, azimuth=30.0, elevation=20.0).image.shape
    (64, 64)
    """

    def __init__(self, settings: RenderSettings | None = None, backend: str | None = None):
        self.settings = settings or RenderSettings()
        pr = gl.pyrender_module(backend)
        self._pr = pr
        res = self.settings.resolution
        self._gl = gl.offscreen_renderer(res, res, backend)
        amb = self.settings.ambient
        self._scene = pr.Scene(bg_color=[0.0, 0.0, 0.0, 0.0], ambient_light=[amb, amb, amb])
        half = conventions.VIEW_HALF_EXTENT
        cam = pr.OrthographicCamera(
            xmag=half, ymag=half, znear=conventions.Z_NEAR, zfar=conventions.Z_FAR
        )
        self._cam_node = self._scene.add(cam, pose=np.eye(4))
        self._light_nodes = []
        if self.settings.shading == "pyrender":
            # pyrender's BRDF divides albedo by pi; scale so a head-on surface gets about the same
            # radiance as with lambert shading.
            intensity = self.settings.light_intensity * math.pi
            self._light_nodes = [
                self._scene.add(
                    pr.DirectionalLight(color=np.ones(3), intensity=intensity), pose=np.eye(4)
                )
                for _ in range(2)
            ]
        self._material = pr.MetallicRoughnessMaterial(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=1.0
        )
        self._flat = pr.constants.RenderFlags.FLAT

    # -- public API -------------------------------------------------------------------------------
    def render_voxels(
        self, grid: np.ndarray, azimuth: float, elevation: float, outputs=("image",)
    ) -> RenderResult:
        """Render a binary voxel grid ``(N, N, N)`` bool indexed [x, y, z] over the unit cube.

        An empty grid gives a blank (background) image.
        """
        return self._render(voxels_to_faces(check_grid(grid)), azimuth, elevation, outputs)

    def render_mesh(
        self, mesh: trimesh.Trimesh, azimuth: float, elevation: float, outputs=("image",)
    ) -> RenderResult:
        """Render a normalised mesh (unit cube, world frame) with flat shading."""
        check_mesh(mesh)
        tris = np.asarray(mesh.triangles, dtype=np.float32)  # (F, 3, 3): unshared vertices
        normals = np.repeat(np.asarray(mesh.face_normals, dtype=np.float32), 3, axis=0)
        faces = np.arange(len(tris) * 3, dtype=np.int32).reshape(-1, 3)
        return self._render(
            FaceMesh(tris.reshape(-1, 3), normals, faces), azimuth, elevation, outputs
        )

    # -- internals --------------------------------------------------------------------------------
    def _render(self, fm: FaceMesh, azimuth: float, elevation: float, outputs) -> RenderResult:
        outputs = tuple(outputs)
        unknown = set(outputs) - set(OUTPUTS)
        if unknown:
            raise ValueError(f"unknown render outputs {sorted(unknown)}; choose from {OUTPUTS}")
        if not (math.isfinite(azimuth) and math.isfinite(elevation)) or abs(elevation) >= 90:
            raise ValueError(f"invalid view (azimuth={azimuth}, elevation={elevation})")
        res = self.settings.resolution
        bg = self.settings.background
        if fm.is_empty:
            return RenderResult(
                image=np.full((res, res), bg, np.uint8),
                depth=np.zeros((res, res), np.float32) if "depth" in outputs else None,
                mask=np.zeros((res, res), bool) if "mask" in outputs else None,
                normals=np.zeros((res, res, 3), np.uint8) if "normals" in outputs else None,
            )
        self._scene.set_pose(self._cam_node, conventions.camera_pose(azimuth, elevation))
        if self._light_nodes:
            directions = self.settings.light_directions(azimuth, elevation)
            for node, direction in zip(self._light_nodes, directions, strict=True):
                self._scene.set_pose(node, _look_along(direction))

        if self.settings.shading == "lambert":
            # Red carries the shade, green a constant 1: after the 4x MSAA resolve, green is each
            # pixel's exact coverage, which gives the mask for free.
            gray = self.settings.shade(fm.normals, azimuth, elevation).astype(np.float32)
            colors = np.zeros((len(gray), 4), np.float32)
            colors[:, 0] = gray
            colors[:, 1] = 1.0
            colors[:, 3] = 1.0
            color, depth_raw = self._draw(fm, colors, self._flat)
            coverage = color[..., 1]
        else:
            color, depth_raw = self._draw(fm, None, 0)
            coverage = None
            if "mask" in outputs or bg:
                white = np.ones((len(fm.vertices), 4), np.float32)
                coverage = self._draw(fm, white, self._flat)[0][..., 0]
        image = color[..., 0].copy()
        mask = coverage >= 128 if coverage is not None else None
        if bg:
            # Blend the antialiased edge towards the background by the pixel's coverage.
            cov = coverage.astype(np.float32) / 255.0
            image = np.round(image + (1.0 - cov) * bg).clip(0, 255).astype(np.uint8)
        result = RenderResult(image=image)
        if "mask" in outputs:
            result.mask = mask
        if "depth" in outputs:
            depth = self._orthographic_depth(depth_raw)
            if mask is not None:
                # The depth blit keeps one MSAA sample; on edge pixels that sample can miss the
                # object although most of the pixel is covered. Borrow a neighbour's depth there.
                missing = mask & (depth == 0)
                if missing.any():
                    depth[missing] = ndimage.maximum_filter(depth, size=3)[missing]
                depth[~mask] = 0.0
            result.depth = depth
        if "normals" in outputs:
            result.normals = self._normal_map(fm, azimuth, elevation)
        return result

    def _draw(self, fm: FaceMesh, colors, flags):
        """Add the faces as a mesh node, render, remove the node. Returns (color, raw depth)."""
        pr = self._pr
        if colors is not None:
            prim = pr.Primitive(
                positions=fm.vertices, indices=fm.faces, color_0=colors, material=self._material
            )
        else:
            prim = pr.Primitive(
                positions=fm.vertices, normals=fm.normals, indices=fm.faces, material=self._material
            )
        node = self._scene.add(pr.Mesh([prim]))
        try:
            return self._gl.render(self._scene, flags=flags)
        finally:
            self._scene.remove_node(node)

    def _orthographic_depth(self, depth: np.ndarray) -> np.ndarray:
        # pyrender linearises the depth buffer as if the projection were perspective; undo that
        # and apply the orthographic (linear) mapping instead.
        mask = depth > 0
        n, f = conventions.Z_NEAR, conventions.Z_FAR
        out = np.zeros_like(depth, dtype=np.float32)
        v = depth[mask].astype(np.float64)
        ndc = (f + n - 2.0 * n * f / v) / (f - n)
        out[mask] = (n + (ndc + 1.0) / 2.0 * (f - n)).astype(np.float32)
        return out

    def _normal_map(self, fm: FaceMesh, azimuth: float, elevation: float) -> np.ndarray:
        cam_normals = fm.normals @ conventions.world_to_camera(azimuth, elevation).T.astype(
            np.float32
        )
        colors = np.concatenate(
            [(cam_normals + 1.0) / 2.0, np.ones((len(cam_normals), 1), np.float32)], axis=1
        )
        color, _ = self._draw(fm, colors, self._flat)
        return color.copy()
