"""Predictive uncertainty: Bayesian last layer and calibration of predictive variances.

Torch only, no xarray. Two ways are offered by :class:`geoinr.INRModel`
(``uncertainty=``): a deep ensemble (:class:`geoinr.nn.Ensemble`) and a Bayesian
last layer (:class:`BayesianLastLayer`). Both variances are then calibrated on
the held-out validation blocks (:func:`calibrate`), so that the standard
deviations users get are measured, not assumed.
"""
from __future__ import annotations


import numpy as np
import torch
from torch import nn

__all__ = ["BayesianLastLayer", "output_layer", "penultimate_features", "calibrate", "noise_variance"]


def output_layer(net: nn.Module) -> nn.Linear:
    """The final linear layer of a network (``head`` or the last module of ``net``)."""
    layer = getattr(net, "head", None)
    if layer is None and isinstance(getattr(net, "net", None), nn.Sequential):
        layer = net.net[-1]
    if not isinstance(layer, nn.Linear):
        raise ValueError(
            f"{type(net).__name__} has no plain output layer, so it cannot carry a Bayesian last layer; "
            f"use uncertainty='ensemble' or a model such as 'siren', 'ffn', 'mlp', 'fourier_net'."
        )
    return layer


def penultimate_features(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Inputs of the network's output layer at ``x`` (its last hidden features)."""
    layer = output_layer(net)
    captured = {}
    handle = layer.register_forward_hook(lambda mod, inp, out: captured.__setitem__("h", inp[0]))
    try:
        net(x)
    finally:
        handle.remove()
    return captured["h"]


class BayesianLastLayer(nn.Module):
    r"""Closed-form Bayesian linear regression on the last hidden features :math:`\phi(x)`.

    With a Gaussian prior :math:`w \sim N(0, \alpha^{-1} I)` and noise precision
    :math:`\beta`, the posterior of the output weights is Gaussian,

    .. math::
        \Sigma = (\alpha I + \beta \Phi^\top \Phi)^{-1},\quad m = \beta \Sigma \Phi^\top y,

    and the predictive mean and variance of the field at :math:`x` are
    :math:`m^\top \phi(x)` and :math:`\phi(x)^\top \Sigma\, \phi(x)`.
    :math:`\alpha, \beta` maximize the evidence (MacKay's fixed point). On a
    random-Fourier-feature network this is the random-feature expansion of a
    Gaussian process (Rahimi & Recht 2007; Snoek et al., "Scalable Bayesian
    Optimization Using Deep Neural Networks", ICML 2015). One fit, one linear solve.

    A bias feature (constant 1) is appended to :math:`\phi`. One posterior per output.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> phi = torch.randn(200, 5, generator=g, dtype=torch.float64)
    >>> y = phi @ torch.tensor([[1.0], [0.0], [2.0], [0.0], [-1.0]], dtype=torch.float64)
    >>> blr = BayesianLastLayer(5, 1).fit(phi, y)
    >>> blr.mean_w[0, :5].round(decimals=2).tolist()
    [1.0, 0.0, 2.0, 0.0, -1.0]
    """

    def __init__(self, n_features: int, n_outputs: int):
        super().__init__()
        p = n_features + 1
        # float64: the posterior covariance is ill-conditioned; float32 loses its positivity
        self.register_buffer("mean_w", torch.zeros(n_outputs, p, dtype=torch.float64))
        self.register_buffer("sigma", torch.zeros(n_outputs, p, p, dtype=torch.float64))
        self.register_buffer("noise_var", torch.ones(n_outputs, dtype=torch.float64))

    @staticmethod
    def _design(phi):
        return torch.cat((phi, torch.ones_like(phi[:, :1])), dim=1)

    @torch.no_grad()
    def fit(self, phi: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None, iterations: int = 100):
        """Posterior from features ``phi`` (n, p) and targets ``y`` (n, k); ``mask`` marks observed y."""
        X = self._design(phi.double())
        Y = y.double()
        for j in range(Y.shape[1]):
            keep = mask[:, j] > 0 if mask is not None else torch.ones(len(Y), dtype=torch.bool, device=Y.device)
            Xj, yj = X[keep], Y[keep, j]
            n = Xj.shape[0]
            evals, evecs = torch.linalg.eigh(Xj.T @ Xj)
            evals = evals.clamp_min(0)
            Xty = Xj.T @ yj
            alpha, beta = 1.0, 1.0 / max(float(yj.var()), 1e-12)
            for _ in range(iterations):
                m = evecs @ ((evecs.T @ Xty) * beta / (alpha + beta * evals))
                gamma = float((beta * evals / (alpha + beta * evals)).sum())
                alpha_new = gamma / max(float(m @ m), 1e-12)
                resid = float(((yj - Xj @ m) ** 2).sum())
                beta_new = max(n - gamma, 1e-6) / max(resid, 1e-12)
                done = abs(alpha_new - alpha) <= 1e-6 * alpha and abs(beta_new - beta) <= 1e-6 * beta
                alpha, beta = alpha_new, beta_new
                if done:
                    break
            sigma = evecs @ torch.diag(1.0 / (alpha + beta * evals)) @ evecs.T
            self.sigma[j] = sigma.to(self.sigma.dtype)
            self.mean_w[j] = (beta * sigma @ Xty).to(self.mean_w.dtype)
            self.noise_var[j] = 1.0 / beta
        return self

    def forward(self, phi: torch.Tensor):
        """Predictive mean (n, k) and field variance (n, k) at features ``phi``."""
        X = self._design(phi).to(self.mean_w.dtype)
        mean = X @ self.mean_w.T
        var = torch.einsum("np,kpq,nq->nk", X, self.sigma, X)
        return mean, var.clamp_min(0)

    def sample_weights(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` posterior draws of the output weights, shape (n, k, p)."""
        k, p = self.mean_w.shape
        evals, evecs = torch.linalg.eigh(self.sigma.double().cpu())
        root = evecs * evals.clamp_min(0).sqrt()[:, None, :]  # Sigma = root root^T
        z = torch.randn(n, k, p, generator=generator, dtype=torch.float64)
        draws = self.mean_w.double().cpu()[None] + torch.einsum("kpq,nkq->nkp", root, z)
        return draws.to(device=self.mean_w.device, dtype=self.mean_w.dtype)


def noise_variance(coords_km: np.ndarray, values: np.ndarray, max_distance_km: float) -> float | None:
    r"""White-noise variance from differences of near-coincident observations.

    For pairs of nearest neighbours closer than ``max_distance_km`` (space and time
    in one metric), the smooth signal cancels in :math:`y_i - y_j` and
    :math:`E[(y_i - y_j)^2] = 2 s^2`; a median (divided by 0.4549, the median of
    :math:`\chi^2_1`) keeps real gradients from leaking in. Returns None when too
    few such pairs exist (e.g. a regular grid coarser than the threshold).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.arange(5000) * 6.0, np.zeros(5000)])  # 6 km along a track
    >>> y = np.sin(x[:, 0] / 300.0) + 0.1 * rng.standard_normal(5000)
    >>> round(noise_variance(x, y, 10.0), 3)
    0.01
    """
    from scipy.spatial import cKDTree

    coords_km = np.asarray(coords_km, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 50:
        return None
    dist, idx = cKDTree(coords_km).query(coords_km, k=2)
    near = dist[:, 1] <= max_distance_km
    if near.sum() < 30:
        return None
    d2 = (values[near] - values[idx[near, 1]]) ** 2
    return float(np.median(d2) / 0.4549 / 2.0)


def calibrate(var: np.ndarray, resid2: np.ndarray, level: float = 0.6827, noise: float | None = None) -> tuple[float, float]:
    r"""Scale ``c`` and noise ``s^2`` so that held-out residuals :math:`r` are covered as a Gaussian would be.

    ``var`` is the model's predictive variance of the field and ``resid2`` the
    squared residuals against held-out observations, which carry measurement noise.
    First :math:`E[r^2] = c\,v + s^2` is fitted by least squares (both terms
    non-negative) to estimate the noise :math:`s^2`; then ``c`` is set so that a
    fraction ``level`` (68.27%, one standard deviation) of the held-out residuals
    satisfy :math:`|r| \le \sqrt{c\,v + s^2}`. Matching a coverage rather than a
    mean square keeps a few large errors from inflating every standard deviation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = rng.uniform(0.1, 1.0, 20000)
    >>> r2 = (rng.standard_normal(20000) * np.sqrt(4 * v + 0.25)) ** 2
    >>> c, s2 = calibrate(v, r2)
    >>> round(c, 1), round(s2, 1)
    (4.0, 0.2)
    """
    v = np.asarray(var, dtype=np.float64).ravel()
    r = np.asarray(resid2, dtype=np.float64).ravel()
    ok = np.isfinite(v) & np.isfinite(r)
    v, r = v[ok], r[ok]
    if v.size < 3 or not np.any(v > 0):
        return 1.0, float(np.mean(r)) if r.size else 0.0
    A = np.column_stack([v, np.ones_like(v)])
    (c_ls, s2), *_ = np.linalg.lstsq(A, r, rcond=None)
    if noise is not None:
        s2 = noise
    s2 = float(min(max(s2, 0.0), np.quantile(r, level)))

    def covered(c):
        return float(np.mean(r <= c * v + s2))

    lo, hi = 0.0, max(float(c_ls), 1.0)
    while covered(hi) < level and hi < 1e12:
        hi *= 4.0
    for _ in range(60):  # bisection: coverage grows with c
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if covered(mid) < level else (lo, mid)
    return float(max(hi, 1e-12)), s2
