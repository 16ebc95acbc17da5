"""Dataset files: plans, determinism, kill-and-resume, shards, schema validation, bad arguments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from shapenet_render.dataset import (
    PART_SIZE,
    DatasetError,
    ImageDataset,
    content_digest,
    make_plan,
    make_spec,
    render_dataset,
    views_for,
)
from shapenet_render.dataset_tools import merge_shards
from shapenet_render.sources.registry import get_source

pytestmark = pytest.mark.gl


def _spec(**kw):
    kw.setdefault("max_models", 2 * PART_SIZE + 3)
    return make_spec("cubes", "one-per-model", "smoke", **kw)


def test_views_follow_the_paper_ranges():
    chairs = make_spec("chairs", "one-per-model")
    tubs = make_spec("tubs", "one-per-model")
    lvp = make_spec("chair", "lvp")
    assert chairs.elevation_range == (-30.0, 60.0) and chairs.azimuth_range == (0.0, 360.0)
    assert tubs.elevation_range == (15.0, 60.0) and tubs.n_views == 4
    assert make_spec("couches", "500").elevation_range == (15.0, 60.0)
    assert lvp.azimuth_range == (-60.0, 60.0) and lvp.elevation_range == (15.0, 60.0)
    v = np.concatenate([views_for(lvp, p) for p in range(500)])
    assert v[:, 0].min() >= -60 and v[:, 0].max() <= 60 and v[:, 1].min() >= 15
    assert make_spec("tables", "one-per-model").elevation_range == (-30.0, 60.0)
    with pytest.raises(DatasetError, match="chairs only"):
        make_spec("sofa", "lvp")


def test_mode_500_draws_500_distinct_models_by_seed():
    source = get_source("cubes")
    plan = make_plan(make_spec("cubes", "500", "paper"), source)
    assert len(set(plan.positions.tolist())) == 500
    again = make_plan(make_spec("cubes", "500", "paper"), source)
    other = make_plan(make_spec("cubes", "500", "paper", seed=1), source)
    assert (plan.positions == again.positions).all() and (plan.positions != other.positions).any()


def test_render_is_deterministic_and_readable(tmp_path):
    a = render_dataset(_spec(), out=tmp_path / "a.h5", workers=2)
    b = render_dataset(_spec(), out=tmp_path / "b.h5", workers=1)
    assert content_digest(a.path) == content_digest(b.path)
    ds = ImageDataset(a.path)
    assert len(ds) == 2 * PART_SIZE + 3 == ds.n_models
    x = ds[3]
    assert x.shape == (1, 32, 32) and x.dtype.is_floating_point and -1 <= x.min() < x.max() <= 1
    assert ds.voxels(0).shape == (16, 16, 16) and ds.voxels(0).any()
    with h5py.File(a.path) as f:
        assert f["images"].chunks == (1, 32, 32) and f["images"].compression == "gzip"
        assert f.attrs["renderer"] == "opengl" and f.attrs["voxel_res"] == 16


def test_three_renderers_share_shapes_and_views(tmp_path):
    paths = {
        r: render_dataset(_spec(renderer=r, max_models=5), out=tmp_path / f"{r}.h5", workers=1).path
        for r in ("opengl", "visual-hull", "absorption-only")
    }
    files = {r: h5py.File(p) for r, p in paths.items()}
    base = files["opengl"]
    for f in files.values():
        np.testing.assert_array_equal(f["azimuth"][:], base["azimuth"][:])
        np.testing.assert_array_equal(f["voxels"][:], base["voxels"][:])
    assert not np.array_equal(files["visual-hull"]["images"][:], base["images"][:])
    # The baselines' images are exactly their training-time projection of the stored grids.
    import torch

    from shapenet_render import projection

    ds = ImageDataset(paths["visual-hull"])
    vol = torch.from_numpy(ds.voxels(2)).float()[None, None]
    az, el = ds.view(2)
    img = projection.visual_hull_images(vol, torch.tensor([az]), torch.tensor([el]), 32)
    np.testing.assert_array_equal(projection.unit_to_uint8(img)[0, 0], ds.image(2))


def test_existing_output_is_refused_and_incompatible_partials_are_not_mixed(tmp_path):
    out = tmp_path / "c.h5"
    render_dataset(_spec(max_models=4), out=out, workers=1)
    with pytest.raises(DatasetError, match="already exists"):
        render_dataset(_spec(max_models=4), out=out, workers=1)
    render_dataset(_spec(max_models=4), out=out, workers=1, overwrite=True)  # allowed
    parts = tmp_path / "d.h5.parts"
    parts.mkdir()
    (parts / "spec.json").write_text('{"spec": {"category": "chair"}, "part_size": 16}')
    with pytest.raises(DatasetError, match="different arguments"):
        render_dataset(_spec(max_models=4), out=tmp_path / "d.h5", workers=1)


def test_shards_merge_into_the_unsharded_file(tmp_path):
    full = render_dataset(_spec(), out=tmp_path / "full.h5", workers=1)
    shard_paths = [
        render_dataset(_spec(), out=tmp_path / "s.h5", workers=1, shard=(i, 2)).path
        for i in range(2)
    ]
    assert len({p.name for p in shard_paths}) == 2
    merged = merge_shards(shard_paths, tmp_path / "merged.h5")
    assert content_digest(merged.path) == content_digest(full.path)
    with pytest.raises(DatasetError, match="none of the given shards"):
        merge_shards(shard_paths[:1], tmp_path / "bad.h5")


def test_schema_validation_names_the_problem(tmp_path):
    good = render_dataset(_spec(max_models=3), out=tmp_path / "g.h5", workers=1).path
    bad = tmp_path / "bad.h5"
    bad.write_bytes(good.read_bytes())
    with h5py.File(bad, "a") as f:
        del f["azimuth"]
    with pytest.raises(DatasetError, match="bad.h5: missing dataset 'azimuth'"):
        ImageDataset(bad)
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(DatasetError, match="junk.h5: not a readable HDF5"):
        ImageDataset(tmp_path / "junk.h5")
    with pytest.raises(DatasetError, match="no such dataset"):
        ImageDataset(tmp_path / "missing.h5")


def _igbench(*args, **kw):
    exe = Path(sys.executable).with_name("igbench")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, **kw)


def test_killed_render_resumes_to_the_same_file(tmp_path):
    args = [
        "render",
        "--category",
        "cubes",
        "--preset",
        "smoke",
        "--max-models",
        str(6 * PART_SIZE),
        "--workers",
        "1",
    ]
    ref = _igbench(*args, "--out", str(tmp_path / "ref.h5"))
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "killed.h5"
    parts = Path(str(out) + ".parts")
    exe = Path(sys.executable).with_name("igbench")
    proc = subprocess.Popen(
        [str(exe), *args, "--out", str(out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part_*.npz"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # never a partial file under the final name
    done_before = len(list(parts.glob("part_*.npz")))
    assert 1 <= done_before < 6
    again = _igbench(*args, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout and f"{done_before} reused" in again.stdout
    assert content_digest(out) == content_digest(tmp_path / "ref.h5")
    assert not parts.exists()


def test_bad_arguments_get_one_clear_line(tmp_path):
    r = _igbench("render", "--category", "chairz", "--out", str(tmp_path / "x.h5"))
    assert r.returncode != 0 and "unknown category 'chairz'" in r.stderr
    r = _igbench("render", "--category", "sofa", "--mode", "lvp", "--out", str(tmp_path / "x.h5"))
    assert r.returncode != 0 and "chairs only" in r.stderr
    r = _igbench("render", "--category", "cubes", "--shard", "3/2", "--out", str(tmp_path / "x.h5"))
    assert r.returncode != 0 and "0 <= i < n" in r.stderr
    r = _igbench("info", str(tmp_path / "nope.h5"))
    assert r.returncode != 0 and "nope.h5: no such dataset file" in r.stderr
    # A bad shape source: one line on stderr, before any progress bar, nothing written.
    for source, why in [
        ("meshdir:/does/not/exist", "folder /does/not/exist does not exist"),
        ("nosuch", "unknown shape source 'nosuch'"),
    ]:
        r = _igbench("render", "--category", "chairs", "--preset", "smoke", "--source", source,
                     "--out", str(tmp_path / "s.h5"))  # fmt: skip
        assert r.returncode == 1 and r.stderr.startswith("Error: ")
        assert why in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr and "rendering" not in r.stderr
        assert not (tmp_path / "s.h5").exists() and not (tmp_path / "s.h5.parts").exists()
    # An error once the progress bar runs starts a line of its own.
    (tmp_path / "meshes" / "chairs").mkdir(parents=True)
    (tmp_path / "meshes" / "chairs" / "a.obj").write_text(
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    )
    r = _igbench("render", "--category", "chairs", "--mode", "500", "--preset", "smoke",
                 "--source", f"meshdir:{tmp_path / 'meshes'}", "--out", str(tmp_path / "m.h5"))  # fmt: skip
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if "Error:" in ln]
    assert len(errors) == 1 and errors[0].startswith("Error: mode 500 needs 500 models"), r.stderr
