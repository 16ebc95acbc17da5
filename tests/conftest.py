"""Shared fixtures. GL-dependent tests are marked ``gl``; they fail (never skip) without GL."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def renderer64():
    """The session's persistent renderer at 64^2 (one GL context per process, kept alive)."""
    from shapenet_render.renderer import Renderer, RenderSettings

    return Renderer(RenderSettings(resolution=64))


@pytest.fixture()
def asym_grid():
    """A 32^3 grid with a big block at the centre-bottom and a small marker block at +X, +Y, -Z."""
    g = np.zeros((32, 32, 32), bool)
    g[8:24, 0:8, 8:24] = True  # base, centred in x and z, at the bottom
    g[24:30, 24:30, 2:8] = True  # marker: +X, +Y, -Z corner
    return g
