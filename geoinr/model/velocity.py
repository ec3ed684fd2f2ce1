"""A fitted velocity pair's kinematics for ``derive``: which fitted variables are the eastward and northward
components, their units in m/s, and the vorticity, divergence, strain rate and Okubo-Weiss parameter of the pair
(or of a height's geostrophic velocity) by automatic differentiation (:mod:`geoinr.physics.kinematics`).

HF radar, drifter and model currents are fitted as two variables; before 2026-12-07 (eighth session) ``derive``
took a height alone, so a pair's vorticity (the reason to fit a smooth surrogate of currents) meant two gradients
combined by hand, in the components' units per metre (cm s-1 m-1: 100 times off in s-1) and without the sphere's
metric terms.
"""
from __future__ import annotations

import difflib
import warnings

import numpy as np
import torch

from ..frames import GeoinrWarning, user_stacklevel
from ..geometry import SPEED_UNITS, is_height, metres_per_length_unit, metres_per_second
from ..physics.constants import GRAVITY
from ..physics.derived import PAIR_QUANTITIES
from ..physics.kinematics import kinematics
from ..physics.operators import _grad, coriolis, in_si_units
from .fitting import _direction

__all__ = ["velocity_pair", "velocity_kinematics", "pair_long_name"]


def _is_height(attrs: dict) -> bool:
    units = str(attrs.get("units") or "").strip()
    return bool(units and metres_per_length_unit(units) is not None) or is_height(str(attrs.get("standard_name") or ""))


def _components(model) -> dict:
    """{"eastward": [names], "northward": [names]} of the fitted variables that say a direction and are no length."""
    ways = {}
    for v in model.variables_:
        attrs = model.variable_attrs_.get(v) or {}
        way = _direction(v, attrs)[0]
        if way is not None and not _is_height(attrs):
            ways.setdefault(way, []).append(v)
    return ways


def fitted_pair(model) -> tuple | None:
    """The fitted (eastward, northward) velocity components, where exactly one of each was fitted; else None."""
    ways = _components(model)
    if len(ways.get("eastward", ())) == 1 and len(ways.get("northward", ())) == 1:
        return ways["eastward"][0], ways["northward"][0]
    return None


def velocity_pair(model, quantity: str, variable, return_std: bool) -> tuple | None:
    """The pair (eastward, northward) whose kinematics ``derive(quantity)`` gives, or None to differentiate a height.

    ``variable``: a pair of names (given), one name (a height: None), or None: the fitted pair where no height
    was fitted and ``quantity`` is a velocity's. Refused: a pair for a height's quantity, a pair in the wrong order
    or not in a speed's units, ``return_std`` for a pair, one component for a pair's quantity.

    Parameters
    ----------
    model : INRModel
        The fitted model.
    quantity : str
        What ``derive`` was asked for.
    variable : str, sequence of two str, or None
        ``derive``'s ``variable``.
    return_std : bool
        ``derive``'s ``return_std`` (refused for a pair).

    Returns
    -------
    tuple of two str, or None

    Examples
    --------
    >>> import geoinr, numpy as np, xarray as xr, warnings
    >>> lon, lat = np.meshgrid(np.arange(0.0, 2.0, 0.1), np.arange(40.0, 42.0, 0.1))
    >>> ds = xr.Dataset({"u": (("lat", "lon"), 0.1 * lat, {"units": "m s-1"}),
    ...                  "v": (("lat", "lon"), 0.1 * lon, {"units": "m s-1"})},
    ...                 coords={"lat": lat[:, 0], "lon": lon[0]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = ds.inr.fit(["u", "v"], width=8, depth=1, epochs=1, max_time=None, progress=False)
    >>> velocity_pair(m, "relative_vorticity", None, False)
    ('u', 'v')
    """
    if not isinstance(variable, str | None) and np.ndim(variable) == 1:  # a list, tuple, array of names
        pair = tuple(str(v) for v in np.asarray(variable).ravel())
        if len(pair) != 2:
            raise ValueError(f"variable={variable!r}: give one fitted height, or a velocity pair (eastward, northward) "
                             f"for {PAIR_QUANTITIES}.")
        for v in pair:
            model._selection(v)  # a name not fitted: refused with the fitted ones
        if quantity in ("gradient", "tendency"):  # (any one variable's: "give a height" misled, a diff review)
            raise ValueError(f"derive({quantity!r}) takes one fitted variable: give one component, variable="
                             f"{pair[0]!r} or {pair[1]!r}, for its {quantity}.")
        if quantity not in PAIR_QUANTITIES:
            raise ValueError(f"derive({quantity!r}) differentiates a sea-surface height; a velocity pair {pair!r} "
                             f"gives {PAIR_QUANTITIES}. Give variable='<height>' for {quantity!r}.")
        _check_pair(model, pair)
    elif variable is not None or quantity not in PAIR_QUANTITIES or any(
            _is_height(model.variable_attrs_.get(v) or {}) for v in model.variables_):
        _refuse_one_component(model, quantity, variable)
        return None
    else:
        pair = fitted_pair(model)
        if pair is None:  # one component fitted alone, or two pairs: not a height either
            _refuse_lone_components(model, quantity)
            return None
        _check_pair(model, pair)  # (its units: a speed geoinr knows)
    _warn_grid_relative(model, pair)
    if return_std:
        raise ValueError(f"return_std=True is not available for a velocity pair's {quantity!r} (the error model "
                         f"carries a height's derivatives only): derive({quantity!r}, ...) without it.")
    return pair


