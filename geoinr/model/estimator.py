"""INRModel: the estimator. ``fit`` reads as a recipe; the steps live in the modules beside it.

- :mod:`.field`: encoding + network (the fitted field);
- :mod:`.fitting`: in-memory or streamed preparation, one training entry;
- :mod:`.evaluation`: the batch loop, eager or lazy (dask);
- :mod:`.state`: the learned state, for save and load;
- :mod:`geoinr.uncertainty.strategies`: none / ensemble / Bayesian last layer;
- :mod:`geoinr.physics.losses`, :mod:`geoinr.physics.derived`: residuals and derived fields.
"""
from __future__ import annotations

import copy
import functools
import os
import warnings
from typing import Hashable, Sequence

import numpy as np
import pandas as pd
import torch

from .._version import __version__
from ..base import BaseMapper
from ..frames import check_keywords, refuse_unknown_keywords
from ..encoding import CoordinateEncoding
from ..nn import NETWORKS
from ..physics.losses import physics_terms
from ..training import agree, distributed_world, own_torch_state, resolve_device, setup_distributed
from ..uncertainty.calibrated import CalibratedError
from ..uncertainty.strategies import strategy as _uncertainty_strategy
from . import evaluation as _evaluation
from . import fitting as _fitting
from . import network_choice as _network_choice
from . import state as _state
from .field import build_field
from .params import check_params, did_you_mean, seed_in_force as _seed_in_force
from .surrogate import SurrogateMixin


