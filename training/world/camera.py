"""Orbit cameras of the Asset World (docs/conventions.md): sampling, rays, view-dependent prompts, network input."""
from dataclasses import dataclass

import torch

AZIMUTH_RANGE = (0.0, 360.0)
ELEVATION_RANGE = (-10.0, 45.0)
DISTANCE_RANGE = (2.6, 3.2)
FOV_RANGE = (40.0, 50.0)
CAMERA_DIM = 4


@dataclass
class Cameras:
    """A batch of orbit cameras; angles in degrees, all tensors [B]."""
    azimuth: torch.Tensor
    elevation: torch.Tensor
    distance: torch.Tensor
    fov: torch.Tensor

    def __len__(self):
        return self.azimuth.shape[0]

    def position(self) -> torch.Tensor:
        az, el = torch.deg2rad(self.azimuth), torch.deg2rad(self.elevation)
        return self.distance[:, None] * torch.stack(
            [torch.cos(el) * torch.sin(az), torch.sin(el), torch.cos(el) * torch.cos(az)], -1)

    def frames(self):
        """(eye, forward, right, up) [B, 3] each; the camera looks at the origin with +Y up."""
        eye = self.position()
        forward = -eye / eye.norm(dim=-1, keepdim=True)
        world_up = torch.tensor([0.0, 1.0, 0.0]).expand_as(forward)
        right = torch.cross(forward, world_up, dim=-1)
        right = right / right.norm(dim=-1, keepdim=True)
        up = torch.cross(right, forward, dim=-1)
        return eye, forward, right, up

    def as_vector(self) -> torch.Tensor:
        """The k = 4 camera vector the networks are conditioned on."""
        az = torch.deg2rad(self.azimuth)
        return torch.stack([torch.sin(az), torch.cos(az), self.elevation / 90.0,
                            (self.distance - 2.9) / 0.3], -1)

    def light_direction(self) -> torch.Tensor:
        """Key light above and to the right of the camera, so every view is lit (conventions: Shading)."""
        eye, forward, right, _ = self.frames()
        l = -forward + torch.tensor([0.0, 0.8, 0.0]) + 0.4 * right
        return l / l.norm(dim=-1, keepdim=True)


def sample_cameras(n: int, generator: torch.Generator) -> Cameras:
    def u(lo_hi):
        lo, hi = lo_hi
        return lo + (hi - lo) * torch.rand(n, generator=generator)
    return Cameras(u(AZIMUTH_RANGE), u(ELEVATION_RANGE), u(DISTANCE_RANGE), u(FOV_RANGE))


def fixed_cameras(azimuths, elevation=20.0, distance=2.9, fov=45.0) -> Cameras:
    az = torch.tensor([float(a) for a in azimuths])
    full = lambda v: torch.full_like(az, v)
    return Cameras(az, full(elevation), full(distance), full(fov))


def rays(cameras: Cameras, height: int, width: int):
    """Ray origins and unit directions [B, H*W, 3], row-major from the top-left pixel."""
    eye, forward, right, up = cameras.frames()
    tan = torch.tan(torch.deg2rad(cameras.fov) / 2)[:, None]
    aspect = width / height
    xs = ((torch.arange(width) + 0.5) / width * 2 - 1) * aspect
    ys = 1 - (torch.arange(height) + 0.5) / height * 2
    py, px = torch.meshgrid(ys, xs, indexing="ij")
    px, py = px.reshape(1, -1) * tan, py.reshape(1, -1) * tan
    d = forward[:, None] + px[..., None] * right[:, None] + py[..., None] * up[:, None]
    d = d / d.norm(dim=-1, keepdim=True)
    return eye[:, None].expand_as(d), d


def view_suffix(azimuth: float, elevation: float) -> str:
    """threestudio's view-dependent prompting."""
    if elevation > 60.0:
        return "overhead view"
    a = azimuth % 360.0
    if a < 45.0 or a >= 315.0:
        return "front view"
    if 135.0 <= a < 225.0:
        return "back view"
    return "side view"


def view_prompt(prompt: str, azimuth: float, elevation: float) -> str:
    return f"{prompt}, {view_suffix(azimuth, elevation)}"

