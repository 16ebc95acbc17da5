"""Fuzzing the mesh loader and the voxelizer (hypothesis, bounded to seconds).

Whatever a user's mesh folder holds, loading either returns a mesh with triangles or raises
``ShapeLoadError`` with a reason naming the file; normalising and voxelizing a loaded mesh either
gives an ``(N, N, N)`` bool grid or a ``ShapeLoadError``/``ValueError`` saying why. Never another
exception, never a hang.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapenet_render.sources.base import ShapeLoadError, normalize_mesh
from shapenet_render.sources.meshdir import load_mesh_file
from shapenet_render.voxelize import voxelize

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples in every run: a CI failure reproduces here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, 1e-300, 1e12, -1e308, 1.7e308]),
    st.integers(-5, 5).map(float),
)


def _number_text(x: float) -> str:
    return repr(float(x))


@st.composite
def obj_text(draw) -> str:
    n = draw(st.integers(0, 8))
    lines = [f"v {' '.join(_number_text(draw(numbers)) for _ in range(3))}" for _ in range(n)]
    for _ in range(draw(st.integers(0, 8))):
        idx = draw(st.lists(st.integers(-3, n + 2), min_size=1, max_size=5))
        lines.append("f " + " ".join(str(i) for i in idx))
    junk = draw(st.lists(st.text(max_size=20), max_size=3))
    lines += junk
    draw(st.randoms()).shuffle(lines)
    return "\n".join(lines) + "\n"


def _vertex_and_face_lines(draw, n: int, m: int) -> str:
    """``n`` vertex lines of three numbers and ``m`` triangle lines (OFF/PLY bodies); indices
    may point past the vertices or below 0."""
    verts = "".join(
        " ".join(_number_text(draw(numbers)) for _ in range(3)) + "\n" for _ in range(n)
    )
    faces = "".join(
        "3 " + " ".join(str(draw(st.integers(-1, n + 1))) for _ in range(3)) + "\n"
        for _ in range(m)
    )
    return verts + faces


@st.composite
def off_text(draw) -> str:
    n, m = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    return f"OFF\n{n} {m} 0\n" + _vertex_and_face_lines(draw, n, m)


@st.composite
def ply_text(draw) -> str:
    n, m = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    head = (
        "ply\nformat ascii 1.0\n"
        f"element vertex {n}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {m}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    return head + _vertex_and_face_lines(draw, n, m)


def _load_or_reason(path) -> None:
    try:
        mesh = load_mesh_file(path)
    except ShapeLoadError as exc:
        assert str(path) in str(exc)  # the reason names the file
        return
    assert len(mesh.faces) > 0
    try:
        mesh = normalize_mesh(mesh, str(path))
        grid = voxelize(mesh, 8)
    except (ShapeLoadError, ValueError) as exc:
        assert str(exc)
        return
    assert grid.shape == (8, 8, 8) and grid.dtype == bool


@pytest.mark.timeout(120)
@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".obj", ".off", ".ply", ".stl"]))
def test_random_bytes_load_or_are_skipped_with_a_reason(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _load_or_reason(path)


@pytest.mark.timeout(120)
@FUZZ
@given(text=st.one_of(obj_text(), off_text(), ply_text()), latin1=st.booleans())
def test_random_mesh_text_loads_or_is_skipped_with_a_reason(tmp_path, text, latin1):
    suffix = ".obj" if text.startswith(("v", "f")) or "\nv " in text else None
    if text.startswith("OFF"):
        suffix = ".off"
    elif text.startswith("ply"):
        suffix = ".ply"
    path = tmp_path / f"fuzz{suffix or '.obj'}"
    path.write_bytes(text.encode("latin-1", errors="replace") if latin1 else text.encode())
    _load_or_reason(path)


@pytest.mark.timeout(120)
@FUZZ
@given(
    vertices=st.lists(st.tuples(numbers, numbers, numbers), min_size=1, max_size=12),
    faces=st.lists(st.tuples(*(st.integers(0, 11),) * 3), min_size=1, max_size=16),
)
def test_random_triangle_soups_normalise_and_voxelize_or_say_why(vertices, faces):
    import trimesh

    v = np.array(vertices, dtype=np.float64)
    f = np.array([face for face in faces if max(face) < len(v)], dtype=np.int64).reshape(-1, 3)
    mesh = trimesh.Trimesh(vertices=v, faces=f, process=False)
    try:
        mesh = normalize_mesh(mesh, "soup")
        grid = voxelize(mesh, 8)
    except (ShapeLoadError, ValueError) as exc:
        assert str(exc)
        return
    assert grid.shape == (8, 8, 8) and grid.dtype == bool
