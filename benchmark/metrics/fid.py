"""FID and KID with our retrained classifier's features, through torch-fidelity (paper, 4.4).

The classifier (:mod:`benchmark.metrics.classifier`) is registered with torch-fidelity as the feature
extractor ``igbench-clf21`` (:class:`ClassifierFeatureExtractor`): it takes torch-fidelity's input,
``(B, 3, H, W)`` uint8 images of any size, and provides the average-pool features (``"pool"``,
the FID/KID layer: 2048 values for the full-width network, 1024 for the ``cpu`` preset's half
width) and the class logits (``"logits"``). Its weights are a ``classifier.pt``, given as
torch-fidelity's ``feature_extractor_weights_path``.

Two ways to the same numbers
    :func:`fid` / :func:`kid` / :func:`fidelity_metrics` call ``torch_fidelity.calculate_metrics``
    end to end (no cache). :func:`evaluate` runs the same computation as small stages --
    :func:`features` -> :func:`stats` -> :func:`fid_from_stats` (and :func:`kid_from_features`) --
    each a thin call into torch-fidelity's own feature loop and metric functions, so that the real
    images' statistics can be cached: they are computed once per (images, classifier, protocol) and
    reused by every run evaluated against them. One departure, for speed: when a set has fewer
    images than feature dimensions, FID's trace term is computed exactly in that set's smaller
    space (:func:`fid_from_features`) instead of from a d x d non-symmetric eigenproblem.
    The tests check that both ways agree with ``calculate_metrics``.

Real-statistics cache
    ``<cache>/fid/<key>.npz`` with ``mu``, ``sigma`` and the features (KID needs them), where
    ``key = sha256(sha256(image bytes) | extractor fingerprint | protocol)``; a changed image, a
    retrained classifier or a changed protocol gives a new key, never a stale hit. Files are
    written to a temporary name and renamed into place. ``<cache>`` is ``$IGBENCH_CACHE`` or
    ``~/.cache/igbench``.

ImageNet Inception
    torch-fidelity's standard ``inception-v3-compat`` (the paper's supplementary FIDs) is used only
    with a local weights file (``inception_weights=``); nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from torch_fidelity.feature_extractor_base import FeatureExtractorBase

from benchmark.metrics.classifier import (
    FEATURE_DIM,
    MIN_INPUT_RES,
    Classifier,
    ClassifierError,
    load_classifier,
    state_fingerprint,
)

log = logging.getLogger(__name__)

#: Our extractor's name in torch-fidelity's registry.
EXTRACTOR_NAME = "igbench-clf21"
#: torch-fidelity's ImageNet Inception (needs a local weights file here).
IMAGENET_NAME = "inception-v3-compat"
#: Our extractor's FID/KID layer: the average-pool features (``2048 * width`` values).
FEATURE_LAYER = "pool"
#: torch-fidelity's name for the ImageNet Inception's 2048-d pool features.
IMAGENET_LAYER = "2048"
#: Bumped when the cached content or its computation changes.
CACHE_VERSION = 1
#: Environment variable overriding the cache folder.
CACHE_ENV = "IGBENCH_CACHE"
#: Generated samples per evaluation, by preset (the ``5k`` in ``fid_clf21_5k``). Not stated in the
#: paper (ours); cpu and smoke are cut so that rendering the samples stays cheap.
EVAL_SAMPLES = {"paper": 5000, "cpu": 1000, "smoke": 64}
#: KID defaults (torch-fidelity's): subsets of 1000 (fewer when a set is smaller), 100 subsets.
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
#: torch-fidelity's default seed for KID's subset draws.
KID_SEED = 2020

IMAGENET_NEEDS_WEIGHTS = (
    "the standard ImageNet Inception (torch-fidelity's inception-v3-compat) needs its weights, "
    "which cannot be downloaded here; pass a local copy of "
    "weights-inception-2015-12-05-6726825d.pth with --inception-weights PATH, or use our "
    "classifier (--classifier PATH)"
)


class FidError(ValueError):
    """An FID/KID request that cannot be served; the message says which input and why."""


# --------------------------------------------------------------------------------------------------
# The torch-fidelity feature extractor
# --------------------------------------------------------------------------------------------------


class ClassifierFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity's view of our classifier: uint8 ``(B, 3, H, W)`` -> pool features, logits.

    Constructed by torch-fidelity as ``cls(name, features_list, **calculate_metrics_kwargs)``; the
    weights come from ``feature_extractor_weights_path`` (a ``classifier.pt``), or from an
    in-memory :class:`~benchmark.metrics.classifier.Classifier` passed as ``igbench_classifier``.
    """

    def __init__(
        self,
        name: str,
        features_list: Sequence[str],
        feature_extractor_weights_path: str | None = None,
        igbench_classifier: Classifier | None = None,
        **kwargs,
    ):
        super().__init__(name, list(features_list))
        if igbench_classifier is None:
            if not feature_extractor_weights_path:
                raise FidError(
                    f"feature extractor {name!r} needs a classifier checkpoint "
                    "(feature_extractor_weights_path=PATH/classifier.pt)"
                )
            igbench_classifier = load_classifier(feature_extractor_weights_path, device="cpu")
        self.classifier = igbench_classifier
        self.fingerprint = igbench_classifier.fingerprint or state_fingerprint(
            igbench_classifier.net.state_dict()
        )

    @staticmethod
    def get_provided_features_list():
        return (FEATURE_LAYER, "logits")

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return {"isc": "logits", "fid": FEATURE_LAYER, "kid": FEATURE_LAYER, "prc": FEATURE_LAYER}[
            metric
        ]

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, MIN_INPUT_RES, MIN_INPUT_RES, dtype=torch.uint8)

    def forward(self, x: torch.Tensor):
        if not (torch.is_tensor(x) and x.dtype == torch.uint8 and x.dim() == 4 and x.shape[1] == 3):
            raise FidError(f"expected (B, 3, H, W) uint8 images, got {getattr(x, 'shape', x)}")
        pool, logits = self.classifier.features(x)
        out = {FEATURE_LAYER: pool.float(), "logits": logits.float()}
        return tuple(out[name] for name in self.features_list)


