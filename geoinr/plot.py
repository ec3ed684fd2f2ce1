"""Quick-look figures with matplotlib and xarray's own plotting: training curves and maps.

matplotlib is an optional dependency (``pip install "geoinr[plot]"``); it is
imported when a function here is called, never by ``import geoinr``.

- :func:`plot_history`: training and validation loss against epochs
  (also ``fitted.plot_history()``).
- :func:`plot_maps`: truth, reconstruction(s) and their error side by side on one
  colour scale, with the observations' tracks of that time overlaid.
- :func:`plot_std`: a map of the predictive standard deviation (``predict(...,
  return_std=True)``), with the tracks overlaid.
- :func:`plot_spectral_score`: the spectral score :math:`1 - P_{err}/P_{ref}` against
  wavelength (km) with the 0.5 line and the effective resolution
  (:mod:`geoinr.metrics`), or the 2020a leaderboard's 2-D (wavelength, period) score.
- :func:`savefig`: a PNG with an adaptive 256-colour palette, about 3x smaller
  than matplotlib's full-colour PNG (for reports and READMEs).

Every plotting function takes ``ax=`` (axes to draw on; a new figure by default),
works with any matplotlib backend (Agg included) and returns matplotlib objects to
adjust or save: ``fig.savefig("maps.png", dpi=110)``.

Maps: when cartopy is installed (``pip install "geoinr[maps]"``), new map axes use a
``PlateCarree`` projection centred on the data, with coastlines and labelled
gridlines; without it, plain longitude/latitude axes with degrees of equal length.
``projection=False`` always gives the plain axes; axes passed as ``ax=`` are used as
they are (a cartopy ``GeoAxes`` gets the data transform and coastlines). Coastlines
come from Natural Earth shapefiles, which cartopy downloads on first use; offline and
without them, the map is drawn without coastlines and a warning says so.
"""
from __future__ import annotations

import datetime
import io
import math
import numbers
import os
import textwrap
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from . import sentinels as _sentinels
from .coords import find_coords, points_from_xarray, wrap_longitude
from .display import held_out_joined_epoch
from .frames import GeoinrWarning, user_stacklevel

__all__ = ["plot_history", "plot_maps", "plot_std", "plot_spectral_score", "savefig"]

#: Colour maps: a field that changes sign, one that does not, and errors.
DIVERGING = "RdBu_r"
SEQUENTIAL = "viridis"
ERROR = "PuOr_r"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised in a subprocess test
        raise ImportError(
            'Plotting needs matplotlib, an optional dependency: pip install "geoinr[plot]" '
            "(or pip install matplotlib)."
        ) from err
    return plt


# ----------------------------------------------------------------------------- cartopy (optional)
def _cartopy_crs():
    """``cartopy.crs``, or None when cartopy (the optional ``maps`` extra) is not installed."""
    try:
        import cartopy.crs as ccrs
    except ImportError:
        return None
    return ccrs


def _is_geoaxes(ax) -> bool:
    """Whether ``ax`` is a cartopy GeoAxes (checked by its methods: cartopy is never imported for this)."""
    return hasattr(ax, "projection") and hasattr(ax, "coastlines") and hasattr(ax, "set_extent")


def _lon_span(lon) -> tuple[float, float]:
    """West and east edges of longitudes, in the convention (0-360 or +-180) where they span least."""
    lon = np.asarray(lon, float)
    lon = lon[np.isfinite(lon)]
    if lon.size == 0:
        return -180.0, 180.0
    a = lon % 360.0
    b = (lon + 180.0) % 360.0 - 180.0
    return (float(a.min()), float(a.max())) if np.ptp(a) <= np.ptp(b) else (float(b.min()), float(b.max()))


def _map_projection(projection, da):
    """The cartopy projection for new map axes, or None for plain longitude/latitude axes.

    ``projection``: None (cartopy's PlateCarree centred on the data if cartopy is
    installed, else plain axes), True (the same, cartopy required), False (plain axes),
    or a cartopy CRS.
    """
    if projection is False:
        return None
    ccrs = _cartopy_crs()
    if ccrs is None:
        if projection is None:
            return None
        raise ImportError(
            f'projection={projection!r} needs cartopy, an optional dependency: pip install "geoinr[maps]" '
            f"(or pip install cartopy); or pass projection=False for plain longitude/latitude axes."
        )
    if projection is None or projection is True:
        west, east = _lon_span(da[find_coords(da, time=False).lon].values)
        return ccrs.PlateCarree(central_longitude=0.5 * (west + east))
    return projection


_COASTLINES = {"missing": set(), "warned": False}  # this session's failed downloads: each panel retried them


def _coastlines(ax, span: float) -> bool:
    """Draw coastlines on a GeoAxes if the Natural Earth data is cached or can be downloaded; warn otherwise (once a
    session: a resolution that failed is not asked for again)."""
    from cartopy.io import shapereader

    for resolution in (("50m", "110m") if span < 40.0 else ("110m",)):
        if resolution in _COASTLINES["missing"]:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # cartopy's DownloadWarning; failures are reported below
                shapereader.natural_earth(resolution=resolution, category="physical", name="coastline")
        except Exception:  # noqa: BLE001 - offline (URLError), a bad cache, ...: the map is still useful
            _COASTLINES["missing"].add(resolution)
            continue
        ax.coastlines(resolution=resolution, linewidth=0.6, color="0.2")
        return True
    if _COASTLINES["warned"]:
        return False
    _COASTLINES["warned"] = True
    warnings.warn(
        "Coastlines not drawn: cartopy's Natural Earth coastline data is neither cached nor downloadable "
        "(offline?). Run once with network access, or point cartopy.config['pre_existing_data_dir'] at a copy; "
        "coastlines=False silences this.",
        GeoinrWarning,
        stacklevel=user_stacklevel(),
    )
    return False


def _geo_frame(ax, da, names, coastlines: bool) -> None:
    """Extent, coastlines and labelled gridlines of a map on a cartopy GeoAxes."""
    ccrs = _cartopy_crs()
    west, east = _lon_span(da[names.lon].values)
    lat = np.asarray(da[names.lat].values, float)
    south, north = float(np.nanmin(lat)), float(np.nanmax(lat))
    if east - west >= 359.0:
        ax.set_global()
    else:
        ax.set_extent([west, east, south, north], crs=ccrs.PlateCarree())
    if coastlines:
        _coastlines(ax, max(east - west, north - south))
    grid = ax.gridlines(draw_labels=True, linewidth=0.3, color="0.5", alpha=0.6)
    grid.top_labels = grid.right_labels = False


