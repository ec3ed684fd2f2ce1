"""Sample a gridded (time, lat, lon) field along simulated altimeter ground tracks.

    python data_recipes/along_track.py qg_ssh.nc tracks.nc --variable ssh \\
        --missions jason3 sentinel3a sentinel3b saral --white-noise 0.01

The satellites fly circular repeat orbits with real missions' inclinations,
nodal periods and repeat cycles (table ``MISSIONS`` below, with sources); their
positions depend on absolute time only, so a given date always gives the same
tracks, repeated every cycle. The field is interpolated linearly in time,
latitude and longitude; points over land / NaN or outside the grid are
dropped. Optional white and along-track-correlated (AR(1)) noise. With
``--swath`` a SWOT-like swath of pixels 10-60 km either side of nadir is added.

The output follows the CMEMS L3 along-track layout: one dimension ``time``,
coordinates ``latitude``/``longitude``, data variable ``sla`` (with noise) and
``sla_true`` (without), and ``mission``, ``cycle``, ``track`` identifiers.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from geoinr.geometry import EARTH_RADIUS_KM, haversine_km

__all__ = ["Mission", "MISSIONS", "ALIASES", "mission", "ground_track", "sample_along_track", "haversine_km"]

EARTH_ROTATION = 7.2921159e-5  # rad/s, sidereal rotation rate of the Earth
EARTH_MU = 3.986004418e14  # m^3/s^2, geocentric gravitational constant (consistency checks)
EARTH_EQUATORIAL_RADIUS = 6378137.0  # m, WGS84 semi-major axis (J2 precession)
EARTH_J2 = 1.08263e-3  # dimensionless, second zonal harmonic of the geopotential
TROPICAL_YEAR_DAYS = 365.2422  # days; a sun-synchronous node turns 360 deg per tropical year
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
        return self.repeat_days * 86400.0 / self.revolutions

    @property
    def precession(self) -> float:
        """Rate of the ascending node in inertial space (rad/s), exact-repeat value when possible."""
        if self.nodal_days is not None:
            return EARTH_ROTATION - 2 * math.pi * self.nodal_days / (self.repeat_days * 86400.0)
        return j2_precession(self.altitude_km, self.inclination)

    @property
    def max_latitude(self) -> float:
        """Highest latitude reached (deg): the inclination, or 180 - inclination if retrograde."""
        return self.inclination if self.inclination <= 90 else 180.0 - self.inclination


def j2_precession(altitude_km: float, inclination: float) -> float:
    """Nodal precession (rad/s) of a circular orbit from the J2 term of the geopotential.

    Examples
    --------
    >>> round(math.degrees(j2_precession(1336.0, 66.04)) * 86400, 2)  # Jason: -2.08 deg/day
    -2.08
    """
    a = EARTH_EQUATORIAL_RADIUS + altitude_km * 1e3
    n = math.sqrt(EARTH_MU / a**3)
    return -1.5 * n * EARTH_J2 * (EARTH_EQUATORIAL_RADIUS / a) ** 2 * math.cos(math.radians(inclination))


def j2_nodal_period(altitude_km: float, inclination: float) -> float:
    """Nodal period (s) of a circular orbit at ``altitude_km``, Kepler + first-order J2."""
    a = EARTH_EQUATORIAL_RADIUS + altitude_km * 1e3
    n = math.sqrt(EARTH_MU / a**3)
    ci2 = math.cos(math.radians(inclination)) ** 2
    return 2 * math.pi / (n * (1 + 1.5 * EARTH_J2 * (EARTH_EQUATORIAL_RADIUS / a) ** 2 * (4 * ci2 - 1)))


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
# given altitude to better than 0.4 % (tests/test_recipes.py checks it). The absolute
# phases (node_deg, phase_deg) are arbitrary but fixed: the real reference ground tracks are
# not reproduced, the relative phases of missions sharing an orbit are.
_JASON = dict(inclination=66.04, altitude_km=1336.0, repeat_days=9.9156, revolutions=127, nodal_days=10)
_JASON_SHIFT = 180.0 / 127  # deg: half the spacing of ascending nodes, the interleaved orbit
_ENVISAT = dict(inclination=98.55, altitude_km=790.0, repeat_days=35.0, revolutions=501, nodal_days=35)
_S3 = dict(inclination=98.65, altitude_km=814.5, repeat_days=27.0, revolutions=385, nodal_days=27)

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


def ground_track(m: Mission, t_s):
    """Sub-satellite point of mission ``m`` at ``t_s`` seconds after :data:`REFERENCE_EPOCH`.

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
    inc = math.radians(m.inclination)
    u = math.radians(m.phase_deg) + 2 * math.pi * t_s / m.period
    lat = np.degrees(np.arcsin(math.sin(inc) * np.sin(u)))
    node = math.radians(m.node_deg) + (m.precession - EARTH_ROTATION) * t_s
    lon = np.degrees(node + np.arctan2(math.cos(inc) * np.sin(u), np.cos(u)))
    return (lon + 180.0) % 360.0 - 180.0, lat, u


