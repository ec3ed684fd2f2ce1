"""A review of the plotting functions (2026-12-07, sixth session): each test failed before its fix.

- tracks east of 0 E on a map drawn across it (350 to 370) were drawn at 5, outside the panel; across the dateline
  likewise;
- the truth of another day (or a one-day truth for any day) was compared with the estimate under the estimate's
  date alone; an estimate without a time showed no date and every track;
- an estimate in cm against a truth in m: the error panel mixed the units;
- ``track_window="bogus"`` drew every track, and a number on dates was read as nanoseconds (none drawn);
- an all-NaN estimate leaked "Mean of empty slice" and titled "RMSE nan"; a 1 x 1 map was refused;
- a spectral score all below -1 was drawn off the axes; the weighted physics loss shared the data's log axis and
  flattened their curves; wrong types gave AttributeErrors.
"""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

import geoinr  # noqa: E402
from geoinr.plot import plot_history, plot_maps, plot_spectral_score, plot_std  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _field(lon, lat=np.arange(30.0, 40.0), times=("2020-01-01", "2020-01-02", "2020-01-03"), units="m"):
    t = pd.to_datetime(list(times))
    values = np.sin(np.arange(len(lon)))[None, None, :] * np.cos(lat)[None, :, None] * np.ones((len(t), 1, 1))
    return xr.DataArray(values, dims=("time", "lat", "lon"), coords={"time": t, "lat": lat, "lon": lon},
                        name="sla", attrs={"units": units, "long_name": "sea level anomaly"})


def _tracks(lons, when="2020-01-02T06:00"):
    n = 20
    lon = np.repeat(lons, n)
    lat = np.tile(np.linspace(31.0, 39.0, n), len(lons))
    return xr.Dataset({"sla": ("obs", np.zeros(lon.size))},
                      coords={"time": ("obs", np.full(lon.size, np.datetime64(when))), "lat": ("obs", lat),
                              "lon": ("obs", lon)})


@pytest.mark.parametrize("lon, tracks", [
    (np.r_[np.arange(350.0, 360.0), np.arange(0.0, 10.0)], [-5.0, 5.0]),  # 0-360 across 0 E, tracks in -180..180
    (np.r_[np.arange(170.0, 180.0), np.arange(-180.0, -170.0)], [175.0, -175.0]),  # across the dateline
])
def test_tracks_on_both_sides_of_a_seam_are_drawn_inside_the_panels(lon, tracks):
    truth = _field(lon)
    fig, axes = plot_maps(truth, truth, _tracks(tracks), time="2020-01-02", projection=False)
    ax = axes["truth"]
    x = np.unique(ax.collections[-1].get_offsets()[:, 0])
    lo, hi = ax.get_xlim()
    assert x.size == 2 and np.all((x > lo) & (x < hi))
    ax = plot_std(abs(truth), tracks=_tracks(tracks), time="2020-01-02", projection=False)
    x = np.unique(ax.collections[-1].get_offsets()[:, 0])
    assert x.size == 2 and np.all((x > ax.get_xlim()[0]) & (x < ax.get_xlim()[1]))


