"""The INRModel's parameters, checked in one place before any data is read.

``fit`` calls :func:`check_params` first, so a zero width, a negative learning rate
or a misspelled encoding fails in a millisecond, not after a dask pass over a large
store. Each message names the parameter, the value and what is accepted.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..base import did_you_mean
from ..frames import GeoinrWarning, user_stacklevel
from ..encoding import SPACE_ENCODINGS, TIME_ENCODINGS
from ..nn import NETWORKS, SET_BY_THE_ESTIMATOR, check_options
from ..physics.losses import physics_terms

__all__ = ["OPTIMIZERS", "SMOOTH_PRIOR_MIN_LAT", "check_params", "did_you_mean", "physics_in_force", "terms_in_force",
           "seed_in_force"]

POSITIVE_INTS = ("n_collocation", "physics_every", "patience")
POSITIVE_INTS_OR_NONE = ("width", "depth", "epochs", "batch_size")
MAX_SEED = 2**63 - 1  # the largest seed a saved model stores (numpy's generators refuse negative ones)
POSITIVE_FLOATS_OR_NONE = ("min_wavelength", "min_period", "w0", "rossby_radius", "max_time")
SEARCHABLE = {"min_wavelength": ("search",)}  # parameters that also take words: choose by held-out error
MAX_WIDTH = 65_536  # neurons: a wider layer is a typo (its weights alone would need > 16 GB)
MAX_DEPTH = 1_000  # layers
MAX_MEMBERS = 10_000  # ensemble members
# points a step: more is a typo (1e9 collocation points asked 12 GB at the first step, after the data's pass: a review)
MAX_COLLOCATION = 10_000_000
MAX_BATCH = 100_000_000
OPTIMIZERS = ("auto", "adam", "lbfgs")

# degrees: physics="auto" (the default) adds the smooth prior to a record too sparse to map where the observations'
# median |latitude| is at least this (the tropics' edge), and the sparse warning suggests it there. It mapped one
# satellite's records at 28-55 deg better than the default on 27 of 33 runs, and the tropical Pacific's (8 S-8 N)
# worse on 6 of 9 (benchmarks/sparse_records.py; RESULTS.md, 2026-12-06 fourth session)
SMOOTH_PRIOR_MIN_LAT = 23.44


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter of a value or type that cannot work: a ``ValueError`` and a ``TypeError`` alike
    (``width="64"`` is a wrong type, ``width=0`` a wrong value; scikit-learn's parameter errors are both too)."""


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_numbers(params: dict) -> None:
    for name in POSITIVE_INTS + POSITIVE_INTS_OR_NONE:
        value = params[name]
        if value is None and name in POSITIVE_INTS_OR_NONE:
            continue
        if not (_is_int(value) and value >= 1):
            raise InvalidParameterError(f"{name} must be a whole number >= 1{' or None' if name in POSITIVE_INTS_OR_NONE else ''}, "
                             f"got {value!r}.")
    for name in POSITIVE_FLOATS_OR_NONE:
        value = params[name]
        if name in SEARCHABLE and isinstance(value, str) and value in SEARCHABLE[name]:
            continue
        if value is not None and not (_is_real(value) and 0 < value < float("inf")):
            word = "".join(f", {w!r}" for w in SEARCHABLE.get(name, ()))
            raise InvalidParameterError(f"{name} must be a positive finite number{word} or None, got {value!r}.")
    for name, strict in (("lr", True), ("physics_weight", False)):  # lr > 0 or None, physics_weight >= 0 or "auto"
        value = params[name]
        if (name == "physics_weight" and isinstance(value, str) and value == "auto") or (name == "lr" and value is None):
            continue
        finite = _is_real(value) and abs(value) < float("inf")  # False for NaN too
        if not finite or value < 0 or (strict and value == 0):
            bound = "> 0" if strict else ">= 0 or 'auto'"
            raise InvalidParameterError(f"{name} must be a finite number {bound}, got {value!r}.")
    for name, most in (("width", MAX_WIDTH), ("depth", MAX_DEPTH), ("n_collocation", MAX_COLLOCATION),
                       ("batch_size", MAX_BATCH)):
        if params[name] is not None and params[name] > most:
            raise InvalidParameterError(f"{name}={params[name]} is more than {most:,}; it is probably a typo.")
    members = params["n_members"]
    if members is not None and not (_is_int(members) and 1 <= members <= MAX_MEMBERS):
        raise InvalidParameterError(f"n_members must be a whole number from 1 to {MAX_MEMBERS:,} or None, got {members!r}.")


