"""A review of the time axis (2026-12-07): dates past 2262, hourly sources, repeated days, Python timestamps,
calendars, undecodable units. Each test failed on the code before its fix."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import metrics, scales
from geoinr.coords import regular_grid

QUICK = dict(width=16, depth=1, epochs=2, max_time=None, progress=False)


def _days(n=4):
    return geoinr.datasets.synthetic_grid(days=n, resolution=1.0)[["sla"]]


def test_dates_past_2262_keep_their_year():
    """pandas 3 gives datetime64[us] for an SSP run to 2300: its reference became 1715-06-13 (a nanosecond cast
    wrapped round), and grid() made maps dated 1715, in silence."""
    d = _days().assign_coords(time=pd.date_range("2300-01-01", periods=4))
    fitted = d.inr.fit("sla", **QUICK)
    assert fitted.time_axis_.reference == "2300-01-01" and fitted.time_range_ == (0.0, 3.0)
    assert str(fitted.grid(2.0).time.values[1])[:10] == "2300-01-02"
    assert str(metrics.daily_nrmse_score(d.sla + 0.01, d.sla).day.values[0])[:10] == "2300-01-01"
    np.testing.assert_array_equal(fitted.predict(d).time.values, d.time.values)
    assert fitted.grid(2.0).time.dtype == np.dtype("datetime64[us]")
    assert _days().inr.fit("sla", **QUICK).grid(2.0).time.dtype == np.dtype("datetime64[ns]")  # as before


def _hourly(period_hours=24.0, hours=48):
    g = regular_grid((0, 10, 30, 40), 0.5, times=pd.date_range("2020-01-01", periods=hours, freq="h").values)
    t, _, x = np.meshgrid(np.arange(hours) / 24.0, g.lat.values, g.lon.values, indexing="ij")
    truth = 0.3 * np.cos(2 * np.pi * t * 24.0 / period_hours - np.radians(x) * 3)
    return g.assign(sla=(("time", "lat", "lon"), truth, {"units": "m"}))


def test_an_hourly_grid_gets_a_period_its_time_steps_show():
    """Hourly model output: the rule's period (5 days at 0.25 deg: a drift speed times the wavelength) smoothed a
    diurnal cycle away, and fill_gaps had no skill in the gaps (RMSE 0.209 for a signal of 0.212)."""
    for hours, bound in ((24.0, 0.6), (12.42, 0.3)):  # a diurnal cycle, a semi-diurnal tide
        fitted = _hourly(hours).inr.fit("sla", **QUICK)
        assert fitted.encoding_config_["min_period"] < bound
        assert fitted.encoding_config_["min_period"] >= 2.0 / 24.0  # never below two time steps
    slow = _days(6).inr.fit("sla", **QUICK)  # daily maps of a slow field: the rule, as before
    assert slow.encoding_config_["min_period"] == pytest.approx(slow.encoding_config_["min_wavelength"] / 10.0)
    given = _hourly().inr.fit("sla", min_period=3.0, **QUICK)  # a period given is kept
    assert given.encoding_config_["min_period"] == 3.0
    lon, lat, t = (a.ravel() for a in np.meshgrid(np.arange(4.0), np.arange(3.0), np.arange(2.0), indexing="ij"))
    assert scales.gridded_period(lon, lat, t, np.cos(lon + t)) is None  # two times: nothing to tell


def test_an_exactly_repeated_day_does_not_warn():
    """Concatenating overlapping files repeats a day with identical values: it warned that the negative cells
    'carry several different values'. (Since 2026-12-07's sixth session the repeated time itself is warned of: it
    is fitted twice.)"""
    ds = _days()
    dup = xr.concat([ds, ds.isel(time=[1])], "time")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", UserWarning)
        dup.inr.fit("sla", **QUICK)
    messages = [str(w.message) for w in seen if issubclass(w.category, UserWarning)]
    assert not any("several different values" in m for m in messages)
    assert sum("repeats 1 of its" in m for m in messages) == 1


def test_python_and_pandas_timestamps_in_a_dict():
    """predict({"time": pd.Timestamp(...)}) and a time-zone aware DatetimeIndex were refused as 'dtype object'
    (the xarray path reads them)."""
    import datetime

    t = geoinr.datasets.synthetic_tracks(days=2)
    fitted = geoinr.INRModel(**QUICK).fit({"lon": t.longitude.values, "lat": t.latitude.values,
                                           "time": t.time.values}, t.sla.values)
    at = {"lon": 1.0, "lat": 35.0}
    expected = fitted.predict({**at, "time": np.datetime64("2020-01-02")})
    for when in (pd.Timestamp("2020-01-02"), datetime.datetime(2020, 1, 2),
                 pd.DatetimeIndex(["2020-01-02 01:00"], tz="Europe/Paris")):
        assert np.ravel(fitted.predict({**at, "time": when}))[0] == pytest.approx(float(np.ravel(expected)[0]))
    aware = pd.DatetimeIndex(t.time.values).tz_localize("UTC")
    again = geoinr.INRModel(**QUICK).fit({"lon": t.longitude.values, "lat": t.latitude.values, "time": aware},
                                         t.sla.values)
    assert again.time_axis_ == fitted.time_axis_


def test_a_cftime_model_grid_starts_at_the_first_step_inside_the_window():
    """6-hourly steps of tracks from 13:24: the noleap model's grid began at the next midnight (the datetime64
    model's at 18:00)."""
    t = geoinr.datasets.synthetic_tracks(days=2)[["sla"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dates = t.inr.fit("sla", **QUICK)
        noleap = t.convert_calendar("noleap", dim="time", use_cftime=True).inr.fit("sla", **QUICK)
    a = dates.target_grid(2.0, time_step="6h").time.values
    b = noleap.target_grid(2.0, time_step="6h").time.values
    assert len(a) == len(b) and [str(x)[:13].replace("T", " ") for x in a] == [str(x)[:13] for x in b]


def test_months_since_says_how_to_convert():
    ds = _days().assign_coords(time=("time", np.arange(4.0), {"units": "months since 2020-01-01"}))
    with pytest.raises(ValueError, match="Months and years have no fixed length"):
        ds.inr.fit("sla", **QUICK)


def test_metrics_meet_undecoded_times():
    """An estimate whose time is 'hours since ...' numbers against a reference in dates: numpy's
    DTypePromotionError."""
    ref = geoinr.datasets.synthetic_grid(days=4, resolution=1.0).sla_true
    hours = ref.assign_coords(time=("time", np.arange(4.0) * 24, {"units": "hours since 2020-01-01"}))
    assert metrics.rmse(hours, ref) == 0.0


def test_regrid_of_one_map_keeps_its_scalar_time():
    """ds.sel(time=...) then regrid(resolution): a (time: 1, ...) output on the model's axis, the time's
    attributes lost (predict and fill_gaps keep the scalar time)."""
    one = _days().isel(time=1)
    one.time.attrs["long_name"] = "time of the map"
    out = one.inr.regrid(2.0, **QUICK)
    assert out.dims == ("lat", "lon") and out.time.ndim == 0
    assert out.time.values == one.time.values and out.time.attrs["long_name"] == "time of the map"


def test_a_missing_date_of_a_noleap_record_is_missing():
    """Numbers in "days since ..." with a noleap calendar: xarray decodes NaN to the epoch, so a map with no date
    was fitted as the first day's, in silence. It is dropped with the missing-coordinates warning, as NaT is."""
    from geoinr import coords

    t = xr.DataArray(np.array([0.0, 1.0, np.nan, 3.0]), dims="time",
                     attrs={"units": "days since 2020-01-01", "calendar": "noleap"})
    assert coords.decode(t.rename("time")).values[2] is None
    with pytest.warns(UserWarning, match="missing \\(NaN/inf\\) coordinates"):
        fitted = _days().assign_coords(time=t).inr.fit("sla", **QUICK)
    assert fitted.n_points_ == 300 and fitted.time_axis_.calendar == "noleap"
    filled = (fitted_src := _days().assign_coords(time=t)).inr.fill_gaps("sla", **QUICK)
    assert filled.sla.shape == fitted_src.sla.shape


def test_regrid_of_tracks_keeps_the_source_times_attributes(tmp_path):
    """regrid(resolution) of along-track data dropped the source time's attributes and wrote the file in "days since"
    the first measurement's odd instant."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    tracks.time.attrs["long_name"] = "time of measurement"
    tracks.time.encoding.update(units="seconds since 2000-01-01", dtype="float64", chunksizes=(4096,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = tracks.inr.regrid(1.0, "sla", **QUICK)
    # its standard attributes, not its long_name: "time of measurement" is no map's (the CF review, 2026-12-07 fifth)
    assert "long_name" not in out.time.attrs and out.time.attrs.get("standard_name") == "time"
    out.to_dataset().to_netcdf(tmp_path / "r.nc")  # (the tracks' chunk size along the observations is not carried)
    assert xr.open_dataset(tmp_path / "r.nc", decode_times=False).time.attrs["units"] == "seconds since 2000-01-01"
