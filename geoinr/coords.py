"""From xarray objects to point tables and back; no torch in here.

This module finds the latitude, longitude and time coordinates of a Dataset or
DataArray, turns gridded or scattered data into flat tables of points
``(lon, lat, time, values)``, converts times to floating-point days since a
stored reference, and builds regular target grids.

Longitudes are carried in degrees east in [-180, 180) internally; latitudes in
degrees north; times in days since ``TimeAxis.reference``.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Hashable, Iterable, Sequence

import numpy as np
import xarray as xr

from .frames import GeoinrWarning, user_stacklevel
from .geometry import SECONDS_PER_DAY

__all__ = [
    "CoordNames",
    "TimeAxis",
    "TIME_UNITS",
    "days_per_unit",
    "PointTable",
    "find_coords",
    "wrap_longitude",
    "decode",
    "in_nanoseconds",
    "longitude_span",
    "points_from_xarray",
    "target_points",
    "compact",
    "find_target_coords",
    "output_coords",
    "dict_columns",
    "regular_grid",
    "resolution_pair",
    "mask_invalid",
    "user_stacklevel",
]

# Names seen in the wild, lowercase; compared case-insensitively.
# a data variable of these names is a time only if it holds dates ('T' is often a temperature)
AMBIGUOUS_TIME_NAMES = ("t", "date")
LAT_NAMES = ("lat", "latitude", "nav_lat", "lats", "latitudes", "y_lat", "gphit", "lat_rho", "xlat")
LON_NAMES = ("lon", "longitude", "nav_lon", "lons", "long", "longitudes", "x_lon", "glamt", "lon_rho", "xlong")
TIME_NAMES = ("time", "date", "datetime", "times", "t", "time_counter", "valid_time", "ocean_time", "julian_day")

# CF standard names of rotated-pole and projected horizontal coordinates (cf_xarray's criteria keep them apart from
# latitude/longitude): fitting in them would put distances, f and derivatives in the wrong place
PLANE_STANDARD_NAMES = ("grid_latitude", "grid_longitude", "projection_x_coordinate", "projection_y_coordinate",
                        "projection_x_angular_coordinate", "projection_y_angular_coordinate")
LAT_UNITS = ("degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn")
LON_UNITS = ("degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese")


@dataclasses.dataclass(frozen=True)
class CoordNames:
    """Names of the coordinate variables of one xarray object.

    ``time`` is None for purely spatial data.
    """

    lat: Hashable
    lon: Hashable
    time: Hashable | None = None


def _candidates(obj) -> dict:
    """All variables of ``obj`` that may hold a coordinate: coords first, then data variables."""
    out = dict(obj.coords.items())
    if isinstance(obj, xr.Dataset):
        for k, v in obj.data_vars.items():
            out.setdefault(k, v)
    return out


def _has_time_units(var) -> bool:
    """Numbers with CF time units such as ``"days since 2000-01-01"``."""
    return var.dtype.kind in "fiu" and " since " in str(var.attrs.get("units", ""))


def _is_time_like(var) -> bool:
    """Dates: datetime64 (tz-aware included), cftime objects, or numbers in CF time units."""
    if var.dtype.kind == "M" or _has_time_units(var):
        return True
    if var.dtype == object and var.size:
        first = np.asarray(var.values).ravel()[0]
        return hasattr(first, "calendar") and hasattr(first, "year")
    return False


def _role_from_attrs(var) -> tuple[str | None, int]:
    """CF role ('lat', 'lon', 'time', 'plane') of a variable from its attributes, or None, and the evidence's rank.

    Rank 0: ``standard_name`` or ``_CoordinateAxisType``; 1: units in degrees north/east; 2: ``axis``.
    """
    attrs = {k.lower(): str(v).lower() for k, v in var.attrs.items() if isinstance(v, str)}
    std = attrs.get("standard_name", "")
    if std == "latitude" or attrs.get("_coordinateaxistype", "") == "lat":
        return "lat", 0
    if std == "longitude" or attrs.get("_coordinateaxistype", "") == "lon":
        return "lon", 0
    if std in PLANE_STANDARD_NAMES:
        return "plane", 0  # rotated-pole or projected: never a geographic coordinate
    if std == "time":
        return "time", 0
    units = attrs.get("units", "").replace(" ", "_")
    if units in LAT_UNITS:
        return "lat", 1
    if units in LON_UNITS:
        return "lon", 1
    axis = attrs.get("axis", "")
    looks_angular = units in ("", "degrees", "degree", "deg")
    if axis == "y" and looks_angular:
        return "lat", 2
    if axis == "x" and looks_angular:
        return "lon", 2
    if axis == "t":
        return "time", 2
    return None, 3


def _describe(cands: dict) -> str:
    parts = []
    for k, v in cands.items():
        bits = [f"dims={tuple(v.dims)}", f"dtype={v.dtype}"]
        for a in ("standard_name", "units", "axis"):
            if a in v.attrs:
                bits.append(f"{a}={v.attrs[a]!r}")
        parts.append(f"  {k!r}: " + ", ".join(bits))
    return "\n".join(parts) if parts else "  (no variables at all)"


def _plane_message(cands: dict, plane: set, first: str) -> str:
    names = ", ".join(f"{n!r} ({cands[n].attrs.get('standard_name')})" for n in sorted(plane, key=str))
    return (
        f"{first} {names}: geoinr fits on the sphere and needs the true latitude and longitude of every point "
        f"(distances, the Coriolis parameter and derivatives depend on them). Add them as 2-D coordinates "
        f"(regional model output usually ships them as 'lat'/'lon' with standard_name latitude/longitude; "
        f"CF's grid_mapping gives the rotated pole to compute them), then fit again or pass lat=, lon=. "
        f"Variables seen:\n{_describe(cands)}"
    )


def find_coords(obj, lat=None, lon=None, time=None, require_time: bool | None = None,
                variables: Iterable[Hashable] = ()) -> CoordNames:
    """Find the latitude, longitude and time variables of a Dataset or DataArray.

    Names are chosen in this order: explicit names passed here; CF attributes,
    the strongest evidence first (``standard_name`` or ``_CoordinateAxisType``,
    then ``units`` such as ``degrees_north``, then ``axis``); common names (lat,
    latitude, nav_lat, lon, longitude, nav_lon, time, date, ...); a data variable
    named ``t`` or ``date`` is a time only if it holds dates (datetime64, cftime, or
    units like ``"days since 2000-01-01"``). Any other variable of dates is taken as
    time if nothing else is.

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
        Where to look: coordinates first, then (for a Dataset) data variables.
    lat, lon, time : hashable, optional
        Explicit names; they win over everything else. ``time=False`` means
        "ignore any time coordinate" (fit a purely spatial field).
    require_time : bool, optional
        If True, raise when no time is found; if False never look for one.
    variables : iterable of hashable, optional
        The variables to fit: never taken as a coordinate unless named explicitly.

    Returns
    -------
    CoordNames

    Raises
    ------
    ValueError
        If latitude or longitude cannot be found, or an explicit name is absent;
        the message lists the variables seen and says which argument to pass.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"sla": (("y", "x"), np.zeros((2, 3)))},
    ...                 coords={"nav_lat": (("y", "x"), np.zeros((2, 3))),
    ...                         "nav_lon": (("y", "x"), np.zeros((2, 3)))})
    >>> find_coords(ds)
    CoordNames(lat='nav_lat', lon='nav_lon', time=None)
    """
    cands = _candidates(obj)
    explicit = {"lat": lat, "lon": lon, "time": time}
    for role, name in explicit.items():
        if name is not None and name is not False and name not in cands:
            raise ValueError(
                f"{role}={name!r} was passed but there is no variable {name!r}. "
                f"Variables seen:\n{_describe(cands)}"
            )
    evidence = {name: _role_from_attrs(var) for name, var in cands.items()}
    plane = {name for name, (role, _) in evidence.items() if role == "plane"}
    for role in ("lat", "lon"):
        if explicit[role] in plane:
            raise ValueError(_plane_message(cands, plane, f"{role}={explicit[role]!r} is a rotated-pole or projected "
                                                          f"coordinate, not a geographic one."))
    found: dict[str, Hashable | None] = {r: n for r, n in explicit.items() if n is not None and n is not False}
    twice = [n for n in set(found.values()) if list(found.values()).count(n) > 1]
    if twice:  # lon="lat" fitted longitudes equal to the latitudes (a review)
        roles = [r for r, n in found.items() if n == twice[0]]
        raise ValueError(f"{' and '.join(f'{r}={twice[0]!r}' for r in roles)}: one variable cannot be two coordinates. Variables seen:\n{_describe(cands)}")
    bounds = {v.attrs["bounds"] for n, v in obj.coords.items()  # CF: a coordinate's cells' edges (never itself)
              if isinstance(v.attrs.get("bounds"), str) and v.attrs["bounds"] != n}
    taken = set(found.values()) | plane | set(variables) | bounds
    # CF attributes, the strongest evidence first (a 2-D latitude beats an index coordinate with axis="Y"); the
    # coordinates a fitted variable names (its `coordinates` attribute: a C-grid's u on lat_u, not lat_rho) before
    # the others, then those over the fitted variables' own dimensions, and on equal evidence a 2-D coordinate over
    # the 1-D ones' own dimensions, holding other positions, before them (MOM6's geolat(yh, xh), the true
    # positions, before its nominal axis yh)
    named = _named_coordinates(obj, variables)
    other = _other_positions(cands, evidence)
    truer = {n for n in other if n in obj.coords or n in named}  # (data variables never: a 2-D field in degrees)
    if variables and not truer:  # a fit: 2-D positions merged in as data variables (MOM6's static file) say so
        _warn_data_positions(obj, other)
    fitted_dims = {d for v in variables if v in obj.data_vars for d in obj[v].dims} if isinstance(obj, xr.Dataset) else set()
    off = lambda n: bool(fitted_dims) and not set(cands[n].dims) <= fitted_dims  # noqa: E731 (MOM6's xh beside uo(yh, xq))
    for name in sorted(cands, key=lambda n: (n not in named, off(n), evidence[n][1], n not in truer)):
        role = evidence[name][0]
        if role and role not in found and name not in taken and not (role == "time" and time is False):
            found[role] = name
            taken.add(name)
    # common names; a data variable named 't' or 'date' is a time only if it holds dates (it may be a temperature)
    for role, names in (("lat", LAT_NAMES), ("lon", LON_NAMES), ("time", TIME_NAMES)):
        if role in found or (role == "time" and (time is False or require_time is False)):
            continue
        for name, var in cands.items():
            by_name = name not in taken and str(name).lower() in names
            ambiguous = role == "time" and str(name).lower() in AMBIGUOUS_TIME_NAMES and name not in obj.coords
            if by_name and (not ambiguous or _is_time_like(var)):
                found[role] = name
                taken.add(name)
                break
    # any datetime-typed variable
    if "time" not in found and time is not False and require_time is not False:
        for name, var in cands.items():
            if name not in taken and _is_time_like(var):
                found["time"] = name
                break
    missing = [r for r in ("lat", "lon") if r not in found]
    if missing and plane:
        raise ValueError(_plane_message(cands, plane, "This data has rotated-pole or projected coordinates only."))
    if missing:
        what = " and ".join({"lat": "latitude", "lon": "longitude"}[m] for m in missing)
        args = ", ".join(f"{m}='<name>'" for m in missing)
        raise ValueError(
            f"Could not find {what} in this {type(obj).__name__}. Looked for CF attributes "
            f"(standard_name, units degrees_north/degrees_east, axis) and common names "
            f"(lat, latitude, nav_lat, lon, longitude, nav_lon, ...). Variables seen:\n"
            f"{_describe(cands)}\nPass the names explicitly, e.g. {args}."
        )
    if require_time and found.get("time") is None:
        raise ValueError(
            f"This model was fitted with a time coordinate but none was found here. Variables seen:\n"
            f"{_describe(cands)}\nPass time='<name>', or add a time dimension of dates inside the fitted window "
            f"(the model's time_range_; print(model) shows it), e.g. target.expand_dims(time=[np.datetime64('2020-01-05')])."
        )
    if time is False or require_time is False:
        found["time"] = None
    return CoordNames(lat=found["lat"], lon=found["lon"], time=found.get("time"))


def _named_coordinates(obj, variables) -> list:
    """Names listed in the ``coordinates`` attribute (or, once xarray has decoded it, encoding) of the fitted
    variables (of a DataArray: its own)."""
    sources = [obj] if isinstance(obj, xr.DataArray) else [obj[v] for v in variables if v in obj.data_vars]
    present = obj.variables if isinstance(obj, xr.Dataset) else obj.coords
    names = []
    for var in sources:  # those present over the variable's own dims: a renamed or merged file's list goes stale
        for where in (var.attrs, var.encoding):  # (a review: 'latitude' of a swath merged beside tracks' own)
            names += [n for n in str(where.get("coordinates") or "").split()
                      if n in present and set(present[n].dims) <= set(var.dims)]
    return names


def _other_positions(cands: dict, evidence: dict) -> list:
    """The 2-D latitude and longitude candidates over the 1-D ones' own dimensions only (not bounds) whose values are
    not those axes' repeated (a regular grid's redundant 2-D copy), compared on at most 64 x 64 points (a large lazy
    grid is not read whole): a curvilinear grid's true positions beside its nominal axes, where they are coordinates."""
    axes = {n: v for n, v in cands.items() if v.ndim == 1 and evidence[n][0] in ("lat", "lon")}
    nominal = {v.dims[0] for v in axes.values()}
    out = []
    for name, var in cands.items():
        role = evidence[name][0]
        if role not in ("lat", "lon") or var.ndim < 2 or not set(var.dims) <= nominal:
            continue
        steps = {d: slice(None, None, max(1, var.sizes[d] // 64)) for d in var.dims}
        values = np.asarray(var.isel(steps).values, dtype=np.float64)
        same = [a for n, a in axes.items() if evidence[n][0] == role and a.dims[0] in var.dims
                and np.issubdtype(a.dtype, np.number)]
        repeated = [np.broadcast_to(np.asarray(a.isel({a.dims[0]: steps[a.dims[0]]}).values, np.float64).reshape(
            [-1 if d == a.dims[0] else 1 for d in var.dims]), values.shape) for a in same]
        if not any(np.allclose(values, r, equal_nan=True) for r in repeated):
            out.append(name)
    return out


def _warn_data_positions(obj, other: list) -> None:
    """Warn where 2-D latitude and longitude data variables (of ``other``, :func:`_other_positions`) hold other
    positions than the 1-D axes a fit reads."""
    if not isinstance(obj, xr.Dataset):
        return
    found = [n for n in other if n in obj.data_vars]
    if found:
        warnings.warn(
            f"{', '.join(map(repr, found))}: 2-D latitude/longitude data variables holding other positions than the "
            f"1-D axes beside them. geoinr fits on coordinates, so it read the axes; if these are the grid's true "
            f"positions (MOM6's static geolat/geolon merged in), make them coordinates first: "
            f"ds = ds.set_coords({found!r}).", GeoinrWarning, stacklevel=user_stacklevel())


def wrap_longitude(lon) -> np.ndarray:
    """Longitudes (degrees east, any convention) wrapped into [-180, 180).

    Examples
    --------
    >>> wrap_longitude([0.0, 180.0, 359.5, -190.0]).tolist()
    [0.0, -180.0, -0.5, 170.0]
    """
    lon = np.asarray(lon, dtype=np.float64)
    return (lon + 180.0) % 360.0 - 180.0


SPAN_SORT_MAX = 100_000  # longitude_span sorts up to this many longitudes; more are binned by degree (same answer)


def _longitude_span_binned(lon: np.ndarray) -> tuple[float, float]:
    """:func:`longitude_span` of finite wrapped longitudes without sorting them (0.2 s on 2 million points).

    The widest gap between sorted longitudes that counts (over 10 degrees) lies between two 1-degree bins: it runs
    from the largest longitude of an occupied bin to the smallest of the next occupied one, and gaps inside a bin
    are under a degree. So the answer, ties included, is the sorted one's.
    """
    bins = np.clip(np.floor(lon + 180.0).astype(np.int64), 0, 359)
    low = np.full(360, np.inf)
    np.minimum.at(low, bins, lon)
    high = np.full(360, -np.inf)
    np.maximum.at(high, bins, lon)
    occupied = np.isfinite(low)
    low, high = low[occupied], high[occupied]
    gaps = np.concatenate([low[1:] - high[:-1], [low[0] + 360.0 - high[-1]]])
    i = int(np.argmax(gaps))
    if gaps[i] <= 10.0:
        return -180.0, 180.0
    west, east = low[(i + 1) % low.size], high[i]
    return float(west), float(east + 360.0 if east < west else east)


def longitude_span(lon) -> tuple[float, float]:
    """Smallest longitude interval (west, east) that covers all ``lon``, in degrees east.

    ``west`` is in [-180, 180); ``east`` may exceed 180 when the interval crosses
    the dateline (e.g. ``(170, 190)``). A global set of points gives (-180, 180).

    Examples
    --------
    >>> longitude_span([175.0, -175.0, 179.0])
    (175.0, 185.0)
    >>> longitude_span([10.0, 20.0])
    (10.0, 20.0)
    """
    lon = wrap_longitude(np.asarray(lon).ravel())
    lon = lon[np.isfinite(lon)]
    if lon.size == 0:
        raise ValueError("No finite longitude: every longitude is missing (NaN); check the longitude coordinate.")
    if lon.size > SPAN_SORT_MAX:
        return _longitude_span_binned(lon)
    lon = np.unique(lon)
    if lon.size == 1:
        return float(lon[0]), float(lon[0])
    gaps = np.diff(np.concatenate([lon, [lon[0] + 360.0]]))
    i = int(np.argmax(gaps))
    if gaps[i] <= 10.0:
        return -180.0, 180.0  # no gap wider than 10 degrees: treat as global
    west = lon[(i + 1) % lon.size]
    east = lon[i]
    if east < west:
        east += 360.0
    return float(west), float(east)


# units of numeric times (UDUNITS spellings, lower case) -> days in one of them
TIME_UNITS = {
    **dict.fromkeys(("d", "day", "days"), 1.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 1.0 / 24.0),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 1.0 / 1440.0),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0 / SECONDS_PER_DAY),
}


def days_per_unit(units: str) -> float:
    """Days in one unit of numeric times with the ``units`` attribute ``units`` (1 where it has none).

    Units that are not among :data:`TIME_UNITS` are taken as days, with a warning.

    Examples
    --------
    >>> days_per_unit("seconds"), days_per_unit("h"), days_per_unit("")
    (1.1574074074074073e-05, 0.041666666666666664, 1.0)
    """
    key = str(units or "").strip().lower()
    if not key:
        return 1.0
    if key not in TIME_UNITS:
        warnings.warn(
            f"The time coordinate's units {units!r} are not a unit geoinr reads as time (seconds, minutes, hours "
            f"or days), so its numbers are taken as days. Convert them to days and set units='days' (or to "
            f"dates: xr.decode_cf reads units such as 'days since 2000-01-01').",
            GeoinrWarning, stacklevel=user_stacklevel())
        return 1.0
    return TIME_UNITS[key]


@dataclasses.dataclass(frozen=True)
class TimeAxis:
    """How times are turned into float days and back.

    Parameters
    ----------
    kind : {"datetime64", "cftime", "numeric"}
        Type of the training times.
    reference : str
        ISO date of day 0 (empty for numeric times).
    calendar : str
        CF calendar for cftime (``"standard"`` for datetime64).
    units : str
        The ``units`` attribute of numeric times, kept for output.
    days_per_unit : float
        Numeric times: days in one of their units (1/86400 for ``units="s"``, 1/24 for ``"hours"``; see
        :data:`TIME_UNITS`), so that the network, the scale rule and the physics see days and seconds as they
        are; 1 for times without units, for durations (timedelta64) and for models saved before it existed.
    origin : float
        Numeric times: the whole number subtracted from them (the floor of the first), so that large
        values such as Julian days (2,458,849.5) keep their fractions in the network's float32
        coordinates; 0 for durations (timedelta64) and for models saved before it existed.

    Examples
    --------
    >>> axis = TimeAxis.from_values(np.array([2458849.5, 2458850.25]))
    >>> axis.origin, axis.to_days(np.array([2458849.5, 2458850.25])).tolist()
    (2458849.0, [0.5, 1.25])
    >>> axis.from_days(np.array([0.5])).tolist()
    [2458849.5]
    >>> hours = TimeAxis.from_values(np.array([0.0, 36.0]), {"units": "hours"})
    >>> hours.to_days(np.array([36.0])).tolist(), hours.from_days(np.array([1.0])).tolist()
    ([1.5], [24.0])
    """

    kind: str
    reference: str = ""
    calendar: str = "standard"
    units: str = ""
    origin: float = 0.0
    days_per_unit: float = 1.0

    @classmethod
    def from_values(cls, values, attrs=None) -> "TimeAxis":
        """Choose the time axis from training time values (reference = first day; durations count in days)."""
        values = python_times(values)
        attrs = attrs or {}
        if values.dtype.kind == "m":  # timedelta64, e.g. time since the start of a run
            return cls("numeric", "", "standard", "days")
        if np.issubdtype(values.dtype, np.datetime64):
            stamps = values.astype("datetime64[us]")  # (nanoseconds end in 2262: an SSP run to 2300)
            if np.isnat(stamps).all():  # (numpy's "All-NaN slice" warned from here first: a review)
                raise ValueError("Every time of the data is missing (NaT): check the time coordinate's decoding "
                                 "(its units and calendar), or give times to the observations. For a field without "
                                 "time (a mean, a bathymetry), fit it without one: fit(..., time=False) or "
                                 "ds.drop_vars('<time>').")
            t0 = np.nanmin(stamps)
            return cls("datetime64", str(t0.astype("datetime64[D]")), "standard")
        if values.dtype == object and values.size and hasattr(_first_date(values), "calendar"):
            first = min(v for v in values.ravel() if v is not None)  # (None: a missing cftime date)
            ref = f"{first.year:04d}-{first.month:02d}-{first.day:02d}"
            return cls("cftime", ref, first.calendar or "standard")
        if np.issubdtype(values.dtype, np.number):
            finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
            origin = float(np.floor(finite.min())) if finite.size else 0.0
            units = str(attrs.get("units", ""))
            return cls("numeric", "", "standard", units, origin, days_per_unit(units))
        raise TypeError(
            f"Time values of dtype {values.dtype} are not understood. Use datetime64, cftime "
            f"objects or numbers (decode strings first, e.g. ds['time'] = pd.to_datetime(ds['time']))."
        )

    def to_days(self, values, units: str | None = None) -> np.ndarray:
        """Times -> float64 days since ``reference`` (numeric times less ``origin``, timedelta64 in days).

        ``units``: those of numeric ``values`` given in other units of time than the fit's (a target in days
        of a model fitted in seconds); None or empty: the fit's.
        """
        values = python_times(values)
        if self.kind == "numeric" and units and values.dtype.kind in "fiu" and str(units).strip() != self.units.strip():
            values = values * (days_per_unit(units) / self.days_per_unit)  # into the fit's units
        is_dt = np.issubdtype(values.dtype, np.datetime64)
        is_cf = values.dtype == object and values.size and hasattr(_first_date(values), "calendar")
        if self.kind == "numeric":
            if is_dt or is_cf:
                raise TypeError(
                    "This model was fitted with numeric times but the target has dates; "
                    "give the target numeric times in the same units "
                    f"({self.units or 'as in the training data'})."
                )
            if values.dtype.kind == "m":
                return values / np.timedelta64(1, "D")
            return (values.astype(np.float64) - self.origin) * self.days_per_unit
        fitted = _calendar_family(self.calendar)
        if is_dt and fitted == "standard":
            ref = np.datetime64(self.reference, "us")  # microseconds: +-290,000 years, where nanoseconds overflow
            return (values.astype("datetime64[us]") - ref) / np.timedelta64(1, "D")
        if is_dt or is_cf:
            import cftime

            first = next((v for v in values.ravel() if v is not None and v == v), None)  # (None, NaT: missing)
            given = "standard" if is_dt or first is None else (first.calendar or "standard")
            if _calendar_family(given) != fitted:  # the same dates, by label, in the fitted calendar
                values = _relabel(values, given, self.calendar)
            cal = self.calendar if self.kind == "cftime" else "standard"
            flat = values.ravel()
            there = np.array([v is not None for v in flat], dtype=bool)  # None: a missing cftime date (NaN days)
            out = np.full(flat.shape, np.nan)
            if there.any():
                out[there] = cftime.date2num(list(flat[there]), f"days since {self.reference}", calendar=cal)
            return out.reshape(values.shape)
        if values.size == 0:
            return values.astype(np.float64)
        raise TypeError(
            f"This model was fitted with dates ({self.kind}) but the target times have dtype "
            f"{values.dtype}; pass datetime64 or cftime times."
        )

    def from_days(self, days) -> np.ndarray:
        """Float days since ``reference`` -> times of the training kind."""
        days = np.asarray(days, dtype=np.float64)
        if self.kind == "numeric":
            return days / self.days_per_unit + self.origin
        if self.kind == "datetime64":
            us = np.round(days * (SECONDS_PER_DAY * 1e6)).astype("int64").astype("timedelta64[us]")
            return in_nanoseconds(np.datetime64(self.reference, "us") + us)
        import cftime

        return np.asarray(cftime.num2date(days, f"days since {self.reference}", calendar=self.calendar))

    def to_dict(self) -> dict:
        """The fields, for a model file; ``days_per_unit`` only where it is not 1 (so that files of models fitted in
        days or dates still load in versions before it)."""
        out = dataclasses.asdict(self)
        if out["days_per_unit"] == 1.0:
            del out["days_per_unit"]
        return out


NS_FIRST, NS_LAST = np.datetime64("1678-01-01", "us"), np.datetime64("2262-04-11", "us")  # datetime64[ns]'s range


def _first_date(values: np.ndarray):
    """The first item of an object array that is not None (a missing cftime date), or None."""
    return next((v for v in values.ravel() if v is not None), None)


def python_times(values) -> np.ndarray:
    """``values`` as an array, Python and pandas timestamps (``datetime.datetime``, ``pd.Timestamp``, a time-zone
    aware ``DatetimeIndex``) as naive datetime64 in UTC, as the xarray path reads them; cftime dates and the rest
    as they are. A dict's ``"time": pd.Timestamp("2020-01-02")`` was refused as "dtype object".

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> python_times(pd.Timestamp("2020-01-02 09:00", tz="Europe/Paris")).astype(str).tolist()
    '2020-01-02T08:00:00.000000'
    >>> python_times([datetime.datetime(2020, 1, 2)]).dtype.kind
    'M'
    """
    import datetime

    arr = np.asarray(values)
    if arr.dtype == object and arr.size and isinstance(arr.ravel()[0], datetime.datetime):
        import pandas as pd

        flat = pd.to_datetime(arr.ravel(), utc=True).tz_convert(None)
        return flat.to_numpy().astype("datetime64[us]").reshape(arr.shape)
    return arr


def in_nanoseconds(values) -> np.ndarray:
    """datetime64 values in nanoseconds (xarray's and pandas' usual unit) where all of them fit (1678-2262), else in
    microseconds: a cast to nanoseconds of a year-2300 date wraps round to 1715 in silence (a review).

    Examples
    --------
    >>> in_nanoseconds(np.array(["2020-01-02"], "datetime64[D]")).dtype, in_nanoseconds(np.array(["2300-01-02"], "datetime64[D]")).dtype
    (dtype('<M8[ns]'), dtype('<M8[us]'))
    """
    values = np.asarray(values).astype("datetime64[us]")
    finite = values[~np.isnat(values)]
    inside = not finite.size or (finite.min() >= NS_FIRST and finite.max() <= NS_LAST)
    return values.astype("datetime64[ns]") if inside else values


CALENDAR_FAMILIES = {"gregorian": "standard", "proleptic_gregorian": "standard", "julian": "julian",
                     "noleap": "noleap", "365_day": "noleap", "all_leap": "all_leap", "366_day": "all_leap",
                     "360_day": "360_day", "standard": "standard"}  # CF calendar names -> one name per calendar


def _calendar_family(calendar: str) -> str:
    return CALENDAR_FAMILIES.get(str(calendar).lower(), str(calendar).lower())


def _relabel(values: np.ndarray, given: str, fitted: str) -> np.ndarray:
    """Dates of the ``given`` calendar as the same dates (year, month, day, time) of the ``fitted`` one.

    A date that the fitted calendar does not have (29 February in ``noleap``, 30
    February from ``360_day``) is refused with both calendars named.
    """
    import cftime

    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        import pandas as pd

        values = np.asarray(pd.DatetimeIndex(values.ravel()).to_pydatetime(), dtype=object).reshape(values.shape)
    import pandas as pd

    flat = values.ravel()
    missing = pd.isnull(flat)  # NaT and None stay missing (np.unique could not order them among dates: a review)
    if missing.any():
        out = np.full(flat.shape, None, dtype=object)
        out[~missing] = _relabel(np.asarray(flat[~missing], dtype=object), given, fitted)
        return out.reshape(values.shape)
    unique, inverse = np.unique(flat, return_inverse=True)
    out = np.empty(unique.shape, dtype=object)
    for i, d in enumerate(unique):
        try:
            out[i] = cftime.datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, calendar=fitted)
        except ValueError:
            raise ValueError(
                f"The target time {d} ({given} calendar) does not exist in the {fitted} calendar the model was "
                f"fitted in. Convert the target's times first, e.g. target.convert_calendar({fitted!r}, "
                f"missing=...), or drop that date."
            ) from None
    return out[inverse.ravel()].reshape(values.shape)


