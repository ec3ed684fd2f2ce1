"""The ``.inr`` accessor on xarray Datasets and DataArrays: a thin front to INRModel.

Accessors are re-created for every ``ds[...]``, so nothing is stored here:
``fit`` returns a new :class:`geoinr.INRModel`.
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from . import coords, geometry, machine, sentinels
from .observations import check_outside, describe, is_lazy
from .base import did_you_mean, history_line, with_cell_bounds
from .frames import GeoinrWarning, user_stacklevel

if TYPE_CHECKING:  # the model (and torch with it) is imported by the first fit, not by ``import geoinr``
    from .model import INRModel

__all__ = ["DatasetINRAccessor", "DataArrayINRAccessor"]

_FIT_NAMES = ("lat", "lon", "time", "checkpoint", "checkpoint_every", "resume", "weights")
LAND_OPTIONS = ("auto", "missing", None)  # regrid(land=), fill_gaps(land=)


def _resolution(target):
    """``target`` as a grid spacing in degrees (a positive number, or a pair of them), or None if it is not one.

    Examples
    --------
    >>> _resolution(0.125), _resolution((0.25, 0.125)), _resolution("0.125")
    (0.125, (0.25, 0.125), None)
    """
    def number(v):
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))

    if isinstance(target, np.ndarray) and target.ndim <= 1 and target.size in (1, 2) and target.dtype.kind in "iuf":
        target = target.item() if target.ndim == 0 else tuple(target.tolist())
    if number(target):
        values = (target,)
    elif isinstance(target, (tuple, list)) and len(target) == 2 and all(number(v) for v in target):
        values = tuple(target)
    else:
        return None
    if not all(np.isfinite(float(v)) and float(v) > 0 for v in values):
        raise ValueError(f"regrid() resolution {target!r}: give a positive spacing in degrees (0.125, or (dlon, dlat)).")
    return float(values[0]) if len(values) == 1 else tuple(float(v) for v in values)


def _check_grid_size(source, resolution) -> None:
    """Refuse, before any fit, a ``regrid`` resolution whose grid over the source's extent (at its times) would take
    more than half the machine's memory: ``regrid(1e-4)`` of a 10 deg box fitted for its whole budget, then raised
    ``MemoryError: 28.1 GiB`` (a review)."""
    names = coords.find_coords(source, require_time=False)
    lat, lon = (np.asarray(source[n].values, dtype=np.float64) for n in (names.lat, names.lon))
    if not (np.isfinite(lat).any() and np.isfinite(lon).any()):
        return
    dlon, dlat = resolution if isinstance(resolution, tuple) else (resolution, resolution)
    west, east = coords.longitude_span(lon[np.isfinite(lon)])
    n_times = source[names.time].size if names.time is not None and names.time in source.variables else 1
    cells = (math.floor((np.nanmax(lat) - np.nanmin(lat)) / dlat) + 1) * (math.floor((east - west) / dlon) + 1)
    machine.check_memory(
        cells * n_times * 8, f"regrid({resolution!r}): a grid at that spacing over the data's extent holds about "
        f"{cells:,} cells a time ({n_times} times, float64)", "Give a coarser resolution, or a lazy output made chunk "
        "by chunk: regrid(..., chunks='auto'). Nothing was fitted.")


def _without_land(pred, obj, fitted: INRModel, every_missing: bool = False):
    """``pred`` with NaN where the nearest cell of the gridded source ``obj`` is land: a cell holding an undeclared
    fill value and no valid value at any time, or a value outside its valid range at every time (:func:`_source_land`), or with ``every_missing`` any
    cell without a value at any time (NaN included: a source whose land is NaN; gaps missing at every time of a
    short record count too).

    The source's cells may lie on 1-D latitude and longitude axes (nearest on each axis, target longitudes wrapped
    into the source's convention) or on 2-D curvilinear coordinates (nearest on the sphere), and the prediction's
    points on axes or coordinates of any names. Points beyond the source (outside its axes, or farther from every
    cell than 1.5 times that cell's longest side) and points without coordinates are not land. Scattered sources
    (tracks, swaths: time along their observation dimension) are returned as they are.
    """
    if not isinstance(pred, xr.Dataset | xr.DataArray):
        return pred
    source = _as_dataset(obj, fitted)
    horizontal = _source_horizontal(source, fitted)
    if horizontal is None:
        return pred
    lat, lon = fitted.coord_names_["lat"], fitted.coord_names_["lon"]
    out = pred.to_dataset() if isinstance(pred, xr.DataArray) else pred.copy()
    try:
        found = coords.find_coords(out, require_time=False)
    except ValueError:
        return pred
    tlat, tlon = out[found.lat], out[found.lon]
    if not (tlat.ndim == tlon.ndim == 1 and tlat.dims != tlon.dims):  # (axes: nearest on each, orthogonally; a
        tlat, tlon = xr.broadcast(tlat, tlon)  # plane of 2-D indexers took 78 bytes a target cell, a review)
    nearest = None
    for v in fitted.variables_:
        if v not in out or v not in source or not set(horizontal) <= set(source[v].dims):
            continue
        land = _source_land(source[v], horizontal, every_missing).transpose(*horizontal).astype(np.float64).compute()
        if not bool(land.any()):
            continue
        if horizontal == (lat, lon) or horizontal == (lon, lat):  # 1-D axes: nearest on each
            lon0 = float(source[lon].min())
            wrapped = (tlon.reset_coords(drop=True) - lon0) % 360.0 + lon0
            on_land = land.interp({lat: tlat.reset_coords(drop=True), lon: wrapped}, method="nearest") == 1.0
        else:
            if nearest is None:
                tlat, tlon = xr.broadcast(tlat, tlon)
                nearest = _nearest_cells(source[lat], source[lon], horizontal, tlat.values, tlon.values)
            on_land = xr.DataArray((nearest >= 0) & (land.values.ravel()[np.maximum(nearest, 0)] == 1.0),
                                   dims=tlat.dims)
        out[v] = out[v].where(~on_land.drop_vars(list(on_land.coords)))  # the targets' own coordinates stay
    return out[fitted.variables_[0]] if isinstance(pred, xr.DataArray) else out


def _warn_missing_everywhere(source: xr.Dataset, fitted: INRModel, method: str, kept: dict | None = None) -> None:
    """Warn where ``land="auto"`` fills cells of a gridded record that hold no value at any time and are no land by
    its rule: land masked to NaN (as the fill-value warning suggests) was filled in silence. On a single map every
    gap is such a cell: the warning says that one map cannot tell them from land, and what can. Not for
    a dask-backed source: counting would read all of it once more, before a lazy result (the fill-value warning names
    ``land="missing"`` too). ``kept``: :func:`_observed` of the variables, where the caller has it."""
    horizontal = _source_horizontal(source, fitted)
    if horizontal is None or is_lazy(source):
        return
    counts, single = [], []  # cells no value ever reached, of records of several times and of single maps
    for v in fitted.variables_:
        if v not in source or not set(horizontal) <= set(source[v].dims):
            continue
        others = [d for d in source[v].dims if d not in horizontal]
        one_map = not others or math.prod(source[v].sizes[d] for d in others) < 2  # every gap is missing "always"
        seen = _observed(source[v]) if kept is None or v not in kept else kept[v]
        never = _source_land(source[v], horizontal, every_missing=True, kept=seen)
        land = _source_land(source[v], horizontal, kept=seen)
        unseen = (never & ~land).transpose(*horizontal).values
        if not _land_like(unseen):  # scattered cells (clouds), each beside a seen one, are gaps: no land is this
            continue
        if one_map and not bool(land.any()):  # (a map whose land is its fill values: its NaN are gaps)
            single.append(int(unseen.sum()))
        elif not one_map:
            counts.append(int(unseen.sum()))
    cells = math.prod(source.sizes[d] for d in horizontal)
    if sum(single):  # land masked to NaN and the gaps look alike on one map: nothing can tell them apart
        instead = ("give mask= (True at sea, e.g. a land mask) to leave land NaN" if method == "fill_gaps" else
                   "land='missing' leaves the target points nearest a NaN cell NaN (a gap's too)")
        warnings.warn(
            f"{max(single):,} of {cells:,} cells of this single map are NaN, and {method}() filled them: one map cannot "
            f"tell a gap from land masked to NaN (land='auto' keeps as land only cells holding undeclared fill "
            f"values, such as a file's own land values before masking). If some are land, {instead}; if none are "
            f"(clouds on an SST map), land=None says so and silences this.", GeoinrWarning,
            stacklevel=user_stacklevel())
    if sum(counts):
        warnings.warn(
            f"{max(counts):,} of {cells:,} cells of the source hold no value at any time; {method}() filled them as "
            f"gaps (land='auto' keeps as land only cells holding undeclared fill values). If they are land masked "
            f"to NaN, give land='missing' to leave them NaN; if they are gaps, land=None says so and silences this.",
            GeoinrWarning, stacklevel=user_stacklevel())


def _land_like(unseen: np.ndarray) -> bool:
    """Whether never-observed cells of a 2-D grid form a patch, as land does: a cell with no seen neighbour along
    either axis (the grid's edge counts as unseen). Isolated cells, each beside an observed one, are gaps."""
    if unseen.ndim != 2 or not unseen.any():
        return False
    padded = np.pad(unseen, 1, constant_values=True)
    inner = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])
    return bool(inner.any())


