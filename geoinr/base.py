"""The mapper base class: what every mapper (the INR and the baselines) shares, written once on top of ``predict``.

As verde's ``BaseGridder``: a subclass writes ``fit`` and ``predict`` (and the
small hooks ``_predict_columns`` and ``_source_note``); parameters, the fitted
check, target coordinates, CF-annotated outputs, :meth:`BaseMapper.target_grid`,
:meth:`BaseMapper.grid` and :meth:`BaseMapper.score` live here. Parameters follow
scikit-learn (:class:`sklearn.base.BaseEstimator`), so ``clone`` and
``get_params``/``set_params`` work. xarray and numpy only, no torch.
"""
from __future__ import annotations

import copy
import datetime as _dt
import html
import inspect
import os
import sys
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFitted

from . import coords as _coords
from . import sentinels as _sentinels
from . import observations as _observations
from ._version import __version__
from .frames import GeoinrWarning, check_keywords, did_you_mean, user_stacklevel
from .geometry import metres_per_length_unit
from .metrics import LEVEL_MIN_POINTS, _length_factor, _screened, _warn_coverage, _warn_offset_field

__all__ = ["BaseMapper", "NotFittedError", "did_you_mean", "history_line", "now"]


class NotFittedError(_SklearnNotFitted, RuntimeError):
    """A mapper was used before :meth:`fit`: scikit-learn's NotFittedError, and a RuntimeError as before."""


REGION_MARGIN_DEG = _observations.REGION_MARGIN_DEG  # degrees: targets this far (or a tenth of the span) outside warn


#: parameters whose change after a fit leaves what was fitted as it is (display only)
POST_FIT_PARAMS = ("progress",)
#: parameters a fit alone reads (its budget, optimiser, held-out share, seed, batches, physics schedule): set after a
#: fit, they take effect at the next one; until then predict/derive/save go on, outputs and files keep the fit's values
TRAINING_PARAMS = ("lr", "optimizer", "epochs", "max_time", "validation", "patience", "seed", "batch_size",
                   "n_collocation", "physics_every", "physics_weight")


def fit_param(model, name: str):
    """The value of parameter ``name`` that ``model``'s fit ran with (its current value where it kept none).

    Examples
    --------
    >>> from geoinr.baselines import LinearInterpolator
    >>> fit_param(LinearInterpolator(window=3.0), "window")  # unfitted: the value now
    3.0
    """
    fitted = getattr(model, "_fit_params_", None) or {}
    return fitted[name] if name in fitted else getattr(model, name)


def _changed_params(fitted: dict | None, now: dict, ignore=()) -> dict:
    """``{name: (at the fit, now)}`` of the parameters set to other values since the fit (``fitted``: None, nothing),
    but for those in ``ignore``.

    Examples
    --------
    >>> _changed_params({"width": 16, "progress": True}, {"width": 32, "progress": False})
    {'width': (16, 32)}
    """
    out = {}
    for k, v in (now.items() if fitted else ()):
        if k in POST_FIT_PARAMS or k in ignore or k not in fitted:
            continue
        try:
            same = bool(v == fitted[k])
        except (TypeError, ValueError):  # values that do not compare to one bool
            same = v is fitted[k]
        if not same:
            out[k] = (fitted[k], v)
    return out


def with_cell_bounds(out, target):
    """``out`` (a Dataset output) with the cell bounds of a target that has them (``target_grid()``'s, a
    ``regrid(resolution)`` grid, or a CF target), each named again by its coordinate's ``bounds``. A DataArray has no
    room for their ``bnds`` dimension: returned as it is.

    Examples
    --------
    >>> import geoinr
    >>> grid = geoinr.coords.regular_grid((0, 2, 40, 42), 1.0)
    >>> out = xr.Dataset({"u": (("lat", "lon"), np.zeros((2, 2)))}, coords={"lat": grid.lat.values, "lon": grid.lon.values})
    >>> with_cell_bounds(out, grid).lat.attrs["bounds"], with_cell_bounds(out, grid).lat_bnds.shape
    ('lat_bnds', (2, 2))
    """
    if not isinstance(out, xr.Dataset) or not isinstance(target, xr.Dataset):
        return out
    named = {c: str(target[c].attrs["bounds"]) for c in out.coords
             if c in target.coords and str(target[c].attrs.get("bounds", "")) in target.variables
             and str(target[c].attrs["bounds"]) not in out.data_vars}  # (bounds named like an output: not over it)
    # a coordinate of its own (not a level of a stacked index) whose bounds hold its cells: (its dims..., bnds)
    named = {c: b for c, b in named.items() if (c in out.dims or c not in out.xindexes)
             and target[b].dims[:-1] == out[c].dims and all(d in out.dims for d in out[c].dims)}
    if not named:
        return out
    out = out.assign_coords({b: target[b].variable for b in named.values()})  # (not the target's other coords)
    return out.assign_coords({c: out[c].assign_attrs(bounds=b) for c, b in named.items()})


