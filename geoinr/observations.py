"""Observations in, once: xarray Datasets/DataArrays, dicts of arrays and dask-backed data -> point tables.

Every mapper (the INR and the baselines) reads its input through :func:`read`, so
finding the variables, their attributes, the coordinates, the time axis and the
longitude convention is written once. This module knows xarray and numpy; it
never imports torch.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from . import coords as _coords
from . import sentinels as _sentinels
from .frames import GeoinrWarning, did_you_mean, user_stacklevel
from .geometry import is_height, metres_per_length_unit

__all__ = ["KEPT_ATTRS", "Observations", "read", "describe", "extent", "far_outside", "is_lazy", "lon_convention",
           "margins", "time_gaps", "gap_times", "OUTSIDE", "check_outside",
           "mask_fills", "mask_fills_lazy", "nearest_inside", "resolve_variables", "warn_duplicates", "warn_fills"]

KEPT_ATTRS = ("units", "long_name", "standard_name")  # variable attributes carried to the outputs
REGION_MARGIN_DEG = 1.0  # degrees: targets this far (or a tenth of the span) outside the fitted region are far
# with_polar_caps: a cap ringed by data over every longitude is inside the region up to this radius (degrees from the
# pole; SARAL's and Sentinel-3's holes are 8.5-8.7, CryoSat-2's 2; Jason's 24 and Antarctica from 70 S are not)
POLAR_CAP_MAX_DEG = 10.0
# extent: a record over every longitude but a gap this wide (degrees of the equator's length: 1,110 km at the
# latitude of its equatorward 5 %) covers every longitude (a Southern Ocean day of SARAL: 15.7 deg at 60-70 S is 600-870 km)
GLOBAL_GAP_DEG = 10.0
GLOBAL_GAP_QUANTILE = 0.05
WINDOW_MARGIN = 0.01  # of the fitted time window: targets further outside it are far
# ... and at least this many days (at most WINDOW_SHORT_SHARE of a short window): tracks that start at 13:24 made
# the daily maps' first midnight "outside", warned at every ordinary scoring (a review)
WINDOW_MARGIN_DAYS = 1.0
WINDOW_SHORT_SHARE = 0.25
# ... and at most this many days: a ten-year record's 1 % held a month past its end in silence (a review)
WINDOW_MARGIN_MAX_DAYS = 5.0
# Gaps inside a record (a review: a months-long outage was mapped without a word): consecutive observed times
# further apart than the longest of GAP_MIN_DAYS (a mesoscale decorrelation time; DUACS maps with about 15 days),
# GAP_STEPS of the record's typical step (a monthly record's missing month is no gap) and twice the window's
# margin; the targets more than half that from every observed time are far, as those past the window's ends
GAP_MIN_DAYS = 20.0  # days
GAP_STEPS = 4
GAP_STEP_QUANTILE = 0.75  # ... of the record's usual step: this quantile of the steps between its observed times
GAP_RESOLUTION_DAYS = 0.125  # observed times are read to this (3 h): a long record's distinct times stay few


@dataclasses.dataclass
class Observations:
    """What a mapper learns about its input before fitting anything.

    Attributes
    ----------
    table : geoinr.coords.PointTable or None
        The finite observations (lon, lat, time in days, values (n, k)); None for
        dask-backed data, which is read block by block (``dataset`` holds it).
    variables : list of str
        Variable names, one column of ``table.values`` each.
    attrs : dict
        Kept attributes (units, long_name, standard_name) of each variable.
    coord_names : dict
        Names of the lat, lon and time coordinates (time None when absent).
    time_axis : geoinr.coords.TimeAxis or None
        Reference and calendar of the times.
    lon_convention : {"180", "360"}
        Longitude convention of the input, used for output grids.
    dataset, names
        The dask-backed Dataset and its coordinate names (streamed fits only).
    gridded : bool
        Whether the values sit on a grid (regridding, gap filling) rather than
        scattered along tracks or given as points.
    stations : bool
        Whether the values are series at fixed points (tide gauges, moorings: positions over their own dimension,
        time apart from it): scattered in space, regular in time.
    """

    table: _coords.PointTable | None
    variables: list
    attrs: dict
    coord_names: dict
    time_axis: _coords.TimeAxis | None
    lon_convention: str
    dataset: xr.Dataset | None = None
    names: _coords.CoordNames | None = None
    gridded: bool = False  # a grid (1-D lat and lon dims, or 2-D curvilinear), not scattered points
    stations: bool = False  # series at fixed points (gauges, moorings): time apart from the positions' dimension


def is_lazy(obj, variables: Sequence[Hashable] | None = None) -> bool:
    """True if the data variables to fit are dask arrays (then :meth:`INRModel.fit` streams them).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"sla": ("time", np.zeros(4))})
    >>> is_lazy(ds), is_lazy(ds.chunk({"time": 2}))
    (False, True)
    """
    if isinstance(obj, xr.DataArray):
        return obj.chunks is not None
    names = list(obj.data_vars) if variables is None else list(variables)
    return any(obj[v].chunks is not None for v in names if v in obj)


# a positive variable whose logarithm spreads this much (standard deviation) is log-normal: warned of
LOG_SPREAD_WARN = 0.9  # (chlorophyll's is about 1; a Weibull wind speed's of shape 1.5, 0.86: a diff review)


SEA_LEVEL_NAMES = ("sla", "adt", "ssh", "ssha", "zos", "eta", "mdt", "sea_level", "sea_surface_height")


def warn_skewed(table: _coords.PointTable, variables, attrs: Mapping | None = None) -> None:
    """Warn of a positive variable spread over orders of magnitude (chlorophyll: its logarithm's standard deviation
    above :data:`LOG_SPREAD_WARN`): the networks fit values, so its maps flatten the peaks and can go below zero;
    its logarithm fits better (a review: log10-RMSE 0.229 for the values, 0.156 for the logarithm, a bloom's peak
    at a fifth of its height).

    Parameters
    ----------
    table : geoinr.coords.PointTable
        The observations (values (n, k)).
    variables : list of str
        The names of its columns.
    attrs : dict, optional
        Each variable's attributes: a height (its ``standard_name``, or a length named as sea level is,
        :data:`SEA_LEVEL_NAMES`) is not warned of (a review's isolated eddy of sea level, positive with tails to
        1e-16 m, was told to fit its logarithm; precipitation in mm still is).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = _coords.PointTable(np.zeros(500), np.zeros(500), None, rng.lognormal(0.0, 1.5, (500, 1)))
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_skewed(t, ["chl"])
    >>> str(seen[0].message)[:45]
    "'chl' is positive and spread over 3 orders of"
    """
    for j, v in enumerate(variables):
        own = (attrs or {}).get(v) or {}
        standard = own.get("standard_name")
        if is_height(standard) or not standard and str(v).lower() in SEA_LEVEL_NAMES \
                and metres_per_length_unit(own.get("units")) is not None:
            continue  # (a length may be log-normal: precipitation in mm, a mixed layer's thickness)
        y = table.values[:, j]
        y = y[np.isfinite(y)]
        if y.size < 10 or not np.min(y) > 0:
            continue
        logs = np.log10(y)
        if np.std(logs) * np.log(10.0) > LOG_SPREAD_WARN:
            orders = float(np.subtract(*np.percentile(logs, [99, 1])))
            warnings.warn(
                f"{v!r} is positive and spread over {orders:.2g} orders of magnitude (its 1st to 99th percentile): "
                f"a log-normal field, as chlorophyll is. The networks fit values, not their logarithm, so its maps "
                f"flatten the peaks and can go below zero. Fit its logarithm and transform back (README, 'Positive, "
                f"skewed fields'): np.log(ds[{v!r}]).drop_attrs(deep=False).to_dataset(name={v!r}), then np.exp of the map.",
                GeoinrWarning, stacklevel=user_stacklevel())


def record_step(obs) -> float | None:
    """A gridded record's time step (days, the median between its times), which ``grid()`` and ``target_grid()``
    take by default from its first time: its own times (daily maps dropped an hourly record's diurnal cycle, and
    gave 3,622 daily maps of 120 monthly means and maps at midnight of a product at noon: reviews); a monthly one's
    by calendar months or at its own irregular times (:func:`record_times`). None for scattered records and a grid
    of one time.

    Parameters
    ----------
    obs : Observations
        What :func:`read` found: its table's times, or for a streamed record its time coordinate.

    Returns
    -------
    float or None
        Days.

    Examples
    --------
    >>> t = np.repeat(np.arange(48) / 24, 4)
    >>> obs = Observations(_coords.PointTable(np.zeros(t.size), np.zeros(t.size), t, np.zeros((t.size, 1))),
    ...                    ["x"], {}, {}, None, "180", gridded=True)
    >>> round(record_step(obs) * 24, 6)
    1.0
    """
    return _median_step(_record_days(obs))


def _median_step(times) -> float | None:
    """The median step (days) between sorted distinct ``times``, or None (fewer than two)."""
    if times is None or times.size < 2:
        return None
    step = float(np.median(np.diff(times)))
    return step if step > 0.0 else None


MONTH_DAYS = 30.436875  # the mean Gregorian month (days): a record's median step of about k of them is k months
MAX_GRID_TIMES = 10_000  # a gridded record's irregular times kept for grid() (more: daily maps)
MAX_MONTHS = 120_000  # months in one grid() axis (10,000 years)


def record_times(obs) -> tuple:
    """How ``grid()`` places a gridded record's own times: ``(step, months, times)``. Steps of its own
    (:func:`record_step`) from its first time where they hold every time (hourly, daily, with gaps too: they are
    filled): ``(step, None, None)``; calendar months (k = 1, 3, 6 or 12: monthly, seasonal, half-yearly, annual
    means): ``(step, k, None)``; else the record's times themselves (irregular, at most :data:`MAX_GRID_TIMES`):
    ``(step, None, times)``; more, or none of them (scattered records): ``(None, None, None)``, daily maps.

    Parameters
    ----------
    obs : Observations
        What :func:`read` found (its table's times, or a streamed record's time coordinate).

    Returns
    -------
    tuple
        ``(step, months, times)``: days or None, 1/3/6/12 or None, a list of days or None.
    Checked against the record: a rule guessed from its first time put a 4-weekly product on the 1st of each month,
    a 15th-of-the-month record at mid-months and annual means a day earlier each leap year (a diff review).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2001-01-16T12:00", "2001-02-15T00:00", "2001-03-16T12:00", "2001-05-16T12:00"]).values
    >>> ax = _coords.TimeAxis.from_values(t)
    >>> obs = Observations(_coords.PointTable(np.zeros(4), np.zeros(4), ax.to_days(t), np.zeros((4, 1))), ["x"],
    ...                    {}, {}, ax, "180", gridded=True)
    >>> record_times(obs)[1:]  # (a missing April: months all the same)
    (1, None)
    """
    times = _record_days(obs)
    step = _median_step(times)
    if step is None or times is None or times.size < 2:
        return None, None, None
    on_steps = (times - times[0]) / step
    if np.all(np.abs(on_steps - np.round(on_steps)) < 1e-3):
        return step, None, None
    axis = obs.time_axis
    months = int(round(step / MONTH_DAYS))
    if axis is not None and axis.kind != "numeric" and months in (1, 3, 6, 12) and abs(step / MONTH_DAYS - months) < 0.1:
        made = monthly_times(axis, float(times[0]), float(times[-1]), months)
        days = axis.to_days(made) if len(made) else np.zeros(0)
        at = np.clip(np.searchsorted(days, times), 1, max(days.size - 1, 1)) if days.size > 1 else np.zeros(times.size, int)
        near = np.minimum(np.abs(times - days[at]), np.abs(times - days[at - 1])) if days.size > 1 else np.abs(times - days[0])
        if days.size and np.all(near < 1.0 / 24):  # (every record time within an hour of a month's)
            return step, months, None
    # (more irregular times than that: daily maps; their median step drifted through the day, a review)
    return (step, None, [float(t) for t in times]) if times.size <= MAX_GRID_TIMES else (None, None, None)


def _record_days(obs) -> np.ndarray | None:
    """A gridded record's distinct times (days, sorted), from its table or (streamed) its time coordinate."""
    table, names = getattr(obs, "table", None), getattr(obs, "names", None)
    if not getattr(obs, "gridded", False):
        return None
    if table is not None and table.time is not None:
        t = np.asarray(table.time)
        return np.unique(t[np.r_[True, t[1:] != t[:-1]]])
    if (table is None and obs.time_axis is not None and obs.dataset is not None and names is not None
            and names.time in obs.dataset.coords):
        return np.unique(obs.time_axis.to_days(np.asarray(obs.dataset[names.time].values).ravel()))
    return None


