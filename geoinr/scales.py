"""Physical scales of a data set: how finely it samples space and time (numpy + scipy, no torch).

The models' frequencies are set from the smallest wavelength (km) and period
(days) they should represent. When the user does not give them, they are taken
from the data: a field cannot be resolved below the spacing of its observations.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .geometry import EARTH_RADIUS_KM, xyz_km

__all__ = ["DEFAULT_SPEED", "sampling_gap_km", "default_scales", "gridded_period", "unresolved_share"]

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
# along-track records: observations more than this apart in time (days: 10 minutes) are of different passes (a
# satellite's own samples that far along its track are 4,000 km away)
PASS_SEPARATION_DAYS = 10.0 / 1440.0
CROSS_PASS_QUERIES = 1000  # observations whose nearest observation of another pass is measured
CROSS_PASS_NEIGHBOURS = (32, 1024)  # nearest neighbours searched for it, the second for those the first missed
# the last gaps measured, by the digest of their points and options: a fit measures its sample's gap twice (the
# warning for records too sparse to map, then the scales' rule), and on 2 million points each took ~2 s
_GAP_MEMO: dict = {}
_GAP_MEMO_SIZE = 4
# unresolved_share: pairs of observations between these fractions of the shortest resolvable wavelength apart
# (about 2.6 median gaps: the far side of a typical gap between tracks)
UNRESOLVED_LAGS = (0.4, 0.6)
UNRESOLVED_POINTS = 3000  # observations drawn at random for the pairs
UNRESOLVED_MIN_PAIRS = 100  # fewer pairs in the lag band than this: no estimate
UNRESOLVED_MAX_PAIRS = 500_000  # pairs within the lag's upper end kept at most (about 8 MB of indices)
# gridded_period(noise_guard=True), for measured series (stations): increments over two steps less than twice those
# over one (white noise: equal; a sinusoid of 4 steps: twice) are taken for noise, not a period to fit. A tide or
# diurnal cycle whose noise is above a fifth to a third of its amplitude is then missed too (the rule's period):
# grids (model output) are not guarded (a review: a noisy diurnal grid lost its 2-hour period)
GRIDDED_NOISE_RATIO = 2.0
GRIDDED_MIN_PAIRS = 50  # gridded_period: fewer increments one and two time steps long than this, no estimate
# gridded_period's variogram fit (records whose cells are seen over GRIDDED_MIN_LAGS steps or more): lags 1 to
# GRIDDED_MAX_LAGS steps; an oscillation whose swing is less than GRIDDED_SIGNAL_SHARE of the variogram's largest
# value, or a variogram that falls back by less than that share after its largest value, is no period to fit
# (white noise, a static field under noise, red noise); trial phase steps GRIDDED_TRIAL_PHASES
GRIDDED_MIN_LAGS = 8
GRIDDED_MAX_LAGS = 48
GRIDDED_SIGNAL_SHARE = 0.05
GRIDDED_TRIAL_PHASES = 400
GRIDDED_SLOW_LAGS = 4  # the variogram's trial half-periods reach this many times its longest lag (then: slow)
GRIDDED_TURN_SHARE = 0.2  # the variogram with an oscillation must leave under this share of red noise's misfit (real
# cycles under noise of three times their amplitude left 0.16 of it, red noise of 0.5-10 days 0.24-0.49)
GRIDDED_POINTS = 200_000  # gridded_period: about this many values read (every time of a share of the cells)
# a gridded record's own period replaces the rule's where it is below this share of it: hourly output (0.52 against
# 5.2 days at 0.25 deg) does, four daily DUACS maps at 0.5 deg (0.59-0.89 of the rule's 9.5-11.7 days, five boxes)
# keep the rule their regridding was measured with (at 0.25 deg the evidence is above the rule)
GRIDDED_PERIOD_SHARE = 0.5
# carried_period: a nugget (white noise) under this share of the one-step semivariance is taken as none (a diurnal
# cycle's g2/g1 is 3.97, not a smooth field's 4: its "nugget" of 1 % outweighed its tiny differences across cells)
CARRIED_NUGGET_SHARE = 0.05
# a gridded record's wavelength is its grid's own where that is below this share of the rule's space-time one (a
# grid finer than its time step carries in space: daily grids of a few km and finer)
FINE_GRID_SHARE = 0.5


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


def sampling_gap_km(lon, lat, t=None, speed=DEFAULT_SPEED, n_probes=N_PROBES, seed=0, footprint: bool = True,
                    across_passes: bool = False) -> float:
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

    Parameters
    ----------
    lon, lat : array-like
        Positions of the observations (degrees).
    t : array-like, optional
        Their times (days); None for a purely spatial field.
    speed : float
        km/day: how far an observation one day away counts.
    n_probes : int
        Random points drawn (with ``seed``).
    seed : int
        Seed of the draws.
    footprint : bool
        Keep only the probes inside the data's footprint (below); False: every probe of the box.
    across_passes : bool
        The gap between the tracks of a sparse along-track record as it is (below).

    Returns
    -------
    float
        The median distance (km).

    The footprint is made for many tracks: a few passes of one satellite cross most bands
    in short pieces, and only the probes near them are kept. ``across_passes=True`` takes
    at least a quarter of the median distance from an observation to the nearest one of
    another pass (along-track records; at most the whole box's gap), the gap a sparse
    record really leaves between its tracks. The default keeps the rule as it is: on one
    satellite's one to four days of real DUACS maps the wavelengths that near-track gap
    gives mapped better than the real gap's (benchmarks/RESULTS.md, 2026-12-06 third
    session), so the scales keep it, and :func:`geoinr.model.fitting.warn_unresolved`
    judges sparsity across the passes.

    Examples
    --------
    A 0.1-degree grid at the equator (11.1 km spacing):

    >>> lon, lat = np.meshgrid(np.arange(0, 10, 0.1), np.arange(-1, 1, 0.1))
    >>> round(sampling_gap_km(lon.ravel(), lat.ravel()) / 11.12, 1)
    0.4

    Three passes 8 degrees apart, hours apart: near them (the scales' rule) and between them.

    >>> lat1 = np.arange(-8.0, 8.0, 0.063)
    >>> lon3 = np.concatenate([l0 + 0.2 * (lat1 + 8.0) for l0 in (200.0, 208.0, 216.0)])
    >>> lat3 = np.tile(lat1, 3)
    >>> t3 = np.concatenate([0.3 * k + np.arange(lat1.size) / 86400.0 for k in range(3)])
    >>> sampling_gap_km(lon3, lat3, t3, across_passes=True) > 150.0
    True
    """
    from scipy.spatial import cKDTree

    from .coords import longitude_span, wrap_longitude

    # wrapped as longitude_span wraps them, so that the westernmost point is at 0 east of ``west`` (not at 360)
    lon = wrap_longitude(np.asarray(lon, float).ravel())  # all of them: a raw 12.3 and its wrapped value may differ
    lat = np.asarray(lat, float).ravel()
    if t is not None:
        t = np.asarray(t, float).ravel()
    across = bool(across_passes and footprint and t is not None)
    key = _gap_key(lon, lat, t, speed, n_probes, seed, footprint)
    if (key, across) in _GAP_MEMO:
        return _GAP_MEMO[key, across]
    near = _GAP_MEMO.get((key, False))
    rng = np.random.default_rng(seed)
    drawn = n_probes
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
        pts = np.column_stack([pts, speed * t])
        pt = _probe_times(t, n_probes, rng) if footprint else rng.uniform(t.min(), t.max(), n_probes)
        probes = np.column_stack([probes, speed * pt])
    # neither balanced nor compact: the same nearest distances, built three times faster (1.7 -> 0.5 s on 2 million)
    tree = cKDTree(pts, balanced_tree=False, compact_nodes=False)
    if near is None:
        dist, _ = tree.query(probes, k=1)
        near = float(np.median(dist))
        _remember((key, False), near)
    gap = near
    if across:  # the footprint keeps only probes near sparse tracks
        bound = _cross_pass_gap(tree, pts, t, seed)
        if bound > gap:  # at most the whole box's gap (few passes across a box: D / 4 overestimates it)
            gap = max(gap, min(bound, sampling_gap_km(lon, lat, t, speed, drawn, seed, footprint=False)))
        _remember((key, True), gap)
    return gap


