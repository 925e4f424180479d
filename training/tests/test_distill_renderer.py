import torch

from training.distill.generator import TriplaneGenerator
from training.distill.renderer import RenderConfig, render_triplanes
from training.distill.triplane import TriplaneDecoder, sample_planes
from training.world.camera import fixed_cameras, rays


def test_plane_sampling_follows_the_documented_axes_and_corners():
    planes = torch.zeros(1, 3, 1, 4, 4)
    planes[0, 0, 0, 3, 0] = 1.0   # plane xy: row v = y = +1, column u = x = -1
    planes[0, 1, 0, 0, 3] = 2.0   # plane xz: row z = -1, column x = +1
    planes[0, 2, 0, 3, 3] = 4.0   # plane yz: row z = +1, column y = +1
    pts = torch.tensor([[[-1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, 1.0, 1.0], [-1.0, 1.0, -1.0]]])
    f = sample_planes(planes, pts)[0, :, 0]
    assert torch.allclose(f, torch.tensor([1.0, 2.0, 4.0, 1.0]))


def test_fresh_decoder_renders_the_bias_sphere():
    dec = TriplaneDecoder()
    planes = torch.zeros(1, 3, 16, 8, 8)
    cams = fixed_cameras([30.0], elevation=10.0)
    out = render_triplanes(dec, planes, cams, 32, torch.zeros(1, 3), RenderConfig(samples=128, beta=0.005))
    o, d = rays(cams, 32, 32)
    b = (o * d).sum(-1)
    inside = (b * b - ((o * o).sum(-1) - 0.25)) > 0
    mask = out.opacity.reshape(1, -1) > 0.5
    assert (mask == inside).float().mean() > 0.98
    assert (out.images[0, 0][out.opacity[0, 0] > 0.99] - 0.5 * 0.35).min() > -1e-3  # grey albedo, lit >= ambient


def test_gradients_reach_the_generator_through_the_renderer():
    gen, dec = TriplaneGenerator(TriplaneGenerator.Config(blocks=1, width=32, grid=4, upsamplings=1)), TriplaneDecoder()
    torch.nn.init.normal_(gen.upsample[-1].weight, std=0.1)  # both start at zero (the sphere); after the first
    torch.nn.init.normal_(dec.out.weight, std=0.1)             # optimiser step gradients reach everything
    planes = gen(torch.randn(2, 5, 128))
    out = render_triplanes(dec, planes, fixed_cameras([0.0, 90.0]), 16, torch.ones(2, 3), RenderConfig(samples=16))
    out.images.mean().backward()
    assert gen.tokens.grad.abs().sum() > 0 and dec.fc1.weight.grad.abs().sum() > 0


def test_low_resolution_render_is_upsampled_for_the_prior_and_keeps_gradients():
    from training.distill.system import DistillationSystem, SystemConfig
    from training.tests.distill_fixtures import tiny_prior
    prior = tiny_prior()
    cfg = SystemConfig(prompts_per_step=1, views_per_prompt=2, resolution=64, render_resolution=16,
                       render=RenderConfig(samples=8),
                       generator=TriplaneGenerator.Config(blocks=1, width=32, grid=4, upsamplings=1))
    system = DistillationSystem(cfg, prior)
    torch.nn.init.normal_(system.decoder.out.weight, std=0.1)
    out = system(["a red wooden barrel"], 0.5, torch.Generator().manual_seed(0))
    assert out["images"].shape == (2, 3, 64, 64)
    out["loss"].backward()
    assert system.decoder.out.weight.grad.abs().sum() > 0  # the planes start at zero, so fc1's weights get none