def monthly_times(axis, lo: float, hi: float, months: int = 1) -> np.ndarray:
    """A record's times over its window ``lo`` to ``hi`` (days on ``axis``) every ``months`` calendar months, placed
    in each month as the first time is in its own: at a month's start, at its middle (CF's mid-month stamps, the
    middle of the month's bounds: 15 February of a noleap year, 16 January at noon), on its last day, or on the
    same day of the month (clipped to the month's length), at the same time of day.

    Parameters
    ----------
    axis : geoinr.coords.TimeAxis
        Dates (datetime64 or a cftime calendar).
    lo, hi : float
        The window, in the axis' days.
    months : int
        Months between times (3: seasons, 12: years).

    Returns
    -------
    numpy.ndarray
        The times, in the axis' own type.

    Examples
    --------
    >>> import pandas as pd
    >>> ax = _coords.TimeAxis.from_values(pd.to_datetime(["2000-01-16T12:00", "2000-03-16T12:00"]).values)
    >>> lo, hi = ax.to_days(pd.to_datetime(["2000-01-16T12:00", "2000-03-16T12:00"]).values)
    >>> [str(t)[:16] for t in monthly_times(ax, lo, hi)]
    ['2000-01-16T12:00', '2000-02-15T12:00', '2000-03-16T12:00']
    """
    first = axis.from_days(np.array([lo]))[0]
    stamp = pd.Timestamp(first) if axis.kind == "datetime64" else first
    year, month = stamp.year, stamp.month

    def start(k):  # the first instant of the k-th month after the first's, in days
        y, m = year + (month - 1 + k) // 12, (month - 1 + k) % 12 + 1
        value = (np.datetime64(f"{y:04d}-{m:02d}-01", "ns") if axis.kind == "datetime64"
                 else type(first)(y, m, 1, calendar=first.calendar))
        return float(axis.to_days(np.array([value]))[0])

    a, b = start(0), start(1)
    middle = abs(lo - 0.5 * (a + b)) < 1.0 / 24  # within an hour of the month's middle
    offset, gap = lo - a, b - lo  # (days from the month's start; to the next one's: under a day on its last day)
    times, k = [lo], months
    while len(times) < MAX_MONTHS:
        a, b = start(k), start(k + 1)
        if middle:
            t = 0.5 * (a + b)
        elif gap <= 1.0:
            t = b - gap
        else:
            t = a + offset if a + offset < b else b - 1.0 + offset % 1.0  # (the 31st: the month's last day)
        if t > hi + 1e-6:
            break
        times.append(t)
        k += months
    return np.asarray(axis.from_days(np.array(times)))


def warn_short_variables(table: _coords.PointTable, variables, region: tuple, time_range, gridded: bool = False) -> None:
    """Warn of a variable fitted with others whose own observations end well inside the shared region or time
    window (further than :func:`margins` of its own extent): the fitted region and window are those of every
    variable together, so beyond its own it is extrapolated, not held or masked as it would be fitted alone (a
    review: SST observed for 3 of 8 days reached 2.3-3.3 K errors by the eighth with a std of 0.13 K, and no word).

    Parameters
    ----------
    table : geoinr.coords.PointTable
        The observations (values (n, k), NaN where a variable is not observed).
    variables : list of str
        The names of its columns.
    region, time_range : tuple
        The fitted region (west, east, south, north) and window (first, last days; None without time).
    gridded : bool
        A grid (its region ends where it ends: :func:`extent`).

    Examples
    --------
    >>> t = _coords.PointTable(np.zeros(4), np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 0.0, 10.0, 10.0]),
    ...                        np.array([[1.0, 2.0], [1.0, 2.0], [1.0, np.nan], [1.0, np.nan]]))
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_short_variables(t, ["sla", "sst"], (0.0, 0.0, 0.0, 3.0), (0.0, 10.0))
    >>> str(seen[0].message)[:65]
    "'sst' is observed only over days 0 to 0 of the record's 0 to 10 a"
    """
    if len(variables) < 2:
        return
    for j, v in enumerate(variables):
        rows = np.isfinite(table.values[:, j])
        if rows.all() or rows.sum() < 2:
            continue
        own = extent(_coords.PointTable(table.lon[rows], table.lat[rows], None if table.time is None
                                        else table.time[rows], table.values[rows][:, [j]]), gridded=gridded)
        m_lon, m_lat, m_t = margins(*own)
        said = []
        if own[1] is not None and time_range is not None and (own[1][0] - time_range[0] > m_t
                                                               or time_range[1] - own[1][1] > m_t):
            said.append(f"over days {own[1][0] - time_range[0]:.3g} to {own[1][1] - time_range[0]:.3g} of the "
                        f"record's 0 to {time_range[1] - time_range[0]:.3g}")
        (w, e, s, n), (w0, e0, s0, n0) = own[0], region
        west_gap = float(_east_of(w0, w))  # degrees its own western edge lies east of the region's
        west_gap = west_gap if west_gap <= (e0 - w0) else 0.0
        east_gap = (e0 - w0) - west_gap - (e - w)
        if s - s0 > m_lat or n0 - n > m_lat or west_gap > m_lon or east_gap > m_lon:
            said.append(f"over {s:.4g} to {n:.4g} N, {w:.4g} to {e:.4g} E of the region's {s0:.4g} to {n0:.4g} N, "
                        f"{w0:.4g} to {e0:.4g} E")
        if said:
            warnings.warn(
                f"{v!r} is observed only {' and '.join(said)}: the fitted region and window are those of every "
                f"variable together, so beyond its own it is extrapolated from the others' (not held at its edges, "
                f"masked by outside='nan' or warned of as a variable fitted alone). Fit {v!r} alone for maps of "
                f"its own extent.", GeoinrWarning, stacklevel=user_stacklevel())


