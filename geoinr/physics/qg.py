"""The 1.5-layer quasi-geostrophic residual, on the local beta-plane, in SI units.

.. math::
    \\psi = \\frac{g\\,\\eta}{f_0},\\quad q = \\nabla^2\\psi - \\frac{\\psi}{L_d^2},\\quad
    r = \\partial_t q + J(\\psi, q) + \\beta_0\\,\\partial_x\\psi

with :math:`J(a, b) = a_x b_y - a_y b_x`, on the tangent plane at
:math:`(\\lambda_0, \\varphi_0)`: :math:`x = R\\cos\\varphi_0\\,(\\lambda-\\lambda_0)`,
:math:`y = R(\\varphi-\\varphi_0)`, :math:`f_0 = 2\\Omega\\sin\\varphi_0`,
:math:`\\beta_0 = 2\\Omega\\cos\\varphi_0/R`. Derivatives by nested autograd through the
encodings (third order for :math:`J(\\psi, q)` and :math:`\\partial_t q`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .constants import BAROCLINIC_WAVE_SPEED, DEG, EARTH_RADIUS_M, GRAVITY, OMEGA, SECONDS_PER_DAY

__all__ = ["BetaPlane", "qg_residual", "rossby_wave_frequency"]


@dataclass(frozen=True)
class BetaPlane:
    """Tangent plane at (lon0, lat0) in degrees, with its f0, beta0 and Rossby radius (m).

    Examples
    --------
    >>> bp = BetaPlane(0.0, 35.0)
    >>> round(bp.rossby_radius / 1e3)  # km, from 2.8 m/s / f0
    33
    """

    lon0: float
    lat0: float
    rossby_radius: float | None = None

    def __post_init__(self):
        if abs(self.lat0) < 5.0:
            raise ValueError(f"lat0={self.lat0}: quasi-geostrophy needs |lat0| >= 5 degrees (f0 -> 0 at the equator).")
        if self.rossby_radius is None:
            object.__setattr__(self, "rossby_radius", BAROCLINIC_WAVE_SPEED / abs(self.f0))

    @property
    def f0(self) -> float:
        return 2.0 * OMEGA * math.sin(self.lat0 * DEG)  # 1/s

    @property
    def beta0(self) -> float:
        return 2.0 * OMEGA * math.cos(self.lat0 * DEG) / EARTH_RADIUS_M  # 1/(m s)

    @property
    def metres_per_degree(self) -> tuple[float, float]:
        """(x, y) metres per degree of longitude and latitude on the plane."""
        return EARTH_RADIUS_M * math.cos(self.lat0 * DEG) * DEG, EARTH_RADIUS_M * DEG


def rossby_wave_frequency(k: float, l: float, plane: BetaPlane) -> float:
    """Angular frequency (1/s) of a 1.5-layer Rossby wave: omega = -beta k / (k^2 + l^2 + 1/Ld^2).

    Examples
    --------
    >>> bp = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    >>> w = rossby_wave_frequency(2 * math.pi / 300e3, 0.0, bp)
    >>> w < 0  # westward phase propagation
    True
    """
    return -plane.beta0 * k / (k * k + l * l + 1.0 / plane.rossby_radius**2)


def _g(out, inp):
    (g,) = torch.autograd.grad(out.sum(), inp, create_graph=True)
    return g


def qg_residual(eta_fn, raw: torch.Tensor, plane: BetaPlane, return_terms: bool = False):
    """Pointwise 1.5-layer QG residual (1/s^2) of the sea-surface height ``eta_fn`` (m) at ``raw``.

    Parameters
    ----------
    eta_fn : callable
        ``(n, 3)`` raw coordinates (lon deg, lat deg, time days) -> ``(n,)`` height in m.
    raw : Tensor (n, 3)
    plane : BetaPlane
    return_terms : bool
        Also return the separate terms (dq/dt, J, beta psi_x) for scaling.

    Returns
    -------
    Tensor (n,), differentiable (the graph is kept, for residual losses).
    """
    raw = raw if raw.requires_grad else raw.detach().clone().requires_grad_(True)
    mx, my = plane.metres_per_degree
    psi = GRAVITY * eta_fn(raw) / plane.f0
    g1 = _g(psi, raw)
    psi_x, psi_y = g1[:, 0] / mx, g1[:, 1] / my
    psi_xx = _g(g1[:, 0], raw)[:, 0] / mx**2
    psi_yy = _g(g1[:, 1], raw)[:, 1] / my**2
    q = psi_xx + psi_yy - psi / plane.rossby_radius**2
    gq = _g(q, raw)
    q_x, q_y, q_t = gq[:, 0] / mx, gq[:, 1] / my, gq[:, 2] / SECONDS_PER_DAY
    dqdt = q_t
    jac = psi_x * q_y - psi_y * q_x
    beta_term = plane.beta0 * psi_x
    res = dqdt + jac + beta_term
    if return_terms:
        return res, {"dq_dt": dqdt, "jacobian": jac, "beta": beta_term}
    return res
