"""metrics.jsonl records: round trip, latest per metric, whole-line appends."""

from __future__ import annotations

import json
import threading

from benchmark.metrics.fid import FidResult
from benchmark.metrics.records import (
    RECORDS_FILE,
    MetricRecord,
    append_records,
    latest_by_metric,
    read_records,
    records_from_result,
)


def _result(fid: float, kid: float | None = 0.01) -> FidResult:
    return FidResult(
        fid=fid,
        kid_mean=kid,
        kid_std=None if kid is None else 0.001,
        n_real=5000,
        n_fake=5000,
        extractor="igbench-clf21",
        tag="clf21",
        fingerprint="0123456789abcdef",
        kid_subsets=100,
        kid_subset_size=None if kid is None else 1000,
        real_key="k" * 64,
        real_cached=False,
    )


def test_records_round_trip(tmp_path):
    recs = records_from_result(
        _result(12.5),
        dataset="data/chair.h5",
        dataset_fingerprint="deadbeef",
        checkpoint="runs/x/checkpoints/ckpt-00003000.pt",
        iteration=3000,
        method="iggan",
        source="procedural",
        preset="cpu",
        protocol={"views": "dataset", "threshold": 0.5},
    )
    assert [r.metric for r in recs] == ["fid_clf21_5k", "kid_clf21_5k"]
    path = append_records(tmp_path, recs)
    assert path == tmp_path / RECORDS_FILE
    back = read_records(tmp_path)
    assert back == recs
    assert back[0].value == 12.5 and back[0].iteration == 3000 and back[0].time
    assert back[1].protocol["kid_std"] == 0.001 and back[1].protocol["threshold"] == 0.5
    assert back[0].classifier_fingerprint == "0123456789abcdef"
    # every line is a whole JSON object
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_no_kid_record_without_kid(tmp_path):
    assert [r.metric for r in records_from_result(_result(3.0, kid=None))] == ["fid_clf21_5k"]


def test_latest_by_metric_and_filters(tmp_path):
    append_records(tmp_path, records_from_result(_result(30.0), iteration=1000, checkpoint="a"))
    append_records(tmp_path, records_from_result(_result(20.0), iteration=2000, checkpoint="b"))
    latest = latest_by_metric(read_records(tmp_path))
    assert latest["fid_clf21_5k"].value == 20.0 and latest["fid_clf21_5k"].iteration == 2000
    assert latest_by_metric(read_records(tmp_path), checkpoint="a")["fid_clf21_5k"].value == 30.0
    assert latest_by_metric(read_records(tmp_path), checkpoint="zzz") == {}


def test_reader_skips_malformed_lines_and_keeps_unknown_fields(tmp_path):
    append_records(tmp_path, records_from_result(_result(5.0)))
    with open(tmp_path / RECORDS_FILE, "a") as fh:
        fh.write('{"metric": "fid_clf21_5k", "val\n')  # a torn line
        rec = json.loads(MetricRecord("fid_x", 1.0, 1, 1, "e", "f").to_json())
        fh.write(json.dumps({**rec, "future_field": 7}) + "\n")
    recs = read_records(tmp_path)
    assert [r.metric for r in recs] == ["fid_clf21_5k", "kid_clf21_5k", "fid_x"]
    assert recs[-1].protocol["future_field"] == 7
    assert read_records(tmp_path / "missing") == []


def test_concurrent_appends_keep_lines_whole(tmp_path):
    def writer(k: int) -> None:
        for i in range(50):
            append_records(tmp_path, [MetricRecord(f"m{k}", float(i), 1, 1, "e", "f" * 200)])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = read_records(tmp_path)
    assert len(recs) == 200
    assert all(latest_by_metric(recs)[f"m{k}"].value == 49.0 for k in range(4))
