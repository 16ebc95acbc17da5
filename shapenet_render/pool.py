"""A process pool of persistent renderers.

``render_many(items, workers=...)`` returns results in input order, identical to rendering the items
one by one in a single process (each worker owns one :class:`~shapenet_render.renderer.Renderer`
and the renderer is deterministic). Workers are started with ``spawn`` -- a GL context must never be
inherited through ``fork`` -- and choose the parent's GL backend through ``IGBENCH_GL``.

Failures: an exception inside a worker (a GL failure, a bad item) comes back to the parent as a
:class:`RenderError` carrying the worker's message; a worker that dies outright (a crash in the GL
driver) breaks the pool, which the parent reports as a :class:`RenderError` instead of hanging.
"""

from __future__ import annotations

import collections
import json
import multiprocessing as mp
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh

from . import gl
from .renderer import RenderResult, RenderSettings


class RenderError(RuntimeError):
    """Rendering failed, in this process or in a pool worker (the message says which and why)."""


@dataclass(frozen=True)
class RenderItem:
    """One image to render: a binary voxel grid or a mesh, seen from (azimuth, elevation).

    Voxel grids travel bit-packed (a 64^3 grid is 32 KiB instead of 256 KiB).
    """

    azimuth: float
    elevation: float
    packed: np.ndarray | None = None
    resolution: int = 0
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None

    @staticmethod
    def voxels(grid: np.ndarray, azimuth: float, elevation: float) -> RenderItem:
        """An item for a binary grid ``(N, N, N)`` bool."""
        from .voxmesh import check_grid

        occ = check_grid(grid)
        return RenderItem(float(azimuth), float(elevation), np.packbits(occ), occ.shape[0])

    @staticmethod
    def mesh(mesh: trimesh.Trimesh, azimuth: float, elevation: float) -> RenderItem:
        """An item for a normalised mesh."""
        return RenderItem(
            float(azimuth),
            float(elevation),
            vertices=np.asarray(mesh.vertices, dtype=np.float64),
            faces=np.asarray(mesh.faces, dtype=np.int64),
        )

    def grid(self) -> np.ndarray:
        n = self.resolution
        return np.unpackbits(self.packed, count=n**3).astype(bool).reshape(n, n, n)

    def render(self, renderer, outputs: Sequence[str]) -> RenderResult:
        if self.packed is not None:
            return renderer.render_voxels(self.grid(), self.azimuth, self.elevation, outputs)
        mesh = trimesh.Trimesh(self.vertices, self.faces, process=False)
        return renderer.render_mesh(mesh, self.azimuth, self.elevation, outputs)


# -- worker side ----------------------------------------------------------------------------------
_worker: dict = {}  # per-worker-process state: settings, backend, the lazily created renderer


def _init_worker(settings: RenderSettings, backend: str | None, lp_threads: int | None) -> None:
    if lp_threads:
        # Several llvmpipe contexts each spawning one thread per core would oversubscribe the CPU.
        os.environ.setdefault("LP_NUM_THREADS", str(lp_threads))
    _worker.update(settings=settings, backend=backend, renderer=None, threads=lp_threads)


def _render_chunk(items: list[RenderItem], outputs: tuple[str, ...]):
    """Render a chunk in a worker; returns ("ok", results) or ("error", message)."""
    try:
        renderer = _worker_renderer()
        return "ok", [item.render(renderer, outputs) for item in items]
    except Exception as exc:  # sent back to the parent with the worker's own message
        tb = traceback.format_exc(limit=3)
        return "error", f"{type(exc).__name__}: {exc}\n{tb}"


def _call_with_renderer(fn: Callable, args: list):
    """Run ``fn(get_renderer, arg)`` for each arg in a worker; errors come back as messages."""
    try:
        return "ok", [fn(_worker_renderer, a) for a in args]
    except Exception as exc:
        tb = traceback.format_exc(limit=3)
        return "error", f"{type(exc).__name__}: {exc}\n{tb}"


