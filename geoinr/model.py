"""INRModel: where xarray, encodings, networks and training meet."""
from __future__ import annotations

import copy

import datetime as _dt
import inspect
import math
import warnings
from collections.abc import Mapping
from typing import Hashable, Sequence

import numpy as np
import pandas as pd
import torch
import xarray as xr
from torch import nn

from . import coords as _coords
from . import stream as _stream
from ._version import __version__
from .encoding import CoordinateEncoding
from .metrics import nrmse_score, rmse
from .nn import NETWORKS, build_network
from .nn.ensemble import Ensemble
from .physics.constants import DEG, EARTH_RADIUS_M
from .uncertainty import (
    BayesianLastLayer,
    DataDistance,
    calibrate,
    calibrate_gap,
    correlation_length,
    gap_fraction,
    noise_variance,
    output_layer,
    penultimate_features,
)
from .training import TrainConfig, Trainer, TrainingDiverged, distributed_world, resolve_device, setup_distributed

__all__ = ["INRModel"]

KEPT_ATTRS = ("units", "long_name", "standard_name")
UNCERTAINTY_METHODS = (None, "ensemble", "bayes_last_layer")
PHYSICS_TERMS = ("qg", "mass")
PRECISIONS = ("float32", "bfloat16")
STREAM_SAMPLE_POINTS = 500_000  # dask-backed fits: points of the contiguous sample that sets scales and frame
STREAM_VALIDATION_POINTS = 200_000  # held-out points kept in memory (thinned from the validation blocks)
STREAM_GROUP_POINTS = 200_000  # points read and shuffled together (blocks per group follows)
DERIVED_QUANTITIES = ("gradient", "geostrophic_velocity", "relative_vorticity", "pv")
DERIVED_OUTPUTS = {
    "gradient": ("deta_dx", "deta_dy"),
    "geostrophic_velocity": ("ugos", "vgos"),
    "relative_vorticity": ("zeta",),
    "pv": ("q",),
}
DERIVED_ATTRS = {
    "deta_dx": {"units": "1", "long_name": "eastward gradient of {long}"},
    "deta_dy": {"units": "1", "long_name": "northward gradient of {long}"},
    "ugos": {
        "units": "m s-1",
        "standard_name": "surface_geostrophic_eastward_sea_water_velocity",
        "long_name": "eastward geostrophic velocity from {long}",
    },
    "vgos": {
        "units": "m s-1",
        "standard_name": "surface_geostrophic_northward_sea_water_velocity",
        "long_name": "northward geostrophic velocity from {long}",
    },
    "zeta": {"units": "s-1", "long_name": "geostrophic relative vorticity from {long}"},
    "q": {"units": "s-1", "long_name": "1.5-layer quasi-geostrophic potential vorticity from {long}"},
}
_UNIT_TO_M = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0, "cm": 0.01, "mm": 0.001}
PREDICT_BATCH_CPU = 4096  # points per forward pass on CPU: activations stay in cache
PREDICT_BATCH_GPU = 262144  # points per forward pass on a GPU


class _Field(nn.Module):
    """encoding followed by network: raw coordinates -> standardized values."""

    def __init__(self, encoding: CoordinateEncoding, network: nn.Module):
        super().__init__()
        self.encoding = encoding
        self.network = network

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        with torch.autocast(raw.device.type, enabled=False):  # encodings always in float32
            features = self.encoding(raw)
        return self.network(features)


class _StreamFunctionField(nn.Module):
    """Divergence-free velocity: the network gives a streamfunction psi, and (u, v) follow from it.

    On the sphere, :math:`u = -\\frac{1}{R}\\partial_\\varphi\\psi`,
    :math:`v = \\frac{1}{R\\cos\\varphi}\\partial_\\lambda\\psi`, whose divergence
    :math:`\\frac{1}{R\\cos\\varphi}(\\partial_\\lambda u + \\partial_\\varphi(v\\cos\\varphi))` is zero
    identically. Returns standardized (u, v) like any field, so training and prediction
    need nothing else; the derivative is taken by autograd (kept in the graph while training).
    """

    def __init__(self, encoding: CoordinateEncoding, network: nn.Module, mean, std, psi_scale: float):
        super().__init__()
        self.encoding = encoding
        self.network = network
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("inv_std", torch.tensor([1.0 / s if s > 0 else 1.0 for s in std], dtype=torch.float32), persistent=False)
        self.psi_scale = float(psi_scale)  # m^2/s per unit of network output

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            r = raw if raw.requires_grad else raw.detach().requires_grad_(True)
            with torch.autocast(r.device.type, enabled=False):
                psi = self.network(self.encoding(r))[:, 0].float() * self.psi_scale
                (g,) = torch.autograd.grad(psi.sum(), r, create_graph=self.training or raw.requires_grad)
        u = -g[:, 1] / (EARTH_RADIUS_M * DEG)  # m/s; g is per degree
        v = g[:, 0] / (EARTH_RADIUS_M * DEG * torch.cos(r[:, 1] * DEG))
        return (torch.stack((u, v), dim=1) - self.mean) * self.inv_std


