"""A review of numerical precision and extreme inputs (2026-12-07, fourth session): each test failed before its fix.

- a daily grid finer than about 10 km was fitted at the day's 13 km (its space-time gap), with no skill;
- predictions were float32 whatever the offset: 4e7 Pa of bottom pressure with a 3 Pa signal came out in 4 Pa steps;
- ``nrmse_score(anomaly=True)`` of a constant 0.1 returned -7e13 (a rounding residual taken for an anomaly).
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import metrics
from geoinr.scales import default_scales

FIT = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)


def _daily(step_deg, span_deg=1.0, days=4, offset=0.0, amplitude=0.1):
    lat = np.arange(40.0, 40.0 + span_deg, step_deg)
    lon = np.arange(5.0, 5.0 + span_deg, step_deg)
    k = np.arange(days)[:, None, None]
    field = offset + amplitude * np.sin(np.radians(lon)[None, None, :] * 300 + 0.1 * k) * np.cos(
        np.radians(lat)[None, :, None] * 200)
    time = np.datetime64("2020-01-01") + np.arange(days).astype("timedelta64[D]")
    return xr.DataArray(field, dims=("time", "lat", "lon"), coords={"time": time, "lat": lat, "lon": lon},
                        name="sla", attrs={"units": "m"})


def _scales_of(da):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = da.inr.fit(**FIT).encoding_config_
    return enc["min_wavelength"], enc["min_period"]


def test_a_daily_grid_much_finer_than_its_day_gets_its_own_wavelength():
    fine = _daily(1 / 120)  # 1 km daily
    wavelength, period = _scales_of(fine)
    lat, lon = np.meshgrid(fine.lat, fine.lon, indexing="ij")
    days = np.repeat(np.arange(4.0), lat.size)
    rule_wavelength, rule_period = default_scales(np.tile(lon.ravel(), 4), np.tile(lat.ravel(), 4), days)
    assert rule_wavelength > 10.0  # the day's gap: what the fit took before
    assert wavelength < 3.0 and period == pytest.approx(rule_period, rel=0.05)


def test_grids_near_their_day_keep_the_rule():
    for step in (0.25, 1 / 12):  # DUACS-like and a reanalysis grid: the rule's wavelength, as measured before
        da = _daily(step, span_deg=2.0)
        lat, lon = np.meshgrid(da.lat, da.lon, indexing="ij")
        rule = default_scales(np.tile(lon.ravel(), 4), np.tile(lat.ravel(), 4), np.repeat(np.arange(4.0), lat.size))
        wavelength, _ = _scales_of(da)
        assert wavelength == pytest.approx(rule[0], rel=0.1)


def test_given_scales_are_kept_on_a_fine_grid():
    da = _daily(1 / 120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = da.inr.fit(**FIT, min_wavelength=5.0).encoding_config_
    assert enc["min_wavelength"] == 5.0


def test_a_small_signal_on_a_large_offset_is_predicted_in_float64():
    pressure = _daily(0.25, span_deg=2.0, offset=4e7, amplitude=3.0).rename("p").assign_attrs(units="Pa")
    model = pressure.inr.fit(**FIT)
    out = model.predict(pressure)
    assert out.dtype == np.float64
    assert np.unique(out.values).size > 100  # not a few float32 steps of 4 Pa
    assert pressure.inr.regrid(pressure, **FIT).dtype == np.float64
    assert _daily(0.25, span_deg=2.0).inr.fit(**FIT).predict(_daily(0.25, span_deg=2.0)).dtype == np.float32


def test_a_constant_reference_is_refused_whatever_its_rounding():
    with pytest.raises(ValueError, match="constant"):
        metrics.nrmse_score(np.full(1000, 0.1) + 1e-3, np.full(1000, 0.1), anomaly=True)
    assert metrics.nrmse_score(np.arange(10.0) + 0.1, np.arange(10.0), anomaly=True) == pytest.approx(0.965, abs=1e-3)

