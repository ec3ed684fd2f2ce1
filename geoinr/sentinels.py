"""Fill values that files forget to declare: packed extremes, netCDF default fills, -999 and gross outliers.

Real archives often mark land or missing data with a number instead of a declared
``_FillValue``: the extreme of an integer packing (the DUACS L4 maps of ``../shared/data`` store land one
step above the int32 minimum, -214748.3647 m once decoded), the netCDF default fill 9.96921e36,
-999, 32767. Fitted as they are, these numbers become "sea levels" of hundreds of
kilometres. :func:`screen` finds them from the values (and the packing, when the
variable says how it was stored), and :meth:`Screen.mask` marks them missing.

Four rules, from certain to cautious:

1. the decoded extremes of an integer packing that declares no fill value, or the one next to its fill value;
2. a usual fill constant (:data:`FILL_CONSTANTS`) lying more than
   :data:`FILL_SPREADS` robust spreads from the median (so a real 999 hPa is kept);
3. a value repeated in :data:`REPEATED_SHARE` of the data or more, more than :data:`OUTLIER_SPREADS` robust
   spreads from the median of the others (land stored as a number no packing names, however much of it);
4. any value more than :data:`OUTLIER_SPREADS` robust spreads from the median (for data that are all positive,
   :data:`LOG_OUTLIER_SPREADS` of their logarithms: a chlorophyll bloom is data), unless the variable declares its
   own fill value, the bound pushed out past a continuous tail (:func:`_apart`: a mostly flat sea's eddies are
   data, land far beyond them is not).

The robust spread is the interquartile range / 1.349 (the standard deviation for
Gaussian data), computed without the suspected fills. Land stored as an ordinary value (0.0
in a sea-level anomaly) escapes all four; in a gridded record :func:`constant_cells` finds
it in time (cells that never change while the others do), and the fit warns without masking. This module knows numpy and
xarray; it never imports torch.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from . import coords as _coords
from .frames import GeoinrWarning, user_stacklevel

__all__ = ["FILL_CONSTANTS", "FILL_SPREADS", "LOG_OUTLIER_SPREADS", "OUTLIER_SPREADS", "Screen", "constant_cells", "declares_fill",
           "packed_extremes", "screen", "warn_constant_cells", "without_fills"]

#: numbers that files use for "missing" without saying so (netCDF default float fill, CMIP's 1e20, ...)
FILL_CONSTANTS = (
    9.969209968386869e36, -9.969209968386869e36, 1e20, -1e20, 1e30, -1e30, 1e15, -1e15,
    -999.0, -999.9, -9999.0, -99999.0, 999.0, 9999.0, 99999.0,
    32767.0, -32767.0, -32768.0, 65535.0, 2147483647.0, -2147483647.0, -2147483648.0,
)
FILL_SPREADS = 20.0  # a fill constant is masked beyond this many robust spreads from the median
OUTLIER_SPREADS = 1000.0  # any value is masked beyond this many robust spreads from the median
# ... of the natural logarithms, for data that are all positive: a ratio of exp(50 s) to the median, 7e10 for a
# log-spread s of 0.5 (a chlorophyll record's background), where a bloom 800 times the background is data
LOG_OUTLIER_SPREADS = 50.0
LOG_MIN_SPREAD = 0.1  # ... for data whose logarithms spread this much (10 % ratios); others take the linear rule
# ... pushed out past a continuous tail (each value within 1 / this share of the farthest before it): a field mostly
# flat (68 % of a synthetic sea within 1e-6 m of zero) has a tiny spread, and its eddies, a continuous tail, were
# masked as fills (27 % of the values; a review), while land far apart from them must still be
OUTLIER_GAP_SHARE = 0.1
QUANTILE_POINTS = 1_000_000  # the median and quartiles are taken on at most this many values (evenly strided)
IQR_TO_SIGMA = 1.349  # interquartile range of a unit Gaussian
REPEATED_SHARE = 0.05  # a value repeated in this share of the data, far from the others, is a fill (land)
MAX_REPEATED = 3  # such values looked for
SCREEN_SLICES = 10  # slices along its first dimension of a dask-backed array read to set its rules
MATCH_RTOL = 1e-6  # decoded fills match to float32 rounding
CONSTANT_TIMES = 3  # a grid cell that holds one value at this many times or more may be land stored as a number
CONSTANT_SHARE = 0.01  # ... when this share of the cells (and MIN_CONSTANT_CELLS) hold that same value unchanged
MIN_CONSTANT_CELLS = 10
MIN_VARYING_SHARE = 0.1  # ... while at least this share of the cells change (a static field is not flagged)
LAND_READ_BYTES = 256 * 2**20  # a dask record whose chunks would make the land check read more is not checked


@dataclasses.dataclass(frozen=True)
class Screen:
    """Which values of one variable are undeclared fills.

    Attributes
    ----------
    variable : str
    exact : tuple of float
        Values masked wherever they occur (packed extremes, fill constants far from the data).
    low, high : float
        Values outside ``[low, high]`` are masked (gross outliers); infinite when no rule applies.
    reasons : dict
        For each value of ``exact``, why it is a fill (for the warning).
    median, spread : float
        The robust centre and spread the bounds come from (NaN when the data are constant).
    log : bool
        Whether the bounds come from the logarithms of the values (positive data).
    """

    variable: str
    exact: tuple = ()
    low: float = -np.inf
    high: float = np.inf
    reasons: dict = dataclasses.field(default_factory=dict)
    median: float = np.nan
    spread: float = np.nan
    log: bool = False

    @property
    def active(self) -> bool:
        """Whether this screen can mask anything."""
        return bool(self.exact) or np.isfinite(self.low) or np.isfinite(self.high)

    def mask(self, values) -> np.ndarray:
        """Boolean array, True where finite ``values`` are fills (NaN and inf are not: they are already missing).

        Examples
        --------
        >>> s = Screen("sla", exact=(-999.0,), low=-10.0, high=10.0)
        >>> s.mask(np.array([0.1, -999.0, 1e200, np.nan, np.inf])).tolist()
        [False, True, True, False, False]
        """
        v = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            out = (v < self.low) | (v > self.high)
            for e in self.exact:
                out |= np.isclose(v, e, rtol=MATCH_RTOL, atol=0.0)
        return out & np.isfinite(v)

    def describe(self, n: int, total: int, found) -> str:
        """One sentence: ``n`` of ``total`` values were masked, which (``found``: the distinct ones, or some), why."""
        found = np.unique(np.asarray(found, dtype=np.float64))
        is_exact = np.zeros(found.shape, dtype=bool)
        parts = []
        for e in self.exact:
            hit = np.isclose(found, e, rtol=MATCH_RTOL, atol=0.0)
            is_exact |= hit
            if hit.any():
                shown, why = float(found[hit][0]), self.reasons.get(e, "a usual fill value")
                # the value found (DUACS L4: -214748.3647, one packing step above the int32 minimum; float32 rounding)
                parts.append(f"{e:.10g} ({why})" if shown == e else f"{shown:.10g} (matching {e:.10g}, {why})")
        rest = found[~is_exact]
        if rest.size:
            parts.append(
                f"values outside [{self.low:.6g}, {self.high:.6g}] such as {rest[0]:.6g}"
                f"{f' and {rest[-1]:.6g}' if rest.size > 1 else ''} (more than "
                f"{LOG_OUTLIER_SPREADS if self.log else OUTLIER_SPREADS:g} robust spreads "
                f"{'of the logarithm ' if self.log else ''}from the median {self.median:.6g}, and apart from the "
                f"data's continuous tail)"
            )
        share = 100.0 * n / max(total, 1)
        return (
            f"Variable {self.variable!r}: {n:,} of {total:,} values ({share:.3g} %) look like undeclared fill values "
            f"and are treated as missing: {'; '.join(parts) or 'none seen in the sample read'}. To decide yourself, "
            f"set the variable's _FillValue (a variable that declares one keeps its far values), or mask it first "
            f"(e.g. ds[{self.variable!r}].where(abs(ds[{self.variable!r}]) < limit); if that is land, regrid and "
            f"fill_gaps then need land='missing' to leave it NaN)."
        )


def packed_extremes(var) -> dict:
    """Decoded extremes of an integer packing, other than its declared fill value: ``{value: reason}``.

    ``var`` is an xarray variable, decoded by xarray (the packing is in ``var.encoding``)
    or not (integers with ``scale_factor`` in ``var.attrs``); the returned values are in
    decoded units. Where the packing declares a ``_FillValue`` or ``missing_value``,
    only an extreme next to it is returned: DUACS files declare -2147483647 but store
    land at the int32 minimum, -2147483648, while the extreme at the other end can
    hold data (``grib_to_netcdf`` packs a record's maximum as the int16 maximum).

    Examples
    --------
    >>> import xarray as xr
    >>> v = xr.DataArray(np.array([0, 5], "int32"), dims="n")
    >>> v.encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4)
    >>> [round(k, 4) for k in packed_extremes(v)]
    [-214748.3648, 214748.3647]
    >>> v.encoding.update(_FillValue=np.int32(-2147483647))
    >>> [round(k, 4) for k in packed_extremes(v)]
    [-214748.3648]
    >>> v.encoding.update(_FillValue=np.int32(2147483647))
    >>> packed_extremes(v)
    {}
    """
    places = (getattr(var, "encoding", {}), getattr(var, "attrs", {}))
    for where in places:
        try:
            dtype = np.dtype(where.get("dtype", var.dtype if where is getattr(var, "attrs", None) else None))
        except TypeError:
            continue  # a pandas nullable dtype: no numpy integer packing
        if not np.issubdtype(dtype, np.integer):
            continue
        if where is getattr(var, "attrs", None) and "scale_factor" not in where and "add_offset" not in where:
            continue  # plain integers, not packed floats
        if dtype.kind == "i" and any(str(w.get("_Unsigned", "")).lower() == "true" for w in places):
            dtype = np.dtype(f"u{dtype.itemsize}")  # NetCDF-3 unsigned bytes: stored signed, read unsigned
        info = np.iinfo(dtype)
        scale = float(np.ravel(where.get("scale_factor", 1.0))[0])  # (files hold them as one-element lists too)
        offset = float(np.ravel(where.get("add_offset", 0.0))[0])
        name = dtype.name
        declared = {float(f) for k in ("_FillValue", "missing_value") if k in where for f in np.ravel(where[k])}
        fills = " and ".join(f"{f:.10g}" for f in sorted(declared))
        why = f"whose declared fill value is {fills}" if declared else "which declares no _FillValue"
        # an unsigned type's minimum, 0, is ordinary data (a count, a flag); its netCDF default fill is the maximum
        extremes = ((info.max, "maximum"),) if dtype.kind == "u" else ((info.min, "minimum"), (info.max, "maximum"))
        if declared:  # only the extreme next to a declared fill (DUACS: fill min + 1, land at min); the other one
            # can hold data (grib_to_netcdf stores a record's maximum as exactly the int16 maximum)
            extremes = [(raw, which) for raw, which in extremes
                        if float(raw) not in declared and any(abs(float(raw) - f) == 1 for f in declared)]
        return {raw * scale + offset: f"the decoded {which} of its {name} packing, {why}" for raw, which in extremes}
    return {}


def _thinned(values: np.ndarray) -> np.ndarray:
    """At most :data:`QUANTILE_POINTS` of ``values``, evenly strided (what quantiles and counts are taken on)."""
    return values[:: int(np.ceil(values.size / QUANTILE_POINTS))] if values.size > QUANTILE_POINTS else values


def _robust_centre(values: np.ndarray) -> tuple[float, float]:
    """Median and spread (IQR / 1.349; where the quartiles coincide, a field mostly of one value, the median distance
    of the other values from it: the mean absolute deviation of a field of rain, 99.95 % zeros, put its wet values of
    4 to 12 mm past a bound of 2.4 as fills, a review)."""
    values = _thinned(values)
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    spread = (q3 - q1) / IQR_TO_SIGMA
    if not spread > 0:
        others = np.abs(values[values != median] - median)
        spread = float(np.median(others)) if others.size else 0.0
    return float(median), float(spread)


def _apart(v: np.ndarray, low: float, high: float, median: float, log: bool = False) -> tuple[float, float]:
    """The outlier bounds ``(low, high)``, each pushed out past a continuous tail: the values within a bound are
    data, and so is each value beyond it within ``1 / OUTLIER_GAP_SHARE`` times the farthest data's distance from
    the ``median`` (a chain, taken in order); the bound then lies that factor past the farthest data, so that what
    stands apart (land at -214,748 m beyond eddies of 0.2 m) is still masked. ``log``: ``v`` and ``median`` are
    the logarithms of the values (positive data), the bounds are not.

    Examples
    --------
    >>> x = np.linspace(-10.0, 10.0, 1000)
    >>> flat = 0.2 * np.exp(-x**2) - 0.1 * np.exp(-(x - 5.0)**2)  # a flat sea and its eddies' tails
    >>> [round(float(b), 6) for b in _apart(flat, -1e-5, 1e-5, 0.0)]  # pushed past the eddies
    [-1.0, 2.0]
    >>> _apart(np.append(flat, -214748.0), -1e-5, 1e-5, 0.0)[0] > -214748.0  # land far apart: still masked
    True
    """
    out = [low, high]
    for i, (bound, sign) in enumerate(zip((low, high), (-1.0, 1.0))):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            reach_max = sign * ((np.log(bound) if log else bound) - median)  # the bound's distance from the median
        if not np.isfinite(reach_max) or reach_max <= 0:
            continue
        side = sign * (v - median)
        side = side[side > 0]
        inside = side[side <= reach_max]
        beyond = np.sort(side[side > reach_max])
        if not beyond.size:
            continue
        reach = float(inside.max()) if inside.size else 0.0
        for d in beyond:  # the tail goes on while each value lies within the factor of the farthest before it
            if d > reach / OUTLIER_GAP_SHARE:
                break
            reach = float(d)
        limit = max(reach_max, reach / OUTLIER_GAP_SHARE)
        with np.errstate(over="ignore"):
            out[i] = float(np.exp(median + sign * limit)) if log else median + sign * limit
    return out[0], out[1]


def _repeated_fills(values: np.ndarray) -> dict:
    """Values that fill at least :data:`REPEATED_SHARE` of ``values`` and lie more than :data:`OUTLIER_SPREADS`
    robust spreads from the median of the others: ``{value: reason}`` (at most :data:`MAX_REPEATED`).

    Land stored as a number that no packing or list names (the DUACS map converted to cm: -21,474,836 over half a
    Mediterranean box) is a quarter or more of the values, so it moves the quartiles the outlier rule is built on;
    a real field's most frequent value (zero rain, ice-free water) lies among the others.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ssh = np.concatenate([rng.normal(50.0, 20.0, 400), [-21474836.47] * 600])  # cm, 60 % land
    >>> list(_repeated_fills(ssh))
    [-21474836.47]
    >>> rain = np.concatenate([np.zeros(700), rng.exponential(5.0, 300)])  # mostly dry: zero is data
    >>> _repeated_fills(rain)
    {}
    """
    found = {}
    values = _thinned(values)
    for _ in range(MAX_REPEATED):
        if values.size < 4:
            break
        uniq, counts = np.unique(values, return_counts=True)
        k = int(np.argmax(counts))
        share = counts[k] / values.size
        rest = values[values != uniq[k]]
        if share < REPEATED_SHARE or rest.size < 2:
            break
        median, spread = _robust_centre(rest)
        if not (spread > 0 and abs(uniq[k] - median) > OUTLIER_SPREADS * spread):
            break
        found[float(uniq[k])] = (f"{100 * share:.3g} % of the values, {abs(uniq[k] - median) / spread:.3g} robust "
                                 f"spreads from the median of the others")
        values = rest
    return found


def declares_fill(var) -> bool:
    """Whether an xarray variable declares its fill value (``_FillValue`` or ``missing_value``, in its attributes
    or, once decoded, its encoding): its file says how it marks what is missing.

    Examples
    --------
    >>> import xarray as xr
    >>> v = xr.DataArray([1.0, 2.0], dims="n")
    >>> declares_fill(v), declares_fill(v.assign_attrs(_FillValue=-999.0))
    (False, True)
    """
    return any(k in where for where in (getattr(var, "attrs", {}), getattr(var, "encoding", {}))
               for k in ("_FillValue", "missing_value"))


def screen(values, variable: str = "values", packed: dict | None = None, *, sample: bool = False,
           outliers: bool = True, declared: bool = False) -> Screen:
    """Find the undeclared fill values of one variable.

    Parameters
    ----------
    values : array-like
        The variable's values (NaN and inf are already missing and ignored).
    variable : str
        Its name, for the warning.
    packed : dict, optional
        ``{value: reason}`` of :func:`packed_extremes`.
    sample : bool
        ``values`` are a sample of a larger (dask-backed) variable: every fill constant
        far from the data is masked, not only those seen in the sample.
    outliers : bool
        Apply the fourth rule (no bounds when False): a noise-free field on a flat background has a tiny robust
        spread, and its real eddies lie thousands of spreads from the median.
    declared : bool
        The variable declares its fill value (:func:`declares_fill`): the fourth rule is not applied, since its
        file says how it marks what is missing (a bloom of 80 mg m-3 of chlorophyll over 0.1 was masked).

    Returns
    -------
    Screen

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sst = np.concatenate([rng.normal(15.0, 5.0, 1000), [-999.0] * 30, [999.0]])
    >>> s = screen(sst, "sst")
    >>> int(s.mask(sst).sum()), s.exact
    (31, (-999.0, 999.0))
    >>> screen(rng.normal(1013.0, 10.0, 1000).round(), "pressure").mask([999.0]).tolist()  # a real 999 hPa is kept
    [False]
    >>> chl = np.append(rng.lognormal(np.log(0.1), 0.5, 1000), [80.0, 75.0])  # positive: a bloom is data
    >>> int(screen(chl, "chl").mask(chl).sum())
    0
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    reasons = dict(packed or {})
    suspect = np.zeros(v.shape, dtype=bool)
    occurs = {}  # candidate fill -> whether it occurs; one pass over the values each, and only when in range
    low, high = (float(v.min()), float(v.max())) if v.size else (np.inf, -np.inf)
    for e in list(reasons) + list(FILL_CONSTANTS):
        occurs[e] = False
        if low - abs(e) * MATCH_RTOL <= e <= high + abs(e) * MATCH_RTOL:
            hit = np.isclose(v, e, rtol=MATCH_RTOL, atol=0.0)
            occurs[e] = bool(hit.any())
            suspect |= hit
    clean = v[~suspect]
    for e, why in _repeated_fills(clean).items():  # a land value stored as data (DUACS in cm): before the spread
        reasons[e], occurs[e] = why, True
        clean = clean[~np.isclose(clean, e, rtol=MATCH_RTOL, atol=0.0)]
    if clean.size < 2:
        return Screen(variable, exact=tuple(reasons), reasons=reasons)
    median, spread = _robust_centre(clean)
    if not spread > 0:  # constant data: the packing, and the usual fill values that occur (9.97e36 beside 35 PSU)
        for e in FILL_CONSTANTS:
            if occurs[e] and e != median and e not in reasons:
                reasons[e] = "a usual fill value, beside data of one value"
        return Screen(variable, exact=tuple(sorted(reasons)), reasons=reasons, median=median)
    for e in FILL_CONSTANTS:
        if abs(e - median) > FILL_SPREADS * spread and e not in reasons:
            reasons[e] = f"a usual fill value, {abs(e - median) / spread:.3g} robust spreads from the median"
    seen = [e for e in reasons if sample or e in (packed or {}) or occurs[e]]
    exact = tuple(sorted(seen))
    low, high, log = -np.inf, np.inf, False
    if outliers and not declared:
        if clean.min() > 0.0:  # positive data (concentrations, rates): their spread is in ratios
            logs = np.log(clean)
            log_median, log_spread = _robust_centre(logs)
            # ... where it is one: a field far from zero (a temperature in degC, pressures) varies by a few percent,
            # and 50 log-spreads of it masked a cold patch of 6 degC in a sea of 20 +- 0.3 (kept in K: a review)
            log = log_spread > LOG_MIN_SPREAD
            if log:
                with np.errstate(over="ignore", under="ignore"):
                    low, high = (float(np.exp(log_median + s * LOG_OUTLIER_SPREADS * log_spread)) for s in (-1, 1))
        if not log:
            low, high = median - OUTLIER_SPREADS * spread, median + OUTLIER_SPREADS * spread
        low, high = _apart(logs, low, high, log_median, log=True) if log else _apart(clean, low, high, median)
    return Screen(
        variable, exact=exact, low=low, high=high,
        reasons={e: reasons[e] for e in exact}, median=median, spread=spread, log=log,
    )


