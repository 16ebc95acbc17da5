"""Work as scheduler jobs (benchmark.cluster): submitit's local executor for real, the Slurm
executor's job scripts checked against a stand-in ``sbatch`` (no cluster here)."""

from __future__ import annotations

import csv
import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.cli import main
from benchmark.cluster import ClusterError, ClusterOptions, Ledger, Task, job_states, run_waves

ROOT = Path(__file__).resolve().parents[2]


def _opts(tmp_path, **kw):
    return ClusterOptions(folder=tmp_path / "jobs", poll_s=0.2, **kw)


# -- the job machinery, with standard-library functions as the work ----------------------------------
def test_waves_run_in_order_and_a_failure_stops_the_next_wave(tmp_path):
    out = tmp_path / "b.txt"
    waves = [
        [Task("a", Path.write_text, (tmp_path / "a.txt", "one")), Task("div", operator.truediv, (1, 0))],
        [Task("b", Path.write_text, (out, "two"))],
    ]  # fmt: skip
    lines = []
    with pytest.raises(ClusterError, match=r"1 job\(s\) failed: div \(log: .*_log.err\)"):
        run_waves(waves, _opts(tmp_path, slots=2), lines.append)
    assert (tmp_path / "a.txt").read_text() == "one"
    assert not out.exists()  # the second wave waits for the first to succeed
    assert any(ln.startswith("FAILED div") and "ZeroDivisionError" in ln for ln in lines)
    states = {rec.name: state for rec, state in job_states(tmp_path / "jobs")}
    assert states == {"a": "COMPLETED", "div": "FAILED"}

    # a rerun with the failure fixed: only what is left goes in the waves, the next wave follows
    run_waves([[Task("div", operator.truediv, (1, 2))], waves[1]], _opts(tmp_path), lines.append)
    assert out.read_text() == "two"
    assert len(Ledger(tmp_path / "jobs").path.read_text().splitlines()) == 4


def test_options_refuse_what_cannot_work(tmp_path):
    with pytest.raises(ClusterError, match="--no-wait needs --executor slurm"):
        _opts(tmp_path, wait=False).validate()
    with pytest.raises(ClusterError, match="choose one of local, slurm"):
        _opts(tmp_path, executor="pbs").validate()
    res = CliRunner().invoke(main, ["table1", "--preset", "smoke", "--gpus-per-job", "2"])
    assert res.exit_code == 2 and "--gpus-per-job needs --executor" in res.output
    res = CliRunner().invoke(
        main, ["table1", "--preset", "smoke", "--executor", "local", "--slurm-param", "account"]
    )
    assert res.exit_code == 1 and "expected KEY=VALUE" in res.output
    res = CliRunner().invoke(main, ["render", "--category", "chairs", "--shards", "4"])
    assert res.exit_code == 2 and "--shards needs --executor" in res.output


