"""The paper's baselines (section 4.3), plugged into IG-GAN's training loop as methods.

Each uses the same generator, discriminator, loop, run directory, checkpoints and CLI as IG-GAN;
only the image formation differs:

``visual-hull`` (Gadelha et al. 2017, PrGAN)
    Two projections, as in PrGAN's code: its dataset (and its real images in every mode) are the
    smoothed hard silhouettes of the binary voxels
    (:func:`shapenet_render.projection.visual_hull_images`, tau = 10 then a blur; PrGAN
    ``create_dataset.py``), while G's volume goes through the same view transform and
    ``1 - exp(-sum x)`` with tau = 1 per voxel of its grid
    (:func:`shapenet_render.projection.visual_hull_generator_images`; PrGAN ``PrGAN.py``), so that
    G must put several voxels of occupancy on every ray inside the silhouette to look as white as
    the data. D has spectral normalisation, as in the paper's re-implementation.
``absorption-only`` (Henzler et al. 2019, PlatonicGAN)
    :func:`shapenet_render.projection.absorption_only_images`, ``1 - prod(1 - alpha *
    occupancy)`` with PlatonicGAN's absorption factor, on both sides: the binary voxels of its
    dataset and G's continuous volume.
``dcgan`` (Radford et al. 2016)
    A 2D generator (:class:`iggan.networks.Generator2D`) against the same discriminator, on the
    OpenGL images. It makes images, not shapes; ``sample`` returns no volumes.

The 3D baselines have no neural renderer and no off-the-shelf renderer in the loop: their
projections are differentiable, so the G step backpropagates through them directly.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from iggan import losses
from iggan.methods import Batch, Fake, Method, frozen
from iggan.networks import Discriminator, Generator2D, Generator3D
from shapenet_render import projection


class _GANMethod(Method):
    """A generator whose samples are images made differentiably; one D. Shared D/G phases."""

    def images(self, fake_source: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The method's fake images (B, 1, R, R) in [-1, 1] from the generator output."""
        raise NotImplementedError

    def g_step(self, batch: Batch, fake: Fake) -> dict[str, float]:
        with frozen(self.D):
            images = self.images(fake.x_c, batch)
            loss = losses.g_loss_nonsaturating(self.D(images))
        value = self._check("loss_g", loss)
        self._update("G", loss)
        fake.neural = images.detach()  # what D sees as fake in this iteration's D step
        return {"loss_g": value}

    def d_fake_images(self, fake: Fake, rendered: torch.Tensor | None) -> torch.Tensor:
        if fake.neural is None:
            raise ValueError(f"{self.name}: the D step needs the G step's images")
        return fake.neural


class _ProjectionBaseline(_GANMethod):
    """A 3D generator seen through a differentiable projection (Visual Hull, Absorption-Only)."""

    projection_fn: ClassVar = None

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        self.G = Generator3D(c.voxel_res, c.z_dim, c.g_channels, out_bias_init=c.g_out_bias)
        self.D = Discriminator(c.image_res, c.d_channels)
        self.modules = {"G": self.G.to(device), "D": self.D.to(device)}
        self.optimizers = {"G": self._adam(self.G, c.lr_g), "D": self._adam(self.D, c.lr_d)}

    def project(self, volume, azimuth, elevation) -> torch.Tensor:
        """(B, 1, N, N, N) in [0, 1] -> (B, 1, R, R) in [-1, 1]: the generator-side formation (for
        Absorption-Only the dataset's own; for Visual Hull PrGAN's tau = 1 projection)."""
        img = type(self).projection_fn(volume, azimuth, elevation, self.config.image_res)
        return projection.unit_to_network(img)

    def images(self, x_c, batch):
        return self.project(x_c, batch.azimuth, batch.elevation)

    def generate(self, batch: Batch) -> Fake:
        self.G.train()
        return Fake(x_c=self.G(batch.z))

    @torch.no_grad()
    def sample(self, z, azimuth, elevation, volumes_only=False, average=True):
        with self._sampling_g(average) as g:
            volumes = g(z)
        if volumes_only:
            return {"volumes": volumes}
        return {"volumes": volumes, "images": self.project(volumes, azimuth, elevation)}


class VisualHull(_ProjectionBaseline):
    """Visual Hull baseline (Gadelha et al. 2017, PrGAN): data = smoothed hard silhouettes,
    generator projected with ``1 - exp(-sum x)`` (tau = 1 per voxel)."""

    name = "visual-hull"
    dataset_renderer = "visual-hull"
    projection_fn = staticmethod(projection.visual_hull_generator_images)


class AbsorptionOnly(_ProjectionBaseline):
    """Absorption-Only baseline (Henzler et al. 2019): 1 - prod(1 - alpha * occupancy)."""

    name = "absorption-only"
    dataset_renderer = "absorption-only"
    projection_fn = staticmethod(projection.absorption_only_images)


class DCGAN2D(_GANMethod):
    """2D-DCGAN baseline: images from a 2D generator, against the same discriminator."""

    name = "dcgan"
    dataset_renderer = "opengl"
    makes_volumes = False

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        self.G = Generator2D(c.image_res, z_dim=c.z_dim, base_channels=c.g_channels)
        self.D = Discriminator(c.image_res, c.d_channels)
        self.modules = {"G": self.G.to(device), "D": self.D.to(device)}
        self.optimizers = {"G": self._adam(self.G, c.lr_g), "D": self._adam(self.D, c.lr_d)}

    def generate(self, batch: Batch) -> Fake:
        self.G.train()
        return Fake(x_c=self.G(batch.z))  # here x_c holds images, not volumes

    def images(self, x_c, batch):
        return x_c

    @torch.no_grad()
    def sample(self, z, azimuth, elevation, volumes_only=False, average=True):
        with self._sampling_g(average) as g:
            images = g(z)  # no volumes: the images are the samples whatever volumes_only says
        return {"images": images}
