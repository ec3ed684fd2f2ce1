"""Reliability: odd input handled or refused clearly, divergence, Ctrl-C, checkpoints and resume."""
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import geoinr
import geoinr.training
from geoinr.coords import LAT_NAMES, LON_NAMES, TimeAxis, find_coords, longitude_span, wrap_longitude
from geoinr.training import TrainingDiverged
from conftest import FAST

QUICK = {**FAST, "epochs": 3}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _points(n=200, seed=0, **extra):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(0, 5, n), rng.uniform(40, 45, n)
    ds = xr.Dataset({"v": ("obs", np.sin(lon) + np.cos(lat))}, coords={"lon": ("obs", lon), "lat": ("obs", lat)})
    return ds.assign_coords(**extra)


# ---------------------------------------------------------------- odd input
def test_mixed_longitude_conventions_are_refused():
    ds = _points().assign_coords(lon=("obs", np.r_[np.full(100, -10.0), np.full(100, 350.0)]))
    with pytest.raises(ValueError, match="mixes conventions.*wrap_longitude"):
        ds.inr.fit("v", **QUICK)


def test_projected_x_is_not_a_longitude():
    ds = _points().assign_coords(lon=("obs", np.linspace(0, 5e5, 200)))
    with pytest.raises(ValueError, match="not degrees east"):
        ds.inr.fit("v", **QUICK)


def test_single_observation_is_refused():
    ds = _points(n=1)
    with pytest.raises(ValueError, match="single point"):
        ds.inr.fit("v", **QUICK)


def test_duplicated_points_with_different_values_warn_and_fit_the_mean():
    ds = _points(n=2).isel(obs=[0, 0, 1, 1])
    ds["v"] = ("obs", np.array([0.0, 2.0, 5.0, 5.0]))
    with pytest.warns(UserWarning, match="1 coordinate.*their mean"):
        fitted = ds.inr.fit("v", **{**FAST, "epochs": 300, "validation": 0.0})
    pred = fitted.predict({"lon": ds.lon.values[[0, 2]], "lat": ds.lat.values[[0, 2]]})
    np.testing.assert_allclose(pred, [1.0, 5.0], atol=0.1)


def test_constant_data_gives_a_constant_field():
    ds = _points()
    ds["v"] = ("obs", np.full(200, 3.5))
    with pytest.warns(UserWarning, match="constant"):
        fitted = ds.inr.fit("v", **QUICK)
    np.testing.assert_allclose(fitted.predict({"lon": [1.0, 4.0], "lat": [41.0, 44.0]}), 3.5, atol=1e-4)


def test_unsorted_irregular_time_is_fine():
    rng = np.random.default_rng(0)
    t = np.datetime64("2020-01-01") + rng.permutation(np.cumsum(rng.integers(1, 500, 200))).astype("timedelta64[m]")
    ds = _points(time=("obs", t))
    fitted = ds.inr.fit("v", **QUICK)
    assert fitted.time_range_[0] == pytest.approx((t.min() - np.datetime64("2020-01-01")) / np.timedelta64(1, "D"))


def test_numeric_time_with_units_is_decoded():
    ds = _points(time=("obs", np.linspace(0, 10, 200), {"units": "days since 2015-06-01", "calendar": "noleap"}))
    fitted = ds.inr.fit("v", **QUICK)
    assert fitted.time_axis_.kind == "cftime" and fitted.time_axis_.calendar == "noleap"
    assert fitted.time_axis_.reference == "2015-06-01"
    ds2 = _points(time=("obs", np.linspace(0, 240, 200), {"units": "hours since 2015-06-01"}))
    assert ds2.inr.fit("v", **QUICK).time_range_ == pytest.approx((0.0, 10.0))


def test_time_strings_are_refused_with_the_fix():
    ds = _points(time=("obs", np.array(["2020-01-01"] * 200, dtype=object)))
    with pytest.raises(TypeError, match="pd.to_datetime"):
        ds.inr.fit("v", **QUICK)


