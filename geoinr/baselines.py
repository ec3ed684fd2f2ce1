"""Classical mapping baselines, xarray in and out like :class:`geoinr.INRModel`; no torch in here.

:class:`OptimalInterpolation` maps scattered observations (along-track sea
level, typically) the way DUACS does (Le Traon et al. 1998; the "baseline OI"
of the 2020a SSH mapping data challenge): a Gaussian space-time covariance with
decorrelation scales ``(lx, ly, lt)`` and a white observation error, solved
locally on overlapping tiles so that it scales to hundreds of thousands of
observations. It also returns the formal mapping error.

:class:`LinearInterpolator` is the floor: for each target time, the
observations within a time window are interpolated linearly in space
(:class:`scipy.interpolate.LinearNDInterpolator`).

Both are fitted with ``fit(obs, "sla")`` and evaluated with ``predict(target)``
on any target :meth:`geoinr.INRModel.predict` accepts: a grid with time, lat and
lon coordinates of any names and in any order, scattered points along one
dimension (tracks, for scoring), or a dict ``{"lon", "lat"[, "time"]}`` of arrays
(numpy out).
"""
from __future__ import annotations

import copy
import inspect
import math
import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from . import coords as _coords
from . import observations as _observations
from . import scales as _scales
from .base import BaseMapper, _changed_params
from ._version import __version__
from .frames import GeoinrWarning, check_keywords, progress_bar, user_stacklevel
from .geometry import KM_PER_DEGREE, xyz_km

__all__ = ["LinearInterpolator", "OptimalInterpolation"]

MAX_TANGENT_LATITUDE = 89.0  # degrees: cos(lat) of the local planes is taken at most this far poleward
TARGET_CHUNK = 1024  # target points per covariance block: TARGET_CHUNK * max_obs * 8 bytes (25 MB for 3000)
# OptimalInterpolation(mean="local"): a tile whose halo holds fewer observations estimates its mean from this many,
# the nearest wherever they are (a tile with one observation or none would take its level from it, or the global mean)
MEAN_MIN_OBS = 30
# a tile with too few observations takes candidates for its nearest ones from a k-d tree (this many per one needed,
# at least NEAREST_CANDIDATES_MIN), nearest to its centre, before choosing the nearest to its box among them
NEAREST_CANDIDATES_PER = 32
NEAREST_CANDIDATES_MIN = 1024
NEAREST_PLANE_SLACK = 1.1  # the tangent plane's distances against the chord's within NEAREST_EXACT_SCALES at
# mid-latitudes (poleward of about 60 deg the plane's east-west distances stretch more: near, not always exact)
NEAREST_EXACT_SCALES = 5.0  # decorrelation scales from a tile's box: nearer, its nearest observations are exact
SUPEROBS_WARN_SHARE = 0.01  # superobs bins leaving fewer than this share of the observations warn
MEANS = ("local", "global")  # OptimalInterpolation(mean=): ordinary kriging per tile, or simple kriging
JITTER = 1e-10  # diagonal added to the covariance, relative to the signal variance (grows x100 on failure)
# a map farther than this many times the observations' range from their mean: an ill-conditioned solve (noise too
# small for dense observations: noise=1e-6 on 1 Hz tracks mapped 2.9 m from a field of 0.3 m; 1e-4 stayed within it)
ILL_CONDITIONED_SPANS = 2.0
PROGRESS_MIN_TILES = 16  # space tiles from which a prediction may show a progress bar (progress=True)
PROGRESS_DELAY = 2.0  # seconds: the bar appears only for work that lasts longer


class _Baseline(BaseMapper):
    """The baselines' part of the mapper base: one variable, read through :mod:`geoinr.observations`."""

    _fitted_attribute = "n_obs_"

    def __repr__(self) -> str:
        defaults = {k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items() if k != "self"}
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k, inspect._empty) != v]
        state = f"  # fitted: {self.variable_} on {self.n_obs_} observations" if self.is_fitted else ""
        return f"{type(self).__name__}({', '.join(args)}){state}"

    def _uses_time(self) -> bool:
        return True

    def _check_params(self) -> None:
        """Raise ValueError for invalid constructor parameters (before anything is read)."""

    def _fit_state(self) -> dict:
        """What of the parameters only a fit reads: set otherwise since, they would change nothing (the output's
        ``source`` claiming them), so predict refuses them until a refit. The others (the OI's scales without
        superobservations, tiles) are read at each prediction: changed after the fit, they take effect, checked as
        a fit checks them."""
        return {}

    def _check_fitted(self) -> None:
        super()._check_fitted()
        self._check_params()  # set_params(lx=-5) after the fit mapped with it (a review)
        changed = _changed_params(getattr(self, "_fit_state_at_fit", None), self._fit_state())
        if changed:
            said = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in changed.items())
            back = ", ".join(f"{k}={a!r}" for k, (a, b) in changed.items() if " " not in k)
            raise ValueError(f"{type(self).__name__}: parameters changed since the fit, which alone reads them "
                             f"({said}): call fit(...) again for them to take effect, or set them back"
                             + (f": set_params({back})." if back else "."))

    # ------------------------------------------------------------------ fit
    def fit(self, data, variable: Hashable | None = None, *, lat=None, lon=None, time=None, weights=None):
        """Read the observations; returns ``self``.

        Parameters
        ----------
        data : xarray.Dataset, xarray.DataArray or dict
            Scattered observations along one dimension (the CMEMS along-track
            layout: dim ``time`` with ``latitude``/``longitude`` coordinates), a
            gridded field with NaN gaps, or a dict of 1-D arrays
            ``{"lon": ..., "lat": ...[, "time": ...], "<variable>": ...}``.
        variable : str, optional
            The variable to map; needed when ``data`` holds several.
        lat, lon, time : str, optional
            Coordinate names, when they cannot be found from CF attributes or
            common names. ``time=False`` ignores time (a purely spatial map).
        weights : str, xarray.DataArray or array-like, optional
            Each observation's weight, 1/sigma^2 of its error, as ``INRModel.fit(weights=)`` takes it
            (OptimalInterpolation: its error variance is ``noise`` times the signal's over its weight scaled to a
            mean of 1; 0 leaves it out). The linear baseline takes none.

        Returns
        -------
        self

        Examples
        --------
        >>> import geoinr
        >>> obs = {"lon": [0.0, 1.0, 0.0], "lat": [40.0, 40.0, 41.0], "h": [0.1, 0.2, 0.3]}
        >>> geoinr.baselines.OptimalInterpolation(lt=None).fit(obs, "h")
        OptimalInterpolation(lt=None)  # fitted: h on 3 observations
        """
        self._forget()  # a refit starts from nothing learned (a refused one leaves the mapper unfitted, as INRModel)
        self._check_params()
        if isinstance(variable, (list, tuple)):
            raise TypeError(f"{type(self).__name__} maps one variable at a time; got variable={variable!r}.")
        if not self._uses_time():
            time = False
        if weights is not None and not isinstance(self, OptimalInterpolation):
            raise TypeError(f"{type(self).__name__} takes no weights (it interpolates the observations as they are); "
                            f"OptimalInterpolation and INRModel do.")
        obs = _observations.read(data, variable, lat=lat, lon=lon, time=time, single=True, weights=weights)
        table = obs.table
        var = obs.variables[0]
        if len(table) < 1:
            raise ValueError(
                f"No finite values of {var!r} to map: every value is NaN (or lies at a NaN coordinate). "
                f"Check the variable and any masking/fill values."
            )
        self.variable_ = var
        self._set_frame(obs, *_observations.extent(table))
        _warn_grid_scales(self, obs)
        t = table.time
        order = np.argsort(t, kind="stable") if t is not None else np.arange(len(table))
        lon_o, lat_o = table.lon[order], table.lat[order]
        t_o = None if t is None else t[order]
        y = table.values[order, 0]
        self._fit_points(lon_o, lat_o, t_o, y, *([] if table.weights is None else [table.weights[order]]))
        self._fit_state_at_fit = copy.deepcopy(self._fit_state())
        self.n_obs_ = int(y.size)
        return self

    def _fit_points(self, lon, lat, t, y) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ predict
    def _predict_columns(self, columns) -> np.ndarray:
        flat = [np.ascontiguousarray(c, dtype=np.float64).ravel() for c in columns]
        mean, _ = self._predict_points(flat[0], flat[1], flat[2] if len(flat) > 2 else None, False)
        return mean[:, None]

    def _predict(self, target, lat, lon, time, return_std):
        self._check_fitted()

        def evaluate(columns, _):
            shape = np.shape(columns[0])
            flat = [np.ascontiguousarray(c, dtype=np.float64).ravel() for c in columns]
            mean, std = self._predict_points(flat[0], flat[1], flat[2] if len(flat) > 2 else None, return_std)
            mean = mean.reshape(shape + (1,))
            return (mean, std.reshape(shape + (1,))) if return_std else mean

        return self._predict_any(target, lat, lon, time, [0], evaluate)

    def _std_long_name(self, long_name: str) -> str:
        return f"formal mapping error (standard deviation) of {long_name}"

    def _units(self) -> str:
        return self.variable_attrs_.get(self.variable_, {}).get("units", "")


