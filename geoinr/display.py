"""What a model is, in a few lines: the summary behind ``repr(model)`` and Jupyter's rich display.

:func:`summary` gathers the facts about an :class:`geoinr.INRModel` (network,
encodings, parameters, data, training, validation score, device) into a plain
dict; :func:`to_text` and :func:`to_html` render it. ``INRModel.__repr__`` and
``INRModel._repr_html_`` call them, so ``print(fitted)`` in a terminal and
``fitted`` as the last line of a notebook cell show the same facts. Nothing here imports matplotlib, and torch
only through :mod:`geoinr.nn` (the networks' default options); a model that is not fitted yet shows its
parameters.
"""
from __future__ import annotations

import html
import inspect
import math

import numpy as np

from .cpu_load import busy_note, timed_budget
from .scales import DEFAULT_SPEED, GAP_TO_WAVELENGTH

__all__ = ["held_out_joined_epoch", "rows", "summary", "to_html", "to_text"]

_STOP_REASONS = {
    "budget": "budget reached",
    "max_time": "max_time reached before the epochs",
    "early_stopping": "early stopping",
    "interrupted": "interrupted (Ctrl-C)",
    "diverged": "diverged",
}


class _AsFitted:
    """A fitted model seen with the parameters of its fit (those set since are refused by its predict)."""

    def __init__(self, model, params: dict):
        self._model, self._params = model, params

    def __getattr__(self, name):
        return self._params[name] if name in self._params else getattr(self._model, name)

    def get_params(self, deep: bool = True) -> dict:
        return dict(self._params)


def _as_fitted(model) -> tuple:
    """``(model as fitted, {name: [at the fit, now]})``: the model itself where no parameter changed since its fit."""
    from .base import _changed_params

    fitted = getattr(model, "_fit_params_", None) if model.is_fitted else None
    changed = _changed_params(fitted, model.get_params(deep=False))
    if not changed:
        return model, {}
    return _AsFitted(model, {**model.get_params(deep=False), **fitted}), {k: list(v) for k, v in changed.items()}


def _non_default_params(model) -> dict:
    """Constructor parameters that differ from their defaults, in signature order."""
    sig = inspect.signature(type(getattr(model, "_model", model)).__init__).parameters
    out = {}
    for k, v in model.get_params().items():
        default = sig[k].default if k in sig else inspect.Parameter.empty
        try:
            same = bool(default == v)
        except Exception:  # noqa: BLE001  (arrays and other odd values: show them)
            same = False
        if not same:
            out[k] = v
    return out


def _network_defaults(name):
    """(width, depth, one-line description) of a network name; ``None`` where unknown."""
    try:
        from .nn import NETWORKS  # imports torch; a fitted model has it loaded already
    except ImportError:  # pragma: no cover
        return None, None, None
    entry = NETWORKS.get(name)
    return (entry[1], entry[2], entry[5]) if entry else (None, None, None)


def _format_time(value) -> str:
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="m")).replace("T", " ")
    if hasattr(value, "strftime"):  # cftime
        return f"{value.strftime('%Y-%m-%d %H:%M')} ({getattr(value, 'calendar', '')})".replace(" ()", "")
    value = float(value) + 0.0  # + 0.0: no "-0"
    if abs(value) < 1e15 and abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return f"{value:.0f}"  # whole numbers in full: seconds 204378, not 204378.000 or 2.04378e+05
    return f"{value:.6g}" if abs(value) < 1e5 else f"{value:.3f}"  # Julian days: 2458849.500, not 2.45885e+06


def _time_range(model) -> tuple[str, str] | None:
    """The fitted time window as two strings, in the data's own times (numeric ones followed by their units)."""
    axis = getattr(model, "time_axis_", None)
    if getattr(model, "time_range_", None) is None or axis is None:
        return None
    lo, hi = axis.from_days(np.asarray(model.time_range_, dtype=np.float64))
    units = axis.units if axis.kind == "numeric" else ""
    return _format_time(lo), _format_time(hi) + (f" {units}" if units else "")


def _time_gaps(model) -> list:
    """The far parts of the record's gaps (``time_gaps_``) as pairs of strings, as :func:`_time_range` gives."""
    axis = getattr(model, "time_axis_", None)
    gaps = getattr(model, "time_gaps_", None) or []
    if axis is None or not gaps:
        return []
    return [tuple(_format_time(v) for v in axis.from_days(np.asarray(g, dtype=np.float64))) for g in gaps]


