"""IG-GAN's phases (iggan.methods): which networks each step may update, and how.

No OpenGL here: the off-the-shelf renders are stand-in tensors.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from iggan import losses
from iggan.config import SMOKE
from iggan.methods import IGGAN, Batch, NonFiniteLossError, build_method, frozen

DEVICE = torch.device("cpu")


def _method(**overrides) -> IGGAN:
    torch.manual_seed(0)
    cfg = dataclasses.replace(SMOKE, batch_size=3, **overrides)
    return build_method(cfg, DEVICE)


def _batch(m: IGGAN) -> Batch:
    c = m.config
    g = torch.Generator().manual_seed(1)
    b = c.batch_size
    return Batch(
        real=torch.rand(b, 1, c.image_res, c.image_res, generator=g) * 2 - 1,
        z=torch.randn(b, c.z_dim, generator=g),
        azimuth=torch.rand(b, generator=g) * 360,
        elevation=torch.rand(b, generator=g) * 90 - 30,
        thresholds=losses.sample_thresholds(b, generator=g),
    )


def _rendered(m: IGGAN) -> torch.Tensor:
    c = m.config
    g = torch.Generator().manual_seed(2)
    return torch.rand(c.batch_size, 1, c.image_res, c.image_res, generator=g) * 2 - 1


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(module: torch.nn.Module, snap: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(v, snap[k]) for k, v in module.state_dict().items())


def test_g_step_updates_only_g_and_its_gradient_comes_through_the_neural_renderer():
    m = _method()
    batch = _batch(m)
    fake = m.generate(batch)
    snaps = {k: _snapshot(mod) for k, mod in m.modules.items()}
    stats = m.g_step(batch, fake)
    assert set(stats) == {"loss_g"}
    # G got a gradient on every parameter and moved; R and D (incl. spectral-norm buffers) did not
    for name, p in m.G.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
    assert not _same(m.G, snaps["G"])
    for key in ("R", "D"):
        assert _same(m.modules[key], snaps[key]), key
        assert all(p.grad is None for p in m.modules[key].parameters()), key
        assert all(p.requires_grad for p in m.modules[key].parameters()), "unfrozen afterwards"
    assert fake.neural is not None and not fake.neural.requires_grad


def test_g_gradient_is_exactly_the_gradient_through_r_phi():
    """The G step's gradient equals d/dtheta of -log D(R_phi(T(G(z)))), nothing else (no R_d)."""
    m = _method()
    batch = _batch(m)
    ref = _method()  # same seed -> same weights
    fake = ref.generate(batch)
    loss = losses.g_loss_nonsaturating(
        ref.D.eval()(ref.render_neural(fake.x_c, batch.azimuth, batch.elevation))
    )
    expected = torch.autograd.grad(loss, list(ref.G.parameters()))
    fake = m.generate(batch)
    m.optimizers["G"].step = lambda: None  # keep the gradient for inspection
    m.g_step(batch, fake)
    for p, e in zip(m.G.parameters(), expected, strict=True):
        torch.testing.assert_close(p.grad, e)


def test_d_step_updates_only_d_and_uses_the_opengl_renders():
    m = _method(d_gate_accuracy=None)
    batch = _batch(m)
    fake = m.generate(batch)
    m.g_step(batch, fake)
    snaps = {k: _snapshot(mod) for k, mod in m.modules.items()}
    rendered = _rendered(m)
    stats = m.d_step(batch, fake, rendered)
    assert stats["d_updated"] == 1.0 and 0.0 <= stats["d_accuracy"] <= 1.0
    assert not _same(m.D, snaps["D"])
    assert _same(m.G, snaps["G"]) and _same(m.R, snaps["R"])
    # the loss is eq. 2 on (real, R_d(x_d)) with D before its update
    m2 = _method(d_gate_accuracy=None)
    m2.D.load_state_dict(snaps["D"])
    with torch.no_grad():
        logits = m2.D.train()(torch.cat([batch.real, rendered]))
    b = batch.real.shape[0]
    assert stats["loss_d"] == pytest.approx(float(losses.d_loss(logits[:b], logits[b:])), rel=1e-5)


