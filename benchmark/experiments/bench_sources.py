"""Shape-source benchmark: within-class variety (mean pairwise voxel IoU) and generation time.

``igbench bench sources`` calls :func:`bench_sources` and prints :func:`format_table`. Variety is
measured as the mean IoU over all pairs of models of a class, on solid occupancy grids of the
models normalised into the unit cube: 1.0 means every model is the same shape, values near 0 mean
the shapes barely overlap. The issue's target is < 0.5 for chairs, couches, bathtubs and tables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from shapenet_render.categories import CATEGORY_NAMES, get_category, resolve_category
from shapenet_render.sources.base import ShapeSource, normalize_mesh
from shapenet_render.voxelize import voxelize

#: The classes the issue sets the variety target for (IoU < 0.5).
TARGET_CATEGORIES: tuple[str, ...] = ("chair", "sofa", "bathtub", "table")
#: The variety target: mean pairwise IoU below this.
IOU_TARGET: float = 0.5


@dataclass(frozen=True)
class SourceBenchRow:
    """One class's result."""

    category: str
    """Canonical category name."""
    n: int
    """Number of models measured (the first ``n`` ids of the class)."""
    mean_iou: float
    """Mean voxel IoU over all ``n (n - 1) / 2`` pairs of models."""
    seconds_per_model: float
    """Mean wall-clock seconds to produce one model's raw mesh (``ShapeSource._load_raw``)."""
    resolution: int
    """Voxel grid resolution used for the IoU."""


def pairwise_mean_iou(grids: np.ndarray) -> float:
    """Mean IoU over all unordered pairs of ``(n, N, N, N)`` bool grids (``n >= 2``).

    Computed with one matrix product: intersections = A A^T on the flattened grids.
    """
    n = grids.shape[0]
    if n < 2:
        raise ValueError("need at least two grids for a pairwise IoU")
    flat = grids.reshape(n, -1).astype(np.float32)
    inter = flat @ flat.T
    sizes = np.diag(inter)
    union = sizes[:, None] + sizes[None, :] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1.0), 1.0)
    upper = np.triu_indices(n, k=1)
    return float(iou[upper].mean())


def bench_sources(
    categories: list[str] | None = None,
    n_models: int = 200,
    resolution: int = 32,
    source: ShapeSource | None = None,
) -> list[SourceBenchRow]:
    """Measure variety and generation speed of a shape source, one row per category.

    ``categories`` are names, aliases or synset ids (default: all 21); the first ``n_models`` ids
    of each are generated (timed, one core), normalised into the unit cube and voxelized at
    ``resolution`` (not timed). ``source`` defaults to the procedural source.
    """
    if source is None:
        from shapenet_render.sources.procedural import ProceduralSource

        source = ProceduralSource()
    names = (
        list(CATEGORY_NAMES) if categories is None else [resolve_category(c) for c in categories]
    )
    rows = []
    for name in names:
        ids = source.list_models(name)[: max(2, min(n_models, get_category(name).count))]
        grids = np.zeros((len(ids), resolution, resolution, resolution), dtype=bool)
        elapsed = 0.0
        for i, model_id in enumerate(ids):
            t0 = time.perf_counter()
            raw = source._load_raw(name, model_id)
            elapsed += time.perf_counter() - t0
            mesh = normalize_mesh(raw, name=f"{name}/{model_id}")
            grids[i] = voxelize(mesh, resolution)
        rows.append(
            SourceBenchRow(
                category=name,
                n=len(ids),
                mean_iou=pairwise_mean_iou(grids),
                seconds_per_model=elapsed / len(ids),
                resolution=resolution,
            )
        )
    return rows


def format_table(rows: list[SourceBenchRow]) -> str:
    """A plain-text table of benchmark rows; classes with a variety target are marked."""
    lines = [
        f"{'category':<12} {'n':>5} {'mean IoU':>9} {'ms/model':>9}  target",
        "-" * 50,
    ]
    for r in rows:
        if r.category in TARGET_CATEGORIES:
            verdict = f"< {IOU_TARGET}: {'ok' if r.mean_iou < IOU_TARGET else 'MISSED'}"
        else:
            verdict = "-"
        lines.append(
            f"{r.category:<12} {r.n:>5} {r.mean_iou:>9.3f} {1000 * r.seconds_per_model:>9.1f}  "
            f"{verdict}"
        )
    return "\n".join(lines)
