"""The real images of an evaluation that are rendered rather than read: fresh views of a
dataset's voxel grids with the dataset's own render settings (the ``fresh-unlimited``,
``fresh-360`` and ``fresh-opengl`` real sets of :mod:`benchmark.metrics.evaluate`), cached by
content under ``<cache>/eval-real/``."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from shapenet_render.dataset import DatasetError, ImageDataset, content_digest
from shapenet_render.io_utils import atomic_path
from shapenet_render.pool import RenderItem, RenderPools, render_stream

log = logging.getLogger(__name__)


#: The ``unlimited`` real set's epoch of fresh views: far beyond any training epoch.
REAL_EPOCH = 1_000_000


#: Bumped when the fresh real renders' content or computation changes (cache key).
REAL_CACHE_VERSION = 1


def normal_view_ranges(spec) -> tuple[tuple[float, float], tuple[float, float]]:
    """(azimuth, elevation) ranges of the dataset's category outside the LVP mode: an ``lvp`` run
    is evaluated over these (360 degrees of azimuth)."""
    normal = replace(spec, mode="one-per-model", azimuth=None, elevation=None)
    return normal.azimuth_range, normal.elevation_range


def real_plan(dataset: Path, kind: str) -> tuple[list[tuple[int, float, float]], dict[str, Any]]:
    """``(model, azimuth, elevation)`` of every fresh real render, and the protocol entries that
    describe them. The views depend only on the dataset (its seed), never on the eval seed, so
    every method and every seed of a column meets the same real images."""
    import h5py

    ds = ImageDataset(dataset)
    spec = ds.spec
    plan: list[tuple[int, float, float]] = []
    info: dict[str, Any] = {}
    if kind == "fresh-unlimited":
        for m in range(ds.n_models):
            plan.extend((m, float(a), float(e)) for a, e in ds.fresh_views(m, REAL_EPOCH))
        info = {"real_epoch": REAL_EPOCH}
        ranges = (spec.azimuth_range, spec.elevation_range)
    elif kind == "fresh-360":
        ranges = normal_view_ranges(spec)
        (az_lo, az_hi), (el_lo, el_hi) = ranges
        rng = np.random.default_rng([spec.seed, 0x360, 0xE7A1])
        per_model = spec.n_views
        az = rng.uniform(az_lo, az_hi, size=(ds.n_models, per_model))
        el = rng.uniform(el_lo, el_hi, size=(ds.n_models, per_model))
        plan = [
            (m, float(az[m, v]), float(el[m, v]))
            for m in range(ds.n_models)
            for v in range(per_model)
        ]
        info = {"real_seed": spec.seed}
    elif kind == "fresh-opengl":
        with h5py.File(dataset, "r") as f:
            models, azs, els = f["model_index"][:], f["azimuth"][:], f["elevation"][:]
        plan = [(int(m), float(a), float(e)) for m, a, e in zip(models, azs, els, strict=True)]
        ranges = (spec.azimuth_range, spec.elevation_range)
    else:
        raise ValueError(f"{kind!r} is not a fresh real set")
    info["real_views"] = {"azimuth": list(ranges[0]), "elevation": list(ranges[1])}
    return plan, info


def fresh_real_images(
    dataset: Path,
    kind: str,
    pools: RenderPools,
    cache_dir: str | Path | None,
    force: bool,
    progress: Callable[[str, int, int], None] | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``(m, H, W)`` uint8 off-the-shelf renders of the dataset's voxel grids for a fresh real set,
    from the content-keyed cache when present (``force`` renders and replaces)."""
    from benchmark.metrics.fid import default_cache_dir

    ds = ImageDataset(dataset)
    plan, info = real_plan(dataset, kind)
    if not plan:
        raise DatasetError(f"{dataset}: no models to render real images of")
    settings = ds.opengl_settings()
    key_text = "|".join(
        [
            content_digest(dataset),
            kind,
            json.dumps(settings.to_dict(), sort_keys=True),
            json.dumps(info, sort_keys=True),
            f"v{REAL_CACHE_VERSION}",
        ]
    )
    key = hashlib.sha256(key_text.encode()).hexdigest()
    path = Path(cache_dir or default_cache_dir()) / "eval-real" / f"{key}.npz"
    info = {**info, "real_render_key": key}
    if path.is_file() and not force:
        try:
            with np.load(path, allow_pickle=False) as z:
                images = z["images"]
            if len(images) == len(plan):
                return images, info
        except (OSError, ValueError, KeyError) as exc:  # unreadable: render again and replace
            log.warning("ignoring unreadable cache file %s (%s)", path, exc)

    def items() -> Iterator:
        last, grid = -1, None
        for m, a, e in plan:  # models come in order: load each grid once
            if m != last:
                last, grid = m, ds.voxels(m)
            yield RenderItem.voxels(grid, a, e)

    images = render_stream(pools.get(settings), items(), len(plan), progress, "real")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, images=images)
    return images, info
