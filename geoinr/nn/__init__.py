"""Coordinate networks as plain torch modules (no xarray here).

:func:`build_network` makes one by name; :data:`NETWORKS` lists the names. Every
network takes the encoded coordinates (time features in the last
``time_features`` columns) and a ``bandwidth``: the angular frequency, in
radians per encoded unit, of the shortest wavelength it should represent. Each
network turns it into its own frequency parameter (SIREN ``w0``, filter
frequencies of MFNs, Fourier-feature scales).

The SIREN models (``siren``, ``modulated_siren``) and NIF's ShapeNet take ``init="tuner"`` (TUNER,
Novello et al. 2025): frozen integer first-layer frequencies up to a bandlimit of ``w0`` and bounded hidden
weights, kept bounded during training by their ``constrain_()`` method, which
:class:`geoinr.training.Trainer` calls after every step.
"""
from __future__ import annotations

import inspect

import torch
from torch import nn

from .conditioned import NIF, ModulatedSiren
from .mfn import FourierNet, GaborNet
from .mlp import MLP, FourierFeatureNet, sample_frequencies
from .siren import TUNER_BANDLIMIT_FACTOR, TUNER_BOUND, TUNER_PERIOD, TUNER_TIME_PERIOD, SineLayer, Siren, tuner_frequencies

__all__ = [
    "Siren",
    "SineLayer",
    "ModulatedSiren",
    "NIF",
    "FourierNet",
    "GaborNet",
    "FourierFeatureNet",
    "MLP",
    "NETWORKS",
    "build_network",
    "option_defaults",
    "size_defaults",
    "sample_frequencies",
    "SIREN_BANDWIDTH_FACTOR",
    "FFN_BANDWIDTH_DIVISOR",
    "MFN_BANDWIDTH_DIVISOR",
    "GABOR_BANDWIDTH_DIVISOR",
    "MLP_DEPTH",
    "tuner_frequencies",
    "TUNER_BOUND",
    "TUNER_PERIOD",
    "TUNER_TIME_PERIOD",
    "TUNER_BANDLIMIT_FACTOR",
]

# A SIREN of a few layers synthesizes frequencies well above its first layer's w0 (hidden sine
# layers add harmonics); w0 = bandwidth / 8 put the default at the best w0 of the frequency sweep
# on the built-in along-track case (benchmarks/frequency_sweep.py, benchmarks/RESULTS.md).
SIREN_BANDWIDTH_FACTOR = 8.0


def _siren_freq(params, bandwidth):
    if params.get("w0") is None:
        params["w0"] = float(bandwidth) / SIREN_BANDWIDTH_FACTOR
    return params


# Random Fourier features: 95 % of B's entries lie below the bandwidth per axis, so the frequency
# vectors (3-4 axes) are longer, and the ReLU MLP adds their sums and harmonics. With the full
# bandwidth the FFN invented structure between tracks (real DUACS cases, 60 s: mu 0.42 and 0.31
# against linear 0.81 and 0.79); a sixth gave 0.84 and 0.85 (benchmarks/RESULTS.md, 2026-12-02).
FFN_BANDWIDTH_DIVISOR = 6.0


def _bandwidth_over(divisor: float):
    """The frequency rule of a network that takes a ``bandwidth`` option: the encoding's bandwidth / ``divisor``."""

    def rule(params, bandwidth):
        params.setdefault("bandwidth", float(bandwidth) / divisor)
        return params

    return rule