def _worker_renderer():
    """The worker's persistent renderer, created on first use."""
    if _worker.get("renderer") is None:
        from .renderers import make_renderer

        _worker["renderer"] = make_renderer(_worker["settings"], _worker["backend"])
        if _worker.get("threads") and hasattr(_worker["renderer"], "set_threads"):
            _worker["renderer"].set_threads(_worker["threads"])  # one per worker, as llvmpipe
    return _worker["renderer"]


# -- parent side ----------------------------------------------------------------------------------
def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class PendingRender:
    """Renders in flight (from :meth:`RenderPool.render_async`)."""

    def __init__(self, futures):
        self._futures = futures

    def done(self) -> bool:
        return all(f.done() for f in self._futures)

    def result(self) -> list[RenderResult]:
        out: list[RenderResult] = []
        for future in self._futures:
            out.extend(_unwrap(future))
        return out


def _unwrap(future):
    try:
        status, payload = future.result()
    except BrokenProcessPool as exc:
        raise RenderError(
            "a render worker died (likely a crash inside the OpenGL driver); "
            f"try IGBENCH_GL=osmesa or fewer workers ({exc})"
        ) from exc
    if status != "ok":
        raise RenderError(f"render worker failed: {payload}")
    return payload


class RenderPool:
    """Persistent worker processes, each with its own renderer. Use as a context manager.

    >>> with RenderPool(RenderSettings(resolution=64), workers=2) as pool:
    ...     results = pool.render(items)
    """

    def __init__(
        self,
        settings: RenderSettings | None = None,
        workers: int | None = None,
        backend: str | None = None,
        chunksize: int = 8,
        lp_threads: int | None = 1,
    ):
        self.settings = settings or RenderSettings()
        self.workers = workers or default_workers()
        self.backend = gl.requested_backend(backend)
        self.chunksize = max(1, int(chunksize))
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.settings, self.backend, lp_threads),
        )

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def imap(
        self, items: Iterable[RenderItem], outputs: Sequence[str] = ("image",), window: int = 0
    ) -> Iterator[RenderResult]:
        """Results in input order, streaming: at most ``window`` chunks are in flight."""
        return self._imap(_render_chunk, items, (tuple(outputs),), self.chunksize, window)

    def imap_fn(
        self, fn: Callable, args: Iterable, chunksize: int = 1, window: int = 0
    ) -> Iterator:
        """``fn(get_renderer, arg)`` for each arg, run in the workers, results in input order.

        ``fn`` must be a module-level function (it is pickled by reference); ``get_renderer()``
        returns the worker's persistent renderer. Used for jobs that do more than render (load,
        voxelize, render, project), so that all of that work runs in parallel.
        """
        return self._imap(_call_with_renderer, args, (fn,), chunksize, window, fn_first=True)

    def _imap(self, task, items, extra, chunksize, window, fn_first=False):
        window = window or 3 * self.workers
        pending: collections.deque = collections.deque()
        it = iter(items)

        def submit_next() -> bool:
            chunk = [x for _, x in zip(range(chunksize), it, strict=False)]
            if chunk:
                args = (*extra, chunk) if fn_first else (chunk, *extra)
                pending.append(self._executor.submit(task, *args))
            return bool(chunk)

        while len(pending) < window and submit_next():
            pass
        while pending:
            payload = _unwrap(pending.popleft())
            submit_next()
            yield from payload

    def render_async(
        self, items: Sequence[RenderItem], outputs: Sequence[str] = ("image",)
    ) -> PendingRender:
        """Start rendering and return at once; ``.result()`` waits and returns results in order.

        Lets a training loop overlap OpenGL work with network compute.
        """
        outputs = tuple(outputs)
        futures = [
            self._executor.submit(_render_chunk, list(items[i : i + self.chunksize]), outputs)
            for i in range(0, len(items), self.chunksize)
        ]
        return PendingRender(futures)

    def render(
        self, items: Sequence[RenderItem], outputs: Sequence[str] = ("image",)
    ) -> list[RenderResult]:
        """All results, in input order."""
        return list(self.imap(items, outputs))