def _lon(v: float) -> str:
    v = ((float(v) + 180.0) % 360.0) - 180.0
    return f"{abs(v):.2f}°{'W' if v < 0 else 'E'}"


def _lat(v: float) -> str:
    return f"{abs(float(v)):.2f}°{'S' if v < 0 else 'N'}"


def _device_of(model):
    try:
        return str(next(model.field_.parameters()).device)
    except (AttributeError, StopIteration):
        return None


def _terms(model):
    """The physics terms in force: ``physics_`` once fitted; ``"auto"`` decides on the data (the smooth prior on
    records too sparse to map, else none), so none before them. (``geoinr.model.params.terms_in_force``'s rule:
    that module imports torch, which this one never does.)"""
    if model.is_fitted:
        return getattr(model, "physics_", None)
    return None if model.physics == "auto" else model.physics


def summary(model) -> dict:
    """The facts about a model, as a plain dict (JSON-friendly values).

    Parameters
    ----------
    model : geoinr.INRModel
        Fitted or not (the parameters of its fit shown, where they were changed since).

    Returns
    -------
    dict
        Always ``model``, ``description``, ``fitted``, ``params`` (the constructor parameters that differ from their
        defaults), ``changed_since_fit`` (``{name: [at the fit, now]}``), ``width``, ``depth``,
        ``space_encoding``, ``time_encoding``, ``physics`` (the terms: ``physics_`` once fitted), ``physics_added``
        (True where ``physics="auto"`` added the smooth prior), ``physics_weight``, ``uncertainty``, and ``init`` (SIREN
        models: ``"siren"`` or ``"tuner"``) where ``model_options`` or the fit's defaults set it. A fitted
        model adds ``variables``, ``units``, ``spatial`` (True for a field without time), ``n_points``, ``region`` (west, east,
        south, north), ``time_range`` (two strings, or None), ``time_gaps`` (the far parts of the record's gaps,
        ``time_gaps_``, as pairs of strings), ``n_parameters``, ``min_wavelength_km``, ``min_period_days``, ``fit_seconds``, ``epochs``,
        ``steps``, ``stop_reason``, ``best_loss`` (standardized MSE), ``best_loss_on``
        (``"validation"`` or ``"training"``), ``best_epoch``, ``best_rmse`` (the same
        loss as an RMSE in the variable's units, one fitted variable only, else None),
        ``joined_epoch`` (the epoch after which the held-out points were trained on, or None),
        ``device`` (where the weights are now), ``trained_on`` (device used for training), ``fitted_at``, ``calibration`` (``calibration_`` of models fitted
        with ``uncertainty=``) and ``scale_search`` (``scale_search_`` of models fitted
        with ``min_wavelength="search"``), ``optimizer`` (``optimizer_``: ``"adam"``, or
        ``"lbfgs"`` for Adam then full-batch L-BFGS), ``precision`` (``precision_``), ``members`` (``members_``, the
        networks fitted; more than one without uncertainty: their mean is the prediction),
        ``filled`` (True when the later networks were fitted in the time early stopping left),
        ``physics_weight_used`` and ``physics_choice`` (``physics_weight_``, ``physics_choice_``), ``cpu_contention``
        (the share of the CPUs' time other processes took while the networks trained on the CPU, or None).

    Examples
    --------
    >>> import geoinr
    >>> s = summary(geoinr.INRModel("nif", width=16))
    >>> s["model"], s["fitted"], s["params"], s["width"], s["depth"]
    ('nif', False, {'model': 'nif', 'width': 16}, 16, 3)
    """
    model, changed = _as_fitted(model)  # what was fitted, not parameters set since (a review)
    width_default, depth_default, description = _network_defaults(model.model)
    recorded = getattr(model, "network_size_", None) or {}  # a fitted model: the defaults it was built with
    width_default, depth_default = recorded.get("width", width_default), recorded.get("depth", depth_default)
    s = {
        "model": model.model,
        "description": description,
        "fitted": bool(model.is_fitted),
        "params": _non_default_params(model), "changed_since_fit": changed,
        "physics_weight": getattr(model, "physics_weight", None),
        "width": model.width if model.width is not None else width_default,
        "depth": model.depth if model.depth is not None else depth_default,
        "space_encoding": model.space_encoding,
        "time_encoding": model.time_encoding,
        "physics": _terms(model),
        "physics_added": model.physics == "auto" and bool(_terms(model)),
        "uncertainty": model.uncertainty,
    }
    options = {**(getattr(model, "network_options_", None) or {}), **(model.model_options or {})}  # given ones win
    if "init" in options:
        s["init"] = options["init"]
    if not model.is_fitted:
        return s
    enc = getattr(model, "encoding_config_", {}) or {}
    hist = getattr(model, "history_", None)
    has_hist = hist is not None and len(hist) > 0
    variables = list(model.variables_)
    attrs = getattr(model, "variable_attrs_", {}) or {}
    time_range = _time_range(model)
    # the best weights are kept: validation loss when there is a validation set, else the training loss
    val = hist["val_loss"].to_numpy(dtype=float) if has_hist else np.array([])
    on_val = bool(np.isfinite(val).any())
    column = "val_loss" if on_val else "loss"
    best, best_epoch = getattr(model, "best_val_loss_", None), None
    if has_hist:
        losses = hist[column].to_numpy(dtype=float)
        if np.isfinite(losses).any():
            i = int(np.nanargmin(losses))
            best_epoch = float(hist["epoch"].iloc[i])
            if best is None:
                best = float(losses[i])
    joined_epoch = held_out_joined_epoch(hist) if has_hist else None
    best_rmse = None
    if best is not None and math.isfinite(best) and len(variables) == 1:
        std = model.std_[0] if model.std_[0] > 0 else 1.0  # the network sees values / std
        best_rmse = math.sqrt(max(best, 0.0)) * std
    fit_seconds = getattr(model, "fit_seconds_", None)
    fit_seconds = float(hist["seconds"].max()) if fit_seconds is None and has_hist else fit_seconds
    trained_on = getattr(model, "device_", None)
    s.update(
        variables=variables,
        units={v: attrs.get(v, {}).get("units") for v in variables},
        n_points=int(model.n_points_),
        region=tuple(float(v) for v in model.region_),
        time_range=time_range,
        time_gaps=_time_gaps(model),
        n_parameters=int(model.n_parameters_),
        min_wavelength_km=enc.get("min_wavelength"), min_period_days=enc.get("min_period"), spatial="time" in enc and enc["time"] is None, one_instant=bool(time_range) and time_range[0] == time_range[1],
        fit_seconds=None if fit_seconds is None else float(fit_seconds),
        epochs=float(hist["epoch"].iloc[-1]) if has_hist else None,
        steps=int(hist["step"].iloc[-1]) if has_hist else None,
        stop_reason=getattr(model, "stop_reason_", None),
        best_loss=None if best is None else float(best),
        best_loss_on="validation" if on_val else "training",
        best_epoch=best_epoch,
        best_rmse=best_rmse,
        joined_epoch=joined_epoch,
        device=_device_of(model) or trained_on,
        trained_on=trained_on,
        fitted_at=getattr(model, "fitted_at_", None),
        calibration=getattr(model, "calibration_", None),
        scale_search=getattr(model, "scale_search_", None),
        optimizer=getattr(model, "optimizer_", None),
        precision=getattr(model, "precision_", None),
        members=getattr(model, "members_", None),
        filled=bool(getattr(model, "fill_members_", None)),
        physics_weight_used=getattr(model, "physics_weight_", None),
        physics_choice=getattr(model, "physics_choice_", None),
        cpu_contention=getattr(model, "cpu_contention_", None),
    )
    return s


