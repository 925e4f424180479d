"""Signed-distance primitives, evaluated in each primitive's local frame.

Every formula takes local points p [..., 3] and a parameter tensor q [..., 4] (broadcast against p's leading dims)
and returns distances [...]. The ids below are the `type` column of a compiled primitive table (see compile.py).
Formulas follow Inigo Quilez's catalogue of distance functions; all are exact or a conservative bound, so sphere
tracing with a unit step never overshoots by more than the bound's slack.
"""
import torch

SPHERE, BOX, CYLINDER, CONE, TORUS, CAPSULE, ELLIPSOID, OCTAHEDRON = range(8)
NUM_TYPES = 8


def _len(v: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((v * v).sum(-1) + 1e-12)


def sphere(p, q):
    """q = (radius, -, -, -)."""
    return _len(p) - q[..., 0]


def box(p, q):
    """Rounded box; q = (half x, half y, half z, rounding)."""
    r = q[..., 3:4]
    d = p.abs() - (q[..., :3] - r)
    outside = _len(d.clamp(min=0.0))
    inside = d.max(-1).values.clamp(max=0.0)
    return outside + inside - r[..., 0]


def cylinder(p, q):
    """Vertical capped cylinder; q = (radius, half height, rounding, -)."""
    r = q[..., 2]
    dx = torch.sqrt(p[..., 0] ** 2 + p[..., 2] ** 2 + 1e-12) - (q[..., 0] - r)
    dy = p[..., 1].abs() - (q[..., 1] - r)
    d = torch.stack([dx, dy], -1)
    return _len(d.clamp(min=0.0)) + d.max(-1).values.clamp(max=0.0) - r


def cone(p, q):
    """Vertical capped cone (frustum); q = (bottom radius, top radius, half height, -). Exact (iq's sdCappedCone)."""
    r1, r2, h = q[..., 0], q[..., 1], q[..., 2]
    qx = torch.sqrt(p[..., 0] ** 2 + p[..., 2] ** 2 + 1e-12)
    qy = p[..., 1]
    k1x, k1y = r2, h
    k2x, k2y = r2 - r1, 2.0 * h
    cax = qx - torch.minimum(qx, torch.where(qy < 0.0, r1, r2))
    cay = qy.abs() - h
    k2dot = (k2x * k2x + k2y * k2y).clamp(min=1e-12)
    t = (((k1x - qx) * k2x + (k1y - qy) * k2y) / k2dot).clamp(0.0, 1.0)
    cbx = qx - k1x + k2x * t
    cby = qy - k1y + k2y * t
    s = torch.where((cbx < 0.0) & (cay < 0.0), -1.0, 1.0)
    return s * torch.sqrt(torch.minimum(cax * cax + cay * cay, cbx * cbx + cby * cby) + 1e-12)


def torus(p, q):
    """Torus in the local xz plane; q = (major radius, minor radius, -, -)."""
    qx = torch.sqrt(p[..., 0] ** 2 + p[..., 2] ** 2 + 1e-12) - q[..., 0]
    return torch.sqrt(qx * qx + p[..., 1] ** 2 + 1e-12) - q[..., 1]


def capsule(p, q):
    """Vertical capsule; q = (radius, half length of the axis segment, -, -)."""
    y = p[..., 1] - p[..., 1].clamp(-q[..., 1], q[..., 1])
    return torch.sqrt(p[..., 0] ** 2 + y * y + p[..., 2] ** 2 + 1e-12) - q[..., 0]


def ellipsoid(p, q):
    """Ellipsoid; q = (radius x, y, z, -). iq's bound: k0 * (k0 - 1) / k1, conservative near the surface."""
    rad = q[..., :3]
    k0 = _len(p / rad)
    k1 = _len(p / (rad * rad))
    return k0 * (k0 - 1.0) / k1


def octahedron(p, q):
    """Octahedron stretched along y; q = (half width, half height, -, -). Bound via the scaled L1 norm."""
    w, h = q[..., 0], q[..., 1]
    m = p[..., 0].abs() / w + p[..., 1].abs() / h + p[..., 2].abs() / w
    # Distance to the face plane x/w + y/h + z/w = 1, normalised by the plane gradient's length.
    return (m - 1.0) / torch.sqrt(2.0 / (w * w) + 1.0 / (h * h))


FORMULAS = {
    SPHERE: sphere, BOX: box, CYLINDER: cylinder, CONE: cone,
    TORUS: torus, CAPSULE: capsule, ELLIPSOID: ellipsoid, OCTAHEDRON: octahedron,
}


def bounding_radius(types: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """A radius [M] around each primitive's centre that contains it (for ray culling)."""
    norm3 = q[:, :3].norm(dim=-1)
    by_type = torch.stack([
        q[:, 0],                                      # sphere
        norm3,                                        # box
        torch.hypot(q[:, 0], q[:, 1]),                # cylinder
        torch.hypot(q[:, :2].max(-1).values, q[:, 2]),  # cone
        q[:, 0] + q[:, 1],                            # torus
        q[:, 0] + q[:, 1],                            # capsule
        q[:, :3].max(-1).values,                      # ellipsoid
        q[:, :2].max(-1).values,                      # octahedron
    ], -1)
    return by_type.gather(1, types[:, None]).squeeze(1)
