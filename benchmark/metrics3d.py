"""3D metrics of generated volumes against the real shapes of a category.

FID judges renders; these judge the volumes themselves, against the voxel grids every dataset
file stores. The standard set of the 3D generation literature (Achlioptas et al. 2018; Yang et
al. 2019, PointFlow; used by GET3D), each with two distances between shapes:

``chamfer``
    Chamfer distance between surface point clouds: :data:`POINTS` points sampled uniformly by
    area on the marching-cubes surface of each binary grid (level 0.5 of the padded grid, in world
    units: the grid covers the unit cube), ``CD(A, B) = mean_a min_b |a - b|^2 + mean_b min_a
    |a - b|^2`` (squared Euclidean, as PointFlow).
``iou``
    ``1 - IoU`` of the binary grids (exact, same resolution).

and three scores from a sample-by-reference distance matrix (samples ``S``, references ``R``):

``cov`` (coverage)
    The fraction of references that are the nearest reference of at least one sample. Higher is
    better; at most ``min(|S|, |R|) / |R|``; copies of one shape give ``1 / |R|``.
``mmd`` (minimum matching distance)
    The mean over references of the distance to their nearest sample. Lower is better.
``1nna`` (1-nearest-neighbour accuracy)
    The leave-one-out accuracy of a 1-NN classifier telling samples from references in ``S ∪ R``.
    50 % is ideal (the two sets are indistinguishable); 100 % means they are apart. Ties (e.g. a
    sample identical to a reference) count as wrong, the conservative reading.

A sample with nothing above the threshold has no surface: its Chamfer distance to every shape is
infinite (it covers nothing and is never anyone's nearest neighbour); its ``1 - IoU`` is 1.

All pairwise distances are computed in batches (:func:`chamfer_matrix`: one ``torch.cdist`` per
sample against every reference at once; :func:`iou_distance_matrix`: one matrix product), which
``igbench bench metrics3d`` times against a naive loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: Surface points per shape for the Chamfer distance.
POINTS = 256
#: The two distances between shapes.
DISTANCES = ("chamfer", "iou")


# --------------------------------------------------------------------------------------------------
# Shapes -> point clouds
# --------------------------------------------------------------------------------------------------


def surface_points(grid: np.ndarray, n: int = POINTS, seed: int = 0) -> np.ndarray | None:
    """``(n, 3)`` float32 points sampled uniformly by area on the marching-cubes surface of a
    binary ``(N, N, N)`` grid, in world units (the grid covers the unit cube); None when empty."""
    import trimesh
    from skimage.measure import marching_cubes

    g = np.asarray(grid, dtype=bool)
    size = g.shape[0]
    if not g.any():
        return None
    verts, faces, _, _ = marching_cubes(np.pad(g.astype(np.float32), 1), level=0.5)
    verts = (verts - 0.5) / size - 0.5  # padded index p = i + 1 -> voxel centre (i + 0.5) / N - 0.5
    mesh = trimesh.Trimesh(verts, faces, process=False)
    points, _ = trimesh.sample.sample_surface(mesh, n, seed=seed)
    return np.asarray(points, dtype=np.float32)


def point_clouds(
    grids: np.ndarray, n: int = POINTS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(K, n, 3)`` float32 point clouds of ``K`` binary grids and a ``(K,)`` bool mask of the
    non-empty ones (an empty grid's cloud is zeros)."""
    clouds = np.zeros((len(grids), n, 3), np.float32)
    valid = np.zeros(len(grids), bool)
    for i, g in enumerate(grids):
        pts = surface_points(g, n, seed + i)
        if pts is not None:
            clouds[i], valid[i] = pts, True
    return clouds, valid


# --------------------------------------------------------------------------------------------------
# Distance matrices
# --------------------------------------------------------------------------------------------------


def chamfer_matrix(
    a: np.ndarray, b: np.ndarray, a_valid: np.ndarray | None = None, b_valid=None
) -> np.ndarray:
    """``(K, M)`` Chamfer distances between clouds ``a`` ``(K, P, 3)`` and ``b`` ``(M, Q, 3)``;
    infinite where either cloud is invalid (an empty shape). One batched ``cdist`` per row."""
    ta, tb = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    out = np.empty((len(ta), len(tb)), np.float64)
    for i in range(len(ta)):
        d = torch.cdist(ta[i].expand(len(tb), -1, -1), tb).square_()  # (M, P, Q)
        out[i] = (d.min(dim=2).values.mean(dim=1) + d.min(dim=1).values.mean(dim=1)).numpy()
    if a_valid is not None:
        out[~np.asarray(a_valid, bool)] = np.inf
    if b_valid is not None:
        out[:, ~np.asarray(b_valid, bool)] = np.inf
    return out


