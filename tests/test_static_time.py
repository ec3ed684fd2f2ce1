"""A spatial fit predicted or derived on a target with time keeps the target's time (2026-12-07, ninth session).

A review of fields without time: a static field (MDT, bathymetry) predicted on a daily grid came back without the
grid's time dimension, in silence. The map is now the same at each of the target's times, broadcast (the network
is evaluated once per place), under the target's time coordinate.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr

LON, LAT = np.arange(0.0, 3.0, 0.25), np.arange(30.0, 33.0, 0.25)


def _fit_mdt(**extra):
    x, y = np.meshgrid(LON, LAT)
    mdt = xr.Dataset({"mdt": (("lat", "lon"), 0.1 * np.sin(x) * np.cos(y), {"units": "m"})},
                     coords={"lat": LAT, "lon": LON})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mdt.inr.fit("mdt", width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0, **extra)


@pytest.fixture(scope="module")
def static_fit():
    return _fit_mdt()


def _daily(days=3):
    return xr.Dataset(coords={"time": pd.date_range("2020-01-01", periods=days), "lat": LAT[::2], "lon": LON[::2]})


def test_predict_keeps_the_targets_time(static_fit):
    grid = _daily()
    out = static_fit.predict(grid)
    assert out.dims == ("time", "lat", "lon")
    np.testing.assert_array_equal(out.time.values, grid.time.values)
    flat = static_fit.predict(grid.isel(time=0, drop=True))
    for k in range(3):  # the same map at every time
        np.testing.assert_array_equal(out.isel(time=k).values, flat.values)
    assert out.values.strides[0] == 0  # a view, not a copy per time (a diff review: 1.5 GB for a global MDT's year)
    writable = out.copy()
    writable[0, 0, 0] = 1.0


def test_predict_with_std_and_derive_keep_it(static_fit):
    grid = _daily()
    out = static_fit.derive("gradient", grid)
    assert out["deta_dx"].dims[0] == "time" and out.sizes["time"] == 3
    ds = static_fit.predict(grid.assign(dummy=(("lat",), np.zeros(grid.sizes["lat"]))))
    assert "time" in ds.dims


def test_tracks_carry_their_times(static_fit):
    t = pd.date_range("2020-01-01", periods=5)
    tracks = xr.Dataset(coords={"time": ("obs", t), "lat": ("obs", np.linspace(30, 32, 5)),
                                "lon": ("obs", np.linspace(0, 2, 5))})
    out = static_fit.predict(tracks)
    assert out.dims == ("obs",)
    np.testing.assert_array_equal(out.time.values, t.values)


def test_a_target_without_time_is_unchanged(static_fit):
    out = static_fit.predict(_daily().isel(time=0, drop=True))
    assert out.dims == ("lat", "lon") and "time" not in out.coords


def test_sample_keeps_it_after_the_draws():
    m = _fit_mdt(uncertainty="bayes_last_layer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draws = m.sample(_daily(), n=2)
    assert draws.dims == ("sample", "time", "lat", "lon")