def _source_horizontal(source: xr.Dataset, fitted: INRModel) -> tuple | None:
    """The two horizontal dims of a gridded source (1-D axes or curvilinear coordinates); None for a scattered one
    (tracks, swaths: time along their observation dimension) or one without the fitted latitude and longitude."""
    names = fitted.coord_names_ or {}
    lat, lon, time = names.get("lat"), names.get("lon"), names.get("time")
    if lat is None or lon is None or lat not in source.variables or lon not in source.variables:
        return None
    horizontal = tuple(dict.fromkeys(source[lat].dims + source[lon].dims))
    if len(horizontal) != 2 or (time in source.variables and set(source[time].dims) & set(horizontal)):
        return None
    return horizontal


def _source_land(raw: xr.DataArray, horizontal: tuple, every_missing: bool = False, kept=None) -> xr.DataArray:
    """Where a gridded source's variable ``raw`` is land, on its ``horizontal`` dims (lazily for dask): a cell that
    holds an undeclared fill value (:mod:`geoinr.sentinels`) and no valid value at any time, or a value outside its
    valid range at every time (:func:`_observed`), or with ``every_missing`` any cell without a value at any time. NaN times do not make a land cell sea (a
    product with NaN on land some days, or clouds blanked with ``where``, filled the land of those cells). ``kept``:
    :func:`_observed` of ``raw``, where the caller has it (the fill values' screen reads every value)."""
    others = [d for d in raw.dims if d not in horizontal]
    if every_missing:
        gone = (_observed(raw) if kept is None else kept).isnull()
        return gone.all(others) if others else gone
    in_range = _in_range(raw)
    kept = sentinels.without_fills(in_range, warn=False) if kept is None else kept  # = _observed(raw)
    filled, valid = raw.notnull() & kept.isnull(), kept.notnull()  # a fill value or a value out of range / a value
    if not others:
        return filled
    # an undeclared fill value (DUACS's packed land) and never a value is land, NaN times included; a value outside
    # the valid range alone (a bad measurement) only where it is one at every time
    sentinel = in_range.notnull() & kept.isnull()
    return (sentinel.any(others) & ~valid.any(others)) | filled.all(others)


def _nearest_cells(slat, slon, horizontal, tlat, tlon) -> np.ndarray:
    """Flat index of the curvilinear source cell nearest to each target point (on the sphere), shaped as the
    targets; -1 where the point has no coordinates or lies farther than 1.5 times that cell's longest side."""
    from scipy.spatial import cKDTree

    la, lo = (a.transpose(*horizontal).values.ravel() for a in xr.broadcast(slat, slon))
    ok = np.isfinite(la) & np.isfinite(lo)  # cells without coordinates (a model's land, sometimes) are never nearest
    cells = cKDTree(geometry.xyz_km(lo[ok], la[ok]))
    index = np.flatnonzero(ok)
    out = np.full(tlat.size, -1, dtype=np.int64)
    fine = np.isfinite(tlat.ravel()) & np.isfinite(tlon.ravel())
    if not fine.any() or cells.n < 2:
        return out.reshape(tlat.shape)
    dist, near = cells.query(geometry.xyz_km(tlon.ravel()[fine], tlat.ravel()[fine]))
    used, back = np.unique(near, return_inverse=True)
    side = cells.query(cells.data[used], k=min(5, cells.n))[0][:, 1:].max(axis=1)  # each used cell's longest side
    out[np.flatnonzero(fine)] = np.where(dist <= 1.5 * side[back], index[near], -1)
    return out.reshape(tlat.shape)


def _source_times(obj, fitted: INRModel):
    """A gridded source's own times (its 1-D time axis, on 1-D or curvilinear latitude and longitude) for a regular
    output grid; None (the model's daily axis) for scattered data, whose positions run along the time dimension."""
    names = fitted.coord_names_ or {}
    name, lat, lon = names.get("time"), names.get("lat"), names.get("lon")
    if name in obj.coords and obj[name].ndim == 0 and lat in obj.coords and lon in obj.coords:
        return obj[name].values.reshape(1)  # one map (ds.sel(time=...)): its time, kept scalar (_source_time_axis)
    if name is None or name not in obj.dims or obj[name].ndim != 1 or lat not in obj.coords or lon not in obj.coords:
        return None
    if name in obj[lat].dims or name in obj[lon].dims:  # tracks: one position per time
        return None
    return obj[name].values


