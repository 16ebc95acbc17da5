"""`igbench bench train`: where an IG-GAN iteration's time goes, what overlapping the
off-the-shelf renders saves, and what overlapping the R step's forward pass with the G step saves.

For each preset at batch 8 it reports

* component costs (forward + backward, one process, the preset's torch threads): G, the view
  transform, RenderNet R, D -- each measured alone on the shapes an iteration feeds it;
* the off-the-shelf render time of one batch of x_d through the pool (what the naive loop waits);
* short real training runs, alternating the serial iteration (``overlap_r=False``) with ours
  (``overlap_r=True``: the R step split over two threads, its x_d forward beside the G step), each
  run's seconds per iteration and the share spent waiting on renders, and their ratio. Both runs
  start from the same seed and compute the same losses (the tests check them and the gradient),
  so only the time differs.

"naive" is the same loop rendering R_d(x_d) synchronously instead of overlapping it with the G step:
its iteration costs ours minus our wait plus the full render time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from iggan.config import ConfigError
from iggan.config import preset as train_preset
from iggan.networks import Discriminator, Generator3D, RenderNet
from iggan.rundir import timing_summary
from iggan.training import train
from shapenet_render.dataset import ImageDataset, make_spec, render_dataset
from shapenet_render.pool import RenderItem, open_render_pool
from shapenet_render.projection import view_transform


def _time(fn, repeats: int) -> float:
    fn()  # warm-up (allocations, lazy init)
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


@dataclass
class TrainBench:
    preset: str
    batch: int
    components: dict[str, float]
    render_batch: float
    iteration: float
    """Seconds per iteration of our loop (the mean of its runs)."""
    render_wait: float
    """Seconds per iteration our loop waited on renders."""
    serial: float
    """Seconds per iteration of the serial loop (``overlap_r=False``; the mean of its runs)."""
    runs: dict[str, list[float]] = field(default_factory=dict)
    """``ours`` / ``serial`` -> seconds per iteration of each run, in the order they ran."""
    overrides: tuple[tuple[str, object], ...] = ()
    renderer: str = "opengl"
    """The off-the-shelf renderer R_d (``opengl`` or ``mitsuba``)."""

    def format(self) -> str:
        c = self.components
        p = f"[{self.preset}]" if self.renderer == "opengl" else f"[{self.preset}, {self.renderer}]"
        naive_iter = self.iteration - self.render_wait + self.render_batch

        def runs(name: str) -> str:
            return ", ".join(f"{t:.3f}" for t in self.runs.get(name, []))

        return "\n".join(
            [
                *(
                    [f"{p} set " + ", ".join(f"{k}={v}" for k, v in self.overrides)]
                    if self.overrides
                    else []
                ),
                f"{p} batch {self.batch}: component fwd+bwd seconds: "
                + ", ".join(f"{k} {v:.3f}" for k, v in c.items()),
                f"{p} off-the-shelf render of one batch (pool): {self.render_batch:.3f} s",
                f"{p} serial iteration (overlap_r off): {self.serial:.3f} s/iteration "
                f"(runs: {runs('serial')})",
                f"{p} ours (R step's forward beside the G step): {self.iteration:.3f} s/iteration "
                f"(runs: {runs('ours')}), waiting on renders {self.render_wait:.3f} s = "
                f"{100 * self.render_wait / self.iteration:.1f} % of the iteration",
                f"{p} serial/ours iteration time: {self.serial / self.iteration:.2f}x",
                f"{p} naive (synchronous renders): {naive_iter:.3f} s/iteration, "
                f"render share {100 * self.render_batch / naive_iter:.1f} %",
                f"{p} naive/ours iteration time: {naive_iter / self.iteration:.2f}x",
            ]
        )


#: TrainConfig fields that ``bench_train`` sets itself, so ``--set`` may not.
_BENCH_FIELDS = {
    "batch_size": "use --batch",
    "iterations": "use --iterations",
    "device": "the benchmark runs on cpu",
    "renderer_init": "components start from random weights",
    "data": "the benchmark renders its own",
    "log_every": "every iteration is timed",
    "sample_every": "no sample grids",
    "checkpoint_every": "one checkpoint at the end",
    "overlap_r": "the benchmark times the loop both ways",
}


def bench_train(
    preset: str = "cpu",
    batch: int = 8,
    iterations: int = 12,
    overrides: tuple[tuple[str, object], ...] = (),
    repeats: int = 1,
    renderer: str = "opengl",
) -> TrainBench:
    """Measure one preset (``cpu`` or ``paper``; ``paper`` on a CPU is slow: use few iterations),
    with ``overrides`` ((field, value) pairs) replacing its TrainConfig fields, except those the
    benchmark sets itself (:class:`ConfigError` naming the field). ``repeats`` training runs of
    each loop, serial and ours alternating. ``renderer``: R_d, the off-the-shelf renderer of the
    benchmark's dataset (``opengl`` or ``mitsuba``)."""
    for name, _ in overrides:
        if name in _BENCH_FIELDS:
            raise ConfigError(f"{name}: set by the benchmark itself ({_BENCH_FIELDS[name]})")
    cfg = train_preset(
        preset, batch_size=batch, device="cpu", renderer_init=None, **dict(overrides)
    )
    threads = torch.get_num_threads()
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    try:
        components = _components(cfg, batch, reps=3 if preset == "cpu" else 1)
    finally:
        torch.set_num_threads(threads)
    n = cfg.voxel_res
    runs: dict[str, list[float]] = {"serial": [], "ours": []}
    waits: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        spec = make_spec("cubes", "one-per-model", preset, max_models=4 * batch, renderer=renderer)
        ds = render_dataset(spec, out=Path(tmp) / "data.h5", workers=cfg.render_workers or 1)
        data = ds.path
        pool = open_render_pool(ImageDataset(data).render_settings(), cfg.render_workers, n)
        grids = (torch.rand(batch, n, n, n) > 0.7).numpy()
        az, el = torch.rand(batch) * 360, torch.rand(batch) * 90 - 30
        items = [
            RenderItem.voxels(gr, float(a), float(e))
            for gr, a, e in zip(grids, az, el, strict=True)
        ]
        render_batch = _time(lambda: pool.render(items), 3)
        pool.close()
        base = replace(
            cfg,
            data=str(data),
            iterations=iterations,
            log_every=1,
            sample_every=0,
            checkpoint_every=iterations,
        )
        for r in range(repeats):
            for name, overlap in (("serial", False), ("ours", True)):
                run_dir = Path(tmp) / f"run-{name}-{r}"
                train(replace(base, overlap_r=overlap), run_dir, progress=False)
                summary = timing_summary(run_dir, skip=1)
                runs[name].append(summary["t_iter"])
                if overlap:
                    waits.append(summary["t_render_wait"])
    return TrainBench(
        preset,
        batch,
        components,
        render_batch,
        statistics.mean(runs["ours"]),
        statistics.mean(waits),
        statistics.mean(runs["serial"]),
        runs,
        tuple(overrides),
        renderer,
    )


