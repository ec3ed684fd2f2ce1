"""Fixes from a read-only review of the map outputs (grids, plots, gap filling, synthetic data), 2026-12-05."""
import warnings

import matplotlib
import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import plot

matplotlib.use("Agg")
TINY = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


def _quiet_fit(data, variable="sla", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.inr.fit(variable, **{**TINY, **kw})


@pytest.mark.parametrize("region, wrapped", [((170.0, -170.0, 30.0, 40.0), (170.0, 190.0, 30.0, 40.0)),
                                             ((355.0, 5.0, 30.0, 40.0), (-5.0, 5.0, 30.0, 40.0))])
def test_synthetic_grid_across_a_seam_is_the_field_its_tracks_sample(region, wrapped):
    """A region with west > east: the grid's truth is the tracks' (its eddies were placed 180 deg away)."""
    tracks = geoinr.datasets.synthetic_tracks(region=region, days=1, seed=0)
    for grid_region in (region, wrapped):
        grid = geoinr.datasets.synthetic_grid(region=grid_region, days=1, resolution=0.25)
        at = grid.sla_true.isel(time=0).assign_coords(lon=grid.lon % 360.0).sortby("lon").sel(
            lat=xr.DataArray(tracks.latitude.values, dims="p"), lon=xr.DataArray(tracks.longitude.values % 360.0,
                                                                                  dims="p"), method="nearest")
        rms = float(np.sqrt(np.mean((at.values - tracks.sla_true.values) ** 2)))
        assert rms < 0.2 * float(tracks.sla_true.std()), grid_region


def test_a_grid_of_data_in_0_360_across_0e_stays_in_that_convention():
    """Data in [0, 360) across 0 E: the grid runs from 355 past 360 (it came back at -5..5), its values are the
    wrapped ones, and the tracks drawn over it sit on it."""
    tracks = geoinr.datasets.synthetic_tracks(region=(355.0, 5.0, 30.0, 40.0), days=3, seed=0)
    fitted = _quiet_fit(tracks)
    maps = fitted.grid(resolution=1.0)
    lon = maps.longitude.values
    assert fitted.lon_convention_ == "360" and lon.min() > 350.0 and lon.max() < 370.0 and np.all(np.diff(lon) > 0)
    wrapped = fitted.predict(maps.sel(longitude=[360.5]).assign_coords(longitude=[0.5]))
    assert np.allclose(maps.sla.sel(longitude=360.5).values, wrapped.sel(longitude=0.5).values, atol=1e-6)
    x, _ = plot._tracks_shown(tracks, {"map": maps.sla}, None, None)
    assert x.min() >= lon.min() - 0.5 - 1e-6 and x.max() <= lon.max() + 0.5 + 1e-6


def test_plot_maps_scores_an_estimate_in_the_other_longitude_convention():
    """Tracks in 295..305, the truth in -65..-55 (the 2020a challenge's layout): the error panel is the error,
    not NaN everywhere."""
    tracks = geoinr.datasets.synthetic_tracks(region=(295.0, 305.0, 30.0, 40.0), days=3, seed=0)
    truth = geoinr.datasets.synthetic_grid(region=(-65.0, -55.0, 30.0, 40.0), days=3, resolution=0.5).sla_true
    maps = _quiet_fit(tracks).grid(resolution=0.5)
    on = plot._on_grid_of(truth.isel(time=0), maps.sla.isel(time=0))
    assert np.isfinite(on.values).all()
    assert np.allclose(on.values, truth.isel(time=0).transpose("lat", "lon").values)  # the same cells, reordered
    _, axes = plot.plot_maps(truth, maps.sla, tracks, time="2020-01-02")
    error = axes["error estimate"].collections[0].get_array()
    assert np.ma.count(error) == error.size


def test_plot_maps_picks_a_date_on_a_cftime_axis():
    """``time="2020-01-02"`` on maps with a noleap calendar (a TypeError before), the nearest time shown."""
    truth = geoinr.datasets.synthetic_grid(days=3, resolution=0.5).sla_true.convert_calendar("noleap")
    picked, shown = plot._pick_time(truth, "2020-01-02", "truth")
    assert picked.ndim == 2 and (shown.year, shown.month, shown.day) == (2020, 1, 2)
    plot.plot_maps(truth, truth + 0.01, time="2020-01-02")
    plot.plot_std(abs(truth).rename("sla_std"), time="2020-01-02", projection=False)  # (a std: never negative)


def test_derive_refuses_a_list_with_its_own_name_and_a_way_out():
    """(A dict of points is taken since 2026-12-07's ninth session, as predict takes it: a dict of arrays back.)"""
    fitted = _quiet_fit(geoinr.datasets.synthetic_tracks(days=3, seed=0))
    with pytest.raises(TypeError, match=r"derive\(\) takes an xarray Dataset/DataArray target.*xr.Dataset\(coords="):
        fitted.derive("gradient", [1.0, 35.0])
    out = fitted.derive("gradient", {"lon": [1.0], "lat": [35.0], "time": [np.datetime64("2020-01-02")]})
    assert set(out) == {"deta_dx", "deta_dy"}


def test_fill_gaps_records_its_source_and_the_datasets_history():
    """The filled variable says what filled it (``source``), and a Dataset's own history gets the line too."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.3).assign_attrs(history="made")
    ds["sla"].attrs["source"] = "along-track L3"
    out = ds.inr.fill_gaps("sla", **TINY)
    assert out.sla.attrs["source"].startswith("along-track L3; gaps filled by geoinr")
    assert out.attrs["history"].startswith("made\n") and "gaps filled by geoinr" in out.attrs["history"]
    da = ds.sla.inr.fill_gaps(**TINY)
    assert da.attrs["source"].startswith("along-track L3; gaps filled by geoinr")


def test_a_global_0_360_record_gets_a_0_360_grid():
    """Global data in [0, 360): the grid is 0..360 (the 0 E fix first shifted it to 180..540)."""
    lon, lat = np.meshgrid(np.arange(0.5, 360.0, 5.0), np.arange(-60.0, 61.0, 5.0))
    model = geoinr.baselines.LinearInterpolator().fit(
        {"lon": lon.ravel(), "lat": lat.ravel(), "h": np.cos(np.radians(lat.ravel()))}, "h")
    grid = model.target_grid(5.0)
    lon_out = grid[[k for k in grid.coords if "lon" in k][0]].values
    assert model.lon_convention_ == "360" and lon_out.min() >= 0.0 and lon_out.max() <= 360.0


def test_a_float32_truth_on_the_estimates_grid_is_the_same_grid():
    """Coordinates stored in float32 (the usual netCDF case) against the same grid in float64: the same grid, no
    interpolation (which left the edge rows NaN)."""
    truth = geoinr.datasets.synthetic_grid(days=1, resolution=0.1).sla_true.isel(time=0)
    est = truth + 0.01
    stored = truth.assign_coords(lat=truth.lat.astype("float32"), lon=truth.lon.astype("float32"))
    on = plot._on_grid_of(stored, est)
    assert np.isfinite(on.values).all() and np.allclose(on.values, truth.values)
