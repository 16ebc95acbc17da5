"""The paper's datasets (section 4.2) as versioned, self-describing HDF5 files.

Writing (``render_dataset``)
    A plan fixes which models and which views make up the dataset from (source, category, mode,
    seed) alone. The plan is cut into *parts* of ``PART_SIZE`` consecutive models; worker processes
    load, voxelize and render whole parts. Each finished part is written atomically as
    ``<out>.parts/part_XXXXX.npz``, so a killed run (SIGKILL included) loses at most the parts in
    flight, and a rerun renders only the missing ones. When every part exists, the final HDF5 file is
    assembled under a temporary name and renamed into place: the final path never holds a partial
    file. ``--shard i/n`` renders the parts with ``index % n == i`` into a shard file;
    :func:`merge_shards` assembles shards into exactly the file an unsharded run writes.

Layout (format version 1)
    ``images``        (n_images, H, W) uint8, grayscale, bright object on black; chunk = one image
    ``azimuth``       (n_images,) float32, degrees (see docs/conventions.md)
    ``elevation``     (n_images,) float32, degrees
    ``model_index``   (n_images,) int32, row of ``voxels``/``model_ids`` the image shows
    ``voxels``        (n_models, ceil(N^3 / 8)) uint8: ``np.packbits`` of the (N, N, N) bool grid
                      indexed [x, y, z] (C order); chunk = one model
    ``model_ids``     (n_models,) UTF-8 strings, the source's model ids
    ``model_position`` (n_models,) int32, the model's position in the source's category listing
    root attributes: ``format``, ``format_version``, ``spec`` (JSON of :class:`DatasetSpec`),
    ``source``, ``category``, ``mode``, ``renderer``, ``resolution``, ``voxel_res``, ``seed``,
    ``azimuth_range``, ``elevation_range``, ``views_per_model``, ``render_settings`` (JSON),
    ``projection`` (JSON), ``n_skipped``, ``skipped_ids`` (JSON), ``igbench_version``, ``created``.
    Compression is gzip (lossless, readable everywhere HDF5 is).

Reading: :class:`ImageDataset` (PyTorch-style, lazy per-process file handle, validated schema).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .categories import resolve_category
from .io_utils import atomic_path
from .presets import check_preset

FORMAT = "igbench-dataset"
FORMAT_VERSION = 1
PART_SIZE = 16
MODES = ("500", "one-per-model", "unlimited", "lvp")
RENDERERS = ("opengl", "mitsuba", "visual-hull", "absorption-only")
#: The off-the-shelf renderers (the rest: the baselines' projections). A method that trains on
#: off-the-shelf renders trains on either; its R_d is then the dataset's (``renderers``).
OFF_THE_SHELF = ("opengl", "mitsuba")
#: Datasets built from photographs (``igbench render images``) use this mode and renderer.
PHOTO_MODE = "images"
PHOTO_RENDERER = "photo"

#: Elevation ranges per category (paper 4.2): bathtubs and couches [15, 60], chairs [-30, 60]; tables
#: and cubes (renderer pre-training) and all other classes use the chairs' range.
_ELEVATION = {"bathtub": (15.0, 60.0), "sofa": (15.0, 60.0)}
_DEFAULT_ELEVATION = (-30.0, 60.0)
#: LVP (chairs): azimuth within +-60 deg of the front, elevation in [15, 60].
_LVP_AZIMUTH = (-60.0, 60.0)
_LVP_ELEVATION = (15.0, 60.0)


class DatasetError(ValueError):
    """A dataset file or request that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that determines a dataset's content (two equal specs give identical files)."""

    category: str
    """Canonical category name (``resolve_category``), or ``cubes``."""
    mode: str = "one-per-model"
    """``500`` | ``one-per-model`` | ``unlimited`` | ``lvp`` (paper, section 4.2). ``unlimited``
    and ``lvp`` store epoch 0's views; training draws fresh views every epoch (Table 1 lists LVP
    under the Unlimited columns)."""
    source: str = "procedural"
    """Shape source spec: ``procedural``, ``cubes``, ``shapenet:PATH``, ``meshdir:PATH``."""
    renderer: str = "opengl"
    """Image formation: the off-the-shelf renderer or a baseline's projection."""
    resolution: int = 128
    """Image side in pixels (paper: 128)."""
    voxel_res: int = 64
    """Voxel grid side; images render the model's grid at this resolution (paper: 64)."""
    seed: int = 0
    """Fixes model selection (500 mode) and every view."""
    max_models: int | None = None
    """Use only the first models of the plan (smoke tests, quick looks). None = all."""
    views_per_model: int | None = None
    """Images per model; None = the paper's (4 for one-per-model bathtubs, otherwise 1)."""
    azimuth: tuple[float, float] | None = None
    """Azimuth range override in degrees; None = the paper's for the mode."""
    elevation: tuple[float, float] | None = None
    """Elevation range override in degrees; None = the paper's for the category and mode."""
    spp: int | None = None
    """Mitsuba's samples per pixel; None = :class:`MitsubaSettings`' default (16)."""

    def __post_init__(self):
        photo = self.mode == PHOTO_MODE and self.renderer == PHOTO_RENDERER
        if self.mode not in MODES and not photo:
            raise DatasetError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.renderer not in RENDERERS and not photo:
            raise DatasetError(
                f"unknown renderer {self.renderer!r}; choose one of {', '.join(RENDERERS)}"
            )
        if self.mode == "lvp" and self.category != "chair":
            raise DatasetError(f"mode lvp is defined for chairs only (got {self.category!r})")
        if not 8 <= self.resolution <= 1024 or not 4 <= self.voxel_res <= 256:
            raise DatasetError(
                f"resolution {self.resolution} / voxel_res {self.voxel_res} out of range "
                "([8, 1024] / [4, 256])"
            )
        if self.spp is not None and (self.renderer != "mitsuba" or self.spp < 1):
            raise DatasetError(
                f"spp {self.spp}: samples per pixel need renderer mitsuba "
                f"(not {self.renderer}) and >= 1"
            )

    @property
    def azimuth_range(self) -> tuple[float, float]:
        if self.azimuth is not None:
            return (float(self.azimuth[0]), float(self.azimuth[1]))
        return _LVP_AZIMUTH if self.mode == "lvp" else (0.0, 360.0)

    @property
    def elevation_range(self) -> tuple[float, float]:
        if self.elevation is not None:
            return (float(self.elevation[0]), float(self.elevation[1]))
        if self.mode == "lvp":
            return _LVP_ELEVATION
        return _ELEVATION.get(self.category, _DEFAULT_ELEVATION)

    @property
    def n_views(self) -> int:
        if self.views_per_model is not None:
            return self.views_per_model
        return 4 if (self.mode == "one-per-model" and self.category == "bathtub") else 1

    def to_json(self) -> str:
        """The spec as stored; an unset ``spp`` is left out, so older files' specs still match."""
        fields = asdict(self)
        if fields["spp"] is None:
            del fields["spp"]
        return json.dumps(fields, sort_keys=True)

    def default_path(self, root: str | Path = "data") -> Path:
        """e.g. ``data/procedural/chair-lvp-opengl-r128-v64-s0.h5``."""
        src = self.source.split(":", 1)[0]
        name = f"{self.category}-{self.mode}-{self.renderer}-r{self.resolution}-v{self.voxel_res}-s{self.seed}"
        if self.max_models is not None:
            name += f"-m{self.max_models}"
        if self.spp is not None:
            name += f"-spp{self.spp}"
        return Path(root) / src / f"{name}.h5"