def extent(table: _coords.PointTable, gridded: bool = False) -> tuple:
    """(region, time_range) of a point table: (west, east, south, north) degrees and (first, last) days or None
    (:func:`fitted_region`; a grid's region ends where the grid does: its edge is a product's choice, not a hole
    of the tracks).

    Examples
    --------
    >>> t = _coords.PointTable(np.array([170.0, -170.0]), np.array([10.0, 20.0]), None, np.zeros((2, 1)))
    >>> extent(t)  # across the dateline, east runs past 180
    ((170.0, 190.0, 10.0, 20.0), None)
    """
    time_range = None if table.time is None else (float(np.min(table.time)), float(np.max(table.time)))
    return fitted_region(_coords.longitude_span(table.lon), table.lat, float(np.min(table.lat)),
                         float(np.max(table.lat)), caps=not gridded), time_range


def fitted_region(span: tuple, lat, south: float, north: float, caps: bool = True) -> tuple:
    """(west, east, south, north) of data over the longitudes ``span`` (:func:`geoinr.coords.longitude_span`) at
    latitudes ``lat`` (all of them; None: the band's equatorward edge) from ``south`` to ``north``: every longitude where the widest gap
    between them is no wider than :data:`GLOBAL_GAP_DEG` at the equator's scale (in km at their equatorward side),
    and, with ``caps``, reaching a pole over a cap they ring (:func:`with_polar_caps`; a global grid from 80 S to
    80 N was widened to both poles, Antarctica included: a review).

    Parameters
    ----------
    span : (float, float)
        The data's (west, east) longitudes, east past west (:func:`geoinr.coords.longitude_span`).
    lat : array-like or None
        Their latitudes (degrees); None where only the band's edges are known (a streamed record).
    south, north : float
        The data's latitude range (degrees).
    caps : bool
        Widen to a pole over a polar cap the data ring (scattered records; a grid ends where it ends).

    Returns
    -------
    tuple
        (west, east, south, north) degrees.

    Examples
    --------
    >>> fitted_region((0.0, 20.0), None, 30.0, 40.0)
    (0.0, 20.0, 30.0, 40.0)
    >>> fitted_region((0.0, 355.0), [60.0, 65.0], 60.0, 65.0)[:2]  # a 5 deg gap at 60 N: every longitude
    (-180.0, 180.0)
    """
    west, east = span
    # measured at the data's equatorward side (a low quantile of |lat|): a 60 deg gap of an Arctic record dense
    # near the pole is 2,700 km at its 66 N edge (at its median latitude, 84 N, it read as narrow: a review); ``lat``
    # None (a streamed record, whose sample may miss its edge): at its equatorward edge
    if lat is None:
        edge = 0.0 if south <= 0.0 <= north else min(abs(south), abs(north))
    else:
        lat = np.asarray(lat, dtype=np.float64)
        edge = float(np.quantile(np.abs(lat), GLOBAL_GAP_QUANTILE)) if lat.size else 0.0
    squeeze = np.cos(np.radians(edge))
    if 0.0 < 360.0 - (east - west) and (360.0 - (east - west)) * squeeze <= GLOBAL_GAP_DEG:
        west, east = -180.0, 180.0
    return with_polar_caps((west, east, south, north)) if caps else (west, east, south, north)


def with_polar_caps(region: tuple) -> tuple:
    """``region`` (west, east, south, north) reaching a pole where its data ring the polar cap: every longitude,
    and the cap's radius (degrees from the pole) no larger than the band's width nor :data:`POLAR_CAP_MAX_DEG`.

    Altimetry ends at the orbit's inclination (81.5 N for SARAL, 66 N for Jason): the cap above is a hole the
    tracks surround on all sides, not a region beyond the data. Taken as outside, each target there was held at the
    last latitude of its own longitude (a pole of eight values, twice the error of the network's own map: a review),
    masked by ``outside="nan"`` and left off ``target_grid``. A zonal band far from the pole (30-50 N) is not widened.

    Examples
    --------
    >>> with_polar_caps((-180.0, 180.0, 66.0, 81.45))
    (-180.0, 180.0, 66.0, 90.0)
    >>> with_polar_caps((-180.0, 180.0, 30.0, 50.0)), with_polar_caps((0.0, 90.0, 66.0, 81.45))
    ((-180.0, 180.0, 30.0, 50.0), (0.0, 90.0, 66.0, 81.45))
    >>> with_polar_caps((-180.0, 180.0, -70.0, -50.0))  # Antarctica is no hole between tracks
    (-180.0, 180.0, -70.0, -50.0)
    """
    west, east, south, north = region
    if east - west < 360.0:
        return region
    widest = min(north - south, POLAR_CAP_MAX_DEG)
    if 0.0 < 90.0 - north <= widest:
        north = 90.0
    if 0.0 < 90.0 + south <= widest:
        south = -90.0
    return west, east, south, north


OUTSIDE = ("hold", "nan", "extrapolate")  # predict(outside=): what a target outside the fitted region and window gets


def check_outside(outside: str) -> str:
    """``outside``, or a ValueError naming the choices (:data:`OUTSIDE`).

    Examples
    --------
    >>> check_outside("nan")
    'nan'
    >>> check_outside("mask")
    Traceback (most recent call last):
    ...
    ValueError: outside='mask': give 'hold' (values of the nearest point of the fitted region and window), 'nan' (masked far outside them and inside the record's gaps) or 'extrapolate' (the network's own values).
    """
    if not isinstance(outside, str) or outside not in OUTSIDE:
        raise ValueError(f"outside={outside!r}: give 'hold' (values of the nearest point of the fitted region and "
                         "window), 'nan' (masked far outside them and inside the record's gaps) or 'extrapolate' (the "
                         "network's own values).")
    return outside


def observed_days(days) -> np.ndarray:
    """The distinct observed times, in days, floored to :data:`GAP_RESOLUTION_DAYS` (what :func:`time_gaps` reads;
    cheap to gather block by block from data too large for memory)."""
    steps = np.floor(np.asarray(days, dtype=np.float64).ravel() / GAP_RESOLUTION_DAYS)
    steps = steps[np.isfinite(steps)]
    if steps.size > 1:  # runs of one time (a grid's rows, a pass's seconds) first: the sort is then short
        steps = steps[np.r_[True, steps[1:] != steps[:-1]]]
    return np.unique(steps) * GAP_RESOLUTION_DAYS


def time_gaps(days, time_range: tuple | None) -> list:
    """The far parts of the record's gaps: ``[(start, end), ...]`` days whose every time lies more than half a gap's
    least length from every observed time (see :data:`GAP_MIN_DAYS`). Targets there were fitted to no data: a
    model warns about them and ``predict(..., outside="nan")`` masks them, as past the window's ends.

    Parameters
    ----------
    days : array-like
        Observed times in days (repeats and NaN allowed), or :func:`observed_days` of them.
    time_range : tuple or None
        (first, last) day of the record (for its margin, :func:`margins`); None: no gap.

    Returns
    -------
    list of tuple

    Examples
    --------
    >>> days = list(range(0, 100)) + list(range(160, 365))  # daily, with a two-month outage
    >>> time_gaps(days, (0.0, 364.0))
    [(109.125, 150.0)]
    >>> time_gaps(range(0, 3650, 30), (0.0, 3630.0))  # monthly: no gap
    []
    """
    if time_range is None:
        return []
    seen = observed_days(days)
    steps = np.diff(seen)
    if steps.size == 0:
        return []
    least = max(GAP_MIN_DAYS, GAP_STEPS * _usual_step(steps), 2.0 * margins((0.0, 1.0, 0.0, 1.0), time_range)[2])
    wide = np.flatnonzero(steps > least + GAP_RESOLUTION_DAYS)  # (floored times: a step may read 3 h long)
    return [(float(seen[i] + GAP_RESOLUTION_DAYS + least / 2), float(seen[i + 1] - least / 2)) for i in wide]


def _usual_step(steps: np.ndarray) -> float:
    """The record's usual step between observed times: the upper quartile of the steps. The median took a satellite
    crossing a box twice a cycle, hours apart, for a record sampled every few hours, and its cycle's step for gaps (a
    review); a step weighted by its length took two cruises three months apart for a record sampled every 90 days."""
    return float(np.quantile(steps, GAP_STEP_QUANTILE))


def gap_times(gaps, t) -> np.ndarray:
    """Boolean mask of the times ``t`` (days) inside the far parts of the gaps :func:`time_gaps` found.

    Examples
    --------
    >>> gap_times([(109.125, 150.0)], [100.0, 120.0, 155.0]).tolist()
    [False, True, False]
    """
    t = np.asarray(t, dtype=np.float64)
    inside = np.zeros(t.shape, dtype=bool)
    for start, end in gaps or ():
        inside |= (t > start) & (t < end)
    return inside


def _east_of(west: float, lon) -> np.ndarray:
    """Degrees east of the meridian ``west``, in [0, 360)."""
    return (np.asarray(lon, dtype=np.float64) - west) % 360.0


