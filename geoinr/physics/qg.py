"""The 1.5-layer quasi-geostrophic residual, on the local beta-plane, in SI units.

.. math::
    \\psi = \\frac{g\\,\\eta}{f_0},\\quad q = \\nabla^2\\psi - \\frac{\\psi}{L_d(\\varphi)^2},\\quad
    r = \\partial_t q + J(\\psi, q) + \\beta_0\\,\\partial_x\\psi

with :math:`J(a, b) = a_x b_y - a_y b_x`, on the tangent plane at
:math:`(\\lambda_0, \\varphi_0)`: :math:`x = R\\cos\\varphi_0\\,(\\lambda-\\lambda_0)`,
:math:`y = R(\\varphi-\\varphi_0)`, :math:`f_0 = 2\\Omega\\sin\\varphi_0`,
:math:`\\beta_0 = 2\\Omega\\cos\\varphi_0/R`. The deformation radius is taken at each point's own
latitude (:func:`geoinr.physics.rossby.rossby_radius_km`, the first baroclinic radius of the
Chelton et al. 1998 climatology's zonal mean) unless a constant is given, and held constant
at each point, as :math:`f` is: :math:`\\partial_y q` has no :math:`-\\psi\\,\\partial_y L_d^{-2}` term. That
term would make the residual depend on the level of :math:`\\eta`, which QG leaves free (a
constant added to a height, such as the mean of an absolute dynamic topography, acted as a
spurious :math:`\\beta` of 8, 14 and 39 times the true one per metre at 35, 40 and 50 N).

:class:`LocalPlanes` takes the tangent plane at each point's own latitude instead of one plane
for the whole region: :math:`f`, :math:`\\beta` and the metres per degree of longitude are the
point's (the geostrophic streamfunction :math:`g\\eta/f` with the local :math:`f`, as on a plane
centred there). Left out, as on any tangent plane: the sphere's metric terms, of relative size
:math:`L/R` (~1.5 % for :math:`L` = 100 km), and the change of :math:`1/f` across the eddy inside
:math:`\\psi`, of relative size :math:`\\beta L/f = (L/R)\\cot\\varphi` (~2 % at 40 N, ~13 % at 7 N: QG
weakens toward the equatorial band, which is left out). One plane is exact only near its own latitude: over the
Mediterranean (30-46 N) the plane at 38 N has an :math:`f_0` 17-19 % off at the coasts, and a
region centred within 5 degrees of the equator has no plane at all. The fitting loss uses local
planes (:mod:`geoinr.physics.losses`).

With ``temporal_mean=K`` the temporal mean at each location (estimated from ``K`` times of the
same point) is removed, from the height (``anomaly="field"``: the residual of
:math:`\\eta - \\bar\\eta`) or from the residual (``anomaly="residual"``): altimetric heights are
mean dynamic topography + anomaly, and a mean dynamic topography is no free QG flow.

Derivatives through the encodings, third order for :math:`J(\\psi, q)` and :math:`\\partial_t q`:
for a SIREN field in one forward pass of Taylor jets (:mod:`geoinr.physics.jets`), otherwise by
nested forward mode or nested autograd (``method=``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .constants import DEG, EARTH_RADIUS_M, GRAVITY, OMEGA, SECONDS_PER_DAY
from .operators import beta as _beta, coriolis
from .rossby import inverse_square_radius

__all__ = ["BetaPlane", "LocalPlanes", "qg_residual", "rossby_wave_frequency", "METHODS", "ANOMALIES", "EQUATOR_BAND"]

EQUATOR_BAND = 5.0  # degrees of latitude: nearer the equator f -> 0 and quasi-geostrophy does not hold


@dataclass(frozen=True)
class BetaPlane:
    """Tangent plane at (lon0, lat0) in degrees, with its f0, beta0 and deformation radius.

    ``rossby_radius`` (m), if given, is used everywhere; ``None`` (default) takes the radius at
    each point's own latitude (:func:`geoinr.physics.rossby.rossby_radius_km`).

    Examples
    --------
    >>> bp = BetaPlane(0.0, 35.0)
    >>> round(bp.radius0 / 1e3)  # km, the latitude-dependent radius at lat0
    26
    >>> round(BetaPlane(0.0, 35.0, rossby_radius=40e3).radius0 / 1e3)
    40
    """

    lon0: float
    lat0: float
    rossby_radius: float | None = None

    def __post_init__(self):
        if abs(self.lat0) < EQUATOR_BAND:
            raise ValueError(
                f"lat0={self.lat0}: quasi-geostrophy needs |lat0| >= {EQUATOR_BAND} degrees (f0 -> 0 at the equator). "
                f"For points at many latitudes use LocalPlanes(), the plane of each point's own latitude."
            )
        if self.rossby_radius is not None and not self.rossby_radius > 0:
            raise ValueError(f"rossby_radius={self.rossby_radius}: a deformation radius is a positive length (m).")

    @property
    def f0(self) -> float:
        return 2.0 * OMEGA * math.sin(self.lat0 * DEG)  # 1/s

    @property
    def beta0(self) -> float:
        return 2.0 * OMEGA * math.cos(self.lat0 * DEG) / EARTH_RADIUS_M  # 1/(m s)

    @property
    def radius0(self) -> float:
        """Deformation radius at lat0, m (the constant one if given)."""
        if self.rossby_radius is not None:
            return float(self.rossby_radius)
        return float(inverse_square_radius(self.lat0)) ** -0.5

    @property
    def metres_per_degree(self) -> tuple[float, float]:
        """(x, y) metres per degree of longitude and latitude on the plane."""
        return EARTH_RADIUS_M * math.cos(self.lat0 * DEG) * DEG, EARTH_RADIUS_M * DEG

    def inverse_square_radius(self, lat_deg: torch.Tensor, derivative: bool = False):
        """``1 / Ld^2`` (1/m^2) at latitudes ``lat_deg`` (and its derivative per degree of latitude).

        A constant when ``rossby_radius`` is given (derivative zero), else
        :func:`geoinr.physics.rossby.inverse_square_radius` (differentiable in ``lat_deg``).
        """
        return _inverse_square_radius(self.rossby_radius, lat_deg, derivative)


def _inverse_square_radius(rossby_radius, lat_deg: torch.Tensor, derivative: bool):
    if rossby_radius is None:
        return inverse_square_radius(lat_deg, derivative)
    inv = torch.full_like(lat_deg, 1.0 / float(rossby_radius) ** 2)
    return (inv, torch.zeros_like(lat_deg)) if derivative else inv


@dataclass(frozen=True)
class LocalPlanes:
    """The tangent plane at each point's own latitude: its f, beta, metres per degree and deformation radius.

    The residual at a point is the one :class:`BetaPlane` centred on that point gives there
    (tested point by point), so one set of planes serves any region, however large, away from
    the equator. Within ``equator_band`` degrees of it, ``f`` and ``beta`` are those at the
    band's edge (no division by zero; quasi-geostrophy does not hold there, so callers keep
    their points out: the fitting loss draws none there).

    ``rossby_radius`` (m), if given, is used everywhere; ``None`` (default) takes the radius at
    each point's own latitude (:func:`geoinr.physics.rossby.rossby_radius_km`).

    Examples
    --------
    >>> import torch
    >>> planes = LocalPlanes()
    >>> f, beta, mx = planes.at(torch.tensor([35.0, -35.0]))
    >>> bool(torch.allclose(f, torch.tensor([BetaPlane(0.0, 35.0).f0, -BetaPlane(0.0, 35.0).f0])))
    True
    """

    rossby_radius: float | None = None
    equator_band: float = EQUATOR_BAND

    def __post_init__(self):
        if self.rossby_radius is not None and not self.rossby_radius > 0:
            raise ValueError(f"rossby_radius={self.rossby_radius}: a deformation radius is a positive length (m).")
        if not 0.0 < self.equator_band < 90.0:
            raise ValueError(f"equator_band={self.equator_band}: degrees of latitude, between 0 and 90.")

    def at(self, lat_deg: torch.Tensor):
        """``(f, beta, mx)`` at each latitude: 1/s, 1/(m s), metres per degree of longitude (like ``lat_deg``)."""
        sign = torch.where(lat_deg < 0, -1.0, 1.0).to(lat_deg.dtype)
        edge = sign * torch.clamp(lat_deg.abs(), min=self.equator_band)  # the band's edge inside the band
        mx = EARTH_RADIUS_M * torch.cos(lat_deg * DEG) * DEG
        return coriolis(edge), _beta(edge), mx

    def inverse_square_radius(self, lat_deg: torch.Tensor, derivative: bool = False):
        """As :meth:`BetaPlane.inverse_square_radius`."""
        return _inverse_square_radius(self.rossby_radius, lat_deg, derivative)


def rossby_wave_frequency(k: float, l: float, plane: BetaPlane) -> float:
    """Angular frequency (1/s) of a 1.5-layer Rossby wave: omega = -beta k / (k^2 + l^2 + 1/Ld^2).

    Examples
    --------
    The radius is the plane's at lat0 (:attr:`BetaPlane.radius0`).

    >>> bp = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    >>> w = rossby_wave_frequency(2 * math.pi / 300e3, 0.0, bp)
    >>> w < 0  # westward phase propagation
    True
    """
    return -plane.beta0 * k / (k * k + l * l + 1.0 / plane.radius0**2)


def _g(out, inp):
    (g,) = torch.autograd.grad(out.sum(), inp, create_graph=True)
    return g


METHODS = ("auto", "hybrid", "taylor", "jvp", "autograd")
ANOMALIES = ("field", "residual")


def qg_residual(eta_fn, raw: torch.Tensor, plane: BetaPlane | LocalPlanes, return_terms: bool = False,
                method: str = "auto", temporal_mean: int | None = None, anomaly: str = "field"):
    """Pointwise 1.5-layer QG residual (1/s^2) of the sea-surface height ``eta_fn`` (m) at ``raw``.

    Parameters
    ----------
    eta_fn : callable or FieldOutput
        ``(n, 3)`` raw coordinates (lon deg, lat deg, time days) -> ``(n,)`` height in m. A
        :class:`geoinr.physics.jets.FieldOutput` of a SIREN field (rather than a plain
        function) lets ``method="auto"`` use the SIREN's jets.
    raw : Tensor (n, 3)
    plane : BetaPlane or LocalPlanes
        One tangent plane, or :class:`LocalPlanes` (each point's own); its ``rossby_radius`` (m),
        or ``None`` for the radius at each point's latitude.
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
    temporal_mean : int, optional
        ``K`` > 1: ``raw`` is ``K`` blocks of ``n / K`` rows, every block the same (lon, lat)
        at other times (``raw.view(K, -1, 3)``), and the residual is that of the anomaly
        :math:`\\eta - \\bar\\eta`, :math:`\\bar\\eta` the mean of :math:`\\eta` over the ``K``
        times at each location, held steady (:math:`\\partial_t\\bar\\eta = 0`). No extra
        evaluation: each point is both a residual point and a sample of its location's mean.
        The residual is linear in the derivatives of :math:`\\eta` but for :math:`J`, so the
        mean's derivatives are the means of the derivatives. The mean flow's advection of the
        anomaly (:math:`J(\\bar\\psi, q') + J(\\psi', \\bar q)`) is left out: the residual
        constrains the anomaly's own QG dynamics. ``None`` or 1: the full field.
    anomaly : {"field", "residual"}
        With ``temporal_mean``: ``"field"`` (above), the residual of the anomaly;
        ``"residual"``, the residual of the full field minus its own mean over the ``K``
        times at each location: whatever steady forcing or imbalance holds the mean state
        (a mean dynamic topography that is not a free QG flow) drops out, while the mean
        flow's advection of the anomaly stays in.

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

    The anomaly about the temporal mean, from the same two locations at 4 times each:

    >>> sites = raw[:, :2].repeat(4, 1)
    >>> times = torch.arange(8.0).reshape(8, 1)
    >>> anomaly = qg_residual(eta, torch.cat([sites, times], 1), plane, temporal_mean=4)
    >>> anomaly.shape
    torch.Size([8])
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r}: choose one of {METHODS}.")
    if anomaly not in ANOMALIES:
        raise ValueError(f"anomaly={anomaly!r}: choose one of {ANOMALIES}.")
    k = _check_blocks(raw, temporal_mean)
    with torch.autocast(raw.device.type, enabled=False):  # derivatives in float32 (bf16: percent errors)
        *parts, beta = _linear_parts(eta_fn, raw, plane, method)
        if k > 1 and anomaly == "field":
            parts = _anomaly(parts, k)
        res, terms = _assemble(*parts, beta, True)
        if k > 1 and anomaly == "residual":
            res, terms = _centred(res, k), {name: _centred(t, k) for name, t in terms.items()}
        return (res, terms) if return_terms else res


