"""``igbench eval RUN --3d``: the run's generated volumes against the real shapes of its dataset.

The samples are those of the FID evaluation (:mod:`benchmark.metrics.evaluate`: the same latents and
views from the eval seed, the same count per preset), binarised by the same threshold rule
(``common`` 0.5, or the method's ``own`` threshold chosen without real images). The references
are the voxel grids the dataset file stores: all of its models, or, when it has more than
``n`` of them, ``n`` drawn by a permutation fixed by the dataset's seed (so every method and seed of
a column meets the same references). :func:`benchmark.metrics.metrics3d.scores` gives COV, MMD and 1-NNA
with the Chamfer and ``1 - IoU`` distances; each is one record in ``<run>/metrics.jsonl``, named
``<score>_<distance>_<count>`` (e.g. ``1nna_chamfer_1k``), with the protocol. Idempotent like the
FID evaluation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.metrics.records import MetricRecord

#: Score names as they appear in metric names.
SCORES = ("cov", "mmd", "1nna")
#: Bumped when what a 3D evaluation computes changes.
EVAL3D_VERSION = 1


def reference_models(n_models: int, n: int, seed: int) -> np.ndarray:
    """Indices of the references: every model when there are at most ``n``, else ``n`` of them
    drawn by a permutation fixed by the dataset's ``seed``; sorted."""
    if n_models <= n:
        return np.arange(n_models)
    return np.sort(np.random.default_rng([seed, 0x3D3D]).permutation(n_models)[:n])


def evaluate_run_3d(
    run_dir: str | Path,
    preset: str | None = None,
    n: int | None = None,
    seed: int = 0,
    device: str = "auto",
    workers: int | None = None,
    threshold_rule: str = "common",
    force: bool = False,
) -> tuple[list[MetricRecord], bool]:
    """COV / MMD / 1-NNA (Chamfer and 1 - IoU) of a run's newest checkpoint; returns the records
    and whether they were already there (nothing computed). Raises
    :class:`benchmark.metrics.evaluate.EvalError` for a 2D method or an unknown threshold rule."""
    from benchmark.metrics import evaluate as ev
    from benchmark.metrics.fid import count_label
    from benchmark.metrics.metrics3d import DISTANCES, scores
    from benchmark.metrics.records import append_records, now_iso, read_records
    from iggan.distributed import resolve_device
    from iggan.methods import restore_method
    from shapenet_render.dataset import ImageDataset, content_digest
    from shapenet_render.pool import RenderPools

    if threshold_rule not in ev.THRESHOLD_RULES:
        raise ev.EvalError(
            f"unknown threshold rule {threshold_rule!r}; choose one of "
            f"{', '.join(ev.THRESHOLD_RULES)}"
        )
    run_dir = Path(run_dir)
    run = ev._load_run(run_dir)
    preset = preset or run.config.preset
    n = ev.eval_samples(preset, n)
    ds = ImageDataset(run.dataset)
    refs_idx = reference_models(ds.n_models, n, ds.spec.seed)
    digest = content_digest(run.dataset)
    protocol: dict[str, Any] = {
        "eval3d_version": EVAL3D_VERSION,
        "seed": seed,
        "threshold_rule": threshold_rule,
        "n_references": int(len(refs_idx)),
        "references": "all models" if len(refs_idx) == ds.n_models else "seeded subset",
    }
    names = [f"{s}_{d}_{count_label(n)}" for d in DISTANCES for s in SCORES]
    if not force:
        done = {
            r.metric: r
            for r in read_records(run_dir)
            if r.metric in names
            and r.checkpoint is not None
            and Path(r.checkpoint).name == run.path.name
            and r.iteration == run.iteration
            and r.preset == preset
            and r.dataset_fingerprint == digest
            and all(r.protocol.get(k) == v for k, v in protocol.items())
        }
        if all(m in done for m in names):
            return [done[m] for m in names], True

    dev = resolve_device(device)
    method = restore_method(run.data, dev)
    if not method.makes_volumes:
        raise ev.EvalError(f"{run_dir}: {method.name} makes images, not volumes: no 3D metrics")
    config = method.config
    z, az, el = ev._eval_inputs(config, n, seed, ev.eval_view_ranges(run.spec))
    threads = torch.get_num_threads()
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    try:
        threshold = ev.EVAL_THRESHOLD
        if threshold_rule == "own":
            pools = RenderPools(
                config.render_workers if workers is None else workers, config.voxel_res
            )
            try:
                k = min(n, ev.OWN_THRESHOLD_SAMPLES)
                threshold, _ = ev.own_threshold(
                    method, config, z[:k], az[:k], el[:k], dev, pools, run.render_settings
                )
            finally:
                pools.close()
        volumes = [
            (out["volumes"][:, 0] > threshold).cpu().numpy()
            for out, _ in ev._sample_batches(method, z, az, el, config.batch_size or 64, dev)
        ]
        samples = np.concatenate(volumes)
        references = np.stack([ds.voxels(int(i)) for i in refs_idx])
        results = [scores(samples, references, d) for d in DISTANCES]
    finally:
        torch.set_num_threads(threads)
    protocol["threshold"] = threshold
    stamp = now_iso()
    records = []
    for res in results:
        protocol_d = {**protocol, "distance": res.distance, "empty_samples": res.empty_samples}
        for score, value in zip(SCORES, (res.cov, res.mmd, res.one_nna), strict=True):
            records.append(
                MetricRecord(
                    metric=f"{score}_{res.distance}_{count_label(n)}",
                    value=float(value),
                    n_real=res.n_references,
                    n_fake=res.n_samples,
                    feature_extractor=f"3d-{res.distance}",
                    classifier_fingerprint="",
                    dataset=str(run.dataset),
                    dataset_fingerprint=digest,
                    checkpoint=str(run.path),
                    iteration=run.iteration,
                    method=config.method,
                    source=ds.spec.source,
                    preset=preset,
                    protocol=protocol_d,
                    time=stamp,
                )
            )
    append_records(run_dir, records)
    return records, False


def format_records(records: list[MetricRecord]) -> str:
    """One line per distance: ``chamfer: cov 0.412  mmd 0.0123  1nna 0.731  (threshold ...)``."""
    lines = []
    for d in dict.fromkeys(r.protocol.get("distance") for r in records):
        rs = {r.metric.split("_")[0]: r for r in records if r.protocol.get("distance") == d}
        first = next(iter(rs.values()))
        p = first.protocol
        lines.append(
            f"{d}: " + "  ".join(f"{s} {rs[s].value:.4g}" for s in SCORES if s in rs)
            + f"  ({first.n_fake} samples vs {first.n_real} references, threshold "
            f"{p.get('threshold_rule')} {p.get('threshold'):g}, {p.get('empty_samples')} empty)"
        )  # fmt: skip
    return "\n".join(lines)