def held_out_joined_epoch(hist) -> float | None:
    """The epoch of the last held-out check when the held-out points joined the training after it, else None.

    A history (``INRModel.history_``) whose validation loss ends without a value after checks
    with one: the last part of the fit trained on every point (``TrainConfig.refit_share``).

    Examples
    --------
    >>> import pandas as pd
    >>> held_out_joined_epoch(pd.DataFrame({"epoch": [1.0, 2.0, 3.0], "val_loss": [0.5, 0.4, float("nan")]}))
    2.0
    """
    if "val_loss" not in hist:
        return None
    val = hist["val_loss"].to_numpy(dtype=float)
    if not len(val) or np.isfinite(val[-1]) or not np.isfinite(val).any():
        return None
    return float(hist["epoch"].iloc[int(np.flatnonzero(np.isfinite(val))[-1])])


def _physics_weight_text(s: dict) -> str:
    """The residual's weight: the parameter, or for a fitted model the weight used and how it was chosen."""
    if not s.get("fitted") or s.get("physics_weight_used") is None:
        weight = s.get("physics_weight")  # the parameter itself: "params" holds only those changed from default
        return "weight chosen on held-out data" if weight == "auto" else f"weight {weight:g}"
    used, choice = s["physics_weight_used"], s.get("physics_choice")
    if not choice:
        return f"weight {used:g}"
    if not choice.get("candidates"):
        return f"weight {used:g} ({choice.get('note', 'not chosen')})"
    losses = ", ".join(f"{c['physics_weight']:g}: {c['val_loss']:.4g}" if c["val_loss"] is not None
                       else f"{c['physics_weight']:g}: -" for c in choice["candidates"])
    members = choice.get("members") or [used]  # files from before the mean record one network
    residual = sum(1 for w in members if w > 0)
    term = "prior" if _physics_names(s) == ["smooth"] else "residual"  # physics="smooth" alone: a prior
    tried = any(c["physics_weight"] > 0 for c in choice["candidates"])  # a network with the term was trained
    kept = (f"the map: the mean of {len(members)} networks, {residual} with the {term}" if 0 < residual < len(members)
            else f"the {term} kept" if residual else f"the data-only fit kept (the {term} did not help)" if tried
            else f"the data-only fit kept ({choice.get('note', f'no network with the {term}')})")
    return f"weight {used:g}, {kept}; held-out {choice['held_out']} loss by weight {losses}"


