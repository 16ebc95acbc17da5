"""`igbench bench render`: the off-the-shelf renderer three ways, in one run.

OpenGL (``--renderer opengl``):

1. naive -- what a first script does with pyrender: per image, mesh the voxels (one quad per exposed
   voxel face), ``pyrender.Mesh.from_trimesh``, a new ``Scene`` with the camera and the two
   directional lights, a new ``OffscreenRenderer``, render, delete. Same scene, same geometry.
   It runs in its own child process, because deleting renderers breaks other live ones under EGL.
2. persistent -- one :class:`~shapenet_render.renderer.Renderer` in this process.
3. pool -- :func:`~shapenet_render.pool.render_many` with the default number of workers.

Mitsuba 3's path tracer (``--renderer mitsuba``, :func:`bench_render_mitsuba`):

1. naive -- a new scene per image (``mi.load_dict`` with the mesh, camera and lights, then
   ``mi.render``), in this process: what a first Mitsuba script does.
2. persistent -- one :class:`~shapenet_render.mitsuba_renderer.MitsubaRenderer` (one scene; only
   the mesh, camera and light change), in this process.
3. pool -- the render pool with Mitsuba settings: one such renderer per worker process, Dr.Jit on
   one thread each.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from shapenet_render import conventions, gl
from shapenet_render.pool import RenderItem, RenderPool, default_workers
from shapenet_render.renderer import Renderer, RenderSettings
from shapenet_render.voxmesh import voxels_to_mesh


def chair_like(n: int = 64) -> np.ndarray:
    """A blocky chair at resolution ``n`` (legs, seat, back at +Z, one arm): ``(n, n, n)`` bool."""
    g = np.zeros((n, n, n), bool)
    s = n / 64.0

    def box(x0, x1, y0, y1, z0, z1):
        g[int(x0 * s) : int(x1 * s), int(y0 * s) : int(y1 * s), int(z0 * s) : int(z1 * s)] = True

    box(14, 50, 26, 31, 14, 50)  # seat
    for x in (14, 45):
        for z in (14, 45):
            box(x, x + 5, 0, 26, z, z + 5)  # legs
    box(14, 50, 31, 63, 45, 50)  # back
    box(14, 18, 31, 42, 14, 45)  # one arm (asymmetric on purpose)
    return g


def blob(n: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth random blob (thresholded low-pass noise), a worst case for face merging."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.random((n, n, n)), n / 16.0)
    inside = field > np.quantile(field, 0.7)
    margin = max(1, n // 16)
    mask = np.zeros_like(inside)
    mask[margin:-margin, margin:-margin, margin:-margin] = True
    return inside & mask


def _naive_worker(items, settings: RenderSettings, backend: str, queue) -> None:
    try:
        pr = gl.pyrender_module(backend)
        res = settings.resolution
        half = conventions.VIEW_HALF_EXTENT
        material = pr.MetallicRoughnessMaterial(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=1.0
        )
        from shapenet_render.renderer import _look_along

        t0 = time.perf_counter()
        images = []
        for item in items:
            mesh = voxels_to_mesh(item.grid())
            amb = settings.ambient
            scene = pr.Scene(bg_color=[0, 0, 0, 0], ambient_light=[amb, amb, amb])
            scene.add(pr.Mesh.from_trimesh(mesh, material=material, smooth=False))
            cam = pr.OrthographicCamera(
                xmag=half, ymag=half, znear=conventions.Z_NEAR, zfar=conventions.Z_FAR
            )
            scene.add(cam, pose=conventions.camera_pose(item.azimuth, item.elevation))
            for d in settings.light_directions(item.azimuth, item.elevation):
                light = pr.DirectionalLight(
                    color=np.ones(3), intensity=settings.light_intensity * np.pi
                )
                scene.add(light, pose=_look_along(d))
            renderer = pr.OffscreenRenderer(res, res)
            color, _ = renderer.render(scene)
            renderer.delete()
            images.append(color[..., 0].copy())
        queue.put(("ok", time.perf_counter() - t0, len(images)))
    except Exception as exc:  # reported by the parent
        queue.put(("error", f"{type(exc).__name__}: {exc}", 0))


@dataclass
class RenderBenchRow:
    method: str
    shape: str
    images: int
    seconds: float

    @property
    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class RenderBench:
    rows: list[RenderBenchRow]
    workers: int
    resolution: int
    voxel_res: int
    renderer: str = "opengl"
    detail: str = ""

    def total(self, method: str) -> float:
        rows = [r for r in self.rows if r.method == method]
        return sum(r.images for r in rows) / sum(r.seconds for r in rows)

    def _tag(self) -> str:
        if self.renderer == "opengl" and not self.detail:
            return ""
        return f" ({self.renderer}{', ' + self.detail if self.detail else ''})"

    def format(self) -> str:
        lines = [
            f"render benchmark{self._tag()}: {self.voxel_res}^3 voxels -> {self.resolution}^2 "
            f"images, pool workers = {self.workers}",
            f"{'method':<12}{'shape':<8}{'images':>8}{'seconds':>10}{'images/s':>11}",
        ]
        for r in self.rows:
            lines.append(
                f"{r.method:<12}{r.shape:<8}{r.images:>8}{r.seconds:>10.2f}{r.images_per_s:>11.1f}"
            )
        naive, persistent, pool = (self.total(m) for m in ("naive", "persistent", "pool"))
        lines.append(
            f"all shapes: naive {naive:.1f}, persistent {persistent:.1f}, pool {pool:.1f} images/s"
        )
        lines.append(f"persistent/naive: {persistent / naive:.1f}x")
        lines.append(f"pool/naive: {pool / naive:.1f}x")
        return "\n".join(lines)


def bench_render(
    n_images: int = 200,
    resolution: int = 128,
    voxel_res: int = 64,
    workers: int | None = None,
    backend: str | None = None,
) -> RenderBench:
    """Time the three ways on the same items (``n_images`` views of each shape)."""
    settings = RenderSettings(resolution=resolution)
    backend = gl.requested_backend(backend)
    workers = workers or default_workers()
    shapes = {"chair": chair_like(voxel_res), "blob": blob(voxel_res)}
    rng = np.random.default_rng(0)
    rows: list[RenderBenchRow] = []
    with RenderPool(settings, workers=workers, backend=backend) as pool:
        pool.render([RenderItem.voxels(shapes["chair"], 0.0, 30.0)] * workers)  # start workers
        renderer = Renderer(settings, backend)
        for name, grid in shapes.items():
            views = np.stack([rng.uniform(0, 360, n_images), rng.uniform(-30, 60, n_images)], 1)
            items = [RenderItem.voxels(grid, az, el) for az, el in views]

            ctx = mp.get_context("spawn")
            queue = ctx.Queue()
            proc = ctx.Process(target=_naive_worker, args=(items, settings, backend, queue))
            proc.start()
            status, seconds, count = queue.get()
            proc.join()
            if status != "ok":
                raise RuntimeError(f"naive renderer failed: {seconds}")
            rows.append(RenderBenchRow("naive", name, count, seconds))
            rows += _persistent_and_pool(name, items, renderer, pool)
    return RenderBench(rows, workers, resolution, voxel_res)


def _persistent_and_pool(name: str, items, renderer, pool) -> list[RenderBenchRow]:
    """The persistent renderer's and the pool's rows for one shape's items."""
    t0 = time.perf_counter()
    for item in items:
        item.render(renderer, ("image",))
    persistent = RenderBenchRow("persistent", name, len(items), time.perf_counter() - t0)
    t0 = time.perf_counter()
    pool.render(items)
    return [persistent, RenderBenchRow("pool", name, len(items), time.perf_counter() - t0)]


