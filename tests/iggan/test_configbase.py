"""The one config machinery (iggan.configbase), through the configs that use it."""

from __future__ import annotations

import json

import pytest

from benchmark.experiments.recover import RecoverConfig
from benchmark.experiments.recover_report import RecoverError
from benchmark.metrics.classifier import CPU as CLF_CPU
from benchmark.metrics.classifier import ClassifierConfig, ClassifierError
from iggan.config import CPU, PRETRAIN_CPU, ConfigError, PretrainConfig, TrainConfig


@pytest.mark.parametrize(
    "config", [CPU, PRETRAIN_CPU, CLF_CPU, RecoverConfig(max_iterations=10, minutes=None)]
)
def test_every_config_round_trips_through_json(config):
    again = type(config).from_dict(json.loads(config.to_json()))
    assert again == config  # tuples come back as tuples, not lists


@pytest.mark.parametrize(
    ("cls", "error"),
    [
        (TrainConfig, ConfigError),
        (PretrainConfig, ConfigError),
        (ClassifierConfig, ClassifierError),
    ],
)
def test_unknown_fields_and_bad_values_are_one_error_naming_them(cls, error):
    with pytest.raises(error, match=f"unknown {cls.__name__} fields: bogus"):
        cls.from_dict({"bogus": 1})
    with pytest.raises(error, match="batch_size: must be >= 1 \\(got 0\\)"):
        cls().replace(batch_size=0)


def test_overrides_ignore_unset_options_but_replace_takes_none():
    assert CPU.with_overrides(lr_g=None, batch_size=4).lr_g == CPU.lr_g
    assert CPU.replace(g_ema=None).g_ema is None


def test_the_one_parser_reads_every_field_type():
    parse = TrainConfig.parse_value
    assert parse("batch_size", "4") == 4 and parse("lr_r", "5e-5") == 5e-5
    assert parse("use_dom", "false") is False and parse("use_dom", "1") is True
    assert parse("g_ema", "none") is None and parse("g_ema", "0.99") == 0.99
    assert parse("renderer_init", "none") is None and parse("d_input", "neural") == "neural"
    assert ClassifierConfig.parse_value("categories", "chair, sofa") == ("chair", "sofa")
    assert ClassifierConfig.parse_value("elevation", "-30,60") == (-30.0, 60.0)
    with pytest.raises(ConfigError, match="batch_size is int"):
        parse("batch_size", "four")
    with pytest.raises(ConfigError, match="use_dom is bool: expected true or false"):
        parse("use_dom", "maybe")
    with pytest.raises(ConfigError, match="TrainConfig has no field 'lr'"):
        parse("lr", "1")


def test_set_texts_become_typed_pairs():
    assert TrainConfig.parse_settings(["lr-r=5e-5", "g_ema = none"]) == (
        ("lr_r", 5e-5),
        ("g_ema", None),
    )
    with pytest.raises(ConfigError, match="--set 'lr_r': expected FIELD=VALUE"):
        TrainConfig.parse_settings(["lr_r"])


def test_execution_fields_are_shared_and_checked_once():
    for cls in (TrainConfig, PretrainConfig):
        assert {"device", "render_workers", "torch_threads"} <= set(cls.field_names())
        with pytest.raises(ConfigError, match="device: auto, cpu, cuda or cuda:N"):
            cls().replace(device="tpu")
        with pytest.raises(ConfigError, match="torch_threads: None or >= 1"):
            cls().replace(torch_threads=0)


def test_recover_config_errors_are_its_own():
    with pytest.raises(RecoverError, match="eval_every: must be >= 1"):
        RecoverConfig(eval_every=0)