def _in_source_convention(grid: xr.Dataset, source, fitted: INRModel) -> xr.Dataset:
    """``regrid(resolution)``'s grid with the source's longitudes: in the source's convention (across 0 E a source in
    [0, 360) gave 355..365, across the dateline one in [-180, 180) gave 170..190, so that an output aligned with the
    source, or a truth on it, on half the grid only), ascending where the source's own axis is, west to east across
    the seam where the source runs so (``np.r_[...]`` crops of a global file). The range is the source's own, from its
    westernmost longitude: a source stored past 360 (350..370, as ``target_grid`` makes) keeps that."""
    name = (fitted.coord_names_ or {}).get("lon")
    if name not in grid.coords or name not in source.coords or not np.isfinite(source[name].values).any():
        return grid
    lon = grid[name].values
    west, east = float(np.nanmin(source[name].values)), float(np.nanmax(source[name].values))
    # (a longitude of exactly 180 or 360 is still the convention's: atan2's and pyproj's 2-D longitudes reach +180)
    lon0 = -180.0 if west >= -180.0 and east <= 180.0 else 0.0 if west >= 0.0 and east <= 360.0 else west
    wrapped = (lon - lon0) % 360.0 + lon0  # into [-180, 180), [0, 360), or the source's own range
    if np.array_equal(wrapped, lon):
        return grid
    shift = xr.DataArray(wrapped - lon, dims=name)
    bounds = grid[name].attrs.get("bounds")
    encodings = {k: dict(grid[k].encoding) for k in (name, bounds) if k in grid.variables}
    grid = grid.assign_coords({name: (name, wrapped, grid[name].attrs)})
    if bounds in grid.variables:  # each cell's bounds move with its centre (a cell may straddle the seam)
        grid = grid.assign_coords({bounds: grid[bounds] + shift})
    for k, encoding in encodings.items():  # (no _FillValue on coordinates: regular_grid's, lost by assign_coords)
        grid[k].encoding = encoding
    axis = source[name]
    if axis.ndim == 1 and axis.size > 1 and bool((np.diff(axis.values) > 0).all()):
        grid = grid.sortby(name)
    elif axis.ndim > 1 and not bool((np.diff(wrapped) > 0).all()):  # a curvilinear source has no axis to follow:
        grid = grid.sortby(name)  # ascending, never a wrapped column (a polar grid's 181, 183, -175)
    return grid


def _north_as_source(grid: xr.Dataset, source, fitted: INRModel) -> xr.Dataset:
    """``regrid(resolution)``'s grid from north to south where the source's 1-D latitude axis runs so (ERA5's 90 to
    -90: a review found the output flipped to ascending), its cell bounds with it."""
    name = (fitted.coord_names_ or {}).get("lat")
    if name not in grid.dims or name not in source.coords or source[name].ndim != 1 or source[name].size < 2:
        return grid
    return grid.sortby(name, ascending=False) if bool((np.diff(source[name].values) < 0).all()) else grid


def _source_time_axis(grid: xr.Dataset, source, fitted: INRModel) -> xr.Dataset:
    """``regrid(resolution)``'s grid at a gridded source's own times with that axis's attributes and netCDF encoding
    (units, calendar): it lost them, so a regridded DUACS file was written in other time units (a review)."""
    name = (fitted.coord_names_ or {}).get("time")
    if name is None or name not in grid.coords or name not in source.coords:
        return grid
    if _source_times(source, fitted) is None:  # tracks: the model's daily axis, with the source time's standard
        # attributes and units (not its layout: chunk sizes along the observations would not fit the grid's axis; nor
        # its long_name: an L3 file's "Time of measurement" is no map's, a review)
        grid[name].attrs = {**grid[name].attrs, **{k: v for k, v in source[name].attrs.items()
                                                   if k in ("standard_name", "axis", "calendar")}}
        grid[name].encoding = {k: v for k, v in source[name].encoding.items() if k in ("units", "calendar", "dtype")}
        return grid
    if source[name].ndim == 0 and name in grid.dims:  # a map at one time: a map with its scalar time, as the source
        grid = grid.isel({name: 0})
    grid[name].attrs = {**grid[name].attrs, **source[name].attrs}
    grid[name].encoding = dict(source[name].encoding)
    return grid


def _written_back(encoding: dict) -> dict:
    """A variable's netCDF encoding for its filled copy: as read, and where it packs into integers without declaring
    a fill value (DUACS's int32 ``adt``), the integer type's minimum declared as ``_FillValue``, so that the NaN left
    on land are written as a declared fill, not as an arbitrary integer (xarray's warning, then an undeclared land
    value again: a review)."""
    out = dict(encoding)
    if "missing_value" in out:  # one fill value written: xarray refuses an array of them, or one unlike _FillValue
        missing = np.ravel(out["missing_value"])  # (a review: the filled copy could not be written)
        if missing.size > 1 or ("_FillValue" in out and not np.array_equal(np.ravel(out["_FillValue"]), missing,
                                                                             equal_nan=True)):
            out.setdefault("_FillValue", missing[0])
            del out["missing_value"]
    dtype = out.get("dtype")
    if dtype is not None and np.dtype(dtype).kind in "iu" and "_FillValue" not in out and "missing_value" not in out:
        dtype = np.dtype(dtype)
        unsigned = dtype.kind == "u" or str(out.get("_Unsigned", "")).lower() == "true"  # (NetCDF-3 unsigned bytes)
        out["_FillValue"] = (-1 if dtype.kind == "i" else np.iinfo(dtype).max) if unsigned else np.iinfo(dtype).min
    return out


WRITE_PACKING = ("dtype", "scale_factor", "add_offset", "_FillValue", "missing_value", "_Unsigned")  # dropped together


def _packed_range(encoding: dict) -> tuple[float, float] | None:
    """The values an integer netCDF encoding (``dtype`` with ``scale_factor``/``add_offset``) can write: its integers
    but the one its ``_FillValue`` (or ``missing_value``) takes, each holding the values that round to it (a source
    packed by its own extremes uses both ends of the range); None for a floating encoding (nothing wraps)."""
    dtype = encoding.get("dtype")
    if dtype is None or np.dtype(dtype).kind not in "iu":
        return None
    info = np.iinfo(np.dtype(dtype))
    unsigned = np.dtype(dtype).kind == "u" or str(encoding.get("_Unsigned", "")).lower() == "true"
    low, high = (0, 2 * int(info.max) + 1) if unsigned and info.min < 0 else (int(info.min), int(info.max))
    middle = (low + high) / 2
    for key in ("_FillValue", "missing_value"):  # a fill shortens the range on its side of the middle: a value
        for fill in np.ravel(encoding.get(key, [])):  # packed to it would read as missing (one in from the end too)
            if np.isfinite(float(fill)):
                fill = int(fill) + (2 * int(info.max) + 2 if unsigned and info.min < 0 and int(fill) < 0 else 0)
                low, high = (max(low, fill + 1), high) if fill < middle else (low, min(high, fill - 1))
    scale = float(np.ravel(encoding.get("scale_factor", 1.0))[0])  # (one-element lists in some files)
    offset = float(np.ravel(encoding.get("add_offset", 0.0))[0])
    ends = sorted(((low - 0.5) * scale + offset, (high + 0.5) * scale + offset))
    return ends[0], ends[1]


def _within_valid(pred: xr.DataArray, var: xr.DataArray) -> xr.DataArray:
    """``pred`` clipped to the CF valid range of its source variable ``var`` (the fit read the values past it as
    missing): a review found fills of a sea-ice concentration (``valid_min`` 0, ``valid_max`` 1) from -0.014 to 1.011,
    masked again by netCDF4's readers once written, and by the next fit."""
    bounds = coords._valid_bounds(var, widen=False)  # (a packed bound itself: clipped to it, a fill writes to it)
    return pred if bounds is None else pred.clip(*bounds).assign_attrs(pred.attrs)


def _each_fitted(pred, obj, fitted: INRModel, change):
    """``regrid``'s ``pred`` (a DataArray of the one fitted variable, or a Dataset) with ``change(prediction,
    source variable)`` applied to each fitted variable."""
    source = _as_dataset(obj, fitted)
    if isinstance(pred, xr.DataArray):
        return change(pred, source[fitted.variables_[0]])
    if not isinstance(pred, xr.Dataset):
        return pred
    return pred.assign({v: change(pred[v], source[v]) for v in fitted.variables_ if v in pred and v in source})


