"""The calibrated error of derived fields: ``INRModel.derive(..., return_std=True)``.

A derived field (a current, the vorticity, the PV) is a linear operator :math:`L` of the
height: :math:`L\\eta = c_0\\eta + c_x\\partial_x\\eta + c_y\\partial_y\\eta + c_\\Delta\\nabla^2\\eta`,
with coefficients that depend on latitude only (:func:`geoinr.physics.derived.derived_fields`).
Its error is :math:`L` of the height's error, whose calibrated model
(:class:`geoinr.uncertainty.calibrated.CalibratedError`) has two independent parts:

- the network's own spread, scaled by the calibration's factor ``c``: the variance of
  :math:`L` of the ensemble's members, or :math:`(L\\phi)^\\top\\Sigma(L\\phi)` for the
  Bayesian last layer's features :math:`\\phi` and posterior covariance :math:`\\Sigma`.
  :math:`L\\phi` is taken for every member or feature at once, by nested forward-mode
  differentiation (:func:`torch.func.jvp`) through the encoding and the network. The map is
  linear in those columns (the members' mean, or the output layer on the features), so its own
  derivatives come from the same pass (:func:`mean_derivatives`, :func:`derived_with_std`);
- the error between tracks that the network's spread does not hold (and the floor): a
  smooth random field with the calibrated variance :math:`s^2` and a Gaussian correlation
  of length :math:`\\lambda` (the one :meth:`~geoinr.INRModel.sample` draws). Its
  derivatives are Gaussian too, with :math:`E[(\\partial_x e)^2] = s^2/\\lambda^2`,
  :math:`E[(\\nabla^2 e)^2] = 8 s^2/\\lambda^4` and :math:`E[e\\,\\nabla^2 e] = -2 s^2/\\lambda^2`
  for a uniform :math:`s`; the error's standard deviation grows with the distance to the data, and
  its own derivatives enter by the product rule (:func:`gap_variance`). That term is at most the
  operator's variance on the field itself (:func:`prior_variance`), as a posterior's is at most
  its prior's.
"""
from __future__ import annotations

import sys
import threading
import warnings

import numpy as np
import torch

from ..geometry import KM_PER_DEGREE, space_time_km
from ..physics.derived import derived_fields
from ..physics.operators import Derivatives, in_si_units
from ..uncertainty.bayes import penultimate_features

__all__ = ["derived_std", "derived_with_std", "gap_variance", "mean_derivatives", "operator_coefficients", "prior_variance",
           "std_attrs", "STD_BATCH"]

STD_BATCH = 4096  # target points per nested forward-mode pass (each holds ~10 arrays of points x features)
GAP_STEP = 0.05  # centred differences of the gap error's std: this share of the shorter of its two lengths
GAP_PHASES = 4  # the derived gap variance: a mean over a lattice of this many points each way across the data's spacing
_TERMS = ("f", "f_x", "f_y", "lap")
# torch's forward-mode levels are process-wide: the blocks of a lazy derive, computed in dask's threads, take turns
_FORWARD_MODE = threading.Lock()
POLE_LATITUDE = 89.999  # degrees: targets at a pole are differentiated this near it, 111 m away (a review: vorticity at
# exactly +-90 varied by a factor of 3 with longitude, the spherical operators' 1/cos(lat) at cos = 6e-17; float32
# inputs round anything nearer back to 90)
_JVP_IMPORT = threading.Lock()  # torch's jvp decompositions imported once, quietly (_quiet_jvp_import)


