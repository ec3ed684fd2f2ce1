"""``OptimalInterpolation(broad=)``: a covariance of two Gaussians, the mesoscale's and one ``broad`` times longer."""
import numpy as np
import pytest

from geoinr import baselines

KM = baselines.KM_PER_DEGREE


def test_broad_covariance_is_the_sum_of_two_gaussians():
    """One tile near the equator (its tangent plane as good as exact there), about one mean: simple kriging with the
    two-scale covariance, written out, gives the map and its error."""
    rng = np.random.default_rng(5)
    n = 150
    lon, lat = rng.uniform(0.0, 4.0, n), rng.uniform(-2.0, 2.0, n)
    values = 0.3 * np.sin(0.8 * lon) + 0.05 * np.cos(4.0 * lat) + 0.01 * rng.standard_normal(n)
    s2, share, k, lx, ly, noise = 0.02, 0.3, 2.5, 70.0, 50.0, 0.05
    oi = baselines.OptimalInterpolation(lx=lx, ly=ly, lt=None, noise=noise, signal_variance=s2, mean="global",
                                        broad=k, broad_share=share, superobs=None, tile=100.0, halo=100.0,
                                        progress=False).fit({"lon": lon, "lat": lat, "h": values}, "h")
    target_lon, target_lat = np.array([0.5, 2.0, 3.9, 5.5]), np.array([0.0, 1.0, -1.9, 0.5])

    def cov(xa, ya, xb, yb):
        d2 = ((xa[:, None] - xb[None]) / lx) ** 2 + ((ya[:, None] - yb[None]) / ly) ** 2
        return (1 - share) * s2 * np.exp(-d2) + share * s2 * np.exp(-d2 / k**2)

    xo, yo, xt, yt = lon * KM, lat * KM, target_lon * KM, target_lat * KM
    system = cov(xo, yo, xo, yo) + noise * s2 * np.eye(n)
    cto = cov(xt, yt, xo, yo)
    anomaly = values - values.mean()
    expected = values.mean() + cto @ np.linalg.solve(system, anomaly)
    variance = s2 - np.einsum("ij,ji->i", cto, np.linalg.solve(system, cto.T))
    mean, std = oi.predict({"lon": target_lon, "lat": target_lat}, return_std=True)
    np.testing.assert_allclose(mean, expected, atol=1e-4)
    np.testing.assert_allclose(std, np.sqrt(variance), rtol=2e-3)
    assert "broad Gaussian 2.5 times longer" in oi._source_note()


def test_broad_covariance_carries_a_large_scale_slope_across_a_gap():
    """A sea surface sloping by 1 m over 20 deg of longitude, with a small mesoscale ripple, observed on both sides of
    a gap 256 km wide (4.3 lx). With one scale the map relaxes towards its mean inside the gap (one mean: the global
    one; each tile's mean: the level of the nearest side, stepping where the side changes); the broad covariance
    carries the slope across."""
    rng = np.random.default_rng(0)
    lon = rng.uniform(0.0, 20.0, 3000)
    lat = rng.uniform(-3.0, 3.0, 3000)
    keep = np.abs(lon - 10.0) > 1.15
    lon, lat = lon[keep], lat[keep]

    def truth(x, y):
        return 0.05 * x + 0.01 * np.sin(np.radians(x) * 90.0) * np.cos(np.radians(y) * 70.0)

    values = truth(lon, lat) + 0.005 * rng.standard_normal(lon.size)
    gap_lon = np.linspace(9.0, 11.0, 21)
    target = {"lon": gap_lon, "lat": np.zeros_like(gap_lon)}
    errors = {}
    for mean in ("global", "local"):
        for broad in (None, 2.0):
            oi = baselines.OptimalInterpolation(lx=60.0, ly=60.0, lt=None, mean=mean, broad=broad,
                                                progress=False).fit({"lon": lon, "lat": lat, "h": values}, "h")
            errors[mean, broad] = np.sqrt(np.mean((oi.predict(target) - truth(gap_lon, 0.0)) ** 2))
    assert errors["global", 2.0] < 0.5 * errors["global", None]  # 0.0014 against 0.0064 m
    assert errors["local", 2.0] < 0.9 * errors["local", None]  # 0.018 against 0.023 m (the steps remain)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"broad": 0.0}, ValueError, "broad is the length"),
    ({"broad": 0.5}, ValueError, "a number above 1"),
    ({"broad": float("inf")}, ValueError, "broad is the length"),
    ({"broad": "2"}, TypeError, "broad must be a number"),
    ({"broad": 2.0, "broad_share": 1.0}, ValueError, "strictly between 0 and 1"),
    ({"broad": 2.0, "broad_share": 0.0}, ValueError, "strictly between 0 and 1"),
])
def test_broad_is_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        baselines.OptimalInterpolation(**kwargs).fit({"lon": [0.0, 1.0], "lat": [0.0, 1.0], "h": [0.0, 1.0]}, "h")
