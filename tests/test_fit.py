"""End-to-end fits on analytic fields: accuracy, layouts, longitudes, calendars."""
import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr

import geoinr
from conftest import FAST, grid_truth, smooth_field

# Thresholds below come from runs on 2026-11-24 (CPU, torch 2.13.0), with ~3x margin:
# scattered -> held-out grid RMSE 0.0042 (field std 0.41); 50% gaps -> RMSE 0.0043 in the gaps.
SCATTERED_RMSE_MAX = 0.015
GAPS_RMSE_MAX = 0.015


def rms(a):
    return float(np.sqrt(np.nanmean(np.asarray(a) ** 2)))


def test_scattered_fit_reaches_rmse_on_held_out_grid(scattered):
    """A fit to random scattered points predicts a grid it never saw within the measured RMSE."""
    fitted = scattered.inr.fit("sla", **FAST)
    truth = grid_truth(np.arange(-4.5, 5, 0.5), np.arange(40.5, 50, 0.5), np.arange(1, 10))
    pred = fitted.predict(truth)
    assert pred.dims == ("time", "lat", "lon")
    assert rms(pred - truth) < SCATTERED_RMSE_MAX
    assert float(truth.std()) > 20 * SCATTERED_RMSE_MAX  # the threshold is far from trivial


def test_untrained_model_fails_the_same_threshold(scattered):
    """The accuracy test can fail: one epoch of training is far off."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 1})
    truth = grid_truth(np.arange(-4.5, 5, 0.5), np.arange(40.5, 50, 0.5), np.arange(1, 10))
    assert rms(fitted.predict(truth) - truth) > SCATTERED_RMSE_MAX


def test_gridded_half_gaps_filled():
    """A (time, lat, lon) DataArray with 50% NaN cells: the gaps are filled within the measured error."""
    full = grid_truth(np.arange(-5, 5, 0.25), np.arange(40, 50, 0.25), np.arange(0, 5))
    rng = np.random.default_rng(0)
    gappy = full.where(rng.random(full.shape) > 0.5)
    fitted = gappy.inr.fit(**FAST)
    assert fitted.n_points_ == int(np.isfinite(gappy).sum())
    pred = fitted.predict(full)
    err = (pred - full).where(np.isnan(gappy))
    assert rms(err) < GAPS_RMSE_MAX
    filled = gappy.inr.fill_gaps(**{**FAST, "epochs": 20})  # what fill_gaps keeps and fills, not the fit's quality
    assert not bool(np.isnan(filled).any())
    kept = np.isfinite(gappy)
    np.testing.assert_array_equal(filled.values[kept.values], gappy.values[kept.values])


def test_dimension_order_does_not_matter():
    """(lon, time, lat) data gives the same fit as (time, lat, lon)."""
    full = grid_truth(np.arange(0, 4, 0.5), np.arange(40, 44, 0.5), np.arange(0, 3))
    a = full.inr.fit(**{**FAST, "epochs": 100})
    b = full.transpose("lon", "time", "lat").inr.fit(**{**FAST, "epochs": 100})
    assert a.n_points_ == b.n_points_
    pa, pb = a.predict(full), b.predict(full)
    std = float(full.std())
    assert rms(pa - full) < 0.05 * std and rms(pb - full) < 0.05 * std  # both fitted the field (0.022 std measured)
    assert rms(pa - pb) < 0.005 * std  # and alike: the same points in another order (0.0001 std measured)
    assert b.predict(full.transpose("lon", "time", "lat")).dims == ("lon", "time", "lat")


def test_purely_spatial_field():
    """No time coordinate at all: fit and predict on a 2-D grid."""
    lon, lat = np.arange(-5, 5, 0.25), np.arange(40, 50, 0.25)
    da = xr.DataArray(smooth_field(lon[None, :], lat[:, None]), dims=("lat", "lon"), coords={"lat": lat, "lon": lon})
    rng = np.random.default_rng(0)
    fitted = da.where(rng.random(da.shape) > 0.5).inr.fit(**FAST)
    assert fitted.time_axis_ is None
    pred = fitted.predict(da)
    assert pred.dims == ("lat", "lon")
    assert rms(pred - da) < GAPS_RMSE_MAX
    grid = fitted.grid(1.0)
    assert set(grid[fitted.variables_[0]].dims) == {"lat", "lon"} and set(grid.dims) == {"lat", "lon", "bnds"}


def test_time_false_ignores_time(scattered):
    """time=False fits a spatial field even when the data has times."""
    fitted = scattered.inr.fit("sla", time=False, **{**FAST, "epochs": 2})
    assert fitted.time_axis_ is None
    assert fitted.predict({"lon": [0.0], "lat": [45.0]}).shape == (1,)


def _dateline_tracks(lon_convention):
    rng = np.random.default_rng(2)
    n = 3000
    lon = rng.uniform(170, 190, n)  # across the dateline
    lat = rng.uniform(-10, 10, n)
    values = np.cos(np.radians(lon - 180.0) * 18.0) * np.cos(np.radians(lat) * 18.0)
    lon_out = lon % 360.0 if lon_convention == 360 else (lon + 180.0) % 360.0 - 180.0
    return xr.Dataset({"v": ("obs", values)}, coords={"lon": ("obs", lon_out), "lat": ("obs", lat)})


@pytest.mark.parametrize("convention", [180, 360])
def test_tracks_across_the_dateline(convention):
    """Points on both sides of 180 degrees in either convention fit as one smooth field."""
    ds = _dateline_tracks(convention)
    fitted = ds.inr.fit("v", **FAST)
    west, east, _, _ = fitted.region_
    assert 169.9 < west < 170.5 and 189.5 < east < 190.1  # the short way round, not the globe
    lon = np.array([179.5, -179.5, 180.5]) if convention == 180 else np.array([179.5, 180.5, 180.5])
    pred = fitted.predict({"lon": lon, "lat": np.zeros(3)})
    truth = np.cos(np.radians(np.array([179.5, 180.5, 180.5]) - 180.0) * 18.0)
    np.testing.assert_allclose(pred, truth, atol=0.03)
    grid = fitted.grid(1.0)
    assert np.all(np.diff(grid.lon.values) > 0)  # increasing longitudes across 180


def test_zero_to_360_longitudes_round_trip():
    """A field given on 0..360 longitudes predicts the same at the -180..180 equivalents."""
    lon = np.arange(280, 300, 0.5)
    lat = np.arange(30, 40, 0.5)
    da = xr.DataArray(smooth_field(lon[None, :], lat[:, None]), dims=("lat", "lon"), coords={"lat": lat, "lon": lon})
    fitted = da.inr.fit(**{**FAST, "epochs": 100})
    assert fitted.lon_convention_ == "360"
    a = fitted.predict({"lon": [290.0], "lat": [35.0]})
    b = fitted.predict({"lon": [-70.0], "lat": [35.0]})
    np.testing.assert_array_equal(a, b)
    grid = fitted.grid(1.0)
    assert grid.lon.min() >= 280.0 and grid.lon.max() <= 300.0


def test_cftime_noleap_calendar():
    """cftime times (noleap) are fitted, gridded in their calendar, and predicted."""
    import cftime

    times = xr.date_range("2001-02-26", periods=6, freq="1D", calendar="noleap", use_cftime=True)
    lon, lat = np.arange(0, 5, 0.5), np.arange(40, 45, 0.5)
    days = np.arange(6.0)
    da = xr.DataArray(
        smooth_field(lon[None, None, :], lat[None, :, None], days[:, None, None]),
        dims=("time", "lat", "lon"),
        coords={"time": times, "lat": lat, "lon": lon},
    )
    fitted = da.inr.fit(**FAST)
    assert fitted.time_axis_.kind == "cftime" and fitted.time_axis_.calendar == "noleap"
    grid = fitted.target_grid(1.0)
    assert isinstance(grid.time.values[0], cftime.DatetimeNoLeap)
    assert len(grid.time) == 6  # Feb 26 .. Mar 3 with no Feb 29
    assert rms(fitted.predict(da) - da) < 0.05


def test_numeric_time():
    """Plain numeric times (e.g. model hours) are used as they are."""
    rng = np.random.default_rng(0)
    n = 500
    data = {"lon": rng.uniform(0, 5, n), "lat": rng.uniform(0, 5, n), "time": rng.uniform(0, 48, n)}
    fitted = geoinr.INRModel(**{**FAST, "epochs": 5}).fit(data, smooth_field(data["lon"], data["lat"], data["time"]))
    assert fitted.time_axis_.kind == "numeric"
    assert fitted.target_grid(1.0, time_step=12).time.values.tolist() == [12.0, 24.0, 36.0]  # steps inside [0, 48)


def test_several_variables_fitted_jointly():
    """Two variables with different gaps are fitted together; each keeps its own units."""
    full = grid_truth(np.arange(0, 5, 0.5), np.arange(40, 45, 0.5), np.arange(0, 3))
    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {
            "a": full.where(rng.random(full.shape) > 0.3).assign_attrs(units="m"),
            "b": (2 * full + 1).where(rng.random(full.shape) > 0.3).assign_attrs(units="K"),
        }
    )
    fitted = ds.inr.fit(["a", "b"], **FAST)
    assert fitted.variables_ == ["a", "b"]
    pred = fitted.predict(full)
    assert isinstance(pred, xr.Dataset) and pred["b"].attrs["units"] == "K"
    assert rms(pred["a"] - full) < 0.05 and rms(pred["b"] - (2 * full + 1)) < 0.1
    assert fitted.predict(full, variable="b").name == "b"
    scores = fitted.scores(ds)
    assert set(scores) == {"a", "b"} and scores["a"]["mu"] > 0.9


def test_predict_output_carries_metadata(scattered):
    """Predictions are named after the variable, carry its units/long_name and say what made them."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 2})
    pred = fitted.predict(fitted.target_grid(1.0))
    assert pred.name == "sla"
    assert pred.attrs["units"] == "m" and pred.attrs["long_name"] == "sea level anomaly"
    assert "geoinr" in pred.attrs["source"] and "siren" in pred.attrs["source"]
    assert "sla" not in scattered.attrs  # the user's Dataset is untouched
    assert list(scattered.data_vars) == ["sla"]