def operator_coefficients(quantity: str, lat_deg: torch.Tensor, rossby_radius_km=None) -> dict:
    """The coefficients :math:`(c_0, c_x, c_y, c_\\Delta)` of each output of ``quantity``, per point.

    Read from :func:`~geoinr.physics.derived.derived_fields` itself (it is linear in the
    height's derivatives), so the two never disagree.

    Examples
    --------
    >>> import torch
    >>> c = operator_coefficients("geostrophic_velocity", torch.tensor([45.0]))
    >>> [round(float(v[0]) * 1e-5, 4) for v in c["vgos"]]  # v = g / f d(eta)/dx
    [0.0, 0.951, 0.0, 0.0]
    """
    zero = torch.zeros_like(lat_deg)
    out = {}
    for i, term in enumerate(_TERMS):
        basis = {t: (torch.ones_like(lat_deg) if t == term else zero) for t in _TERMS}
        for name, value in derived_fields(quantity, basis, lat_deg, rossby_radius_km).items():
            out.setdefault(name, [None] * len(_TERMS))[i] = torch.broadcast_to(value, lat_deg.shape)
    return out


def _quiet_jvp_import() -> None:
    """torch imports its forward-mode decompositions at the first ``jvp``, scripting them with the deprecated
    ``torch.jit.script``: 18 DeprecationWarnings pointing into torch at a user's first ``derive(return_std=True)``.
    Imported here first, quietly, once a process (``catch_warnings`` changes the process's filters: another
    thread's warnings were lost while a ``derive`` ran, a review)."""
    if "torch._decomp.decompositions_for_jvp" in sys.modules:
        return
    with _JVP_IMPORT, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import torch._decomp.decompositions_for_jvp  # noqa: F401
        except ImportError:  # another torch's layout: its warnings, if any, are torch's
            pass


def column_derivatives(fn, raw: torch.Tensor, laplacian: bool) -> Derivatives:
    """Every column of ``fn(raw)`` (n, F) differentiated in SI units (:class:`Derivatives`, each (n, F)),
    by nested forward mode: one pass per direction, the second derivatives in the same passes."""
    from torch.func import jvp

    _quiet_jvp_import()

    directions = []
    for c in (0, 1):
        e = torch.zeros_like(raw)
        e[:, c] = 1.0
        directions.append(e)

    def along(e):
        return lambda r: jvp(fn, (r,), (e,))[1]

    with _FORWARD_MODE, torch.no_grad():
        if laplacian:
            value = fn(raw)
            f_lon, f_lonlon = jvp(along(directions[0]), (raw,), (directions[0],))
            f_lat, f_latlat = jvp(along(directions[1]), (raw,), (directions[1],))
            return in_si_units(raw[:, 1], value, f_lon, f_lat, second=(f_lonlon, f_latlat))
        value, f_lon = jvp(fn, (raw,), (directions[0],))
        f_lat = jvp(fn, (raw,), (directions[1],))[1]
        return in_si_units(raw[:, 1], value, f_lon, f_lat)


def _network_columns(model, strategy, raw, j, laplacian) -> Derivatives:
    """The derivatives in SI units of every member's output ``j`` (standardized) or every last-layer feature at
    ``raw``, each (n, members|features) float32: one nested forward-mode pass (:func:`column_derivatives`)."""
    field = model.field_
    if strategy.name == "ensemble":
        def fn(r):  # (n, members): member j-th outputs, standardized
            return field(r)[:, :, j].transpose(0, 1).float()
    else:  # the Bayesian last layer's features
        def fn(r):
            return penultimate_features(field.network, field.encoding(r)).float()
    return column_derivatives(fn, raw, laplacian)


