"""igbench table1/2/3: cells, the paper's numbers, --plan/--collect, resume, and a smoke table."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from benchmark import paper_tables, table_output, tables
from benchmark.cli import main


def _ctx(tmp_path, table="table1", preset="smoke", **kw):
    return tables.TableContext(table, tables.table_preset(preset), tmp_path, **kw)


# -- cells and the paper's numbers ------------------------------------------------------------------
def test_table1_has_the_papers_layout():
    cells = tables.table1_cells(tables.table_preset("cpu"))
    assert len(cells) == 4 * 10  # four methods x (3 datasets x 3 categories + LVP chairs)
    rows, cols = table_output._layout(cells)
    assert rows == ["2D-DCGAN", "Visual Hull", "Absorption Only", "IG-GAN (ours)"]
    assert cols[0] == "500 Tubs" and cols[-1] == "LVP Chairs"
    # every cell of ours has the paper's value beside it
    assert all((c.row, c.col) in paper_tables.PAPER["table1"] for c in cells)
    assert paper_tables.PAPER["table1"][("IG-GAN (ours)", "One per model Chairs")] == (20.7,)
    assert paper_tables.PAPER["table1"][("2D-DCGAN", "LVP Chairs")] == (237.9,)
    assert len({c.key for c in cells}) == len(cells)


def test_table1_selection_and_bad_input():
    cells = tables.table1_cells(
        tables.table_preset("cpu"), categories="couches,chairs", datasets="500,lvp", methods="iggan"
    )
    assert [c.id for c in cells] == ["sofa/500/iggan", "chair/500/iggan", "chair/lvp/iggan"]
    with pytest.raises(tables.TableError, match="unknown dataset 'five'"):
        tables.table1_cells(tables.table_preset("cpu"), datasets="five")
    with pytest.raises(tables.TableError, match="unknown method"):
        tables.table1_cells(tables.table_preset("cpu"), methods="nerf")
    with pytest.raises(tables.TableError, match="not in Table 1"):
        tables.table1_cells(tables.table_preset("cpu"), categories="airplanes")


def test_demo_preset_is_one_category_500_all_methods():
    cells = tables.table1_cells(tables.table_preset("demo"))
    assert {c.category for c in cells} == {"chair"}
    assert {c.mode for c in cells} == {"500"}
    assert {c.method for c in cells} == set(paper_tables.METHOD_ROWS)


def test_table2_and_3_share_runs_with_table1():
    preset = tables.table_preset("cpu")
    t1 = {c.key for c in tables.table1_cells(preset, datasets="one-per-model")}
    t2 = tables.table2_cells(preset)
    t3 = tables.table3_cells(preset)
    # Table 2's reference row is Table 1's IG-GAN run; its ablations are distinct runs
    assert "chair-one-per-model-iggan" in t1
    assert {c.key for c in t2 if c.row.startswith("Retrained + DOM")} <= t1
    assert len({c.key for c in t2}) == 10
    overrides = {c.key: dict(c.overrides) for c in t2}
    assert overrides["chair-one-per-model-iggan-dneural-fixed-nodom"] == {
        "d_input": "neural",
        "renderer_mode": "fixed",
        "use_dom": False,
    }
    # the cpu preset pre-trains on cubes: Table 3's "Ours/Random" is the default run
    ours_random = next(c for c in t3 if (c.row, c.col) == ("Ours", "Random"))
    assert ours_random.key == "chair-one-per-model-iggan"
    paper3 = next(c for c in tables.table3_cells(tables.table_preset("paper")) if c.col == "Tables")
    assert paper3.key == "chair-one-per-model-iggan"  # the paper's default is tables


def test_train_config_of_a_cell(tmp_path):
    ctx = _ctx(tmp_path, preset="demo")
    cell = tables.find_cell(tables.table1_cells(ctx.preset), "chair/500/visual-hull")
    cfg = ctx.train_config(cell)
    assert cfg.method == "visual-hull" and cfg.preset == "cpu"
    assert cfg.iterations == tables.DEMO_ITERATIONS["visual-hull"]
    assert "visual-hull" in cfg.data and cfg.data.startswith(str(tmp_path))
    with pytest.raises(tables.TableError, match="no cell 'chair/500/nerf'"):
        tables.find_cell(tables.table1_cells(ctx.preset), "chair/500/nerf")


# -- writers ----------------------------------------------------------------------------------------
def test_written_tables_hold_ours_and_the_paper_labelled(tmp_path):
    ctx = _ctx(tmp_path, table="table2", preset="cpu")
    cells = tables.table2_cells(ctx.preset)
    results = [
        table_output.CellResult(c, "done", tmp_path / c.key, fid=10.0 + i, fid_own=50.0 + i)
        for i, c in enumerate(cells)
    ]
    results[0] = table_output.CellResult(cells[0], "missing", tmp_path / cells[0].key)
    md, csv_path, tex = table_output.write_tables(ctx, results)
    text = md.read_text()
    assert "## Ours (chairs/couches)" in text and "## Paper (chairs/couches)" in text
    assert "86.4/180.1" in text  # the paper's Retrained/OpenGL pair
    assert "-/15.0" in text  # our Retrained/OpenGL: chairs missing, couches 15.0
    assert "-/55.0" in text  # the same at each method's own threshold, in its own block
    assert "### FID at threshold 0.5" in text and "### FID at each method's own threshold" in text
    assert "the paper names no evaluation threshold" in text
    rows = list(csv.DictReader(csv_path.open()))
    assert {r["source"] for r in rows} == {"ours", "paper"}
    assert sum(r["source"] == "ours" for r in rows) == len(cells)
    assert any(r["source"] == "paper" and r["fid"] == "323.5" for r in rows)
    assert any(r["source"] == "ours" and r["fid_own"] == "55.000" for r in rows)
    assert "\\begin{tabular}" in tex.read_text() and "paper (Lunz et al. 2020" in tex.read_text()


def test_seeds_make_one_run_per_cell_and_seed_and_the_table_their_mean(tmp_path):
    ctx = _ctx(tmp_path, preset="cpu")
    cells = tables.table_cells(
        "table1", ctx.preset, seeds="0,1", categories="chairs", datasets="500", methods="iggan"
    )
    assert [c.key for c in cells] == ["chair-500-iggan", "chair-500-iggan-s1"]  # seed 0: no tag
    assert [ctx.train_config(c).seed for c in cells] == [0, 1]
    assert tables.find_cell(cells, "chair/500/iggan-s1").seed == 1
    for bad in ("0,x", "1,1", "-1"):
        with pytest.raises(tables.TableError, match="--seeds"):
            tables.table_cells("table1", ctx.preset, seeds=bad)
    # the place shows the mean of its seeds; a missing seed marks the mean partial
    two = [
        table_output.CellResult(c, "done", tmp_path / c.key, fid=v)
        for c, v in zip(cells, (10.0, 20.0), strict=True)
    ]
    text = table_output.write_tables(ctx, two)[0].read_text()
    assert "| IG-GAN (ours) | 15.0 |" in text and "mean over seeds 0, 1" in text
    one = [two[0], table_output.CellResult(cells[1], "missing", tmp_path / cells[1].key)]
    text = table_output.write_tables(ctx, one)[0].read_text()
    assert "| IG-GAN (ours) | 10.0* |" in text
    rows = list(csv.DictReader((tmp_path / "table1.csv").open()))
    assert [r["seed"] for r in rows if r["source"] == "ours"] == ["0", "1"]
    # --plan's commands carry the seeds, so that each --cell finds its seed
    res = CliRunner().invoke(
        main, ["table1", "--preset", "cpu", "--outdir", str(tmp_path / "p"), "--categories",
               "chairs", "--datasets", "500", "--methods", "iggan", "--seeds", "0,1", "--plan"],
    )  # fmt: skip
    cell_lines = [ln for ln in res.output.splitlines() if "--cell" in ln]
    assert len(cell_lines) == 2 and all("--seeds 0,1" in ln for ln in cell_lines)
    assert any("--cell chair/500/iggan-s1" in ln for ln in cell_lines)


# -- CLI: plan, bad input ---------------------------------------------------------------------------
def test_plan_prints_independent_commands(tmp_path):
    res = CliRunner().invoke(
        main, ["table1", "--preset", "cpu", "--outdir", str(tmp_path), "--categories", "chairs",
               "--datasets", "500", "--plan"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "igbench classifier install --preset cpu --source procedural"  # it ships
    renders = [ln for ln in lines if ln.startswith("igbench render")]
    assert len(renders) == 3  # opengl, visual-hull, absorption-only
    cells = [ln for ln in lines if "--cell" in ln]
    assert len(cells) == 4 and all(f"--outdir {tmp_path}" in ln for ln in cells)
    assert "igbench pretrain-renderer --on cubes --preset cpu" in lines
    assert not any(tmp_path.iterdir())  # planning makes nothing


def test_bad_dataset_is_one_line(tmp_path):
    res = CliRunner().invoke(main, ["table1", "--datasets", "five", "--outdir", str(tmp_path)])
    assert res.exit_code != 0
    assert "unknown dataset 'five'" in res.output and "Traceback" not in res.output


def test_collect_on_nothing_reports_missing_cells(tmp_path):
    res = CliRunner().invoke(
        main, ["table3", "--preset", "cpu", "--outdir", str(tmp_path), "--collect",
               "--classifier", str(tmp_path / "none.pt")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "0 of 6 cells done" in res.output
    assert (tmp_path / "table3.md").exists()


# -- a smoke table end to end -----------------------------------------------------------------------
@pytest.mark.gl
def test_smoke_table_runs_resumes_and_collects(tmp_path, smoke_classifier):
    _, trained = smoke_classifier
    args = ["table1", "--preset", "smoke", "--outdir", str(tmp_path), "--categories", "chairs",
            "--datasets", "500", "--methods", "dcgan,iggan", "--iterations", "2",
            "--classifier", str(trained.checkpoint), "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    rows = [r for r in csv.DictReader((tmp_path / "table1.csv").open()) if r["source"] == "ours"]
    assert [r["state"] for r in rows] == ["done", "done"]
    assert all(float(r["fid"]) >= 0 and r["classifier"] for r in rows)
    assert all(float(r["fid_own"]) >= 0 for r in rows)
    iggan_row = next(r for r in rows if r["method"] == "iggan")
    assert float(iggan_row["threshold_own"]) > 0  # a 3D method's own threshold is recorded
    # The 3D table beside it: the 3D method's cell at both thresholds, both distances.
    rows3d = list(csv.DictReader((tmp_path / "table1-3d.csv").open()))
    assert [(r["method"], r["threshold_rule"]) for r in rows3d] == [
        ("iggan", "common"),
        ("iggan", "own"),
    ]
    assert all(0.0 <= float(r["1nna_chamfer"]) <= 1.0 and r["mmd_iou"] for r in rows3d)
    assert "3D metrics" in (tmp_path / "table1-3d.md").read_text()
    assert (tmp_path / "table1-3d.tex").is_file()
    metrics = tmp_path / "runs" / "chair-500-iggan" / "metrics.jsonl"
    n_records = len(metrics.read_text().splitlines())
    assert json.loads(metrics.read_text().splitlines()[0])["method"] == "iggan"

    # a rerun trains and evaluates nothing again
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "training" not in res.output
    assert len(metrics.read_text().splitlines()) == n_records

    # --collect rebuilds the same table from the records
    table = (tmp_path / "table1.md").read_text()
    (tmp_path / "table1.md").unlink()
    res = CliRunner().invoke(main, [*args, "--collect"])
    assert res.exit_code == 0 and (tmp_path / "table1.md").read_text() == table
    assert "2 of 2 cells done" in table

    # --export copies records, curves and grids without weights; --collect there gives the table
    export = tmp_path / "export"
    res = CliRunner().invoke(main, [*args, "--collect", "--export", str(export)])
    assert res.exit_code == 0, res.output
    run = export / "runs" / "chair-500-iggan"
    assert (run / "metrics.jsonl").read_text() == metrics.read_text()
    assert (run / "curves.png").is_file() and list((run / "samples").glob("samples-*.png"))
    # each cell's final pictures: 16 samples at 0.5 and their normal maps
    assert list((run / "samples").glob("final-*/renders.png"))
    assert list((run / "samples").glob("final-*/normals.png"))
    assert json.loads((run / "final.json").read_text()) == {"iteration": 2}
    assert not list(export.rglob("*.pt")) and not (run / "checkpoints").exists()
    res = CliRunner().invoke(
        main, [*args[:4], str(export), *args[5:], "--collect", "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    exported = (export / "table1.md").read_text()
    assert exported.replace(str(export), str(tmp_path)) == table  # run paths aside, the same


def test_a_cells_fid_over_checkpoints_is_evaluated_and_plotted(tmp_path, smoke_classifier):
    import dataclasses

    from benchmark.metrics.records import read_records
    from benchmark.plots import fid_points
    from iggan.checkpoint import list_checkpoints

    _, trained = smoke_classifier
    preset = dataclasses.replace(tables.table_preset("smoke"), curve_every=2)
    ctx = tables.TableContext(
        "table1", preset, tmp_path, classifier=trained.checkpoint, iterations=5, progress=False
    )
    cells = tables.table_cells("table1", preset, categories="chairs", datasets="500",
                               methods="visual-hull")  # fmt: skip
    (result,) = tables.run_table(ctx, cells)
    run = ctx.run_dir(cells[0])
    # checkpoints at 2 and 4 survive pruning beside the newest; 2 and 4 are evaluated
    assert {2, 4, 5} <= {it for it, _ in list_checkpoints(run)}
    fids = {(r.iteration, r.protocol["threshold_rule"]) for r in read_records(run)
            if r.metric.startswith("fid_") and "eval_version" in r.protocol}  # fmt: skip
    assert fids == {(2, "common"), (4, "common"), (5, "common"), (5, "own")}
    assert [it for it, _ in fid_points(run)["common (t=0.5)"]] == [2, 4, 5]
    # table1.md lists those points, so a reader's numbers come from --collect, not the plot
    from benchmark import table_output

    text = table_output.write_tables(ctx, [result])[0].read_text()
    assert "## FID over checkpoints" in text
    (line,) = [ln for ln in text.splitlines() if ln.startswith(f"| `{cells[0].id}` | 2: ")]
    assert [p.split(":")[0] for p in line.split("|")[2].split(" / ")] == [" 2", "4", "5"]
    # the table's cell is the final checkpoint's evaluation
    assert result.state == "done" and result.record.iteration == 5
    n = len(read_records(run))
    tables.run_table(ctx, cells)  # a rerun evaluates nothing again
    assert len(read_records(run)) == n


@pytest.mark.gl
def test_smoke_table_trains_cells_in_parallel_processes(tmp_path, smoke_classifier):
    _, trained = smoke_classifier
    args = ["table1", "--preset", "smoke", "--outdir", str(tmp_path), "--categories", "chairs",
            "--datasets", "500", "--methods", "dcgan,visual-hull", "--iterations", "2",
            "--classifier", str(trained.checkpoint), "--no-progress", "--jobs", "2"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "started chair/500/dcgan" in res.output and "started chair/500/visual-hull" in res.output
    assert (tmp_path / "logs" / "chair-500-visual-hull.log").exists()
    # with the classifier present, each job evaluates its own run (no slot waits for the others)
    for key, cell in (
        ("chair-500-dcgan", "chair/500/dcgan"),
        ("chair-500-visual-hull", "chair/500/visual-hull"),
    ):
        assert f"{cell}: done, FID" in (tmp_path / "logs" / f"{key}.log").read_text()
    rows = [r for r in csv.DictReader((tmp_path / "table1.csv").open()) if r["source"] == "ours"]
    assert [r["state"] for r in rows] == ["done", "done"]