def test_predict_on_scattered_target_and_curvilinear_grid(scattered):
    """Targets may be points along an observation dim, or 2-D lat/lon grids."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 2})
    pts = scattered.isel(time=slice(0, 50))
    pred = fitted.predict(pts)
    assert pred.dims == ("time",) and pred.shape == (50,)
    y, x = np.meshgrid(np.arange(41, 45.0), np.arange(-2, 2.0), indexing="ij")
    curvi = xr.Dataset(
        coords={"nav_lat": (("y", "x"), y), "nav_lon": (("y", "x"), x), "time": [np.datetime64("2021-03-03")]}
    )
    pred = fitted.predict(curvi)
    assert pred.dims == ("time", "y", "x")
    assert "nav_lat" in pred.coords


def test_large_target_is_evaluated_in_batches(scattered):
    """Evaluation memory is bounded by batch_size; results do not depend on it."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 2})
    grid = fitted.target_grid(0.5)
    a = fitted.predict(grid, batch_size=97)
    b = fitted.predict(grid, batch_size=100_000)
    np.testing.assert_allclose(a.values, b.values, atol=1e-6)


def test_same_seed_same_weights_on_cpu(scattered):
    """seed makes CPU runs repeatable: identical weights and predictions."""
    kw = {**FAST, "epochs": 20}
    a = scattered.inr.fit("sla", **kw)
    b = scattered.inr.fit("sla", **kw)
    for (ka, va), (kb, vb) in zip(a.field_.state_dict().items(), b.field_.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    c = scattered.inr.fit("sla", **{**kw, "seed": 1})
    assert not torch.equal(a.field_.network.head.weight, c.field_.network.head.weight)


def test_history_and_budgets(scattered):
    """history is a DataFrame with losses; max_time stops a long fit on time."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 200})
    h = fitted.history
    assert isinstance(h, pd.DataFrame) and len(h) >= 2
    assert {"epoch", "step", "seconds", "lr", "loss", "val_loss"} <= set(h.columns)
    assert h["loss"].iloc[-1] < h["loss"].iloc[0]
    timed = scattered.inr.fit("sla", **{**FAST, "epochs": None, "max_time": 1.5})
    assert timed.stop_reason_ in ("budget", "early_stopping")
    assert timed.fit_seconds_ < 5.0


def test_early_stopping_reports_the_best_held_out_check(scattered):
    """With patience 1 the held-out loss stalls early: the held-out points join for a short last part,
    then training stops well before its 3000 epochs; best_val_loss_ is the best held-out check."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 3000, "patience": 1, "lr": 3e-2})
    assert fitted.stop_reason_ == "early_stopping"
    h = fitted.history
    assert h["epoch"].iloc[-1] < 3000
    assert fitted.best_val_loss_ == pytest.approx(h["val_loss"].min())
    assert "held-out points trained on after epoch" in repr(fitted)


def test_score_against_truth(scattered):
    """scores() returns rmse and mu = 1 - RMSE/RMS(truth), consistent with metrics; score() is that mu."""
    fitted = scattered.inr.fit("sla", **FAST)
    truth = grid_truth(np.arange(-4.5, 5, 1.0), np.arange(40.5, 50, 1.0), np.arange(1, 10))
    s = fitted.scores(truth)
    assert isinstance(fitted.score(truth), float) and fitted.score(truth) == pytest.approx(s["mu"], rel=1e-9)
    pred = fitted.predict(truth)
    assert s["rmse"] == pytest.approx(geoinr.metrics.rmse(pred, truth), rel=1e-6)
    assert s["mu"] == pytest.approx(1 - s["rmse"] / rms(truth), rel=1e-6)
    assert s["n"] == truth.size


def test_numpy_entry_and_sklearn_protocol():
    """INRModel(...).fit(coords_dict, values) returns self; get_params/set_params work."""
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0, 5, 400), rng.uniform(40, 45, 400)
    m = geoinr.INRModel(**{**FAST, "epochs": 3})
    assert m.fit({"lon": lon, "lat": lat}, smooth_field(lon, lat)) is m
    assert m.get_params()["width"] == 64
    m.set_params(width=32)
    assert m.width == 32
    with pytest.raises(ValueError, match="Unknown parameter 'widht'"):
        m.set_params(widht=3)
    from sklearn.base import clone

    assert clone(m).get_params() == m.get_params()
    assert not clone(m).is_fitted


