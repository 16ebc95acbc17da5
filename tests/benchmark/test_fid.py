"""FID/KID through torch-fidelity with the classifier's features; the content-keyed cache."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import benchmark.metrics.fid as fidmod
from benchmark.metrics.classifier import state_fingerprint
from benchmark.metrics.fid import (
    EXTRACTOR_NAME,
    FidError,
    ImageSet,
    evaluate,
    feature_net,
    fid_from_features,
    fid_from_stats,
    fidelity_metrics,
    images_digest,
    kid_from_features,
    load_images,
    metric_name,
    real_statistics,
    stats,
    stats_key,
)
from benchmark.metrics.records import evaluate_and_record, latest_by_metric, read_records
from shapenet_render.dataset import content_digest


@pytest.fixture(scope="module")
def net(smoke_classifier):
    _, result = smoke_classifier
    return feature_net(result.checkpoint, device="cpu")


@pytest.fixture(scope="module")
def images(class_files):
    """Class -> (96, 32, 32) uint8: 48 models x 2 views, consecutive views of one model."""
    return {name: load_images(path) for name, path in class_files.items()}


def test_extractor_is_registered():
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

    assert FEATURE_EXTRACTORS_REGISTRY[EXTRACTOR_NAME] is fidmod.ClassifierFeatureExtractor


def test_imagenet_inception_needs_local_weights(tmp_path):
    with pytest.raises(FidError, match="cannot be downloaded"):
        feature_net("inception-v3-compat")
    with pytest.raises(FidError, match="no such Inception weights"):
        feature_net(inception_weights=tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not weights")
    with pytest.raises(FidError, match="not usable as Inception weights"):
        feature_net(inception_weights=junk, device="cpu")
    imgs = np.zeros((4, 16, 16), np.uint8)
    with pytest.raises(FidError, match="cannot be downloaded"):
        fidelity_metrics(imgs, imgs, "inception-v3-compat")
    with pytest.raises(FidError, match="classifier"):
        feature_net(None)


def test_image_set_layouts():
    gray = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)
    item = ImageSet(gray)[1]
    assert item.shape == (3, 8, 8) and item.dtype == torch.uint8
    assert torch.equal(item[0], item[2]) and torch.equal(item[0], torch.from_numpy(gray[1]))
    hwc = np.repeat(gray[..., None], 3, axis=-1)
    assert torch.equal(ImageSet(hwc)[1], item)
    with pytest.raises(FidError, match="uint8"):
        ImageSet(gray.astype(np.float32))


def test_metric_names():
    assert metric_name("fid", "clf21", 5000) == "fid_clf21_5k"
    assert metric_name("kid", "clf21", 1500) == "kid_clf21_1500"
    assert metric_name("fid", "inception", 64) == "fid_inception_64"


def test_fid_kid_math_on_gaussians():
    """The stages on synthetic features: identical sets give ~0, shifted sets give |shift|^2."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 8)).astype(np.float32)
    mu, sigma = stats(a)
    assert abs(fid_from_stats(mu, sigma, mu, sigma)) < 1e-6
    shift = np.full(8, 0.5, np.float32)
    assert fid_from_stats(*stats(a), *stats(a + shift)) == pytest.approx(8 * 0.25, rel=1e-4)
    b = rng.normal(size=(400, 8)).astype(np.float32)
    near, far = kid_from_features(a, b, 10, 100), kid_from_features(a, b + 1.0, 10, 100)
    assert abs(near[0]) < far[0]


@pytest.mark.parametrize("n1,n2", [(20, 30), (300, 25), (300, 200)])
def test_low_rank_trace_matches_torch_fidelity(n1, n2):
    """fid_from_features (the trace in the smaller set's space) == torch-fidelity's eigvals."""
    rng = np.random.default_rng(n1 + n2)
    d = 96
    mix = rng.normal(size=(d, d))
    f1 = (rng.normal(size=(n1, d)) @ mix).astype(np.float32)
    f2 = (rng.normal(size=(n2, d)) @ mix * 1.3 + 0.2).astype(np.float32)
    s1, s2 = stats(f1), stats(f2)
    ref = fid_from_stats(*s1, *s2)
    assert fid_from_features(*s1, *s2, f2) == pytest.approx(ref, rel=1e-6)
    assert fid_from_features(*s2, *s1, f1) == pytest.approx(ref, rel=1e-6)


@pytest.mark.gl
def test_fid_sanity(net, images, tmp_path):
    """Self ~ 0; two halves of one class (different models) far closer than that class against
    another; KID agrees in ordering."""
    chairs, planes = images["chair"], images["airplane"]
    half_a, half_b = chairs[:48], chairs[48:96]  # models 0-23 and 24-47
    self_fid = evaluate(half_a, half_a, net, cache_dir=tmp_path, kid=False).fid
    same = evaluate(half_a, half_b, net, cache_dir=tmp_path)
    other = evaluate(half_a, planes[:48], net, cache_dir=tmp_path)
    assert abs(self_fid) < 1e-3 * other.fid
    assert same.fid < 0.5 * other.fid, (same.fid, other.fid)
    assert same.kid_mean < 0.5 * other.kid_mean, (same.kid_mean, other.kid_mean)
    assert same.fid_metric == "fid_clf2_48" and same.kid_subset_size == 48


