"""The fitted field as a frozen :class:`torch.nn.Module` in the variables' own units, for users' own autograd.

``derive`` gives the package's quantities on xarray targets; a user's own diagnostics (a tendency, advection terms,
particle tracking, a parametric eddy fitted to the surrogate by gradient descent) need the field as a function of
tensors. The fitted network (``field_``) gives standardized values (1/std times metres, less the mean), one row
per member where several networks were averaged, and takes days since the time axis's reference: a review found
it the only way in, undocumented, and wrong in silence (2026-12-07, ninth session).
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch
from torch import nn

__all__ = ["TorchSurrogate", "as_module"]


class TorchSurrogate(nn.Module):
    """A fitted field as a frozen module: ``(n, 3)`` (or ``(n, 2)`` for a spatial fit) coordinates -> values.

    Inputs are longitude and latitude in degrees and time in days since :attr:`time_origin` (:meth:`days` turns
    dates into them); outputs are in the variables' own units (:attr:`units`), ``(n,)`` for one variable, ``(n, k)``
    for several, averaged over the fit's networks. The weights are a copy of the fit's, frozen (no gradient reaches
    them); gradients flow to the inputs. It evaluates the network everywhere: nothing is held at the fitted region's
    edges or clipped to a valid range, as ``predict`` does.

    Attributes
    ----------
    variables : list of str
        The variables of the output columns.
    units : list of str
        Their units.
    time_origin : str or None
        What day 0 of the time input is (a date, or the data's own numbers' origin); None for a spatial fit.
    """

    def __init__(self, model, variable=None, dtype=torch.float32):
        super().__init__()
        cols = list(range(len(model.variables_))) if variable is None else [model._selection(variable)[0]]
        self.variables = [model.variables_[j] for j in cols]
        self.units = [str((model.variable_attrs_.get(v) or {}).get("units", "")) for v in self.variables]
        self.field = copy.deepcopy(model.field_).to(device="cpu", dtype=dtype).eval().requires_grad_(False)
        self._strategy = model._strategy()
        self.register_buffer("scale", torch.tensor([model.std_[j] for j in cols], dtype=dtype))
        self.register_buffer("offset", torch.tensor([model.mean_[j] for j in cols], dtype=dtype))
        self._cols = cols
        self._axis = model.time_axis_
        self._instant = float(model.time_range_[0]) if model._one_instant() else None
        self.time_origin = None if model.time_axis_ is None else _origin(model.time_axis_)

    def days(self, times) -> torch.Tensor:
        """Dates (datetime64, cftime, or the data's own time numbers) as the module's time input (float64 days)."""
        if self._axis is None:
            raise ValueError("This surrogate was fitted without time: its inputs are (lon, lat) only.")
        times = np.atleast_1d(np.asarray(times))
        if times.dtype.kind in "US" and self._axis.kind == "datetime64":  # "2020-01-02"
            times = pd.to_datetime(times).values
        return torch.from_numpy(np.asarray(self._axis.to_days(times), dtype=np.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Values at ``x`` (n, 2|3): longitude, latitude (degrees)[, time (days since :attr:`time_origin`)]."""
        if x.dim() != 2 or x.shape[1] not in (2, 3):
            raise ValueError(f"The surrogate takes an (n, 3) tensor of longitude, latitude (degrees) and time (days "
                             f"since {self.time_origin}), or (n, 2) for a spatial fit; got shape {tuple(x.shape)}.")
        if x.shape[1] == 2 and self._axis is not None and self._instant is not None:
            x = torch.cat([x, torch.full_like(x[:, :1], self._instant)], dim=1)  # (one instant: its date)
        elif x.shape[1] == 2 and self._axis is not None:
            raise ValueError(f"This surrogate was fitted on times: give (n, 3) inputs with days since "
                             f"{self.time_origin} (module.days(dates) gives them).")
        x = x.to(self.scale.dtype)
        mean = self._strategy.standardized(self.field, x)[0][:, self._cols]
        out = mean * self.scale + self.offset
        return out[:, 0] if len(self._cols) == 1 else out


def _origin(axis) -> str:
    """Day 0 of a time axis, in words."""
    if axis.kind == "numeric":
        return f"{axis.origin:g} {axis.units or 'time units'} (the data's own numbers)"
    return str(np.asarray(axis.from_days(np.array([0.0])))[0])


def as_module(model, variable=None, dtype=torch.float32) -> TorchSurrogate:
    """The fitted field of ``model`` as a frozen :class:`TorchSurrogate` (see :meth:`INRModel.as_module`).

    Examples
    --------
    >>> import geoinr, torch, warnings
    >>> from geoinr.physics import derivatives
    >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = tracks.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False)
    >>> f = as_module(m, dtype=torch.float64)
    >>> x = torch.tensor([[5.0, 35.0, float(f.days(["2020-01-02"])[0])]], dtype=torch.float64)
    >>> d = derivatives(f, x, laplacian=False)  # m, m per metre, m per second
    >>> sorted(k for k in d if d[k] is not None)
    ['f', 'f_t', 'f_x', 'f_y']
    """
    if getattr(model, "field_", None) is None:
        raise ValueError("as_module() needs a fitted model: call fit(...) first.")
    return TorchSurrogate(model, variable, dtype)