def _destination(lon, lat, bearing, dist_km):
    """Point ``dist_km`` away from (lon, lat) along ``bearing`` (rad, clockwise from north)."""
    phi, lam, d = np.radians(lat), np.radians(lon), dist_km / EARTH_RADIUS_KM
    phi2 = np.arcsin(np.sin(phi) * np.cos(d) + np.cos(phi) * np.sin(d) * np.cos(bearing))
    lam2 = lam + np.arctan2(np.sin(bearing) * np.sin(d) * np.cos(phi), np.cos(d) - np.sin(phi) * np.sin(phi2))
    return (np.degrees(lam2) + 180.0) % 360.0 - 180.0, np.degrees(phi2)


def _bearing(lon1, lat1, lon2, lat2):
    """Initial bearing (rad) from point 1 to point 2."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    return np.arctan2(np.sin(dl) * np.cos(p2), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl))


def _field_axes(field: xr.DataArray, lat=None, lon=None, time=None):
    """The field as (time, lat, lon) with sorted axes; returns (field, t0, t_s, lat, lon_unwrapped, lon360)."""
    try:  # the package's coordinate finder (CF attributes, common names); imported lazily (torch)
        from geoinr.coords import find_coords

        names = find_coords(field, lat=lat, lon=lon, time=time, require_time=True)
        names = (names.time, names.lat, names.lon)
    except ImportError:  # pragma: no cover - geoinr always importable in the package's env
        names = (time or "time", lat or "lat", lon or "lon")
    tname, latname, lonname = names
    for name in names:
        if field[name].ndim != 1 or field[name].dims[0] not in field.dims:
            raise ValueError(
                f"sample_along_track needs a gridded field with 1-D coordinates; {name!r} has dims "
                f"{field[name].dims}. Regrid curvilinear fields first (or pass lat=/lon=/time= names)."
            )
    field = field.transpose(field[tname].dims[0], field[latname].dims[0], field[lonname].dims[0])
    if field.ndim != 3:
        raise ValueError(f"Expected a (time, lat, lon) field; got dims {field.dims}. Select other dims first.")
    times = field[tname]
    if np.issubdtype(times.dtype, np.datetime64):
        tvals = times.values.astype("datetime64[ns]")
    else:
        try:
            tvals = np.asarray(field.indexes[field[tname].dims[0]].to_datetimeindex(), "datetime64[ns]")
        except Exception as exc:  # noqa: BLE001
            raise ValueError(
                f"Time coordinate {tname!r} is neither datetime64 nor a standard-calendar cftime index "
                f"(dtype {times.dtype}); decode it first, e.g. xr.decode_cf(ds)."
            ) from exc
    t0 = tvals[0]
    t_s = (tvals - t0) / np.timedelta64(1, "s")
    latv = np.asarray(field[latname].values, float)
    lonv = np.asarray(field[lonname].values, float)
    lon_u = lonv[0] + (lonv - lonv[0]) % 360.0  # one increasing run starting at the first longitude
    order = (np.argsort(t_s, kind="stable"), np.argsort(latv, kind="stable"), np.argsort(lon_u, kind="stable"))
    field = field.isel({field.dims[0]: order[0], field.dims[1]: order[1], field.dims[2]: order[2]})
    lon360 = bool(np.nanmin(lonv) >= 0.0 and np.nanmax(lonv) > 180.0)  # the field's convention, kept on output
    return field, t0, t_s[order[0]], latv[order[1]], lon_u[order[2]], lon360


def _ar1_along(values_shape, segments, spacing_km, length_km, std, rng):
    """AR(1) noise of standard deviation ``std`` and correlation length ``length_km``, restarted per segment."""
    from scipy.signal import lfilter

    out = np.empty(values_shape)
    xi = rng.standard_normal(values_shape)
    for start, stop in segments:
        seg = slice(start, stop)
        a = math.exp(-spacing_km[start] / length_km) if length_km > 0 else 0.0
        b = math.sqrt(1 - a * a)
        init = rng.standard_normal()
        out[seg] = lfilter([b], [1.0, -a], xi[seg], zi=[a * init])[0]
    return std * out


@dataclasses.dataclass(frozen=True)
class _LonBox:
    """The field's longitudes: whether periodic (global), the range sampled, and the interpolation grid."""

    periodic: bool
    lon_min: float
    lon_max: float
    grid: np.ndarray  # the longitudes, plus the first one + 360 when periodic

    @classmethod
    def of(cls, lon_u: np.ndarray) -> _LonBox:
        """From increasing (unwrapped) longitudes."""
        periodic = lon_u.size > 1 and abs(lon_u[-1] + (lon_u[1] - lon_u[0]) - lon_u[0] - 360.0) < 1e-6
        lon_min = lon_u[0]
        lon_max = lon_u[-1] + (lon_u[1] - lon_u[0] if periodic else 0.0)
        lon_grid = np.append(lon_u, lon_u[0] + 360.0) if periodic else lon_u
        return cls(periodic, lon_min, lon_max, lon_grid)