def _rank_zero_warns(fit):
    """Under torchrun (``RANK``, ``WORLD_SIZE`` set) the ranks other than 0 fit without warning: every rank reads
    the same data and makes the same choices, and each printed every warning once more (a review). Errors are
    raised on every rank."""
    @functools.wraps(fit)
    def wrapped(self, *args, **kwargs):
        refuse_unknown_keywords(fit, kwargs, type(self).__name__)  # fit(variable="sla"): a "Did you mean" (a review)
        if os.environ.get("RANK", "0") == "0" or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return fit(self, *args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit(self, *args, **kwargs)
    return wrapped

__all__ = ["INRModel"]



class INRModel(SurrogateMixin, BaseMapper):
    """An implicit neural representation of geophysical fields on lat/lon(/time).

    The constructor only stores parameters (scikit-learn style); :meth:`fit` learns,
    and learned attributes end in ``_``. Most users call ``ds.inr.fit("sla")``.

    Parameters
    ----------
    model : str
        Network name: ``"siren"``, ``"modulated_siren"``, ``"nif"``, ``"fourier_net"``,
        ``"gabor_net"``, ``"ffn"``, ``"mlp"`` (see ``geoinr.nn.NETWORKS``).
    width, depth : int, optional
        Units per hidden layer, hidden layers: 256, 3 (SIREN: 512 on 50k+ scattered in-memory points; MFNs 128; mlp 5).
    min_wavelength : float or "search", optional
        km: the shortest wavelength the model should represent. Every model sets its
        frequencies from it (SIREN ``w0``, filter frequencies, Fourier-feature scales).
        Default: from the data's sampling (:func:`geoinr.scales.default_scales`),
        about 140 km for four altimeters over 10 days, 2 grid spacings for a full grid.
        ``"search"``: with ``min_period``, by held-out error (:mod:`geoinr.model.scale_search`).
    min_period : float, optional
        days: the shortest period to represent. Default ``min_wavelength`` / 10 km/day
        (mesoscale eddies drift and decorrelate at a few km/day).
    w0 : float, optional
        Explicit SIREN first-layer frequency, overriding the one from ``min_wavelength``
        (Sitzmann et al.'s 30 invents structure between tracks: ``benchmarks/frequency_sweep.py``).
    space_encoding : {"sphere", "lonlat", "spherical_harmonics"}
        Unit-sphere Cartesian coordinates (default; no seam at the dateline or the
        poles), local plane coordinates, or real spherical harmonics (global fits).
    time_encoding : {"linear", "tanh", "sinusoidal", "fourier"}
        Time scaled to [-1, 1] over the window (default), "tanh": bounded beyond it, or sin/cos features (periodic).
    model_options : dict, optional
        Options of the chosen network, e.g. ``{"variant": "last_layer"}`` for NIF,
        ``{"modulation": "shift"}`` for modulated SIREN, ``{"kernel": "matern"}`` for
        ffn, ``{"activation": "tanh"}`` for mlp; SIREN models and NIF, 50k+ scattered points: ``{"init": "tuner"}``.
    uncertainty : {None, "ensemble", "bayes_last_layer"}
        How to estimate the predictive standard deviation (``predict(return_std=True)``, :meth:`sample`): a deep
        ensemble of ``n_members`` networks trained in one batched pass, or a closed-form Bayesian last layer (one
        network; a Gaussian posterior over its output weights centred on the trained ones: the map is the network's).
        Both are calibrated on the held-out validation set: whole satellite passes when the data are along-track
        (blocks of space and time otherwise), so that held-out points lie as far from the training data as a map's
        gaps do; as in any fit they join the training for its last part, and the calibration scores them with the
        weights from before they joined. The calibrated variance is the network's (scaled) plus a term that grows
        with the distance to the nearest training observation up to the field's own variance, over the field's
        correlation length from the variogram of the data, fitted to whole held-out passes
        (:func:`geoinr.uncertainty.calibrate_gap`); ``calibration_`` holds its parameters.
    n_members : int, optional
        Networks trained together (vmapped): the ensemble's size (unset: 5); without ``uncertainty=``, their mean is the
        field (unset: 4 on L-BFGS grids, 3 on scattered points, where the budget pays; else 1, more in time left).
    physics : {"auto", None, "qg", "mass", "smooth"} or list of them
        Losses added to the data loss at ``n_collocation`` points drawn each step over the fitted space-time box.
        ``"qg"``: 1.5-layer quasi-geostrophic PV conservation of the (first) variable as sea-surface height, each
        point on its own tangent plane, none within 5 degrees of the equator (:mod:`geoinr.physics.qg`). ``"mass"``:
        divergence of the two variables as (eastward, northward) velocity. ``"smooth"``: a prior, the mean square
        gradient, for records too sparse to map (README). Dimensionless (std, ``min_wavelength``, beta) everywhere.
        ``"auto"`` (default, ``physics_``): ``"smooth"`` (0.03, or a ``physics_weight`` number) on scattered records too
        sparse to map (the fit warns) outside the tropics, unless ``optimizer="lbfgs"``; else none. None: none.
    physics_weight : float or "auto"
        Weight of the dimensionless residual's mean square against the standardized data MSE. ``"auto"`` (default): a
        data-only network, one at 0.1 (0.03 for ``"smooth"`` alone; where early stopping leaves it time) or their mean,
        whichever predicts held-out data best (0.1 or 0.03 where nothing is held out, or for ``physics="auto"``'s prior).
    mass_constraint : {"penalty", "streamfunction"}
        For two fitted velocity components (eastward, northward): ``"streamfunction"`` makes the network output a
        streamfunction and takes (u, v) from its derivatives: divergence-free on the sphere by construction
        (``physics="mass"``, zero then, is refused). ``"penalty"`` (default) fits u and v freely.
    physics_every : int
        Add the residual loss every this many steps (a physics step costs ~3x a data step; 8th: QG OSSE's best).
    rossby_radius : float, optional
        km, for ``physics="qg"``; default the zonal-mean radius at each point's latitude
        (:func:`geoinr.physics.rossby_radius_km`, a fit to Chelton et al. 1998).
    n_collocation : int
        Collocation points per step.
    batch_size : int, optional
        Points per optimization step; unset: 4096 (512: ``mlp``, ``fourier_net``, ``gabor_net``).
    precision : {"auto", "float32", "bfloat16"}
        ``"bfloat16"`` (``model="siren"`` only): the hidden products in bfloat16 with float32
        accumulation, ~2.5x the throughput on CPUs with AVX512-BF16/AMX and recent GPUs; positions,
        output, validation and derivatives stay float32; a noise of ~0.5 % of the field's std. ``"auto"``: bfloat16 for
        a SIREN on scattered data under ``max_time`` where a timed step is 1.3x faster (``precision_``).
    lr : float, optional
        Peak learning rate of Adam (after warm-up, before cosine decay); unset: 1e-4 (1e-3: ``mlp``, ``fourier_net``, ``gabor_net``).
    optimizer : {"auto", "adam", "lbfgs"}
        ``"lbfgs"``: Adam for 10 % of the budget, then full-batch L-BFGS, which converges on
        noise-free grids where Adam roughens the field between the points (``benchmarks/eddy_vorticity.py``);
        not with validation, ``physics=`` or ``uncertainty=``. ``"auto"`` (``optimizer_``): ``"lbfgs"`` for grids
        of at most 100,000 points fitted without those where ``max_time`` pays for 500 full passes, else ``"adam"``.
    epochs : int, optional
        Maximum number of passes over the training points.
    max_time : float, optional
        Seconds for the whole fit: training gets what reading and choices left (less 15 % for the calibration with
        ``uncertainty=``; at least half), stops at the first of ``epochs`` and ``max_time``, its schedule following the
        nearer. Steps follow the machine's speed: repeatable runs need ``epochs`` and ``max_time=None``.
    validation : float or "auto"
        Fraction held out (whole passes or space-time blocks) for early stopping, trained on in the
        last quarter of the run (last weights kept; ``uncertainty=`` calibrates with the weights of before; on dask
        or torchrun it stays out: best validation weights). 0: none. "auto": 0.1; 0 for grids without uncertainty=, lbfgs.
    patience : int
        Checks without improvement before the last part starts early (a third of the run so far).
    seed : int or None
        Seed of the initialization, split and batch order: same seed, same weights on CPU (``epochs`` budget). None draws one (``seed_``).
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
    region_, time_range_, time_gaps_, time_step_ : tuple, tuple, list, float or None
        (west, east, south, north) degrees, (first, last) days, the far parts of its gaps, a gridded record's step (days; ``grid()``'s default).
    n_points_, network_size_, validation_, streamed_ : int, dict, float, dict or None
        Observations fitted; the network's default ``width`` and ``depth`` when fitted; the held-out share; a dask-streamed fit's blocks.
    encoding_config_ : dict
        Encoding parameters, ``min_wavelength`` (km) and ``min_period`` (days) included.
    optimizer_, members_, fill_members_, precision_, network_options_ : str, int, dict or None, str, dict
        The optimizer (``"adam"`` or ``"lbfgs"``), the number of networks, each one's fit where early stopping
        left time (:mod:`geoinr.model.members`), the precision, the network's option defaults.
    physics_, physics_weight_, physics_choice_ : str, list or None; float or None; dict or None
        The terms, the weight used and, for ``"auto"``, each candidate's held-out ``val_loss``.
    scale_search_ : dict or None
        Where searched: the rule's, each candidate (``min_wavelength``, ``min_period``, held-out ``rmse``) and the choice.
    history_ : pandas.DataFrame
        One row per validation check: epoch, step, seconds, lr, loss, val_loss, physics_loss (``val_loss`` on every
        held-out point, or an even sample of 65,536 of them where more were held out).
    fit_seconds_, stop_reason_, best_val_loss_, fitted_at_, device_, cpu_contention_, seed_
        Training time, why it ended, best validation loss, when, where the weights are, CPU share others took, seed used.
    calibration_ : dict or None
        With ``uncertainty=``: ``variance_scale`` (c), ``gap_variance`` (a, field variance), ``gap_length_km`` (l)
        and its source, ``noise_variance`` (standardized units), ``error_length_km`` (the correlation length of the
        map's error along held-out passes) and ``error_floor`` (b, standardized), ``speed_km_per_day`` and the
        points it was measured on (see :func:`geoinr.uncertainty.calibrate_gap`).
    data_distance_ : list of geoinr.uncertainty.DataDistance, or None
        With ``uncertainty=`` and a distance term: per variable, the (thinned) training sites.

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
        min_wavelength: float | str | None = None,
        min_period: float | None = None,
        w0: float | None = None,
        space_encoding: str = "sphere",
        time_encoding: str = "linear",
        model_options: dict | None = None,
        uncertainty: str | None = None,
        n_members: int | None = None,
        physics="auto",
        physics_weight: float | str = "auto",
        mass_constraint: str = "penalty",
        physics_every: int = 8,
        rossby_radius: float | None = None,
        n_collocation: int = 1024,
        batch_size: int | None = None,
        precision: str = "auto",
        lr: float | None = None,
        optimizer: str = "auto",
        epochs: int | None = None,
        max_time: float | None = 60.0,
        validation: float | str = "auto",
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
        self.optimizer = optimizer
        self.epochs = epochs
        self.max_time = max_time
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.device = device
        self.progress = progress

    _fitted_attribute = "field_"
    _warns_extrapolation = True

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        """The constructor call (non-default parameters); a fitted model adds network, encodings,
        data, training time, best validation score and device, one line each (:mod:`geoinr.display`)."""
        from ..display import to_text

        return to_text(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the same facts as ``repr`` in a compact, escaped HTML table."""
        from ..display import to_html

        return to_html(self)

    def plot_history(self, ax=None, **kwargs):
        """Training and validation loss against epochs (needs matplotlib); see :func:`geoinr.plot.plot_history`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot import plot_history

        return plot_history(self, ax=ax, **kwargs)

    @property
    def history(self) -> pd.DataFrame:
        """Training history, one row per validation check: epoch, step, seconds, lr, loss, val_loss, physics_loss (a grid's L-BFGS phase: its evaluations counted in epochs, ``step`` Adam's last, ``lr`` NaN)."""
        if not self.is_fitted:  # (after set_params too: the record of what was trained stands)
            self._check_fitted()
        return self.history_

    @property
    def n_parameters_(self) -> int:
        """Number of trainable parameters of the network."""
        if not self.is_fitted:
            self._check_fitted()
        return sum(p.numel() for p in self.field_.parameters() if p.requires_grad)

    # ------------------------------------------------------------------ fit
    @_rank_zero_warns
    def fit(
        self,
        data,
        values=None,
        *,
        variables: Hashable | Sequence[Hashable] | None = None,
        lat: Hashable | None = None, lon: Hashable | None = None, time: Hashable | None = None,
        checkpoint=None, checkpoint_every: float = 60.0, resume=None, weights=None,
    ) -> "INRModel":
        """Fit the network to observations; returns ``self``.

        Parameters
        ----------
        data : xarray.Dataset, xarray.DataArray or dict
            Gridded data with NaN gaps (any dimension order), scattered data along
            one observation dimension (along-track layout), or a dict of 1-D numpy
            arrays ``{"lon": ..., "lat": ...[, "time": ...]}``.
        values : array-like or str, optional
            With a dict: the observations ``(n,)`` or ``(n, k)``; a named DataArray's name and units go on. A name
            (or list of names) here is taken as ``variables``: ``fit(ds, "sla")``, or with a dict holding the values
            as an entry, ``fit({"lon": ..., "lat": ..., "sla": ...}, "sla")``, as the baselines read it.
        variables : str or list of str, optional
            Dataset variables (or dict entries) to fit (jointly, one output each). Needed when there are several.
        lat, lon, time : str, optional
            Coordinate names, when they cannot be found from CF attributes or common names. ``time=False`` fits a
            purely spatial field and ignores time.
        checkpoint : str or path-like, optional
            File for the whole training state, written atomically every ``checkpoint_every`` seconds (at validation
            checks), when training ends and on Ctrl-C (safetensors + JSON, no pickle).
        checkpoint_every : float
            Seconds between checkpoints.
        resume : str or path-like, optional
            A checkpoint of an interrupted fit of the same data, parameters and seed (not None: that
            draws other held-out points, and is refused): training continues where it stopped. With an
            ``epochs`` budget (``max_time=None``) the result is identical to an uninterrupted fit on CPU
            (stopped in its L-BFGS phase: close, going on from that phase's best weights with its evaluations left).
        weights : str, xarray.DataArray or array-like, optional
            Each observation's weight in the loss, 1/sigma^2 of its error (scaled to a mean of 1; 0 leaves it out): a
            data variable's name or a DataArray on the data's coordinates (a dict: one a point); in memory only.

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
        self._forget()  # a refit starts from nothing learned (members_, precision_ and the rest are chosen anew)
        self._validate_params()
        obs = _fitting.read_observations(self, data, values, variables, lat, lon, time, resume, checkpoint,
                                         checkpoint_every, weights)
        try:
            with own_torch_state():  # float32, gradients on, no caller's autocast (a review: torch.no_grad() broke it)
                device = setup_distributed(resolve_device(self.device))  # first: under torchrun the ranks' choices agree
                frame = _fitting.learn_frame(self, obs)
                share = _fitting.choose_scales(self, obs, resume)
                self.encoding_config_ = agree(_fitting.encoding_config(self, frame.sample, frame.extent))
                _network_choice.build_network(self, obs, frame.source is not None, device, (checkpoint, resume) != (None, None), share, resume)
                prep = _fitting.prepare_in_memory(self, obs.table, frame) if frame.source is None else _fitting.prepare_streamed(self, frame, device, distributed_world())
                trainer, result = _fitting.fit_field(self, prep, _fitting.train_config(self, share), device, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume)
                _fitting.calibrate(self, trainer, prep)
                self.streamed_ = prep.streamed
                _fitting.finish(self, result, trainer, device)
        except BaseException as err:  # Ctrl-C outside training too (inside, training ends and keeps the best weights)
            if not (isinstance(err, _fitting.TrainingDiverged) and err.model is self):  # (its best model: kept)
                self._forget()  # a failed fit leaves the estimator clearly unfitted, not half-fitted
            raise
        return self

    def _validate_params(self):
        """Cheap checks of the parameters, before any data is read."""
        if self.model not in NETWORKS:
            raise ValueError(f"Unknown model {self.model!r}. Available models: {', '.join(sorted(NETWORKS))}."
                             f"{did_you_mean(self.model, NETWORKS)}")
        check_params(self.get_params())
        strategy = self._strategy()
        strategy.check(mass_constraint=self.mass_constraint)
        physics_terms(None if self.physics == "auto" else self.physics)
        _network_choice.check_precision(self)
        _fitting.validation_fraction(self.validation, False, False)
        return strategy

    def _strategy(self):
        """The uncertainty strategy of ``uncertainty=`` (none, ensemble, Bayesian last layer)."""
        members = getattr(self, "members_", None)  # fitted: the number chosen (see n_members)
        return _uncertainty_strategy(self.uncertainty, self.n_members if members is None else members)

    def _build(self, encoding: CoordinateEncoding, n_out: int, **override) -> None:
        """Create ``field_`` (encoding + network) from parameters (``override``: some replaced); used by fit and load."""
        options = {**(getattr(self, "network_options_", None) or {}), **(self.model_options or {})}  # given ones win
        sizes = {k: v for k, v in (getattr(self, "network_size_", None) or {}).items() if getattr(self, k) is None}
        self.field_ = build_field({**self.get_params(), "seed": _seed_in_force(self), **sizes, "model_options": options, **override}, encoding, n_out,
                                  self._strategy(), mean=self.mean_, std=self.std_, variables=self.variables_)

    def _autocast(self, device: torch.device, full: bool = False):
        """Forward passes of data fitting and prediction (``precision``; ``full``: float32, as uncertainty's are)."""
        low = not full and _network_choice.check_precision(self) == "bfloat16" and self._strategy().allows_low_precision
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=low)

    # ------------------------------------------------------------------ evaluate
    def _standardized(self, xb: torch.Tensor):
        """Mean and field variance (None without uncertainty) in standardized units, each (b, k)."""
        return self._strategy().standardized(self.field_, xb)

    def _calibrated_error(self) -> CalibratedError:
        return CalibratedError(self.calibration_, self.data_distance_, len(self.variables_))

    def _eval_batch(self, batch_size: int | None) -> int:
        return _evaluation.eval_batch_size(self.field_, batch_size)

    def _predict_columns(self, columns) -> np.ndarray:
        return _evaluation.evaluate(self, columns, self._eval_batch(None))

    def __getstate__(self):
        """Pickle (dask.distributed workers) with the weights on the CPU; files use :meth:`save`."""
        state = super().__getstate__()
        field = state.get("field_")
        if field is not None and any(p.device.type != "cpu" for p in field.parameters()):
            state["field_"], state["device_"] = copy.deepcopy(field).cpu(), "cpu"
        return state

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
        precision: str | None = None,
        outside: str = "hold",
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
            Return a lazy dask-backed result in these chunks of the output dims (``{"time": 1}``: dims
            not named get chunks of at most 32 MiB, -1 a whole dim), evaluated block by block when computed
            or written (``fitted.predict(grid, chunks={"time": 1}).to_zarr(...)`` writes chunk by
            chunk in bounded memory). Default: lazy with the chunks of the target's
            data variables if they are dask arrays (``target.chunk(...)``), else eager.
            Works with the dask threaded scheduler and with ``dask.distributed``:
            the model pickles to workers with CPU weights.
        precision : {None, "float32"}
            None: the fit's (``precision_``; float32 with ``uncertainty=``); ``"float32"``: a bfloat16 fit without its
            noise (0.5 % of the std; for fine maps you difference yourself), about 1.7x slower on CPU.
        outside : {"hold", "nan", "extrapolate"}
            Targets outside the fitted region and window (the data's extent): ``"hold"`` the value of its nearest point
            (as ``numpy.interp`` holds its ends), ``"nan"`` NaN beyond the margin that warns (and inside a gap of the
            record, ``time_gaps_``), ``"extrapolate"`` the network's own values.

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
        if precision not in (None, "float32"):
            raise ValueError(f"precision={precision!r}: give None (the fit's, {self.precision_}) or 'float32'.")
        full, outside = precision == "float32", _evaluation.check_outside(outside)
        if return_std and not self._strategy().calibrated:
            raise ValueError("return_std=True needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'.")

        def evaluate(columns, xarray_target):
            out_chunks = None if xarray_target is None else _evaluation.output_chunks(  # (target, dims); values a point
                *xarray_target, np.shape(columns[0]), chunks, len(self.variables_) * (1 + return_std),
                _evaluation.output_dtype(self))
            if out_chunks is not None:
                return _evaluation.evaluate_lazy(self, columns, out_chunks, batch_size, return_std, full, outside)
            return _evaluation.evaluate(self, columns, batch_size, return_std, full, outside)

        return self._predict_any(target, lat, lon, time, sel, evaluate)

    def _std_comment(self, j: int) -> str:
        units = self.variable_attrs_.get(self.variables_[j], {}).get("units", "")
        return self._calibrated_error().comment(j, self.uncertainty, self.std_[j], units)

    def _source_note(self) -> str:
        return _evaluation.source_note(self, __version__)

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
        _state.save(self, path)


# an unknown keyword (variables= where it takes variable=) gets a "Did you mean" (a review)
check_keywords(INRModel, ("predict",))