def make_spec(category: str, mode: str, preset: str = "paper", **overrides) -> DatasetSpec:
    """A spec with a preset's sizes: ``paper`` 128^2 / 64^3, ``cpu`` 64^2 / 32^3, ``smoke`` 32^2 /
    16^3 with 24 models. Explicit overrides (not None) win."""
    check_preset(preset, DatasetError)
    base = {
        "paper": dict(resolution=128, voxel_res=64),
        "cpu": dict(resolution=64, voxel_res=32),
        "smoke": dict(resolution=32, voxel_res=16, max_models=24),
    }[preset]
    base.update({k: v for k, v in overrides.items() if v is not None})
    category = resolve_category(category)
    if category == "cubes":
        base.setdefault("source", "cubes")  # random boxes come from the cubes source
    return DatasetSpec(category=category, mode=mode, **base)


# -- the plan ---------------------------------------------------------------------------------------
@dataclass
class Plan:
    """Which models (positions in the source listing) and views make up the dataset."""

    spec: DatasetSpec
    model_ids: list[str]
    positions: np.ndarray  # (m,) int64 positions in the source's category listing

    @property
    def n_parts(self) -> int:
        return math.ceil(len(self.positions) / PART_SIZE)

    def part(self, index: int) -> tuple[list[str], np.ndarray]:
        sl = slice(index * PART_SIZE, (index + 1) * PART_SIZE)
        return self.model_ids[sl], self.positions[sl]


