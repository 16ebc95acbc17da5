"""`igbench bench recover`: does a method recover ONE known shape from 2D renders of it?

Issue 5 ("Does it learn?") and issue 6 ("The paper's claim, checked"). A method is trained on
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
    * **cavity** (issue 6's definition): of the voxels inside the truth's convex hull (the hull of
      its filled voxels' centres) that are empty in the truth, the fraction the sample leaves
      empty, at the sample's best rotation. 1 = the cavity is kept, 0 = filled. Only defined for
      shapes with such voxels (None otherwise).
    * **cavity_bbox** (issue 5's wording): the same with the truth's bounding box instead of its
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
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

#: Methods that make shapes (the 2D-DCGAN makes images; there is nothing to score).
RECOVER_METHODS = ("iggan", "visual-hull", "absorption-only")
#: G's initial output bias per start condition (sigmoid(-3) = 0.047, sigmoid(3) = 0.953).
START_BIAS = {"empty": -3.0, "full": 3.0}
RECORDS_FILE = "recover.jsonl"
RECORD_VERSION = 1


class RecoverError(ValueError):
    """A recovery benchmark that cannot run; the message says why and what to do."""


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
class RecoverConfig:
    """Everything that determines a recovery benchmark (see the module docstring)."""

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
    outdir: str = ""
    """Output folder; empty = ``runs/recover-<method>-<shape>-<preset>``."""
    train_overrides: tuple[tuple[str, Any], ...] = ()
    """``(field, value)`` pairs replacing the preset's :class:`~iggan.config.TrainConfig` fields
    (``--set FIELD=VALUE``), for trying a hyperparameter on the benchmark; recorded with every
    record. The fields the benchmark sets itself (see :data:`FIXED_FIELDS`) cannot be replaced."""

    def __post_init__(self):
        from iggan.config import PRESETS

        def need(ok: bool, name: str, msg: str) -> None:
            if not ok:
                raise RecoverError(f"{name}: {msg} (got {getattr(self, name)!r})")

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
        return Path("runs") / f"recover-{self.method}-{self.shape_ref.slug}-{self.preset}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


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
    """``FIELD=VALUE`` strings -> ``(field, value)`` pairs, each value converted to the
    :class:`~iggan.config.TrainConfig` field's type (``none`` for an optional field's None;
    ``true``/``false`` for booleans). Raises :class:`RecoverError` naming a bad item."""
    from iggan.config import TrainConfig

    types = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}
    out: list[tuple[str, Any]] = []
    for text in texts:
        name, sep, raw = text.partition("=")
        name, raw = name.strip().replace("-", "_"), raw.strip()
        if not sep or not name:
            raise RecoverError(f"--set {text!r}: expected FIELD=VALUE, e.g. lr_r=5e-5")
        if name not in types:
            raise RecoverError(f"--set {text!r}: TrainConfig has no field {name!r}")
        typ = types[name]
        base = typ.replace("| None", "").strip()
        try:
            if typ.endswith("| None") and raw.lower() == "none":
                value: Any = None
            elif base == "bool":
                if raw.lower() not in ("true", "false", "1", "0"):
                    raise ValueError("expected true or false")
                value = raw.lower() in ("true", "1")
            elif base == "int":
                value = int(raw)
            elif base == "float":
                value = float(raw)
            else:
                value = raw
        except ValueError as exc:
            raise RecoverError(f"--set {text!r}: {name} is {typ}: {exc}") from None
        out.append((name, value))
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Metric math: pure functions of bool grids (N, N, N) indexed [x, y, z], +Y up
# --------------------------------------------------------------------------------------------------


def rotate_about_y(grid: np.ndarray, degrees: float) -> np.ndarray:
    """``grid`` rotated about the vertical axis through the grid's centre, counter-clockwise seen
    from above (+X turns towards -Z at 90 deg, as azimuths do; docs/conventions.md).

    grid : (N, N, N) bool. Multiples of 90 deg are exact (``np.rot90`` on the (x, z) axes); other
    angles sample the nearest voxel (``scipy.ndimage.rotate``, ``order=0``); what leaves the grid
    is lost and what enters is empty.
    """
    return _rotate(np.asarray(grid, dtype=bool), degrees)


def _rotate(volume: np.ndarray, degrees: float) -> np.ndarray:
    """:func:`rotate_about_y` for a volume of any dtype (nearest neighbour, so it commutes with
    thresholding; what enters the grid is 0)."""
    if volume.ndim != 3:
        raise ValueError(f"grid must be (N, N, N), got {volume.shape}")
    degrees = float(degrees) % 360.0
    quarter = degrees / 90.0
    if quarter == int(quarter):
        return np.rot90(volume, -int(quarter), axes=(0, 2))
    from scipy import ndimage

    return ndimage.rotate(
        volume, -degrees, axes=(0, 2), reshape=False, order=0, mode="constant", cval=0
    )


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    from shapenet_render.voxelize import voxel_iou

    return voxel_iou(a, b)


def convex_hull_mask(grid: np.ndarray) -> np.ndarray:
    """(N, N, N) bool: voxels whose centres lie in the convex hull of ``grid``'s filled voxels'
    centres (``grid`` itself included). A flat or near-empty grid (no 3D hull) gives its bounding
    box."""
    from scipy.spatial import ConvexHull, QhullError

    grid = np.asarray(grid, dtype=bool)
    box = bounding_box_mask(grid)
    points = np.argwhere(grid).astype(np.float64)
    if len(points) < 4:
        return box
    try:
        hull = ConvexHull(points)
    except QhullError:  # coplanar or collinear: no volume; its bounding box is as flat
        return box
    candidates = np.argwhere(box).astype(np.float64)
    # Inside = on the inner side of every facet (normal . x + offset <= 0), with a tolerance for
    # centres lying exactly on a facet.
    inside = (candidates @ hull.equations[:, :3].T + hull.equations[:, 3] <= 1e-6).all(axis=1)
    out = np.zeros_like(grid)
    idx = candidates[inside].astype(np.int64)
    out[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    return out | grid


def bounding_box_mask(grid: np.ndarray) -> np.ndarray:
    """(N, N, N) bool: the axis-aligned bounding box of ``grid``'s filled voxels, filled."""
    grid = np.asarray(grid, dtype=bool)
    out = np.zeros_like(grid)
    if not grid.any():
        return out
    idx = np.argwhere(grid)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return out


