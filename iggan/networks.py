"""IG-GAN's networks: 3D generator, neural renderer (RenderNet), discriminator, and the 2D generator
of the 2D-DCGAN baseline.

Frames and layouts follow :mod:`shapenet_render.conventions`: generated volumes are world-frame
``(B, 1, N, N, N)`` occupancies indexed [x, y, z]; the neural renderer takes camera-frame volumes
``(B, 1, M, M, M)`` = (B, C, D, H, W) from :func:`shapenet_render.projection.view_transform`;
images are ``(B, 1, R, R)`` float in [-1, 1] (row 0 = top). All tensors are float32 unless the
caller chooses otherwise.

Paper sizes (section 4.1): 64^3 voxels, 128^3 view volume, 128^2 images; generator widths
512-256-128-64 from 4^3 to 64^3 (Wu et al. 2016); RenderNet with 2 residual 3D and 4 residual 2D
blocks; DCGAN discriminator with spectral normalisation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def _log2_int(value: int, name: str) -> int:
    k = int(round(math.log2(value))) if value > 0 else -1
    if k < 0 or 2**k != value:
        raise ValueError(f"{name} must be a power of two, got {value}")
    return k


# --------------------------------------------------------------------------------------------------
# 3D generator (Wu et al. 2016)
# --------------------------------------------------------------------------------------------------


class Generator3D(nn.Module):
    """3D-GAN generator: z (B, z_dim) -> occupancy (B, 1, N, N, N) in [0, 1], world layout [x,y,z].

    ConvTranspose3d(z_dim -> 8b, k4) to 4^3, then ConvTranspose3d(k4, s2, p1) + BatchNorm3d + ReLU
    doubling the resolution and halving the width (8b, 4b, 2b, b for N = 64), and a last
    ConvTranspose3d to one channel with a sigmoid. ``b = base_channels`` (paper: 64, giving
    512-256-128-64).

    Args:
        voxel_res: N in {16, 32, 64}.
        z_dim: latent size (paper: 200).
        base_channels: b above.
        out_bias_init: initial bias of the last layer. Negative values make early volumes sparse
            (sigmoid(-3) ~ 0.05), which the cpu preset needs (iggan.config.CPU_DEPARTURES); 0 is the paper's.
    """

    def __init__(
        self,
        voxel_res: int = 64,
        z_dim: int = 200,
        base_channels: int = 64,
        out_bias_init: float = 0.0,
    ):
        super().__init__()
        if voxel_res not in (16, 32, 64):
            raise ValueError(f"voxel_res must be 16, 32 or 64, got {voxel_res}")
        self.voxel_res, self.z_dim = voxel_res, z_dim
        ups = _log2_int(voxel_res // 4, "voxel_res / 4")  # stride-2 layers after the 4^3 seed
        widths = [max(base_channels * 8 // 2**i, 1) for i in range(ups)]
        layers: list[nn.Module] = [
            nn.ConvTranspose3d(z_dim, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm3d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.ConvTranspose3d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm3d(c_out),
                nn.ReLU(inplace=True),
            ]
        self.body = nn.Sequential(*layers)
        self.out = nn.ConvTranspose3d(widths[-1], 1, 4, 2, 1, bias=True)
        nn.init.constant_(self.out.bias, out_bias_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, z_dim) float -> (B, 1, N, N, N) float in [0, 1]."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be (B, {self.z_dim}), got {tuple(z.shape)}")
        x = self.body(z.view(z.shape[0], self.z_dim, 1, 1, 1))
        return torch.sigmoid(self.out(x))


# --------------------------------------------------------------------------------------------------
# Neural renderer (RenderNet, Nguyen-Phuoc et al. 2018)
# --------------------------------------------------------------------------------------------------


class _ResBlock(nn.Module):
    """conv3-PReLU-conv3 + identity, then PReLU. No normalisation layer: the renderer must render
    each volume independently of its batch (x_d and x_c are rendered in separate calls and compared
    through DOM), which BatchNorm's batch statistics would break."""

    def __init__(self, channels: int, dims: int):
        super().__init__()
        conv = nn.Conv3d if dims == 3 else nn.Conv2d
        self.conv1 = conv(channels, channels, 3, 1, 1)
        self.act1 = nn.PReLU(channels)
        self.conv2 = conv(channels, channels, 3, 1, 1)
        self.act2 = nn.PReLU(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act2(x + self.conv2(self.act1(self.conv1(x))))


class _Conv3dK4S2(nn.Conv3d):
    """``nn.Conv3d(c_in, c_out, 4, 2, 1)`` (same parameters and state_dict) that on CPU runs as a
    2x2x2 convolution of the space-to-depth rearranged input.

    out[o] = sum_t pad(x)[2o + t] w[t], t = 2i + a (i, a in {0, 1}), is a stride-1 kernel-2
    convolution over the 8 sub-grids a = (a_d, a_h, a_w) of the padded input, folded into
    channels. Same sums, in another order (outputs agree to ~1e-6); oneDNN's kernels for this
    strided few-channel layer are slow on CPU, and RenderNet's 64^3 stem is markedly faster this
    way (docs/notes/iteration-time.md). CUDA keeps the plain convolution.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__(c_in, c_out, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_cuda or x.shape[2] % 2 or x.shape[3] % 2 or x.shape[4] % 2:
            return super().forward(x)
        b, c, d, h, w = x.shape
        o = self.out_channels
        xp = F.pad(x, (1, 1, 1, 1, 1, 1))
        d2, h2, w2 = (d + 2) // 2, (h + 2) // 2, (w + 2) // 2
        xs = xp.view(b, c, d2, 2, h2, 2, w2, 2).permute(0, 1, 3, 5, 7, 2, 4, 6)
        ws = self.weight.view(o, c, 2, 2, 2, 2, 2, 2).permute(0, 1, 3, 5, 7, 2, 4, 6)
        return F.conv3d(xs.reshape(b, c * 8, d2, h2, w2), ws.reshape(o, c * 8, 2, 2, 2), self.bias)


class RenderNet(nn.Module):
    """Neural renderer R_phi: camera-frame volume (B, 1, M, M, M) -> image (B, 1, R, R), linear.

    Stem: log2(downsample) Conv3d(k4, s2, p1) + PReLU layers (widths ending at c3), down to
    (M / downsample)^3. 2 residual 3D blocks (the paper's modification of RenderNet). Projection
    unit: fold depth into channels, (B, c3, D', H', W') -> (B, c3 * D', H', W'), then Conv2d 1x1 ->
    c2 + PReLU. 4 residual 2D blocks. Upsampling: log2(R / H') stages of nearest x2 + Conv2d 3x3 +
    PReLU, halving the width (not below 16). Output Conv2d 3x3 -> 1 channel, **linear**: images live
    in [-1, 1], and a sigmoid output stalls pre-training and starves G of gradient.

    Args:
        volume_res: M (paper: 128).
        image_res: R (paper: 128); R must be (M / downsample) * 2^k, k >= 0.
        channels_3d: c3, width of the 3D features.
        channels_2d: c2, width after the projection unit.
        downsample: spatial reduction of the 3D stem, a power of two (RenderNet: 2 from 64^3; our
            4 from 128^3 gives the same 32^3 feature grid).
    """

    def __init__(
        self,
        volume_res: int = 128,
        image_res: int = 128,
        channels_3d: int = 16,
        channels_2d: int = 256,
        downsample: int = 4,
    ):
        super().__init__()
        self.volume_res, self.image_res = volume_res, image_res
        n_down = _log2_int(downsample, "downsample")
        if volume_res % downsample:
            raise ValueError(f"volume_res {volume_res} is not divisible by downsample {downsample}")
        feat = volume_res // downsample
        if image_res % feat:
            raise ValueError(
                f"image_res {image_res} must be a multiple of volume_res/downsample {feat}"
            )
        n_up = _log2_int(image_res // feat, "image_res / (volume_res / downsample)")

        stem: list[nn.Module] = []
        c_in = 1
        for i in range(n_down):
            c_out = max(channels_3d // 2 ** (n_down - 1 - i), 1)
            stem += [_Conv3dK4S2(c_in, c_out), nn.PReLU(c_out)]
            c_in = c_out
        if n_down == 0:
            stem += [nn.Conv3d(1, channels_3d, 3, 1, 1), nn.PReLU(channels_3d)]
        self.stem = nn.Sequential(*stem)
        self.res3d = nn.Sequential(*[_ResBlock(channels_3d, 3) for _ in range(2)])
        self.project = nn.Sequential(
            nn.Conv2d(channels_3d * feat, channels_2d, 1), nn.PReLU(channels_2d)
        )
        self.res2d = nn.Sequential(*[_ResBlock(channels_2d, 2) for _ in range(4)])
        up: list[nn.Module] = []
        c = channels_2d
        for _ in range(n_up):
            c_next = max(c // 2, 16)
            # Upsample + conv, not a transposed conv: no checkerboard artefacts on flat shading.
            up += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(c, c_next, 3, 1, 1),
                nn.PReLU(c_next),
            ]
            c = c_next
        self.up = nn.Sequential(*up)
        self.out = nn.Conv2d(c, 1, 3, 1, 1)

    def forward(self, cam_volume: torch.Tensor) -> torch.Tensor:
        """cam_volume: (B, 1, M, M, M) float (camera frame) -> (B, 1, R, R) float (unbounded)."""
        m = self.volume_res
        if cam_volume.dim() != 5 or tuple(cam_volume.shape[1:]) != (1, m, m, m):
            raise ValueError(f"volume must be (B, 1, {m}, {m}, {m}), got {tuple(cam_volume.shape)}")
        x = self.stem(cam_volume)
        if not x.is_cuda:
            # Same convolutions, channels-last memory layout: oneDNN's 3x3x3 kernels for these
            # few-channel 3D features are ~2x faster forward + backward that way on CPU (the
            # values are identical; gradients agree to float rounding). CUDA keeps its layout.
            x = x.contiguous(memory_format=torch.channels_last_3d)
        x = self.res3d(x).contiguous()
        b, c, d, h, w = x.shape
        x = self.project(x.reshape(b, c * d, h, w))  # projection unit: depth folded into channels
        return self.out(self.up(self.res2d(x)))


# --------------------------------------------------------------------------------------------------
# Discriminator (DCGAN, Radford et al. 2016, with spectral normalisation, Miyato et al. 2018)
# --------------------------------------------------------------------------------------------------


class Discriminator(nn.Module):
    """DCGAN discriminator on (B, 1, R, R) images in [-1, 1] -> logits (B,).

    Conv2d(k4, s2, p1) + LeakyReLU(0.2) from R down to 4x4, widths b, 2b, 4b, 8b, 8b, ... (capped at
    8b; paper-size R = 128 has five such layers), then a 4x4 conv to one logit. Spectral
    normalisation on every layer and no BatchNorm (the paper adds SN to stabilise training; mixing
    BatchNorm with it would make D's output depend on the batch, which DOM compares per sample).

    Args:
        image_res: R, a power of two >= 8.
        base_channels: b (DCGAN: 64).
    """

    def __init__(self, image_res: int = 128, base_channels: int = 64):
        super().__init__()
        n_down = _log2_int(image_res, "image_res") - 2
        if n_down < 1:
            raise ValueError(f"image_res must be >= 8, got {image_res}")
        self.image_res = image_res
        layers: list[nn.Module] = []
        c_in = 1
        for i in range(n_down):
            c_out = base_channels * min(2**i, 8)
            layers += [
                spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            c_in = c_out
        layers.append(spectral_norm(nn.Conv2d(c_in, 1, 4, 1, 0)))
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: (B, 1, R, R) float in [-1, 1] -> (B,) float logits (D = sigmoid(logit))."""
        r = self.image_res
        if images.dim() != 4 or tuple(images.shape[1:]) != (1, r, r):
            raise ValueError(f"images must be (B, 1, {r}, {r}), got {tuple(images.shape)}")
        return self.net(images).view(images.shape[0])


# --------------------------------------------------------------------------------------------------
# 2D generator (DCGAN; the 2D-DCGAN baseline)
# --------------------------------------------------------------------------------------------------


class Generator2D(nn.Module):
    """DCGAN generator: z (B, z_dim) -> images (B, 1, R, R) in [-1, 1] (tanh).

    ConvTranspose2d(z_dim -> 8b, k4) to 4x4, then ConvTranspose2d(k4, s2, p1) + BatchNorm2d + ReLU
    doubling the resolution and halving the width (not below b), and a last ConvTranspose2d to one
    channel with tanh.

    Args:
        image_res: R, a power of two >= 8.
        z_dim: latent size (DCGAN: 100).
        base_channels: b (DCGAN: 64).
    """

    def __init__(self, image_res: int = 128, z_dim: int = 100, base_channels: int = 64):
        super().__init__()
        ups = _log2_int(image_res, "image_res") - 3  # stride-2 layers between 4x4 and the output
        if ups < 0:
            raise ValueError(f"image_res must be >= 8, got {image_res}")
        self.image_res, self.z_dim = image_res, z_dim
        widths = [max(base_channels * 8 // 2**i, base_channels) for i in range(ups + 1)]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(widths[-1], 1, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, z_dim) float -> (B, 1, R, R) float in [-1, 1]."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be (B, {self.z_dim}), got {tuple(z.shape)}")
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))