class INRModel:
    """An implicit neural representation of geophysical fields on lat/lon(/time).

    The constructor only stores parameters (scikit-learn style); :meth:`fit`
    learns, and learned attributes end in ``_``. Most users reach it through the
    xarray accessor: ``ds.inr.fit("sla")``.

    Parameters
    ----------
    model : str
        Network name: ``"siren"``, ``"modulated_siren"``, ``"nif"``, ``"fourier_net"``,
        ``"gabor_net"``, ``"ffn"``, ``"mlp"`` (see ``geoinr.nn.NETWORKS``).
    width, depth : int, optional
        Units per hidden layer and number of hidden layers (per-model defaults:
        256 and 3; NIF's ShapeNet 32 and 2).
    min_wavelength : float, optional
        km: the shortest wavelength the model should represent. Every model sets its
        frequencies from it (SIREN ``w0``, filter frequencies, Fourier-feature scales).
        Default: from the data's sampling (:func:`geoinr.scales.default_scales`),
        about 140 km for four altimeters over 10 days, 2 grid spacings for a full grid.
    min_period : float, optional
        days: the shortest period to represent. Default ``min_wavelength`` / 10 km/day
        (mesoscale eddies drift and decorrelate at a few km/day).
    w0 : float, optional
        Explicit SIREN first-layer frequency (SIREN-based models), overriding the one
        derived from ``min_wavelength``. The encoded coordinates span [-1, 1] over the
        region; Sitzmann et al. use 30 for images, which for gap-filling between
        satellite tracks invents structure between them (``benchmarks/frequency_sweep.py``).
    space_encoding : {"sphere", "lonlat", "spherical_harmonics"}
        Unit-sphere Cartesian coordinates (default; no seam at the dateline or the
        poles), local plane coordinates, or real spherical harmonics (global fits).
    time_encoding : {"linear", "tanh", "sinusoidal", "fourier"}
    model_options : dict, optional
        Options of the chosen network, e.g. ``{"variant": "last_layer"}`` for NIF,
        ``{"modulation": "shift"}`` for modulated SIREN, ``{"kernel": "matern"}`` for
        ffn, ``{"activation": "tanh"}`` for mlp.
    uncertainty : {None, "ensemble", "bayes_last_layer"}
        How to estimate the predictive standard deviation (``predict(return_std=True)``,
        :meth:`sample`): a deep ensemble of ``n_members`` networks trained in one
        batched pass, or a closed-form Bayesian last layer (one fit). Both are
        calibrated on the held-out validation set: whole satellite passes when the
        data are along-track (blocks of space and time otherwise), so that held-out
        points lie as far from the training data as a map's gaps do. The calibrated
        variance is the network's (scaled) plus a term that grows with the distance
        to the nearest training observation up to the field's own variance, over
        the field's correlation length from the variogram of the data. The scale
        is fitted to the held-out residuals pass by pass (block by block): along a
        pass the map's error is smooth and the measurement noise is not, so the
        likelihood of whole passes sees errors smaller than the noise (see
        :func:`geoinr.uncertainty.calibrate_gap`); ``calibration_`` holds its
        parameters.
    n_members : int
        Ensemble size.
    physics : {None, "qg", "mass"} or list of them
        Residual losses added to the data loss, at ``n_collocation`` points drawn
        each step uniformly over the fitted space-time box (not only at the
        observations). ``"qg"``: 1.5-layer quasi-geostrophic PV conservation of the
        (first) fitted variable as sea-surface height, on the beta-plane at the
        region's centre (:mod:`geoinr.physics.qg`). ``"mass"``: horizontal divergence
        of the two fitted variables taken as (eastward, northward) velocity. Residuals
        are made dimensionless by their natural scales (height or speed std,
        ``min_wavelength``, beta), so ``physics_weight`` means the same in every region.
    physics_weight : float
        Weight of the dimensionless residual's mean square against the standardized data MSE.
    physics_every : int
        Add the residual loss every this many steps. A physics step costs ~3x a data
        step (~6x in bfloat16, whose data steps are cheaper); every 8th step keeps the
        fit's step count and works best on the QG OSSE (``benchmarks/osse.py``:
        weight 0.1 every 8 steps mu 0.862, every 4 steps 0.851, every step 0.788).
    mass_constraint : {"penalty", "streamfunction"}
        For two fitted velocity components (eastward, northward): ``"streamfunction"``
        makes the network output a streamfunction and takes (u, v) from its
        derivatives, so the fitted flow is divergence-free on the sphere by construction
        (``physics="mass"`` is then zero and not needed). ``"penalty"`` (default) fits u and
        v freely; add ``physics="mass"`` to penalize their divergence.
    rossby_radius : float, optional
        km, for ``physics="qg"``; default 2.8 m/s / |f0| (Chelton et al. 1998).
    n_collocation : int
        Collocation points per step.
    batch_size : int
        Points per optimization step.
    precision : {"float32", "bfloat16"}
        Arithmetic of the data-fitting steps and of predictions. ``"bfloat16"``
        (``model="siren"`` only) runs the hidden width x width products in bfloat16
        with float32 accumulation -- about 2.5x the training throughput on CPUs
        with AVX512-BF16/AMX and on recent GPUs (``benchmarks/throughput.py``) --
        while the first layer (positions), the output layer, validation and every
        derivative (``physics=``, :meth:`derive`) stay float32. It adds a noise of
        about 1 % of the field's standard deviation; keep ``"float32"`` for
        regridding smooth fields to high accuracy.
    lr : float
        Peak learning rate of Adam (after warm-up, before cosine decay).
    epochs : int, optional
        Maximum number of passes over the training points.
    max_time : float, optional
        Wall-clock budget in seconds. Training stops at whichever of ``epochs`` and
        ``max_time`` comes first; the learning-rate schedule follows the budget that
        is closer to its end. For bit-repeatable runs give ``epochs`` and
        ``max_time=None``.
    validation : float
        Fraction of points held out for early stopping; the weights with the best
        validation loss are kept. 0 disables it.
    patience : int
        Validation checks without improvement before stopping early.
    seed : int or None
        Seed of the initialization, split and batch order; the same seed gives the
        same weights on CPU. None draws a fresh one.
    device : str
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    progress : bool
        Show a ``tqdm.auto`` progress bar (Jupyter or terminal) with the losses.

    Attributes
    ----------
    field_ : torch.nn.Module
        The fitted encoding and network (standardized outputs).
    variables_, variable_attrs_ : list of str, dict
        Fitted variables and their kept attributes (units, long_name, ...).
    mean_, std_ : list of float
        Normalization of each variable (its units).
    coord_names_, time_axis_, lon_convention_
        Coordinate names, time reference and longitude convention of the data.
    region_, time_range_ : tuple
        (west, east, south, north) in degrees and (first, last) time in days.
    n_points_ : int
        Observations fitted.
    encoding_config_ : dict
        Encoding parameters, ``min_wavelength`` (km) and ``min_period`` (days) included.
    history_ : pandas.DataFrame
        One row per validation check: epoch, step, seconds, lr, loss, val_loss, physics_loss.
    fit_seconds_, stop_reason_, best_val_loss_, fitted_at_, device_
        Training time, why it ended, best validation loss, when, and where the weights are.
    calibration_ : dict or None
        With ``uncertainty=``: ``variance_scale`` (c), ``gap_variance`` (a, field
        variance), ``gap_length_km`` (l) and its source, ``noise_variance``
        (standardized units), ``error_length_km`` (the correlation length of the
        map's error along held-out passes) and ``error_floor`` (b, standardized),
        ``speed_km_per_day`` and the points it was measured on (see
        :func:`geoinr.uncertainty.calibrate_gap`).
    data_distance_ : list of geoinr.uncertainty.DataDistance, or None
        With ``uncertainty=`` and a distance term: per variable, the (thinned)
        training sites where it was observed.

    Examples
    --------
    >>> import numpy as np, geoinr
    >>> rng = np.random.default_rng(0)
    >>> lon, lat = rng.uniform(0, 10, 500), rng.uniform(40, 50, 500)
    >>> m = geoinr.INRModel(width=32, depth=2, epochs=5, max_time=None, progress=False)
    >>> m = m.fit({"lon": lon, "lat": lat}, np.sin(np.radians(lon * 20)))
    >>> m.predict({"lon": [5.0], "lat": [45.0]}).shape
    (1,)
    """

    def __init__(
        self,
        model: str = "siren",
        *,
        width: int | None = None,
        depth: int | None = None,
        min_wavelength: float | None = None,
        min_period: float | None = None,
        w0: float | None = None,
        space_encoding: str = "sphere",
        time_encoding: str = "linear",
        model_options: dict | None = None,
        uncertainty: str | None = None,
        n_members: int = 5,
        physics=None,
        physics_weight: float = 0.1,
        mass_constraint: str = "penalty",
        physics_every: int = 8,
        rossby_radius: float | None = None,
        n_collocation: int = 1024,
        batch_size: int = 4096,
        precision: str = "float32",
        lr: float = 1e-4,
        epochs: int | None = None,
        max_time: float | None = 60.0,
        validation: float = 0.1,
        patience: int = 20,
        seed: int | None = 0,
        device: str = "auto",
        progress: bool = True,
    ):
        self.model = model
        self.width = width
        self.depth = depth
        self.min_wavelength = min_wavelength
        self.min_period = min_period
        self.w0 = w0
        self.space_encoding = space_encoding
        self.time_encoding = time_encoding
        self.model_options = model_options
        self.uncertainty = uncertainty
        self.n_members = n_members
        self.physics = physics
        self.physics_weight = physics_weight
        self.mass_constraint = mass_constraint
        self.physics_every = physics_every
        self.rossby_radius = rossby_radius
        self.n_collocation = n_collocation
        self.batch_size = batch_size
        self.precision = precision
        self.lr = lr
        self.epochs = epochs
        self.max_time = max_time
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.device = device
        self.progress = progress

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters as a dict (scikit-learn protocol)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params) -> "INRModel":
        """Set constructor parameters; returns self (scikit-learn protocol)."""
        valid = self._param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"Unknown parameter {k!r} for INRModel. Valid parameters: {', '.join(valid)}.")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        """The constructor call (non-default parameters); a fitted model adds network, encodings,
        data, training time, best validation score and device, one line each (:mod:`geoinr.display`)."""
        from .display import to_text

        return to_text(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the same facts as ``repr`` in a compact, escaped HTML table."""
        from .display import to_html

        return to_html(self)

    def plot_history(self, ax=None, **kwargs):
        """Training and validation loss against epochs (needs matplotlib); see :func:`geoinr.plot.plot_history`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plot import plot_history

        return plot_history(self, ax=ax, **kwargs)

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "field_")

    def _check_fitted(self):
        if not self.is_fitted:
            raise RuntimeError("This INRModel is not fitted yet; call fit(...) first (or ds.inr.fit(...)).")

    @property
    def history(self) -> pd.DataFrame:
        """Training history, one row per validation check: epoch, step, seconds, lr, loss, val_loss."""
        self._check_fitted()
        return self.history_

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data,
        values=None,
        *,
        variables: Hashable | Sequence[Hashable] | None = None,
        lat: Hashable | None = None,
        lon: Hashable | None = None,
        time: Hashable | None = None,
        checkpoint=None,
        checkpoint_every: float = 60.0,
        resume=None,
    ) -> "INRModel":
        """Fit the network to observations; returns ``self``.

        Parameters
        ----------
        data : xarray.Dataset, xarray.DataArray or dict
            Gridded data with NaN gaps (any dimension order), scattered data along
            one observation dimension (along-track layout), or a dict of 1-D numpy
            arrays ``{"lon": ..., "lat": ...[, "time": ...]}``.
        values : array-like, optional
            With a dict: the observations, shape ``(n,)`` or ``(n, k)`` for k fields.
        variables : str or list of str, optional
            Dataset variables to fit (jointly, one output each). Needed when the
            Dataset has several data variables.
        lat, lon, time : str, optional
            Coordinate names, when they cannot be found from CF attributes or common
            names. ``time=False`` fits a purely spatial field and ignores time.
        checkpoint : str or path-like, optional
            File to write the whole training state to, every ``checkpoint_every``
            seconds (at validation checks) and on Ctrl-C; written atomically (a
            temporary file renamed over the old one), safetensors + JSON, no pickle.
        checkpoint_every : float
            Seconds between checkpoints.
        resume : str or path-like, optional
            A checkpoint of an interrupted fit of the same data with the same
            parameters: training continues where it stopped. With an ``epochs``
            budget (``max_time=None``) and a seed, the result is identical to an
            uninterrupted fit on CPU.

        Returns
        -------
        INRModel
            ``self``, fitted.

        Raises
        ------
        geoinr.training.TrainingDiverged
            If the loss stays non-finite after repeated roll-backs; ``err.model``
            holds this model with the best weights reached before.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=32, depth=2, epochs=2, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> m.variables_
        ['sla']
        """
        params = self.get_params()
        if self.uncertainty not in UNCERTAINTY_METHODS:
            raise ValueError(
                f"uncertainty={self.uncertainty!r} is not known; choose one of {UNCERTAINTY_METHODS}."
            )
        if params["model"] not in NETWORKS:
            raise ValueError(
                f"Unknown model {params['model']!r}. Available models: {', '.join(sorted(NETWORKS))}."
            )
        if isinstance(data, (xr.Dataset, xr.DataArray)):
            if values is not None:
                raise TypeError("values= is only for dict input; with xarray data pick variables= instead.")
            if _stream.is_lazy(data, None if variables is None or isinstance(data, xr.DataArray) else np.atleast_1d(variables)):
                self._fit_streamed(data, variables, lat, lon, time, checkpoint, checkpoint_every, resume)
                return self
            table = self._table_from_xarray(data, variables, lat, lon, time)
        elif isinstance(data, Mapping):
            table = self._table_from_dict(data, values, variables)
        else:
            raise TypeError(
                f"fit() takes an xarray Dataset/DataArray or a dict of coordinate arrays, got {type(data).__name__}."
            )
        self._fit_table(table, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume)
        return self

    def _fit_streamed(self, data, variables, lat, lon, time, checkpoint, checkpoint_every, resume) -> None:
        """Fit dask-backed data without loading it: statistics by a dask pass, batches streamed by blocks."""
        import dask

        if resume is not None:
            raise ValueError(
                "resume= is not available for dask-backed data (the stream of blocks cannot be replayed exactly); "
                "load the data with .load() to resume, or start anew."
            )
        if self.uncertainty is not None:
            raise ValueError(
                f"uncertainty={self.uncertainty!r} is not available for dask-backed data yet; fit with "
                f"uncertainty=None, or load the data into memory with .load()."
            )
        names, var_names, var_objs = self._variables_of(data, variables, lat, lon, time)
        if isinstance(data, xr.DataArray):
            data = data.to_dataset(name=var_names[0])
        time_axis = None
        tvar = None
        if names.time is not None:
            tvar = _coords.decode(data[names.time])
            first = tvar.isel({d: slice(0, 1) for d in tvar.dims}).values
            time_axis = _coords.TimeAxis.from_values(np.asarray(first).ravel(), tvar.attrs)
        source = _stream.BlockSource(data, var_names, names, time_axis)
        # statistics of the whole data set: one dask pass (sums and extremes, chunk by chunk)
        stats = {}
        for v in var_names:
            stats[f"mean:{v}"] = data[v].mean(skipna=True).data
            stats[f"std:{v}"] = data[v].std(skipna=True).data
            stats[f"n:{v}"] = data[v].count().data
        lon_all = _coords.decode(data[names.lon])
        for key, var in (("lat", data[names.lat]), ("lon", lon_all), ("time", tvar)):
            if var is not None:
                stats[f"{key}_min"], stats[f"{key}_max"] = var.min().data, var.max().data
        (stats,) = dask.compute(stats)
        mean = np.array([float(stats[f"mean:{v}"]) for v in var_names])
        std = np.array([float(stats[f"std:{v}"]) for v in var_names])
        n_obs = max(int(stats[f"n:{v}"]) for v in var_names)
        # a contiguous run of blocks sets the default scales, the longitude span and the encoding's frame
        rng = np.random.default_rng(self.seed)
        start = int(rng.integers(source.n_blocks))
        run_ids, total = [], 0
        for i in list(range(start, source.n_blocks)) + list(range(0, start)):
            run_ids.append(i)
            total += int(source.block_sizes[i])
            if total >= STREAM_SAMPLE_POINTS:
                break
        sample = source.load(run_ids)
        if len(sample) < 2:
            raise ValueError(f"The data to fit has {len(sample)} valid observation in its first blocks; check the data.")
        lon_min, lon_max = float(stats["lon_min"]), float(stats["lon_max"])
        self._set_variables(names, var_names, var_objs, time_axis, lon_min, lon_max)
        self.mean_ = [float(m) for m in mean]
        self.std_ = [float(x) if x > 0 else 0.0 for x in std]
        train_std = np.where(std > 0, std, 1.0)
        extremes = _coords.wrap_longitude(np.array([lon_min, lon_max]))
        west, east = _coords.longitude_span(np.concatenate([np.asarray(sample.lon, dtype=np.float64), extremes]))
        self.region_ = (west, east, float(stats["lat_min"]), float(stats["lat_max"]))
        if time_axis is not None:
            tt = time_axis.to_days(np.array([stats["time_min"], stats["time_max"]]))
            self.time_range_ = (float(np.min(tt)), float(np.max(tt)))
        else:
            self.time_range_ = None
        self.n_points_ = n_obs
        encoding = CoordinateEncoding.from_points(
            sample.coordinates(), space=self.space_encoding, time=self.time_encoding,
            min_wavelength=self.min_wavelength, min_period=self.min_period,
        )
        self.encoding_config_ = encoding.config()
        self._build(CoordinateEncoding(**self.encoding_config_), len(self.variables_))
        k = len(var_names)

        def arrays(table):
            y = (table.values - mean) / train_std
            obs = np.isfinite(y)
            w = None if k == 1 else obs.astype(np.float32)
            return table.coordinates().astype(np.float32), np.where(obs, y, 0.0).astype(np.float32), w

        # validation: whole blocks held out (a bounded number of points, kept in memory)
        order = rng.permutation(source.n_blocks)
        n_val = 0
        if self.validation > 0 and source.n_blocks >= 2:
            n_val = max(1, int(round(float(self.validation) * source.n_blocks)))
        val_ids, train_ids = order[:n_val], order[n_val:]
        if n_val:
            # held-out blocks are read one at a time and thinned, so memory does not grow with the data
            keep = max(1, STREAM_VALIDATION_POINTS // n_val)
            parts = []
            for i in val_ids:
                part = source.load([i])
                if len(part) > keep:
                    pick = np.sort(rng.choice(len(part), keep, replace=False))
                    part = _coords.PointTable(
                        part.lon[pick], part.lat[pick], None if part.time is None else part.time[pick], part.values[pick]
                    )
                parts.append(part)
            xv, yv, wv = arrays(_stream.concat_tables(parts, time_axis is not None))
        else:
            xv, yv, wv = np.zeros((0, 3 if time_axis is not None else 2), np.float32), np.zeros((0, k), np.float32), None
        device = setup_distributed(resolve_device(self.device))
        per_group = max(1, int(STREAM_GROUP_POINTS // max(1, int(np.median(source.block_sizes)))))
        rank, world = distributed_world()
        n_train = int(source.block_sizes[train_ids].sum()) // world  # the same step count on every rank
        if world > 1:  # torchrun: each rank streams its own share of the training blocks
            if len(train_ids) < world:
                raise ValueError(f"{len(train_ids)} training blocks cannot be shared by {world} ranks; use smaller chunks.")
            train_ids = train_ids[rank::world]
        stream = _stream.BatchStream(
            lambda ids: arrays(source.load(ids)), train_ids, batch_size=max(1, int(self.batch_size) // world),
            blocks_per_group=per_group, seed=self.seed, device=device,
        )
        cfg = self._train_config()
        extra = self._physics_loss(device) if self.physics else None
        wv_t = None if wv is None else torch.from_numpy(wv)
        trainer = Trainer(
            self.field_, torch.from_numpy(xv), torch.from_numpy(yv), wv_t, cfg, device,
            extra_loss=extra, stream=stream, n_stream=n_train,
        )
        run_id = {"params": {k2: v for k2, v in self.get_params().items() if k2 not in ("progress", "device", "max_time")}}
        try:
            result = trainer.run(checkpoint=checkpoint, checkpoint_every=checkpoint_every, checkpoint_extra=run_id)
        finally:
            stream.close()
        self.calibration_ = None
        self.data_distance_ = None
        self.streamed_ = {"blocks": source.n_blocks, "validation_blocks": int(n_val), "blocks_per_group": per_group}
        self._finish_fit(result, trainer, device)

    def _variables_of(self, data, variables, lat, lon, time):
        """Coordinate names, variable names and variables to fit in an xarray object."""
        if isinstance(data, xr.Dataset):
            names = _coords.find_coords(data, lat=lat, lon=lon, time=time)
            var_names = _resolve_variables(data, variables, names)
            return names, var_names, [data[v] for v in var_names]
        if variables is not None and variables not in ([data.name], data.name):
            raise ValueError(f"variables={variables!r} given for a DataArray named {data.name!r}; leave it out.")
        names = _coords.find_coords(data, lat=lat, lon=lon, time=time)
        return names, [data.name if data.name is not None else "values"], [data]

    def _set_variables(self, names, var_names, var_objs, time_axis, lon_min, lon_max) -> None:
        """Learned attributes that describe the fitted variables and their coordinates."""
        self.coord_names_ = {"lat": str(names.lat), "lon": str(names.lon), "time": None if names.time is None else str(names.time)}
        self.time_axis_ = time_axis
        self.variables_ = [str(v) for v in var_names]
        self.variable_attrs_ = {
            str(v): {k: str(o.attrs[k]) for k in KEPT_ATTRS if k in o.attrs} for v, o in zip(var_names, var_objs)
        }
        self.lon_convention_ = "360" if lon_min >= 0 and lon_max > 180 else "180"

    def _table_from_xarray(self, data, variables, lat, lon, time):
        names, var_names, var_objs = self._variables_of(data, variables, lat, lon, time)
        if any(v.size == 0 for v in var_objs):
            raise ValueError(f"The data to fit is empty (sizes: {dict(data.sizes)}).")
        table, time_axis = _coords.points_from_xarray(data, var_names, names)
        if len(table) == 0:
            raise ValueError(
                f"No finite values to fit: every value of {', '.join(map(str, var_names))} is NaN "
                f"(or lies at a NaN coordinate). Check the variable and any masking/fill values."
            )
        lon_raw = np.asarray(data[names.lon].values, dtype=np.float64)
        self._set_variables(names, var_names, var_objs, time_axis, float(np.nanmin(lon_raw)), float(np.nanmax(lon_raw)))
        return table

    def _table_from_dict(self, data, values, variables):
        keys = {str(k).lower(): k for k in data}
        missing = [r for r in ("lon", "lat") if r not in keys]
        if missing:
            raise ValueError(f"The coordinate dict needs keys 'lon' and 'lat' (and optionally 'time'); got {list(data)}.")
        if values is None:
            raise ValueError("With a dict of coordinates, pass the observations as values=...")
        vals = np.asarray(values)
        if not (np.issubdtype(vals.dtype, np.floating) or np.issubdtype(vals.dtype, np.integer)) or vals.dtype == bool:
            raise TypeError(f"values have dtype {vals.dtype}; only numeric data can be fitted.")
        vals = vals.astype(np.float64)
        if vals.ndim == 1:
            vals = vals[:, None]
        n = vals.shape[0]
        lon = np.asarray(data[keys["lon"]], dtype=np.float64).ravel()
        lat = np.asarray(data[keys["lat"]], dtype=np.float64).ravel()
        time_axis = None
        t = None
        if "time" in keys:
            traw = np.asarray(data[keys["time"]]).ravel()
            time_axis = _coords.TimeAxis.from_values(traw)
            t = time_axis.to_days(traw)
        for name, arr in (("lon", lon), ("lat", lat), ("time", t)):
            if arr is not None and arr.shape[0] != n:
                raise ValueError(f"{name} has {arr.shape[0]} values but values has {n} rows; they must match.")
        _coords._check_latitude(lat, "lat")
        if variables is None:
            var_names = ["values"] if vals.shape[1] == 1 else [f"values_{i}" for i in range(vals.shape[1])]
        else:
            var_names = [variables] if isinstance(variables, str) else list(variables)
            if len(var_names) != vals.shape[1]:
                raise ValueError(f"{len(var_names)} variable names for {vals.shape[1]} value columns.")
        keep = np.isfinite(vals).any(axis=1) & np.isfinite(lon) & np.isfinite(lat)
        if t is not None:
            keep &= np.isfinite(t)
        if not keep.any():
            raise ValueError("No finite values to fit: all values (or their coordinates) are NaN, or the input is empty.")
        table = _coords.PointTable(
            lon=_coords.wrap_longitude(lon[keep]), lat=lat[keep], time=None if t is None else t[keep], values=vals[keep]
        )
        self.coord_names_ = {"lat": "lat", "lon": "lon", "time": "time" if t is not None else None}
        self.time_axis_ = time_axis
        self.variables_ = [str(v) for v in var_names]
        self.variable_attrs_ = {v: {} for v in self.variables_}
        self.lon_convention_ = "360" if np.nanmin(lon) >= 0 and np.nanmax(lon) > 180 else "180"
        return table

    def _fit_table(self, table: _coords.PointTable, checkpoint=None, checkpoint_every=60.0, resume=None) -> None:
        if len(table) < 2:
            raise ValueError(
                f"Only {len(table)} valid observation: a field cannot be fitted to a single point. "
                f"Check the data (and its NaN mask) or its coordinates."
            )
        _warn_duplicates(table)
        vals = table.values
        mean = np.nanmean(vals, axis=0)
        std = np.nanstd(vals, axis=0)
        for v, s in zip(self.variables_, std):
            if not s > 0:
                warnings.warn(
                    f"Variable {v!r} is constant; predictions of it are that constant.", UserWarning, stacklevel=3
                )
        self.mean_ = [float(m) for m in mean]
        self.std_ = [float(s) if s > 0 else 0.0 for s in std]  # 0: a constant, predicted exactly
        train_std = np.where(std > 0, std, 1.0)
        raw = table.coordinates()
        west, east = _coords.longitude_span(table.lon)
        self.region_ = (west, east, float(table.lat.min()), float(table.lat.max()))
        self.time_range_ = None if table.time is None else (float(table.time.min()), float(table.time.max()))
        self.n_points_ = int(len(table))
        encoding = CoordinateEncoding.from_points(
            raw,
            space=self.space_encoding,
            time=self.time_encoding,
            min_wavelength=self.min_wavelength,
            min_period=self.min_period,
        )
        self.encoding_config_ = encoding.config()
        self._build(CoordinateEncoding(**self.encoding_config_), len(self.variables_))

        y = (vals - np.asarray(self.mean_)) / train_std
        obs = np.isfinite(y)
        w = None if obs.all() else torch.from_numpy(obs.astype(np.float32))
        y = torch.from_numpy(np.where(obs, y, 0.0).astype(np.float32))
        x = torch.from_numpy(raw.astype(np.float32))
        device = setup_distributed(resolve_device(self.device))
        cfg = self._train_config()
        # calibration needs held-out points as far from the training data as a map's gaps are:
        # whole satellite passes when the data are along-track (small boxes stay near other passes)
        passes = _satellite_passes(raw) if self.uncertainty is not None else None
        held_out = "blocks" if passes is None else "passes"
        groups = torch.from_numpy(_validation_blocks(table, self.region_) if passes is None else passes)
        extra = self._physics_loss(device) if self.physics else None
        trainer = Trainer(self.field_, x, y, w, cfg, device, groups=groups, extra_loss=extra)
        run_id = {
            "params": {k: v for k, v in self.get_params().items() if k not in ("progress", "device", "max_time")},
            "encoding": self.encoding_config_,
            "variables": self.variables_,
            "mean": self.mean_,
            "std": self.std_,
        }
        if resume is not None:
            trainer.load_checkpoint(resume, extra=run_id)
        result = trainer.run(checkpoint=checkpoint, checkpoint_every=checkpoint_every, checkpoint_extra=run_id)
        self._fit_uncertainty(trainer, x, y, w, held_out, groups.numpy())
        self._finish_fit(result, trainer, device)

    def _finish_fit(self, result, trainer, device) -> None:
        # the weights stay on the training device: predictions of large grids run there too
        self.device_ = str(device)
        self.history_ = pd.DataFrame(
            result.history, columns=["epoch", "step", "seconds", "lr", "loss", "val_loss", "physics_loss"]
        )
        self.fit_seconds_ = float(result.seconds)
        self.stop_reason_ = result.stopped
        self.best_val_loss_ = float(result.best_val) if math.isfinite(result.best_val) else None
        self.fitted_at_ = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        if result.stopped == "diverged":
            raise TrainingDiverged(
                f"Training diverged: the loss was non-finite {trainer.failures} times despite roll-backs and "
                f"halving the learning rate. The model with the best weights reached before is in err.model. "
                f"Try a smaller lr= (now {self.lr}) or check the data for extreme values.",
                model=self,
            )

    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            epochs=self.epochs,
            max_time=self.max_time,
            validation=float(self.validation),
            patience=int(self.patience),
            seed=self.seed,
            progress=bool(self.progress),
            precision=self._check_precision(),
            extra_every=int(self.physics_every),
        )

    def _check_precision(self) -> str:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision={self.precision!r}: choose one of {PRECISIONS}.")
        if self.precision == "bfloat16" and self.model != "siren":
            raise ValueError(
                f"precision='bfloat16' is implemented for model='siren' only (it keeps the layers that see "
                f"positions in float32); model={self.model!r} needs precision='float32'."
            )
        return self.precision

    def _autocast(self, device: torch.device):
        """Context of the forward passes of data fitting and prediction (see ``precision``)."""
        # uncertainty estimates (posterior covariances, ensemble spread) are evaluated in float32
        low = self.precision == "bfloat16" and self.uncertainty is None
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=low)

    def _build(self, encoding: CoordinateEncoding, n_out: int) -> None:
        """Create ``field_`` (encoding + network) from parameters; used by fit and load."""
        options = dict(self.model_options or {})
        if self.w0 is not None:
            options["w0"] = self.w0
        kwargs = dict(
            time_features=encoding.time_features,
            bandwidth=encoding.bandwidth,
            width=self.width,
            depth=self.depth,
            **options,
        )
        stream = self.mass_constraint
        if stream not in ("penalty", "streamfunction"):
            raise ValueError(f"mass_constraint={stream!r}: choose 'penalty' or 'streamfunction'.")
        if stream == "streamfunction":
            if n_out != 2:
                raise ValueError(
                    f"mass_constraint='streamfunction' needs two fitted variables, eastward then northward "
                    f"velocity; got {self.variables_}."
                )
            if self.uncertainty is not None:
                raise ValueError("mass_constraint='streamfunction' does not combine with uncertainty= yet.")
            n_out = 1

        def make():
            if self.uncertainty == "ensemble":
                if int(self.n_members) < 2:
                    raise ValueError(f"n_members must be >= 2 for an ensemble, got {self.n_members}")
                return Ensemble([build_network(self.model, encoding.out_features, n_out, **kwargs) for _ in range(int(self.n_members))])
            return build_network(self.model, encoding.out_features, n_out, **kwargs)

        if self.seed is not None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(self.seed))
                net = make()
        else:
            net = make()
        if stream == "streamfunction":
            speed = max(math.hypot(*self.std_), 1e-6)  # m/s
            length = self.encoding_config_["min_wavelength"] * 1e3 / (2 * math.pi)  # m
            self.field_ = _StreamFunctionField(encoding, net, self.mean_, self.std_, speed * length)
        else:
            self.field_ = _Field(encoding, net)
        if self.uncertainty == "bayes_last_layer":
            self.field_.blr = BayesianLastLayer(output_layer(net).in_features, n_out)
        self.field_.eval()

    # ------------------------------------------------------------------ evaluate
    def _eval_batch(self, batch_size: int | None) -> int:
        if batch_size is None:
            on_gpu = next(self.field_.parameters()).device.type != "cpu"
            return PREDICT_BATCH_GPU if on_gpu else PREDICT_BATCH_CPU
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        return int(batch_size)

    # ------------------------------------------------------------------ physics
    def _physics_loss(self, device):
        """Closure: weighted mean square of the dimensionless residuals at fresh collocation points."""
        from .physics import GRAVITY, derivatives
        from .physics.constants import DEG, EARTH_RADIUS_M
        from .physics.jets import FieldOutput
        from .physics.qg import BetaPlane, qg_residual

        terms = [self.physics] if isinstance(self.physics, str) else list(self.physics)
        unknown = [t for t in terms if t not in PHYSICS_TERMS]
        if unknown:
            raise ValueError(f"physics={self.physics!r}: unknown term(s) {unknown}; choose from {PHYSICS_TERMS}.")
        if self.uncertainty == "ensemble":
            raise ValueError("physics= residuals are not available with uncertainty='ensemble' yet; use 'bayes_last_layer'.")
        west, east, south, north = self.region_
        has_time = self.time_range_ is not None
        t0, t1 = self.time_range_ if has_time else (0.0, 0.0)
        length = self.encoding_config_["min_wavelength"] * 1e3 / (2 * math.pi)  # m
        gen = torch.Generator(device=device)
        gen.manual_seed(0 if self.seed is None else int(self.seed) + 1)
        n = int(self.n_collocation)
        lo = torch.tensor([west, south, t0], device=device)
        span = torch.tensor([east - west, north - south, t1 - t0], device=device)
        dims = 3 if has_time else 2

        def sample():
            return lo[:dims] + span[:dims] * torch.rand(n, dims, generator=gen, device=device)

        parts = []
        if "qg" in terms:
            if not has_time:
                raise ValueError("physics='qg' needs a time coordinate (dq/dt).")
            v = self.variables_[0]
            to_m = _metres(self.variable_attrs_.get(v, {}).get("units"), v)
            scale, offset = self.std_[0] * to_m, self.mean_[0] * to_m
            plane = BetaPlane(0.5 * (west + east), 0.5 * (south + north),
                              None if self.rossby_radius is None else self.rossby_radius * 1e3)
            psi_scale = GRAVITY * max(scale, 1e-6) / abs(plane.f0)
            floor = (psi_scale * plane.beta0 / length) ** 2  # (1/s^2)^2: linear Rossby-wave scale, a floor

            def qg():
                # a FieldOutput (not a lambda) lets qg_residual see a SIREN and use its fast derivatives
                r, parts_ = qg_residual(FieldOutput(self.field_, 0, scale, offset), sample(), plane, return_terms=True)
                # dimensionless: the residual relative to the size of its own terms (tendency, advection,
                # beta), measured on the same points and held constant in the gradient. A fixed scale
                # (beta U / L) is off by orders of magnitude where advection dominates, and a loss that
                # large pulls the field towards eta = 0, which satisfies QG trivially.
                size = sum(torch.mean(t.detach() ** 2) for t in parts_.values())
                return torch.mean(r**2) / (size + floor)

            parts.append(qg)
        if "mass" in terms:
            if len(self.variables_) != 2:
                raise ValueError(
                    f"physics='mass' needs two fitted variables, eastward then northward velocity; got {self.variables_}."
                )
            su, sv = self.std_
            mu, mv = self.mean_
            speed = max(math.hypot(su, sv), 1e-9)

            def mass():
                raw = sample()
                du = derivatives(lambda r: self.field_(r)[:, 0] * su + mu, raw, laplacian=False, create_graph=True)
                dv = derivatives(lambda r: self.field_(r)[:, 1] * sv + mv, raw, laplacian=False, create_graph=True)
                lat = raw[:, 1] * DEG
                div = du["f_x"] + dv["f_y"] - dv["f"] * torch.tan(lat) / EARTH_RADIUS_M
                return torch.mean((div * length / speed) ** 2)

            if self.mass_constraint == "streamfunction":  # divergence-free by construction: nothing to add
                parts.append(lambda: torch.zeros((), device=device))
            else:
                parts.append(mass)
        weight = float(self.physics_weight)
        return lambda: weight * sum(p() for p in parts)

    # ------------------------------------------------------------------ uncertainty
    def _standardized(self, xb: torch.Tensor):
        """Mean and field variance (None without uncertainty) in standardized units, each (b, k)."""
        if self.uncertainty == "bayes_last_layer":
            phi = penultimate_features(self.field_.network, self.field_.encoding(xb))
            mean, var = self.field_.blr(phi)
            return mean.float(), var.float()
        out = self.field_(xb)
        if out.dim() == 3:
            return out.mean(0), out.var(0, unbiased=False)
        return out, None

    @torch.no_grad()
    def _fit_uncertainty(self, trainer, x, y, w, held_out: str = "blocks", groups: np.ndarray | None = None) -> None:
        """Bayesian last layer posterior, then variance calibration on the held-out points (passes or blocks,
        labelled by ``groups``: the map's errors are correlated within each)."""
        self.calibration_ = None
        self.data_distance_ = None
        if self.uncertainty is None:
            return
        dev = next(self.field_.parameters()).device
        chunk = 65536
        if self.uncertainty == "bayes_last_layer":
            idx = trainer.train_idx
            phi = torch.cat(
                [
                    penultimate_features(self.field_.network, self.field_.encoding(x[idx[s : s + chunk]].to(dev)))
                    for s in range(0, len(idx), chunk)
                ]
            )
            self.field_.blr.to(dev).fit(phi, y[idx].to(dev), None if w is None else w[idx].to(dev))
        on_val = len(trainer.val_idx) >= 20
        idx = trainer.val_idx if on_val else trainer.train_idx
        parts = [self._standardized(x[idx[s : s + chunk]].to(dev)) for s in range(0, len(idx), chunk)]
        mean = torch.cat([p[0] for p in parts]).cpu().numpy()
        var = torch.cat([p[1] for p in parts]).cpu().numpy()
        yv = y[idx].numpy()
        obs = np.ones_like(yv, dtype=bool) if w is None else w[idx].numpy() > 0
        # space and time in one metric (km; time at min_wavelength / min_period km per day)
        enc = self.encoding_config_
        speed = _speed_km_per_day(enc)
        xyz = _coords_km(x.numpy().astype(np.float64), speed)
        # where the model was trained, per variable (a variable may be missing where another was observed):
        # distances from held-out points now, and from any predicted point later
        cell = enc["min_wavelength"] / GAP_CELLS
        tidx = trainer.train_idx.numpy()
        if w is None:
            nears = [DataDistance.from_points(xyz[tidx], cell_km=cell)] * yv.shape[1]
        else:
            nears = [DataDistance.from_points(xyz[tidx[w[tidx, j].numpy() > 0]], cell_km=cell) for j in range(yv.shape[1])]
        yall = y.numpy()
        trained = np.zeros(len(yall), bool)
        trained[tidx] = True
        cals = []
        for j in range(yv.shape[1]):
            seen = np.ones(len(yall), bool) if w is None else w[:, j].numpy() > 0
            # measurement noise from near-coincident observations
            s2_nn = noise_variance(xyz[seen], yall[seen, j], max_distance_km=enc["min_wavelength"] / 10.0)
            o = obs[:, j]
            resid = yv[o, j] - mean[o, j]
            r2 = resid**2
            if on_val:
                held = idx.numpy()[o]
                dist = nears[j](xyz[held])
                # the error's length is the field's correlation length (interpolation error theory), measured
                # on all training observations: steadier than fitting it to a few held-out passes
                train = trained & seen
                ell, nugget = correlation_length(
                    xyz[train], yall[train, j], max_lag_km=VARIOGRAM_LAGS * enc["min_wavelength"],
                    seed=0 if self.seed is None else int(self.seed), return_nugget=True,
                )
                # no near-coincident pairs (scattered data): the variogram's nugget is the noise; an intercept
                # of the held-out residuals would take the error in the gaps for noise
                s2 = s2_nn if s2_nn is not None else nugget if nugget is not None else calibrate(var[o, j], r2)[1]
                signal = max(float(np.var(yall[seen, j])) - s2, 1e-6)
                cal = calibrate_gap(var[o, j], resid, dist, noise=s2, signal=signal, length=ell, coords_km=xyz[held],
                                    groups=None if groups is None else groups[held])
                cal["gap_length_from"] = "likelihood" if ell is None else "variogram"
            else:  # no held-out points: no distance to learn from; the network's variance only
                c, s2 = calibrate(var[o, j], r2, noise=s2_nn)
                cal = {"variance_scale": c, "gap_variance": 0.0, "gap_length_km": 1.0, "noise_variance": s2}
            cals.append(cal)
        # one list per parameter, a value per variable (None where a calibration has no such parameter)
        keys = ("variance_scale", "noise_variance", "gap_variance", "gap_length_km", "error_length_km", "error_floor")
        self.calibration_ = {key: [cal.get(key) for cal in cals] for key in keys}
        self.calibration_["gap_length_from"] = [cal.get("gap_length_from", "none") for cal in cals]
        self.calibration_["speed_km_per_day"] = speed
        self.calibration_["on"] = f"validation {held_out}" if on_val else "training points"
        self.data_distance_ = nears if any(cal["gap_variance"] > 0 for cal in cals) else None

    def _error_floor(self) -> np.ndarray:
        """Calibrated error floor b per variable (standardized variance; 0 where none was fitted, as in files
        saved before it existed)."""
        k = len(self.variables_)
        return np.array([b or 0.0 for b in self.calibration_.get("error_floor") or [0.0] * k])

    def _gap_variance(self, xyz: np.ndarray) -> np.ndarray | None:
        """Calibrated variance of the error that the network's variance does not hold (standardized units,
        (b, k)) at ``xyz`` km: the term that grows away from the data plus the error floor; None without
        either."""
        cal = self.calibration_
        k = len(self.variables_)
        gap = np.asarray(cal.get("gap_variance") or [0.0] * k)
        floor = self._error_floor()
        if not np.any(gap > 0) and not np.any(floor > 0):
            return None
        out = np.zeros((len(xyz), len(gap))) + floor
        dist = {}  # variables observed at the same sites share one search
        for j, (a, ell) in enumerate(zip(gap, cal["gap_length_km"])):
            if a > 0:
                near = self.data_distance_[j]
                if id(near) not in dist:
                    dist[id(near)] = near(xyz)
                out[:, j] += a * gap_fraction(dist[id(near)], ell)
        return out

    def _std_standardized(self, v: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        """Calibrated standard deviation (standardized units) from the network variance ``v`` (b, k) at ``chunk``."""
        total = np.asarray(self.calibration_["variance_scale"]) * v
        gap = self._gap_variance(_coords_km(chunk.astype(np.float64), self.calibration_["speed_km_per_day"]))
        return np.sqrt(total if gap is None else total + gap)

    def _evaluate(self, columns: Sequence[np.ndarray], batch_size: int, with_std: bool = False):
        """Evaluate at flat or broadcast coordinate arrays (lon, lat[, time]); returns (..., k) float32
        (and the calibrated standard deviation of the field if ``with_std``)."""
        shape = np.shape(columns[0])
        n = int(np.prod(shape))
        k = len(self.variables_)
        out = np.empty((n, k), dtype=np.float32)
        sd_out = np.empty((n, k), dtype=np.float32) if with_std else None
        mean = np.asarray(self.mean_)
        std = np.asarray(self.std_)
        dev = next(self.field_.parameters()).device
        with torch.no_grad():
            for s in range(0, n, batch_size):
                e = min(n, s + batch_size)
                chunk = np.stack([np.asarray(c).flat[s:e] for c in columns], axis=1)
                ok = np.isfinite(chunk).all(axis=1)
                chunk = np.where(ok[:, None], chunk, 0.0).astype(np.float32)
                with self._autocast(dev):
                    m, v = self._standardized(torch.from_numpy(chunk).to(dev))
                m = m.float()
                v = None if v is None else v.float()
                pred = m.cpu().numpy().astype(np.float64) * std + mean
                pred[~ok] = np.nan
                out[s:e] = pred
                if with_std:
                    sd = self._std_standardized(v.cpu().numpy().astype(np.float64), chunk) * std
                    sd[~ok] = np.nan
                    sd_out[s:e] = sd
        if with_std:
            return out.reshape(shape + (k,)), sd_out.reshape(shape + (k,))
        return out.reshape(shape + (k,))

    def _evaluate_lazy(self, columns, chunks, batch_size: int, with_std: bool = False):
        """Like :meth:`_evaluate`, as dask arrays evaluated block by block (one task per output chunk)."""
        import dask.array as da

        k = len(self.variables_)
        nd = len(chunks)
        # the coordinate columns are broadcast views; keep them compact (size-1 where broadcast) so a
        # task graph shipped to distributed workers carries the 1-D coordinates, not the full grid
        compact = [
            np.ascontiguousarray(c[tuple(slice(0, 1) if st == 0 else slice(None) for st in c.strides)]) for c in columns
        ]
        model = self

        def block(dummy, block_info=None):
            loc = block_info[0]["array-location"]
            shape = tuple(e - s for s, e in loc)
            cols = [
                np.broadcast_to(
                    c[tuple(slice(None) if c.shape[i] == 1 else slice(s, e) for i, (s, e) in enumerate(loc))], shape
                )
                for c in compact
            ]
            res = model._evaluate(cols, batch_size, with_std=with_std)
            return np.concatenate(res, axis=-1) if with_std else res

        width = 2 * k if with_std else k
        dummy = da.zeros(tuple(sum(c) for c in chunks), chunks=chunks, dtype=np.int8)
        out = dummy.map_blocks(
            block, new_axis=nd, chunks=chunks + ((width,),), dtype=np.float32, meta=np.empty((0,) * (nd + 1), np.float32)
        )
        if with_std:
            return out[..., :k], out[..., k:]
        return out

    def __getstate__(self):
        """Pickle (dask.distributed workers) with the weights on the CPU; files use :meth:`save`."""
        state = dict(self.__dict__)
        field = state.get("field_")
        if field is not None and any(p.device.type != "cpu" for p in field.parameters()):
            state["field_"] = copy.deepcopy(field).cpu()
            state["device_"] = "cpu"
        return state

    def _warn_extrapolation(self, t: np.ndarray) -> None:
        if self.time_range_ is None or t.size == 0:
            return
        lo, hi = self.time_range_
        tol = max(1e-9, 0.01 * (hi - lo))
        tmin, tmax = np.nanmin(t), np.nanmax(t)
        if tmin < lo - tol or tmax > hi + tol:
            warnings.warn(
                f"The target reaches times outside the fitted window ({lo:.3f} to {hi:.3f} days since "
                f"{self.time_axis_.reference or 'the origin'}; target {tmin:.3f} to {tmax:.3f}). "
                f"A coordinate network extrapolates poorly in time; trust only values inside the window.",
                UserWarning,
                stacklevel=3,
            )

    def _target_names(self, target, lat, lon, time) -> _coords.CoordNames:
        return _coords.find_target_coords(target, self.coord_names_, self.time_axis_, lat, lon, time)

    def predict(
        self,
        target,
        *,
        variable: str | None = None,
        batch_size: int | None = None,
        lat: Hashable | None = None,
        lon: Hashable | None = None,
        time: Hashable | None = None,
        return_std: bool = False,
        chunks=None,
    ):
        """Evaluate the fitted field on any target: a grid, scattered points, or a dict.

        Parameters
        ----------
        target : xarray.Dataset, xarray.DataArray or dict
            Anything with latitude/longitude (and time, if the model has it):
            gridded coordinates (time, lat, lon in any order), 2-D curvilinear lat/lon,
            or 1-D coordinates along an observation dimension. A dict of arrays
            ``{"lon", "lat"[, "time"]}`` returns a numpy array.
        variable : str, optional
            With several fitted variables, return only this one.
        batch_size : int, optional
            Points evaluated at once; memory use is bounded by it, not by the target
            size. Default 4096 on CPU (cache-sized: fastest there, see
            ``benchmarks/predict_large.py``) and 262144 on a GPU.
        lat, lon, time : str, optional
            Coordinate names in ``target``, if they cannot be found automatically.
        return_std : bool
            Also return the calibrated standard deviation of the field (models fitted
            with ``uncertainty=``), as a second result named ``<variable>_std``.
        chunks : dict, "auto" or None
            Return a lazy dask-backed result in these chunks of the output dims
            (e.g. ``{"time": 1}``), evaluated block by block when computed or written
            (``fitted.predict(grid, chunks={"time": 1}).to_zarr(...)`` writes chunk by
            chunk in bounded memory). Default: lazy with the chunks of the target's
            data variables if they are dask arrays (``target.chunk(...)``), else eager.
            Works with the dask threaded scheduler and with ``dask.distributed``:
            the model pickles to workers with CPU weights.

        Returns
        -------
        xarray.DataArray or xarray.Dataset or numpy.ndarray
            A DataArray named after the fitted variable (a Dataset if several were
            fitted and ``variable`` is None) on the target's dims and coordinates,
            with ``units``/``long_name``/``standard_name`` of the training variable
            and a ``source`` attribute naming the model. With ``return_std``, a
            tuple ``(mean, std)``.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=32, depth=2, epochs=2, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> maps = m.predict(m.target_grid(resolution=1.0))
        >>> maps.dims  # the grid keeps the track file's coordinate names
        ('time', 'latitude', 'longitude')
        """
        self._check_fitted()
        batch_size = self._eval_batch(batch_size)
        sel = self._selection(variable)
        if return_std and self.uncertainty is None:
            raise ValueError(
                "return_std=True needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'."
            )
        if isinstance(target, Mapping) and not isinstance(target, xr.Dataset):
            cols = self._dict_columns(target)
            res = self._evaluate(cols, batch_size, with_std=return_std)
            pick = lambda a: a[..., sel[0]].astype(np.float64) if len(sel) == 1 else a[..., sel].astype(np.float64)  # noqa: E731
            return (pick(res[0]), pick(res[1])) if return_std else pick(res)
        dims, columns, coords = self._target_columns(target, lat, lon, time)
        out_chunks = _output_chunks(target, dims, np.shape(columns[0]), chunks)
        if out_chunks is not None:
            res = self._evaluate_lazy(columns, out_chunks, int(batch_size), with_std=return_std)
        else:
            res = self._evaluate(columns, int(batch_size), with_std=return_std)
        if not return_std:
            return self._wrap(res, dims, coords, sel)
        return self._wrap(res[0], dims, coords, sel), self._wrap(res[1], dims, coords, sel, kind="std")

    def _selection(self, variable):
        if variable is not None and variable not in self.variables_:
            raise ValueError(f"variable={variable!r} was not fitted; fitted variables: {self.variables_}.")
        return [self.variables_.index(variable)] if variable is not None else list(range(len(self.variables_)))

    def _target_columns(self, target, lat, lon, time):
        """Output dims, coordinate columns (lon, lat[, time]) and output coords of an xarray target."""
        if not isinstance(target, (xr.Dataset, xr.DataArray)):
            raise TypeError(f"predict() takes an xarray Dataset/DataArray or a dict of arrays, got {type(target).__name__}.")
        names = self._target_names(target, lat, lon, time)
        dims, views = _coords.target_points(target, names, self.time_axis_)
        columns = [views["lon"], views["lat"]] + ([views["time"]] if "time" in views else [])
        if "time" in views:
            self._warn_extrapolation(self.time_axis_.to_days(_coords.decode(target[names.time]).values))
        coords = _coords.output_coords(target, dims, names)
        return dims, columns, coords

    def _wrap(self, values, dims, coords, sel, kind="mean", extra_dim=None):
        """Arrays (..., k) -> DataArray (one variable) or Dataset, with metadata."""
        out = {}
        for i in sel:
            v = self.variables_[i]
            attrs = dict(self.variable_attrs_.get(v, {}))
            name = v
            if kind == "std":
                name = f"{v}_std"
                attrs.pop("standard_name", None)
                attrs["long_name"] = f"standard deviation of {attrs.get('long_name', v)}"
                cal = self.calibration_ or {}
                j = self.variables_.index(v)
                gap = (cal.get("gap_variance") or [0.0] * len(self.variables_))[j]
                b = (cal.get("error_floor") or [None] * len(self.variables_))[j]
                units = attrs.get("units", "")
                attrs["comment"] = (
                    f"{self.uncertainty} estimate of the error of the field (not of a new observation: measurement "
                    f"noise excluded), calibrated on held-out {cal.get('on', 'validation points')}: "
                    f"variance = {cal.get('variance_scale', [1.0])[j]:.3g} x network variance"
                    + (
                        f" + field variance x (1 - exp(-(d / {cal['gap_length_km'][j]:.0f} km)^4)), d the distance to "
                        f"the nearest training observation (time at {cal['speed_km_per_day']:.3g} km per day)"
                        if gap > 0 else ""
                    )
                    + (f" + ({float(np.sqrt(b)) * self.std_[j]:.3g} {units})^2" if b else "")
                )
            elif kind == "sample":
                attrs["long_name"] = f"random draws of {attrs.get('long_name', v)}"
                attrs["comment"] = f"plausible fields from the {self.uncertainty} uncertainty estimate"
            attrs["source"] = self._source_note()
            attrs["history"] = f"{_now()}: geoinr {__version__} INRModel.{'sample' if kind == 'sample' else 'predict'}"
            out[name] = xr.DataArray(values[..., i], dims=dims, coords=coords, name=name, attrs=attrs)
        if len(out) == 1:
            return next(iter(out.values()))
        return xr.Dataset(out, attrs={"source": self._source_note()})

    def sample(self, target, n: int = 10, *, variable: str | None = None, seed: int | None = 0, batch_size=None, lat=None, lon=None, time=None):
        """Draw ``n`` plausible fields on ``target``: ensemble members or posterior draws.

        With ``uncertainty="ensemble"``, the members (their spread scaled by the
        calibration); with ``"bayes_last_layer"``, draws of the output weights
        from their posterior. Both are spatially coherent. To each draw is added
        a smooth random field (Gaussian covariance, the error's correlation
        length measured along held-out passes, ``calibration_["error_length_km"]``)
        with the calibrated variance of the error
        between observations, so that the spread of many draws matches
        ``predict(return_std=True)``.

        Parameters
        ----------
        target : xarray.Dataset, xarray.DataArray or dict
            As in :meth:`predict`.
        n : int
            Number of draws (at most ``n_members`` for an ensemble).
        seed : int, optional
            Seeds the posterior draws.

        Returns
        -------
        xarray.DataArray or xarray.Dataset
            With a leading ``sample`` dimension; for a dict target, a NumPy array
            (n, points) or (n, points, variables), as :meth:`predict` gives.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = tracks.inr.fit("sla", uncertainty="bayes_last_layer", width=32, depth=2, epochs=20, max_time=None, progress=False)
        >>> m.sample(m.target_grid(1.0), n=3).sizes["sample"]
        3
        """
        self._check_fitted()
        if self.uncertainty is None:
            raise ValueError("sample() needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'.")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if self.uncertainty == "ensemble" and n > self.n_members:
            raise ValueError(f"This ensemble has {self.n_members} members; ask for n <= {self.n_members} draws or fit more members.")
        sel = self._selection(variable)
        batch_size = self._eval_batch(batch_size)
        if isinstance(target, Mapping) and not isinstance(target, xr.Dataset):
            dims, columns, coords = None, self._dict_columns(target), None
        else:
            dims, columns, coords = self._target_columns(target, lat, lon, time)
        shape = np.shape(columns[0])
        npts = int(np.prod(shape))
        k = len(self.variables_)
        draws = np.empty((n, npts, k), dtype=np.float32)
        mean_, std_ = np.asarray(self.mean_), np.asarray(self.std_)
        root_c = torch.tensor(np.sqrt(self.calibration_["variance_scale"]), dtype=torch.float32)
        dev = next(self.field_.parameters()).device
        weights = None
        if self.uncertainty == "bayes_last_layer":
            gen = torch.Generator().manual_seed(int(seed)) if seed is not None else torch.Generator()
            blr = self.field_.blr
            z = blr.sample_weights(n, gen).to(dev) - blr.mean_w[None].to(dev)
            weights = blr.mean_w[None].to(dev) + root_c.to(dev)[None, :, None] * z  # (n, k, p)
        gap_field = self._gap_field(n, seed)
        with torch.no_grad():
            for s in range(0, npts, batch_size):
                e = min(npts, s + batch_size)
                chunk = np.stack([np.asarray(c).flat[s:e] for c in columns], axis=1)
                ok = np.isfinite(chunk).all(axis=1)
                chunk = np.where(ok[:, None], chunk, 0.0)
                xb = torch.from_numpy(chunk.astype(np.float32)).to(dev)
                if weights is not None:
                    phi = penultimate_features(self.field_.network, self.field_.encoding(xb))
                    X = torch.cat((phi, torch.ones_like(phi[:, :1])), dim=1).to(weights.dtype)
                    f = torch.einsum("bp,nkp->nbk", X, weights)
                else:
                    members = self.field_(xb)[:n]
                    m = members.mean(0, keepdim=True) if self.n_members == n else self.field_(xb).mean(0, keepdim=True)
                    f = m + root_c.to(dev) * (members - m)
                vals = f.cpu().numpy().astype(np.float64)
                if gap_field is not None:
                    vals += gap_field(chunk)
                vals = vals * std_ + mean_
                vals[:, ~ok] = np.nan
                draws[:, s:e] = vals
        draws = draws.reshape((n,) + shape + (k,))
        if dims is None:  # a dict target: plain arrays, as predict() gives
            return draws[..., sel[0]].astype(np.float64) if len(sel) == 1 else draws[..., sel].astype(np.float64)
        out = self._wrap(draws, ("sample",) + tuple(dims), coords, sel, kind="sample")
        return out.assign_coords(sample=np.arange(n))

    def _gap_field(self, n: int, seed: int | None):
        """``n`` smooth random fields with the calibrated gap variance (standardized units), or None.

        Each draw is a Gaussian random field (random Fourier features of a
        Gaussian covariance, correlation length ``error_length_km``, the one
        measured along held-out passes, or ``gap_length_km / 2`` where the
        calibration had none, in the space-time metric of the calibration)
        times the standard deviation of the error the network's variance does
        not hold (the distance term and the floor, :meth:`_gap_variance`) at
        each point, so that draws add the error a map makes between tracks with
        the variance ``predict(return_std=True)`` reports.
        """
        cal = self.calibration_
        k = len(self.variables_)
        has = (np.asarray(cal.get("gap_variance") or [0.0] * k) > 0) | (self._error_floor() > 0)  # variables with such a term
        if not np.any(has) or self.data_distance_ is None:
            return None
        rng = np.random.default_rng(None if seed is None else int(seed) + 1)
        speed = cal["speed_km_per_day"]
        dims = self.data_distance_[0].sites.shape[1]
        m = GAP_FEATURES
        # the error's correlation length measured along held-out passes; half the field's (older fits) without
        measured = cal.get("error_length_km") or [None] * k
        length = np.array([lam if lam is not None else 0.5 * ell for lam, ell in zip(measured, cal["gap_length_km"])])
        omega = rng.standard_normal((n, k, m, dims)) / length[None, :, None, None]
        phase = rng.uniform(0.0, 2.0 * np.pi, (n, k, m))
        # points per pass: the cosines of one pass, n x m x points, stay near GAP_FIELD_VALUES numbers
        step = max(1, GAP_FIELD_VALUES // (n * m))

        def field(chunk):
            xyz = _coords_km(chunk.astype(np.float64), speed)
            sd = np.sqrt(self._gap_variance(xyz))
            out = np.zeros((n, len(chunk), k))
            for j in range(k):
                if not has[j]:
                    continue
                for s in range(0, len(chunk), step):
                    e = min(len(chunk), s + step)
                    waves = np.cos(np.einsum("pd,nmd->nmp", xyz[s:e], omega[:, j]) + phase[:, j, :, None])
                    out[:, s:e, j] = np.sqrt(2.0 / m) * waves.sum(axis=1) * sd[s:e, j]
            return out

        return field

    def _dict_columns(self, target):
        cols = _coords.dict_columns(target, self.time_axis_)
        if self.time_axis_ is not None:
            self._warn_extrapolation(cols[2])
        return cols

    def _source_note(self) -> str:
        enc = self.encoding_config_
        period = f", min_period={enc['min_period']:.3g} days" if enc.get("min_period") else ""
        return (
            f"geoinr {__version__}: {self.model} implicit neural representation "
            f"(min_wavelength={enc['min_wavelength']:.4g} km{period}, {self.n_parameters_} parameters) "
            f"fitted to {', '.join(self.variables_)} on {self.n_points_} points"
        )

    @property
    def n_parameters_(self) -> int:
        """Number of trainable parameters of the network."""
        return sum(p.numel() for p in self.field_.parameters() if p.requires_grad)

    # ------------------------------------------------------------------ derived fields
    def derive(
        self,
        quantity: str,
        target,
        *,
        variable: str | None = None,
        equator_band: float = 5.0,
        rossby_radius: float | None = None,
        batch_size: int | None = None,
        lat=None,
        lon=None,
        time=None,
    ) -> xr.Dataset:
        r"""Fields derived from a fitted sea-surface height by automatic differentiation.

        Derivatives are taken through the encoding with respect to metres east,
        metres north and seconds (:mod:`geoinr.physics.operators`), with
        :math:`f = 2\Omega\sin\varphi`, :math:`\beta = 2\Omega\cos\varphi / R`, g = 9.80665 m/s^2:

        - ``"gradient"``: :math:`\partial\eta/\partial x`, :math:`\partial\eta/\partial y`.
        - ``"geostrophic_velocity"``: :math:`u = -\frac{g}{f}\partial_y\eta`, :math:`v = \frac{g}{f}\partial_x\eta`.
        - ``"relative_vorticity"``: geostrophic :math:`\zeta = \partial_x v - \partial_y u
          = \frac{g}{f}\nabla^2\eta - \frac{g\beta}{f^2}\partial_y\eta` (spherical Laplacian).
        - ``"pv"``: 1.5-layer quasi-geostrophic potential vorticity
          :math:`q = \nabla^2\psi - \psi/L_d^2`, :math:`\psi = g\eta/f`.

        Near the equator 1/f blows up: points with :math:`|\varphi| <` ``equator_band``
        degrees are set to NaN (with a warning) for every quantity but the gradient.

        Parameters
        ----------
        quantity : {"gradient", "geostrophic_velocity", "relative_vorticity", "pv"}
        target : xarray.Dataset or xarray.DataArray
            Where to evaluate, as in :meth:`predict`.
        variable : str, optional
            The sea-surface-height variable, when several were fitted. Its ``units``
            (m, cm or mm) are converted to metres.
        equator_band : float
            Degrees of latitude around the equator that are masked.
        rossby_radius : float, optional
            :math:`L_d` in km for ``"pv"``; default :math:`c_1/|f|` with
            :math:`c_1` = 2.8 m/s (about 30 km at 40N; Chelton et al. 1998).

        Returns
        -------
        xarray.Dataset
            Variables with CF units and long names on the target's coordinates.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = tracks.inr.fit("sla", width=32, depth=2, epochs=2, max_time=None, progress=False)
        >>> uv = m.derive("geostrophic_velocity", m.target_grid(1.0))
        >>> uv.ugos.attrs["units"], list(uv.data_vars)
        ('m s-1', ['ugos', 'vgos'])
        """
        from .physics import BAROCLINIC_WAVE_SPEED, GRAVITY, beta, coriolis, derivatives

        self._check_fitted()
        if quantity not in DERIVED_QUANTITIES:
            raise ValueError(f"Unknown quantity {quantity!r}; choose one of {DERIVED_QUANTITIES}.")
        if variable is None:
            if len(self.variables_) > 1:
                raise ValueError(f"Several variables were fitted ({self.variables_}); pass variable='<sea surface height>'.")
            variable = self.variables_[0]
        j = self._selection(variable)[0]
        to_m = _metres(self.variable_attrs_.get(variable, {}).get("units"), variable)
        scale, offset = self.std_[j] * to_m, self.mean_[j] * to_m
        batch_size = self._eval_batch(batch_size)
        dims, columns, coords = self._target_columns(target, lat, lon, time)
        shape = np.shape(columns[0])
        n = int(np.prod(shape))
        names = DERIVED_OUTPUTS[quantity]
        outs = {k: np.full(n, np.nan, dtype=np.float32) for k in names}
        dev = next(self.field_.parameters()).device
        need_lap = quantity in ("relative_vorticity", "pv")
        masked = 0

        def eta(raw):
            return self._standardized(raw)[0][:, j] * scale + offset

        for s in range(0, n, batch_size):
            e = min(n, s + batch_size)
            chunk = np.stack([np.asarray(c).flat[s:e] for c in columns], axis=1)
            ok = np.isfinite(chunk).all(axis=1)
            raw = torch.from_numpy(np.where(ok[:, None], chunk, 0.0).astype(np.float32)).to(dev)
            d = derivatives(eta, raw, laplacian=need_lap)
            latt = raw[:, 1]
            f = coriolis(latt)
            res = {}
            if quantity == "gradient":
                res = {"deta_dx": d["f_x"], "deta_dy": d["f_y"]}
            else:
                if quantity == "geostrophic_velocity":
                    res = {"ugos": -GRAVITY / f * d["f_y"], "vgos": GRAVITY / f * d["f_x"]}
                elif quantity == "relative_vorticity":
                    res = {"zeta": GRAVITY / f * d["lap"] - GRAVITY * beta(latt) / f**2 * d["f_y"]}
                else:
                    ld = (rossby_radius * 1e3) if rossby_radius else BAROCLINIC_WAVE_SPEED / f.abs()
                    # lap(g eta / f) with f = f(y): product rule on the sphere
                    b = beta(latt)
                    lap_psi = GRAVITY * (
                        d["lap"] / f - 2.0 * b * d["f_y"] / f**2
                        + d["f"] * (2.0 * b**2 / f**3 - _lap_f(latt) / f**2)
                    )
                    res = {"q": lap_psi - GRAVITY * d["f"] / f / ld**2}
                band = latt.abs() < equator_band
                masked += int(band.sum())
                res = {k: torch.where(band, torch.full_like(v, float("nan")), v) for k, v in res.items()}
            for k, v in res.items():
                vals = v.detach().cpu().numpy().astype(np.float32)
                vals[~ok] = np.nan
                outs[k][s:e] = vals
        if masked:
            warnings.warn(
                f"{masked} points within {equator_band} degrees of the equator were set to NaN: "
                f"geostrophy (1/f) does not hold there. Lower equator_band= to see more, at your own risk.",
                UserWarning,
                stacklevel=2,
            )
        long = self.variable_attrs_.get(variable, {}).get("long_name", variable)
        ds = xr.Dataset(coords=coords)
        for k in names:
            attrs = dict(DERIVED_ATTRS[k])
            attrs["long_name"] = attrs["long_name"].format(long=long)
            attrs["source"] = self._source_note()
            attrs["history"] = f"{_now()}: geoinr {__version__} INRModel.derive({quantity!r}) by automatic differentiation"
            ds[k] = xr.DataArray(outs[k].reshape(shape), dims=dims, coords=coords, attrs=attrs)
        if quantity == "pv":
            ds["q"].attrs["rossby_radius"] = f"{rossby_radius} km" if rossby_radius else "2.8 m/s / |f| (Chelton et al. 1998)"
        return ds

    # ------------------------------------------------------------------ grids & scores
    def target_grid(self, resolution=0.25, time_step=None, region=None, times=None) -> xr.Dataset:
        """A regular lat/lon(/time) grid over the fitted region and time span (coordinates only).

        Parameters
        ----------
        resolution : float or (float, float)
            Grid spacing in degrees (``(dlon, dlat)`` for a pair).
        time_step : str or float, optional
            Spacing of the time axis: a pandas frequency (``"1D"``, ``"6h"``) for
            dates, a number for numeric times. Default one day (or 1 unit).
        region : (west, east, south, north), optional
            Defaults to the fitted region. Longitudes across the dateline run past
            180 so they stay increasing.
        times : array-like, optional
            Explicit times instead of a regular axis.

        Returns
        -------
        xarray.Dataset
            Empty Dataset with CF-annotated coordinates, named as in the training data.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> dict(m.target_grid(resolution=1.0).sizes)  # whole days inside the 4-day window
        {'time': 3, 'latitude': 10, 'longitude': 10}
        """
        self._check_fitted()
        region = tuple(region) if region is not None else self._output_region(resolution)
        if self.time_axis_ is not None and times is None:
            times = self._time_axis_values(time_step)
        names = self.coord_names_
        return _coords.regular_grid(
            region,
            resolution,
            times=times,
            lat_name=names["lat"],
            lon_name=names["lon"],
            time_name=names["time"] or "time",
        )

    def grid(self, resolution=0.25, time_step=None, region=None, times=None, batch_size: int | None = None) -> xr.Dataset:
        """Predict every fitted variable on a regular grid (see :meth:`target_grid`).

        Returns
        -------
        xarray.Dataset
            One variable per fitted variable, on ``(time, lat, lon)`` or ``(lat, lon)``.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> list(m.grid(resolution=1.0).data_vars)
        ['sla']
        """
        target = self.target_grid(resolution, time_step=time_step, region=region, times=times)
        pred = self.predict(target, batch_size=batch_size)
        ds = pred.to_dataset() if isinstance(pred, xr.DataArray) else pred
        ds.attrs.update({"Conventions": "CF-1.8", "source": self._source_note(), "history": f"{_now()}: geoinr INRModel.grid"})
        return ds

    def _output_region(self, resolution):
        """Fitted region in the training longitude convention, snapped outward to the resolution."""
        dlon, dlat = (resolution, resolution) if np.isscalar(resolution) else resolution
        west, east, south, north = self.region_
        west, east = np.floor(west / dlon + 1e-9) * dlon, np.ceil(east / dlon - 1e-9) * dlon
        south = max(-90.0, np.floor(south / dlat + 1e-9) * dlat)
        north = min(90.0, np.ceil(north / dlat - 1e-9) * dlat)
        if east - west > 360.0:
            west, east = -180.0, 180.0
        if self.lon_convention_ == "360" and west < 0 and east <= 0:
            west, east = west + 360.0, east + 360.0
        return (west, east, south, north)

    def _time_axis_values(self, time_step):
        lo, hi = self.time_range_
        ta = self.time_axis_
        if ta.kind == "numeric":
            step = 1.0 if time_step is None else float(time_step)
            return np.arange(np.ceil(lo / step - 1e-9) * step, hi + 1e-9 * step, step)
        freq = "1D" if time_step is None else time_step
        start, end = ta.from_days(np.array([lo, hi]))
        if ta.kind == "datetime64":
            start = pd.Timestamp(start)
            try:  # first whole time step inside the window
                start = start.ceil(freq)
            except ValueError:
                pass
            return pd.date_range(start=start, end=pd.Timestamp(end), freq=freq).values
        day = type(start)(start.year, start.month, start.day, calendar=start.calendar)
        start = day if day == start else day + _dt.timedelta(days=1)
        return xr.date_range(start=start, end=end, freq=freq, calendar=ta.calendar, use_cftime=True).values

    def score(self, test, variables=None, *, lat=None, lon=None, time=None) -> dict:
        """Score the model against reference data (gridded or scattered).

        Parameters
        ----------
        test : xarray.Dataset or xarray.DataArray
            Reference values of the fitted variable(s) with their coordinates;
            NaN are ignored.
        variables : str or list, optional
            Which fitted variables to score (default: all present in ``test``).

        Returns
        -------
        dict
            ``{"rmse", "mu", "bias", "n"}`` where ``mu = 1 - RMSE / RMS(reference)``
            (the data-challenge normalized score). With several variables, a dict of
            such dicts keyed by variable.

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> sorted(m.score(tracks))
        ['bias', 'mu', 'n', 'rmse']
        """
        self._check_fitted()
        if isinstance(test, xr.DataArray):
            name = test.name if test.name is not None else self.variables_[0]
            if len(self.variables_) > 1 and name not in self.variables_:
                raise ValueError(f"Cannot tell which fitted variable this unnamed DataArray is; name it one of {self.variables_}.")
            test = test.to_dataset(name=name if name in self.variables_ else self.variables_[0])
        wanted = [variables] if isinstance(variables, str) else variables
        if wanted is None:
            wanted = [v for v in self.variables_ if v in test.data_vars]
            if not wanted:
                raise ValueError(f"The test data holds none of the fitted variables {self.variables_}; it has {list(test.data_vars)}.")
        names = self._target_names(test, lat, lon, time)
        results = {}
        for v in wanted:
            if v not in self.variables_:
                raise ValueError(f"{v!r} was not fitted; fitted variables: {self.variables_}.")
            table, _ = _coords.points_from_xarray(test, [v], names, self.time_axis_)
            cols = [table.lon, table.lat] + ([table.time] if table.time is not None else [])
            if table.time is not None:
                self._warn_extrapolation(table.time)
            pred = self._evaluate(cols, self._eval_batch(None))[:, self.variables_.index(v)].astype(np.float64)
            ref = table.values[:, 0]
            results[v] = {
                "rmse": rmse(pred, ref),
                "mu": nrmse_score(pred, ref),
                "bias": float(np.mean(pred - ref)),
                "n": int(ref.size),
            }
        return results[wanted[0]] if len(wanted) == 1 else results

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the model to one file: safetensors weights with the JSON config in its header.

        No pickle is involved; :func:`geoinr.load` reads it back and predicts
        bit-identical values on CPU.

        Examples
        --------
        >>> import geoinr, tempfile, os
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
        >>> path = os.path.join(tempfile.mkdtemp(), "sla.geoinr")
        >>> m.save(path); geoinr.load(path).variables_
        ['sla']
        """
        from .io import save

        save(self, path)


def _output_chunks(target, dims, shape, chunks):
    """Dask chunks of the output, or None for an eager result (see ``predict(chunks=)``)."""
    import dask.array as da

    if chunks is None:
        data_vars = target.data_vars.values() if isinstance(target, xr.Dataset) else [target]
        lazy = [v for v in data_vars if v.chunks is not None and set(v.dims) <= set(dims)]
        if not lazy:
            return None
        sizes = lazy[0].chunksizes
        chunks = {d: sizes[d] for d in dims if d in sizes}
    if isinstance(chunks, str):
        if chunks != "auto":
            raise ValueError(f"chunks={chunks!r}: give a dict like {{'time': 1}}, 'auto' or None.")
        return da.core.normalize_chunks("auto", shape, limit="32MiB", dtype=np.float32)
    if not isinstance(chunks, Mapping):
        raise TypeError(f"chunks must be a dict of output dims to chunk sizes, 'auto' or None; got {type(chunks).__name__}.")
    unknown = [d for d in chunks if d not in dims]
    if unknown:
        raise ValueError(f"chunks names dims {unknown} that the output does not have; its dims are {list(dims)}.")
    spec = tuple(chunks.get(d, -1) for d in dims)
    return da.core.normalize_chunks(spec, shape, dtype=np.float32)


def _metres(units, variable) -> float:
    """Factor from the variable's units to metres (warns and assumes metres if unknown)."""
    key = str(units or "").strip().lower()
    if key in _UNIT_TO_M:
        return _UNIT_TO_M[key]
    warnings.warn(
        f"Variable {variable!r} has units {units!r}; derived fields assume it is a sea-surface height in metres.",
        UserWarning,
        stacklevel=3,
    )
    return 1.0


def _lap_f(lat_deg: torch.Tensor) -> torch.Tensor:
    """Spherical Laplacian of f = 2 Omega sin(lat): -2 f / R^2 (f is a degree-1 spherical harmonic)."""
    from .physics import EARTH_RADIUS_M, coriolis

    return -2.0 * coriolis(lat_deg) / EARTH_RADIUS_M**2


def _coords_km(raw: np.ndarray, speed_km_per_day: float) -> np.ndarray:
    """(lon, lat[, time]) -> (x, y, z[, speed * t]) in km, for nearest-neighbour searches."""
    from .scales import _xyz_km

    xyz = _xyz_km(raw[:, 0], raw[:, 1])
    if raw.shape[1] == 3:
        xyz = np.column_stack([xyz, speed_km_per_day * raw[:, 2]])
    return xyz


def _speed_km_per_day(encoding_config: dict) -> float:
    """Speed (km/day) that makes a time lag comparable with a distance: min_wavelength / min_period."""
    period = encoding_config.get("min_period")
    return encoding_config["min_wavelength"] / period if period else 0.0


def _satellite_passes(raw: np.ndarray, min_passes: int = 10) -> np.ndarray | None:
    """Label of the satellite pass of each point (lon, lat, time rows), or None when the data are not along-track.

    Along a pass, the nearest observation is the next one: a spacing ``s0`` in
    space and ``dt0`` in time (1 Hz altimetry: ~7 km, 1 s). With time scaled so
    that ``dt0`` counts as ``s0``, points of one pass are linked (closer than
    2 ``s0``) while passes that cross minutes or days apart are not; a pass is a
    connected set. A gridded time series (nearest observation at the same time),
    data without time and scattered points give None.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(raw)
    if n < 200 or raw.shape[1] < 3:
        return None
    xyz = _coords_km(raw[:, :2], 0.0)
    dist, nearest = cKDTree(xyz).query(xyz, k=2)
    s0 = float(np.median(dist[:, 1]))
    dt0 = float(np.median(np.abs(raw[:, 2] - raw[nearest[:, 1], 2])))
    if not (s0 > 0 and dt0 > 0):
        return None
    pts = np.column_stack([xyz, raw[:, 2] * (s0 / dt0)])
    pairs = cKDTree(pts).query_pairs(2.0 * s0, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_sets, labels = connected_components(graph, directed=False)
    size = np.bincount(labels)
    if n_sets < min_passes or size.max() > 0.2 * n or np.median(size[labels]) < 20:
        return None
    return labels.astype(np.int64)


def _warn_duplicates(table: _coords.PointTable) -> None:
    """Warn when several observations share coordinates but disagree (they are fitted as noisy repeats)."""
    coords = table.coordinates()
    _, inverse, counts = np.unique(coords, axis=0, return_inverse=True, return_counts=True)
    if counts.max() < 2:
        return
    inverse = inverse.ravel()
    dup = counts[inverse] > 1
    vals = np.where(np.isfinite(table.values), table.values, 0.0)
    spread = np.zeros((counts.size, vals.shape[1]))
    np.maximum.at(spread, inverse[dup], vals[dup])
    low = np.full((counts.size, vals.shape[1]), np.inf)
    np.minimum.at(low, inverse[dup], vals[dup])
    differing = int(((spread - low) > 0).any(axis=1).sum())
    if differing:
        warnings.warn(
            f"{differing} coordinate(s) carry several different values (e.g. crossing satellite tracks). "
            f"They are fitted as repeated noisy observations: the model learns their mean.",
            UserWarning,
            stacklevel=4,
        )


GAP_FIELD_VALUES = 4_000_000  # sample(): cosines evaluated at once (memory ~ 32 MB)
GAP_FEATURES = 256  # random Fourier features per draw of the gap error field (sample())
VARIOGRAM_LAGS = 3  # the variogram behind the gap length reaches VARIOGRAM_LAGS min_wavelengths
GAP_CELLS = 20  # data sites for distances are thinned to cells of min_wavelength / GAP_CELLS
VALIDATION_BLOCKS = 12  # validation holds out boxes of 1/12 of the region (and time window) per side


def _validation_blocks(table: _coords.PointTable, region) -> np.ndarray:
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


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resolve_variables(ds: xr.Dataset, variables, names: _coords.CoordNames) -> list:
    coord_like = {names.lat, names.lon, names.time}
    if variables is None:
        cands = [
            k
            for k, v in ds.data_vars.items()
            if k not in coord_like and (np.issubdtype(v.dtype, np.number) and v.dtype != bool)
        ]
        if not cands:
            raise ValueError(
                f"This Dataset has no numeric data variable to fit (data variables: {list(ds.data_vars)}). "
                f"Pass variables='<name>'."
            )
        if len(cands) > 1:
            raise ValueError(
                f"This Dataset has several data variables {cands}; pass variables='{cands[0]}' "
                f"(or a list to fit them jointly)."
            )
        return cands
    var_list = [variables] if isinstance(variables, (str, bytes)) or not isinstance(variables, Sequence) else list(variables)
    for v in var_list:
        if v not in ds.data_vars:
            raise ValueError(f"Variable {v!r} is not in this Dataset. Data variables: {list(ds.data_vars)}.")
    return var_list
