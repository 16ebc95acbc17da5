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
   label``, one union-find pass) are outside; everything else is inside. Only the surface's
   bounding box is labelled, inside a one-voxel empty shell that stands for everything beyond it.
   This ignores normals entirely (flipped normals are harmless), fills overlapping parts and
   internal faces, and keeps every concavity that is open to the outside.
3. **Thin the surface layer to the true boundary.** Step 1 marks every voxel the surface touches,
   which makes solids about half a voxel too fat on every side (~8 % too much volume for a sphere at
   32^3). A surface voxel is cleared when its centre is outside the shape, judged by three tests:
   it touches the flood-filled outside; it lies within one voxel (26-neighbourhood) of the shape's
   interior (flood-fill interior, or surface voxels deep in a thick band), so sheets, plates and
   rods up to about two voxels thick, which have no interior, are never thinned away; and a vote of
   axis-aligned ray parities through its centre says "outside". Each axis votes only if its ray
   crosses the surface an even number of times overall, so rays through holes or open sheets
   abstain instead of voting wrongly, and ties keep the voxel. Crossings are found by rasterising
   every triangle onto the three families of axis-aligned lines through voxel centres (those
   through the voxels being judged) with a top-left fill rule, so a ray through an edge or vertex
   shared by two triangles counts once, and the parities are only evaluated at those voxels.
   Closed meshes then come out as the voxels whose centre is inside, up to a few voxels on edges
   and corners (IoU >= 0.997 against ``mesh.contains`` on the voxel centres for randomly rotated
   boolean shapes, tori and boxes at 32^3 and 64^3).

