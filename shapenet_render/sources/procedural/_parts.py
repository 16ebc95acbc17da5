"""Solid building blocks for the procedural families, all in the world frame (+Y up, front -Z).

Every helper returns a :class:`manifold3d.Manifold` (a closed, oriented solid), so unions and
differences of parts stay watertight. Lengths are in metres-like units; the source normalises
the finished model into the unit cube, so only proportions matter.

Circular segment counts are passed explicitly (never through manifold3d's global defaults, which
are process-wide state) and kept modest: the dataset renderer voxelizes these meshes at 32^3 to
128^3, where 12-32 segments are indistinguishable from a true circle, and generation speed matters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import manifold3d as m3d
import numpy as np
import trimesh

Manifold = m3d.Manifold
CrossSection = m3d.CrossSection

#: Default number of segments of a full circle for larger round parts (seats, shades, tubs).
SEG = 24
#: Segments for thin round parts (legs, rods, tubes), where the cross-section is a few voxels wide.
SEG_THIN = 10

# Maps a plane name to (u axis, v axis, extrusion axis) as world-axis indices.
_PLANES = {"xy": (0, 1, 2), "xz": (0, 2, 1), "zy": (2, 1, 0), "yz": (1, 2, 0)}


def union(parts: Sequence[Manifold]) -> Manifold:
    """Boolean union of solids (one batched call: faster than folding ``+``)."""
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return Manifold()
    if len(parts) == 1:
        return parts[0]
    return Manifold.batch_boolean(list(parts), m3d.OpType.Add)


def subtract(solid: Manifold, cutters: Sequence[Manifold]) -> Manifold:
    """``solid`` minus the union of ``cutters``."""
    cutters = [c for c in cutters if not c.is_empty()]
    if not cutters:
        return solid
    return Manifold.batch_boolean([solid, *cutters], m3d.OpType.Subtract)


def intersect(a: Manifold, b: Manifold) -> Manifold:
    """The part of ``a`` inside ``b``."""
    return Manifold.batch_boolean([a, b], m3d.OpType.Intersect)


def box(lo: Sequence[float], hi: Sequence[float]) -> Manifold:
    """Axis-aligned box spanning corners ``lo`` and ``hi`` (each ``(x, y, z)``)."""
    lo_a, hi_a = np.asarray(lo, float), np.asarray(hi, float)
    size = np.maximum(hi_a - lo_a, 1e-4)
    return Manifold.cube(tuple(size)).translate(tuple(lo_a))


def cbox(center: Sequence[float], size: Sequence[float]) -> Manifold:
    """Axis-aligned box of ``size`` ``(sx, sy, sz)`` centred at ``center``."""
    return Manifold.cube(tuple(max(s, 1e-4) for s in size), True).translate(tuple(center))


def bevel_box(lo: Sequence[float], hi: Sequence[float], r: float) -> Manifold:
    """Box with chamfered edges (a cushion look): the hull of two boxes shrunk by ``r``.

    Cheap (16 vertices) compared with a box with rounded edges, and reads as soft at 32^3-64^3.
    """
    lo_a, hi_a = np.asarray(lo, float), np.asarray(hi, float)
    r = float(min(r, 0.45 * (hi_a - lo_a).min()))
    a = box(lo_a + [r, 0, r], hi_a - [r, 0, r])
    b = box(lo_a + [0, r, 0], hi_a - [0, r, 0])
    return Manifold.batch_hull([a, b])


def sphere(center: Sequence[float], r: float, seg: int = SEG_THIN) -> Manifold:
    """Sphere of radius ``r`` at ``center``."""
    return Manifold.sphere(r, seg).translate(tuple(center))


def cyl_y(
    x: float, z: float, y0: float, y1: float, r0: float, r1: float | None = None, seg: int = SEG
) -> Manifold:
    """Vertical cylinder (or frustum, radius ``r0`` at ``y0`` and ``r1`` at ``y1``) on axis (x, z)."""
    r1 = r0 if r1 is None else r1
    c = Manifold.cylinder(y1 - y0, r0, r1, seg)
    # cylinder() runs along +Z; rotating -90 deg about X takes +Z to +Y.
    return c.rotate((-90.0, 0.0, 0.0)).translate((x, y0, z))


def cyl_x(y: float, z: float, x0: float, x1: float, r: float, seg: int = SEG) -> Manifold:
    """Cylinder along +X from ``x0`` to ``x1`` on the axis (y, z)."""
    return Manifold.cylinder(x1 - x0, r, r, seg).rotate((0.0, 90.0, 0.0)).translate((x0, y, z))


def cyl_z(
    x: float, y: float, z0: float, z1: float, r0: float, r1: float | None = None, seg: int = SEG
) -> Manifold:
    """Cylinder (or frustum) along +Z from ``z0`` (radius ``r0``) to ``z1`` on the axis (x, y)."""
    r1 = r0 if r1 is None else r1
    return Manifold.cylinder(z1 - z0, r0, r1, seg).translate((x, y, z0))


def _frame_to(direction: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rotation whose third column is the unit ``direction`` (det +1)."""
    d = direction / np.linalg.norm(direction)
    helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(helper, d)
    u /= np.linalg.norm(u)
    v = np.cross(d, u)
    return np.stack([u, v, d], axis=1)