# Multiplicative filter networks: the product of the filters spans frequencies up to the bandwidth they are
# given, with comparable amplitude at every one, so with the full bandwidth they fitted the tracks and invented
# structure between them (real DUACS cases, 60 s, width 256: mu 0.71 and 0.49 on the Gulf Stream 10 deg and
# Kuroshio boxes against linear 0.81 and 0.79). Half the bandwidth at width 128 (three times the steps a second)
# gave 0.84 and 0.82; a third underfitted (0.72), the full one at width 128 overfitted (0.71)
# (benchmarks/RESULTS.md, 2026-12-02, fifth session). At 512 points a step and lr 1e-3 FourierNet takes 1 / 1.75 of
# it: half rang along the Gulf Stream's front on the 40 x 16 deg basin box (0.812 and 0.774 on two seeds; linear
# 0.818), two thirds lost the Kuroshio box's unsampled band (0.749 and 0.743; linear 0.787); 1 / 1.7 and 1 / 1.85
# were ahead of linear on both (benchmarks/RESULTS.md, 2026-12-03, second session).
MFN_BANDWIDTH_DIVISOR = 1.75
# GaborNet: two thirds of the bandwidth since 2026-12-03 (512 points a step, lr 1e-3): 0.848, 0.880, 0.957, 0.904
# and 0.803 on the 40 x 16 deg basin box, the Gulf Stream, ACC and Agulhas boxes and the QG OSSE (half: 0.823,
# 0.857, 0.945, 0.885, 0.768); Kuroshio 0.809 (half: 0.837; linear 0.787) (benchmarks/RESULTS.md, 2026-12-03).
GABOR_BANDWIDTH_DIVISOR = 1.5


# The plain ReLU MLP: five hidden layers rather than three. Its linear pieces multiply with depth, not width: at
# 60 s depth 5 gained 0.062 mu on the 40 x 16 deg basin box (0.709 -> 0.771), and +0.007 on average on five real
# boxes and the QG OSSE run side by side (-0.010 to +0.020); width 512 lost (0.683), depth 8 gave no more
# (benchmarks/RESULTS.md, 2026-12-02, eighth session).
MLP_DEPTH = 5

#: name -> (class, default width, default depth, needs time, frequency rule, one-line description)
NETWORKS = {
    "siren": (Siren, 256, 3, False, _siren_freq, "sine-activated MLP (Sitzmann et al. 2020)"),
    "modulated_siren": (ModulatedSiren, 256, 3, True, _siren_freq, "SIREN of space, FiLM-modulated by a network of time"),
    "nif": (NIF, 256, 3, True, _siren_freq,
            "Neural Implicit Flow: a time net mixes a space SIREN's modes, or emits its weights (Pan et al. 2023)"),
    "fourier_net": (FourierNet, 128, 3, False, _bandwidth_over(MFN_BANDWIDTH_DIVISOR),
                    "multiplicative filter network, sine filters (Fathony et al. 2021)"),
    "gabor_net": (GaborNet, 128, 3, False, _bandwidth_over(GABOR_BANDWIDTH_DIVISOR),
                  "multiplicative filter network, Gabor filters (Fathony et al. 2021)"),
    "ffn": (FourierFeatureNet, 256, 3, False, _bandwidth_over(FFN_BANDWIDTH_DIVISOR),
            "random Fourier features + ReLU MLP (Tancik et al. 2020)"),
    "mlp": (MLP, 256, MLP_DEPTH, False, lambda p, b: p, "plain MLP (ReLU by default; tanh, GELU, SiLU), the baseline"),
}


def option_defaults(name: str) -> dict:
    """The option defaults of network ``name`` that a model file records: strings and whole numbers.

    A fitted model records them (``INRModel.network_options_``), so that a model file keeps
    building the network it was fitted with after a default changes.

    Parameters
    ----------
    name : str
        One of :data:`NETWORKS`.

    Returns
    -------
    dict
        Option name -> its default, for the options whose default is a string (variants,
        activations, kernels) or a whole number (sizes of inner networks, ranks), except
        those the estimator sets itself (:data:`SET_BY_THE_ESTIMATOR`).

    Examples
    --------
    >>> option_defaults("nif")
    {'param_width': 64, 'param_depth': 2, 'rank': 256, 'variant': 'last_layer', 'time_net': 'siren', 'init': 'siren'}
    """
    cls = NETWORKS[name][0]
    return {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()
            if p.name not in SET_BY_THE_ESTIMATOR and isinstance(p.default, (str, int))
            and not isinstance(p.default, bool)}