def test_a_truth_of_another_time_is_warned_of():
    truth = _field(np.arange(0.0, 10.0))
    late = truth.assign_coords(time=truth.time + pd.Timedelta(days=40))
    with pytest.warns(UserWarning, match="truth's nearest time is 2020-01-03, not the estimate's 2020-02-11"):
        plot_maps(truth, late, projection=False)
    with pytest.warns(UserWarning, match="truth's nearest time is 2020-01-01, not the estimate's 2020-01-03"):
        plot_maps(truth.isel(time=[0]), truth, time="2020-01-03", projection=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same day at noon, or the truth's own days: no warning
        plot_maps(truth.isel(time=[0]), truth.isel(time=[0]).assign_coords(time=truth.time[:1] + pd.Timedelta(hours=12)),
                  projection=False)
        plot_maps(truth, truth, time="2020-01-02", projection=False)


def test_an_estimate_without_time_takes_the_truth_s_time_and_its_tracks():
    truth = _field(np.arange(0.0, 10.0))
    fig, axes = plot_maps(truth, truth.isel(time=1, drop=True), _tracks([5.0], "2020-01-02T06:00"),
                          projection=False)
    assert fig._suptitle.get_text().startswith("2020-01-02")
    fig, axes = plot_maps(truth, truth.isel(time=1, drop=True), _tracks([5.0], "2020-01-03T06:00"),
                          projection=False)
    assert "no observation within" in fig._suptitle.get_text()


def test_an_estimate_in_other_length_units_is_converted_for_the_error():
    truth = _field(np.arange(0.0, 10.0))
    in_cm = ((truth + 0.01) * 100).assign_attrs(units="cm", long_name="sea level anomaly")
    fig, axes = plot_maps(truth, in_cm, projection=False)
    assert axes["error estimate"].get_title() == "error, RMSE 0.01 m"


def test_track_windows():
    truth = _field(np.arange(0.0, 10.0))
    tracks = _tracks([5.0], "2020-01-02T18:00")
    with pytest.raises(ValueError, match="track_window='bogus'"):
        plot_maps(truth, truth, tracks, track_window="bogus", projection=False)
    fig, axes = plot_maps(truth, truth, tracks, time="2020-01-02", track_window=1, projection=False)  # a day
    assert len(axes["truth"].collections[-1].get_offsets()) == 20
    fig, axes = plot_maps(truth, truth, tracks, time="2020-01-02", track_window="12h", projection=False)
    assert "no observation" in fig._suptitle.get_text()


def test_degenerate_maps():
    truth = _field(np.arange(0.0, 10.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fig, axes = plot_maps(truth, truth * np.nan, projection=False)
    assert "no point where both have a value" in axes["error estimate"].get_title()
    one = _field(np.array([5.0]), lat=np.array([35.0]))
    fig, axes = plot_maps(one, one, projection=False)
    assert set(axes) == {"truth", "estimate", "error estimate"}


def test_a_score_all_below_minus_one_is_drawn_on_the_axes():
    truth = _field(np.arange(0.0, 40.0, 0.25), lat=np.arange(30.0, 40.0, 0.25))
    rng = np.random.default_rng(0)
    noise = truth.copy(data=truth.values + 50.0 * float(truth.std()) * rng.standard_normal(truth.shape))
    ax = plot_spectral_score(noise, truth)
    score = ax.get_lines()[0].get_ydata()
    assert np.nanmax(score) < -1.0 and ax.get_ylim()[0] <= np.nanmin(score)


def test_the_physics_loss_on_its_own_axis_and_clear_type_errors():
    hist = pd.DataFrame({"epoch": [1.0, 2.0, 3.0], "loss": [0.5, 0.3, 0.2], "val_loss": [0.6, 0.4, 0.35],
                         "physics_loss": [1e-12, 1e-13, 1e-14]})
    ax = plot_history(hist)
    assert ax.get_ylim()[0] > 1e-3  # the data's axis holds the data's losses
    right = [a for a in ax.figure.axes if a is not ax]
    assert len(right) == 1 and right[0].get_lines()[0].get_label().startswith("physics loss")
    assert any(t.get_text().startswith("physics loss") for t in ax.get_legend().get_texts())
    oi = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0).fit(geoinr.datasets.synthetic_tracks(
        days=2, seed=0), "sla")
    with pytest.raises(TypeError, match="no training history"):
        plot_history(oi)
    with pytest.raises(geoinr.NotFittedError):
        plot_history(geoinr.INRModel())
    truth = _field(np.arange(0.0, 10.0))
    with pytest.raises(TypeError, match=r"pass its map, \[0\]"):
        plot_maps(truth, (truth, truth))
    with pytest.raises(TypeError, match="pass its maps, e.g. fitted.predict"):
        plot_spectral_score(oi, truth)