def _warn_grid_relative(model, pair: tuple) -> None:
    """Warn where the pair's standard names say grid-relative components (CF ``sea_water_x_velocity``: a model's
    rotated or curvilinear grid), which ``derive`` differentiates as eastward and northward (a review)."""
    relative = [v for v in pair if any(w in str((model.variable_attrs_.get(v) or {}).get("standard_name") or "")
                                       for w in ("_x_velocity", "_y_velocity"))]
    if relative:
        warnings.warn(f"{relative} are grid-relative components (standard_name x/y velocity): derive takes the pair as "
                      f"eastward and northward, so on a rotated or curvilinear grid its kinematics are wrong. Rotate "
                      f"them to east and north first (with the grid's angle) and fit those.", GeoinrWarning,
                      stacklevel=user_stacklevel())


def _check_pair(model, pair: tuple) -> None:
    """Refuse a pair whose names, units or order would give the wrong kinematics."""
    if pair[0] == pair[1]:
        raise ValueError(f"variable={pair!r} names one variable twice: give the eastward and the northward "
                         f"components, e.g. variable=('u', 'v').")
    attrs = [model.variable_attrs_.get(v) or {} for v in pair]
    for v, a in zip(pair, attrs):
        if metres_per_second(a.get("units")) is None:
            what = "a length, not a velocity component" if _is_height(a) else "not a speed geoinr knows"
            raise ValueError(f"{v!r} has units {a.get('units')!r}, {what} ({sorted(SPEED_UNITS)}): give a velocity "
                             f"pair, in a speed's units (set ds[{v!r}].attrs['units'], e.g. 'm s-1', before fitting).")
    ways = [_direction(v, a) for v, a in zip(pair, attrs)]
    if ways[0][0] == "northward" and ways[1][0] == "eastward":
        raise ValueError(f"variable={pair!r} is read as (eastward, northward), but {ways[0][1]} and {ways[1][1]} "
                         f"say otherwise: give variable={pair[::-1]!r}.")
    if ways[0][0] == "northward" or ways[1][0] == "eastward":
        raise ValueError(f"variable={pair!r} is read as (eastward, northward), but {ways[0][1]} and {ways[1][1]}: "
                         f"give the eastward component first, then the northward one.")


def _refuse_lone_components(model, quantity: str) -> None:
    """Where no pair and no height were found, refuse a velocity's quantity of lone or several components (it went
    on as a height, with advice to label a velocity in metres: a review)."""
    ways = _components(model)
    found = [v for names in ways.values() for v in names]
    if not found:
        return
    if len(found) == 1:
        raise ValueError(f"derive({quantity!r}) of a velocity takes its two components; only {found[0]!r} was "
                         f"fitted: fit the eastward and the northward components together (fit(['u', 'v'])).")
    east, north = ways.get("eastward", []), ways.get("northward", [])
    pairs = [(e, max(north, key=lambda n: difflib.SequenceMatcher(None, e.lower(), n.lower()).ratio()))
             for e in east] if north else []
    give = " or ".join(f"variable={p!r}" for p in pairs) or "variable=('<eastward>', '<northward>')"
    raise ValueError(f"derive({quantity!r}): several velocity components were fitted ({found}); name the pair, "
                     f"{give}.")