def _check_blocks(raw: torch.Tensor, temporal_mean) -> int:
    """``temporal_mean`` as an int >= 1, checked against the layout of ``raw``."""
    k = 1 if temporal_mean is None else int(temporal_mean)
    if k < 1:
        raise ValueError(f"temporal_mean={temporal_mean!r}: the number of times per location, >= 1 (or None).")
    if k == 1:
        return 1
    if raw.shape[0] % k:
        raise ValueError(f"temporal_mean={k}: raw has {raw.shape[0]} rows, not K blocks of equal size.")
    sites = raw.detach().view(k, -1, raw.shape[1])[:, :, :2]
    if not torch.equal(sites, sites[:1].expand_as(sites)):
        raise ValueError(f"temporal_mean={k}: the {k} blocks of raw must hold the same (lon, lat), row for row.")
    return k


def _centred(v: torch.Tensor, k: int) -> torch.Tensor:
    """``v`` minus its mean over the ``k`` blocks (the times of each location)."""
    blocks = v.view(k, -1)
    return (blocks - blocks.mean(0, keepdim=True)).reshape(-1)


def _anomaly(parts: tuple, k: int) -> tuple:
    """Subtract the mean over the ``k`` blocks from the spatial terms (the mean is steady: q_t stays)."""
    *spatial, q_t = parts
    return (*[_centred(v, k) for v in spatial], q_t)


