"""What is done with finished dataset files: merging the shards of a sharded render into one file
(:func:`merge_shards`, ``igbench render merge``) and summarising a file (:func:`info`,
``igbench info``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from .dataset import (
    FORMAT,
    PART_SIZE,
    DatasetError,
    DatasetSpec,
    ImageDataset,
    RenderSummary,
    _write_h5,
    make_plan,
)


def merge_shards(paths: list[str | Path], out: str | Path) -> RenderSummary:
    """Join shard files (from ``--shard i/n``) into the file an unsharded run writes."""
    t0 = time.perf_counter()
    out = Path(out)
    if out.exists():
        raise DatasetError(f"{out} already exists; remove it first")
    specs, shards, parts_by_index = set(), set(), {}
    for p in paths:
        with h5py.File(p, "r") as f:
            if "shard" not in f.attrs:
                raise DatasetError(f"{p}: not a shard file (no 'shard' attribute)")
            specs.add(f.attrs["spec"])
            shards.add(int(str(f.attrs["shard"]).split("/")[1]))
            part_indices = [int(i) for i in f.attrs["shard_parts"]]
        for index, part in zip(part_indices, _split_parts(p), strict=True):
            if index in parts_by_index:
                raise DatasetError(f"{p}: part {index} appears in more than one shard")
            parts_by_index[index] = part
    if len(specs) != 1 or len(shards) != 1:
        raise DatasetError(
            "shards come from different render commands (spec or shard count differ)"
        )
    spec = DatasetSpec(**json.loads(specs.pop()))
    from .sources.registry import get_source

    n_parts = make_plan(spec, get_source(spec.source)).n_parts
    missing = sorted(set(range(n_parts)) - set(parts_by_index))
    if missing:
        raise DatasetError(f"cannot merge: parts {missing[:10]} are in none of the given shards")
    parts = [parts_by_index[i] for i in range(n_parts)]
    _write_h5(out, spec, parts)
    return RenderSummary(
        out,
        sum(len(p["model_ids"]) for p in parts),
        sum(len(p["images"]) for p in parts),
        sum(len(p["skipped"]) for p in parts),
        0,
        n_parts,
        time.perf_counter() - t0,
    )


def _split_parts(path) -> Iterator[dict]:
    """Re-split a shard file into its parts (each PART_SIZE models of the plan, minus skips)."""
    with h5py.File(path, "r") as f:
        spec = DatasetSpec(**json.loads(f.attrs["spec"]))
        pos = f["model_position"][:]
        ids = [s.decode() if isinstance(s, bytes) else s for s in f["model_ids"][:]]
        vox = f["voxels"][:]
        img = f["images"][:]
        az, el = f["azimuth"][:], f["elevation"][:]
        mi = f["model_index"][:]
        skipped = json.loads(f.attrs["skipped_ids"])
        part_indices = [int(i) for i in f.attrs["shard_parts"]]
    from .sources.registry import get_source

    plan = make_plan(spec, get_source(spec.source))
    plan_index = {int(p): k // PART_SIZE for k, p in enumerate(plan.positions)}
    model_part = np.array([plan_index[int(p)] for p in pos], dtype=np.int64)
    skipped_part = {}
    id_to_part = {mid: k // PART_SIZE for k, mid in enumerate(plan.model_ids)}
    for s in skipped:
        skipped_part.setdefault(id_to_part[s[0]], []).append(tuple(s))
    for index in part_indices:
        rows = np.flatnonzero(model_part == index)
        img_rows = np.flatnonzero(np.isin(mi, rows))
        remap = {int(r): k for k, r in enumerate(rows)}
        yield {
            "model_ids": [ids[r] for r in rows],
            "positions": pos[rows].astype(np.int64),
            "voxels": vox[rows],
            "images": img[img_rows],
            "views": np.stack([az[img_rows], el[img_rows]], 1),
            "image_model": np.array([remap[int(m)] for m in mi[img_rows]], dtype=np.int32),
            "skipped": skipped_part.get(index, []),
        }


def info(path: str | Path) -> str:
    """A human-readable summary of a dataset file."""
    ds = ImageDataset(path)
    a = ds.attrs
    lines = [
        f"{ds.path}",
        f"  {FORMAT} v{a['format_version']}, igbench {a['igbench_version']}, created {a['created']}",
        f"  source {a['source']}, category {a['category']}, mode {a['mode']}, renderer {a['renderer']}",
        f"  {len(ds)} images of {ds.resolution}x{ds.resolution}, {ds.n_models} models at {ds.voxel_res}^3, "
        f"{a['views_per_model']} view(s) per model, seed {a['seed']}",
        f"  azimuth {tuple(float(x) for x in a['azimuth_range'])}, elevation {tuple(float(x) for x in a['elevation_range'])}",
        f"  skipped models: {a['n_skipped']}",
        f"  render settings: {a['render_settings']}",
    ]
    if a.get("projection") and a["projection"] != "{}":
        lines.append(f"  projection: {a['projection']}")
    lines.append(f"  training: {_mode_training_text(a['mode'])}")
    f = ds._h5()
    lines.append("  contents:")
    for key in sorted(f.keys()):
        lines.append(f"    {key:<15}{str(f[key].shape):<22}{f[key].dtype}")
    if "shard" in a:
        lines.append(f"  shard {a['shard']} (merge with `igbench render merge`)")
    return "\n".join(lines)


def _mode_training_text(mode: str) -> str:
    """How training and evaluation use a dataset of this mode (``igbench info``)."""
    if mode == "unlimited":
        return (
            "fresh views every epoch (the stored images are epoch 0's), in the dataset's own "
            "image formation"
        )
    if mode == "lvp":
        return (
            "fresh views every epoch within the limited viewpoints (azimuth within 60 deg of the "
            "front, elevation 15-60; the stored images are epoch 0's), in the dataset's own image "
            "formation; generated samples are evaluated over 360 deg (paper, footnote 2)"
        )
    return "the stored images, reshuffled every epoch"
