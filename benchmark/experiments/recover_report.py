"""The tables of ``bench recover`` and ``bench recover-summary``, built from the records alone
(``recover.jsonl``; nothing is trained or scored again)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


class RecoverError(ValueError):
    """A recovery benchmark that cannot run; the message says why and what to do."""


_COLUMNS = ("minutes", "iteration", "IoU", "cavity", "cav_bbox", "fill", "t*", "IoU@t*", "cav@t*")


#: With ``g_ema`` the scores are the moving average's; these are the trained G's, at 0.5.
_RAW_COLUMNS = ("IoU(G)", "cav(G)")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _overrides_text(record: dict[str, Any]) -> str:
    """``, set k=v ...`` for a record made with ``train_overrides`` (older records have none)."""
    over = record.get("train_overrides") or {}
    return "".join(f", set {k}={v}" for k, v in sorted(over.items()))


def method_label(record: dict[str, Any]) -> str:
    """The method, with its off-the-shelf renderer when that is not OpenGL: ``iggan (mitsuba)``,
    ``iggan (mitsuba, 64 spp)``."""
    renderer = record.get("renderer", "opengl")
    if renderer == "opengl":
        return record["method"]
    spp = f", {record['spp']} spp" if record.get("spp") else ""
    return f"{record['method']} ({renderer}{spp})"


def _variant(record: dict[str, Any]) -> tuple:
    """What makes two records' runs different experiments (their rows are never mixed)."""
    over = json.dumps(record.get("train_overrides") or {}, sort_keys=True)
    return (method_label(record), record["shape"], record["preset"], over)


def format_header(record: dict[str, Any]) -> str:
    """The lines above a start's rows: what was run, the floors, the column names."""
    return "\n".join(
        [
            f"{method_label(record)} on {record['shape']} ({record['voxel_res']}^3, "
            f"{record['image_res']}^2, {record['views']} views), preset {record['preset']}"
            f"{_overrides_text(record)}, "
            f"start {record['start']} (g_out_bias {record['g_out_bias']:+g})",
            f"floors: filled bounding box IoU {record['floor_bbox_iou']:.3f}, filled convex hull "
            f"IoU {record['floor_hull_iou']:.3f} (cavity 0 for both)",
            *_machine_line(record),
            "".join(f"{c:>10}" for c in _columns(record)),
        ]
    )


def _machine_line(record: dict[str, Any]) -> list[str]:
    """``machine: ...`` when the record has it (older records do not): the minutes and iterations
    of two runs compare only on the same cores and load."""
    if record.get("torch_threads") is None:
        return []
    load = record.get("load_average")
    return [
        f"machine: {record.get('cpu_count') or '?'} cores, {record['torch_threads']} torch "
        f"thread(s), 1-minute load average {'-' if load is None else f'{load:.2f}'} at "
        f"iteration {record['iteration']}"
    ]


def _columns(record: dict[str, Any]) -> tuple[str, ...]:
    return _COLUMNS + (_RAW_COLUMNS if "g_raw" in record else ())


def format_row(record: dict[str, Any]) -> str:
    """One evaluation: training minutes, iteration, mean IoU, cavity, cavity_bbox, fill."""
    cells = [
        f"{record['minutes']:.2f}",
        str(record["iteration"]),
        _fmt(record["iou"]),
        _fmt(record["cavity"]),
        _fmt(record["cavity_bbox"]),
        _fmt(record["fill"], 2),
    ]
    best = record.get("best")  # absent in records made before the threshold search
    cells += [
        _fmt(best and best["threshold"], 2),
        _fmt(best and best["iou"]),
        _fmt(best and best["cavity"]),
    ]
    raw = record.get("g_raw")
    if raw is not None:
        cells += [_fmt(raw["iou"]), _fmt(raw["cavity"])]
    line = "".join(f"{c:>10}" for c in cells)
    return line + ("  (interrupted)" if record.get("status") == "interrupted" else "")


def format_table(records: list[dict[str, Any]]) -> str:
    """Every start's header and rows."""
    lines: list[str] = []
    key = None
    for r in records:
        k = (*_variant(r), r["start"], r["run_dir"])
        if k != key:
            if lines:
                lines.append("")
            lines.append(format_header(r))
            key = k
        lines.append(format_row(r))
    return "\n".join(lines)


