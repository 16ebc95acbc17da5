"""``igbench report``: a static, self-contained HTML page of a table, a training run or a
``bench recover`` run, for people to look at.

The page (``<out>/index.html``, its pictures in ``<out>/assets/``, nothing loaded from the network)
shows

* a table folder (``igbench table1 ... --outdir DIR``): every table it holds (``table*.md``: ours
  and the paper's, labelled as in the files), then per cell its sample renders at 0.5 and at the
  method's own threshold, normal maps from one canonical view (the paper's Fig. 3), a turntable
  animation of each sample and its training curves;
* a training run: the same for the one run;
* a ``bench recover`` folder: its IoU / cavity / fill curves and, per start and seed, the true
  shape beside the newest samples (renders, normal maps, turntables).

Samples come from ``igbench sample``'s output when it is there (``samples/final-*``), else the
report samples the newest checkpoint itself (same seed, so the same shapes). Turntables render the
thresholded volumes with OpenGL at 12 azimuths, 20 degrees above the horizon (GIF).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Frames per turn of a sample's turntable (an animated GIF; one per sample in the grid).
TURNTABLE_FRAMES = 12
TURNTABLE_ELEVATION = 20.0
#: Pixels of a turntable frame.
TURNTABLE_RES = 96


class ReportError(ValueError):
    """A path that holds nothing to report."""


@dataclass
class _Section:
    title: str
    html: list[str] = field(default_factory=list)


# -- markdown (the subset our tables use) ---------------------------------------------------------
def _inline(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    return out


def markdown_to_html(text: str) -> str:
    """Headings, paragraphs and pipe tables (the shape of our ``table*.md`` files) as HTML."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        head, *body = rows
        out.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head))
        out.append("</tr></thead><tbody>")
        for r in body:
            out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
        out.append("</tbody></table>")
        rows.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                rows.append(cells)
            continue
        flush_table()
        if not s:
            continue
        m = re.match(r"(#{1,4})\s+(.*)", s)
        if m:
            level = min(len(m.group(1)) + 1, 5)  # the page's own title is h1
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        else:
            out.append(f"<p>{_inline(s)}</p>")
    flush_table()
    return "\n".join(out)


