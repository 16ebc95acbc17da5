"""`igbench curves`: PNG curves of a training run and of a `bench recover` run, from their records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.plots import PlotError, curves, fid_points, training_log


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _training_run(tmp_path: Path, with_fid: bool) -> Path:
    run = tmp_path / "run"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"method": "iggan", "data": "x/chairs.h5"}))
    log = [
        {"iteration": it, "loss_d": 1.3 - it / 1000, "loss_g": 0.7 + it / 1000,
         "d_accuracy": 0.6, "d_updated": 0.5, "loss_r_l2": 0.1, "loss_dom": 0.01}
        for it in (10, 20, 30)
    ]  # fmt: skip
    log.insert(1, {"event": "resumed", "iteration": 10})
    log.append({"iteration": 35, "loss_d": 9.0, "loss_g": 9.0, "partial": True})
    _write_jsonl(run / "log.jsonl", log)
    if with_fid:
        from benchmark.metrics.records import MetricRecord, append_records

        def rec(metric, value, iteration, **protocol):
            return MetricRecord(metric, value, 500, 500, "igbench-clf21", "f0",
                                iteration=iteration, protocol=protocol)  # fmt: skip

        append_records(
            run,
            [
                rec("fid_clf21_500", 90.0, 30, threshold=0.5, threshold_rule="common"),
                rec("fid_clf21_500", 80.0, 20, threshold=0.5, threshold_rule="common"),
                rec("fid_clf21_500", 85.0, 30, threshold=0.3, threshold_rule="own"),
                rec("kid_clf21_500", 0.1, 30),
            ],
        )
    return run


def test_training_curves_read_the_log_and_the_fid_records(tmp_path):
    run = _training_run(tmp_path, with_fid=True)
    # events and a partial window are not points of the curves
    assert [r["iteration"] for r in training_log(run)] == [10, 20, 30]
    # FID by threshold rule, in iteration order; KID is not FID
    assert fid_points(run) == {"common (t=0.5)": [(20, 80.0), (30, 90.0)], "own": [(30, 85.0)]}
    path = curves(run)
    assert path == run / "curves.png"
    with Image.open(path) as im:
        width, height = im.size
        pixels = np.asarray(im.convert("L"))
    assert pixels.std() > 10  # something was drawn
    # four panels (GAN, D, renderer, FID): wider than a run without evaluations (three)
    plain = curves(_training_run(tmp_path / "b", with_fid=False), tmp_path / "plain.png")
    with Image.open(plain) as im:
        assert im.size[0] < width and im.size[1] == height


def test_recover_curves_from_per_seed_folders(tmp_path):
    for seed in (0, 1):
        folder = tmp_path / "rec" / f"seed-{seed}"
        folder.mkdir(parents=True)
        _write_jsonl(
            folder / "recover.jsonl",
            [
                {"method": "iggan", "shape": "procedural:bathtub:3", "preset": "cpu",
                 "start": "empty", "seed": seed, "iteration": it, "iou": 0.1 * it / 150,
                 "cavity": 0.8, "fill": 1.0, "floor_bbox_iou": 0.5, "floor_hull_iou": 0.6}
                for it in (0, 150, 300)
            ],
        )  # fmt: skip
    path = curves(tmp_path / "rec", tmp_path / "rec.png")
    with Image.open(path) as im:
        assert im.size[0] > im.size[1] and np.asarray(im.convert("L")).std() > 10


def test_curves_of_a_folder_without_a_run_is_one_clear_line(tmp_path):
    with pytest.raises(PlotError, match="neither a training run"):
        curves(tmp_path)
    exe = Path(sys.executable).with_name("igbench")
    r = subprocess.run([str(exe), "curves", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: {tmp_path}: neither a training run (log.jsonl) nor a bench recover run"
    ]
