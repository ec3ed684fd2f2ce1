"""``fit(..., weights=)``: each observation's weight in the loss, 1/sigma^2 of its error (2026-12-07, tenth session:
no per-observation error could be given; SMOS/SWOT error fields, HF radar GDOP, mixed altimeters)."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.observations import read

KW = {"width": 16, "depth": 1, "epochs": 2, "max_time": None, "progress": False, "seed": 0}


def _tracks():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    return tracks.assign(w=("time", np.where(tracks.satellite.values == "jason3", 4.0, 1.0)))


def test_weights_are_read_beside_the_values_point_by_point():
    tracks = _tracks()
    tracks["sla"] = tracks.sla.where(np.arange(tracks.sizes["time"]) % 7 != 0)  # rows without a value drop theirs
    obs = read(tracks, "sla", weights="w")
    kept = np.isfinite(tracks.sla.values)
    np.testing.assert_array_equal(obs.table.weights, tracks.w.values[kept])
    np.testing.assert_array_equal(obs.table.values[:, 0], tracks.sla.values[kept])
    assert obs.variables == ["sla"]  # (the weights are no fitted variable)
    same = read(tracks, "sla", weights=tracks.w)  # a DataArray on the data's coordinates
    np.testing.assert_array_equal(same.table.weights, obs.table.weights)
    pts = {"lon": tracks.longitude.values, "lat": tracks.latitude.values, "time": tracks.time.values}
    as_dict = read(pts, values=tracks.sla.values, weights=tracks.w.values)
    np.testing.assert_array_equal(as_dict.table.weights, obs.table.weights)


def test_a_grids_weights_follow_its_cells():
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.3)
    grid["w"] = xr.ones_like(grid.sla) * grid.lat  # a weight per cell, varying with latitude
    obs = read(grid, "sla", weights="w")
    np.testing.assert_allclose(obs.table.weights, obs.table.lat)


def test_weights_enter_the_loss_scaled_to_a_mean_of_one(monkeypatch):
    import geoinr.model.fitting as fitting

    seen = {}
    original = fitting.prepare_in_memory

    def spy(model, table, frame):
        prep = original(model, table, frame)
        seen["w"] = prep.w
        return prep

    monkeypatch.setattr(fitting, "prepare_in_memory", spy)
    tracks = _tracks()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracks.inr.fit("sla", weights="w", **KW)
    w = seen["w"].numpy()[:, 0]
    assert w.mean() == pytest.approx(1.0, rel=1e-5)
    assert w[tracks.satellite.values == "jason3"][0] == pytest.approx(4 * w[tracks.satellite.values == "saral"][0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracks.inr.fit("sla", **KW)
    assert seen["w"] is None  # (no weights, every entry observed: unweighted as before)


def test_an_altimeter_weighted_0_is_left_out():
    """An altimeter 50 cm off, weighted 0, does not pull the map (benchmarks/observation_weights.py measures the
    gain of weights 1/(sigma^2 + floor^2) over noisy altimeters at length)."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    bad = tracks.satellite.values == "cryosat2"
    tracks["sla"] = tracks.sla_true + np.where(bad, 0.5, 0.0)
    tracks["w"] = ("time", np.where(bad, 0.0, 1.0))
    errors = []
    for weights in (None, "w"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = tracks.inr.fit("sla", weights=weights, **{**KW, "width": 32, "depth": 2, "epochs": 200})
        good = {"lon": tracks.longitude.values[~bad], "lat": tracks.latitude.values[~bad],
                "time": tracks.time.values[~bad]}
        errors.append(float(np.sqrt(np.mean((m.predict(good) - tracks.sla_true.values[~bad]) ** 2))))
    assert errors[1] < 0.75 * errors[0]


def test_bad_weights_are_refused_with_what_to_give():
    tracks = _tracks()
    with pytest.raises(ValueError, match="give the name of a data variable"):
        read(tracks, "sla", weights="ww")
    for bad, what in ((-1.0, "negative"), (np.nan, "missing")):
        broken = tracks.assign(w=tracks.w.where(np.arange(tracks.sizes["time"]) != 3, bad))
        with pytest.raises(ValueError, match=f"have a weight that is missing, negative or infinite"):
            read(broken, "sla", weights="w")
    with pytest.raises(ValueError, match="every observation has weight 0"):
        read(tracks.assign(w=tracks.w * 0), "sla", weights="w")
    with pytest.raises(ValueError, match="one weight per point"):
        read({"lon": [0.0, 1.0], "lat": [0.0, 1.0]}, values=[1.0, 2.0], weights=[1.0])
    with pytest.raises(ValueError, match="in memory"):
        read(tracks.chunk({"time": 100}), "sla", lazy=True, weights="w")


def test_oi_weighs_each_observations_error():
    tracks = _tracks()
    grid = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla").target_grid(0.5)
    bad = tracks.satellite.values == "cryosat2"
    zero = tracks.assign(w=("time", np.where(bad, 0.0, 1.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = geoinr.baselines.OptimalInterpolation().fit(zero, "sla", weights="w").predict(grid)
        without = geoinr.baselines.OptimalInterpolation().fit(tracks.isel(time=~bad), "sla").predict(grid)
    np.testing.assert_allclose(weighted.values, without.values, rtol=0, atol=1e-10)  # weight 0: left out
    oi = geoinr.baselines.OptimalInterpolation(superobs=0.5).fit(tracks, "sla", weights="w")
    assert oi.obs_error_variance_.min() < oi.obs_error_variance_.max()  # (heavier superobservations, less error)
    with pytest.raises(TypeError, match="takes no weights"):
        geoinr.baselines.LinearInterpolator().fit(tracks, "sla", weights="w")


def _small_grid():
    t = np.datetime64("2020-01-01") + np.arange(4).astype("timedelta64[D]")
    values = np.random.default_rng(0).random((4, 3, 3))
    return xr.Dataset({"sla": (("time", "lat", "lon"), values, {"units": "m"})},
                      coords={"time": t, "lat": [30.0, 31.0, 32.0], "lon": [-60.0, -59.0, -58.0]})


def test_a_weights_dataarray_is_matched_by_its_coordinates():
    """A diff review: weights from another file, reversed in time, were paired by position in silence."""
    ds = _small_grid()
    w = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="time", coords={"time": ds.time.values}).broadcast_like(ds.sla)
    obs = read(ds, "sla", weights=w.sortby("time", ascending=False))
    np.testing.assert_array_equal(obs.table.weights, w.values.ravel())
    with pytest.raises(ValueError, match="matched to the data by its coordinates"):
        read(ds, "sla", weights=w.assign_coords(lon=w.lon + 20.0))


def test_weight_0_leaves_an_observation_out_and_a_fills_cell_needs_no_weight():
    ds = _small_grid()
    ds["sla"][0, 0, :] = 3.0
    w = xr.ones_like(ds.sla)
    w[0, 0, :] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = ds.assign(w=w).inr.fit("sla", weights="w", **KW)  # (the weights' name is no variable to fit)
        b = ds.assign(sla=ds.sla.where(w > 0)).inr.fit("sla", **KW)
    assert a.n_points_ == b.n_points_ == 33 and a.mean_ == pytest.approx(b.mean_) and a.std_ == pytest.approx(b.std_)
    filled = _small_grid()
    filled["sla"][:, 2, 2] = -9999.0  # an undeclared fill value at one cell, every time: screened as missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = read(filled, "sla", weights=xr.ones_like(filled.sla).where(filled.sla > -100))
    assert len(obs.table) == 32 and np.isfinite(obs.table.weights).all()


def test_a_dicts_own_entry_names_its_weights():
    tracks = _tracks()
    pts = {"lon": tracks.longitude.values, "lat": tracks.latitude.values, "time": tracks.time.values,
           "sla": tracks.sla.values, "w": tracks.w.values}
    obs = read(pts, "sla", weights="w")
    np.testing.assert_array_equal(obs.table.weights, tracks.w.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geoinr.baselines.OptimalInterpolation().fit(pts, "sla", weights="w")
