"""Targets outside the fitted region and time window: held at their nearest point by default (2026-12-06).

A coordinate network's own values beyond its data follow nothing: a one-day record of one
satellite mapped onto a box three times as wide as its passes scored worse than a map of
zeros (``benchmarks/sparse_records.py``). ``predict`` now holds the value of the nearest point
of the region and window (``outside="hold"``), masks far targets (``"nan"``) or gives the
network's own values (``"extrapolate"``); ``derive``, ``sample`` and ``score`` hold.
"""
import warnings

import numpy as np
import pytest

import geoinr
from geoinr import observations

FIT = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    return tracks.inr.fit("sla", **FIT)


def _points(model, lon, lat, t):
    n = np.broadcast(lon, lat, t).size
    return {"lon": np.broadcast_to(lon, n).astype(float), "lat": np.broadcast_to(lat, n).astype(float),
            "time": np.broadcast_to(t, n)}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the targets outside warn; that is tested below
        return fn(*args, **kwargs)


def test_outside_points_hold_the_nearest_edge_and_inside_points_do_not_change(fitted):
    west, east, south, north = fitted.region_
    t0, t1 = fitted.time_range_
    mid = fitted.time_axis_.from_days(np.array([0.5 * (t0 + t1)]))[0]
    lat_mid = 0.5 * (south + north)
    lon = np.array([west + 0.3 * (east - west), east + 4.0, west - 6.0, east])
    held = _quiet(fitted.predict, _points(fitted, lon, lat_mid, mid))
    edges = _quiet(fitted.predict, _points(fitted, np.array([west + 0.3 * (east - west), east, west, east]),
                                           lat_mid, mid), outside="extrapolate")
    np.testing.assert_array_equal(held, edges)  # beyond east and west: the edge's value; inside: as given
    far = _quiet(fitted.predict, _points(fitted, lon, lat_mid, mid), outside="extrapolate")
    assert far[0] == held[0] and far[3] == held[3]  # inside (and on the edge) the three choices agree, to the bit
    assert not np.isclose(far[1], held[1]) or not np.isclose(far[2], held[2])  # the network's own values differ
    north_of = _quiet(fitted.predict, _points(fitted, west + 1.0, north + 5.0, mid))
    on_edge = fitted.predict(_points(fitted, west + 1.0, north, mid))
    np.testing.assert_array_equal(north_of, on_edge)


def test_times_outside_the_window_hold_the_nearest_end(fitted):
    west, east, south, north = fitted.region_
    t0, t1 = fitted.time_range_
    later, last = fitted.time_axis_.from_days(np.array([t1 + 10.0, t1]))
    lon, lat = 0.5 * (west + east), 0.5 * (south + north)
    with pytest.warns(UserWarning, match="outside the fitted window.*nearest end"):
        after = fitted.predict(_points(fitted, lon, lat, later))
    np.testing.assert_array_equal(after, fitted.predict(_points(fitted, lon, lat, last)))
    assert np.isnan(_quiet(fitted.predict, _points(fitted, lon, lat, later), outside="nan")).all()


def test_nan_masks_only_beyond_the_margin_that_warns(fitted):
    west, east, south, north = fitted.region_
    t = fitted.time_axis_.from_days(np.array([0.5 * sum(fitted.time_range_)]))[0]
    grid = fitted.target_grid(0.5)  # the region's grid (its edge cells up to a step outside: held, within the margin)
    np.testing.assert_array_equal(fitted.predict(grid, outside="nan").values, fitted.predict(grid).values)
    lon = np.array([east + 0.5, east + 30.0])  # within the margin (at least 1 degree), then far
    with pytest.warns(UserWarning, match=r"1 target coordinate\(s\) lie outside.*outside='nan'"):
        out = fitted.predict(_points(fitted, lon, 0.5 * (south + north), t), outside="nan")
    assert np.isfinite(out[0]) and np.isnan(out[1])


def test_outside_must_be_one_of_the_choices(fitted):
    with pytest.raises(ValueError, match="outside='clip'.*'hold'.*'nan'.*'extrapolate'"):
        fitted.predict(fitted.target_grid(1.0), outside="clip")