# -- Slurm: the job scripts a cluster would get --------------------------------------------------------
_SBATCH = """#!/bin/sh
n=$(( $(cat "$FAKE_SLURM/count" 2>/dev/null || echo 1000) + 1 ))
echo $n > "$FAKE_SLURM/count"
cp "$1" "$FAKE_SLURM/job-$n.sh"
echo "Submitted batch job $n"
"""
_SACCT = """#!/bin/sh
echo "JobID|State|NodeList"
while [ $# -gt 0 ]; do
  if [ "$1" = "-j" ]; then echo "$2|PENDING|"; shift; fi
  shift
done
"""


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    """``sbatch`` that records each job script and answers with a job id, ``sacct`` that reports
    every job pending, ``srun`` that exists (submitit looks for it)."""
    bin_dir, rec = tmp_path / "bin", tmp_path / "slurm"
    bin_dir.mkdir()
    rec.mkdir()
    for name, text in (("sbatch", _SBATCH), ("sacct", _SACCT), ("srun", "#!/bin/sh\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM", str(rec))
    return rec


def test_slurm_job_scripts_carry_the_options_and_the_waves_dependency(
    tmp_path, fake_slurm, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the smoke classifier's default folder is relative
    args = ["table1", "--preset", "smoke", "--outdir", "t", "--categories", "chairs",
            "--datasets", "500", "--methods", "iggan", "--executor", "slurm",
            "--slurm-partition", "gpu", "--gpus-per-job", "2", "--timeout-min", "90",
            "--mem-gb", "32", "--cpus-per-job", "8", "--slurm-param", "account=vision",
            "--slurm-param", "mail-type=END", "--job-setup", "source .venv/bin/activate",
            "--no-wait", "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "3 job(s) queued" in res.output and "igbench status t" in res.output
    scripts = {p.name: p.read_text() for p in sorted(fake_slurm.glob("job-*.sh"))}
    assert list(scripts) == ["job-1001.sh", "job-1002.sh", "job-1003.sh"]
    clf, data, cell = scripts.values()
    for text in (clf, data, cell):  # every job: the common options
        for line in ("#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --mem=32GB",
                     "#SBATCH --account=vision", "#SBATCH --mail-type=END", "#SBATCH --nodes=1"):  # fmt: skip
            assert line in text, (line, text)
        assert "source .venv/bin/activate" in text
        assert str(tmp_path / "t" / "jobs") in text  # logs inside the table's folder
    assert "igbench-classifier" in clf and "#SBATCH --gpus-per-node=1" in clf
    assert "#SBATCH --gpus-per-node" not in data  # rendering needs no GPU
    assert "--dependency" not in clf and "--dependency" not in data
    # the cell: its two GPUs, one process each, after both shared jobs succeeded
    assert "#SBATCH --gpus-per-node=2" in cell and "#SBATCH --ntasks-per-node=2" in cell
    assert "#SBATCH --cpus-per-task=4" in cell
    assert "#SBATCH --dependency=afterok:1001:1002" in cell

    # a rerun while the jobs are queued waits for them instead of submitting them again
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert res.output.count("waiting for") == 3 and "submitted" not in res.output
    assert len(list(fake_slurm.glob("job-*.sh"))) == 3
    res = CliRunner().invoke(main, ["status", "t"])
    assert res.exit_code == 0, res.output
    assert res.output.count("PENDING") == 3 and "chair/500/iggan" in res.output
    assert "table1 cells (smoke preset): 0 of 1 done" in res.output
    assert "chair/500/iggan: missing" in res.output


# -- a smoke table as local jobs ----------------------------------------------------------------------
def _rows(path: Path) -> list[dict]:
    rows = [r for r in csv.DictReader(path.open()) if r["source"] == "ours"]
    for r in rows:
        r.pop("run", None)
    return rows


@pytest.mark.gl
@pytest.mark.slow
def test_smoke_table_as_local_jobs_is_the_in_process_table(tmp_path, smoke_classifier):
    _, trained = smoke_classifier
    common = ["table1", "--preset", "smoke", "--categories", "chairs,tubs", "--datasets", "500",
              "--methods", "dcgan,iggan", "--iterations", "2",
              "--classifier", str(trained.checkpoint), "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(main, [*common, "--outdir", str(tmp_path / "here")])
    assert res.exit_code == 0, res.output
    jobs = tmp_path / "jobs"
    res = CliRunner().invoke(
        main, [*common, "--outdir", str(jobs), "--executor", "local", "--jobs", "2"]
    )
    assert res.exit_code == 0, res.output
    assert "2 shared job(s), then 4 cell job(s) on local" in res.output
    assert _rows(jobs / "table1.csv") == _rows(tmp_path / "here" / "table1.csv")
    assert len(_rows(jobs / "table1.csv")) == 4
    res = CliRunner().invoke(main, ["status", str(jobs)])
    assert res.exit_code == 0, res.output
    assert res.output.count("COMPLETED") == 6 and "4 of 4 done" in res.output
    log = next((jobs / "jobs").glob("*/*_0_log.err"))  # each job's log in the table's folder
    assert log.stat().st_size > 0


def _driver(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "benchmark.cli", *args],
        cwd=cwd,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its jobs are in its process group
    )


def _wait_for(cond, what: str, timeout: float = 240.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.gl
@pytest.mark.slow
def test_a_killed_driver_and_a_killed_job_are_picked_up_by_a_rerun(tmp_path, smoke_classifier):
    """Killing the driver leaves its job running and a rerun waits for that job; killing the job
    too makes the rerun submit it again, and its training resumes from its checkpoint."""
    _, trained = smoke_classifier
    args = ["table1", "--preset", "smoke", "--outdir", "t", "--categories", "chairs",
            "--datasets", "500", "--methods", "dcgan", "--iterations", "3000",
            "--classifier", str(trained.checkpoint), "--no-progress", "--executor", "local"]  # fmt: skip
    run = tmp_path / "t" / "runs" / "chair-500-dcgan"
    first = _driver(args, tmp_path, tmp_path / "first.log")
    _wait_for(lambda: list((run / "checkpoints").glob("*.pt")), "a first checkpoint")
    os.kill(first.pid, signal.SIGKILL)  # the driver only: its job goes on
    first.wait()
    second = _driver(args, tmp_path, tmp_path / "second.log")
    _wait_for(
        lambda: "waiting for chair/500/dcgan" in (tmp_path / "second.log").read_text(), "attach"
    )
    os.killpg(first.pid, signal.SIGKILL)  # now the job (in the first driver's group) dies too
    assert second.wait(timeout=120) == 1
    text = (tmp_path / "second.log").read_text()
    assert "FAILED chair/500/dcgan" in text and "rerun the same command" in text
    recs = (tmp_path / "t" / "jobs" / "jobs.jsonl").read_text().splitlines()
    assert sum('"chair/500/dcgan"' in r for r in recs) == 1  # the rerun did not submit it twice

    res = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", *args],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "started chair/500/dcgan" in res.stdout and "finished chair/500/dcgan" in res.stdout
    logs = (tmp_path / "t" / "jobs").glob("*/*_0_log.err")
    assert any("(resuming at " in p.read_text() for p in logs)
    assert "chair/500/dcgan: done" in res.stdout


@pytest.mark.gl
@pytest.mark.slow
def test_a_cell_trains_on_two_processes_of_one_job(tmp_path, smoke_classifier):
    """--gpus-per-job 2 on a machine without GPUs: two processes of one job, gloo, as under
    torchrun; the run's checkpoint records both."""
    from iggan import checkpoint as ckpt_io

    _, trained = smoke_classifier
    args = ["table1", "--preset", "smoke", "--outdir", str(tmp_path), "--categories", "chairs",
            "--datasets", "500", "--methods", "iggan", "--iterations", "2", "--device", "cpu",
            "--classifier", str(trained.checkpoint), "--no-progress", "--executor", "local",
            "--gpus-per-job", "2"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    state = ckpt_io.load_checkpoint(
        ckpt_io.latest_checkpoint(tmp_path / "runs" / "chair-500-iggan"), kind="train"
    )
    assert state["iteration"] == 2 and state["extra"]["world_size"] == 2
    assert "chair/500/iggan: done" in res.output


@pytest.mark.gl
def test_render_as_shard_jobs_is_the_unsharded_file(tmp_path):
    import h5py
    import numpy as np

    common = ["render", "--category", "chairs", "--mode", "500", "--preset", "smoke",
              "--workers", "1"]  # fmt: skip
    res = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "one.h5")])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        main,
        [*common, "--out", str(tmp_path / "jobs.h5"), "--executor", "local", "--shards", "2",
         "--jobs", "2"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "finished shard 0/2" in res.output and "finished shard 1/2" in res.output
    assert not list(tmp_path.glob("*.shard*"))  # merged, then removed
    with h5py.File(tmp_path / "one.h5") as a, h5py.File(tmp_path / "jobs.h5") as b:
        for key in ("images", "azimuth", "voxels", "model_index"):
            assert np.array_equal(a[key][:], b[key][:]), key


@pytest.mark.gl
@pytest.mark.slow
def test_classifier_trains_as_a_job(tmp_path):
    out = tmp_path / "clf"
    args = ["classifier", "train", "--preset", "smoke", "--categories", "chair,airplane",
            "--models-per-class", "4", "--views-per-model", "1", "--epochs", "1",
            "--out", str(out), "--executor", "local", "--threads", "1"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "finished classifier" in res.output and "held-out accuracy" in res.output
    assert (out / "classifier.pt").is_file() and list((out / "jobs").glob("*/*_log.err"))
    # a rerun with --resume: its job finds the classifier trained and returns it
    res = CliRunner().invoke(main, [*args, "--resume"])
    assert res.exit_code == 0 and "held-out accuracy" in res.output