def test_extrapolation_in_time_warns(scattered):
    """Predicting far outside the fitted time window warns."""
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 2})
    target = fitted.target_grid(2.0, times=[np.datetime64("2022-01-01")])
    with pytest.warns(UserWarning, match="outside the fitted window"):
        fitted.predict(target)


def test_prediction_memory_is_bounded_by_the_output(scattered):
    """A 1.2-million-point target: numpy memory peaks near the output array, not at n x coords."""
    import tracemalloc

    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 1})
    grid = fitted.target_grid(0.05)  # 9 days x 200 x 200 = 360k points
    grid = geoinr.coords.regular_grid((-5, 5, 40, 50), 0.0125, times=grid.time.values[:3])  # 3 x 800 x 800
    n = grid.sizes["time"] * grid.sizes["lat"] * grid.sizes["lon"]
    assert n > 1_000_000
    tracemalloc.start()
    pred = fitted.predict(grid)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out_bytes = pred.nbytes  # float32: 4 bytes a point
    assert peak < 1.5 * out_bytes + 8 * 2**20  # a flat float64 (n, 3) coordinate table alone would be 6x


def test_unset_lr_is_the_models_learning_rate(scattered, tmp_path):
    """lr=None: 1e-4 (the SIRENs, NIF, the FFN), 1e-3 for the MLP and the filter networks; a number given wins;
    None is saved as None."""
    from geoinr.model.fitting import train_config
    from geoinr.model.network_choice import DEFAULT_LR, LEARNING_RATES, learning_rate

    assert geoinr.INRModel().lr is None and LEARNING_RATES == {"mlp": 1e-3, "gabor_net": 1e-3, "fourier_net": 1e-3}
    assert DEFAULT_LR == 1e-4
    assert learning_rate(geoinr.INRModel(model="gabor_net")) == 1e-3 == learning_rate(geoinr.INRModel(model="mlp"))
    assert learning_rate(geoinr.INRModel(model="fourier_net")) == 1e-3
    assert learning_rate(geoinr.INRModel(model="ffn")) == DEFAULT_LR
    fast = {k: v for k, v in FAST.items() if k != "lr"}
    for model, expected in (("siren", DEFAULT_LR), ("mlp", 1e-3)):
        fitted = scattered.inr.fit("sla", model=model, **{**fast, "epochs": 2})
        assert fitted.lr is None and learning_rate(fitted) == expected == train_config(fitted).lr
        path = tmp_path / f"{model}.geoinr"
        fitted.save(path)
        assert geoinr.load(path).lr is None
    assert learning_rate(geoinr.INRModel(model="mlp", lr=2e-4)) == 2e-4
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        scattered.inr.fit("sla", **{**fast, "lr": 0.0})


