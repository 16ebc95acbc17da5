"""Samples from a trained run: volumes, meshes (marching cubes) and a grid of their renders.

``sample(run_dir, n, out)`` loads the run's newest checkpoint, generates ``n`` volumes from a fixed
seed, and writes into ``out``::

    volumes.npy          (n, N, N, N) float16 occupancies in [0, 1], world layout [x, y, z]
    sample_XXX.obj|.ply  the level-``threshold`` isosurface of each volume (marching cubes), in world
                         units: the grid covers the unit cube [-0.5, 0.5]^3 as everywhere in igbench
    renders.png          OpenGL renders of ``volume > threshold`` (the renderer settings the run
                         trained with), views spread over the dataset's azimuth range
    normals.png          camera-frame normal maps of the same thresholded volumes, all from one
                         canonical view (:data:`CANONICAL_VIEW`), as in the paper's Fig. 3
    neural.png           the method's own renders of the same samples (IG-GAN: R_phi(x_c))

A volume with nothing above the threshold gets no mesh (listed in :attr:`SampleResult.empty`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import trimesh

from shapenet_render.dataset import DatasetSpec
from shapenet_render.pool import RenderItem, load_triton_before_gl, render_many
from shapenet_render.preview import image_grid, save_png
from shapenet_render.projection import from_network
from shapenet_render.renderer import RenderSettings
from shapenet_render.renderers import opengl_settings, settings_from_dict

from . import checkpoint as ckpt_io
from .config import TrainConfig
from .distributed import resolve_device
from .methods import Method, restore_method

MESH_FORMATS = ("obj", "ply")
#: (azimuth, elevation) of the normal-map grid: a three-quarter view of the front from above
#: (docs/conventions.md: azimuth 0 faces the front), one view for every sample so that shapes
#: compare directly.
CANONICAL_VIEW = (30.0, 20.0)


@dataclass
class SampleResult:
    out: Path
    checkpoint: Path
    iteration: int
    meshes: list[Path] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    """Indices of samples with no voxel above the threshold (no mesh written)."""


#: Threshold for the OpenGL renders of sample grids (a display choice; training draws t ~ U[0,1)).
SAMPLE_THRESHOLD = 0.5


def sample_inputs(
    config: TrainConfig, azimuth_range, elevation_range, n: int | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fixed latents (n, z_dim) and views (n,) x 2 for sample grids: azimuths spread evenly over the
    dataset's range, elevation at the middle of its range."""
    n = n or config.n_samples
    gen = torch.Generator().manual_seed(config.seed * 7919 + seed + 0x5A)
    z = torch.randn(n, config.z_dim, generator=gen)
    lo, hi = azimuth_range
    az = torch.tensor([lo + (hi - lo) * (i + 0.5) / n for i in range(n)])
    el = torch.full((n,), 0.5 * (elevation_range[0] + elevation_range[1]))
    return z, az, el


def opengl_images(pool, volumes: torch.Tensor, azimuth, elevation, threshold: float) -> np.ndarray:
    """(B, H, W) uint8 off-the-shelf renders of ``volumes > threshold`` ((B, 1, N, N, N))."""
    grids = (volumes[:, 0] > threshold).cpu().numpy()
    items = [
        RenderItem.voxels(g, float(a), float(e))
        for g, a, e in zip(grids, azimuth.tolist(), elevation.tolist(), strict=True)
    ]
    return np.stack([r.image for r in pool.render(items)])


