"""Every method igbench trains, named in one place: ``igbench train NAME`` -> its class.

IG-GAN lives in :mod:`iggan.methods`; the paper's baselines live one layer up, in
:mod:`baselines.methods`, because they build on IG-GAN's networks and losses. So that the training
loop (here, in the lower layer) can build any of them without importing upwards, each entry names
its class by module path and the class is imported on first use. Nothing registers itself by
being imported.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iggan.methods import Method


class UnknownMethodError(ValueError):
    """A method name that the registry does not hold."""


@dataclass(frozen=True)
class MethodEntry:
    name: str
    """The CLI's name (``igbench train NAME``, ``TrainConfig.method``)."""
    target: str
    """``module:Class`` of the :class:`iggan.methods.Method` subclass."""
    summary: str
    """One line for ``igbench train --help``."""


METHODS: dict[str, MethodEntry] = {
    e.name: e
    for e in (
        MethodEntry(
            "iggan",
            "iggan.methods:IGGAN",
            "IG-GAN (Lunz et al. 2020): 3D generator, neural renderer with DOM, off-the-shelf "
            "renderer in the loop.",
        ),
        MethodEntry(
            "visual-hull",
            "baselines.methods:VisualHull",
            "The Visual Hull baseline (Gadelha et al. 2017) on a visual-hull dataset.",
        ),
        MethodEntry(
            "absorption-only",
            "baselines.methods:AbsorptionOnly",
            "The Absorption-Only baseline (Henzler et al. 2019) on an absorption-only dataset.",
        ),
        MethodEntry(
            "dcgan",
            "baselines.methods:DCGAN2D",
            "The 2D-DCGAN baseline (images only) on an OpenGL dataset.",
        ),
    )
}

#: The method names, in the tables' row order.
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)


def method_entry(name: str) -> MethodEntry:
    """The registry's entry for ``name``, or :class:`UnknownMethodError` listing the names."""
    try:
        return METHODS[name]
    except KeyError:
        raise UnknownMethodError(
            f"unknown method {name!r}; choose one of {', '.join(METHOD_NAMES)}"
        ) from None


def method_class(name: str) -> type[Method]:
    """The :class:`iggan.methods.Method` subclass that trains ``name``."""
    module, _, attr = method_entry(name).target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if cls.name != name:  # the entry and the class must agree on the name checkpoints record
        raise UnknownMethodError(f"registry entry {name!r} points at {cls.__name__} ({cls.name!r})")
    return cls
