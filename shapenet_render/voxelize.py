"""Mesh -> solid occupancy grid (inside = filled) in the unit cube, robust to real-world meshes.

Grid convention (see :mod:`shapenet_render.conventions`): a grid of resolution ``N`` is an
``(N, N, N)`` bool array indexed ``grid[i, j, k]`` with ``i`` along +X, ``j`` along +Y and ``k``
along +Z; it covers exactly the unit cube [-0.5, 0.5]^3 and voxel (i, j, k) has its centre at
``((i + 0.5) / N - 0.5, (j + 0.5) / N - 0.5, (k + 0.5) / N - 0.5)``.

Method, and why
---------------
ShapeNet-like meshes are rarely clean solids: they have holes, flipped or inconsistent normals,
parts that overlap without a boolean union, internal faces and open sheets (a table top made of one
quad). Methods that decide "inside" from one signal break on one of these: ray parity and winding
numbers break on holes, open sheets and overlaps; depth-map carving from a few views fills every
concavity that no view sees into (the inside of a bathtub seen from the side). We therefore decide
inside/outside by *connectivity*, and use ray parity only as a local, voted tie-breaker:

1. **Surface voxels.** Every triangle is sampled on a barycentric grid whose sub-triangles have
   edges shorter than 0.8 voxel (smaller triangles contribute just their vertices, so a 50k-face
   mesh costs little more than its vertex count). Because every point of a triangle is then within
   0.47 voxel of one of its samples, and a segment between two face-adjacent voxel centres that crosses
   the surface has a half-voxel ball around the crossing inside those two voxels, one of the two is
   always marked: a closed surface leaves no 6-connected gap. Holes smaller than about a voxel are
   closed the same way, and open sheets get a one-voxel-thick layer.
2. **Flood fill of the outside.** Empty voxels 6-connected to the grid border (``scipy.ndimage.
   label``, one union-find pass) are outside; everything else is inside. This ignores normals
   entirely (flipped normals are harmless), fills overlapping parts and internal faces, and keeps
   every concavity that is open to the outside.
3. **Thin the surface layer to the true boundary.** Step 1 marks every voxel the surface touches,
   which makes solids about half a voxel too fat on every side (~8 % too much volume for a sphere at
   32^3). A surface voxel is cleared when its centre is outside the shape, judged by three tests:
   it touches the flood-filled outside; it lies within one voxel (26-neighbourhood) of the shape's
   interior (flood-fill interior, or surface voxels deep in a thick band), so sheets, plates and
   rods up to about two voxels thick, which have no interior, are never thinned away; and a vote of
   axis-aligned ray parities through its centre says "outside". Each axis votes only if its ray
   crosses the surface an even number of times overall, so rays through holes or open sheets
   abstain instead of voting wrongly, and ties keep the voxel. Crossings are found by rasterising
   every triangle onto the three families of axis-aligned lines through voxel centres with a
   top-left fill rule, so a ray through an edge or vertex shared by two triangles counts once.
   Closed meshes then come out as the voxels whose centre is inside, up to a few voxels on edges
   and corners (IoU >= 0.997 against ``mesh.contains`` on the voxel centres for randomly rotated
   boolean shapes, tori and boxes at 32^3 and 64^3).

Every step is vectorised numpy/scipy; a 50k-face mesh at 64^3 takes well under 100 ms on one core (``igbench bench voxelize`` compares it with trimesh's ``voxelized(pitch).fill()``).
Known limit: a hole larger than about a voxel lets the flood fill into a closed shape; the result is
then a one-voxel shell, which renders identically from outside but is hollow.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy import ndimage

#: Longest edge, in voxels, of the sub-triangles into which large triangles are sampled. Every point
#: of a triangle is within (longest edge) / sqrt(3) of one of its corners, so 0.8 keeps every surface
#: point within 0.47 voxel of a sample: below the 0.5 that step 1's no-gap argument needs, with a
#: margin for floating-point error.
_MAX_SUB_EDGE = 0.8
#: How far (in world units) a mesh may poke out of the unit cube before we refuse it; anything this
#: small is float noise from normalisation and is clipped onto the border voxels.
_BOUNDS_TOLERANCE = 1e-4
#: Upper bound on the number of surface samples held in memory at once.
_MAX_SAMPLES_PER_CHUNK = 2_000_000


def voxelize(
    mesh: trimesh.Trimesh, resolution: int, fill: bool = True, conservative: bool = False
) -> np.ndarray:
    """Solid occupancy of a mesh lying in the unit cube.

    Args:
        mesh: triangle mesh in world units, inside [-0.5, 0.5]^3 (as every shape source's ``load``
            returns it). It need not be watertight, consistently oriented or free of overlaps.
        resolution: grid size ``N`` (any positive int; the project uses 32, 64 and 128).
        fill: if False, return only the surface voxels (step 1 of the module docstring).
        conservative: if True, keep every voxel the surface touches (skip step 3): about half a
            voxel fatter on every side, like trimesh's ``voxelized(pitch).fill()``.

    Returns:
        ``(N, N, N)`` bool array indexed ``[x, y, z]``; True where the voxel is inside the shape.

    Raises:
        ValueError: for a non-positive resolution, a mesh without faces, non-finite vertices, or a
            mesh that extends outside the unit cube.
    """
    n = int(resolution)
    if n <= 0:
        raise ValueError(f"voxel resolution must be positive, got {resolution}")
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    # Winding carries no information here (normals are not trusted); sorting each face's corners
    # makes the result bit-identical for any winding, down to the rounding of sample points.
    faces = np.sort(np.asarray(mesh.faces, dtype=np.int64), axis=1)
    if len(faces) == 0:
        raise ValueError("cannot voxelize a mesh without faces")
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    if not np.isfinite(vertices[used]).all():
        raise ValueError("cannot voxelize a mesh with non-finite vertices")
    lo, hi = vertices[used].min(axis=0), vertices[used].max(axis=0)
    if (lo < -0.5 - _BOUNDS_TOLERANCE).any() or (hi > 0.5 + _BOUNDS_TOLERANCE).any():
        raise ValueError(
            f"mesh bounds {lo.round(4).tolist()}..{hi.round(4).tolist()} exceed the unit cube "
            "[-0.5, 0.5]^3; normalise it first (shape sources' load() does)"
        )
    # Index units: voxel i spans [i, i + 1) along each axis. Converting the vertices once (not the
    # triangles) gives triangles that share a vertex bit-identical coordinates, which the exact
    # edge-sharing rule in _axis_parity relies on.
    grid_vertices = (vertices + 0.5) * n
    triangles = grid_vertices[faces]  # (F, 3 corners, 3 coords)

    surface = _surface_voxels(grid_vertices[used], triangles, n)
    if not fill:
        return surface
    outside = _flood_outside(surface)
    occupied = ~outside
    if conservative:
        return occupied
    clear = _surface_voxels_outside(triangles, surface, outside, n)
    occupied[clear] = False
    return occupied


def voxel_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two occupancy grids of the same shape (1.0 if both are empty)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"voxel grids differ in shape: {a.shape} vs {b.shape}")
    union = np.count_nonzero(a | b)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(a & b) / union)


# --------------------------------------------------------------------------------------------------
# Step 1: surface voxels


def _flat_index(x: np.ndarray, y: np.ndarray, z: np.ndarray, n: int) -> np.ndarray:
    """Flat indices into an ``(n, n, n)`` grid of points given in index units (any equal shapes)."""
    # Truncation equals floor here: coordinates are > -1 (bounds were checked) and the clip maps
    # points on the cube's far faces (coordinate n) into the last voxel.
    i = np.minimum(x.astype(np.int64), n - 1)
    j = np.minimum(y.astype(np.int64), n - 1)
    k = np.minimum(z.astype(np.int64), n - 1)
    return (i * n + j) * n + k


def _max3(x: np.ndarray) -> np.ndarray:
    """Row-wise max of an ``(F, 3)`` array (much faster than ``max(axis=1)`` on a length-3 axis)."""
    return np.maximum(np.maximum(x[:, 0], x[:, 1]), x[:, 2])


def _min3(x: np.ndarray) -> np.ndarray:
    """Row-wise min of an ``(F, 3)`` array."""
    return np.minimum(np.minimum(x[:, 0], x[:, 1]), x[:, 2])


def _barycentric_grid(k: int) -> np.ndarray:
    """Weights ``(m, 3)`` float32 of a triangle's points subdivided ``k`` times per edge, corners
    excluded (they are marked separately)."""
    a, b = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = (a + b <= k) & ~((a == 0) & (b == 0)) & (a != k) & (b != k)
    a, b = a[keep], b[keep]
    return (np.stack([k - a - b, a, b], axis=1) / k).astype(np.float32)


def _surface_voxels(corners: np.ndarray, triangles: np.ndarray, n: int) -> np.ndarray:
    """``(n, n, n)`` bool: voxels touched by the surface (step 1 of the module docstring).

    ``corners``: ``(V, 3)`` vertices used by faces; ``triangles``: ``(F, 3, 3)``; both in index
    units.
    """
    surface = np.zeros(n * n * n, dtype=bool)
    surface[_flat_index(corners[:, 0], corners[:, 1], corners[:, 2], n)] = True

    longest2 = np.zeros(len(triangles))
    for c in range(3):
        edge = triangles[:, (c + 1) % 3] - triangles[:, c]
        longest2 = np.maximum(longest2, edge[:, 0] ** 2 + edge[:, 1] ** 2 + edge[:, 2] ** 2)
    # Subdivisions per edge so that sub-triangle edges are shorter than _MAX_SUB_EDGE voxels; k = 1
    # means the corners only, already marked.
    k = np.floor(np.sqrt(longest2) / _MAX_SUB_EDGE).astype(np.int64) + 1
    big = k > 1
    if not big.any():
        return surface.reshape(n, n, n)
    # (F, coord, corner) in float32: sub-voxel accuracy to spare and half the memory traffic.
    tris = triangles[big].transpose(0, 2, 1).astype(np.float32)
    k = k[big]
    for kk in np.unique(k):
        weights = _barycentric_grid(int(kk))
        group = tris[k == kk]
        step = max(1, _MAX_SAMPLES_PER_CHUNK // len(weights))
        for start in range(0, len(group), step):
            chunk = group[start : start + step]
            # (F, 3 coords, m samples); broadcasting beats a GEMM with an inner dimension of 3.
            points = (
                chunk[:, :, 0, None] * weights[:, 0]
                + chunk[:, :, 1, None] * weights[:, 1]
                + chunk[:, :, 2, None] * weights[:, 2]
            )
            surface[_flat_index(points[:, 0], points[:, 1], points[:, 2], n)] = True
    return surface.reshape(n, n, n)


# --------------------------------------------------------------------------------------------------
# Step 2: flood fill of the outside


def _flood_outside(surface: np.ndarray) -> np.ndarray:
    """``(n, n, n)`` bool: empty voxels 6-connected to the grid border."""
    labels, _ = ndimage.label(~surface)  # default structure = 6-connectivity in 3D
    border = np.concatenate(
        [
            labels[0].ravel(),
            labels[-1].ravel(),
            labels[:, 0].ravel(),
            labels[:, -1].ravel(),
            labels[:, :, 0].ravel(),
            labels[:, :, -1].ravel(),
        ]
    )
    is_outside = np.zeros(labels.max() + 1, dtype=bool)
    is_outside[border] = True
    is_outside[0] = False  # label 0 = surface voxels
    return is_outside[labels]


# --------------------------------------------------------------------------------------------------
# Step 3: thin the surface layer


def _touches(mask: np.ndarray, pad_value: bool) -> np.ndarray:
    """``(n, n, n)`` bool: voxels with a 6-neighbour in ``mask`` (outside the grid = ``pad_value``)."""
    padded = np.pad(mask, 1, constant_values=pad_value)
    return (
        padded[:-2, 1:-1, 1:-1]
        | padded[2:, 1:-1, 1:-1]
        | padded[1:-1, :-2, 1:-1]
        | padded[1:-1, 2:, 1:-1]
        | padded[1:-1, 1:-1, :-2]
        | padded[1:-1, 1:-1, 2:]
    )


def _dilate_cube(mask: np.ndarray) -> np.ndarray:
    """``(n, n, n)`` bool: voxels within one voxel of ``mask`` in all 26 directions (3x3x3 dilation)."""
    out = mask.copy()
    for axis in range(3):
        src = out.copy()
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(lo)] |= src[tuple(hi)]
        out[tuple(hi)] |= src[tuple(lo)]
    return out


def _surface_voxels_outside(
    triangles: np.ndarray, surface: np.ndarray, outside: np.ndarray, n: int
) -> np.ndarray:
    """``(n, n, n)`` bool: surface voxels whose centre lies outside a solid (step 3)."""
    interior = ~surface & ~outside
    skin = surface & _touches(outside, pad_value=True)
    # Interior evidence: flood-fill interior plus surface voxels that do not touch the outside (deep
    # in a thick surface band). Looking one voxel around in all 26 directions also reaches the
    # interior from voxels on a solid's edges and corners. Sheets, plates and rods thinner than about
    # two voxels have no interior nearby, so they are never thinned away.
    candidates = skin & _dilate_cube(interior | (surface & ~skin))
    if not candidates.any():
        return candidates

    votes = np.zeros(surface.shape, dtype=np.int8)
    voters = np.zeros(surface.shape, dtype=np.int8)
    for axis in range(3):
        inside, reliable = _axis_parity(triangles, n, axis)
        votes += inside & reliable
        voters += reliable
    # Ties and "no reliable axis" keep the voxel: losing a thin part is worse than a fat boundary.
    centre_outside = 2 * votes < voters
    return candidates & centre_outside


def _axis_parity(triangles: np.ndarray, n: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Ray-parity inside test of every voxel centre along one axis.

    Rasterises all triangles (``(F, 3, 3)``, index units, voxel i = [i, i + 1)) onto the ``n x n``
    lines parallel to ``axis`` through voxel centres, with a top-left fill rule so that a line
    through an edge or vertex shared by two triangles hits exactly one of them, and counts the
    crossings between consecutive centres.

    Returns:
        ``inside``: ``(n, n, n)`` bool, odd number of crossings between the grid's low end and the
        centre; ``reliable``: ``(n, n, n)`` bool, the whole line crosses the surface an even number
        of times (False on lines through a hole or an open sheet).
    """
    u_axis, v_axis = [a for a in range(3) if a != axis]
    # Shift so that voxel centre i sits at coordinate i.
    a = triangles[..., axis] - 0.5
    u = triangles[..., u_axis] - 0.5
    v = triangles[..., v_axis] - 0.5  # (F, 3) each

    # Lines (integer u, v) inside each triangle's bounding box. Most triangles of a detailed mesh
    # contain none, so drop them before any further per-triangle work.
    u0 = np.ceil(_min3(u))
    v0 = np.ceil(_min3(v))
    nu = np.floor(_max3(u)) - u0 + 1
    nv = np.floor(_max3(v)) - v0 + 1
    keep = (nu > 0) & (nv > 0)
    a, u, v, u0, v0, nu, nv = a[keep], u[keep], v[keep], u0[keep], v0[keep], nu[keep], nv[keep]
    # Clip to the grid (geometry may touch the cube's faces, beyond the outermost centres).
    u1 = np.minimum(u0 + nu - 1, n - 1)
    v1 = np.minimum(v0 + nv - 1, n - 1)
    u0 = np.maximum(u0, 0)
    v0 = np.maximum(v0, 0)
    nu = np.maximum(u1 - u0 + 1, 0).astype(np.int64)
    nv = np.maximum(v1 - v0 + 1, 0).astype(np.int64)
    u0, v0 = u0.astype(np.int64), v0.astype(np.int64)
    # Triangles seen edge-on (zero projected area) are never crossed.
    orient = np.sign(
        (u[:, 1] - u[:, 0]) * (v[:, 2] - v[:, 0]) - (v[:, 1] - v[:, 0]) * (u[:, 2] - u[:, 0])
    )
    count = np.where(orient != 0, nu * nv, 0)

    # Per triangle and edge (opposite corner c): the edge function w(p) = A p_u + B p_v + C,
    # positive inside. It is built from the edge's endpoints in a canonical (lexicographic) order
    # so that two triangles sharing the edge get bit-identical coefficients up to sign: a point on
    # the edge then has w == 0 in both, and the top-left rule gives it to exactly one of them.
    coeffs, top_left = [], []
    for c in range(3):
        p, q = (c + 1) % 3, (c + 2) % 3
        swap = (u[:, p] > u[:, q]) | ((u[:, p] == u[:, q]) & (v[:, p] > v[:, q]))
        su = np.where(swap, u[:, q], u[:, p])
        sv = np.where(swap, v[:, q], v[:, p])
        du = np.where(swap, u[:, p], u[:, q]) - su
        dv = np.where(swap, v[:, p], v[:, q]) - sv
        sign = np.where(swap, -orient, orient)
        coeffs.append((-dv * sign, du * sign, (dv * su - du * sv) * sign))
        # The edge as traversed counter-clockwise is (du, dv) * sign; a point exactly on it counts
        # only for a left edge (going down) or a top edge (horizontal, going left).
        edge_du, edge_dv = du * sign, dv * sign
        top_left.append((edge_dv < 0) | ((edge_dv == 0) & (edge_du < 0)))

    # Enumerate (triangle, line) candidates without a Python loop over triangles.
    tri = np.repeat(np.arange(len(count)), count)
    offset = np.arange(len(tri)) - np.repeat(np.cumsum(count) - count, count)
    lu = u0[tri] + offset % nu[tri]
    lv = v0[tri] + offset // nu[tri]
    pu, pv = lu.astype(np.float64), lv.astype(np.float64)

    weights = []
    hit_mask = np.ones(len(tri), dtype=bool)
    for (ca, cb, cc), tl in zip(coeffs, top_left, strict=True):
        w = ca[tri] * pu + cb[tri] * pv + cc[tri]
        hit_mask &= (w > 0) | ((w == 0) & tl[tri])
        weights.append(w)
    w0, w1, w2 = (w[hit_mask] for w in weights)
    ta = a[tri[hit_mask]]
    # Barycentric interpolation of the crossing's coordinate along the axis.
    hit = (w0 * ta[:, 0] + w1 * ta[:, 1] + w2 * ta[:, 2]) / (w0 + w1 + w2)

    # A crossing at coordinate `hit` flips the parity of every centre i > hit; bin it on the first
    # such centre (n = past the last centre, which only matters for the line's total).
    first = np.clip(np.floor(hit).astype(np.int64) + 1, 0, n)
    flat = (first * n + lu[hit_mask]) * n + lv[hit_mask]  # layout (axis, u, v)
    flips = (np.bincount(flat, minlength=(n + 1) * n * n) & 1).astype(np.uint8)
    parity = np.bitwise_xor.accumulate(flips.reshape(n + 1, n, n), axis=0)
    inside = parity[:n].astype(bool)
    reliable = np.broadcast_to(parity[n] == 0, (n, n, n))
    # Back from (axis, u, v) to (x, y, z).
    order = np.argsort([axis, u_axis, v_axis])
    return inside.transpose(order), reliable.transpose(order)
