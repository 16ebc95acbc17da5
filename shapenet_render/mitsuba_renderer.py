"""A physically based off-the-shelf renderer: Mitsuba 3's path tracer on the CPU (``llvm_ad_rgb``).

The paper's conclusion names more sophisticated photo-realistic renderers as the framework's next
step; this is one, behind the same interface as :class:`shapenet_render.renderer.Renderer` for
voxel grids: the same orthographic camera, views and normalisation (:mod:`shapenet_render.conventions`),
the same mesh (the exposed voxel faces of :func:`shapenet_render.voxmesh.voxels_to_faces`), a gray
image in [0, 255] and the silhouette mask.

Lighting (what makes it more than the OpenGL path): one directional (sun-like) light that follows
the camera as the OpenGL lights do, from above and to the side, and a uniform ambient sky
(Mitsuba's ``constant`` emitter) that is hidden from the camera, so the background stays black. The
path tracer adds what the OpenGL path lacks: cast shadows (a seat shades the legs below it),
ambient occlusion in concave parts (a tub's inside is darker than its rim) and interreflection
between faces (``max_depth`` bounces). Samples per pixel are a setting; noise falls as 1/sqrt(spp).
A render is deterministic for its ``seed``.

Loading: Mitsuba's LLVM variant needs an LLVM shared library its wheels do not ship. Debian's
``libllvm19`` works (its default LLVM 15 does not); :func:`load_mitsuba` points
``DRJIT_LIBLLVM_PATH`` at it before Mitsuba loads, so users set nothing. Where Mitsuba cannot load,
:class:`MitsubaUnavailableError` says why and how to fix it in one line.

One scene per renderer, loaded once (Dr.Jit compiles its kernels on the first render); each
render only replaces the mesh's vertex and face buffers and moves the camera and light.
"""

from __future__ import annotations

import glob
import math
import os
import threading
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import conventions
from .renderer import RenderResult
from .voxmesh import check_grid, voxels_to_faces

#: Where Debian (and Ubuntu) put the LLVM libraries Mitsuba can use, newest first.
LLVM_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libLLVM-19.so",
    "/usr/lib/x86_64-linux-gnu/libLLVM.so.19*",
    "/usr/lib/llvm-19/lib/libLLVM*.so*",
    "/usr/lib/aarch64-linux-gnu/libLLVM-19.so",
)
VARIANT = "llvm_ad_rgb"
_FIX = (
    "install it with `pip install igbench[mitsuba]` and Debian's LLVM 19 with "
    "`sudo apt-get install -y libllvm19` (`make setup` does both)"
)


#: The scene's mesh between renders: one tiny triangle outside every view.
_PLACEHOLDER = (
    np.array([[0, 0, 0], [1e-6, 0, 0], [0, 1e-6, 0]], np.float32) + 10.0,
    np.array([[0, 1, 2]], np.uint32),
)


class MitsubaUnavailableError(RuntimeError):
    """Mitsuba 3 cannot load here: the message names the reason and the fix."""


_lock = threading.Lock()
_mi: Any = None


def find_llvm() -> str | None:
    """An LLVM shared library Mitsuba's LLVM variant works with (``$DRJIT_LIBLLVM_PATH`` first)."""
    given = os.environ.get("DRJIT_LIBLLVM_PATH")
    if given:
        return given if os.path.isfile(given) else None
    for pattern in LLVM_CANDIDATES:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def load_mitsuba():
    """The ``mitsuba`` module with the LLVM variant set; raises :class:`MitsubaUnavailableError`."""
    global _mi
    with _lock:
        if _mi is not None:
            return _mi
        llvm = find_llvm()
        if llvm is None:
            where = os.environ.get("DRJIT_LIBLLVM_PATH")
            what = f"DRJIT_LIBLLVM_PATH={where} is not a file" if where else "no LLVM 19 library"
            raise MitsubaUnavailableError(f"mitsuba renderer: {what}; {_FIX}")
        os.environ["DRJIT_LIBLLVM_PATH"] = llvm
        try:
            import mitsuba as mi
        except ImportError as exc:
            raise MitsubaUnavailableError(f"mitsuba renderer: {exc}; {_FIX}") from exc
        try:
            mi.set_variant(VARIANT)
        except Exception as exc:  # noqa: BLE001 - Dr.Jit reports a failed LLVM load in many ways
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MitsubaUnavailableError(
                f"mitsuba renderer: variant {VARIANT} did not load with {llvm} ({first}); {_FIX}"
            ) from exc
        _mi = mi
        return mi


