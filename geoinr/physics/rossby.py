r"""The first baroclinic Rossby radius of deformation as a function of latitude (numpy or torch).

.. math::
    L_d(\varphi) = \frac{c_1(\varphi)}{\sqrt{f^2 + 2\beta c_1(\varphi)}},\qquad
    c_1(\varphi) = c_p + \frac{c_e - c_p}{1 + (\varphi/\varphi_h)^4}

:math:`L_d = c_1/|f|` away from the equator, bounded near it by the equatorial radius
:math:`\sqrt{c_1/(2\beta)}`: the blend :math:`c/\sqrt{f^2 + 2\beta c}` is the one of Hallberg
(2013, "Using a resolution function to regulate parameterizations of oceanic mesoscale eddy
effects", Ocean Modelling 72) as coded in MOM6 (``MOM_lateral_mixing_coeffs.F90``,
``Rd_dx_h = cg1 / sqrt(f^2 + cg1 * beta_dx2)``, with Gill's factor 2 on beta). The same two
limits are how Chelton et al. (1998, "Geographical variability of the first baroclinic Rossby
radius of deformation", J. Phys. Oceanogr. 28, 433-460) build their climatology: ``c1 / |f|``
poleward of 5 degrees, ``sqrt(c1 / (2 beta))`` within 5 degrees of the equator.

:math:`c_1(\varphi)` is a smooth, even, monotone fit of our own to the zonal mean of the
Chelton et al. (1998) climatology as it is usually summarized (their zonal-average figure; the
fit is not theirs): about 2.8-3 m/s in the tropics, falling through ~2.4 m/s at 30 degrees and
~1.3 m/s at 50 degrees to below 1 m/s poleward of 55-60 degrees, giving
:math:`L_d` ~ 250 km at the equator, ~100 km at 10 degrees, ~34 km at 30 degrees and
~7-10 km at 60 degrees. A zonal mean: the real radius varies by a factor of ~2 along a latitude
(shallow shelves, the eastern and western sides of the gyres); give ``rossby_radius=`` (km) to
the model where it is known.

Examples
--------
>>> import numpy as np
>>> np.round(rossby_radius_km([0.0, 10.0, 30.0, 60.0]))
array([251., 104.,  34.,   7.])
"""
from __future__ import annotations

import numpy as np
import torch

from .constants import DEG, EARTH_RADIUS_M, OMEGA

__all__ = [
    "C1_EQUATOR",
    "C1_POLE",
    "C1_HALF_LATITUDE",
    "baroclinic_wave_speed",
    "rossby_radius_km",
    "inverse_square_radius",
]

C1_EQUATOR = 2.9  # m/s, first baroclinic gravity-wave speed at the equator (zonal mean; Chelton et al. 1998)
C1_POLE = 0.3  # m/s, its limit towards the poles (weak high-latitude stratification)
C1_HALF_LATITUDE = 45.0  # degrees, latitude where c1 is halfway between the two
C1_SHAPE_POWER = 4  # even: c1 is smooth and symmetric about the equator, flat in the tropics
EQUATORIAL_BETA_FACTOR = 2.0  # Gill's equatorial radius sqrt(c / (2 beta)) (Pedlosky's: 1)


def _lib(lat):
    """(array module, latitude array): torch tensors stay torch, anything else becomes a float numpy array."""
    if isinstance(lat, torch.Tensor):
        return torch, lat
    return np, np.asarray(lat, dtype=float)


def _wave_speed(lat):
    """c1 (m/s) and dc1/dlat (m/s per degree)."""
    s = lat / C1_HALF_LATITUDE
    s_p = s**C1_SHAPE_POWER
    c = C1_POLE + (C1_EQUATOR - C1_POLE) / (1.0 + s_p)
    dc = -(C1_EQUATOR - C1_POLE) * C1_SHAPE_POWER * s ** (C1_SHAPE_POWER - 1) / (C1_HALF_LATITUDE * (1.0 + s_p) ** 2)
    return c, dc


def baroclinic_wave_speed(lat_deg):
    """First baroclinic gravity-wave speed c1 (m/s) at latitudes ``lat_deg`` (degrees); numpy or torch.

    Examples
    --------
    >>> float(baroclinic_wave_speed(0.0)), round(float(baroclinic_wave_speed(50.0)), 2)
    (2.9, 1.33)
    """
    _, lat = _lib(lat_deg)
    return _wave_speed(lat)[0]


def inverse_square_radius(lat_deg, derivative: bool = False):
    r"""``1 / L_d^2`` (1/m^2) at latitudes ``lat_deg`` (degrees), numpy or torch (differentiable).

    :math:`1/L_d^2 = f^2/c_1^2 + 2\beta/c_1`: smooth in latitude, the form the 1.5-layer QG
    potential vorticity :math:`q = \nabla^2\psi - \psi/L_d^2` uses.

    Parameters
    ----------
    lat_deg : array-like or torch.Tensor
    derivative : bool
        Also return its derivative with respect to latitude, 1/(m^2 degree).

    Examples
    --------
    >>> import torch
    >>> lat = torch.tensor([30.0], dtype=torch.float64, requires_grad=True)
    >>> inv, d_inv = inverse_square_radius(lat, derivative=True)
    >>> (g,) = torch.autograd.grad(inv.sum(), lat)
    >>> bool(torch.allclose(g, d_inv))
    True
    """
    xp, lat = _lib(lat_deg)
    phi = lat * DEG
    sin, cos = xp.sin(phi), xp.cos(phi)
    f = 2.0 * OMEGA * sin  # 1/s
    beta = EQUATORIAL_BETA_FACTOR * 2.0 * OMEGA * cos / EARTH_RADIUS_M  # 1/(m s), times Gill's factor
    c, dc = _wave_speed(lat)
    inv = f * f / (c * c) + beta / c
    if not derivative:
        return inv
    df = 2.0 * OMEGA * cos * DEG  # per degree
    dbeta = -EQUATORIAL_BETA_FACTOR * 2.0 * OMEGA * sin * DEG / EARTH_RADIUS_M
    d_inv = 2.0 * f * df / (c * c) - 2.0 * f * f * dc / c**3 + dbeta / c - beta * dc / (c * c)
    return inv, d_inv


def rossby_radius_km(lat_deg):
    """First baroclinic Rossby radius of deformation (km) at latitudes ``lat_deg`` (degrees).

    ``c1 / sqrt(f^2 + 2 beta c1)`` with the zonal-mean ``c1(lat)`` of
    :func:`baroclinic_wave_speed` (module docstring: sources and limits). Finite at the
    equator, even in latitude, decreasing poleward.

    Parameters
    ----------
    lat_deg : array-like or torch.Tensor
        Latitudes in degrees; torch in, torch out (differentiable), otherwise numpy.

    Returns
    -------
    numpy.ndarray or torch.Tensor, km

    Examples
    --------
    >>> round(float(rossby_radius_km(45.0)), 1), round(float(rossby_radius_km(-45.0)), 1)
    (15.5, 15.5)
    >>> import torch
    >>> rossby_radius_km(torch.tensor([0.0, 60.0])).round()
    tensor([251.,   7.])
    """
    xp, _ = _lib(lat_deg)
    return 1e-3 / xp.sqrt(inverse_square_radius(lat_deg))
