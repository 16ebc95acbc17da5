"""``shapenet:PATH``: a user's ShapeNetCore v1 or v2 copy, read as it is.

Layouts, detected per model (a copy may mix them):

- v2: ``<PATH>/<synset>/<model id>/models/model_normalized.obj``
- v1: ``<PATH>/<synset>/<model id>/model.obj``

Categories are the synset folders. A category is accepted by synset id, by our registry's name or
alias (:mod:`shapenet_render.categories`), or by any name that ``<PATH>/taxonomy.json`` (ShapeNet's
own file: a list of ``{"synsetId", "name", "children", "numInstances"}``, ``name`` a comma-separated
list such as ``"sofa,couch,lounge"``) gives the synset. :meth:`ShapeNetSource.list_categories`
reports the registry's canonical name for the 21 classes it knows, so that datasets from every
source name classes alike, and otherwise the taxonomy's first name, or the synset id when there is
no taxonomy.

Orientation. Both versions have +Y up. v2 (``model_normalized.obj``) has the object's front
towards -Z, which is our world frame, so v2 meshes are used unrotated. v1 (``model.obj``) has the
front towards +X: the ShapeNet team's own toolkit (smartscenes/sstk, ``ssc/config/
render_shapenetv1_obj.json`` vs ``render_shapenetv2_obj.json``) declares ``defaultUp [0, 1, 0]``
with ``defaultFront [1, 0, 0]`` for v1 and ``[0, 0, -1]`` for v2; independent conversion code
(J. Guo's ``shapenet_to_srn.py``, whose ShapeNet v1->SRN and v2->SRN rotations differ by exactly
this matrix) agrees. v1 vertices are therefore rotated by +90 degrees about +Y, ``(x, y, z) -> (z,
y, -x)`` (:data:`V1_TO_WORLD`), which takes the v1 front +X to -Z and keeps +Y up. The scale and
offset differences between versions (v1: unit bounding-box diagonal; v2: its own normalisation) do
not matter: every mesh is renormalised into the unit cube.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import trimesh

from shapenet_render.categories import UnknownCategoryError, get_category
from shapenet_render.sources.base import ShapeLoadError, ShapeSource, normalize_mesh
from shapenet_render.sources.meshdir import load_mesh_file

#: Rotation ``(3, 3)`` taking ShapeNetCore v1 coordinates (+Y up, front +X) into the world frame
#: (+Y up, front -Z): +90 degrees about +Y, ``(x, y, z) -> (z, y, -x)``. Apply as ``R @ v``.
V1_TO_WORLD: np.ndarray = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])

V2_FILE = Path("models") / "model_normalized.obj"
V1_FILE = Path("model.obj")

_SYNSET = re.compile(r"\d{8}")


def _read_taxonomy(path: Path) -> dict[str, list[str]]:
    """Synset id -> its names (lower case, in the taxonomy's order) from a ShapeNet taxonomy.json.

    A missing file gives an empty mapping; an unreadable one raises ValueError naming it.
    """
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        names = {}
        for entry in entries:
            words = [w.strip().lower() for w in str(entry["name"]).split(",") if w.strip()]
            names[str(entry["synsetId"])] = words
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a ShapeNet taxonomy.json ({exc})") from exc
    return names


class ShapeNetSource(ShapeSource):
    """ShapeNetCore v1/v2 models under ``root``; see the module docstring."""

    def __init__(self, path: str | Path) -> None:
        self.root = Path(path).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"ShapeNet folder {self.root} does not exist or is not a directory"
            )
        self.spec = f"shapenet:{self.root}"
        taxonomy = _read_taxonomy(self.root / "taxonomy.json")
        self._synsets = sorted(
            d.name for d in self.root.iterdir() if d.is_dir() and _SYNSET.fullmatch(d.name)
        )
        self._name: dict[str, str] = {}  # synset -> reported category name
        self._lookup: dict[str, str] = {}  # lower-case reported or taxonomy name -> synset
        for synset in self._synsets:
            try:
                name = get_category(synset).name
            except UnknownCategoryError:
                name = (taxonomy.get(synset) or [synset])[0]
            self._name[synset] = name
            for key in (name, *taxonomy.get(synset, [])):
                self._lookup.setdefault(key.lower(), synset)

    def list_categories(self) -> list[str]:
        """Category names of the synset folders present (see the module docstring), sorted."""
        return sorted(self._name.values())

    def synset(self, category: str) -> str:
        """The synset id of a category given by synset id, registry name or alias, or taxonomy name."""
        key = category.strip().lower()
        if key in self._name:
            return key
        # The registry first, so that its names mean the same class in every source; then the
        # taxonomy's names, which also cover classes the registry does not know.
        try:
            known = get_category(key)
        except (UnknownCategoryError, KeyError):  # KeyError: "cubes" is no ShapeNet class
            known = None
        if known is not None and known.synset in self._name:
            return known.synset
        if key in self._lookup:
            return self._lookup[key]
        if known is None:
            problem = f"unknown category {category!r} for {self.spec}"
        else:
            problem = f"{self.spec} has no folder {known.synset} ({known.name})"
        raise UnknownCategoryError(
            f"{problem}; its categories are: {', '.join(self.list_categories()) or '(none)'}"
        )

    def list_models(self, category: str) -> list[str]:
        """Model ids (the model folders' names) of a category, sorted."""
        folder = self.root / self.synset(category)
        return sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))

    def model_path(self, category: str, model_id: str) -> tuple[Path, int]:
        """The model's OBJ file and its ShapeNetCore version (2 if both layouts are present).

        Raises:
            ShapeLoadError: if the model folder holds neither layout's file.
        """
        folder = self.root / self.synset(category) / model_id
        for version, name in ((2, V2_FILE), (1, V1_FILE)):
            if (folder / name).is_file():
                return folder / name, version
        raise ShapeLoadError(f"{folder}: no {V2_FILE} (ShapeNetCore v2) or {V1_FILE} (v1)")

    def _read(self, category: str, model_id: str) -> tuple[trimesh.Trimesh, Path]:
        """The model in the world frame (not normalised) and its file."""
        path, version = self.model_path(category, model_id)
        mesh = load_mesh_file(path)
        if version == 1:
            mesh.vertices = np.asarray(mesh.vertices) @ V1_TO_WORLD.T
        return mesh, path

    def _load_raw(self, category: str, model_id: str) -> trimesh.Trimesh:
        return self._read(category, model_id)[0]

    def load(self, category: str, model_id: str) -> trimesh.Trimesh:
        """The model in the world frame, normalised into the unit cube; errors name the file."""
        mesh, path = self._read(category, model_id)
        return normalize_mesh(mesh, name=str(path))

    def category_name(self, category: str) -> str:
        """The name :meth:`list_categories` reports for a category given in any accepted form."""
        return self._name[self.synset(category)]