@dataclass(frozen=True)
class MitsubaSettings:
    """How the path tracer renders."""

    resolution: int = 128
    spp: int = 16
    """Samples per pixel."""
    max_depth: int = 4
    """Path length (2: direct light only; more: interreflection)."""
    albedo: float = 1.0
    """Diffuse reflectance of the (white, Lambertian) surface, as the OpenGL path's material."""
    sun_irradiance: float = 2.2
    """Irradiance of the directional light on a surface facing it head-on (2.2 ~ 0.7 pi: a white
    face towards it reflects ~0.7 of full scale, the OpenGL path's light intensity)."""
    sun_above_deg: float = 45.0
    """The light's elevation above the camera's view direction."""
    sun_side_deg: float = 30.0
    """The light's azimuth to the right of the camera."""
    ambient: float = 0.25
    """Radiance of the uniform sky (a white surface open to all of it reflects this much)."""
    background: int = 0
    seed: int = 0
    """Mixed into every image's sampler seed (with the grid's content and the view), so that a
    render does not depend on which worker made it or in what order."""

    def to_dict(self) -> dict:
        """The settings with ``renderer: mitsuba``, as datasets and checkpoints store them
        (:func:`shapenet_render.renderers.settings_from_dict` reads them back)."""
        return {"renderer": "mitsuba", **asdict(self)}


def image_seed(base: int, grid: np.ndarray, azimuth: float, elevation: float) -> int:
    """A 31-bit sampler seed from a base seed, a binary grid's content and a view."""
    h = zlib.crc32(np.packbits(np.asarray(grid, bool)).tobytes())
    h = zlib.crc32(np.array([azimuth, elevation], np.float64).tobytes(), h)
    return zlib.crc32(np.int64(base).tobytes(), h) & 0x7FFFFFFF