# ----------------------------------------------------------------------------- history
def plot_history(model, ax=None, *, log: bool = True):
    """Training and validation loss against epochs, with the best check marked.

    Where the held-out points joined the training for the last part of the fit (see
    ``INRModel(validation=)``), a dotted line marks it: the weights kept are the last ones.

    Parameters
    ----------
    model : geoinr.INRModel or pandas.DataFrame
        A fitted model (its ``history``), or such a history table with columns
        ``epoch``, ``loss`` and optionally ``val_loss`` and ``physics_loss``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    log : bool
        Logarithmic loss axis (when all losses are positive).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import os, geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    >>> fitted = tracks.inr.fit("sla", width=16, depth=1, epochs=20, max_time=None, progress=False)
    >>> ax = fitted.plot_history()
    >>> [line.get_label() for line in ax.get_lines()]
    ['training', 'validation', 'best held-out check (epoch 16)', 'held-out points trained on after epoch 16']
    >>> ax.figure.savefig(os.devnull, format="png")
    """
    hist = model if isinstance(model, pd.DataFrame) else model.history if hasattr(type(model), "history") else None
    if not isinstance(hist, pd.DataFrame):  # (an unfitted INRModel raised NotFittedError on its history above)
        raise TypeError(f"plot_history takes a fitted INRModel or its history (a pandas DataFrame); "
                        f"{type(model).__name__} has no training history to draw.")
    if "epoch" not in hist or "loss" not in hist:
        raise ValueError(f"A history needs 'epoch' and 'loss' columns; got {list(hist.columns)}.")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6), layout="constrained")
    epoch = hist["epoch"].to_numpy(dtype=float)
    curves = [("loss", "training", "C0", "-")]
    if "val_loss" in hist and np.isfinite(hist["val_loss"].to_numpy(dtype=float)).any():
        curves.append(("val_loss", "validation", "C1", "-"))
    for column, label, color, style in curves:
        ax.plot(epoch, hist[column].to_numpy(dtype=float), style, color=color, label=label, lw=1.5)
    # the weighted physics loss (1e-14 to 1e-10 where the data's is 1e-2) on an axis of its own: on the data's axis
    # it flattened their curves into one line (a review)
    physics = _physics_axis(ax, epoch, hist, log)
    # the best check: lowest validation loss (training loss without validation); its weights are the ones
    # kept unless the held-out points joined the training at the end (then the last weights are)
    best_col = "val_loss" if any(c[0] == "val_loss" for c in curves) else "loss"
    values = hist[best_col].to_numpy(dtype=float)
    joined = held_out_joined_epoch(hist)
    if np.isfinite(values).any():
        i = int(np.nanargmin(values))
        best = "best" if joined is None else "best held-out check"
        ax.plot([epoch[i]], [values[i]], "o", color="k", ms=5, label=f"{best} (epoch {round(epoch[i], 1):g})")
    if joined is not None:
        ax.axvline(joined, color="0.4", ls=":", lw=1.2, label=f"held-out points trained on after epoch {round(joined, 1):g}")
    finite = np.concatenate([hist[c].to_numpy(dtype=float) for c, *_ in curves])
    finite = finite[np.isfinite(finite)]
    if log and finite.size and (finite > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE of standardized values)")
    name = getattr(model, "model", None)
    ax.set_title(f"{name}: training history" if name else "training history")
    ax.grid(True, alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if physics is not None:
        more, more_names = physics.get_legend_handles_labels()
        handles, names = handles + more, names + more_names
    ax.legend(handles, names, frameon=False)
    return ax


def _physics_axis(ax, epoch, hist, log: bool):
    """The weighted physics loss on a second y axis (right), or None where the history has none."""
    if "physics_loss" not in hist:
        return None
    values = hist["physics_loss"].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return None
    right = ax.twinx()
    right.plot(epoch, values, "--", color="C2", label="physics loss (weighted; right axis)", lw=1.5)
    finite = values[np.isfinite(values)]
    if log and (finite > 0).all():
        right.set_yscale("log")
    right.set_ylabel("physics loss (weighted)", color="C2")
    right.tick_params(axis="y", colors="C2")
    return right


# ----------------------------------------------------------------------------- maps
def _as_dataarray(obj, what: str, prefer=None) -> xr.DataArray:
    if isinstance(obj, xr.DataArray):
        return obj
    if isinstance(obj, xr.Dataset):
        names = list(obj.data_vars)
        if prefer is not None and prefer in names:
            return obj[prefer]
        if len(names) == 1:
            return obj[names[0]]
        raise ValueError(f"{what} is a Dataset with variables {names}; pass one of them, e.g. ds[{names[0]!r}].")
    if isinstance(obj, tuple) and len(obj) == 2 and all(isinstance(o, xr.DataArray | xr.Dataset) for o in obj):
        raise TypeError(f"{what} is a pair, as predict(..., return_std=True) returns (map, std): pass its map, "
                        f"[0] (and plot_std for its std).")
    if hasattr(obj, "predict"):
        raise TypeError(f"{what} is a fitted model ({type(obj).__name__}): pass its maps, e.g. fitted.predict(truth).")
    raise TypeError(f"{what} must be an xarray DataArray (or a one-variable Dataset), got {type(obj).__name__}.")


def _time_name(da: xr.DataArray):
    try:
        return find_coords(da).time
    except ValueError:
        return None


def _warn_far_time(axis: np.ndarray, time, picked, asked, what: str) -> None:
    """Warn where the nearest time of a dated ``axis`` to the requested ``time`` is farther from it than the axis's
    widest step (a request years off drew the nearest map with only its title saying so: a review)."""
    if not np.issubdtype(axis.dtype, np.datetime64) or axis.size < 2:
        return
    off = abs(np.datetime64(picked, "ns") - np.datetime64(time, "ns"))
    if off > np.max(np.abs(np.diff(axis.astype("datetime64[ns]")))):
        warnings.warn(f"time={asked!r} lies outside the times of {what} ({str(axis.min())[:16]} to {str(axis.max())[:16]}): "
                      f"the map shown is the nearest, {str(picked)[:16]}.", GeoinrWarning, stacklevel=user_stacklevel())


def _pick_time(da: xr.DataArray, time, what: str):
    """The 2-D map at ``time`` (nearest; the middle time if None) and the time value shown."""
    tname = _time_name(da)
    shown = None
    if tname is not None and tname in da.dims and da.sizes[tname] > 1:
        if time is None:
            da = da.isel({tname: da.sizes[tname] // 2})
        else:
            asked = time
            try:  # (the string's parse inside: time="yesterday" raised numpy's error; a review)
                if isinstance(time, str) and np.issubdtype(da[tname].dtype, np.datetime64):
                    time = np.datetime64(time)
                elif isinstance(time, str) and da[tname].dtype == object:  # cftime dates: one of the axis's calendar
                    time = xr.date_range(time, periods=1, calendar=da[tname].dt.calendar, use_cftime=True)[0]
                axis = da[tname].values
                da = da.sel({tname: time}, method="nearest")
                _warn_far_time(axis, time, da[tname].values, asked, what)
            except (TypeError, ValueError) as err:  # time=1 on dates: pandas' "Cannot compare dtypes"
                raise ValueError(f"time={time!r} is not on the time axis {tname!r} ({da[tname].dtype}) of {what}: give "
                                 f"a date such as {str(da[tname].values[0])[:10]!r}, or None for the middle one. "
                                 f"({err})") from None
    elif tname is not None and tname in da.dims:
        da = da.isel({tname: 0})
    if tname is not None and tname in da.coords and da[tname].size == 1:
        shown = da[tname].values.reshape(())[()]
    try:  # a map one cell wide keeps its latitude and longitude dimensions (a 1 x 1 grid had none left)
        names = find_coords(da, time=False)
        horizontal = set(da[names.lat].dims) | set(da[names.lon].dims)
    except ValueError:
        horizontal = set()
    da = da.squeeze([d for d in da.dims if da.sizes[d] == 1 and d not in horizontal], drop=False)
    if da.ndim != 2:
        raise ValueError(
            f"{what} must be one map: after choosing the time it has dims {da.dims}; "
            f"select the other dimensions first (e.g. .isel(depth=0))."
        )
    return da, shown


def _same_grid(a: xr.DataArray, b: xr.DataArray, na, nb) -> bool:
    """Whether ``a`` and ``b`` are on one grid (longitudes in either convention: 300 E is -60 E)."""
    for ra, rb, wrap in ((na.lat, nb.lat, False), (na.lon, nb.lon, True)):
        x, y = np.asarray(a[ra].values, float), np.asarray(b[rb].values, float)
        if x.shape != y.shape:
            return False
        d = (x - y + 180.0) % 360.0 - 180.0 if wrap else x - y
        if not np.all((np.abs(d) <= 1e-6 + 1e-5 * np.abs(y)) | (np.isnan(x) & np.isnan(y))):  # float32 files too
            return False
    return True


def _east_of(lon, west: float) -> np.ndarray:
    """``lon`` in the 360 degrees east of ``west``: the convention of a grid whose western edge is ``west``."""
    return west + (np.asarray(lon, float) - west) % 360.0


def _on_grid_of(truth: xr.DataArray, est: xr.DataArray) -> xr.DataArray:
    """``truth`` on the grid of ``est``: the same values if the grids match, else linear interpolation."""
    nt, ne = find_coords(truth, time=False), find_coords(est, time=False)
    if _same_grid(truth, est, nt, ne):
        if truth[nt.lat].ndim == 1:
            mapping = {est[ne.lat].dims[0]: truth[nt.lat].dims[0], est[ne.lon].dims[0]: truth[nt.lon].dims[0]}
        else:
            mapping = dict(zip(est[ne.lat].dims, truth[nt.lat].dims))
        return est.copy(data=truth.transpose(*[mapping[d] for d in est.dims]).values)
    if truth[nt.lat].ndim != 1 or truth[nt.lon].ndim != 1 or truth[nt.lat].dims == truth[nt.lon].dims:
        raise ValueError(
            "truth and estimate are on different grids and the truth's grid is not a regular lat/lon one: "
            "evaluate both on one grid first (a fitted INRModel predicts on any grid: fitted.predict(truth))."
        )
    # the estimate's coordinates as indexers: a 1-D grid gives an outer product, a curvilinear one pointwise values
    at = {
        truth[nt.lat].dims[0]: xr.DataArray(np.asarray(est[ne.lat].values, float), dims=est[ne.lat].dims),
        truth[nt.lon].dims[0]: xr.DataArray(_east_of(est[ne.lon].values, float(np.nanmin(truth[nt.lon].values)) - 1e-6), dims=est[ne.lon].dims),
    }
    plain = truth.reset_coords(drop=True)
    on = plain.interp(at)
    return est.copy(data=on.transpose(*est.dims).values)


def _tracks_near(tracks, when, window, west=None):
    """(lon, lat) of the observations within ``window`` of ``when``: every finite value of
    along-track, gridded or curvilinear data (all times if either side has no time). ``west``: the
    maps' westernmost longitude; each track longitude is then taken in the 360 degrees east of it
    (maps past 180 across the dateline, or past 360 across 0 E, show their tracks)."""
    if not isinstance(tracks, xr.Dataset | xr.DataArray):  # (a DataFrame failed on its missing .coords)
        raise TypeError(f"tracks must be an xarray Dataset or DataArray of observations with lat/lon(/time) "
                        f"coordinates; got {type(tracks).__name__} (a DataFrame: df.to_xarray()).")
    if isinstance(tracks, xr.Dataset):
        numeric = [k for k, v in tracks.data_vars.items() if np.issubdtype(v.dtype, np.number)]
        if not numeric:
            raise ValueError("tracks has no numeric data variable: give the observations (e.g. ds['sla']).")
        tracks = tracks[numeric[0]]
    names = find_coords(tracks)
    table, axis = points_from_xarray(tracks, [tracks.name], names)
    lon, lat = table.lon, table.lat
    if west is not None:
        lon = _east_of(lon, west)
    if table.time is None or when is None or window is None:
        return lon, lat
    try:
        t0 = float(axis.to_days(np.asarray([when]))[0])
    except (TypeError, ValueError) as err:
        raise ValueError(f"The map's time {when!r} is not on the tracks' time axis ({axis.kind}): give tracks with "
                         f"times like the map's, or tracks=None. ({err})") from None
    keep = np.abs(table.time - t0) <= _half_window_days(window, axis)
    return lon[keep], lat[keep]


def _half_window_days(window, axis=None) -> float:
    """``track_window`` in days: a pandas time span (``"12h"``), or a number in the time's own units (seconds,
    hours, ...; days for dates). A ValueError naming both forms otherwise (``"bogus"`` drew every track, and a number
    on dates was read as nanoseconds: none)."""
    if window is None:  # every observation
        return float("inf")
    if isinstance(window, numbers.Real) and not isinstance(window, bool):
        numeric = axis is not None and axis.kind == "numeric"
        half = float(window) * (axis.days_per_unit if numeric else 1.0)
    else:
        try:
            half = pd.Timedelta(window) / pd.Timedelta(days=1)
        except (TypeError, ValueError):
            half = float("nan")
    if not half >= 0.0:
        raise ValueError(f"track_window={window!r}: give a time span such as '12h' or '3D' (pandas), or a number of "
                         f"the time's own units (days for dates): the half-width of the window of tracks drawn.")
    return half


def _limits(arrays, symmetric_if_signed=True):
    vals = np.concatenate([np.asarray(a, float).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return -1.0, 1.0, DIVERGING
    lo, hi = np.percentile(vals, [0.5, 99.5])
    if symmetric_if_signed and lo < 0 < hi:
        v = max(-lo, hi)
        return -v, v, DIVERGING
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    return float(lo), float(hi), SEQUENTIAL


def _label(da: xr.DataArray) -> str:
    """``long_name [units]`` on at most two short lines (it runs along a colour bar)."""
    name = str(da.attrs.get("long_name", da.name if da.name is not None else ""))
    tail = f" [{da.attrs['units']}]" if da.attrs.get("units") else ""
    width = 72
    while True:  # the units matter more than the end of the name: shorten the name until both fit on two lines
        short = textwrap.shorten(name, width=max(width - len(tail), 10), placeholder="...") if name else ""
        lines = textwrap.wrap(short + tail, width=36)
        if len(lines) <= 2 or width - len(tail) <= 10:
            return ("\n".join(lines[:2]) if len(lines) <= 2 else "\n".join([lines[0], " ".join(lines[1:])])).strip()
        width -= 4


def _west_to_east(da, name) -> xr.DataArray:
    """``da`` with a 1-D longitude axis ``name`` increasing: a map across the dateline in [-180, 180) (175.5 ...
    179.5, -179.5 ..., as ``regrid`` gives it) unwrapped east of its first longitude (xarray refused to draw it),
    a decreasing axis sorted. A 2-D (curvilinear) longitude is drawn in whichever of [-180, 180) and [0, 360)
    spans fewer degrees (a regional grid across the dateline in [-180, 180) spread over the whole globe)."""
    lon = da[name]
    v = np.asarray(lon.values, float)
    if lon.ndim >= 2 and np.isfinite(v).any():
        ways = v, wrap_longitude(v), v % 360.0  # (NaN stays NaN)
        spans = [np.nanmax(w) - np.nanmin(w) for w in ways]
        best = int(np.argmin(spans))  # the grid's own on a tie
        return da if best == 0 else da.assign_coords({name: (lon.dims, ways[best], lon.attrs)})
    if lon.ndim != 1 or v.size < 2 or not np.isfinite(v).all() or np.all(np.diff(v) > 0):
        return da
    if not np.all(np.diff(v) < 0):
        da = da.assign_coords({name: (lon.dims, _east_of(v, v[0]), lon.attrs)})
    return da.sortby(name)


def _map_ratio(da) -> float:
    """Height / width of a map drawn with degrees of equal length (see :func:`_draw`)."""
    names = find_coords(da, time=False)
    da = _west_to_east(da, names.lon)
    lat = np.asarray(da[names.lat].values, float)
    lon = np.asarray(da[names.lon].values, float)
    if not (np.isfinite(lat).any() and np.isfinite(lon).any()):
        return 1.0
    mid = math.cos(math.radians(float(np.nanmean(lat))))
    ratio = (np.nanmax(lat) - np.nanmin(lat)) / max((np.nanmax(lon) - np.nanmin(lon)) * max(mid, 0.05), 1e-9)
    return float(min(max(ratio, 0.25), 4.0))


def _draw(ax, da, names, title, cmap, vmin, vmax, track_xy, track_style, coastlines=True):
    """One map on ``ax``: plain axes with degrees of equal length, or a cartopy GeoAxes in its projection."""
    geo = _is_geoaxes(ax)
    transform = {"transform": _cartopy_crs().PlateCarree()} if geo else {}
    da = _west_to_east(da, names.lon)
    mesh = da.plot.pcolormesh(
        ax=ax, x=names.lon, y=names.lat, cmap=cmap, vmin=vmin, vmax=vmax,
        cbar_kwargs={"label": _label(da), "shrink": 0.85}, **transform,
    )
    if track_xy is not None and track_xy[0].size:
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        ax.scatter(track_xy[0], track_xy[1], **track_style, **transform)
        ax.set_xlim(xlim)  # the map's extent, not the tracks'
        ax.set_ylim(ylim)
    if geo:
        _geo_frame(ax, da, names, coastlines)
    else:
        lat = np.asarray(da[names.lat].values, float)
        mid = float(np.nanmean(lat)) if np.isfinite(lat).any() else 0.0
        ax.set_aspect(1.0 / max(math.cos(math.radians(mid)), 0.05))  # degrees of equal length on the map
    ax.set_title(title)
    return mesh


def _resolution_text(value: float) -> str:
    """A resolution for a legend: three significant digits, never in scientific notation (1780, not 1.78e+03).

    >>> _resolution_text(1783.4), _resolution_text(92.46), _resolution_text(0.8333)
    ('1783', '92.5', '0.833')
    """
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _maps_at_one_time(truth, estimate, time, labels):
    """``(truth map or None, {label: estimate map}, time shown)``: every map at the estimates' time."""
    if isinstance(estimate, Mapping) and not isinstance(estimate, xr.Dataset):  # a Dataset is a Mapping too
        ests = dict(estimate)
    else:
        ests = {labels.get("estimate", "estimate"): estimate}
    if not ests:
        raise ValueError("estimate is empty: give a DataArray or a dict {label: DataArray}.")
    prefer = truth.name if isinstance(truth, xr.DataArray) else None
    maps = {}
    when = None
    for label, est in ests.items():
        est = _as_dataarray(est, f"estimate {label!r}", prefer=prefer)
        if prefer is None:
            prefer = est.name
        est, shown = _pick_time(est, time if when is None else when, f"estimate {label!r}")
        when = shown if when is None else when
        maps[label] = _sentinels.without_fills(est, note=f"The map of {label!r} leaves them out.", outliers=False)
    truth_map = None
    if truth is not None:
        truth = _as_dataarray(truth, "truth", prefer=prefer)
        truth_map, truth_time = _pick_time(truth, when if when is not None else time, "truth")
        if when is None:  # an estimate without a time: the truth's time is the figure's (and the tracks')
            when = truth_time
        elif truth_time is not None:
            _warn_other_time(truth, truth_time, when)
        # the DUACS land value (-214748.3647 m) set the colour scale to +-214748 and the error panel's RMSE to 1e5 m
        truth_map = _sentinels.without_fills(truth_map, note="The truth's map leaves them out.", outliers=False)
        from .metrics import _in_reference_units  # a map in cm against a truth in m: its error in one unit

        maps = {label: _in_reference_units(m, truth_map, "plot_maps") for label, m in maps.items()}
    return truth_map, maps, when


def _warn_other_time(truth: xr.DataArray, shown, when) -> None:
    """Warn when the truth's nearest time ``shown`` is not the estimates' ``when``: more than half the truth's step
    apart (12 hours for a one-time truth of dates). The truth of 2020-01-03 was compared with an estimate of
    2020-02-15, under the estimate's date alone (a review)."""
    tname = _time_name(truth)
    try:
        apart = abs(shown - when)
        times = truth[tname].values.ravel() if tname is not None else np.array([])
        dates = isinstance(apart, np.timedelta64 | datetime.timedelta)  # (np.timedelta64 is a numbers.Real too)
        tolerance = abs(np.median(np.diff(np.sort(times)))) / 2 if times.size > 1 else (
            pd.Timedelta(hours=12) if dates else None)
        if tolerance is None or not apart > tolerance:
            return
    except (TypeError, ValueError):  # times of two kinds: _pick_time said so already, or they cannot be compared
        return
    warnings.warn(f"plot_maps: the truth's nearest time is {_stamp(shown)}, not the estimate's {_stamp(when)}: "
                  f"the error compares two different times. Give the truth of that time (or time= one both hold).",
                  GeoinrWarning, stacklevel=user_stacklevel())


def _error_maps(truth_map, maps: dict) -> dict:
    """Estimate minus truth (on the estimate's grid) for each estimate; empty without a truth."""
    errors = {}
    if truth_map is not None:
        for label, est in maps.items():
            err = est - _on_grid_of(truth_map, est)
            err.attrs = {"long_name": "error", "units": est.attrs.get("units", truth_map.attrs.get("units", ""))}
            errors[label] = err
    return errors


def _error_limit(errors: dict) -> float:
    """Robust colour limit of the errors: the 99.5th percentile of their magnitude (1 if none or zero)."""
    allerr = np.concatenate([np.abs(e.values).ravel() for e in errors.values()])
    allerr = allerr[np.isfinite(allerr)]
    error_max = float(np.percentile(allerr, 99.5)) if allerr.size else 1.0
    return error_max if error_max > 0 else 1.0


def _tracks_shown(tracks, maps: dict, when, track_window):
    """Positions of the observations within ``track_window`` of ``when``, in the maps' longitude convention."""
    _half_window_days(track_window)  # checked whether or not the maps have a time
    first = next(iter(maps.values()))
    name = find_coords(first, time=False).lon
    lon = np.asarray(_west_to_east(first, name)[name].values, float)  # as drawn: past 360 across 0 E, 180 the dateline
    step = np.nanmedian(np.abs(np.diff(np.unique(lon)))) if np.unique(lon).size > 1 else 0.0
    return _tracks_near(tracks, when, track_window, west=float(np.nanmin(lon)) - 0.5 * step)  # half a cell west


def _panels(truth_map, maps: dict, errors: dict, labels: dict, cmap, vmin, vmax, error_max) -> list:
    """Panels ``(key, map, title, cmap, vmin, vmax, row, col)``: truth, estimates, and errors below or beside."""
    n = len(maps)
    panels = []
    if truth_map is not None:
        panels.append(("truth", truth_map, labels.get("truth", "truth"), cmap, vmin, vmax, 0, 0))
    for j, (label, est) in enumerate(maps.items()):
        col = j + (1 if truth_map is not None else 0)
        panels.append((label, est, label, cmap, vmin, vmax, 0, col))
        if label in errors:
            e = errors[label]
            values = e.values.astype(float)
            r = float(np.sqrt(np.mean(values[np.isfinite(values)] ** 2))) if np.isfinite(values).any() else None
            units = e.attrs.get("units", "")
            score = f"RMSE {r:.2g} {units}".rstrip() if r is not None else "no point where both have a value"
            title = f"error, {score}" if n == 1 else f"{label} - truth, {score}"
            row, ecol = (0, 2) if n == 1 else (1, col)
            panels.append((f"error {label}", e, title, ERROR, -error_max, error_max, row, ecol))
    return panels


def _map_width(da, panel_size: float) -> float:
    """Width (inches) of a figure cell holding one map ``panel_size`` high, its labels and its colour bar."""
    width = panel_size / _map_ratio(da) + 1.8
    return min(max(width, 0.6 * panel_size), 3.0 * panel_size)


def _given_axes(ax, n: int) -> list:
    """The axes passed as ``ax=``: one Axes, or a sequence / array of them, one per panel."""
    axes = [ax] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n:
        raise ValueError(
            f"ax must hold one Axes per panel: {n} panels to draw, {len(axes)} axes given. Pass ax=None for a "
            f"new figure, or e.g. fig.subplots(1, {n})."
        )
    return axes


def _draw_panels(plt, panels: list, nrows: int, panel_size: float, track_xy, style: dict, ax=None, projection=None,
                 coastlines=True):
    """One map per panel: on the given axes (in panel order), or on a new grid (unused cells hidden).

    Returns ``(fig, {key: ax})``.
    """
    if ax is not None:
        given = _given_axes(ax, len(panels))
        grid = {(p[6], p[7]): a for p, a in zip(panels, given)}
        fig = given[0].figure
    else:
        ncols = max(p[7] for p in panels) + 1
        crs = _map_projection(projection, panels[0][1])
        # panel_size is the map's height; around it go the title and tick labels, beside it the colour bar
        fig, cells = plt.subplots(
            nrows, ncols, figsize=(_map_width(panels[0][1], panel_size) * ncols, (panel_size + 1.0) * nrows + 0.3),
            layout="constrained", squeeze=False, subplot_kw={"projection": crs} if crs is not None else None,
        )
        grid = {(r, c): cells[r, c] for r in range(nrows) for c in range(ncols)}
    axes = {}
    for key, da, title, cm, a, b, row, col in panels:
        _draw(grid[row, col], da, find_coords(da, time=False), title, cm, a, b, track_xy, style, coastlines)
        axes[key] = grid[row, col]
    for cell in set(grid) - {(p[6], p[7]) for p in panels}:
        grid[cell].set_axis_off()
    return fig, axes


def plot_maps(
    truth,
    estimate,
    tracks=None,
    time=None,
    *,
    labels=None,
    track_window="12h",
    cmap=None,
    vmin=None,
    vmax=None,
    error_max=None,
    panel_size: float = 4.0,
    track_style=None,
    ax=None,
    projection=None,
    coastlines: bool = True,
):
    """Truth, reconstruction and error side by side, with the observations of that time overlaid.

    Truth and reconstruction(s) share one colour scale (diverging and symmetric
    when the field changes sign); errors (estimate - truth) share a diverging
    scale of their own. Colour bars carry ``long_name [units]``; the error
    panels' titles give that map's RMSE.

    Parameters
    ----------
    truth : xarray.DataArray or None
        Reference maps ``(time, lat, lon)`` or one map; any coordinate names that
        :func:`geoinr.coords.find_coords` recognizes, 1-D or 2-D (curvilinear).
        None shows the estimate(s) alone.
    estimate : xarray.DataArray or dict of them
        The reconstruction, or ``{label: reconstruction}`` to compare several
        (one column each, errors in a second row). If the grids of truth and
        estimate differ (1-D axes), the truth is linearly interpolated onto the
        estimate's grid for the error.
    tracks : xarray.Dataset or xarray.DataArray, optional
        The observations: along-track data, or a gappy or coarse grid (NaN are
        not drawn). Those within ``track_window`` of the map's time are drawn as
        dots. For a Dataset, the positions of its first data variable are used.
    time : optional
        Which time to show (nearest), e.g. ``"2020-01-05"``; default the middle one.
    labels : dict, optional
        Panel titles: ``{"truth": ..., "estimate": ...}`` (the latter for a single estimate).
    track_window : str or float
        Half-width of the window of observations shown: a pandas time delta
        (``"12h"``), or a number in the time coordinate's units (days for dates).
    cmap : str, optional
        Colour map of the field (default ``"RdBu_r"`` for a field that changes
        sign, else ``"viridis"``); errors use ``"PuOr_r"``.
    vmin, vmax, error_max : float, optional
        Colour limits (default: robust limits, 0.5-99.5 percentiles).
    panel_size : float
        Height of one map in inches (the figure adds room for titles, labels and colour bars).
    track_style : dict, optional
        Keyword arguments of ``Axes.scatter`` for the tracks.
    ax : sequence of matplotlib.axes.Axes, optional
        Axes to draw on, one per panel in the order of the returned dict (truth, then
        each estimate followed by its error; a single Axes for a single panel). By
        default a new figure.
    projection : None, bool or cartopy CRS
        Projection of new axes: by default cartopy's ``PlateCarree`` centred on the
        data when cartopy is installed, else plain longitude/latitude axes; ``False``:
        always plain axes; a cartopy CRS: that projection (see the module notes).
    coastlines : bool
        Draw coastlines on cartopy axes.

    Returns
    -------
    (matplotlib.figure.Figure, dict of matplotlib.axes.Axes)
        Axes keyed by panel: ``"truth"``, each estimate's label, and ``"error <label>"``.

    Examples
    --------
    >>> import os, geoinr
    >>> truth = geoinr.datasets.synthetic_grid(days=3, resolution=0.5).sla_true
    >>> tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    >>> fig, axes = plot_maps(truth, truth + 0.01, tracks, time="2020-01-02")
    >>> list(axes)
    ['truth', 'estimate', 'error estimate']
    >>> axes["error estimate"].get_title()
    'error, RMSE 0.01 m'
    >>> fig.savefig(os.devnull, format="png")
    """
    plt = _pyplot()
    labels = dict(labels or {})
    truth_map, maps, when = _maps_at_one_time(truth, estimate, time, labels)
    errors = _error_maps(truth_map, maps)
    lo, hi, auto_cmap = _limits([truth_map.values] if truth_map is not None else [m.values for m in maps.values()])
    vmin = lo if vmin is None else vmin
    vmax = hi if vmax is None else vmax
    cmap = cmap or auto_cmap
    if errors and error_max is None:
        error_max = _error_limit(errors)
    track_xy = None if tracks is None else _tracks_shown(tracks, maps, when, track_window)
    style = {"s": 1.5, "c": "k", "alpha": 0.6, "linewidths": 0, "rasterized": True}
    style.update(track_style or {})
    panels = _panels(truth_map, maps, errors, labels, cmap, vmin, vmax, error_max)
    nrows = 1 if (len(maps) == 1 or truth_map is None) else 2
    fig, axes = _draw_panels(plt, panels, nrows, panel_size, track_xy, style, ax, projection, coastlines)
    if when is not None:
        stamp = _stamp(when)
        text = stamp if track_xy is None else f"{stamp} {_tracks_note(track_xy, track_window)}"
        if ax is None:
            fig.suptitle(text)
        else:  # the caller's figure: the time goes in the first panel's title
            first = next(iter(axes.values()))
            first.set_title(f"{first.get_title()}\n{text}")
    return fig, axes


def _tracks_note(track_xy, track_window) -> str:
    """What the dots are, in a title: the observations within the window, or that none lies there."""
    if len(track_xy[0]) == 0:
        return f"(no observation within ±{track_window})"
    return f"(dots: observations within ±{track_window})"


def _stamp(when) -> str:
    """A time as text, without a midnight hour."""
    from .display import _format_time

    stamp = _format_time(when)
    return stamp[:10] if stamp.endswith("00:00") else stamp


# ----------------------------------------------------------------------------- standard deviation
def _std_variable(std) -> xr.DataArray:
    """The standard deviation: a DataArray, the second of ``predict(..., return_std=True)``, or a Dataset's std."""
    if isinstance(std, (tuple, list)):
        if len(std) != 2:
            raise ValueError(f"std: expected a DataArray or the pair (mean, std) from predict(return_std=True); got {len(std)} items.")
        std = std[1]
    if isinstance(std, xr.Dataset):
        stds = [
            k for k, v in std.data_vars.items()
            if str(v.attrs.get("standard_name", "")).endswith("standard_error") or str(k).endswith("_std")
        ]
        if len(stds) == 1:
            return std[stds[0]]
        if not stds:  # a map of the field itself, drawn from 0 as if it were its error (a review of 2026-12-06)
            raise ValueError(
                f"plot_std: the Dataset holds no standard deviation (a variable named '<name>_std' or with a "
                f"'standard_error' standard_name); it has {list(std.data_vars)}. Pass the std itself, e.g. "
                f"plot_std(fitted.predict(grid, return_std=True)) or plot_std(maps['sla_std']).")
        raise ValueError(f"plot_std: the Dataset holds several standard deviations, {stds}; pass one, e.g. "
                         f"plot_std(ds[{stds[0]!r}]).")
    da = _as_dataarray(std, "std")
    values = np.asarray(da.values, dtype=np.float64)
    if np.any(values[np.isfinite(values)] < 0.0):  # a mean field (the first of the pair), not its spread
        raise ValueError(
            f"plot_std: {da.name or 'the array'!r} holds negative values (down to {np.nanmin(values):.3g}): a "
            f"standard deviation never does. Is it the mean? predict(..., return_std=True) returns (mean, std): pass "
            f"the pair itself or its second item.")
    return da


def plot_std(
    std,
    ax=None,
    *,
    time=None,
    tracks=None,
    track_window="12h",
    cmap: str = SEQUENTIAL,
    vmax=None,
    title=None,
    panel_size: float = 4.0,
    track_style=None,
    projection=None,
    coastlines: bool = True,
):
    """Map of a predictive standard deviation (from 0), with the observations of that time overlaid.

    Where the observations are, the standard deviation should be small; far from
    them it grows toward the signal's own spread. The colour scale starts at zero.

    Parameters
    ----------
    std : xarray.DataArray, (mean, std) tuple or xarray.Dataset
        The standard deviation ``(time, lat, lon)`` or one map, e.g. the second result
        of ``fitted.predict(grid, return_std=True)`` (the pair itself is accepted), or a
        Dataset holding it (the variable named ``*_std`` or with a ``standard_error``
        standard name).
    ax : matplotlib.axes.Axes, optional
        Where to draw (a cartopy GeoAxes gets the data transform and coastlines); a new
        figure by default.
    time : optional
        Which time to show (nearest), e.g. ``"2020-01-05"``; default the middle one.
    tracks : xarray.Dataset or xarray.DataArray, optional
        Observations; those within ``track_window`` of the map's time are drawn as dots.
    track_window : str or float
        Half-width of that window (pandas time delta, or a number in the time's units; days for dates).
    cmap : str
        Colour map (sequential).
    vmax : float, optional
        Upper colour limit (default: the 99.5th percentile).
    title : str, optional
        Default: the time shown (and the tracks' window).
    panel_size : float
        Height of the map in inches, for a new figure.
    track_style : dict, optional
        Keyword arguments of ``Axes.scatter`` for the tracks.
    projection : None, bool or cartopy CRS
        Projection of a new axes, as in :func:`plot_maps`.
    coastlines : bool
        Draw coastlines on cartopy axes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import os, geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    >>> oi = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0).fit(tracks, "sla")
    >>> grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).drop_vars(["sla", "sla_true"])
    >>> ax = plot_std(oi.predict(grid, return_std=True), tracks=tracks, projection=False)
    >>> mesh = ax.collections[0]
    >>> mesh.get_clim()[0], mesh.colorbar.ax.get_ylabel().endswith("[m]")
    (0.0, True)
    >>> ax.figure.savefig(os.devnull, format="png")
    """
    plt = _pyplot()
    da, when = _pick_time(_std_variable(std), time, "std")
    values = np.asarray(da.values, float)
    finite = values[np.isfinite(values)]
    if vmax is None:
        vmax = float(np.percentile(finite, 99.5)) if finite.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
    track_xy = None if tracks is None else _tracks_shown(tracks, {"std": da}, when, track_window)
    style = {"s": 1.5, "c": "w", "edgecolors": "k", "linewidths": 0.2, "alpha": 0.8, "rasterized": True}
    style.update(track_style or {})
    if ax is None:
        crs = _map_projection(projection, da)
        _, ax = plt.subplots(
            figsize=(_map_width(da, panel_size), panel_size + 1.0), layout="constrained",
            subplot_kw={"projection": crs} if crs is not None else None,
        )
    if title is None:
        title = "" if when is None else _stamp(when)
        if track_xy is not None:
            title = f"{title}\n{_tracks_note(track_xy, track_window)}".strip()
    _draw(ax, da, find_coords(da, time=False), title, cmap, 0.0, vmax, track_xy, style, coastlines)
    return ax


# ----------------------------------------------------------------------------- spectral score
_SCORES = {
    "zonal": "effective_resolution_zonal",
    "isotropic": "effective_resolution_isotropic",
    "time": "effective_resolution_time",
    "along_track": "effective_resolution_along_track",
    "leaderboard": "leaderboard_resolution",
}


def plot_spectral_score(estimate, truth=None, ax=None, *, kind: str = "zonal", label=None, color=None, **kwargs):
    r"""Spectral score :math:`1 - P_{err}/P_{ref}` against wavelength, with the 0.5 line and the resolution marked.

    ``kind="zonal"`` (default) plots :func:`geoinr.metrics.effective_resolution_zonal`
    of the maps: score against wavelength (km, log axis), a dashed line at 0.5 and a
    vertical line at the effective resolution :math:`\lambda_x` (named in the legend).
    Call it again on the same ``ax`` to compare reconstructions. ``kind="leaderboard"``
    draws the 2020a leaderboard's 2-D score (:func:`geoinr.metrics.leaderboard_resolution`)
    as filled contours over wavelength (degrees of longitude) and period (days, log
    axis), with its 0.5 contour and the :math:`\lambda_x`, :math:`\lambda_t` it gives.

    Parameters
    ----------
    estimate : xarray.DataArray, EffectiveResolution, LeaderboardResolution or dict
        The reconstruction ``(time, lat, lon)``, or a result of :mod:`geoinr.metrics`
        computed already (then ``truth`` and ``kind`` are not used), or a dict of them by label
        (as :func:`plot_maps` takes): one curve each, on one axes (1-D kinds).
    truth : xarray.DataArray, optional
        The reference on the same grid (needed unless ``estimate`` holds scores already).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    kind : {"zonal", "isotropic", "time", "along_track", "leaderboard"}
        Which score to compute (the :mod:`geoinr.metrics` function of that name).
    label : str, optional
        Legend label of the curve (1-D kinds); a dict's keys label its curves.
    color : optional
        Colour of the curve and of its resolution line (1-D kinds); with a dict of estimates, a dict by label.
    **kwargs
        Passed to the metrics function (e.g. ``lat=``, ``spacing_km=``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import os, geoinr
    >>> truth = geoinr.datasets.synthetic_grid(days=3, resolution=0.1).sla_true
    >>> smooth = truth.rolling(lon=9, center=True, min_periods=1).mean()
    >>> ax = plot_spectral_score(smooth, truth, label="9-point running mean")
    >>> ax.get_xlabel(), ax.get_xscale()
    ('wavelength [km]', 'log')
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['9-point running mean', 'score 0.5']
    >>> ax.get_lines()[2].get_label().startswith("effective resolution")
    True
    >>> ax.figure.savefig(os.devnull, format="png")
    """
    from . import metrics

    plt = _pyplot()
    if isinstance(estimate, dict):  # {"SIREN": maps, "OI": maps}: one curve each on one axes
        if kind == "leaderboard":
            raise ValueError("kind='leaderboard' draws one filled 2-D score: give one estimate, not a dict.")
        if label is not None:
            raise ValueError("With a dict of estimates the curves are labelled by its keys: give no label=.")
        for name, one in estimate.items():
            c = color.get(name) if isinstance(color, dict) else color  # one colour for all, or one per label
            ax = plot_spectral_score(one, truth, ax, kind=kind, label=str(name), color=c, **kwargs)
        return ax
    res = estimate
    if not isinstance(estimate, (metrics.EffectiveResolution, metrics.LeaderboardResolution)):
        if not isinstance(estimate, xr.DataArray | xr.Dataset):
            _as_dataarray(estimate, "estimate")  # a model, a (map, std) pair: say what to pass
        if kind not in _SCORES:
            raise ValueError(f"kind must be one of {sorted(_SCORES)}; got {kind!r}.")
        if truth is None:
            raise ValueError("plot_spectral_score needs the truth (reference) to score the estimate against: pass truth=.")
        res = getattr(metrics, _SCORES[kind])(estimate, truth, **kwargs)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    if isinstance(res, metrics.LeaderboardResolution):
        return _plot_score_2d(ax, res)
    return _plot_score_1d(ax, res, label, color)


def _plot_score_1d(ax, res, label, color):
    """Score against wavelength (log axis), 0.5 line, resolution line; returns ``ax``."""
    wavelength, score = res.wavelength, res.score
    drawn_before = bool(ax.get_lines())
    order = np.argsort(wavelength)
    (line,) = ax.plot(wavelength[order], score[order], "-", color=color, lw=1.6, label=label or res.kind.replace("_", "-"))
    if not any(ln.get_label() == "score 0.5" for ln in ax.get_lines()):
        ax.axhline(0.5, color="0.4", ls="--", lw=1.0, label="score 0.5")
    unit = "days" if res.units == "days" else res.units
    symbol = r"$\lambda_t$" if res.units == "days" else r"$\lambda_x$"
    if np.isfinite(res.resolution):
        bound = r"$\leq$ " if res.status == "resolved_everywhere" else ""
        ax.axvline(res.resolution, color=line.get_color(), ls=":", lw=1.4,
                   label=f"effective resolution {symbol} {bound}{_resolution_text(res.resolution)} {unit}")
    else:
        line.set_label(f"{line.get_label()} (never reaches 0.5)")
    ax.set_xscale("log")
    ax.set_xlabel("period [days]" if res.units == "days" else f"wavelength [{res.units}]")
    ax.set_ylabel("spectral score 1 - PSD(err)/PSD(ref)")
    finite = score[np.isfinite(score)]
    low = max(float(finite.min()), -1.0) if finite.size else 0.0
    if finite.size and finite.max() < -1.0:  # a curve all below -1 (an estimate far off) was drawn off the axes
        low = float(finite.min())
    bottom, top = ax.get_ylim() if drawn_before else (np.inf, -np.inf)  # room for every curve drawn
    ax.set_ylim(min(bottom, min(low, 0.0) - 0.05), max(top, 1.05))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    ax.set_title(f"{_KIND_TITLES.get(res.kind, res.kind)} spectral score")
    return ax


_KIND_TITLES = {"zonal": "Zonal", "isotropic": "Isotropic", "time": "Temporal", "along_track": "Along-track"}


def _plot_score_2d(ax, res):
    """The leaderboard's score over (wavelength, period) as filled contours, its 0.5 contour and resolutions."""
    score = res.score
    x, y = score.wavelength.values, score.period.values
    filled = ax.contourf(x, y, score.values, levels=np.linspace(0.0, 1.0, 11), cmap="RdYlGn", extend="both")
    bar = ax.figure.colorbar(filled, ax=ax, pad=0.01, label="spectral score 1 - PSD(err)/PSD(ref)")
    values = score.values[np.isfinite(score.values)]
    if values.size and values.min() < 0.5 <= values.max():
        bar.add_lines(ax.contour(x, y, score.values, levels=[0.5], colors="k", linewidths=1.8))
    if np.isfinite(res.lambda_x):
        ax.axvline(res.lambda_x, color="k", ls=":", lw=1.2)
        ax.axhline(res.lambda_t, color="k", ls=":", lw=1.2)
    ax.set_yscale("log")
    from matplotlib.ticker import ScalarFormatter

    ax.yaxis.set_major_formatter(ScalarFormatter())  # 10, 100 days rather than 10^1, 10^2
    ax.set_xlabel("wavelength [degrees of longitude]")
    ax.set_ylabel("period [days]")
    ax.set_title(
        rf"2020a leaderboard: $\lambda_x$ = {res.lambda_x:.3g}°, $\lambda_t$ = {res.lambda_t:.3g} days"
        if np.isfinite(res.lambda_x) else "2020a leaderboard score: nothing resolved"
    )
    return ax


# ----------------------------------------------------------------------------- files
def savefig(fig, path, *, dpi: float = 100, colors: int | None = 256, **kwargs):
    """Write a figure to a PNG with an adaptive palette of ``colors`` colours.

    Maps with smooth colour scales compress badly as full-colour PNGs; a
    256-colour palette looks the same and makes the file about 3x smaller.
    The palette covers every colour of the figure (Pillow's maximum coverage), so
    a colour map on a small area, such as an error panel's colorbar, keeps its
    colours: a median cut spent the palette on the large areas and drew such a
    colorbar in greys and teals (up to 83 of 765 off in a pixel; now 11).
    Any other extension, or ``colors=None``, is a plain ``fig.savefig``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Or what the plotting functions return: an Axes (its figure), or ``plot_maps``'s ``(fig, axes)``.
    path : str or path-like
    dpi : float
    colors : int or None
        Palette size (2 to 256); None keeps every colour.
    **kwargs
        Passed to ``fig.savefig`` (``bbox_inches``, ``facecolor``, ...).

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> import matplotlib.pyplot as plt
    >>> from PIL import Image
    >>> fig, ax = plt.subplots()
    >>> _ = ax.imshow(np.random.default_rng(0).random((50, 50)))
    >>> path = savefig(fig, os.path.join(tempfile.mkdtemp(), "noise.png"), dpi=50)
    >>> Image.open(path).mode
    'P'
    >>> plt.close(fig)
    """
    path = os.fspath(path)
    if isinstance(fig, tuple) and fig:  # plot_maps returns (fig, axes)
        fig = fig[0]
    if not hasattr(fig, "savefig") and hasattr(fig, "figure"):  # an Axes: its figure
        fig = fig.figure
    if not hasattr(fig, "savefig"):
        raise TypeError(f"savefig needs a matplotlib Figure, an Axes or plot_maps's (fig, axes); got {type(fig).__name__}.")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, (int, np.integer))
                               or not 2 <= colors <= 256):
        raise ValueError(f"savefig(colors={colors!r}): a PNG palette holds 2 to 256 colours (or None: no palette).")
    if colors is None or not path.lower().endswith(".png"):
        fig.savefig(path, dpi=dpi, **kwargs)
        return path
    from PIL import Image  # a dependency of matplotlib

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, **kwargs)
    buf.seek(0)
    with Image.open(buf) as image:
        palette = image.convert("RGB").quantize(
            colors=int(colors), method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE
        )
    palette.save(path, optimize=True)
    return path