@dataclasses.dataclass
class PointTable:
    """A flat table of observations: one row per point.

    Attributes
    ----------
    lon, lat : ndarray (n,)
        Degrees east in [-180, 180) and degrees north.
    time : ndarray (n,) or None
        Days since the time axis reference (None for spatial data).
    values : ndarray (n, k)
        One column per variable; NaN where that variable is missing.
    weights : ndarray (n,) or None
        Each point's weight in a fit's loss (``fit(..., weights=)``: 1/sigma^2 of its error), or None: alike.
    """

    lon: np.ndarray
    lat: np.ndarray
    time: np.ndarray | None
    values: np.ndarray
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return self.lon.shape[0]

    def subset(self, rows, values: np.ndarray | None = None) -> "PointTable":
        """The table's ``rows`` (a mask or indices), every column and the weights with them; ``values``: new values
        for the whole table first (a screened copy)."""
        values = self.values if values is None else values
        return PointTable(self.lon[rows], self.lat[rows], None if self.time is None else self.time[rows], values[rows],
                          None if self.weights is None else self.weights[rows])

    def coordinates(self) -> np.ndarray:
        """Stack (lon, lat[, time]) into an (n, 2 or 3) float64 array."""
        cols = [self.lon, self.lat] + ([self.time] if self.time is not None else [])
        return np.stack(cols, axis=1)


