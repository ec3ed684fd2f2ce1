"""A climate scientist's review of long monthly records (2026-12-07, tenth session): grid() at the record's own
months, calendar steps from midnight, OI's lt against a grid's step, means over time kept in cell_methods, monthly
axes in the temporal spectra, the mu advice of nrmse_score_daily, an anomaly scored against a full field."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr

KW = {"width": 16, "depth": 1, "epochs": 1, "max_time": None, "progress": False}


def _monthly(times, attrs=None):
    rng = np.random.default_rng(0)
    return xr.Dataset({"sst": (("time", "lat", "lon"), 25 + rng.random((len(times), 6, 6)),
                               {"units": "degC", **(attrs or {})})},
                      coords={"time": times, "lat": np.arange(-10.0, 11, 4), "lon": np.arange(200.0, 221, 4)})


def _fit(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.inr.fit("sst", **KW)


def _mid_months(n, calendar="standard"):
    starts = xr.date_range("2000-01-01", periods=n + 1, freq="MS", calendar=calendar,
                           use_cftime=calendar != "standard")
    return np.array([starts[i] + (starts[i + 1] - starts[i]) / 2 for i in range(n)])


@pytest.mark.parametrize("calendar", ["standard", "noleap", "360_day"])
def test_grid_of_monthly_means_is_at_their_own_months(calendar):
    times = _mid_months(30, calendar)
    if calendar == "standard":
        times = pd.DatetimeIndex(times).values
    m = _fit(_monthly(times))
    assert m.time_step_ == pytest.approx(30.4, abs=0.6)
    grid = m.target_grid(4.0)
    assert grid.sizes["time"] == 30  # (907 daily maps before)
    assert [str(t) for t in grid.time.values] == [str(t) for t in times]


@pytest.mark.parametrize("times", [pd.date_range("2000-01-01", periods=24, freq="MS"),
                                   pd.date_range("2000-01-31", periods=24, freq="ME"),
                                   pd.date_range("2000-01-15", periods=24, freq=pd.DateOffset(months=1))])
def test_grid_of_months_keeps_their_day(times):
    grid = _fit(_monthly(times.values)).target_grid(4.0)
    assert (pd.DatetimeIndex(grid.time.values) == times).all()


def test_daily_maps_at_noon_and_calendar_steps_from_midnight():
    noon = _fit(_monthly(pd.date_range("2000-01-01T12:00", periods=10, freq="1D").values))
    assert (pd.DatetimeIndex(noon.target_grid(4.0).time.values).hour == 12).all()  # (maps at midnight before)
    mid = _fit(_monthly(pd.DatetimeIndex(_mid_months(24)).values))
    starts = pd.DatetimeIndex(mid.target_grid(4.0, time_step="MS").time.values)
    assert (starts.hour == 0).all() and (starts.day == 1).all()  # (month starts at noon before)
    assert mid.target_grid(4.0, time_step="1D").sizes["time"] > 600  # a step given wins
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)  # scattered: whole days, as before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tracks.inr.fit("sla", **KW).time_step_ is None


def test_oi_warns_of_an_lt_shorter_than_the_records_step():
    ds = _monthly(pd.DatetimeIndex(_mid_months(24)).values)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        geoinr.baselines.OptimalInterpolation(lx=800, ly=800).fit(ds, "sst")
    assert any("shorter than the record's step" in str(w.message) for w in seen)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        geoinr.baselines.OptimalInterpolation(lx=800, ly=800, lt=45).fit(ds, "sst")
    assert not any("record's step" in str(w.message) for w in seen)


def test_monthly_means_stay_means_in_cell_methods():
    ds = _monthly(pd.DatetimeIndex(_mid_months(12)).values, {"cell_methods": "area: mean time: mean"})
    m = _fit(ds)
    assert m.predict(ds).attrs["cell_methods"] == "area: point time: mean"
    assert m.derive("gradient", ds).deta_dx.attrs["cell_methods"] == "area: point time: mean"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        means = ds.inr.regrid(2.0, area="mean", **KW)
    assert means.attrs["cell_methods"] == "area: mean time: mean"
    plain = _fit(_monthly(pd.DatetimeIndex(_mid_months(12)).values))
    assert plain.predict(ds).attrs["cell_methods"] == "area: point time: point"


def test_monthly_axes_in_temporal_spectra_and_daily_mu_advice():
    rng = np.random.default_rng(0)
    ref = xr.DataArray(rng.standard_normal((120, 4, 4)).cumsum(0), dims=("time", "lat", "lon"),
                       coords={"time": pd.DatetimeIndex(_mid_months(120)).values, "lat": np.arange(4.0),
                               "lon": np.arange(4.0)})
    est = ref + 0.5 * rng.standard_normal(ref.shape)
    res = geoinr.metrics.effective_resolution_time(est, ref)  # (refused as "not regularly spaced" before)
    assert res.spacing == pytest.approx(30.44, abs=0.01)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        geoinr.metrics.nrmse_score_daily(est + 300, ref + 300)
    said = " ".join(str(w.message) for w in seen)
    assert "near 1 for any map" in said and "anomaly=True" not in said  # (a keyword it has not)


def test_an_anomaly_scored_against_a_full_field_is_warned_of():
    ds = _monthly(pd.DatetimeIndex(_mid_months(12)).values)
    m = _fit(ds)
    anomaly = ds - ds.mean("time")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        m.score(anomaly)
    assert any("same quantity" in str(w.message) for w in seen)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        m.score(ds)
    assert not any("same quantity" in str(w.message) for w in seen)