def _register() -> None:
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

    if EXTRACTOR_NAME not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(EXTRACTOR_NAME, ClassifierFeatureExtractor)


_register()


@dataclass
class FeatureNet:
    """A ready feature extractor and what identifies it in cache keys and metric names."""

    extractor: FeatureExtractorBase
    """torch-fidelity extractor (eval mode, on its device) providing :attr:`layer`."""
    name: str
    """Its torch-fidelity registry name."""
    tag: str
    """Short name in metric names: ``clf21`` (our classifier on 21 classes) or ``inception``."""
    layer: str
    """The torch-fidelity feature layer FID and KID use."""
    dim: int
    """Its number of values per image."""
    fingerprint: str
    """16 hex digits identifying the weights (our classifier's fingerprint, or the sha256 of the
    ImageNet weights file)."""
    weights_path: str | None
    """The file the weights came from (None for an in-memory classifier)."""
    classifier: Classifier | None = None
    """Our classifier, when that is the extractor."""

    @property
    def cuda(self) -> bool:
        return next(self.extractor.parameters()).is_cuda


def _wants_imagenet(classifier) -> bool:
    return isinstance(classifier, (str, Path)) and str(classifier) in (IMAGENET_NAME, "imagenet")


def _use_cuda(device: str | torch.device | None) -> bool:
    if device is None:
        return torch.cuda.is_available()
    return torch.device(device).type == "cuda"