def _physics_names(s: dict) -> list:
    """The terms of ``physics=`` as a list (a name or a list of names)."""
    return [s["physics"]] if isinstance(s["physics"], str) else list(s["physics"])


def _plural(n, word) -> str:
    n = round(float(n), 1)  # epochs are fractional when training stops mid-epoch
    text = f"{int(n):,}" if n.is_integer() else f"{n:,.1f}"
    return f"{text} {word}" if n == 1 else f"{text} {word}s"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _fmt_params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _g(x, digits=3) -> str:
    return f"{x:.{digits}g}"


def rows(s: dict) -> list[tuple[str, str]]:
    """The summary as (label, text) rows, the lines of the text and HTML displays.

    Examples
    --------
    >>> import geoinr
    >>> [label for label, _ in rows(summary(geoinr.INRModel()))]
    ['network', 'encodings', 'status']
    """
    size = ""
    if s.get("width") is not None and s.get("depth") is not None:
        size = f", width {s['width']}, depth {s['depth']}"
    net = f"{s['model']}{size}"
    if s.get("n_parameters") is not None:
        net += f", {s['n_parameters']:,} parameters"
    if s.get("init") == "tuner":
        net += ", TUNER initialisation"
    enc = f"space {s['space_encoding']}, " + (("no time (one instant: a spatial field)" if s.get("one_instant") else
                                               "no time (a spatial field)") if s.get("spatial") else f"time {s['time_encoding']}")
    if s.get("min_wavelength_km") is not None:
        enc += f"; min_wavelength {_g(s['min_wavelength_km'])} km"
        if s.get("min_period_days"):
            enc += f", min_period {_g(s['min_period_days'])} days"
        given = s.get("params", {})
        by_speed = s["min_wavelength_km"] / DEFAULT_SPEED  # else a grid's own spacing or steps set them (a review)
        own = s.get("min_period_days") and "min_period" not in given and abs(s["min_period_days"] / by_speed - 1) > 1e-3
        if "min_wavelength" not in given and own:
            enc += " (from the record's own spacing and time steps: a grid or stations)"
        elif "min_wavelength" not in given:  # the sampling rule's: say how it was measured (one day gave 155-289 days)
            enc += f" (from the sampling: {_g(GAP_TO_WAVELENGTH)} x the median gap to the nearest observation"
            if s.get("min_period_days") and "min_period" not in given:
                enc += f"; min_period = min_wavelength / {_g(DEFAULT_SPEED)} km/day"
            enc += ")"
    search = s.get("scale_search")
    if search:
        enc += (f" (chosen from {len(search['candidates'])} by held-out {search['held_out']}; "
                f"the sampling rule gave {_g(search['rule_min_wavelength'])} km)")
    out = [("network", net), ("encodings", enc)]
    if s.get("physics"):
        terms = ", ".join(f"{t} prior" if t == "smooth" else f"{t} residual" for t in _physics_names(s))
        if s.get("physics_added"):
            terms += " (physics='auto': the record is too sparse to map)"
        out.append(("physics", f"{terms}, {_physics_weight_text(s)}"))
    if s.get("uncertainty"):
        text = str(s["uncertainty"])
        cal = s.get("calibration")
        if cal:
            scales = ", ".join(_g(c) for c in cal.get("variance_scale", []))
            text += f"; variance scale {scales}"
            if any(a > 0 for a in cal.get("gap_variance", [])):
                lengths = ", ".join(f"{_g(x)} km" for x in cal["gap_length_km"])
                text += f", gap term to the field variance over {lengths}"
            errs = [x for x in cal.get("error_length_km") or [] if x is not None]
            if errs:
                text += ", errors correlated over " + ", ".join(f"{_g(x)} km" for x in errs)
            text += f" (calibrated on {cal.get('on', '?')})"
        out.append(("uncertainty", text))
    if not s["fitted"]:
        out.append(("status", "not fitted: call fit(...) or ds.inr.fit(...)"))
        return out
    if s.get("changed_since_fit"):
        from .base import TRAINING_PARAMS

        changed = s["changed_since_fit"]
        said = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in changed.items())
        if all(k in TRAINING_PARAMS for k in changed):  # read by a fit alone: predict goes on with what was fitted
            then = "they take effect at the next fit(...)"
        else:
            then = "predict refuses them until fit(...) again, or set_params back"
        out.append(("status", f"parameters changed since the fit ({said}): shown as fitted; {then}"))
    units = s.get("units", {})
    names = ", ".join(f"{v} ({units[v]})" if units.get(v) else v for v in s["variables"])
    west, east, south, north = s["region"]
    lons = "all longitudes" if east - west >= 359.999 else f"{_lon(west)} to {_lon(east)}"
    data = f"{names} on {s['n_points']:,} points; {lons}, {_lat(south)} to {_lat(north)}"
    if s.get("time_range"):
        data += f"; at {s['time_range'][0]}" if len(set(s["time_range"])) == 1 else f"; {s['time_range'][0]} to {s['time_range'][1]}"
    if s.get("time_gaps"):
        more = len(s["time_gaps"]) - 1
        data += f"; no data near {s['time_gaps'][0][0]} to {s['time_gaps'][0][1]}"
        data += f" and {_plural(more, 'other gap')} (time_gaps_)" if more else " (time_gaps_)"
    out.append(("data", data))
    train = []
    if s.get("fit_seconds") is not None:
        train.append(_duration(s["fit_seconds"]))
    if s.get("epochs") is not None:
        train.append(f"{_plural(s['epochs'], 'epoch')} ({_plural(s['steps'], 'step')})")
    if s.get("optimizer") == "lbfgs":
        train.append("Adam then full-batch L-BFGS")
    if s.get("precision") == "bfloat16":  # predictions too, unless predict(precision="float32")
        train.append("bfloat16")
    if (s.get("members") or 1) > 1 and s.get("uncertainty") is None:
        after = " (fitted one after another in the time early stopping left; epochs and stop: the first's)"
        train.append(f"mean of {s['members']} networks" + (after if s.get("filled") else ""))
    if s.get("joined_epoch") is not None:
        train.append(f"held-out points trained on after epoch {round(s['joined_epoch'], 1):g}")
    if s.get("stop_reason"):
        train.append(_STOP_REASONS.get(s["stop_reason"], s["stop_reason"]))
    out.append(("training", ", ".join(train) or "no history"))
    p = s.get("params", {})  # (the parameters that differ from their defaults: max_time's is a number)
    if busy := busy_note(s.get("cpu_contention"), timed_budget(p.get("max_time", "default"), p.get("epochs"),
                                                                 s.get("stop_reason"))):
        out.append(("busy machine", busy))
    if s.get("best_loss") is not None:
        best = f"best {s['best_loss_on']} loss {_g(s['best_loss'])} (standardized MSE)"
        if s.get("best_epoch") is not None:
            best += f" at epoch {round(s['best_epoch'], 1):g}"
        if s.get("best_rmse") is not None:
            unit = units.get(s["variables"][0]) or ""
            where = "held-out observations" if s["best_loss_on"] == "validation" else "the training points"
            # at held-out points beside the training ones, not a map's error between the tracks (a user took it so)
            best += f", i.e. RMSE {_g(s['best_rmse'])} {unit} at {where}".replace("  ", " ")
        if s["best_loss_on"] == "training":
            best += "; no validation set"
        out.append(("score", best))
    device = s.get("device") or "?"
    if s.get("trained_on") and s["trained_on"] != device:
        device += f" (trained on {s['trained_on']})"
    out.append(("device", device))
    return out


