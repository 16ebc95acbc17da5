"""The retrained classifier: config presets, split by model, training, checkpoint, resume."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from benchmark.metrics.classifier import (
    CPU,
    MIN_INPUT_RES,
    PAPER,
    SMOKE,
    Classifier,
    ClassifierConfig,
    ClassifierError,
    build_classifier,
    confusion_image,
    load_classifier,
    preset,
    read_classifier_info,
    state_fingerprint,
)
from benchmark.metrics.classifier_train import (
    class_data_path,
    confusion_matrix,
    load_class_data,
    split_by_model,
    train_classifier,
)
from shapenet_render.categories import CATEGORY_NAMES


def test_presets_are_derived_and_documented():
    assert PAPER.input_res == 299 and PAPER.categories == CATEGORY_NAMES
    assert CPU.input_res >= MIN_INPUT_RES and CPU.image_res == 64 and CPU.voxel_res == 32
    assert SMOKE.preset == "smoke" and SMOKE.epochs == 1
    docs = ClassifierConfig.field_docs()
    assert {f.name for f in dataclasses.fields(ClassifierConfig)} <= set(docs)
    assert ClassifierConfig.from_dict(json.loads(CPU.to_json())) == CPU


def test_config_rejects_bad_values():
    with pytest.raises(ClassifierError, match="input_res"):
        preset("cpu", input_res=64)
    with pytest.raises(ClassifierError, match="unknown preset"):
        preset("huge")
    with pytest.raises(ClassifierError, match="models_per_class"):
        preset("smoke", models_per_class=1)
    assert preset("smoke", categories=("chairs", "couches")).categories == ("chair", "sofa")


def test_same_training_ignores_execution_settings():
    assert CPU.same_training(dataclasses.replace(CPU, render_workers=7, eval_batch_size=3))
    assert not CPU.same_training(dataclasses.replace(CPU, epochs=CPU.epochs + 1))


def test_split_by_model_is_seeded_and_disjoint():
    ids = [[f"{c}{i:03d}" for i in range(20)] for c in "abc"]
    held = split_by_model(ids, 0.2, seed=0)
    assert held == split_by_model(ids, 0.2, seed=0)
    assert held != split_by_model(ids, 0.2, seed=1)
    assert [len(h) for h in held] == [4, 4, 4]
    assert all(h <= set(i) for h, i in zip(held, ids, strict=True))
    # at least one model held out, at least one kept
    assert [len(h) for h in split_by_model([["x", "y"]], 0.01, 0)] == [1]
    assert [len(h) for h in split_by_model([["x", "y"]], 0.99, 0)] == [1]


def test_prepare_shapes_and_augmentation():
    model = Classifier(3, input_res=MIN_INPUT_RES)
    gray = torch.zeros(2, 1, 32, 32, dtype=torch.uint8)
    gray[:, :, 8:24, 8:24] = 255
    x = model.prepare(gray)
    assert x.shape == (2, 3, 75, 75) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, model.prepare(gray.expand(-1, 3, -1, -1)))
    gen = torch.Generator().manual_seed(0)
    aug = model.prepare(gray, generator=gen, shift=0.1, scale=0.1, flip=True)
    assert aug.shape == x.shape and not torch.equal(aug, x)
    assert aug[:, :, 0, 0].eq(-1).all()  # outside the image is black, not gray
    with pytest.raises(ClassifierError, match="uint8"):
        model.prepare(gray.float())


def test_width_scales_every_convolution():
    full = Classifier(3, input_res=MIN_INPUT_RES)
    half = Classifier(3, input_res=MIN_INPUT_RES, width=0.5)
    assert (full.feature_dim, half.feature_dim) == (2048, 1024)
    n_full = sum(p.numel() for p in full.parameters())
    n_half = sum(p.numel() for p in half.parameters())
    assert 0.2 < n_half / n_full < 0.3  # ~width^2
    pool, logits = half.eval().features(torch.zeros(1, 1, 40, 40, dtype=torch.uint8))
    assert pool.shape == (1, 1024) and logits.shape == (1, 3)
    with pytest.raises(ClassifierError, match="width"):
        preset("smoke", width=0.3)


def test_fingerprint_tracks_weights():
    torch.manual_seed(0)
    model = Classifier(3, input_res=MIN_INPUT_RES)
    sd = model.net.state_dict()
    fp = state_fingerprint(sd)
    assert len(fp) == 16 and fp == state_fingerprint({k: v.clone() for k, v in sd.items()})
    sd2 = {k: v.clone() for k, v in sd.items()}
    sd2["fc.bias"][0] += 1e-3
    assert state_fingerprint(sd2) != fp


def test_confusion_matrix_and_image():
    labels = torch.tensor([0, 0, 1, 2, 2])
    pred = torch.tensor([0, 1, 1, 2, 0])
    cm = confusion_matrix(labels, pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    img = confusion_image(cm.numpy(), ["a", "b", "c"], title="test")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


@pytest.mark.gl
def test_split_is_by_model(smoke_classifier, tmp_path):
    config, result = smoke_classifier
    paths = [
        class_data_path(config, c, result.checkpoint.parent / "data") for c in config.categories
    ]
    data = load_class_data(config, paths)
    held = {k for k, h in zip(data.model_keys, data.heldout.tolist(), strict=True) if h}
    train = {k for k, h in zip(data.model_keys, data.heldout.tolist(), strict=True) if not h}
    assert held and train and not held & train
    assert {c for c, _ in held} == set(range(len(config.categories)))  # every class is tested
    assert len(data.model_keys) == len(config.categories) * 48 * config.views_per_model
    # every view of a model sits on the same side
    by_model: dict = {}
    for key, h in zip(data.model_keys, data.heldout.tolist(), strict=True):
        by_model.setdefault(key, set()).add(h)
    assert all(len(sides) == 1 for sides in by_model.values())


@pytest.mark.gl
def test_smoke_training_writes_checkpoint_and_confusion(smoke_classifier):
    config, result = smoke_classifier
    assert result.checkpoint.is_file() and result.confusion_png.is_file()
    assert 0.0 <= result.heldout_accuracy <= 1.0 and result.n_heldout > 0
    assert not (result.checkpoint.parent / "train_state.pt").exists()
    info = read_classifier_info(result.checkpoint)
    assert info["fingerprint"] == result.fingerprint
    assert info["class_names"] == list(config.categories)
    assert ClassifierConfig.from_dict(info["config"]) == config
    assert len(info["confusion"]) == len(config.categories)
    model = load_classifier(result.checkpoint, device="cpu")
    assert model.fingerprint == result.fingerprint and not model.training
    imgs = torch.zeros(2, 3, 40, 40, dtype=torch.uint8)
    pool, logits = model.features(imgs)
    assert pool.shape == (2, model.feature_dim) and logits.shape == (2, len(config.categories))
    assert model.feature_dim == round(2048 * config.width)
    log = [
        json.loads(line)
        for line in (result.checkpoint.parent / "log.jsonl").read_text().splitlines()
    ]
    assert [e["epoch"] for e in log] == list(range(1, config.epochs + 1))


@pytest.mark.gl
def test_existing_run_needs_resume_and_resume_reuses(smoke_classifier):
    config, result = smoke_classifier
    out = result.checkpoint.parent
    with pytest.raises(ClassifierError, match="--resume"):
        train_classifier(config, out)
    again = train_classifier(config, out, resume=True)
    assert again.reused and again.fingerprint == result.fingerprint
    with pytest.raises(ClassifierError, match="another config"):
        train_classifier(dataclasses.replace(config, epochs=2), out, resume=True)


def test_resume_continues_from_the_last_epoch(tmp_path, monkeypatch):
    """An interrupted run (train_state.pt after epoch 1 of 2) resumes at epoch 2 and ends with the
    same weights as an uninterrupted run (no GL: the class files are written directly)."""
    import benchmark.metrics.classifier_train as clf
    from shapenet_render.dataset import DatasetSpec, _write_h5

    config = preset(
        "smoke",
        categories=("chair", "sofa"),
        epochs=2,
        batch_size=8,  # one step per epoch
        models_per_class=4,
        views_per_model=1,
    )
    rng = np.random.default_rng(0)

    def fake_render(cfg, data_dir, progress=None):
        paths = []
        for c in cfg.categories:
            spec = clf.class_spec(cfg, c)
            n, v, r = 4, cfg.views_per_model, cfg.image_res
            part = {
                "model_ids": [f"{c}{i}" for i in range(n)],
                "positions": np.arange(n),
                "voxels": np.zeros((n, (cfg.voxel_res**3 + 7) // 8), np.uint8),
                "images": rng.integers(0, 255, (n * v, r, r), dtype=np.uint8),
                "views": np.zeros((n * v, 2), np.float32),
                "image_model": np.repeat(np.arange(n), v).astype(np.int32),
                "skipped": [],
            }
            path = clf.class_data_path(cfg, c, data_dir)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_h5(path, DatasetSpec(**json.loads(spec.to_json())), [part])
            paths.append(path)
        return paths

    monkeypatch.setattr(clf, "render_class_data", fake_render)
    full = train_classifier(config, tmp_path / "full", device="cpu")

    # interrupt after the first epoch: stop before the final checkpoint is written
    calls = {"n": 0}
    real_save = clf._save

    def save_then_die(path, payload):
        real_save(path, payload)
        calls["n"] += 1
        if payload["kind"] == clf.TRAIN_STATE_KIND and payload["epoch"] == 1:
            raise KeyboardInterrupt

    (tmp_path / "part" / "data").mkdir(parents=True)
    for p in (tmp_path / "full" / "data").rglob("*.h5"):
        dest = tmp_path / "part" / "data" / p.relative_to(tmp_path / "full" / "data")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(p.read_bytes())
    monkeypatch.setattr(clf, "_save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_classifier(config, tmp_path / "part", device="cpu")
    monkeypatch.setattr(clf, "_save", real_save)
    assert (tmp_path / "part" / "train_state.pt").exists()
    resumed = train_classifier(config, tmp_path / "part", resume=True, device="cpu")
    assert resumed.fingerprint == full.fingerprint


def test_load_classifier_errors(tmp_path):
    with pytest.raises(ClassifierError, match="igbench classifier train"):
        load_classifier(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ClassifierError, match="not a readable checkpoint"):
        load_classifier(bad)


def test_build_classifier_has_class_names():
    model = build_classifier(preset("smoke", categories=("chair", "sofa")))
    assert model.class_names == ("chair", "sofa") and model.num_classes == 2


def test_cli_dry_run_prints_the_resolved_config():
    from click.testing import CliRunner

    from benchmark.cli.evaluate import classifier

    out = CliRunner().invoke(
        classifier, ["train", "--preset", "smoke", "--categories", "chairs,tubs", "--dry-run"]
    )
    assert out.exit_code == 0, out.output
    assert '"preset": "smoke"' in out.output and '"bathtub"' in out.output
    bad = CliRunner().invoke(classifier, ["train", "--categories", "chair,teapot", "--dry-run"])
    assert bad.exit_code == 1 and "unknown category 'teapot'" in bad.output


@pytest.mark.gl
def test_cli_info(smoke_classifier):
    from click.testing import CliRunner

    from benchmark.cli.evaluate import classifier

    _, result = smoke_classifier
    out = CliRunner().invoke(classifier, ["info", str(result.checkpoint)])
    assert out.exit_code == 0, out.output
    assert result.fingerprint in out.output and "held-out accuracy" in out.output
