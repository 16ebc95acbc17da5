"""The one training loop. Every method (IG-GAN, and the baselines) runs through :func:`train`.

The loop owns what is common to all methods: the run directory, real images, latents, views and
thresholds, the off-the-shelf render pool, logging, sample grids, checkpoints, resumption, signals
and multi-process training. The GAN math lives in the method (:mod:`iggan.methods`).

Run directory::

    config.json            the resolved TrainConfig
    log.jsonl              one JSON record per ``log_every`` iterations: means of the losses and
                           statistics since the last record, phase timings (seconds), the share of
                           the iteration spent waiting for the off-the-shelf renderer, it/s; a
                           run that stops between records writes a ``partial`` one (dropped when
                           the run resumes); events (``interrupted``, ``non_finite``) too
    samples/samples-<iteration>.png
                           row 1: OpenGL renders of the fixed samples thresholded at 0.5;
                           row 2: the method's own (neural) renders of the same samples;
                           row 3: real images, for reference
    checkpoints/ckpt-<iteration>.pt
                           see :mod:`iggan.checkpoint`
    tensorboard/           only when the ``tensorboard`` package is installed: the log's scalars
                           and every sample grid (tag ``samples``) as an image

Real images. Datasets in modes 500 and one-per-model are sampled from their stored images,
shuffled per epoch. ``unlimited`` and ``lvp`` datasets (paper 4.2: "we render each object from a
different viewpoint throughout each training epoch"; Table 1 lists LVP under Unlimited) instead
render, for every sample, a fresh view of the epoch (``ImageDataset.fresh_views``) of a stored
model's voxel grid with the dataset's own image formation: OpenGL datasets through the same render
pool that renders the generated volumes, with the dataset's render settings; the baselines'
projection datasets with their data-side projection (:class:`RealImages`). Epoch 0's fresh views
are the stored views.

Overlap. The off-the-shelf renders of an iteration (its generated x_d, and the real images of an
OpenGL fresh-view dataset) are submitted to the pool right after G's forward pass and collected only after
the G step, so the OpenGL work runs beside G's forward and backward passes; ``t_render_wait``
measures what is left of it on the critical path.

Multi-process. Under ``torchrun`` (``WORLD_SIZE > 1``) each process trains on its own batches
(seeded by rank) and averages gradients with ``all_reduce`` after every backward pass, which is what
``DistributedDataParallel`` does (without its bucketing); explicit averaging keeps the GAN phases'
freezing of D and R simple. NCCL on CUDA, gloo on the CPU. Process 0 writes logs, samples and
checkpoints; checkpoints hold every process's RNG states, so resuming with the same number of
processes continues identically.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shapenet_render.dataset import OFF_THE_SHELF, ImageDataset
from shapenet_render.io_utils import atomic_path
from shapenet_render.pool import RenderItem, open_render_pool
from shapenet_render.projection import to_network

from . import checkpoint as ckpt_io
from .config import ConfigError, TrainConfig
from .distributed import Distributed
from .methods import Batch, NonFiniteLossError, build_method
from .registry import method_class
from .rundir import RunLog
from .sample import sample_inputs, write_sample_grid

log = logging.getLogger(__name__)

#: Config fields that may change when a run resumes (they do not change the math).
RESUMABLE_CHANGES = frozenset(
    {
        "iterations",
        "log_every",
        "sample_every",
        "checkpoint_every",
        "keep_checkpoints",
        "keep_every",
        "device",
        "render_workers",
        "torch_threads",
        "overlap_r",
        "log_meshes",
        "data",
    }
)


class TrainingError(RuntimeError):
    """Training cannot start or go on; the message says why and what to do."""


@dataclass
class TrainResult:
    """How a call to :func:`train` ended."""

    run_dir: Path
    iteration: int
    """Iterations completed."""
    status: str
    """``finished`` or ``interrupted`` (SIGINT/SIGTERM; a checkpoint was written)."""
    checkpoint: Path | None
    seconds_per_iteration: float | None
    """Mean over this call's iterations, the first (warm-up) excluded when there are others."""
    render_wait_share: float | None
    """Share of those iterations' time spent waiting for the off-the-shelf renderer."""


# --------------------------------------------------------------------------------------------------
# Real images
# --------------------------------------------------------------------------------------------------


#: Dataset modes whose real images are fresh views of the stored models every epoch (paper 4.2,
#: and Table 1, which lists LVP under the Unlimited columns).
FRESH_VIEW_MODES = ("unlimited", "lvp")


