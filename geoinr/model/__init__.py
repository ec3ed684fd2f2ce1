"""The implicit neural representation estimator, :class:`INRModel`, and :func:`load`.

Modules: :mod:`.estimator` (the class: ``fit`` as a recipe, predict), :mod:`.surrogate` (``derive``,
``sample``), :mod:`.field` (encoding + network), :mod:`.params` (parameter checks, the terms and seed in force),
:mod:`.fitting` (in memory or streamed, one training entry, the scales, the calibration), :mod:`.network_choice`
(size, precision, optimizer and networks chosen for the data and the machine), :mod:`.held_out` (passes or
space-time blocks held out), :mod:`.scale_search` (``min_wavelength="search"``), :mod:`.physics_weight`
(``physics_weight="auto"``), :mod:`.members` (further networks in the time left), :mod:`.evaluation` (the batch
loop, lazy dask blocks, the outputs' ``source``), :mod:`.derived_error` (the std of derived fields),
:mod:`.state` (to/from state, save and load). docs/architecture.md places each.
"""
from __future__ import annotations

from . import state as _state
from .estimator import INRModel

__all__ = ["INRModel", "load"]


def load(path, device: str = "cpu") -> INRModel:
    """Read a model written by :meth:`geoinr.INRModel.save`.

    Only JSON and raw tensors are read (safetensors); nothing is unpickled, so a
    file from an untrusted source cannot run code. Every field of the header is
    checked (types, finite numbers, ranges) and the network it describes is
    checked against the tensors the file stores before anything is built, so a
    damaged or edited file cannot load into a model that predicts NaN, nor make
    the load allocate more than the file holds.

    Parameters
    ----------
    path : str or path-like
    device : str
        Where to put the weights: ``"cpu"`` (default), ``"cuda"``, ``"cuda:1"``,
        or ``"auto"`` (a GPU if there is one), as for :class:`geoinr.INRModel`.

    Returns
    -------
    geoinr.INRModel

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If ``device`` is unknown or not available here (the message ``fit``
        gives), or if the file is not a geoinr model, is truncated, comes from
        an unknown format version, or is damaged or edited: the message names
        the file and the wrong field (``geoinr.persistence.DamagedFileError``).

    Examples
    --------
    >>> import geoinr, tempfile, os
    >>> tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    >>> m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    >>> path = os.path.join(tempfile.mkdtemp(), "sla.geoinr")
    >>> m.save(path)
    >>> back = geoinr.load(path)
    >>> bool((back.predict(back.target_grid(1.0)) == m.predict(m.target_grid(1.0))).all())
    True
    """
    return _state.load(path, device, cls=INRModel)
