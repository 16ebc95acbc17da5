"""`igbench bench dataset`: `render --mode one-per-model` against a naive single-process loop.

Ours: :func:`shapenet_render.dataset.render_dataset` with the default workers (each worker loads,
voxelizes and renders whole parts with its persistent renderer), including writing the HDF5 file.
Naive: one process; per model load the mesh, voxelize it, then a new pyrender ``Scene`` and
``OffscreenRenderer`` per image (the naive renderer of ``bench_render``), images kept in a list.
The naive loop runs in a child process (deleting renderers breaks live ones under EGL).
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shapenet_render import gl
from shapenet_render.dataset import make_plan, make_spec, render_dataset, views_for
from shapenet_render.pool import RenderItem, default_workers
from shapenet_render.sources.registry import get_source


def _naive_loop(spec_json: str, queue) -> None:
    import json

    from benchmark.experiments.bench_render import _naive_worker
    from shapenet_render.dataset import DatasetSpec
    from shapenet_render.renderer import RenderSettings
    from shapenet_render.voxelize import voxelize

    try:
        spec = DatasetSpec(**json.loads(spec_json))
        source = get_source(spec.source)
        plan = make_plan(spec, source)
        settings = RenderSettings(resolution=spec.resolution)
        inner = _ListQueue()
        t0 = time.perf_counter()
        for model_id, pos in zip(plan.model_ids, plan.positions, strict=True):
            grid = voxelize(source.load(spec.category, model_id), spec.voxel_res)
            items = [RenderItem.voxels(grid, az, el) for az, el in views_for(spec, pos)]
            _naive_worker(items, settings, gl.requested_backend(), inner)
        queue.put(("ok", time.perf_counter() - t0, len(plan.model_ids)))
    except Exception as exc:
        queue.put(("error", f"{type(exc).__name__}: {exc}", 0))


class _ListQueue:
    """Collects what ``_naive_worker`` reports, so it can run inline."""

    def __init__(self):
        self.items = []

    def put(self, x):
        if x[0] != "ok":
            raise RuntimeError(x[1])
        self.items.append(x)


@dataclass
class DatasetBench:
    models: int
    ours_seconds: float
    naive_seconds: float
    naive_models: int
    workers: int
    label: str
    steady_models_per_s: float

    def format(self) -> str:
        ours = self.models / self.ours_seconds
        naive = self.naive_models / self.naive_seconds
        return "\n".join(
            [
                f"dataset benchmark: {self.label}, workers = {self.workers}",
                f"ours  (render_dataset, incl. HDF5): {self.models} models in {self.ours_seconds:.1f} s = {ours:.1f} models/s",
                f"naive (1 process, renderer per image): {self.naive_models} models in {self.naive_seconds:.1f} s = {naive:.2f} models/s",
                f"ours, steady state (after worker start-up): {self.steady_models_per_s:.1f} models/s",
                f"ours/naive, steady state: {self.steady_models_per_s / naive:.1f}x",
                f"ours/naive: {ours / naive:.1f}x",
            ]
        )


def bench_dataset(
    category: str = "chair",
    n_models: int = 300,
    naive_models: int = 60,
    preset: str = "paper",
    workers: int | None = None,
) -> DatasetBench:
    """Time ours on ``n_models`` and the naive loop on the first ``naive_models`` of them."""
    workers = workers or default_workers()
    spec = make_spec(category, "one-per-model", preset, max_models=n_models)
    marks: list[tuple[float, int]] = []

    def progress(done: int, total: int) -> None:
        marks.append((time.perf_counter(), done))

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render_dataset(spec, out=Path(tmp) / "ours.h5", workers=workers, progress=progress)
        ours = time.perf_counter() - t0
    # Steady state: from the first finished part to the last (worker start-up and the first
    # part's latency excluded; the final HDF5 assembly is excluded too).
    started = [m for m in marks if m[1] > 0]
    steady = (started[-1][1] - started[0][1]) / (started[-1][0] - started[0][0])
    naive_spec = make_spec(category, "one-per-model", preset, max_models=naive_models)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_naive_loop, args=(naive_spec.to_json(), queue))
    proc.start()
    status, seconds, count = queue.get()
    proc.join()
    if status != "ok":
        raise RuntimeError(f"naive loop failed: {seconds}")
    label = f"{category} one-per-model, {spec.voxel_res}^3 -> {spec.resolution}^2 ({preset})"
    return DatasetBench(n_models, ours, seconds, count, workers, label, steady)
