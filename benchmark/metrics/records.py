"""Metric results as JSON-lines records: ``<run>/metrics.jsonl``, one line per metric value.

Every result carries its protocol (metric name, sample counts, feature extractor and its
fingerprint), the data it was measured against (dataset path and :func:`content_digest`) and what
was measured (checkpoint and iteration, source, preset). Tables are built only from these records
(STYLE item 5). Lines are appended with one ``O_APPEND`` write each batch, so concurrent writers
never interleave within a line and a killed writer leaves whole lines only; the reader still skips
a malformed line rather than failing the table.

Example::

    append_records(run, records_from_result(result, dataset=path, checkpoint=ckpt, iteration=3000))
    latest_by_metric(read_records(run))["fid_clf21_5k"].value
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RECORDS_FILE = "metrics.jsonl"
RECORD_VERSION = 1


@dataclass(frozen=True)
class MetricRecord:
    """One metric value and everything needed to tell whether two values are comparable."""

    metric: str
    """Protocol name, e.g. ``fid_clf21_5k`` (:func:`benchmark.metrics.fid.metric_name`)."""
    value: float
    """The metric's value (KID: the mean over subsets; its std is in ``protocol``)."""
    n_real: int
    """Real images the value was computed against."""
    n_fake: int
    """Generated images."""
    feature_extractor: str
    """torch-fidelity extractor name (``igbench-clf21`` or ``inception-v3-compat``)."""
    classifier_fingerprint: str
    """Fingerprint of the extractor's weights."""
    dataset: str | None = None
    """Path of the real images' dataset file."""
    dataset_fingerprint: str | None = None
    """:func:`shapenet_render.dataset.content_digest` of that file."""
    checkpoint: str | None = None
    """Checkpoint of the evaluated model (None for a pair of datasets)."""
    iteration: int | None = None
    """Training iteration of that checkpoint."""
    method: str | None = None
    """Evaluated method (``iggan``, ``visual-hull``, ...)."""
    source: str | None = None
    """Shape source of the data (``procedural``, ``shapenet:PATH``, ...)."""
    preset: str | None = None
    """Preset of the evaluation (fixes the sample counts)."""
    protocol: dict[str, Any] = field(default_factory=dict)
    """Further protocol details: KID std and subsets, real-statistics key, views, threshold..."""
    time: str = ""
    """UTC time of writing (ISO 8601); filled in by :func:`make_record` when empty."""
    version: int = RECORD_VERSION
    """Record format version."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, allow_nan=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricRecord:
        """From a parsed line; unknown keys (from a newer igbench) are kept in ``protocol``."""
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names}
        if extra:
            known["protocol"] = {**known.get("protocol", {}), **extra}
        return cls(**known)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def records_path(run: str | Path) -> Path:
    """``<run>/metrics.jsonl``, or ``run`` itself when it names a ``.jsonl`` file."""
    run = Path(run)
    return run if run.suffix == ".jsonl" else run / RECORDS_FILE


def records_from_result(
    result,
    *,
    dataset: str | Path | None = None,
    dataset_fingerprint: str | None = None,
    checkpoint: str | Path | None = None,
    iteration: int | None = None,
    method: str | None = None,
    source: str | None = None,
    preset: str | None = None,
    protocol: dict[str, Any] | None = None,
) -> list[MetricRecord]:
    """The FID record (and the KID record, when computed) of a :class:`benchmark.metrics.fid.FidResult`."""
    stamp = now_iso()
    common = dict(
        n_real=result.n_real,
        n_fake=result.n_fake,
        feature_extractor=result.extractor,
        classifier_fingerprint=result.fingerprint,
        dataset=None if dataset is None else str(dataset),
        dataset_fingerprint=dataset_fingerprint,
        checkpoint=None if checkpoint is None else str(checkpoint),
        iteration=iteration,
        method=method,
        source=source,
        preset=preset,
        time=stamp,
    )
    base = {"real_stats_key": result.real_key, **(protocol or {})}
    out = [MetricRecord(metric=result.fid_metric, value=result.fid, protocol=base, **common)]
    if result.kid_mean is not None:
        kid_protocol = {
            **base,
            "kid_std": result.kid_std,
            "kid_subsets": result.kid_subsets,
            "kid_subset_size": result.kid_subset_size,
        }
        out.append(
            MetricRecord(
                metric=result.kid_metric, value=result.kid_mean, protocol=kid_protocol, **common
            )
        )
    return out


def append_records(run: str | Path, records: Iterable[MetricRecord]) -> Path:
    """Append records to ``<run>/metrics.jsonl`` with a single ``O_APPEND`` write; returns the path."""
    path = records_path(run)
    lines = "".join(r.to_json() + "\n" for r in records)
    if not lines:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        data = lines.encode()
        written = os.write(fd, data)
        while written < len(data):  # a short write (rare; e.g. a signal): finish the line
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)
    return path


def read_records(run: str | Path) -> list[MetricRecord]:
    """All records of a run, in the order they were written (a missing file gives [])."""
    path = records_path(run)
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(MetricRecord.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                log.warning("%s:%d: skipping malformed record (%s)", path, number, exc)
    return out


def latest_by_metric(records: Iterable[MetricRecord], **match: Any) -> dict[str, MetricRecord]:
    """The newest record per metric name (file order decides), among records whose fields equal
    ``match`` (e.g. ``checkpoint=..., classifier_fingerprint=...``)."""
    out: dict[str, MetricRecord] = {}
    for rec in records:
        if all(getattr(rec, k) == v for k, v in match.items()):
            out[rec.metric] = rec
    return out


def evaluate_and_record(
    run: str | Path,
    real_dataset: str | Path,
    fake_images,
    net,
    *,
    real_images=None,
    checkpoint: str | Path | None = None,
    iteration: int | None = None,
    method: str | None = None,
    preset: str | None = None,
    protocol: dict[str, Any] | None = None,
    cache_dir: str | Path | None = None,
    kid: bool = True,
) -> tuple[Any, list[MetricRecord]]:
    """FID/KID of generated images against a dataset's images, appended to ``<run>/metrics.jsonl``.

    ``real_images`` defaults to the dataset file's stored images; pass fresh renders for an
    ``unlimited`` dataset (and say so in ``protocol``). Returns the
    :class:`~benchmark.metrics.fid.FidResult` and the records written.
    """
    from benchmark.metrics.fid import evaluate, load_images
    from shapenet_render.dataset import ImageDataset, content_digest

    real_dataset = Path(real_dataset)
    spec = ImageDataset(real_dataset).spec
    if real_images is None:
        real_images = load_images(real_dataset)
    result = evaluate(real_images, fake_images, net, cache_dir=cache_dir, kid=kid)
    records = records_from_result(
        result,
        dataset=real_dataset,
        dataset_fingerprint=content_digest(real_dataset),
        checkpoint=checkpoint,
        iteration=iteration,
        method=method,
        source=spec.source,
        preset=preset,
        protocol=protocol,
    )
    append_records(run, records)
    return result, records