def bench_render_mitsuba(
    n_images: int = 50,
    resolution: int = 128,
    voxel_res: int = 64,
    workers: int | None = None,
    spp: int | None = None,
) -> RenderBench:
    """Mitsuba's three ways on the same items (``n_images`` views of each shape)."""
    from shapenet_render.mitsuba_renderer import MitsubaRenderer
    from shapenet_render.renderers import settings_for

    settings = settings_for("mitsuba", resolution, spp=spp)
    workers = workers or default_workers()
    shapes = {"chair": chair_like(voxel_res), "blob": blob(voxel_res)}
    rng = np.random.default_rng(0)
    rows: list[RenderBenchRow] = []
    with RenderPool(settings, workers=workers) as pool:
        pool.render([RenderItem.voxels(shapes["chair"], 0.0, 30.0)] * workers)  # start workers
        renderer = MitsubaRenderer(settings)
        renderer.render_voxels(shapes["chair"], 0.0, 30.0)  # its kernels compiled, as the pool's
        for name, grid in shapes.items():
            views = np.stack([rng.uniform(0, 360, n_images), rng.uniform(-30, 60, n_images)], 1)
            items = [RenderItem.voxels(grid, az, el) for az, el in views]

            t0 = time.perf_counter()
            for item in items:  # a new scene for every image
                MitsubaRenderer(settings).render_voxels(item.grid(), item.azimuth, item.elevation)
            rows.append(RenderBenchRow("naive", name, len(items), time.perf_counter() - t0))
            rows += _persistent_and_pool(name, items, renderer, pool)
    return RenderBench(rows, workers, resolution, voxel_res, "mitsuba", f"{settings.spp} spp")
