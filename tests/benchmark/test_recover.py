"""`igbench bench recover` (benchmark.experiments.recover): the metric math on hand-made grids, and a smoke run
of the command as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.experiments.recover import (
    RecoverConfig,
    ShapeRef,
    parse_train_overrides,
    read_records,
    train_config,
)
from benchmark.experiments.recover_report import RecoverError, format_summary, format_table
from benchmark.experiments.recover_scores import (
    Truth,
    best_threshold,
    bounding_box_mask,
    cavity_score,
    convex_hull_mask,
    rotate_about_y,
    score_sample,
    score_volumes,
)
from shapenet_render.voxelize import voxel_iou

N = 16


def hollow_box() -> np.ndarray:
    """A closed box with one-voxel walls (its inside is a cavity no view sees)."""
    g = np.zeros((N, N, N), bool)
    g[3:13, 3:13, 3:13] = True
    g[4:12, 4:12, 4:12] = False
    return g


def tub() -> np.ndarray:
    """An open-topped, asymmetric tub: floor, four walls, and a ledge along +X (no rotation by a
    multiple of 90 deg maps it onto itself)."""
    g = np.zeros((N, N, N), bool)
    g[2:14, 2:9, 4:12] = True  # x 2..13, y (up) 2..8, z 4..11
    g[3:13, 3:9, 5:11] = False  # hollow it out, open at the top (y = 8 is the rim level)
    g[11:13, 3:6, 5:11] = True  # a ledge inside, at the +X end
    return g


def test_rotation_about_y_follows_the_azimuth_convention():
    g = np.zeros((N, N, N), bool)
    g[N - 1, 5, N // 2] = True  # on the +X side
    (i, j, k) = np.argwhere(rotate_about_y(g, 90))[0]
    assert (i, j) == (N // 2 - 1, 5) or (i, j) == (N // 2, 5)  # centre column in x, y unchanged
    assert k == 0  # +X turned towards -Z: counter-clockwise seen from above, as azimuths
    assert np.array_equal(rotate_about_y(g, 360), g) and np.array_equal(
        rotate_about_y(g, -90), rotate_about_y(g, 270)
    )
    # Off-grid angles (nearest-neighbour path) turn the same way as the exact quarter turns.
    block = np.zeros((N, N, N), bool)
    block[11:15, 5:8, 6:10] = True  # on the +X side
    for angle in (89.5, 90):
        assert np.argwhere(rotate_about_y(block, angle))[:, 2].mean() < 4  # now on the -Z side
    assert voxel_iou(rotate_about_y(block, 89.5), rotate_about_y(block, 90)) > 0.9
    t = tub()
    assert voxel_iou(rotate_about_y(t, 89.5), rotate_about_y(t, 90)) > 0.9


def test_cavity_of_a_hollow_box():
    truth = Truth.of(hollow_box())
    filled = bounding_box_mask(hollow_box())
    assert truth.cavity_hull.sum() == 8**3  # the inside, nothing else
    assert cavity_score(filled, truth.cavity_hull) == 0.0
    assert cavity_score(truth.grid, truth.cavity_hull) == 1.0
    assert score_sample(filled, truth).cavity == 0.0
    assert score_sample(truth.grid, truth).cavity == 1.0
    assert score_sample(truth.grid, truth).iou == 1.0
    # A convex shape has no cavity: the score is undefined, not 1.
    assert cavity_score(filled, Truth.of(filled).cavity_hull) is None


def test_iou_is_maximised_over_rotations_about_the_vertical_axis():
    truth = Truth.of(tub())
    for quarter in (1, 2, 3):
        turned = rotate_about_y(tub(), 90 * quarter)
        assert voxel_iou(turned, truth.grid) < 0.9  # not symmetric: the rotation matters
        s = score_sample(turned, truth)
        assert s.iou == 1.0 and s.angle == (360 - 90 * quarter) % 360
        assert s.cavity == 1.0 and s.cavity_bbox == 1.0 and s.fill == 1.0
    # A copy turned off the 15-deg lattice is found near the right angle, with a small loss.
    s = score_sample(rotate_about_y(tub(), 30), truth)
    assert s.angle == 330 and 0.7 < s.iou < 1.0


def test_floors_of_a_tub():
    truth = Truth.of(tub())
    box = bounding_box_mask(tub())
    assert truth.floor_bbox_iou == pytest.approx(tub().sum() / box.sum())
    # A box-shaped tub's convex hull is its bounding box; both floors are well below 1.
    assert truth.floor_bbox_iou == truth.floor_hull_iou < 1.0
    assert np.array_equal(truth.hull, box)
    # An L-shaped profile: its hull adds the triangle under the diagonal, its box the full square.
    ell = np.zeros((N, N, N), bool)
    ell[2:14, 2:5, 2:14] = True
    ell[2:5, 2:14, 2:14] = True
    el = Truth.of(ell)
    assert el.floor_bbox_iou < el.floor_hull_iou < 1.0
    assert el.hull[6, 6, 8] and not el.hull[12, 12, 8] and el.box[12, 12, 8]
    assert truth.floor_bbox_iou < 0.6
    # The filled box scores exactly the floor and keeps no cavity.
    s = score_sample(box, truth)
    assert s.iou == pytest.approx(truth.floor_bbox_iou) and s.cavity == 0.0 and s.cavity_bbox == 0.0
    # The hull is the truth plus its inside (the open top is inside the hull of the rim).
    hull = convex_hull_mask(tub())
    assert hull[5, 6, 7] and not tub()[5, 6, 7]
    assert not hull[0, 0, 0]


def test_score_volumes_thresholds_and_averages():
    truth = Truth.of(tub())
    empty = np.zeros((N, N, N), np.float32)
    volumes = np.stack([truth.grid * 0.9 + 0.05, empty, bounding_box_mask(tub()) * 0.6])
    out = score_volumes(volumes, truth, threshold=0.5)
    ious = [s["iou"] for s in out["per_sample"]]
    assert ious == pytest.approx([1.0, 0.0, truth.floor_bbox_iou])
    assert out["iou"] == pytest.approx(np.mean(ious))
    # An empty sample keeps every cavity voxel empty: IoU and cavity must be read together.
    assert [s["cavity"] for s in out["per_sample"]] == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        score_volumes(volumes[:, :8], truth)


def test_shape_references_and_config_validation():
    assert str(ShapeRef.parse("procedural:bathtubs:3")) == "procedural:bathtub:3"
    assert ShapeRef.parse("procedural:couch:0").category == "sofa"
    ref = ShapeRef.parse("shapenet:/data/ShapeNetCore.v2:chair:12")
    assert (ref.source, ref.category, ref.index) == ("shapenet:/data/ShapeNetCore.v2", "chair", 12)
    assert ref.slug == "shapenet-data-ShapeNetCore.v2-chair-12"
    for bad in ("bathtub:3", "procedural:bathtub:x", "procedural:bathtub:-1"):
        with pytest.raises(RecoverError):
            ShapeRef.parse(bad)
    assert RecoverConfig(shape="procedural:tubs:3").shape == "procedural:bathtub:3"
    for bad in (
        dict(method="dcgan"),
        dict(angle_step=7),
        dict(starts=("half",)),
        dict(minutes=0),
        dict(preset="huge"),
    ):
        with pytest.raises(RecoverError):
            RecoverConfig(**bad)


def test_training_overrides_are_typed_applied_and_refused_when_fixed():
    over = parse_train_overrides(
        ["d_gate_accuracy=0.9", "lr-r=5e-5", "batch_size=4", "renderer_init=none", "use_dom=false"]
    )
    assert over == (
        ("d_gate_accuracy", 0.9),
        ("lr_r", 5e-5),
        ("batch_size", 4),
        ("renderer_init", None),
        ("use_dom", False),
    )
    config = RecoverConfig(train_overrides=over)
    cfg = train_config(config, "full", "x.h5")
    assert (cfg.d_gate_accuracy, cfg.lr_r, cfg.batch_size, cfg.renderer_init) == (
        0.9,
        5e-5,
        4,
        None,
    )
    assert cfg.use_dom is False and cfg.g_out_bias == 3.0 and cfg.data == "x.h5"
    assert cfg.preset == "cpu" and cfg.method == "iggan"
    for bad in (["nope=1"], ["lr_r"], ["lr_r=fast"], ["use_dom=maybe"]):
        with pytest.raises(RecoverError, match="--set"):
            parse_train_overrides(bad)
    with pytest.raises(RecoverError, match="g_out_bias: set by the benchmark"):
        RecoverConfig(train_overrides=(("g_out_bias", 1.0),))
    with pytest.raises(RecoverError, match="batch_size"):
        RecoverConfig(train_overrides=(("batch_size", 0),))
    # Records of another variant are never mixed into the same summary block.
    base = {"method": "iggan", "shape": "s", "preset": "cpu", "start": "empty"}
    base |= {"floor_bbox_iou": 0.5, "floor_hull_iou": 0.6, "minutes": 1.0, "iteration": 10}
    base |= {"iou": 0.3, "cavity": 0.9, "cavity_bbox": 0.9, "fill": 1.0}
    summary = format_summary([base, base | {"train_overrides": {"lr_r": 5e-5}}])
    assert summary.count("last evaluation of each start") == 2
    assert "preset cpu, set lr_r=5e-05: last evaluation" in summary


def igbench(*args):
    exe = Path(sys.executable).with_name("igbench")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.gl
def test_smoke_run_of_the_command(tmp_path):
    out = tmp_path / "rec"
    args = ["bench", "recover", "--preset", "smoke", "--shape", "procedural:bathtubs:3"]
    args += ["--max-iterations", "2", "--eval-every", "1", "--views", "8", "--outdir", str(out)]
    r = igbench(*args, "--start", "both")
    assert r.returncode == 0, r.stderr

    # The table: a header with the floors per start, then one row per evaluation.
    assert "iggan on procedural:bathtub:3 (16^3, 32^2, 8 views), preset smoke" in r.stdout
    assert re.search(r"floors: filled bounding box IoU 0\.\d{3}, filled convex hull IoU", r.stdout)
    # ... and the machine it ran on: minutes compare only on the same cores and load
    threads = f"{len(os.sched_getaffinity(0))} cores, 1 torch thread(s), 1-minute load average"
    assert re.search(rf"machine: {re.escape(threads)} \d+\.\d\d at iteration 0", r.stdout)
    rows = re.findall(r"^\s+(\d+\.\d\d)\s+(\d+)\s+(\d\.\d{3})\s+(\d\.\d{3}|-)", r.stdout, re.M)
    assert [int(it) for _, it, _, _ in rows][:6] == [0, 1, 2, 0, 1, 2]
    assert "start empty (g_out_bias -3)" in r.stdout and "start full (g_out_bias +3)" in r.stdout

    # The records: one per evaluation, with protocol, data and checkpoint.
    records = read_records(out)
    assert [(x["start"], x["iteration"]) for x in records] == [
        (s, i) for s in ("empty", "full") for i in (0, 1, 2)
    ]
    for x in records:
        assert x["metric"] == "recover" and x["protocol"]["samples"] == 8
        assert len(x["per_sample"]) == 8 and 0 <= x["iou"] <= 1
        assert x["torch_threads"] == 1 and x["cpu_count"] == len(os.sched_getaffinity(0))
        assert 0 < x["floor_bbox_iou"] < x["floor_hull_iou"] < 1
        assert x["checkpoint"] is None if x["iteration"] == 0 else Path(x["checkpoint"]).is_file()
    # The empty start begins empty and the full start full (the g_out_bias of the start).
    assert records[0]["fill"] < 0.1 and records[0]["cavity"] == 1.0
    assert records[3]["fill"] > 2 and records[3]["cavity"] < 0.5
    # Chunks resumed one run: its config was only ever extended.
    cfg = json.loads((out / "full" / "config.json").read_text())
    assert cfg["iterations"] == 2 and cfg["g_out_bias"] == 3.0 and cfg["preset"] == "smoke"
    assert "iggan on procedural:bathtub:3" in format_table(records)

    # The dataset: one model, 8 views, OpenGL renders; reused by a second benchmark there.
    from shapenet_render.dataset import ImageDataset

    (data,) = (out / "data").glob("*.h5")
    ds = ImageDataset(data)
    assert (len(ds), ds.n_models, ds.spec.renderer, ds.resolution) == (8, 1, "opengl", 32)
    assert ds.attrs["recover_shape"] == "procedural:bathtub:3"
    assert Truth.of(ds.voxels(0)).floor_bbox_iou == pytest.approx(records[0]["floor_bbox_iou"])

    # A finished run is never overwritten; a bad shape is one clear line.
    r = igbench(*args)
    assert r.returncode == 1 and "already holds a run" in r.stderr and "--resume" in r.stderr

    # --resume continues it: the next evaluation of each start, nothing evaluated twice.
    longer = [a if a != "2" else "3" for a in args]  # --max-iterations 3
    r = igbench(*longer, "--start", "both", "--resume")
    assert r.returncode == 0, r.stderr
    again = read_records(out)
    assert again[:6] == records
    assert [(x["start"], x["iteration"]) for x in again[6:]] == [("empty", 3), ("full", 3)]
    assert again[6]["minutes"] > records[2]["minutes"]  # the earlier time counts to the budget
    assert json.loads((out / "full" / "config.json").read_text())["iterations"] == 3
    # ... but only with the run's own settings
    r = igbench(*longer, "--resume", "--set", "lr_g=1e-3")
    assert r.returncode == 1 and "train_overrides" in r.stderr
    assert read_records(out) == again
    r = igbench(
        "bench", "recover", "--shape", "procedural:bathtub:99999", "--outdir", str(out / "x")
    )
    assert r.returncode == 1 and "INDEX 0.." in r.stderr


@pytest.mark.gl
def test_smoke_run_of_a_baseline(tmp_path):
    out = tmp_path / "rec"
    r = igbench(
        *("bench", "recover", "--method", "absorption-only", "--preset", "smoke"),
        *("--shape", "procedural:couch:3", "--max-iterations", "1", "--views", "4"),
        *("--start", "full", "--outdir", str(out)),
    )
    assert r.returncode == 0, r.stderr
    records = read_records(out / "recover.jsonl")
    assert [x["iteration"] for x in records] == [0, 1]
    assert records[0]["shape"] == "procedural:sofa:3" and records[0]["method"] == "absorption-only"
    assert "absorption-only-r32-v16-n4" in records[0]["dataset"]
    # The side-by-side summary is built from the records alone.
    r = igbench("bench", "recover-summary", str(out))
    assert r.returncode == 0, r.stderr
    assert "absorption-only on procedural:sofa:3, preset smoke: last evaluation" in r.stdout
    assert re.search(r"^\s+full\s+0\s+\d+\.\d\d\s+1\s", r.stdout, re.M)
    r = igbench("bench", "recover-summary", str(out / "data"))
    assert r.returncode == 1 and "no readable recover records" in r.stderr


@pytest.mark.gl
def test_seeds_run_as_parallel_jobs_and_are_summarised_together(tmp_path):
    out = tmp_path / "rec"
    r = igbench(
        *("bench", "recover", "--method", "absorption-only", "--preset", "smoke"),
        *("--shape", "procedural:couch:3", "--iterations", "1", "--views", "4"),
        *("--start", "full", "--outdir", str(out), "--seeds", "0,1", "--jobs", "2"),
    )
    assert r.returncode == 0, r.stderr
    for s in (0, 1):
        records = read_records(out / f"seed-{s}" / "recover.jsonl")
        assert [x["iteration"] for x in records] == [0, 1] and records[0]["seed"] == s
        assert records[0]["budget_minutes"] is None  # --iterations alone: no time cap
        assert (out / "logs" / f"seed-{s}.log").is_file()
    assert "started seed 0" in r.stdout and "started seed 1" in r.stdout
    assert re.search(r"^\s+full\s+1\s+\d+\.\d\d\s+1\s", r.stdout, re.M)
    assert "over seeds: mean ± sd" in r.stdout and re.search(
        r"^\s+full\s+0,1\s+1\s", r.stdout, re.M
    )
    r = igbench("bench", "recover", "--preset", "smoke", "--seeds", "0,x", "--outdir", str(out))
    assert r.returncode == 1 and "--seeds '0,x'" in r.stderr

    # its report: the curves of both seeds, and per seed the truth beside the samples
    r = igbench("report", str(out), "--out", str(tmp_path / "page"), "-n", "2")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "page" / "index.html").read_text()
    assert "recovery curves" in page and page.count("<figcaption>the truth, procedural:sofa:3") == 2
    assert "seed-0, full start" in page and "seed-1, full start" in page


@pytest.mark.gl
def test_moving_average_of_g_is_scored_beside_the_trained_g(tmp_path):
    out = tmp_path / "rec"
    r = igbench(
        *("bench", "recover", "--method", "absorption-only", "--preset", "smoke"),
        *("--shape", "procedural:couch:3", "--max-iterations", "2", "--eval-every", "2"),
        *("--views", "4", "--start", "full", "--set", "g_ema=0.5", "--outdir", str(out)),
    )
    assert r.returncode == 0, r.stderr
    assert "set g_ema=0.5" in r.stdout and "IoU(G)" in r.stdout and "cav(G)" in r.stdout
    start, end = read_records(out)
    for x in (start, end):
        assert set(x["g_raw"]) >= {"iou", "cavity", "fill"} and 0 <= x["g_raw"]["iou"] <= 1
    # The average's weights are what the records score: its checkpoint holds G_ema.
    from iggan import checkpoint as ckpt_io

    data = ckpt_io.load_checkpoint(end["checkpoint"], kind="train")
    assert "G_ema" in data["modules"] and data["config"]["g_ema"] == 0.5


def test_best_threshold_reads_a_faint_shape_where_it_is_drawn():
    truth = Truth.of(tub())
    # The truth drawn at occupancy 0.2 over a 0.05 haze: empty at the protocol's 0.5; the search
    # finds a threshold between haze and shape, where the sample is the truth exactly.
    faint = np.where(truth.grid, 0.2, 0.05).astype(np.float32)[None]
    out = score_volumes(faint, truth)
    assert out["iou"] == 0.0 and out["cavity"] == 1.0
    assert 0.05 <= out["best"]["threshold"] < 0.2
    assert out["best"]["iou"] == 1.0 and out["best"]["cavity"] == 1.0
    # A sample drawn at full occupancy keeps the threshold nearest 0.5 among the equally good ones.
    assert best_threshold(truth.grid.astype(np.float32)[None], truth) == 0.5
    # Filled hull: the search cannot make a filled cavity look kept.
    hull = truth.hull.astype(np.float32)[None]
    assert score_volumes(hull, truth)["best"]["cavity"] == 0.0


def _record(seed: int, start: str, iteration: int, iou: float, fill: float) -> dict:
    return {
        "method": "visual-hull", "shape": "procedural:bathtub:3", "preset": "cpu",
        "train_overrides": {}, "start": start, "seed": seed, "iteration": iteration,
        "minutes": 1.0, "iou": iou, "cavity": 1.0 - iou, "cavity_bbox": 0.5, "fill": fill,
        "best": {"threshold": 0.3, "iou": iou + 0.01, "cavity": 0.5},
        "floor_bbox_iou": 0.5, "floor_hull_iou": 0.6,
    }  # fmt: skip


def test_seed_statistics_give_mean_sd_and_worst_seed_of_each_seeds_last_evaluation():
    from benchmark.experiments.recover_report import format_summary, seed_statistics

    records = [
        _record(0, "empty", 300, 0.10, 1.0),  # an earlier evaluation: not the seed's last
        _record(0, "empty", 600, 0.50, 1.2),
        _record(1, "empty", 600, 0.60, 0.7),
        _record(2, "empty", 600, 0.40, 1.1),
        _record(0, "full", 600, 0.30, 1.0),
    ]
    last = [r for r in records if r["iteration"] == 600]
    stats = seed_statistics(last)
    empty = stats["empty"]
    assert empty["seeds"] == [0, 1, 2]
    assert empty["iou"]["mean"] == pytest.approx(0.5)
    assert empty["iou"]["sd"] == pytest.approx(0.1)  # sample sd of 0.5, 0.6, 0.4
    assert (empty["iou"]["worst"], empty["iou"]["worst_seed"]) == (0.40, 2)
    assert (empty["fill"]["worst"], empty["fill"]["worst_seed"]) == (0.7, 1)  # farthest from 1
    assert empty["best_iou"]["mean"] == pytest.approx(0.51)
    assert stats["full"]["iou"]["sd"] is None  # one seed
    text = format_summary(records)
    assert "0.500±0.100 (s2: 0.40)" in text
    # every seed's last evaluation is listed, the earlier one is not
    assert len([ln for ln in text.splitlines() if ln.strip().startswith("empty ")]) == 4


def test_pooled_summary_puts_one_experiment_under_two_labels_in_one_block():
    from benchmark.experiments.recover_report import format_summary

    labelled = _record(0, "empty", 600, 0.50, 1.2) | {"train_overrides": {"d_gate_accuracy": None}}
    records = [labelled, _record(1, "empty", 600, 0.60, 0.7), _record(2, "empty", 600, 0.40, 1.1)]
    # apart, the --set run is its own block and the other two make the seed statistics
    assert format_summary(records).count("last evaluation of each start") == 2
    pooled = format_summary(records, pool=True)
    assert pooled.count("last evaluation of each start") == 1
    assert "pooled runs (no --set; set d_gate_accuracy=None)" in pooled
    assert "0.500±0.100 (s2: 0.40)" in pooled  # the three seeds' mean, sd and worst seed
    # two runs of one start and seed cannot be pooled
    clash = _record(1, "empty", 600, 0.55, 1.0) | {"train_overrides": {"lr_r": 5e-5}}
    with pytest.raises(RecoverError, match="two runs of start empty, seed 1"):
        format_summary([*records, clash], pool=True)