def mean_derivatives(model, d: Derivatives, j: int, scale: float, offset: float) -> Derivatives:
    r"""The height's map :math:`\eta` (metres) and its derivatives in SI units, each (n,) float32, from the
    derivatives ``d`` of the columns that :func:`column_derivatives` gave for the model's strategy.

    The map is linear in the columns, so its derivatives are theirs combined the same way: for an ensemble
    the members' plain mean (``EnsembleUncertainty.standardized``: ``field(x).mean(0)``), for the Bayesian
    last layer the posterior mean's weights ``blr.mean_w`` (the trained output layer, bias last, where the
    posterior was centred on it) applied to the features; the bias is a constant and enters the value only.
    ``scale`` (m per standardized unit) and ``offset`` (m) convert to metres, as ``derive`` does.

    Parameters
    ----------
    model : geoinr.INRModel
        Fitted with ``uncertainty="ensemble"`` or ``"bayes_last_layer"``.
    d : Derivatives
        ``f``, ``f_x`` (per m), ``f_y`` (per m)[, ``lap`` (per m^2)], each (n, members|features), standardized.
    j : int
        The fitted variable.
    scale, offset : float
        Metres per standardized unit, and the height's mean in metres.

    Returns
    -------
    Derivatives
        ``f`` (m), ``f_x``, ``f_y`` (1)[, ``lap`` (1/m)], each (n,) float32.

    Examples
    --------
    >>> import torch
    >>> model = type("Fitted", (), {"_strategy": lambda self: type("S", (), {"name": "ensemble"})()})()
    >>> d = Derivatives(f=torch.tensor([[1.0, 3.0]]), f_x=torch.tensor([[2e-6, 4e-6]]), f_y=torch.zeros(1, 2))
    >>> m = mean_derivatives(model, d, 0, 0.5, 0.1)  # 0.5 m per unit, 0.1 m mean
    >>> round(float(m["f"][0]), 6), round(float(m["f_x"][0]) * 1e6, 6)
    (1.1, 1.5)
    """
    if model._strategy().name == "ensemble":
        mean = {t: v.double().mean(dim=1) for t, v in d.items()}
    else:  # the output layer: phi @ w + b
        w = model.field_.blr.mean_w[j].double()
        mean = {t: v.double() @ w[:-1] for t, v in d.items()}
        mean["f"] = mean["f"] + w[-1]  # the bias: a constant, no derivatives
    out = Derivatives({t: (v * scale).float() for t, v in mean.items()})
    out["f"] = (mean["f"] * scale + offset).float()  # m
    return out


def _network_variance(model, strategy, d, j, coefficients, scale):
    """The network's variance (n,) of each output of the operator, in squared output units, uncalibrated, from the
    columns' derivatives ``d`` (:func:`_network_columns`)."""
    out = {}
    for name, coef in coefficients.items():
        cols = sum(c[:, None].to(d["f"].dtype) * d[t] for c, t in zip(coef, _TERMS) if t in d) * scale
        if strategy.name == "ensemble":
            out[name] = cols.double().var(dim=1, unbiased=False)
        else:  # the bias feature is the constant 1: the operator gives c_0 there
            design = torch.cat((cols.double(), (coef[0] * scale).double()[:, None]), dim=1)
            sigma = model.field_.blr.sigma[j].to(design.dtype)
            out[name] = torch.einsum("np,pq,nq->n", design, sigma, design).clamp_min(0.0)
    return out


