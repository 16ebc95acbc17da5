"""``igbench eval RUN``: FID/KID of tiny trained runs, written as records, idempotent."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from benchmark.cli import main
from benchmark.metrics.evaluate import (
    OWN_THRESHOLDS,
    EvalError,
    choose_threshold,
    evaluate_run,
    normal_view_ranges,
)
from benchmark.metrics.fid import feature_net, metric_name
from benchmark.metrics.records import read_records
from iggan.checkpoint import latest_checkpoint
from iggan.config import preset as train_preset
from iggan.training import train
from shapenet_render.dataset import ImageDataset, content_digest, make_spec, render_dataset

pytestmark = pytest.mark.gl

#: Generated samples per test evaluation (smoke sizes: a few seconds each).
N = 16


def _dataset(root, category, mode):
    spec = make_spec(category, mode, "smoke", max_models=8)
    return render_dataset(spec, out=root / f"{category}-{mode}.h5", workers=1).path


def _train(data, run_dir, method="iggan"):
    # Two iterations and one checkpoint; renders in this process (no pool start-up).
    config = train_preset(
        "smoke",
        method=method,
        data=str(data),
        device="cpu",
        iterations=2,
        sample_every=0,
        render_workers=0,
    )
    train(config, run_dir, progress=False)
    return run_dir


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-data")
    return {
        "cubes": _dataset(root, "cubes", "one-per-model"),
        "unlimited": _dataset(root, "cubes", "unlimited"),
        "lvp": _dataset(root, "chair", "lvp"),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("eval-runs")
    return {
        "iggan": _train(data["cubes"], root / "iggan"),
        "dcgan": _train(data["cubes"], root / "dcgan", method="dcgan"),
        "lvp": _train(data["lvp"], root / "lvp"),
        "unlimited": _train(data["unlimited"], root / "unlimited"),
    }


@pytest.fixture(scope="module")
def clf(smoke_classifier):
    """``(checkpoint, feature tag, fingerprint)`` of the session's smoke classifier."""
    path = smoke_classifier[1].checkpoint
    net = feature_net(path, device="cpu")
    return path, net.tag, net.fingerprint


def _eval(run, clf, tmp_path, **kwargs):
    kwargs = {"n": N, "workers": 0, "device": "cpu", "cache_dir": tmp_path / "cache"} | kwargs
    return evaluate_run(run, classifier=clf[0], **kwargs)


def _lines(run):
    return (run / "metrics.jsonl").read_text().splitlines()


def test_eval_writes_fid_and_kid_records(runs, data, clf, tmp_path):
    run = runs["iggan"]
    seen = []
    out = _eval(run, clf, tmp_path, progress=lambda *a: seen.append(a))
    tag = clf[1]
    assert not out.skipped
    assert seen[-1] == ("sample", N, N)
    assert [r.metric for r in out.records] == [
        metric_name("fid", tag, N),
        metric_name("kid", tag, N),
    ]
    assert out.n_fake == N and out.n_real == len(ImageDataset(data["cubes"]))
    assert math.isfinite(out.fid) and math.isfinite(out.kid_mean) and math.isfinite(out.kid_std)
    assert out.iteration == 2 and out.checkpoint == latest_checkpoint(run)
    for rec in out.records:
        assert rec.n_fake == N and math.isfinite(rec.value)
        assert rec.classifier_fingerprint == clf[2]
        assert rec.dataset == str(data["cubes"])
        assert rec.dataset_fingerprint == content_digest(data["cubes"])
        assert rec.checkpoint == str(latest_checkpoint(run)) and rec.iteration == 2
        assert rec.method == "iggan" and rec.preset == "smoke"
    p = out.protocol
    assert p["real"] == "stored" and p["fake"] == "opengl-renders"
    assert p["threshold"] == 0.5 and p["threshold_rule"] == "common" and p["seed"] == 0
    assert p["n_samples"] == N and p["eval_preset"] == "smoke"
    spec = ImageDataset(data["cubes"]).spec
    assert p["views"] == {
        "azimuth": list(spec.azimuth_range),
        "elevation": list(spec.elevation_range),
    }
    # What is on disk is what was returned.
    on_disk = read_records(run)[-2:]
    assert [r.to_json() for r in on_disk] == [r.to_json() for r in out.records]


