"""How ``bench recover`` scores a generator's samples against the one shape it was trained on:
pure functions of bool grids (N, N, N) indexed [x, y, z], +Y up (see
:mod:`benchmark.experiments.recover` for the protocol)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.experiments.recover_report import RecoverError


def rotate_about_y(grid: np.ndarray, degrees: float) -> np.ndarray:
    """``grid`` rotated about the vertical axis through the grid's centre, counter-clockwise seen
    from above (+X turns towards -Z at 90 deg, as azimuths do; docs/conventions.md).

    grid : (N, N, N) bool. Multiples of 90 deg are exact (``np.rot90`` on the (x, z) axes); other
    angles sample the nearest voxel (``scipy.ndimage.rotate``, ``order=0``); what leaves the grid
    is lost and what enters is empty.
    """
    return _rotate(np.asarray(grid, dtype=bool), degrees)


def _rotate(volume: np.ndarray, degrees: float) -> np.ndarray:
    """:func:`rotate_about_y` for a volume of any dtype (nearest neighbour, so it commutes with
    thresholding; what enters the grid is 0)."""
    if volume.ndim != 3:
        raise ValueError(f"grid must be (N, N, N), got {volume.shape}")
    degrees = float(degrees) % 360.0
    quarter = degrees / 90.0
    if quarter == int(quarter):
        return np.rot90(volume, -int(quarter), axes=(0, 2))
    from scipy import ndimage

    return ndimage.rotate(
        volume, -degrees, axes=(0, 2), reshape=False, order=0, mode="constant", cval=0
    )


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    from shapenet_render.voxelize import voxel_iou

    return voxel_iou(a, b)


def convex_hull_mask(grid: np.ndarray) -> np.ndarray:
    """(N, N, N) bool: voxels whose centres lie in the convex hull of ``grid``'s filled voxels'
    centres (``grid`` itself included). A flat or near-empty grid (no 3D hull) gives its bounding
    box."""
    from scipy.spatial import ConvexHull, QhullError

    grid = np.asarray(grid, dtype=bool)
    box = bounding_box_mask(grid)
    points = np.argwhere(grid).astype(np.float64)
    if len(points) < 4:
        return box
    try:
        hull = ConvexHull(points)
    except QhullError:  # coplanar or collinear: no volume; its bounding box is as flat
        return box
    candidates = np.argwhere(box).astype(np.float64)
    # Inside = on the inner side of every facet (normal . x + offset <= 0), with a tolerance for
    # centres lying exactly on a facet.
    inside = (candidates @ hull.equations[:, :3].T + hull.equations[:, 3] <= 1e-6).all(axis=1)
    out = np.zeros_like(grid)
    idx = candidates[inside].astype(np.int64)
    out[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    return out | grid


def bounding_box_mask(grid: np.ndarray) -> np.ndarray:
    """(N, N, N) bool: the axis-aligned bounding box of ``grid``'s filled voxels, filled."""
    grid = np.asarray(grid, dtype=bool)
    out = np.zeros_like(grid)
    if not grid.any():
        return out
    idx = np.argwhere(grid)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return out


def cavity_score(sample: np.ndarray, cavity: np.ndarray) -> float | None:
    """Fraction of the ``cavity`` voxels (bool grid) that ``sample`` leaves empty; None when
    ``cavity`` is empty."""
    n = int(np.count_nonzero(cavity))
    if n == 0:
        return None
    return float(np.count_nonzero(cavity & ~np.asarray(sample, dtype=bool)) / n)


@dataclass(frozen=True, eq=False)
class Truth:
    """The target shape and the regions it is scored on (all (N, N, N) bool)."""

    grid: np.ndarray
    hull: np.ndarray
    """Filled convex hull (:func:`convex_hull_mask`)."""
    box: np.ndarray
    """Filled bounding box (:func:`bounding_box_mask`)."""

    @classmethod
    def of(cls, grid: np.ndarray) -> Truth:
        grid = np.asarray(grid, dtype=bool)
        if grid.ndim != 3 or len(set(grid.shape)) != 1 or not grid.any():
            raise ValueError(f"truth must be a non-empty (N, N, N) grid, got {grid.shape}")
        return cls(grid, convex_hull_mask(grid), bounding_box_mask(grid))

    @property
    def cavity_hull(self) -> np.ndarray:
        """Inside the convex hull, empty in the truth (the reported cavity)."""
        return self.hull & ~self.grid

    @property
    def cavity_box(self) -> np.ndarray:
        """Inside the bounding box, empty in the truth (``cavity_bbox``)."""
        return self.box & ~self.grid

    @property
    def floor_bbox_iou(self) -> float:
        """IoU of the filled bounding box with the truth."""
        return _iou(self.box, self.grid)

    @property
    def floor_hull_iou(self) -> float:
        """IoU of the filled convex hull with the truth."""
        return _iou(self.hull, self.grid)


@dataclass
class SampleScore:
    """One sample's scores at its best rotation."""

    iou: float
    angle: float
    """Rotation (deg, counter-clockwise seen from above) that maximises the IoU."""
    cavity: float | None
    cavity_bbox: float | None
    fill: float


