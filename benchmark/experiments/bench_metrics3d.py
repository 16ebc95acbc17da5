"""Performance benchmark: the 3D metrics' batched distance matrices against a naive loop over pairs.

Both compute the same ``S x R`` Chamfer and ``1 - IoU`` matrices of random boxes (a stand-in for
generated and real voxel grids: the cost depends on the sizes, not on the shapes). The naive way
is a Python loop over every pair: for Chamfer the full point-to-point distance matrix between the
two shapes' surface voxel centres in numpy (its surface extraction counted in its time), for IoU
``logical_and`` / ``logical_or`` of the two grids. It runs on ``naive_pairs`` pairs (all pairs
would take far too long at the target sizes) and its time is scaled to the full matrix; ours
computes the full matrix (surface masks and distance fields included), and the agreement of the
two on the pairs both computed is reported, so that a fast but wrong answer shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from benchmark.metrics.metrics3d import chamfer_matrix, iou_distance_matrix, surface_points


@dataclass(frozen=True)
class Metrics3DBench:
    samples: int
    references: int
    voxel_res: int
    naive_pairs: int
    chamfer_s: float
    iou_s: float
    naive_chamfer_s: float
    """Naive time for all S x R pairs, scaled from ``naive_pairs`` timed pairs."""
    naive_iou_s: float
    max_abs_diff: float
    """Largest difference between ours and the naive values on the pairs both computed."""

    @property
    def total_s(self) -> float:
        return self.chamfer_s + self.iou_s

    def format(self) -> list[str]:
        s, r = self.samples, self.references
        naive_total = self.naive_chamfer_s + self.naive_iou_s
        return [
            f"3D metrics: {s} samples x {r} references, {self.voxel_res}^3 grids",
            f"  Chamfer matrix: ours {self.chamfer_s:8.2f} s, naive {self.naive_chamfer_s:9.1f} s "
            f"(scaled from {self.naive_pairs} pairs) -> {self.naive_chamfer_s / self.chamfer_s:.1f}x",
            f"  1 - IoU matrix: ours {self.iou_s:8.2f} s, naive {self.naive_iou_s:9.1f} s "
            f"(scaled from {self.naive_pairs} pairs) -> {self.naive_iou_s / self.iou_s:.1f}x",
            f"  total: ours {self.total_s:.1f} s, naive {naive_total:.1f} s -> "
            f"{naive_total / self.total_s:.1f}x; max |ours - naive| {self.max_abs_diff:.2e}",
        ]


def _boxes(n: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grids = np.zeros((n, size, size, size), bool)
    for g in grids:
        lo = rng.integers(0, size // 2, 3)
        hi = lo + rng.integers(size // 8, size // 2, 3)
        g[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return grids


def _naive_chamfer(a: np.ndarray, b: np.ndarray) -> float:
    d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return float(d.min(axis=1).mean() + d.min(axis=0).mean())


def _naive_iou_distance(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(1.0 - np.logical_and(a, b).sum() / union) if union else 0.0


def bench_metrics3d(
    samples: int = 500, references: int = 500, voxel_res: int = 32, naive_pairs: int = 2000
) -> Metrics3DBench:
    """Time both ways (see the module docstring)."""
    s_grids = _boxes(samples, voxel_res, 0)
    r_grids = _boxes(references, voxel_res, 1)
    t1 = time.perf_counter()
    chamfer = chamfer_matrix(s_grids, r_grids)
    t2 = time.perf_counter()
    iou = iou_distance_matrix(s_grids, r_grids)
    t3 = time.perf_counter()

    rng = np.random.default_rng(2)
    pairs = [(int(i), int(j)) for i, j in zip(rng.integers(0, samples, naive_pairs),
                                               rng.integers(0, references, naive_pairs), strict=True)]  # fmt: skip
    t4 = time.perf_counter()
    naive_c = [
        _naive_chamfer(surface_points(s_grids[i]), surface_points(r_grids[j])) for i, j in pairs
    ]
    t5 = time.perf_counter()
    naive_i = [_naive_iou_distance(s_grids[i], r_grids[j]) for i, j in pairs]
    t6 = time.perf_counter()
    scale = samples * references / naive_pairs
    diff = max(
        max(abs(chamfer[i, j] - v) for (i, j), v in zip(pairs, naive_c, strict=True)),
        max(abs(iou[i, j] - v) for (i, j), v in zip(pairs, naive_i, strict=True)),
    )
    return Metrics3DBench(
        samples,
        references,
        voxel_res,
        naive_pairs,
        t2 - t1,
        t3 - t2,
        (t5 - t4) * scale,
        (t6 - t5) * scale,
        float(diff),
    )
