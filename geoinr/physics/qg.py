"""The 1.5-layer quasi-geostrophic residual, on the local beta-plane, in SI units.

.. math::
    \\psi = \\frac{g\\,\\eta}{f_0},\\quad q = \\nabla^2\\psi - \\frac{\\psi}{L_d^2},\\quad
    r = \\partial_t q + J(\\psi, q) + \\beta_0\\,\\partial_x\\psi

with :math:`J(a, b) = a_x b_y - a_y b_x`, on the tangent plane at
:math:`(\\lambda_0, \\varphi_0)`: :math:`x = R\\cos\\varphi_0\\,(\\lambda-\\lambda_0)`,
:math:`y = R(\\varphi-\\varphi_0)`, :math:`f_0 = 2\\Omega\\sin\\varphi_0`,
:math:`\\beta_0 = 2\\Omega\\cos\\varphi_0/R`. Derivatives through the encodings, third
order for :math:`J(\\psi, q)` and :math:`\\partial_t q`: for a SIREN field in one forward
pass of Taylor jets (:mod:`geoinr.physics.jets`), otherwise by nested forward mode or
nested autograd (``method=``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .constants import BAROCLINIC_WAVE_SPEED, DEG, EARTH_RADIUS_M, GRAVITY, OMEGA, SECONDS_PER_DAY

__all__ = ["BetaPlane", "qg_residual", "rossby_wave_frequency", "METHODS"]


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


METHODS = ("auto", "hybrid", "taylor", "jvp", "autograd")


def qg_residual(eta_fn, raw: torch.Tensor, plane: BetaPlane, return_terms: bool = False, method: str = "auto"):
    """Pointwise 1.5-layer QG residual (1/s^2) of the sea-surface height ``eta_fn`` (m) at ``raw``.

    Parameters
    ----------
    eta_fn : callable or FieldOutput
        ``(n, 3)`` raw coordinates (lon deg, lat deg, time days) -> ``(n,)`` height in m. A
        :class:`geoinr.physics.jets.FieldOutput` of a SIREN field (rather than a plain
        function) lets ``method="auto"`` use the SIREN's jets.
    raw : Tensor (n, 3)
    plane : BetaPlane
    return_terms : bool
        Also return the separate terms (dq/dt, J, beta psi_x) for scaling.
    method : {"auto", "hybrid", "taylor", "jvp", "autograd"}
        How the derivatives (up to third order) are taken; all exact, they differ in cost
        (``benchmarks/physics_step.py``). For SIREN fields (:mod:`geoinr.physics.jets`):
        ``"hybrid"``, value, first derivatives and Laplacian carried forward (4 streams) and
        the gradient of q by one hand-written reverse pass -- the fastest; ``"taylor"``, all
        needed derivatives to third order carried forward in one pass (12 streams). For any
        field: ``"jvp"``, nested forward mode (:func:`torch.func.jvp`); ``"autograd"``,
        nested reverse mode. ``"auto"``: ``"hybrid"`` for a SIREN field with a sphere or lonlat
        space encoding, else ``"autograd"`` (:func:`geoinr.physics.jets.preferred_method`).

    Returns
    -------
    Tensor (n,), differentiable (the graph is kept, for residual losses).

    Examples
    --------
    A SIREN on raw coordinates (a fitted model's ``field_`` includes its encoding):

    >>> import torch
    >>> from geoinr.nn import Siren
    >>> from geoinr.physics.jets import FieldOutput
    >>> _ = torch.manual_seed(0)
    >>> eta = FieldOutput(Siren(3, 1, width=16, depth=2, w0=1.0), scale=0.1)  # metres
    >>> raw = torch.tensor([[5.0, 40.0, 1.0], [5.5, 40.5, 2.0]])
    >>> plane = BetaPlane(5.0, 40.0)
    >>> fast = qg_residual(eta, raw, plane, method="taylor")
    >>> slow = qg_residual(eta, raw, plane, method="autograd")
    >>> float((fast - slow).abs().max().detach() / slow.abs().max().detach()) < 1e-5
    True
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r}: choose one of {METHODS}.")
    with torch.autocast(raw.device.type, enabled=False):  # derivatives in float32 (bf16: percent errors)
        return _qg_residual(eta_fn, raw, plane, return_terms, method)