def margins(region: tuple, time_range: tuple | None = None) -> tuple:
    """(longitude, latitude degrees, days or None): how far outside ``region`` and ``time_range`` a point may lie
    before :func:`far_outside` calls it far (a tenth of each span, at least :data:`REGION_MARGIN_DEG` degrees;
    :data:`WINDOW_MARGIN` of the window, at least :data:`WINDOW_MARGIN_DAYS`, or :data:`WINDOW_SHORT_SHARE` of a
    window shorter than four of them, and at most :data:`WINDOW_MARGIN_MAX_DAYS`).

    Examples
    --------
    >>> margins((0.0, 40.0, 30.0, 46.0), (0.0, 200.0))
    (4.0, 1.6, 2.0)
    >>> margins((0.0, 40.0, 30.0, 46.0), (0.0, 10.0))[2], margins((0.0, 40.0, 30.0, 46.0), (0.0, 2.0))[2]
    (1.0, 0.5)
    >>> margins((0.0, 40.0, 30.0, 46.0), (0.0, 3652.0))[2]  # ten years: 5 days, not 36.5
    5.0
    """
    west, east, south, north = region
    span = None if time_range is None else time_range[1] - time_range[0]
    m_t = None if span is None else max(1e-9, min(WINDOW_MARGIN * span, WINDOW_MARGIN_MAX_DAYS),
                                        min(WINDOW_MARGIN_DAYS, WINDOW_SHORT_SHARE * span))
    return max(REGION_MARGIN_DEG, 0.1 * (east - west)), max(REGION_MARGIN_DEG, 0.1 * (north - south)), m_t


def far_outside(region: tuple, time_range: tuple | None, lon, lat, t=None, gaps=()) -> np.ndarray:
    """Boolean mask of the points far outside ``region`` (west, east, south, north degrees) or ``time_range``
    (first, last days): more than a tenth of the span (at least :data:`REGION_MARGIN_DEG` degrees) beyond an
    edge, or beyond :func:`margins`' time margin (1 % of the window, at least a day or a quarter of a window under
    four days, at most :data:`WINDOW_MARGIN_MAX_DAYS`) before or after it, or inside the far part of a gap of the
    record (``gaps``, :func:`time_gaps`). Non-finite points are not far.

    These are the points a fitted model warns about (it was not fitted there) and the ones
    ``predict(..., outside="nan")`` masks.

    Parameters
    ----------
    region : tuple
        (west, east, south, north) of the fitted data (:func:`extent`; ``east`` may exceed 180).
    time_range : tuple or None
        (first, last) day of the fitted data; None when it had no time.
    lon, lat : array-like
        Degrees of the points (any longitude convention).
    t : array-like, optional
        Their times (days, on the fitted data's axis).
    gaps : list of tuple, optional
        The record's gaps (:func:`time_gaps`).

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> far_outside((-10.0, 10.0, 30.0, 40.0), None, [0.0, 11.0, 14.0, 345.0], [35.0, 35.0, 35.0, 35.0]).tolist()
    [False, False, True, True]
    """
    west, east, south, north = region
    m_lon, m_lat, m_t = margins(region, time_range)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    rel = _east_of(west - m_lon, lon)  # degrees east of the margin's western edge
    far = (rel > (east - west) + 2.0 * m_lon) | (lat < south - m_lat) | (lat > north + m_lat)
    if t is not None and time_range is not None:
        lo, hi = time_range
        t = np.asarray(t, dtype=np.float64)
        far |= (t < lo - m_t) | (t > hi + m_t) | gap_times(gaps, t)
    return far & np.isfinite(lon) & np.isfinite(lat)


def nearest_inside(region: tuple, time_range: tuple | None, lon, lat, t=None) -> list:
    """The points moved to the nearest point of ``region`` and ``time_range``: longitude, latitude and time each
    held at the edge they lie beyond (the rule of ``numpy.interp`` at its ends); points inside are returned
    unchanged, to the bit.

    How a fitted model evaluates targets outside what it was fitted to (``predict(outside="hold")``): a coordinate
    network's own values there follow no data and can run far from anything the data hold (a one-day record of
    one satellite, mapped onto a box three times as wide as its passes, scored worse than a map of zeros).

    Parameters
    ----------
    region, time_range : tuple
        As :func:`far_outside`.
    lon, lat, t : array-like
        The points (degrees, and days or None).

    Returns
    -------
    list of numpy.ndarray
        ``[lon, lat]`` (and ``t`` where given), in the dtypes given; a held longitude is the edge's, within 360
        degrees of the point's.

    Examples
    --------
    >>> lon, lat, t = nearest_inside((350.0, 370.0, 30.0, 40.0), (0.0, 2.0), [0.0, 20.0, 300.0], [35.0, 45.0, 20.0],
    ...                              [1.0, 3.0, -1.0])
    >>> lon.tolist(), lat.tolist(), t.tolist()
    ([0.0, 370.0, 350.0], [35.0, 40.0, 30.0], [1.0, 2.0, 0.0])
    """
    west, east, south, north = region
    span = east - west
    out = []
    lon_ = np.asarray(lon)
    if span < 360.0:
        rel = _east_of(west, lon_)
        beyond = rel > span
        nearer_east = rel - span < 360.0 - rel
        edge = np.where(nearer_east, east, west)
        lon_ = np.where(beyond, edge, lon_).astype(np.asarray(lon).dtype, copy=False)
    out.append(lon_)
    lat_ = np.asarray(lat)
    out.append(np.where((lat_ < south) | (lat_ > north), np.clip(lat_, south, north), lat_).astype(lat_.dtype, copy=False))
    if t is not None:
        t_ = np.asarray(t)
        if time_range is not None:
            lo, hi = time_range
            t_ = np.where((t_ < lo) | (t_ > hi), np.clip(t_, lo, hi), t_).astype(t_.dtype, copy=False)
        out.append(t_)
    return out


def lon_convention(lon_min: float, lon_max: float) -> str:
    """``"360"`` for longitudes given in [0, 360) (some above 180), else ``"180"``.

    Examples
    --------
    >>> lon_convention(0.5, 359.5), lon_convention(-179.5, 179.5)
    ('360', '180')
    """
    return "360" if lon_min >= -_coords.COORD_ROUNDING_DEG and lon_max > 180 else "180"  # (0 E packed: -2.8e-14)


def _coord_names(names: _coords.CoordNames) -> dict:
    return {"lat": str(names.lat), "lon": str(names.lon), "time": None if names.time is None else str(names.time)}


def _check_unique(var_list) -> None:
    repeated = sorted({str(v) for v in var_list if var_list.count(v) > 1})
    if repeated:
        raise ValueError(
            f"Variable(s) {repeated} are named more than once in {list(var_list)}; each output needs its own "
            f"variable. Name each once (to fit two copies, give the copy another name: ds.assign(b=ds['a']))."
        )


def _as_list(variables) -> list:
    """Variable names as a list (one name, or a sequence of them)."""
    one = isinstance(variables, (str, bytes)) or not isinstance(variables, Sequence)
    return [variables] if one else list(variables)


def _ancillary(ds: xr.Dataset) -> set:
    """Names of the variables that CF attributes call cell bounds or grid mappings (``crs``, ``lat_bnds``, ...)."""
    out = set()
    for var in ds.variables.values():
        for key in ("bounds", "climatology", "grid_mapping"):
            words = str(var.attrs.get(key, "")).split()
            out |= {w.rstrip(":") for w in words if w.endswith(":")} or set(words)  # "crs: x y" names crs
    return out


def resolve_variables(ds: xr.Dataset, variables, names: _coords.CoordNames, *, single: bool = False) -> list:
    """The data variables to fit: the ones named, or the only numeric one.

    Without names, the candidates are the numeric data variables that span a
    dimension of the latitude or longitude, leaving out the coordinates, scalars
    (such as ``crs``) and the variables named by a ``bounds`` or ``grid_mapping``
    attribute (such as ``lat_bnds``), and quality flags (``flag_values``, ``flag_masks``, ``flag_meanings``: they
    are categories, not a field). ``single=True`` (the baselines) asks for
    exactly one variable, with messages in the baselines' call form ``fit(obs, 'sla')``.
    """
    if variables is not None:
        var_list = _as_list(variables)
        if not var_list:
            raise ValueError(f"variables is empty; name at least one of {list(ds.data_vars)}.")
        _check_unique(var_list)
        for v in var_list:
            if v not in ds.data_vars:
                hint = f" Pass one of them, e.g. fit(obs, {next(iter(ds.data_vars), 'sla')!r})." if single else ""
                if isinstance(v, (int, float)) and not isinstance(v, bool):  # ds.inr.fit(60): a budget as a name
                    hint += (f" fit()'s first argument names the variable(s); give numbers as keywords, e.g. "
                             f"fit({next(iter(ds.data_vars), 'sla')!r}, max_time={v!r}).")
                raise ValueError(f"Variable {v!r} is not in this Dataset. Data variables: {list(ds.data_vars)}."
                                 f"{did_you_mean(v, ds.data_vars)}{hint}")
        return var_list
    skip = {names.lat, names.lon, names.time} | _ancillary(ds)
    point_dims = set(ds[names.lat].dims) | set(ds[names.lon].dims)
    flags = ("flag_values", "flag_masks", "flag_meanings")
    cands = [k for k, v in ds.data_vars.items()
             if k not in skip and v.dtype.kind in "fiuc" and point_dims & set(v.dims) and not set(flags) & set(v.attrs)]
    if single and len(cands) != 1:
        what = f"several data variables {cands}" if cands else f"no numeric data variable ({list(ds.data_vars)})"
        raise ValueError(f"This Dataset has {what}; say which one to map, e.g. fit(obs, 'sla').")
    if not cands:
        raise ValueError(
            f"This Dataset has no numeric data variable to fit (data variables: {list(ds.data_vars)}). "
            f"Pass variables='<name>'."
        )
    if len(cands) > 1:
        raise ValueError(
            f"This Dataset has several data variables {cands}; pass variables='{_likely_field(ds, cands)}' "
            f"(or a list to fit them jointly)."
        )
    return cands