def test_packed_integers_with_scale_factor_are_decoded():
    ds = _points()
    packed = np.round((ds.v.values - 1.0) / 0.001).astype("int16")
    packed[:10] = -32767
    ds["v"] = ("obs", packed, {"scale_factor": 0.001, "add_offset": 1.0, "_FillValue": np.int16(-32767), "units": "m"})
    fitted = ds.inr.fit("v", **QUICK)
    assert fitted.n_points_ == 190
    assert fitted.mean_[0] == pytest.approx(float(np.mean(packed[10:] * 0.001 + 1.0)), rel=1e-9)


def test_empty_dataset_and_no_variables():
    with pytest.raises(ValueError, match="Could not find latitude"):
        xr.Dataset().inr.fit(**QUICK)
    ds = xr.Dataset(coords={"lat": ("n", [1.0, 2.0]), "lon": ("n", [1.0, 2.0])})
    with pytest.raises(ValueError, match="no numeric data variable"):
        ds.inr.fit(**QUICK)


# ---------------------------------------------------------------- properties (hypothesis)
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-720, 720, allow_nan=False), min_size=1, max_size=50))
def test_longitude_span_covers_every_point(lons):
    west, east = longitude_span(lons)
    assert -180.0 <= west < 180.0 and west <= east and east - west <= 360.0
    rel = (wrap_longitude(lons) - west) % 360.0
    assert np.all((rel <= east - west + 1e-9) | (np.abs(rel - 360.0) < 1e-9))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(LAT_NAMES),
    st.sampled_from(LON_NAMES),
    st.sampled_from(["lower", "upper", "title"]),
    st.booleans(),
)
def test_common_names_are_found_in_any_case(lat, lon, case, as_data_var):
    lat, lon = getattr(lat, case)(), getattr(lon, case)()
    if lat.lower() == lon.lower():
        return
    ds = xr.Dataset({"sla": ("n", [1.0])})
    ds = ds.assign({lat: ("n", [1.0]), lon: ("n", [2.0])}) if as_data_var else ds.assign_coords({lat: ("n", [1.0]), lon: ("n", [2.0])})
    found = find_coords(ds)
    assert (found.lat, found.lon) == (lat, lon)


@settings(max_examples=60, deadline=None)
@given(st.integers(-2_000_000_000_000_000_000, 2_000_000_000_000_000_000), st.integers(0, 10**15))
def test_time_axis_round_trip(start_ns, offset_ns):
    t = np.array([start_ns, start_ns + offset_ns], dtype="datetime64[ns]")
    ax = TimeAxis.from_values(t)
    back = ax.from_days(ax.to_days(t))
    assert np.all(np.abs((back - t).astype(np.int64)) <= 2000)  # within 2 microseconds


@pytest.fixture(scope="module")
def tiny_model():
    return _points(time=("obs", np.datetime64("2020-01-01") + np.arange(200).astype("timedelta64[h]"))).inr.fit(
        "v", **QUICK
    )


@settings(max_examples=40, deadline=None)
@given(st.floats(-180, 180), st.floats(-89, 89), st.integers(-2, 2))
def test_prediction_is_periodic_in_longitude(tiny_model, lon, lat, k):
    t = np.datetime64("2020-01-03")
    a = tiny_model.predict({"lon": [lon], "lat": [lat], "time": [t]})
    b = tiny_model.predict({"lon": [lon + 360.0 * k], "lat": [lat], "time": [t]})
    np.testing.assert_allclose(a, b, atol=1e-4)


# ---------------------------------------------------------------- training that cannot silently fail
def _nan_between(monkeypatch, first, last):
    calls = {"n": 0}
    orig = geoinr.training._masked_mse

    def flaky(pred, y, w):
        calls["n"] += 1
        loss = orig(pred, y, w)
        return loss * float("nan") if first <= calls["n"] <= last else loss

    monkeypatch.setattr(geoinr.training, "_masked_mse", flaky)