def test_second_eval_is_skipped_and_force_redoes_it(runs, clf, tmp_path):
    run = runs["iggan"]
    first = _eval(run, clf, tmp_path, n=8)
    lines = len(_lines(run))
    again = _eval(run, clf, tmp_path, n=8)
    assert again.skipped and again.fid == first.fid and again.kid_mean == first.kid_mean
    assert [r.to_json() for r in again.records] == [r.to_json() for r in first.records]
    assert len(_lines(run)) == lines
    forced = _eval(run, clf, tmp_path, n=8, force=True)
    assert not forced.skipped
    assert forced.fid == pytest.approx(first.fid, rel=1e-6)  # same seed, same samples
    assert len(_lines(run)) == lines + 2
    other_seed = _eval(run, clf, tmp_path, n=8, seed=1)  # another evaluation: not skipped
    assert not other_seed.skipped and other_seed.protocol["seed"] == 1


def test_dcgan_run_is_evaluated_on_its_own_images(runs, clf, tmp_path):
    out = _eval(runs["dcgan"], clf, tmp_path)
    assert not out.skipped and out.n_fake == N and math.isfinite(out.fid)
    assert out.records[0].method == "dcgan"
    assert out.protocol["fake"] == "generated-images" and out.protocol["threshold"] is None
    assert out.protocol["real"] == "stored"


def test_lvp_run_is_evaluated_over_360_degrees_against_fresh_renders(runs, data, clf, tmp_path):
    out = _eval(runs["lvp"], clf, tmp_path)
    spec = ImageDataset(data["lvp"]).spec
    assert spec.azimuth_range == (-60.0, 60.0)  # the dataset itself is limited
    azimuth, elevation = normal_view_ranges(spec)
    assert azimuth == (0.0, 360.0)
    assert elevation == make_spec("chair", "one-per-model", "smoke").elevation_range
    p = out.protocol
    assert p["real"] == "fresh-360"
    assert p["views"] == {"azimuth": [0.0, 360.0], "elevation": list(elevation)}
    assert p["real_views"] == p["views"]
    assert out.n_real == ImageDataset(data["lvp"]).n_models and math.isfinite(out.fid)


def test_unlimited_run_is_evaluated_against_fresh_renders(runs, data, clf, tmp_path):
    out = _eval(runs["unlimited"], clf, tmp_path)
    assert out.protocol["real"] == "fresh-unlimited" and "real_epoch" in out.protocol
    assert out.n_real == ImageDataset(data["unlimited"]).n_models and math.isfinite(out.fid)
    # The fresh real renders are cached by content: a forced re-evaluation reuses them. Rendering
    # in a worker process (the run's default) gives the same images as in this process.
    again = _eval(runs["unlimited"], clf, tmp_path, force=True, workers=1)
    assert again.fid == pytest.approx(out.fid, rel=1e-6)
    assert again.protocol["real_render_key"] == out.protocol["real_render_key"]


def test_missing_classifier_and_checkpoint_are_one_line_errors(runs, clf, tmp_path):
    missing = tmp_path / "nope" / "classifier.pt"
    with pytest.raises(EvalError, match=str(missing)) as exc:
        evaluate_run(runs["iggan"], classifier=missing)
    assert "igbench classifier train" in str(exc.value)
    empty = tmp_path / "empty-run"
    empty.mkdir()
    with pytest.raises(EvalError, match=f"{empty}: no checkpoint"):
        evaluate_run(empty, classifier=clf[0])

    runner = CliRunner()
    for run, classifier, named in (
        (empty, clf[0], empty),
        (runs["iggan"], missing, missing),
    ):
        res = runner.invoke(main, ["eval", str(run), "--classifier", str(classifier)])
        assert res.exit_code != 0
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and str(named) in lines[0]


