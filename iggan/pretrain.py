"""Neural-renderer pre-training: fit R_phi with L2 to off-the-shelf renders of binary voxel grids.

The paper pre-trains RenderNet "on a generic data set, like tables or cubes" before GAN training
(section 3) and compares tables, chairs and random shapes in Table 3. Here the grids come from a
dataset file's stored voxels (its images are not used): every step draws ``batch_size`` models
and one random view each from the dataset's view distribution, renders the targets with the
off-the-shelf renderer (the dataset's own render settings, at the config's image size) and takes
one Adam step on ``mean((R_phi(T(x)) - R_d(x))^2)``. The targets of step i+1 are rendered by the
pool while step i trains. Batches are a pure function of (seed, step), so a killed run resumes
exactly from its last checkpoint.

Output: one checkpoint file (kind ``renderer``; ``complete`` turns true at the end) with a JSON-lines
log beside it; ``igbench train iggan --renderer-init FILE`` loads it. ``--renderer-init tables``
(``chairs``, ``cubes``) names the default renderer for a run's sizes, kept under
``data/renderers/`` and made by :func:`ensure_renderer_init` (which also renders the
pre-training dataset if it is missing) when a command asks for it: ``igbench train``, the tables and
``bench recover`` call it before training; :func:`iggan.training.train` itself never pre-trains.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from shapenet_render.dataset import ImageDataset, make_spec
from shapenet_render.pool import RenderItem
from shapenet_render.presets import PRESETS
from shapenet_render.projection import view_transform

from . import checkpoint as ckpt_io
from . import losses
from .config import (
    PRETRAIN_ON,
    RENDERER_ARCH_FIELDS,
    ConfigError,
    PretrainConfig,
    TrainConfig,
    pretrain_config_for,
)
from .networks import RenderNet

log = logging.getLogger(__name__)

#: ``--on`` choices -> (shape source, category).
ON_SOURCES: dict[str, tuple[str, str]] = {
    "tables": ("procedural", "table"),
    "chairs": ("procedural", "chair"),
    "cubes": ("cubes", "cubes"),
}
#: Where default pre-trained renderers live (relative to the working directory, like ``data/``).
RENDERER_ROOT = Path("data") / "renderers"
#: Fields that may change when an unfinished pre-training resumes.
_RESUMABLE = frozenset(
    {"iterations", "device", "render_workers", "torch_threads", "log_every", "checkpoint_every"}
)


@dataclass
class PretrainResult:
    path: Path
    iteration: int
    final_loss: float | None
    seconds_per_iteration: float | None
    render_wait_share: float | None


def build_rendernet(cfg: PretrainConfig | TrainConfig) -> RenderNet:
    """The RenderNet that a config's architecture fields describe."""
    return RenderNet(
        cfg.view_volume_res, cfg.image_res, cfg.r_channels_3d, cfg.r_channels_2d, cfg.r_downsample
    )


def pretrain_data_spec(cfg: PretrainConfig):
    """The dataset that ``--on tables|chairs|cubes`` pre-trains on, at the config's sizes."""
    if cfg.on not in ON_SOURCES:
        raise ConfigError(f"on: one of {', '.join(PRETRAIN_ON)} (got {cfg.on!r})")
    source, category = ON_SOURCES[cfg.on]
    return make_spec(
        category,
        "one-per-model",
        cfg.preset if cfg.preset in PRESETS else "paper",
        source=source,
        resolution=cfg.image_res,
        voxel_res=cfg.voxel_res,
        max_models=cfg.models,
    )


def _target_settings(cfg: PretrainConfig, ds: ImageDataset):
    """What renders the targets: the config's off-the-shelf renderer at its image size (OpenGL
    with the dataset's settings, or Mitsuba's path tracer; the dataset gives only voxel grids)."""
    if cfg.renderer == "mitsuba":
        from shapenet_render.renderers import settings_for

        return settings_for("mitsuba", cfg.image_res, cfg.seed)
    return replace(ds.opengl_settings(), resolution=cfg.image_res)


