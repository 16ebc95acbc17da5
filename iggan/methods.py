"""Methods that plug into the one training loop (:mod:`iggan.training`); the GAN math lives here.

A method owns its networks and optimizers and implements the phases of one iteration. The loop
calls, per iteration and in this order::

    fake = method.generate(batch)                  # G forward, once (z, views, thresholds given)
    volumes = method.offtheshelf_volumes(fake)     # binary grids for R_d, or None
    ... the loop submits R_d(volumes) to the render pool (asynchronous) ...
    method.g_step(batch, fake)                     # overlaps the off-the-shelf renders
    rendered = pending.result()                    # (B, 1, R, R) in [-1, 1], or None
    method.d_step(batch, fake, rendered)
    method.r_step(batch, fake, rendered)           # no-op for methods without a neural renderer

The G step comes first so that the off-the-shelf renders of this iteration's volumes run while G's
forward and backward passes compute (the order is still 1:1:1; D and R see the volumes the G step
started from, which is exactly the paired x_c / x_d of the paper's equations 2, 5 and 8).

Every phase returns a dict of float statistics for the log. Losses are checked for finiteness
*before* any backward pass or optimizer step, so a non-finite loss leaves the networks as they were
(:class:`NonFiniteLossError`).

Baselines subclass :class:`Method`: Visual Hull and Absorption-Only replace the image
formation (``offtheshelf_volumes`` returns None, ``d_step`` projects ``fake.x_c`` differentiably,
``r_step`` stays a no-op); the 2D-DCGAN replaces the generator. Each is named in :mod:`iggan.registry`.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from shapenet_render.projection import view_transform

from . import losses
from .config import TrainConfig
from .networks import Discriminator, Generator3D, RenderNet


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; raised before it could touch any weight."""

    def __init__(self, name: str, value: float):
        super().__init__(f"{name} is {value}")
        self.name, self.value = name, value


@dataclass
class Batch:
    """What one iteration draws, on the training device.

    real : (B, 1, R, R) float in [-1, 1], data images.
    z : (B, z_dim) float, latents.
    azimuth, elevation : (B,) float degrees, one fresh view per generated sample, drawn from the
        dataset's view distribution.
    thresholds : (B,) float in [0, 1), one binarisation threshold per volume (section 4.1).
    """

    real: torch.Tensor
    z: torch.Tensor
    azimuth: torch.Tensor
    elevation: torch.Tensor
    thresholds: torch.Tensor


@dataclass
class Fake:
    """One iteration's generated samples.

    x_c : (B, 1, N, N, N) continuous volumes in [0, 1], attached to G's graph (the G step
        backpropagates through it once).
    x_d : (B, 1, N, N, N) binary volumes [x_c > t], detached, or None.
    neural : (B, 1, R, R) neural renders R_phi(x_c) from the G step, detached (for a D that sees
        neural renders), or None.
    cam_c : (B, 1, M, M, M) camera-frame x_c from the G step, detached (the R step renders it
        again with DOM; the view transform is a large share of a CPU iteration), or None.
    r_forward : R_phi(T(x_d)) for the R step's L2, started in the worker thread when the batch
        was generated (``TrainConfig.overlap_r``), or None: the R step then renders x_d itself.
    neural_graph : the G step's R_phi(T(x_c)), still attached to R's weights, kept (with
        ``overlap_r`` and DOM) so that the R step's DOM term backpropagates through it instead of
        rendering x_c again; or None.
    """

    x_c: torch.Tensor
    x_d: torch.Tensor | None = None
    neural: torch.Tensor | None = None
    cam_c: torch.Tensor | None = None
    r_forward: Future | None = None
    neural_graph: torch.Tensor | None = None


@contextlib.contextmanager
def frozen(*modules: nn.Module, eval_mode: bool = True) -> Iterator[None]:
    """Freeze modules for a phase that must not update them: parameters stop requiring gradients
    (so nothing accumulates in ``.grad``) and, with ``eval_mode``, the modules run in eval mode
    (spectral norm then skips its power iteration: a frozen D's weights stay bit-identical)."""
    saved = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in modules]
    for m in modules:
        m.requires_grad_(False)
        if eval_mode:
            m.eval()
    try:
        yield
    finally:
        for m, training, flags in saved:
            m.train(training)
            for p, flag in zip(m.parameters(), flags, strict=True):
                p.requires_grad_(flag)


