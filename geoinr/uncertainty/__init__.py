"""Predictive uncertainty: Bayesian last layer and calibration of predictive variances.

Torch only, no xarray. Two ways are offered by :class:`geoinr.INRModel`
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

from .bayes import BayesianLastLayer, output_layer, penultimate_features
from .calibration import DataDistance, calibrate, calibrate_gap, correlation_length, gap_fraction, noise_variance

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