def _remember(key: tuple, gap: float) -> None:
    """Keep ``gap`` in the memo of the last gaps measured (the oldest forgotten)."""
    try:
        while len(_GAP_MEMO) >= _GAP_MEMO_SIZE:
            _GAP_MEMO.pop(next(iter(_GAP_MEMO)), None)
    except (StopIteration, RuntimeError):  # another thread emptied or changed it meanwhile: nothing to forget
        pass
    _GAP_MEMO[key] = gap


def _gap_key(lon, lat, t, *options) -> tuple:
    """A digest of the points (float64 arrays, t None or times) and the options: the memo's key."""
    digest = hashlib.sha1()
    for a in (lon, lat) + (() if t is None else (t,)):
        digest.update(np.ascontiguousarray(a).view(np.uint8))
    return (digest.hexdigest(), lon.size, t is None, *options)


def _cross_pass_gap(tree, pts: np.ndarray, t: np.ndarray, seed: int = 0) -> float:
    """A quarter of the median distance from an observation to the nearest observation of another pass (along-track
    records; 0 for others): the median gap between parallel tracks D apart is D / 4.

    The footprint test of :func:`sampling_gap_km` keeps a probe only where observations lie on both
    sides of it within a band of its parallel and of its meridian. A few passes of one satellite cross
    most bands in short pieces, so it kept only the probes near the tracks: one SARAL day over 60 x 30
    deg of the North Atlantic measured a 23 km gap (the whole box: 300 km), as six altimeters over four
    days do. This bound is 5-8 km on such dense records (gaps of 17-28 km: it changes nothing there) and,
    capped at the box's gap, gives 36-196 km on one satellite's one to four days where the footprint gave
    17-44 km (benchmarks/RESULTS.md, 2026-12-06 third session). Records whose observations mostly share
    their times (grids, swaths) are not along-track, nor are fewer than two observations: 0.
    """
    if t.size < 2 or np.unique(t).size < 0.5 * t.size:
        return 0.0
    rng = np.random.default_rng(seed)
    query = rng.choice(t.size, min(CROSS_PASS_QUERIES, t.size), replace=False)
    nearest = np.full(query.size, np.nan)
    todo = np.arange(query.size)
    for k in CROSS_PASS_NEIGHBOURS:
        k = min(k, t.size)
        dist, idx = tree.query(pts[query[todo]], k=k)
        other = np.abs(t[idx] - t[query[todo]][:, None]) > PASS_SEPARATION_DAYS
        found = other.any(axis=1)
        nearest[todo[found]] = dist[found, np.argmax(other[found], axis=1)]
        todo = todo[~found]
        if not todo.size or k == t.size:
            break
    return 0.25 * float(np.nanmedian(nearest)) if np.isfinite(nearest).any() else 0.0


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


