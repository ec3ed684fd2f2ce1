"""Uncertainty: batched ensembles, Bayesian last layer, calibration, return_std and sample()."""
import numpy as np
import pytest
import torch

import geoinr
from geoinr.nn import Siren
from geoinr.nn.ensemble import Ensemble
from geoinr.uncertainty import BayesianLastLayer, calibrate, noise_variance
from conftest import FAST


def test_ensemble_vmap_equals_members_one_by_one():
    """The stacked, vmapped ensemble computes exactly what each member computes alone."""
    torch.manual_seed(0)
    members = [Siren(3, 2, width=16, depth=2, w0=3.0) for _ in range(3)]
    ens = Ensemble(members)
    x = torch.randn(7, 3)
    out = ens(x)
    for i, m in enumerate(members):
        assert torch.allclose(out[i], m(x), atol=1e-6)
    assert len(list(ens.parameters())) == len(list(members[0].parameters()))  # stacked, not copied n times


def test_bayesian_last_layer_matches_the_closed_form():
    """Posterior mean and variance equal the textbook formulas at the evidence-optimal alpha, beta."""
    g = torch.Generator().manual_seed(0)
    phi = torch.randn(300, 4, generator=g, dtype=torch.float64)
    y = (phi @ torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64) + 0.1 * torch.randn(300, generator=g, dtype=torch.float64))[:, None]
    blr = BayesianLastLayer(4, 1).fit(phi, y)
    X = torch.cat((phi, torch.ones(300, 1, dtype=torch.float64)), 1)
    beta = 1 / blr.noise_var[0]
    S = blr.sigma[0]
    m = beta * S @ X.T @ y[:, 0]
    assert torch.allclose(m, blr.mean_w[0], atol=1e-8)
    assert float(blr.noise_var[0]) == pytest.approx(0.01, rel=0.25)  # the evidence finds the noise
    xq = torch.randn(5, 4, generator=g, dtype=torch.float64)
    mean, var = blr(xq)
    Xq = torch.cat((xq, torch.ones(5, 1, dtype=torch.float64)), 1)
    assert torch.allclose(var[:, 0], torch.einsum("np,pq,nq->n", Xq, S, Xq))
    far = blr(100 * xq)[1]
    assert (far > var).all()  # uncertainty grows away from the data


def test_calibration_recovers_a_known_scale_and_noise():
    """Residuals drawn with variance 4 v + 0.25: the calibrated std covers 68% and ~95%."""
    rng = np.random.default_rng(1)
    v = rng.uniform(0.1, 1.0, 50000)
    r = rng.standard_normal(50000) * np.sqrt(4 * v + 0.25)
    c, s2 = calibrate(v, r**2)
    assert c == pytest.approx(4.0, rel=0.1) and s2 == pytest.approx(0.25, rel=0.25)
    z = np.abs(r) / np.sqrt(c * v + s2)
    assert np.mean(z <= 1) == pytest.approx(0.683, abs=0.01)
    assert np.mean(z <= 2) == pytest.approx(0.954, abs=0.015)


def test_noise_from_near_coincident_pairs():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.arange(4000) * 6.0, np.zeros(4000)])
    y = np.sin(x[:, 0] / 200.0) + 0.05 * rng.standard_normal(4000)
    assert noise_variance(x, y, 10.0) == pytest.approx(0.0025, rel=0.15)
    assert noise_variance(x * 100, y, 10.0) is None  # no near pairs: no estimate


@pytest.mark.parametrize("method", ["ensemble", "bayes_last_layer"])
def test_predict_with_std_and_sample(scattered, method, tmp_path):
    """return_std gives (mean, std) with metadata; sample() draws fields; both survive save/load."""
    fitted = scattered.inr.fit("sla", uncertainty=method, n_members=3, **{**FAST, "epochs": 60})
    grid = fitted.target_grid(1.0)
    mean, std = fitted.predict(grid, return_std=True)
    assert mean.name == "sla" and std.name == "sla_std"
    assert std.attrs["units"] == "m" and "standard deviation" in std.attrs["long_name"]
    assert bool((std > 0).all()) and np.isfinite(std).all()
    np.testing.assert_allclose(mean.values, fitted.predict(grid).values, atol=1e-6)
    draws = fitted.sample(grid, n=3, seed=0)
    assert draws.dims[0] == "sample" and draws.sizes["sample"] == 3
    assert float(draws.std("sample").mean()) > 0
    fitted.save(tmp_path / "u.geoinr")
    again = geoinr.load(tmp_path / "u.geoinr")
    m2, s2 = again.predict(grid, return_std=True)
    np.testing.assert_array_equal(std.values, s2.values)
    np.testing.assert_array_equal(again.sample(grid, n=3, seed=0).values, draws.values)


def test_std_is_larger_far_from_the_data(scattered):
    """The Bayesian last layer is less sure outside the observed box than inside it."""
    fitted = scattered.inr.fit("sla", uncertainty="bayes_last_layer", **{**FAST, "epochs": 100})
    t = np.datetime64("2021-03-05")
    _, inside = fitted.predict({"lon": [0.0], "lat": [45.0], "time": [t]}, return_std=True)
    _, outside = fitted.predict({"lon": [30.0], "lat": [45.0], "time": [t]}, return_std=True)
    assert outside[0] > 3 * inside[0]


def test_uncertainty_errors(scattered):
    plain = scattered.inr.fit("sla", **{**FAST, "epochs": 2})
    with pytest.raises(ValueError, match="return_std=True needs"):
        plain.predict(plain.target_grid(1.0), return_std=True)
    with pytest.raises(ValueError, match="sample\\(\\) needs"):
        plain.sample(plain.target_grid(1.0))
    with pytest.raises(ValueError, match="uncertainty='dropout' is not known"):
        scattered.inr.fit("sla", uncertainty="dropout", **FAST)
    with pytest.raises(ValueError, match="no plain output layer"):
        scattered.inr.fit("sla", model="nif", uncertainty="bayes_last_layer", **{**FAST, "epochs": 1})
    ens = scattered.inr.fit("sla", uncertainty="ensemble", n_members=2, **{**FAST, "epochs": 2})
    with pytest.raises(ValueError, match="has 2 members"):
        ens.sample(ens.target_grid(1.0), n=5)