def _warn_grid_scales(mapper, obs) -> None:
    """Warn where OI's scales cannot suit a grid: ``lx``/``ly`` under its spacing (between the cells the map falls
    to the mean), or, on a sub-daily grid, ``lt`` longer than the record (its maps hardly change over it). The
    defaults are sea level's (100 km, 10 days): on hourly pressure over two days at 2 deg they gave 186 Pa where
    600 km and half a day gave 5.8 (a review)."""
    if not isinstance(mapper, OptimalInterpolation) or not obs.gridded or obs.table is None:
        return
    said = []
    cells = pd.DataFrame({"lon": obs.table.lon, "lat": obs.table.lat}).drop_duplicates()
    if len(cells) > 1:
        spacing = _scales.default_scales(cells["lon"].to_numpy(), cells["lat"].to_numpy())[0] / 2.0  # (2 spacings)
        if min(float(mapper.lx), float(mapper.ly)) < spacing:
            said.append(f"lx={mapper.lx:g} km and ly={mapper.ly:g} km: under the grid's spacing ({spacing:.0f} km), so "
                        f"between its cells the map falls to the mean")
    span = None if mapper.time_range_ is None else mapper.time_range_[1] - mapper.time_range_[0]
    step = getattr(mapper, "time_step_", None)
    if mapper._time_used() and step is not None and step < 1.0 and span and float(mapper.lt) > span:
        said.append(f"lt={mapper.lt:g} days: longer than the record ({span:.3g} days of {mapper.time_step_ * 24:.3g}-hour "
                    f"maps), so its maps hardly change over it")
    if mapper._time_used() and step is not None and step > 1.0 and float(mapper.lt) < step:
        said.append(f"lt={mapper.lt:g} days: shorter than the record's step ({step:.3g} days), so between its times "
                    f"the map falls to the mean (lt of about 1.5 steps holds them)")
    if said:
        warnings.warn(f"OptimalInterpolation's scales do not suit this grid (the defaults are sea level's): "
                      f"{'; '.join(said)}. "
                      f"Give scales near the field's own (e.g. the lengths and periods an INRModel fit of it reports).",
                      GeoinrWarning, stacklevel=user_stacklevel())


