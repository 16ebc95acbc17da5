"""Datasets from photographs (the paper's Chanterelle setting, section 4.2).

Each image is centre-cropped to a square, resized to the target resolution, converted to gray, and
its mean intensity is unified *additively*: every foreground pixel is shifted by the same offset so
that the image's foreground mean equals the mean over the whole folder. The background, which the
published Chanterelle data has already masked out, is kept as is: it is the alpha = 0 region for
images with an alpha channel, otherwise pixels at the background level (0, black).

The result uses the dataset file format of :mod:`shapenet_render.dataset` with no voxel grids
(``n_models = 0``), ``model_index = -1`` and unknown views (NaN).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .dataset import PHOTO_MODE, PHOTO_RENDERER, DatasetError, DatasetSpec, _write_h5

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def load_photo(path: Path, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre-cropped, resized gray image ``(R, R)`` float64 in [0, 255] and its foreground mask."""
    try:
        with Image.open(path) as im:
            im.load()
            rgba = im.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read image ({exc})") from exc
    w, h = rgba.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    rgba = rgba.crop((left, top, left + side, top + side)).resize(
        (resolution, resolution), Image.Resampling.LANCZOS
    )
    arr = np.asarray(rgba, dtype=np.float64)
    gray = arr[..., :3] @ np.array([0.299, 0.587, 0.114])
    alpha = arr[..., 3]
    has_alpha = (alpha < 255).any()
    fg = alpha > 127 if has_alpha else gray > 0.5
    gray = np.where(fg, gray, 0.0)
    return gray, fg


def photo_dataset(
    folder: str | Path,
    out: str | Path,
    resolution: int = 128,
    azimuth: tuple[float, float] = (0.0, 360.0),
    elevation: tuple[float, float] = (15.0, 60.0),
) -> tuple[Path, int]:
    """Write a dataset file from the images in ``folder`` (sorted by name). Returns (path, count).

    ``azimuth``/``elevation`` record the view distribution a 3D model should assume for them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder of images")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise DatasetError(f"{folder}: no images ({', '.join(EXTENSIONS)})")
    grays, masks = zip(*(load_photo(p, resolution) for p in files), strict=True)
    means = [g[m].mean() for g, m in zip(grays, masks, strict=True) if m.any()]
    target = float(np.mean(means)) if means else 0.0
    images = []
    for g, m in zip(grays, masks, strict=True):
        shift = target - g[m].mean() if m.any() else 0.0
        img = np.where(m, np.clip(g + shift, 1.0, 255.0), g)  # foreground never becomes background
        images.append(np.round(img).astype(np.uint8))
    spec = DatasetSpec(
        category=folder.name,
        mode=PHOTO_MODE,
        renderer=PHOTO_RENDERER,
        source=f"images:{folder}",
        resolution=resolution,
        voxel_res=4,
        azimuth=tuple(azimuth),
        elevation=tuple(elevation),
    )
    n = len(images)
    part = {
        "model_ids": [],
        "positions": np.zeros(0, np.int64),
        "voxels": np.zeros((0, 8), np.uint8),
        "images": np.stack(images),
        "views": np.full((n, 2), np.nan, np.float32),
        "image_model": np.full(n, -1, np.int32),
        "skipped": [],
    }
    out = Path(out)
    _write_h5(
        out,
        spec,
        [part],
        {"image_files": "\n".join(p.name for p in files), "mean_intensity": target},
    )
    return out, n
