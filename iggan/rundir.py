"""A training run's directory: its saved config, its log (JSON lines, and TensorBoard when the
package is installed) and the timings read back from the log. The layout is described in
:mod:`iggan.training`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from shapenet_render.io_utils import atomic_path

from .config import TrainConfig
from .sample import SAMPLE_THRESHOLD


class RunDirError(ValueError):
    """A folder that is not a training run's directory."""


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The config saved in a run directory (for ``--resume`` and ``igbench sample``)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise RunDirError(f"{run_dir}: not a run directory (no config.json)")
    return TrainConfig.from_dict(json.loads(path.read_text()))


class RunLog:
    """JSON-lines log (and TensorBoard scalars when tensorboard is installed), process 0 only."""

    def __init__(self, run_dir: Path, start: int, enabled: bool):
        self.path = run_dir / "log.jsonl"
        self.enabled = enabled
        self._tb = None
        if not enabled:
            return
        if self.path.exists():
            # Resuming: drop records past the checkpoint we continue from, and partial windows
            # (the resumed run logs them whole).
            keep = []
            for line in self.path.read_text().splitlines():
                rec = json.loads(line) if line.strip() else None
                if rec and rec.get("iteration", 0) <= start and not rec.get("partial"):
                    keep.append(line)
            with atomic_path(self.path) as tmp:
                tmp.write_text("".join(line + "\n" for line in keep))
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(run_dir / "tensorboard"), purge_step=start + 1)
        except ImportError:  # optional dependency
            self._tb = None

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
        if self._tb is not None and "iteration" in record:
            for k, v in record.items():
                if isinstance(v, float | int) and k != "iteration":
                    self._tb.add_scalar(k, v, record["iteration"])

    def image(self, tag: str, grid: np.ndarray, iteration: int) -> None:
        """A (H, W) uint8 image (a sample grid) into TensorBoard, when it is installed."""
        if self.enabled and self._tb is not None:
            self._tb.add_image(tag, np.asarray(grid, np.uint8), iteration, dataformats="HW")

    def meshes(self, tag: str, volumes: np.ndarray, iteration: int) -> None:
        """Samples ((n, N, N, N) occupancies) as TensorBoard meshes, their marching-cubes surface
        at the sample grids' threshold (tags ``<tag>/mesh_<i>``; an empty sample is skipped)."""
        if not (self.enabled and self._tb is not None):
            return
        from .sample import volume_to_mesh

        for i, vol in enumerate(volumes):
            mesh = volume_to_mesh(vol, SAMPLE_THRESHOLD)
            if mesh is None:
                continue
            v = np.asarray(mesh.vertices, np.float32)[None]
            f = np.asarray(mesh.faces, np.int32)[None]
            self._tb.add_mesh(f"{tag}/mesh_{i}", vertices=v, faces=f, global_step=iteration)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def read_log(run_dir: str | Path) -> list[dict[str, Any]]:
    """The records of a run's log.jsonl."""
    path = Path(run_dir) / "log.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def timing_summary(run_dir: str | Path, skip: int = 1) -> dict[str, float]:
    """Mean phase timings (seconds) over a run's log records after the first ``skip``."""
    records = [r for r in read_log(run_dir) if "t_iter" in r][skip:]
    if not records:
        return {}
    keys = [k for k in records[0] if k.startswith("t_")]
    out = {k: float(np.mean([r[k] for r in records])) for k in keys}
    out["render_wait_share"] = out["t_render_wait"] / out["t_iter"]
    return out