def _regridded(pred: xr.DataArray, var: xr.DataArray, fitted: INRModel, time_dims=frozenset()) -> xr.DataArray:
    """A variable of ``regrid``'s output: clipped to its source's CF valid range (:func:`_within_valid`), its
    source's own ``source`` (its observations) kept before what regridded it, as ``fill_gaps`` keeps it (a review:
    regrid replaced it with the model's note)."""
    pred, given = _static_as_source(_within_valid(pred, var), var, time_dims), var.attrs.get("source")
    return pred.assign_attrs(source=f"{given}; regridded by {fitted._source_note()}") if given else pred


def _static_as_source(pred: xr.DataArray, var: xr.DataArray, time_dims) -> xr.DataArray:
    """A static source variable (a mean dynamic topography fitted beside a time-varying sea level: none of its
    dimensions is one of the source's time, ``time_dims``) regridded without a time dimension: the mean over the
    target's times of its predictions, as ``fill_gaps`` gives it (a review: ``regrid`` returned it on every time,
    varying a little)."""
    if not time_dims or set(var.dims) & set(time_dims):  # (tracks whose time is a data variable: along their obs)
        return pred
    try:
        out = coords.find_coords(pred).time
    except ValueError:
        return pred
    dims = [d for d in (pred[out].dims if out is not None else ()) if d in pred.dims]
    return pred.mean(dims).assign_attrs(pred.attrs) if dims else pred


LAZY_SPREADS = 20.0  # a lazy fill's range, for its packing's check: the fitted data's mean +- this many std


def _fits_written(out: xr.DataArray, name, centre: float, spread: float) -> xr.DataArray:
    """``out``, a filled variable, with the integer packing carried from its source only where it holds every filled
    value; otherwise written as floats, its packed valid range in its units, with a warning. A review: a fill past an
    int16 packing set by the source's own extremes wrapped around on writing (0.43 m written as -0.28 m). A lazy
    output's range is known only once computed: the fitted data's ``centre`` +- :data:`LAZY_SPREADS` ``spread``
    (within the valid range, to which fills are clipped) stands for it, so that nothing is read again (DUACS's int32
    at 1e-4 m holds any sea level)."""
    packed, valid = _packed_range(out.encoding), coords._valid_bounds(out, widen=False)
    if packed is None:
        return out
    lazy = is_lazy(out)
    if lazy:
        low, high = centre - LAZY_SPREADS * spread, centre + LAZY_SPREADS * spread
        low, high = (low, high) if valid is None else (max(low, valid[0]), min(high, valid[1]))
    else:
        finite = np.isfinite(out.values)
        if not finite.any():
            return out
        low, high = float(out.values[finite].min()), float(out.values[finite].max())
    if packed[0] < low and high < packed[1]:
        return out
    if valid is not None:  # packed bounds, once the packing is gone, in the variable's units and type (CF), rounded
        # outward: a fill clipped to a float64 bound and stored in float32 lay past it half the time (a review)
        kind = out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
        ends = [kind.type(b) for b in valid]
        ends = [np.nextafter(e, kind.type(s * np.inf)) if s * (float(e) - b) < 0 else e
                for e, b, s in zip(ends, valid, (-1, 1))]
        out.attrs = {k: v for k, v in out.attrs.items() if k not in coords.VALID_ATTRS}
        out.attrs.update({"valid_min": ends[0]} if np.isfinite(valid[0]) else {})
        out.attrs.update({"valid_max": ends[1]} if np.isfinite(valid[1]) else {})
    out.encoding = {k: v for k, v in out.encoding.items() if k not in WRITE_PACKING}
    span = (f"may reach {low:.6g} to {high:.6g} {out.attrs.get('units', '')} (a lazy output's range is known only "
            f"once computed: the fitted data's mean +- {LAZY_SPREADS:g} std)" if lazy else
            f"reaches {low:.6g} to {high:.6g} {out.attrs.get('units', '')}")
    warnings.warn(
        f"The filled {name!r} {span}, past the {packed[0]:.6g} to {packed[1]:.6g} that its source's integer packing "
        f"can write: it would wrap around in a file. The output is written as floats instead (the packing is dropped "
        f"from its .encoding, its valid range given in its units; compression kept). To pack it otherwise, set "
        f".encoding before to_netcdf.", GeoinrWarning, stacklevel=user_stacklevel())
    return out


def _decoded(obj, variables):
    """``obj`` with each of ``variables`` still packed (opened with ``mask_and_scale=False``: integers with
    ``scale_factor``, ``add_offset``, ``_FillValue`` or ``_Unsigned`` among their attributes) decoded as xarray
    decodes on opening: numbers in their units, declared fill values NaN, the packing moved to ``encoding``. The fit
    reads them so (:func:`geoinr.coords.decode`); ``fill_gaps`` kept raw counts beside predictions in metres, under
    a ``scale_factor`` that a reader applied to both (a review), and judged land on the raw counts."""
    def one(var: xr.DataArray) -> xr.DataArray:
        if not any(k in var.attrs for k in coords.PACKING_ATTRS):
            return var
        decoded = xr.conventions.decode_cf_variable(var.name, var.variable, mask_and_scale=True, decode_times=False)
        out = xr.DataArray(decoded, coords=var.coords, name=var.name)
        out.encoding = {**var.encoding, **decoded.encoding}
        return out

    if isinstance(obj, xr.DataArray):
        return one(obj)
    return obj.assign({v: one(obj[v]) for v in variables if v in obj.data_vars})


def _on_dims(pred: xr.DataArray, var: xr.DataArray, std: bool = False) -> xr.DataArray:
    """A prediction on the dims of the source variable ``var``: broadcast over those it lacks (a depth of one),
    averaged over those ``var`` does not have (a static field fitted jointly with a time-varying one is predicted
    at each time: its estimate is their mean; ``std``: the root mean square of standard errors)."""
    extra = [d for d in pred.dims if d not in var.dims]
    if extra:
        pred = (np.sqrt((pred**2).mean(extra)) if std else pred.mean(extra)).assign_attrs(pred.attrs)
    return pred.broadcast_like(var).transpose(*var.dims)


def _with_std(mean, std) -> xr.Dataset:
    """``regrid``'s map and its standard error in one Dataset, ``<name>_std`` beside each variable (named by its
    ``ancillary_variables``; :func:`_std_where_mapped` then leaves it NaN on land, as the map): the std of an
    ``uncertainty=`` fit was fitted, calibrated and dropped (a review)."""
    out = mean.to_dataset() if isinstance(mean, xr.DataArray) else mean.copy()
    for name, e in (std.to_dataset() if isinstance(std, xr.DataArray) else std).data_vars.items():
        out[name] = e
    return out


def _std_where_mapped(pred, fitted: INRModel):
    """``<name>_std`` NaN where the map is NaN (land left out by ``regrid``)."""
    if not isinstance(pred, xr.Dataset):
        return pred
    for v in fitted.variables_:
        if v in pred and f"{v}_std" in pred:
            pred[f"{v}_std"] = pred[f"{v}_std"].where(pred[v].notnull())
    return pred


def _as_dataset(obj, fitted: INRModel) -> xr.Dataset:
    return obj if isinstance(obj, xr.Dataset) else obj.to_dataset(name=fitted.variables_[0])


#: keywords of the accessor's methods besides the fit's (for the message of a keyword none of them takes)
_METHOD_KEYWORDS = {"regrid": ("target", "land", "chunks", "area", "outside"), "fill_gaps": ("mask", "land", "outside")}


def _split(kwargs):
    names = {k: kwargs.pop(k) for k in _FIT_NAMES if k in kwargs}
    return names, kwargs