def test_d_gate_skips_the_update_when_d_is_accurate_enough():
    m = _method(d_gate_accuracy=1e-6)  # any accuracy >= 1e-6 skips
    batch = _batch(m)
    fake = m.generate(batch)
    m.g_step(batch, fake)
    rendered = _rendered(m)
    snap = _snapshot(m.D)
    stats = m.d_step(batch, fake, rendered)
    assert stats["d_accuracy"] > 0  # (seeded) D is right on some samples, so the gate closes
    assert stats["d_updated"] == 0.0
    # weights unchanged (the spectral-norm power-iteration vectors still advance in a D forward)
    params = {k: v for k, v in m.D.state_dict().items() if not k.endswith(("_u", "_v"))}
    assert all(torch.equal(v, snap[k]) for k, v in params.items())


def test_r_step_updates_only_r_with_d_frozen_and_dom_target_detached():
    m = _method()
    batch = _batch(m)
    fake = m.generate(batch)
    m.g_step(batch, fake)
    rendered = _rendered(m)
    m.d_step(batch, fake, rendered)
    snaps = {k: _snapshot(mod) for k, mod in m.modules.items()}
    d_grads = [p.grad.clone() for p in m.D.parameters()]  # left over from the D step
    stats = m.r_step(batch, fake, rendered)
    assert {"loss_r", "loss_r_l2", "loss_dom"} <= set(stats)
    assert stats["loss_r"] == pytest.approx(
        stats["loss_r_l2"] + m.config.dom_weight * stats["loss_dom"], rel=1e-5
    )
    assert not _same(m.R, snaps["R"])
    assert _same(m.D, snaps["D"]) and _same(m.G, snaps["G"])  # D frozen: not even SN buffers move
    # nothing accumulated into D's gradients: the DOM term reached R only
    assert all(torch.equal(p.grad, g) for p, g in zip(m.D.parameters(), d_grads, strict=True))


def test_dom_term_changes_the_renderer_gradient_and_no_dom_is_l2_only():
    grads = {}
    for use_dom in (True, False):
        m = _method(use_dom=use_dom)
        batch = _batch(m)
        fake = m.generate(batch)
        rendered = _rendered(m)
        m.optimizers["R"].step = lambda: None
        stats = m.r_step(batch, fake, rendered)
        grads[use_dom] = [p.grad.clone() for p in m.R.parameters()]
        if not use_dom:
            assert "loss_dom" not in stats and stats["loss_r"] == stats["loss_r_l2"]
            # L2 only: eq. 5 on R_phi(T(x_d)) against R_d(x_d)
            with torch.no_grad():
                pred = m.render_neural(fake.x_d, batch.azimuth, batch.elevation)
            assert stats["loss_r"] == pytest.approx(float(losses.renderer_l2(pred, rendered)))
    assert any(not torch.allclose(a, b) for a, b in zip(grads[True], grads[False], strict=True))


def test_fixed_renderer_has_no_r_step_and_neural_d_input_needs_no_opengl():
    m = _method(renderer_mode="fixed", d_input="neural")
    assert "R" not in m.optimizers and not m.needs_offtheshelf
    batch = _batch(m)
    fake = m.generate(batch)
    assert fake.x_d is None and m.offtheshelf_volumes(fake) is None
    m.g_step(batch, fake)
    snap = _snapshot(m.R)
    assert m.d_step(batch, fake, None)["loss_d"] > 0  # D sees R_phi(x_c)
    assert m.r_step(batch, fake, None) == {}
    assert _same(m.R, snap)
    # fixed renderer, OpenGL D: volumes go to R_d, R still never trains
    m = _method(renderer_mode="fixed", d_input="opengl")
    fake = m.generate(_batch(m))
    vols = m.offtheshelf_volumes(fake)
    assert vols.shape == (3, 16, 16, 16) and vols.dtype == bool


def test_non_finite_loss_raises_before_any_update(monkeypatch):
    m = _method()
    batch = _batch(m)
    fake = m.generate(batch)
    snap = _snapshot(m.G)
    monkeypatch.setattr(losses, "g_loss_nonsaturating", lambda logits: logits.sum() * float("nan"))
    with pytest.raises(NonFiniteLossError, match="loss_g is nan"):
        m.g_step(batch, fake)
    assert _same(m.G, snap)


def test_frozen_restores_flags_and_modes():
    lin = torch.nn.Linear(2, 2)
    lin.bias.requires_grad_(False)
    lin.train()
    with frozen(lin):
        assert not lin.training and not any(p.requires_grad for p in lin.parameters())
    assert lin.training and lin.weight.requires_grad and not lin.bias.requires_grad


def test_sample_does_not_change_state():
    m = _method()
    snaps = {k: _snapshot(mod) for k, mod in m.modules.items()}
    batch = _batch(m)
    out = m.sample(batch.z, batch.azimuth, batch.elevation)
    assert out["volumes"].shape == (3, 1, 16, 16, 16) and out["images"].shape == (3, 1, 32, 32)
    for k, mod in m.modules.items():
        assert _same(mod, snaps[k]), k
    assert m.G.training