def _qg_residual(eta_fn, raw, plane, return_terms, method):
    from . import jets as _jets

    if method == "auto":
        method = _jets.preferred_method(eta_fn)
    mx, my = plane.metres_per_degree
    if method in ("hybrid", "taylor") and not _jets.supports_taylor(eta_fn):
        raise ValueError(
            f"method={method!r} needs a SIREN field (geoinr.physics.jets.FieldOutput of an encoding + "
            f"geoinr.nn.Siren); got {type(eta_fn).__name__}. Use method='jvp' or 'autograd'."
        )
    if method == "hybrid":
        # Phi = lap + v eta with v = -mx^2 / Ld^2: then q = (g / f0) Phi / mx^2
        j = _jets.field_jets_hybrid(eta_fn, raw, (mx / my) ** 2, value_weight=-(mx**2) / plane.rossby_radius**2)
        k = GRAVITY / plane.f0
        return _assemble(
            k * j["f_lon"] / mx,
            k * j["f_lat"] / my,
            k * j["phi_lon"] / mx**3,
            k * j["phi_lat"] / (mx**2 * my),
            k * j["phi_time"] / (mx**2 * SECONDS_PER_DAY),
            plane,
            return_terms,
        )
    if method == "taylor":
        return _from_jets(_jets.field_jets(eta_fn, raw, (mx / my) ** 2), plane, return_terms)
    if method == "jvp":
        return _from_jets(_jets.field_jets_jvp(eta_fn, raw, (mx / my) ** 2), plane, return_terms)
    raw = raw if raw.requires_grad else raw.detach().clone().requires_grad_(True)
    psi = GRAVITY * eta_fn(raw) / plane.f0
    g1 = _g(psi, raw)
    psi_x, psi_y = g1[:, 0] / mx, g1[:, 1] / my
    psi_xx = _g(g1[:, 0], raw)[:, 0] / mx**2
    psi_yy = _g(g1[:, 1], raw)[:, 1] / my**2
    q = psi_xx + psi_yy - psi / plane.rossby_radius**2
    gq = _g(q, raw)
    q_x, q_y, q_t = gq[:, 0] / mx, gq[:, 1] / my, gq[:, 2] / SECONDS_PER_DAY
    return _assemble(psi_x, psi_y, q_x, q_y, q_t, plane, return_terms)


def _from_jets(j: dict, plane: BetaPlane, return_terms: bool):
    """Residual from the height's jets in raw units (:data:`geoinr.physics.jets.OUTPUT_STREAMS`)."""
    mx, my = plane.metres_per_degree
    k = GRAVITY / plane.f0  # psi = k eta
    inv_ld2 = 1.0 / plane.rossby_radius**2
    lap_scale = k / mx**2  # lap = eta_ll + (mx/my)^2 eta_pp, so psi_xx + psi_yy = lap_scale * lap
    psi_x, psi_y = k * j["f_lon"] / mx, k * j["f_lat"] / my
    q_x = (lap_scale * j["lap_lon"] - k * j["f_lon"] * inv_ld2) / mx
    q_y = (lap_scale * j["lap_lat"] - k * j["f_lat"] * inv_ld2) / my
    q_t = (lap_scale * j["lap_time"] - k * j["f_time"] * inv_ld2) / SECONDS_PER_DAY
    return _assemble(psi_x, psi_y, q_x, q_y, q_t, plane, return_terms)


def _assemble(psi_x, psi_y, q_x, q_y, q_t, plane, return_terms):
    dqdt = q_t
    jac = psi_x * q_y - psi_y * q_x
    beta_term = plane.beta0 * psi_x
    res = dqdt + jac + beta_term
    if return_terms:
        return res, {"dq_dt": dqdt, "jacobian": jac, "beta": beta_term}
    return res
