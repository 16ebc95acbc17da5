"""The off-the-shelf renderers by their settings: OpenGL (:mod:`shapenet_render.renderer`) and
Mitsuba 3's path tracer (:mod:`shapenet_render.mitsuba_renderer`), which both render voxel grids
with ``render_voxels(grid, azimuth, elevation, outputs)``. Datasets, checkpoints and render pools
hold settings; this module turns them into a renderer, and a dataset spec into its settings."""

from __future__ import annotations

from .mitsuba_renderer import MitsubaSettings
from .renderer import Renderer, RenderSettings


def settings_from_dict(raw: dict):
    """Render settings as a dataset or checkpoint stores them (``to_dict``): the OpenGL path's
    :class:`RenderSettings`, or :class:`MitsubaSettings` when ``renderer`` says ``mitsuba``."""
    raw = dict(raw)
    if raw.pop("renderer", "opengl") == "mitsuba":
        return MitsubaSettings(**raw)
    return RenderSettings(**raw)


def settings_for(renderer: str, resolution: int, seed: int = 0, spp: int | None = None):
    """The settings a dataset of ``renderer`` images is made with (a projection dataset stores
    the OpenGL settings, with which its shapes are rendered for evaluation); ``spp`` (Mitsuba's
    samples per pixel) None = the default."""
    if renderer == "mitsuba":
        extra = {} if spp is None else {"spp": spp}
        return MitsubaSettings(resolution=resolution, seed=seed, **extra)
    return RenderSettings(resolution=resolution)


def opengl_settings(settings) -> RenderSettings:
    """``settings`` when they are OpenGL's, else OpenGL's defaults at the same image size: what
    evaluation, normal maps and fresh real renders of a non-OpenGL dataset or run use."""
    if isinstance(settings, RenderSettings):
        return settings
    return RenderSettings(resolution=settings.resolution)


def make_renderer(settings, backend: str | None = None):
    """The renderer for ``settings``: OpenGL (:class:`Renderer`, on ``backend``) or Mitsuba's
    path tracer (:class:`~shapenet_render.mitsuba_renderer.MitsubaRenderer`)."""
    if isinstance(settings, MitsubaSettings):
        from .mitsuba_renderer import MitsubaRenderer

        return MitsubaRenderer(settings)
    return Renderer(settings, backend)
