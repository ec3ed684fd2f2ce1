r"""Kinematics of a horizontal velocity on the sphere (torch only, no xarray).

From the first derivatives of the eastward and northward components :math:`u, v` (m/s, w.r.t. metres east and
north: :func:`geoinr.physics.in_si_units`), with the sphere's metric terms (:math:`\tan\varphi / R`):

.. math::
    \zeta = \partial_x v - \partial_y u + \frac{u\tan\varphi}{R},\qquad
    \delta = \partial_x u + \partial_y v - \frac{v\tan\varphi}{R},

    \sigma_n = \partial_x u - \partial_y v - \frac{v\tan\varphi}{R},\qquad
    \sigma_s = \partial_x v + \partial_y u + \frac{u\tan\varphi}{R},

the strain rate :math:`\sigma = \sqrt{\sigma_n^2 + \sigma_s^2}` and the Okubo-Weiss parameter
:math:`W = \sigma_n^2 + \sigma_s^2 - \zeta^2` (negative where rotation dominates: eddy cores). :math:`\zeta` and
:math:`\delta` are the spherical curl and divergence, :math:`\frac{1}{R\cos\varphi}(\partial_\lambda v -
\partial_\varphi(u\cos\varphi))` and :math:`\frac{1}{R\cos\varphi}(\partial_\lambda u + \partial_\varphi(v\cos\varphi))`.
"""
from __future__ import annotations

import warnings

import torch

from ..frames import GeoinrWarning, user_stacklevel
from .constants import DEG, EARTH_RADIUS_M

__all__ = ["KINEMATIC_QUANTITIES", "KINEMATIC_OUTPUTS", "KINEMATIC_ATTRS", "kinematics"]

# derive() quantities of a velocity (a fitted pair, or the geostrophic velocity of a height), their outputs
KINEMATIC_QUANTITIES = ("relative_vorticity", "divergence", "strain_rate", "okubo_weiss")
KINEMATIC_OUTPUTS = {
    "relative_vorticity": ("zeta",),
    "divergence": ("div",),
    "strain_rate": ("strain",),
    "okubo_weiss": ("ow",),
}
# degrees from a pole within which a velocity's kinematics are NaN: a global grid's +-90 rows (derive takes them at
# 89.999, where the metric term gave 100 times the next row's vorticity: a review); 222 m
POLE_DEG = 0.002
# {flow}: "the velocity (u, v)" of a fitted pair, "the geostrophic velocity from <height>" of a height
KINEMATIC_ATTRS = {
    "zeta": {"units": "s-1", "long_name": "relative vorticity of {flow}"},
    "div": {"units": "s-1", "long_name": "horizontal divergence of {flow}"},
    "strain": {"units": "s-1", "long_name": "strain rate of {flow}"},
    "ow": {"units": "s-2", "long_name": "Okubo-Weiss parameter of {flow}",
           "comment": "strain rate squared less relative vorticity squared: negative where rotation dominates"},
}


def kinematics(quantity: str, du: dict, dv: dict, lat_deg: torch.Tensor) -> dict:
    r"""Outputs of ``quantity`` (:data:`KINEMATIC_OUTPUTS`) from the derivatives of :math:`u` and :math:`v`.

    Parameters
    ----------
    quantity : {"relative_vorticity", "divergence", "strain_rate", "okubo_weiss"}
    du, dv : dict
        ``f`` (m/s), ``f_x``, ``f_y`` (1/s) of the eastward and northward components.
    lat_deg : torch.Tensor
        Latitudes (degrees).

    Returns
    -------
    dict of torch.Tensor

    Examples
    --------
    Solid-body rotation about the local vertical, :math:`u = -\Omega_0 y, v = \Omega_0 x`, has vorticity
    :math:`2\Omega_0`, no divergence and no strain (at the equator, where the metric terms vanish):

    >>> lat = torch.zeros(1)
    >>> du = {"f": torch.zeros(1), "f_x": torch.zeros(1), "f_y": torch.tensor([-1e-5])}
    >>> dv = {"f": torch.zeros(1), "f_x": torch.tensor([1e-5]), "f_y": torch.zeros(1)}
    >>> [float(kinematics(q, du, dv, lat)[k][0]) for q, k in (("relative_vorticity", "zeta"),
    ...                                                          ("divergence", "div"), ("strain_rate", "strain"))]
    [1.9999999494757503e-05, 0.0, 0.0]
    """
    if quantity not in KINEMATIC_QUANTITIES:
        raise ValueError(f"Unknown kinematic quantity {quantity!r}; choose one of {KINEMATIC_QUANTITIES}.")
    metric = torch.tan(lat_deg * DEG) / EARTH_RADIUS_M  # 1/m
    u, v = du["f"], dv["f"]
    if quantity == "divergence":
        out = {"div": du["f_x"] + dv["f_y"] - v * metric}
    else:
        zeta = dv["f_x"] - du["f_y"] + u * metric
        if quantity == "relative_vorticity":
            out = {"zeta": zeta}
        else:
            strain2 = (du["f_x"] - dv["f_y"] - v * metric) ** 2 + (dv["f_x"] + du["f_y"] + u * metric) ** 2
            out = {"strain": torch.sqrt(strain2)} if quantity == "strain_rate" else {"ow": strain2 - zeta**2}
    pole = lat_deg.abs() >= 90.0 - POLE_DEG
    if bool(pole.any()):  # east and north have no meaning there; tan(lat) blows up (100 times the next row's values)
        warnings.warn("At latitude 90 or -90 east and north are undefined: a velocity's kinematics there are NaN.",
                      GeoinrWarning, stacklevel=user_stacklevel())
        out = {k: torch.where(pole, torch.full_like(t, float("nan")), t) for k, t in out.items()}
    return out
