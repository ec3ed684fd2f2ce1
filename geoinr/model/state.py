"""A fitted model's state, in one place: :func:`to_state` / :func:`from_state`, shared by save and load.

Everything learned goes through the list :data:`LEARNED`, so nothing learned can
be forgotten on save. The file is the persistence leaf's format (safetensors
weights, JSON config in the header; :mod:`geoinr.persistence`): never a pickle.

A file is data from anywhere, so loading checks its config in one place,
:func:`check_config` (the types, finiteness and ranges of every field, and the
sizes the network would have against the tensors the file stores) before
anything is built, and builds the network under an allocation budget set by the
file's own size: a damaged, edited or hostile file is refused with one
``ValueError`` naming the file and the field, fast, never a raw error, a model
predicting NaN, or gigabytes allocated because a 3 kB header asked for them.
"""
from __future__ import annotations

import inspect
import json
import math
import os

import numpy as np
import pandas as pd
import torch
from torch.overrides import TorchFunctionMode

from .._version import __version__
from ..coords import TimeAxis
from ..encoding import SPACE_ENCODINGS, TIME_ENCODINGS, CoordinateEncoding
from ..nn import size_defaults
from ..persistence import (BadField, DamagedFileError, array, integer, mapping, number, parse_json, plain,
                           read_header, read_safetensors, reading, text, write_safetensors_atomic)
from ..physics.losses import PHYSICS_TERMS
from ..training import own_torch_state, resolve_device
from ..uncertainty import DataDistance
from ..uncertainty.strategies import ENSEMBLE_MEMBERS
from .params import MAX_SEED

__all__ = ["FORMAT", "FORMAT_VERSION", "LEARNED", "check_config", "environment", "to_state", "from_state", "save", "load"]

FORMAT = "geoinr"
FORMAT_VERSION = 2  # 2 (2026-12-07): the checksum is required; format 1 files (before it) are read with a warning
OLDEST_FORMAT_VERSION = 1
CHECKSUM_SINCE = 2
DATA_SITES = "calibration.data_sites"  # (n, d) float32, km: thinned training sites (uncertainty= models);
# ".<j>" suffixes when the variables were observed at different sites
WHAT = "geoinr model file"
HINT = "Save the model again from the session that fitted it, or fit it anew."

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
    "time_gaps_",
    "time_step_",
    "time_months_",
    "grid_times_",
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
    "scale_search_",
    "optimizer_",
    "members_",
    "fill_members_",
    "precision_",
    "network_options_",
    "network_size_",
    "physics_",
    "physics_weight_",
    "physics_choice_",
    "cpu_contention_",
    "seed_",
)
# learned later than format 1's first files: absent means this default
OPTIONAL = {"streamed_": None, "validation_": None, "scale_search_": None, "optimizer_": None, "members_": None,
            "fill_members_": None, "precision_": None, "network_options_": None, "network_size_": None,
            "physics_": None, "physics_weight_": None, "physics_choice_": None, "cpu_contention_": None,
            "seed_": None, "time_gaps_": [], "time_step_": None,
            "time_months_": None, "grid_times_": None}
# the network option defaults in force before files recorded them (network_options_, from 2026-12-02 for
# string options, from its sixth session for whole numbers): NIF's network of time was a ReLU MLP until
# 2026-12-02, and it mixed 64 modes of space until that day's sixth session
EARLIER_NETWORK_OPTIONS = {"nif": {"time_net": "relu", "rank": 64}}
# the default sizes in force before files recorded them (network_size_, from 2026-12-02's eighth session): the
# plain MLP had three hidden layers; files from then on record every model's default width and depth
EARLIER_NETWORK_SIZES = {"mlp": {"depth": 3}}
NETWORK_SIZES = ("width", "depth")
TUPLES = ("region_", "time_range_")
POSITIVE_ENCODING_PARAMS = ("scale", "scale_km", "t_half", "min_period", "max_period", "reach")  # lengths, periods
CALIBRATION_LISTS = {  # one value per variable: (bound, may be null)
    "variance_scale": ("low", False), "noise_variance": ("low", True), "gap_variance": ("low", True),
    "gap_length_km": ("above", True), "error_length_km": ("above", True), "error_floor": ("low", True),
}
BUILD_SLACK = 2**18  # values a build may allocate beyond the stored weights (small buffers, encodings)


