"""Numeric times in seconds, minutes or hours are read in their units (they were taken as days)."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import metrics
from geoinr.coords import TimeAxis, days_per_unit

TINY = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)


def _tracks_in(units: str, per_day: float):
    """The built-in tracks with their time as numbers of ``units`` since the first observation."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    days = (tracks.time.values - tracks.time.values[0]) / np.timedelta64(1, "D")
    return tracks.assign_coords(time=("time", days * per_day, {"units": units}))


@pytest.fixture(scope="module")
def fits():
    """The same record with its time in days and in seconds, each fitted (tiny networks, same seed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {units: geoinr.INRModel(**TINY).fit(_tracks_in(units, per_day), variables="sla")
                for units, per_day in (("days", 1.0), ("s", 86400.0))}


def test_seconds_give_the_scales_and_the_time_range_of_days(fits):
    """The scale rule, the encoding and the time range see days: with seconds read as days, the rule's time
    footprint and min_period were 86,400 times too long, and the network saw times of up to 259,200."""
    days, secs = fits["days"], fits["s"]
    assert secs.time_axis_.days_per_unit == pytest.approx(1.0 / 86400.0)
    assert secs.encoding_config_["min_period"] == pytest.approx(days.encoding_config_["min_period"], rel=1e-6)
    assert secs.encoding_config_["min_wavelength"] == pytest.approx(days.encoding_config_["min_wavelength"], rel=1e-6)
    assert np.allclose(secs.time_range_, days.time_range_, atol=1e-6)


def test_predictions_and_grids_are_in_the_data_s_units(fits):
    """The same fit predicts the same values at the same instants given in either unit, and its grid's
    default step is one day, in seconds (it was one second: 259,200 maps)."""
    days, secs = fits["days"], fits["s"]
    grid_d = days.target_grid(resolution=2.0)
    grid_s = secs.target_grid(resolution=2.0)
    assert grid_s.sizes["time"] == grid_d.sizes["time"]
    np.testing.assert_allclose(grid_s.time.values, grid_d.time.values * 86400.0)
    assert grid_s.time.attrs["units"] == "s"
    np.testing.assert_allclose(secs.predict(grid_s).values, days.predict(grid_d).values, atol=1e-5)


def test_the_unit_is_saved_and_files_without_it_read_days(fits, tmp_path):
    fits["s"].save(tmp_path / "m")
    loaded = geoinr.load(tmp_path / "m")
    assert loaded.time_axis_ == fits["s"].time_axis_
    old = TimeAxis("numeric", "", "standard", "s", 0.0)  # a model saved before days_per_unit existed
    assert old.days_per_unit == 1.0 and old.to_days(np.array([3.0])).tolist() == [3.0]
    assert b'days_per_unit' in (tmp_path / "m").read_bytes()  # in the file's JSON header, not pickled


def test_unknown_units_warn_and_read_days():
    with pytest.warns(UserWarning, match="taken as days"):
        assert days_per_unit("months") == 1.0
    assert days_per_unit("hours") == pytest.approx(1.0 / 24.0) and days_per_unit(" Minutes ") == 1.0 / 1440.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert days_per_unit("") == 1.0 and days_per_unit(None) == 1.0


def test_metrics_read_numeric_seconds():
    """Along-track spectra take the time between samples from the coordinate's units."""
    t = xr.DataArray(np.array([0.0, 3600.0]), dims="n", attrs={"units": "s"})
    assert metrics._seconds(t).tolist() == [0.0, 3600.0]
    t_days = xr.DataArray(np.array([0.0, 1.0 / 24.0]), dims="n", attrs={"units": "days"})
    np.testing.assert_allclose(metrics._seconds(t_days), [0.0, 3600.0])


def test_the_summary_prints_the_time_range_in_the_data_s_units(fits):
    """``print(fitted)`` gave "0 to 204378.000" for seconds (no unit, a float's tail); grids began at -0."""
    line = next(s for s in str(fits["s"]).splitlines() if s.strip().startswith("data"))
    assert line.endswith("; 0 to 204378 s"), line
    grid = fits["s"].target_grid(resolution=2.0)
    assert not np.signbit(grid.time.values).any()


def test_a_target_in_other_units_of_time_is_read_in_them(fits):
    """A model fitted in seconds read a target's times in days as seconds (0, 1, 2 s), without a word."""
    secs, days = fits["s"], fits["days"]
    grid_d = days.target_grid(resolution=2.0)  # times 0, 1, 2 with units "days"
    assert grid_d.time.attrs.get("units") == "days"
    np.testing.assert_allclose(secs.predict(grid_d).values, days.predict(grid_d).values, atol=1e-5)
    bare = grid_d.assign_coords(time=("time", grid_d.time.values * 86400.0))  # no units: the fit's (seconds)
    np.testing.assert_allclose(secs.predict(bare).values, days.predict(grid_d).values, atol=1e-5)


def test_files_of_models_in_days_or_dates_hold_no_new_entry(tmp_path):
    """Versions before days_per_unit refuse a file with an entry they do not know: write it only where it is not 1."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = geoinr.INRModel(**TINY).fit(tracks, variables="sla")
    fitted.save(tmp_path / "m")
    assert b"days_per_unit" not in (tmp_path / "m").read_bytes()
    assert "days_per_unit" not in TimeAxis.from_values(np.array([0.0, 1.0]), {"units": "days"}).to_dict()


def test_the_plot_window_and_daily_scores_read_numeric_times_in_their_units():
    from geoinr import metrics
    from geoinr.plot import _tracks_near

    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    days = (tracks.time.values - tracks.time.values[0]) / np.timedelta64(1, "D")
    in_days = tracks.assign_coords(time=("time", days, {"units": "days"}))
    in_secs = tracks.assign_coords(time=("time", days * 86400.0, {"units": "s"}))
    n_days = _tracks_near(in_days.sla, 1.0, 0.25)[0].size
    n_secs = _tracks_near(in_secs.sla, 86400.0, 21600.0)[0].size
    assert n_days == n_secs < tracks.sizes["time"]
    ref = in_secs.sla
    scores = metrics.daily_nrmse_score(ref + 0.01, ref)
    assert scores.sizes[scores.dims[0]] == 3
