"""A table's results, from its cells' run folders alone: each cell's state and metrics
(:func:`cell_result`, :func:`collect`), the small records a pass commits (:func:`export_results`),
and the tables written as Markdown, CSV and LaTeX beside the paper's numbers (:func:`write_tables`,
:func:`write_tables_3d`)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmark.paper_tables import PAPER, PAPER_NOTES, THRESHOLD_LABELS, TITLES

if TYPE_CHECKING:
    from benchmark.tables import Cell, TableContext


@dataclass
class CellResult:
    """A cell's state and, once evaluated, its FID and KID at both threshold rules: ``common``
    (0.5 for every method) and ``own`` (the method's own, chosen without real images)."""

    cell: Cell
    state: str
    """``done``, ``evaluating``, ``trained``, ``training i/N`` or ``missing``."""
    run_dir: Path
    fid: float | None = None
    """FID at the common threshold 0.5."""
    kid: float | None = None
    record: Any = None
    fid_own: float | None = None
    """FID at the method's own threshold (2D-DCGAN: its images, as in ``fid``)."""
    kid_own: float | None = None
    record_own: Any = None
    metrics3d: dict[str, float] = dataclasses.field(default_factory=dict)
    """3D metrics (``igbench eval --3d``) of 3D methods: ``"<score>_<distance>@<rule>"`` -> value,
    e.g. ``"1nna_chamfer@common"``."""

    @property
    def threshold_own(self) -> float | None:
        return None if self.record_own is None else self.record_own.protocol.get("threshold")

    def value(self, rule: str) -> float | None:
        """The FID of a threshold rule (``common`` or ``own``)."""
        return self.fid if rule == "common" else self.fid_own

    def to_row(self) -> dict[str, Any]:
        rec = self.record or self.record_own
        t_own = self.threshold_own

        def num(v, digits):
            return "" if v is None else f"{v:.{digits}f}"

        return {
            "table": self.cell.table,
            "row": self.cell.row,
            "column": self.cell.col,
            "slot": self.cell.slot,
            "seed": self.cell.seed,
            "category": self.cell.category,
            "dataset": self.cell.mode,
            "method": self.cell.method,
            "overrides": json.dumps(dict(self.cell.overrides), sort_keys=True),
            "state": self.state,
            "fid": num(self.fid, 3),
            "kid": num(self.kid, 5),
            "fid_own": num(self.fid_own, 3),
            "kid_own": num(self.kid_own, 5),
            "threshold_own": "" if t_own is None else f"{t_own:g}",
            "metric": rec.metric if rec else "",
            "n_real": rec.n_real if rec else "",
            "n_fake": rec.n_fake if rec else "",
            "classifier": rec.classifier_fingerprint if rec else "",
            "preset": rec.preset if rec else "",
            "iteration": rec.iteration if rec else "",
            "run": str(self.run_dir),
        }

    def line(self) -> str:
        """``chair/500/iggan: done, FID 12.34 at 0.5, 10.20 at own t=0.3`` (what is known)."""
        parts = []
        if self.fid is not None:
            parts.append(f"{self.fid:.2f} at 0.5")
        if self.fid_own is not None:
            t = self.threshold_own
            parts.append(f"{self.fid_own:.2f} at own" + (f" t={t:g}" if t is not None else ""))
        return f"{self.cell.id}: {self.state}" + ((", FID " + ", ".join(parts)) if parts else "")


#: In an exported run (:func:`export_results`): the iteration its final checkpoint had.
FINAL_MARKER = "final.json"


def final_iteration(run_dir: Path) -> int | None:
    """The newest checkpoint's iteration, or an exported run's (its checkpoints left behind)."""
    from iggan import checkpoint as ckpt_io

    found = ckpt_io.list_checkpoints(run_dir)
    if found:
        return found[-1][0]
    marker = run_dir / FINAL_MARKER
    if marker.is_file():
        return int(json.loads(marker.read_text())["iteration"])
    return None


# --------------------------------------------------------------------------------------------------
# Collecting
# --------------------------------------------------------------------------------------------------


def _classifier_fingerprint(path: Path) -> str | None:
    from benchmark.metrics.classifier import read_classifier_info

    if not path.is_file():
        return None
    return read_classifier_info(path).get("fingerprint")


def cell_result(ctx: TableContext, cell: Cell, fingerprint: str | None = None) -> CellResult:
    """A cell's state from its run directory alone: its newest FID and KID records of the current
    evaluation protocol for the final checkpoint, per threshold rule (and, when ``fingerprint`` is
    given, that classifier), or how far its training got."""
    from benchmark.metrics.evaluate import EVAL_VERSION
    from benchmark.metrics.records import read_records

    run_dir = ctx.run_dir(cell)
    config = ctx.train_config(cell)
    done = final_iteration(run_dir)
    if done is None:
        return CellResult(cell, "missing", run_dir)
    if done < config.iterations:
        return CellResult(cell, f"training {done}/{config.iterations}", run_dir)
    from benchmark.metrics.eval3d import EVAL3D_VERSION

    found: dict[tuple[str, str], Any] = {}
    metrics3d: dict[str, float] = {}
    for rec in read_records(run_dir):
        if rec.iteration != done or rec.preset != ctx.preset.eval:
            continue
        if rec.protocol.get("eval3d_version") == EVAL3D_VERSION:
            score, distance = rec.metric.split("_")[:2]
            rule = rec.protocol.get("threshold_rule", "common")
            metrics3d[f"{score}_{distance}@{rule}"] = rec.value
            continue
        if rec.protocol.get("eval_version") != EVAL_VERSION:
            continue
        if fingerprint is not None and rec.classifier_fingerprint != fingerprint:
            continue
        kind = rec.metric.split("_", 1)[0]
        if kind in ("fid", "kid"):
            found[(kind, rec.protocol.get("threshold_rule", "common"))] = rec

    def value(kind, rule):
        rec = found.get((kind, rule))
        return None if rec is None else rec.value

    if ("fid", "common") not in found and ("fid", "own") not in found:
        return CellResult(cell, "trained", run_dir)
    state = "done" if ("fid", "common") in found and ("fid", "own") in found else "evaluating"
    return CellResult(
        cell,
        state,
        run_dir,
        fid=value("fid", "common"),
        kid=value("kid", "common"),
        record=found.get(("fid", "common")),
        fid_own=value("fid", "own"),
        kid_own=value("kid", "own"),
        record_own=found.get(("fid", "own")),
        metrics3d=metrics3d,
    )


def collect(ctx: TableContext, cells: Sequence[Cell]) -> list[CellResult]:
    fingerprint = _classifier_fingerprint(ctx.classifier_path())
    return [cell_result(ctx, cell, fingerprint) for cell in cells]


#: What :func:`export_results` copies of a run: its records and pictures, no weights.
EXPORTED_FILES = ("config.json", "log.jsonl", "metrics.jsonl", "curves.png")


def sample_cells(
    results: Sequence[CellResult], n: int = 16
) -> list[tuple[CellResult, Any, Any | None]]:
    """Pictures of each cell's final checkpoint: ``n`` samples at threshold 0.5 into
    ``RUN/samples/final-<iteration>/`` (OpenGL renders, normal maps from one view and, for a 3D
    method, meshes) and, for a 3D method whose own threshold is recorded and differs, at that
    threshold into ``threshold-<t>/`` below it. Returns (result, samples at 0.5, samples at own
    threshold or None) per run with a checkpoint; runs shared by several cells are drawn once."""
    from iggan.checkpoint import latest_checkpoint
    from iggan.sample import sample

    out, seen = [], set()
    for res in results:
        run = res.run_dir
        if run in seen or latest_checkpoint(run) is None:
            continue
        seen.add(run)
        at_half = sample(run, n=n)
        own, at_own = res.threshold_own, None
        if (at_half.meshes or at_half.empty) and own is not None and own != 0.5:
            at_own = sample(run, n=n, out=at_half.out / f"threshold-{own:g}", threshold=own)
        out.append((res, at_half, at_own))
    return out


def export_results(ctx: TableContext, cells: Sequence[Cell], dest: Path) -> list[Path]:
    """Copy what a table is built from into ``dest/runs/<cell>/``: each trained cell's config,
    training log, metric records, curves, its newest training sample grid and the final sample
    renders when ``igbench sample`` made them, and a ``final.json`` with its final iteration, but
    no checkpoints (a few hundred KB per cell, small enough to commit).
    ``igbench table1 --outdir DEST --collect`` then rebuilds the table from them."""
    import shutil

    from benchmark.plots import curves

    written = []
    for cell in cells:
        run_dir = ctx.run_dir(cell)
        done = final_iteration(run_dir)
        if done is None:
            continue
        out = Path(dest) / "runs" / cell.key
        out.mkdir(parents=True, exist_ok=True)
        if (run_dir / "log.jsonl").is_file():
            curves(run_dir)
        for name in EXPORTED_FILES:
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, out / name)
        grids = sorted((run_dir / "samples").glob("samples-*.png"))[-1:]
        for final in sorted((run_dir / "samples").glob("final-*"))[-1:]:
            grids += [final / "renders.png", final / "normals.png", final / "neural.png"]
            grids += sorted(final.glob("threshold-*/renders.png"))
            grids += sorted(final.glob("threshold-*/normals.png"))
        for src in (g for g in grids if g.is_file()):
            rel = src.relative_to(run_dir)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / rel)
        (out / FINAL_MARKER).write_text(json.dumps({"iteration": done}) + "\n")
        written.append(out)
    return written


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _layout(cells: Sequence[Cell]) -> tuple[list[str], list[str]]:
    rows = list(dict.fromkeys(c.row for c in cells))
    cols = list(dict.fromkeys(c.col for c in cells))
    return rows, cols