def views_for(spec: DatasetSpec, position: int, epoch: int = 0) -> np.ndarray:
    """``(n_views, 2)`` float64 (azimuth, elevation) of a model in an epoch, fixed by the seed.

    Epoch 0 is what the file stores; the ``unlimited`` mode draws epoch e's fresh views from here.
    """
    rng = np.random.default_rng([spec.seed, int(position), int(epoch), 0x1CA9])
    n = spec.n_views
    az = rng.uniform(*spec.azimuth_range, size=n)
    el = rng.uniform(*spec.elevation_range, size=n)
    return np.stack([az, el], axis=1)


def make_plan(spec: DatasetSpec, source) -> Plan:
    """The dataset's models: all of the category's, or 500 of them drawn by the seed (mode 500)."""
    ids = list(source.list_models(spec.category))
    if not ids:
        raise DatasetError(f"source {source.spec} has no models in category {spec.category!r}")
    positions = np.arange(len(ids))
    if spec.mode == "500":
        if len(ids) < 500:
            raise DatasetError(
                f"mode 500 needs 500 models; {source.spec} has {len(ids)} in {spec.category!r}"
            )
        rng = np.random.default_rng([spec.seed, 500])
        positions = np.sort(rng.permutation(len(ids))[:500])
    if spec.max_models is not None:
        positions = positions[: spec.max_models]
    return Plan(spec, [ids[p] for p in positions], positions)


# -- worker side --------------------------------------------------------------------------------------
_source_cache: dict = {}


def _render_part(get_renderer, task) -> dict:
    """Load, voxelize and render one part (runs in a pool worker)."""
    spec_json, ids, positions = task
    spec = DatasetSpec(**json.loads(spec_json))
    from .sources.base import ShapeLoadError
    from .sources.registry import get_source
    from .voxelize import voxelize

    source = _source_cache.get(spec.source)
    if source is None:
        source = _source_cache[spec.source] = get_source(spec.source)
    grids, kept_ids, kept_pos, skipped = [], [], [], []
    for model_id, pos in zip(ids, positions, strict=True):
        try:
            mesh = source.load(spec.category, model_id)
            grids.append(voxelize(mesh, spec.voxel_res))
        except ShapeLoadError as exc:
            skipped.append((model_id, str(exc)))
            continue
        kept_ids.append(model_id)
        kept_pos.append(int(pos))
    views = [views_for(spec, p) for p in kept_pos]
    images = render_views(spec, grids, views, get_renderer)
    n_views = spec.n_views
    return {
        "model_ids": np.array(kept_ids, dtype=object),
        "positions": np.array(kept_pos, dtype=np.int64),
        "voxels": np.stack([np.packbits(g) for g in grids]) if grids else None,
        "images": images,
        "views": np.concatenate(views).astype(np.float32)
        if views
        else np.zeros((0, 2), np.float32),
        "image_model": np.repeat(np.arange(len(kept_ids)), n_views).astype(np.int32),
        "skipped": skipped,
    }


