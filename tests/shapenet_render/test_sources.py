"""Shape sources: ShapeNet v1/v2 layouts, mesh folders, cubes, the spec registry, skip-and-count."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import trimesh

from shapenet_render.categories import UnknownCategoryError
from shapenet_render.sources.base import ShapeLoadError
from shapenet_render.sources.cubes import CubesSource, cubes_mesh
from shapenet_render.sources.meshdir import MeshDirSource
from shapenet_render.sources.registry import (
    LoadReport,
    SkippedModelWarning,
    get_source,
    load_many,
)
from shapenet_render.sources.shapenet import V1_TO_WORLD, ShapeNetSource

CHAIR, SOFA, BAG = "03001627", "04256520", "02773838"


def _chair_like() -> trimesh.Trimesh:
    """An asymmetric shape in the world frame: a seat, a tall back behind it (+Z) and a footrest
    sticking out at the front (-Z) on the +X side, so up, front and left/right all show."""
    seat = trimesh.creation.box(extents=[0.5, 0.1, 0.5])
    back = trimesh.creation.box(extents=[0.5, 0.6, 0.1])
    back.apply_translation([0.0, 0.35, 0.2])  # up and behind
    foot = trimesh.creation.box(extents=[0.1, 0.1, 0.3])
    foot.apply_translation([0.15, -0.1, -0.4])  # in front, towards +X
    return trimesh.util.concatenate([seat, back, foot])


def _features(mesh: trimesh.Trimesh) -> np.ndarray:
    """Centre of mass of the vertices above the seat and of those in front of it: (2, 3)."""
    v = np.asarray(mesh.vertices)
    return np.stack([v[v[:, 1] > 0.1].mean(axis=0), v[v[:, 2] < -0.3].mean(axis=0)])


def _write_obj(mesh: trimesh.Trimesh, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh.export(path)


def _two_material_obj(path: Path) -> None:
    """An OBJ with two materials (one box each) and an .mtl file, as ShapeNet ships them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    a = trimesh.creation.box(extents=[0.4, 0.2, 0.2])
    b = trimesh.creation.box(extents=[0.2, 0.6, 0.2])
    b.apply_translation([0.5, 0.0, 0.0])
    lines = ["mtllib model.mtl"]
    lines += [f"v {x} {y} {z}" for x, y, z in np.vstack([a.vertices, b.vertices])]
    for name, mesh, offset in (("red", a, 1), ("blue", b, 1 + len(a.vertices))):
        lines.append(f"usemtl {name}")
        lines += [f"f {i + offset} {j + offset} {k + offset}" for i, j, k in mesh.faces]
    path.write_text("\n".join(lines) + "\n")
    (path.parent / "model.mtl").write_text("newmtl red\nKd 1 0 0\nnewmtl blue\nKd 0 0 1\n")


@pytest.fixture
def shapenet_root(tmp_path: Path) -> Path:
    """A tiny ShapeNet copy: chairs in both layouts, a two-material sofa, a broken and an empty model,
    a class our registry does not know, and a taxonomy.json."""
    root = tmp_path / "ShapeNetCore"
    chair = _chair_like()
    _write_obj(chair, root / CHAIR / "v2chair" / "models" / "model_normalized.obj")
    # The same chair as ShapeNetCore v1 stores it: +Y up, front towards +X. Written out by hand
    # (world -> v1 is -90 degrees about +Y: x1 = -z, z1 = x), independently of V1_TO_WORLD.
    x, y, z = np.asarray(chair.vertices).T
    v1_chair = trimesh.Trimesh(np.column_stack([-z, y, x]), chair.faces, process=False)
    _write_obj(v1_chair, root / CHAIR / "v1chair" / "model.obj")
    (root / CHAIR / "nofile").mkdir()
    empty = root / CHAIR / "emptychair" / "models" / "model_normalized.obj"
    empty.parent.mkdir(parents=True)
    empty.write_text("")
    _two_material_obj(root / SOFA / "sofa1" / "models" / "model_normalized.obj")
    _write_obj(
        trimesh.creation.icosphere(2), root / BAG / "bag1" / "models" / "model_normalized.obj"
    )
    taxonomy = [
        {"synsetId": CHAIR, "name": "chair", "children": [], "numInstances": 4},
        {"synsetId": SOFA, "name": "sofa,couch,lounge", "children": [], "numInstances": 1},
        {
            "synsetId": BAG,
            "name": "bag,traveling bag,travelling bag",
            "children": [],
            "numInstances": 1,
        },
    ]
    (root / "taxonomy.json").write_text(json.dumps(taxonomy))
    return root