class SeedMean(float):
    """The mean of a place's seeds; ``partial`` when some seeds have no value yet."""

    partial: bool = False

    def __new__(cls, values: Sequence[float], of: int):
        obj = super().__new__(cls, sum(values) / len(values))
        obj.partial = len(values) < of
        return obj


def _fmt(values: Sequence[float | None]) -> str:
    if not values or all(v is None for v in values):
        return "-"
    return "/".join(
        "-" if v is None else f"{v:.1f}" + ("*" if getattr(v, "partial", False) else "")
        for v in values
    )


def _grid(
    results: Sequence[CellResult], rule: str = "common"
) -> dict[tuple[str, str], list[float | None]]:
    """(row, column) -> one value per slot: the mean over the place's seeds that have one
    (:class:`SeedMean`, marked partial while others are missing), or None."""
    slots: dict[tuple[str, str], dict[int, list[float | None]]] = {}
    for r in results:
        place = slots.setdefault((r.cell.row, r.cell.col), {})
        place.setdefault(r.cell.slot, []).append(r.value(rule))
    out: dict[tuple[str, str], list[float | None]] = {}
    for k, v in slots.items():
        values = []
        for i in sorted(v):
            known = [x for x in v[i] if x is not None]
            values.append(SeedMean(known, len(v[i])) if known else None)
        out[k] = values
    return out