def _geometry(plane, raw, dtype):
    """``(k, mx, my, beta)``: ``psi = k eta`` (k = g / f), metres per degree, beta: floats, or (n,) in ``dtype``."""
    my = EARTH_RADIUS_M * DEG
    if isinstance(plane, LocalPlanes):
        f, beta, mx = plane.at(raw[:, 1].detach().to(dtype))
        return GRAVITY / f, mx, my, beta
    mx, my = plane.metres_per_degree
    return GRAVITY / plane.f0, mx, my, plane.beta0


def _linear_parts(eta_fn, raw, plane, method):
    """(psi_x, psi_y, q_x, q_y, q_t) in SI units (and beta): every one linear in eta."""
    from . import jets as _jets

    if method == "auto":
        method = _jets.preferred_method(eta_fn)
    if method in ("hybrid", "taylor") and not _jets.supports_taylor(eta_fn):
        raise ValueError(
            f"method={method!r} needs a SIREN field (geoinr.physics.jets.FieldOutput of an encoding + "
            f"geoinr.nn.Siren); got {type(eta_fn).__name__}. Use method='jvp' or 'autograd'."
        )
    # per-point planes in the dtype of the field's output (a float32 network may be given float64 points)
    dtype = _jets._parts(eta_fn)[1].head.weight.dtype if method in ("hybrid", "taylor") else raw.dtype
    k, mx, my, beta = _geometry(plane, raw, dtype)  # psi = k eta
    ratio = (mx / my) ** 2  # lat_weight of the Laplacian in degrees: a float, or one per point
    if method == "hybrid":
        # Phi = lap + v eta with v = -mx^2 / Ld^2: then q = (g / f0) Phi / mx^2. A pointwise Ld enters the
        # reverse pass as a per-point constant (as f: no latitude derivative, see the module's notes)
        if plane.rossby_radius is None:
            inv = plane.inverse_square_radius(raw[:, 1].detach().to(dtype))
            j = _jets.field_jets_hybrid(eta_fn, raw, ratio, value_weight=-(mx**2) * inv)
        else:
            j = _jets.field_jets_hybrid(eta_fn, raw, ratio, value_weight=-(mx**2) / plane.rossby_radius**2)
        phi_lat = j["phi_lat"]
        return (k * j["f_lon"] / mx, k * j["f_lat"] / my, k * j["phi_lon"] / mx**3, k * phi_lat / (mx**2 * my),
                k * j["phi_time"] / (mx**2 * SECONDS_PER_DAY), beta)
    if method == "taylor":
        return (*_from_jets(_jets.field_jets(eta_fn, raw, ratio), raw, plane, k, mx, my), beta)
    if method == "jvp":
        return (*_from_jets(_jets.field_jets_jvp(eta_fn, raw, ratio), raw, plane, k, mx, my), beta)
    raw = raw if raw.requires_grad else raw.detach().clone().requires_grad_(True)
    psi = k * eta_fn(raw)  # k is constant at each point (its own plane): no gradient through f
    g1 = _g(psi, raw)
    psi_x, psi_y = g1[:, 0] / mx, g1[:, 1] / my
    psi_xx = _g(g1[:, 0], raw)[:, 0] / mx**2
    psi_yy = _g(g1[:, 1], raw)[:, 1] / my**2
    q = psi_xx + psi_yy - psi * plane.inverse_square_radius(raw[:, 1].detach())  # Ld constant at each point
    gq = _g(q, raw)
    return psi_x, psi_y, gq[:, 0] / mx, gq[:, 1] / my, gq[:, 2] / SECONDS_PER_DAY, beta