def test_shapenet_lists_categories_and_models(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    assert source.spec == f"shapenet:{shapenet_root}"
    # Registry names for known classes, the taxonomy's first name for the others.
    assert source.list_categories() == ["bag", "chair", "sofa"]
    assert source.list_models("chair") == ["emptychair", "nofile", "v1chair", "v2chair"]


@pytest.mark.parametrize("name", ["chair", "chairs", "CHAIRS", CHAIR])
def test_shapenet_category_by_name_alias_or_synset(shapenet_root, name):
    assert ShapeNetSource(shapenet_root).synset(name) == CHAIR


def test_shapenet_taxonomy_names(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    assert source.synset("couches") == SOFA  # registry alias
    assert source.synset("lounge") == SOFA  # taxonomy only
    assert source.synset("travelling bag") == BAG  # a class the registry does not know
    assert source.list_models("bag") == ["bag1"]


def test_shapenet_without_taxonomy_uses_registry_and_synset(shapenet_root):
    (shapenet_root / "taxonomy.json").unlink()
    source = ShapeNetSource(shapenet_root)
    assert source.list_categories() == [BAG, "chair", "sofa"]
    assert source.synset("couch") == SOFA


def test_shapenet_unknown_or_missing_category(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    with pytest.raises(UnknownCategoryError, match="no folder 02808440"):
        source.list_models("bathtubs")  # a registry class this copy lacks
    with pytest.raises(UnknownCategoryError, match="unknown category 'spaceship'"):
        source.list_models("spaceship")


def test_shapenet_v1_and_v2_load_into_the_same_world_frame(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    v2 = source.load("chair", "v2chair")
    v1 = source.load("chair", "v1chair")
    np.testing.assert_allclose(v1.bounds, v2.bounds, atol=1e-9)
    np.testing.assert_allclose(_features(v1), _features(v2), atol=1e-9)
    # And that frame is ours: the back is up and behind (+Z), the footrest in front (-Z), at +X.
    back, foot = _features(v2)
    assert back[1] > 0.2 and back[2] > 0.1
    assert foot[2] < -0.3 and foot[0] > 0.05


def test_v1_rotation_takes_front_plus_x_to_minus_z_and_keeps_up():
    np.testing.assert_allclose(V1_TO_WORLD @ [1.0, 0.0, 0.0], [0.0, 0.0, -1.0])
    np.testing.assert_allclose(V1_TO_WORLD @ [0.0, 1.0, 0.0], [0.0, 1.0, 0.0])
    assert np.linalg.det(V1_TO_WORLD) == pytest.approx(1.0)  # a rotation, not a mirror


def test_shapenet_multi_material_obj_is_merged(shapenet_root):
    mesh = ShapeNetSource(shapenet_root).load("sofa", "sofa1")
    assert len(mesh.faces) == 24  # both boxes
    assert len(mesh.split(only_watertight=False)) == 2
    lo, hi = mesh.bounds
    np.testing.assert_allclose(hi - lo, [1.0, 0.6 / 0.8, 0.2 / 0.8], atol=1e-9)  # normalised


def test_shapenet_broken_models_raise_naming_the_file(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    with pytest.raises(ShapeLoadError, match="emptychair.*no triangle faces"):
        source.load("chair", "emptychair")
    with pytest.raises(ShapeLoadError, match="nofile.*model_normalized.obj"):
        source.load("chair", "nofile")


def test_load_many_skips_and_counts(shapenet_root):
    source = ShapeNetSource(shapenet_root)
    report = LoadReport()
    with pytest.warns(SkippedModelWarning) as caught:
        results = list(load_many(source, "chairs", report=report))
    assert [model_id for model_id, _ in results] == source.list_models("chair")
    assert [mesh is None for _, mesh in results] == [True, True, False, False]
    assert report.loaded == 2 and report.n_skipped == 2
    assert report.summary() == "2 models loaded, 2 skipped"
    messages = [str(w.message) for w in caught]
    assert any("emptychair" in m for m in messages) and any("nofile" in m for m in messages)


@pytest.fixture
def mesh_root(tmp_path: Path) -> Path:
    """A mesh folder: an open (non-watertight) mesh, an empty file, a two-part GLB scene, a NaN
    mesh, files in several formats, and a folder named by an alias."""
    root = tmp_path / "meshes"
    (root / "couches").mkdir(parents=True)
    (root / "gadgets").mkdir()
    open_box = trimesh.creation.box(extents=[0.5, 0.3, 0.2])
    open_box.update_faces(np.arange(len(open_box.faces)) >= 2)  # remove one side: a hole
    assert not open_box.is_watertight
    open_box.export(root / "couches" / "open.ply")
    trimesh.creation.icosphere(2).export(root / "couches" / "ball.stl")
    trimesh.creation.box().export(root / "couches" / "cube.off")
    (root / "couches" / "empty.obj").write_text("")
    (root / "couches" / "nan.obj").write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    (root / "couches" / "notes.txt").write_text("not a mesh")
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(extents=[0.2, 0.2, 0.2]), node_name="a")
    scene.add_geometry(
        trimesh.creation.box(extents=[0.2, 0.2, 0.2]),
        node_name="b",
        transform=trimesh.transformations.translation_matrix([1.0, 0.0, 0.0]),
    )
    scene.export(root / "gadgets" / "pair.glb")
    return root


def test_meshdir_listing(mesh_root):
    source = MeshDirSource(mesh_root)
    assert source.spec == f"meshdir:{mesh_root}"
    assert source.list_categories() == ["couches", "gadgets"]  # folder names as given
    assert source.list_models("couches") == [
        "ball.stl",
        "cube.off",
        "empty.obj",
        "nan.obj",
        "open.ply",
    ]
    # The alias folder is found by the registry's name and synset id too; unknown names are usable.
    assert source.list_models("sofa") == source.list_models("couches")
    assert source.list_models(SOFA) == source.list_models("couches")
    assert source.list_models("gadgets") == ["pair.glb"]
    with pytest.raises(UnknownCategoryError, match="no category 'chairs'"):
        source.list_models("chairs")


def test_meshdir_loads_non_watertight_and_normalises(mesh_root):
    mesh = MeshDirSource(mesh_root).load("couches", "open.ply")
    assert not mesh.is_watertight
    lo, hi = mesh.bounds
    np.testing.assert_allclose((lo + hi) / 2, 0.0, atol=1e-12)
    assert (hi - lo).max() == pytest.approx(1.0)


def test_meshdir_glb_scene_parts_are_merged_with_their_transforms(mesh_root):
    mesh = MeshDirSource(mesh_root).load("gadgets", "pair.glb")
    assert len(mesh.faces) == 24
    lo, hi = mesh.bounds
    # Two 0.2 cubes 1.0 apart along X: 1.2 x 0.2 x 0.2 before normalisation.
    np.testing.assert_allclose(hi - lo, [1.0, 0.2 / 1.2, 0.2 / 1.2], atol=1e-9)


def test_meshdir_broken_files_are_skipped_and_counted(mesh_root):
    source = MeshDirSource(mesh_root)
    report = LoadReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = dict(load_many(source, "couches", report=report))
    assert {k for k, v in loaded.items() if v is None} == {"empty.obj", "nan.obj"}
    assert report.loaded == 3 and report.n_skipped == 2
    skipped = [str(w.message) for w in caught if issubclass(w.category, SkippedModelWarning)]
    assert any(str(mesh_root / "couches" / "empty.obj") in m for m in skipped)
    assert any("nan.obj" in m and "non-finite" in m for m in skipped)


def test_cubes_are_deterministic_watertight_and_varied():
    source = CubesSource(count=20)
    assert source.list_categories() == ["cubes"]
    ids = source.list_models("cubes")
    assert ids[:2] == ["00000", "00001"] and len(ids) == 20
    a, b = source.load("cubes", "00007"), source.load("cubes", "00007")
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)
    # Model i does not depend on the source's size or on other models.
    np.testing.assert_array_equal(cubes_mesh(7).vertices, cubes_mesh(7).vertices)
    meshes = [source.load("cubes", i) for i in ids]
    assert all(m.is_watertight for m in meshes)
    assert len({len(m.faces) for m in meshes}) > 1  # single boxes and unions
    assert len({tuple(np.round(m.bounds.ravel(), 6)) for m in meshes}) == 20
    with pytest.raises(ShapeLoadError):
        source.load("cubes", "00020")
    with pytest.raises(UnknownCategoryError):
        source.list_models("chairs")


def test_get_source_specs(shapenet_root, mesh_root):
    assert isinstance(get_source(f"shapenet:{shapenet_root}"), ShapeNetSource)
    assert isinstance(get_source(f" meshdir:{mesh_root} "), MeshDirSource)
    assert get_source("cubes").spec == "cubes"
    assert get_source("cubes:12").spec == "cubes:12"
    assert get_source("cubes:12").list_models("cubes")[-1] == "00011"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("shapenet", "needs a folder"),
        ("meshdir:", "needs a folder"),
        ("shapenet:/no/such/dir", "does not exist"),
        ("cubes:many", "positive integer"),
        ("objaverse", "unknown shape source"),
        ("procedural:x", "unknown shape source"),
    ],
)
def test_get_source_rejects_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        get_source(spec)


def _tetra_text(newline: str = "\n", header: str = "") -> str:
    lines = ["v 0 0 0", "v 1 0 0", "v 0 1 0", "v 0 0 1", "f 1 2 3", "f 1 2 4", "f 1 3 4", "f 2 3 4"]
    return header + newline.join(lines) + newline


def test_text_meshes_load_in_any_encoding_and_corrupt_files_say_why(tmp_path):
    from shapenet_render.sources.meshdir import load_mesh_file

    latin1 = tmp_path / "latin1.obj"  # valid; its only non-ASCII content is a Latin-1 comment
    latin1.write_bytes(_tetra_text(header="# chaise \xe9l\xe9gante\n").encode("latin-1"))
    bom_crlf = tmp_path / "bom-crlf.obj"
    bom_crlf.write_bytes(b"\xef\xbb\xbf" + _tetra_text("\r\n", "# caf\u00e9\r\n").encode("utf-8"))
    off = tmp_path / "tetra.off"  # OFF with a Latin-1 comment
    off_text = (
        "OFF\n# \xe9\n4 4 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0 1 3\n3 0 2 3\n3 1 2 3\n"
    )
    off.write_bytes(off_text.encode("latin-1"))
    for path in (latin1, bom_crlf, off):
        mesh = load_mesh_file(path)
        assert len(mesh.faces) == 4 and len(mesh.vertices) == 4, path
    corrupt = tmp_path / "corrupt.obj"
    corrupt.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ShapeLoadError, match="corrupt.obj: not a text .obj file"):
        load_mesh_file(corrupt)
    prose = tmp_path / "prose.obj"
    prose.write_bytes("not a mesh at all \xff\n".encode("latin-1"))
    with pytest.raises(ShapeLoadError, match="prose.obj: file contains no triangle faces"):
        load_mesh_file(prose)


