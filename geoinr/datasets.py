"""Built-in synthetic data: an analytic eddy field, along-track sampling of it, gridded versions.

Nothing here downloads. The field is smooth and known everywhere, so fits can be
scored against the truth; ``data_recipes/`` holds the scripts that write these to
netCDF. The richer simulations (a QG ocean, real missions' repeat orbits) are in
:mod:`geoinr.osse`, whose ground-track geometry the simplified orbits here share.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .geometry import EARTH_RADIUS_KM, SECONDS_PER_DAY
from .osse.orbits import EARTH_ROTATION, subsatellite_point

__all__ = ["analytic_ssh", "synthetic_tracks", "synthetic_grid", "ORBITS"]

DEFAULT_REGION = (0.0, 10.0, 30.0, 40.0)  # west, east, south, north (degrees)

#: Simplified circular orbits: inclination (deg), nodal period (s), nodal precession (deg/day), with random
#: phases: the orbits of :func:`synthetic_tracks`. The real missions' repeat orbits, phased in absolute time,
#: are :data:`geoinr.osse.MISSIONS` (used by :func:`geoinr.osse.sample_along_track`). 0.9856 deg/day is a
#: sun-synchronous node's (360 deg a tropical year, rounded); these values make the built-in tracks, so they stay.
ORBITS = {
    "jason3": (66.04, 6745.72, -2.0),
    "sentinel3a": (98.65, 6059.4, 0.9856),
    "saral": (98.54, 6035.9, 0.9856),
    "cryosat2": (92.0, 5953.0, 0.0),
}

_SSH_ATTRS = {
    "units": "m",
    "long_name": "sea level anomaly",
    "standard_name": "sea_surface_height_above_sea_level",
}


def analytic_ssh(lon, lat, t_days, seed: int = 0, region=DEFAULT_REGION) -> np.ndarray:
    """A smooth, known sea-level field (m): drifting Gaussian eddies plus a large-scale wave.

    Eddies of 40-90 km radius and 5-25 cm amplitude drift westward at 2-6 km/day,
    on top of a 12 cm westward-moving pattern of 700 km by 900 km wavelengths (11.7 km/day: a test pattern, five
    to ten times a long first-mode Rossby wave at mid latitudes).

    Parameters
    ----------
    lon, lat : array-like
        Degrees east / north (broadcast together with ``t_days``).
    t_days : array-like
        Days since the start of the synthetic period.
    seed : int
        Chooses the eddies.
    region : (west, east, south, north)
        Where the eddies are placed (``east < west``: the box across the dateline, or 0 E).

    Returns
    -------
    numpy.ndarray
        Sea level in metres.

    Examples
    --------
    >>> float(np.round(analytic_ssh(5.0, 35.0, 0.0), 3))
    0.059
    """
    lon, lat, t = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float), np.asarray(t_days, float))
    west, east, south, north = (float(v) for v in region)
    if east < west:  # across the dateline (or 0 E): the box runs east from west
        east += 360.0
    lat0 = 0.5 * (south + north)
    lon0 = 0.5 * (west + east)
    # local tangent-plane coordinates in km
    x = np.radians(((lon - lon0 + 180.0) % 360.0) - 180.0) * EARTH_RADIUS_KM * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_KM
    width = np.radians(east - west) * EARTH_RADIUS_KM * np.cos(np.radians(lat0))
    height = np.radians(north - south) * EARTH_RADIUS_KM
    rng = np.random.default_rng(seed)
    n_eddies = 14
    cx = rng.uniform(-0.7, 0.7, n_eddies) * width
    cy = rng.uniform(-0.5, 0.5, n_eddies) * height
    radius = rng.uniform(40.0, 90.0, n_eddies)
    amp = rng.uniform(0.05, 0.25, n_eddies) * rng.choice([-1.0, 1.0], n_eddies)
    speed = rng.uniform(2.0, 6.0, n_eddies)  # km/day westward
    eta = 0.12 * np.sin(2 * np.pi * (x / 700.0 + t / 60.0) + 0.5) * np.cos(2 * np.pi * y / 900.0)
    for i in range(n_eddies):
        ex = cx[i] - speed[i] * t
        eta = eta + amp[i] * np.exp(-((x - ex) ** 2 + (y - cy[i]) ** 2) / (2 * radius[i] ** 2))
    return eta


def _ground_track(inclination, period, precession, t_s, node0, phase0):
    """Sub-satellite (lon, lat) in degrees of a simplified orbit (:data:`ORBITS`) at times ``t_s`` (s)."""
    u = 2 * np.pi * t_s / period + phase0
    node = node0 + np.radians(precession) * t_s / SECONDS_PER_DAY - EARTH_ROTATION * t_s
    return subsatellite_point(inclination, u, node)


def synthetic_tracks(
    region=DEFAULT_REGION,
    days: float = 10.0,
    start: str = "2020-01-01",
    satellites=("jason3", "sentinel3a", "saral", "cryosat2"),
    sampling: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
    field=None,
) -> xr.Dataset:
    """Along-track sea level sampled from :func:`analytic_ssh` (or ``field``) by simulated altimeters.

    Circular orbits with real missions' inclinations and nodal periods, sampled
    every ``sampling`` seconds (1 Hz: ~6 km along track), kept inside ``region``.
    The layout follows CMEMS L3 along-track files: one dimension ``time``, with
    ``latitude``/``longitude`` coordinates along it.

    Parameters
    ----------
    region : (west, east, south, north)
        Degrees; ``west`` may be larger than ``east`` for a box across the dateline.
    days : float
        Length of the period.
    start : str
        First date.
    satellites : sequence of str
        Names from :data:`ORBITS`.
    sampling : float
        Seconds between samples.
    noise : float
        Standard deviation (m) of white measurement noise added to ``sla``.
    seed : int
        Seeds the field, the orbit phases and the noise.
    field : callable, optional
        ``field(lon, lat, t_days) -> sea level (m)`` to sample instead of :func:`analytic_ssh`.

    Returns
    -------
    xarray.Dataset
        ``sla`` (m, with noise) and ``sla_true`` (m, without) along ``time``.

    Examples
    --------
    >>> tracks = synthetic_tracks(days=2, seed=0)
    >>> list(tracks.coords), tracks.sla.attrs["units"]
    (['time', 'latitude', 'longitude', 'satellite'], 'm')
    """
    numbers = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in (days, sampling))
    if not (numbers and 0 < days < np.inf and 0 < sampling < np.inf):
        raise ValueError(f"days and sampling must be positive numbers (days of tracks, seconds between points); got "
                         f"days={days!r}, sampling={sampling!r}.")
    satellites = [satellites] if isinstance(satellites, str) else satellites  # one satellite, not its letters
    west, east, south, north = (float(v) for v in region)
    if not (-90.0 <= south < north <= 90.0):
        raise ValueError(f"region={region!r}: south must be below north, both within [-90, 90] (west, east, south, "
                         f"north).")
    in_0_360 = max(west, east) > 180.0  # the region given in the [0, 360) convention: its longitudes so too
    if east < west:  # across the dateline, given in [-180, 180) (170 to -170): longitudes in [-180, 180)
        east += 360.0
    rng = np.random.default_rng(seed + 1)
    t_s = np.arange(0.0, days * SECONDS_PER_DAY, sampling)
    lons, lats, times, sats = [], [], [], []
    for name in satellites:
        if name not in ORBITS:
            raise ValueError(f"Unknown satellite {name!r}; known: {sorted(ORBITS)}.")
        inc, period, prec = ORBITS[name]
        lon, lat = _ground_track(inc, period, prec, t_s, rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi))
        lon_rel = (lon - west) % 360.0
        keep = (lon_rel <= east - west) & (lat >= south) & (lat <= north)
        lons.append(lon[keep])
        lats.append(lat[keep])
        times.append(t_s[keep])
        sats.append(np.full(keep.sum(), name))
    lon = np.concatenate(lons)
    lat = np.concatenate(lats)
    t = np.concatenate(times)
    sat = np.concatenate(sats)
    order = np.argsort(t, kind="stable")
    lon, lat, t, sat = lon[order], lat[order], t[order], sat[order]
    if field is None:
        truth = analytic_ssh(lon, lat, t / SECONDS_PER_DAY, seed=seed, region=(west, east, south, north))
    else:
        truth = np.asarray(field(lon, lat, t / SECONDS_PER_DAY), dtype=np.float64)
    sla = truth + noise * rng.standard_normal(truth.shape)
    lon = lon % 360.0 if in_0_360 else (lon + 180.0) % 360.0 - 180.0
    time = pd.Timestamp(start).to_datetime64() + (t * 1e9).astype("timedelta64[ns]")
    ds = xr.Dataset(
        {
            "sla": ("time", sla, dict(_SSH_ATTRS, comment=f"synthetic, white noise std {noise} m")),
            "sla_true": ("time", truth, dict(_SSH_ATTRS, long_name="sea level anomaly without noise")),
        },
        coords={
            "time": ("time", time, {"standard_name": "time", "long_name": "time"}),
            "latitude": ("time", lat, {"standard_name": "latitude", "units": "degrees_north"}),
            "longitude": ("time", lon, {"standard_name": "longitude", "units": "degrees_east"}),
            "satellite": ("time", sat.astype(str), {"long_name": "mission"}),
        },
        attrs={
            "title": "Synthetic along-track sea level (geoinr.datasets.synthetic_tracks)",
            "source": "analytic eddy field sampled along simplified circular altimeter orbits",
            "Conventions": "CF-1.8",
        },
    )
    return ds


def synthetic_grid(
    region=DEFAULT_REGION,
    resolution: float = 0.25,
    days: int = 10,
    start: str = "2020-01-01",
    gap_fraction: float = 0.0,
    seed: int = 0,
) -> xr.Dataset:
    """Daily gridded :func:`analytic_ssh` on ``(time, lat, lon)``, with random NaN gaps.

    Parameters
    ----------
    region : (west, east, south, north)
    resolution : float
        Degrees.
    days : int
        Number of daily maps.
    start : str
    gap_fraction : float
        Fraction of cells set to NaN at random (the truth stays in ``sla_true``).
    seed : int

    Returns
    -------
    xarray.Dataset

    Examples
    --------
    >>> ds = synthetic_grid(days=2, resolution=1.0, gap_fraction=0.5)
    >>> ds.sla.dims
    ('time', 'lat', 'lon')
    """
    from .coords import regular_grid

    if not (isinstance(days, (int, np.integer)) and days >= 1):
        raise ValueError(f"days must be a whole number of days >= 1, got {days!r}.")
    if isinstance(gap_fraction, bool) or not isinstance(gap_fraction, (int, float, np.number)) \
            or not 0.0 <= gap_fraction < 1.0:
        raise ValueError(f"gap_fraction is the share of cells made missing, in [0, 1); got {gap_fraction!r}.")
    times = pd.date_range(start, periods=days, freq="1D").values
    grid = regular_grid(region, resolution, times=times)
    t_days = (grid.time.values - grid.time.values[0]) / np.timedelta64(1, "D")
    truth = analytic_ssh(
        grid.lon.values[None, None, :], grid.lat.values[None, :, None], t_days[:, None, None], seed=seed, region=region
    )
    rng = np.random.default_rng(seed + 2)
    sla = np.where(rng.random(truth.shape) < gap_fraction, np.nan, truth)
    return grid.assign(
        sla=(("time", "lat", "lon"), sla, dict(_SSH_ATTRS)),
        sla_true=(("time", "lat", "lon"), truth, dict(_SSH_ATTRS, long_name="sea level anomaly without gaps")),
    ).assign_attrs(title="Synthetic gridded sea level (geoinr.datasets.synthetic_grid)", Conventions="CF-1.8")