def with_target_time(model, out, target, time=None):
    """A spatial fit's ``out`` over the time of a ``target`` that has one: the same values at each of its times,
    broadcast (not evaluated again, nor copied: a read-only view, ``.copy()`` to write into it) under the target's
    time coordinate. A static field (an MDT, bathymetry) predicted on a daily grid dropped the grid's time dimension
    without a word (a review). Where the target's time coordinate runs along a dimension the output keeps (tracks'
    ``obs``), it is carried as a coordinate.

    Parameters
    ----------
    model : BaseMapper
        The fitted mapper (nothing changes for one fitted with time).
    out : xarray.DataArray or xarray.Dataset
        Its output on ``target``.
    target : xarray.Dataset or xarray.DataArray
        Where it was evaluated.
    time : str, optional
        The target's time coordinate, where given to ``predict``.

    Returns
    -------
    xarray.DataArray or xarray.Dataset

    Examples
    --------
    >>> import geoinr, warnings, pandas as pd
    >>> lon, lat = np.arange(0.0, 2.0, 0.25), np.arange(40.0, 42.0, 0.25)
    >>> mdt = xr.Dataset({"mdt": (("lat", "lon"), np.add.outer(lat, lon) / 100, {"units": "m"})},
    ...                  coords={"lat": lat, "lon": lon})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = mdt.inr.fit("mdt", width=8, depth=1, epochs=1, max_time=None, progress=False)
    >>> grid = geoinr.coords.regular_grid((0, 2, 40, 42), 0.5, times=pd.date_range("2020-01-01", periods=3))
    >>> dict(m.predict(grid).sizes)
    {'time': 3, 'lat': 4, 'lon': 4}
    """
    if (getattr(model, "time_axis_", None) is not None or not isinstance(target, xr.Dataset | xr.DataArray)
            or not isinstance(out, xr.Dataset | xr.DataArray)):
        return out
    if time is not None:
        found = [time] if time in target.coords else []
    else:  # the target's dates (a dimension coordinate first: valid_time beside time along one dimension)
        found = [n for n, c in target.coords.items() if _coords._is_time_like(c) and n not in out.coords and c.ndim <= 1]
        found = sorted(found, key=lambda n: n not in target.dims)[:1]
    if not found or found[0] in out.coords:
        return out
    coord = target[found[0]]
    new = [d for d in coord.dims if d not in out.dims]
    if new:  # a read-only view, no copy per time (a global MDT over a year: 1.5 GB, a diff review); after sample's
        out = out.expand_dims({d: target.sizes[d] for d in new}, axis=1 if "sample" in out.dims else 0)
    return out.assign_coords({found[0]: coord.variable})


def _within_valid_range(out: xr.DataArray, kind: str) -> xr.DataArray:
    """A mean or a draw clipped to the fitted variable's CF valid range (``valid_min``/``valid_max`` its attributes
    carry, read at the fit: values past them were missing), the bounds in the output's dtype; a std says none."""
    low, high = (out.attrs.get(k) for k in ("valid_min", "valid_max"))
    if kind == "std" or (low is None and high is None):
        out.attrs = {k: v for k, v in out.attrs.items() if k not in ("valid_min", "valid_max")}
        return out
    dtype = out.dtype if out.dtype.kind == "f" else np.float64
    attrs = {**out.attrs, **{k: dtype.type(b) for k, b in (("valid_min", low), ("valid_max", high)) if b is not None}}
    if isinstance(out.data, np.ndarray) and out.data.flags.writeable and out.dtype.kind == "f":
        np.clip(out.data, low, high, out=out.data)  # in place: a copy doubled an eager prediction's peak (a review)
        return out.assign_attrs(attrs)
    return out.clip(low, high).assign_attrs(attrs)


def _cell_methods_of(model, variable=None) -> str:
    """CF ``cell_methods`` of a model's outputs: the field's value at each point and instant, not a mean over a cell
    or a day (a review: the grids' cell bounds suggested cell means, which a coarsening regrid is not); a variable
    fitted to a statistic over time keeps its time clauses (monthly means map means over a month about each time,
    a review; "time: maximum within days time: mean over days" whole, a diff review)."""
    if getattr(model, "time_axis_", None) is None:
        return "area: point"
    over_time = _observations.time_method((getattr(model, "variable_attrs_", {}).get(variable) or {}).get("cell_methods"))
    return f"area: point {over_time or 'time: point'}"


OTHER_LEVEL_SPREADS = 5.0  # a reference whose mean is this many spreads from the map's: another quantity (warned)


def _warn_other_level(pred: np.ndarray, ref: np.ndarray, name) -> None:
    """Warn where the reference's mean lies :data:`OTHER_LEVEL_SPREADS` spreads (the larger of the map's and the
    reference's) from the map's: an anomaly scored against a fit of the full field (mu -73 in silence, a review),
    or other units. Not on fewer than :data:`geoinr.metrics.LEVEL_MIN_POINTS` points (one point's spread is 0)."""
    if ref.size < LEVEL_MIN_POINTS:  # (one point: "1.21e+299 times their spread", a diff review)
        return
    gap, spread = abs(float(np.mean(ref) - np.mean(pred))), max(float(np.std(ref)), float(np.std(pred)))
    if spread > 0 and gap > OTHER_LEVEL_SPREADS * spread:
        warnings.warn(f"The reference of {name!r} has a mean {float(np.mean(ref)):.4g} where the map's is "
                      f"{float(np.mean(pred)):.4g}, {gap / spread:.3g} times their spread apart: is it the "
                      f"same quantity (an anomaly against a fit of the full field, or the reverse; other units)? "
                      f"Score like with like.", GeoinrWarning, stacklevel=user_stacklevel())


def _own_times(model) -> np.ndarray:
    """A gridded record's own times over its window (:func:`geoinr.observations.record_times`): steps of its own from
    its first, calendar months (``time_months_``) or its times themselves (``grid_times_``)."""
    lo, hi = model.time_range_
    if getattr(model, "grid_times_", None):
        return np.asarray(model.time_axis_.from_days(np.asarray(model.grid_times_, dtype=np.float64)))
    if getattr(model, "time_months_", None):
        return _observations.monthly_times(model.time_axis_, lo, hi, int(model.time_months_))
    step = _own_step(model)
    return np.asarray(model.time_axis_.from_days(np.arange(lo, hi + 1e-6 * step, step)))


def _own_step(model) -> float:
    """The default step (days) of ``grid()``'s times: a gridded record's own (``time_step_``: hourly weather's daily
    maps dropped its diurnal cycle, a review), from its first time (not whole hours: a product at HH:30 was mapped
    between its times, a diff review); a day for scattered records."""
    return getattr(model, "time_step_", None) or 1.0