def format_summary(records: list[dict[str, Any]], pool: bool = False) -> str:
    """The last evaluation of each start and seed, one block per (method, shape, preset,
    overrides): a result counts only if it holds from both starts. Where a start has several
    seeds, :func:`format_seed_statistics` follows the block.

    ``pool``: one block per (method, shape, preset) whatever the runs' ``--set`` fields, for runs
    that are one experiment under two labels (a ``--set`` that a later preset made its default);
    the header lists each run's fields, and two runs of one start and seed are an error."""
    last: dict[tuple, dict[tuple[str, int], dict[str, Any]]] = {}
    for r in records:
        key = (r["start"], int(r.get("seed", 0)))
        variant = _variant(r)[:3] if pool else _variant(r)
        runs = last.setdefault(variant, {})
        if pool and key in runs and _variant(runs[key]) != _variant(r):
            raise RecoverError(
                f"{variant[0]} on {variant[1]}: two runs of start {key[0]}, seed {key[1]} to pool "
                f"({runs[key].get('run_dir', '?')} and {r.get('run_dir', '?')})"
            )
        if key not in runs or r["iteration"] >= runs[key]["iteration"]:
            runs[key] = r
    lines: list[str] = []
    for (method, shape, preset, *_), by_run in last.items():
        any_record = next(iter(by_run.values()))
        if lines:
            lines.append("")
        label = _overrides_text(any_record)
        if pool:
            sets = sorted({_overrides_text(r) or ", no --set" for r in by_run.values()})
            label = ", pooled runs (" + "; ".join(s[2:] for s in sets) + ")"
        lines += [
            f"{method} on {shape}, preset {preset}{label}: "
            "last evaluation of each start and seed "
            f"(floors: bounding box IoU {any_record['floor_bbox_iou']:.3f}, "
            f"convex hull IoU {any_record['floor_hull_iou']:.3f})",
            f"{'start':>8}{'seed':>6}" + "".join(f"{c:>10}" for c in _columns(any_record)),
        ]
        for (start, seed), r in sorted(by_run.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            lines.append(f"{start:>8}{seed:>6}" + format_row(r))
        if any(len([k for k in by_run if k[0] == st]) > 1 for st, _ in by_run):
            lines += ["", format_seed_statistics(list(by_run.values()))]
    return "\n".join(lines)


#: Scores aggregated over seeds (:func:`format_seed_statistics`): key, column name, and whether
#: the worst seed is the lowest value (True) or the one farthest from 1 (fill). ``best_*`` read
#: the record's best-threshold reading.
_SEED_STATS = (
    ("iou", "IoU", True),
    ("cavity", "cavity", True),
    ("fill", "fill", False),
    ("best_iou", "IoU@t*", True),
    ("best_cavity", "cav@t*", True),
)


def _score(record: dict[str, Any], key: str) -> float | None:
    if key.startswith("best_"):
        best = record.get("best") or {}
        return best.get(key[5:])
    return record.get(key)


def seed_statistics(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per start: mean, sample standard deviation and worst seed of each score of
    :data:`_SEED_STATS` over ``records`` (one evaluation per seed, e.g. each seed's last).

    Returns ``{start: {"seeds": [...], "iteration": [...], key: {"mean", "sd", "worst",
    "worst_seed"}}}``; the sd is None for one seed; worst = lowest (fill: farthest from 1).
    """
    out: dict[str, dict[str, Any]] = {}
    for start in dict.fromkeys(r["start"] for r in records):
        rs = sorted((r for r in records if r["start"] == start), key=lambda r: r.get("seed", 0))
        entry: dict[str, Any] = {
            "seeds": [int(r.get("seed", 0)) for r in rs],
            "iteration": [int(r["iteration"]) for r in rs],
        }
        for key, _, lowest in _SEED_STATS:
            pairs = [(_score(r, key), int(r.get("seed", 0))) for r in rs]
            pairs = [p for p in pairs if p[0] is not None]
            if not pairs:
                continue
            values = np.array([v for v, _ in pairs], dtype=float)
            worst = (
                min(pairs, key=lambda p: p[0])
                if lowest
                else max(pairs, key=lambda p: abs(p[0] - 1.0))
            )
            entry[key] = {
                "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                "worst": float(worst[0]),
                "worst_seed": worst[1],
            }
        out[start] = entry
    return out


def format_seed_statistics(records: list[dict[str, Any]]) -> str:
    """``mean ± sd (worst seed)`` per start and score over one evaluation per seed."""
    stats = seed_statistics(records)
    head = f"{'start':>8}{'seeds':>10}{'iteration':>11}" + "".join(
        f"{name:>25}" for _, name, _ in _SEED_STATS
    )
    lines = ["over seeds: mean ± sd (worst seed: value)", head]
    for start, entry in stats.items():
        its = "/".join(map(str, sorted(set(entry["iteration"]))))
        cells = []
        for key, _, _ in _SEED_STATS:
            st = entry.get(key)
            if st is None:
                cells.append(f"{'-':>25}")
                continue
            sd = "" if st["sd"] is None else f"±{st['sd']:.3f}"
            text = f"{st['mean']:.3f}{sd} (s{st['worst_seed']}: {st['worst']:.2f})"
            cells.append(f"{text:>25}")
        seeds = ",".join(map(str, entry["seeds"]))
        lines.append(f"{start:>8}{seeds:>10}{its:>11}" + "".join(cells))
    return "\n".join(lines)