def _pixels(m: Mission, t, offsets, swath: bool):
    """Longitude, latitude (samples, offsets) of nadir and swath pixels at ``t`` (s since the epoch), and ``u``."""
    lon, lat, u = ground_track(m, t)
    if swath:
        lon_a, lat_a, _ = ground_track(m, t - 0.5)
        lon_b, lat_b, _ = ground_track(m, t + 0.5)
        heading = _bearing(lon_a, lat_a, lon_b, lat_b)
        # offset > 0: right of the ground track (heading + 90 deg)
        lon_s, lat_s = _destination(
            lon[:, None], lat[:, None], heading[:, None] + np.pi / 2, offsets[None, :]
        )
        lon_s[:, offsets == 0] = lon[:, None]
        lat_s[:, offsets == 0] = lat[:, None]
    else:
        lon_s, lat_s = lon[:, None], lat[:, None]
    return lon_s, lat_s, u


def _mission_samples(m: Mission, t_samples, epoch_offset, offsets, swath: bool, latv, box: _LonBox, sampling_s: float):
    """Columns (dicts of arrays) of the samples of one mission inside the grid, one dict per chunk of time."""
    pieces = []
    n_chunks = max(1, int(np.ceil(t_samples.size * offsets.size / 2_000_000)))  # bounded memory
    for chunk in np.array_split(t_samples, n_chunks):
        if chunk.size == 0:
            continue
        lon_s, lat_s, u = _pixels(m, chunk + epoch_offset, offsets, swath)
        lon_r = box.lon_min + (lon_s - box.lon_min) % 360.0
        inside = (lat_s >= latv[0]) & (lat_s <= latv[-1]) & (lon_r <= box.lon_max)
        if not inside.any():
            continue
        i, j = np.nonzero(inside)
        half_rev = np.floor((u[i] + math.pi / 2) / math.pi).astype(np.int64)  # passes since epoch
        pieces.append(
            dict(
                t=chunk[i],
                lat=lat_s[i, j],
                lon=lon_r[i, j],
                xtrack=offsets[j],
                mission=np.full(i.size, m.name),
                cycle=half_rev // (2 * m.revolutions) + 1,
                track=half_rev % (2 * m.revolutions) + 1,
                spacing=np.full(i.size, sampling_s * 2 * math.pi * EARTH_RADIUS_KM / m.period),
                sample=np.round(chunk[i] / sampling_s).astype(np.int64),
            )
        )
    return pieces


