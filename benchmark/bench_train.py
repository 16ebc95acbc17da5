"""`igbench bench train`: where an IG-GAN iteration's time goes, and what overlapping the
off-the-shelf renders saves.

For each preset at batch 8 it reports

* component costs (forward + backward, one process, the preset's torch threads): G, the view
  transform, RenderNet R, D -- each measured alone on the shapes an iteration feeds it; R also
  under bfloat16 autocast (``r_bfloat16``), with the float32/bfloat16 ratio;
* the off-the-shelf render time of one batch of x_d through the pool (what the naive loop waits);
* a short real training run: seconds per iteration and the share of it spent waiting on renders.

"naive" is the same loop rendering R_d(x_d) synchronously instead of overlapping it with the G step:
its iteration costs ours minus our wait plus the full render time.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from iggan.config import ConfigError
from iggan.config import preset as train_preset
from iggan.networks import Discriminator, Generator3D, RenderNet
from iggan.training import open_render_pool, timing_summary, train
from shapenet_render.dataset import make_spec, render_dataset
from shapenet_render.pool import RenderItem
from shapenet_render.projection import view_transform
from shapenet_render.renderer import RenderSettings


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
    render_wait: float
    r_bfloat16: float  # R's forward + backward under bfloat16 autocast (components["R"]: float32)
    overrides: tuple[tuple[str, object], ...] = ()

    def format(self) -> str:
        c = self.components
        naive_iter = self.iteration - self.render_wait + self.render_batch
        lines = [
            *(
                [f"[{self.preset}] set " + ", ".join(f"{k}={v}" for k, v in self.overrides)]
                if self.overrides
                else []
            ),
            f"[{self.preset}] batch {self.batch}: component fwd+bwd seconds: "
            + ", ".join(f"{k} {v:.3f}" for k, v in c.items()),
            f"[{self.preset}] R fwd+bwd float32 {c['R']:.3f} s, under bfloat16 autocast "
            f"{self.r_bfloat16:.3f} s: float32/bfloat16 {c['R'] / self.r_bfloat16:.2f}x",
            f"[{self.preset}] off-the-shelf render of one batch (pool): {self.render_batch:.3f} s",
            f"[{self.preset}] training loop: {self.iteration:.3f} s/iteration, waiting on renders "
            f"{self.render_wait:.3f} s = {100 * self.render_wait / self.iteration:.1f} % of the iteration",
            f"[{self.preset}] naive (synchronous renders): {naive_iter:.3f} s/iteration, "
            f"render share {100 * self.render_batch / naive_iter:.1f} %",
            f"[{self.preset}] naive/ours iteration time: {naive_iter / self.iteration:.2f}x",
        ]
        return "\n".join(lines)


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
}


def bench_train(
    preset: str = "cpu",
    batch: int = 8,
    iterations: int = 12,
    overrides: tuple[tuple[str, object], ...] = (),
) -> TrainBench:
    """Measure one preset (``cpu`` or ``paper``; ``paper`` on a CPU is slow: use few iterations),
    with ``overrides`` ((field, value) pairs) replacing its TrainConfig fields, except those the
    benchmark sets itself (:class:`ConfigError` naming the field)."""
    for name, _ in overrides:
        if name in _BENCH_FIELDS:
            raise ConfigError(f"{name}: set by the benchmark itself ({_BENCH_FIELDS[name]})")
    cfg = train_preset(
        preset, batch_size=batch, device="cpu", renderer_init=None, **dict(overrides)
    )
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    n, res, m = cfg.voxel_res, cfg.image_res, cfg.view_volume_res
    g = Generator3D(n, cfg.z_dim, cfg.g_channels, out_bias_init=cfg.g_out_bias)
    r = RenderNet(m, res, cfg.r_channels_3d, cfg.r_channels_2d, cfg.r_downsample)
    d = Discriminator(res, cfg.d_channels)
    z = torch.randn(batch, cfg.z_dim)
    vol = torch.rand(batch, 1, n, n, n, requires_grad=True)
    cam = torch.rand(batch, 1, m, m, m, requires_grad=True)
    img = torch.rand(batch, 1, res, res, requires_grad=True)
    az, el = torch.rand(batch) * 360, torch.rand(batch) * 90 - 30
    reps = 3 if preset == "cpu" else 1
    components = {
        "G": _time(lambda: g(z).sum().backward(), reps),
        "view_transform": _time(
            lambda: view_transform(vol, az, el, out_res=m).sum().backward(), reps
        ),
        "R": _time(lambda: r(cam).sum().backward(), reps),
        "D": _time(lambda: d(img).sum().backward(), reps),
    }

    def r_bf16():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = r(cam).float()
        out.sum().backward()

    r_bfloat16 = _time(r_bf16, reps)
    with tempfile.TemporaryDirectory() as tmp:
        spec = make_spec("cubes", "one-per-model", preset, max_models=4 * batch)
        data = render_dataset(spec, out=Path(tmp) / "data.h5", workers=cfg.render_workers or 1).path
        pool = open_render_pool(RenderSettings(resolution=res), cfg.render_workers, n)
        grids = (torch.rand(batch, n, n, n) > 0.7).numpy()
        items = [
            RenderItem.voxels(gr, float(a), float(e))
            for gr, a, e in zip(grids, az, el, strict=True)
        ]
        render_batch = _time(lambda: pool.render(items), 3)
        pool.close()
        run_cfg = replace(
            cfg,
            data=str(data),
            iterations=iterations,
            log_every=1,
            sample_every=0,
            checkpoint_every=iterations,
        )
        train(run_cfg, Path(tmp) / "run", progress=False)
        summary = timing_summary(Path(tmp) / "run", skip=1)
    return TrainBench(
        preset,
        batch,
        components,
        render_batch,
        summary["t_iter"],
        summary["t_render_wait"],
        r_bfloat16,
        tuple(overrides),
    )


def format_all(results: list[TrainBench]) -> str:
    return "\n".join(r.format() for r in results)


__all__ = ["TrainBench", "bench_train", "format_all"]
