"""Sample a gridded (time, lat, lon) field along simulated altimeter ground tracks.

The satellites are those of :data:`geoinr.osse.orbits.MISSIONS`. The field is
interpolated linearly in time, latitude and longitude; points over land / NaN or
outside the grid are dropped. Optional white and along-track-correlated (AR(1))
noise. With ``swath=True`` a SWOT-like swath of pixels 10-60 km either side of
nadir is added. The output follows the CMEMS L3 along-track layout: one
dimension ``time``, coordinates ``latitude``/``longitude``, data variable ``sla``
(with noise) and ``sla_true`` (without), and ``mission``, ``cycle``, ``track``
identifiers. Numpy, scipy and xarray; no torch.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .. import sentinels
from ..coords import find_coords, wrap_longitude
from ..geometry import EARTH_RADIUS_KM, metres_per_length_unit
from .orbits import REFERENCE_EPOCH, Mission, ground_track, mission

__all__ = ["sample_along_track"]


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
    """The field as (time, lat, lon) with sorted axes; returns (field, t0, t_s, lat, lon_unwrapped, lon360).

    ``t0`` is the first time, a datetime64 or a cftime date in the field's calendar; ``t_s`` seconds since it.
    """
    found = find_coords(field, lat=lat, lon=lon, time=time, require_time=True)  # CF attributes, common names
    names = (found.time, found.lat, found.lon)
    tname, latname, lonname = names
    for name in names:
        if field[name].ndim != 1 or field[name].dims[0] not in field.dims:
            raise ValueError(
                f"sample_along_track needs a gridded field with 1-D coordinates; {name!r} has dims "
                f"{field[name].dims}. Regrid a curvilinear field onto a regular grid first (e.g. fit it and "
                f"predict on fitted.target_grid(), or xESMF), or pass lat=/lon=/time= names of 1-D coordinates."
            )
    axes = (field[tname].dims[0], field[latname].dims[0], field[lonname].dims[0])
    field = field.squeeze([d for d in field.dims if d not in axes and field.sizes[d] == 1], drop=True)  # depth = 1
    if field.ndim != 3:
        raise ValueError(f"Expected a (time, lat, lon) field; got dims {field.dims}. Select other dims first "
                         f"(e.g. field.isel({next(d for d in field.dims if d not in axes)}=0)).")
    field = field.transpose(*axes)
    times = field[tname]
    if np.issubdtype(times.dtype, np.datetime64):
        tvals = times.values.astype("datetime64[ns]")
        t0 = tvals.min()  # the first time, wherever it is stored (a field stored newest first)
        t_s = (tvals - t0) / np.timedelta64(1, "s")
    else:
        dates = np.asarray(times.values).ravel()
        if not (dates.size and all(hasattr(d, "calendar") for d in dates)):
            raise ValueError(
                f"Time coordinate {tname!r} holds neither datetime64 nor cftime dates (dtype {times.dtype}): the "
                f"orbits need dates. Decode CF times first (xr.decode_cf(ds)), or give numbers a start date, e.g. "
                f"field['{tname}'] = np.datetime64('2020-01-01') + field['{tname}'].values.astype('timedelta64[s]') "
                f"for seconds."
            )
        t0 = min(dates)  # cftime (a model's noleap or 360_day calendar): elapsed seconds in that calendar
        t_s = np.array([(d - t0).total_seconds() for d in dates])
    latv = np.asarray(field[latname].values, float)
    lonv = np.asarray(field[lonname].values, float)
    # the grid's western edge, wherever it is stored (descending, split at a seam): east of its widest gap, however
    # narrow (a 10 deg hole is land, not a seam); a global grid (no gap wider than its step) from its first longitude
    u = np.unique(wrap_longitude(lonv))
    gaps = np.diff(np.append(u, u[0] + 360.0))
    west = u[(int(np.argmax(gaps)) + 1) % u.size] if gaps.max() > 1.5 * np.median(gaps) else lonv[0]
    east_of = (lonv - west) % 360.0
    # the western edge itself, a rounding below the wrapped value it was found at, is 0 east of it, not 360 (a
    # regional grid read as global sampled the whole latitude band)
    east_of[east_of > 360.0 - LON_TOL] = 0.0
    lon_u = west + east_of  # one increasing run east of it
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


LON_TOL = 1e-6  # degrees: longitudes this close are one


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


def _standard_date(t0) -> np.datetime64:
    """``t0`` as a datetime64 where the orbits start: a cftime date by its label (the 30th of February of a
    360_day calendar as the 28th)."""
    if isinstance(t0, np.datetime64):
        return t0
    for day in (t0.day, 28):
        try:
            return np.datetime64(f"{t0.year:04d}-{t0.month:02d}-{day:02d}T{t0.hour:02d}:{t0.minute:02d}:"
                                 f"{t0.second:02d}", "ns")
        except ValueError:
            continue
    raise ValueError(f"cannot place {t0} in the standard calendar")


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


def _tracks_dataset(field: xr.DataArray, cols: dict, values, noise, t0, lon360: bool, params: dict,
                    name: str = "sla") -> xr.Dataset:
    """The samples as a Dataset in the CMEMS L3 layout, with CF attributes and the call in ``history``."""
    lon_out = cols["lon"] % 360.0 if lon360 else (cols["lon"] + 180.0) % 360.0 - 180.0
    if isinstance(t0, np.datetime64):
        times = t0 + np.round(cols["t"] * 1e9).astype("timedelta64[ns]")
    else:  # the field's own calendar: a noleap model's tracks are dated in noleap
        import cftime

        times = cftime.num2date(cols["t"], f"seconds since {t0.strftime('%Y-%m-%d %H:%M:%S')}", calendar=t0.calendar)
    units = field.attrs.get("units", "m")
    nunits = "m" if metres_per_length_unit(units) else units  # the noise was given in metres where units are a length
    # what the field is (absolute dynamic topography stays so), whatever the variable's name in the L3 layout
    what = str(field.attrs.get("long_name") or "sea level anomaly")
    sla_attrs = {
        "units": units,
        # a field that says what it is keeps it; one that says nothing is taken as sea level anomaly
        "standard_name": field.attrs.get("standard_name", None if "long_name" in field.attrs
                                         else "sea_surface_height_above_sea_level"),
        "long_name": what,
        "comment": f"{what} sampled along simulated tracks, with simulated noise: white noise std "
        f"{params['white_noise']} {nunits}; AR(1) noise std {params['correlated_noise']} {nunits}, correlation length "
        f"{params['correlation_km']} km",
    }
    sla_attrs = {k: v for k, v in sla_attrs.items() if v is not None}
    true_attrs = dict(sla_attrs, comment=f"{what} sampled along simulated tracks, without noise")
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
        {name: ("time", values + noise, sla_attrs), f"{name}_true": ("time", values, true_attrs)},
        coords=coords,
        attrs={
            "title": "Simulated along-track altimetry (CMEMS L3 layout)",
            "Conventions": "CF-1.8",
            "source": f"geoinr.osse.sample_along_track: {field.name or 'field'} interpolated (linear in time, lat, "
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
    name: str = "sla",
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
        cftime times of any calendar (the tracks are dated in it: a noleap model's in noleap). NaN (land) is
        never interpolated across.
    missions : sequence of str
        Names in :data:`MISSIONS` (or :data:`ALIASES`).
    sampling_s : float
        Seconds between samples along track (1.0: the 1 Hz L3 rate, ~6-7 km).
    white_noise : float
        Standard deviation (m) of white measurement noise (added in the field's units: 0.01 is 1 cm for a field in
        cm; a field whose units are not a length takes it in its own units).
    correlated_noise : float
        Standard deviation (m, as ``white_noise``) of an along-track AR(1) noise ...
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
    name : str
        Name of the sampled variable (``sla``, as in CMEMS L3 files, by default; ``name="adt"`` for an absolute
        dynamic topography); the noise-free samples are ``<name>_true``.
    lat, lon, time : str, optional
        Names of the coordinates, when they cannot be found automatically.

    Returns
    -------
    xarray.Dataset
        CMEMS L3 layout: dim ``time`` (sorted), coords ``latitude``, ``longitude``
        (the field's convention), ``mission``, ``cycle``, ``track`` (pass number
        in the cycle, odd = ascending) and ``cross_track_distance`` (km, with
        ``swath``); data ``sla`` (with noise) and ``sla_true`` (interpolated field), or ``name`` and
        ``<name>_true``, with the field's ``long_name`` and ``standard_name`` (sea level anomaly's where it has
        neither).

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
    >>> list(sample_along_track(da.rename("adt"), missions=["jason3"], name="adt").data_vars)
    ['adt', 'adt_true']
    """
    if not isinstance(name, str) or not name or name.endswith("_true"):
        raise ValueError(f"name must be a non-empty variable name not ending in '_true' (it names <name>_true too); "
                         f"got {name!r}.")
    if not isinstance(field, xr.DataArray):
        raise TypeError(f"field must be an xarray.DataArray (pick a variable: ds['ssh']); got {type(field).__name__}.")
    if sampling_s <= 0:
        raise ValueError(f"sampling_s must be positive; got {sampling_s}.")
    field, t0, t_s, latv, lon_u, lon360 = _field_axes(field, lat=lat, lon=lon, time=time)
    missions = [missions] if isinstance(missions, str) else missions  # one mission, not its letters
    specs = [mission(name) for name in missions]  # an unknown name is refused first
    if t_s[-1] < sampling_s:  # tracks are flown between the field's first and last times
        raise ValueError(f"the field spans {t_s[-1]:g} s of time, less than one sample ({sampling_s:g} s): tracks are "
                         "sampled between its first and last times, so give it two times or more (to sample one map "
                         "over a day, repeat it one day later along its time dimension).")
    # land stored as a number (DUACS L4: -214,748 m) would be mixed into the samples next to a coast; the packing's
    # extremes and the usual fill constants only: a truth on a flat background holds eddies thousands of robust
    # spreads from its median, which the outlier rule would take for fills
    field = sentinels.without_fills(field, note="They are land to the sampler: never interpolated across.",
                                    outliers=False)
    box = _LonBox.of(lon_u)
    offsets = np.zeros(1)
    if swath:
        side = np.arange(swath_km[0], swath_km[1] + 1e-9, swath_spacing_km)
        offsets = np.concatenate([-side[::-1], [0.0], side])
    epoch_offset = (_standard_date(t0) - REFERENCE_EPOCH) / np.timedelta64(1, "s")
    t_samples = np.arange(0.0, t_s[-1] + 1e-9, sampling_s)
    pieces = []
    for spec in specs:
        pieces.extend(_mission_samples(spec, t_samples, epoch_offset, offsets, swath, latv, box, sampling_s))
    cols = _columns(pieces)
    values = _interpolate(field, t_s, latv, box, cols)
    keep = np.isfinite(values)
    cols, values = _take(cols, keep), values[keep]
    # Order: by mission, cross-track position, time -> contiguous along-track segments for the noise.
    order = np.lexsort((cols["t"], cols["xtrack"], cols["mission"]))
    cols, values = _take(cols, order), values[order]
    # the noise is given in metres; the samples are in the field's units (cm, mm: converted)
    per_m = 1.0 / (metres_per_length_unit(field.attrs.get("units", "m")) or 1.0)
    noise = _noise(cols, values.size, white_noise * per_m, correlated_noise * per_m, correlation_km, seed)
    # Final order: by time, as in CMEMS files.
    order = np.argsort(cols["t"], kind="stable")
    cols, values, noise = _take(cols, order), values[order], noise[order]
    params = dict(
        missions=[mission(n).name for n in missions], sampling_s=sampling_s, white_noise=white_noise,
        correlated_noise=correlated_noise, correlation_km=correlation_km, seed=seed, swath=swath,
    )
    return _tracks_dataset(field, cols, values, noise, t0, lon360, params, name)