def _likely_field(ds: xr.Dataset, cands: list):
    """The candidate to suggest: a sea level (its standard_name) or a float in units of length before a counter
    (the SARAL L3 file's first numeric variable is its cycle number)."""
    def rank(k):
        v = ds[k]
        length = v.dtype.kind == "f" and metres_per_length_unit(v.attrs.get("units")) is not None
        return not is_height(v.attrs.get("standard_name")), not length, v.dtype.kind != "f"
    return min(cands, key=rank)


def describe(data, variables, lat=None, lon=None, time=None, *, single: bool = False):
    """Coordinate names, variable names and variable objects of an xarray Dataset or DataArray (nothing is read).

    A Dataset's time is left out (a purely spatial fit, as ``time=False``) where no variable fitted spans it: a
    mean dynamic topography or a bathymetry on (lat, lon) beside a sea level on (time, lat, lon) was fitted once per
    time, and its copy from ``fill_gaps`` or ``regrid`` gained the time it does not have (a review)."""
    fitted = _as_list(variables) if variables is not None else ()
    names = _coords.find_coords(data, lat=lat, lon=lon, time=time, variables=fitted)
    if isinstance(data, xr.Dataset):
        var_names = resolve_variables(data, variables, names, single=single)
        steps = set(data[names.time].dims) if names.time is not None else set()
        if time is None and steps and not any(steps & set(data[v].dims) for v in var_names):
            names = dataclasses.replace(names, time=None)
        return names, var_names, [data[v] for v in var_names]
    if variables is not None and variables not in ([data.name], data.name):
        raise ValueError(f"variables={variables!r} given for a DataArray named {data.name!r}; leave it out.")
    return names, [data.name if data.name is not None else "values"], [data]


def _time_along_positions(data, names) -> bool:
    """Whether ``data``'s time runs along a dimension of its latitude or longitude (tracks, swaths: each line or
    point its own instant), not apart from them (grids)."""
    present = data.variables if isinstance(data, xr.Dataset) else data.coords
    if names.time is None or names.time not in present:
        return False
    return bool(set(present[names.time].dims) & (set(data[names.lat].dims) | set(data[names.lon].dims)))


def _is_stations(data, names) -> bool:
    """Series at fixed points: latitude and longitude over one dimension of their own (``station``) and a time
    apart from it (a tide-gauge network's ``(station, time)``)."""
    lat, lon = data[names.lat], data[names.lon]
    return bool(lat.ndim == 1 and lat.dims == lon.dims and names.time is not None and data[names.time].ndim >= 1
                and not _time_along_positions(data, names))


def _is_gridded(data, names) -> bool:
    """A grid has latitude and longitude as separate dimensions (1-D axes, or 2-D curvilinear coordinates) and its
    time apart from them: a swath (SWOT's ``num_lines`` x ``num_pixels``) has 2-D coordinates too, but its time runs
    along one of their dimensions (each line its own instant), and it is fitted as scattered observations (a review:
    as a grid, its scales came from the pixel spacing, 1.7 km on 80 passes of 2 km pixels, and it held none out)."""
    lat, lon = data[names.lat], data[names.lon]
    if _time_along_positions(data, names):
        return False
    if lat.ndim == 2 or lon.ndim == 2:
        return True
    return lat.ndim == 1 and lon.ndim == 1 and lat.dims != lon.dims


def mask_fills(table: _coords.PointTable, var_names, var_objs=None) -> _coords.PointTable:
    """The table with undeclared fill values (:mod:`geoinr.sentinels`) set missing, and a warning for each variable.

    ``var_objs`` are the xarray variables (their packing tells the packed extremes);
    rows left with no finite value are dropped.

    Examples
    --------
    >>> import warnings
    >>> t = _coords.PointTable(lon=np.zeros(5), lat=np.arange(5.0), time=None,
    ...                        values=np.array([[0.1], [0.2], [-0.1], [0.0], [-999.0]]))
    >>> with warnings.catch_warnings(record=True):
    ...     len(mask_fills(t, ["sla"]))
    4
    """
    values, changed = table.values, False
    objs = list(var_objs) if var_objs is not None else [None] * len(var_names)
    for j, (name, obj) in enumerate(zip(var_names, objs)):
        packed = _sentinels.packed_extremes(obj) if obj is not None else {}
        found = _sentinels.screen(values[:, j], str(name), packed, declared=_sentinels.declares_fill(obj))
        fills = found.mask(values[:, j]) if found.active else None
        if fills is None or not fills.any():
            continue
        n_valid = int(np.isfinite(values[:, j]).sum())
        warnings.warn(found.describe(int(fills.sum()), n_valid, values[fills, j]), GeoinrWarning,
                      stacklevel=user_stacklevel())
        if not changed:
            values, changed = values.copy(), True
        values[fills, j] = np.nan
    if not changed:
        return table
    return table.subset(np.isfinite(values).any(axis=1), values)


def mask_fills_lazy(dataset: xr.Dataset, var_names, sample: _coords.PointTable) -> tuple[xr.Dataset, dict]:
    """Dask-backed data with undeclared fill values masked lazily, the rule set from ``sample`` (its values).

    Returns the dataset (each screened variable wrapped in a lazy ``where``) and, by
    variable, ``(screen, fills, raw)``: the :class:`~geoinr.sentinels.Screen`, the lazy
    mask and the variable before masking, for the warning once the values have been
    counted (:func:`warn_fills`).
    """
    screens = {}
    for j, v in enumerate(var_names):
        var = dataset[v]
        if any(k in var.attrs for k in ("scale_factor", "add_offset")):
            continue  # still packed (opened without decoding): its numbers are not in decoded units yet
        found = _sentinels.screen(sample.values[:, j], str(v), _sentinels.packed_extremes(var), sample=True,
                                  declared=_sentinels.declares_fill(var))
        if not found.active:
            continue
        fills = xr.apply_ufunc(found.mask, var, dask="parallelized", output_dtypes=[bool])
        dataset = dataset.assign({v: var.where(~fills)})
        screens[v] = (found, fills, var)
    return dataset, screens


def warn_fills(screens: dict, stats: dict) -> None:
    """Warn for each lazily screened variable that had fills, from the dask pass's ``stats``.

    ``stats`` holds ``fills:<v>`` (how many), ``n:<v>`` (valid values left) and
    ``fill_min:<v>``/``fill_max:<v>`` (the extremes of the masked values).
    """
    for v, (found, _, _) in screens.items():
        n = int(stats[f"fills:{v}"])
        if n:
            seen = [float(stats[f"fill_min:{v}"]), float(stats[f"fill_max:{v}"])]
            warnings.warn(found.describe(n, n + int(stats[f"n:{v}"]), seen), GeoinrWarning,
                          stacklevel=user_stacklevel())


def _warn_repeated_times(data, names) -> None:
    """Warn where a gridded record's (or a swath's: its lines') time axis repeats times (two overlapping files
    concatenated): the repeated maps are fitted once per copy, weighted double, in silence before (a review)."""
    if names.time is None or data[names.time].ndim != 1:
        return
    swath = _time_along_positions(data, names) and max(data[names.lat].ndim, data[names.lon].ndim) == 2
    if not (swath or _is_gridded(data, names)):
        return
    times = pd.Index(np.asarray(data[names.time].values)).dropna()  # (missing stamps: dropped with their rows)
    if times.has_duplicates:
        n = int(times.duplicated().sum())
        dim = data[names.time].dims[0]
        warnings.warn(f"The time axis {names.time!r} repeats {n:,} of its {times.size:,} times (overlapping files "
                      f"concatenated?): their maps are fitted once per copy, weighted as many times. Drop the copies "
                      f"first: ds.drop_duplicates({dim!r}).", GeoinrWarning, stacklevel=user_stacklevel())


def _warn_land(data, names, var_objs, table: _coords.PointTable | None = None, role: str = "fitted") -> None:
    """Land stored as an ordinary number, which the fill rules cannot see: warn where a gridded record's cells hold
    one value at every time (:func:`geoinr.sentinels.warn_constant_cells`; ``table``: the values kept, in memory)."""
    if names.time is None or data[names.time].ndim != 1 or not _is_gridded(data, names):
        return
    for j, var in enumerate(var_objs):
        _sentinels.warn_constant_cells(var, data[names.time].dims[0],
                                       kept=None if table is None else table.values[:, j], role=role)


#: endings of a variable's quality-flag companion by name (SWOT's ``ssha_karin_2_qual``, Argo's ``temp_qc``)
QUALITY_SUFFIXES = ("_qual", "_quality", "_quality_flag", "_flag", "_flags", "_qc")
CF_FLAG_ATTRS = ("flag_values", "flag_masks", "flag_meanings")


