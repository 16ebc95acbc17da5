"""Datasets from photographs: crop, resize, additive mean unification, background kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from shapenet_render.dataset import DatasetError, ImageDataset
from shapenet_render.natural import photo_dataset


def _photo(path, size, level, with_alpha):
    w, h = size
    rgba = np.zeros((h, w, 4), np.uint8)
    yy, xx = np.mgrid[:h, :w]
    disc = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(w, h) / 3) ** 2
    rgba[disc, :3] = level
    rgba[..., 3] = np.where(disc, 255, 0) if with_alpha else 255
    Image.fromarray(rgba if with_alpha else rgba[..., :3]).save(path)


def test_photos_become_a_valid_dataset(tmp_path):
    folder = tmp_path / "mushrooms"
    folder.mkdir()
    _photo(folder / "a.png", (120, 80), 60, with_alpha=True)
    _photo(folder / "b.png", (90, 90), 200, with_alpha=False)
    (folder / "notes.txt").write_text("ignored")
    path, n = photo_dataset(folder, tmp_path / "m.h5", resolution=32)
    ds = ImageDataset(path)
    assert n == 2 == len(ds) and ds.resolution == 32 and ds.n_models == 0
    a, b = ds.image(0), ds.image(1)
    fg_a, fg_b = a > 0, b > 0
    # Centre crop keeps the disc centred and round; background stays exactly 0.
    assert a[0, 0] == 0 and b[0, 0] == 0 and fg_a[16, 16] and fg_b[16, 16]
    # Additive unification: one offset per image brings both to the folder's mean intensity
    # (60 and 200 -> about 130; antialiased rims pull the means a little).
    centre_a, centre_b = a[12:20, 12:20].astype(float), b[12:20, 12:20].astype(float)
    assert centre_a.std() < 1 and centre_b.std() < 1  # an offset, not a rescale
    assert abs(centre_a.mean() - centre_b.mean()) < 60  # was 140 before unification
    assert abs(a[fg_a].mean() - b[fg_b].mean()) < 10  # foreground means now agree
    assert ds[0].shape == (1, 32, 32)


def test_bad_photo_folders_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        photo_dataset(tmp_path, tmp_path / "x.h5")
    (tmp_path / "broken.png").write_text("not a png")
    with pytest.raises(DatasetError, match="broken.png: cannot read image"):
        photo_dataset(tmp_path, tmp_path / "x.h5")