def rod(
    p0: Sequence[float],
    p1: Sequence[float],
    r: float,
    seg: int = SEG_THIN,
    extend: float = 0.0,
    r1: float | None = None,
    square: bool = False,
) -> Manifold:
    """Round (or square, side ``2 r``) bar from ``p0`` to ``p1``, lengthened by ``extend`` at both
    ends so that it overlaps the parts it joins; ``r1`` tapers it towards ``p1``."""
    a, b = np.asarray(p0, float), np.asarray(p1, float)
    d = b - a
    length = float(np.linalg.norm(d))
    if length < 1e-6:
        return sphere(a, r, seg)
    d /= length
    a = a - d * extend
    length += 2 * extend
    if square:
        s = 1.0 if r1 is None else r1 / r
        bar = CrossSection.square((2 * r, 2 * r), True).extrude(length, scale_top=(s, s))
    else:
        bar = Manifold.cylinder(length, r, r if r1 is None else r1, seg)
    mat = np.zeros((3, 4))
    mat[:, :3] = _frame_to(d)
    mat[:, 3] = a
    return bar.transform(mat)


def capsule(p0: Sequence[float], p1: Sequence[float], r: float, seg: int = SEG_THIN) -> Manifold:
    """Rod with hemispherical ends (hull of two spheres)."""
    return Manifold.batch_hull([sphere(p0, r, seg), sphere(p1, r, seg)])


def polyline_tube(
    points: Sequence[Sequence[float]], r: float, seg: int = SEG_THIN, square: bool = False
) -> Manifold:
    """A bent tube through ``points``: rods between consecutive points, spheres at the joints."""
    pts = [np.asarray(p, float) for p in points]
    parts = [rod(pts[i], pts[i + 1], r, seg, square=square) for i in range(len(pts) - 1)]
    if not square:
        parts += [sphere(p, r, seg) for p in pts[1:-1]]
    else:
        parts += [cbox(p, (2 * r, 2 * r, 2 * r)) for p in pts[1:-1]]
    return union(parts)


def prism(poly: np.ndarray | CrossSection, plane: str, a0: float, a1: float) -> Manifold:
    """Extrude a 2-D shape drawn in a world plane along the remaining axis, from ``a0`` to ``a1``.

    ``poly`` is a ``(n, 2)`` polygon (any winding) or a CrossSection whose 2-D coordinates are the
    plane's (u, v) world coordinates: plane ``"xy"`` extrudes along Z, ``"xz"`` along Y, ``"zy"``
    along X (u = z, v = y).
    """
    cs = poly if isinstance(poly, CrossSection) else polygon(poly)
    # Near-duplicate contour vertices (from 2-D booleans and offsets) would become sliver faces.
    solid = cs.simplify(1e-5).extrude(a1 - a0)
    u, v, w = _PLANES[plane]
    mat = np.zeros((3, 4))
    mat[u, 0] = mat[v, 1] = mat[w, 2] = 1.0
    mat[w, 3] = a0
    # A permutation with det -1 mirrors the solid; manifold3d flips the triangles so it stays valid.
    return solid.transform(mat)


def loft(sections: Sequence[np.ndarray]) -> Manifold:
    """Closed solid through a sequence of cross-section rings, capped at both ends.

    ``sections`` are ``(n, 3)`` rings with the same ``n``, matching vertex order and winding, and
    star-shaped about their centroids (the caps are fans from there); consecutive rings must not
    cross. Built directly as a mesh, which avoids the coplanar slivers that unions of slices of
    a loft would leave.
    """
    rings = np.stack([np.asarray(r, dtype=np.float64) for r in sections])
    n_sec, n, _ = rings.shape
    verts = np.vstack([rings.reshape(-1, 3), rings[0].mean(axis=0), rings[-1].mean(axis=0)])
    k = np.arange(n)
    tris = []
    for s in range(n_sec - 1):
        a, b = s * n + k, s * n + (k + 1) % n
        c, d = (s + 1) * n + (k + 1) % n, (s + 1) * n + k
        tris += [np.stack([a, b, c], 1), np.stack([a, c, d], 1)]
    c0, c1 = n_sec * n, n_sec * n + 1
    last = (n_sec - 1) * n
    tris += [
        np.stack([np.full(n, c0), (k + 1) % n, k], 1),
        np.stack([np.full(n, c1), last + k, last + (k + 1) % n], 1),
    ]
    faces = np.vstack(tris)
    t = verts[faces]
    if np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() < 0:
        faces = faces[:, ::-1]  # inward-facing: flip so the volume is positive
    mesh = m3d.Mesh(
        vert_properties=np.ascontiguousarray(verts, dtype=np.float32),
        tri_verts=np.ascontiguousarray(faces, dtype=np.uint32),
    )
    return Manifold(mesh)


