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
    'carry several different values'."""
    ds = _days()
    dup = xr.concat([ds, ds.isel(time=[1])], "time")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        dup.inr.fit("sla", **QUICK)
