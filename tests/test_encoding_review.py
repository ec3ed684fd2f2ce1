"""Fixes from a read-only review of the encodings, the sampling rule and the along-track sampler, 2026-12-05."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr.coords import TimeAxis
from geoinr.osse import sample_along_track
from geoinr.scales import sampling_gap_km

TINY = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def julian():
    """The built-in tracks with their time as Julian day numbers (2,458,849.5 + days)."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    days = (tracks.time.values - tracks.time.values[0]) / np.timedelta64(1, "D")
    return tracks.assign_coords(time=("time", 2458849.5 + days, {"units": "days", "long_name": "julian day"}))


def test_numeric_times_with_a_large_offset_keep_their_fractions(julian):
    """Julian days in float32 are 0.25 day apart: the network saw 9 distinct times of 1,608 and predicted a
    staircase. The time axis subtracts a whole-number origin first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = julian.inr.fit("sla", **TINY)
    assert fitted.time_axis_.origin == 2458849.0 and fitted.time_range_[0] == pytest.approx(0.5)
    t = 2458851.0 + np.array([0.0, 0.05, 0.1, 0.15, 0.2])
    target = xr.Dataset(coords={"time": ("time", t), "lat": ("lat", [33.0]), "lon": ("lon", [5.0])})
    pred = np.asarray(fitted.predict(target)).ravel()
    assert np.unique(pred).size == pred.size  # no two of five times a twentieth of a day apart are equal
    grid = fitted.target_grid(resolution=1.0)
    assert grid.time.values[0] == 2458850.0 and np.all(np.diff(grid.time.values) == 1.0)  # the data's own numbers


def test_the_origin_is_saved_and_files_without_it_read_numbers_as_they_are(julian, tmp_path):
    fitted = geoinr.INRModel(**TINY).fit(julian, variables="sla")
    fitted.save(tmp_path / "m")
    loaded = geoinr.load(tmp_path / "m")
    assert loaded.time_axis_ == fitted.time_axis_
    assert TimeAxis(**{k: v for k, v in fitted.time_axis_.to_dict().items() if k != "origin"}).origin == 0.0
    axis = TimeAxis("numeric", "", "standard", "days")  # a model saved before the origin existed
    assert axis.to_days(np.array([5.5])).tolist() == [5.5] and axis.from_days(np.array([5.5])).tolist() == [5.5]
    assert TimeAxis.from_values(np.array([np.nan, 3.7, 9.0])).origin == 3.0
    assert TimeAxis.from_values(np.array([1, 2], dtype="timedelta64[D]")).origin == 0.0


@pytest.mark.parametrize("shift", [0.0, 181.0, 112.25932272377476, 48.25501100897931])
def test_the_sampling_gap_does_not_depend_on_the_longitude_convention(shift):
    """The same tracks in [0, 360) and in [-180, 180): one gap (the westernmost point could land 360 deg east of
    the box's western edge by one rounding, stretching the footprint over the globe: +41 %)."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    lon = (tracks.longitude.values + shift) % 360.0
    lat = tracks.latitude.values
    east = sampling_gap_km(lon, lat)
    west = sampling_gap_km(((lon + 180.0) % 360.0) - 180.0, lat)
    assert east == pytest.approx(west, rel=1e-6)


def _box(lon):
    times = pd.date_range("2020-01-01", periods=3, freq="1D").values
    lat = np.arange(30.0, 40.0, 0.25)
    lon2 = np.asarray(lon, float)
    field = np.sin(np.radians(4 * ((lon2[None, None, :] + 360.0) % 360.0))) * np.cos(np.radians(6 * lat))[None, :, None]
    return xr.DataArray(np.broadcast_to(field, (3, lat.size, lon2.size)).copy(), name="sla",
                        coords={"time": times, "lat": lat, "lon": lon2}, dims=("time", "lat", "lon"))


@pytest.mark.parametrize("layout", ["across the dateline, split", "descending"])
def test_the_sampler_reads_a_grid_whose_longitudes_are_not_stored_west_to_east(layout):
    """A box across the dateline stored as [-180..-170, 170..180) or a box stored east to west: the tracks stay in
    the box and sample the field there (they fell over the whole globe, interpolated across the gap)."""
    plain = np.arange(170.0, 190.0, 0.25)
    if layout == "descending":
        lon = plain[::-1]
    else:
        lon = np.sort(((plain + 180.0) % 360.0) - 180.0)
    ref = sample_along_track(_box(plain), missions=("jason3",), seed=0)
    got = sample_along_track(_box(lon), missions=("jason3",), seed=0)
    assert got.sizes["time"] == pytest.approx(ref.sizes["time"], rel=0.02)
    inside = (got.longitude.values % 360.0 >= 169.9) & (got.longitude.values % 360.0 <= 190.0)
    assert inside.all()


def test_the_sampler_refuses_a_single_map_with_a_way_out():
    one = _box(np.arange(0.0, 10.0, 0.25)).isel(time=[0])
    with pytest.raises(ValueError, match="give it two times or more"):
        sample_along_track(one, missions=("jason3",), seed=0)


def test_a_gap_in_time_is_not_a_gap_between_samples():
    """The same three days of tracks twice, 57 days apart: the rule's scales are one burst's (they were 9 times
    larger: the random probe times fell in the gap). Monthly maps keep their month between samples."""
    from geoinr.scales import _probe_times, default_scales

    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    lon, lat = tracks.longitude.values, tracks.latitude.values
    t = (tracks.time.values - tracks.time.values[0]) / np.timedelta64(1, "D")
    one = default_scales(lon, lat, t)
    two = default_scales(np.r_[lon, lon], np.r_[lat, lat], np.r_[t, t + 60.0])
    assert two[0] == pytest.approx(one[0], rel=0.05) and two[1] == pytest.approx(one[1], rel=0.05)
    # no gap: exactly the uniform draw over the span (the rule of every record without one is unchanged)
    assert np.array_equal(_probe_times(t, 50, np.random.default_rng(3)),
                          np.random.default_rng(3).uniform(t.min(), t.max(), 50))
    monthly = np.arange(0.0, 360.0, 30.0)
    assert np.array_equal(_probe_times(monthly, 50, np.random.default_rng(3)),
                          np.random.default_rng(3).uniform(0.0, 330.0, 50))


def test_the_extrapolation_warning_shows_numeric_times_as_given(julian):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = julian.inr.fit("sla", **TINY)
    target = xr.Dataset(coords={"time": ("time", [2458861.0]), "lat": ("lat", [33.0]), "lon": ("lon", [5.0])})
    with pytest.warns(UserWarning, match=r"fitted window \(2458849\.500 to 2458851\.\d+ days; target 2458861\.000"):
        fitted.predict(target)


def test_streamed_numeric_times_whose_first_is_missing_take_the_earliest_as_origin(julian):
    """A dask-backed record whose first time is NaN: the origin is the earliest time (it fell back to 0)."""
    pytest.importorskip("dask")
    from geoinr.observations import read

    data = julian.sla.copy()
    data = data.assign_coords(time=("time", np.r_[np.nan, julian.time.values[1:]], julian.time.attrs)).chunk(500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = read(data, lazy=True)
    assert obs.time_axis.origin == 2458849.0


def test_the_sampler_keeps_a_narrow_hole_and_reads_newest_first_fields():
    """A 0..350 E grid: its 10 deg hole is not interpolated across (the seam rule took it for global); a field
    stored newest first is sampled over its whole span (it was refused as a single map)."""
    lon = np.arange(0.0, 350.0, 2.0)
    grid = _box(lon)
    out = sample_along_track(grid, missions=("jason3",), seed=0)
    assert not ((out.longitude.values % 360.0 > 350.5) & (out.longitude.values % 360.0 < 359.5)).any()
    newest_first = sample_along_track(_box(np.arange(170.0, 190.0, 0.25)).isel(time=slice(None, None, -1)),
                                      missions=("jason3",), seed=0)
    assert newest_first.sizes["time"] == sample_along_track(_box(np.arange(170.0, 190.0, 0.25)),
                                                            missions=("jason3",), seed=0).sizes["time"]


def test_the_summary_shows_julian_days_in_full(julian):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = julian.inr.fit("sla", **TINY)
    text = str(fitted)
    assert "2458849.500" in text and "e+06" not in text
