"""The shape-source interface shared by every source."""

from __future__ import annotations

import abc

import numpy as np
import trimesh


class ShapeLoadError(RuntimeError):
    """A model that cannot be used (unreadable, empty, non-finite); batch jobs skip and count these."""


class ShapeSource(abc.ABC):
    """Lists and loads models; every mesh comes back normalised in the project's world frame.

    Subclasses implement :meth:`list_categories`, :meth:`list_models` and :meth:`_load_raw`;
    :meth:`load` normalises and validates.
    """

    #: Short description written into dataset attributes, e.g. ``"procedural"`` or
    #: ``"shapenet:/data/ShapeNetCore.v2"``.
    spec: str = ""

    @abc.abstractmethod
    def list_categories(self) -> list[str]:
        """Canonical names of the categories this source can provide."""

    @abc.abstractmethod
    def list_models(self, category: str) -> list[str]:
        """Model ids of a category, in a fixed (sorted or generated) order."""

    @abc.abstractmethod
    def _load_raw(self, category: str, model_id: str) -> trimesh.Trimesh:
        """The model's mesh in the world frame (+Y up, front towards -Z), any scale or offset."""

    def load(self, category: str, model_id: str) -> trimesh.Trimesh:
        """The model normalised into the unit cube [-0.5, 0.5]^3 (bbox centre at 0, longest side 1).

        Raises :class:`ShapeLoadError` for empty meshes or non-finite vertices.
        """
        mesh = self._load_raw(category, model_id)
        return normalize_mesh(mesh, name=f"{category}/{model_id}")


def normalize_mesh(mesh: trimesh.Trimesh, name: str = "mesh") -> trimesh.Trimesh:
    """Centre the bounding box at the origin and scale the longest side to 1 (a new mesh)."""
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise ShapeLoadError(f"{name}: mesh has no faces")
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.isfinite(verts).all():
        raise ShapeLoadError(f"{name}: mesh has non-finite (NaN or infinite) vertices")
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    extent = float((hi - lo).max())
    if extent <= 0:
        raise ShapeLoadError(f"{name}: mesh is degenerate (zero extent)")
    out = mesh.copy()
    out.vertices = (verts - (lo + hi) / 2.0) / extent
    return out
