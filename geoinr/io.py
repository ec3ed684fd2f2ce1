"""Persistence: one safetensors file whose header carries the JSON config. Never pickle.

Layout of a ``.geoinr`` file: a standard safetensors file (readable by any
safetensors tool) whose tensors are the network weights and whose string
metadata holds ``format`` = ``"geoinr"``, ``format_version`` and ``config``, a
JSON document with every constructor parameter, the normalization, the
encoding, coordinate names, time reference, region and training history.
"""
from __future__ import annotations

import json
import os
import tempfile

import pandas as pd
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ._version import __version__
from .coords import TimeAxis
from .encoding import CoordinateEncoding
from .uncertainty import DataDistance

__all__ = ["FORMAT_VERSION", "load", "read_safetensors", "save", "write_safetensors_atomic"]

FORMAT = "geoinr"
FORMAT_VERSION = 1
DATA_SITES = "calibration.data_sites"  # (n, d) float32, km: thinned training sites (uncertainty= models);
# ".<j>" suffixes when the variables were observed at different sites

_LEARNED = (
    "coord_names_",
    "variables_",
    "variable_attrs_",
    "lon_convention_",
    "mean_",
    "std_",
    "region_",
    "time_range_",
    "n_points_",
    "encoding_config_",
    "device_",
    "fit_seconds_",
    "stop_reason_",
    "best_val_loss_",
    "fitted_at_",
    "calibration_",
)


def write_safetensors_atomic(path, tensors: dict, metadata: dict) -> None:
    """Write a safetensors file next to ``path``, then rename it over ``path``.

    A crash or kill during the write leaves the previous file intact.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=folder)
    os.close(fd)
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_safetensors(path, fmt: str, version: int):
    """Read tensors and header of a file written by :func:`write_safetensors_atomic`; check format and version."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    try:
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path!r} is not a readable {fmt} file (safetensors with a {fmt} header): {err}") from err
    if meta.get("format") != fmt:
        raise ValueError(f"{path!r} is a safetensors file but not a {fmt} file (no 'format: {fmt}' in its header).")
    found = int(meta.get("format_version", "-1"))
    if found != version:
        raise ValueError(
            f"{path!r} uses {fmt} format {found}; this geoinr {__version__} reads format {version}. "
            f"Install the geoinr version that wrote it."
        )
    return tensors, meta


def save(model, path) -> None:
    """Write a fitted :class:`geoinr.INRModel` to ``path`` atomically (write, then rename).

    Examples
    --------
    See :meth:`geoinr.INRModel.save`.
    """
    model._check_fitted()
    state = {k: getattr(model, k) for k in _LEARNED}
    state["time_axis_"] = model.time_axis_.to_dict() if model.time_axis_ is not None else None
    config = {
        "geoinr_version": __version__,
        "params": model.get_params(),
        "learned": state,
        # exact float repr; NaN as null so the header stays strict JSON
        "history": {c: [None if v != v else v for v in model.history_[c].tolist()] for c in model.history_.columns},
    }
    tensors = dict(model.field_.state_dict())
    nears = getattr(model, "data_distance_", None)
    if nears:  # where the model was trained, for the calibrated standard deviation
        if all(n is nears[0] for n in nears):  # every variable observed at the same sites
            tensors[DATA_SITES] = torch.from_numpy(nears[0].sites)
        else:
            tensors.update({f"{DATA_SITES}.{j}": torch.from_numpy(n.sites) for j, n in enumerate(nears)})
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "config": json.dumps(config, allow_nan=False)}
    write_safetensors_atomic(path, tensors, meta)


def load(path, device: str = "cpu"):
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
    from .model import INRModel

    if not os.path.exists(os.fspath(path)):
        raise FileNotFoundError(f"No such model file: {os.fspath(path)!r}")
    tensors, meta = read_safetensors(path, FORMAT, FORMAT_VERSION)
    path = os.fspath(path)
    try:
        config = json.loads(meta["config"])
        model = INRModel(**config["params"])
        learned = config["learned"]
        for k in _LEARNED:
            v = learned[k]
            setattr(model, k, tuple(v) if k in ("region_", "time_range_") and v is not None else v)
        ta = learned["time_axis_"]
        model.time_axis_ = TimeAxis(**ta) if ta is not None else None
        hist = config["history"]
        model.history_ = pd.DataFrame({c: pd.to_numeric(pd.Series(v, dtype=object)) for c, v in hist.items()})
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path!r} has a damaged or incomplete config ({type(err).__name__}: {err}).") from err
    k = len(model.variables_)
    shared = tensors.pop(DATA_SITES, None)
    each = [tensors.pop(f"{DATA_SITES}.{j}", None) for j in range(k)]
    if shared is not None:
        model.data_distance_ = [DataDistance(shared.numpy())] * k
    elif all(t is not None for t in each):
        model.data_distance_ = [DataDistance(t.numpy()) for t in each]
    else:
        model.data_distance_ = None
    cal = model.calibration_ or {}
    if any(a > 0 for a in cal.get("gap_variance") or []) and model.data_distance_ is None:
        raise ValueError(
            f"{path!r} has a calibrated distance term but not the training sites it needs "
            f"({DATA_SITES!r} tensors). The file is incomplete; save the model again from the session that fitted it."
        )
    model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_))
    try:
        model.field_.load_state_dict(tensors, strict=True)
    except RuntimeError as err:
        raise ValueError(f"The weights in {path!r} do not match its config: {err}") from err
    model.field_.to(device)
    return model
