"""Image grids, and previews of a shape source's models (for people to look at shapes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image


def image_grid(images: Sequence[np.ndarray], ncols: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile equally sized ``(H, W)`` or ``(H, W, 3)`` uint8 images into one uint8 array.

    Cells are separated by ``pad`` pixels of mid-gray so that black backgrounds stay readable.
    """
    if not images:
        raise ValueError("image_grid: no images")
    first = np.asarray(images[0])
    h, w = first.shape[:2]
    ncols = ncols or math.ceil(math.sqrt(len(images)))
    nrows = math.ceil(len(images) / ncols)
    shape = (nrows * (h + pad) + pad, ncols * (w + pad) + pad) + first.shape[2:]
    grid = np.full(shape, 96, np.uint8)
    for idx, img in enumerate(images):
        img = np.asarray(img)
        if img.shape != first.shape:
            raise ValueError(
                f"image_grid: image {idx} has shape {img.shape}, expected {first.shape}"
            )
        r, c = divmod(idx, ncols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y : y + h, x : x + w] = img
    return grid


def save_png(array: np.ndarray, path) -> None:
    """Write a uint8 array as PNG, atomically (a temporary file renamed into place)."""
    from .io_utils import atomic_path

    with atomic_path(path) as tmp:
        Image.fromarray(np.asarray(array, np.uint8)).save(tmp, format="PNG")


@dataclass
class Preview:
    """A preview grid and what went into it."""

    grid: np.ndarray
    """(H, W) uint8 grid of the renders."""
    model_ids: list[str]
    """The models shown, in grid order."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(model id, reason) of every model passed over because it failed to load."""


def preview_shapes(
    source,
    category: str,
    n: int = 16,
    resolution: int = 128,
    voxel_res: int = 64,
    azimuth: float = 30.0,
    elevation: float = 25.0,
    start: int = 0,
    workers: int | None = None,
    settings=None,
) -> Preview:
    """Render the first ``n`` loadable models of a category (voxelized, as the datasets see them);
    fewer when the category has fewer."""
    from .pool import RenderItem, render_many
    from .renderer import RenderSettings
    from .sources.base import ShapeLoadError
    from .voxelize import voxelize

    settings = settings or RenderSettings(resolution=resolution)
    ids = source.list_models(category)[start:]
    items, shown, skipped = [], [], []
    for model_id in ids:
        if len(items) == n:
            break
        try:
            mesh = source.load(category, model_id)
        except ShapeLoadError as exc:
            skipped.append((model_id, str(exc)))
            continue
        items.append(RenderItem.voxels(voxelize(mesh, voxel_res), azimuth, elevation))
        shown.append(model_id)
    if not items:
        raise ValueError(f"no loadable models in category {category!r} of {source.spec}")
    results = render_many(items, settings=settings, workers=workers)
    return Preview(image_grid([r.image for r in results]), shown, skipped)