def to_text(model) -> str:
    """Plain-text display: the constructor call, then one indented line per row for a fitted model.

    Examples
    --------
    >>> import geoinr
    >>> print(to_text(geoinr.INRModel(width=32, depth=2)))
    INRModel(width=32, depth=2)
    >>> tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    >>> m = geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    >>> print(to_text(m))  # doctest: +ELLIPSIS
    INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False)
      network    siren, width 8, depth 1, ... parameters
      encodings  space sphere, time linear; min_wavelength ... km, min_period ... days (from the sampling: ...)
      data       sla (m) on 815 points; 0.00°E to 7.59°E, 30.01°N to 39.99°N; 2020-01-01 13:24 to 2020-01-02 19:34
      training   ... s, 1 epoch (1 step), budget reached
      score      best validation loss ... (standardized MSE) at epoch 1, i.e. RMSE ... m at held-out observations
      device     cpu
    """
    try:
        s = summary(model)
    except Exception as err:  # noqa: BLE001  (a repr must never fail: fall back to the parameters)
        return f"{type(model).__name__}({_fmt_params(_non_default_params(model))})  # summary failed: {err!r}"
    head = f"{type(model).__name__}({_fmt_params(s['params'])})"
    if not s["fitted"]:
        return head
    try:  # only the facts the constructor call does not show
        lines = rows(s)
    except Exception as err:  # noqa: BLE001  (a record no check foresaw: the parameters, and why no more)
        return f"{head}  # summary failed: {err!r}"
    width = max(len(label) for label, _ in lines)
    return head + "".join(f"\n  {label:<{width}}  {text}" for label, text in lines)


