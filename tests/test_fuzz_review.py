"""A property-based review of the torch-free layers (2026-12-07, sixth session): each example failed before its fix,
and the properties below are the review's that hold.

- a packed variable whose ``scale_factor``/``add_offset`` are one-element lists (as some files hold them) raised
  "only 0-dimensional arrays can be converted" when read and scored;
- the fill screen masked a cold patch of 6 degC in a sea of 20 +- 0.3 (kept in K), the wet values of a field of rain
  (99.95 % zeros), a real 35.1 beside a constant 35; and kept 9.97e36 beside a constant field;
- targets in another calendar with a missing date raised (NaT "does not exist", or None could not be ordered);
- ``regular_grid`` put a coarse cell's centre past the region (latitude 95) and took any number of points;
- a spectral score against a constant reference said "nothing resolved" (a score of -1e29);
- ``find_coords(lat="lat", lon="lat")`` fitted longitudes equal to the latitudes.
"""
import warnings

import cftime
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from geoinr import coords as C
from geoinr import metrics as M
from geoinr import observations as O
from geoinr import sentinels as S


def test_one_element_packing_attributes_are_read():
    raw = xr.Dataset({"sla": (("lat", "lon"), np.arange(12, dtype="int16").reshape(3, 4),
                              {"scale_factor": [0.01], "add_offset": [0.0]})},
                     coords={"lat": [0.0, 1, 2], "lon": [0.0, 1, 2, 3]})
    ds = xr.decode_cf(raw)
    assert O.read(ds, "sla").table.values[2, 0] == pytest.approx(0.02)
    assert M.rmse(ds.sla, ds.sla) == 0.0
    ranged = raw.sla.assign_attrs(valid_range=np.array([0, 10], "int16"))
    assert C._valid_bounds(ranged) == pytest.approx((-0.005, 0.105))


def test_the_fill_screen_keeps_real_values():
    rng = np.random.default_rng(0)
    sst = np.r_[20 + 0.3 * rng.normal(size=2000), rng.normal(6, 0.5, 15)]  # degC, a cold patch
    for offset in (0.0, 273.15, -20.0):
        assert S.screen(sst + offset).mask(sst + offset).sum() == 0
    rain = np.zeros(10000)
    rain[:5] = [0.2, 0.3, 4.0, 8.0, 12.0]
    assert S.screen(rain).mask(rain).sum() == 0
    near = np.r_[np.full(100, 35.0), 35.1]
    assert S.screen(near).mask(near).sum() == 0
    chl = np.append(rng.lognormal(np.log(0.1), 0.5, 1000), [1e15])  # the log rule still holds for ratios
    assert S.screen(chl).mask(chl).sum() == 1


def test_usual_fill_values_beside_constant_data_are_found():
    so = np.r_[np.full(500, 35.0), [9.969209968386869e36] * 20]
    assert S.screen(so).mask(so).sum() == 20
    flat = np.r_[np.zeros(10), [-999.0] * 10]
    assert -999.0 in S.screen(flat).exact


def test_other_calendars_keep_missing_target_dates_missing():
    axis = C.TimeAxis.from_values(np.array([cftime.DatetimeNoLeap(2000, 1, 1)], object))
    np.testing.assert_array_equal(axis.to_days(np.array(["2000-01-03", "NaT"], "datetime64[ns]")), [2.0, np.nan])
    np.testing.assert_array_equal(axis.to_days(np.array([cftime.DatetimeGregorian(2000, 1, 3), None], object)),
                                  [2.0, np.nan])


def test_a_coarse_grid_stays_in_its_region_and_a_huge_one_is_refused():
    g = C.regular_grid((0, 1, 80, 90), 30)
    assert g.lat.values.tolist() == [85.0] and g.lon.values.tolist() == [0.5]
    assert g.lat_bnds.values.tolist() == [[80.0, 90.0]] and g.lon_bnds.values.tolist() == [[0.0, 1.0]]
    assert C.regular_grid((0, 720, 0, 1), 1).lon.size == 360
    assert C.regular_grid((-180, 180, -90, 90), 0.005).lon.size == 72000  # large, but two 1-D axes
    with pytest.raises(ValueError, match="more than 10,000,000 along an axis"):
        C.regular_grid((-180, 180, -90, 90), 1e-6)


def test_a_constant_reference_has_no_spectral_score():
    ref = xr.DataArray(np.ones((6, 12, 40)), dims=("time", "lat", "lon"),
                       coords={"time": np.arange(6.0), "lat": np.linspace(30, 40, 12), "lon": np.linspace(0, 10, 40)})
    est = ref + 0.1 * np.random.default_rng(0).normal(size=ref.shape)
    with pytest.raises(ValueError, match="no variance"):
        M.effective_resolution_zonal(est, ref)


def test_one_variable_is_not_two_coordinates():
    ds = xr.Dataset(coords={"lat": [0.0, 1.0], "lon": [0.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match="lat='lat' and lon='lat': one variable cannot be two coordinates"):
        C.find_coords(ds, lat="lat", lon="lat")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 3000.0), min_size=2, max_size=300))
def test_gaps_never_hold_an_observed_time(days):
    days = np.asarray(days)
    span = (float(days.min()), float(days.max()))
    for start, end in O.time_gaps(days, span):
        assert span[0] <= start < end <= span[1]
        assert not np.any((days > start) & (days < end))


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-3, 400.0), st.integers(2, 400), st.floats(-1e4, 1e4))
def test_regular_sampling_has_no_gap(step, n, origin):
    days = origin + step * np.arange(n)
    assert O.time_gaps(days, (float(days[0]), float(days[-1]))) == []
