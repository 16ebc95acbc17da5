"""Mitsuba's path tracer in the loop: IG-GAN trains on Mitsuba images with Mitsuba as R_d (its
renderer pre-trained against Mitsuba) and is scored like every other run, with OpenGL renders."""

from __future__ import annotations

import pytest

from shapenet_render.mitsuba_renderer import MitsubaUnavailableError


@pytest.fixture(scope="module")
def mitsuba_ok():
    from shapenet_render.mitsuba_renderer import load_mitsuba

    try:
        load_mitsuba()
    except MitsubaUnavailableError as exc:  # `make setup` installs it; a bare pip install may not
        pytest.skip(str(exc))


def test_iggan_trains_against_mitsuba_and_is_scored_with_opengl(
    tmp_path, monkeypatch, smoke_classifier, mitsuba_ok
):
    from benchmark.metrics.evaluate import evaluate_run
    from iggan import checkpoint as ckpt_io
    from iggan.config import preset
    from iggan.pretrain import ensure_renderer_init
    from iggan.training import train
    from shapenet_render.dataset import make_spec, render_dataset

    monkeypatch.chdir(tmp_path)  # the pre-trained renderer goes to ./data/renderers
    spec = make_spec("chair", "one-per-model", "smoke", renderer="mitsuba", max_models=16)
    data = render_dataset(spec, tmp_path / "chairs-mitsuba.h5", workers=1).path
    cfg = preset("smoke", method="iggan", data=str(data), iterations=2, renderer_init="cubes")

    # R_phi is pre-trained against Mitsuba (its own file), then R_d of training is Mitsuba
    renderer = ensure_renderer_init(cfg, progress=False)
    assert "-mitsuba-" in renderer.name
    pre = ckpt_io.load_checkpoint(renderer, kind="renderer")
    assert pre["config"]["renderer"] == "mitsuba"
    assert pre["extra"]["render_settings"]["renderer"] == "mitsuba"
    train(cfg, tmp_path / "run", progress=False)
    run = ckpt_io.load_checkpoint(ckpt_io.latest_checkpoint(tmp_path / "run"), kind="train")
    assert run["extra"]["render_settings"]["renderer"] == "mitsuba"

    # FID compares OpenGL renders of the samples with OpenGL renders of the file's shapes
    _, trained = smoke_classifier
    for rule in ("common", "own"):
        out = evaluate_run(
            tmp_path / "run", classifier=trained.checkpoint, n=16, workers=1, threshold_rule=rule,
            cache_dir=tmp_path / "cache",
        )  # fmt: skip
        assert out.protocol["real"] == "fresh-opengl" and out.protocol["fake"] == "opengl-renders"
        assert out.fid >= 0


def test_bench_render_mitsuba_times_the_three_ways(mitsuba_ok):
    import re

    from click.testing import CliRunner

    from benchmark.cli import main

    args = ["bench", "render", "--renderer", "mitsuba", "--images", "10", "--resolution", "32",
            "--voxel-res", "16", "--spp", "4", "--workers", "2"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "render benchmark (mitsuba, 4 spp): 16^3 voxels -> 32^2 images" in res.output
    assert len(re.findall(r"^(naive|persistent|pool) +(chair|blob) +10 ", res.output, re.M)) == 6
    assert re.search(r"^pool/naive: \d+(\.\d)?x$", res.output, re.M), res.output


def test_bench_train_mitsuba_trains_with_mitsuba_as_r_d(monkeypatch, mitsuba_ok):
    from benchmark.experiments import bench_train as bt
    from shapenet_render.dataset import ImageDataset

    seen = []
    real_train = bt.train

    def spy(cfg, *args, **kwargs):
        seen.append(ImageDataset(cfg.data).spec.renderer)
        return real_train(cfg, *args, **kwargs)

    monkeypatch.setattr(bt, "train", spy)
    result = bt.bench_train("smoke", batch=2, iterations=3, renderer="mitsuba")
    assert seen == ["mitsuba", "mitsuba"]
    assert result.format().startswith("[smoke, mitsuba] batch 2")


def test_bench_recover_on_mitsuba_views(tmp_path, mitsuba_ok):
    from benchmark.experiments.recover import RecoverConfig, RecoverError, read_records, recover
    from benchmark.experiments.recover_report import format_summary
    from shapenet_render.dataset import ImageDataset

    with pytest.raises(RecoverError, match="visual-hull trains on its own projections"):
        RecoverConfig(method="visual-hull", renderer="mitsuba")
    with pytest.raises(RecoverError, match="spp: None, or >= 1 with renderer mitsuba"):
        RecoverConfig(spp=64)  # samples per pixel are Mitsuba's
    cfg = RecoverConfig(preset="smoke", renderer="mitsuba", spp=4, minutes=None, max_iterations=2,
                        eval_every=2, views=8, outdir=str(tmp_path / "rec"))  # fmt: skip
    recover(cfg)
    (data,) = (tmp_path / "rec" / "data").glob("*.h5")
    assert "-mitsuba-" in data.name and data.name.endswith("-spp4.h5")
    ds = ImageDataset(data)
    assert ds.spec.renderer == "mitsuba" and ds.render_settings().spp == 4  # views and R_d
    records = read_records(tmp_path / "rec")
    assert all(r["renderer"] == "mitsuba" and r["spp"] == 4 for r in records)
    assert records[-1]["iteration"] == 2
    assert format_summary(records).startswith("iggan (mitsuba, 4 spp) on procedural:bathtub:3")