def _columns(pieces: list) -> dict:
    """The pieces' columns concatenated (empty columns when there are none)."""
    keys = ("t", "lat", "lon", "xtrack", "mission", "cycle", "track", "spacing", "sample")
    cols = {k: np.concatenate([p[k] for p in pieces]) if pieces else np.zeros(0) for k in keys}
    if not pieces:
        cols["mission"] = cols["mission"].astype(str)
    return cols


def _take(cols: dict, index) -> dict:
    """Every column indexed by ``index``."""
    return {k: v[index] for k, v in cols.items()}


def _interpolate(field: xr.DataArray, t_s, latv, box: _LonBox, cols: dict) -> np.ndarray:
    """The field at the samples: linear in time between the two bracketing maps, bilinear in space."""
    from scipy.interpolate import RegularGridInterpolator

    values = np.full(cols["t"].size, np.nan)
    if t_s.size == 1:
        k_all = np.zeros(cols["t"].size, int)
    else:
        k_all = np.clip(np.searchsorted(t_s, cols["t"], side="right") - 1, 0, t_s.size - 2)
    for k in np.unique(k_all):
        sel = np.nonzero(k_all == k)[0]
        block = np.asarray(field.isel({field.dims[0]: slice(k, k + 2)}).values, float)
        if box.periodic:
            block = np.concatenate([block, block[:, :, :1]], axis=2)
        if t_s.size == 1:
            interp = RegularGridInterpolator((latv, box.grid), block[0], bounds_error=False, fill_value=np.nan)
            values[sel] = interp(np.column_stack([cols["lat"][sel], cols["lon"][sel]]))
        else:
            interp = RegularGridInterpolator(
                (t_s[k : k + 2], latv, box.grid), block, bounds_error=False, fill_value=np.nan
            )
            values[sel] = interp(np.column_stack([cols["t"][sel], cols["lat"][sel], cols["lon"][sel]]))
    return values