def quality_flags(data, name, var) -> list:
    """Names of ``var``'s quality-flag variables in the Dataset ``data``, on dims of ``var``'s: those its CF
    ``ancillary_variables`` (or SWOT's ``quality_flag``) attribute lists that carry CF flag attributes (a count of
    observations listed there is no flag: a review), and those named after it (:data:`QUALITY_SUFFIXES`) with flag
    attributes or integer or character values (Argo's ``TEMP_QC``).

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"ssha": ("x", [0.1, 0.2]), "ssha_qual": ("x", [0, 1], {"flag_masks": [1]})})
    >>> quality_flags(ds, "ssha", ds.ssha)
    ['ssha_qual']
    """
    if not isinstance(data, xr.Dataset):
        return []
    listed = (str(var.attrs.get("ancillary_variables", "")) + " " + str(var.attrs.get("quality_flag", ""))).split()
    named = {f"{name}{s}".lower() for s in QUALITY_SUFFIXES}
    out = []
    for cand in dict.fromkeys(listed + [c for c in data.variables if str(c).lower() in named]):
        flag = data.variables.get(cand)
        if cand == name or flag is None or not flag.dims or not set(flag.dims) <= set(var.dims):
            continue
        meanings = str(flag.attrs.get("flag_meanings", "")).lower().split()
        if set(meanings) & SURFACE_TYPES and not any(w in m for m in meanings for w in QUALITY_WORDS):
            continue  # GHRSST's mask: water, land, ice (its ice-covered sea valid); a cloud or quality mask is kept
        if any(k in flag.attrs for k in CF_FLAG_ATTRS) or (str(cand).lower() in named and _flag_values(flag)):
            out.append(cand)
    return out


SURFACE_TYPES = {"water", "land", "sea", "ice", "sea_ice", "lake", "optional_lake_surface", "optional_river_surface",
                 "open_sea", "coast"}  # flag meanings of what a place is, not of a value's quality
QUALITY_WORDS = ("bad", "good", "suspect", "cloud", "quality", "invalid", "valid", "error", "flag")
def _flag_values(flag) -> bool:
    """Whether a variable holds flag-like values: integers or booleans, or characters (Argo's b'1' objects; only
    its first value read: a lazy record is not loaded for it)."""
    if flag.dtype.kind in "iubSU":
        return True
    return flag.dtype.kind == "O" and flag.size > 0 and isinstance(
        np.asarray(flag[(0,) * flag.ndim].values).item(), (bytes, str))


FLAG_SAMPLE = 1_000_000  # values of a lazy record whose flags are read (its first blocks), not the whole record


def _warn_quality_flags(data, var_names, var_objs) -> None:
    """Warn where a fitted variable has quality flags (:func:`quality_flags`) that mark some of its finite values:
    geoinr reads no flag, so flagged values are fitted like the others (a review: SWOT pixels flagged bad, fitted in
    silence, doubled the map's RMSE). A lazy record's first values (:data:`FLAG_SAMPLE`) are read for it, not the
    whole record twice."""
    for name, var in zip(var_names, var_objs):
        for cand in quality_flags(data, name, var):
            flag, lazy = data[cand], data[cand].chunks is not None or var.chunks is not None
            if lazy:  # (SWOT passes opened with open_mfdataset were never checked: a review)
                side = max(1, int(FLAG_SAMPLE ** (1.0 / var.ndim)))
                first = {d: slice(0, side) for d in var.dims}
                var, flag = var.isel(first).compute(), flag.isel({d: s for d, s in first.items() if d in flag.dims}).compute()
            values, flags = xr.broadcast(var, flag)
            kept = np.isfinite(np.asarray(values.values, dtype=np.float64)) & np.asarray(flags.notnull().values)
            if not kept.any():
                continue
            seen, counts = np.unique(np.asarray(flags.values)[kept], return_counts=True)
            usual = seen[np.argmax(counts)]
            usual = usual.item() if isinstance(usual, np.generic) else usual  # (plain: flags with a fill are floats)
            usual = int(usual) if isinstance(usual, float) and usual.is_integer() else usual
            n_other = int(kept.sum() - counts.max())
            if n_other == 0:
                continue
            meanings = flag.attrs.get("flag_meanings")
            said = f" (flag_meanings: {str(meanings)[:80]!r})" if meanings is not None else ""
            sample = " (in a sample of its first values: the record is lazy)" if lazy else ""
            warnings.warn(
                f"{n_other:,} of {int(kept.sum()):,} values of {str(name)!r} carry a quality flag in {cand!r} other "
                f"than its usual {usual!r}{said}{sample}. geoinr reads no quality flag: they are fitted like the others. "
                f"Keep the values its flags call good first (check which: SWOT's 0, Argo's '1' and '2', GHRSST's "
                f"quality_level 4 and 5), e.g. ds[{str(name)!r}] = ds[{str(name)!r}].where(ds[{cand!r}] == {usual!r}); "
                f"once chosen, drop the flags (ds.drop_vars({cand!r})) and this warning goes.", GeoinrWarning,
                stacklevel=user_stacklevel())


def _kept_attrs(var_names, var_objs) -> dict:
    return {str(v): _kept(o) for v, o in zip(var_names, var_objs)}


def _kept(var) -> dict:
    """The attributes of ``var`` carried to the outputs: :data:`KEPT_ATTRS` as text, its valid range, and its
    ``cell_methods`` where they say a statistic over time (monthly means: the maps said "time: point", a review)."""
    attrs = getattr(var, "attrs", None) or {}
    over_time = time_method(attrs.get("cell_methods"))
    return {**{k: str(attrs[k]) for k in KEPT_ATTRS if k in attrs}, **valid_attrs(var),
            **({"cell_methods": str(attrs["cell_methods"])} if over_time else {})}


def time_method(cell_methods) -> str | None:
    """The clauses of CF ``cell_methods`` over time (a name with "time" in it: ``time``, ERA5's ``valid_time``), as
    written, where they name a statistic (not ``point``); else None.

    Parameters
    ----------
    cell_methods : str or None
        A variable's CF ``cell_methods``.

    Returns
    -------
    str or None

    Examples
    --------
    >>> time_method("area: mean time: mean"), time_method("time: point"), time_method(None)
    ('time: mean', None, None)
    >>> time_method("area: mean time: maximum within days time: mean over days")
    'time: maximum within days time: mean over days'
    >>> time_method("valid_time: mean")
    'valid_time: mean'
    """
    import re

    clauses = re.split(r"\s+(?=\w+:)", str(cell_methods or "").strip())
    over_time = [c for c in clauses if "time" in c.split(":")[0] and ":" in c]
    if not over_time or all(c.split(":", 1)[1].split()[:1] == ["point"] for c in over_time):
        return None
    return " ".join(over_time)


def valid_attrs(var) -> dict:
    """``{"valid_min": low, "valid_max": high}`` (floats, decoded units, the finite ones) of a variable's CF valid
    range: a fit reads values past it as missing, and its outputs are clipped to it and say so (a review: a sea-ice
    concentration's predictions ran from -0.004 to 1.07, 14 % of cells below 0, where ``regrid`` clipped them).

    Parameters
    ----------
    var : xarray.DataArray
        The variable (its ``valid_*`` attributes, packed integers unpacked by its encoding).

    Returns
    -------
    dict

    Examples
    --------
    >>> valid_attrs(xr.DataArray([0.5], attrs={"valid_range": [0.0, 1.0]}))
    {'valid_min': 0.0, 'valid_max': 1.0}
    >>> valid_attrs(xr.DataArray([0.5], attrs={"valid_min": 0}))
    {'valid_min': 0.0}
    """
    bounds = _coords._valid_bounds(var, widen=False) if hasattr(var, "attrs") else None
    if bounds is None:
        return {}
    return {k: float(b) for k, b in zip(("valid_min", "valid_max"), bounds) if np.isfinite(b)}


WEIGHTS_COLUMN = "__geoinr_weights__"  # the weights' name while they are read beside the variables


def _with_weights(data, var_names, weights) -> tuple:
    """``data`` as a Dataset with ``weights`` (a data variable's name, or a DataArray on its coordinates) beside the
    fitted variables under :data:`WEIGHTS_COLUMN`, read with them point by point."""
    names = [v if v is not None else "values" for v in var_names]
    ds = data.to_dataset(name=names[0]) if isinstance(data, xr.DataArray) else data
    if isinstance(weights, xr.DataArray):
        w = weights
    elif isinstance(weights, str) and weights in ds.data_vars:
        w = ds[weights]
    else:
        shown = repr(weights) if isinstance(weights, str) else f"a {type(weights).__name__}"
        raise ValueError(f"weights={shown}: give the name of a data variable of the Dataset (1/sigma^2 of each "
                         f"observation's error), or a DataArray on the data's coordinates"
                         + (did_you_mean(weights, [str(v) for v in ds.data_vars]) if isinstance(weights, str) else ""))
    target = ds[names[0]]
    if not set(w.dims) <= set(target.dims):
        raise ValueError(f"weights has dimensions {tuple(w.dims)}, not among the data's {tuple(target.dims)}: "
                         f"give one weight per observation (or per point of a dimension it shares).")
    # by coordinates, not by position (a DataArray from another file, reversed in time or shifted, was paired with
    # the wrong points in silence: a review); labels it lacks are missing weights, refused where observed
    w = w.reindex({d: target[d] for d in w.dims if d in target.indexes and d in w.indexes})
    return ds.assign({WEIGHTS_COLUMN: w.astype(np.float64)}), names + [WEIGHTS_COLUMN]


