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
FOOTPRINT_BANDS = 64  # latitude and longitude bands of the footprint test (see _inside_footprint)
MIN_INSIDE = 200  # fewer probes inside the footprint than this: use every probe of the box
# the footprint in time: a step between observed times longer than twice this (days), or than twice TIME_GAP_STEPS
# median steps if that is longer (weekly or monthly maps), is a gap of the record (an outage, two cruises months
# apart), not a gap between its samples: no probe time is drawn in it (_probe_times)
TIME_FOOTPRINT_DAYS = 2.0
TIME_GAP_STEPS = 3.0


def _inside_footprint(lon_rel, lat, plon_rel, plat, bands: int = FOOTPRINT_BANDS) -> np.ndarray:
    """Which probes lie inside the data's footprint: with observations on both sides along their
    parallel and along their meridian (within a band of 1/``bands`` of the box).

    Land, or any region the data never reach, sits at the edge of the footprint (a coast has
    observations on one side only) and is left out, so a basin with coasts is measured where
    its sea is. Gaps between tracks or islands inside the data are kept.
    """
    inside = np.ones(plon_rel.size, dtype=bool)
    for along, across, p_along, p_across in ((lon_rel, lat, plon_rel, plat), (lat, lon_rel, plat, plon_rel)):
        lo, hi = float(across.min()), float(across.max())
        width = max(hi - lo, 1e-9) / bands
        band = np.clip(((across - lo) / width).astype(np.int64), 0, bands - 1)
        first = np.full(bands, np.inf)
        last = np.full(bands, -np.inf)
        np.minimum.at(first, band, along)
        np.maximum.at(last, band, along)
        # a band the data skip (between the rows of a coarse grid) takes the extent of the nearest band they reach
        full = np.flatnonzero(np.isfinite(first))
        nearest = full[np.clip(np.searchsorted(full, np.arange(bands)), 0, full.size - 1)]
        below = full[np.clip(np.searchsorted(full, np.arange(bands)) - 1, 0, full.size - 1)]
        pick = np.where(np.abs(below - np.arange(bands)) < np.abs(nearest - np.arange(bands)), below, nearest)
        first, last = first[pick], last[pick]
        pband = np.clip(((p_across - lo) / width).astype(np.int64), 0, bands - 1)
        inside &= (first[pband] <= p_along) & (p_along <= last[pband])
    return inside


def _probe_times(t: np.ndarray, n: int, rng) -> np.ndarray:
    """``n`` random times over the record's time footprint: uniform over its span, less the gaps in it.

    A gap is a step between observed times longer than twice :data:`TIME_FOOTPRINT_DAYS` (or than
    twice :data:`TIME_GAP_STEPS` median steps between them, for weekly or monthly maps): the times
    are drawn over the runs of observations between the gaps, as one run's would be. A record
    without one draws exactly what a uniform draw over its span does.

    Examples
    --------
    >>> t = np.concatenate([np.linspace(0, 3, 500), np.linspace(60, 63, 500)])  # two bursts, 57 days apart
    >>> p = _probe_times(t, 1000, np.random.default_rng(0))
    >>> bool(((p <= 3.0) | (p >= 60.0)).all()), bool((p <= 3.0).mean() > 0.4)
    (True, True)
    """
    times = np.unique(t)
    step = float(np.median(np.diff(times))) if times.size > 1 else 0.0
    reach = max(TIME_FOOTPRINT_DAYS, TIME_GAP_STEPS * step)
    cut = np.flatnonzero(np.diff(times) > 2.0 * reach)  # gaps: no observation within reach of their middle
    if cut.size == 0:
        return rng.uniform(times[0], times[-1], n)
    starts, ends = np.r_[times[0], times[cut + 1]], np.r_[times[cut], times[-1]]  # the runs of the record
    lengths = ends - starts
    u = rng.uniform(0.0, lengths.sum(), n)  # along the pieces laid end to end
    edges = np.cumsum(lengths)
    k = np.minimum(np.searchsorted(edges, u, side="right"), lengths.size - 1)
    return starts[k] + u - (edges[k] - lengths[k])


def sampling_gap_km(lon, lat, t=None, speed=DEFAULT_SPEED, n_probes=N_PROBES, seed=0, footprint: bool = True) -> float:
    """Median distance (km) from random points of the data's space-time footprint to the nearest observation.

    Time counts as distance through ``speed`` (km/day), so an observation one
    day away is as far as one ``speed`` km away. For along-track data this is
    about half the distance between neighbouring tracks; for a regular grid of
    spacing h about 0.4 h. Random points are drawn in the data's box and kept
    where observations lie on both sides of them along their parallel and their
    meridian: land and other regions the data never reach (42 % of a global
    DUACS map, more of a whole sea's box) do not count as gaps. ``footprint=False``
    keeps every random point of the box (the rule before 2026-12-01, which took a
    coast for a gap and doubled the wavelength of a half-land box). In time, stretches of
    more than four days without an observation (or six steps of weekly or monthly maps)
    are gaps of the record, not between its samples: no random time is drawn in them
    (two three-day bursts 57 days apart gave 9 times the scales of one).

    Examples
    --------
    A 0.1-degree grid at the equator (11.1 km spacing):

    >>> lon, lat = np.meshgrid(np.arange(0, 10, 0.1), np.arange(-1, 1, 0.1))
    >>> round(sampling_gap_km(lon.ravel(), lat.ravel()) / 11.12, 1)
    0.4
    """
    from scipy.spatial import cKDTree

    from .coords import longitude_span, wrap_longitude

    # wrapped as longitude_span wraps them, so that the westernmost point is at 0 east of ``west`` (not at 360)
    lon = wrap_longitude(np.asarray(lon, float).ravel())  # all of them: a raw 12.3 and its wrapped value may differ
    lat = np.asarray(lat, float).ravel()
    rng = np.random.default_rng(seed)
    west, east = longitude_span(lon)
    s0, s1 = np.sin(np.radians(lat.min())), np.sin(np.radians(lat.max()))
    plon = rng.uniform(west, east, n_probes)
    plat = np.degrees(np.arcsin(rng.uniform(s0, s1, n_probes)))
    inside = _inside_footprint((lon - west) % 360.0, lat, plon - west, plat) if footprint else None
    if inside is not None and inside.sum() >= MIN_INSIDE:
        plon, plat = plon[inside], plat[inside]
    n_probes = plon.size
    pts = xyz_km(lon, lat)
    probes = xyz_km(plon, plat)
    if t is not None:
        t = np.asarray(t, float).ravel()
        pts = np.column_stack([pts, speed * t])
        pt = _probe_times(t, n_probes, rng) if footprint else rng.uniform(t.min(), t.max(), n_probes)
        probes = np.column_stack([probes, speed * pt])
    dist, _ = cKDTree(pts).query(probes, k=1)
    return float(np.median(dist))


def default_scales(lon, lat, t=None, speed=DEFAULT_SPEED, footprint: bool = True) -> tuple[float, float | None]:
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
    wl = GAP_TO_WAVELENGTH * sampling_gap_km(lon, lat, t, speed, footprint=footprint)
    wl = max(wl, 1.0)
    return wl, (wl / speed if t is not None else None)
