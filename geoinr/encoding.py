"""Differentiable coordinate encodings: raw (lon, lat[, time]) -> network inputs.

The encodings are torch modules whose forward pass uses only differentiable
torch operations, so derivatives of a fitted field with respect to the raw
coordinates (degrees, days) -- and from there to metres and seconds -- flow
through them with autograd.

Raw coordinates enter as an ``(n, 2)`` or ``(n, 3)`` float tensor with columns
longitude (degrees east), latitude (degrees north) and time (days since the
model's reference).

Every encoding also provides its own derivatives (:meth:`SpaceEncoding.jets`,
:meth:`TimeEncoding.jets`), analytic where the formulas are simple
(``analytic_jets``), by nested forward mode otherwise; the fast physics paths
(:mod:`geoinr.physics.jets`) only call them.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .geometry import EARTH_RADIUS_KM

__all__ = [
    "SpaceEncoding",
    "TimeEncoding",
    "SphereEncoding",
    "LonLatEncoding",
    "SphericalHarmonicsEncoding",
    "LinearTimeEncoding",
    "TanhTimeEncoding",
    "SinusoidalTimeEncoding",
    "FourierTimeEncoding",
    "CoordinateEncoding",
    "SPACE_ENCODINGS",
    "TIME_ENCODINGS",
]

DEG2RAD = math.pi / 180.0  # radians per degree
SH_MAX_DEGREE = 20  # spherical harmonics: at most (20 + 1)^2 = 441 features (~2000 km wavelengths)
TANH_REACH = 1.25  # time_encoding="tanh": bounded at 1.25 half-windows (slope at the window's edge 1 - tanh(0.8)^2)


def sphere_xyz(lon_deg: torch.Tensor, lat_deg: torch.Tensor) -> torch.Tensor:
    """Unit-sphere Cartesian coordinates (x, y, z) of (lon, lat) in degrees, shape (..., 3)."""
    lon = lon_deg * DEG2RAD
    lat = lat_deg * DEG2RAD
    cl = torch.cos(lat)
    return torch.stack((cl * torch.cos(lon), cl * torch.sin(lon), torch.sin(lat)), dim=-1)


def forward_mode_space_jets(fn, lon: torch.Tensor, lat: torch.Tensor) -> torch.Tensor:
    """Value and derivatives up to third order of ``fn(lon, lat)`` by nested forward mode (4 nestings).

    The generic :meth:`SpaceEncoding.jets`: exact for any differentiable ``fn``, but each
    third derivative costs a three-level :func:`torch.func.jvp` nesting (seconds per call for
    spherical harmonics of degree 10 or more). Same layout as :meth:`SpaceEncoding.jets`.
    """
    from torch.func import jvp

    one, zero = torch.ones_like(lon), torch.zeros_like(lon)
    dirs = {"l": (one, zero), "p": (zero, one)}

    def d3(u, v, w):
        # (((f, f_w), (f_v, f_vw)), ((f_u, f_uw), (f_uv, f_uvw)))
        def d1(lo, la):
            return jvp(fn, (lo, la), dirs[w])

        def d2(lo, la):
            return jvp(d1, (lo, la), dirs[v])

        return jvp(d2, (lon, lat), dirs[u])

    with torch.no_grad():
        ((f, f_l), (_, f_ll)), (_, (_, f_lll)) = d3("l", "l", "l")
        ((_, f_p), (_, f_pp)), (_, (_, f_ppp)) = d3("p", "p", "p")
        ((_, _), (_, f_lp)), (_, (_, f_llp)) = d3("l", "l", "p")
        _, (_, (_, f_lpp)) = d3("l", "p", "p")
    return torch.stack((f, f_l, f_p, f_ll, f_lp, f_pp, f_lll, f_llp, f_lpp, f_ppp))


def forward_mode_time_jets(fn, t: torch.Tensor) -> torch.Tensor:
    """Value and first derivative of ``fn(t)`` by one forward-mode :func:`torch.func.jvp`: ``(2, n, features)``."""
    from torch.func import jvp

    with torch.no_grad():
        v, d = jvp(fn, (t,), (torch.ones_like(t),))
    return torch.stack((v, d))


class _ProvidesJets(nn.Module):
    """Encodings that provide their own derivative jets.

    A subclass that overrides ``forward`` without overriding ``jets`` gets the generic
    (forward-mode) jets of its own ``forward`` and ``analytic_jets = False``: the analytic
    jets it would otherwise inherit describe its parent's map, not its own.
    """

    #: Whether :meth:`jets` is analytic (cheap) rather than nested forward mode.
    analytic_jets = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in vars(cls) and "jets" not in vars(cls):
            cls.jets = cls._forward_mode_jets
            cls.analytic_jets = False


class SpaceEncoding(_ProvidesJets):
    r"""Base of the space encodings: ``forward(lon, lat)`` in degrees -> ``(n, out_features)``.

    Subclasses set ``out_features`` and ``km_per_unit``, and may override :meth:`jets`
    with analytic formulas (then set ``analytic_jets = True``).
    """

    def jets(self, lon: torch.Tensor, lat: torch.Tensor) -> torch.Tensor:
        r"""Value and derivatives up to third order w.r.t. (lon, lat) in degrees: ``(10, n, features)``.

        Order: value, :math:`\partial_\lambda, \partial_\varphi, \partial_{\lambda\lambda},
        \partial_{\lambda\varphi}, \partial_{\varphi\varphi}, \partial_{\lambda\lambda\lambda},
        \partial_{\lambda\lambda\varphi}, \partial_{\lambda\varphi\varphi},
        \partial_{\varphi\varphi\varphi}`. Here by nested forward mode
        (:func:`forward_mode_space_jets`); analytic in the encodings with ``analytic_jets``.

        Parameters
        ----------
        lon, lat : Tensor (n,)
            Degrees.

        Returns
        -------
        Tensor (10, n, out_features)

        Examples
        --------
        >>> import torch
        >>> enc = SphericalHarmonicsEncoding(degree=1)
        >>> enc.analytic_jets
        False
        >>> j = enc.jets(torch.tensor([0.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
        >>> j.shape
        torch.Size([10, 1, 4])
        >>> round(float(j[1, 0, 1] / j[0, 0, 3]), 6)  # d/dlon of sin(lon) ~ cos(lon), per degree
        0.017453
        """
        return self._forward_mode_jets(lon, lat)

    def _forward_mode_jets(self, lon, lat):
        return forward_mode_space_jets(self, lon, lat)


class TimeEncoding(_ProvidesJets):
    """Base of the time encodings: ``forward(t)`` in days -> ``(n, out_features)``."""

    def jets(self, t: torch.Tensor) -> torch.Tensor:
        """Value and first derivative (per day): ``(2, n, features)``.

        Here by one forward-mode :func:`torch.func.jvp` (:func:`forward_mode_time_jets`);
        analytic in the encodings with ``analytic_jets``.

        Parameters
        ----------
        t : Tensor (n,)
            Days.

        Returns
        -------
        Tensor (2, n, out_features)

        Examples
        --------
        >>> import torch
        >>> class Square(TimeEncoding):
        ...     out_features = 1
        ...     def forward(self, t):
        ...         return (t * t).unsqueeze(-1)
        >>> Square().jets(torch.tensor([3.0])).tolist()
        [[[9.0]], [[6.0]]]
        """
        return self._forward_mode_jets(t)

    def _forward_mode_jets(self, t):
        return forward_mode_time_jets(self, t)


class SphereEncoding(SpaceEncoding):
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

    analytic_jets = True

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

    def jets(self, lon: torch.Tensor, lat: torch.Tensor) -> torch.Tensor:
        r"""Analytic value and derivatives up to third order w.r.t. (lon, lat) in degrees: ``(10, n, 3)``.

        Layout as :meth:`SpaceEncoding.jets`. Each component is a product of a cosine or sine
        of longitude and one of latitude, whose k-th derivatives cycle through
        :math:`\pm\cos, \pm\sin` (times :math:`(\pi/180)^k` per degree).

        Examples
        --------
        >>> import torch
        >>> j = SphereEncoding().jets(torch.tensor([0.0]), torch.tensor([0.0]))
        >>> j.shape
        torch.Size([10, 1, 3])
        >>> j[1, 0].tolist()  # d/dlon at (0, 0): (0, pi/180, 0)
        [-0.0, 0.017453, 0.0]
        """
        lam, phi = lon * DEG2RAD, lat * DEG2RAD
        cl, sl, cp, sp = torch.cos(lam), torch.sin(lam), torch.cos(phi), torch.sin(phi)
        # k-th derivatives of cos and sin: cos, -sin, -cos, sin / sin, cos, -sin, -cos
        dcos_l, dsin_l = (cl, -sl, -cl, sl), (sl, cl, -sl, -cl)
        dcos_p, dsin_p = (cp, -sp, -cp, sp), (sp, cp, -sp, -cp)
        zero = torch.zeros_like(lam)
        rows = []
        for i, j in ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2), (0, 3)):
            f = DEG2RAD ** (i + j)
            z = dsin_p[j] * f if i == 0 else zero
            rows.append(torch.stack((dcos_p[j] * dcos_l[i] * f, dcos_p[j] * dsin_l[i] * f, z), -1))
        out = torch.stack(rows) * self.inv_scale
        out[0] = out[0] - self.center * self.inv_scale
        return out

    @property
    def km_per_unit(self) -> float:
        """Kilometres (chord, ~great-circle for a region) per encoded unit."""
        return self.scale_value * EARTH_RADIUS_KM

    def config(self) -> dict:
        return {"center": list(self.center_values), "scale": self.scale_value}


class LonLatEncoding(SpaceEncoding):
    r"""Longitude/latitude -> local plane coordinates, scaled to the region.

    .. math:: e = \left(\frac{R\cos\phi_0\,\mathrm{wrap}(\lambda-\lambda_0)}{L},\ \frac{R(\phi-\phi_0)}{L}\right)

    (radians, :math:`R` the Earth radius, :math:`L` = ``scale_km``). Simple and fine for
    regions of a few hundred km; distorted near the poles and for large regions,
    where ``"sphere"`` is the better choice.

    Examples
    --------
    >>> import torch
    >>> enc = LonLatEncoding(lon0=0.0, lat0=0.0, scale_km=111.19492664455873)
    >>> enc(torch.tensor([1.0]), torch.tensor([-1.0])).round(decimals=4).tolist()
    [[1.0, -1.0]]
    """

    analytic_jets = True

    def __init__(self, lon0: float = 0.0, lat0: float = 0.0, scale_km: float = 1000.0):
        super().__init__()
        self.lon0, self.lat0, self.scale_km = float(lon0), float(lat0), float(scale_km)
        self.kx = EARTH_RADIUS_KM * math.cos(self.lat0 * DEG2RAD) * DEG2RAD / self.scale_km
        self.ky = EARTH_RADIUS_KM * DEG2RAD / self.scale_km
        self.out_features = 2

    @staticmethod
    def fit_params(lon_deg: np.ndarray, lat_deg: np.ndarray) -> dict:
        from .coords import longitude_span

        west, east = longitude_span(lon_deg)
        lon0, lat0 = 0.5 * (west + east), 0.5 * (float(np.min(lat_deg)) + float(np.max(lat_deg)))
        half_x = 0.5 * (east - west) * DEG2RAD * EARTH_RADIUS_KM * math.cos(lat0 * DEG2RAD)
        half_y = 0.5 * (float(np.max(lat_deg)) - float(np.min(lat_deg))) * DEG2RAD * EARTH_RADIUS_KM
        return {"lon0": float(lon0), "lat0": float(lat0), "scale_km": max(half_x, half_y, 10.0)}

    def forward(self, lon_deg, lat_deg):
        dlon = torch.remainder(lon_deg - self.lon0 + 180.0, 360.0) - 180.0
        return torch.stack((dlon * self.kx, (lat_deg - self.lat0) * self.ky), dim=-1)

    def jets(self, lon: torch.Tensor, lat: torch.Tensor) -> torch.Tensor:
        """Analytic value and derivatives w.r.t. (lon, lat) in degrees: ``(10, n, 2)``.

        Layout as :meth:`SpaceEncoding.jets`. The map is linear (away from the wrap at
        ``lon0 + 180``): constant first derivatives ``kx``, ``ky``, higher ones zero.

        Examples
        --------
        >>> import torch
        >>> enc = LonLatEncoding(lon0=0.0, lat0=0.0, scale_km=111.19492664455873)
        >>> j = enc.jets(torch.tensor([1.0]), torch.tensor([-1.0]))
        >>> j[:3, 0].tolist()  # value, d/dlon, d/dlat
        [[1.0, -1.0], [1.0, 0.0], [0.0, 1.0]]
        """
        value = self(lon, lat)
        out = value.new_zeros((10,) + value.shape)
        out[0] = value
        out[1, :, 0] = self.kx
        out[2, :, 1] = self.ky
        return out

    @property
    def km_per_unit(self) -> float:
        return self.scale_km

    def config(self) -> dict:
        return {"lon0": self.lon0, "lat0": self.lat0, "scale_km": self.scale_km}


class SphericalHarmonicsEncoding(SpaceEncoding):
    r"""Real spherical harmonics :math:`Y_l^m(\phi, \lambda)` up to degree ``degree``: (L+1)^2 features.

    .. math::
        Y_l^m = \sqrt{2} N_l^{|m|} P_l^{|m|}(\sin\phi)\,
        \begin{cases}\cos(m\lambda) & m > 0\\ \sin(|m|\lambda) & m < 0\end{cases},\quad
        Y_l^0 = N_l^0 P_l(\sin\phi),\quad N_l^m = \sqrt{\tfrac{2l+1}{4\pi}\tfrac{(l-m)!}{(l+m)!}}

    with associated Legendre functions from the standard three-term recurrences
    (Condon-Shortley phase). Orthonormal on the sphere, smooth everywhere
    including the poles: the natural basis for global fits (Rußwurm et al.,
    "Geographic Location Encoding with Spherical Harmonics and Sinusoidal
    Representation Networks", ICLR 2024). Degree L resolves wavelengths down to
    about :math:`2\pi R / L`.

    Examples
    --------
    >>> import torch
    >>> enc = SphericalHarmonicsEncoding(degree=2)
    >>> enc(torch.tensor([0.0]), torch.tensor([90.0])).shape
    torch.Size([1, 9])
    """

    def __init__(self, degree: int = 10):
        super().__init__()
        self.degree = int(degree)
        if self.degree < 0:
            raise ValueError(f"degree must be >= 0, got {degree}")
        self.out_features = (self.degree + 1) ** 2
        self.norm = {
            (l, m): math.sqrt((2 * l + 1) / (4 * math.pi) * math.exp(math.lgamma(l - m + 1) - math.lgamma(l + m + 1)))
            for l in range(self.degree + 1)
            for m in range(l + 1)
        }

    @staticmethod
    def fit_params(lon_deg: np.ndarray, lat_deg: np.ndarray, min_wavelength: float = 2000.0) -> dict:
        """Degree resolving ``min_wavelength`` (km), at most :data:`SH_MAX_DEGREE`."""
        return {"degree": int(min(SH_MAX_DEGREE, math.ceil(2 * math.pi * EARTH_RADIUS_KM / min_wavelength)))}

    def forward(self, lon_deg, lat_deg):
        lam = lon_deg * DEG2RAD
        phi = lat_deg * DEG2RAD
        x, c = torch.sin(phi), torch.cos(phi)
        L = self.degree
        out = []
        pmm = torch.ones_like(x)
        for m in range(L + 1):
            if m > 0:
                pmm = -(2 * m - 1) * c * pmm  # P_m^m = (-1)^m (2m-1)!! cos^m(phi)
            plm_prev, plm = None, pmm
            cols = {m: pmm}
            if m + 1 <= L:
                plm_prev, plm = pmm, x * (2 * m + 1) * pmm
                cols[m + 1] = plm
            for l in range(m + 2, L + 1):
                plm_prev, plm = plm, ((2 * l - 1) * x * plm - (l + m - 1) * plm_prev) / (l - m)
                cols[l] = plm
            for l, p in cols.items():
                n = self.norm[(l, m)]
                if m == 0:
                    out.append((l, 0, n * p))
                else:
                    out.append((l, m, math.sqrt(2) * n * p * torch.cos(m * lam)))
                    out.append((l, -m, math.sqrt(2) * n * p * torch.sin(m * lam)))
        out.sort(key=lambda t: (t[0], t[1]))
        return torch.stack([t[2] for t in out], dim=-1)

    @property
    def km_per_unit(self) -> float:
        return EARTH_RADIUS_KM

    def config(self) -> dict:
        return {"degree": self.degree}


class LinearTimeEncoding(TimeEncoding):
    r"""Time in days -> :math:`(t - t_{mid}) / t_{half}`.

    Parameters
    ----------
    t_mid : float
        Centre of the training window, in days.
    t_half : float
        Days that map to one encoded unit. :meth:`CoordinateEncoding.from_points`
        sets it from the spatial scale and ``min_period / min_wavelength``, so that
        space and time share one notion of frequency (see there).

    Examples
    --------
    >>> import torch
    >>> LinearTimeEncoding(5.0, 5.0)(torch.tensor([0.0, 10.0])).tolist()
    [[-1.0], [1.0]]
    """

    analytic_jets = True

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

    def jets(self, t: torch.Tensor) -> torch.Tensor:
        """Analytic value and derivative per day, ``1 / t_half``: ``(2, n, 1)``.

        Examples
        --------
        >>> import torch
        >>> LinearTimeEncoding(5.0, 5.0).jets(torch.tensor([0.0, 10.0])).tolist()
        [[[-1.0], [1.0]], [[0.2], [0.2]]]
        """
        v = self(t)
        return torch.stack((v, (self.inv_half * torch.ones_like(v))))

    def config(self) -> dict:
        return {"t_mid": self.t_mid_value, "t_half": self.t_half_value}


class TanhTimeEncoding(LinearTimeEncoding):
    r"""Time -> :math:`a \tanh(u / a)`, :math:`u = (t - t_{mid}) / t_{half}`: near-linear inside the window,
    bounded by :math:`\pm a` outside it.

    Bounded inputs keep predictions outside the training window from running off
    (the network sees times beyond the window as near the window's edge). ``reach``
    :math:`a` is set by :meth:`CoordinateEncoding.from_points` to 1.25 times the
    window's half-width in encoded units, so the window keeps at least 56 % of the
    linear slope at its edges (with :math:`a = 1`, a window many ``t_half`` wide
    was flattened into the last percent of tanh's range, where the network hardly
    sees time); saved models from before it have :math:`a = 1`.

    Examples
    --------
    >>> import torch
    >>> TanhTimeEncoding(0.0, 1.0)(torch.tensor([0.0, 100.0])).tolist()
    [[0.0], [1.0]]
    >>> TanhTimeEncoding(0.0, 1.0, reach=10.0)(torch.tensor([1.0, 1000.0])).round(decimals=3).tolist()
    [[0.997], [10.0]]
    """

    def __init__(self, t_mid: float = 0.0, t_half: float = 1.0, reach: float = 1.0):
        super().__init__(t_mid, t_half)
        self.reach_value = float(reach)

    @staticmethod
    def fit_params(t_days: np.ndarray, days_per_unit: float | None = None) -> dict:
        """As :meth:`LinearTimeEncoding.fit_params`, with ``reach`` 1.25 half-windows in encoded units (>= 1)."""
        params = LinearTimeEncoding.fit_params(t_days, days_per_unit)
        half_window = 0.5 * (float(np.max(t_days)) - float(np.min(t_days)))
        params["reach"] = max(1.0, TANH_REACH * half_window / params["t_half"])
        return params

    def forward(self, t_days):
        return self.reach_value * torch.tanh(super().forward(t_days) / self.reach_value)

    def jets(self, t: torch.Tensor) -> torch.Tensor:
        """Analytic value and derivative per day, :math:`(1 - (v/a)^2) / t_{half}`: ``(2, n, 1)``.

        Examples
        --------
        >>> import torch
        >>> TanhTimeEncoding(0.0, 2.0).jets(torch.tensor([0.0])).tolist()
        [[[0.0]], [[0.5]]]
        """
        v = self(t)
        r = v / self.reach_value
        return torch.stack((v, (1 - r * r) * self.inv_half))

    def config(self) -> dict:
        return {**super().config(), "reach": self.reach_value}


class _SinCosTimeEncoding(TimeEncoding):
    """Shared part of the periodic time encodings: sin and cos of ``omega * (t - t_mid)``."""

    analytic_jets = True

    def _set_omega(self, omega, t_mid):
        self.t_mid_value = float(t_mid)
        self.register_buffer("omega", torch.tensor(omega, dtype=torch.float32), persistent=False)
        self.out_features = 2 * len(omega)

    @staticmethod
    def _window(t_days, min_period):
        lo, hi = float(np.min(t_days)), float(np.max(t_days))
        min_period = float(min_period) if min_period else max(hi - lo, 1.0) / 10
        return lo, hi, min_period

    def forward(self, t_days):
        arg = (t_days - self.t_mid_value).unsqueeze(-1) * self.omega
        return torch.cat((torch.sin(arg), torch.cos(arg)), dim=-1)

    def jets(self, t: torch.Tensor) -> torch.Tensor:
        r"""Analytic value and derivative per day: ``(2, n, 2 n_freq)``, :math:`(\sin, \cos)' = \omega (\cos, -\sin)`.

        Examples
        --------
        >>> import torch
        >>> enc = SinusoidalTimeEncoding(n=1, min_period=4.0, max_period=4.0)
        >>> enc.jets(torch.tensor([0.0])).tolist()  # omega = 2 pi / 4
        [[[0.0, 1.0]], [[1.570796, -0.0]]]
        """
        arg = (t - self.t_mid_value).unsqueeze(-1) * self.omega
        s, c = torch.sin(arg), torch.cos(arg)
        return torch.stack((torch.cat((s, c), -1), torch.cat((c * self.omega, -s * self.omega), -1)))


class SinusoidalTimeEncoding(_SinCosTimeEncoding):
    r"""Time -> :math:`[\sin(\omega_k t), \cos(\omega_k t)]_{k=1..n}`, :math:`\omega_k` geometric.

    Periods run geometrically from ``max_period`` down to ``min_period`` (days), as
    in the positional encoding of Vaswani et al. (2017) / NeRF (Mildenhall et al. 2020).

    Examples
    --------
    >>> import torch
    >>> SinusoidalTimeEncoding(n=4, min_period=1.0, max_period=8.0)(torch.zeros(3)).shape
    torch.Size([3, 8])
    """

    def __init__(self, n: int = 8, min_period: float = 1.0, max_period: float = 100.0, t_mid: float = 0.0):
        super().__init__()
        self.n, self.min_period, self.max_period = int(n), float(min_period), float(max_period)
        self._set_omega(2 * np.pi / np.geomspace(self.max_period, self.min_period, self.n), t_mid)

    @classmethod
    def fit_params(cls, t_days, min_period=None, n=8) -> dict:
        lo, hi, min_period = cls._window(t_days, min_period)
        return {"n": n, "min_period": min_period, "max_period": max(4.0 * (hi - lo), 2.0 * min_period), "t_mid": 0.5 * (lo + hi)}

    def config(self) -> dict:
        return {"n": self.n, "min_period": self.min_period, "max_period": self.max_period, "t_mid": self.t_mid_value}


class FourierTimeEncoding(_SinCosTimeEncoding):
    r"""Time -> random Fourier features :math:`[\sin(\omega_k t), \cos(\omega_k t)]`, Gaussian :math:`\omega_k`.

    95% of the angular frequencies lie below :math:`2\pi/` ``min_period`` (rad/day);
    drawn once from ``seed`` (Tancik et al. 2020).

    Examples
    --------
    >>> import torch
    >>> FourierTimeEncoding(n=4, min_period=2.0, seed=0)(torch.zeros(3)).shape
    torch.Size([3, 8])
    """

    def __init__(self, n: int = 8, min_period: float = 1.0, t_mid: float = 0.0, seed: int = 0):
        super().__init__()
        self.n, self.min_period, self.seed = int(n), float(min_period), int(seed)
        z = np.random.default_rng(self.seed).standard_normal(self.n)
        self._set_omega(z / np.quantile(np.abs(z), 0.95) * 2 * np.pi / self.min_period, t_mid)

    @classmethod
    def fit_params(cls, t_days, min_period=None, n=8) -> dict:
        lo, hi, min_period = cls._window(t_days, min_period)
        return {"n": n, "min_period": min_period, "t_mid": 0.5 * (lo + hi), "seed": 0}

    def config(self) -> dict:
        return {"n": self.n, "min_period": self.min_period, "t_mid": self.t_mid_value, "seed": self.seed}


SPACE_ENCODINGS = {"sphere": SphereEncoding, "lonlat": LonLatEncoding, "spherical_harmonics": SphericalHarmonicsEncoding}
TIME_ENCODINGS = {
    "linear": LinearTimeEncoding,
    "tanh": TanhTimeEncoding,
    "sinusoidal": SinusoidalTimeEncoding,
    "fourier": FourierTimeEncoding,
}


class CoordinateEncoding(nn.Module):
    """Raw coordinates ``(n, 2|3)`` = (lon deg, lat deg[, time days]) -> features ``(n, out_features)``.

    Also carries the physical scales of the fit: ``min_wavelength`` (km) and
    ``min_period`` (days), the smallest scales the model should represent, and
    from them ``bandwidth``, the angular frequency of that wavelength in radians
    per encoded unit, from which every network sets its frequencies
    (:func:`geoinr.nn.build_network`).

    Parameters
    ----------
    space : {"sphere", "lonlat", "spherical_harmonics"}
    time : {"linear", "tanh", "sinusoidal", "fourier"} or None
        None for purely spatial fields.
    space_params, time_params : dict
        Keyword arguments of the encodings (see :meth:`from_points`).
    min_wavelength : float
        km.
    min_period : float or None
        days.

    Examples
    --------
    >>> import numpy as np, torch
    >>> enc = CoordinateEncoding.from_points(np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 4.0]]), min_wavelength=100.0)
    >>> enc(torch.tensor([[5.0, 5.0, 2.0]])).shape
    torch.Size([1, 4])
    >>> round(enc.bandwidth, 1)  # 2 pi x (km per encoded unit) / 100 km
    34.8
    """

    def __init__(
        self,
        space: str = "sphere",
        time: str | None = None,
        space_params=None,
        time_params=None,
        min_wavelength: float = 100.0,
        min_period: float | None = None,
    ):
        super().__init__()
        for kind, name, table in (("space", space, SPACE_ENCODINGS), ("time", time, TIME_ENCODINGS)):
            if name is not None and name not in table:
                raise ValueError(f"Unknown {kind} encoding {name!r}; choose one of {sorted(table)}.")
        self.space_name = space
        self.time_name = time
        self.space = SPACE_ENCODINGS[space](**(space_params or {}))
        self.time = TIME_ENCODINGS[time](**(time_params or {})) if time else None
        self.in_features = 3 if time else 2
        self.time_features = self.time.out_features if time else 0
        self.out_features = self.space.out_features + self.time_features
        self.min_wavelength = float(min_wavelength)
        self.min_period = None if min_period is None else float(min_period)
        #: radians per encoded unit of a wave of length min_wavelength
        self.bandwidth = 2.0 * math.pi * self.space.km_per_unit / self.min_wavelength

    @classmethod
    def from_points(
        cls,
        coords: np.ndarray,
        space: str = "sphere",
        time: str | None = "linear",
        min_wavelength: float | None = None,
        min_period: float | None = None,
        space_options: dict | None = None,
    ) -> "CoordinateEncoding":
        """Build the encoding whose scales fit the training coordinates ``(n, 2|3)``.

        Space is scaled so the region fills [-1, 1] (``"sphere"``, ``"lonlat"``).
        ``min_wavelength`` / ``min_period`` default to the data's own sampling
        (:func:`geoinr.scales.default_scales`). The linear and tanh time encodings
        scale time so that a period of ``min_period`` has the same encoded frequency
        as a wavelength of ``min_wavelength``: one network frequency then means the
        same thing in space and in time (a speed of ``min_wavelength / min_period``).
        The sinusoidal and Fourier time encodings put their shortest period at
        ``min_period``.
        """
        from .scales import default_scales

        coords = np.asarray(coords, dtype=np.float64)
        has_time = coords.shape[1] == 3 and time is not None
        if space not in SPACE_ENCODINGS:
            raise ValueError(f"Unknown space encoding {space!r}; choose one of {sorted(SPACE_ENCODINGS)}.")
        if has_time and time not in TIME_ENCODINGS:
            raise ValueError(f"Unknown time encoding {time!r}; choose one of {sorted(TIME_ENCODINGS)}.")
        if min_wavelength is None or (has_time and min_period is None):
            wl, per = default_scales(coords[:, 0], coords[:, 1], coords[:, 2] if has_time else None)
            min_wavelength = wl if min_wavelength is None else float(min_wavelength)
            if has_time and min_period is None:
                min_period = min_wavelength * per / wl  # keep the default speed
        if not min_wavelength > 0 or (min_period is not None and not min_period > 0):
            raise ValueError(f"min_wavelength and min_period must be > 0, got {min_wavelength} km, {min_period} days")
        if space == "spherical_harmonics":
            space_params = SphericalHarmonicsEncoding.fit_params(coords[:, 0], coords[:, 1], min_wavelength)
        else:
            space_params = SPACE_ENCODINGS[space].fit_params(coords[:, 0], coords[:, 1])
        space_params.update(space_options or {})
        time_params = None
        if has_time:
            t = coords[:, 2]
            if time in ("linear", "tanh"):
                km_per_unit = SPACE_ENCODINGS[space](**space_params).km_per_unit
                time_params = TIME_ENCODINGS[time].fit_params(t, km_per_unit * min_period / min_wavelength)
            else:
                time_params = TIME_ENCODINGS[time].fit_params(t, min_period)
        return cls(space, time if has_time else None, space_params, time_params, min_wavelength, min_period if has_time else None)

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
            "min_wavelength": self.min_wavelength,
            "min_period": self.min_period,
        }
