"""Curves as PNG plots: a training run's losses, D's accuracy and FID over checkpoints, and a
``bench recover`` run's IoU, cavity and fill over iterations (``igbench curves``).

Everything is read from the files the runs already write (``log.jsonl`` and ``metrics.jsonl`` of
a training run, ``recover.jsonl`` of a recovery run); nothing is trained or scored again.
matplotlib draws off-screen (the Agg backend), so no display is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The file a run's curves go to by default, inside the run's folder.
CURVES_FILE = "curves.png"


class PlotError(ValueError):
    """A folder that holds no run to plot."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, out: Path) -> Path:
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def _series(records: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    pts = [(r["iteration"], r[key]) for r in records if r.get(key) is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def training_log(run_dir: Path) -> list[dict[str, Any]]:
    """The log records of a training run: one per ``log_every`` iterations (events and partial
    windows left out; a resumed run's repeated windows keep the last)."""
    from iggan.rundir import read_log

    if not (run_dir / "log.jsonl").is_file():
        raise PlotError(f"{run_dir}: no log.jsonl (not a training run)")
    by_it: dict[int, dict[str, Any]] = {}
    for r in read_log(run_dir):
        if "event" in r or r.get("partial") or "iteration" not in r:
            continue
        by_it[int(r["iteration"])] = r
    return [by_it[k] for k in sorted(by_it)]


def fid_points(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """FID values of ``metrics.jsonl`` by threshold rule (``common`` / ``own``) -> sorted
    (iteration, FID) pairs; records of other metrics or without an iteration are left out."""
    from benchmark.metrics.records import read_records

    out: dict[str, list[tuple[int, float]]] = {}
    for r in read_records(run_dir):
        if not r.metric.startswith("fid_") or r.iteration is None:
            continue
        label = r.protocol.get("threshold_rule") or "common"
        t = r.protocol.get("threshold")
        key = f"{label} (t={t:g})" if label == "common" and t is not None else label
        out.setdefault(key, []).append((int(r.iteration), float(r.value)))
    return {k: sorted(v) for k, v in out.items()}


def training_curves(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Plot a training run's curves to ``out`` (default ``<run>/curves.png``): the GAN losses,
    the neural renderer's L2 and DOM terms (IG-GAN), D's batch accuracy and update rate, and FID
    over the evaluated checkpoints when any were evaluated."""
    run_dir = Path(run_dir)
    records = training_log(run_dir)
    if not records:
        raise PlotError(f"{run_dir}: log.jsonl holds no training records yet")
    config = {}
    if (run_dir / "config.json").is_file():
        config = json.loads((run_dir / "config.json").read_text())
    fids = fid_points(run_dir)
    has_r = any(r.get("loss_r_l2") is not None for r in records)
    panels = ["gan", "d"] + (["r"] if has_r else []) + (["fid"] if fids else [])
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        if panel == "gan":
            for key, label in (("loss_d", "D loss"), ("loss_g", "G loss")):
                ax.plot(*_series(records, key), label=label, lw=1)
            ax.set_title("GAN losses")
        elif panel == "d":
            ax.plot(*_series(records, "d_accuracy"), label="D batch accuracy", lw=1)
            if any("d_updated" in r for r in records):
                ax.plot(*_series(records, "d_updated"), label="D updated (share)", lw=1)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title("discriminator")
        elif panel == "r":
            ax.plot(*_series(records, "loss_r_l2"), label="L2 to OpenGL", lw=1)
            if any(r.get("loss_dom") is not None for r in records):
                ax.plot(*_series(records, "loss_dom"), label="DOM", lw=1)
            ax.set_yscale("log")
            ax.set_title("neural renderer")
        else:
            for key, pts in sorted(fids.items()):
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"FID, {key}")
            ax.set_title("FID (ours: our classifier, our shapes)")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    what = config.get("method", "?")
    data = Path(config.get("data", "")).stem or "?"
    fig.suptitle(f"{what} on {data}, preset {config.get('preset', '?')}", fontsize=10)
    return _save(plt, fig, Path(out) if out is not None else run_dir / CURVES_FILE)


def recover_curves(outdir: str | Path, out: str | Path | None = None) -> Path:
    """Plot a ``bench recover`` run's IoU, cavity and fill over iterations, one line per start
    and seed, with the filled bounding box's and convex hull's IoU as floors, to ``out``
    (default ``<outdir>/curves.png``)."""
    from benchmark.experiments.recover import read_records
    from benchmark.experiments.recover_report import method_label

    outdir = Path(outdir)
    files = [outdir] if (outdir / "recover.jsonl").is_file() else seed_runs(outdir)
    try:
        records = [r for f in files for r in read_records(f)]
    except (OSError, ValueError) as exc:
        raise PlotError(f"{outdir}: no readable recover records ({exc})") from None
    if not records:
        raise PlotError(f"{outdir}: recover.jsonl holds no records yet")
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        runs.setdefault((r["start"], int(r.get("seed", 0))), []).append(r)
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12.6, 3.4))
    for (start, seed), rs in sorted(runs.items()):
        rs = sorted(rs, key=lambda r: r["iteration"])
        its = [r["iteration"] for r in rs]
        for ax, key in zip(axes, ("iou", "cavity", "fill"), strict=True):
            ax.plot(its, [r[key] for r in rs], "o-", ms=3, lw=1, label=f"{start}, seed {seed}")
    first = records[0]
    axes[0].axhline(first["floor_bbox_iou"], color="gray", ls="--", lw=1, label="bounding box")
    axes[0].axhline(first["floor_hull_iou"], color="gray", ls=":", lw=1, label="convex hull")
    axes[2].axhline(1.0, color="gray", ls="--", lw=1, label="truth")
    titles = ("IoU at 0.5 (best rotation)", "cavity kept empty", "fill (sample / truth voxels)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"{method_label(first)} on {first['shape']}, preset {first['preset']}", fontsize=10
    )
    return _save(plt, fig, Path(out) if out is not None else outdir / CURVES_FILE)


def seed_runs(outdir: Path) -> list[Path]:
    """The per-seed folders of a ``bench recover --seeds`` run (``seed-<s>/recover.jsonl``)."""
    return sorted(p.parent for p in outdir.glob("seed-*/recover.jsonl"))


def curves(path: str | Path, out: str | Path | None = None) -> Path:
    """The curves of whatever run ``path`` holds: a training run (``log.jsonl``) or a
    ``bench recover`` output folder (``recover.jsonl``, or one per seed under ``seed-<s>/``)."""
    path = Path(path)
    if (path / "log.jsonl").is_file():
        return training_curves(path, out)
    if (path / "recover.jsonl").is_file() or seed_runs(path):
        return recover_curves(path, out)
    raise PlotError(f"{path}: neither a training run (log.jsonl) nor a bench recover run")


__all__ = [
    "CURVES_FILE",
    "PlotError",
    "curves",
    "fid_points",
    "recover_curves",
    "seed_runs",
    "training_curves",
    "training_log",
]