def without_fills(var, *, warn: bool = True, note: str = "", outliers: bool = True):
    """An xarray variable with its undeclared fill values as NaN, with a warning (``warn``).

    The rules of :func:`screen`, set from all the values, or for a dask-backed variable from
    :data:`SCREEN_SLICES` slices along its first dimension; ``outliers=False`` keeps the outlier
    rule out (see :func:`screen`). A dask-backed variable stays lazy
    without ``warn``; with it, the warning's counts take one pass over the data. ``note``
    ends the warning.

    Examples
    --------
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> ssh = xr.DataArray(np.append(rng.normal(0.0, 0.1, 99), -999.0), dims="n", name="ssh")
    >>> int(np.isnan(without_fills(ssh, warn=False)).sum())
    1
    """
    import xarray as xr


    lazy = var.chunks is not None
    sample = var.isel({var.dims[0]: slice(None, None, max(1, var.shape[0] // SCREEN_SLICES))}) if lazy and var.ndim else var
    found = screen(np.asarray(sample.values), str(var.name or "values"), packed_extremes(var), sample=lazy,
                   outliers=outliers, declared=declares_fill(var))
    if not found.active:
        return var
    fills = xr.apply_ufunc(found.mask, var, dask="parallelized", output_dtypes=[bool])
    if not warn:
        return var.where(~fills)
    seen = var.where(fills)
    counts = xr.Dataset({"n": fills.sum(), "total": np.isfinite(var).sum(), "low": seen.min(), "high": seen.max()})
    counts = counts.compute()  # one pass over dask data
    if not int(counts["n"]):
        return var
    message = found.describe(int(counts["n"]), int(counts["total"]), [float(counts["low"]), float(counts["high"])])
    warnings.warn(f"{message} {note}".rstrip(), GeoinrWarning, stacklevel=user_stacklevel())
    return var.where(~fills)


def constant_cells(values, axis: int):
    """The value that most grid cells hold unchanged at every time while the others change, or None.

    Land stored as a number inside the data's range (0.0 in a sea-level anomaly, -1.8 degC under ice) passes
    every rule of :func:`screen`: it is an ordinary value. In a gridded record it gives itself away in time:
    real values change from one time to the next, a mask does not. A value is returned when at least
    :data:`CONSTANT_TIMES` times are given, at least :data:`CONSTANT_SHARE` of the cells with data at every time
    (and :data:`MIN_CONSTANT_CELLS`) hold it at all of them, and at least :data:`MIN_VARYING_SHARE` of the cells
    change (a field repeated in time is not flagged). Cells missing at some time are left out.

    Parameters
    ----------
    values : array-like
        The record, with time along ``axis``.
    axis : int

    Returns
    -------
    tuple of (float, int, int) or None
        The value, how many cells hold it, and how many cells have data at every time.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sla = rng.normal(0.0, 0.1, (5, 20, 30))  # (time, lat, lon)
    >>> sla[:, :, :6] = 0.0  # land stored as zero
    >>> constant_cells(sla, axis=0)
    (0.0, 120, 600)
    >>> constant_cells(np.repeat(sla[:1], 5, axis=0), axis=0) is None  # one map repeated: nothing changes
    True
    """
    v = np.moveaxis(np.asarray(values), axis, 0)
    if v.shape[0] < CONSTANT_TIMES or v.ndim < 2:
        return None
    first = v[0]
    complete = np.isfinite(first)
    same = complete.copy()
    for step in v[1:]:  # one time at a time: no copy of the record
        complete &= np.isfinite(step)
        same &= step == first
    same &= complete
    n_cells = int(complete.sum())
    if n_cells == 0 or complete.sum() - same.sum() < MIN_VARYING_SHARE * n_cells:
        return None
    held, counts = np.unique(first[same], return_counts=True)
    if not held.size:
        return None
    k = int(np.argmax(counts))
    if counts[k] < max(MIN_CONSTANT_CELLS, CONSTANT_SHARE * n_cells):
        return None
    return float(held[k]), int(counts[k]), n_cells


def _physical_bound(var, values: np.ndarray, axis: int, value: float) -> bool:
    """Whether a value held unchanged by many cells is a bound of the field itself, not a mask: a bound of its
    declared valid range, or its least or greatest value that cells which change also take (open water's 0 of a
    sea-ice fraction at the moving edge, a dry day's 0 of precipitation). Its advice to mask them would have
    deleted all open water, or every dry cell (a review). Land stored as 0 inside a sea level's range is neither,
    nor land at a wave height's declared ``valid_min`` of 0 that no changing cell takes."""
    bounds = _coords._valid_bounds(var, widen=False)
    finite = values[np.isfinite(values)]
    ends = (finite.min(), finite.max()) if finite.size else ()
    if value not in ends and (bounds is None or value not in bounds):
        return False
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (land as NaN at every time: "All-NaN slice")
        hits = values == value
        varying = np.nanmax(values, axis=axis, keepdims=True) != np.nanmin(values, axis=axis, keepdims=True)
    return bool(np.any(hits & varying))


def warn_constant_cells(var, time_dim, kept=None, role: str = "fitted") -> None:
    """Warn when grid cells of ``var`` (with dimension ``time_dim``) hold one value at every time.

    See :func:`constant_cells`. Those cells are fitted (``role``: or scored) as data, so the warning says how to mask
    them; not
    when a fill rule masks the value already, with its own warning: the value is missing from ``kept`` (the values
    fitted), or without ``kept``, :func:`screen` of the values read masks it. A dask-backed ``var`` is judged on
    :data:`SCREEN_SLICES` times spread over its record (those maps are read; not checked where its chunks span so
    many times that this would read more than four times those maps and :data:`LAND_READ_BYTES`).

    Examples
    --------
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> ssh = xr.DataArray(rng.normal(0.0, 0.1, (4, 10, 10)), dims=("time", "lat", "lon"), name="ssh")
    >>> ssh[:, :, :3] = 0.0  # three columns of land stored as zero
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_constant_cells(ssh, "time")
    >>> str(seen[0].message)[:72]
    "Variable 'ssh': 30 of 100 grid cells (30 %) hold exactly 0 at all 4 time"
    """

    if time_dim not in var.dims or var.ndim < 2:
        return
    nt = var.sizes[time_dim]
    times = np.unique(np.linspace(0, nt - 1, SCREEN_SLICES).round().astype(int))
    if var.chunks is not None:
        # dask reads whole chunks: where they span many times (a record chunked by space only), the maps cost
        # the record; a large one is left unjudged rather than read in full before the fit
        bounds = np.cumsum((0,) + var.chunks[var.get_axis_num(time_dim)])
        read_times = sum(int(bounds[k + 1] - bounds[k]) for k in np.unique(np.searchsorted(bounds, times, "right") - 1))
        if read_times * var.nbytes / max(nt, 1) > max(LAND_READ_BYTES, 4 * times.size * var.nbytes / max(nt, 1)):
            return
    read = var if var.chunks is None else var.isel({time_dim: times})
    values = np.asarray(read.values)
    found = constant_cells(values, read.get_axis_num(time_dim))
    if found is None:
        return
    value, n, cells = found
    value += 0.0  # -0.0 reads as 0
    if kept is not None and not np.any(np.asarray(kept) == value):
        return
    if kept is None and screen(values, packed=packed_extremes(var)).mask([value]).any():
        return
    if _physical_bound(var, values, read.get_axis_num(time_dim), value):
        return
    name = str(var.name or "values")
    warnings.warn(
        f"Variable {name!r}: {n:,} of {cells:,} grid cells ({100 * n / cells:.3g} %) hold exactly {value:.10g} at all "
        f"{read.sizes[time_dim]} times{f' read (of {nt})' if read is not var else ''} while the others change. Is it land or missing data stored as a number? They "
        f"are {role} as data. If they are not, mask them first: ds[{name!r}].where(ds[{name!r}] != {value:.10g}), "
        f"or give the variable a _FillValue.", GeoinrWarning, stacklevel=user_stacklevel())