def environment() -> dict:
    """The versions a fit ran with: Python, torch, numpy, xarray, safetensors, the platform. A seeded ``epochs`` fit
    is bit-reproducible on the same CPU with the same versions (README), so a model file records them.

    Examples
    --------
    >>> sorted(environment())
    ['numpy', 'platform', 'python', 'safetensors', 'torch', 'xarray']
    """
    import platform

    import numpy
    import safetensors
    import xarray

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "xarray": xarray.__version__, "safetensors": safetensors.__version__,
            "platform": f"{platform.system()} {platform.machine()}"}


def to_state(model) -> tuple[dict, dict]:
    """(tensors, config) of a fitted model: weights and training sites; parameters, learned state, history."""
    model._check_fitted()
    learned = {k: getattr(model, k, OPTIONAL.get(k)) for k in LEARNED}
    learned["time_axis_"] = model.time_axis_.to_dict() if model.time_axis_ is not None else None
    config = {
        "geoinr_version": __version__,
        "environment": environment(),  # what reproduces the fit bit for bit with its seed (a review: not recorded)
        "params": plain({**model.get_params(), **getattr(model, "_fit_params_", {})}),  # the fit's (max_time set since: not)
        "learned": learned,
        # exact float repr; NaN as null so the header stays strict JSON
        # (NaN and an infinite loss, a diverged or one-step fit's, as null: JSON holds neither; an inf failed the save)
        "history": {c: [v if not isinstance(v, float) or math.isfinite(v) else None for v in model.history_[c].tolist()]
                    for c in model.history_.columns},
    }
    tensors = dict(model.field_.state_dict())
    nears = getattr(model, "data_distance_", None)
    if nears:  # where the model was trained, for the calibrated standard deviation
        if all(n is nears[0] for n in nears):  # every variable observed at the same sites
            tensors[DATA_SITES] = torch.from_numpy(nears[0].sites)
        else:
            tensors.update({f"{DATA_SITES}.{j}": torch.from_numpy(n.sites) for j, n in enumerate(nears)})
    return tensors, config


# ------------------------------------------------------------------ the config's schema
def _numbers(value, field: str, length: int, *, low=None, above=None, nulls: bool = False) -> list:
    return [number(v, f"{field}[{i}]", low=low, above=above, optional=nulls)
            for i, v in enumerate(array(value, field, length=length))]