def check_params(params: dict) -> None:
    """Raise a clear InvalidParameterError (a ValueError and a TypeError) for the first parameter that cannot work (``params``: ``get_params()``).

    The model name, uncertainty, physics and precision are checked by their owners
    (the estimator's ``_validate_params``); here: numbers, encodings and option types.

    Examples
    --------
    >>> from geoinr import INRModel
    >>> check_params(INRModel(width=0).get_params())
    Traceback (most recent call last):
    ...
    geoinr.model.params.InvalidParameterError: width must be a whole number >= 1 or None, got 0.
    """
    _check_numbers(params)
    if not isinstance(params.get("progress", True), (bool, np.bool_)):  # "no" is truthy: the bar showed
        raise InvalidParameterError(f"progress must be True or False, got {params['progress']!r}.")
    if params["mass_constraint"] == "streamfunction" and params["physics"] != "auto" \
            and "mass" in physics_terms(params["physics"]):  # a review of 2026-12-06
        raise ValueError(
            "physics='mass' with mass_constraint='streamfunction' adds a term that is zero by construction (the flow "
            "is divergence-free), and any physics term turns off L-BFGS on grids (u's error 5.6 against 0.19 cm/s). "
            "Drop it (physics=None), or keep the penalty alone with mass_constraint='penalty'.")
    if params["space_encoding"] not in SPACE_ENCODINGS:
        raise ValueError(f"Unknown space_encoding {params['space_encoding']!r}; choose one of {sorted(SPACE_ENCODINGS)}."
                         f"{did_you_mean(params['space_encoding'], SPACE_ENCODINGS)}")
    if params["time_encoding"] not in TIME_ENCODINGS:
        raise ValueError(f"Unknown time_encoding {params['time_encoding']!r}; choose one of {sorted(TIME_ENCODINGS)}."
                         f"{did_you_mean(params['time_encoding'], TIME_ENCODINGS)}")
    options = params["model_options"]
    if options is not None and not isinstance(options, dict):
        raise InvalidParameterError(f"model_options must be a dict of network options or None, got {type(options).__name__}.")
    given_elsewhere = {"bandwidth": "min_wavelength= (km; the network's bandwidth follows from it and, for SIREN "
                                    "models, w0=)", "width": "INRModel(width=...)", "depth": "INRModel(depth=...)",
                       "seed": "INRModel(seed=...)"}
    given_elsewhere.update({k: "nothing: the estimator sets it from the data" for k in SET_BY_THE_ESTIMATOR
                            if k not in given_elsewhere})
    clashing = [k for k in (options or {}) if k in given_elsewhere]
    if clashing:
        raise ValueError(f"model_options={ {k: options[k] for k in clashing} }: "
                         + "; ".join(f"{k!r} is not a network option here, give {given_elsewhere[k]}" for k in clashing)
                         + ".")
    if params["model"] in NETWORKS:  # (an unknown model is the estimator's to refuse)
        check_options(params["model"], options, params["width"], params["depth"])
    l1 = (options or {}).get("l1")
    if _is_real(l1) and l1 > 0 and ((params["n_members"] or 1) > 1 or params["uncertainty"] == "ensemble"):
        raise ValueError(
            f"model_options l1={l1} prunes the first layer of one network; networks trained together "
            f"(n_members={params['n_members']}, uncertainty={params['uncertainty']!r}) do not apply it. Fit with l1=0, "
            "or with n_members=1 and no ensemble uncertainty."
        )
    if params["uncertainty"] == "bayes_last_layer" and (params["n_members"] or 1) > 1:  # it was ignored silently
        warnings.warn(f"n_members={params['n_members']} is ignored: uncertainty='bayes_last_layer' fits one network "
                      f"(uncertainty='ensemble' trains {params['n_members']} together).", GeoinrWarning,
                      stacklevel=user_stacklevel())
    if params["min_wavelength"] == "search" and params["w0"] is not None:
        raise ValueError(
            f"min_wavelength='search' with w0={params['w0']}: w0 fixes the first layer's frequency, which the "
            "searched wavelengths set otherwise, so every candidate would be the same network. Give w0=None to "
            "search the scales, or a min_wavelength (km, or None for the sampling rule) with w0."
        )
    if params["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {params['optimizer']!r}; choose one of {list(OPTIMIZERS)}."
                         f"{did_you_mean(str(params['optimizer']), OPTIMIZERS)}")
    if params["seed"] is not None and not (_is_int(params["seed"]) and 0 <= params["seed"] <= MAX_SEED):
        raise InvalidParameterError(f"seed must be a whole number in [0, 2**63 - 1] or None, got {params['seed']!r}.")


