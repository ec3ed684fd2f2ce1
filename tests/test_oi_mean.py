"""``OptimalInterpolation(mean=)``: each tile's mean by generalized least squares (ordinary kriging), or one mean."""
import numpy as np
import pytest

from geoinr import baselines

KM = baselines.KM_PER_DEGREE


def _ordinary_kriging(xo, yo, values, xt, yt, s2, noise_var, lx, ly):
    """The textbook form: weights from the system bordered by the unbiasedness constraint (a Lagrange multiplier)."""
    def cov(xa, ya, xb, yb):
        return s2 * np.exp(-((xa[:, None] - xb[None]) / lx) ** 2 - ((ya[:, None] - yb[None]) / ly) ** 2)

    n = values.size
    system = np.zeros((n + 1, n + 1))
    system[:n, :n] = cov(xo, yo, xo, yo) + noise_var * np.eye(n)
    system[:n, n] = system[n, :n] = 1.0
    right = np.vstack([cov(xo, yo, xt, yt), np.ones((1, xt.size))])
    solution = np.linalg.solve(system, right)
    weights, multiplier = solution[:n], solution[n]
    return weights.T @ values, s2 - np.einsum("ij,ij->j", weights, right[:n]) - multiplier


def test_local_mean_is_ordinary_kriging():
    """One tile at the equator (its tangent plane exact): the map and its error are ordinary kriging's."""
    rng = np.random.default_rng(3)
    n = 120
    lon, lat = rng.uniform(0.0, 3.0, n), rng.uniform(-1.5, 1.5, n)
    values = 0.4 + 0.1 * lon + 0.05 * np.sin(3.0 * lat) + 0.01 * rng.standard_normal(n)
    oi = baselines.OptimalInterpolation(lx=80.0, ly=60.0, lt=None, noise=0.05, signal_variance=0.01, superobs=None,
                                        tile=100.0, halo=100.0, progress=False).fit(
        {"lon": lon, "lat": lat, "h": values}, "h")
    target_lon, target_lat = np.array([0.5, 1.5, 2.9, 6.0]), np.array([0.0, 1.0, -1.4, 0.0])  # the last far away
    mean, std = oi.predict({"lon": target_lon, "lat": target_lat}, return_std=True)
    # near the equator a degree of longitude is KM km in any tangent plane (cos(lat) > 0.9997 here)
    expected, variance = _ordinary_kriging(lon * KM, lat * KM, values, target_lon * KM, target_lat * KM, 0.01,
                                           0.05 * 0.01, 80.0, 60.0)
    np.testing.assert_allclose(mean, expected, atol=2e-4)
    np.testing.assert_allclose(std, np.sqrt(variance), rtol=2e-3)
    assert std[-1] > np.sqrt(oi.signal_variance_)  # far away: the signal's error and the mean's own


def test_local_mean_follows_the_level_of_each_region():
    """Two seas 0.5 m above and below their mean, a gap of 150 km in each: the local mean fills it at its sea's level.

    The global-mean map pulls the gaps' centres (75 km, 1.25 lx from the data) towards the mean of both seas, 0 m.
    """
    rng = np.random.default_rng(0)
    lon = np.concatenate([rng.uniform(0.0, 4.0, 400), rng.uniform(16.0, 20.0, 400)])
    lat = rng.uniform(30.0, 34.0, 800)
    keep = ~((np.abs(lon - 2.0) < 0.8) | (np.abs(lon - 18.0) < 0.8))  # a gap in the middle of each sea, 1.6 deg (150 km) wide
    lon, lat = lon[keep], lat[keep]
    level = np.where(lon < 10.0, 0.5, -0.5)
    values = level + 0.02 * np.sin(np.radians(lon) * 40.0) + 0.005 * rng.standard_normal(lon.size)
    target = {"lon": np.array([2.0, 18.0]), "lat": np.array([32.0, 32.0])}
    errors = {}
    for mean in ("local", "global"):
        oi = baselines.OptimalInterpolation(lx=60.0, ly=60.0, lt=None, mean=mean, progress=False).fit(
            {"lon": lon, "lat": lat, "h": values}, "h")
        errors[mean] = np.abs(oi.predict(target) - np.array([0.5, -0.5]))
    assert errors["local"].max() < 0.05
    assert errors["global"].min() > 0.3
    assert "ordinary kriging" in baselines.OptimalInterpolation(lt=None).fit(
        {"lon": lon, "lat": lat, "h": values}, "h")._source_note()


def test_mean_is_checked():
    with pytest.raises(ValueError, match="mean must be one of"):
        baselines.OptimalInterpolation(mean="tile").fit({"lon": [0.0, 1.0], "lat": [0.0, 1.0], "h": [0.0, 1.0]}, "h")


def test_a_tile_with_a_lone_observation_takes_its_mean_from_the_nearest_data():
    """A lone observation 600 km from the others does not set the level of its whole tile, nor does an empty tile
    fall back to the mean of all observations: both estimate their mean from the nearest observations (at least
    MEAN_MIN_OBS of them), so the map and its error change smoothly beyond the lone observation."""
    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(0.0, 3.0, 200), 9.0]
    lat = np.r_[rng.uniform(-1.5, 1.5, 200), 0.0]
    values = np.r_[0.02 * rng.standard_normal(200), 1.0]
    oi = baselines.OptimalInterpolation(lt=None, progress=False).fit({"lon": lon, "lat": lat, "h": values}, "h")
    mean, std = oi.predict({"lon": np.array([9.0, 9.8, 10.5, 12.0]), "lat": np.zeros(4)}, return_std=True)
    assert mean[0] > 0.9  # at the observation: its value (the noise is 5 % of the signal's variance)
    assert mean[2] < 0.4 and mean[3] < 0.4  # beyond it: not its value over the whole tile (1.0 with it alone)
    sigma = np.sqrt(oi.signal_variance_)
    assert abs(std[3] - std[2]) < 0.05 * sigma  # no step to the signal's std where a tile holds no observation