def _weights_apart(table: _coords.PointTable) -> _coords.PointTable:
    """A table read with its weights as the last column: the weights apart, the rows without an observation
    dropped."""
    values = np.ascontiguousarray(table.values[:, :-1])
    apart = _coords.PointTable(table.lon, table.lat, table.time, values, weights=table.values[:, -1])
    return apart.subset(np.isfinite(values).any(axis=1))


def _checked_weights(table: _coords.PointTable) -> _coords.PointTable:
    """The weights of the observations (after the fill screens) checked: finite and not negative, not all zero; the
    rows of weight 0 dropped (left out of the fit, its mean and spread and extent too: a review)."""
    w = table.weights
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        raise ValueError(f"weights: {int(bad.sum()):,} of {w.size:,} observations have a weight that is missing, "
                         f"negative or infinite (e.g. {w[bad][:3].tolist()}; a weights DataArray is matched to the "
                         f"data by its coordinates: labels it lacks are missing). Give every observation a weight "
                         f">= 0 (1/sigma^2 of its error; 0 leaves it out).")
    keep = w > 0
    if not keep.any():
        raise ValueError("weights: every observation has weight 0; nothing would be fitted.")
    return table if keep.all() else table.subset(keep)


def _described(data, found, var_names, var_objs, **fields) -> Observations:
    """An Observations of xarray data (``found``: its CoordNames): names, attributes and layout, plus ``fields``."""
    return Observations(
        variables=[str(v) for v in var_names], attrs=_kept_attrs(var_names, var_objs),
        coord_names=_coord_names(found), gridded=_is_gridded(data, found), stations=_is_stations(data, found), **fields,
    )


def _read_xarray(data, variables, lat, lon, time, single: bool, weights=None) -> Observations:
    names, var_names, var_objs = describe(data, variables, lat, lon, time, single=single)
    if any(v.size == 0 for v in var_objs):
        what = "observations are" if single else "data to fit is"
        raise ValueError(f"The {what} empty (sizes: {dict(data.sizes)}).")
    if weights is None:
        table, time_axis = _coords.points_from_xarray(data, var_names, names)
    else:
        data, read_names = _with_weights(data, var_names, weights)
        table, time_axis = _coords.points_from_xarray(data, read_names, names)
        table = _weights_apart(table)
    table = mask_fills(table, var_names, var_objs)  # (before the weights' check: a fill's cell needs no weight)
    if weights is not None:
        table = _checked_weights(table)
    _warn_land(data, names, var_objs, table)
    _warn_quality_flags(data, var_names, var_objs)
    _warn_repeated_times(data, names)
    lon_raw = np.asarray(data[names.lon].values, dtype=np.float64)
    lon_raw = lon_raw[np.isfinite(lon_raw)] if np.isfinite(lon_raw).any() else np.zeros(1)  # (numpy's All-NaN warning)
    convention = lon_convention(float(lon_raw.min()), float(lon_raw.max()))
    return _described(data, names, var_names, var_objs, table=table, time_axis=time_axis, lon_convention=convention)


def _values_from_dict_entry(data: Mapping, variables):
    """Baseline dict form ``{"lon", "lat"[, "time"], "<variable>"}``: the variable's values and name."""
    keys = {str(k).lower(): k for k in data}
    if "lon" not in keys or "lat" not in keys:
        raise ValueError(
            f"The observation dict needs keys 'lon', 'lat' (optionally 'time') and the variable; got {list(data)}."
        )
    others = [k for k in data if str(k).lower() not in ("lon", "lat", "time")]
    if variables is None:
        if len(others) != 1:
            raise ValueError(f"Say which entry of the dict to map: fit(obs, '<name>'); entries {others}.")
        variables = others[0]
    if not isinstance(variables, Hashable) or isinstance(variables, (list, tuple, np.ndarray)):
        raise TypeError(
            "This mapper reads the values from the dict itself: fit({'lon': lon, 'lat': lat, 'time': t, 'sla': "
            f"values}}, 'sla'); it got a {type(variables).__name__} where the name of the dict's entry goes."
        )
    if variables not in data:
        raise ValueError(f"Variable {variables!r} is not in the observation dict; entries: {others}.")
    return data[variables], variables


DICT_TIME_SPAN_WARN_DAYS = 36525.0  # plain-number times of a dict spanning more than a century: seconds or hours?


def _warn_long_plain_times(raw: np.ndarray, days: np.ndarray) -> None:
    """Warn where a dict's plain-number times, read as days (a dict has no ``units``), span more than a century:
    seconds read as days made a 700-year record in silence (a review), its scales with it."""
    if raw.dtype.kind not in "fiu" or not np.isfinite(days).any():
        return
    span = float(np.nanmax(days) - np.nanmin(days))
    if span > DICT_TIME_SPAN_WARN_DAYS:
        warnings.warn(
            f"The dict's 'time' holds plain numbers, read as days: they span {span:,.6g} days ({span / 365.25:,.0f} "
            f"years). If they are seconds or hours, convert them (t / 86400, t / 24) or pass datetime64 values.",
            GeoinrWarning, stacklevel=user_stacklevel())


def _read_dict(data: Mapping, values, variables, use_time: bool, weights=None) -> Observations:
    keys = {str(k).lower(): k for k in data}
    if "lon" not in keys or "lat" not in keys:
        raise ValueError(f"The coordinate dict needs keys 'lon' and 'lat' (and optionally 'time'); got {list(data)}.")
    each = None  # {name: kept attributes} of a dict of values (DataArrays keep their units, as one does)
    if isinstance(values, Mapping):  # {"sla": a, "sst": b}: a column each, named by its key ("dtype object": a review)
        chosen = list(values) if variables is None else [variables] if isinstance(variables, str) else list(variables)
        missing = [v for v in chosen if v not in values]
        if missing or not chosen:
            raise ValueError(f"variables={variables!r}: the values dict holds {list(values)}.")
        each = {str(v): _kept(values[v]) for v in chosen}
        variables = chosen if len(chosen) > 1 else chosen[0]
        values = np.column_stack([np.asarray(values[v], dtype=np.float64).ravel() for v in chosen])
    given_attrs = _kept(values)  # an xarray DataArray's units and names, as the xarray path keeps them
    if variables is None and np.ndim(values) == 1 and isinstance(getattr(values, "name", None), str):
        variables = values.name  # a named DataArray or pandas Series names its map
    vals = np.asarray(values)
    name = variables if isinstance(variables, str) else "values"
    if not (np.issubdtype(vals.dtype, np.floating) or np.issubdtype(vals.dtype, np.integer)) or vals.dtype == bool:
        what = "values" if variables is None else repr(name)
        raise TypeError(f"{what} have dtype {vals.dtype}; only numeric data can be fitted.")
    vals = vals.astype(np.float64)
    if vals.ndim == 1:
        vals = vals[:, None]
    n = vals.shape[0]
    lon = np.asarray(data[keys["lon"]], dtype=np.float64).ravel()
    lat = np.asarray(data[keys["lat"]], dtype=np.float64).ravel()
    time_axis, t = None, None
    if use_time and "time" in keys:
        traw = np.asarray(data[keys["time"]]).ravel()
        time_axis = _coords.TimeAxis.from_values(traw)
        t = time_axis.to_days(traw)
        _warn_long_plain_times(traw, t)
    for coord, arr in (("lon", lon), ("lat", lat), ("time", t)):
        if arr is not None and arr.shape[0] != n:
            raise ValueError(f"{coord} has {arr.shape[0]} values but values has {n} rows; they must match.")
    _coords._check_latitude(lat, "lat")
    _coords._check_longitude(lon, "lon")
    if variables is None:
        var_names = ["values"] if vals.shape[1] == 1 else [f"values_{i}" for i in range(vals.shape[1])]
    else:
        var_names = [variables] if isinstance(variables, str) else list(variables)
        _check_unique(var_names)
        if len(var_names) != vals.shape[1]:
            raise ValueError(f"{len(var_names)} variable names for {vals.shape[1]} value columns.")
    keep = np.isfinite(vals).any(axis=1) & np.isfinite(lon) & np.isfinite(lat)
    if t is not None:
        keep &= np.isfinite(t)
    if weights is not None:  # one weight a point, dropped with it (the last column until then)
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.size != lon.size:
            raise ValueError(f"weights has {w.size} values for {lon.size} points: give one weight per point.")
        vals = np.column_stack([vals, w])
    table = _coords.PointTable(
        lon=_coords.wrap_longitude(lon[keep]), lat=lat[keep], time=None if t is None else t[keep], values=vals[keep]
    )
    table = mask_fills(_weights_apart(table) if weights is not None else table, var_names)
    if weights is not None:
        table = _checked_weights(table)
    return Observations(
        table=table,
        variables=[str(v) for v in var_names],
        attrs=each if each is not None else {str(v): dict(given_attrs) if len(var_names) == 1 else {} for v in var_names},
        coord_names={"lat": "lat", "lon": "lon", "time": "time" if t is not None else None},
        time_axis=time_axis,
        lon_convention=lon_convention(float(np.nanmin(lon)), float(np.nanmax(lon))) if lon.size else "180",
    )


