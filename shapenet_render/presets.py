"""The size presets every part of igbench offers, named once.

``paper``
    The paper's sizes (64^3 voxels, 128^2 images, the full networks): for a GPU.
``cpu``
    32^3 / 64^2 and narrower networks: real results in tens of minutes on 2 CPU cores.
``smoke``
    Toy sizes: seconds, for tests.

Datasets (:func:`shapenet_render.dataset.make_spec`), training and pre-training
(:func:`iggan.config.preset`), the classifier (:func:`benchmark.metrics.classifier.preset`),
evaluation and the tables each define what a preset means for them under these names.
"""

from __future__ import annotations

PRESETS: tuple[str, ...] = ("paper", "cpu", "smoke")


def check_preset(name: str, error: type[Exception] = ValueError) -> str:
    """``name`` when it is a preset, else ``error`` listing the presets."""
    if name not in PRESETS:
        raise error(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return name