Every step is vectorised numpy/scipy; a 50k-face mesh at 64^3 takes well under 100 ms on one core
(``igbench bench voxelize`` compares it with trimesh's ``voxelized(pitch).fill()``), and a
procedural chair (~400 faces) a few milliseconds.
Known limit: a hole larger than about a voxel lets the flood fill into a closed shape; the result is
then a one-voxel shell, which renders identically from outside but is hollow.
"""

from __future__ import annotations

import functools

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
#: Slack, in voxels, of the range of lines that step 3 tests against each row of a triangle (see
#: _axis_parity); it only needs to exceed the rounding error of the range's ends.
_ROW_SLACK = 1e-3
#: Triangles whose bounding box holds at most this many lines are tested against all of them in
#: step 3 rather than row by row.
_SMALL_BOX = 4
#: Triangles per chunk in step 3's rasterisation (keeps large meshes' working set in cache).
_PARITY_CHUNK = 4096


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
    triangles = np.take(grid_vertices, faces, axis=0)  # (F, 3 corners, 3 coords)

    surface = _surface_voxels(grid_vertices[used], triangles, n)
    if not fill:
        return surface
    # Steps 2 and 3 only look at the surface's bounding box plus a one-voxel shell around it: every
    # voxel beyond the box is empty and connected to the grid border (walk straight away from the
    # box), so it is outside, and the shell stands for all of it (see _flood_outside).
    lo, hi = _bounding_box(surface)
    box = tuple(slice(a, b + 1) for a, b in zip(lo, hi, strict=True))
    padded = np.zeros(tuple(b - a + 3 for a, b in zip(lo, hi, strict=True)), dtype=bool)
    padded[1:-1, 1:-1, 1:-1] = surface[box]
    outside = _flood_outside(padded)
    occupied = np.zeros_like(surface)
    occupied[box] = ~outside[1:-1, 1:-1, 1:-1]
    if conservative:
        return occupied
    clear = _surface_voxels_outside(triangles, padded, outside, lo)
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


def _bounding_box(mask: np.ndarray) -> tuple[list[int], list[int]]:
    """Lowest and highest index along each axis of the True voxels of a non-empty ``mask``."""
    # Reductions over the leading axis and over whole rows are the fast ones in numpy.
    along_x = np.flatnonzero(mask.reshape(len(mask), -1).any(axis=1))
    plane = mask.any(axis=0)  # (y, z)
    along_y = np.flatnonzero(plane.any(axis=1))
    along_z = np.flatnonzero(plane.any(axis=0))
    lo = [int(along[0]) for along in (along_x, along_y, along_z)]
    hi = [int(along[-1]) for along in (along_x, along_y, along_z)]
    return lo, hi


def _mark(marked: np.ndarray, points: np.ndarray, m: int) -> None:
    """Set the voxels of ``marked`` (flat, ``m^3``) holding ``points`` (``(3, S)``, index units)."""
    # Truncation equals floor here: coordinates are > -1 (bounds were checked). int32 is exact (and
    # cheaper) whenever the flat index fits in it.
    index = points.astype(np.int32 if m**3 < 2**31 else np.int64)
    flat = index[0]
    flat *= m
    flat += index[1]
    flat *= m
    flat += index[2]
    marked[flat.astype(np.intp)] = True


def _barycentric_grid(k: int) -> np.ndarray:
    """Weights ``(3, m)`` float32 (read-only) of a triangle's points subdivided ``k`` times per edge,
    corners excluded (they are marked separately). Cached up to k = 128 (about 4 MB in all)."""
    return _cached_barycentric_grid(k) if k <= 128 else _make_barycentric_grid(k)


@functools.cache
def _cached_barycentric_grid(k: int) -> np.ndarray:
    return _make_barycentric_grid(k)


def _make_barycentric_grid(k: int) -> np.ndarray:
    a, b = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = (a + b <= k) & ~((a == 0) & (b == 0)) & (a != k) & (b != k)
    a, b = a[keep], b[keep]
    weights = (np.stack([k - a - b, a, b]) / k).astype(np.float32)
    weights.flags.writeable = False
    return weights


def _surface_voxels(corners: np.ndarray, triangles: np.ndarray, n: int) -> np.ndarray:
    """``(n, n, n)`` bool: voxels touched by the surface (step 1 of the module docstring).

    ``corners``: ``(V, 3)`` vertices used by faces; ``triangles``: ``(F, 3, 3)``; both in index
    units.
    """
    # Points are marked on an (n + 1)^3 grid whose last layer along each axis catches points on the
    # cube's far faces (coordinate n, or float noise above: less than n * _BOUNDS_TOLERANCE < 1 for
    # any grid that fits in memory), then folded into the last voxel.
    m = n + 1
    marked = np.zeros(m**3, dtype=bool)
    _mark(marked, corners.T, m)

    edges = triangles[:, [1, 2, 0]] - triangles  # (F, edge, coord)
    edges *= edges
    length2 = edges[:, :, 0] + edges[:, :, 1] + edges[:, :, 2]
    longest2 = np.maximum(np.maximum(length2[:, 0], length2[:, 1]), length2[:, 2])
    # Subdivisions per edge so that sub-triangle edges are shorter than _MAX_SUB_EDGE voxels; k = 1
    # means the corners only, already marked.
    k = np.floor(np.sqrt(longest2) / _MAX_SUB_EDGE).astype(np.int64) + 1
    big = np.flatnonzero(k > 1)
    if len(big):
        order = np.argsort(k[big], kind="stable")
        _mark_samples(marked, triangles[big[order]], k[big[order]], m)
    grid = marked.reshape(m, m, m)
    grid[n - 1] |= grid[n]
    grid[:, n - 1] |= grid[:, n]
    grid[:, :, n - 1] |= grid[:, :, n]
    return np.ascontiguousarray(grid[:n, :n, :n])


def _mark_samples(marked: np.ndarray, triangles: np.ndarray, k: np.ndarray, m: int) -> None:
    """Mark the barycentric samples of ``triangles`` (``(F, 3, 3)``, sorted by their subdivision
    counts ``k``, all > 1) on the flat ``m^3`` grid ``marked``."""
    # (coord, corner, F) in float32: sub-voxel accuracy to spare and half the memory traffic.
    tris = np.ascontiguousarray(triangles.transpose(2, 1, 0), dtype=np.float32)
    bounds = np.flatnonzero(np.diff(k)) + 1
    starts = [0, *bounds.tolist()]
    stops = [*bounds.tolist(), len(k)]
    # Chunks of triangles with one k, at most _MAX_SAMPLES_PER_CHUNK samples each (or one triangle).
    chunks = []
    for start, stop in zip(starts, stops, strict=True):
        weights = _barycentric_grid(int(k[start]))
        step = max(1, _MAX_SAMPLES_PER_CHUNK // weights.shape[1])
        chunks += [(lo, min(stop, lo + step), weights) for lo in range(start, stop, step)]
    sizes = [(stop - lo) * weights.shape[1] for lo, stop, weights in chunks]
    # Scratch buffers reused by every chunk (they stay in cache), one chunk at a time.
    largest = 3 * max(sizes)
    buffers = np.empty(largest, dtype=np.float32), np.empty(largest, dtype=np.float32)
    index = np.empty(largest, dtype=np.int32 if m**3 < 2**31 else np.int64)
    for (lo, stop, weights), size in zip(chunks, sizes, strict=True):
        # (coord, F, m samples) or, for many triangles with few samples each, (coord, m, F): the
        # longer axis innermost, where numpy's broadcast loops are fast.
        if stop - lo >= weights.shape[1]:
            shape = (3, weights.shape[1], stop - lo)
            chunk = tris[:, :, None, lo:stop]  # (coord, corner, 1, F)
            factors = weights[:, :, None]  # (corner, m, 1)
        else:
            shape = (3, stop - lo, weights.shape[1])
            chunk = tris[:, :, lo:stop, None]  # (coord, corner, F, 1)
            factors = weights
        out = buffers[0][: 3 * size].reshape(shape)
        tmp = buffers[1][: 3 * size].reshape(shape)
        # w0 c0 + w1 c1 + w2 c2, broadcast (beats a GEMM with an inner dimension of 3).
        np.multiply(chunk[:, 0], factors[0], out=out)
        np.multiply(chunk[:, 1], factors[1], out=tmp)
        out += tmp
        np.multiply(chunk[:, 2], factors[2], out=tmp)
        out += tmp
        # Truncation equals floor here: coordinates are > -1 (bounds were checked).
        ijk = index[: 3 * size].reshape(3, size)
        np.copyto(ijk, out.reshape(3, size), casting="unsafe")
        flat = ijk[0]
        flat *= m
        flat += ijk[1]
        flat *= m
        flat += ijk[2]
        marked[flat.astype(np.intp)] = True  # faster than indexing with int32


# --------------------------------------------------------------------------------------------------
# Step 2: flood fill of the outside


def _flood_outside(padded: np.ndarray) -> np.ndarray:
    """Empty voxels 6-connected to the one-voxel empty shell of ``padded`` (the surface voxels of
    the bounding box of the surface, surrounded by that shell).

    The shell holds the voxels just beyond the box, which are outside, and, where the box touches
    the grid border, virtual voxels beyond the grid: an empty voxel is then connected to the shell
    exactly when, in the full grid, it is connected to the grid border. The shell is itself
    connected, so the outside is one label: the label of a corner.
    """
    labels, _ = ndimage.label(~padded)  # default structure = 6-connectivity in 3D
    return labels == labels[0, 0, 0]


# --------------------------------------------------------------------------------------------------
# Step 3: thin the surface layer


def _surface_voxels_outside(
    triangles: np.ndarray, padded: np.ndarray, outside: np.ndarray, lo: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid indices ``(i, j, k)`` of the surface voxels whose centre lies outside a solid (step 3).

    ``padded`` and ``outside``: surface and flood-filled outside on the surface's bounding box
    (lowest corner ``lo`` in the grid) plus a one-voxel shell, as in :func:`_flood_outside`.
    """
    inner = (slice(1, -1),) * 3
    surface = padded[inner]
    # Voxels with a 6-neighbour outside; the shell stands for everything beyond the box (outside).
    touches = outside[:-2, 1:-1, 1:-1] | outside[2:, 1:-1, 1:-1]
    touches |= outside[1:-1, :-2, 1:-1]
    touches |= outside[1:-1, 2:, 1:-1]
    touches |= outside[1:-1, 1:-1, :-2]
    touches |= outside[1:-1, 1:-1, 2:]
    skin = surface & touches
    # Interior evidence: flood-fill interior plus surface voxels that do not touch the outside (deep
    # in a thick surface band). Looking one voxel around in all 26 directions also reaches the
    # interior from voxels on a solid's edges and corners. Sheets, plates and rods thinner than about
    # two voxels have no interior nearby, so they are never thinned away.
    evidence = ~outside
    evidence[inner] &= ~skin  # the shell is outside, so holds no evidence
    # 3x3x3 dilation, one axis at a time, each shrinking the padded box by the shell.
    near = evidence[:-2] | evidence[1:-1]
    near |= evidence[2:]
    near2 = near[:, :-2] | near[:, 1:-1]
    near2 |= near[:, 2:]
    near = near2[:, :, :-2] | near2[:, :, 1:-1]
    near |= near2[:, :, 2:]
    flat = np.flatnonzero(skin & near)  # much faster than a 3-d np.nonzero
    if len(flat) == 0:
        return (flat, flat, flat)
    _, size_y, size_z = skin.shape
    ci, rest = np.divmod(flat, size_y * size_z)
    cj, ck = np.divmod(rest, size_z)
    centres = np.stack([ci + lo[0], cj + lo[1], ck + lo[2]])  # (3, candidates)

    # Two reliable axes that agree decide the vote whatever the third says, so the third axis is
    # only rasterised for the other voxels (often none on closed meshes). It is the axis the
    # surface faces most, which has the most crossings.
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    last = int(np.argmax(np.abs(normals).sum(axis=0)))
    inside, reliable = _axis_parity(triangles, centres, [a for a in range(3) if a != last])
    votes = (inside & reliable).sum(axis=0)
    voters = reliable.sum(axis=0)
    open_vote = np.flatnonzero(~(reliable[0] & reliable[1] & (inside[0] == inside[1])))
    if len(open_vote):
        inside, reliable = _axis_parity(triangles, centres[:, open_vote], [last])
        votes[open_vote] += inside[0] & reliable[0]
        voters[open_vote] += reliable[0]
    # Ties and "no reliable axis" keep the voxel: losing a thin part is worse than a fat boundary.
    centre_outside = 2 * votes < voters
    return tuple(centres[:, centre_outside])


#: For each axis, the axis and the two others in increasing order: the (a, u, v) frame in which
#: _axis_parity rasterises triangles onto lines parallel to the axis.
_FRAMES = np.array([[0, 1, 2], [1, 0, 2], [2, 0, 1]])


def _axis_parity(
    triangles: np.ndarray, centres: np.ndarray, axes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Ray-parity inside test of the voxel centres ``centres`` (``(3, Q)`` grid indices) along each
    of ``axes``.

    For each axis, rasterises all triangles (``(F, 3, 3)``, index units, voxel i = [i, i + 1))
    onto the lines parallel to the axis through voxel centres (those in the box spanned by
    ``centres``), with a top-left fill rule so that a line through an edge or vertex shared by two
    triangles hits exactly one of them, and counts the crossings before each centre. The axes are
    handled together, as copies of the triangles in each axis' (a, u, v) frame.

    Returns:
        ``inside``: ``(len(axes), Q)`` bool, per axis and centre, odd number of crossings between
        the grid's low end and the centre; ``reliable``: ``(len(axes), Q)`` bool, the centre's
        whole line along the axis crosses the surface an even number of times (False on lines
        through a hole or an open sheet).
    """
    frames = _FRAMES[axes]
    lowest, highest = centres.min(axis=1), centres.max(axis=1)
    amin, umin, vmin = (lowest[frames[:, c]] for c in range(3))  # (frame,) each
    amax, umax, vmax = (highest[frames[:, c]] for c in range(3))
    lines = (umin, vmin, umax, vmax)
    # Chunks of triangles keep the working set in cache on large meshes.
    found = [
        _crossings(triangles[start : start + _PARITY_CHUNK], frames, lines)
        for start in range(0, len(triangles), _PARITY_CHUNK)
    ]
    hit_frame, hit, hit_u, hit_v = (np.concatenate(column) for column in zip(*found, strict=True))

    # A crossing at coordinate `hit` flips the parity of every centre i > hit. Count the crossings
    # per axis, line (over the box of the queried lines) and first such centre, with the centres
    # before the lowest queried one merged into it and those after the highest (or past the last
    # centre) into the last row, which only matters for the line's total; a running XOR over the
    # rows then gives the parity up to each centre, and the last row that of the whole line.
    rows = int((amax - amin).max()) + 2
    width_v = vmax - vmin + 1
    planes = -(-(umax - umin + 1) * width_v // 8) * 8  # lines per axis, padded to 64-bit words
    plane_start = np.cumsum(planes) - planes
    width = int(planes.sum())
    first = np.floor(hit).astype(np.int64) + 1 - amin[hit_frame]
    np.clip(first, 0, (amax - amin + 1)[hit_frame], out=first)
    line = (
        plane_start[hit_frame]
        + (hit_u - umin[hit_frame]) * width_v[hit_frame]
        + (hit_v - vmin[hit_frame])
    )
    cell, crossings = np.unique(first * width + line, return_counts=True)
    parity = np.zeros((rows, width), dtype=np.uint8)
    parity.ravel()[cell] = crossings & 1
    # Running XOR over the rows, on 8 lines per 64-bit word.
    words = parity.view(np.uint64)
    for r in range(1, rows):
        words[r] ^= words[r - 1]
    ca, cu, cv = (centres[frames[:, c]] for c in range(3))  # (frame, Q) each
    query = plane_start[:, None] + (cu - umin[:, None]) * width_v[:, None] + (cv - vmin[:, None])
    inside = np.take(parity, (ca - amin[:, None]) * width + query) & 1
    reliable = np.take(parity[rows - 1], query) & 1
    return inside.astype(bool), reliable == 0


def _crossings(
    triangles: np.ndarray, frames: np.ndarray, lines: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Crossings of triangles (``(F, 3, 3)``, index units) with the lines through voxel centres
    parallel to the axis of each of ``frames`` (rows of _FRAMES), in the box ``lines`` = (umin,
    vmin, umax, vmax) (per frame) of each frame (see :func:`_axis_parity`).

    Returns:
        ``frame``, ``a``, ``u``, ``v``: per crossing, the frame (index into ``frames``), the
        crossing's coordinate along its axis (voxel centre i at i) and the line (integer u, v).
    """
    umin, vmin, umax, vmax = lines
    # Lines (integer u, v) inside each triangle's bounding box, clipped to the box of the queried
    # lines (which lies inside the grid). Most triangles of a detailed mesh contain none, so drop
    # them before any further per-triangle work. Shifting by -0.5 puts voxel centre i at coordinate
    # i (shifting the corners' extremes is exact: rounding is monotonic).
    lowest = np.minimum(np.minimum(triangles[:, 0], triangles[:, 1]), triangles[:, 2])
    highest = np.maximum(np.maximum(triangles[:, 0], triangles[:, 1]), triangles[:, 2])
    line_lo, line_hi = np.ceil(lowest - 0.5), np.floor(highest - 0.5)  # (F, coordinate)
    parts = []
    for f, (axis, u_axis, v_axis) in enumerate(frames.tolist()):
        u0 = np.maximum(line_lo[:, u_axis], umin[f])
        v0 = np.maximum(line_lo[:, v_axis], vmin[f])
        u1 = np.minimum(line_hi[:, u_axis], umax[f])
        v1 = np.minimum(line_hi[:, v_axis], vmax[f])
        keep = np.flatnonzero((u1 >= u0) & (v1 >= v0))
        kept = np.take(triangles, keep, axis=0)
        parts.append(
            (
                kept[:, :, axis].T - 0.5,  # (corner, triangle) in the axis' (a, u, v) frame
                kept[:, :, u_axis].T - 0.5,
                kept[:, :, v_axis].T - 0.5,
                u0[keep],
                v0[keep],
                u1[keep],
                v1[keep],
                np.full(len(keep), f),
            )
        )
    columns = list(zip(*parts, strict=True))
    a, u, v = (np.concatenate(column, axis=1) for column in columns[:3])
    u0, v0, u1, v1, frame = (np.concatenate(column) for column in columns[3:])
    # Triangles seen edge-on (zero projected area) are never crossed.
    orient = np.sign((u[1] - u[0]) * (v[2] - v[0]) - (v[1] - v[0]) * (u[2] - u[0]))
    live = np.flatnonzero(orient != 0)
    a, u, v = np.take(a, live, axis=1), np.take(u, live, axis=1), np.take(v, live, axis=1)
    u0, v0, u1, v1, frame, orient = (x[live] for x in (u0, v0, u1, v1, frame, orient))

    # Per edge (opposite corner c, between corners c + 1 and c + 2) and triangle: the edge function
    # w(p) = A p_u + B p_v + C, positive inside. It is built from the edge's endpoints in a
    # canonical (lexicographic) order so that two triangles sharing the edge get bit-identical
    # coefficients up to sign: a point on the edge then has w == 0 in both, and the top-left rule
    # gives it to exactly one of them.
    up, uq = u[[1, 2, 0]], u[[2, 0, 1]]
    vp, vq = v[[1, 2, 0]], v[[2, 0, 1]]  # (edge, triangle) each
    swap = (up > uq) | ((up == uq) & (vp > vq))
    su = np.where(swap, uq, up)
    sv = np.where(swap, vq, vp)
    du = np.where(swap, up, uq) - su
    dv = np.where(swap, vp, vq) - sv
    sign = np.where(swap, -orient, orient)
    # ([A of edges 0-2, B of edges 0-2, C of edges 0-2], triangle)
    coeffs = np.concatenate([-dv * sign, du * sign, (dv * su - du * sv) * sign])
    # The edge as traversed counter-clockwise is (du, dv) * sign; a point exactly on it counts
    # only for a left edge (going down) or a top edge (horizontal, going left).
    edge_du, edge_dv = du * sign, dv * sign
    top_left = (edge_dv < 0) | ((edge_dv == 0) & (edge_du < 0))  # (edge, triangle)

    # (triangle, line) candidates, without a Python loop over triangles. Small bounding boxes are
    # enumerated whole; larger ones row by row (line coordinate u), each row only over the lines v
    # that can be inside the triangle: w >= 0 bounds v from below for an edge with B > 0 and from
    # above for B < 0. The bounds are widened by _ROW_SLACK voxel, far more than their rounding
    # error, and edges with |B| <= _ROW_SLACK (nearly parallel to the lines' u) bound nothing, so
    # that every line the exact test below accepts is enumerated.
    nu = (u1 - u0 + 1).astype(np.int64)
    nv = (v1 - v0 + 1).astype(np.int64)
    small = nu * nv <= _SMALL_BOX
    tri = np.flatnonzero(small)
    count = nu[tri] * nv[tri]
    box_tri = np.repeat(tri, count)
    step_v, step_u = np.divmod(
        np.arange(len(box_tri)) - np.repeat(np.cumsum(count) - count, count), nu[box_tri]
    )
    box_u, box_v = u0[box_tri] + step_u, v0[box_tri] + step_v

    tri = np.flatnonzero(~small)
    row_tri = np.repeat(tri, nu[tri])
    row_u = np.repeat(u0[tri] - np.cumsum(nu[tri]) + nu[tri], nu[tri]) + np.arange(len(row_tri))
    row = np.take(coeffs, row_tri, axis=1)  # (coefficient, row)
    slope = row[3:6]  # B
    bound = row[0:3] * row_u
    bound += row[6:9]
    bound /= np.where(np.abs(slope) > _ROW_SLACK, -slope, -1.0)
    lower = np.where(slope > _ROW_SLACK, bound, -np.inf)
    upper = np.where(slope < -_ROW_SLACK, bound, np.inf)
    lower = np.maximum(np.maximum(lower[0], lower[1]), lower[2])
    upper = np.minimum(np.minimum(upper[0], upper[1]), upper[2])
    row_v0 = np.maximum(v0[row_tri], np.ceil(lower - _ROW_SLACK))
    row_v1 = np.minimum(v1[row_tri], np.floor(upper + _ROW_SLACK))
    count = np.maximum(row_v1 - row_v0 + 1, 0).astype(np.int64)
    row_v = np.repeat(row_v0 - np.cumsum(count) + count, count) + np.arange(count.sum())

    pair_tri = np.concatenate([box_tri, np.repeat(row_tri, count)])
    pu = np.concatenate([box_u, np.repeat(row_u, count)])
    pv = np.concatenate([box_v, row_v])
    # The exact edge functions at the candidates: a line is inside (crosses the triangle) when all
    # three are positive, or zero on a top-left edge.
    pair = np.take(coeffs, pair_tri, axis=1)
    w = pair[0:3] * pu
    w += pair[3:6] * pv
    w += pair[6:9]  # (edge, pair)
    inner = w > 0
    on_edge = w == 0
    if on_edge.any():
        inner |= on_edge & np.take(top_left, pair_tri, axis=1)
    hits = np.flatnonzero(inner[0] & inner[1] & inner[2])
    w = np.take(w, hits, axis=1)
    hit_tri = pair_tri[hits]
    ta = np.take(a, hit_tri, axis=1)
    # Barycentric interpolation of the crossing's coordinate along the axis.
    hit = (w[0] * ta[0] + w[1] * ta[1] + w[2] * ta[2]) / (w[0] + w[1] + w[2])
    hit_u, hit_v = pu[hits].astype(np.int64), pv[hits].astype(np.int64)

    return frame[hit_tri], hit, hit_u, hit_v
