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


def _grid_times(times):
    ds = _monthly(pd.DatetimeIndex(times).values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oi = geoinr.baselines.OptimalInterpolation(lt=400).fit(ds, "sst")
    return pd.DatetimeIndex(oi.target_grid(4.0).time.values)


@pytest.mark.parametrize("times", [
    pd.date_range("2001-01-01", periods=12, freq="28D"),  # 4-weekly: on the 1st of each month before
    pd.date_range("2001-02-01", periods=24, freq="MS") + pd.Timedelta("14D"),  # the 15th from February: "mid-month"
    pd.date_range("2001-04-01", periods=24, freq="MS") + pd.Timedelta("15D"),
    pd.date_range("2001-02-28", periods=12, freq=pd.DateOffset(months=1)),  # the 28th: "the last day" before
    pd.date_range("1990-01-01", periods=12, freq="YS"),  # a day earlier each leap year before
    pd.date_range("1995-01-01", periods=12, freq="QS"),
    pd.to_datetime(["2001-01-16", "2001-02-15", "2001-04-16", "2001-05-16", "2001-07-16"]),  # months missing
    pd.to_datetime(["2001-01-01 00:00", "2001-01-01 06:00", "2001-01-03 00:00", "2001-01-10 00:00"]),  # irregular
])
def test_grid_holds_every_time_of_the_record(times):
    """A diff review: a rule guessed from the first time alone missed most of these records' times."""
    got = _grid_times(times)
    assert set(times) <= set(got) and len(got) <= len(times) + 2


def test_a_monthly_record_missing_months_keeps_months_and_a_daily_one_fills_its_days():
    months = pd.to_datetime(["2001-01-16T12:00", "2001-02-15T00:00", "2001-03-16T12:00", "2001-05-16T12:00"])
    m = _fit(_monthly(months.values))
    assert m.time_months_ == 1 and m.grid_times_ is None
    assert len(m.target_grid(4.0).time) == 5  # (April mapped too)
    days = pd.to_datetime(["2001-01-01", "2001-01-02", "2001-01-05", "2001-01-06"])
    assert len(_grid_times(days)) == 6  # (the missing days are the gaps grid() fills)


def test_irregular_own_times_are_saved(tmp_path):
    times = pd.to_datetime(["2001-01-01 00:00", "2001-01-01 06:00", "2001-01-03 00:00", "2001-01-10 00:00"])
    m = _fit(_monthly(times.values))
    m.save(tmp_path / "m.geoinr")  # (a one-step fit's infinite loss in its history failed the save)
    back = geoinr.load(tmp_path / "m.geoinr")
    assert back.grid_times_ == m.grid_times_ and len(back.target_grid(4.0).time) == 4


def test_time_clauses_are_carried_whole():
    ds = _monthly(pd.DatetimeIndex(_mid_months(12)).values,
                  {"cell_methods": "area: mean time: maximum within days time: mean over days"})
    assert _fit(ds).predict(ds).attrs["cell_methods"] == \
        "area: point time: maximum within days time: mean over days"


def test_one_reference_point_is_not_judged_by_its_spread():
    ds = _monthly(pd.DatetimeIndex(_mid_months(12)).values)
    m = _fit(ds)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        m.scores((ds - 100.0).isel(time=[1], lat=[2], lon=[3]))
    assert not any("times their spread" in str(w.message) or "times its spread" in str(w.message) for w in seen)


def test_more_irregular_times_than_kept_give_daily_maps(monkeypatch):
    """A diff review: past the times kept, the median step from the first time drifted through the day."""
    import geoinr.observations as observations

    monkeypatch.setattr(observations, "MAX_GRID_TIMES", 5)
    days = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 12))
    times = pd.DatetimeIndex(np.datetime64("2000-01-01") + (days * 86400).astype("timedelta64[s]"))
    grid = _grid_times(times)
    assert (grid.hour == 0).all() and (grid.minute == 0).all()
