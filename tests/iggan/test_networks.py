"""Shapes, ranges and wiring of IG-GAN's networks (iggan.networks)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from iggan.networks import Discriminator, Generator2D, Generator3D, RenderNet, count_parameters
from shapenet_render.projection import view_transform


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("n", [16, 32])
def test_generator3d_shape_and_range(n):
    g = Generator3D(voxel_res=n, base_channels=8)
    with torch.no_grad():
        x = g(torch.randn(3, 200))
    assert x.shape == (3, 1, n, n, n) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0


def test_generator3d_paper_size_and_sparse_init():
    g = Generator3D(voxel_res=64, base_channels=64)  # paper widths 512-256-128-64
    widths = [m.out_channels for m in g.modules() if isinstance(m, nn.ConvTranspose3d)]
    assert widths == [512, 256, 128, 64, 1]
    with torch.no_grad():
        assert g.eval()(torch.randn(1, 200)).shape == (1, 1, 64, 64, 64)
    sparse = Generator3D(voxel_res=16, base_channels=8, out_bias_init=-4.0)
    with torch.no_grad():
        assert float(sparse(torch.randn(4, 200)).mean()) < 0.1
    with pytest.raises(ValueError):
        Generator3D(voxel_res=48)
    with pytest.raises(ValueError):
        g(torch.randn(2, 100))


@pytest.mark.parametrize(("m", "r", "down"), [(32, 32, 4), (32, 64, 2), (64, 64, 4)])
def test_rendernet_shapes(m, r, down):
    net = RenderNet(volume_res=m, image_res=r, channels_3d=4, channels_2d=16, downsample=down)
    out = net(torch.rand(2, 1, m, m, m))
    assert out.shape == (2, 1, r, r)
    n_res3d = sum(1 for b in net.res3d if b.__class__.__name__ == "_ResBlock")
    n_res2d = sum(1 for b in net.res2d if b.__class__.__name__ == "_ResBlock")
    assert (n_res3d, n_res2d) == (2, 4)


def test_rendernet_paper_size_one_forward():
    net = RenderNet(volume_res=128, image_res=128)
    with torch.no_grad():
        out = net(torch.rand(1, 1, 128, 128, 128))
    assert out.shape == (1, 1, 128, 128)


def test_rendernet_output_is_linear_and_batch_independent():
    net = RenderNet(volume_res=32, image_res=32, channels_3d=4, channels_2d=16)
    assert not any(isinstance(mod, nn.BatchNorm2d | nn.BatchNorm3d) for mod in net.modules())
    assert isinstance(list(net.children())[-1], nn.Conv2d)  # no squashing output layer
    vols = torch.rand(4, 1, 32, 32, 32)
    with torch.no_grad():
        together = net(vols)
        alone = net(vols[1:2])
    torch.testing.assert_close(together[1:2], alone, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError):
        net(torch.rand(1, 1, 16, 16, 16))
    with pytest.raises(ValueError):
        RenderNet(volume_res=32, image_res=48, downsample=4)


@pytest.mark.parametrize("r", [64, 128])
def test_discriminator_spectral_norm_no_batchnorm(r):
    d = Discriminator(image_res=r, base_channels=8)
    layers = [mod for mod in d.modules() if isinstance(mod, nn.Conv2d | nn.Linear)]
    assert layers and all(parametrize.is_parametrized(mod, "weight") for mod in layers)
    assert not any(isinstance(mod, nn.modules.batchnorm._BatchNorm) for mod in d.modules())
    logits = d(torch.rand(3, 1, r, r) * 2 - 1)
    assert logits.shape == (3,)


@pytest.mark.parametrize("r", [64, 128])
def test_generator2d_shape_and_range(r):
    g = Generator2D(image_res=r, base_channels=8)
    with torch.no_grad():
        y = g(torch.randn(2, 100))
    assert y.shape == (2, 1, r, r)
    assert float(y.min()) >= -1.0 and float(y.max()) <= 1.0


def test_gradients_reach_generator_through_rendernet():
    n = 16
    g = Generator3D(voxel_res=n, base_channels=4)
    r = RenderNet(volume_res=2 * n, image_res=32, channels_3d=4, channels_2d=16)
    d = Discriminator(image_res=32, base_channels=8)
    x = g(torch.randn(2, 200))
    cam = view_transform(x, torch.tensor([30.0, 200.0]), torch.tensor([20.0, -10.0]))
    loss = -torch.nn.functional.logsigmoid(d(r(cam))).mean()
    loss.backward()
    for name, p in g.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name


def test_count_parameters():
    d = Discriminator(image_res=32, base_channels=4)
    assert count_parameters(d) == sum(p.numel() for p in d.parameters())
    frozen = nn.Linear(3, 2)
    frozen.weight.requires_grad_(False)
    assert count_parameters(frozen) == 2 and count_parameters(frozen, trainable_only=False) == 8


@pytest.mark.parametrize("c_in,c_out,n", [(1, 4, 16), (4, 8, 10)])
def test_rendernet_stem_conv_equals_plain_conv3d(c_in, c_out, n):
    """The CPU space-to-depth form of RenderNet's k4/s2 stem is nn.Conv3d(c_in, c_out, 4, 2, 1):
    same state_dict, same outputs and the same gradients for the input and the parameters."""
    from iggan.networks import _Conv3dK4S2

    torch.manual_seed(0)
    ours = _Conv3dK4S2(c_in, c_out)
    plain = nn.Conv3d(c_in, c_out, 4, 2, 1)
    plain.load_state_dict(ours.state_dict())
    x = torch.randn(3, c_in, n, n, n)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa), plain(xb)
    torch.testing.assert_close(ya, yb, rtol=1e-5, atol=1e-5)
    weights = torch.randn_like(ya)
    (ya * weights).sum().backward()
    (yb * weights).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours.weight.grad, plain.weight.grad, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ours.bias.grad, plain.bias.grad, rtol=1e-4, atol=1e-4)


def test_rendernet_channels_last_3d_features_change_no_value_or_gradient():
    """RenderNet runs its 3D residual blocks channels-last on CPU; the output and the gradients
    equal those of the same layers applied in the default layout."""
    torch.manual_seed(0)
    r = RenderNet(16, 16, 4, 8, 2)
    x = torch.rand(2, 1, 16, 16, 16)

    def plain(v):
        h = r.res3d(r.stem(v).contiguous())
        b, c, d, hh, w = h.shape
        return r.out(r.up(r.res2d(r.project(h.reshape(b, c * d, hh, w)))))

    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya = r(xa)
    (ya * ya).sum().backward()
    grads = [p.grad.clone() for p in r.parameters()]
    r.zero_grad()
    yb = plain(xb)
    (yb * yb).sum().backward()
    torch.testing.assert_close(ya, yb, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-4, atol=1e-5)
    for ga, p in zip(grads, r.parameters(), strict=True):
        torch.testing.assert_close(ga, p.grad, rtol=1e-4, atol=1e-4)