def test_unset_batch_size_is_the_models_batch_size(scattered, tmp_path):
    """batch_size=None: 4096 points a step (the SIRENs, NIF, the FFN), fewer for the MLP and the filter networks;
    a number given wins, None is saved as None, and 0 or a fraction is refused."""
    from geoinr.model.fitting import train_config
    from geoinr.model.network_choice import BATCH_SIZES, DEFAULT_BATCH_SIZE, batch_size

    assert geoinr.INRModel().batch_size is None and DEFAULT_BATCH_SIZE == 4096
    assert set(BATCH_SIZES) == {"mlp", "fourier_net", "gabor_net"} and all(b < DEFAULT_BATCH_SIZE for b in BATCH_SIZES.values())
    for name in ("siren", "modulated_siren", "nif", "ffn"):
        assert batch_size(geoinr.INRModel(model=name)) == DEFAULT_BATCH_SIZE
    fast = {k: v for k, v in FAST.items() if k != "batch_size"}
    steps = {}
    for model in ("siren", "gabor_net"):
        fitted = scattered.inr.fit("sla", model=model, **{**fast, "epochs": 2})
        expected = BATCH_SIZES.get(model, DEFAULT_BATCH_SIZE)
        assert fitted.batch_size is None and batch_size(fitted) == expected == train_config(fitted).batch_size
        steps[model] = int(fitted.history_["step"].iloc[-1])
        path = tmp_path / f"{model}.geoinr"
        fitted.save(path)
        assert geoinr.load(path).batch_size is None
    assert steps["gabor_net"] >= 3 * steps["siren"]  # ~2,700 points: one step an epoch at 4096, six at 512
    assert batch_size(geoinr.INRModel(model="mlp", batch_size=2048)) == 2048
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="batch_size must be a whole number >= 1 or None"):
            scattered.inr.fit("sla", **{**fast, "batch_size": bad})


def test_a_last_part_that_ends_between_two_checks_is_kept(scattered, monkeypatch):
    """A plateau's last part (held-out points joined) shorter than the gap between checks: its weights and the
    join are kept (they were discarded, and the map was the best held-out check's)."""
    from geoinr import training

    scheduled = training._early_last_part

    def short_part(progress, cfg):  # the join at the next epoch boundary, the end a few epochs on: no check between
        part = scheduled(progress, cfg)
        return None if part is None else (part[0], 3.0 / cfg.epochs, part[2])

    monkeypatch.setattr(training, "_early_last_part", short_part)
    fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 3000, "patience": 1, "lr": 3e-2})
    assert fitted.stop_reason_ == "early_stopping" and fitted.history["epoch"].iloc[-1] < 3000
    assert fitted.history["val_loss"].isna().iloc[-1]  # a check after the join, on every point
    assert "held-out points trained on after epoch" in repr(fitted)
