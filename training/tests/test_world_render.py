import math

import torch

from training.world import primitives as P
from training.world.assets import Prim
from training.world.camera import fixed_cameras, rays, sample_cameras
from training.world.grammar import parse
from training.world.metrics3d import compare, spec_grids
from training.world.render import AMBIENT, BOUND, DIFFUSE, HIT_EPS, TRACE_STEPS, normals, render, sphere_trace
from training.world.scene import albedo, albedo_points, compile_specs, pairs, sdf, sdf_points, table_from_prims


def test_sdf_and_albedo_queries_match_a_sphere():
    table = table_from_prims([[Prim(P.SPHERE, (0.1, -0.2, 0.3), (0.5, 0, 0, 0))]], colour="red")
    pts = torch.rand(1, 100, 3) * 2 - 1
    expected = (pts - torch.tensor([0.1, -0.2, 0.3])).norm(dim=-1) - 0.5
    assert torch.allclose(sdf(table, pts), expected, atol=1e-5)
    assert torch.allclose(albedo(table, pts)[0, 0], torch.tensor([0.85, 0.12, 0.10]))


def _ray_sphere(o, d, r):
    b = (o * d).sum(-1)
    disc = b * b - ((o * o).sum(-1) - r * r)
    return disc >= 0, -b - torch.sqrt(disc.clamp(min=0))


def test_render_depth_matches_analytic_sphere():
    table = table_from_prims([[Prim(P.SPHERE, (0, 0, 0), (0.6, 0, 0, 0))]] * 2)
    cams = fixed_cameras([0.0, 123.0], elevation=20.0)
    r = render(table, cams, 32)
    o, d = rays(cams, 32, 32)
    inside, t = _ray_sphere(o, d, 0.6)
    mask = r.masks.reshape(2, -1)
    assert (mask == inside).float().mean() > 0.995
    hit = o + t[..., None] * d
    facing = (-(hit / 0.6) * d).sum(-1) > 0.3  # away from grazing silhouettes, where depth is ill-conditioned
    both = mask & inside & facing
    assert (r.depth.reshape(2, -1)[both] - t[both]).abs().max() < 5e-3


def test_render_mask_matches_analytic_box_silhouette():
    # Seen straight from the front, a box's silhouette is the projection of its front face.
    table = table_from_prims([[Prim(P.BOX, (0, 0, 0), (0.4, 0.3, 0.2, 0.0))]])
    cams = fixed_cameras([0.0], elevation=0.0, distance=3.0, fov=45.0)
    r = render(table, cams, 64)
    o, d = rays(cams, 64, 64)
    t = (0.2 - o[..., 2]) / d[..., 2]   # hit the z = 0.2 face plane
    hit = o + t[..., None] * d
    inside = (hit[..., 0].abs() <= 0.4) & (hit[..., 1].abs() <= 0.3)
    assert (r.masks.reshape(1, -1) == inside).float().mean() > 0.99
    assert (r.depth.reshape(1, -1)[inside] - t[inside]).abs().max() < 5e-3


def _trace_every_part(table, o, d):
    """Sphere tracing without culling: every part of the asset at every step, from the cube's entry."""
    B, N, _ = o.shape
    o, d = o.reshape(-1, 3), d.reshape(-1, 3)
    asset = torch.arange(B).repeat_interleave(N)
    t = torch.zeros(B * N)
    hit = torch.zeros(B * N, dtype=torch.bool)
    for _ in range(TRACE_STEPS):
        marching = ~hit & (t < 2 * BOUND + o.norm(dim=-1))
        dist = sdf_points(table, o[marching] + t[marching, None] * d[marching], asset[marching])
        t[marching] += dist
        hit[marching.nonzero().squeeze(1)[dist.abs() < HIT_EPS]] = True
    return hit.reshape(B, N)


CULLING_SPECS = ("a hut with a red roof", "a well", "a blue crate on top of a red barrel", "a grey rock",
                 "a mushroom next to a rock", "a tall pine tree", "a treasure chest with a yellow lock")


def test_culled_tracing_finds_what_tracing_every_part_finds():
    # Compositions, parts carved by negative primitives (the well's shaft, the rock's cut base) and grazing rays: tracing
    # only the parts whose bounding spheres a ray crosses must hit the same pixels.
    table = compile_specs([parse(p) for p in CULLING_SPECS])
    assert bool(table.negative.any())
    cams = sample_cameras(len(CULLING_SPECS), torch.Generator().manual_seed(3))
    o, d = rays(cams, 48, 48)
    culled = sphere_trace(table, o, d).hit.reshape(len(CULLING_SPECS), -1)
    reference = _trace_every_part(table, o, d)
    assert culled.float().mean() > 0.05
    assert (culled == reference).float().mean() > 0.998


def test_shading_from_the_crossed_parts_equals_shading_from_every_part():
    table = compile_specs([parse(p) for p in CULLING_SPECS])
    cams = sample_cameras(len(CULLING_SPECS), torch.Generator().manual_seed(4))
    r = render(table, cams, 48)
    o, d = rays(cams, 48, 48)
    hit = r.masks.reshape(-1)
    idx = hit.nonzero().squeeze(1)
    asset = idx // (48 * 48)
    p = o.reshape(-1, 3)[idx] + r.depth.reshape(-1)[idx, None] * d.reshape(-1, 3)[idx]
    n = normals(table, p, *pairs(table, asset))
    shade = AMBIENT + DIFFUSE * (n * cams.light_direction()[asset]).sum(-1).clamp(min=0.0)
    expected = (albedo_points(table, p, asset) * shade[:, None]).clamp(0.0, 1.0)
    assert torch.equal(r.images.permute(0, 2, 3, 1).reshape(-1, 3)[idx], expected)


def test_rendering_is_deterministic_and_shaded():
    specs = [parse("a red barrel"), parse("a blue crate on top of a mossy rock")]
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a = render(compile_specs(specs), sample_cameras(2, g1), 32)
    b = render(compile_specs(specs), sample_cameras(2, g2), 32)
    assert torch.equal(a.images, b.images)
    assert a.masks.float().mean() > 0.05
    fg = a.images[0][:, a.masks[0, 0]]
    assert fg[0].mean() > fg[1].mean() + 0.2  # a red barrel is red


def test_view_suffix_and_camera_vector():
    from training.world.camera import view_suffix
    assert view_suffix(10, 20) == "front view" and view_suffix(350, 0) == "front view"
    assert view_suffix(180, 10) == "back view" and view_suffix(90, 10) == "side view"
    assert view_suffix(0, 70) == "overhead view"
    v = fixed_cameras([90.0], elevation=45.0, distance=2.9).as_vector()
    assert torch.allclose(v, torch.tensor([[1.0, math.cos(math.pi / 2), 0.5, 0.0]]), atol=1e-6)


def test_iou_self_is_one_and_other_categories_are_far():
    barrel = spec_grids(parse("a barrel"), 32)
    assert compare(*barrel, *barrel)["iou"] == 1.0
    assert compare(*barrel, *barrel)["chamfer"] == 0.0
    for other in ("a chair", "a lamp post", "a tent"):
        m = compare(*spec_grids(parse(other), 32), *barrel)
        assert m["iou"] < 0.5 and m["chamfer"] > 0.05


def test_iou_is_invariant_to_quarter_turns():
    chair = spec_grids(parse("a chair"), 32)
    turned = tuple(torch.rot90(g, 1, dims=(0, 2)) for g in chair)
    m = compare(*turned, *chair)
    assert m["iou"] == 1.0 and m["yaw_deg"] in (90.0, 270.0)
