"""Training configs (iggan.config): presets, validation, JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from iggan.config import (
    CPU,
    CPU_DEPARTURES,
    PAPER,
    SMOKE,
    ConfigError,
    PretrainConfig,
    TrainConfig,
    preset,
    pretrain_config_for,
    pretrain_preset,
)


@pytest.mark.parametrize("name", ["paper", "cpu", "smoke"])
def test_presets_round_trip_through_json(name):
    cfg = preset(name, data="x.h5")
    again = TrainConfig.from_dict(json.loads(cfg.to_json()))
    assert again == cfg and again.preset == name
    p = pretrain_preset(name)
    assert PretrainConfig.from_dict(json.loads(p.to_json())) == p


def test_paper_preset_is_the_papers_settings():
    assert (PAPER.voxel_res, PAPER.image_res, PAPER.view_volume_res, PAPER.z_dim) == (
        64,
        128,
        128,
        200,
    )
    assert (PAPER.lr_g, PAPER.lr_d, PAPER.lr_r) == (2e-4, 2e-4, 2e-5)
    assert PAPER.dom_weight == 100.0 and PAPER.use_dom
    assert PAPER.renderer_mode == "retrained" and PAPER.d_input == "opengl"
    assert PAPER.d_gate_accuracy is None and PAPER.g_out_bias == 0.0
    assert PAPER.renderer_init == "tables"


def test_cpu_departures_are_the_calibrated_ones_and_documented():
    assert (CPU.voxel_res, CPU.image_res, CPU.batch_size) == (32, 64, 8)
    assert CPU.lr_r == 1e-4 and CPU.d_gate_accuracy == 0.95 and CPU.g_out_bias < 0
    assert CPU.renderer_init == "cubes"
    # the recovery rounds' best configuration (docs/notes/recovery-rounds.md, rounds 10-11)
    assert (CPU.dom_weight, CPU.g_ema, CPU.d_channels) == (3.0, 0.99, 32)
    assert (CPU.r_downsample, CPU.r_channels_3d, CPU.r_channels_2d) == (2, 4, 64)
    # the rates fall from 1200 and reach 0 where the run ends: no iteration runs at rate 0
    assert (CPU.lr_decay_start, CPU.lr_decay_end) == (1200, CPU.iterations) == (1200, 2400)
    # every field that differs from the paper's is explained
    differing = {
        f.name
        for f in dataclasses.fields(TrainConfig)
        if getattr(CPU, f.name) != getattr(PAPER, f.name)
    } - {"preset", "log_every", "sample_every", "checkpoint_every"}
    explained = " ".join(CPU_DEPARTURES)
    widths = {"voxel_res", "image_res", "g_channels", "r_channels_3d", "r_channels_2d"}
    widths |= {"r_downsample", "d_channels", "batch_size", "iterations"}
    for name in differing - widths:
        assert name in explained, name
    assert (SMOKE.voxel_res, SMOKE.image_res) == (16, 32) and SMOKE.batch_size <= 4


def test_every_field_has_a_docstring():
    for cls in (TrainConfig, PretrainConfig):
        docs = cls.field_docs()
        for f in dataclasses.fields(cls):
            assert docs.get(f.name), f"{cls.__name__}.{f.name} has no docstring"


def test_validation_names_the_field():
    with pytest.raises(ConfigError, match="renderer_mode"):
        dataclasses.replace(PAPER, renderer_mode="frozen")
    with pytest.raises(ConfigError, match="voxel_res"):
        preset("cpu", voxel_res=48)
    with pytest.raises(ConfigError, match="d_gate_accuracy"):
        preset("cpu", d_gate_accuracy=1.5)
    with pytest.raises(ConfigError, match="lr_decay_end"):
        preset("paper", lr_decay_start=100)  # a decay needs its end
    with pytest.raises(ConfigError, match="lr_decay_end"):
        preset("paper", lr_decay_start=100, lr_decay_end=100)
    with pytest.raises(ConfigError, match="needs lr_decay_start"):
        preset("paper", lr_decay_end=100)  # an end alone would silently do nothing
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("huge")
    with pytest.raises(ConfigError, match="unknown TrainConfig fields: bogus"):
        TrainConfig.from_dict({**PAPER.to_dict(), "bogus": 1})


def test_lr_factor_is_linear_between_start_and_end():
    assert [PAPER.lr_factor(it) for it in (0, 10**6)] == [1.0, 1.0]  # no schedule: constant
    cfg = preset("cpu", lr_decay_start=100, lr_decay_end=300)
    assert [cfg.lr_factor(it) for it in (0, 99, 100, 200, 299, 300, 10**6)] == pytest.approx(
        [1.0, 1.0, 1.0, 0.5, 0.005, 0.0, 0.0]
    )


def test_overrides_ignore_none_and_pretrain_config_matches_run():
    assert CPU.with_overrides(lr_g=None) == CPU  # None = "not given" (unset CLI options)
    assert preset("cpu", lr_g=1e-3).lr_g == 1e-3
    assert preset("cpu", renderer_init=None).renderer_init is None  # explicit None is a value
    with pytest.raises(ConfigError, match="unknown TrainConfig fields: lr"):
        preset("cpu", lr=1e-3)
    p = pretrain_config_for(CPU, on="cubes")
    for name in ("voxel_res", "image_res", "view_volume_res", "r_channels_3d", "r_channels_2d"):
        assert getattr(p, name) == getattr(CPU, name)
    assert p.on == "cubes" and p.lr == 1e-3 and p.iterations == 400


def test_each_method_has_its_own_cpu_preset(monkeypatch):
    from iggan import config as config_mod

    # The 3D baselines calibrated the fields IG-GAN's calibration set, each with its evidence.
    for method in ("visual-hull", "absorption-only"):
        own = config_mod.CPU_METHOD_SETTINGS[method]
        assert {"d_gate_accuracy", "g_out_bias"} <= set(own)
        cfg = preset("cpu", method=method)
        for name, (value, why) in own.items():
            assert getattr(cfg, name) == value, (method, name)
            if name not in config_mod.SMOKE_FIELDS:  # smoke: the method's cpu at toy sizes
                assert getattr(preset("smoke", method=method), name) == value, (method, name)
            assert "docs/benchmarks.md" in why or "measured" in why, (method, name)  # its evidence
        # the rest as they were measured: not IG-GAN's later D width, average and decay
        assert (cfg.d_channels, cfg.g_ema, cfg.lr_decay_start) == (16, None, None)
        smoke = preset("smoke", method=method)
        assert smoke == dataclasses.replace(cfg, **config_mod.SMOKE_FIELDS)
        assert preset("paper", method=method) == dataclasses.replace(PAPER, method=method)
    assert preset("cpu", method="absorption-only").d_gate_accuracy is None
    assert preset("cpu", method="iggan") == dataclasses.replace(CPU, method="iggan")
    # Explicit overrides still win over a method's own value.
    assert preset("cpu", method="absorption-only", d_gate_accuracy=0.9).d_gate_accuracy == 0.9
    monkeypatch.setattr(
        config_mod, "CPU_METHOD_SETTINGS", {"absorption-only": {"lr_g": (1e-3, "bench recover")}}
    )
    assert preset("cpu", method="absorption-only").lr_g == 1e-3
    assert preset("cpu", method="visual-hull").lr_g == CPU.lr_g
    assert preset("paper", method="absorption-only").lr_g == PAPER.lr_g
    assert preset("cpu").lr_g == CPU.lr_g  # no method: IG-GAN's, the shared preset
    monkeypatch.setattr(config_mod, "CPU_METHOD_SETTINGS", {"iggan": {"lr_g": (1e-3, "x")}})
    assert preset("cpu").lr_g == 1e-3 == preset("cpu", method="iggan").lr_g


def test_configs_saved_with_removed_switches_load_only_when_they_were_off():
    saved = json.loads(preset("cpu", data="x.h5").to_json())
    old = saved | {"g_straight_through": False, "g_binary_weight": 0.0, "g_binary_start": 600}
    old |= {"r_bfloat16": False}
    assert TrainConfig.from_dict(old) == preset("cpu", data="x.h5")
    with pytest.raises(ConfigError, match="g_binary_weight=1.0: a setting this version"):
        TrainConfig.from_dict(saved | {"g_binary_weight": 1.0, "g_binary_start": 600})
    with pytest.raises(ConfigError, match="g_straight_through=True"):
        TrainConfig.from_dict(saved | {"g_straight_through": True})
    with pytest.raises(ConfigError, match="unknown TrainConfig fields: g_other"):
        TrainConfig.from_dict(saved | {"g_other": 1})
    assert not {"g_straight_through", "g_binary_weight", "g_binary_start"} & {
        f.name for f in dataclasses.fields(TrainConfig)
    }
