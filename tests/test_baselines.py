"""geoinr.baselines: tiled optimal interpolation and the linear floor (numpy/scipy only, seconds)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import baselines
from geoinr.coords import regular_grid

KM = baselines.KM_PER_DEGREE
T0 = np.datetime64("2021-03-01", "ns")


def smooth(lon, lat, t):
    """Mesoscale-like analytic field (m): wavelengths 700-1200 km, a 40-day period, mean 0.3 m."""
    x = (np.asarray(lon) - 5.0) * KM * np.cos(np.radians(35.0))
    y = (np.asarray(lat) - 35.0) * KM
    t = np.asarray(t, float)
    return (
        0.3
        + 0.1 * np.sin(2 * np.pi * x / 900.0 + 0.3) * np.cos(2 * np.pi * y / 700.0)
        + 0.05 * np.cos(2 * np.pi * (x + y) / 1200.0 - 2 * np.pi * t / 40.0)
    )


def days(t):
    return T0 + (np.asarray(t, float) * 86400e9).astype("timedelta64[ns]")


def tracks_like(n=1500, seed=0, region=(0.0, 10.0, 30.0, 40.0), span=10.0, noise=0.0):
    """Scattered observations in the CMEMS along-track layout: dim 'time', coords latitude/longitude."""
    rng = np.random.default_rng(seed)
    w, e, s, nn = region
    lon, lat = rng.uniform(w, e, n), rng.uniform(s, nn, n)
    t = np.sort(rng.uniform(0, span, n))
    sla = smooth(lon, lat, t) + noise * rng.standard_normal(n)
    return xr.Dataset(
        {"sla": ("time", sla, {"units": "m", "long_name": "sea level anomaly", "standard_name": "sea_surface_height_above_sea_level"})},
        coords={"time": days(t), "latitude": ("time", lat), "longitude": ("time", lon)},
    )


def grid_points(region, step, times):
    g = regular_grid(region, step, times=np.asarray(times, float))
    tt, la, lo = np.meshgrid(g.time.values, g.lat.values, g.lon.values, indexing="ij")
    return lo, la, tt


# ----------------------------------------------------------------------------- optimal interpolation
def test_oi_reproduces_smooth_field_from_dense_noiseless_samples():
    """1500 noiseless samples of a smooth field: the map matches it to < 1 % of its std inside the box."""
    obs = tracks_like()
    oi = baselines.OptimalInterpolation(lx=150.0, ly=150.0, lt=10.0, noise=1e-4).fit(obs, "sla")
    lo, la, tt = grid_points((1, 9, 31, 39), 0.5, [3.0, 5.0, 7.0])
    target = {"lon": lo, "lat": la, "time": days(tt)}
    mapped = oi.predict(target)
    truth = smooth(lo, la, tt)
    assert mapped.shape == lo.shape and np.isfinite(mapped).all()
    assert np.sqrt(np.mean((mapped - truth) ** 2)) < 0.01 * truth.std()


def test_oi_returns_the_observation_where_noise_is_tiny():
    rng = np.random.default_rng(3)
    lon, lat, t = rng.uniform(0, 10, 200), rng.uniform(30, 40, 200), rng.uniform(0, 10, 200)
    vals = rng.normal(0.0, 0.1, 200)  # rough data: only an exact interpolant returns them
    obs = {"lon": lon, "lat": lat, "time": t, "h": vals}
    oi = baselines.OptimalInterpolation(noise=1e-9, superobs=None).fit(obs, "h")
    got, err = oi.predict({"lon": lon[:20], "lat": lat[:20], "time": t[:20]}, return_std=True)
    np.testing.assert_allclose(got, vals[:20], atol=1e-4 * vals.std())
    assert (err < 1e-3 * np.sqrt(oi.signal_variance_)).all()


def test_oi_formal_error_small_near_data_and_signal_std_far_away():
    obs = tracks_like(n=800, noise=0.005)
    oi = baselines.OptimalInterpolation(noise=0.01, mean="global").fit(obs, "sla")  # the prior: one mean
    sigma = np.sqrt(oi.signal_variance_)
    assert oi.signal_variance_ == pytest.approx(np.var(obs.sla.values) / 1.01)
    near = oi.predict(obs.isel(time=slice(0, 800, 40)), return_std=True)[1]
    assert (near < 0.3 * sigma).all()
    # far in space (20 degrees north) and far in time (a year later): prior mean and prior std
    far = {"lon": [5.0, 5.0], "lat": [60.0, 35.0], "time": [days(5.0), days(365.0)]}
    mean, std = oi.predict(far, return_std=True)
    np.testing.assert_allclose(std, sigma, rtol=1e-6)
    np.testing.assert_allclose(mean, oi.mean_, atol=1e-6 * sigma)
    assert oi.mean_ == pytest.approx(obs.sla.values.mean())
    # about each tile's mean (the default), the error far away adds the uncertainty of the mean there
    local = baselines.OptimalInterpolation(noise=0.01).fit(obs, "sla")
    assert (local.predict(far, return_std=True)[1] > sigma).all()


def test_oi_covariance_is_gaussian_in_km_and_days():
    """One observation alone: the map around it is its value times exp(-(dx/lx)^2 - (dy/ly)^2 - (dt/lt)^2).

    dx is measured in km along the parallel (cos(latitude) shrinks a degree of longitude at 60N to half).
    """
    # mean 0, far apart (in time too: a record of one instant is a spatial map at every date since 2026-12-07)
    obs = {"lon": [10.0, -150.0], "lat": [60.0, -60.0], "time": [0.0, 100.0], "h": [1.0, -1.0]}
    oi = baselines.OptimalInterpolation(lx=100.0, ly=50.0, lt=5.0, noise=1e-6, signal_variance=1.0, mean="global").fit(obs, "h")
    east = 100.0 / (KM * np.cos(np.radians(60.0)))  # degrees of longitude for 100 km at 60N
    for lon, lat, t, expected in [
        (10.0 + east, 60.0, 0.0, np.exp(-1.0)),
        (10.0, 60.0 + 50.0 / KM, 0.0, np.exp(-1.0)),
        (10.0, 60.0, 5.0, np.exp(-1.0)),
        # dx in the tangent plane of the tile (here centred on the target): 50 km * cos(lat) / cos(60)
        (10.0 + east / 2, 60.0 - 25.0 / KM, -2.5, np.exp(-((50.0 * np.cos(np.radians(60.0 - 25.0 / KM)) / 0.5 / 100.0) ** 2) - 0.5)),
    ]:
        got = oi.predict({"lon": [lon], "lat": [lat], "time": [t]})
        np.testing.assert_allclose(got, expected, rtol=1e-4)


@pytest.mark.parametrize("overlap", [0.0, 0.25])
def test_oi_tiled_solution_matches_single_tile(overlap, monkeypatch):
    """Small problem at the equator (one tangent plane is exact there): many tiles ~ one tile."""
    rng = np.random.default_rng(0)
    n = 600
    lon, lat, t = rng.uniform(0, 6, n), rng.uniform(-3, 3, n), rng.uniform(0, 10, n)
    obs = {"lon": lon, "lat": lat, "time": t, "h": smooth(lon, lat + 35.0, t) + 0.01 * rng.standard_normal(n)}
    lo, la, tt = grid_points((0, 6, -3, 3), 0.2, [0.0, 4.0, 8.0])
    target = {"lon": lo, "lat": la, "time": tt}
    calls = []
    solve = baselines.OptimalInterpolation._solve_tile
    monkeypatch.setattr(baselines.OptimalInterpolation, "_solve_tile", lambda self, *a: calls.append(1) or solve(self, *a))

    # simple kriging: with a local mean each tile estimates its own, which a single tile cannot match
    one = baselines.OptimalInterpolation(superobs=None, tile=100.0, halo=100.0, max_obs=10_000, mean="global").fit(obs, "h")
    ref_mean, ref_std = one.predict(target, return_std=True)
    assert len(calls) == 1
    calls.clear()
    tiled = baselines.OptimalInterpolation(superobs=None, tile=0.5, halo=2.5, overlap=overlap, mean="global").fit(obs, "h")
    mean, std = tiled.predict(target, return_std=True)
    assert len(calls) > 50
    sigma = np.sqrt(one.signal_variance_)
    assert np.sqrt(np.mean((mean - ref_mean) ** 2)) < 0.01 * sigma
    assert np.abs(mean - ref_mean).max() < 0.05 * sigma
    assert np.abs(std - ref_std).max() < 0.002 * sigma


def test_oi_blended_tiles_leave_no_seams():
    """Hard tiles leave steps where they meet; blended ones differ from the untiled map only smoothly."""
    rng = np.random.default_rng(0)
    n = 600
    lon, lat, t = rng.uniform(0, 6, n), rng.uniform(-3, 3, n), rng.uniform(0, 10, n)
    obs = {"lon": lon, "lat": lat, "time": t, "h": smooth(lon, lat + 35.0, t) + 0.01 * rng.standard_normal(n)}
    lo, la, tt = grid_points((0, 6, -3, 3), 0.1, [0.0, 5.0, 10.0])
    target = {"lon": lo, "lat": la, "time": tt}
    untiled = baselines.OptimalInterpolation(superobs=None, tile=100.0, halo=100.0).fit(obs, "h")
    reference = untiled.predict(target)
    sigma = np.sqrt(untiled.signal_variance_)

    def kinks(**kw):
        """Largest second difference along longitude of the tiled map's departure from the untiled one."""
        departure = baselines.OptimalInterpolation(superobs=None, **kw).fit(obs, "h").predict(target) - reference
        return np.abs(np.diff(departure, 2, axis=-1)).max() / sigma

    assert kinks() < 0.01  # default overlap=0.25
    assert kinks(overlap=0.0) > 0.03  # the test sees seams when there are some