def gap_variance(error, chunk: np.ndarray, j: int, coefficients: dict, scale: float):
    r"""The variance (n,) of each output of the operator applied to the calibrated gap error field of variable ``j``
    (``error``: a :class:`~geoinr.uncertainty.calibrated.CalibratedError`) at raw points ``chunk``, in squared output
    units, or None where the calibration has no gap term or floor.

    The error is :math:`e = s(x)\,g(x)`: ``s`` the calibrated standard deviation, which grows with the distance
    to the data, and ``g`` a unit Gaussian-correlated field. So
    :math:`Le = A g + B_x g_x + B_y g_y + C\nabla^2 g` with :math:`A = Ls`,
    :math:`B = c_{x,y} s + 2 c_\Delta \nabla s`, :math:`C = c_\Delta s`, and its variance is
    :math:`A^2 + (B_x^2 + B_y^2)/\lambda^2 + 8C^2/\lambda^4 - 4AC/\lambda^2`; the derivatives of ``s`` by
    centred differences of :data:`GAP_STEP` of the shorter of the error's and the gap's lengths.

    The distance to the nearest site, and so ``s``, rises and falls from one site to the next: between a grid's
    cells ``s`` peaks mid-cell and its slope a quarter cell from the sites, while the map's error is as large at
    one place within a cell as at another. The variance is therefore the mean over a lattice of :data:`GAP_PHASES`
    points each way, spread evenly across the data's spacing east-west and north-south
    (:meth:`~geoinr.uncertainty.DataDistance.spacing_km`) around each target: taken at the target alone it rose and
    fell from point to point (a checkerboard on a grid finer than the data).

    It never exceeds the operator's variance on the field itself (:func:`prior_variance`: the sill
    the gap term grows to, over the field's correlation length, the gap length where the variogram
    gave it): far from the data the error of a derived field is at most the derived field's own
    variability, as optimal interpolation's formal error is at most its prior. Without that bound an
    error length fitted short on a few held-out passes (residuals with small-scale signal along the
    track) makes the derivatives' error grow as :math:`1/\lambda` and :math:`1/\lambda^2` without
    limit. The draws of :meth:`~geoinr.INRModel.sample` keep the fitted error length: derivatives
    taken of them are not bounded so.
    """
    chunk = np.asarray(chunk, dtype=np.float64)
    length = float(error.error_lengths()[j])  # km
    step_km = GAP_STEP * min(length, float(error.cal["gap_length_km"][j]))
    spacing_km = error.data_distance[j].spacing_km()
    cos_lat = np.maximum(np.cos(np.radians(chunk[:, 1])), 1e-3)
    lam2 = (length * 1e3) ** 2  # m^2
    sill = (float(np.asarray(error.cal["gap_variance"])[j]) + float(error.floor()[j])) * scale**2  # m^2
    field_km = error.field_lengths()[j]  # None: no correlation length of the field, no bound
    coefficients = {name: tuple(c.double().cpu() for c in coef) for name, coef in coefficients.items()}
    out = {}
    phases = np.arange(GAP_PHASES) / GAP_PHASES - 0.5 * (GAP_PHASES - 1) / GAP_PHASES  # one spacing, evenly
    for px, py in ((px, py) for px in phases for py in phases):  # a lattice across one spacing each way
        shifted = chunk.copy()
        shifted[:, 1] = np.clip(chunk[:, 1] + py * spacing_km[1] / KM_PER_DEGREE, -POLE_LATITUDE, POLE_LATITUDE)
        shifted[:, 0] = chunk[:, 0] + px * spacing_km[0] / KM_PER_DEGREE / cos_lat
        d = _envelope_derivatives(error, shifted, j, step_km, scale)
        if d is None:
            return None
        for name, (c0, cx, cy, clap) in coefficients.items():
            a = c0 * d["f"] + cx * d["f_x"] + cy * d["f_y"] + clap * d["lap"]
            bx, by, c = cx * d["f"] + 2 * clap * d["f_x"], cy * d["f"] + 2 * clap * d["f_y"], clap * d["f"]
            out[name] = out.get(name, 0.0) + _gaussian_variance(a, bx, by, c, lam2) / GAP_PHASES**2
    for name, coef in coefficients.items():
        bound = None if field_km is None else prior_variance(coef, sill, field_km * 1e3)
        out[name] = out[name] if bound is None else torch.minimum(out[name], bound)
    return out


