"""The one module that owns the OpenGL backend and imports pyrender.

PyOpenGL binds its platform (EGL, OSMesa, GLX) at import time from ``PYOPENGL_PLATFORM``, so the
variable must be set before the first ``import pyrender``/``import OpenGL`` anywhere in the process.
Everything in igbench gets pyrender through :func:`pyrender_module` and GL contexts through
:func:`offscreen_renderer`; nothing else sets the variable.

Backends
    ``egl`` (default): headless Mesa (llvmpipe) or a GPU driver through EGL.
    ``osmesa``: Mesa's off-screen software renderer (Debian ``libosmesa6``); needs PyOpenGL >= 3.1.4.
Select with the ``IGBENCH_GL`` environment variable or the CLI's ``--gl`` option.

Renderers are kept alive for the life of the process: under EGL, deleting one
``OffscreenRenderer`` invalidates the others, and creating one costs far more than rendering.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from types import ModuleType

BACKENDS = ("egl", "osmesa")
ENV_VAR = "IGBENCH_GL"

_DEBIAN_HINT = {
    "egl": "libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libopengl0 libgl1",
    "osmesa": "libosmesa6",
}


class GLUnavailableError(RuntimeError):
    """No working headless OpenGL: names the backend and the Debian packages that provide it."""


_state_lock = threading.Lock()
# Process-global GL state, owned here and nowhere else: the chosen backend and live renderers.
_state: dict = {"backend": None, "renderers": {}}


def requested_backend(backend: str | None = None) -> str:
    """The backend to use: the argument, else ``$IGBENCH_GL``, else ``egl``."""
    name = (backend or os.environ.get(ENV_VAR) or "egl").strip().lower()
    if name not in BACKENDS:
        raise GLUnavailableError(
            f"unknown GL backend {name!r}; choose one of {', '.join(BACKENDS)}"
        )
    return name


def select_backend(backend: str | None = None) -> str:
    """Fix the process's GL backend (idempotent); must run before pyrender is imported.

    Also exports ``IGBENCH_GL`` so that worker processes started later choose the same backend.
    """
    name = requested_backend(backend)
    with _state_lock:
        current = _state["backend"]
        if current is not None and current != name:
            raise GLUnavailableError(
                f"GL backend already initialised as {current!r} in this process; cannot switch to "
                f"{name!r} (start a new process, or set {ENV_VAR}={name} before starting)"
            )
        _state["backend"] = name
        os.environ["PYOPENGL_PLATFORM"] = name
        os.environ[ENV_VAR] = name
    return name


def pyrender_module(backend: str | None = None) -> ModuleType:
    """Import and return pyrender with the selected backend."""
    name = select_backend(backend)
    try:
        return importlib.import_module("pyrender")
    except Exception as exc:  # ImportError, or PyOpenGL failing to load the platform library
        raise GLUnavailableError(_unavailable_message(name, exc)) from exc


def _load_llvm_users_first() -> None:
    """Import triton (if installed) before the first GL context of the process.

    Triton (imported lazily by torch.optim through torch._dynamo) and Mesa's llvmpipe each carry
    their own LLVM; importing triton *after* an llvmpipe context exists segfaults the process.
    Importing it first is harmless (~0.2 s, once per process).
    """
    if importlib.util.find_spec("triton") is not None:
        importlib.import_module("triton")


def offscreen_renderer(width: int, height: int, backend: str | None = None):
    """The process's persistent ``pyrender.OffscreenRenderer`` for a viewport size.

    Created on first use and never deleted (see the module docstring).
    """
    if not _state["renderers"]:
        _load_llvm_users_first()
    pyrender = pyrender_module(backend)
    key = (int(width), int(height))
    with _state_lock:
        renderer = _state["renderers"].get(key)
        if renderer is None:
            try:
                renderer = pyrender.OffscreenRenderer(viewport_width=key[0], viewport_height=key[1])
            except Exception as exc:
                raise GLUnavailableError(_unavailable_message(_state["backend"], exc)) from exc
            _state["renderers"][key] = renderer
    return renderer


def _unavailable_message(backend: str, exc: BaseException) -> str:
    other = "osmesa" if backend == "egl" else "egl"
    return (
        f"headless OpenGL ({backend}) is not available: {type(exc).__name__}: {exc}. "
        f"Install the Debian packages for {backend}: "
        f"`apt-get install -y {_DEBIAN_HINT[backend]}`, "
        f"or use {other} (`{ENV_VAR}={other}` or `--gl {other}`; packages: {_DEBIAN_HINT[other]})."
    )