def _check_params(cls, params) -> dict:
    """Types and ranges of the parameters that size or seed the network; the others are the estimator's to check."""
    mapping(params, "params", allowed=cls._get_param_names(), required=("model",))
    text(params["model"], "params.model")
    text(params.get("uncertainty"), "params.uncertainty", optional=True)
    for name in ("width", "depth"):
        integer(params.get(name), f"params.{name}", low=1, optional=True)
    integer(params.get("n_members"), "params.n_members", low=1, optional=True)
    integer(params.get("seed"), "params.seed", low=0, high=MAX_SEED, optional=True)
    number(params.get("w0"), "params.w0", above=0.0, optional=True)
    for name, value in (mapping(params.get("model_options"), "params.model_options", optional=True) or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            integer(value, f"params.model_options.{name}", high=2**63 - 1)
    return params


def check_scale_search(record, field: str) -> None:
    """A ``min_wavelength="search"`` record (``scale_search_``, or a checkpoint's): what fitting and display read of
    it, so that an edited one is refused when read, not when printed or resumed (a review: ``{"x": 1}`` loaded, then
    ``print(model)`` raised KeyError; a string share raised TypeError in a resumed fit)."""
    if mapping(record, field, optional=True) is None:
        return
    mapping(record, field, required=("min_wavelength", "budget_share", "candidates", "held_out",
                                     "rule_min_wavelength"))
    number(record["min_wavelength"], f"{field}.min_wavelength", above=0.0)
    number(record.get("min_period"), f"{field}.min_period", above=0.0, optional=True)
    if number(record["budget_share"], f"{field}.budget_share", low=0.0) > 1.0:
        raise BadField(f"{field}.budget_share", f"is {record['budget_share']:g}; it must be <= 1")
    array(record["candidates"], f"{field}.candidates")
    text(record["held_out"], f"{field}.held_out")
    number(record["rule_min_wavelength"], f"{field}.rule_min_wavelength", above=0.0)


def check_physics_choice(record, field: str) -> None:
    """A ``physics_weight="auto"`` record (``physics_choice_``): the candidates' weights and losses, the members'
    weights and the note that display reads (a review: a string weight loaded, then ``print(model)`` raised)."""
    if mapping(record, field, optional=True) is None:
        return
    for i, c in enumerate(array(record.get("candidates", []), f"{field}.candidates")):
        mapping(c, f"{field}.candidates[{i}]", required=("physics_weight", "val_loss"))
        number(c["physics_weight"], f"{field}.candidates[{i}].physics_weight", low=0.0)
        number(c["val_loss"], f"{field}.candidates[{i}].val_loss", optional=True)
    for i, w in enumerate(array(record.get("members") or [], f"{field}.members")):
        number(w, f"{field}.members[{i}]", low=0.0)
    text(record.get("note"), f"{field}.note", optional=True)


def _check_encoding(cfg, field: str = "learned.encoding_config_") -> None:
    allowed = [p for p in inspect.signature(CoordinateEncoding.__init__).parameters if p != "self"]
    mapping(cfg, field, allowed=allowed, required=("space", "min_wavelength"))
    number(cfg["min_wavelength"], f"{field}.min_wavelength", above=0.0)
    number(cfg.get("min_period"), f"{field}.min_period", above=0.0, optional=True)
    space = text(cfg["space"], f"{field}.space", choices=SPACE_ENCODINGS)
    time = text(cfg.get("time"), f"{field}.time", choices=TIME_ENCODINGS, optional=True)
    for part, table in (("space_params", SPACE_ENCODINGS[space]), ("time_params", TIME_ENCODINGS.get(time))):
        signature = inspect.signature(table.__init__).parameters if table is not None else {}
        given = mapping(cfg.get(part), f"{field}.{part}", allowed=[p for p in signature if p != "self"], optional=True)
        for name, value in (given or {}).items():
            default, where = signature[name].default, f"{field}.{part}.{name}"
            if isinstance(default, (tuple, list)):
                _numbers(value, where, len(default))
            elif isinstance(default, int) and not isinstance(default, bool):
                integer(value, where, low=1 if name == "n" else 0, high=2**63 - 1)
            else:
                number(value, where, above=0.0 if name in POSITIVE_ENCODING_PARAMS else None)


def _check_calibration(cal, k: int, field: str = "learned.calibration_") -> None:
    mapping(cal, field, allowed=[*CALIBRATION_LISTS, "gap_length_from", "speed_km_per_day", "on"],
            required=("variance_scale", "speed_km_per_day"))
    values = {}
    for key, (bound, nulls) in CALIBRATION_LISTS.items():
        if cal.get(key) is not None:
            values[key] = _numbers(cal[key], f"{field}.{key}", k, nulls=nulls, **{bound: 0.0})
    number(cal["speed_km_per_day"], f"{field}.speed_km_per_day", low=0.0)  # 0: a model without time
    for j, gap in enumerate(values.get("gap_variance") or []):
        if gap and (values.get("gap_length_km") or [None] * k)[j] is None:
            raise BadField(f"{field}.gap_length_km[{j}]", "is missing, though gap_variance needs it")
    for i, v in enumerate(array(cal.get("gap_length_from"), f"{field}.gap_length_from", optional=True) or []):
        text(v, f"{field}.gap_length_from[{i}]")
    text(cal.get("on"), f"{field}.on", optional=True)


def _check_time_axis(axis, field: str = "learned.time_axis_") -> None:
    mapping(axis, field, allowed=("kind", "reference", "calendar", "units", "origin", "days_per_unit"),
            required=("kind",))
    text(axis["kind"], f"{field}.kind", choices=("datetime64", "cftime", "numeric"))
    for name in ("reference", "calendar", "units"):
        text(axis.get(name), f"{field}.{name}", optional=True)
    number(axis.get("origin"), f"{field}.origin", optional=True)  # numeric times (files before it: 0)
    number(axis.get("days_per_unit"), f"{field}.days_per_unit", above=0.0, optional=True)  # files before it: 1
    try:  # the reference date and calendar are read when times are converted: convert one now
        TimeAxis(**axis).from_days(np.zeros(1))
    except ImportError:  # cftime missing: predict will say so
        pass
    except (ValueError, TypeError, OverflowError, AttributeError) as err:
        raise BadField(f"{field}.reference", f"is {axis.get('reference')!r}, not a date this time axis reads "
                                             f"({type(err).__name__}: {str(err)[:120]})") from None


def _check_learned(learned) -> dict:
    required = [k for k in LEARNED if k not in OPTIONAL] + ["time_axis_"]
    mapping(learned, "learned", required=required)
    variables = array(learned["variables_"], "learned.variables_")
    for i, v in enumerate(variables):
        text(v, f"learned.variables_[{i}]")
    if not variables or len(set(variables)) != len(variables):
        raise BadField("learned.variables_", f"is {variables!r}; it must name each fitted variable once")
    k = len(variables)
    _numbers(learned["mean_"], "learned.mean_", k)
    _numbers(learned["std_"], "learned.std_", k, low=0.0)  # 0: a constant variable, predicted exactly
    west, east, south, north = _numbers(learned["region_"], "learned.region_", 4)
    if not -90.0 <= south <= north <= 90.0:  # (west > east: a region across the seam of its convention)
        raise BadField("learned.region_", f"has south {south:g} and north {north:g}; -90 <= south <= north <= 90 expected")
    if learned["time_range_"] is not None:
        first, last = _numbers(learned["time_range_"], "learned.time_range_", 2)
        if first > last:
            raise BadField("learned.time_range_", f"runs from {first:g} to {last:g} days: backwards")
    _check_gaps(learned.get("time_gaps_"), learned["time_range_"])
    for name, value in mapping(learned["coord_names_"], "learned.coord_names_").items():
        text(value, f"learned.coord_names_.{name}", optional=True)
    for name, value in mapping(learned["variable_attrs_"], "learned.variable_attrs_").items():
        mapping(value, f"learned.variable_attrs_.{name}")
    text(learned["lon_convention_"], "learned.lon_convention_", choices=("180", "360"))
    integer(learned["n_points_"], "learned.n_points_")
    _check_encoding(learned["encoding_config_"])
    for name in ("device_", "stop_reason_", "fitted_at_"):
        text(learned[name], f"learned.{name}", optional=True)
    number(learned["fit_seconds_"], "learned.fit_seconds_", low=0.0, optional=True)
    number(learned["best_val_loss_"], "learned.best_val_loss_", optional=True)
    number(learned.get("validation_"), "learned.validation_", low=0.0, optional=True)
    number(learned.get("time_step_"), "learned.time_step_", low=0.0, optional=True)
    integer(learned.get("time_months_"), "learned.time_months_", low=1, high=12, optional=True)
    for i, day in enumerate(array(learned.get("grid_times_"), "learned.grid_times_", optional=True) or []):
        number(day, f"learned.grid_times_[{i}]")
    mapping(learned.get("streamed_"), "learned.streamed_", optional=True)
    check_scale_search(learned.get("scale_search_"), "learned.scale_search_")
    text(learned.get("optimizer_"), "learned.optimizer_", choices=("adam", "lbfgs"), optional=True)
    integer(learned.get("members_"), "learned.members_", low=1, optional=True)
    integer(learned.get("seed_"), "learned.seed_", low=0, high=MAX_SEED, optional=True)
    mapping(learned.get("fill_members_"), "learned.fill_members_", optional=True)
    text(learned.get("precision_"), "learned.precision_", choices=("float32", "bfloat16"), optional=True)
    for option, v in (mapping(learned.get("network_options_"), "learned.network_options_", optional=True) or {}).items():
        if isinstance(v, int) and not isinstance(v, bool):  # a size: bounded by the file's weights when built
            integer(v, f"learned.network_options_.{option}", low=0, high=2**31 - 1)
        else:
            text(v, f"learned.network_options_.{option}")
    for size, v in (mapping(learned.get("network_size_"), "learned.network_size_", optional=True) or {}).items():
        text(size, "a key of learned.network_size_", choices=NETWORK_SIZES)
        integer(v, f"learned.network_size_.{size}", low=1, high=2**31 - 1)
    terms = learned.get("physics_")
    for term in terms if isinstance(terms, list) else [terms]:  # None, a term, or a list of terms
        text(term, "learned.physics_", choices=PHYSICS_TERMS, optional=not isinstance(terms, list))
    number(learned.get("physics_weight_"), "learned.physics_weight_", low=0.0, optional=True)
    check_physics_choice(learned.get("physics_choice_"), "learned.physics_choice_")
    number(learned.get("cpu_contention_"), "learned.cpu_contention_", low=0.0, optional=True)
    if learned["calibration_"] is not None:
        _check_calibration(learned["calibration_"], k)
    if learned["time_axis_"] is not None:
        _check_time_axis(learned["time_axis_"])
    return learned


def _check_history(history) -> None:
    rows = None
    for name, column in mapping(history, "history").items():
        _numbers(column, f"history.{name}", len(array(column, f"history.{name}")), nulls=True)
        if rows is not None and len(column) != rows:
            raise BadField("history", f"has columns of different lengths ({name!r} has {len(column)} rows, not {rows})")
        rows = len(column)


def _check_sizes(params: dict, learned: dict, shapes: dict) -> None:
    """Bound every size the header asks for by the tensors the file stores, before anything is built.

    A layer width, an option or an encoding size is at most the largest stored
    dimension, a depth at most the number of stored tensors, and an ensemble has
    as many members as its stored tensors: a header cannot ask for a network much
    larger than its file (the build's budget, :func:`_restore`, bounds the rest).
    """
    net = {k: s for k, s in shapes.items() if not k.startswith(DATA_SITES)}
    for name, shape in net.items():
        if 0 in shape:
            raise BadField(f"tensor {name}", f"is empty (shape {list(shape)}); a network has no empty weights")
    largest = max((d for s in net.values() for d in s), default=1)
    bound = max(largest, len(net))
    enc = learned["encoding_config_"]
    asked = {f"params.{n}": (params.get(n), params.get(n)) for n in NETWORK_SIZES}
    asked.update({f"learned.network_size_.{n}": (v, v) for n, v in (learned.get("network_size_") or {}).items()
                  if params.get(n) is None})  # the recorded default, where it is the size built
    asked.update({f"params.model_options.{n}": (v, v) for n, v in (params.get("model_options") or {}).items()
                  if isinstance(v, int) and n != "seed"})
    degree = (enc.get("space_params") or {}).get("degree")
    n_time = (enc.get("time_params") or {}).get("n")
    asked["learned.encoding_config_.space_params.degree"] = (degree, None if degree is None else (degree + 1) ** 2)
    asked["learned.encoding_config_.time_params.n"] = (n_time, None if n_time is None else 2 * n_time)
    for field, (value, size) in asked.items():
        if size is not None and size > bound:
            raise BadField(field, f"is {value}, more than the file's {len(net)} tensors (largest dimension {largest}) "
                                  f"can hold", hint="The header was edited, or comes from another file. " + HINT)
    asked, fitted = params.get("n_members"), learned.get("members_")
    if asked is not None and fitted is not None and asked != fitted and params.get("uncertainty") != "bayes_last_layer":
        raise BadField("params.n_members", f"is {asked}, but learned.members_ (the networks fitted) is {fitted}")
    expected = _members(params, learned)
    members = sorted({s[0] for k, s in net.items() if ".stacked." in k})
    if expected > 1 and members != [expected]:
        field = "learned.members_" if learned.get("members_") is not None else "params.n_members"
        raise BadField(field, f"is {expected}, but the file stores {' or '.join(map(str, members)) or 'no'} "
                              f"ensemble members")


def _physics_weight(params: dict, learned: dict) -> float | None:
    """The residual's weight in force: ``physics_weight_``; files from before it: the parameter (a number then)."""
    if "physics_weight_" in learned or not params.get("physics"):
        return learned.get("physics_weight_")
    weight = params.get("physics_weight")
    return float(weight) if isinstance(weight, (int, float)) and not isinstance(weight, bool) else None


def _members(params: dict, learned: dict) -> int:
    """Networks in a saved model: ``members_``; files from before it: ``n_members`` (5 unset) for an ensemble, else 1."""
    if learned.get("members_") is not None:
        return learned["members_"]
    return (params.get("n_members") or ENSEMBLE_MEMBERS) if params.get("uncertainty") == "ensemble" else 1


def check_config(cls, config, shapes: dict) -> dict:
    """Check a model file's config against the schema and the stored tensor ``shapes``; builds nothing.

    Parameters
    ----------
    cls : type
        :class:`geoinr.INRModel`.
    config : object
        The parsed JSON config (:func:`to_state`'s second value).
    shapes : dict of str to tuple of int
        The shape of every stored tensor.

    Returns
    -------
    dict
        ``config``, checked.

    Raises
    ------
    geoinr.persistence.BadField
        Naming the first field of a wrong type, range or size.
    """
    mapping(config, "config", required=("params", "learned", "history"))
    text(config.get("geoinr_version"), "config.geoinr_version", optional=True)
    params = _check_params(cls, config["params"])
    learned = _check_learned(config["learned"])
    _check_history(config["history"])
    _check_sizes(params, learned, shapes)
    return config


# ------------------------------------------------------------------ building, within the file's budget
_FACTORIES = frozenset((
    torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn, torch.randint, torch.randperm,
    torch.eye, torch.arange, torch.linspace, torch.logspace, torch.empty_strided,
    torch.Tensor.new_empty, torch.Tensor.new_zeros, torch.Tensor.new_ones, torch.Tensor.new_full,
))


class _OverBudget(Exception):
    pass


class _Budget(TorchFunctionMode):
    """Refuse, before it is made, a tensor that would take the values allocated beyond ``limit``.

    Every torch factory call is first made on the ``meta`` device, which
    allocates nothing, to learn its size.
    """

    def __init__(self, limit: int):
        super().__init__()
        self.left = int(limit)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES:
            try:
                size = func(*args, **{**kwargs, "device": "meta"}).numel()
            except (RuntimeError, TypeError, NotImplementedError):  # no meta form: let the call itself decide
                size = 0
            self.left -= size
            if self.left < 0:
                raise _OverBudget
        return func(*args, **kwargs)


def _data_distance(tensors: dict, k: int, columns: int):
    """The calibration's training sites: ``columns`` km coordinates each (x, y, z and, for a model of time, its
    time as a distance), finite as the float32 they are held in (a review: a file's 7 columns loaded, then failed in
    scipy at the first ``return_std``, not naming the file)."""
    shared = tensors.pop(DATA_SITES, None)
    each = [tensors.pop(f"{DATA_SITES}.{j}", None) for j in range(k)]
    for name, t in [(DATA_SITES, shared)] + [(f"{DATA_SITES}.{j}", t) for j, t in enumerate(each)]:
        if t is not None and (t.shape[1] != columns or not bool(torch.isfinite(t.float()).all())):
            raise BadField(f"tensor {name}", f"has {t.shape[1]} columns (this model's sites have {columns}) or "
                                             f"values past float32's range")
    if shared is not None:
        return [DataDistance(shared.numpy())] * k
    if all(t is not None for t in each):
        return [DataDistance(t.numpy()) for t in each]
    return None


def _check_tensors(tensors: dict) -> None:
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise BadField(f"tensor {name}", "holds NaN or infinite values")
        if name.startswith(DATA_SITES) and (t.dim() != 2 or not t.is_floating_point()):
            raise BadField(f"tensor {name}", f"has shape {list(t.shape)} and dtype {t.dtype}; (sites, coordinates) floats expected")


def _check_gaps(gaps, time_range) -> None:
    """``learned.time_gaps_``: None or a list of (start, end) days inside the time range, in order."""
    if gaps is None:
        return
    end = -float("inf")
    for i, gap in enumerate(array(gaps, "learned.time_gaps_")):
        start, stop = _numbers(gap, f"learned.time_gaps_[{i}]", 2)
        if time_range is None or not (max(end, time_range[0]) <= start < stop <= time_range[1]):
            raise BadField(f"learned.time_gaps_[{i}]", f"is [{start:g}, {stop:g}]: gaps must run forward, in order, "
                           f"inside the fitted time range {time_range}")
        end = stop


def _restore(cls, tensors: dict, config: dict, where) -> object:
    """A fitted ``cls`` from tensors and a config :func:`check_config` passed."""
    model = cls(**config["params"])
    try:
        model._validate_params()
    except (ValueError, TypeError) as err:
        raise BadField("params", f"do not describe a model this geoinr {__version__} builds: {err}") from None
    learned = config["learned"]
    for k in LEARNED:
        v = learned[k] if k not in OPTIONAL else learned.get(k, OPTIONAL[k])
        setattr(model, k, tuple(v) if k in TUPLES and v is not None else v)
    model.time_gaps_ = [tuple(g) for g in model.time_gaps_ or []]
    model.members_ = _members(config["params"], learned)
    if learned.get("members_") is None and config["params"].get("uncertainty") != "ensemble":
        model.n_members = None  # files from before members_ stored the old default (5), which one network ignored
    # a file records the option defaults in force when it was written; those it lacks are the ones before
    earlier = EARLIER_NETWORK_OPTIONS.get(config["params"]["model"], {})
    model.network_options_ = {**earlier, **(model.network_options_ or {})}
    if model.network_size_ is None:  # written before files recorded the default sizes
        model.network_size_ = {**size_defaults(config["params"]["model"]),
                               **EARLIER_NETWORK_SIZES.get(config["params"]["model"], {})}
        filters = tensors.get("network.filters.0.weight")  # the filter networks' default width changed (256 -> 128)
        if filters is not None and filters.dim() == 2:
            model.network_size_["width"] = int(filters.shape[0])
    if "physics_" not in learned:  # files from before physics="auto": the parameter was the terms
        model.physics_ = config["params"].get("physics")
    model.physics_weight_ = _physics_weight(config["params"], learned)
    ta = learned["time_axis_"]
    model.time_axis_ = TimeAxis(**ta) if ta is not None else None
    model.history_ = pd.DataFrame({c: pd.to_numeric(pd.Series(v, dtype=object)) for c, v in config["history"].items()})
    _check_tensors(tensors)
    tensors = dict(tensors)
    model.data_distance_ = _data_distance(tensors, len(model.variables_), 3 if model.time_range_ is None else 4)
    cal = model.calibration_ or {}
    if any(a > 0 for a in cal.get("gap_variance") or [] if a is not None) and model.data_distance_ is None:
        raise BadField(f"tensor {DATA_SITES}", "is missing: the calibration has a distance term, which needs the "
                                               "training sites")
    stored = sum(math.prod(t.shape) for t in tensors.values())
    try:
        with _Budget(2 * stored + BUILD_SLACK), own_torch_state():  # float32 whatever the caller's default dtype
            model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_))
    except _OverBudget:
        sizes = ", ".join(f"{n}={config['params'].get(n)!r}" for n in ("model", "width", "depth", "n_members",
                                                                          "model_options"))
        raise BadField("params", f"({sizes}) ask for more weights than the file holds ({stored:,} values)") from None
    except (ValueError, TypeError) as err:
        raise BadField("params", f"do not build a network: {err}") from None
    try:
        model.field_.load_state_dict(tensors, strict=True)
    except RuntimeError as err:
        raise DamagedFileError(
            f"The weights in {os.fspath(where)!r} do not match its config: {err}. The file is damaged, or was "
            f"written by a development version of geoinr before {__version__} whose network defaults differ "
            f"(it records geoinr {config.get('geoinr_version', '?')}). {HINT}") from err
    _probe(model)
    return model


