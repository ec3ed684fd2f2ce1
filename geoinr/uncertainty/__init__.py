"""Predictive uncertainty: Bayesian last layer and calibration of predictive variances.

No xarray; the Bayesian last layer needs torch, the calibration (numpy) does not. Two ways are offered by :class:`geoinr.INRModel`
(``uncertainty=``): a deep ensemble (:class:`geoinr.nn.Ensemble`) and a Bayesian
last layer (:class:`BayesianLastLayer`, centred on the trained output weights for a fitted
field). Both variances are then calibrated on
held-out data (whole satellite passes for along-track data, scored with the weights from
before they joined the training for its last part): the network's
variance, scaled, plus a term that grows with the distance to the nearest
training observation (:class:`DataDistance`, :func:`gap_fraction`,
:func:`calibrate_gap`, fitted to whole held-out passes so that errors smaller
than the noise still show), so that the standard deviations users get are
measured, not assumed.
"""
from __future__ import annotations

from importlib import import_module as _import_module

from .calibration import DataDistance, calibrate, calibrate_gap, correlation_length, gap_fraction, noise_variance

_FROM_BAYES = ("BayesianLastLayer", "output_layer", "penultimate_features")  # torch: imported on first use


def __getattr__(name: str):
    """The Bayesian last layer's names on first use, so that the calibration (numpy) imports without torch."""
    if name in _FROM_BAYES:
        value = getattr(_import_module(".bayes", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_BAYES))

__all__ = [
    "BayesianLastLayer",
    "DataDistance",
    "calibrate",
    "calibrate_gap",
    "correlation_length",
    "gap_fraction",
    "noise_variance",
    "output_layer",
    "penultimate_features",
]
