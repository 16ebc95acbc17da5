"""Declared frames of mesh folders: which file axis is up and which way the object faces.

igbench's world frame is ShapeNet v2's: +Y up, the object's front towards -Z
(docs/conventions.md). Mesh files from elsewhere often differ: glTF and most exported furniture
face +Z, some assets are Z-up. A mesh folder declares its frame in a ``frame.json`` beside its
category folders (for the whole source) or inside one category folder (for that category only)::

    {"up": "+y", "front": "+z"}

Each value is one of ``+x -x +y -y +z -z``; ``up`` and ``front`` must be perpendicular. Without a
file the frame is the world's (``{"up": "+y", "front": "-z"}``). Loading rotates every mesh so that
its declared up becomes +Y and its declared front -Z (:meth:`Frame.to_world`); a proper rotation,
never a mirror. Nothing is guessed from the geometry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The file each folder may hold to declare its frame.
FRAME_FILE = "frame.json"
#: Axis names and their unit vectors.
AXES: dict[str, tuple[float, float, float]] = {
    "+x": (1.0, 0.0, 0.0),
    "-x": (-1.0, 0.0, 0.0),
    "+y": (0.0, 1.0, 0.0),
    "-y": (0.0, -1.0, 0.0),
    "+z": (0.0, 0.0, 1.0),
    "-z": (0.0, 0.0, -1.0),
}


@dataclass(frozen=True)
class Frame:
    """A mesh file's axes: ``up`` and ``front`` (where the object faces), each ``±x|±y|±z``."""

    up: str = "+y"
    front: str = "-z"

    def __post_init__(self):
        for name in ("up", "front"):
            value = getattr(self, name)
            if value not in AXES:
                raise ValueError(f"{name} {value!r}: expected one of {' '.join(AXES)}")
        if abs(float(np.dot(AXES[self.up], AXES[self.front]))) > 0:
            raise ValueError(f"up {self.up} and front {self.front} must be perpendicular axes")

    @property
    def is_world(self) -> bool:
        return self == Frame()

    def to_world(self) -> np.ndarray:
        """``(3, 3)`` rotation taking file coordinates to the world frame (apply as ``R @ v``):
        up -> +Y, front -> -Z, and so up x front -> (+Y) x (-Z) = -X; det = +1."""
        up, front = np.array(AXES[self.up]), np.array(AXES[self.front])
        file_basis = np.stack([up, front, np.cross(up, front)], axis=1)
        world_basis = np.stack(
            [np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0]), np.array([-1.0, 0.0, 0.0])],
            axis=1,
        )
        return world_basis @ file_basis.T  # file_basis is orthonormal: its inverse is its transpose

    def describe(self) -> str:
        return f"up {self.up}, front {self.front}"


def read_frame(folder: Path, inherited: Frame | None = None) -> tuple[Frame, Path | None]:
    """The frame a folder declares in its ``frame.json``, or ``inherited`` (default: the world's)
    when it has none. Returns the frame and the file it came from (None when inherited).

    Raises ValueError naming the file when it is not a JSON object with valid ``up`` and ``front``.
    """
    path = Path(folder) / FRAME_FILE
    if not path.is_file():
        return inherited or Frame(), None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if not isinstance(data, dict):
            raise ValueError('expected a JSON object like {"up": "+y", "front": "+z"}')
        unknown = sorted(set(data) - {"up", "front"})
        if unknown:
            raise ValueError(f"unknown keys {', '.join(unknown)} (expected up, front)")
        base = inherited or Frame()
        frame = Frame(
            up=str(data.get("up", base.up)).lower(),
            front=str(data.get("front", base.front)).lower(),
        )
    except (ValueError, UnicodeDecodeError) as exc:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{path}: bad frame declaration ({exc})") from None
    return frame, path