def dataset_renderer(config: TrainConfig) -> str:
    """The off-the-shelf renderer of a GAN run's dataset (``opengl`` when the file is missing or
    holds a baseline's projections): what its pre-trained renderer must imitate."""
    from shapenet_render.dataset import OFF_THE_SHELF, DatasetError

    try:
        renderer = ImageDataset(config.data).spec.renderer if config.data else "opengl"
    except (DatasetError, OSError):
        return "opengl"
    return renderer if renderer in OFF_THE_SHELF else "opengl"


def default_renderer_path(cfg: PretrainConfig) -> Path:
    """``data/renderers/rendernet-<on>-<preset>-v<N>-m<M>-r<R>-c<c3>x<c2>-d<down>-s<seed>.pt``
    (``<on>`` is the data file's stem for a user's file)."""
    what = cfg.on or Path(cfg.data).stem
    if cfg.renderer != "opengl":
        what += f"-{cfg.renderer}"
    name = (
        f"rendernet-{what}-{cfg.preset}-v{cfg.voxel_res}-m{cfg.view_volume_res}-r{cfg.image_res}"
        f"-c{cfg.r_channels_3d}x{cfg.r_channels_2d}-d{cfg.r_downsample}-s{cfg.seed}.pt"
    )
    return RENDERER_ROOT / name