def _refuse_one_component(model, quantity: str, variable) -> None:
    """A pair's quantity of one velocity component (its 'vorticity' as a height's) is refused with the pair."""
    if variable is None or quantity not in PAIR_QUANTITIES:
        return
    attrs = model.variable_attrs_.get(variable) or {}
    pair = fitted_pair(model)
    if _direction(variable, attrs)[0] is not None and metres_per_second(attrs.get("units")) is not None:
        give = f"variable={pair!r}" if pair is not None else "variable=(eastward, northward)"
        raise ValueError(f"{variable!r} is one component of a velocity: derive({quantity!r}) takes the pair, "
                         f"{give}.")


def pair_scales(model, pair: tuple) -> tuple:
    """(columns, scales, offsets): the pair's output columns and the factors from standardized values to m/s."""
    cols = tuple(model._selection(v)[0] for v in pair)
    to_ms = [metres_per_second((model.variable_attrs_.get(v) or {}).get("units")) for v in pair]
    return cols, tuple(model.std_[j] * c for j, c in zip(cols, to_ms)), tuple(model.mean_[j] * c for j, c in zip(cols, to_ms))


def pair_long_name(pair: tuple) -> str:
    """How the outputs' long names call the pair: "the velocity (u, v)"."""
    return f"the velocity ({pair[0]}, {pair[1]})"


def velocity_kinematics(model, quantity: str, raw: torch.Tensor, j, scale, offset) -> dict:
    """``quantity``'s outputs at ``raw`` (lon, lat[, time]) of the fitted pair (``j``, ``scale``, ``offset``:
    tuples) or of the geostrophic velocity of the height in column ``j`` (m: ``scale``, ``offset``).

    Parameters
    ----------
    model : INRModel
        The fitted model.
    quantity : str
        One of :data:`geoinr.physics.kinematics.KINEMATIC_QUANTITIES`.
    raw : torch.Tensor (n, 2|3)
        Longitude, latitude (degrees)[, time (days)].
    j, scale, offset : tuple or int, float, float
        The pair's output columns and their factors from standardized values to m/s (:func:`pair_scales`), or a
        height's column and its factors to metres.

    Returns
    -------
    dict of torch.Tensor
        The quantity's outputs (:data:`geoinr.physics.kinematics.KINEMATIC_OUTPUTS`), in s-1 (s-2).

    Examples
    --------
    The strain rate of a height's geostrophic velocity (a fitted pair's columns and factors: :func:`pair_scales`):

    >>> import geoinr, warnings, torch
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = geoinr.datasets.synthetic_tracks(days=3, seed=0).inr.fit("sla", width=8, depth=1, epochs=1,
    ...                                                                  max_time=None, progress=False)
    >>> raw = torch.tensor([[5.0, 35.0, 1.0]])
    >>> sorted(velocity_kinematics(m, "strain_rate", raw, 0, m.std_[0], m.mean_[0]))
    ['strain']
    """
    raw = raw.detach().clone().requires_grad_(True)
    mean = model._standardized(raw)[0]
    if isinstance(j, tuple):
        u, v = (mean[:, k] * s + o for k, s, o in zip(j, scale, offset))
    else:  # the geostrophic velocity, kept differentiable: its own derivatives hold beta's terms
        eta = mean[:, j] * scale + offset
        g = _grad(eta, raw, create_graph=True)
        d = in_si_units(raw[:, 1], eta, g[:, 0], g[:, 1])
        f = coriolis(raw[:, 1])
        u, v = -GRAVITY / f * d["f_y"], GRAVITY / f * d["f_x"]
    gu = torch.autograd.grad(u.sum(), raw, retain_graph=True)[0]
    gv = torch.autograd.grad(v.sum(), raw)[0]
    lat = raw[:, 1].detach()
    du = in_si_units(lat, u.detach(), gu[:, 0], gu[:, 1])
    dv = in_si_units(lat, v.detach(), gv[:, 0], gv[:, 1])
    return {k: t.detach() for k, t in kinematics(quantity, du, dv, lat).items()}