def _at_instant(model, columns) -> list:
    """``columns`` (lon, lat[, time]) with the fitted instant as time where a one-instant fit's target has none."""
    at = [np.broadcast_to(np.float64(model.time_range_[0]), np.shape(columns[0]))] if model.time_axis_ is not None else []
    return list(columns) + at if len(columns) == 2 else columns


def _dated(model, coords: dict, timeless: bool) -> dict:
    """Output ``coords`` with a one-instant fit's date as a scalar coordinate where the target had no time (its
    outputs said no date: a review)."""
    name = (getattr(model, "coord_names_", None) or {}).get("time")
    if not timeless or model.time_axis_ is None or name is None or name in coords:
        return coords
    stamp = np.asarray(model.time_axis_.from_days(np.array([model.time_range_[0]])))[0]
    return {**coords, name: xr.DataArray(stamp, attrs={"long_name": "the fitted instant"})}


def history_line(previous, line: str) -> str:
    """``previous`` history (CF: one line per step, oldest first) with a time-stamped ``line`` appended.

    Examples
    --------
    >>> history_line("2020-01-01: made", "geoinr predict").splitlines()[0]
    '2020-01-01: made'
    """
    stamped = f"{now()}: {line}"
    return f"{previous}\n{stamped}" if previous else stamped


def _far_count(region, lon, lat) -> int:
    """Target points far outside ``region`` (:func:`geoinr.observations.far_outside`), counted over the distinct
    values of broadcast coordinate views: on a grid's 1-D axes, without making its (lat, lon) plane (a global
    0.005 deg target took 7 GB there before a lazy prediction began, a review)."""
    lon, lat = (np.asarray(_coords.compact(c), dtype=np.float64) for c in (lon, lat))
    plane = int(np.prod(np.broadcast_shapes(lon.shape, lat.shape)))
    if lon.size * lat.size != plane or plane <= lon.size or plane <= lat.size:  # not two separate axes
        return int(np.count_nonzero(_observations.far_outside(region, None, lon, lat)))
    west, east, south, north = region
    # far_outside is "far in longitude or far in latitude" (and finite): each axis is judged at the other's middle
    lon_ok = np.isfinite(lon) & ~_observations.far_outside(region, None, lon, np.full_like(lon, 0.5 * (south + north)))
    lat_ok = np.isfinite(lat) & ~_observations.far_outside(region, None, np.full_like(lat, west), lat)
    finite = int(np.count_nonzero(np.isfinite(lon))) * int(np.count_nonzero(np.isfinite(lat)))
    return finite - int(np.count_nonzero(lon_ok)) * int(np.count_nonzero(lat_ok))


# a temperature's zero in kelvin, by its units (CF's names and common ones): a reference in degC scored against a map
# in K had an RMSE of 273 (a review)
KELVIN_ZEROS = {"k": 0.0, "kelvin": 0.0, "degk": 0.0, "deg_k": 0.0, "degc": 273.15, "deg_c": 273.15, "celsius": 273.15,
                "degree_c": 273.15, "degrees_c": 273.15, "degree_celsius": 273.15, "degrees_celsius": 273.15,
                "°c": 273.15}


def _reference_units(fitted_units, test_units, variable) -> tuple[float, float]:
    """``(factor, offset)`` that put reference values in ``test_units`` into the fitted ``fitted_units``
    (``value * factor + offset``): lengths and temperatures (K, degC) convert; ``(1, 0)`` when either is unknown or
    they agree, or (with a warning) when neither is a length or temperature geoinr knows; a ValueError when one is
    a length and the other is not."""
    factor = _length_factor(test_units, fitted_units)
    if factor is not None:
        return factor, 0.0
    zeros = [KELVIN_ZEROS.get(str(u).strip().lower()) for u in (test_units, fitted_units)]
    if None not in zeros:
        return 1.0, zeros[0] - zeros[1]
    fitted, test = (" ".join(str(u).split()) for u in (fitted_units, test_units))
    if metres_per_length_unit(fitted) is None and metres_per_length_unit(test) is None:  # (degC, degree_Celsius)
        warnings.warn(f"The reference {variable!r} is in {test!r} and the map in {fitted!r}; scored as they are. "
                      f"Convert the reference first if these are not the same units.", GeoinrWarning, stacklevel=user_stacklevel())
        return 1.0, 0.0
    raise ValueError(f"The reference {variable!r} is in {test!r} but the map in {fitted!r}: convert the reference "
                     f"to {fitted!r} (and set its units attribute) before scoring.")


def _outside_advice(method: str, where: str) -> str:
    """What ``method`` gives at targets outside the fitted ``where`` ("region", "window", "gap"), and what to do."""
    keep = "outside the gap" if where == "gap" else f"inside the fitted {where}"
    if method == "score":  # scores and sample take no outside= (a review: the advice named it there)
        return (f"The scores compare the reference there with the model's values as predict's default gives them: "
                f"select the test data {keep} to score the model where it was fitted.")
    if method == "sample":
        return f"sample draws there about the values predict's default gives: select the target {keep} to leave them out."
    if where == "gap":
        return "outside='nan' masks them (the default, 'hold', gives the network's own values)."
    return (f"{method} gives the values of the {where}'s nearest {'end' if where == 'window' else 'edge'} with "
            f"outside='hold' (the default), masks them with outside='nan', gives the network's own with "
            f"outside='extrapolate'.")