_STYLE = (
    "<style>"
    ".geoinr-model{font-family:var(--jp-content-font-family,sans-serif);font-size:0.9em;}"
    ".geoinr-model table{border-collapse:collapse;margin:0.2em 0;}"
    ".geoinr-model th,.geoinr-model td{text-align:left;vertical-align:top;padding:0.1em 0.8em 0.1em 0;"
    "border:none;background:none;}"
    ".geoinr-model th{font-weight:600;white-space:nowrap;}"
    ".geoinr-model code{font-size:0.95em;}"
    "</style>"
)


def to_html(model) -> str:
    """HTML display for Jupyter: a title line and a compact two-column table, every text escaped.

    Examples
    --------
    >>> import geoinr
    >>> page = to_html(geoinr.INRModel(model_options={"note": "<script>"}))
    >>> "&lt;script&gt;" in page, "<script>" in page
    (True, False)
    """
    esc = html.escape
    try:
        s = summary(model)
    except Exception:  # noqa: BLE001  (a display must never fail: the text repr says why)
        return f"<pre>{esc(to_text(model))}</pre>"
    status = "fitted" if s["fitted"] else "not fitted"
    about = f": {esc(s['description'])}" if s.get("description") else ""
    title = f"<b>{esc(type(model).__name__)}</b> <code>{esc(s['model'])}</code>{about} ({status})"
    try:
        body = [("parameters", _fmt_params(s["params"]) or "defaults")] + rows(s)
    except Exception:  # noqa: BLE001  (a display must never fail: the text repr says why)
        return f"<pre>{esc(to_text(model))}</pre>"
    table = "".join(f"<tr><th>{esc(label)}</th><td>{esc(text)}</td></tr>" for label, text in body)
    return f'<div class="geoinr-model">{_STYLE}<div>{title}</div><table>{table}</table></div>'
