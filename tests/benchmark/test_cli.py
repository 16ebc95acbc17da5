"""The igbench command line as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def igbench(*args, cwd=None):
    exe = Path(sys.executable).with_name("igbench")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_help_lists_commands_with_examples():
    r = igbench("--help")
    assert r.returncode == 0
    for command in ("render", "info", "shapes", "bench", "demo"):
        assert re.search(rf"^\s+{command}\b", r.stdout, re.M), command
    assert "Examples:" in r.stdout and "igbench render --category chairs --mode lvp" in r.stdout
    r = igbench("render", "--help")
    assert r.returncode == 0 and "Examples:" in r.stdout


@pytest.mark.gl
def test_shapes_preview_writes_a_grid(tmp_path):
    out = tmp_path / "tubs.png"
    r = igbench(
        "shapes",
        "preview",
        "--category",
        "tubs",
        "-n",
        "4",
        "--resolution",
        "48",
        "--voxel-res",
        "24",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    img = np.asarray(Image.open(out))
    assert img.shape == (2 * 50 + 2, 2 * 50 + 2) and img.max() > 100


@pytest.mark.gl
def test_bench_render_reports_the_ratio():
    r = igbench("bench", "render", "--images", "10", "--resolution", "32", "--voxel-res", "16")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^pool/naive: \d+(\.\d)?x$", r.stdout, re.M), r.stdout
    assert "naive" in r.stdout and "persistent" in r.stdout


def test_unknown_gl_backend_is_a_usage_error():
    r = igbench("--gl", "vulkan", "info", "x.h5")
    assert r.returncode == 2 and "vulkan" in r.stderr


def test_bad_source_is_one_clear_line():
    r = igbench("shapes", "list", "--source", "shapenet:/does/not/exist")
    assert r.returncode != 0
    assert "/does/not/exist" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.gl
def test_bench_train_applies_set_and_times_serial_against_ours():
    r = igbench(
        "bench", "train", "--presets", "smoke", "--iterations", "3", "--repeats", "1",
        "--set", "d_channels=8",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "[smoke] set d_channels=8" in r.stdout
    assert re.search(
        r"serial iteration \(overlap_r off\): [\d.]+ s/iteration \(runs: [\d.]+\)", r.stdout
    )
    assert re.search(r"ours \(R step's forward beside the G step\): [\d.]+ s/iteration", r.stdout)
    assert re.search(r"serial/ours iteration time: [\d.]+x", r.stdout)
    assert re.search(r"naive/ours iteration time: [\d.]+x", r.stdout)


def test_bench_train_rejects_an_unknown_field_in_one_line():
    r = igbench("bench", "train", "--presets", "smoke", "--set", "bogus=1")
    assert r.returncode == 2
    assert (
        r.stderr.strip().splitlines()[-1]
        == "Error: --set 'bogus=1': TrainConfig has no field 'bogus'"
    )


def test_bench_train_refuses_to_set_what_it_sets_itself():
    r = igbench("bench", "train", "--presets", "smoke", "--set", "batch_size=4")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "Error: --set: batch_size: set by the benchmark itself (use --batch)"
    )


@pytest.mark.gl
def test_bench_train_loop_runs_with_the_set_fields(monkeypatch):
    from benchmark.experiments import bench_train as bt

    seen = []
    real_train = bt.train

    def spy(cfg, *args, **kwargs):
        seen.append(cfg)
        return real_train(cfg, *args, **kwargs)

    monkeypatch.setattr(bt, "train", spy)
    result = bt.bench_train(
        "smoke", batch=2, iterations=3, overrides=(("d_channels", 8),), repeats=2
    )
    # serial and ours alternate, each with the --set field and the benchmark's batch
    assert [c.overlap_r for c in seen] == [False, True, False, True]
    assert all(c.d_channels == 8 and c.batch_size == 2 for c in seen)
    assert len(result.runs["serial"]) == len(result.runs["ours"]) == 2
    assert result.iteration > 0 and result.serial > 0


@pytest.mark.gl
def test_shapes_preview_counts_what_it_shows_and_names_skipped_files(tmp_path):
    chairs = tmp_path / "meshes" / "chairs"
    chairs.mkdir(parents=True)
    tetra = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    for name in ("a.obj", "b.obj"):
        (chairs / name).write_text(tetra)
    (chairs / "broken.obj").write_bytes(b"\x00\x01binary")
    out = tmp_path / "p.png"
    r = igbench("shapes", "preview", "--source", f"meshdir:{tmp_path / 'meshes'}",
                "--category", "chairs", "--resolution", "32", "--voxel-res", "16", "--out", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "(2 models of chairs" in r.stdout and "1 skipped" in r.stdout
    assert "skipped broken.obj:" in r.stderr and "not a text .obj file" in r.stderr


def test_shapes_list_on_an_empty_folder_says_so(tmp_path):
    r = igbench("shapes", "list", "--source", f"meshdir:{tmp_path}")
    assert r.returncode == 1 and "no categories" in r.stderr and str(tmp_path) in r.stderr


def test_shapes_list_names_the_frame_of_a_mesh_folder(tmp_path):
    for cat in ("chairs", "tables"):
        (tmp_path / cat).mkdir()
        (tmp_path / cat / "a.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    r = igbench("shapes", "list", "--source", f"meshdir:{tmp_path}")
    assert r.returncode == 0 and "frame: up +y, front -z (undeclared" in r.stdout
    (tmp_path / "frame.json").write_text('{"front": "+z"}')
    (tmp_path / "tables" / "frame.json").write_text('{"up": "+z", "front": "-y"}')
    r = igbench("shapes", "list", "--source", f"meshdir:{tmp_path}")
    assert f"frame: up +y, front +z ({tmp_path / 'frame.json'})" in r.stdout
    assert re.search(r"^tables\s+1\s+frame: up \+z, front -y", r.stdout, re.M), r.stdout
    (tmp_path / "frame.json").write_text('{"front": "+y"}')
    r = igbench("shapes", "list", "--source", f"meshdir:{tmp_path}")
    assert r.returncode != 0 and "perpendicular" in r.stderr and "Traceback" not in r.stderr


def test_source_help_names_the_default_frame():
    for args in (["render", "--help"], ["shapes", "list", "--help"]):
        r = igbench(*args)
        text = " ".join(r.stdout.split())
        assert "frame.json" in text and "+y up, front -z" in text, args
