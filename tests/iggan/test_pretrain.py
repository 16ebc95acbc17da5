"""Neural-renderer pre-training (iggan.pretrain) and loading it into a GAN run."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from iggan import checkpoint as ckpt_io
from iggan.config import SMOKE, ConfigError, pretrain_preset
from iggan.pretrain import load_renderer_for, pretrain, resolve_renderer_init
from iggan.training import train

pytestmark = pytest.mark.gl


def _pcfg(data, **kw):
    return pretrain_preset("smoke", data=str(data), render_workers=0, device="cpu", **kw)


def test_pretrain_writes_a_complete_checkpoint_that_a_run_starts_from(box_data, tmp_path):
    out = tmp_path / "r.pt"
    result = pretrain(_pcfg(box_data, iterations=4, lr=1e-3), out, progress=False)
    assert result.iteration == 4 and result.final_loss is not None
    data = ckpt_io.load_checkpoint(out, kind="renderer")
    assert data["complete"] and data["iteration"] == 4 and set(data["modules"]) == {"R"}
    log = [json.loads(x) for x in out.with_suffix(".jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in log] == [1, 2, 3, 4] and all(r["loss"] > 0 for r in log)

    cfg = dataclasses.replace(
        SMOKE,
        data=str(box_data),
        render_workers=0,
        device="cpu",
        iterations=1,
        renderer_init=str(out),
        renderer_mode="fixed",  # R never trains: the run's R is the pre-trained one
        sample_every=0,
    )
    assert resolve_renderer_init(cfg) == out
    train(cfg, tmp_path / "run", progress=False)
    run = ckpt_io.load_checkpoint(ckpt_io.latest_checkpoint(tmp_path / "run"))
    for k, v in data["modules"]["R"].items():
        assert torch.equal(run["modules"]["R"][k], v), k

    with pytest.raises(ConfigError, match="r_channels_2d"):
        load_renderer_for(out, dataclasses.replace(cfg, r_channels_2d=8))
    with pytest.raises(ConfigError, match="no such file"):
        resolve_renderer_init(dataclasses.replace(cfg, renderer_init=str(tmp_path / "nope.pt")))


def test_pretrain_resumes_exactly_and_refuses_unfinished_renderers(box_data, tmp_path):
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    pretrain(_pcfg(box_data, iterations=4), straight, progress=False)
    pretrain(_pcfg(box_data, iterations=2, checkpoint_every=1), split, progress=False)
    cfg = dataclasses.replace(SMOKE, renderer_init=str(split))
    # a pre-training that will be extended is still usable at its own end
    assert load_renderer_for(split, cfg)
    pretrain(_pcfg(box_data, iterations=4, checkpoint_every=1), split, progress=False)
    a = ckpt_io.load_checkpoint(straight)["modules"]["R"]
    b = ckpt_io.load_checkpoint(split)["modules"]["R"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    with pytest.raises(ConfigError, match="lr"):
        pretrain(_pcfg(box_data, iterations=6, lr=5e-4), split, progress=False)

    # an unfinished pre-training is refused as a renderer_init
    data = ckpt_io.load_checkpoint(split)
    data["complete"] = False
    ckpt_io.save_checkpoint(tmp_path / "c.pt", {k: v for k, v in data.items() if k != "format"})
    with pytest.raises(ckpt_io.CheckpointError, match="rerun"):
        load_renderer_for(tmp_path / "c.pt", cfg)


def test_training_never_pretrains_a_missing_renderer(box_data, tmp_path, monkeypatch):
    """``train()`` refuses a named renderer that is not made yet and makes nothing; the explicit
    step (``ensure_renderer_init``) is what the commands call first."""
    from iggan.pretrain import ensure_renderer_init
    from iggan.training import TrainingError

    monkeypatch.chdir(tmp_path)  # data/renderers/ is relative to the working folder
    cfg = dataclasses.replace(
        SMOKE,
        data=str(box_data),
        render_workers=0,
        device="cpu",
        iterations=1,
        renderer_init="cubes",
    )
    with pytest.raises(
        TrainingError, match="no pre-trained renderer at .*igbench pretrain-renderer"
    ):
        train(cfg, tmp_path / "run", progress=False)
    assert not (tmp_path / "data").exists() and not (tmp_path / "run" / "checkpoints").exists()
    assert ensure_renderer_init(dataclasses.replace(cfg, renderer_init=None)) is None
    assert ensure_renderer_init(dataclasses.replace(cfg, method="visual-hull")) is None  # no R_phi