def _probe(model) -> None:
    """Refuse a model that predicts no finite value at the centre of its own region and window: finite options and
    weights can still make one (a review: ``w0_hidden`` 1e308, or a ``min_wavelength`` of 1e-300 km, loaded and
    predicted NaN everywhere)."""
    from .evaluation import evaluate

    west, east, south, north = model.region_
    columns = [np.array([(west + east) / 2 if west <= east else west]), np.array([(south + north) / 2])]
    if model.time_range_ is not None:
        columns.append(np.array([sum(model.time_range_) / 2]))
    try:
        with np.errstate(all="ignore"), own_torch_state(dtype=False):
            value = evaluate(model, columns, batch_size=1)
    except torch.cuda.OutOfMemoryError:  # (a machine's limit, not the file's damage)
        raise
    except (ValueError, RuntimeError, OverflowError, FloatingPointError) as err:
        if "out of memory" in str(err).lower() or "cuda" in str(err).lower():  # (the machine's, not the file's)
            raise
        raise BadField("params", f"with these weights predict nothing: {err}") from None
    if not np.isfinite(value).all():
        raise BadField("params", "with these weights predict NaN or infinite values at the centre of the model's "
                                 "own region (an option or encoding scale past any fit's)")


def from_state(cls, tensors: dict, config: dict, where="the state"):
    """A fitted ``cls`` (INRModel) from :func:`to_state`'s output; ``where`` names the source in errors.

    The config is checked (:func:`check_config`) before anything is built.
    """
    with reading(where, WHAT, HINT):
        config = json.loads(json.dumps(config, allow_nan=False))  # as a file holds it (tuples are lists there)
        config = check_config(cls, config, {k: tuple(t.shape) for k, t in tensors.items()})
        return _restore(cls, tensors, config, where)