def _no_sync(module: nn.Module) -> None:
    """Default gradient synchronisation: single process, nothing to do."""


def _identity_reduce(value: torch.Tensor) -> torch.Tensor:
    return value


#: Batches of fixed latents that give G's moving average its BatchNorm statistics before it samples.
EMA_CALIBRATION_BATCHES = 8


class Method:
    """Base class of the methods the training loop can run. See the module docstring.

    Subclasses set :attr:`name`, build ``self.modules`` (name -> nn.Module) and ``self.optimizers``
    (the same names -> optimizer) in ``__init__``, and implement the phases.
    """

    name: ClassVar[str] = ""
    #: The dataset renderer this method's real images must come from (``DatasetSpec.renderer``).
    dataset_renderer: ClassVar[str] = "opengl"
    #: Whether the method has a neural renderer that ``TrainConfig.renderer_init`` initialises.
    has_neural_renderer: ClassVar[bool] = False
    #: Whether ``sample`` returns volumes (3D methods); False for image generators (2D-DCGAN).
    makes_volumes: ClassVar[bool] = True

    def __init__(self, config: TrainConfig, device: torch.device):
        self.config = config
        self.device = device
        self.modules: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        #: Set by the loop under torchrun: average a module's gradients over the processes.
        self.sync_grads: Callable[[nn.Module], None] = _no_sync
        #: Set by the loop under torchrun: average a scalar over the processes.
        self.all_mean: Callable[[torch.Tensor], torch.Tensor] = _identity_reduce

    # -- phases -----------------------------------------------------------------------------------
    def generate(self, batch: Batch) -> Fake:
        raise NotImplementedError

    def offtheshelf_volumes(self, fake: Fake) -> np.ndarray | None:
        """(B, N, N, N) bool grids (world layout [x, y, z]) to render with R_d, or None."""
        return None

    def g_step(self, batch: Batch, fake: Fake) -> dict[str, float]:
        raise NotImplementedError

    def d_fake_images(self, fake: Fake, rendered: torch.Tensor | None) -> torch.Tensor:
        """The images D sees as fake in this iteration ((B, 1, R, R) in [-1, 1])."""
        raise NotImplementedError

    def d_step(self, batch: Batch, fake: Fake, rendered: torch.Tensor | None) -> dict[str, float]:
        """D's update (eq. 2), the same for every method: the real batch against
        :meth:`d_fake_images`, skipped when D's accuracy on this batch already reaches
        ``d_gate_accuracy``."""
        fake_images = self.d_fake_images(fake, rendered).detach()
        self.D.train()
        b = batch.real.shape[0]
        # One forward over real and fake together: D has no batch statistics (spectral norm only),
        # so this equals two forwards, with one spectral-norm power iteration instead of two.
        logits = self.D(torch.cat([batch.real, fake_images]))
        real_logits, fake_logits = logits[:b], logits[b:]
        loss = losses.d_loss(real_logits, fake_logits)
        value = self._check("loss_d", loss)
        correct = torch.cat([real_logits > 0, fake_logits < 0]).float().mean()
        accuracy = float(self.all_mean(correct.detach()))
        gate = self.config.d_gate_accuracy
        update = gate is None or accuracy < gate
        if update:
            self._update("D", loss)
        return {
            "loss_d": value,
            "d_accuracy": accuracy,
            "d_updated": float(update),
            "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
            "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
        }

    def r_step(self, batch: Batch, fake: Fake, rendered: torch.Tensor | None) -> dict[str, float]:
        return {}

    def close(self) -> None:
        """Release what the phases hold besides the networks (IG-GAN: its worker thread)."""

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        azimuth: torch.Tensor,
        elevation: torch.Tensor,
        volumes_only: bool = False,
        average: bool = True,
    ) -> dict[str, torch.Tensor]:
        """Samples for grids and ``igbench sample``: ``volumes`` (B, 1, N, N, N) in [0, 1] if the
        method makes shapes, and ``images`` (B, 1, R, R) in [-1, 1], the method's own rendering
        (the neural render for IG-GAN). ``volumes_only`` leaves the images out when the method
        makes volumes (evaluation renders the volumes with OpenGL itself). ``average=False``
        samples the trained G even when ``g_ema`` keeps a moving average (:attr:`sampler`). Must
        not change any state (eval mode, no grad)."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------------
    def _check(self, name: str, loss: torch.Tensor) -> float:
        """The loss as a float (averaged over processes); raises if it is not finite."""
        value = float(self.all_mean(loss.detach()))
        if not math.isfinite(value):
            raise NonFiniteLossError(name, value)
        return value

    def _update(self, module_name: str, loss: torch.Tensor, retain_graph: bool = False) -> None:
        """zero_grad, backward into this module's parameters only (other modules in the graph are
        read, never given gradients), synchronise gradients across processes, step (and, for G,
        the moving average of its weights). ``retain_graph`` keeps the graph for a later phase."""
        opt = self.optimizers[module_name]
        opt.zero_grad(set_to_none=True)
        params = [p for p in self.modules[module_name].parameters() if p.requires_grad]
        loss.backward(inputs=params, retain_graph=retain_graph)
        self._step(module_name)

    def _update_with(self, module_name: str, grads: Sequence[torch.Tensor]) -> None:
        """Step with gradients computed elsewhere, one per parameter that requires gradients."""
        self.optimizers[module_name].zero_grad(set_to_none=True)
        params = [p for p in self.modules[module_name].parameters() if p.requires_grad]
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        self._step(module_name)

    def _step(self, module_name: str) -> None:
        opt = self.optimizers[module_name]
        self.sync_grads(self.modules[module_name])
        opt.step()
        if module_name == "G" and "G_ema" in self.modules:
            self._ema_step()

    # -- the moving average of G (TrainConfig.g_ema) ------------------------------------------------
    def init_ema(self) -> None:
        """Add ``modules["G_ema"]``, a frozen copy of G, when ``config.g_ema`` is set (called by
        :func:`build_method`, so checkpoints save and restore it with the other modules)."""
        self._ema_version, self._ema_sampler = 0, None
        if self.config.g_ema is None or "G" not in self.modules:
            return
        ema = copy.deepcopy(self.modules["G"]).requires_grad_(False)
        ema.eval()
        ema.register_load_state_dict_post_hook(lambda module, keys: self._ema_changed())
        self.modules["G_ema"] = ema

    def _ema_changed(self) -> None:
        self._ema_version += 1

    @torch.no_grad()
    def _ema_step(self) -> None:
        decay = self.config.g_ema
        ema, g = self.modules["G_ema"], self.modules["G"]
        for pe, p in zip(ema.parameters(), g.parameters(), strict=True):
            pe.lerp_(p, 1.0 - decay)
        self._ema_changed()  # its BatchNorm statistics are recomputed when it samples

    @torch.no_grad()
    def _calibrated_ema(self) -> nn.Module:
        """A copy of ``G_ema`` with BatchNorm statistics of its own ("standing statistics"):
        the running statistics G collected belong to G's weights, not to their average, and
        with them the average's samples come out empty early in a run. Recomputed from
        :data:`EMA_CALIBRATION_BATCHES` batches of fixed latents whenever the average changed;
        nothing of the method's state or random streams is touched."""
        cached = self._ema_sampler
        if cached is not None and cached[0] == self._ema_version:
            return cached[1]
        g = copy.deepcopy(self.modules["G_ema"])
        norms = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if norms:
            for bn in norms:
                bn.reset_running_stats()
                bn.momentum = None  # a plain average over the calibration batches
            g.train()
            gen = torch.Generator(device=self.device).manual_seed(self.config.seed)
            for _ in range(EMA_CALIBRATION_BATCHES):
                g(torch.randn(self.config.batch_size, g.z_dim, generator=gen, device=self.device))
        g.eval()
        self._ema_sampler = (self._ema_version, g)
        return g

    @property
    def sampler(self) -> nn.Module:
        """The generator samples come from: G's moving average (with its own BatchNorm
        statistics, :meth:`_calibrated_ema`) when ``g_ema`` is set, else G."""
        return self._calibrated_ema() if "G_ema" in self.modules else self.modules["G"]

    @contextlib.contextmanager
    def _sampling_g(self, average: bool) -> Iterator[nn.Module]:
        """The generator to sample (:attr:`sampler`, or G with ``average=False``) in eval mode
        (running BatchNorm statistics), its training mode restored afterwards."""
        g = self.sampler if average else self.modules["G"]
        was_training = g.training
        g.eval()
        try:
            yield g
        finally:
            g.train(was_training)

    def _adam(self, module: nn.Module, lr: float) -> torch.optim.Adam:
        c = self.config
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(c.beta1, c.beta2))