class MitsubaRenderer:
    """One Mitsuba scene for one image size; render voxel grids at (azimuth, elevation) views.

    >>> r = MitsubaRenderer(MitsubaSettings(resolution=64, spp=16))
    >>> r.render_voxels(grid, azimuth=30.0, elevation=20.0, seed=0).image.shape
    (64, 64)
    """

    def __init__(self, settings: MitsubaSettings | None = None):
        self.settings = settings or MitsubaSettings()
        mi = self._mi = load_mitsuba()
        s = self.settings
        tri, tri_faces = _PLACEHOLDER
        self._scene = mi.load_dict(
            {
                "type": "scene",
                "integrator": {"type": "path", "max_depth": s.max_depth, "hide_emitters": True},
                "sensor": {
                    "type": "orthographic",
                    "to_world": self._camera(0.0, 0.0),
                    "near_clip": conventions.Z_NEAR,
                    "far_clip": conventions.Z_FAR,
                    "film": {
                        "type": "hdrfilm",
                        "width": s.resolution,
                        "height": s.resolution,
                        "rfilter": {"type": "box"},
                        "pixel_format": "rgba",
                    },
                    "sampler": {"type": "independent", "sample_count": s.spp},
                },
                "sun": {
                    "type": "directional",
                    "direction": self._sun(0.0, 0.0).tolist(),
                    "irradiance": {"type": "rgb", "value": s.sun_irradiance},
                },
                "sky": {"type": "constant", "radiance": {"type": "rgb", "value": s.ambient}},
                "shape": self._mesh(tri, tri_faces),
            }
        )
        self._params = mi.traverse(self._scene)

    def set_threads(self, n: int) -> None:
        """Dr.Jit's worker threads in this process (default: one per core); a pool of renderer
        processes sets 1 each, so that N processes use N cores."""
        import drjit as dr

        dr.set_thread_count(int(n))

    # -- scene pieces --------------------------------------------------------------------------------
    def _camera(self, azimuth: float, elevation: float):
        mi, half = self._mi, conventions.VIEW_HALF_EXTENT
        pose = conventions.camera_pose(azimuth, elevation)
        look = mi.ScalarTransform4f().look_at(
            origin=pose[:3, 3].tolist(), target=[0.0, 0.0, 0.0], up=pose[:3, 1].tolist()
        )
        return look @ mi.ScalarTransform4f().scale([half, half, 1.0])

    def _sun(self, azimuth: float, elevation: float) -> np.ndarray:
        """The light's direction of travel (towards the object) for a view."""
        s = self.settings
        axes = conventions.camera_axes(azimuth, elevation)  # right, up, back
        up, side = math.radians(s.sun_above_deg), math.radians(s.sun_side_deg)
        towards_light = (
            math.cos(up) * (math.cos(side) * axes[:, 2] + math.sin(side) * axes[:, 0])
            + math.sin(up) * axes[:, 1]
        )
        return -towards_light / np.linalg.norm(towards_light)

    def _mesh(self, vertices: np.ndarray, faces: np.ndarray):
        mi = self._mi
        props = mi.Properties()
        props["bsdf"] = mi.load_dict(
            {"type": "diffuse", "reflectance": {"type": "rgb", "value": self.settings.albedo}}
        )
        mesh = mi.Mesh(
            "voxels",
            vertex_count=len(vertices),
            face_count=len(faces),
            has_vertex_normals=False,
            has_vertex_texcoords=False,
            props=props,
        )
        params = mi.traverse(mesh)
        params["vertex_positions"] = mi.Float(np.ascontiguousarray(vertices, np.float32).ravel())
        params["faces"] = mi.UInt32(np.ascontiguousarray(faces, np.uint32).ravel())
        params.update()
        return mesh

    # -- rendering -----------------------------------------------------------------------------------
    def render_voxels(
        self,
        grid: np.ndarray,
        azimuth: float,
        elevation: float,
        outputs=("image",),
        seed: int | None = None,
    ) -> RenderResult:
        """A binary voxel grid ``(N, N, N)`` indexed [x, y, z] over the unit cube, rendered with
        the path tracer: ``image`` (H, W) uint8 and ``mask`` (pixels at least half covered).

        outputs : what the caller needs, as for the OpenGL renderer; the path tracer makes
            ``image`` and ``mask`` (a depth or normal map is an OpenGL output: ValueError).
        seed : the sampler's seed; None derives it from the settings' seed, the grid's content
            and the view (:func:`image_seed`), so equal inputs give equal images anywhere.
        """
        other = set(outputs) - {"image", "mask"}
        if other:
            raise ValueError(
                f"the mitsuba renderer makes image and mask only, not {', '.join(sorted(other))}"
            )
        if not (math.isfinite(azimuth) and math.isfinite(elevation)) or abs(elevation) >= 90:
            raise ValueError(f"invalid view (azimuth={azimuth}, elevation={elevation})")
        res, bg = self.settings.resolution, self.settings.background
        occ = check_grid(grid)
        if seed is None:
            seed = image_seed(self.settings.seed, occ, azimuth, elevation)
        fm = voxels_to_faces(occ)
        if fm.is_empty:
            return RenderResult(
                image=np.full((res, res), bg, np.uint8), mask=np.zeros((res, res), bool)
            )
        mi, p = self._mi, self._params
        # The image of a mesh can depend on the mesh the scene held before it (after a
        # one-voxel mesh, ~2 % of a chair's pixels differed by up to 4 levels; the cause inside
        # Mitsuba is not known), so every render starts from the scene's placeholder: an image
        # is then a function of (grid, view, seed) alone, whichever worker renders it after
        # whichever other grid.
        p["shape.vertex_positions"] = mi.Float(_PLACEHOLDER[0].ravel())
        p["shape.faces"] = mi.UInt32(_PLACEHOLDER[1].ravel())
        p.update()
        p["shape.vertex_positions"] = mi.Float(fm.vertices.astype(np.float32).ravel())
        p["shape.faces"] = mi.UInt32(fm.faces.astype(np.uint32).ravel())
        p["sensor.to_world"] = self._camera(azimuth, elevation)
        sun = self._sun(azimuth, elevation)
        up = [0.0, 0.0, 1.0] if abs(sun[1]) > 0.9 else [0.0, 1.0, 0.0]  # not parallel to sun
        p["sun.to_world"] = mi.ScalarTransform4f().look_at(
            origin=[0.0, 0.0, 0.0], target=sun.tolist(), up=up
        )
        p.update()
        rgba = np.array(mi.render(self._scene, seed=int(seed)))
        coverage = np.clip(rgba[..., 3], 0.0, 1.0)
        gray = np.clip(rgba[..., 0], 0.0, 1.0) * 255.0 + (1.0 - coverage) * bg
        return RenderResult(image=np.round(gray).astype(np.uint8), mask=coverage >= 0.5)
