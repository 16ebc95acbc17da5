"""Binary voxel grid -> triangle mesh, by exposed faces (vectorised numpy).

Why exposed faces and not marching cubes: the paper renders *binary* voxel grids with the
off-the-shelf renderer, and its neural renderer sees the same grid resampled by the view transform.
Emitting exactly the boundary faces of the occupied cubes gives a mesh whose geometry *is* the voxel
grid (silhouettes of the two paths agree to the pixel), is watertight by construction, needs no
smoothing choice, and is O(#voxels) with a handful of numpy ops. Marching cubes would round corners
and shift thin (one-voxel) parts by half a voxel.

Quads are emitted with their own four vertices and a per-face normal, so flat shading needs no
vertex splitting later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

# For each axis, the two in-plane axes in an order that makes (u, v, normal) right-handed, so the
# quad (0,0),(1,0),(1,1),(0,1) is counter-clockwise seen from the +normal side.
_PLANE_AXES = {0: (1, 2), 1: (2, 0), 2: (0, 1)}


@dataclass(frozen=True)
class FaceMesh:
    """Triangles of the exposed voxel faces.

    Attributes
    ----------
    vertices : (4F, 3) float32, world coordinates in the unit cube
    normals : (4F, 3) float32, outward unit normals (one per quad, repeated on its 4 vertices)
    faces : (2F, 3) int32, counter-clockwise seen from outside
    """

    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray

    @property
    def is_empty(self) -> bool:
        return len(self.faces) == 0

    def to_trimesh(self) -> trimesh.Trimesh:
        """A watertight ``trimesh.Trimesh`` (duplicate quad corners merged)."""
        mesh = trimesh.Trimesh(self.vertices.astype(np.float64), self.faces, process=False)
        mesh.merge_vertices()
        return mesh


def check_grid(grid: np.ndarray, name: str = "voxel grid") -> np.ndarray:
    """Validate a binary voxel grid: ``(N, N, N)`` bool (or 0/1 integers). Returns it as bool."""
    arr = np.asarray(grid)
    if arr.ndim != 3 or len(set(arr.shape)) != 1 or arr.shape[0] < 1:
        raise ValueError(f"{name}: expected a cubic (N, N, N) array, got shape {arr.shape}")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iu" and arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(f"{name}: integer grid must hold only 0 and 1")
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: expected dtype bool (or 0/1 integers), got {arr.dtype}; "
            "threshold continuous occupancies first (e.g. grid > 0.5)"
        )
    return arr.astype(bool)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of True along the last axis of a 3-D mask: (s, p, q_start, q_end_exclusive)."""
    m = np.ascontiguousarray(mask)
    S, P, Q = m.shape
    start = m.copy()
    start[:, :, 1:] &= ~m[:, :, :-1]
    end = m.copy()
    end[:, :, :-1] &= ~m[:, :, 1:]
    i0 = np.flatnonzero(start)  # 1-D nonzero on contiguous memory is much faster than 3-D
    i1 = np.flatnonzero(end)  # runs end in the same (s, p) row-major order as they start
    row, q0 = np.divmod(i0, Q)
    s, p = np.divmod(row, P)
    return s, p, q0, i1 % Q + 1


def _rectangles(mask: np.ndarray) -> np.ndarray:
    """Cover a 3-D mask's slices (along axis 0) by rectangles: runs along axis 2 merged across
    consecutive rows of axis 1 when they span the same columns. Returns (R, 5) int64 rows of
    (s, p_start, p_end_excl, q_start, q_end_excl)."""
    s, p, q0, q1 = _runs(mask)
    if len(s) == 0:
        return np.zeros((0, 5), np.int64)
    order = np.lexsort((p, q1, q0, s))
    s, p, q0, q1 = s[order], p[order], q0[order], q1[order]
    same = np.zeros(len(s), bool)
    same[1:] = (s[1:] == s[:-1]) & (q0[1:] == q0[:-1]) & (q1[1:] == q1[:-1]) & (p[1:] == p[:-1] + 1)
    group_start = np.flatnonzero(~same)
    group_end = np.append(group_start[1:], len(s)) - 1
    return np.stack(
        [s[group_start], p[group_start], p[group_end] + 1, q0[group_start], q1[group_start]], axis=1
    )


def voxels_to_faces(grid: np.ndarray, merge: bool = True) -> FaceMesh:
    """Boundary of a binary grid ``(N, N, N)`` bool indexed [x, y, z] over the unit cube.

    With ``merge`` (default), coplanar exposed faces are merged into rectangles (runs along one
    in-plane axis, then identical runs across the other), which cuts the triangle count -- and the
    software rasteriser's time -- by an order of magnitude on typical shapes. The covered surface is
    identical; only its triangulation differs. ``merge=False`` emits one quad per voxel face.
    """
    occ = check_grid(grid)
    n = occ.shape[0]
    if not occ.any():
        empty = np.zeros((0, 3), np.float32)
        return FaceMesh(empty, empty, np.zeros((0, 3), np.int32))
    # Work on the occupied bounding box only (plus one empty layer on each side).
    nz = [np.flatnonzero(occ.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3)]
    lo = np.array([max(z[0] - 1, 0) for z in nz])
    hi = np.array([min(z[-1] + 2, n) for z in nz])
    box = np.zeros(tuple(hi - lo + 2), bool)
    box[1:-1, 1:-1, 1:-1] = occ[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    inner = (slice(1, -1),) * 3
    verts, norms = [], []
    for axis in range(3):
        for sign in (-1, 1):
            shifted = [slice(1, -1)] * 3
            shifted[axis] = slice(1 + sign, box.shape[axis] - 1 + sign)
            exposed = box[inner] & ~box[tuple(shifted)]
            u, v = _PLANE_AXES[axis]
            if sign < 0:
                u, v = v, u  # flip winding for the -normal side
            if merge:
                rect = _rectangles(exposed.transpose(axis, u, v))
            else:
                s, p, q = np.nonzero(exposed.transpose(axis, u, v))
                rect = np.stack([s, p, p + 1, q, q + 1], axis=1)
            if len(rect) == 0:
                continue
            quad = np.zeros((len(rect), 4, 3), np.float32)
            quad[:, :, axis] = (rect[:, 0] + lo[axis] + (1 if sign > 0 else 0))[:, None]
            pu = rect[:, [1, 2, 2, 1]] + lo[u]
            qv = rect[:, [3, 3, 4, 4]] + lo[v]
            quad[:, :, u] = pu
            quad[:, :, v] = qv
            verts.append(quad.reshape(-1, 3))
            normal = np.zeros(3, np.float32)
            normal[axis] = sign
            norms.append(np.broadcast_to(normal, (len(rect) * 4, 3)))
    vertices = np.concatenate(verts) / np.float32(n) - np.float32(0.5)
    normals = np.ascontiguousarray(np.concatenate(norms))
    n_quads = len(vertices) // 4
    first = (np.arange(n_quads, dtype=np.int32) * 4)[:, None]
    tris = np.concatenate([first + [0, 1, 2], first + [0, 2, 3]], axis=1).reshape(-1, 3)
    return FaceMesh(vertices.astype(np.float32), normals, tris.astype(np.int32))


def voxels_to_mesh(grid: np.ndarray) -> trimesh.Trimesh:
    """Watertight ``trimesh.Trimesh`` of a binary grid's boundary, one quad per voxel face."""
    return voxels_to_faces(grid, merge=False).to_trimesh()