def _warn_gaps(model, t, method: str = "predict") -> None:
    """Warn when target times fall inside the far part of a gap of ``model``'s fitted record (``time_gaps_``)."""
    gaps = getattr(model, "time_gaps_", None) or []
    if not gaps:
        return
    t = np.unique(np.asarray(t, dtype=np.float64))  # (a target's times repeat at every point)
    inside = [g for g in gaps if _observations.gap_times([g], t).any()]
    if not inside:
        return
    n = int(np.count_nonzero(_observations.gap_times(gaps, t)))
    when = "; ".join(f"{_day_text(model.time_axis_, a)} to {_day_text(model.time_axis_, b)}" for a, b in inside[:3])
    warnings.warn(
        f"{n:,} target time(s) fall inside a gap of the fitted record, farther from any observation than the "
        f"fit can reach ({when}{'; ...' if len(inside) > 3 else ''}; time_gaps_ lists them all). The model was "
        f"not fitted there: {_outside_advice(method, 'gap')}",
        GeoinrWarning,
        stacklevel=user_stacklevel(),
    )


def _day_text(axis, day: float) -> str:
    """A day of a fitted time ``axis`` as the data gave it (a date, or a number in its units)."""
    value = axis.from_days(np.array([day]))[0]
    if axis.kind == "numeric":
        return f"{value:.6g} {axis.units or 'time units'}"
    return str(value)[:16].replace("T", " ")