def save(model, path) -> None:
    """Write a fitted model to ``path`` atomically (write, then rename); see :meth:`geoinr.INRModel.save`."""
    if not hasattr(model, "_strategy"):  # a baseline (INRModel's own method; a review: AttributeError 'history_')
        raise TypeError(f"geoinr saves fitted INRModels only, not {type(model).__name__}: fit it again where it is "
                        f"needed (the baselines fit in seconds, and the same data give the same map).")
    tensors, config = to_state(model)
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "config": json.dumps(config, allow_nan=False)}
    write_safetensors_atomic(path, tensors, meta)


def load(path, device: str = "cpu", *, cls):
    """Read a file written by :func:`save` into a ``cls`` (see :func:`geoinr.load`, the public entry).

    The device is checked first, as ``fit`` does; then the header and the stored
    shapes, read without the weights (:func:`check_config`); then the weights.
    """
    dev = resolve_device(device)
    path = os.path.expanduser(os.fspath(path))  # "~/models/sla.geoinr", as xarray reads it
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    with reading(path, WHAT, HINT):
        meta, shapes = read_header(path, FORMAT, FORMAT_VERSION, OLDEST_FORMAT_VERSION)
        config = check_config(cls, parse_json(meta.get("config"), "config"), shapes)
        tensors, _ = read_safetensors(path, FORMAT, FORMAT_VERSION, OLDEST_FORMAT_VERSION, CHECKSUM_SINCE)
        model = _restore(cls, tensors, config, path)
    model._remember_params()
    model.field_.to(dev)
    return model
