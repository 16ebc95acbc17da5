"""Performance benchmark: our voxelizer against trimesh's ``voxelized(pitch).fill()``, in one run.

Both methods see the same mesh (about ``n_faces`` faces, normalised into the unit cube) and produce
occupancy on the same grid: pitch ``1 / N`` with voxel centres at ``((i + 0.5) / N - 0.5, ...)``.
trimesh puts voxel centres at integer multiples of the pitch, so its copy of the mesh is translated
by ``0.5 + pitch / 2`` before voxelizing (outside the timed region) and its indices are mapped back
onto our ``N^3`` grid; the IoU of the two results is reported so that a fast but wrong answer shows.
Times are medians over ``repeats`` runs after one untimed warm-up run of each method, each run on a
fresh copy of the mesh so that neither method profits from trimesh's per-mesh caches.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import trimesh

from shapenet_render.sources.base import normalize_mesh
from shapenet_render.voxelize import voxel_iou, voxelize


@dataclass(frozen=True)
class VoxelizeBench:
    """Result of :func:`bench_voxelize`."""

    n_faces: int
    """Faces of the benchmark mesh (close to the requested count)."""
    resolution: int
    """Grid resolution N."""
    repeats: int
    """Timed runs per method (median reported)."""
    ours_ms: float
    """Median wall time of :func:`shapenet_render.voxelize.voxelize`, milliseconds."""
    trimesh_ms: float
    """Median wall time of ``mesh.voxelized(1 / N).fill()``, milliseconds."""
    iou: float
    """Voxel IoU between the two occupancy grids on the common N^3 grid."""
    iou_conservative: float
    """IoU between trimesh's grid and ours with ``conservative=True`` (both keep every voxel the
    surface touches): checks that the two methods agree where they intend to."""
    ours_occupied: int
    """Occupied voxels in our grid."""
    trimesh_occupied: int
    """Occupied voxels in trimesh's grid (mapped onto ours)."""

    @property
    def speedup(self) -> float:
        """trimesh time / our time (> 1: ours is faster)."""
        return self.trimesh_ms / self.ours_ms

    def format(self) -> list[str]:
        """Human-readable report, one string per line."""
        return [
            f"voxelize: {self.n_faces} faces -> {self.resolution}^3, median of {self.repeats} runs",
            f"  ours (surface sampling + flood fill + parity thinning): {self.ours_ms:8.1f} ms",
            f"  trimesh voxelized(pitch).fill():                        {self.trimesh_ms:8.1f} ms",
            f"  speedup (trimesh / ours): {self.speedup:.2f}x",
            f"  IoU ours vs trimesh: {self.iou:.3f} "
            f"(occupied voxels: ours {self.ours_occupied}, trimesh {self.trimesh_occupied}; "
            "trimesh keeps every voxel the surface touches, we keep voxels whose centre is inside)",
            f"  IoU ours (conservative=True) vs trimesh: {self.iou_conservative:.3f}",
        ]


def benchmark_mesh(n_faces: int = 50_000) -> trimesh.Trimesh:
    """A ~``n_faces`` test mesh in the unit cube, like a real model rather than a clean solid.

    A UV sphere (~60 % of the faces) and a torus (~40 %) around it, plus a large box slab and a post
    made of a few big triangles, all concatenated without a boolean union: overlapping parts,
    internal faces, many small triangles and some large ones.
    """
    if n_faces < 100:
        raise ValueError(f"n_faces must be at least 100, got {n_faces}")
    rows = max(4, round(math.sqrt(0.6 * n_faces / 8)))  # a UV sphere has ~8 rows^2 faces
    sphere = trimesh.creation.uv_sphere(radius=0.35, count=[rows, 2 * rows])
    sections = max(4, round(math.sqrt(0.4 * n_faces / 4)))  # a torus has 4 sections^2 faces
    torus = trimesh.creation.torus(
        major_radius=0.42, minor_radius=0.1, major_sections=2 * sections, minor_sections=sections
    )
    slab = trimesh.creation.box([1.0, 0.12, 0.7])
    slab.apply_translation([0.0, -0.4, 0.0])
    post = trimesh.creation.box([0.12, 0.5, 0.12])
    post.apply_translation([0.0, -0.2, 0.0])
    mesh = trimesh.util.concatenate([sphere, torus, slab, post])
    return normalize_mesh(mesh, name="benchmark mesh")


def _to_our_grid(voxels: trimesh.voxel.VoxelGrid, resolution: int) -> np.ndarray:
    """trimesh's voxelization of the shifted mesh (see module docstring) as an ``(N, N, N)`` bool
    grid in our layout."""
    pitch = 1.0 / resolution
    origin = np.round(voxels.transform[:3, 3] / pitch).astype(np.int64)
    # trimesh voxel m has its centre at m * pitch in the shifted frame, i.e. at (m - 1 + 0.5) / N -
    # 0.5 in ours: our index is m - 1.
    ijk = voxels.sparse_indices + origin - 1
    inside = ((ijk >= 0) & (ijk < resolution)).all(axis=1)
    grid = np.zeros((resolution,) * 3, dtype=bool)
    grid[tuple(ijk[inside].T)] = True
    return grid


def _median_ms(fn, meshes: list[trimesh.Trimesh]) -> tuple[float, object]:
    fn(meshes[0])  # warm-up: imports, allocator, BLAS threads
    times, result = [], None
    for mesh in meshes[1:]:
        start = time.perf_counter()
        result = fn(mesh)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000.0), result


def bench_voxelize(n_faces: int = 50_000, resolution: int = 64, repeats: int = 5) -> VoxelizeBench:
    """Time our voxelizer and trimesh's ``voxelized(pitch).fill()`` on the same mesh and grid.

    Args:
        n_faces: approximate face count of the benchmark mesh (:func:`benchmark_mesh`).
        resolution: grid resolution N (pitch 1 / N over the unit cube).
        repeats: timed runs per method.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    mesh = benchmark_mesh(n_faces)
    shift = 0.5 + 0.5 / resolution
    ours_inputs = [mesh.copy() for _ in range(repeats + 1)]
    trimesh_inputs = [mesh.copy().apply_translation([shift] * 3) for _ in range(repeats + 1)]

    ours_ms, ours = _median_ms(lambda m: voxelize(m, resolution), ours_inputs)
    # Only trimesh's own work is timed; mapping its sparse result onto our grid is not.
    trimesh_ms, voxels = _median_ms(lambda m: m.voxelized(1.0 / resolution).fill(), trimesh_inputs)
    theirs = _to_our_grid(voxels, resolution)
    return VoxelizeBench(
        n_faces=len(mesh.faces),
        resolution=resolution,
        repeats=repeats,
        ours_ms=ours_ms,
        trimesh_ms=trimesh_ms,
        iou=voxel_iou(ours, theirs),
        iou_conservative=voxel_iou(voxelize(mesh, resolution, conservative=True), theirs),
        ours_occupied=int(np.count_nonzero(ours)),
        trimesh_occupied=int(np.count_nonzero(theirs)),
    )