def _envelope_derivatives(error, chunk: np.ndarray, j: int, step_km: float, scale: float):
    """The gap error's standard deviation ``s`` of variable ``j`` (times ``scale``) at raw points ``chunk`` and its
    first and second derivatives in SI units (:func:`~geoinr.physics.operators.in_si_units`), by centred differences
    of ``step_km``; None without a gap term or floor."""
    dlat = step_km / KM_PER_DEGREE
    chunk = chunk.copy()  # the stencil kept off the pole (it stepped across it: a std of 5e4 s-1 there, a review)
    chunk[:, 1] = np.clip(chunk[:, 1], -(POLE_LATITUDE - 2 * dlat), POLE_LATITUDE - 2 * dlat)
    dlon = dlat / np.maximum(np.cos(np.radians(chunk[:, 1])), 1e-3)
    stencil = np.repeat(chunk[None], 5, axis=0)  # centre, east, west, north, south
    stencil[1, :, 0] += dlon
    stencil[2, :, 0] -= dlon
    stencil[3, :, 1] += dlat
    stencil[4, :, 1] -= dlat
    gap = error.gap_variance(space_time_km(stencil.reshape(-1, chunk.shape[1]), error.cal["speed_km_per_day"]))
    if gap is None:
        return None
    sd = torch.from_numpy(np.sqrt(gap[:, j]).reshape(5, -1) * scale)
    hx, hy = torch.from_numpy(dlon), dlat
    return in_si_units(torch.from_numpy(chunk[:, 1]), sd[0], (sd[1] - sd[2]) / (2 * hx), (sd[3] - sd[4]) / (2 * hy),
                       second=((sd[1] - 2 * sd[0] + sd[2]) / hx**2, (sd[3] - 2 * sd[0] + sd[4]) / hy**2))


def _gaussian_variance(a, bx, by, c, l2: float):
    r"""Variance of :math:`a g + b_x g_x + b_y g_y + c\nabla^2 g` for a unit field ``g`` of Gaussian correlation
    (length squared ``l2``): :math:`E[g_x^2] = 1/\ell^2`, :math:`E[(\nabla^2 g)^2] = 8/\ell^4`,
    :math:`E[g\nabla^2 g] = -2/\ell^2`."""
    return (a**2 + (bx**2 + by**2) / l2 + 8.0 * c**2 / l2**2 - 4.0 * a * c / l2).clamp_min(0.0)


def prior_variance(coefficients, variance: float, length_m: float) -> torch.Tensor:
    r"""Variance of the operator :math:`c_0 e + c_x e_x + c_y e_y + c_\Delta\nabla^2 e` applied to a field ``e`` of
    uniform ``variance`` and Gaussian correlation of length ``length_m`` (metres):
    :math:`\sigma^2 (c_0^2 + (c_x^2 + c_y^2)/\ell^2 + 8c_\Delta^2/\ell^4 - 4c_0c_\Delta/\ell^2)`.

    Examples
    --------
    >>> import torch
    >>> one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    >>> float(prior_variance((zero, one, zero, zero), 4.0, 2.0)[0])  # a slope's variance: sigma^2 / l^2
    1.0
    """
    return float(variance) * _gaussian_variance(*coefficients, float(length_m) ** 2)


def derived_std(model, quantity: str, raw: torch.Tensor, j: int, scale: float, rossby_radius_km=None) -> dict:
    """The calibrated standard deviation of each output of ``quantity`` at ``raw`` points (n, 2|3), as float64
    tensors (n,) in the outputs' units; ``scale`` converts the network's standardized output of variable ``j``
    to metres."""
    d = _network_columns(model, model._strategy(), raw, j, quantity in ("relative_vorticity", "pv"))
    return _calibrated_std(model, quantity, raw, j, float(scale), rossby_radius_km, d, raw.detach().cpu().numpy())