def names_as_values(values, variables) -> tuple:
    """``(values, variables)``, taking variable names passed as ``values`` (``fit(ds, "sla")``) as ``variables``.

    Examples
    --------
    >>> names_as_values("sla", None), names_as_values(["u", "v"], None), names_as_values(None, "sla")
    ((None, 'sla'), (None, ['u', 'v']), (None, 'sla'))
    """
    values, variables = _names_listed(values), _names_listed(variables)
    named = isinstance(values, str) or (isinstance(values, (list, tuple)) and len(values) > 0
                                        and all(isinstance(v, str) for v in values))
    return (None, values) if named and variables is None else (values, variables)


def _names_listed(names):
    """A 1-D array of names (``xr.DataArray(["u", "v"])``, a numpy array, a pandas Index) as a list of str; anything
    else as given (an array of names failed deep inside as 'unhashable type', a review)."""
    if isinstance(names, list | tuple | str) or not hasattr(names, "dtype") or np.ndim(names) != 1:
        return names
    listed = np.asarray(names).tolist()
    return [str(v) for v in listed] if listed and all(isinstance(v, str) for v in listed) else names


def read(
    data,
    variables: Hashable | Sequence[Hashable] | None = None,
    *,
    values=None,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    time: Hashable | None = None,
    single: bool = False,
    lazy: bool = False,
    weights=None,
) -> Observations:
    """Read observations from xarray or a dict of arrays into an :class:`Observations`.

    Parameters
    ----------
    data : xarray.Dataset, xarray.DataArray or dict
        Gridded data with NaN gaps (any dimension order), scattered data along one
        observation dimension (the along-track layout), or a dict of 1-D arrays
        ``{"lon", "lat"[, "time"]}`` with the values in ``values=`` (or, without
        ``values``, as one more entry of the dict named by ``variables``).
    variables : str or list of str, optional
        Variables to read; needed when a Dataset holds several.
    values : array-like, optional
        With a dict: the observations, ``(n,)`` or ``(n, k)``.
    lat, lon, time : str, optional
        Coordinate names; ``time=False`` ignores time.
    single : bool
        Exactly one variable (the baselines).
    lazy : bool
        For dask-backed xarray input: describe it without reading (``table`` None,
        ``dataset`` set); the caller streams it block by block.
    weights : str, xarray.DataArray or array-like, optional
        Each observation's weight (1/sigma^2 of its error): a data variable's name or a DataArray on the data's
        coordinates (xarray input), or one value a point (a dict); kept in ``table.weights``.

    Returns
    -------
    Observations

    Examples
    --------
    >>> import numpy as np
    >>> obs = read({"lon": [0.0, 1.0], "lat": [40.0, 41.0], "time": np.array(["2020-01-01", "2020-01-02"], "M8[ns]")},
    ...            values=[0.1, np.nan])
    >>> len(obs.table), obs.variables, obs.coord_names["time"]
    (1, ['values'], 'time')
    """
    if isinstance(weights, str) and isinstance(data, Mapping) and not isinstance(data, xr.Dataset) and weights in data:
        data, weights = {k: v for k, v in data.items() if k != weights}, data[weights]  # a dict's own entry (a
        # review: "could not convert string to float: 'w'")
    if isinstance(data, (xr.Dataset, xr.DataArray)):
        values, variables = names_as_values(values, variables)
        if variables is None and isinstance(weights, str) and isinstance(data, xr.Dataset) and weights in data:
            rest = [v for v in data.data_vars if v != weights]  # (the weights are no variable to fit: a review)
            variables = rest[0] if len(rest) == 1 else None
        if values is not None:
            raise TypeError("values= is only for dict input; with xarray data pick variables= instead.")
        if lazy:
            if weights is not None:
                raise ValueError("weights= needs the observations in memory: load dask-backed data first "
                                 "(ds.load()), or fit it without weights.")
            return _describe_lazy(data, variables, lat, lon, time)
        obs = _read_xarray(data, variables, lat, lon, time, single, weights)
    elif isinstance(data, Mapping):
        given = names_as_values(values, variables)  # fit(obs, "h"): the dict's own entry, as the baselines read it
        if values is not None and given[0] is None and all(n in data for n in np.atleast_1d(given[1])):
            values, variables = given
        elif values is not None and given[0] is None:  # fit(dict, "sla") without "sla" (a review: "dtype <U3")
            missing = [str(n) for n in np.atleast_1d(given[1]) if n not in data]
            raise ValueError(f"Variable {missing[0]!r} is not in the observation dict; entries: {list(data)}. Add it "
                             f"(fit({{'lon': lon, 'lat': lat, 'time': t, {missing[0]!r}: values}}, {missing[0]!r})), "
                             f"or pass the observations themselves: fit(coords, values=array).")
        named = names_as_values(variables, None)[1]  # variables where they are names (not a baseline's array)
        named = [named] if isinstance(named, str) else list(named or [])
        if values is None and not single and named and all(n in data for n in named):  # entries of the dict
            values = np.column_stack([np.asarray(data[n]).ravel() for n in named]) if len(named) > 1 else data[named[0]]
            data = {k: v for k, v in data.items() if k not in named}
        if values is None:
            if not single:
                raise ValueError("With a dict of coordinates, pass the observations as values=..., or name the "
                                 "dict's own entry: fit({'lon': lon, 'lat': lat, 'sla': sla}, 'sla').")
            values, variables = _values_from_dict_entry(data, variables)
            data = {k: v for k, v in data.items() if k != variables}
        obs = _read_dict(data, values, variables, use_time=time is not False, weights=weights)
    else:
        raise TypeError(
            f"fit() takes an xarray Dataset/DataArray or a dict of coordinate arrays, got {type(data).__name__}."
        )
    return obs


def _describe_lazy(data, variables, lat, lon, time) -> Observations:
    names, var_names, var_objs = describe(data, variables, lat, lon, time)
    if isinstance(data, xr.DataArray):
        data = data.to_dataset(name=var_names[0])
    _warn_land(data, names, var_objs)
    _warn_quality_flags(data, var_names, var_objs)
    _warn_repeated_times(data, names)
    time_axis = None
    if names.time is not None:
        tvar = _coords.decode(data[names.time])
        first = tvar.isel({d: slice(0, 1) for d in tvar.dims}).values
        if (tvar.dtype.kind == "M" and np.isnat(first).all()) or (tvar.dtype.kind == "f" and np.isnan(first).all()):
            # the first time is missing: the earliest one (NaT or NaN if all are), for the reference date or origin
            first = tvar.min(skipna=True).values
        time_axis = _coords.TimeAxis.from_values(np.asarray(first).ravel(), tvar.attrs)
        _coords.warn_unitless_time(tvar, names.time)  # (the span is known after the dask pass)
    # the longitude convention is set later, from the dask pass over the longitudes
    return _described(data, names, var_names, var_objs, table=None, time_axis=time_axis, lon_convention="180",
                      dataset=data, names=names)


# odd 64-bit multiplier mixing one coordinate's bits into the next (the golden ratio's, as in Fibonacci hashing)
_ROW_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _repeated_rows(coords: np.ndarray) -> np.ndarray:
    """Whether each row of ``coords`` (n, d) equals another row exactly (a boolean per row).

    The rows' bits are mixed into one 64-bit key per row and only the rows whose key repeats are compared
    column by column (pandas): one hash table instead of three (1.3 s -> 0.24 s on 2 million scattered points).
    Keys that collide are only candidates, so the answer is exact; -0.0 counts as 0.0.

    Examples
    --------
    >>> _repeated_rows(np.array([[1.0, 2.0], [1.0, 3.0], [-0.0, 2.0], [1.0, 2.0], [0.0, 2.0]])).tolist()
    [True, False, True, True, True]
    """
    bits = np.ascontiguousarray(np.asarray(coords, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 -> 0.0
    key = bits[:, 0].copy()
    for j in range(1, bits.shape[1]):
        key *= _ROW_HASH_MULTIPLIER  # wraps modulo 2**64
        key ^= bits[:, j]
    candidates = np.flatnonzero(pd.Series(key).duplicated(keep=False).to_numpy())
    repeated = np.zeros(len(key), dtype=bool)
    if candidates.size:
        repeated[candidates[pd.DataFrame(coords[candidates]).duplicated(keep=False).to_numpy()]] = True
    return repeated


def warn_duplicates(table: _coords.PointTable) -> None:
    """Warn when several observations share coordinates but disagree (they are fitted as noisy repeats).

    The repeats are found by hashing (:func:`_repeated_rows`), then sorted among themselves: sorting every point took
    6.6 s of a 20 s fit of ten years of daily maps (a review)."""
    coords = table.coordinates()
    repeated = _repeated_rows(coords)
    if not repeated.any():
        return
    _, inverse, counts = np.unique(coords[repeated], axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    dup = counts[inverse] > 1
    vals = table.values[repeated]
    vals = np.where(np.isfinite(vals), vals, 0.0)
    high = np.full((counts.size, vals.shape[1]), -np.inf)  # (from zero, every negative repeat looked different)
    np.maximum.at(high, inverse[dup], vals[dup])
    low = np.full((counts.size, vals.shape[1]), np.inf)
    np.minimum.at(low, inverse[dup], vals[dup])
    differing = int(((high - low) > 0).any(axis=1).sum())
    if differing:
        warnings.warn(
            f"{differing} coordinate(s) carry several different values (e.g. crossing satellite tracks). "
            f"They are fitted as repeated noisy observations: the model learns their mean.",
            GeoinrWarning,
            stacklevel=user_stacklevel(),
        )