def test_oi_superobservations_equal_full_oi_for_coincident_observations():
    """n observations at one place with error variance R = one at their mean with R / n."""
    lon, lat = np.meshgrid(np.arange(0.0, 6.0, 1.0), np.arange(30.0, 36.0, 1.0))
    lon, lat = np.repeat(lon.ravel(), 3), np.repeat(lat.ravel(), 3)
    t = np.tile([0.0, 0.0, 0.0], lon.size // 3) + np.repeat(np.arange(lon.size // 3) % 4 * 3.0, 3)
    vals = np.random.default_rng(1).normal(0.0, 0.1, lon.size)
    obs = {"lon": lon, "lat": lat, "time": t, "h": vals}
    target = {"lon": [0.5, 2.2, 4.9], "lat": [30.5, 33.1, 35.0], "time": [1.0, 5.0, 8.0]}
    # one mean: mean="local" takes at least MEAN_MIN_OBS observations per tile, which counts a superobservation as one
    kw = {"lx": 150.0, "ly": 150.0, "noise": 0.1, "mean": "global"}
    raw = baselines.OptimalInterpolation(superobs=None, **kw).fit(obs, "h")
    sup = baselines.OptimalInterpolation(superobs=0.25, **kw).fit(obs, "h")
    assert sup.n_superobs_ == lon.size // 3 and raw.n_superobs_ == lon.size
    for a, b in zip(raw.predict(target, return_std=True), sup.predict(target, return_std=True)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_oi_output_keeps_target_dims_coords_names_and_attrs():
    """Non-standard names, lat-first order: the map is on the target's dims, with the variable's metadata."""
    obs = tracks_like(n=600)
    oi = baselines.OptimalInterpolation(lx=120.0, ly=90.0, lt=7.0, noise=0.02).fit(obs, "sla")
    g = regular_grid((0, 10, 30, 40), 1.0, times=days([2.0, 4.0]), lat_name="latitude", lon_name="longitude")
    g = g.transpose("latitude", "longitude", "time", ...)  # ...: the cell bounds' dimension
    g = g.assign(mask=(("latitude", "longitude", "time"), np.zeros((10, 10, 2))))
    maps, err = oi.predict(g, return_std=True)
    assert maps.dims == ("latitude", "longitude", "time") == err.dims
    for name in ("latitude", "longitude", "time"):
        np.testing.assert_array_equal(maps[name].values, g[name].values)
    assert maps.name == "sla" and err.name == "sla_std"
    assert maps.attrs["units"] == "m" == err.attrs["units"]
    assert maps.attrs["long_name"] == "sea level anomaly"
    assert maps.attrs["standard_name"] == "sea_surface_height_above_sea_level"
    assert err.attrs["standard_name"] == "sea_surface_height_above_sea_level standard_error"  # CF modifier
    assert "standard deviation" in err.attrs["long_name"]
    src = maps.attrs["source"]
    assert "optimal interpolation" in src and "Lx=120 km" in src and "Ly=90 km" in src and "Lt=7 days" in src
    assert "noise=0.02" in src and "600 observations" in src
    assert "OptimalInterpolation.predict" in maps.attrs["history"]
    # the same map with standard names and time-first order
    plain = oi.predict(regular_grid((0, 10, 30, 40), 1.0, times=days([2.0, 4.0])))
    np.testing.assert_allclose(plain.transpose("lat", "lon", "time").values, maps.values, rtol=1e-10)


def test_oi_predicts_on_scattered_tracks_and_curvilinear_grids():
    obs = tracks_like(n=600, noise=0.01)
    oi = baselines.OptimalInterpolation().fit(obs, "sla")
    on_tracks = oi.predict(obs)
    assert on_tracks.dims == ("time",) and on_tracks.shape == obs.sla.shape
    assert set(on_tracks.coords) >= {"time", "latitude", "longitude"}
    assert np.sqrt(np.mean((on_tracks - obs.sla) ** 2)) < 0.3 * float(obs.sla.std())
    yy, xx = np.mgrid[0:4, 0:5]
    curvi = xr.Dataset(
        coords={"nav_lat": (("y", "x"), 32.0 + yy + 0.1 * xx), "nav_lon": (("y", "x"), 2.0 + xx - 0.1 * yy), "time": days([3.0])}
    )
    out = oi.predict(curvi)
    assert out.dims == ("time", "y", "x") and np.isfinite(out).all()


def test_oi_spatial_only_and_lt_none():
    obs = tracks_like(n=500)
    grid2d = regular_grid((0, 10, 30, 40), 1.0)  # no time at all
    oi = baselines.OptimalInterpolation(lt=None, noise=0.01).fit(obs, "sla")
    assert oi.time_axis_ is None and "Lt" not in oi.predict(grid2d).attrs["source"]
    assert oi.predict(grid2d).dims == ("lat", "lon")
    spatial = obs.drop_vars("time").rename(time="obs")  # no time coordinate: a spatial map even with lt set
    m = baselines.OptimalInterpolation().fit(spatial, "sla")
    assert m.time_axis_ is None and np.isfinite(m.predict(grid2d)).all()


def test_oi_on_qg_tracks_beats_the_linear_floor():
    """The sampled QG-like analytic field: OI maps it better than the linear interpolator."""
    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0, noise=0.01)
    truth = geoinr.datasets.synthetic_grid(days=10, resolution=0.25, seed=0).sla_true.isel(time=[3, 5, 7])
    target = truth.to_dataset(name="x").drop_vars("x")
    oi = baselines.OptimalInterpolation().fit(tracks, "sla").predict(target)
    lin = baselines.LinearInterpolator(fill="nearest").fit(tracks, "sla").predict(target)
    rmse_oi = geoinr.metrics.rmse(oi, truth)
    rmse_lin = geoinr.metrics.rmse(lin, truth)
    assert rmse_oi < 0.9 * rmse_lin
    assert rmse_oi < 0.5 * float(truth.std())


# ----------------------------------------------------------------------------- linear interpolator
def test_linear_interpolator_exact_on_a_plane():
    rng = np.random.default_rng(2)
    n = 400
    lon, lat, t = rng.uniform(-5, 5, n), rng.uniform(40, 50, n), rng.uniform(0, 10, n)
    plane = lambda lo, la: 0.2 + 0.03 * lo - 0.05 * la
    obs = {"lon": lon, "lat": lat, "time": days(t), "h": plane(lon, lat)}
    lo, la, tt = grid_points((-4, 4, 41, 49), 0.5, [3.0, 5.0, 7.0])
    got = baselines.LinearInterpolator(window=4.0).fit(obs, "h").predict({"lon": lo, "lat": la, "time": days(tt)})
    inside = np.isfinite(got)
    assert inside.mean() > 0.9
    np.testing.assert_allclose(got[inside], plane(lo, la)[inside], atol=1e-12)
    outside = {"lon": [20.0], "lat": [45.0], "time": [days(5.0)]}
    assert np.isnan(baselines.LinearInterpolator().fit(obs, "h").predict(outside)).all()
    filled = baselines.LinearInterpolator(fill="nearest").fit(obs, "h").predict(outside)
    assert np.isfinite(filled).all()


def test_linear_interpolator_uses_only_the_time_window():
    rng = np.random.default_rng(4)
    n = 600
    lon, lat, t = rng.uniform(0, 10, n), rng.uniform(30, 40, n), rng.uniform(0, 10, n)
    obs = {"lon": lon, "lat": lat, "time": days(t), "h": np.where(t < 5.0, 1.0, 2.0)}
    lin = baselines.LinearInterpolator(window=3.0, fill="nearest").fit(obs, "h")
    got = lin.predict({"lon": [5.0, 5.0], "lat": [35.0, 35.0], "time": days([2.0, 8.0])})
    np.testing.assert_array_equal(got, [1.0, 2.0])


def test_linear_interpolator_output_format():
    obs = tracks_like(n=800)
    lin = baselines.LinearInterpolator().fit(obs, "sla")
    g = regular_grid((0, 10, 30, 40), 1.0, times=days([5.0]), lat_name="latitude", lon_name="longitude")
    g = g.assign(mask=(("latitude", "time", "longitude"), np.zeros((10, 1, 10))))
    out = lin.predict(g)
    assert out.dims == ("latitude", "time", "longitude") and out.name == "sla"
    assert out.attrs["units"] == "m" and "linear interpolation" in out.attrs["source"]
    assert "+-2.5 days" in out.attrs["source"] and "LinearInterpolator.predict" in out.attrs["history"]
    assert lin.predict(obs).dims == ("time",)


# ----------------------------------------------------------------------------- errors
def test_clear_errors():
    obs = tracks_like(n=300)
    grid = regular_grid((0, 10, 30, 40), 1.0, times=days([1.0]))
    for cls in (baselines.OptimalInterpolation, baselines.LinearInterpolator):
        with pytest.raises(RuntimeError, match=r"not fitted yet; call fit"):
            cls().predict(grid)
        with pytest.raises(ValueError, match=r"Variable 'ssh' is not in this Dataset. Data variables: \['sla'\]"):
            cls().fit(obs, "ssh")
        with pytest.raises(ValueError, match=r"(?s)fitted with a time coordinate but none was found.*expand_dims"):
            cls().fit(obs, "sla").predict(regular_grid((0, 10, 30, 40), 1.0))
        with pytest.raises(ValueError, match=r"target dict needs a 'time' key"):
            cls().fit(obs, "sla").predict({"lon": [1.0], "lat": [31.0]})
    two = obs.assign(other=obs.sla * 2)
    with pytest.raises(ValueError, match=r"several data variables \['sla', 'other'\]; say which one"):
        baselines.OptimalInterpolation().fit(two)
    with pytest.raises(ValueError, match=r"No finite values of 'sla' to map"):
        baselines.OptimalInterpolation().fit(obs.assign(sla=obs.sla * np.nan), "sla")
    with pytest.raises(ValueError, match=r"lx must be a positive number of km"):
        baselines.OptimalInterpolation(lx=-1.0).fit(obs, "sla")
    with pytest.raises(ValueError, match=r"noise is the observation error variance as a fraction"):
        baselines.OptimalInterpolation(noise=-0.1).fit(obs, "sla")
    with pytest.raises(ValueError, match=r"fill must be None .* or 'nearest'"):
        baselines.LinearInterpolator(fill="linear").fit(obs, "sla")
    with pytest.raises(TypeError, match=r"one variable at a time"):
        baselines.OptimalInterpolation().fit(obs, ["sla", "sla"])
    dated = baselines.OptimalInterpolation().fit(obs, "sla")
    with pytest.raises(TypeError, match=r"fitted with dates"):
        dated.predict({"lon": [1.0], "lat": [31.0], "time": [3.0]})


def test_repr_and_params():
    oi = baselines.OptimalInterpolation(lx=80.0, noise=0.1)
    assert repr(oi) == "OptimalInterpolation(lx=80.0, noise=0.1)"
    assert oi.get_params()["lt"] == 10.0
    oi.fit(tracks_like(n=100), "sla")
    assert repr(oi).endswith("# fitted: sla on 100 observations")


def test_baselines_module_never_imports_torch():
    """baselines.py (with coords) loads and maps without torch: the geoinr package __init__ is bypassed."""
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('geoinr'); pkg.__path__ = ['geoinr']; sys.modules['geoinr'] = pkg\n"
        "import numpy as np\n"
        "from geoinr import baselines\n"
        "obs = {'lon': np.arange(5.0), 'lat': np.arange(5.0) % 2, 'h': np.arange(5.0)}\n"
        "baselines.OptimalInterpolation(lt=None).fit(obs, 'h').predict({'lon': [1.0], 'lat': [0.5]})\n"
        "baselines.LinearInterpolator(window=None).fit(obs, 'h').predict({'lon': [1.0], 'lat': [0.5]})\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_a_tile_with_more_observations_inside_than_max_obs_keeps_them_spread_out():
    """All observations inside a tile are at distance 0 from it: the kept ones are an even subsample, not an
    arbitrary set (a review of 2026-12-05); outside the tile the nearest are kept, as before."""
    from geoinr.baselines import _nearest_to_box

    x = np.linspace(-0.99, 0.99, 1000)
    uo = np.column_stack([x, np.zeros_like(x)])
    keep = _nearest_to_box(uo, np.array([1.0, 1.0]), 100)
    assert keep.size == 100 and np.all(np.diff(keep) > 0)
    assert uo[keep, 0].min() < -0.97 and uo[keep, 0].max() > 0.97  # both edges of the tile keep data
    assert np.diff(uo[keep, 0]).max() < 2.5 * 1.98 / 99
    outside = np.column_stack([np.linspace(0.5, 5.0, 50), np.zeros(50)])  # 11 inside, the rest beyond x = 1
    assert _nearest_to_box(outside, np.array([1.0, 1.0]), 20).tolist() == list(range(20))
