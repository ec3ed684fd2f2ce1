"""A fit with error bars keeps the map the training chose (2026-12-05, eighth session)."""
import numpy as np
import pytest
import torch
from conftest import FAST

import geoinr
import geoinr.display
from geoinr.uncertainty import BayesianLastLayer


def test_laplace_posterior_keeps_the_given_mean_and_the_evidence_covariance():
    """With ``center`` the posterior mean is the centre; alpha and beta are the evidence's fixed point there."""
    g = torch.Generator().manual_seed(0)
    phi = torch.randn(300, 4, generator=g, dtype=torch.float64)
    y = (phi @ torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64)
         + 0.1 * torch.randn(300, generator=g, dtype=torch.float64))[:, None]
    center = torch.tensor([[0.9, -1.8, 0.6, 0.1, 0.05]], dtype=torch.float64)  # trained weights, bias last
    blr = BayesianLastLayer(4, 1).fit(phi, y, center=center)
    assert torch.equal(blr.mean_w, center)
    X = torch.cat((phi, torch.ones(300, 1, dtype=torch.float64)), 1)
    beta = 1 / blr.noise_var[0]
    prior = torch.linalg.inv(blr.sigma[0]) - beta * X.T @ X  # Sigma = (alpha I + beta X^T X)^-1
    alpha = float(prior[0, 0])
    assert torch.allclose(prior, alpha * torch.eye(5, dtype=torch.float64), atol=1e-6 * float(prior.abs().max()))
    lam = torch.linalg.eigvalsh(X.T @ X)
    gamma = float((beta * lam / (alpha + beta * lam)).sum())
    m = center[0]
    assert alpha == pytest.approx(gamma / float(m @ m), rel=1e-4)
    # the noise is that of the trained weights' residuals, not of the least-squares fit's
    assert float(1 / beta) == pytest.approx(float(((y[:, 0] - X @ m) ** 2).sum()) / (300 - gamma), rel=1e-4)
    free = BayesianLastLayer(4, 1).fit(phi, y)
    assert not torch.allclose(free.mean_w, center, atol=1e-3)  # the regression's own mean is elsewhere


def test_bayes_last_layer_predicts_the_trained_network(scattered):
    """The fitted field's mean is the trained network's output (the posterior is centred on its weights).

    Before, the mean was the evidence regression's, which on the real Gulf Stream 10 deg case put output
    weights 30 times the trained ones and a map error of 27 cm where the network's own was 10 cm.
    """
    fitted = scattered.inr.fit("sla", uncertainty="bayes_last_layer", **{**FAST, "epochs": 60})
    rng = np.random.default_rng(0)
    x = torch.from_numpy(np.column_stack([rng.uniform(-8, 8, 200), rng.uniform(37, 53, 200),
                                          rng.uniform(-1, 11, 200)]).astype(np.float32))
    with torch.no_grad():
        mean, var = fitted._standardized(x)
        own = fitted.field_(x)
    np.testing.assert_allclose(mean.numpy(), own.numpy(), rtol=1e-4, atol=1e-5)
    assert bool((var > 0).all())


@pytest.mark.parametrize("method", ["bayes_last_layer", "ensemble"])
def test_held_out_points_join_the_training_after_the_calibration_measured_them(method):
    """With error bars the held-out passes still join the training for its last part (as in every other fit):
    the calibration scores them with the weights from before they joined, and the distance term then counts
    them as data (their points lie at distance ~0). Before, they never joined: the map lost them."""
    from geoinr.geometry import space_time_km

    tracks = geoinr.datasets.synthetic_tracks(days=6, noise=0.01, seed=0)
    fitted = tracks.inr.fit("sla", uncertainty=method, n_members=3, **{**FAST, "epochs": 80})
    assert geoinr.display.summary(fitted)["joined_epoch"] is not None
    assert "before they joined the training" in fitted.calibration_["on"]
    speed = fitted.calibration_["speed_km_per_day"]
    raw = np.column_stack([tracks.longitude.values, tracks.latitude.values,
                           fitted.time_axis_.to_days(tracks.time.values)])
    near = fitted.data_distance_[0](space_time_km(raw, speed))
    cell = fitted.encoding_config_["min_wavelength"] / 20.0  # GAP_CELLS: sites thinned to cells of this side
    assert near.max() <= 2.0 * cell, near.max()  # every observation, held-out passes included, is data
    grid = geoinr.datasets.synthetic_grid(resolution=0.5, days=6, seed=0).isel(time=slice(1, 3))
    mean, std = fitted.predict(grid, return_std=True)
    assert np.isfinite(std.values).all() and bool((std > 0).all())
    assert "before they joined the training" in std.attrs["comment"]


def test_too_few_held_out_points_say_training_points_after_the_join():
    """Fewer held-out points than a calibration needs: it falls back to the training points, and the label and
    the std's comment say so (the join's suffix is for calibrations on held-out points only)."""
    import warnings

    tracks = geoinr.datasets.synthetic_tracks(days=4, sampling=20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tracks.inr.fit("sla", uncertainty="bayes_last_layer", validation=0.05,
                                **{**FAST, "width": 32, "epochs": 60})
    assert geoinr.display.summary(fitted)["joined_epoch"] is not None
    assert fitted.calibration_["on"] == "training points"
    _, std = fitted.predict(fitted.target_grid(1.0).isel(time=slice(0, 1)), return_std=True)
    assert "calibrated on the training points themselves" in std.attrs["comment"]