def test_derive_and_score_hold_too(fitted):
    west, east, south, north = fitted.region_
    t = fitted.time_range_[0] + 1.0
    lat = 0.5 * (south + north)
    import xarray as xr

    stamp = fitted.time_axis_.from_days(np.array([t]))
    target = xr.Dataset(coords={"lon": ("p", [east + 5.0, east]), "lat": ("p", [lat, lat]),
                                "time": ("p", np.repeat(stamp, 2))})
    uv = _quiet(fitted.derive, "gradient", target)
    for name in uv.data_vars:
        assert uv[name].values[0] == uv[name].values[1]
    truth = target.assign(sla=("p", [0.1, 0.1]))
    pred = _quiet(fitted.predict, target)
    assert pred.values[0] == pred.values[1]
    score = _quiet(fitted.scores, truth)
    assert score["rmse"] == pytest.approx(float(np.sqrt(np.mean((pred.values - 0.1) ** 2))), rel=1e-5)


@pytest.fixture(scope="module")
def calibrated():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    m = tracks.inr.fit("sla", uncertainty="bayes_last_layer", **FIT)
    if m.calibration_["gap_variance"][0] is None:  # the subject is the error between observations
        pytest.skip("this fit's calibration holds no error between observations")
    return m


def test_the_error_model_is_not_held_outside(calibrated):
    """9 degrees east of the easternmost observation the map holds that observation's point's value; its standard
    deviation, the derived fields' and the draws' spread are those of the target itself: larger than there."""
    import xarray as xr

    m = calibrated
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    i = int(np.argmax(tracks.longitude.values))  # on the region's eastern edge
    lon0, lat0, t0 = float(tracks.longitude[i]), float(tracks.latitude[i]), tracks.time.values[i]
    assert lon0 == pytest.approx(m.region_[1])
    lon = np.array([lon0, lon0 + 9.0])
    mean, std = _quiet(m.predict, _points(m, lon, lat0, t0), return_std=True)
    assert mean[0] == mean[1]
    assert std[1] > 1.1 * std[0]
    target = xr.Dataset(coords={"lon": ("p", lon), "lat": ("p", np.full(2, lat0)), "time": ("p", np.repeat(t0, 2))})
    uv = _quiet(m.derive, "geostrophic_velocity", target, return_std=True)
    assert uv.ugos.values[0] == uv.ugos.values[1]
    assert uv.ugos_std.values[1] > 1.1 * uv.ugos_std.values[0]
    spread = _quiet(m.sample, target, n=200, seed=0).std("sample").values
    assert spread[1] > 1.1 * spread[0]


def test_lazy_predictions_hold_and_mask_as_eager_ones(fitted):
    import xarray as xr

    west, east, south, north = fitted.region_
    t = fitted.time_axis_.from_days(np.array([fitted.time_range_[1]]))[0]
    grid = xr.Dataset(coords={"time": [t], "lat": [0.5 * (south + north)], "lon": [east, east + 7.0]})
    eager = _quiet(fitted.predict, grid)
    lazy = _quiet(fitted.predict, grid, chunks={"lon": 1})
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, eager.values)
    assert eager.values[0, 0, 0] == eager.values[0, 0, 1]
    masked = _quiet(fitted.predict, grid, chunks={"lon": 1}, outside="nan").values[0, 0]
    assert np.isfinite(masked[0]) and np.isnan(masked[1])


def test_derive_masks_points_held_into_the_equator_band():
    """Data from 2 N to 30 N: a target at 10 S is held at 2 N, where 1/f is not taken either."""
    import xarray as xr

    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0.0, 10.0, 400), rng.uniform(2.0, 30.0, 400)
    m = geoinr.INRModel(width=16, depth=1, epochs=2, max_time=None, progress=False).fit(
        {"lon": lon, "lat": lat}, np.sin(np.radians(lat * 10.0)))
    target = xr.Dataset(coords={"lon": ("p", [5.0, 5.0]), "lat": ("p", [-10.0, 20.0])})
    uv = _quiet(m.derive, "geostrophic_velocity", target)
    assert np.isnan(uv.ugos.values[0]) and np.isfinite(uv.ugos.values[1])