def _broadcast(pairs: Sequence[tuple[tuple, np.ndarray]]):
    """Broadcast numpy arrays by dimension name; returns (dims, views). No copies."""
    dims: list = []
    sizes: dict = {}
    for d, a in pairs:
        for name, n in zip(d, np.shape(a)):
            if name not in sizes:
                dims.append(name)
                sizes[name] = n
            elif sizes[name] != n:
                raise ValueError(f"dimension {name!r} has sizes {sizes[name]} and {n}")
    out = []
    for d, a in pairs:
        a = np.asarray(a)
        order = [d.index(x) for x in dims if x in d]
        shape = [sizes[x] if x in d else 1 for x in dims]
        out.append(np.broadcast_to(np.transpose(a, order).reshape(shape), [sizes[x] for x in dims]))
    return tuple(dims), out


def _check_latitude(lat: np.ndarray, name) -> None:
    finite = lat[np.isfinite(lat)]
    if finite.size and (finite.min() < -90.0 or finite.max() > 90.0):
        raise ValueError(
            f"Latitude {name!r} has values in [{finite.min():g}, {finite.max():g}], outside [-90, 90]. "
            f"Are latitude and longitude swapped? Pass lat='<name>' and lon='<name>' explicitly. Or does it hold a "
            f"fill value (e.g. -999)? Declare it as the coordinate's _FillValue, or drop those points."
        )


