"""The training commands (benchmark.cli.train) through click's test runner."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from benchmark.cli.train import pretrain_renderer, sample_cmd, train
from iggan import checkpoint as ckpt_io


@click.group()
def cli() -> None:
    """Stand-in for the igbench group."""


cli.add_command(train)
cli.add_command(pretrain_renderer)
cli.add_command(sample_cmd)


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _config(output: str) -> dict:
    return json.loads(output[output.index("{") : output.rindex("}") + 1])


def test_dry_run_prints_the_resolved_config_with_overrides(tmp_path):
    res = _invoke(
        "train", "iggan", "--data", tmp_path / "x.h5", "--preset", "cpu", "--dry-run",
        "--no-dom", "--renderer", "fixed", "--d-input", "neural", "--d-gate-accuracy", "none",
        "--renderer-init", "none", "--lr-r", "3e-5", "--iterations", "7",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = _config(res.output)
    assert cfg["preset"] == "cpu" and cfg["voxel_res"] == 32 and cfg["iterations"] == 7
    assert cfg["use_dom"] is False and cfg["renderer_mode"] == "fixed"
    assert cfg["d_input"] == "neural" and cfg["lr_r"] == 3e-5
    assert cfg["d_gate_accuracy"] is None and cfg["renderer_init"] is None
    assert not (tmp_path / "x.h5").exists()


def test_bad_input_is_one_line_and_nonzero(tmp_path, box_data):
    res = CliRunner().invoke(cli, ["train", "iggan", "--preset", "smoke"])
    assert res.exit_code == 2 and "--data" in res.output
    res = CliRunner().invoke(
        cli, ["train", "iggan", "--data", str(box_data), "--preset", "cpu", "--outdir",
              str(tmp_path / "r"), "--renderer-init", "none", "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 1
    assert res.output.count("Error") == 1 and "32x32" in res.output
    res = CliRunner().invoke(cli, ["train", "iggan", "--data", "x.h5", "--voxel-res", "48"])
    assert res.exit_code == 2


@pytest.mark.gl
def test_train_resume_and_sample_from_the_command_line(tmp_path, box_data):
    run = tmp_path / "run"
    common = ["--outdir", run, "--no-progress", "--render-workers", "0", "--device", "cpu"]
    res = _invoke("train", "iggan", "--data", box_data, "--preset", "smoke", "--iterations", 2,
                  "--g-out-bias", "2", *common)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "finished 2 iterations" in res.output
    res = _invoke("train", "iggan", "--resume", "--iterations", 3, *common)
    assert res.exit_code == 0, res.output
    assert ckpt_io.latest_checkpoint(run).name == "ckpt-00000003.pt"
    res = CliRunner().invoke(cli, ["train", "iggan", "--resume", "--lr-g", "1", *map(str, common)])
    assert res.exit_code == 1 and "lr_g" in res.output
    res = _invoke("sample", run, "-n", 2, "--out", tmp_path / "s", "--format", "ply")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "sample_000.ply").is_file() and (
        tmp_path / "s" / "renders.png"
    ).exists()


@pytest.mark.gl
def test_pretrain_renderer_on_cubes_then_train_from_it(tmp_path, monkeypatch, box_data):
    monkeypatch.chdir(tmp_path)  # data/ and data/renderers/ are relative to the working directory
    res = _invoke("pretrain-renderer", "--on", "cubes", "--preset", "smoke", "--models", 4,
                  "--no-progress")  # fmt: skip
    assert res.exit_code == 0, res.output
    made = list((tmp_path / "data" / "renderers").glob("rendernet-cubes-smoke-*.pt"))
    assert len(made) == 1 and ckpt_io.load_checkpoint(made[0])["complete"]
    res = _invoke("train", "iggan", "--data", box_data, "--preset", "smoke", "--renderer-init",
                  "cubes", "--iterations", 1, "--outdir", tmp_path / "run", "--no-progress",
                  "--render-workers", 0)  # fmt: skip
    assert res.exit_code == 0, res.output


def test_baseline_commands_offer_only_the_fields_they_read():
    from benchmark.cli import main

    def options(method):
        out = CliRunner().invoke(main, ["train", method, "--help"]).output
        return {w.strip(",") for w in out.split() if w.startswith("--")}

    iggan, vh, dcgan = options("iggan"), options("visual-hull"), options("dcgan")
    renderer_only = {"--dom-weight", "--renderer-init", "--lr-r", "--r-channels-3d", "--d-input"}
    assert renderer_only <= iggan
    assert not renderer_only & vh and not renderer_only & dcgan
    assert {"--d-gate-accuracy", "--g-out-bias", "--voxel-res", "--lr-g"} <= vh
    assert "--voxel-res" not in dcgan and "--g-out-bias" not in dcgan and "--lr-g" in dcgan
    # A baseline's dry run shows its own preset values.
    out = CliRunner().invoke(
        main, ["train", "absorption-only", "--preset", "cpu", "--data", "x.h5", "--dry-run"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output[: out.output.rindex("}") + 1])["d_gate_accuracy"] is None
