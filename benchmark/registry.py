"""The training loop's method registry, filled from the top layer (see :func:`register_methods`)."""


def register_methods() -> None:
    """Make every method known to the training loop's registry (``iggan.methods.METHODS``): the
    baselines register themselves when ``baselines.methods`` is imported. ``iggan`` never imports
    upwards, so every entry point that builds a method by name calls this first."""
    try:
        import baselines.methods  # noqa: F401
    except ImportError:  # a tree without baselines knows IG-GAN only
        pass
