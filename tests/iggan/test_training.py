"""The training loop (iggan.training): smoke runs of every switch, resume, checkpoints, failures."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal

import numpy as np
import pytest
import torch
from PIL import Image

from iggan import checkpoint as ckpt_io
from iggan import losses
from iggan.config import SMOKE, TrainConfig
from iggan.rundir import read_log
from iggan.training import TrainingError, train

pytestmark = pytest.mark.gl

LOSS_KEYS = ("loss_d", "loss_g", "loss_r", "loss_r_l2", "loss_dom", "d_accuracy", "d_updated")


def _cfg(data, **kw) -> TrainConfig:
    base = dict(data=str(data), render_workers=0, device="cpu")
    base.update(kw)
    return dataclasses.replace(SMOKE, **base)


@pytest.mark.parametrize("use_dom", [True, False], ids=["dom", "no-dom"])
@pytest.mark.parametrize("renderer_mode", ["retrained", "fixed"])
@pytest.mark.parametrize("d_input", ["opengl", "neural"])
def test_smoke_run_of_every_switch_combination(box_data, tmp_path, use_dom, renderer_mode, d_input):
    cfg = _cfg(
        box_data,
        iterations=2,
        use_dom=use_dom,
        renderer_mode=renderer_mode,
        d_input=d_input,
    )
    result = train(cfg, tmp_path / "run", progress=False)
    assert result.status == "finished" and result.iteration == 2
    records = read_log(tmp_path / "run")
    assert [r["iteration"] for r in records] == [1, 2]
    rec = records[-1]
    assert {"loss_d", "loss_g", "t_iter", "t_render_wait", "render_wait_share"} <= set(rec)
    assert ("loss_r" in rec) == (renderer_mode == "retrained")
    assert ("loss_dom" in rec) == (renderer_mode == "retrained" and use_dom)
    assert (tmp_path / "run" / "samples" / "samples-00000002.png").is_file()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert TrainConfig.from_dict(saved) == cfg
    assert ckpt_io.latest_checkpoint(tmp_path / "run").name == "ckpt-00000002.pt"


def test_unlimited_data_renders_real_images_through_the_pool(box_data_unlimited, tmp_path):
    cfg = _cfg(box_data_unlimited, iterations=4, batch_size=4, render_workers=1, sample_every=0)
    result = train(cfg, tmp_path / "run", progress=False)
    assert result.iteration == 4 and 0.0 <= result.render_wait_share < 1.0
    assert not (tmp_path / "run" / "samples").exists()


def test_tensorboard_scalars_when_tensorboard_is_installed(box_data, tmp_path):
    # The dev install carries tensorboard (pyproject's dev extra), so this path is always tested.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = _cfg(box_data, iterations=3, sample_every=2, g_out_bias=2.0)  # dense: surfaces
    train(cfg, tmp_path / "run", progress=False)
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    # the first log_meshes samples as meshes (TensorBoard's mesh plugin: vertex and face tensors)
    tensors = set(events.Tags()["tensors"])
    for i in range(cfg.log_meshes):
        assert {f"samples/mesh_{i}_VERTEX", f"samples/mesh_{i}_FACE"} <= tensors, tensors
    assert not any(t.startswith(f"samples/mesh_{cfg.log_meshes}") for t in tensors)
    # The sample grid of iteration 2 as an image, the same pixels as its PNG.
    (image,) = events.Images("samples")
    assert image.step == 2
    logged = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)).convert("L"))
    png = np.asarray(Image.open(tmp_path / "run" / "samples" / "samples-00000002.png"))
    assert np.array_equal(logged, png)
    tags = set(events.Tags()["scalars"])
    assert {"loss_d", "loss_g", "loss_r", "loss_dom", "d_accuracy", "t_iter"} <= tags
    logged = {r["iteration"]: r["loss_d"] for r in read_log(tmp_path / "run")}
    scalars = {e.step: e.value for e in events.Scalars("loss_d")}
    assert scalars.keys() == logged.keys() == {1, 2, 3}
    assert all(scalars[k] == pytest.approx(logged[k], rel=1e-6) for k in logged)


def _state(run_dir):
    return ckpt_io.load_checkpoint(ckpt_io.latest_checkpoint(run_dir), kind="train")


@pytest.mark.parametrize(
    "g_ema, decay, overlap",
    [(None, None, True), (0.9, None, True), (None, (2, 5), True), (None, None, False)],
    ids=["g", "g-ema", "lr-decay", "serial"],
)
def test_resume_continues_identically(box_data, tmp_path, g_ema, decay, overlap):
    """A run split by a resume ends where an uninterrupted one does, bit for bit, with the R
    step overlapped (overlap_r, the default) or serial."""
    start, end = decay or (None, None)
    cfg = _cfg(
        box_data,
        iterations=6,
        checkpoint_every=100,
        sample_every=3,
        log_every=2,
        g_ema=g_ema,
        lr_decay_start=start,
        lr_decay_end=end,
        overlap_r=overlap,
    )
    train(cfg, tmp_path / "straight", progress=False)
    first = train(dataclasses.replace(cfg, iterations=3), tmp_path / "split", progress=False)
    assert first.iteration == 3
    train(cfg, tmp_path / "split", resume=True, progress=False)

    a, b = _state(tmp_path / "straight"), _state(tmp_path / "split")
    assert a["iteration"] == b["iteration"] == 6
    assert ("G_ema" in a["modules"]) == (g_ema is not None)  # the average travels with the run
    for kind in ("modules", "optimizers"):
        for name in a[kind]:
            flat_a, flat_b = _flatten(a[kind][name]), _flatten(b[kind][name])
            assert flat_a.keys() == flat_b.keys()
            for key in flat_a:
                assert torch.equal(flat_a[key], flat_b[key]), (kind, name, key)
    assert torch.equal(a["rng"][0]["generators"]["loop"], b["rng"][0]["generators"]["loop"])
    # identical losses in the logs, records after the checkpoint were not duplicated
    la, lb = read_log(tmp_path / "straight"), read_log(tmp_path / "split")
    assert [r["iteration"] for r in la] == [r["iteration"] for r in lb] == [2, 4, 6]
    for ra, rb in zip(la, lb, strict=True):
        for key in LOSS_KEYS:
            assert ra[key] == rb[key], (ra["iteration"], key)


def test_learning_rates_follow_the_decay_schedule(box_data, tmp_path):
    """Every optimizer's rate is its configured rate x (end - it) / (end - start) during iteration
    ``it`` of the decay, 0 after it: the state after 4 iterations ran iteration 3 at 2/3 the rate."""
    cfg = _cfg(box_data, iterations=4, checkpoint_every=100, lr_decay_start=2, lr_decay_end=5)
    train(cfg, tmp_path / "run", progress=False)
    opts = _state(tmp_path / "run")["optimizers"]
    base = {"G": cfg.lr_g, "D": cfg.lr_d, "R": cfg.lr_r}
    assert opts.keys() == base.keys()
    for name, state in opts.items():
        for group in state["param_groups"]:
            assert group["initial_lr"] == base[name]
            assert group["lr"] == pytest.approx(base[name] * 2 / 3)
    # and the rate reached 0: a run past the end no longer moves G
    train(dataclasses.replace(cfg, iterations=7), tmp_path / "run", resume=True, progress=False)
    before = _state(tmp_path / "run")
    train(dataclasses.replace(cfg, iterations=8), tmp_path / "run", resume=True, progress=False)
    after = _state(tmp_path / "run")
    for key, value in before["modules"]["G"].items():
        if "running" not in key and "num_batches" not in key:  # BatchNorm statistics still move
            assert torch.equal(value, after["modules"]["G"][key]), key


def _flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}/{k}"))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            out.update(_flatten(v, f"{prefix}/{i}"))
    elif torch.is_tensor(obj):
        out[prefix] = obj
    else:
        out[prefix] = torch.tensor(float(obj)) if isinstance(obj, int | float) else obj
    return {k: v for k, v in out.items() if torch.is_tensor(v)}


def test_kept_checkpoints_are_written_and_survive_pruning(box_data, tmp_path):
    # checkpoint_every 4 alone would write 4 and 5; keep_every 2 adds 2 and keeps it
    cfg = _cfg(box_data, iterations=5, keep_checkpoints=1, checkpoint_every=4, keep_every=2)
    train(cfg, tmp_path / "run", progress=False)
    assert [i for i, _ in ckpt_io.list_checkpoints(tmp_path / "run")] == [2, 4, 5]


def test_checkpoint_contents(box_data, tmp_path):
    cfg = _cfg(box_data, iterations=2, keep_checkpoints=1, checkpoint_every=1)
    train(cfg, tmp_path / "run", progress=False)
    assert [i for i, _ in ckpt_io.list_checkpoints(tmp_path / "run")] == [2]  # pruned to 1
    path = ckpt_io.latest_checkpoint(tmp_path / "run")
    raw = torch.load(path, map_location="cpu", weights_only=True)  # no pickled code inside
    assert raw["format"] == ckpt_io.FORMAT and raw["version"] == ckpt_io.VERSION
    assert raw["kind"] == "train" and raw["iteration"] == 2
    assert TrainConfig.from_dict(raw["config"]) == cfg
    assert set(raw["modules"]) == {"G", "D", "R", "G_ema"}  # smoke keeps cpu's average of G
    assert set(raw["optimizers"]) == {"G", "D", "R"}
    assert "net.0.parametrizations.weight.0._u" in raw["modules"]["D"]  # SN state travels too
    rng = raw["rng"]
    assert len(rng) == 1 and {"python", "numpy", "torch", "cuda", "generators"} <= set(rng[0])
    assert "loop" in rng[0]["generators"]
    extra = raw["extra"]
    assert extra["world_size"] == 1 and extra["render_settings"]["resolution"] == 32
    assert extra["dataset"]["spec"]["mode"] == "one-per-model"
    assert not list((tmp_path / "run" / "checkpoints").glob("*.tmp"))


def test_non_finite_loss_stops_with_a_clear_message(box_data, tmp_path, monkeypatch):
    calls = {"n": 0}
    real_d_loss = losses.d_loss

    def d_loss(real, fake):
        calls["n"] += 1
        out = real_d_loss(real, fake)
        return out * float("nan") if calls["n"] == 3 else out

    monkeypatch.setattr(losses, "d_loss", d_loss)
    cfg = _cfg(box_data, iterations=6)
    with pytest.raises(TrainingError) as info:
        train(cfg, tmp_path / "run", progress=False)
    msg = str(info.value)
    assert "iteration 3" in msg and "loss_d is nan" in msg and "ckpt-00000002.pt" in msg
    assert [i for i, _ in ckpt_io.list_checkpoints(tmp_path / "run")] == [2]
    assert read_log(tmp_path / "run")[-1] == {
        "event": "non_finite",
        "iteration": 3,
        "loss": "loss_d",
    }


def test_sigint_checkpoints_and_resume_finishes(box_data, tmp_path, monkeypatch):
    from iggan.methods import IGGAN

    real_g_step = IGGAN.g_step
    calls = {"n": 0}

    def g_step(self, batch, fake):
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGINT)  # arrives mid-iteration: finish it, then stop
        return real_g_step(self, batch, fake)

    monkeypatch.setattr(IGGAN, "g_step", g_step)
    cfg = _cfg(box_data, iterations=5, checkpoint_every=100)
    # a shell's background job (nohup, `make test &`) starts with SIGINT ignored; install Python's
    # usual handler so that the signal arrives, and check that the loop restores it
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = train(cfg, tmp_path / "run", progress=False)
        assert result.status == "interrupted" and result.iteration == 2
        assert result.checkpoint.name == "ckpt-00000002.pt"
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    finally:
        signal.signal(signal.SIGINT, before)
    monkeypatch.setattr(IGGAN, "g_step", real_g_step)
    result = train(cfg, tmp_path / "run", resume=True, progress=False)
    assert result.status == "finished" and result.iteration == 5


def test_refuses_to_overwrite_or_resume_with_other_settings(box_data, tmp_path):
    cfg = _cfg(box_data, iterations=1)
    train(cfg, tmp_path / "run", progress=False)
    with pytest.raises(TrainingError, match="--resume"):
        train(cfg, tmp_path / "run", progress=False)
    with pytest.raises(TrainingError, match="lr_g"):
        train(dataclasses.replace(cfg, lr_g=1e-3), tmp_path / "run", resume=True, progress=False)
    with pytest.raises(TrainingError, match="no checkpoint"):
        train(cfg, tmp_path / "empty", resume=True, progress=False)
    with pytest.raises(TrainingError, match="64x64"):
        train(dataclasses.replace(cfg, image_res=64), tmp_path / "other", progress=False)