def render_views(spec: DatasetSpec, grids, views, get_renderer) -> np.ndarray:
    """Images ``(sum of views, H, W)`` uint8 of binary grids with the spec's image formation."""
    res = spec.resolution
    if not grids:
        return np.zeros((0, res, res), np.uint8)
    if spec.renderer in OFF_THE_SHELF:
        renderer = get_renderer()
        out = [
            renderer.render_voxels(g, float(az), float(el)).image
            for g, vs in zip(grids, views, strict=True)
            for az, el in vs
        ]
        return np.stack(out)
    import torch

    from .projection import project_views

    torch.set_num_threads(1)  # one thread per worker process; the pool supplies the parallelism
    return project_views(spec.renderer, res, grids, views)


# -- parts on disk --------------------------------------------------------------------------------
def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _part_path(parts: Path, index: int) -> Path:
    return parts / f"part_{index:05d}.npz"


def _save_part(path: Path, part: dict) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                model_ids=np.array([str(x) for x in part["model_ids"]], dtype=str),
                positions=part["positions"],
                voxels=part["voxels"] if part["voxels"] is not None else np.zeros((0, 0), np.uint8),
                images=part["images"],
                views=part["views"],
                image_model=part["image_model"],
                skipped=json.dumps(part["skipped"]),
            )


