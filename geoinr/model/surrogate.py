"""The fitted network as a smooth, differentiable surrogate: derived fields and plausible draws.

:class:`SurrogateMixin` gives :class:`geoinr.INRModel` its ``derive`` (geostrophic
currents, vorticity, PV by automatic differentiation through the encoding, in metres
and seconds) and ``sample`` (draws from the calibrated uncertainty). Its methods use
the estimator's fitted state and its batch loop (:mod:`.evaluation`).
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import torch
import xarray as xr

from ..frames import GeoinrWarning, check_keywords, did_you_mean, user_stacklevel
from ..machine import check_memory
from .. import coords as _coords
from .. import observations as _observations
from .._version import __version__
from ..base import history_line, with_cell_bounds, with_target_time
from ..physics.derived import (ANY_VARIABLE_QUANTITIES, DERIVED_OUTPUTS, DERIVED_QUANTITIES, PAIR_QUANTITIES,
                               derived_attrs, derived_fields)
from ..physics.kinematics import KINEMATIC_ATTRS
from ..geometry import OMEGA, is_height, metres_per_length_unit
from ..physics.losses import _height_first, check_qg_height, metres_per_unit
from ..physics.operators import derivatives
from ..physics.qg import EQUATOR_BAND
from ..training import own_torch_state
from . import derived_error as _derived_error
from .derived_error import POLE_LATITUDE
from . import evaluation as _evaluation
from . import torch_surrogate as _torch_surrogate
from . import velocity as _velocity

__all__ = ["SurrogateMixin"]

GEOSTROPHIC_SPEED_MAX = 3.0  # m/s: faster than any geostrophic current (the Gulf Stream and Agulhas reach ~2.5)
GEOSTROPHIC_WIND_MAX = 150.0  # m/s: faster than any jet stream (~100 m/s): a geopotential height's winds
ROSSBY_SHARE = 0.01  # |zeta / f| > 1 (no geostrophic balance) at more than this share of a derived map: warned


class SurrogateMixin:
    """``derive`` and ``sample`` for a fitted :class:`geoinr.INRModel`."""

    def derive(
        self,
        quantity: str,
        target,
        *,
        variable: str | None = None,
        equator_band: float = EQUATOR_BAND,
        rossby_radius: float | None = None,
        batch_size: int | None = None,
        chunks=None,
        return_std: bool = False,
        outside: str = "hold",
        lat=None, lon=None, time=None,
    ) -> xr.Dataset:
        r"""Fields derived from a fitted sea-surface height (or velocity pair) by automatic differentiation.

        Derivatives are taken through the encoding with respect to metres east,
        metres north and seconds (:mod:`geoinr.physics.operators`), with
        :math:`f = 2\Omega\sin\varphi`, :math:`\beta = 2\Omega\cos\varphi / R`, g = 9.80665 m/s^2:

        - ``"gradient"``: :math:`\partial\eta/\partial x`, :math:`\partial\eta/\partial y` (of any fitted variable).
        - ``"tendency"``: :math:`\partial\eta/\partial t` of any variable fitted with time, in its own units per
          second (``deta_dt``; of a velocity's component, name it).
        - ``"geostrophic_velocity"``: :math:`u = -\frac{g}{f}\partial_y\eta`, :math:`v = \frac{g}{f}\partial_x\eta`.
        - ``"relative_vorticity"``: geostrophic :math:`\zeta = \partial_x v - \partial_y u
          = \frac{g}{f}\nabla^2\eta - \frac{g\beta}{f^2}\partial_y\eta` (spherical Laplacian).
        - ``"pv"``: 1.5-layer quasi-geostrophic potential vorticity anomaly
          :math:`q = \nabla^2\psi - \psi/L_d^2`, :math:`\psi = g(\eta - \bar\eta)/f` (:math:`\bar\eta` the
          fitted mean: a height's level is no flow; planetary vorticity, :math:`f`, not included).
        - ``"divergence"``, ``"strain_rate"``, ``"okubo_weiss"``, ``"relative_vorticity"`` of a fitted velocity pair
          (any speed unit; s-1, s-2) on the sphere (:mod:`geoinr.physics.kinematics`); of a height, of its flow.

        Near the equator 1/f blows up: points with :math:`|\varphi| <` ``equator_band`` degrees are NaN (warned)
        for all but the gradient, the tendency and a velocity pair's kinematics (no 1/f: not masked; nor is ``return_std`` taken). Targets outside the fitted region and window get their nearest point's values
        (``outside``, as in :meth:`predict`).

        Parameters
        ----------
        quantity : {"gradient", "tendency", "geostrophic_velocity", "relative_vorticity", "pv", "divergence", "strain_rate", "okubo_weiss"}
        target : xarray.Dataset, xarray.DataArray or dict
            Where to evaluate, as in :meth:`predict`; a dict of arrays (``{"lon", "lat"[, "time"]}``: particles)
            gives a dict of float64 arrays, one per output.
        variable : str or (str, str), optional
            The sea-surface-height variable, when several were fitted (its ``units``, m, cm, mm or km, converted to
            metres), or a velocity pair ``("u", "v")``; default the only one fitted, or the fitted pair.
        equator_band : float
            Degrees of latitude around the equator that are masked.
        rossby_radius : float, optional
            :math:`L_d` in km for ``"pv"``; default the zonal-mean radius of the
            latitude, point by point (:func:`geoinr.physics.rossby_radius_km`, a fit to
            Chelton et al. 1998: about 34 km at 30N, 7 km at 60N), or the fit's own ``rossby_radius``; required
            of a geopotential height (the atmosphere's, about 1000 km).
        batch_size : int, optional
            Points per forward pass (as in :meth:`predict`).
        chunks : dict, "auto" or None
            As in :meth:`predict`: a lazy dask-backed result in these chunks of the
            output dims, derived block by block when computed or written; by default
            lazy where the target's data variables are dask arrays, else eager.
        return_std : bool
            Also give each output's calibrated standard deviation, ``<name>_std``
            (a model fitted with ``uncertainty="ensemble"`` or ``"bayes_last_layer"``):
            the error model of ``predict(return_std=True)`` carried through the derivatives
            (:mod:`geoinr.model.derived_error`): the network's spread differentiated member
            by member or feature by feature, scaled by the calibration, plus the derivatives
            of the smooth error between tracks that :meth:`sample` draws.
        outside : {"hold", "nan", "extrapolate"}
            As in :meth:`predict`: the nearest point's values, NaN far outside (and inside the record's gaps), or the
            network's own derivatives.
        lat, lon, time : str, optional
            The target's coordinate names, as in :meth:`predict`.

        Returns
        -------
        xarray.Dataset or dict
            Variables with CF units and long names on the target's coordinates (a dict target: arrays); with
            ``return_std``, their standard deviations too (named in ``ancillary_variables``,
            with the CF ``standard_error`` modifier where the output has a standard name).

        Examples
        --------
        >>> import geoinr
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> m = tracks.inr.fit("sla", width=32, depth=2, epochs=2, max_time=None, progress=False)
        >>> uv = m.derive("geostrophic_velocity", m.target_grid(1.0))
        >>> uv.ugos.attrs["units"], list(uv.data_vars)
        ('m s-1', ['ugos', 'vgos'])
        >>> e = tracks.inr.fit("sla", uncertainty="ensemble", n_members=3, width=16, depth=1, epochs=2, max_time=None, progress=False)
        >>> zeta = e.derive("relative_vorticity", e.target_grid(1.0), return_std=True)
        >>> list(zeta.data_vars), zeta.zeta_std.attrs["units"]
        (['zeta', 'zeta_std'], 's-1')
        """
        self._check_derive(quantity, return_std, outside, equator_band, rossby_radius)
        rossby_radius = self.rossby_radius if rossby_radius is None else rossby_radius  # the fit's (physics="qg")
        variable, j, scale, offset, per_metre = self._derived_from(quantity, variable, return_std, rossby_radius)
        pair = variable if isinstance(variable, tuple) else None
        if isinstance(target, Mapping) and not isinstance(target, xr.Dataset):  # points, as predict takes them
            dims, columns, coords = None, self._dict_columns(target, "derive"), None
        else:
            dims, columns, coords = self._target_columns(target, lat, lon, time, method="derive")
        shape = np.shape(columns[0])
        names, bs = DERIVED_OUTPUTS[quantity], self._eval_batch(batch_size)
        if return_std:  # nested forward mode holds every member's or feature's derivatives of a batch
            bs = min(bs, _derived_error.STD_BATCH)
            names = names + tuple(f"{k}_std" for k in names)
        options = (j, scale, offset, equator_band, rossby_radius, bs, return_std, outside)
        parts = self._derived_parts(quantity, target, (dims, columns, shape), names, options, chunks)
        if pair is None:  # (a pair's kinematics take no 1/f: no band, no geostrophy to judge)
            _warn_derived(quantity, columns, equator_band, parts, self.variable_attrs_.get(variable, {}))
        if dims is None:  # a dict of points: a dict of arrays, as predict gives them (particle tracking: a review)
            return {k: np.asarray(v, dtype=np.float64) for k, v in parts.items()}
        ds = self._derived_dataset(quantity, parts, dims, coords, target, (variable, j, return_std, per_metre), rossby_radius)
        # the target's cell bounds, as regrid and grid() keep them; a spatial fit's map at each of the target's times
        return with_target_time(self, with_cell_bounds(ds, target), target, time)

    def _derived_parts(self, quantity, target, where, names, options, chunks) -> dict:
        """``derive``'s outputs by name on the target ``where`` = (dims, columns, shape): lazy (one task per output
        chunk, as ``predict``, of the model as it is now: a refit may follow) or eager."""
        (dims, columns, shape), frozen = where, _evaluation.snapshot(self)

        def block(cols):  # (..., outputs) of a block of the target
            outs = frozen._derive_values(quantity, cols, *options)
            return np.stack([outs[k].reshape(np.shape(cols[0])) for k in names], axis=-1)

        xarray_target = isinstance(target, xr.DataArray | xr.Dataset)
        out_chunks = _evaluation.output_chunks(target, dims, shape, chunks, len(names)) if xarray_target else None
        if out_chunks is not None:
            stacked = _evaluation.lazy_blocks(block, columns, out_chunks, len(names), np.float32)
            return {k: stacked[..., i] for i, k in enumerate(names)}
        _check_memory(len(names) * int(np.prod(shape)) * 4, f"derive({quantity!r}) on {int(np.prod(shape)):,} points",
                      "derive")
        outs = self._derive_values(quantity, columns, *options)  # each output as computed (stacking them would hold
        return {k: outs[k].reshape(shape) for k in names}  # every output twice)

    def _derived_dataset(self, quantity, parts, dims, coords, target, about, rossby_radius) -> xr.Dataset:
        """``derive``'s outputs ``parts`` as one CF Dataset (assigned at once: one by one, a stacked target's
        MultiIndex warned of each, a review); ``about``: (variable, column, return_std, units per metre)."""
        variable = about[0]
        history = history_line(getattr(target, "attrs", {}).get("history"),
                               f"geoinr {__version__} INRModel.derive({quantity!r}) of {variable!r} by automatic differentiation")
        common = {"source": self._source_note(), "history": history, "cell_methods": self._cell_methods(variable if isinstance(variable, str) else None), **_grid_mapping(coords)}
        ds = xr.Dataset({k: (dims, values, {**self._derived_attrs(k, *about), **common}) for k, values in parts.items()},
                        coords={k: v.drop_vars([p for p in parts if p in v.coords]) for k, v in coords.items() if k not in parts},
                        attrs={"Conventions": "CF-1.8", "source": self._source_note(), "history": history})
        if quantity == "pv":
            ds["q"].attrs["rossby_radius"] = f"{rossby_radius} km" if rossby_radius else "rossby_radius_km(latitude): zonal mean of Chelton et al. (1998)"
        return ds

    def _check_derive(self, quantity: str, return_std: bool, outside: str, equator_band=0.0, rossby_radius=None) -> None:
        """``derive``'s requests checked before any work: a fitted model, a known quantity, a std only of the
        quantities the error model carries (whether one was calibrated: :meth:`_derived_from`), a known ``outside``, an ``equator_band`` >= 0 and a ``rossby_radius`` > 0 or None (a string
        failed in numpy, a negative radius gave the positive one's PV, a negative band masked nothing)."""
        self._check_fitted()
        real = (int, float, np.integer, np.floating)
        if isinstance(equator_band, bool) or not isinstance(equator_band, real) or not 0 <= equator_band < 90:
            raise ValueError(f"equator_band={equator_band!r}: give degrees of latitude in [0, 90) around the equator "
                             f"where 1/f blows up (the default, {EQUATOR_BAND:g}).")
        if rossby_radius is not None and (isinstance(rossby_radius, bool) or not isinstance(rossby_radius, real)
                                          or not 0 < rossby_radius < np.inf):
            raise ValueError(f"rossby_radius={rossby_radius!r}: give a positive deformation radius in km, or None "
                             f"for the radius of each latitude.")
        if quantity not in DERIVED_QUANTITIES:
            raise ValueError(f"Unknown quantity {quantity!r}; choose one of {DERIVED_QUANTITIES}."
                             + did_you_mean(quantity, DERIVED_QUANTITIES))
        if return_std and (quantity in PAIR_QUANTITIES and quantity != "relative_vorticity" or quantity == "tendency"):
            raise ValueError(f"return_std=True is not available for {quantity!r}: error bars are carried for a "
                             f"height's gradient, currents, vorticity and PV only (not for a tendency, nor a height's "
                             f"or a velocity pair's divergence, strain or Okubo-Weiss): derive({quantity!r}, ...) "
                             f"without it.")
        if quantity == "tendency" and (self.time_range_ is None or self._one_instant()):
            raise ValueError("derive('tendency') needs a model fitted with time over more than one instant; this one "
                             "was fitted without it, or on one time (a field that does not change: its tendency was "
                             "0 in silence, a review). Fit a record of several times for its rate of change.")
        _evaluation.check_outside(outside)

    def _derived_from(self, quantity: str, variable, return_std: bool, rossby_radius=None) -> tuple:
        """(variable, column, scale, offset, units per metre) of what ``derive`` differentiates: a height (one name;
        scale and offset to metres) or a fitted velocity pair (tuples; to m/s). PV's height is its departure from
        the fitted mean (no offset): a constant level is no flow, and a flat 0.6 m sea gave q = -1.6 f (a review)."""
        pair = _velocity.velocity_pair(self, quantity, variable, return_std)  # (a pair's std refused as such first)
        if pair is not None:
            return (pair, *_velocity.pair_scales(self, pair), None)
        if return_std and not self._strategy().calibrated:
            raise ValueError("return_std=True needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'; "
                             f"this one was fitted with uncertainty={self.uncertainty!r}.")
        variable = self._height_variable(variable, quantity)
        j = self._selection(variable)[0]
        to_m, per_metre = self._metres_per_unit(quantity, variable)
        if quantity == "pv":
            check_qg_height(variable, self.variable_attrs_.get(variable, {}).get("standard_name"), rossby_radius,
                            "derive('pv')", warn=False)  # (_metres_per_unit warned of a standard name)
        return variable, j, self.std_[j] * to_m, 0.0 if quantity == "pv" else self.mean_[j] * to_m, per_metre

    def _height_variable(self, variable, quantity: str = "gradient"):
        """The fitted variable ``derive`` differentiates: ``variable``, or the only one fitted."""
        if variable is None:
            if len(self.variables_) > 1:
                pair = (f" or, for a velocity pair's {quantity!r}, variable=('<eastward>', '<northward>')"
                        if quantity in PAIR_QUANTITIES else "")
                what = ("'<sea surface height>'" if quantity not in ANY_VARIABLE_QUANTITIES
                        else f"'<name>' (one of {self.variables_})")
                raise ValueError(f"Several variables were fitted ({self.variables_}); pass variable={what}{pair}.")
            variable = self.variables_[0]
        return variable

    def _metres_per_unit(self, quantity: str, variable: str):
        """(factor from the variable's units to metres, None); for ``"gradient"`` of a variable that is not a length
        (a temperature, a concentration: a front's gradient of SST), (1, its units per metre), which it refused as
        "no sea-surface height" (a review); for ``"tendency"``, (1, its own units per second). The other quantities warn where the ``standard_name`` names something
        other than a height (a mixed-layer depth in metres gave "geostrophic currents" in silence)."""
        attrs = self.variable_attrs_.get(variable, {})
        units, standard = attrs.get("units"), str(attrs.get("standard_name") or "")
        if quantity == "tendency":  # in the variable's own units per second ("": it has none, so neither has this)
            units = str(units or "").strip()
            return 1.0, (units[:-3] + "s-2" if units.endswith(" s-1") else f"{units} s-1") if units else ""
        if quantity == "gradient" and str(units or "").strip() and metres_per_length_unit(units) is None:
            return 1.0, f"{units} m-1"
        others = [v for v in self.variables_ if v != variable]  # (a velocity fitted beside a height: name the height)
        _height_first([variable] + others, [units] + [self.variable_attrs_.get(v, {}).get("units") for v in others],
                      f"derive({quantity!r})", "derive(..., variable=")
        if quantity != "gradient" and standard and not is_height(standard):
            warnings.warn(f"derive({quantity!r}) treats {variable!r} as a sea-surface height (or a geopotential "
                          f"height), but its standard_name is {standard!r}: its derivatives are no geostrophic "
                          f"flow. derive('gradient') gives its gradient alone.", GeoinrWarning,
                          stacklevel=user_stacklevel())
        return metres_per_unit(units, variable), None

    def _derived_attrs(self, name: str, variable: str, j: int, return_std: bool, per_metre: str | None = None) -> dict:
        """CF attributes of the derived output ``name`` (``<output>_std``: its standard deviation); ``per_metre``:
        the units of a gradient of a variable that is not a length, or of a tendency ("": none)."""
        if isinstance(variable, tuple):  # a velocity pair's kinematics
            attrs = dict(KINEMATIC_ATTRS[name])
            attrs["long_name"] = attrs["long_name"].format(flow=_velocity.pair_long_name(variable))
            return attrs
        fitted = self.variable_attrs_.get(variable, {})
        attrs = derived_attrs(name.removesuffix("_std"), fitted.get("long_name", variable), fitted.get("standard_name"))
        if per_metre:
            attrs["units"] = per_metre
        elif per_metre == "":  # (a tendency of a variable without units)
            attrs.pop("units", None)
        if name.endswith("_std"):
            return _derived_error.std_attrs(attrs, self.uncertainty, self._calibrated_error(), j)
        if return_std:
            attrs["ancillary_variables"] = f"{name}_std"
        elif self._strategy().calibrated:
            attrs["comment"] = f"No error estimate here: derive(..., return_std=True) adds {name}_std."
        return attrs

    def _derive_values(self, quantity, columns, j, scale, offset, equator_band, rossby_radius, batch_size,
                       return_std=False, outside="hold"):
        """Derived fields at the columns (flat float32 arrays by name; with ``return_std`` their standard deviations,
        ``<name>_std``), NaN within ``equator_band`` of the equator; ``outside`` as :meth:`predict`'s."""
        n = int(np.prod(np.shape(columns[0])))
        names = DERIVED_OUTPUTS[quantity] + (tuple(f"{k}_std" for k in DERIVED_OUTPUTS[quantity]) if return_std else ())
        outs = {k: np.full(n, np.nan, dtype=np.float32) for k in names}
        dev = next(self.field_.parameters()).device

        def eta(raw):
            return self._standardized(raw)[0][:, j] * scale + offset

        with own_torch_state(dtype=False):  # gradients on, no caller's autocast or no_grad (a review); the default
            # dtype left alone, as predict leaves it (process-wide: a lazy derive runs in dask's threads)
            for s, e, chunk, ok in _evaluation.batches(columns, batch_size):
                near = _evaluation.held(self, chunk, outside)  # outside the fitted region and window: their nearest point
                near[:, 1] = np.clip(near[:, 1], -POLE_LATITUDE, POLE_LATITUDE)  # (1/cos(lat) at a pole: one value)
                if outside == "nan":  # as predict: masked far outside them
                    ok = ok & ~_observations.far_outside(self.region_, self.time_range_, *chunk.T,
                                                            gaps=getattr(self, "time_gaps_", ()))
                raw = torch.from_numpy(near).to(dev)
                if isinstance(j, tuple) or quantity in PAIR_QUANTITIES and quantity != "relative_vorticity":
                    res = _velocity.velocity_kinematics(self, quantity, raw, j, scale, offset)  # a pair's, or a height's flow
                elif return_std:  # the map's derivatives from the same forward-mode pass as the members' or features'
                    res = _derived_error.derived_with_std(self, quantity, raw, j, scale, offset, rossby_radius, chunk)
                else:
                    d = derivatives(eta, raw, laplacian=quantity in ("relative_vorticity", "pv"))
                    res = derived_fields(quantity, d, raw[:, 1], rossby_radius)
                if quantity == "tendency" and outside != "extrapolate":  # held in time as predict holds it: no change
                    moved = torch.from_numpy(near[:, 2] != chunk[:, 2]).to(dev)  # (the edge's rate did, a review)
                    res = {k: torch.where(moved, torch.zeros_like(v), v) for k, v in res.items()}
                if quantity not in ANY_VARIABLE_QUANTITIES and not isinstance(j, tuple):
                    # the target's own latitude or the one it is held at: 1/f is taken at neither (nor at f = 0 itself,
                    # where equator_band=0 gave +-inf)
                    low = np.minimum(np.abs(chunk[:, 1]), np.abs(near[:, 1]))
                    band = torch.from_numpy((low < equator_band) | (low == 0.0)).to(dev)
                    res = {k: torch.where(band, torch.full_like(v, float("nan")), v) for k, v in res.items()}
                for k, v in res.items():
                    vals = v.detach().cpu().numpy().astype(np.float32)
                    vals[~ok] = np.nan
                    outs[k][s:e] = vals
        return outs

    def as_module(self, variable: str | None = None, dtype=torch.float32):
        """The fitted field as a frozen :class:`torch.nn.Module`, for your own autograd (a tendency, advection,
        particle tracking, an optimisation through the field).

        Parameters
        ----------
        variable : str, optional
            One fitted variable (output ``(n,)``); default every one (``(n, k)``, or ``(n,)`` for one).
        dtype : torch.dtype
            Of the copy of the weights (``torch.float64`` for finite differences finer than float32 resolves).

        Returns
        -------
        geoinr.model.torch_surrogate.TorchSurrogate
            ``module(x)`` for ``x`` (n, 3): longitude, latitude (degrees), time in days since
            ``module.time_origin`` (``module.days(dates)``; (n, 2) for a spatial fit); values in the variables' units,
            averaged over the fit's networks, not held at the region's edges. ``geoinr.physics.derivatives(module,
            x)`` gives them per metre and per second.

        Examples
        --------
        >>> import geoinr, torch, warnings
        >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = tracks.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False)
        >>> f = m.as_module()
        >>> f(torch.tensor([[5.0, 35.0, float(f.days(["2020-01-02"])[0])]])).shape, f.units
        (torch.Size([1]), ['m'])
        """
        return _torch_surrogate.as_module(self, variable, dtype)

    def sample(self, target, n: int = 10, *, variable: str | None = None, seed: int | None = 0, batch_size=None,
               chunks=None, lat=None, lon=None, time=None):
        """Draw ``n`` plausible fields on ``target``: ensemble members or posterior draws.

        With ``uncertainty="ensemble"``, the members (their spread scaled by the
        calibration); with ``"bayes_last_layer"``, draws of the output weights
        from their posterior. Both are spatially coherent. To each draw is added
        a smooth random field (Gaussian covariance, the error's correlation
        length measured along held-out passes, ``calibration_["error_length_km"]``)
        with the calibrated variance of the error
        between observations, so that the spread of many draws matches
        ``predict(return_std=True)``. Outside the fitted region and time window the networks'
        part holds its values at their nearest point (as :meth:`predict`'s default), while the
        random error field keeps growing away from the data.

        Parameters
        ----------
        target : xarray.Dataset, xarray.DataArray or dict
            As in :meth:`predict`.
        n : int
            Number of draws (at most ``n_members`` for an ensemble). The draws of ``n`` and of ``n + 1`` with one
            seed differ (not the first ``n`` of the larger set): the same ``n`` and seed give the same draws.
        variable : str, optional
            One of several fitted variables (default: all of them).
        seed : int, optional
            Seeds the posterior draws.
        batch_size : int, optional
            Points per forward pass, as in :meth:`predict`.
        chunks : dict, "auto" or None
            As in :meth:`predict`: a lazy dask-backed result in these chunks of the target's dims (every draw of a
            chunk in one task; the draws are the same as eager ones), by default lazy where the target's data
            variables are dask arrays (it computed them whole, a review), else eager.
        lat, lon, time : str, optional
            The target's coordinate names, as in :meth:`predict`.

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
        strategy = self._strategy()
        if not strategy.calibrated:
            raise ValueError("sample() needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'.")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        limit = strategy.max_draws()
        if limit is not None and n > limit:
            raise ValueError(f"This ensemble has {limit} members; ask for n <= {limit} draws or fit more members.")
        sel = self._selection(variable)
        batch_size = self._eval_batch(batch_size)
        if isinstance(target, Mapping) and not isinstance(target, xr.Dataset):
            dims, columns, coords = None, self._dict_columns(target, "sample"), None
        else:
            dims, columns, coords = self._target_columns(target, lat, lon, time, method="sample")
        shape, k, dtype = np.shape(columns[0]), len(self.variables_), _evaluation.output_dtype(self)
        out_chunks = (_evaluation.output_chunks(target, dims, shape, chunks, n * k, dtype)
                      if isinstance(target, xr.DataArray | xr.Dataset) else None)
        draw = _draws(_evaluation.snapshot(self) if out_chunks is not None else self, n, seed, batch_size)
        if out_chunks is not None:  # lazy: every draw of a chunk in one task (the draws are seeded per point)
            stacked = _evaluation.lazy_blocks(lambda cols: draw(cols).reshape((n, -1, k)).transpose(1, 0, 2).reshape(
                np.shape(cols[0]) + (n * k,)), columns, out_chunks, n * k, dtype)
            draws = stacked.reshape(shape + (n, k))
            import dask.array as da

            draws = da.moveaxis(draws, -2, 0)
        else:
            _check_memory(n * k * int(np.prod(shape)) * np.dtype(dtype).itemsize, "sample", "sample")
            draws = draw(columns).reshape((n,) + shape + (k,))
        if dims is None:  # a dict target: plain arrays, as predict() gives
            return draws[..., sel[0]].astype(np.float64) if len(sel) == 1 else draws[..., sel].astype(np.float64)
        out = self._wrap(draws, ("sample",) + tuple(dims), coords, sel, kind="sample", history=target.attrs.get("history"))
        return with_target_time(self, out.assign_coords(sample=np.arange(n)), target, time)


def _draws(model, n: int, seed, batch_size: int):
    """A function of coordinate columns giving ``n`` draws of every fitted variable there, (n, points, k), in the
    data's units (NaN outside where ``predict`` gives none): the same draws wherever and in whatever blocks it is
    called (the posterior's and the gap field's randomness is fixed by ``seed`` here, per point there)."""
    strategy = model._strategy()
    mean_, std_ = np.asarray(model.mean_), np.asarray(model.std_)
    root_c = torch.tensor(np.sqrt(model.calibration_["variance_scale"]), dtype=torch.float32)
    dev = next(model.field_.parameters()).device
    state = strategy.prepare_draws(model.field_, n, seed, root_c, dev)
    gap_field = model._calibrated_error().gap_field(n, seed)
    dtype = _evaluation.output_dtype(model)  # as predict: float64 past float32

    def draw(columns):
        draws = np.empty((n, int(np.prod(np.shape(columns[0]))), len(model.variables_)), dtype=dtype)
        with torch.no_grad():
            for s, e, chunk, ok in _evaluation.batches(columns, batch_size):
                f = strategy.draw(model.field_, torch.from_numpy(_evaluation.held(model, chunk)).to(dev), n, state,
                                  root_c)
                vals = f.cpu().numpy().astype(np.float64)
                if gap_field is not None:
                    vals += gap_field(chunk)
                vals = vals * std_ + mean_
                vals[:, ~ok] = np.nan
                draws[:, s:e] = vals
        return draws

    return draw


def _check_memory(need: int, what: str, method: str) -> None:
    """Refuse an eager output (``what``) too large for memory, with the advice of a lazy ``method`` call (predict
    refused, derive and sample ran: a review)."""
    check_memory(need, f"An eager {what}", f"Make it lazily, chunk by chunk: {method}(..., chunks='auto') (then "
                 f".to_zarr(...)), or on a smaller target.")


def _grid_mapping(coords: dict) -> dict:
    """CF: ``{"grid_mapping": name}`` of the grid mapping carried among ``coords`` (:func:`geoinr.coords.grid_mapping_of`)."""
    name = _coords.grid_mapping_of(coords)
    return {} if name is None else {"grid_mapping": str(name)}


def _warn_derived(quantity: str, columns, band: float, parts: dict, attrs: dict | None = None) -> None:
    """Warn of the points near the equator set to NaN, and of derived fields no balanced ocean holds: a map that is
    not resolved between sparse tracks (a review's one-day tropical box: |zeta/f| up to 8.6 and 2 m/s just outside
    the band). A geopotential height (``attrs``' standard_name) is the atmosphere's: its winds are judged against the
    jet streams' (a review: 4 m/s of a 500 hPa height was called faster than any ocean current). Eager outputs only
    (a lazy one is not computed here)."""
    if quantity not in ANY_VARIABLE_QUANTITIES:
        _warn_equator(columns, band)
    if not all(isinstance(v, np.ndarray) for v in parts.values()):
        return
    if quantity == "geostrophic_velocity":
        speed = np.hypot(parts["ugos"], parts["vgos"])
        fastest = float(np.nanmax(speed)) if np.isfinite(speed).any() else 0.0
        air = "geopotential" in str((attrs or {}).get("standard_name") or "")
        most, flow = (GEOSTROPHIC_WIND_MAX, "wind") if air else (GEOSTROPHIC_SPEED_MAX, "ocean current")
        if fastest > most:
            warnings.warn(
                f"Geostrophic speeds reach {fastest:.3g} m/s, faster than any {flow} ({most:g} "
                f"m/s): the map's slopes there are not the ocean's (too sparse a record, or points near the equator "
                f"where f -> 0). Leave them out (a wider equator_band=), or fit larger scales (min_wavelength=) or "
                f"more data.", GeoinrWarning, stacklevel=user_stacklevel())
    if quantity == "relative_vorticity":  # on at most a million points (a large output is not copied whole)
        zeta = parts["zeta"]
        step = tuple(slice(None, None, max(1, int(np.ceil((zeta.size / 1e6) ** (1 / max(zeta.ndim, 1))))))
                     for _ in range(zeta.ndim))
        lat = np.broadcast_to(np.asarray(columns[1]), zeta.shape)[step]
        f = 2.0 * OMEGA * np.abs(np.sin(np.radians(lat.astype(np.float64))))
        with np.errstate(divide="ignore", invalid="ignore"):
            rossby = np.abs(zeta[step]) / f
        rossby = rossby[np.isfinite(rossby)]
        share = float(np.mean(rossby > 1.0)) if rossby.size else 0.0
        if share > ROSSBY_SHARE:
            warnings.warn(
                f"|zeta / f| exceeds 1 at {share:.0%} of the points (up to {float(rossby.max()):.3g}): geostrophy "
                f"does not hold at such Rossby numbers, so the derived currents and vorticity are not the flow's "
                f"there (a map unresolved between sparse tracks, points near the equator, or submesoscale motion). "
                f"Where the record is sparse, fit larger scales (min_wavelength=) or more data; near the equator, "
                f"widen equator_band=.", GeoinrWarning, stacklevel=user_stacklevel())


def _warn_equator(columns, band: float) -> None:
    """Warn, from the user's call to ``derive``, of the target points within ``band`` degrees of the equator."""
    masked = _count_in_band(columns, band)
    if masked:
        warnings.warn(
            f"{masked} points within {band} degrees of the equator were set to NaN: "
            f"geostrophy (1/f) does not hold there. Lower equator_band= to see more, at your own risk.",
            GeoinrWarning,
            stacklevel=user_stacklevel(),
        )


def _count_in_band(columns, band: float) -> int:
    """Target points with finite coordinates within ``band`` degrees of the equator (``columns``: lon, lat[, time],
    broadcast views), counted on the compact coordinates where every one is finite, so a lazy target's grid is
    never built in memory."""
    compact = [_coords.compact(c) for c in columns]
    shape = np.shape(columns[0])
    if all(np.isfinite(c).all() for c in compact):
        lat = compact[1]
        return int((np.abs(lat) < band).sum()) * (int(np.prod(shape)) // max(int(lat.size), 1))
    ok = np.logical_and.reduce([np.isfinite(c) for c in columns])
    return int(((np.abs(np.asarray(columns[1])) < band) & ok).sum())


# an unknown keyword (variables= where they take variable=) gets a "Did you mean" (a review)
check_keywords(SurrogateMixin, ("derive", "sample"))
