"""IG-GAN's GAN math (iggan.losses) against the paper's equations on fixed tensors."""

from __future__ import annotations

import math

import pytest
import torch

from iggan.losses import (
    DOM_WEIGHT,
    binarize,
    d_loss,
    dom_loss,
    g_loss_nonsaturating,
    log_d,
    log_one_minus_d,
    renderer_l2,
    renderer_loss,
    sample_thresholds,
)


def test_log_d_is_finite_for_huge_logits():
    logits = torch.tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
    for f in (log_d, log_one_minus_d):
        assert torch.isfinite(f(logits)).all()
    assert float(log_d(torch.tensor(1e4))) == pytest.approx(0.0, abs=1e-6)
    assert float(log_d(torch.tensor(-1e4))) == pytest.approx(-1e4)
    assert float(log_one_minus_d(torch.tensor(1e4))) == pytest.approx(-1e4)
    big = torch.tensor([1e4, -1e4], requires_grad=True)
    (log_d(big).sum() + log_one_minus_d(big).sum()).backward()
    assert torch.isfinite(big.grad).all()


def test_d_and_g_losses_match_manual_formulas():
    real = torch.tensor([2.0, -0.5, 0.3])
    fake = torch.tensor([-1.0, 0.7])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    torch.testing.assert_close(d_loss(real, fake), expected_d)
    torch.testing.assert_close(g_loss_nonsaturating(fake), -torch.log(sig(fake)).mean())


def test_dom_matches_eq8_and_detaches_its_target():
    target = torch.tensor([-0.2, -1.5, -3.0, -0.01], requires_grad=True)
    pred = torch.tensor([-0.5, -1.0, -2.0, -0.3], requires_grad=True)
    loss = dom_loss(target, pred)
    manual = ((target.detach() - pred.detach()) ** 2).mean()
    torch.testing.assert_close(loss, manual)
    assert float(loss.detach()) == pytest.approx((0.09 + 0.25 + 1.0 + 0.0841) / 4)
    loss.backward()
    assert target.grad is None  # no gradient reaches D's judgement of the OpenGL render
    torch.testing.assert_close(pred.grad, -2.0 * (target.detach() - pred.detach()) / 4)


def test_renderer_losses():
    pred = torch.tensor([[[[0.5, -1.0], [0.0, 1.0]]]], requires_grad=True)
    target = torch.tensor([[[[0.0, -1.0], [1.0, 1.0]]]], requires_grad=True)
    l2 = renderer_l2(pred, target)
    assert float(l2.detach()) == pytest.approx((0.25 + 0.0 + 1.0 + 0.0) / 4)
    l2.backward()
    assert target.grad is None
    dom = torch.tensor(0.01)
    assert DOM_WEIGHT == 100.0
    l2 = l2.detach()
    assert float(renderer_loss(l2, dom)) == pytest.approx(float(l2) + 1.0)
    assert float(renderer_loss(l2, dom, lam=0.0)) == pytest.approx(float(l2))
    with pytest.raises(ValueError):
        renderer_l2(pred, target[..., :1])


def test_thresholds_are_uniform_one_per_volume():
    g = torch.Generator().manual_seed(123)
    t = sample_thresholds(20000, generator=g)
    assert t.shape == (20000,) and float(t.min()) >= 0.0 and float(t.max()) < 1.0
    assert float(t.mean()) == pytest.approx(0.5, abs=0.01)
    # Kolmogorov-Smirnov distance to U[0, 1]; the 1 % critical value is 1.63 / sqrt(n) = 0.0115.
    s, _ = torch.sort(t.double())
    n = s.numel()
    ks = max(
        float((torch.arange(1, n + 1, dtype=torch.float64) / n - s).max()),
        float((s - torch.arange(0, n, dtype=torch.float64) / n).max()),
    )
    assert ks < 1.63 / math.sqrt(n)
    again = sample_thresholds(20000, generator=torch.Generator().manual_seed(123))
    assert torch.equal(t, again)


def test_binarize_uses_each_volumes_own_threshold():
    x_c = torch.linspace(0.0, 1.0, 27).view(1, 1, 3, 3, 3).repeat(3, 1, 1, 1, 1)
    x_c.requires_grad_(True)
    t = torch.tensor([0.1, 0.5, 0.9])
    x_d = binarize(x_c, t)
    assert x_d.shape == x_c.shape and x_d.dtype == x_c.dtype and not x_d.requires_grad
    assert set(x_d.unique().tolist()) <= {0.0, 1.0}
    for i in range(3):
        assert torch.equal(x_d[i], (x_c[i].detach() > t[i]).float())
    counts = x_d.flatten(1).sum(1)
    assert counts[0] > counts[1] > counts[2]
    with pytest.raises(ValueError):
        binarize(x_c, torch.tensor([0.5]))