# -- pictures ---------------------------------------------------------------------------------------
class _Assets:
    """Copies and writes the page's pictures under ``<out>/assets`` with unique names."""

    def __init__(self, out: Path):
        self.root = out / "assets"
        self.root.mkdir(parents=True, exist_ok=True)
        self.out = out

    def name(self, stem: str, suffix: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "asset"
        path = self.root / f"{safe}{suffix}"
        k = 1
        while path.exists():
            path = self.root / f"{safe}-{k}{suffix}"
            k += 1
        return path

    def copy(self, src: Path, stem: str) -> str:
        dst = self.name(stem, src.suffix)
        shutil.copy2(src, dst)
        return dst.relative_to(self.out).as_posix()

    def rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()


def _figure(src: str, caption: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return (
        f'<figure{c}><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
        f"<figcaption>{_inline(caption)}</figcaption></figure>"
    )


def turntable_gif(grid: np.ndarray, out: Path, settings=None) -> Path:
    """An animated GIF of one binary grid ``(N, N, N)`` turning about +Y (OpenGL renders)."""
    from PIL import Image

    from shapenet_render.pool import RenderItem, render_many
    from shapenet_render.renderer import RenderSettings

    settings = settings or RenderSettings(resolution=TURNTABLE_RES)
    azimuths = np.linspace(0.0, 360.0, TURNTABLE_FRAMES, endpoint=False)
    items = [RenderItem.voxels(grid, float(a), TURNTABLE_ELEVATION) for a in azimuths]
    frames = [r.image for r in render_many(items, settings=settings, workers=1)]
    images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    images[0].save(out, save_all=True, append_images=images[1:], duration=150, loop=0)
    return out


def _final_samples(run_dir: Path, n: int) -> Path | None:
    """The newest ``igbench sample`` folder of a run, made (n samples, the default seed) when
    missing and a checkpoint exists; None for a run without checkpoints or samples."""
    finals = sorted((run_dir / "samples").glob("final-*"))
    if finals and (finals[-1] / "neural.png").is_file():
        return finals[-1]
    from iggan import checkpoint as ckpt_io

    if ckpt_io.latest_checkpoint(run_dir) is None:
        return None
    from iggan.sample import sample

    return sample(run_dir, n=n).out


def _run_section(run_dir: Path, assets: _Assets, title: str, n: int) -> _Section:
    """Curves, sample renders at both thresholds, normal maps and turntables of one run."""
    from benchmark.plots import PlotError, training_curves

    sec = _Section(title)
    config = {}
    if (run_dir / "config.json").is_file():
        config = json.loads((run_dir / "config.json").read_text())
    sec.html.append(
        f"<p class=meta>method <code>{html.escape(str(config.get('method', '?')))}</code>, "
        f"preset <code>{html.escape(str(config.get('preset', '?')))}</code>, run "
        f"<code>{html.escape(str(run_dir))}</code></p>"
    )
    figs = []
    final = _final_samples(run_dir, n)
    if final is not None:
        pictures = [
            (final / "renders.png", "OpenGL renders at threshold 0.5"),
            *(
                (p, f"at its own threshold {p.parent.name.split('-', 1)[1]}")
                for p in sorted(final.glob("threshold-*/renders.png"))
            ),
            (final / "normals.png", "normal maps, one canonical view"),
            (final / "neural.png", "the method's own images"),
        ]
        for path, caption in pictures:
            if path.is_file():
                figs.append(_figure(assets.copy(path, f"{title}-{path.stem}"), caption, "grid"))
    else:
        grids = sorted((run_dir / "samples").glob("samples-*.png"))
        if grids:
            figs.append(
                _figure(assets.copy(grids[-1], f"{title}-training"), "last training grid", "grid")
            )
    if figs:
        sec.html.append('<div class="figs">' + "".join(figs) + "</div>")
    if final is not None and (final / "volumes.npy").is_file():
        vols = np.load(final / "volumes.npy").astype(np.float32)
        spins = []
        for i, vol in enumerate(vols[:n]):
            gif = turntable_gif(vol > 0.5, assets.name(f"{title}-turn{i}", ".gif"))
            spins.append(_figure(assets.rel(gif), f"sample {i}", "turn"))
        sec.html.append('<div class="figs">' + "".join(spins) + "</div>")
    try:
        curve = training_curves(run_dir, assets.name(f"{title}-curves", ".png"))
        sec.html.append(_figure(assets.rel(curve), "training curves", "wide"))
    except PlotError as exc:
        sec.html.append(f"<p class=meta>no curves: {html.escape(str(exc))}</p>")
    return sec


def _table_sections(folder: Path, assets: _Assets, n: int) -> list[_Section]:
    tables = sorted(folder.glob("table*.md"))
    sections = []
    for md in tables:
        sections.append(_Section(md.stem, [markdown_to_html(md.read_text())]))
    runs = sorted(p for p in (folder / "runs").glob("*") if (p / "log.jsonl").is_file())
    for run in runs:
        sections.append(_run_section(run, assets, run.name, n))
    return sections


def _recover_sections(folder: Path, assets: _Assets, n: int) -> list[_Section]:
    from benchmark.experiments.recover import read_records
    from benchmark.plots import recover_curves, seed_runs
    from shapenet_render.dataset import ImageDataset

    runs = [folder] if (folder / "recover.jsonl").is_file() else seed_runs(folder)
    curve = recover_curves(folder, assets.name("recover-curves", ".png"))
    sections = [_Section("recovery", [_figure(assets.rel(curve), "recovery curves", "wide")])]
    for run in runs:
        records = read_records(run)
        first = records[0]
        data = Path(first["dataset"])
        data = data if data.is_absolute() or data.exists() else run / "data" / data.name
        truth_html = ""
        if data.is_file():
            grid = ImageDataset(data).voxels(0)
            gif = turntable_gif(grid, assets.name(f"{run.name}-truth", ".gif"))
            truth_html = _figure(assets.rel(gif), f"the truth, {first['shape']}", "turn")
        for start in dict.fromkeys(r["start"] for r in records):
            start_dir = run / start
            if not (start_dir / "log.jsonl").is_file():
                continue
            sec = _run_section(start_dir, assets, f"{run.name}-{start}", n)
            sec.title = f"{first['method']} on {first['shape']}: {run.name}, {start} start"
            if truth_html:
                sec.html.insert(1, '<div class="figs">' + truth_html + "</div>")
            sections.append(sec)
    return sections


_CSS = """
body { font-family: sans-serif; margin: 1.5em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
code { background: #f2f2f2; padding: 0 3px; }
.figs { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure { margin: 0.3em 0; }
figure.grid img { image-rendering: pixelated; min-width: 256px; }
figure.wide img { max-width: 100%; }
figcaption { font-size: 0.8em; color: #555; }
.meta { font-size: 0.85em; color: #555; }
section { border-top: 1px solid #ddd; margin-top: 1.2em; }
"""


def write_report(path: str | Path, out: str | Path | None = None, n: int = 16) -> Path:
    """Write the report of ``path`` (a table folder, a training run or a ``bench recover``
    folder) into ``out`` (default ``<path>/report``); returns ``<out>/index.html``."""
    from benchmark.plots import seed_runs

    path = Path(path)
    out = Path(out) if out is not None else path / "report"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    assets = _Assets(out)
    if list(path.glob("table*.md")):
        kind, sections = "table", _table_sections(path, assets, n)
    elif (path / "log.jsonl").is_file():
        kind, sections = "run", [_run_section(path, assets, path.name, n)]
    elif (path / "recover.jsonl").is_file() or seed_runs(path):
        kind, sections = "recover", _recover_sections(path, assets, n)
    else:
        shutil.rmtree(out)
        raise ReportError(
            f"{path}: nothing to report (no table*.md, no training run, no bench recover run)"
        )
    body = [f"<h1>igbench report: {html.escape(path.name or str(path))} ({kind})</h1>"]
    body.append(
        "<p class=meta>Our numbers come from our shapes and our classifier; the paper's are "
        "labelled as the paper's wherever they appear.</p>"
    )
    for sec in sections:
        body.append(f"<section><h2>{_inline(sec.title)}</h2>" + "\n".join(sec.html) + "</section>")
    page = (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>igbench report: {html.escape(path.name)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    index = out / "index.html"
    index.write_text(page)
    return index


__all__ = ["ReportError", "markdown_to_html", "turntable_gif", "write_report"]
