"""A fitted model's state, in one place: :func:`to_state` / :func:`from_state`, shared by save and load.

Everything learned goes through the list :data:`LEARNED`, so nothing learned can
be forgotten on save. The file is the persistence leaf's format (safetensors
weights, JSON config in the header; :mod:`geoinr.persistence`): never a pickle.
"""
from __future__ import annotations

import json
import os

import pandas as pd
import torch

from .._version import __version__
from ..coords import TimeAxis
from ..encoding import CoordinateEncoding
from ..persistence import read_safetensors, write_safetensors_atomic
from ..uncertainty import DataDistance

__all__ = ["FORMAT", "FORMAT_VERSION", "LEARNED", "to_state", "from_state", "save", "load"]

FORMAT = "geoinr"
FORMAT_VERSION = 1
DATA_SITES = "calibration.data_sites"  # (n, d) float32, km: thinned training sites (uncertainty= models);
# ".<j>" suffixes when the variables were observed at different sites

#: learned attributes stored as JSON (the weights, sites, time axis and history are stored apart)
LEARNED = (
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
    "streamed_",
    "validation_",
)
OPTIONAL = {"streamed_": None, "validation_": None}  # learned later than format 1's first files: absent means this default
TUPLES = ("region_", "time_range_")


def to_state(model) -> tuple[dict, dict]:
    """(tensors, config) of a fitted model: weights and training sites; parameters, learned state, history."""
    model._check_fitted()
    learned = {k: getattr(model, k, OPTIONAL.get(k)) for k in LEARNED}
    learned["time_axis_"] = model.time_axis_.to_dict() if model.time_axis_ is not None else None
    config = {
        "geoinr_version": __version__,
        "params": model.get_params(),
        "learned": learned,
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
    return tensors, config


def _data_distance(tensors: dict, k: int):
    shared = tensors.pop(DATA_SITES, None)
    each = [tensors.pop(f"{DATA_SITES}.{j}", None) for j in range(k)]
    if shared is not None:
        return [DataDistance(shared.numpy())] * k
    if all(t is not None for t in each):
        return [DataDistance(t.numpy()) for t in each]
    return None


def from_state(cls, tensors: dict, config: dict, where: str = "the state"):
    """A fitted ``cls`` (INRModel) from :func:`to_state`'s output; ``where`` names the source in errors."""
    try:
        model = cls(**config["params"])
        learned = config["learned"]
        for k in LEARNED:
            v = learned[k] if k not in OPTIONAL else learned.get(k, OPTIONAL[k])
            setattr(model, k, tuple(v) if k in TUPLES and v is not None else v)
        ta = learned["time_axis_"]
        model.time_axis_ = TimeAxis(**ta) if ta is not None else None
        hist = config["history"]
        model.history_ = pd.DataFrame({c: pd.to_numeric(pd.Series(v, dtype=object)) for c, v in hist.items()})
    except (KeyError, TypeError) as err:
        raise ValueError(f"{where} has a damaged or incomplete config ({type(err).__name__}: {err}).") from err
    tensors = dict(tensors)
    model.data_distance_ = _data_distance(tensors, len(model.variables_))
    cal = model.calibration_ or {}
    if any(a > 0 for a in cal.get("gap_variance") or []) and model.data_distance_ is None:
        raise ValueError(
            f"{where} has a calibrated distance term but not the training sites it needs "
            f"({DATA_SITES!r} tensors). The file is incomplete; save the model again from the session that fitted it."
        )
    model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_))
    try:
        model.field_.load_state_dict(tensors, strict=True)
    except RuntimeError as err:
        raise ValueError(f"The weights in {where} do not match its config: {err}") from err
    return model


def save(model, path) -> None:
    """Write a fitted model to ``path`` atomically (write, then rename); see :meth:`geoinr.INRModel.save`."""
    tensors, config = to_state(model)
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "config": json.dumps(config, allow_nan=False)}
    write_safetensors_atomic(path, tensors, meta)


def load(path, device: str = "cpu", *, cls):
    """Read a file written by :func:`save` into a ``cls`` (see :func:`geoinr.load`, the public entry)."""
    if not os.path.exists(os.fspath(path)):
        raise FileNotFoundError(f"No such model file: {os.fspath(path)!r}")
    tensors, meta = read_safetensors(path, FORMAT, FORMAT_VERSION)
    where = repr(os.fspath(path))
    try:
        config = json.loads(meta["config"])
    except (KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"{where} has a damaged or incomplete config ({type(err).__name__}: {err}).") from err
    model = from_state(cls, tensors, config, where)
    model.field_.to(device)
    return model