def _paper_grid(table: str, rows: list[str], cols: list[str], cells: Sequence[Cell]):
    slot_count: dict[tuple[str, str], int] = {}
    for c in cells:
        slot_count[(c.row, c.col)] = max(slot_count.get((c.row, c.col), 0), c.slot + 1)
    out = {}
    for (row, col), values in PAPER[table].items():
        if row in rows and col in cols:
            out[(row, col)] = list(values[: slot_count.get((row, col), len(values))])
    return out


def _markdown_block(rows, cols, grid, corner: str) -> list[str]:
    lines = [
        "| " + " | ".join([corner, *cols]) + " |",
        "|" + "|".join(["---"] * (len(cols) + 1)) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join([row, *(_fmt(grid.get((row, c), [])) for c in cols)]) + " |")
    return lines


def _describe(ctx: TableContext, results: Sequence[CellResult]) -> str:
    recs = [x for r in results for x in (r.record, r.record_own) if x is not None]
    fps = sorted({r.classifier_fingerprint for r in recs})
    counts = sorted({(r.n_real, r.n_fake) for r in recs})
    text = (
        f"preset `{ctx.preset.name}`, source `{ctx.source}`, classifier "
        f"`{ctx.classifier_path()}` (fingerprint {', '.join(fps) or 'n/a'})"
    )
    if counts:
        text += "; real/generated images per cell: " + ", ".join(f"{a}/{b}" for a, b in counts)
    return text