def test_non_finite_loss_rolls_back_and_training_goes_on(scattered, monkeypatch):
    _nan_between(monkeypatch, 120, 125)
    with pytest.warns(RuntimeWarning, match="rolled back"):
        fitted = scattered.inr.fit("sla", **{**FAST, "epochs": 200})
    assert fitted.stop_reason_ in ("budget", "early_stopping")
    assert all(torch.isfinite(p).all() for p in fitted.field_.parameters())
    assert np.isfinite(fitted.predict(fitted.target_grid(1.0))).all()


def test_repeated_divergence_stops_with_an_error_and_keeps_the_best_model(scattered, monkeypatch):
    _nan_between(monkeypatch, 150, 10**9)
    with pytest.warns(RuntimeWarning), pytest.raises(TrainingDiverged, match="err.model") as err:
        scattered.inr.fit("sla", **{**FAST, "epochs": 400})
    model = err.value.model
    assert model.stop_reason_ == "diverged"
    assert np.isfinite(model.predict(model.target_grid(1.0))).all()
    assert model.best_val_loss_ is not None and model.best_val_loss_ < 0.5


def test_ctrl_c_returns_the_best_model_and_writes_a_checkpoint(scattered, monkeypatch, tmp_path):
    calls = {"n": 0}
    orig = geoinr.training._masked_mse

    def interrupt(pred, y, w):
        calls["n"] += 1
        if calls["n"] == 130:
            raise KeyboardInterrupt
        return orig(pred, y, w)

    monkeypatch.setattr(geoinr.training, "_masked_mse", interrupt)
    with pytest.warns(UserWarning, match="interrupted"):
        fitted = scattered.inr.fit("sla", checkpoint=tmp_path / "run.ckpt", **{**FAST, "epochs": 400})
    assert fitted.stop_reason_ == "interrupted" and len(fitted.history) >= 2
    assert (tmp_path / "run.ckpt").exists()


SCRIPT = textwrap.dedent(
    """
    import sys, torch, geoinr
    torch.set_num_threads(int(sys.argv[3]))  # the test's: sums over other thread counts differ in their last bits
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    tracks.inr.fit("sla", width=64, depth=2, epochs=int(sys.argv[2]), max_time=None, batch_size=256, lr=1e-3,
                   patience=10**6, progress=False, seed=0, checkpoint=sys.argv[1], checkpoint_every=0.0)
    """
)


def test_killed_fit_resumes_to_the_same_result(tmp_path):
    """SIGKILL a fitting subprocess mid-way; resuming its checkpoint gives the uninterrupted weights."""
    epochs = 600
    ckpt = tmp_path / "run.ckpt"
    script = tmp_path / "fit.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(ckpt), str(epochs), str(torch.get_num_threads())],
                            cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not ckpt.exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert proc.poll() is None, "the fit finished before it could be killed; raise epochs"
        proc.kill()  # SIGKILL on POSIX (TerminateProcess on Windows)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    kw = dict(width=64, depth=2, epochs=epochs, max_time=None, batch_size=256, lr=1e-3, patience=10**6, progress=False, seed=0)
    from geoinr.io import read_safetensors

    _, header = read_safetensors(ckpt, "geoinr-checkpoint", 1)
    import json

    done_steps = json.loads(header["state"])["step"]
    resumed = tracks.inr.fit("sla", resume=ckpt, **kw)
    straight = tracks.inr.fit("sla", **kw)
    assert 0 < done_steps < resumed.history.step.iloc[-1]
    for (k, a), (_, b) in zip(resumed.field_.state_dict().items(), straight.field_.state_dict().items()):
        assert torch.equal(a, b), k
    assert resumed.history.loss.tolist() == pytest.approx(straight.history.loss.tolist())


def test_resume_refuses_a_checkpoint_of_another_fit(scattered, tmp_path):
    ckpt = tmp_path / "a.ckpt"
    scattered.inr.fit("sla", checkpoint=ckpt, checkpoint_every=0.0, **{**FAST, "epochs": 120})
    with pytest.raises(ValueError, match="different fit"):
        scattered.inr.fit("sla", resume=ckpt, **{**FAST, "epochs": 120, "width": 32})
