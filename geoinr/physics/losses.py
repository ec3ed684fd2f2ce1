"""Physics residual losses added to the data loss: 1.5-layer QG and mass conservation (torch only);
and one prior that is not physics, ``"smooth"``: the mean square gradient, for the gaps between sparse passes.

:func:`physics_loss` returns a closure the training loop calls every
``physics_every`` steps: the weighted mean square of the dimensionless residuals
at fresh collocation points drawn uniformly over the fitted space-time box (for
the QG term, less the 5 degrees either side of the equator; each point on its
own tangent plane, :class:`geoinr.physics.qg.LocalPlanes`).
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import torch

from ..frames import GeoinrWarning, user_stacklevel
from ..geometry import is_height, metres_per_length_unit
from .constants import DEG, EARTH_RADIUS_M, GRAVITY
from .jets import FieldOutput
from .operators import derivatives
from .qg import EQUATOR_BAND, BetaPlane, LocalPlanes, qg_residual

__all__ = ["PHYSICS_TERMS", "PhysicsFrame", "physics_terms", "physics_loss", "members", "metres_per_unit"]

PHYSICS_TERMS = ("qg", "mass", "smooth")
# residual points stay this far from a pole (degrees): a region widened to a pole over the polar hole of the tracks
# (geoinr.observations.with_polar_caps) would draw them where metres per degree of longitude vanish (1/cos(89) = 57)
COLLOCATION_MAX_LAT = 89.0


def metres_per_unit(units, variable) -> float:
    """Factor from a sea-surface height's units to metres.

    No ``units`` attribute: a warning, and metres are assumed. Units that are not a
    length (a velocity, a temperature) or that geoinr does not know raise: the
    derivatives of such a variable are no geostrophic current.

    Examples
    --------
    >>> metres_per_unit("cm", "sla")
    0.01
    >>> metres_per_unit("Metres", "adt")
    1.0
    """
    factor = metres_per_length_unit(units)
    if factor is not None:
        return factor
    if not str(units or "").strip():
        warnings.warn(f"Variable {variable!r} has no units; derived fields assume it is a sea-surface height in "
                      "metres.", GeoinrWarning, stacklevel=user_stacklevel())
        return 1.0
    raise ValueError(
        f"Variable {variable!r} has units {units!r}, not a length that geoinr knows (m, cm, mm, km): geostrophic "
        f"currents, vorticity and the QG residual need a sea-surface height. If it is one, give its units before "
        f"fitting (ds[{variable!r}].attrs['units'] = 'm')."
    )


def check_qg_height(variable, standard_name, rossby_radius_km, what: str, warn: bool = True) -> None:
    """Refuse a geopotential height's QG quantity (``what``) without an explicit deformation radius, and warn where
    the ``standard_name`` names no height (a mixed layer's thickness in metres was fitted as one in silence): the
    default radius is the ocean's first baroclinic one (Chelton et al. 1998, about 15 km at 45 N), which gave a 500
    hPa height's PV as -2.2 s-1 (a review); the atmosphere's is about 1000 km.

    Parameters
    ----------
    variable : str
        The fitted variable's name.
    standard_name : str or None
        Its CF standard name.
    rossby_radius_km : float or None
        The radius given (None: the ocean's default).
    what : str
        What asks (``"derive('pv')"``, ``"physics='qg'"``), for the messages.
    warn : bool
        Warn of a standard name that is no height.

    Examples
    --------
    >>> check_qg_height("z", "geopotential_height", 1000.0, "derive('pv')")  # a radius given: accepted
    >>> try:
    ...     check_qg_height("z", "geopotential_height", None, "derive('pv')")
    ... except ValueError as err:
    ...     print(str(err)[:60])
    derive('pv') of 'z', a geopotential height, needs rossby_rad
    """
    standard = str(standard_name or "").strip()
    if "geopotential" in standard and rossby_radius_km is None:
        raise ValueError(f"{what} of {variable!r}, a geopotential height, needs rossby_radius= in km (the atmosphere's "
                         f"deformation radius is about 1000 km): the default is the ocean's first baroclinic radius "
                         f"(Chelton et al. 1998, about 15 km at 45 N).")
    if warn and standard and not is_height(standard):
        warnings.warn(f"{what} treats {variable!r} as a sea-surface height (or a geopotential height), but its "
                      f"standard_name is {standard!r}: its derivatives are no geostrophic flow.", GeoinrWarning,
                      stacklevel=user_stacklevel())


def _height_first(variables, units, what: str, how: str) -> None:
    """Refuse a first variable in units that are no length where another fitted variable is a height: ``what`` acts
    on the first, and its message told the user to label a velocity in metres (a review)."""
    first = units[0]
    if not str(first or "").strip() or metres_per_length_unit(first) is not None:
        return
    heights = [v for v, u in zip(variables, units) if metres_per_length_unit(u) is not None]
    if heights:
        order = [heights[0]] + [v for v in variables if v != heights[0]]
        raise ValueError(f"{what} acts on the first fitted variable, {variables[0]!r} ({first}), not a sea-surface "
                         f"height; {heights[0]!r} is one: put it first, {how}{order!r}).")


def physics_terms(physics) -> list:
    """The residual names of ``physics=`` (a name or a list), checked.

    Examples
    --------
    >>> physics_terms("qg"), physics_terms(None)
    (['qg'], [])
    """
    if physics is None or physics is False or (isinstance(physics, (list, tuple)) and not physics):
        return []  # (False: "no physics", as None)
    if not isinstance(physics, (str, list, tuple)):  # physics=True gave "'bool' object is not iterable"
        raise ValueError(f"physics={physics!r}: give a term's name, a list of them (from {PHYSICS_TERMS}), 'auto', "
                         f"or None for a fit of the data alone.")
    terms = [physics] if isinstance(physics, str) else list(physics)
    unknown = [t for t in terms if t not in PHYSICS_TERMS]
    if unknown:
        raise ValueError(f"physics={physics!r}: unknown term(s) {unknown}; choose from {PHYSICS_TERMS}.")
    return terms


@dataclasses.dataclass
class PhysicsFrame:
    """What the residuals need to know of the fitted data, in its own units."""

    region: tuple  # (west, east, south, north), degrees
    time_range: tuple | None  # (first, last), days
    min_wavelength_km: float
    variables: list
    units: list  # units of each variable
    mean: list
    std: list
    rossby_radius_km: float | None = None  # None: the first baroclinic radius at each point's latitude
    standard_names: list = dataclasses.field(default_factory=list)  # each variable's CF standard_name (or None)
    mass_constraint: str = "penalty"
    # QG about the temporal mean: each collocation site is drawn at this many times (a randomly shifted
    # lattice over the time range) and the temporal mean over them is removed (qg_residual(temporal_mean=)),
    # the term weighted by the field's time-varying fraction of variance. 0 or 1: the full height, unweighted.
    anomaly_times: int = 8
    # what the temporal mean is removed from (qg_residual(anomaly=)): "residual" (default), the residual of
    # the full height, so that a steady imbalance (a mean dynamic topography that is no free QG flow) drops
    # out while the mean flow still advects the eddies; "field", the height (the anomaly's own dynamics).
    # On the QG OSSE at equal epochs (bfloat16, 250 epochs, seed 0, RMSE cm, data-only 2.71):
    # full height 2.43, "residual" 2.49, "field" 2.58; with a steady 0.7 m MDT added (data-only 3.35):
    # full height 3.67 (hurts), "residual" 3.29, "field" 3.33. (Measured while grad q still held the
    # radius's latitude derivative, which made a height's level act as a spurious beta: qg.py's notes.)
    anomaly: str = "residual"


def _collocation(frame: PhysicsFrame, n: int, seed, device, times_per_site: int = 1, stream: int = 0,
                skip_band: float = 0.0):
    """A function drawing ``n`` uniform points (lon, lat[, t]) in the fitted box.

    ``times_per_site`` = K > 1 (with a time range): ``ceil(n / K)`` uniform sites, each at K
    times ``t0 + (u + j) (t1 - t0) / K``, j = 0..K-1, ``u`` uniform per site (a randomly shifted
    lattice: every time is uniform over the range, and the K of a site average to an unbiased
    estimate of the site's temporal mean, exact for periods of (t1 - t0) / m, m not a multiple
    of K). Rows in K blocks, block j holding every site at its j-th time
    (:func:`geoinr.physics.qg.qg_residual` ``temporal_mean=K``). ``stream`` offsets the seed (one
    random stream per residual term; ``seed=None`` draws the seed from torch's global generator). ``skip_band`` > 0: no point within that many degrees of the
    equator (latitudes uniform over the rest of the box; the box must reach beyond the band).
    """
    west, east, south, north = frame.region
    south, north = (min(max(lat, -COLLOCATION_MAX_LAT), COLLOCATION_MAX_LAT) for lat in (south, north))
    has_time = frame.time_range is not None
    t0, t1 = frame.time_range if has_time else (0.0, 0.0)
    gen = torch.Generator(device=device)
    # seed=None: points drawn from torch's global generator (a seed=None fit is not repeatable, its points neither)
    first = int(torch.randint(0, 2**40, ())) if seed is None else int(seed) + 1
    gen.manual_seed(first + 1000 * int(stream))
    lo = torch.tensor([west, south, t0], device=device)
    span = torch.tensor([east - west, north - south, t1 - t0], device=device)
    dims = 3 if has_time else 2
    k = int(times_per_site)
    band = _band_gap(south, north, skip_band)
    if band is not None:  # latitude drawn over the box less the band, then moved past the gap
        span[1] = span[1] - (band[1] - band[0])

    def points(rows, cols):
        p = lo[:cols] + span[:cols] * torch.rand(rows, cols, generator=gen, device=device)
        if band is not None:
            p[:, 1] = p[:, 1] + (band[1] - band[0]) * (p[:, 1] >= band[0])
        return p

    if k <= 1 or not has_time:
        draw = lambda: points(n, dims)  # noqa: E731
        draw.generator = gen  # a checkpoint saves its state (a resume goes on drawing where the run was)
        return draw
    m = -(-int(n) // k)
    steps = torch.arange(k, device=device, dtype=lo.dtype)[:, None]

    def lattice():
        sites = points(m, 2)
        times = lo[2] + span[2] * (torch.rand(m, generator=gen, device=device) + steps) / k  # (k, m)
        return torch.cat([sites.expand(k, m, 2), times[..., None]], -1).reshape(k * m, 3)

    lattice.generator = gen
    return lattice


def _band_gap(south: float, north: float, band: float):
    """The part (lo, hi) of (-band, band) inside [south, north] that collocation skips; None if none.

    Raises when nothing of the box is left (only the QG term skips a band: the message is its).
    """
    if band <= 0:
        return None
    lo, hi = max(south, -band), min(north, band)
    if south >= -band and north <= band:  # a box (or one latitude) wholly inside the band
        raise ValueError(
            f"physics='qg' on latitudes {south:g} to {north:g}: every point is within {band:g} degrees of the "
            f"equator, where f -> 0 and quasi-geostrophy does not hold. Fit without physics there, or a region "
            f"that reaches poleward of {band:g} degrees (the residual is then taken only poleward of it)."
        )
    return (lo, hi) if hi > lo else None


def _qg_term(frame: PhysicsFrame, n: int, seed, device, length: float):
    """(draw, loss): fresh collocation points, and the dimensionless QG loss of a field (one network) on them."""
    if frame.time_range is None:
        raise ValueError("physics='qg' needs a time coordinate (dq/dt).")
    _height_first(frame.variables, frame.units, "physics='qg'", "fit(..., variables=")
    check_qg_height(frame.variables[0], (frame.standard_names or [None])[0], frame.rossby_radius_km, "physics='qg'")
    to_m = metres_per_unit(frame.units[0], frame.variables[0])
    scale, offset = frame.std[0] * to_m, frame.mean[0] * to_m
    _, _, south, north = frame.region
    # each point's own tangent plane (f, beta, metric at its latitude), none within EQUATOR_BAND of the equator
    plane = LocalPlanes(None if frame.rossby_radius_km is None else frame.rossby_radius_km * 1e3)
    t0, t1 = frame.time_range
    k = int(frame.anomaly_times) if t1 > t0 else 1  # one time: no temporal mean to remove
    sample = _collocation(frame, n, seed, device, times_per_site=k, stream=1, skip_band=EQUATOR_BAND)
    f_typical, beta_typical = _typical_f_beta(south, north)
    psi_scale = GRAVITY * max(scale, 1e-6) / f_typical
    floor = (psi_scale * beta_typical / length) ** 2  # (1/s^2)^2: linear Rossby-wave scale, a floor

    def qg(field, raw):
        # a FieldOutput (not a lambda) lets qg_residual see a SIREN and use its fast derivatives
        r, parts = qg_residual(FieldOutput(field, 0, scale, offset), raw, plane, return_terms=True,
                               temporal_mean=k if k > 1 else None, anomaly=frame.anomaly)
        # dimensionless: the residual relative to the size of its own terms (tendency, advection, beta),
        # measured on the same points and held constant in the gradient. A fixed scale (beta U / L) is off
        # by orders of magnitude where advection dominates, and a loss that large pulls the field towards
        # eta = 0, which satisfies QG trivially.
        size = sum(torch.mean(t.detach() ** 2) for t in parts.values())
        loss = torch.mean(r**2) / (size + floor)
        return loss * _varying_fraction(field, raw, k) if k > 1 else loss

    return sample, qg


def _typical_f_beta(south: float, north: float) -> tuple[float, float]:
    """|f| (1/s) and beta (1/(m s)) at the mean |latitude| of the box outside the equatorial band.

    Examples
    --------
    >>> f, beta = _typical_f_beta(30.0, 46.0)
    >>> round(f * 1e4, 3), round(beta * 1e11, 2)  # at 38 N
    (0.898, 1.8)
    """
    lat = np.linspace(south, north, 2001)
    lat = np.abs(lat[np.abs(lat) >= EQUATOR_BAND])
    plane = BetaPlane(0.0, float(lat.mean()) if lat.size else EQUATOR_BAND)
    return plane.f0, plane.beta0


def _varying_fraction(field, raw: torch.Tensor, k: int) -> torch.Tensor:
    """The fitted field's variance over the ``k`` times of each site, averaged over sites, in data-variance units.

    With the temporal mean removed the QG term constrains only the time-varying part, while the data
    loss is scaled by the whole variance (steady part included): weighting the term by the varying
    fraction keeps ``physics_weight`` meaning the same with or without a large steady mean (a mean
    dynamic topography in the data). No gradient; one forward pass of the collocation points.
    """
    with torch.no_grad():
        v = field(raw)[:, 0].float().view(k, -1)
        return v.var(0, unbiased=False).mean().clamp(max=1.0)


def _mass_term(frame: PhysicsFrame, sample, length: float, device):
    """(draw, loss): collocation points, and the dimensionless divergence loss of a field (one network) on them."""
    if len(frame.variables) != 2:
        raise ValueError(
            f"physics='mass' needs two fitted variables, eastward then northward velocity; got {frame.variables}."
        )
    if frame.mass_constraint == "streamfunction":  # divergence-free by construction: nothing to add
        return (lambda: None), (lambda field, raw: torch.zeros((), device=device))
    su, sv = frame.std
    mu, mv = frame.mean
    speed = max(math.hypot(su, sv), 1e-9)

    def mass(field, raw):
        du = derivatives(lambda r: field(r)[:, 0] * su + mu, raw, laplacian=False, create_graph=True)
        dv = derivatives(lambda r: field(r)[:, 1] * sv + mv, raw, laplacian=False, create_graph=True)
        lat = raw[:, 1] * DEG
        div = du["f_x"] + dv["f_y"] - dv["f"] * torch.tan(lat) / EARTH_RADIUS_M
        return torch.mean((div * length / speed) ** 2)

    return sample, mass


def _smooth_term(frame: PhysicsFrame, sample, length: float):
    """(draw, loss): collocation points, and the mean square horizontal gradient of every variable on them.

    Each variable in units of its standard deviation per ``length`` (``min_wavelength / 2 pi``): a
    field varying at the shortest resolved wavelength scores about 1. Uniform over the box, the term
    is negligible where the observations hold the field and decides it in the gaps between passes,
    where it prefers the flattest field the data allow instead of structure the network invents.
    """

    def smooth(field, raw):
        total = 0.0
        for j in range(len(frame.variables)):
            d = derivatives(lambda r, j=j: field(r)[:, j], raw, laplacian=False, create_graph=True)
            total = total + torch.mean((d["f_x"] ** 2 + d["f_y"] ** 2) * length**2)
        return total

    return sample, smooth


def members(field) -> list | None:
    """The networks of a mean of networks (:class:`geoinr.nn.Ensemble`) as fields of their own: one function
    per member, ``apply(fn)`` = ``fn(member's field)``; None for a field of one network.

    A residual is taken on each network (the mean of networks that each obey it need not be the
    one network that does), so the physics loss of an ensemble is its members' mean, as its data
    loss is.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from geoinr.encoding import CoordinateEncoding
    >>> from geoinr.model.field import Field
    >>> from geoinr.nn import Siren
    >>> from geoinr.nn.ensemble import Ensemble
    >>> enc = CoordinateEncoding.from_points(np.array([[0.0, 30.0, 0.0], [10.0, 40.0, 10.0]]))
    >>> field = Field(enc, Ensemble([Siren(enc.out_features, 1, width=8, depth=1) for _ in range(2)]))
    >>> apply = members(field)
    >>> raw = torch.tensor([[5.0, 35.0, 1.0]])
    >>> len(apply), bool(torch.allclose(apply[1](lambda f: f(raw)), field(raw)[1]))
    (2, True)
    >>> members(Field(enc, Siren(enc.out_features, 1, width=8, depth=1))) is None
    True
    """
    from ..nn.ensemble import Ensemble

    ensemble = getattr(field, "network", None)
    if not isinstance(ensemble, Ensemble):
        return None

    def one(i):
        # the member's network in the field's place (a field is built from an encoding and a network)
        return lambda fn: ensemble.apply_member(i, lambda net: fn(type(field)(field.encoding, net)))

    return [one(i) for i in range(ensemble.n_members)]


def physics_loss(field, physics, frame: PhysicsFrame, *, weight: float, n_collocation: int, seed, device):
    """Closure: ``weight`` x the sum of the mean squared dimensionless terms at fresh collocation points.

    The terms are residuals (``"qg"``, ``"mass"``) or the smooth prior (``"smooth"``: the mean square
    gradient, :func:`_smooth_term`); with several, the history's ``physics_loss`` is their weighted sum.

    Residuals are made dimensionless by their natural scales (height or speed std,
    ``min_wavelength``, beta), so ``weight`` means the same in every region. The QG term drops
    the steady part of the residual (``frame.anomaly_times``, ``frame.anomaly``), weighted by the
    field's time-varying fraction of variance, with the deformation radius of each collocation
    point's latitude unless ``frame.rossby_radius_km`` is given, each point on its own tangent
    plane (:class:`geoinr.physics.qg.LocalPlanes`) and none within
    :data:`geoinr.physics.qg.EQUATOR_BAND` degrees of the equator. Near that band the points'
    terms are largest (psi = g eta / f), so on a region across the equator they weigh most. For a
    mean of networks (:class:`geoinr.nn.Ensemble`) the loss is the mean of each network's own
    residual loss on the same points (:func:`members`), as its data loss is the mean of theirs.
    """
    terms = physics_terms(physics)
    length = frame.min_wavelength_km * 1e3 / (2 * math.pi)  # m
    parts = []
    if "qg" in terms:
        parts.append(_qg_term(frame, int(n_collocation), seed, device, length))
    if "mass" in terms:
        parts.append(_mass_term(frame, _collocation(frame, int(n_collocation), seed, device), length, device))
    if "smooth" in terms:
        parts.append(_smooth_term(frame, _collocation(frame, int(n_collocation), seed, device, stream=2), length))
    weight = float(weight)
    each = members(field)

    def loss():
        points = [draw() for draw, _ in parts]  # one draw a step, shared by the members of a mean of networks

        def total(f):
            return sum(term(f, raw) for (_, term), raw in zip(parts, points))

        if each is None:
            return weight * total(field)
        return weight * sum(apply(total) for apply in each) / len(each)

    loss.generators = [draw.generator for draw, _ in parts if hasattr(draw, "generator")]  # (checkpoints save them)
    return loss
