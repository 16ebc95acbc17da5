"""IG-GAN's math, as small pure functions (paper, section 3; equation numbers are the paper's).

Notation: D(y) = sigmoid(logit(y)) is the discriminator's probability that image y is real;
F = log D (eq. 8); x_c = G(z) the continuous volume, x_d = [x_c > t] its binarisation, R_d the
off-the-shelf renderer, R_phi the neural renderer. Logits are (B,) float tensors; log D is computed
from logits with log-sigmoid so it stays finite for any logit (no log(sigmoid(x)) underflow).

Which networks a loss may update is the training loop's business (freeze D for the G and R steps,
detach x_c for the R step); the functions here only fix what the paper's equations compute.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Weight of the DOM term in the renderer loss (paper, eq. 9 and section 4.1).
DOM_WEIGHT: float = 100.0


def log_d(logits: torch.Tensor) -> torch.Tensor:
    """log D = log sigmoid(logits), elementwise; finite for any finite logit."""
    return F.logsigmoid(logits)


def log_one_minus_d(logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D) = log sigmoid(-logits), elementwise; finite for any finite logit."""
    return F.logsigmoid(-logits)


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator cross-entropy (eq. 2), to minimise: -E[log D(real)] - E[log(1 - D(fake))].

    real_logits : (B_r,) logits of data images. fake_logits : (B_f,) logits of off-the-shelf
    renders R_d(x_d) of generated volumes. Returns a scalar.
    """
    return -(log_d(real_logits).mean() + log_one_minus_d(fake_logits).mean())


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss (eq. 7), non-saturating: -E[log D(R_phi(x_c))]. Returns a scalar."""
    return -log_d(fake_logits).mean()


def sample_thresholds(
    batch: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """One global binarisation threshold per volume, t ~ U[0, 1) (section 4.1): (batch,) tensor.

    generator : optional torch.Generator (on ``device``) so a run's thresholds are reproducible.
    """
    return torch.rand(batch, generator=generator, device=device, dtype=dtype)


def binarize(x_c: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_d = [x_c > t] with one threshold per volume.

    x_c : (B, ...) continuous occupancy in [0, 1]. t : (B,) thresholds.
    Returns x_d with x_c's shape and dtype, values in {0, 1}, detached (sampling x_d is the
    non-differentiable step the neural renderer and DOM stand in for).
    """
    if t.dim() != 1 or t.shape[0] != x_c.shape[0]:
        raise ValueError(
            f"need one threshold per volume: t {tuple(t.shape)}, x_c {tuple(x_c.shape)}"
        )
    t = t.to(device=x_c.device, dtype=x_c.dtype).view(-1, *([1] * (x_c.dim() - 1)))
    return (x_c.detach() > t).to(x_c.dtype)


def renderer_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L2 renderer loss (eq. 5): mean over batch and pixels of (R_phi(x_d) - R_d(x_d))^2.

    pred : (B, 1, H, W) neural renders of binary volumes; target : same shape, off-the-shelf
    renders (a constant: detached). Both in the network range [-1, 1]. Returns a scalar.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    return (pred - target.detach()).pow(2).mean()


def dom_loss(log_d_target: torch.Tensor, log_d_pred: torch.Tensor) -> torch.Tensor:
    """Discriminator output matching (eq. 8): E[(F(R_d(x_d)) - F(R_phi(x_c)))^2], F = log D.

    log_d_target : (B,) log D of the off-the-shelf renders of x_d (detached here: it is the
    target). log_d_pred : (B,) log D of the neural renders of the same volumes' x_c, paired per
    sample. One x_d per x_c gives an unbiased estimate of eq. 8, whose minimiser is
    F(R_phi(x_c)) = E_{x_d | x_c}[F(R_d(x_d))]. Returns a scalar.
    """
    if log_d_target.shape != log_d_pred.shape:
        raise ValueError(f"shapes differ: {tuple(log_d_target.shape)} vs {tuple(log_d_pred.shape)}")
    return (log_d_target.detach() - log_d_pred).pow(2).mean()


def renderer_loss(l2: torch.Tensor, dom: torch.Tensor, lam: float = DOM_WEIGHT) -> torch.Tensor:
    """Renderer objective (eq. 9): L2 + lam * DOM (paper: lam = 100). Scalars in, scalar out."""
    return l2 + lam * dom