def test_any_finite_offset_and_scale_normalises_and_only_a_point_is_degenerate(tmp_path):
    from shapenet_render.sources.base import normalize_mesh
    from shapenet_render.sources.meshdir import load_mesh_file

    box = trimesh.creation.box(extents=[1.0, 2.0, 0.5])
    far = tmp_path / "far.obj"  # a valid box 1e12 from the origin
    far.write_text(
        "".join(f"v {x} {y} {z}\n" for x, y, z in (box.vertices + 1e12).tolist())
        + "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in box.faces)
    )
    huge = tmp_path / "huge.obj"  # a tetrahedron spanning +-1.7e308
    big = 1.7e308
    corners = [(-big, -big, -big), (big, -big, -big), (-big, big, -big), (-big, -big, big)]
    huge.write_text(
        "".join(f"v {x!r} {y!r} {z!r}\n" for x, y, z in corners)
        + "f 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    )
    point = tmp_path / "point.obj"
    point.write_text("v 1 1 1\nv 1 1 1\nv 1 1 1\nf 1 2 3\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning on the way
        far_mesh = normalize_mesh(load_mesh_file(far), str(far))
        huge_mesh = normalize_mesh(load_mesh_file(huge), str(huge))
    assert len(far_mesh.vertices) == 8 and far_mesh.is_watertight
    np.testing.assert_allclose(np.ptp(far_mesh.vertices, axis=0), [0.5, 1.0, 0.25], atol=1e-3)
    np.testing.assert_allclose(far_mesh.bounds.mean(axis=0), 0.0, atol=1e-3)
    assert len(huge_mesh.vertices) == 4 and huge_mesh.is_watertight
    np.testing.assert_allclose(np.ptp(huge_mesh.vertices, axis=0), [1.0, 1.0, 1.0])
    with pytest.raises(
        ShapeLoadError, match="point.obj: mesh is degenerate \\(all vertices at one"
    ):
        load_mesh_file(point)


def _rotation(axis: str, degrees: float) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(
        np.radians(degrees), {"x": [1, 0, 0], "y": [0, 1, 0], "z": [0, 0, 1]}[axis]
    )


def test_declared_frames_bring_meshes_into_the_world_frame(tmp_path):
    """The same asymmetric chair saved facing +Z (glTF-style), lying on its side (up +X), and
    in the world frame: with the frame declared, all three load identically (back behind the
    seat, the foot in front, -Z)."""
    from shapenet_render.sources.base import normalize_mesh
    from shapenet_render.sources.frames import Frame

    chair = _chair_like()
    expected = _features(normalize_mesh(chair))
    facing_z = chair.copy()
    facing_z.apply_transform(_rotation("y", 180))  # front now towards +Z
    lying = chair.copy()
    lying.apply_transform(_rotation("z", -90))  # up (+Y) now along +X
    for folder, mesh, frame in [
        ("gltf", facing_z, {"front": "+z"}),
        ("lying", lying, {"up": "+x", "front": "-z"}),
        ("plain", chair, None),
    ]:
        (tmp_path / folder).mkdir()
        _write_obj(mesh, tmp_path / folder / "chair.obj")
        if frame is not None:
            (tmp_path / folder / "frame.json").write_text(json.dumps(frame))
    source = MeshDirSource(tmp_path)
    for folder in ("gltf", "lying", "plain"):
        got = _features(source.load(folder, "chair.obj"))
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=folder)
    # Undeclared, the glTF chair would face backwards: its back in front of the seat.
    assert _features(normalize_mesh(facing_z))[0][2] < 0 < expected[0][2]
    # A root frame.json applies to every category without its own.
    (tmp_path / "frame.json").write_text('{"up": "+y", "front": "+z"}')
    (tmp_path / "gltf" / "frame.json").unlink()
    (tmp_path / "plain" / "chair.obj").unlink()
    _write_obj(facing_z, tmp_path / "plain" / "chair.obj")
    source = MeshDirSource(tmp_path)
    np.testing.assert_allclose(_features(source.load("gltf", "chair.obj")), expected, atol=1e-6)
    np.testing.assert_allclose(_features(source.load("plain", "chair.obj")), expected, atol=1e-6)
    assert source.frame_of("lying")[0] == Frame(up="+x", front="-z")
    # Rotations are proper (never mirrors) for every valid declaration.
    for up in ("+x", "-x", "+y", "-y", "+z", "-z"):
        for front in ("+x", "-x", "+y", "-y", "+z", "-z"):
            if up[1] == front[1]:
                continue
            r = Frame(up, front).to_world()
            assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"up": "+y", "front": "+y"}', "perpendicular"),
        ('{"up": "north"}', "expected one of"),
        ('{"up": "+y", "left": "+x"}', "unknown keys left"),
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "bad frame declaration"),
    ],
)
def test_a_bad_frame_declaration_is_one_line_naming_the_file(tmp_path, text, message):
    (tmp_path / "frame.json").write_text(text)
    with pytest.raises(ValueError, match=message) as exc:
        MeshDirSource(tmp_path)
    assert str(tmp_path / "frame.json") in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.gl
