"""3D metrics of generated volumes against the real shapes of a category.

FID judges renders; these judge the volumes themselves, against the voxel grids every dataset
file stores. The standard set of the 3D generation literature (Achlioptas et al. 2018; Yang et
al. 2019, PointFlow; used by GET3D), each with two distances between shapes:

``chamfer``
    Chamfer distance between the shapes' surface point clouds, ``CD(A, B) = mean_a min_b |a - b|^2
    + mean_b min_a |a - b|^2`` (squared Euclidean, world units, as PointFlow). The points are the
    centres of a binary grid's surface voxels (occupied voxels with an empty face neighbour): the
    whole voxel surface at the grid's resolution rather than a random sample of it, so the
    distance has no sampling noise, and ``min_b |a - b|^2`` is read exactly from B's squared
    Euclidean distance transform. The whole ``S x R`` matrix is then two matrix products of
    surface masks and distance fields (:func:`chamfer_matrix`).
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

All pairwise distances come from matrix products (:func:`chamfer_matrix`,
:func:`iou_distance_matrix`), which ``igbench bench metrics3d`` times against a naive loop over
pairs (brute-force nearest points, boolean IoU).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: The two distances between shapes.
DISTANCES = ("chamfer", "iou")


# --------------------------------------------------------------------------------------------------
# Surfaces, distance fields and the Chamfer matrix
# --------------------------------------------------------------------------------------------------


def surface_mask(grid: np.ndarray) -> np.ndarray:
    """``(N, N, N)`` bool: occupied voxels with at least one empty face neighbour (outside the
    grid counts as empty)."""
    from scipy.ndimage import binary_erosion

    g = np.asarray(grid, dtype=bool)
    return g & ~binary_erosion(g, border_value=0)


def surface_points(grid: np.ndarray) -> np.ndarray | None:
    """``(n, 3)`` float64 world coordinates of a grid's surface voxel centres (the grid covers the
    unit cube: voxel ``(i, j, k)`` at ``((i + 0.5) / N - 0.5, ...)``); None for an empty grid."""
    m = surface_mask(grid)
    if not m.any():
        return None
    return (np.argwhere(m) + 0.5) / m.shape[0] - 0.5


def squared_distance_field(grid: np.ndarray) -> np.ndarray | None:
    """``(N, N, N)`` float32: squared world distance from every voxel centre to the nearest surface
    voxel centre of ``grid`` (0 on the surface); None for an empty grid."""
    from scipy.ndimage import distance_transform_edt

    m = surface_mask(grid)
    if not m.any():
        return None
    return (distance_transform_edt(~m) / m.shape[0]).astype(np.float32) ** 2


def _fields(grids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Flattened surface masks ``(K, V)`` and squared distance fields ``(K, V)`` (0 for empty
    grids), and the ``(K,)`` bool mask of the non-empty ones."""
    k = len(grids)
    v = int(np.prod(np.asarray(grids[0]).shape)) if k else 0
    masks = torch.zeros(k, v)
    fields = torch.zeros(k, v)
    valid = np.zeros(k, bool)
    for i, g in enumerate(grids):
        field = squared_distance_field(g)
        if field is None:
            continue
        masks[i] = torch.from_numpy(surface_mask(g).reshape(-1).astype(np.float32))
        fields[i] = torch.from_numpy(field.reshape(-1))
        valid[i] = True
    return masks, fields, valid


def chamfer_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(K, M)`` Chamfer distances between binary grids ``a`` ``(K, N, N, N)`` and ``b``
    ``(M, N, N, N)`` (module docstring); infinite where either grid is empty.

    ``mean_{p in A} min_q |p - q|^2`` is the mean of B's squared distance field over A's surface
    voxels, so for all pairs at once it is ``masks_A @ fields_B^T`` divided by A's surface sizes;
    the other direction likewise. Exact for the surface-voxel-centre clouds (float32 sums).
    """
    ma, fa, va = _fields(a)
    mb, fb, vb = _fields(b)
    na = ma.sum(1, keepdim=True).clamp_min(1.0)
    nb = mb.sum(1, keepdim=True).clamp_min(1.0)
    a_to_b = (ma @ fb.T) / na  # (K, M): mean over A's points of the distance to B
    b_to_a = ((mb @ fa.T) / nb).T  # (K, M): mean over B's points of the distance to A
    out = (a_to_b + b_to_a).double().numpy()
    out[~va] = np.inf
    out[:, ~vb] = np.inf
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


def scores(samples: np.ndarray, references: np.ndarray, distance: str) -> Scores3D:
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
        d_sr = chamfer_matrix(samples, references)
        d_ss = chamfer_matrix(samples, samples)
        d_rr = chamfer_matrix(references, references)
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
    "Scores3D",
    "chamfer_matrix",
    "coverage",
    "iou_distance_matrix",
    "mmd",
    "one_nna",
    "scores",
    "squared_distance_field",
    "surface_mask",
    "surface_points",
]
