"""Held-out groups: whole satellite passes of along-track data, or space-time boxes (numpy, scipy).

Validation, uncertainty calibration and the scale search hold out groups of
points rather than single points: a held-out point next to a training point of
the same pass says nothing about a map's gaps.
"""
from __future__ import annotations

import numpy as np

from .. import coords as _coords
from ..geometry import space_time_km

__all__ = ["VALIDATION_BLOCKS", "satellite_passes", "validation_blocks"]

VALIDATION_BLOCKS = 12  # validation holds out boxes of 1/12 of the region (and time window) per side
PASS_NEIGHBOURS = 8  # a point is linked to the next few in time order (other missions may interleave)
PASS_LINK = 2.5  # linked when within 2.5 along-track sampling steps in time and in space (a dropped sample)


def satellite_passes(raw: np.ndarray, min_passes: int = 10) -> np.ndarray | None:
    """Label of the satellite pass of each point (lon, lat, time rows), or None when the data are not along-track.

    A pass is a sequence of samples a few seconds and a few km apart. The points
    are ordered by time; each is paired with the point nearest to it in space
    among the next :data:`PASS_NEIGHBOURS` in time order (the next sample of its
    own satellite: other missions flying at the same time are thousands of km
    away), and the median of those pairs gives the along-track interval ``dt0``
    (1 s at 1 Hz) and step ``s0`` (~7 km). Each point is linked to the next
    :data:`PASS_NEIGHBOURS` in time order that lie within 2.5 times its own
    satellite's interval and step of it (the median of its pair and of the pairs
    of the samples before and after it on its track: missions sampled at other
    rates keep their passes whole), and a pass is a connected set. Ordering by time keeps apart the
    passes of a repeat orbit, which revisit the same ground track (to within a
    km) every cycle (linking nearest neighbours in space joined them across
    cycles); pairing each point with its own satellite's next sample keeps the
    passes of missions that fly at the same time (a global record: most time steps
    join two missions, some of them 0 s) apart as well. A mission sampled much
    faster than the others (20 Hz beside 1 Hz) can push a slower one's next sample
    past the :data:`PASS_NEIGHBOURS` next points in time: thin it to 1 Hz first. A gridded time series or a swath
    (many points at one time, close together), data without time and scattered
    points give None.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(raw)
    if n < 200 or raw.shape[1] < 3:
        return None
    order = np.argsort(raw[:, 2], kind="stable")
    t = raw[order, 2]
    xyz = space_time_km(raw[order, :2], 0.0)
    k = min(PASS_NEIGHBOURS, n - 1)
    dt = np.stack([np.pad(t[j:] - t[:-j], (0, j), constant_values=np.inf) for j in range(1, k + 1)])
    dist = np.stack([np.pad(np.linalg.norm(xyz[j:] - xyz[:-j], axis=1), (0, j), constant_values=np.inf)
                     for j in range(1, k + 1)])
    later = np.where(dt > 0, dist, np.inf)  # the next samples in time; the nearest in space is the own satellite's
    own = later.argmin(axis=0)
    cols = np.arange(n)
    pair_dt, pair_dist = dt[own, cols], later[own, cols]
    nxt = cols + own + 1  # the point each one is paired with (its own satellite's next sample)
    del later, own
    paired = np.isfinite(pair_dist)
    if paired.sum() < n // 2:  # many points at one time: a grid (or a swath), not one sample at a time
        return None
    dt0, s0 = float(np.median(pair_dt[paired])), float(np.median(pair_dist[paired]))
    if not (dt0 > 0 and s0 > 0):
        return None
    if np.mean(((dt == 0) & (dist <= PASS_LINK * s0)).any(axis=0)) > 0.5:  # neighbours at one time: a swath
        return None
    # each point's own sampling interval and step: the median over its pair and the pairs of the samples before and
    # after it on its own track (at a pass's end its own pair spans the gap to the next pass; the neighbours' do
    # not), so missions sampled at other rates (1 Hz beside 5 Hz) keep their passes whole
    step_dt, step_s = _own_steps(np.where(paired, pair_dt, np.nan), np.where(paired, pair_dist, np.nan),
                                 np.where(paired, nxt, -1))
    link = (dt <= PASS_LINK * step_dt) & (dist <= PASS_LINK * step_s)
    lag, first = np.nonzero(link)
    graph = coo_matrix((np.ones(first.size, dtype=np.int8), (first, first + lag + 1)), shape=(n, n))
    n_sets, labels = connected_components(graph, directed=False)
    size = np.bincount(labels)
    if n_sets < min_passes or size.max() > 0.2 * n or np.median(size[labels]) < 20:
        return None
    out = np.empty(n, dtype=np.int64)
    out[order] = labels
    return out


def _own_steps(pair_dt: np.ndarray, pair_dist: np.ndarray, nxt: np.ndarray):
    """Median of each point's pair interval (and step) with those of the points before and after it on its track.

    ``nxt``: the index each point is paired with (-1: none); NaN where a point has no pair.

    Examples
    --------
    A track of four samples 1 s apart, then a 60 s gap to the next pass of the same satellite:

    >>> dt = np.array([1.0, 1.0, 1.0, 60.0, 1.0, np.nan])
    >>> _own_steps(dt, dt, np.array([1, 2, 3, 4, 5, -1]))[0].tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    >>> _own_steps(np.array([np.nan]), np.array([np.nan]), np.array([-1]))[0].tolist()
    [nan]
    """
    n = pair_dt.size
    prev = np.full(n, -1)
    has = nxt >= 0
    prev[nxt[has]] = np.flatnonzero(has)

    def around(v):
        before = np.where(prev >= 0, v[np.maximum(prev, 0)], np.nan)
        after = np.where(has, v[np.maximum(nxt, 0)], np.nan)
        three = np.sort(np.stack([before, v, after]), axis=0)  # NaN (no pair) last
        count = np.isfinite(three).sum(axis=0)
        # the median of three, the smaller of two (a gap beside a step), NaN of none (linked to nothing)
        return three[np.maximum(count - 1, 0) // 2, np.arange(n)]

    return around(pair_dt), around(pair_dist)


def validation_blocks(table: _coords.PointTable, region) -> np.ndarray:
    """Space-time box label of each point, for validation by held-out blocks."""
    west, east, south, north = region
    nb = VALIDATION_BLOCKS
    lon_rel = (table.lon - west) % 360.0
    ix = np.clip((lon_rel / max(east - west, 1e-9) * nb).astype(np.int64), 0, nb - 1)
    iy = np.clip(((table.lat - south) / max(north - south, 1e-9) * nb).astype(np.int64), 0, nb - 1)
    label = ix + nb * iy
    if table.time is not None:
        lo, hi = table.time.min(), table.time.max()
        it = np.clip(((table.time - lo) / max(hi - lo, 1e-9) * nb).astype(np.int64), 0, nb - 1)
        label = label + nb * nb * it
    return label