def gridded_period(lon, lat, t, values, noise_guard: bool = False) -> float | None:
    r"""The shortest period (days) a gridded record's own time steps show, where it is shorter than they allow
    to say little: None where the record is slow at its time step, or too short to tell.

    The rule of :func:`default_scales` ties the period to the wavelength through a mesoscale drift speed, which
    suits sea level sampled daily or by satellites. Hourly model output carries tides, inertial oscillations and
    diurnal cycles: at 0.25 deg the rule's 5-day period smoothed a diurnal cycle away (no skill in the gaps; a
    review). Each cell's increments over one time step :math:`\Delta` and over two give the dominant angular
    frequency, :math:`D(2\Delta)/D(\Delta) = 2(1 + \cos\omega\Delta)` for a sinusoid (4 for a field that is
    smooth at the step: a trend or a slow eddy), so a short record's trend reads as slow, not fast. The period
    returned, :math:`\pi/\omega` (half the dominant one, so that it lies inside the band), is at least two time
    steps (the Nyquist period). Needs cells seen at three or more evenly spaced times. With ``noise_guard``, a
    ratio under :data:`GRIDDED_NOISE_RATIO` (white noise: 1) gives None.

    Sub-daily gridded records (not stations: a few series' variogram is too noisy) are read by their temporal
    variogram instead (None where fewer than :data:`GRIDDED_MIN_LAGS` lags can be read), over lags up to half the
    cells' usual run and :data:`GRIDDED_MAX_LAGS` steps: :math:`\gamma(k) = n + A(1 - \cos k\omega\Delta) + C(1 - e^{-k/L}) + B k^2`,
    fitted for non-negative weights at each trial :math:`\omega\Delta` and :math:`L` (:func:`_variogram_period`).
    White noise is the constant :math:`n`, red noise the exponential, a slow field the :math:`k^2` term; a cycle is
    taken where it fits much better than red noise alone and the variogram turns down inside the lags. Noise no
    longer pulls the period towards two steps (5 cm/s on hourly radar currents read 2 h where their tide and
    inertial cycle are 12-20 h; a review); red noise, a cycle longer than twice the lags, or one far weaker than a
    slow field or the noise (a tenth of it; three times its amplitude in noise) give None.

    Parameters
    ----------
    lon, lat : array-like (n,)
        Positions of the values (a grid's cells, repeated at each time).
    t : array-like (n,)
        Their times (days).
    values : array-like (n,) or (n, k)
        The values (NaN ignored); several columns are pooled, each scaled by its standard deviation.

    Returns
    -------
    float or None

    Examples
    --------
    >>> lon, lat, t = (a.ravel() for a in np.meshgrid(np.arange(5.0), np.arange(4.0), np.arange(48) / 24, indexing="ij"))
    >>> diurnal = np.cos(2 * np.pi * t + np.radians(lon) * 3)
    >>> 0.45 < gridded_period(lon, lat, t, diurnal) < 0.55  # about half a day: the cycle is inside the band
    True
    >>> gridded_period(lon, lat, t, lon + 0.01 * t) is None  # a slow field
    True
    """
    lon, lat, t = (np.asarray(a, dtype=np.float64).ravel() for a in (lon, lat, t))
    y = np.asarray(values).reshape(len(t), -1)
    if len(t) > GRIDDED_POINTS:  # a share of the cells, each with all its times (a hash of its position picks it)
        code = (np.round(lon * 1e4).astype(np.int64) * 73856093) ^ (np.round(lat * 1e4).astype(np.int64) * 19349663)
        # the code's bits mixed before the remainder (on 1 and 0.1 deg grids its low bits were all zero: every cell
        # was kept, 1.6 million values read; a review)
        mixed = (code.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
        picked = mixed % np.uint64(int(np.ceil(len(t) / GRIDDED_POINTS))) == 0
        lon, lat, t, y = lon[picked], lat[picked], t[picked], y[picked]
    y = y.astype(np.float64)
    keys = np.column_stack([lon, lat])
    order = np.lexsort((t, keys[:, 1], keys[:, 0]))
    keys, t, y = keys[order], t[order], y[order]
    same = (keys[1:] == keys[:-1]).all(axis=1)
    steps = np.diff(t)[same]
    steps = steps[steps > 0]
    if steps.size < 2:
        return None
    dt = float(np.median(steps))
    one = same & np.isclose(np.diff(t), dt, rtol=1e-3)  # successive values of one cell, one step apart
    two = one[:-1] & one[1:]
    scale = np.nanstd(y, axis=0)
    scale[~(scale > 0)] = 1.0
    y = y / scale
    # (daily and slower, and stations' few series: as measured before; a few gauges' variogram is too noisy to read)
    long_runs = _variogram_period(same, t, y, dt) if dt < 1.0 - 1e-6 and not noise_guard else False
    if long_runs is not False:
        return long_runs
    if dt < 1.0 - 1e-6 and not noise_guard:
        return None  # a sub-daily grid too short for its variogram: the two-lag ratio reads noise as two steps
    y0, y1, y2 = y[:-2][two], y[1:-1][two], y[2:][two]  # three times of one cell, a step apart: both steps of a
    ok = np.isfinite(y0) & np.isfinite(y1) & np.isfinite(y2)  # triplet against its whole, on the same triplets
    d1 = 0.5 * ((y1 - y0)[ok] ** 2 + (y2 - y1)[ok] ** 2)
    d2 = (y2 - y0)[ok] ** 2
    if d1.size < GRIDDED_MIN_PAIRS or not np.mean(d1) > 0:
        return None
    ratio = float(np.mean(d2) / np.mean(d1))
    if noise_guard and ratio < GRIDDED_NOISE_RATIO:  # measured series: white noise reads 1 (a review: noisy gauges
        return None  # took a 2-hour period); model output's fast signals with a little noise keep theirs
    omega_dt = float(np.arccos(np.clip(ratio / 2.0 - 1.0, -1.0, 1.0)))
    if omega_dt <= 0.0:
        return None
    return max(np.pi / omega_dt * dt, 2.0 * dt)


def carried_period(lon, lat, t, values, wavelength_km: float) -> float | None:
    r"""The shortest period (days) of a sub-daily gridded record without a cycle of its own (weather, fronts, a
    model's currents): the time its field takes to change by ``wavelength_km`` at the speed it is carried (the
    shortest wavelength fitted, seen in time), at least two time steps (the Nyquist period, as the wavelength is a
    grid's Nyquist wavelength). None where the record is daily or slower, or too short to tell.

    The rule of :func:`default_scales` ties the period to the wavelength through a mesoscale drift of
    :data:`DEFAULT_SPEED`; an hourly sea-level pressure whose lows travel 700 km a day took a 19-day period over a
    two-day record and hardly changed in time (a review). A field carried at speed :math:`c` changes over one time
    step :math:`\Delta t` as it does over :math:`c\Delta t`, so for increments in their smooth range
    :math:`c = \frac{d}{\Delta t}\sqrt{\gamma_t(\Delta t) / \gamma_x(d)}` (semivariances of one time step, and
    between each cell and its nearest cell, :math:`d` apart, at one time): the period is ``wavelength_km`` / c.
    A field that changes in place (a diurnal cycle over a day) moves fast by this measure: two time steps then.

    Parameters
    ----------
    lon, lat, t : array-like (n,)
        Positions (degrees) and times (days) of the values (a grid's cells, repeated at each time).
    values : array-like (n,) or (n, k)
        The values (NaN ignored); several columns are pooled, each scaled by its standard deviation.
    wavelength_km : float
        The shortest wavelength fitted.

    Returns
    -------
    float or None

    Examples
    --------
    >>> lon, lat, t = (a.ravel() for a in np.meshgrid(np.arange(0.0, 10.0, 0.5), np.arange(40.0, 45.0, 0.5),
    ...                                                np.arange(48) / 24, indexing="ij"))
    >>> moving = np.sin(2 * np.pi * (lon - 5.0 * t) / 8.0)  # 5 degrees a day: 425 km/day at 40 N
    >>> 0.4 < carried_period(lon, lat, t, moving, 200.0) < 0.6  # 200 km at 425 km/day: 0.47 days
    True
    >>> round(carried_period(lon, lat, t, np.cos(2 * np.pi * t) + 0.01 * (lat + lon), 200.0) * 24, 2)  # in place: 2 h
    2.0
    """
    from scipy.spatial import cKDTree

    t = np.asarray(t, dtype=np.float64).ravel()
    at, times = pd.factorize(t, sort=True)  # (a hash: np.unique sorted 41 million times for 13 s, a review)
    times = np.asarray(times, dtype=np.float64)
    if times.size < 3:
        return None
    dt = float(np.median(np.diff(times)))
    if not 0.0 < dt < 1.0 - 1e-6:
        return None
    # runs of three successive times spread over the record, where every time would pass GRIDDED_POINTS values
    per_time = len(t) / times.size
    starts = np.linspace(0, times.size - 3, max(1, int(GRIDDED_POINTS // (3 * per_time)))).round().astype(np.int64)
    keep = np.unique(np.r_[starts, starts + 1, starts + 2]) if len(t) > GRIDDED_POINTS else np.arange(times.size)
    slot = np.full(times.size, -1)
    slot[keep] = np.arange(keep.size)
    rows = slot[at] >= 0
    lon, lat = (np.asarray(a, dtype=np.float64).ravel()[rows] for a in (lon, lat))
    y = np.asarray(values, dtype=np.float64).reshape(len(t), -1)[rows]
    scale = np.nanstd(y, axis=0)
    scale[~(scale > 0)] = 1.0
    y = y / scale
    cells, cell = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    if len(cells) < 2:
        return None
    table = np.full((keep.size, len(cells), y.shape[1]), np.nan)  # values on a (time, cell) table
    table[slot[at[rows]], cell.ravel()] = y
    xyz = xyz_km(cells[:, 0], cells[:, 1])
    d, j = cKDTree(xyz).query(xyz, k=2)
    near, dist = j[:, 1], float(np.median(d[:, 1]))
    space = (table - table[:, near]) ** 2
    kept = times[keep]
    one = np.isclose(np.diff(kept), dt, rtol=1e-3)  # successive kept times one step apart
    two = one[:-1] & one[1:]
    time1 = (table[1:][one] - table[:-1][one]) ** 2
    time2 = (table[2:][two] - table[:-2][two]) ** 2
    if not all(np.isfinite(a).sum() >= GRIDDED_MIN_PAIRS for a in (space, time1, time2)):
        return None
    g1, g2, gx = (float(np.nanmean(a)) / 2.0 for a in (time1, time2, space))
    # noise white in time adds one constant (the nugget) to every semivariance; a smooth field's grows as the lag
    # squared, so the field's own one-step part is (g2 - g1) / 3 and the noise g1 less it (1 cm of noise on a 5 cm
    # field drifting 10 km/day read 0.2 days for 5: a review)
    signal = (g2 - g1) / 3.0
    nugget = g1 - signal if g1 - signal > CARRIED_NUGGET_SHARE * g1 else 0.0  # (a cosine's g2/g1 < 4: no noise)
    gx -= nugget
    pairs = int(np.isfinite(time1).sum())
    if not (signal > 3.0 * g1 * np.sqrt(2.0 / pairs) and gx > 0 and dist > 0):
        return None  # the field's own change is lost in the noise (or it has none across cells)
    return max(wavelength_km / (dist / dt * float(np.sqrt(signal / gx))), 2.0 * dt)


def _variogram_period(same, t, y, dt: float):
    """:func:`gridded_period` from the temporal variogram (values ``y`` sorted by cell then time ``t``, ``same``
    marking each row whose cell is the previous row's; step ``dt``): the period, None (slow, or no oscillation beside
    noise), or False where the cells' runs are too short to fit it (the caller's two-lag estimate then).

    Pairs k steps apart are matched by each value's cell and step number, so a missing hour costs its own pairs
    only (matched by row offset, half an HF radar's hours missing left too few pairs: a review). Red noise (an
    exponential term, ``1 - exp(-k/L)``) joins noise and the slow part, and an oscillation is taken only where it
    leaves less than :data:`GRIDDED_TURN_SHARE` of the misfit without it: a damped random walk's variogram (rising,
    levelling off) was fitted by a cosine of a quarter of the lags, a period of 13 steps at any step (a review)."""
    from scipy.optimize import nnls

    cell = np.concatenate([[0], np.cumsum(~same)])
    step = np.round((t - t.min()) / dt).astype(np.int64)
    code = cell * (int(step.max()) + GRIDDED_MAX_LAGS + 2) + step  # ascending: rows are sorted by cell, then time
    # lags up to half the cells' usual run (a short record's variogram bends down near its length: red noise over 24
    # to 72 hours read as a cycle, a review)
    first = np.r_[0, np.flatnonzero(~same) + 1]
    runs = np.maximum.reduceat(step, first) - np.minimum.reduceat(step, first) + 1
    most = min(GRIDDED_MAX_LAGS, int(np.median(runs)) // 2)
    lags, gamma = [], []
    for k in range(1, most + 1):  # (a lag without pairs, hours seen every other hour, is skipped, not the end)
        j = np.minimum(np.searchsorted(code, code + k), len(code) - 1)
        pair = code[j] == code + k
        sq = (y[j[pair]] - y[pair]) ** 2
        sq = sq[np.isfinite(sq)]
        if sq.size >= GRIDDED_MIN_PAIRS:
            lags.append(float(k))
            gamma.append(float(np.mean(sq)))
    if len(gamma) < GRIDDED_MIN_LAGS:
        return False
    gamma, lags = np.asarray(gamma), np.asarray(lags)
    span = lags[-1]
    base = [np.ones_like(lags), (lags / span) ** 2]  # noise, a slow field
    reds = [1.0 - np.exp(-lags / scale) for scale in np.geomspace(1.0, GRIDDED_SLOW_LAGS * span, 10)]
    without = min(nnls(np.column_stack(base + [red]), gamma)[1] for red in reds)  # no oscillation: red noise
    best = None
    slowest = np.pi / (GRIDDED_SLOW_LAGS * span)
    for phase in np.geomspace(slowest, np.pi, GRIDDED_TRIAL_PHASES):  # half-periods of 1 to 4 x lags steps
        cosine = 1.0 - np.cos(lags * phase)
        for red in reds:
            coef, residual = nnls(np.column_stack(base + [red, cosine]), gamma)
            if best is None or residual < best[0]:
                best = (residual, phase, coef[-1])
    residual, phase, oscillation = best
    if phase <= slowest:  # slower than the lags can tell
        return None
    if not oscillation * np.max(1.0 - np.cos(lags * phase)) > GRIDDED_SIGNAL_SHARE * np.max(gamma):
        return None  # no oscillation beside the noise and the slow part
    if not residual < GRIDDED_TURN_SHARE * without:
        return None  # red noise explains the variogram as well: no period
    later_low = np.minimum.accumulate(gamma[::-1])[::-1]  # the lowest value at or after each lag
    if not np.any(gamma[:-1] - later_low[1:] >= GRIDDED_SIGNAL_SHARE * gamma[:-1]):
        return None  # the variogram never turns down inside the lags (after any of its peaks): no cycle to tell
    return float(max(np.pi / phase * dt, 2.0 * dt))


def unresolved_share(lon, lat, t, values, wavelength_km: float, speed=DEFAULT_SPEED,
                     n_points: int = UNRESOLVED_POINTS, seed: int = 0, per_column: bool = False):
    r"""Share of the observations' variance found between observations half a wavelength apart.

    The semivariance :math:`\gamma(h) = \tfrac12 \langle (y_i - y_j)^2 \rangle` of pairs of
    observations :math:`h` = 0.4-0.6 ``wavelength_km`` apart (space and time in one metric
    through ``speed``, as :func:`sampling_gap_km` measures), over the observations'
    variance. With ``wavelength_km`` the shortest wavelength the sampling resolves
    (:func:`default_scales`), that distance is about the far side of a typical gap
    between the observations. Near 0, the field barely changes across a gap and a map
    can bridge it; near 1 (or above, for a field with a trend) most of the field's
    variance is at scales finer than the gaps: along the tracks the observations see
    it, between them a map can only guess (one satellite's day over an ocean, say).
    With several columns of ``values``, the largest share (``per_column``: each column's,
    from the same pairs).

    Parameters
    ----------
    lon, lat : array-like (n,)
        Positions of the observations (degrees).
    t : array-like (n,) or None
        Their times (days), or None for a purely spatial field.
    values : array-like (n,) or (n, k)
        The observations (NaN ignored per column).
    wavelength_km : float
        The shortest wavelength the sampling resolves (km).
    speed : float
        km/day: how far an observation one day away counts.
    n_points : int
        Observations drawn at random (with ``seed``) when there are more.
    seed : int
        Seed of that draw.
    per_column : bool
        Return every column's share instead of the largest.

    Returns
    -------
    float or None, or list of them
        The share, or None when fewer than ``UNRESOLVED_MIN_PAIRS`` pairs lie in the band
        or the values do not vary; with ``per_column``, one per column of ``values``.

    Examples
    --------
    A smooth field sampled densely, and white noise sampled the same way:

    >>> lon, lat = np.meshgrid(np.arange(0, 10, 0.1), np.arange(40, 50, 0.1))
    >>> lon, lat = lon.ravel(), lat.ravel()
    >>> wl, _ = default_scales(lon, lat)
    >>> smooth = np.sin(np.radians(lon) * 20) + np.cos(np.radians(lat) * 15)
    >>> noise = np.random.default_rng(0).standard_normal(lon.size)
    >>> unresolved_share(lon, lat, None, smooth, wl) < 0.1, unresolved_share(lon, lat, None, noise, wl) > 0.9
    (True, True)
    """
    from scipy.spatial import cKDTree

    y = np.asarray(values, dtype=np.float64)
    y = y.reshape(len(y), -1)
    pts = xyz_km(np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel())
    if t is not None:
        pts = np.column_stack([pts, speed * np.asarray(t, float).ravel()])
    ok = np.isfinite(pts).all(axis=1)
    pts, y = pts[ok], y[ok]
    if len(y) > n_points:
        keep = np.random.default_rng(seed).choice(len(y), n_points, replace=False)
        pts, y = pts[keep], y[keep]
    lo, hi = (f * float(wavelength_km) for f in UNRESOLVED_LAGS)
    tree = cKDTree(pts)
    within = int(tree.count_neighbors(tree, hi))  # ordered pairs, each point with itself included
    if within > 2 * UNRESOLVED_MAX_PAIRS:  # clustered points or a long lag: fewer points, as many pairs
        keep = np.random.default_rng(seed + 1).choice(len(y), max(2, int(len(y) * np.sqrt(2 * UNRESOLVED_MAX_PAIRS / within))),
                                                      replace=False)
        pts, y = pts[keep], y[keep]
        tree = cKDTree(pts)
    pairs = tree.query_pairs(hi, output_type="ndarray")
    if len(pairs):
        pairs = pairs[np.linalg.norm(pts[pairs[:, 0]] - pts[pairs[:, 1]], axis=1) >= lo]
    shares = []
    for col in y.T:
        top = float(np.nanmax(np.abs(col))) if np.isfinite(col).any() else 0.0
        col = col / top if 0.0 < top < np.inf else col  # values near 1e200 would overflow their squares
        both = np.isfinite(col[pairs[:, 0]]) & np.isfinite(col[pairs[:, 1]]) if len(pairs) else np.zeros(0, bool)
        var = float(np.nanvar(col))
        if both.sum() < UNRESOLVED_MIN_PAIRS or not var > 0:
            shares.append(None)
            continue
        d = col[pairs[both, 0]] - col[pairs[both, 1]]
        shares.append(0.5 * float(np.mean(d * d)) / var)
    if per_column:
        return shares
    found = [x for x in shares if x is not None]
    return max(found) if found else None
