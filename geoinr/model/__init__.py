"""The implicit neural representation estimator, :class:`INRModel`, and :func:`load`.

Modules: :mod:`.estimator` (the class: ``fit`` as a recipe, predict, sample,
derive), :mod:`.field` (encoding + network), :mod:`.fitting` (in memory or
streamed, one training entry), :mod:`.evaluation` (the batch loop, lazy dask
blocks), :mod:`.state` (to/from state, save and load).
"""
from __future__ import annotations

from . import state as _state
from .estimator import INRModel

__all__ = ["INRModel", "load"]


def load(path, device: str = "cpu") -> INRModel:
    """Read a model written by :meth:`geoinr.INRModel.save`.

    Only JSON and raw tensors are read (safetensors); nothing is unpickled, so a
    file from an untrusted source cannot run code.

    Parameters
    ----------
    path : str or path-like
    device : str
        Where to put the weights (``"cpu"`` by default).

    Returns
    -------
    geoinr.INRModel

    Raises
    ------
    ValueError
        If the file is not a geoinr model, is truncated, comes from an unknown
        format version, or its weights do not match its config.

    Examples
    --------
    See :meth:`geoinr.INRModel.save`.
    """
    return _state.load(path, device, cls=INRModel)