def _file_fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def feature_net(
    classifier: str | Path | Classifier | None = None,
    inception_weights: str | Path | None = None,
    device: str | torch.device | None = None,
) -> FeatureNet:
    """The feature extractor for FID/KID: our classifier (a ``classifier.pt`` path or a loaded
    :class:`Classifier`), or torch-fidelity's ImageNet Inception from a local weights file.

    Raises :class:`FidError` when neither is given, or when the ImageNet Inception is asked for
    (``classifier="inception-v3-compat"``) without its weights.
    """
    from torch_fidelity.utils import create_feature_extractor

    cuda = _use_cuda(device)
    if inception_weights is not None or _wants_imagenet(classifier):
        if inception_weights is None:
            raise FidError(IMAGENET_NEEDS_WEIGHTS)
        path = Path(inception_weights)
        if not path.is_file():
            raise FidError(f"{path}: no such Inception weights file ({IMAGENET_NEEDS_WEIGHTS})")
        try:
            ext = create_feature_extractor(
                IMAGENET_NAME,
                [IMAGENET_LAYER],
                cuda=cuda,
                feature_extractor_weights_path=str(path),
                verbose=False,
            )
        except Exception as exc:
            raise FidError(f"{path}: not usable as Inception weights ({exc})") from exc
        return FeatureNet(
            ext,
            IMAGENET_NAME,
            "inception",
            IMAGENET_LAYER,
            FEATURE_DIM,
            _file_fingerprint(path),
            str(path),
        )
    if classifier is None:
        raise FidError("no feature extractor: pass a classifier checkpoint (--classifier PATH)")
    kwargs: dict[str, Any] = {}
    weights = None
    if isinstance(classifier, Classifier):
        kwargs["igbench_classifier"] = classifier
    else:
        weights = str(classifier)
        kwargs["feature_extractor_weights_path"] = weights
    ext = create_feature_extractor(
        EXTRACTOR_NAME, [FEATURE_LAYER], cuda=cuda, verbose=False, **kwargs
    )
    clf = ext.classifier
    return FeatureNet(
        ext,
        EXTRACTOR_NAME,
        f"clf{len(clf.class_names) or clf.num_classes}",
        FEATURE_LAYER,
        clf.feature_dim,
        ext.fingerprint,
        weights,
        clf,
    )


# --------------------------------------------------------------------------------------------------
# Image sets
# --------------------------------------------------------------------------------------------------