def now() -> str:
    """UTC time stamp for ``history`` attributes."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BaseMapper(BaseEstimator):
    """Shared plumbing of geoinr's mappers (fit observations, predict anywhere).

    Learned attributes every subclass sets in ``fit``: ``variables_``,
    ``variable_attrs_``, ``coord_names_``, ``time_axis_``, ``lon_convention_``,
    ``region_`` (west, east, south, north) and ``time_range_`` (days or None).
    """

    _fitted_attribute = "variables_"  # set last by fit: its presence means fitted
    _warns_extrapolation = False  # the INR warns when asked for times or places outside what it fitted

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _get_param_names(cls) -> list:
        """Constructor parameters in the order of the signature (scikit-learn sorts them; reprs read better so)."""
        return [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def __new__(cls, *args, **kwargs):
        """Refuse a misspelled keyword with the closest parameter name (Python's own error gives none)."""
        valid = cls._get_param_names()
        for k in kwargs:
            if k not in valid:
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {k!r}.{did_you_mean(k, valid)} "
                                f"Valid parameters: {', '.join(valid)}.")
        return super().__new__(cls)

    def set_params(self, **params):
        """Set constructor parameters; returns self (scikit-learn protocol)."""
        valid = list(self.get_params(deep=False))
        for k in params:
            if k not in valid:
                raise ValueError(f"Unknown parameter {k!r} for {type(self).__name__}.{did_you_mean(k, valid)} "
                                 f"Valid parameters: {', '.join(valid)}.")
        return super().set_params(**params)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        """What Jupyter shows: geoinr's own table where the class has one (INRModel), else the text repr; not
        scikit-learn's widget, which Jupyter asked first (a review: the table was never shown)."""
        own = next((c for c in type(self).__mro__[:type(self).__mro__.index(BaseEstimator)] if "_repr_html_" in vars(c)), None)
        return {"text/plain": repr(self), "text/html": self._repr_html_() if own else f"<pre>{html.escape(repr(self))}</pre>"}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, self._fitted_attribute)

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has completed."""
        return self.__sklearn_is_fitted__()

    def _remember_params(self) -> None:
        """Keep the parameters the model is fitted with (``_fit_params_``): :meth:`_check_fitted` refuses others."""
        self._fit_params_ = copy.deepcopy(self.get_params(deep=False))

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(...) first"
                + (" (or ds.inr.fit(...))." if type(self).__name__ == "INRModel" else ", e.g. .fit(tracks, 'sla').")
            )
        changed = _changed_params(getattr(self, "_fit_params_", None), self.get_params(deep=False), TRAINING_PARAMS)
        if changed:  # a saved file claimed width 32 over weights of width 16 (a review of 2026-12-06)
            said = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
            back = ", ".join(f"{k}={a!r}" for k, (a, b) in changed.items())
            raise ValueError(
                f"{type(self).__name__}: parameters changed since the fit ({said}), and what was fitted does not "
                f"follow them. Call fit(...) again for them to take effect, or set them back: set_params({back}).")

    def _set_frame(self, obs, region, time_range, gaps=None) -> None:
        """Learned description of the data (names, attributes, time axis, region, time span and its gaps: those of
        ``obs``' table where ``gaps`` is None)."""
        self.coord_names_ = obs.coord_names
        self.time_axis_, self.variables_, self.variable_attrs_ = obs.time_axis, list(obs.variables), obs.attrs
        self.lon_convention_ = obs.lon_convention
        self.region_, self.time_range_ = region, time_range
        self.time_step_, self.time_months_, self.grid_times_ = _observations.record_times(obs)
        if gaps is None:
            gaps = _observations.time_gaps(obs.table.time, time_range) if obs.table is not None else []
        self.time_gaps_ = [tuple(g) for g in gaps]

    def _forget(self) -> None:
        """Drop everything learned (a refit starts from nothing; a failed fit leaves the mapper unfitted)."""
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_") or k == "_fit_params_"]:
            delattr(self, key)  # (_fit_params_: the parameters of the fit before, refused by _check_fitted)

    # ------------------------------------------------------------------ hooks
    def _predict_columns(self, columns) -> np.ndarray:  # pragma: no cover - abstract
        """Values (n, k) at flat coordinate columns (lon, lat[, time in days])."""
        raise NotImplementedError

    def _source_note(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _std_comment(self, j: int) -> str:
        return ""

    def _std_long_name(self, long_name: str) -> str:
        return f"standard deviation of {long_name}"

    # ------------------------------------------------------------------ targets
    def _selection(self, variable) -> list:
        if isinstance(variable, list | tuple):  # ("['zos', 'sst'] was not fitted; fitted: ['zos', 'sst']")
            raise TypeError(f"variable={variable!r}: give one fitted variable's name, or None for all of them "
                            f"({self.variables_}).")
        if variable is not None and variable not in self.variables_:
            raise ValueError(f"variable={variable!r} was not fitted; fitted variables: {self.variables_}."
                             f"{did_you_mean(variable, self.variables_)}")
        return [self.variables_.index(variable)] if variable is not None else list(range(len(self.variables_)))

    def _target_names(self, target, lat, lon, time) -> _coords.CoordNames:
        return _coords.find_target_coords(target, self.coord_names_, self.time_axis_, lat, lon, time,
                                          time_optional=self._one_instant())

    def _one_instant(self) -> bool:
        """Whether the fit saw one time only (a day's map, a dated MDT): a target without time is taken at it."""
        span = getattr(self, "time_range_", None)  # (None before a fit)
        return getattr(self, "time_axis_", None) is not None and span is not None and span[0] == span[1]

    def _warn_extrapolation(self, t: np.ndarray, method: str = "predict") -> None:
        if not self._warns_extrapolation or self.time_range_ is None or np.size(t) == 0:
            return
        lo, hi = self.time_range_
        tol = _observations.margins(self.region_, self.time_range_)[2]  # the times far_outside calls far
        tmin, tmax = np.nanmin(t), np.nanmax(t)
        _warn_gaps(self, t, method)
        if tmin < lo - tol or tmax > hi + tol:
            if self.time_axis_.kind == "numeric":  # in the data's own numbers (and units)
                lo, hi, tmin, tmax = self.time_axis_.from_days(np.array([lo, hi, tmin, tmax])).tolist()
                window = f"{lo:.3f} to {hi:.3f} {self.time_axis_.units or 'time units'}; target {tmin:.3f} to {tmax:.3f}"
            else:  # dates (a review: day numbers since a reference the user never set)
                window = " to ".join(_day_text(self.time_axis_, d) for d in (lo, hi)) \
                    + "; target " + " to ".join(_day_text(self.time_axis_, d) for d in (tmin, tmax))
            warnings.warn(
                f"The target reaches times outside the fitted window ({window}). "
                f"The model was not fitted there: {_outside_advice(method, 'window')}",
                GeoinrWarning,
                stacklevel=user_stacklevel(),
            )

    def _warn_outside_region(self, lon, lat, method: str = "predict") -> None:
        """Warn when target points lie far outside the fitted region (a coordinate network extrapolates poorly)."""
        if not self._warns_extrapolation or np.size(lon) == 0:
            return
        n_far = _far_count(self.region_, lon, lat)
        if n_far:
            west, east, south, north = self.region_
            m_lon, m_lat, _ = _observations.margins(self.region_)
            warnings.warn(
                f"{n_far:,} target coordinate(s) lie outside the fitted region "
                f"(west {west:.2f}, east {east:.2f}, south {south:.2f}, north {north:.2f} degrees, give or take "
                f"{m_lon:.1f} / {m_lat:.1f} degrees). The model was not fitted there: {_outside_advice(method, 'region')}",
                GeoinrWarning,
                stacklevel=user_stacklevel(),
            )

    def _dict_columns(self, target, method: str = "predict") -> list:
        """Coordinate columns (lon, lat[, time in days]) of a dict target."""
        axis = None if self._one_instant() and "time" not in target else self.time_axis_  # (at the fitted instant)
        cols = _at_instant(self, _coords.dict_columns(target, axis, type(self).__name__))
        self._warn_outside_region(cols[0], cols[1], method)
        if self.time_axis_ is not None and len(cols) > 2:
            self._warn_extrapolation(cols[2], method)
        return cols

    def _target_columns(self, target, lat, lon, time, method: str = "predict"):
        """Output dims, coordinate columns (lon, lat[, time]) and output coords of an xarray target."""
        if not isinstance(target, (xr.Dataset, xr.DataArray)):
            if method not in ("predict", "sample"):  # only these take a dict of arrays
                raise TypeError(f"{method}() takes an xarray Dataset/DataArray target, got {type(target).__name__}; "
                                "for points, give xr.Dataset(coords={'lon': ('points', lon), 'lat': ('points', lat), "
                                "'time': ('points', time)}).")
            raise TypeError(f"{method}() takes an xarray Dataset/DataArray or a dict of arrays, got {type(target).__name__}.")
        names = self._target_names(target, lat, lon, time)
        dims, views = _coords.target_points(target, names, self.time_axis_)
        columns = _at_instant(self, [views["lon"], views["lat"]] + ([views["time"]] if "time" in views else []))
        self._warn_outside_region(views["lon"], views["lat"], method)
        if "time" in views:
            stamps = _coords.decode(target[names.time])
            self._warn_extrapolation(self.time_axis_.to_days(stamps.values, stamps.attrs.get("units")), method)
        return dims, columns, _dated(self, _coords.output_coords(target, dims, names), "time" not in views)

    # ------------------------------------------------------------------ outputs
    def _cell_methods(self, variable=None) -> str:
        """CF ``cell_methods`` of the outputs of ``variable`` (:func:`_cell_methods_of`)."""
        return _cell_methods_of(self, variable)

    def _wrap(self, values, dims, coords, sel, kind: str = "mean", history=None, with_std: bool = False):
        """Arrays (..., k) -> a DataArray (one variable) or a Dataset, with CF attributes and provenance.

        ``history`` is the target's: the new step is appended to it. A mean names its
        standard deviation in ``ancillary_variables``; the standard deviation carries
        the CF ``standard_error`` modifier of the variable's standard name.
        """
        out = {}
        mapping = _coords.grid_mapping_of(coords)
        method = "sample" if kind == "sample" else "predict"
        line = history_line(history, f"geoinr {__version__} {type(self).__name__}.{method}")
        for i in sel:
            v = self.variables_[i]
            attrs = dict(self.variable_attrs_.get(v, {}))
            name = v
            if kind == "mean" and with_std:
                attrs["ancillary_variables"] = f"{v}_std"
            if kind == "std":
                name = f"{v}_std"
                if "standard_name" in attrs:
                    attrs["standard_name"] = f"{attrs['standard_name']} standard_error"
                attrs["long_name"] = self._std_long_name(attrs.get("long_name", v))
                comment = self._std_comment(i)
                if comment:
                    attrs["comment"] = comment
            elif kind == "sample":
                attrs["long_name"] = f"random draws of {attrs.get('long_name', v)}"
                attrs["comment"] = f"plausible fields from the {getattr(self, 'uncertainty', None)} uncertainty estimate"
            attrs["source"] = self._source_note()
            attrs["history"] = line
            attrs["cell_methods"] = self._cell_methods(v)
            if mapping is not None:  # CF: the target's grid mapping, carried as a coordinate
                attrs["grid_mapping"] = mapping
            out[name] = _within_valid_range(xr.DataArray(values[..., i], dims=dims, coords=coords, name=name,
                                                         attrs=attrs), kind)
        if len(out) == 1:
            return next(iter(out.values()))
        return xr.Dataset(out, attrs={"Conventions": "CF-1.8", "source": self._source_note(), "history": line})

    # ------------------------------------------------------------------ grids
    def target_grid(self, resolution=0.25, time_step=None, region=None, times=None) -> xr.Dataset:
        """A regular lat/lon(/time) grid over the fitted region and time span (coordinates only).

        Parameters
        ----------
        resolution : float or (float, float)
            Grid spacing in degrees (``(dlon, dlat)`` for a pair).
        time_step : str or float, optional
            Spacing of the time axis: a pandas frequency (``"1D"``, ``"6h"``) for
            dates, a number in the time coordinate's units for numeric times. Default a gridded record's own
            times (``time_step_`` from its first: hourly weather's hours, a daily product's hour, monthly means by
            calendar months), else one day (one unit for numeric times without units).
        region : (west, east, south, north), optional
            Defaults to the fitted region, in the data's longitude convention; longitudes stay increasing, so
            across the dateline they run past 180 (170 to 190 for data in [-180, 180)) and across 0 E past 360
            (355 to 365 for data in [0, 360)). Select 5 E on such a grid as 365 (``sel(lon=5, method="nearest")``
            finds its western edge); ``geoinr.coords.wrap_longitude`` turns its longitudes into [-180, 180).
        times : array-like, optional
            Explicit times instead of a regular axis.

        Returns
        -------
        xarray.Dataset
            Empty Dataset with CF-annotated coordinates, named as in the training data,
            and the cell bounds of latitude and longitude (dimension ``bnds``).

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> dict(m.target_grid(resolution=1.0).sizes)  # whole days inside the 4-day window
        {'time': 3, 'latitude': 10, 'longitude': 10, 'bnds': 2}
        """
        self._check_fitted()
        _check_times(self.time_axis_, times)
        region = tuple(region) if region is not None else self._output_region(resolution)
        if self.time_axis_ is not None and times is None and self.time_range_ is not None:
            times = self._time_axis_values(time_step)
        names = self.coord_names_
        grid = _coords.regular_grid(
            region, resolution, times=times, lat_name=names["lat"], lon_name=names["lon"], time_name=names["time"] or "time"
        )
        if self.time_axis_ is not None and self.time_axis_.kind == "numeric" and self.time_axis_.units:
            grid[names["time"] or "time"].attrs["units"] = self.time_axis_.units  # the units the times were fitted in
        return grid

    def grid(self, resolution=0.25, time_step=None, region=None, times=None, **predict_kwargs) -> xr.Dataset:
        """Predict every fitted variable on a regular grid (see :meth:`target_grid`).

        Parameters
        ----------
        resolution, time_step, region, times
            The grid, as for :meth:`target_grid`.
        **predict_kwargs
            Passed to ``predict``: an INRModel's ``batch_size``, ``return_std``, ``outside``, ``chunks``, ...; the
            baselines' ``predict`` takes ``return_std`` (OptimalInterpolation) and nothing else.

        Returns
        -------
        xarray.Dataset
            One variable per fitted variable, on ``(time, lat, lon)`` or ``(lat, lon)``; with ``return_std=True``
            its standard error beside each (``sla_std``).

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
        >>> list(oi.grid(resolution=1.0).data_vars)
        ['sla']
        """
        target = self.target_grid(resolution, time_step=time_step, region=region, times=times)
        pred = self.predict(target, **predict_kwargs)
        parts = pred if isinstance(pred, tuple) else (pred,)  # (map, std) with return_std=True
        ds = xr.Dataset({name: var for p in parts for name, var in (p.to_dataset() if isinstance(p, xr.DataArray)
                                                                   else p).data_vars.items()})
        ds = with_cell_bounds(ds, target)
        ds.attrs.update({"Conventions": "CF-1.8", "source": self._source_note(),
                         "history": history_line(None, f"geoinr {__version__} {type(self).__name__}.grid")})
        return ds

    def _output_region(self, resolution):
        """Fitted region in the training longitude convention, snapped outward to the resolution."""
        dlon, dlat = _coords.resolution_pair(resolution)
        west, east, south, north = self.region_
        west, east = np.floor(west / dlon + 1e-9) * dlon, np.ceil(east / dlon - 1e-9) * dlon
        south = max(-90.0, np.floor(south / dlat + 1e-9) * dlat)
        north = min(90.0, np.ceil(north / dlat - 1e-9) * dlat)
        if east - west >= 360.0:  # global: the whole circle in the data's convention
            west, east = (0.0, 360.0) if self.lon_convention_ == "360" else (-180.0, 180.0)
        elif self.lon_convention_ == "360" and west < 0:  # data in [0, 360): so is the grid (past 360 across 0 E,
            west, east = west + 360.0, east + 360.0  # as a grid across the dateline runs past 180)
        return (west, east, south, north)

    def _time_axis_values(self, time_step):
        """Whole time steps inside the fitted window, or a sub-daily grid's own times (:func:`_own_times`); its
        middle when the window holds none (tracks from 03:00 to 21:00 with daily steps)."""
        if time_step is None and getattr(self, "time_step_", None):
            return _own_times(self)
        (lo, hi), ta = self.time_range_, self.time_axis_
        if ta.kind == "numeric":
            step = 1.0 / ta.days_per_unit if time_step is None else float(time_step)  # a day, in the data's units
            if not 0 < step < np.inf:
                raise ValueError(f"time_step must be a positive number of time units, got {time_step!r}.")
            lo, hi = ta.from_days(np.array([lo, hi]))  # the data's own numbers: whole steps of them
            values = np.arange(np.ceil(lo / step - 1e-9) * step, hi + 1e-9 * step, step) + 0.0  # + 0.0: no -0.
            return values if values.size else np.array([0.5 * (lo + hi)])
        freq = "1D" if time_step is None else time_step
        if not isinstance(freq, (str, pd.DateOffset, pd.Timedelta, _dt.timedelta)):  # pandas' own error names 'freq'
            hours = f"{float(freq) * 24:g}h" if isinstance(freq, (int, float, np.number)) and float(freq) > 0 else "6h"
            raise TypeError(f"time_step for dates is a pandas frequency, e.g. {hours!r} or '1D'; got {time_step!r} "
                            f"(a number is a step in the time coordinate's units only for numeric times).")
        _check_frequency(freq)
        start, end = ta.from_days(np.array([lo, hi]))
        if ta.kind == "datetime64":
            start = pd.Timestamp(start)
            try:  # first whole time step inside the window
                start = start.ceil(freq)
            except ValueError:  # (calendar steps, "MS": from midnight, not at the record's noon, a review)
                start = start.normalize() if start == start.normalize() else start.normalize() + pd.Timedelta("1D")
            values = pd.date_range(start=start, end=pd.Timestamp(end), freq=freq).values
        else:
            day = type(start)(start.year, start.month, start.day, calendar=start.calendar)  # steps from midnight,
            values = xr.date_range(start=day, end=end, freq=freq, calendar=ta.calendar, use_cftime=True).values
            values = values[values >= start]  # the first inside the window (not the next midnight: 6 h steps)
        return values if len(values) else np.asarray(ta.from_days(np.array([0.5 * (lo + hi)])))

    # ------------------------------------------------------------------ scores
    def score(self, test, variables=None, *, lat=None, lon=None, time=None) -> float:
        """The map's normalized score ``mu = 1 - RMSE / RMS(reference)`` against reference data: one float.

        As scikit-learn's and verde's ``score``: higher is better, 1 is perfect. With
        several variables, the mean of the scores of those with a point to score. :meth:`scores` gives RMSE, bias
        and the point count as well.

        Parameters
        ----------
        test : xarray.Dataset or xarray.DataArray
            Reference values of the fitted variable(s) with their coordinates; NaN are ignored.
        variables : str or list, optional
            Which fitted variables to score (default: all present in ``test``).
        lat, lon, time : str, optional
            Coordinate names of ``test`` when they cannot be found.

        Returns
        -------
        float

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
        >>> 0.5 < oi.score(tracks) <= 1.0
        True
        """
        found = self.scores(test, variables, lat=lat, lon=lon, time=time)
        if "mu" in found:
            return float(found["mu"])
        return float(np.mean([s["mu"] for s in found.values() if s["n"]]))  # scores() warned of any left out

    def scores(self, test, variables=None, *, lat=None, lon=None, time=None) -> dict:
        """RMSE, normalized score, bias and point count of the map against reference data (gridded or scattered).

        Parameters
        ----------
        test : xarray.Dataset or xarray.DataArray
            Reference values of the fitted variable(s) with their coordinates;
            NaN are ignored.
        variables : str or list, optional
            Which fitted variables to score (default: all present in ``test``).
        lat, lon, time : str, optional
            The reference's coordinate names, when they cannot be found (as in :meth:`predict`).

        Returns
        -------
        dict
            ``{"rmse", "mu", "bias", "n"}`` where ``mu = 1 - RMSE / RMS(reference)``
            (the data-challenge normalized score); ``rmse`` and ``bias`` in the fitted variable's units (a reference
            in other units, cm for m, is converted into them first: :func:`geoinr.metrics.rmse` answers in the
            reference's). With several variables, a dict of
            such dicts keyed by variable; a variable with no point to score has NaN
            scores and ``n`` 0, with a warning (a single one raises ValueError).

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
        >>> sorted(oi.scores(tracks))
        ['bias', 'mu', 'n', 'rmse']
        """
        self._check_fitted()
        if not isinstance(test, xr.Dataset | xr.DataArray):
            raise TypeError(f"scores() takes the reference data as an xarray Dataset or DataArray (values on lat/lon"
                            f"(/time) coordinates, as predict's targets); got {type(test).__name__}.")
        own = {}  # a DataArray scored as a fitted variable of another name: its warnings name it by its own
        if isinstance(test, xr.DataArray):
            # (an unnamed one was scored as the first of several fitted variables: ds.vo * mask against uo, a review)
            one = variables if isinstance(variables, str) else variables[0] if variables and len(variables) == 1 else None
            as_var = test.name if test.name in self.variables_ else one if len(self.variables_) > 1 else self.variables_[0]
            if as_var not in self.variables_:
                raise ValueError(f"Cannot tell which fitted variable this DataArray ({test.name!r}) is: name it one of "
                                 f"{self.variables_} (da.rename(...)), or give variables= naming it.")
            own = {as_var: test.name} if test.name != as_var and test.name is not None else {}
            test = test.to_dataset(name=as_var)
        wanted = [variables] if isinstance(variables, str) else variables
        if wanted is None:
            wanted = [v for v in self.variables_ if v in test.data_vars]
            if not wanted:
                raise ValueError(f"The test data holds none of the fitted variables {self.variables_}; it has {list(test.data_vars)}.")
        names = self._target_names(test, lat, lon, time)
        results, warned = {}, False
        for v in wanted:
            if v not in self.variables_:
                raise ValueError(f"{v!r} was not fitted; fitted variables: {self.variables_}.")
            table, _ = _coords.points_from_xarray(test, [v], names, self.time_axis_)
            # a reference's land stored as 0.0, scored as sea in silence where the fit warns of it (a review)
            _observations._warn_land(test, names, [test[v]], table, role="scored")
            cols = _at_instant(self, [table.lon, table.lat] + ([table.time] if table.time is not None else []))
            if not warned:  # as predict does, once a call (a reference 20 deg off scored mu -0.51 in silence)
                self._warn_outside_region(table.lon, table.lat, "score")
                if table.time is not None:
                    self._warn_extrapolation(table.time, "score")
                warned = True
            pred = np.asarray(self._predict_columns(cols))[:, self.variables_.index(v)].astype(np.float64)
            factor, offset = _reference_units(self.variable_attrs_.get(v, {}).get("units"), test[v].attrs.get("units"), v)
            ref = _screened(table.values[:, 0], "reference", "The scores leave them out.", name=own.get(v, v),
                            packed=_sentinels.packed_extremes(test[v])) * factor + offset
            ok = np.isfinite(pred) & np.isfinite(ref)
            if not ok.any():  # scored NaN; refused below where no variable has a point
                results[v] = {"rmse": float("nan"), "mu": float("nan"), "bias": float("nan"), "n": 0}
                continue
            _warn_coverage(int(ok.sum()), int(np.isfinite(ref).sum()), f"scores of {v!r}",
                           hint="test.where(...) on the points every method covers")
            err, rms = pred[ok] - ref[ok], float(np.sqrt(np.mean(ref[ok] ** 2)))
            if rms == 0.0:
                raise ValueError(f"The test values of {v!r} are identically zero; mu = 1 - RMSE/RMS is undefined.")
            score = float(np.sqrt(np.mean(err**2)))
            _warn_offset_field(ref[ok], f"mu of {v!r}", "score anomalies (the mean removed from both)")
            _warn_other_level(pred[ok], ref[ok], own.get(v, v))
            results[v] = {"rmse": score, "mu": 1.0 - score / rms, "bias": float(np.mean(err)), "n": int(ok.sum())}
        empty = [v for v, r in results.items() if not r["n"]]
        if len(empty) == len(results):
            which = repr(empty[0]) if len(empty) == 1 else empty
            raise ValueError(f"No point of {which} has both a prediction and a test value to score.")
        if empty:
            warnings.warn(f"No point of {empty} has both a prediction and a test value: their scores are NaN (n=0); "
                          "the other variables are scored.", GeoinrWarning, stacklevel=user_stacklevel())
        return results[wanted[0]] if len(wanted) == 1 else results

    def _predict_any(self, target, lat, lon, time, sel, evaluate):
        """Shared ``predict`` front: a dict target gives numpy, xarray gives wrapped outputs.

        ``evaluate(columns)`` returns an array (..., k) or a tuple (mean, std) of them.
        """
        if isinstance(target, Mapping) and not isinstance(target, xr.Dataset):
            res = evaluate(self._dict_columns(target), None)

            def pick(a):
                return a[..., sel[0]].astype(np.float64) if len(sel) == 1 else a[..., sel].astype(np.float64)

            return tuple(pick(r) for r in res) if isinstance(res, tuple) else pick(res)
        dims, columns, coords = self._target_columns(target, lat, lon, time)
        res = evaluate(columns, (target, dims))
        history = target.attrs.get("history")
        if isinstance(res, tuple):
            return tuple(with_target_time(self, with_cell_bounds(out, target), target, time) for out in (
                self._wrap(res[0], dims, coords, sel, history=history, with_std=True),
                self._wrap(res[1], dims, coords, sel, kind="std", history=history)))
        return with_target_time(self, with_cell_bounds(self._wrap(res, dims, coords, sel, history=history), target),
                                target, time)


# an unknown keyword (variables= where it takes variable=) gets a "Did you mean" (a review: Python's had none)
check_keywords(BaseMapper, ("score", "scores", "target_grid"))


def _check_times(axis, times) -> None:
    """Refuse ``target_grid(times=)`` that the fitted time ``axis`` (dates) cannot read: a word pandas cannot parse
    ("tomorrow" raised pandas' error; a review), or plain numbers on a model fitted on dates (an integer axis in
    silence)."""
    if times is None or axis is None or axis.kind == "numeric":
        return
    values = np.atleast_1d(np.asarray(times))
    example = f"e.g. times=['{axis.from_days(np.array([0.0]))[0]!s:.10}'] or an array of dates"
    if values.dtype.kind in "biufc":
        raise TypeError(f"times={times!r}: this model was fitted on dates, so times are dates too ({example}).")
    if values.dtype.kind in "OUS":
        try:
            pd.to_datetime(values) if axis.kind == "datetime64" else None
        except (ValueError, TypeError) as err:
            raise ValueError(f"times={times!r} are not dates ({example}; pandas: {str(err).split(',')[0]}).") from None


def _check_frequency(freq) -> None:
    """Refuse a date ``time_step`` that is no positive step ("0D" failed in pandas with a ZeroDivisionError, "-1D"
    gave one time in silence)."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as err:
        raise ValueError(f"time_step={freq!r} is not a pandas frequency, e.g. '1D', '6h', 'MS' (pandas: "
                         f"{str(err).split('. ')[0]}).") from None  # (its message repeated itself: a review)
    positive = offset.n > 0 and (not isinstance(offset, pd.offsets.Tick) or pd.Timedelta(offset) > pd.Timedelta(0))
    if not positive:
        raise ValueError(f"time_step={freq!r}: give a positive step, e.g. '1D' or '6h'.")
