"""Bounded and non-negative fields: sea-ice fractions, precipitation, chlorophyll (2026-12-07, ninth session).

Two reviews (an ocean-colour and sea-ice scientist, an atmospheric one) found: ``predict`` and ``grid`` ignored a
declared valid range that ``regrid`` and ``fill_gaps`` clip to (sea-ice predictions from -0.004 to 1.07, OI's
-0.36 to 1.05); the warning about cells holding one value at every time told users to mask open water's 0 and dry
cells' 0; a fraction in % was scored against one in 1 as given (mu -95).
"""
import os
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import metrics
from geoinr.observations import valid_attrs
from geoinr.sentinels import warn_constant_cells


def _ice(days=4, valid=True):
    """A sea-ice fraction with a moving edge: open water (0) south of it, pack (1) north."""
    lat, lon = np.arange(68.0, 74.0, 0.25), np.arange(-20.0, -14.0, 0.25)
    t = pd.date_range("2024-05-01", periods=days)
    edge = 70.0 + 0.5 * np.arange(days)[:, None, None]
    sic = np.clip((lat[None, :, None] - edge) / 1.5, 0.0, 1.0) * np.ones((days, lat.size, lon.size))
    attrs = {"units": "1", "standard_name": "sea_ice_area_fraction"}
    if valid:
        attrs.update(valid_min=0.0, valid_max=1.0)
    return xr.Dataset({"sic": (("time", "lat", "lon"), sic, attrs)}, coords={"time": t, "lat": lat, "lon": lon})


@pytest.fixture(scope="module")
def ice_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _ice().inr.fit("sic", width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


def test_predictions_and_grids_stay_in_the_valid_range(ice_fit):
    assert ice_fit.variable_attrs_["sic"]["valid_min"] == 0.0
    for out in (ice_fit.predict(_ice()), ice_fit.grid(0.5).sic):
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
        assert out.attrs["valid_min"] == 0.0 and out.attrs["valid_max"] == 1.0
        assert out.attrs["valid_min"].dtype == out.dtype  # (CF: the variable's type)


def test_the_clip():
    from geoinr.base import _within_valid_range

    out = xr.DataArray(np.array([-0.1, 0.5, 1.2], dtype=np.float32), dims="x", attrs={"valid_min": 0.0, "valid_max": 1.0})
    clipped = _within_valid_range(out.copy(), "mean")
    assert clipped.values.tolist() == [0.0, 0.5, 1.0] and clipped.attrs["valid_max"] == 1.0
    assert _within_valid_range(out.copy(), "std").values.tolist() == out.values.tolist()
    low_only = _within_valid_range(out.assign_attrs(valid_max=None).copy(), "sample")
    assert low_only.values.tolist()[0] == 0.0 and float(low_only.max()) == pytest.approx(1.2)


def test_std_carries_no_valid_range():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oi = geoinr.baselines.OptimalInterpolation(progress=False).fit(_ice(days=2), "sic")
        mean, std = oi.predict(_ice(days=2), return_std=True)
    assert float(mean.min()) >= 0.0 and float(mean.max()) <= 1.0
    assert "valid_min" in mean.attrs and "valid_min" not in std.attrs


def test_valid_range_survives_save_and_load(ice_fit, tmp_path):
    path = os.fspath(tmp_path / "ice.geoinr")
    ice_fit.save(path)
    back = geoinr.load(path)
    assert back.variable_attrs_["sic"]["valid_max"] == 1.0
    assert float(back.predict(_ice()).max()) <= 1.0


def test_valid_attrs_reads_cf_forms():
    assert valid_attrs(xr.DataArray([1.0], attrs={"valid_range": [0, 100]})) == {"valid_min": 0.0, "valid_max": 100.0}
    assert valid_attrs(xr.DataArray([1.0], attrs={"units": "m"})) == {}


def _seen(var):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_constant_cells(var, "time")
    return [str(w.message) for w in seen]


def test_open_water_and_dry_cells_are_not_called_land():
    assert _seen(_ice(days=6, valid=False).sic) == []  # 0 and 1 also taken at times by cells that change
    rng = np.random.default_rng(0)
    rain = np.where(rng.random((6, 20, 20)) < 0.5, 0.0, rng.gamma(1.0, 1e-3, (6, 20, 20)))
    rain[:, :, :8] = 0.0  # a dry region
    assert _seen(xr.DataArray(rain, dims=("time", "lat", "lon"), name="tp")) == []


def test_land_at_a_declared_bound_is_still_warned_of():
    rng = np.random.default_rng(0)
    swh = rng.gamma(4.0, 0.5, (6, 10, 10)) + 0.2
    swh[:, :, :3] = 0.0  # land stored as 0, the declared valid_min: no changing cell takes 0
    var = xr.DataArray(swh, dims=("time", "lat", "lon"), name="VHM0", attrs={"valid_min": 0.0, "units": "m"})
    assert "hold exactly 0" in _seen(var)[0]


def test_a_bound_beside_all_nan_land_says_nothing_of_numpy():
    ice = _ice(days=6, valid=True).sic
    ice[:, :2, :] = np.nan  # land as NaN at every time
    assert not [m for m in _seen(ice) if "slice" in m]


def test_land_stored_as_zero_is_still_warned_of():
    rng = np.random.default_rng(0)
    ssh = rng.normal(0.0, 0.1, (6, 10, 10))
    ssh[:, :, :3] = 0.0
    assert "hold exactly 0" in _seen(xr.DataArray(ssh, dims=("time", "lat", "lon"), name="ssh"))[0]
    chl = rng.lognormal(0.0, 1.0, (6, 10, 10))
    chl[:, :, :3] = 0.0  # a positive field's land as 0: no changing cell takes 0
    assert _seen(xr.DataArray(chl, dims=("time", "lat", "lon"), name="chl"))


def test_percent_against_fraction_is_converted():
    ref = xr.DataArray(np.linspace(0.0, 1.0, 50), dims="x", attrs={"units": "1"})
    est = (ref * 100.0).assign_attrs(units="%")
    assert metrics.rmse(est, ref) == pytest.approx(0.0, abs=1e-9)


def test_a_log_normal_field_is_pointed_to_its_logarithm():
    from geoinr.coords import PointTable
    from geoinr.observations import warn_skewed

    rng = np.random.default_rng(0)
    n = 2000

    def said(values, name):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            warn_skewed(PointTable(np.zeros(n), np.zeros(n), None, values[:, None]), [name])
        return [str(w.message) for w in seen]

    assert "drop_attrs(deep=False)" in said(rng.lognormal(0.0, 1.2, n), "chl")[0]  # chlorophyll
    assert said(rng.weibull(1.5, n) * 8.0, "wind_speed") == []  # (a diff review's false alarm)
    assert said(rng.lognormal(0.5, 0.4, n), "swh") == []  # wave heights: positive, not log-normal enough
    assert said(290.0 + rng.normal(0.0, 2.0, n), "sst") == []
    assert said(np.r_[0.0, rng.lognormal(0.0, 1.2, n - 1)], "tp") == []  # zeros: no logarithm