def render_many(
    items: Sequence[RenderItem],
    settings: RenderSettings | None = None,
    workers: int | None = None,
    outputs: Sequence[str] = ("image",),
    backend: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[RenderResult]:
    """Render items with a pool of ``workers`` processes (default: one per core), in input order.

    ``workers=1`` renders in this process with its persistent renderer.
    """
    settings = settings or RenderSettings()
    workers = workers or default_workers()
    out: list[RenderResult] = []
    if workers == 1:
        from .mitsuba_renderer import MitsubaUnavailableError
        from .renderers import make_renderer

        try:
            renderer = make_renderer(settings, backend)
            for item in items:
                out.append(item.render(renderer, outputs))
                if progress:
                    progress(1)
        except (gl.GLUnavailableError, MitsubaUnavailableError):
            raise
        except Exception as exc:
            raise RenderError(f"render failed: {type(exc).__name__}: {exc}") from exc
        return out
    with RenderPool(settings, workers=workers, backend=backend) as pool:
        for result in pool.imap(items, outputs):
            out.append(result)
            if progress:
                progress(1)
    return out


def load_triton_before_gl() -> None:
    """Import triton before this process makes a GL context (see ``shapenet_render.gl``, which
    also does this before its first context; kept for callers that want it explicit)."""
    from shapenet_render.gl import _load_llvm_users_first

    _load_llvm_users_first()


class InlinePool:
    """The render pool's interface, rendering in this process when ``render_workers = 0``."""

    def __init__(self, settings: RenderSettings):
        from shapenet_render.renderers import make_renderer

        load_triton_before_gl()
        self._renderer = make_renderer(settings)

    def render(self, items):
        return [item.render(self._renderer, ("image",)) for item in items]

    def render_async(self, items):
        pool = self

        class _Pending:
            def result(self):  # rendered on demand: with no workers, all of it is waiting time
                return pool.render(items)

        return _Pending()

    def close(self):
        pass


def open_render_pool(settings: RenderSettings, workers: int, voxel_res: int = 16):
    """The render pool (or an in-process stand-in), with every worker started and its GL context
    made, so that start-up does not count as waiting in the first iteration."""
    if workers == 0:
        return InlinePool(settings)
    pool = RenderPool(settings, workers=workers)
    grid = np.zeros((voxel_res,) * 3, bool)
    grid[voxel_res // 2, voxel_res // 2, voxel_res // 2] = True
    # One single-item job per worker, all in flight at once: the executor starts a process for each.
    warm = [pool.render_async([RenderItem.voxels(grid, 0.0, 0.0)]) for _ in range(workers)]
    for job in warm:
        job.result()
    return pool


class RenderPools:
    """Render pools by settings, opened on first use (one per distinct settings) and closed
    together: the run's and the dataset's settings are normally equal, so one pool serves both."""

    def __init__(self, workers: int, voxel_res: int):
        self.workers, self.voxel_res = workers, voxel_res
        self._pools: dict[str, Any] = {}

    def get(self, settings):
        key = json.dumps([type(settings).__name__, settings.to_dict()], sort_keys=True)
        if key not in self._pools:
            load_triton_before_gl()
            self._pools[key] = open_render_pool(settings, self.workers, self.voxel_res)
        return self._pools[key]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def render_stream(
    pool,
    items: Iterable,
    total: int,
    progress: Callable[[str, int, int], None] | None,
    stage: str,
) -> np.ndarray:
    """``(total, H, W)`` uint8 renders of a lazy item stream (``progress(stage, done, total)``); a pool of processes keeps a bounded
    window of chunks in flight while the stream produces more (e.g. samples the generator)."""
    out: list[np.ndarray] = []
    if isinstance(pool, RenderPool):
        results: Iterator = pool.imap(items)
    else:  # in-process stand-in (workers = 0)
        results = (r for item in items for r in pool.render([item]))
    step = max(1, total // 100)
    for result in results:
        out.append(result.image)
        if progress is not None and (len(out) % step == 0 or len(out) == total):
            progress(stage, len(out), total)
    if len(out) != total:
        raise RuntimeError(f"rendered {len(out)} images, expected {total}")
    return np.stack(out)
