"""The ``procedural`` shape source: a deterministic generator of ShapeNet-like objects.

It covers the 21 largest ShapeNet classes with ShapeNet's model counts (the embedded default, as
ShapeNet cannot be downloaded here). Each class is a parametric family with several structural
variants (see each builder's docstring); model ``i`` of a class is drawn from a
``numpy.random.Generator`` seeded with ``(crc32(class name), i)``, so it is the same shape on
every machine and in every process. Solids are built from manifold3d primitives and booleans,
so every mesh is watertight and free of degenerate faces.

Frame: +Y up, the object's front towards -Z, standing on y = 0 (``ShapeSource.load`` then
normalises into the unit cube).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import trimesh

from ...categories import CATEGORY_NAMES, get_category, resolve_category
from ..base import ShapeLoadError, ShapeSource
from . import furniture, objects, vehicles
from ._parts import Manifold, to_trimesh

Builder = Callable[[np.random.Generator], tuple[Manifold, dict[str, str]]]

#: One builder per canonical category name.
BUILDERS: dict[str, Builder] = {
    "table": furniture.table,
    "chair": furniture.chair,
    "airplane": vehicles.airplane,
    "car": vehicles.car,
    "sofa": furniture.sofa,
    "rifle": vehicles.rifle,
    "lamp": objects.lamp,
    "watercraft": vehicles.watercraft,
    "bench": furniture.bench,
    "loudspeaker": objects.loudspeaker,
    "cabinet": furniture.cabinet,
    "display": objects.display,
    "telephone": objects.telephone,
    "bus": vehicles.bus,
    "bathtub": furniture.bathtub,
    "cellphone": objects.cellphone,
    "guitar": objects.guitar,
    "faucet": objects.faucet,
    "clock": objects.clock,
    "flowerpot": objects.flowerpot,
    "jar": objects.jar,
}

#: Width of the zero-padded decimal model ids ("000000", "000001", ...).
ID_WIDTH = 6


def model_rng(category: str, index: int) -> np.random.Generator:
    """The generator that fixes model ``index`` of ``category`` (a canonical name).

    Seeded from ``crc32`` of the name (stable across processes, unlike Python's ``hash``).
    """
    return np.random.default_rng([zlib.crc32(category.encode("utf-8")), int(index)])


def build_model(category: str, index: int) -> tuple[Manifold, dict[str, str]]:
    """The solid of model ``index`` of a category (name, alias or synset id) and its variant.

    The variant dict names the structural choices (e.g. ``{"base": "swivel", "back": "slatted"}``).
    """
    name = resolve_category(category)
    if name not in BUILDERS:
        raise ShapeLoadError(f"procedural source has no category {category!r}")
    count = get_category(name).count
    if not 0 <= index < count:
        raise ShapeLoadError(f"{name}: model index {index} out of range [0, {count})")
    solid, variant = BUILDERS[name](model_rng(name, index))
    return solid, variant


class ProceduralSource(ShapeSource):
    """The embedded default source: 21 ShapeNet-like classes, generated on demand.

    Model ids are zero-padded indices, ``"000000"`` to ``count - 1``, with ShapeNet's count per
    class. Nothing is cached: a chair takes a few milliseconds to build.
    """

    spec = "procedural"

    def list_categories(self) -> list[str]:
        """The 21 canonical class names, largest class first."""
        return list(CATEGORY_NAMES)

    def list_models(self, category: str) -> list[str]:
        """Model ids ``"000000"`` ... of a category (name, alias or synset id)."""
        name = resolve_category(category)
        if name not in BUILDERS:
            raise ShapeLoadError(f"procedural source has no category {category!r}")
        return [f"{i:0{ID_WIDTH}d}" for i in range(get_category(name).count)]

    def variant(self, category: str, model_id: str) -> dict[str, str]:
        """The structural choices behind a model, e.g. ``{"base": "sled", "back": "frame"}``."""
        return build_model(category, _parse_id(category, model_id))[1]

    def _load_raw(self, category: str, model_id: str) -> trimesh.Trimesh:
        """The model's watertight mesh in the world frame (+Y up, front -Z), floor at y = 0."""
        solid, _ = build_model(category, _parse_id(category, model_id))
        mesh = to_trimesh(solid)
        if len(mesh.faces) == 0:
            raise ShapeLoadError(f"{category}/{model_id}: generator produced an empty solid")
        return mesh


def _parse_id(category: str, model_id: str) -> int:
    """Index of a procedural model id; a clear error for anything else."""
    if not (model_id.isdigit() and len(model_id) == ID_WIDTH):
        raise ShapeLoadError(
            f"{category}/{model_id}: not a procedural model id (expected {ID_WIDTH} digits)"
        )
    return int(model_id)