def _noise(cols: dict, size: int, white_noise: float, correlated_noise: float, correlation_km: float, seed: int):
    """White plus AR(1) noise of the samples, ordered by mission, cross-track position and time."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(size)
    if white_noise > 0:
        noise += white_noise * rng.standard_normal(size)
    if correlated_noise > 0 and size:
        new_segment = np.ones(size, bool)
        new_segment[1:] = (
            (np.diff(cols["sample"]) != 1)
            | (cols["mission"][1:] != cols["mission"][:-1])
            | (cols["xtrack"][1:] != cols["xtrack"][:-1])
        )
        starts = np.nonzero(new_segment)[0]
        segments = list(zip(starts, np.append(starts[1:], size)))
        noise += _ar1_along(size, segments, cols["spacing"], correlation_km, correlated_noise, rng)
    return noise


def _tracks_dataset(field: xr.DataArray, cols: dict, values, noise, t0, lon360: bool, params: dict) -> xr.Dataset:
    """The samples as a Dataset in the CMEMS L3 layout, with CF attributes and the call in ``history``."""
    lon_out = cols["lon"] % 360.0 if lon360 else (cols["lon"] + 180.0) % 360.0 - 180.0
    times = t0 + np.round(cols["t"] * 1e9).astype("timedelta64[ns]")
    units = field.attrs.get("units", "m")
    sla_attrs = {
        "units": units,
        "standard_name": "sea_surface_height_above_sea_level",
        "long_name": "sea level anomaly sampled along track, with simulated noise",
        "comment": f"white noise std {params['white_noise']} {units}; AR(1) noise std {params['correlated_noise']} "
        f"{units}, correlation length {params['correlation_km']} km",
    }
    true_attrs = dict(sla_attrs, long_name="sea level anomaly sampled along track, without noise")
    true_attrs.pop("comment")
    coords = {
        "time": ("time", times, {"standard_name": "time", "long_name": "time", "axis": "T"}),
        "latitude": ("time", cols["lat"], {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north"}),
        "longitude": ("time", lon_out, {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east"}),
        "mission": ("time", cols["mission"].astype(str), {"long_name": "satellite mission"}),
        "cycle": ("time", cols["cycle"].astype(np.int32), {"long_name": "repeat cycle number (since 2000-01-01)"}),
        "track": ("time", cols["track"].astype(np.int32), {"long_name": "pass number in the cycle (odd: ascending)"}),
    }
    if params["swath"]:
        coords["cross_track_distance"] = (
            "time",
            cols["xtrack"],
            {"long_name": "cross-track distance (positive right of the ground track)", "units": "km"},
        )
    return xr.Dataset(
        {"sla": ("time", values + noise, sla_attrs), "sla_true": ("time", values, true_attrs)},
        coords=coords,
        attrs={
            "title": "Simulated along-track altimetry (CMEMS L3 layout)",
            "Conventions": "CF-1.8",
            "source": f"data_recipes/along_track.py: {field.name or 'field'} interpolated (linear in time, lat, "
            "lon) along circular repeat-orbit ground tracks",
            "history": f"{pd.Timestamp.now('UTC'):%Y-%m-%dT%H:%M:%SZ} sample_along_track("
            + ", ".join(f"{k}={v!r}" for k, v in params.items())
            + ")",
        },
    )


def sample_along_track(
    field: xr.DataArray,
    missions: Sequence[str] = ("jason3", "sentinel3a", "sentinel3b", "saral"),
    sampling_s: float = 1.0,
    white_noise: float = 0.0,
    correlated_noise: float = 0.0,
    correlation_km: float = 100.0,
    seed: int = 0,
    swath: bool = False,
    swath_km: tuple[float, float] = (10.0, 60.0),
    swath_spacing_km: float = 2.0,
    lat=None,
    lon=None,
    time=None,
) -> xr.Dataset:
    """Sample a gridded field along the ground tracks of simulated altimeters.

    Parameters
    ----------
    field : xarray.DataArray
        Dims (time, lat, lon) in any order with 1-D coordinates; longitudes in
        either convention (a global grid is treated as periodic); datetime64 or
        standard-calendar cftime times. NaN (land) is never interpolated across.
    missions : sequence of str
        Names in :data:`MISSIONS` (or :data:`ALIASES`).
    sampling_s : float
        Seconds between samples along track (1.0: the 1 Hz L3 rate, ~6-7 km).
    white_noise : float
        Standard deviation (m) of white measurement noise.
    correlated_noise : float
        Standard deviation (m) of an along-track AR(1) noise ...
    correlation_km : float
        ... with this correlation length (km); restarted at every entry in the grid.
    seed : int
        Seeds the noise (the tracks depend on the dates only).
    swath : bool
        Add SWOT-like swath pixels either side of nadir for every mission.
    swath_km : (float, float)
        Inner and outer cross-track distance (km) of the swath.
    swath_spacing_km : float
        Cross-track pixel spacing (km).
    lat, lon, time : str, optional
        Names of the coordinates, when they cannot be found automatically.

    Returns
    -------
    xarray.Dataset
        CMEMS L3 layout: dim ``time`` (sorted), coords ``latitude``, ``longitude``
        (the field's convention), ``mission``, ``cycle``, ``track`` (pass number
        in the cycle, odd = ascending) and ``cross_track_distance`` (km, with
        ``swath``); data ``sla`` (with noise) and ``sla_true`` (interpolated field).

    Examples
    --------
    >>> import pandas as pd
    >>> lat = np.arange(30.0, 40.1, 0.25); lon = np.arange(-45.0, -34.9, 0.25)
    >>> t = pd.date_range("2020-01-01", periods=11)
    >>> da = xr.DataArray(np.zeros((11, lat.size, lon.size)), coords={"time": t, "lat": lat, "lon": lon},
    ...                   dims=("time", "lat", "lon"), attrs={"units": "m"})
    >>> tracks = sample_along_track(da, missions=["jason3"])
    >>> tracks.sla.dims, sorted(set(tracks.mission.values.tolist()))
    (('time',), ['jason3'])
    """
    if not isinstance(field, xr.DataArray):
        raise TypeError(f"field must be an xarray.DataArray (pick a variable: ds['ssh']); got {type(field).__name__}.")
    if sampling_s <= 0:
        raise ValueError(f"sampling_s must be positive; got {sampling_s}.")
    field, t0, t_s, latv, lon_u, lon360 = _field_axes(field, lat=lat, lon=lon, time=time)
    box = _LonBox.of(lon_u)
    offsets = np.zeros(1)
    if swath:
        side = np.arange(swath_km[0], swath_km[1] + 1e-9, swath_spacing_km)
        offsets = np.concatenate([-side[::-1], [0.0], side])
    epoch_offset = (t0 - REFERENCE_EPOCH) / np.timedelta64(1, "s")
    t_samples = np.arange(0.0, t_s[-1] + 1e-9, sampling_s)
    pieces = []
    for name in missions:
        pieces.extend(_mission_samples(mission(name), t_samples, epoch_offset, offsets, swath, latv, box, sampling_s))
    cols = _columns(pieces)
    values = _interpolate(field, t_s, latv, box, cols)
    keep = np.isfinite(values)
    cols, values = _take(cols, keep), values[keep]
    # Order: by mission, cross-track position, time -> contiguous along-track segments for the noise.
    order = np.lexsort((cols["t"], cols["xtrack"], cols["mission"]))
    cols, values = _take(cols, order), values[order]
    noise = _noise(cols, values.size, white_noise, correlated_noise, correlation_km, seed)
    # Final order: by time, as in CMEMS files.
    order = np.argsort(cols["t"], kind="stable")
    cols, values, noise = _take(cols, order), values[order], noise[order]
    params = dict(
        missions=[mission(n).name for n in missions], sampling_s=sampling_s, white_noise=white_noise,
        correlated_noise=correlated_noise, correlation_km=correlation_km, seed=seed, swath=swath,
    )
    return _tracks_dataset(field, cols, values, noise, t0, lon360, params)


def main(argv=None) -> xr.Dataset:
    """Command-line entry point: read a netCDF field, sample it, write the tracks; returns the Dataset."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="netCDF file with a gridded (time, lat, lon) field")
    p.add_argument("output", help="output netCDF file (CMEMS L3 along-track layout)")
    p.add_argument("--variable", default="ssh", help="variable to sample (default ssh)")
    p.add_argument("--missions", nargs="+", default=["jason3", "sentinel3a", "sentinel3b", "saral"],
                   help=f"missions (default: jason3 sentinel3a sentinel3b saral); known: {', '.join(MISSIONS)}")
    p.add_argument("--sampling-s", type=float, default=1.0, help="seconds between samples (default 1)")
    p.add_argument("--white-noise", type=float, default=0.0, help="white noise std, field units (default 0)")
    p.add_argument("--correlated-noise", type=float, default=0.0, help="AR(1) noise std (default 0)")
    p.add_argument("--correlation-km", type=float, default=100.0, help="AR(1) correlation length (default 100 km)")
    p.add_argument("--swath", action="store_true", help="add SWOT-like swath pixels 10-60 km from nadir")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    with xr.open_dataset(a.input) as ds:
        if a.variable not in ds:
            p.error(f"variable {a.variable!r} not in {a.input}; it has {list(ds.data_vars)} (use --variable)")
        tracks = sample_along_track(
            ds[a.variable], missions=a.missions, sampling_s=a.sampling_s, white_noise=a.white_noise,
            correlated_noise=a.correlated_noise, correlation_km=a.correlation_km, swath=a.swath, seed=a.seed,
        )
    tracks.to_netcdf(a.output)
    print(f"wrote {a.output}: {tracks.sizes['time']} observations from {', '.join(a.missions)}")
    return tracks


if __name__ == "__main__":
    main()
