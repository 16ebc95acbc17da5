"""``igbench train``, ``igbench pretrain-renderer`` and ``igbench sample``: thin commands over
:mod:`iggan.training`, :mod:`iggan.pretrain` and :mod:`iggan.sample`.

Every config field is an option, generated from the dataclass (:class:`iggan.config.TrainConfig`,
:class:`iggan.config.PretrainConfig`) with the field's docstring as its help, so the CLI and the
configs cannot drift apart. An option that is not given keeps the preset's value (or, with
``--resume``, the run's saved value); ``none`` sets an optional field to None.

Every method named in :mod:`iggan.registry` gets its ``igbench train METHOD`` from
:func:`make_train_command`, without the fields it never reads (``iggan.config.UNUSED_FIELDS``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from benchmark.cli.common import PRESET
from benchmark.cli.common import library_errors as _library_errors
from benchmark.cli.common import one_line as _one_line

#: Extra option names (the issue's spelling of the Table 2 switch: ``--renderer fixed``).
_ALIASES = {"renderer_mode": ("--renderer",)}
#: Marks "set this optional field to None" (the user typed ``none``), as opposed to "not given".
_NULL = object()


class _FieldValue(click.ParamType):
    """A config field's value read from its text by the configs' one parser
    (:meth:`iggan.configbase.Config.parse_value`); ``none`` sets an optional field to None."""

    def __init__(self, cls, field: str, choices: tuple | None = None):
        self.cls, self.field = cls, field
        self.choices = tuple(str(c) for c in choices) if choices else None
        from iggan.configbase import type_name

        typ = type_name(cls.field_types()[field])
        self.optional = typ.endswith(" | None")
        self.name = typ.replace(" | None", "|none")

    def get_metavar(self, param, ctx):
        if self.choices:
            return "[" + "|".join(self.choices + (("none",) if self.optional else ())) + "]"
        return None

    def convert(self, value, param, ctx):
        if value is _NULL or not isinstance(value, str):
            return value
        text = value.strip()
        if (
            self.choices
            and text not in self.choices
            and not (self.optional and text.lower() == "none")
        ):
            self.fail(f"{text!r} is not one of {', '.join(self.choices)}", param, ctx)
        try:
            parsed = self.cls.parse_value(self.field, text)
        except self.cls.error as exc:
            self.fail(str(exc), param, ctx)
        return _NULL if parsed is None else parsed


def _field_options(
    cls, skip: Iterable[str] = (), choices: dict[str, tuple] | None = None
) -> Callable:
    """A decorator adding one ``--field-name`` option per dataclass field (default: not given)."""
    docs = cls.field_docs()
    choices = choices or {}
    skip = set(skip)
    decorators = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = docs.get(f.name, "")
        if f.type in ("bool", bool):
            name = "dom" if f.name == "use_dom" else f.name.replace("_", "-")
            decorators.append(
                click.option(f"--{name}/--no-{name}", f.name, default=None, help=help_text)
            )
            continue
        ptype = _FieldValue(cls, f.name, choices.get(f.name))
        names = [flag, *_ALIASES.get(f.name, ())]
        decorators.append(click.option(*names, f.name, type=ptype, default=None, help=help_text))

    def apply(fn):
        for dec in reversed(decorators):
            fn = dec(fn)
        return fn

    return apply


class _IntChoice(click.Choice):
    def __init__(self, values):
        super().__init__([str(v) for v in values])

    def convert(self, value, param, ctx):
        return int(super().convert(str(value), param, ctx))


def _overrides(kwargs: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The options the user gave, as config overrides (``none`` -> None)."""
    out = {}
    for name in names:
        value = kwargs.get(name)
        if value is None:
            continue
        out[name] = None if value is _NULL else value
    return out


def _setup_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")


# -- train ------------------------------------------------------------------------------------------
@click.group("train")
def train() -> None:
    """Train a 3D generator (or a baseline) from 2D images of a dataset file.

    \b
    Examples:
      igbench train iggan --data data/procedural/bathtub-one-per-model-opengl-r64-v32-s0.h5 --preset cpu
      igbench train iggan --data FILE.h5 --preset cpu --dry-run      # print the resolved config
      igbench train iggan --outdir runs/my-run --resume               # continue after a stop
    """