def cavity_score(sample: np.ndarray, cavity: np.ndarray) -> float | None:
    """Fraction of the ``cavity`` voxels (bool grid) that ``sample`` leaves empty; None when
    ``cavity`` is empty."""
    n = int(np.count_nonzero(cavity))
    if n == 0:
        return None
    return float(np.count_nonzero(cavity & ~np.asarray(sample, dtype=bool)) / n)


@dataclass(frozen=True, eq=False)
class Truth:
    """The target shape and the regions it is scored on (all (N, N, N) bool)."""

    grid: np.ndarray
    hull: np.ndarray
    """Filled convex hull (:func:`convex_hull_mask`)."""
    box: np.ndarray
    """Filled bounding box (:func:`bounding_box_mask`)."""

    @classmethod
    def of(cls, grid: np.ndarray) -> Truth:
        grid = np.asarray(grid, dtype=bool)
        if grid.ndim != 3 or len(set(grid.shape)) != 1 or not grid.any():
            raise ValueError(f"truth must be a non-empty (N, N, N) grid, got {grid.shape}")
        return cls(grid, convex_hull_mask(grid), bounding_box_mask(grid))

    @property
    def cavity_hull(self) -> np.ndarray:
        """Inside the convex hull, empty in the truth (issue 6's cavity)."""
        return self.hull & ~self.grid

    @property
    def cavity_box(self) -> np.ndarray:
        """Inside the bounding box, empty in the truth (issue 5's wording)."""
        return self.box & ~self.grid

    @property
    def floor_bbox_iou(self) -> float:
        """IoU of the filled bounding box with the truth."""
        return _iou(self.box, self.grid)

    @property
    def floor_hull_iou(self) -> float:
        """IoU of the filled convex hull with the truth."""
        return _iou(self.hull, self.grid)


@dataclass
class SampleScore:
    """One sample's scores at its best rotation."""

    iou: float
    angle: float
    """Rotation (deg, counter-clockwise seen from above) that maximises the IoU."""
    cavity: float | None
    cavity_bbox: float | None
    fill: float


