"""Scores of a reconstruction against a reference: RMSE and the normalized score mu."""
from __future__ import annotations

import numpy as np

__all__ = ["rmse", "nrmse_score"]


def _pair(estimate, reference):
    est = np.asarray(estimate, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if est.shape != ref.shape:
        est, ref = np.broadcast_arrays(est, ref)
    ok = np.isfinite(est) & np.isfinite(ref)
    if not ok.any():
        raise ValueError("estimate and reference have no finite values in common")
    return est[ok], ref[ok]


def rmse(estimate, reference) -> float:
    r"""Root-mean-square error over the points where both are finite.

    .. math:: \mathrm{RMSE} = \sqrt{\tfrac{1}{n}\sum_i (\hat{y}_i - y_i)^2}

    Examples
    --------
    >>> rmse([1.0, 2.0, np.nan], [1.0, 4.0, 3.0])
    1.4142135623730951
    """
    est, ref = _pair(estimate, reference)
    return float(np.sqrt(np.mean((est - ref) ** 2)))


def nrmse_score(estimate, reference) -> float:
    r"""Normalized score of the SSH mapping data challenges, :math:`\mu = 1 - \mathrm{RMSE}/\mathrm{RMS}(y)`.

    1 is a perfect map, 0 is no better than a map of zeros. RMS is taken of the
    reference itself (not of its anomaly), as in the 2020a data challenge.

    Examples
    --------
    >>> nrmse_score([1.0, 1.0], [1.0, 1.0])
    1.0
    >>> nrmse_score([0.0, 0.0], [1.0, -1.0])
    0.0
    """
    est, ref = _pair(estimate, reference)
    rms = float(np.sqrt(np.mean(ref**2)))
    if rms == 0.0:
        raise ValueError("the reference is identically zero; mu = 1 - RMSE/RMS(reference) is undefined")
    return 1.0 - float(np.sqrt(np.mean((est - ref) ** 2))) / rms
