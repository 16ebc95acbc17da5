"""Shape sources by spec string, and batch loading that skips and counts broken models.

Specs (the ``--source`` option of every command):

``procedural``
    the embedded deterministic generator of ShapeNet-like objects (the default);
``cubes`` or ``cubes:COUNT``
    random box shapes for renderer pre-training;
``shapenet:PATH``
    a ShapeNetCore v1 or v2 copy;
``meshdir:PATH``
    ``PATH/<category>/<name>.{obj,glb,gltf,ply,off,stl}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import trimesh

from shapenet_render.sources.base import ShapeLoadError, ShapeSource

#: The accepted spec forms, for help texts and error messages.
SOURCE_SPECS: tuple[str, ...] = ("procedural", "cubes", "shapenet:PATH", "meshdir:PATH")


class SkippedModelWarning(UserWarning):
    """A model could not be loaded and was skipped (the message names its file)."""


def get_source(spec: str) -> ShapeSource:
    """The shape source for a spec string (see the module docstring).

    Raises:
        ValueError: one line naming the spec and what is wrong with it (unknown kind, missing or
            non-existent path, bad cube count).
    """
    text = spec.strip()
    kind, sep, arg = text.partition(":")
    kind = kind.strip().lower()
    usage = f"use one of: {', '.join(SOURCE_SPECS)}"

    if kind == "procedural" and not sep:
        # Imported here: the generator pulls in manifold3d and its class tables, which commands
        # reading a ShapeNet copy do not need.
        from shapenet_render.sources.procedural import ProceduralSource

        return ProceduralSource()

    if kind == "cubes":
        from shapenet_render.sources.cubes import CubesSource

        if not sep:
            return CubesSource()
        try:
            count = int(arg)
        except ValueError:
            count = 0
        if count <= 0:
            raise ValueError(f"bad shape source {spec!r}: cubes:COUNT needs a positive integer")
        return CubesSource(count=count)

    if kind in ("shapenet", "meshdir"):
        if not arg.strip():
            raise ValueError(
                f"bad shape source {spec!r}: {kind}: needs a folder, e.g. {kind}:/data"
            )
        path = Path(arg.strip()).expanduser()
        if not path.is_dir():
            raise ValueError(f"bad shape source {spec!r}: folder {path} does not exist")
        if kind == "shapenet":
            from shapenet_render.sources.shapenet import ShapeNetSource

            return ShapeNetSource(path)
        from shapenet_render.sources.meshdir import MeshDirSource

        return MeshDirSource(path)

    raise ValueError(f"unknown shape source {spec!r}; {usage}")


@dataclass
class LoadReport:
    """Counts of a batch load; pass one to :func:`load_many` and print :meth:`summary` at the end."""

    loaded: int = 0
    """Models loaded successfully."""
    skipped: list[str] = field(default_factory=list)
    """One message per skipped model, naming its file and the problem."""

    @property
    def n_skipped(self) -> int:
        """Number of skipped models."""
        return len(self.skipped)

    def summary(self) -> str:
        """One line, e.g. ``"98 models loaded, 2 skipped"``."""
        return f"{self.loaded} models loaded, {self.n_skipped} skipped"


def load_many(
    source: ShapeSource,
    category: str,
    ids: Iterable[str] | None = None,
    report: LoadReport | None = None,
) -> Iterator[tuple[str, trimesh.Trimesh | None]]:
    """Load models one by one, skipping those that cannot be used.

    Args:
        source: where the models come from.
        category: category in any form the source accepts.
        ids: model ids to load, in order; all of the category's models if None.
        report: updated as models load or are skipped.

    Yields:
        ``(model_id, mesh)`` for every id, in order; ``mesh`` is the normalised mesh, or None for a
        model that raised :class:`ShapeLoadError` (a :class:`SkippedModelWarning` naming the file is
        issued). Other exceptions are bugs and propagate.
    """
    if ids is None:
        ids = source.list_models(category)
    for model_id in ids:
        try:
            mesh = source.load(category, model_id)
        except ShapeLoadError as exc:
            warnings.warn(f"skipping model: {exc}", SkippedModelWarning, stacklevel=2)
            if report is not None:
                report.skipped.append(str(exc))
            yield model_id, None
            continue
        if report is not None:
            report.loaded += 1
        yield model_id, mesh
