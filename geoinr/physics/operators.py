"""Differential operators on the sphere, in physical units, by automatic differentiation.

A field is a torch function of raw coordinates ``(n, 2|3)`` = (longitude deg,
latitude deg[, time days]). Derivatives are taken with autograd with respect to
those coordinates -- through the encodings -- and converted by the chain rule to
metres east (x), metres north (y) and seconds (t):

.. math::
    \\partial_x = \\frac{1}{R\\cos\\varphi}\\frac{\\partial}{\\partial\\lambda},\\quad
    \\partial_y = \\frac{1}{R}\\frac{\\partial}{\\partial\\varphi},\\quad
    \\nabla^2 f = \\frac{1}{R^2}\\left(f_{\\varphi\\varphi} - \\tan\\varphi\\, f_\\varphi\\right)
                 + \\frac{f_{\\lambda\\lambda}}{R^2\\cos^2\\varphi}

(:math:`\\lambda, \\varphi` in radians). Keep these in float32 or float64: bf16
gives percent-level derivative errors on sine networks.
"""
from __future__ import annotations

import torch

from .constants import DEG, EARTH_RADIUS_M, OMEGA, SECONDS_PER_DAY

__all__ = ["Derivatives", "derivatives", "in_si_units", "coriolis", "beta", "jacobian"]


class Derivatives(dict):
    """Field value and derivatives in SI units: keys f, f_x, f_y, f_t, lap (and f_lat, f_lon in raw units)."""


def _grad(out, inp, create_graph=True):
    (g,) = torch.autograd.grad(out.sum(), inp, create_graph=create_graph)
    return g


def derivatives(fn, raw: torch.Tensor, laplacian: bool = True, create_graph: bool = False) -> Derivatives:
    """Value, gradient (and Laplacian) of a scalar field ``fn`` at ``raw`` points, in SI units.

    Parameters
    ----------
    fn : callable
        ``(n, d)`` raw coordinates -> ``(n,)`` values.
    raw : Tensor (n, 2|3)
        Longitude (deg), latitude (deg)[, time (days)].
    laplacian : bool
        Also compute the spherical Laplacian (second derivatives).
    create_graph : bool
        Keep the graph so the results can be differentiated again (residual losses).

    Returns
    -------
    Derivatives
        ``f``; ``f_x``, ``f_y`` (per metre); ``f_t`` (per second, if time); ``lap`` (per m^2).

    Examples
    --------
    A field growing by 1 per degree of latitude has d/dy = 1 / (R pi / 180):

    >>> import torch
    >>> d = derivatives(lambda r: r[:, 1], torch.tensor([[10.0, 45.0]]), laplacian=False)
    >>> round(float(d["f_y"][0]) * 6371000.0 * 3.141592653589793 / 180.0, 6)
    1.0
    """
    raw = raw.detach().clone().requires_grad_(True)
    keep = create_graph or laplacian
    f = fn(raw)
    g = _grad(f, raw, create_graph=keep)
    second = None
    if laplacian:
        f_lonlon = _grad(g[:, 0], raw, create_graph=True)[:, 0]  # keeps the graph for the next one
        second = (f_lonlon, _grad(g[:, 1], raw, create_graph=create_graph)[:, 1])
    out = in_si_units(raw[:, 1], f, g[:, 0], g[:, 1], g[:, 2] if raw.shape[1] == 3 else None, second)
    if not create_graph:
        for k in list(out):
            out[k] = out[k].detach()
    return out


def in_si_units(lat_deg, f, f_lon, f_lat, f_t=None, second=None) -> Derivatives:
    """Derivatives w.r.t. the raw coordinates (per degree, per day) -> :class:`Derivatives` in SI units.

    ``f`` and its derivatives may carry trailing dimensions (several fields at once, e.g. an
    ensemble's members): ``lat_deg`` (n,) broadcasts over them. ``second``: the pair
    (:math:`f_{\\lambda\\lambda}, f_{\\varphi\\varphi}`) per degree squared, for the Laplacian.

    Examples
    --------
    >>> import torch
    >>> d = in_si_units(torch.tensor([0.0]), torch.zeros(1), torch.ones(1), torch.zeros(1))
    >>> round(float(d["f_x"][0]) * 6371000.0 * 3.141592653589793 / 180.0, 6)  # 1 per degree at the equator
    1.0
    """
    lat = (lat_deg * DEG).reshape(lat_deg.shape + (1,) * (f_lon.dim() - lat_deg.dim()))
    cos = torch.cos(lat)
    out = Derivatives(f=f)
    f_lam = f_lon / DEG  # per radian of longitude
    f_phi = f_lat / DEG  # per radian of latitude
    out["f_x"] = f_lam / (EARTH_RADIUS_M * cos)
    out["f_y"] = f_phi / EARTH_RADIUS_M
    if f_t is not None:
        out["f_t"] = f_t / SECONDS_PER_DAY
    if second is not None:
        f_lamlam, f_phiphi = (s / DEG**2 for s in second)
        out["lap"] = (f_phiphi - torch.tan(lat) * f_phi) / EARTH_RADIUS_M**2 + f_lamlam / (EARTH_RADIUS_M * cos) ** 2
    return out


def coriolis(lat_deg: torch.Tensor) -> torch.Tensor:
    """Coriolis parameter f = 2 Omega sin(lat), in s^-1."""
    return 2.0 * OMEGA * torch.sin(lat_deg * DEG)


def beta(lat_deg: torch.Tensor) -> torch.Tensor:
    """df/dy = 2 Omega cos(lat) / R, in m^-1 s^-1."""
    return 2.0 * OMEGA * torch.cos(lat_deg * DEG) / EARTH_RADIUS_M


def jacobian(a_x, a_y, b_x, b_y):
    """J(a, b) = a_x b_y - a_y b_x (from the derivatives of a and b)."""
    return a_x * b_y - a_y * b_x
