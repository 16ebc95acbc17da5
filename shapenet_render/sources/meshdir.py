"""``meshdir:PATH``: a folder of mesh files, one sub-folder per category.

Layout: ``<PATH>/<category>/<any name>.{obj,glb,gltf,ply,off,stl}`` (files directly in the category
folder; other files are ignored). Model ids are the file names, extension included, so
``chair1.obj`` and ``chair1.ply`` are two models. Category folders are used under their own names;
a folder named after a registry alias or synset id ("chairs", "couches", "03001627") is also found
by any other name of that class.

Frame: a ``frame.json`` in the root (for every category) or in a category folder (for that one)
declares which file axis is up and which way the objects face, e.g. ``{"up": "+y", "front": "+z"}``
for glTF-style exports; meshes are rotated into the world frame (+Y up, front towards -Z) on
loading (:mod:`shapenet_render.sources.frames`). Without one, files are taken to be in the world
frame already (ShapeNet v2's).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import trimesh

from shapenet_render.categories import UnknownCategoryError, resolve_category
from shapenet_render.sources.base import (
    ShapeLoadError,
    ShapeSource,
    normalize_mesh,
    unit_cube_vertices,
)
from shapenet_render.sources.frames import Frame, read_frame

#: File extensions read by :class:`MeshDirSource` (lower case).
MESH_EXTENSIONS: tuple[str, ...] = (".obj", ".glb", ".gltf", ".ply", ".off", ".stl")


#: Mesh formats that are always text: read by :func:`_utf8_text` before trimesh parses them.
TEXT_FORMATS: tuple[str, ...] = (".obj", ".off")


def _utf8_text(path: Path) -> io.BytesIO:
    """A text mesh file's content as UTF-8 bytes with ``\\n`` line ends, whatever its encoding.

    UTF-8 (with or without a byte-order mark) is read as such, anything else as Latin-1 (which
    decodes every byte: real-world OBJ files carry Latin-1 names and comments); CRLF and CR line
    ends become LF. trimesh then never needs to guess the encoding (its guesser is an optional
    package). A file with NUL bytes is not text: refused with that reason.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ShapeLoadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if b"\x00" in raw:
        raise ShapeLoadError(f"{path}: not a text {path.suffix} file (it holds NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return io.BytesIO(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))


def load_mesh_file(path: Path) -> trimesh.Trimesh:
    """Read a mesh file as one triangle mesh, in the file's orientation, centred and scaled into
    the unit cube (:func:`~shapenet_render.sources.base.unit_cube_vertices`: any finite offset
    and scale).

    Text formats (OBJ, OFF) are read in any encoding (:func:`_utf8_text`). Multi-part files (a
    scene graph, or an OBJ split by material or object) are merged into one
    mesh with every part's scene transform applied; points and lines are dropped. Materials and
    textures are not read: only geometry is used downstream. Duplicate vertices are welded so that a
    mesh split into parts can still be watertight.

    Raises:
        ShapeLoadError: naming ``path``, if the file cannot be read, holds no triangles, or has
            non-finite vertex coordinates.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    kwargs = {"skip_materials": True} if suffix == ".obj" else {}
    source: Path | io.BytesIO = path
    if suffix in TEXT_FORMATS:
        source, kwargs["file_type"] = _utf8_text(path), suffix[1:]
    try:
        scene = trimesh.load_scene(source, process=False, **kwargs)
        parts = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces) > 0]
    except Exception as exc:  # loaders raise anything from ValueError to IndexError on bad files
        raise ShapeLoadError(f"{path}: cannot read mesh ({type(exc).__name__}: {exc})") from exc
    if not parts:
        raise ShapeLoadError(f"{path}: file contains no triangle faces")
    for p in parts:
        f = np.asarray(p.faces)
        if f.min() < 0 or f.max() >= len(p.vertices):
            raise ShapeLoadError(
                f"{path}: a face refers to a vertex that does not exist "
                f"(index {int(f.max()) if f.max() >= len(p.vertices) else int(f.min())} "
                f"of {len(p.vertices)} vertices)"
            )
    vertices = np.concatenate([np.asarray(p.vertices, dtype=np.float64) for p in parts])
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    faces = np.concatenate([np.asarray(p.faces) + o for p, o in zip(parts, offsets, strict=True)])
    # Checked here, before welding, so that the message names the file.
    if not np.isfinite(vertices[faces]).all():
        raise ShapeLoadError(f"{path}: mesh has non-finite (NaN or infinite) vertices")
    # Welded in the unit cube: trimesh welds on rounded coordinates, which at a far offset (1e12)
    # overflow and merge every vertex into one.
    mesh = trimesh.Trimesh(
        vertices=unit_cube_vertices(vertices, str(path)),
        faces=faces,
        process=False,
    )
    mesh.merge_vertices()
    return mesh


class MeshDirSource(ShapeSource):
    """Meshes from ``<root>/<category>/<name>.<ext>``; see the module docstring."""

    def __init__(self, path: str | Path) -> None:
        self.root = Path(path).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"mesh folder {self.root} does not exist or is not a directory")
        self.spec = f"meshdir:{self.root}"
        self.frame, self.frame_file = read_frame(self.root)
        self._category_frames: dict[Path, tuple[Frame, Path | None]] = {}

    def frame_of(self, category: str) -> tuple[Frame, Path | None]:
        """The frame of a category's files and the ``frame.json`` that declared it (None: the
        world frame, undeclared): the category folder's own, else the root's."""
        folder = self.category_dir(category)
        if folder not in self._category_frames:
            self._category_frames[folder] = read_frame(folder, inherited=self.frame)
            if self._category_frames[folder][1] is None:
                self._category_frames[folder] = (self.frame, self.frame_file)
        return self._category_frames[folder]

    def list_categories(self) -> list[str]:
        """Category folder names, as they are on disk, sorted."""
        return sorted(
            d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith(".")
        )

    def category_dir(self, category: str) -> Path:
        """The folder of a category given by folder name, registry name, alias or synset id."""
        folders = self.list_categories()
        if category in folders:
            return self.root / category
        lowered = {f.lower(): f for f in folders}
        if category.lower() in lowered:
            return self.root / lowered[category.lower()]
        try:
            wanted = resolve_category(category)
        except UnknownCategoryError:
            wanted = None
        if wanted is not None:
            for folder in folders:
                try:
                    if resolve_category(folder) == wanted:
                        return self.root / folder
                except UnknownCategoryError:
                    continue
        raise UnknownCategoryError(
            f"no category {category!r} in {self.spec}; its category folders are: "
            f"{', '.join(folders) or '(none)'}"
        )

    def list_models(self, category: str) -> list[str]:
        """File names (with extension) of the category's mesh files, sorted."""
        folder = self.category_dir(category)
        return sorted(
            f.name
            for f in folder.iterdir()
            if f.is_file() and f.suffix.lower() in MESH_EXTENSIONS and not f.name.startswith(".")
        )

    def model_path(self, category: str, model_id: str) -> Path:
        """Path of a model's file."""
        return self.category_dir(category) / model_id

    def _load_raw(self, category: str, model_id: str) -> trimesh.Trimesh:
        path = self.model_path(category, model_id)
        if not path.is_file():
            raise ShapeLoadError(f"{path}: no such file")
        mesh = load_mesh_file(path)
        frame, _ = self.frame_of(category)
        if not frame.is_world:
            mesh.vertices = np.asarray(mesh.vertices) @ frame.to_world().T
        return mesh

    def load(self, category: str, model_id: str) -> trimesh.Trimesh:
        """The model normalised into the unit cube; errors name the file."""
        path = self.model_path(category, model_id)
        return normalize_mesh(self._load_raw(category, model_id), name=str(path))