def write_sample_grid(
    path: Path, method: Method, pool, inputs, real: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows: OpenGL renders of thresholded samples, the method's own renders, real images.
    Saves the grid as a PNG; returns it ((H, W) uint8) and the samples' volumes ((n, N, N, N)
    float, or None for a method without volumes)."""
    from shapenet_render.preview import image_grid, save_png

    z, az, el = (t.to(method.device) for t in inputs)
    out = method.sample(z, az, el)
    rows: list[np.ndarray] = []
    volumes = None
    if "volumes" in out:
        rows.extend(opengl_images(pool, out["volumes"], az.cpu(), el.cpu(), SAMPLE_THRESHOLD))
        volumes = out["volumes"][:, 0].float().cpu().numpy()
    rows.extend(from_network(out["images"])[:, 0])
    rows.extend(real[: len(z)])
    grid = image_grid(rows, ncols=len(z))
    save_png(grid, path)
    return grid, volumes


def volume_to_mesh(volume: np.ndarray, threshold: float = 0.5) -> trimesh.Trimesh | None:
    """Marching-cubes isosurface of an (N, N, N) occupancy at ``threshold``, in world units.

    The grid is padded with one empty voxel per side so that surfaces touching the border close.
    Voxel (i, j, k)'s centre maps to ((i + 0.5) / N - 0.5, ...), as in docs/conventions.md; faces
    are oriented outwards. Returns None when nothing exceeds the threshold.
    """
    from skimage.measure import marching_cubes

    vol = np.asarray(volume, dtype=np.float32)
    n = vol.shape[0]
    if vol.ndim != 3 or vol.shape != (n, n, n):
        raise ValueError(f"volume must be (N, N, N), got {vol.shape}")
    if not (vol > threshold).any():
        return None
    verts, faces, _, _ = marching_cubes(
        np.pad(vol, 1), level=threshold, gradient_direction="ascent"
    )
    verts = (verts - 0.5) / n - 0.5  # padded index p = i + 1 -> centre (i + 0.5) / n - 0.5
    return trimesh.Trimesh(verts, faces, process=False)


def normal_maps(
    grids: np.ndarray, settings: RenderSettings, workers: int | None = None
) -> list[np.ndarray]:
    """(H, W, 3) uint8 camera-frame normal maps of binary grids ``(n, N, N, N)`` from
    :data:`CANONICAL_VIEW` (x right = red, y up = green, towards the camera = blue)."""
    az, el = CANONICAL_VIEW
    items = [RenderItem.voxels(g, az, el) for g in grids]
    results = render_many(items, settings=settings, workers=workers or 1, outputs=("normals",))
    return [r.normals for r in results]


def sample(
    run_dir: str | Path,
    n: int = 16,
    out: str | Path | None = None,
    seed: int = 0,
    threshold: float = 0.5,
    formats: tuple[str, ...] = ("obj",),
    checkpoint: str | Path | None = None,
    device: str = "auto",
    workers: int | None = None,
) -> SampleResult:
    """Write ``n`` samples of a run (newest checkpoint unless ``checkpoint``) into ``out``."""
    run_dir = Path(run_dir)
    path = Path(checkpoint) if checkpoint else ckpt_io.latest_checkpoint(run_dir)
    if path is None:
        raise ckpt_io.CheckpointError(f"{run_dir}: no checkpoint to sample from")
    bad = [f for f in formats if f not in MESH_FORMATS]
    if bad:
        raise ValueError(f"unknown mesh format {bad[0]!r}; choose from {', '.join(MESH_FORMATS)}")
    data = ckpt_io.load_checkpoint(path, kind="train")
    dev = resolve_device(device)
    method = restore_method(data, dev)
    config = method.config
    spec = DatasetSpec(**data["extra"]["dataset"]["spec"])
    z, az, el = sample_inputs(config, spec.azimuth_range, spec.elevation_range, n=n, seed=seed)
    result = method.sample(z.to(dev), az.to(dev), el.to(dev))
    out = Path(out) if out else run_dir / "samples" / f"final-{data['iteration']:08d}"
    out.mkdir(parents=True, exist_ok=True)
    res = SampleResult(out, path, int(data["iteration"]))
    ncols = min(n, 8)

    if "volumes" in result:
        vols = result["volumes"][:, 0].float().cpu().numpy()
        np.save(out / "volumes.npy", vols.astype(np.float16))
        for i, vol in enumerate(vols):
            mesh = volume_to_mesh(vol, threshold)
            if mesh is None:
                res.empty.append(i)
                continue
            for fmt in formats:
                target = out / f"sample_{i:03d}.{fmt}"
                mesh.export(target)
                res.meshes.append(target)
        # the run's off-the-shelf renderer (OpenGL, or Mitsuba for a run on Mitsuba images);
        # normal maps are an OpenGL output, at the same size
        settings = settings_from_dict(data["extra"]["render_settings"])
        gl_settings = opengl_settings(settings)
        load_triton_before_gl()

        class _Pool:  # opengl_images wants .render(items)
            @staticmethod
            def render(items):
                return render_many(items, settings=settings, workers=workers or 1)

        renders = opengl_images(_Pool, result["volumes"].cpu(), az, el, threshold)
        save_png(image_grid(list(renders), ncols=ncols), out / "renders.png")
        save_png(
            image_grid(normal_maps(vols > threshold, gl_settings, workers), ncols=ncols),
            out / "normals.png",
        )
    neural = from_network(result["images"].cpu())[:, 0]
    save_png(image_grid(list(neural), ncols=ncols), out / "neural.png")
    return res