def make_train_command(
    method: str, help_text: str, skip: Iterable[str] = (), short_help: str | None = None
) -> click.Command:
    """The ``igbench train METHOD`` command: every TrainConfig field except ``skip`` as an option."""
    from iggan.config import D_INPUTS, RENDERER_MODES, TrainConfig
    from shapenet_render.presets import PRESETS

    names = [f.name for f in dataclasses.fields(TrainConfig)]
    skipped = {"method", "data", "preset", *skip}

    @click.command(method, help=help_text, short_help=short_help)
    @click.option(
        "--data",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Dataset file (HDF5 from `igbench render`). Required unless --resume.",
    )
    @click.option(
        "--preset",
        "preset_name",
        type=click.Choice(PRESETS),
        default="paper",
        show_default=True,
        help="paper: the paper's settings (GPU); cpu: 32^3/64^2, tens of minutes on 2 cores; "
        "smoke: seconds.",
    )
    @click.option(
        "--outdir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Run directory (default: runs/<method>-<data name>-<preset>).",
    )
    @click.option(
        "--resume", is_flag=True, help="Continue the run in --outdir from its newest checkpoint."
    )
    @click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
    @click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
    @_field_options(
        TrainConfig,
        skip=skipped,
        choices={
            "renderer_mode": RENDERER_MODES,
            "d_input": D_INPUTS,
            "voxel_res": (16, 32, 64),
        },
    )
    def command(data, preset_name, outdir, resume, dry_run, progress, **options):
        from iggan.config import ConfigError, preset
        from iggan.pretrain import ensure_renderer_init
        from iggan.rundir import load_run_config
        from iggan.training import train as run_training

        over = _overrides(options, names)
        if data is not None:
            over["data"] = str(data)
        try:
            if resume:
                if outdir is None:
                    raise click.UsageError("--resume needs --outdir RUN_DIR")
                config = dataclasses.replace(load_run_config(outdir), **over)
                if config.method != method:
                    raise ConfigError(f"{outdir} is a {config.method} run, not {method}")
            else:
                if data is None:
                    raise click.UsageError("--data FILE.h5 is required (or --resume --outdir RUN)")
                config = preset(preset_name, method=method, **over)
                outdir = outdir or Path("runs") / f"{method}-{data.stem}-{preset_name}"
            config.validate()
        except _library_errors() as exc:
            raise _one_line(exc) from exc
        click.echo(config.to_json())
        if dry_run:
            return
        _setup_logging()
        click.echo(f"run directory: {outdir}")
        try:
            if not resume:
                made = ensure_renderer_init(config, progress=progress)
                if made is not None:
                    click.echo(f"neural renderer from {made}")
            result = run_training(config, outdir, resume=resume, progress=progress)
        except _library_errors() as exc:
            raise _one_line(exc) from exc
        speed = (
            f"; {result.seconds_per_iteration:.3f} s/iteration, "
            f"{100 * result.render_wait_share:.1f} % waiting for the renderer"
            if result.seconds_per_iteration is not None
            else ""
        )
        if result.status == "interrupted":
            click.echo(
                f"interrupted at iteration {result.iteration}; checkpoint {result.checkpoint}; "
                f"continue with: igbench train {method} --outdir {outdir} --resume"
            )
            raise SystemExit(130)
        click.echo(f"finished {result.iteration} iterations in {outdir}{speed}")

    return command


#: What ``igbench train METHOD --help`` shows after the registry's one-line summary.
_TRAIN_HELP = {
    "iggan": """
        \b
        Table 2 switches: --no-dom, --renderer-mode fixed|retrained, --d-input opengl|neural.
        Table 3: --renderer-init tables|chairs|cubes|PATH (default of the preset; made on first use).

        \b
        Examples:
          igbench train iggan --data data/procedural/bathtub-one-per-model-opengl-r64-v32-s0.h5 --preset cpu
          igbench train iggan --data FILE.h5 --preset cpu --no-dom --renderer-mode fixed --d-input neural
          igbench train iggan --data FILE.h5 --preset smoke --renderer-init none --dry-run
          igbench train iggan --outdir runs/iggan-bathtub-cpu --resume --iterations 6000
        """,
}