def derived_with_std(model, quantity: str, raw: torch.Tensor, j: int, scale: float, offset: float,
                     rossby_radius_km=None, points: np.ndarray | None = None) -> dict:
    """The outputs of ``quantity`` at ``raw`` points and their calibrated standard deviations, from one nested
    forward-mode pass over the members or features.

    The map's derivatives are the columns' own combined as the map combines them
    (:func:`mean_derivatives`), so the reverse-mode pass of ``derive`` without ``return_std``
    is not needed: the outputs equal its to float32 rounding.

    Parameters
    ----------
    model : geoinr.INRModel
        Fitted with ``uncertainty="ensemble"`` or ``"bayes_last_layer"``.
    quantity : str
        One of :data:`geoinr.physics.derived.DERIVED_QUANTITIES`.
    raw : torch.Tensor
        (n, 2|3) longitude (deg), latitude (deg)[, time (days)].
    j : int
        The fitted height variable.
    scale, offset : float
        Metres per standardized unit of variable ``j``, and its mean in metres.
    rossby_radius_km : float, optional
        :math:`L_d` for ``"pv"`` (as :func:`~geoinr.physics.derived.derived_fields`).
    points : numpy.ndarray, optional
        (n, 2|3) where the error between observations is taken: the targets themselves where ``raw`` holds them
        at the fitted region's nearest point (``derive``), so that it keeps growing away from the data; default
        ``raw``.

    Returns
    -------
    dict of torch.Tensor
        Each output (n,) float32 in its units, named as in
        :data:`~geoinr.physics.derived.DERIVED_OUTPUTS`, and ``<name>_std`` (n,) float64.

    Examples
    --------
    >>> import geoinr, torch
    >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    >>> e = tracks.inr.fit("sla", uncertainty="ensemble", n_members=2, width=8, depth=1, epochs=1, max_time=None, progress=False)
    >>> out = derived_with_std(e, "geostrophic_velocity", torch.tensor([[5.0, 35.0, 1.0]]), 0, 0.1, 0.0)
    >>> sorted(out), out["ugos"].shape
    (['ugos', 'ugos_std', 'vgos', 'vgos_std'], torch.Size([1]))
    """
    d = _network_columns(model, model._strategy(), raw, j, quantity in ("relative_vorticity", "pv"))
    out = derived_fields(quantity, mean_derivatives(model, d, j, float(scale), float(offset)), raw[:, 1],
                         rossby_radius_km)
    points = raw.detach().cpu().numpy() if points is None else points
    std = _calibrated_std(model, quantity, raw, j, float(scale), rossby_radius_km, d, points)
    out.update({f"{k}_std": v for k, v in std.items()})
    return out


def _calibrated_std(model, quantity, raw, j, scale, rossby_radius_km, d, points) -> dict:
    """:func:`derived_std` from the columns' derivatives ``d`` (:func:`_network_columns`), the gap term at
    ``points``."""
    coefficients = operator_coefficients(quantity, raw[:, 1], rossby_radius_km)
    net = _network_variance(model, model._strategy(), d, j, coefficients, scale)
    c = float(np.asarray(model.calibration_["variance_scale"])[j])
    gap = gap_variance(model._calibrated_error(), points, j, coefficients, scale)
    out = {}
    for name, v in net.items():
        total = c * v.cpu()
        if gap is not None:
            total = total + gap[name]
        out[name] = total.sqrt().to(raw.device)
    return out


def std_attrs(attrs: dict, uncertainty: str, error, j: int) -> dict:
    """CF attributes of a derived output's standard deviation, from the output's own ``attrs``."""
    out = {k: v for k, v in attrs.items() if k in ("units", "long_name", "standard_name")}
    if "standard_name" in out:
        out["standard_name"] = f"{out['standard_name']} standard_error"
    out["long_name"] = f"standard deviation of {out.get('long_name', 'the derived field')}"
    c = float(np.asarray(error.cal["variance_scale"])[j])
    gap = bool(error.has_gap()[j])
    out["comment"] = (
        f"{uncertainty} estimate of the error of the derived field (not of a new observation): the height's "
        f"calibrated error carried through the derivatives, {c:.3g} x the variance of the network's derived field"
        + (f" + the derivatives of the error between tracks (its calibrated std times a smooth field of Gaussian "
           f"correlation, {float(error.error_lengths()[j]):.0f} km"
           + ("" if error.field_lengths()[j] is None else
              f"; at most the derived field's own variability over the field's correlation length, "
              f"{error.field_lengths()[j]:.0f} km") + ")" if gap else "")
    )
    return out
