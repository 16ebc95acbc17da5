"""`igbench report`: a self-contained HTML page of a run, checked in a real (headless) browser."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from benchmark.report import TURNTABLE_FRAMES, ReportError, markdown_to_html, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_markdown_tables_and_headings_become_html():
    text = "# Table 1\n\nours `demo` <b>\n\n| ours | 500 Chairs |\n|---|---|\n| IG-GAN | 87.1* |\n"
    out = markdown_to_html(text)
    assert "<h2>Table 1</h2>" in out
    assert "<p>ours <code>demo</code> &lt;b&gt;</p>" in out  # text is escaped, not markup
    assert "<th>ours</th><th>500 Chairs</th>" in out and "<td>87.1*</td>" in out
    assert "---" not in out  # the separator row is not a row


def test_nothing_to_report_is_one_clear_line(tmp_path):
    with pytest.raises(ReportError, match="nothing to report"):
        write_report(tmp_path)
    assert not (tmp_path / "report").exists()  # no half-made page left behind
    exe = Path(sys.executable).with_name("igbench")
    r = subprocess.run([str(exe), "report", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "nothing to report" in r.stderr


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """A 2-iteration smoke IG-GAN run on a few cubes."""
    from iggan.config import SMOKE
    from iggan.training import train
    from shapenet_render.dataset import make_spec, render_dataset
    from shapenet_render.pool import load_triton_before_gl

    load_triton_before_gl()
    root = tmp_path_factory.mktemp("report")
    spec = make_spec("cubes", "one-per-model", "smoke", max_models=8)
    data = render_dataset(spec, out=root / "cubes.h5", workers=1).path
    cfg = dataclasses.replace(
        SMOKE, data=str(data), device="cpu", render_workers=0, iterations=2, g_out_bias=2.0
    )
    train(cfg, root / "run", progress=False)
    return root / "run"


@pytest.mark.gl
def test_report_of_a_run_holds_its_pictures(smoke_run, tmp_path):
    index = write_report(smoke_run, tmp_path / "page", n=4)
    page = index.read_text()
    assert index == tmp_path / "page" / "index.html"
    assert "http://" not in page and "https://" not in page  # self-contained
    assets = tmp_path / "page" / "assets"
    names = sorted(p.name for p in assets.iterdir())
    assert any(n.endswith("curves.png") for n in names)
    assert any(n.endswith("normals.png") for n in names)
    gifs = [assets / n for n in names if n.endswith(".gif")]
    assert len(gifs) == 4  # one turntable per shown sample
    with Image.open(gifs[0]) as gif:
        assert gif.n_frames == TURNTABLE_FRAMES
    for name in names:  # every picture is referenced by the page
        assert f"assets/{name}" in page


@pytest.mark.gl
def test_report_page_loads_in_a_real_browser(smoke_run, tmp_path):
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (make test installs Debian's chromium as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    index = write_report(smoke_run, tmp_path / "page", n=4)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            page.goto(index.as_uri())
            page.wait_for_load_state("load")
            broken = page.evaluate(
                "Array.from(document.images)"
                ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            n_images = page.evaluate("document.images.length")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == [] and broken == []
    assert n_images >= 8  # grids, normal maps, turntables, curves
    with Image.open(tmp_path / "report.png") as shot:
        assert shot.size[0] == 1280 and shot.size[1] >= 900  # the whole page was drawn