def test_cli_evaluates_then_reports_already_evaluated(runs, clf, tmp_path):
    run = runs["iggan"]
    args = ["eval", str(run), "--classifier", str(clf[0]), "-n", "4", "--workers", "0"]
    args += ["--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert f"{metric_name('fid', clf[1], 4)} = " in res.output
    # Both threshold rules by default, each appending its FID and KID records.
    assert "[threshold common 0.5]" in res.output and "[threshold own " in res.output
    assert res.output.count(f"appended 2 records to {run / 'metrics.jsonl'}") == 2
    res = CliRunner().invoke(main, [*args, "--json"])
    assert res.exit_code == 0, res.output
    payloads = [json.loads(line) for line in res.output.strip().splitlines()[-2:]]
    assert [p["protocol"]["threshold_rule"] for p in payloads] == ["common", "own"]
    assert all(p["skipped"] is True and p["n_fake"] == 4 for p in payloads)
    res = CliRunner().invoke(main, args)
    assert "already evaluated" in res.output


# --------------------------------------------------------------------------------------------------
# Threshold protocol: 0.5 for all, and each method's own threshold chosen without real images
# --------------------------------------------------------------------------------------------------


def _shells() -> torch.Tensor:
    """(1, 1, 16, 16, 16): nested boxes of occupancy 0.15 (outer) > 0.35 > 0.6 > 0.9 (core)."""
    v = torch.zeros(1, 1, 16, 16, 16)
    for lo, occ in [(2, 0.15), (4, 0.35), (6, 0.6), (7, 0.9)]:
        v[0, 0, lo : 16 - lo, lo : 16 - lo, lo : 16 - lo] = occ
    return v


@pytest.mark.parametrize(
    "renderer, cut, known",
    # [v > t] is the same volume for every t in [level, next level): ties go to the t nearest 0.5.
    [("absorption-only", 0.3, 0.3), ("visual-hull", 0.3, 0.3), ("absorption-only", 0.7, 0.6)],
)
def test_choose_threshold_picks_the_known_t(renderer, cut, known):
    from shapenet_render import projection
    from shapenet_render.projection import project_views

    vols = _shells().expand(3, -1, -1, -1, -1)
    views = [np.array([[a, e]]) for a, e in [(0.0, 20.0), (70.0, 35.0), (200.0, -10.0)]]
    az = torch.tensor([v[0, 0] for v in views])
    el = torch.tensor([v[0, 1] for v in views])

    def render_binary(binary):
        return project_views(renderer, 32, list(binary), views).astype(np.float64) / 255.0

    target = projection.data_side_images(renderer, (vols > cut).float(), az, el, 32)
    t, errors = choose_threshold(vols, target, render_binary)
    assert t == pytest.approx(known)
    assert errors[t] == min(errors.values()) and errors[t] < 1e-4
    assert set(errors) == set(OWN_THRESHOLDS) and max(errors.values()) > 0.01


def test_own_threshold_of_a_projection_baseline_needs_no_renderer(data, tmp_path):
    """Visual Hull: data side = smoothed hard silhouette of [x > t], target = its generator-side
    projection of x; no OpenGL (the pools are never touched) and no real image."""
    from benchmark.metrics.evaluate import own_threshold
    from iggan.methods import build_method

    config = train_preset("smoke", method="visual-hull", data=str(data["cubes"]), device="cpu")
    method = build_method(config, torch.device("cpu"))
    z = torch.randn(6, config.z_dim, generator=torch.Generator().manual_seed(0))
    az, el = torch.linspace(0, 300, 6), torch.linspace(-20, 50, 6)
    t, errors = own_threshold(method, config, z, az, el, torch.device("cpu"), None, None)
    assert t in OWN_THRESHOLDS and errors[t] == min(errors.values())


def test_own_threshold_rule_is_recorded_beside_the_common_one(runs, clf, tmp_path):
    run = runs["iggan"]
    common = _eval(run, clf, tmp_path, n=8)
    own = _eval(run, clf, tmp_path, n=8, threshold_rule="own")
    assert not own.skipped  # a different evaluation from the common one
    assert common.protocol["threshold_rule"] == "common" and common.protocol["threshold"] == 0.5
    p = own.protocol
    assert p["threshold_rule"] == "own" and p["threshold"] in OWN_THRESHOLDS
    errors = {float(k): v for k, v in p["threshold_search"]["errors"].items()}
    assert p["threshold"] == min(errors, key=lambda t: (errors[t], abs(t - 0.5), t))
    assert p["threshold_search"]["samples"] == 8
    assert _eval(run, clf, tmp_path, n=8, threshold_rule="own").skipped
    # The 2D-DCGAN has no volumes: its own-rule evaluation has no threshold.
    dc = _eval(runs["dcgan"], clf, tmp_path, n=8, threshold_rule="own")
    assert dc.protocol["threshold"] is None and "threshold_search" not in dc.protocol
    with pytest.raises(EvalError, match="threshold rule"):
        _eval(run, clf, tmp_path, n=8, threshold_rule="median")


# --------------------------------------------------------------------------------------------------
# 3D metrics of a run (igbench eval RUN --3d)
# --------------------------------------------------------------------------------------------------


def test_3d_evaluation_writes_cov_mmd_1nna_for_both_distances(runs, data, tmp_path):
    from benchmark.metrics.eval3d import evaluate_run_3d, reference_models

    run = runs["iggan"]
    records, skipped = evaluate_run_3d(run, n=8, device="cpu", workers=0)
    assert not skipped
    assert sorted(r.metric for r in records) == sorted(
        f"{s}_{d}_8" for s in ("cov", "mmd", "1nna") for d in ("chamfer", "iou")
    )
    for r in records:
        assert r.n_fake == 8 and r.n_real == ImageDataset(data["cubes"]).n_models
        assert r.protocol["threshold_rule"] == "common" and r.protocol["threshold"] == 0.5
        score = r.metric.split("_")[0]
        assert (0.0 <= r.value <= 1.0) if score != "mmd" else r.value >= 0.0
    on_disk = [r.metric for r in read_records(run)][-6:]
    assert sorted(on_disk) == sorted(r.metric for r in records)
    again, skipped = evaluate_run_3d(run, n=8, device="cpu", workers=0)
    assert skipped and [r.value for r in again] == [r.value for r in records]
    own, skipped = evaluate_run_3d(run, n=8, device="cpu", workers=0, threshold_rule="own")
    assert not skipped and own[0].protocol["threshold_rule"] == "own"
    with pytest.raises(EvalError, match="makes images, not volumes"):
        evaluate_run_3d(runs["dcgan"], n=8, device="cpu", workers=0)
    # More models than samples: a seeded subset of references, the same for every run.
    idx = reference_models(100, 10, seed=0)
    assert len(idx) == 10 and np.array_equal(idx, reference_models(100, 10, seed=0))
    assert np.array_equal(reference_models(6, 10, seed=0), np.arange(6))


def test_cli_eval_3d_prints_one_line_per_distance(runs, clf, tmp_path):
    args = ["eval", str(runs["iggan"]), "--classifier", str(clf[0]), "-n", "4", "--workers", "0"]
    args += ["--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    res = CliRunner().invoke(main, [*args, "--threshold", "common", "--3d"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("3D ")]
    assert [ln.split(":")[0] for ln in lines] == ["3D chamfer", "3D iou"]
    assert "cov " in lines[0] and "mmd " in lines[0] and "1nna " in lines[0]