def iou_distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(K, M)`` ``1 - IoU`` between binary grids ``a`` ``(K, N, N, N)`` and ``b`` ``(M, ...)``
    (two empty grids: 0), from one matrix product of the flattened grids."""
    fa = torch.as_tensor(np.asarray(a, bool).reshape(len(a), -1), dtype=torch.float32)
    fb = torch.as_tensor(np.asarray(b, bool).reshape(len(b), -1), dtype=torch.float32)
    inter = (fa @ fb.T).double()
    union = fa.sum(1, keepdim=True).double() + fb.sum(1).double() - inter
    iou = torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))
    return (1.0 - iou).numpy()


# --------------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------------


def coverage(d_sr: np.ndarray) -> float:
    """Fraction of references that are some sample's nearest reference. ``d_sr``: (S, R)."""
    finite = np.isfinite(d_sr).any(axis=1)
    nearest = np.argmin(np.where(np.isfinite(d_sr), d_sr, np.inf), axis=1)[finite]
    return float(len(np.unique(nearest)) / d_sr.shape[1])


def mmd(d_sr: np.ndarray) -> float:
    """Mean over references of the distance to the nearest sample. ``d_sr``: (S, R)."""
    return float(np.min(d_sr, axis=0).mean())


def one_nna(d_sr: np.ndarray, d_ss: np.ndarray, d_rr: np.ndarray) -> float:
    """Leave-one-out 1-NN accuracy of samples vs references (0.5 ideal); ties count as wrong.

    d_sr : (S, R); d_ss : (S, S); d_rr : (R, R) distances (diagonals ignored).
    """
    s, r = d_sr.shape
    ss = np.array(d_ss, dtype=np.float64, copy=True)
    rr = np.array(d_rr, dtype=np.float64, copy=True)
    np.fill_diagonal(ss, np.inf)
    np.fill_diagonal(rr, np.inf)
    sample_ok = ss.min(axis=1) < d_sr.min(axis=1)  # nearest is another sample
    ref_ok = rr.min(axis=1) < d_sr.min(axis=0)  # nearest is another reference
    return float((sample_ok.sum() + ref_ok.sum()) / (s + r))


@dataclass
class Scores3D:
    """COV, MMD and 1-NNA of one distance."""

    distance: str
    cov: float
    mmd: float
    one_nna: float
    n_samples: int
    n_references: int
    empty_samples: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def scores(samples: np.ndarray, references: np.ndarray, distance: str, seed: int = 0) -> Scores3D:
    """COV, MMD, 1-NNA of binary sample grids against binary reference grids (same resolution)
    under ``distance`` (``chamfer`` or ``iou``)."""
    samples, references = np.asarray(samples, bool), np.asarray(references, bool)
    if samples.shape[1:] != references.shape[1:]:
        raise ValueError(
            f"samples {samples.shape[1:]} and references {references.shape[1:]} differ in size"
        )
    empty = int((~samples.reshape(len(samples), -1).any(axis=1)).sum())
    if distance == "iou":
        d_sr = iou_distance_matrix(samples, references)
        d_ss = iou_distance_matrix(samples, samples)
        d_rr = iou_distance_matrix(references, references)
    elif distance == "chamfer":
        cs, vs = point_clouds(samples, seed=seed)
        cr, vr = point_clouds(references, seed=seed + len(samples))
        d_sr = chamfer_matrix(cs, cr, vs, vr)
        d_ss = chamfer_matrix(cs, cs, vs, vs)
        d_rr = chamfer_matrix(cr, cr, vr, vr)
    else:
        raise ValueError(f"unknown distance {distance!r}; choose one of {', '.join(DISTANCES)}")
    return Scores3D(
        distance,
        coverage(d_sr),
        mmd(d_sr),
        one_nna(d_sr, d_ss, d_rr),
        len(samples),
        len(references),
        empty,
    )


__all__ = [
    "DISTANCES",
    "POINTS",
    "Scores3D",
    "chamfer_matrix",
    "coverage",
    "iou_distance_matrix",
    "mmd",
    "one_nna",
    "point_clouds",
    "scores",
    "surface_points",
]