def write_tables(
    ctx: TableContext, results: Sequence[CellResult], outdir: Path | None = None
) -> list[Path]:
    """``<table>.md``, ``.csv`` and ``.tex`` in the paper's layout: our block, then the paper's."""
    outdir = Path(outdir or ctx.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cells = [r.cell for r in results]
    rows, cols = _layout(cells)
    ours = {rule: _grid(results, rule) for rule in ("common", "own")}
    paper = _paper_grid(ctx.table, rows, cols, cells)
    pair = " (chairs/couches)" if ctx.table == "table2" else ""
    done = sum(r.state == "done" for r in results)

    seeds = sorted({r.cell.seed for r in results})
    md = [f"# {TITLES[ctx.table]}", ""]
    md += [f"## Ours{pair}: {_describe(ctx, results)}", ""]
    if len(seeds) > 1:
        md += [
            f"Each place: the mean over seeds {', '.join(map(str, seeds))} (each seed's value "
            "in the cell list below); `*` = the mean of the seeds evaluated so far.",
            "",
        ]
    for rule in ("common", "own"):
        md += [f"### {THRESHOLD_LABELS[rule]}", ""]
        md += _markdown_block(rows, cols, ours[rule], "ours")
        md += [""]
    md += [f"{done} of {len(results)} cells done; `-` = not yet evaluated.", ""]
    md += [f"## Paper{pair}: {PAPER_NOTES[ctx.table]}", ""]
    md += _markdown_block(rows, cols, paper, "paper")
    md += [
        "",
        "The two blocks use different shapes (ours: the `" + ctx.source + "` source; the "
        "paper: ShapeNet) and different classifiers, so compare orderings, not values.",
        "",
        "## Cells",
        "",
        "| cell | state | FID @0.5 | KID @0.5 | own t | FID @own | KID @own | metric | run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        row = r.to_row()
        md.append(
            f"| `{r.cell.id}` | {r.state} | {row['fid'] or '-'} | {row['kid'] or '-'} | "
            f"{row['threshold_own'] or '-'} | {row['fid_own'] or '-'} | {row['kid_own'] or '-'} | "
            f"{row['metric'] or '-'} | `{r.run_dir}` |"
        )
    md += _checkpoint_block(results)
    md_path = outdir / f"{ctx.table}.md"
    md_path.write_text("\n".join(md) + "\n")

    buf = io.StringIO()
    fields = list(results[0].to_row()) if results else ["table"]
    writer = csv.DictWriter(buf, fieldnames=["source", *fields])
    writer.writeheader()
    for r in results:
        writer.writerow({"source": "ours", **r.to_row()})
    for (row, col), values in paper.items():
        for slot, v in enumerate(values):
            writer.writerow(
                {"source": "paper", "table": ctx.table, "row": row, "column": col, "slot": slot,
                 "fid": f"{v:.1f}", "state": "published"}
            )  # fmt: skip
    csv_path = outdir / f"{ctx.table}.csv"
    csv_path.write_text(buf.getvalue())

    tex_path = outdir / f"{ctx.table}.tex"
    tex_path.write_text(_latex(ctx, rows, cols, ours, paper))
    return [md_path, csv_path, tex_path, *write_tables_3d(ctx, results, outdir)]


def _checkpoint_block(results: Sequence[CellResult]) -> list[str]:
    """FID at the common threshold at every evaluated checkpoint of each cell (the points of its
    curves.png), for cells with more than the final one; empty when no cell has them."""
    from benchmark.plots import fid_points

    lines = []
    for r in results:
        if not (r.run_dir / "metrics.jsonl").is_file():
            continue
        points = next((v for k, v in fid_points(r.run_dir).items() if k.startswith("common")), [])
        if len(points) > 1:
            lines.append(
                f"| `{r.cell.id}` | " + " / ".join(f"{it}: {v:.1f}" for it, v in points) + " |"
            )
    if not lines:
        return []
    head = ["", "## FID over checkpoints (threshold 0.5; the last point is the cell's)", "",
            "| cell | iteration: FID |", "|---|---|"]  # fmt: skip
    return head + lines


#: Columns of the 3D tables: (score, distance, heading).
_COLUMNS_3D = [
    (score, distance, f"{label} {dist_label}")
    for distance, dist_label in (("chamfer", "CD"), ("iou", "1-IoU"))
    for score, label in (("cov", "COV"), ("mmd", "MMD"), ("1nna", "1-NNA"))
]


def write_tables_3d(ctx: TableContext, results: Sequence[CellResult], outdir: Path) -> list[Path]:
    """``<table>-3d.{md,csv,tex}``: per 3D cell and threshold rule, COV / MMD / 1-NNA with the
    Chamfer and 1 - IoU distances against the dataset's real shapes (no paper block: the paper
    has no 3D metrics). Nothing is written when no cell has 3D records."""
    rows = [
        (r, rule)
        for r in results
        for rule in ("common", "own")
        if any(k.endswith(f"@{rule}") for k in r.metrics3d)
    ]
    if not rows:
        return []

    def cells(r, rule) -> list[str]:
        out = []
        for score, distance, _ in _COLUMNS_3D:
            v = r.metrics3d.get(f"{score}_{distance}@{rule}")
            out.append("-" if v is None else (f"{v:.4f}" if score == "mmd" else f"{100 * v:.1f}"))
        return out

    rule_text = {"common": "0.5", "own": "own"}
    md = [
        f"# {TITLES[ctx.table]}: 3D metrics",
        "",
        f"Ours only (the paper reports none): {_describe(ctx, results)}. Generated volumes "
        "against the dataset's real voxel grids; COV and 1-NNA in % (1-NNA: 50 ideal), MMD in "
        "the distance's units (CD: squared world units; 1-IoU). Threshold: 0.5, or the method's "
        "own (chosen without real images).",
        "",
        "| cell | threshold | " + " | ".join(h for _, _, h in _COLUMNS_3D) + " |",
        "|" + "---|" * (len(_COLUMNS_3D) + 2),
    ]
    for r, rule in rows:
        md.append(f"| `{r.cell.id}` | {rule_text[rule]} | " + " | ".join(cells(r, rule)) + " |")
    md_path = outdir / f"{ctx.table}-3d.md"
    md_path.write_text("\n".join(md) + "\n")

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["cell", "method", "threshold_rule", *(f"{s}_{d}" for s, d, _ in _COLUMNS_3D)])
    for r, rule in rows:
        writer.writerow(
            [r.cell.id, r.cell.method, rule]
            + [r.metrics3d.get(f"{s}_{d}@{rule}", "") for s, d, _ in _COLUMNS_3D]
        )
    csv_path = outdir / f"{ctx.table}-3d.csv"
    csv_path.write_text(buf.getvalue())

    tex = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{ll" + "r" * len(_COLUMNS_3D) + "}",
        r"\toprule",
        " & ".join(["cell", "t", *(_tex_escape(h) for _, _, h in _COLUMNS_3D)]) + r" \\",
        r"\midrule",
    ]
    for r, rule in rows:
        tex.append(" & ".join([_tex_escape(r.cell.id), rule_text[rule], *cells(r, rule)]) + r" \\")
    tex += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{"
        + _tex_escape(TITLES[ctx.table])
        + r": 3D metrics of ours (COV, 1-NNA in \%).}",
        r"\end{table}",
    ]
    tex_path = outdir / f"{ctx.table}-3d.tex"
    tex_path.write_text("\n".join(tex) + "\n")
    return [md_path, csv_path, tex_path]


