r"""Fields derived from a sea-surface height by automatic differentiation (torch only, no xarray).

:func:`derived_fields` turns the derivatives of :math:`\eta` (metres, w.r.t.
metres and seconds, :func:`geoinr.physics.derivatives`) into geostrophic
currents, relative vorticity or 1.5-layer QG potential vorticity; the tables
here give each output's name and CF attributes.
"""
from __future__ import annotations

import torch

from .constants import EARTH_RADIUS_M, GRAVITY
from .kinematics import KINEMATIC_ATTRS, KINEMATIC_QUANTITIES
from .operators import beta, coriolis
from .rossby import inverse_square_radius

__all__ = ["DERIVED_QUANTITIES", "DERIVED_OUTPUTS", "ANY_VARIABLE_QUANTITIES", "DERIVED_ATTRS", "PAIR_QUANTITIES", "derived_attrs",
           "derived_fields"]

DERIVED_QUANTITIES = ("gradient", "geostrophic_velocity", "relative_vorticity", "pv", "divergence", "strain_rate",
                      "okubo_weiss", "tendency")
DERIVED_OUTPUTS = {
    "gradient": ("deta_dx", "deta_dy"),
    "geostrophic_velocity": ("ugos", "vgos"),
    "relative_vorticity": ("zeta",),
    "pv": ("q",),
    "divergence": ("div",),  # of the geostrophic velocity (a height) or of a fitted pair (geoinr.physics.kinematics)
    "strain_rate": ("strain",),
    "okubo_weiss": ("ow",),
    "tendency": ("deta_dt",),  # of any fitted variable with time, in its own units per second
}
# the quantities of any fitted variable (the others need a height or a velocity pair)
ANY_VARIABLE_QUANTITIES = ("gradient", "tendency")
# the quantities a fitted velocity pair gives (the others need a height)
PAIR_QUANTITIES = KINEMATIC_QUANTITIES
DERIVED_ATTRS = {
    "deta_dx": {"units": "1", "long_name": "eastward gradient of {long}"},
    "deta_dy": {"units": "1", "long_name": "northward gradient of {long}"},
    "deta_dt": {"units": "m s-1", "long_name": "rate of change in time of {long}"},
    "ugos": {
        "units": "m s-1",
        "standard_name": "surface_geostrophic_eastward_sea_water_velocity",
        "long_name": "eastward geostrophic velocity from {long}",
    },
    "vgos": {
        "units": "m s-1",
        "standard_name": "surface_geostrophic_northward_sea_water_velocity",
        "long_name": "northward geostrophic velocity from {long}",
    },
    "zeta": {"units": "s-1", "long_name": "geostrophic relative vorticity from {long}"},
    "q": {"units": "s-1", "long_name": "1.5-layer quasi-geostrophic potential vorticity anomaly from {long}",
          "comment": "q = lap(psi) - psi / Ld^2 with psi = g (eta - mean) / f: the relative vorticity and stretching "
                     "of the height's departure from its fitted mean (a constant level is no flow); planetary "
                     "vorticity (f, beta y) not included"},
    **{k: {**a, "long_name": a["long_name"].format(flow="the geostrophic velocity from {long}")}
       for k, a in KINEMATIC_ATTRS.items() if k != "zeta"},
}


# CF standard names of the currents, by the standard name of the height they come from: an absolute dynamic
# topography gives absolute currents; a sea level anomaly gives the anomaly about the mean's currents
_VELOCITY_NAMES = {
    "sea_surface_height_above_geoid": "surface_geostrophic_{dir}_sea_water_velocity",
    "sea_surface_height_above_sea_level": "surface_geostrophic_{dir}_sea_water_velocity_assuming_mean_sea_level_for_geoid",
    # (CF's current name of the same height, whose alias is the one above: its currents had no name, a review)
    "sea_surface_height_above_mean_sea_level": "surface_geostrophic_{dir}_sea_water_velocity_assuming_mean_sea_level_for_geoid",
}


def _mid_sentence(text: str) -> str:
    """A long_name as it reads inside another: its capital first letter lowered, unless it begins an acronym.

    Examples
    --------
    >>> _mid_sentence("Sea level anomaly"), _mid_sentence("SLA (DUACS)"), _mid_sentence("x")
    ('sea level anomaly', 'SLA (DUACS)', 'x')
    """
    text = str(text)
    return text[0].lower() + text[1:] if len(text) > 1 and text[0].isupper() and text[1].islower() else text