def terms_in_force(model):
    """The physics terms a model trains with: ``physics_`` once a fit has set it
    (:func:`physics_in_force`), else the parameter, where it names them
    (``"auto"`` decides on the data: none before them).

    Parameters
    ----------
    model : geoinr.INRModel

    Returns
    -------
    None, str or list of str
        The terms (``"qg"``, ``"mass"``, ``"smooth"``), or None for a data-only fit.

    Examples
    --------
    >>> import geoinr
    >>> terms_in_force(geoinr.INRModel(physics="qg")), terms_in_force(geoinr.INRModel())
    ('qg', None)
    """
    if hasattr(model, "physics_"):
        return model.physics_
    return None if model.physics == "auto" else model.physics


def physics_in_force(physics, too_sparse: bool, lat) -> str | list | None:
    """The terms a fit trains with (``physics_``): those given, or for ``physics="auto"`` (the default) the smooth
    prior where the record is too sparse to map (``too_sparse``, the fit's warning) and the observations' median
    |latitude| (``lat``, degrees) is at least :data:`SMOOTH_PRIOR_MIN_LAT`, else none.

    Between passes hundreds of kilometres apart a network extrapolates what it fitted along the tracks; the
    prior keeps those gaps flat (``benchmarks/sparse_records.py``). In the tropics the large, zonally
    elongated field is extrapolated well and the prior cost there, so it is not added.

    Parameters
    ----------
    physics : None, str or list
        The ``physics=`` parameter.
    too_sparse : bool
        Whether the record is too sparse to map (:data:`geoinr.model.fitting.UNRESOLVED_WARN`).
    lat : array_like
        Latitudes of the observations (or a sample of them), degrees north.

    Returns
    -------
    None, str or list
        The terms (:data:`geoinr.physics.losses.PHYSICS_TERMS`), or None for a data-only fit.

    Examples
    --------
    >>> physics_in_force("auto", True, [40.0, 45.0]), physics_in_force("auto", True, [-5.0, 5.0])
    ('smooth', None)
    >>> physics_in_force("auto", False, [40.0]), physics_in_force(None, True, [40.0]), physics_in_force("qg", False, [40.0])
    (None, None, 'qg')
    """
    if physics != "auto":
        return physics
    return "smooth" if too_sparse and float(np.median(np.abs(lat))) >= SMOOTH_PRIOR_MIN_LAT else None


def seed_in_force(model):
    """The seed a fit draws its held-out points, sample and batches with: ``seed``, except that under torchrun a
    ``seed=None`` fit draws one seed that every rank shares (set by :func:`geoinr.model.fitting.learn_frame`), so
    that the ranks hold out the same points and read the same sample.

    Parameters
    ----------
    model : geoinr.INRModel

    Returns
    -------
    int or None

    Examples
    --------
    >>> import geoinr
    >>> seed_in_force(geoinr.INRModel(seed=3)), seed_in_force(geoinr.INRModel(seed=None))
    (3, None)
    """
    return getattr(model, "_seed_in_force", model.seed)
