"""Altimeter orbits: the missions table and the sub-satellite ground track of a circular orbit.

Numpy only. The satellites fly circular repeat orbits with real missions'
inclinations, nodal periods and repeat cycles (:data:`MISSIONS`, sources in the
comment above it); their positions depend on absolute time only, so a given
date always gives the same tracks, repeated every cycle.

The spherical trigonometry (where the satellite is, given the argument of
latitude and the longitude of the ascending node) is written once, in
:func:`subsatellite_point`; :func:`ground_track` feeds it the orbit of a
:class:`Mission`, and ``geoinr.datasets.synthetic_tracks`` its simplified orbits.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..geometry import OMEGA, SECONDS_PER_DAY

__all__ = [
    "Mission",
    "MISSIONS",
    "ALIASES",
    "REFERENCE_EPOCH",
    "EARTH_ROTATION",
    "mission",
    "ground_track",
    "subsatellite_point",
    "j2_precession",
    "j2_nodal_period",
]

EARTH_ROTATION = OMEGA  # rad/s, sidereal rotation rate of the Earth (geoinr.geometry.OMEGA, as physics uses)
EARTH_MU = 3.986004418e14  # m^3/s^2, geocentric gravitational constant (consistency checks)
# The reference radius of the J2 term: the WGS84 equatorial radius, a geodetic constant of the
# geopotential, not the mean Earth radius that every distance uses (geoinr.geometry.EARTH_RADIUS_M).
WGS84_SEMI_MAJOR_AXIS_M = 6378137.0  # m
EARTH_J2 = 1.08263e-3  # dimensionless, second zonal harmonic of the geopotential
REFERENCE_EPOCH = np.datetime64("2000-01-01T00:00:00", "ns")  # orbits are phased from this instant


@dataclasses.dataclass(frozen=True)
class Mission:
    """A circular repeat orbit.

    Attributes
    ----------
    name : str
    inclination : float
        Degrees; above 90 for retrograde (sun-synchronous) orbits.
    altitude_km : float
        Mean altitude, used only to check the table against Kepler + J2.
    repeat_days : float
        Exact repeat period (mean solar days).
    revolutions : int
        Revolutions per repeat cycle (half as many ascending as passes).
    nodal_days : int or None
        Nodal days per repeat cycle; it fixes the node precession so the track
        repeats exactly. None: precession from J2 (the track drifts; CryoSat-2).
    node_deg : float
        Longitude (deg east) of the ascending node at :data:`REFERENCE_EPOCH`.
    phase_deg : float
        Argument of latitude (deg from the ascending node) at :data:`REFERENCE_EPOCH`.

    Examples
    --------
    >>> m = Mission("demo", inclination=66.04, altitude_km=1336.0, repeat_days=9.9156, revolutions=127, nodal_days=10)
    >>> round(m.period, 1), m.max_latitude
    (6745.7, 66.04)
    """

    name: str
    inclination: float
    altitude_km: float
    repeat_days: float
    revolutions: int
    nodal_days: int | None
    node_deg: float = 0.0
    phase_deg: float = 0.0

    @property
    def period(self) -> float:
        """Nodal period (s): one ascending node to the next."""
        return self.repeat_days * SECONDS_PER_DAY / self.revolutions

    @property
    def precession(self) -> float:
        """Rate of the ascending node in inertial space (rad/s), exact-repeat value when possible."""
        if self.nodal_days is not None:
            return EARTH_ROTATION - 2 * math.pi * self.nodal_days / (self.repeat_days * SECONDS_PER_DAY)
        return j2_precession(self.altitude_km, self.inclination)

    @property
    def max_latitude(self) -> float:
        """Highest latitude reached (deg): the inclination, or 180 - inclination if retrograde."""
        return self.inclination if self.inclination <= 90 else 180.0 - self.inclination


def j2_precession(altitude_km: float, inclination: float) -> float:
    """Nodal precession (rad/s) of a circular orbit from the J2 term of the geopotential.

    Parameters
    ----------
    altitude_km : float
        Mean altitude above the equatorial radius (km).
    inclination : float
        Degrees.

    Returns
    -------
    float
        Rate of the ascending node in inertial space (rad/s); negative (westward) for a prograde orbit.

    Examples
    --------
    >>> round(math.degrees(j2_precession(1336.0, 66.04)) * 86400, 2)  # Jason: -2.08 deg/day
    -2.08
    """
    a = WGS84_SEMI_MAJOR_AXIS_M + altitude_km * 1e3
    n = math.sqrt(EARTH_MU / a**3)
    return -1.5 * n * EARTH_J2 * (WGS84_SEMI_MAJOR_AXIS_M / a) ** 2 * math.cos(math.radians(inclination))


def j2_nodal_period(altitude_km: float, inclination: float) -> float:
    """Nodal period (s) of a circular orbit at ``altitude_km``, Kepler + first-order J2.

    Parameters
    ----------
    altitude_km : float
        Mean altitude above the equatorial radius (km).
    inclination : float
        Degrees.

    Returns
    -------
    float
        Seconds from one ascending node to the next.

    Examples
    --------
    >>> round(j2_nodal_period(1336.0, 66.04))  # Jason: 9.9156 days / 127 revolutions = 6745.7 s
    6745
    """
    a = WGS84_SEMI_MAJOR_AXIS_M + altitude_km * 1e3
    n = math.sqrt(EARTH_MU / a**3)
    ci2 = math.cos(math.radians(inclination)) ** 2
    return 2 * math.pi / (n * (1 + 1.5 * EARTH_J2 * (WGS84_SEMI_MAJOR_AXIS_M / a) ** 2 * (4 * ci2 - 1)))


# Orbit parameters. Sources: CNES/EUMETSAT/NOAA/NASA "Jason-3 Products Handbook" and
# "OSTM/Jason-2 Products Handbook" (reference orbit: 66.04 deg, 1336 km, 9.9156 days,
# 127 revolutions = 254 passes, interleaved orbit shifted by half the 315 km equatorial track
# spacing); ESA "Envisat RA-2/MWR Product Handbook" and CNES/ISRO "SARAL/AltiKa Products
# Handbook" (35-day sun-synchronous orbit, 98.55 deg, ~790 km, 501 revolutions); ESA
# "Sentinel-3 User Handbook" (98.65 deg, 814.5 km, 27 days, 385 revolutions; Sentinel-3B
# in the same orbit 140 deg out of phase); NOAA/US Navy "GFO" documentation (108 deg, ~800 km,
# Geosat Exact Repeat Mission 17.05 days, 244 revolutions); ESA "CryoSat-2 Product Handbook"
# (92 deg, 717 km, 369-day repeat with 30-day sub-cycle, 5344 revolutions: here the node
# precesses at its J2 rate, so the track is not an exact repeat); NSOAS "HY-2B" (99.34 deg,
# 971 km, 14-day sun-synchronous repeat, 193 revolutions); CNES/JPL "SWOT Products
# Handbook" (science orbit 77.6 deg, 890.5 km, 20.86 days, 292 revolutions).
# The nodal period is repeat_days / revolutions; every entry agrees with Kepler + J2 at the
# given altitude to better than 0.4 % (tests/test_osse.py checks it). The absolute
# phases (node_deg, phase_deg) are arbitrary but fixed: the real reference ground tracks are
# not reproduced, the relative phases of missions sharing an orbit are.
_JASON = dict(inclination=66.04, altitude_km=1336.0, repeat_days=9.9156, revolutions=127, nodal_days=10)
_JASON_SHIFT = 180.0 / 127  # deg: half the spacing of ascending nodes, the interleaved orbit
_ENVISAT = dict(inclination=98.55, altitude_km=790.0, repeat_days=35.0, revolutions=501, nodal_days=35)
_S3 = dict(inclination=98.65, altitude_km=814.5, repeat_days=27.0, revolutions=385, nodal_days=27)

#: The missions, by name: see :class:`Mission`.
MISSIONS: dict[str, Mission] = {
    m.name: m
    for m in [
        Mission("topex", **_JASON, node_deg=-30.0, phase_deg=10.0),
        Mission("jason1", **_JASON, node_deg=-30.0, phase_deg=10.0),
        Mission("jason2", **_JASON, node_deg=-30.0, phase_deg=10.0),
        Mission("jason3", **_JASON, node_deg=-30.0, phase_deg=10.0),
        Mission("sentinel6a", **_JASON, node_deg=-30.0, phase_deg=10.0),
        Mission("topex_interleaved", **_JASON, node_deg=-30.0 + _JASON_SHIFT, phase_deg=10.0),
        Mission("jason1_interleaved", **_JASON, node_deg=-30.0 + _JASON_SHIFT, phase_deg=10.0),
        Mission("jason2_interleaved", **_JASON, node_deg=-30.0 + _JASON_SHIFT, phase_deg=10.0),
        Mission("ers2", **_ENVISAT, node_deg=75.0, phase_deg=200.0),
        Mission("envisat", **_ENVISAT, node_deg=75.0, phase_deg=200.0),
        Mission("saral", **_ENVISAT, node_deg=75.0, phase_deg=200.0),
        Mission("sentinel3a", **_S3, node_deg=140.0, phase_deg=60.0),
        Mission("sentinel3b", **_S3, node_deg=140.0, phase_deg=60.0 + 140.0),
        Mission("gfo", 108.0, 800.0, 17.0505, 244, 17, node_deg=-120.0, phase_deg=300.0),
        Mission("cryosat2", 92.0, 717.0, 369.0, 5344, None, node_deg=20.0, phase_deg=120.0),
        Mission("hy2b", 99.34, 971.0, 14.0, 193, 14, node_deg=-75.0, phase_deg=250.0),
        Mission("swot", 77.6, 890.5, 20.86, 292, 21, node_deg=165.0, phase_deg=30.0),
    ]
}

#: Other names accepted for the missions (CMEMS product codes, data-challenge file names).
ALIASES = {
    "tp": "topex", "topex-poseidon": "topex", "tpn": "topex_interleaved",
    "topex-poseidon_interleaved": "topex_interleaved", "j1": "jason1", "j1n": "jason1_interleaved",
    "j2": "jason2", "j2n": "jason2_interleaved", "j3": "jason3", "s6a": "sentinel6a", "e2": "ers2",
    "en": "envisat", "al": "saral", "altika": "saral", "s3a": "sentinel3a", "s3b": "sentinel3b",
    "g2": "gfo", "geosat2": "gfo", "c2": "cryosat2", "h2b": "hy2b", "swon": "swot",
}


def mission(name: str) -> Mission:
    """The :class:`Mission` called ``name`` (case-insensitive; aliases such as ``'j3'`` work).

    Parameters
    ----------
    name : str
        A key of :data:`MISSIONS` or :data:`ALIASES`.

    Returns
    -------
    Mission

    Raises
    ------
    ValueError
        For an unknown name, listing the known names and aliases.

    Examples
    --------
    >>> mission("J3").name, round(mission("s3a").period, 1)
    ('jason3', 6059.2)
    """
    key = str(name).lower().replace("-", "_") if str(name).lower() not in ALIASES else str(name).lower()
    key = ALIASES.get(key, key)
    if key not in MISSIONS:
        raise ValueError(f"Unknown mission {name!r}. Known: {sorted(MISSIONS)}; aliases: {sorted(ALIASES)}.")
    return MISSIONS[key]


def subsatellite_point(inclination: float, u, node):
    """Longitude and latitude (deg) under a satellite on a circular orbit.

    Parameters
    ----------
    inclination : float
        Orbit inclination (deg).
    u : array-like
        Argument of latitude (rad): the angle travelled from the ascending node.
    node : array-like
        Earth-fixed longitude (rad) of the ascending node (broadcast with ``u``).

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees, longitude in [-180, 180).

    Examples
    --------
    >>> lon, lat = subsatellite_point(66.04, np.array([0.0, np.pi / 2]), 0.0)
    >>> lon.round(6).tolist(), lat.round(2).tolist()
    ([0.0, 90.0], [0.0, 66.04])
    """
    inc = math.radians(inclination)
    lat = np.degrees(np.arcsin(math.sin(inc) * np.sin(u)))
    lon = np.degrees(node + np.arctan2(math.cos(inc) * np.sin(u), np.cos(u)))
    return (lon + 180.0) % 360.0 - 180.0, lat


def ground_track(m: Mission, t_s):
    """Sub-satellite point of mission ``m`` at ``t_s`` seconds after :data:`REFERENCE_EPOCH`.

    Parameters
    ----------
    m : Mission
        The orbit (see :func:`mission`).
    t_s : array-like
        Seconds since :data:`REFERENCE_EPOCH` (2000-01-01T00:00).

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees, longitude in [-180, 180).
    u : numpy.ndarray
        Argument of latitude (rad, unwrapped): pass and cycle numbers come from it.

    Examples
    --------
    >>> lon, lat, u = ground_track(mission("jason3"), np.arange(0.0, 86400.0, 60.0))
    >>> bool(abs(np.abs(lat).max() - 66.04) < 0.01)
    True
    """
    t_s = np.asarray(t_s, float)
    u = math.radians(m.phase_deg) + 2 * math.pi * t_s / m.period
    node = math.radians(m.node_deg) + (m.precession - EARTH_ROTATION) * t_s
    lon, lat = subsatellite_point(m.inclination, u, node)
    return lon, lat, u