def _load_part(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {
            "model_ids": [str(x) for x in z["model_ids"]],
            "positions": z["positions"],
            "voxels": z["voxels"],
            "images": z["images"],
            "views": z["views"],
            "image_model": z["image_model"],
            "skipped": [tuple(x) for x in json.loads(str(z["skipped"]))],
        }


# -- assembly -----------------------------------------------------------------------------------------
def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("igbench")
    except Exception:  # pragma: no cover - running from a source tree without install
        return "unknown"


def _projection_attrs(spec: DatasetSpec) -> dict:
    if spec.renderer not in ("visual-hull", "absorption-only"):
        return {}
    from . import projection

    if spec.renderer == "visual-hull":
        return {"tau": projection.VISUAL_HULL_TAU, "blur_sigma": projection.VISUAL_HULL_BLUR_SIGMA}
    return {"alpha": projection.platonicgan_alpha(2 * spec.voxel_res)}


def _render_settings(spec: DatasetSpec):
    from .renderers import settings_for

    return settings_for(spec.renderer, spec.resolution, spec.seed, spec.spp)


def _write_h5(
    path: Path, spec: DatasetSpec, parts: list[dict], extra_attrs: dict | None = None
) -> None:
    """Write parts (in plan order) as one dataset file, atomically."""
    model_ids = [m for p in parts for m in p["model_ids"]]
    positions = np.concatenate([p["positions"] for p in parts]).astype(np.int32)
    nbytes = math.ceil(spec.voxel_res**3 / 8)
    voxels = [p["voxels"] for p in parts if len(p["model_ids"])]
    voxels = np.concatenate(voxels) if voxels else np.zeros((0, nbytes), np.uint8)
    images = np.concatenate([p["images"] for p in parts])
    views = np.concatenate([p["views"] for p in parts])
    offsets = np.cumsum([0] + [len(p["model_ids"]) for p in parts])
    image_model = np.concatenate(
        [p["image_model"] + o for p, o in zip(parts, offsets, strict=False)]
    )
    skipped = [list(s) for p in parts for s in p["skipped"]]
    res = spec.resolution
    gz = dict(compression="gzip", compression_opts=4, track_times=False)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.create_dataset("images", data=images, chunks=(1, res, res) if len(images) else None, **gz)
        f.create_dataset("azimuth", data=views[:, 0].astype(np.float32), track_times=False)
        f.create_dataset("elevation", data=views[:, 1].astype(np.float32), track_times=False)
        f.create_dataset("model_index", data=image_model.astype(np.int32), track_times=False)
        f.create_dataset("voxels", data=voxels, chunks=(1, nbytes) if len(voxels) else None, **gz)
        f.create_dataset(
            "model_ids",
            data=np.array(model_ids, dtype=object),
            dtype=h5py.string_dtype(),
            track_times=False,
        )
        f.create_dataset("model_position", data=positions, track_times=False)
        attrs = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "spec": spec.to_json(),
            "source": spec.source,
            "category": spec.category,
            "mode": spec.mode,
            "renderer": spec.renderer,
            "resolution": spec.resolution,
            "voxel_res": spec.voxel_res,
            "seed": spec.seed,
            "views_per_model": spec.n_views,
            "azimuth_range": np.array(spec.azimuth_range),
            "elevation_range": np.array(spec.elevation_range),
            "render_settings": json.dumps(_render_settings(spec).to_dict(), sort_keys=True),
            "projection": json.dumps(_projection_attrs(spec), sort_keys=True),
            "n_skipped": len(skipped),
            "skipped_ids": json.dumps(skipped),
            "igbench_version": _package_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        attrs.update(extra_attrs or {})
        for k, v in attrs.items():
            f.attrs[k] = v


# -- the job --------------------------------------------------------------------------------------
@dataclass
class RenderSummary:
    path: Path
    models: int
    images: int
    skipped: int
    rendered_parts: int
    reused_parts: int
    seconds: float
    skipped_ids: list = field(default_factory=list)

    def format(self) -> str:
        return (
            f"wrote {self.path}: {self.models} models, {self.images} images, {self.skipped} skipped; "
            f"{self.rendered_parts} parts rendered, {self.reused_parts} reused; {self.seconds:.1f} s"
        )


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"i/n"`` -> (i, n) with 0 <= i < n."""
    if text is None:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise DatasetError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise DatasetError(f"--shard {text}: need 0 <= i < n")
    return i, n


def render_dataset(
    spec: DatasetSpec,
    out: str | Path | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    shard: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    source=None,
) -> RenderSummary:
    """Render (or resume rendering) a dataset; returns a summary.

    ``progress(models_done, models_total)`` is called as parts finish. Existing complete output is
    refused unless ``overwrite``; an existing partial run with the same spec is resumed; a partial
    run with a different spec is refused.
    """
    from .pool import RenderPool
    from .sources.registry import get_source

    t0 = time.perf_counter()
    out = Path(out) if out is not None else spec.default_path()
    if shard is not None:
        out = out.with_name(f"{out.stem}.shard{shard[0]}of{shard[1]}{out.suffix}")
    parts_dir = _parts_dir(out)
    if out.exists() and not overwrite:
        raise DatasetError(f"{out} already exists; pass --overwrite to replace it")
    if overwrite and parts_dir.exists():
        shutil.rmtree(parts_dir)
    source = source or get_source(spec.source)
    plan = make_plan(spec, source)
    wanted = [i for i in range(plan.n_parts) if shard is None or i % shard[1] == shard[0]]
    if not wanted:
        raise DatasetError(
            f"--shard {shard[0]}/{shard[1]}: the dataset has {plan.n_parts} part(s) of "
            f"{PART_SIZE} models, so at most {plan.n_parts} shard(s)"
        )
    _claim_parts_dir(parts_dir, spec)

    missing = [i for i in wanted if not _part_path(parts_dir, i).exists()]
    total = sum(len(plan.part(i)[0]) for i in wanted)
    done = total - sum(len(plan.part(i)[0]) for i in missing)
    if progress:
        progress(done, total)
    if missing:
        tasks = [(spec.to_json(), *plan.part(i)) for i in missing]
        with RenderPool(_render_settings(spec), workers=workers) as pool:
            for index, part in zip(missing, pool.imap_fn(_render_part, tasks), strict=True):
                _save_part(_part_path(parts_dir, index), part)
                done += len(plan.part(index)[0])
                if progress:
                    progress(done, total)
    parts = [_load_part(_part_path(parts_dir, i)) for i in wanted]
    extra = {"shard": f"{shard[0]}/{shard[1]}", "shard_parts": np.array(wanted)} if shard else None
    if overwrite and out.exists():
        out.unlink()
    _write_h5(out, spec, parts, extra)
    shutil.rmtree(parts_dir)
    skipped = [s for p in parts for s in p["skipped"]]
    return RenderSummary(
        path=out,
        models=sum(len(p["model_ids"]) for p in parts),
        images=sum(len(p["images"]) for p in parts),
        skipped=len(skipped),
        rendered_parts=len(missing),
        reused_parts=len(wanted) - len(missing),
        seconds=time.perf_counter() - t0,
        skipped_ids=skipped,
    )


def _claim_parts_dir(parts_dir: Path, spec: DatasetSpec) -> None:
    """Create the parts folder for this spec, or check that an existing one belongs to it."""
    marker = parts_dir / "spec.json"
    wanted = {"spec": json.loads(spec.to_json()), "part_size": PART_SIZE}
    if parts_dir.exists():
        try:
            existing = json.loads(marker.read_text())
        except (OSError, ValueError):
            existing = None
        if existing != wanted:
            raise DatasetError(
                f"{parts_dir} holds a partial render made with different arguments; rerun the "
                "command that started it to resume, or pass --overwrite to start over"
            )
        return
    parts_dir.mkdir(parents=True)
    with atomic_path(marker) as tmp:
        tmp.write_text(json.dumps(wanted, sort_keys=True))


# -- reading ------------------------------------------------------------------------------------------
_REQUIRED = {
    "images": (np.uint8, 3),
    "azimuth": (np.float32, 1),
    "elevation": (np.float32, 1),
    "model_index": (np.int32, 1),
    "voxels": (np.uint8, 2),
    "model_position": (np.int32, 1),
}


def validate(f: h5py.File, name: str) -> dict:
    """Check a dataset file's schema; returns its spec dict. Raises DatasetError naming the problem."""
    if f.attrs.get("format") != FORMAT:
        raise DatasetError(
            f"{name}: not an igbench dataset (attribute 'format' is {f.attrs.get('format')!r})"
        )
    version = int(f.attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise DatasetError(
            f"{name}: format version {version}; this igbench reads version {FORMAT_VERSION}"
        )
    for key, (dtype, ndim) in _REQUIRED.items():
        if key not in f:
            raise DatasetError(f"{name}: missing dataset '{key}'")
        ds = f[key]
        if ds.dtype != dtype or ds.ndim != ndim:
            raise DatasetError(
                f"{name}: '{key}' is {ds.dtype} with {ds.ndim} dims, expected {np.dtype(dtype)} with {ndim}"
            )
    n = f["images"].shape[0]
    for key in ("azimuth", "elevation", "model_index"):
        if f[key].shape[0] != n:
            raise DatasetError(f"{name}: '{key}' has {f[key].shape[0]} rows for {n} images")
    res = int(f.attrs["resolution"])
    if f["images"].shape[1:] != (res, res):
        raise DatasetError(
            f"{name}: images are {f['images'].shape[1:]}, attributes say {res}x{res}"
        )
    nvox = int(f.attrs["voxel_res"])
    if f["voxels"].shape[1] != math.ceil(nvox**3 / 8):
        raise DatasetError(f"{name}: voxel rows do not match voxel_res {nvox}")
    m = f["voxels"].shape[0]
    if n and m and (f["model_index"][:].max() >= m or f["model_index"][:].min() < 0):
        raise DatasetError(f"{name}: model_index points outside the {m} stored models")
    return json.loads(f.attrs["spec"])


class ImageDataset:
    """Images of a dataset file for training: ``ds[i] -> (1, H, W) float32 tensor in [-1, 1]``.

    The HDF5 handle is opened lazily in each process (DataLoader workers each get their own), and
    the schema is validated on construction.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise DatasetError(f"{self.path}: no such dataset file")
        try:
            with h5py.File(self.path, "r") as f:
                self.spec = DatasetSpec(**validate(f, str(self.path)))
                self._len = f["images"].shape[0]
                self.n_models = f["voxels"].shape[0]
                self.attrs = {
                    k: (v.item() if hasattr(v, "item") and np.ndim(v) == 0 else v)
                    for k, v in f.attrs.items()
                }
        except OSError as exc:
            raise DatasetError(f"{self.path}: not a readable HDF5 file ({exc})") from exc
        self._file = None
        self._pid = None

    @property
    def resolution(self) -> int:
        return self.spec.resolution

    @property
    def voxel_res(self) -> int:
        return self.spec.voxel_res

    @property
    def channels(self) -> int:
        return 1

    def __len__(self) -> int:
        return self._len

    def _h5(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._file

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_file"] = None
        return state

    def image(self, index: int) -> np.ndarray:
        """``(H, W)`` uint8."""
        return self._h5()["images"][index]

    def __getitem__(self, index: int):
        import torch

        return torch.from_numpy(self.image(index)).float().div_(127.5).sub_(1.0).unsqueeze(0)

    def view(self, index: int) -> tuple[float, float]:
        f = self._h5()
        return float(f["azimuth"][index]), float(f["elevation"][index])

    def voxels(self, model: int) -> np.ndarray:
        """The model's ``(N, N, N)`` bool grid."""
        n = self.voxel_res
        return np.unpackbits(self._h5()["voxels"][model], count=n**3).astype(bool).reshape(n, n, n)

    def fresh_views(self, model: int, epoch: int) -> np.ndarray:
        """``(views, 2)`` (azimuth, elevation) of a model in an epoch (``unlimited`` and ``lvp``
        modes draw a fresh one per epoch; epoch 0's are the stored views)."""
        pos = int(self._h5()["model_position"][model])
        return views_for(self.spec, pos, epoch)

    def render_settings(self):
        """The off-the-shelf renderer settings the dataset's images were made with, to render
        more images like them: :class:`~shapenet_render.renderer.RenderSettings` (OpenGL; also
        what a projection dataset stores) or Mitsuba's
        :class:`~shapenet_render.mitsuba_renderer.MitsubaSettings`."""
        from .renderer import RenderSettings
        from .renderers import settings_from_dict

        raw = self.attrs.get("render_settings")
        if not raw:
            return RenderSettings(resolution=self.resolution)
        try:
            return settings_from_dict(json.loads(raw))
        except (TypeError, ValueError) as exc:
            raise DatasetError(
                f"{self.path}: render settings {raw} are not understood by this igbench ({exc})"
            ) from exc

    def opengl_settings(self):
        """OpenGL render settings at the dataset's image size: its own when its images are OpenGL
        renders, else the default ones (what evaluation renders real and generated shapes with,
        so that every run of a category meets the same real images)."""
        from .renderers import opengl_settings

        return opengl_settings(self.render_settings())


def content_digest(path: str | Path) -> str:
    """A digest of every dataset and attribute except ``created`` (for determinism checks)."""
    crc = 0
    with h5py.File(path, "r") as f:
        for key in sorted(f.keys()):
            crc = zlib.crc32(key.encode(), crc)
            crc = zlib.crc32(
                np.ascontiguousarray(f[key][:]).tobytes()
                if f[key].dtype != object
                else "|".join(map(str, f[key][:])).encode(),
                crc,
            )
        for key in sorted(f.attrs.keys()):
            if key == "created":
                continue
            crc = zlib.crc32(f"{key}={f.attrs[key]!r}".encode(), crc)
    return f"{crc:08x}"