@pytest.mark.parametrize("with_time", [False, True])
def test_nearest_observations_from_the_tree_are_those_of_a_full_scan(with_time):
    """Tiles far from the data take their mean from the nearest observations: candidates from a k-d tree, then the
    nearest to the tile's box among them, which is what a scan of every observation finds (checked on tiles around
    and inside a data-free region, with and without time)."""
    rng = np.random.default_rng(4)
    n = 6000
    lon, lat = rng.uniform(-30.0, 30.0, n), rng.uniform(-40.0, 40.0, n)
    keep = np.hypot(lon, lat) > 12.0  # a data-free disc
    lon, lat = lon[keep], lat[keep]
    data = {"lon": lon, "lat": lat, "h": np.sin(np.radians(lon) * 10.0)}
    if with_time:
        data["time"] = np.datetime64("2020-01-01") + rng.integers(0, 30 * 24, lon.size).astype("timedelta64[h]")
    oi = baselines.OptimalInterpolation(progress=False).fit(data, "h")
    assert oi.n_superobs_ > max(baselines.NEAREST_CANDIDATES_PER * baselines.MEAN_MIN_OBS,
                                baselines.NEAREST_CANDIDATES_MIN)  # the tree is used
    for lon0, lat0 in [(0.0, 0.0), (5.0, -6.0), (11.0, 1.0), (-9.0, 8.0)]:
        coslat = np.cos(np.radians(lat0))
        centre = (lon0, lat0, coslat) + ((float(np.median(oi.obs_time_)),) if with_time else ())
        box = np.array([0.75, 0.75] + ([0.75] if with_time else []))
        uo, idx = oi._nearest_observations(centre, box, baselines.MEAN_MIN_OBS)
        columns = [KM * coslat * (oi.obs_lon_ - lon0) / oi.lx, (oi.obs_lat_ - lat0) * KM / oi.ly]
        if with_time:
            columns.append((oi.obs_time_ - centre[3]) / oi.lt)
        full = baselines._nearest_to_box(np.column_stack(columns), box, baselines.MEAN_MIN_OBS)
        np.testing.assert_array_equal(idx, full)
        np.testing.assert_allclose(uo, np.column_stack(columns)[full])


def _holed(lx, ly, spacing=0.25, seed=0, gridded=False):
    """Observations on a 80 x 40 deg region with a data-free rectangle, a grid of targets over the hole, and an OI of
    them."""
    rng = np.random.default_rng(seed)
    lon, lat = np.meshgrid(np.arange(-40.0, 40.0, spacing), np.arange(-20.0, 20.0, spacing))
    lon, lat = lon.ravel(), lat.ravel()
    if not gridded:
        lon, lat = lon + rng.uniform(-0.1, 0.1, lon.size), lat + rng.uniform(-0.1, 0.1, lat.size)
    keep = ~((np.abs(lon) < 10.0) & (np.abs(lat) < 3.0))
    lon, lat = lon[keep], lat[keep]
    data = {"lon": lon, "lat": lat, "h": np.sin(np.radians(lon) * 8.0) + 0.5 * np.cos(np.radians(lat) * 12.0)
            + 0.3 * lat / 20.0}
    target_lon, target_lat = np.meshgrid(np.arange(-10.0, 10.0, 0.5), np.arange(-3.0, 3.0, 0.25))
    oi = baselines.OptimalInterpolation(lx=lx, ly=ly, lt=None, progress=False).fit(data, "h")
    return oi, data, {"lon": target_lon.ravel(), "lat": target_lat.ravel()}


@pytest.mark.parametrize("lx, ly, gridded", [(300.0, 60.0, False), (60.0, 300.0, False), (100.0, 100.0, True)])
def test_maps_with_the_tree_are_those_of_a_full_scan(monkeypatch, lx, ly, gridded):
    """Through predict: unequal scales (the tree's distance over the shorter one stretches the longer axis: too few
    candidates then missed nearer observations) and a regular grid (ties in distance go to the lower index)."""
    oi, _, target = _holed(lx, ly, gridded=gridded)
    with_tree = oi.predict(target)
    monkeypatch.setattr(baselines, "NEAREST_CANDIDATES_MIN", 10**9)  # every observation a candidate: a full scan
    oi._nearest = None
    np.testing.assert_array_equal(oi.predict(target), with_tree)


def test_the_tree_follows_a_refit_and_new_scales():
    """A refit on other data, or set_params changing the scales without a refit, builds the tree anew."""
    oi, _, target = _holed(100.0, 100.0)
    first = oi.predict(target)
    other, data, _ = _holed(100.0, 100.0, seed=1)
    refit = oi.fit(data, "h").predict(target)
    np.testing.assert_array_equal(refit, other.predict(target))
    assert not np.array_equal(refit, first)
    oi.set_params(superobs=None).fit(data, "h").predict(target)  # (superobservations' bins are the fit's scales':
    oi.set_params(lx=300.0, ly=60.0)  # changed with them, refused) without them the scales act at once; the tree too
    new_scales = oi.predict(target)
    oi._nearest = None
    np.testing.assert_array_equal(new_scales, oi.predict(target))