def _tex_escape(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_").replace("#", r"\#")


def _latex(ctx: TableContext, rows, cols, ours, paper) -> str:
    spec = "l" + "r" * len(cols)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        " & ".join(["", *(_tex_escape(c) for c in cols)]) + r" \\",
        r"\midrule",
        r"\multicolumn{" + str(len(cols) + 1) + r"}{l}{\emph{ours (preset "
        + _tex_escape(ctx.preset.name) + ", " + _tex_escape(ctx.source) + r")}} \\",
    ]  # fmt: skip
    for rule in ("common", "own"):
        lines.append(
            r"\multicolumn{" + str(len(cols) + 1) + r"}{l}{\emph{"
            + _tex_escape(THRESHOLD_LABELS[rule].split(" (")[0]) + r"}} \\"
        )  # fmt: skip
        for row in rows:
            vals = [_fmt(ours[rule].get((row, c), [])) for c in cols]
            lines.append(" & ".join([_tex_escape(row), *vals]) + r" \\")
    lines += [
        r"\midrule",
        r"\multicolumn{" + str(len(cols) + 1) + r"}{l}{\emph{paper (Lunz et al. 2020, ShapeNet)}} \\",
    ]  # fmt: skip
    for row in rows:
        vals = [_fmt(paper.get((row, c), [])) for c in cols]
        lines.append(" & ".join([_tex_escape(row), *vals]) + r" \\")
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{" + _tex_escape(TITLES[ctx.table]) + r". Upper block: this run; lower block: the "
        r"paper's numbers (other shapes and classifier: compare orderings only).}",
        r"\end{table}",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
