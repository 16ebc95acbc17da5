"""``cubes``: random axis-aligned boxes and unions of a few boxes, for renderer pre-training.

The paper (Table 3) pre-trains the neural renderer on "random" shapes as one of three options; this
source provides them. Model ``i`` is a union of 1 to 4 axis-aligned boxes drawn from
``np.random.default_rng([CUBES_SALT, i])``, so it is the same shape on every machine and does not
depend on which other models were generated. Each box after the first is centred inside an earlier
box, so the union is one connected solid; the union is computed with manifold3d and is watertight.
"""

from __future__ import annotations

import numpy as np
import trimesh

from shapenet_render.categories import UnknownCategoryError, resolve_category
from shapenet_render.sources.base import ShapeLoadError, ShapeSource

#: Fixed salt of the per-model random streams (changing it changes every cube shape).
CUBES_SALT = 0x1C8CA52D
#: Default number of models: as many as ShapeNet's tables, the paper's default pre-training set,
#: so that the Table 3 comparison of pre-training sets uses equally many shapes.
DEFAULT_CUBES_COUNT = 8436
#: The only category this source has.
CUBES_CATEGORY = "cubes"


def cubes_mesh(index: int) -> trimesh.Trimesh:
    """Model ``index``: a watertight union of 1-4 axis-aligned boxes (world units, not normalised)."""
    rng = np.random.default_rng([CUBES_SALT, int(index)])
    n_boxes = int(rng.integers(1, 5))
    centres = [np.zeros(3)]
    sizes = [rng.uniform(0.2, 1.0, size=3)]
    for _ in range(n_boxes - 1):
        parent = int(rng.integers(len(centres)))
        # Centre strictly inside the parent so the two boxes overlap in a volume, not a face.
        centres.append(centres[parent] + rng.uniform(-0.45, 0.45, size=3) * sizes[parent])
        sizes.append(rng.uniform(0.1, 0.8, size=3))
    boxes = []
    for centre, size in zip(centres, sizes, strict=True):
        box = trimesh.creation.box(extents=size)
        box.apply_translation(centre)
        boxes.append(box)
    if len(boxes) == 1:
        return boxes[0]
    return trimesh.boolean.union(boxes, engine="manifold")


class CubesSource(ShapeSource):
    """``count`` random box shapes in the single category ``"cubes"``; see the module docstring."""

    def __init__(self, count: int = DEFAULT_CUBES_COUNT) -> None:
        if int(count) <= 0:
            raise ValueError(f"cubes count must be positive, got {count}")
        self.count = int(count)
        self.spec = "cubes" if self.count == DEFAULT_CUBES_COUNT else f"cubes:{self.count}"
        self._width = max(5, len(str(self.count - 1)))

    def list_categories(self) -> list[str]:
        return [CUBES_CATEGORY]

    def _check_category(self, category: str) -> None:
        try:
            ok = resolve_category(category) == CUBES_CATEGORY
        except UnknownCategoryError:
            ok = False
        if not ok:
            raise UnknownCategoryError(
                f"source {self.spec} has only the category 'cubes', not {category!r}"
            )

    def list_models(self, category: str) -> list[str]:
        """Zero-padded model indices, ``"00000"`` to ``count - 1``."""
        self._check_category(category)
        return [f"{i:0{self._width}d}" for i in range(self.count)]

    def _load_raw(self, category: str, model_id: str) -> trimesh.Trimesh:
        self._check_category(category)
        try:
            index = int(model_id)
        except ValueError:
            index = -1
        if not 0 <= index < self.count:
            raise ShapeLoadError(
                f"{self.spec}: no model {model_id!r} (ids are 0..{self.count - 1}, zero-padded)"
            )
        return cubes_mesh(index)
