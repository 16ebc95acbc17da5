"""Fixtures for the evaluation tests: a small classifier trained on two classes' renders.

Its rendered class files double as the FID test data. Everything is rendered once per session (GL);
tests that use these fixtures are marked ``gl``.
"""

from __future__ import annotations

import pytest

from shapenet_render.pool import load_triton_before_gl

# The classifier trains in this process; torch.optim must find triton loaded before any GL context.
load_triton_before_gl()

#: Classes of the test classifier.
TEST_CLASSES = ("chair", "airplane")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Run these tests on one torch thread: on a shared 2-core machine, two OpenMP threads that
    wait on each other are many times slower than one (measured: ~10x for Inception steps)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def smoke_classifier(tmp_path_factory):
    """``(config, TrainResult)``: the smoke preset (1/16 width) on 48 models x 2 views of
    :data:`TEST_CLASSES`, trained long enough (10 epochs, ~60 steps) for its features to tell the
    classes apart, which the FID sanity tests rely on."""
    import torch

    from benchmark.metrics.classifier import preset
    from benchmark.metrics.classifier_train import train_classifier

    config = preset(
        "smoke", categories=TEST_CLASSES, models_per_class=48, epochs=10, lr=2e-3, render_workers=2
    )
    out = tmp_path_factory.mktemp("classifier")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return config, train_classifier(config, out)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def class_files(smoke_classifier):
    """Class name -> the classifier's rendered dataset file (48 models x 2 views, 32^2)."""
    from benchmark.metrics.classifier_train import class_data_path

    config, result = smoke_classifier
    data = result.checkpoint.parent / "data"
    return {c: class_data_path(config, c, data) for c in config.categories}