def as_uint8_images(images) -> np.ndarray:
    """``(n, H, W)``, ``(n, H, W, 3)`` or ``(n, 1|3, H, W)`` uint8 (array or tensor) ->
    ``(n, C, H, W)`` uint8 with C in {1, 3}."""
    arr = images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images)
    if arr.dtype != np.uint8:
        raise FidError(f"images must be uint8, got {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[-1] == 3 and arr.shape[1] not in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise FidError(f"images must be (n, H, W), (n, H, W, 3) or (n, 1|3, H, W); got {arr.shape}")
    return np.ascontiguousarray(arr)


class ImageSet(Dataset):
    """In-memory images as torch-fidelity input: item ``i`` is a ``(3, H, W)`` uint8 tensor
    (gray images repeated to 3 channels)."""

    def __init__(self, images):
        self.images = as_uint8_images(images)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = torch.from_numpy(self.images[i])
        return x.repeat(3, 1, 1) if x.shape[0] == 1 else x


def load_images(path: str | Path, max_images: int | None = None) -> np.ndarray:
    """The first ``max_images`` images of a dataset file, ``(n, H, W)`` uint8."""
    import h5py

    from shapenet_render.dataset import DatasetError, validate

    path = Path(path)
    if not path.is_file():
        raise FidError(f"{path}: no such dataset file")
    try:
        with h5py.File(path, "r") as f:
            validate(f, str(path))
            ds = f["images"]
            return ds[: len(ds) if max_images is None else min(max_images, len(ds))]
    except DatasetError as exc:
        raise FidError(str(exc)) from exc
    except OSError as exc:
        raise FidError(f"{path}: not a readable HDF5 file ({exc})") from exc


def images_digest(images) -> str:
    """sha256 (hex) of an image set's shape and bytes: identical images, identical digest."""
    arr = as_uint8_images(images)
    h = hashlib.sha256(f"{arr.shape}|{arr.dtype}|".encode())
    for start in range(0, len(arr), 1024):
        h.update(arr[start : start + 1024].tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# Pure stages (torch-fidelity's own loop and math)
# --------------------------------------------------------------------------------------------------


def features(images, net: FeatureNet, batch_size: int = 64) -> np.ndarray:
    """``(n, net.dim)`` float32 pool features of uint8 images (torch-fidelity's feature loop)."""
    from torch_fidelity.utils import get_featuresdict_from_dataset

    ds = images if isinstance(images, Dataset) else ImageSet(images)
    if len(ds) == 0:
        raise FidError("no images to compute features of")
    out = get_featuresdict_from_dataset(
        ds, net.extractor, batch_size, net.cuda, save_cpu_ram=True, verbose=False
    )
    feats = out[net.layer].numpy()
    if feats.ndim != 2 or feats.shape[1] != net.dim:
        raise FidError(f"feature extractor gave {feats.shape}, expected (n, {net.dim})")
    return feats


def stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mu (d,), sigma (d, d))`` float64 of ``(n, d)`` features (torch-fidelity's)."""
    from torch_fidelity.metric_fid import fid_features_to_statistics

    if len(feats) < 2:
        raise FidError(f"FID needs at least 2 images per set, got {len(feats)}")
    st = fid_features_to_statistics(torch.from_numpy(np.asarray(feats)))
    return st["mu"], st["sigma"]


def fid_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """The Frechet distance between two Gaussians (torch-fidelity's ``fid_statistics_to_metric``)."""
    from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_statistics_to_metric

    out = fid_statistics_to_metric(
        {"mu": np.asarray(mu1), "sigma": np.asarray(sigma1)},
        {"mu": np.asarray(mu2), "sigma": np.asarray(sigma2)},
        verbose=False,
    )
    return float(out[KEY_METRIC_FID])


def fid_from_features(mu1, sigma1, mu2, sigma2, features2: np.ndarray) -> float:
    """The same Frechet distance as :func:`fid_from_stats`, given also the features that
    ``(mu2, sigma2)`` were computed from; exact and far cheaper when there are fewer of them than
    dimensions (e.g. 1000 generated images and 1024- or 2048-d features).

    torch-fidelity takes ``tr sqrt(sigma1 sigma2)`` from the eigenvalues of the non-symmetric
    ``d x d`` product (LAPACK ``geev``: 6 s for d = 2048 on one free core, several times that on a
    busy one). With ``sigma2 = B B^T``, ``B = (X2 - mean) / sqrt(n2 - 1)`` of shape ``(d, n2)``,
    the product's non-zero eigenvalues are those of the symmetric PSD ``B^T sigma1 B``
    (``n2 x n2``), so the trace is ``sum sqrt(eigvalsh(B^T sigma1 B))``. The other terms are
    torch-fidelity's. With ``n2 >= d`` this falls back to :func:`fid_from_stats`.
    """
    x = np.asarray(features2, dtype=np.float64)
    n, d = x.shape
    if n >= d:
        return fid_from_stats(mu1, sigma1, mu2, sigma2)
    mu1, mu2 = np.asarray(mu1), np.asarray(mu2)
    sigma1, sigma2 = np.asarray(sigma1), np.asarray(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or mu2.shape != (d,):
        raise FidError(f"statistics of different shapes: {mu1.shape} / {mu2.shape} / {x.shape}")
    b = (x - x.mean(axis=0)).T / np.sqrt(n - 1)  # (d, n): sigma2 = b @ b.T, as np.cov
    m = b.T @ sigma1 @ b
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_covmean = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def kid_subset_size(n1: int, n2: int, requested: int | None = None) -> int:
    """KID's subset size: the request (default 1000), capped by the smaller set."""
    return min(requested or KID_SUBSET_SIZE, n1, n2)


def kid_from_features(
    feats1: np.ndarray,
    feats2: np.ndarray,
    subsets: int = KID_SUBSETS,
    subset_size: int | None = None,
    seed: int = KID_SEED,
) -> tuple[float, float]:
    """KID ``(mean, std)`` over random subsets (torch-fidelity's ``kid_features_to_metric``)."""
    from torch_fidelity.metric_kid import (
        KEY_METRIC_KID_MEAN,
        KEY_METRIC_KID_STD,
        kid_features_to_metric,
    )

    size = kid_subset_size(len(feats1), len(feats2), subset_size)
    if size < 2:
        raise FidError("KID needs at least 2 images per set")
    out = kid_features_to_metric(
        torch.from_numpy(np.asarray(feats1)),
        torch.from_numpy(np.asarray(feats2)),
        kid_subsets=subsets,
        kid_subset_size=size,
        rng_seed=seed,
        verbose=False,
    )
    return float(out[KEY_METRIC_KID_MEAN]), float(out[KEY_METRIC_KID_STD])


# --------------------------------------------------------------------------------------------------
# The real-statistics cache
# --------------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$IGBENCH_CACHE`` or ``~/.cache/igbench``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "igbench")


def protocol_string(net: FeatureNet) -> str:
    """What, besides the images and the weights, fixes the cached features."""
    import torch_fidelity

    return (
        f"{net.name}|layer={net.layer}|torch-fidelity={torch_fidelity.__version__}|v{CACHE_VERSION}"
    )


def stats_key(image_digest: str, fingerprint: str, protocol: str) -> str:
    """The cache key: sha256 of the images' digest, the extractor's fingerprint and the protocol."""
    return hashlib.sha256(f"{image_digest}|{fingerprint}|{protocol}".encode()).hexdigest()


@dataclass
class RealStats:
    """Statistics of the real images (from the cache or freshly computed)."""

    mu: np.ndarray
    sigma: np.ndarray
    features: np.ndarray
    key: str
    cached: bool
    """True when read from the cache."""

    @property
    def n(self) -> int:
        return len(self.features)


def real_statistics(
    images,
    net: FeatureNet,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    batch_size: int = 64,
) -> RealStats:
    """Features, mean and covariance of the real images, cached under their content key."""
    from shapenet_render.io_utils import atomic_path

    images = as_uint8_images(images)
    protocol = protocol_string(net)
    key = stats_key(images_digest(images), net.fingerprint, protocol)
    path = Path(cache_dir or default_cache_dir()) / "fid" / f"{key}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return RealStats(z["mu"], z["sigma"], z["features"], key, cached=True)
        except (OSError, ValueError, KeyError) as exc:  # unreadable: recompute and replace
            log.warning("ignoring unreadable FID cache file %s (%s)", path, exc)
    feats = features(images, net, batch_size)
    mu, sigma = stats(feats)
    if use_cache:
        meta = {"protocol": protocol, "fingerprint": net.fingerprint, "n": len(feats)}
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, mu=mu, sigma=sigma, features=feats, meta=json.dumps(meta))
    return RealStats(mu, sigma, feats, key, cached=False)


# --------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------


def count_label(n: int) -> str:
    """Sample count in metric names: 5000 -> ``5k``, 1500 -> ``1500``."""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def metric_name(kind: str, tag: str, n_fake: int) -> str:
    """``fid_clf21_5k``: what (fid/kid), with which features, over how many generated images."""
    return f"{kind}_{tag}_{count_label(n_fake)}"


@dataclass
class FidResult:
    """One FID (and KID) evaluation and the protocol that produced it."""

    fid: float
    kid_mean: float | None
    kid_std: float | None
    n_real: int
    n_fake: int
    extractor: str
    tag: str
    fingerprint: str
    kid_subsets: int
    kid_subset_size: int | None
    real_key: str
    real_cached: bool

    @property
    def fid_metric(self) -> str:
        return metric_name("fid", self.tag, self.n_fake)

    @property
    def kid_metric(self) -> str:
        return metric_name("kid", self.tag, self.n_fake)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"fid_metric": self.fid_metric, "kid_metric": self.kid_metric}

    def format(self) -> str:
        text = f"{self.fid_metric} = {self.fid:.3f}"
        if self.kid_mean is not None:
            text += f"   {self.kid_metric} = {self.kid_mean:.5f} +- {self.kid_std:.5f}"
        return (
            f"{text}   ({self.n_real} real, {self.n_fake} generated images; {self.extractor} "
            f"{self.fingerprint}; real statistics {'cached' if self.real_cached else 'computed'})"
        )


def evaluate(
    real,
    fake,
    net: FeatureNet,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    kid: bool = True,
    kid_subsets: int = KID_SUBSETS,
    kid_size: int | None = None,
    batch_size: int = 64,
) -> FidResult:
    """FID (and KID) between real and generated uint8 images; the real side's statistics come
    from the content-keyed cache when present."""
    real_stats = real_statistics(real, net, cache_dir, use_cache, batch_size)
    fake_feats = features(fake, net, batch_size)
    mu, sigma = stats(fake_feats)
    # FID is symmetric: take the trace term in the space of the smaller set (fid_from_features)
    if len(fake_feats) <= real_stats.n:
        value = fid_from_features(real_stats.mu, real_stats.sigma, mu, sigma, fake_feats)
    else:
        value = fid_from_features(mu, sigma, real_stats.mu, real_stats.sigma, real_stats.features)
    kid_mean = kid_std = size = None
    if kid:
        size = kid_subset_size(real_stats.n, len(fake_feats), kid_size)
        kid_mean, kid_std = kid_from_features(real_stats.features, fake_feats, kid_subsets, size)
    return FidResult(
        fid=value,
        kid_mean=kid_mean,
        kid_std=kid_std,
        n_real=real_stats.n,
        n_fake=len(fake_feats),
        extractor=net.name,
        tag=net.tag,
        fingerprint=net.fingerprint,
        kid_subsets=kid_subsets,
        kid_subset_size=size,
        real_key=real_stats.key,
        real_cached=real_stats.cached,
    )


# --------------------------------------------------------------------------------------------------
# End to end through torch_fidelity.calculate_metrics
# --------------------------------------------------------------------------------------------------


def fidelity_metrics(
    real,
    fake,
    classifier: str | Path | Classifier | FeatureNet | None = None,
    inception_weights: str | Path | None = None,
    fid: bool = True,
    kid: bool = True,
    kid_subsets: int = KID_SUBSETS,
    kid_size: int | None = None,
    batch_size: int = 64,
    device: str | torch.device | None = None,
) -> dict[str, float]:
    """``torch_fidelity.calculate_metrics`` on two uint8 image sets with our extractor (or the
    ImageNet Inception from local weights); returns torch-fidelity's result dict. No caching."""
    import torch_fidelity

    if isinstance(classifier, FeatureNet):
        net = classifier
        classifier = net.classifier if net.classifier is not None else net.weights_path
        if net.name == IMAGENET_NAME:
            inception_weights, classifier = net.weights_path, None
    r, f = ImageSet(real), ImageSet(fake)
    kwargs: dict[str, Any] = dict(
        input1=r,
        input2=f,
        fid=fid,
        kid=kid,
        cuda=_use_cuda(device),
        batch_size=batch_size,
        cache=False,  # torch-fidelity caches by name; ours are keyed by content (evaluate)
        save_cpu_ram=True,  # no DataLoader worker processes for in-memory arrays
        verbose=False,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size(len(r), len(f), kid_size),
    )
    if inception_weights is not None or _wants_imagenet(classifier):
        if inception_weights is None or not Path(inception_weights).is_file():
            raise FidError(IMAGENET_NEEDS_WEIGHTS)
        kwargs.update(
            feature_extractor=IMAGENET_NAME, feature_extractor_weights_path=str(inception_weights)
        )
    elif isinstance(classifier, Classifier):
        kwargs.update(feature_extractor=EXTRACTOR_NAME, igbench_classifier=classifier)
    elif classifier is not None:
        kwargs.update(
            feature_extractor=EXTRACTOR_NAME, feature_extractor_weights_path=str(classifier)
        )
    else:
        raise FidError("no feature extractor: pass a classifier checkpoint (--classifier PATH)")
    return torch_fidelity.calculate_metrics(**kwargs)


def fid(real, fake, classifier, **kwargs) -> float:
    """FID between two uint8 image sets, through ``torch_fidelity.calculate_metrics``."""
    from torch_fidelity import KEY_METRIC_FID

    return float(
        fidelity_metrics(real, fake, classifier, fid=True, kid=False, **kwargs)[KEY_METRIC_FID]
    )


def kid(real, fake, classifier, **kwargs) -> tuple[float, float]:
    """KID ``(mean, std)`` between two uint8 image sets, through ``calculate_metrics``."""
    from torch_fidelity import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD

    out = fidelity_metrics(real, fake, classifier, fid=False, kid=True, **kwargs)
    return float(out[KEY_METRIC_KID_MEAN]), float(out[KEY_METRIC_KID_STD])


__all__ = [
    "CACHE_ENV",
    "EVAL_SAMPLES",
    "EXTRACTOR_NAME",
    "ClassifierError",
    "ClassifierFeatureExtractor",
    "FeatureNet",
    "FidError",
    "FidResult",
    "ImageSet",
    "RealStats",
    "evaluate",
    "feature_net",
    "features",
    "fid",
    "fid_from_features",
    "fid_from_stats",
    "fidelity_metrics",
    "images_digest",
    "kid",
    "kid_from_features",
    "load_images",
    "metric_name",
    "real_statistics",
    "stats",
    "stats_key",
]
