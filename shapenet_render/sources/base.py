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
    """Centre the bounding box at the origin and scale the longest side to 1 (a new mesh).

    Holds for any finite vertices: the centre and half-extent are formed from halved
    coordinates, so neither a far offset (1e12) nor a span near the float64 limit (±1.7e308)
    overflows or loses the shape. Raises :class:`ShapeLoadError` naming ``name`` for no faces,
    non-finite vertices, or all vertices at one point (zero extent)."""
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise ShapeLoadError(f"{name}: mesh has no faces")
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.isfinite(verts).all():
        raise ShapeLoadError(f"{name}: mesh has non-finite (NaN or infinite) vertices")
    out = mesh.copy()
    out.vertices = unit_cube_vertices(verts, name)
    return out


def unit_cube_vertices(verts: np.ndarray, name: str = "mesh") -> np.ndarray:
    """(V, 3) finite float64 vertices -> the same shape with its bounding box centred at the
    origin and its longest side 1; overflow-free (see :func:`normalize_mesh`)."""
    half = np.asarray(verts, dtype=np.float64) * 0.5
    lo, hi = half.min(axis=0), half.max(axis=0)
    centre = lo + (hi - lo) * 0.5  # of the halved coordinates: never overflows
    extent = float((hi - lo).max())  # the longest side, halved
    if not extent > 0:
        raise ShapeLoadError(f"{name}: mesh is degenerate (all vertices at one point)")
    return (half - centre) / extent
