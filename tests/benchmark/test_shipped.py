"""The classifier that ships with igbench: installing it, and the shipped file itself."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from benchmark import tables
from benchmark.cli import main
from benchmark.metrics import classifier as clf
from benchmark.metrics import classifier_train as clf_train


@pytest.fixture()
def shipped_smoke(smoke_classifier, tmp_path, monkeypatch):
    """The session's smoke classifier posing as a shipped one: ``smoke`` ships it, and the
    ``smoke`` preset is its config (so that it is what ``classifier train --preset smoke`` makes)."""
    config, result = smoke_classifier
    weights = tmp_path / "weights"
    weights.mkdir()
    shutil.copyfile(result.checkpoint, weights / "smoke.pt")
    monkeypatch.setattr(clf, "SHIPPED_DIR", weights)
    monkeypatch.setitem(clf.SHIPPED, "smoke", "smoke.pt")
    monkeypatch.setitem(clf._PRESETS, "smoke", config)
    return config, result, weights / "smoke.pt"


@pytest.mark.gl
def test_install_copies_the_shipped_file_and_its_records(shipped_smoke, tmp_path):
    config, result, src = shipped_smoke
    out = tmp_path / "clf"
    got = clf.install_shipped("smoke", "procedural", out)
    assert got.installed and got.fingerprint == result.fingerprint
    assert (out / "classifier.pt").read_bytes() == src.read_bytes()
    assert (
        clf.load_classifier(out / "classifier.pt", device="cpu").fingerprint == result.fingerprint
    )
    assert clf.ClassifierConfig.from_dict(json.loads((out / "config.json").read_text())) == config
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log] == list(range(1, config.epochs + 1))
    assert (out / "confusion.png").stat().st_size > 0
    # training with --resume now finds it finished: the same thing `classifier train` would make
    again = clf_train.train_classifier(config, out, resume=True)
    assert again.reused and again.fingerprint == result.fingerprint
    # installing again keeps it; another classifier in the folder is not replaced silently
    assert not clf.install_shipped("smoke", "procedural", out).installed
    other = tmp_path / "other.pt"
    data = torch.load(src, weights_only=False)
    data["fingerprint"] = "0" * 16
    torch.save(data, other)
    shutil.copyfile(other, out / "classifier.pt")
    with pytest.raises(clf.ClassifierError, match="another classifier"):
        clf.install_shipped("smoke", "procedural", out)
    assert clf.install_shipped("smoke", "procedural", out, overwrite=True).installed
    assert (out / "classifier.pt").read_bytes() == src.read_bytes()
    # what the tables and eval call: only into a folder without any classifier run
    assert clf.install_shipped_if_absent("smoke", "procedural", out) is None
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "train_state.pt").write_bytes(b"")
    assert clf.install_shipped_if_absent("smoke", "procedural", unfinished) is None
    assert not (unfinished / "classifier.pt").exists()
    assert clf.install_shipped_if_absent("smoke", "procedural", tmp_path / "fresh").installed


@pytest.mark.gl
def test_nothing_ships_for_other_sources_configs_or_a_corrupt_file(
    shipped_smoke, tmp_path, monkeypatch
):
    config, _, src = shipped_smoke
    assert clf.shipped_checkpoint("smoke", "shapenet:/data/ShapeNetCore.v2") is None
    assert clf.install_shipped("smoke", "meshdir:/x", tmp_path / "a") is None
    assert clf.shipped_checkpoint("paper") is None
    assert clf.shipped_checkpoint("smoke") == src
    # the preset moved on since the file was trained: the file is not what training would make
    monkeypatch.setitem(clf._PRESETS, "smoke", config.with_overrides(epochs=config.epochs + 1))
    assert clf.shipped_checkpoint("smoke") is None
    monkeypatch.setitem(clf._PRESETS, "smoke", config)
    data = torch.load(src, weights_only=False)
    next(iter(data["model"].values())).add_(1.0)
    torch.save(data, src)
    with pytest.raises(clf.ClassifierError, match="fingerprint"):
        clf.install_shipped("smoke", "procedural", tmp_path / "b")
    assert not (tmp_path / "b" / "classifier.pt").exists()


@pytest.mark.gl
def test_cli_install_and_its_errors(shipped_smoke, tmp_path):
    _, result, _ = shipped_smoke
    out = tmp_path / "clf"
    res = CliRunner().invoke(
        main, ["classifier", "install", "--preset", "smoke", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("installed:") and result.fingerprint in res.output
    res = CliRunner().invoke(
        main, ["classifier", "install", "--preset", "smoke", "--out", str(out)]
    )
    assert res.exit_code == 0 and res.output.startswith("already installed:")
    res = CliRunner().invoke(
        main, ["classifier", "install", "--preset", "smoke", "--source", "shapenet:/x", "--out",
               str(tmp_path / "n")],
    )  # fmt: skip
    assert res.exit_code == 1
    assert "no shipped classifier for preset 'smoke' and source 'shapenet:/x'" in res.output
    assert "classifier train" in res.output and not (tmp_path / "n").exists()


@pytest.mark.gl
def test_tables_install_the_shipped_classifier_instead_of_training(shipped_smoke, tmp_path):
    _, result, _ = shipped_smoke
    lines = []
    ctx = tables.TableContext(
        "table1", tables.table_preset("smoke"), tmp_path / "t", echo=lines.append
    )
    ctx.classifier_path = lambda: tmp_path / "clf" / "smoke" / "classifier.pt"  # not ./out
    plan = ctx.shared_commands([])
    assert plan[0] == "igbench classifier install --preset smoke --source procedural"
    path = tables.ensure_classifier(ctx)
    assert clf.read_classifier_info(path)["fingerprint"] == result.fingerprint
    assert any("installed the shipped smoke classifier" in ln for ln in lines)
    # another source: nothing ships, so the plan trains it
    other = tables.TableContext(
        "table1", tables.table_preset("smoke"), tmp_path / "t", source="meshdir:/x"
    )
    assert other.shared_commands([])[0].startswith("igbench classifier train --preset smoke")


# -- the shipped file itself ------------------------------------------------------------------------
@pytest.mark.gl
@pytest.mark.slow
def test_the_shipped_cpu_classifier_is_what_training_makes_and_classifies_fresh_renders(tmp_path):
    """The shipped file must be the cpu preset's training result on today's procedural shapes:
    its config is the preset's, its recorded class data is what the generator renders now (one
    class re-rendered: a changed generator would make it stale), and it classifies the held-out
    models of that fresh render."""
    import h5py

    from benchmark.metrics.classifier_train import class_spec, predict
    from shapenet_render.dataset import render_dataset

    path = clf.shipped_checkpoint("cpu")
    assert path is not None, "benchmark/weights holds no classifier matching the cpu preset"
    model = clf.load_classifier(path, device="cpu")  # checks the weights against the fingerprint
    info = clf.read_classifier_info(path)
    assert info["heldout_accuracy"] >= 0.95
    config = clf.preset("cpu")
    chair = tmp_path / "chair.h5"
    render_dataset(class_spec(config, "chair"), out=chair, workers=1)
    # the generator still makes what the classifier was trained on: the first renders of its chair
    # class file ship beside it (exact on the machine that trained it; a tolerance for another
    # CPU's rasteriser rounding)
    ref = np.load(clf.SHIPPED_DIR / "classifier-cpu-procedural-chairs.npz")
    with h5py.File(chair, "r") as f:
        fresh = f["images"][: len(ref["images"])]
    diff = np.abs(fresh.astype(np.int16) - ref["images"].astype(np.int16))
    assert (diff <= 2).mean() >= 0.99 and diff.mean() < 0.5, "the procedural chairs changed"
    # the held-out chair models of the shipped training (the split is seeded per class index)
    with h5py.File(chair, "r") as f:
        images = torch.from_numpy(f["images"][:]).unsqueeze(1)
        ids = [s.decode() if isinstance(s, bytes) else str(s) for s in f["model_ids"][:]]
        model_of_image = [ids[int(m)] for m in f["model_index"][:]]
    k = info["class_names"].index("chair")
    held_ids = clf_train.split_by_model([ids] * (k + 1), config.holdout_fraction, config.seed)[k]
    held = images[torch.tensor([mid in held_ids for mid in model_of_image])]
    pred = predict(model, held, batch_size=64, device="cpu")
    assert len(held) == 2 * len(held_ids) >= 100 and (pred == k).float().mean() >= 0.9
