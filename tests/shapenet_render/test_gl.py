from __future__ import annotations

import pytest

from shapenet_render import gl


def test_unknown_backend_is_rejected():
    with pytest.raises(gl.GLUnavailableError, match="unknown GL backend"):
        gl.requested_backend("vulkan")


def test_env_var_selects_backend(monkeypatch):
    monkeypatch.setenv(gl.ENV_VAR, "osmesa")
    assert gl.requested_backend() == "osmesa"
    monkeypatch.delenv(gl.ENV_VAR)
    assert gl.requested_backend() == "egl"