def ensure_pretrained(cfg: PretrainConfig, out: Path | None = None, progress: bool = True) -> Path:
    """The pre-trained renderer for ``cfg.on``: rendered dataset and training made when missing."""
    out = out or default_renderer_path(cfg)
    if out.exists() and _is_complete(out):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(out.with_name(out.name + ".lock")):
        # another process (a table's parallel cell) may have made it while we waited
        if out.exists() and _is_complete(out):
            return out
        return _pretrain_into(cfg, out, progress)


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (POSIX ``flock``; no locking where unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pretrain_into(cfg: PretrainConfig, out: Path, progress: bool) -> Path:
    if not cfg.data:
        from shapenet_render.dataset import render_dataset

        spec = pretrain_data_spec(cfg)
        data = spec.default_path()
        if not data.exists():
            log.info("rendering the %s pre-training dataset into %s", cfg.on, data)
            render_dataset(spec, data, workers=cfg.render_workers or None)
        cfg = replace(cfg, data=str(data))
    log.info("pre-training the neural renderer on %s into %s", cfg.on or cfg.data, out)
    pretrain(cfg, out, progress=progress)
    return out


def resolve_renderer_init(config: TrainConfig, create: bool = True, progress: bool = True) -> Path:
    """The checkpoint file that ``config.renderer_init`` names (pre-training it if needed, with a
    progress bar when ``progress``)."""
    value = config.renderer_init
    if value is None:
        raise ConfigError("renderer_init: None names no renderer")
    if value in PRETRAIN_ON:
        pcfg = pretrain_config_for(config, on=value, renderer=dataset_renderer(config))
        path = default_renderer_path(pcfg)
        return ensure_pretrained(pcfg, path, progress=progress) if create else path
    path = Path(value)
    if not path.is_file():
        raise ConfigError(
            f"renderer_init: {value}: no such file (give a checkpoint from `igbench "
            f"pretrain-renderer`, or one of {', '.join(PRETRAIN_ON)}, or none)"
        )
    return path


def ensure_renderer_init(config: TrainConfig, progress: bool = True) -> Path | None:
    """Pre-train the renderer that ``config.renderer_init`` names (``tables``, ``chairs`` or
    ``cubes``) unless it is already made; the explicit step before :func:`iggan.training.train`,
    which never pre-trains. Returns the checkpoint, or None when the method has no neural renderer
    or starts it from random weights. Safe to call from several processes at once (a file lock)."""
    from .registry import method_class

    if not method_class(config.method).has_neural_renderer or not config.renderer_init:
        return None
    return resolve_renderer_init(config, create=True, progress=progress)


def _is_complete(path: Path) -> bool:
    try:
        return bool(ckpt_io.load_checkpoint(path, kind="renderer").get("complete"))
    except ckpt_io.CheckpointError:
        return False


def load_renderer_for(path: str | Path, config: TrainConfig) -> dict[str, torch.Tensor]:
    """R's state_dict from a pre-training (or training) checkpoint, checked against ``config``."""
    data = ckpt_io.load_checkpoint(path)
    if data.get("kind") == "renderer":
        if not data.get("complete"):
            raise ckpt_io.CheckpointError(
                f"{path}: pre-training stopped at step {data['iteration']} of "
                f"{data['config']['iterations']}; rerun `igbench pretrain-renderer` to finish it"
            )
        saved = PretrainConfig.from_dict(data["config"])
    elif data.get("kind") == "train":
        saved = TrainConfig.from_dict(data["config"])
    else:
        raise ckpt_io.CheckpointError(f"{path}: holds no neural renderer")
    if "R" not in data["modules"]:
        raise ckpt_io.CheckpointError(f"{path}: holds no neural renderer")
    diff = [
        f"{k} {getattr(saved, k)} vs {getattr(config, k)}"
        for k in RENDERER_ARCH_FIELDS
        if getattr(saved, k) != getattr(config, k)
    ]
    if diff:
        raise ConfigError(f"renderer_init: {path} has another architecture: {', '.join(diff)}")
    return data["modules"]["R"]


def _draw(ds: ImageDataset, cfg: PretrainConfig, step: int):
    """Step ``step``'s grids (B, N, N, N) bool and views: a pure function of (seed, step)."""
    rng = np.random.default_rng([cfg.seed, step, 0x9E7])
    models = rng.integers(0, ds.n_models, size=cfg.batch_size)
    az = rng.uniform(*ds.spec.azimuth_range, size=cfg.batch_size)
    el = rng.uniform(*ds.spec.elevation_range, size=cfg.batch_size)
    grids = np.stack([ds.voxels(int(m)) for m in models])
    return grids, az, el


def pretrain(cfg: PretrainConfig, out: str | Path, progress: bool = True) -> PretrainResult:
    """Pre-train R_phi into checkpoint file ``out`` (resuming an unfinished one with equal config)."""
    from tqdm import tqdm

    from shapenet_render.pool import open_render_pool
    from shapenet_render.projection import to_network

    from .distributed import resolve_device

    # -- setup ---------------------------------------------------------------------------------
    out = Path(out)
    if not cfg.data:
        raise ConfigError("data: a dataset file with voxel grids is required")
    ds = ImageDataset(cfg.data)
    if ds.voxel_res != cfg.voxel_res:
        raise ConfigError(
            f"voxel_res: {cfg.data} holds {ds.voxel_res}^3 grids but the renderer is for "
            f"{cfg.voxel_res}^3; render the data with the same --preset"
        )
    if ds.n_models == 0:
        raise ConfigError(f"data: {cfg.data} holds no models")
    device = resolve_device(cfg.device)
    ckpt_io.seed_everything(cfg.seed)
    net = build_rendernet(cfg).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    settings = _target_settings(cfg, ds)
    start = 0

    # -- resume ----------------------------------------------------------------------------------
    if out.exists():
        data = ckpt_io.load_checkpoint(out, kind="renderer")
        # through from_dict, so that fields newer than the checkpoint compare as their defaults
        saved, given = PretrainConfig.from_dict(data["config"]).to_dict(), cfg.to_dict()
        changed = [k for k in given if k not in _RESUMABLE and saved.get(k) != given[k]]
        if changed:
            raise ConfigError(
                f"{out} was pre-trained with another {', '.join(changed)}; remove it or choose --out"
            )
        if data.get("complete") and data["iteration"] >= cfg.iterations:
            log.info("%s is already pre-trained (%d steps)", out, data["iteration"])
            return PretrainResult(out, data["iteration"], None, None, None)
        net.load_state_dict(data["modules"]["R"])
        opt.load_state_dict(data["optimizers"]["R"])
        ckpt_io.set_rng_state(data["rng"])
        start = int(data["iteration"])
    logfile = out.with_suffix(".jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    if start == 0:
        logfile.unlink(missing_ok=True)

    def save(step: int, complete: bool) -> None:
        ckpt_io.save_checkpoint(
            out,
            {
                "kind": "renderer",
                "iteration": step,
                "complete": complete,
                "config": cfg.to_dict(),
                "modules": {"R": net.state_dict()},
                "optimizers": {"R": opt.state_dict()},
                "rng": ckpt_io.rng_state(),
                "extra": {
                    "render_settings": settings.to_dict(),
                    "dataset": {"path": str(ds.path), "spec": json.loads(ds.spec.to_json())},
                },
            },
        )

    def submit(step: int):
        grids, az, el = _draw(ds, cfg, step)
        items = [RenderItem.voxels(g, a, e) for g, a, e in zip(grids, az, el, strict=True)]
        return grids, az, el, pool.render_async(items)

    # -- the loop: targets of step i+1 render while step i trains --------------------------------
    bar = tqdm(total=cfg.iterations, initial=start, disable=not progress, unit="it")
    pool = open_render_pool(settings, cfg.render_workers, cfg.voxel_res)
    threads = torch.get_num_threads()
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    sums = {"loss": 0.0, "t_iter": 0.0, "t_render_wait": 0.0, "n": 0}
    total = {"t_iter": 0.0, "t_render_wait": 0.0, "n": 0}
    loss_value = None
    try:
        pending = submit(start) if start < cfg.iterations else None
        for step in range(start, cfg.iterations):
            t0 = time.perf_counter()
            grids, az, el, renders = pending
            pending = submit(step + 1) if step + 1 < cfg.iterations else None
            targets = to_network(np.stack([r.image for r in renders.result()])).unsqueeze(1)
            t1 = time.perf_counter()
            vol = torch.from_numpy(grids).float().unsqueeze(1).to(device)
            cam = view_transform(
                vol,
                torch.from_numpy(az).float().to(device),
                torch.from_numpy(el).float().to(device),
                out_res=cfg.view_volume_res,
            )
            loss = losses.renderer_l2(net(cam), targets.to(device))
            loss_value = float(loss.detach())
            if not np.isfinite(loss_value):
                raise FloatingPointError(f"pre-training step {step + 1}: loss is {loss_value}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            t2 = time.perf_counter()
            sums["loss"] += loss_value
            sums["t_iter"] += t2 - t0
            sums["t_render_wait"] += t1 - t0
            sums["n"] += 1
            if step > start:
                total["t_iter"] += t2 - t0
                total["t_render_wait"] += t1 - t0
                total["n"] += 1
            done = step + 1
            bar.update(1)
            if done % cfg.log_every == 0 or done == cfg.iterations:
                n = sums.pop("n")
                rec = {k: v / n for k, v in sums.items()}
                rec.update(iteration=done, render_wait_share=rec["t_render_wait"] / rec["t_iter"])
                with open(logfile, "a") as fh:
                    fh.write(json.dumps(rec, sort_keys=True) + "\n")
                bar.set_postfix(l2=f"{rec['loss']:.4f}", refresh=False)
                sums = {"loss": 0.0, "t_iter": 0.0, "t_render_wait": 0.0, "n": 0}
            if done % cfg.checkpoint_every == 0 or done == cfg.iterations:
                save(done, complete=done == cfg.iterations)
        if start >= cfg.iterations:
            save(start, complete=True)
    finally:
        torch.set_num_threads(threads)
        pool.close()
        bar.close()
    spi = total["t_iter"] / total["n"] if total["n"] else None
    share = total["t_render_wait"] / total["t_iter"] if total["t_iter"] else None
    return PretrainResult(out, cfg.iterations, loss_value, spi, share)
