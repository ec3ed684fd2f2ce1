"""Differentiable coordinate encodings: raw (lon, lat[, time]) -> network inputs.

The encodings are torch modules whose forward pass uses only differentiable
torch operations, so derivatives of a fitted field with respect to the raw
coordinates (degrees, days) -- and from there to metres and seconds -- flow
through them with autograd.

Raw coordinates enter as an ``(n, 2)`` or ``(n, 3)`` float tensor with columns
longitude (degrees east), latitude (degrees north) and time (days since the
model's reference).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["SphereEncoding", "LinearTimeEncoding", "CoordinateEncoding"]

DEG2RAD = math.pi / 180.0  # radians per degree
EARTH_RADIUS_KM = 6371.0  # km, mean Earth radius
DEFAULT_VELOCITY_SCALE = 10.0  # km/day, links time to space in the encoding (see CoordinateEncoding)


def sphere_xyz(lon_deg: torch.Tensor, lat_deg: torch.Tensor) -> torch.Tensor:
    """Unit-sphere Cartesian coordinates (x, y, z) of (lon, lat) in degrees, shape (..., 3)."""
    lon = lon_deg * DEG2RAD
    lat = lat_deg * DEG2RAD
    cl = torch.cos(lat)
    return torch.stack((cl * torch.cos(lon), cl * torch.sin(lon), torch.sin(lat)), dim=-1)


class SphereEncoding(nn.Module):
    r"""Longitude/latitude -> unit-sphere Cartesian coordinates, centred and scaled to the region.

    .. math::
        e = \frac{(\cos\phi\cos\lambda,\ \cos\phi\sin\lambda,\ \sin\phi) - c}{s}

    with :math:`c` the centre of the fitted points on the sphere and :math:`s` the
    largest distance of a point from it along any axis, so that the encoded points
    fill [-1, 1] in the widest direction whatever the region's size (a 10-degree box
    and the globe both span the full input range of the network). The scaling is
    isotropic, so distances keep their proportions. No seam at the dateline and no
    singularity at the poles.

    Parameters
    ----------
    center : sequence of 3 floats
    scale : float

    Examples
    --------
    >>> import torch
    >>> enc = SphereEncoding()
    >>> enc(torch.tensor([0.0, 90.0]), torch.tensor([0.0, 0.0])).abs().round(decimals=6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """

    def __init__(self, center=(0.0, 0.0, 0.0), scale: float = 1.0):
        super().__init__()
        self.center_values = tuple(float(c) for c in center)
        self.scale_value = float(scale)
        self.register_buffer("center", torch.tensor(self.center_values, dtype=torch.float32), persistent=False)
        self.register_buffer("inv_scale", torch.tensor(1.0 / self.scale_value, dtype=torch.float32), persistent=False)
        self.out_features = 3

    @staticmethod
    def fit_params(lon_deg: np.ndarray, lat_deg: np.ndarray) -> dict:
        """Centre and scale from the training points (numpy, float64)."""
        lon = np.radians(lon_deg)
        lat = np.radians(lat_deg)
        xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
        lo, hi = xyz.min(axis=0), xyz.max(axis=0)
        center = 0.5 * (lo + hi)
        scale = float(np.max(hi - lo) / 2.0)
        # at least ~10 km across so a single point or a tiny patch stays well-conditioned
        scale = max(scale, 1e-3)
        return {"center": [float(c) for c in center], "scale": scale}

    def forward(self, lon_deg: torch.Tensor, lat_deg: torch.Tensor) -> torch.Tensor:
        return (sphere_xyz(lon_deg, lat_deg) - self.center) * self.inv_scale

    def config(self) -> dict:
        return {"center": list(self.center_values), "scale": self.scale_value}


class LinearTimeEncoding(nn.Module):
    r"""Time in days -> :math:`(t - t_{mid}) / t_{half}`.

    Parameters
    ----------
    t_mid : float
        Centre of the training window, in days.
    t_half : float
        Days that map to one encoded unit. :meth:`CoordinateEncoding.from_points`
        sets it from the spatial scale and a velocity scale, so that space and time
        share one notion of frequency (see there).

    Examples
    --------
    >>> import torch
    >>> LinearTimeEncoding(5.0, 5.0)(torch.tensor([0.0, 10.0])).tolist()
    [[-1.0], [1.0]]
    """

    def __init__(self, t_mid: float = 0.0, t_half: float = 1.0):
        super().__init__()
        self.t_mid_value = float(t_mid)
        self.t_half_value = float(t_half)
        self.register_buffer("t_mid", torch.tensor(self.t_mid_value, dtype=torch.float32), persistent=False)
        self.register_buffer("inv_half", torch.tensor(1.0 / self.t_half_value, dtype=torch.float32), persistent=False)
        self.out_features = 1

    @staticmethod
    def fit_params(t_days: np.ndarray, days_per_unit: float | None = None) -> dict:
        """Centre on the window; scale by ``days_per_unit`` (default: the half window)."""
        lo, hi = float(np.min(t_days)), float(np.max(t_days))
        half = days_per_unit if days_per_unit is not None else max(0.5 * (hi - lo), 0.5)
        return {"t_mid": 0.5 * (lo + hi), "t_half": float(half)}

    def forward(self, t_days: torch.Tensor) -> torch.Tensor:
        return ((t_days - self.t_mid) * self.inv_half).unsqueeze(-1)

    def config(self) -> dict:
        return {"t_mid": self.t_mid_value, "t_half": self.t_half_value}


SPACE_ENCODINGS = {"sphere": SphereEncoding}
TIME_ENCODINGS = {"linear": LinearTimeEncoding}


class CoordinateEncoding(nn.Module):
    """Raw coordinates ``(n, 2|3)`` = (lon deg, lat deg[, time days]) -> features ``(n, out_features)``.

    Parameters
    ----------
    space : {"sphere"}
        Spatial encoding name.
    time : {"linear"} or None
        Time encoding name, None for purely spatial fields.
    space_params, time_params : dict
        Keyword arguments of the encodings (see :meth:`from_points`).

    Examples
    --------
    >>> import numpy as np, torch
    >>> enc = CoordinateEncoding.from_points(np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 4.0]]))
    >>> enc(torch.tensor([[5.0, 5.0, 2.0]])).shape
    torch.Size([1, 4])
    """

    def __init__(self, space: str = "sphere", time: str | None = None, space_params=None, time_params=None):
        super().__init__()
        self.space_name = space
        self.time_name = time
        self.space = SPACE_ENCODINGS[space](**(space_params or {}))
        self.time = TIME_ENCODINGS[time](**(time_params or {})) if time else None
        self.in_features = 3 if time else 2
        self.out_features = self.space.out_features + (self.time.out_features if time else 0)

    @classmethod
    def from_points(
        cls,
        coords: np.ndarray,
        space: str = "sphere",
        time: str | None = "linear",
        velocity_scale: float | None = DEFAULT_VELOCITY_SCALE,
    ) -> "CoordinateEncoding":
        """Build the encoding whose scales fit the training coordinates ``(n, 2|3)``.

        Space is scaled so the region fills [-1, 1]; one encoded unit is then
        ``scale * EARTH_RADIUS_KM`` km. Time is scaled so that one encoded unit is
        the time a feature moving at ``velocity_scale`` km/day takes to cross one
        spatial unit: a network frequency then means the same thing in space and in
        time. ``velocity_scale=None`` maps the training window to [-1, 1] instead.
        """
        coords = np.asarray(coords, dtype=np.float64)
        has_time = coords.shape[1] == 3
        space_params = SPACE_ENCODINGS[space].fit_params(coords[:, 0], coords[:, 1])
        time_params = None
        if has_time and time:
            days = None
            if velocity_scale is not None:
                if not velocity_scale > 0:
                    raise ValueError(f"velocity_scale must be > 0 km/day, got {velocity_scale}")
                days = space_params["scale"] * EARTH_RADIUS_KM / float(velocity_scale)
            time_params = TIME_ENCODINGS[time].fit_params(coords[:, 2], days)
        return cls(space, time if has_time else None, space_params, time_params)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        feats = self.space(raw[:, 0], raw[:, 1])
        if self.time is not None:
            feats = torch.cat((feats, self.time(raw[:, 2])), dim=-1)
        return feats

    def config(self) -> dict:
        """JSON-serializable description; ``CoordinateEncoding(**config)`` rebuilds it exactly."""
        return {
            "space": self.space_name,
            "time": self.time_name,
            "space_params": self.space.config(),
            "time_params": self.time.config() if self.time is not None else None,
        }