@pytest.mark.gl
def test_staged_path_matches_calculate_metrics(net, images, tmp_path):
    """evaluate() (stages + cache + low-rank trace) gives torch_fidelity.calculate_metrics'
    numbers, with the classifier in memory and from its checkpoint path."""
    from torch_fidelity import KEY_METRIC_FID, KEY_METRIC_KID_MEAN

    real, fake = images["chair"][:40], images["airplane"][:24]
    ours = evaluate(real, fake, net, cache_dir=tmp_path, kid_subsets=10)
    lib = fidelity_metrics(real, fake, net, kid_subsets=10, device="cpu")  # one d x d eigvals
    assert ours.fid == pytest.approx(lib[KEY_METRIC_FID], rel=1e-5)
    assert ours.kid_mean == pytest.approx(lib[KEY_METRIC_KID_MEAN], rel=1e-4, abs=1e-7)
    kid_mean, _ = fidmod.kid(real, fake, net.weights_path, kid_subsets=10, device="cpu")
    assert kid_mean == pytest.approx(lib[KEY_METRIC_KID_MEAN], rel=1e-4, abs=1e-7)


@pytest.mark.gl
def test_real_statistics_are_cached_by_content(net, images, tmp_path, monkeypatch):
    calls = []
    real_features = fidmod.features

    def counting(imgs, n, batch_size=64):
        calls.append(len(imgs))
        return real_features(imgs, n, batch_size)

    monkeypatch.setattr(fidmod, "features", counting)
    real, fake = images["chair"][:16], images["airplane"][:8]
    first = evaluate(real, fake, net, cache_dir=tmp_path, kid=False)
    assert calls == [16, 8] and not first.real_cached
    second = evaluate(real, fake, net, cache_dir=tmp_path, kid=False)
    assert calls == [16, 8, 8] and second.real_cached  # real features reused
    assert second.fid == first.fid and second.real_key == first.real_key
    assert len(list((tmp_path / "fid").glob("*.npz"))) == 1

    # one changed pixel: a new key, recomputed
    changed = real.copy()
    changed[0, 0, 0] ^= 1
    third = real_statistics(changed, net, cache_dir=tmp_path)
    assert not third.cached and third.key != first.real_key and calls[-1] == 16

    # a retrained (here: perturbed) classifier: a new key, recomputed
    clf = copy.deepcopy(net.classifier)
    with torch.no_grad():
        clf.net.fc.bias.add_(0.01)
    clf.fingerprint = state_fingerprint(clf.net.state_dict())
    net2 = feature_net(clf, device="cpu")
    assert net2.fingerprint != net.fingerprint
    fourth = real_statistics(real, net2, cache_dir=tmp_path)
    assert not fourth.cached and fourth.key != first.real_key and calls[-1] == 16

    # no cache: computed, nothing written
    n_files = len(list((tmp_path / "fid").glob("*.npz")))
    real_statistics(real, net, cache_dir=tmp_path, use_cache=False)
    assert calls[-1] == 16 and len(list((tmp_path / "fid").glob("*.npz"))) == n_files


def test_stats_key_depends_on_every_part():
    imgs = np.zeros((3, 8, 8), np.uint8)
    d = images_digest(imgs)
    assert d == images_digest(imgs.copy())
    assert d != images_digest(imgs[:2]) and d != images_digest(imgs.reshape(3, 4, 16))
    k = stats_key(d, "fp", "proto")
    assert k != stats_key(d, "fp2", "proto") and k != stats_key(d, "fp", "proto2")


@pytest.mark.gl
def test_fid_command(smoke_classifier, class_files, tmp_path):
    from benchmark.cli.evaluate import fid_cmd

    _, result = smoke_classifier
    runner = CliRunner()
    args = [
        str(class_files["chair"]),
        str(class_files["airplane"]),
        "--classifier",
        str(result.checkpoint),
    ]
    args += ["--cache-dir", str(tmp_path), "--max-images", "24"]
    out = runner.invoke(fid_cmd, args + ["--record", str(tmp_path / "run")])
    assert out.exit_code == 0, out.output
    assert "fid_clf2_24 = " in out.output and "kid_clf2_24 = " in out.output
    recs = latest_by_metric(read_records(tmp_path / "run"))
    assert set(recs) == {"fid_clf2_24", "kid_clf2_24"}
    assert recs["fid_clf2_24"].dataset_fingerprint == content_digest(class_files["chair"])
    assert recs["fid_clf2_24"].classifier_fingerprint == result.fingerprint
    out = runner.invoke(fid_cmd, args + ["--json", "--no-kid"])
    assert out.exit_code == 0 and '"real_cached": true' in out.output

    missing = runner.invoke(
        fid_cmd,
        [str(class_files["chair"]), str(class_files["airplane"]), "--classifier", "nope.pt"],
    )
    assert missing.exit_code == 1 and "igbench classifier train" in missing.output
    imagenet = runner.invoke(fid_cmd, args[:2] + ["--classifier", "inception-v3-compat"])
    assert imagenet.exit_code == 1 and "cannot be downloaded" in imagenet.output


@pytest.mark.gl
def test_evaluate_and_record(net, images, class_files, tmp_path):
    fake = images["airplane"][:20]
    result, recs = evaluate_and_record(
        tmp_path / "run",
        class_files["chair"],
        fake,
        net,
        checkpoint="runs/x/checkpoints/ckpt-00000010.pt",
        iteration=10,
        method="iggan",
        preset="smoke",
        cache_dir=tmp_path / "cache",
    )
    back = read_records(tmp_path / "run")
    assert back == recs and [r.metric for r in back] == ["fid_clf2_20", "kid_clf2_20"]
    assert back[0].value == result.fid and back[0].n_real == 96 and back[0].n_fake == 20
    assert back[0].source == "procedural" and back[0].iteration == 10