class RealImages:
    """Which real images iteration ``i`` uses, as a pure function of (seed, i, rank).

    Samples are drawn without replacement from a fresh permutation per epoch (numpy, seeded by
    (seed, epoch)); process ``rank`` of ``world`` takes its own slice of every global batch. Being
    stateless, it needs nothing in the checkpoint to resume exactly.

    Modes 500 and one-per-model read the file's stored images. Modes ``unlimited`` and ``lvp``
    (:data:`FRESH_VIEW_MODES`) draw, for every sample, a fresh view of the epoch
    (``ImageDataset.fresh_views``) of a stored model's voxel grid and render it with the dataset's
    own image formation: OpenGL datasets through the render pool (:meth:`render_items`), the
    baselines' projection datasets with their data-side projection (:meth:`projected`).
    """

    def __init__(self, dataset: ImageDataset, batch_size: int, seed: int, rank=0, world=1):
        self.ds = dataset
        self.batch_size, self.seed, self.rank, self.world = batch_size, seed, rank, world
        self.fresh = dataset.spec.mode in FRESH_VIEW_MODES
        self.renderer = dataset.spec.renderer
        self.pooled = self.fresh and self.renderer in OFF_THE_SHELF
        self.views_per_model = dataset.spec.n_views
        self.n = dataset.n_models * self.views_per_model if self.fresh else len(dataset)
        if self.n == 0:
            raise TrainingError(f"{dataset.path}: the dataset holds no images")
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 2:
                self._perms.clear()
            self._perms[epoch] = np.random.default_rng([self.seed, epoch, 0x4EA1]).permutation(
                self.n
            )
        return self._perms[epoch]

    def units(self, iteration: int) -> list[tuple[int, int]]:
        """(epoch, unit) per sample: unit = image index, or model * views + view (fresh views)."""
        b = self.batch_size
        start = (iteration * self.world + self.rank) * b
        return [
            (p // self.n, int(self._perm(p // self.n)[p % self.n])) for p in range(start, start + b)
        ]

    def fresh_views(self, iteration: int) -> list[tuple[int, float, float]]:
        """(model, azimuth, elevation) of every sample of a fresh-view batch."""
        out = []
        for epoch, unit in self.units(iteration):
            model, k = divmod(unit, self.views_per_model)
            az, el = self.ds.fresh_views(model, epoch)[k]
            out.append((model, float(az), float(el)))
        return out

    def stored(self, iteration: int) -> torch.Tensor:
        """(B, 1, R, R) float in [-1, 1] from the file (modes 500 and one-per-model)."""
        imgs = np.stack([self.ds.image(i) for _, i in self.units(iteration)])
        return to_network(imgs).unsqueeze(1)

    def render_items(self, iteration: int) -> list[RenderItem]:
        """Fresh views of stored models (OpenGL datasets), to be rendered by the pool."""
        return [
            RenderItem.voxels(self.ds.voxels(m), az, el)
            for m, az, el in self.fresh_views(iteration)
        ]

    def projected(self, iteration: int) -> torch.Tensor:
        """(B, 1, R, R) float in [-1, 1]: fresh views of stored models by the dataset's data-side
        projection (Visual Hull and Absorption-Only datasets), quantised to uint8 as the file's
        images are."""
        from shapenet_render.projection import project_views

        views = self.fresh_views(iteration)
        grids = [self.ds.voxels(m) for m, _, _ in views]
        imgs = project_views(
            self.renderer, self.ds.resolution, grids, [np.array([[a, e]]) for _, a, e in views]
        )
        return to_network(imgs).unsqueeze(1)

    def batch(self, iteration: int, rendered=None) -> torch.Tensor:
        """The real batch of ``iteration``: the pool's ``rendered`` results (OpenGL fresh views,
        from :meth:`render_items`), else the projected or stored images."""
        if self.pooled:
            if rendered is None:
                raise ValueError("an OpenGL fresh-view batch needs the pool's renders")
            return _images_from(rendered)
        return self.projected(iteration) if self.fresh else self.stored(iteration)


def check_dataset(config: TrainConfig, ds: ImageDataset) -> None:
    """One clear line when a dataset cannot train this config."""
    want = method_class(config.method).dataset_renderer
    if ds.spec.renderer != want and not (want == "opengl" and ds.spec.renderer in OFF_THE_SHELF):
        raise TrainingError(
            f"{ds.path}: rendered with {ds.spec.renderer!r}, but {config.method} trains on "
            f"{want!r} images"
        )
    if ds.resolution != config.image_res:
        raise TrainingError(
            f"{ds.path}: images are {ds.resolution}x{ds.resolution} but the {config.preset} "
            f"config trains on {config.image_res}x{config.image_res}; render the dataset with the "
            f"same --preset, or pass --image-res {ds.resolution}"
        )


def _images_from(results) -> torch.Tensor:
    return to_network(np.stack([r.image for r in results])).unsqueeze(1)


# --------------------------------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------------------------------


class StopSignal:
    """Turns SIGINT/SIGTERM into a flag the loop checks once per iteration (a second SIGINT
    interrupts at once). Installs handlers only in the main thread; restores them on exit."""

    def __init__(self):
        self.requested: str | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> StopSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


# --------------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------------


def set_learning_rates(optimizers, factor: float) -> None:
    """Every parameter group's rate = its base rate (``initial_lr``) x ``factor``
    (:meth:`TrainConfig.lr_factor`); a pure function of the iteration, so resuming needs no
    scheduler state."""
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = group["initial_lr"] * factor


def _check_resume_config(saved: TrainConfig, given: TrainConfig) -> None:
    changed = [
        k
        for k, v in given.to_dict().items()
        if k not in RESUMABLE_CHANGES and saved.to_dict()[k] != v
    ]
    if changed:
        raise TrainingError(
            "cannot resume with a different "
            + ", ".join(f"{k} ({saved.to_dict()[k]!r} -> {given.to_dict()[k]!r})" for k in changed)
            + "; only "
            + ", ".join(sorted(RESUMABLE_CHANGES))
            + " may change"
        )


def _log_record(acc: dict[str, float], iteration: int) -> dict[str, Any]:
    """Means of the accumulated statistics (``acc`` holds sums and ``_count``)."""
    n = acc["_count"]
    record = {k: v / n for k, v in acc.items() if k != "_count"}
    record["render_wait_share"] = record["t_render_wait"] / record["t_iter"]
    record["it_per_s"] = 1.0 / record["t_iter"]
    record.update(iteration=iteration, time=time.time())
    return record


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train(
    config: TrainConfig, run_dir: str | Path, resume: bool = False, progress: bool = True
) -> TrainResult:
    """Train ``config.method`` on ``config.data`` into ``run_dir``; see the module docstring.

    resume : continue from the newest checkpoint in ``run_dir`` (``config`` must equal the saved
        one except for :data:`RESUMABLE_CHANGES`). Without it, ``run_dir`` must hold no checkpoint.
    progress : show a tqdm progress bar (it/s and the current losses).

    Raises :class:`TrainingError` (bad run dir, dataset, non-finite loss: the message names the last
    good checkpoint) and :class:`~iggan.config.ConfigError`.
    """
    from tqdm import tqdm

    # -- setup: processes, run directory, resume point ----------------------------------------------
    run_dir = Path(run_dir)
    dist = Distributed(config.device)
    device = dist.device
    state: dict[str, Any] | None = None
    if resume:
        last = ckpt_io.latest_checkpoint(run_dir)
        if last is None:
            raise TrainingError(f"{run_dir}: no checkpoint to resume from")
        state = ckpt_io.load_checkpoint(last, kind="train")
        _check_resume_config(TrainConfig.from_dict(state["config"]), config)
        if state["extra"]["world_size"] != dist.world:
            raise TrainingError(
                f"{last}: written by {state['extra']['world_size']} processes; resume with as many"
            )
    elif ckpt_io.latest_checkpoint(run_dir) is not None:
        raise TrainingError(
            f"{run_dir} already holds a run; pass --resume to continue it, or choose another --outdir"
        )
    if not config.data:
        raise ConfigError("data: a dataset file is required (--data FILE.h5)")

    # -- setup: data, networks, the loop's own random generator -------------------------------------
    dataset = ImageDataset(config.data)
    check_dataset(config, dataset)
    spec = dataset.spec
    ckpt_io.seed_everything(config.seed)  # network initialisation is part of the seed
    method = build_method(config, device)
    if state is None and method.has_neural_renderer and config.renderer_init:
        from .pretrain import load_renderer_for, resolve_renderer_init

        # Pre-training is the caller's explicit step (iggan.pretrain.ensure_renderer_init).
        path = resolve_renderer_init(config, create=False)
        if not path.is_file():
            raise TrainingError(
                f"renderer_init {config.renderer_init!r}: no pre-trained renderer at {path}; make "
                f"it first with `igbench pretrain-renderer --on {config.renderer_init} --preset "
                f"{config.preset}` (`igbench train` does this itself)"
            )
        method.load_renderer(load_renderer_for(path, config))
    dist.attach(method)
    # z, fresh views and thresholds come from this generator (CPU, so runs on any device agree).
    gen = torch.Generator().manual_seed(config.seed * 1_000_003 + dist.rank)
    real = RealImages(dataset, config.batch_size, config.seed, dist.rank, dist.world)
    render_settings = dataset.render_settings()
    az_lo, az_hi = spec.azimuth_range
    el_lo, el_hi = spec.elevation_range
    samples_in = sample_inputs(config, spec.azimuth_range, spec.elevation_range)
    sample_real = np.stack([dataset.image(i) for i in range(min(config.n_samples, len(dataset)))])

    # -- resume: weights, optimizers, RNG states, log accumulators ----------------------------------
    start = 0
    acc: dict[str, float] = {}
    if state is not None:
        for name, module in method.modules.items():
            module.load_state_dict(state["modules"][name])
        for name, opt in method.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        ckpt_io.set_rng_state(state["rng"][dist.rank], {"loop": gen})
        start = int(state["iteration"])
        acc = dict(state["extra"]["log_accumulator"])
        log.info("resuming %s at iteration %d from %s", run_dir, start, last)
    for opt in method.optimizers.values():  # the schedule's base rates (saved with the state)
        for group in opt.param_groups:
            group.setdefault("initial_lr", group["lr"])
    if dist.main:
        with atomic_path(run_dir / "config.json") as tmp:  # the resolved config of this call
            tmp.write_text(config.to_json() + "\n")
    runlog = RunLog(run_dir, start, dist.main)
    last_ckpt = ckpt_io.latest_checkpoint(run_dir)

    def save(iteration: int) -> Path | None:
        """A checkpoint of the state after ``iteration`` iterations (process 0 writes it)."""
        rngs = dist.gather(ckpt_io.rng_state({"loop": gen}))
        path = None
        if dist.main:
            path = ckpt_io.save_checkpoint(
                ckpt_io.checkpoint_path(run_dir, iteration),
                {
                    "kind": "train",
                    "iteration": iteration,
                    "config": config.to_dict(),
                    "modules": {k: m.state_dict() for k, m in method.modules.items()},
                    "optimizers": {k: o.state_dict() for k, o in method.optimizers.items()},
                    "rng": rngs,
                    "extra": {
                        "log_accumulator": dict(acc),
                        "world_size": dist.world,
                        "render_settings": render_settings.to_dict(),
                        "dataset": {"path": str(dataset.path), "spec": json.loads(spec.to_json())},
                    },
                },
            )
            ckpt_io.prune_checkpoints(run_dir, config.keep_checkpoints, config.keep_every)
        dist.barrier()
        return path

    timed = {"iterations": 0, "t_iter": 0.0, "t_render_wait": 0.0}
    status, done = "finished", start
    bar = tqdm(
        total=config.iterations,
        initial=start,
        disable=not (progress and dist.main),
        unit="it",
        dynamic_ncols=True,
    )
    pool = open_render_pool(render_settings, config.render_workers, config.voxel_res)
    threads = torch.get_num_threads()
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    try:
        with StopSignal() as stop:
            for it in range(start, config.iterations):
                t0 = time.perf_counter()
                set_learning_rates(method.optimizers.values(), config.lr_factor(it))

                # -- real batch: stored images, or fresh views (unlimited, lvp) in the dataset's
                # own image formation: OpenGL through the pool, projections in this process --
                real_pending = pool.render_async(real.render_items(it)) if real.pooled else None

                # -- fake volumes: latents, one fresh view and one threshold per sample ---------
                b = config.batch_size
                z = torch.randn(b, config.z_dim, generator=gen)
                az = az_lo + (az_hi - az_lo) * torch.rand(b, generator=gen)
                el = el_lo + (el_hi - el_lo) * torch.rand(b, generator=gen)
                thresholds = torch.rand(b, generator=gen)  # t ~ U[0, 1), one per volume
                batch = Batch(
                    real=torch.empty(0),
                    z=z.to(device),
                    azimuth=az.to(device),
                    elevation=el.to(device),
                    thresholds=thresholds.to(device),
                )
                fake = method.generate(batch)

                # -- off-the-shelf renders R_d(x_d), submitted now, collected after the G step --
                volumes = method.offtheshelf_volumes(fake)
                fake_pending = None
                if volumes is not None:
                    items = [
                        RenderItem.voxels(g, a, e)
                        for g, a, e in zip(volumes, az.tolist(), el.tolist(), strict=True)
                    ]
                    fake_pending = pool.render_async(items)
                _sync(device)
                t1 = time.perf_counter()

                # -- G step (runs while the pool renders) -------------------------------------
                stats = method.g_step(batch, fake)
                _sync(device)
                t2 = time.perf_counter()

                # -- wait for the renders --------------------------------------------------------
                real_rendered = real_pending.result() if real_pending is not None else None
                batch.real = real.batch(it, real_rendered).to(device)
                rendered = None
                if fake_pending is not None:
                    rendered = _images_from(fake_pending.result()).to(device)
                t3 = time.perf_counter()

                # -- D step, then R step (1:1:1 with the G step) -----------------------------
                stats.update(method.d_step(batch, fake, rendered))
                _sync(device)
                t4 = time.perf_counter()
                stats.update(method.r_step(batch, fake, rendered))
                _sync(device)
                t5 = time.perf_counter()
                del fake, batch, rendered

                # -- logging: means since the last record ------------------------------------
                stats.update(
                    t_generate=t1 - t0,
                    t_g_step=t2 - t1,
                    t_render_wait=t3 - t2,
                    t_d_step=t4 - t3,
                    t_r_step=t5 - t4,
                    t_iter=t5 - t0,
                )
                for k, v in stats.items():
                    acc[k] = acc.get(k, 0.0) + v
                acc["_count"] = acc.get("_count", 0.0) + 1
                if it > start or config.iterations - start == 1:
                    timed["iterations"] += 1
                    timed["t_iter"] += t5 - t0
                    timed["t_render_wait"] += t3 - t2
                done = it + 1
                bar.update(1)
                stopping = dist.any(stop.requested is not None)
                at_end = done == config.iterations or stopping
                if done % config.log_every == 0 or at_end:
                    record = _log_record(acc, done)
                    if done % config.log_every:
                        # A partial window: keep its sums, so that a resumed run completes it and
                        # logs exactly what an uninterrupted run logs (this record is dropped then).
                        record["partial"] = True
                    else:
                        acc = {}
                    runlog.write(record)
                    bar.set_postfix(
                        {
                            k[5:] if k.startswith("loss_") else k: f"{record[k]:.3g}"
                            for k in ("loss_d", "loss_g", "loss_r", "d_accuracy")
                            if k in record
                        }
                        | {"wait": f"{100 * record['render_wait_share']:.0f}%"},
                        refresh=False,
                    )

                # -- samples: OpenGL renders of thresholded samples beside neural renders ----------
                if dist.main and config.sample_every and done % config.sample_every == 0:
                    grid, volumes = write_sample_grid(
                        run_dir / "samples" / f"samples-{done:08d}.png",
                        method,
                        pool,
                        samples_in,
                        sample_real,
                    )
                    runlog.image("samples", grid, done)
                    if volumes is not None:
                        runlog.meshes("samples", volumes[: config.log_meshes], done)

                # -- checkpoint: periodic, kept (keep_every), at the end, and on SIGINT/SIGTERM --
                kept = config.keep_every > 0 and done % config.keep_every == 0
                if done % config.checkpoint_every == 0 or kept or at_end:
                    last_ckpt = save(done) or last_ckpt
                if stopping:
                    status = "interrupted"
                    log.info(
                        "%s: stopped at iteration %d; checkpoint %s",
                        stop.requested,
                        done,
                        last_ckpt,
                    )
                    runlog.write({"event": "interrupted", "iteration": done, "time": time.time()})
                    break
    except NonFiniteLossError as exc:
        where = (
            f"the last good checkpoint is {last_ckpt}; resume from it (--resume) with lower "
            "learning rates"
            if last_ckpt
            else "no checkpoint was written yet"
        )
        runlog.write({"event": "non_finite", "iteration": done + 1, "loss": exc.name})
        raise TrainingError(
            f"iteration {done + 1}: {exc}; training stopped without saving it ({where})"
        ) from exc
    finally:
        torch.set_num_threads(threads)
        pool.close()
        method.close()
        bar.close()
        runlog.close()
        dist.close()

    spi = timed["t_iter"] / timed["iterations"] if timed["iterations"] else None
    share = timed["t_render_wait"] / timed["t_iter"] if timed["t_iter"] else None
    return TrainResult(run_dir, done, status, last_ckpt, spi, share)


__all__ = [
    "RESUMABLE_CHANGES",
    "RealImages",
    "TrainResult",
    "TrainingError",
    "check_dataset",
    "train",
]