def _components(cfg, batch: int, reps: int) -> dict[str, float]:
    """Forward + backward seconds of G, the view transform, R and D alone at ``cfg``'s sizes."""
    n, res, m = cfg.voxel_res, cfg.image_res, cfg.view_volume_res
    g = Generator3D(n, cfg.z_dim, cfg.g_channels, out_bias_init=cfg.g_out_bias)
    r = RenderNet(m, res, cfg.r_channels_3d, cfg.r_channels_2d, cfg.r_downsample)
    d = Discriminator(res, cfg.d_channels)
    z = torch.randn(batch, cfg.z_dim)
    vol = torch.rand(batch, 1, n, n, n, requires_grad=True)
    cam = torch.rand(batch, 1, m, m, m, requires_grad=True)
    img = torch.rand(batch, 1, res, res, requires_grad=True)
    az, el = torch.rand(batch) * 360, torch.rand(batch) * 90 - 30
    return {
        "G": _time(lambda: g(z).sum().backward(), reps),
        "view_transform": _time(
            lambda: view_transform(vol, az, el, out_res=m).sum().backward(), reps
        ),
        "R": _time(lambda: r(cam).sum().backward(), reps),
        "D": _time(lambda: d(img).sum().backward(), reps),
    }


def format_all(results: list[TrainBench]) -> str:
    return "\n".join(r.format() for r in results)


__all__ = ["TrainBench", "bench_train", "format_all"]