class IGGAN(Method):
    """IG-GAN (Lunz et al. 2020, section 3): G, the neural renderer R_phi and D, with the
    off-the-shelf renderer R_d in the loop.

    D step (eq. 2): real images against R_d(x_d), x_d = [x_c > t], one t ~ U[0, 1) per volume
    (or against R_phi(x_c) with ``d_input="neural"``, Table 2). G step (eq. 7): minimise
    -log D(R_phi(T(G(z)))) with R and D frozen, so gradients reach G only through R_phi. R step
    (eq. 9): L2(R_phi(T(x_d)), R_d(x_d)) + lambda * DOM, DOM = (log D(R_d(x_d)) - log D(R_phi(T(x_c))))^2
    with the target detached, x_c detached (G is not updated here) and D frozen (eq. 8). T is the
    view transform into the camera frame of each sample's view. ``renderer_mode="fixed"`` skips the
    R step; ``use_dom=False`` drops the DOM term.
    """

    name = "iggan"
    dataset_renderer = "opengl"
    has_neural_renderer = True

    def __init__(self, config: TrainConfig, device: torch.device):
        super().__init__(config, device)
        c = config
        self.G = Generator3D(c.voxel_res, c.z_dim, c.g_channels, out_bias_init=c.g_out_bias)
        self.R = RenderNet(
            c.view_volume_res, c.image_res, c.r_channels_3d, c.r_channels_2d, c.r_downsample
        )
        self.D = Discriminator(c.image_res, c.d_channels)
        self.modules = {"G": self.G.to(device), "D": self.D.to(device), "R": self.R.to(device)}
        self.optimizers = {"G": self._adam(self.G, c.lr_g), "D": self._adam(self.D, c.lr_d)}
        if c.renderer_mode == "retrained":
            self.optimizers["R"] = self._adam(self.R, c.lr_r)
        else:
            self.R.requires_grad_(False)
        # One worker thread for the R step's forward pass (TrainConfig.overlap_r): on CPU it runs
        # beside the G step, whose work it does not depend on. CUDA queues kernels asynchronously
        # already, so there the R step runs it itself.
        self._r_worker = (
            ThreadPoolExecutor(1, thread_name_prefix="r-forward")
            if c.overlap_r and c.renderer_mode == "retrained" and device.type == "cpu"
            else None
        )

    @property
    def needs_offtheshelf(self) -> bool:
        """R_d(x_d) is needed by D (``d_input="opengl"``) or by R's L2 (``retrained``)."""
        return self.config.d_input == "opengl" or self.config.renderer_mode == "retrained"

    def to_camera(
        self, volume: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor
    ) -> torch.Tensor:
        """T(volume): (B, 1, N, N, N) world frame -> (B, 1, M, M, M) camera frame of each view."""
        return view_transform(volume, azimuth, elevation, out_res=self.config.view_volume_res)

    def render_neural(
        self, volume: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor
    ) -> torch.Tensor:
        """R_phi(T(volume)): (B, 1, N, N, N) world-frame -> (B, 1, R, R) images (linear output)."""
        return self.R(self.to_camera(volume, azimuth, elevation))

    # -- phases -----------------------------------------------------------------------------------
    def generate(self, batch: Batch) -> Fake:
        self.G.train()
        x_c = self.G(batch.z)
        x_d = losses.binarize(x_c, batch.thresholds) if self.needs_offtheshelf else None
        fake = Fake(x_c=x_c, x_d=x_d)
        if self._r_worker is not None and x_d is not None:
            # R's weights do not change before the R step (the G and D steps leave them alone),
            # so its forward pass on x_d can start now: same inputs, same weights, same result.
            fake.r_forward = self._r_worker.submit(
                self.render_neural, x_d, batch.azimuth, batch.elevation
            )
        return fake

    def _r_forward(
        self,
        x_d: torch.Tensor,
        x_c: torch.Tensor,
        azimuth: torch.Tensor,
        elevation: torch.Tensor,
        cam_c: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The R step's forward: R_phi(T(x_d)) and, with DOM, R_phi(T(x_c)) (``cam_c``: T(x_c)
        when already computed), attached to R's weights for the R step's backward."""
        cam_d = self.to_camera(x_d, azimuth, elevation)
        if not self.config.use_dom:
            return self.R(cam_d), None
        # One forward over both: RenderNet has no batch statistics, so each sample is rendered
        # independently.
        if cam_c is None:
            cam_c = self.to_camera(x_c, azimuth, elevation)
        pred = self.R(torch.cat([cam_d, cam_c]))
        b = x_d.shape[0]
        return pred[:b], pred[b:]

    def offtheshelf_volumes(self, fake: Fake) -> np.ndarray | None:
        if fake.x_d is None:
            return None
        return fake.x_d[:, 0].to("cpu", torch.bool).numpy()

    def g_step(self, batch: Batch, fake: Fake) -> dict[str, float]:
        # Gradients reach G only through R_phi: D is frozen, the update backpropagates into G's
        # parameters only (R's weights are read, not given gradients: the R step's forward may be
        # using them in the worker thread meanwhile), and the loss is eq. 7's non-saturating
        # -log D(R_phi(x_c)), computed with a log-sigmoid of D's logits.
        with frozen(self.D):
            cam = self.to_camera(fake.x_c, batch.azimuth, batch.elevation)
            neural = self.R(cam)
            loss = losses.g_loss_nonsaturating(self.D(neural))
        value = self._check("loss_g", loss)
        keep = fake.r_forward is not None and self.config.use_dom
        self._update("G", loss, retain_graph=keep)
        fake.neural = neural.detach()
        fake.cam_c = cam.detach()
        if keep:
            fake.neural_graph = neural
        return {"loss_g": value}

    def d_fake_images(self, fake: Fake, rendered: torch.Tensor | None) -> torch.Tensor:
        """R_d(x_d), the off-the-shelf renders (``d_input="opengl"``, the paper), or R_phi's
        renders of the G step (``d_input="neural"``, Table 2)."""
        if self.config.d_input == "opengl":
            if rendered is None:
                raise ValueError("d_input='opengl' needs the off-the-shelf renders")
            return rendered
        if fake.neural is None:
            raise ValueError("d_input='neural' needs the G step's neural renders")
        return fake.neural

    def r_step(self, batch: Batch, fake: Fake, rendered: torch.Tensor | None) -> dict[str, float]:
        c = self.config
        if c.renderer_mode == "fixed":
            return {}
        if rendered is None or fake.x_d is None:
            raise ValueError("the R step needs x_d and its off-the-shelf renders")
        if fake.r_forward is not None:
            return self._r_step_split(batch, fake, rendered)
        # x_c is detached (this phase trains R only); its camera-frame volume is the G step's.
        pred_d, pred_c = self._r_forward(
            fake.x_d, fake.x_c.detach(), batch.azimuth, batch.elevation, fake.cam_c
        )
        with frozen(self.D):
            if c.use_dom:
                assert pred_c is not None
                with torch.no_grad():
                    target = losses.log_d(self.D(rendered))  # F(R_d(x_d)), a constant
                dom = losses.dom_loss(target, losses.log_d(self.D(pred_c)))
            else:
                dom = torch.zeros((), device=rendered.device)
            l2 = losses.renderer_l2(pred_d, rendered)
            loss = losses.renderer_loss(l2, dom, c.dom_weight if c.use_dom else 0.0)
        value = self._check("loss_r", loss)
        stats = {"loss_r": value, "loss_r_l2": float(l2.detach())}
        if c.use_dom:
            stats["loss_dom"] = float(dom.detach())
        self._update("R", loss)
        return stats

    def _r_step_split(self, batch: Batch, fake: Fake, rendered: torch.Tensor) -> dict[str, float]:
        """The R step of ``overlap_r``: the gradient of eq. 9 as the sum of its two terms, each
        backpropagated through its own forward pass, in parallel: L2 through the worker's
        R_phi(T(x_d)) in the worker, lambda * DOM through the G step's R_phi(T(x_c)) here (x_c is
        not rendered again). Same loss as :meth:`r_step`'s serial path; the gradient differs
        only by the order of its float sums."""
        c = self.config
        params = [p for p in self.R.parameters() if p.requires_grad]
        pending = fake.r_forward

        def l2_and_grads() -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
            l2 = losses.renderer_l2(pending.result(), rendered)
            return l2.detach(), torch.autograd.grad(l2, params)

        l2_job = self._r_worker.submit(l2_and_grads)
        dom, dom_grads = torch.zeros((), device=rendered.device), None
        if c.use_dom:
            neural_c = fake.neural_graph  # None only when no G step ran on this batch
            if neural_c is None:
                neural_c = self.render_neural(fake.x_c.detach(), batch.azimuth, batch.elevation)
            with frozen(self.D):
                with torch.no_grad():
                    target = losses.log_d(self.D(rendered))  # F(R_d(x_d)), a constant
                dom = losses.dom_loss(target, losses.log_d(self.D(neural_c)))
                dom_grads = torch.autograd.grad(c.dom_weight * dom, params)
            fake.neural_graph = None
        l2, grads = l2_job.result()
        loss = losses.renderer_loss(l2, dom.detach(), c.dom_weight if c.use_dom else 0.0)
        value = self._check("loss_r", loss)
        if dom_grads is not None:
            grads = tuple(a + b for a, b in zip(grads, dom_grads, strict=True))
        self._update_with("R", grads)
        stats = {"loss_r": value, "loss_r_l2": float(l2)}
        if c.use_dom:
            stats["loss_dom"] = float(dom.detach())
        return stats

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        azimuth: torch.Tensor,
        elevation: torch.Tensor,
        volumes_only: bool = False,
        average: bool = True,
    ) -> dict[str, torch.Tensor]:
        with self._sampling_g(average) as g:
            volumes = g(z)
        if volumes_only:
            return {"volumes": volumes}
        return {"volumes": volumes, "images": self.render_neural(volumes, azimuth, elevation)}

    def close(self) -> None:
        if self._r_worker is not None:
            self._r_worker.shutdown(wait=True)
            self._r_worker = None

    def load_renderer(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Initialise R_phi from a pre-trained renderer's state_dict."""
        self.R.load_state_dict(state_dict)


def build_method(config: TrainConfig, device: torch.device) -> Method:
    """The configured method (:mod:`iggan.registry`), with its networks on ``device``
    (initialised from torch's RNG)."""
    from .registry import method_class

    method = method_class(config.method)(config, device)
    method.init_ema()
    return method


def restore_method(data: dict, device: torch.device) -> Method:
    """The method of a training checkpoint's payload (``load_checkpoint(path, kind="train")``),
    built from its saved config on ``device`` with every module's weights loaded. Building draws
    initial weights from torch's RNG; the caller's RNG state is left as it was."""
    from dataclasses import replace

    config = replace(TrainConfig.from_dict(data["config"]), device=str(device))
    with torch.random.fork_rng(devices=[]):
        method = build_method(config, device)
    for name, module in method.modules.items():
        module.load_state_dict(data["modules"][name])
    return method