PACKING_ATTRS = ("scale_factor", "add_offset", "_FillValue", "missing_value", "_Unsigned")  # CF packing: decode()
COORD_ROUNDING_DEG = 1e-9  # degrees: a packed coordinate's rounding past a pole or below 0 E, read as the pole or 0
FILL_MATCH_RTOL = 1.2e-7  # a declared fill value matches data to float32 rounding (-327.67 stored as float64)


def _numpy_dtype(var):
    """``var`` with a pandas extension dtype in numpy terms: tz-aware times as naive UTC, nullable numbers as floats."""
    if isinstance(var.dtype, np.dtype):
        return var
    import pandas as pd

    data = pd.array(var.data)  # pandas extension arrays are 1-D
    if var.dtype.kind == "M":
        values = (data.tz_convert(None) if getattr(var.dtype, "tz", None) is not None else data).to_numpy()
    elif var.dtype.kind in "fiu":
        values = data.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raise TypeError(
            f"Variable {var.name!r} has the pandas dtype {var.dtype}, which geoinr does not read. Convert it "
            f"first, e.g. ds[{var.name!r}] = ds[{var.name!r}].astype(float) (or pd.to_datetime for dates)."
        )
    return var.copy(data=values)


def _valid_bounds(var, widen: bool = True) -> tuple[float, float] | None:
    """``(low, high)`` from CF ``valid_range``/``valid_min``/``valid_max`` in decoded units, or None.

    Integer bounds of a packed variable are in packed units (CF): they are unpacked
    and (``widen``) widened by half a packing step, so that a value on a bound is kept
    (not where values are clipped to the range: half a step past it is written one
    integer past it).
    """
    given = {k: np.ravel(var.attrs[k]) for k in VALID_ATTRS if k in var.attrs}
    if not given:
        return None
    try:
        low, high = (given["valid_range"].astype(np.float64)[[0, -1]] if "valid_range" in given
                     else (-np.inf, np.inf))
        low = float(given["valid_min"][0]) if "valid_min" in given else float(low)
        high = float(given["valid_max"][0]) if "valid_max" in given else float(high)
    except (TypeError, ValueError, IndexError):
        return None  # not numbers: nothing to check against
    packing = var.attrs if any(k in var.attrs for k in ("scale_factor", "add_offset")) else var.encoding
    scale = float(np.ravel(packing.get("scale_factor", 1.0))[0])  # (one-element lists in some files)
    offset = float(np.ravel(packing.get("add_offset", 0.0))[0])
    if (scale, offset) != (1.0, 0.0) and all(b.dtype.kind in "iu" for b in given.values()):
        low, high = sorted((low * scale + offset, high * scale + offset))
        if widen:
            low, high = low - abs(scale) / 2, high + abs(scale) / 2
    return low, high


VALID_ATTRS = ("valid_range", "valid_min", "valid_max")  # CF validity bounds, applied by decode()


def mask_invalid(var, warn: bool = True):
    """``var`` with the values outside its CF ``valid_range``/``valid_min``/``valid_max`` missing, with a warning
    (``warn=False``: quietly, for values already warned of).

    Dask-backed data stay lazy: they are masked without being read (the warning then gives
    no count), and the bounds are dropped from the result's attributes, so that the blocks
    read later are not masked, nor warned about, again.

    Examples
    --------
    >>> import warnings
    >>> v = xr.DataArray([-5.0, 1.0, 2.0], dims="x", name="sst", attrs={"valid_min": -2.0})
    >>> with warnings.catch_warnings(record=True):
    ...     mask_invalid(v).values.tolist()
    [nan, 1.0, 2.0]
    """
    return _mask_invalid(var, _valid_bounds(var), warn)


def _mask_invalid_longitude(var):
    """:func:`mask_invalid` for a longitude: a position, valid wherever it falls inside the bounds modulo 360.

    DUACS declares valid_min 0.125 and valid_max 359.875 on its longitude, which a grid converted to -180..180
    keeps: read as numbers, every point west of Greenwich was masked (half a map of NaN from ``predict``).
    """
    bounds = _valid_bounds(var)
    if bounds is None or var.dtype.kind not in "fiu":
        return var
    low = bounds[0] if np.isfinite(bounds[0]) else -180.0
    checked = _mask_invalid(var.copy(data=(var.data - low) % 360.0 + low), bounds)  # warns for those outside
    out = var.where(checked.notnull() | var.isnull())
    out.attrs = checked.attrs  # a dask-backed result drops the bounds, as mask_invalid does
    return out