def _add_method_commands() -> None:
    """One ``igbench train METHOD`` per method of :mod:`iggan.registry`."""
    from iggan.config import UNUSED_FIELDS
    from iggan.registry import METHOD_NAMES, method_entry

    for name in METHOD_NAMES:
        text = method_entry(name).summary + "\n" + _TRAIN_HELP.get(name, "")
        summary = method_entry(name).summary
        skip = UNUSED_FIELDS.get(name, ())
        train.add_command(make_train_command(name, text, skip=skip, short_help=summary))


_add_method_commands()


# -- pretrain-renderer ------------------------------------------------------------------------------
def _pretrain_options(fn):
    from iggan.config import PretrainConfig

    return _field_options(
        PretrainConfig, skip={"data", "on", "preset"}, choices={"voxel_res": (16, 32, 64)}
    )(fn)


@click.command("pretrain-renderer")
@click.option(
    "--on",
    type=click.Choice(["tables", "chairs", "cubes"]),
    default=None,
    help="Pre-train on this data (rendered at the preset's sizes when missing).",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Or a dataset file whose voxel grids to use.",
)
@click.option(
    "--preset",
    "preset_name",
    type=PRESET,
    default="paper",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Checkpoint file (default: data/renderers/rendernet-<data>-<preset>-....pt, the file "
    "`train --renderer-init tables|chairs|cubes` looks for).",
)
@click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
@click.option("--progress/--no-progress", default=True)
@_pretrain_options
def pretrain_renderer(on, data, preset_name, out, dry_run, progress, **options):
    """Pre-train the neural renderer R_phi with L2 on binary voxel grids (paper, Table 3).

    A rerun with the same arguments resumes an unfinished pre-training.

    \b
    Examples:
      igbench pretrain-renderer --on tables --preset cpu
      igbench pretrain-renderer --on cubes --preset cpu --iterations 400
      igbench pretrain-renderer --data my_shapes.h5 --out renderers/mine.pt
      igbench train iggan --data FILE.h5 --preset cpu --renderer-init renderers/mine.pt
    """
    from iggan.config import PretrainConfig, pretrain_preset
    from iggan.pretrain import default_renderer_path, ensure_pretrained

    if on is None and data is None:
        raise click.UsageError("give --on tables|chairs|cubes or --data FILE.h5")
    names = [f.name for f in dataclasses.fields(PretrainConfig)]
    try:
        cfg = dataclasses.replace(
            pretrain_preset(preset_name),
            on=on,
            data=str(data) if data else "",
            **_overrides(options, names),
        )
        out = out or default_renderer_path(cfg)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    click.echo(cfg.to_json())
    if dry_run:
        return
    _setup_logging()
    try:
        path = ensure_pretrained(cfg, out, progress=progress)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    click.echo(f"wrote {path}; use it with: igbench train iggan --renderer-init {path}")


# -- sample -----------------------------------------------------------------------------------------
@click.command("sample")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-n", "count", type=click.IntRange(1, 1024), default=16, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: RUN/samples/final-<iteration>).",
)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=0.5,
    show_default=True,
    help="Occupancy level of the meshes and of the OpenGL renders.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["obj", "ply"]),
    multiple=True,
    default=("obj",),
    show_default=True,
    help="Mesh format; repeat for several.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A specific checkpoint (default: the run's newest).",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def sample_cmd(run, count, out, seed, threshold, formats, checkpoint, device):
    """Write generated volumes as meshes (marching cubes) and a PNG grid of their renders.

    \b
    Examples:
      igbench sample runs/iggan-bathtub-one-per-model-opengl-r64-v32-s0-cpu -n 16 --out out/tubs
      igbench sample RUN -n 8 --format obj --format ply --threshold 0.3
    """
    from iggan.sample import sample

    try:
        result = sample(
            run,
            n=count,
            out=out,
            seed=seed,
            threshold=threshold,
            formats=tuple(formats),
            checkpoint=checkpoint,
            device=device,
        )
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    empty = f"; {len(result.empty)} empty (nothing above {threshold})" if result.empty else ""
    click.echo(
        f"wrote {len(result.meshes)} meshes, renders.png and normals.png to {result.out} "
        f"(checkpoint {result.checkpoint.name}, iteration {result.iteration}){empty}"
    )