def derived_attrs(name: str, long_name: str, height_standard_name=None) -> dict:
    """CF attributes of the derived output ``name`` of a height called ``long_name``.

    The currents' ``standard_name`` follows the height's: absolute currents from
    ``sea_surface_height_above_geoid`` (ADT), anomaly currents from
    ``sea_surface_height_above_sea_level`` (SLA), none from any other height (a
    standard name that may be wrong is worse than none).

    Examples
    --------
    >>> derived_attrs("ugos", "sla", "sea_surface_height_above_sea_level")["standard_name"]
    'surface_geostrophic_eastward_sea_water_velocity_assuming_mean_sea_level_for_geoid'
    >>> "standard_name" in derived_attrs("vgos", "ssh")
    False
    """
    attrs = dict(DERIVED_ATTRS[name])
    attrs["long_name"] = attrs["long_name"].format(long=_mid_sentence(long_name))
    attrs.pop("standard_name", None)
    pattern = _VELOCITY_NAMES.get(str(height_standard_name or "").strip())
    if name in ("ugos", "vgos") and pattern is not None:
        attrs["standard_name"] = pattern.format(dir="eastward" if name == "ugos" else "northward")
    return attrs


def laplacian_of_f(lat_deg: torch.Tensor) -> torch.Tensor:
    """Spherical Laplacian of f = 2 Omega sin(lat): -2 f / R^2 (f is a degree-1 spherical harmonic), 1/(m^2 s)."""
    return -2.0 * coriolis(lat_deg) / EARTH_RADIUS_M**2


def derived_fields(quantity: str, d: dict, lat_deg: torch.Tensor, rossby_radius_km: float | None = None) -> dict:
    r"""Outputs of ``quantity`` from the derivatives ``d`` of :math:`\eta` (m) at latitudes ``lat_deg``.

    Parameters
    ----------
    quantity : {"gradient", "tendency", "geostrophic_velocity", "relative_vorticity", "pv"}
    d : dict
        ``f`` (m), ``f_x``, ``f_y`` (1), for the tendency ``f_t`` (m/s) and, for vorticity and PV, ``lap`` (1/m).
    lat_deg : torch.Tensor
    rossby_radius_km : float, optional
        :math:`L_d` for ``"pv"``; default the first baroclinic radius at each latitude,
        :func:`geoinr.physics.rossby.rossby_radius_km` (as the QG residual).

    Returns
    -------
    dict of torch.Tensor, named as in :data:`DERIVED_OUTPUTS`.

    Examples
    --------
    >>> lat = torch.tensor([45.0])
    >>> d = {"f": torch.zeros(1), "f_x": torch.tensor([1e-6]), "f_y": torch.zeros(1)}
    >>> round(float(derived_fields("geostrophic_velocity", d, lat)["vgos"][0]), 4)  # g / f * 1e-6
    0.0951
    """
    if quantity == "gradient":
        return {"deta_dx": d["f_x"], "deta_dy": d["f_y"]}
    if quantity == "tendency":
        if d.get("f_t") is None:
            raise ValueError("derived_fields('tendency', ...) needs the time derivative f_t: differentiate a field "
                             "of (lon, lat, time).")
        return {"deta_dt": d["f_t"]}
    f = coriolis(lat_deg)
    if quantity == "geostrophic_velocity":
        return {"ugos": -GRAVITY / f * d["f_y"], "vgos": GRAVITY / f * d["f_x"]}
    if quantity == "relative_vorticity":
        return {"zeta": GRAVITY / f * d["lap"] - GRAVITY * beta(lat_deg) / f**2 * d["f_y"]}
    if quantity != "pv":  # (a velocity's kinematics are geoinr.physics.kinematics')
        raise ValueError(f"derived_fields takes 'gradient', 'tendency', 'geostrophic_velocity', 'relative_vorticity' or 'pv', "
                         f"got {quantity!r}.")
    inv_ld2 = (rossby_radius_km * 1e3) ** -2 if rossby_radius_km else inverse_square_radius(lat_deg)  # 1/m^2
    # lap(g eta / f) with f = f(y): product rule on the sphere
    b = beta(lat_deg)
    lap_psi = GRAVITY * (
        d["lap"] / f - 2.0 * b * d["f_y"] / f**2 + d["f"] * (2.0 * b**2 / f**3 - laplacian_of_f(lat_deg) / f**2)
    )
    return {"q": lap_psi - GRAVITY * d["f"] / f * inv_ld2}