class _Base:
    def __init__(self, obj):
        self._obj = obj

    def _fit(self, variables, kwargs, method: str = "fit", source=None) -> INRModel:
        from .model import INRModel

        names, params = _split(dict(kwargs))
        own = ("variables",) if isinstance(self._obj, xr.Dataset) else ()  # a DataArray is its own variable
        own += _METHOD_KEYWORDS.get(method, ())  # (a typo of outside= found no match among the fit's: a review)
        valid = list(own) + INRModel._get_param_names() + list(_FIT_NAMES)
        for k in params:
            if k not in valid:
                raise TypeError(f"{method}() got an unexpected keyword argument {k!r}.{did_you_mean(k, valid)} "
                                f"It takes {''.join(f'{n}, ' for n in own)}the INRModel parameters "
                                f"({', '.join(INRModel._get_param_names())}) and {', '.join(_FIT_NAMES)}.")
        return INRModel(**params).fit(self._obj if source is None else source, variables=variables, **names)

    def _regrid(self, target, variables, kwargs, land="auto", chunks=None, area="point", outside="hold"):
        """Fit, then predict on ``target``: a Dataset/DataArray, or a resolution in
        degrees (a number or a ``(dlon, dlat)`` pair): a regular grid over the fitted region at a gridded source's
        own times (daily otherwise). The target is checked before the fit. ``land``, ``outside``: see
        :meth:`DatasetINRAccessor.regrid`."""
        resolution = _resolution(target)
        if isinstance(target, dict):  # (its output was a bare array, land unmasked; a crash with uncertainty=: a review)
            raise TypeError("regrid() maps onto a grid or a Dataset/DataArray of points, not a dict of arrays. For "
                            "points given as arrays, fit and predict: fitted = ds.inr.fit(...); "
                            "fitted.predict({'lon': lon, 'lat': lat, 'time': time}); or wrap them in an "
                            "xr.Dataset(coords={'lon': ('points', lon), ...}). Nothing was fitted.")
        if resolution is None and not isinstance(target, xr.Dataset | xr.DataArray):
            raise TypeError(
                f"regrid() takes a target grid (a Dataset or DataArray with lat/lon(/time) coordinates, e.g. "
                f"fitted.target_grid(0.125)) or a resolution in degrees (0.125, or (dlon, dlat)); got "
                f"{type(target).__name__}. Nothing was fitted.")
        _check_land(land, "regrid", self._obj)
        check_outside(outside)
        _check_area(area, resolution, kwargs)
        if isinstance(target, xr.Dataset | xr.DataArray):
            coords.find_coords(target, require_time=False)  # a target without latitude and longitude: say so now
        if resolution is not None and chunks is None and not is_lazy(self._obj):  # a lazy output is made by chunks
            _check_grid_size(self._obj, resolution if area == "point" else tuple(
                r / AREA_SUBCELLS for r in resolution) if isinstance(resolution, tuple) else resolution / AREA_SUBCELLS)
        _check_chunks(chunks)
        fitted = self._fit(variables, kwargs, "regrid")
        if resolution is not None:
            target = _in_source_convention(fitted.target_grid(resolution, times=_source_times(self._obj, fitted)),
                                           self._obj, fitted)
            target = _source_time_axis(_north_as_source(target, self._obj, fitted), self._obj, fitted)
        if chunks is None and is_lazy(self._obj) and isinstance(target, xr.Dataset | xr.DataArray) \
                and not is_lazy(target):
            chunks = "auto"  # a dask-backed source gives a lazy output, as fill_gaps does
        with_std = fitted.uncertainty is not None  # the std an uncertainty= fit calibrated: kept beside the map
        points = target if area == "point" else _sub_cells(target, fitted)  # (area="mean": its cells' sub-points)
        chunks = chunks if area == "point" else _sub_chunks(chunks, fitted)
        pred = _with_std(*fitted.predict(points, chunks=chunks, return_std=True, outside=outside)) if with_std else \
            fitted.predict(points, chunks=chunks, outside=outside)
        source = None if land is None else _decoded(self._obj, fitted.variables_)  # land in the units the fit read
        pred = pred if land is None else _std_where_mapped(
            _without_land(pred, source, fitted, every_missing=land == "missing"), fitted)
        if land == "auto":
            _warn_missing_everywhere(_as_dataset(source, fitted), fitted, "regrid")
        name, source = fitted.coord_names_.get("time"), _as_dataset(self._obj, fitted)
        time_dims = frozenset(source[name].dims) if name is not None and name in source.variables else frozenset()
        pred = _each_fitted(pred, self._obj, fitted, lambda p, var: _regridded(p, var, fitted, time_dims))
        pred = pred if area == "point" else _cell_means(pred, target, fitted)
        if isinstance(pred, xr.DataArray | xr.Dataset):  # the source's history goes on (it read "INRModel.predict" alone)
            pred.attrs["history"] = history_line(self._obj.attrs.get("history", ""),
                                                 f"regridded by {fitted._source_note()}")
            scalars = {k: c for k, c in self._obj.coords.items() if c.ndim == 0 and k not in pred.coords}
            pred = pred.assign_coords(scalars)  # a selected depth or level stays said (a review: fill_gaps kept it)
        return with_cell_bounds(pred, target)

    def _fill(self, fitted: INRModel, obj, mask=None, land="auto", outside="hold"):
        obj = _decoded(obj, fitted.variables_)  # kept values in the units of the predictions, packing in encoding
        with_std = isinstance(obj, xr.Dataset) and fitted.uncertainty is not None
        try:  # the land outside a mask is outside the fitted region too, and never filled: not warned of (this fit's
            fitted._warns_extrapolation = mask is None  # own flag, not the process's warning filters: threads)
            pred = fitted.predict(obj, return_std=True, outside=outside) if with_std else \
                fitted.predict(obj, outside=outside)
        finally:
            del fitted._warns_extrapolation
        pred, std = pred if with_std else (pred, None)
        preds = pred if isinstance(pred, xr.Dataset) else pred.to_dataset()
        # a grid mapping the source holds as a data variable (a CMEMS file's crs, opened at xarray's defaults) is the
        # predictions' coordinate: dropped, so that the filled copy holds it once, as the source did (a MergeError)
        preds = preds.drop_vars([c for c in preds.coords if c in getattr(obj, "data_vars", ())])

        source = _as_dataset(obj, fitted)
        horizontal = None if land is None else _source_horizontal(source, fitted)
        # the fill values' screen, once a variable (a DataArray's own, its name kept)
        screened = ({fitted.variables_[0]: _observed(obj)} if isinstance(obj, xr.DataArray)
                    else {v: _observed(obj[v]) for v in fitted.variables_ if v in obj})
        if land == "auto" and mask is None:  # (a mask says where to fill: its NaN outside it are the user's choice)
            _warn_missing_everywhere(source, fitted, "fill_gaps", screened)

        def on_sea(p, raw, kept):  # the source's land (fill values and never a value, or every_missing) stays NaN
            if horizontal is None or not set(horizontal) <= set(raw.dims):
                return p
            return p.where(~_source_land(raw, horizontal, every_missing=land == "missing", kept=kept))

        if isinstance(obj, xr.DataArray):
            kept = screened[fitted.variables_[0]]
            p = _masked(preds[fitted.variables_[0]].broadcast_like(obj).transpose(*obj.dims), mask)  # (depth=1)
            p = _within_valid(on_sea(p, obj, kept), obj)
            out = kept.where(np.isfinite(kept), p)
            out.attrs = dict(obj.attrs, history=_history(obj, fitted), source=_source(obj, fitted))
            out.encoding = _written_back(obj.encoding)  # written back as it was read (packing, compression)
            return _fits_written(out, obj.name, fitted.mean_[0], fitted.std_[0])
        out = obj.copy()
        for v in fitted.variables_:
            kept = screened[v]
            p = _within_valid(on_sea(_masked(_on_dims(preds[v], obj[v]), mask), obj[v], kept), obj[v])
            filled = kept.where(np.isfinite(kept), p)
            # (the source's attributes: a dask-backed screen drops the valid range from what it keeps, a review)
            filled = filled.assign_attrs(obj[v].attrs, history=_history(obj[v], fitted), source=_source(obj[v], fitted))
            filled.encoding = _written_back(obj[v].encoding)  # as it was read: a DUACS file's int32 packing, zlib
            j = fitted.variables_.index(v)
            out[v] = _fits_written(filled, v, fitted.mean_[j], fitted.std_[j])
            if std is not None:  # the error of what was filled: NaN where the value is observed (or left as land)
                stds = std if isinstance(std, xr.Dataset) else std.to_dataset()
                stds = stds.drop_vars([c for c in stds.coords if c in obj.data_vars])
                name = next(n for n in stds.data_vars if n == f"{v}_std" or len(stds.data_vars) == 1)
                e = _on_dims(stds[name], obj[v], std=True)
                out[f"{v}_std"] = e.where(~np.isfinite(kept) & np.isfinite(filled)).assign_attrs(
                    e.attrs, comment=f"{e.attrs.get('comment', '').rstrip('. ')}. Given where the gap was filled; "
                    f"NaN where the value is observed.".lstrip(". "))
                out[v].attrs["ancillary_variables"] = f"{v}_std"
        out.attrs["history"] = _history(obj, fitted)  # the file's own history too (CF: global attribute)
        return out


