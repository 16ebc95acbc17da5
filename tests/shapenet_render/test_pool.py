"""The renderer pool: order, equality with single-process renders, and failure reporting."""

from __future__ import annotations

import ctypes.util
import os

import numpy as np
import pytest

from shapenet_render.pool import RenderError, RenderItem, RenderPool, render_many
from shapenet_render.renderer import RenderSettings

pytestmark = pytest.mark.gl


def _items(n=12):
    rng = np.random.default_rng(1)
    items = []
    for i in range(n):
        g = np.zeros((16, 16, 16), bool)
        lo = rng.integers(0, 8, 3)
        g[lo[0] : lo[0] + 4 + i % 5, lo[1] : lo[1] + 6, lo[2] : lo[2] + 3 + i % 3] = True
        items.append(RenderItem.voxels(g, rng.uniform(0, 360), rng.uniform(-30, 60)))
    return items


def test_pool_matches_single_process_in_input_order():
    items = _items()
    settings = RenderSettings(resolution=48)
    single = render_many(items, settings=settings, workers=1, outputs=("image", "depth"))
    pooled = render_many(items, settings=settings, workers=2, outputs=("image", "depth"))
    assert len(pooled) == len(items)
    for a, b in zip(single, pooled, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.depth, b.depth)
    # Different items really differ, so an order mix-up would be caught.
    assert not np.array_equal(single[0].image, single[1].image)


class _Crash(RenderItem):
    """An item whose rendering kills the worker process outright."""

    def render(self, renderer, outputs):
        os._exit(3)


def test_worker_errors_surface_in_the_parent():
    bad = RenderItem.voxels(np.ones((4, 4, 4), bool), 0.0, 95.0)  # elevation out of range
    with RenderPool(RenderSettings(resolution=32), workers=2, chunksize=1) as pool:
        with pytest.raises(RenderError, match="invalid view"):
            pool.render(_items(3) + [bad])


def test_worker_crash_does_not_hang():
    crash = _Crash(0.0, 0.0, np.packbits(np.ones(64, bool)), 4)
    with RenderPool(RenderSettings(resolution=32), workers=2, chunksize=1) as pool:
        with pytest.raises(RenderError, match="worker died"):
            pool.render([crash])


@pytest.mark.skipif(
    ctypes.util.find_library("OSMesa") is not None, reason="OSMesa is installed here"
)
def test_missing_gl_backend_names_the_package():
    with RenderPool(RenderSettings(resolution=32), workers=1, backend="osmesa") as pool:
        with pytest.raises(RenderError, match="libosmesa6"):
            pool.render(_items(1))
