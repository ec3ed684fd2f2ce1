"""Physical scales of a data set: how finely it samples space and time (numpy + scipy, no torch).

The models' frequencies are set from the smallest wavelength (km) and period
(days) they should represent. When the user does not give them, they are taken
from the data: a field cannot be resolved below the spacing of its observations.
"""
from __future__ import annotations

import numpy as np

from .geometry import EARTH_RADIUS_KM, xyz_km

__all__ = ["EARTH_RADIUS_KM", "DEFAULT_SPEED", "sampling_gap_km", "default_scales"]

DEFAULT_SPEED = 10.0  # km/day: mesoscale eddies drift and decorrelate at a few km/day
# A regular grid of spacing h has a median probe-to-nearest-node distance of ~0.4 h in 2-D;
# the Nyquist wavelength is 2 h, so the shortest resolvable wavelength is ~5.2 x the probe gap.
GAP_TO_WAVELENGTH = 5.2
N_PROBES = 4000  # random probe points used to measure the gap


def sampling_gap_km(lon, lat, t=None, speed=DEFAULT_SPEED, n_probes=N_PROBES, seed=0) -> float:
    """Median distance (km) from random points of the data's space-time box to the nearest observation.

    Time counts as distance through ``speed`` (km/day), so an observation one
    day away is as far as one ``speed`` km away. For along-track data this is
    about half the distance between neighbouring tracks; for a regular grid of
    spacing h about 0.4 h.

    Examples
    --------
    A 0.1-degree grid at the equator (11.1 km spacing):

    >>> lon, lat = np.meshgrid(np.arange(0, 10, 0.1), np.arange(-1, 1, 0.1))
    >>> round(sampling_gap_km(lon.ravel(), lat.ravel()) / 11.12, 1)
    0.4
    """
    from scipy.spatial import cKDTree

    from .coords import longitude_span

    lon = np.asarray(lon, float).ravel()
    lat = np.asarray(lat, float).ravel()
    rng = np.random.default_rng(seed)
    west, east = longitude_span(lon)
    s0, s1 = np.sin(np.radians(lat.min())), np.sin(np.radians(lat.max()))
    plon = rng.uniform(west, east, n_probes)
    plat = np.degrees(np.arcsin(rng.uniform(s0, s1, n_probes)))
    pts = xyz_km(lon, lat)
    probes = xyz_km(plon, plat)
    if t is not None:
        t = np.asarray(t, float).ravel()
        pts = np.column_stack([pts, speed * t])
        probes = np.column_stack([probes, speed * rng.uniform(t.min(), t.max(), n_probes)])
    dist, _ = cKDTree(pts).query(probes, k=1)
    return float(np.median(dist))


def default_scales(lon, lat, t=None, speed=DEFAULT_SPEED) -> tuple[float, float | None]:
    """Shortest wavelength (km) and period (days) the data can resolve.

    ``min_wavelength = 5.2 x sampling_gap_km`` (2 x the spacing of a regular grid,
    its Nyquist wavelength) and ``min_period = min_wavelength / speed``.

    Examples
    --------
    >>> lon, lat = np.meshgrid(np.arange(0, 10, 0.25), np.arange(40, 50, 0.25))
    >>> wl, per = default_scales(lon.ravel(), lat.ravel())
    >>> 35 < wl < 50, per is None
    (True, True)
    """
    wl = GAP_TO_WAVELENGTH * sampling_gap_km(lon, lat, t, speed)
    wl = max(wl, 1.0)
    return wl, (wl / speed if t is not None else None)