def test_with_its_frame_declared_a_plus_z_chair_shows_its_front_at_azimuth_0(tmp_path, renderer64):
    """Rendered from the front (azimuth 0, camera on -Z), the chair's back rests behind the seat:
    the top of the image (the back rest) is farther from the camera than the bottom (seat front,
    foot). Undeclared, the +Z-facing file shows its back: the order flips."""
    from shapenet_render.voxelize import voxelize

    facing_z = _chair_like()
    facing_z.apply_transform(_rotation("y", 180))
    (tmp_path / "declared").mkdir()
    (tmp_path / "undeclared").mkdir()
    for folder in ("declared", "undeclared"):
        _write_obj(facing_z, tmp_path / folder / "chair.obj")
    (tmp_path / "declared" / "frame.json").write_text('{"front": "+z"}')
    source = MeshDirSource(tmp_path)

    def top_minus_bottom_depth(folder):
        grid = voxelize(source.load(folder, "chair.obj"), 32)
        out = renderer64.render_voxels(grid, 0.0, 0.0, outputs=("image", "depth", "mask"))
        rows = np.nonzero(out.mask.any(axis=1))[0]
        top, bottom = rows[: len(rows) // 4], rows[-len(rows) // 4 :]
        depth = lambda r: out.depth[r][out.mask[r]].mean()  # noqa: E731
        return depth(top) - depth(bottom)

    assert top_minus_bottom_depth("declared") > 0.05
    assert top_minus_bottom_depth("undeclared") < -0.05
