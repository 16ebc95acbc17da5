"""The paper's Tables 1-3 as commands: every cell rendered, trained and evaluated on demand.

A table is a list of :class:`Cell` s. Each cell names one training run (category, dataset mode,
method and the run's departures from the preset) and the place it takes in the table. Running a
cell makes what it needs, each step resumable on its own:

1. the dataset: the method's training images (OpenGL, visual-hull or absorption-only rendering;
   :func:`shapenet_render.dataset.render_dataset`, resumable per 16-model part). FID always
   compares OpenGL renders of the samples with OpenGL images of the dataset's shapes and views;
2. the run: ``igbench train METHOD`` into ``<outdir>/runs/<cell key>`` (resumed from its newest
   checkpoint; a finished run is left alone);
3. the evaluation: :func:`benchmark.metrics.evaluate.evaluate_run` appends FID/KID records to the run's
   ``metrics.jsonl`` (skipped when the checkpoint was already evaluated with this classifier).

Tables are built from those records only (:func:`benchmark.table_output.collect`), so a rerun after a kill reuses every
finished step, and ``--plan`` / ``--collect`` let a cluster run the cells as independent jobs.
Cells of different tables that train the same configuration share one run directory (e.g. Table 2's
reference "Retrained + DOM" is Table 1's IG-GAN on one-per-model chairs).

The paper's numbers (:data:`benchmark.paper_tables.PAPER`) are printed beside ours in a block of their own: they come from
ShapeNet shapes and the authors' classifier, ours from our shapes and our classifier, so only the
ordering of methods is comparable, not the values.
"""

from __future__ import annotations

import dataclasses
import logging
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.paper_tables import (
    CATEGORY_LABELS,
    METHOD_RENDERER,
    METHOD_ROWS,
    MODE_LABELS,
    TABLES,
    THREE_D_METHODS,
    TableError,
)
from benchmark.table_output import CellResult, cell_result, final_iteration
from shapenet_render.categories import resolve_category
from shapenet_render.dataset import MODES, make_spec

log = logging.getLogger(__name__)

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
    """Classifier preset (:func:`benchmark.metrics.classifier.preset`), whose features define FID."""
    eval: str
    """Evaluation preset: fixes the generated-sample count (:data:`benchmark.metrics.fid.EVAL_SAMPLES`)."""
    iterations: dict[str, int] = field(default_factory=dict)
    """Per-method training iterations replacing the training preset's (empty: the preset's)."""
    categories: tuple[str, ...] | None = None
    """Table 1's default categories under this preset (None: the paper's)."""
    datasets: tuple[str, ...] | None = None
    """Table 1's default datasets under this preset (None: the paper's)."""
    n_eval: int | None = None
    """Generated samples per evaluation (None: the evaluation preset's)."""
    curve_every: int | None = None
    """Iterations between the checkpoints that a cell keeps and evaluates (FID and KID at the
    common threshold, same sample count as the final evaluation) for its FID-over-checkpoints
    curve; None: the final checkpoint only."""


#: ``demo``: what ``make demo`` runs. One category, the 500 dataset, the four methods at their cpu
#: settings with short runs, and the cpu classifier, meant to finish under 30 minutes on 2 cores
#: from a fresh clone (docs/reproduction.md). IG-GAN runs in one slot while the three baselines
#: run one after another in the other, so IG-GAN gets the budget. Its slot is the critical path
#: (the cubes pre-training, then training, then its evaluation); 650 iterations keep the demo
#: under 30 minutes from a fresh clone with a few minutes to spare (docs/reproduction.md).
DEMO_ITERATIONS = {"iggan": 650, "visual-hull": 600, "absorption-only": 600, "dcgan": 1500}