# ====================================================================== optimal interpolation
class OptimalInterpolation(_Baseline):
    r"""DUACS-style optimal interpolation with a Gaussian space-time covariance, solved on tiles.

    The field minus a mean is a Gaussian process with covariance

    .. math:: C(\delta x, \delta y, \delta t) = \sigma_s^2
              \exp\left(-\frac{\delta x^2}{L_x^2} - \frac{\delta y^2}{L_y^2} - \frac{\delta t^2}{L_t^2}\right)

    (distances in km in a local tangent plane, :math:`\delta x = R\cos\varphi_0\,\delta\lambda`,
    :math:`\delta y = R\,\delta\varphi`), observed with white errors of variance
    ``noise`` :math:`\sigma_s^2`. The map is the posterior mean
    :math:`m + C_{to}(C_{oo} + R)^{-1}(y - m)` and the formal error its
    standard deviation :math:`\sqrt{\sigma_s^2 - \mathrm{diag}\,C_{to}(C_{oo}+R)^{-1}C_{ot}}`.

    **The mean.** With ``mean="local"`` (the default) :math:`m` is unknown and
    constant over each tile's observations, and is estimated from them by generalized
    least squares, :math:`m = 1^T K^{-1} y / 1^T K^{-1} 1` with :math:`K = C_{oo} + R`
    (ordinary kriging): the map follows the sea's mean surface, as DUACS maps an
    anomaly about a mean dynamic topography, and the formal error adds the
    uncertainty of that mean, :math:`(1 - 1^T K^{-1} C_{ot})^2 / 1^T K^{-1} 1`. With
    ``mean="global"`` :math:`m` is the mean of all observations (simple kriging): where
    the sea's mean surface varies across the region, as an absolute dynamic topography's
    does over a basin, the map falls back to one constant in every gap. On four days of
    real tracks over 10-40 deg boxes the local mean raised mu by 0.006-0.10 (the most
    on the 20 deg Kuroshio and tropical Pacific boxes); on three-month records, whose
    tracks fill the gaps in time, it moved mu by 0.000-0.002 (``benchmarks/RESULTS.md``,
    2026-12-05, ninth session). A tile whose halo holds fewer than
    :data:`MEAN_MIN_OBS` observations takes its mean from that many, the nearest
    wherever they are. Where a gap is wider than a tile and its halo (about 300 km at
    the default scales), the map there holds the level of the nearest observations,
    and it steps, over the blending zone, where the nearest observations change side;
    ``mean="global"`` relaxes to one mean in such gaps instead.

    **Tiles.** The target points are split into tiles of ``tile`` decorrelation
    scales per side (``tile * lx`` km by ``tile * ly`` km by ``tile * lt`` days); each
    tile is solved (Cholesky) with the observations within ``halo`` scales of it, in a
    tangent plane at its centre. Neighbouring tiles overlap by ``overlap`` of a side
    either side of their boundary, where their maps are blended with cos^2 weights
    that sum to one, so the map has no seams (its second differences stay those of
    the untiled solution). The formal error is taken from each point's own tile
    (blending it would cost 3x more); it may step by a fraction of a percent of
    :math:`\sigma_s` across tile boundaries.

    **Bounded cost.** At most ``max_obs`` observations enter a tile: where more fall
    in its halo, the ``max_obs`` nearest to the tile (distance scaled by ``lx, ly,
    lt``) are kept, which shrinks the halo where data are dense; where more than
    ``max_obs`` fall inside the tile itself, an even subsample of them (in time
    order) is kept, so that the whole tile keeps data. Before that, with
    ``superobs``, observations in the same bin of ``superobs`` scales are averaged
    into one superobservation at their centroid, with the error variance divided by
    their count (what the full OI does with coincident observations), as DUACS
    filters and subsamples 1 Hz along-track data. Memory is bounded by
    ``max_obs**2 * 8`` bytes (72 MB for 3000) plus ``TARGET_CHUNK * max_obs * 8``,
    twice that with ``broad``; time grows linearly with the number of tiles (targets).
    ``superobs=None`` is closer to the full OI (about 2 % lower RMSE on the 4-nadir
    QG OSSE, 10 % with SWOT swaths) at 5 to 10 times the cost.

    Parameters
    ----------
    lx, ly : float
        km: zonal and meridional decorrelation scales (e-folding of the Gaussian).
        100 km is the DUACS-like choice for mid-latitude mesoscale (the 2020a data
        challenge's baseline OI uses 1 degree, about 90 km at 35N).
    lt : float or None
        days: decorrelation time scale (7 to 15 days in DUACS-like mappings; 10 here).
        None maps a purely spatial field and ignores any time coordinate; so does
        data without a time coordinate.
    noise : float
        Observation error variance as a fraction of the signal variance
        (dimensionless noise-to-signal ratio, so the same value suits any region).
        Below about 1e-4 dense tracks make the solve inaccurate: a map far beyond the data is warned of.
        It stands for instrument noise and for the small scales the covariance
        cannot represent: 0.05 is an error standard deviation of 22 % of the
        signal's, a few cm for mesoscale sea level.
    signal_variance : float, optional
        :math:`\sigma_s^2` in squared data units (m^2 for sea level). Default: the
        variance of the observations divided by ``1 + noise``.
    mean : {"local", "global"}
        The mean the Gaussian process is taken about (see **The mean** above): each
        tile's, estimated from its observations (ordinary kriging), or the mean of all
        observations (simple kriging; the only choice until 2026-12-05).
    broad : float or None
        None (the default): one Gaussian covariance. A number ``k > 1``: the sum of
        two Gaussians, the one above with ``1 - broad_share`` of :math:`\sigma_s^2` and
        one ``k`` times longer in every coordinate with ``broad_share`` of it, as
        multi-scale analyses do: in gaps wider than a decorrelation scale the map
        follows the larger scales the tracks around them share (tiles and halo stay in
        the mesoscale's scales, so the local mean's steps in still wider gaps remain,
        smaller). On four days of real tracks ``broad=2`` raised mu by 0.010-0.030 on
        three boxes of seven, moved it by -0.003 to +0.003 on the others (lambda_x 11-12
        km longer on one) and on four three-month records by at most 0.001 (lambda_x -1
        to +3 km), at 1.1-1.4 times the cost (``benchmarks/RESULTS.md``, 2026-12-05,
        tenth session): an option, not the default.
    broad_share : float
        The broad covariance's share of the signal variance, in (0, 1), with ``broad``.
    tile : float
        Side of a tile in decorrelation scales (space and time).
    halo : float
        Observations within this many decorrelation scales of a tile (in each of
        x, y and t) are used for it. At 1.5 scales the covariance is down to
        exp(-2.25) = 0.1, and nearer data screen farther ones.
    overlap : float
        Half-width of the blending zone at each tile boundary, as a fraction of the
        tile side, in [0, 0.5]; 0 gives hard tiles (faster, with visible seams).
    max_obs : int
        At most this many (super)observations per tile: a tile costs about
        ``max_obs**3 / 3`` flops.
    superobs : float or None
        Bin size in decorrelation scales (``superobs * lx`` km, ..., ``superobs * lt``
        days) within which observations are averaged; None uses every observation
        as it is. A lone observation in its bin stays exactly as it was.
    progress : bool
        Show a ``tqdm.auto`` progress bar (Jupyter or terminal) over the tiles of a
        prediction of at least :data:`PROGRESS_MIN_TILES` tiles that lasts more than
        :data:`PROGRESS_DELAY` seconds.

    Attributes
    ----------
    mean_ : float
        Observation mean, removed before the interpolation and added back (with
        ``mean="local"`` each tile's own mean is then estimated about it).
    signal_variance_ : float
        :math:`\sigma_s^2` used (squared data units).
    n_obs_ : int
        Observations read by :meth:`fit`; ``n_superobs_`` after averaging.

    Examples
    --------
    >>> import geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    >>> oi = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0, noise=0.05).fit(tracks, "sla")
    >>> grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).drop_vars(["sla", "sla_true"])
    >>> maps, err = oi.predict(grid, return_std=True)
    >>> maps.dims, maps.attrs["units"], err.name
    (('time', 'lat', 'lon'), 'm', 'sla_std')
    >>> on_tracks = oi.predict(tracks, return_std=True)[1]  # the formal error at the observations themselves
    >>> bool(on_tracks.median() < 0.5 * err.median())  # small on the tracks, larger between them
    True
    >>> two_scales = geoinr.baselines.OptimalInterpolation(broad=2.0).fit(tracks, "sla")  # and a broad covariance
    >>> "broad Gaussian 2 times longer" in two_scales.predict(grid).attrs["source"]
    True
    """

    def __init__(
        self,
        lx: float = 100.0,
        ly: float = 100.0,
        lt: float | None = 10.0,
        noise: float = 0.05,
        *,
        signal_variance: float | None = None,
        mean: str = "local",
        broad: float | None = None,
        broad_share: float = 0.5,
        tile: float = 1.5,
        halo: float = 1.5,
        overlap: float = 0.25,
        max_obs: int = 3000,
        superobs: float | None = 0.25,
        progress: bool = True,
    ):
        self.lx = lx
        self.ly = ly
        self.lt = lt
        self.noise = noise
        self.signal_variance = signal_variance
        self.mean = mean
        self.broad = broad
        self.broad_share = broad_share
        self.tile = tile
        self.halo = halo
        self.overlap = overlap
        self.max_obs = max_obs
        self.superobs = superobs
        self.progress = progress

    def _uses_time(self) -> bool:
        return self.lt is not None

    def _fit_state(self) -> dict:  # (the superobservations, the error variances, and whether time was read)
        timed = {} if self._one_instant() else {"lt given": self.lt is not None}  # (one instant: lt is never read)
        binned = {"lx": self.lx, "ly": self.ly, **({"lt": self.lt} if timed else {})} if self.superobs is not None else {}
        return {"noise": self.noise, "signal_variance": self.signal_variance, "superobs": self.superobs, **timed, **binned}

    def _check_params(self) -> None:
        numbers = ("lx", "ly", "noise", "tile", "halo", "overlap", "max_obs") + (("lt",) if self.lt is not None else ())
        for name in numbers + (("signal_variance",) if self.signal_variance is not None else ()) \
                + (("superobs",) if self.superobs is not None else ()):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a number; got {value!r} ({type(value).__name__}).")
        for name in ("lx", "ly") + (("lt",) if self.lt is not None else ()):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                unit = "days" if name == "lt" else "km"
                raise ValueError(f"{name} must be a positive number of {unit}; got {value!r}.")
        if not (np.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(
                f"noise is the observation error variance as a fraction of the signal variance; "
                f"it must be >= 0 (e.g. 0.05), got {self.noise!r}."
            )
        if self.signal_variance is not None and not (np.isfinite(self.signal_variance) and self.signal_variance > 0):
            raise ValueError(f"signal_variance must be positive (squared data units) or None; got {self.signal_variance!r}.")
        if self.mean not in MEANS:
            raise ValueError(f"mean must be one of {MEANS} (each tile's mean estimated from its observations, or "
                             f"the mean of all observations); got {self.mean!r}.")
        if self.broad is not None:
            _check_broad(self.broad, self.broad_share)
        _check_sizes(self.tile, self.halo, self.overlap, self.max_obs, self.superobs, self.progress)

    def _fit_points(self, lon, lat, t, y, w=None) -> None:
        if not self._time_used():  # (no lt, or one instant: a spatial map)
            t = None
        lon, lat, t, y, w = _weighed(lon, lat, t, y, w)
        self.mean_ = float(np.average(y, weights=w))
        if self.signal_variance is not None:
            s2 = float(self.signal_variance)
        else:
            var = float(np.var(y))
            s2 = var / (1.0 + self.noise) if var > 0 else 1.0  # constant data: any scale maps to the mean
        self.signal_variance_ = s2
        counts = np.ones(y.size) if w is None else w  # (a weight: as many observations' worth)
        if self.superobs is not None:
            lon, lat, t, y, counts = _superobservations(lon, lat, t, y, self.superobs * np.array(self._scales()), w)
        self.obs_lon_, self.obs_lat_, self.obs_time_ = lon, lat, t
        self._nearest = None  # built by the first tile that needs its nearest observations (_nearest_observations)
        self.obs_anomaly_ = y - self.mean_
        self.obs_error_variance_ = self.noise * s2 / counts
        self.n_superobs_ = int(y.size)
        _warn_few_superobs(self.superobs, int(counts.sum()), y.size)

    def _scales(self) -> tuple:
        return (float(self.lx), float(self.ly)) + ((float(self.lt),) if self._time_used() else ())

    def _time_used(self) -> bool:
        """Whether the map varies in time (``lt`` given and the observations have times, more than one: a map of one
        instant is a spatial map at every date, as INRModel's; it faded towards the mean away from its date)."""
        return self.lt is not None and getattr(self, "time_axis_", None) is not None and not self._one_instant()

    def predict(self, target, *, lat=None, lon=None, time=None, return_std: bool = False):
        """Map the observations onto ``target``.

        Parameters
        ----------
        target : xarray.Dataset, xarray.DataArray or dict
            A grid (time, lat, lon coordinates of any names, in any order; 2-D
            curvilinear lat/lon too), scattered points along one dimension, or a
            dict of arrays ``{"lon", "lat"[, "time"]}`` (numpy out).
        lat, lon, time : str, optional
            Coordinate names in ``target``, if they cannot be found automatically.
        return_std : bool
            Also return the formal mapping error, named ``<variable>_std``: it
            tends to ``sqrt(signal_variance_)`` far from the data (with
            ``mean="local"``, plus the uncertainty of the tile's mean).

        Returns
        -------
        xarray.DataArray or numpy.ndarray
            On the target's dims and coordinates, named after the variable, with its ``units``/``long_name``/
            ``standard_name``, a ``source`` attribute giving the method and its parameters, and a ``history``
            line. With ``return_std``, a tuple ``(map, error)``.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
        >>> on_tracks = oi.predict(tracks)  # scattered target: for scoring
        >>> on_tracks.dims, on_tracks.shape == tracks.sla.shape
        (('time',), True)
        >>> oi.predict({"lon": [5.0], "lat": [35.0], "time": [np.datetime64("2020-01-02")]}).shape
        (1,)
        """
        return _warn_ill_conditioned(self, self._predict(target, lat, lon, time, return_std), return_std)

    # ------------------------------------------------------------------ the tiled solve
    def _predict_points(self, lon, lat, t, return_std, frame=None, extents=None):
        n = lon.size
        if frame is None and n > OI_BLOCK_POINTS:  # (about 400 bytes a point at once: 12 GB for a month at 1/4 deg)
            return _in_blocks(self, lon, lat, t, return_std)
        mean = np.full(n, np.nan)
        std = np.full(n, np.nan) if return_std else None
        use_t = self._time_used()
        ok = np.isfinite(lon) & np.isfinite(lat)
        if use_t:
            ok &= np.isfinite(t)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return mean, std
        s2 = self.signal_variance_
        lx, ly = float(self.lx), float(self.ly)
        lt = float(self.lt) if use_t else None
        lon_p, lat_p = lon[idx], lat[idx]
        t_p = t[idx] if use_t else None

        # Tiles: a lattice of tile*ly km in latitude, tile*lx km in longitude (at the
        # targets' central latitude) and tile*lt days; each point is solved by its own
        # tile and, within `overlap` of a boundary, by the neighbour too (blended).
        west, lat_ref, origin = _tile_frame(lon_p, lat_p, t_p) if frame is None else frame
        lon_rel = (lon_p - west) % 360.0
        overlap, steps = float(self.overlap), _tile_steps(self, lat_ref)
        point, cell, weight, primary = _tile_cells(self, [lat_p, lon_rel] + ([t_p] if use_t else []), origin, steps)
        cell_min = cell.min(axis=0)
        cell -= cell_min
        sizes = cell.max(axis=0) + 1
        nt = int(sizes[2]) if use_t else 1
        key = (cell[:, 0] * int(sizes[1]) + cell[:, 1]) * nt + (cell[:, 2] if use_t else 0)
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        space_sorted = key_sorted // nt
        space_starts = np.flatnonzero(np.r_[True, space_sorted[1:] != space_sorted[:-1]])
        space_ends = np.r_[space_starts[1:], order.size]

        def core(values, k, dim, tile):
            """Extent of a tile's own cell along ``dim``, within the extent of its points (``extents``: of the
            whole target's, where this is a block of it)."""
            lo_c = origin[dim] + (k + cell_min[dim] - overlap) * steps[dim]
            low, high = (values.min(), values.max()) if extents is None else extents[dim][tile]
            return np.clip(low, lo_c, lo_c + steps[dim]), np.clip(high, lo_c, lo_c + steps[dim])

        acc_mean = np.zeros(idx.size)
        acc_var = np.zeros(idx.size) if return_std else None
        work = _Workspace()
        obs_lon, obs_lat, obs_t = self.obs_lon_, self.obs_lat_, self.obs_time_
        halo = float(self.halo)
        tiles = zip(space_starts, space_ends)
        if self.progress and space_starts.size >= PROGRESS_MIN_TILES:
            tqdm = progress_bar()

            tiles = tqdm(tiles, total=space_starts.size, desc="optimal interpolation", unit="tile", leave=False,
                         delay=PROGRESS_DELAY)
        for s0, s1 in tiles:
            first = order[s0]
            members = point[order[s0:s1]]
            # the halo is measured from the tile's own cell (the blending zone lies inside it)
            tile = (int(cell[first, 0] + cell_min[0]), int(cell[first, 1] + cell_min[1]))  # (on the whole lattice)
            la0, la1 = core(lat_p[members], cell[first, 0], 0, tile)
            lo0, lo1 = core(lon_rel[members], cell[first, 1], 1, tile)
            lat0 = 0.5 * (la0 + la1)
            lon0 = west + 0.5 * (lo0 + lo1)
            coslat = math.cos(math.radians(min(abs(lat0), MAX_TANGENT_LATITUDE)))
            hx = 0.5 * (lo1 - lo0) * KM_PER_DEGREE * coslat
            hy = 0.5 * (la1 - la0) * KM_PER_DEGREE
            # observations within the halo in space: x, y in km in the tile's tangent plane
            sel = np.flatnonzero(np.abs(obs_lat - lat0) * KM_PER_DEGREE <= hy + halo * ly)
            x_o = KM_PER_DEGREE * coslat * _coords.wrap_longitude(obs_lon[sel] - lon0)
            inside = np.abs(x_o) <= hx + halo * lx
            sel, x_o = sel[inside], x_o[inside]
            y_o = (obs_lat[sel] - lat0) * KM_PER_DEGREE
            t_o = obs_t[sel] if use_t else None  # sorted: observations are kept in time order
            sub_keys = key_sorted[s0:s1]
            t_starts = np.flatnonzero(np.r_[True, sub_keys[1:] != sub_keys[:-1]])
            t_ends = np.r_[t_starts[1:], sub_keys.size]
            for a, b in zip(t_starts, t_ends):
                entries = order[s0 + a : s0 + b]
                pts = point[entries]
                xt = KM_PER_DEGREE * coslat * _coords.wrap_longitude(lon_p[pts] - lon0)
                yt = (lat_p[pts] - lat0) * KM_PER_DEGREE
                if use_t:
                    tt = t_p[pts]
                    ta, tb = core(tt, cell[entries[0], 2], 2, tile + (int(cell[entries[0], 2] + cell_min[2]),))
                    tc, ht = 0.5 * (ta + tb), 0.5 * (tb - ta)
                    window = slice(
                        np.searchsorted(t_o, ta - halo * lt, side="left"),
                        np.searchsorted(t_o, tb + halo * lt, side="right"),
                    )
                    uo = np.column_stack([x_o[window] / lx, y_o[window] / ly, (t_o[window] - tc) / lt])
                    ut = np.column_stack([xt / lx, yt / ly, (tt - tc) / lt])
                    box = np.array([hx / lx, hy / ly, ht / lt])
                else:
                    window = slice(0, sel.size)
                    uo = np.column_stack([x_o / lx, y_o / ly])
                    ut = np.column_stack([xt / lx, yt / ly])
                    box = np.array([hx / lx, hy / ly])
                uo, obs_idx = self._bounded(uo, sel[window], box, (lon0, lat0, coslat) + ((tc,) if use_t else ()))
                # the formal error of a point comes from its own tile only (blending it would cost 3x more)
                with_std = primary[entries] if return_std else None
                m, v = self._solve_tile(
                    uo, self.obs_anomaly_[obs_idx], self.obs_error_variance_[obs_idx], ut, with_std, work
                )
                _scatter_add(acc_mean, pts, weight[entries] * m)
                if return_std:
                    acc_var[pts[with_std]] = v
        mean[idx] = acc_mean + self.mean_
        if return_std:
            # far from the data the error is the signal's, plus (local mean) the uncertainty of the tile's mean
            std[idx] = np.sqrt(np.clip(acc_var, 0.0, s2 if self.mean == "global" else None))
        return mean, std

    def _bounded(self, uo, obs_idx, box, centre):
        """A tile's observations (scaled coordinates ``uo``, indices): at most ``max_obs``, the nearest to its box;
        with ``mean="local"``, at least :data:`MEAN_MIN_OBS` (``centre``: see :meth:`_nearest_observations`)."""
        if obs_idx.size > self.max_obs:
            keep = _nearest_to_box(uo, box, int(self.max_obs))
            return uo[keep], obs_idx[keep]
        if self.mean == "local" and obs_idx.size < min(MEAN_MIN_OBS, self.obs_lat_.size):
            # too few observations to estimate the tile's mean (a gap, a lone pass): the nearest ones wherever they
            # are, so the mean comes from the nearest data and not from a handful of observations or none
            return self._nearest_observations(centre, box, MEAN_MIN_OBS)
        return uo, obs_idx

    def _nearest_observations(self, centre, box, n):
        """Scaled coordinates and indices of the ``n`` observations nearest to a tile's box, wherever they are
        (``centre``: see :class:`_NearestObservations`)."""
        if self._nearest is None or self._nearest.key != _NearestObservations.key_of(self):
            self._nearest = _NearestObservations(self)
        return self._nearest(centre, box, n)

    def _solve_tile(self, uo, yo, ro, ut, with_std, work):
        """Posterior mean anomaly at scaled target coords ``ut`` from scaled obs ``uo`` (values ``yo``,
        error variances ``ro``), and the posterior variance at the targets flagged in ``with_std``."""
        from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular

        s2 = self.signal_variance_
        nt, no = ut.shape[0], yo.size
        if no == 0:
            return np.zeros(nt), None if with_std is None else np.full(int(with_std.sum()), s2)
        diagonal = np.diag_indices(no)
        jitter = JITTER * s2
        for _ in range(4):
            k = self._covariance(uo, uo, work, "k")
            k[diagonal] += ro + jitter
            try:
                # k is symmetric: its transpose is the Fortran-ordered array LAPACK factorizes in place
                chol = cholesky(k.T, lower=True, overwrite_a=True, check_finite=False)
                break
            except LinAlgError:
                jitter *= 100.0
        else:
            raise ValueError(
                "The observation covariance is singular even with jitter added: several observations "
                "coincide and noise=0. Give a small positive noise (e.g. noise=1e-4)."
            )
        if self.mean == "local":  # K^-1 y and K^-1 1; the tile's mean by generalized least squares
            alpha, beta = cho_solve((chol, True), np.column_stack([yo, np.ones(no)]), check_finite=False).T
            weight = float(beta.sum())  # 1^T K^-1 1 > 0: the precision of the tile's mean
            level = float(alpha.sum()) / weight
        else:
            alpha, beta, level = cho_solve((chol, True), yo, check_finite=False), None, 0.0
        mean = np.empty(nt)
        for c0 in range(0, nt, TARGET_CHUNK):
            c1 = min(nt, c0 + TARGET_CHUNK)
            cto = self._covariance(ut[c0:c1], uo, work, "cto")
            mean[c0:c1] = cto @ alpha if beta is None else cto @ alpha + level * (1.0 - cto @ beta)
        if with_std is None:
            return mean, None
        us = ut[with_std]
        var = np.empty(us.shape[0])
        for c0 in range(0, us.shape[0], TARGET_CHUNK):
            c1 = min(us.shape[0], c0 + TARGET_CHUNK)
            cto = self._covariance(us[c0:c1], uo, work, "cto")
            unexplained = 0.0 if beta is None else (1.0 - cto @ beta) ** 2 / weight  # the mean's own error
            w = solve_triangular(chol, cto.T, lower=True, overwrite_b=True, check_finite=False)
            var[c0:c1] = s2 - np.einsum("ij,ij->j", w, w) + unexplained
        return mean, var

    def _covariance(self, a, b, work, name):
        """Prior covariance between scaled coordinates ``a`` (rows) and ``b``, in the workspace array ``name``:
        the Gaussian of the decorrelation scales and, with ``broad``, a second one ``broad`` times longer."""
        s2 = self.signal_variance_
        out = work.get(name, (a.shape[0], b.shape[0]))
        if self.broad is None:
            return _gaussian(a, b, s2, out)
        share, k = float(self.broad_share), float(self.broad)
        if (1.0 - share) * s2 > 0.0:
            _gaussian(a, b, (1.0 - share) * s2, out)
        else:  # a share that rounds the mesoscale's variance to 0
            out.fill(0.0)
        if share * s2 > 0.0:
            out += _gaussian(a / k, b / k, share * s2, work.get(name + " broad", out.shape))
        return out

    def _source_note(self) -> str:
        units = self._units()
        u2 = f" {units}^2" if units else ""
        scales = f"Lx={self.lx:g} km, Ly={self.ly:g} km"
        if self._time_used():
            scales += f", Lt={self.lt:g} days"
        so = f", superobservations of {self.superobs:g} scales ({self.n_superobs_})" if self.superobs is not None else ""
        about = "about each tile's own mean (ordinary kriging)" if self.mean == "local" else "about the observations' mean"
        if self.broad is not None:
            scales += (f"; plus a broad Gaussian {self.broad:g} times longer with {self.broad_share:g} of the "
                       f"signal variance")
        return (
            f"geoinr {__version__}: optimal interpolation with a Gaussian covariance ({scales}, "
            f"signal variance {self.signal_variance_:.4g}{u2}, noise={self.noise:g} of it; "
            f"{about}; "
            f"tiles of {self.tile:g} scales, halo {self.halo:g} scales, max_obs={self.max_obs}{so}) "
            f"of {self.variable_} from {self.n_obs_} observations"
        )

    def _std_comment(self, j: int = 0) -> str:
        mean = " + variance of the tile's estimated mean" if self.mean == "local" else ""
        return (
            f"formal error of the optimal interpolation: sqrt(signal variance - explained variance{mean}); "
            "exact only if the Gaussian covariance and the noise level are right"
        )


def _check_broad(broad, share) -> None:
    """``OptimalInterpolation(broad=, broad_share=)``: a length above 1 (in scales), a share in (0, 1)."""
    for name, value in (("broad", broad), ("broad_share", share)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number; got {value!r} ({type(value).__name__}).")
    if not (np.isfinite(broad) and broad > 1):
        raise ValueError(f"broad is the length of the broad covariance in decorrelation scales: a number above 1 "
                         f"(e.g. 2.0), or None for one scale; got {broad!r}.")
    if not 0.0 < share < 1.0:
        raise ValueError(f"broad_share is the broad covariance's share of the signal variance: a number "
                         f"strictly between 0 and 1 (e.g. 0.5); got {share!r}.")


class _NearestObservations:
    """The observations nearest to a tile's box, wherever they are, for ``OptimalInterpolation(mean="local")``.

    Called with ``centre`` = (lon0, lat0, cos(lat0)[, tc]) (the tile's tangent point and time centre), the box's
    half-widths in scales and ``n``, it returns the scaled coordinates and indices of the ``n`` nearest to the box
    in the tile's tangent plane (ties to the lower index), as a scan of every observation finds them. Candidates
    come from a k-d tree of all observations (chord distance over the shorter of ``lx, ly``, time over ``lt``):
    the :data:`NEAREST_CANDIDATES_PER` ``n`` nearest to the centre (at least :data:`NEAREST_CANDIDATES_MIN`), four
    times more until the farthest candidate lies beyond any observation as near to the box as the ``n``-th chosen
    (a bound that allows for ``lx != ly`` and, by :data:`NEAREST_PLANE_SLACK`, for the tangent plane against the
    chord). Beyond :data:`NEAREST_EXACT_SCALES` scales from the box the plane itself distorts distances, and the
    first candidates are kept. Each such tile scanned every observation until 2026-12-05: land makes thousands
    of them on a global map, where the scans took most of the time (a 1 deg global day from 200,000
    observations: 130 s, 25 s with the tree; 6 of its 57,600 points moved, by up to 6 cm, at 79.5 N, far from
    the data).
    """

    def __init__(self, oi: OptimalInterpolation):
        self.lon, self.lat, self.time = oi.obs_lon_, oi.obs_lat_, oi.obs_time_
        self.key = self.lx, self.ly, self.lt = self.key_of(oi)
        self.tree = None

    @staticmethod
    def key_of(oi: OptimalInterpolation) -> tuple:
        """What the tree depends on besides the observations (``set_params`` may change it without a refit)."""
        return float(oi.lx), float(oi.ly), float(oi.lt) if oi._time_used() else None

    def __call__(self, centre, box, n):
        lon0, lat0, coslat = centre[:3]
        total = self.lat.size
        n = min(int(n), total)
        k = max(NEAREST_CANDIDATES_PER * n, NEAREST_CANDIDATES_MIN)
        stretch = max(self.lx, self.ly) / min(self.lx, self.ly)
        reach = float(np.sqrt(np.sum(np.square(box))))  # from the box's centre to its corners, in scales
        while True:
            if k < total:
                distance, idx = self._tree().query(self._points(np.array([lon0]), np.array([lat0]),
                                                                centre[3:] or None)[0], k=k)
                farthest, idx = float(distance[-1]), np.sort(idx)
            else:
                farthest, idx = np.inf, np.arange(total)
            columns = [KM_PER_DEGREE * coslat * _coords.wrap_longitude(self.lon[idx] - lon0) / self.lx,
                       (self.lat[idx] - lat0) * KM_PER_DEGREE / self.ly]
            if len(centre) > 3:
                columns.append((self.time[idx] - centre[3]) / self.lt)
            uo = np.column_stack(columns)
            keep = _nearest_to_box(uo, box, n)
            nth = float(np.sqrt(_box_distance2(uo[keep], box).max()))
            if nth > NEAREST_EXACT_SCALES or farthest > stretch * (nth + reach) * NEAREST_PLANE_SLACK:
                return uo[keep], idx[keep]
            k *= 4

    def _points(self, lon, lat, time):
        points = xyz_km(lon, lat) / min(self.lx, self.ly)
        if self.lt is None:
            return points
        return np.column_stack([points, (np.asarray(time, dtype=float) - self.time[0]) / self.lt])

    def _tree(self):
        if self.tree is None:
            from scipy.spatial import cKDTree

            self.tree = cKDTree(self._points(self.lon, self.lat, self.time))
        return self.tree


# ====================================================================== linear interpolation
def _warn_ill_conditioned(oi: OptimalInterpolation, out, with_std: bool):
    """``out`` (a map, or the pair with its error), after a warning where the map runs far beyond the observations:
    with a tiny ``noise`` the covariance of dense observations (1 Hz tracks) cannot be solved accurately, and
    ``noise=0`` made maps of hundreds of metres from a field of 0.3 m, with a formal error of 1e-5 m (a review of
    2026-12-06)."""
    values = np.asarray(out[0] if with_std else out, dtype=np.float64)
    span = float(np.ptp(oi.obs_anomaly_)) if oi.obs_anomaly_.size else 0.0
    worst = float(np.nanmax(np.abs(values - oi.mean_), initial=0.0))
    if span > 0 and worst > ILL_CONDITIONED_SPANS * span:
        warnings.warn(
            f"OptimalInterpolation: the map reaches {worst:.3g} from the mean, {worst / span:.0f} times the "
            f"observations' whole range ({span:.3g}): with noise={oi.noise:g} the covariance of these "
            f"observations cannot be solved accurately. Give a larger noise (on dense tracks 1e-4 or more), "
            f"or superobs.", GeoinrWarning, stacklevel=user_stacklevel())
    return out


class LinearInterpolator(_Baseline):
    """Linear interpolation in space of the observations within a time window: the floor.

    For each target time, the observations within ``window / 2`` days of it are
    triangulated (Delaunay) in (longitude, latitude), longitude scaled by the
    cosine of the central latitude so triangles are not stretched, and
    interpolated linearly (:class:`scipy.interpolate.LinearNDInterpolator`). A
    plane is reproduced exactly. Outside the convex hull of the observations the
    result is NaN, or the nearest observation's value with ``fill="nearest"``; it
    is NaN either way where no observation falls within the window.

    Target times are grouped to multiples of ``time_resolution`` days (daily and
    6-hourly grids are exact); one triangulation serves each group, so scattered
    targets with a million distinct times cost a few hundred triangulations.

    Parameters
    ----------
    window : float or None
        days: total width of the time window (observations within +-window/2).
        None pools all observations (and maps a purely spatial field).
    fill : {None, "nearest"}
        What to return outside the convex hull of the observations.
    time_resolution : float
        days: target times are rounded to this step to choose their window.

    Examples
    --------
    >>> import geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=6, seed=0)
    >>> lin = geoinr.baselines.LinearInterpolator(window=5.0).fit(tracks, "sla")
    >>> grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).drop_vars(["sla", "sla_true"])
    >>> maps = lin.predict(grid.isel(time=[1]))
    >>> maps.dims, maps.name
    (('time', 'lat', 'lon'), 'sla')
    """


    def __init__(self, window: float | None = 5.0, *, fill: str | None = None, time_resolution: float = 0.25):
        self.window = window
        self.fill = fill
        self.time_resolution = time_resolution

    def _uses_time(self) -> bool:
        return self.window is not None

    def _fit_state(self) -> dict:  # (whether time was read; of one instant, it never is)
        return {} if self._one_instant() else {"window given": self.window is not None}

    def _check_params(self) -> None:
        if self.fill not in (None, "nearest"):
            raise ValueError(f"fill must be None (NaN outside the data's convex hull) or 'nearest'; got {self.fill!r}.")
        if self.window is not None and not (np.isfinite(self.window) and self.window > 0):
            raise ValueError(f"window must be a positive number of days, or None; got {self.window!r}.")
        if not (np.isfinite(self.time_resolution) and self.time_resolution > 0):
            raise ValueError(f"time_resolution must be a positive number of days; got {self.time_resolution!r}.")

    def _fit_points(self, lon, lat, t, y) -> None:
        self.obs_lon_, self.obs_lat_, self.obs_time_, self.obs_values_ = lon, lat, t, y
        lo, hi = _coords.longitude_span(lon)
        self.lon_center_ = float(0.5 * (lo + hi))
        lat_c = 0.5 * (np.min(lat) + np.max(lat))
        self.lon_scale_ = math.cos(math.radians(min(abs(lat_c), MAX_TANGENT_LATITUDE)))

    def predict(self, target, *, lat=None, lon=None, time=None):
        """Interpolate onto ``target`` (a grid, scattered points, or a dict of arrays).

        Returns
        -------
        xarray.DataArray or numpy.ndarray
            Like :meth:`OptimalInterpolation.predict`: the target's dims and
            coordinates, the variable's name and attributes, ``source``, ``history``.

        Examples
        --------
        >>> import numpy as np, geoinr
        >>> lin = geoinr.baselines.LinearInterpolator(window=None)
        >>> lin = lin.fit({"lon": [0.0, 1.0, 0.0, 1.0], "lat": [0.0, 0.0, 1.0, 1.0], "h": [0.0, 1.0, 2.0, 3.0]}, "h")
        >>> lin.predict({"lon": [0.5, 5.0], "lat": [0.5, 0.5]})
        array([1.5, nan])
        """
        return self._predict(target, lat, lon, time, return_std=False)

    def _xy(self, lon, lat):
        return np.column_stack([_coords.wrap_longitude(lon - self.lon_center_) * self.lon_scale_, lat])

    def _predict_points(self, lon, lat, t, return_std):
        n = lon.size
        out = np.full(n, np.nan)
        # (one instant: every observation at every date, as OI and INRModel map it; NaN away from it before)
        use_t = self.window is not None and self.time_axis_ is not None and not self._one_instant()
        ok = np.isfinite(lon) & np.isfinite(lat)
        if use_t:
            ok &= np.isfinite(t)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return out, None
        xy = self._xy(lon[idx], lat[idx])
        obs_xy = self._xy(self.obs_lon_, self.obs_lat_)
        if not use_t:
            out[idx] = self._interpolate(obs_xy, self.obs_values_, xy)
            return out, None
        res = float(self.time_resolution)
        group = np.round(t[idx] / res).astype(np.int64)
        order = np.argsort(group, kind="stable")
        g_sorted = group[order]
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
        ends = np.r_[starts[1:], order.size]
        half = 0.5 * float(self.window)
        for a, b in zip(starts, ends):
            tc = g_sorted[a] * res
            i0 = np.searchsorted(self.obs_time_, tc - half, side="left")
            i1 = np.searchsorted(self.obs_time_, tc + half, side="right")
            pts = order[a:b]
            out[idx[pts]] = self._interpolate(obs_xy[i0:i1], self.obs_values_[i0:i1], xy[pts])
        return out, None

    def _interpolate(self, obs_xy, values, xy):
        from scipy.interpolate import LinearNDInterpolator
        from scipy.spatial import QhullError, cKDTree

        result = np.full(xy.shape[0], np.nan)
        if values.size == 0:
            return result
        if values.size >= 3:
            try:
                result = LinearNDInterpolator(obs_xy, values)(xy)
            except QhullError:  # fewer than 3 distinct points, or all on one line
                pass
        if self.fill == "nearest":
            miss = ~np.isfinite(result)
            if miss.any():
                _, j = cKDTree(obs_xy).query(xy[miss])
                result[miss] = values[j]
        return result

    def _source_note(self) -> str:
        when = f"within +-{0.5 * self.window:g} days of each target time" if self.window is not None else "at all times"
        fill = ", nearest observation outside their convex hull" if self.fill == "nearest" else ""
        return (
            f"geoinr {__version__}: linear interpolation in (lon, lat) of the {self.variable_} observations "
            f"{when} (scipy LinearNDInterpolator{fill}) from {self.n_obs_} observations"
        )


# ====================================================================== helpers
def _scatter_add(acc: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """acc[index] += values, with repeated indices summed."""
    acc += np.bincount(index, weights=values, minlength=acc.size)


def _taper(distance: np.ndarray, overlap: float) -> np.ndarray:
    """Weight of a tile at ``distance`` (in tile sides) from its centre: 1 inside, cos^2 ramp across the boundary.

    The ramp runs over ``overlap`` either side of the boundary (distance 0.5), and the weights of two
    neighbouring tiles sum to 1 (cos^2 + sin^2): a smooth partition of unity.
    """
    if overlap <= 0:
        return np.ones_like(distance)
    r = np.clip((distance - 0.5) / overlap, -1.0, 1.0)
    return np.cos(0.25 * np.pi * (r + 1.0)) ** 2


OI_BLOCK_POINTS = 1 << 21  # target points solved at once by OptimalInterpolation (about 0.8 GB of work arrays)


def _tile_frame(lon, lat, t) -> tuple:
    """(west, reference latitude, lattice origin) of OI's tiles over target points (finite): the origin is their
    south-west-first corner (lat, lon from ``west``[, time])."""
    return (_coords.longitude_span(lon)[0], 0.5 * (lat.min() + lat.max()),
            [lat.min(), 0.0] + ([t.min()] if t is not None else []))


def _tile_steps(oi, lat_ref: float) -> list:
    """The sides of OI's tiles: ``tile`` times ``ly`` (degrees of latitude), ``lx`` (degrees of longitude at
    ``lat_ref``)[, ``lt`` (days)]."""
    cos_ref = math.cos(math.radians(min(abs(lat_ref), MAX_TANGENT_LATITUDE)))
    steps = [oi.tile * float(oi.ly) / KM_PER_DEGREE, oi.tile * float(oi.lx) / (KM_PER_DEGREE * cos_ref)]  # degrees
    return steps + ([oi.tile * float(oi.lt)] if oi._time_used() else [])  # days


def _tile_cells(oi, values, origin, steps) -> tuple:
    """:func:`_blend_tiles` of the points ``values`` (lat, lon from the frame's west[, time]) on the lattice of
    ``origin`` and ``steps``: (point, cell, weight, primary)."""
    overlap = float(oi.overlap)
    return _blend_tiles(np.stack([(v - o) / st + overlap for v, o, st in zip(values, origin, steps)], axis=1), overlap)


def _tile_extents(oi, lon, lat, t, frame, use_t: bool) -> list:
    """Each tile's extent of its target points over the whole target, block by block: per dimension (lat, lon from
    the frame's west[, time]) a dict of (low, high) by the tile's cell on the lattice (spatial cells for lat and
    lon, space-time cells for time), as :meth:`OptimalInterpolation._predict_points` measures a tile's halo."""
    west, lat_ref, origin = frame
    steps, found = _tile_steps(oi, lat_ref), [None] * (3 if use_t else 2)
    for s in range(0, lon.size, OI_BLOCK_POINTS):
        part = slice(s, min(s + OI_BLOCK_POINTS, lon.size))
        ok = np.isfinite(lon[part]) & np.isfinite(lat[part]) & (np.isfinite(t[part]) if use_t else True)
        values = [lat[part][ok], (lon[part][ok] - west) % 360.0] + ([t[part][ok]] if use_t else [])
        point, cell, _, _ = _tile_cells(oi, values, origin, steps)
        for dim in range(len(found)):
            keys = [cell[:, d] for d in range(2 if dim < 2 else 3)]
            table = pd.DataFrame({"v": values[dim][point]}).groupby(keys)["v"].agg(["min", "max"])
            found[dim] = table if found[dim] is None else pd.concat([found[dim], table]).groupby(level=list(
                range(len(keys)))).agg({"min": "min", "max": "max"})
    return [{k: (r["min"], r["max"]) for k, r in zip(table.index, table.to_dict("records"))} for table in found]


def _in_blocks(oi, lon, lat, t, return_std) -> tuple:
    """``oi._predict_points`` over blocks of :data:`OI_BLOCK_POINTS` targets on one lattice of tiles (the whole
    target's, :func:`_tile_frame`), each tile's halo from its points over the whole target (:func:`_tile_extents`):
    the whole target's map, in the memory of a block (a review: 400 bytes a point at once, 12 GB for a month of a
    1/4 degree globe)."""
    use_t = oi._time_used()
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.isfinite(t) if use_t else True)
    mean = np.full(lon.size, np.nan)
    std = np.full(lon.size, np.nan) if return_std else None
    if not ok.any():
        return mean, std
    frame = _tile_frame(lon[ok], lat[ok], t[ok] if use_t else None)
    extents = _tile_extents(oi, lon, lat, t, frame, use_t)
    # the blocks in the order of the points' own tiles (a grid's rows cut every tile at every block: each tile's
    # solve made once a block, twice the time)
    west, lat_ref, origin = frame
    values = [lat[ok], (lon[ok] - west) % 360.0] + ([t[ok]] if use_t else [])
    cells = [np.floor((v - o) / st).astype(np.int64) for v, o, st in zip(values, origin, _tile_steps(oi, lat_ref))]
    key = cells[0]
    for c in cells[1:]:
        key = key * (int(c.max()) + 1) + c  # (cells from 0: the frame's origin is the points' corner)
    order = np.flatnonzero(ok)[np.argsort(key, kind="stable")]
    for s in range(0, order.size, OI_BLOCK_POINTS):
        part = order[s:s + OI_BLOCK_POINTS]
        m, sd = oi._predict_points(lon[part], lat[part], t[part] if use_t else None, return_std, frame, extents)
        mean[part] = m
        if return_std:
            std[part] = sd
    return mean, std


def _blend_tiles(a: np.ndarray, overlap: float):
    """(point, tile cell, weight, primary) entries for lattice coordinates ``a`` (n, d) in tile units.

    Each point belongs to the cell ``floor(a)`` and, where it lies within ``overlap`` of a
    face, to the neighbouring cell across it; the weights of each point sum to 1. The
    entry of the point's own cell (``primary``) has the largest weight.
    """
    d = a.shape[1]
    own = np.floor(a).astype(np.int64)
    frac = a - own
    # per dimension: the own cell, and the neighbour (-1, +1 or 0 for none)
    side = np.where(frac < overlap, -1, np.where(frac > 1.0 - overlap, 1, 0)).astype(np.int64)
    w_own = _taper(np.abs(frac - 0.5), overlap)
    w_nbr = np.where(side != 0, 1.0 - w_own, 0.0)
    points, cells, weights, primary = [], [], [], []
    for combo in range(2**d):
        use_nbr = np.array([(combo >> k) & 1 for k in range(d)], dtype=bool)
        w = np.prod(np.where(use_nbr, w_nbr, w_own), axis=1)
        keep = np.flatnonzero(w > 0)
        if keep.size:
            points.append(keep)
            cells.append(own[keep] + np.where(use_nbr, side[keep], 0))
            weights.append(w[keep])
            primary.append(np.full(keep.size, combo == 0))
    return np.concatenate(points), np.concatenate(cells), np.concatenate(weights), np.concatenate(primary)


def _gaussian(a: np.ndarray, b: np.ndarray, scale: float, out: np.ndarray) -> np.ndarray:
    """``scale * exp(-|a_i - b_j|^2)`` for scaled coordinates (rows), written into ``out``.

    One matrix product of augmented coordinates gives ``log(scale) - |a_i - b_j|^2``
    (three passes over the result in all, which matters: this is most of the cost).
    """
    a2 = (a * a).sum(axis=1)
    b2 = (b * b).sum(axis=1)
    left = np.column_stack([2.0 * a, math.log(scale) - a2, -np.ones_like(a2)])
    right = np.column_stack([b, np.ones_like(b2), b2])
    np.matmul(left, right.T, out=out)
    np.minimum(out, math.log(scale), out=out)  # rounding: |a - b|^2 >= 0
    return np.exp(out, out=out)


# an unknown keyword (variables= where fit takes variable=) gets a "Did you mean" (a review)
check_keywords(_Baseline, ("fit",))
check_keywords(OptimalInterpolation, ("predict",))
check_keywords(LinearInterpolator, ("predict",))


class _Workspace:
    """Reusable flat buffers: big temporary arrays are not page-faulted in afresh for every tile."""

    def __init__(self):
        self._buffers: dict = {}

    def get(self, name: str, shape: tuple) -> np.ndarray:
        size = int(np.prod(shape))
        buf = self._buffers.get(name)
        if buf is None or buf.size < size:
            buf = self._buffers[name] = np.empty(size)
        return buf[:size].reshape(shape)


def _weighed(lon, lat, t, y, w):
    """Observations with weight 0 left out, the others' weights scaled to a mean of 1 (None: alike)."""
    if w is None:
        return lon, lat, t, y, None
    keep = w > 0
    w = w[keep] / float(np.mean(w[keep]))
    return lon[keep], lat[keep], None if t is None else t[keep], y[keep], w


def _superobservations(lon, lat, t, y, bins, w=None):
    """Average observations falling in the same (x, y[, t]) bin of sizes ``bins`` (km, km[, days]).

    Returns the centroids (lon, lat[, t]), the mean values (weighted by ``w``) and the counts (the sum of the
    weights), in time order.
    """
    bx, by = bins[0], bins[1]
    west = _coords.longitude_span(lon)[0]
    lon_rel = (lon - west) % 360.0
    iy = np.floor(lat * KM_PER_DEGREE / by).astype(np.int64)
    band_lat = np.clip((iy + 0.5) * by / KM_PER_DEGREE, -MAX_TANGENT_LATITUDE, MAX_TANGENT_LATITUDE)
    ix = np.floor(lon_rel * KM_PER_DEGREE * np.cos(np.radians(band_lat)) / bx).astype(np.int64)
    cols = [iy, ix]
    if t is not None:
        cols.append(np.floor((t - t.min()) / bins[2]).astype(np.int64))
    _, inverse, counts = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()

    def mean(v):
        return np.bincount(inverse, weights=v, minlength=counts.size) / counts

    lon_m = _coords.wrap_longitude(mean(lon_rel) + west)
    lat_m, y_m = mean(lat), mean(y)
    t_m = mean(t) if t is not None else None
    if w is not None:  # (the counts after every centroid: they weigh the means above)
        counts = np.bincount(inverse, weights=w, minlength=counts.size)
        y_m = np.bincount(inverse, weights=w * y, minlength=counts.size) / counts
    order = np.argsort(t_m, kind="stable") if t_m is not None else np.arange(counts.size)
    return (
        lon_m[order],
        lat_m[order],
        None if t_m is None else t_m[order],
        y_m[order],
        counts[order].astype(np.float64),
    )


def _box_distance2(uo: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Squared distance of each observation (scaled coordinates ``uo``) to a tile's box (half-widths ``box``)."""
    return (np.maximum(np.abs(uo) - box, 0.0) ** 2).sum(axis=1)


def _nearest_to_box(uo: np.ndarray, box: np.ndarray, n: int) -> np.ndarray:
    """Sorted indices of the ``n`` observations (scaled coordinates ``uo``) nearest to a tile's box (half-widths
    ``box``). Observations inside the box are all at distance 0: when more than ``n`` are, an even subsample of
    them (every k-th, in the given time order) is kept rather than an arbitrary ``n``, so no part of the tile is
    left without data.

    Examples
    --------
    >>> uo = np.column_stack([np.linspace(-0.9, 0.9, 10), np.zeros(10)])
    >>> _nearest_to_box(uo, np.array([1.0, 1.0]), 4).tolist()
    [0, 3, 6, 9]
    """
    d2 = _box_distance2(uo, box)
    inside = np.flatnonzero(d2 == 0.0)
    if inside.size >= n:
        return inside[np.unique(np.round(np.linspace(0, inside.size - 1, n)).astype(int))]
    nth = np.partition(d2, n - 1)[n - 1]
    below = np.flatnonzero(d2 < nth)
    # ties at the n-th distance go to the lower indices, so a subset holding every tie chooses as the whole set does
    return np.sort(np.concatenate([below, np.flatnonzero(d2 == nth)[: n - below.size]]))


def _check_sizes(tile, halo, overlap, max_obs, superobs, progress=True) -> None:
    """``OptimalInterpolation``'s tiling and averaging sizes, checked (an infinite tile failed in numpy, an infinite
    ``max_obs`` in ``int()``, a fractional one was truncated in silence), and ``progress`` (``"no"`` is truthy)."""
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress must be True or False, got {progress!r}.")
    if not (0 < tile < np.inf and 0 <= halo < np.inf):
        raise ValueError(f"tile must be > 0 and halo >= 0, finite (in decorrelation scales); got tile={tile!r}, "
                         f"halo={halo!r}.")
    if not 0.0 <= overlap <= 0.5:
        raise ValueError(f"overlap must be in [0, 0.5] (a fraction of the tile side); got {overlap!r}.")
    if not (np.isfinite(max_obs) and float(max_obs).is_integer() and max_obs >= 1):
        raise ValueError(f"max_obs must be a positive whole number; got {max_obs!r}.")
    if superobs is not None and not 0 < superobs < np.inf:
        raise ValueError(f"superobs must be a positive bin size in decorrelation scales, or None; got {superobs!r}.")


def _warn_few_superobs(superobs, n_in: int, n_out: int) -> None:
    """Warn where superobservation bins leave under :data:`SUPEROBS_WARN_SHARE` of the observations: one bin of
    ``superobs=1e6`` averaged a record into one value, and the map was its mean, in silence."""
    if superobs is not None and n_out < max(2, SUPEROBS_WARN_SHARE * n_in):
        warnings.warn(f"superobs={superobs:g} decorrelation scales averaged {n_in:,} observations into {n_out:,}: "
                      f"bins that large smooth the map toward its mean. Use bins below one scale (superobs=0.25, "
                      f"say), or None.", GeoinrWarning, stacklevel=user_stacklevel())