AREA_SUBCELLS = 4  # regrid(area="mean"): points per cell along each axis (4 x 4 were 0.13 cm from a real DUACS
# day's area-weighted 1-degree means, where the cells' centres were 3.95 cm from them: the CF review)


def _check_area(area, resolution, kwargs) -> None:
    """Refuse, before any fit, an ``area`` that is not "point" or "mean", and "mean" where it cannot be made."""
    if area not in ("point", "mean"):
        raise ValueError(f"regrid(area={area!r}): give 'point' (the field at each cell's centre) or 'mean' (its mean "
                         f"over each cell). Nothing was fitted.")
    if area == "mean" and resolution is None:
        raise ValueError("regrid(area='mean') averages over the cells of a regular grid: give a resolution, "
                         "regrid(1.0, area='mean'); for another target, regrid at a finer resolution and average "
                         "(README: Points, not cells). Nothing was fitted.")
    if area == "mean" and kwargs.get("uncertainty") is not None:
        raise ValueError("regrid(area='mean') gives no standard error (a cell mean's is not the mean of its points'): "
                         "leave out uncertainty=, or regrid with area='point'. Nothing was fitted.")


def _sub_cells(target: xr.Dataset, fitted: INRModel) -> xr.Dataset:
    """``target``, a regular grid with cell bounds, as :data:`AREA_SUBCELLS` x :data:`AREA_SUBCELLS` points
    evenly inside each of its cells (the same times)."""
    n, fine = AREA_SUBCELLS, target
    for name in (fitted.coord_names_["lat"], fitted.coord_names_["lon"]):
        bounds = target[target[name].attrs["bounds"]].values  # (cells, 2)
        inside = bounds[:, :1] + (np.arange(n) + 0.5) / n * (bounds[:, 1:] - bounds[:, :1])
        attrs = {k: v for k, v in target[name].attrs.items() if k != "bounds"}
        fine = fine.drop_vars(target[name].attrs["bounds"]).drop_vars(name).assign_coords(
            {name: (name, inside.ravel(), attrs)})
    return fine


def _cell_means(pred, target: xr.Dataset, fitted: INRModel):
    """``regrid(area="mean")``: the predictions at each cell's sub-points (:func:`_sub_cells`) averaged over the cell,
    weighted by the cosine of latitude (their areas), over the points that hold a value (a coast's cell: its sea)."""
    lat, lon, n = fitted.coord_names_["lat"], fitted.coord_names_["lon"], AREA_SUBCELLS
    data = pred.to_dataset() if isinstance(pred, xr.DataArray) else pred
    weight = xr.DataArray(np.cos(np.radians(data[lat].values)), dims=lat)  # (no attributes: the latitude's leaked)
    window = {lat: n, lon: n}
    total = (data.fillna(0.0) * weight).coarsen(window).sum()
    share = (data.notnull() * weight).coarsen(window).sum()
    out = (total / share).where(share > 0).assign_coords({lat: target[lat], lon: target[lon]})
    out = out.assign({v: out[v].astype(data[v].dtype) for v in data.data_vars})
    for v in data.data_vars:  # (a mean over time kept, as predict keeps it: a README review)
        method = fitted._cell_methods(v).replace("area: point", "area: mean")
        out[v].attrs = {**data[v].attrs, "cell_methods": method}
    out.attrs = dict(data.attrs)
    return out[pred.name] if isinstance(pred, xr.DataArray) else out


def _sub_chunks(chunks, fitted: INRModel):
    """``regrid(area="mean", chunks=)``: the output's chunks along latitude and longitude as the sub-points' (each
    cell is :data:`AREA_SUBCELLS` of them along each): a review's {"lat": 3} made chunks of one cell."""
    if not isinstance(chunks, dict):
        return chunks
    horizontal = (fitted.coord_names_["lat"], fitted.coord_names_["lon"])
    return {d: (c * AREA_SUBCELLS if d in horizontal and isinstance(c, (int, float)) and c > 0 else
                tuple(s * AREA_SUBCELLS for s in c) if d in horizontal and isinstance(c, (tuple, list)) else c)
            for d, c in chunks.items()}


def _refuse_std(kwargs, da: xr.DataArray, method: str) -> None:
    """Before the fit: a DataArray's ``regrid``/``fill_gaps`` returns one array, with no room for the error an
    ``uncertainty=`` fit would calibrate (and lose)."""
    if kwargs.get("uncertainty") is None:
        return
    name = da.name or "sla"
    raise ValueError(
        f"{method} of a DataArray returns one array, so uncertainty={kwargs['uncertainty']!r} would be fitted and "
        f"lost. Use the Dataset accessor, which adds the error as '<name>_std': da.to_dataset(name={name!r})"
        f".inr.{method}(uncertainty=...), or fit and call predict(..., return_std=True).")


def _check_chunks(chunks) -> None:
    """``regrid(chunks=)``'s type, before the fit (its dims are checked against the output's by ``predict``)."""
    if chunks is None or chunks == "auto" or isinstance(chunks, dict):
        return
    raise ValueError(f"regrid(chunks={chunks!r}): give a dict of output dims to chunk sizes (e.g. {{'time': 1}}), "
                     f"'auto' or None. Nothing was fitted.")


