"""Checkpoints: state_dicts plus everything needed to resume exactly, written atomically.

A checkpoint is a plain dict of tensors and Python primitives, loaded with
``torch.load(..., weights_only=True)`` (no pickled code). Training checkpoints hold::

    format, version, igbench_version, kind ("train" | "renderer")
    iteration      iterations completed
    config         the resolved config (dict)
    modules        name -> state_dict      (G, D, R, ...)
    optimizers     name -> state_dict
    rng            one entry per process: python, numpy, torch (CPU), cuda, and the loop's own
                   torch.Generator states
    extra          loop state (log accumulators, render settings, dataset spec, world size)

Files are ``<run>/checkpoints/ckpt-<iteration:08d>.pt``; the newest is the one ``--resume`` and
``igbench sample`` use. They are written to a temporary file and renamed into place, so a killed
process never leaves a half-written checkpoint under a final name.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shapenet_render.io_utils import atomic_path

FORMAT = "igbench-checkpoint"
VERSION = 1
_NAME = re.compile(r"^ckpt-(\d{8})\.pt$")


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unreadable or from an incompatible version (message says)."""


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("igbench")
    except Exception:  # pragma: no cover - source tree without install
        return "unknown"


def checkpoint_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints"


def checkpoint_path(run_dir: str | Path, iteration: int) -> Path:
    return checkpoint_dir(run_dir) / f"ckpt-{iteration:08d}.pt"


def list_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(iteration, path) of a run's checkpoints, oldest first."""
    folder = checkpoint_dir(run_dir)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1][1] if found else None


def prune_checkpoints(run_dir: str | Path, keep: int, keep_every: int = 0) -> None:
    """Delete all but the ``keep`` newest checkpoints (``keep = 0`` keeps all); those at a
    multiple of ``keep_every`` iterations (when > 0) stay too."""
    if keep <= 0:
        return
    for it, path in list_checkpoints(run_dir)[:-keep]:
        if keep_every > 0 and it % keep_every == 0:
            continue
        path.unlink(missing_ok=True)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format and version fields) atomically; returns the path."""
    path = Path(path)
    data = {"format": FORMAT, "version": VERSION, "igbench_version": package_version(), **payload}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)
    return path


def load_checkpoint(path: str | Path, kind: str | None = None) -> dict[str, Any]:
    """Load a checkpoint on the CPU with ``weights_only=True``; checks format, version and kind."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an igbench checkpoint")
    if data.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {data.get('version')}; this igbench reads {VERSION}"
        )
    if kind is not None and data.get("kind") != kind:
        raise CheckpointError(f"{path}: a {data.get('kind')!r} checkpoint, expected {kind!r}")
    return data


# --------------------------------------------------------------------------------------------------
# Random number generators (one helper seeds them all; states travel in checkpoints)
# --------------------------------------------------------------------------------------------------


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state(generators: dict[str, torch.Generator] | None = None) -> dict[str, Any]:
    """The process's RNG states in checkpoint-safe types (tensors, ints, strings)."""
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": {
            "version": py_version,
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss": py_gauss,
        },
        "numpy": {
            "name": np_name,
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "generators": {k: g.get_state() for k, g in (generators or {}).items()},
    }
    return state


def set_rng_state(
    state: dict[str, Any], generators: dict[str, torch.Generator] | None = None
) -> None:
    """Restore what :func:`rng_state` captured (generators are restored in place)."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(x) for x in py["state"].tolist()), py["gauss"]))
    npst = state["numpy"]
    np.random.set_state(
        (
            npst["name"],
            npst["keys"].numpy().astype(np.uint32),
            npst["pos"],
            npst["has_gauss"],
            npst["gauss"],
        )
    )
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    for name, gen in (generators or {}).items():
        if name not in state["generators"]:
            raise CheckpointError(f"checkpoint has no state for the {name!r} generator")
        gen.set_state(state["generators"][name])