def size_defaults(name: str) -> dict:
    """The default hidden ``width`` and ``depth`` of network ``name``, which a model file records.

    A fitted model records them (``INRModel.network_size_``), so that a model file fitted with
    ``width`` or ``depth`` unset keeps building its own network after a default changes.

    Parameters
    ----------
    name : str
        One of :data:`NETWORKS`.

    Returns
    -------
    dict
        ``{"width": int, "depth": int}``: units per hidden layer and hidden layers.

    Examples
    --------
    >>> size_defaults("siren"), size_defaults("mlp")
    ({'width': 256, 'depth': 3}, {'width': 256, 'depth': 5})
    """
    _, width, depth, *_ = NETWORKS[name]
    return {"width": width, "depth": depth}


#: options a network receives from the estimator (sizes, frequencies, seeds), never from a model file's defaults
SET_BY_THE_ESTIMATOR = ("in_features", "out_features", "time_features", "width", "depth", "seed")


def _check_names(name: str, params) -> None:
    """A ValueError naming the options of network ``name`` that it does not take."""
    cls = NETWORKS[name][0]
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "in_features", "out_features")]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"model={name!r} does not take option(s) {unknown}; its options are {accepted}.")


def check_options(name: str, options, width=None, depth=None) -> None:
    """Refuse network options that network ``name`` would refuse, by building a one-layer network with them (a few
    milliseconds): before any data is read, not after a pass over a large store (a review).

    Examples
    --------
    >>> check_options("mlp", {"activation": "nope"})
    Traceback (most recent call last):
    ...
    ValueError: model_options={'activation': 'nope'} for model='mlp': Unknown activation 'nope'; choose one of ['gelu', 'relu', 'silu', 'tanh'].
    """
    if not options:
        return
    _check_names(name, options)
    needs_time = NETWORKS[name][3]
    try:
        with torch.random.fork_rng(devices=[]):  # (the caller's random stream untouched: a review)
            build_network(name, 4, 1, time_features=1 if needs_time else 0, bandwidth=10.0,
                          width=min(int(width or NETWORKS[name][1]), 1024),
                          depth=min(int(depth or NETWORKS[name][2]), 8), **options)
    except (ValueError, TypeError) as err:
        raise ValueError(f"model_options={options} for model={name!r}: {err}") from None


def build_network(
    name: str,
    in_features: int,
    out_features: int,
    time_features: int = 0,
    bandwidth: float = 240.0,
    width: int | None = None,
    depth: int | None = None,
    **params,
) -> nn.Module:
    """Instantiate the network called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`NETWORKS`.
    in_features, out_features : int
    time_features : int
        Trailing input columns that encode time (needed by ``modulated_siren`` and ``nif``).
    bandwidth : float
        Radians per encoded unit of the shortest wavelength to represent.
    width, depth : int, optional
        Hidden width and number of hidden layers (per-model defaults).
    **params
        Model options (``w0``, ``kernel``, ``variant``, ``modulation``, ``init="tuner"``, ...).

    Examples
    --------
    >>> import torch
    >>> build_network("siren", 3, 1, width=8, depth=1)(torch.zeros(2, 3)).shape
    torch.Size([2, 1])
    >>> build_network("nif", 4, 1, time_features=1, width=8, rank=4)(torch.zeros(2, 4)).shape
    torch.Size([2, 1])
    >>> build_network("siren", 3, 1, bandwidth=20.0, width=8, init="tuner").bandlimit  # w0 = bandwidth / 8
    2.5
    """
    if name not in NETWORKS:
        raise ValueError(f"Unknown model {name!r}. Available models: {', '.join(NETWORKS)}.")
    cls, dwidth, ddepth, needs_time, freq_rule, _ = NETWORKS[name]
    if needs_time and time_features < 1:
        raise ValueError(
            f"model={name!r} conditions a network of space on time, but the data has no time "
            f"coordinate. Use model='siren' (or another model) for a purely spatial field."
        )
    _check_names(name, params)
    params = freq_rule(dict(params), bandwidth)
    return cls(
        in_features,
        out_features,
        width=dwidth if width is None else int(width),
        depth=ddepth if depth is None else int(depth),
        time_features=time_features,
        **params,
    )
