"""`igbench bench recover`: does a method recover ONE known shape from 2D renders of it?

Does the method learn, and does it keep what the paper says it keeps (a cavity)? A method is trained on
random views of a single known shape and, every ``eval_every`` iterations, its generator's samples
are compared with that shape's voxel grid. Nothing here is faked: the numbers come from the
generator's checkpoints, scored against the very grid the training images were rendered from.

Protocol
--------
Data
    The shape ``SOURCE:CATEGORY:INDEX`` (e.g. ``procedural:bathtub:3``: the 4th model of the
    category's listing) is voxelized at the preset's ``voxel_res`` and rendered from ``views``
    (default 512) random views of the category's view distribution (azimuth U[0, 360), elevation
    U of the paper's range for the category: bathtubs and couches [15, 60], chairs [-30, 60]) with
    the method's own dataset renderer (OpenGL for IG-GAN, the visual-hull / absorption-only
    projection for the baselines). The job is the dataset code's own (``_render_part`` in a render
    worker, ``_write_h5``), so the file is an ordinary ``one-per-model`` dataset holding one model
    and ``views`` images of it (root attribute ``recover_shape`` names the shape). A fixed set of
    512 views rather than the ``unlimited`` mode: 512 uniformly drawn views cover the category's
    band of view directions densely (a few degrees apart), and the training loop then reads stored
    images instead of rendering real images each iteration.
Training
    The preset's :class:`~iggan.config.TrainConfig` (``cpu`` by default) with ``g_out_bias`` set by
    the start condition (``empty``: -3, sigmoid(-3) = 0.05 occupancy, which is also the ``cpu``
    preset's own value; ``full``: +3, occupancy 0.95), run through :func:`iggan.training.train` in
    chunks of ``eval_every`` iterations: each chunk resumes the previous one's checkpoint with only
    ``iterations`` raised (a resumed run continues identically, so the chunks add up to one
    uninterrupted run). IG-GAN starts from the preset's ``renderer_init`` (``cubes`` for ``cpu``,
    pre-trained on first use *before* the clock starts; none for ``smoke``).
Budget
    ``minutes`` of training wall-clock per start: the sum of the ``train`` calls' durations, which
    includes each chunk's start-up (render worker, checkpoint), not the evaluations. It is checked
    between chunks; the last chunk is cut to what fits at the previous chunk's speed (its start-up
    plus seconds per iteration). A chunk's start-up (the render worker, the checkpoint) is ~2 s on
    2 cores: a larger ``eval_every`` wastes less of the budget.
Scores (after every chunk, and once at iteration 0 from the initial generator)
    ``samples`` (8) volumes at fixed latents (those of the run's sample grids, so
    ``samples/*.png`` show the scored shapes), G in eval mode (``method.sample``; with
    ``g_ema`` set, G's moving average, and the trained G's IoU and cavity beside it in ``g_raw``,
    columns ``IoU(G)``, ``cav(G)``), binarised at 0.5 (``volume > 0.5``). Then, per sample:

    * **IoU**: voxel IoU with the truth, maximised over rotations of the *sample* about the
      vertical axis (+Y) by every ``angle_step`` (15) degrees: the view distribution covers all
      azimuths, so nothing fixes the orientation the generator picks. Multiples of 90 deg are exact
      (``np.rot90`` on the (x, z) axes); other angles use ``scipy.ndimage.rotate`` about the grid
      centre with nearest-neighbour sampling (``order=0``), which is not volume-preserving to the
      voxel and cuts off what turns out of the grid's corners. A shape learned at an angle between
      two steps is up to 7.5 deg off, which costs it some IoU; the score is a lower bound in that
      sense. Angles are counter-clockwise seen from above, as azimuths (docs/conventions.md).
    * **cavity**: of the voxels inside the truth's convex hull (the hull of
      its filled voxels' centres) that are empty in the truth, the fraction the sample leaves
      empty, at the sample's best rotation. 1 = the cavity is kept, 0 = filled. Only defined for
      shapes with such voxels (None otherwise).
    * **cavity_bbox**: the same with the truth's bounding box instead of its
      hull. For a bathtub the box adds the air around its rounded or sloped outside, which no
      method is asked to fill or keep; the hull version measures the tub's inside, which is why it
      is the one reported as ``cavity``.
    * **fill**: occupied voxels of the sample / occupied voxels of the truth.
    * **best threshold** (``best``; columns ``t*``, ``IoU@t*``, ``cav@t*``): the same scores with
      the samples binarised at the one threshold of 0.01, ..., 0.04, 0.05, 0.10, ..., 0.95 that
      maximises their mean IoU (:func:`best_threshold`). An oracle reading, the same for every
      method: a method may draw its shape at occupancies away from 0.5 (Visual Hull's generator-side
      ``1 - exp(-sum x)`` is as white for three voxels at 1 as for six at 0.5). A claim about
      cavities should hold at both readings.

    The record holds the means over samples (and every sample's values). An empty sample scores
    IoU 0 and cavity 1: read the two together, as a filled box shows that IoU alone proves nothing.
Floors
    ``floor_bbox_iou``: the IoU the filled bounding box of the truth scores against the truth
    (cavity 0 by construction); ``floor_hull_iou``: the same for the filled convex hull, i.e. what
    a model scores that gets the outside exactly right but fills every cavity (cavity 0).

Outputs, under ``outdir``::

    data/<shape>-<renderer>-r<res>-v<vox>-n<views>-s<seed>.h5   the single-shape dataset (reused)
    <start>/                                                   the run directory of each start
    recover.jsonl                                              one record per evaluation

Tables are built from the records only (:func:`format_row`, :func:`format_summary`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from benchmark.experiments.recover_report import (
    RecoverError,
    format_header,
    format_row,
)
from benchmark.experiments.recover_scores import (
    Truth,
    checkpoint_method,
    initial_method,
    sample_volumes,
    score_volumes,
)
from iggan.configbase import Config
from shapenet_render.presets import PRESETS

_log = logging.getLogger(__name__)

#: Methods that make shapes (the 2D-DCGAN makes images; there is nothing to score).
RECOVER_METHODS = ("iggan", "visual-hull", "absorption-only")
#: G's initial output bias per start condition (sigmoid(-3) = 0.047, sigmoid(3) = 0.953).
START_BIAS = {"empty": -3.0, "full": 3.0}
RECORDS_FILE = "recover.jsonl"
RECORD_VERSION = 1


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeRef:
    """One model of a source's category: ``SOURCE:CATEGORY:INDEX`` (e.g. ``procedural:bathtub:3``;
    the source may hold colons itself: ``shapenet:/data/ShapeNetCore.v2:chair:12``)."""

    source: str
    category: str
    """Canonical category name (aliases such as ``bathtubs`` or ``couch`` are resolved), or a
    ``meshdir`` folder name as given."""
    index: int
    """Position in the source's listing of the category (``list_models``)."""

    @classmethod
    def parse(cls, text: str) -> ShapeRef:
        parts = text.strip().rsplit(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise RecoverError(
                f"shape {text!r}: expected SOURCE:CATEGORY:INDEX, e.g. procedural:bathtub:3"
            )
        source, category, index = (p.strip() for p in parts)
        try:
            position = int(index)
        except ValueError:
            position = -1
        if position < 0:
            raise RecoverError(f"shape {text!r}: INDEX must be an integer >= 0 (got {index!r})")
        if not source.startswith("meshdir:"):
            from shapenet_render.categories import resolve_category

            category = resolve_category(category)
        return cls(source, category, position)

    def __str__(self) -> str:
        return f"{self.source}:{self.category}:{self.index}"

    @property
    def slug(self) -> str:
        """A file-name-safe form, e.g. ``procedural-bathtub-3``."""
        return re.sub(r"[^A-Za-z0-9_.]+", "-", str(self)).strip("-")


@dataclass(frozen=True)
class RecoverConfig(Config):
    """Everything that determines a recovery benchmark (see the module docstring)."""

    error: ClassVar[type[Exception]] = RecoverError

    method: str = "iggan"
    """``iggan``, ``visual-hull`` or ``absorption-only``."""
    shape: str = "procedural:bathtub:3"
    """The shape to recover, ``SOURCE:CATEGORY:INDEX``."""
    preset: str = "cpu"
    """Training preset (``cpu``, ``smoke`` or ``paper``); fixes sizes and hyperparameters."""
    minutes: float | None = 30.0
    """Training wall-clock cap per start condition; None = no cap (``max_iterations`` alone)."""
    starts: tuple[str, ...] = ("empty",)
    """Start conditions run one after another: ``empty`` (g_out_bias -3), ``full`` (+3)."""
    eval_every: int = 100
    """Iterations per training chunk; the samples are scored after each."""
    max_iterations: int | None = None
    """Stop a start at this many iterations (the budget that compares across machines); None =
    time only."""
    views: int = 512
    """Random views of the shape in the dataset."""
    samples: int = 8
    """Generated volumes scored per evaluation."""
    angle_step: int = 15
    """Rotations about +Y tried, in degrees; must divide 90 (so multiples of 90 are tried)."""
    threshold: float = 0.5
    """Occupancy threshold binarising the samples."""
    seed: int = 0
    """Seed of the dataset's views and of training (TrainConfig.seed)."""
    renderer: str = "opengl"
    """IG-GAN's off-the-shelf renderer, of the views and as R_d: ``opengl`` or ``mitsuba`` (the
    baselines always train on their own projections)."""
    spp: int | None = None
    """Mitsuba's samples per pixel of the shape's views and of R_d; None = the default (16)."""
    outdir: str = ""
    """Output folder; empty = ``runs/recover-<method>-<shape>-<preset>``."""
    train_overrides: tuple[tuple[str, Any], ...] = ()
    """``(field, value)`` pairs replacing the preset's :class:`~iggan.config.TrainConfig` fields
    (``--set FIELD=VALUE``), for trying a hyperparameter on the benchmark; recorded with every
    record. The fields the benchmark sets itself (see :data:`FIXED_FIELDS`) cannot be replaced."""

    def validate(self) -> None:
        need = self.need

        need(self.method in RECOVER_METHODS, "method", f"one of {', '.join(RECOVER_METHODS)}")
        # Canonical spelling (``bathtubs`` -> ``bathtub``), so records of one shape compare equal.
        object.__setattr__(self, "shape", str(ShapeRef.parse(self.shape)))
        need(self.preset in PRESETS, "preset", f"one of {', '.join(PRESETS)}")
        need(self.minutes is None or self.minutes > 0, "minutes", "must be None or > 0")
        need(
            self.minutes is not None or self.max_iterations is not None,
            "minutes",
            "None needs max_iterations (a run needs some budget)",
        )
        need(
            len(self.starts) >= 1 and all(s in START_BIAS for s in self.starts),
            "starts",
            f"one or more of {', '.join(START_BIAS)}",
        )
        need(self.eval_every >= 1, "eval_every", "must be >= 1")
        need(self.renderer in ("opengl", "mitsuba"), "renderer", "opengl or mitsuba")
        need(
            self.renderer == "opengl" or self.method == "iggan",
            "renderer",
            f"{self.method} trains on its own projections, not on an off-the-shelf renderer",
        )
        need(
            self.spp is None or (self.renderer == "mitsuba" and self.spp >= 1),
            "spp",
            "None, or >= 1 with renderer mitsuba",
        )
        need(
            self.max_iterations is None or self.max_iterations >= 1,
            "max_iterations",
            "None or >= 1",
        )
        for name in ("views", "samples"):
            need(getattr(self, name) >= 1, name, "must be >= 1")
        need(
            1 <= self.angle_step <= 90 and 90 % self.angle_step == 0, "angle_step", "must divide 90"
        )
        need(0 < self.threshold < 1, "threshold", "must be in (0, 1)")
        object.__setattr__(self, "train_overrides", tuple(map(tuple, self.train_overrides)))
        fixed = sorted({k for k, _ in self.train_overrides} & set(FIXED_FIELDS))
        need(not fixed, "train_overrides", f"{', '.join(fixed)}: set by the benchmark itself")
        try:
            train_config(self, self.starts[0])
        except ValueError as exc:  # ConfigError: an unknown field or an impossible value
            raise RecoverError(f"train_overrides: {exc}") from None

    @property
    def shape_ref(self) -> ShapeRef:
        return ShapeRef.parse(self.shape)

    @property
    def out_path(self) -> Path:
        if self.outdir:
            return Path(self.outdir)
        what = self.method if self.renderer == "opengl" else f"{self.method}-{self.renderer}"
        if self.spp is not None:
            what += f"-spp{self.spp}"
        return Path("runs") / f"recover-{what}-{self.shape_ref.slug}-{self.preset}"


#: TrainConfig fields the benchmark sets itself (``train_overrides`` may not replace them).
FIXED_FIELDS = ("method", "data", "preset", "seed", "g_out_bias")


def train_config(config: RecoverConfig, start: str, data: str | Path = ""):
    """The :class:`~iggan.config.TrainConfig` of one start: the preset with ``train_overrides``,
    and the method, dataset, seed and G's initial output bias of the start condition."""
    from iggan.config import preset

    return preset(
        config.preset,
        **dict(config.train_overrides),
        method=config.method,
        data=str(data),
        seed=config.seed,
        g_out_bias=START_BIAS[start],
    )


def parse_train_overrides(texts: Iterable[str]) -> tuple[tuple[str, Any], ...]:
    """``FIELD=VALUE`` strings (``--set``) -> ``(field, value)`` pairs of
    :class:`~iggan.config.TrainConfig` fields, through the configs' one parser
    (:meth:`iggan.configbase.Config.parse_settings`). Raises :class:`RecoverError` naming a bad
    item."""
    from iggan.config import ConfigError, TrainConfig

    try:
        return TrainConfig.parse_settings(texts)
    except ConfigError as exc:
        raise RecoverError(str(exc)) from None


# --------------------------------------------------------------------------------------------------
# The single-shape dataset
# --------------------------------------------------------------------------------------------------


def shape_dataset(
    shape: ShapeRef,
    renderer: str,
    resolution: int,
    voxel_res: int,
    views: int,
    seed: int,
    folder: str | Path,
    spp: int | None = None,
) -> Path:
    """The dataset file of ``views`` random views of one shape (rendered when missing, reused
    when present and made with the same arguments). See the module docstring."""
    from shapenet_render.dataset import (
        DatasetError,
        DatasetSpec,
        ImageDataset,
        _render_part,
        _render_settings,
        _write_h5,
    )
    from shapenet_render.pool import RenderPool
    from shapenet_render.sources.registry import get_source

    spec = DatasetSpec(
        category=shape.category,
        mode="one-per-model",
        source=shape.source,
        renderer=renderer,
        resolution=resolution,
        voxel_res=voxel_res,
        seed=seed,
        views_per_model=views,
        spp=spp,
    )
    name = f"{shape.slug}-{renderer}-r{resolution}-v{voxel_res}-n{views}-s{seed}"
    path = Path(folder) / (f"{name}.h5" if spp is None else f"{name}-spp{spp}.h5")
    if path.exists():
        ds = ImageDataset(path)
        if ds.spec != spec or ds.attrs.get("recover_shape") != str(shape) or ds.n_models != 1:
            raise DatasetError(f"{path}: made for another shape or settings; remove it")
        return path
    try:
        source = get_source(shape.source)
    except (ValueError, FileNotFoundError) as exc:
        raise RecoverError(str(exc)) from exc
    ids = list(source.list_models(shape.category))
    if not 0 <= shape.index < len(ids):
        raise RecoverError(
            f"shape {shape}: {shape.source} has {len(ids)} {shape.category} models "
            f"(INDEX 0..{len(ids) - 1})"
        )
    task = (spec.to_json(), [ids[shape.index]], np.array([shape.index], dtype=np.int64))
    # One render worker runs the dataset code's own job: load, voxelize, render every view.
    with RenderPool(_render_settings(spec), workers=1) as pool:
        (part,) = list(pool.imap_fn(_render_part, [task]))
    if part["skipped"]:
        raise RecoverError(f"shape {shape} cannot be loaded: {part['skipped'][0][1]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_h5(path, spec, [part], {"recover_shape": str(shape)})
    return path


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


@dataclass
class RecoverResult:
    """What :func:`recover` did."""

    outdir: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (one write, so a killed writer leaves whole lines only)."""
    with open(path, "a") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``recover.jsonl`` (a folder is read as its ``recover.jsonl``)."""
    path = Path(path)
    if path.is_dir():
        path = path / RECORDS_FILE
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


#: Record fields that must match for ``--resume`` to continue a run: what its training and data
#: depend on (the budget, the iteration cap and the evaluation spacing may change).
RESUME_KEYS = ("method", "shape", "preset", "views", "seed", "train_overrides", "dataset_digest")


def recover(
    config: RecoverConfig,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    resume: bool = False,
) -> RecoverResult:
    """Run the benchmark (see the module docstring); ``on_record`` sees every record as it is
    written. Stops early (``interrupted``) when training is stopped by SIGINT/SIGTERM.

    ``resume`` continues the runs already in the output folder (stopped by a signal, a kill, or
    their budget) from their newest checkpoints, up to this config's budget and iteration cap;
    without it an output folder that holds a run is refused."""
    from iggan import checkpoint as ckpt_io
    from iggan.registry import method_class
    from shapenet_render.dataset import ImageDataset, content_digest

    shape = config.shape_ref
    outdir = config.out_path
    for start in config.starts:
        if ckpt_io.latest_checkpoint(outdir / start) is not None and not resume:
            raise RecoverError(
                f"{outdir / start} already holds a run; pass --resume to continue it, or choose "
                "another --outdir (or remove it)"
            )
    sizes = train_config(config, config.starts[0])
    renderer = method_class(config.method).dataset_renderer
    data = shape_dataset(
        shape,
        config.renderer if renderer == "opengl" else renderer,
        sizes.image_res,
        sizes.voxel_res,
        config.views,
        config.seed,
        outdir / "data",
        config.spp,
    )
    ds = ImageDataset(data)
    truth = Truth.of(ds.voxels(0))
    context = {
        "version": RECORD_VERSION,
        "metric": "recover",
        "renderer": config.renderer,
        **({} if config.spp is None else {"spp": config.spp}),
        "protocol": {
            "samples": config.samples,
            "threshold": config.threshold,
            "best_threshold": "one threshold for all samples, of 0.01..0.04 and 0.05..0.95 by "
            "0.05, maximising their mean IoU (an oracle reading, the same for every method)",
            "angle_step": config.angle_step,
            "rotation": "about +Y; np.rot90 at multiples of 90 deg, else ndimage.rotate order 0",
            "cavity": "convex hull of the truth's voxel centres, minus the truth",
            "cavity_bbox": "bounding box of the truth, minus the truth",
            "budget": "training wall-clock per start, chunk start-up included, evaluation not",
        },
        "method": config.method,
        "shape": str(shape),
        "preset": config.preset,
        "views": config.views,
        "dataset": str(data),
        "dataset_digest": content_digest(data),
        "voxel_res": sizes.voxel_res,
        "image_res": sizes.image_res,
        "truth_voxels": int(np.count_nonzero(truth.grid)),
        "floor_bbox_iou": truth.floor_bbox_iou,
        "floor_hull_iou": truth.floor_hull_iou,
        "budget_minutes": config.minutes,
        "train_overrides": dict(config.train_overrides),
        "eval_every": config.eval_every,
        "seed": config.seed,
        "cpu_count": _usable_cores(),
    }
    result = RecoverResult(outdir)
    records_path = outdir / RECORDS_FILE
    earlier = read_records(records_path) if resume and records_path.exists() else []
    for old in earlier:
        for key in RESUME_KEYS:
            if old.get(key) != context[key]:
                raise RecoverError(
                    f"{records_path}: the run there has {key} {old.get(key)!r}, not "
                    f"{context[key]!r}; resume it with its own settings or use another --outdir"
                )
    for start in config.starts:
        previous = [r for r in earlier if r["start"] == start]
        for record in _recover_start(config, start, data, ds.spec, truth, previous):
            record = {**context, **record}
            append_record(records_path, record)
            result.records.append(record)
            if on_record is not None:
                on_record(record)
            if record["status"] == "interrupted":
                result.interrupted = True
        if result.interrupted:
            break
    return result


def _recover_start(
    config: RecoverConfig,
    start: str,
    data: Path,
    spec,
    truth: Truth,
    previous: Sequence[dict[str, Any]] = (),
) -> Iterator:
    """Train one start condition in chunks; yield a record after each (and one at iteration 0).
    With the ``previous`` records of a run there, continue it from its newest checkpoint: the
    time it spent counts against the budget, and the next evaluation is at the next multiple of
    ``eval_every``, where an uninterrupted run would have made it."""
    import torch

    from iggan import checkpoint as ckpt_io
    from iggan.training import train

    train_cfg = train_config(config, start, data)
    run_dir = config.out_path / start
    run_dir.mkdir(parents=True, exist_ok=True)
    if getattr(_method_class(config.method), "has_neural_renderer", False) and (
        train_cfg.renderer_init
    ):
        from iggan.pretrain import resolve_renderer_init

        resolve_renderer_init(train_cfg)  # pre-trains on first use: before the clock starts

    wall0 = time.perf_counter()
    spent = 0.0  # training wall-clock of this start
    budget = math.inf if config.minutes is None else 60.0 * config.minutes
    # A chunk costs about start-up + n * seconds per iteration; both are measured on the last one.
    done, seconds_per_it, startup = 0, None, 0.0

    def record(method, iteration: int, checkpoint: Path | None, status: str) -> dict[str, Any]:
        volumes = sample_volumes(
            method, train_cfg, config.samples, spec.azimuth_range, spec.elevation_range
        )
        scores = score_volumes(volumes, truth, config.threshold, config.angle_step)
        if "G_ema" in method.modules:  # the trained G too, beside its moving average
            raw = sample_volumes(
                method, train_cfg, config.samples, spec.azimuth_range, spec.elevation_range, False
            )
            raw_scores = score_volumes(raw, truth, config.threshold, config.angle_step, None)
            scores["g_raw"] = {k: v for k, v in raw_scores.items() if k != "per_sample"}
        return {
            "start": start,
            "g_out_bias": train_cfg.g_out_bias,
            "iteration": iteration,
            "minutes": spent / 60.0,
            "seconds_per_iteration": seconds_per_it,
            "wall_minutes": (time.perf_counter() - wall0) / 60.0,
            "checkpoint": str(checkpoint) if checkpoint else None,
            "run_dir": str(run_dir),
            "status": status,
            "torch_threads": train_cfg.torch_threads or torch.get_num_threads(),
            "load_average": _load_average(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **scores,
        }

    saved = ckpt_io.list_checkpoints(run_dir)
    if saved:  # resuming (recover() refused an existing run otherwise)
        done = saved[-1][0]
        last = previous[-1] if previous else {}
        spent = 60.0 * float(last.get("minutes") or 0.0)
        wall0 -= 60.0 * float(last.get("wall_minutes") or 0.0)
        seconds_per_it = last.get("seconds_per_iteration")
    else:
        yield record(initial_method(train_cfg), 0, None, "start")
    while True:
        n = config.eval_every - done % config.eval_every
        if config.max_iterations is not None:
            n = min(n, config.max_iterations - done)
        remaining = budget - spent
        if seconds_per_it is not None and math.isfinite(remaining):
            n = min(n, int((remaining - startup) / seconds_per_it))
        if n < 1 or remaining <= 0:
            return
        t0 = time.perf_counter()
        res = train(
            replace(train_cfg, iterations=done + n), run_dir, resume=done > 0, progress=False
        )
        dt = time.perf_counter() - t0
        spent += dt
        ran = max(1, res.iteration - done)
        seconds_per_it = res.seconds_per_iteration or dt / ran
        startup = max(0.0, dt - ran * seconds_per_it)
        done = res.iteration
        if res.checkpoint is None:
            raise RecoverError(f"{run_dir}: training wrote no checkpoint at iteration {done}")
        status = "interrupted" if res.status != "finished" else "training"
        yield record(checkpoint_method(train_cfg, res.checkpoint), done, res.checkpoint, status)
        if status == "interrupted":
            return


def _usable_cores() -> int | None:
    """The cores this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


def _load_average() -> float | None:
    """The machine's 1-minute load average (None where the OS has none): whether the run shared
    the cores, which changes its iterations per minute (records from other machines differ)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def print_records(echo: Callable[[str], None]) -> Callable[[dict], None]:
    """An ``on_record`` that prints each start's header once, then a row per record."""
    shown: set[str] = set()

    def show(record: dict) -> None:
        if record["start"] not in shown:
            shown.add(record["start"])
            echo(format_header(record))
        echo(format_row(record))

    return show


def seed_job(config: RecoverConfig, resume: bool) -> None:
    """One seed of :func:`recover_seeds` in a job's process, its rows printed to the job's log."""
    result = recover(config, on_record=print_records(_log.info), resume=resume)
    if result.interrupted:
        raise RecoverError("interrupted; the records so far are written")


def recover_seeds(
    config: RecoverConfig,
    seeds: Sequence[int],
    jobs: int = 1,
    resume: bool = False,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """One :func:`recover` per seed into ``<outdir>/seed-<s>``: here one after the other, or
    ``jobs`` at a time in processes of their own (:mod:`benchmark.jobs`, logs in
    ``<outdir>/logs/``). Returns the seed folders. A failed seed is reported after the others have
    finished (:class:`RecoverError` naming it)."""
    from benchmark.jobs import Job, JobError, run_jobs

    base = config.out_path
    configs = [dataclasses.replace(config, seed=s, outdir=str(base / f"seed-{s}")) for s in seeds]
    if jobs == 1:
        for s, cfg in zip(seeds, configs, strict=True):
            echo(f"seed {s}: {cfg.out_path}")
            result = recover(cfg, on_record=print_records(echo), resume=resume)
            if result.interrupted:
                raise RecoverError(f"seed {s}: interrupted; the records so far are written")
    else:
        work = [
            Job(f"seed {s}", seed_job, (cfg, resume), base / "logs" / f"seed-{s}.log")
            for s, cfg in zip(seeds, configs, strict=True)
        ]
        try:
            run_jobs(work, jobs, echo)
        except JobError as exc:
            raise RecoverError(str(exc)) from exc
    return [cfg.out_path for cfg in configs]


def _method_class(name: str):
    from iggan.registry import method_class

    return method_class(name)


__all__ = [
    "RECOVER_METHODS",
    "START_BIAS",
    "RecoverConfig",
    "RecoverResult",
    "ShapeRef",
    "parse_train_overrides",
    "read_records",
    "recover",
    "print_records",
    "recover_seeds",
    "seed_job",
    "shape_dataset",
    "train_config",
]