def score_sample(sample: np.ndarray, truth: Truth, angle_step: int = 15) -> SampleScore:
    """Best-rotation IoU of one bool sample (N, N, N) with ``truth``, and the cavity scores at
    that rotation (ties: the smallest angle)."""
    sample = np.asarray(sample, dtype=bool)
    if sample.shape != truth.grid.shape:
        raise ValueError(f"sample is {sample.shape}, truth is {truth.grid.shape}")
    best_iou, best_angle, best = -1.0, 0.0, sample
    for angle in range(0, 360, angle_step):
        turned = rotate_about_y(sample, angle)
        iou = _iou(turned, truth.grid)
        if iou > best_iou:
            best_iou, best_angle, best = iou, float(angle), turned
    return SampleScore(
        iou=best_iou,
        angle=best_angle,
        cavity=cavity_score(best, truth.cavity_hull),
        cavity_bbox=cavity_score(best, truth.cavity_box),
        fill=float(np.count_nonzero(sample) / np.count_nonzero(truth.grid)),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


#: Thresholds searched for the best-threshold reading (:func:`best_threshold`): 0.01 to 0.04, then
#: 0.05 to 0.95 by 0.05. The low ones catch shapes drawn at low occupancy spread along the ray.
SEARCH_THRESHOLDS = (0.01, 0.02, 0.03, 0.04) + tuple(round(0.05 * k, 2) for k in range(1, 20))


def _summary(scores: list[SampleScore]) -> dict[str, Any]:
    return {
        "iou": _mean(s.iou for s in scores),
        "cavity": _mean(s.cavity for s in scores),
        "cavity_bbox": _mean(s.cavity_bbox for s in scores),
        "fill": _mean(s.fill for s in scores),
    }


def best_threshold(
    volumes: np.ndarray,
    truth: Truth,
    angle_step: int = 15,
    thresholds: Iterable[float] = SEARCH_THRESHOLDS,
) -> float:
    """The one threshold (of ``thresholds``) at which the samples' mean best-rotation IoU with the
    truth is highest; ties go to the threshold nearest 0.5.

    An oracle reading (it looks at the truth), the same for every method: a method whose image
    formation sums occupancy along the ray can draw its shape away from the protocol's 0.5, and
    is then read at the threshold that favours it most. volumes : (K, N, N, N) float in [0, 1].
    """
    thresholds = sorted(thresholds, key=lambda t: (abs(t - 0.5), t))
    # Nearest-neighbour rotation commutes with thresholding: rotate each float volume once.
    turned = np.stack(
        [
            np.stack([_rotate(v, a) for a in range(0, 360, angle_step)])
            for v in np.asarray(volumes, dtype=np.float32)
        ]
    )  # (K, A, N, N, N)
    grid = truth.grid[None, None]
    best_t, best = thresholds[0], -1.0
    for t in thresholds:
        filled = turned > t
        inter = np.count_nonzero(filled & grid, axis=(2, 3, 4))
        union = np.count_nonzero(filled | grid, axis=(2, 3, 4))
        iou = float(np.mean(np.max(inter / np.maximum(union, 1), axis=1)))
        if iou > best + 1e-12:
            best_t, best = t, iou
    return float(best_t)


def score_volumes(
    volumes: np.ndarray,
    truth: Truth,
    threshold: float = 0.5,
    angle_step: int = 15,
    search: Iterable[float] | None = SEARCH_THRESHOLDS,
) -> dict[str, Any]:
    """Scores of generated volumes (K, N, N, N) float occupancy in [0, 1]: the means over samples
    of :func:`score_sample` (``iou``, ``cavity``, ``cavity_bbox``, ``fill``) at ``threshold``, and
    ``per_sample``. With ``search``, also ``best``: the same means at :func:`best_threshold`
    (and that ``threshold``)."""
    volumes = np.asarray(volumes)
    if volumes.ndim != 4 or volumes.shape[1:] != truth.grid.shape:
        raise ValueError(f"volumes must be (K, {truth.grid.shape}), got {volumes.shape}")
    scores = [score_sample(v > threshold, truth, angle_step) for v in volumes]
    out = {**_summary(scores), "per_sample": [dataclasses.asdict(s) for s in scores]}
    if search is not None:
        t = best_threshold(volumes, truth, angle_step, search)
        best = [score_sample(v > t, truth, angle_step) for v in volumes]
        out["best"] = {"threshold": t, **_summary(best)}
    return out


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
) -> Path:
    """The dataset file of ``views`` random views of one shape (rendered when missing, reused
    when present and made with the same arguments). See the module docstring."""
    from shapenet_render.dataset import (
        DatasetError,
        DatasetSpec,
        ImageDataset,
        _render_part,
        _write_h5,
    )
    from shapenet_render.pool import RenderPool
    from shapenet_render.renderer import RenderSettings
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
    )
    path = Path(folder) / f"{shape.slug}-{renderer}-r{resolution}-v{voxel_res}-n{views}-s{seed}.h5"
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
    with RenderPool(RenderSettings(resolution=resolution), workers=1) as pool:
        (part,) = list(pool.imap_fn(_render_part, [task]))
    if part["skipped"]:
        raise RecoverError(f"shape {shape} cannot be loaded: {part['skipped'][0][1]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_h5(path, spec, [part], {"recover_shape": str(shape)})
    return path


# --------------------------------------------------------------------------------------------------
# Sampling a generator
# --------------------------------------------------------------------------------------------------


def _initial_method(train_cfg):
    """The method as :func:`iggan.training.train` initialises it (same seed, same weights), without
    touching this process's random generators."""
    import torch

    from iggan.methods import build_method
    from iggan.training import resolve_device

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(train_cfg.seed)
        return build_method(train_cfg, resolve_device(train_cfg.device))


def _checkpoint_method(train_cfg, path: Path):
    """The method with every module loaded from a training checkpoint."""
    from iggan import checkpoint as ckpt_io
    from iggan.methods import restore_method
    from iggan.training import resolve_device

    data = ckpt_io.load_checkpoint(path, kind="train")
    return restore_method(data, resolve_device(train_cfg.device))


def sample_volumes(
    method, train_cfg, n: int, azimuth_range, elevation_range, average: bool = True
) -> np.ndarray:
    """(n, N, N, N) float32 occupancies of ``method.sample`` (G in eval mode, no state change) at
    the fixed latents of the run's sample grids; ``average=False``: from the trained G even when
    the run keeps a moving average of it (``g_ema``)."""
    import torch

    from iggan.training import sample_inputs

    z, az, el = sample_inputs(train_cfg, azimuth_range, elevation_range, n=n)
    threads = torch.get_num_threads()
    if train_cfg.torch_threads:
        torch.set_num_threads(train_cfg.torch_threads)
    try:
        out = method.sample(
            z.to(method.device),
            az.to(method.device),
            el.to(method.device),
            volumes_only=True,
            average=average,
        )
    finally:
        torch.set_num_threads(threads)
    if "volumes" not in out:
        raise RecoverError(f"{train_cfg.method} makes no volumes; nothing to score")
    return out["volumes"][:, 0].float().cpu().numpy()


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
    from benchmark.registry import register_methods
    from iggan import checkpoint as ckpt_io
    from iggan.methods import METHODS
    from shapenet_render.dataset import ImageDataset, content_digest

    register_methods()
    shape = config.shape_ref
    outdir = config.out_path
    for start in config.starts:
        if ckpt_io.latest_checkpoint(outdir / start) is not None and not resume:
            raise RecoverError(
                f"{outdir / start} already holds a run; pass --resume to continue it, or choose "
                "another --outdir (or remove it)"
            )
    if config.method not in METHODS:
        raise RecoverError(f"method {config.method!r} is not registered with the training loop")
    sizes = train_config(config, config.starts[0])
    data = shape_dataset(
        shape,
        METHODS[config.method].dataset_renderer,
        sizes.image_res,
        sizes.voxel_res,
        config.views,
        config.seed,
        outdir / "data",
    )
    ds = ImageDataset(data)
    truth = Truth.of(ds.voxels(0))
    context = {
        "version": RECORD_VERSION,
        "metric": "recover",
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
        yield record(_initial_method(train_cfg), 0, None, "start")
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
        yield record(_checkpoint_method(train_cfg, res.checkpoint), done, res.checkpoint, status)
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


def _method_class(name: str):
    from iggan.methods import METHODS

    return METHODS[name]


# --------------------------------------------------------------------------------------------------
# Tables (from records only)
# --------------------------------------------------------------------------------------------------

_COLUMNS = ("minutes", "iteration", "IoU", "cavity", "cav_bbox", "fill", "t*", "IoU@t*", "cav@t*")
#: With ``g_ema`` the scores are the moving average's; these are the trained G's, at 0.5.
_RAW_COLUMNS = ("IoU(G)", "cav(G)")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _overrides_text(record: dict[str, Any]) -> str:
    """``, set k=v ...`` for a record made with ``train_overrides`` (older records have none)."""
    over = record.get("train_overrides") or {}
    return "".join(f", set {k}={v}" for k, v in sorted(over.items()))


def _variant(record: dict[str, Any]) -> tuple:
    """What makes two records' runs different experiments (their rows are never mixed)."""
    over = json.dumps(record.get("train_overrides") or {}, sort_keys=True)
    return (record["method"], record["shape"], record["preset"], over)


def format_header(record: dict[str, Any]) -> str:
    """The lines above a start's rows: what was run, the floors, the column names."""
    return "\n".join(
        [
            f"{record['method']} on {record['shape']} ({record['voxel_res']}^3, "
            f"{record['image_res']}^2, {record['views']} views), preset {record['preset']}"
            f"{_overrides_text(record)}, "
            f"start {record['start']} (g_out_bias {record['g_out_bias']:+g})",
            f"floors: filled bounding box IoU {record['floor_bbox_iou']:.3f}, filled convex hull "
            f"IoU {record['floor_hull_iou']:.3f} (cavity 0 for both)",
            *_machine_line(record),
            "".join(f"{c:>10}" for c in _columns(record)),
        ]
    )


def _machine_line(record: dict[str, Any]) -> list[str]:
    """``machine: ...`` when the record has it (older records do not): the minutes and iterations
    of two runs compare only on the same cores and load."""
    if record.get("torch_threads") is None:
        return []
    load = record.get("load_average")
    return [
        f"machine: {record.get('cpu_count') or '?'} cores, {record['torch_threads']} torch "
        f"thread(s), 1-minute load average {'-' if load is None else f'{load:.2f}'} at "
        f"iteration {record['iteration']}"
    ]


def _columns(record: dict[str, Any]) -> tuple[str, ...]:
    return _COLUMNS + (_RAW_COLUMNS if "g_raw" in record else ())


def format_row(record: dict[str, Any]) -> str:
    """One evaluation: training minutes, iteration, mean IoU, cavity, cavity_bbox, fill."""
    cells = [
        f"{record['minutes']:.2f}",
        str(record["iteration"]),
        _fmt(record["iou"]),
        _fmt(record["cavity"]),
        _fmt(record["cavity_bbox"]),
        _fmt(record["fill"], 2),
    ]
    best = record.get("best")  # absent in records made before the threshold search
    cells += [
        _fmt(best and best["threshold"], 2),
        _fmt(best and best["iou"]),
        _fmt(best and best["cavity"]),
    ]
    raw = record.get("g_raw")
    if raw is not None:
        cells += [_fmt(raw["iou"]), _fmt(raw["cavity"])]
    line = "".join(f"{c:>10}" for c in cells)
    return line + ("  (interrupted)" if record.get("status") == "interrupted" else "")


def format_table(records: list[dict[str, Any]]) -> str:
    """Every start's header and rows."""
    lines: list[str] = []
    key = None
    for r in records:
        k = (*_variant(r), r["start"], r["run_dir"])
        if k != key:
            if lines:
                lines.append("")
            lines.append(format_header(r))
            key = k
        lines.append(format_row(r))
    return "\n".join(lines)


def format_summary(records: list[dict[str, Any]], pool: bool = False) -> str:
    """The last evaluation of each start and seed, one block per (method, shape, preset,
    overrides): a result counts only if it holds from both starts. Where a start has several
    seeds, :func:`format_seed_statistics` follows the block.

    ``pool``: one block per (method, shape, preset) whatever the runs' ``--set`` fields, for runs
    that are one experiment under two labels (a ``--set`` that a later preset made its default);
    the header lists each run's fields, and two runs of one start and seed are an error."""
    last: dict[tuple, dict[tuple[str, int], dict[str, Any]]] = {}
    for r in records:
        key = (r["start"], int(r.get("seed", 0)))
        variant = _variant(r)[:3] if pool else _variant(r)
        runs = last.setdefault(variant, {})
        if pool and key in runs and _variant(runs[key]) != _variant(r):
            raise RecoverError(
                f"{variant[0]} on {variant[1]}: two runs of start {key[0]}, seed {key[1]} to pool "
                f"({runs[key].get('run_dir', '?')} and {r.get('run_dir', '?')})"
            )
        if key not in runs or r["iteration"] >= runs[key]["iteration"]:
            runs[key] = r
    lines: list[str] = []
    for (method, shape, preset, *_), by_run in last.items():
        any_record = next(iter(by_run.values()))
        if lines:
            lines.append("")
        label = _overrides_text(any_record)
        if pool:
            sets = sorted({_overrides_text(r) or ", no --set" for r in by_run.values()})
            label = ", pooled runs (" + "; ".join(s[2:] for s in sets) + ")"
        lines += [
            f"{method} on {shape}, preset {preset}{label}: "
            "last evaluation of each start and seed "
            f"(floors: bounding box IoU {any_record['floor_bbox_iou']:.3f}, "
            f"convex hull IoU {any_record['floor_hull_iou']:.3f})",
            f"{'start':>8}{'seed':>6}" + "".join(f"{c:>10}" for c in _columns(any_record)),
        ]
        for (start, seed), r in sorted(by_run.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            lines.append(f"{start:>8}{seed:>6}" + format_row(r))
        if any(len([k for k in by_run if k[0] == st]) > 1 for st, _ in by_run):
            lines += ["", format_seed_statistics(list(by_run.values()))]
    return "\n".join(lines)


#: Scores aggregated over seeds (:func:`format_seed_statistics`): key, column name, and whether
#: the worst seed is the lowest value (True) or the one farthest from 1 (fill). ``best_*`` read
#: the record's best-threshold reading.
_SEED_STATS = (
    ("iou", "IoU", True),
    ("cavity", "cavity", True),
    ("fill", "fill", False),
    ("best_iou", "IoU@t*", True),
    ("best_cavity", "cav@t*", True),
)


def _score(record: dict[str, Any], key: str) -> float | None:
    if key.startswith("best_"):
        best = record.get("best") or {}
        return best.get(key[5:])
    return record.get(key)


def seed_statistics(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per start: mean, sample standard deviation and worst seed of each score of
    :data:`_SEED_STATS` over ``records`` (one evaluation per seed, e.g. each seed's last).

    Returns ``{start: {"seeds": [...], "iteration": [...], key: {"mean", "sd", "worst",
    "worst_seed"}}}``; the sd is None for one seed; worst = lowest (fill: farthest from 1).
    """
    out: dict[str, dict[str, Any]] = {}
    for start in dict.fromkeys(r["start"] for r in records):
        rs = sorted((r for r in records if r["start"] == start), key=lambda r: r.get("seed", 0))
        entry: dict[str, Any] = {
            "seeds": [int(r.get("seed", 0)) for r in rs],
            "iteration": [int(r["iteration"]) for r in rs],
        }
        for key, _, lowest in _SEED_STATS:
            pairs = [(_score(r, key), int(r.get("seed", 0))) for r in rs]
            pairs = [p for p in pairs if p[0] is not None]
            if not pairs:
                continue
            values = np.array([v for v, _ in pairs], dtype=float)
            worst = (
                min(pairs, key=lambda p: p[0])
                if lowest
                else max(pairs, key=lambda p: abs(p[0] - 1.0))
            )
            entry[key] = {
                "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                "worst": float(worst[0]),
                "worst_seed": worst[1],
            }
        out[start] = entry
    return out


def format_seed_statistics(records: list[dict[str, Any]]) -> str:
    """``mean ± sd (worst seed)`` per start and score over one evaluation per seed."""
    stats = seed_statistics(records)
    head = f"{'start':>8}{'seeds':>10}{'iteration':>11}" + "".join(
        f"{name:>25}" for _, name, _ in _SEED_STATS
    )
    lines = ["over seeds: mean ± sd (worst seed: value)", head]
    for start, entry in stats.items():
        its = "/".join(map(str, sorted(set(entry["iteration"]))))
        cells = []
        for key, _, _ in _SEED_STATS:
            st = entry.get(key)
            if st is None:
                cells.append(f"{'-':>25}")
                continue
            sd = "" if st["sd"] is None else f"±{st['sd']:.3f}"
            text = f"{st['mean']:.3f}{sd} (s{st['worst_seed']}: {st['worst']:.2f})"
            cells.append(f"{text:>25}")
        seeds = ",".join(map(str, entry["seeds"]))
        lines.append(f"{start:>8}{seeds:>10}{its:>11}" + "".join(cells))
    return "\n".join(lines)


__all__ = [
    "RECOVER_METHODS",
    "START_BIAS",
    "RecoverConfig",
    "RecoverError",
    "RecoverResult",
    "ShapeRef",
    "Truth",
    "bounding_box_mask",
    "cavity_score",
    "convex_hull_mask",
    "format_header",
    "format_row",
    "format_seed_statistics",
    "format_summary",
    "format_table",
    "seed_statistics",
    "parse_train_overrides",
    "read_records",
    "recover",
    "rotate_about_y",
    "score_sample",
    "score_volumes",
    "best_threshold",
    "shape_dataset",
    "train_config",
]