def test_nearest_inside_across_the_dateline_and_in_float32():
    region, window = (170.0, 190.0, -10.0, 10.0), (0.0, 5.0)
    lon = np.array([-175.0, 185.0, 200.0, 160.0, -150.0], dtype=np.float32)
    lat = np.array([0.0, 20.0, -30.0, 5.0, 0.0], dtype=np.float32)
    t = np.array([1.0, 6.0, -2.0, 2.5, 5.0], dtype=np.float32)
    lon2, lat2, t2 = observations.nearest_inside(region, window, lon, lat, t)
    assert lon2.dtype == np.float32 and lat2.dtype == np.float32 and t2.dtype == np.float32
    assert lon2.tolist() == [-175.0, 185.0, 190.0, 170.0, 190.0]  # -150 is 20 deg east of 190, 40 west of 170
    assert lat2.tolist() == [0.0, 10.0, -10.0, 5.0, 0.0]
    assert t2.tolist() == [1.0, 5.0, 0.0, 2.5, 5.0]
    far = observations.far_outside(region, window, lon, lat, t)
    assert far.tolist() == [False, True, True, True, True]  # 160 and -150 beyond 2 deg of margin, 20 N beyond 2


def test_derive_with_no_equator_band_is_nan_at_the_equator_itself():
    """equator_band=0 keeps every latitude but 0 itself, where f = 0: the currents there were +-inf (a review)."""
    import xarray as xr

    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0.0, 10.0, 400), rng.uniform(-10.0, 10.0, 400)
    m = geoinr.INRModel(width=16, depth=1, epochs=2, max_time=None, progress=False).fit(
        {"lon": lon, "lat": lat}, np.sin(np.radians(lat * 10.0)))
    target = xr.Dataset(coords={"lon": ("p", [5.0, 5.0, 5.0]), "lat": ("p", [0.0, 0.5, -3.0])})
    uv = _quiet(m.derive, "geostrophic_velocity", target, equator_band=0.0)
    assert np.isnan(uv.ugos.values[0]) and np.isnan(uv.vgos.values[0])
    assert np.isfinite(uv.ugos.values[1:]).all() and not np.isinf(uv.ugos.values).any()


def test_derive_takes_outside_as_predict_does():
    """`derive(..., outside=...)`: held at the nearest point by default, NaN far outside with "nan", the network's own
    derivatives with "extrapolate" (a review: only `predict` had the option)."""
    import xarray as xr

    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0.0, 10.0, 400), rng.uniform(30.0, 40.0, 400)
    m = geoinr.INRModel(width=16, depth=1, epochs=2, max_time=None, progress=False).fit(
        {"lon": lon, "lat": lat}, np.sin(np.radians(lon * 20.0)))
    target = xr.Dataset(coords={"lon": ("p", [5.0, 25.0]), "lat": ("p", [35.0, 35.0])})  # inside, 15 deg east of it
    held = _quiet(m.derive, "geostrophic_velocity", target)
    edge = _quiet(m.derive, "geostrophic_velocity", xr.Dataset(coords={"lon": ("p", [10.0]), "lat": ("p", [35.0])}))
    assert held.vgos.values[1] == pytest.approx(float(edge.vgos.values[0]), rel=1e-5)
    masked = _quiet(m.derive, "geostrophic_velocity", target, outside="nan")
    assert np.isfinite(masked.vgos.values[0]) and np.isnan(masked.vgos.values[1])
    assert masked.vgos.values[0] == held.vgos.values[0]
    own = _quiet(m.derive, "geostrophic_velocity", target, outside="extrapolate")
    assert np.isfinite(own.vgos.values[1]) and own.vgos.values[1] != held.vgos.values[1]
    with pytest.raises(ValueError, match="outside='far'"):
        m.derive("geostrophic_velocity", target, outside="far")