PRESETS: dict[str, TablePreset] = {
    "paper": TablePreset("paper", "paper", "paper", "paper", "paper", curve_every=10_000),
    "cpu": TablePreset("cpu", "cpu", "cpu", "cpu", "cpu", curve_every=600),
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


@dataclass(frozen=True)
class SharedInput:
    """Something many cells need made first (:meth:`TableContext.shared_inputs`)."""

    kind: str
    """``classifier``, ``dataset`` or ``renderer`` (a pre-trained neural renderer)."""
    path: Path
    cell: Cell | None = None
    """A cell that needs it (what a job makes it for)."""
    what: Any = None
    """A dataset's spec, a renderer's ``renderer_init`` name."""


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
        (:mod:`benchmark.metrics.evaluate`), which are the images of the OpenGL file of the same spec."""
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
        if self.preset.curve_every:
            over["keep_every"] = self.preset.curve_every
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
        from benchmark.metrics.classifier import default_checkpoint

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

    def shared_inputs(self, cells: Sequence[Cell]) -> list[SharedInput]:
        """What many cells share, each once: the classifier (unless one was given), every dataset,
        every pre-trained renderer. ``--plan`` prints them as commands, ``--executor`` makes the
        missing ones as the first wave of jobs (:mod:`benchmark.table_jobs`)."""
        from iggan.pretrain import PRETRAIN_ON, resolve_renderer_init
        from iggan.registry import method_class

        out = []
        if self.classifier is None:
            out.append(SharedInput("classifier", self.classifier_path()))
        seen: set[Path] = set()
        for cell in cells:
            for spec, path in self.datasets(cell):
                if path not in seen:
                    seen.add(path)
                    out.append(SharedInput("dataset", path, cell, spec))
        for cell in cells:
            config = self.train_config(cell)
            init = config.renderer_init
            if method_class(config.method).has_neural_renderer and init in PRETRAIN_ON:
                path = Path(resolve_renderer_init(config, create=False))
                if path not in seen:
                    seen.add(path)
                    out.append(SharedInput("renderer", path, cell, init))
        return out

    def shared_commands(self, cells: Sequence[Cell]) -> list[str]:
        """:meth:`shared_inputs` as commands, each independent of the others."""
        from benchmark.metrics.classifier import shipped_checkpoint

        cmds = []
        for item in self.shared_inputs(cells):
            if item.kind == "classifier":
                shipped = shipped_checkpoint(self.preset.classifier, self.source)
                verb = "install" if shipped else "train"
                cmds.append(
                    f"igbench classifier {verb} --preset {self.preset.classifier}"
                    + (" --resume" if verb == "train" else "")
                    + f" --source {shlex.quote(self.source)}"
                )
            elif item.kind == "dataset":
                spec = item.what
                cmds.append(
                    f"igbench render --category {spec.category} --mode {spec.mode} "
                    f"--renderer {spec.renderer} --preset {self.preset.dataset} "
                    f"--source {shlex.quote(self.source)} --out {shlex.quote(str(item.path))}"
                )
            else:
                cmds.append(
                    f"igbench pretrain-renderer --on {item.what} --preset {self.preset.train}"
                )
        return cmds

    def cell_command(self, cell: Cell, stage: str = "all") -> str:
        text = f"igbench {self.table} {self.common_flags()} --cell {cell.id}"
        return text if stage == "all" else f"{text} --stage {stage}"


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


def ensure_classifier(ctx: TableContext) -> Path:
    """The classifier checkpoint: the shipped one installed, else trained (or its training
    resumed), if it is not there yet."""
    from benchmark.metrics.classifier import preset as clf_preset
    from benchmark.metrics.classifier_train import train_classifier

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
    for this preset and source (:func:`benchmark.metrics.classifier.install_shipped`); True if it did."""
    from benchmark.metrics.classifier import install_shipped_if_absent

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


def ensure_trained(ctx: TableContext, cell: Cell) -> None:
    """Train the cell's run to its iteration count (resuming; a finished run is left alone)."""
    from iggan.pretrain import ensure_renderer_init
    from iggan.rundir import load_run_config
    from iggan.training import TrainingError, _check_resume_config, train

    run_dir = ctx.run_dir(cell)
    config = ctx.train_config(cell)
    done = final_iteration(run_dir)
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
    if done is None:
        ensure_renderer_init(config, progress=ctx.progress)
    result = train(config, run_dir, resume=done is not None, progress=ctx.progress)
    if result.status == "interrupted":
        raise TrainingError(f"{run_dir}: training interrupted at iteration {result.iteration}")


def curve_checkpoints(ctx: TableContext, cell: Cell) -> list[Path]:
    """The checkpoints of a cell's FID-over-checkpoints curve: those kept at multiples of the
    preset's ``curve_every`` before the final one, oldest first."""
    from iggan import checkpoint as ckpt_io

    every = ctx.preset.curve_every
    if not every:
        return []
    found = ckpt_io.list_checkpoints(ctx.run_dir(cell))
    return [path for it, path in found[:-1] if it % every == 0]


def ensure_evaluated(ctx: TableContext, cell: Cell, classifier: Path | None):
    """Evaluate a cell's run at both threshold rules, then the checkpoints of its FID curve at the
    common threshold (:func:`curve_checkpoints`); each skipped when already recorded."""
    from benchmark.metrics.evaluate import THRESHOLD_RULES, evaluate_run

    if classifier is None:
        raise TableError(f"{cell.id}: no classifier to evaluate with")

    # the final checkpoint at both rules (the table's values), then the curve's at the common one
    wanted = [(rule, None) for rule in THRESHOLD_RULES]
    wanted += [("common", path) for path in curve_checkpoints(ctx, cell)]
    outcomes = [
        evaluate_run(
            ctx.run_dir(cell),
            classifier=classifier,
            preset=ctx.preset.eval,
            n=ctx.preset.n_eval,
            device=ctx.device,
            workers=ctx.workers,
            threshold_rule=rule,
            checkpoint=checkpoint,
        )
        for rule, checkpoint in wanted
    ][: len(THRESHOLD_RULES)]
    if cell.method in THREE_D_METHODS:
        from benchmark.metrics.eval3d import evaluate_run_3d

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
    (:mod:`benchmark.jobs`: :func:`cell_job`, logs in ``<outdir>/logs/``), longest first, each training and
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


def cell_job(ctx: TableContext, cell: Cell, stage: str) -> None:
    """One cell made in a job's process (:func:`_train_in_processes`): what ``igbench TABLE --cell
    ID --stage STAGE`` does."""
    classifier = None if stage == "train" else ensure_classifier(ctx)
    result = run_cell(ctx, cell, classifier, stage)
    log.info("%s", result.line())


def _train_in_processes(ctx: TableContext, cells: Sequence[Cell]) -> None:
    from benchmark.jobs import Job, JobError, run_jobs

    jobs: list[Job] = []
    logs = ctx.outdir / "logs"
    clf = ctx.classifier_path()
    install_shipped_classifier(ctx)
    stage = "all" if clf.is_file() else "train"  # evaluating needs the classifier
    child = dataclasses.replace(ctx, jobs=1, progress=False, echo=log.info)
    if not clf.is_file() and ctx.classifier is None:
        jobs.append(Job("classifier", ensure_classifier, (child,), logs / "classifier.log"))
    # IG-GAN runs first: they are the longest (longest-first keeps the slots evenly loaded)
    finished = ("done",) if stage == "all" else ("done", "trained")
    todo = [c for c in cells if cell_result(ctx, c).state not in finished]
    todo.sort(key=lambda c: c.method != "iggan")
    for cell in todo:
        jobs.append(Job(cell.id, cell_job, (child, cell, stage), logs / f"{cell.key}.log"))
    if jobs:
        try:
            run_jobs(jobs, ctx.jobs, ctx.echo)
        except JobError as exc:
            raise TableError(str(exc)) from exc