def _from_jets(j: dict, raw: torch.Tensor, plane, k, mx, my):
    """(psi_x, psi_y, q_x, q_y, q_t) from the height's jets in raw units (:data:`.jets.OUTPUT_STREAMS`).

    ``k, mx, my``: ``psi = k eta`` and the metres per degree, of :func:`_geometry` (numbers, or one per point).
    """
    inv = plane.inverse_square_radius(raw[:, 1].detach().to(j["f"].dtype))  # constant at each point, as f
    lap_scale = k / mx**2  # lap = eta_ll + (mx/my)^2 eta_pp, so psi_xx + psi_yy = lap_scale * lap
    psi_x, psi_y = k * j["f_lon"] / mx, k * j["f_lat"] / my
    q_x = (lap_scale * j["lap_lon"] - k * j["f_lon"] * inv) / mx
    q_y = (lap_scale * j["lap_lat"] - k * j["f_lat"] * inv) / my
    q_t = (lap_scale * j["lap_time"] - k * j["f_time"] * inv) / SECONDS_PER_DAY
    return psi_x, psi_y, q_x, q_y, q_t


def _assemble(psi_x, psi_y, q_x, q_y, q_t, beta, return_terms):
    dqdt = q_t
    jac = psi_x * q_y - psi_y * q_x
    beta_term = beta * psi_x
    res = dqdt + jac + beta_term
    if return_terms:
        return res, {"dq_dt": dqdt, "jacobian": jac, "beta": beta_term}
    return res