def polygon(points: np.ndarray) -> CrossSection:
    """CrossSection from one ``(n, 2)`` contour, accepting either winding."""
    pts = np.asarray(points, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    area = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    if area < 0:
        pts = pts[::-1]
    return CrossSection([np.ascontiguousarray(pts)])


def superellipse(a: float, b: float, n: float, seg: int = 32) -> np.ndarray:
    """``(seg, 2)`` contour of |u/a|^n + |v/b|^n = 1: n = 2 an ellipse, n -> inf a rectangle."""
    t = np.linspace(0.0, 2 * math.pi, seg, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    u = a * np.sign(c) * np.abs(c) ** (2.0 / n)
    v = b * np.sign(s) * np.abs(s) ** (2.0 / n)
    return np.stack([u, v], axis=1)


def rounded_rect(w: float, h: float, r: float, seg: int = 24) -> CrossSection:
    """Centred ``w`` x ``h`` rectangle with corner radius ``r`` (``seg`` segments per full circle)."""
    r = float(min(r, 0.49 * min(w, h)))
    if r < 1e-4:
        return CrossSection.square((w, h), True)
    core = CrossSection.square((w - 2 * r, h - 2 * r), True)
    return core.offset(r, m3d.JoinType.Round, 2.0, seg)


def revolve_y(profile: Sequence[Sequence[float]], seg: int = SEG) -> Manifold:
    """Solid of revolution about the +Y axis of a closed ``(r, y)`` profile (``r >= 0``)."""
    solid = polygon(np.asarray(profile, float)).revolve(seg)
    # revolve() makes the profile's second coordinate the +Z axis; turn it into +Y.
    return solid.rotate((-90.0, 0.0, 0.0))


def shell_profile(outer: np.ndarray, wall: float, floor: float) -> np.ndarray:
    """Closed ``(r, y)`` profile of an open-topped vessel of revolution.

    ``outer`` is the outside curve ``(n, 2)`` from the bottom centre (r = 0) up to the rim; the
    inside is the outside moved inwards by ``wall`` and stopped at height ``floor``, so the result
    has a real cavity open at the top.
    """
    outer = np.asarray(outer, float)
    inner = outer.copy()
    inner[:, 0] = np.maximum(outer[:, 0] - wall, 0.0)
    inner = inner[inner[:, 1] >= floor]
    inner = inner[inner[:, 0] > 1e-3]
    inner = np.vstack([inner, [[0.0, floor]]]) if len(inner) else np.array([[0.0, floor]])
    return np.vstack([[[0.0, outer[0, 1]]], outer[outer[:, 0] > 1e-6], inner[::-1]])


def to_trimesh(solid: Manifold) -> trimesh.Trimesh:
    """Convert a Manifold into a watertight ``trimesh.Trimesh`` (float64 vertices, int64 faces).

    manifold3d already shares vertices between faces, so trimesh's merge pass is skipped. Booleans
    of parts with flush (coplanar) faces can leave zero-area sliver triangles; these are removed
    by :func:`remove_slivers`, which keeps the mesh closed and its volume unchanged.
    """
    verts, faces = _arrays(solid)
    faces = remove_slivers(verts, faces)
    if has_slivers(verts, faces):
        # Rare tangent contacts pinch the surface where no collapse or flip is allowed; merging
        # vertices closer than a micrometre-scale tolerance first resolves them.
        verts, faces = _arrays(solid.simplify(1e-5 * _scale(verts)))
        faces = remove_slivers(verts, faces)
    used = np.unique(faces)
    if len(used) < len(verts):  # drop vertices orphaned by edge collapses
        remap = np.full(len(verts), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        verts, faces = verts[used], remap[faces]
    return trimesh.Trimesh(vertices=verts, faces=faces, process=False)


def _arrays(solid: Manifold) -> tuple[np.ndarray, np.ndarray]:
    """``(V, 3)`` float64 vertices and ``(F, 3)`` int64 faces of a solid."""
    mesh = solid.to_mesh()
    verts = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3]
    return verts, np.asarray(mesh.tri_verts, dtype=np.int64)


def _scale(verts: np.ndarray) -> float:
    """Longest bounding-box side of a vertex set (1.0 when empty)."""
    return float(np.ptp(verts, axis=0).max()) if len(verts) else 1.0


def has_slivers(verts: np.ndarray, faces: np.ndarray) -> bool:
    """Whether any triangle is narrower than :data:`SLIVER_REL` times the model size."""
    return bool((_altitudes(verts, faces)[0] < SLIVER_REL * _scale(verts)).any())


#: A triangle whose altitude over its longest edge is below this (relative to the model's size)
#: is a sliver. trimesh calls faces narrower than 1e-8 absolute degenerate; this is stricter.
SLIVER_REL = 1e-7


def _altitudes(verts: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-face altitude over the longest edge ``(F,)`` and edge lengths ``(F, 3)``; edge k runs
    from corner k to corner k + 1."""
    t = verts[faces]
    e = np.stack([t[:, 1] - t[:, 0], t[:, 2] - t[:, 1], t[:, 0] - t[:, 2]], axis=1)
    length = np.linalg.norm(e, axis=2)
    area2 = np.linalg.norm(np.cross(e[:, 0], -e[:, 2]), axis=1)
    return area2 / np.maximum(length.max(axis=1), 1e-300), length


def remove_slivers(verts: np.ndarray, faces: np.ndarray, max_ops: int = 500) -> np.ndarray:
    """Remove zero-area triangles from a closed, oriented mesh without opening it.

    A sliver with a (near) zero-length edge is removed by collapsing that edge (both triangles on
    it disappear); a needle whose third corner lies on its longest edge is removed by flipping
    that edge with the neighbouring triangle. Each operation is applied only if it keeps every
    edge shared by exactly two triangles (the link condition), so the mesh stays watertight;
    positions never move, so the volume is unchanged. Returns the new ``(F', 3)`` faces.
    """
    h_tol = SLIVER_REL * _scale(verts)
    if not has_slivers(verts, faces):
        return faces
    faces = faces.copy()
    skip: set[tuple[int, int, int]] = set()
    for _ in range(max_ops):
        alt, length = _altitudes(verts, faces)
        bad = [i for i in np.flatnonzero(alt < h_tol) if tuple(faces[i]) not in skip]
        if not bad:
            break
        i = bad[0]
        tri = faces[i]
        k_short, k_long = int(np.argmin(length[i])), int(np.argmax(length[i]))
        new = None
        if length[i, k_short] < h_tol:
            new = _collapse(faces, int(tri[k_short]), int(tri[(k_short + 1) % 3]))
        if new is None:
            new = _flip(verts, faces, i, k_long, h_tol)
        if new is None:
            skip.add(tuple(faces[i]))
        else:
            faces = new
    return faces


def _collapse(faces: np.ndarray, u: int, w: int) -> np.ndarray | None:
    """Faces after merging vertex ``w`` into ``u``, or None if that would break manifoldness."""
    has_u = (faces == u).any(axis=1)
    has_w = (faces == w).any(axis=1)
    on_edge = has_u & has_w
    if on_edge.sum() != 2:
        return None
    opposite = set(faces[on_edge].ravel()) - {u, w}
    ring_u = set(faces[has_u].ravel()) - {u, w}
    ring_w = set(faces[has_w].ravel()) - {u, w}
    if ring_u & ring_w != opposite:  # the link condition
        return None
    out = faces[~on_edge].copy()
    out[out == w] = u
    return out


def _flip(verts: np.ndarray, faces: np.ndarray, i: int, k: int, h_tol: float) -> np.ndarray | None:
    """Faces after flipping edge ``k`` of face ``i`` with its neighbour, or None if that is
    impossible or would make a new sliver (which could flip back and forth forever)."""
    p, q, r = (int(faces[i][(k + j) % 3]) for j in range(3))
    nxt = np.roll(faces, -1, axis=1)
    nbr = np.flatnonzero(((faces == q) & (nxt == p)).any(axis=1))
    if len(nbr) != 1:
        return None
    j = int(nbr[0])
    d = next(int(x) for x in faces[j] if x != p and x != q)
    if d == r or ((faces == r).any(axis=1) & (faces == d).any(axis=1)).any():
        return None  # the new edge r-d exists already: flipping would make it non-manifold
    pair = np.array([(p, d, r), (d, q, r)])
    if (_altitudes(verts, pair)[0] < h_tol).any():
        return None
    out = faces.copy()
    out[i], out[j] = pair
    return out