def test_volumes_only_samples_skip_the_neural_render(monkeypatch):
    """Evaluation renders the volumes with OpenGL; it must get the same volumes without paying
    for the neural render."""
    m = _method()
    batch = _batch(m)
    full = m.sample(batch.z, batch.azimuth, batch.elevation)

    def no_render(*args, **kwargs):
        raise AssertionError("volumes_only must not render")

    monkeypatch.setattr(m, "render_neural", no_render)
    out = m.sample(batch.z, batch.azimuth, batch.elevation, volumes_only=True)
    assert set(out) == {"volumes"} and torch.equal(out["volumes"], full["volumes"])
    assert m.G.training


def test_g_ema_averages_g_after_each_g_step_and_samples_come_from_it():
    m = _method(g_ema=0.75)
    assert "G_ema" in m.modules
    assert not any(p.requires_grad for p in m.modules["G_ema"].parameters())
    before = {k: v.clone() for k, v in m.modules["G_ema"].state_dict().items()}
    batch = _batch(m)
    m.g_step(batch, m.generate(batch))
    g, ema = m.G.state_dict(), m.modules["G_ema"].state_dict()
    params = {name for name, _ in m.G.named_parameters()}
    for key in params:  # weights: 0.75 old + 0.25 new
        torch.testing.assert_close(ema[key], 0.75 * before[key] + 0.25 * g[key])
    assert not torch.equal(ema["out.weight"], g["out.weight"])

    # Samples come from the average's weights with BatchNorm statistics of their own.
    sampler = m.sampler
    assert sampler is not m.modules["G_ema"] and not sampler.training
    for key, value in sampler.state_dict().items():
        if key in params:
            assert torch.equal(value, ema[key]), key
    assert not torch.equal(sampler.state_dict()["body.1.running_mean"], g["body.1.running_mean"])
    with torch.no_grad():
        expected = sampler(batch.z)
    got = m.sample(batch.z, batch.azimuth, batch.elevation, volumes_only=True)["volumes"]
    assert torch.equal(got, expected)
    raw = m.sample(batch.z, batch.azimuth, batch.elevation, volumes_only=True, average=False)
    m.G.eval()
    with torch.no_grad():
        assert torch.equal(raw["volumes"], m.G(batch.z))
    # ... computed once per state of the average: again after a G step or a load
    assert m.sampler is sampler
    m.g_step(batch, m.generate(batch))
    assert m.sampler is not sampler
    after_step = m.sampler
    m.modules["G_ema"].load_state_dict(before)
    assert m.sampler is not after_step
    # Without g_ema (the paper): no copy, samples from G.
    plain = _method(g_ema=None)
    assert "G_ema" not in plain.modules and plain.sampler is plain.G


@pytest.mark.parametrize("use_dom", [True, False], ids=["dom", "no-dom"])
def test_overlapped_r_step_gives_the_serial_losses_and_gradients(use_dom):
    """overlap_r: R_phi(T(x_d)) runs in the worker thread during the G step, the DOM term
    backpropagates through the G step's own R_phi(T(x_c)), and L2's gradient comes from the
    worker. Every loss of three iterations and every R gradient equal the serial code's up to
    the order of float sums."""

    def run(overlap: bool):
        m = _method(overlap_r=overlap, use_dom=use_dom)
        assert (m._r_worker is not None) == overlap
        out, grads = [], []
        for i in range(3):
            batch = _batch(m)
            batch.z = batch.z + i  # a different batch each iteration
            fake = m.generate(batch)
            assert (fake.r_forward is not None) == overlap
            stats = m.g_step(batch, fake)
            assert (fake.neural_graph is not None) == (overlap and use_dom)
            stats.update(m.d_step(batch, fake, _rendered(m)))
            stats.update(m.r_step(batch, fake, _rendered(m)))
            out.append(stats)
            grads.append([p.grad.clone() for p in m.R.parameters()])
        return out, grads

    serial_stats, serial_grads = run(False)
    our_stats, our_grads = run(True)
    for a, b in zip(serial_stats, our_stats, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
    # the first R step starts from the same weights: its gradient is the serial one
    for ga, gb in zip(serial_grads[0], our_grads[0], strict=True):
        torch.testing.assert_close(ga, gb, rtol=1e-4, atol=1e-6)