def _check_land(land, method: str, obj=None) -> None:
    """Refuse, before any fit, a ``land=`` that is not one of :data:`LAND_OPTIONS` (``obj``: the accessor's data)."""
    if land not in LAND_OPTIONS:
        options = [o for o in LAND_OPTIONS if isinstance(o, str)]
        hint = did_you_mean(land, options) if isinstance(land, str) else ""
        if isinstance(land, str) and not hint and isinstance(obj, xr.DataArray):  # da.inr.regrid(0.5, "sla")
            call = "regrid(target, " if method == "regrid" else "fill_gaps("
            hint = (f" A DataArray's {method} takes no variable name (the DataArray is the variable): "
                    f"da.inr.{method}(...), or ds.inr.{call}{land!r}, ...) on the Dataset.")
        raise ValueError(f"{method}(land={land!r}): one of {LAND_OPTIONS} ('auto': the source's cells holding a fill "
                         f"value and no valid value at any time stay NaN; 'missing': every cell without a value at any "
                         f"time; None: {'predict' if method == 'regrid' else 'fill'} everywhere).{hint}")


def _check_mask(mask, obj) -> None:
    """Refuse, before any fit, a ``fill_gaps`` mask that is not a DataArray on the data's dims."""
    if mask is None:
        return
    if not isinstance(mask, xr.DataArray):
        hint = (" A DataArray's fill_gaps takes no variable name (the DataArray is the variable): da.inr.fill_gaps(...), "
                "or ds.inr.fill_gaps(" + repr(mask) + ", ...) on the Dataset." if isinstance(mask, str) and
                isinstance(obj, xr.DataArray) else "")
        raise TypeError(f"mask must be an xarray.DataArray of booleans (True where gaps are filled, e.g. the sea), "
                        f"on the data's dims; got {type(mask).__name__}.{hint}")
    missing = [d for d in mask.dims if d not in obj.dims]
    if missing:
        raise ValueError(f"mask has dims {mask.dims}, not among the data's {tuple(obj.dims)}: {missing}. Select or "
                         f"drop them first (e.g. tmask.isel({missing[0]}=0)).")


def _inside(obj, mask, variables=None, kwargs=None):
    """What ``fill_gaps`` fits: ``obj`` without the fitted variables' values where ``mask`` is false (a model's
    land, stored as 0.0 beside a ``tmask``: fitted as sea level, it pulled the coastal gaps towards 0); None without
    a mask. Packed variables are decoded first (masked raw counts become floats, which xarray no longer reads as
    ``_Unsigned``); the other variables are left alone (a lazy file's other fields stay unread)."""
    if mask is None:
        return None
    water = mask.astype(bool)
    if isinstance(obj, xr.DataArray):
        return _decoded(obj, None).where(water)
    names = {k: (kwargs or {}).get(k) for k in ("lat", "lon", "time")}
    fitted = describe(obj, variables, **names)[1]
    out = _decoded(obj, fitted)
    return out.assign({v: out[v].where(water) for v in fitted if set(water.dims) <= set(out[v].dims)})


def _masked(pred: xr.DataArray, mask) -> xr.DataArray:
    """The predictions where ``mask`` is true (water), NaN elsewhere (land); all of them without a mask."""
    return pred if mask is None else pred.where(mask.astype(bool))


def _in_range(var: xr.DataArray) -> xr.DataArray:
    """``var`` with its values outside the CF valid range masked, quietly (the fit has warned about them; no
    ``catch_warnings``, whose filters are the process's: another thread's warnings were lost, a review)."""
    return coords.mask_invalid(var, warn=False)


def _observed(var: xr.DataArray) -> xr.DataArray:
    """The values a fit kept: those outside the CF valid range and undeclared fill values (land at -214,748 m) are
    gaps too (the fit has warned about both)."""
    return sentinels.without_fills(_in_range(var), warn=False)


def _history(obj, fitted) -> str:
    return history_line(obj.attrs.get("history", ""), f"gaps filled by {fitted._source_note()}")


def _source(obj, fitted) -> str:
    """The variable's own ``source`` (its observations), then what filled its gaps."""
    given = obj.attrs.get("source", "")
    return f"{given}; gaps filled by {fitted._source_note()}" if given else f"gaps filled by {fitted._source_note()}"