def _mask_invalid(var, bounds, warned: bool = True):
    """``var`` with the numbers outside ``bounds`` set to NaN, and (``warned``) a warning saying how many."""
    if bounds is None or var.dtype.kind not in "fiu":
        return var
    key = next(k for k in VALID_ATTRS if k in var.attrs)

    def warn(which: str) -> None:
        if not warned:
            return
        warnings.warn(
            f"Variable {var.name!r}: {which} outside its valid range [{bounds[0]:.6g}, {bounds[1]:.6g}] (CF "
            f"valid_range/valid_min/valid_max), treated as missing. To keep them, drop those attributes first, "
            f"e.g. ds[{var.name!r}].attrs.pop({key!r}).", GeoinrWarning, stacklevel=user_stacklevel(),
        )

    if var.chunks is not None:  # dask: lazily, uncounted
        masked = var.where((var >= bounds[0]) & (var <= bounds[1]))
        masked.attrs = {k: v for k, v in var.attrs.items() if k not in VALID_ATTRS}
        warn("values")
        return masked
    values = np.asarray(var.values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = (values < bounds[0]) | (values > bounds[1])
    n_bad = int(bad.sum())
    if n_bad:
        warn(f"{n_bad:,} of {values.size:,} values lie")
        var = var.copy(data=np.where(bad, np.nan, values))
    return var


def decode(var, longitude: bool = False):
    """Apply CF decoding that xarray would do on opening a file, when it was not done.

    Packed integers (``scale_factor``/``add_offset``/``_FillValue``) become floats
    with NaN, and numbers with a ``units`` attribute like ``"days since 2000-01-01"``
    become dates (datetime64, or cftime for other calendars). Values outside the CF
    ``valid_range`` (or ``valid_min``/``valid_max``; in packed units when the
    variable is packed) become NaN, with a warning (``longitude=True``: modulo 360, as a position). Dask-backed
    data stay lazy. Pandas extension dtypes become
    numpy ones: tz-aware times naive datetime64 in UTC, nullable numbers floats
    with NaN where missing.

    Examples
    --------
    >>> import xarray as xr
    >>> v = xr.DataArray(np.array([0, 10, -1], "int16"), dims="n", attrs={"scale_factor": 0.5, "_FillValue": -1})
    >>> decode(v).values.tolist()
    [0.0, 5.0, nan]
    >>> t = xr.DataArray([0.5, 1.0], dims="n", attrs={"units": "days since 2000-01-01"})
    >>> str(decode(t).values[1])[:10]
    '2000-01-02'
    >>> import warnings
    >>> sst = xr.DataArray([12.0, -50.0], dims="n", name="sst", attrs={"valid_min": -5.0})
    >>> with warnings.catch_warnings(record=True):
    ...     decode(sst).values.tolist()
    [12.0, nan]
    """
    var = _numpy_dtype(var)
    attrs = var.attrs
    packed = any(k in attrs for k in PACKING_ATTRS)
    units = str(attrs.get("units", ""))
    timelike = _has_time_units(var)
    if packed or timelike:
        key = str(var.name) if var.name is not None else "v"  # (xarray's warnings name it)
        ds = xr.Dataset({key: xr.Variable(var.dims, var.variable.data, dict(attrs))})  # dask data stay lazy
        try:
            decoded = xr.decode_cf(ds, use_cftime=None) if timelike else xr.decode_cf(ds, decode_times=False)
        except (ValueError, OverflowError) as err:
            calendar = attrs.get("calendar", "standard")
            hint = (f" Months and years have no fixed length in the {calendar!r} calendar: convert the numbers to days "
                    f"first (e.g. ds[{var.name!r}] = pd.to_datetime(...) of each month, or numbers times 30.4375 with "
                    f"units 'days since ...'), or give calendar='360_day' if that is the data's calendar."
                    if any(w in units.split(" since ")[0].lower() for w in ("month", "year")) else "")
            raise ValueError(f"Could not decode {var.name!r} with units {units!r}.{hint} ({err})") from err
        var = _missing_dates_kept(var, decoded[key].rename(var.name)) if timelike else decoded[key].rename(var.name)
    var = _declared_fills_masked(var)
    return _mask_invalid_longitude(var) if longitude else mask_invalid(var)


def _declared_fills_masked(var):
    """``var`` with the values equal, to float32 rounding, to its declared ``_FillValue``/``missing_value`` NaN: a
    float32 variable whose ``missing_value`` is stored as a float64 (-327.67) kept them all, xarray comparing them
    exactly, and they were fitted and scored as data (a review: a mean of -16 m). Packed variables' fills are in
    packed units: left to the packing."""
    if var.dtype.kind != "f" or any(k in where for where in (var.attrs, var.encoding)
                                    for k in ("scale_factor", "add_offset")):
        return var
    declared = set()
    for where in (var.attrs, var.encoding):
        for k in ("_FillValue", "missing_value"):
            try:
                declared |= {float(f) for f in np.ravel(where[k]) if np.isfinite(float(f))} if k in where else set()
            except (TypeError, ValueError):
                continue
    if not declared:
        return var
    hit = None
    for f in sorted(declared):
        near = abs(var - f) <= abs(f) * FILL_MATCH_RTOL
        hit = near if hit is None else hit | near
    if var.chunks is None and not bool(hit.any()):  # (the usual case: xarray masked them)
        return var
    out = var.where(~hit)
    out.attrs, out.encoding = dict(var.attrs), dict(var.encoding)
    return out


def _warn_epoch_times(var, name) -> None:
    """Warn where a time that declares a fill value (cftime dates: another calendar than the standard one) holds its
    units' epoch after later dates: xarray decodes such a calendar's missing times there (the standard calendar's
    become NaT), and they were fitted there in silence (a review: three missing times made a 10-day record 110 days
    long). A record that starts at its epoch is not warned of (only dates after a later one count)."""
    encoding = getattr(var, "encoding", {})
    if var.dtype != object or not any(k in encoding for k in ("_FillValue", "missing_value")):
        return
    units, calendar = encoding.get("units"), encoding.get("calendar", "standard")
    try:
        import cftime

        epoch = cftime.num2date(0, units, calendar=calendar)
        flat = np.asarray(var.values).ravel()
        at = np.flatnonzero(flat == epoch)
        if not at.size:
            return
        try:
            later = np.asarray(flat > epoch, dtype=bool)
        except TypeError:  # (None among them)
            later = np.array([v is not None and v > epoch for v in flat], dtype=bool)
        n = int(np.count_nonzero(at > np.argmax(later))) if later.any() else 0  # after a later date
        n = n or (at.size if at.size > 1 else 0)  # or several: missing first stamps (a record starts there once)
    except (TypeError, ValueError, AttributeError):
        return
    if n:
        warnings.warn(f"{n:,} times of {name!r} are its units' epoch ({epoch}), where xarray decodes the missing times "
                      f"of the {calendar!r} calendar (the time declares a fill value). If they are missing, open the "
                      f"file with decode_times=False (geoinr then drops them), or drop them first.", GeoinrWarning,
                      stacklevel=user_stacklevel())


def _missing_dates_kept(raw, dates):
    """``dates`` decoded from ``raw`` numbers, with the missing ones (NaN, a declared ``_FillValue`` or
    ``missing_value``) as None where they are cftime dates: xarray decodes them to the epoch in a non-standard
    calendar (NaN became 2020-01-01 for "days since 2020-01-01" in noleap), so such points were fitted at a wrong
    time in silence. datetime64 dates have NaT there already. Dask-backed dates are left as they are."""
    if dates.dtype != object or dates.chunks is not None or raw.dtype.kind not in "fiu":
        return dates
    values = np.asarray(raw.values, dtype=np.float64)
    missing = ~np.isfinite(values)
    for key in ("_FillValue", "missing_value"):
        for fill in np.ravel(raw.attrs.get(key, [])):
            missing |= np.isclose(values, float(fill), rtol=0.0, atol=0.0)
    if not missing.any():
        return dates
    kept = np.array(dates.values, dtype=object)
    kept[missing] = None
    return dates.copy(data=kept)


def _check_longitude(lon: np.ndarray, name, conventions: bool = True) -> None:
    """Refuse longitudes that are not degrees east, and (``conventions``) a mix of [-180, 180) and [0, 360)."""
    finite = lon[np.isfinite(lon)]
    if not finite.size:
        return
    lo, hi = finite.min(), finite.max()
    if lo < -360.0 or hi > 720.0:
        raise ValueError(
            f"Longitude {name!r} has values in [{lo:g}, {hi:g}], which are not degrees east. "
            f"Is it a projected x coordinate? Pass lon='<name>' of a longitude in degrees. Or does it hold a "
            f"fill value (e.g. -999)? Declare it as the coordinate's _FillValue, or drop those points."
        )
    if conventions and lo < -COORD_ROUNDING_DEG and hi > 180.0:  # (0 E packed decodes to -2.8e-14: a review)
        raise ValueError(
            f"Longitude {name!r} mixes conventions: values from {lo:g} to {hi:g} (both negative and above 180). "
            f"Wrap them into one convention first, e.g. ds[{name!r}] = geoinr.coords.wrap_longitude(ds[{name!r}])."
        )


def _numeric_values(var, name) -> np.ndarray:
    if not (np.issubdtype(var.dtype, np.floating) or np.issubdtype(var.dtype, np.integer)) or var.dtype == bool:
        raise TypeError(
            f"Variable {name!r} has dtype {var.dtype}; only numeric (float or integer) data can be "
            f"fitted. Convert it first, e.g. ds[{name!r}].astype(float)."
        )
    return np.asarray(var.values, dtype=np.float64)


def warn_unitless_time(var, name, span_days: float | None = None) -> None:
    """Warn that numeric times without a ``units`` attribute are read as days (CF asks every time for its units).

    Seconds or hours taken for days make a record hundreds of years long, and its scales with it (a review of
    2026-12-06); ``span_days``, where known, is shown so that such a reading is seen at once.

    Parameters
    ----------
    var : xarray.DataArray
        The time coordinate as read (decoded): dates, and numbers with units, pass in silence.
    name : str
        Its name, for the message.
    span_days : float, optional
        Its last minus its first value.

    Examples
    --------
    >>> import warnings, xarray as xr
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_unitless_time(xr.DataArray([0.0, 86400.0], dims="t"), "t", 86400.0)
    ...     warn_unitless_time(xr.DataArray([0.0, 86400.0], dims="t", attrs={"units": "s"}), "t", 1.0)
    >>> len(caught), "a span of 86,400 days" in str(caught[0].message)
    (1, True)
    """
    if var.dtype.kind not in "fiu" or str(var.attrs.get("units", "")).strip():
        return
    span = f" (a span of {span_days:,.6g} days)" if span_days is not None and np.isfinite(span_days) else ""
    warnings.warn(
        f"Time {name!r} holds plain numbers without a 'units' attribute: they are read as days{span}. If they are "
        f"in other units, say which, e.g. ds[{name!r}].attrs['units'] = 'seconds' (or 'hours', or 'seconds since "
        f"2000-01-01'); set 'days' to silence this warning.",
        GeoinrWarning, stacklevel=user_stacklevel())


RADIAN_UNITS = ("rad", "rads", "radian", "radians")


def _float_coord(var, name, role, time_axis: TimeAxis | None):
    if role == "time":  # numeric times in their own units, where they say them
        return np.asarray(time_axis.to_days(var.values, var.attrs.get("units")), dtype=np.float64)
    if not np.issubdtype(var.dtype, np.number):
        raise TypeError(f"{role} coordinate {name!r} has dtype {var.dtype}; expected numbers in degrees.")
    if str(var.attrs.get("units", "")).strip().lower() in RADIAN_UNITS:  # in range as degrees: refused by its units
        axis = "north" if role == "lat" else "east"
        raise ValueError(
            f"{'Latitude' if role == 'lat' else 'Longitude'} {name!r} is in radians (units={var.attrs['units']!r}); "
            f"geoinr reads degrees. Convert it first, e.g. ds = ds.assign_coords({name}=np.rad2deg(ds[{name!r}])) "
            f"and ds[{name!r}].attrs['units'] = 'degrees_{axis}'.")
    vals = np.asarray(var.values, dtype=np.float64)
    if role == "lat":  # a pole packed as integers decodes to 90.00000000000001: the pole (a review)
        vals = np.where((np.abs(vals) > 90.0) & (np.abs(vals) <= 90.0 + COORD_ROUNDING_DEG), np.sign(vals) * 90.0, vals)
        _check_latitude(vals, name)
    return vals


CLIMATOLOGY_DIMS = ("month", "dayofyear", "doy", "season", "hour", "week", "weekofyear")  # groupby("time.x")'s


def _check_extra_dims(obj, var, name, spanned, time_name=None) -> None:
    """Refuse a dimension of length > 1 that no coordinate spans (depth, member): its values share every point.

    A time dimension (dates, or a coordinate with a time's name) is allowed where the fit reads no time
    (``time_name`` None, ``time=False``): its values are pooled into one spatial field. Where it reads another time,
    a variable on a time axis of its own is refused (its maps were copied onto every time read: a review).
    """
    timed = [d for d in var.dims if d not in spanned and var.sizes[d] > 1
             and d in obj.coords and (_is_time_like(obj[d]) or str(d).lower() in TIME_NAMES)]
    if timed and time_name is not None:
        raise ValueError(
            f"Variable {name!r} has a time dimension of its own, {timed[0]!r} (length {var.sizes[timed[0]]}), not the "
            f"time {time_name!r} this fit reads: its maps would be fitted at every time of {time_name!r}. Fit it "
            f"alone, or put it on the same times first (e.g. ds[{name!r}].interp({timed[0]}=ds[{time_name!r}]) and "
            f"renamed), or give time= naming its own.")
    extra = [d for d in var.dims if d not in spanned and var.sizes[d] > 1 and d not in timed]
    if extra:
        d = extra[0]
        own = [n for n, c in _candidates(obj).items() if n != name and set(c.dims) & set(extra)
               and set(c.dims) <= set(var.dims) and (_role_from_attrs(c)[0] in ("lat", "lon")
                                                      or str(n).lower() in LAT_NAMES + LON_NAMES)]
        if own:  # a staggered (C-grid) variable, or one on another grid than the others fitted with it
            raise ValueError(
                f"Variable {name!r} lies on other horizontal coordinates ({', '.join(map(repr, own))}) than the "
                f"latitude and longitude this fit reads (over {', '.join(repr(str(d)) for d in sorted(spanned, key=str))}): "
                f"variables fitted together must share one grid (a C-grid's u and v do not). Fit it alone (its coordinates are then found), pass lat= and "
                f"lon= naming its own, or interpolate the variables onto one grid first (e.g. onto the tracer "
                f"points with xgcm).")
        raise ValueError(
            f"Variable {name!r} has the dimension(s) {', '.join(f'{e!r} (length {var.sizes[e]})' for e in extra)}, "
            f"which no latitude, longitude or time coordinate spans: its values along them would be fitted as "
            f"repeated observations of the same points. "
            + (f"A climatology's {d!r} (a time of year, not a date): fit one, e.g. ds.sel({d}=1), or give each its "
               f"date, e.g. ds.rename({d}='time').assign_coords(time=" + (
                   "pd.date_range('2001-01-01', periods=12, freq='MS') + pd.Timedelta(days=14))" if str(d).lower()
                   == "month" else "<its dates>)") + " (the first and last are then no neighbours), then fit again."
               if str(d).lower() in CLIMATOLOGY_DIMS else _level_advice(obj, name, d))
        )


def _level_advice(obj, name, dim) -> str:
    """How to leave an extra dimension ``dim``: select or reduce it; where another variable gives each point its own
    levels along it (Argo's ``PRES`` over ``N_LEVELS``), interpolate each profile to one level (a review: ``sel``
    raised on an axis without an index, ``isel`` mixed pressures across profiles)."""
    if str(dim).lower() == "expver":  # ERA5's final (1) and preliminary (5) runs, each NaN where the other is
        return (f"ERA5 keeps its final and preliminary (ERA5T) data apart along {dim!r}: join them, e.g. "
                f"ds.sel({dim}=ds[{dim!r}][0]).combine_first(ds.sel({dim}=ds[{dim!r}][1])), then fit again "
                f"(isel({dim}=0) drops the latest times).")
    pick = f"ds.sel({dim}=..., method='nearest') or " if dim in obj.indexes else ""
    if str(dim).lower() in ENSEMBLE_DIMS:  # ERA5's number, CMIP's member_id: members, not levels (a review)
        return (f"{dim!r} holds ensemble members: fit one, e.g. ds.isel({dim}=0), or their mean, e.g. "
                f"ds.mean({dim!r}), then fit again.")
    levels = [n for n, c in _candidates(obj).items() if n != name and dim in c.dims and c.ndim > 1
              and (str(c.attrs.get("units", "")).lower() in ("dbar", "decibar", "m", "meter", "meters", "metre")
                   or _vertical(str(c.attrs.get("standard_name", ""))))]
    if levels:
        return (f"Its levels differ between points ({levels[0]!r} along {dim!r}): interpolate each one to a level "
                f"first (e.g. with numpy.interp of {name!r} against {levels[0]!r} per profile, or argopy's "
                f"interp_std_levels), then fit again.")
    return f"Select one level, e.g. {pick}ds.isel({dim}=0), or reduce it, e.g. ds.mean({dim!r}), then fit again."


# dimensions of ensemble members (ERA5's number, CMIP's member_id and realization)
ENSEMBLE_DIMS = ("number", "member", "member_id", "realization", "ensemble", "ens", "ensemble_member")


def _vertical(standard_name: str) -> bool:
    """Whether a standard name is a vertical coordinate's (Argo's sea_water_pressure, depth), not a field that
    names a pressure at a level (ERA5's air_pressure_at_mean_sea_level, surface_air_pressure: a review read a
    sea-level pressure as the levels of a temperature's ensemble members, and advised argopy)."""
    if "_at_" in standard_name or "surface" in standard_name:
        return False
    return any(w in standard_name for w in ("pressure", "depth"))


def points_from_xarray(obj, variables: Sequence[Hashable], names: CoordNames, time_axis: TimeAxis | None = None):
    """Flatten gridded or scattered xarray data into a :class:`PointTable`.

    Points where every variable is NaN, or where a coordinate is not finite, are
    dropped. Works for gridded ``(time, lat, lon)`` data in any dimension order,
    curvilinear grids with 2-D lat/lon, and along-track data with 1-D lat/lon
    along one observation dimension. Other dimensions (depth, member, ...) must
    have length one: several levels at one place and time are refused, not
    fitted as repeated observations.

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
    variables : sequence of hashable
        Data variables to stack as columns (ignored for a DataArray).
    names : CoordNames
    time_axis : TimeAxis, optional
        How to convert times; chosen from the data if None.

    Returns
    -------
    table : PointTable
    time_axis : TimeAxis or None

    Raises
    ------
    ValueError
        If a variable has a dimension of length > 1 that no latitude, longitude
        or time coordinate spans; the message says how to select or reduce it.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray([[1.0, np.nan], [3.0, 4.0]], dims=("lat", "lon"),
    ...                   coords={"lat": [0.0, 1.0], "lon": [350.0, 355.0]})
    >>> table, _ = points_from_xarray(da, [None], CoordNames("lat", "lon"))
    >>> table.lon.tolist(), table.values[:, 0].tolist()
    ([-10.0, -10.0, -5.0], [1.0, 3.0, 4.0])
    """
    data_vars = [decode(obj)] if isinstance(obj, xr.DataArray) else [decode(obj[v]) for v in variables]
    for v, var in zip(variables, data_vars):
        _numeric_values(var, v if v is not None else var.name)
    coord_vars = {"lat": decode(obj[names.lat]), "lon": decode(obj[names.lon], longitude=True)}
    if names.time is not None:
        coord_vars["time"] = decode(obj[names.time])
        _warn_epoch_times(coord_vars["time"], names.time)
        if time_axis is None:
            time_axis = TimeAxis.from_values(coord_vars["time"].values, coord_vars["time"].attrs)
            if time_axis.kind == "numeric":
                t = np.asarray(coord_vars["time"].values, dtype=np.float64)
                span = float(np.nanmax(t) - np.nanmin(t)) if np.isfinite(t).any() else None
                warn_unitless_time(coord_vars["time"], names.time, span)
    _check_longitude(np.asarray(coord_vars["lon"].values, dtype=np.float64), names.lon)
    spanned = {d for var in coord_vars.values() for d in var.dims}
    for v, var in zip(variables, data_vars):
        _check_extra_dims(obj, var, v if v is not None else var.name, spanned, names.time)
    pairs = [(var.dims, _numeric_values(var, name)) for name, var in zip(variables, data_vars)]
    pairs += [(var.dims, _float_coord(var, getattr(names, role), role, time_axis)) for role, var in coord_vars.items()]
    dims, views = _broadcast(pairs)
    nvar = len(data_vars)
    data_views, coord_views = views[:nvar], dict(zip(coord_vars, views[nvar:]))
    keep = np.zeros(data_views[0].shape, dtype=bool)
    for d in data_views:
        keep |= np.isfinite(d)
    coords_ok = np.ones_like(keep)
    for c in coord_views.values():
        coords_ok &= np.isfinite(c)
    n_badc = int((keep & ~coords_ok).sum())
    if n_badc:
        role = next((r for r, c in coord_views.items() if not np.isfinite(c[keep]).all()), "lat")
        name = getattr(names, role)  # the data's own name (a review: the example's ds.lat failed on 'latitude')
        warnings.warn(
            f"{n_badc} data points have missing (NaN/inf) coordinates and were dropped. To keep them, fill their "
            f"coordinates first; to silence this, drop them (e.g. ds.where(np.isfinite(ds[{name!r}]), drop=True)).",
            GeoinrWarning,
            stacklevel=user_stacklevel(),
        )
    keep &= coords_ok
    values = np.stack([d[keep] for d in data_views], axis=1)
    values[~np.isfinite(values)] = np.nan  # inf is missing, as NaN is (a joint fit keeps the row for the others)
    table = PointTable(
        lon=wrap_longitude(coord_views["lon"][keep]),
        lat=np.ascontiguousarray(coord_views["lat"][keep]),
        time=np.ascontiguousarray(coord_views["time"][keep]) if "time" in coord_views else None,
        values=values,
    )
    return table, time_axis


def _output_dims(target, names: CoordNames, coord_dims: Iterable) -> tuple:
    coord_dims = list(dict.fromkeys(coord_dims))
    order: list = []
    if isinstance(target, xr.DataArray):
        order = [d for d in target.dims if d in coord_dims]
    else:
        for v in target.data_vars.values():
            if set(coord_dims) <= set(v.dims):
                order = [d for d in v.dims if d in coord_dims]
                break
    for name in (names.time, names.lat, names.lon):
        if name is not None:
            for d in target[name].dims:
                if d not in order:
                    order.append(d)
    return tuple(order)


def compact(view: np.ndarray) -> np.ndarray:
    """The distinct values of a broadcast view: size 1 along its zero-stride (broadcast) axes.

    Examples
    --------
    >>> compact(np.broadcast_to(np.arange(3.0), (4, 3))).shape
    (1, 3)
    """
    view = np.asarray(view)
    if not view.ndim:
        return view
    return view[tuple(slice(0, 1) if st == 0 else slice(None) for st in view.strides)]


def target_points(target, names: CoordNames, time_axis: TimeAxis | None):
    """Coordinates of a prediction target, broadcast to the output shape (views, no copies).

    Returns
    -------
    dims : tuple
        Output dimensions, in the target's order (time first otherwise).
    coords : dict
        ``{"lon": view, "lat": view[, "time": view]}``, float64 views of the output shape;
        lon wrapped to [-180, 180), time in days since the model's reference.
    """
    roles = {"lat": names.lat, "lon": names.lon}
    if names.time is not None:
        roles["time"] = names.time
    dims = _output_dims(target, names, [d for n in roles.values() for d in target[n].dims])
    pairs = [((tuple(dims)), np.zeros([target.sizes[d] for d in dims], dtype=np.int8))]
    for role, name in roles.items():
        var = decode(target[name], longitude=role == "lon")
        vals = _float_coord(var, name, role, time_axis)
        if role == "lon":  # a target may mix conventions (it is wrapped), but must be in degrees
            _check_longitude(vals, name, conventions=False)
            vals = wrap_longitude(vals)
        pairs.append((var.dims, vals))
    out_dims, views = _broadcast(pairs)
    return out_dims, dict(zip(roles, views[1:]))


def find_target_coords(target, trained: dict, time_axis: TimeAxis | None, lat=None, lon=None, time=None,
                       time_optional: bool = False) -> CoordNames:
    """Coordinates of a prediction target, preferring the names the model was fitted with.

    Parameters
    ----------
    target : xarray.Dataset or xarray.DataArray
    trained : dict
        ``{"lat", "lon", "time"}`` names of the training data.
    time_axis : TimeAxis or None
        The fitted time axis; None for a purely spatial model (time is then ignored).
    lat, lon, time : hashable, optional
        Explicit names, which win.
    time_optional : bool
        A timed model may take a target without time (a fit of one instant: evaluated at it).

    Examples
    --------
    >>> g = regular_grid((0, 2, 10, 11), 0.5)
    >>> find_target_coords(g, {"lat": "lat", "lon": "lon", "time": None}, None).lat
    'lat'
    """
    has = _candidates(target)
    lat = lat if lat is not None else (trained["lat"] if trained["lat"] in has else None)
    lon = lon if lon is not None else (trained["lon"] if trained["lon"] in has else None)
    needs_time = time_axis is not None
    if needs_time and time is None and trained["time"] in has and not str(
            target[trained["time"]].attrs.get("standard_name", "")).lower().startswith("forecast_"):
        time = trained["time"]  # (not a forecast file's time: its start, the valid time elsewhere; a review)
    names = find_coords(target, lat=lat, lon=lon, time=time if needs_time else False,
                        require_time=None if needs_time and time_optional else needs_time)
    if needs_time:  # a forecast's steps (timedelta) along a dimension the chosen coordinates leave out: refused
        spanned = {d for n in (names.lat, names.lon, names.time) if n is not None for d in target[n].dims}
        used = {d for v in (target.data_vars.values() if isinstance(target, xr.Dataset) else [target]) for d in v.dims}
        used |= {d for c in target.coords.values() if c.dtype.kind == "M" for d in c.dims}  # (not bounds' dims)
        steps = [n for n, c in target.coords.items() if c.dtype.kind == "m" and c.ndim == 1 and c.dims[0] not in spanned
                 and (c.dims[0] in used or c.dims[0] == n)]
        if steps:
            raise ValueError(
                f"The target has forecast steps {steps[0]!r} (timedeltas along {target[steps[0]].dims[0]!r}) that its "
                f"time {names.time!r} does not span: {names.time!r} would be the forecasts' start at every step. Give "
                f"the valid times, e.g. target.assign_coords(valid_time=target[{names.time!r}] + target[{steps[0]!r}]) "
                f"and time='valid_time'.")
    return names


def grid_mapping_of(coords: dict) -> Hashable | None:
    """The name of the CF grid-mapping variable (``grid_mapping_name`` among its attributes) carried among an
    output's ``coords`` (see :func:`output_coords`), or None.

    Examples
    --------
    >>> import xarray as xr
    >>> grid_mapping_of({"crs": xr.DataArray(0, attrs={"grid_mapping_name": "latitude_longitude"})})
    'crs'
    """
    return next((n for n, c in coords.items() if "grid_mapping_name" in getattr(c, "attrs", {})), None)


def output_coords(target, dims, names: CoordNames) -> dict:
    """Coordinates of ``target`` to put on an output with dims ``dims`` (lat/lon/time always kept).

    Examples
    --------
    >>> g = regular_grid((0, 2, 10, 11), 0.5)
    >>> sorted(output_coords(g, ("lat", "lon"), CoordNames("lat", "lon")))
    ['lat', 'lon']
    """
    coords = {name: c for name, c in target.coords.items() if set(c.dims) <= set(dims)}
    if isinstance(target, xr.Dataset):  # CF: the grid mapping its variables name (a projected grid's crs), kept
        named = {str(v.attrs.get("grid_mapping", "")) for v in target.data_vars.values()}
        named |= {n for n, v in target.data_vars.items() if "grid_mapping_name" in v.attrs}  # a grid alone names none
        coords.update({n: target[n] for n in named if n in target.data_vars and set(target[n].dims) <= set(dims)})
    for name in (names.lat, names.lon, names.time):
        if name is not None and name not in coords:
            coords[name] = target[name]
    for name, c in coords.items():  # CF: a bounds attribute must name a variable of the file
        if "bounds" in c.attrs and c.attrs["bounds"] not in coords:
            coords[name] = c.copy(deep=False)
            coords[name].attrs = {k: v for k, v in c.attrs.items() if k != "bounds"}
    return coords


def dict_columns(target, time_axis: TimeAxis | None, fitted: str = "model") -> list:
    """Broadcast (lon, lat[, time in days]) columns of a dict target such as ``{"lon": ..., "lat": ...}``.

    Keys are matched case-insensitively; longitudes are wrapped to [-180, 180)
    (a target may lie any multiple of 360 degrees away), latitudes checked.
    ``time`` is required (and converted with ``time_axis``) when the ``fitted``
    object was fitted with time, and ignored otherwise.

    Examples
    --------
    >>> [c.tolist() for c in dict_columns({"LON": [190.0, 10.0], "lat": 45.0}, None)]
    [[-170.0, 10.0], [45.0, 45.0]]
    """
    keys = {str(k).lower(): k for k in target}
    if "lon" not in keys or "lat" not in keys:
        raise ValueError(f"The target dict needs keys 'lon' and 'lat'; got {list(target)}.")
    lon = wrap_longitude(np.asarray(target[keys["lon"]], dtype=np.float64))
    lat = np.asarray(target[keys["lat"]], dtype=np.float64)
    _check_latitude(lat, "lat")
    cols = [lon, lat]
    if time_axis is not None:
        if "time" not in keys:
            raise ValueError(f"This {fitted} was fitted with time; the target dict needs a 'time' key.")
        cols.append(time_axis.to_days(np.asarray(target[keys["time"]])))
    try:
        return np.broadcast_arrays(*cols)
    except ValueError:  # numpy's "shape mismatch ... arg 0 ... arg 1" (a review)
        shapes = ", ".join(f"{k} {np.shape(target[keys[k]])}" for k in ("lon", "lat", "time") if k in keys)
        raise ValueError(f"The target dict's coordinates do not fit together ({shapes}): give arrays of one shape "
                         f"(one entry per point), or scalars that apply to every point.") from None


def resolution_pair(resolution) -> tuple[float, float]:
    """(dlon, dlat) in degrees from one number or a pair, each positive and finite (else a clear ValueError).

    Examples
    --------
    >>> resolution_pair(0.25), resolution_pair((0.5, 0.25))
    ((0.25, 0.25), (0.5, 0.25))
    """
    pair = (resolution, resolution) if np.isscalar(resolution) else tuple(resolution)
    try:
        dlon, dlat = (float(r) for r in pair)
    except (TypeError, ValueError):
        raise ValueError(f"resolution must be a number of degrees or a (lon, lat) pair, got {resolution!r}.") from None
    if not (0 < dlon < np.inf and 0 < dlat < np.inf):
        raise ValueError(f"resolution must be positive and finite (degrees), got {resolution!r}.")
    return dlon, dlat


MAX_GRID_SIDE = 10_000_000  # latitudes or longitudes of a regular grid: more is a mistake (a resolution of 1e-6)


def regular_grid(region, resolution, times=None, lat_name="lat", lon_name="lon", time_name="time") -> xr.Dataset:
    """A regular lat/lon(/time) grid as an empty Dataset with CF coordinate attributes.

    Parameters
    ----------
    region : (west, east, south, north)
        Degrees; ``east`` may exceed 180 for a region across the dateline. Cell
        centres are placed from ``west + resolution/2`` to at most ``east``.
    resolution : float or (float, float)
        Grid spacing in degrees, ``(dlon, dlat)`` if a pair.
    times : array-like, optional
        Time coordinate values (datetime64, cftime or numbers).
    lat_name, lon_name, time_name : str
        Names of the coordinates (and of the bounds, ``<name>_bnds``).

    Returns
    -------
    xarray.Dataset
        No data variables; the coordinates and their CF cell bounds.

    Examples
    --------
    >>> g = regular_grid((0, 2, 10, 11), 0.5)
    >>> g.lon.values.tolist(), g.lat.values.tolist()
    ([0.25, 0.75, 1.25, 1.75], [10.25, 10.75])
    >>> g.lat.attrs["bounds"], g.lat_bnds.values.tolist()  # CF cell bounds
    ('lat_bnds', [[10.0, 10.5], [10.5, 11.0]])
    """
    west, east, south, north = _checked_region(region)
    dlon, dlat = resolution_pair(resolution)
    if east < west:
        east += 360.0
    nlon = max(1, int(np.floor(min(east - west, 360.0) / dlon + 1e-9)))  # (a region of 720 degrees: the globe once)
    nlat = max(1, int(np.floor((north - south) / dlat + 1e-9)))
    if max(nlon, nlat) > MAX_GRID_SIDE:
        raise ValueError(f"resolution {resolution!r} over {west:g} to {east:g} E, {south:g} to {north:g} N gives "
                         f"{nlon:,} x {nlat:,} points: more than {MAX_GRID_SIDE:,} along an axis. Give a coarser "
                         f"resolution, or a smaller region.")
    # a region narrower than one cell: the cell centred on it, its bounds the region's (its centre was placed half a
    # cell past the region, at 95 N for a 30 degree cell over 80-90 N: a review)
    wide_lon, wide_lat = east - west >= dlon, north - south >= dlat
    lon = west + dlon * (np.arange(nlon) + 0.5) if wide_lon else np.array([(west + east) / 2])
    lat = south + dlat * (np.arange(nlat) + 0.5) if wide_lat else np.array([(south + north) / 2])
    lat_bnds, lon_bnds = f"{lat_name}_bnds", f"{lon_name}_bnds"  # CF cell bounds (geoinr's values are points)
    coords = {
        lat_name: (lat_name, lat, {"standard_name": "latitude", "units": "degrees_north", "long_name": "latitude",
                                   "axis": "Y", "bounds": lat_bnds}),
        lon_name: (lon_name, lon, {"standard_name": "longitude", "units": "degrees_east", "long_name": "longitude",
                                   "axis": "X", "bounds": lon_bnds}),
        lat_bnds: ((lat_name, "bnds"), np.clip(np.stack([lat - dlat / 2, lat + dlat / 2], axis=1), -90.0, 90.0)
                   if wide_lat else np.array([[south, north]])),
        lon_bnds: ((lon_name, "bnds"), np.stack([lon - dlon / 2, lon + dlon / 2], axis=1)
                   if wide_lon else np.array([[west, east]])),
    }
    if times is not None:  # (one time given alone: a length-1 axis; dates as text read as dates)
        times = np.atleast_1d(python_times(times))
        if times.dtype.kind in "US":
            import pandas as pd

            times = pd.to_datetime(times.ravel()).to_numpy()
        coords = {time_name: (time_name, times, {"standard_name": "time", "axis": "T"}), **coords}
    grid = xr.Dataset(coords=coords)
    for name in (lat_name, lon_name, lat_bnds, lon_bnds):  # CF: no _FillValue on coordinates or bounds (xarray's NaN)
        grid[name].encoding["_FillValue"] = None
    return grid


def _checked_region(region) -> tuple:
    """``(west, east, south, north)`` as floats, checked: four finite numbers, south below north, both in [-90, 90]
    (a reversed region gave one latitude outside it, in silence; a short one unpacking's raw error)."""
    try:
        west, east, south, north = (float(x) for x in region)
    except (TypeError, ValueError):
        raise ValueError(f"region={region!r}: give four numbers in degrees, (west, east, south, north).") from None
    if not all(np.isfinite([west, east, south, north])):
        raise ValueError(f"region={region!r}: the bounds must be finite numbers of degrees.")
    if not -90.0 <= south <= north <= 90.0:
        raise ValueError(f"region={region!r}: south ({south:g}) must not be above north ({north:g}), both within "
                         f"[-90, 90]: (west, east, south, north).")
    return west, east, south, north
