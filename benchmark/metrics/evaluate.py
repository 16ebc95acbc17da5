"""``igbench eval RUN``: FID/KID of a trained run, appended to ``<run>/metrics.jsonl``.

:func:`evaluate_run` loads the run's newest checkpoint (as ``igbench sample`` does), draws ``n``
samples from a fixed seed and compares their images with the real images of the run's dataset,
with our retrained classifier's features (paper, 4.4):

Generated images
    3D methods (the sample has ``volumes``): every volume is binarised at one threshold and
    rendered by OpenGL with the run's render settings (a run on Mitsuba images: OpenGL at its size), at a view drawn uniformly from the dataset's azimuth and elevation
    ranges -- except for ``lvp`` datasets, whose runs are evaluated over 360 degrees of azimuth and
    the category's normal elevation range (paper, footnote 2). The 2D-DCGAN baseline (no volumes)
    is compared through its own images.
Threshold (``protocol["threshold_rule"]``, ``protocol["threshold"]``)
    The paper names no evaluation threshold, so two rules are reported side by side:
    ``common``: :data:`EVAL_THRESHOLD` = 0.5 for every method (the usual choice, not the paper's);
    ``own``: each method's own threshold, chosen **without real images** (:func:`own_threshold`):
    the t of :data:`OWN_THRESHOLDS` at which the method's data-side image of ``[x_c > t]`` (the
    OpenGL render for IG-GAN, its dataset's projection for Visual Hull and Absorption-Only) is
    closest, in mean squared error, to what the method was trained to produce from ``x_c`` (R_phi's
    render for IG-GAN, its generator-side projection for the baselines), over the first
    :data:`OWN_THRESHOLD_SAMPLES` evaluation samples at their evaluation views.
Real images (``protocol["real"]``)
    ``stored``: the dataset file's images (modes 500 and one-per-model);
    ``fresh-unlimited``: every model of an ``unlimited`` file rendered at its views of the fixed
    epoch :data:`REAL_EPOCH` (``ImageDataset.fresh_views``), views the training never drew;
    ``fresh-360``: every model of an ``lvp`` file rendered over the 360-degree range above;
    ``fresh-opengl``: a Visual Hull, Absorption-Only or Mitsuba file's models at its stored views,
    rendered by OpenGL (those files store the baselines' projections or path-traced images, but FID
    compares OpenGL renders, so every method of a column meets the same real images). A run
    trained on Mitsuba images is scored like the others: its samples rendered by OpenGL; its own
    threshold compares R_phi with Mitsuba renders, which R_phi learned to imitate.
    Fresh renders use the dataset's render settings and are cached by content under
    ``<cache>/eval-real/`` (``$IGBENCH_CACHE`` or ``~/.cache/igbench``).

The evaluation is idempotent: a run whose ``metrics.jsonl`` already holds this evaluation's
metrics for the same checkpoint, iteration, classifier, dataset, preset, seed and real set is not
evaluated again (``force=True`` does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.metrics.real_images import fresh_real_images, normal_view_ranges
from benchmark.metrics.records import MetricRecord
from shapenet_render.pool import RenderPools, render_stream

log = logging.getLogger(__name__)

#: The common binarisation threshold of generated volumes before the off-the-shelf renderer. The
#: paper names no evaluation threshold; 0.5 is the usual choice, reported beside each method's own.
EVAL_THRESHOLD = 0.5
#: Threshold rules (``protocol["threshold_rule"]``): 0.5 for all, or the method's own (no real
#: images involved; :func:`own_threshold`).
THRESHOLD_RULES = ("common", "own")
#: Candidate thresholds of the ``own`` rule: 0.01 to 0.04, then 0.05 to 0.95 by 0.05.
OWN_THRESHOLDS = (0.01, 0.02, 0.03, 0.04) + tuple(round(0.05 * k, 2) for k in range(1, 20))
#: Evaluation samples (the first ones, at their evaluation views) that choose the own threshold.
OWN_THRESHOLD_SAMPLES = 128
#: Bumped when what an evaluation computes changes (earlier records then no longer count as done).
EVAL_VERSION = 2
#: Real-set kinds (``protocol["real"]``).
REAL_SETS = ("stored", "fresh-unlimited", "fresh-360", "fresh-opengl")
#: Dataset renderers whose stored images are not OpenGL renders: the baselines' projections and
#: Mitsuba's path tracer. Their runs meet OpenGL renders of the file's models (``fresh-opengl``).
_NOT_OPENGL = ("visual-hull", "absorption-only", "mitsuba")

#: ``progress(stage, done, total)``; stages ``sample`` (generated images) and ``real`` (fresh
#: real renders).
Progress = Callable[[str, int, int], None]


class EvalError(ValueError):
    """A run that cannot be evaluated; the message names the input and the problem."""


@dataclass
class EvalOutcome:
    """The result of :func:`evaluate_run` (new, or the matching records already written)."""

    fid: float
    kid_mean: float | None
    kid_std: float | None
    records: list[MetricRecord]
    """The FID (and KID) records written, or found when ``skipped``."""
    skipped: bool
    """True when the run already held this evaluation (nothing was computed)."""
    checkpoint: Path
    iteration: int
    n_real: int
    n_fake: int
    protocol: dict[str, Any] = field(default_factory=dict)
    records_path: Path | None = None
    """``<run>/metrics.jsonl``."""

    @property
    def fid_record(self) -> MetricRecord:
        return self.records[0]

    def format(self) -> str:
        """One line: metric = value, counts, extractor and its fingerprint."""
        rec = self.fid_record
        text = f"{rec.metric} = {self.fid:.3f}"
        t = self.protocol.get("threshold")
        if t is not None:
            text = f"[threshold {self.protocol.get('threshold_rule', 'common')} {t:g}] {text}"
        if self.kid_mean is not None and len(self.records) > 1:
            text += f"   {self.records[1].metric} = {self.kid_mean:.5f} +- {self.kid_std:.5f}"
        return (
            f"{text}   ({self.n_real} real [{self.protocol.get('real')}], {self.n_fake} generated "
            f"images; {rec.feature_extractor} {rec.classifier_fingerprint}; {rec.method} "
            f"iteration {self.iteration})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fid": self.fid,
            "kid_mean": self.kid_mean,
            "kid_std": self.kid_std,
            "skipped": self.skipped,
            "checkpoint": str(self.checkpoint),
            "iteration": self.iteration,
            "n_real": self.n_real,
            "n_fake": self.n_fake,
            "protocol": self.protocol,
            "metrics": [r.metric for r in self.records],
            "records_path": None if self.records_path is None else str(self.records_path),
        }


# --------------------------------------------------------------------------------------------------
# Defaults
# --------------------------------------------------------------------------------------------------


def default_classifier(preset: str) -> Path:
    """The classifier whose features evaluate a run of ``preset``: the paper classifier for paper
    runs, the cpu one otherwise (smoke runs too: a smoke classifier's features are noise)."""
    from benchmark.metrics.classifier import default_checkpoint

    return default_checkpoint(classifier_preset(preset))


def classifier_preset(preset: str) -> str:
    """The classifier preset that evaluates runs of ``preset`` (see :func:`default_classifier`)."""
    return "paper" if preset == "paper" else "cpu"


def _install_shipped_classifier(name: str, source: str, path: Path) -> None:
    """Install the shipped classifier at its default ``path`` when it is missing there, ships for
    that preset and the run's shapes are the procedural ones it was trained on."""
    from benchmark.metrics.classifier import install_shipped_if_absent

    result = install_shipped_if_absent(name, source, path.parent)
    if result is not None:
        log.info(
            "installed the shipped %s classifier into %s (fingerprint %s)",
            name,
            path.parent,
            result.fingerprint,
        )


def eval_samples(preset: str, n: int | None = None) -> int:
    """Generated samples per evaluation: ``n``, else the preset's ``benchmark.metrics.fid.EVAL_SAMPLES``."""
    from benchmark.metrics.fid import EVAL_SAMPLES

    if n is not None:
        if n < 2:
            raise EvalError(f"n: FID needs at least 2 generated samples, got {n}")
        return int(n)
    if preset not in EVAL_SAMPLES:
        raise EvalError(f"unknown eval preset {preset!r}; choose one of {', '.join(EVAL_SAMPLES)}")
    return EVAL_SAMPLES[preset]


def eval_view_ranges(spec) -> tuple[tuple[float, float], tuple[float, float]]:
    """(azimuth, elevation) ranges the generated samples are evaluated at: the dataset's, or for
    an ``lvp`` dataset the category's normal ranges (paper, footnote 2)."""
    if spec.mode == "lvp":
        return normal_view_ranges(spec)
    return spec.azimuth_range, spec.elevation_range


def _generator(seed: int, stream: int) -> torch.Generator:
    """A CPU generator for one stream of the evaluation (devices agree), apart from training's."""
    state = np.random.SeedSequence([int(seed), 0xE7A1, stream]).generate_state(2, np.uint64)
    return torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


@dataclass
class _Run:
    """What evaluating a checkpoint needs from it."""

    path: Path
    data: dict[str, Any]
    config: Any  # TrainConfig
    spec: Any  # DatasetSpec
    render_settings: Any  # RenderSettings
    dataset: Path

    @property
    def iteration(self) -> int:
        return int(self.data["iteration"])

    @property
    def opengl_settings(self):
        """What generated shapes are rendered with for FID: the run's OpenGL settings, or for a
        run on Mitsuba images OpenGL at the same size (FID compares OpenGL renders)."""
        from shapenet_render.renderers import opengl_settings

        return opengl_settings(self.render_settings)


def _load_run(run_dir: Path, checkpoint: Path | None = None) -> _Run:
    from iggan import checkpoint as ckpt_io
    from iggan.config import TrainConfig
    from shapenet_render.dataset import DatasetSpec
    from shapenet_render.renderers import settings_from_dict

    if not run_dir.is_dir():
        raise EvalError(f"{run_dir}: no such run directory")
    path = ckpt_io.latest_checkpoint(run_dir) if checkpoint is None else Path(checkpoint)
    if path is None:
        raise EvalError(f"{run_dir}: no checkpoint to evaluate (train the run first)")
    if not path.is_file():
        raise EvalError(f"{path}: no such checkpoint")
    data = ckpt_io.load_checkpoint(path, kind="train")
    config = TrainConfig.from_dict(data["config"])
    extra = data["extra"]
    spec = DatasetSpec(**extra["dataset"]["spec"])
    dataset = Path(config.data)
    if not dataset.is_file():
        raise EvalError(
            f"{dataset}: no such dataset file (the real images of run {run_dir}; "
            "render it again with igbench render)"
        )
    return _Run(path, data, config, spec, settings_from_dict(extra["render_settings"]), dataset)


def _real_kind(spec) -> str:
    if spec.mode == "lvp":
        return "fresh-360"
    if spec.mode == "unlimited":
        return "fresh-unlimited"
    if spec.renderer in _NOT_OPENGL:
        return "fresh-opengl"
    return "stored"


def _find_done(
    run_dir: Path, run: _Run, net, metrics: list[str], preset: str, protocol: dict[str, Any]
) -> list[MetricRecord] | None:
    """The newest records of an identical earlier evaluation (one per wanted metric), or None.

    Identical: same checkpoint (by file name and iteration: the records live in the run's own
    folder, so a moved or differently addressed run still matches), classifier, eval preset,
    metric (feature tag and sample count), seed, real set and protocol version, and a dataset of
    the same content (a re-rendered dataset is a new evaluation).
    """
    from benchmark.metrics.records import latest_by_metric, read_records
    from shapenet_render.dataset import content_digest

    keys = ("eval_version", "real", "seed", "threshold_rule")
    candidates = [
        r
        for r in read_records(run_dir)
        if r.checkpoint is not None
        and Path(r.checkpoint).name == run.path.name
        and r.iteration == run.iteration
        and r.classifier_fingerprint == net.fingerprint
        and r.feature_extractor == net.name
        and r.preset == preset
        and all(r.protocol.get(k) == protocol[k] for k in keys)
    ]
    found = latest_by_metric(candidates)
    if not all(m in found for m in metrics):
        return None
    digest = content_digest(run.dataset)
    if any(found[m].dataset_fingerprint != digest for m in metrics):
        return None
    return [found[m] for m in metrics]


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _sample_batches(
    method, z, az, el, batch: int, device: torch.device, volumes_only: bool = True
) -> Iterator[tuple[dict[str, torch.Tensor], slice]]:
    """``method.sample`` over consecutive slices of the drawn latents and views (eval mode);
    ``volumes_only=False`` also returns the method's own images."""
    for start in range(0, len(z), batch):
        sl = slice(start, start + batch)
        with torch.no_grad():
            out = method.sample(
                z[sl].to(device), az[sl].to(device), el[sl].to(device), volumes_only=volumes_only
            )
        yield out, sl


def _eval_inputs(
    config, n: int, seed: int, views: tuple[tuple[float, float], tuple[float, float]]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Latents ``(n, z_dim)`` and views ``(n,)``, ``(n,)`` of an evaluation, drawn up front from
    the eval seed, so the samples do not depend on the batch size or the threshold rule."""
    gen = _generator(seed, 0)
    (az_lo, az_hi), (el_lo, el_hi) = views
    z = torch.randn(n, config.z_dim, generator=gen)
    az = az_lo + (az_hi - az_lo) * torch.rand(n, generator=gen)
    el = el_lo + (el_hi - el_lo) * torch.rand(n, generator=gen)
    return z, az, el


def choose_threshold(
    volumes: torch.Tensor,
    target: torch.Tensor,
    render_binary: Callable[[np.ndarray], np.ndarray],
    thresholds: Iterable[float] = OWN_THRESHOLDS,
) -> tuple[float, dict[float, float]]:
    """The threshold t whose binarised volumes ``[volumes > t]``, rendered by ``render_binary``,
    are closest (mean squared error) to ``target``; ties go to the t nearest 0.5.

    volumes : (K, 1, N, N, N) float in [0, 1]. target : (K, 1, R, R) float in [0, 1], what the
    method was trained to produce from the volumes. render_binary : (K, N, N, N) bool ->
    (K, R, R) float in [0, 1], the method's data-side image formation at the samples' views.
    Returns (t, {t: error}).
    """
    want = target[:, 0].detach().cpu().double()
    errors: dict[float, float] = {}
    for t in thresholds:
        binary = (volumes[:, 0] > t).cpu().numpy()
        got = torch.as_tensor(np.asarray(render_binary(binary)), dtype=torch.float64)
        errors[float(t)] = float(((got - want) ** 2).mean())
    best = min(errors, key=lambda t: (errors[t], abs(t - 0.5), t))
    return best, errors


def own_threshold(
    method,
    config,
    z: torch.Tensor,
    az: torch.Tensor,
    el: torch.Tensor,
    device: torch.device,
    pools: RenderPools,
    settings,
) -> tuple[float, dict[float, float]]:
    """The method's own evaluation threshold (the ``own`` rule; module docstring), from the
    samples of ``z`` at views ``az``, ``el``; no real image is involved.

    Data side of ``[x_c > t]``: the off-the-shelf renderer (``settings``) for methods trained on
    OpenGL images, else the method's dataset projection. Target: the method's own image of x_c
    (``method.sample``'s ``images``: R_phi's render for IG-GAN, the generator-side projection of
    the baselines)."""
    from shapenet_render.pool import RenderItem
    from shapenet_render.projection import project_views

    volumes, targets = [], []
    batches = _sample_batches(method, z, az, el, config.batch_size or 64, device, False)
    for out, _ in batches:
        volumes.append(out["volumes"].cpu())
        targets.append(((out["images"].cpu().float() + 1.0) * 0.5).clamp(0.0, 1.0))
    vols, target = torch.cat(volumes), torch.cat(targets)
    renderer = method.dataset_renderer
    views = list(zip(az.tolist(), el.tolist(), strict=True))

    def render_binary(binary: np.ndarray) -> np.ndarray:
        if renderer == "opengl":
            items = [RenderItem.voxels(g, a, e) for g, (a, e) in zip(binary, views, strict=True)]
            imgs = render_stream(pools.get(settings), iter(items), len(items), None, "threshold")
        else:
            imgs = project_views(
                renderer, config.image_res, list(binary), [np.array([v]) for v in views]
            )
        return imgs.astype(np.float64) / 255.0

    return choose_threshold(vols, target, render_binary)


def _generated_images(
    method,
    config,
    inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    threshold: float,
    device: torch.device,
    pools: RenderPools,
    settings,
    progress: Progress | None,
) -> tuple[np.ndarray, bool]:
    """``(n, H, W)`` uint8 images of the samples of ``inputs`` (latents, azimuths, elevations),
    and whether they are off-the-shelf renders of volumes binarised at ``threshold`` (True: 3D
    methods) or the method's own images (False: 2D methods)."""
    import itertools

    from shapenet_render.pool import RenderItem
    from shapenet_render.projection import from_network

    z, az, el = inputs
    n = len(z)
    stream = _sample_batches(method, z, az, el, config.batch_size or 64, device)
    first = next(stream)
    stream = itertools.chain([first], stream)

    if "volumes" not in first[0]:  # a 2D method: compare its own images
        images: list[np.ndarray] = []
        for out, _ in stream:
            images.append(from_network(out["images"].cpu())[:, 0])
            if progress is not None:
                progress("sample", sum(len(x) for x in images), n)
        return np.concatenate(images), False

    def items() -> Iterator:
        # Lazy: the pool renders one batch while the generator samples the next.
        for out, sl in stream:
            grids = (out["volumes"][:, 0] > threshold).cpu().numpy()
            for g, a, e in zip(grids, az[sl].tolist(), el[sl].tolist(), strict=True):
                yield RenderItem.voxels(g, a, e)

    return render_stream(pools.get(settings), items(), n, progress, "sample"), True


# --------------------------------------------------------------------------------------------------
# Real images
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# The evaluation
# --------------------------------------------------------------------------------------------------


def evaluate_run(
    run_dir: str | Path,
    classifier: str | Path | None = None,
    preset: str | None = None,
    n: int | None = None,
    seed: int = 0,
    device: str = "auto",
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    force: bool = False,
    kid: bool = True,
    progress: Progress | None = None,
    threshold_rule: str = "common",
    checkpoint: str | Path | None = None,
) -> EvalOutcome:
    """FID (and KID) of a run's newest checkpoint (or ``checkpoint``, one of the run's) against its
    dataset; appends the records to ``<run>/metrics.jsonl``. See the module docstring for the
    protocol.

    threshold_rule : ``common`` (0.5 for every method) or ``own`` (the method's own threshold,
        chosen without real images: :func:`own_threshold`).
    classifier : ``classifier.pt`` whose features define FID (default :func:`default_classifier`
        of the eval preset).
    preset : eval preset, fixing the generated-sample count (default: the run's preset).
    n : generated samples (overrides the preset's :data:`benchmark.metrics.fid.EVAL_SAMPLES`).
    seed : fixes the generated samples' latents and views.
    workers : render processes (default: the run's ``render_workers``; 0 renders in this process).
    cache_dir : real-statistics and fresh-real-render cache (default ``$IGBENCH_CACHE`` or
        ``~/.cache/igbench``).
    force : evaluate even when ``metrics.jsonl`` already holds this evaluation.
    progress : ``progress(stage, done, total)`` as images are made (stages ``sample``, ``real``).

    Raises :class:`EvalError` (no checkpoint, missing dataset or classifier), and the library's
    errors for unreadable inputs (``CheckpointError``, ``DatasetError``, ``FidError``...).
    """
    from benchmark.metrics.fid import feature_net, metric_name
    from benchmark.metrics.records import evaluate_and_record, records_path
    from iggan.distributed import resolve_device
    from iggan.methods import restore_method

    if threshold_rule not in THRESHOLD_RULES:
        raise EvalError(
            f"unknown threshold rule {threshold_rule!r}; choose one of {', '.join(THRESHOLD_RULES)}"
        )
    run_dir = Path(run_dir)
    run = _load_run(run_dir, None if checkpoint is None else Path(checkpoint))
    config = run.config
    preset = preset or config.preset
    n = eval_samples(preset, n)
    if classifier is None:
        classifier = default_classifier(preset)
        _install_shipped_classifier(classifier_preset(preset), run.spec.source, classifier)
    classifier = Path(classifier)
    if not classifier.is_file():
        raise EvalError(
            f"{classifier}: no such classifier checkpoint; train it with "
            f"`igbench classifier train --preset {classifier_preset(preset)}` "
            "or pass --classifier PATH"
        )
    dev = resolve_device(device)
    net = feature_net(classifier, device=dev)

    # -- the protocol, and whether the run already holds this evaluation ---------------------------
    spec = run.spec
    real_kind = _real_kind(spec)
    views = eval_view_ranges(spec)
    protocol: dict[str, Any] = {
        "eval_version": EVAL_VERSION,
        "eval_preset": preset,
        "n_samples": n,
        "seed": seed,
        "real": real_kind,
        "views": {"azimuth": list(views[0]), "elevation": list(views[1])},
        "threshold_rule": threshold_rule,
        "threshold": EVAL_THRESHOLD if threshold_rule == "common" else None,
        "classifier": str(classifier),
        "run_preset": config.preset,
        "dataset_mode": spec.mode,
    }
    metrics = [metric_name("fid", net.tag, n)] + ([metric_name("kid", net.tag, n)] if kid else [])
    if not force:
        done = _find_done(run_dir, run, net, metrics, preset, protocol)
        if done is not None:
            kid_rec = done[1] if kid else None
            return EvalOutcome(
                fid=done[0].value,
                kid_mean=kid_rec.value if kid_rec else None,
                kid_std=kid_rec.protocol.get("kid_std") if kid_rec else None,
                records=done,
                skipped=True,
                checkpoint=run.path,
                iteration=run.iteration,
                n_real=done[0].n_real,
                n_fake=done[0].n_fake,
                protocol=done[0].protocol,
                records_path=records_path(run_dir),
            )

    # -- the generator, as it was saved ------------------------------------------------------------
    method = restore_method(run.data, dev)
    config = method.config

    threads = torch.get_num_threads()
    if config.torch_threads:  # the run's CPU threads (cpu/smoke: 1, far faster on a busy machine)
        torch.set_num_threads(config.torch_threads)
    try:
        pools = RenderPools(config.render_workers if workers is None else workers, config.voxel_res)
        try:
            inputs = _eval_inputs(config, n, seed, views)
            threshold = EVAL_THRESHOLD
            if threshold_rule == "own" and method.makes_volumes:
                k = min(n, OWN_THRESHOLD_SAMPLES)
                threshold, errors = own_threshold(
                    method,
                    config,
                    *(x[:k] for x in inputs),
                    dev,
                    pools,
                    run.render_settings,
                )
                protocol.update(
                    threshold=threshold,
                    threshold_search={
                        "samples": k,
                        "errors": {f"{t:g}": round(e, 8) for t, e in errors.items()},
                    },
                )
            fake, rendered = _generated_images(
                method, config, inputs, threshold, dev, pools, run.opengl_settings, progress
            )
            if not rendered:  # a 2D method's images: no volumes, views or threshold
                protocol.update(fake="generated-images", views=None, threshold=None)
                protocol.pop("threshold_search", None)
            else:
                protocol["fake"] = "opengl-renders"
            real = None
            if real_kind == "stored":
                protocol["real_views"] = {
                    "azimuth": list(spec.azimuth_range),
                    "elevation": list(spec.elevation_range),
                }
            else:
                real, info = fresh_real_images(
                    run.dataset, real_kind, pools, cache_dir, force, progress
                )
                protocol.update(info)
        finally:
            pools.close()

        result, records = evaluate_and_record(
            run_dir,
            run.dataset,
            fake,
            net,
            real_images=real,
            checkpoint=run.path,
            iteration=run.iteration,
            method=config.method,
            preset=preset,
            protocol=protocol,
            cache_dir=cache_dir,
            kid=kid,
        )
    finally:
        torch.set_num_threads(threads)
    return EvalOutcome(
        fid=result.fid,
        kid_mean=result.kid_mean,
        kid_std=result.kid_std,
        records=records,
        skipped=False,
        checkpoint=run.path,
        iteration=run.iteration,
        n_real=result.n_real,
        n_fake=result.n_fake,
        protocol=records[0].protocol,
        records_path=records_path(run_dir),
    )


__all__ = [
    "EVAL_THRESHOLD",
    "OWN_THRESHOLDS",
    "THRESHOLD_RULES",
    "choose_threshold",
    "own_threshold",
    "REAL_SETS",
    "EvalError",
    "EvalOutcome",
    "default_classifier",
    "eval_samples",
    "evaluate_run",
    "eval_view_ranges",
]