@xr.register_dataset_accessor("inr")
class DatasetINRAccessor(_Base):
    """``ds.inr``: fit implicit neural representations to a Dataset's variables."""

    def fit(self, variables=None, **kwargs) -> INRModel:
        """Fit an :class:`INRModel` to ``variables`` of this Dataset; returns the fitted model.

        Parameters
        ----------
        variables : str or list of str, optional
            Variable(s) to fit; several are fitted jointly. May be left out when the
            Dataset has one data variable.
        **kwargs
            ``lat=``, ``lon=``, ``time=`` coordinate names, ``checkpoint=``,
            ``checkpoint_every=``, ``resume=`` (see :meth:`INRModel.fit`), and any
            :class:`INRModel` parameter (``model``, ``width``, ``depth``, ``max_time``,
            ``epochs``, ``seed``, ``device``, ``progress``, ...).

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> fitted = tracks.inr.fit("sla", width=32, depth=2, epochs=2, max_time=None, progress=False)
        >>> fitted.predict(fitted.target_grid(1.0)).name
        'sla'
        """
        return self._fit(variables, kwargs)

    def regrid(self, target, variables=None, land="auto", chunks=None, area="point", outside="hold", **kwargs):
        """Fit, then predict on ``target``.

        Values are clipped to each variable's CF valid range (``valid_min``/``valid_max``/``valid_range``, which the
        fit reads too): a sea-ice concentration stays within 0 and 1.

        Parameters
        ----------
        target : xarray.Dataset, xarray.DataArray, float or (float, float)
            Any Dataset/DataArray with lat/lon(/time) coordinates, or a resolution in degrees (``(dlon, dlat)``
            for a pair): a regular grid over the fitted region, at the source's own times where it has a time
            axis (daily otherwise), its longitudes in the source's convention (across 0 E or the dateline:
            ascending where the source's axis is, else west to east as it runs), its latitudes north to south where
            the source's run so (ERA5). Checked before the fit.
        variables : str or list of str, optional
            As for :meth:`fit`.
        land : {"auto", "missing", None}
            For a gridded source (1-D axes or curvilinear), target points whose nearest source cell is land stay NaN.
            ``"auto"``: land is a cell holding an undeclared fill value (DUACS's packed land, -999, ...) and no
            valid value at any time (NaN times too), or a value outside its valid range at every time; NaN cells are
            gaps, and filled (with a warning naming ``"missing"`` where cells hold no value at any time of an in-memory
            record of two times or more). ``"missing"``: every cell without a value at any time is land (a source whose land is NaN; on a short record, gaps missing at every time
            count too). ``None``: predict everywhere.
        chunks : dict, "auto" or None
            As for :meth:`~geoinr.INRModel.predict`: a lazy (dask) output in these chunks. None: lazy in the chunks
            of a lazy target, else ``"auto"`` for a dask-backed source (as ``fill_gaps`` gives), else eager.
        area : {"point", "mean"}
            ``"point"`` (the default): the field at each cell's centre (``cell_methods`` "area: point"). ``"mean"``
            (a resolution only, no ``uncertainty=``): its mean over each cell, from 4 x 4 points inside it weighted
            by the cosine of latitude (over those at sea, on a coast): what a coarser grid's cells hold
            (``cell_methods`` "area: mean"), at 16 times the prediction's cost.
        outside : {"hold", "nan", "extrapolate"}
            As for :meth:`~geoinr.INRModel.predict`: what target points outside the data's region and window get
            (the values of their nearest point, NaN, or the network's own); ``"nan"`` masks the times inside a
            gap of the whole record too (``time_gaps_``: a months-long outage of every instrument fitted).
        **kwargs
            As for :meth:`fit`. With ``uncertainty=``, the output is a Dataset with ``<name>_std`` beside each
            variable: the standard error of the map (as ``predict(return_std=True)``), linked by
            ``ancillary_variables``.

        Returns
        -------
        xarray.DataArray or xarray.Dataset
            A DataArray of the one fitted variable; a Dataset for several, or with ``uncertainty=`` (the maps and
            their ``<name>_std``). Each variable keeps the source's ``units``, ``long_name`` and ``standard_name``;
            its ``source`` is the source variable's, then what regridded it; ``history`` goes on from the source's.

        Examples
        --------
        >>> import geoinr
        >>> ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
        >>> fine = geoinr.coords.regular_grid((0, 10, 30, 40), 0.5, times=ds.time.values)
        >>> ds.inr.regrid(fine, "sla", width=16, depth=1, epochs=1, max_time=None, progress=False).shape
        (2, 20, 20)
        >>> ds.inr.regrid(0.5, "sla", width=16, depth=1, epochs=1, max_time=None, progress=False).shape  # the data's extent
        (2, 18, 18)
        >>> coarse = ds.inr.regrid(2.0, "sla", area="mean", width=16, depth=1, epochs=1, max_time=None, progress=False)
        >>> coarse.shape, coarse.attrs["cell_methods"]  # each 2 deg cell's mean
        ((2, 5, 5), 'area: mean time: point')
        """
        return self._regrid(target, variables, kwargs, land, chunks, area, outside)

    def fill_gaps(self, variables=None, mask=None, land="auto", outside="hold", **kwargs) -> xr.Dataset:
        """Fit, then return a copy with the NaN of the fitted variables replaced by predictions.

        Observed values are kept as they are. Values the fit treats as missing are gaps too: undeclared
        fill values (:mod:`geoinr.sentinels`: land stored as -214,748 m, -999, ...) and values outside the CF
        ``valid_range``/``valid_min``/``valid_max``; the filled values are clipped to that range. The copy keeps
        the source's netCDF encoding (packing, compression), but an integer packing that cannot hold the filled
        values (one set by the source's own extremes) is dropped, with a warning: they would wrap around when
        written.

        Parameters
        ----------
        variables : str or list of str, optional
            As for :meth:`fit`.
        mask : xarray.DataArray of bool, optional
            Where gaps are filled (a model's ``tmask``, the sea); elsewhere (land) they stay NaN, and the values
            there are neither fitted nor changed (a land stored as 0.0 stays 0.0: ``.where(tmask)`` makes it NaN).
            Default: every gap is filled but the land ``land`` finds.
        land : {"auto", "missing", None}
            For a gridded source, cells that stay NaN as land, as in :meth:`regrid`: ``"auto"`` (the default),
            a cell holding an undeclared fill value (DUACS's packed land, -999, ...) and no valid value at any time
            (NaN times too), or a value outside its valid range at every time, so that no sea level is made up over
            the continents; NaN cells are gaps, and filled. ``"missing"``: every cell without a value at any time. ``None``: every gap is filled, land
            included (what ``fill_gaps`` did until 2026-12-06). Scattered sources (tracks) are filled everywhere.
        outside : {"hold", "nan", "extrapolate"}
            As for :meth:`regrid`: ``"nan"`` leaves NaN the gaps far from every observation: inside a long gap of
            the record (``time_gaps_``, a months-long outage; the fill warns of them), or beyond its region.
        **kwargs
            As for :meth:`fit`. With ``uncertainty=``, each filled variable gets ``<name>_std``: the standard error
            of the filled values (NaN where the value is observed), linked by ``ancillary_variables``.

        Returns
        -------
        xarray.Dataset
            A copy of the Dataset, every variable kept, the fitted ones filled (with their ``<name>_std`` under
            ``uncertainty=``); ``source`` and ``history`` say what filled them.

        Examples
        --------
        >>> import geoinr, numpy as np
        >>> ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.5)
        >>> filled = ds.inr.fill_gaps("sla", width=16, depth=1, epochs=1, max_time=None, progress=False)
        >>> int(np.isnan(filled.sla).sum())
        0
        >>> sea = ds.lon < 5.0  # say the eastern half is land
        >>> kept = ds.inr.fill_gaps("sla", mask=sea, width=16, depth=1, epochs=1, max_time=None, progress=False)
        >>> int(np.isnan(kept.sla).sum()) == int((np.isnan(ds.sla) & ~sea).sum()) > 0  # the gaps on land only
        True
        """
        _check_mask(mask, self._obj)
        _check_land(land, "fill_gaps", self._obj)
        check_outside(outside)
        fitted = self._fit(variables, kwargs, "fill_gaps", _inside(self._obj, mask, variables, kwargs))
        return self._fill(fitted, self._obj, mask, land, outside)


@xr.register_dataarray_accessor("inr")
class DataArrayINRAccessor(_Base):
    """``da.inr``: fit implicit neural representations to a DataArray."""

    def fit(self, *args, **kwargs) -> INRModel:
        """Fit an :class:`INRModel` to this DataArray; returns the fitted model.

        Parameters
        ----------
        **kwargs
            ``lat=``, ``lon=``, ``time=`` coordinate names, ``checkpoint=``, ``checkpoint_every=`` and ``resume=`` (as
            for :meth:`INRModel.fit`), and any :class:`INRModel` parameter.

        Examples
        --------
        >>> import geoinr
        >>> da = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).sla
        >>> da.inr.fit(width=16, depth=1, epochs=1, max_time=None, progress=False).variables_
        ['sla']
        """
        if args:  # da.inr.fit("sla") (a review: Python's "takes 1 positional argument")
            raise TypeError(f"da.inr.fit() takes no variable name ({', '.join(map(repr, args))}): a DataArray is its "
                            f"own variable. Call da.inr.fit(max_time=...), or ds.inr.fit({args[0]!r}) on the Dataset.")
        return self._fit(None, kwargs)

    def regrid(self, target, land="auto", chunks=None, area="point", outside="hold", **kwargs):
        """Fit, then predict on ``target`` (a grid, or a resolution in degrees; fill-valued land kept NaN); see
        :meth:`DatasetINRAccessor.regrid`.

        Examples
        --------
        >>> import geoinr
        >>> da = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0).sla
        >>> da.inr.regrid(0.5, width=16, depth=1, epochs=1, max_time=None, progress=False).shape
        (2, 18, 18)
        """
        _refuse_std(kwargs, self._obj, "regrid")
        return self._regrid(target, None, kwargs, land, chunks, area, outside)

    def fill_gaps(self, mask=None, land="auto", outside="hold", **kwargs) -> xr.DataArray:
        """Fit, then return a copy with NaN replaced by predictions (where ``mask``, if given, is true; the land
        ``land`` finds stays NaN); see :meth:`DatasetINRAccessor.fill_gaps`.

        Examples
        --------
        >>> import geoinr, numpy as np
        >>> da = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.5).sla
        >>> int(np.isnan(da.inr.fill_gaps(width=16, depth=1, epochs=1, max_time=None, progress=False)).sum())
        0
        """
        _refuse_std(kwargs, self._obj, "fill_gaps")
        _check_mask(mask, self._obj)
        _check_land(land, "fill_gaps", self._obj)
        check_outside(outside)
        fitted = self._fit(None, kwargs, "fill_gaps", _inside(self._obj, mask))
        return self._fill(fitted, self._obj, mask, land, outside)
