"""The paper's Tables 1-3 as commands: every cell rendered, trained and evaluated on demand.

A table is a list of :class:`Cell` s. Each cell names one training run (category, dataset mode,
method and the run's departures from the preset) and the place it takes in the table. Running a
cell makes what it needs, each step resumable on its own:

1. the dataset: the method's training images (OpenGL, visual-hull or absorption-only rendering;
   :func:`shapenet_render.dataset.render_dataset`, resumable per 16-model part). FID always
   compares OpenGL renders of the samples with OpenGL images of the dataset's shapes and views;
2. the run: ``igbench train METHOD`` into ``<outdir>/runs/<cell key>`` (resumed from its newest
   checkpoint; a finished run is left alone);
3. the evaluation: :func:`benchmark.evaluate.evaluate_run` appends FID/KID records to the run's
   ``metrics.jsonl`` (skipped when the checkpoint was already evaluated with this classifier).

Tables are built from those records only (:func:`collect`), so a rerun after a kill reuses every
finished step, and ``--plan`` / ``--collect`` let a cluster run the cells as independent jobs.
Cells of different tables that train the same configuration share one run directory (e.g. Table 2's
reference "Retrained + DOM" is Table 1's IG-GAN on one-per-model chairs).

The paper's numbers (:data:`PAPER`) are printed beside ours in a block of their own: they come from
ShapeNet shapes and the authors' classifier, ours from our shapes and our classifier, so only the
ordering of methods is comparable, not the values.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapenet_render.categories import resolve_category
from shapenet_render.dataset import MODES, make_spec

log = logging.getLogger(__name__)

TABLES = ("table1", "table2", "table3")

#: Table 1's rows, in the paper's order: method -> row label.
METHOD_ROWS: dict[str, str] = {
    "dcgan": "2D-DCGAN",
    "visual-hull": "Visual Hull",
    "absorption-only": "Absorption Only",
    "iggan": "IG-GAN (ours)",
}

#: Dataset mode -> Table 1's column-group label.
MODE_LABELS: dict[str, str] = {
    "500": "500",
    "one-per-model": "One per model",
    "unlimited": "Unlimited",
    "lvp": "LVP",
}

#: Category -> the paper's column label.
CATEGORY_LABELS: dict[str, str] = {"bathtub": "Tubs", "sofa": "Couches", "chair": "Chairs"}

#: The image formation each method trains on (the dataset's renderer); FID always compares OpenGL
#: renders of the samples with the OpenGL dataset.
#: Methods that make volumes: their cells also get 3D metrics (``<table>-3d`` files).
THREE_D_METHODS = ("visual-hull", "absorption-only", "iggan")

METHOD_RENDERER: dict[str, str] = {
    "dcgan": "opengl",
    "visual-hull": "visual-hull",
    "absorption-only": "absorption-only",
    "iggan": "opengl",
}

# --------------------------------------------------------------------------------------------------
# The paper's numbers (Lunz et al. 2020), keyed like our cells: (row, column) -> value(s)
# --------------------------------------------------------------------------------------------------

_T1_COLUMNS = [
    (mode, cat)
    for mode in ("500", "one-per-model", "unlimited")
    for cat in ("bathtub", "sofa", "chair")
] + [("lvp", "chair")]
_T1_VALUES = {
    "dcgan": [737.7, 540.5, 672.8, 461.8, 354.3, 362.3, 226.7, 210.9, 133.2, 237.9],
    "visual-hull": [305.8, 279.3, 183.4, 184.6, 106.2, 37.1, 90.1, 35.1, 15.7, 34.5],
    "absorption-only": [336.9, 282.9, 218.2, 275.8, 78.0, 32.8, 104.5, 25.5, 23.8, 38.6],
    "iggan": [187.8, 114.1, 119.9, 67.5, 35.8, 20.7, 44.0, 17.8, 13.6, 20.6],
}

#: table -> {(row label, column label): tuple of values (Table 2 holds chairs/couches pairs)}.
PAPER: dict[str, dict[tuple[str, str], tuple[float, ...]]] = {
    "table1": {
        (METHOD_ROWS[m], f"{MODE_LABELS[mode]} {CATEGORY_LABELS[cat]}"): (v,)
        for m, values in _T1_VALUES.items()
        for (mode, cat), v in zip(_T1_COLUMNS, values, strict=True)
    },
    "table2": {
        ("Retrained", "OpenGL"): (86.4, 180.1),
        ("Retrained", "RenderNet"): (74.7, 144.8),
        ("Fixed", "OpenGL"): (113.7, 323.5),
        ("Fixed", "RenderNet"): (103.9, 124.6),
        ("Retrained + DOM (IG-GAN)", "OpenGL"): (20.7, 35.8),
    },
    "table3": {
        ("Ours", "Chairs"): (22.6,),
        ("Ours", "Tables"): (20.7,),
        ("Ours", "Random"): (20.4,),
        ("Fixed", "Chairs"): (37.8,),
        ("Fixed", "Tables"): (105.8,),
        ("Fixed", "Random"): (141.9,),
    },
}

PAPER_NOTES: dict[str, str] = {
    "table1": "Lunz et al. 2020, Table 1: FID on ShapeNet renders with their Inception retrained on "
    "21 ShapeNet classes. LVP 2D-DCGAN: trained on LVP images, evaluated over 360 degrees.",
    "table2": "Lunz et al. 2020, Table 2: no DOM, one-per-model chairs/couches; the last row is "
    "from the caption (their full model).",
    "table3": "Lunz et al. 2020, Table 3: one-per-model chairs; renderer pre-trained on chairs, "
    "tables or random cubes; retrained with DOM (ours) or fixed.",
}

#: Headings of our two FID blocks. The paper names no evaluation threshold, so both are reported.
THRESHOLD_LABELS: dict[str, str] = {
    "common": "FID at threshold 0.5 (common to every method; the paper names no evaluation "
    "threshold)",
    "own": "FID at each method's own threshold (chosen without real images: the t whose "
    "data-side image of [x > t] is closest to what the method was trained to produce from x; "
    "2D-DCGAN: its images, as above)",
}

TITLES: dict[str, str] = {
    "table1": "Table 1 - FID by dataset and method (lower is better)",
    "table2": "Table 2 - DOM ablation: FID without DOM, chairs/couches, one per model",
    "table3": "Table 3 - renderer pre-training: FID on one-per-model chairs",
}


class TableError(ValueError):
    """A bad table request (unknown cell, category, dataset or method)."""


# --------------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TablePreset:
    """How big every part of a table run is."""

    name: str
    dataset: str
    """Dataset preset (:func:`shapenet_render.dataset.make_spec`): image and voxel sizes."""
    train: str
    """Training preset (:func:`iggan.config.preset`)."""
    classifier: str
    """Classifier preset (:func:`benchmark.classifier.preset`), whose features define FID."""
    eval: str
    """Evaluation preset: fixes the generated-sample count (:data:`benchmark.fid.EVAL_SAMPLES`)."""
    iterations: dict[str, int] = field(default_factory=dict)
    """Per-method training iterations replacing the training preset's (empty: the preset's)."""
    categories: tuple[str, ...] | None = None
    """Table 1's default categories under this preset (None: the paper's)."""
    datasets: tuple[str, ...] | None = None
    """Table 1's default datasets under this preset (None: the paper's)."""
    n_eval: int | None = None
    """Generated samples per evaluation (None: the evaluation preset's)."""


#: ``demo``: what ``make demo`` runs. One category, the 500 dataset, the four methods at their cpu
#: settings with short runs, and the cpu classifier, meant to finish under 30 minutes on 2 cores
#: from a fresh clone (docs/reproduction.md). IG-GAN runs in one slot while the three baselines
#: run one after another in the other, so IG-GAN gets the budget: 800 iterations (a trial on the
#: demo's chairs with these settings showed seat, back and legs in most samples at 900).
DEMO_ITERATIONS = {"iggan": 800, "visual-hull": 600, "absorption-only": 600, "dcgan": 1500}

PRESETS: dict[str, TablePreset] = {
    "paper": TablePreset("paper", "paper", "paper", "paper", "paper"),
    "cpu": TablePreset("cpu", "cpu", "cpu", "cpu", "cpu"),
    "demo": TablePreset(
        "demo",
        "cpu",
        "cpu",
        "cpu",
        "cpu",
        iterations=DEMO_ITERATIONS,
        categories=("chair",),
        datasets=("500",),
        n_eval=500,
    ),
    "smoke": TablePreset("smoke", "smoke", "smoke", "smoke", "smoke", n_eval=32),
}


def table_preset(name: str) -> TablePreset:
    if name not in PRESETS:
        raise TableError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


# --------------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One training run and its place in a table."""

    table: str
    row: str
    col: str
    category: str
    mode: str
    method: str
    overrides: tuple[tuple[str, Any], ...] = ()
    """TrainConfig fields that differ from the preset (Table 2's switches, Table 3's renderer)."""
    slot: int = 0
    """Position within a combined cell (Table 2's chairs/couches pairs)."""
    seed: int = 0
    """Training seed; a table with several seeds shows their mean in each place."""

    @property
    def key(self) -> str:
        """The run's name: ``chair-500-iggan``, ``sofa-one-per-model-iggan-nodom-fixed``,
        ``chair-500-iggan-s1`` (seed 0 carries no tag)..."""
        parts = [self.category, self.mode, self.method]
        for name, value in self.overrides:
            parts.append(_OVERRIDE_TAGS[name](value))
        if self.seed:
            parts.append(f"s{self.seed}")
        return "-".join(parts)

    @property
    def id(self) -> str:
        """What ``--cell`` takes: ``chair/500/iggan`` plus any override tags."""
        return self.key.replace(f"{self.category}-{self.mode}-", f"{self.category}/{self.mode}/", 1)


_OVERRIDE_TAGS: dict[str, Callable[[Any], str]] = {
    "use_dom": lambda v: "dom" if v else "nodom",
    "renderer_mode": lambda v: str(v),
    "d_input": lambda v: f"d{v}",
    "renderer_init": lambda v: f"init{v}",
}


def _parse_list(value: str | Sequence[str] | None, default: Sequence[str]) -> list[str]:
    if value is None:
        return list(default)
    items = value.split(",") if isinstance(value, str) else list(value)
    return [s.strip() for s in items if s.strip()]


def _drop_defaults(preset: TablePreset, overrides: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Overrides that differ from the training preset, sorted (so equal runs share a key)."""
    from iggan.config import preset as train_preset

    base = train_preset(preset.train)
    return tuple(sorted((k, v) for k, v in overrides.items() if getattr(base, k) != v))


def table1_cells(
    preset: TablePreset,
    categories: str | Sequence[str] | None = None,
    datasets: str | Sequence[str] | None = None,
    methods: str | Sequence[str] | None = None,
) -> list[Cell]:
    """Table 1: methods x (dataset, category); LVP exists for chairs only."""
    cats = [
        resolve_category(c)
        for c in _parse_list(categories, preset.categories or ("bathtub", "sofa", "chair"))
    ]
    modes = _parse_list(datasets, preset.datasets or MODES)
    meths = _parse_list(methods, METHOD_ROWS)
    for m in modes:
        if m not in MODES:
            raise TableError(f"unknown dataset {m!r}; choose from {', '.join(MODES)}")
    for m in meths:
        if m not in METHOD_ROWS:
            raise TableError(f"unknown method {m!r}; choose from {', '.join(METHOD_ROWS)}")
    for c in cats:
        if c not in CATEGORY_LABELS:
            raise TableError(
                f"category {c!r} is not in Table 1; choose from {', '.join(CATEGORY_LABELS)}"
            )
    if modes == ["lvp"] and "chair" not in cats:
        raise TableError("dataset lvp is defined for chairs only; add --categories chairs")
    columns = [
        (mode, cat)
        for mode in modes
        for cat in ("bathtub", "sofa", "chair")
        if cat in cats and (mode != "lvp" or cat == "chair")
    ]
    return [
        Cell(
            "table1",
            METHOD_ROWS[method],
            f"{MODE_LABELS[mode]} {CATEGORY_LABELS[cat]}",
            cat,
            mode,
            method,
        )
        for method in meths
        for mode, cat in columns
    ]


def table2_cells(preset: TablePreset, categories: str | Sequence[str] | None = None) -> list[Cell]:
    """Table 2: IG-GAN without DOM, renderer retrained/fixed x D's input OpenGL/RenderNet, on
    one-per-model chairs and couches (one value each per cell), plus the full model for reference."""
    cats = [resolve_category(c) for c in _parse_list(categories, ("chair", "sofa"))]
    cells = []
    for slot, cat in enumerate(cats):
        for row, mode in (("Retrained", "retrained"), ("Fixed", "fixed")):
            for col, d_input in (("OpenGL", "opengl"), ("RenderNet", "neural")):
                over = {"use_dom": False, "renderer_mode": mode, "d_input": d_input}
                cells.append(
                    Cell(
                        "table2",
                        row,
                        col,
                        cat,
                        "one-per-model",
                        "iggan",
                        _drop_defaults(preset, over),
                        slot,
                    )
                )
        cells.append(
            Cell("table2", "Retrained + DOM (IG-GAN)", "OpenGL", cat, "one-per-model", "iggan",
                 (), slot)
        )  # fmt: skip
    return cells


def table3_cells(preset: TablePreset) -> list[Cell]:
    """Table 3: IG-GAN on one-per-model chairs with the renderer pre-trained on chairs, tables or
    random cubes, retrained with DOM ("Ours") or fixed."""
    cells = []
    for row, mode in (("Ours", "retrained"), ("Fixed", "fixed")):
        for col, init in (("Chairs", "chairs"), ("Tables", "tables"), ("Random", "cubes")):
            over = {"renderer_mode": mode, "renderer_init": init}
            cells.append(
                Cell("table3", row, col, "chair", "one-per-model", "iggan",
                     _drop_defaults(preset, over))
            )  # fmt: skip
    return cells


def table_cells(
    table: str, preset: TablePreset, seeds: str | Sequence[int] | None = None, **selection: Any
) -> list[Cell]:
    """The table's cells, one per seed of ``seeds`` (comma-separated or a list; default: 0)."""
    if table == "table1":
        cells = table1_cells(preset, **selection)
    elif table == "table2":
        cells = table2_cells(preset, **selection)
    elif table == "table3":
        cells = table3_cells(preset)
    else:
        raise TableError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    return [dataclasses.replace(c, seed=s) for c in cells for s in parse_seeds(seeds)]


def parse_seeds(seeds: str | Sequence[int] | None) -> list[int]:
    """``"0,1"`` -> [0, 1]; None -> [0]. Seeds are distinct integers >= 0."""
    if seeds is None:
        return [0]
    items = seeds.split(",") if isinstance(seeds, str) else list(seeds)
    try:
        out = [int(str(s).strip()) for s in items if str(s).strip()]
    except ValueError:
        raise TableError(f"--seeds {seeds!r}: comma-separated integers, e.g. 0,1") from None
    if not out or any(s < 0 for s in out) or len(set(out)) != len(out):
        raise TableError(f"--seeds {seeds!r}: distinct integers >= 0, e.g. 0,1")
    return out


def find_cell(cells: Iterable[Cell], cell_id: str) -> Cell:
    cells = list(cells)
    for cell in cells:
        if cell_id in (cell.id, cell.key):
            return cell
    raise TableError(
        f"no cell {cell_id!r} in this table; its cells are: {', '.join(c.id for c in cells)}"
    )


# --------------------------------------------------------------------------------------------------
# What a cell needs
# --------------------------------------------------------------------------------------------------


@dataclass
class TableContext:
    """Where a table's parts live and how they are made."""

    table: str
    preset: TablePreset
    outdir: Path
    source: str = "procedural"
    classifier: Path | None = None
    """Classifier checkpoint (default: the classifier preset's default path; when missing there,
    the shipped classifier is installed or, when none ships for the preset and source, trained)."""
    device: str = "auto"
    workers: int | None = None
    iterations: int | None = None
    """Overrides every run's iteration count (tests, quick looks)."""
    progress: bool = True
    echo: Callable[[str], None] = print
    jobs: int = 1
    """Runs trained at once, each in its own process (with the classifier's training, when it is
    missing, as one more): see :func:`run_table`."""
    selection: dict[str, Any] = field(default_factory=dict)
    """The table's cell selection (``categories``, ``datasets``, ``methods``), for cell commands."""

    @property
    def data_root(self) -> Path:
        return self.outdir / "data"

    def run_dir(self, cell: Cell) -> Path:
        return self.outdir / "runs" / cell.key

    def dataset_spec(self, cell: Cell, renderer: str):
        return make_spec(
            cell.category, cell.mode, self.preset.dataset, renderer=renderer, source=self.source
        )

    def dataset_path(self, cell: Cell, renderer: str) -> Path:
        return self.dataset_spec(cell, renderer).default_path(self.data_root)

    def datasets(self, cell: Cell) -> list[tuple[Any, Path]]:
        """(spec, path) of the cell's training set. A baseline's file stores its projections, not
        OpenGL images; its evaluation renders the file's voxels at the file's views with OpenGL
        (:mod:`benchmark.evaluate`), which are the images of the OpenGL file of the same spec."""
        renderer = METHOD_RENDERER[cell.method]
        return [(self.dataset_spec(cell, renderer), self.dataset_path(cell, renderer))]

    def train_config(self, cell: Cell):
        from iggan.config import preset as train_preset

        iterations = self.iterations or self.preset.iterations.get(cell.method)
        over = dict(cell.overrides, seed=cell.seed)
        if iterations:
            over["iterations"] = iterations
            # short runs still leave a few checkpoints and sample grids behind
            over["checkpoint_every"] = max(1, min(250, iterations // 2))
            over["sample_every"] = max(1, min(250, iterations // 2))
        cfg = train_preset(
            self.preset.train,
            method=cell.method,
            data=str(self.dataset_path(cell, METHOD_RENDERER[cell.method])),
            device=self.device,
            **over,
        )
        cfg.validate()
        return cfg

    def classifier_path(self) -> Path:
        from benchmark.classifier import default_checkpoint

        return Path(self.classifier or default_checkpoint(self.preset.classifier))

    # -- commands for --plan ------------------------------------------------------------------------
    def common_flags(self) -> str:
        flags = f"--preset {self.preset.name} --outdir {shlex.quote(str(self.outdir))}"
        if self.source != "procedural":
            flags += f" --source {shlex.quote(self.source)}"
        if self.classifier is not None:
            flags += f" --classifier {shlex.quote(str(self.classifier))}"
        if self.iterations:
            flags += f" --iterations {self.iterations}"
        if self.device != "auto":
            flags += f" --device {shlex.quote(self.device)}"
        for name, value in self.selection.items():
            if value is not None:
                text = value if isinstance(value, str) else ",".join(map(str, value))
                flags += f" --{name} {shlex.quote(text)}"
        return flags

    def shared_commands(self, cells: Sequence[Cell]) -> list[str]:
        """Commands that make what many cells share: the classifier, the datasets and the
        pre-trained renderers. Each is independent of the others."""
        cmds = []
        if self.classifier is None:
            from benchmark.classifier import shipped_checkpoint

            verb = "install" if shipped_checkpoint(self.preset.classifier, self.source) else "train"
            cmds.append(
                f"igbench classifier {verb} --preset {self.preset.classifier}"
                + (" --resume" if verb == "train" else "")
                + f" --source {shlex.quote(self.source)}"
            )
        seen: set[Path] = set()
        for cell in cells:
            for spec, path in self.datasets(cell):
                if path in seen:
                    continue
                seen.add(path)
                cmds.append(
                    f"igbench render --category {spec.category} --mode {spec.mode} "
                    f"--renderer {spec.renderer} --preset {self.preset.dataset} "
                    f"--source {shlex.quote(self.source)} --out {shlex.quote(str(path))}"
                )
        inits: set[str] = set()
        for cell in cells:
            if cell.method == "iggan":
                init = self.train_config(cell).renderer_init
                if init in ("tables", "chairs", "cubes"):
                    inits.add(init)
        cmds += [
            f"igbench pretrain-renderer --on {on} --preset {self.preset.train}"
            for on in sorted(inits)
        ]
        return cmds

    def cell_command(self, cell: Cell, stage: str = "all") -> str:
        text = f"igbench {self.table} {self.common_flags()} --cell {cell.id}"
        return text if stage == "all" else f"{text} --stage {stage}"


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


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


def ensure_classifier(ctx: TableContext) -> Path:
    """The classifier checkpoint: the shipped one installed, else trained (or its training
    resumed), if it is not there yet."""
    from benchmark.classifier import preset as clf_preset
    from benchmark.classifier import train_classifier

    path = ctx.classifier_path()
    if path.is_file():
        return path
    if ctx.classifier is not None:
        raise TableError(f"{path}: no such classifier checkpoint")
    if install_shipped_classifier(ctx):
        return path
    ctx.echo(f"classifier: training the {ctx.preset.classifier} preset into {path.parent}")
    cfg = clf_preset(ctx.preset.classifier, source=ctx.source)
    resume = (path.parent / "train_state.pt").exists()
    train_classifier(cfg, path.parent, resume=resume)
    return path


def install_shipped_classifier(ctx: TableContext) -> bool:
    """Install the shipped classifier at the default path when it is missing there and one ships
    for this preset and source (:func:`benchmark.classifier.install_shipped`); True if it did."""
    from benchmark.classifier import install_shipped_if_absent

    if ctx.classifier is not None:
        return False
    path = ctx.classifier_path()
    result = install_shipped_if_absent(ctx.preset.classifier, ctx.source, path.parent)
    if result is None:
        return False
    ctx.echo(
        f"classifier: installed the shipped {ctx.preset.classifier} classifier into {path.parent} "
        f"(fingerprint {result.fingerprint}, {100 * result.heldout_accuracy:.2f} % held-out; "
        f"`igbench classifier train --preset {ctx.preset.classifier} --overwrite` retrains it)"
    )
    return True


def ensure_datasets(ctx: TableContext, cell: Cell) -> None:
    from shapenet_render.dataset import render_dataset

    for spec, path in ctx.datasets(cell):
        if path.exists():
            continue
        ctx.echo(f"{cell.id}: rendering {path}")
        summary = render_dataset(spec, path, workers=ctx.workers)
        ctx.echo(f"{cell.id}: {summary.format()}")


#: In an exported run (:func:`export_results`): the iteration its final checkpoint had.
FINAL_MARKER = "final.json"


def _final_iteration(run_dir: Path) -> int | None:
    """The newest checkpoint's iteration, or an exported run's (its checkpoints left behind)."""
    from iggan import checkpoint as ckpt_io

    found = ckpt_io.list_checkpoints(run_dir)
    if found:
        return found[-1][0]
    marker = run_dir / FINAL_MARKER
    if marker.is_file():
        return int(json.loads(marker.read_text())["iteration"])
    return None


def ensure_trained(ctx: TableContext, cell: Cell) -> None:
    """Train the cell's run to its iteration count (resuming; a finished run is left alone)."""
    from benchmark.registry import register_methods
    from iggan.training import TrainingError, _check_resume_config, load_run_config, train

    register_methods()
    run_dir = ctx.run_dir(cell)
    config = ctx.train_config(cell)
    done = _final_iteration(run_dir)
    if done is not None:
        try:  # the same check a resumed training makes: only iterations, logging may change
            _check_resume_config(load_run_config(run_dir), config)
        except TrainingError as exc:
            raise TableError(f"{run_dir} holds another run ({exc}); use another --outdir") from exc
        if done >= config.iterations:
            return
    ctx.echo(
        f"{cell.id}: training {config.method} for {config.iterations} iterations in {run_dir}"
        + (f" (resuming at {done})" if done is not None else "")
    )
    result = train(config, run_dir, resume=done is not None, progress=ctx.progress)
    if result.status == "interrupted":
        raise TrainingError(f"{run_dir}: training interrupted at iteration {result.iteration}")


def ensure_evaluated(ctx: TableContext, cell: Cell, classifier: Path | None):
    """Evaluate a cell's run at both threshold rules (each skipped when already recorded)."""
    from benchmark.evaluate import THRESHOLD_RULES, evaluate_run

    if classifier is None:
        raise TableError(f"{cell.id}: no classifier to evaluate with")

    outcomes = [
        evaluate_run(
            ctx.run_dir(cell),
            classifier=classifier,
            preset=ctx.preset.eval,
            n=ctx.preset.n_eval,
            device=ctx.device,
            workers=ctx.workers,
            threshold_rule=rule,
        )
        for rule in THRESHOLD_RULES
    ]
    if cell.method in THREE_D_METHODS:
        from benchmark.eval3d import evaluate_run_3d

        for rule in THRESHOLD_RULES:
            evaluate_run_3d(
                ctx.run_dir(cell),
                preset=ctx.preset.eval,
                n=ctx.preset.n_eval,
                device=ctx.device,
                workers=ctx.workers,
                threshold_rule=rule,
            )
    return outcomes


def run_cell(
    ctx: TableContext, cell: Cell, classifier: Path | None, stage: str = "all"
) -> CellResult:
    """Make one cell: ``stage`` ``all`` (dataset, training, evaluation), ``train`` (no evaluation;
    ``classifier`` may be None) or ``eval`` (the run must be trained)."""
    if stage in ("all", "train"):
        ensure_datasets(ctx, cell)
        ensure_trained(ctx, cell)
    if stage in ("all", "eval"):
        ensure_evaluated(ctx, cell, classifier)
    return cell_result(ctx, cell)


def run_table(
    ctx: TableContext, cells: Sequence[Cell], on_cell: Callable[[CellResult], None] | None = None
) -> list[CellResult]:
    """Make every cell; returns the cells' results in order. Cells that share a run are made once.

    With ``ctx.jobs == 1`` everything runs here, one cell after the other (the classifier first).
    With more, the datasets are rendered here first, then the cells go to up to ``jobs`` processes
    (``igbench TABLE --cell ID``, logs in ``<outdir>/logs/``), longest first, each training and
    evaluating its run, so that a slot whose short runs are done evaluates them while a long run
    trains in the other. When the classifier is missing its training is one more job and the cell
    jobs only train (``--stage train``); the evaluations then follow here. On 2 cores with the cpu
    presets' single-threaded runs, ``jobs=2`` keeps both cores busy.
    """
    unique = list({c.key: c for c in cells}.values())
    if ctx.jobs > 1:
        for cell in unique:
            ensure_datasets(ctx, cell)
        _train_in_processes(ctx, unique)
    classifier = ensure_classifier(ctx)
    results: dict[str, CellResult] = {}
    out = []
    for cell in cells:
        if cell.key not in results:
            results[cell.key] = run_cell(ctx, cell, classifier)
        res = dataclasses.replace(results[cell.key], cell=cell)
        out.append(res)
        if on_cell is not None:
            on_cell(res)
    return out


@dataclass
class Job:
    """One command run by :func:`run_jobs`, its output going to ``log``."""

    name: str
    argv: list[str]
    log: Path
    proc: Any = None
    started: float = 0.0


def _train_in_processes(ctx: TableContext, cells: Sequence[Cell]) -> None:
    import sys

    exe = [sys.executable, "-m", "benchmark.cli"]
    jobs: list[Job] = []
    logs = ctx.outdir / "logs"
    clf = ctx.classifier_path()
    install_shipped_classifier(ctx)
    stage = "all" if clf.is_file() else "train"  # evaluating needs the classifier
    if not clf.is_file() and ctx.classifier is None:
        argv = [
            *exe,
            "classifier",
            "train",
            "--preset",
            ctx.preset.classifier,
            "--resume",
            "--threads",
            "1",
            "--source",
            ctx.source,
            "--out",
            str(clf.parent),
            "--no-progress",
        ]
        jobs.append(Job("classifier", argv, logs / "classifier.log"))  # fmt: skip
    # IG-GAN runs first: they are the longest (longest-first keeps the slots evenly loaded)
    finished = ("done",) if stage == "all" else ("done", "trained")
    todo = [c for c in cells if cell_result(ctx, c).state not in finished]
    todo.sort(key=lambda c: c.method != "iggan")
    for cell in todo:
        argv = [*exe, *shlex.split(ctx.cell_command(cell, stage=stage))[1:], "--no-progress"]
        jobs.append(Job(cell.id, argv, logs / f"{cell.key}.log"))
    if jobs:
        run_jobs(jobs, ctx.jobs, ctx.echo)


def run_jobs(jobs: list[Job], slots: int, echo: Callable[[str], None]) -> None:
    """Run the jobs' commands, ``slots`` at a time; raise TableError naming the failed ones (after
    the others have finished, so that their work is kept)."""
    import subprocess
    import time

    pending, running, failed = list(jobs), [], []
    while pending or running:
        while pending and len(running) < slots:
            job = pending.pop(0)
            job.log.parent.mkdir(parents=True, exist_ok=True)
            fh = open(job.log, "ab")  # noqa: SIM115 - closed when the process ends
            job.proc = subprocess.Popen(job.argv, stdout=fh, stderr=subprocess.STDOUT)
            fh.close()
            job.started = time.monotonic()
            echo(f"started {job.name} (log: {job.log})")
            running.append(job)
        time.sleep(1.0)
        for job in list(running):
            code = job.proc.poll()
            if code is None:
                continue
            running.remove(job)
            minutes = (time.monotonic() - job.started) / 60
            if code == 0:
                echo(f"finished {job.name} in {minutes:.1f} min")
            else:
                failed.append(job)
                tail = job.log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
                echo(f"FAILED {job.name} (exit {code}) after {minutes:.1f} min: {tail[0]}")
    if failed:
        raise TableError(
            f"{len(failed)} job(s) failed: " + ", ".join(f"{j.name} (log: {j.log})" for j in failed)
        )


# --------------------------------------------------------------------------------------------------
# Collecting
# --------------------------------------------------------------------------------------------------


def _classifier_fingerprint(path: Path) -> str | None:
    from benchmark.classifier import read_classifier_info

    if not path.is_file():
        return None
    return read_classifier_info(path).get("fingerprint")


def cell_result(ctx: TableContext, cell: Cell, fingerprint: str | None = None) -> CellResult:
    """A cell's state from its run directory alone: its newest FID and KID records of the current
    evaluation protocol for the final checkpoint, per threshold rule (and, when ``fingerprint`` is
    given, that classifier), or how far its training got."""
    from benchmark.evaluate import EVAL_VERSION
    from benchmark.records import read_records

    run_dir = ctx.run_dir(cell)
    config = ctx.train_config(cell)
    done = _final_iteration(run_dir)
    if done is None:
        return CellResult(cell, "missing", run_dir)
    if done < config.iterations:
        return CellResult(cell, f"training {done}/{config.iterations}", run_dir)
    from benchmark.eval3d import EVAL3D_VERSION

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
        done = _final_iteration(run_dir)
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