def score_sample(sample: np.ndarray, truth: Truth, angle_step: int = 15) -> SampleScore:
    """Best-rotation IoU of one bool sample (N, N, N) with ``truth``, and the cavity scores at
    that rotation (ties: the smallest angle)."""
    sample = np.asarray(sample, dtype=bool)
    if sample.shape != truth.grid.shape:
        raise ValueError(f"sample is {sample.shape}, truth is {truth.grid.shape}")
    best_iou, best_angle, best = -1.0, 0.0, sample
    for angle in range(0, 360, angle_step):
        turned = rotate_about_y(sample, angle)
        iou = _iou(turned, truth.grid)
        if iou > best_iou:
            best_iou, best_angle, best = iou, float(angle), turned
    return SampleScore(
        iou=best_iou,
        angle=best_angle,
        cavity=cavity_score(best, truth.cavity_hull),
        cavity_bbox=cavity_score(best, truth.cavity_box),
        fill=float(np.count_nonzero(sample) / np.count_nonzero(truth.grid)),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


#: Thresholds searched for the best-threshold reading (:func:`best_threshold`): 0.01 to 0.04, then
#: 0.05 to 0.95 by 0.05. The low ones catch shapes drawn at low occupancy spread along the ray.
SEARCH_THRESHOLDS = (0.01, 0.02, 0.03, 0.04) + tuple(round(0.05 * k, 2) for k in range(1, 20))


def _summary(scores: list[SampleScore]) -> dict[str, Any]:
    return {
        "iou": _mean(s.iou for s in scores),
        "cavity": _mean(s.cavity for s in scores),
        "cavity_bbox": _mean(s.cavity_bbox for s in scores),
        "fill": _mean(s.fill for s in scores),
    }


def best_threshold(
    volumes: np.ndarray,
    truth: Truth,
    angle_step: int = 15,
    thresholds: Iterable[float] = SEARCH_THRESHOLDS,
) -> float:
    """The one threshold (of ``thresholds``) at which the samples' mean best-rotation IoU with the
    truth is highest; ties go to the threshold nearest 0.5.

    An oracle reading (it looks at the truth), the same for every method: a method whose image
    formation sums occupancy along the ray can draw its shape away from the protocol's 0.5, and
    is then read at the threshold that favours it most. volumes : (K, N, N, N) float in [0, 1].
    """
    thresholds = sorted(thresholds, key=lambda t: (abs(t - 0.5), t))
    # Nearest-neighbour rotation commutes with thresholding: rotate each float volume once.
    turned = np.stack(
        [
            np.stack([_rotate(v, a) for a in range(0, 360, angle_step)])
            for v in np.asarray(volumes, dtype=np.float32)
        ]
    )  # (K, A, N, N, N)
    grid = truth.grid[None, None]
    best_t, best = thresholds[0], -1.0
    for t in thresholds:
        filled = turned > t
        inter = np.count_nonzero(filled & grid, axis=(2, 3, 4))
        union = np.count_nonzero(filled | grid, axis=(2, 3, 4))
        iou = float(np.mean(np.max(inter / np.maximum(union, 1), axis=1)))
        if iou > best + 1e-12:
            best_t, best = t, iou
    return float(best_t)


def score_volumes(
    volumes: np.ndarray,
    truth: Truth,
    threshold: float = 0.5,
    angle_step: int = 15,
    search: Iterable[float] | None = SEARCH_THRESHOLDS,
) -> dict[str, Any]:
    """Scores of generated volumes (K, N, N, N) float occupancy in [0, 1]: the means over samples
    of :func:`score_sample` (``iou``, ``cavity``, ``cavity_bbox``, ``fill``) at ``threshold``, and
    ``per_sample``. With ``search``, also ``best``: the same means at :func:`best_threshold`
    (and that ``threshold``)."""
    volumes = np.asarray(volumes)
    if volumes.ndim != 4 or volumes.shape[1:] != truth.grid.shape:
        raise ValueError(f"volumes must be (K, {truth.grid.shape}), got {volumes.shape}")
    scores = [score_sample(v > threshold, truth, angle_step) for v in volumes]
    out = {**_summary(scores), "per_sample": [dataclasses.asdict(s) for s in scores]}
    if search is not None:
        t = best_threshold(volumes, truth, angle_step, search)
        best = [score_sample(v > t, truth, angle_step) for v in volumes]
        out["best"] = {"threshold": t, **_summary(best)}
    return out


# --------------------------------------------------------------------------------------------------
# Sampling a generator
# --------------------------------------------------------------------------------------------------


def initial_method(train_cfg):
    """The method as :func:`iggan.training.train` initialises it (same seed, same weights), without
    touching this process's random generators."""
    import torch

    from iggan.distributed import resolve_device
    from iggan.methods import build_method

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(train_cfg.seed)
        return build_method(train_cfg, resolve_device(train_cfg.device))


def checkpoint_method(train_cfg, path: Path):
    """The method with every module loaded from a training checkpoint."""
    from iggan import checkpoint as ckpt_io
    from iggan.distributed import resolve_device
    from iggan.methods import restore_method

    data = ckpt_io.load_checkpoint(path, kind="train")
    return restore_method(data, resolve_device(train_cfg.device))


def sample_volumes(
    method, train_cfg, n: int, azimuth_range, elevation_range, average: bool = True
) -> np.ndarray:
    """(n, N, N, N) float32 occupancies of ``method.sample`` (G in eval mode, no state change) at
    the fixed latents of the run's sample grids; ``average=False``: from the trained G even when
    the run keeps a moving average of it (``g_ema``)."""
    import torch

    from iggan.sample import sample_inputs

    z, az, el = sample_inputs(train_cfg, azimuth_range, elevation_range, n=n)
    threads = torch.get_num_threads()
    if train_cfg.torch_threads:
        torch.set_num_threads(train_cfg.torch_threads)
    try:
        out = method.sample(
            z.to(method.device),
            az.to(method.device),
            el.to(method.device),
            volumes_only=True,
            average=average,
        )
    finally:
        torch.set_num_threads(threads)
    if "volumes" not in out:
        raise RecoverError(f"{train_cfg.method} makes no volumes; nothing to score")
    return out["volumes"][:, 0].float().cpu().numpy()
